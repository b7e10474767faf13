/* Client transactions: INVITE (§17.1.1, RFC 6026 §7.2) and non-INVITE
 * (§17.1.2). */
#include <stdlib.h>
#include <string.h>

#include "txn/txn.h"

#define BRANCH_RANDOM 22
#define BRANCH_LEN (7 + BRANCH_RANDOM) /* with the magic cookie z9hG4bK */
/* §18.1.1: a request within 200 bytes of a 1500-byte MTU goes over a
 * congestion-controlled transport when one is available. */
#define UDP_MTU_LIMIT 1300

/* Where `needle` first occurs in hay (our own bytes only). */
static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The branch of our Via, the first after the request line: not a ";branch="
 * the Request-URI may carry (a Contact's parameter becomes a remote target
 * as it is, §12.1.2). NULL when there is none. */
static const char *our_branch(const char *buf, size_t len)
{
	const char *via = find(buf, len, "\r\nVia: ");
	const char *b = via ? find(via, len - (size_t)(via - buf), ";branch=") : NULL;
	return b ? b + 8 : NULL;
}

static const char *tp_name(uint8_t tp)
{
	switch (tp) {
	case SIPD_TP_TCP: return "TCP";
	case SIPD_TP_TLS: return "TLS";
	default: return "UDP";
	}
}

/* "host:port" of a local address, IPv6 in brackets. */
static void put_sent_by(struct sipd_buf *b, const struct sipd_local *loc)
{
	if (loc->host) {
		sipd_buf_puts(b, loc->host);
	} else {
		char ip[64];
		int n = sipd_addr_format(&loc->addr, ip, sizeof ip);
		if (n < 0)
			n = 0;
		if (loc->addr.family == 6)
			sipd_buf_put(b, "[", 1);
		sipd_buf_put(b, ip, (size_t)n);
		if (loc->addr.family == 6)
			sipd_buf_put(b, "]", 1);
	}
	if (loc->addr.port) {
		sipd_buf_put(b, ":", 1);
		sipd_buf_putu(b, loc->addr.port);
	}
}

/* Writes the whole request. Returns the length or SIPD_ENOSPC. */
static long build(struct sipd_txl *l, const struct sipd_request *r, const struct sipd_flow *flow,
                  const char *branch, char *out, size_t cap)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap);
	sipd_build_request_line(&b, r->method, r->uri);
	sipd_buf_puts(&b, "Via: SIP/2.0/");
	sipd_buf_puts(&b, tp_name(flow->transport));
	sipd_buf_put(&b, " ", 1);
	put_sent_by(&b, &l->locals[flow->local]);
	sipd_buf_puts(&b, ";branch=z9hG4bK");
	sipd_buf_put(&b, branch, BRANCH_RANDOM);
	/* RFC 3581 §3: ask for the response at our source port. */
	if (flow->transport == SIPD_TP_UDP)
		sipd_buf_puts(&b, ";rport");
	sipd_buf_put(&b, "\r\n", 2);
	sipd_buf_putstr(&b, r->headers);
	sipd_build_body(&b, r->content_type, r->body);
	return sipd_buf_result(&b);
}

static size_t estimate(const struct sipd_request *r)
{
	return r->method.len + r->uri.len + r->headers.len + r->body.len +
	       (r->content_type ? strlen(r->content_type) : 0) + 256 + BRANCH_RANDOM;
}

static bool valid_request(const struct sipd_txl *l, const struct sipd_request *r)
{
	return r && r->method.len && r->uri.len && r->flow.local < l->nlocals &&
	       (!r->headers.len || (r->headers.len >= 2 && r->headers.p[r->headers.len - 1] == '\n'));
}

/* §18.1.1: switch a large UDP request to TCP when we listen on TCP too. */
static void choose_transport(const struct sipd_txl *l, struct sipd_flow *flow, size_t len)
{
	if (flow->transport != SIPD_TP_UDP || len <= UDP_MTU_LIMIT)
		return;
	for (size_t i = 0; i < l->nlocals; i++) {
		if (l->locals[i].transport == SIPD_TP_TCP &&
		    l->locals[i].addr.family == l->locals[flow->local].addr.family) {
			flow->transport = SIPD_TP_TCP;
			flow->local = (uint16_t)i;
			flow->conn = 0;
			return;
		}
	}
}

static void random_branch(struct sipd_txl *l, char *out)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t raw[BRANCH_RANDOM];
	l->ops->random(l->ctx, raw, sizeof raw);
	for (size_t i = 0; i < BRANCH_RANDOM; i++)
		out[i] = alphabet[raw[i] % 36];
}

