/* The message parser (src/msg/parse.c): start line, header fields, folding,
 * Content-Length and the body, the eagerly parsed headers, limits, and where
 * errors are reported. RFC 3261 §7, §18.3, §20, §25. */
#include "msg_test.h"

/* A whole message around a start line; the CSeq method is the request's
 * (its first word), INVITE for a response. */
static struct parsed *with_start(const char *start)
{
	bool response = !strncmp(start, "SIP/", 4) || !strncmp(start, "sip/", 4);
	const char *sp = strchr(start, ' ');
	int mlen = response ? 6 : sp ? (int)(sp - start) : (int)strlen(start);
	char t[1024];
	snprintf(t, sizeof t,
	         "%s\r\n"
	         "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
	         "From: <sip:a@example.com>;tag=1\r\n"
	         "To: <sip:b@example.com>\r\n"
	         "Call-ID: c1\r\n"
	         "CSeq: 1 %.*s\r\n"
	         "Content-Length: 0\r\n\r\n",
	         start, mlen, response ? "INVITE" : start);
	return parse_dgram(t);
}

/* -------------------------------------------------------------- start line */

/* Request-Line = Method SP Request-URI SP SIP-Version CRLF (§7.1, §25.1) */
static void rfc3261_7_1_request_line(void **state)
{
	(void)state;
	struct parsed *p = with_start("INVITE sip:bob@biloxi.com SIP/2.0");
	assert_valid(p);
	assert_true(p->msg.is_request);
	assert_int_equal(p->msg.method, SIPD_METHOD_INVITE);
	assert_slice(p->msg.method_name, "INVITE");
	assert_slice(p->msg.ruri.raw, "sip:bob@biloxi.com");
	assert_slice(p->msg.version, "SIP/2.0");
	parsed_free(p);

	/* the version is case-insensitive (§7.1); methods are not */
	p = with_start("OPTIONS sip:b@example.com sip/2.0");
	assert_valid(p);
	parsed_free(p);
	p = with_start("invite sip:b@example.com SIP/2.0");
	assert_valid(p);
	assert_int_equal(p->msg.method, SIPD_METHOD_OTHER);
	parsed_free(p);
	p = with_start("NOTIFY tel:+1-555-0100 SIP/2.0");
	assert_valid(p);
	assert_int_equal(p->msg.ruri.kind, SIPD_URI_TEL);
	parsed_free(p);
	p = with_start("MESSAGE im:alice@example.com SIP/2.0");
	assert_valid(p);
	assert_int_equal(p->msg.ruri.kind, SIPD_URI_OTHER);
	parsed_free(p);
}

static void expect_start_error(const char *start, uint16_t status, const char *piece,
                               uint32_t column)
{
	struct parsed *p = with_start(start);
	if (p->rc > 0)
		fail_msg("'%s' accepted by the parser", start);
	assert_int_equal(p->rc, SIPD_EPARSE);
	assert_rejected(p, status, 1, piece);
	if (column && p->err.column != column)
		fail_msg("'%s': '%s' at column %u, expected %u", start, p->err.what, p->err.column,
		         column);
	parsed_free(p);
}

