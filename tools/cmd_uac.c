/* sipdialog uac: places calls to a target and checks that each went as asked:
 * INVITE with an SDP offer, then in the call the requests asked for
 * (re-INVITE, UPDATE, INFO), a pause, and BYE. Exits 0 only when every call
 * did so; prints a summary. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <sipdialog/auth.h>
#include <sipdialog/runtime.h>
#include <sipdialog/subscription.h>
#include <sipdialog/session.h>

#include "commands.h"
#include "trace.h"
#include "transfer.h"
#include "util.h"

#define MAX_LISTEN 16

enum step { STEP_REINVITE, STEP_UPDATE, STEP_INFO, STEP_MESSAGE, STEP_HOLD, STEP_REFER, STEP__COUNT };

struct uac {
	struct sipd_runtime *rt;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	const char *to, *from;
	struct sipd_uri to_uri;
	struct sipd_target target;
	bool resolved;
	const char *credentials; /* USER:PASS */
	const char *refer_to;    /* --refer */
	struct sipd_subscriptions *subs;
	bool accept_refer;            /* --accept-refer */
	struct transfers *transfers; /* the calls placed for REFERs we accepted */
	struct sipd_auth_client *auth;
	unsigned calls, concurrency, rate;
	uint32_t duration, session_expires, answer_timeout;
	bool steps[STEP__COUNT];
	bool verbose;
	struct tool_output out;
	uv_timer_t stats;
	uv_timer_t linger_timer;
	uint32_t linger; /* ms to stay up after the last call */
	/* progress */
	unsigned started, active, answered, succeeded, failed, unanswered;
	unsigned peer_ended; /* answered calls the callee ended with BYE */
	unsigned by_status[700];
	uv_timer_t pacer;
	bool stopping;
	struct call *open;
	int exit;
};

struct call {
	struct call *prev, *next;
	struct uac *u;
	struct sipd_session *s;
	unsigned id;
	int step;        /* the in-call step under way, or -1 before the first */
	bool failed;
	bool done;       /* terminated and counted */
	uv_timer_t hold; /* the wait for an answer, then the pause before BYE */
	struct sipd_flow flow;
	char tag[12], callid[24];
	uint32_t cseq;
	/* sessions of INVITEs that were challenged (RFC 3261 §22.2): freed with
	 * the call, not under their own callbacks */
	struct sipd_session *challenged[2];
	unsigned tries;
	/* RFC 4028 §7.3: INVITEs a 422 ended (freed with the call), and the
	 * session interval and Min-SE asked for since */
	struct sipd_session *too_brief[2];
	unsigned n422;
	uint32_t se, min_se;
	struct sipd_subscription *refer; /* --refer: the REFER's subscription */
	int refer_status;                /* the last sipfrag status, or the REFER's refusal */
	unsigned step_retries;           /* of the current step, after 500 Retry-After */
};

static void uac_usage(FILE *f)
{
	fputs("usage: sipdialog uac --listen SPEC --to URI [--from URI] [--calls N] [--rate R]\n"
	      "                     [--concurrency C] [--duration MS] [--answer-timeout S]\n"
	      "                     [--reinvite] [--update] [--info] [--message] [--hold]\n"
	      "                     [--refer URI] [--accept-refer]\n"
	      "                     [--session-expires S] [--auth USER:PASS] [--trace]\n"
	      "                     [--ladder] [--log-format text|json] [--stats-interval S]\n"
	      "                     [--verbose]\n"
	      "\n"
	      "  --listen SPEC        udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT\n"
	      "  --to URI             whom to call (resolved as RFC 3263 says)\n"
	      "  --from URI           who calls (default sip:uac@<listener>)\n"
	      "  --calls N            calls to place (default 1)\n"
	      "  --rate R             new calls per second (default 10)\n"
	      "  --concurrency C      calls at once at most (default 10)\n"
	      "  --duration MS        how long each call stays up before BYE (default 0)\n"
	      "  --answer-timeout S   CANCEL a call not answered in S seconds (default 32)\n"
	      "  --linger MS          stay up MS after the last call (default 0)\n"
	      "  --reinvite           a re-INVITE with a new offer in each call\n"
	      "  --update             an UPDATE with a new offer in each call\n"
	      "  --info               an INFO in each call\n"
	      "  --message            a MESSAGE in each call\n"
	      "  --hold               a re-INVITE putting the call on hold (sendonly)\n"
	      "  --refer URI          transfer the callee to URI (REFER, RFC 3515); the step\n"
	      "                       succeeds when the last sipfrag NOTIFY says 2xx\n"
	      "  --accept-refer       accept a REFER from the callee (202), place the referred\n"
	      "                       call (to a numeric host) and report it in sipfrag\n"
	      "                       NOTIFYs (RFC 3515); it is held for --duration too\n"
	      "  --session-expires S  ask for session timers (RFC 4028)\n"
	      "  --auth USER:PASS     answer 401/407 challenges with digest credentials\n"
	      "  --verbose            print what each call does\n",
	      f);
	fputs(tool_output_usage, f);
}

