/* The builder (src/msg/build.c): bounded output buffers, start lines and
 * headers, the response head of RFC 3261 §8.2.6, and sipd_msg_print()'s
 * canonical form, which parses back to the same message. */
#include "msg_test.h"

/* Builds into a buffer of exactly cap octets on the heap (ASan sees any
 * write past it). */
struct out {
	char *mem;
	struct sipd_buf b;
};

static void out_init(struct out *o, size_t cap)
{
	o->mem = malloc(cap ? cap : 1);
	assert_non_null(o->mem);
	sipd_buf_init(&o->b, o->mem, cap);
}

/* Whether the built output contains lit. */
static bool has(const struct out *o, const char *lit)
{
	size_t n = strlen(lit), len = o->b.len;
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(o->mem + i, lit, n))
			return true;
	return false;
}

#define assert_built(o, lit)                                                                       \
	do {                                                                                       \
		long bn_ = sipd_buf_result(&(o)->b);                                               \
		if (bn_ < 0)                                                                       \
			fail_msg("overflow");                                                      \
		assert_slice_n(((struct sipd_str){(o)->mem, (size_t)bn_}), lit, sizeof(lit) - 1);  \
	} while (0)

static void builder_buffer_bounds(void **state)
{
	(void)state;
	struct out o;
	out_init(&o, 8);
	sipd_buf_puts(&o.b, "abc");
	sipd_buf_putu(&o.b, 0);
	sipd_buf_put(&o.b, "", 0);
	assert_built(&o, "abc0");
	sipd_buf_puts(&o.b, "defg"); /* 8 exactly */
	assert_int_equal(sipd_buf_result(&o.b), 8);
	sipd_buf_puts(&o.b, "h");
	assert_true(o.b.overflow);
	assert_int_equal(sipd_buf_result(&o.b), SIPD_ENOSPC);
	sipd_buf_puts(&o.b, ""); /* stays in overflow */
	assert_int_equal(sipd_buf_result(&o.b), SIPD_ENOSPC);
	free(o.mem);

	out_init(&o, 20);
	sipd_buf_putu(&o.b, UINT64_MAX);
	assert_built(&o, "18446744073709551615");
	free(o.mem);

	out_init(&o, 0);
	sipd_buf_putstr(&o.b, SIPD_STR_NULL);
	assert_int_equal(sipd_buf_result(&o.b), 0);
	sipd_buf_puts(&o.b, "x");
	assert_int_equal(sipd_buf_result(&o.b), SIPD_ENOSPC);
	free(o.mem);
}

static void rfc3261_7_build_lines(void **state)
{
	(void)state;
	struct out o;
	out_init(&o, 512);
	sipd_build_request_line(&o.b, (struct sipd_str){"INVITE", 6},
	                        (struct sipd_str){"sip:bob@biloxi.com", 18});
	sipd_build_header(&o.b, "Max-Forwards", (struct sipd_str){"70", 2});
	sipd_build_header_uint(&o.b, "CSeq", 314159);
	sipd_build_body(&o.b, "application/sdp", (struct sipd_str){"v=0\r\n", 5});
	assert_built(&o, "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "CSeq: 314159\r\n"
	                 "Content-Type: application/sdp\r\n"
	                 "Content-Length: 5\r\n"
	                 "\r\n"
	                 "v=0\r\n");
	free(o.mem);

	out_init(&o, 512);
	sipd_build_status_line(&o.b, 486, NULL);
	sipd_build_status_line(&o.b, 200, "Fine");
	sipd_build_status_line(&o.b, 299, NULL);
	sipd_build_body(&o.b, NULL, SIPD_STR_NULL);
	assert_built(&o, "SIP/2.0 486 Busy Here\r\n"
	                 "SIP/2.0 200 Fine\r\n"
	                 "SIP/2.0 299 \r\n"
	                 "Content-Length: 0\r\n"
	                 "\r\n");
	free(o.mem);
}

