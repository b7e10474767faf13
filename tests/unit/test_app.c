/* The application API (app.h) on loopback: apps on one libuv loop call each
 * other over UDP on 127.0.0.1 (a UAS, a UAC and a B2BUA between them), and
 * every call event, default answer and counter is checked. Each wait is
 * bounded by time; events must come from the loop, never from inside the
 * function that caused them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "dns_test.h"

#include <sipdialog/app.h>
#include <sipdialog/auth.h>

#define SDP_A                                                                                      \
	"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"                \
	"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
#define SDP_B                                                                                      \
	"v=0\r\no=b 7 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"                \
	"m=audio 50000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
#define SDP_B2                                                                                     \
	"v=0\r\no=b 7 10 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"               \
	"m=audio 50002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

/* What a UAS party does with a new INVITE. */
enum mode { MODE_ANSWER, MODE_RING, MODE_REJECT, MODE_KEEP, MODE_BRIDGE, MODE_REDIRECT, MODE_AUTH };

struct party {
	struct sipd_app *app;
	uint16_t port;
	enum mode mode;
	const char *target;  /* MODE_BRIDGE */
	bool modify_refuses; /* answer re-INVITEs 488 */
	bool info_takes;     /* answer INFO 202 itself */
	bool refer_takes;    /* accept REFER with 202 */
	struct sipd_incoming *kept;
	struct sipd_call *call;
	int provisional, answered, failed, failed_code, terminated, ack, modify, hold, unhold;
	int info, modified, modified_code, response, response_code, incoming_cancelled, ended;
	int ended_null, invites;
	int invites_sent[4]; /* by transport, from the trace hook */
	const char *uas_headers; /* sipd_uas_opts.headers of the calls we answer */
	int got_extra[7];        /* responses received with "X-Extra: 1", by class */
	int got_extra_bye;       /* of which to a BYE */
	int expect_uas_rc;       /* what sipd_app_create_uas() must return */
	/* subscriptions */
	unsigned sub_refuse;            /* answer new SUBSCRIBEs with this (0: accept) */
	struct sipd_app_sub *sub;       /* the last one made or accepted */
	int subscribed, sub_notify, sub_refresh, sub_unsubscribe, sub_terminated;
	enum sipd_sub_reason sub_why;
	unsigned sub_status;
	char sub_body[64];              /* the last NOTIFY's body */
	char sub_state[64];             /* its Subscription-State */
	char leg_phases[2][64];         /* bridge_phase, by leg: "name name ..." */
	char redirect_to[64];           /* MODE_REDIRECT: the Contact of our 302 */
	struct sipd_auth_server *auth;  /* MODE_AUTH: INVITEs need alice's credentials */
	int challenges, denials;
	bool saw_route;                 /* an INVITE came with a Route header */
	int refresh;                    /* refresh events */
	const struct sipd_st_config *uas_timer; /* session timers of the calls we answer */
	int uas_refused;                /* INVITEs create_uas refused (422) */
	enum sipd_call_end why;
	void *response_arg;
	bool inside;       /* in one of our own calls into the app */
	bool event_inside; /* an event came from inside one of them */
	char ack_sdp[512];
	char phases[128]; /* the call_phase stream: "name/out name/in ..." */
};

static uv_loop_t loop;

static void guard_fired(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until *counter reaches `want` or `ms` pass. */
static bool run_until(const int *counter, int want, unsigned ms)
{
	uv_timer_t guard;
	uv_timer_init(&loop, &guard);
	uv_timer_start(&guard, guard_fired, 5, 5);
	uint64_t end = uv_now(&loop) + ms;
	while (*counter < want && uv_now(&loop) < end)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return *counter >= want;
}

static void note(struct party *p)
{
	if (p->inside)
		p->event_inside = true;
}

/* ---------------------------------------------------------------- call events */

static void on_terminated(void *user, struct sipd_call *call, enum sipd_call_end why,
                          const struct sipd_msg *msg)
{
	(void)msg;
	struct party *p = user;
	note(p);
	assert_ptr_equal(call, p->call);
	assert_int_equal(sipd_call_state(call), SIPD_SESSION_TERMINATED);
	p->terminated++;
	p->why = why;
	p->call = NULL;
}

static void on_provisional(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)call;
	struct party *p = user;
	note(p);
	assert_true(resp->status > 100 && resp->status < 200);
	p->provisional++;
}

static void on_answered(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)call;
	(void)resp;
	struct party *p = user;
	note(p);
	p->answered++;
}

static void on_failed(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)call;
	struct party *p = user;
	note(p);
	p->failed++;
	p->failed_code = resp ? resp->status : -1;
}

static const char *on_answer(void *user, struct sipd_call *call, struct sipd_str offer)
{
	(void)call;
	(void)user;
	assert_true(offer.len > 0);
	return SDP_B;
}

static void on_ack(void *user, struct sipd_call *call, const struct sipd_msg *ack)
{
	struct party *p = user;
	note(p);
	assert_non_null(ack);
	struct sipd_str r = sipd_call_remote_sdp(call);
	snprintf(p->ack_sdp, sizeof p->ack_sdp, "%.*s", (int)r.len, r.p ? r.p : "");
	p->ack++;
}

static void on_refresh(void *user, struct sipd_call *call, const struct sipd_msg *req)
{
	(void)call;
	(void)req;
	struct party *p = user;
	note(p);
	p->refresh++;
}

static int on_modify(void *user, struct sipd_call *call, struct sipd_txn *tx,
                     const struct sipd_msg *req, struct sipd_str offer)
{
	(void)req;
	(void)offer;
	struct party *p = user;
	note(p);
	p->modify++;
	if (p->modify_refuses) {
		assert_int_equal(sipd_call_respond(call, tx, 488, NULL), 0);
		return 0;
	}
	return -1;
}

static void on_hold(void *user, struct sipd_call *call, const struct sipd_msg *req)
{
	(void)call;
	(void)req;
	struct party *p = user;
	p->hold++;
}

static void on_unhold(void *user, struct sipd_call *call, const struct sipd_msg *req)
{
	(void)call;
	(void)req;
	struct party *p = user;
	p->unhold++;
}

static int on_info(void *user, struct sipd_call *call, struct sipd_txn *tx,
                   const struct sipd_msg *req)
{
	(void)req;
	struct party *p = user;
	p->info++;
	if (!p->info_takes)
		return -1;
	assert_int_equal(sipd_call_respond(call, tx, 202, NULL), 0);
	/* answered once only */
	assert_int_equal(sipd_call_respond(call, tx, 200, NULL), SIPD_EINVAL);
	return 0;
}

static int on_refer(void *user, struct sipd_call *call, struct sipd_txn *tx,
                    const struct sipd_msg *req)
{
	(void)req;
	struct party *p = user;
	if (!p->refer_takes)
		return -1;
	assert_int_equal(sipd_call_respond(call, tx, 202, NULL), 0);
	return 0;
}

