/* Allocation failure (issue 9): a whole call through the simulator (a digest
 * challenge to the INVITE and its retry with credentials, SDP, 180, 200, ACK,
 * a re-INVITE, an INFO, a REFER with its implicit subscription and sipfrag
 * NOTIFYs, BYE) is run once to count the allocations the library makes, then
 * once for every N with the N-th of them failing. Each time nothing may
 * crash, every API returns 0 or one of its error codes, a call that failed
 * with SIPD_ENOMEM succeeds when made again (it changed nothing), no
 * transaction or dialog is left once everything has ended and been freed,
 * every block allocated is freed, and a normal call on fresh stacks
 * afterwards goes through as the first one did.
 *
 * malloc, calloc, realloc and free are wrapped at link time
 * (-Wl,--wrap=...; tests/CMakeLists.txt), so the library, the simulator and
 * this file go through the functions below; libc, cmocka, OpenSSL and the
 * sanitizers do not. Only allocations made while `A.on` count and may fail:
 * the test turns it on around the scenario and off while the simulator
 * carries a packet (its queue is the network, not the library).
 *
 * ALLOC_FAIL_AT=N runs that one N only; with ALLOC_FAIL_TRACE=1 too, the
 * sanitizers print the stack of the allocation that fails, and SIM_TRACE=1
 * prints every packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/auth.h>
#include <sipdialog/session.h>
#include <sipdialog/subscription.h>

#include "sim.h"

/* ---------------------------------------------------------------- the allocator */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static struct {
	bool on;               /* count (and maybe fail) allocations */
	unsigned long count;   /* allocations counted since the scenario began */
	unsigned long fail_at; /* the one that fails (0: none) */
	unsigned long failed;  /* how many did */
	long live;             /* blocks allocated and not freed, whoever made them */
	unsigned long n;       /* the N under test, for messages */
	bool trace;            /* print the stack of the allocation that fails */
} A;

/* The sanitizers' stack printer, when they are linked in. */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

static bool fail_now(void)
{
	if (!A.on)
		return false;
	if (++A.count != A.fail_at)
		return false;
	A.failed++;
	if (A.trace && __sanitizer_print_stack_trace)
		__sanitizer_print_stack_trace();
	return true;
}

void *__wrap_malloc(size_t n)
{
	if (fail_now())
		return NULL;
	void *p = __real_malloc(n);
	A.live += p != NULL;
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_now())
		return NULL;
	void *p = __real_calloc(n, size);
	A.live += p != NULL;
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_now())
		return NULL; /* p stays as it was */
	void *q = __real_realloc(p, n);
	A.live += !p && q;
	return q;
}

void __wrap_free(void *p)
{
	A.live -= p != NULL;
	__real_free(p);
}

/* ---------------------------------------------------------------- the world */

#define OFFER_SDP                                                                                  \
	"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 "     \
	"RTP/AVP 0\r\n"
#define OFFER2_SDP                                                                                 \
	"v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 "     \
	"RTP/AVP 0\r\na=sendonly\r\n"
/* Longer than the offer by more than a server transaction keeps for its
 * responses, so that the 2xx carrying it needs an allocation of its own. */
#define ANSWER_SDP                                                                                 \
	"v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 4000 "     \
	"RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"                      \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=maxptime:150\r\n" \
	"a=candidate:1 1 UDP 2130706431 10.0.0.2 4000 typ host\r\n"                                \
	"a=candidate:2 1 UDP 1694498815 192.0.2.2 4000 typ srflx raddr 10.0.0.2 rport 4000\r\n"    \
	"a=candidate:3 1 UDP 16777215 198.51.100.2 50000 typ relay raddr 192.0.2.2 rport 4000\r\n"

static struct sipd_str str(const char *s)
{
	return (struct sipd_str){s, s ? strlen(s) : 0};
}

/* Node 0 calls (UAC session, auth client, REFER subscriber), node 1 answers
 * (auth server, UAS session, REFER recipient). */
struct node {
	int idx;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	struct sipd_subscriptions *set;
	struct sipd_session *s;
	struct sipd_subscription *sub;
	struct sipd_auth_client *client;
	struct sipd_auth_server *server;
	/* what the application saw */
	enum sipd_session_state state;
	enum sipd_session_end end;
	bool challenged;
	unsigned modified, info, refer, notify_frag;
	int nnotify;
	enum sipd_sub_state sub_state;
};

static struct sim S;
static struct node N[2];
static unsigned enomem; /* calls of the test that returned SIPD_ENOMEM */