/* §21: the default phrases. */
static void rfc3261_21_reason_phrases(void **state)
{
	(void)state;
	assert_string_equal(sipd_reason_phrase(100), "Trying");
	assert_string_equal(sipd_reason_phrase(180), "Ringing");
	assert_string_equal(sipd_reason_phrase(200), "OK");
	assert_string_equal(sipd_reason_phrase(400), "Bad Request");
	assert_string_equal(sipd_reason_phrase(416), "Unsupported URI Scheme");
	assert_string_equal(sipd_reason_phrase(420), "Bad Extension");
	assert_string_equal(sipd_reason_phrase(481), "Call/Transaction Does Not Exist");
	assert_string_equal(sipd_reason_phrase(483), "Too Many Hops");
	assert_string_equal(sipd_reason_phrase(501), "Not Implemented");
	assert_string_equal(sipd_reason_phrase(505), "Version Not Supported");
	assert_string_equal(sipd_reason_phrase(513), "Message Too Large");
	assert_string_equal(sipd_reason_phrase(603), "Decline");
	assert_string_equal(sipd_reason_phrase(0), "");
	assert_string_equal(sipd_reason_phrase(299), "");
	assert_string_equal(sipd_reason_phrase(1000), "");
	for (unsigned c = 100; c < 700; c++)
		assert_non_null(sipd_reason_phrase(c));
}

static const char request[] = "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
			      "v: SIP/2.0/UDP   pc33.atlanta.com;branch=z9hG4bKnashds8,\r\n"
			      "  SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
			      "Max-Forwards: 70\r\n"
			      "VIA: SIP/2.0/TCP p2.example.com;branch=z9hG4bK2\r\n"
			      "t: Bob\r\n <sip:bob@biloxi.com>\r\n"
			      "f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
			      "i: a84b4c76e66710\r\n"
			      "CSeq:   314159   INVITE\r\n"
			      "Timestamp: 54.2 1\r\n"
			      "Contact: <sip:alice@pc33.atlanta.com>\r\n"
			      "l: 0\r\n\r\n";

static long head_of(struct parsed *req, struct out *o, size_t cap, unsigned code,
                    const char *to_tag)
{
	out_init(o, cap);
	sipd_build_response_head(&o->b, &req->msg, code, NULL,
	                         to_tag ? (struct sipd_str){to_tag, strlen(to_tag)}
	                                : SIPD_STR_NULL,
	                         NULL);
	sipd_build_body(&o->b, NULL, SIPD_STR_NULL);
	return sipd_buf_result(&o->b);
}

/* §8.2.6.2: Vias in order, From, To (tag added when absent), Call-ID, CSeq;
 * compact forms expanded, folds collapsed. */
static void rfc3261_8_2_6_2_response_head(void **state)
{
	(void)state;
	struct parsed *req = parse_dgram(request);
	assert_valid(req);
	struct out o;
	head_of(req, &o, 1024, 486, "a6c85cf");
	assert_built(&o, "SIP/2.0 486 Busy Here\r\n"
	                 "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP "
	                 "p1.example.com;branch=z9hG4bK1\r\n"
	                 "Via: SIP/2.0/TCP p2.example.com;branch=z9hG4bK2\r\n"
	                 "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
	                 "To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
	                 "Call-ID: a84b4c76e66710\r\n"
	                 "CSeq: 314159 INVITE\r\n"
	                 "Content-Length: 0\r\n"
	                 "\r\n");
	/* it parses, and is the response to the request */
	struct parsed *rsp = parse_n(o.mem, (size_t)sipd_buf_result(&o.b), SIPD_FRAME_STREAM, NULL);
	assert_valid(rsp);
	assert_int_equal(rsp->msg.status, 486);
	assert_slice(rsp->msg.via.branch, "z9hG4bKnashds8");
	assert_slice(rsp->msg.to.tag, "a6c85cf");
	assert_slice(rsp->msg.from.tag, "1928301774");
	parsed_free(rsp);
	free(o.mem);

	/* a custom reason phrase */
	out_init(&o, 1024);
	sipd_build_response_head(&o.b, &req->msg, 200, "Very OK", SIPD_STR_NULL, NULL);
	assert_int_equal(memcmp(o.mem, "SIP/2.0 200 Very OK\r\n", 21), 0);
	free(o.mem);
	parsed_free(req);
}

/* §8.2.6.2: a To that has a tag keeps it, no second one; no tag asked, none
 * added. */
static void rfc3261_8_2_6_2_to_tag_only_when_absent(void **state)
{
	(void)state;
	struct parsed *req = parse_req_with("");
	assert_valid(req);
	struct out o;
	head_of(req, &o, 1024, 200, NULL);
	assert_true(has(&o, "\r\nTo: <sip:bob@example.com>\r\n"));
	free(o.mem);

	struct parsed *indialog = parse_dgram("BYE sip:bob@example.com SIP/2.0\r\n"
	                                      "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                                      "From: <sip:a@example.com>;tag=1\r\n"
	                                      "To: <sip:b@example.com> ; tag = 2\r\n"
	                                      "Call-ID: c1\r\n"
	                                      "CSeq: 2 BYE\r\n\r\n");
	assert_valid(indialog);
	head_of(indialog, &o, 1024, 200, "other");
	assert_true(has(&o, "\r\nTo: <sip:b@example.com> ; tag = 2\r\n"));
	assert_false(has(&o, "other"));
	free(o.mem);
	parsed_free(indialog);
	parsed_free(req);
}

