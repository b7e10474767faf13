/* Every message of RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture
 * tests) as a test: the verdict and reason the RFC gives, the facts an upper
 * layer needs, and the same verdict through the stream framer and the stream
 * reassembler fed in one piece, byte by byte and in random pieces.
 *
 * Each row names the section of the RFC that discusses the message. Where the
 * RFC lets a parser be liberal or strict, the row's note says what we do. */
#include "msg_test.h"

enum stage {
	VALID,    /* sipd_msg_parse() and sipd_msg_check() succeed */
	AT_PARSE, /* sipd_msg_parse() rejects it */
	AT_CHECK, /* sipd_msg_parse() takes it, sipd_msg_check() rejects it */
};

/* What a byte stream (TCP) makes of the file's bytes. */
enum stream_verdict {
	S_SAME,  /* one message, the whole file, with the datagram's verdict */
	S_TWO,   /* two messages (dblreq) */
	S_AGAIN, /* never complete: Content-Length beyond the end, or no empty line */
	S_FRAME, /* the framer refuses it: Content-Length missing, bad or repeated */
};

struct row {
	const char *test; /* test name: RFC and section */
	const char *file; /* under tests/torture */
	enum stage stage;
	uint16_t status;    /* for rejections: the response the RFC names */
	uint32_t line;      /* for rejections: the line of the fault */
	const char *reason; /* for rejections: a piece of err.what */
	enum stream_verdict stream;
	void (*facts)(const struct sipd_msg *m, size_t file_len);
};

/* ------------------------------------------------------------------ helpers */

static struct sipd_nameaddr nameaddr_of(struct sipd_str v)
{
	struct sipd_nameaddr na;
	struct sipd_parse_error err;
	assert_int_equal(sipd_nameaddr_parse(&na, v, false, &err), 0);
	return na;
}

/* The n-th value (0-based) of a header id across all its lines. */
static struct sipd_str nth_value(const struct sipd_msg *m, enum sipd_hdr_id id, unsigned n)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, m, id);
	for (unsigned i = 0; sipd_hdr_iter_next(&it, &v); i++)
		if (i == n)
			return v;
	fail_msg("header %d has no value %u", id, n);
	return SIPD_STR_NULL;
}

static unsigned count_values(const struct sipd_msg *m, enum sipd_hdr_id id)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	unsigned n = 0;
	sipd_hdr_iter_init(&it, m, id);
	while (sipd_hdr_iter_next(&it, &v))
		n++;
	return n;
}

static struct sipd_via via_of(const struct sipd_msg *m, unsigned n)
{
	struct sipd_via via;
	assert_int_equal(sipd_via_parse(&via, nth_value(m, SIPD_HDR_VIA, n), NULL), 0);
	return via;
}

static struct sipd_str param(struct sipd_str params, const char *name)
{
	struct sipd_str v;
	if (sipd_param_find(params, name, &v))
		fail_msg("parameter %s not found", name);
	return v;
}

/* --------------------------------------------- RFC 4475 §3.1.1, valid messages */

/* §3.1.1.1 wsinv: folding, LWS around every separator, odd case, compact and
 * long forms mixed, unknown headers kept as they are. */
static void facts_wsinv(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_true(m->is_request);
	assert_int_equal(m->method, SIPD_METHOD_INVITE);
	assert_slice(m->ruri.user, "vivekg");
	assert_slice(m->ruri.host, "chair-dnrc.example.com");
	assert_slice(m->ruri.params, "unknownparam");
	/* To: on a folded line, LWS around ';' and '=' */
	assert_slice(m->to.uri.raw, "sip:vivekg@chair-dnrc.example.com");
	assert_slice(m->to.tag, "1918181833n");
	assert_absent(m->to.display);
	assert_false(m->to.angle);
	/* From: quoted display name with escapes, tag after a folded ';' */
	assert_slice(m->from.display, "J Rosenberg \\\\\\\"");
	char dn[64];
	struct sipd_str quoted = {m->from.display.p - 1, m->from.display.len + 2};
	int n = sipd_unquote(quoted, dn, sizeof dn);
	assert_int_equal(n, 14);
	assert_memory_equal(dn, "J Rosenberg \\\"", 14);
	assert_slice(m->from.tag, "98asjd8");
	/* integers with leading zeros; CSeq folded between number and method */
	assert_int_equal(m->max_forwards, 68);
	assert_int_equal(m->cseq.seq, 9);
	assert_int_equal(m->cseq.method, SIPD_METHOD_INVITE);
	assert_slice(m->call_id, "wsinv.ndaksdj@192.0.2.1");
	assert_int_equal(m->content_length, 150);
	assert_int_equal(m->body.len, 150);
	/* header names in any case, LWS before the colon */
	assert_slice(m->hdrs[m->first[SIPD_HDR_MAX_FORWARDS]].name, "MaX-fOrWaRdS");
	assert_slice(m->hdrs[m->first[SIPD_HDR_TO]].name, "TO");
	/* Via: folded sent-protocol with LWS around the slashes */
	assert_slice(m->via.transport, "UDP");
	assert_slice(m->via.host, "192.0.2.2");
	assert_slice(m->via.branch, "390skdjuw");
	assert_int_equal(count_values(m, SIPD_HDR_VIA), 3);
	struct sipd_via v1 = via_of(m, 1), v2 = via_of(m, 2);
	assert_slice(v1.transport, "TCP");
	assert_slice(v1.host, "spindle.example.com");
	assert_slice(v1.branch, "z9hG4bK9ikj8");
	assert_slice(v2.transport, "UDP");
	assert_slice(v2.host, "192.168.255.111");
	assert_slice(v2.branch, "z9hG4bK30239");
	/* an empty Subject, in compact form */
	const struct sipd_hdr *s = sipd_msg_find(m, SIPD_HDR_SUBJECT);
	assert_non_null(s);
	assert_slice(s->name, "s");
	assert_int_equal(s->value.len, 0);
	/* unknown headers: kept whole, folds included */
	const struct sipd_hdr *nf = sipd_msg_find_name(m, "newfangledheader");
	assert_non_null(nf);
	assert_int_equal(nf->id, SIPD_HDR_OTHER);
	assert_slice(nf->value, "newfangled value\r\n continued newfangled value");
	const struct sipd_hdr *uu = sipd_msg_find_name(m, "UnknownHeaderWithUnusualValue");
	assert_non_null(uu);
	assert_slice(uu->value, ";;,,;;,;");
	/* Route: unknown URI parameters with and without value */
	struct sipd_nameaddr route = nameaddr_of(hdr_value(m, SIPD_HDR_ROUTE));
	assert_slice(route.uri.params, "lr;unknownwith=value;unknown-no-value");
	/* Contact ("m"): quoted display with escaped quotes, folded params */
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_slice(c.display, "Quoted string \\\"\\\"");
	assert_slice(c.uri.raw, "sip:jdrosen@example.com");
	assert_slice(param(c.params, "newparam"), "newvalue");
	assert_absent(param(c.params, "secondparam"));
	assert_int_equal(sipd_contact_q(&c), 330);
}

