/* The stack: configuration, the entry points of the host (receive, advance,
 * deadlines) and the way to the transaction layer. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

static int ops_send(void *ctx, struct sipd_flow *flow, const char *data, size_t len)
{
	struct sipd_stack *st = ctx;
	if (st->closing)
		return SIPD_ESTATE;
	return st->cb.send(st->cfg.user, flow, data, len);
}

static void ops_server_done(void *ctx, struct sipd_txn *tx, bool timeout)
{
	struct sipd_stack *st = ctx;
	if (st->cb.server_done)
		st->cb.server_done(st->cfg.user, tx, timeout);
}

static void ops_random(void *ctx, void *buf, size_t len)
{
	struct sipd_stack *st = ctx;
	st->cfg.random(st->cfg.user, buf, len);
}

void sipd_core_log(struct sipd_stack *st, int level, const char *event, const char *detail)
{
	if (st->cb.log)
		st->cb.log(st->cfg.user, level, event, detail ? detail : "");
}

static void ops_log(void *ctx, int level, const char *event, const char *detail)
{
	sipd_core_log(ctx, level, event, detail);
}

static const struct sipd_txl_ops txl_ops = {
	.send = ops_send,
	.server_done = ops_server_done,
	.log = ops_log,
	.random = ops_random,
};

/* Copies the caller's strings into one block the stack owns. */
static char *keep(char **cursor, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *out = *cursor;
	memcpy(out, s, n);
	*cursor += n;
	return out;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Bit mask of the methods named in a token list such as "INVITE, BYE". */
static uint32_t method_mask(const char *list)
{
	uint32_t mask = 0;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		enum sipd_method m = sipd_method_lookup(s, (size_t)(p - s));
		if (m != SIPD_METHOD_OTHER)
			mask |= 1u << m;
	}
	return mask;
}

/* Is the top Via's sent-by one of those we insert (client.c, put_sent_by:
 * the advertised host or the address, and the port)? */
static bool our_sent_by(const struct sipd_stack *st, const struct sipd_via *v)
{
	struct sipd_str host = v->host;
	if (host.len > 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
		host = (struct sipd_str){host.p + 1, host.len - 2};
	for (size_t i = 0; i < st->cfg.nlocals; i++) {
		const struct sipd_local *l = &st->locals[i];
		uint16_t port = v->port ? v->port : sipd_default_port(l->transport);
		if (port != l->addr.port)
			continue;
		char ip[64];
		int n = sipd_addr_format(&l->addr, ip, sizeof ip);
		struct sipd_str mine = l->host ? (struct sipd_str){l->host, strlen(l->host)}
		                               : (struct sipd_str){ip, n > 0 ? (size_t)n : 0};
		if (host.len && mine.len == host.len && strncasecmp(mine.p, host.p, host.len) == 0)
			return true;
	}
	return false;
}

struct sipd_stack *sipd_stack_create(const struct sipd_stack_config *cfg)
{
	if (!cfg || cfg->size < sizeof *cfg || !cfg->cb || !cfg->cb->send || !cfg->random ||
	    !cfg->locals || !cfg->nlocals || cfg->nlocals > UINT16_MAX)
		return NULL;
	struct sipd_stack *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->cfg = *cfg;
	/* Callbacks: copy what the caller's struct has, so that it can grow. */
	size_t cbsize = cfg->cb->size < sizeof st->cb ? cfg->cb->size : sizeof st->cb;
	memcpy(&st->cb, cfg->cb, cbsize);
	st->cb.size = sizeof st->cb;
	st->cfg.cb = &st->cb;
	if (!st->cfg.allow)
		st->cfg.allow = "INVITE, ACK, BYE, CANCEL, OPTIONS";
	if (!st->cfg.accept)
		st->cfg.accept = "application/sdp";
	if (!st->cfg.supported)
		st->cfg.supported = "";
	if (!st->cfg.max_transactions)
		st->cfg.max_transactions = 100000;

	size_t hostbytes = 0;
	for (size_t i = 0; i < cfg->nlocals; i++)
		hostbytes += slen(cfg->locals[i].host);
	size_t need = slen(st->cfg.allow) + slen(st->cfg.accept) + slen(st->cfg.supported) +
	              slen(st->cfg.user_agent) + hostbytes;
	st->strings = malloc(need ? need : 1);
	st->locals = calloc(cfg->nlocals, sizeof *st->locals);
	if (!st->strings || !st->locals) {
		free(st->strings);
		free(st->locals);
		free(st);
		return NULL;
	}
	char *cur = st->strings;
	st->cfg.allow = keep(&cur, st->cfg.allow);
	st->cfg.accept = keep(&cur, st->cfg.accept);
	st->cfg.supported = keep(&cur, st->cfg.supported);
	st->cfg.user_agent = keep(&cur, st->cfg.user_agent);
	for (size_t i = 0; i < cfg->nlocals; i++) {
		st->locals[i] = cfg->locals[i];
		st->locals[i].host = keep(&cur, cfg->locals[i].host);
	}
	st->cfg.locals = st->locals;
	st->allow_mask = method_mask(st->cfg.allow);

	sipd_txl_init(&st->txl, &txl_ops, st);
	if (cfg->t1)
		st->txl.t1 = cfg->t1;
	if (cfg->t2)
		st->txl.t2 = cfg->t2;
	if (cfg->t4)
		st->txl.t4 = cfg->t4;
	st->txl.limits = cfg->limits;
	st->txl.locals = st->locals;
	st->txl.nlocals = cfg->nlocals;
	st->txl.stats = &st->stats;
	cfg->random(cfg->user, st->txl.key, sizeof st->txl.key);
	return st;
}

void sipd_stack_destroy(struct sipd_stack *st)
{
	if (!st)
		return;
	/* Every transaction ends as if its time had come, so that what its owner
	 * hangs from it (a session, an INVITE in progress) is released; the
	 * callbacks run with sending and new requests refused. Bounded: each
	 * pass ends one transaction and none can start. */
	st->closing = true;
	while (st->txl.all)
		sipd_txn_terminate(st->txl.all);
	sipd_txl_free(&st->txl);
	free(st->locals);
	free(st->strings);
	free(st);
}

void sipd_stack_random_token(struct sipd_stack *st, char *out, size_t len)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t raw[64];
	while (len) {
		size_t n = len < sizeof raw ? len : sizeof raw;
		st->cfg.random(st->cfg.user, raw, n);
		for (size_t i = 0; i < n; i++)
			out[i] = alphabet[raw[i] % 36];
		out += n;
		len -= n;
	}
}

