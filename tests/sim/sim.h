/* The network simulator: a virtual clock and a virtual network that connect
 * several stacks, deterministically from a seed. Links can lose, duplicate,
 * delay and reorder packets, or be cut. Every packet sent is recorded, so
 * tests can assert what went where and exactly when. */
#ifndef SIPD_TESTS_SIM_H
#define SIPD_TESTS_SIM_H

#include <sipdialog/stack.h>

#define SIM_MAX_NODES 8
#define SIM_MAX_LOG 4096

struct sim;

struct sim_link {
	unsigned loss_pct;     /* 0-100 */
	unsigned dup_pct;      /* 0-100 */
	uint32_t delay_ms;     /* base one-way delay */
	uint32_t jitter_ms;    /* extra uniform delay: reorders packets */
	bool cut;              /* partition: everything is lost */
};

struct sim_sent {
	uint64_t at;
	int from, to; /* node indexes; to = -1 when no node has the address */
	bool dropped;
	char first_line[96];
	uint8_t transport;
};

/* What a node's application does: a test fills these (all optional). */
struct sim_app {
	int (*request)(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req);
	void (*cancel)(struct sim *sim, int node, struct sipd_txn *invite, const struct sipd_msg *cancel);
	void (*server_done)(struct sim *sim, int node, struct sipd_txn *tx, bool timeout);
	void (*stray_2xx)(struct sim *sim, int node, const struct sipd_msg *resp);
};

struct sim_node {
	struct sim *sim;
	int index;
	struct sipd_stack *st;
	struct sipd_local locals[2]; /* UDP and TCP on the same address */
	struct sim_app app;
	void *test; /* the test's own data */
};

struct sim_pkt {
	uint64_t at;
	uint64_t seq; /* ties broken by send order */
	int from, to;
	struct sipd_flow flow; /* as the receiver sees it */
	size_t len;
	char *data;
};

struct sim {
	uint64_t now;
	uint64_t rng;
	uint64_t seq;
	int nnodes;
	struct sim_node nodes[SIM_MAX_NODES];
	struct sim_link links[SIM_MAX_NODES][SIM_MAX_NODES];
	struct sim_pkt *queue;
	size_t qlen, qcap;
	struct sim_sent log[SIM_MAX_LOG];
	size_t nlog;
	bool trace; /* print every packet */
	char last[SIM_MAX_NODES][8192]; /* the last packet each node sent, NUL-terminated */
	uint32_t t1, t2, t4;
};

void sim_init(struct sim *sim, uint64_t seed);
/* Adds a node at 10.0.0.(index+1):5060 (UDP and TCP). `cfg_tweak` may adjust
 * the configuration before the stack is created. */
int sim_add_node(struct sim *sim, const struct sim_app *app,
                 void (*cfg_tweak)(struct sipd_stack_config *cfg));
void sim_free(struct sim *sim);
/* Runs until virtual time `until` or until nothing is left to do. */
void sim_run(struct sim *sim, uint64_t until);
/* The flow from node a to node b's UDP (or TCP) address. */
struct sipd_flow sim_flow(const struct sim *sim, int a, int b, uint8_t transport);
/* Delivers raw bytes to node `to` as if `from` sent them now. */
void sim_inject(struct sim *sim, int from, int to, uint8_t transport, const char *data);
/* Counts sent packets whose first line starts with `prefix`, from node `from`
 * (-1: any). */
size_t sim_count(const struct sim *sim, int from, const char *prefix);
/* The same, only those sent from node `from` to node `to` (-1: any), for a
 * node that talks to several others. */
size_t sim_count_to(const struct sim *sim, int from, int to, const char *prefix);
/* The time of the n-th (0-based) such packet, or UINT64_MAX. */
uint64_t sim_time_of(const struct sim *sim, int from, const char *prefix, size_t n);
/* Clears the packet log. */
void sim_clear_log(struct sim *sim);
uint64_t sim_rand(struct sim *sim);

#endif