/* §3.1.1.2 intmeth: every token character in the method, user, password,
 * branch, tag and header name; quoted-pairs of BEL, NUL and DEL. */
static void facts_intmeth(const struct sipd_msg *m, size_t len)
{
	(void)len;
	static const char method[] = "!interesting-Method0123456789_*+`.%indeed'~";
	assert_int_equal(m->method, SIPD_METHOD_OTHER);
	assert_slice(m->method_name, method);
	assert_slice(m->cseq.method_name, method);
	assert_int_equal(m->cseq.seq, 139122385);
	assert_int_equal(m->ruri.kind, SIPD_URI_SIP);
	assert_slice(m->ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_slice(m->ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	assert_slice(m->ruri.host, "example.com");
	assert_slice(m->via.branch, "z9hG4bK-.!%66*_+`'~");
	assert_slice(m->to.display, "BEL:\\\x07 NUL:\\\0 DEL:\\\x7f");
	char dn[32];
	struct sipd_str q = {m->to.display.p - 1, m->to.display.len + 2};
	assert_int_equal(sipd_unquote(q, dn, sizeof dn), 17);
	assert_memory_equal(dn, "BEL:\x07 NUL:\0 DEL:\x7f", 17);
	assert_slice(m->to.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_slice(m->from.display, "token1~` token2'+_ token3*%!.-");
	assert_slice(m->from.tag, "_token~1'+`*%!-.");
	assert_slice(param(m->from.params, "fromParam''~+*_!.-%"),
	             "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8"
	             "\xd0\xb9\"");
	assert_slice(m->call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	assert_int_equal(m->max_forwards, 255);
	const struct sipd_hdr *x = sipd_msg_find_name(m, "extensionHeader-!.%*+_`'~");
	assert_non_null(x);
	assert_int_equal(x->id, SIPD_HDR_OTHER);
	assert_slice(x->value, "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
}

/* §3.1.1.3 esc01: %-escapes are kept as they are in every URI part. */
static void facts_esc01(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.user, "sips%3Auser%40example.com");
	assert_slice(m->ruri.host, "example.net");
	assert_slice(m->to.uri.user, "%75se%72");
	assert_slice(m->from.uri.user, "I%20have%20spaces");
	assert_slice(m->call_id, "esc01.239409asdfakjkn23onasd0-3234");       /* i: */
	assert_slice(hdr_value(m, SIPD_HDR_CONTENT_TYPE), "application/sdp"); /* C: */
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_slice(c.uri.user, "cal%6Cer");
	assert_slice(c.uri.params, "%6C%72;n%61me=v%61lue%25%34%31");
	assert_int_equal(m->body.len, 150);
}

/* §3.1.1.4 escnull: %00 in user parts; two distinct Contacts. */
static void facts_escnull(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->method, SIPD_METHOD_REGISTER);
	assert_slice(m->to.uri.user, "null-%00-null");
	assert_slice(m->from.uri.user, "null-%00-null");
	assert_int_equal(count_values(m, SIPD_HDR_CONTACT), 2);
	assert_slice(nameaddr_of(nth_value(m, SIPD_HDR_CONTACT, 0)).uri.user, "%00");
	assert_slice(nameaddr_of(nth_value(m, SIPD_HDR_CONTACT, 1)).uri.user, "%00%00");
	assert_int_equal(m->content_length, 0); /* L:0 */
}

/* §3.1.1.5 esc02: % is not an escape in a method, a display name, a branch or
 * a header name. */
static void facts_esc02(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->method, SIPD_METHOD_OTHER);
	assert_slice(m->method_name, "RE%47IST%45R");
	assert_slice(m->to.display, "%Z%45");
	assert_slice(m->from.display, "%Z%45");
	assert_slice(m->via.branch, "z9hG4bK209%fzsnel234");
	/* two Contact values, not three: "C%6Fntact" is another header */
	assert_int_equal(count_values(m, SIPD_HDR_CONTACT), 2);
	const struct sipd_hdr *other = sipd_msg_find_name(m, "C%6Fntact");
	assert_non_null(other);
	assert_int_equal(other->id, SIPD_HDR_OTHER);
}

/* §3.1.1.6 lwsdisp: no LWS between a token display name and '<'. RFC 3261's
 * grammar asks for it, RFC 4475 calls that a bug: accepted. */
static void facts_lwsdisp(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->from.display, "caller");
	assert_slice(m->from.uri.raw, "sip:caller@example.com");
	assert_slice(m->from.tag, "323");
}

/* §3.1.1.7 longreq: long names, values and many Via values. */
static void facts_longreq(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->to.uri.port, 6000);
	assert_true(m->to.display.len > 100);
	assert_int_equal(m->from.tag.len, 155);
	assert_int_equal(m->from.tag.p[0], '1');
	assert_slice(m->via.host, "sip33.example.com");
	assert_int_equal(count_values(m, SIPD_HDR_VIA), 34);
	struct sipd_via last = via_of(m, 33);
	assert_slice(last.host, "host.example.com");
	assert_slice(last.received, "192.0.2.5");
	assert_int_equal(last.branch.len, strlen("very") + 50 * 4 + strlen("branchvalue"));
	assert_int_equal(m->content_length, 150);
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_int_equal(c.uri.user.len, 5 * strlen("amazinglylongcallername"));
}

/* §3.1.1.8 dblreq: a datagram's octets beyond Content-Length are ignored
 * (RFC 3261 §18.3): only the REGISTER is parsed. */
static void facts_dblreq(const struct sipd_msg *m, size_t len)
{
	assert_int_equal(m->method, SIPD_METHOD_REGISTER);
	assert_int_equal(m->content_length, 0);
	assert_int_equal(m->body.len, 0);
	assert_int_equal(m->len, 300); /* of 750 octets in the datagram */
	assert_true(m->len <= len);
	assert_null(sipd_msg_find(m, SIPD_HDR_CONTENT_TYPE));
}

