#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t sim_rand(struct sim *sim)
{
	/* xorshift64*: deterministic from the seed */
	uint64_t x = sim->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sim->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void sim_random(void *user, void *buf, size_t len)
{
	struct sim_node *n = user;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(sim_rand(n->sim) >> 32);
}

static int node_of(const struct sim *sim, const struct sipd_addr *a)
{
	for (int i = 0; i < sim->nnodes; i++)
		if (sim->nodes[i].locals[0].addr.port == a->port &&
		    memcmp(sim->nodes[i].locals[0].addr.ip, a->ip, 4) == 0)
			return i;
	return -1;
}

static void enqueue(struct sim *sim, struct sim_pkt *p)
{
	if (sim->qlen == sim->qcap) {
		sim->qcap = sim->qcap ? sim->qcap * 2 : 64;
		sim->queue = realloc(sim->queue, sim->qcap * sizeof *sim->queue);
		if (!sim->queue)
			abort();
	}
	sim->queue[sim->qlen++] = *p;
}

static int sim_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	struct sim_node *n = user;
	struct sim *sim = n->sim;
	int to = node_of(sim, &flow->remote);
	struct sim_sent *rec = sim->nlog < SIM_MAX_LOG ? &sim->log[sim->nlog++] : NULL;
	bool dropped = to < 0;
	const struct sim_link *link = to >= 0 ? &sim->links[n->index][to] : NULL;
	/* Streams are reliable: loss and duplication apply to datagrams. */
	bool dgram = flow->transport == SIPD_TP_UDP;
	if (link && (link->cut || (dgram && link->loss_pct && sim_rand(sim) % 100 < link->loss_pct)))
		dropped = true;
	if (rec) {
		rec->at = sim->now;
		rec->from = n->index;
		rec->to = to;
		rec->dropped = dropped;
		rec->transport = flow->transport;
		size_t l = 0;
		while (l < len && l < sizeof rec->first_line - 1 && data[l] != '\r' && data[l] != '\n')
			l++;
		memcpy(rec->first_line, data, l);
		rec->first_line[l] = 0;
	}
	size_t keep = len < sizeof sim->last[0] - 1 ? len : sizeof sim->last[0] - 1;
	memcpy(sim->last[n->index], data, keep);
	sim->last[n->index][keep] = 0;
	if (sim->trace)
		fprintf(stderr, "[%6llu] %d -> %d %s%.*s\n", (unsigned long long)sim->now, n->index, to,
		        dropped ? "(lost) " : "", (int)(rec ? strlen(rec->first_line) : 0),
		        rec ? rec->first_line : "");
	if (dropped)
		return 0;
	int copies = dgram && link->dup_pct && sim_rand(sim) % 100 < link->dup_pct ? 2 : 1;
	for (int c = 0; c < copies; c++) {
		struct sim_pkt p = {0};
		p.at = sim->now + link->delay_ms +
		       (link->jitter_ms ? sim_rand(sim) % (link->jitter_ms + 1) : 0);
		p.seq = sim->seq++;
		p.from = n->index;
		p.to = to;
		p.flow.transport = flow->transport;
		p.flow.local = flow->transport == SIPD_TP_UDP ? 0 : 1;
		p.flow.conn = flow->transport == SIPD_TP_UDP ? 0 : (uint64_t)(n->index + 1) * 100 + (uint64_t)to + 1;
		p.flow.remote = n->locals[0].addr;
		p.len = len;
		p.data = malloc(len ? len : 1);
		if (!p.data)
			abort();
		memcpy(p.data, data, len);
		enqueue(sim, &p);
	}
	return 0;
}

static int cb_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	(void)from;
	struct sim_node *n = user;
	return n->app.request ? n->app.request(n->sim, n->index, tx, req) : -1;
}

static void cb_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	struct sim_node *n = user;
	if (n->app.cancel)
		n->app.cancel(n->sim, n->index, inv, cancel);
}

static void cb_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct sim_node *n = user;
	if (n->app.server_done)
		n->app.server_done(n->sim, n->index, tx, timeout);
}

static void cb_stray(void *user, const struct sipd_msg *resp, const struct sipd_flow *from)
{
	(void)from;
	struct sim_node *n = user;
	if (n->app.stray_2xx)
		n->app.stray_2xx(n->sim, n->index, resp);
}

static const struct sipd_stack_callbacks sim_callbacks = {
	.size = sizeof sim_callbacks,
	.send = sim_send,
	.request = cb_request,
	.cancel = cb_cancel,
	.stray_2xx = cb_stray,
	.server_done = cb_server_done,
};

void sim_init(struct sim *sim, uint64_t seed)
{
	memset(sim, 0, sizeof *sim);
	sim->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	sim->now = 1000; /* not zero: a zero time hides bugs */
}

