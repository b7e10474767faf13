/* sipdialog — subscriptions (RFC 6665) as subscriber and as notifier, and
 * REFER's implicit subscription (RFC 3515, message/sipfrag of RFC 3420,
 * Refer-Sub of RFC 4488). Sans-IO: requests leave through the stack, timers
 * live in the stack's heap, times are passed in.
 *
 * A subscription is a usage of its dialog (RFC 5057, RFC 6665 §4.5.2): it
 * takes one with sipd_dialog_usage_add() and gives it back with
 * sipd_dialog_usage_release() when it ends, so a dialog shared with an INVITE
 * session or with other subscriptions ends only with its last usage. When
 * the release leaves no usage, the subscription frees the dialog; otherwise
 * it forgets it (whoever ends last frees). A subscription never sets the
 * dialog's user pointer (the session layer owns it); the set keeps its own
 * index by dialog.
 *
 * Wiring: the stack's `allow` names SUBSCRIBE, NOTIFY and REFER, and its
 * `accept` the NOTIFY bodies (message/sipfrag for REFER). From the stack's
 * callbacks:
 *   request:  sipd_subscriptions_request() first; -1 means "not ours" and
 *             the request goes on (to sipd_sessions_request(), or the core).
 *             Every request it takes is answered before it returns, so there
 *             is no server_done routing.
 *   dialogs:  from the dialog table's state callback, on TERMINATED, call
 *             sipd_subscriptions_dialog_ended(): subscriptions still on a
 *             dialog that something ended outright (a 481 or 408 to a
 *             request of another usage, RFC 5057 §5) end with it instead of
 *             pointing at freed memory. A BYE does not: the session gives
 *             back its usage and the dialog lives while a subscription
 *             does (RFC 6665 §4.5.2).
 *
 * Choices this module makes where the RFCs leave room:
 *   - Refresh (§4.1.2.2): at 90% of the granted duration, but never later
 *     than 64*T1 (one non-INVITE transaction, Timer F) before it runs out,
 *     and never before half of it: granted 3600 s -> 3240 s, 600 s -> 540 s,
 *     100 s -> 68 s, 60 s -> 30 s. The expires parameter of each NOTIFY is
 *     authoritative (§4.1.3) and restarts this clock.
 *   - Timer N (§4.1.2.4) is 64*T1 after each SUBSCRIBE or REFER; it is also
 *     the window in which NOTIFYs from other forks of an initial request
 *     create subscriptions (§4.1.2.4, §5.4.9); later ones get 481.
 *   - The dialog is created by whichever comes first: the 2xx to the
 *     initial SUBSCRIBE/REFER (§12.1.2 of RFC 3261) or the first NOTIFY
 *     (§4.1.2.4); a 2xx whose To tag matches no NOTIFY after a NOTIFY made
 *     the dialog is ignored (§5.4.9).
 *   - A notifier sends one NOTIFY at a time per subscription: state changed
 *     while one is out is sent when it is answered, and only the latest
 *     waiting state goes (full-state packages, §5.3.1). For event refer,
 *     NOTIFYs go at most once per second (RFC 3515 §3.10).
 *   - 202 to SUBSCRIBE is never sent (§8.3.1): an application asking for it
 *     gets 200. REFER is accepted with 202 (RFC 3515 §2.4.2).
 *   - A NOTIFY without Event or Subscription-State is malformed (400); one
 *     that matches no subscription gets 481 (§4.1.3). A SUBSCRIBE without
 *     Event, or for a package we do not notify, gets 489 with Allow-Events
 *     (§4.2.1.1, §4.2.3); one for event refer that does not refresh a
 *     REFER's subscription gets 403 (RFC 3515 §2.4.4).
 */
#ifndef SIPDIALOG_SUBSCRIPTION_H
#define SIPDIALOG_SUBSCRIPTION_H

#include <sipdialog/dialog.h>
#include <sipdialog/msg.h>
#include <sipdialog/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sipd_subscriptions; /* the subscriptions of one stack */
struct sipd_subscription;

enum sipd_sub_role {
	SIPD_SUB_SUBSCRIBER = 1, /* we sent the SUBSCRIBE or REFER */
	SIPD_SUB_NOTIFIER,       /* we send the NOTIFYs */
};

