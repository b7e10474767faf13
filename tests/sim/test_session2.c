/* INVITE sessions through the simulator, second part: UPDATE without an
 * offer (RFC 3311 §5.2), the ACK of every 2xx to a re-INVITE (§14.1, RFC
 * 6026), a description repeated in the 2xx after a reliable provisional (RFC
 * 6337), Replaces of an early call (RFC 3891 §3), a session freed before its
 * INVITE's final response (§9.1, §15), randomness as RFC 3262 §3 and §14.1
 * want it, a dialog shared with a subscription (RFC 6665 §4.5.2), and the
 * smaller rules: provisionals through sipd_session_respond(), many requests
 * waiting, 487 when the INVITE is rejected, T1, Allow, and the INVITEs
 * sipd_session_uas() answers itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/session.h>
#include <sipdialog/subscription.h>

#include "sim.h"

#define OFFER_SDP                                                                                  \
	"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 "     \
	"RTP/AVP 0\r\n"
#define ANSWER_SDP                                                                                 \
	"v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 4000 "     \
	"RTP/AVP 0\r\n"
#define LATE_ANSWER                                                                                \
	"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5002 "     \
	"RTP/AVP 0\r\n"
#define HOLD_SDP "v=0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n"
#define HOLD_ANSWER "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n"
#define ALLOW                                                                                      \
	"INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE, REFER, PRACK, SUBSCRIBE, "      \
	"NOTIFY"

static struct sim S;

static struct sipd_str str(const char *s)
{
	return (struct sipd_str){s, s ? strlen(s) : 0};
}

static bool eq(struct sipd_str s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

/* ---------------------------------------------------------------- randomness */

/* The simulator's random bytes, except that a node may have its 4-byte draws
 * (the only size the session layer asks for) fixed to one value. */
struct script {
	bool on;
	uint32_t value;
};
static struct script script[SIM_MAX_NODES];

static void test_random(void *user, void *buf, size_t len)
{
	struct sim_node *n = user;
	uint8_t *p = buf;
	if (script[n->index].on && len == 4) {
		uint32_t v = script[n->index].value;
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
		return;
	}
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(sim_rand(n->sim) >> 32);
}

static void table_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x11, len);
}

/* ---------------------------------------------------------------- the two nodes */

/* Node 0 calls (UAC session), node 1 answers (UAS session); each also routes
 * the requests within its session, and may run a subscription set. */
enum mode { ANSWER, HOLD, RELIABLE };

struct node {
	int idx;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	struct sipd_subscriptions *set;
	struct sipd_session *s, *s2; /* s2: a second INVITE's session */
	/* UAS behaviour */
	enum mode mode;
	bool accept_sdp; /* RELIABLE: the 2xx repeats the 183's description */
	const struct sipd_st_config *timer;
	int uas_rc;
	/* what the application saw */
	enum sipd_session_state last;
	int nstates;
	enum sipd_session_end end;
	int answers;
	unsigned modified[8];
	int nmodified;
	unsigned resp_last;
	unsigned resp_count[7]; /* final responses to sipd_session_request(), by class */
	unsigned resp_503;
	/* requests the application holds, by method bit */
	uint32_t hold;
	struct sipd_txn *held[512];
	int nheld;
	/* subscriptions */
	struct sipd_subscription *sub;
	int nnotify;
};
static struct node N[2];

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)s;
	(void)msg;
	struct node *n = arg;
	n->last = st;
	n->nstates++;
	if (st == SIPD_SESSION_TERMINATED)
		n->end = why;
}

static int on_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                      const struct sipd_msg *req)
{
	(void)s;
	struct node *n = arg;
	if (!(n->hold & (1u << req->method)))
		return -1; /* the session's default answer */
	assert_true(n->nheld < 512);
	n->held[n->nheld++] = tx;
	return 0;
}

static void on_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	struct node *n = arg;
	if (n->nmodified < 8)
		n->modified[n->nmodified++] = resp ? resp->status : 0;
}

static struct sipd_str on_answer(void *arg, struct sipd_session *s, struct sipd_str offer)
{
	(void)s;
	(void)offer;
	((struct node *)arg)->answers++;
	return str(LATE_ANSWER);
}

static void on_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	struct node *n = arg;
	unsigned code = resp ? resp->status : 408;
	n->resp_last = code;
	n->resp_count[code / 100]++;
	if (code == 503 && resp && sipd_msg_find(resp, SIPD_HDR_RETRY_AFTER))
		n->resp_503++;
}

static const struct sipd_session_callbacks session_cb = {.size = sizeof session_cb,
                                                         .state = on_state,
                                                         .request = on_request,
                                                         .modified = on_modified,
                                                         .answer = on_answer,
                                                         .response = on_response};

static struct sipd_session_opts session_opts(struct node *n, const char *contact)
{
	return (struct sipd_session_opts){
		.size = sizeof(struct sipd_session_opts),
		.dialog = {.size = sizeof(struct sipd_dialog_opts), .local_contact = str(contact)},
		.cb = &session_cb,
		.arg = n,
		.rel_policy = SIPD_REL_SUPPORTED,
		.timer = n->timer};
}

