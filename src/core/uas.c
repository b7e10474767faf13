/* The UA core on the server side (RFC 3261 §8.2): what every new request goes
 * through before the application sees it, and the answers the RFC names when
 * the application does not take a request. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Is `tok` in a comma-separated token list? (case-insensitive) */
static bool in_list(const char *list, struct sipd_str tok)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if ((size_t)(p - s) == tok.len && tok.len) {
			bool eq = true;
			for (size_t i = 0; i < tok.len && eq; i++)
				eq = (s[i] | 0x20) == (tok.p[i] | 0x20);
			if (eq)
				return true;
		}
	}
	return false;
}

static bool method_allowed(const struct sipd_stack *st, const struct sipd_msg *m)
{
	if (m->method != SIPD_METHOD_OTHER)
		return (st->allow_mask >> m->method) & 1;
	return in_list(st->cfg.allow, m->method_name);
}

void sipd_core_stateless(struct sipd_stack *st, const struct sipd_msg *req,
                         const struct sipd_flow *from, unsigned code, const char *reason,
                         const char *extra)
{
	char out[8192];
	char tag[16];
	struct sipd_buf b;
	sipd_buf_init(&b, out, sizeof out);
	sipd_stack_random_token(st, tag, sizeof tag);
	char ip[64];
	int iplen = sipd_addr_format(&from->remote, ip, sizeof ip);
	struct sipd_via_source src = {{ip, iplen > 0 ? (size_t)iplen : 0}, from->remote.port};
	sipd_build_response_head(&b, req, code, reason, (struct sipd_str){tag, sizeof tag},
	                         iplen > 0 ? &src : NULL);
	if (extra)
		sipd_buf_puts(&b, extra);
	if (st->cfg.user_agent)
		sipd_build_header(&b, "Server", (struct sipd_str){st->cfg.user_agent,
		                                                  strlen(st->cfg.user_agent)});
	sipd_build_body(&b, NULL, SIPD_STR_NULL);
	long n = sipd_buf_result(&b);
	if (n < 0)
		return;
	struct sipd_flow to;
	sipd_txl_response_flow(req, from, &to);
	st->stats.tx_messages++;
	st->stats.responses_by_class[code / 100]++;
	st->cb.send(st->cfg.user, &to, out, (size_t)n);
}

/* Responds on a transaction with extra header lines and the Server header,
 * under To tag `tag` (empty: a fresh one). */
static void respond_tagged(struct sipd_stack *st, struct sipd_txn *tx, unsigned code,
                           const char *extra, struct sipd_str tag, uint64_t now)
{
	char hdrs[2048];
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs, sizeof hdrs);
	if (extra)
		sipd_buf_puts(&b, extra);
	if (st->cfg.user_agent)
		sipd_build_header(&b, "Server", (struct sipd_str){st->cfg.user_agent,
		                                                  strlen(st->cfg.user_agent)});
	char fresh[16];
	if (!tag.len) {
		sipd_stack_random_token(st, fresh, sizeof fresh);
		tag = (struct sipd_str){fresh, sizeof fresh};
	}
	struct sipd_response r = {
		.size = sizeof r,
		.code = code,
		.to_tag = tag,
		.headers = {hdrs, b.overflow ? 0 : b.len},
	};
	sipd_txl_respond(tx, &r, now);
}

static void respond(struct sipd_stack *st, struct sipd_txn *tx, unsigned code, const char *extra,
                    uint64_t now)
{
	respond_tagged(st, tx, code, extra, SIPD_STR_NULL, now);
}

/* The To tag the INVITE's last response carried (a provisional with one,
 * which our response head writes as "\r\nTo: ...;tag=..."), or empty. */
static struct sipd_str invite_tag(const struct sipd_txn *inv)
{
	struct sipd_str none = SIPD_STR_NULL;
	if (!inv->resp || inv->resp_code <= 100)
		return none;
	const char *end = inv->resp + inv->resp_len;
	const char *to = NULL;
	for (const char *p = inv->resp; p + 6 <= end && !to; p++)
		if (p[0] == '\r' && p[1] == '\n' && !memcmp(p + 2, "To: ", 4))
			to = p + 6;
	const char *eol = to ? memchr(to, '\r', (size_t)(end - to)) : NULL;
	if (!eol)
		return none;
	/* the tag is the line's last parameter, as the head writes it */
	for (const char *p = eol; p - 5 >= to; p--)
		if (!memcmp(p - 5, ";tag=", 5))
			return (struct sipd_str){p, (size_t)(eol - p)};
	return none;
}

