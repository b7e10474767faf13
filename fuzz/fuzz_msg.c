/* fuzz_msg — the message parser.
 *
 * The input is one message. It is parsed in both framings, with the default
 * limits and 64 header slots, and again with small limits and few slots; a
 * message that parses is then checked, walked header by header and value by
 * value through the typed parsers, printed in canonical form (which must parse
 * again and print the same), and, for a valid request, answered with
 * sipd_build_response_head() (which must parse as the matching response).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define SLOTS 64
#define FEW_SLOTS 8
#define OUT_CAP (128u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char print_out[OUT_CAP];
static char print_again[OUT_CAP];
static char resp_out[OUT_CAP];

static const struct sipd_parse_limits small_limits = {
	.size = sizeof(struct sipd_parse_limits),
	.max_message = 2048,
	.max_line = 256,
	.max_headers = FEW_SLOTS - 2,
};

static const struct sipd_parse_limits big_limits = {
	.size = sizeof(struct sipd_parse_limits),
	.max_message = OUT_CAP,
	.max_line = OUT_CAP,
	.max_headers = SLOTS,
};

#define ERR_INIT ((struct sipd_parse_error){.code = 12345, .offset = SIZE_MAX})

static long parse(struct sipd_msg *m, struct sipd_hdr *hdrs, size_t slots, const char *buf,
                  size_t len, enum sipd_framing framing, const struct sipd_parse_limits *lim)
{
	struct sipd_parse_error err = ERR_INIT;
	long ret = sipd_msg_parse(m, hdrs, slots, buf, len, framing, lim, &err);

	if (ret > 0)
		return ret;
	if (ret == SIPD_EINVAL && len == 0)
		return ret;
	/* "SIPD_EAGAIN (stream framing: ...)": a datagram is never incomplete. */
	if (framing == SIPD_FRAME_DATAGRAM)
		FZ_CHECK(ret == SIPD_EPARSE || ret == SIPD_ELIMIT);
	else
		FZ_CHECK(ret == SIPD_EPARSE || ret == SIPD_ELIMIT || ret == SIPD_EAGAIN);
	fz_check_error((int)ret, &err, len);
	if (ret != SIPD_EAGAIN)
		FZ_CHECK(err.status == 0 || (err.status >= 400 && err.status <= 599));
	return ret;
}