/* Each way a request line can be wrong. */
static void rfc3261_7_1_request_line_errors(void **state)
{
	(void)state;
	expect_start_error("INVITE", 400, "without a Request-URI", 7);
	expect_start_error("INVITE sip:b@example.com", 400, "without a SIP version", 25);
	expect_start_error("INVITE  sip:b@example.com SIP/2.0", 400, "more than one SP", 8);
	expect_start_error("INVITE sip:b@example.com  SIP/2.0", 400, "Request-URI", 0);
	expect_start_error("INVITE sip:b@example.com SIP/2.0 ", 400, "after the SIP version", 33);
	expect_start_error("INVITE\tsip:b@example.com SIP/2.0", 400, "method is not a token", 1);
	expect_start_error("INV@ITE sip:b@example.com SIP/2.0", 400, "method is not a token", 1);
	expect_start_error("INVITE sip:b@example.com\tSIP/2.0", 400, "", 0);
	expect_start_error("INVITE <sip:b@example.com> SIP/2.0", 400, "enclosed in <>", 8);
	expect_start_error("INVITE sip:b@example.com; lr SIP/2.0", 400, "inside the Request-URI",
	                   0);
	expect_start_error("INVITE sip:b@example.com?Route=x SIP/2.0", 400,
	                   "headers in the Request-URI", 25);
	/* Request-URI = SIP-URI / SIPS-URI / absoluteURI: "*" is none of them */
	expect_start_error("OPTIONS * SIP/2.0", 400, "URI", 9);
	expect_start_error("INVITE b@example.com SIP/2.0", 400, "URI", 0);
	expect_start_error("INVITE sip:b@exa mple.com SIP/2.0", 400, "", 0);
	expect_start_error("INVITE sip:b@example.com:99999 SIP/2.0", 400, "port", 0);
	expect_start_error("INVITE sip:\xc3\xa9@example.com SIP/2.0", 400, "URI", 0);
	/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; only 2.0 is ours (505) */
	expect_start_error("INVITE sip:b@example.com SIP/3.0", 505, "unsupported SIP version", 26);
	expect_start_error("INVITE sip:b@example.com SIP/2.1", 505, "unsupported SIP version", 26);
	expect_start_error("INVITE sip:b@example.com SIP/2", 400, "malformed SIP version", 26);
	expect_start_error("INVITE sip:b@example.com SIP/2.", 400, "malformed SIP version", 26);
	expect_start_error("INVITE sip:b@example.com SIP/x.0", 400, "malformed SIP version", 26);
	expect_start_error("INVITE sip:b@example.com HTTP/1.1", 400, "malformed SIP version", 26);
	expect_start_error("INVITE sip:b@example.com SIP/2.0\x01", 400, "", 0);
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (§7.2). */
static void rfc3261_7_2_status_line(void **state)
{
	(void)state;
	struct parsed *p = with_start("SIP/2.0 180 Ringing");
	assert_valid(p);
	assert_false(p->msg.is_request);
	assert_int_equal(p->msg.status, 180);
	assert_slice(p->msg.reason, "Ringing");
	parsed_free(p);
	p = with_start("SIP/2.0 699 A reason, with: reserved ;/?@&=+$ chars\tand tab");
	assert_valid(p);
	assert_int_equal(p->msg.status, 699);
	parsed_free(p);
	p = with_start("SIP/2.0 200 \xe5\xa5\xbd \xd0\xbe\xd0\xba");
	assert_valid(p);
	assert_int_equal(p->msg.reason.len, 8);
	parsed_free(p);
	/* RFC 4475 §3.1.1.13: the SP before an empty phrase is required, a
	 * liberal receiver takes it without: we do */
	p = with_start("SIP/2.0 100");
	assert_valid(p);
	assert_int_equal(p->msg.reason.len, 0);
	parsed_free(p);
	p = with_start("sip/2.0 100 Trying");
	assert_valid(p);
	parsed_free(p);
}

static void rfc3261_7_2_status_line_errors(void **state)
{
	(void)state;
	expect_start_error("SIP/2.0", 400, "without a status code", 8);
	expect_start_error("SIP/2.0 99 Low", 400, "status code", 9);
	expect_start_error("SIP/2.0 700 High", 400, "status code", 9);
	expect_start_error("SIP/2.0 099 Low", 400, "status code", 9);
	expect_start_error("SIP/2.0 2000 OK", 400, "status code", 9);
	expect_start_error("SIP/2.0 20x OK", 400, "status code", 9);
	expect_start_error("SIP/2.0  200 OK", 400, "status code", 9);
	expect_start_error("SIP/2.0 4294967301 better not break the receiver", 400, "status code",
	                   9);
	expect_start_error("SIP/3.0 200 OK", 505, "unsupported SIP version", 1);
	expect_start_error("SIP/2 200 OK", 400, "malformed SIP version", 1);
	expect_start_error("SIP/2.0 200 O\x01K", 400, "control character in reason phrase", 14);
	expect_start_error("SIP/2.0 200 O\x7fK", 400, "", 0);
}

/* The start line must be there and end with CRLF. */
static void rfc3261_7_start_line_missing(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram("\r\nOPTIONS sip:b@example.com SIP/2.0\r\n\r\n");
	assert_rejected(p, 400, 1, "empty start line");
	parsed_free(p);
	p = parse_dgram("OPTIONS sip:b@example.com SIP/2.0");
	assert_rejected(p, 400, 1, "not terminated");
	parsed_free(p);
	p = parse_dgram("");
	assert_rejected(p, 400, 1, "not terminated");
	parsed_free(p);
	p = parse_dgram("Via: SIP/2.0/UDP h\r\n\r\n");
	assert_int_equal(p->rc, SIPD_EPARSE);
	parsed_free(p);
}

/* ------------------------------------------------------------- header lines */

/* message-header = field-name HCOLON field-value; HCOLON = *( SP / HTAB )
 * ":" SWS (§7.3.1, §25.1). */
static void rfc3261_7_3_1_hcolon(void **state)
{
	(void)state;
	struct parsed *p = parse_req_with("Subject :  hello  \r\n"
	                                  "Organization\t:\tACME\r\n"
	                                  "X-Empty:\r\n"
	                                  "X-Spaces:   \r\n"
	                                  "Content-Length: 0\r\n");
	assert_valid(p);
	assert_slice(hdr_value(&p->msg, SIPD_HDR_SUBJECT), "hello");
	assert_slice(hdr_value(&p->msg, SIPD_HDR_ORGANIZATION), "ACME");
	const struct sipd_hdr *h = sipd_msg_find_name(&p->msg, "X-Empty");
	assert_non_null(h);
	assert_non_null(h->value.p);
	assert_int_equal(h->value.len, 0);
	h = sipd_msg_find_name(&p->msg, "X-Spaces");
	assert_int_equal(h->value.len, 0);
	parsed_free(p);
}

/* field-name = token: anything else, or a line without a colon, is refused. */
static void rfc3261_7_3_1_header_name_errors(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		const char *piece;
		uint32_t column;
	} bad[] = {
		{"Sub ject: x\r\n", "colon", 5},
		{"Subject x\r\n", "colon", 9},
		{"Subject\r\n", "colon", 8},
		{": x\r\n", "header name is not a token", 1},
		{"Sub@ject: x\r\n", "colon", 4},
		{"Sub\x80ject: x\r\n", "colon", 4},
		{"\xc3\xa9: x\r\n", "header name is not a token", 1},
		{"Sub\0ject: x\r\n", "colon", 4},
		{"(Subject): x\r\n", "header name is not a token", 1},
		{"Subject\r\n : x\r\n", "colon", 8},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i].line);
		if (i == 7)
			n = 13; /* the NUL */
		char t[512];
		size_t a = strlen(REQ_HEAD);
		memcpy(t, REQ_HEAD, a);
		memcpy(t + a, bad[i].line, n);
		memcpy(t + a + n, "\r\n", 2);
		struct parsed *p = parse_n(t, a + n + 2, SIPD_FRAME_DATAGRAM, NULL);
		if (p->rc > 0)
			fail_msg("'%s' accepted", bad[i].line);
		assert_rejected(p, 400, REQ_NEXT_LINE, bad[i].piece);
		if (p->err.column != bad[i].column)
			fail_msg("'%s': column %u, expected %u", bad[i].line, p->err.column,
			         bad[i].column);
		parsed_free(p);
	}
}

