/* INVITE sessions (RFC 3261 §13-15), UAS and UAC. A session is one usage of
 * its dialog (RFC 5057); it owns the offer/answer engine, follows the INVITE
 * to its ACK, answers the requests within the dialog, and ends with BYE. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/invite.h>
#include <sipdialog/session.h>

#include "common/cb.h"

/* Requests waiting for the application's answer, per session: the list
 * grows to this cap, and a request beyond it is answered 503 with
 * Retry-After (RFC 3261 §21.5.4) without reaching the application. */
#define MAX_PENDING 256

/* A request the application still has to answer, and whether it carried an
 * offer (which its 2xx answers, RFC 3264 §4). */
struct pending {
	struct sipd_txn *tx;
	bool offer;
	bool st; /* session timers: its 2xx carries st_answer */
	struct sipd_st_answer st_answer;
};

struct sipd_session {
	struct sipd_session_env env;
	const struct sipd_session_callbacks *cb; /* the application's, by reference */
	void *arg;
	struct sipd_dialog *d;
	struct sipd_oa oa;
	struct sipd_txn *invite;      /* the INVITE server transaction we answer */
	/* server transactions of requests the application still has to answer,
	 * answered 487 if the session ends first (§15.1.2) */
	struct pending *pending;
	uint16_t npending, pending_cap;
	uint32_t invite_cseq;
	unsigned client_txns;    /* client transactions whose callbacks point here */
	struct sipd_flow flow; /* where the peer is: requests within go there */
	uint64_t now;            /* the latest time the application gave us */
	char *bye_reason;
	char *answer_hdrs;  /* UAS: extra lines for our 1xx and 2xx to the INVITE */
	struct sipd_invite *inv; /* UAC: the INVITE under way */
	/* The parts few sessions use live apart, allocated when first needed,
	 * so that a plain call does not carry them (memory per dialog,
	 * BENCHMARKS.md): */
	struct modify *mod;      /* our re-INVITEs and UPDATEs */
	struct prov *prov;       /* UAS: reliable provisionals (RFC 3262), when
	                            the INVITE and our policy make them possible */
	struct fork_rel *forks;  /* UAC: the reliability of each fork's
	                            provisionals (RFC 3262 §4), from the first */
	struct stimers *stx;     /* session timers (RFC 4028), when asked for */
	char tag[16];
	uint8_t state, end;
	bool usage;         /* we hold a usage of d (RFC 5057, RFC 6665 §4.5.2) */
	bool own_d;         /* our release ended d: ours to free */
	bool uas;
	bool wait_ack;      /* our 2xx to an INVITE is out, its ACK not in */
	bool offer_in_2xx;  /* that 2xx carried our offer: the ACK brings the answer */
	bool refused;       /* UAC: we refused the offer of the 2xx: BYE after the ACK */
	bool bye_pending;   /* asked to BYE while waiting for the ACK (§15) */
	bool cancelled;          /* UAC: we sent CANCEL: a crossing 2xx is ACKed, then BYEd */
	uint8_t cancel_end;      /* how the session ends once the CANCEL took effect */
	bool no_glare_retry;
	bool modifying;          /* a re-INVITE or UPDATE of ours is out */
	bool freed;              /* sipd_session_free() was called: free at the last one */
	bool peer_update;        /* the peer's Allow lists UPDATE (RFC 4028 §7.4) */
	uint8_t nforks;
};

/* A callback of the application's, or NULL (none given, or none any more
 * after sipd_session_free). */
#define CB(s, f) SIPD_CB((s)->cb, struct sipd_session_callbacks, f)

struct modify {
	struct sipd_txn *tx;     /* its client transaction, until its final response */
	char *offer;             /* kept for the retry after a 491 */
	size_t len;
	struct sipd_stack_timer glare;
	bool update;
};

struct prov {
	struct sipd_rel_uas rel;
	struct sipd_stack_timer timer;
	unsigned code;           /* the outstanding reliable provisional, to resend */
	char *body;
	size_t len;
	char hdrs[64];
	bool accept_pending;     /* a 2xx waits for the PRACK of a 1xx with SDP (§3) */
	char *accept_body;
	size_t accept_len;
};

#define MAX_FORKS 4
struct fork_rel {
	struct sipd_dialog *d;
	struct sipd_rel_uac rel;
};

struct stimers {
	struct sipd_st_config stc;
	struct sipd_st st;
	struct sipd_stack_timer timer;
	struct sipd_st_answer answer; /* for the 2xx to the initial INVITE */
	struct sipd_txn *answer_tx;
	bool refreshing;              /* the request out is a session refresh */
	bool refresh_sent;            /* since the last success */
	uint64_t base;                /* when the session was last refreshed */
};

static void session_release(struct sipd_session *s);
static void rel_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);

/* The time: the latest of what the application gave us and what the stack
 * saw at its last entry point (inside callbacks the stack's is current). */
static uint64_t now_of(const struct sipd_session *s)
{
	uint64_t st = sipd_stack_now(s->env.stack);
	return st > s->now ? st : s->now;
}

static void tick(struct sipd_session *s, uint64_t now)
{
	if (now > s->now)
		s->now = now;
}

static enum sipd_dialog_reason dialog_reason(enum sipd_session_end why)
{
	switch (why) {
	case SIPD_SESSION_END_BYE_REMOTE: return SIPD_END_REMOTE_BYE;
	case SIPD_SESSION_END_BYE_LOCAL: return SIPD_END_LOCAL_BYE;
	case SIPD_SESSION_END_CANCELLED: return SIPD_END_CANCELLED;
	case SIPD_SESSION_END_REJECTED: return SIPD_END_REJECTED;
	case SIPD_SESSION_END_NO_ACK:
	case SIPD_SESSION_END_EXPIRED: return SIPD_END_TIMEOUT;
	case SIPD_SESSION_END_REPLACED: return SIPD_END_REPLACED;
	case SIPD_SESSION_END_NONE: return SIPD_END_LOCAL; /* freed while running */
	default: return SIPD_END_ERROR;
	}
}

/* The session lets go of its dialog (RFC 5057, RFC 6665 §4.5.2): it gives
 * its usage back; the release that leaves none ends the dialog, which the
 * session then keeps (terminated) and frees with itself. While other usages
 * (subscriptions) remain, the dialog lives on and is theirs: the session
 * forgets it. An early dialog of our INVITE that no 2xx confirmed belongs to
 * the INVITE client (it frees it), and is only forgotten. */
static void drop_dialog(struct sipd_session *s, enum sipd_dialog_reason why)
{
	struct sipd_dialog *d = s->d;
	if (!d || s->own_d)
		return;
	if (s->usage) {
		s->usage = false;
		if (sipd_dialog_usage_release(d, why) == 0) {
			s->own_d = true;
			return;
		}
	}
	if (sipd_dialog_user(d) == s)
		sipd_dialog_set_user(d, NULL);
	s->d = NULL;
}

static void close_pending(struct sipd_session *s);

/* The timers of the parts that live apart, stopped when the session ends. */
static void stop_rel(struct sipd_session *s)
{
	if (s->prov)
		sipd_stack_timer_cancel(s->env.stack, &s->prov->timer);
}

/* The INVITE got its final response `code`: reliable provisionals stop. */
static void rel_final(struct sipd_session *s, unsigned code)
{
	if (s->prov)
		sipd_rel_uas_final(&s->prov->rel, code);
	stop_rel(s);
}

static void stop_timers(struct sipd_session *s)
{
	stop_rel(s);
	if (s->stx)
		sipd_stack_timer_cancel(s->env.stack, &s->stx->timer);
	if (s->mod)
		sipd_stack_timer_cancel(s->env.stack, &s->mod->glare);
}

static void set_state(struct sipd_session *s, enum sipd_session_state st,
                      enum sipd_session_end why, const struct sipd_msg *msg)
{
	if (s->state == st || s->state == SIPD_SESSION_TERMINATED)
		return;
	s->state = (uint8_t)st;
	if (st == SIPD_SESSION_TERMINATED) {
		s->end = (uint8_t)why;
		sipd_oa_close(&s->oa);
		stop_timers(s);
		close_pending(s); /* §15.1.2: what the application still holds gets 487 */
		drop_dialog(s, dialog_reason(why));
	}
	if (CB(s, state))
		CB(s, state)(s->arg, s, st, why, msg);
}

/* 32 random bits, from raw bytes of the stack's source (not its tokens,
 * whose characters are far from uniform as bytes). */
static uint32_t rand_u32(const struct sipd_session *s)
{
	uint8_t b[4];
	sipd_stack_random(s->env.stack, b, sizeof b);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Uniform in 0 .. n-1 (n > 0): draws in the incomplete top range are drawn
 * again, so that no value is favoured; a source that keeps landing there
 * (a broken one) gets the plain modulo after a few tries. */
static uint32_t rand_below(const struct sipd_session *s, uint32_t n)
{
	uint32_t rem = (uint32_t)((UINT32_MAX % n + 1u) % n); /* 2**32 mod n */
	uint32_t x = rand_u32(s);
	for (int i = 0; i < 16 && rem && x >= 0u - rem; i++)
		x = rand_u32(s);
	return x % n;
}

static int keep_copy(char **dst, size_t *dlen, struct sipd_str src)
{
	char *p = malloc(src.len ? src.len : 1);
	if (!p)
		return SIPD_ENOMEM;
	if (src.len)
		memcpy(p, src.p, src.len);
	free(*dst);
	*dst = p;
	*dlen = src.len;
	return 0;
}

static void st_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);

static int set_bye_reason(struct sipd_session *s, const char *reason)
{
	size_t n = strlen(reason) + 1;
	char *p = malloc(n);
	if (!p)
		return SIPD_ENOMEM;
	memcpy(p, reason, n);
	free(s->bye_reason);
	s->bye_reason = p;
	return 0;
}