int sipd_txl_request(struct sipd_txl *l, const struct sipd_request *r, sipd_txn_cb cb,
                     void *arg, uint64_t now, struct sipd_txn **out)
{
	if (out)
		*out = NULL;
	if (!valid_request(l, r))
		return SIPD_EINVAL;
	enum sipd_method m = sipd_method_lookup(r->method.p, r->method.len);
	if (m == SIPD_METHOD_ACK)
		return SIPD_EINVAL;
	size_t cap = estimate(r);
	/* An INVITE client transaction needs its request only until the 2xx
	 * (in Accepted it never sends it again, RFC 6026 §7.2), and then lives
	 * on for 64*T1: the request goes in a block of its own, freed at the
	 * 2xx, and the branch the matching needs is kept after the struct. */
	bool invite = m == SIPD_METHOD_INVITE;
	struct sipd_txn *tx = calloc(1, sizeof *tx + (invite ? BRANCH_LEN : cap));
	if (!tx)
		return SIPD_ENOMEM;
	tx->buf = invite ? malloc(cap) : (char *)(tx + 1);
	if (!tx->buf) {
		free(tx);
		return SIPD_ENOMEM;
	}
	tx->kind = invite ? TXN_ICT : TXN_NICT;
	tx->flow = r->flow;
	char branch[BRANCH_RANDOM];
	random_branch(l, branch);
	long n = build(l, r, &tx->flow, branch, tx->buf, cap);
	if (n > 0 && (size_t)n > UDP_MTU_LIMIT) {
		choose_transport(l, &tx->flow, (size_t)n);
		n = build(l, r, &tx->flow, branch, tx->buf, cap);
	}
	if (n < 0) {
		if (invite)
			free(tx->buf);
		free(tx);
		return SIPD_EINVAL;
	}
	tx->len = (size_t)n;
	tx->method = (uint8_t)m;
	tx->reliable = tx->flow.transport != SIPD_TP_UDP;
	tx->cb = cb;
	tx->arg = arg;
	/* The branch and method inside our own bytes (an INVITE's: a copy of
	 * the branch, and the method's name, which is case-sensitive). */
	const char *bp = our_branch(tx->buf, tx->len);
	if (!bp) { /* a Request-URI with a line break: not a request we send */
		if (invite)
			free(tx->buf);
		free(tx);
		return SIPD_EINVAL;
	}
	if (invite)
		bp = memcpy(tx + 1, bp, BRANCH_LEN);
	tx->branch = (struct sipd_str){bp, BRANCH_LEN};
	tx->method_name = invite ? (struct sipd_str){"INVITE", 6} : (struct sipd_str){tx->buf, r->method.len};
	tx->node.hash = sipd_txl_hash(l, tx->branch, invite ? SIPD_METHOD_INVITE : m);

	if (sipd_hmap_insert(&l->client, &tx->node)) {
		if (invite)
			free(tx->buf);
		free(tx);
		return SIPD_ENOMEM;
	}
	sipd_txn_link(l, tx);
	int rc = sipd_txn_send(tx, tx->buf, tx->len, false);
	if (rc) {
		/* Sent nothing: no callbacks, the caller sees the error. */
		tx->cb = NULL;
		sipd_txn_terminate(tx);
		return rc;
	}
	sipd_txn_state(tx, tx->kind == TXN_ICT ? TS_CALLING : TS_TRYING);
	/* Timer A/E (unreliable only) and B/F, §17.1.1.2 and §17.1.2.2 */
	tx->retx_interval = l->t1;
	if (!tx->reliable)
		sipd_txn_arm(tx, &tx->t_retx, now + l->t1);
	sipd_txn_arm(tx, &tx->t_end, now + 64ull * l->t1);
	if (out)
		*out = tx;
	return 0;
}

int sipd_txl_send_ack(struct sipd_txl *l, const struct sipd_request *r)
{
	if (!valid_request(l, r))
		return SIPD_EINVAL;
	size_t cap = estimate(r);
	char *buf = malloc(cap);
	if (!buf)
		return SIPD_ENOMEM;
	char branch[BRANCH_RANDOM];
	random_branch(l, branch);
	long n = build(l, r, &r->flow, branch, buf, cap);
	int rc = SIPD_EINVAL;
	if (n > 0) {
		struct sipd_flow flow = r->flow;
		l->stats->tx_messages++;
		rc = l->ops->send(l->ctx, &flow, buf, (size_t)n);
	}
	free(buf);
	return rc;
}

