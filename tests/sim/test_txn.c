/* Transactions through the simulator: every timer of RFC 3261 §17 and
 * RFC 6026 at its exact virtual time, under loss and over streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"

#define T1 500
#define T2 4000
#define T4 5000

struct client_log {
	int responses, timeouts, transport_errors, terminated;
	unsigned last_code;
	uint64_t final_at, terminated_at;
	struct sim *sim;
};

static void client_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                      const struct sipd_msg *resp)
{
	(void)tx;
	struct client_log *c = arg;
	switch (ev) {
	case SIPD_TXN_RESPONSE:
		c->responses++;
		c->last_code = resp->status;
		if (resp->status >= 200)
			c->final_at = c->sim->now;
		break;
	case SIPD_TXN_TIMEOUT:
		c->timeouts++;
		c->last_code = resp ? resp->status : 0;
		c->final_at = c->sim->now;
		break;
	case SIPD_TXN_TRANSPORT_ERROR:
		c->transport_errors++;
		c->last_code = resp ? resp->status : 0;
		break;
	case SIPD_TXN_TERMINATED:
		c->terminated++;
		c->terminated_at = c->sim->now;
		break;
	}
}

static char hdr_text[1024];

/* A request from node a to node b with the headers every request needs. */
static struct sipd_request make_req(struct sim *sim, int a, int b, const char *method, uint8_t tp,
                                    const char *extra)
{
	snprintf(hdr_text, sizeof hdr_text,
	         "From: <sip:a@10.0.0.%d>;tag=ft%d\r\nTo: <sip:b@10.0.0.%d>\r\n"
	         "Call-ID: c%llu@sim\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n%s",
	         a + 1, a, b + 1, (unsigned long long)sim_rand(sim), method, extra ? extra : "");
	struct sipd_request r = {
		.size = sizeof r,
		.method = {method, strlen(method)},
		.uri = {"sip:b@10.0.0.2", 14},
		.headers = {hdr_text, strlen(hdr_text)},
		.flow = sim_flow(sim, a, b, tp),
	};
	return r;
}

static void assert_empty(struct sim *sim)
{
	for (int i = 0; i < sim->nnodes; i++) {
		struct sipd_stack_stats s;
		sipd_stack_stats(sim->nodes[i].st, &s);
		assert_int_equal(s.client_txns, 0);
		assert_int_equal(s.server_txns, 0);
		assert_int_equal(sipd_stack_next_deadline(sim->nodes[i].st), UINT64_MAX);
	}
}

/* ---- non-INVITE client, §17.1.2.2: Timer E doubles to T2, F at 64*T1 */
static void rfc3261_17_1_2_2_timer_e_and_f(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 1);
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, NULL, NULL);
	sim.links[0][1].cut = true; /* nothing arrives */
	struct client_log c = {.sim = &sim};
	uint64_t t0 = sim.now;
	struct sipd_request r = make_req(&sim, 0, 1, "OPTIONS", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, UINT64_MAX);
	/* sent at 0, then E: 500, 1000, 2000, 4000, 4000... */
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
	assert_int_equal(sim_count(&sim, 0, "OPTIONS"), 11);
	for (size_t i = 0; i < 11; i++)
		assert_int_equal(sim_time_of(&sim, 0, "OPTIONS", i) - t0, at[i]);
	assert_int_equal(c.timeouts, 1);
	assert_int_equal(c.last_code, 408); /* §8.1.3.1 */
	assert_int_equal(c.final_at - t0, 64 * T1);
	assert_int_equal(c.terminated, 1);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- INVITE client, §17.1.1.2: Timer A doubles without bound, B at 64*T1 */
static void rfc3261_17_1_1_2_timer_a_and_b(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 2);
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, NULL, NULL);
	sim.links[0][1].cut = true;
	struct client_log c = {.sim = &sim};
	uint64_t t0 = sim.now;
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, UINT64_MAX);
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	assert_int_equal(sim_count(&sim, 0, "INVITE"), 7);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(sim_time_of(&sim, 0, "INVITE", i) - t0, at[i]);
	assert_int_equal(c.timeouts, 1);
	assert_int_equal(c.last_code, 408);
	assert_int_equal(c.final_at - t0, 32000);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- server apps used below */
static unsigned answer_code = 486;

