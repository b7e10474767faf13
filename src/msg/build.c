/* The builder: messages written into a caller's buffer, and the canonical
 * printer. Nothing here allocates. */
#include "msg/msg_internal.h"

void sipd_buf_init(struct sipd_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
}

void sipd_buf_put(struct sipd_buf *b, const void *data, size_t len)
{
	if (b->overflow || len > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

void sipd_buf_puts(struct sipd_buf *b, const char *s)
{
	sipd_buf_put(b, s, strlen(s));
}

void sipd_buf_putstr(struct sipd_buf *b, struct sipd_str s)
{
	sipd_buf_put(b, s.p, s.len);
}

void sipd_buf_putu(struct sipd_buf *b, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof tmp;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sipd_buf_put(b, tmp + n, sizeof tmp - n);
}

long sipd_buf_result(const struct sipd_buf *b)
{
	return b->overflow ? SIPD_ENOSPC : (long)b->len;
}

void sipd_build_request_line(struct sipd_buf *b, struct sipd_str method, struct sipd_str uri)
{
	sipd_buf_putstr(b, method);
	sipd_buf_put(b, " ", 1);
	sipd_buf_putstr(b, uri);
	sipd_buf_puts(b, " SIP/2.0\r\n");
}

void sipd_build_status_line(struct sipd_buf *b, unsigned code, const char *reason)
{
	sipd_buf_puts(b, "SIP/2.0 ");
	sipd_buf_putu(b, code);
	sipd_buf_put(b, " ", 1);
	sipd_buf_puts(b, reason ? reason : sipd_reason_phrase(code));
	sipd_buf_put(b, "\r\n", 2);
}

void sipd_build_header(struct sipd_buf *b, const char *name, struct sipd_str value)
{
	sipd_buf_puts(b, name);
	sipd_buf_put(b, ": ", 2);
	sipd_buf_putstr(b, value);
	sipd_buf_put(b, "\r\n", 2);
}

void sipd_build_header_uint(struct sipd_buf *b, const char *name, uint64_t value)
{
	sipd_buf_puts(b, name);
	sipd_buf_put(b, ": ", 2);
	sipd_buf_putu(b, value);
	sipd_buf_put(b, "\r\n", 2);
}

void sipd_build_body(struct sipd_buf *b, const char *ctype, struct sipd_str body)
{
	if (ctype)
		sipd_build_header(b, "Content-Type", (struct sipd_str){ctype, strlen(ctype)});
	sipd_build_header_uint(b, "Content-Length", body.len);
	sipd_buf_put(b, "\r\n", 2);
	sipd_buf_putstr(b, body);
}

/* A header value with its folds and LWS runs collapsed to one SP. */
static void put_value(struct sipd_buf *b, struct sipd_str v)
{
	size_t i = 0;
	while (i < v.len) {
		size_t run = i;
		while (run < v.len && !lex_is((unsigned char)v.p[run], LEX_WS))
			run++;
		sipd_buf_put(b, v.p + i, run - i);
		if (run == v.len)
			break;
		size_t ws = run;
		while (ws < v.len && lex_is((unsigned char)v.p[ws], LEX_WS))
			ws++;
		sipd_buf_put(b, " ", 1);
		i = ws;
	}
}

static void put_header(struct sipd_buf *b, const struct sipd_hdr *h)
{
	const char *name = sipd_hdr_name((enum sipd_hdr_id)h->id);
	if (!name && h->name.len == 1) /* a compact form of an extension (§7.3.3) */
		name = sipd_hdr_other_compact(h->name.p[0]);
	if (name)
		sipd_buf_puts(b, name);
	else
		sipd_buf_putstr(b, h->name);
	sipd_buf_put(b, ": ", 2);
	put_value(b, h->value);
	sipd_buf_put(b, "\r\n", 2);
}

/* The sent-by host is the source address (IPv6 brackets and case aside)? */
static bool same_host(struct sipd_str host, struct sipd_str addr)
{
	if (host.len > 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
		host = (struct sipd_str){host.p + 1, host.len - 2};
	if (host.len != addr.len)
		return false;
	for (size_t i = 0; i < host.len; i++)
		if (lex_lower(host.p[i]) != lex_lower(addr.p[i]))
			return false;
	return true;
}

/* The first Via line with the server transport's marks on its first value
 * (see sipd_build_response_head). */
static void put_top_via(struct sipd_buf *b, const struct sipd_hdr *h, const struct sipd_via *via,
                        const struct sipd_via_source *src)
{
	struct sipd_str v = h->value;
	/* the top via-parm ends where its parameters end */
	const char *end = via->params.p + via->params.len;
	if (!src || !via->params.p || end < v.p || end > v.p + v.len) {
		put_header(b, h);
		return;
	}
	const char *rport_at = NULL; /* an empty rport: its value goes here */
	if (via->rport && !via->rport_value) {
		struct sipd_str cur = via->params, n, val;
		while (!rport_at && sipd_param_next(&cur, &n, &val))
			if (n.len == 5 && LEX_IEQ(n, "rport") && !val.p)
				rport_at = n.p + n.len;
	}
	bool received = !via->received.len && (via->rport || !same_host(via->host, src->addr));
	sipd_buf_puts(b, "Via: ");
	const char *p = v.p;
	if (rport_at) {
		put_value(b, (struct sipd_str){p, (size_t)(rport_at - p)});
		sipd_buf_put(b, "=", 1);
		sipd_buf_putu(b, src->port);
		p = rport_at;
	}
	put_value(b, (struct sipd_str){p, (size_t)(end - p)});
	if (received) {
		sipd_buf_puts(b, ";received=");
		sipd_buf_putstr(b, src->addr);
	}
	put_value(b, (struct sipd_str){end, (size_t)(v.p + v.len - end)});
	sipd_buf_put(b, "\r\n", 2);
}

void sipd_build_response_head(struct sipd_buf *b, const struct sipd_msg *req, unsigned code,
                              const char *reason, struct sipd_str to_tag,
                              const struct sipd_via_source *src)
{
	sipd_build_status_line(b, code, reason);
	const struct sipd_hdr *top = sipd_msg_find(req, SIPD_HDR_VIA);
	for (const struct sipd_hdr *h = top; h; h = sipd_msg_find_next(req, h)) {
		if (h == top)
			put_top_via(b, h, &req->via, src);
		else
			put_header(b, h);
	}
	const struct sipd_hdr *from = sipd_msg_find(req, SIPD_HDR_FROM);
	const struct sipd_hdr *to = sipd_msg_find(req, SIPD_HDR_TO);
	if (from)
		put_header(b, from);
	if (to) {
		sipd_buf_puts(b, "To: ");
		put_value(b, to->value);
		/* §8.2.6.2: the UAS adds a tag unless the request had one; never
		 * on 100 (§8.2.6.1 leaves the To of a 100 without one). */
		if (!req->to.tag.len && to_tag.len && code != 100) {
			sipd_buf_puts(b, ";tag=");
			sipd_buf_putstr(b, to_tag);
		}
		sipd_buf_put(b, "\r\n", 2);
	}
	sipd_build_header(b, "Call-ID", req->call_id);
	sipd_buf_puts(b, "CSeq: ");
	sipd_buf_putu(b, req->cseq.seq);
	sipd_buf_put(b, " ", 1);
	sipd_buf_putstr(b, req->cseq.method_name);
	sipd_buf_put(b, "\r\n", 2);
	const struct sipd_hdr *ts;
	if (code == 100 && (ts = sipd_msg_find(req, SIPD_HDR_TIMESTAMP)))
		put_header(b, ts);
}

void sipd_msg_print(struct sipd_buf *b, const struct sipd_msg *msg)
{
	if (msg->is_request) {
		sipd_build_request_line(b, msg->method_name, msg->ruri.raw);
	} else {
		sipd_buf_puts(b, "SIP/2.0 ");
		sipd_buf_putu(b, msg->status);
		sipd_buf_put(b, " ", 1);
		sipd_buf_putstr(b, msg->reason);
		sipd_buf_put(b, "\r\n", 2);
	}
	for (uint16_t i = 0; i < msg->nhdrs; i++)
		put_header(b, &msg->hdrs[i]);
	sipd_buf_put(b, "\r\n", 2);
	sipd_buf_putstr(b, msg->body);
}

const char *sipd_reason_phrase(unsigned code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 199: return "Early Dialog Terminated";
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Notification";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 412: return "Conditional Request Failed";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 417: return "Unknown Resource-Priority";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 422: return "Session Interval Too Small";
	case 423: return "Interval Too Brief";
	case 428: return "Use Identity Header";
	case 429: return "Provide Referrer Identity";
	case 430: return "Flow Failed";
	case 433: return "Anonymity Disallowed";
	case 436: return "Bad Identity-Info";
	case 437: return "Unsupported Certificate";
	case 438: return "Invalid Identity Header";
	case 439: return "First Hop Lacks Outbound Support";
	case 440: return "Max-Breadth Exceeded";
	case 469: return "Bad Info Package";
	case 470: return "Consent Needed";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 489: return "Bad Event";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 494: return "Security Agreement Required";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 580: return "Precondition Failure";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	case 607: return "Unwanted";
	}
	return "";
}