int sipd_session_set_answer_headers(struct sipd_session *s, const char *headers)
{
	if (!s || !s->uas)
		return SIPD_EINVAL;
	char *p = NULL;
	if (headers && *headers) {
		size_t n = strlen(headers);
		/* whole lines only: a header block that does not end its last line
		 * would run into the next one */
		if (n < 2 || headers[n - 2] != '\r' || headers[n - 1] != '\n')
			return SIPD_EINVAL;
		if (!(p = malloc(n + 1)))
			return SIPD_ENOMEM;
		memcpy(p, headers, n + 1);
	}
	free(s->answer_hdrs);
	s->answer_hdrs = p;
	return 0;
}

static int st_setup(struct sipd_session *s, const struct sipd_st_config *c)
{
	if (!c)
		return 0;
	struct stimers *x = calloc(1, sizeof *x);
	if (!x)
		return SIPD_ENOMEM;
	sipd_stack_timer_init(&x->timer, st_fired, s);
	size_t n = c->size < sizeof x->stc ? c->size : sizeof x->stc;
	memcpy(&x->stc, c, n);
	x->stc.size = n;
	sipd_st_init(&x->st, &x->stc);
	s->stx = x;
	return 0;
}

/* A refresh (or the session's start) succeeded: next refresh, or expiry. */
static void st_arm(struct sipd_session *s)
{
	struct stimers *x = s->stx;
	if (!x)
		return;
	if (!x->st.interval || s->state == SIPD_SESSION_TERMINATED) {
		sipd_stack_timer_cancel(s->env.stack, &x->timer);
		return;
	}
	uint64_t now = sipd_stack_now(s->env.stack) > s->now ? sipd_stack_now(s->env.stack) : s->now;
	x->base = now;
	x->refresh_sent = false;
	uint64_t at = x->st.we_refresh ? sipd_st_refresh_at(&x->st, now) : sipd_st_expire_at(&x->st, now);
	sipd_stack_timer_arm(s->env.stack, &x->timer, at);
}

/* RFC 4028 §7.4: refresh with UPDATE when the peer allows it. A message
 * without Allow tells nothing (RFC 3261 §20.5: its absence must not be read
 * as "no method"), so what an earlier one said stands. */
static void peer_allows(struct sipd_session *s, const struct sipd_msg *m)
{
	if (sipd_msg_find(m, SIPD_HDR_ALLOW))
		s->peer_update = sipd_st_refresh_method(m) == SIPD_METHOD_UPDATE;
}

/* Room for one more request to answer: 0, or the status that refuses it
 * (503 past the cap, 500 when memory runs out). */
static unsigned reserve_pending(struct sipd_session *s)
{
	if (s->npending < s->pending_cap)
		return 0;
	if (s->pending_cap == MAX_PENDING)
		return 503;
	unsigned cap = s->pending_cap ? s->pending_cap * 2u : 4u;
	if (cap > MAX_PENDING)
		cap = MAX_PENDING;
	struct pending *p = realloc(s->pending, cap * sizeof *p);
	if (!p)
		return 500;
	s->pending = p;
	s->pending_cap = (uint16_t)cap;
	return 0;
}

/* After reserve_pending() said yes. */
static struct pending *add_pending(struct sipd_session *s, struct sipd_txn *tx, bool offer)
{
	struct pending *p = &s->pending[s->npending++];
	*p = (struct pending){.tx = tx, .offer = offer};
	sipd_txn_set_user(tx, s);
	return p;
}

static struct pending *find_pending(struct sipd_session *s, struct sipd_txn *tx)
{
	for (size_t i = 0; i < s->npending; i++)
		if (s->pending[i].tx == tx)
			return &s->pending[i];
	return NULL;
}

static bool drop_pending(struct sipd_session *s, struct sipd_txn *tx)
{
	struct pending *p = find_pending(s, tx);
	if (!p)
		return false;
	*p = s->pending[--s->npending];
	return true;
}

/* A response on one of the session's server transactions, with our Contact
 * on what may refresh the peer's view of us (1xx/2xx to INVITE and UPDATE).
 * The 2xx to the initial INVITE also lists the methods we take (§13.3.1.4:
 * Allow SHOULD be there; RFC 4028 §7.4 reads it to choose between UPDATE
 * and re-INVITE for refreshes). */
static int send_response(struct sipd_session *s, struct sipd_txn *tx, unsigned code,
                         const char *reason, struct sipd_str body, bool contact,
                         bool retransmit_2xx, const char *extra)
{
	const char *allow =
		code >= 200 && code < 300 && tx == s->invite && s->state < SIPD_SESSION_WAIT_ACK
			? sipd_stack_allow(s->env.stack)
			: NULL;
	const char *mine = tx == s->invite && code < 300 ? s->answer_hdrs : NULL;
	/* our Contact is the dialog's: a UAS session makes its dialog before it
	 * answers anything, a UAC session answers only within its dialog */
	struct sipd_str us = contact && s->d ? sipd_dialog_local_contact(s->d) : SIPD_STR_NULL;
	/* §12.1.1: what makes the dialog (a 1xx with our tag, the 2xx) carries
	 * the INVITE's Record-Route values, in their order, so that the caller
	 * has the route set we have */
	const struct sipd_msg *inv = tx == s->invite && code > 100 && code < 300 ? sipd_txn_request(tx)
	                                                                         : NULL;
	const struct sipd_hdr *rr = inv ? sipd_msg_find(inv, SIPD_HDR_RECORD_ROUTE) : NULL;
	size_t need = (us.len ? us.len + 16 : 0) + (extra ? strlen(extra) : 0) +
	              (allow ? strlen(allow) + 16 : 0) + (mine ? strlen(mine) : 0) + 1;
	for (const struct sipd_hdr *h = rr; h; h = sipd_msg_find_next(inv, h))
		need += h->value.len + 16;
	char local[1024];
	char *hdrs = need <= sizeof local ? local : malloc(need);
	if (!hdrs)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs, need);
	for (const struct sipd_hdr *h = rr; h; h = sipd_msg_find_next(inv, h))
		sipd_build_header(&b, "Record-Route", h->value);
	if (us.len) {
		sipd_buf_puts(&b, "Contact: <");
		sipd_buf_putstr(&b, us);
		sipd_buf_puts(&b, ">\r\n");
	}
	if (allow) {
		sipd_buf_puts(&b, "Allow: ");
		sipd_buf_puts(&b, allow);
		sipd_buf_puts(&b, "\r\n");
	}
	if (extra)
		sipd_buf_puts(&b, extra);
	if (mine)
		sipd_buf_puts(&b, mine);
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .reason = reason,
	                          .to_tag = {s->tag, sizeof s->tag},
	                          .headers = {hdrs, b.len},
	                          .content_type = body.len ? "application/sdp" : NULL,
	                          .body = body,
	                          .retransmit_2xx = retransmit_2xx};
	int rc = b.overflow ? SIPD_ENOSPC : sipd_txn_respond(tx, &r, now_of(s));
	if (hdrs != local)
		free(hdrs);
	return rc;
}

/* A refusal the peer may retry (§14.2: 500 while its offer or INVITE is
 * still being dealt with; 503 when we have no room), after a random 0-10 s. */
static int send_retry_after(struct sipd_session *s, struct sipd_txn *tx, unsigned code)
{
	char extra[32];
	snprintf(extra, sizeof extra, "Retry-After: %u\r\n", (unsigned)rand_below(s, 11));
	return send_response(s, tx, code, NULL, SIPD_STR_NULL, false, false, extra);
}

static int ensure_dialog(struct sipd_session *s, struct sipd_str contact)
{
	if (s->d)
		return 0;
	const struct sipd_msg *req = sipd_txn_request(s->invite);
	struct sipd_dialog_opts o = {.size = sizeof o,
	                             .local_contact = contact,
	                             .tls = s->flow.transport == SIPD_TP_TLS};
	int rc = sipd_dialog_create_uas(s->env.dialogs, req, (struct sipd_str){s->tag, sizeof s->tag},
	                                &o, &s->d);
	if (rc)
		return rc;
	sipd_dialog_set_user(s->d, s);
	sipd_dialog_usage_add(s->d);
	s->usage = true;
	return 0;
}

/* A session that sipd_session_uas() answered and will not return: it goes
 * with its dialog, sending nothing more. */
static void discard(struct sipd_session *s)
{
	sipd_txn_set_user(s->invite, NULL);
	s->invite = NULL;
	drop_dialog(s, SIPD_END_REJECTED);
	session_release(s);
}

