/* The message parser: framing, start line, header fields and the headers every
 * message needs (RFC 3261 §7, §18.3, §25). Zero-copy; no allocation. */
#include "msg/msg_internal.h"

int sipd_msg_fail(const char *buf, size_t len, struct sipd_parse_error *err, int code,
                  uint16_t status, const char *what, const char *at)
{
	if (!err)
		return code;
	err->code = code;
	err->status = status;
	err->what = what;
	err->offset = (at && at >= buf && at <= buf + len) ? (size_t)(at - buf) : 0;
	err->line = 1;
	err->column = 1;
	/* "incomplete" has no position worth a scan (a stream fed byte by byte
	 * would pay it at every byte) */
	if (code == SIPD_EAGAIN) {
		err->line = err->column = 0;
		return code;
	}
	for (size_t i = 0; i < err->offset; i++) {
		if (buf[i] == '\n') {
			err->line++;
			err->column = 1;
		} else {
			err->column++;
		}
	}
	return code;
}

int sipd_msg_locate(const struct sipd_msg *msg, struct sipd_parse_error *err, const char *base)
{
	if (!err)
		return SIPD_EPARSE;
	return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, err->status ? err->status : 400,
	                     err->what, base + err->offset);
}

static const char *const method_names[SIPD_METHOD__COUNT] = {
	[SIPD_METHOD_OTHER] = "",
	[SIPD_METHOD_INVITE] = "INVITE",
	[SIPD_METHOD_ACK] = "ACK",
	[SIPD_METHOD_BYE] = "BYE",
	[SIPD_METHOD_CANCEL] = "CANCEL",
	[SIPD_METHOD_OPTIONS] = "OPTIONS",
	[SIPD_METHOD_REGISTER] = "REGISTER",
	[SIPD_METHOD_PRACK] = "PRACK",
	[SIPD_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SIPD_METHOD_NOTIFY] = "NOTIFY",
	[SIPD_METHOD_PUBLISH] = "PUBLISH",
	[SIPD_METHOD_INFO] = "INFO",
	[SIPD_METHOD_REFER] = "REFER",
	[SIPD_METHOD_MESSAGE] = "MESSAGE",
	[SIPD_METHOD_UPDATE] = "UPDATE",
};

const char *sipd_method_name(enum sipd_method m)
{
	return (unsigned)m < SIPD_METHOD__COUNT ? method_names[m] : "";
}

enum sipd_method sipd_method_lookup(const char *name, size_t len)
{
	if (len < 3 || len > 9)
		return SIPD_METHOD_OTHER;
	for (int m = 1; m < SIPD_METHOD__COUNT; m++)
		if (method_names[m][0] == name[0] && strlen(method_names[m]) == len &&
		    memcmp(method_names[m], name, len) == 0)
			return (enum sipd_method)m;
	return SIPD_METHOD_OTHER;
}

const char *sipd_hdr_name(enum sipd_hdr_id id)
{
	return (unsigned)id < SIPD_HDR__COUNT ? sipd_hdr_info[id].name : NULL;
}

bool sipd_hdr_is_list(enum sipd_hdr_id id)
{
	return (unsigned)id < SIPD_HDR__COUNT && sipd_hdr_info[id].list;
}