void sipd_stack_random(struct sipd_stack *st, void *buf, size_t len)
{
	if (len)
		st->cfg.random(st->cfg.user, buf, len);
}

const char *sipd_stack_allow(const struct sipd_stack *st)
{
	return st->cfg.allow;
}

uint32_t sipd_stack_t1(const struct sipd_stack *st)
{
	return st->txl.t1;
}

static bool only_crlf(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (data[i] != '\r' && data[i] != '\n')
			return false;
	return true;
}

int sipd_stack_recv(struct sipd_stack *st, const struct sipd_flow *from, const char *data,
                    size_t len, uint64_t now)
{
	st->now = now;
	st->stats.rx_messages++;
	if (only_crlf(data, len))
		return 0; /* keep-alive (RFC 5626 §3.5.1) */
	struct sipd_hdr slots[SIPD_CORE_SLOTS];
	struct sipd_msg m;
	struct sipd_parse_error err = {0};
	enum sipd_framing fr = from->transport == SIPD_TP_UDP ? SIPD_FRAME_DATAGRAM : SIPD_FRAME_STREAM;
	long n = sipd_msg_parse(&m, slots, SIPD_CORE_SLOTS, data, len, fr, &st->cfg.limits, &err);
	if (n < 0) {
		/* Without the headers a response needs, all we can do is drop
		 * and count (§18.3, RFC 4475 §3.1.2). */
		st->stats.rx_bad++;
		st->stats.rx_dropped++;
		sipd_core_log(st, 2, "drop-unparsable", err.what);
		return SIPD_EPARSE;
	}
	if (sipd_msg_check(&m, &err)) {
		st->stats.rx_bad++;
		if (m.is_request && m.method != SIPD_METHOD_ACK) {
			/* 400 with the reason in the phrase (§21.4.1), or what
			 * the fault calls for (501, 505...). */
			sipd_core_stateless(st, &m, from, err.status ? err.status : 400,
			                    err.status == 400 || !err.status ? err.what : NULL, NULL);
		} else {
			st->stats.rx_dropped++;
		}
		sipd_core_log(st, 2, "bad-message", err.what);
		return SIPD_EPARSE;
	}
	if (!m.is_request) {
		if (sipd_txl_on_response(&st->txl, &m, now) == 0)
			return 0;
		/* §17.1.3 found no transaction: a 2xx to INVITE still matters to
		 * the dialog layer (RFC 6026 §8.4), if it is for us (§18.1.2: a
		 * response whose sent-by is not one we insert MUST be discarded);
		 * anything else is dropped. */
		if (m.cseq.method == SIPD_METHOD_INVITE && m.status >= 200 && m.status < 300 &&
		    st->cb.stray_2xx && our_sent_by(st, &m.via)) {
			st->cb.stray_2xx(st->cfg.user, &m, from);
			return 0;
		}
		st->stats.rx_dropped++;
		return 0;
	}
	sipd_core_request(st, &m, from, now);
	return 0;
}

uint64_t sipd_stack_advance(struct sipd_stack *st, uint64_t now)
{
	st->now = now;
	return sipd_txl_advance(&st->txl, now);
}

uint64_t sipd_stack_next_deadline(const struct sipd_stack *st)
{
	return sipd_timers_next(&st->txl.timers);
}

