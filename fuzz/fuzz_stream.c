/* fuzz_stream — the stream framer and the reassembly buffer.
 *
 * Input: four control bytes, then the bytes of a stream connection.
 *   byte 0  bit 0: small limits instead of the defaults
 *           bit 1: push everything before draining, instead of after each piece
 *   byte 1, 2  seed of the piece sizes
 *   byte 3  largest piece, in units of 8 bytes (0: one byte at a time);
 *           no piece is smaller than 1/256 of the stream
 *
 * The stream is first framed whole with sipd_msg_frame(), message after
 * message: that is the reference. Then it goes through sipd_stream in pieces;
 * whatever the cutting, sipd_stream_next() must hand out exactly the reference
 * messages, in order, and end the same way. Each framed message must also parse
 * with SIPD_FRAME_STREAM to exactly its framed length (or fail to parse).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define CTRL 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sipd_parse_limits small_limits = {
	.size = sizeof(struct sipd_parse_limits),
	.max_message = 1024,
	.max_line = 256,
	.max_headers = 0,
};

#define ERR_INIT ((struct sipd_parse_error){.code = 12345, .offset = SIZE_MAX})
#define SLOTS 64

struct span {
	size_t off, len;
};

static long parse_stream(const char *p, size_t n, const struct sipd_parse_limits *lim)
{
	struct sipd_hdr *hdrs = malloc(SLOTS * sizeof *hdrs);
	if (!hdrs)
		abort();
	struct sipd_msg m;
	struct sipd_parse_error err = ERR_INIT;
	long ret = sipd_msg_parse(&m, hdrs, SLOTS, p, n, SIPD_FRAME_STREAM, lim, &err);
	if (ret > 0) {
		FZ_CHECK((size_t)ret <= n);
		FZ_CHECK(m.buf == p && m.len == (size_t)ret);
		FZ_CHECK(m.nhdrs <= SLOTS);
		FZ_CHECK(m.content_length >= 0);
		FZ_INSIDE(m.body, p, (size_t)ret);
	} else {
		FZ_CHECK(ret == SIPD_EPARSE || ret == SIPD_ELIMIT || ret == SIPD_EAGAIN);
		fz_check_error((int)ret, &err, n);
	}
	free(hdrs);
	return ret;
}

static void check_crlf(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(p[i] == '\r' || p[i] == '\n');
}

/* One framed message: it parses to exactly its framed length, alone in an
 * exact buffer or followed by the rest of the stream; or it does not parse. */
static void check_framed(const char *msg, size_t len, size_t avail,
                         const struct sipd_parse_limits *lim)
{
	char *copy = fz_dup(msg, len);
	long alone = parse_stream(copy, len, lim);
	free(copy);
	FZ_CHECK(alone != SIPD_EAGAIN);
	FZ_CHECK(alone < 0 || (size_t)alone == len);
	long followed = parse_stream(msg, avail, lim);
	if (alone > 0)
		FZ_CHECK(followed == alone);
	else
		FZ_CHECK(followed < 0 && followed != SIPD_EAGAIN);
}

/* Frames s[0..n) message after message. Returns the count; *end is how the
 * framing stopped (SIPD_EAGAIN when the rest is incomplete or empty). */
static size_t reference(const char *s, size_t n, const struct sipd_parse_limits *lim,
                        struct span *ref, int *end)
{
	size_t off = 0, count = 0;
	for (;;) {
		size_t rest = n - off;
		if (rest == 0) {
			*end = SIPD_EAGAIN;
			return count;
		}
		size_t skip = SIZE_MAX, mlen = SIZE_MAX;
		struct sipd_parse_error err = ERR_INIT;
		int rc = sipd_msg_frame(s + off, rest, lim, &skip, &mlen, &err);
		if (rc == 0) {
			FZ_CHECK(skip <= rest);
			FZ_CHECK(mlen > 0 && mlen <= rest - skip);
			check_crlf(s + off, skip);
			check_framed(s + off + skip, mlen, rest - skip, lim);
			ref[count].off = off + skip;
			ref[count].len = mlen;
			count++;
			off += skip + mlen;
			continue;
		}
		if (rc == SIPD_EAGAIN) {
			FZ_CHECK(skip <= rest);
			check_crlf(s + off, skip);
			/* Incomplete for the framer is incomplete for the parser. */
			FZ_CHECK(parse_stream(s + off + skip, rest - skip, lim) <= 0);
		} else {
			FZ_CHECK(rc == SIPD_EPARSE || rc == SIPD_ELIMIT);
			fz_check_error(rc, &err, rest);
		}
		*end = rc;
		return count;
	}
}

