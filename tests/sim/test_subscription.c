/* Subscriptions through the simulator (RFC 6665, RFC 3515, RFC 4488): the
 * whole life of a subscription with its refresh at the chosen time, the
 * NOTIFY that beats the 2xx, Timer N, 489 and 423, 481 to a NOTIFY for
 * nothing, the notifier's expiry, forks, REFER with and without its
 * implicit subscription, and dialogs shared with an INVITE usage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/invite.h>
#include <sipdialog/session.h>
#include <sipdialog/subscription.h>

#include "sim.h"

/* ---------------------------------------------------------------- the world */

struct node {
	int idx;
	struct sipd_dialogs *dialogs;
	struct sipd_subscriptions *set;
	bool sessions;
	struct sipd_session_env env;
	struct sipd_session *session;
	/* a peer played by hand */
	int (*raw)(struct node *n, struct sipd_txn *tx, const struct sipd_msg *m);
	/* what the application saw */
	struct sipd_subscription *sub, *fork;
	enum sipd_sub_state states[16];
	uint64_t state_at[16];
	int nstates;
	char ss[8][96], ev[8][64], body[8][96];
	int nnotify;
	unsigned last_resp;
	unsigned refer_code;
	char refer_to[96];
	/* the hand-played peer's memory */
	struct sipd_txn *held;
	char call_id[64], tag[32], route[64];
	uint32_t cseq;
	char raw_ss[8][96];
	int nraw;
	unsigned raw_status;
	struct sipd_dialog *raw_d;
};

static struct sim S;
static struct node N[2];

static void fake_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x5a, len);
}

static void copy_str(char *dst, size_t cap, struct sipd_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	memcpy(dst, s.p ? s.p : "", n);
	dst[n] = 0;
}

static void header(char *dst, size_t cap, const struct sipd_msg *m, enum sipd_hdr_id id)
{
	const struct sipd_hdr *h = sipd_msg_find(m, id);
	copy_str(dst, cap, h ? h->value : SIPD_STR_NULL);
}

/* ---- the application's callbacks (arg: the node) */

static void on_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                     const struct sipd_msg *msg)
{
	(void)sub;
	(void)msg;
	struct node *n = arg;
	if (n->nstates < 16) {
		n->state_at[n->nstates] = S.now;
		n->states[n->nstates++] = st;
	}
}

static void on_notify(void *arg, struct sipd_subscription *sub, const struct sipd_msg *m)
{
	(void)sub;
	struct node *n = arg;
	if (n->nnotify == 8)
		return;
	header(n->ss[n->nnotify], sizeof n->ss[0], m, SIPD_HDR_SUBSCRIPTION_STATE);
	header(n->ev[n->nnotify], sizeof n->ev[0], m, SIPD_HDR_EVENT);
	copy_str(n->body[n->nnotify], sizeof n->body[0], m->body);
	n->nnotify++;
}

static void on_response(void *arg, struct sipd_subscription *sub, const struct sipd_msg *resp)
{
	(void)sub;
	((struct node *)arg)->last_resp = resp ? resp->status : 0;
}

static void on_forked(void *arg, struct sipd_subscription *sub, struct sipd_subscription *fork,
                      const struct sipd_msg *m)
{
	(void)sub;
	(void)m;
	((struct node *)arg)->fork = fork;
}

static void on_subscribe(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req,
                         struct sipd_sub_answer *ans)
{
	(void)req;
	((struct node *)arg)->sub = sub;
	ans->content_type = "text/plain";
	ans->body = (struct sipd_str){"open", 4};
}

static unsigned on_refer(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req)
{
	(void)req;
	struct node *n = arg;
	n->sub = sub;
	snprintf(n->refer_to, sizeof n->refer_to, "%s", sipd_subscription_refer_to(sub));
	return n->refer_code ? n->refer_code : 202;
}

static const struct sipd_subscription_callbacks app_cb = {
	.size = sizeof app_cb,
	.state = on_state,
	.notify = on_notify,
	.response = on_response,
	.subscribe = on_subscribe,
	.refer = on_refer,
};
static const struct sipd_subscription_callbacks fork_cb = {
	.size = sizeof fork_cb,
	.state = on_state,
	.notify = on_notify,
	.response = on_response,
	.forked = on_forked,
};

/* ---- wiring: the dialog table and the request callback */

static void on_dialog(void *user, struct sipd_dialog *d, enum sipd_dialog_state st,
                      enum sipd_dialog_reason why)
{
	(void)why;
	struct node *n = user;
	if (st == SIPD_DIALOG_TERMINATED && n->set)
		sipd_subscriptions_dialog_ended(n->set, d);
}

static const struct sipd_dialogs_callbacks dialogs_cb = {.size = sizeof dialogs_cb,
                                                         .state = on_dialog};

#define ANSWER_SDP                                                                                 \
	"v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 4000 "     \
	"RTP/AVP 0\r\n"
#define OFFER_SDP                                                                                  \
	"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 "     \
	"RTP/AVP 0\r\n"

static int app_request(struct sim *sim, int idx, struct sipd_txn *tx, const struct sipd_msg *m)
{
	struct node *n = &N[idx];
	struct sipd_flow from = sim_flow(sim, idx, idx ^ 1, SIPD_TP_UDP);
	if (n->set && sipd_subscriptions_request(n->set, tx, m, &from) == 0)
		return 0;
	if (n->sessions) {
		if (m->to.tag.len || m->method == SIPD_METHOD_ACK)
			return sipd_sessions_request(&n->env, tx, m, &from);
		if (m->method == SIPD_METHOD_INVITE) {
			struct sipd_session_opts o = {
				.size = sizeof o,
				.dialog = {.size = sizeof o.dialog,
			                   .local_contact = {"sip:bob@10.0.0.2", 16}}};
			assert_int_equal(
				sipd_session_uas(&n->env, tx, &from, &o, sim->now, &n->session), 0);
			return sipd_session_accept(
				n->session, (struct sipd_str){ANSWER_SDP, strlen(ANSWER_SDP)},
				sim->now);
		}
	}
	return n->raw ? n->raw(n, tx, m) : -1;
}

static void app_done(struct sim *sim, int idx, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	if (N[idx].sessions)
		sipd_sessions_server_done(&N[idx].env, tx, timeout);
}