/* §7.3.1: a line that starts with SP or HTAB continues the field; the line
 * break and the whitespace are one SP. Values keep their folds as they are. */
static void rfc3261_7_3_1_folding(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram("INVITE sip:b@example.com SIP/2.0\r\n"
	                               "Via: SIP/2.0/UDP h.example.com\r\n"
	                               "   ;branch=z9hG4bK1\r\n"
	                               "From:\r\n"
	                               "\t<sip:a@example.com>\r\n"
	                               " ;tag=1\r\n"
	                               "To: <sip:b@example.com>\r\n"
	                               "Call-ID: c1\r\n"
	                               "CSeq: 1\r\n"
	                               " \r\n"
	                               "  INVITE\r\n"
	                               "Subject: one\r\n"
	                               "\t two  \r\n"
	                               "Content-Length: 0\r\n\r\n");
	assert_valid(p);
	assert_slice(p->msg.via.branch, "z9hG4bK1");
	assert_slice(p->msg.from.tag, "1");
	assert_int_equal(p->msg.cseq.method, SIPD_METHOD_INVITE);
	assert_slice(hdr_value(&p->msg, SIPD_HDR_SUBJECT), "one\r\n\t two");
	assert_slice(hdr_value(&p->msg, SIPD_HDR_FROM), "<sip:a@example.com>\r\n ;tag=1");
	assert_int_equal(sipd_msg_find(&p->msg, SIPD_HDR_TO)->line, 7);
	assert_int_equal(sipd_msg_find(&p->msg, SIPD_HDR_SUBJECT)->line, 12);
	assert_int_equal(sipd_msg_find(&p->msg, SIPD_HDR_CONTENT_LENGTH)->line, 14);
	parsed_free(p);

	/* a continuation line with nothing to continue */
	p = parse_dgram("INVITE sip:b@example.com SIP/2.0\r\n"
	                " Via: SIP/2.0/UDP h.example.com\r\n\r\n");
	assert_rejected(p, 400, 2, "folded line before the first header");
	parsed_free(p);
}

/* Line ends: CRLF (§7). A bare LF is taken as a line end (a liberal choice:
 * files and hand-written messages have them); a CR must be followed by LF. */
