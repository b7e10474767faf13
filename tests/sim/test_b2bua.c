/* The back-to-back user agent (src/app/b2bua.c) through the simulator: node 0
 * is the caller (a UAC session), node 1 the b2bua (wired as tools/cmd_b2bua.c
 * wires it), node 2 the callee (a UAS session). The basic call with its
 * descriptions rewritten both ways and BYE relayed once, BYE from the callee
 * with its Reason, failures relayed (486, 407 as 403, Timer B as 408), CANCEL
 * with its Reason and the 2xx that crosses it, re-INVITE / UPDATE / INFO
 * relayed with their answers, glare across the b2bua, and many calls over
 * lossy links that must all end everywhere without leaving anything behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/b2bua.h>
#include <sipdialog/session.h>

#include "sim.h"

enum { NODE_A = 0, NODE_B2B = 1, NODE_C = 2 };

#define MAX_CALLS 24

/* A description with a recognisable origin line (RFC 4566 §5.2). The b2bua's
 * rewrite hook below puts "b2b-a" or "b2b-b" in place of the user name, so a
 * description that crossed it shows which way it went. */
#define SDP(user, ver, ip, port, attr)                                                       \
	"v=0\r\no=" user " 1 " ver " IN IP4 " ip "\r\ns=-\r\nc=IN IP4 " ip "\r\nt=0 0\r\n" \
	"m=audio " port " RTP/AVP 0\r\n" attr

#define OFFER SDP("alice", "1", "10.0.0.1", "5000", "")
#define OFFER_X SDP("b2b-a", "1", "10.0.0.1", "5000", "")
#define ANSWER SDP("carol", "1", "10.0.0.3", "4000", "")
#define ANSWER_X SDP("b2b-b", "1", "10.0.0.3", "4000", "")
#define OFFER2 SDP("alice", "2", "10.0.0.1", "5000", "a=sendonly\r\n")
#define OFFER2_X SDP("b2b-a", "2", "10.0.0.1", "5000", "a=sendonly\r\n")
#define ANSWER2 SDP("carol", "2", "10.0.0.3", "4000", "a=recvonly\r\n")
#define ANSWER2_X SDP("b2b-b", "2", "10.0.0.3", "4000", "a=recvonly\r\n")
#define OFFER3 SDP("alice", "3", "10.0.0.1", "5002", "")
#define OFFER3_X SDP("b2b-a", "3", "10.0.0.1", "5002", "")
#define ANSWER3 SDP("carol", "3", "10.0.0.3", "4002", "")
#define ANSWER3_X SDP("b2b-b", "3", "10.0.0.3", "4002", "")
/* the callee's own offer, and the caller's answer to it */
#define C_OFFER SDP("carol", "4", "10.0.0.3", "4004", "a=inactive\r\n")
#define C_OFFER_X SDP("b2b-b", "4", "10.0.0.3", "4004", "a=inactive\r\n")
#define A_ANSWER SDP("alice", "4", "10.0.0.1", "5004", "a=inactive\r\n")
#define A_ANSWER_X SDP("b2b-a", "4", "10.0.0.1", "5004", "a=inactive\r\n")

static struct sipd_str S(const char *lit)
{
	return (struct sipd_str){lit, strlen(lit)};
}

static bool eq(struct sipd_str s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

static void copy_str(char *dst, size_t cap, struct sipd_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = 0;
}

static void copy_hdr(char *dst, size_t cap, const struct sipd_hdr *h)
{
	copy_str(dst, cap, h ? h->value : SIPD_STR_NULL);
}

static void fake_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x3c, len);
}

static struct sipd_dialogs *new_table(void)
{
	static const struct sipd_dialogs_callbacks cb = {.size = sizeof cb};
	struct sipd_dialogs_config c = {.size = sizeof c, .cb = &cb, .random = fake_random};
	return sipd_dialogs_create(&c);
}

/* ---------------------------------------------------------------- the end points */

struct ua;

/* One session of the caller or the callee and what its application saw. */
struct leg {
	struct ua *ua; /* the node it is on */
	struct sipd_session *s;
	int nstates, nterminated;
	enum sipd_session_state last;
	enum sipd_session_end end;
	unsigned end_status;     /* the final response that ended it */
	char end_reason[128];    /* the Reason of the BYE that ended it */
	unsigned prov[8];
	int nprov;
	unsigned modified[16];
	int nmodified;
	char modified_body[256]; /* the last 2xx's description */
	unsigned responses[8];
	int nresponses;
	int nreinvites, nupdates, ninfos;
	char offer_in[256];      /* the last offer received (INVITE, re-INVITE, UPDATE) */
	char info_package[64], info_type[64], info_body[128];
	/* the callee's INVITE as it arrived */
	char call_id[64], from_tag[32], from_display[32], from_uri[64], to_uri[64], subject[64];
	int max_forwards;
	bool had_pai;
	char cancel_reason[128];
};

struct ua {
	struct sipd_session_env env;
	struct leg legs[MAX_CALLS];
	int nlegs;
	const char *reanswer; /* the answer to a re-INVITE or UPDATE (NULL: the default) */
	unsigned info_code;   /* the answer to an INFO */
};

static struct ua caller, callee;

/* How the callee answers a new INVITE. */
enum callee_mode {
	ANSWER_NOW, /* 180, then 200 with ANSWER */
	RING,       /* 180 only: the test answers */
	REFUSE,     /* a final failure from the core, without a session (a
	               challenge, as a proxy in front of the callee would send) */
};
static enum callee_mode callee_mode;
static unsigned refuse_code;
static const char *refuse_hdrs;

static void leg_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                      enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)s;
	struct leg *l = arg;
	l->nstates++;
	l->last = st;
	if (st != SIPD_SESSION_TERMINATED)
		return;
	l->nterminated++;
	l->end = why;
	if (msg && msg->is_request)
		copy_hdr(l->end_reason, sizeof l->end_reason, sipd_msg_find(msg, SIPD_HDR_REASON));
	else if (msg)
		l->end_status = msg->status;
}

static void leg_provisional(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	struct leg *l = arg;
	if (l->nprov < 8)
		l->prov[l->nprov++] = resp->status;
}

static void leg_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	struct leg *l = arg;
	if (l->nmodified < 16)
		l->modified[l->nmodified++] = resp ? resp->status : 0;
	if (resp && resp->status < 300)
		copy_str(l->modified_body, sizeof l->modified_body, resp->body);
}

