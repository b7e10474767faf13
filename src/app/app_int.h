/* Internal: what the files of the application API (include/sipdialog/app.h)
 * share: app.c (the app, the stack's callbacks, incoming INVITEs, the owner
 * map, addresses and resolution), call.c (the call: its state, its end, its
 * session's events, UAS and UAC), call_api.c (what a call does and is),
 * bridge.c (sipd_app_create_b2bua) and sdp_dir.c (SDP directions for hold). */
#ifndef SIPD_APP_APP_INT_H
#define SIPD_APP_APP_INT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/app.h>

#include "common/hash.h"

#define TAG_LEN 12
#define CALL_ID_LEN 24

/* ---------------------------------------------------------------- objects */

/* What an INVITE server transaction belongs to. */
enum owner_kind { OWN_INCOMING = 1, OWN_CALL, OWN_BRIDGE };

struct owner {
	struct sipd_hnode node;
	struct sipd_txn *tx; /* NULL once the transaction is over */
	uint8_t kind;
	bool mapped;
};

struct sipd_incoming {
	struct owner own;
	struct sipd_incoming *prev, *next;
	struct sipd_app *app;
	struct sipd_flow from;
	bool answered; /* we sent its final response (487 to a CANCEL) */
};

/* A name being resolved for a call or a b2bua; either may be gone when the
 * answer comes. */
struct ticket {
	struct ticket *prev, *next;
	struct sipd_app *app;
	struct sipd_call *call;
	struct bridge *br;
	struct sipd_app_sub *sub;
};

/* sipd_app_create_b2bua(): the caller's INVITE while the target resolves,
 * then the b2bua. */
struct bridge {
	struct owner own;
	struct bridge *prev, *next;
	struct sipd_app *app;
	struct sipd_b2bua *b;
	struct sipd_flow from;
	struct sipd_b2bua_callbacks cb;
	void *arg;
	struct ticket *ticket;
	char *uri, *from_uri, *headers;
	const char *const *copy_only;
	const char *const *no_copy;
	uint8_t rel;
	bool answered;
	int8_t phase[2]; /* the last phase reported of each leg (bridge_phase); -1: none */
};

/* A request of ours within the call, waiting for its final response. */
struct our_request {
	uint32_t cseq;
	bool refer;
	void *arg;
};

/* A message kept past the callback that brought it (for `terminated`). */
struct msg_copy {
	struct sipd_msg m;
};

enum { ID_CALL_ID, ID_LOCAL_TAG, ID_REMOTE_TAG, ID_LOCAL_URI, ID_REMOTE_URI, ID__COUNT };

struct sipd_call {
	struct owner own; /* UAS: the INVITE's transaction */
	struct sipd_call *prev, *next;
	struct sipd_call *next_ended;
	struct sipd_app *app;
	struct sipd_session *s;
	struct sipd_call_callbacks cb;
	void *user;
	bool uas;
	uint8_t phase;     /* enum sipd_call_phase reached */
	bool trying_told;  /* UAC: TRYING reported (once, when the INVITE left) */
	bool answered;     /* a 2xx went out (UAS) or came in (UAC) */
	bool ended;        /* `terminated` is due */
	bool local_end;    /* the application is ending it */
	bool remote_hold;  /* the peer's last offer put us on hold */
	bool local_hold;   /* we put the peer on hold */
	bool hold_pending; /* a hold or unhold re-INVITE is out */
	bool hold_before;  /* local_hold before it */
	bool refer_sent;   /* a REFER of ours was accepted: its NOTIFYs come (RFC 3515) */
	bool provisional;  /* UAC: a provisional response came (no failover after) */
	uint8_t dir;       /* the direction our description wants, as DIR_ bits */
	uint8_t end_why;
	struct msg_copy *end_msg;
	char *sdp; /* our description as last given by the application */
	size_t sdp_len;
	char *ids; /* one block for id[] */
	const char *id[ID__COUNT];
	/* requests handed to the application, not answered yet */
	struct sipd_txn **held;
	size_t nheld, held_cap;
	struct our_request *reqs;
	size_t nreqs, reqs_cap;
	/* UAC */
	struct ticket *ticket;
	char *uri, *to, *from, *headers;
	char call_id[CALL_ID_LEN + 1];
	char tag[TAG_LEN + 1];
	bool has_timer;
	struct sipd_st_config timer;
	struct sipd_target *targets; /* the resolution's, in order */
	size_t ntargets, next_target;
	struct sipd_session **retired; /* sessions of targets that failed, challenged or
	                                  redirected (freed with the call) */
	size_t nretired, retired_cap;
	char *proxy;                  /* outbound proxy URI */
	struct sipd_auth_client *auth; /* credentials for 401/407 */
	unsigned auth_tries;          /* INVITEs sent with credentials since the last target */
	unsigned redirects, max_redirects;
	unsigned n422;                /* 422s answered with a larger Session-Expires */
	uint32_t cseq;                /* of the INVITE (one more for each retry) */
};

