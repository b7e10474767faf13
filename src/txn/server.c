/* Server transactions: INVITE (§17.2.1, RFC 6026 §7.1) and non-INVITE
 * (§17.2.2), their matching (§17.2.3) and where responses go (§18.2.2). */
#include <stdlib.h>
#include <string.h>

#include "txn/txn.h"

/* The room kept with a server transaction for its responses: a response
 * head is no longer than the request plus 512 bytes (the bound
 * sipd_txl_respond() uses), and 256 more take a to-tag, a reason phrase
 * and the few header lines (Contact, Retry-After, Allow) of a response
 * without body. */
#define RESP_AREA(req_len) (512 + (req_len) + 256)

/* The method a request's transaction was created by: ACK belongs to INVITE. */
static struct sipd_str key_method(const struct sipd_msg *m)
{
	if (m->method == SIPD_METHOD_ACK)
		return (struct sipd_str){"INVITE", 6};
	return m->method_name;
}

static unsigned salt_of(struct sipd_str method)
{
	enum sipd_method m = sipd_method_lookup(method.p, method.len);
	return m == SIPD_METHOD_OTHER ? 0 : m;
}

static bool str_same(struct sipd_str a, struct sipd_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool str_isame(struct sipd_str a, struct sipd_str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if ((a.p[i] | 0x20) != (b.p[i] | 0x20))
			return false;
	return true;
}

/* The key of RFC 2543 peers, whose branch lacks the magic cookie: Call-ID
 * is hashed; the rest is compared (§17.2.3). */
static uint64_t hash_of(const struct sipd_txl *l, const struct sipd_msg *m, struct sipd_str method)
{
	if (sipd_branch_is_rfc3261(m->via.branch))
		return sipd_txl_hash(l, m->via.branch, salt_of(method));
	return sipd_txl_hash(l, m->call_id, salt_of(method) + 100);
}

static bool same_txn(const struct sipd_txn *tx, const struct sipd_msg *m, struct sipd_str method)
{
	const struct sipd_msg *r = tx->req;
	if (!str_same(key_method(r), method))
		return false;
	if (sipd_branch_is_rfc3261(m->via.branch)) {
		/* branch, and sent-by (host and port) of the top Via */
		return str_same(r->via.branch, m->via.branch) && r->via.port == m->via.port &&
		       str_isame(r->via.host, m->via.host);
	}
	/* RFC 2543: Request-URI, From tag, Call-ID, CSeq number, top Via; and
	 * the To tag except for an ACK (which carries the tag of our response). */
	return !sipd_branch_is_rfc3261(r->via.branch) && str_same(r->ruri.raw, m->ruri.raw) &&
	       str_same(r->from.tag, m->from.tag) && str_same(r->call_id, m->call_id) &&
	       r->cseq.seq == m->cseq.seq &&
	       str_same(r->hdrs[r->first[SIPD_HDR_VIA]].value, m->hdrs[m->first[SIPD_HDR_VIA]].value) &&
	       (m->method == SIPD_METHOD_ACK || str_same(r->to.tag, m->to.tag));
}

static struct sipd_txn *find(struct sipd_txl *l, const struct sipd_msg *m, struct sipd_str method)
{
	uint64_t h = hash_of(l, m, method);
	for (struct sipd_hnode *n = sipd_hmap_first(&l->server, h); n; n = sipd_hmap_next(n, h)) {
		struct sipd_txn *tx = (struct sipd_txn *)(void *)n;
		if (same_txn(tx, m, method))
			return tx;
	}
	return NULL;
}

struct sipd_txn *sipd_txl_match_request(struct sipd_txl *l, const struct sipd_msg *req)
{
	return find(l, req, key_method(req));
}

struct sipd_txn *sipd_txl_match_cancel(struct sipd_txl *l, const struct sipd_msg *cancel)
{
	/* §9.2: the transaction the CANCEL would match were its method INVITE */
	return find(l, cancel, (struct sipd_str){"INVITE", 6});
}

/* The key of §8.2.2.2's merged-request check: Call-ID, CSeq number, From tag. */
static uint64_t merge_key(const struct sipd_txl *l, struct sipd_str call_id, uint32_t seq,
                          struct sipd_str from_tag)
{
	return sipd_txl_hash(l, call_id, seq) ^ sipd_txl_hash(l, from_tag, 7);
}


static uint64_t merge_hash(const struct sipd_txl *l, const struct sipd_msg *m)
{
	return merge_key(l, m->call_id, m->cseq.seq, m->from.tag);
}

/* ---------------------------------------------------------------- absorbers
 *
 * RFC 6026 §7.1: an INVITE server transaction stays in Accepted for Timer L
 * (64*T1) after its 2xx, to absorb retransmissions of the INVITE. Once the
 * TU has the ACK (sipd_txn_acked) that is all it has left to do, and the
 * request, the response and the TU's link are dead weight for 32 s: some
 * 3 KB a call, held by every call set up in the last 32 s. The transaction
 * then ends for the TU and hands its keys to an absorber, which matches as
 * the transaction would (§17.2.3: branch, sent-by, method INVITE) and keeps
 * what §8.2.2.2 needs to tell a merged request. Only RFC 3261 branches:
 * the RFC 2543 match needs the whole request, and such a transaction keeps it. */

struct absorber {
	struct sipd_hnode node;  /* in l->absorb, hashed as in l->server */
	struct sipd_hnode merge; /* in l->absorb_merge, hashed as in l->merge */
	struct sipd_timer t_end; /* the rest of Timer L */
	uint32_t cseq;
	uint16_t port; /* of the top Via's sent-by */
	uint16_t branch_len, host_len, call_id_len, from_tag_len;
	char data[]; /* branch, sent-by host, Call-ID, From tag */
};

#define ABSORBER(ptr, member) \
	((struct absorber *)(void *)((char *)(ptr)-offsetof(struct absorber, member)))

static struct sipd_str ab_branch(const struct absorber *a)
{
	return (struct sipd_str){a->data, a->branch_len};
}

static struct sipd_str ab_host(const struct absorber *a)
{
	return (struct sipd_str){a->data + a->branch_len, a->host_len};
}

static struct sipd_str ab_call_id(const struct absorber *a)
{
	return (struct sipd_str){a->data + a->branch_len + a->host_len, a->call_id_len};
}

static struct sipd_str ab_from_tag(const struct absorber *a)
{
	return (struct sipd_str){a->data + a->branch_len + a->host_len + a->call_id_len,
	                         a->from_tag_len};
}

static void absorber_free(struct sipd_txl *l, struct absorber *a)
{
	sipd_hmap_remove(&l->absorb, &a->node);
	if (a->from_tag_len)
		sipd_hmap_remove(&l->absorb_merge, &a->merge);
	free(a);
}

/* Hands an acked IST over to an absorber until `until`. Returns 0, or
 * SIPD_ENOMEM (the transaction then lives on as it is). */
static int absorber_start(struct sipd_txl *l, struct sipd_txn *tx, uint64_t until)
{
	const struct sipd_msg *r = tx->req;
	struct sipd_str parts[4] = {r->via.branch, r->via.host, r->call_id, r->from.tag};
	size_t total = 0;
	for (size_t i = 0; i < 4; i++) {
		if (parts[i].len > UINT16_MAX)
			return SIPD_ENOMEM; /* never with the parser's limits */
		total += parts[i].len;
	}
	struct absorber *a = malloc(sizeof *a + total);
	if (!a)
		return SIPD_ENOMEM;
	memset(a, 0, sizeof *a);
	char *p = a->data;
	for (size_t i = 0; i < 4; i++) {
		if (parts[i].len)
			memcpy(p, parts[i].p, parts[i].len);
		p += parts[i].len;
	}
	a->branch_len = (uint16_t)parts[0].len;
	a->host_len = (uint16_t)parts[1].len;
	a->call_id_len = (uint16_t)parts[2].len;
	a->from_tag_len = (uint16_t)parts[3].len;
	a->port = r->via.port;
	a->cseq = r->cseq.seq;
	a->node.hash = tx->node.hash;
	sipd_timer_init(&a->t_end, TT_ABSORB);
	if (sipd_hmap_insert(&l->absorb, &a->node)) {
		free(a);
		return SIPD_ENOMEM;
	}
	if (a->from_tag_len) {
		a->merge.hash = merge_key(l, ab_call_id(a), a->cseq, ab_from_tag(a));
		if (sipd_hmap_insert(&l->absorb_merge, &a->merge)) {
			sipd_hmap_remove(&l->absorb, &a->node);
			free(a);
			return SIPD_ENOMEM;
		}
	}
	if (sipd_timer_arm(&l->timers, &a->t_end, until)) {
		absorber_free(l, a);
		return SIPD_ENOMEM;
	}
	return 0;
}

static struct absorber *absorber_find(struct sipd_txl *l, const struct sipd_msg *m)
{
	if (!l->absorb.count || !sipd_branch_is_rfc3261(m->via.branch))
		return NULL;
	struct sipd_str invite = {"INVITE", 6};
	uint64_t h = hash_of(l, m, invite);
	for (struct sipd_hnode *n = sipd_hmap_first(&l->absorb, h); n; n = sipd_hmap_next(n, h)) {
		struct absorber *a = ABSORBER(n, node);
		if (str_same(ab_branch(a), m->via.branch) && a->port == m->via.port &&
		    str_isame(ab_host(a), m->via.host))
			return a;
	}
	return NULL;
}

bool sipd_txl_absorbs(struct sipd_txl *l, const struct sipd_msg *req)
{
	if (req->method != SIPD_METHOD_INVITE || !absorber_find(l, req))
		return false;
	l->stats->retransmissions_absorbed++;
	return true;
}

bool sipd_txl_cancel_absorbed(struct sipd_txl *l, const struct sipd_msg *cancel)
{
	return absorber_find(l, cancel) != NULL;
}

void sipd_absorber_timer(struct sipd_txl *l, struct sipd_timer *t)
{
	absorber_free(l, ABSORBER(t, t_end));
}

void sipd_absorbers_free(struct sipd_txl *l)
{
	for (size_t b = 0; b < l->absorb.nbuckets; b++) {
		struct sipd_hnode *n = l->absorb.buckets[b];
		while (n) {
			struct sipd_hnode *next = n->next;
			free(ABSORBER(n, node));
			n = next;
		}
	}
	sipd_hmap_free(&l->absorb);
	sipd_hmap_free(&l->absorb_merge);
}

bool sipd_txl_match_merged(struct sipd_txl *l, const struct sipd_msg *req)
{
	if (req->to.tag.len || !req->from.tag.len)
		return false;
	uint64_t h = merge_hash(l, req);
	for (struct sipd_hnode *n = sipd_hmap_first(&l->merge, h); n; n = sipd_hmap_next(n, h)) {
		struct sipd_txn *tx = (struct sipd_txn *)(void *)((char *)n - offsetof(struct sipd_txn, merge));
		const struct sipd_msg *r = tx->req;
		if (str_same(r->call_id, req->call_id) && str_same(r->from.tag, req->from.tag) &&
		    r->cseq.seq == req->cseq.seq && str_same(r->cseq.method_name, req->cseq.method_name) &&
		    !same_txn(tx, req, key_method(req)))
			return true;
	}
	if (!l->absorb_merge.count || !str_same(req->cseq.method_name, (struct sipd_str){"INVITE", 6}))
		return false;
	for (struct sipd_hnode *n = sipd_hmap_first(&l->absorb_merge, h); n;
	     n = sipd_hmap_next(n, h)) {
		struct absorber *a = ABSORBER(n, merge);
		/* a request that matched the absorber was absorbed before it got here */
		if (str_same(ab_call_id(a), req->call_id) && str_same(ab_from_tag(a), req->from.tag) &&
		    a->cseq == req->cseq.seq)
			return true;
	}
	return false;
}

void sipd_txl_response_flow(const struct sipd_msg *req, const struct sipd_flow *from,
                            struct sipd_flow *out)
{
	*out = *from;
	if (from->transport != SIPD_TP_UDP)
		return; /* §18.2.2: back over the connection the request came on */
	/* Unreliable: to the source address (what `received` would say), and to
	 * the source port when rport asks for it (RFC 3581 §4), else to the
	 * sent-by port (default 5060). maddr (multicast) is not supported. */
	if (!req->via.rport)
		out->remote.port = req->via.port ? req->via.port : 5060;
}

int sipd_txl_server(struct sipd_txl *l, const struct sipd_msg *req, const struct sipd_flow *from,
                    uint64_t now, struct sipd_txn **out)
{
	(void)now;
	*out = NULL;
	size_t nh = req->nhdrs ? req->nhdrs : 1;
	size_t area = RESP_AREA(req->len);
	/* only the struct is cleared: the slots, the copy and the response area
	 * are written before they are read (clearing some 3 KB per transaction
	 * was 7 % of a call's instructions) */
	struct sipd_txn *tx = malloc(sizeof *tx + sizeof *tx->req + nh * sizeof(struct sipd_hdr) +
	                             req->len + area);
	if (!tx)
		return SIPD_ENOMEM;
	memset(tx, 0, sizeof *tx);
	tx->req = (struct sipd_msg *)(void *)(tx + 1);
	struct sipd_hdr *slots = (struct sipd_hdr *)(void *)(tx->req + 1);
	tx->buf = (char *)(slots + nh);
	memcpy(tx->buf, req->buf, req->len);
	tx->len = req->len;
	tx->resp_area = tx->buf + req->len;
	tx->resp_area_cap = area;
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_message = UINT32_MAX >> 1,
	                                .max_line = UINT32_MAX >> 1};
	if (sipd_msg_parse(tx->req, slots, nh, tx->buf, tx->len, SIPD_FRAME_DATAGRAM,
	                   &lim, NULL) <= 0) {
		free(tx);
		return SIPD_EINVAL; /* cannot happen: the same bytes parsed before */
	}
	tx->kind = req->method == SIPD_METHOD_INVITE ? TXN_IST : TXN_NIST;
	tx->method = req->method;
	tx->method_name = tx->req->method_name;
	tx->branch = tx->req->via.branch;
	tx->reliable = from->transport != SIPD_TP_UDP;
	sipd_txl_response_flow(req, from, &tx->flow);
	tx->node.hash = hash_of(l, tx->req, key_method(tx->req));
	if (sipd_hmap_insert(&l->server, &tx->node)) {
		free(tx);
		return SIPD_ENOMEM;
	}
	if (!tx->req->to.tag.len && tx->req->from.tag.len) {
		tx->merge.hash = merge_hash(l, tx->req);
		tx->in_merge = sipd_hmap_insert(&l->merge, &tx->merge) == 0;
	}
	sipd_txn_link(l, tx);
	sipd_txn_state(tx, tx->kind == TXN_IST ? TS_PROCEEDING : TS_TRYING);
	*out = tx;
	return 0;
}

