/* INVITE sessions, UAS side, through the simulator: the basic call, the
 * ACK that never comes (§13.3.1.4), re-INVITE and its defaults (§14.2),
 * the default answers to INFO/OPTIONS/REFER/MESSAGE, CANCEL (§9.2), and the
 * callee's BYE that waits for the ACK (§15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/invite.h>
#include <sipdialog/session.h>

#include "sim.h"

static void fake_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x11, len);
}

static struct sipd_dialogs *new_table(void)
{
	static const struct sipd_dialogs_callbacks cb = {.size = sizeof cb};
	struct sipd_dialogs_config c = {.size = sizeof c, .cb = &cb, .random = fake_random};
	return sipd_dialogs_create(&c);
}

/* ---- the callee (node 1) */
enum mode { ANSWER, HOLD, RELIABLE };
struct callee {
	struct sipd_session_env env;
	enum mode mode;
	struct sipd_session *s;
	enum sipd_session_state states[8];
	int nstates;
	enum sipd_session_end end;
	bool end_had_reason;
	bool take_requests; /* the application holds re-INVITEs */
	struct sipd_txn *held;
	bool bye_after_accept;
	const struct sipd_st_config *timer;
	struct sipd_session *replaced, *s2; /* RFC 3891 */
	unsigned replaces_status;
	const char *contact; /* NULL: sip:b@10.0.0.2, its own address */
};
static struct callee callee;

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)arg;
	(void)s;
	callee.states[callee.nstates++] = st;
	if (st == SIPD_SESSION_TERMINATED) {
		callee.end = why;
		callee.end_had_reason = msg && sipd_msg_find(msg, SIPD_HDR_REASON);
	}
}

static int on_session_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                              const struct sipd_msg *req)
{
	(void)arg;
	(void)s;
	if (callee.take_requests && req->method == SIPD_METHOD_INVITE) {
		callee.held = tx;
		return 0;
	}
	return -1; /* the defaults */
}

static const struct sipd_session_callbacks session_cb = {
	.size = sizeof session_cb, .state = on_state, .request = on_session_request};

#define ANSWER_SDP "v=0\r\no=callee 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

static int callee_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)node;
	struct sipd_flow from = sim_flow(sim, 1, 0, SIPD_TP_UDP);
	if (m->to.tag.len || m->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&callee.env, tx, m, &from);
	if (m->method != SIPD_METHOD_INVITE)
		return -1;
	/* RFC 3891: an INVITE naming one of our sessions replaces it */
	struct sipd_session *old = NULL;
	unsigned rs = sipd_sessions_replaces(&callee.env, tx, &old);
	if (rs) {
		callee.replaces_status = rs;
		struct sipd_response r = {.size = sizeof r, .code = rs, .to_tag = {"rp", 2}};
		sipd_txn_respond(tx, &r, sim->now);
		return 0;
	}
	struct sipd_session_opts o = {.size = sizeof o,
	                              .dialog = {.size = sizeof o.dialog,
	                                         .local_contact = {callee.contact ? callee.contact
	                                                                          : "sip:b@10.0.0.2",
	                                                           callee.contact ? strlen(callee.contact)
	                                                                          : 14}},
	                              .cb = &session_cb,
	                              .rel_policy = SIPD_REL_SUPPORTED,
	                              .timer = callee.timer};
	struct sipd_session **slot = old ? &callee.s2 : &callee.s;
	if (old)
		from = sim_flow(sim, 1, 2, SIPD_TP_UDP); /* the new caller is node 2 */
	if (sipd_session_uas(&callee.env, tx, &from, &o, sim->now, slot)) {
		*slot = NULL;
		return 0; /* answered by the session (420, 421, 422, 400) */
	}
	if (old) {
		callee.replaced = old;
		assert_int_equal(sipd_session_accept(*slot, (struct sipd_str){ANSWER_SDP,
		                                                               strlen(ANSWER_SDP)},
		                                     sim->now),
		                 0);
		assert_int_equal(sipd_session_replace(old, sim->now), 0);
		return 0;
	}
	if (callee.mode == RELIABLE) {
		/* RFC 3262: 183 with the answer, reliably; the 2xx must wait for
		 * its PRACK (§3) */
		assert_int_equal(sipd_session_progress(callee.s, 183, (struct sipd_str){ANSWER_SDP,
		                                                                        strlen(ANSWER_SDP)},
		                                       sim->now),
		                 0);
		assert_int_equal(sipd_session_accept(callee.s, SIPD_STR_NULL, sim->now), 0);
	}
	if (callee.mode == ANSWER) {
		assert_int_equal(sipd_session_progress(callee.s, 180, SIPD_STR_NULL, sim->now), 0);
		assert_int_equal(sipd_session_accept(callee.s, (struct sipd_str){ANSWER_SDP,
		                                                                  strlen(ANSWER_SDP)},
		                                     sim->now),
		                 0);
		if (callee.bye_after_accept)
			assert_int_equal(sipd_session_bye(callee.s, "SIP;cause=200", sim->now), 0);
	}
	return 0;
}

static void callee_cancel(struct sim *sim, int node, struct sipd_txn *inv, const struct sipd_msg *c)
{
	(void)node;
	(void)c;
	struct sipd_session *s = sipd_txn_user(inv);
	assert_non_null(s);
	sipd_session_cancelled(s, sim->now);
}

static void callee_done(struct sim *sim, int node, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	(void)node;
	sipd_sessions_server_done(&callee.env, tx, timeout);
}

static void allow_more(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE, REFER, PRACK";
	cfg->supported = "100rel, timer";
}

/* ---- the caller (node 0) */
struct caller {
	struct sipd_dialogs *t;
	struct sipd_dialog *d;
	struct sipd_invite *inv;
	int failed_code;
	unsigned last_code;
};
static struct caller caller;

static void c_answered(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                       const struct sipd_msg *resp)
{
	(void)arg;
	(void)inv;
	(void)resp;
	caller.d = d;
}

static void c_failed(void *arg, struct sipd_invite *inv, const struct sipd_msg *resp)
{
	(void)arg;
	(void)inv;
	caller.failed_code = resp ? resp->status : -1;
}

static const struct sipd_invite_callbacks invite_cb = {.size = sizeof invite_cb,
                                                       .answered = c_answered,
                                                       .failed = c_failed};

#define OFFER_SDP "v=0\r\no=caller 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"

/* The caller (node 0) and the callee (node 1, its stack configured by
 * `tweak`). */
static void setup_call_tweaked(struct sim *sim, uint64_t seed, enum mode mode,
                               void (*tweak)(struct sipd_stack_config *cfg))
{
	sim_init(sim, seed);
	sim->trace = getenv("SIM_TRACE") != NULL;
	struct sim_app app = {.request = callee_request, .cancel = callee_cancel,
	                      .server_done = callee_done};
	sim_add_node(sim, NULL, allow_more);
	sim_add_node(sim, &app, tweak);
	memset(&callee, 0, sizeof callee);
	memset(&caller, 0, sizeof caller);
	callee.mode = mode;
	callee.env = (struct sipd_session_env){.size = sizeof callee.env,
	                                       .stack = sim->nodes[1].st,
	                                       .dialogs = new_table()};
	caller.t = new_table();
}

