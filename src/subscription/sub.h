/* Subscriptions, internal: the objects and what the files share.
 *
 * set.c         the set, its two indexes, routing, the common life cycle
 * subscriber.c  SUBSCRIBE and REFER we send, NOTIFYs we receive
 * notifier.c    SUBSCRIBE and REFER we receive, NOTIFYs we send
 * rules.c       the pure rules (refresh time, retry advice, sipfrag)
 */
#ifndef SIPD_SUBSCRIPTION_SUB_H
#define SIPD_SUBSCRIPTION_SUB_H

#include <sipdialog/subscription.h>

#include "common/hash.h"

#define SUB_REFER_INTERVAL 1000u /* ms between refer NOTIFYs (RFC 3515 §3.10) */
#define SUB_MAX_423 3            /* 423s an attempt may get before it gives up */

/* What the SUBSCRIBE (or REFER) we have out is for. */
enum sub_kind {
	SUB_REQ_NONE = 0,
	SUB_REQ_INITIAL,
	SUB_REQ_REFRESH,
	SUB_REQ_UNSUBSCRIBE,
};

/* What the subscriber's life timer waits for. */
enum sub_life {
	SUB_LIFE_REFRESH = 0,
	SUB_LIFE_EXPIRE,
};

/* Our initial out-of-dialog request as a parsed message: what dialog
 * creation reads (the stack adds the Via; a stand-in makes it parse). */
struct sub_initial {
	struct sipd_msg msg;
	struct sipd_hdr slots[48];
	struct sipd_str headers; /* the header lines for sipd_request */
	size_t len;
	char text[];
};

/* A NOTIFY waiting for the previous one's answer (or for the rate limit). */
struct sub_queued {
	bool set;
	uint8_t state; /* enum sipd_sub_state */
	char *reason;  /* terminated only; NULL: none */
	int64_t retry_after;
	char *ctype;
	char *body;
	size_t body_len;
	bool with_body; /* false: the NOTIFY has none */
};

struct sipd_subscription {
	struct sipd_hnode dnode;               /* in set->by_dialog, hashed on the dialog pointer */
	struct sipd_hnode wnode;               /* in set->window, hashed on Call-ID and our tag */
	struct sipd_subscription *prev, *next; /* every subscription of the set */
	struct sipd_subscriptions *set;
	struct sipd_dialog *d;
	struct sipd_subscription_callbacks cb;
	void *arg;
	struct sipd_flow flow;
	uint8_t role, state, reason, life, kind; /* kind: of sub_tx */
	bool refer, in_dmap, in_wmap;
	bool freed;         /* sipd_subscription_free() was called */
	bool notified;      /* subscriber: a NOTIFY came since the last SUBSCRIBE */
	bool window_open;   /* subscriber: other forks may still create subscriptions */
	bool unsubscribing; /* subscriber: Expires: 0 is out (or waits for the dialog) */
	bool unsub_waits;   /* ... and waits for the dialog to exist */
	bool no_notify;     /* REFER accepted without subscription (RFC 4488) */
	bool answered;      /* notifier: the 2xx went out, NOTIFYs may follow */
	bool ending;        /* notifier: the terminated NOTIFY is queued */
	bool notify_out;    /* notifier: a NOTIFY waits for its final response */
	bool sent_any;      /* notifier: a NOTIFY went out (rate limit reference) */
	uint8_t n423;
	unsigned busy; /* nesting of calls that may reach the application */
	unsigned client_txns;
	unsigned status; /* the final status that ended it */
	int64_t retry_after;
	uint32_t expires_req; /* subscriber: what we ask for */
	uint32_t cseq;        /* of the initial request (REFER: the id) */
	uint64_t expires_at;
	uint64_t last_notify_at;
	uint32_t min_interval;
	struct sipd_txn *sub_tx;            /* the latest SUBSCRIBE/REFER of ours */
	struct sipd_stack_timer t_life;     /* refresh / expiry */
	struct sipd_stack_timer t_n;        /* subscriber: Timer N */
	struct sipd_stack_timer t_throttle; /* notifier: the next NOTIFY may go */
	struct sub_queued queued;
	char *state_ctype, *state_body; /* notifier: the state last notified */
	size_t state_len;
	/* identity and parameters (owned, NUL-terminated) */
	char *event, *id, *call_id, *local_tag, *refer_to;
	char *ruri, *from, *to, *contact, *accept, *headers;
	bool tls;
	struct sub_initial *init; /* subscriber out of dialog, until the window closes */
};