int sipd_session_uas(const struct sipd_session_env *env, struct sipd_txn *invite,
                     const struct sipd_flow *from, const struct sipd_session_opts *o,
                     uint64_t now, struct sipd_session **out)
{
	if (!env || !env->stack || !env->dialogs || !invite || !from || !o || !out)
		return SIPD_EINVAL;
	const struct sipd_msg *req = sipd_txn_request(invite);
	if (!req || req->method != SIPD_METHOD_INVITE || req->to.tag.len)
		return SIPD_EINVAL;
	struct sipd_session *s = calloc(1, sizeof *s);
	if (!s) {
		/* §21.5.1: no session without memory; the INVITE is answered all
		 * the same, with a tag of the stack's */
		char tag[16];
		sipd_stack_random_token(env->stack, tag, sizeof tag);
		struct sipd_response r = {
			.size = sizeof r, .code = 500, .to_tag = {tag, sizeof tag}};
		sipd_txn_respond(invite, &r, now);
		return SIPD_ENOMEM;
	}
	s->env = *env;
	s->cb = o->cb;
	s->arg = o->arg;
	s->uas = true;
	s->invite = invite;
	s->invite_cseq = req->cseq.seq;
	s->flow = *from;
	s->now = now;
	s->no_glare_retry = o->no_glare_retry;
	sipd_oa_init(&s->oa);
	if (o->share_with)
		sipd_oa_share(&s->oa, &o->share_with->oa);
	sipd_stack_random_token(env->stack, s->tag, sizeof s->tag);
	sipd_txn_set_user(invite, s);
	/* RFC 3262 §3: the first RSeq uniform in 1 .. 2**31-1 (the engine adds
	 * 1 to a value below 2**31-1); retransmissions at the stack's T1 */
	struct sipd_rel_uas rel;
	sipd_rel_uas_init(&rel, req, (enum sipd_rel_policy)o->rel_policy,
	                  sipd_stack_t1(env->stack), rand_below(s, 0x7fffffffu));
	/* RFC 3262 §3: 420 when it requires 100rel and we do not do it, 421
	 * when we require it and the INVITE does not support it */
	char rh[64];
	struct sipd_buf rb;
	sipd_buf_init(&rb, rh, sizeof rh - 1);
	unsigned rel_reject = sipd_rel_uas_reject(&rel, &rb);
	if (rel_reject) {
		rh[rb.overflow ? 0 : rb.len] = 0;
		send_response(s, invite, rel_reject, NULL, SIPD_STR_NULL, false, false, rh);
		discard(s);
		return SIPD_EINVAL;
	}
	/* the state of reliable provisionals only when there can be any */
	if (sipd_rel_uas_reliable(&rel, 180)) {
		s->prov = calloc(1, sizeof *s->prov);
		if (!s->prov) {
			send_response(s, invite, 500, NULL, SIPD_STR_NULL, false, false, NULL);
			discard(s);
			return SIPD_ENOMEM;
		}
		s->prov->rel = rel;
		sipd_stack_timer_init(&s->prov->timer, rel_fired, s);
	}
	/* RFC 4028 §8.1: an interval below our Min-SE gets 422 */
	st_setup(s, o->timer);
	if (s->stx) {
		unsigned st_status = sipd_st_recv_request(&s->stx->stc, req, &s->stx->answer);
		if (st_status) {
			char sh[64];
			struct sipd_buf sb;
			sipd_buf_init(&sb, sh, sizeof sh - 1);
			sipd_st_write_response(&s->stx->answer, &sb);
			sh[sb.overflow ? 0 : sb.len] = 0;
			send_response(s, invite, st_status, NULL, SIPD_STR_NULL, false, false, sh);
			discard(s);
			return st_status == 400 ? SIPD_EPARSE : SIPD_EINVAL;
		}
		s->stx->answer_tx = invite;
	}
	peer_allows(s, req);
	/* §12.1.1: a dialog needs the peer's Contact; without one, 400 now.
	 * Whatever else keeps the session from existing is answered here too,
	 * so that no INVITE is left without a final response: 503 with
	 * Retry-After when the dialog table is full (§21.5.4), 500 otherwise
	 * (no memory, or a dialog with that id already there, §21.5.1). */
	int rc = ensure_dialog(s, o->dialog.local_contact);
	if (rc == SIPD_EINVAL)
		rc = SIPD_ESTATE; /* the dialog id is taken (the arguments were checked) */
	if (rc == 0 && sipd_msg_has_session_body(req))
		rc = sipd_oa_recv_offer(&s->oa, req->body);
	if (rc) {
		if (rc == SIPD_EPARSE)
			send_response(s, invite, 400, "Missing or bad Contact", SIPD_STR_NULL, false, false,
			              NULL);
		else if (rc == SIPD_ELIMIT)
			send_retry_after(s, invite, 503);
		else
			send_response(s, invite, 500, NULL, SIPD_STR_NULL, false, false, NULL);
		discard(s);
		return rc;
	}
	*out = s;
	return 0;
}

int sipd_session_progress(struct sipd_session *s, unsigned code, struct sipd_str body,
                          uint64_t now)
{
	tick(s, now);
	if (!s->uas || !s->invite || code < 101 || code > 199 || s->state > SIPD_SESSION_EARLY)
		return SIPD_ESTATE;
	if (!s->prov || !sipd_rel_uas_reliable(&s->prov->rel, code)) {
		/* an answer in an unreliable provisional is a preview (RFC 6337
		 * §3.1.1): the offer/answer state moves with the 2xx */
		int rc = send_response(s, s->invite, code, NULL, body, true, false, NULL);
		if (rc == 0)
			set_state(s, SIPD_SESSION_EARLY, SIPD_SESSION_END_NONE, NULL);
		return rc;
	}
	/* RFC 3262: reliable, with Require: 100rel and RSeq; a description in
	 * it is the answer to the INVITE's offer, or an offer of ours (§5) */
	struct prov *pv = s->prov;
	struct sipd_buf hb;
	sipd_buf_init(&hb, pv->hdrs, sizeof pv->hdrs - 1);
	struct sipd_rel_uas saved = pv->rel;
	int rc = sipd_rel_uas_send(&pv->rel, code, body.len > 0, now_of(s), &hb);
	if (rc)
		return rc; /* one still waits for its PRACK (§3), or over the RSeq space */
	pv->hdrs[hb.len] = 0;
	if (body.len) {
		enum sipd_oa_state st = sipd_oa_state(&s->oa);
		rc = st == SIPD_OA_HAVE_REMOTE_OFFER ? sipd_oa_send_answer(&s->oa, body)
		     : st == SIPD_OA_INITIAL         ? sipd_oa_send_offer(&s->oa, body)
		                                     : 0;
		if (rc == 0)
			rc = keep_copy(&pv->body, &pv->len, body);
		if (rc) {
			pv->rel = saved;
			return rc;
		}
	} else {
		pv->len = 0;
	}
	pv->code = code;
	rc = send_response(s, s->invite, code, NULL, (struct sipd_str){pv->body, pv->len}, true,
	                   false, pv->hdrs);
	if (rc)
		return rc;
	sipd_stack_timer_arm(s->env.stack, &pv->timer, sipd_rel_uas_deadline(&pv->rel));
	set_state(s, SIPD_SESSION_EARLY, SIPD_SESSION_END_NONE, NULL);
	return 0;
}

static int do_accept(struct sipd_session *s, struct sipd_str body);

/* The reliable provisional's timer: retransmit, or give up with 504 (§3). */
static void rel_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	struct sipd_session *s = arg;
	if (!s->invite || s->state > SIPD_SESSION_EARLY)
		return;
	struct prov *pv = s->prov;
	switch (sipd_rel_uas_advance(&pv->rel, now)) {
	case SIPD_REL_RETRANSMIT:
		send_response(s, s->invite, pv->code, NULL, (struct sipd_str){pv->body, pv->len}, true,
		              false, pv->hdrs);
		sipd_stack_timer_arm(s->env.stack, &pv->timer, sipd_rel_uas_deadline(&pv->rel));
		break;
	case SIPD_REL_GIVE_UP:
		sipd_session_reject(s, SIPD_REL_TIMEOUT_STATUS, NULL, now);
		break;
	case SIPD_REL_WAIT:
		if (sipd_rel_uas_deadline(&pv->rel) != UINT64_MAX)
			sipd_stack_timer_arm(s->env.stack, &pv->timer, sipd_rel_uas_deadline(&pv->rel));
		break;
	}
}

int sipd_session_accept(struct sipd_session *s, struct sipd_str body, uint64_t now)
{
	tick(s, now);
	if (!s->uas || !s->invite || s->state > SIPD_SESSION_EARLY ||
	    (s->prov && s->prov->accept_pending))
		return SIPD_ESTATE;
	if (s->prov && !sipd_rel_uas_final_allowed(&s->prov->rel, 200)) {
		/* RFC 3262 §3: not before the PRACK of a provisional that carried a
		 * description; it goes out when that PRACK comes */
		int rc = keep_copy(&s->prov->accept_body, &s->prov->accept_len, body);
		if (rc == 0)
			s->prov->accept_pending = true;
		return rc;
	}
	return do_accept(s, body);
}

static int do_accept(struct sipd_session *s, struct sipd_str body)
{
	/* the answer to the INVITE's offer, or our offer (its answer comes in
	 * the ACK, §13.2.1) */
	enum sipd_oa_state st = sipd_oa_state(&s->oa);
	bool answer = st == SIPD_OA_HAVE_REMOTE_OFFER;
	int rc = 0;
	if (st == SIPD_OA_STABLE) {
		/* agreed already through reliable provisionals and PRACK (RFC 3262
		 * §5): the 2xx repeats nothing new */
	} else if (!answer && !body.len) {
		return SIPD_EINVAL; /* a 2xx to an INVITE without an offer must offer */
	} else {
		rc = answer ? sipd_oa_send_answer(&s->oa, body) : sipd_oa_send_offer(&s->oa, body);
		if (rc)
			return rc;
		body = answer ? sipd_oa_local(&s->oa) : sipd_oa_pending_offer(&s->oa);
	}
	s->offer_in_2xx = !answer;
	char sh[128] = "";
	bool timer = s->stx && s->stx->answer_tx == s->invite;
	if (timer) {
		struct sipd_buf sb;
		sipd_buf_init(&sb, sh, sizeof sh - 1);
		sipd_st_write_response(&s->stx->answer, &sb);
		sh[sb.overflow ? 0 : sb.len] = 0;
	}
	rc = send_response(s, s->invite, 200, NULL, body, true, true, sh[0] ? sh : NULL);
	if (rc)
		return rc;
	if (timer) {
		sipd_st_answered(&s->stx->st, &s->stx->answer);
		s->stx->answer_tx = NULL;
		st_arm(s);
	}
	rel_final(s, 200);
	s->wait_ack = true;
	sipd_dialog_confirm(s->d);
	set_state(s, SIPD_SESSION_WAIT_ACK, SIPD_SESSION_END_NONE, NULL);
	return 0;
}

/* Ends what is still open when the session ends: requests not answered get
 * 487 (§15.1.2), the INVITE too if it had no final response. */