/* Parses our own request again, for CANCEL, ACK and made-up responses. */
static bool own_request(const struct sipd_txn *tx, struct sipd_msg *m, struct sipd_hdr *slots,
                        size_t nslots)
{
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_message = UINT32_MAX >> 1};
	return sipd_msg_parse(m, slots, nslots, tx->buf, tx->len, SIPD_FRAME_DATAGRAM, &lim, NULL) > 0;
}

/* The lines CANCEL and ACK copy from the INVITE (§9.1, §17.1.1.3): request
 * line with the new method, top Via, Route headers, From, Call-ID, CSeq. The
 * To is the INVITE's for CANCEL and the response's for ACK. */
static long build_from_invite(const struct sipd_txn *tx, const char *method, struct sipd_str to,
                              const char *reason, char *out, size_t cap)
{
	struct sipd_hdr slots[128];
	struct sipd_msg inv;
	if (!own_request(tx, &inv, slots, 128))
		return SIPD_EINVAL;
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap);
	struct sipd_str m = {method, strlen(method)};
	sipd_build_request_line(&b, m, inv.ruri.raw);
	sipd_build_header(&b, "Via", inv.hdrs[inv.first[SIPD_HDR_VIA]].value);
	for (const struct sipd_hdr *h = sipd_msg_find(&inv, SIPD_HDR_ROUTE); h;
	     h = sipd_msg_find_next(&inv, h))
		sipd_build_header(&b, "Route", h->value);
	sipd_build_header(&b, "Max-Forwards", (struct sipd_str){"70", 2});
	sipd_build_header(&b, "From", inv.hdrs[inv.first[SIPD_HDR_FROM]].value);
	sipd_build_header(&b, "To", to.p ? to : inv.hdrs[inv.first[SIPD_HDR_TO]].value);
	sipd_build_header(&b, "Call-ID", inv.call_id);
	sipd_buf_puts(&b, "CSeq: ");
	sipd_buf_putu(&b, inv.cseq.seq);
	sipd_buf_put(&b, " ", 1);
	sipd_buf_put(&b, m.p, m.len);
	sipd_buf_put(&b, "\r\n", 2);
	if (reason)
		sipd_build_header(&b, "Reason", (struct sipd_str){reason, strlen(reason)});
	sipd_build_body(&b, NULL, SIPD_STR_NULL);
	return sipd_buf_result(&b);
}

/* A response the stack makes up for a timeout (408) or transport error (503),
 * so that the user handles every outcome alike (§8.1.3.1). */
static void report_failure(struct sipd_txn *tx, enum sipd_txn_event ev)
{
	struct sipd_hdr slots[128], rslots[16];
	struct sipd_msg req, resp;
	char out[2048];
	const struct sipd_msg *rp = NULL;
	if (own_request(tx, &req, slots, 128)) {
		struct sipd_buf b;
		sipd_buf_init(&b, out, sizeof out);
		sipd_build_response_head(&b, &req, ev == SIPD_TXN_TIMEOUT ? 408 : 503, NULL,
		                         SIPD_STR_NULL, NULL);
		sipd_build_body(&b, NULL, SIPD_STR_NULL);
		long n = sipd_buf_result(&b);
		if (n > 0 && sipd_msg_parse(&resp, rslots, 16, out, (size_t)n, SIPD_FRAME_DATAGRAM, NULL,
		                            NULL) > 0)
			rp = &resp;
	}
	if (tx->cb)
		tx->cb(tx->arg, tx, ev, rp);
}

static void fail(struct sipd_txn *tx, enum sipd_txn_event ev)
{
	report_failure(tx, ev);
	sipd_txn_terminate(tx);
}