static void call_free(struct call *c);
static void next_step(struct call *c);
static int send_invite(struct call *c, const struct sipd_msg *challenge);

static void call_closed(uv_handle_t *h)
{
	struct call *c = h->data;
	if (c->s)
		sipd_session_free(c->s);
	for (unsigned i = 0; i < c->tries; i++)
		sipd_session_free(c->challenged[i]);
	for (unsigned i = 0; i < c->n422; i++)
		sipd_session_free(c->too_brief[i]);
	free(c);
}

static void call_free(struct call *c)
{
	struct uac *u = c->u;
	if (c->prev)
		c->prev->next = c->next;
	else
		u->open = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->hold, call_closed);
}

static void linger_over(uv_timer_t *t)
{
	struct uac *u = t->data;
	sipd_runtime_stop(u->rt);
}

static void maybe_finish(struct uac *u)
{
	if (u->active != 0 || transfers_live(u->transfers) ||
	    (u->started != u->calls && !u->stopping))
		return;
	/* --linger: connections stay open a while for the peer to finish its
	 * side of the last exchange (some close a call on a connection reset) */
	if (u->linger && !uv_is_active((uv_handle_t *)&u->linger_timer))
		uv_timer_start(&u->linger_timer, linger_over, u->linger, 0);
	else if (!u->linger)
		sipd_runtime_stop(u->rt);
}

static void count_end(struct call *c, bool ok)
{
	struct uac *u = c->u;
	if (c->done)
		return;
	c->done = true;
	u->active--;
	if (ok && !c->failed)
		u->succeeded++;
	else
		u->failed++;
}

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)s;
	struct call *c = arg;
	struct uac *u = c->u;
	if (st == SIPD_SESSION_CONFIRMED && c->step < 0) {
		uv_timer_stop(&c->hold);
		u->answered++;
		if (msg)
			u->by_status[msg->status < 700 ? msg->status : 0]++;
		else
			u->by_status[200]++;
		if (u->verbose)
			fprintf(stderr, "call %u: answered\n", c->id);
		next_step(c);
		return;
	}
	if (st != SIPD_SESSION_TERMINATED)
		return;
	/* a challenge: the INVITE again with credentials, as often as the
	 * digest rules allow (RFC 3261 §22.1, §22.2) */
	/* RFC 4028 §7.3: 422 Session Interval Too Small: a new INVITE (new
	 * From tag, CSeq one more) asking for the Min-SE it names */
	const struct sipd_hdr *mse = msg ? sipd_msg_find(msg, SIPD_HDR_MIN_SE) : NULL;
	struct sipd_session_expires min;
	if (why == SIPD_SESSION_END_REJECTED && msg && msg->status == 422 && u->session_expires &&
	    mse && sipd_session_expires_parse(&min, mse->value, NULL) == 0 && c->n422 < 2 &&
	    min.delta > (c->se ? c->se : u->session_expires) && !u->stopping) {
		c->too_brief[c->n422++] = c->s;
		c->s = NULL;
		c->se = c->min_se = min.delta;
		sipd_stack_random_token(sipd_runtime_stack(u->rt), c->tag, sizeof c->tag);
		if (u->verbose)
			fprintf(stderr, "call %u: 422, INVITE again asking for %u s\n", c->id,
			        (unsigned)min.delta);
		if (send_invite(c, NULL) == 0)
			return;
	}
	if (why == SIPD_SESSION_END_REJECTED && msg && (msg->status == 401 || msg->status == 407) &&
	    u->auth && c->tries < 2 && !u->stopping &&
	    sipd_auth_client_challenge(u->auth, msg) == 0 &&
	    !sipd_auth_client_give_up(u->auth, c->tries)) {
		c->challenged[c->tries++] = c->s;
		c->s = NULL;
		if (u->verbose)
			fprintf(stderr, "call %u: %u, INVITE again with credentials\n", c->id,
			        msg->status);
		if (send_invite(c, msg) == 0)
			return;
	}
	if (why == SIPD_SESSION_END_REJECTED && msg)
		u->by_status[msg->status < 700 ? msg->status : 0]++;
	else if (c->step < 0)
		u->unanswered++; /* no final response, a transport error, or our CANCEL */
	if (u->verbose)
		fprintf(stderr, "call %u: ended (%d)\n", c->id, (int)why);
	/* our BYE ends a call as asked; so does the callee's once every step
	 * was done (a callee that hangs up first, or a transferor leaving) */
	bool by_peer = why == SIPD_SESSION_END_BYE_REMOTE && c->step >= STEP__COUNT;
	u->peer_ended += by_peer;
	count_end(c, why == SIPD_SESSION_END_BYE_LOCAL || by_peer);
	call_free(c);
	maybe_finish(u);
}

