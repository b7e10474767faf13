/* Dialogs through the simulator: a forked INVITE (two early dialogs, two
 * 2xx, RFC 3261 §13.2.2.4), and a dialog snapshotted in one stack and ended
 * by another (the HA case). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/invite.h>

#include "sim.h"

/* ---- node 1 plays the far side: a UAS with dialogs, or a forking proxy */
struct far {
	struct sipd_dialogs *dialogs;
	bool fork;          /* answer every INVITE from two "branches" */
	bool late_fork;     /* the second branch's first word is its 2xx */
	int acks[2], byes, bye_500;
	int acks_with_creds, byes_with_creds; /* the INVITE's Proxy-Authorization */
	unsigned last_bye_code;
};
static struct far far;

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

static void respond(struct sim *sim, struct sipd_txn *tx, unsigned code, const char *tag)
{
	struct sipd_response r = {.size = sizeof r, .code = code,
	                          .to_tag = {tag, tag ? strlen(tag) : 0},
	                          .headers = {"Contact: <sip:b@10.0.0.2>\r\n", 27}};
	assert_int_equal(sipd_txn_respond(tx, &r, sim->now), 0);
}

#define CREDS "Digest username=\"a\", realm=\"r\", nonce=\"n1\", uri=\"sip:b@10.0.0.2\", response=\"0123456789abcdef0123456789abcdef\""

/* The request carries the Proxy-Authorization of invite_req(), once. */
static bool has_creds(const struct sipd_msg *m)
{
	const struct sipd_hdr *h = sipd_msg_find(m, SIPD_HDR_PROXY_AUTHORIZATION);
	return h && !sipd_msg_find_next(m, h) && sipd_str_eq(h->value, CREDS);
}

static int far_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *m)
{
	(void)node;
	if (m->method == SIPD_METHOD_ACK) {
		if (far.fork)
			far.acks[m->to.tag.len && m->to.tag.p[m->to.tag.len - 1] == 'B']++;
		far.acks_with_creds += has_creds(m);
		struct sipd_dialog *d = far.dialogs ? sipd_dialogs_match_request(far.dialogs, m) : NULL;
		if (d)
			sipd_dialog_confirm(d);
		return 0;
	}
	if (m->method == SIPD_METHOD_INVITE && !m->to.tag.len) {
		if (far.fork) {
			if (far.late_fork) {
				respond(sim, tx, 180, "forkA");
				respond(sim, tx, 200, "forkA");
				respond(sim, tx, 200, "forkB");
				return 0;
			}
			/* two branches behind a proxy: two early dialogs, two 2xx */
			respond(sim, tx, 180, "forkA");
			respond(sim, tx, 180, "forkB");
			respond(sim, tx, 200, "forkA");
			respond(sim, tx, 200, "forkB");
			respond(sim, tx, 200, "forkA"); /* a retransmission of A's 2xx */
			respond(sim, tx, 200, "forkB"); /* and of B's, as its BYE is out */
			return 0;
		}
		static const struct sipd_dialog_opts o = {.size = sizeof o,
		                                          .local_contact = {"sip:b@10.0.0.2", 14}};
		struct sipd_dialog *d;
		assert_int_equal(sipd_dialog_create_uas(far.dialogs, m, (struct sipd_str){"uas1", 4}, &o, &d), 0);
		respond(sim, tx, 200, "uas1");
		return 0;
	}
	if (m->method == SIPD_METHOD_BYE || m->method == SIPD_METHOD_INFO) {
		if (m->method == SIPD_METHOD_BYE) {
			far.byes++;
			far.byes_with_creds += has_creds(m);
		}
		if (far.fork) {
			respond(sim, tx, 200, NULL);
			return 0;
		}
		struct sipd_dialog *d = sipd_dialogs_match_request(far.dialogs, m);
		if (!d)
			return -1; /* the core's 481 */
		unsigned code = sipd_dialog_check_request(d, m);
		if (code) {
			far.bye_500++;
			respond(sim, tx, code, NULL);
			return 0;
		}
		sipd_dialog_take_request(d, m);
		respond(sim, tx, 200, NULL);
		if (m->method == SIPD_METHOD_BYE)
			sipd_dialog_terminate(d, SIPD_END_REMOTE_BYE);
		return 0;
	}
	return -1;
}

