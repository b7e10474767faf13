/* sipd_msg_check() (src/msg/check.c): every header the library knows against
 * its grammar (RFC 3261 §20 and §25, and the extensions), headers that appear
 * once, the CSeq method (§8.2.6), text values. Each row is one extra header
 * line added to a valid INVITE. */
#include "msg_test.h"

struct row {
	const char *rfc; /* where the grammar is */
	const char *extra;
	bool ok;
	const char *piece; /* a piece of the reason, for the bad ones */
	uint32_t line;     /* 0: REQ_NEXT_LINE */
};

static void run_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char extra[1024];
		snprintf(extra, sizeof extra, "%s\r\nContent-Length: 0\r\n", rows[i].extra);
		struct parsed *p = parse_req_with(extra);
		if (rows[i].ok) {
			if (p->rc <= 0 || p->check)
				fail_msg("%s: '%s' rejected: %s at line %u, column %u", rows[i].rfc,
				         rows[i].extra, p->err.what, p->err.line, p->err.column);
		} else {
			if (p->rc <= 0)
				fail_msg("%s: '%s' refused by the parser already (%s); expected "
				         "the check",
				         rows[i].rfc, rows[i].extra, p->err.what);
			if (!p->check)
				fail_msg("%s: '%s' accepted", rows[i].rfc, rows[i].extra);
			assert_int_equal(p->err.code, SIPD_EPARSE);
			assert_int_equal(p->err.status, 400);
			if (!strstr(p->err.what, rows[i].piece))
				fail_msg("%s: '%s': reason '%s', expected '%s'", rows[i].rfc,
				         rows[i].extra, p->err.what, rows[i].piece);
			uint32_t line = rows[i].line ? rows[i].line : REQ_NEXT_LINE;
			if (p->err.line != line)
				fail_msg("%s: '%s': line %u, expected %u", rows[i].rfc,
				         rows[i].extra, p->err.line, line);
			assert_true(p->err.column >= 1);
		}
		parsed_free(p);
	}
}

#define RUN(rows) run_rows(rows, sizeof rows / sizeof rows[0])

