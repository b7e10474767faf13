/* Helpers shared by the message-layer unit tests (header only, not a test). */
#ifndef SIPD_TESTS_MSG_TEST_H
#define SIPD_TESTS_MSG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/msg.h>

#define TEST_MAX_HDRS 256

/* A slice equals a literal, byte for byte; an absent slice never does. */
#define assert_slice(s, lit) assert_slice_n((s), (lit), sizeof(lit) - 1)
#define assert_slice_n(s, lit, n)                                                                  \
	do {                                                                                       \
		struct sipd_str s_ = (s);                                                          \
		size_t n_ = (n);                                                                   \
		if (!s_.p || s_.len != n_ || memcmp(s_.p, (lit), n_) != 0)                         \
			fail_msg("%s is %s'%.*s', expected '%.*s'", #s, s_.p ? "" : "absent ",     \
			         (int)s_.len, s_.p ? s_.p : "", (int)n_, (const char *)(lit));     \
	} while (0)
#define assert_absent(s) assert_null((s).p)

/* Copies text into a heap block of exactly its size, so that ASan sees any
 * read past the end of the input. The caller frees it. */
static inline char *dup_exact(const char *p, size_t n)
{
	char *b = malloc(n ? n : 1);
	assert_non_null(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

/* A parse of a NUL-terminated test string, from its own exact-size copy. */
struct parsed {
	char *buf;
	size_t len;
	long rc;   /* sipd_msg_parse() */
	int check; /* sipd_msg_check(), when rc > 0 */
	struct sipd_msg msg;
	struct sipd_hdr hdrs[TEST_MAX_HDRS];
	struct sipd_parse_error err;
};

static inline struct parsed *parse_n(const char *text, size_t n, enum sipd_framing framing,
                                     const struct sipd_parse_limits *lim)
{
	struct parsed *p = calloc(1, sizeof *p);
	assert_non_null(p);
	p->buf = dup_exact(text, n);
	p->len = n;
	p->rc = sipd_msg_parse(&p->msg, p->hdrs, TEST_MAX_HDRS, p->buf, n, framing, lim, &p->err);
	p->check = p->rc > 0 ? sipd_msg_check(&p->msg, &p->err) : (int)p->rc;
	return p;
}

static inline struct parsed *parse_dgram(const char *text)
{
	return parse_n(text, strlen(text), SIPD_FRAME_DATAGRAM, NULL);
}

static inline void parsed_free(struct parsed *p)
{
	if (p) {
		free(p->buf);
		free(p);
	}
}

/* Asserts that parse and check succeeded. */
#define assert_valid(p)                                                                            \
	do {                                                                                       \
		if ((p)->rc <= 0 || (p)->check)                                                    \
			fail_msg("rejected: %s (status %u) at line %u, column %u", (p)->err.what,  \
			         (p)->err.status, (p)->err.line, (p)->err.column);                 \
	} while (0)

/* Asserts a rejection by parse or check, with its status, line and a piece of
 * its reason. */
#define assert_rejected(p, st, ln, piece)                                                          \
	do {                                                                                       \
		if ((p)->rc > 0 && !(p)->check)                                                    \
			fail_msg("accepted, expected: %s", piece);                                 \
		assert_non_null((p)->err.what);                                                    \
		if (!strstr((p)->err.what, (piece)))                                               \
			fail_msg("reason '%s' does not contain '%s'", (p)->err.what, piece);       \
		assert_int_equal((p)->err.status, (st));                                           \
		if ((ln) != 0)                                                                     \
			assert_int_equal((p)->err.line, (ln));                                     \
	} while (0)

/* A minimal valid request, with room for extra header lines before the
 * empty line (each ending in CRLF). */
#define REQ_HEAD                                                                                   \
	"INVITE sip:bob@example.com SIP/2.0\r\n"                                                   \
	"Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabc\r\n"                                \
	"From: <sip:alice@example.com>;tag=1928\r\n"                                               \
	"To: <sip:bob@example.com>\r\n"                                                            \
	"Call-ID: a84b4c76e66710\r\n"                                                              \
	"CSeq: 314159 INVITE\r\n"                                                                  \
	"Max-Forwards: 70\r\n"
/* The line number of the first line after REQ_HEAD. */
#define REQ_NEXT_LINE 8

static inline struct parsed *parse_req_with(const char *extra)
{
	size_t a = strlen(REQ_HEAD), b = strlen(extra);
	char *t = malloc(a + b + 3);
	assert_non_null(t);
	memcpy(t, REQ_HEAD, a);
	memcpy(t + a, extra, b);
	memcpy(t + a + b, "\r\n", 3);
	struct parsed *p = parse_n(t, a + b + 2, SIPD_FRAME_DATAGRAM, NULL);
	free(t);
	return p;
}

/* The value of the first header with this id, which must exist. */
static inline struct sipd_str hdr_value(const struct sipd_msg *m, enum sipd_hdr_id id)
{
	const struct sipd_hdr *h = sipd_msg_find(m, id);
	assert_non_null(h);
	return h->value;
}

static inline char *read_torture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", SIPD_TORTURE_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	char tmp[8192];
	size_t n = fread(tmp, 1, sizeof tmp, f);
	assert_true(n < sizeof tmp);
	fclose(f);
	*len = n;
	return dup_exact(tmp, n);
}

#endif