static void end_call(struct call *c)
{
	if (sipd_session_bye(c->s, NULL, sipd_runtime_now(c->u->rt)))
		c->failed = true;
}

static void hold_fired(uv_timer_t *t)
{
	end_call(t->data);
}

static void answer_timeout(uv_timer_t *t)
{
	struct call *c = t->data;
	if (c->u->verbose)
		fprintf(stderr, "call %u: no answer, CANCEL\n", c->id);
	c->failed = true;
	sipd_session_cancel(c->s, NULL, sipd_runtime_now(c->u->rt));
}

static void step_answered(struct call *c, const struct sipd_msg *resp);

/* --refer: the REFER's subscription reports the referred call in sipfrag
 * NOTIFYs (RFC 3515 §2.4.5); the step succeeds when the last one says 2xx. */
static void refer_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                        const struct sipd_msg *msg)
{
	(void)msg;
	struct call *c = arg;
	if (st != SIPD_SUB_TERMINATED || c->refer != sub)
		return;
	c->refer = NULL;
	int code = c->refer_status;
	if (c->u->verbose)
		fprintf(stderr, "call %u: transfer ended with %d\n", c->id, code);
	sipd_subscription_free(sub);
	/* a made-up response carries the outcome to the step logic */
	struct sipd_msg fake = {.status = (uint16_t)(code > 0 ? code : 500)};
	step_answered(c, &fake);
}

static void refer_notify(void *arg, struct sipd_subscription *sub, const struct sipd_msg *notify)
{
	(void)sub;
	struct call *c = arg;
	int code = sipd_sipfrag_status(notify->body);
	if (code > 0)
		c->refer_status = code;
}

static void refer_response(void *arg, struct sipd_subscription *sub, const struct sipd_msg *resp)
{
	(void)sub;
	struct call *c = arg;
	if (resp->status >= 300)
		c->refer_status = resp->status; /* the REFER itself was refused */
}

static const struct sipd_subscription_callbacks refer_cb = {.size = sizeof refer_cb,
                                                            .state = refer_state,
                                                            .notify = refer_notify,
                                                            .response = refer_response};

/* The next in-call step, or the pause then BYE. */
static void next_step(struct call *c)
{
	struct uac *u = c->u;
	uint64_t now = sipd_runtime_now(u->rt);
	for (c->step++; c->step < STEP__COUNT; c->step++) {
		if (!u->steps[c->step])
			continue;
		const struct sipd_dialog *d = sipd_session_dialog(c->s);
		(void)d;
		char sdp[512];
		int n = 0;
		int rc;
		switch (c->step) {
		case STEP_REINVITE:
		case STEP_UPDATE:
		case STEP_HOLD:
			n = tools_sdp(u->rt, c->flow.local, "uac", 2 + (unsigned)c->step, 50000,
			              c->step == STEP_HOLD ? "sendonly" : NULL, sdp, sizeof sdp);
			rc = n < 0 ? n
			           : sipd_session_modify(c->s, (struct sipd_str){sdp, (size_t)n},
			                                 c->step == STEP_UPDATE, now);
			break;
		case STEP_INFO: {
			static const char body[] = "Signal=5\r\nDuration=160\r\n";
			rc = sipd_session_request(c->s, "INFO", SIPD_STR_NULL, "application/dtmf-relay",
			                          (struct sipd_str){body, sizeof body - 1}, now);
			break;
		}
		case STEP_MESSAGE: { /* RFC 3428 within the dialog */
			static const char body[] = "hello from sipdialog";
			rc = sipd_session_request(c->s, "MESSAGE", SIPD_STR_NULL, "text/plain",
			                          (struct sipd_str){body, sizeof body - 1}, now);
			break;
		}
		case STEP_REFER: { /* RFC 3515: the transfer, followed to its final NOTIFY */
			struct sipd_subscribe_opts ro = {.size = sizeof ro,
			                                 .dialog = sipd_session_dialog(c->s),
			                                 .flow = c->flow,
			                                 .refer_to = u->refer_to,
			                                 .cb = &refer_cb,
			                                 .arg = c};
			rc = ro.dialog ? sipd_refer(u->subs, &ro, now, &c->refer) : SIPD_ESTATE;
			break;
		}
		default:
			rc = SIPD_EINVAL;
		}
		if (u->verbose)
			fprintf(stderr, "call %u: step %d sent (%d)\n", c->id, c->step, rc);
		if (rc) {
			c->failed = true;
			end_call(c);
		}
		return; /* its answer comes to modified/response */
	}
	uv_timer_start(&c->hold, hold_fired, u->duration, 0);
}

