/* Just enough SDP (RFC 4566) to tell the media direction of an offer, for
 * hold and unhold (RFC 3264 §5.1, §8.4). The session layer otherwise treats
 * bodies as opaque. */
#include <string.h>

#include <sipdialog/msg.h>

#include <sipdialog/session.h>

static enum sipd_sdp_dir dir_of(struct sipd_str attr, bool *found)
{
	static const struct {
		const char *name;
		enum sipd_sdp_dir dir;
	} names[] = {{"sendrecv", SIPD_SDP_SENDRECV},
	             {"sendonly", SIPD_SDP_SENDONLY},
	             {"recvonly", SIPD_SDP_RECVONLY},
	             {"inactive", SIPD_SDP_INACTIVE}};
	for (size_t i = 0; i < 4; i++) {
		if (sipd_str_eq(attr, names[i].name)) {
			*found = true;
			return names[i].dir;
		}
	}
	return SIPD_SDP_SENDRECV;
}

/* "IN IP4 0.0.0.0": the RFC 2543 way of holding a call (RFC 3264 §8.4) */
static bool zero_address(struct sipd_str c)
{
	const char *p = c.p, *end = c.p + c.len;
	/* the address is the third field */
	for (int field = 0; field < 2; field++) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	size_t n = (size_t)(end - p);
	return (n == 7 && memcmp(p, "0.0.0.0", 7) == 0) || (n == 2 && memcmp(p, "::", 2) == 0);
}

enum sipd_sdp_dir sipd_sdp_direction(struct sipd_str sdp)
{
	if (!sdp.p)
		return SIPD_SDP_SENDRECV; /* no body ({NULL, 0}): NULL + 0 is undefined */
	enum sipd_sdp_dir session = SIPD_SDP_SENDRECV, media = SIPD_SDP_SENDRECV;
	bool session_set = false, media_set = false, in_media = false, held = false;
	const char *p = sdp.p, *end = sdp.p + sdp.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct sipd_str line = {p, (size_t)((eol ? eol : end) - p)};
		p = eol ? eol + 1 : end;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len < 2 || line.p[1] != '=')
			continue;
		struct sipd_str v = {line.p + 2, line.len - 2};
		switch (line.p[0]) {
		case 'm':
			if (in_media)
				goto done; /* the first media section decides */
			in_media = true;
			break;
		case 'c':
			held |= zero_address(v);
			break;
		case 'a': {
			/* only a direction attribute sets the direction: the others
			 * (rtpmap, ptime...) leave the one seen before alone */
			bool found = false;
			enum sipd_sdp_dir dir = dir_of(v, &found);
			if (found && in_media) {
				media = dir;
				media_set = true;
			} else if (found) {
				session = dir;
				session_set = true;
			}
			break;
		}
		}
	}
done:;
	enum sipd_sdp_dir d = media_set ? media : session_set ? session : SIPD_SDP_SENDRECV;
	if (held && d == SIPD_SDP_SENDRECV)
		d = SIPD_SDP_INACTIVE;
	return d;
}

bool sipd_sdp_is_hold(struct sipd_str sdp)
{
	enum sipd_sdp_dir d = sipd_sdp_direction(sdp);
	return d == SIPD_SDP_SENDONLY || d == SIPD_SDP_INACTIVE;
}

int sipd_sdp_refuse(struct sipd_str offer, char *out, size_t cap)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap);
	sipd_buf_puts(&b, "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n");
	size_t media = 0;
	const char *p = offer.p, *end = offer.p ? offer.p + offer.len : NULL;
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct sipd_str line = {p, (size_t)((eol ? eol : end) - p)};
		p = eol ? eol + 1 : end;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len < 2 || line.p[0] != 'm' || line.p[1] != '=')
			continue;
		/* "m=<media> <port>[/<count>] <proto> <fmt> ...": the port goes */
		const char *sp1 = memchr(line.p, ' ', line.len);
		const char *rest = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line.p + line.len - sp1 - 1)) : NULL;
		if (!rest)
			return SIPD_EINVAL;
		sipd_buf_put(&b, line.p, (size_t)(sp1 - line.p));
		sipd_buf_puts(&b, " 0");
		sipd_buf_put(&b, rest, (size_t)(line.p + line.len - rest));
		sipd_buf_puts(&b, "\r\n");
		media++;
	}
	if (!media)
		return SIPD_EINVAL;
	long n = sipd_buf_result(&b);
	return n < 0 ? SIPD_ENOSPC : (int)n;
}