/* The end of the line that starts at p: *next is just past its LF; the line
 * excludes its CR LF (a bare LF is tolerated). NULL when there is no LF. */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	if (!lf)
		return NULL;
	*next = lf + 1;
	return (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitively (§7.1). */
static bool is_version(struct sipd_str v)
{
	struct sipd_str s = v;
	uint32_t major, minor;
	if (s.len < 4 || (s.p[0] | 32) != 's' || (s.p[1] | 32) != 'i' || (s.p[2] | 32) != 'p' ||
	    s.p[3] != '/')
		return false;
	lex_advance(&s, 4);
	if (!sipd_lex_u32(&s, &major) || !s.len || s.p[0] != '.')
		return false;
	lex_advance(&s, 1);
	return sipd_lex_u32(&s, &minor) && !s.len;
}

static bool is_sip20(struct sipd_str v)
{
	return LEX_IEQ(v, "sip/2.0");
}

/* A value may start with a fold when its first line was empty. */
static void trim(struct sipd_str *v)
{
	lex_skip_ws(v);
	lex_trim_right(v);
}

#define FAIL(what, at) sipd_msg_fail(buf, len, err, SIPD_EPARSE, 400, what, at)

static long parse_start_line(struct sipd_msg *msg, const char *buf, size_t len, const char *eol,
                             struct sipd_parse_error *err)
{
	const char *p = buf;
	if (eol == p)
		return FAIL("empty start line", p);
	if (len >= 4 && (p[0] | 32) == 's' && (p[1] | 32) == 'i' && (p[2] | 32) == 'p' &&
	    p[3] == '/') {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp)
			return FAIL("status line without a status code", eol);
		msg->version = (struct sipd_str){p, (size_t)(sp - p)};
		if (!is_version(msg->version))
			return FAIL("malformed SIP version", p);
		if (!is_sip20(msg->version))
			return sipd_msg_fail(buf, len, err, SIPD_EPARSE, 505,
			                     "unsupported SIP version", p);
		const char *c = sp + 1;
		if (eol - c < 3 || !(c[0] >= '1' && c[0] <= '6') || !(c[1] >= '0' && c[1] <= '9') ||
		    !(c[2] >= '0' && c[2] <= '9') || (eol - c > 3 && c[3] != ' '))
			return FAIL("status code is not three digits from 100 to 699", c);
		msg->status = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
		/* Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII /
		 * UTF8-CONT / SP / HTAB); it may be empty, and we tolerate a missing SP
		 * before an empty one. Control characters are refused. */
		const char *r = eol - c > 3 ? c + 4 : eol;
		for (const char *q = r; q < eol; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return FAIL("control character in reason phrase", q);
		msg->reason = (struct sipd_str){r, (size_t)(eol - r)};
		msg->is_request = false;
		return 0;
	}

	/* Request-Line = Method SP Request-URI SP SIP-Version CRLF, single SPs. */
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1)
		return FAIL("request line without a Request-URI", eol);
	struct sipd_str method = {p, (size_t)(sp1 - p)};
	struct sipd_str t = method;
	if (!method.len || lex_take(&t, LEX_TOKEN).len != method.len)
		return FAIL("method is not a token", p);
	const char *u = sp1 + 1;
	const char *sp2 = memchr(u, ' ', (size_t)(eol - u));
	if (!sp2)
		return FAIL("request line without a SIP version", eol);
	if (sp2 == u)
		return FAIL("more than one SP in the request line", u);
	const char *v = sp2 + 1;
	const char *ws = v;
	while (ws < eol && *ws != ' ' && *ws != '\t')
		ws++;
	if (ws < eol) {
		/* Either SP after a good version (RFC 4475 trws) or LWS that
		 * split the Request-URI in two (lwsruri). */
		if (is_version((struct sipd_str){v, (size_t)(ws - v)}))
			return FAIL("whitespace after the SIP version", ws);
		return FAIL("whitespace inside the Request-URI", sp2);
	}
	msg->version = (struct sipd_str){v, (size_t)(eol - v)};
	if (!is_version(msg->version))
		return FAIL("malformed SIP version", v);
	if (!is_sip20(msg->version))
		return sipd_msg_fail(buf, len, err, SIPD_EPARSE, 505, "unsupported SIP version", v);
	if (*u == '<')
		return FAIL("Request-URI enclosed in <>", u);
	struct sipd_parse_error uerr = {0};
	if (sipd_uri_parse(&msg->ruri, u, (size_t)(sp2 - u), &uerr))
		return sipd_msg_fail(buf, len, err, SIPD_EPARSE, 400, uerr.what, u + uerr.offset);
	/* Headers are not allowed in a Request-URI (§19.1.1, table 1). */
	if (msg->ruri.headers.p)
		return FAIL("headers in the Request-URI", msg->ruri.headers.p - 1);
	msg->method_name = method;
	msg->method = (uint8_t)sipd_method_lookup(method.p, method.len);
	msg->is_request = true;
	return 0;
}

