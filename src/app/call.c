/* The call (include/sipdialog/app.h): the state it keeps, its end and the
 * reaper, its session's events, and its making as a UAS or a UAC. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/auth.h>

#include "app/app_int.h"

/* ---------------------------------------------------------------- small helpers */

/* Keeps a copy of a message, parsed again over its own buffer. */
static struct msg_copy *msg_keep(const struct sipd_msg *m)
{
	if (!m || !m->buf || !m->len)
		return NULL;
	size_t nh = m->nhdrs ? m->nhdrs : 1;
	struct msg_copy *c = malloc(sizeof *c + nh * sizeof(struct sipd_hdr) + m->len);
	if (!c)
		return NULL;
	struct sipd_hdr *h = (struct sipd_hdr *)(void *)(c + 1);
	char *buf = (char *)(h + nh);
	memcpy(buf, m->buf, m->len);
	struct sipd_parse_limits lim = {.size = sizeof lim,
	                                .max_message = (uint32_t)m->len,
	                                .max_line = (uint32_t)m->len,
	                                .max_headers = (uint16_t)nh};
	if (m->len > UINT32_MAX ||
	    sipd_msg_parse(&c->m, h, nh, buf, m->len, SIPD_FRAME_DATAGRAM, &lim, NULL) <= 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* ---------------------------------------------------------------- calls: state kept */

int sipd_app_set_sdp(struct sipd_call *c, const char *sdp)
{
	size_t n = strlen(sdp);
	char *p = malloc(n + 1);
	if (!p)
		return SIPD_ENOMEM;
	memcpy(p, sdp, n + 1);
	free(c->sdp);
	c->sdp = p;
	c->sdp_len = n;
	c->dir = (uint8_t)sipd_app_dir_bits(sipd_sdp_direction((struct sipd_str){p, n}));
	return 0;
}

/* Our description now: the one agreed last, or the one given. */
struct sipd_str sipd_app_local_sdp(const struct sipd_call *c)
{
	struct sipd_str l = c->s ? sipd_oa_local(sipd_session_oa(c->s)) : SIPD_STR_NULL;
	return l.len ? l : (struct sipd_str){c->sdp, c->sdp_len};
}

/* The description to answer `offer` with by default (or to offer, when
 * `offer` is empty): ours, with the direction we want (not receiving while
 * we hold, RFC 3264 §8.4) that the offer allows (§6.1). *tmp is what to free
 * after. Returns 0, SIPD_ENOTFOUND (no description of ours) or SIPD_ENOMEM. */
static int default_sdp(const struct sipd_call *c, struct sipd_str offer, char **tmp,
                       struct sipd_str *out)
{
	*tmp = NULL;
	struct sipd_str local = sipd_app_local_sdp(c);
	if (!local.len)
		return SIPD_ENOTFOUND;
	unsigned want = c->dir & (c->local_hold ? DIR_SEND : DIR_BOTH);
	if (offer.len)
		want &= sipd_app_mirror(sipd_app_dir_bits(sipd_sdp_direction(offer)));
	size_t n = 0;
	int rc = sipd_app_sdp_with_dir(local, want, tmp, &n);
	if (rc)
		return rc;
	*out = *tmp ? (struct sipd_str){*tmp, n} : local;
	return 0;
}

static void set_ids(struct sipd_call *c, const struct sipd_str v[ID__COUNT])
{
	size_t total = 0;
	for (int i = 0; i < ID__COUNT; i++)
		total += v[i].len + 1;
	char *block = malloc(total);
	if (!block)
		return; /* the old ones stay */
	char *p = block;
	for (int i = 0; i < ID__COUNT; i++) {
		if (v[i].len)
			memcpy(p, v[i].p, v[i].len);
		p[v[i].len] = 0;
		c->id[i] = p;
		p += v[i].len + 1;
	}
	free(c->ids);
	c->ids = block;
}

/* The dialog's identifiers, kept: the dialog may go before the call does. */
static void refresh_ids(struct sipd_call *c)
{
	const struct sipd_dialog *d = c->s ? sipd_session_dialog(c->s) : NULL;
	if (!d)
		return;
	struct sipd_str v[ID__COUNT] = {sipd_dialog_call_id(d), sipd_dialog_local_tag(d),
	                                sipd_dialog_remote_tag(d), sipd_dialog_local_uri(d),
	                                sipd_dialog_remote_uri(d)};
	set_ids(c, v);
}

/* The URI of a From or To value given as a URI or a name-addr. */
static struct sipd_str uri_part(const char *v)
{
	struct sipd_nameaddr na;
	if (v && sipd_nameaddr_parse(&na, app_str_of(v), false, NULL) == 0)
		return na.uri.raw;
	return app_str_of(v);
}

static bool keep_tx(struct sipd_call *c, struct sipd_txn *tx)
{
	if (c->nheld == c->held_cap) {
		size_t cap = c->held_cap ? c->held_cap * 2 : 4;
		struct sipd_txn **p = realloc(c->held, cap * sizeof *p);
		if (!p)
			return false;
		c->held = p;
		c->held_cap = cap;
	}
	c->held[c->nheld++] = tx;
	return true;
}

bool sipd_app_forget_tx(struct sipd_call *c, const struct sipd_txn *tx)
{
	for (size_t i = 0; i < c->nheld; i++) {
		if (c->held[i] == tx) {
			c->held[i] = c->held[--c->nheld];
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- calls: the end */

static enum sipd_call_end end_reason(const struct sipd_call *c, enum sipd_session_end why,
                                     const struct sipd_msg *msg)
{
	if (c->local_end && why != SIPD_SESSION_END_BYE_REMOTE)
		return SIPD_CALL_END_LOCAL;
	switch (why) {
	case SIPD_SESSION_END_BYE_LOCAL: return SIPD_CALL_END_LOCAL;
	case SIPD_SESSION_END_BYE_REMOTE: return SIPD_CALL_END_REMOTE;
	case SIPD_SESSION_END_CANCELLED: return SIPD_CALL_END_CANCELLED;
	case SIPD_SESSION_END_REJECTED:
		/* a UAS session rejects on its own only when no PRACK came */
		return c->uas ? SIPD_CALL_END_TIMEOUT : SIPD_CALL_END_REJECTED;
	case SIPD_SESSION_END_NO_ACK:
	case SIPD_SESSION_END_EXPIRED: return SIPD_CALL_END_TIMEOUT;
	case SIPD_SESSION_END_REPLACED: return SIPD_CALL_END_REPLACED;
	case SIPD_SESSION_END_ERROR:
		return (msg && msg->status == 408) || (!c->uas && !c->answered && !msg)
		               ? SIPD_CALL_END_TIMEOUT
		               : SIPD_CALL_END_ERROR;
	default: return SIPD_CALL_END_ERROR;
	}
}

/* The call is over: `terminated` and the freeing wait for the reaper. */
void sipd_app_end_call(struct sipd_call *c, enum sipd_call_end why, const struct sipd_msg *msg)
{
	if (c->ended)
		return;
	struct sipd_app *app = c->app;
	c->ended = true;
	c->end_why = (uint8_t)why;
	c->end_msg = msg_keep(msg);
	c->nheld = 0; /* the session answered them 487 (RFC 3261 §15.1.2) */
	c->next_ended = app->ended;
	app->ended = c;
	if (!app->destroying)
		sipd_stack_timer_arm(app->stack, &app->reaper, sipd_stack_now(app->stack));
}

static void call_unlink(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	if (c->prev)
		c->prev->next = c->next;
	else if (app->calls == c)
		app->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

void sipd_app_call_free(struct sipd_call *c)
{
	call_unlink(c);
	sipd_app_owner_drop(c->app, &c->own);
	if (c->ticket)
		c->ticket->call = NULL;
	sipd_session_free(c->s);
	for (size_t i = 0; i < c->nretired; i++)
		sipd_session_free(c->retired[i]);
	free(c->retired);
	free(c->proxy);
	sipd_auth_client_destroy(c->auth);
	free(c->targets);
	free(c->reqs);
	free(c->end_msg);
	free(c->sdp);
	free(c->ids);
	free(c->held);
	free(c->uri);
	free(c->to);
	free(c->from);
	free(c->headers);
	free(c);
}

void sipd_app_phase(struct sipd_call *c, enum sipd_call_phase ph)
{
	if (ph <= c->phase)
		return;
	c->phase = (uint8_t)ph;
	struct sipd_app *app = c->app;
	if (app->cb.call_phase)
		app->cb.call_phase(app->user, app, c, ph, !c->uas);
}

static void deliver_end(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	sipd_app_phase(c, SIPD_CALL_TERMINATED);
	const struct sipd_msg *m = c->end_msg ? &c->end_msg->m : NULL;
	app->stats.calls_active--;
	if (!c->answered)
		app->stats.calls_failed++;
	if (!c->uas && !c->answered && c->cb.failed)
		c->cb.failed(c->user, c, m);
	if (c->cb.terminated)
		c->cb.terminated(c->user, c, (enum sipd_call_end)c->end_why, m);
}

void sipd_app_reap(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_app *app = arg;
	/* oldest first; calls that end meanwhile wait for the next round */
	struct sipd_call *list = NULL;
	while (app->ended) {
		struct sipd_call *c = app->ended;
		app->ended = c->next_ended;
		c->next_ended = list;
		list = c;
	}
	while (list) {
		struct sipd_call *c = list;
		list = c->next_ended;
		deliver_end(c);
		sipd_app_call_free(c);
	}
	sipd_app_sub_reap(app);
}

static void count_answer(struct sipd_call *c)
{
	if (c->answered)
		return;
	c->answered = true;
	c->app->stats.calls_answered++;
}

/* ---------------------------------------------------------------- calls: session events */

static int uac_send(struct sipd_call *c);

/* The session of an INVITE that failed, kept until the call goes (we are in
 * its callback); false when there is no room for it. */
static bool retire(struct sipd_call *c)
{
	if (c->nretired == c->retired_cap) {
		size_t cap = c->retired_cap ? c->retired_cap * 2 : 4;
		struct sipd_session **r = realloc(c->retired, cap * sizeof *r);
		if (!r)
			return false;
		c->retired = r;
		c->retired_cap = cap;
	}
	c->retired[c->nretired++] = c->s;
	c->s = NULL;
	return true;
}

/* RFC 3263 §4.3: a target that times out, cannot be reached or answers 503
 * before anything else makes way for the next one. */
static bool uac_failover(struct sipd_call *c, enum sipd_session_end why, const struct sipd_msg *msg)
{
	unsigned code = msg ? msg->status : 503;
	if (c->provisional || c->next_target >= c->ntargets ||
	    (why != SIPD_SESSION_END_REJECTED && why != SIPD_SESSION_END_ERROR) ||
	    (code != 503 && code != 408) || !retire(c))
		return false;
	return uac_send(c) == 0;
}

/* A new INVITE of the call to the target that answered the last one, CSeq
 * one more (§8.1.3.5); the failed session is kept until the call goes. */
static bool resend(struct sipd_call *c)
{
	if (!c->next_target || !retire(c))
		return false;
	c->cseq++;
	c->next_target--; /* uac_send() moved past it */
	return uac_send(c) == 0;
}

/* RFC 3261 §22.2: a challenge answered with credentials. */
static bool uac_authenticate(struct sipd_call *c, const struct sipd_msg *msg)
{
	if (!c->auth || c->auth_tries >= 2 || sipd_auth_client_challenge(c->auth, msg) ||
	    sipd_auth_client_give_up(c->auth, c->auth_tries))
		return false;
	c->auth_tries++;
	return resend(c);
}

/* RFC 3261 §8.1.3.4: a 3xx sends the INVITE to its first Contact that is a
 * sip or sips URI (resolved anew, or through the proxy), CSeq one more. */
static bool uac_redirect(struct sipd_call *c, const struct sipd_msg *msg)
{
	if (c->redirects >= c->max_redirects)
		return false;
	struct sipd_hdr_iter it;
	struct sipd_str v;
	struct sipd_nameaddr na;
	char *uri = NULL;
	sipd_hdr_iter_init(&it, msg, SIPD_HDR_CONTACT);
	while (!uri && sipd_hdr_iter_next(&it, &v))
		if (sipd_nameaddr_parse(&na, v, false, NULL) == 0 &&
		    (na.uri.kind == SIPD_URI_SIP || na.uri.kind == SIPD_URI_SIPS) &&
		    (uri = malloc(na.uri.raw.len + 1))) {
			memcpy(uri, na.uri.raw.p, na.uri.raw.len);
			uri[na.uri.raw.len] = 0;
		}
	if (!uri)
		return false;
	if (!retire(c)) {
		free(uri);
		return false;
	}
	free(c->uri);
	c->uri = uri;
	c->redirects++;
	c->cseq++;
	c->auth_tries = 0;
	c->provisional = false;
	/* the new target's resolution; its answer sends the INVITE */
	return sipd_app_resolve(c->app, c->proxy ? c->proxy : c->uri, c, NULL, &c->ticket) == 0;
}

/* RFC 4028 §7.3: a 422 to our INVITE is answered by a new INVITE (same
 * Call-ID, a new From tag) asking for at least the Min-SE it names;
 * bounded by max_422, and never the same request again. */
static bool uac_retry_422(struct sipd_call *c, const struct sipd_msg *msg)
{
	const struct sipd_hdr *h = sipd_msg_find(msg, SIPD_HDR_MIN_SE);
	struct sipd_session_expires min;
	unsigned max = c->timer.max_422 ? c->timer.max_422 : 3;
	if (!c->has_timer || !h || sipd_session_expires_parse(&min, h->value, NULL) ||
	    c->n422 >= max)
		return false;
	uint32_t asked = c->timer.session_expires ? c->timer.session_expires : 1800;
	if (min.delta <= asked && min.delta <= c->timer.min_se)
		return false; /* the same request would get the same 422 */
	c->timer.session_expires = min.delta > asked ? min.delta : asked;
	if (min.delta > c->timer.min_se)
		c->timer.min_se = min.delta;
	c->n422++;
	c->auth_tries = 0;
	sipd_stack_random_token(c->app->stack, c->tag, TAG_LEN);
	struct sipd_str v[ID__COUNT] = {app_str_of(c->call_id), app_str_of(c->tag), SIPD_STR_NULL,
	                                uri_part(c->from), uri_part(c->to)};
	set_ids(c, v);
	return resend(c);
}

/* What a UAC call does with a failure before its answer: credentials,
 * a larger session interval, a redirect, the next target, or nothing (the
 * call fails). */
static bool uac_retry(struct sipd_call *c, enum sipd_session_end why, const struct sipd_msg *msg)
{
	if (c->local_end)
		return false;
	if (why == SIPD_SESSION_END_REJECTED && msg && !msg->is_request) {
		if ((msg->status == 401 || msg->status == 407) && c->auth)
			return uac_authenticate(c, msg);
		if (msg->status == 422)
			return uac_retry_422(c, msg);
		if (msg->status >= 300 && msg->status < 400)
			return uac_redirect(c, msg);
	}
	return uac_failover(c, why, msg);
}

static void s_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                    enum sipd_session_end why, const struct sipd_msg *msg)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return;
	switch (st) {
	case SIPD_SESSION_EARLY:
		refresh_ids(c);
		sipd_app_phase(c, SIPD_CALL_EARLY);
		break;
	case SIPD_SESSION_WAIT_ACK: /* UAS: our 2xx is out */
		refresh_ids(c);
		count_answer(c);
		break;
	case SIPD_SESSION_CONFIRMED:
		refresh_ids(c);
		count_answer(c);
		sipd_app_phase(c, SIPD_CALL_CONFIRMED);
		if (c->uas) {
			if (c->cb.ack)
				c->cb.ack(c->user, c, c->app->cur_ack);
		} else if (!c->local_end && c->cb.answered) {
			c->cb.answered(c->user, c, msg);
		}
		break;
	case SIPD_SESSION_TERMINATED:
		if (!c->uas && !c->answered && uac_retry(c, why, msg))
			return;
		sipd_app_end_call(c, end_reason(c, why, msg), msg);
		break;
	default: break;
	}
}

static void s_provisional(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return;
	c->provisional = true;
	if (!resp->to.tag.len)
		sipd_app_phase(c, SIPD_CALL_PROCEEDING); /* with a tag: EARLY, from the state */
	if (c->cb.provisional)
		c->cb.provisional(c->user, c, resp);
}

static struct sipd_str s_answer(void *arg, struct sipd_session *s, struct sipd_str offer)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended || !c->cb.answer)
		return SIPD_STR_NULL;
	const char *a = c->cb.answer(c->user, c, offer);
	if (!a || !*a || sipd_app_set_sdp(c, a))
		return SIPD_STR_NULL;
	return (struct sipd_str){c->sdp, c->sdp_len};
}

static void s_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return;
	if (c->hold_pending) {
		c->hold_pending = false;
		if (!resp || resp->status < 200 || resp->status >= 300)
			c->local_hold = c->hold_before; /* RFC 6337 §3.1: rolled back */
	}
	if (c->cb.modified)
		c->cb.modified(c->user, c, resp);
}

static void s_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_call *c = arg;
	if (s != c->s || !c->nreqs)
		return;
	/* the request this answers, by its CSeq number; the oldest without one */
	size_t i = 0;
	while (resp && i < c->nreqs && c->reqs[i].cseq != resp->cseq.seq)
		i++;
	if (i == c->nreqs)
		i = 0;
	void *rarg = c->reqs[i].arg;
	/* RFC 3515 §2.4.1: an accepted REFER makes an implicit subscription */
	if (c->reqs[i].refer && resp && resp->status >= 200 && resp->status < 300)
		c->refer_sent = true;
	memmove(&c->reqs[i], &c->reqs[i + 1], (c->nreqs - i - 1) * sizeof c->reqs[0]);
	c->nreqs--;
	if (!c->ended && c->cb.response)
		c->cb.response(c->user, c, resp, rarg);
}