static void retry_step(uv_timer_t *t)
{
	next_step(t->data);
}

/* RFC 3261 §14.2: a UAS that gets our re-INVITE (or UPDATE, RFC 3311 §5.2)
 * while its own exchange is under way answers 500 with Retry-After: the
 * same request may go again after that many seconds. Twice at most. */
static bool retry_later(struct call *c, const struct sipd_msg *resp)
{
	if (resp->status != 500 || c->step_retries >= 2 ||
	    (c->step != STEP_REINVITE && c->step != STEP_UPDATE && c->step != STEP_HOLD))
		return false;
	const struct sipd_hdr *h = sipd_msg_find(resp, SIPD_HDR_RETRY_AFTER);
	struct sipd_retry_after ra;
	if (!h || sipd_retry_after_parse(&ra, h->value, NULL))
		return false;
	c->step_retries++;
	c->step--; /* next_step() moves on to the same step again */
	uint64_t ms = ra.delta > 10 ? 10000 : (uint64_t)ra.delta * 1000 + 10;
	uv_timer_start(&c->hold, retry_step, ms, 0);
	return true;
}

static void step_answered(struct call *c, const struct sipd_msg *resp)
{
	unsigned code = resp ? resp->status : 408;
	if (c->u->verbose)
		fprintf(stderr, "call %u: step %d got %u\n", c->id, c->step, code);
	if (resp && retry_later(c, resp))
		return;
	c->step_retries = 0;
	if (code < 200 || code >= 300) {
		c->failed = true;
		end_call(c);
		return;
	}
	next_step(c);
}

static void on_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	step_answered(arg, resp);
}

static void on_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	step_answered(arg, resp);
}

static const struct sipd_session_callbacks call_cb = {.size = sizeof call_cb,
                                                      .state = on_state,
                                                      .modified = on_modified,
                                                      .response = on_response};

/* Sends the call's INVITE: the first, or again with credentials after a
 * 401/407 (same Call-ID and From tag, CSeq one more, RFC 3261 §22.2). */