/* §17.2.4: a transport error ends the transaction and is reported to the TU
 * (server_done). The end is deferred to the next sipd_stack_advance() so that
 * no transaction is freed under a caller's feet. */
static void send_failed(struct sipd_txn *tx)
{
	tx->send_failed = true;
	tx->ack_wait = false;
	sipd_timer_cancel(&tx->txl->timers, &tx->t_retx);
	sipd_txn_arm(tx, &tx->t_end, 0);
}

static void resend(struct sipd_txn *tx)
{
	if (tx->resp && sipd_txn_send(tx, tx->resp, tx->resp_len, true))
		send_failed(tx);
}

int sipd_txl_on_request(struct sipd_txl *l, struct sipd_txn *tx, const struct sipd_msg *req,
                        uint64_t now)
{
	bool ack = req->method == SIPD_METHOD_ACK;
	if (tx->kind == TXN_IST) {
		switch (tx->state) {
		case TS_PROCEEDING:
			if (!ack)
				resend(tx); /* the last provisional, §17.2.1 */
			break;
		case TS_ACCEPTED:
			/* RFC 6026 §7.1: INVITE retransmissions are absorbed; an
			 * ACK goes up to the TU. */
			if (ack)
				return 1;
			break;
		case TS_COMPLETED:
			if (!ack) {
				resend(tx);
				break;
			}
			sipd_txn_state(tx, TS_CONFIRMED);
			sipd_timer_cancel(&l->timers, &tx->t_retx);
			sipd_txn_arm(tx, &tx->t_end, now + (tx->reliable ? 0 : l->t4)); /* Timer I */
			return 0;
		default:
			break;
		}
		l->stats->retransmissions_absorbed++;
		return 0;
	}
	if (ack)
		return 0; /* an ACK never belongs to a non-INVITE transaction */
	if (tx->state == TS_PROCEEDING || tx->state == TS_COMPLETED)
		resend(tx);
	l->stats->retransmissions_absorbed++;
	return 0;
}