static void rfc3261_7_line_ends(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram("OPTIONS sip:b@example.com SIP/2.0\n"
	                               "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\n"
	                               "From: <sip:a@example.com>;tag=1\r\n"
	                               "To: <sip:b@example.com>\n"
	                               " ;tag=2\n"
	                               "Call-ID: c1\n"
	                               "CSeq: 1 OPTIONS\n"
	                               "Content-Length: 4\n"
	                               "\n"
	                               "body");
	assert_valid(p);
	assert_slice(p->msg.to.tag, "2");
	assert_slice(p->msg.body, "body");
	assert_int_equal(sipd_msg_find(&p->msg, SIPD_HDR_CALL_ID)->line, 6);
	parsed_free(p);

	p = parse_req_with("Subject: a\rb\r\n");
	assert_rejected(p, 400, REQ_NEXT_LINE, "CR without LF");
	assert_int_equal(p->err.column, 11);
	parsed_free(p);
	p = parse_req_with("Subject: ab\r\r\n");
	assert_rejected(p, 400, REQ_NEXT_LINE, "CR without LF");
	assert_int_equal(p->err.column, 12);
	parsed_free(p);
	p = parse_req_with("X-Foo: a\rb\r\n");
	assert_rejected(p, 400, REQ_NEXT_LINE, "CR without LF");
	parsed_free(p);
	/* a bare CR is not LWS either */
	p = parse_dgram("OPTIONS sip:b@example.com SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
	                "From: <sip:a@example.com>;tag=1\r\n"
	                "To: <sip:b@example.com>\r\n"
	                "Call-ID: c1\r\n"
	                "CSeq: 1\rOPTIONS\r\n\r\n");
	assert_rejected(p, 400, 6, "CR without LF");
	parsed_free(p);
}

/* A datagram may end right after its last header line, without the empty
 * line (a liberal choice: the datagram's end is unambiguous); a stream waits
 * for the empty line. */
static void rfc3261_18_3_datagram_without_empty_line(void **state)
{
	(void)state;
	static const char m[] = "OPTIONS sip:b@example.com SIP/2.0\r\n"
				"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
				"From: <sip:a@example.com>;tag=1\r\n"
				"To: <sip:b@example.com>\r\n"
				"Call-ID: c1\r\n"
				"CSeq: 1 OPTIONS\r\n"
				"Content-Length: 0\r\n";
	struct parsed *p = parse_dgram(m);
	assert_valid(p);
	assert_int_equal(p->rc, strlen(m));
	assert_int_equal(p->msg.body.len, 0);
	parsed_free(p);
	/* even without the last CRLF, or with only its CR */
	p = parse_n(m, strlen(m) - 2, SIPD_FRAME_DATAGRAM, NULL);
	assert_valid(p);
	assert_int_equal(p->msg.content_length, 0);
	parsed_free(p);
	p = parse_n(m, strlen(m) - 1, SIPD_FRAME_DATAGRAM, NULL);
	assert_valid(p);
	parsed_free(p);
	p = parse_n(m, strlen(m), SIPD_FRAME_STREAM, NULL);
	assert_int_equal(p->rc, SIPD_EAGAIN);
	assert_int_equal(p->err.code, SIPD_EAGAIN);
	parsed_free(p);
}

/* NUL and other octets: never in names, URIs or tokens; in text values only
 * as TEXT-UTF8 allows; anything in a body. */
static void rfc3261_25_1_nul_and_high_octets(void **state)
{
	(void)state;
	static const char head[] = REQ_HEAD;
	char t[512];
	size_t a = sizeof head - 1;
	/* NUL in an unknown header's value */
	memcpy(t, head, a);
	memcpy(t + a, "X-Foo: a\0b\r\n\r\n", 14);
	struct parsed *p = parse_n(t, a + 14, SIPD_FRAME_DATAGRAM, NULL);
	assert_rejected(p, 400, REQ_NEXT_LINE, "control character");
	assert_int_equal(p->err.column, 9);
	parsed_free(p);
	/* NUL in Subject */
	memcpy(t + a, "Subject: \0\r\n\r\n", 14);
	p = parse_n(t, a + 14, SIPD_FRAME_DATAGRAM, NULL);
	assert_rejected(p, 400, REQ_NEXT_LINE, "control character");
	parsed_free(p);
	/* NUL in the Call-ID */
	static const char callid[] = "OPTIONS sip:b@example.com SIP/2.0\r\n"
				     "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
				     "From: <sip:a@example.com>;tag=1\r\n"
				     "To: <sip:b@example.com>\r\n"
				     "Call-ID: c\0d\r\n"
				     "CSeq: 1 OPTIONS\r\n\r\n";
	p = parse_n(callid, sizeof callid - 1, SIPD_FRAME_DATAGRAM, NULL);
	assert_rejected(p, 400, 5, "Call-ID");
	parsed_free(p);
	/* NUL in the request line */
	static const char rl[] = "OPTIONS sip:b@exa\0mple.com SIP/2.0\r\n\r\n";
	p = parse_n(rl, sizeof rl - 1, SIPD_FRAME_DATAGRAM, NULL);
	assert_rejected(p, 400, 1, "");
	parsed_free(p);
	/* UTF-8 in text and unknown values: fine; a body with NULs: fine */
	static const char utf[] =
		"Subject: caf\xc3\xa9\r\nX-Foo: \xe2\x82\xac 5\r\nContent-Length: 3\r\n\r\na\0b";
	memcpy(t + a, utf, sizeof utf - 1);
	p = parse_n(t, a + sizeof utf - 1, SIPD_FRAME_DATAGRAM, NULL);
	assert_valid(p);
	assert_int_equal(p->msg.body.len, 3);
	parsed_free(p);
	/* a high octet where a token is due */
	p = parse_req_with("Require: f\xc3\xa9\x65\r\n");
	assert_rejected(p, 400, REQ_NEXT_LINE, "");
	parsed_free(p);
}