struct sipd_subscriptions {
	struct sipd_subscriptions_config cfg;
	struct sipd_subscription_callbacks cb;
	struct sipd_stack *st;
	struct sipd_dialogs *dialogs;
	char *contact, *events;
	uint8_t key[16];
	struct sipd_hmap by_dialog, window;
	struct sipd_subscription *all;
	size_t count;
	uint64_t now; /* the latest time the application gave */
};

/* ---- set.c: life cycle and indexes */
struct sipd_subscription *sipd__sub_new(struct sipd_subscriptions *set, enum sipd_sub_role role,
                                        const struct sipd_subscription_callbacks *cb, void *arg);
void sipd__sub_enter(struct sipd_subscription *sub);
/* Returns false when the subscription was freed meanwhile (and is gone). */
bool sipd__sub_leave(struct sipd_subscription *sub);
uint64_t sipd__sub_now(const struct sipd_subscription *sub);
void sipd__sub_tick(struct sipd_subscriptions *set, uint64_t now);
uint32_t sipd__sub_t1(const struct sipd_subscriptions *set);
/* Binds to a dialog as a usage of it and indexes it. */
void sipd__sub_bind(struct sipd_subscription *sub, struct sipd_dialog *d);
void sipd__sub_window_add(struct sipd_subscription *sub);
void sipd__sub_window_del(struct sipd_subscription *sub);
/* Finds our subscription of `role` on dialog d whose Event matches (§8.2.1;
 * a refer NOTIFY without id matches the oldest REFER's, RFC 3515 §2.4.6). */
struct sipd_subscription *sipd__sub_in_dialog(struct sipd_subscriptions *set, struct sipd_dialog *d,
                                              enum sipd_sub_role role, struct sipd_str package,
                                              struct sipd_str id);
/* The initial request a NOTIFY without a dialog belongs to (§4.4.1: Call-ID,
 * To tag = our From tag, Event). */
struct sipd_subscription *sipd__sub_in_window(struct sipd_subscriptions *set,
                                              const struct sipd_msg *notify,
                                              struct sipd_str package, struct sipd_str id);
/* Sets the state and tells the application (once per change). */
void sipd__sub_set_state(struct sipd_subscription *sub, enum sipd_sub_state st,
                         const struct sipd_msg *msg);
/* Ends it: timers off, out of the indexes, the dialog usage released (and
 * the dialog freed when it was the last), then TERMINATED is told. */
void sipd__sub_end(struct sipd_subscription *sub, enum sipd_sub_reason why,
                   const struct sipd_msg *msg);
/* A response on a server transaction, with our To tag when given and our
 * Contact when `contact`. */
int sipd__sub_respond(struct sipd_subscriptions *set, struct sipd_txn *tx, unsigned code,
                      const char *reason, struct sipd_str to_tag, struct sipd_str contact,
                      const char *extra);
/* A request within the subscription's dialog on its flow. `cb` NULL: no
 * callback. The CSeq is the dialog's next unless `cseq`. */
int sipd__sub_send(struct sipd_subscription *sub, const char *method, const char *extra,
                   const char *ctype, struct sipd_str body, sipd_txn_cb cb, uint32_t cseq,
                   struct sipd_txn **out);
char *sipd__sub_strdup(struct sipd_str s);
int sipd__sub_setstr(char **dst, const char *src);

/* ---- subscriber.c */
void sipd__sub_on_notify(struct sipd_subscriptions *set, struct sipd_txn *tx,
                         const struct sipd_msg *req);
void sipd__sub_client_done(struct sipd_subscription *sub);

/* ---- notifier.c */
void sipd__sub_on_subscribe(struct sipd_subscriptions *set, struct sipd_txn *tx,
                            const struct sipd_msg *req, const struct sipd_flow *from);
int sipd__sub_on_refer(struct sipd_subscriptions *set, struct sipd_txn *tx,
                       const struct sipd_msg *req, const struct sipd_flow *from);
void sipd__sub_queued_free(struct sub_queued *q);

#endif