static void leg_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	struct leg *l = arg;
	if (l->nresponses < 8)
		l->responses[l->nresponses++] = resp ? resp->status : 0;
}

static int leg_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                       const struct sipd_msg *req)
{
	struct leg *l = arg;
	struct ua *u = l->ua;
	uint64_t now = sipd_stack_now(u->env.stack);
	switch (req->method) {
	case SIPD_METHOD_INVITE:
	case SIPD_METHOD_UPDATE:
		*(req->method == SIPD_METHOD_INVITE ? &l->nreinvites : &l->nupdates) += 1;
		copy_str(l->offer_in, sizeof l->offer_in, req->body);
		if (!u->reanswer || !req->body.len)
			return -1;
		assert_int_equal(sipd_session_respond(s, tx, 200, S(u->reanswer), now), 0);
		return 0;
	case SIPD_METHOD_INFO:
		l->ninfos++;
		copy_hdr(l->info_package, sizeof l->info_package,
		         sipd_msg_find_name(req, "Info-Package"));
		copy_hdr(l->info_type, sizeof l->info_type,
		         sipd_msg_find(req, SIPD_HDR_CONTENT_TYPE));
		copy_str(l->info_body, sizeof l->info_body, req->body);
		assert_int_equal(sipd_session_respond(s, tx, u->info_code, SIPD_STR_NULL, now), 0);
		return 0;
	default:
		return -1;
	}
}

static const struct sipd_session_callbacks leg_cb = {
	.size = sizeof leg_cb,
	.state = leg_state,
	.request = leg_request,
	.modified = leg_modified,
	.response = leg_response,
	.provisional = leg_provisional,
};

/* node 0: requests within its sessions */
static int caller_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)node;
	struct sipd_flow from = sim_flow(sim, NODE_A, NODE_B2B, SIPD_TP_UDP);
	return sipd_sessions_request(&caller.env, tx, m, &from);
}

static void caller_done(struct sim *sim, int node, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	(void)node;
	sipd_sessions_server_done(&caller.env, tx, timeout);
}

/* The caller's INVITE (call i), with a header the b2bua copies (Subject)
 * and one it must not (P-Asserted-Identity: identity, RFC 3325). */
static struct leg *start_call(struct sim *sim, int i)
{
	static char hdrs[512];
	snprintf(hdrs, sizeof hdrs,
	         "From: \"Alice\" <sip:alice@10.0.0.1>;tag=alice-%d\r\n"
	         "To: <sip:carol@10.0.0.2>\r\nCall-ID: call-a-%d\r\nCSeq: 1 INVITE\r\n"
	         "Max-Forwards: 70\r\nContact: <sip:alice@10.0.0.1>\r\nSubject: call %d\r\n"
	         "P-Asserted-Identity: <sip:alice@trusted.example>\r\n",
	         i, i, i);
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"INVITE", 6},
	                         .uri = S("sip:carol@10.0.0.2"),
	                         .headers = {hdrs, strlen(hdrs)},
	                         .content_type = "application/sdp",
	                         .body = S(OFFER),
	                         .flow = sim_flow(sim, NODE_A, NODE_B2B, SIPD_TP_UDP)};
	struct leg *l = &caller.legs[i];
	memset(l, 0, sizeof *l);
	l->ua = &caller;
	struct sipd_session_opts o = {.size = sizeof o,
	                              .dialog = {.size = sizeof o.dialog,
	                                         .local_contact = S("sip:alice@10.0.0.1")},
	                              .cb = &leg_cb,
	                              .arg = l};
	assert_int_equal(sipd_session_uac(&caller.env, &r, &o, sim->now, &l->s), 0);
	if (i >= caller.nlegs)
		caller.nlegs = i + 1;
	return l;
}

/* node 2: new INVITEs per callee_mode, requests within its sessions */
static int callee_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)node;
	struct sipd_flow from = sim_flow(sim, NODE_C, NODE_B2B, SIPD_TP_UDP);
	if (m->to.tag.len || m->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&callee.env, tx, m, &from);
	if (m->method != SIPD_METHOD_INVITE)
		return -1;
	assert_true(callee.nlegs < MAX_CALLS);
	struct leg *l = &callee.legs[callee.nlegs++];
	memset(l, 0, sizeof *l);
	l->ua = &callee;
	copy_str(l->call_id, sizeof l->call_id, m->call_id);
	copy_str(l->from_tag, sizeof l->from_tag, m->from.tag);
	copy_str(l->from_display, sizeof l->from_display, m->from.display);
	copy_str(l->from_uri, sizeof l->from_uri, m->from.uri.raw);
	copy_str(l->to_uri, sizeof l->to_uri, m->to.uri.raw);
	copy_hdr(l->subject, sizeof l->subject, sipd_msg_find(m, SIPD_HDR_SUBJECT));
	l->had_pai = sipd_msg_find_name(m, "P-Asserted-Identity") != NULL;
	l->max_forwards = m->max_forwards;
	copy_str(l->offer_in, sizeof l->offer_in, m->body);
	if (callee_mode == REFUSE) {
		struct sipd_response r = {.size = sizeof r,
		                          .code = refuse_code,
		                          .to_tag = S("refusing"),
		                          .headers = S(refuse_hdrs ? refuse_hdrs : "")};
		assert_int_equal(sipd_txn_respond(tx, &r, sim->now), 0);
		return 0;
	}
	struct sipd_session_opts o = {.size = sizeof o,
	                              .dialog = {.size = sizeof o.dialog,
	                                         .local_contact = S("sip:carol@10.0.0.3")},
	                              .cb = &leg_cb,
	                              .arg = l,
	                              .rel_policy = SIPD_REL_SUPPORTED};
	assert_int_equal(sipd_session_uas(&callee.env, tx, &from, &o, sim->now, &l->s), 0);
	assert_int_equal(sipd_session_progress(l->s, 180, SIPD_STR_NULL, sim->now), 0);
	if (callee_mode == ANSWER_NOW)
		assert_int_equal(sipd_session_accept(l->s, S(ANSWER), sim->now), 0);
	return 0;
}

