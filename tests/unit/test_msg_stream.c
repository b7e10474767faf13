/* Stream framing (src/msg/stream.c): sipd_msg_frame() and the reassembly
 * buffer sipd_stream. RFC 3261 §18.3 (Content-Length frames messages on
 * streams), §7.5 and RFC 5626 §3.5.1 (CRLFs between messages). */
#include "msg_test.h"

#define MSG1                                                                                       \
	"OPTIONS sip:b@example.com SIP/2.0\r\n"                                                    \
	"Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"                                       \
	"From: <sip:a@example.com>;tag=1\r\n"                                                      \
	"To: <sip:b@example.com>\r\n"                                                              \
	"Call-ID: c1\r\n"                                                                          \
	"CSeq: 1 OPTIONS\r\n"                                                                      \
	"Content-Length: 5\r\n"                                                                    \
	"\r\n"                                                                                     \
	"hello"
#define MSG2                                                                                       \
	"SIP/2.0 200 OK\r\n"                                                                       \
	"v: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"                                         \
	"f: <sip:a@example.com>;tag=1\r\n"                                                         \
	"t: <sip:b@example.com>;tag=2\r\n"                                                         \
	"i: c1\r\n"                                                                                \
	"CSeq: 1 OPTIONS\r\n"                                                                      \
	"l: 0\r\n"                                                                                 \
	"\r\n"

static int frame(const char *text, size_t n, const struct sipd_parse_limits *lim, size_t *skip,
                 size_t *len, struct sipd_parse_error *err)
{
	char *b = dup_exact(text, n);
	int rc = sipd_msg_frame(b, n, lim, skip, len, err);
	free(b);
	return rc;
}

/* §18.3: the message ends where Content-Length says. */
static void rfc3261_18_3_frame_by_content_length(void **state)
{
	(void)state;
	size_t skip, len;
	struct sipd_parse_error err;
	static const char two[] = MSG1 MSG2;
	assert_int_equal(frame(two, strlen(two), NULL, &skip, &len, &err), 0);
	assert_int_equal(skip, 0);
	assert_int_equal(len, strlen(MSG1));
	assert_int_equal(frame(MSG2, strlen(MSG2), NULL, &skip, &len, &err), 0);
	assert_int_equal(len, strlen(MSG2));
	/* "Content-Length : 5", folded, with leading zeros */
	static const char odd[] =
		"OPTIONS sip:b SIP/2.0\r\nContent-Length :\r\n  005\r\n\r\nhelloX";
	assert_int_equal(frame(odd, strlen(odd), NULL, &skip, &len, &err), 0);
	assert_int_equal(len, strlen(odd) - 1);
	/* a header that merely contains the name is not it */
	static const char other[] = "OPTIONS sip:b SIP/2.0\r\nX-Content-Length: 9\r\n"
				    "Subject: l: 7\r\n"
				    " Content-Length: 8\r\n"
				    "l: 1\r\n\r\nxy";
	assert_int_equal(frame(other, strlen(other), NULL, &skip, &len, &err), 0);
	assert_int_equal(len, strlen(other) - 1);
}

/* §7.5 / RFC 5626 §3.5.1: CRLFs before a message are keep-alives, skipped. */
static void rfc5626_3_5_1_keepalives_skipped(void **state)
{
	(void)state;
	size_t skip, len;
	struct sipd_parse_error err;
	static const char ka[] = "\r\n\r\n\r\n" MSG2;
	assert_int_equal(frame(ka, strlen(ka), NULL, &skip, &len, &err), 0);
	assert_int_equal(skip, 6);
	assert_int_equal(len, strlen(MSG2));
	assert_int_equal(frame("\r\n\r\n", 4, NULL, &skip, &len, &err), SIPD_EAGAIN);
	assert_int_equal(skip, 4);
	assert_int_equal(frame("\r\n", 2, NULL, &skip, &len, &err), SIPD_EAGAIN);
	assert_int_equal(skip, 2);
	assert_int_equal(frame("", 0, NULL, &skip, &len, &err), SIPD_EAGAIN);
	assert_int_equal(skip, 0);
}

/* An incomplete message is SIPD_EAGAIN at every cut. */
static void rfc3261_18_3_frame_partial(void **state)
{
	(void)state;
	size_t skip, len;
	struct sipd_parse_error err;
	static const char m[] = MSG1;
	for (size_t cut = 0; cut < strlen(m); cut++) {
		int rc = frame(m, cut, NULL, &skip, &len, &err);
		if (rc != SIPD_EAGAIN)
			fail_msg("cut at %zu: %d", cut, rc);
		assert_int_equal(err.code, SIPD_EAGAIN);
	}
	assert_int_equal(frame(m, strlen(m), NULL, &skip, &len, &err), 0);
}

/* §18.3: without Content-Length a stream cannot be framed; a bad or
 * repeated one neither (RFC 4475 §3.1.2.3, §3.3.9). Fatal for the connection. */