/* ----------------------------------------------------------- the body */

/* Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT (§20.14). */
static void rfc3261_20_14_content_length(void **state)
{
	(void)state;
	struct parsed *p = parse_req_with("Content-Length:   0005  \r\n\r\nhello, and more");
	assert_valid(p);
	assert_int_equal(p->msg.content_length, 5);
	assert_slice(p->msg.body, "hello");
	assert_int_equal(p->rc, strlen(REQ_HEAD) + strlen("Content-Length:   0005  \r\n\r\n") + 5);
	parsed_free(p);
	p = parse_req_with("l:\r\n 2\r\n\r\nhi");
	assert_valid(p);
	assert_slice(p->msg.body, "hi");
	parsed_free(p);
	p = parse_req_with("Content-Length : 0\r\n");
	assert_valid(p);
	assert_int_equal(p->msg.content_length, 0);
	parsed_free(p);

	static const struct {
		const char *line;
		const char *piece;
	} bad[] = {
		{"Content-Length: -1\r\n", "expected a number"},
		{"Content-Length: +1\r\n", "expected a number"},
		{"Content-Length: five\r\n", "expected a number"},
		{"Content-Length:\r\n", "expected a number"},
		{"Content-Length: 1 2\r\n", "unexpected text"},
		{"Content-Length: 1.0\r\n", "unexpected text"},
		{"Content-Length: 99999999999\r\n", "number too large"},
		{"Content-Length: 0\r\nl: 0\r\n", "appears twice"},
		{"Content-Length: 10\r\n\r\nshort", "larger than the message"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p = parse_req_with(bad[i].line);
		assert_rejected(p, 400, 0, bad[i].piece);
		assert_true(p->err.line >= REQ_NEXT_LINE);
		parsed_free(p);
	}
}

/* §18.3: on a datagram without Content-Length the body is the rest of the
 * datagram; with one, octets beyond it are ignored. */
static void rfc3261_18_3_datagram_body(void **state)
{
	(void)state;
	struct parsed *p = parse_req_with("\r\nv=0\r\n");
	assert_valid(p);
	assert_int_equal(p->msg.content_length, -1);
	assert_slice(p->msg.body, "v=0\r\n\r\n");
	assert_int_equal(p->rc, p->len);
	parsed_free(p);
	p = parse_req_with("Content-Length: 3\r\n\r\nv=0\r\nignored");
	assert_valid(p);
	assert_slice(p->msg.body, "v=0");
	assert_int_equal(p->rc, p->len - strlen("\r\nignored\r\n"));
	parsed_free(p);
}

/* §18.3: on a stream, Content-Length is required and the parser waits for
 * the whole body. */
static void rfc3261_18_3_stream_content_length_required(void **state)
{
	(void)state;
	static const char m[] = REQ_HEAD "\r\n";
	struct parsed *p = parse_n(m, strlen(m), SIPD_FRAME_STREAM, NULL);
	assert_int_equal(p->rc, SIPD_EPARSE);
	assert_rejected(p, 400, REQ_NEXT_LINE, "missing Content-Length on a stream");
	parsed_free(p);

	static const char m2[] = REQ_HEAD "Content-Length: 4\r\n\r\nab";
	p = parse_n(m2, strlen(m2), SIPD_FRAME_STREAM, NULL);
	assert_int_equal(p->rc, SIPD_EAGAIN);
	parsed_free(p);
	p = parse_n(m2, strlen(m2) - 20, SIPD_FRAME_STREAM, NULL);
	assert_int_equal(p->rc, SIPD_EAGAIN);
	parsed_free(p);
	p = parse_n(m2, 10, SIPD_FRAME_STREAM, NULL);
	assert_int_equal(p->rc, SIPD_EAGAIN);
	parsed_free(p);
	static const char m3[] = REQ_HEAD "Content-Length: 2\r\n\r\nabINVITE";
	p = parse_n(m3, strlen(m3), SIPD_FRAME_STREAM, NULL);
	assert_valid(p);
	assert_int_equal(p->rc, strlen(m3) - 6);
	parsed_free(p);
}

/* ---------------------------------------------------- mandatory headers */

/* §8.1.1: To, From, CSeq, Call-ID and Via are mandatory. Max-Forwards too,
 * but RFC 2543 peers omit it (RFC 4475 §3.4.1): its absence is tolerated. */
static void rfc3261_8_1_1_mandatory_headers(void **state)
{
	(void)state;
	static const char *const names[] = {"Via", "From", "To", "Call-ID", "CSeq"};
	static const char *const lines[] = {"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n",
	                                    "From: <sip:a@example.com>;tag=1\r\n",
	                                    "To: <sip:b@example.com>\r\n", "Call-ID: c1\r\n",
	                                    "CSeq: 1 OPTIONS\r\n"};
	for (int skip = -1; skip < 5; skip++) {
		char t[1024] = "OPTIONS sip:b@example.com SIP/2.0\r\n";
		for (int i = 0; i < 5; i++)
			if (i != skip)
				strcat(t, lines[i]);
		strcat(t, "\r\n");
		struct parsed *p = parse_dgram(t);
		if (skip < 0) {
			assert_valid(p);
			assert_int_equal(p->msg.max_forwards, -1);
		} else {
			char what[64];
			snprintf(what, sizeof what, "missing %s header", names[skip]);
			assert_rejected(p, 400, 1, what);
		}
		parsed_free(p);
	}
}

/* §7.3.1: headers that are not lists appear once. The first repetition in
 * the message is the one reported. */
static void rfc3261_7_3_1_single_value_repeated(void **state)
{
	(void)state;
	static const char *const again[] = {
		"From: <sip:x@example.com>;tag=2\r\n",
		"To: <sip:y@example.com>\r\n",
		"Call-ID: c2\r\n",
		"CSeq: 2 INVITE\r\n",
		"Max-Forwards: 1\r\n",
		"Content-Length: 0\r\nl: 0\r\n",
		"i: c2\r\n",
		"f: <sip:x@example.com>;tag=2\r\n",
	};
	for (size_t i = 0; i < sizeof again / sizeof again[0]; i++) {
		struct parsed *p = parse_req_with(again[i]);
		assert_rejected(p, 400, 0, "appears twice");
		assert_int_equal(p->rc, SIPD_EPARSE); /* found by the parser itself */
		parsed_free(p);
	}
	struct parsed *p = parse_req_with("Call-ID: c2\r\nCSeq: 2 INVITE\r\n");
	assert_rejected(p, 400, REQ_NEXT_LINE, "appears twice");
	parsed_free(p);
}

/* The eager headers are parsed to their grammar by sipd_msg_parse(). */
static void rfc3261_20_eager_headers(void **state)
{
	(void)state;
	struct parsed *p = parse_dgram("OPTIONS sip:b@example.com SIP/2.0\r\n"
	                               "Via: SIP/2.0/TCP a.example.com:5070;branch=z9hG4bK1, "
	                               "SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
	                               "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n"
	                               "From: \"A\" <sip:a@example.com>;tag=1\r\n"
	                               "To: B <sip:b@example.com>;tag=2\r\n"
	                               "Call-ID: c1@h\r\n"
	                               "CSeq: 42 OPTIONS\r\n"
	                               "Max-Forwards: 0255\r\n\r\n");
	assert_valid(p);
	assert_slice(p->msg.via.transport, "TCP");
	assert_slice(p->msg.via.host, "a.example.com");
	assert_int_equal(p->msg.via.port, 5070);
	assert_slice(p->msg.via.branch, "z9hG4bK1");
	assert_slice(p->msg.from.display, "A");
	assert_slice(p->msg.to.display, "B");
	assert_slice(p->msg.to.tag, "2");
	assert_slice(p->msg.call_id, "c1@h");
	assert_int_equal(p->msg.cseq.seq, 42);
	assert_int_equal(p->msg.max_forwards, 255);
	assert_int_equal(p->msg.content_length, -1);
	parsed_free(p);

	static const struct {
		const char *extra;
		const char *piece;
	} bad[] = {
		{"Max-Forwards: 256\r\n", "Max-Forwards above 255"},
		{"Max-Forwards: -1\r\n", "expected a number"},
		{"Max-Forwards: 1 0\r\n", "unexpected text"},
		{"Max-Forwards:\r\n", "expected a number"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char t[1024];
		snprintf(t, sizeof t,
		         "OPTIONS sip:b@example.com SIP/2.0\r\n"
		         "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		         "From: <sip:a@example.com>;tag=1\r\n"
		         "To: <sip:b@example.com>\r\n"
		         "Call-ID: c1\r\n"
		         "CSeq: 1 OPTIONS\r\n%s\r\n",
		         bad[i].extra);
		p = parse_dgram(t);
		assert_rejected(p, 400, 7, bad[i].piece);
		parsed_free(p);
	}
}

/* Empty values where the grammar needs one: the eager headers. */
static void rfc3261_25_1_empty_eager_values(void **state)
{
	(void)state;
	static const char *const lines[] = {"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n",
	                                    "From: <sip:a@example.com>;tag=1\r\n",
	                                    "To: <sip:b@example.com>\r\n", "Call-ID: c1\r\n",
	                                    "CSeq: 1 OPTIONS\r\n"};
	static const char *const empty[] = {"Via:\r\n", "From: \r\n", "To:\r\n", "Call-ID:\r\n",
	                                    "CSeq:  \r\n"};
	static const char *const star[] = {NULL, "From: *\r\n", "To: *\r\n", NULL, NULL};
	for (int k = 0; k < 5; k++) {
		for (int v = 0; v < 2; v++) {
			const char *repl = v ? star[k] : empty[k];
			if (!repl)
				continue;
			char t[1024] = "OPTIONS sip:b@example.com SIP/2.0\r\n";
			for (int i = 0; i < 5; i++)
				strcat(t, i == k ? repl : lines[i]);
			strcat(t, "\r\n");
			struct parsed *p = parse_dgram(t);
			if (p->rc > 0)
				fail_msg("accepted: %s", repl);
			assert_rejected(p, 400, (uint32_t)k + 2, "");
			parsed_free(p);
		}
	}
}

/* ---------------------------------------------------------------- limits */

/* Limits protect memory: SIPD_ELIMIT with the status to answer. */
static void rfc3261_21_5_7_limit_max_message(void **state)
{
	(void)state;
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_message = 100};
	static const char m[] = REQ_HEAD "\r\n";
	struct parsed *p = parse_n(m, strlen(m), SIPD_FRAME_DATAGRAM, &lim);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	assert_int_equal(p->err.code, SIPD_ELIMIT);
	assert_int_equal(p->err.status, 513);
	parsed_free(p);
	lim.max_message = (uint32_t)strlen(m);
	p = parse_n(m, strlen(m), SIPD_FRAME_DATAGRAM, &lim);
	assert_valid(p);
	parsed_free(p);
	/* a Content-Length beyond the limit: 413 */
	static const char m2[] = REQ_HEAD "Content-Length: 70000\r\n\r\n";
	p = parse_n(m2, strlen(m2), SIPD_FRAME_STREAM, NULL);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	assert_int_equal(p->err.status, 413);
	parsed_free(p);
	/* headers that never end on a stream stop at the limit */
	lim.max_message = 200;
	char big[400];
	memset(big, 'a', sizeof big);
	memcpy(big, REQ_HEAD "X: ", strlen(REQ_HEAD) + 3);
	p = parse_n(big, sizeof big, SIPD_FRAME_STREAM, &lim);
	assert_true(p->rc == SIPD_ELIMIT || p->rc == SIPD_EPARSE);
	parsed_free(p);
}

static void rfc3261_21_4_12_limit_max_line(void **state)
{
	(void)state;
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_line = 40};
	/* the Via line (54 octets) */
	struct parsed *p =
		parse_n(REQ_HEAD "\r\n", strlen(REQ_HEAD) + 2, SIPD_FRAME_DATAGRAM, &lim);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	assert_int_equal(p->err.status, 400);
	assert_int_equal(p->err.line, 2);
	parsed_free(p);
	/* the start line: 414 for a request (its URI is what is long) */
	lim.max_line = 30;
	p = parse_n(REQ_HEAD "\r\n", strlen(REQ_HEAD) + 2, SIPD_FRAME_DATAGRAM, &lim);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	assert_int_equal(p->err.status, 414);
	assert_int_equal(p->err.line, 1);
	parsed_free(p);
	/* a header line */
	lim.max_line = 60;
	static const char m[] = REQ_HEAD
		"Subject: 0123456789012345678901234567890123456789012345678901234567890\r\n\r\n";
	p = parse_n(m, strlen(m), SIPD_FRAME_DATAGRAM, &lim);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	assert_int_equal(p->err.line, REQ_NEXT_LINE);
	parsed_free(p);
	/* a folded header whose lines are short but whose whole is long */
	static const char f[] = REQ_HEAD "Subject: 0123456789012345678901234567890\r\n"
					 " 0123456789012345678901234567890\r\n\r\n";
	p = parse_n(f, strlen(f), SIPD_FRAME_DATAGRAM, &lim);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	parsed_free(p);
	/* within the limit */
	lim.max_line = 100;
	p = parse_n(f, strlen(f), SIPD_FRAME_DATAGRAM, &lim);
	assert_valid(p);
	parsed_free(p);
}