/* ---- node 0: the caller */
struct caller {
	int provisional, answered, forked, failed, done;
	struct sipd_dialog *early[4];
	int nearly;
	struct sipd_dialog *winner, *other;
};
static struct caller caller;

static void c_prov(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                   const struct sipd_msg *resp)
{
	(void)arg;
	(void)inv;
	(void)resp;
	caller.provisional++;
	if (d && caller.nearly < 4)
		caller.early[caller.nearly++] = d;
}

static void c_answered(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                       const struct sipd_msg *resp)
{
	(void)arg;
	(void)inv;
	(void)resp;
	caller.answered++;
	caller.winner = d;
}

static void c_forked(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
                     const struct sipd_msg *resp)
{
	(void)arg;
	(void)inv;
	(void)resp;
	caller.forked++;
	caller.other = d;
}

static void c_failed(void *arg, struct sipd_invite *inv, const struct sipd_msg *resp)
{
	(void)arg;
	(void)inv;
	(void)resp;
	caller.failed++;
}

static void c_done(void *arg, struct sipd_invite *inv)
{
	(void)arg;
	(void)inv;
	caller.done++;
}

static const struct sipd_invite_callbacks callbacks = {
	.size = sizeof callbacks, .provisional = c_prov, .answered = c_answered,
	.forked = c_forked, .failed = c_failed, .done = c_done};

static const char *invite_extra = ""; /* more header lines for invite_req() */

static struct sipd_request invite_req(struct sim *sim, const char *callid)
{
	static char hdrs[1024];
	snprintf(hdrs, sizeof hdrs,
	         "From: <sip:a@10.0.0.1>;tag=caller1\r\nTo: <sip:b@10.0.0.2>\r\n"
	         "Call-ID: %s\r\nCSeq: 100 INVITE\r\nMax-Forwards: 70\r\n"
	         "Contact: <sip:a@10.0.0.1>\r\n%s",
	         callid, invite_extra);
	struct sipd_request r = {.size = sizeof r, .method = {"INVITE", 6},
	                         .uri = {"sip:b@10.0.0.2", 14},
	                         .headers = {hdrs, strlen(hdrs)},
	                         .flow = sim_flow(sim, 0, 1, SIPD_TP_UDP)};
	return r;
}

static void run_fork(enum sipd_fork_policy policy)
{
	struct sim sim;
	sim_init(&sim, 77);
	sim.trace = getenv("SIM_TRACE") != NULL;
	struct sim_app far_app = {.request = far_request};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &far_app, NULL);
	memset(&far, 0, sizeof far);
	memset(&caller, 0, sizeof caller);
	far.fork = true;
	struct sipd_dialogs *t = new_table();
	struct sipd_request r = invite_req(&sim, "fork-1");
	struct sipd_invite_opts o = {.size = sizeof o,
	                             .dialog = {.size = sizeof o.dialog,
	                                        .local_contact = {"sip:a@10.0.0.1", 14}},
	                             .fork_policy = policy, .cb = &callbacks};
	assert_int_equal(sipd_invite_send(sim.nodes[0].st, t, &r, &o, sim.now, NULL), 0);
	sim_run(&sim, sim.now + 1000);
	/* two early dialogs, one per To tag */
	assert_int_equal(caller.provisional, 2);
	assert_int_equal(caller.nearly, 2);
	assert_ptr_not_equal(caller.early[0], caller.early[1]);
	/* the first 2xx confirmed A; every 2xx was ACKed, each fork's twice:
	 * the lost B's copy too, which came while B's BYE was out (§13.2.2.4:
	 * "an ACK request for each 2xx") */
	assert_int_equal(caller.answered, 1);
	assert_true(sipd_str_eq(sipd_dialog_remote_tag(caller.winner), "forkA"));
	assert_int_equal(sipd_dialog_state(caller.winner), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(far.acks[0], 2);
	assert_int_equal(far.acks[1], 2);
	if (policy == SIPD_FORK_BYE) {
		/* B was ended with a BYE; it goes once its BYE transaction is over */
		assert_int_equal(far.byes, 1);
		assert_int_equal(caller.forked, 0);
		struct sipd_dialog *b = sipd_dialogs_find(t, (struct sipd_str){"fork-1", 6},
		                                          (struct sipd_str){"caller1", 7},
		                                          (struct sipd_str){"forkB", 5});
		assert_non_null(b);
		assert_int_equal(sipd_dialog_state(b), SIPD_DIALOG_TERMINATED);
		assert_int_equal(sipd_dialog_reason(b), SIPD_END_FORK_LOST);
	} else {
		assert_int_equal(far.byes, 0);
		assert_int_equal(caller.forked, 1);
		assert_int_equal(sipd_dialog_state(caller.other), SIPD_DIALOG_CONFIRMED);
		assert_int_equal(sipd_dialogs_count(t), 2);
	}
	sim_run(&sim, UINT64_MAX); /* Timer M ends the INVITE */
	assert_int_equal(caller.done, 1);
	/* what stays: A, and B too when asked to keep it */
	assert_int_equal(sipd_dialogs_count(t), policy == SIPD_FORK_BYE ? 1 : 2);
	assert_int_equal(caller.failed, 0);
	sipd_dialogs_destroy(t);
	sim_free(&sim);
}