static void on_modified(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)call;
	struct party *p = user;
	note(p);
	p->modified++;
	p->modified_code = resp ? resp->status : -1;
}

static void on_response(void *user, struct sipd_call *call, const struct sipd_msg *resp, void *arg)
{
	(void)call;
	struct party *p = user;
	note(p);
	p->response++;
	p->response_code = resp ? resp->status : -1;
	p->response_arg = arg;
}

static const struct sipd_call_callbacks call_cb = {
	.size = sizeof call_cb,
	.terminated = on_terminated,
	.provisional = on_provisional,
	.answered = on_answered,
	.failed = on_failed,
	.answer = on_answer,
	.ack = on_ack,
	.modify = on_modify,
	.hold = on_hold,
	.unhold = on_unhold,
	.info = on_info,
	.refer = on_refer,
	.modified = on_modified,
	.response = on_response,
	.refresh = on_refresh,
};

/* ---------------------------------------------------------------- app events */

static void on_ended(void *arg, struct sipd_b2bua *b)
{
	struct party *p = arg;
	p->ended++;
	p->ended_null += !b;
}

static const struct sipd_b2bua_callbacks bridge_cb = {.size = sizeof bridge_cb, .ended = on_ended};

static void on_invite(void *user, struct sipd_app *app, struct sipd_incoming *in)
{
	struct party *p = user;
	assert_non_null(sipd_incoming_request(in));
	p->invites++;
	p->saw_route |= sipd_msg_find(sipd_incoming_request(in), SIPD_HDR_ROUTE) != NULL;
	struct sipd_uas_opts o = {.size = sizeof o,
	                          .provisional = 180,
	                          .cb = &call_cb,
	                          .user = p,
	                          .headers = p->uas_headers};
	switch (p->mode) {
	case MODE_ANSWER:
		o.sdp = SDP_A;
		/* fallthrough */
	case MODE_RING: {
		o.timer = p->uas_timer;
		int rc = sipd_app_create_uas(app, in, &o, &p->call);
		if (p->uas_timer && rc == SIPD_EINVAL)
			p->uas_refused++; /* 422: the interval asked for is too small */
		else
			assert_int_equal(rc, p->expect_uas_rc);
		break;
	}
	case MODE_REJECT:
		assert_int_equal(sipd_incoming_reject(in, 486, "Retry-After: 10\r\n"), 0);
		break;
	case MODE_KEEP: p->kept = in; break;
	case MODE_REDIRECT: {
		char h[128];
		snprintf(h, sizeof h, "Contact: <%s>\r\n", p->redirect_to);
		assert_int_equal(sipd_incoming_reject(in, 302, h), 0);
		break;
	}
	case MODE_AUTH: {
		struct sipd_auth_verdict v;
		uint64_t now = sipd_app_now(app);
		assert_int_equal(sipd_auth_server_verify(p->auth, sipd_incoming_request(in), now, &v), 0);
		if (v.result == SIPD_AUTH_OK) {
			o.sdp = SDP_A;
			assert_int_equal(sipd_app_create_uas(app, in, &o, &p->call), 0);
		} else if (v.result == SIPD_AUTH_DENIED) {
			p->denials++;
			assert_int_equal(sipd_incoming_reject(in, 403, NULL), 0);
		} else {
			char h[2048];
			struct sipd_buf b;
			sipd_buf_init(&b, h, sizeof h - 1);
			assert_int_equal(sipd_auth_server_challenge(p->auth, &b, v.result == SIPD_AUTH_STALE, now), 0);
			h[b.len] = 0;
			p->challenges++;
			assert_int_equal(sipd_incoming_reject(in, 401, h), 0);
		}
		break;
	}
	case MODE_BRIDGE: {
		struct sipd_app_b2bua_opts bo = {.size = sizeof bo, .cb = &bridge_cb, .arg = p};
		assert_int_equal(sipd_app_create_b2bua(app, in, p->target, &bo), 0);
		break;
	}
	}
}

static void on_incoming_cancelled(void *user, struct sipd_app *app, struct sipd_incoming *in)
{
	(void)app;
	struct party *p = user;
	assert_ptr_equal(in, p->kept);
	p->incoming_cancelled++;
}

static void on_phase(void *user, struct sipd_app *app, struct sipd_call *call,
                     enum sipd_call_phase phase, bool outbound)
{
	(void)app;
	struct party *p = user;
	p->event_inside |= p->inside;
	assert_int_equal(sipd_call_phase(call), phase);
	size_t n = strlen(p->phases);
	snprintf(p->phases + n, sizeof p->phases - n, "%s%s/%s", n ? " " : "",
	         sipd_call_phase_name(phase), outbound ? "out" : "in");
}

/* ---------------------------------------------------------------- subscriptions */

static void on_sub_notify(void *user, struct sipd_app_sub *sub, const struct sipd_msg *notify)
{
	struct party *p = user;
	assert_ptr_equal(sub, p->sub);
	p->event_inside |= p->inside;
	p->sub_notify++;
	snprintf(p->sub_body, sizeof p->sub_body, "%.*s", (int)notify->body.len, notify->body.p);
	const struct sipd_hdr *h = sipd_msg_find_name(notify, "Subscription-State");
	snprintf(p->sub_state, sizeof p->sub_state, "%.*s", h ? (int)h->value.len : 0,
	         h ? h->value.p : "");
}

static void on_sub_refresh(void *user, struct sipd_app_sub *sub, const struct sipd_msg *req)
{
	(void)sub;
	(void)req;
	((struct party *)user)->sub_refresh++;
}

static void on_sub_unsubscribe(void *user, struct sipd_app_sub *sub, const struct sipd_msg *req)
{
	(void)sub;
	(void)req;
	((struct party *)user)->sub_unsubscribe++;
}

static void on_sub_terminated(void *user, struct sipd_app_sub *sub, enum sipd_sub_reason why)
{
	struct party *p = user;
	assert_ptr_equal(sub, p->sub);
	p->event_inside |= p->inside;
	p->sub_terminated++;
	p->sub_why = why;
	p->sub_status = sipd_app_sub_status(sub);
	assert_int_equal(sipd_app_sub_state(sub), SIPD_SUB_TERMINATED);
}

static const struct sipd_app_sub_callbacks sub_cb = {.size = sizeof sub_cb,
                                                     .notify = on_sub_notify,
                                                     .refresh = on_sub_refresh,
                                                     .unsubscribe = on_sub_unsubscribe,
                                                     .terminated = on_sub_terminated};

static void on_subscribe(void *user, struct sipd_app *app, struct sipd_app_sub *sub,
                         const struct sipd_msg *req, struct sipd_sub_answer *ans)
{
	(void)app;
	(void)req;
	struct party *p = user;
	p->subscribed++;
	assert_true(sipd_app_sub_is_notifier(sub));
	assert_string_equal(sipd_app_sub_event(sub), "presence");
	if (p->sub_refuse) {
		ans->code = p->sub_refuse;
		return;
	}
	static const char open[] = "open";
	ans->content_type = "text/plain";
	ans->body = (struct sipd_str){open, sizeof open - 1};
	p->sub = sub;
	sipd_app_sub_set_callbacks(sub, &sub_cb, p);
}