int sipd_txl_respond(struct sipd_txn *tx, const struct sipd_response *r, uint64_t now)
{
	if (!tx || tx->kind == TXN_ICT || tx->kind == TXN_NICT || !r || r->code < 100 || r->code > 699)
		return SIPD_EINVAL;
	struct sipd_txl *l = tx->txl;
	bool prov = r->code < 200, ok = r->code < 300 && !prov;
	switch (tx->state) {
	case TS_TRYING:
	case TS_PROCEEDING:
		break;
	case TS_ACCEPTED:
		if (ok)
			break; /* the TU retransmits its 2xx (RFC 6026 §7.1) */
		return SIPD_ESTATE;
	default:
		return SIPD_ESTATE;
	}
	size_t cap = 512 + tx->len + r->headers.len + r->body.len + r->to_tag.len +
	             (r->reason ? strlen(r->reason) : 0) +
	             (r->content_type ? strlen(r->content_type) : 0);
	/* A response that fits the area kept with the transaction needs no
	 * allocation: the final responses a TU sends when something fails (a
	 * 500 without body) can always go, so no transaction waits forever
	 * for want of memory. A larger bound is built on the stack first and
	 * still kept in the area when it turns out to fit (the 2xx of an
	 * INVITE with its SDP usually does), else in an allocation of its
	 * exact size; a failure then loses nothing. */
	char tmp[4096];
	bool in_area = cap <= tx->resp_area_cap;
	bool on_stack = !in_area && cap <= sizeof tmp;
	char *buf = in_area ? tx->resp_area : on_stack ? tmp : malloc(cap);
	if (!buf)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, buf, cap);
	/* the source: the response's flow goes to its address, and to its
	 * port whenever rport asks for it (sipd_txl_response_flow) */
	char ip[64];
	int iplen = sipd_addr_format(&tx->flow.remote, ip, sizeof ip);
	struct sipd_via_source src = {{ip, iplen > 0 ? (size_t)iplen : 0}, tx->flow.remote.port};
	sipd_build_response_head(&b, tx->req, r->code, r->reason, r->to_tag, iplen > 0 ? &src : NULL);
	sipd_buf_putstr(&b, r->headers);
	sipd_build_body(&b, r->content_type, r->body);
	long n = sipd_buf_result(&b);
	if (n < 0) {
		if (!in_area && !on_stack) {
			free(buf);
		} else if (in_area && tx->resp == tx->resp_area) {
			tx->resp = NULL; /* overwritten */
			tx->resp_len = 0;
		}
		return SIPD_EINVAL;
	}
	if (on_stack) {
		bool fits = (size_t)n <= tx->resp_area_cap;
		char *keep = fits ? tx->resp_area : malloc((size_t)n);
		if (!keep)
			return SIPD_ENOMEM;
		memcpy(keep, tmp, (size_t)n);
		buf = keep;
	}
	if (tx->resp != tx->resp_area && tx->resp != buf)
		free(tx->resp);
	tx->resp = buf;
	tx->resp_len = (size_t)n;
	tx->resp_code = r->code;
	l->stats->responses_by_class[r->code / 100]++;
	bool first_final = !prov && tx->state != TS_ACCEPTED;
	if (tx->kind == TXN_IST) {
		if (prov) {
			sipd_txn_state(tx, TS_PROCEEDING);
		} else if (ok) {
			if (first_final) {
				sipd_txn_state(tx, TS_ACCEPTED);
				sipd_txn_arm(tx, &tx->t_end, now + 64ull * l->t1); /* Timer L */
				if (r->size >= offsetof(struct sipd_response, retransmit_2xx) +
				                   sizeof r->retransmit_2xx &&
				    r->retransmit_2xx) {
					/* §13.3.1.4, on the TU's behalf */
					tx->ack_wait = true;
					tx->retx_interval = l->t1;
					sipd_txn_arm(tx, &tx->t_retx, now + l->t1);
				}
			}
		} else {
			sipd_txn_state(tx, TS_COMPLETED);
			tx->retx_interval = l->t1;
			if (!tx->reliable)
				sipd_txn_arm(tx, &tx->t_retx, now + l->t1); /* Timer G */
			sipd_txn_arm(tx, &tx->t_end, now + 64ull * l->t1); /* Timer H */
		}
	} else if (prov) {
		sipd_txn_state(tx, TS_PROCEEDING);
	} else {
		sipd_txn_state(tx, TS_COMPLETED);
		sipd_txn_arm(tx, &tx->t_end, now + (tx->reliable ? 0 : 64ull * l->t1)); /* Timer J */
	}
	if (sipd_txn_send(tx, tx->resp, tx->resp_len, false))
		send_failed(tx);
	return 0;
}