static void setup_call(struct sim *sim, uint64_t seed, enum mode mode)
{
	setup_call_tweaked(sim, seed, mode, allow_more);
}

/* The caller's INVITE, with its Contact and other header lines `tail`. */
static void start_invite_with(struct sim *sim, const char *tail)
{
	char hdrs[512];
	snprintf(hdrs, sizeof hdrs,
	         "From: <sip:a@10.0.0.1>;tag=caller1\r\nTo: <sip:b@10.0.0.2>\r\n"
	         "Call-ID: sess-1\r\nCSeq: 10 INVITE\r\nMax-Forwards: 70\r\n%s",
	         tail);
	struct sipd_request r = {.size = sizeof r, .method = {"INVITE", 6},
	                         .uri = {"sip:b@10.0.0.2", 14}, .headers = {hdrs, strlen(hdrs)},
	                         .content_type = "application/sdp",
	                         .body = {OFFER_SDP, strlen(OFFER_SDP)},
	                         .flow = sim_flow(sim, 0, 1, SIPD_TP_UDP)};
	struct sipd_invite_opts o = {.size = sizeof o,
	                             .dialog = {.size = sizeof o.dialog,
	                                        .local_contact = {"sip:a@10.0.0.1", 14}},
	                             .cb = &invite_cb};
	assert_int_equal(sipd_invite_send(sim->nodes[0].st, caller.t, &r, &o, sim->now, &caller.inv), 0);
}

static void start_invite(struct sim *sim)
{
	start_invite_with(sim, "Contact: <sip:a@10.0.0.1>\r\n");
}

static void c_resp(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                   const struct sipd_msg *resp)
{
	(void)arg;
	(void)tx;
	if (ev == SIPD_TXN_RESPONSE && resp->status >= 200)
		caller.last_code = resp->status;
}

/* The caller sends a request within its dialog; returns the final status. */
static unsigned caller_send(struct sim *sim, const char *method, uint32_t cseq, const char *extra,
                            const char *body)
{
	char buf[2048];
	struct sipd_request r;
	struct sipd_dialog_request dr = {.size = sizeof dr, .method = {method, strlen(method)},
	                                 .cseq = cseq, .headers = {extra, extra ? strlen(extra) : 0},
	                                 .content_type = body ? "application/sdp" : NULL,
	                                 .body = {body, body ? strlen(body) : 0}};
	assert_int_equal(sipd_dialog_request(caller.d, &dr, buf, sizeof buf, &r, NULL), 0);
	r.flow = sim_flow(sim, 0, 1, SIPD_TP_UDP);
	caller.last_code = 0;
	if (!strcmp(method, "ACK")) {
		assert_int_equal(sipd_stack_send_ack(sim->nodes[0].st, &r, sim->now), 0);
		sim_run(sim, sim->now + 100);
		return 0;
	}
	assert_int_equal(sipd_stack_request(sim->nodes[0].st, &r, c_resp, NULL, sim->now, NULL), 0);
	sim_run(sim, sim->now + 100);
	return caller.last_code;
}

static void teardown_call(struct sim *sim)
{
	sim_run(sim, UINT64_MAX);
	if (callee.s)
		sipd_session_free(callee.s);
	sipd_dialogs_destroy(callee.env.dialogs);
	sipd_dialogs_destroy(caller.t);
	sim_free(sim);
}

static bool eq(struct sipd_str s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

static void rfc3261_13_basic_call_and_bye_with_reason(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 21, ANSWER);
	start_invite(&sim);
	sim_run(&sim, sim.now + 100);
	assert_non_null(caller.d);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(callee.nstates, 3);
	assert_int_equal(callee.states[0], SIPD_SESSION_EARLY);
	assert_int_equal(callee.states[1], SIPD_SESSION_WAIT_ACK);
	assert_int_equal(callee.states[2], SIPD_SESSION_CONFIRMED);
	const struct sipd_oa *oa = sipd_session_oa(callee.s);
	assert_int_equal(sipd_oa_state(oa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_remote(oa), OFFER_SDP));
	assert_true(eq(sipd_oa_local(oa), ANSWER_SDP));
	/* exactly one 2xx: the ACK stopped its retransmission */
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 200"), 1);
	/* the caller's BYE, with a Reason (RFC 3326) */
	assert_int_equal(caller_send(&sim, "BYE", 0, "Reason: Q.850;cause=16\r\n", NULL), 200);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	assert_int_equal(callee.end, SIPD_SESSION_END_BYE_REMOTE);
	assert_true(callee.end_had_reason);
	assert_int_equal(callee.nstates, 4); /* terminated once */
	/* anything after: 481 */
	assert_int_equal(caller_send(&sim, "INFO", 0, NULL, NULL), 481);
	teardown_call(&sim);
}

/* ---- where requests within a dialog go (§12.2.1.1, RFC 3263 §4) */

static void to_source(struct sipd_stack_config *cfg)
{
	allow_more(cfg);
	cfg->dialog_to_source = true;
}

/* A call from node 0 whose INVITE carries `tail` (Contact, Record-Route),
 * answered by node 1 and ended by its BYE; node 2 is a bystander at
 * 10.0.0.3. Returns the node the BYE went to. */
static int callee_bye_goes_to(const char *tail, bool symmetric, const char *route_line)
{
	struct sim sim;
	setup_call_tweaked(&sim, 61, ANSWER, symmetric ? to_source : allow_more);
	sim_add_node(&sim, NULL, NULL);
	start_invite_with(&sim, tail);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_bye(callee.s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 100);
	int to = -1;
	for (int n = 0; n < 3; n++)
		if (sim_count_to(&sim, 1, n, "BYE ")) {
			assert_int_equal(to, -1); /* one place only */
			to = n;
		}
	if (route_line)
		assert_non_null(strstr(sim.last[1], route_line));
	/* whoever got it answered, and the session is over */
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	teardown_call(&sim);
	return to;
}