static int answer_now(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req)
{
	(void)node;
	if (!tx)
		return 0; /* an ACK: taken */
	struct sipd_response r = {.size = sizeof r, .code = answer_code, .to_tag = {"tt1", 3}};
	(void)req;
	assert_int_equal(sipd_txn_respond(tx, &r, sim->now), 0);
	return 0;
}

struct server_log {
	int done, timeouts, acks;
	uint64_t done_at;
};
static struct server_log srv;

static void on_server_done(struct sim *sim, int node, struct sipd_txn *tx, bool timeout)
{
	(void)node;
	(void)tx;
	srv.done_at = sim->now;
	srv.done++;
	srv.timeouts += timeout;
}

/* ---- INVITE server, §17.2.1: G doubles to T2, H at 64*T1 without ACK */
static void rfc3261_17_2_1_timer_g_and_h(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 3);
	sim.trace = getenv("SIM_TRACE") != NULL;
	struct sim_app app = {.request = answer_now, .server_done = on_server_done};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &app, NULL);
	sim.links[1][0].cut = true; /* responses never arrive: no ACK */
	memset(&srv, 0, sizeof srv);
	answer_code = 486;
	struct client_log c = {.sim = &sim};
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, sim.now + 1); /* the INVITE arrives at once */
	uint64_t t0 = sim_time_of(&sim, 1, "SIP/2.0 486", 0);
	sim.links[0][1].cut = true; /* and the client's retransmissions are lost */
	sim_run(&sim, UINT64_MAX);
	/* 486 at 0, then G: 500, 1000, 2000, 4000, 4000, ... until H at 32000 */
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 486"), 11);
	for (size_t i = 0; i < 11; i++)
		assert_int_equal(sim_time_of(&sim, 1, "SIP/2.0 486", i) - t0, at[i]);
	assert_int_equal(srv.done, 1);
	assert_int_equal(srv.timeouts, 1); /* Timer H: the TU hears of it (§17.2.4) */
	assert_int_equal(c.timeouts, 1);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- INVITE server with ACK: Confirmed, Timer I = T4; client ACKs, Timer D */
static void rfc3261_17_2_1_ack_confirms_timer_i(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 4);
	struct sim_app app = {.request = answer_now, .server_done = on_server_done};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &app, NULL);
	sim.links[0][1].delay_ms = 10;
	sim.links[1][0].delay_ms = 10;
	memset(&srv, 0, sizeof srv);
	answer_code = 486;
	struct client_log c = {.sim = &sim};
	uint64_t t0 = sim.now;
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(c.last_code, 486);
	assert_int_equal(c.final_at - t0, 20);
	assert_int_equal(sim_count(&sim, 0, "ACK"), 1);        /* §17.1.1.3 */
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 486"), 1); /* no G after the ACK */
	/* §17.2.1: no 100 Trying, since the TU answered at once */
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 100"), 0);
	/* Timer D (32 s) ends the client; Timer I (T4) the server, counted from
	 * the ACK's arrival at 30 ms */
	assert_int_equal(c.terminated_at - t0, 20 + 32000);
	assert_int_equal(srv.done, 1);
	assert_int_equal(srv.done_at - t0, 30 + T4);
	assert_int_equal(srv.timeouts, 0);
	assert_empty(&sim);
	sim_free(&sim);
}


/* ---- non-INVITE server, §17.2.2: retransmissions answered, Timer J = 64*T1;
 * client Timer K = T4 */