static void close_pending(struct sipd_session *s)
{
	while (s->npending) {
		struct sipd_txn *tx = s->pending[--s->npending].tx;
		send_response(s, tx, 487, NULL, SIPD_STR_NULL, false, false, NULL);
		sipd_txn_set_user(tx, NULL);
	}
}

/* The peer's INVITE got the final failure `code` (sent): the session ends
 * (`why`); what the application still holds gets 487 (set_state). */
static void invite_answered(struct sipd_session *s, unsigned code, enum sipd_session_end why)
{
	rel_final(s, code);
	sipd_oa_rollback(&s->oa);
	set_state(s, SIPD_SESSION_TERMINATED, why, NULL);
}

int sipd_session_reject(struct sipd_session *s, unsigned code, const char *reason,
                        uint64_t now)
{
	tick(s, now);
	if (!s->uas || !s->invite || s->state > SIPD_SESSION_EARLY || code < 300 || code > 699)
		return SIPD_ESTATE;
	int rc = send_response(s, s->invite, code, reason, SIPD_STR_NULL, false, false, NULL);
	if (rc)
		return rc;
	invite_answered(s, code, SIPD_SESSION_END_REJECTED);
	return 0;
}

void sipd_session_cancelled(struct sipd_session *s, uint64_t now)
{
	tick(s, now);
	if (!s->invite || s->state > SIPD_SESSION_EARLY)
		return; /* the 2xx crossed the CANCEL: nothing changes (§9.2) */
	send_response(s, s->invite, 487, NULL, SIPD_STR_NULL, false, false, NULL);
	invite_answered(s, 487, SIPD_SESSION_END_CANCELLED);
}

/* ---------------------------------------------------------------- requests we send */

/* The end of a client transaction whose callback pointed at the session. */
static void client_done(struct sipd_session *s)
{
	if (s->client_txns)
		s->client_txns--;
	if (s->freed && !s->client_txns && !s->inv)
		session_release(s);
}

static int send_in(struct sipd_session *s, struct sipd_dialog *d, const char *method,
                   const char *extra, sipd_txn_cb cb, uint32_t cseq, struct sipd_str body,
                   struct sipd_txn **out);

static int send_in_dialog(struct sipd_session *s, const char *method, const char *extra,
                          sipd_txn_cb cb, uint32_t cseq, struct sipd_str body)
{
	return send_in(s, s->d, method, extra, cb, cseq, body, NULL);
}

static int send_in(struct sipd_session *s, struct sipd_dialog *d, const char *method,
                   const char *extra, sipd_txn_cb cb, uint32_t cseq, struct sipd_str body,
                   struct sipd_txn **out)
{
	if (!d)
		return SIPD_ESTATE; /* the dialog went on with other usages (drop_dialog) */
	char buf[4096];
	struct sipd_request r;
	struct sipd_dialog_request dr = {.size = sizeof dr,
	                                 .method = {method, strlen(method)},
	                                 .cseq = cseq,
	                                 .headers = {extra, extra ? strlen(extra) : 0},
	                                 .content_type = body.len ? "application/sdp" : NULL,
	                                 .body = body};
	struct sipd_str hop;
	int rc = sipd_dialog_request(d, &dr, buf, sizeof buf, &r, &hop);
	if (rc)
		return rc;
	r.flow = sipd_stack_dialog_flow(s->env.stack, hop, sipd_dialog_secure(d), &s->flow);
	if (!strcmp(method, "ACK"))
		return sipd_stack_send_ack(s->env.stack, &r, now_of(s));
	rc = sipd_stack_request(s->env.stack, &r, cb, cb ? s : NULL, now_of(s), out);
	if (rc == 0 && cb)
		s->client_txns++;
	return rc;
}

/* BYE in the session's dialog, with the Reason asked for (RFC 3326). */
static int bye_only(struct sipd_session *s)
{
	char extra[300];
	extra[0] = 0;
	if (s->bye_reason)
		snprintf(extra, sizeof extra, "Reason: %s\r\n", s->bye_reason);
	return send_in_dialog(s, "BYE", extra[0] ? extra : NULL, NULL, 0, SIPD_STR_NULL);
}

static int send_bye(struct sipd_session *s, enum sipd_session_end why)
{
	int rc = bye_only(s);
	close_pending(s);
	set_state(s, SIPD_SESSION_TERMINATED, why, NULL);
	return rc;
}

int sipd_session_bye(struct sipd_session *s, const char *reason, uint64_t now)
{
	tick(s, now);
	if (s->state == SIPD_SESSION_TERMINATED || s->bye_pending)
		return SIPD_ESTATE;
	/* §15: the callee never BYEs an early dialog (it rejects the INVITE); the
	 * caller ends an INVITE still under way with CANCEL (§9.1) */
	if (s->uas && s->state < SIPD_SESSION_WAIT_ACK)
		return SIPD_ESTATE;
	if (!s->uas && s->inv && s->state < SIPD_SESSION_CONFIRMED)
		return sipd_session_cancel(s, reason, now);
	if (reason && set_bye_reason(s, reason))
		return SIPD_ENOMEM;
	if (s->wait_ack) {
		s->bye_pending = true; /* after the ACK, or its timeout (§15) */
		return 0;
	}
	int rc = bye_only(s);
	if (rc == SIPD_ENOMEM)
		return rc; /* the session goes on: the application may try again */
	close_pending(s);
	set_state(s, SIPD_SESSION_TERMINATED, SIPD_SESSION_END_BYE_LOCAL, NULL);
	return rc;
}

/* ---------------------------------------------------------------- requests we receive */

static void on_ack(struct sipd_session *s, const struct sipd_msg *ack)
{
	/* the ACK of our 2xx: same CSeq number as the INVITE (§13.2.2.4) */
	if (!s->wait_ack || ack->cseq.seq != s->invite_cseq)
		return; /* a stray or late ACK: nothing to do */
	s->wait_ack = false;
	if (s->invite)
		sipd_txn_acked(s->invite);
	if (s->offer_in_2xx) {
		/* the answer to the offer of our 2xx (§13.2.1) */
		s->offer_in_2xx = false;
		if (!sipd_msg_has_session_body(ack) || sipd_oa_recv_answer(&s->oa, ack->body))
			sipd_oa_rollback(&s->oa); /* no answer, or no memory to keep it */
	}
	set_state(s, SIPD_SESSION_CONFIRMED, SIPD_SESSION_END_NONE, NULL);
	if (s->bye_pending)
		send_bye(s, SIPD_SESSION_END_BYE_LOCAL);
}

static void on_bye(struct sipd_session *s, struct sipd_txn *tx, const struct sipd_msg *bye)
{
	send_response(s, tx, 200, NULL, SIPD_STR_NULL, false, false, NULL);
	/* an INVITE still unanswered ends too (the caller BYEd an early dialog) */
	if (s->invite && s->state < SIPD_SESSION_WAIT_ACK)
		send_response(s, s->invite, 487, NULL, SIPD_STR_NULL, false, false, NULL);
	/* Our INVITE still without its final response (the callee BYEd the
	 * early dialog, its 2xx lost or never sent): cancelled, so that §9.1
	 * bounds its transaction; a 2xx that still comes is ACKed and BYEd. */
	if (sipd_session_cancel(s, NULL, now_of(s)) == 0)
		s->cancel_end = SIPD_SESSION_END_BYE_REMOTE;
	s->wait_ack = false;
	close_pending(s);
	set_state(s, SIPD_SESSION_TERMINATED, SIPD_SESSION_END_BYE_REMOTE, bye);
}

/* RFC 3262 §3, §5: the PRACK of our reliable provisional, with the answer
 * to an offer of that provisional, or an offer of its own. */
static void on_prack(struct sipd_session *s, struct sipd_txn *tx, const struct sipd_msg *req)
{
	struct sipd_rel_uas none = {0}; /* none sent: no PRACK matches */
	enum sipd_rel_prack r = sipd_rel_uas_prack(s->prov ? &s->prov->rel : &none, req);
	unsigned code = sipd_rel_prack_status(r);
	struct sipd_str body = SIPD_STR_NULL;
	if (r == SIPD_REL_PRACK_ACKED) {
		stop_rel(s);
		if (sipd_msg_has_session_body(req)) {
			if (sipd_oa_state(&s->oa) == SIPD_OA_HAVE_LOCAL_OFFER) {
				sipd_oa_recv_answer(&s->oa, req->body);
			} else if (sipd_oa_recv_offer(&s->oa, req->body) == 0) {
				/* an offer in the PRACK: its 2xx answers with what we
				 * agreed last, or refuses */
				struct sipd_str local = sipd_oa_local(&s->oa);
				if (local.len && sipd_oa_send_answer(&s->oa, local) == 0) {
					body = sipd_oa_local(&s->oa);
				} else {
					sipd_oa_rollback(&s->oa);
					code = 488;
				}
			}
		}
	}
	send_response(s, tx, code, NULL, body, false, false, NULL);
	if (r == SIPD_REL_PRACK_ACKED && s->prov && s->prov->accept_pending) {
		s->prov->accept_pending = false;
		do_accept(s, (struct sipd_str){s->prov->accept_body, s->prov->accept_len});
	}
}

static bool has_pending_method(const struct sipd_session *s, enum sipd_method m)
{
	for (size_t i = 0; i < s->npending; i++)
		if (sipd_txn_request(s->pending[i].tx)->method == m)
			return true;
	return false;
}

/* §14.1: "a UAC MUST NOT initiate a new INVITE transaction within a dialog
 * while another INVITE transaction is in progress in either direction": the
 * peer's INVITE still unanswered, or its ACK not in yet. */
static bool peer_invite_in_progress(const struct sipd_session *s)
{
	return s->wait_ack || has_pending_method(s, SIPD_METHOD_INVITE);
}