/* §8.2.6.1: a 100 copies the Timestamp and gets no To tag. */
static void rfc3261_8_2_6_1_trying(void **state)
{
	(void)state;
	struct parsed *req = parse_dgram(request);
	struct out o;
	head_of(req, &o, 1024, 100, "a6c85cf");
	assert_true(has(&o, "SIP/2.0 100 Trying\r\n"));
	assert_true(has(&o, "\r\nTo: Bob <sip:bob@biloxi.com>\r\n"));
	assert_true(has(&o, "\r\nTimestamp: 54.2 1\r\n"));
	assert_false(has(&o, "a6c85cf"));
	free(o.mem);
	/* not on other responses */
	head_of(req, &o, 1024, 180, "a6c85cf");
	assert_false(has(&o, "Timestamp"));
	assert_true(has(&o, ";tag=a6c85cf\r\n"));
	free(o.mem);
	parsed_free(req);
}

/* Overflow is reported once, as SIPD_ENOSPC, at every capacity short of the
 * whole; nothing is written past the buffer. */
static void rfc3261_8_2_6_response_head_overflow(void **state)
{
	(void)state;
	struct parsed *req = parse_dgram(request);
	struct out o;
	long full = head_of(req, &o, 4096, 180, "x");
	assert_true(full > 0);
	free(o.mem);
	for (long cap = 0; cap < full; cap++) {
		assert_int_equal(head_of(req, &o, (size_t)cap, 180, "x"), SIPD_ENOSPC);
		free(o.mem);
	}
	assert_int_equal(head_of(req, &o, (size_t)full, 180, "x"), full);
	free(o.mem);
	parsed_free(req);
}