static void rfc3261_17_2_2_timer_j_and_k(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 5);
	struct sim_app app = {.request = answer_now, .server_done = on_server_done};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &app, NULL);
	sim.links[1][0].delay_ms = 600; /* the 200 arrives after one retransmission */
	memset(&srv, 0, sizeof srv);
	answer_code = 200;
	struct client_log c = {.sim = &sim};
	uint64_t t0 = sim.now;
	struct sipd_request r = make_req(&sim, 0, 1, "OPTIONS", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(sim_count(&sim, 0, "OPTIONS"), 2);     /* 0 and E at 500 */
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 200"), 2); /* the retransmission answered */
	assert_int_equal(c.responses, 1);                       /* the second 200 absorbed */
	assert_int_equal(c.final_at - t0, 600);
	assert_int_equal(c.terminated_at - t0, 600 + T4);        /* Timer K */
	assert_int_equal(srv.done_at - t0, 64 * T1);             /* Timer J */
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- RFC 6026: a 2xx to INVITE moves both sides to Accepted; the server
 * ends at Timer L, the client at Timer M; a 2xx retransmitted by the TU
 * reaches the client's TU each time (it must ACK each), and after M the
 * stray 2xx goes to the core's stray_2xx, when its sent-by is ours
 * (§18.1.2). */
static int stray;
static void on_stray(struct sim *sim, int node, const struct sipd_msg *resp)
{
	(void)sim;
	(void)node;
	assert_int_equal(resp->status, 200);
	stray++;
}

static struct sipd_txn *held;
static int hold_invite(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req)
{
	(void)sim;
	(void)node;
	(void)req;
	if (tx)
		held = tx;
	else
		srv.acks++;
	return 0;
}

static void rfc6026_accepted_timers_l_and_m(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 6);
	struct sim_app capp = {.stray_2xx = on_stray};
	struct sim_app sapp = {.request = hold_invite, .server_done = on_server_done};
	sim_add_node(&sim, &capp, NULL);
	sim_add_node(&sim, &sapp, NULL);
	memset(&srv, 0, sizeof srv);
	stray = 0;
	held = NULL;
	struct client_log c = {.sim = &sim};
	uint64_t t0 = sim.now;
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, t0 + 10);
	assert_non_null(held);
	/* §17.2.1: the TU did not answer at once, so the transaction sent 100 */
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 100"), 1);
	assert_string_equal(sipd_txn_state_name(held), "Proceeding");
	struct sipd_response ok = {.size = sizeof ok, .code = 200, .to_tag = {"t2", 2}};
	assert_int_equal(sipd_txn_respond(held, &ok, sim.now), 0);
	assert_string_equal(sipd_txn_state_name(held), "Accepted");
	sim_run(&sim, t0 + 1000);
	/* the TU's own retransmission of its 2xx passes (RFC 6026 §7.1) */
	assert_int_equal(sipd_txn_respond(held, &ok, sim.now), 0);
	/* a non-2xx after the 2xx does not */
	struct sipd_response busy = {.size = sizeof busy, .code = 486};
	assert_int_equal(sipd_txn_respond(held, &busy, sim.now), SIPD_ESTATE);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(c.responses, 3); /* 100, 200, and the 200 again */
	assert_int_equal(c.terminated_at - t0, 10 + 64 * T1); /* Timer M from the first 2xx */
	assert_int_equal(srv.done_at - t0, 10 + 64 * T1);     /* Timer L */
	assert_int_equal(stray, 0);
	/* a 2xx after Timer M matches nothing: the dialog layer hears of it */
	sim_inject(&sim, 1, 0, SIPD_TP_UDP,
	           "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKgone\r\n"
	           "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: gone\r\n"
	           "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(stray, 1);
	/* §18.1.2: one whose sent-by is not one we insert is discarded (a
	 * host of someone else's, or our address at another port) */
	struct sipd_stack_stats before, after;
	sipd_stack_stats(sim.nodes[0].st, &before);
	sim_inject(&sim, 1, 0, SIPD_TP_UDP,
	           "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP evil.example.com;branch=z9hG4bKgone\r\n"
	           "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: gone\r\n"
	           "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	sim_inject(&sim, 1, 0, SIPD_TP_UDP,
	           "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKgone\r\n"
	           "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: gone\r\n"
	           "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	sipd_stack_stats(sim.nodes[0].st, &after);
	assert_int_equal(stray, 1);
	assert_int_equal(after.rx_dropped - before.rx_dropped, 2);
	/* no port in the sent-by means 5060: ours */
	sim_inject(&sim, 1, 0, SIPD_TP_UDP,
	           "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKgone\r\n"
	           "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: gone\r\n"
	           "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(stray, 2);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2: over a reliable transport
 * nothing is retransmitted and Timers D, K, I, J are zero. */
static void rfc3261_17_reliable_no_retransmissions(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 7);
	struct sim_app app = {.request = answer_now, .server_done = on_server_done};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &app, NULL);
	sim.links[0][1].delay_ms = 5;
	sim.links[1][0].delay_ms = 5;
	memset(&srv, 0, sizeof srv);
	answer_code = 404;
	struct client_log c = {.sim = &sim};
	uint64_t t0 = sim.now;
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_TCP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(sim_count(&sim, 0, "INVITE"), 1);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 404"), 1);
	assert_int_equal(c.last_code, 404);
	assert_int_equal(c.terminated_at - t0, 10); /* Timer D = 0 */
	assert_int_equal(srv.done_at - t0, 15);     /* Timer I = 0 after the ACK */
	answer_code = 200;
	struct client_log c2 = {.sim = &sim};
	t0 = sim.now;
	r = make_req(&sim, 0, 1, "MESSAGE", SIPD_TP_TCP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c2, sim.now, NULL), 0);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(c2.terminated_at - t0, 10); /* Timer K = 0 */
	assert_int_equal(srv.done_at - t0, 5);       /* Timer J = 0 */
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- thousands of transactions with 20 % loss, duplication and reordering
 * both ways: each ends with its final response or its timeout, and nothing is
 * left in either stack afterwards. */
static int loss_done, loss_ok, loss_timeout;
static void loss_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                    const struct sipd_msg *resp)
{
	(void)tx;
	/* 2xx to INVITE reach the TU once per copy (RFC 6026): count the first */
	bool *seen = arg;
	if (ev == SIPD_TXN_RESPONSE && resp->status >= 200 && !*seen) {
		*seen = true;
		loss_ok++;
	}
	else if (ev == SIPD_TXN_TIMEOUT)
		loss_timeout++;
	else if (ev == SIPD_TXN_TERMINATED)
		loss_done++;
}