static void rfc3261_12_2_1_1_bye_goes_to_the_next_hop(void **state)
{
	(void)state;
	/* the remote target: the caller's Contact, here another address than
	 * the one the INVITE came from (a proxy that does not record-route) */
	assert_int_equal(callee_bye_goes_to("Contact: <sip:a@10.0.0.3>\r\n", false, NULL), 2);
	/* with a route set, its first entry (loose routing); the caller's first
	 * is the last, a name, so its ACK goes where its INVITE went */
	assert_int_equal(callee_bye_goes_to("Contact: <sip:a@10.0.0.1>\r\n"
	                                    "Record-Route: <sip:10.0.0.3;lr>, <sip:p.example.com;lr>\r\n",
	                                    false, "Route: <sip:10.0.0.3;lr>"),
	                 2);
	/* a port and a transport parameter are those of the URI: 10.0.0.3:5060
	 * over UDP is node 2 */
	assert_int_equal(callee_bye_goes_to("Contact: <sip:a@10.0.0.3:5060;transport=udp>\r\n",
	                                    false, NULL),
	                 2);
	/* the caller's own address: where it came from */
	assert_int_equal(callee_bye_goes_to("Contact: <sip:a@10.0.0.1>\r\n", false, NULL), 0);
	/* a name is the host's to resolve (RFC 3263): without it, the source */
	assert_int_equal(callee_bye_goes_to("Contact: <sip:a@client.example.com>\r\n", false, NULL),
	                 0);
	/* a stack told to answer peers behind NAT where they send from */
	assert_int_equal(callee_bye_goes_to("Contact: <sip:a@10.0.0.3>\r\n", true, NULL), 0);
}

/* §13.2.2.4: the ACK of a 2xx is a request within the dialog: it goes to
 * the 2xx's Contact (no Record-Route here), not where the INVITE went. */
static void rfc3261_13_2_2_4_ack_goes_to_the_2xx_contact(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 62, ANSWER);
	sim_add_node(&sim, NULL, NULL);
	callee.contact = "sip:b@10.0.0.3";
	start_invite(&sim);
	sim_run(&sim, sim.now + 100);
	assert_non_null(caller.d);
	assert_int_equal(sim_count_to(&sim, 0, 2, "ACK "), 1);
	assert_int_equal(sim_count_to(&sim, 0, 1, "ACK "), 0);
	/* the callee, which never sees it, retransmits its 2xx and each copy
	 * is ACKed there again */
	sim_run(&sim, sim.now + 2000);
	assert_true(sim_count(&sim, 1, "SIP/2.0 200") > 1);
	assert_int_equal(sim_count_to(&sim, 0, 2, "ACK "), sim_count(&sim, 1, "SIP/2.0 200"));
	teardown_call(&sim);
}

/* §12.1.1: the responses that make the dialog (the 180, the 2xx) carry the
 * INVITE's Record-Route values, in order, so that the caller's route set is
 * the callee's reversed (§12.1.2); the routes name hosts, so the requests
 * within still go where the INVITE went. */
static void rfc3261_12_1_1_responses_carry_record_route(void **state)
{
	(void)state;
	static const char rr[] = "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
	                         "Record-Route: <sip:p3.example.com;lr>\r\n";
	struct sim sim;
	setup_call(&sim, 63, ANSWER);
	start_invite_with(&sim, "Contact: <sip:a@10.0.0.1>\r\n"
	                        "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
	                        "Record-Route: <sip:p3.example.com;lr>\r\n");
	sim_run(&sim, sim.now + 100);
	assert_non_null(caller.d);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	/* the 2xx (node 1's last packet) carries them as they came */
	assert_true(!strncmp(sim.last[1], "SIP/2.0 200", 11));
	assert_non_null(strstr(sim.last[1], rr));
	/* the caller's route set: reversed */
	assert_int_equal(sipd_dialog_route_count(caller.d), 3);
	assert_true(eq(sipd_dialog_route(caller.d, 0), "<sip:p3.example.com;lr>"));
	assert_true(eq(sipd_dialog_route(caller.d, 2), "<sip:p1.example.com;lr>"));
	/* the callee's: in order */
	const struct sipd_dialog *cd = sipd_session_dialog(callee.s);
	assert_int_equal(sipd_dialog_route_count(cd), 3);
	assert_true(eq(sipd_dialog_route(cd, 0), "<sip:p1.example.com;lr>"));
	/* a re-INVITE's 2xx does not carry them: the route set is fixed */
	assert_int_equal(caller_send(&sim, "INVITE", 0, NULL, OFFER_SDP), 200);
	assert_null(strstr(sim.last[1], "Record-Route"));
	uint32_t seq;
	sipd_dialog_local_seq(caller.d, &seq);
	caller_send(&sim, "ACK", seq, NULL, NULL);
	assert_int_equal(caller_send(&sim, "BYE", 0, NULL, NULL), 200);
	teardown_call(&sim);
}

/* §17.1.3: responses match our transaction by the branch of our top Via,
 * not by a ";branch=" elsewhere: the callee's Contact (our remote target,
 * so the Request-URI of our BYE and re-INVITE) carries one. */
static void rfc3261_17_1_3_branch_of_our_via_not_of_the_request_uri(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 66, ANSWER);
	callee.contact = "sip:b@10.0.0.2;branch=z9hG4bKnot-ours";
	start_invite(&sim);
	sim_run(&sim, sim.now + 100);
	assert_non_null(caller.d);
	assert_int_equal(caller_send(&sim, "OPTIONS", 0, NULL, NULL), 200);
	assert_int_equal(caller_send(&sim, "BYE", 0, NULL, NULL), 200);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	teardown_call(&sim);
}

static void rfc3261_13_3_1_4_no_ack_then_bye(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 22, ANSWER);
	sim.links[1][0].delay_ms = 10;
	start_invite(&sim);
	sim_run(&sim, sim.now + 5);
	/* from now on the caller hears nothing: its ACK would be lost anyway */
	sim.links[0][1].cut = true;
	uint64_t t0 = sim_time_of(&sim, 1, "SIP/2.0 200", 0);
	sim_run(&sim, sim.now + 40000);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	assert_int_equal(callee.end, SIPD_SESSION_END_NO_ACK);
	/* the BYE at Timer L, 64*T1 after the 2xx */
	assert_int_equal(sim_time_of(&sim, 1, "BYE", 0) - t0, 32000);
	teardown_call(&sim);
}

/* §13.3.1.4 with RFC 6026 §8.7: the callee's transport fails under the
 * 2xx's retransmissions (a TCP peer gone): the INVITE server transaction ends
 * without a timeout, and no ACK can come any more. The session must not wait
 * for it for ever: it ends NO_ACK (its BYE fails the same way). */
static bool callee_sends_fail;
static int (*callee_real_send)(void *user, struct sipd_flow *flow, const char *data, size_t len);
static int callee_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	return callee_sends_fail ? SIPD_EINVAL : callee_real_send(user, flow, data, len);
}
static struct sipd_stack_callbacks callee_failing_cb;
static void failing_transport(struct sipd_stack_config *cfg)
{
	allow_more(cfg);
	callee_failing_cb = *cfg->cb;
	callee_real_send = cfg->cb->send;
	callee_failing_cb.send = callee_send;
	cfg->cb = &callee_failing_cb;
}