/* The default answers when the application does not take a request. */
static void default_answer(struct sipd_session *s, struct sipd_txn *tx,
                           const struct sipd_msg *req)
{
	const struct pending *p = find_pending(s, tx);
	if (!p)
		return; /* answered already */
	unsigned code;
	struct sipd_str body = SIPD_STR_NULL;
	switch (req->method) {
	case SIPD_METHOD_UPDATE:
	case SIPD_METHOD_INVITE:
		if (req->method == SIPD_METHOD_UPDATE && !p->offer) {
			/* RFC 3311 §5.2: no offer, no offer in the 2xx (a refresh) */
			code = 200;
			break;
		}
		/* the answer to its offer, or our offer (§14.2): what we agreed last */
		body = sipd_oa_local(&s->oa);
		code = body.len ? 200 : 488;
		break;
	case SIPD_METHOD_INFO: code = 469; break; /* RFC 6086 §4.2.2 */
	case SIPD_METHOD_OPTIONS: code = 200; break;
	case SIPD_METHOD_REFER: code = 603; break;
	default: code = 501; break;
	}
	/* Out of memory for that answer: 500, which its transaction always
	 * has room for, rather than a request that waits for ever. */
	if (sipd_session_respond(s, tx, code, body, now_of(s)))
		sipd_session_respond(s, tx, 500, SIPD_STR_NULL, now_of(s));
}

/* The request may wait for the application (503 or 500 when there is no
 * room for it). */
static bool room_for(struct sipd_session *s, struct sipd_txn *tx)
{
	unsigned refuse = reserve_pending(s);
	if (refuse == 503)
		send_retry_after(s, tx, 503);
	else if (refuse)
		send_response(s, tx, refuse, NULL, SIPD_STR_NULL, false, false, NULL);
	return !refuse;
}

static void on_modify(struct sipd_session *s, struct sipd_txn *tx, const struct sipd_msg *req)
{
	bool invite = req->method == SIPD_METHOD_INVITE;
	bool offer = sipd_msg_has_session_body(req);
	enum sipd_oa_state oa = sipd_oa_state(&s->oa);
	/* An offer while ours is pending is glare: 491 (§14.2; RFC 3311 §5.2 for
	 * an UPDATE that carries one). A re-INVITE without one gets it too, as
	 * its 2xx would have to offer (§14.2). An UPDATE without an offer offers
	 * nothing (a session refresh, RFC 4028 §7.4): no glare, it goes on. */
	if (oa == SIPD_OA_HAVE_LOCAL_OFFER && (invite || offer)) {
		send_response(s, tx, 491, NULL, SIPD_STR_NULL, false, false, NULL);
		return;
	}
	/* While an offer of theirs is unanswered, or for a re-INVITE another
	 * INVITE of theirs or the ACK of our 2xx to it, 500 with a Retry-After
	 * of 0-10 s (§14.2; RFC 3311 §5.2 for an UPDATE with an offer) */
	if ((invite || offer) &&
	    (oa == SIPD_OA_HAVE_REMOTE_OFFER ||
	     (invite && (has_pending_method(s, SIPD_METHOD_INVITE) || s->wait_ack)))) {
		send_retry_after(s, tx, 500);
		return;
	}
	struct sipd_st_answer a;
	if (s->stx) {
		/* RFC 4028 §8: a refresh carries its own interval (422 if too short) */
		unsigned st_status = sipd_st_recv_request(&s->stx->stc, req, &a);
		if (st_status) {
			char sh[64];
			struct sipd_buf sb;
			sipd_buf_init(&sb, sh, sizeof sh - 1);
			sipd_st_write_response(&a, &sb);
			sh[sb.overflow ? 0 : sb.len] = 0;
			send_response(s, tx, st_status, NULL, SIPD_STR_NULL, false, false, sh);
			return;
		}
	}
	if (!room_for(s, tx))
		return;
	if (offer && sipd_oa_recv_offer(&s->oa, req->body)) {
		send_response(s, tx, 500, NULL, SIPD_STR_NULL, false, false, NULL);
		return;
	}
	struct pending *p = add_pending(s, tx, offer);
	if (s->stx) {
		p->st = true;
		p->st_answer = a;
	}
	if (!CB(s, request) || CB(s, request)(s->arg, s, tx, req) < 0)
		default_answer(s, tx, req);
}

int sipd_session_respond(struct sipd_session *s, struct sipd_txn *tx, unsigned code,
                         struct sipd_str body, uint64_t now)
{
	tick(s, now);
	/* only a request still waiting here: a transaction answered already
	 * may have ended (an INVITE's soon after its ACK), and is not touched */
	struct pending *p = find_pending(s, tx);
	const struct sipd_msg *req = p ? sipd_txn_request(tx) : NULL;
	if (!req || code < 100 || code > 699)
		return SIPD_EINVAL;
	bool ok = code >= 200 && code < 300;
	bool invite = req->method == SIPD_METHOD_INVITE;
	bool modify = invite || req->method == SIPD_METHOD_UPDATE;
	if (code < 200) {
		/* a provisional (§8.2.6): the request still waits for its final
		 * response, and stays on the list */
		return send_response(s, tx, code, NULL, SIPD_STR_NULL, modify, false, NULL);
	}
	bool offered = p->offer;
	/* RFC 3311 §5.2, RFC 6337 §2 (Table 1): an UPDATE without an offer
	 * gets a 2xx without one; no exchange could bring its answer */
	if (ok && modify && !invite && !offered && body.len)
		return SIPD_EINVAL;
	/* The exchange is taken into the engine before the response goes, and
	 * taken back if it cannot go (nothing sent, the request still waits):
	 * the descriptions an answer replaces are kept until then. */
	struct sipd_oa before = s->oa;
	if (modify && ok && offered)
		s->oa.local = s->oa.remote = NULL; /* kept in `before` */
	if (modify && ok) {
		int rc = offered    ? sipd_oa_send_answer(&s->oa, body)
		         : body.len ? sipd_oa_send_offer(&s->oa, body)
		                    : 0;
		if (rc) {
			s->oa = before;
			return rc;
		}
		/* send the engine's copy: body may have pointed at what the
		 * engine just replaced (the default answer is the last local) */
		if (offered)
			body = sipd_oa_local(&s->oa);
		else if (body.len)
			body = sipd_oa_pending_offer(&s->oa);
	}
	bool reinvite_2xx = ok && invite;
	char sh[128] = "";
	bool st = p->st && ok;
	struct sipd_st_answer sta = p->st_answer;
	if (st) {
		struct sipd_buf sb;
		sipd_buf_init(&sb, sh, sizeof sh - 1);
		sipd_st_write_response(&sta, &sb);
		sh[sb.overflow ? 0 : sb.len] = 0;
	}
	int rc = send_response(s, tx, code, NULL, ok && modify ? body : SIPD_STR_NULL,
	                       modify && code < 300, reinvite_2xx, sh[0] ? sh : NULL);
	if (modify && ok && offered) {
		if (rc) {
			/* back to their offer, unanswered */
			sipd_oa_release(s->oa.local, s->oa.local_len);
			s->oa.offer = s->oa.remote;
			s->oa.offer_len = s->oa.remote_len;
			s->oa.local = before.local;
			s->oa.local_len = before.local_len;
			s->oa.remote = before.remote;
			s->oa.remote_len = before.remote_len;
			s->oa.state = before.state;
		} else {
			sipd_oa_release(before.local, before.local_len);
			sipd_oa_release(before.remote, before.remote_len);
		}
	} else if (modify && ok && body.len && rc) {
		sipd_oa_rollback(&s->oa); /* our offer did not go */
		s->oa.saved_state = before.saved_state;
	}
	if (rc)
		return rc;
	drop_pending(s, tx);
	sipd_txn_set_user(tx, NULL);
	if (modify && ok) {
		s->offer_in_2xx = !offered && body.len && invite;
		/* §12.2.2, RFC 6141: an accepted target refresh updates the target */
		if (s->d)
			sipd_dialog_refresh_target(s->d, req);
	} else if (modify && offered) {
		sipd_oa_rollback(&s->oa); /* RFC 6337 §3.1: their offer is refused */
	}
	if (st) {
		sipd_st_answered(&s->stx->st, &sta);
		st_arm(s); /* the peer refreshed: our clock starts again */
	}
	if (reinvite_2xx) {
		if (s->invite)
			sipd_txn_set_user(s->invite, NULL);
		s->invite = tx;
		s->invite_cseq = req->cseq.seq;
		s->wait_ack = true;
		sipd_txn_set_user(tx, s);
	}
	return 0;
}

static struct sipd_session *session_of(const struct sipd_session_env *env,
                                       const struct sipd_msg *req)
{
	struct sipd_dialog *d = sipd_dialogs_match_request(env->dialogs, req);
	return d ? sipd_dialog_user(d) : NULL;
}

int sipd_sessions_request(const struct sipd_session_env *env, struct sipd_txn *tx,
                          const struct sipd_msg *req, const struct sipd_flow *from)
{
	(void)from;
	if (!req->to.tag.len)
		return -1;
	struct sipd_session *s = session_of(env, req);
	if (!s)
		return -1;
	if (req->method == SIPD_METHOD_ACK) {
		on_ack(s, req);
		return 0;
	}
	/* §12.2.2: out of order (500), or a session that is over (481) */
	unsigned bad = sipd_dialog_check_request(s->d, req);
	if (!bad && s->state == SIPD_SESSION_TERMINATED)
		bad = 481;
	if (bad) {
		send_response(s, tx, bad, bad == 500 ? "Request out of order" : NULL, SIPD_STR_NULL,
		              false, false, NULL);
		return 0;
	}
	sipd_dialog_take_request(s->d, req);
	switch (req->method) {
	case SIPD_METHOD_BYE:
		on_bye(s, tx, req);
		return 0;
	case SIPD_METHOD_PRACK:
		on_prack(s, tx, req);
		return 0;
	case SIPD_METHOD_INVITE:
	case SIPD_METHOD_UPDATE:
		on_modify(s, tx, req);
		return 0;
	default:
		if (!room_for(s, tx))
			return 0;
		add_pending(s, tx, false);
		if (!CB(s, request) || CB(s, request)(s->arg, s, tx, req) < 0)
			default_answer(s, tx, req);
		return 0;
	}
}