/* RFC 3261 §20, one header at a time (A-L). */
static void rfc3261_20_headers_a_to_l(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{"20.1", "Accept: application/sdp;level=1, application/x-private, text/html", true,
	         NULL, 0},
		{"20.1", "Accept: */*, text/*;q=0.5", true, NULL, 0},
		{"20.1", "Accept:", true, NULL, 0},
		{"20.1", "Accept: application", false, "media", 0},
		{"20.1", "Accept: application/sdp,", false, "empty element", 0},
		{"20.2", "Accept-Encoding: gzip, identity;q=0.5", true, NULL, 0},
		{"20.2", "Accept-Encoding:", true, NULL, 0},
		{"20.2", "Accept-Encoding: gzip deflate", false, "parameter", 0},
		{"20.3", "Accept-Language: da, en-gb;q=0.8, en;q=0.7", true, NULL, 0},
		{"20.3", "Accept-Language: ", true, NULL, 0},
		{"20.4", "Alert-Info: <http://www.example.com/sounds/moo.wav>", true, NULL, 0},
		{"20.4", "Alert-Info: <http://a.example/x> ;appearance=2, <urn:alert:tone:busy>",
	         true, NULL, 0},
		{"20.4", "Alert-Info: http://www.example.com/sounds/moo.wav", false, "<>", 0},
		{"20.4", "Alert-Info: \"Moo\" <http://www.example.com/sounds/moo.wav>", false,
	         "display name", 0},
		{"20.4", "Alert-Info:", false, "empty header value", 0},
		{"20.5", "Allow: INVITE, ACK, OPTIONS, CANCEL, BYE", true, NULL, 0},
		{"20.5", "Allow:", true, NULL, 0},
		{"20.5", "Allow: INVITE ACK", false, "token", 0},
		{"20.5", "Allow: INVITE,,ACK", false, "empty element", 0},
		{"6665 8.4", "Allow-Events: presence, dialog", true, NULL, 0},
		{"6665 8.4", "u: refer", true, NULL, 0},
		{"6665 8.4", "Allow-Events:", false, "empty header value", 0},
		{"20.6", "Authentication-Info: nextnonce=\"47364c23432d2e131a5fb210812c\"", true,
	         NULL, 0},
		{"20.6", "Authentication-Info: qop=auth, rspauth=\"x\", cnonce=\"y\", nc=00000001",
	         true, NULL, 0},
		{"20.6", "Authentication-Info: nextnonce", false, "'='", 0},
		{"20.7",
	         "Authorization: Digest username=\"Alice\", realm=\"atlanta.com\", "
	         "nonce=\"84a4cc6f3082121f32b42a2187831a9e\", "
	         "response=\"7587245234b3434cc3412213e5f113a5\"",
	         true, NULL, 0},
		{"20.7", "Authorization: Digest", false, "LWS after the auth scheme", 0},
		{"20.7", "Authorization: Digest username=\"Alice\" realm=\"x\"", false, "','", 0},
		{"20.9",
	         "Call-Info: <http://wwww.example.com/alice/photo.jpg> ;purpose=icon,"
	         " <http://www.example.com/alice/> ;purpose=info",
	         true, NULL, 0},
		{"20.9", "Call-Info: http://wwww.example.com/alice/photo.jpg", false, "<>", 0},
		{"20.11", "Content-Disposition: session;handling=optional", true, NULL, 0},
		{"20.11", "Content-Disposition: ;handling=optional", false, "disposition type", 0},
		{"20.12", "Content-Encoding: gzip", true, NULL, 0},
		{"20.12", "e: gzip, tar", true, NULL, 0},
		{"20.12", "Content-Encoding:", false, "empty header value", 0},
		{"20.13", "Content-Language: fr", true, NULL, 0},
		{"20.13", "Content-Language:", false, "empty header value", 0},
		{"20.15", "Content-Type: application/sdp", true, NULL, 0},
		{"20.15", "c: text/html; charset=ISO-8859-4", true, NULL, 0},
		{"20.15", "Content-Type: sdp", false, "media type", 0},
		{"20.15", "Content-Type:", false, "media type", 0},
		{"20.15", "Content-Type: application/sdp\r\nc: text/plain", false, "appears twice",
	         REQ_NEXT_LINE + 1},
		{"20.17", "Date: Sat, 13 Nov 2010 23:29:00 GMT", true, NULL, 0},
		{"20.17", "Date: Sat, 13 Nov 2010 23:29:00 UTC", false, "GMT", 0},
		{"20.17", "Date: Fri, 01 Jan 2010 16:00:00 EST", false, "GMT", 0},
		{"20.17", "Date: Sat, 1 Nov 2010 23:29:00 GMT", false, "Date", 0},
		{"20.17", "Date: Xyz, 13 Nov 2010 23:29:00 GMT", false, "Date", 0},
		{"20.17", "Date: Sat, 13 Foo 2010 23:29:00 GMT", false, "Date", 0},
		{"20.17", "Date: Sat 13 Nov 2010 23:29:00 GMT ", false, "Date", 0},
		{"20.17", "Date: Sat, 13 Nov 2010 23-29-00 GMT", false, "Date", 0},
		{"20.17", "Date:", false, "Date", 0},
		{"20.18", "Error-Info: <sip:not-in-service-recording@atlanta.com>", true, NULL, 0},
		{"20.18", "Error-Info: sip:not-in-service-recording@atlanta.com", false, "<>", 0},
		{"6665 8.4", "Event: presence;id=1", true, NULL, 0},
		{"6665 8.4", "o: dialog", true, NULL, 0},
		{"6665 8.4", "Event:", false, "event type", 0},
		{"20.19", "Expires: 5", true, NULL, 0},
		{"20.19", "Expires: 4294967295", true, NULL, 0},
		{"20.19", "Expires: 4294967296", false, "too large", 0},
		{"20.19", "Expires: Thu, 01 Dec 1994 16:00:00 GMT", false, "number", 0},
		{"20.19", "Expires:", false, "number", 0},
		{"20.21", "In-Reply-To: 70710@saturn.bell-tel.com, 17320@saturn.bell-tel.com", true,
	         NULL, 0},
		{"20.21", "In-Reply-To: a b", false, "Call-ID", 0},
	};
	RUN(rows);
}