static void rfc6026_8_7_transport_gone_before_ack(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 23);
	sim.trace = getenv("SIM_TRACE") != NULL;
	struct sim_app app = {.request = callee_request, .cancel = callee_cancel,
	                      .server_done = callee_done};
	sim_add_node(&sim, NULL, allow_more);
	sim_add_node(&sim, &app, failing_transport);
	memset(&callee, 0, sizeof callee);
	memset(&caller, 0, sizeof caller);
	callee.mode = ANSWER;
	callee.env = (struct sipd_session_env){.size = sizeof callee.env,
	                                       .stack = sim.nodes[1].st,
	                                       .dialogs = new_table()};
	caller.t = new_table();
	callee_sends_fail = false;
	sim.links[0][1].delay_ms = 10;
	sim.links[1][0].delay_ms = 10;
	start_invite(&sim);
	sim_run(&sim, sim.now + 15); /* the 2xx left at +10 */
	sim.links[0][1].cut = true; /* its ACK is lost */
	callee_sends_fail = true;   /* and the callee's transport goes */
	sim_run(&sim, sim.now + 2000);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	assert_int_equal(callee.end, SIPD_SESSION_END_NO_ACK);
	callee_sends_fail = false;
	teardown_call(&sim);
}

static void rfc3261_14_2_reinvite_defaults_and_rules(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 23, ANSWER);
	start_invite(&sim);
	sim_run(&sim, sim.now + 100);
	/* a re-INVITE with a new offer: by default, answered with our last */
	const char *offer2 = "v=0\r\no=caller 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
	                     "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
	assert_int_equal(caller_send(&sim, "INVITE", 0, NULL, offer2), 200);
	uint32_t seq;
	sipd_dialog_local_seq(caller.d, &seq);
	caller_send(&sim, "ACK", seq, NULL, NULL);
	const struct sipd_oa *oa = sipd_session_oa(callee.s);
	assert_int_equal(sipd_oa_state(oa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_remote(oa), offer2));
	assert_true(sipd_sdp_is_hold(sipd_oa_remote(oa)));
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	/* a CSeq not above the last one: 500 (§12.2.2) */
	assert_int_equal(caller_send(&sim, "INVITE", seq, NULL, offer2), 500);
	/* the application holds a re-INVITE; a second one gets 500 with
	 * Retry-After (§14.2) */
	callee.take_requests = true;
	assert_int_equal(caller_send(&sim, "INVITE", 0, NULL, offer2), 0); /* no final yet */
	assert_non_null(callee.held);
	assert_int_equal(caller_send(&sim, "INVITE", 0, NULL, offer2), 500);
	assert_non_null(strstr(sim.last[1], "\r\nRetry-After: "));
	/* the application refuses the held one: the offer rolls back */
	assert_int_equal(sipd_session_respond(callee.s, callee.held, 488, SIPD_STR_NULL, sim.now), 0);
	assert_int_equal(sipd_oa_state(oa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_remote(oa), offer2));
	teardown_call(&sim);
}

/* §14.1: no re-INVITE of ours while the peer's is in progress. The caller's
 * re-INVITE without an offer is held by the application (the offer/answer
 * state stays stable): the callee's own re-INVITE is refused (SIPD_ESTATE),
 * and so it is while the ACK of its 2xx is awaited; UPDATE is not an INVITE
 * and may go. Once the ACK is in, the re-INVITE goes. */
static void rfc3261_14_1_no_reinvite_while_peer_invite_in_progress(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 64, ANSWER);
	start_invite(&sim);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	callee.take_requests = true;
	assert_int_equal(caller_send(&sim, "INVITE", 0, NULL, NULL), 0); /* held */
	assert_non_null(callee.held);
	assert_int_equal(sipd_oa_state(sipd_session_oa(callee.s)), SIPD_OA_STABLE);
	assert_int_equal(sipd_session_modify(callee.s, (struct sipd_str){ANSWER_SDP,
	                                                                  strlen(ANSWER_SDP)},
	                                     false, sim.now),
	                 SIPD_ESTATE);
	/* the 2xx with our offer: still in progress until the ACK */
	assert_int_equal(sipd_session_respond(callee.s, callee.held, 200,
	                                      (struct sipd_str){ANSWER_SDP, strlen(ANSWER_SDP)},
	                                      sim.now),
	                 0);
	sim_run(&sim, sim.now + 10);
	assert_int_equal(sipd_session_modify(callee.s, (struct sipd_str){ANSWER_SDP,
	                                                                  strlen(ANSWER_SDP)},
	                                     false, sim.now),
	                 SIPD_ESTATE);
	uint32_t seq;
	sipd_dialog_local_seq(caller.d, &seq);
	caller_send(&sim, "ACK", seq, NULL, OFFER_SDP);
	assert_int_equal(sipd_oa_state(sipd_session_oa(callee.s)), SIPD_OA_STABLE);
	size_t before = sim_count(&sim, 1, "INVITE ");
	assert_int_equal(sipd_session_modify(callee.s, (struct sipd_str){ANSWER_SDP,
	                                                                  strlen(ANSWER_SDP)},
	                                     false, sim.now),
	                 0);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(sim_count(&sim, 1, "INVITE "), before + 1);
	teardown_call(&sim);
}

static void rfc3261_default_answers_in_session(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 24, ANSWER);
	start_invite(&sim);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(caller_send(&sim, "INFO", 0, NULL, NULL), 469);    /* RFC 6086 §4.2.2 */
	assert_int_equal(caller_send(&sim, "OPTIONS", 0, NULL, NULL), 200);
	assert_int_equal(caller_send(&sim, "REFER", 0, "Refer-To: <sip:c@x>\r\n", NULL), 603);
	assert_int_equal(caller_send(&sim, "MESSAGE", 0, NULL, NULL), 501);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	teardown_call(&sim);
}

static void rfc3261_9_2_cancel_ends_session_487(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 25, HOLD);
	start_invite(&sim);
	sim_run(&sim, sim.now + 10);
	assert_non_null(callee.s);
	assert_int_equal(sipd_session_progress(callee.s, 180, SIPD_STR_NULL, sim.now), 0);
	sim_run(&sim, sim.now + 10);
	assert_int_equal(sipd_invite_cancel(caller.inv, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(caller.failed_code, 487);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	assert_int_equal(callee.end, SIPD_SESSION_END_CANCELLED);
	/* too late to accept now */
	assert_int_equal(sipd_session_accept(callee.s, (struct sipd_str){"x", 1}, sim.now), SIPD_ESTATE);
	teardown_call(&sim);
}

static void rfc3261_15_callee_bye_waits_for_ack(void **state)
{
	(void)state;
	struct sim sim;
	setup_call(&sim, 26, ANSWER);
	callee.bye_after_accept = true;
	sim.links[0][1].delay_ms = 300; /* the ACK is slow */
	start_invite(&sim);
	uint64_t t0 = sim.now;
	sim_run(&sim, t0 + 400);
	/* no BYE before the ACK arrives (at 300 + 300 ms) */
	assert_int_equal(sim_count(&sim, 1, "BYE"), 0);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_WAIT_ACK);
	sim_run(&sim, t0 + 2000);
	assert_int_equal(sim_count(&sim, 1, "BYE"), 1);
	assert_int_equal(sim_time_of(&sim, 1, "BYE", 0) - t0, 600);
	assert_int_equal(callee.end, SIPD_SESSION_END_BYE_LOCAL);
	teardown_call(&sim);
}