int sipd_sessions_server_done(const struct sipd_session_env *env, struct sipd_txn *tx,
                              bool timeout)
{
	(void)env;
	struct sipd_session *s = sipd_txn_user(tx);
	if (!s)
		return -1;
	drop_pending(s, tx);
	if (tx != s->invite)
		return 0;
	s->invite = NULL;
	if (s->wait_ack) {
		/* §13.3.1.4: no ACK for our 2xx by the end of its transaction
		 * (Timer L, or the transport failed under it, RFC 6026 §8.7):
		 * none will come; end with BYE */
		(void)timeout;
		s->wait_ack = false;
		send_bye(s, SIPD_SESSION_END_NO_ACK);
	} else if (s->bye_pending && s->state != SIPD_SESSION_TERMINATED) {
		send_bye(s, SIPD_SESSION_END_BYE_LOCAL);
	}
	return 0;
}

void sipd_session_free(struct sipd_session *s)
{
	if (!s)
		return;
	s->cb = NULL; /* no callback from here on */
	stop_timers(s);
	s->freed = true;
	if (s->state != SIPD_SESSION_TERMINATED) {
		/* Nothing may be left hanging on an INVITE without its final
		 * response: ours is cancelled (§9.1), and a 2xx that still comes
		 * is ACKed and ended with BYE (uac_answered, §15); the peer's gets
		 * 480 (as SIP.js's dispose() rejects). A confirmed session just
		 * stops: the dialog may live on elsewhere (sipd_dialog_snapshot). */
		sipd_session_cancel(s, NULL, now_of(s)); /* ours, if it is under way */
		if (s->uas && s->invite && s->state < SIPD_SESSION_WAIT_ACK &&
		    send_response(s, s->invite, 480, NULL, SIPD_STR_NULL, false, false, NULL) == 0)
			rel_final(s, 480);
		set_state(s, SIPD_SESSION_TERMINATED, SIPD_SESSION_END_NONE, NULL);
	}
	/* A re-INVITE of ours still without its final response is cancelled
	 * too: an INVITE client transaction has no timer once a provisional
	 * came, and §9.1 bounds it at 64*T1 once cancelled. Its 2xx, should
	 * one still come, is ACKed (modify_cb). */
	if (s->mod && s->mod->tx && !s->mod->update)
		sipd_txn_cancel(s->mod->tx, NULL, now_of(s));
	/* callbacks still pointing here: the last of them frees */
	if (!s->client_txns && !s->inv)
		session_release(s);
}

static void session_release(struct sipd_session *s)
{
	stop_timers(s);
	if (s->invite)
		sipd_txn_set_user(s->invite, NULL);
	for (size_t i = 0; i < s->npending; i++)
		sipd_txn_set_user(s->pending[i].tx, NULL);
	drop_dialog(s, SIPD_END_LOCAL);
	if (s->own_d)
		sipd_dialog_free(s->d);
	free(s->pending);
	sipd_oa_free(&s->oa);
	free(s->bye_reason);
	free(s->answer_hdrs);
	if (s->mod) {
		free(s->mod->offer);
		free(s->mod);
	}
	if (s->prov) {
		free(s->prov->body);
		free(s->prov->accept_body);
		free(s->prov);
	}
	free(s->forks);
	free(s->stx);
	free(s);
}

enum sipd_session_state sipd_session_state(const struct sipd_session *s) { return s->state; }
enum sipd_session_end sipd_session_end_reason(const struct sipd_session *s) { return s->end; }
struct sipd_dialog *sipd_session_dialog(const struct sipd_session *s) { return s->d; }
const struct sipd_oa *sipd_session_oa(const struct sipd_session *s) { return &s->oa; }
void *sipd_session_arg(const struct sipd_session *s) { return s->arg; }

/* ---------------------------------------------------------------- UAC */

static int send_in(struct sipd_session *s, struct sipd_dialog *d, const char *method,
                   const char *extra, sipd_txn_cb cb, uint32_t cseq, struct sipd_str body,
                   struct sipd_txn **out);
static void generic_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                       const struct sipd_msg *resp);

/* Our answer to the peer's offer, which the engine has taken: the answer
 * callback's, or when it returns none, one that refuses every stream (RFC
 * 3264 §6), since an offer in a 2xx or a reliable provisional must be
 * answered (RFC 3261 §13.2.2.4, RFC 3262 §5); *refused says which. Without
 * an answer callback (the B2BUA's legs) the offer is left unanswered, as
 * before. Returns 0, or non-zero with the offer rolled back (no callback, no
 * memory, or an offer without m= line to refuse). */
static int answer_offer(struct sipd_session *s, struct sipd_str offer, bool *refused)
{
	*refused = false;
	if (!CB(s, answer)) {
		sipd_oa_rollback(&s->oa);
		return -1;
	}
	struct sipd_str a = CB(s, answer)(s->arg, s, offer);
	char none[1024];
	*refused = !a.len;
	if (*refused) {
		int n = sipd_sdp_refuse(offer, none, sizeof none);
		a = (struct sipd_str){none, n > 0 ? (size_t)n : 0};
	}
	if (!a.len || sipd_oa_send_answer(&s->oa, a)) {
		sipd_oa_rollback(&s->oa);
		return -1;
	}
	return 0;
}

/* RFC 3262 §4: PRACK each reliable provisional once, in order, per fork;
 * returns false for a retransmission or one out of order (ignored). */
static bool uac_reliable(struct sipd_session *s, struct sipd_dialog *d, const struct sipd_msg *resp)
{
	size_t i = 0;
	while (i < s->nforks && s->forks[i].d != d)
		i++;
	int v;
	if (i == s->nforks) {
		/* a fork is tracked from its first reliable provisional on */
		struct sipd_rel_uac fresh;
		sipd_rel_uac_init(&fresh, resp->cseq.seq);
		v = sipd_rel_uac_recv(&fresh, resp);
		if (v == SIPD_REL_UNRELIABLE || s->nforks == MAX_FORKS)
			return true; /* nothing to track, or too many forks: unreliable */
		if (!s->forks && !(s->forks = calloc(MAX_FORKS, sizeof *s->forks)))
			return false; /* no memory: ignored, as the peer retransmits it */
		s->forks[i].d = d;
		s->forks[i].rel = fresh;
		s->nforks++;
	} else {
		v = sipd_rel_uac_recv(&s->forks[i].rel, resp);
	}
	if (v == SIPD_REL_UNRELIABLE)
		return true;
	if (v != SIPD_REL_NEW)
		return false;
	/* an answer to our offer, or the callee's offer, which the PRACK
	 * answers (§5) */
	struct sipd_str body = SIPD_STR_NULL;
	if (sipd_msg_has_session_body(resp)) {
		if (sipd_oa_state(&s->oa) == SIPD_OA_HAVE_LOCAL_OFFER) {
			sipd_oa_recv_answer(&s->oa, resp->body);
		} else if (sipd_oa_recv_offer(&s->oa, resp->body) == 0) {
			bool refused;
			if (answer_offer(s, resp->body, &refused) == 0)
				body = sipd_oa_local(&s->oa);
		}
	}
	char rack[64];
	struct sipd_buf b;
	sipd_buf_init(&b, rack, sizeof rack - 1);
	sipd_rel_uac_build_rack(&s->forks[i].rel, &b);
	rack[b.overflow ? 0 : b.len] = 0;
	send_in(s, d, "PRACK", rack, generic_cb, 0, body, NULL);
	return true;
}

static void uac_provisional(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                            const struct sipd_msg *resp)
{
	(void)inv;
	struct sipd_session *s = arg;
	if (s->state == SIPD_SESSION_TERMINATED)
		return; /* freed: the INVITE is being cancelled, nothing to PRACK */
	if (d && !uac_reliable(s, d, resp))
		return;
	if (d && !s->d) {
		s->d = d; /* the first early dialog; a 2xx may pick another fork */
		sipd_dialog_set_user(d, s);
	}
	if (resp->status > 100 && CB(s, provisional))
		CB(s, provisional)(s->arg, s, resp);
	if (d)
		set_state(s, SIPD_SESSION_EARLY, SIPD_SESSION_END_NONE, NULL);
}

static struct sipd_str uac_ack_body(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                                    const struct sipd_msg *resp)
{
	(void)inv;
	(void)d;
	struct sipd_session *s = arg;
	/* a retransmitted 2xx: the same ACK again (with our answer, if any) */
	if (s->state == SIPD_SESSION_CONFIRMED || s->state == SIPD_SESSION_TERMINATED)
		return sipd_oa_state(&s->oa) == SIPD_OA_STABLE && s->offer_in_2xx ? sipd_oa_local(&s->oa)
		                                                                   : SIPD_STR_NULL;
	enum sipd_oa_state oa = sipd_oa_state(&s->oa);
	if (oa == SIPD_OA_HAVE_LOCAL_OFFER) {
		/* a 2xx without the answer (§13.2.1), or no memory to keep it:
		 * nothing else will answer, the offer is taken back */
		if (!sipd_msg_has_session_body(resp) || sipd_oa_recv_answer(&s->oa, resp->body))
			sipd_oa_rollback(&s->oa);
		return SIPD_STR_NULL;
	}
	/* Once an exchange completed before the 2xx (in a reliable provisional
	 * and its PRACK, RFC 3262 §5, or an early UPDATE, RFC 3311 §5.1), the
	 * 2xx can bring no new offer: a description in it repeats the answer
	 * (§13.2.1, RFC 3264 §4, RFC 6337 §3.1.1), and the ACK carries none */
	if (oa != SIPD_OA_INITIAL)
		return SIPD_STR_NULL;
	/* late offer: the 2xx has the offer, the ACK our answer (§13.2.1) */
	if (!sipd_msg_has_session_body(resp) || sipd_oa_recv_offer(&s->oa, resp->body))
		return SIPD_STR_NULL;
	bool refused;
	int rc = answer_offer(s, resp->body, &refused);
	/* §13.2.2.4: "If the offer in the 2xx response is not acceptable, the
	 * UAC core MUST generate a valid answer in the ACK and then send a BYE
	 * immediately" */
	s->refused = refused;
	if (rc)
		return SIPD_STR_NULL;
	s->offer_in_2xx = true; /* remembered for the ACK of a retransmitted 2xx */
	return sipd_oa_local(&s->oa);
}

