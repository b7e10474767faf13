/* Internal: the transaction layer (RFC 3261 §17 with RFC 6026). The UA core
 * owns one `struct sipd_txl` and feeds it; the layer knows nothing above it. */
#ifndef SIPD_TXN_TXN_H
#define SIPD_TXN_TXN_H

#include <sipdialog/stack.h>

#include "common/hash.h"
#include "common/timer.h"

enum txn_kind { TXN_ICT, TXN_NICT, TXN_IST, TXN_NIST };

enum txn_state {
	TS_CALLING,    /* ICT: INVITE sent, nothing back */
	TS_TRYING,     /* NICT: request sent; NIST: request received */
	TS_PROCEEDING, /* a provisional response seen or sent */
	TS_ACCEPTED,   /* RFC 6026: a 2xx to INVITE seen or sent */
	TS_COMPLETED,  /* a final response seen or sent */
	TS_CONFIRMED,  /* IST: the ACK to our non-2xx arrived */
	TS_TERMINATED,
};

/* TT_USER: a struct sipd_stack_timer of the layers above; TT_ABSORB: the
 * end of an absorber (server.c) */
enum txn_timer_kind { TT_RETX, TT_END, TT_USER, TT_ABSORB };

struct sipd_txl;

struct sipd_txn {
	struct sipd_hnode node;  /* in client or server map */
	struct sipd_hnode merge; /* server txns without To tag: §8.2.2.2 */
	struct sipd_txn *prev, *next; /* every transaction, for conn loss and teardown */
	struct sipd_txl *txl;
	uint8_t kind;  /* enum txn_kind */
	uint8_t state; /* enum txn_state */
	bool reliable;
	bool cancel_pending; /* ICT: CANCEL asked before any provisional */
	bool in_merge;
	bool timed_out; /* IST: Timer H fired, or L without the ACK of our 2xx */
	bool ack_wait;  /* IST: retransmitting a 2xx until sipd_txn_acked() */
	bool send_failed; /* a transport error: ending, but not a timeout */
	uint8_t method; /* enum sipd_method of the request */
	struct sipd_flow flow; /* client: where requests go; server: where responses go */
	struct sipd_timer t_retx, t_end;
	uint32_t retx_interval;
	uint64_t absorb_until; /* IST: acked; an absorber takes over until then */
	sipd_txn_cb cb;
	void *arg;
	void *user;
	struct sipd_str branch; /* into buf */
	struct sipd_str method_name;
	char *cancel_reason; /* ICT: Reason for a pending CANCEL */

	/* client: the request as sent; server: the request as received */
	char *buf;
	size_t len;
	/* server: the parsed request (its header slots and bytes after it, in
	 * the transaction's allocation: a client transaction has none), and the
	 * last response sent, which is in resp_area (allocated with the
	 * transaction) when it fits there */
	struct sipd_msg *req;
	char *resp;
	size_t resp_len;
	char *resp_area;
	size_t resp_area_cap;
	unsigned resp_code;
};

/* What the layer needs from its owner. */
struct sipd_txl_ops {
	int (*send)(void *ctx, struct sipd_flow *flow, const char *data, size_t len);
	void (*server_done)(void *ctx, struct sipd_txn *tx, bool timeout);
	void (*log)(void *ctx, int level, const char *event, const char *detail);
	void (*random)(void *ctx, void *buf, size_t len);
};

struct sipd_txl {
	struct sipd_hmap client, server, merge;
	/* INVITE server transactions past the ACK of their 2xx (server.c) */
	struct sipd_hmap absorb, absorb_merge;
	struct sipd_timers timers;
	struct sipd_txn *all;
	uint32_t t1, t2, t4;
	uint8_t key[16];
	struct sipd_parse_limits limits;
	const struct sipd_local *locals;
	size_t nlocals;
	const struct sipd_txl_ops *ops;
	void *ctx;
	struct sipd_stack_stats *stats;
};

