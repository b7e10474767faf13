/* fuzz_sdp — the media direction of an SDP body (session.h:
 * sipd_sdp_direction, sipd_sdp_is_hold), which decides hold and unhold (RFC
 * 3264 §5.1, §8.4).
 *
 * The input is the body. Besides the sanitizers (the body sits in a heap
 * block of exactly its size, so a read past its end is reported), the
 * answers must hold these relations, which follow from the header's rules
 * whatever the body:
 *
 *   - the direction is one of the four, and "hold" means sendonly or
 *     inactive;
 *   - line endings do not matter: a body with bare LF lines answers as the
 *     same body with CRLF lines;
 *   - only the first media section counts: another section appended after
 *     a body that has one changes nothing;
 *   - a session-level "a=sendrecv" put first changes nothing (it is the
 *     default, and anything after it overrides it);
 *   - the answer depends on the bytes only (asked twice, the same).
 */
#include <stdlib.h>
#include <string.h>

#include <sipdialog/session.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 65536

static enum sipd_sdp_dir dir_of(const char *p, size_t n)
{
	/* exactly n bytes on the heap */
	char *copy = fz_dup(p, n);
	enum sipd_sdp_dir d = sipd_sdp_direction((struct sipd_str){copy, n});
	FZ_CHECK(d == SIPD_SDP_SENDRECV || d == SIPD_SDP_SENDONLY || d == SIPD_SDP_RECVONLY ||
	         d == SIPD_SDP_INACTIVE);
	bool hold = sipd_sdp_is_hold((struct sipd_str){copy, n});
	FZ_CHECK(hold == (d == SIPD_SDP_SENDONLY || d == SIPD_SDP_INACTIVE));
	free(copy);
	return d;
}

/* Whether some line of the body is a media line ("m=" at a line start). */
static bool has_media(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if ((i == 0 || p[i - 1] == '\n') && p[i] == 'm' && p[i + 1] == '=')
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_BODY)
		return 0;
	const char *in = (const char *)data;
	enum sipd_sdp_dir d = dir_of(in, size);
	FZ_CHECK(dir_of(in, size) == d);
	/* {NULL, 0}: no body at all reads as sendrecv */
	FZ_CHECK(sipd_sdp_direction(SIPD_STR_NULL) == SIPD_SDP_SENDRECV);

	char *buf = malloc(2 * size + 64);
	if (!buf)
		abort();

	/* bare LF lines read as CRLF lines */
	if (!memchr(in, '\r', size)) {
		size_t n = 0;
		for (size_t i = 0; i < size; i++) {
			if (in[i] == '\n')
				buf[n++] = '\r';
			buf[n++] = in[i];
		}
		FZ_CHECK(dir_of(buf, n) == d);
	}

	/* a second media section never counts */
	if (has_media(in, size)) {
		/* "\n" first: a body that ends in "\r" keeps its last line as
		 * it was (one "\r" before the end of a line is dropped) */
		static const char more[] = "\nm=video 0 RTP/AVP 31\r\nc=IN IP4 0.0.0.0\r\n"
					   "a=inactive\r\n";
		memcpy(buf, in, size);
		memcpy(buf + size, more, sizeof more - 1);
		FZ_CHECK(dir_of(buf, size + sizeof more - 1) == d);
	}

	/* the default, said first, changes nothing */
	static const char first[] = "a=sendrecv\r\n";
	memcpy(buf, first, sizeof first - 1);
	memcpy(buf + sizeof first - 1, in, size);
	FZ_CHECK(dir_of(buf, size + sizeof first - 1) == d);

	free(buf);
	return 0;
}