/* Assertions that name the allocation that failed. */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			fail_msg("%s, with allocation %lu failing%s", #c, A.n,                     \
			         A.fail_at ? "" : " before");                                      \
	} while (0)
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			fail_msg("%s is %lld, not %lld, with allocation %lu failing%s", #a, a_,    \
			         b_, A.n, A.fail_at ? "" : " before");                             \
	} while (0)

/* An API's return: 0 or one of the error codes. */
static void check_rc(int rc)
{
	CHECK(rc <= 0 && rc >= SIPD_ESTATE);
	if (rc == SIPD_ENOMEM)
		enomem++;
}

/* A call that failed for want of memory must have changed nothing: made
 * again (the one failure is spent), it succeeds. */
#define RETRY(rc, call)                                                                            \
	do {                                                                                       \
		(rc) = (call);                                                                     \
		check_rc(rc);                                                                      \
		if ((rc) == SIPD_ENOMEM) {                                                         \
			(rc) = (call);                                                             \
			CHECK_EQ((rc), 0);                                                         \
		}                                                                                  \
	} while (0)

/* The library runs: allocations count. */
static void lib_on(void)
{
	A.on = true;
}

/* ---- randomness: the simulator's, deterministic from the seed */

static void sim_bytes(void *user, void *buf, size_t len)
{
	(void)user;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(sim_rand(&S) >> 32);
}

/* ---- the simulator's send, out of the count */

static int (*sim_send)(void *user, struct sipd_flow *flow, const char *data, size_t len);

static int quiet_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	bool on = A.on;
	A.on = false;
	int rc = sim_send(user, flow, data, len);
	A.on = on;
	return rc;
}

static struct sipd_stack_callbacks wrapped_cb;

static void tweak(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, SUBSCRIBE";
	cfg->accept = "application/sdp, message/sipfrag";
	cfg->random = sim_bytes;
	wrapped_cb = *cfg->cb;
	sim_send = cfg->cb->send;
	wrapped_cb.send = quiet_send;
	cfg->cb = &wrapped_cb;
}

/* ---- sessions */

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)s;
	struct node *n = arg;
	n->state = st;
	if (st != SIPD_SESSION_TERMINATED)
		return;
	n->end = why;
	if (n->client && msg && !msg->is_request && msg->status == 401) {
		int rc = sipd_auth_client_challenge(n->client, msg);
		check_rc(rc);
		n->challenged = rc == 0;
	}
}

static int on_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                      const struct sipd_msg *req)
{
	(void)arg;
	if (req->method != SIPD_METHOD_INFO)
		return -1;
	int rc;
	RETRY(rc, sipd_session_respond(s, tx, 200, SIPD_STR_NULL, S.now));
	return rc ? -1 : 0;
}

static void on_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	((struct node *)arg)->modified = resp ? resp->status : 1;
}

static void on_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	((struct node *)arg)->info = resp ? resp->status : 1;
}

static const struct sipd_session_callbacks session_cb = {.size = sizeof session_cb,
                                                         .state = on_state,
                                                         .request = on_request,
                                                         .modified = on_modified,
                                                         .response = on_response};

static struct sipd_session_opts session_opts(struct node *n, const char *contact)
{
	return (struct sipd_session_opts){
		.size = sizeof(struct sipd_session_opts),
		.dialog = {.size = sizeof(struct sipd_dialog_opts), .local_contact = str(contact)},
		.cb = &session_cb,
		.arg = n};
}

/* ---- subscriptions */

static void sub_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                      const struct sipd_msg *msg)
{
	(void)sub;
	(void)msg;
	((struct node *)arg)->sub_state = st;
}

static void sub_notify(void *arg, struct sipd_subscription *sub, const struct sipd_msg *m)
{
	(void)sub;
	struct node *n = arg;
	n->nnotify++;
	int code = sipd_sipfrag_status(m->body);
	n->notify_frag = code > 0 ? (unsigned)code : 0;
}

static void sub_response(void *arg, struct sipd_subscription *sub, const struct sipd_msg *resp)
{
	(void)sub;
	((struct node *)arg)->refer = resp ? resp->status : 1;
}

static unsigned sub_refer(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req)
{
	(void)req;
	struct node *n = arg;
	CHECK(!n->sub);
	n->sub = sub;
	return 202;
}

static const struct sipd_subscription_callbacks sub_cb = {.size = sizeof sub_cb,
                                                          .state = sub_state,
                                                          .notify = sub_notify,
                                                          .response = sub_response,
                                                          .refer = sub_refer};

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