/* ---------------------------------------------------------------- the UAC session */

struct ucaller {
	struct sipd_session *s;
	enum sipd_session_state last;
	enum sipd_session_end end;
	int modified_codes[4];
	int nmodified;
	bool late_answer;
	bool refuse; /* the answer callback has no answer */
};
static struct ucaller uc;

static void uc_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)arg;
	(void)s;
	(void)msg;
	uc.last = st;
	if (st == SIPD_SESSION_TERMINATED)
		uc.end = why;
}

static void uc_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)arg;
	(void)s;
	uc.modified_codes[uc.nmodified++] = resp ? resp->status : -1;
}

#define LATE_ANSWER "v=0\r\no=caller 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5002 RTP/AVP 0\r\n"

static struct sipd_str uc_answer(void *arg, struct sipd_session *s, struct sipd_str offer)
{
	(void)arg;
	(void)s;
	(void)offer;
	uc.late_answer = true;
	return uc.refuse ? SIPD_STR_NULL : (struct sipd_str){LATE_ANSWER, strlen(LATE_ANSWER)};
}

static const struct sipd_session_callbacks uc_cb = {.size = sizeof uc_cb,
                                                    .state = uc_state,
                                                    .modified = uc_modified,
                                                    .answer = uc_answer};

static const char *uac_extra = "";
static const struct sipd_st_config *uac_timer;

static void start_uac(struct sim *sim, const char *offer)
{
	static char hdrs[512];
	snprintf(hdrs, sizeof hdrs,
	         "From: <sip:a@10.0.0.1>;tag=caller2\r\nTo: <sip:b@10.0.0.2>\r\n"
	         "Call-ID: sess-2\r\nCSeq: 20 INVITE\r\nMax-Forwards: 70\r\n"
	         "Contact: <sip:a@10.0.0.1>\r\n%s",
	         uac_extra);
	struct sipd_request r = {.size = sizeof r, .method = {"INVITE", 6},
	                         .uri = {"sip:b@10.0.0.2", 14}, .headers = {hdrs, strlen(hdrs)},
	                         .content_type = offer ? "application/sdp" : NULL,
	                         .body = {offer, offer ? strlen(offer) : 0},
	                         .flow = sim_flow(sim, 0, 1, SIPD_TP_UDP)};
	struct sipd_session_env env = {.size = sizeof env, .stack = sim->nodes[0].st,
	                               .dialogs = caller.t};
	struct sipd_session_opts o = {.size = sizeof o,
	                              .dialog = {.size = sizeof o.dialog,
	                                         .local_contact = {"sip:a@10.0.0.1", 14}},
	                              .cb = &uc_cb,
	                              .timer = uac_timer};
	memset(&uc, 0, sizeof uc);
	assert_int_equal(sipd_session_uac(&env, &r, &o, sim->now, &uc.s), 0);
}

/* node 0 also routes requests within its sessions (re-INVITEs of the callee) */
static struct sipd_session_env uc_env;
static int caller_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)node;
	struct sipd_flow from = sim_flow(sim, 0, 1, SIPD_TP_UDP);
	return sipd_sessions_request(&uc_env, tx, m, &from);
}

static void caller_done(struct sim *sim, int node, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	(void)node;
	sipd_sessions_server_done(&uc_env, tx, timeout);
}

static void setup_two_sessions(struct sim *sim, uint64_t seed, enum mode mode)
{
	sim_init(sim, seed);
	sim->trace = getenv("SIM_TRACE") != NULL;
	struct sim_app capp = {.request = caller_request, .server_done = caller_done};
	struct sim_app app = {.request = callee_request, .cancel = callee_cancel,
	                      .server_done = callee_done};
	sim_add_node(sim, &capp, allow_more);
	sim_add_node(sim, &app, allow_more);
	memset(&callee, 0, sizeof callee);
	memset(&caller, 0, sizeof caller);
	callee.mode = mode;
	callee.env = (struct sipd_session_env){.size = sizeof callee.env,
	                                       .stack = sim->nodes[1].st,
	                                       .dialogs = new_table()};
	caller.t = new_table();
	uc_env = (struct sipd_session_env){.size = sizeof uc_env, .stack = sim->nodes[0].st,
	                                   .dialogs = caller.t};
}

static void teardown_two(struct sim *sim)
{
	sim_run(sim, UINT64_MAX);
	sipd_session_free(uc.s);
	teardown_call(sim);
}

static void rfc3261_13_uac_session_call_and_bye(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 31, ANSWER);
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	const struct sipd_oa *oa = sipd_session_oa(uc.s);
	assert_int_equal(sipd_oa_state(oa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_local(oa), OFFER_SDP));
	assert_true(eq(sipd_oa_remote(oa), ANSWER_SDP));
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_bye(uc.s, "SIP;cause=200;text=\"done\"", sim.now), 0);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(uc.end, SIPD_SESSION_END_BYE_LOCAL);
	assert_int_equal(callee.end, SIPD_SESSION_END_BYE_REMOTE);
	assert_true(callee.end_had_reason);
	teardown_two(&sim);
}

static void rfc3261_13_2_1_late_offer_answer_in_ack(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 32, ANSWER);
	start_uac(&sim, NULL); /* no offer: the callee's 2xx offers */
	sim_run(&sim, sim.now + 100);
	assert_true(uc.late_answer);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	const struct sipd_oa *coa = sipd_session_oa(callee.s);
	assert_int_equal(sipd_oa_state(coa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_local(coa), ANSWER_SDP)); /* its offer */
	assert_true(eq(sipd_oa_remote(coa), LATE_ANSWER)); /* the answer from the ACK */
	teardown_two(&sim);
}

/* §13.2.2.4: "If the offer in the 2xx response is not acceptable, the UAC
 * core MUST generate a valid answer in the ACK and then send a BYE
 * immediately." The application has no answer to the late offer: the ACK
 * refuses its stream (RFC 3264 §6, port 0), and a BYE with a Reason
 * follows. */