static void on_bridge_phase(void *user, struct sipd_app *app, struct sipd_b2bua *b,
                            enum sipd_b2bua_leg leg, enum sipd_call_phase phase)
{
	(void)app;
	struct party *p = user;
	assert_non_null(b);
	p->event_inside |= p->inside;
	char *out = p->leg_phases[leg];
	size_t n = strlen(out);
	snprintf(out + n, sizeof p->leg_phases[0] - n, "%s%s", n ? " " : "",
	         sipd_call_phase_name(phase));
}

static const struct sipd_app_callbacks app_cb = {.size = sizeof app_cb,
                                                 .invite = on_invite,
                                                 .incoming_cancelled = on_incoming_cancelled,
                                                 .call_phase = on_phase,
                                                 .subscribe = on_subscribe,
                                                 .bridge_phase = on_bridge_phase};


static void on_trace(void *user, bool sent, const struct sipd_flow *flow, const char *data,
                     size_t len)
{
	struct party *p = user;
	if (sent && len > 7 && !memcmp(data, "INVITE ", 7) && flow->transport < 4)
		p->invites_sent[flow->transport]++;
	static const char extra[] = "\r\nX-Extra: 1\r\n";
	if (!sent && len > 12 && !memcmp(data, "SIP/2.0 ", 8) && data[8] >= '1' &&
	    data[8] <= '6' && memmem(data, len, extra, sizeof extra - 1)) {
		p->got_extra[data[8] - '0']++;
		p->got_extra_bye += memmem(data, len, " BYE\r\n", 6) != NULL;
	}
}

static void party_open_with(struct party *p, const char *const *listen, size_t n, const char *dns)
{
	memset(p, 0, sizeof *p);
	struct sipd_app_config cfg = {.size = sizeof cfg,
	                              .listen = listen,
	                              .nlisten = n,
	                              .dns_servers = dns,
	                              .trace = on_trace,
	                              .loop = &loop,
	                              .cb = &app_cb,
	                              .user = p,
	                              .events = "presence"};
	char err[256];
	assert_int_equal(sipd_app_create(&cfg, &p->app, err, sizeof err), 0);
	p->port = sipd_runtime_local(sipd_app_runtime(p->app), 0)->addr.port;
}

static void party_open(struct party *p)
{
	static const char *const listen[] = {"udp:127.0.0.1:0"};
	party_open_with(p, listen, 1, NULL);
}

static void party_close(struct party *p)
{
	sipd_app_destroy(p->app);
	p->app = NULL;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	return 0;
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int teardown(void **state)
{
	(void)state;
	uv_walk(&loop, close_all, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

/* B calls A; returns with the call up on both sides. */
static void call_up(struct party *a, struct party *b, const char *sdp)
{
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a->port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = sdp, .cb = &call_cb, .user = b};
	b->inside = true;
	assert_int_equal(sipd_app_create_uac(b->app, uri, &o, &b->call), 0);
	b->inside = false;
	assert_true(run_until(&b->answered, 1, 3000));
	assert_true(run_until(&a->ack, 1, 3000));
}

static void hang_up(struct party *a, struct party *b)
{
	assert_non_null(b->call);
	b->inside = true;
	assert_int_equal(sipd_call_destroy(b->call, NULL), 0);
	assert_int_equal(sipd_call_destroy(b->call, NULL), SIPD_ESTATE);
	b->inside = false;
	assert_int_equal(b->terminated, 0); /* from the loop, not from inside */
	assert_true(run_until(&b->terminated, 1, 3000));
	assert_true(run_until(&a->terminated, 1, 3000));
	assert_int_equal(b->why, SIPD_CALL_END_LOCAL);
	assert_int_equal(a->why, SIPD_CALL_END_REMOTE);
}

static void send_request(struct party *b, const char *method, const char *headers, void *arg,
                         int expect)
{
	struct sipd_call_request r = {.size = sizeof r,
	                              .method = method,
	                              .headers = headers,
	                              .content_type = "text/plain",
	                              .body = "hello",
	                              .arg = arg};
	int before = b->response;
	b->inside = true;
	assert_int_equal(sipd_call_request(b->call, &r), 0);
	b->inside = false;
	assert_true(run_until(&b->response, before + 1, 3000));
	assert_int_equal(b->response_code, expect);
	assert_ptr_equal(b->response_arg, arg);
}

/* ---------------------------------------------------------------- tests */

/* RFC 3261 §13, §14, §15: a call, a re-INVITE answered by default, requests
 * within the call with their default answers, BYE; identifiers and
 * counters. */
static void app_call_modify_requests_bye(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, SDP_B);
	assert_int_equal(b.provisional, 1);
	assert_int_equal(b.failed, 0);
	assert_string_equal(sipd_call_call_id(b.call), sipd_call_call_id(a.call));
	assert_string_equal(sipd_call_local_tag(b.call), sipd_call_remote_tag(a.call));
	assert_string_equal(sipd_call_remote_tag(b.call), sipd_call_local_tag(a.call));
	assert_true(strlen(sipd_call_local_tag(b.call)) > 0);
	assert_non_null(strstr(sipd_call_remote_uri(b.call), "127.0.0.1"));
	/* each side's Contact is the other's remote target */
	struct sipd_str lc = sipd_call_local_contact(a.call), rc = sipd_call_remote_contact(b.call);
	assert_true(lc.len > 0 && lc.len == rc.len && !memcmp(lc.p, rc.p, lc.len));
	lc = sipd_call_local_contact(b.call);
	rc = sipd_call_remote_contact(a.call);
	assert_true(lc.len > 0 && lc.len == rc.len && !memcmp(lc.p, rc.p, lc.len));
	assert_int_equal(sipd_call_state(b.call), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_call_state(a.call), SIPD_SESSION_CONFIRMED);
	assert_true(sipd_call_is_uas(a.call));
	assert_false(sipd_call_is_uas(b.call));
	struct sipd_str r = sipd_call_remote_sdp(b.call);
	assert_int_equal(r.len, strlen(SDP_A));
	assert_memory_equal(r.p, SDP_A, r.len);

	/* a re-INVITE with a new offer: the default answer is A's SDP */
	b.inside = true;
	assert_int_equal(sipd_call_modify(b.call, SDP_B2), 0);
	assert_int_equal(sipd_call_modify(b.call, SDP_B2), SIPD_ESTATE); /* one at a time */
	b.inside = false;
	assert_true(run_until(&b.modified, 1, 3000));
	assert_int_equal(b.modified_code, 200);
	assert_int_equal(a.modify, 1);
	assert_int_equal(a.hold, 0);
	r = sipd_call_remote_sdp(a.call);
	assert_memory_equal(r.p, SDP_B2, r.len);

	/* RFC 6086: a legacy INFO is taken, one with a package refused */
	int marker;
	send_request(&b, "INFO", NULL, &marker, 200);
	send_request(&b, "INFO", "Info-Package: foo\r\n", NULL, 469);
	send_request(&b, "REFER", "Refer-To: <sip:c@127.0.0.1>\r\n", NULL, 603);
	send_request(&b, "MESSAGE", NULL, NULL, 501);
	assert_int_equal(a.info, 2);
	/* RFC 3515 §2.4.4: after A's REFER was accepted, B's NOTIFY is its
	 * progress: 200 */
	b.refer_takes = true;
	send_request(&a, "REFER", "Refer-To: <sip:c@127.0.0.1>\r\n", NULL, 202);
	send_request(&b, "NOTIFY", "Event: refer\r\nSubscription-State: active\r\n", NULL, 200);
	/* RFC 6665 §4.1.3: B's REFER was refused: a NOTIFY to it is for no
	 * subscription, 481 (which may end A's session, RFC 3261 §12.2.1.2) */
	send_request(&a, "NOTIFY", "Event: foo\r\nSubscription-State: active\r\n", NULL, 481);
	if (a.terminated || sipd_call_state(a.call) == SIPD_SESSION_TERMINATED) {
		assert_true(run_until(&a.terminated, 1, 3000));
		assert_true(run_until(&b.terminated, 1, 3000));
		assert_int_equal(b.why, SIPD_CALL_END_REMOTE);
	} else {
		hang_up(&a, &b);
	}
	assert_false(a.event_inside || b.event_inside);
	struct sipd_app_stats sa, sb;
	sipd_app_stats(a.app, &sa);
	sipd_app_stats(b.app, &sb);
	assert_int_equal(sa.calls_total, 1);
	assert_int_equal(sa.calls_answered, 1);
	assert_int_equal(sa.calls_failed, 0);
	assert_int_equal(sa.calls_active, 0);
	assert_int_equal(sb.calls_total, 1);
	assert_int_equal(sb.calls_answered, 1);
	assert_int_equal(sb.calls_active, 0);
	assert_true(sa.responses_sent[1] >= 1); /* 180 */
	assert_true(sa.responses_sent[2] >= 4); /* INVITE, re-INVITE, INFO, BYE */
	assert_true(sa.responses_sent[4] >= 1); /* 469 */
	assert_true(sb.responses_sent[4] >= 1); /* 481 */
	assert_true(sa.responses_sent[5] >= 1); /* 501 */
	assert_true(sa.responses_sent[6] >= 1); /* 603 */
	assert_true(sb.responses_received[2] >= 4);
	assert_true(sb.responses_received[6] >= 1);
	party_close(&a);
	party_close(&b);
}

/* Extra headers given to create_uas go in its 180 and its 2xx (and in
 * nothing else); lines not ended by CRLF are refused, the INVITE answered. */
static void app_uas_extra_headers(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	a.uas_headers = "X-Extra: 1\r\n";
	call_up(&a, &b, SDP_B);
	assert_int_equal(b.got_extra[1], 1);
	assert_true(b.got_extra[2] >= 1);
	hang_up(&a, &b);
	assert_int_equal(b.got_extra_bye, 0); /* not in the 200 to our BYE */
	assert_int_equal(a.got_extra[1] + a.got_extra[2], 0);
	/* not a whole line: the call is refused (500), nothing half-sent */
	a.uas_headers = "X-Broken: 1";
	a.expect_uas_rc = SIPD_EINVAL;
	memset(b.got_extra, 0, sizeof b.got_extra);
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	b.call = NULL;
	int before = b.failed;
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.failed, before + 1, 3000));
	assert_int_equal(b.failed_code, 500);
	party_close(&a);
	party_close(&b);
}