static int app_request(struct sim *sim, int idx, struct sipd_txn *tx, const struct sipd_msg *m)
{
	struct node *n = &N[idx];
	struct sipd_flow from = sim_flow(sim, idx, idx ^ 1, SIPD_TP_UDP);
	if (n->set && sipd_subscriptions_request(n->set, tx, m, &from) == 0)
		return 0;
	if (m->to.tag.len || m->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&n->env, tx, m, &from);
	if (m->method != SIPD_METHOD_INVITE)
		return -1;
	struct sipd_session_opts o = session_opts(n, "sip:b@10.0.0.2");
	struct sipd_session *s = NULL;
	n->uas_rc = sipd_session_uas(&n->env, tx, &from, &o, sim->now, &s);
	if (n->uas_rc)
		return 0; /* answered by the session */
	if (n->s) {
		n->s2 = s;
		return 0;
	}
	n->s = s;
	switch (n->mode) {
	case ANSWER:
		assert_int_equal(sipd_session_progress(s, 180, SIPD_STR_NULL, sim->now), 0);
		assert_int_equal(sipd_session_accept(s, str(ANSWER_SDP), sim->now), 0);
		break;
	case RELIABLE:
		/* RFC 3262: 183 with the answer, reliably; the 2xx waits for its
		 * PRACK (§3) */
		assert_int_equal(sipd_session_progress(s, 183, str(ANSWER_SDP), sim->now), 0);
		assert_int_equal(
			sipd_session_accept(s, n->accept_sdp ? str(ANSWER_SDP) : SIPD_STR_NULL,
		                            sim->now),
			0);
		break;
	case HOLD: break;
	}
	return 0;
}

static void app_cancel(struct sim *sim, int idx, struct sipd_txn *inv, const struct sipd_msg *c)
{
	(void)idx;
	(void)c;
	struct sipd_session *s = sipd_txn_user(inv);
	if (s)
		sipd_session_cancelled(s, sim->now);
}

static void app_done(struct sim *sim, int idx, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	sipd_sessions_server_done(&N[idx].env, tx, timeout);
}

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

static void tweak(struct sipd_stack_config *cfg)
{
	cfg->allow = ALLOW;
	cfg->supported = "100rel, timer";
	cfg->accept = "application/sdp, text/plain";
	cfg->random = test_random;
}

/* Two nodes, with links `delay` ms each way and T1 `t1` (0: 500). */
static void world(uint64_t seed, uint32_t delay, uint32_t t1, uint32_t max_dialogs)
{
	sim_init(&S, seed);
	S.trace = getenv("SIM_TRACE") != NULL;
	S.t1 = t1;
	memset(N, 0, sizeof N);
	memset(script, 0, sizeof script);
	struct sim_app app = {
		.request = app_request, .cancel = app_cancel, .server_done = app_done};
	for (int i = 0; i < 2; i++) {
		sim_add_node(&S, &app, tweak);
		N[i].idx = i;
		struct sipd_dialogs_config c = {.size = sizeof c,
		                                .cb = &dialogs_cb,
		                                .user = &N[i],
		                                .random = table_random,
		                                .max_dialogs = max_dialogs};
		N[i].dialogs = sipd_dialogs_create(&c);
		N[i].env = (struct sipd_session_env){
			.size = sizeof N[i].env, .stack = S.nodes[i].st, .dialogs = N[i].dialogs};
	}
	S.links[0][1].delay_ms = S.links[1][0].delay_ms = delay;
}

/* Node 0 calls node 1: `extra` header lines, `offer` (NULL: late offer). */
static struct sipd_session *call_from(const char *call_id, const char *offer, const char *extra,
                                      const struct sipd_st_config *timer)
{
	char hdrs[512];
	snprintf(hdrs, sizeof hdrs,
	         "From: <sip:a@10.0.0.1>;tag=a-%s\r\nTo: <sip:b@10.0.0.2>\r\n"
	         "Call-ID: %s\r\nCSeq: 20 INVITE\r\nMax-Forwards: 70\r\n"
	         "Contact: <sip:a@10.0.0.1>\r\n%s",
	         call_id, call_id, extra ? extra : "");
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"INVITE", 6},
	                         .uri = str("sip:b@10.0.0.2"),
	                         .headers = str(hdrs),
	                         .content_type = offer ? "application/sdp" : NULL,
	                         .body = str(offer),
	                         .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP)};
	N[0].timer = timer;
	struct sipd_session_opts o = session_opts(&N[0], "sip:a@10.0.0.1");
	struct sipd_session *s = NULL;
	assert_int_equal(sipd_session_uac(&N[0].env, &r, &o, S.now, &s), 0);
	return s;
}

static void call(const char *offer, const char *extra, const struct sipd_st_config *timer)
{
	N[0].s = call_from("call-1", offer, extra, timer);
}

/* The sessions still up are freed (a confirmed one sends nothing), the
 * transactions run out, then everything goes. */
static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		sipd_session_free(N[i].s);
		sipd_session_free(N[i].s2);
	}
	sim_run(&S, S.now + 64 * 1000);
	sim_free(&S);
	for (int i = 0; i < 2; i++) {
		sipd_subscriptions_destroy(N[i].set);
		sipd_dialogs_destroy(N[i].dialogs);
	}
}

/* Whether the last packet node `from` sent (the simulator keeps each node's
 * last one whole) starts with `prefix`. */
static bool last_is(int from, const char *prefix)
{
	return strncmp(S.last[from], prefix, strlen(prefix)) == 0;
}

static const struct sipd_oa *oa_of(int i)
{
	return sipd_session_oa(N[i].s);
}

/* ---------------------------------------------------------------- RFC 3311 */

/* RFC 3261 §15, §12.2.1.2 (RFC 5057): the callee's UPDATE in an early dialog
 * times out (408): the early dialog is over, but the callee never BYEs an
 * early dialog: it answers its INVITE with a final response (500), which
 * also ends its INVITE server transaction, and the caller's INVITE fails. */