static void tweak(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, SUBSCRIBE, NOTIFY, REFER";
	cfg->accept = "application/sdp, text/plain, message/sipfrag";
}

static void world(uint64_t seed)
{
	sim_init(&S, seed);
	S.trace = getenv("SIM_TRACE") != NULL;
	memset(N, 0, sizeof N);
	struct sim_app app = {.request = app_request, .server_done = app_done};
	for (int i = 0; i < 2; i++) {
		sim_add_node(&S, &app, tweak);
		N[i].idx = i;
		struct sipd_dialogs_config c = {
			.size = sizeof c, .cb = &dialogs_cb, .user = &N[i], .random = fake_random};
		N[i].dialogs = sipd_dialogs_create(&c);
		N[i].env = (struct sipd_session_env){
			.size = sizeof N[i].env, .stack = S.nodes[i].st, .dialogs = N[i].dialogs};
	}
}

static struct sipd_subscriptions_config set_cfg(int i, const char *events)
{
	static const char *contacts[] = {"sip:alice@10.0.0.1", "sip:bob@10.0.0.2"};
	return (struct sipd_subscriptions_config){
		.size = sizeof(struct sipd_subscriptions_config),
		.stack = S.nodes[i].st,
		.dialogs = N[i].dialogs,
		.local_contact = {contacts[i], strlen(contacts[i])},
		.events = events,
		.cb = &app_cb,
		.arg = &N[i]};
}

static void add_set(int i, const char *events)
{
	struct sipd_subscriptions_config c = set_cfg(i, events);
	N[i].set = sipd_subscriptions_create(&c);
	assert_non_null(N[i].set);
}

static void teardown_now(void)
{
	for (int i = 0; i < 2; i++)
		if (N[i].session)
			sipd_session_free(N[i].session);
	sim_free(&S); /* the stacks first: their transactions point at subscriptions */
	for (int i = 0; i < 2; i++) {
		sipd_subscriptions_destroy(N[i].set);
		N[i].set = NULL;
		sipd_dialogs_destroy(N[i].dialogs);
	}
}

static void teardown(void)
{
	sim_run(&S, S.now + 40000); /* every transaction finishes first */
	teardown_now();
}

/* node 0 subscribes to bob at node 1 */
static struct sipd_subscribe_opts opts(const char *event, uint32_t expires)
{
	return (struct sipd_subscribe_opts){
		.size = sizeof(struct sipd_subscribe_opts),
		.request_uri = {"sip:bob@10.0.0.2", 16},
		.from = {"sip:alice@10.0.0.1", 18},
		.to = {"sip:bob@10.0.0.2", 16},
		.dialog_opts = {.size = sizeof(struct sipd_dialog_opts),
	                        .local_contact = {"sip:alice@10.0.0.1", 18}},
		.flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
		.event = event,
		.expires = expires,
		.accept = "text/plain",
		.cb = &app_cb,
		.arg = &N[0]};
}

/* ---- a peer played by hand */

static void raw_resp(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                     const struct sipd_msg *resp)
{
	(void)tx;
	if (ev != SIPD_TXN_TERMINATED && resp && resp->status >= 200)
		((struct node *)arg)->raw_status = resp->status;
}

static void raw_respond(struct sipd_txn *tx, unsigned code, const char *tag, const char *hdrs)
{
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .to_tag = {tag, tag ? strlen(tag) : 0},
	                          .headers = {hdrs, hdrs ? strlen(hdrs) : 0}};
	assert_int_equal(sipd_txn_respond(tx, &r, S.now), 0);
}

/* The hand-played notifier at node 1 remembers the SUBSCRIBE... */
static void remember(struct node *n, const struct sipd_msg *m)
{
	copy_str(n->call_id, sizeof n->call_id, m->call_id);
	copy_str(n->tag, sizeof n->tag, m->from.tag);
}

/* ... and sends NOTIFYs from a To tag of its choice (through a proxy that
 * record-routes, when raw_rr says so). */
static const char *raw_rr = "";
static void raw_notify(struct node *n, const char *tag, uint32_t cseq, const char *substate)
{
	char hdrs[1024];
	snprintf(hdrs, sizeof hdrs,
	         "From: <sip:bob@10.0.0.2>;tag=%s\r\nTo: <sip:alice@10.0.0.1>;tag=%s\r\n"
	         "Call-ID: %s\r\nCSeq: %u NOTIFY\r\nMax-Forwards: 70\r\n%s"
	         "Contact: <sip:bob@10.0.0.2>\r\nEvent: presence\r\nSubscription-State: %s\r\n",
	         tag, n->tag, n->call_id, (unsigned)cseq, raw_rr, substate);
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"NOTIFY", 6},
	                         .uri = {"sip:alice@10.0.0.1", 18},
	                         .headers = {hdrs, strlen(hdrs)},
	                         .flow = sim_flow(&S, n->idx, n->idx ^ 1, SIPD_TP_UDP)};
	assert_int_equal(sipd_stack_request(S.nodes[n->idx].st, &r, raw_resp, n, S.now, NULL), 0);
}

/* ---------------------------------------------------------------- tests */

/* §4.1.2.1-§4.1.2.3, §4.2.1.2, §4.2.1.4: subscribe, 200, NOTIFY active,
 * refresh at 90% (540 s of 600), a NOTIFY confirming it, a state change,
 * unsubscribe, NOTIFY terminated;reason=timeout; both dialogs gone. */