/* The states of RFC 6665 §4.1.2 and §4.2.2. */
enum sipd_sub_state {
	SIPD_SUB_NOTIFY_WAIT = 0, /* subscriber: request sent, no NOTIFY yet; notifier:
	                             its first NOTIFY has not gone out yet */
	SIPD_SUB_PENDING,         /* accepted, authorisation pending */
	SIPD_SUB_ACTIVE,
	SIPD_SUB_TERMINATED,
};

/* Why a subscription ended. The first group are the reason codes of
 * Subscription-State (§4.1.3), received as subscriber or sent as notifier. */
enum sipd_sub_reason {
	SIPD_SUB_END_NONE = 0,
	SIPD_SUB_END_DEACTIVATED,
	SIPD_SUB_END_PROBATION,
	SIPD_SUB_END_REJECTED,
	SIPD_SUB_END_TIMEOUT,
	SIPD_SUB_END_GIVEUP,
	SIPD_SUB_END_NORESOURCE,
	SIPD_SUB_END_INVARIANT,
	SIPD_SUB_END_OTHER, /* terminated without a reason, or an unknown one */
	/* ours */
	SIPD_SUB_END_REFUSED,         /* the SUBSCRIBE or REFER got a non-2xx final response
	                                 (or timed out): sipd_subscription_status() */
	SIPD_SUB_END_NO_NOTIFY,       /* Timer N fired: no NOTIFY after a SUBSCRIBE (§4.1.2.2,
	                                 §4.1.2.4) */
	SIPD_SUB_END_REFRESH_FAILED,  /* a refresh got 404, 405, 410, 416, 480-485, 489, 501 or
	                                 604 (§4.1.2.2) */
	SIPD_SUB_END_EXPIRED,         /* the granted duration ran out without a refresh */
	SIPD_SUB_END_NOTIFY_FAILED,   /* notifier: a NOTIFY timed out or got one of those codes
	                                 (§4.2.2) */
	SIPD_SUB_END_DIALOG,          /* the dialog was ended under it */
	SIPD_SUB_END_NO_SUBSCRIPTION, /* REFER accepted with Refer-Sub: false (RFC 4488 §4) */
	SIPD_SUB_END_LOCAL,           /* unsubscribed without a final NOTIFY, or freed alive */
};

/* ---------------------------------------------------------------- callbacks */

/* What the notifier's application answers to a new SUBSCRIBE. The set fills
 * it with the defaults before the call. */
struct sipd_sub_answer {
	size_t size;
	unsigned code;            /* 200: accept (any 2xx is sent as 200, §8.3.1);
	                             300-699: refuse (403 or 603 for policy, §4.2.1.3) */
	const char *reason;       /* phrase of a refusal; NULL: the default */
	struct sipd_str headers;  /* extra header lines of a refusal (Retry-After...) */
	uint8_t state;            /* enum sipd_sub_state of the first NOTIFY: ACTIVE (the
	                             default) or PENDING while authorisation waits (§4.2.1.3) */
	uint32_t expires;         /* the duration granted, s, within the set's bounds; the
	                             application may shorten it (§4.2.1.1) */
	const char *content_type; /* the first NOTIFY's body (copied; may be empty: a neutral */
	struct sipd_str body;     /* state, §4.2.1.2) */
};

/* One struct for both roles; every member is optional. `msg` arguments are
 * valid during the call only. A callback may free the subscription. */