/* §3.1.1.9 semiuri: the user part holds ';' and an escaped '@'. */
static void facts_semiuri(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.user, "user;par=u%40example.net");
	assert_slice(m->ruri.host, "example.com");
	assert_absent(m->ruri.params);
	assert_int_equal(count_values(m, SIPD_HDR_ACCEPT), 6);
	assert_slice(nth_value(m, SIPD_HDR_ACCEPT, 5), "message/sipfrag");
}

/* §3.1.1.10 transports: known and unknown Via transports. */
static void facts_transports(const struct sipd_msg *m, size_t len)
{
	(void)len;
	static const char *const t[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
	assert_int_equal(count_values(m, SIPD_HDR_VIA), 5);
	for (unsigned i = 0; i < 5; i++) {
		struct sipd_via v = via_of(m, i);
		assert_true(sipd_str_eq(v.transport, t[i]));
		assert_slice(v.protocol, "SIP/2.0");
	}
}

/* §3.1.1.11 mpart01: a binary body with NULs, framed by Content-Length. */
static void facts_mpart01(const struct sipd_msg *m, size_t len)
{
	assert_int_equal(m->method, SIPD_METHOD_MESSAGE);
	assert_int_equal(m->content_length, 553);
	assert_int_equal(m->body.len, 553);
	assert_int_equal(m->len, len);
	assert_non_null(memchr(m->body.p, 0, m->body.len));
	assert_true(m->via.rport);
	assert_int_equal(m->via.rport_value, 0);
	assert_int_equal(m->via.port, 5070);
	struct sipd_media ct;
	assert_int_equal(sipd_media_parse(&ct, hdr_value(m, SIPD_HDR_CONTENT_TYPE), NULL), 0);
	assert_slice(ct.type, "multipart");
	assert_slice(param(ct.params, "boundary"), "7a9cbec02ceef655");
	assert_non_null(sipd_msg_find_name(m, "Identity"));
}

/* §3.1.1.12 unreason: a reason phrase of reserved characters and UTF-8. */
static void facts_unreason(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_false(m->is_request);
	assert_int_equal(m->status, 200);
	assert_true(m->reason.len > 14);
	assert_memory_equal(m->reason.p, "= 2**3 * 5**2 \xd0\xbd\xd0\xbe", 18);
	assert_int_equal((unsigned char)m->reason.p[m->reason.len - 1], 0xb5);
	assert_int_equal(m->body.len, 154);
}

/* §3.1.1.13 noreason: the SP after the code is there, the phrase is empty. */
static void facts_noreason(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->status, 100);
	assert_non_null(m->reason.p);
	assert_int_equal(m->reason.len, 0);
}

/* ---------------------------------------- RFC 4475 §3.2-3.4, semantic tests */

/* §3.2.1 badbranch: the branch is the magic cookie and nothing else. The
 * syntax is fine; the transaction layer must not take it for an RFC 3261
 * branch (no identifier after the cookie). */
static void facts_badbranch(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->via.branch, "z9hG4bK");
	assert_int_equal(m->via.branch.len, 7);
}

/* §3.3.2 unkscm: an unknown scheme in the Request-URI parses; the application
 * answers 416. */
static void facts_unkscm(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->ruri.kind, SIPD_URI_OTHER);
	assert_slice(m->ruri.scheme, "nobodyKnowsThisScheme");
	assert_slice(m->ruri.opaque, "totallyopaquecontent");
}

/* §3.3.3 novelsc: a registered but unusual scheme. */
static void facts_novelsc(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->ruri.kind, SIPD_URI_OTHER);
	assert_slice(m->ruri.scheme, "soap.beep");
	assert_slice(m->ruri.opaque, "//192.0.2.103:3002");
}

/* §3.3.4 unksm2: non-SIP URIs in To, From and Contact. */
static void facts_unksm2(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->to.uri.kind, SIPD_URI_OTHER);
	assert_slice(m->to.uri.scheme, "isbn");
	assert_int_equal(m->from.uri.kind, SIPD_URI_OTHER);
	assert_slice(m->from.uri.raw, "http://www.example.com");
	assert_slice(m->from.tag, "3234233");
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_slice(c.uri.scheme, "name");
	assert_slice(c.uri.opaque, "John_Smith");
}

/* §3.3.5 bext01: the option tags a 420 must list. */
static void facts_bext01(const struct sipd_msg *m, size_t len)
{
	(void)len;
	struct sipd_str tok;
	assert_int_equal(count_values(m, SIPD_HDR_REQUIRE), 2);
	assert_int_equal(sipd_token_parse(&tok, nth_value(m, SIPD_HDR_REQUIRE, 0), NULL), 0);
	assert_slice(tok, "nothingSupportsThis");
	assert_int_equal(sipd_token_parse(&tok, nth_value(m, SIPD_HDR_REQUIRE, 1), NULL), 0);
	assert_slice(tok, "nothingSupportsThisEither");
	assert_int_equal(count_values(m, SIPD_HDR_PROXY_REQUIRE), 2);
	assert_slice(nth_value(m, SIPD_HDR_PROXY_REQUIRE, 0), "noProxiesSupportThis");
	assert_slice(nth_value(m, SIPD_HDR_PROXY_REQUIRE, 1), "norDoAnyProxiesSupportThis");
	assert_slice(m->via.transport, "TLS");
}

/* §3.3.6 invut: an unknown body type; an endpoint answers 415. */
static void facts_invut(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(hdr_value(m, SIPD_HDR_CONTENT_TYPE), "application/unknownformat");
	assert_int_equal(m->body.len, 40);
}

/* §3.3.7 regaut01: an unknown authorization scheme, kept for forwarding. */
static void facts_regaut01(const struct sipd_msg *m, size_t len)
{
	(void)len;
	struct sipd_auth a;
	assert_int_equal(sipd_auth_parse(&a, hdr_value(m, SIPD_HDR_AUTHORIZATION), NULL), 0);
	assert_slice(a.scheme, "NoOneKnowsThisScheme");
	struct sipd_str cur = a.params, n, v;
	assert_true(sipd_auth_param_next(&cur, &n, &v));
	assert_slice(n, "opaque-data");
	assert_slice(v, "here");
	assert_false(sipd_auth_param_next(&cur, &n, &v));
	assert_int_equal(m->content_length, 0); /* "Content-Length:0" */
}

