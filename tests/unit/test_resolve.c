/* RFC 3263 resolution and failover through c-ares, against a dnsmasq this
 * test starts on 127.0.0.1 (and stops by its PID). Skipped when dnsmasq is
 * not installed. */
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

#include <sipdialog/runtime.h>

struct res {
	int status;
	size_t n;
	struct sipd_target t[SIPD_MAX_TARGETS];
	uv_loop_t *loop;
	int done;
};

static void on_resolved(void *arg, int status, const struct sipd_target *t, size_t n)
{
	struct res *r = arg;
	r->status = status;
	r->n = n;
	memcpy(r->t, t, n * sizeof *t);
	r->done++;
	uv_stop(r->loop);
}

static void guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static struct sipd_runtime *make_rt(uv_loop_t *loop, const char *const *listen, size_t n)
{
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb};
	char servers[64];
	snprintf(servers, sizeof servers, "127.0.0.1:%d", dns_port);
	struct sipd_runtime_config c = {.size = sizeof c,
	                                .loop = loop,
	                                .listen = listen,
	                                .nlisten = n,
	                                .dns_servers = servers,
	                                .stack = {.size = sizeof c.stack, .cb = &cb}};
	struct sipd_runtime *rt;
	char err[256];
	assert_int_equal(sipd_runtime_create(&c, &rt, err, sizeof err), 0);
	return rt;
}

static struct res resolve(struct sipd_runtime *rt, uv_loop_t *loop, const char *uri)
{
	struct res r = {.loop = loop, .status = 1};
	struct sipd_uri u;
	assert_int_equal(sipd_uri_parse(&u, uri, strlen(uri), NULL), 0);
	assert_int_equal(sipd_runtime_resolve(rt, &u, on_resolved, &r), 0);
	assert_int_equal(r.done, 0); /* never inside the call */
	uv_timer_t g;
	uv_timer_init(loop, &g);
	uv_timer_start(&g, guard, 8000, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&g, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_int_equal(r.done, 1);
	return r;
}

static bool ip_is(const struct sipd_target *t, const char *ip, uint16_t port, uint8_t tp)
{
	struct sipd_addr a;
	sipd_addr_parse(&a, ip, strlen(ip));
	a.port = port;
	return sipd_addr_equal(&t->addr, &a) && t->transport == tp;
}

static void rfc3263_4_naptr_srv_a_order(void **state)
{
	(void)state;
	static const char *const rec[] = {
		/* NAPTR: TCP preferred (order 10) over UDP (order 20) */
		"--naptr-record=example.test,20,10,s,SIP+D2U,,_sip._udp.example.test",
		"--naptr-record=example.test,10,10,s,SIP+D2T,,_sip._tcp.example.test",
		"--naptr-record=example.test,5,10,s,XMPP+D2T,,_xmpp._tcp.example.test",
		"--srv-host=_sip._tcp.example.test,tcp1.example.test,5070,10,0",
		"--srv-host=_sip._tcp.example.test,tcp2.example.test,5071,20,0",
		"--srv-host=_sip._udp.example.test,udp1.example.test,5080,10,0",
		"--host-record=tcp1.example.test,127.0.0.2",
		"--host-record=tcp2.example.test,127.0.0.3",
		"--host-record=udp1.example.test,127.0.0.4",
		/* no NAPTR: SRV per transport */
		"--srv-host=_sip._udp.srvonly.test,h.srvonly.test,5090,10,0",
		"--host-record=h.srvonly.test,127.0.0.5",
		/* neither: the host's address, UDP, 5060 */
		"--host-record=plain.test,127.0.0.6",
	};
	if (!dns_start(rec, sizeof rec / sizeof rec[0], 20000))
		skip();
	uv_loop_t loop;
	uv_loop_init(&loop);
	const char *listen[] = {"udp:127.0.0.1:0", "tcp:127.0.0.1:0"};
	struct sipd_runtime *rt = make_rt(&loop, listen, 2);

	struct res r = resolve(rt, &loop, "sip:alice@example.test");
	assert_int_equal(r.status, 0);
	assert_int_equal(r.n, 3);
	assert_true(ip_is(&r.t[0], "127.0.0.2", 5070, SIPD_TP_TCP)); /* NAPTR order, SRV priority */
	assert_true(ip_is(&r.t[1], "127.0.0.3", 5071, SIPD_TP_TCP));
	assert_true(ip_is(&r.t[2], "127.0.0.4", 5080, SIPD_TP_UDP));
	assert_string_equal(r.t[0].host, "tcp1.example.test");

	r = resolve(rt, &loop, "sip:bob@srvonly.test");
	assert_int_equal(r.status, 0);
	assert_int_equal(r.n, 1);
	assert_true(ip_is(&r.t[0], "127.0.0.5", 5090, SIPD_TP_UDP));

	r = resolve(rt, &loop, "sip:carol@plain.test");
	assert_int_equal(r.n, 1);
	assert_true(ip_is(&r.t[0], "127.0.0.6", 5060, SIPD_TP_UDP)); /* §4.2 defaults */

	/* an explicit port: A/AAAA only, UDP (§4.2) */
	r = resolve(rt, &loop, "sip:carol@example.test:5099");
	assert_int_equal(r.status, SIPD_ENOTFOUND); /* example.test has no address */
	r = resolve(rt, &loop, "sip:carol@plain.test:5099");
	assert_true(ip_is(&r.t[0], "127.0.0.6", 5099, SIPD_TP_UDP));
	/* an explicit transport: SRV of that transport only (§4.1) */
	r = resolve(rt, &loop, "sip:alice@example.test;transport=udp");
	assert_int_equal(r.n, 1);
	assert_true(ip_is(&r.t[0], "127.0.0.4", 5080, SIPD_TP_UDP));
	/* maddr overrides the host (§4.1) */
	r = resolve(rt, &loop, "sip:alice@example.test;maddr=127.0.0.9");
	assert_true(ip_is(&r.t[0], "127.0.0.9", 5060, SIPD_TP_UDP));
	/* numeric, no DNS */
	r = resolve(rt, &loop, "sip:x@127.0.0.7:5062;transport=tcp");
	assert_true(ip_is(&r.t[0], "127.0.0.7", 5062, SIPD_TP_TCP));
	/* nothing at all */
	r = resolve(rt, &loop, "sip:nobody@nothing.test");
	assert_int_equal(r.status, SIPD_ENOTFOUND);
	assert_int_equal(r.n, 0);

	sipd_runtime_destroy(rt);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	dns_stop();
}

/* §4.3: a transport error on the first target, the request goes to the next */
struct fo {
	int final_code, terminated, events;
	uv_loop_t *loop;
};

static void fo_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                  const struct sipd_msg *resp)
{
	(void)tx;
	struct fo *f = arg;
	f->events++;
	if (ev == SIPD_TXN_RESPONSE && resp->status >= 200)
		f->final_code = resp->status;
	if (ev == SIPD_TXN_TERMINATED) {
		f->terminated++;
		uv_stop(f->loop);
	}
}