int sim_add_node(struct sim *sim, const struct sim_app *app,
                 void (*cfg_tweak)(struct sipd_stack_config *cfg))
{
	if (sim->nnodes == SIM_MAX_NODES)
		return -1;
	int i = sim->nnodes++;
	struct sim_node *n = &sim->nodes[i];
	memset(n, 0, sizeof *n);
	n->sim = sim;
	n->index = i;
	if (app)
		n->app = *app;
	for (int k = 0; k < 2; k++) {
		n->locals[k].transport = k == 0 ? SIPD_TP_UDP : SIPD_TP_TCP;
		n->locals[k].addr.family = 4;
		n->locals[k].addr.port = 5060;
		n->locals[k].addr.ip[0] = 10;
		n->locals[k].addr.ip[3] = (uint8_t)(i + 1);
	}
	struct sipd_stack_config cfg = {
		.size = sizeof cfg,
		.t1 = sim->t1,
		.t2 = sim->t2,
		.t4 = sim->t4,
		.locals = n->locals,
		.nlocals = 2,
		.random = sim_random,
		.cb = &sim_callbacks,
		.user = n,
	};
	if (cfg_tweak)
		cfg_tweak(&cfg);
	n->st = sipd_stack_create(&cfg);
	return n->st ? i : -1;
}

void sim_free(struct sim *sim)
{
	for (int i = 0; i < sim->nnodes; i++)
		sipd_stack_destroy(sim->nodes[i].st);
	for (size_t i = 0; i < sim->qlen; i++)
		free(sim->queue[i].data);
	free(sim->queue);
	sim->queue = NULL;
	sim->qlen = sim->qcap = 0;
}

struct sipd_flow sim_flow(const struct sim *sim, int a, int b, uint8_t transport)
{
	struct sipd_flow f = {0};
	f.transport = transport;
	f.local = transport == SIPD_TP_UDP ? 0 : 1;
	f.conn = transport == SIPD_TP_UDP ? 0 : (uint64_t)(a + 1) * 100 + (uint64_t)b + 1;
	f.remote = sim->nodes[b].locals[0].addr;
	return f;
}

void sim_inject(struct sim *sim, int from, int to, uint8_t transport, const char *data)
{
	struct sipd_flow f = sim_flow(sim, to, from, transport);
	f.remote = sim->nodes[from].locals[0].addr;
	sipd_stack_recv(sim->nodes[to].st, &f, data, strlen(data), sim->now);
}

/* The earliest queued packet, or -1. */
static long next_pkt(const struct sim *sim)
{
	long best = -1;
	for (size_t i = 0; i < sim->qlen; i++)
		if (best < 0 || sim->queue[i].at < sim->queue[best].at ||
		    (sim->queue[i].at == sim->queue[best].at && sim->queue[i].seq < sim->queue[best].seq))
			best = (long)i;
	return best;
}

void sim_run(struct sim *sim, uint64_t until)
{
	/* Bounded: every step moves time forward or consumes a packet, and
	 * stacks only arm timers in the future. */
	for (unsigned steps = 0; steps < 10000000; steps++) {
		uint64_t t = UINT64_MAX;
		long p = next_pkt(sim);
		if (p >= 0)
			t = sim->queue[p].at;
		for (int i = 0; i < sim->nnodes; i++) {
			uint64_t d = sipd_stack_next_deadline(sim->nodes[i].st);
			if (d < t)
				t = d;
		}
		if (t == UINT64_MAX || t > until) {
			if (until != UINT64_MAX && until > sim->now)
				sim->now = until;
			return;
		}
		if (t > sim->now)
			sim->now = t;
		if (p >= 0 && sim->queue[p].at <= sim->now) {
			struct sim_pkt pk = sim->queue[p];
			sim->queue[p] = sim->queue[--sim->qlen];
			sipd_stack_recv(sim->nodes[pk.to].st, &pk.flow, pk.data, pk.len, sim->now);
			free(pk.data);
		}
		for (int i = 0; i < sim->nnodes; i++)
			if (sipd_stack_next_deadline(sim->nodes[i].st) <= sim->now)
				sipd_stack_advance(sim->nodes[i].st, sim->now);
	}
	abort(); /* a runaway loop is a bug */
}

static bool match(const struct sim_sent *s, int from, const char *prefix)
{
	return (from < 0 || s->from == from) && strncmp(s->first_line, prefix, strlen(prefix)) == 0;
}

size_t sim_count(const struct sim *sim, int from, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < sim->nlog; i++)
		n += match(&sim->log[i], from, prefix);
	return n;
}

size_t sim_count_to(const struct sim *sim, int from, int to, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < sim->nlog; i++)
		n += match(&sim->log[i], from, prefix) && (to < 0 || sim->log[i].to == to);
	return n;
}

uint64_t sim_time_of(const struct sim *sim, int from, const char *prefix, size_t nth)
{
	for (size_t i = 0; i < sim->nlog; i++)
		if (match(&sim->log[i], from, prefix) && nth-- == 0)
			return sim->log[i].at;
	return UINT64_MAX;
}

void sim_clear_log(struct sim *sim)
{
	sim->nlog = 0;
}