/* Answers a re-INVITE or UPDATE: with `sdp` (ours from now on), or by
 * default. */
int sipd_app_answer_modify(struct sipd_call *c, struct sipd_txn *tx, unsigned code, const char *sdp)
{
	uint64_t now = app_now(c->app);
	const struct sipd_msg *req = sipd_txn_request(tx);
	struct sipd_str offer = req && sipd_msg_has_session_body(req) ? req->body : SIPD_STR_NULL;
	if (code < 200 || code >= 300)
		return sipd_session_respond(c->s, tx, code, SIPD_STR_NULL, now);
	if (sdp && *sdp) {
		int rc = sipd_app_set_sdp(c, sdp);
		if (rc) {
			sipd_session_respond(c->s, tx, 500, SIPD_STR_NULL, now);
			return rc;
		}
		return sipd_session_respond(c->s, tx, code, (struct sipd_str){c->sdp, c->sdp_len},
		                            now);
	}
	char *tmp;
	struct sipd_str body;
	int rc = default_sdp(c, offer, &tmp, &body);
	if (rc) /* RFC 3261 §14.2: nothing to answer with */
		return sipd_session_respond(c->s, tx, rc == SIPD_ENOTFOUND ? 488 : 500,
		                            SIPD_STR_NULL, now);
	rc = sipd_session_respond(c->s, tx, code, body, now);
	free(tmp);
	return rc;
}