void sipd_server_timer(struct sipd_txn *tx, struct sipd_timer *t, uint64_t now);
void sipd_server_timer(struct sipd_txn *tx, struct sipd_timer *t, uint64_t now)
{
	struct sipd_txl *l = tx->txl;
	if (t->kind == TT_RETX) {
		/* Timer G: retransmit the final response, doubling up to T2; in
		 * Accepted, the TU's 2xx the same way until its ACK (§13.3.1.4) */
		if (tx->state != TS_COMPLETED && !(tx->state == TS_ACCEPTED && tx->ack_wait))
			return;
		if (sipd_txn_send(tx, tx->resp, tx->resp_len, true)) {
			send_failed(tx);
			return;
		}
		tx->retx_interval = tx->retx_interval * 2 < l->t2 ? tx->retx_interval * 2 : l->t2;
		sipd_txn_arm(tx, &tx->t_retx, now + tx->retx_interval);
		return;
	}
	/* acked in Accepted: an absorber takes over for the rest of Timer L */
	uint64_t until = tx->absorb_until;
	tx->absorb_until = 0;
	if (until > now && absorber_start(l, tx, until)) {
		sipd_txn_arm(tx, &tx->t_end, until); /* no memory: live on as we are */
		return;
	}
	/* Timer H (no ACK came), or L, I, J: the end; L with our 2xx still
	 * unacknowledged is a timeout for the TU too (§13.3.1.4) */
	if (tx->kind == TXN_IST && !tx->send_failed && (tx->state == TS_COMPLETED || tx->ack_wait))
		tx->timed_out = true;
	sipd_txn_terminate(tx);
}

void sipd_txn_acked(struct sipd_txn *tx)
{
	if (!tx || tx->kind != TXN_IST || tx->state != TS_ACCEPTED || tx->absorb_until)
		return;
	tx->ack_wait = false;
	sipd_timer_cancel(&tx->txl->timers, &tx->t_retx);
	/* From here the transaction only absorbs (see absorber above): it ends
	 * for the TU at the next advance, not under the caller's feet. */
	if (sipd_branch_is_rfc3261(tx->branch) && sipd_timer_armed(&tx->t_end) && tx->t_end.at) {
		tx->absorb_until = tx->t_end.at;
		sipd_txn_arm(tx, &tx->t_end, 0);
	}
}
