/* Stream framing (RFC 3261 §18.3): on TCP and TLS a message ends where its
 * Content-Length says, and Content-Length is required. */
#include <stdlib.h>

#include "msg/msg_internal.h"

/* The framing of one message; `hint` bytes after the keep-alives are known
 * to hold no end of headers (a stream resumes its scan there), and *need
 * tells, when the headers are whole but the body is not, the length the
 * message will have. */
static int frame(const char *buf, size_t len, const struct sipd_parse_limits *limits, size_t hint,
                 size_t *skip, size_t *msg_len, size_t *need, struct sipd_parse_error *err)
{
	*need = 0;
	uint32_t max_message =
		limits && limits->max_message ? limits->max_message : SIPD_DEFAULT_MAX_MESSAGE;
	/* Keep-alives: CRLF pairs (RFC 5626 §3.5.1) between messages, and any
	 * stray CR or LF there, are not part of a message. */
	size_t s = 0;
	if (!len) {
		*skip = *msg_len = 0;
		return sipd_msg_fail(buf, 0, err, SIPD_EAGAIN, 0, "incomplete", buf);
	}
	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	*msg_len = 0;
	buf += s;
	len -= s;

	/* Find the empty line that ends the headers: LF (CR) LF. */
	size_t head = 0;
	size_t from = hint > 3 && hint <= len ? hint - 3 : 0;
	for (const char *p = buf + from, *end = buf + len; p < end;) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		if (!lf)
			break;
		const char *n = lf + 1;
		if (n < end && *n == '\n') {
			head = (size_t)(n + 1 - buf);
			break;
		}
		if (n + 1 < end && n[0] == '\r' && n[1] == '\n') {
			head = (size_t)(n + 2 - buf);
			break;
		}
		p = n;
	}
	if (!head) {
		if (len > max_message)
			return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 513, "headers too large",
			                     buf);
		return sipd_msg_fail(buf, len, err, SIPD_EAGAIN, 0, "incomplete", buf + len);
	}

	/* Content-Length (or l) at the start of a header line (not of a fold). */
	long cl = -1;
	const char *hend = buf + head;
	for (const char *p = buf; p < hend;) {
		const char *lf = memchr(p, '\n', (size_t)(hend - p));
		if (!lf)
			break;
		const char *colon = memchr(p, ':', (size_t)(lf - p));
		if (colon && p != buf && *p != ' ' && *p != '\t') {
			size_t n = (size_t)(colon - p);
			while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			if (sipd_hdr_lookup(p, n) == SIPD_HDR_CONTENT_LENGTH) {
				/* The value runs over the lines that fold it (§7.3.1). */
				while (lf + 1 < hend && (lf[1] == ' ' || lf[1] == '\t')) {
					const char *more =
						memchr(lf + 1, '\n', (size_t)(hend - lf - 1));
					if (!more)
						break;
					lf = more;
				}
				struct sipd_str v = {colon + 1, (size_t)(lf - colon - 1)};
				uint32_t u;
				if (cl >= 0 || sipd_uint_parse(&u, v, NULL))
					return sipd_msg_fail(buf, len, err, SIPD_EPARSE, 400,
					                     "bad or repeated Content-Length",
					                     colon + 1);
				cl = u;
			}
		}
		p = lf + 1;
	}
	if (cl < 0)
		return sipd_msg_fail(buf, len, err, SIPD_EPARSE, 400,
		                     "missing Content-Length on a stream", buf);
	if ((uint64_t)cl + head > max_message)
		return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 513, "message too large", buf);
	if (head + (size_t)cl > len) {
		*need = head + (size_t)cl;
		return sipd_msg_fail(buf, len, err, SIPD_EAGAIN, 0, "incomplete", buf + len);
	}
	*msg_len = head + (size_t)cl;
	return 0;
}

int sipd_msg_frame(const char *buf, size_t len, const struct sipd_parse_limits *limits,
                   size_t *skip, size_t *msg_len, struct sipd_parse_error *err)
{
	size_t need;
	return frame(buf, len, limits, 0, skip, msg_len, &need, err);
}

void sipd_stream_init(struct sipd_stream *s, const struct sipd_parse_limits *limits)
{
	memset(s, 0, sizeof *s);
	s->limits.size = sizeof s->limits;
	s->limits.max_message = SIPD_DEFAULT_MAX_MESSAGE;
	if (limits && limits->max_message)
		s->limits.max_message = limits->max_message;
	if (limits && limits->max_line)
		s->limits.max_line = limits->max_line;
	if (limits && limits->max_headers)
		s->limits.max_headers = limits->max_headers;
}

void sipd_stream_free(struct sipd_stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = s->start = 0;
}

int sipd_stream_push(struct sipd_stream *s, const void *data, size_t len)
{
	/* Drop what was consumed before growing. */
	if (s->start) {
		memmove(s->buf, s->buf + s->start, s->len - s->start);
		s->len -= s->start;
		s->start = 0;
	}
	if (s->len + len > (size_t)s->limits.max_message + 4096)
		return SIPD_ELIMIT;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 2048;
		while (cap < s->len + len)
			cap *= 2;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return SIPD_ENOMEM;
		s->buf = nb;
		s->cap = cap;
	}
	if (len)
		memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

int sipd_stream_next(struct sipd_stream *s, const char **msg, size_t *len,
                     struct sipd_parse_error *err)
{
	size_t skip, n, need;
	size_t pending = s->len - s->start;
	/* Nothing to do until the body is whole, or before anything arrived:
	 * a stream fed in small pieces costs no rescan per piece. */
	if (!pending || (s->need && pending < s->need))
		return sipd_msg_fail(NULL, 0, err, SIPD_EAGAIN, 0, "incomplete", NULL);
	int rc = frame(s->buf + s->start, pending, &s->limits, s->scanned, &skip, &n, &need, err);
	s->start += skip;
	if (rc == SIPD_EAGAIN) {
		/* headers whole: wait for the body (and scan them again once, when
		 * it is in); else resume the search for their end where it stopped */
		s->need = need;
		s->scanned = need ? 0 : pending - skip;
		return rc;
	}
	s->need = 0;
	s->scanned = 0;
	if (rc)
		return rc;
	*msg = s->buf + s->start;
	*len = n;
	s->start += n;
	return 0;
}