static void rfc3261_15_callee_ends_early_dialog_with_final_response(void **state)
{
	(void)state;
	world(61, 0, 0, 0);
	N[1].mode = HOLD;
	/* a reliable 183 with the answer (RFC 3262), PRACKed: the early
	 * dialog has a session, which an UPDATE may change (RFC 3311 §5.1) */
	call(OFFER_SDP, "Allow: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK\r\nRequire: 100rel\r\n",
	     NULL);
	sim_run(&S, S.now + 100);
	assert_non_null(N[1].s);
	assert_int_equal(sipd_session_progress(N[1].s, 183, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_EARLY);
	assert_int_equal(sim_count(&S, 0, "PRACK"), 1);
	/* the caller goes silent: the UPDATE gets no answer (Timer F) */
	S.links[1][0].cut = true;
	S.links[0][1].cut = true;
	assert_int_equal(sipd_session_modify(N[1].s, str(OFFER_SDP), true, S.now), 0);
	sim_run(&S, S.now + 64 * 500 + 1000);
	assert_int_equal(N[1].last, SIPD_SESSION_TERMINATED);
	assert_int_equal(N[1].end, SIPD_SESSION_END_ERROR);
	assert_int_equal(sim_count(&S, 1, "BYE"), 0);
	assert_true(sim_count(&S, 1, "SIP/2.0 500") >= 1);
	/* the caller hears again: it gets the 500, ACKs it, and its call fails */
	S.links[1][0].cut = false;
	S.links[0][1].cut = false;
	sim_run(&S, S.now + 10 * 1000);
	assert_int_equal(N[0].last, SIPD_SESSION_TERMINATED);
	assert_int_equal(N[0].end, SIPD_SESSION_END_REJECTED);
	for (int i = 0; i < 2; i++) {
		struct sipd_stack_stats st;
		sipd_stack_stats(S.nodes[i].st, &st);
		assert_int_equal(st.server_txns, 0);
	}
	teardown();
}

/* RFC 3311 §1: "UPDATE ... has no impact on the state of a dialog". An
 * UPDATE in the early dialog, from the caller and then from the callee, is
 * answered 2xx; both dialogs stay early, and the 2xx to the INVITE confirms
 * them afterwards (§13.2.2.4): the call goes on and ends with BYE. */
static void rfc3311_1_early_update_leaves_the_dialog_early(void **state)
{
	(void)state;
	world(65, 0, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, "Allow: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK\r\nRequire: 100rel\r\n",
	     NULL);
	sim_run(&S, S.now + 100);
	assert_non_null(N[1].s);
	assert_int_equal(sipd_session_progress(N[1].s, 183, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_EARLY);
	/* the caller's UPDATE, then the callee's, each with an offer */
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), true, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nmodified, 1);
	assert_int_equal(N[0].modified[0], 200);
	assert_int_equal(sipd_dialog_state(sipd_session_dialog(N[0].s)), SIPD_DIALOG_EARLY);
	assert_int_equal(sipd_session_modify(N[1].s, str(OFFER_SDP), true, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].nmodified, 1);
	assert_int_equal(N[1].modified[0], 200);
	assert_int_equal(sipd_dialog_state(sipd_session_dialog(N[1].s)), SIPD_DIALOG_EARLY);
	assert_int_equal(N[0].last, SIPD_SESSION_EARLY);
	/* the callee answers the INVITE: both confirmed */
	assert_int_equal(sipd_session_accept(N[1].s, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(N[1].last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(sim_count(&S, 0, "ACK"), 1);
	assert_int_equal(sipd_session_bye(N[0].s, NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_TERMINATED);
	assert_int_equal(N[1].last, SIPD_SESSION_TERMINATED);
	assert_int_equal(N[1].end, SIPD_SESSION_END_BYE_REMOTE);
	teardown();
}

/* RFC 3261 §15, §9.1: the callee's 2xx never reaches the caller, so the
 * callee gives up waiting for the ACK and BYEs (§13.3.1.4); to the caller
 * that BYE ends an early dialog while its INVITE is still in Proceeding,
 * a state RFC 3261 gives no timer. The caller cancels the INVITE, which
 * bounds its transaction at 64*T1: nothing is left in either stack. */
static void rfc3261_9_1_caller_cancels_invite_when_early_dialog_byed(void **state)
{
	(void)state;
	world(62, 0, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	assert_non_null(N[1].s);
	assert_int_equal(sipd_session_progress(N[1].s, 180, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_EARLY);
	/* every 2xx is lost; the BYE that follows gets through once the link
	 * is back */
	S.links[1][0].cut = true;
	assert_int_equal(sipd_session_accept(N[1].s, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 64 * 500 + 200);
	assert_int_equal(N[1].end, SIPD_SESSION_END_NO_ACK);
	S.links[1][0].cut = false;
	sim_run(&S, S.now + 10 * 1000);
	assert_int_equal(N[0].last, SIPD_SESSION_TERMINATED);
	assert_int_equal(N[0].end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(sim_count(&S, 0, "CANCEL"), 1);
	sim_run(&S, S.now + 64 * 500 + 1000);
	for (int i = 0; i < 2; i++) {
		struct sipd_stack_stats st;
		sipd_stack_stats(S.nodes[i].st, &st);
		assert_int_equal(st.client_txns, 0);
		assert_int_equal(st.server_txns, 0);
	}
	teardown();
}

/* RFC 3311 §5.2, RFC 4028 §7.4: the callee refreshes with UPDATE without an
 * offer (the caller's INVITE allows UPDATE); the caller's default answer is a
 * 2xx without an offer, so both engines stay stable: no 491 ever, refreshes
 * every 60 s for as long as the call lasts, and a modification afterwards
 * succeeds. */
static void rfc3311_5_2_refresh_by_update_gets_2xx_without_offer(void **state)
{
	(void)state;
	static const struct sipd_st_config st = {.size = sizeof st, .session_expires = 120};
	world(50, 0, 0, 0);
	N[1].timer = &st;
	call(OFFER_SDP, "Allow: INVITE, ACK, BYE, CANCEL, UPDATE\r\n", &st);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_CONFIRMED);
	uint64_t t0 = S.now;
	sim_run(&S, t0 + 61 * 1000);
	assert_int_equal(sim_count(&S, 1, "UPDATE"), 1);
	/* the caller's last packet is its 200 to that UPDATE: no body */
	assert_true(last_is(0, "SIP/2.0 200"));
	assert_non_null(strstr(S.last[0], " UPDATE\r\n"));
	assert_non_null(strstr(S.last[0], "\r\nContent-Length: 0\r\n"));
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_STABLE);
	assert_int_equal(sipd_oa_state(oa_of(1)), SIPD_OA_STABLE);
	sim_run(&S, t0 + 400 * 1000);
	assert_int_equal(sim_count(&S, -1, "SIP/2.0 491"), 0);
	assert_int_equal(sim_count(&S, 1, "UPDATE"), 6); /* 60, 120 ... 360 s */
	assert_int_equal(sipd_session_state(N[0].s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_state(N[1].s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_STABLE);
	assert_int_equal(sipd_oa_state(oa_of(1)), SIPD_OA_STABLE);
	/* nothing stuck: a new offer goes through */
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), true, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nmodified, 1);
	assert_int_equal(N[0].modified[0], 200);
	teardown();
}

/* RFC 3311 §5.2: the 491 of glare is for an UPDATE that carries an offer. The
 * callee holds the caller's re-INVITE (the caller's offer is pending): an
 * UPDATE without an offer from the callee is answered 200, one with an offer
 * 491; the held re-INVITE then completes. */
static void rfc3311_5_2_491_only_for_update_with_offer(void **state)
{
	(void)state;
	world(51, 5, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	N[1].hold = 1u << SIPD_METHOD_INVITE;
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), false, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].nheld, 1);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_HAVE_LOCAL_OFFER);
	assert_int_equal(
		sipd_session_request(N[1].s, "UPDATE", SIPD_STR_NULL, NULL, SIPD_STR_NULL, S.now),
		0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].resp_last, 200);
	assert_int_equal(sipd_session_request(N[1].s, "UPDATE", SIPD_STR_NULL, "application/sdp",
	                                      str(ANSWER_SDP), S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].resp_last, 491);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_HAVE_LOCAL_OFFER);
	/* the re-INVITE is answered: both stable with the new descriptions */
	assert_int_equal(sipd_session_respond(N[1].s, N[1].held[0], 200, str(HOLD_ANSWER), S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nmodified, 1);
	assert_int_equal(N[0].modified[0], 200);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_remote(oa_of(0)), HOLD_ANSWER));
	assert_int_equal(sipd_oa_state(oa_of(1)), SIPD_OA_STABLE);
	assert_int_equal(sipd_session_state(N[1].s), SIPD_SESSION_CONFIRMED);
	teardown();
}