/* ---- the callee's digest check */

static int lookup(void *user, struct sipd_str username, struct sipd_str realm,
                  enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	(void)user;
	(void)realm;
	(void)hash;
	if (!sipd_str_eq(username, "alice") || cap < 10)
		return SIPD_ENOTFOUND;
	memcpy(out, "wonderland", 10);
	*len = 10;
	return SIPD_AUTH_SECRET_PASSWORD;
}

/* A final response to a request outside any session; tried again when it
 * could not be sent, as the transaction would otherwise wait for one. */
static void respond(struct sipd_txn *tx, unsigned code, struct sipd_str headers)
{
	struct sipd_response r = {
		.size = sizeof r, .code = code, .to_tag = {"b401", 4}, .headers = headers};
	int rc;
	RETRY(rc, sipd_txn_respond(tx, &r, S.now));
}

/* ---- the stack's request callback */

static int app_request(struct sim *sim, int idx, struct sipd_txn *tx, const struct sipd_msg *m)
{
	struct node *n = &N[idx];
	struct sipd_flow from = sim_flow(sim, idx, idx ^ 1, SIPD_TP_UDP);
	if (n->set && sipd_subscriptions_request(n->set, tx, m, &from) == 0)
		return 0;
	if (m->to.tag.len || m->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&n->env, tx, m, &from);
	if (m->method != SIPD_METHOD_INVITE || idx != 1)
		return -1;
	if (n->s) {
		respond(tx, 486, SIPD_STR_NULL);
		return 0;
	}
	struct sipd_auth_verdict v;
	int rc = sipd_auth_server_verify(n->server, m, sim->now, &v);
	check_rc(rc);
	if (rc) {
		respond(tx, 500, SIPD_STR_NULL);
		return 0;
	}
	if (v.result != SIPD_AUTH_OK) {
		char lines[1024];
		struct sipd_buf b;
		sipd_buf_init(&b, lines, sizeof lines);
		rc = sipd_auth_server_challenge(n->server, &b, v.result == SIPD_AUTH_STALE,
		                                sim->now);
		check_rc(rc);
		if (rc)
			respond(tx, 500, SIPD_STR_NULL);
		else
			respond(tx, 401, (struct sipd_str){lines, b.len});
		return 0;
	}
	struct sipd_session_opts o = session_opts(n, "sip:bob@10.0.0.2");
	rc = sipd_session_uas(&n->env, tx, &from, &o, sim->now, &n->s);
	check_rc(rc);
	if (rc) {
		n->s = NULL;
		return 0; /* answered by the session */
	}
	RETRY(rc, sipd_session_progress(n->s, 180, SIPD_STR_NULL, sim->now));
	RETRY(rc, sipd_session_accept(n->s, str(ANSWER_SDP), sim->now));
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

/* ---------------------------------------------------------------- the call */

/* Runs the network for `ms`: long enough for retransmissions (T1 500 ms) to
 * make up for a message the receiver could not take. */
static void run(uint64_t ms)
{
	sim_run(&S, S.now + ms);
}

/* Builds both nodes; false when the library could not (out of memory). */
static bool world(void)
{
	sim_init(&S, 77);
	S.trace = getenv("SIM_TRACE") != NULL;
	memset(N, 0, sizeof N);
	struct sim_app app = {
		.request = app_request, .cancel = app_cancel, .server_done = app_done};
	static const char *contacts[] = {"sip:alice@10.0.0.1", "sip:bob@10.0.0.2"};
	for (int i = 0; i < 2; i++) {
		if (sim_add_node(&S, &app, tweak) < 0)
			return false;
		N[i].idx = i;
		struct sipd_dialogs_config c = {
			.size = sizeof c, .cb = &dialogs_cb, .user = &N[i], .random = sim_bytes};
		if (!(N[i].dialogs = sipd_dialogs_create(&c)))
			return false;
		N[i].env = (struct sipd_session_env){
			.size = sizeof N[i].env, .stack = S.nodes[i].st, .dialogs = N[i].dialogs};
		struct sipd_subscriptions_config sc = {.size = sizeof sc,
		                                       .stack = S.nodes[i].st,
		                                       .dialogs = N[i].dialogs,
		                                       .local_contact = str(contacts[i]),
		                                       .cb = &sub_cb,
		                                       .arg = &N[i]};
		if (!(N[i].set = sipd_subscriptions_create(&sc)))
			return false;
	}
	struct sipd_auth_client_config cc = {.size = sizeof cc,
	                                     .username = "alice",
	                                     .password = "wonderland",
	                                     .realm = "biloxi.com",
	                                     .random = sim_bytes};
	if (!(N[0].client = sipd_auth_client_create(&cc)))
		return false;
	static const uint8_t secret[] = "callee's secret, 32 bytes long!!";
	struct sipd_auth_server_config sc = {.size = sizeof sc,
	                                     .realm = "biloxi.com",
	                                     .secret = secret,
	                                     .secret_len = sizeof secret - 1,
	                                     .lookup = lookup,
	                                     .random = sim_bytes};
	return (N[1].server = sipd_auth_server_create(&sc)) != NULL;
}

/* The caller's INVITE, with credentials when challenged. */
static int invite(uint32_t cseq, bool credentials)
{
	char hdrs[2048];
	int len = snprintf(hdrs, sizeof hdrs,
	                   "From: <sip:alice@biloxi.com>;tag=a1\r\nTo: <sip:bob@biloxi.com>\r\n"
	                   "Call-ID: alloc-1@10.0.0.1\r\nCSeq: %u INVITE\r\nMax-Forwards: 70\r\n"
	                   "Contact: <sip:alice@10.0.0.1>\r\n",
	                   (unsigned)cseq);
	assert_true(len > 0 && (size_t)len < sizeof hdrs);
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs + len, sizeof hdrs - (size_t)len);
	int rc = 0;
	if (credentials)
		rc = sipd_auth_client_authorize(N[0].client, &b, str("INVITE"),
		                                str("sip:bob@10.0.0.2"), str(OFFER_SDP));
	check_rc(rc);
	if (rc)
		return rc;
	struct sipd_request r = {.size = sizeof r,
	                         .method = str("INVITE"),
	                         .uri = str("sip:bob@10.0.0.2"),
	                         .headers = {hdrs, (size_t)len + b.len},
	                         .content_type = "application/sdp",
	                         .body = str(OFFER_SDP),
	                         .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP)};
	struct sipd_session_opts o = session_opts(&N[0], "sip:alice@10.0.0.1");
	N[0].state = SIPD_SESSION_INITIAL;
	RETRY(rc, sipd_session_uac(&N[0].env, &r, &o, S.now, &N[0].s));
	if (rc)
		N[0].s = NULL;
	return rc;
}