struct sipd_subscription_callbacks {
	size_t size;
	/* The state changed (NOTIFY_WAIT -> PENDING -> ACTIVE -> TERMINATED, or
	 * part of it). For TERMINATED, sipd_subscription_reason() says why and
	 * `msg` is what ended it (the NOTIFY, the response; NULL for a timer).
	 * The application frees a terminated subscription. */
	void (*state)(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
	              const struct sipd_msg *msg);
	/* Subscriber: a NOTIFY was accepted (answered 200); its body is the
	 * resource's state (for event refer a message/sipfrag, see
	 * sipd_sipfrag_status()). Called before the state callback. */
	void (*notify)(void *arg, struct sipd_subscription *sub, const struct sipd_msg *notify);
	/* Subscriber: the final response to a SUBSCRIBE or REFER we sent (initial,
	 * refresh or unsubscribe); `msg` is made up (408/503) for a timeout or a
	 * transport error. */
	void (*response)(void *arg, struct sipd_subscription *sub, const struct sipd_msg *resp);
	/* Subscriber: a NOTIFY from another fork of our initial request created
	 * a new subscription `fork` on a dialog of its own (§4.1.4, §5.4.9). It
	 * shares the callbacks and arg. Without this callback the event package
	 * is taken to allow one subscription only: such NOTIFYs get 481. */
	void (*forked)(void *arg, struct sipd_subscription *sub, struct sipd_subscription *fork,
	               const struct sipd_msg *notify);
	/* Notifier: a new SUBSCRIBE for a package we notify; fill `ans`. No
	 * NOTIFY is sent before this returns (sipd_subscription_notify() in it
	 * replaces the first NOTIFY's state). */
	void (*subscribe)(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req,
	                  struct sipd_sub_answer *ans);
	/* Notifier: a refresh was accepted; the NOTIFY with the current state is
	 * queued already (§4.2.1.2), a notify from here replaces it. */
	void (*refreshed)(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req);
	/* REFER recipient (RFC 3515 §2.4.2): return 202 (any 2xx) to accept, or
	 * the 300-699 status that refuses it (0 refuses with 603). The Refer-To
	 * is sipd_subscription_refer_to(). Progress goes with
	 * sipd_refer_progress(). Without this callback REFER is not taken (-1). */
	unsigned (*refer)(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req);
	/* Notifier: the subscriber unsubscribed (SUBSCRIBE with Expires: 0,
	 * §4.2.1.4), answered 200; the final NOTIFY goes next, and `state`
	 * says TERMINATED once it is through. */
	void (*unsubscribed)(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req);
};

/* ---------------------------------------------------------------- the set */

struct sipd_subscriptions_config {
	size_t size;
	struct sipd_stack *stack;
	struct sipd_dialogs *dialogs;
	uint32_t t1; /* ms, as the stack's (Timer N is 64*T1); 0: 500 */
	/* Notifier and REFER recipient: */
	struct sipd_str local_contact; /* our Contact URI for dialogs a SUBSCRIBE or REFER
	                                  creates, without <> */
	const char *events;            /* packages we notify, comma-separated ("presence,
	                                  dialog"); NULL: none (every SUBSCRIBE gets 489) */
	uint32_t default_expires;      /* s, for a SUBSCRIBE without Expires (§3.1.1: the
	                                  package's default); 0: 3600 */
	uint32_t min_expires;          /* s; shorter (but not 0) gets 423 with Min-Expires
	                                  (§4.2.1.1); 0: no minimum */
	uint32_t max_expires;          /* s; longer is shortened (§4.2.1.1); 0: no cap */
	uint32_t refer_expires;        /* s, duration of a REFER's subscription (RFC 3515 §3.4);
	                                  0: 300 */
	uint32_t min_notify_interval;  /* ms between NOTIFYs of one subscription (§5.4.10);
	                                  event refer never below 1000 (RFC 3515 §3.10) */
	bool no_refer_sub;             /* honour Refer-Sub: false (RFC 4488 §4) */
	const struct sipd_subscription_callbacks *cb; /* for subscriptions the peer creates */
	void *arg;
};

/* Returns NULL on a bad configuration (no stack or dialogs) or out of
 * memory. */
struct sipd_subscriptions *sipd_subscriptions_create(const struct sipd_subscriptions_config *cfg);
/* Frees every subscription, sends nothing, calls no callback, leaves the
 * dialogs to sipd_dialogs_destroy(). Call it after sipd_stack_destroy():
 * the stack's transactions and timers point at the subscriptions until
 * then, and this does not touch the stack. */
void sipd_subscriptions_destroy(struct sipd_subscriptions *set);
/* Subscriptions alive (not yet freed). */
size_t sipd_subscriptions_count(const struct sipd_subscriptions *set);

/* Routes SUBSCRIBE, NOTIFY and REFER from the stack's request callback.
 * Returns 0 when taken (and answered), -1 when not ours: other methods, a
 * REFER when there is no refer callback or no such dialog. `from` is where
 * the request came from: a notifier sends its NOTIFYs there. */
int sipd_subscriptions_request(struct sipd_subscriptions *set, struct sipd_txn *tx,
                               const struct sipd_msg *req, const struct sipd_flow *from);
/* The dialog table reported `d` TERMINATED: subscriptions still on it end
 * (SIPD_SUB_END_DIALOG) without sending anything and forget it. Releases
 * made by the subscriptions themselves never get here. */
void sipd_subscriptions_dialog_ended(struct sipd_subscriptions *set, struct sipd_dialog *d);