static void rfc3261_17_loss_duplication_reordering(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 8);
	struct sim_app app = {.request = answer_now};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &app, NULL);
	for (int a = 0; a < 2; a++) {
		sim.links[a][1 - a].loss_pct = 20;
		sim.links[a][1 - a].dup_pct = 10;
		sim.links[a][1 - a].delay_ms = 20;
		sim.links[a][1 - a].jitter_ms = 200;
	}
	/* non-2xx: the transactions alone make them reliable (a 2xx to INVITE
	 * is retransmitted by the session layer above, RFC 6026) */
	answer_code = 486;
	loss_done = loss_ok = loss_timeout = 0;
	enum { n = 2000 };
	static bool seen[n];
	memset(seen, 0, sizeof seen);
	for (int i = 0; i < n; i++) {
		struct sipd_request r =
			make_req(&sim, 0, 1, i % 2 ? "INVITE" : "OPTIONS", SIPD_TP_UDP, NULL);
		assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, loss_cb, &seen[i], sim.now, NULL), 0);
		sim_run(&sim, sim.now + 3);
	}
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(loss_done, n);
	assert_int_equal(loss_ok + loss_timeout, n);
	/* with 20 % loss each way, a non-INVITE fails only if 11 tries all fail;
	 * nearly every transaction completes */
	assert_true(loss_ok > n * 95 / 100);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- §9.1: CANCEL waits for a provisional response; then it is its own
 * transaction with the INVITE's branch, and the INVITE ends with 487. */
static int cancels_seen;
static void cancel_on_cancel(struct sim *sim, int node, struct sipd_txn *inv,
                             const struct sipd_msg *c)
{
	(void)node;
	/* §9.1: same Request-URI, Call-ID, From, To, CSeq number and Route as the
	 * INVITE, the INVITE's branch, CSeq method CANCEL; and our Reason */
	const struct sipd_msg *i = sipd_txn_request(inv);
	assert_true(c->ruri.raw.len == i->ruri.raw.len &&
	            !memcmp(c->ruri.raw.p, i->ruri.raw.p, i->ruri.raw.len));
	assert_true(c->via.branch.len == i->via.branch.len &&
	            !memcmp(c->via.branch.p, i->via.branch.p, i->via.branch.len));
	assert_int_equal(c->cseq.seq, i->cseq.seq);
	assert_int_equal(c->cseq.method, SIPD_METHOD_CANCEL);
	assert_true(c->call_id.len == i->call_id.len &&
	            !memcmp(c->call_id.p, i->call_id.p, i->call_id.len));
	assert_non_null(sipd_msg_find(c, SIPD_HDR_ROUTE));
	const struct sipd_hdr *reason = sipd_msg_find(c, SIPD_HDR_REASON);
	assert_non_null(reason);
	struct sipd_reason rs;
	assert_int_equal(sipd_reason_parse(&rs, reason->value, NULL), 0);
	assert_int_equal(rs.cause, 200);
	cancels_seen++;
	struct sipd_response r = {.size = sizeof r, .code = 487, .to_tag = {"tc", 2}};
	assert_int_equal(sipd_txn_respond(inv, &r, sim->now), 0);
}