static void uac_answered(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                         const struct sipd_msg *resp)
{
	(void)inv;
	struct sipd_session *s = arg;
	if (s->d != d) {
		if (s->d && sipd_dialog_user(s->d) == s)
			sipd_dialog_set_user(s->d, NULL);
		s->d = d;
	}
	s->usage = true;
	sipd_dialog_usage_add(d);
	if (s->state == SIPD_SESSION_TERMINATED) {
		/* §15, §13.2.2.4: freed before its 2xx, the session wants no call:
		 * the INVITE client ACKed the 2xx, BYE ends it. No timer starts, no
		 * request reaches the session (481), and the dialog goes with it. */
		bye_only(s);
		drop_dialog(s, SIPD_END_LOCAL_BYE);
		return;
	}
	sipd_dialog_set_user(d, s);
	if (s->stx && sipd_st_recv_2xx(&s->stx->st, &s->stx->stc, resp) == 0)
		st_arm(s);
	peer_allows(s, resp);
	if (s->cancelled) {
		/* §9.1: the 2xx crossed our CANCEL: it was ACKed, now BYE */
		set_state(s, SIPD_SESSION_CONFIRMED, SIPD_SESSION_END_NONE, resp);
		send_bye(s, (enum sipd_session_end)s->cancel_end);
		return;
	}
	set_state(s, SIPD_SESSION_CONFIRMED, SIPD_SESSION_END_NONE, resp);
	if (s->refused && s->state == SIPD_SESSION_CONFIRMED) {
		/* §13.2.2.4: the offer of the 2xx refused in the ACK, then BYE */
		set_bye_reason(s, "SIP;cause=488;text=\"Not Acceptable Here\"");
		send_bye(s, SIPD_SESSION_END_BYE_LOCAL);
		return;
	}
	if (s->bye_pending)
		send_bye(s, SIPD_SESSION_END_BYE_LOCAL);
}

static void uac_failed(void *arg, struct sipd_invite *inv, const struct sipd_msg *resp)
{
	(void)inv;
	struct sipd_session *s = arg;
	sipd_oa_rollback(&s->oa);
	/* early dialogs end with the INVITE (the invite frees them) */
	if (s->d && sipd_dialog_state(s->d) != SIPD_DIALOG_CONFIRMED) {
		sipd_dialog_set_user(s->d, NULL);
		s->d = NULL;
	}
	set_state(s, SIPD_SESSION_TERMINATED,
	          s->cancelled ? (enum sipd_session_end)s->cancel_end
	          : (!resp || resp->status == 408) ? SIPD_SESSION_END_ERROR
	                                           : SIPD_SESSION_END_REJECTED,
	          resp);
}

static void uac_done(void *arg, struct sipd_invite *inv)
{
	(void)inv;
	struct sipd_session *s = arg;
	s->inv = NULL;
	/* an early dialog the invite freed is no longer ours */
	if (s->d && !s->usage && !s->own_d)
		s->d = NULL;
	if (s->freed && !s->client_txns)
		session_release(s);
}

static const struct sipd_invite_callbacks uac_invite_cb = {
	.size = sizeof uac_invite_cb,
	.provisional = uac_provisional,
	.answered = uac_answered,
	.failed = uac_failed,
	.done = uac_done,
	.ack_body = uac_ack_body,
};

int sipd_session_uac(const struct sipd_session_env *env, const struct sipd_request *req,
                     const struct sipd_session_opts *o, uint64_t now,
                     struct sipd_session **out)
{
	if (!env || !env->stack || !env->dialogs || !req || !o || !out)
		return SIPD_EINVAL;
	struct sipd_session *s = calloc(1, sizeof *s);
	if (!s)
		return SIPD_ENOMEM;
	s->env = *env;
	s->cb = o->cb;
	s->arg = o->arg;
	s->no_glare_retry = o->no_glare_retry;
	s->flow = req->flow;
	s->now = now;
	sipd_oa_init(&s->oa);
	if (st_setup(s, o->timer)) {
		free(s);
		return SIPD_ENOMEM;
	}
	if (o->share_with)
		sipd_oa_share(&s->oa, &o->share_with->oa);
	if (req->body.len && sipd_oa_send_offer(&s->oa, req->body)) {
		sipd_oa_free(&s->oa);
		free(s->stx);
		free(s);
		return SIPD_ENOMEM;
	}
	/* RFC 4028 §7.1: Supported: timer, Session-Expires, Min-SE */
	char hdrs[4096];
	struct sipd_request with_st = *req;
	if (s->stx) {
		struct sipd_buf hb;
		sipd_buf_init(&hb, hdrs, sizeof hdrs);
		sipd_buf_putstr(&hb, req->headers);
		sipd_st_write_request(&s->stx->st, &s->stx->stc, &hb);
		if (hb.overflow) {
			sipd_oa_free(&s->oa);
			free(s->stx);
			free(s);
			return SIPD_ENOSPC;
		}
		with_st.headers = (struct sipd_str){hdrs, hb.len};
		req = &with_st;
	}
	struct sipd_invite_opts io = {.size = sizeof io,
	                              .dialog = o->dialog,
	                              .fork_policy = SIPD_FORK_BYE,
	                              .cb = &uac_invite_cb,
	                              .arg = s};
	int rc = sipd_invite_send(env->stack, env->dialogs, req, &io, now, &s->inv);
	if (rc) {
		sipd_oa_free(&s->oa);
		free(s->stx);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int sipd_session_cancel(struct sipd_session *s, const char *reason, uint64_t now)
{
	tick(s, now);
	if (s->uas || !s->inv || s->state >= SIPD_SESSION_CONFIRMED || s->cancelled)
		return SIPD_ESTATE;
	int rc = sipd_invite_cancel(s->inv, reason, now_of(s));
	if (rc)
		return rc;
	s->cancelled = true;
	s->cancel_end = SIPD_SESSION_END_CANCELLED;
	/* a 2xx that crosses the CANCEL is ended by a BYE with the same Reason */
	if (reason)
		set_bye_reason(s, reason);
	return 0;
}

/* ---------------------------------------------------------------- modify */

static void glare_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);

static int send_modify(struct sipd_session *s);

/* What our re-INVITEs and UPDATEs need, allocated with the first. */
static struct modify *modify_state(struct sipd_session *s)
{
	if (!s->mod) {
		s->mod = calloc(1, sizeof *s->mod);
		if (s->mod)
			sipd_stack_timer_init(&s->mod->glare, glare_fired, s);
	}
	return s->mod;
}

static void modify_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                      const struct sipd_msg *resp)
{
	struct sipd_session *s = arg;
	if (ev == SIPD_TXN_TERMINATED) {
		if (s->mod->tx == tx)
			s->mod->tx = NULL;
		client_done(s);
		return;
	}
	if (ev == SIPD_TXN_RESPONSE && resp->status < 200)
		return;
	if (tx != s->mod->tx || !s->modifying || s->state == SIPD_SESSION_TERMINATED) {
		/* Not the answer awaited: a 2xx retransmitted after the first one
		 * was taken, or the 2xx of an earlier re-INVITE. Every 2xx to an
		 * INVITE gets its ACK, the same one again (§13.2.2.4, §14.1, RFC
		 * 6026 §8.10: the transaction hands each retransmission up). */
		if (ev == SIPD_TXN_RESPONSE && resp->status < 300 &&
		    resp->cseq.method == SIPD_METHOD_INVITE)
			send_in_dialog(s, "ACK", NULL, NULL, resp->cseq.seq, SIPD_STR_NULL);
		return;
	}
	s->mod->tx = NULL; /* answered: what else comes on it is a retransmission */
	unsigned code = resp ? resp->status : 408;
	if (code >= 200 && code < 300) {
		if (sipd_oa_state(&s->oa) == SIPD_OA_HAVE_LOCAL_OFFER &&
		    (!sipd_msg_has_session_body(resp) || sipd_oa_recv_answer(&s->oa, resp->body)))
			sipd_oa_rollback(&s->oa); /* no answer, or no memory to keep it */
		sipd_dialog_update_from_response(s->d, resp); /* target refresh, §12.2.1.2 */
		if (s->stx && sipd_st_recv_2xx(&s->stx->st, &s->stx->stc, resp) == 0)
			st_arm(s); /* RFC 4028 §7.2: the refresh worked */
		peer_allows(s, resp);
		if (!s->mod->update)
			send_in_dialog(s, "ACK", NULL, NULL, resp->cseq.seq, SIPD_STR_NULL);
		s->modifying = false;
		bool was_refresh = s->stx && s->stx->refreshing;
		if (s->stx)
			s->stx->refreshing = false;
		if (CB(s, modified) && !was_refresh)
			CB(s, modified)(s->arg, s, resp);
		return;
	}
	sipd_oa_rollback(&s->oa); /* RFC 6337 §3.1 */
	if (code == 491 && !s->no_glare_retry) {
		/* §14.1: try again after a random delay in units of 10 ms: 2.1-4 s
		 * when we own the Call-ID (we sent the dialog's first INVITE), else
		 * 0-2 s, each step equally likely */
		uint64_t delay = sipd_dialog_role(s->d) == SIPD_DIALOG_UAC
		                         ? 2100 + 10 * (uint64_t)rand_below(s, 191)
		                         : 10 * (uint64_t)rand_below(s, 201);
		sipd_stack_timer_arm(s->env.stack, &s->mod->glare, now_of(s) + delay);
		return;
	}
	if (code == 422 && s->stx) {
		/* RFC 4028 §7.3: ask again with the larger interval */
		uint32_t se;
		if (sipd_st_recv_422(&s->stx->st, &s->stx->stc, resp, &se) == 0 && send_modify(s) == 0)
			return;
	}
	s->modifying = false;
	bool was_refresh = s->stx && s->stx->refreshing;
	if (s->stx)
		s->stx->refreshing = false;
	if (CB(s, modified) && !was_refresh)
		CB(s, modified)(s->arg, s, resp);
	/* §14.1: a 481 or 408 to a re-INVITE ends the dialog (§12.2.1.2, and
	 * RFC 5057 for an UPDATE in an early dialog). The callee never BYEs an
	 * early dialog (§15): its INVITE gets a final response instead, which
	 * also ends the INVITE server transaction that would otherwise wait
	 * for an answer forever. */
	if (code == 481 || code == 408) {
		if (s->uas && s->invite && s->state <= SIPD_SESSION_EARLY) {
			send_response(s, s->invite, 500, NULL, SIPD_STR_NULL, false, false, NULL);
			invite_answered(s, 500, SIPD_SESSION_END_ERROR);
		} else
			send_bye(s, SIPD_SESSION_END_ERROR);
	}
}