/* ---------------------------------------------------------------- subscriber */

/* A SUBSCRIBE (or REFER) to send. Out of a dialog, the set makes up the
 * Call-ID and the From tag; within one, the dialog says everything. */
struct sipd_subscribe_opts {
	size_t size;
	/* Within this dialog (an INVITE session's, or another subscription's:
	 * dialog sharing, RFC 6665 §4.5.2); NULL: out of dialog. */
	struct sipd_dialog *dialog;
	struct sipd_str request_uri;         /* out of dialog: the Request-URI */
	struct sipd_str from, to;            /* out of dialog: URI or name-addr, without tag */
	struct sipd_dialog_opts dialog_opts; /* our Contact in a new dialog; TLS */
	struct sipd_flow flow;               /* where the requests go (the caller resolved it) */
	const char *event;                   /* the package ("presence"); sipd_refer(): "refer" */
	const char *id;                      /* the Event id parameter, NULL: none; sipd_refer():
	                                        the REFER's CSeq (RFC 3515 §2.4.6) */
	uint32_t expires;                    /* s, asked for (§3.1.1); 0: a fetch (§4.4.3) */
	const char *accept;                  /* Accept value (§3.1.3); NULL: none */
	struct sipd_str headers;             /* extra header lines, each ending in CRLF */
	const char *refer_to;                /* sipd_refer(): the Refer-To value */
	bool no_refer_sub;                   /* sipd_refer(): ask for no subscription (Refer-Sub:
	                                        false, RFC 4488 §4) */
	const struct sipd_subscription_callbacks *cb;
	void *arg;
};

/* Sends an initial SUBSCRIBE and starts Timer N. The subscription waits in
 * NOTIFY_WAIT; it refreshes itself until unsubscribed or terminated.
 * Returns 0 and *out, SIPD_EINVAL (no event; out of dialog without
 * request_uri, from, to or a Contact), SIPD_ESTATE (the dialog is
 * terminated), SIPD_ENOSPC, SIPD_ENOMEM, or the stack's error. */
int sipd_subscribe(struct sipd_subscriptions *set, const struct sipd_subscribe_opts *o,
                   uint64_t now, struct sipd_subscription **out);
/* Sends REFER with Refer-To (RFC 3515 §2.4.1): a subscription to event
 * refer with id = the REFER's CSeq. With no_refer_sub and a 2xx carrying
 * Refer-Sub: false, it ends at once (SIPD_SUB_END_NO_SUBSCRIPTION); if the
 * recipient creates the subscription anyway, NOTIFYs are handled as usual.
 * Errors as sipd_subscribe(), and SIPD_EINVAL without refer_to. */
int sipd_refer(struct sipd_subscriptions *set, const struct sipd_subscribe_opts *o, uint64_t now,
               struct sipd_subscription **out);
/* Refreshes now (§4.1.2.2) instead of at the planned time. SIPD_ESTATE when
 * terminated, unsubscribing, without a dialog yet, or while a SUBSCRIBE is
 * out. */
int sipd_subscription_refresh(struct sipd_subscription *sub, uint64_t now);
/* SUBSCRIBE with Expires: 0 (§4.1.2.3); the subscription ends with the final
 * NOTIFY (or at Timer N). Before the dialog exists it goes when the dialog
 * does. SIPD_ESTATE when terminated or already unsubscribing. */
int sipd_subscription_unsubscribe(struct sipd_subscription *sub, uint64_t now);
/* What §4.1.3 says about subscribing again after this end: -1 not to, 0 at
 * once, n: after n seconds. Not after our own unsubscription, nor for event
 * refer (RFC 3515 §2.4.7: not obliged; REFER only creates those). */
int64_t sipd_subscription_retry_after(const struct sipd_subscription *sub);
/* A new initial SUBSCRIBE like this terminated out-of-dialog one (fresh
 * Call-ID and From tag, §4.1.2.2), e.g. when retry_after says so.
 * SIPD_EINVAL for a REFER's or an in-dialog subscription, SIPD_ESTATE when
 * it is not terminated; else as sipd_subscribe(). */
int sipd_subscription_retry(struct sipd_subscription *sub, uint64_t now,
                            struct sipd_subscription **out);

/* ---------------------------------------------------------------- notifier */