static void rfc6665_4_1_2_subscribe_refresh_unsubscribe(void **state)
{
	(void)state;
	world(1);
	add_set(0, NULL);
	add_set(1, "presence");
	struct sipd_subscribe_opts o = opts("presence", 600);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	uint64_t t0 = S.now;
	sim_run(&S, t0 + 1000);
	assert_int_equal(N[0].last_resp, 200);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(N[0].nnotify, 1);
	assert_string_equal(N[0].ss[0], "active;expires=600");
	assert_string_equal(N[0].body[0], "open");
	assert_string_equal(N[0].ev[0], "presence");
	assert_int_equal(sipd_subscription_expires_at(sub), t0 + 600000);
	assert_non_null(N[1].sub);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 1);

	/* the refresh: 600 s granted, 90% is 540 s (more than 64*T1 left) */
	sim_run(&S, t0 + 600000);
	assert_int_equal(sim_count(&S, 0, "SUBSCRIBE"), 2);
	assert_int_equal(sim_time_of(&S, 0, "SUBSCRIBE", 1), t0 + 540000);
	assert_int_equal(N[0].nnotify, 2); /* §4.2.1.2: the refresh is confirmed by a NOTIFY */
	assert_string_equal(N[0].ss[1], "active;expires=600");
	assert_int_equal(sipd_subscription_expires_at(sub), t0 + 540000 + 600000);

	/* the resource changes */
	assert_int_equal(sipd_subscription_notify(N[1].sub, SIPD_SUB_ACTIVE, "text/plain",
	                                          (struct sipd_str){"closed", 6}, S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nnotify, 3);
	assert_string_equal(N[0].body[2], "closed");

	/* unsubscribe: Expires 0, then the final NOTIFY with the last state */
	assert_int_equal(sipd_subscription_unsubscribe(sub, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nnotify, 4);
	assert_string_equal(N[0].ss[3], "terminated;reason=timeout");
	assert_string_equal(N[0].body[3], "closed");
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_TIMEOUT);
	assert_int_equal(sipd_subscription_retry_after(sub), -1); /* we asked for it */
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	sipd_subscription_free(sub);
	sipd_subscription_free(N[1].sub);
	assert_int_equal(sipd_subscriptions_count(N[0].set), 0);
	teardown();
}

static int notify_first(struct node *n, struct sipd_txn *tx, const struct sipd_msg *m)
{
	if (m->method != SIPD_METHOD_SUBSCRIBE)
		return -1;
	if (!m->to.tag.len) {
		/* hold the 200; the NOTIFY goes first (it may, §4.1.2.4) */
		remember(n, m);
		n->held = tx;
		raw_notify(n, "n1", 1, "active;expires=300");
		return 0;
	}
	n->cseq = m->cseq.seq;
	copy_str(n->tag, sizeof n->tag, m->to.tag);
	header(n->route, sizeof n->route, m, SIPD_HDR_ROUTE);
	raw_respond(tx, 200, NULL, "Contact: <sip:bob@10.0.0.2>\r\nExpires: 300\r\n");
	return 0;
}

/* §4.1.2.4, §4.4.1: the NOTIFY arrives before the 2xx and makes the
 * dialog; the 2xx then changes nothing; the next SUBSCRIBE goes on from
 * the first one's CSeq within that dialog. */
static void rfc6665_4_1_2_4_notify_before_2xx_creates_dialog(void **state)
{
	(void)state;
	world(2);
	add_set(0, NULL);
	N[1].raw = notify_first;
	raw_rr = "Record-Route: <sip:p1.example.com;lr>\r\n";
	struct sipd_subscribe_opts o = opts("presence", 300);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	raw_rr = "";
	assert_int_equal(N[1].raw_status, 200); /* the NOTIFY was taken */
	/* RFC 3261 §12.1.1: its 200 made a dialog: Record-Route echoed */
	assert_non_null(strstr(S.last[0], "\r\nRecord-Route: <sip:p1.example.com;lr>\r\n"));
	assert_int_equal(N[0].last_resp, 0); /* before any response */
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	struct sipd_dialog *d = sipd_subscription_dialog(sub);
	assert_non_null(d);
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_CONFIRMED);
	assert_true(sipd_str_eq(sipd_dialog_remote_tag(d), "n1"));
	/* now the 2xx */
	raw_respond(N[1].held, 200, "n1", "Contact: <sip:bob@10.0.0.2>\r\nExpires: 300\r\n");
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 200);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	assert_ptr_equal(sipd_subscription_dialog(sub), d);
	/* a refresh within it: CSeq 2, to the NOTIFY's tag, by its route set
	 * (§4.4.1: the NOTIFY's, not the 2xx's) */
	assert_int_equal(sipd_subscription_refresh(sub, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].cseq, 2);
	assert_string_equal(N[1].tag, "n1");
	assert_string_equal(N[1].route, "<sip:p1.example.com;lr>");
	teardown();
}

static int answer_no_notify(struct node *n, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)n;
	if (m->method != SIPD_METHOD_SUBSCRIBE)
		return -1;
	raw_respond(tx, 200, "x1", "Contact: <sip:bob@10.0.0.2>\r\nExpires: 600\r\n");
	return 0;
}

/* §4.1.2.4: a 2xx but no NOTIFY: Timer N (64*T1 = 32 s after the
 * SUBSCRIBE) fails the subscription, and the dialog the 2xx made goes. */
static void rfc6665_4_1_2_4_timer_n_without_notify(void **state)
{
	(void)state;
	world(3);
	add_set(0, NULL);
	N[1].raw = answer_no_notify;
	struct sipd_subscribe_opts o = opts("presence", 600);
	struct sipd_subscription *sub;
	uint64_t t0 = S.now;
	assert_int_equal(sipd_subscribe(N[0].set, &o, t0, &sub), 0);
	sim_run(&S, t0 + 31999);
	assert_int_equal(N[0].last_resp, 200);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_NOTIFY_WAIT);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	sim_run(&S, t0 + 40000);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_NO_NOTIFY);
	assert_int_equal(N[0].state_at[N[0].nstates - 1], t0 + 32000);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_subscription_retry_after(sub), 0);
	sipd_subscription_free(sub);
	teardown();
}

/* §4.2.1.1, §4.2.3: a package we do not notify, or none at all: 489 with
 * Allow-Events; the subscription is refused. */