static void callee_cancel(struct sim *sim, int node, struct sipd_txn *inv, const struct sipd_msg *c)
{
	(void)node;
	struct sipd_session *s = sipd_txn_user(inv);
	if (!s)
		return;
	struct leg *l = sipd_session_arg(s);
	copy_hdr(l->cancel_reason, sizeof l->cancel_reason, sipd_msg_find(c, SIPD_HDR_REASON));
	sipd_session_cancelled(s, sim->now);
}

static void callee_done(struct sim *sim, int node, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	(void)node;
	sipd_sessions_server_done(&callee.env, tx, timeout);
}

/* ---------------------------------------------------------------- the b2bua */

struct bcall {
	struct sipd_b2bua *b;
	int nended;
	int rewrites[2]; /* descriptions rewritten, by the leg they came from */
	enum sipd_session_state leg_last[2];
};

static struct {
	struct sipd_session_env env;
	struct bcall calls[MAX_CALLS];
	int ncalls, created, ended;
} mid;

/* Marks a description as having crossed from `from`: the user name of its
 * origin line becomes b2b-a or b2b-b. */
static long rewrite(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg from, struct sipd_str sdp,
                    char *out, size_t cap)
{
	struct bcall *c = arg;
	assert_ptr_equal(sipd_b2bua_arg(b), c);
	c->rewrites[from]++;
	const char *o = NULL;
	for (size_t i = 0; i + 2 < sdp.len; i++)
		if ((i == 0 || sdp.p[i - 1] == '\n') && sdp.p[i] == 'o' && sdp.p[i + 1] == '=') {
			o = sdp.p + i + 2;
			break;
		}
	if (!o)
		return -1;
	const char *sp = memchr(o, ' ', sdp.len - (size_t)(o - sdp.p));
	if (!sp)
		return -1;
	const char *mark = from == SIPD_B2BUA_A ? "b2b-a" : "b2b-b";
	size_t head = (size_t)(o - sdp.p), tail = sdp.len - (size_t)(sp - sdp.p);
	if (head + strlen(mark) + tail > cap)
		return -1;
	memcpy(out, sdp.p, head);
	memcpy(out + head, mark, strlen(mark));
	memcpy(out + head + strlen(mark), sp, tail);
	return (long)(head + strlen(mark) + tail);
}

static void b_leg_state(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
                        enum sipd_session_state st, enum sipd_session_end why)
{
	(void)b;
	(void)why;
	struct bcall *c = arg;
	c->leg_last[leg] = st;
}

static void b_ended(void *arg, struct sipd_b2bua *b)
{
	struct bcall *c = arg;
	assert_ptr_equal(c->b, b);
	c->nended++;
	c->b = NULL;
	mid.ended++;
}

static const struct sipd_b2bua_callbacks b_cb = {
	.size = sizeof b_cb, .rewrite = rewrite, .leg_state = b_leg_state, .ended = b_ended};
/* and without the rewrite hook: descriptions relayed unchanged */
static const struct sipd_b2bua_callbacks b_cb_plain = {
	.size = sizeof b_cb_plain, .leg_state = b_leg_state, .ended = b_ended};
static bool plain;

/* As tools/cmd_b2bua.c: in-dialog requests to the sessions, a new INVITE
 * makes a b2bua towards the callee. */
static int b2b_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)node;
	struct sipd_flow from = sim_flow(sim, NODE_B2B, NODE_A, SIPD_TP_UDP);
	if (m->to.tag.len || m->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&mid.env, tx, m, &from);
	if (m->method != SIPD_METHOD_INVITE)
		return -1;
	assert_true(mid.ncalls < MAX_CALLS);
	struct bcall *c = &mid.calls[mid.ncalls++];
	memset(c, 0, sizeof *c);
	struct sipd_b2bua_opts o = {.size = sizeof o,
	                            .target = S("sip:carol@10.0.0.3"),
	                            .flow = sim_flow(sim, NODE_B2B, NODE_C, SIPD_TP_UDP),
	                            .a_contact = S("sip:b2bua@10.0.0.2"),
	                            .b_contact = S("sip:b2bua@10.0.0.2"),
	                            .rel_policy = SIPD_REL_SUPPORTED,
	                            .cb = plain ? &b_cb_plain : &b_cb,
	                            .arg = c};
	if (sipd_b2bua_create(&mid.env, tx, &from, &o, sim->now, &c->b) == 0)
		mid.created++;
	return 0;
}

static void b2b_cancel(struct sim *sim, int node, struct sipd_txn *inv, const struct sipd_msg *c)
{
	(void)node;
	struct sipd_b2bua *b = sipd_b2bua_of_invite(inv);
	if (b)
		sipd_b2bua_cancelled(b, c, sim->now);
}

static void b2b_done(struct sim *sim, int node, struct sipd_txn *tx, bool timeout)
{
	(void)sim;
	(void)node;
	sipd_sessions_server_done(&mid.env, tx, timeout);
}

static void allow_more(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE, REFER, PRACK";
	cfg->supported = "100rel";
	cfg->accept = "application/sdp, application/dtmf-relay"; /* INFO's body, §8.2.3 */
}

static void as_b2bua(struct sipd_stack_config *cfg)
{
	allow_more(cfg);
	cfg->forwarding = true;
}

/* ---------------------------------------------------------------- set up, tear down */

static void setup(struct sim *sim, uint64_t seed, enum callee_mode mode)
{
	sim_init(sim, seed);
	sim->trace = getenv("SIM_TRACE") != NULL;
	struct sim_app a = {.request = caller_request, .server_done = caller_done};
	struct sim_app m = {.request = b2b_request, .cancel = b2b_cancel, .server_done = b2b_done};
	struct sim_app c = {.request = callee_request, .cancel = callee_cancel,
	                    .server_done = callee_done};
	assert_int_equal(sim_add_node(sim, &a, allow_more), NODE_A);
	assert_int_equal(sim_add_node(sim, &m, as_b2bua), NODE_B2B);
	assert_int_equal(sim_add_node(sim, &c, allow_more), NODE_C);
	memset(&caller, 0, sizeof caller);
	memset(&callee, 0, sizeof callee);
	memset(&mid, 0, sizeof mid);
	caller.env = (struct sipd_session_env){.size = sizeof caller.env,
	                                       .stack = sim->nodes[NODE_A].st,
	                                       .dialogs = new_table()};
	callee.env = (struct sipd_session_env){.size = sizeof callee.env,
	                                       .stack = sim->nodes[NODE_C].st,
	                                       .dialogs = new_table()};
	mid.env = (struct sipd_session_env){.size = sizeof mid.env,
	                                    .stack = sim->nodes[NODE_B2B].st,
	                                    .dialogs = new_table()};
	caller.info_code = callee.info_code = 200;
	callee_mode = mode;
	refuse_code = 0;
	refuse_hdrs = NULL;
	plain = false;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			sim->links[i][j].delay_ms = 5;
}

