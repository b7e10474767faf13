/* Header names and lists (src/msg/tables.c, parse.c lookups, lex.c list
 * splitting): compact forms, case-insensitive names, finding headers and
 * walking the values of list headers. */
#include "msg_test.h"

#include "msg/lex.h"

static enum sipd_hdr_id lookup(const char *name)
{
	/* from an exact-size copy: the lookup must not read past the name */
	char *b = dup_exact(name, strlen(name));
	enum sipd_hdr_id id = sipd_hdr_lookup(b, strlen(name));
	free(b);
	return id;
}

/* RFC 3261 §7.3.3 compact forms. */
static void rfc3261_7_3_3_compact_forms(void **state)
{
	(void)state;
	static const struct {
		char c;
		enum sipd_hdr_id id;
	} forms[] = {
		{'c', SIPD_HDR_CONTENT_TYPE}, {'e', SIPD_HDR_CONTENT_ENCODING},
		{'f', SIPD_HDR_FROM},         {'i', SIPD_HDR_CALL_ID},
		{'k', SIPD_HDR_SUPPORTED},    {'l', SIPD_HDR_CONTENT_LENGTH},
		{'m', SIPD_HDR_CONTACT},      {'s', SIPD_HDR_SUBJECT},
		{'t', SIPD_HDR_TO},           {'v', SIPD_HDR_VIA},
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char lo[2] = {forms[i].c, 0}, up[2] = {(char)(forms[i].c - 32), 0};
		assert_int_equal(lookup(lo), forms[i].id);
		assert_int_equal(lookup(up), forms[i].id);
	}
}

/* Compact forms of the extensions whose headers the library knows: Event "o"
 * and Allow-Events "u" (RFC 6665 §8.2), Refer-To "r" (RFC 3515 §2.1),
 * Referred-By "b" (RFC 3892 §3), Session-Expires "x" (RFC 4028 §4). */
static void rfc6665_8_2_extension_compact_forms(void **state)
{
	(void)state;
	assert_int_equal(lookup("o"), SIPD_HDR_EVENT);
	assert_int_equal(lookup("U"), SIPD_HDR_ALLOW_EVENTS);
	assert_int_equal(lookup("r"), SIPD_HDR_REFER_TO);
	assert_int_equal(lookup("B"), SIPD_HDR_REFERRED_BY);
	assert_int_equal(lookup("x"), SIPD_HDR_SESSION_EXPIRES);
	/* the letters no header of ours owns */
	static const char none[] = "aAdDgGhHjJnNpPqQwWyYzZ0-.!";
	for (const char *p = none; *p; p++) {
		char n[2] = {*p, 0};
		assert_int_equal(lookup(n), SIPD_HDR_OTHER);
	}
}

/* Compact forms of extensions kept as SIPD_HDR_OTHER (Accept-Contact "a",
 * Reject-Contact "j", Request-Disposition "d" of RFC 3841; Identity "y",
 * Identity-Info "n" of RFC 4474): found by either name, printed in full. */
static void rfc3841_9_other_compact_forms(void **state)
{
	(void)state;
	struct parsed *p = parse_req_with("a: *;audio\r\n"
	                                  "Reject-Contact: *;video\r\n"
	                                  "d: proxy\r\n"
	                                  "y: abc\r\n"
	                                  "Content-Length: 0\r\n");
	assert_valid(p);
	const struct sipd_hdr *h = sipd_msg_find_name(&p->msg, "Accept-Contact");
	assert_non_null(h);
	assert_slice(h->name, "a");
	assert_ptr_equal(sipd_msg_find_name(&p->msg, "A"), h);
	h = sipd_msg_find_name(&p->msg, "j");
	assert_non_null(h);
	assert_slice(h->name, "Reject-Contact");
	assert_non_null(sipd_msg_find_name(&p->msg, "request-disposition"));
	assert_non_null(sipd_msg_find_name(&p->msg, "IDENTITY"));
	assert_null(sipd_msg_find_name(&p->msg, "Identity-Info"));
	assert_null(sipd_msg_find_name(&p->msg, "n"));

	char out[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, out, sizeof out);
	sipd_msg_print(&b, &p->msg);
	long n = sipd_buf_result(&b);
	assert_true(n > 0);
	out[n] = 0;
	assert_non_null(strstr(out, "\r\nAccept-Contact: *;audio\r\n"));
	assert_non_null(strstr(out, "\r\nRequest-Disposition: proxy\r\n"));
	assert_non_null(strstr(out, "\r\nIdentity: abc\r\n"));
	parsed_free(p);
}