static void rfc3261_18_3_stream_content_length_required(void **state)
{
	(void)state;
	size_t skip, len;
	struct sipd_parse_error err;
	static const char *const bad[] = {
		"OPTIONS sip:b SIP/2.0\r\nVia: x\r\n\r\n",
		"OPTIONS sip:b SIP/2.0\r\nContent-Length: -999\r\n\r\n",
		"OPTIONS sip:b SIP/2.0\r\nContent-Length: five\r\n\r\n",
		"OPTIONS sip:b SIP/2.0\r\nContent-Length:\r\n\r\n",
		"OPTIONS sip:b SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n",
		"OPTIONS sip:b SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n",
		"OPTIONS sip:b SIP/2.0\r\nContent-Length: 1 2\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = frame(bad[i], strlen(bad[i]), NULL, &skip, &len, &err);
		if (rc != SIPD_EPARSE)
			fail_msg("'%s': %d", bad[i], rc);
		assert_int_equal(err.code, SIPD_EPARSE);
		assert_int_equal(err.status, 400);
		assert_non_null(err.what);
	}
	assert_int_equal(frame(bad[0], strlen(bad[0]), NULL, &skip, &len, &err), SIPD_EPARSE);
	assert_non_null(strstr(err.what, "missing Content-Length"));
}

/* Bare LF line ends (tolerated by the parser) frame the same way. */
static void rfc3261_7_5_stream_bare_lf(void **state)
{
	(void)state;
	static const char m[] = "OPTIONS sip:b@example.com SIP/2.0\n"
				"Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\n"
				"From: <sip:a@example.com>;tag=1\n"
				"To: <sip:b@example.com>\n"
				"Call-ID: c1\n"
				"CSeq: 1 OPTIONS\n"
				"Content-Length: 2\n"
				"\n"
				"okOPTIONS";
	size_t skip, len;
	struct sipd_parse_error err;
	assert_int_equal(frame(m, strlen(m), NULL, &skip, &len, &err), 0);
	assert_int_equal(len, strlen(m) - 7);
	struct parsed *p = parse_n(m, strlen(m), SIPD_FRAME_STREAM, NULL);
	assert_valid(p);
	assert_int_equal(p->rc, strlen(m) - 7);
	assert_slice(p->msg.body, "ok");
	parsed_free(p);
	/* "\n\r\n" ends the headers too */
	static const char mixed[] = "OPTIONS sip:b SIP/2.0\nl: 1\n\r\nxy";
	assert_int_equal(frame(mixed, strlen(mixed), NULL, &skip, &len, &err), 0);
	assert_int_equal(len, strlen(mixed) - 1);
}

/* The limits: headers that never end, and a message beyond max_message. */
static void rfc3261_18_3_limit_stream_max_message(void **state)
{
	(void)state;
	size_t skip, len;
	struct sipd_parse_error err;
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_message = 64};
	char big[100];
	memset(big, 'a', sizeof big);
	assert_int_equal(frame(big, sizeof big, &lim, &skip, &len, &err), SIPD_ELIMIT);
	assert_int_equal(err.code, SIPD_ELIMIT);
	assert_int_equal(frame(big, 64, &lim, &skip, &len, &err), SIPD_EAGAIN);
	static const char cl[] = "OPTIONS sip:b SIP/2.0\r\nl: 100\r\n\r\n";
	assert_int_equal(frame(cl, strlen(cl), &lim, &skip, &len, &err), SIPD_ELIMIT);
	assert_int_equal(err.status, 513);
	assert_int_equal(frame(MSG1, strlen(MSG1), NULL, &skip, &len, &err), 0);
}

/* ------------------------------------------------------------ sipd_stream */

struct collected {
	unsigned n;
	size_t len[8];
	char *msg[8];
	int last;
};

static void drain(struct sipd_stream *s, struct collected *c)
{
	for (;;) {
		const char *m;
		size_t ml;
		struct sipd_parse_error err;
		c->last = sipd_stream_next(s, &m, &ml, &err);
		if (c->last)
			return;
		assert_true(c->n < 8);
		c->msg[c->n] = dup_exact(m, ml);
		c->len[c->n++] = ml;
	}
}

static void collected_free(struct collected *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->msg[i]);
	c->n = 0;
}