static void rfc3261_9_1_cancel_waits_for_provisional(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 9);
	struct sim_app sapp = {.request = hold_invite, .cancel = cancel_on_cancel};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &sapp, NULL);
	sim.links[0][1].delay_ms = 50;
	sim.links[1][0].delay_ms = 50;
	held = NULL;
	cancels_seen = 0;
	struct client_log c = {.sim = &sim};
	struct sipd_txn *tx;
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, "Route: <sip:p1;lr>\r\n");
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, &tx), 0);
	uint64_t t0 = sim.now;
	/* asked at once: nothing may go out before the 100 arrives (at 100 ms) */
	assert_int_equal(sipd_txn_cancel(tx, "SIP;cause=200;text=\"Call completed elsewhere\"", sim.now), 0);
	sim_run(&sim, t0 + 99);
	assert_int_equal(sim_count(&sim, 0, "CANCEL"), 0);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(sim_count(&sim, 0, "CANCEL"), 1);
	assert_int_equal(sim_time_of(&sim, 0, "CANCEL", 0) - t0, 100);
	assert_int_equal(c.last_code, 487);
	assert_int_equal(sim_count(&sim, 0, "ACK"), 1); /* the 487 is ACKed */
	assert_int_equal(cancels_seen, 1);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- §9.1: a UAS that takes the CANCEL but never answers the INVITE: the
 * INVITE client transaction gives up 64*T1 after the CANCEL (408 to the TU). */
static void ignore_cancel(struct sim *sim, int node, struct sipd_txn *inv, const struct sipd_msg *c)
{
	(void)sim;
	(void)node;
	(void)inv;
	(void)c;
	cancels_seen++;
}

static void rfc3261_9_1_no_final_after_cancel(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 19);
	struct sim_app sapp = {.request = hold_invite, .cancel = ignore_cancel};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &sapp, NULL);
	sim.links[0][1].delay_ms = 10;
	sim.links[1][0].delay_ms = 10;
	held = NULL;
	cancels_seen = 0;
	struct client_log c = {.sim = &sim};
	struct sipd_txn *tx;
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, &tx), 0);
	sim_run(&sim, sim.now + 1000); /* the 100 is in: Proceeding, no Timer B */
	assert_int_equal(c.timeouts, 0);
	uint64_t t_cancel = sim.now;
	assert_int_equal(sipd_txn_cancel(tx, NULL, sim.now), 0);
	sim_run(&sim, t_cancel + 64 * 500 - 1);
	assert_int_equal(cancels_seen, 1);
	assert_int_equal(c.timeouts, 0);
	sim_run(&sim, t_cancel + 64 * 500);
	assert_int_equal(c.timeouts, 1);
	assert_int_equal(c.final_at - t_cancel, 64 * 500);
	/* the held server transaction is ours to end: answer it now, late */
	struct sipd_response late = {.size = sizeof late, .code = 487, .to_tag = {"tl", 2}};
	assert_int_equal(sipd_txn_respond(held, &late, sim.now), 0);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(c.timeouts, 1);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- §18.1.1: a request larger than 1300 bytes (no known path MTU) goes over
 * TCP when the stack has a TCP address; its Via says so */