static bool confirmed(int i)
{
	return N[i].s && sipd_session_state(N[i].s) == SIPD_SESSION_CONFIRMED;
}

/* Once the network is quiet, every offer has been answered or taken back:
 * an engine left waiting would refuse every later offer (SIPD_ESTATE). */
static void settled(void)
{
	for (int i = 0; i < 2; i++) {
		if (!N[i].s)
			continue;
		enum sipd_oa_state st = sipd_oa_state(sipd_session_oa(N[i].s));
		CHECK(st != SIPD_OA_HAVE_LOCAL_OFFER && st != SIPD_OA_HAVE_REMOTE_OFFER);
	}
}

/* What a whole call achieved, step by step. */
struct outcome {
	bool built, challenged, confirmed, modified, info, refer, notified, ended;
};

/* The call. With `strict`, every step must succeed (no allocation fails). */
static struct outcome call(bool strict)
{
	struct outcome out = {0};
	int rc;
	lib_on();
	if (!(out.built = world()))
		goto teardown;
	if (invite(1, false))
		goto teardown;
	run(4000);
	out.challenged = N[0].challenged && N[0].state == SIPD_SESSION_TERMINATED;
	if (!out.challenged)
		goto teardown;
	sipd_session_free(N[0].s);
	N[0].s = NULL;
	if (invite(2, true))
		goto teardown;
	run(4000);
	settled();
	if (!(out.confirmed = confirmed(0) && confirmed(1)))
		goto teardown;

	/* a re-INVITE (hold), answered by default with the last description */
	RETRY(rc, sipd_session_modify(N[0].s, str(OFFER2_SDP), false, S.now));
	run(4000);
	settled();
	out.modified = N[0].modified == 200;

	/* INFO, taken by the callee's application */
	RETRY(rc, sipd_session_request(N[0].s, "INFO", str("Info-Package: x\r\n"), NULL,
	                               SIPD_STR_NULL, S.now));
	run(4000);
	out.info = N[0].info == 200;