/* Parses the eager headers; each must appear once where the RFC says so. */
static int parse_core_headers(struct sipd_msg *msg, struct sipd_parse_error *err)
{
	static const uint8_t single[] = {SIPD_HDR_FROM,         SIPD_HDR_TO,
	                                 SIPD_HDR_CALL_ID,      SIPD_HDR_CSEQ,
	                                 SIPD_HDR_MAX_FORWARDS, SIPD_HDR_CONTENT_LENGTH};
	static const uint8_t required[] = {SIPD_HDR_VIA, SIPD_HDR_FROM, SIPD_HDR_TO,
	                                   SIPD_HDR_CALL_ID, SIPD_HDR_CSEQ};
	/* Report the repeated header that comes first in the message. */
	uint16_t dup = SIPD_HDR_NONE;
	for (size_t i = 0; i < sizeof single; i++) {
		uint16_t f = msg->first[single[i]];
		if (f != SIPD_HDR_NONE && msg->hdrs[f].next < dup)
			dup = msg->hdrs[f].next;
	}
	if (dup != SIPD_HDR_NONE)
		return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
		                     "header that allows one value appears twice",
		                     msg->hdrs[dup].name.p);
	for (size_t i = 0; i < sizeof required; i++)
		if (msg->first[required[i]] == SIPD_HDR_NONE)
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     i == 0   ? "missing Via header"
			                     : i == 1 ? "missing From header"
			                     : i == 2 ? "missing To header"
			                     : i == 3 ? "missing Call-ID header"
			                              : "missing CSeq header",
			                     msg->buf);

	const struct sipd_hdr *h = &msg->hdrs[msg->first[SIPD_HDR_VIA]];
	struct sipd_str v = h->value;
	/* Via = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm): not empty.
	 * The top value is parsed where it stands, up to its ','. */
	lex_skip_ws(&v);
	if (!v.len || v.p[0] == ',')
		return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
		                     v.len ? "empty element in a list header" : "empty Via header",
		                     v.len ? v.p : h->value.p);
	const char *first = v.p;
	if (sipd_msg__via_take(&msg->via, &v, err))
		return sipd_msg_locate(msg, err, first);
	/* From and To: name-addr / addr-spec; "*" is Contact's alone (§20.20, §20.39). */
	h = &msg->hdrs[msg->first[SIPD_HDR_FROM]];
	if (sipd_nameaddr_parse(&msg->from, h->value, false, err))
		return sipd_msg_locate(msg, err, h->value.p);
	if (msg->from.star)
		return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
		                     "'*' is only allowed in Contact", h->value.p);
	h = &msg->hdrs[msg->first[SIPD_HDR_TO]];
	if (sipd_nameaddr_parse(&msg->to, h->value, false, err))
		return sipd_msg_locate(msg, err, h->value.p);
	if (msg->to.star)
		return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
		                     "'*' is only allowed in Contact", h->value.p);
	h = &msg->hdrs[msg->first[SIPD_HDR_CALL_ID]];
	if (sipd_callid_parse(&msg->call_id, h->value, err))
		return sipd_msg_locate(msg, err, h->value.p);
	h = &msg->hdrs[msg->first[SIPD_HDR_CSEQ]];
	if (sipd_cseq_parse(&msg->cseq, h->value, err))
		return sipd_msg_locate(msg, err, h->value.p);
	uint32_t n;
	msg->max_forwards = -1;
	if (msg->first[SIPD_HDR_MAX_FORWARDS] != SIPD_HDR_NONE) {
		h = &msg->hdrs[msg->first[SIPD_HDR_MAX_FORWARDS]];
		if (sipd_uint_parse(&n, h->value, err))
			return sipd_msg_locate(msg, err, h->value.p);
		/* §20.22: an integer in the range 0-255 */
		if (n > 255)
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     "Max-Forwards above 255", h->value.p);
		msg->max_forwards = (int32_t)n;
	}
	return 0;
}

long sipd_msg_parse(struct sipd_msg *msg, struct sipd_hdr *hdrs, size_t nhdrs, const char *buf,
                    size_t len, enum sipd_framing framing, const struct sipd_parse_limits *limits,
                    struct sipd_parse_error *err)
{
	uint32_t max_message = SIPD_DEFAULT_MAX_MESSAGE, max_line = SIPD_DEFAULT_MAX_LINE;
	size_t max_headers = nhdrs;
	if (limits) {
		if (limits->max_message)
			max_message = limits->max_message;
		if (limits->max_line)
			max_line = limits->max_line;
		if (limits->max_headers && limits->max_headers < max_headers)
			max_headers = limits->max_headers;
	}
	if (max_headers > SIPD_HDR_NONE)
		max_headers = SIPD_HDR_NONE;