/* ---------------------------------------------------------------- 2xx to re-INVITE */

/* §13.2.2.4, §14.1, RFC 6026 §8.10: the ACK of our re-INVITE's 2xx is lost;
 * the callee's retransmitted 2xx gets the same ACK again, and the call goes
 * on (no NO_ACK BYE 64*T1 later). The retransmission is not reported. */
static void rfc6026_8_10_reinvite_2xx_retransmission_acked_again(void **state)
{
	(void)state;
	world(52, 10, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 200);
	sim_clear_log(&S);
	uint64_t t0 = S.now;
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), false, t0), 0);
	sim_run(&S, t0 + 15);     /* the re-INVITE in at +10, its 2xx on its way */
	S.links[0][1].cut = true; /* the ACK (out at +20) is lost */
	sim_run(&S, t0 + 35);
	S.links[0][1].cut = false;
	sim_run(&S, t0 + 40000);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 200"), 2); /* the 2xx and one copy */
	assert_int_equal(sim_count(&S, 0, "ACK"), 2);
	assert_int_equal(sim_time_of(&S, 0, "ACK", 1) - t0, 520); /* at T1 + 2 x 10 ms */
	assert_int_equal(sim_count(&S, -1, "BYE"), 0);
	assert_int_equal(sipd_session_state(N[1].s), SIPD_SESSION_CONFIRMED);
	assert_int_equal(N[0].nmodified, 1);
	teardown();
}

/* §14.1: the 2xx of an earlier re-INVITE is not the answer to the UPDATE
 * that followed it. The ACK of the re-INVITE's 2xx is lost and an UPDATE
 * goes out, which the callee holds; the re-INVITE's retransmitted 2xx is
 * ACKed (its own CSeq) and leaves the UPDATE's offer pending, until the
 * UPDATE's own 2xx answers it. */
static void rfc3261_14_1_2xx_of_earlier_reinvite_is_not_the_update_answer(void **state)
{
	(void)state;
	world(53, 10, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 200);
	sim_clear_log(&S);
	uint64_t t0 = S.now;
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), false, t0), 0);
	sim_run(&S, t0 + 15);
	S.links[0][1].cut = true; /* the re-INVITE's ACK is lost */
	sim_run(&S, t0 + 25);
	S.links[0][1].cut = false;
	assert_int_equal(N[0].nmodified, 1);
	N[1].hold = 1u << SIPD_METHOD_UPDATE;
	assert_int_equal(sipd_session_modify(N[0].s, str(OFFER_SDP), true, S.now), 0);
	sim_run(&S, t0 + 1000); /* the 2xx again at +510, in at +520 */
	assert_int_equal(N[1].nheld, 1);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 200"), 2);
	assert_int_equal(sim_count(&S, 0, "ACK"), 2);
	assert_int_equal(N[0].nmodified, 1);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_HAVE_LOCAL_OFFER);
	assert_int_equal(sipd_session_state(N[1].s), SIPD_SESSION_CONFIRMED);
	/* the UPDATE's answer */
	assert_int_equal(sipd_session_respond(N[1].s, N[1].held[0], 200, str(ANSWER_SDP), S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nmodified, 2);
	assert_int_equal(N[0].modified[1], 200);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_local(oa_of(0)), OFFER_SDP));
	assert_true(eq(sipd_oa_remote(oa_of(0)), ANSWER_SDP));
	teardown();
}

/* ---------------------------------------------------------------- RFC 3262 and the 2xx */

/* RFC 3262 §5, RFC 6337 §3.1.1, RFC 3261 §13.2.1: the answer came in a
 * reliable 183; the 2xx repeats the description. It is not a late offer: the
 * answer callback is not called and the ACK carries no body. */