/* A subscription the app holds (sub.c). */
struct sipd_app_sub {
	struct sipd_app_sub *prev, *next; /* every one alive */
	struct sipd_app_sub *next_ended;
	struct sipd_app *app;
	struct sipd_subscription *s; /* NULL while resolving, or refused */
	struct sipd_app_sub_callbacks cb;
	void *user;
	bool notifier;
	bool ended;  /* `terminated` is due */
	bool ending; /* destroy asked */
	uint8_t state; /* enum sipd_sub_state */
	uint8_t why;   /* enum sipd_sub_reason */
	unsigned status;
	/* subscriber: what to send once resolved */
	struct ticket *ticket;
	char *uri, *event, *accept, *from, *to, *headers;
	uint32_t expires;
};

struct sipd_app {
	struct sipd_runtime *rt;
	struct sipd_stack *stack;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	struct sipd_stack_callbacks stack_cb;
	struct sipd_dialogs_callbacks dialogs_cb;
	struct sipd_app_callbacks cb;
	void *user;
	void (*trace)(void *user, bool sent, const struct sipd_flow *flow, const char *data,
	              size_t len);
	void (*log)(void *user, int level, const char *event, const char *detail);
	char *user_agent, *allow, *contact_user;
	struct sipd_stack_timer reaper;
	struct sipd_hmap owners;
	struct sipd_incoming *incomings;
	struct sipd_call *calls;
	struct sipd_call *ended; /* calls whose `terminated` is due, newest first */
	struct bridge *bridges;
	struct ticket *tickets;
	struct sipd_subscriptions *subs;
	char *events;                    /* packages we notify */
	struct sipd_app_sub *subs_list;  /* every subscription alive */
	struct sipd_app_sub *subs_ended; /* those whose `terminated` is due */
	const struct sipd_msg *cur_ack; /* the ACK being routed to the sessions */
	struct sipd_app_stats stats;
	/* calls started in each of the last 10 seconds (calls_per_second) */
	uint32_t per_second[10];
	uint64_t per_second_at; /* the second the newest slot counts */
	bool destroying;
};

/* Subscriptions (sub.c): the set, made with the app; requests it takes;
 * a dialog's end; the reaper's part; the resolution of a subscriber's
 * target; everything freed at the app's end (after the stack). */
int sipd_app_subs_init(struct sipd_app *app, const char *events);
bool sipd_app_subs_take(struct sipd_app *app, struct sipd_txn *tx, const struct sipd_msg *req,
                        const struct sipd_flow *from);
void sipd_app_subs_dialog_ended(struct sipd_app *app, struct sipd_dialog *d);
void sipd_app_sub_reap(struct sipd_app *app);
void sipd_app_sub_resolved(struct sipd_app_sub *w, int status, const struct sipd_target *t,
                           size_t n);
void sipd_app_subs_free(struct sipd_app *app);
/* A new call was made (counts it for calls_per_second). */
void sipd_app_count_call(struct sipd_app *app);
/* The call reached `ph`: reported once, in order (call_phase). */
void sipd_app_phase(struct sipd_call *c, enum sipd_call_phase ph);

/* A direction as what we do: send, receive (RFC 3264 §5.1). */
enum { DIR_SEND = 1, DIR_RECV = 2, DIR_BOTH = 3 };

/* ---------------------------------------------------------------- small helpers */

static inline struct sipd_str app_str_of(const char *s)
{
	return s ? (struct sipd_str){s, strlen(s)} : SIPD_STR_NULL;
}