/* §7.3.1: field names are case-insensitive. Every known name in several
 * cases, and its canonical spelling. */
static void rfc3261_7_3_1_names_case_insensitive(void **state)
{
	(void)state;
	for (int id = 1; id < SIPD_HDR__COUNT; id++) {
		const char *name = sipd_hdr_name((enum sipd_hdr_id)id);
		assert_non_null(name);
		size_t n = strlen(name);
		char lo[64], up[64], alt[64];
		assert_true(n < sizeof lo);
		for (size_t i = 0; i <= n; i++) {
			char c = name[i];
			lo[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
			up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
			alt[i] = i % 2 ? lo[i] : up[i];
		}
		assert_int_equal(lookup(name), id);
		assert_int_equal(lookup(lo), id);
		assert_int_equal(lookup(up), id);
		assert_int_equal(lookup(alt), id);
		/* one letter more or less is another header ("T" is To's
		 * compact form, though) */
		lo[n - 1] = 0;
		if (n > 2)
			assert_int_not_equal(lookup(lo), id);
		memcpy(lo, name, n);
		lo[n] = 'x';
		lo[n + 1] = 0;
		assert_int_not_equal(lookup(lo), id);
	}
	assert_null(sipd_hdr_name(SIPD_HDR_OTHER));
	assert_null(sipd_hdr_name(SIPD_HDR__COUNT));
	assert_slice_n(((struct sipd_str){sipd_hdr_name(SIPD_HDR_CALL_ID), 7}), "Call-ID", 7);
	assert_int_equal(strcmp(sipd_hdr_name(SIPD_HDR_CSEQ), "CSeq"), 0);
	assert_int_equal(strcmp(sipd_hdr_name(SIPD_HDR_WWW_AUTHENTICATE), "WWW-Authenticate"), 0);
	assert_int_equal(lookup(""), SIPD_HDR_OTHER);
	assert_int_equal(lookup("Vias"), SIPD_HDR_OTHER);
	assert_int_equal(lookup("V i"), SIPD_HDR_OTHER);
	assert_int_equal(lookup("Content-Lengths"), SIPD_HDR_OTHER);
	assert_int_equal(lookup("Content_Length"), SIPD_HDR_OTHER);
	assert_int_equal(lookup("X-Very-Long-Extension-Header-Name-Beyond-32"), SIPD_HDR_OTHER);
}

/* §7.3.1: which headers are comma-separated lists. */
static void rfc3261_7_3_1_list_headers(void **state)
{
	(void)state;
	static const enum sipd_hdr_id lists[] = {
		SIPD_HDR_VIA,       SIPD_HDR_CONTACT,     SIPD_HDR_ROUTE,   SIPD_HDR_RECORD_ROUTE,
		SIPD_HDR_ACCEPT,    SIPD_HDR_ALLOW,       SIPD_HDR_REQUIRE, SIPD_HDR_PROXY_REQUIRE,
		SIPD_HDR_SUPPORTED, SIPD_HDR_UNSUPPORTED, SIPD_HDR_WARNING, SIPD_HDR_PATH,
	};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		assert_true(sipd_hdr_is_list(lists[i]));
	static const enum sipd_hdr_id single[] = {
		SIPD_HDR_FROM,    SIPD_HDR_TO,           SIPD_HDR_CALL_ID, SIPD_HDR_CSEQ,
		SIPD_HDR_SUBJECT, SIPD_HDR_CONTENT_TYPE, SIPD_HDR_DATE,    SIPD_HDR_OTHER,
	};
	for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
		assert_false(sipd_hdr_is_list(single[i]));
	assert_false(sipd_hdr_is_list(SIPD_HDR__COUNT));
}

/* Methods are case-sensitive tokens (§7.1). */
static void rfc3261_7_1_method_lookup(void **state)
{
	(void)state;
	for (int m = 1; m < SIPD_METHOD__COUNT; m++) {
		const char *name = sipd_method_name((enum sipd_method)m);
		assert_int_equal(sipd_method_lookup(name, strlen(name)), m);
	}
	assert_int_equal(sipd_method_lookup("invite", 6), SIPD_METHOD_OTHER);
	assert_int_equal(sipd_method_lookup("INVITEX", 7), SIPD_METHOD_OTHER);
	assert_int_equal(sipd_method_lookup("INVIT", 5), SIPD_METHOD_OTHER);
	assert_int_equal(sipd_method_lookup("", 0), SIPD_METHOD_OTHER);
	assert_string_equal(sipd_method_name(SIPD_METHOD_OTHER), "");
	assert_string_equal(sipd_method_name(SIPD_METHOD__COUNT), "");
}

/* Headers with the same id chain in message order; compact and full forms
 * are the same header (§7.3.3). */
static void rfc3261_7_3_1_find_and_chain(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram("OPTIONS sip:b@example.com SIP/2.0\r\n"
	                               "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
	                               "f: <sip:a@example.com>;tag=1\r\n"
	                               "t: <sip:b@example.com>\r\n"
	                               "i: x@y\r\n"
	                               "CSeq: 1 OPTIONS\r\n"
	                               "VIA: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
	                               "X-Foo: 1\r\n"
	                               "via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n"
	                               "x-foo: 2\r\n"
	                               "l: 0\r\n\r\n");
	assert_valid(p);
	const struct sipd_hdr *h = sipd_msg_find(&p->msg, SIPD_HDR_VIA);
	assert_non_null(h);
	assert_slice(h->name, "v");
	assert_int_equal(h->line, 2);
	h = sipd_msg_find_next(&p->msg, h);
	assert_slice(h->name, "VIA");
	assert_int_equal(h->line, 7);
	h = sipd_msg_find_next(&p->msg, h);
	assert_slice(h->name, "via");
	assert_int_equal(h->line, 9);
	assert_null(sipd_msg_find_next(&p->msg, h));
	assert_ptr_equal(sipd_msg_find_name(&p->msg, "Via"), sipd_msg_find(&p->msg, SIPD_HDR_VIA));
	assert_ptr_equal(sipd_msg_find_name(&p->msg, "V"), sipd_msg_find(&p->msg, SIPD_HDR_VIA));
	h = sipd_msg_find_name(&p->msg, "X-FOO");
	assert_non_null(h);
	assert_slice(h->value, "1");
	assert_null(sipd_msg_find_name(&p->msg, "X-Bar"));
	assert_null(sipd_msg_find(&p->msg, SIPD_HDR_ROUTE));
	assert_null(sipd_msg_find(&p->msg, SIPD_HDR__COUNT));
	assert_int_equal(p->msg.nhdrs, 10);
	assert_int_equal(p->msg.first[SIPD_HDR_ROUTE], SIPD_HDR_NONE);
	parsed_free(p);
}

/* Lists split at commas outside quotes, <> and comments (§7.3.1); the values
 * of several lines of the same header make one list. */
static void rfc3261_7_3_1_list_splitting(void **state)
{
	(void)state;
	struct parsed *p =
		parse_req_with("Contact: \"Doe, John\" <sip:j@a.example;x=\"a,b\">;q=0.5 "
	                       ",<sip:k@b.example;a=1,b>\r\n"
	                       "Contact: sip:l@c.example\r\n"
	                       "Warning: 399 h \"a, \\\"b, c\" , 399 h \"d\"\r\n"
	                       "Supported: a,b , c\r\n"
	                       " ,d\r\n"
	                       "Content-Length: 0\r\n");
	/* <sip:k@b.example;a=1,b> holds a ',' that the URI grammar forbids: the
	 * splitter keeps it whole, the check refuses it */
	assert_true(p->rc > 0);
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, &p->msg, SIPD_HDR_CONTACT);
	assert_true(sipd_hdr_iter_next(&it, &v));
	assert_slice(v, "\"Doe, John\" <sip:j@a.example;x=\"a,b\">;q=0.5");
	assert_int_equal(it.hdr->line, REQ_NEXT_LINE);
	assert_true(sipd_hdr_iter_next(&it, &v));
	assert_slice(v, "<sip:k@b.example;a=1,b>");
	assert_true(sipd_hdr_iter_next(&it, &v));
	assert_slice(v, "sip:l@c.example");
	assert_int_equal(it.hdr->line, REQ_NEXT_LINE + 1);
	assert_false(sipd_hdr_iter_next(&it, &v));
	assert_false(sipd_hdr_iter_next(&it, &v));

	sipd_hdr_iter_init(&it, &p->msg, SIPD_HDR_WARNING);
	assert_true(sipd_hdr_iter_next(&it, &v));
	assert_slice(v, "399 h \"a, \\\"b, c\"");
	assert_true(sipd_hdr_iter_next(&it, &v));
	assert_slice(v, "399 h \"d\"");
	assert_false(sipd_hdr_iter_next(&it, &v));

	sipd_hdr_iter_init(&it, &p->msg, SIPD_HDR_SUPPORTED);
	const char *want[] = {"a", "b", "c", "d"};
	for (int i = 0; i < 4; i++) {
		assert_true(sipd_hdr_iter_next(&it, &v));
		assert_true(sipd_str_eq(v, want[i]));
	}
	assert_false(sipd_hdr_iter_next(&it, &v));

	/* a header that is not a list is one value, commas and all */
	sipd_hdr_iter_init(&it, &p->msg, SIPD_HDR_CALL_ID);
	assert_true(sipd_hdr_iter_next(&it, &v));
	assert_false(sipd_hdr_iter_next(&it, &v));
	/* no such header */
	sipd_hdr_iter_init(&it, &p->msg, SIPD_HDR_ROUTE);
	assert_false(sipd_hdr_iter_next(&it, &v));
	assert_int_not_equal(p->check, 0);
	parsed_free(p);
}