static void rfc6337_3_1_1_description_repeated_in_2xx_is_no_offer(void **state)
{
	(void)state;
	world(54, 10, 0, 0);
	N[1].mode = RELIABLE;
	N[1].accept_sdp = true;
	call(OFFER_SDP, "Require: 100rel\r\n", NULL);
	sim_run(&S, S.now + 200);
	assert_int_equal(N[0].last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(sim_count(&S, 0, "PRACK"), 1);
	assert_int_equal(sim_count(&S, 0, "ACK"), 1);
	assert_true(last_is(0, "ACK "));
	assert_non_null(strstr(S.last[0], "\r\nContent-Length: 0\r\n"));
	assert_int_equal(N[0].answers, 0);
	assert_int_equal(sipd_oa_state(oa_of(0)), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_local(oa_of(0)), OFFER_SDP));
	assert_true(eq(sipd_oa_remote(oa_of(0)), ANSWER_SDP));
	assert_int_equal(sipd_oa_state(oa_of(1)), SIPD_OA_STABLE);
	teardown();
}

/* ---------------------------------------------------------------- RFC 3891 */

/* RFC 3891 §3: our early INVITE replaced: CANCEL with the Reason; the
 * session still runs meanwhile (no end reason yet) and ends REPLACED when
 * the INVITE gets its 487. */