static uint32_t next_rand(uint32_t *x)
{
	/* xorshift32; never seeded with 0 */
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

struct feed {
	struct sipd_stream st;
	const struct sipd_parse_limits *lim;
	const char *s;
	const struct span *ref;
	size_t nref;
	size_t pushed, delivered, delivered_bytes, max_piece;
	bool failed, next_failed;
};

static void check_stream_state(const struct feed *f)
{
	const struct sipd_stream *st = &f->st;
	size_t max_message = f->lim ? f->lim->max_message : SIPD_DEFAULT_MAX_MESSAGE;
	FZ_CHECK(st->len <= st->cap);
	FZ_CHECK(st->start <= st->cap);
	FZ_CHECK(st->cap == 0 || st->buf != NULL);
	/* "never grows beyond the limit's max_message (plus one read)", with room
	 * for rounding up. */
	FZ_CHECK(st->cap <= 2 * (max_message + f->max_piece) + 65536);
}

static void drain(struct feed *f)
{
	for (;;) {
		const char *mp = NULL;
		size_t ml = SIZE_MAX;
		struct sipd_parse_error err = ERR_INIT;
		int rc = sipd_stream_next(&f->st, &mp, &ml, &err);
		check_stream_state(f);
		if (rc == SIPD_EAGAIN)
			return;
		if (rc) {
			FZ_CHECK(rc == SIPD_EPARSE || rc == SIPD_ELIMIT);
			fz_check_error(rc, &err, f->pushed);
			f->failed = f->next_failed = true;
			return;
		}
		FZ_CHECK(mp != NULL && ml > 0);
		FZ_CHECK((uintptr_t)mp >= (uintptr_t)f->st.buf);
		FZ_CHECK((uintptr_t)mp - (uintptr_t)f->st.buf + ml <= f->st.cap);
		f->delivered_bytes += ml;
		FZ_CHECK(f->delivered_bytes <= f->pushed);
		/* Exactly the next message of the whole-buffer framing. */
		FZ_CHECK(f->delivered < f->nref);
		const struct span *r = &f->ref[f->delivered];
		FZ_CHECK(ml == r->len);
		FZ_CHECK(memcmp(mp, f->s + r->off, ml) == 0);
		f->delivered++;
		long ret = parse_stream(mp, ml, f->lim);
		FZ_CHECK(ret == (long)ml || ret == SIPD_EPARSE || ret == SIPD_ELIMIT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctrl[CTRL] = {0};
	size_t c = size < CTRL ? size : CTRL;
	memcpy(ctrl, data, c);
	size_t n = size - c;
	char *s = fz_dup(data + c, n);

	const struct sipd_parse_limits *lim = (ctrl[0] & 1) ? &small_limits : NULL;
	bool drain_each = !(ctrl[0] & 2);
	uint32_t rng = ((uint32_t)ctrl[1] << 8 | ctrl[2]) + 1;
	size_t max_piece = 1 + (size_t)ctrl[3] * 8;

	/* The empty stream. */
	size_t skip = SIZE_MAX, mlen = SIZE_MAX;
	struct sipd_parse_error err = ERR_INIT;
	int rc = sipd_msg_frame(s, 0, lim, &skip, &mlen, &err);
	FZ_CHECK(rc == SIPD_EAGAIN || rc == SIPD_EINVAL);
	if (rc == SIPD_EAGAIN)
		FZ_CHECK(skip == 0);

	struct span *ref = malloc((n + 1) * sizeof *ref);
	if (!ref)
		abort();
	int end = 0;
	size_t nref = reference(s, n, lim, ref, &end);

	struct feed f = {.lim = lim, .s = s, .ref = ref, .nref = nref, .max_piece = max_piece};
	sipd_stream_init(&f.st, lim);
	check_stream_state(&f);
	size_t pos = 0;
	while (pos < n) {
		size_t piece = 1 + next_rand(&rng) % max_piece;
		/* At most about 256 pieces: the framer rescans what is pending at
		 * each push, and byte by byte over 4 KiB would be slow to fuzz. */
		if (piece < n / 256)
			piece = n / 256;
		if (piece > n - pos)
			piece = n - pos;
		rc = sipd_stream_push(&f.st, s + pos, piece);
		check_stream_state(&f);
		if (rc) {
			FZ_CHECK(rc == SIPD_ELIMIT || rc == SIPD_ENOMEM);
			f.failed = true;
			break;
		}
		pos += piece;
		f.pushed += piece;
		if (drain_each || pos == n)
			drain(&f);
		if (f.failed)
			break;
	}
	if (n == 0)
		drain(&f);

	if (!f.failed) {
		/* Everything went in and came out as the whole-buffer framing says. */
		FZ_CHECK(f.delivered == nref);
		FZ_CHECK(end == SIPD_EAGAIN);
	}
	if (f.next_failed) {
		/* The stream fails where the whole-buffer framing fails. */
		FZ_CHECK(f.delivered == nref);
		FZ_CHECK(end == SIPD_EPARSE || end == SIPD_ELIMIT);
	}

	sipd_stream_free(&f.st);
	/* Freed, it can serve again. */
	sipd_stream_init(&f.st, lim);
	if (n) {
		rc = sipd_stream_push(&f.st, s, n < 16 ? n : 16);
		FZ_CHECK(rc == 0 || rc == SIPD_ELIMIT);
	}
	sipd_stream_free(&f.st);

	free(ref);
	free(s);
	return 0;
}