/* RFC 3261 §20 (M-Z) and the extensions. */
static void rfc3261_20_headers_m_to_z(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{"20.24", "MIME-Version: 1.0", true, NULL, 0},
		{"20.24", "MIME-Version: 1", false, "MIME-Version", 0},
		{"20.24", "MIME-Version: one.zero", false, "MIME-Version", 0},
		{"20.23", "Min-Expires: 60", true, NULL, 0},
		{"20.23", "Min-Expires: sixty", false, "number", 0},
		{"4028 5", "Min-SE: 90", true, NULL, 0},
		{"4028 5", "Min-SE: x", false, "delta-seconds", 0},
		{"20.25", "Organization: Boxes by Bob", true, NULL, 0},
		{"20.25", "Organization:", true, NULL, 0},
		{"3327 4", "Path: <sip:P3.EXAMPLEHOME.COM;lr>,<sip:P1.EXAMPLEVISITED.COM;lr>", true,
	         NULL, 0},
		{"3327 4", "Path: sip:P3.EXAMPLEHOME.COM;lr", false, "<>", 0},
		{"20.26", "Priority: emergency", true, NULL, 0},
		{"20.26", "Priority: very urgent", false, "token", 0},
		{"20.27",
	         "Proxy-Authenticate: Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\","
	         " qop=\"auth\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE,"
	         " algorithm=MD5",
	         true, NULL, 0},
		{"20.28", "Proxy-Authorization: Digest username=\"Alice\", realm=\"atlanta.com\"",
	         true, NULL, 0},
		{"20.29", "Proxy-Require: foo", true, NULL, 0},
		{"20.29", "Proxy-Require:", false, "empty header value", 0},
		{"3262 7.2", "RAck: 776656 1 INVITE", true, NULL, 0},
		{"3262 7.2", "RAck: 1 INVITE", false, "CSeq", 0},
		{"3326 2", "Reason: SIP ;cause=580 ;text=\"Precondition Failure\", Q.850;cause=16",
	         true, NULL, 0},
		{"3326 2", "Reason:", false, "empty header value", 0},
		{"3326 2", "Reason: SIP;cause=x", false, "number", 0},
		{"20.30",
	         "Record-Route: <sip:server10.biloxi.com;lr>, <sip:bigbox3.site3.atlanta.com;lr>",
	         true, NULL, 0},
		{"20.30", "Record-Route: sip:server10.biloxi.com;lr", false, "<>", 0},
		{"20.30", "Record-Route:", false, "empty header value", 0},
		{"4488 4", "Refer-Sub: false", true, NULL, 0},
		{"4488 4", "Refer-Sub:", false, "token", 0},
		{"3515 2.1",
	         "Refer-To: <sip:b@example.com?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345>",
	         true, NULL, 0},
		{"3515 2.1", "r: sip:c@example.com", true, NULL, 0},
		{"3515 2.1", "Refer-To:", false, "empty address", 0},
		{"3892 3", "Referred-By: <sip:referrer@referrer.example>", true, NULL, 0},
		{"3892 3", "b: <sip:referrer@referrer.example", false, "'>'", 0},
		{"3891 6.1", "Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff",
	         true, NULL, 0},
		{"3891 6.1", "Replaces: 98732@sip.example.com", false, "to-tag", 0},
		{"20.31", "Reply-To: Bob <sip:bob@biloxi.com>", true, NULL, 0},
		{"20.32", "Require: 100rel", true, NULL, 0},
		{"20.32", "Require:", false, "empty header value", 0},
		{"20.32", "Require: a b", false, "token", 0},
		{"20.33", "Retry-After: 18000;duration=3600", true, NULL, 0},
		{"20.33", "Retry-After: 120 (I'm in a meeting)", true, NULL, 0},
		{"20.33", "Retry-After: soon", false, "delta-seconds", 0},
		{"20.34", "Route: <sip:bigbox3.site3.atlanta.com;lr>, <sip:server10.biloxi.com;lr>",
	         true, NULL, 0},
		{"20.34", "Route: Proxy <sip:p.example.com;lr>", true, NULL, 0},
		{"20.34", "Route: sip:bigbox3.site3.atlanta.com;lr", false, "<>", 0},
		{"20.34", "Route: <sip:a.example.com;lr>,", false, "empty element", 0},
		{"20.34", "Route: *", false, "display name", 0},
		{"20.34", "Route: <sip:a.example.com;lr>;", false, "parameter", 0},
		{"20.34", "Route: <sip:a.example.com;lr>;, <sip:b.example.com;lr>", false,
	         "parameter", 0},
		{"20.34", "Route: <sip:a.example.com;lr>;x=, <sip:b.example.com;lr>", false,
	         "parameter", 0},
		{"20.34", "Route: <sip:a.example.com;lr> x, <sip:b.example.com;lr>", false,
	         "parameter", 0},
		{"20.34", "Route: <sip:a.example.com;lr>;x=1 ,<sip:b.example.com;lr> ;y", true,
	         NULL, 0},
		{"20.30", "Record-Route: <sip:a.example.com;lr>; ", false, "parameter", 0},
		{"3327 4", "Path: <sip:a.example.com;lr>;", false, "parameter", 0},
		{"20.34", "Route: <sip:a.example.com;lr>, *", false, "display name", 0},
		{"20.30", "Record-Route: *", false, "display name", 0},
		{"3327 4", "Path: *", false, "display name", 0},
		{"20.4", "Alert-Info: *", false, "display name", 0},
		{"20.9", "Call-Info: *", false, "display name", 0},
		{"20.18", "Error-Info: *", false, "display name", 0},
		{"3262 7.1", "RSeq: 988789", true, NULL, 0},
		{"3262 7.1", "RSeq: -1", false, "number", 0},
		{"20.35", "Server: HomeServer v2", true, NULL, 0},
		{"20.35", "Server: a/1.0 (comment (nested)) b", true, NULL, 0},
		{"20.35", "Server:", false, "empty product list", 0},
		{"20.35", "Server: a/", false, "product version", 0},
		{"20.35", "Server: (unterminated", false, "comment", 0},
		{"4028 4", "Session-Expires: 4000;refresher=uac", true, NULL, 0},
		{"4028 4", "x: 4000", true, NULL, 0},
		{"4028 4", "Session-Expires: 4000;refresher=both", false, "refresher", 0},
		{"20.36", "Subject: Need more boxes", true, NULL, 0},
		{"20.36", "s: Tech Support", true, NULL, 0},
		{"20.36", "Subject:", true, NULL, 0},
		{"6665 8.4", "Subscription-State: active;expires=60", true, NULL, 0},
		{"6665 8.4", "Subscription-State:", false, "subscription state", 0},
		{"20.37", "Supported: 100rel, timer", true, NULL, 0},
		{"20.37", "k:", true, NULL, 0},
		{"20.37", "Supported: 100rel timer", false, "token", 0},
		{"20.38", "Timestamp: 54", true, NULL, 0},
		{"20.38", "Timestamp: 54.2 0.5", true, NULL, 0},
		{"20.38", "Timestamp: 54.", true, NULL, 0},
		{"20.38", "Timestamp: .5", false, "Timestamp", 0},
		{"20.38", "Timestamp: 1.2.3", false, "Timestamp", 0},
		{"20.38", "Timestamp: 54 x", false, "Timestamp", 0},
		{"20.38", "Timestamp:", false, "Timestamp", 0},
		{"20.40", "Unsupported: foo", true, NULL, 0},
		{"20.40", "Unsupported:", false, "empty header value", 0},
		{"20.41", "User-Agent: Softphone Beta1.5", true, NULL, 0},
		{"20.41", "User-Agent: x (a\\) b)", true, NULL, 0},
		{"20.41", "User-Agent: x (a\x01)", false, "comment", 0},
		{"20.43",
	         "Warning: 307 isi.edu \"Session parameter 'foo' not understood\","
	         " 301 isi.edu \"Incompatible network address type 'E.164'\"",
	         true, NULL, 0},
		{"20.43", "Warning: 1812 overture \"In Progress\"", false, "warn-code", 0},
		{"20.43", "Warning:", false, "empty header value", 0},
		{"20.44",
	         "WWW-Authenticate: Digest realm=\"atlanta.com\", nonce=\"84a4cc6f\"\r\n"
	         "WWW-Authenticate: Basic realm=\"x\"",
	         true, NULL, 0},
		{"20.44", "WWW-Authenticate: Digest realm", false, "'='", 0},
	};
	RUN(rows);
}