static void free_legs(struct ua *u)
{
	for (int i = 0; i < u->nlegs; i++) {
		sipd_session_free(u->legs[i].s);
		u->legs[i].s = NULL;
	}
}

/* Runs the world dry, then checks that nothing is left: every b2bua ended
 * (and freed itself), and once the end points' sessions are freed, no dialog
 * and no transaction on any node (ASan checks the memory). */
static void teardown(struct sim *sim)
{
	sim_run(sim, UINT64_MAX);
	for (int i = 0; i < mid.ncalls; i++)
		assert_null(mid.calls[i].b);
	free_legs(&caller);
	free_legs(&callee);
	sim_run(sim, UINT64_MAX);
	assert_int_equal(sipd_dialogs_count(caller.env.dialogs), 0);
	assert_int_equal(sipd_dialogs_count(mid.env.dialogs), 0);
	assert_int_equal(sipd_dialogs_count(callee.env.dialogs), 0);
	for (int i = 0; i < 3; i++) {
		struct sipd_stack_stats st;
		sipd_stack_stats(sim->nodes[i].st, &st);
		assert_int_equal(st.client_txns, 0);
		assert_int_equal(st.server_txns, 0);
	}
	sipd_dialogs_destroy(caller.env.dialogs);
	sipd_dialogs_destroy(mid.env.dialogs);
	sipd_dialogs_destroy(callee.env.dialogs);
	sim_free(sim);
}

/* A call up on every leg, A -> b2bua -> C. */
static void connect_call(struct sim *sim)
{
	start_call(sim, 0);
	sim_run(sim, sim->now + 200);
	assert_int_equal(caller.legs[0].last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(callee.nlegs, 1);
	assert_int_equal(callee.legs[0].last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(mid.calls[0].leg_last[SIPD_B2BUA_A], SIPD_SESSION_CONFIRMED);
	assert_int_equal(mid.calls[0].leg_last[SIPD_B2BUA_B], SIPD_SESSION_CONFIRMED);
}

/* ---------------------------------------------------------------- the tests */

/* RFC 3261 §6 / §13, RFC 7092 §3.1: the b2bua answers A as a UAS and calls C as
 * a UAC; the B leg is a dialog of its own (its Call-ID and tags, §8.1.1.4,
 * §19.3), keeps the caller's From URI, and carries Max-Forwards one less
 * (§16.6 step 3). The 180 and the 200 with C's answer come back to A (the
 * answer through the rewrite hook, and the offer through it the other way),
 * each leg is ACKed (§13.2.2.4), and A's BYE ends the B leg with exactly one
 * BYE (§15.1.1); `ended` comes once. */
static void rfc3261_13_basic_call_relayed_then_bye_from_a(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 101, ANSWER_NOW);
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	struct bcall *m = &mid.calls[0];
	/* INVITE one way on each leg, 180 back on each */
	assert_int_equal(sim_count_to(&sim, NODE_A, NODE_B2B, "INVITE "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "INVITE "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "SIP/2.0 180"), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "SIP/2.0 180"), 1);
	assert_int_equal(a->nprov, 1);
	assert_int_equal(a->prov[0], 180);
	/* the descriptions crossed once each way, rewritten */
	assert_int_equal(m->rewrites[SIPD_B2BUA_A], 1);
	assert_int_equal(m->rewrites[SIPD_B2BUA_B], 1);
	assert_string_equal(c->offer_in, OFFER_X);
	assert_true(eq(sipd_oa_remote(sipd_session_oa(c->s)), OFFER_X));
	assert_true(eq(sipd_oa_remote(sipd_session_oa(a->s)), ANSWER_X));
	assert_true(eq(sipd_oa_local(sipd_session_oa(a->s)), OFFER));
	/* one 2xx and one ACK on each leg */
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "SIP/2.0 200"), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "SIP/2.0 200"), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "ACK "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_A, NODE_B2B, "ACK "), 1);
	/* the B leg: its own Call-ID and tags; A's From URI; Max-Forwards 69 */
	struct sipd_dialog *ad = sipd_session_dialog(a->s);
	struct sipd_dialog *cd = sipd_session_dialog(c->s);
	assert_string_not_equal(c->call_id, "call-a-0");
	assert_true(c->call_id[0] != 0);
	assert_true(eq(sipd_dialog_call_id(ad), "call-a-0"));
	assert_string_not_equal(c->from_tag, "alice-0");
	assert_true(c->from_tag[0] != 0);
	struct sipd_str a_to_tag = sipd_dialog_remote_tag(ad); /* the b2bua's on the A leg */
	struct sipd_str c_to_tag = sipd_dialog_local_tag(cd);  /* the callee's on the B leg */
	assert_true(a_to_tag.len > 0 && c_to_tag.len > 0);
	assert_false(a_to_tag.len == c_to_tag.len && !memcmp(a_to_tag.p, c_to_tag.p, a_to_tag.len));
	assert_string_equal(c->from_uri, "sip:alice@10.0.0.1");
	assert_string_equal(c->from_display, "Alice");
	assert_string_equal(c->to_uri, "sip:carol@10.0.0.3");
	assert_int_equal(c->max_forwards, 69);
	/* an end-to-end header is copied; an asserted identity is not (RFC 3325 §5) */
	assert_string_equal(c->subject, "call 0");
	assert_false(c->had_pai);
	/* BYE from A: one BYE on the B leg, every session over, `ended` once */
	sim_clear_log(&sim);
	assert_int_equal(sipd_session_bye(a->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(sim_count_to(&sim, NODE_A, NODE_B2B, "BYE "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "BYE "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "BYE "), 0);
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "SIP/2.0 200"), 1);
	assert_int_equal(a->end, SIPD_SESSION_END_BYE_LOCAL);
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(a->nterminated, 1);
	assert_int_equal(c->nterminated, 1);
	assert_int_equal(m->nended, 1);
	assert_null(m->b);
	sim_run(&sim, sim.now + 60000);
	assert_int_equal(m->nended, 1);
	assert_int_equal(sim_count(&sim, NODE_B2B, "BYE "), 1);
	teardown(&sim);
}

