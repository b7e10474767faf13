/* SDP directions (RFC 3264 §5.1, §6.1, §8.4): our description rewritten
 * with the direction that holds or resumes a call, or that an offer allows. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

unsigned sipd_app_dir_bits(enum sipd_sdp_dir d)
{
	switch (d) {
	case SIPD_SDP_SENDONLY: return DIR_SEND;
	case SIPD_SDP_RECVONLY: return DIR_RECV;
	case SIPD_SDP_INACTIVE: return 0;
	default: return DIR_BOTH;
	}
}

static const char *dir_name(unsigned bits)
{
	static const char *const names[] = {"inactive", "sendonly", "recvonly", "sendrecv"};
	return names[bits & DIR_BOTH];
}

unsigned sipd_app_mirror(unsigned bits)
{
	return ((bits & DIR_SEND) ? DIR_RECV : 0) | ((bits & DIR_RECV) ? DIR_SEND : 0);
}

static bool is_dir_attr(struct sipd_str line)
{
	for (unsigned b = 0; b <= DIR_BOTH; b++) {
		const char *n = dir_name(b);
		if (line.len == 2 + strlen(n) && !memcmp(line.p, "a=", 2) &&
		    !memcmp(line.p + 2, n, line.len - 2))
			return true;
	}
	return false;
}

/* Writes an o= line with its sess-version (the third field) one higher
 * (RFC 3264 §8: a changed description raises it). A field that is not a
 * number is left alone. */
static void put_origin(struct sipd_buf *b, struct sipd_str line)
{
	const char *p = line.p + 2, *end = line.p + line.len;
	for (int field = 0; field < 2; field++) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	const char *v = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	size_t n = (size_t)(p - v);
	if (!n || n > 40 || (p < end && *p != ' ')) {
		sipd_buf_putstr(b, line);
		return;
	}
	char digits[42];
	memcpy(digits + 1, v, n);
	digits[0] = '0';
	for (size_t i = n; i > 0; i--) { /* add one, with the carry */
		if (digits[i] != '9') {
			digits[i]++;
			break;
		}
		digits[i] = '0';
		if (i == 1)
			digits[0] = '1';
	}
	sipd_buf_put(b, line.p, (size_t)(v - line.p));
	if (digits[0] == '1')
		sipd_buf_put(b, digits, n + 1);
	else
		sipd_buf_put(b, digits + 1, n);
	sipd_buf_put(b, p, (size_t)(end - p));
}

/* `sdp` with the direction `bits`: every direction attribute removed and one
 * written at the end of each media section (at the session level when there
 * is none), the o= version raised. Returns 0 with *out NULL when `sdp`
 * already says so (it is used as it is), 0 with a malloc'd *out, or
 * SIPD_ENOMEM. */
int sipd_app_sdp_with_dir(struct sipd_str sdp, unsigned bits, char **out, size_t *outlen)
{
	*out = NULL;
	if (sipd_app_dir_bits(sipd_sdp_direction(sdp)) == bits)
		return 0;
	const char *attr = dir_name(bits);
	size_t media = 0;
	for (size_t i = 0; i + 1 < sdp.len; i++)
		media += (i == 0 || sdp.p[i - 1] == '\n') && sdp.p[i] == 'm' && sdp.p[i + 1] == '=';
	size_t cap = sdp.len * 2 + (media + 1) * 16 + 64; /* LF-only lines grow to CRLF */
	char *mem = malloc(cap);
	if (!mem)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, mem, cap);
	bool in_media = false, origin = false;
	const char *p = sdp.p, *end = sdp.p + sdp.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct sipd_str line = {p, (size_t)((eol ? eol : end) - p)};
		p = eol ? eol + 1 : end;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (!line.len || is_dir_attr(line))
			continue;
		if (line.len >= 2 && !memcmp(line.p, "m=", 2)) {
			if (in_media) {
				sipd_buf_puts(&b, "a=");
				sipd_buf_puts(&b, attr);
				sipd_buf_puts(&b, "\r\n");
			}
			in_media = true;
		}
		if (!origin && line.len >= 2 && !memcmp(line.p, "o=", 2)) {
			origin = true;
			put_origin(&b, line);
		} else {
			sipd_buf_putstr(&b, line);
		}
		sipd_buf_puts(&b, "\r\n");
	}
	sipd_buf_puts(&b, "a=");
	sipd_buf_puts(&b, attr);
	sipd_buf_puts(&b, "\r\n");
	if (b.overflow) { /* cannot happen with that capacity */
		free(mem);
		return SIPD_ENOMEM;
	}
	*out = mem;
	*outlen = b.len;
	return 0;
}