/* B subscribes to A's presence (RFC 6665): A's `subscribe` accepts with a
 * body, the first NOTIFY brings it; a later state goes with
 * sipd_app_sub_notify(); destroy() at the notifier sends NOTIFY terminated,
 * at the subscriber an unsubscription (the notifier hears `unsubscribe`).
 * A refusal, and a package A does not notify (489, §7.2.2), end the
 * subscriber's with the status. Every event from the loop, `terminated`
 * once on each side. */
static void rfc6665_app_subscriptions(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_app_subscribe_opts o = {.size = sizeof o,
	                                    .event = "presence",
	                                    .expires = 600,
	                                    .accept = "text/plain",
	                                    .cb = &sub_cb,
	                                    .user = &b};
	/* 1. the notifier ends it */
	b.inside = true;
	assert_int_equal(sipd_app_subscribe(b.app, uri, &o, &b.sub), 0);
	b.inside = false;
	assert_true(run_until(&b.sub_notify, 1, 3000));
	assert_int_equal(a.subscribed, 1);
	assert_string_equal(b.sub_body, "open");
	assert_non_null(strstr(b.sub_state, "active"));
	assert_int_equal(sipd_app_sub_state(b.sub), SIPD_SUB_ACTIVE);
	assert_false(sipd_app_sub_is_notifier(b.sub));
	assert_int_equal(sipd_app_sub_notify(b.sub, "text/plain", "x"), SIPD_EINVAL);
	a.inside = true;
	assert_int_equal(sipd_app_sub_notify(a.sub, "text/plain", "closed"), 0);
	a.inside = false;
	assert_true(run_until(&b.sub_notify, 2, 3000));
	assert_string_equal(b.sub_body, "closed");
	a.inside = true;
	assert_int_equal(sipd_app_sub_destroy(a.sub, NULL), 0);
	assert_int_equal(sipd_app_sub_destroy(a.sub, NULL), SIPD_ESTATE);
	a.inside = false;
	assert_true(run_until(&b.sub_terminated, 1, 3000));
	assert_true(run_until(&a.sub_terminated, 1, 3000));
	assert_non_null(strstr(b.sub_state, "terminated"));
	assert_int_equal(b.sub_why, SIPD_SUB_END_NORESOURCE);
	assert_int_equal(a.sub_unsubscribe, 0);
	/* 2. the subscriber ends it */
	b.sub_notify = b.sub_terminated = a.sub_terminated = 0;
	assert_int_equal(sipd_app_subscribe(b.app, uri, &o, &b.sub), 0);
	assert_true(run_until(&b.sub_notify, 1, 3000));
	b.inside = true;
	assert_int_equal(sipd_app_sub_destroy(b.sub, NULL), 0);
	b.inside = false;
	assert_true(run_until(&b.sub_terminated, 1, 3000));
	assert_true(run_until(&a.sub_terminated, 1, 3000));
	assert_int_equal(a.sub_unsubscribe, 1);
	assert_int_equal(a.subscribed, 2);
	/* 3. refused */
	a.sub_refuse = 403;
	b.sub_terminated = 0;
	assert_int_equal(sipd_app_subscribe(b.app, uri, &o, &b.sub), 0);
	assert_true(run_until(&b.sub_terminated, 1, 3000));
	assert_int_equal(b.sub_why, SIPD_SUB_END_REFUSED);
	assert_int_equal(b.sub_status, 403);
	/* 4. a package A does not notify */
	o.event = "dialog";
	b.sub_terminated = 0;
	assert_int_equal(sipd_app_subscribe(b.app, uri, &o, &b.sub), 0);
	assert_true(run_until(&b.sub_terminated, 1, 3000));
	assert_int_equal(b.sub_status, 489);
	assert_int_equal(a.subscribed, 3);
	/* 5. no event: refused at once */
	o.event = NULL;
	struct sipd_app_sub *none;
	assert_int_equal(sipd_app_subscribe(b.app, uri, &o, &none), SIPD_EINVAL);
	assert_false(a.event_inside);
	assert_false(b.event_inside);
	party_close(&a);
	party_close(&b);
}