/* Contact (§20.10): name-addr, addr-spec or STAR; q a qvalue; expires lenient
 * (§10.2.1.1). */
static void rfc3261_20_10_contact(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{"20.10",
	         "Contact: \"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7;"
	         " expires=3600, \"Mr. Watson\" <mailto:watson@bell-telephone.com> ;q=0.1",
	         true, NULL, 0},
		{"20.10", "m: <sips:bob@192.0.2.4>;expires=60", true, NULL, 0},
		{"20.10", "Contact: sip:a@b.example;expires=abc", true, NULL, 0},
		{"20.10", "Contact: sip:a@b.example;expires=999999999999999999999", true, NULL, 0},
		{"20.10", "Contact: *", true, NULL, 0},
		{"20.10", "Contact: <sip:a@b.example>;q=1.5", false, "qvalue", 0},
		{"20.10", "Contact: <sip:a@b.example>;q", false, "qvalue", 0},
		{"20.10", "Contact:", false, "empty header value", 0},
		{"20.10", "Contact: *, <sip:a@b.example>", false, "'*'", 0},
		{"20.10", "Contact: <sip:a@b.example>, *", false, "'*'", 0},
		{"20.10", "Contact: *\r\nContact: <sip:a@b.example>", false, "'*'", 0},
		{"20.10", "Contact: <sip:a@b.example>\r\nContact: *", false, "'*'",
	         REQ_NEXT_LINE + 1},
		{"20.10", "Contact: *;expires=0", false, "", 0},
		{"20.10", "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E", false,
	         "must be enclosed in <>", 0},
		{"20.10", "Contact: <sip:a@b.example>;;", false, "parameter", 0},
		{"20.10", "Contact: Bell, Alexander <sip:a@b.example>", false, "", 0},
		{"20.10", "Contact: <sip:a@b.example>,,<sip:c@d.example>", false, "empty element",
	         0},
	};
	RUN(rows);
}