/* Hands a request to the application's callback: 0 when it took it, -1 for
 * the default answer. */
static int hand_over(struct sipd_call *c, sipd_call_request_cb cb, struct sipd_txn *tx,
                     const struct sipd_msg *req)
{
	if (!cb || !keep_tx(c, tx))
		return -1;
	if (cb(c->user, c, tx, req) >= 0 || c->ended)
		return 0;
	/* declined: the default, unless it answered all the same */
	return sipd_app_forget_tx(c, tx) ? -1 : 0;
}

/* The o= line of a description (RFC 4566 §5.2), empty when none. */
static struct sipd_str origin_line(struct sipd_str sdp)
{
	for (size_t i = 0; i + 2 <= sdp.len; i++) {
		if ((i == 0 || sdp.p[i - 1] == '\n') && sdp.p[i] == 'o' && sdp.p[i + 1] == '=') {
			size_t j = i;
			while (j < sdp.len && sdp.p[j] != '\r' && sdp.p[j] != '\n')
				j++;
			return (struct sipd_str){sdp.p + i, j - i};
		}
	}
	return SIPD_STR_NULL;
}

/* RFC 3264 §8: an offer with the o= line of the peer's current description
 * (same session id and version) does not change the session. */
static bool unchanged_offer(const struct sipd_call *c, struct sipd_str offer)
{
	struct sipd_str now = origin_line(sipd_call_remote_sdp(c));
	struct sipd_str o = origin_line(offer);
	return now.len && o.len == now.len && !memcmp(o.p, now.p, o.len);
}