static int send_invite(struct call *c, const struct sipd_msg *challenge)
{
	struct uac *u = c->u;
	char contact[160], from[256], sdp[512], hdrs[4096];
	tools_local_uri(u->rt, "uac", c->flow.local, contact, sizeof contact);
	if (u->from)
		snprintf(from, sizeof from, "%s", u->from);
	else
		tools_local_uri(u->rt, "uac", c->flow.local, from, sizeof from);
	int n = tools_sdp(u->rt, c->flow.local, "uac", 1, 50000, NULL, sdp, sizeof sdp);
	int h = snprintf(hdrs, sizeof hdrs,
	                 "From: <%s>;tag=%.*s\r\nTo: <%s>\r\nCall-ID: %.*s\r\nCSeq: %u INVITE\r\n"
	                 "Max-Forwards: 70\r\nContact: <%s>\r\n"
	                 "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK\r\n"
	                 "Supported: 100rel\r\nUser-Agent: sipdialog\r\n",
	                 from, (int)sizeof c->tag, c->tag, u->to, (int)sizeof c->callid, c->callid,
	                 ++c->cseq, contact);
	if (h < 0 || (size_t)h >= sizeof hdrs)
		return SIPD_ENOSPC;
	struct sipd_str body = {sdp, n > 0 ? (size_t)n : 0};
	if (challenge) {
		struct sipd_buf b;
		sipd_buf_init(&b, hdrs + h, sizeof hdrs - (size_t)h);
		int rc = sipd_auth_client_authorize(u->auth, &b, (struct sipd_str){"INVITE", 6},
		                                    (struct sipd_str){u->to, strlen(u->to)}, body);
		if (rc || b.overflow)
			return rc ? rc : SIPD_ENOSPC;
		h += (int)b.len;
	}
	struct sipd_request req = {.size = sizeof req,
	                           .method = {"INVITE", 6},
	                           .uri = {u->to, strlen(u->to)},
	                           .headers = {hdrs, (size_t)h},
	                           .content_type = "application/sdp",
	                           .body = body,
	                           .flow = c->flow};
	struct sipd_st_config st = {.size = sizeof st,
	                            .session_expires = c->se ? c->se : u->session_expires,
	                            .min_se = c->min_se};
	struct sipd_session_opts o = {.size = sizeof o,
	                              .dialog = {.size = sizeof o.dialog,
	                                         .local_contact = {contact, strlen(contact)},
	                                         .tls = c->flow.transport == SIPD_TP_TLS},
	                              .cb = &call_cb,
	                              .arg = c,
	                              .timer = u->session_expires ? &st : NULL};
	return sipd_session_uac(&u->env, &req, &o, sipd_runtime_now(u->rt), &c->s);
}

static int start_call(struct uac *u)
{
	/* where to: the target resolved once, from the first listener of its
	 * transport and family */
	struct sipd_flow flow = {.transport = u->target.transport, .remote = u->target.addr};
	int local = tools_pick_local(u->rt, flow.transport, flow.remote.family);
	if (local < 0) {
		fprintf(stderr, "sipdialog uac: no listener for the target's transport\n");
		u->exit = 1;
		u->stopping = true;
		return SIPD_ENOTFOUND;
	}
	flow.local = (uint16_t)local;
	struct call *c = calloc(1, sizeof *c);
	if (!c)
		return SIPD_ENOMEM;
	c->u = u;
	c->id = ++u->started;
	c->step = -1;
	c->flow = flow;
	uv_timer_init(sipd_runtime_loop(u->rt), &c->hold);
	c->hold.data = c;
	sipd_stack_random_token(sipd_runtime_stack(u->rt), c->tag, sizeof c->tag);
	sipd_stack_random_token(sipd_runtime_stack(u->rt), c->callid, sizeof c->callid);
	int rc = send_invite(c, NULL);
	if (rc) {
		uv_close((uv_handle_t *)&c->hold, (uv_close_cb)free);
		u->failed++;
		return rc;
	}
	c->next = u->open;
	if (u->open)
		u->open->prev = c;
	u->open = c;
	u->active++;
	uv_timer_start(&c->hold, answer_timeout, (uint64_t)u->answer_timeout * 1000, 0);
	sipd_runtime_kick(u->rt);
	if (u->verbose)
		fprintf(stderr, "call %u: INVITE sent\n", c->id);
	return 0;
}

static void pace(uv_timer_t *t)
{
	struct uac *u = t->data;
	if (u->stopping || u->started >= u->calls) {
		uv_timer_stop(t);
		maybe_finish(u);
		return;
	}
	if (u->active < u->concurrency)
		start_call(u);
}

static void resolved(void *arg, int status, const struct sipd_target *t, size_t n)
{
	struct uac *u = arg;
	if (status || !n) {
		fprintf(stderr, "sipdialog uac: cannot resolve %s\n", u->to);
		u->exit = 1;
		sipd_runtime_stop(u->rt);
		return;
	}
	u->target = t[0];
	u->resolved = true;
	uv_timer_start(&u->pacer, pace, 0, u->rate ? 1000 / u->rate : 1);
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	struct uac *u = s->data;
	if (u->stopping) { /* asked twice: stop now, without more signalling */
		sipd_runtime_stop(u->rt);
		return;
	}
	u->stopping = true;
	/* end every call properly: BYE when answered, else CANCEL (which ends
	 * within 64*T1 even when the callee never answers, RFC 3261 §9.1) */
	uint64_t now = sipd_runtime_now(u->rt);
	for (struct call *c = u->open; c; c = c->next) {
		if (c->done)
			continue;
		if (c->step < 0)
			sipd_session_cancel(c->s, NULL, now);
		else
			sipd_session_bye(c->s, NULL, now);
	}
	transfers_stop(u->transfers);
	maybe_finish(u);
}

