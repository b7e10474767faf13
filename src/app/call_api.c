/* What a call does and what it is: the sipd_call_* functions of
 * include/sipdialog/app.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

#define MAX_REQUESTS 32 /* our requests within one call waiting for a response */

/* ---------------------------------------------------------------- what a call does */

int sipd_call_answer(struct sipd_call *c, const char *sdp)
{
	if (!c)
		return SIPD_EINVAL;
	if (!c->uas || c->ended || !c->s || sipd_session_state(c->s) > SIPD_SESSION_EARLY)
		return SIPD_ESTATE;
	if (!sdp || !*sdp)
		return SIPD_EINVAL;
	int rc = sipd_app_set_sdp(c, sdp);
	if (rc == 0)
		rc = sipd_session_accept(c->s, (struct sipd_str){c->sdp, c->sdp_len},
		                         app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_progress(struct sipd_call *c, unsigned code, const char *sdp)
{
	if (!c || code < 101 || code > 199)
		return SIPD_EINVAL;
	if (!c->uas || c->ended || !c->s)
		return SIPD_ESTATE;
	int rc = sdp && *sdp ? sipd_app_set_sdp(c, sdp) : 0;
	if (rc == 0)
		rc = sipd_session_progress(c->s, code,
		                           sdp && *sdp ? app_str_of(c->sdp) : SIPD_STR_NULL,
		                           app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

/* A UAC call that has not sent its INVITE yet (the name resolves) just
 * ends. */
static int end_unsent(struct sipd_call *c)
{
	c->local_end = true;
	sipd_app_end_call(c, SIPD_CALL_END_LOCAL, NULL);
	sipd_runtime_kick(c->app->rt);
	return 0;
}

int sipd_call_cancel(struct sipd_call *c)
{
	if (!c)
		return SIPD_EINVAL;
	if (c->uas || c->ended || c->answered)
		return SIPD_ESTATE;
	if (!c->s)
		return end_unsent(c);
	int rc = sipd_session_cancel(c->s, NULL, app_now(c->app));
	if (rc == 0)
		c->local_end = true;
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_destroy(struct sipd_call *c, const char *reason)
{
	if (!c)
		return SIPD_EINVAL;
	if (c->ended || c->local_end)
		return SIPD_ESTATE;
	if (!c->s)
		return end_unsent(c);
	uint64_t now = app_now(c->app);
	enum sipd_session_state st = sipd_session_state(c->s);
	int rc;
	c->local_end = true; /* before: the end may be reported from inside */
	if (c->uas && st < SIPD_SESSION_WAIT_ACK)
		rc = sipd_session_reject(c->s, 480, NULL, now);
	else if (!c->uas && st < SIPD_SESSION_CONFIRMED)
		rc = sipd_session_cancel(c->s, reason, now);
	else
		rc = sipd_session_bye(c->s, reason, now);
	if (rc && !c->ended)
		c->local_end = false;
	sipd_runtime_kick(c->app->rt);
	return rc;
}

static int send_offer(struct sipd_call *c, struct sipd_str offer)
{
	if (c->ended || !c->s)
		return SIPD_ESTATE;
	int rc = sipd_session_modify(c->s, offer, false, app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_modify(struct sipd_call *c, const char *sdp)
{
	if (!c || !sdp || !*sdp)
		return SIPD_EINVAL;
	int rc = send_offer(c, app_str_of(sdp));
	if (rc == 0) {
		sipd_app_set_sdp(c, sdp); /* the session has its own copy if this fails */
		c->local_hold = false;
	}
	return rc;
}

static int change_hold(struct sipd_call *c, bool hold)
{
	if (!c)
		return SIPD_EINVAL;
	if (c->local_hold == hold || c->hold_pending)
		return SIPD_ESTATE;
	struct sipd_str local = sipd_app_local_sdp(c);
	if (!local.len)
		return SIPD_ESTATE;
	/* RFC 3264 §8.4: sendrecv becomes sendonly, recvonly inactive */
	unsigned want = hold ? c->dir & DIR_SEND : c->dir;
	char *tmp;
	size_t n = 0;
	int rc = sipd_app_sdp_with_dir(local, want, &tmp, &n);
	if (rc)
		return rc;
	rc = send_offer(c, tmp ? (struct sipd_str){tmp, n} : local);
	free(tmp);
	if (rc == 0) {
		c->hold_before = c->local_hold;
		c->local_hold = hold;
		c->hold_pending = true;
	}
	return rc;
}

int sipd_call_hold(struct sipd_call *c)
{
	return change_hold(c, true);
}

int sipd_call_unhold(struct sipd_call *c)
{
	return change_hold(c, false);
}

int sipd_call_request(struct sipd_call *c, const struct sipd_call_request *r)
{
	if (!c || !r || r->size < offsetof(struct sipd_call_request, arg) + sizeof r->arg ||
	    !r->method || !*r->method || (r->body && !r->content_type))
		return SIPD_EINVAL;
	if (c->ended || !c->s)
		return SIPD_ESTATE;
	if (c->nreqs == c->reqs_cap) {
		if (c->reqs_cap == MAX_REQUESTS)
			return SIPD_ELIMIT;
		size_t cap = c->reqs_cap ? c->reqs_cap * 2 : 2;
		struct our_request *p = realloc(c->reqs, cap * sizeof *p);
		if (!p)
			return SIPD_ENOMEM;
		c->reqs = p;
		c->reqs_cap = cap;
	}
	struct sipd_str body = {r->body,
	                        r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0};
	int rc = sipd_session_request(c->s, r->method, app_str_of(r->headers), r->content_type,
	                              body, app_now(c->app));
	if (rc == 0) {
		uint32_t seq = 0;
		const struct sipd_dialog *d = sipd_session_dialog(c->s);
		if (d)
			sipd_dialog_local_seq(d, &seq);
		c->reqs[c->nreqs++] =
			(struct our_request){seq, !strcmp(r->method, "REFER"), r->arg};
	}
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_respond(struct sipd_call *c, struct sipd_txn *tx, unsigned code, const char *sdp)
{
	if (!c || !tx || code < 200 || code > 699)
		return SIPD_EINVAL;
	if (c->ended || !c->s)
		return SIPD_ESTATE;
	if (!sipd_app_forget_tx(c, tx))
		return SIPD_EINVAL;
	const struct sipd_msg *req = sipd_txn_request(tx);
	int rc;
	if (req && (req->method == SIPD_METHOD_INVITE || req->method == SIPD_METHOD_UPDATE))
		rc = sipd_app_answer_modify(c, tx, code, sdp);
	else
		rc = sipd_session_respond(c->s, tx, code, SIPD_STR_NULL, app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

/* ---------------------------------------------------------------- what a call is */

const char *sipd_call_end_name(enum sipd_call_end why)
{
	switch (why) {
	case SIPD_CALL_END_LOCAL: return "local";
	case SIPD_CALL_END_REMOTE: return "remote-bye";
	case SIPD_CALL_END_CANCELLED: return "cancelled";
	case SIPD_CALL_END_REJECTED: return "rejected";
	case SIPD_CALL_END_TIMEOUT: return "timeout";
	case SIPD_CALL_END_UNREACHABLE: return "unreachable";
	case SIPD_CALL_END_ERROR: return "error";
	case SIPD_CALL_END_REPLACED: return "replaced";
	default: return "unknown";
	}
}

static const char *id_of(const struct sipd_call *c, int i)
{
	return c->id[i] ? c->id[i] : "";
}

const char *sipd_call_call_id(const struct sipd_call *c)
{
	return id_of(c, ID_CALL_ID);
}

const char *sipd_call_local_tag(const struct sipd_call *c)
{
	return id_of(c, ID_LOCAL_TAG);
}

const char *sipd_call_remote_tag(const struct sipd_call *c)
{
	return id_of(c, ID_REMOTE_TAG);
}

const char *sipd_call_local_uri(const struct sipd_call *c)
{
	return id_of(c, ID_LOCAL_URI);
}

const char *sipd_call_remote_uri(const struct sipd_call *c)
{
	return id_of(c, ID_REMOTE_URI);
}

/* The contacts are the dialog's: none before it exists (a UAC call before
 * its first response with a tag). */
struct sipd_str sipd_call_local_contact(const struct sipd_call *c)
{
	const struct sipd_dialog *d = c->s ? sipd_session_dialog(c->s) : NULL;
	return d ? sipd_dialog_local_contact(d) : SIPD_STR_NULL;
}

struct sipd_str sipd_call_remote_contact(const struct sipd_call *c)
{
	const struct sipd_dialog *d = c->s ? sipd_session_dialog(c->s) : NULL;
	return d ? sipd_dialog_remote_target(d) : SIPD_STR_NULL;
}

struct sipd_str sipd_call_remote_sdp(const struct sipd_call *c)
{
	return c->s ? sipd_oa_remote(sipd_session_oa(c->s)) : SIPD_STR_NULL;
}

struct sipd_str sipd_call_local_sdp(const struct sipd_call *c)
{
	return sipd_app_local_sdp(c);
}

enum sipd_session_state sipd_call_state(const struct sipd_call *c)
{
	if (c->ended)
		return SIPD_SESSION_TERMINATED;
	return c->s ? sipd_session_state(c->s) : SIPD_SESSION_INITIAL;
}

bool sipd_call_is_uas(const struct sipd_call *c)
{
	return c->uas;
}

bool sipd_call_held(const struct sipd_call *c)
{
	return c->local_hold;
}

bool sipd_call_remote_held(const struct sipd_call *c)
{
	return c->remote_hold;
}

void *sipd_call_user(const struct sipd_call *c)
{
	return c->user;
}

void sipd_call_set_user(struct sipd_call *c, void *user)
{
	c->user = user;
}

struct sipd_app *sipd_call_app(const struct sipd_call *c)
{
	return c->app;
}

struct sipd_session *sipd_call_session(const struct sipd_call *c)
{
	return c->s;
}

enum sipd_call_phase sipd_call_phase(const struct sipd_call *call)
{
	return (enum sipd_call_phase)call->phase;
}

const char *sipd_call_phase_name(enum sipd_call_phase ph)
{
	static const char *const names[] = {"trying", "proceeding", "early", "confirmed",
	                                    "terminated"};
	return (unsigned)ph < 5 ? names[ph] : "?";
}