void sipd_txl_init(struct sipd_txl *l, const struct sipd_txl_ops *ops, void *ctx);
/* Frees every transaction without a callback. */
void sipd_txl_free(struct sipd_txl *l);
uint64_t sipd_txl_advance(struct sipd_txl *l, uint64_t now);
void sipd_txl_conn_lost(struct sipd_txl *l, uint64_t conn, uint64_t now);

/* Client side (client.c) */
int sipd_txl_request(struct sipd_txl *l, const struct sipd_request *req, sipd_txn_cb cb,
                     void *arg, uint64_t now, struct sipd_txn **out);
int sipd_txl_send_ack(struct sipd_txl *l, const struct sipd_request *ack);
/* Routes a response to its client transaction. Returns 0 when one took it,
 * SIPD_ENOTFOUND when none matches (§17.1.3). */
int sipd_txl_on_response(struct sipd_txl *l, const struct sipd_msg *resp, uint64_t now);

/* Server side (server.c) */
/* The server transaction a request belongs to (§17.2.3): a retransmission, an
 * ACK of an INVITE, or a CANCEL's own transaction. NULL when new. */
struct sipd_txn *sipd_txl_match_request(struct sipd_txl *l, const struct sipd_msg *req);
/* The INVITE server transaction a CANCEL names (§9.2), or NULL. */
struct sipd_txn *sipd_txl_match_cancel(struct sipd_txl *l, const struct sipd_msg *cancel);
/* Whether a server transaction has the same From tag, Call-ID and CSeq as
 * req but another branch (a merged request, §8.2.2.2). */
bool sipd_txl_match_merged(struct sipd_txl *l, const struct sipd_msg *req);
/* A retransmission of an INVITE whose transaction is an absorber now: true
 * when it took req (absorbed and counted). */
bool sipd_txl_absorbs(struct sipd_txl *l, const struct sipd_msg *req);
/* Whether the INVITE a CANCEL names is an absorber's (answered and ACKed). */
bool sipd_txl_cancel_absorbed(struct sipd_txl *l, const struct sipd_msg *cancel);
void sipd_absorber_timer(struct sipd_txl *l, struct sipd_timer *t);
void sipd_absorbers_free(struct sipd_txl *l);
/* A request for an existing server transaction. Returns 1 when it is an ACK
 * the TU must see (the ACK of a 2xx, RFC 6026 Accepted), else 0. */
int sipd_txl_on_request(struct sipd_txl *l, struct sipd_txn *tx, const struct sipd_msg *req,
                        uint64_t now);
/* Creates the server transaction of a new request (not ACK). */
int sipd_txl_server(struct sipd_txl *l, const struct sipd_msg *req, const struct sipd_flow *from,
                    uint64_t now, struct sipd_txn **out);
int sipd_txl_respond(struct sipd_txn *tx, const struct sipd_response *r, uint64_t now);
/* Where responses to a request go (§18.2.2, RFC 3581). */
void sipd_txl_response_flow(const struct sipd_msg *req, const struct sipd_flow *from,
                            struct sipd_flow *out);

/* Shared (txn.c) */
uint64_t sipd_txl_hash(const struct sipd_txl *l, struct sipd_str a, unsigned salt);
void sipd_txn_link(struct sipd_txl *l, struct sipd_txn *tx);
void sipd_txn_arm(struct sipd_txn *tx, struct sipd_timer *t, uint64_t at);
void sipd_txn_state(struct sipd_txn *tx, enum txn_state s);
/* Ends the transaction: leaves the maps, tells the user, frees it. */
void sipd_txn_terminate(struct sipd_txn *tx);
int sipd_txn_send(struct sipd_txn *tx, const char *data, size_t len, bool retransmission);
static inline bool sipd_branch_is_rfc3261(struct sipd_str b)
{
	return b.len > 7 && memcmp(b.p, "z9hG4bK", 7) == 0;
}

#endif