static void rfc3261_13_2_2_4_forked_2xx_acked_and_byed(void **state)
{
	(void)state;
	run_fork(SIPD_FORK_BYE);
}

/* §13.2.2.4: a fork whose first response is a 2xx after another fork won
 * gets a dialog all the same (made from the lines of our INVITE that the
 * INVITE client keeps), is ACKed, then BYEd. Each ACK carries
 * the INVITE's credentials ("The ACK MUST contain the same credentials as
 * the INVITE"), the winner's and the late fork's; the BYE none. */
static void rfc3261_13_2_2_4_late_fork_2xx_acked_and_byed(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 78);
	struct sim_app far_app = {.request = far_request};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &far_app, NULL);
	memset(&far, 0, sizeof far);
	memset(&caller, 0, sizeof caller);
	far.fork = far.late_fork = true;
	struct sipd_dialogs *t = new_table();
	invite_extra = "Proxy-Authorization: " CREDS "\r\nUser-Agent: test\r\n";
	struct sipd_request r = invite_req(&sim, "fork-2");
	invite_extra = "";
	struct sipd_invite_opts o = {.size = sizeof o,
	                             .dialog = {.size = sizeof o.dialog,
	                                        .local_contact = {"sip:a@10.0.0.1", 14}},
	                             .fork_policy = SIPD_FORK_BYE, .cb = &callbacks};
	assert_int_equal(sipd_invite_send(sim.nodes[0].st, t, &r, &o, sim.now, NULL), 0);
	sim_run(&sim, sim.now + 1000);
	assert_int_equal(caller.nearly, 1); /* B had no early dialog */
	assert_int_equal(caller.answered, 1);
	assert_true(sipd_str_eq(sipd_dialog_remote_tag(caller.winner), "forkA"));
	assert_int_equal(far.acks[0], 1);
	assert_int_equal(far.acks[1], 1);
	assert_int_equal(far.acks_with_creds, 2);
	assert_int_equal(far.byes, 1);
	assert_int_equal(far.byes_with_creds, 0);
	struct sipd_dialog *b = sipd_dialogs_find(t, (struct sipd_str){"fork-2", 6},
	                                          (struct sipd_str){"caller1", 7},
	                                          (struct sipd_str){"forkB", 5});
	assert_non_null(b);
	assert_int_equal(sipd_dialog_state(b), SIPD_DIALOG_TERMINATED);
	assert_int_equal(sipd_dialog_reason(b), SIPD_END_FORK_LOST);
	sim_run(&sim, UINT64_MAX);
	assert_int_equal(caller.done, 1);
	assert_int_equal(sipd_dialogs_count(t), 1);
	sipd_dialogs_destroy(t);
	sim_free(&sim);
}

static void rfc3261_13_2_2_4_forked_2xx_kept_on_request(void **state)
{
	(void)state;
	run_fork(SIPD_FORK_KEEP);
}

/* A dialog made in node 0, snapshotted, restored in node 2 (another stack,
 * another address): node 2's BYE has the right tags, CSeq and route, and node
 * 1 accepts it. A replayed snapshot BYE with the old CSeq gets 500. */