/* §3.3.10 bcast: a broadcast sent-by; the application drops the response. */
static void facts_bcast(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->status, 200);
	struct sipd_via v = via_of(m, 1);
	assert_slice(v.host, "255.255.255.255");
	assert_int_equal(v.host_type, SIPD_HOST_IPV4);
}

/* §3.3.11 zeromf: Max-Forwards 0 is legal; a proxy answers 483. */
static void facts_zeromf(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_int_equal(m->max_forwards, 0);
}

/* §3.3.12 cparam01: without <>, ";unknownparam" is a Contact parameter. */
static void facts_cparam01(const struct sipd_msg *m, size_t len)
{
	(void)len;
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_false(c.angle);
	assert_slice(c.uri.raw, "sip:+19725552222@gw1.example.net");
	assert_absent(c.uri.params);
	assert_slice(c.params, ";unknownparam");
	assert_absent(param(c.params, "unknownparam"));
}

/* §3.3.13 cparam02: inside <>, ";unknownparam" is a URI parameter. */
static void facts_cparam02(const struct sipd_msg *m, size_t len)
{
	(void)len;
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_true(c.angle);
	assert_slice(c.uri.params, "unknownparam");
	assert_int_equal(c.params.len, 0);
}

/* §3.3.14 regescrt: an escaped header in the Contact URI, kept escaped. */
static void facts_regescrt(const struct sipd_msg *m, size_t len)
{
	(void)len;
	const struct sipd_hdr *h = sipd_msg_find(m, SIPD_HDR_CONTACT);
	assert_slice(h->name, "M");
	struct sipd_nameaddr c = nameaddr_of(h->value);
	assert_slice(c.uri.headers, "Route=%3Csip:sip.example.com%3E");
	assert_slice(c.uri.host, "example.com");
	assert_int_equal(m->content_length, 0); /* "L:0" */
}

/* §3.3.15 sdp01: an Accept without application/sdp; 406 or 400 is the
 * application's call. */
static void facts_sdp01(const struct sipd_msg *m, size_t len)
{
	(void)len;
	struct sipd_media a;
	assert_int_equal(sipd_media_parse(&a, nth_value(m, SIPD_HDR_ACCEPT, 0), NULL), 0);
	assert_slice(a.type, "text");
	assert_slice(a.subtype, "nobodyKnowsThis");
	assert_int_equal(count_values(m, SIPD_HDR_ACCEPT), 1);
}

/* §3.4.1 inv2543: RFC 2543 syntax. No branch, no From tag, no Max-Forwards,
 * no Content-Length (the datagram's remaining octets are the body). */
static void facts_inv2543(const struct sipd_msg *m, size_t len)
{
	assert_absent(m->via.branch);
	assert_absent(m->from.tag);
	assert_int_equal(m->max_forwards, -1);
	assert_int_equal(m->content_length, -1);
	assert_int_equal(m->body.len, 105);
	assert_int_equal(m->len, len);
	/* addr-spec form: ";user=phone" belongs to the To header, not the URI */
	assert_absent(m->to.uri.params);
	assert_slice(param(m->to.params, "user"), "phone");
	assert_slice(param(m->from.uri.params, "user"), "phone");
	struct sipd_nameaddr rr = nameaddr_of(hdr_value(m, SIPD_HDR_RECORD_ROUTE));
	assert_slice(param(rr.uri.params, "maddr"), "ss1.example.com");
}

/* ------------------------------------------------------- RFC 5118 (IPv6) */

/* §4.1 */
static void facts_ipv6_good(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.host, "[2001:db8::10]");
	assert_int_equal(m->ruri.host_type, SIPD_HOST_IPV6);
	assert_int_equal(m->ruri.port, 0);
	assert_slice(m->via.host, "[2001:db8::9:1]");
	assert_int_equal(m->via.host_type, SIPD_HOST_IPV6);
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_slice(c.uri.host, "[2001:db8::1]");
	assert_slice(c.display, "Caller");
}

/* §4.3: inside the brackets ":5070" is part of the address: no port. */
static void facts_port_ambiguous(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.host, "[2001:db8::10:5070]");
	assert_int_equal(m->ruri.host_type, SIPD_HOST_IPV6);
	assert_int_equal(m->ruri.port, 0);
}

/* §4.4 */
static void facts_port_unambiguous(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.host, "[2001:db8::10]");
	assert_int_equal(m->ruri.port, 5070);
}

/* §4.5: received with the brackets (RFC 3261's host) and without them (the
 * IPv6address of via-received): both accepted. */
static void facts_via_received_delim(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->via.received, "[2001:db8::9:255]");
	assert_slice(m->via.branch, "z9hG4bKas3-111");
}

static void facts_via_received_nodelim(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->via.received, "2001:db8::9:255");
	assert_slice(m->via.branch, "z9hG4bKas3");
}

/* §4.6 and §4.8: IPv6 addresses in the body are the body's business. */
static void facts_ipv6_sdp(const struct sipd_msg *m, size_t len)
{
	assert_int_equal(m->ruri.host_type, SIPD_HOST_IPV6);
	assert_int_equal(m->len, len);
	assert_int_equal((size_t)m->content_length, m->body.len);
}

/* §4.7: IPv6 and IPv4 addresses mixed in the Via headers. */
static void facts_mult_ip_header(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->via.host, "[2001:db8::9:1]");
	assert_int_equal(m->via.port, 6050);
	struct sipd_via v1 = via_of(m, 1), v2 = via_of(m, 2);
	assert_slice(v1.host, "192.0.2.1");
	assert_int_equal(v1.host_type, SIPD_HOST_IPV4);
	assert_slice(v2.host, "[2001:db8::9:255]");
	assert_slice(v2.transport, "TCP");
	assert_slice(v2.received, "192.0.2.200");
}

/* §4.9: IPv4-mapped IPv6 addresses. */
static void facts_ipv4_mapped(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->via.host, "[::ffff:192.0.2.10]");
	assert_int_equal(m->via.port, 19823);
	assert_slice(via_of(m, 1).host, "[::ffff:192.0.2.2]");
	struct sipd_nameaddr c = nameaddr_of(hdr_value(m, SIPD_HDR_CONTACT));
	assert_slice(c.uri.host, "[::ffff:192.0.2.2]");
	assert_slice(c.display, "T. desk phone");
}

/* §4.10: "2001:db8:::192.0.2.1" follows RFC 3261's faulty ABNF; RFC 5118
 * asks parsers to be tolerant and accept it. The two-colon form is correct. */