static int send_modify(struct sipd_session *s)
{
	/* an UPDATE refresh carries no offer (RFC 4028 §10 allows it) */
	struct modify *m = s->mod;
	bool offer = m->len > 0;
	int rc = offer ? sipd_oa_send_offer(&s->oa, (struct sipd_str){m->offer, m->len}) : 0;
	if (rc)
		return rc;
	char sh[256] = "";
	if (s->stx) {
		struct sipd_buf sb;
		sipd_buf_init(&sb, sh, sizeof sh - 1);
		sipd_st_write_request(&s->stx->st, &s->stx->stc, &sb);
		sh[sb.overflow ? 0 : sb.len] = 0;
	}
	rc = send_in(s, s->d, m->update ? "UPDATE" : "INVITE", sh[0] ? sh : NULL, modify_cb, 0,
	             (struct sipd_str){m->offer, m->len}, &m->tx);
	if (rc) {
		if (offer)
			sipd_oa_rollback(&s->oa);
		return rc;
	}
	return 0;
}

static void glare_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	struct sipd_session *s = arg;
	if (s->state == SIPD_SESSION_TERMINATED || !s->modifying)
		return;
	/* §14.1: their INVITE (the one that crossed ours, or a later one) is
	 * still in progress: the re-INVITE waits until it is over, looking
	 * again every 100 ms (the session's end stops it) */
	if (!s->mod->update && peer_invite_in_progress(s) &&
	    sipd_stack_timer_arm(s->env.stack, t, now + 100) == 0)
		return;
	/* an offer of theirs still pending fails it */
	if (send_modify(s)) {
		s->modifying = false;
		if (CB(s, modified))
			CB(s, modified)(s->arg, s, NULL);
	}
}

int sipd_session_modify(struct sipd_session *s, struct sipd_str offer, bool update,
                        uint64_t now)
{
	tick(s, now);
	/* RFC 3311 §5.1: UPDATE also in an early dialog, once the first offer was
	 * answered (through a reliable provisional and PRACK) */
	bool early_update = update && s->state == SIPD_SESSION_EARLY && s->d;
	if ((s->state != SIPD_SESSION_CONFIRMED && !early_update) || s->modifying || s->wait_ack ||
	    (!update && peer_invite_in_progress(s)) || !offer.len ||
	    sipd_oa_state(&s->oa) != SIPD_OA_STABLE)
		return SIPD_ESTATE;
	struct modify *m = modify_state(s);
	if (!m || keep_copy(&m->offer, &m->len, offer))
		return SIPD_ENOMEM;
	m->update = update;
	int rc = send_modify(s);
	if (rc == 0)
		s->modifying = true;
	return rc;
}

/* ---------------------------------------------------------------- other requests */

static void generic_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                       const struct sipd_msg *resp)
{
	(void)tx;
	struct sipd_session *s = arg;
	if (ev == SIPD_TXN_TERMINATED) {
		client_done(s);
		return;
	}
	if (s->freed || (ev == SIPD_TXN_RESPONSE && resp->status < 200))
		return;
	const struct sipd_msg *r = resp;
	bool prack = r && r->cseq.method == SIPD_METHOD_PRACK;
	if (!prack && CB(s, response))
		CB(s, response)(s->arg, s, r);
	/* §12.2.1.2: 481 or 408 to a request within the dialog ends it */
	unsigned code = r ? r->status : 408;
	if ((code == 481 || code == 408) && s->state == SIPD_SESSION_CONFIRMED)
		send_bye(s, SIPD_SESSION_END_ERROR);
}

int sipd_session_request(struct sipd_session *s, const char *method, struct sipd_str headers,
                         const char *content_type, struct sipd_str body, uint64_t now)
{
	tick(s, now);
	enum sipd_method m = sipd_method_lookup(method, strlen(method));
	if (!s->d || s->state == SIPD_SESSION_TERMINATED || m == SIPD_METHOD_INVITE ||
	    m == SIPD_METHOD_ACK || m == SIPD_METHOD_BYE || m == SIPD_METHOD_CANCEL ||
	    m == SIPD_METHOD_PRACK)
		return SIPD_ESTATE;
	char extra[2048];
	int n = snprintf(extra, sizeof extra, "%.*s%s%s%s", (int)headers.len, headers.p ? headers.p : "",
	                 content_type ? "Content-Type: " : "", content_type ? content_type : "",
	                 content_type ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof extra)
		return SIPD_ENOSPC;
	/* the body goes without the session's own Content-Type */
	char buf[4096];
	struct sipd_request r;
	struct sipd_dialog_request dr = {.size = sizeof dr,
	                                 .method = {method, strlen(method)},
	                                 .headers = {extra, (size_t)n},
	                                 .body = body};
	struct sipd_str hop;
	int rc = sipd_dialog_request(s->d, &dr, buf, sizeof buf, &r, &hop);
	if (rc)
		return rc;
	r.flow = sipd_stack_dialog_flow(s->env.stack, hop, sipd_dialog_secure(s->d), &s->flow);
	rc = sipd_stack_request(s->env.stack, &r, generic_cb, s, now_of(s), NULL);
	if (rc == 0)
		s->client_txns++;
	return rc;
}

/* ---------------------------------------------------------------- session timers */

/* RFC 4028 §10: the refresher refreshes at half the interval; the other side
 * (and a refresher whose refresh did not succeed in time) ends the session
 * with BYE before the interval runs out. */
static void st_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_session *s = arg;
	if (s->state != SIPD_SESSION_CONFIRMED || !s->stx->st.interval)
		return;
	if (s->stx->st.we_refresh && !s->stx->refresh_sent) {
		s->stx->refresh_sent = true;
		/* whatever happens to the refresh, the session ends in time */
		sipd_stack_timer_arm(s->env.stack, &s->stx->timer, sipd_st_expire_at(&s->stx->st, s->stx->base));
		if (s->modifying || peer_invite_in_progress(s) ||
		    sipd_oa_state(&s->oa) != SIPD_OA_STABLE)
			return; /* an exchange under way refreshes too when it succeeds */
		/* UPDATE without a body when the peer allows it, else re-INVITE with
		 * our description again */
		struct sipd_str local = s->peer_update ? SIPD_STR_NULL : sipd_oa_local(&s->oa);
		struct modify *m = modify_state(s);
		if (m && keep_copy(&m->offer, &m->len, local) == 0) {
			m->update = s->peer_update;
			s->stx->refreshing = true;
			if (send_modify(s) == 0)
				s->modifying = true;
			else
				s->stx->refreshing = false;
		}
		return;
	}
	set_bye_reason(s, "SIP;cause=408;text=\"Session timer expired\"");
	send_bye(s, SIPD_SESSION_END_EXPIRED);
}

/* ---------------------------------------------------------------- Replaces */

unsigned sipd_sessions_replaces(const struct sipd_session_env *env, struct sipd_txn *invite,
                                struct sipd_session **old)
{
	*old = NULL;
	struct sipd_dialog *d = NULL;
	unsigned code = sipd_replaces_match(env->dialogs, sipd_txn_request(invite), &d);
	if (code)
		return code;
	if (d) {
		*old = sipd_dialog_user(d);
		if (!*old)
			return 481; /* a dialog without a session: nothing to replace */
	}
	return 0;
}

int sipd_session_replace(struct sipd_session *s, uint64_t now)
{
	tick(s, now);
	if (s->state == SIPD_SESSION_TERMINATED)
		return SIPD_ESTATE;
	if (!s->uas && s->inv && s->state < SIPD_SESSION_CONFIRMED) {
		/* the end reason waits for the CANCEL to end the INVITE (487), or
		 * for the BYE of a 2xx that crossed it */
		int rc = sipd_session_cancel(s, "SIP;cause=200;text=\"Replaced\"", now);
		if (rc == 0)
			s->cancel_end = SIPD_SESSION_END_REPLACED;
		return rc;
	}
	if (s->wait_ack || s->state < SIPD_SESSION_WAIT_ACK)
		return SIPD_ESTATE;
	set_bye_reason(s, "SIP;cause=200;text=\"Replaced\"");
	return send_bye(s, SIPD_SESSION_END_REPLACED);
}