static int on_modify(struct sipd_call *c, struct sipd_txn *tx, const struct sipd_msg *req)
{
	uint64_t now = app_now(c->app);
	struct sipd_str offer = sipd_msg_has_session_body(req) ? req->body : SIPD_STR_NULL;
	if (!offer.len && req->method == SIPD_METHOD_UPDATE) {
		/* a session refresh (RFC 4028 §10) or a target refresh: no offer,
		 * so no answer (RFC 3311 §5.2) */
		sipd_session_respond(c->s, tx, 200, SIPD_STR_NULL, now);
		if (c->cb.refresh && !c->ended)
			c->cb.refresh(c->user, c, req);
		return 0;
	}
	if (offer.len && unchanged_offer(c, offer)) {
		/* a refresh with the session as it is: our description again */
		sipd_app_answer_modify(c, tx, 200, NULL);
		if (c->cb.refresh && !c->ended)
			c->cb.refresh(c->user, c, req);
		return 0;
	}
	if (offer.len) {
		/* RFC 3264 §8.4: hold is a sendonly or inactive offer */
		bool held = sipd_sdp_is_hold(offer);
		if (held != c->remote_hold) {
			c->remote_hold = held;
			void (*cb)(void *, struct sipd_call *, const struct sipd_msg *) =
				held ? c->cb.hold : c->cb.unhold;
			if (cb)
				cb(c->user, c, req);
			if (c->ended)
				return 0;
		}
	}
	if (c->cb.modify && keep_tx(c, tx)) {
		if (c->cb.modify(c->user, c, tx, req, offer) >= 0 || c->ended ||
		    !sipd_app_forget_tx(c, tx))
			return 0;
	}
	sipd_app_answer_modify(c, tx, 200, NULL);
	return 0;
}