static void rfc6665_4_2_1_1_unknown_event_489(void **state)
{
	(void)state;
	world(4);
	add_set(0, NULL);
	add_set(1, "presence");
	struct sipd_subscribe_opts o = opts("dialog", 600);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 489);
	assert_non_null(strstr(S.last[1], "\r\nAllow-Events: presence\r\n"));
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_REFUSED);
	assert_int_equal(sipd_subscription_status(sub), 489);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	assert_int_equal(sipd_subscriptions_count(N[1].set), 0);
	sipd_subscription_free(sub);
	/* no Event header at all: 489 too (no PINT here) */
	sim_inject(&S, 0, 1, SIPD_TP_UDP,
	           "SUBSCRIBE sip:bob@10.0.0.2 SIP/2.0\r\n"
	           "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKnoevent\r\n"
	           "From: <sip:alice@10.0.0.1>;tag=ne\r\nTo: <sip:bob@10.0.0.2>\r\n"
	           "Call-ID: noevent\r\nCSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\n"
	           "Contact: <sip:alice@10.0.0.1>\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(strncmp(S.last[1], "SIP/2.0 489", 11), 0);
	/* a SUBSCRIBE to event refer that refreshes no REFER: 403 (RFC 3515
	 * §2.4.4) */
	sim_inject(&S, 0, 1, SIPD_TP_UDP,
	           "SUBSCRIBE sip:bob@10.0.0.2 SIP/2.0\r\n"
	           "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKrefer\r\n"
	           "From: <sip:alice@10.0.0.1>;tag=rf\r\nTo: <sip:bob@10.0.0.2>\r\n"
	           "Call-ID: refer-sub\r\nCSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\n"
	           "Event: refer\r\nContact: <sip:alice@10.0.0.1>\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(strncmp(S.last[1], "SIP/2.0 403", 11), 0);
	teardown();
}

/* §4.2.1.1: an Expires below the notifier's minimum gets 423 with
 * Min-Expires; the subscriber asks again for that minimum and refreshes at
 * half of 60 s (64*T1 would leave less than half). */
static void rfc6665_4_2_1_1_interval_too_brief_423(void **state)
{
	(void)state;
	world(5);
	add_set(0, NULL);
	struct sipd_subscriptions_config c = set_cfg(1, "presence");
	c.min_expires = 60;
	N[1].set = sipd_subscriptions_create(&c);
	struct sipd_subscribe_opts o = opts("presence", 30);
	struct sipd_subscription *sub;
	uint64_t t0 = S.now;
	assert_int_equal(sipd_subscribe(N[0].set, &o, t0, &sub), 0);
	sim_run(&S, t0 + 100);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 423"), 1);
	assert_int_equal(sim_count(&S, 0, "SUBSCRIBE"), 2);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_string_equal(N[0].ss[0], "active;expires=60");
	sim_run(&S, t0 + 31000);
	assert_int_equal(sim_time_of(&S, 0, "SUBSCRIBE", 2), t0 + 30000);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	/* everything goes with a refresh in flight and the timers armed */
	assert_int_equal(sipd_subscription_refresh(sub, S.now), 0);
	teardown_now();
}

#define IN_DIALOG_NOTIFY                                                                           \
	"NOTIFY sip:alice@10.0.0.1 SIP/2.0\r\n"                                                    \
	"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK%s\r\n"                                           \
	"From: <sip:bob@10.0.0.2>;tag=%.*s\r\nTo: <sip:alice@10.0.0.1>;tag=%.*s\r\n"               \
	"Call-ID: %.*s\r\nCSeq: %u NOTIFY\r\nMax-Forwards: 70\r\n"                                 \
	"Contact: <sip:bob@10.0.0.2>\r\nEvent: %s\r\n%s"                                           \
	"Content-Length: 0\r\n\r\n"

/* §4.1.3: a NOTIFY that matches no subscription gets 481: unknown dialog,
 * or a known dialog with another package; one without Subscription-State
 * is malformed (400). */
static void rfc6665_4_1_3_notify_matching_nothing_481(void **state)
{
	(void)state;
	world(6);
	add_set(0, NULL);
	add_set(1, "presence");
	sim_inject(&S, 1, 0, SIPD_TP_UDP,
	           "NOTIFY sip:alice@10.0.0.1 SIP/2.0\r\n"
	           "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKstray\r\n"
	           "From: <sip:bob@10.0.0.2>;tag=zz\r\nTo: <sip:alice@10.0.0.1>;tag=yy\r\n"
	           "Call-ID: nothing\r\nCSeq: 5 NOTIFY\r\nMax-Forwards: 70\r\n"
	           "Contact: <sip:bob@10.0.0.2>\r\nEvent: presence\r\n"
	           "Subscription-State: active;expires=60\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(strncmp(S.last[0], "SIP/2.0 481", 11), 0);
	/* a real subscription, then a NOTIFY in its dialog for another package */
	struct sipd_subscribe_opts o = opts("presence", 600);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	struct sipd_dialog *d = sipd_subscription_dialog(sub);
	assert_non_null(d);
	char msg[1024];
	struct sipd_str cid = sipd_dialog_call_id(d), lt = sipd_dialog_local_tag(d),
			rt = sipd_dialog_remote_tag(d);
	snprintf(msg, sizeof msg, IN_DIALOG_NOTIFY, "other", (int)rt.len, rt.p, (int)lt.len, lt.p,
	         (int)cid.len, cid.p, 100u, "dialog", "Subscription-State: active\r\n");
	sim_inject(&S, 1, 0, SIPD_TP_UDP, msg);
	assert_int_equal(strncmp(S.last[0], "SIP/2.0 481", 11), 0);
	/* the right package with an id the subscription does not have (§8.2.1) */
	snprintf(msg, sizeof msg, IN_DIALOG_NOTIFY, "withid", (int)rt.len, rt.p, (int)lt.len, lt.p,
	         (int)cid.len, cid.p, 101u, "presence;id=7", "Subscription-State: active\r\n");
	sim_inject(&S, 1, 0, SIPD_TP_UDP, msg);
	assert_int_equal(strncmp(S.last[0], "SIP/2.0 481", 11), 0);
	snprintf(msg, sizeof msg, IN_DIALOG_NOTIFY, "nostate", (int)rt.len, rt.p, (int)lt.len, lt.p,
	         (int)cid.len, cid.p, 102u, "presence", "");
	sim_inject(&S, 1, 0, SIPD_TP_UDP, msg);
	assert_int_equal(strncmp(S.last[0], "SIP/2.0 400", 11), 0);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(N[0].nnotify, 1);
	teardown();
}

static int raw_subscriber(struct node *n, struct sipd_txn *tx, const struct sipd_msg *m)
{
	if (m->method != SIPD_METHOD_NOTIFY || n->nraw == 8)
		return -1;
	header(n->raw_ss[n->nraw++], sizeof n->raw_ss[0], m, SIPD_HDR_SUBSCRIPTION_STATE);
	raw_respond(tx, 200, NULL, NULL);
	return 0;
}

/* §4.2.1.4: a subscription nobody refreshes ends at its expiry with NOTIFY
 * terminated;reason=timeout, and the notifier's dialog goes. */
static void rfc6665_4_2_1_4_notifier_expiry_timeout(void **state)
{
	(void)state;
	world(7);
	add_set(1, "presence");
	N[0].raw = raw_subscriber;
	static const char hdrs[] =
		"From: <sip:alice@10.0.0.1>;tag=s1\r\nTo: <sip:bob@10.0.0.2>\r\n"
		"Call-ID: expiry-1\r\nCSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\n"
		"Contact: <sip:alice@10.0.0.1>\r\nEvent: presence\r\nExpires: 60\r\n";
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"SUBSCRIBE", 9},
	                         .uri = {"sip:bob@10.0.0.2", 16},
	                         .headers = {hdrs, sizeof hdrs - 1},
	                         .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP)};
	uint64_t t0 = S.now;
	assert_int_equal(sipd_stack_request(S.nodes[0].st, &r, raw_resp, &N[0], t0, NULL), 0);
	sim_run(&S, t0 + 59999);
	assert_int_equal(N[0].raw_status, 200);
	assert_int_equal(N[0].nraw, 1);
	assert_string_equal(N[0].raw_ss[0], "active;expires=60");
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 1);
	sim_run(&S, t0 + 61000);
	assert_int_equal(N[0].nraw, 2);
	assert_string_equal(N[0].raw_ss[1], "terminated;reason=timeout");
	assert_int_equal(sim_time_of(&S, 1, "NOTIFY", 1), t0 + 60000);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(N[1].sub), SIPD_SUB_END_TIMEOUT);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	teardown();
}