static void rfc3263_4_3_failover_to_next_target(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	/* the live server, on UDP */
	const char *slisten[] = {"udp:127.0.0.1:0"};
	dns_port = 0;
	struct sipd_runtime *srv = make_rt(&loop, slisten, 1);
	uint16_t live = sipd_runtime_local(srv, 0)->addr.port;
	unsigned dead = dead_tcp_port(&loop); /* nobody listens there */

	char srv1[128], srv2[128];
	snprintf(srv1, sizeof srv1, "--srv-host=_sip._tcp.fo.test,dead.fo.test,%u,10,0", dead);
	snprintf(srv2, sizeof srv2, "--srv-host=_sip._udp.fo.test,live.fo.test,%u,10,0", live);
	const char *rec[] = {
		"--naptr-record=fo.test,10,10,s,SIP+D2T,,_sip._tcp.fo.test",
		"--naptr-record=fo.test,20,10,s,SIP+D2U,,_sip._udp.fo.test",
		srv1,
		srv2,
		"--host-record=dead.fo.test,127.0.0.1",
		"--host-record=live.fo.test,127.0.0.1",
	};
	if (!dns_start(rec, sizeof rec / sizeof rec[0], 20000)) {
		sipd_runtime_destroy(srv);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		skip();
	}
	const char *clisten[] = {"udp:127.0.0.1:0", "tcp:127.0.0.1:0"};
	struct sipd_runtime *cli = make_rt(&loop, clisten, 2);

	static const char hdrs[] = "From: <sip:c@127.0.0.1>;tag=1\r\nTo: <sip:s@fo.test>\r\n"
				   "Call-ID: fo-test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n";
	struct sipd_request req = {.size = sizeof req,
	                           .method = {"OPTIONS", 7},
	                           .uri = {"sip:s@fo.test", 13},
	                           .headers = {hdrs, sizeof hdrs - 1}};
	struct sipd_uri target;
	assert_int_equal(sipd_uri_parse(&target, "sip:s@fo.test", 13, NULL), 0);
	struct fo f = {.loop = &loop};
	assert_int_equal(sipd_runtime_request(cli, &req, &target, fo_cb, &f), 0);
	uv_timer_t g;
	uv_timer_init(&loop, &g);
	uv_timer_start(&g, guard, 10000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&g, NULL);
	assert_int_equal(f.final_code, 200); /* from the second target */
	assert_int_equal(f.terminated, 1);   /* one end, for the user */
	/* two attempts went out: TCP to the dead port first (NAPTR order 10),
	 * then UDP to the live one */
	struct sipd_stack_stats st;
	sipd_stack_stats(sipd_runtime_stack(cli), &st);
	assert_int_equal(st.tx_messages, 2);
	sipd_runtime_destroy(cli);
	sipd_runtime_destroy(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	dns_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3263_4_naptr_srv_a_order),
		cmocka_unit_test(rfc3263_4_3_failover_to_next_target),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	dns_stop();
	return rc;
}