static inline char *app_dup_str(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* Copies a callbacks struct the caller may have compiled against an older,
 * smaller version of it. */
static inline void app_copy_sized(void *dst, size_t dst_size, const void *src)
{
	memset(dst, 0, dst_size);
	if (!src)
		return;
	size_t n = *(const size_t *)src;
	memcpy(dst, src, n < dst_size ? n : dst_size);
}

static inline uint64_t app_now(struct sipd_app *app)
{
	return sipd_runtime_now(app->rt);
}

static inline uint8_t app_rel_policy(bool no, bool prefer)
{
	return (uint8_t)(no ? SIPD_REL_OFF : prefer ? SIPD_REL_PREFERRED : SIPD_REL_SUPPORTED);
}

/* ---------------------------------------------------------------- app.c */

/* A final response on a server transaction that no session answers (RFC 3261
 * §8.2.6.2: with a To tag of ours). */
int sipd_app_respond_plain(struct sipd_app *app, struct sipd_txn *tx, unsigned code,
                           const char *headers);
void sipd_app_owner_drop(struct sipd_app *app, struct owner *o);
/* Hands the INVITE's transaction from one owner to another. */
int sipd_app_owner_move(struct sipd_app *app, struct owner *from, struct owner *to, uint8_t kind);
/* The first listener with this transport and address family, or -1. */
int sipd_app_pick_local(struct sipd_app *app, uint8_t transport, uint8_t family);
/* Our Contact URI on a listener: "sip:USER@HOST:PORT", ";transport=tcp" on
 * TCP, sips: on TLS (RFC 3261 §19.1, §26.2.2). */
int sipd_app_contact_uri(struct sipd_app *app, uint16_t local, char *out, size_t cap);
/* Resolves `uri` (RFC 3263) for a call or a bridge. */
int sipd_app_resolve(struct sipd_app *app, const char *uri, struct sipd_call *c, struct bridge *br,
                     struct ticket **out);
void sipd_app_incoming_release(struct sipd_incoming *in);
/* Gives up an incoming INVITE that cannot become a call: the status (0:
 * none) when it is still unanswered. */
int sipd_app_incoming_fail(struct sipd_incoming *in, unsigned code, int rc);

/* ---------------------------------------------------------------- call.c */

/* The app's reaper: `terminated` and the freeing of the calls that ended. */
void sipd_app_reap(void *arg, struct sipd_stack_timer *t, uint64_t now);
void sipd_app_call_free(struct sipd_call *c);
void sipd_app_uac_resolved(struct sipd_call *c, int status, const struct sipd_target *t, size_t n);
int sipd_app_set_sdp(struct sipd_call *c, const char *sdp);
/* Our description now: the one agreed last, or the one given. */
struct sipd_str sipd_app_local_sdp(const struct sipd_call *c);
bool sipd_app_forget_tx(struct sipd_call *c, const struct sipd_txn *tx);
/* Answers a re-INVITE or UPDATE: with `sdp` (ours from now on), or by
 * default. */
int sipd_app_answer_modify(struct sipd_call *c, struct sipd_txn *tx, unsigned code,
                           const char *sdp);
/* The call is over: `terminated` and the freeing wait for the reaper. */
void sipd_app_end_call(struct sipd_call *c, enum sipd_call_end why, const struct sipd_msg *msg);

/* ---------------------------------------------------------------- bridge.c */

void sipd_app_bridge_free(struct bridge *br);
/* No B leg was ever sent: `ended` with no b2bua. */
void sipd_app_bridge_end_unstarted(struct bridge *br);
void sipd_app_bridge_resolved(struct bridge *br, int status, const struct sipd_target *t, size_t n);

/* ---------------------------------------------------------------- sdp_dir.c */

unsigned sipd_app_dir_bits(enum sipd_sdp_dir d);
/* The direction of the peer's offer seen from our side: what it sends we
 * receive (RFC 3264 §6.1). */
unsigned sipd_app_mirror(unsigned bits);
/* `sdp` with the direction `bits`: every direction attribute removed and one
 * written at the end of each media section (at the session level when there
 * is none), the o= version raised. Returns 0 with *out NULL when `sdp`
 * already says so (it is used as it is), 0 with a malloc'd *out, or
 * SIPD_ENOMEM. */
int sipd_app_sdp_with_dir(struct sipd_str sdp, unsigned bits, char **out, size_t *outlen);

#endif