static int forking(struct node *n, struct sipd_txn *tx, const struct sipd_msg *m)
{
	if (m->method != SIPD_METHOD_SUBSCRIBE || m->to.tag.len)
		return -1;
	/* as if a proxy forked it: one 200 (tag A) comes back, and each
	 * notifier sends its NOTIFY */
	remember(n, m);
	raw_respond(tx, 200, "A", "Contact: <sip:bob@10.0.0.2>\r\nExpires: 600\r\n");
	raw_notify(n, "A", 1, "active;expires=600");
	raw_notify(n, "B", 1, "pending;expires=600");
	return 0;
}

/* §4.1.4, §5.4.9: a forked SUBSCRIBE: NOTIFYs from two To tags make two
 * subscriptions on two dialogs; after Timer N a third fork gets 481. */
static void rfc6665_4_1_4_forked_subscribe_two_subscriptions(void **state)
{
	(void)state;
	world(8);
	add_set(0, NULL);
	N[1].raw = forking;
	struct sipd_subscribe_opts o = opts("presence", 600);
	o.cb = &fork_cb;
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_non_null(N[0].fork);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_subscription_state(N[0].fork), SIPD_SUB_PENDING);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 2);
	assert_true(sipd_str_eq(sipd_dialog_remote_tag(sipd_subscription_dialog(sub)), "A"));
	assert_true(sipd_str_eq(sipd_dialog_remote_tag(sipd_subscription_dialog(N[0].fork)), "B"));
	assert_int_equal(sipd_subscriptions_count(N[0].set), 2);
	/* the window closes with Timer N of the initial SUBSCRIBE */
	sim_run(&S, S.now + 33000);
	raw_notify(&N[1], "C", 1, "active;expires=600");
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].raw_status, 481);
	assert_int_equal(sipd_subscriptions_count(N[0].set), 2);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	/* each ends on its own */
	raw_notify(&N[1], "B", 2, "terminated;reason=rejected");
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(N[0].fork), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(N[0].fork), SIPD_SUB_END_REJECTED);
	assert_int_equal(sipd_subscription_retry_after(N[0].fork), -1);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	teardown();
}

/* Node 0 calls node 1 (INVITE sessions on both sides). */
static void call(void)
{
	N[0].sessions = N[1].sessions = true;
	static const char hdrs[] =
		"From: <sip:alice@10.0.0.1>;tag=call1\r\nTo: <sip:bob@10.0.0.2>\r\n"
		"Call-ID: call-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"Contact: <sip:alice@10.0.0.1>\r\n";
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"INVITE", 6},
	                         .uri = {"sip:bob@10.0.0.2", 16},
	                         .headers = {hdrs, sizeof hdrs - 1},
	                         .content_type = "application/sdp",
	                         .body = {OFFER_SDP, strlen(OFFER_SDP)},
	                         .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP)};
	struct sipd_session_opts o = {
		.size = sizeof o,
		.dialog = {.size = sizeof o.dialog, .local_contact = {"sip:alice@10.0.0.1", 18}}};
	assert_int_equal(sipd_session_uac(&N[0].env, &r, &o, S.now, &N[0].session), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_session_state(N[0].session), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_state(N[1].session), SIPD_SESSION_CONFIRMED);
}

static struct sipd_subscribe_opts refer_opts(struct sipd_dialog *d)
{
	return (struct sipd_subscribe_opts){.size = sizeof(struct sipd_subscribe_opts),
	                                    .dialog = d,
	                                    .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
	                                    .refer_to = "sip:carol@10.0.0.3",
	                                    .cb = &app_cb,
	                                    .arg = &N[0]};
}

/* RFC 3515 §2.4.4-§2.4.7, RFC 3420: REFER in the INVITE session's dialog;
 * 202, the implicit subscription's NOTIFYs with sipfrag "100 Trying" then
 * "200 OK" (a second later, §3.10) with terminated;reason=noresource; the
 * dialog outlives the subscription (RFC 6665 §4.5.2) and ends with BYE. */