static void facts_three_colons(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.host, "[2001:db8:::192.0.2.1]");
	assert_int_equal(m->ruri.host_type, SIPD_HOST_IPV6);
	assert_slice(m->to.uri.host, "[2001:db8:::192.0.2.1]");
}

static void facts_two_colons(const struct sipd_msg *m, size_t len)
{
	(void)len;
	assert_slice(m->ruri.host, "[2001:db8::192.0.2.1]");
	assert_int_equal(m->ruri.host_type, SIPD_HOST_IPV6);
}

/* ------------------------------------------------------------------ the table */

#define OK(test, file, stream, facts)                                                              \
	{                                                                                          \
		test, file, VALID, 0, 0, NULL, stream, facts                                       \
	}
#define BAD(test, file, stage, status, line, reason, stream)                                       \
	{                                                                                          \
		test, file, stage, status, line, reason, stream, NULL                              \
	}

static const struct row rows[] = {
	/* §3.1.1: valid messages, each must be accepted. */
	OK("rfc4475_3_1_1_1_wsinv", "wsinv.dat", S_SAME, facts_wsinv),
	OK("rfc4475_3_1_1_2_intmeth", "intmeth.dat", S_SAME, facts_intmeth),
	OK("rfc4475_3_1_1_3_esc01", "esc01.dat", S_SAME, facts_esc01),
	OK("rfc4475_3_1_1_4_escnull", "escnull.dat", S_SAME, facts_escnull),
	OK("rfc4475_3_1_1_5_esc02", "esc02.dat", S_SAME, facts_esc02),
	OK("rfc4475_3_1_1_6_lwsdisp", "lwsdisp.dat", S_SAME, facts_lwsdisp),
	OK("rfc4475_3_1_1_7_longreq", "longreq.dat", S_SAME, facts_longreq),
	OK("rfc4475_3_1_1_8_dblreq", "dblreq.dat", S_TWO, facts_dblreq),
	OK("rfc4475_3_1_1_9_semiuri", "semiuri.dat", S_SAME, facts_semiuri),
	OK("rfc4475_3_1_1_10_transports", "transports.dat", S_SAME, facts_transports),
	OK("rfc4475_3_1_1_11_mpart01", "mpart01.dat", S_SAME, facts_mpart01),
	OK("rfc4475_3_1_1_12_unreason", "unreason.dat", S_SAME, facts_unreason),
	OK("rfc4475_3_1_1_13_noreason", "noreason.dat", S_SAME, facts_noreason),

	/* §3.1.2: invalid messages, each rejected for the RFC's reason. */
	/* .1 extra ';' and ',' in Via (and Contact): 400 */
	BAD("rfc4475_3_1_2_1_badinv01", "badinv01.dat", AT_PARSE, 400, 7,
            "malformed header parameter", S_SAME),
	/* .2 Content-Length beyond the datagram: 400; on a stream, wait for more */
	BAD("rfc4475_3_1_2_2_clerr", "clerr.dat", AT_PARSE, 400, 10,
            "Content-Length larger than the message", S_AGAIN),
	/* .3 negative Content-Length: an error; a stream cannot be resynchronised */
	BAD("rfc4475_3_1_2_3_ncl", "ncl.dat", AT_PARSE, 400, 10, "expected a number", S_FRAME),
	/* .4 CSeq beyond 2**32-1: 400 for the CSeq (Max-Forwards 300, Expires and
         * the Contact expires are also out of range, but CSeq comes first) */
	BAD("rfc4475_3_1_2_4_scalar02", "scalar02.dat", AT_PARSE, 400, 5, "CSeq number too large",
            S_SAME),
	/* .5 a response with an overlarge CSeq: dropped */
	BAD("rfc4475_3_1_2_5_scalarlg", "scalarlg.dat", AT_PARSE, 400, 5, "CSeq number too large",
            S_SAME),
	/* .6 unterminated quote in To: 400, no guessing where it ends */
	BAD("rfc4475_3_1_2_6_quotbal", "quotbal.dat", AT_PARSE, 400, 2,
            "unterminated quoted display name", S_SAME),
	/* .7 Request-URI in <>: rejected (the liberal option is not taken) */
	BAD("rfc4475_3_1_2_7_ltgtruri", "ltgtruri.dat", AT_PARSE, 400, 1,
            "Request-URI enclosed in <>", S_SAME),
	/* .8 LWS inside the Request-URI: 400 */
	BAD("rfc4475_3_1_2_8_lwsruri", "lwsruri.dat", AT_PARSE, 400, 1,
            "whitespace inside the Request-URI", S_SAME),
	/* .9 two SPs between request-line elements: rejected (strict option) */
	BAD("rfc4475_3_1_2_9_lwsstart", "lwsstart.dat", AT_PARSE, 400, 1,
            "more than one SP in the request line", S_SAME),
	/* .10 SP after the SIP version: rejected (strict option) */
	BAD("rfc4475_3_1_2_10_trws", "trws.dat", AT_PARSE, 400, 1,
            "whitespace after the SIP version", S_SAME),
	/* .11 escaped headers in the Request-URI: 400 (not ignored) */
	BAD("rfc4475_3_1_2_11_escruri", "escruri.dat", AT_PARSE, 400, 1,
            "headers in the Request-URI", S_SAME),
	/* .12 a Date not in GMT: rejected by the full check (sipd_msg_check),
         * while sipd_msg_parse(), which does not look at Date, lets it through */
	BAD("rfc4475_3_1_2_12_baddate", "baddate.dat", AT_CHECK, 400, 8,
            "Date time zone is not GMT", S_SAME),
	/* .13 a Contact URI with '?' outside <>: 400 (no inferred brackets) */
	BAD("rfc4475_3_1_2_13_regbadct", "regbadct.dat", AT_CHECK, 400, 8, "must be enclosed in <>",
            S_SAME),
	/* .14 spaces inside <> around the addr-spec: 400 */
	BAD("rfc4475_3_1_2_14_badaspec", "badaspec.dat", AT_PARSE, 400, 5, "LWS inside <>", S_SAME),
	/* .15 unquoted display names with ',': 400. The file has no empty line
         * after the headers: a datagram's end ends them, a stream waits. */
	BAD("rfc4475_3_1_2_15_baddn", "baddn.dat", AT_PARSE, 400, 4,
            "invalid character in display name", S_AGAIN),
	/* .16 SIP/7.0: 505 Version Not Supported */
	BAD("rfc4475_3_1_2_16_badvers", "badvers.dat", AT_PARSE, 505, 1, "unsupported SIP version",
            S_SAME),
	/* .17 CSeq method differs from the request's: 400 */
	BAD("rfc4475_3_1_2_17_mismatch01", "mismatch01.dat", AT_CHECK, 400, 6,
            "CSeq method does not match", S_SAME),
	/* .18 the same with an unknown method: 501 (RFC 4475 prefers it to 400) */
	BAD("rfc4475_3_1_2_18_mismatch02", "mismatch02.dat", AT_CHECK, 501, 6,
            "CSeq method does not match", S_SAME),
	/* .19 a status code above 699: dropped */
	BAD("rfc4475_3_1_2_19_bigcode", "bigcode.dat", AT_PARSE, 400, 1,
            "status code is not three digits", S_SAME),

	/* §3.2.1: syntactically fine; the transaction layer decides. */
	OK("rfc4475_3_2_1_badbranch", "badbranch.dat", S_SAME, facts_badbranch),

	/* §3.3: application-layer semantics. */
	/* .1 no From, To or Call-ID: the parser refuses it with 400 (the RFC's
         * "ideally"), since §8.1.1 makes them mandatory and the layers above
         * could not route a response without them. */
	BAD("rfc4475_3_3_1_insuf", "insuf.dat", AT_PARSE, 400, 1, "missing From header", S_SAME),
	OK("rfc4475_3_3_2_unkscm", "unkscm.dat", S_SAME, facts_unkscm),
	OK("rfc4475_3_3_3_novelsc", "novelsc.dat", S_SAME, facts_novelsc),
	OK("rfc4475_3_3_4_unksm2", "unksm2.dat", S_SAME, facts_unksm2),
	OK("rfc4475_3_3_5_bext01", "bext01.dat", S_SAME, facts_bext01),
	OK("rfc4475_3_3_6_invut", "invut.dat", S_SAME, facts_invut),
	OK("rfc4475_3_3_7_regaut01", "regaut01.dat", S_SAME, facts_regaut01),
	/* .8 two Call-IDs, Tos, Froms, CSeqs and Max-Forwards: 400, reported at
         * the first repeated header (the second CSeq, line 7) */
	BAD("rfc4475_3_3_8_multi01", "multi01.dat", AT_PARSE, 400, 7, "appears twice", S_SAME),
	/* .9 two Content-Lengths: an error; fatal on a stream */
	BAD("rfc4475_3_3_9_mcl01", "mcl01.dat", AT_PARSE, 400, 9, "appears twice", S_FRAME),
	OK("rfc4475_3_3_10_bcast", "bcast.dat", S_SAME, facts_bcast),
	OK("rfc4475_3_3_11_zeromf", "zeromf.dat", S_SAME, facts_zeromf),
	OK("rfc4475_3_3_12_cparam01", "cparam01.dat", S_SAME, facts_cparam01),
	OK("rfc4475_3_3_13_cparam02", "cparam02.dat", S_SAME, facts_cparam02),
	OK("rfc4475_3_3_14_regescrt", "regescrt.dat", S_SAME, facts_regescrt),
	OK("rfc4475_3_3_15_sdp01", "sdp01.dat", S_SAME, facts_sdp01),

	/* §3.4.1: RFC 2543 syntax accepted; without Content-Length it cannot be
         * framed on a stream (RFC 3261 §18.3). */
	OK("rfc4475_3_4_1_inv2543", "inv2543.dat", S_FRAME, facts_inv2543),

	/* In the archive, not in the text: a request line without a version. */
	BAD("rfc4475_archive_test", "test.dat", AT_PARSE, 400, 1,
            "request line without a SIP version", S_SAME),

	/* RFC 5118 §4 */
	OK("rfc5118_4_1_ipv6_good", "ipv6/ipv6-good.dat", S_SAME, facts_ipv6_good),
	/* §4.2 an IPv6 address without brackets in the Request-URI: 400 */
	BAD("rfc5118_4_2_ipv6_bad", "ipv6/ipv6-bad.dat", AT_PARSE, 400, 1, "invalid host in URI",
            S_SAME),
	OK("rfc5118_4_3_port_ambiguous", "ipv6/port-ambiguous.dat", S_SAME, facts_port_ambiguous),
	OK("rfc5118_4_4_port_unambiguous", "ipv6/port-unambiguous.dat", S_SAME,
           facts_port_unambiguous),
	OK("rfc5118_4_5_via_received_with_delim", "ipv6/via-received-param-with-delim.dat", S_SAME,
           facts_via_received_delim),
	OK("rfc5118_4_5_via_received_no_delim", "ipv6/via-received-param-no-delim.dat", S_SAME,
           facts_via_received_nodelim),
	OK("rfc5118_4_6_ipv6_in_sdp", "ipv6/ipv6-in-sdp.dat", S_SAME, facts_ipv6_sdp),
	OK("rfc5118_4_7_mult_ip_in_header", "ipv6/mult-ip-in-header.dat", S_SAME,
           facts_mult_ip_header),
	OK("rfc5118_4_8_mult_ip_in_sdp", "ipv6/mult-ip-in-sdp.dat", S_SAME, facts_ipv6_sdp),
	OK("rfc5118_4_9_ipv4_mapped_ipv6", "ipv6/ipv4-mapped-ipv6.dat", S_SAME, facts_ipv4_mapped),
	OK("rfc5118_4_10_three_colons", "ipv6/ipv6-bug-abnf-3-colons.dat", S_SAME,
           facts_three_colons),
	OK("rfc5118_4_10_two_colons", "ipv6/ipv6-correct-abnf-2-colons.dat", S_SAME,
           facts_two_colons),
};