	memset(msg, 0, sizeof *msg);
	msg->buf = buf;
	msg->len = len;
	msg->hdrs = hdrs;
	msg->nhdrs = 0;
	memset(msg->first, 0xff, sizeof msg->first);
	msg->content_length = -1;
	msg->body = SIPD_STR_NULL;

	bool stream = framing == SIPD_FRAME_STREAM;
	if (framing == SIPD_FRAME_DATAGRAM && len > max_message)
		return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 513, "message too large",
		                     buf + max_message);
	const char *end = buf + len, *next;
	const char *eol = line_end(buf, end, &next);
	if (!eol) {
		if (stream && len < max_line)
			return sipd_msg_fail(buf, len, err, SIPD_EAGAIN, 0, "incomplete", end);
		return FAIL(len > max_line ? "start line too long" : "start line not terminated",
		            end);
	}
	if ((size_t)(eol - buf) > max_line)
		return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 414, "start line too long",
		                     buf + max_line);
	long rc = parse_start_line(msg, buf, len, eol, err);
	if (rc)
		return rc;

	/* Header fields, up to the empty line. A line that starts with SP or HTAB
	 * continues the previous field (folding, §7.3.1). */
	const char *p = next, *blank = NULL;
	struct sipd_hdr *cur = NULL;
	uint16_t last[SIPD_HDR__COUNT];
	uint32_t line = 1; /* the start line */
	for (;;) {
		line++;
		eol = line_end(p, end, &next);
		if (!eol && !stream) {
			/* A datagram that ends without the empty line: tolerated, the
			 * end of the datagram ends the headers (and the last line). */
			if (p == end)
				break;
			eol = next = end;
			if (eol[-1] == '\r') /* the CR of a CRLF cut short */
				eol--;
		}
		if (!eol) {
			if ((size_t)(end - p) > max_line)
				return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 400,
				                     "header line too long", p);
			if (stream && (size_t)(end - buf) < max_message)
				return sipd_msg_fail(buf, len, err, SIPD_EAGAIN, 0, "incomplete",
				                     end);
			return FAIL("headers not terminated by an empty line", end);
		}
		if (eol == p) { /* the empty line */
			blank = p;
			p = next;
			break;
		}
		/* CR belongs to CRLF only (§7): "a\r\r\n" ends in a bare CR, which
		 * trimming would otherwise hide. Bare CRs inside a value are found
		 * by sipd_msg_check(). */
		if (eol[-1] == '\r')
			return FAIL("CR without LF", eol - 1);
		if (*p == ' ' || *p == '\t') {
			if (!cur)
				return FAIL("folded line before the first header", p);
			/* Extend the value over the fold; trailing LWS trimmed below. */
			cur->value.len = (size_t)(eol - cur->value.p);
			if (cur->value.len > max_line)
				return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 400,
				                     "header line too long", p);
			p = next;
			continue;
		}
		if (cur)
			trim(&cur->value);
		if ((size_t)(eol - p) > max_line)
			return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 400,
			                     "header line too long", p);
		if (msg->nhdrs >= max_headers)
			return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 400, "too many headers",
			                     p);

		/* header-name HCOLON value; HCOLON = *( SP / HTAB ) ":" SWS */
		struct sipd_str s = {p, (size_t)(eol - p)};
		struct sipd_str name = lex_take(&s, LEX_TOKEN);
		if (!name.len)
			return FAIL("header name is not a token", p);
		while (s.len && (*s.p == ' ' || *s.p == '\t'))
			lex_advance(&s, 1);
		if (!s.len || *s.p != ':')
			return FAIL("header without a colon", s.p);
		lex_advance(&s, 1);
		lex_skip_ws(&s);

		uint16_t idx = msg->nhdrs++;
		cur = &hdrs[idx];
		cur->name = name;
		cur->value = s;
		cur->id = (uint16_t)sipd_hdr_lookup(name.p, name.len);
		cur->next = SIPD_HDR_NONE;
		cur->line = line;
		if (msg->first[cur->id] == SIPD_HDR_NONE)
			msg->first[cur->id] = idx;
		else
			hdrs[last[cur->id]].next = idx;
		last[cur->id] = idx;
		p = next;
	}
	if (cur)
		trim(&cur->value);

	size_t head = (size_t)(p - buf);
	msg->len = head;
	int hrc = parse_core_headers(msg, err);
	if (hrc)
		return hrc;

	/* The body: Content-Length bytes (§18.3; required on streams), or on a
	 * datagram without one, the rest of the datagram. */
	size_t avail = len - head;
	uint16_t cl = msg->first[SIPD_HDR_CONTENT_LENGTH];
	if (cl != SIPD_HDR_NONE) {
		uint32_t n;
		if (sipd_uint_parse(&n, hdrs[cl].value, err))
			return sipd_msg_locate(msg, err, hdrs[cl].value.p);
		msg->content_length = n;
		if (n > max_message)
			return sipd_msg_fail(buf, len, err, SIPD_ELIMIT, 413, "body too large",
			                     hdrs[cl].value.p);
		if (n > avail) {
			if (stream)
				return sipd_msg_fail(buf, len, err, SIPD_EAGAIN, 0, "incomplete",
				                     end);
			return sipd_msg_fail(buf, len, err, SIPD_EPARSE, 400,
			                     "Content-Length larger than the message",
			                     hdrs[cl].value.p);
		}
		avail = n;
	} else if (stream) {
		return FAIL("missing Content-Length on a stream", blank ? blank : p);
	}
	msg->body = (struct sipd_str){p, avail};
	msg->len = head + avail;
	return (long)msg->len;
}