/* RFC 3264 §8.4: hold with a sendonly offer (o= version raised), answered
 * recvonly by default; unhold back to sendrecv; the peer sees both. */
static void rfc3264_8_4_hold_unhold(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, SDP_B);
	assert_int_equal(sipd_call_unhold(b.call), SIPD_ESTATE);
	assert_int_equal(sipd_call_hold(b.call), 0);
	assert_true(run_until(&b.modified, 1, 3000));
	assert_int_equal(b.modified_code, 200);
	assert_int_equal(a.hold, 1);
	assert_true(sipd_call_held(b.call));
	assert_true(sipd_call_remote_held(a.call));
	struct sipd_str l = sipd_call_local_sdp(b.call), r = sipd_call_remote_sdp(b.call);
	assert_non_null(memmem(l.p, l.len, "a=sendonly\r\n", 12));
	assert_non_null(memmem(l.p, l.len, "o=b 7 10 IN", 11)); /* 9 + 1 */
	assert_non_null(memmem(r.p, r.len, "a=recvonly\r\n", 12));
	assert_non_null(memmem(r.p, r.len, "o=a 1 2 IN", 10));
	assert_int_equal(sipd_call_hold(b.call), SIPD_ESTATE);

	assert_int_equal(sipd_call_unhold(b.call), 0);
	assert_true(run_until(&b.modified, 2, 3000));
	assert_int_equal(b.modified_code, 200);
	assert_int_equal(a.unhold, 1);
	assert_false(sipd_call_held(b.call));
	assert_false(sipd_call_remote_held(a.call));
	l = sipd_call_local_sdp(b.call);
	r = sipd_call_remote_sdp(b.call);
	assert_non_null(memmem(l.p, l.len, "a=sendrecv\r\n", 12));
	assert_non_null(memmem(l.p, l.len, "o=b 7 11 IN", 11));
	assert_non_null(memmem(r.p, r.len, "a=sendrecv\r\n", 12));

	/* the callee holds too: the caller is told */
	assert_int_equal(sipd_call_hold(a.call), 0);
	assert_true(run_until(&a.modified, 1, 3000));
	assert_int_equal(b.hold, 1);
	hang_up(&a, &b);
	party_close(&a);
	party_close(&b);
}

/* A refused re-INVITE rolls back; the next one goes through. */
static void rfc6337_3_1_refused_modify(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, SDP_B);
	a.modify_refuses = true;
	assert_int_equal(sipd_call_hold(b.call), 0);
	assert_true(run_until(&b.modified, 1, 3000));
	assert_int_equal(b.modified_code, 488);
	assert_false(sipd_call_held(b.call)); /* rolled back */
	a.modify_refuses = false;
	assert_int_equal(sipd_call_modify(b.call, SDP_B2), 0);
	assert_true(run_until(&b.modified, 2, 3000));
	assert_int_equal(b.modified_code, 200);
	/* an INFO the application answers itself */
	a.info_takes = true;
	send_request(&b, "INFO", NULL, NULL, 202);
	hang_up(&a, &b);
	party_close(&a);
	party_close(&b);
}

/* A rejection reaches the caller as failed + terminated REJECTED. */
static void app_reject(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	a.mode = MODE_REJECT;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.failed_code, 486);
	assert_int_equal(b.why, SIPD_CALL_END_REJECTED);
	struct sipd_app_stats sa, sb;
	sipd_app_stats(a.app, &sa);
	sipd_app_stats(b.app, &sb);
	assert_int_equal(sa.calls_total, 0);
	assert_true(sa.responses_sent[4] >= 1);
	assert_int_equal(sb.calls_failed, 1);
	assert_int_equal(sb.calls_active, 0);
	party_close(&a);
	party_close(&b);
}

/* RFC 3261 §9: the caller cancels a ringing call. */
static void rfc3261_9_cancel_ringing(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	a.mode = MODE_RING;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.provisional, 1, 3000));
	assert_int_equal(sipd_call_state(a.call), SIPD_SESSION_EARLY);
	assert_int_equal(sipd_call_cancel(b.call), 0);
	assert_true(run_until(&a.terminated, 1, 3000));
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(a.why, SIPD_CALL_END_CANCELLED);
	assert_int_equal(b.why, SIPD_CALL_END_LOCAL);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.failed_code, 487);
	party_close(&a);
	party_close(&b);
}

/* A CANCEL for an INVITE the application kept: 487, told, and released
 * later with SIPD_ESTATE. */
static void rfc3261_9_2_cancel_kept_invite(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	a.mode = MODE_KEEP;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&a.invites, 1, 3000));
	assert_non_null(a.kept);
	assert_int_equal(sipd_call_cancel(b.call), 0);
	assert_int_equal(sipd_call_cancel(b.call), SIPD_ESTATE);
	assert_true(run_until(&a.incoming_cancelled, 1, 3000));
	struct sipd_uas_opts uo = {.size = sizeof uo, .sdp = SDP_A, .cb = &call_cb, .user = &a};
	struct sipd_call *c;
	assert_int_equal(sipd_app_create_uas(a.app, a.kept, &uo, &c), SIPD_ESTATE);
	a.kept = NULL;
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(b.failed_code, 487);
	party_close(&a);
	party_close(&b);
}

/* The callee answers later; then it ends the call itself. And a UAS call
 * ended before its answer gets 480. */