/* Messages come out whole whatever the pieces they arrive in. */
static void rfc3261_18_3_stream_every_split(void **state)
{
	(void)state;
	static const char all[] = "\r\n" MSG1 "\r\n\r\n" MSG2 MSG1;
	size_t n = strlen(all);
	for (size_t cut = 0; cut <= n; cut++) {
		struct sipd_stream s;
		struct collected c = {0};
		sipd_stream_init(&s, NULL);
		assert_int_equal(sipd_stream_push(&s, all, cut), 0);
		drain(&s, &c);
		assert_int_equal(c.last, SIPD_EAGAIN);
		assert_int_equal(sipd_stream_push(&s, all + cut, n - cut), 0);
		drain(&s, &c);
		assert_int_equal(c.last, SIPD_EAGAIN);
		assert_int_equal(c.n, 3);
		assert_int_equal(c.len[0], strlen(MSG1));
		assert_memory_equal(c.msg[0], MSG1, strlen(MSG1));
		assert_int_equal(c.len[1], strlen(MSG2));
		assert_memory_equal(c.msg[1], MSG2, strlen(MSG2));
		assert_int_equal(c.len[2], strlen(MSG1));
		/* each parses as a stream message */
		struct parsed *p = parse_n(c.msg[1], c.len[1], SIPD_FRAME_STREAM, NULL);
		assert_valid(p);
		assert_int_equal(p->msg.status, 200);
		parsed_free(p);
		collected_free(&c);
		sipd_stream_free(&s);
	}
}

static void rfc3261_18_3_stream_byte_by_byte(void **state)
{
	(void)state;
	static const char all[] = MSG2 "\r\n" MSG1;
	struct sipd_stream s;
	struct collected c = {0};
	sipd_stream_init(&s, NULL);
	for (size_t i = 0; i < strlen(all); i++) {
		assert_int_equal(sipd_stream_push(&s, all + i, 1), 0);
		drain(&s, &c);
		assert_int_equal(c.last, SIPD_EAGAIN);
		if (i + 1 < strlen(MSG2))
			assert_int_equal(c.n, 0);
	}
	assert_int_equal(c.n, 2);
	collected_free(&c);
	/* nothing left: next says so, and so does an empty push */
	assert_int_equal(sipd_stream_push(&s, "", 0), 0);
	drain(&s, &c);
	assert_int_equal(c.last, SIPD_EAGAIN);
	sipd_stream_free(&s);
	/* a freed stream can start again */
	sipd_stream_init(&s, NULL);
	assert_int_equal(sipd_stream_push(&s, MSG2, strlen(MSG2)), 0);
	drain(&s, &c);
	assert_int_equal(c.n, 1);
	collected_free(&c);
	sipd_stream_free(&s);
	sipd_stream_free(&s);
}

/* A framing error stays: the stream cannot be resynchronised. */
static void rfc3261_18_3_stream_error_is_final(void **state)
{
	(void)state;
	static const char bad[] = "OPTIONS sip:b SIP/2.0\r\nVia: x\r\n\r\n" MSG2;
	struct sipd_stream s;
	struct collected c = {0};
	sipd_stream_init(&s, NULL);
	assert_int_equal(sipd_stream_push(&s, bad, strlen(bad)), 0);
	drain(&s, &c);
	assert_int_equal(c.last, SIPD_EPARSE);
	assert_int_equal(c.n, 0);
	drain(&s, &c);
	assert_int_equal(c.last, SIPD_EPARSE);
	sipd_stream_free(&s);
}

/* The buffer never holds more than max_message plus one read. */
static void rfc3261_18_3_limit_stream_buffer(void **state)
{
	(void)state;
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_message = 1000};
	struct sipd_stream s;
	sipd_stream_init(&s, &lim);
	char chunk[4096];
	memset(chunk, 'a', sizeof chunk);
	assert_int_equal(sipd_stream_push(&s, chunk, 1000), 0);
	assert_int_equal(sipd_stream_push(&s, chunk, 1024), 0);
	assert_int_equal(sipd_stream_push(&s, chunk, 3072), 0); /* 1000 + 4096 */
	assert_int_equal(sipd_stream_push(&s, chunk, 1), SIPD_ELIMIT);
	struct collected c = {0};
	drain(&s, &c);
	assert_int_equal(c.last, SIPD_ELIMIT);
	sipd_stream_free(&s);
	/* after a message is taken, its room is reused */
	sipd_stream_init(&s, &lim);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(sipd_stream_push(&s, MSG1, strlen(MSG1)), 0);
		drain(&s, &c);
		assert_int_equal(c.n, 1);
		collected_free(&c);
	}
	assert_true(s.cap <= 4096);
	sipd_stream_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_18_3_frame_by_content_length),
		cmocka_unit_test(rfc5626_3_5_1_keepalives_skipped),
		cmocka_unit_test(rfc3261_18_3_frame_partial),
		cmocka_unit_test(rfc3261_18_3_stream_content_length_required),
		cmocka_unit_test(rfc3261_7_5_stream_bare_lf),
		cmocka_unit_test(rfc3261_18_3_limit_stream_max_message),
		cmocka_unit_test(rfc3261_18_3_stream_every_split),
		cmocka_unit_test(rfc3261_18_3_stream_byte_by_byte),
		cmocka_unit_test(rfc3261_18_3_stream_error_is_final),
		cmocka_unit_test(rfc3261_18_3_limit_stream_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