/* RFC 3261 §15.1.2 and RFC 3326 §2: C's BYE ends the B leg, and the b2bua
 * ends the A leg with a BYE that carries C's Reason on. */
static void rfc3326_bye_from_c_ends_a_with_its_reason(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 102, ANSWER_NOW);
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	sim_clear_log(&sim);
	assert_int_equal(sipd_session_bye(c->s, "Q.850;cause=16;text=\"Normal call clearing\"",
	                                  sim.now),
	                 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "BYE "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "BYE "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "BYE "), 0);
	assert_int_equal(a->end, SIPD_SESSION_END_BYE_REMOTE);
	assert_string_equal(a->end_reason, "Q.850;cause=16;text=\"Normal call clearing\"");
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_LOCAL);
	assert_int_equal(mid.calls[0].nended, 1);
	teardown(&sim);
}

/* Descriptions relayed unchanged are shared between the legs, not copied:
 * the A leg's remote offer is the B leg's local one, the B leg's remote
 * answer the A leg's local one. The B leg ends first (C's BYE), the A leg
 * after: ASan checks that neither frees what the other still holds. */
static void b2bua_legs_share_relayed_descriptions(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 103, ANSWER_NOW);
	plain = true;
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	const struct sipd_oa *ma = sipd_session_oa(sipd_b2bua_leg(mid.calls[0].b, SIPD_B2BUA_A));
	const struct sipd_oa *mb = sipd_session_oa(sipd_b2bua_leg(mid.calls[0].b, SIPD_B2BUA_B));
	assert_true(eq(sipd_oa_remote(ma), OFFER));
	assert_ptr_equal(sipd_oa_remote(ma).p, sipd_oa_local(mb).p);
	assert_ptr_equal(sipd_oa_local(ma).p, sipd_oa_remote(mb).p);
	/* what each end holds came through unchanged */
	assert_true(eq(sipd_oa_remote(sipd_session_oa(c->s)), OFFER));
	assert_true(eq(sipd_oa_remote(sipd_session_oa(a->s)), ANSWER));
	assert_true(eq(sipd_oa_local(ma), ANSWER));
	assert_int_equal(sipd_session_bye(c->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(a->end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(mid.calls[0].nended, 1);
	teardown(&sim);
}

/* RFC 3261 §16.7 step 6 as a b2bua applies it, §8.1.3.1, §22.3: C's failure
 * reaches A with the same code (486); a challenge is the b2bua's to answer,
 * not the caller's (its credentials would not be C's), so 407 becomes 403;
 * and with no answer from C at all, the B leg's Timer B (64*T1) makes it 408
 * for A. */
static void rfc3261_16_7_failures_relayed(void **state)
{
	(void)state;
	static const struct {
		unsigned code, relayed;
		const char *hdrs;
	} cases[] = {
		{486, 486, NULL},
		{407, 403, "Proxy-Authenticate: Digest realm=\"c.example\", nonce=\"n0nce\"\r\n"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct sim sim;
		setup(&sim, 103 + k, REFUSE);
		refuse_code = cases[k].code;
		refuse_hdrs = cases[k].hdrs;
		struct leg *a = start_call(&sim, 0);
		sim_run(&sim, sim.now + 200);
		assert_int_equal(a->last, SIPD_SESSION_TERMINATED);
		assert_int_equal(a->end, SIPD_SESSION_END_REJECTED);
		assert_int_equal(a->end_status, cases[k].relayed);
		/* the challenge stays on the B leg */
		if (cases[k].hdrs)
			assert_null(strstr(sim.last[NODE_B2B], "Proxy-Authenticate"));
		/* each failure ACKed on its own leg (§17.1.1.3) */
		assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "ACK "), 1);
		assert_int_equal(sim_count_to(&sim, NODE_A, NODE_B2B, "ACK "), 1);
		assert_int_equal(mid.calls[0].nended, 1);
		teardown(&sim);
	}

	/* C never answers: everything it sends is lost */
	struct sim sim;
	setup(&sim, 105, RING);
	sim.links[NODE_C][NODE_B2B].cut = true;
	struct leg *a = start_call(&sim, 0);
	sim_run(&sim, sim.now + 100);
	uint64_t t0 = sim_time_of(&sim, NODE_B2B, "INVITE ", 0);
	assert_int_equal(a->last, SIPD_SESSION_INITIAL); /* only the 100 Trying so far */
	sim_run(&sim, t0 + 40000);
	assert_int_equal(a->last, SIPD_SESSION_TERMINATED);
	assert_int_equal(a->end_status, 408);
	assert_int_equal(sim_time_of(&sim, NODE_B2B, "SIP/2.0 408", 0) - t0, 64 * 500);
	assert_int_equal(mid.calls[0].nended, 1);
	/* the callee's INVITE was never answered: it gives up here */
	sim.links[NODE_C][NODE_B2B].cut = false;
	assert_int_equal(sipd_session_reject(callee.legs[0].s, 480, NULL, sim.now), 0);
	teardown(&sim);
}

/* RFC 3261 §9.1-9.2 and RFC 3326: A's CANCEL while C rings: A gets 487 for its
 * INVITE, the B leg is CANCELed with A's Reason carried on, and C's INVITE
 * ends with 487. */
static void rfc3326_cancel_relayed_with_reason(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 106, RING);
	struct leg *a = start_call(&sim, 0);
	sim_run(&sim, sim.now + 100);
	struct leg *c = &callee.legs[0];
	assert_int_equal(c->last, SIPD_SESSION_EARLY);
	assert_int_equal(a->last, SIPD_SESSION_EARLY);
	static const char reason[] = "SIP;cause=600;text=\"Busy Everywhere\"";
	assert_int_equal(sipd_session_cancel(a->s, reason, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(sim_count_to(&sim, NODE_A, NODE_B2B, "CANCEL "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "CANCEL "), 1);
	assert_string_equal(c->cancel_reason, reason);
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "SIP/2.0 487"), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "SIP/2.0 487"), 1);
	assert_int_equal(a->end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(a->end_status, 487);
	assert_int_equal(c->end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(mid.calls[0].nended, 1);
	teardown(&sim);
}

/* RFC 3261 §9.1, §13.2.2.4, §15: C's 2xx crosses the b2bua's CANCEL. The 2xx
 * wins on the B leg (C's CANCEL changes nothing, §9.2), so the b2bua ACKs
 * it and ends the leg with one BYE; A, whose INVITE was cancelled before,
 * still ends with 487. */
static void rfc3261_9_1_cancel_crossing_2xx_on_b_leg(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 107, RING);
	sim.links[NODE_B2B][NODE_C].delay_ms = 50;
	sim.links[NODE_C][NODE_B2B].delay_ms = 50;
	struct leg *a = start_call(&sim, 0);
	sim_run(&sim, sim.now + 200);
	struct leg *c = &callee.legs[0];
	assert_int_equal(a->last, SIPD_SESSION_EARLY);
	/* A cancels: the CANCEL reaches the b2bua at +5 and C at +55; C answers
	 * at +20, its 2xx reaches the b2bua at +70 */
	assert_int_equal(sipd_session_cancel(a->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 20);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "CANCEL "), 1);
	assert_int_equal(a->end_status, 487);
	assert_int_equal(sipd_session_accept(c->s, S(ANSWER), sim.now), 0);
	sim_run(&sim, sim.now + 1000);
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "SIP/2.0 487"), 0);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "ACK "), 1);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "BYE "), 1);
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(a->end, SIPD_SESSION_END_CANCELLED);
	assert_int_equal(a->end_status, 487);
	assert_int_equal(a->nterminated, 1);
	/* A heard nothing more: no 2xx to its INVITE (the one 200 is its
	 * CANCEL's), no BYE; its session went EARLY, then TERMINATED */
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "SIP/2.0 200"), 1);
	assert_int_equal(a->nstates, 2);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "BYE "), 0);
	assert_int_equal(mid.calls[0].nended, 1);
	teardown(&sim);
}