static void rfc3261_13_2_2_4_refused_offer_in_2xx_answered_then_byed(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 35, ANSWER);
	start_uac(&sim, NULL);
	uc.refuse = true; /* start_uac clears uc; the 2xx comes later */
	sim_run(&sim, sim.now + 200);
	assert_true(uc.late_answer);
	assert_int_equal(sim_count(&sim, 0, "ACK "), 1);
	/* the callee took the ACK's answer (its engine, closed by the BYE
	 * since, keeps it) */
	const struct sipd_oa *coa = sipd_session_oa(callee.s);
	assert_int_equal(sipd_oa_state(coa), SIPD_OA_CLOSED);
	struct sipd_str got = sipd_oa_remote(coa);
	char text[512];
	assert_true(got.len < sizeof text);
	memcpy(text, got.p, got.len);
	text[got.len] = 0;
	assert_non_null(strstr(text, "\r\nm=audio 0 RTP/AVP 0\r\n"));
	/* then the BYE, with its Reason: both ended */
	assert_int_equal(sim_count(&sim, 0, "BYE "), 1);
	assert_int_equal(uc.last, SIPD_SESSION_TERMINATED);
	assert_int_equal(uc.end, SIPD_SESSION_END_BYE_LOCAL);
	assert_int_equal(callee.end, SIPD_SESSION_END_BYE_REMOTE);
	assert_true(callee.end_had_reason);
	teardown_two(&sim);
}

static void rfc3261_9_1_uac_cancel(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 33, HOLD);
	sim.links[0][1].delay_ms = 50;
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 10);
	/* before any provisional (the INVITE is still on its way): CANCEL waits
	 * for one (§9.1) */
	assert_int_equal(sipd_session_cancel(uc.s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 30);
	assert_int_equal(sim_count(&sim, 0, "CANCEL"), 0);
	/* the INVITE arrives at 50 ms, its 100 Trying comes straight back: the
	 * CANCEL goes then */
	sim_run(&sim, sim.now + 200);
	assert_int_equal(sim_count(&sim, 0, "CANCEL"), 1);
	assert_int_equal(sim_time_of(&sim, 0, "CANCEL", 0), sim_time_of(&sim, 1, "SIP/2.0 100", 0));
	assert_int_equal(uc.end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(callee.end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(sipd_oa_state(sipd_session_oa(uc.s)), SIPD_OA_CLOSED);
	teardown_two(&sim);
}

static void rfc3261_9_1_cancel_crossing_2xx_is_acked_and_byed(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 34, HOLD);
	sim.links[0][1].delay_ms = 50;
	sim.links[1][0].delay_ms = 50;
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 60); /* the INVITE is in */
	assert_int_equal(sipd_session_progress(callee.s, 180, SIPD_STR_NULL, sim.now), 0);
	sim_run(&sim, sim.now + 60); /* the 180 is back */
	/* the CANCEL and the 2xx cross on the wire */
	assert_int_equal(sipd_session_cancel(uc.s, NULL, sim.now), 0);
	assert_int_equal(
		sipd_session_accept(callee.s, (struct sipd_str){ANSWER_SDP, strlen(ANSWER_SDP)}, sim.now), 0);
	sim_run(&sim, sim.now + 1000);
	/* the callee's 2xx won (its CANCEL changed nothing, §9.2); the caller
	 * ACKed it, then ended the call with BYE */
	assert_int_equal(sim_count(&sim, 0, "ACK"), 1);
	assert_int_equal(sim_count(&sim, 0, "BYE"), 1);
	assert_int_equal(uc.end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(callee.end, SIPD_SESSION_END_BYE_REMOTE);
	teardown_two(&sim);
}

/* §13.2.2.4: every 2xx is ACKed, copies included, even once our BYE has
 * ended the dialog: here the 2xx crossed our CANCEL and the first ACK (and
 * the BYE with it) were lost, so the callee sends the 2xx again. */
static void rfc3261_13_2_2_4_2xx_after_our_bye_acked_again(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 44, HOLD);
	sim.links[0][1].delay_ms = 50;
	sim.links[1][0].delay_ms = 50;
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 60);
	assert_int_equal(sipd_session_progress(callee.s, 180, SIPD_STR_NULL, sim.now), 0);
	sim_run(&sim, sim.now + 60);
	assert_int_equal(sipd_session_cancel(uc.s, NULL, sim.now), 0);
	assert_int_equal(
		sipd_session_accept(callee.s, (struct sipd_str){ANSWER_SDP, strlen(ANSWER_SDP)}, sim.now), 0);
	uint64_t t = sim.now;
	sim_run(&sim, t + 45);
	sim.links[0][1].cut = true; /* the ACK and the BYE sent at +50 are lost */
	sim_run(&sim, t + 55);
	sim.links[0][1].cut = false;
	assert_int_equal(sim_count(&sim, 0, "ACK"), 1);
	sim_run(&sim, t + 5000);
	assert_true(sim_count(&sim, 1, "SIP/2.0 200") >= 2);
	assert_true(sim_count(&sim, 0, "ACK") >= 2);
	assert_int_equal(uc.end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(callee.end, SIPD_SESSION_END_BYE_REMOTE);
	teardown_two(&sim);
}

static void rfc3261_14_1_glare_resolved_by_backoff(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 35, ANSWER);
	sim.links[0][1].delay_ms = 20;
	sim.links[1][0].delay_ms = 20;
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	/* both re-INVITE at the same moment: each gets 491 */
	const char *o1 = "v=0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
	const char *o2 = "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n";
	assert_int_equal(sipd_session_modify(uc.s, (struct sipd_str){o1, strlen(o1)}, false, sim.now), 0);
	assert_int_equal(sipd_session_modify(callee.s, (struct sipd_str){o2, strlen(o2)}, false, sim.now), 0);
	uint64_t t0 = sim.now;
	sim_run(&sim, t0 + 10000);
	assert_int_equal(sim_count(&sim, -1, "SIP/2.0 491"), 2);
	/* the retries, apart as §14.1 says: the callee (not owning the Call-ID)
	 * within 0-2 s, the caller within 2.1-4 s; both then succeed */
	assert_int_equal(sim_count(&sim, 0, "INVITE"), 3); /* initial, first try, retry */
	assert_int_equal(sim_count(&sim, 1, "INVITE"), 2);
	uint64_t callee_retry = sim_time_of(&sim, 1, "INVITE", 1) - t0;
	uint64_t caller_retry = sim_time_of(&sim, 0, "INVITE", 2) - t0;
	assert_true(callee_retry <= 2000 + 40 + 10);
	assert_true(caller_retry >= 2100 + 40 && caller_retry <= 4000 + 40 + 10);
	assert_int_equal(uc.nmodified, 1);
	assert_int_equal(uc.modified_codes[0], 200);
	assert_int_equal(sipd_oa_state(sipd_session_oa(uc.s)), SIPD_OA_STABLE);
	assert_int_equal(sipd_oa_state(sipd_session_oa(callee.s)), SIPD_OA_STABLE);
	assert_int_equal(sipd_session_state(uc.s), SIPD_SESSION_CONFIRMED);
	teardown_two(&sim);
}

