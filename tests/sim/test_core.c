/* The UA core (RFC 3261 §8.2, §9.2, §11, §12.2.2): what the stack answers
 * when the application does not, and what it never lets through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"

#define REQ_FMT \
	"%s sip:b@10.0.0.2 SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%s;rport\r\n" \
	"From: <sip:a@10.0.0.1>;tag=ft\r\n" \
	"To: <sip:b@10.0.0.2>%s\r\n" \
	"Call-ID: %s@sim\r\n" \
	"CSeq: 7 %s\r\n" \
	"Max-Forwards: %s\r\n" \
	"%s" \
	"Content-Length: %zu\r\n\r\n%s"

static char msgbuf[4096];

static const char *req(const char *method, const char *branch, const char *totag,
                       const char *extra, const char *body)
{
	snprintf(msgbuf, sizeof msgbuf, REQ_FMT, method, branch, totag ? totag : "", branch, method,
	         "70", extra ? extra : "", body ? strlen(body) : (size_t)0, body ? body : "");
	return msgbuf;
}

struct app_log {
	int requests, cancels;
	struct sipd_txn *invite;
	bool no_487; /* on_cancel leaves the INVITE to the test */
};
static struct app_log app_log;

static int decline(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)sim;
	(void)node;
	(void)tx;
	(void)m;
	app_log.requests++;
	return -1;
}

static int take_invite(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)sim;
	(void)node;
	app_log.requests++;
	if (tx && m->method == SIPD_METHOD_INVITE)
		app_log.invite = tx;
	return 0;
}

static void on_cancel(struct sim *sim, int node, struct sipd_txn *inv, const struct sipd_msg *c)
{
	(void)node;
	(void)c;
	app_log.cancels++;
	if (app_log.no_487)
		return;
	/* §9.2: the application ends the INVITE with 487 */
	struct sipd_response r = {.size = sizeof r, .code = 487, .to_tag = {"x1", 2}};
	assert_int_equal(sipd_txn_respond(inv, &r, sim->now), 0);
}

static void tweak(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE";
	cfg->supported = "100rel, timer";
	cfg->user_agent = "sipdialog-test";
}

static void forwarding(struct sipd_stack_config *cfg)
{
	tweak(cfg);
	cfg->forwarding = true;
}

static void capped(struct sipd_stack_config *cfg)
{
	tweak(cfg);
	cfg->max_transactions = 8;
}

struct fixture {
	struct sim sim;
};

static int setup_with(void **state, const struct sim_app *app,
                      void (*t)(struct sipd_stack_config *))
{
	struct fixture *f = calloc(1, sizeof *f);
	sim_init(&f->sim, 42);
	f->sim.trace = getenv("SIM_TRACE") != NULL;
	sim_add_node(&f->sim, NULL, NULL);
	sim_add_node(&f->sim, app, t);
	memset(&app_log, 0, sizeof app_log);
	*state = f;
	return 0;
}

static int setup_decline(void **state)
{
	static const struct sim_app app = {.request = decline};
	return setup_with(state, &app, tweak);
}

static int setup_take(void **state)
{
	static const struct sim_app app = {.request = take_invite, .cancel = on_cancel};
	return setup_with(state, &app, tweak);
}

static int setup_forwarding(void **state)
{
	static const struct sim_app app = {.request = take_invite};
	return setup_with(state, &app, forwarding);
}

static int setup_capped(void **state)
{
	static const struct sim_app app = {.request = decline};
	return setup_with(state, &app, capped);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sim_free(&f->sim);
	free(f);
	return 0;
}

/* The response node 1 sent last: its first line, and whether it has a line. */
static const char *last(struct fixture *f)
{
	return f->sim.last[1];
}

static void inject(struct fixture *f, const char *m)
{
	sim_clear_log(&f->sim);
	f->sim.last[1][0] = 0;
	sim_inject(&f->sim, 0, 1, SIPD_TP_UDP, m);
}