/* Sends (or queues) a NOTIFY with the resource's state: `st` PENDING or
 * ACTIVE, with the time left as expires (§4.2.2). The body is copied and is
 * the state a refresh re-sends. SIPD_ESTATE once terminated, SIPD_EINVAL
 * for another state or a subscriber's subscription. */
int sipd_subscription_notify(struct sipd_subscription *sub, enum sipd_sub_state st,
                             const char *content_type, struct sipd_str body, uint64_t now);
/* Ends the subscription with NOTIFY terminated;reason=`reason` (a token of
 * §4.1.3: "noresource", "rejected", "deactivated", "probation", "giveup",
 * "timeout", "invariant"...; NULL: none) and retry-after when >= 0. The body
 * may be empty. The dialog usage ends when it is sent. SIPD_EINVAL for a
 * reason that is not a token. */
int sipd_subscription_terminate(struct sipd_subscription *sub, const char *reason,
                                int64_t retry_after, const char *content_type, struct sipd_str body,
                                uint64_t now);
/* REFER recipient: the progress of the referred request, as a message/sipfrag
 * status line "SIP/2.0 code reason" (RFC 3515 §2.4.5); `reason` NULL: the
 * default phrase. A final code (>= 200) terminates the subscription with
 * reason noresource (§2.4.7). Under Refer-Sub: false nothing is sent and a
 * final code ends it quietly. */
int sipd_refer_progress(struct sipd_subscription *sub, unsigned code, const char *reason,
                        uint64_t now);

/* ---------------------------------------------------------------- common */

/* Frees a subscription (terminated or not: one still alive is dropped
 * without a word and its dialog usage released). Sends nothing. */
void sipd_subscription_free(struct sipd_subscription *sub);

enum sipd_sub_role sipd_subscription_role(const struct sipd_subscription *sub);
enum sipd_sub_state sipd_subscription_state(const struct sipd_subscription *sub);
enum sipd_sub_reason sipd_subscription_reason(const struct sipd_subscription *sub);
/* The final status that ended it (REFUSED, REFRESH_FAILED), else 0. */
unsigned sipd_subscription_status(const struct sipd_subscription *sub);
/* The dialog; NULL before it exists and after the subscription ended. */
struct sipd_dialog *sipd_subscription_dialog(const struct sipd_subscription *sub);
/* The package and id (NUL-terminated, "" for no id); owned by the
 * subscription. */
const char *sipd_subscription_event(const struct sipd_subscription *sub);
const char *sipd_subscription_id(const struct sipd_subscription *sub);
/* When the granted duration runs out (ms); UINT64_MAX when unknown. */
uint64_t sipd_subscription_expires_at(const struct sipd_subscription *sub);
/* REFER: the Refer-To value (owned by the subscription); NULL otherwise. */
const char *sipd_subscription_refer_to(const struct sipd_subscription *sub);
void *sipd_subscription_arg(const struct sipd_subscription *sub);
void sipd_subscription_set_arg(struct sipd_subscription *sub, void *arg);

/* ---------------------------------------------------------------- rules */

/* The refresh time for a duration granted at `now` (see the top of this
 * file); UINT64_MAX for 0. */
uint64_t sipd_sub_refresh_at(uint64_t now, uint32_t granted, uint32_t t1);
/* Is a failure to a refresh SUBSCRIBE or to a NOTIFY fatal to the
 * subscription (§4.1.2.2, §4.2.2: 404, 405, 410, 416, 480-485, 489, 501,
 * 604)? */
bool sipd_sub_fatal_status(unsigned code);
/* §4.1.3: the advice for re-subscribing after a NOTIFY terminated with this
 * reason and retry-after (-1 when absent): -1 never, 0 at once, n seconds. */
int64_t sipd_sub_retry_advice(enum sipd_sub_reason why, int64_t retry_after);
/* Reason token <-> code: unknown tokens are SIPD_SUB_END_OTHER; names of our
 * own reasons are descriptive ("refused", "no-notify"...). */
enum sipd_sub_reason sipd_sub_reason_lookup(struct sipd_str token);
const char *sipd_sub_reason_name(enum sipd_sub_reason why);
const char *sipd_sub_state_name(enum sipd_sub_state st);

/* The status code of a message/sipfrag body that begins with a status line
 * (RFC 3420 §2, RFC 3515 §2.4.5), or SIPD_EPARSE. */
int sipd_sipfrag_status(struct sipd_str body);

#ifdef __cplusplus
}
#endif

#endif