static void stats_tick(uv_timer_t *t)
{
	struct uac *u = t->data;
	const struct tool_counter c[] = {{"attempted", u->started}, {"answered", u->answered},
	                                 {"succeeded", u->succeeded}, {"failed", u->failed},
	                                 {"active", u->active}};
	tool_print_counters(&u->out, "stats", c, sizeof c / sizeof c[0]);
}

/* --accept-refer: a REFER from the callee (RFC 3515 §2.4.2) */
static unsigned on_refer(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req)
{
	(void)req;
	struct uac *u = arg;
	return u->transfers ? transfers_refer(u->transfers, sub) : 603;
}

/* A subscription the peer created (a REFER's) ended. */
static void on_sub_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                         const struct sipd_msg *msg)
{
	(void)msg;
	struct uac *u = arg;
	if (st != SIPD_SUB_TERMINATED)
		return;
	transfers_forget(u->transfers, sub);
	sipd_subscription_free(sub);
}

static void transfer_ended(void *arg, bool answered)
{
	(void)answered;
	maybe_finish(arg);
}

static void on_dialog_state(void *user, struct sipd_dialog *d, enum sipd_dialog_state st,
                            enum sipd_dialog_reason why)
{
	(void)why;
	struct uac *u = user;
	if (st == SIPD_DIALOG_TERMINATED && u->subs)
		sipd_subscriptions_dialog_ended(u->subs, d);
}

static void table_random(void *user, void *buf, size_t len)
{
	struct uac *u = user;
	tools_table_random(u->rt, buf, len);
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct uac *u = user;
	if (u->subs && (req->method == SIPD_METHOD_NOTIFY || req->method == SIPD_METHOD_REFER) &&
	    sipd_subscriptions_request(u->subs, tx, req, from) == 0)
		return 0;
	return sipd_sessions_request(&u->env, tx, req, from);
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct uac *u = user;
	sipd_sessions_server_done(&u->env, tx, timeout);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > max)
		return false;
	*out = v;
	return true;
}