#define NROWS (sizeof rows / sizeof rows[0])

/* ------------------------------------------------------------------ runners */

struct verdict {
	long rc;
	int check;
	struct sipd_parse_error err;
};

/* Parses (and checks) one message, datagram or stream framing. */
static struct verdict judge(const char *buf, size_t len, enum sipd_framing fr, struct sipd_msg *msg,
                            struct sipd_hdr *hdrs)
{
	struct verdict v = {0};
	v.rc = sipd_msg_parse(msg, hdrs, TEST_MAX_HDRS, buf, len, fr, NULL, &v.err);
	v.check = v.rc > 0 ? sipd_msg_check(msg, &v.err) : 0;
	return v;
}

static void expect_verdict(const struct row *r, const struct verdict *v)
{
	if (r->stage == VALID) {
		if (v->rc <= 0 || v->check)
			fail_msg("%s rejected: %s (status %u) at line %u, column %u", r->file,
			         v->err.what, v->err.status, v->err.line, v->err.column);
		return;
	}
	if (r->stage == AT_PARSE && v->rc > 0)
		fail_msg("%s: sipd_msg_parse() took it (check says %d)", r->file, v->check);
	if (r->stage == AT_CHECK) {
		if (v->rc <= 0)
			fail_msg("%s: sipd_msg_parse() already refused it: %s", r->file,
			         v->err.what);
		if (!v->check)
			fail_msg("%s: sipd_msg_check() took it", r->file);
	}
	assert_int_equal(v->err.code, SIPD_EPARSE);
	assert_non_null(v->err.what);
	if (!strstr(v->err.what, r->reason))
		fail_msg("%s: reason '%s', expected '%s'", r->file, v->err.what, r->reason);
	assert_int_equal(v->err.status, r->status);
	assert_int_equal(v->err.line, r->line);
	assert_true(v->err.column >= 1);
}