static int s_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                     const struct sipd_msg *req)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return -1;
	uint64_t now = app_now(c->app);
	switch (req->method) {
	case SIPD_METHOD_INVITE:
	case SIPD_METHOD_UPDATE: return on_modify(c, tx, req);
	case SIPD_METHOD_INFO:
		if (hand_over(c, c->cb.info, tx, req) == 0)
			return 0;
		/* RFC 6086 §4.2.2: 469 for a package we did not announce (we
		 * announce none); a legacy INFO, without a package, is taken */
		sipd_session_respond(s, tx, sipd_msg_find_name(req, "Info-Package") ? 469 : 200,
		                     SIPD_STR_NULL, now);
		return 0;
	case SIPD_METHOD_MESSAGE: return hand_over(c, c->cb.message, tx, req); /* default: 501 */
	case SIPD_METHOD_REFER:
		return hand_over(c, c->cb.refer, tx,
		                 req); /* default: 603, never accepted silently */
	case SIPD_METHOD_NOTIFY:
		if (hand_over(c, c->cb.notify, tx, req) == 0)
			return 0;
		/* RFC 3515 §2.4.4: the progress of our REFER; else RFC 6665
		 * §4.1.3: no such subscription */
		sipd_session_respond(s, tx, c->refer_sent ? 200 : 481, SIPD_STR_NULL, now);
		return 0;
	default: return hand_over(c, c->cb.request, tx, req); /* 200 to OPTIONS, else 501 */
	}
}