static void rfc3311_update_modifies_session(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 36, ANSWER);
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 100);
	const char *o = "v=0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
	assert_int_equal(sipd_session_modify(uc.s, (struct sipd_str){o, strlen(o)}, true, sim.now), 0);
	/* one offer at a time */
	assert_int_equal(sipd_session_modify(uc.s, (struct sipd_str){o, strlen(o)}, true, sim.now), SIPD_ESTATE);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(uc.nmodified, 1);
	assert_int_equal(uc.modified_codes[0], 200);
	assert_int_equal(sim_count(&sim, 0, "UPDATE"), 1);
	assert_int_equal(sim_count(&sim, 0, "ACK"), 1); /* only the INVITE's: UPDATE has none */
	assert_true(sipd_sdp_is_hold(sipd_oa_remote(sipd_session_oa(callee.s))));
	teardown_two(&sim);
}

static void rfc3262_reliable_183_prack_then_2xx(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 37, RELIABLE);
	uac_extra = "Require: 100rel\r\n";
	sim.links[0][1].delay_ms = 10;
	sim.links[1][0].delay_ms = 10;
	start_uac(&sim, OFFER_SDP);
	uac_extra = "";
	sim_run(&sim, sim.now + 200);
	/* 183 (RSeq, Require: 100rel) -> PRACK -> 200 PRACK, then the 2xx held
	 * back for it, then the ACK */
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 183"), 1);
	assert_non_null(strstr(sim.last[1], "200 OK")); /* the last one out */
	assert_int_equal(sim_count(&sim, 0, "PRACK"), 1);
	assert_true(sim_time_of(&sim, 1, "SIP/2.0 200", 1) > sim_time_of(&sim, 0, "PRACK", 0));
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	/* the answer came in the 183: both sides stable with it */
	assert_int_equal(sipd_oa_state(sipd_session_oa(uc.s)), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_remote(sipd_session_oa(uc.s)), ANSWER_SDP));
	/* no retransmission of the 183: the PRACK came in time */
	sim_run(&sim, sim.now + 5000);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 183"), 1);
	teardown_two(&sim);
}

static void rfc3262_3_lost_prack_retransmits_183(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 38, RELIABLE);
	sim.links[1][0].delay_ms = 5;
	uac_extra = "Require: 100rel\r\n";
	start_uac(&sim, OFFER_SDP);
	uac_extra = "";
	/* the first PRACK is lost, and with it its retransmissions for a while */
	sim_run(&sim, sim.now + 1); /* the INVITE in, the 183 on its way back */
	sim.links[0][1].cut = true;
	uint64_t t0 = sim_time_of(&sim, 1, "SIP/2.0 183", 0);
	sim_run(&sim, t0 + 1200);
	sim.links[0][1].cut = false;
	sim_run(&sim, t0 + 10000);
	/* the 183 again at T1 and 2*T1 after the first, then the PRACK got in */
	assert_true(sim_count(&sim, 1, "SIP/2.0 183") >= 2);
	assert_int_equal(sim_time_of(&sim, 1, "SIP/2.0 183", 1) - t0, 500);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	/* the caller PRACKed once: retransmitted 183s are absorbed by the guard,
	 * its one PRACK transaction retransmits (§4) */
	teardown_two(&sim);
}

static void rfc3262_3_no_prack_504(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 39, RELIABLE);
	sim.links[1][0].delay_ms = 5;
	uac_extra = "Require: 100rel\r\n";
	start_uac(&sim, OFFER_SDP);
	uac_extra = "";
	sim_run(&sim, sim.now + 1); /* the INVITE in, the 183 on its way back */
	sim.links[0][1].cut = true; /* no PRACK ever arrives */
	uint64_t t0 = sim_time_of(&sim, 1, "SIP/2.0 183", 0);
	sim_run(&sim, t0 + 40000);
	assert_int_equal(sim_time_of(&sim, 1, "SIP/2.0 504", 0) - t0, 32000);
	assert_int_equal(callee.end, SIPD_SESSION_END_REJECTED);
	teardown_two(&sim);
}

/* RFC 3262 §3: a PRACK that matches no unacknowledged provisional gets 481;
 * one whose RAck cannot be read gets 400. Here the INVITE offered no 100rel,
 * so the callee keeps no state of reliable provisionals at all. */
static unsigned prack_status[2];
static size_t nprack_status;

static void prack_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                     const struct sipd_msg *resp)
{
	(void)arg;
	(void)tx;
	if (ev == SIPD_TXN_RESPONSE && resp->status >= 200 && nprack_status < 2)
		prack_status[nprack_status++] = resp->status;
}

static void send_prack(struct sim *sim, const char *rack)
{
	char hdrs[64], buf[2048];
	snprintf(hdrs, sizeof hdrs, "RAck: %s\r\n", rack);
	struct sipd_dialog_request dr = {.size = sizeof dr,
	                                 .method = {"PRACK", 5},
	                                 .headers = {hdrs, strlen(hdrs)}};
	struct sipd_request r;
	assert_int_equal(sipd_dialog_request(sipd_session_dialog(uc.s), &dr, buf, sizeof buf, &r, NULL),
	                 0);
	r.flow = sim_flow(sim, 0, 1, SIPD_TP_UDP);
	assert_int_equal(sipd_stack_request(sim->nodes[0].st, &r, prack_cb, NULL, sim->now, NULL), 0);
}

static void rfc3262_3_prack_without_reliable_provisional_481(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 40, ANSWER);
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	nprack_status = 0;
	send_prack(&sim, "1 20 INVITE");
	sim_run(&sim, sim.now + 100);
	send_prack(&sim, "one 20 INVITE");
	sim_run(&sim, sim.now + 100);
	assert_int_equal(nprack_status, 2);
	assert_int_equal(prack_status[0], 481);
	assert_int_equal(prack_status[1], 400);
	/* neither touched the session */
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	teardown_two(&sim);
}

/* RFC 4028: a 120 s session interval; the callee chose to refresh (the
 * caller named no refresher, §9): re-INVITEs at half the interval keep the
 * session up; when they stop arriving, the caller ends it with BYE at
 * interval - min(32 s, interval / 3) after the last one (§10). */