static unsigned bye_code;
static void bye_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                   const struct sipd_msg *resp)
{
	(void)arg;
	(void)tx;
	if (ev == SIPD_TXN_RESPONSE && resp->status >= 200)
		bye_code = resp->status;
}

/* Sends a request within d from node 2 and returns the final status. */
static unsigned send_in(struct sim *sim, struct sipd_dialog *d, const char *method)
{
	char buf[2048];
	struct sipd_request req;
	struct sipd_dialog_request dr = {.size = sizeof dr, .method = {method, strlen(method)}};
	assert_int_equal(sipd_dialog_request(d, &dr, buf, sizeof buf, &req, NULL), 0);
	req.flow = sim_flow(sim, 2, 1, SIPD_TP_UDP);
	bye_code = 0;
	assert_int_equal(sipd_stack_request(sim->nodes[2].st, &req, bye_cb, NULL, sim->now, NULL), 0);
	sim_run(sim, sim->now + 1000);
	return bye_code;
}

static void allow_info(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO";
}

static void dialog_snapshot_ended_by_another_stack(void **state)
{
	(void)state;
	struct sim sim;
	sim_init(&sim, 78);
	sim.trace = getenv("SIM_TRACE") != NULL;
	struct sim_app far_app = {.request = far_request};
	sim_add_node(&sim, NULL, NULL);
	sim_add_node(&sim, &far_app, allow_info);
	sim_add_node(&sim, NULL, NULL);
	memset(&far, 0, sizeof far);
	memset(&caller, 0, sizeof caller);
	far.dialogs = new_table();
	struct sipd_dialogs *t0 = new_table(), *t2 = new_table();
	struct sipd_request r = invite_req(&sim, "ha-1");
	struct sipd_invite_opts o = {.size = sizeof o,
	                             .dialog = {.size = sizeof o.dialog,
	                                        .local_contact = {"sip:a@10.0.0.1", 14}},
	                             .cb = &callbacks};
	assert_int_equal(sipd_invite_send(sim.nodes[0].st, t0, &r, &o, sim.now, NULL), 0);
	sim_run(&sim, sim.now + 1000);
	assert_int_equal(caller.answered, 1);
	struct sipd_dialog *far_d = sipd_dialogs_find(far.dialogs, (struct sipd_str){"ha-1", 4},
	                                              (struct sipd_str){"uas1", 4},
	                                              (struct sipd_str){"caller1", 7});
	assert_non_null(far_d);
	assert_int_equal(sipd_dialog_state(far_d), SIPD_DIALOG_CONFIRMED); /* the ACK came */

	uint8_t snap[1024];
	long n = sipd_dialog_snapshot(caller.winner, snap, sizeof snap);
	assert_true(n > 0);
	/* two other processes restore it: t2 and t3 */
	struct sipd_dialogs *t3 = new_table();
	struct sipd_dialog *d2, *d3;
	assert_int_equal(sipd_dialog_restore(t2, snap, (size_t)n, &d2), 0);
	assert_int_equal(sipd_dialog_restore(t3, snap, (size_t)n, &d3), 0);
	/* an INFO from the first: taken (CSeq 101) */
	assert_int_equal(send_in(&sim, d2, "INFO"), 200);
	/* the same CSeq from the second copy: out of order (§12.2.2) */
	assert_int_equal(send_in(&sim, d3, "INFO"), 500);
	assert_int_equal(far.bye_500, 1);
	/* the BYE from the first copy ends the dialog at the far end */
	assert_int_equal(send_in(&sim, d2, "BYE"), 200);
	assert_int_equal(sipd_dialog_state(far_d), SIPD_DIALOG_TERMINATED);
	assert_int_equal(sipd_dialog_reason(far_d), SIPD_END_REMOTE_BYE);
	sipd_dialogs_destroy(t3);
	sim_run(&sim, UINT64_MAX);
	sipd_dialogs_destroy(t0);
	sipd_dialogs_destroy(t2);
	sipd_dialogs_destroy(far.dialogs);
	sim_free(&sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_13_2_2_4_forked_2xx_acked_and_byed),
		cmocka_unit_test(rfc3261_13_2_2_4_late_fork_2xx_acked_and_byed),
		cmocka_unit_test(rfc3261_13_2_2_4_forked_2xx_kept_on_request),
		cmocka_unit_test(dialog_snapshot_ended_by_another_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