const struct sipd_hdr *sipd_msg_find(const struct sipd_msg *msg, enum sipd_hdr_id id)
{
	if ((unsigned)id >= SIPD_HDR__COUNT || msg->first[id] == SIPD_HDR_NONE)
		return NULL;
	return &msg->hdrs[msg->first[id]];
}

const struct sipd_hdr *sipd_msg_find_next(const struct sipd_msg *msg, const struct sipd_hdr *h)
{
	return h->next == SIPD_HDR_NONE ? NULL : &msg->hdrs[h->next];
}

const struct sipd_hdr *sipd_msg_find_name(const struct sipd_msg *msg, const char *name)
{
	size_t n = strlen(name);
	enum sipd_hdr_id id = sipd_hdr_lookup(name, n);
	if (id != SIPD_HDR_OTHER)
		return sipd_msg_find(msg, id);
	/* Compact forms of extensions the library has no id for match their
	 * full name, in either direction. */
	const char *full = n == 1 ? sipd_hdr_other_compact(name[0]) : name;
	if (!full)
		full = name;
	for (const struct sipd_hdr *h = sipd_msg_find(msg, SIPD_HDR_OTHER); h;
	     h = sipd_msg_find_next(msg, h)) {
		const char *hn = h->name.len == 1 ? sipd_hdr_other_compact(h->name.p[0]) : NULL;
		if (hn ? sipd_str_ieq((struct sipd_str){full, strlen(full)}, hn)
		       : sipd_str_ieq(h->name, full) || sipd_str_ieq(h->name, name))
			return h;
	}
	return NULL;
}

void sipd_hdr_iter_init(struct sipd_hdr_iter *it, const struct sipd_msg *msg, enum sipd_hdr_id id)
{
	it->msg = msg;
	it->list = sipd_hdr_is_list(id);
	it->idx = (unsigned)id < SIPD_HDR__COUNT ? msg->first[id] : SIPD_HDR_NONE;
	it->rest = it->idx != SIPD_HDR_NONE ? msg->hdrs[it->idx].value : SIPD_STR_NULL;
	it->hdr = NULL;
}

bool sipd_hdr_iter_next(struct sipd_hdr_iter *it, struct sipd_str *value)
{
	while (it->idx != SIPD_HDR_NONE) {
		const struct sipd_hdr *h = &it->msg->hdrs[it->idx];
		if (it->list) {
			if (sipd_lex_list_next(&it->rest, value)) {
				it->hdr = h;
				return true;
			}
		} else if (it->rest.p) {
			*value = it->rest;
			it->rest = SIPD_STR_NULL;
			it->hdr = h;
			return true;
		}
		it->idx = h->next;
		it->rest = it->idx != SIPD_HDR_NONE ? it->msg->hdrs[it->idx].value : SIPD_STR_NULL;
	}
	return false;
}