/* The message's own slices, and its header table. */
static void check_layout(const struct sipd_msg *m, long ret, const struct sipd_hdr *hdrs,
                         size_t slots, const char *buf, size_t len)
{
	FZ_CHECK((size_t)ret <= len);
	FZ_CHECK(m->buf == buf);
	FZ_CHECK(m->len == (size_t)ret);
	FZ_CHECK(m->hdrs == hdrs);
	FZ_CHECK(m->nhdrs <= slots);

	size_t n = m->len;
	FZ_INSIDE(m->version, buf, n);
	FZ_INSIDE(m->call_id, buf, n);
	FZ_INSIDE(m->body, buf, n);
	if (m->body.len)
		FZ_CHECK(m->body.p + m->body.len == buf + n);
	FZ_CHECK(m->content_length >= -1);
	if (m->content_length >= 0)
		FZ_CHECK(m->body.len == (uint64_t)m->content_length);
	FZ_CHECK(m->max_forwards >= -1);

	if (m->is_request) {
		FZ_INSIDE(m->method_name, buf, n);
		FZ_CHECK(m->method < SIPD_METHOD__COUNT);
		FZ_CHECK(m->method_name.len > 0 && fz_is_token(m->method_name));
		FZ_CHECK(sipd_method_lookup(m->method_name.p, m->method_name.len) == m->method);
		fz_check_uri(&m->ruri, buf, n);
	} else {
		FZ_INSIDE(m->reason, buf, n);
		FZ_CHECK(m->status <= 999);
	}

	/* Eagerly parsed values point into the message too. */
	FZ_INSIDE(m->via.host, buf, n);
	FZ_INSIDE(m->via.branch, buf, n);
	FZ_INSIDE(m->via.params, buf, n);
	FZ_INSIDE(m->from.tag, buf, n);
	FZ_INSIDE(m->from.uri.raw, buf, n);
	FZ_INSIDE(m->to.tag, buf, n);
	FZ_INSIDE(m->to.uri.raw, buf, n);
	FZ_INSIDE(m->cseq.method_name, buf, n);

	uint32_t prev_line = 1;
	uint16_t last[SIPD_HDR__COUNT];
	for (size_t id = 0; id < SIPD_HDR__COUNT; id++)
		last[id] = SIPD_HDR_NONE;

	for (uint16_t i = 0; i < m->nhdrs; i++) {
		const struct sipd_hdr *h = &hdrs[i];
		FZ_CHECK(h->name.len > 0);
		FZ_INSIDE(h->name, buf, n);
		FZ_INSIDE(h->value, buf, n);
		if (m->body.len)
			FZ_CHECK(h->value.p + h->value.len <= m->body.p);
		FZ_CHECK(h->id < SIPD_HDR__COUNT);
		FZ_CHECK(sipd_hdr_lookup(h->name.p, h->name.len) == h->id);
		FZ_CHECK(h->line > prev_line);
		prev_line = h->line;

		/* first[] and next form, for each id, the list of its headers in order. */
		if (h->id != SIPD_HDR_OTHER) {
			if (last[h->id] == SIPD_HDR_NONE)
				FZ_CHECK(m->first[h->id] == i);
			else
				FZ_CHECK(hdrs[last[h->id]].next == i);
		}
		last[h->id] = i;
		if (h->next != SIPD_HDR_NONE) {
			FZ_CHECK(h->next > i && h->next < m->nhdrs);
			FZ_CHECK(hdrs[h->next].id == h->id);
		}
	}
	for (size_t id = 1; id < SIPD_HDR__COUNT; id++) {
		if (last[id] == SIPD_HDR_NONE)
			FZ_CHECK(m->first[id] == SIPD_HDR_NONE);
		else
			FZ_CHECK(hdrs[last[id]].next == SIPD_HDR_NONE);
	}
	if (m->first[SIPD_HDR_OTHER] != SIPD_HDR_NONE) {
		FZ_CHECK(m->first[SIPD_HDR_OTHER] < m->nhdrs);
		FZ_CHECK(hdrs[m->first[SIPD_HDR_OTHER]].id == SIPD_HDR_OTHER);
	}
}