/* Appends "Name: value\r\n" to a small text buffer. */
static void add_line(struct sipd_buf *b, const char *name, const char *value)
{
	sipd_buf_puts(b, name);
	sipd_buf_puts(b, ": ");
	sipd_buf_puts(b, value);
	sipd_buf_puts(b, "\r\n");
}

/* The checks of §8.2.1-§8.2.3 in the RFC's order. Returns the status code
 * of the rejection and its header lines in `extra`, or 0 to accept. */
static unsigned core_checks(struct sipd_stack *st, const struct sipd_msg *m, struct sipd_buf *extra)
{
	/* §8.2.1: a method we do not handle. 405 names the ones we do; a method
	 * we do not even know is 501 (§21.5.2). */
	if (!method_allowed(st, m)) {
		add_line(extra, "Allow", st->cfg.allow);
		return m->method == SIPD_METHOD_OTHER ? 501 : 405;
	}
	/* §8.2.2.2: a request merged by forking reaches us twice. */
	if (sipd_txl_match_merged(&st->txl, m))
		return 482;
	/* §8.2.2.1: a Request-URI scheme we do not support */
	if (m->ruri.kind != SIPD_URI_SIP && m->ruri.kind != SIPD_URI_SIPS &&
	    m->ruri.kind != SIPD_URI_TEL)
		return 416;
	/* §8.2.2.3: option tags we do not support (not for CANCEL, §9.2) */
	if (m->method != SIPD_METHOD_CANCEL) {
		struct sipd_hdr_iter it;
		struct sipd_str v;
		bool any = false;
		sipd_hdr_iter_init(&it, m, SIPD_HDR_REQUIRE);
		while (sipd_hdr_iter_next(&it, &v)) {
			if (in_list(st->cfg.supported, v))
				continue;
			sipd_buf_puts(extra, any ? ", " : "Unsupported: ");
			sipd_buf_putstr(extra, v);
			any = true;
		}
		if (any) {
			sipd_buf_puts(extra, "\r\n");
			return 420;
		}
	}
	/* §8.2.3: a body we cannot read */
	if (m->body.len) {
		const struct sipd_hdr *ct = sipd_msg_find(m, SIPD_HDR_CONTENT_TYPE);
		struct sipd_media media;
		bool ok = false;
		if (ct && sipd_media_parse(&media, ct->value, NULL) == 0) {
			char type[128];
			if (media.type.len + media.subtype.len + 1 < sizeof type) {
				memcpy(type, media.type.p, media.type.len);
				type[media.type.len] = '/';
				memcpy(type + media.type.len + 1, media.subtype.p, media.subtype.len);
				ok = in_list(st->cfg.accept,
				             (struct sipd_str){type, media.type.len + 1 + media.subtype.len});
			}
		}
		if (!ok) {
			add_line(extra, "Accept", st->cfg.accept);
			return 415;
		}
		struct sipd_hdr_iter it;
		struct sipd_str v;
		sipd_hdr_iter_init(&it, m, SIPD_HDR_CONTENT_ENCODING);
		while (sipd_hdr_iter_next(&it, &v)) {
			if (!sipd_str_ieq(v, "identity")) {
				add_line(extra, "Accept-Encoding", "identity");
				return 415;
			}
		}
	}
	/* A forwarding element cannot pass a request on with Max-Forwards 0
	 * (§16.3 step 2); an endpoint processes it (RFC 4475 §3.3.11). */
	if (st->cfg.forwarding && m->max_forwards == 0)
		return 483;
	return 0;
}