static void rfc3261_8_2_1_unsupported_method_405_with_allow(void **state)
{
	struct fixture *f = *state;
	inject(f, req("SUBSCRIBE", "s1", NULL, "Event: presence\r\n", NULL));
	assert_true(strncmp(last(f), "SIP/2.0 405 ", 12) == 0);
	assert_non_null(strstr(last(f), "\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE\r\n"));
	assert_non_null(strstr(last(f), "\r\nServer: sipdialog-test\r\n"));
	assert_int_equal(app_log.requests, 0);
	/* a method nobody knows: 501 (§21.5.2) */
	inject(f, req("FOOBAR", "s2", NULL, NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 501 ", 12) == 0);
	/* a retransmission of the rejected request gets the same answer again */
	inject(f, req("FOOBAR", "s2", NULL, NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 501 ", 12) == 0);
}

static void rfc3261_8_2_2_1_unknown_uri_scheme_416(void **state)
{
	struct fixture *f = *state;
	char m[sizeof msgbuf];
	snprintf(m, sizeof m, "%s", req("OPTIONS", "u1", NULL, NULL, NULL));
	char *sp = strstr(m, "sip:b@10.0.0.2 SIP");
	memcpy(sp, "urn:b:10.0.0.2", 14); /* same length */
	inject(f, m);
	assert_true(strncmp(last(f), "SIP/2.0 416 ", 12) == 0);
}

static void rfc3261_8_2_2_2_merged_request_482(void **state)
{
	struct fixture *f = *state;
	inject(f, req("MESSAGE", "m1", NULL, "Content-Type: text/plain\r\n", "hi"));
	/* the same request by another path: same From tag, Call-ID, CSeq */
	char m[4096];
	snprintf(m, sizeof m, "%s", req("MESSAGE", "m1", NULL, "Content-Type: text/plain\r\n", "hi"));
	char *b = strstr(m, "branch=z9hG4bKm1");
	b[15] = '2';
	inject(f, m);
	assert_true(strncmp(last(f), "SIP/2.0 482 ", 12) == 0);
}

static void rfc3261_8_2_2_3_require_420_with_unsupported(void **state)
{
	struct fixture *f = *state;
	inject(f, req("OPTIONS", "r1", NULL, "Require: 100rel, foo, bar\r\n", NULL));
	assert_true(strncmp(last(f), "SIP/2.0 420 ", 12) == 0);
	assert_non_null(strstr(last(f), "\r\nUnsupported: foo, bar\r\n"));
	/* supported ones pass */
	inject(f, req("OPTIONS", "r2", NULL, "Require: timer\r\n", NULL));
	assert_true(strncmp(last(f), "SIP/2.0 200 ", 12) == 0);
}

static void rfc3261_8_2_3_unsupported_content_415(void **state)
{
	struct fixture *f = *state;
	inject(f, req("MESSAGE", "c1", NULL, "Content-Type: text/plain\r\n", "hello"));
	assert_true(strncmp(last(f), "SIP/2.0 415 ", 12) == 0);
	assert_non_null(strstr(last(f), "\r\nAccept: application/sdp\r\n"));
	inject(f, req("MESSAGE", "c2", NULL,
	              "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n", "v=0"));
	assert_true(strncmp(last(f), "SIP/2.0 415 ", 12) == 0);
	assert_non_null(strstr(last(f), "\r\nAccept-Encoding: identity\r\n"));
}

static void rfc3261_11_2_options_200_with_allow_accept_supported(void **state)
{
	struct fixture *f = *state;
	inject(f, req("OPTIONS", "o1", NULL, NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 200 ", 12) == 0);
	assert_non_null(strstr(last(f), "\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE\r\n"));
	assert_non_null(strstr(last(f), "\r\nAccept: application/sdp\r\n"));
	assert_non_null(strstr(last(f), "\r\nSupported: 100rel, timer\r\n"));
	/* §8.2.6.2: a To tag was added */
	assert_non_null(strstr(last(f), "\r\nTo: <sip:b@10.0.0.2>;tag="));
	assert_int_equal(app_log.requests, 1); /* asked first, declined */
}

static void rfc3261_12_2_2_unknown_dialog_481_and_ack_dropped(void **state)
{
	struct fixture *f = *state;
	inject(f, req("BYE", "d1", ";tag=nosuch", NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 481 ", 12) == 0);
	/* the To tag of an in-dialog request is never replaced */
	assert_non_null(strstr(last(f), "\r\nTo: <sip:b@10.0.0.2>;tag=nosuch\r\n"));
	inject(f, req("ACK", "d2", ";tag=nosuch", NULL, NULL));
	assert_int_equal(f->sim.nlog, 0); /* no response to an ACK, ever */
}

static void rfc3261_21_4_1_bad_request_400_with_reason(void **state)
{
	struct fixture *f = *state;
	/* valid framing, an invalid header value (a Date not in GMT) */
	inject(f, req("OPTIONS", "b1", NULL, "Date: Fri, 01 Jan 2010 16:00:00 EST\r\n", NULL));
	const char *want = "SIP/2.0 400 Date time zone is not GMT\r\n";
	assert_true(strncmp(last(f), want, strlen(want)) == 0);
	/* CSeq method of another request: 400 (RFC 4475 §3.1.2.17) */
	char m[4096];
	snprintf(m, sizeof m, "%s", req("OPTIONS", "b2", NULL, NULL, NULL));
	memcpy(strstr(m, "CSeq: 7 OPTIONS"), "CSeq: 7 INVITE ", 15);
	inject(f, m);
	assert_true(strncmp(last(f), "SIP/2.0 400 ", 12) == 0);
	/* unparsable: dropped and counted */
	struct sipd_stack_stats s0, s1;
	sipd_stack_stats(f->sim.nodes[1].st, &s0);
	inject(f, "INVITE sip:x SIP/2.0\r\nVia: junk\r\n\r\n");
	sipd_stack_stats(f->sim.nodes[1].st, &s1);
	assert_int_equal(f->sim.nlog, 0);
	assert_int_equal(s1.rx_bad, s0.rx_bad + 1);
}

static void rfc3261_16_3_max_forwards_zero_483_when_forwarding(void **state)
{
	struct fixture *f = *state;
	char m[4096];
	snprintf(m, sizeof m, "%s", req("OPTIONS", "z1", NULL, NULL, NULL));
	memcpy(strstr(m, "Max-Forwards: 70"), "Max-Forwards: 00", 16);
	inject(f, m);
	assert_true(strncmp(last(f), "SIP/2.0 483 ", 12) == 0);
}

static void rfc4475_3_3_11_max_forwards_zero_endpoint_processes(void **state)
{
	struct fixture *f = *state;
	char m[4096];
	snprintf(m, sizeof m, "%s", req("OPTIONS", "z2", NULL, NULL, NULL));
	memcpy(strstr(m, "Max-Forwards: 70"), "Max-Forwards: 00", 16);
	inject(f, m);
	assert_true(strncmp(last(f), "SIP/2.0 200 ", 12) == 0);
}

static void rfc3261_9_2_cancel_200_then_487(void **state)
{
	struct fixture *f = *state;
	inject(f, req("INVITE", "i1", NULL, NULL, NULL));
	assert_non_null(app_log.invite);
	assert_true(strncmp(last(f), "SIP/2.0 100 ", 12) == 0);
	inject(f, req("CANCEL", "i1", NULL, NULL, NULL));
	assert_int_equal(app_log.cancels, 1);
	assert_int_equal(sim_count(&f->sim, 1, "SIP/2.0 200"), 1);
	assert_int_equal(sim_count(&f->sim, 1, "SIP/2.0 487"), 1);
	/* the CANCEL's 200 carries CSeq CANCEL, the 487 CSeq INVITE */
	assert_non_null(strstr(last(f), "CSeq: 7 INVITE\r\n"));
	/* a CANCEL for nothing: 481 */
	inject(f, req("CANCEL", "nothing", NULL, NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 481 ", 12) == 0);
}

/* §9.2: "the To tag of the response to the CANCEL and the To tag in the
 * response to the original request SHOULD be the same": once the INVITE's
 * provisional has carried one, the 200 to the CANCEL carries it too. */
static void rfc3261_9_2_cancel_200_with_the_invite_tag(void **state)
{
	struct fixture *f = *state;
	app_log.no_487 = true;
	inject(f, req("INVITE", "i2", NULL, NULL, NULL));
	assert_non_null(app_log.invite);
	struct sipd_response ring = {.size = sizeof ring, .code = 180, .to_tag = {"ring7", 5}};
	assert_int_equal(sipd_txn_respond(app_log.invite, &ring, f->sim.now), 0);
	inject(f, req("CANCEL", "i2", NULL, NULL, NULL));
	assert_int_equal(app_log.cancels, 1);
	assert_true(strncmp(last(f), "SIP/2.0 200 ", 12) == 0);
	assert_non_null(strstr(last(f), ";tag=ring7\r\n"));
	struct sipd_response end = {.size = sizeof end, .code = 487, .to_tag = {"ring7", 5}};
	assert_int_equal(sipd_txn_respond(app_log.invite, &end, f->sim.now), 0);
}

static void rfc3581_4_response_to_source_port(void **state)
{
	struct fixture *f = *state;
	/* The request says sent-by port 5070 but arrives from 5060; with rport the
	 * response goes to the source port (sim: node 0 listens on 5060). */
	char m[4096];
	snprintf(m, sizeof m, "%s", req("OPTIONS", "p1", NULL, NULL, NULL));
	memcpy(strstr(m, "10.0.0.1:5060;"), "10.0.0.1:5070;", 14);
	inject(f, m);
	assert_int_equal(f->sim.nlog, 1);
	assert_int_equal(f->sim.log[0].to, 0);
	/* without rport: to the sent-by port, where nobody listens here */
	snprintf(m, sizeof m, "%s", req("OPTIONS", "p2", NULL, NULL, NULL));
	memcpy(strstr(m, "10.0.0.1:5060;"), "10.0.0.1:5070;", 14);
	memcpy(strstr(m, ";rport\r\n"), ";xport", 6);
	inject(f, m);
	assert_int_equal(f->sim.nlog, 1);
	assert_int_equal(f->sim.log[0].to, -1);
}

/* §21.5.4: over max_transactions new work gets 503 with Retry-After; the
 * requests of dialogs already up (and CANCEL) have a reserve of a quarter
 * more, so that established calls keep working under a flood of new ones;
 * past the reserve they are refused too (memory stays bounded). */
static void rfc3261_21_5_4_transaction_cap_503_with_dialog_reserve(void **state)
{
	struct fixture *f = *state;
	char branch[16];
	for (int i = 0; i < 8; i++) { /* each stays for Timer J (64*T1 over UDP) */
		snprintf(branch, sizeof branch, "cap%d", i);
		inject(f, req("OPTIONS", branch, NULL, NULL, NULL));
		assert_true(strncmp(last(f), "SIP/2.0 200 ", 12) == 0);
	}
	inject(f, req("OPTIONS", "cap8", NULL, NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 503 ", 12) == 0);
	assert_non_null(strstr(last(f), "\r\nRetry-After: "));
	/* within a dialog: taken (here 481: no such dialog), twice */
	inject(f, req("BYE", "capd1", ";tag=up", NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 481 ", 12) == 0);
	inject(f, req("BYE", "capd2", ";tag=up", NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 481 ", 12) == 0);
	/* the reserve (8 / 4) is spent */
	inject(f, req("BYE", "capd3", ";tag=up", NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 503 ", 12) == 0);
	/* Timer J frees them all: new work is taken again */
	sim_run(&f->sim, f->sim.now + 64 * 500 + 1000);
	inject(f, req("OPTIONS", "cap9", NULL, NULL, NULL));
	assert_true(strncmp(last(f), "SIP/2.0 200 ", 12) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rfc3261_8_2_1_unsupported_method_405_with_allow,
		                                setup_decline, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_8_2_2_1_unknown_uri_scheme_416, setup_decline,
		                                teardown),
		cmocka_unit_test_setup_teardown(rfc3261_8_2_2_2_merged_request_482, setup_take, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_8_2_2_3_require_420_with_unsupported,
		                                setup_decline, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_8_2_3_unsupported_content_415, setup_decline,
		                                teardown),
		cmocka_unit_test_setup_teardown(rfc3261_11_2_options_200_with_allow_accept_supported,
		                                setup_decline, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_12_2_2_unknown_dialog_481_and_ack_dropped,
		                                setup_decline, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_21_4_1_bad_request_400_with_reason, setup_decline,
		                                teardown),
		cmocka_unit_test_setup_teardown(rfc3261_16_3_max_forwards_zero_483_when_forwarding,
		                                setup_forwarding, teardown),
		cmocka_unit_test_setup_teardown(rfc4475_3_3_11_max_forwards_zero_endpoint_processes,
		                                setup_decline, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_9_2_cancel_200_then_487, setup_take, teardown),
		cmocka_unit_test_setup_teardown(rfc3261_9_2_cancel_200_with_the_invite_tag, setup_take,
		                                teardown),
		cmocka_unit_test_setup_teardown(rfc3581_4_response_to_source_port, setup_decline,
		                                teardown),
		cmocka_unit_test_setup_teardown(rfc3261_21_5_4_transaction_cap_503_with_dialog_reserve,
		                                setup_capped, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