/* What the eager parse found agrees with the typed parser on the same header. */
static void check_eager(const struct sipd_msg *m)
{
	struct sipd_parse_error err;
	const struct sipd_hdr *h;

	h = sipd_msg_find(m, SIPD_HDR_CSEQ);
	if (h && h->next == SIPD_HDR_NONE) {
		struct sipd_cseq cs;
		err = ERR_INIT;
		FZ_CHECK(sipd_cseq_parse(&cs, h->value, &err) == 0);
		FZ_CHECK(cs.seq == m->cseq.seq && cs.method == m->cseq.method);
	}
	h = sipd_msg_find(m, SIPD_HDR_CALL_ID);
	if (h && h->next == SIPD_HDR_NONE) {
		struct sipd_str id;
		err = ERR_INIT;
		FZ_CHECK(sipd_callid_parse(&id, h->value, &err) == 0);
		FZ_CHECK(id.len == m->call_id.len && id.p == m->call_id.p);
	}
	h = sipd_msg_find(m, SIPD_HDR_MAX_FORWARDS);
	if (h && h->next == SIPD_HDR_NONE) {
		uint32_t v;
		err = ERR_INIT;
		FZ_CHECK(sipd_uint_parse(&v, h->value, &err) == 0);
		FZ_CHECK((int64_t)v == m->max_forwards);
	} else if (!h) {
		FZ_CHECK(m->max_forwards == -1);
	}
	h = sipd_msg_find(m, SIPD_HDR_CONTENT_LENGTH);
	if (h && h->next == SIPD_HDR_NONE) {
		uint32_t v;
		err = ERR_INIT;
		FZ_CHECK(sipd_uint_parse(&v, h->value, &err) == 0);
		FZ_CHECK((int64_t)v == m->content_length);
	} else if (!h) {
		FZ_CHECK(m->content_length == -1);
	}
	h = sipd_msg_find(m, SIPD_HDR_VIA);
	if (h) {
		struct sipd_hdr_iter it;
		struct sipd_str v;
		sipd_hdr_iter_init(&it, m, SIPD_HDR_VIA);
		if (sipd_hdr_iter_next(&it, &v)) {
			struct sipd_via via;
			err = ERR_INIT;
			FZ_CHECK(sipd_via_parse(&via, v, &err) == 0);
			FZ_CHECK(via.host.p == m->via.host.p && via.host.len == m->via.host.len);
			FZ_CHECK(via.branch.len == m->via.branch.len);
			FZ_CHECK(via.port == m->via.port);
		}
	}
	const enum sipd_hdr_id ft[2] = {SIPD_HDR_FROM, SIPD_HDR_TO};
	for (int k = 0; k < 2; k++) {
		h = sipd_msg_find(m, ft[k]);
		if (!h || h->next != SIPD_HDR_NONE)
			continue;
		const struct sipd_nameaddr *eager = k ? &m->to : &m->from;
		struct sipd_nameaddr na;
		err = ERR_INIT;
		FZ_CHECK(sipd_nameaddr_parse(&na, h->value, false, &err) == 0);
		FZ_CHECK(na.tag.len == eager->tag.len);
		FZ_CHECK(na.tag.len == 0 || na.tag.p == eager->tag.p);
		FZ_CHECK(na.uri.raw.p == eager->uri.raw.p && na.uri.raw.len == eager->uri.raw.len);
	}
}

/* sipd_msg_find*, then every value of every id through the typed parsers.
 * With `valid` (sipd_msg_check() passed) every known value must parse. */
static void walk(const struct sipd_msg *m, bool valid)
{
	const char *buf = m->buf;
	size_t n = m->len;

	for (size_t id = 1; id < SIPD_HDR__COUNT; id++) {
		const struct sipd_hdr *h = sipd_msg_find(m, (enum sipd_hdr_id)id);
		if (m->first[id] == SIPD_HDR_NONE)
			FZ_CHECK(h == NULL);
		else
			FZ_CHECK(h == &m->hdrs[m->first[id]]);
	}
	for (uint16_t i = 0; i < m->nhdrs; i++) {
		const struct sipd_hdr *h = &m->hdrs[i];
		const struct sipd_hdr *nx = sipd_msg_find_next(m, h);
		FZ_CHECK(nx == (h->next == SIPD_HDR_NONE ? NULL : &m->hdrs[h->next]));
		char *z = fz_cstr(h->name);
		if (!z)
			continue;
		const struct sipd_hdr *byname = sipd_msg_find_name(m, z);
		FZ_CHECK(byname != NULL);
		FZ_CHECK(byname >= m->hdrs && byname <= h);
		FZ_CHECK(byname->id == h->id);
		/* an extension's compact form and its full name find each other
		 * (sipd_msg_find_name): one of the two is then a single letter */
		if (h->id == SIPD_HDR_OTHER)
			FZ_CHECK(sipd_str_ieq(byname->name, z) || byname->name.len == 1 ||
			         h->name.len == 1);
		free(z);
	}

	for (size_t id = 0; id < SIPD_HDR__COUNT; id++) {
		enum fz_kind kind = fz_kind_of((enum sipd_hdr_id)id);
		bool list = sipd_hdr_is_list((enum sipd_hdr_id)id);
		/* An empty list header has no element; any other header has some. */
		size_t headers = 0, nonempty = 0;
		for (uint16_t i = 0; i < m->nhdrs; i++) {
			headers += m->hdrs[i].id == id;
			nonempty += m->hdrs[i].id == id && m->hdrs[i].value.len > 0;
		}

		struct sipd_hdr_iter it;
		struct sipd_str v;
		size_t values = 0;
		sipd_hdr_iter_init(&it, m, (enum sipd_hdr_id)id);
		while (sipd_hdr_iter_next(&it, &v)) {
			values++;
			FZ_CHECK(values <= n + m->nhdrs + 1);
			FZ_CHECK(it.hdr != NULL);
			FZ_CHECK(it.hdr >= m->hdrs && it.hdr < m->hdrs + m->nhdrs);
			FZ_CHECK(it.hdr->id == id);
			FZ_INSIDE(v, buf, n);
			FZ_INSIDE(v, it.hdr->value.p, it.hdr->value.len);
			if (!list)
				FZ_CHECK(v.p == it.hdr->value.p && v.len == it.hdr->value.len);
			if (kind == FZ_NONE)
				continue;
			int rc = fz_parse_value(kind, v, buf, n);
			if (valid && v.len > 0)
				FZ_CHECK(rc == 0);
		}
		if (!list)
			FZ_CHECK(values == headers);
		else
			FZ_CHECK(values >= nonempty);
	}
}