static void rfc3261_18_1_1_large_request_over_tcp(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 10);
	struct sim_app app = {.request = answer_now};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &app, NULL);
	answer_code = 200;
	static char body[1500];
	memset(body, 'x', sizeof body);
	struct client_log c = {.sim = &sim};
	struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
	r.content_type = "application/sdp";
	r.body = (struct sipd_str){body, sizeof body};
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c, sim.now, NULL), 0);
	assert_int_equal(sim.log[0].transport, SIPD_TP_TCP);
	assert_non_null(strstr(sim.last[0], "\r\nVia: SIP/2.0/TCP "));
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(c.last_code, 200);
	/* a small one stays on UDP */
	struct client_log c2 = {.sim = &sim};
	sim_clear_log(&sim);
	r = make_req(&sim, 0, 1, "OPTIONS", SIPD_TP_UDP, NULL);
	assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, client_cb, &c2, sim.now, NULL), 0);
	assert_int_equal(sim.log[0].transport, SIPD_TP_UDP);
	sim_run(&sim, UINT64_MAX);
	assert_empty(&sim);
	sim_free(&sim);
}

/* ---- §13.3.1.4: the UAS's 2xx, retransmitted for it by the transaction (T1
 * doubling to T2) until the TU says the ACK came; without an ACK, Timer L
 * (64*T1) ends it and reports a timeout so that the TU can send BYE. */
static int accept_2xx(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req)
{
	(void)node;
	(void)req;
	if (!tx) {
		srv.acks++;
		sipd_txn_acked(held); /* the TU matched the ACK to its INVITE */
		return 0;
	}
	held = tx;
	struct sipd_response r = {.size = sizeof r, .code = 200, .to_tag = {"t9", 2},
	                          .retransmit_2xx = true};
	assert_int_equal(sipd_txn_respond(tx, &r, sim->now), 0);
	return 0;
}

static void uac_ack_2xx(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                        const struct sipd_msg *resp)
{
	client_cb(arg, tx, ev, resp);
	struct client_log *c = arg;
	if (ev != SIPD_TXN_RESPONSE || resp->status != 200 || !c->sim->nodes[0].test)
		return;
	/* the ACK of the 2xx: a request of its own (§13.2.2.4) */
	static char h[512];
	snprintf(h, sizeof h, "From: <sip:a@10.0.0.1>;tag=ft0\r\nTo: <sip:b@10.0.0.2>;tag=t9\r\n"
	                      "Call-ID: %.*s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n",
	         (int)resp->call_id.len, resp->call_id.p);
	struct sipd_request ack = {.size = sizeof ack, .method = {"ACK", 3},
	                           .uri = {"sip:b@10.0.0.2", 14}, .headers = {h, strlen(h)},
	                           .flow = sim_flow(c->sim, 0, 1, SIPD_TP_UDP)};
	sipd_stack_send_ack(c->sim->nodes[0].st, &ack, c->sim->now);
}

static void rfc3261_13_3_1_4_2xx_retransmitted_until_ack(void **state)
{
	(void)state;
	for (int with_ack = 0; with_ack < 2; with_ack++) {
		struct sim sim;
		sim_init(&sim, 11);
		struct sim_app app = {.request = accept_2xx, .server_done = on_server_done};
		sim_add_node(&sim, NULL, NULL);
		sim_add_node(&sim, &app, NULL);
		sim.links[1][0].delay_ms = 10;
		sim.links[0][1].delay_ms = 10;
		sim.nodes[0].test = with_ack ? &sim : NULL;
		memset(&srv, 0, sizeof srv);
		held = NULL;
		struct client_log c = {.sim = &sim};
		struct sipd_request r = make_req(&sim, 0, 1, "INVITE", SIPD_TP_UDP, NULL);
		assert_int_equal(sipd_stack_request(sim.nodes[0].st, &r, uac_ack_2xx, &c, sim.now, NULL),
		                 0);
		sim_run(&sim, sim.now + 15);
		uint64_t t0 = sim_time_of(&sim, 1, "SIP/2.0 200", 0);
		sim_run(&sim, UINT64_MAX);
		if (with_ack) {
			/* the ACK arrives 20 ms after the 2xx left: no retransmission */
			assert_int_equal(sim_count(&sim, 1, "SIP/2.0 200"), 1);
			assert_int_equal(srv.acks, 1);
			assert_int_equal(srv.timeouts, 0);
		} else {
			static const uint64_t at[] = {0,     500,   1500,  3500,  7500, 11500,
			                              15500, 19500, 23500, 27500, 31500};
			assert_int_equal(sim_count(&sim, 1, "SIP/2.0 200"), 11);
			for (size_t i = 0; i < 11; i++)
				assert_int_equal(sim_time_of(&sim, 1, "SIP/2.0 200", i) - t0, at[i]);
			assert_int_equal(srv.timeouts, 1); /* Timer L with no ACK */
			assert_int_equal(srv.done_at - t0, 64 * T1);
		}
		assert_empty(&sim);
		sim_free(&sim);
	}
}