static void app_answer_later_and_uas_ends(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	a.mode = MODE_RING;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.provisional, 1, 3000));
	assert_int_equal(sipd_call_answer(a.call, NULL), SIPD_EINVAL);
	assert_int_equal(sipd_call_cancel(a.call), SIPD_ESTATE); /* a UAS call */
	assert_int_equal(sipd_call_answer(a.call, SDP_A), 0);
	assert_int_equal(sipd_call_answer(a.call, SDP_A), SIPD_ESTATE);
	assert_true(run_until(&b.answered, 1, 3000));
	assert_true(run_until(&a.ack, 1, 3000));
	assert_int_equal(sipd_call_destroy(a.call, "SIP;cause=200"), 0);
	assert_true(run_until(&a.terminated, 1, 3000));
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(a.why, SIPD_CALL_END_LOCAL);
	assert_int_equal(b.why, SIPD_CALL_END_REMOTE);

	/* ended before it was answered: 480 */
	memset(&b.provisional, 0, sizeof b - offsetof(struct party, provisional));
	memset(&a.provisional, 0, sizeof a - offsetof(struct party, provisional));
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.provisional, 1, 3000));
	a.inside = true;
	assert_int_equal(sipd_call_destroy(a.call, NULL), 0);
	a.inside = false;
	assert_int_equal(a.terminated, 0);
	assert_true(run_until(&a.terminated, 1, 3000));
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(a.why, SIPD_CALL_END_LOCAL);
	assert_int_equal(b.failed_code, 480);
	assert_false(a.event_inside);
	party_close(&a);
	party_close(&b);
}

/* RFC 3261 §13.2.1: late offer; the offer in the 2xx, our answer in the
 * ACK. */
static void rfc3261_13_2_1_late_offer(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, NULL);
	assert_string_equal(a.ack_sdp, SDP_B);
	struct sipd_str r = sipd_call_remote_sdp(b.call);
	assert_memory_equal(r.p, SDP_A, r.len);
	hang_up(&a, &b);
	party_close(&a);
	party_close(&b);
}

/* RFC 3263: nothing to send to (a transport we do not listen on). */
static void rfc3263_unreachable(void **state)
{
	(void)state;
	struct party b;
	party_open(&b);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, "mailto:x@y", &o, &b.call), SIPD_EINVAL);
	assert_int_equal(sipd_app_create_uac(b.app, "sip:x@127.0.0.1:9;transport=tcp", &o, &b.call),
	                 0);
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(b.why, SIPD_CALL_END_UNREACHABLE);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.failed_code, -1);

	/* destroyed while the name resolves: ends at once, LOCAL */
	memset(&b.provisional, 0, sizeof b - offsetof(struct party, provisional));
	assert_int_equal(sipd_app_create_uac(b.app, "sip:x@127.0.0.1:9", &o, &b.call), 0);
	assert_int_equal(sipd_call_destroy(b.call, NULL), 0);
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(b.why, SIPD_CALL_END_LOCAL);
	party_close(&b);
}

/* A B2BUA made with sipd_app_create_b2bua between the caller and the
 * callee: the call, a re-INVITE relayed, BYE relayed; and a target it
 * cannot send to: 503 and `ended` without a b2bua. */
static void app_b2bua(void **state)
{
	(void)state;
	struct party a, m, b;
	party_open(&a);
	party_open(&m);
	party_open(&b);
	char target[64];
	snprintf(target, sizeof target, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	m.mode = MODE_BRIDGE;
	m.target = target;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:m@127.0.0.1:%u", (unsigned)m.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.answered, 1, 3000));
	assert_true(run_until(&a.ack, 1, 3000));
	assert_int_equal(b.provisional, 1); /* A's 180, relayed */
	assert_int_equal(sipd_call_modify(b.call, SDP_B2), 0);
	assert_true(run_until(&b.modified, 1, 3000));
	assert_int_equal(b.modified_code, 200);
	assert_int_equal(a.modify, 1);
	assert_int_equal(sipd_call_destroy(b.call, NULL), 0);
	assert_true(run_until(&a.terminated, 1, 3000));
	assert_true(run_until(&m.ended, 1, 3000));
	assert_int_equal(a.why, SIPD_CALL_END_REMOTE);
	assert_int_equal(m.ended_null, 0);
	/* the b2bua's legs in the stream, each in order, both over by `ended` */
	assert_string_equal(m.leg_phases[SIPD_B2BUA_A], "early confirmed terminated");
	assert_string_equal(m.leg_phases[SIPD_B2BUA_B], "trying early confirmed terminated");
	assert_false(m.event_inside);
	struct sipd_app_stats sm;
	sipd_app_stats(m.app, &sm);
	assert_int_equal(sm.calls_total, 1);
	assert_int_equal(sm.calls_answered, 1);
	assert_int_equal(sm.calls_active, 0);

	/* nowhere to go */
	snprintf(target, sizeof target, "sip:a@127.0.0.1:9;transport=tcp");
	memset(&b.provisional, 0, sizeof b - offsetof(struct party, provisional));
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(b.failed_code, 503);
	assert_true(run_until(&m.ended, 2, 3000));
	assert_int_equal(m.ended_null, 1);
	sipd_app_stats(m.app, &sm);
	assert_int_equal(sm.calls_failed, 1);
	party_close(&a);
	party_close(&m);
	party_close(&b);
}

/* RFC 3263 §4.3: the first target (TCP, by NAPTR order) refuses the
 * connection; the same INVITE goes to the next one, which answers. The
 * caller sees one call, answered. */
static void rfc3263_4_3_uac_failover(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	unsigned dead = dead_tcp_port(&loop); /* nobody listens there */
	char srv1[128], srv2[128];
	snprintf(srv1, sizeof srv1, "--srv-host=_sip._tcp.app.test,dead.app.test,%u,10,0", dead);
	snprintf(srv2, sizeof srv2, "--srv-host=_sip._udp.app.test,live.app.test,%u,10,0",
	         (unsigned)a.port);
	const char *rec[] = {
		"--naptr-record=app.test,10,10,s,SIP+D2T,,_sip._tcp.app.test",
		"--naptr-record=app.test,20,10,s,SIP+D2U,,_sip._udp.app.test",
		srv1,
		srv2,
		"--host-record=dead.app.test,127.0.0.1",
		"--host-record=live.app.test,127.0.0.1",
	};
	if (!dns_start(rec, sizeof rec / sizeof rec[0], 40000)) {
		party_close(&a);
		skip();
	}
	char dns[32];
	snprintf(dns, sizeof dns, "127.0.0.1:%d", dns_port);
	static const char *const listen[] = {"udp:127.0.0.1:0", "tcp:127.0.0.1:0"};
	party_open_with(&b, listen, 2, dns);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, "sip:a@app.test", &o, &b.call), 0);
	bool up = run_until(&b.answered, 1, 8000);
	dns_stop();
	assert_true(up);
	assert_int_equal(b.failed, 0);
	assert_int_equal(b.terminated, 0);
	assert_int_equal(b.invites_sent[SIPD_TP_TCP], 1); /* refused */
	assert_int_equal(b.invites_sent[SIPD_TP_UDP], 1);
	assert_true(run_until(&a.ack, 1, 3000));
	assert_string_equal(sipd_call_call_id(b.call), sipd_call_call_id(a.call));
	hang_up(&a, &b);
	struct sipd_app_stats sb;
	sipd_app_stats(b.app, &sb);
	assert_int_equal(sb.calls_total, 1);
	assert_int_equal(sb.calls_answered, 1);
	party_close(&a);
	party_close(&b);
}

/* Bad configurations and options are refused with what is wrong; an
 * incoming INVITE given bad options is answered 500 and released. */