static void rfc3261_21_4_1_limit_max_headers(void **state)
{
	(void)state;
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_headers = 6};
	static const char m[] = REQ_HEAD "\r\n"; /* 6 headers */
	struct parsed *p = parse_n(m, strlen(m), SIPD_FRAME_DATAGRAM, &lim);
	assert_valid(p);
	assert_int_equal(p->msg.nhdrs, 6);
	parsed_free(p);
	lim.max_headers = 5;
	p = parse_n(m, strlen(m), SIPD_FRAME_DATAGRAM, &lim);
	assert_int_equal(p->rc, SIPD_ELIMIT);
	assert_int_equal(p->err.code, SIPD_ELIMIT);
	assert_int_equal(p->err.line, 7);
	assert_non_null(strstr(p->err.what, "too many headers"));
	parsed_free(p);
	/* the slot count is a hard cap too */
	struct sipd_msg msg;
	struct sipd_hdr hdrs[3];
	struct sipd_parse_error err;
	char *b = dup_exact(m, strlen(m));
	assert_int_equal(
		sipd_msg_parse(&msg, hdrs, 3, b, strlen(m), SIPD_FRAME_DATAGRAM, NULL, &err),
		SIPD_ELIMIT);
	free(b);
}

/* ------------------------------------------------------- error positions */