/* ---- the stack's timers for the layers above: exact times, re-armed from
 * the callback, cancelled, counted in the next deadline */
static uint64_t fired_at[8];
static int fired;
static void tick(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	struct sim *sim = arg;
	fired_at[fired++] = now;
	if (fired < 3)
		sipd_stack_timer_arm(sim->nodes[0].st, t, now + 250);
}

static void stack_timers_for_usages(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 12);
	sim_add_node(&sim, NULL, NULL);
	struct sipd_stack *st = sim.nodes[0].st;
	struct sipd_stack_timer a, b;
	sipd_stack_timer_init(&a, tick, &sim);
	sipd_stack_timer_init(&b, tick, &sim);
	fired = 0;
	uint64_t t0 = sim.now;
	assert_int_equal(sipd_stack_timer_arm(st, &a, t0 + 100), 0);
	assert_int_equal(sipd_stack_timer_arm(st, &b, t0 + 50), 0);
	assert_true(sipd_stack_timer_armed(&b));
	assert_int_equal(sipd_stack_next_deadline(st), t0 + 50);
	sipd_stack_timer_cancel(st, &b);
	sipd_stack_timer_cancel(st, &b); /* twice is harmless */
	assert_false(sipd_stack_timer_armed(&b));
	assert_int_equal(sipd_stack_next_deadline(st), t0 + 100);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(fired, 3);
	assert_int_equal(fired_at[0] - t0, 100);
	assert_int_equal(fired_at[1] - t0, 350);
	assert_int_equal(fired_at[2] - t0, 600);
	assert_false(sipd_stack_timer_armed(&a));
	sim_free(&sim);
}

/* ---- RFC 6026 §7.1: once the TU has the ACK of its 2xx, the INVITE server
 * transaction ends for it (server_done, no timeout) and leaves an absorber
 * that, until Timer L, absorbs the INVITE's retransmissions, lets a CANCEL
 * of it have no effect (200, §9.2) and tells a merged request (482,
 * §8.2.2.2); after Timer L the same INVITE is a new request. */
static int invites_seen;
static int hold_and_count(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req)
{
	if (tx)
		invites_seen++;
	return hold_invite(sim, node, tx, req);
}

#define ABS_INVITE(branch, cseq_method)                                                    \
	"INVITE sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=" branch "\r\n" \
	"From: <sip:a@10.0.0.1>;tag=fa\r\nTo: <sip:b@10.0.0.2>\r\nCall-ID: abs@sim\r\n"      \
	"CSeq: 7 " cseq_method "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"