	/* REFER in the call's dialog: 202, NOTIFY 100 Trying, NOTIFY 200 OK */
	struct sipd_dialog *d = sipd_session_dialog(N[0].s);
	if (d) {
		struct sipd_subscribe_opts o = {.size = sizeof o,
		                                .dialog = d,
		                                .flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
		                                .refer_to = "sip:carol@10.0.0.3",
		                                .cb = &sub_cb,
		                                .arg = &N[0]};
		RETRY(rc, sipd_refer(N[0].set, &o, S.now, &N[0].sub));
		if (rc)
			N[0].sub = NULL;
		run(4000);
		out.refer = N[0].refer == 202;
		if (N[1].sub) {
			RETRY(rc, sipd_refer_progress(N[1].sub, 200, NULL, S.now));
			run(4000);
		}
		out.notified = N[0].nnotify == 2 && N[0].notify_frag == 200 &&
		               N[0].sub_state == SIPD_SUB_TERMINATED;
	}

	if (confirmed(0))
		RETRY(rc, sipd_session_bye(N[0].s, NULL, S.now));
	run(4000);
	out.ended =
		N[0].state == SIPD_SESSION_TERMINATED && N[1].state == SIPD_SESSION_TERMINATED &&
		N[0].end == SIPD_SESSION_END_BYE_LOCAL && N[1].end == SIPD_SESSION_END_BYE_REMOTE;

teardown:
	if (strict) {
		CHECK(out.built);
		CHECK(out.challenged);
		CHECK(out.confirmed);
		CHECK(out.modified);
		CHECK(out.info);
		CHECK(out.refer);
		CHECK(out.notified);
		CHECK(out.ended);
	}
	/* Everything ends: whatever still runs finishes, the application frees
	 * what it holds, the transactions that this leaves run out. */
	bool up = S.nnodes == 2 && S.nodes[0].st && S.nodes[1].st;
	if (up) {
		run(64 * 1000);
		/* a failure never leaves one side with what the other cannot
		 * find (a dialog, a subscription) */
		CHECK_EQ(sim_count(&S, -1, "SIP/2.0 481"), 0);
	}
	for (int i = 0; i < 2; i++) {
		sipd_subscription_free(N[i].sub);
		sipd_session_free(N[i].s);
	}
	if (up) {
		run(64 * 1000);
		for (int i = 0; i < 2; i++) {
			struct sipd_stack_stats st;
			sipd_stack_stats(S.nodes[i].st, &st);
			CHECK_EQ(st.client_txns, 0);
			CHECK_EQ(st.server_txns, 0);
		}
	}
	for (int i = 0; i < 2; i++) {
		if (N[i].set)
			CHECK_EQ(sipd_subscriptions_count(N[i].set), 0);
		if (N[i].dialogs)
			CHECK_EQ(sipd_dialogs_count(N[i].dialogs), 0);
	}
	sim_free(&S);
	for (int i = 0; i < 2; i++) {
		sipd_subscriptions_destroy(N[i].set);
		sipd_dialogs_destroy(N[i].dialogs);
		sipd_auth_client_destroy(N[i].client);
		sipd_auth_server_destroy(N[i].server);
	}
	A.on = false;
	return out;
}

/* ---------------------------------------------------------------- the test */

static unsigned long run_once(unsigned long fail_at, bool strict, struct outcome *out)
{
	long live = A.live;
	A.count = 0;
	A.failed = 0;
	A.fail_at = fail_at;
	*out = call(strict);
	CHECK_EQ(A.live, live); /* every block freed */
	if (fail_at)
		CHECK_EQ(A.failed, 1);
	return A.count;
}

static void issue9_every_allocation_fails_once(void **state)
{
	(void)state;
	struct outcome out;
	const char *only = getenv("ALLOC_FAIL_AT");
	A.trace = only && getenv("ALLOC_FAIL_TRACE");
	unsigned long total = run_once(0, true, &out);
	assert_true(total > 0);
	unsigned long first = 1, last = total;
	if (only)
		first = last = strtoul(only, NULL, 10);
	unsigned long completed = 0;
	for (unsigned long n = first; n <= last; n++) {
		A.n = n;
		enomem = 0;
		run_once(n, false, &out);
		completed += out.ended && out.notified;
		if (only)
			print_message("built %d challenged %d confirmed %d modified %d info %d "
			              "refer %d notified %d ended %d; %u calls out of memory\n",
			              out.built, out.challenged, out.confirmed, out.modified,
			              out.info, out.refer, out.notified, out.ended, enomem);
		/* nothing is left behind that would hurt the next call */
		CHECK_EQ(run_once(0, true, &out), total);
	}
	print_message("%lu allocations in a call; %lu of the calls with one failing "
	              "still completed\n",
	              total, completed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(issue9_every_allocation_fails_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