/* The dialog-state stream (RFC 3261 §12: early, confirmed, terminated,
 * after the INVITE's trying and proceeding), in order, with directions, and
 * the calls-per-second figure. The callee answers 180 with its To tag, so
 * the caller goes from trying straight to early. */
/* RFC 3263 §4.3 on a b2bua's B leg: the target's name resolves to a TCP
 * port nobody listens on (first by SRV priority) and to the callee; the
 * refused connection makes way for the next target, and the call goes
 * through. */
static void rfc3263_4_3_b2bua_failover(void **state)
{
	(void)state;
	struct party a, m, b;
	static const char *const tcp_only[] = {"tcp:127.0.0.1:0"};
	party_open_with(&a, tcp_only, 1, NULL);
	unsigned dead = dead_tcp_port(&loop); /* nobody listens there */
	char srv1[128], srv2[128];
	snprintf(srv1, sizeof srv1, "--srv-host=_sip._tcp.b2b.test,dead.b2b.test,%u,10,0", dead);
	snprintf(srv2, sizeof srv2, "--srv-host=_sip._tcp.b2b.test,live.b2b.test,%u,20,0",
	         (unsigned)a.port);
	const char *rec[] = {
		"--naptr-record=b2b.test,10,10,s,SIP+D2T,,_sip._tcp.b2b.test",
		srv1,
		srv2,
		"--host-record=dead.b2b.test,127.0.0.1",
		"--host-record=live.b2b.test,127.0.0.1",
	};
	if (!dns_start(rec, sizeof rec / sizeof rec[0], 40000)) {
		party_close(&a);
		skip();
	}
	char dns[32];
	snprintf(dns, sizeof dns, "127.0.0.1:%d", dns_port);
	static const char *const both[] = {"udp:127.0.0.1:0", "tcp:127.0.0.1:0"};
	party_open_with(&m, both, 2, dns);
	party_open(&b);
	m.mode = MODE_BRIDGE;
	m.target = "sip:a@b2b.test";
	char uri[64];
	snprintf(uri, sizeof uri, "sip:m@127.0.0.1:%u", (unsigned)m.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	bool up = run_until(&b.answered, 1, 8000);
	dns_stop();
	assert_true(up);
	assert_int_equal(m.invites_sent[SIPD_TP_TCP], 2); /* the dead target, then the live one */
	assert_true(run_until(&a.ack, 1, 3000));
	hang_up(&a, &b);
	assert_true(run_until(&m.ended, 1, 3000));
	party_close(&a);
	party_close(&m);
	party_close(&b);
}

/* RFC 3261 §8.1.3.4: a 302 sends the INVITE to its Contact (bounded by
 * max_redirects); without redirects allowed, the 302 is the failure. */
/* RFC 4028 §10, RFC 3264 §8: a re-INVITE that offers the session unchanged
 * (the same o= line) is a refresh: answered with our description, reported
 * as `refresh`, not `modify`; a changed one is a `modify`. */
static void rfc4028_10_refresh_event(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, SDP_B);
	assert_int_equal(sipd_call_modify(b.call, SDP_B), 0);
	assert_true(run_until(&b.modified, 1, 3000));
	assert_int_equal(b.modified_code, 200);
	assert_int_equal(a.refresh, 1);
	assert_int_equal(a.modify, 0);
	assert_int_equal(sipd_call_modify(b.call, SDP_B2), 0);
	assert_true(run_until(&b.modified, 2, 3000));
	assert_int_equal(a.modify, 1);
	assert_int_equal(a.refresh, 1);
	hang_up(&a, &b);
	assert_false(a.event_inside);
	party_close(&a);
	party_close(&b);
}

/* RFC 4028 §7.3: a 422 to our INVITE brings a new INVITE asking for the
 * Min-SE it names (a new From tag, CSeq one more), which is answered. */
static void rfc4028_7_3_uac_retries_422(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	static const struct sipd_st_config strict = {.size = sizeof strict, .min_se = 1000};
	a.uas_timer = &strict;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	static const struct sipd_st_config brief = {.size = sizeof brief, .session_expires = 120};
	struct sipd_uac_opts o = {
		.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b, .timer = &brief};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.answered, 1, 5000));
	assert_int_equal(a.uas_refused, 1);
	assert_int_equal(a.invites, 2);
	assert_int_equal(b.failed, 0);
	assert_true(run_until(&a.ack, 1, 3000));
	hang_up(&a, &b);
	party_close(&a);
	party_close(&b);
}

static void rfc3261_8_1_3_4_uac_follows_redirect(void **state)
{
	(void)state;
	struct party a, r, b;
	party_open(&a);
	party_open(&r);
	party_open(&b);
	r.mode = MODE_REDIRECT;
	snprintf(r.redirect_to, sizeof r.redirect_to, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	char uri[64];
	snprintf(uri, sizeof uri, "sip:r@127.0.0.1:%u", (unsigned)r.port);
	struct sipd_uac_opts o = {.size = sizeof o,
	                          .sdp = SDP_B,
	                          .cb = &call_cb,
	                          .user = &b,
	                          .max_redirects = 2};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.answered, 1, 5000));
	assert_int_equal(r.invites, 1);
	assert_int_equal(a.invites, 1);
	assert_true(run_until(&a.ack, 1, 3000));
	assert_string_equal(sipd_call_call_id(b.call), sipd_call_call_id(a.call));
	hang_up(&a, &b);
	/* not allowed to follow */
	o.max_redirects = 0;
	int failed = b.failed;
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.failed, failed + 1, 3000));
	assert_int_equal(b.failed_code, 302);
	assert_int_equal(a.invites, 1);
	party_close(&a);
	party_close(&r);
	party_close(&b);
}

static int alice_lookup(void *user, struct sipd_str username, struct sipd_str realm,
                        enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	(void)user;
	(void)realm;
	(void)hash;
	if (username.len != 5 || memcmp(username.p, "alice", 5) || cap < 6)
		return SIPD_ENOTFOUND;
	memcpy(out, "s3cret", 6);
	*len = 6;
	return SIPD_AUTH_SECRET_PASSWORD;
}

static void test_random(void *user, void *buf, size_t len)
{
	(void)user;
	for (size_t i = 0; i < len; i++)
		((unsigned char *)buf)[i] = (unsigned char)rand();
}

/* RFC 3261 §22.2: a 401 is answered by the INVITE again with credentials;
 * wrong ones end in the server's 403, and are not retried (§22.1). */