/* The splitter itself: parentheses nest, a quoted-pair hides a quote,
 * empty elements come back empty, the trailing one included. */
static void rfc3261_7_3_1_list_next_elements(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *out[6];
	} cases[] = {
		{"a, b,c", {"a", "b", "c"}},
		{"  a  ", {"a"}},
		{"", {NULL}},
		{" \r\n ", {NULL}},
		{"(x, (y, z)) a, b", {"(x, (y, z)) a", "b"}},
		{"\"x\\\", y\", z", {"\"x\\\", y\"", "z"}},
		{"<a,b>;c=\"d,e\", f", {"<a,b>;c=\"d,e\"", "f"}},
		{"a,,b", {"a", "", "b"}},
		{"a,", {"a", ""}},
		{"a, \r\n ", {"a", ""}},
		{",", {""}},
		{", a", {"", "a"}},
		{"\"unterminated, x", {"\"unterminated, x"}},
		{"<unterminated, x", {"<unterminated, x"}},
		{"a) , b", {"a)", "b"}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *b = dup_exact(cases[i].in, strlen(cases[i].in));
		struct sipd_str s = {b, strlen(cases[i].in)}, e;
		size_t k = 0;
		while (sipd_lex_list_next(&s, &e)) {
			assert_true(k < 6);
			if (!cases[i].out[k] || !sipd_str_eq(e, cases[i].out[k]))
				fail_msg("'%s': element %zu is '%.*s', expected '%s'", cases[i].in,
				         k, (int)e.len, e.p,
				         cases[i].out[k] ? cases[i].out[k] : "(end)");
			k++;
		}
		if (cases[i].out[k])
			fail_msg("'%s': %zu elements, missing '%s'", cases[i].in, k,
			         cases[i].out[k]);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_7_3_3_compact_forms),
		cmocka_unit_test(rfc6665_8_2_extension_compact_forms),
		cmocka_unit_test(rfc3841_9_other_compact_forms),
		cmocka_unit_test(rfc3261_7_3_1_names_case_insensitive),
		cmocka_unit_test(rfc3261_7_3_1_list_headers),
		cmocka_unit_test(rfc3261_7_1_method_lookup),
		cmocka_unit_test(rfc3261_7_3_1_find_and_chain),
		cmocka_unit_test(rfc3261_7_3_1_list_splitting),
		cmocka_unit_test(rfc3261_7_3_1_list_next_elements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