static void send_cancel(struct sipd_txn *tx, uint64_t now)
{
	char out[4096];
	long n = build_from_invite(tx, "CANCEL", SIPD_STR_NULL, tx->cancel_reason, out, sizeof out);
	tx->cancel_pending = false;
	if (n < 0)
		return;
	/* §9.1: a UAS that never answers the INVITE after our CANCEL does not
	 * keep it alive: with no final response 64*T1 after the CANCEL, the
	 * INVITE ends as timed out. */
	sipd_txn_arm(tx, &tx->t_end, now + 64ull * tx->txl->t1);
	/* The CANCEL is a non-INVITE transaction of its own with the INVITE's
	 * branch (§9.1); its responses need no user. */
	struct sipd_txl *l = tx->txl;
	struct sipd_txn *c = calloc(1, sizeof *c + (size_t)n);
	if (!c)
		return;
	c->buf = (char *)(c + 1);
	memcpy(c->buf, out, (size_t)n);
	c->len = (size_t)n;
	c->kind = TXN_NICT;
	c->method = SIPD_METHOD_CANCEL;
	c->flow = tx->flow;
	c->reliable = tx->reliable;
	const char *bp = our_branch(c->buf, c->len);
	size_t bl = 0;
	while (bp && bp + bl < c->buf + c->len && bp[bl] != ';' && bp[bl] != '\r')
		bl++;
	c->branch = (struct sipd_str){bp ? bp : c->buf, bl};
	c->method_name = (struct sipd_str){c->buf, 6};
	c->node.hash = sipd_txl_hash(l, c->branch, SIPD_METHOD_CANCEL);
	if (sipd_hmap_insert(&l->client, &c->node)) {
		free(c);
		return;
	}
	sipd_txn_link(l, c);
	if (sipd_txn_send(c, c->buf, c->len, false)) {
		sipd_txn_terminate(c);
		return;
	}
	sipd_txn_state(c, TS_TRYING);
	c->retx_interval = l->t1;
	if (!c->reliable)
		sipd_txn_arm(c, &c->t_retx, now + l->t1);
	sipd_txn_arm(c, &c->t_end, now + 64ull * l->t1);
}

int sipd_txn_cancel(struct sipd_txn *tx, const char *reason, uint64_t now)
{
	if (!tx || tx->kind != TXN_ICT)
		return SIPD_EINVAL;
	if (tx->state != TS_CALLING && tx->state != TS_PROCEEDING)
		return SIPD_ESTATE;
	free(tx->cancel_reason);
	tx->cancel_reason = NULL;
	if (reason) {
		size_t n = strlen(reason) + 1;
		if (!(tx->cancel_reason = malloc(n)))
			return SIPD_ENOMEM;
		memcpy(tx->cancel_reason, reason, n);
	}
	/* §9.1: not before a provisional response has arrived. */
	if (tx->state == TS_CALLING) {
		tx->cancel_pending = true;
		return 0;
	}
	send_cancel(tx, now);
	return 0;
}

/* §17.1.1.3: the ACK of a non-2xx final response, inside the transaction. */
static void send_ack(struct sipd_txn *tx, const struct sipd_msg *resp)
{
	char out[4096];
	struct sipd_str to = resp->hdrs[resp->first[SIPD_HDR_TO]].value;
	long n = build_from_invite(tx, "ACK", to, NULL, out, sizeof out);
	if (n > 0) {
		free(tx->resp);
		tx->resp = malloc((size_t)n);
		if (tx->resp) {
			memcpy(tx->resp, out, (size_t)n);
			tx->resp_len = (size_t)n;
		}
		sipd_txn_send(tx, out, (size_t)n, false);
	}
}

static struct sipd_txn *match(struct sipd_txl *l, const struct sipd_msg *resp)
{
	/* §17.1.3: top Via branch, and the CSeq method. */
	unsigned salt = resp->cseq.method == SIPD_METHOD_OTHER ? 0 : resp->cseq.method;
	uint64_t h = sipd_txl_hash(l, resp->via.branch, salt);
	for (struct sipd_hnode *n = sipd_hmap_first(&l->client, h); n; n = sipd_hmap_next(n, h)) {
		struct sipd_txn *tx = (struct sipd_txn *)(void *)n;
		if (tx->branch.len == resp->via.branch.len &&
		    memcmp(tx->branch.p, resp->via.branch.p, tx->branch.len) == 0 &&
		    tx->method_name.len == resp->cseq.method_name.len &&
		    memcmp(tx->method_name.p, resp->cseq.method_name.p, tx->method_name.len) == 0)
			return tx;
	}
	return NULL;
}