static void rfc3515_refer_implicit_subscription_sipfrag(void **state)
{
	(void)state;
	world(9);
	add_set(0, NULL);
	add_set(1, NULL);
	call();
	struct sipd_dialog *d0 = sipd_session_dialog(N[0].session);
	struct sipd_dialog *d1 = sipd_session_dialog(N[1].session);
	struct sipd_subscribe_opts o = refer_opts(d0);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_refer(N[0].set, &o, S.now, &sub), 0);
	assert_int_equal(sipd_dialog_usages(d0), 2);
	uint32_t cseq;
	sipd_dialog_local_seq(d0, &cseq);
	char id[16];
	snprintf(id, sizeof id, "%u", (unsigned)cseq);
	assert_string_equal(sipd_subscription_id(sub), id);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 202);
	assert_string_equal(N[1].refer_to, "<sip:carol@10.0.0.3>");
	assert_int_equal(sipd_dialog_usages(d1), 2);
	assert_int_equal(N[0].nnotify, 1);
	char ev[32];
	snprintf(ev, sizeof ev, "refer;id=%u", (unsigned)cseq);
	assert_string_equal(N[0].ev[0], ev);
	assert_int_equal(sipd_sipfrag_status((struct sipd_str){N[0].body[0], strlen(N[0].body[0])}),
	                 100);
	assert_string_equal(N[0].ss[0], "active;expires=300");
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	/* the referred call succeeded */
	uint64_t t1 = sim_time_of(&S, 1, "NOTIFY", 0);
	assert_int_equal(sipd_refer_progress(N[1].sub, 200, NULL, S.now), 0);
	sim_run(&S, S.now + 2000);
	assert_int_equal(N[0].nnotify, 2);
	assert_int_equal(sim_time_of(&S, 1, "NOTIFY", 1) - t1, 1000);
	assert_string_equal(N[0].body[1], "SIP/2.0 200 OK\r\n");
	assert_string_equal(N[0].ss[1], "terminated;reason=noresource");
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_NORESOURCE);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_TERMINATED);
	/* the sessions' dialogs live on, one usage each */
	assert_int_equal(sipd_dialog_state(d0), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_dialog_state(d1), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_dialog_usages(d0), 1);
	assert_int_equal(sipd_dialog_usages(d1), 1);
	/* nothing more to report on an ended one */
	assert_int_equal(sipd_refer_progress(N[1].sub, 180, NULL, S.now), SIPD_ESTATE);
	assert_int_equal(sipd_session_bye(N[0].session, NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_session_state(N[1].session), SIPD_SESSION_TERMINATED);
	sipd_subscription_free(sub);
	sipd_subscription_free(N[1].sub);
	teardown();
}

/* RFC 4488 §4: REFER with Refer-Sub: false, out of dialog: 202 with
 * Refer-Sub: false, no subscription, no dialog, no NOTIFY at all. */
static void rfc4488_refer_sub_false_no_subscription(void **state)
{
	(void)state;
	world(10);
	add_set(0, NULL);
	struct sipd_subscriptions_config c = set_cfg(1, NULL);
	c.no_refer_sub = true;
	N[1].set = sipd_subscriptions_create(&c);
	struct sipd_subscribe_opts o = opts(NULL, 0);
	o.refer_to = "sip:carol@10.0.0.3";
	o.no_refer_sub = true;
	struct sipd_subscription *sub;
	assert_int_equal(sipd_refer(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 202);
	assert_non_null(strstr(S.last[1], "\r\nRefer-Sub: false\r\n"));
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_NO_SUBSCRIPTION);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	/* the recipient reports progress; nothing goes out, the final ends it */
	assert_non_null(N[1].sub);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_refer_progress(N[1].sub, 180, NULL, S.now), 0);
	assert_int_equal(sipd_refer_progress(N[1].sub, 200, NULL, S.now), 0);
	sim_run(&S, S.now + 40000);
	assert_int_equal(sim_count(&S, 1, "NOTIFY"), 0);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(N[1].sub), SIPD_SUB_END_NORESOURCE);
	sipd_subscription_free(sub);
	sipd_subscription_free(N[1].sub);
	teardown();
}

/* ---- an INVITE usage played by hand, that follows the usage rules */

static int invite_usage(struct node *n, struct sipd_txn *tx, const struct sipd_msg *m)
{
	switch (m->method) {
	case SIPD_METHOD_INVITE: {
		struct sipd_dialog_opts o = {.size = sizeof o,
		                             .local_contact = {"sip:bob@10.0.0.2", 16}};
		assert_int_equal(sipd_dialog_create_uas(n->dialogs, m, (struct sipd_str){"inv1", 4},
		                                        &o, &n->raw_d),
		                 0);
		sipd_dialog_usage_add(n->raw_d); /* the INVITE usage */
		sipd_dialog_confirm(n->raw_d);
		n->held = tx;
		struct sipd_response r = {.size = sizeof r,
		                          .code = 200,
		                          .to_tag = {"inv1", 4},
		                          .headers = {"Contact: <sip:bob@10.0.0.2>\r\n", 29},
		                          .retransmit_2xx = true};
		assert_int_equal(sipd_txn_respond(tx, &r, S.now), 0);
		return 0;
	}
	case SIPD_METHOD_ACK:
		if (n->held)
			sipd_txn_acked(n->held);
		n->held = NULL;
		return 0;
	case SIPD_METHOD_BYE:
		assert_int_equal(sipd_dialog_check_request(n->raw_d, m), 0);
		sipd_dialog_take_request(n->raw_d, m);
		raw_respond(tx, 200, NULL, NULL);
		/* RFC 5057: BYE ends the INVITE usage, not the dialog's others */
		sipd_dialog_usage_release(n->raw_d, SIPD_END_REMOTE_BYE);
		return 0;
	default: return -1;
	}
}

static void answered(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                     const struct sipd_msg *resp)
{
	(void)inv;
	(void)resp;
	struct node *n = arg;
	n->raw_d = d;
	sipd_dialog_usage_add(d); /* the INVITE usage */
}

/* RFC 6665 §4.5.2 (RFC 5057): a subscription made within an INVITE's
 * dialog; BYE ends the INVITE usage only: the dialog lives on while the
 * subscription does, NOTIFYs still flow, and the dialog ends with the
 * subscription. */