/* line and column are 1-based; the offset is from the message start. */
static void rfc3261_7_error_position(void **state)
{
	(void)state;
	struct parsed *p = parse_req_with("Expires: 12x\r\n");
	assert_true(p->rc > 0);
	assert_int_equal(p->check, SIPD_EPARSE);
	assert_int_equal(p->err.line, REQ_NEXT_LINE);
	assert_int_equal(p->err.column, 12);
	assert_int_equal(p->err.offset, strlen(REQ_HEAD) + 11);
	parsed_free(p);
	/* a fault on the second line of a folded value */
	p = parse_req_with("Require: a,\r\n b c\r\n");
	assert_true(p->rc > 0);
	assert_int_equal(p->err.line, REQ_NEXT_LINE + 1);
	assert_int_equal(p->err.column, 4);
	parsed_free(p);
	/* a NULL err is allowed */
	struct sipd_msg msg;
	struct sipd_hdr hdrs[8];
	assert_int_equal(sipd_msg_parse(&msg, hdrs, 8, "x", 1, SIPD_FRAME_DATAGRAM, NULL, NULL),
	                 SIPD_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_7_1_request_line),
		cmocka_unit_test(rfc3261_7_1_request_line_errors),
		cmocka_unit_test(rfc3261_7_2_status_line),
		cmocka_unit_test(rfc3261_7_2_status_line_errors),
		cmocka_unit_test(rfc3261_7_start_line_missing),
		cmocka_unit_test(rfc3261_7_3_1_hcolon),
		cmocka_unit_test(rfc3261_7_3_1_header_name_errors),
		cmocka_unit_test(rfc3261_7_3_1_folding),
		cmocka_unit_test(rfc3261_7_line_ends),
		cmocka_unit_test(rfc3261_18_3_datagram_without_empty_line),
		cmocka_unit_test(rfc3261_25_1_nul_and_high_octets),
		cmocka_unit_test(rfc3261_20_14_content_length),
		cmocka_unit_test(rfc3261_18_3_datagram_body),
		cmocka_unit_test(rfc3261_18_3_stream_content_length_required),
		cmocka_unit_test(rfc3261_8_1_1_mandatory_headers),
		cmocka_unit_test(rfc3261_7_3_1_single_value_repeated),
		cmocka_unit_test(rfc3261_20_eager_headers),
		cmocka_unit_test(rfc3261_25_1_empty_eager_values),
		cmocka_unit_test(rfc3261_21_5_7_limit_max_message),
		cmocka_unit_test(rfc3261_21_4_12_limit_max_line),
		cmocka_unit_test(rfc3261_21_4_1_limit_max_headers),
		cmocka_unit_test(rfc3261_7_error_position),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