static void rfc3891_3_replace_early_uac_ends_replaced(void **state)
{
	(void)state;
	world(55, 10, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 20);
	assert_int_equal(sipd_session_progress(N[1].s, 180, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 20);
	assert_int_equal(N[0].last, SIPD_SESSION_EARLY);
	assert_int_equal(sipd_session_replace(N[0].s, S.now), 0);
	assert_int_equal(sipd_session_state(N[0].s), SIPD_SESSION_EARLY);
	assert_int_equal(sipd_session_end_reason(N[0].s), SIPD_SESSION_END_NONE);
	assert_true(last_is(0, "CANCEL "));
	assert_non_null(strstr(S.last[0], "\r\nReason: SIP;cause=200;text=\"Replaced\"\r\n"));
	sim_run(&S, S.now + 100);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 487"), 1);
	assert_int_equal(N[0].end, SIPD_SESSION_END_REPLACED);
	assert_int_equal(sipd_session_end_reason(N[0].s), SIPD_SESSION_END_REPLACED);
	assert_int_equal(N[1].end, SIPD_SESSION_END_CANCELLED);
	teardown();
}

/* RFC 3891 §3 with §9.2: the 2xx crosses the CANCEL of the replaced INVITE:
 * it is ACKed and ended with a BYE that carries the same Reason; the session
 * ends REPLACED. */
static void rfc3891_3_replace_early_uac_crossing_2xx(void **state)
{
	(void)state;
	world(56, 50, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 60);
	assert_int_equal(sipd_session_progress(N[1].s, 180, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 60);
	assert_int_equal(sipd_session_replace(N[0].s, S.now), 0);
	assert_int_equal(sipd_session_accept(N[1].s, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 1000);
	assert_int_equal(sim_count(&S, 0, "ACK"), 1);
	assert_int_equal(sim_count(&S, 0, "BYE"), 1);
	assert_true(last_is(0, "BYE "));
	assert_non_null(strstr(S.last[0], "\r\nReason: SIP;cause=200;text=\"Replaced\"\r\n"));
	assert_int_equal(N[0].end, SIPD_SESSION_END_REPLACED);
	assert_int_equal(N[1].end, SIPD_SESSION_END_BYE_REMOTE);
	teardown();
}

/* ---------------------------------------------------------------- freeing a call under way */

/* §9.1, §15: a UAC session freed before any response. Its INVITE is
 * cancelled (the CANCEL waits for the 100, §9.1), and the 2xx that crossed
 * it is ACKed and ended with BYE; with session timers on, that 2xx starts no
 * timer on the freed session (ASan would see it fire). */
static void rfc3261_15_free_uac_before_any_response(void **state)
{
	(void)state;
	static const struct sipd_st_config st = {.size = sizeof st, .session_expires = 120};
	world(57, 50, 0, 0);
	N[1].mode = HOLD;
	N[1].timer = &st;
	call(OFFER_SDP, NULL, &st);
	sipd_session_free(N[0].s);
	N[0].s = NULL;
	assert_int_equal(N[0].nstates, 0); /* no callback from a freed session */
	sim_run(&S, S.now + 60);           /* the INVITE in at 50 ms */
	assert_int_equal(sipd_session_accept(N[1].s, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 200 * 1000);
	assert_int_equal(sim_count(&S, 0, "CANCEL"), 1);
	assert_int_equal(sim_count(&S, 0, "ACK"), 1);
	assert_int_equal(sim_count(&S, 0, "BYE"), 1);
	assert_int_equal(sim_count(&S, 1, "BYE"), 0);
	assert_int_equal(N[1].end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(N[0].nstates, 0);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	teardown();
}

/* §9.1: a UAC session freed after a provisional: CANCEL at once, and the
 * callee's INVITE ends 487. */
static void rfc3261_9_1_free_uac_after_provisional_cancels(void **state)
{
	(void)state;
	world(58, 10, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 20);
	assert_int_equal(sipd_session_progress(N[1].s, 180, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 20);
	sipd_session_free(N[0].s);
	N[0].s = NULL;
	assert_true(last_is(0, "CANCEL "));
	sim_run(&S, S.now + 100);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 487"), 1);
	assert_int_equal(N[1].end, SIPD_SESSION_END_CANCELLED);
	sim_run(&S, S.now + 40000);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	teardown();
}

/* §13.2.2.4, §15: freed after a provisional, with a 2xx that crossed the
 * CANCEL: the early dialog is left to its INVITE, so the 2xx is ACKed (the
 * callee does not wait 64*T1 for it) and the call ended with BYE. */
static void rfc3261_13_2_2_4_free_uac_after_provisional_2xx_acked(void **state)
{
	(void)state;
	world(59, 50, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 60);
	assert_int_equal(sipd_session_progress(N[1].s, 180, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 60);
	sipd_session_free(N[0].s);
	N[0].s = NULL;
	assert_int_equal(sipd_session_accept(N[1].s, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 1000);
	assert_int_equal(sim_count(&S, 0, "CANCEL"), 1);
	assert_int_equal(sim_count(&S, 0, "ACK"), 1);
	assert_int_equal(sim_count(&S, 0, "BYE"), 1);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 200"), 3); /* 2xx, 200 CANCEL, 200 BYE */
	assert_int_equal(N[1].end, SIPD_SESSION_END_BYE_REMOTE);
	sim_run(&S, S.now + 40000);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	teardown();
}

/* ---------------------------------------------------------------- randomness */

/* RFC 3262 §3: the first RSeq comes from raw random bytes, uniform over 1 ..
 * 2**31-1: a source giving 0 yields 1, one giving 2**31-2 yields 2**31-1, the
 * two ends (token characters as bytes never reach either). */
static void rseq_of(uint32_t value, const char *want)
{
	world(60, 10, 0, 0);
	N[1].mode = HOLD;
	script[1].on = true;
	script[1].value = value;
	call(OFFER_SDP, "Require: 100rel\r\n", NULL);
	sim_run(&S, S.now + 20);
	assert_int_equal(sipd_session_progress(N[1].s, 183, str(ANSWER_SDP), S.now), 0);
	assert_true(last_is(1, "SIP/2.0 183"));
	assert_non_null(strstr(S.last[1], want));
	teardown();
}

static void rfc3262_3_first_rseq_uniform_from_raw_bytes(void **state)
{
	(void)state;
	rseq_of(0, "\r\nRSeq: 1\r\n");
	rseq_of(0x7ffffffe, "\r\nRSeq: 2147483647\r\n");
}

/* §14.1: the glare back-off in units of 10 ms from raw random bytes: the
 * owner of the Call-ID (the caller) 2.1 to 4 s, the other side 0 to 2 s,
 * both ends reachable. The 491s are back 40 ms after both re-INVITEs left. */
static void glare_with(uint32_t caller_value, uint32_t callee_value, uint64_t caller_delay,
                       uint64_t callee_delay)
{
	world(61, 20, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 200);
	script[0] = (struct script){true, caller_value};
	script[1] = (struct script){true, callee_value};
	uint64_t t0 = S.now;
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), false, t0), 0);
	assert_int_equal(sipd_session_modify(N[1].s, str(HOLD_ANSWER), false, t0), 0);
	sim_run(&S, t0 + 10000);
	assert_int_equal(sim_count(&S, -1, "SIP/2.0 491"), 2);
	assert_int_equal(sim_time_of(&S, 0, "INVITE", 2) - t0, 40 + caller_delay);
	assert_int_equal(sim_time_of(&S, 1, "INVITE", 1) - t0, 40 + callee_delay);
	assert_int_equal(N[0].nmodified, 1);
	assert_int_equal(N[0].modified[0], 200);
	assert_int_equal(N[1].nmodified, 1);
	assert_int_equal(N[1].modified[0], 200);
	teardown();
}

static void rfc3261_14_1_glare_delay_in_10ms_steps_from_raw_bytes(void **state)
{
	(void)state;
	glare_with(0, 0, 2100, 0);
	glare_with(190, 200, 4000, 2000);
}

/* §14.2: the Retry-After of a 500 to a re-INVITE that arrives while another
 * offer is pending, 0-10 s from raw random bytes. */
static void rfc3261_14_2_retry_after_from_raw_bytes(void **state)
{
	(void)state;
	world(62, 5, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	N[1].hold = 1u << SIPD_METHOD_INVITE;
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), false, S.now), 0);
	sim_run(&S, S.now + 100);
	script[1] = (struct script){true, 10};
	/* an UPDATE with an offer while the re-INVITE's is unanswered */
	assert_int_equal(sipd_session_request(N[0].s, "UPDATE", SIPD_STR_NULL, "application/sdp",
	                                      str(OFFER_SDP), S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].resp_last, 500);
	assert_true(last_is(1, "SIP/2.0 500"));
	assert_non_null(strstr(S.last[1], "\r\nRetry-After: 10\r\n"));
	teardown();
}

/* ---------------------------------------------------------------- RFC 6665 §4.5.2 */

static void sub_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                      const struct sipd_msg *msg)
{
	(void)arg;
	(void)sub;
	(void)st;
	(void)msg;
}

static void sub_notify(void *arg, struct sipd_subscription *sub, const struct sipd_msg *m)
{
	(void)sub;
	(void)m;
	((struct node *)arg)->nnotify++;
}

static void sub_subscribe(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req,
                          struct sipd_sub_answer *ans)
{
	(void)req;
	((struct node *)arg)->sub = sub;
	ans->content_type = "text/plain";
	ans->body = str("open");
}

static const struct sipd_subscription_callbacks sub_cb = {.size = sizeof sub_cb,
                                                          .state = sub_state,
                                                          .notify = sub_notify,
                                                          .subscribe = sub_subscribe};

/* RFC 6665 §4.5.2 (RFC 5057): a subscription within the call's dialog; BYE
 * ends the INVITE session only. Each session gives its usage back and
 * forgets the dialog, which lives on with the subscription: NOTIFYs still
 * flow, and the dialog ends with the subscription. */
static void rfc6665_4_5_2_bye_ends_the_session_not_the_shared_dialog(void **state)
{
	(void)state;
	world(63, 5, 0, 0);
	static const char *contacts[] = {"sip:a@10.0.0.1", "sip:b@10.0.0.2"};
	for (int i = 0; i < 2; i++) {
		struct sipd_subscriptions_config c = {.size = sizeof c,
		                                      .stack = S.nodes[i].st,
		                                      .dialogs = N[i].dialogs,
		                                      .local_contact = str(contacts[i]),
		                                      .events = i ? "presence" : NULL,
		                                      .cb = &sub_cb,
		                                      .arg = &N[i]};
		N[i].set = sipd_subscriptions_create(&c);
		assert_non_null(N[i].set);
	}
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_session_state(N[1].s), SIPD_SESSION_CONFIRMED);
	struct sipd_dialog *d0 = sipd_session_dialog(N[0].s), *d1 = sipd_session_dialog(N[1].s);
	struct sipd_subscribe_opts o = {.size = sizeof o,
	                                .dialog = d0,
	                                .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
	                                .event = "presence",
	                                .expires = 600,
	                                .accept = "text/plain",
	                                .cb = &sub_cb,
	                                .arg = &N[0]};
	struct sipd_subscription *sub;
	assert_int_equal(sipd_subscribe(N[0].set, &o, S.now, &sub), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_int_equal(N[0].nnotify, 1);
	assert_int_equal(sipd_dialog_usages(d0), 2);
	assert_int_equal(sipd_dialog_usages(d1), 2);
	/* BYE: both sessions end, the dialogs stay with one usage each */
	assert_int_equal(sipd_session_bye(N[0].s, NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].end, SIPD_SESSION_END_BYE_LOCAL);
	assert_int_equal(N[1].end, SIPD_SESSION_END_BYE_REMOTE);
	assert_null(sipd_session_dialog(N[0].s));
	assert_null(sipd_session_dialog(N[1].s));
	assert_int_equal(sipd_dialog_state(d0), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_dialog_state(d1), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_dialog_usages(d0), 1);
	assert_int_equal(sipd_dialog_usages(d1), 1);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_ACTIVE);
	assert_ptr_equal(sipd_subscription_dialog(sub), d0);
	/* the subscription goes on in the dialog */
	assert_int_equal(sipd_subscription_notify(N[1].sub, SIPD_SUB_ACTIVE, "text/plain",
	                                          str("away"), S.now),
	                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nnotify, 2);
	/* a freed session leaves the dialog alone */
	sipd_session_free(N[0].s);
	sipd_session_free(N[1].s);
	N[0].s = N[1].s = NULL;
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 1);
	/* and the dialog ends with the subscription */
	assert_int_equal(sipd_subscription_unsubscribe(sub, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_subscription_state(sub), SIPD_SUB_TERMINATED);
	assert_int_equal(sipd_dialogs_count(N[0].dialogs), 0);
	assert_int_equal(sipd_dialogs_count(N[1].dialogs), 0);
	sipd_subscription_free(sub);
	sipd_subscription_free(N[1].sub);
	teardown();
}

/* ---------------------------------------------------------------- smaller rules */

/* §14.2, §8.2.6: the application sends a provisional to a re-INVITE through
 * sipd_session_respond(); the request stays to be answered, and its 2xx
 * goes out after. */
static void rfc3261_14_2_provisional_through_respond_then_final(void **state)
{
	(void)state;
	world(64, 5, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	N[1].hold = 1u << SIPD_METHOD_INVITE;
	assert_int_equal(sipd_session_modify(N[0].s, str(HOLD_SDP), false, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].nheld, 1);
	assert_int_equal(sipd_session_respond(N[1].s, N[1].held[0], 180, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 180"), 2); /* the INVITE's and this one */
	assert_int_equal(sipd_session_respond(N[1].s, N[1].held[0], 200, str(HOLD_ANSWER), S.now),
	                 0);
	/* the request was answered: no second final (asked while its
	 * transaction lives: once the ACK is in, it ends, RFC 6026 §7.1) */
	assert_int_equal(sipd_session_respond(N[1].s, N[1].held[0], 200, SIPD_STR_NULL, S.now),
	                 SIPD_EINVAL);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].nmodified, 1);
	assert_int_equal(N[0].modified[0], 200);
	assert_true(eq(sipd_oa_remote(oa_of(0)), HOLD_ANSWER));
	teardown();
}

/* §8.2, §21.5.4: many requests may wait for the application: 300 INFOs,
 * the first 256 held and each answered; the rest get 503 with Retry-After
 * without reaching the application. */
static void rfc3261_21_5_4_many_requests_waiting(void **state)
{
	(void)state;
	world(65, 5, 0, 0);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	N[1].hold = 1u << SIPD_METHOD_INFO;
	for (int i = 0; i < 300; i++)
		assert_int_equal(sipd_session_request(N[0].s, "INFO", SIPD_STR_NULL, NULL,
		                                      SIPD_STR_NULL, S.now),
		                 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].nheld, 256);
	assert_int_equal(N[0].resp_503, 44);
	for (int i = 0; i < N[1].nheld; i++)
		assert_int_equal(
			sipd_session_respond(N[1].s, N[1].held[i], 200, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].resp_count[2], 256);
	assert_int_equal(sipd_session_state(N[0].s), SIPD_SESSION_CONFIRMED);
	teardown();
}

/* §15.1.2 (and §9.2): the callee rejects its INVITE while an INFO within the
 * early dialog waits for the application: the INFO gets 487. */
static void rfc3261_15_1_2_reject_answers_early_requests_487(void **state)
{
	(void)state;
	world(66, 5, 0, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, "Require: 100rel\r\n", NULL);
	sim_run(&S, S.now + 20);
	/* a reliable 183 with the answer, PRACKed: the early dialog is up */
	assert_int_equal(sipd_session_progress(N[1].s, 183, str(ANSWER_SDP), S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(sim_count(&S, 0, "PRACK"), 1);
	N[1].hold = 1u << SIPD_METHOD_INFO;
	assert_int_equal(
		sipd_session_request(N[0].s, "INFO", SIPD_STR_NULL, NULL, SIPD_STR_NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].nheld, 1);
	assert_int_equal(sipd_session_reject(N[1].s, 486, NULL, S.now), 0);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].resp_last, 487);
	assert_int_equal(N[0].end, SIPD_SESSION_END_REJECTED);
	assert_int_equal(N[1].end, SIPD_SESSION_END_REJECTED);
	teardown();
}

/* RFC 3262 §3: a reliable provisional is resent at the stack's T1 (250 ms
 * here), doubling, and given up with 504 at 64*T1. */
static void rfc3262_3_reliable_provisional_at_the_stacks_t1(void **state)
{
	(void)state;
	world(67, 5, 250, 0);
	N[1].mode = HOLD;
	call(OFFER_SDP, "Require: 100rel\r\n", NULL);
	sim_run(&S, S.now + 10);
	S.links[0][1].cut = true; /* no PRACK arrives */
	assert_int_equal(sipd_session_progress(N[1].s, 183, str(ANSWER_SDP), S.now), 0);
	uint64_t t0 = sim_time_of(&S, 1, "SIP/2.0 183", 0);
	sim_run(&S, t0 + 20000);
	assert_int_equal(sim_time_of(&S, 1, "SIP/2.0 183", 1) - t0, 250);
	assert_int_equal(sim_time_of(&S, 1, "SIP/2.0 183", 2) - t0, 750);
	assert_int_equal(sim_time_of(&S, 1, "SIP/2.0 504", 0) - t0, 16000);
	assert_int_equal(N[1].end, SIPD_SESSION_END_REJECTED);
	teardown();
}

/* §13.3.1.4: the 2xx to the INVITE lists what we allow (the stack's list); a
 * caller that reads it refreshes its session with UPDATE (RFC 4028 §7.4). */
static void rfc3261_13_3_1_4_2xx_carries_allow(void **state)
{
	(void)state;
	static const struct sipd_st_config st = {
		.size = sizeof st, .session_expires = 120, .refresher = SIPD_ST_PREFER_LOCAL};
	world(68, 5, 0, 0);
	N[1].timer = &st;
	call(OFFER_SDP, NULL, &st);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[0].last, SIPD_SESSION_CONFIRMED);
	assert_true(last_is(1, "SIP/2.0 200"));
	assert_non_null(strstr(S.last[1], " INVITE\r\n"));
	assert_non_null(strstr(S.last[1], "\r\nAllow: " ALLOW "\r\n"));
	sim_run(&S, S.now + 61000);
	assert_int_equal(sim_count(&S, 0, "UPDATE"), 1);
	assert_int_equal(sim_count(&S, 0, "INVITE"), 1);
	teardown();
}