static bool slice_eq(struct sipd_str a, struct sipd_str b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

/* Two parses of the same message agree on everything but the slices'
 * addresses and the LWS inside values. */
static void same_structure(const struct sipd_msg *a, const struct sipd_msg *b)
{
	assert_int_equal(a->is_request, b->is_request);
	assert_int_equal(a->method, b->method);
	assert_true(slice_eq(a->method_name, b->method_name));
	assert_true(slice_eq(a->ruri.raw, b->ruri.raw));
	assert_int_equal(a->status, b->status);
	assert_true(slice_eq(a->reason, b->reason));
	assert_int_equal(a->nhdrs, b->nhdrs);
	for (uint16_t i = 0; i < a->nhdrs; i++) {
		assert_int_equal(a->hdrs[i].id, b->hdrs[i].id);
		/* values equal once every LWS run is one SP */
		char x[4096], y[4096];
		struct sipd_buf bx, by;
		sipd_buf_init(&bx, x, sizeof x);
		sipd_buf_init(&by, y, sizeof y);
		struct sipd_hdr ha = a->hdrs[i], hb = b->hdrs[i];
		ha.name = hb.name = (struct sipd_str){"X", 1};
		ha.id = hb.id = SIPD_HDR_OTHER;
		struct sipd_msg ma = {.hdrs = &ha, .nhdrs = 1}, mb = {.hdrs = &hb, .nhdrs = 1};
		ma.is_request = mb.is_request = false;
		sipd_msg_print(&bx, &ma);
		sipd_msg_print(&by, &mb);
		assert_int_equal(sipd_buf_result(&bx), sipd_buf_result(&by));
		assert_memory_equal(x, y, bx.len);
	}
	assert_int_equal(a->body.len, b->body.len);
	if (a->body.len)
		assert_memory_equal(a->body.p, b->body.p, a->body.len);
	assert_int_equal(a->max_forwards, b->max_forwards);
	assert_int_equal(a->content_length, b->content_length);
	assert_int_equal(a->cseq.seq, b->cseq.seq);
	assert_true(slice_eq(a->call_id, b->call_id));
	assert_true(a->to.tag.len == b->to.tag.len && a->from.tag.len == b->from.tag.len);
}

/* Prints a parsed message; returns the heap copy of the output. */
static char *print(const struct sipd_msg *m, size_t *len)
{
	size_t cap = m->len * 2 + 256;
	char *mem = malloc(cap);
	struct sipd_buf b;
	sipd_buf_init(&b, mem, cap);
	sipd_msg_print(&b, m);
	long n = sipd_buf_result(&b);
	assert_true(n > 0);
	*len = (size_t)n;
	char *exact = dup_exact(mem, *len);
	free(mem);
	return exact;
}

/* The canonical form: full names as the RFC writes them, one SP after the
 * colon, folds and LWS runs collapsed, unknown names as they came. */
static void rfc3261_7_3_1_print_canonical_form(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram("OPTIONS sip:b@example.com SIP/2.0\r\n"
	                               "v:  SIP/2.0/UDP\r\n  h.example.com ;branch=z9hG4bK1\r\n"
	                               "MAX-FORWARDS :70\r\n"
	                               "f: <sip:a@example.com>;tag=1\r\n"
	                               "T:\t<sip:b@example.com>\r\n"
	                               "i: c1\r\n"
	                               "cseq: 1 OPTIONS\r\n"
	                               "s:\r\n"
	                               "x-CUSTOM:   a \t b  \r\n"
	                               "k: timer, 100rel\r\n"
	                               "Content-Length: 3\r\n\r\nabc");
	assert_valid(p);
	size_t n;
	char *text = print(&p->msg, &n);
	static const char want[] = "OPTIONS sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h.example.com ;branch=z9hG4bK1\r\n"
				   "Max-Forwards: 70\r\n"
				   "From: <sip:a@example.com>;tag=1\r\n"
				   "To: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\n"
				   "CSeq: 1 OPTIONS\r\n"
				   "Subject: \r\n"
				   "x-CUSTOM: a b\r\n"
				   "Supported: timer, 100rel\r\n"
				   "Content-Length: 3\r\n"
				   "\r\n"
				   "abc";
	assert_slice_n(((struct sipd_str){text, n}), want, sizeof want - 1);
	free(text);
	parsed_free(p);
}

/* Print, parse again, print again: same structure, same bytes; for every
 * valid torture message. */
static void rfc3261_7_3_1_print_round_trip_torture(void **state)
{
	(void)state;
	static const char *const files[] = {
		"wsinv.dat",
		"intmeth.dat",
		"esc01.dat",
		"escnull.dat",
		"esc02.dat",
		"lwsdisp.dat",
		"longreq.dat",
		"dblreq.dat",
		"semiuri.dat",
		"transports.dat",
		"mpart01.dat",
		"unreason.dat",
		"noreason.dat",
		"badbranch.dat",
		"unkscm.dat",
		"novelsc.dat",
		"unksm2.dat",
		"bext01.dat",
		"invut.dat",
		"regaut01.dat",
		"bcast.dat",
		"zeromf.dat",
		"cparam01.dat",
		"cparam02.dat",
		"regescrt.dat",
		"sdp01.dat",
		"inv2543.dat",
		"ipv6/ipv6-good.dat",
		"ipv6/port-ambiguous.dat",
		"ipv6/ipv4-mapped-ipv6.dat",
		"ipv6/via-received-param-no-delim.dat",
		"ipv6/mult-ip-in-header.dat",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len;
		char *buf = read_torture(files[i], &len);
		struct parsed *a = parse_n(buf, len, SIPD_FRAME_DATAGRAM, NULL);
		free(buf);
		if (a->rc <= 0 || a->check)
			fail_msg("%s: %s", files[i], a->err.what);
		size_t n1, n2;
		char *t1 = print(&a->msg, &n1);
		struct parsed *b = parse_n(t1, n1, SIPD_FRAME_DATAGRAM, NULL);
		if (b->rc <= 0 || b->check)
			fail_msg("%s printed does not parse: %s at line %u, column %u", files[i],
			         b->err.what, b->err.line, b->err.column);
		assert_int_equal((size_t)b->rc, n1);
		same_structure(&a->msg, &b->msg);
		char *t2 = print(&b->msg, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(t1, t2, n1);
		/* no folds and no compact names are left */
		for (uint16_t k = 0; k < b->msg.nhdrs; k++) {
			assert_null(memchr(b->msg.hdrs[k].value.p, '\n', b->msg.hdrs[k].value.len));
			if (b->msg.hdrs[k].id != SIPD_HDR_OTHER)
				assert_true(sipd_str_eq(
					b->msg.hdrs[k].name,
					sipd_hdr_name((enum sipd_hdr_id)b->msg.hdrs[k].id)));
		}
		free(t1);
		free(t2);
		parsed_free(a);
		parsed_free(b);
	}
}

/* A buffer too small for the print reports SIPD_ENOSPC. */
static void rfc3261_7_print_overflow(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram(request);
	struct out o;
	out_init(&o, 64);
	sipd_msg_print(&o.b, &p->msg);
	assert_int_equal(sipd_buf_result(&o.b), SIPD_ENOSPC);
	free(o.mem);
	parsed_free(p);
}

/* §18.2.1 and RFC 3581 §4: the top Via of a response gets `received` when
 * the source address is not the sent-by host, or whenever rport was asked,
 * and an empty rport the source port; other Vias, and the other values of
 * the first Via line, go as they came. */
static const char *top_via_for(const char *via, const char *addr, uint16_t port, char *out,
                               size_t cap)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "OPTIONS sip:b@example.com SIP/2.0\r\n%s\r\nVia: SIP/2.0/UDP p2;branch=z9hG4bK2;rport\r\n"
	         "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
	         "Call-ID: v1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	         via);
	struct parsed *req = parse_dgram(text);
	assert_valid(req);
	struct out o;
	out_init(&o, 2048);
	struct sipd_via_source src = {{addr, strlen(addr)}, port};
	sipd_build_response_head(&o.b, &req->msg, 200, NULL, SIPD_STR_NULL, &src);
	sipd_build_body(&o.b, NULL, SIPD_STR_NULL);
	assert_true(sipd_buf_result(&o.b) > 0);
	/* it parses, and is still the response to the request */
	struct parsed *rsp = parse_n(o.mem, o.b.len, SIPD_FRAME_DATAGRAM, NULL);
	assert_valid(rsp);
	assert_true(sipd_str_eq(rsp->msg.via.branch, "z9hG4bK1"));
	const char *l = strstr(o.mem, "\r\nVia: ") + 2;
	size_t n = (size_t)(strstr(l, "\r\n") - l);
	assert_true(n < cap);
	memcpy(out, l, n);
	out[n] = 0;
	/* the second Via line as it came */
	assert_non_null(strstr(o.mem, "\r\nVia: SIP/2.0/UDP p2;branch=z9hG4bK2;rport\r\n"));
	parsed_free(rsp);
	parsed_free(req);
	free(o.mem);
	return out;
}

static void rfc3581_4_received_and_rport_in_responses(void **state)
{
	(void)state;
	char v[512];
	/* rport asked: its value, and received even when the host is the same */
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport",
	                                "203.0.113.5", 40000, v, sizeof v),
	                    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=40000;received=203.0.113.5");
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP 203.0.113.5;rport;branch=z9hG4bK1",
	                                "203.0.113.5", 5062, v, sizeof v),
	                    "Via: SIP/2.0/UDP 203.0.113.5;rport=5062;branch=z9hG4bK1;received=203.0.113.5");
	/* an rport with a value is left; received is added */
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1;rport=7",
	                                "192.0.2.9", 5060, v, sizeof v),
	                    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1;rport=7;received=192.0.2.9");
	/* no rport: received only when the host differs (§18.2.1) */
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK1",
	                                "192.0.2.9", 5070, v, sizeof v),
	                    "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK1");
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP [2001:DB8::9];branch=z9hG4bK1",
	                                "2001:db8::9", 5060, v, sizeof v),
	                    "Via: SIP/2.0/UDP [2001:DB8::9];branch=z9hG4bK1");
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1",
	                                "2001:db8::9", 5060, v, sizeof v),
	                    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=2001:db8::9");
	/* several values on the first line: only the first is marked */
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
	                                "SIP/2.0/UDP b.example.com;branch=z9hG4bK0;rport",
	                                "192.0.2.9", 5060, v, sizeof v),
	                    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=192.0.2.9, "
	                    "SIP/2.0/UDP b.example.com;branch=z9hG4bK0;rport");
	/* a received already there is kept as it is */
	assert_string_equal(top_via_for("Via: SIP/2.0/UDP a.example.com;received=192.0.2.1;branch=z9hG4bK1",
	                                "192.0.2.9", 5060, v, sizeof v),
	                    "Via: SIP/2.0/UDP a.example.com;received=192.0.2.1;branch=z9hG4bK1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3581_4_received_and_rport_in_responses),
		cmocka_unit_test(builder_buffer_bounds),
		cmocka_unit_test(rfc3261_7_build_lines),
		cmocka_unit_test(rfc3261_21_reason_phrases),
		cmocka_unit_test(rfc3261_8_2_6_2_response_head),
		cmocka_unit_test(rfc3261_8_2_6_2_to_tag_only_when_absent),
		cmocka_unit_test(rfc3261_8_2_6_1_trying),
		cmocka_unit_test(rfc3261_8_2_6_response_head_overflow),
		cmocka_unit_test(rfc3261_7_3_1_print_canonical_form),
		cmocka_unit_test(rfc3261_7_3_1_print_round_trip_torture),
		cmocka_unit_test(rfc3261_7_print_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