/* Canonical form: prints within bounds, reparses, and is a fixed point. */
static void check_print(const struct sipd_msg *m, bool valid)
{
	struct sipd_buf b;
	sipd_buf_init(&b, print_out, OUT_CAP);
	sipd_msg_print(&b, m);
	long r = sipd_buf_result(&b);
	FZ_CHECK(b.len <= OUT_CAP);
	FZ_CHECK(r == SIPD_ENOSPC || (r >= 0 && (size_t)r == b.len));
	if (r <= 0)
		return;

	/* The same into buffers of exactly its size and one byte less. */
	char *exact = malloc((size_t)r);
	if (!exact)
		abort();
	sipd_buf_init(&b, exact, (size_t)r);
	sipd_msg_print(&b, m);
	FZ_CHECK(sipd_buf_result(&b) == r);
	FZ_CHECK(memcmp(exact, print_out, (size_t)r) == 0);
	free(exact);
	char *tight = malloc((size_t)r - 1);
	if (!tight)
		abort();
	sipd_buf_init(&b, tight, (size_t)r - 1);
	sipd_msg_print(&b, m);
	FZ_CHECK(sipd_buf_result(&b) == SIPD_ENOSPC);
	free(tight);

	if (!valid)
		return;
	char *copy = fz_dup(print_out, (size_t)r);
	struct sipd_hdr *hdrs = malloc(SLOTS * sizeof *hdrs);
	if (!hdrs)
		abort();
	struct sipd_msg again;
	long ret = parse(&again, hdrs, SLOTS, copy, (size_t)r, SIPD_FRAME_DATAGRAM, &big_limits);
	FZ_CHECK(ret == r);
	struct sipd_parse_error err = ERR_INIT;
	FZ_CHECK(sipd_msg_check(&again, &err) == 0);
	FZ_CHECK(again.is_request == m->is_request);
	FZ_CHECK(again.nhdrs == m->nhdrs);
	sipd_buf_init(&b, print_again, OUT_CAP);
	sipd_msg_print(&b, &again);
	FZ_CHECK(sipd_buf_result(&b) == r);
	FZ_CHECK(memcmp(print_again, print_out, (size_t)r) == 0);
	free(hdrs);
	free(copy);
}