static void run_datagram(void **state)
{
	const struct row *r = *state;
	size_t len;
	char *buf = read_torture(r->file, &len);
	struct sipd_msg msg;
	struct sipd_hdr *hdrs = calloc(TEST_MAX_HDRS, sizeof *hdrs);
	struct verdict v = judge(buf, len, SIPD_FRAME_DATAGRAM, &msg, hdrs);
	expect_verdict(r, &v);
	if (r->stage == VALID) {
		assert_true((size_t)v.rc <= len);
		assert_int_equal((size_t)v.rc, msg.len);
		assert_ptr_equal(msg.buf, buf);
		r->facts(&msg, len);
	}
	free(hdrs);
	free(buf);
}

/* A small deterministic generator for the random split points. */
static uint32_t next_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* Feeds buf to a sipd_stream in pieces (piece == 0: random sizes from seed)
 * and collects the messages that come out; returns their count (at most
 * max) and the error of the last sipd_stream_next() call. */
static unsigned feed_stream(const char *buf, size_t len, size_t piece, uint32_t seed, char **out,
                            size_t *out_len, unsigned max, int *last)
{
	struct sipd_stream s;
	sipd_stream_init(&s, NULL);
	unsigned n = 0;
	size_t off = 0;
	*last = SIPD_EAGAIN;
	while (off < len && (*last == 0 || *last == SIPD_EAGAIN)) {
		size_t k = piece ? piece : 1 + next_rand(&seed) % 97;
		if (k > len - off)
			k = len - off;
		assert_int_equal(sipd_stream_push(&s, buf + off, k), 0);
		off += k;
		for (;;) {
			const char *m;
			size_t ml;
			struct sipd_parse_error err;
			*last = sipd_stream_next(&s, &m, &ml, &err);
			if (*last)
				break;
			if (n < max) {
				/* copied, since the next push may move the buffer */
				out[n] = dup_exact(m, ml);
				out_len[n] = ml;
			}
			n++;
		}
	}
	sipd_stream_free(&s);
	return n;
}

static void same_verdict(const struct row *r, const char *m, size_t ml, const struct verdict *ref)
{
	struct sipd_msg msg;
	struct sipd_hdr *hdrs = calloc(TEST_MAX_HDRS, sizeof *hdrs);
	struct verdict v = judge(m, ml, SIPD_FRAME_STREAM, &msg, hdrs);
	if (ref->rc > 0 && !ref->check) {
		if (v.rc <= 0 || v.check)
			fail_msg("%s on a stream: rejected: %s", r->file, v.err.what);
		assert_int_equal((size_t)v.rc, ml);
		r->facts(&msg, ml);
	} else {
		expect_verdict(r, &v);
		assert_int_equal(v.err.status, ref->err.status);
		assert_int_equal(v.err.line, ref->err.line);
		assert_int_equal(v.err.column, ref->err.column);
	}
	free(hdrs);
}

static void run_stream(void **state)
{
	const struct row *r = *state;
	size_t len;
	char *buf = read_torture(r->file, &len);
	struct sipd_msg msg;
	struct sipd_hdr *hdrs = calloc(TEST_MAX_HDRS, sizeof *hdrs);
	struct verdict ref = judge(buf, len, SIPD_FRAME_DATAGRAM, &msg, hdrs);
	size_t skip = 0, mlen = 0;
	struct sipd_parse_error err;
	int fr = sipd_msg_frame(buf, len, NULL, &skip, &mlen, &err);
	char *out[4] = {0};
	size_t out_len[4];
	int last;

	switch (r->stream) {
	case S_SAME:
		assert_int_equal(fr, 0);
		assert_int_equal(skip, 0);
		assert_int_equal(mlen, len);
		same_verdict(r, buf, len, &ref);
		/* one piece, byte by byte, and random pieces */
		for (uint32_t round = 0; round < 12; round++) {
			size_t piece = round == 0 ? len : round == 1 ? 1 : 0;
			unsigned n = feed_stream(buf, len, piece, round * 7919u + 1, out, out_len,
			                         4, &last);
			assert_int_equal(n, 1);
			assert_int_equal(last, SIPD_EAGAIN);
			assert_int_equal(out_len[0], len);
			assert_memory_equal(out[0], buf, len);
			same_verdict(r, out[0], out_len[0], &ref);
			free(out[0]);
		}
		break;
	case S_TWO: {
		/* dblreq: on a stream the "trailing octets" are the next request,
		 * after an empty line that is skipped like a keep-alive. That
		 * INVITE's body is 155 octets for a Content-Length of 150, so the
		 * stream then holds 5 octets of SDP that frame as a message
		 * without Content-Length: a framing error, as it should be. */
		assert_int_equal(fr, 0);
		assert_int_equal(mlen, (size_t)ref.rc);
		for (uint32_t round = 0; round < 12; round++) {
			size_t piece = round == 0 ? len : round == 1 ? 1 : 0;
			unsigned n = feed_stream(buf, len, piece, round * 104729u + 3, out, out_len,
			                         4, &last);
			assert_int_equal(n, 2);
			assert_int_equal(last, SIPD_EPARSE);
			same_verdict(r, out[0], out_len[0], &ref);
			struct verdict second =
				judge(out[1], out_len[1], SIPD_FRAME_STREAM, &msg, hdrs);
			assert_true(second.rc > 0);
			assert_int_equal(second.check, 0);
			assert_int_equal(msg.method, SIPD_METHOD_INVITE);
			assert_int_equal(msg.body.len, 150);
			free(out[0]);
			free(out[1]);
		}
		break;
	}
	case S_AGAIN: {
		assert_int_equal(fr, SIPD_EAGAIN);
		for (uint32_t round = 0; round < 4; round++) {
			size_t piece = round == 0 ? len : round == 1 ? 1 : 0;
			assert_int_equal(
				feed_stream(buf, len, piece, round + 11, out, out_len, 4, &last),
				0);
			assert_int_equal(last, SIPD_EAGAIN);
		}
		/* sipd_msg_parse() agrees: incomplete, not wrong */
		struct verdict v = judge(buf, len, SIPD_FRAME_STREAM, &msg, hdrs);
		assert_int_equal(v.rc, SIPD_EAGAIN);
		break;
	}
	case S_FRAME:
		assert_int_equal(fr, SIPD_EPARSE);
		assert_int_equal(err.status, 400);
		for (uint32_t round = 0; round < 4; round++) {
			size_t piece = round == 0 ? len : round == 1 ? 1 : 0;
			assert_int_equal(
				feed_stream(buf, len, piece, round + 5, out, out_len, 4, &last), 0);
			assert_int_equal(last, SIPD_EPARSE);
		}
		break;
	}
	free(hdrs);
	free(buf);
}