static void rfc6026_7_1_acked_invite_absorbed_until_timer_l(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 14);
	struct sim_app sapp = {.request = hold_and_count, .server_done = on_server_done};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &sapp, NULL);
	memset(&srv, 0, sizeof srv);
	held = NULL;
	invites_seen = 0;
	uint64_t t0 = sim.now;
	sim_inject(&sim, 0, 1, SIPD_TP_UDP, ABS_INVITE("z9hG4bKabs1", "INVITE"));
	assert_int_equal(invites_seen, 1);
	assert_non_null(held);
	struct sipd_response ok = {.size = sizeof ok, .code = 200, .to_tag = {"t2", 2},
	                           .retransmit_2xx = true};
	assert_int_equal(sipd_txn_respond(held, &ok, sim.now), 0);
	sim_run(&sim, t0 + 100);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 200"), 1);
	/* the TU matched the ACK: the transaction ends for it at the next
	 * advance, not at Timer L, and not as a timeout */
	sipd_txn_acked(held);
	assert_int_equal(srv.done, 0); /* not under the caller's feet */
	sim_run(&sim, t0 + 200);
	assert_int_equal(srv.done, 1);
	assert_int_equal(srv.timeouts, 0);
	struct sipd_stack_stats st;
	sipd_stack_stats(sim.nodes[1].st, &st);
	assert_int_equal(st.server_txns, 0);
	/* Timer L still runs: the absorber's */
	assert_int_equal(sipd_stack_next_deadline(sim.nodes[1].st), t0 + 64 * T1);
	uint64_t absorbed = st.retransmissions_absorbed;
	sim_run(&sim, t0 + 10000);
	/* a retransmission: absorbed, nothing sent, the TU not told */
	sim_inject(&sim, 0, 1, SIPD_TP_UDP, ABS_INVITE("z9hG4bKabs1", "INVITE"));
	assert_int_equal(invites_seen, 1);
	sipd_stack_stats(sim.nodes[1].st, &st);
	assert_int_equal(st.retransmissions_absorbed, absorbed + 1);
	assert_int_equal(st.server_txns, 0);
	/* the same request by another path (another branch): 482 */
	sim_inject(&sim, 0, 1, SIPD_TP_UDP, ABS_INVITE("z9hG4bKabs2", "INVITE"));
	assert_int_equal(invites_seen, 1);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 482"), 1);
	/* a CANCEL of the answered INVITE: 200, and no effect */
	sim_inject(&sim, 0, 1, SIPD_TP_UDP,
	           "CANCEL sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabs1\r\n"
	           "From: <sip:a@10.0.0.1>;tag=fa\r\nTo: <sip:b@10.0.0.2>\r\nCall-ID: abs@sim\r\n"
	           "CSeq: 7 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 200"), 2);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 481"), 0);
	/* another sent-by is another transaction (§17.2.3) */
	size_t before = sim_count(&sim, 1, "SIP/2.0 482");
	sim_inject(&sim, 0, 1, SIPD_TP_UDP,
	           "INVITE sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKabs1\r\n"
	           "From: <sip:a@10.0.0.1>;tag=fa\r\nTo: <sip:b@10.0.0.2>\r\nCall-ID: abs@sim\r\n"
	           "CSeq: 7 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 482"), before + 1);
	/* Timer L ends the absorber: the same INVITE is a new transaction now,
	 * which the 482s' transactions (in Completed until Timer H) call merged */
	sim_run(&sim, t0 + 64 * T1 + 1);
	before = sim_count(&sim, 1, "SIP/2.0 482");
	sim_inject(&sim, 0, 1, SIPD_TP_UDP, ABS_INVITE("z9hG4bKabs1", "INVITE"));
	sipd_stack_stats(sim.nodes[1].st, &st);
	assert_int_equal(st.retransmissions_absorbed, absorbed + 1);
	assert_int_equal(sim_count(&sim, 1, "SIP/2.0 482"), before + 1);
	/* once they are gone too, it reaches the TU */
	sim.links[1][0].cut = true;
	sim_run(&sim, UINT64_MAX);
	assert_empty(&sim);
	sim_inject(&sim, 0, 1, SIPD_TP_UDP, ABS_INVITE("z9hG4bKabs1", "INVITE"));
	assert_int_equal(invites_seen, 2);
	struct sipd_response no = {.size = sizeof no, .code = 486, .to_tag = {"t3", 2}};
	assert_int_equal(sipd_txn_respond(held, &no, sim.now), 0);
	sim_run(&sim, UINT64_MAX);
	assert_empty(&sim);
	sim_free(&sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_17_1_2_2_timer_e_and_f),
		cmocka_unit_test(rfc3261_17_1_1_2_timer_a_and_b),
		cmocka_unit_test(rfc3261_17_2_1_timer_g_and_h),
		cmocka_unit_test(rfc3261_17_2_1_ack_confirms_timer_i),
		cmocka_unit_test(rfc3261_17_2_2_timer_j_and_k),
		cmocka_unit_test(rfc6026_accepted_timers_l_and_m),
		cmocka_unit_test(rfc6026_7_1_acked_invite_absorbed_until_timer_l),
		cmocka_unit_test(rfc3261_17_reliable_no_retransmissions),
		cmocka_unit_test(rfc3261_17_loss_duplication_reordering),
		cmocka_unit_test(rfc3261_9_1_cancel_waits_for_provisional),
		cmocka_unit_test(rfc3261_9_1_no_final_after_cancel),
		cmocka_unit_test(rfc3261_18_1_1_large_request_over_tcp),
		cmocka_unit_test(rfc3261_13_3_1_4_2xx_retransmitted_until_ack),
		cmocka_unit_test(stack_timers_for_usages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