static const struct sipd_session_callbacks call_session_cb = {
	.size = sizeof call_session_cb,
	.state = s_state,
	.request = s_request,
	.modified = s_modified,
	.answer = s_answer,
	.response = s_response,
	.provisional = s_provisional,
};

/* ---------------------------------------------------------------- UAS */

static struct sipd_call *call_new(struct sipd_app *app, const struct sipd_call_callbacks *cb,
                                  void *user)
{
	struct sipd_call *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->app = app;
	app_copy_sized(&c->cb, sizeof c->cb, cb);
	c->user = user;
	c->dir = DIR_BOTH;
	return c;
}

static void call_register(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	c->next = app->calls;
	if (app->calls)
		app->calls->prev = c;
	app->calls = c;
	app->stats.calls_total++;
	sipd_app_count_call(app);
	app->stats.calls_active++;
}

int sipd_app_create_uas(struct sipd_app *app, struct sipd_incoming *in,
                        const struct sipd_uas_opts *opts, struct sipd_call **out)
{
	if (!in)
		return SIPD_EINVAL;
	if (out)
		*out = NULL;
	if (!in->own.tx || in->answered)
		return sipd_app_incoming_fail(in, 0, SIPD_ESTATE);
	if (!out || !opts ||
	    opts->size < offsetof(struct sipd_uas_opts, user) + sizeof opts->user ||
	    (opts->provisional && (opts->provisional < 101 || opts->provisional > 199)))
		return sipd_app_incoming_fail(in, 500, SIPD_EINVAL);
	struct sipd_call *c = call_new(app, opts->cb, opts->user);
	if (!c || (opts->sdp && *opts->sdp && sipd_app_set_sdp(c, opts->sdp))) {
		if (c)
			sipd_app_call_free(c);
		return sipd_app_incoming_fail(in, 503, SIPD_ENOMEM);
	}
	c->uas = true;
	char contact[400];
	if (sipd_app_contact_uri(app, in->from.local, contact, sizeof contact)) {
		sipd_app_call_free(c);
		return sipd_app_incoming_fail(in, 500, SIPD_EINVAL);
	}
	struct sipd_st_config timer;
	if (opts->timer) {
		app_copy_sized(&timer, sizeof timer, opts->timer);
		timer.size = sizeof timer;
	}
	struct sipd_session_opts so = {.size = sizeof so,
	                               .dialog = {.size = sizeof so.dialog,
	                                          .local_contact = app_str_of(contact),
	                                          .tls = in->from.transport == SIPD_TP_TLS},
	                               .cb = &call_session_cb,
	                               .arg = c,
	                               .rel_policy =
	                                       app_rel_policy(opts->no_100rel, opts->prefer_100rel),
	                               .timer = opts->timer ? &timer : NULL};
	uint64_t now = app_now(app);
	struct sipd_txn *tx = in->own.tx;
	int rc = sipd_session_uas(&app->env, tx, &in->from, &so, now, &c->s);
	if (rc) {
		c->s = NULL;
		sipd_app_call_free(c);
		/* EINVAL and EPARSE: refused and answered by the session (420,
		 * 421, 422, 400) */
		return sipd_app_incoming_fail(in, rc == SIPD_ENOMEM || rc == SIPD_ELIMIT ? 503 : 0,
		                              rc);
	}
	const char *hdrs = opts->size >= offsetof(struct sipd_uas_opts, headers) + sizeof opts->headers
	                           ? opts->headers
	                           : NULL;
	rc = hdrs ? sipd_session_set_answer_headers(c->s, hdrs) : 0;
	if (rc) { /* lines not ended by CRLF, or no memory: refused, not half-sent */
		c->ended = true;
		sipd_session_reject(c->s, rc == SIPD_ENOMEM ? 503 : 500, NULL, now);
		sipd_app_call_free(c);
		return sipd_app_incoming_fail(in, 0, rc);
	}
	if (sipd_app_owner_move(app, &in->own, &c->own, OWN_CALL)) {
		/* CANCEL would not find it: refuse the call rather than lose it */
		c->ended = true; /* no `terminated`: the application never had it */
		sipd_session_reject(c->s, 503, NULL, now);
		sipd_app_call_free(c);
		return sipd_app_incoming_fail(in, 0, SIPD_ENOMEM);
	}
	sipd_app_incoming_release(in);
	call_register(c);
	refresh_ids(c);
	const struct sipd_msg *req = sipd_txn_request(tx);
	if (req && sipd_msg_has_session_body(req))
		c->remote_hold = sipd_sdp_is_hold(req->body);
	struct sipd_str sdp = {c->sdp, c->sdp_len};
	if (opts->provisional)
		sipd_session_progress(c->s, opts->provisional,
		                      opts->early_media ? sdp : SIPD_STR_NULL, now);
	if (c->sdp && !c->ended && sipd_session_accept(c->s, sdp, now)) {
		/* the 2xx could not go: the call ends (terminated, ERROR) */
		sipd_app_end_call(c, SIPD_CALL_END_ERROR, NULL);
		sipd_session_reject(c->s, 500, NULL, now);
	}
	*out = c;
	sipd_runtime_kick(app->rt);
	return 0;
}