/* A response built from a valid request parses as that request's response. */
static void check_response(const struct sipd_msg *req, uint8_t pick)
{
	static const unsigned codes[] = {100, 180, 183, 199, 200, 202, 302, 401,
	                                 404, 481, 486, 487, 500, 503, 603, 699};
	unsigned code = codes[pick % (sizeof codes / sizeof codes[0])];
	static const char tag[] = "fz1tag";
	struct sipd_buf b;

	sipd_buf_init(&b, resp_out, OUT_CAP);
	/* every other response marked as from a source (received, rport) */
	static const struct sipd_via_source src = {{"192.0.2.77", 10}, 40077};
	sipd_build_response_head(&b, req, code, NULL, (struct sipd_str){tag, sizeof tag - 1},
	                         pick & 16 ? &src : NULL);
	sipd_build_body(&b, NULL, (struct sipd_str){"", 0});
	long r = sipd_buf_result(&b);
	FZ_CHECK(r == SIPD_ENOSPC || (r > 0 && (size_t)r == b.len && b.len <= OUT_CAP));
	if (r <= 0)
		return;

	char *copy = fz_dup(resp_out, (size_t)r);
	struct sipd_hdr *hdrs = malloc(SLOTS * sizeof *hdrs);
	if (!hdrs)
		abort();
	struct sipd_msg resp;
	long ret = parse(&resp, hdrs, SLOTS, copy, (size_t)r, SIPD_FRAME_DATAGRAM, &big_limits);
	FZ_CHECK(ret == r);
	FZ_CHECK(!resp.is_request);
	FZ_CHECK(resp.status == code);
	FZ_CHECK(resp.call_id.len == req->call_id.len);
	FZ_CHECK(memcmp(resp.call_id.p, req->call_id.p, req->call_id.len) == 0);
	FZ_CHECK(resp.cseq.seq == req->cseq.seq && resp.cseq.method == req->cseq.method);
	/* The request's To tag, or ours; a 100 may go without (RFC 3261 §8.2.6.2). */
	struct sipd_str want = req->to.tag.len ? req->to.tag : (struct sipd_str){tag, sizeof tag - 1};
	if (!(code == 100 && !req->to.tag.len && !resp.to.tag.len))
		FZ_CHECK(resp.to.tag.len == want.len && memcmp(resp.to.tag.p, want.p, want.len) == 0);
	FZ_CHECK(resp.via.branch.len == req->via.branch.len);
	struct sipd_parse_error err = ERR_INIT;
	FZ_CHECK(sipd_msg_check(&resp, &err) == 0);
	free(hdrs);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fz_dup(data, size);
	struct sipd_hdr *hdrs = malloc(SLOTS * sizeof *hdrs);
	struct sipd_hdr *few = malloc(FEW_SLOTS * sizeof *few);
	if (!hdrs || !few)
		abort();
	uint8_t pick = size ? data[size - 1] : 0;

	/* Stream framing first, so that the datagram parse is left in `m`. */
	struct sipd_msg m;
	long sret = parse(&m, hdrs, SLOTS, buf, size, SIPD_FRAME_STREAM, NULL);
	if (sret > 0)
		check_layout(&m, sret, hdrs, SLOTS, buf, size);
	long dret = parse(&m, hdrs, SLOTS, buf, size, SIPD_FRAME_DATAGRAM, NULL);
	if (sret > 0) {
		/* A whole message by Content-Length is the same message in a datagram. */
		FZ_CHECK(dret == sret);
	}

	/* Tighter limits and fewer slots only ever turn success into an error. */
	struct sipd_msg small;
	enum sipd_framing fr = (pick & 1) ? SIPD_FRAME_STREAM : SIPD_FRAME_DATAGRAM;
	long lret = parse(&small, few, FEW_SLOTS, buf, size, fr, &small_limits);
	if (lret > 0) {
		check_layout(&small, lret, few, FEW_SLOTS, buf, size);
		FZ_CHECK(lret <= 2048);
		FZ_CHECK(small.nhdrs <= small_limits.max_headers);
		FZ_CHECK(lret == (fr == SIPD_FRAME_STREAM ? sret : dret));
	}

	if (dret > 0) {
		check_layout(&m, dret, hdrs, SLOTS, buf, size);
		check_eager(&m);
		struct sipd_parse_error err = ERR_INIT;
		int crc = sipd_msg_check(&m, &err);
		FZ_CHECK(crc == 0 || crc == SIPD_EPARSE);
		if (crc)
			fz_check_error(crc, &err, m.len);
		walk(&m, crc == 0);
		check_print(&m, crc == 0);
		if (crc == 0 && m.is_request)
			check_response(&m, pick);
	}

	free(few);
	free(hdrs);
	free(buf);
	return 0;
}