/* Every stream-framable message, back to back with keep-alives between them,
 * comes out of one stream in order. */
static void rfc3261_18_3_stream_pipelined_torture(void **state)
{
	(void)state;
	size_t total = 0, cap = 1 << 16;
	char *all = malloc(cap);
	size_t starts[NROWS], lens[NROWS];
	unsigned count = 0;
	for (size_t i = 0; i < NROWS; i++) {
		if (rows[i].stream != S_SAME)
			continue;
		size_t len;
		char *buf = read_torture(rows[i].file, &len);
		assert_true(total + len + 4 <= cap);
		memcpy(all + total, "\r\n\r\n", i % 3 == 0 ? 4 : i % 3 == 1 ? 2 : 0);
		total += i % 3 == 0 ? 4 : i % 3 == 1 ? 2 : 0;
		starts[count] = total;
		lens[count++] = len;
		memcpy(all + total, buf, len);
		total += len;
		free(buf);
	}
	for (uint32_t round = 0; round < 3; round++) {
		char *out[NROWS];
		size_t out_len[NROWS];
		int last;
		size_t piece = round == 0 ? total : round == 1 ? 1 : 0;
		unsigned n = feed_stream(all, total, piece, 99 + round, out, out_len, NROWS, &last);
		assert_int_equal(n, count);
		assert_int_equal(last, SIPD_EAGAIN);
		for (unsigned k = 0; k < n; k++) {
			assert_int_equal(out_len[k], lens[k]);
			assert_memory_equal(out[k], all + starts[k], lens[k]);
			free(out[k]);
		}
	}
	free(all);
}

/* Every file of the directory has a row (and every row a file). */
static void rfc4475_3_table_complete(void **state)
{
	(void)state;
	static const char *const files[] = {
		"badaspec.dat",
		"badbranch.dat",
		"baddate.dat",
		"baddn.dat",
		"badinv01.dat",
		"badvers.dat",
		"bcast.dat",
		"bext01.dat",
		"bigcode.dat",
		"clerr.dat",
		"cparam01.dat",
		"cparam02.dat",
		"dblreq.dat",
		"esc01.dat",
		"esc02.dat",
		"escnull.dat",
		"escruri.dat",
		"insuf.dat",
		"intmeth.dat",
		"inv2543.dat",
		"invut.dat",
		"longreq.dat",
		"ltgtruri.dat",
		"lwsdisp.dat",
		"lwsruri.dat",
		"lwsstart.dat",
		"mcl01.dat",
		"mismatch01.dat",
		"mismatch02.dat",
		"mpart01.dat",
		"multi01.dat",
		"ncl.dat",
		"noreason.dat",
		"novelsc.dat",
		"quotbal.dat",
		"regaut01.dat",
		"regbadct.dat",
		"regescrt.dat",
		"scalar02.dat",
		"scalarlg.dat",
		"sdp01.dat",
		"semiuri.dat",
		"test.dat",
		"transports.dat",
		"trws.dat",
		"unkscm.dat",
		"unksm2.dat",
		"unreason.dat",
		"wsinv.dat",
		"zeromf.dat",
		"ipv6/ipv4-mapped-ipv6.dat",
		"ipv6/ipv6-bad.dat",
		"ipv6/ipv6-bug-abnf-3-colons.dat",
		"ipv6/ipv6-correct-abnf-2-colons.dat",
		"ipv6/ipv6-good.dat",
		"ipv6/ipv6-in-sdp.dat",
		"ipv6/mult-ip-in-header.dat",
		"ipv6/mult-ip-in-sdp.dat",
		"ipv6/port-ambiguous.dat",
		"ipv6/port-unambiguous.dat",
		"ipv6/via-received-param-no-delim.dat",
		"ipv6/via-received-param-with-delim.dat",
	};
	assert_int_equal(NROWS, sizeof files / sizeof files[0]);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t k = 0;
		while (k < NROWS && strcmp(rows[k].file, files[i]) != 0)
			k++;
		if (k == NROWS)
			fail_msg("no row for %s", files[i]);
		size_t len;
		free(read_torture(files[i], &len));
	}
}

int main(void)
{
	static struct CMUnitTest tests[2 * NROWS + 2];
	static char names[2 * NROWS][96];
	size_t n = 0;
	for (size_t i = 0; i < NROWS; i++) {
		snprintf(names[2 * i], sizeof names[0], "%s", rows[i].test);
		snprintf(names[2 * i + 1], sizeof names[0], "%s_stream", rows[i].test);
		tests[n++] = (struct CMUnitTest){names[2 * i], run_datagram, NULL, NULL,
		                                 (void *)&rows[i]};
		tests[n++] = (struct CMUnitTest){names[2 * i + 1], run_stream, NULL, NULL,
		                                 (void *)&rows[i]};
	}
	tests[n++] = (struct CMUnitTest){"rfc3261_18_3_stream_pipelined_torture",
	                                 rfc3261_18_3_stream_pipelined_torture, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"rfc4475_3_table_complete", rfc4475_3_table_complete, NULL,
	                                 NULL, NULL};
	return _cmocka_run_group_tests("torture", tests, n, NULL, NULL);
}