/* RFC 3261 §14, RFC 3311 §5, RFC 6086 §4: a re-INVITE and an UPDATE from A
 * reach C with A's new offer and come back with C's answer (both rewritten);
 * the same from C to A; INFO with its Info-Package and body goes across
 * either way, and C's final response (200, or 469 Bad Info Package) is the
 * one A gets. */
static void rfc3261_14_reinvite_update_info_relayed(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 108, ANSWER_NOW);
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	struct bcall *m = &mid.calls[0];
	/* re-INVITE from A */
	callee.reanswer = ANSWER2;
	assert_int_equal(sipd_session_modify(a->s, S(OFFER2), false, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->nreinvites, 1);
	assert_string_equal(c->offer_in, OFFER2_X);
	assert_int_equal(a->nmodified, 1);
	assert_int_equal(a->modified[0], 200);
	assert_string_equal(a->modified_body, ANSWER2_X);
	assert_true(eq(sipd_oa_remote(sipd_session_oa(a->s)), ANSWER2_X));
	assert_true(eq(sipd_oa_remote(sipd_session_oa(c->s)), OFFER2_X));
	assert_true(eq(sipd_oa_local(sipd_session_oa(c->s)), ANSWER2));
	assert_int_equal(sim_count_to(&sim, NODE_A, NODE_B2B, "ACK "), 2);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "ACK "), 2);
	/* UPDATE from A */
	callee.reanswer = ANSWER3;
	assert_int_equal(sipd_session_modify(a->s, S(OFFER3), true, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "UPDATE "), 1);
	assert_int_equal(c->nupdates, 1);
	assert_string_equal(c->offer_in, OFFER3_X);
	assert_int_equal(a->nmodified, 2);
	assert_int_equal(a->modified[1], 200);
	assert_true(eq(sipd_oa_remote(sipd_session_oa(a->s)), ANSWER3_X));
	assert_true(eq(sipd_oa_remote(sipd_session_oa(c->s)), OFFER3_X));
	/* re-INVITE and UPDATE from C: A answers */
	caller.reanswer = A_ANSWER;
	assert_int_equal(sipd_session_modify(c->s, S(C_OFFER), false, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(a->nreinvites, 1);
	assert_string_equal(a->offer_in, C_OFFER_X);
	assert_int_equal(c->nmodified, 1);
	assert_int_equal(c->modified[0], 200);
	assert_true(eq(sipd_oa_remote(sipd_session_oa(c->s)), A_ANSWER_X));
	assert_int_equal(sipd_session_modify(c->s, S(C_OFFER), true, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(a->nupdates, 1);
	assert_int_equal(c->nmodified, 2);
	assert_int_equal(c->modified[1], 200);
	assert_int_equal(m->rewrites[SIPD_B2BUA_A], 1 + 2 + 2); /* the INVITE's, answers, offers */
	assert_int_equal(m->rewrites[SIPD_B2BUA_B], 1 + 2 + 2);
	/* INFO from A, C takes it */
	static const char dtmf[] = "Signal=5\r\nDuration=160\r\n";
	assert_int_equal(sipd_session_request(a->s, "INFO", S("Info-Package: dtmf\r\n"),
	                                      "application/dtmf-relay", S(dtmf), sim.now),
	                 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->ninfos, 1);
	assert_string_equal(c->info_package, "dtmf");
	assert_string_equal(c->info_type, "application/dtmf-relay");
	assert_string_equal(c->info_body, dtmf);
	assert_int_equal(a->nresponses, 1);
	assert_int_equal(a->responses[0], 200);
	/* C does not take the package: 469 for A (RFC 6086 §4.2.2) */
	callee.info_code = 469;
	assert_int_equal(sipd_session_request(a->s, "INFO", S("Info-Package: foo\r\n"),
	                                      "application/dtmf-relay", S(dtmf), sim.now),
	                 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->ninfos, 2);
	assert_int_equal(sim_count_to(&sim, NODE_C, NODE_B2B, "SIP/2.0 469"), 1);
	assert_int_equal(a->nresponses, 2);
	assert_int_equal(a->responses[1], 469);
	/* INFO from C, A takes it */
	assert_int_equal(sipd_session_request(c->s, "INFO", S("Info-Package: dtmf\r\n"),
	                                      "application/dtmf-relay", S(dtmf), sim.now),
	                 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(a->ninfos, 1);
	assert_string_equal(a->info_package, "dtmf");
	assert_string_equal(a->info_body, dtmf);
	assert_int_equal(c->nresponses, 1);
	assert_int_equal(c->responses[0], 200);
	/* the call is still up on both legs; A ends it */
	assert_int_equal(a->last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(c->last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(sipd_session_bye(a->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(m->nended, 1);
	teardown(&sim);
}

/* RFC 3261 §14.1-14.2, RFC 7092 §3.1: A and C re-INVITE at the same moment.
 * The offers meet at the b2bua, which has one offer per leg at a time: a
 * 491 reaches at least one of them (relayed from the other leg, not retried
 * by the b2bua), the offerers back off (2.1-4 s for A, which owns the A
 * leg's Call-ID; 0-2 s for C) and both modifications then go through; no
 * leg is left waiting. */
static void rfc3261_14_1_glare_across_the_b2bua(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 109, ANSWER_NOW);
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	sim_clear_log(&sim);
	caller.reanswer = A_ANSWER;
	callee.reanswer = ANSWER2;
	assert_int_equal(sipd_session_modify(a->s, S(OFFER2), false, sim.now), 0);
	assert_int_equal(sipd_session_modify(c->s, S(C_OFFER), false, sim.now), 0);
	sim_run(&sim, sim.now + 10000);
	size_t to_a = sim_count_to(&sim, NODE_B2B, NODE_A, "SIP/2.0 491");
	size_t to_c = sim_count_to(&sim, NODE_B2B, NODE_C, "SIP/2.0 491");
	assert_true(to_a + to_c >= 1);
	/* each offerer got its 200 in the end, after its retry */
	assert_int_equal(a->nmodified, 1);
	assert_int_equal(a->modified[0], 200);
	assert_int_equal(c->nmodified, 1);
	assert_int_equal(c->modified[0], 200);
	/* whoever got a 491 tried again once, after its own back-off: A 2.1-4 s
	 * and C 0-2 s after the first try (plus a round trip of 10-20 ms) */
	size_t a_tries = sim_count_to(&sim, NODE_A, NODE_B2B, "INVITE ");
	size_t c_tries = sim_count_to(&sim, NODE_C, NODE_B2B, "INVITE ");
	assert_int_equal(a_tries, to_a ? 2 : 1);
	assert_int_equal(c_tries, to_c ? 2 : 1);
	if (to_a) {
		uint64_t wait = sim_time_of(&sim, NODE_A, "INVITE ", 1) -
		                sim_time_of(&sim, NODE_A, "INVITE ", 0);
		assert_true(wait >= 2100 && wait <= 4000 + 20);
	}
	if (to_c) {
		uint64_t wait = sim_time_of(&sim, NODE_C, "INVITE ", 1) -
		                sim_time_of(&sim, NODE_C, "INVITE ", 0);
		assert_true(wait <= 2000 + 20);
	}
	/* both sides agree on both legs */
	assert_int_equal(sipd_oa_state(sipd_session_oa(a->s)), SIPD_OA_STABLE);
	assert_int_equal(sipd_oa_state(sipd_session_oa(c->s)), SIPD_OA_STABLE);
	for (int leg = 0; leg < 2; leg++) {
		struct sipd_session *s = sipd_b2bua_leg(mid.calls[0].b, (enum sipd_b2bua_leg)leg);
		assert_int_equal(sipd_session_state(s), SIPD_SESSION_CONFIRMED);
		assert_int_equal(sipd_oa_state(sipd_session_oa(s)), SIPD_OA_STABLE);
	}
	assert_int_equal(a->last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(c->last, SIPD_SESSION_CONFIRMED);
	/* no deadlock: one more re-INVITE each way goes straight through */
	callee.reanswer = ANSWER3;
	assert_int_equal(sipd_session_modify(a->s, S(OFFER3), false, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(a->nmodified, 2);
	assert_int_equal(a->modified[1], 200);
	assert_true(eq(sipd_oa_remote(sipd_session_oa(a->s)), ANSWER3_X));
	assert_int_equal(sipd_session_modify(c->s, S(C_OFFER), true, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->nmodified, 2);
	assert_int_equal(c->modified[1], 200);
	assert_int_equal(sipd_session_bye(a->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_REMOTE);
	assert_int_equal(mid.calls[0].nended, 1);
	teardown(&sim);
}

/* RFC 3261 §13.2.2.4 and §14.1: the b2bua's ACK to C's 2xx for a relayed
 * re-INVITE is lost. C retransmits its 2xx (§13.3.1.4) and every copy must be
 * ACKed again, or C ends the call 64*T1 later (NO_ACK) although both callers
 * are still talking. (The INVITE client transaction passes the copies up in
 * its Accepted state, RFC 6026 §7.2; the session ACKs each.) */
static void rfc3261_13_2_2_4_reinvite_2xx_retransmission_acked_again(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 111, ANSWER_NOW);
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	callee.reanswer = ANSWER2;
	sim_clear_log(&sim);
	/* A's re-INVITE reaches the b2bua at +5, C at +10; C's 2xx is back at +15
	 * and the ACK for it leaves then: lost */
	assert_int_equal(sipd_session_modify(a->s, S(OFFER2), false, sim.now), 0);
	sim_run(&sim, sim.now + 12);
	sim.links[NODE_B2B][NODE_C].cut = true;
	sim_run(&sim, sim.now + 8);
	sim.links[NODE_B2B][NODE_C].cut = false;
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "ACK "), 1);
	assert_int_equal(a->nmodified, 1);
	assert_int_equal(a->modified[0], 200);
	sim_run(&sim, sim.now + 40000);
	assert_true(sim_count(&sim, NODE_C, "SIP/2.0 200") >= 2);
	assert_true(sim_count_to(&sim, NODE_B2B, NODE_C, "ACK ") >= 2);
	assert_int_equal(c->last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(a->last, SIPD_SESSION_CONFIRMED);
	assert_int_equal(sim_count(&sim, -1, "BYE "), 0);
	assert_int_equal(sipd_session_bye(a->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_REMOTE);
	teardown(&sim);
}

/* RFC 3261 §17.1.1.2, §17.1.2.2, §13.3.1.4, §15: 20 calls over links that lose
 * 10-20 % of the datagrams and reorder them, each with a re-INVITE from A and
 * then A's BYE. Retransmissions carry every exchange through; every call ends
 * on all three nodes, the b2bua frees each once, and no dialog, transaction
 * or byte is left. */
static void rfc3261_17_lossy_calls_all_end(void **state)
{
	(void)state;
	enum { NCALLS = 20 };
	struct sim sim;
	setup(&sim, 110, ANSWER_NOW);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			sim.links[i][j].loss_pct = 10 + (unsigned)(sim_rand(&sim) % 11);
			sim.links[i][j].delay_ms = 5;
			sim.links[i][j].jitter_ms = 30;
		}
	callee.reanswer = ANSWER2;
	/* A re-INVITE that meets a leg whose 2xx still waits for its ACK gets
	 * 500 (§14.2), relayed as it is; with the ACK and then the 2xx's
	 * retransmissions lost, that can last several seconds (T2 = 4 s apart).
	 * The caller tries again 2 s later, as a UA would, up to MAX_TRIES
	 * times. */
	enum { MAX_TRIES = 10 };
	struct {
		uint64_t start, confirmed, next_try;
		int tries, handled; /* re-INVITEs sent, and answers looked at */
		bool started, ok, bye_sent;
	} plan[NCALLS] = {{0}};
	for (int i = 0; i < NCALLS; i++)
		plan[i].start = sim.now + (uint64_t)i * 700;
	uint64_t until = sim.now + 300000;
	while (sim.now < until) {
		bool busy = false;
		for (int i = 0; i < NCALLS; i++) {
			struct leg *a = &caller.legs[i];
			if (!plan[i].started) {
				busy = true;
				if (sim.now >= plan[i].start) {
					start_call(&sim, i);
					plan[i].started = true;
				}
				continue;
			}
			if (a->last == SIPD_SESSION_TERMINATED)
				continue;
			busy = true;
			if (a->last != SIPD_SESSION_CONFIRMED)
				continue;
			if (!plan[i].confirmed) {
				plan[i].confirmed = sim.now;
				plan[i].next_try = sim.now + 1000;
			}
			if (plan[i].handled < a->nmodified) {
				plan[i].handled = a->nmodified;
				plan[i].ok = a->modified[a->nmodified - 1] == 200;
				plan[i].next_try = sim.now + 2000;
			}
			bool waiting = plan[i].handled < plan[i].tries;
			if (!waiting && !plan[i].ok && plan[i].tries < MAX_TRIES) {
				if (sim.now >= plan[i].next_try &&
				    sipd_session_modify(a->s, S(OFFER2), false, sim.now) == 0)
					plan[i].tries++;
			} else if (!waiting && !plan[i].bye_sent &&
			           sim.now >= plan[i].confirmed + 5000) {
				assert_int_equal(sipd_session_bye(a->s, NULL, sim.now), 0);
				plan[i].bye_sent = true;
			}
		}
		if (!busy)
			break;
		sim_run(&sim, sim.now + 20);
	}
	sim_run(&sim, UINT64_MAX);
	int answered = 0, modified = 0;
	for (int i = 0; i < NCALLS; i++) {
		struct leg *a = &caller.legs[i];
		assert_int_equal(a->last, SIPD_SESSION_TERMINATED);
		assert_int_equal(a->nterminated, 1);
		answered += plan[i].confirmed != 0;
		modified += plan[i].ok;
		if (plan[i].ok) /* C's answer, rewritten on its way */
			assert_string_equal(a->modified_body, ANSWER2_X);
	}
	/* every call reached the b2bua, and each one ended there once */
	assert_int_equal(mid.ncalls, NCALLS);
	assert_int_equal(mid.created, NCALLS);
	assert_int_equal(mid.ended, NCALLS);
	for (int i = 0; i < mid.ncalls; i++)
		assert_int_equal(mid.calls[i].nended, 1);
	/* and every INVITE that reached the callee ended there too */
	assert_int_equal(callee.nlegs, NCALLS);
	for (int i = 0; i < callee.nlegs; i++) {
		assert_int_equal(callee.legs[i].last, SIPD_SESSION_TERMINATED);
		assert_int_equal(callee.legs[i].nterminated, 1);
		assert_true(callee.legs[i].nreinvites >= 1);
		assert_string_equal(callee.legs[i].offer_in, OFFER2_X);
	}
	/* loss delays, it does not break: every call got through, and so did
	 * its re-INVITE, from A to C and back */
	assert_int_equal(answered, NCALLS);
	assert_int_equal(modified, NCALLS);
	teardown(&sim);
}

/* RFC 3261 §8.1 and RFC 6086 §4: several requests within the call may be
 * under way at once; the b2bua relays each and keeps them apart (its relays
 * grow from 2 to 8 here), and every answer goes back to the request it
 * belongs to. */
static void rfc6086_4_infos_at_once_relayed(void **state)
{
	(void)state;
	struct sim sim;
	setup(&sim, 109, ANSWER_NOW);
	connect_call(&sim);
	struct leg *a = &caller.legs[0], *c = &callee.legs[0];
	static const char dtmf[] = "Signal=5\r\nDuration=160\r\n";
	for (int i = 0; i < 6; i++)
		assert_int_equal(sipd_session_request(a->s, "INFO", S("Info-Package: dtmf\r\n"),
		                                      "application/dtmf-relay", S(dtmf), sim.now),
		                 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_C, "INFO "), 6);
	assert_int_equal(c->ninfos, 6);
	assert_int_equal(sim_count_to(&sim, NODE_B2B, NODE_A, "SIP/2.0 200"), 6 + 1);
	assert_int_equal(a->nresponses, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(a->responses[i], 200);
	assert_int_equal(sipd_session_bye(a->s, NULL, sim.now), 0);
	sim_run(&sim, sim.now + 200);
	assert_int_equal(c->end, SIPD_SESSION_END_BYE_REMOTE);
	teardown(&sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_13_basic_call_relayed_then_bye_from_a),
		cmocka_unit_test(rfc3326_bye_from_c_ends_a_with_its_reason),
		cmocka_unit_test(b2bua_legs_share_relayed_descriptions),
		cmocka_unit_test(rfc3261_16_7_failures_relayed),
		cmocka_unit_test(rfc3326_cancel_relayed_with_reason),
		cmocka_unit_test(rfc6086_4_infos_at_once_relayed),
		cmocka_unit_test(rfc3261_9_1_cancel_crossing_2xx_on_b_leg),
		cmocka_unit_test(rfc3261_14_reinvite_update_info_relayed),
		cmocka_unit_test(rfc3261_14_1_glare_across_the_b2bua),
		cmocka_unit_test(rfc3261_13_2_2_4_reinvite_2xx_retransmission_acked_again),
		cmocka_unit_test(rfc3261_17_lossy_calls_all_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