/* §7.3.1: a header that is not a list appears once; lists, the
 * authentication headers and unknown headers may repeat. */
static void rfc3261_7_3_1_repeated_headers(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{"7.3.1", "Expires: 1\r\nExpires: 2", false, "appears twice", REQ_NEXT_LINE + 1},
		{"7.3.1", "Subject: a\r\ns: b", false, "appears twice", REQ_NEXT_LINE + 1},
		{"7.3.1",
	         "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT",
	         false, "appears twice", REQ_NEXT_LINE + 1},
		{"7.3.1", "RSeq: 1\r\nRSeq: 1", false, "appears twice", REQ_NEXT_LINE + 1},
		{"7.3.1", "Authorization: Digest a=b\r\nAuthorization: Digest c=d", true, NULL, 0},
		{"7.3.1", "Proxy-Authorization: Digest a=b\r\nProxy-Authorization: Digest c=d",
	         true, NULL, 0},
		{"7.3.1", "Proxy-Authenticate: Digest a=b\r\nProxy-Authenticate: Digest c=d", true,
	         NULL, 0},
		{"7.3.1", "Route: <sip:a.example;lr>\r\nRoute: <sip:b.example;lr>", true, NULL, 0},
		{"7.3.1", "X-Foo: 1\r\nX-Foo: 2\r\nx-foo: 3", true, NULL, 0},
	};
	RUN(rows);
}