static void rfc3261_22_2_uac_answers_challenge(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	static const uint8_t secret[32] = {1, 2, 3};
	struct sipd_auth_server_config ac = {.size = sizeof ac,
	                                     .realm = "test",
	                                     .secret = secret,
	                                     .secret_len = sizeof secret,
	                                     .lookup = alice_lookup,
	                                     .random = test_random};
	a.auth = sipd_auth_server_create(&ac);
	assert_non_null(a.auth);
	a.mode = MODE_AUTH;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o,
	                          .sdp = SDP_B,
	                          .cb = &call_cb,
	                          .user = &b,
	                          .username = "alice",
	                          .password = "s3cret"};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.answered, 1, 5000));
	assert_int_equal(a.challenges, 1);
	assert_int_equal(a.invites, 2);
	assert_true(run_until(&a.ack, 1, 3000));
	hang_up(&a, &b);
	/* a wrong password: one challenge, one refusal */
	o.password = "wrong";
	int failed = b.failed;
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.failed, failed + 1, 5000));
	assert_int_equal(b.failed_code, 403);
	assert_int_equal(a.challenges, 2);
	assert_int_equal(a.denials, 1);
	/* no credentials: the 401 is the failure */
	o.username = o.password = NULL;
	failed = b.failed;
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.failed, failed + 1, 5000));
	assert_int_equal(b.failed_code, 401);
	party_close(&a);
	party_close(&b);
	sipd_auth_server_destroy(a.auth);
}

/* RFC 3261 §8.1.2: with an outbound proxy the INVITE goes to the proxy, its
 * Request-URI still the callee's, with a Route naming the proxy (;lr). The
 * "proxy" here is a b2bua that bridges to the callee. */
static void rfc3261_8_1_2_uac_outbound_proxy(void **state)
{
	(void)state;
	struct party a, m, b;
	party_open(&a);
	party_open(&m);
	party_open(&b);
	char target[64], proxy[64], uri[64];
	snprintf(target, sizeof target, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	snprintf(proxy, sizeof proxy, "sip:127.0.0.1:%u", (unsigned)m.port);
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	m.mode = MODE_BRIDGE;
	m.target = target;
	struct sipd_uac_opts o = {.size = sizeof o,
	                          .sdp = SDP_B,
	                          .cb = &call_cb,
	                          .user = &b,
	                          .proxy = proxy};
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&b.answered, 1, 5000));
	assert_int_equal(m.invites, 1);  /* through the proxy */
	assert_true(m.saw_route);
	assert_int_equal(a.invites, 1);
	assert_false(a.saw_route);       /* the b2bua's own INVITE */
	assert_true(run_until(&a.ack, 1, 3000));
	assert_int_equal(sipd_call_destroy(b.call, NULL), 0);
	assert_true(run_until(&a.terminated, 1, 3000));
	assert_true(run_until(&m.ended, 1, 3000));
	party_close(&a);
	party_close(&m);
	party_close(&b);
}

static void app_call_phases_and_rate(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, SDP_B);
	struct sipd_app_stats st;
	sipd_app_stats(b.app, &st);
	assert_true(st.calls_per_second > 0.0 && st.calls_per_second <= 0.1 + 1e-9);
	hang_up(&a, &b);
	assert_string_equal(b.phases, "trying/out early/out confirmed/out terminated/out");
	assert_string_equal(a.phases, "early/in confirmed/in terminated/in");
	assert_false(a.event_inside);
	assert_false(b.event_inside);
	party_close(&a);
	party_close(&b);
}

static void app_errors(void **state)
{
	(void)state;
	struct sipd_app *app = NULL;
	char err[256];
	struct sipd_app_config cfg = {.size = sizeof cfg, .loop = &loop};
	assert_int_equal(sipd_app_create(&cfg, &app, err, sizeof err), SIPD_EINVAL);
	assert_null(app);
	assert_true(err[0] != 0);
	const char *bad = "udp:nowhere:x";
	cfg.listen = &bad;
	cfg.nlisten = 1;
	assert_true(sipd_app_create(&cfg, &app, err, sizeof err) < 0);
	assert_null(app);
	assert_non_null(strstr(err, "udp:nowhere:x"));
	sipd_app_destroy(NULL);

	struct party a, b;
	party_open(&a);
	party_open(&b);
	a.mode = MODE_KEEP;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:a@127.0.0.1:%u", (unsigned)a.port);
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	struct sipd_uac_opts small = {.size = 8};
	struct sipd_call *c = (struct sipd_call *)&o;
	assert_int_equal(sipd_app_create_uac(b.app, uri, &small, &c), SIPD_EINVAL);
	assert_null(c);
	assert_int_equal(sipd_app_create_uac(b.app, uri, &o, &b.call), 0);
	assert_true(run_until(&a.invites, 1, 3000));
	struct sipd_uas_opts uo = {.size = sizeof uo, .provisional = 200, .cb = &call_cb};
	assert_int_equal(sipd_app_create_uas(a.app, a.kept, &uo, &c), SIPD_EINVAL);
	assert_null(c);
	a.kept = NULL;
	assert_true(run_until(&b.terminated, 1, 3000));
	assert_int_equal(b.failed_code, 500);
	party_close(&a);
	party_close(&b);
}

/* sipd_app_destroy frees what is left, calls no callback, leaks nothing. */
static void app_destroy_with_calls_up(void **state)
{
	(void)state;
	struct party a, b;
	party_open(&a);
	party_open(&b);
	call_up(&a, &b, SDP_B);
	assert_int_equal(sipd_call_modify(b.call, SDP_B2), 0); /* a transaction out */
	/* and a call still resolving */
	struct sipd_call *c;
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = SDP_B, .cb = &call_cb, .user = &b};
	assert_int_equal(sipd_app_create_uac(b.app, "sip:x@127.0.0.1:9", &o, &c), 0);
	party_close(&b);
	party_close(&a);
	assert_int_equal(a.terminated + b.terminated, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(app_call_modify_requests_bye),
		cmocka_unit_test(app_uas_extra_headers),
		cmocka_unit_test(rfc6665_app_subscriptions),
		cmocka_unit_test(rfc3264_8_4_hold_unhold),
		cmocka_unit_test(rfc6337_3_1_refused_modify),
		cmocka_unit_test(app_reject),
		cmocka_unit_test(rfc3261_9_cancel_ringing),
		cmocka_unit_test(rfc3261_9_2_cancel_kept_invite),
		cmocka_unit_test(app_answer_later_and_uas_ends),
		cmocka_unit_test(rfc3261_13_2_1_late_offer),
		cmocka_unit_test(rfc3263_unreachable),
		cmocka_unit_test(app_b2bua),
		cmocka_unit_test(rfc3263_4_3_uac_failover),
		cmocka_unit_test(rfc3263_4_3_b2bua_failover),
		cmocka_unit_test(rfc4028_10_refresh_event),
		cmocka_unit_test(rfc4028_7_3_uac_retries_422),
		cmocka_unit_test(rfc3261_8_1_3_4_uac_follows_redirect),
		cmocka_unit_test(rfc3261_22_2_uac_answers_challenge),
		cmocka_unit_test(rfc3261_8_1_2_uac_outbound_proxy),
		cmocka_unit_test(app_call_phases_and_rate),
		cmocka_unit_test(app_errors),
		cmocka_unit_test(app_destroy_with_calls_up),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