static void rfc6665_4_5_2_bye_leaves_the_subscription_and_dialog(void **state)
{
	(void)state;
	world(11);
	add_set(0, NULL);
	add_set(1, "presence");
	N[1].raw = invite_usage;
	static const struct sipd_invite_callbacks icb = {.size = sizeof icb, .answered = answered};
	static const char hdrs[] =
		"From: <sip:alice@10.0.0.1>;tag=inv0\r\nTo: <sip:bob@10.0.0.2>\r\n"
		"Call-ID: shared-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"Contact: <sip:alice@10.0.0.1>\r\n";
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"INVITE", 6},
	                         .uri = {"sip:bob@10.0.0.2", 16},
	                         .headers = {hdrs, sizeof hdrs - 1},
	                         .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP)};
	struct sipd_invite_opts io = {
		.size = sizeof io,
		.dialog = {.size = sizeof io.dialog, .local_contact = {"sip:alice@10.0.0.1", 18}},
		.cb = &icb,
		.arg = &N[0]};
	struct sipd_invite *inv;
	assert_int_equal(sipd_invite_send(S.nodes[0].st, N[0].dialogs, &r, &io, S.now, &inv), 0);
	sim_run(&S, S.now + 100);
	struct sipd_dialog *d0 = N[0].raw_d, *d1 = N[1].raw_d;
	assert_non_null(d0);
	/* a subscription within the call's dialog */
	struct sipd_subscribe_opts o = opts("presence", 600);
	o.dialog = d0;
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_ptr_equal(sipd_subscription_dialog(sub), d0);
	assert_ptr_equal(sipd_subscription_dialog(N[1].sub), d1);
	assert_int_equal(sipd_dialog_usages(d0), 2);
	assert_int_equal(sipd_dialog_usages(d1), 2);
	/* BYE from node 0: its INVITE usage ends */
	char buf[2048];
	struct sipd_request bye;
	struct sipd_dialog_request dr = {.size = sizeof dr, .method = {"BYE", 3}};
	assert_int_equal(sipd_dialog_request(d0, &dr, buf, sizeof buf, &bye, NULL), 0);
	bye.flow = sim_flow(&S, 0, 1, SIPD_TP_UDP);
	N[0].raw_status = 0;
	assert_int_equal(sipd_stack_request(S.nodes[0].st, &bye, raw_resp, &N[0], S.now, NULL), 0);
	assert_int_equal(sipd_dialog_usage_release(d0, SIPD_END_LOCAL_BYE), 1);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].raw_status, 200);
	assert_int_equal(sipd_dialog_state(d0), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_dialog_state(d1), SIPD_DIALOG_CONFIRMED);
	/* the subscription goes on */
	assert_int_equal(sipd_subscription_notify(N[1].sub, SIPD_SUB_ACTIVE, "text/plain",
	                                          (struct sipd_str){"away", 4}, S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nnotify, 2);
	assert_string_equal(N[0].body[1], "away");
	/* and the dialog ends with it */
	assert_int_equal(sipd_subscription_unsubscribe(sub, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	teardown();
}

/* §4.1.3: terminated;reason=deactivated means "subscribe again at once":
 * the retry is a new subscription (new Call-ID and tag, §4.1.2.2);
 * probation with retry-after says when. */
static void rfc6665_4_1_3_deactivated_retry_and_probation(void **state)
{
	(void)state;
	world(12);
	add_set(0, NULL);
	add_set(1, "presence");
	struct sipd_subscribe_opts o = opts("presence", 600);
	struct sipd_subscription *sub, *again;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	char cid[64];
	copy_str(cid, sizeof cid, sipd_dialog_call_id(sipd_subscription_dialog(sub)));
	struct sipd_subscription *first = N[1].sub;
	assert_int_equal(
		sipd_subscription_terminate(first, "deactivated", -1, NULL, SIPD_STR_NULL, S.now),
		0);
	sim_run(&S, S.now + 100);
	assert_string_equal(N[0].ss[1], "terminated;reason=deactivated");
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_DEACTIVATED);
	assert_int_equal(sipd_subscription_retry_after(sub), 0);
	assert_int_equal(sipd_subscription_retry(sub, S.now, &again), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(again), SIPD_SUB_ACTIVE);
	assert_false(sipd_str_eq(sipd_dialog_call_id(sipd_subscription_dialog(again)), cid));
	assert_ptr_not_equal(N[1].sub, first);
	assert_int_equal(
		sipd_subscription_terminate(N[1].sub, "probation", 30, NULL, SIPD_STR_NULL, S.now),
		0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_reason(again), SIPD_SUB_END_PROBATION);
	assert_int_equal(sipd_subscription_retry_after(again), 30);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	teardown();
}

/* RFC 3515 §2.4.6: a NOTIFY for the dialog's first REFER may omit the id. */
static void rfc3515_2_4_6_notify_without_id(void **state)
{
	(void)state;
	world(13);
	add_set(0, NULL);
	add_set(1, NULL);
	call();
	struct sipd_subscribe_opts o = refer_opts(sipd_session_dialog(N[0].session));
	struct sipd_subscription *sub;
	assert_int_equal(sipd_refer(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	struct sipd_dialog *d = sipd_subscription_dialog(sub);
	struct sipd_str cid = sipd_dialog_call_id(d), lt = sipd_dialog_local_tag(d),
			rt = sipd_dialog_remote_tag(d);
	char msg[1024];
	snprintf(msg, sizeof msg,
	         "NOTIFY sip:alice@10.0.0.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKnoid\r\n"
	         "From: <sip:bob@10.0.0.2>;tag=%.*s\r\nTo: <sip:alice@10.0.0.1>;tag=%.*s\r\n"
	         "Call-ID: %.*s\r\nCSeq: 50 NOTIFY\r\nMax-Forwards: 70\r\n"
	         "Contact: <sip:bob@10.0.0.2>\r\nEvent: refer\r\nSubscription-State: active\r\n"
	         "Content-Type: message/sipfrag\r\nContent-Length: 21\r\n\r\n"
	         "SIP/2.0 180 Ringing\r\n",
	         (int)rt.len, rt.p, (int)lt.len, lt.p, (int)cid.len, cid.p);
	sim_inject(&S, 1, 0, SIPD_TP_UDP, msg);
	assert_int_equal(strncmp(S.last[0], "SIP/2.0 200", 11), 0);
	assert_int_equal(N[0].nnotify, 2);
	assert_string_equal(N[0].body[1], "SIP/2.0 180 Ringing\r\n");
	teardown();
}

/* RFC 6665 §4.5.2 (RFC 5057): a BYE ends the INVITE usage only. The REFER
 * subscription on the same dialog lives on; the dialog ends with its last
 * usage, here the final sipfrag NOTIFY (RFC 3515 §2.4.7). */
static void rfc6665_4_5_2_refer_outlives_bye(void **state)
{
	(void)state;
	world(13);
	add_set(0, NULL);
	add_set(1, NULL);
	call();
	struct sipd_subscribe_opts o = refer_opts(sipd_session_dialog(N[0].session));
	struct sipd_subscription *sub;
	assert_int_equal(sipd_refer(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	struct sipd_dialog *d = sipd_subscription_dialog(sub);
	assert_int_equal(sipd_session_bye(N[0].session, NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_session_state(N[0].session), SIPD_SESSION_TERMINATED);
	/* the subscription and its dialog survive the BYE on both sides */
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_ptr_equal(sipd_subscription_dialog(sub), d);
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 1);
	/* the referred request's outcome: the final NOTIFY ends the
	 * subscription, and the dialog with its last usage */
	assert_int_equal(sipd_refer_progress(N[1].sub, 200, NULL, S.now), 0);
	sim_run(&S, S.now + 2000);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_NORESOURCE);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	teardown();
}

/* §4.2.2 and §4.1.2.2: a subscriber that forgot its subscription answers
 * the next NOTIFY 481, which removes the notifier's; a notifier that forgot
 * answers the next refresh 481, which ends the subscriber's. */
static void rfc6665_4_2_2_and_4_1_2_2_481_ends_either_side(void **state)
{
	(void)state;
	world(14);
	add_set(0, NULL);
	add_set(1, "presence");
	struct sipd_subscribe_opts o = opts("presence", 600);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	sipd_subscription_free(sub); /* gone without a word */
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_subscription_notify(N[1].sub, SIPD_SUB_ACTIVE, "text/plain",
	                                          (struct sipd_str){"busy", 4}, S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sim_count(&S, 0, "SIP/2.0 481"), 1);
	assert_int_equal(sipd_subscription_state(N[1].sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(N[1].sub), SIPD_SUB_END_NOTIFY_FAILED);
	assert_int_equal(sipd_subscription_status(N[1].sub), 481);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	sipd_subscription_free(N[1].sub);
	/* the other way round */
	N[1].sub = NULL;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_non_null(N[1].sub);
	sipd_subscription_free(N[1].sub);
	assert_int_equal(sipd_subscription_refresh(sub, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 481);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_REFRESH_FAILED);
	assert_int_equal(sipd_subscription_retry_after(sub), 0);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	teardown();
}

/* RFC 3515 §2 and §2.4.4: a REFER out of any dialog makes one (by its 202
 * here); the NOTIFYs come in it and the final one ends it on both sides.
 * A refused REFER makes nothing. */
static void rfc3515_2_refer_out_of_dialog(void **state)
{
	(void)state;
	world(15);
	add_set(0, NULL);
	add_set(1, NULL);
	struct sipd_subscribe_opts o = opts(NULL, 0);
	o.refer_to = "<sip:carol@10.0.0.3;method=INVITE>";
	struct sipd_subscription *sub;
	N[1].refer_code = 603;
	assert_int_equal(sipd_refer(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 603);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_REFUSED);
	assert_int_equal(sipd_subscriptions_count(N[1].set), 0);
	sipd_subscription_free(sub);
	N[1].refer_code = 0;
	assert_int_equal(sipd_refer(N[0].set, &o, S.now, &sub), 0);
	assert_string_equal(sipd_subscription_id(sub), "1");
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last_resp, 202);
	assert_string_equal(N[1].refer_to, "<sip:carol@10.0.0.3;method=INVITE>");
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 1);
	assert_string_equal(N[0].ev[0], "refer;id=1");
	/* progress: 180 then the final 486, a second apart at least */
	assert_int_equal(sipd_refer_progress(N[1].sub, 180, NULL, S.now), 0);
	assert_int_equal(sipd_refer_progress(N[1].sub, 486, NULL, S.now), 0);
	sim_run(&S, S.now + 3000);
	/* only the latest waiting state went (§5.3.1: the refer package is
	 * full state) */
	assert_int_equal(N[0].nnotify, 2);
	assert_string_equal(N[0].body[1], "SIP/2.0 486 Busy Here\r\n");
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_NORESOURCE);
	assert_int_equal(sipd_subscription_retry_after(sub), -1);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	teardown();
}

/* RFC 3261 §17 under RFC 6665: on a link that loses a third of the
 * datagrams and reorders, retransmissions carry the SUBSCRIBE, the NOTIFYs
 * (which may overtake the 2xx, §4.1.2.4) and the unsubscription through. */
static void rfc6665_4_1_2_lossy_link(void **state)
{
	(void)state;
	world(16);
	add_set(0, NULL);
	add_set(1, "presence");
	for (int a = 0; a < 2; a++) {
		S.links[a][a ^ 1].loss_pct = 33;
		S.links[a][a ^ 1].delay_ms = 20;
		S.links[a][a ^ 1].jitter_ms = 60;
	}
	struct sipd_subscribe_opts o = opts("presence", 600);
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 30000);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	assert_int_equal(sipd_subscription_unsubscribe(sub, S.now), 0);
	sim_run(&S, S.now + 30000);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_subscription_reason(sub), SIPD_SUB_END_TIMEOUT);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	assert_true(S.nlog > 8); /* some were lost and sent again */
	teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc6665_4_1_2_subscribe_refresh_unsubscribe),
		cmocka_unit_test(rfc6665_4_1_2_4_notify_before_2xx_creates_dialog),
		cmocka_unit_test(rfc6665_4_1_2_4_timer_n_without_notify),
		cmocka_unit_test(rfc6665_4_2_1_1_unknown_event_489),
		cmocka_unit_test(rfc6665_4_2_1_1_interval_too_brief_423),
		cmocka_unit_test(rfc6665_4_1_3_notify_matching_nothing_481),
		cmocka_unit_test(rfc6665_4_2_1_4_notifier_expiry_timeout),
		cmocka_unit_test(rfc6665_4_1_4_forked_subscribe_two_subscriptions),
		cmocka_unit_test(rfc3515_refer_implicit_subscription_sipfrag),
		cmocka_unit_test(rfc4488_refer_sub_false_no_subscription),
		cmocka_unit_test(rfc6665_4_5_2_bye_leaves_the_subscription_and_dialog),
		cmocka_unit_test(rfc6665_4_1_3_deactivated_retry_and_probation),
		cmocka_unit_test(rfc3515_2_4_6_notify_without_id),
		cmocka_unit_test(rfc6665_4_5_2_refer_outlives_bye),
		cmocka_unit_test(rfc6665_4_2_2_and_4_1_2_2_481_ends_either_side),
		cmocka_unit_test(rfc3515_2_refer_out_of_dialog),
		cmocka_unit_test(rfc6665_4_1_2_lossy_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