int cmd_uac(int argc, char **argv)
{
	const char *listen[MAX_LISTEN];
	size_t nlisten = 0;
	struct uac u = {.calls = 1, .rate = 10, .concurrency = 10, .answer_timeout = 32};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned long v;
		bool has = i + 1 < argc;
		int shared = tool_output_option(&u.out, "uac", argc, argv, &i);
		if (shared < 0)
			return 2;
		if (shared)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			uac_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--listen") && has && nlisten < MAX_LISTEN) {
			listen[nlisten++] = argv[++i];
		} else if (!strcmp(a, "--to") && has) {
			u.to = argv[++i];
		} else if (!strcmp(a, "--from") && has) {
			u.from = argv[++i];
		} else if (!strcmp(a, "--calls") && has && parse_uint(argv[i + 1], 10000000, &v) && v) {
			u.calls = (unsigned)v;
			i++;
		} else if (!strcmp(a, "--rate") && has && parse_uint(argv[i + 1], 1000, &v) && v) {
			u.rate = (unsigned)v;
			i++;
		} else if (!strcmp(a, "--concurrency") && has && parse_uint(argv[i + 1], 100000, &v) &&
		           v) {
			u.concurrency = (unsigned)v;
			i++;
		} else if (!strcmp(a, "--duration") && has && parse_uint(argv[i + 1], 86400000, &v)) {
			u.duration = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--linger") && has && parse_uint(argv[i + 1], 60000, &v)) {
			u.linger = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--answer-timeout") && has &&
		           parse_uint(argv[i + 1], 86400, &v) && v) {
			u.answer_timeout = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--session-expires") && has &&
		           parse_uint(argv[i + 1], 86400, &v) && v >= 90) {
			u.session_expires = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--reinvite")) {
			u.steps[STEP_REINVITE] = true;
		} else if (!strcmp(a, "--update")) {
			u.steps[STEP_UPDATE] = true;
		} else if (!strcmp(a, "--info")) {
			u.steps[STEP_INFO] = true;
		} else if (!strcmp(a, "--message")) {
			u.steps[STEP_MESSAGE] = true;
		} else if (!strcmp(a, "--refer") && has) {
			u.refer_to = argv[++i];
			u.steps[STEP_REFER] = true;
		} else if (!strcmp(a, "--accept-refer")) {
			u.accept_refer = true;
		} else if (!strcmp(a, "--hold")) {
			u.steps[STEP_HOLD] = true;
		} else if (!strcmp(a, "--auth") && has) {
			u.credentials = argv[++i];
		} else if (!strcmp(a, "--verbose")) {
			u.verbose = true;
		} else {
			fprintf(stderr, "sipdialog uac: unknown, incomplete or bad option '%s'\n", a);
			uac_usage(stderr);
			return 2;
		}
	}
	if (!nlisten || !u.to) {
		fprintf(stderr, "sipdialog uac: --listen and --to are needed\n");
		uac_usage(stderr);
		return 2;
	}
	if (sipd_uri_parse(&u.to_uri, u.to, strlen(u.to), NULL) ||
	    (u.to_uri.kind != SIPD_URI_SIP && u.to_uri.kind != SIPD_URI_SIPS)) {
		fprintf(stderr, "sipdialog uac: --to wants a sip: or sips: URI, not '%s'\n", u.to);
		return 2;
	}
	static const struct sipd_stack_callbacks cb = {
		.size = sizeof cb, .request = on_request, .server_done = on_server_done};
	struct sipd_runtime_config rc = {
		.size = sizeof rc,
		.listen = listen,
		.nlisten = nlisten,
		.trace = tool_trace_hook,
		.trace_user = &u.out.tr,
		.stack = {.size = sizeof rc.stack,
		          .allow = u.accept_refer
		                           ? "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK, NOTIFY, REFER"
		                           : "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK, NOTIFY",
		          .accept = "application/sdp, message/sipfrag",
		          .supported = "100rel, timer",
		          .user_agent = "sipdialog",
		          .max_transactions = u.out.max_transactions,
		          .dialog_to_source = u.out.to_source,
		          .cb = &cb,
		          .user = &u},
	};
	char err[256];
	u.out.tr.self = "uac";
	if (sipd_runtime_create(&rc, &u.rt, err, sizeof err)) {
		fprintf(stderr, "sipdialog uac: %s\n", err);
		return 1;
	}
	if (tool_drop_root(&u.out, "uac")) {
		sipd_runtime_destroy(u.rt);
		return 1;
	}
	u.out.tr.rt = u.rt;
	u.out.t0 = sipd_runtime_now(u.rt);
	if (u.credentials) {
		char user[128];
		const char *pass;
		if (tools_split_credentials(u.credentials, user, sizeof user, &pass)) {
			fprintf(stderr, "sipdialog uac: --auth wants USER:PASS\n");
			sipd_runtime_destroy(u.rt);
			return 2;
		}
		struct sipd_auth_client_config ac = {.size = sizeof ac,
		                                     .username = user,
		                                     .password = pass,
		                                     .random = tools_random};
		if (!(u.auth = sipd_auth_client_create(&ac))) {
			fprintf(stderr, "sipdialog uac: bad --auth credentials\n");
			sipd_runtime_destroy(u.rt);
			return 2;
		}
	}
	static const struct sipd_dialogs_callbacks dcb = {.size = sizeof dcb,
	                                                  .state = on_dialog_state};
	struct sipd_dialogs_config dc = {.size = sizeof dc, .cb = &dcb, .user = &u,
	                                 .random = table_random};
	u.dialogs = sipd_dialogs_create(&dc);
	if (!u.dialogs) {
		sipd_runtime_destroy(u.rt);
		return 1;
	}
	u.env = (struct sipd_session_env){.size = sizeof u.env, .stack = sipd_runtime_stack(u.rt),
	                                  .dialogs = u.dialogs};
	if (u.accept_refer) {
		struct transfers_config tc = {.rt = u.rt, .env = &u.env, .hangup_ms = u.duration,
		                              .ended = transfer_ended, .arg = &u};
		if (!(u.transfers = transfers_create(&tc))) {
			sipd_runtime_destroy(u.rt);
			sipd_dialogs_destroy(u.dialogs);
			return 1;
		}
	}
	if (u.refer_to || u.accept_refer) {
		static const struct sipd_subscription_callbacks scb = {.size = sizeof scb,
		                                                       .state = on_sub_state,
		                                                       .refer = on_refer};
		char contact[160];
		tools_local_uri(u.rt, "uac", 0, contact, sizeof contact);
		struct sipd_subscriptions_config sc = {.size = sizeof sc,
		                                       .stack = sipd_runtime_stack(u.rt),
		                                       .dialogs = u.dialogs,
		                                       .local_contact = {contact, strlen(contact)},
		                                       .cb = &scb,
		                                       .arg = &u};
		if (!(u.subs = sipd_subscriptions_create(&sc))) {
			sipd_runtime_destroy(u.rt);
			sipd_dialogs_destroy(u.dialogs);
			return 1;
		}
	}
	uv_timer_init(sipd_runtime_loop(u.rt), &u.pacer);
	uv_timer_init(sipd_runtime_loop(u.rt), &u.stats);
	u.stats.data = &u;
	uv_timer_init(sipd_runtime_loop(u.rt), &u.linger_timer);
	u.linger_timer.data = &u;
	if (u.out.stats_interval)
		uv_timer_start(&u.stats, stats_tick, u.out.stats_interval * 1000ull,
		               u.out.stats_interval * 1000ull);
	u.pacer.data = &u;
	uv_signal_t sigint, sigterm;
	uv_signal_init(sipd_runtime_loop(u.rt), &sigint);
	uv_signal_init(sipd_runtime_loop(u.rt), &sigterm);
	sigint.data = sigterm.data = &u;
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	if (sipd_runtime_resolve(u.rt, &u.to_uri, resolved, &u)) {
		fprintf(stderr, "sipdialog uac: cannot resolve %s\n", u.to);
		u.exit = 1;
	} else {
		sipd_runtime_run(u.rt);
	}
	uv_close((uv_handle_t *)&u.pacer, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	/* calls still open when stopped early: freed without more signalling */
	while (u.open)
		call_free(u.open);
	/* the transfer counters outlive the module */
	bool xfer = u.transfers != NULL;
	uint64_t xfer_placed = transfers_placed(u.transfers);
	uint64_t xfer_answered = transfers_answered(u.transfers);
	transfers_destroy(u.transfers);
	uv_run(sipd_runtime_loop(u.rt), UV_RUN_NOWAIT);
	uv_close((uv_handle_t *)&u.stats, NULL);
	uv_close((uv_handle_t *)&u.linger_timer, NULL);
	if (u.out.json) {
		struct tool_counter c[64] = {{"attempted", u.started}, {"answered", u.answered},
		                             {"succeeded", u.succeeded}, {"failed", u.failed},
		                             {"no_final_response", u.unanswered},
		                             {"ended_by_callee", u.peer_ended},
		                             {"transfers", xfer_placed},
		                             {"transfers_answered", xfer_answered}};
		enum { FIXED = 8 };
		static char names[64 - FIXED][12];
		size_t n = FIXED;
		for (unsigned code = 100; code < 700 && n < 64; code++) {
			if (!u.by_status[code] || code == 200)
				continue;
			size_t k = n - FIXED;
			snprintf(names[k], sizeof names[0], "final_%u", code);
			c[n] = (struct tool_counter){names[k], u.by_status[code]};
			n++;
		}
		tool_print_counters(&u.out, "summary", c, n);
	} else {
		fprintf(stderr, "calls: attempted %u, answered %u, succeeded %u, failed %u\n", u.started,
		        u.answered, u.succeeded, u.failed);
		if (u.unanswered)
			fprintf(stderr, "  no final response: %u\n", u.unanswered);
		if (u.peer_ended)
			fprintf(stderr, "  ended by the callee's BYE: %u\n", u.peer_ended);
		if (xfer)
			fprintf(stderr, "  transfers accepted %llu, answered %llu\n",
			        (unsigned long long)xfer_placed, (unsigned long long)xfer_answered);
		for (unsigned code = 100; code < 700; code++)
			if (u.by_status[code] && code != 200)
				fprintf(stderr, "  final %u: %u\n", code, u.by_status[code]);
	}
	tool_ladder_print(&u.out.tr, stdout);
	sipd_runtime_destroy(u.rt);
	sipd_subscriptions_destroy(u.subs); /* after the stack (subscription.h) */
	sipd_dialogs_destroy(u.dialogs);
	sipd_auth_client_destroy(u.auth);
	if (u.exit)
		return u.exit;
	return u.succeeded == u.calls ? 0 : 1;
}