/* ---------------------------------------------------------------- UAC */

/* The INVITE to the next usable target (RFC 3263 §4.3): a new session with
 * the same Call-ID, tags and CSeq (a new transaction, not a new request). */
static int uac_send(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	for (; c->next_target < c->ntargets; c->next_target++) {
		const struct sipd_target *t = &c->targets[c->next_target];
		int local = sipd_app_pick_local(app, t->transport, t->addr.family);
		char contact[400];
		if (local < 0 ||
		    sipd_app_contact_uri(app, (uint16_t)local, contact, sizeof contact))
			continue;
		if (!c->from) {
			c->from = app_dup_str(contact);
			if (!c->from)
				return SIPD_ENOMEM;
			struct sipd_str v[ID__COUNT] = {app_str_of(c->call_id), app_str_of(c->tag),
			                                SIPD_STR_NULL, uri_part(c->from),
			                                uri_part(c->to)};
			set_ids(c, v);
		}
		bool na_from = strchr(c->from, '<') != NULL, na_to = strchr(c->to, '<') != NULL;
		size_t cap = strlen(c->from) + strlen(c->to) + strlen(contact) +
		             strlen(app->allow) + strlen(app->user_agent) +
		             (c->headers ? strlen(c->headers) : 0) +
		             (c->proxy ? strlen(c->proxy) + 16 : 0) + (c->auth_tries ? 2048 : 0) + 256;
		char *hdrs = malloc(cap);
		if (!hdrs)
			return SIPD_ENOMEM;
		/* an outbound proxy is a loose router (§8.1.2, §16.12) */
		bool lr = c->proxy && strstr(c->proxy, ";lr");
		int n = snprintf(hdrs, cap,
		                 "From: %s%s%s;tag=%s\r\nTo: %s%s%s\r\nCall-ID: %s\r\n"
		                 "CSeq: %u INVITE\r\nMax-Forwards: 70\r\nContact: <%s>\r\n"
		                 "Allow: %s\r\nSupported: 100rel\r\nUser-Agent: %s\r\n%s%s%s%s",
		                 na_from ? "" : "<", c->from, na_from ? "" : ">", c->tag,
		                 na_to ? "" : "<", c->to, na_to ? "" : ">", c->call_id,
		                 (unsigned)c->cseq, contact, app->allow, app->user_agent,
		                 c->proxy ? "Route: <" : "", c->proxy ? c->proxy : "",
		                 c->proxy ? (lr ? ">\r\n" : ";lr>\r\n") : "",
		                 c->headers ? c->headers : "");
		if (n > 0 && (size_t)n < cap && c->auth_tries) {
			struct sipd_buf b;
			sipd_buf_init(&b, hdrs + n, cap - (size_t)n);
			if (sipd_auth_client_authorize(c->auth, &b, (struct sipd_str){"INVITE", 6},
			                               app_str_of(c->uri), (struct sipd_str){c->sdp, c->sdp_len}) ||
			    b.overflow)
				n = -1;
			else
				n += (int)b.len;
		}
		struct sipd_request req = {.size = sizeof req,
		                           .method = {"INVITE", 6},
		                           .uri = app_str_of(c->uri),
		                           .headers = {hdrs, n > 0 ? (size_t)n : 0},
		                           .content_type = c->sdp ? "application/sdp" : NULL,
		                           .body = {c->sdp, c->sdp_len},
		                           .flow = {.transport = t->transport,
		                                    .local = (uint16_t)local,
		                                    .remote = t->addr}};
		struct sipd_session_opts so = {.size = sizeof so,
		                               .dialog = {.size = sizeof so.dialog,
		                                          .local_contact = app_str_of(contact),
		                                          .tls = t->transport == SIPD_TP_TLS},
		                               .cb = &call_session_cb,
		                               .arg = c,
		                               .timer = c->has_timer ? &c->timer : NULL};
		int rc = n > 0 && (size_t)n < cap
		                 ? sipd_session_uac(&app->env, &req, &so, app_now(app), &c->s)
		                 : SIPD_ENOSPC;
		free(hdrs);
		if (rc == 0) {
			c->next_target++;
			return 0;
		}
		c->s = NULL;
	}
	return SIPD_ENOTFOUND;
}