int sipd_txl_on_response(struct sipd_txl *l, const struct sipd_msg *resp, uint64_t now)
{
	struct sipd_txn *tx = match(l, resp);
	if (!tx)
		return SIPD_ENOTFOUND;
	unsigned code = resp->status;
	bool prov = code < 200;

	if (tx->kind == TXN_ICT) {
		switch (tx->state) {
		case TS_CALLING:
		case TS_PROCEEDING:
			sipd_timer_cancel(&l->timers, &tx->t_retx);
			if (prov) {
				if (tx->state == TS_CALLING) {
					/* Timer B only runs in Calling (§17.1.1.2). */
					sipd_timer_cancel(&l->timers, &tx->t_end);
					sipd_txn_state(tx, TS_PROCEEDING);
				}
				if (tx->cb)
					tx->cb(tx->arg, tx, SIPD_TXN_RESPONSE, resp);
				if (tx->cancel_pending && tx->state == TS_PROCEEDING)
					send_cancel(tx, now);
			} else if (code < 300) {
				/* RFC 6026 §7.2: Accepted; Timer M absorbs more 2xx
				 * into the TU, which ACKs each. */
				tx->cancel_pending = false;
				sipd_txn_state(tx, TS_ACCEPTED);
				free(tx->buf); /* never sent again (above) */
				tx->buf = NULL;
				tx->len = 0;
				sipd_txn_arm(tx, &tx->t_end, now + 64ull * l->t1);
				if (tx->cb)
					tx->cb(tx->arg, tx, SIPD_TXN_RESPONSE, resp);
			} else {
				tx->cancel_pending = false;
				sipd_txn_state(tx, TS_COMPLETED);
				send_ack(tx, resp);
				/* Timer D: at least 32 s unreliable, 0 reliable */
				uint64_t d = 64ull * l->t1 > 32000 ? 64ull * l->t1 : 32000;
				sipd_txn_arm(tx, &tx->t_end, now + (tx->reliable ? 0 : d));
				if (tx->cb)
					tx->cb(tx->arg, tx, SIPD_TXN_RESPONSE, resp);
			}
			break;
		case TS_ACCEPTED:
			if (code >= 200 && code < 300 && tx->cb)
				tx->cb(tx->arg, tx, SIPD_TXN_RESPONSE, resp);
			break;
		case TS_COMPLETED:
			/* A retransmitted final response: ACK again, tell nobody. */
			if (code >= 300 && tx->resp)
				sipd_txn_send(tx, tx->resp, tx->resp_len, true);
			l->stats->retransmissions_absorbed++;
			break;
		default:
			break;
		}
		return 0;
	}

	/* non-INVITE, §17.1.2.2 */
	switch (tx->state) {
	case TS_TRYING:
	case TS_PROCEEDING:
		if (prov) {
			if (tx->state == TS_TRYING)
				sipd_txn_state(tx, TS_PROCEEDING);
		} else {
			sipd_txn_state(tx, TS_COMPLETED);
			sipd_timer_cancel(&l->timers, &tx->t_retx);
			sipd_txn_arm(tx, &tx->t_end, now + (tx->reliable ? 0 : l->t4));
		}
		if (tx->cb)
			tx->cb(tx->arg, tx, SIPD_TXN_RESPONSE, resp);
		break;
	default:
		l->stats->retransmissions_absorbed++;
		break;
	}
	return 0;
}

void sipd_client_timer(struct sipd_txn *tx, struct sipd_timer *t, uint64_t now);
void sipd_client_timer(struct sipd_txn *tx, struct sipd_timer *t, uint64_t now)
{
	struct sipd_txl *l = tx->txl;
	if (t->kind == TT_END) {
		if (tx->state == TS_CALLING || tx->state == TS_TRYING || tx->state == TS_PROCEEDING)
			fail(tx, SIPD_TXN_TIMEOUT); /* Timer B or F */
		else
			sipd_txn_terminate(tx); /* Timer D, K or M */
		return;
	}
	/* Timer A (doubling) or E (doubling up to T2; T2 once proceeding) */
	if (tx->state != TS_CALLING && tx->state != TS_TRYING && tx->state != TS_PROCEEDING)
		return;
	if (sipd_txn_send(tx, tx->buf, tx->len, true)) {
		fail(tx, SIPD_TXN_TRANSPORT_ERROR);
		return;
	}
	if (tx->kind == TXN_ICT)
		tx->retx_interval *= 2;
	else if (tx->state == TS_PROCEEDING)
		tx->retx_interval = l->t2;
	else
		tx->retx_interval = tx->retx_interval * 2 < l->t2 ? tx->retx_interval * 2 : l->t2;
	sipd_txn_arm(tx, &tx->t_retx, now + tx->retx_interval);
}

void sipd_client_conn_lost(struct sipd_txn *tx);
void sipd_client_conn_lost(struct sipd_txn *tx)
{
	if (tx->state == TS_CALLING || tx->state == TS_TRYING || tx->state == TS_PROCEEDING)
		fail(tx, SIPD_TXN_TRANSPORT_ERROR);
	else
		sipd_txn_terminate(tx);
}