static void rfc4028_refresh_then_expiry(void **state)
{
	(void)state;
	struct sim sim;
	static const struct sipd_st_config st = {.size = sizeof st, .session_expires = 120};
	setup_two_sessions(&sim, 40, ANSWER);
	callee.timer = &st;
	uac_timer = &st;
	start_uac(&sim, OFFER_SDP);
	uac_timer = NULL;
	sim_run(&sim, sim.now + 100);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	/* the 2xx said who refreshes */
	uint64_t t0 = sim.now;
	sim_run(&sim, t0 + 190 * 1000);
	/* refreshes from the callee at 60 s, 120 s, 180 s (re-INVITE: the
	 * caller's INVITE did not list UPDATE in Allow) */
	assert_int_equal(sim_count(&sim, 1, "INVITE"), 3);
	assert_int_equal(sipd_session_state(uc.s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(uc.nmodified, 0); /* refreshes are not "modify" events */
	/* the callee goes silent: the caller ends the session 88 s after the last
	 * refresh (120 - min(32, 40)) */
	uint64_t last = sim_time_of(&sim, 1, "INVITE", 2);
	sim.links[1][0].cut = true;
	sim_run(&sim, last + 200 * 1000);
	assert_int_equal(uc.end, SIPD_SESSION_END_EXPIRED);
	uint64_t bye = sim_time_of(&sim, 0, "BYE", 0);
	assert_true(bye - last >= 88000 && bye - last <= 88000 + 100);
	teardown_two(&sim);
}

/* RFC 4028 §8.1: a Session-Expires below our Min-SE gets 422 with Min-SE */
static void rfc4028_422_below_min_se(void **state)
{
	(void)state;
	struct sim sim;
	static const struct sipd_st_config callee_st = {.size = sizeof callee_st, .min_se = 300};
	static const struct sipd_st_config caller_st = {.size = sizeof caller_st, .session_expires = 120};
	setup_two_sessions(&sim, 41, ANSWER);
	callee.timer = &callee_st;
	uac_timer = &caller_st;
	start_uac(&sim, OFFER_SDP);
	uac_timer = NULL;
	sim_run(&sim, sim.now + 100);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 422"), 1);
	assert_non_null(strstr(sim.last[1], "\r\nMin-SE: 300\r\n"));
	assert_int_equal(uc.end, SIPD_SESSION_END_REJECTED);
	callee.s = NULL; /* refused before it existed */
	teardown_two(&sim);
}

/* RFC 3891: node 2 sends an INVITE with Replaces naming the A-B dialog at B:
 * B accepts it and ends the old call with BYE; a second one for the same
 * (now ended) dialog gets 603, one for an unknown dialog 481. */
static unsigned third_code;
static void third_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                     const struct sipd_msg *resp)
{
	(void)arg;
	(void)tx;
	if (ev == SIPD_TXN_RESPONSE && resp->status >= 200)
		third_code = resp->status;
}

static void third_invite(struct sim *sim, const char *replaces)
{
	static char hdrs[512];
	static unsigned n;
	snprintf(hdrs, sizeof hdrs,
	         "From: <sip:c@10.0.0.3>;tag=third\r\nTo: <sip:b@10.0.0.2>\r\n"
	         "Call-ID: sess-3-%u\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
	         "Contact: <sip:c@10.0.0.3>\r\nReplaces: %s\r\n",
	         ++n, replaces);
	struct sipd_request r = {.size = sizeof r, .method = {"INVITE", 6},
	                         .uri = {"sip:b@10.0.0.2", 14}, .headers = {hdrs, strlen(hdrs)},
	                         .content_type = "application/sdp",
	                         .body = {OFFER_SDP, strlen(OFFER_SDP)},
	                         .flow = sim_flow(sim, 2, 1, SIPD_TP_UDP)};
	third_code = 0;
	assert_int_equal(sipd_stack_request(sim->nodes[2].st, &r, third_cb, NULL, sim->now, NULL), 0);
	sim_run(sim, sim->now + 100);
}

static void rfc3891_replaces_ends_the_old_call(void **state)
{
	(void)state;
	struct sim sim;
	setup_two_sessions(&sim, 42, ANSWER);
	sim_add_node(&sim, NULL, allow_more);
	start_uac(&sim, OFFER_SDP);
	sim_run(&sim, sim.now + 100);
	assert_int_equal(uc.last, SIPD_SESSION_CONFIRMED);
	/* B's local tag is the To tag the caller's dialog knows as remote */
	struct sipd_str btag = sipd_dialog_remote_tag(sipd_session_dialog(uc.s));
	char rep[256];
	snprintf(rep, sizeof rep, "sess-2;to-tag=%.*s;from-tag=caller2", (int)btag.len, btag.p);
	third_invite(&sim, rep);
	assert_int_equal(third_code, 200);
	assert_ptr_equal(callee.replaced, callee.s);
	assert_int_equal(sipd_session_state(callee.s), SIPD_SESSION_TERMINATED);
	assert_int_equal(sipd_session_end_reason(callee.s), SIPD_SESSION_END_REPLACED);
	assert_int_equal(uc.end, SIPD_SESSION_END_BYE_REMOTE); /* A got B's BYE */
	/* the same dialog again: it has ended (603, RFC 3891 §3) */
	third_invite(&sim, rep);
	assert_int_equal(third_code, 603);
	/* a dialog nobody has: 481 */
	third_invite(&sim, "nosuch;to-tag=x;from-tag=y");
	assert_int_equal(third_code, 481);
	sim_run(&sim, UINT64_MAX);
	sipd_session_free(callee.s2);
	teardown_two(&sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_13_basic_call_and_bye_with_reason),
		cmocka_unit_test(rfc3261_13_3_1_4_no_ack_then_bye),
		cmocka_unit_test(rfc3261_12_2_1_1_bye_goes_to_the_next_hop),
		cmocka_unit_test(rfc3261_12_1_1_responses_carry_record_route),
		cmocka_unit_test(rfc3261_13_2_2_4_ack_goes_to_the_2xx_contact),
		cmocka_unit_test(rfc3261_17_1_3_branch_of_our_via_not_of_the_request_uri),
		cmocka_unit_test(rfc6026_8_7_transport_gone_before_ack),
		cmocka_unit_test(rfc3261_14_2_reinvite_defaults_and_rules),
		cmocka_unit_test(rfc3261_14_1_no_reinvite_while_peer_invite_in_progress),
		cmocka_unit_test(rfc3261_default_answers_in_session),
		cmocka_unit_test(rfc3261_9_2_cancel_ends_session_487),
		cmocka_unit_test(rfc3261_15_callee_bye_waits_for_ack),
		cmocka_unit_test(rfc3261_13_uac_session_call_and_bye),
		cmocka_unit_test(rfc3261_13_2_1_late_offer_answer_in_ack),
		cmocka_unit_test(rfc3261_13_2_2_4_refused_offer_in_2xx_answered_then_byed),
		cmocka_unit_test(rfc3261_9_1_uac_cancel),
		cmocka_unit_test(rfc3261_9_1_cancel_crossing_2xx_is_acked_and_byed),
		cmocka_unit_test(rfc3261_13_2_2_4_2xx_after_our_bye_acked_again),
		cmocka_unit_test(rfc3261_14_1_glare_resolved_by_backoff),
		cmocka_unit_test(rfc3311_update_modifies_session),
		cmocka_unit_test(rfc3262_reliable_183_prack_then_2xx),
		cmocka_unit_test(rfc3262_3_lost_prack_retransmits_183),
		cmocka_unit_test(rfc3262_3_no_prack_504),
		cmocka_unit_test(rfc3262_3_prack_without_reliable_provisional_481),
		cmocka_unit_test(rfc4028_refresh_then_expiry),
		cmocka_unit_test(rfc4028_422_below_min_se),
		cmocka_unit_test(rfc3891_replaces_ends_the_old_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