void sipd_app_uac_resolved(struct sipd_call *c, int status, const struct sipd_target *t, size_t n)
{
	if (c->ended)
		return;
	c->ntargets = 0;
	c->next_target = 0;
	free(c->targets); /* a redirect's resolution replaces the first */
	c->targets = NULL;
	if (status == 0 && n) {
		c->targets = malloc(n * sizeof *c->targets);
		if (c->targets) {
			memcpy(c->targets, t, n * sizeof *t);
			c->ntargets = n;
		}
	}
	if (uac_send(c))
		sipd_app_end_call(c, SIPD_CALL_END_UNREACHABLE, NULL);
	else if (!c->trying_told) {
		c->trying_told = true;
		if (c->app->cb.call_phase) /* from the loop: the INVITE is out */
			c->app->cb.call_phase(c->app->user, c->app, c, SIPD_CALL_TRYING, true);
	}
}

/* Random bytes for the digest client's cnonces: the stack's strong source. */
static void auth_random(void *user, void *buf, size_t len)
{
	struct sipd_app *app = user;
	sipd_stack_random(app->stack, buf, len);
}

int sipd_app_create_uac(struct sipd_app *app, const char *uri, const struct sipd_uac_opts *opts,
                        struct sipd_call **out)
{
	if (!out)
		return SIPD_EINVAL;
	*out = NULL;
	if (!app || !uri || !opts ||
	    opts->size < offsetof(struct sipd_uac_opts, user) + sizeof opts->user)
		return SIPD_EINVAL;
	struct sipd_call *c = call_new(app, opts->cb, opts->user);
	if (!c)
		return SIPD_ENOMEM;
	c->uri = app_dup_str(uri);
	c->to = app_dup_str(opts->to ? opts->to : uri);
	c->from = opts->from ? app_dup_str(opts->from) : NULL;
	c->headers = opts->headers ? app_dup_str(opts->headers) : NULL;
	c->cseq = 1;
	/* what came after `user` in later versions of the options */
#define UAC_HAS(f) (opts->size >= offsetof(struct sipd_uac_opts, f) + sizeof opts->f)
	const char *proxy = UAC_HAS(proxy) ? opts->proxy : NULL;
	const char *username = UAC_HAS(password) ? opts->username : NULL;
	const char *password = UAC_HAS(password) ? opts->password : NULL;
	c->max_redirects = UAC_HAS(max_redirects) ? opts->max_redirects : 0;
#undef UAC_HAS
	c->proxy = proxy ? app_dup_str(proxy) : NULL;
	if (username && password) {
		struct sipd_auth_client_config ac = {.size = sizeof ac,
		                                     .username = username,
		                                     .password = password,
		                                     .random = auth_random,
		                                     .user = app};
		if (!(c->auth = sipd_auth_client_create(&ac))) {
			sipd_app_call_free(c);
			return SIPD_EINVAL;
		}
	}
	if (!c->uri || !c->to || (opts->from && !c->from) || (opts->headers && !c->headers) ||
	    (proxy && !c->proxy) ||
	    (opts->sdp && *opts->sdp && sipd_app_set_sdp(c, opts->sdp))) {
		sipd_app_call_free(c);
		return SIPD_ENOMEM;
	}
	if (opts->timer) {
		app_copy_sized(&c->timer, sizeof c->timer, opts->timer);
		c->timer.size = sizeof c->timer;
		c->has_timer = true;
	}
	sipd_stack_random_token(app->stack, c->call_id, CALL_ID_LEN);
	sipd_stack_random_token(app->stack, c->tag, TAG_LEN);
	struct sipd_str v[ID__COUNT] = {app_str_of(c->call_id), app_str_of(c->tag), SIPD_STR_NULL,
	                                uri_part(c->from), uri_part(c->to)};
	set_ids(c, v);
	int rc = sipd_app_resolve(app, c->proxy ? c->proxy : uri, c, NULL, &c->ticket);
	if (rc) {
		sipd_app_call_free(c);
		return rc;
	}
	call_register(c);
	*out = c;
	return 0;
}