/* §21.5.4: sipd_session_uas() answers the INVITE it cannot take: with the
 * dialog table full, 503 with Retry-After (and SIPD_ELIMIT), so the caller
 * is not left waiting. */
static void rfc3261_21_5_4_full_dialog_table_gets_503(void **state)
{
	(void)state;
	world(69, 5, 0, 1);
	call(OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	assert_int_equal(sipd_session_state(N[1].s), SIPD_SESSION_CONFIRMED);
	N[0].s2 = call_from("call-2", OFFER_SDP, NULL, NULL);
	sim_run(&S, S.now + 100);
	assert_int_equal(N[1].uas_rc, SIPD_ELIMIT);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 503"), 1);
	assert_true(last_is(1, "SIP/2.0 503"));
	assert_non_null(strstr(S.last[1], "\r\nRetry-After: "));
	assert_int_equal(sipd_session_state(N[0].s2), SIPD_SESSION_TERMINATED);
	assert_int_equal(sipd_session_end_reason(N[0].s2), SIPD_SESSION_END_REJECTED);
	teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_15_callee_ends_early_dialog_with_final_response),
		cmocka_unit_test(rfc3311_1_early_update_leaves_the_dialog_early),
		cmocka_unit_test(rfc3261_9_1_caller_cancels_invite_when_early_dialog_byed),
		cmocka_unit_test(rfc3311_5_2_refresh_by_update_gets_2xx_without_offer),
		cmocka_unit_test(rfc3311_5_2_491_only_for_update_with_offer),
		cmocka_unit_test(rfc6026_8_10_reinvite_2xx_retransmission_acked_again),
		cmocka_unit_test(rfc3261_14_1_2xx_of_earlier_reinvite_is_not_the_update_answer),
		cmocka_unit_test(rfc6337_3_1_1_description_repeated_in_2xx_is_no_offer),
		cmocka_unit_test(rfc3891_3_replace_early_uac_ends_replaced),
		cmocka_unit_test(rfc3891_3_replace_early_uac_crossing_2xx),
		cmocka_unit_test(rfc3261_15_free_uac_before_any_response),
		cmocka_unit_test(rfc3261_9_1_free_uac_after_provisional_cancels),
		cmocka_unit_test(rfc3261_13_2_2_4_free_uac_after_provisional_2xx_acked),
		cmocka_unit_test(rfc3262_3_first_rseq_uniform_from_raw_bytes),
		cmocka_unit_test(rfc3261_14_1_glare_delay_in_10ms_steps_from_raw_bytes),
		cmocka_unit_test(rfc3261_14_2_retry_after_from_raw_bytes),
		cmocka_unit_test(rfc6665_4_5_2_bye_ends_the_session_not_the_shared_dialog),
		cmocka_unit_test(rfc3261_14_2_provisional_through_respond_then_final),
		cmocka_unit_test(rfc3261_21_5_4_many_requests_waiting),
		cmocka_unit_test(rfc3261_15_1_2_reject_answers_early_requests_487),
		cmocka_unit_test(rfc3262_3_reliable_provisional_at_the_stacks_t1),
		cmocka_unit_test(rfc3261_13_3_1_4_2xx_carries_allow),
		cmocka_unit_test(rfc3261_21_5_4_full_dialog_table_gets_503),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