void sipd_stack_conn_lost(struct sipd_stack *st, uint64_t conn, uint64_t now)
{
	st->now = now;
	sipd_txl_conn_lost(&st->txl, conn, now);
}

void sipd_stack_timer_init(struct sipd_stack_timer *t,
                           void (*cb)(void *arg, struct sipd_stack_timer *t, uint64_t now),
                           void *arg)
{
	sipd_timer_init(&t->base, TT_USER);
	t->cb = cb;
	t->arg = arg;
}

int sipd_stack_timer_arm(struct sipd_stack *st, struct sipd_stack_timer *t, uint64_t at)
{
	return sipd_timer_arm(&st->txl.timers, &t->base, at);
}

void sipd_stack_timer_cancel(struct sipd_stack *st, struct sipd_stack_timer *t)
{
	sipd_timer_cancel(&st->txl.timers, &t->base);
}

bool sipd_stack_timer_armed(const struct sipd_stack_timer *t)
{
	return sipd_timer_armed(&t->base);
}

uint64_t sipd_stack_now(const struct sipd_stack *st)
{
	return st->now;
}

void sipd_stack_stats(const struct sipd_stack *st, struct sipd_stack_stats *out)
{
	*out = st->stats;
}

int sipd_stack_request(struct sipd_stack *st, const struct sipd_request *req, sipd_txn_cb cb,
                       void *arg, uint64_t now, struct sipd_txn **out)
{
	st->now = now;
	if (st->closing)
		return SIPD_ESTATE;
	return sipd_txl_request(&st->txl, req, cb, arg, now, out);
}

int sipd_stack_send_ack(struct sipd_stack *st, const struct sipd_request *ack, uint64_t now)
{
	st->now = now;
	if (st->closing)
		return SIPD_ESTATE;
	return sipd_txl_send_ack(&st->txl, ack);
}

int sipd_txn_respond(struct sipd_txn *tx, const struct sipd_response *resp, uint64_t now)
{
	return sipd_txl_respond(tx, resp, now);
}

const struct sipd_msg *sipd_txn_request(const struct sipd_txn *tx)
{
	return (tx->kind == TXN_IST || tx->kind == TXN_NIST) ? tx->req : NULL;
}

void sipd_txn_set_user(struct sipd_txn *tx, void *user)
{
	tx->user = user;
}

void *sipd_txn_user(const struct sipd_txn *tx)
{
	return tx->user;
}

bool sipd_txn_is_client(const struct sipd_txn *tx)
{
	return tx->kind == TXN_ICT || tx->kind == TXN_NICT;
}

const char *sipd_txn_state_name(const struct sipd_txn *tx)
{
	static const char *const names[] = {
		[TS_CALLING] = "Calling",     [TS_TRYING] = "Trying",
		[TS_PROCEEDING] = "Proceeding", [TS_ACCEPTED] = "Accepted",
		[TS_COMPLETED] = "Completed", [TS_CONFIRMED] = "Confirmed",
		[TS_TERMINATED] = "Terminated",
	};
	return names[tx->state];
}

int sipd_stack_local_for(const struct sipd_stack *st, uint8_t transport, uint8_t family)
{
	for (size_t i = 0; i < st->cfg.nlocals; i++)
		if (st->locals[i].transport == transport && st->locals[i].addr.family == family)
			return (int)i;
	return -1;
}

struct sipd_flow sipd_stack_dialog_flow(const struct sipd_stack *st, struct sipd_str next_hop,
                                        bool secure, const struct sipd_flow *peer)
{
	struct sipd_flow f = *peer;
	struct sipd_uri u;
	struct sipd_uri_hop h;
	bool ok = !st->cfg.dialog_to_source && next_hop.len &&
	          sipd_uri_parse(&u, next_hop.p, next_hop.len, NULL) == 0 &&
	          sipd_uri_hop(&u, &h) == 0 && h.numeric;
	if (ok && secure && h.addr_transport != SIPD_TP_TLS) {
		/* §8.1.2: a SIPS Request-URI: the route as if it were SIPS */
		h.addr_transport = SIPD_TP_TLS;
		if (!h.port)
			h.addr.port = sipd_default_port(SIPD_TP_TLS);
	}
	if (ok && (h.addr_transport != peer->transport || !sipd_addr_equal(&h.addr, &peer->remote))) {
		/* from the peer's listener when it fits, else the first that does */
		int i = peer->local;
		if ((size_t)i >= st->cfg.nlocals || st->locals[i].transport != h.addr_transport ||
		    st->locals[i].addr.family != h.addr.family)
			i = sipd_stack_local_for(st, h.addr_transport, h.addr.family);
		if (i >= 0)
			f = (struct sipd_flow){.transport = h.addr_transport,
			                       .local = (uint16_t)i,
			                       .remote = h.addr};
	}
	if (f.transport == SIPD_TP_UDP)
		f.conn = 0;
	return f;
}