/* What the core answers when the application does not take a request. */
static void default_answer(struct sipd_stack *st, struct sipd_txn *tx, const struct sipd_msg *m,
                           uint64_t now)
{
	char extra[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, extra, sizeof extra - 1);
	if (m->to.tag.len) {
		respond(st, tx, 481, NULL, now); /* §12.2.2: no such dialog */
		return;
	}
	if (m->method == SIPD_METHOD_OPTIONS) {
		/* §11.2: what we would do with an INVITE */
		add_line(&b, "Allow", st->cfg.allow);
		add_line(&b, "Accept", st->cfg.accept);
		if (st->cfg.supported[0])
			add_line(&b, "Supported", st->cfg.supported);
		extra[b.overflow ? 0 : b.len] = 0;
		respond(st, tx, 200, extra, now);
		return;
	}
	add_line(&b, "Allow", st->cfg.allow);
	extra[b.overflow ? 0 : b.len] = 0;
	respond(st, tx, 405, extra, now);
}

void sipd_core_request(struct sipd_stack *st, const struct sipd_msg *m,
                       const struct sipd_flow *from, uint64_t now)
{
	struct sipd_txn *tx = sipd_txl_match_request(&st->txl, m);
	if (m->method == SIPD_METHOD_ACK) {
		/* The ACK of a non-2xx stays in its transaction; the ACK of a
		 * 2xx is a request of its own for the dialog layer (§17.1.1.3,
		 * RFC 6026). With nobody to take it, it is dropped (§12.2.2). */
		if (tx && sipd_txl_on_request(&st->txl, tx, m, now) == 0)
			return;
		if (!st->cb.request || st->cb.request(st->cfg.user, NULL, m, from) < 0)
			st->stats.rx_dropped++;
		return;
	}
	if (tx) {
		sipd_txl_on_request(&st->txl, tx, m, now); /* a retransmission */
		return;
	}
	if (sipd_txl_absorbs(&st->txl, m))
		return; /* an INVITE answered, ACKed and retransmitted (RFC 6026 §7.1) */
	/* Overload: no state for new work (RFC 3261 §21.5.4). Requests within a
	 * dialog, and CANCELs, have a reserve of a quarter more: the calls
	 * already up keep working while new ones are refused, and memory stays
	 * bounded even when a peer makes up in-dialog requests. */
	uint64_t cap = st->cfg.max_transactions;
	if (m->to.tag.len || m->method == SIPD_METHOD_CANCEL)
		cap += cap / 4;
	if (st->stats.server_txns >= cap) {
		sipd_core_stateless(st, m, from, 503, NULL, "Retry-After: 5\r\n");
		return;
	}
	if (sipd_txl_server(&st->txl, m, from, now, &tx)) {
		sipd_core_stateless(st, m, from, 503, NULL, "Retry-After: 5\r\n");
		return;
	}
	const struct sipd_msg *req = sipd_txn_request(tx);

	if (m->method == SIPD_METHOD_CANCEL) {
		/* §9.2: 200 to a CANCEL that names an INVITE in progress, and the
		 * INVITE is the application's to end (487); 481 otherwise. */
		struct sipd_txn *inv = sipd_txl_match_cancel(&st->txl, req);
		if (!inv) {
			/* an INVITE answered and ACKed: the CANCEL has no effect */
			respond(st, tx, sipd_txl_cancel_absorbed(&st->txl, req) ? 200 : 481, NULL, now);
			return;
		}
		/* §9.2: its To tag SHOULD be that of the INVITE's response: the
		 * one a provisional already carried, when there was one */
		respond_tagged(st, tx, 200, NULL, invite_tag(inv), now);
		if (inv->resp_code < 200 && st->cb.cancel)
			st->cb.cancel(st->cfg.user, inv, req);
		return;
	}

	char extra[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, extra, sizeof extra - 1);
	unsigned code = core_checks(st, req, &b);
	if (code) {
		extra[b.overflow ? 0 : b.len] = 0;
		respond(st, tx, code, b.len ? extra : NULL, now);
		return;
	}
	int rc = st->cb.request ? st->cb.request(st->cfg.user, tx, req, from) : -1;
	if (rc < 0) {
		default_answer(st, tx, req, now);
		return;
	}
	/* §17.2.1: a 100 unless the TU answered at once. The transaction cannot
	 * have been freed by the callback (ends are deferred to advance()). */
	if (tx->kind == TXN_IST && tx->resp_code == 0) {
		struct sipd_response r = {.size = sizeof r, .code = 100};
		sipd_txl_respond(tx, &r, now);
	}
}