/* Unknown headers: any TEXT-UTF8 and LWS; no control characters. */
static void rfc3261_25_1_extension_header_text(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{"25.1", "NewFangledHeader: newfangled value\r\n continued newfangled value", true,
	         NULL, 0},
		{"25.1", "UnknownHeaderWithUnusualValue: ;;,,;;,;", true, NULL, 0},
		{"25.1", "X-Utf8: \xe4\xb8\xad\xe6\x96\x87 and \xf0\x9f\x98\x80", true, NULL, 0},
		{"25.1", "X-Tab: a\tb", true, NULL, 0},
		{"25.1", "X-Empty:", true, NULL, 0},
		{"25.1", "X-Ctl: a\x01z", false, "control character", 0},
		{"25.1", "X-Del: a\x7fz", false, "control character", 0},
		{"25.1", "X-Esc: \x1b[0m", false, "control character", 0},
		{"25.1", "X-Cr: a\rz", false, "CR without LF", 0},
	};
	RUN(rows);
}

/* §8.2.6 (RFC 4475 §3.1.2.17-18): a request's CSeq method is its method;
 * 400, or 501 when the method is unknown. Responses are not compared. */
static void rfc3261_8_2_6_cseq_method(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"ACK sip:b@example.com SIP/2.0", "CANCEL sip:b@example.com SIP/2.0",
		"NEWMETHOD sip:b@example.com SIP/2.0", "invite sip:b@example.com SIP/2.0"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char t[512];
		const char *sp = strchr(ok[i], ' ');
		snprintf(t, sizeof t,
		         "%s\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: "
		         "<sip:a@example.com>;tag=1\r\n"
		         "To: <sip:b@example.com>\r\nCall-ID: c1\r\nCSeq: 7 %.*s\r\n\r\n",
		         ok[i], (int)(sp - ok[i]), ok[i]);
		struct parsed *p = parse_dgram(t);
		assert_valid(p);
		parsed_free(p);
	}
	static const struct {
		const char *method, *cseq;
		uint16_t status;
	} bad[] = {
		{"OPTIONS", "INVITE", 400}, {"NEWMETHOD", "INVITE", 501}, {"INVITE", "invite", 400},
		{"ACK", "INVITE", 400},     {"BYE", "BYE2", 400},         {"FOO", "BAR", 501},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char t[512];
		snprintf(t, sizeof t,
		         "%s sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		         "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: "
		         "c1\r\n"
		         "CSeq: 7 %s\r\n\r\n",
		         bad[i].method, bad[i].cseq);
		struct parsed *p = parse_dgram(t);
		assert_true(p->rc > 0);
		assert_rejected(p, bad[i].status, 6, "CSeq method does not match");
		assert_int_equal(p->err.column, 9);
		parsed_free(p);
	}
	struct parsed *p =
		parse_dgram("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                    "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
	                    "Call-ID: c1\r\nCSeq: 7 WHATEVER\r\n\r\n");
	assert_valid(p);
	parsed_free(p);
}

/* The check sees every Via value, not only the top one the parser reads. */
static void rfc3261_20_42_every_via(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{"20.42",
	         "Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2, SIP/2.0/TCP c.example.com", true,
	         NULL, 0},
		{"20.42", "v: SIP/2.0/UDP b.example.com;;branch=z9hG4bK2", false, "parameter", 0},
		{"20.42", "Via: SIP/2.0/UDP b.example.com, ", false, "empty element", 0},
		{"20.42", "Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2;", false, "parameter", 0},
		{"20.42", "Via: SIP/2.0/UDP b.example.com;, SIP/2.0/UDP c.example.com", false,
	         "parameter", 0},
		{"20.42",
	         "Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2 , SIP/2.0/UDP c.example.com", true,
	         NULL, 0},
		{"20.42", "Via: SIP/2.0/UDP b.example.com:70000", false, "port", 0},
		{"20.42", "Via:", false, "empty header value", 0},
		{"20.42", "Via: SIP/2.0 b.example.com", false, "Via", 0},
	};
	RUN(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_20_headers_a_to_l),
		cmocka_unit_test(rfc3261_20_headers_m_to_z),
		cmocka_unit_test(rfc3261_20_10_contact),
		cmocka_unit_test(rfc3261_7_3_1_repeated_headers),
		cmocka_unit_test(rfc3261_25_1_extension_header_text),
		cmocka_unit_test(rfc3261_8_2_6_cseq_method),
		cmocka_unit_test(rfc3261_20_42_every_via),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
