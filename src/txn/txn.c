/* What the four transaction machines share: the layer, timers, sending and
 * the end of a transaction. */
#include <stdlib.h>
#include <string.h>

#include "txn/txn.h"

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

void sipd_txl_init(struct sipd_txl *l, const struct sipd_txl_ops *ops, void *ctx)
{
	memset(l, 0, sizeof *l);
	sipd_hmap_init(&l->client);
	sipd_hmap_init(&l->server);
	sipd_hmap_init(&l->merge);
	sipd_hmap_init(&l->absorb);
	sipd_hmap_init(&l->absorb_merge);
	l->t1 = 500;
	l->t2 = 4000;
	l->t4 = 5000;
	l->ops = ops;
	l->ctx = ctx;
}

static void txn_free(struct sipd_txn *tx)
{
	if (tx->resp != tx->resp_area)
		free(tx->resp);
	free(tx->cancel_reason);
	if (tx->kind == TXN_ICT)
		free(tx->buf); /* apart from the struct (sipd_txl_request) */
	free(tx);
}

void sipd_txl_free(struct sipd_txl *l)
{
	sipd_timers_free(&l->timers); /* before the timers' owners go */
	sipd_absorbers_free(l);
	struct sipd_txn *tx = l->all;
	while (tx) {
		struct sipd_txn *next = tx->next;
		txn_free(tx);
		tx = next;
	}
	l->all = NULL;
	sipd_hmap_free(&l->client);
	sipd_hmap_free(&l->server);
	sipd_hmap_free(&l->merge);
}

uint64_t sipd_txl_hash(const struct sipd_txl *l, struct sipd_str a, unsigned salt)
{
	return sipd_siphash(l->key, a.p, a.len) ^ ((uint64_t)salt * 0x9e3779b97f4a7c15ULL);
}

void sipd_txn_link(struct sipd_txl *l, struct sipd_txn *tx)
{
	tx->txl = l;
	tx->prev = NULL;
	tx->next = l->all;
	if (l->all)
		l->all->prev = tx;
	l->all = tx;
	sipd_timer_init(&tx->t_retx, TT_RETX);
	sipd_timer_init(&tx->t_end, TT_END);
	if (tx->kind == TXN_ICT || tx->kind == TXN_NICT)
		l->stats->client_txns++;
	else
		l->stats->server_txns++;
}

void sipd_txn_arm(struct sipd_txn *tx, struct sipd_timer *t, uint64_t at)
{
	/* Allocation failure of the heap leaves the timer unarmed; the
	 * transaction then lives until the stack is destroyed, so log it. */
	if (sipd_timer_arm(&tx->txl->timers, t, at) && tx->txl->ops->log)
		tx->txl->ops->log(tx->txl->ctx, 0, "timer-nomem", "");
}

void sipd_txn_state(struct sipd_txn *tx, enum txn_state s)
{
	tx->state = (uint8_t)s;
}

void sipd_txn_terminate(struct sipd_txn *tx)
{
	struct sipd_txl *l = tx->txl;
	if (tx->state == TS_TERMINATED)
		return;
	tx->state = TS_TERMINATED;
	sipd_timer_cancel(&l->timers, &tx->t_retx);
	sipd_timer_cancel(&l->timers, &tx->t_end);
	bool client = tx->kind == TXN_ICT || tx->kind == TXN_NICT;
	sipd_hmap_remove(client ? &l->client : &l->server, &tx->node);
	if (tx->in_merge)
		sipd_hmap_remove(&l->merge, &tx->merge);
	if (tx->prev)
		tx->prev->next = tx->next;
	else
		l->all = tx->next;
	if (tx->next)
		tx->next->prev = tx->prev;
	if (client) {
		l->stats->client_txns--;
		if (tx->cb)
			tx->cb(tx->arg, tx, SIPD_TXN_TERMINATED, NULL);
	} else {
		l->stats->server_txns--;
		if (l->ops->server_done)
			l->ops->server_done(l->ctx, tx, tx->timed_out);
	}
	txn_free(tx);
}

int sipd_txn_send(struct sipd_txn *tx, const char *data, size_t len, bool retransmission)
{
	struct sipd_txl *l = tx->txl;
	if (retransmission)
		l->stats->tx_retransmissions++;
	else
		l->stats->tx_messages++;
	return l->ops->send(l->ctx, &tx->flow, data, len);
}

void sipd_client_timer(struct sipd_txn *tx, struct sipd_timer *t, uint64_t now);
void sipd_server_timer(struct sipd_txn *tx, struct sipd_timer *t, uint64_t now);

uint64_t sipd_txl_advance(struct sipd_txl *l, uint64_t now)
{
	struct sipd_timer *t;
	/* Bounded: each pass either fires a timer or stops; a timer that re-arms
	 * itself does so in the future. */
	while ((t = sipd_timers_pop_due(&l->timers, now))) {
		if (t->kind == TT_USER) {
			struct sipd_stack_timer *u = CONTAINER(t, struct sipd_stack_timer, base);
			u->cb(u->arg, u, now);
			continue;
		}
		if (t->kind == TT_ABSORB) {
			sipd_absorber_timer(l, t);
			continue;
		}
		struct sipd_txn *tx = t->kind == TT_RETX ? CONTAINER(t, struct sipd_txn, t_retx)
		                                         : CONTAINER(t, struct sipd_txn, t_end);
		if (tx->kind == TXN_ICT || tx->kind == TXN_NICT)
			sipd_client_timer(tx, t, now);
		else
			sipd_server_timer(tx, t, now);
	}
	return sipd_timers_next(&l->timers);
}

void sipd_client_conn_lost(struct sipd_txn *tx);

void sipd_txl_conn_lost(struct sipd_txl *l, uint64_t conn, uint64_t now)
{
	(void)now;
	if (!conn)
		return; /* datagrams have no connection to lose */
	/* Collect first: ending one transaction may end or start others. */
	for (;;) {
		struct sipd_txn *hit = NULL;
		for (struct sipd_txn *tx = l->all; tx; tx = tx->next)
			if (tx->flow.conn == conn && tx->state != TS_TERMINATED &&
			    (tx->state != TS_COMPLETED || tx->kind == TXN_IST)) {
				hit = tx;
				break;
			}
		if (!hit)
			return;
		if (hit->kind == TXN_ICT || hit->kind == TXN_NICT)
			sipd_client_conn_lost(hit);
		else
			sipd_txn_terminate(hit);
	}
}
