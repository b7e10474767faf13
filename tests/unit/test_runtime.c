/* The runtime on loopback: two runtimes on one libuv loop exchange requests
 * over UDP, TCP and TLS (RFC 3261 §18, §26.2). TLS verifies the peer by
 * default: a server whose certificate is not trusted is a transport error
 * (503 to the transaction user, §8.1.3.1). Bounded by a guard timer. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <uv.h>

#include <cmocka.h>

#include <sipdialog/runtime.h>

static char certdir[64];
static char cert[128], key[128], other_cert[128], other_key[128];

/* A self-signed certificate for 127.0.0.1, made with the openssl command. */
static void make_cert(const char *c, const char *k, const char *cn)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-subj /CN=%s -addext subjectAltName=IP:127.0.0.1 -days 2 "
	         "-keyout %s -out %s >/dev/null 2>&1",
	         cn, k, c);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(certdir, sizeof certdir, "/tmp/sipd-rt-XXXXXX");
	assert_non_null(mkdtemp(certdir));
	snprintf(cert, sizeof cert, "%s/cert.pem", certdir);
	snprintf(key, sizeof key, "%s/key.pem", certdir);
	snprintf(other_cert, sizeof other_cert, "%s/other.pem", certdir);
	snprintf(other_key, sizeof other_key, "%s/otherkey.pem", certdir);
	make_cert(cert, key, "server");
	make_cert(other_cert, other_key, "stranger");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cert);
	unlink(key);
	unlink(other_cert);
	unlink(other_key);
	rmdir(certdir);
	return 0;
}

struct result {
	int final_code;
	int events;
	bool transport_error;
	uv_loop_t *loop;
};

static void on_client(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                      const struct sipd_msg *resp)
{
	(void)tx;
	struct result *r = arg;
	r->events++;
	if ((ev == SIPD_TXN_RESPONSE && resp->status >= 200) || ev == SIPD_TXN_TIMEOUT ||
	    ev == SIPD_TXN_TRANSPORT_ERROR) {
		r->final_code = resp ? resp->status : -1;
		r->transport_error = ev == SIPD_TXN_TRANSPORT_ERROR;
		uv_stop(r->loop);
	}
}

static void guard_fired(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Sends one OPTIONS from a client runtime to a server runtime over `tp`. */
static struct result exchange(const char *server_spec, const char *client_spec, const char *host,
                              uint8_t tp, const char *ca, const char *client_cert,
                              const char *client_key)
{
	struct result res = {0};
	uv_loop_t loop;
	uv_loop_init(&loop);
	res.loop = &loop;
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb};
	const char *sl[] = {server_spec};
	const char *cl[] = {client_spec};
	struct sipd_runtime_config scfg = {.size = sizeof scfg,
	                                   .loop = &loop,
	                                   .listen = sl,
	                                   .nlisten = 1,
	                                   .tls_cert = cert,
	                                   .tls_key = key,
	                                   .stack = {.size = sizeof scfg.stack, .cb = &cb}};
	struct sipd_runtime_config ccfg = {.size = sizeof ccfg,
	                                   .loop = &loop,
	                                   .listen = cl,
	                                   .nlisten = 1,
	                                   .tls_cert = client_cert,
	                                   .tls_key = client_key,
	                                   .tls_ca = ca,
	                                   .stack = {.size = sizeof ccfg.stack, .cb = &cb}};
	struct sipd_runtime *srv, *cli;
	char err[256];
	if (sipd_runtime_create(&scfg, &srv, err, sizeof err)) {
		/* only where the address family is missing (no IPv6 loopback) */
		res.final_code = -2;
		uv_loop_close(&loop);
		return res;
	}
	assert_int_equal(sipd_runtime_create(&ccfg, &cli, err, sizeof err), 0);
	const struct sipd_local *sloc = sipd_runtime_local(srv, 0);
	struct sipd_flow flow;
	assert_int_equal(sipd_runtime_flow(cli, host, sloc->addr.port, tp, &flow), 0);
	static const char hdrs[] = "From: <sip:c@127.0.0.1>;tag=1\r\nTo: <sip:s@127.0.0.1>\r\n"
				   "Call-ID: rt-test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n";
	struct sipd_request req = {.size = sizeof req,
	                           .method = {"OPTIONS", 7},
	                           .uri = {"sip:s@127.0.0.1", 15},
	                           .headers = {hdrs, sizeof hdrs - 1},
	                           .flow = flow};
	assert_int_equal(sipd_stack_request(sipd_runtime_stack(cli), &req, on_client, &res,
	                                    sipd_runtime_now(cli), NULL),
	                 0);
	sipd_runtime_kick(cli);
	uv_timer_t guard;
	uv_timer_init(&loop, &guard);
	uv_timer_start(&guard, guard_fired, 10000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&guard, NULL);
	sipd_runtime_destroy(cli);
	sipd_runtime_destroy(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return res;
}

static void rfc3261_18_udp_options(void **state)
{
	(void)state;
	struct result r = exchange("udp:127.0.0.1:0", "udp:127.0.0.1:0", "127.0.0.1", SIPD_TP_UDP,
	                           NULL, NULL, NULL);
	assert_int_equal(r.final_code, 200);
}

static void rfc3261_18_tcp_options(void **state)
{
	(void)state;
	struct result r = exchange("tcp:127.0.0.1:0", "tcp:127.0.0.1:0", "127.0.0.1", SIPD_TP_TCP,
	                           NULL, NULL, NULL);
	assert_int_equal(r.final_code, 200);
}

static void rfc3261_18_ipv6_udp_options(void **state)
{
	(void)state;
	struct result r =
		exchange("udp:[::1]:0", "udp:[::1]:0", "::1", SIPD_TP_UDP, NULL, NULL, NULL);
	/* machines without IPv6 loopback cannot run this one */
	if (r.final_code == -2)
		skip();
	assert_int_equal(r.final_code, 200);
}

static void rfc3261_26_2_tls_options_verified(void **state)
{
	(void)state;
	/* the client trusts the server's certificate: the request goes through */
	struct result r = exchange("tls:127.0.0.1:0", "tls:127.0.0.1:0", "127.0.0.1", SIPD_TP_TLS,
	                           cert, other_cert, other_key);
	assert_int_equal(r.final_code, 200);
	assert_false(r.transport_error);
}

static void rfc3261_26_3_1_tls_untrusted_server_fails(void **state)
{
	(void)state;
	/* the client trusts only another certificate: the handshake fails and the
	 * transaction reports a transport error (503, §8.1.3.1) */
	struct result r = exchange("tls:127.0.0.1:0", "tls:127.0.0.1:0", "127.0.0.1", SIPD_TP_TLS,
	                           other_cert, other_cert, other_key);
	assert_true(r.transport_error);
	assert_int_equal(r.final_code, 503);
}

static void runtime_bad_listen_specs(void **state)
{
	(void)state;
	struct sipd_local l;
	assert_int_equal(sipd_listen_spec_parse("udp:127.0.0.1:5060", &l), 0);
	assert_int_equal(l.transport, SIPD_TP_UDP);
	assert_int_equal(l.addr.port, 5060);
	assert_int_equal(sipd_listen_spec_parse("tls:[::1]:5061", &l), 0);
	assert_int_equal(l.addr.family, 6);
	assert_int_equal(sipd_listen_spec_parse("sctp:127.0.0.1:5060", &l), SIPD_EINVAL);
	assert_int_equal(sipd_listen_spec_parse("udp:127.0.0.1", &l), SIPD_EINVAL);
	assert_int_equal(sipd_listen_spec_parse("udp:127.0.0.1:70000", &l), SIPD_EINVAL);
	assert_int_equal(sipd_listen_spec_parse("udp:::1:5060", &l), SIPD_EINVAL);
	assert_int_equal(sipd_listen_spec_parse("udp:host.example:5060", &l), SIPD_EINVAL);
	/* a tls listener without a certificate is refused with a message */
	const char *specs[] = {"tls:127.0.0.1:0"};
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb};
	struct sipd_runtime_config c = {.size = sizeof c,
	                                .listen = specs,
	                                .nlisten = 1,
	                                .stack = {.size = sizeof c.stack, .cb = &cb}};
	struct sipd_runtime *rt;
	char err[256];
	assert_int_not_equal(sipd_runtime_create(&c, &rt, err, sizeof err), 0);
	assert_non_null(strstr(err, "certificate"));
}

/* A peer that connects, takes our requests and never reads them: what we
 * queue for it is capped (max_conn_output); beyond the cap the send fails
 * as a transport error and the connection is closed, instead of our memory
 * growing for as long as the peer stalls. */
struct stall {
	int transport_errors, other;
	uv_loop_t *loop;
};

static void on_stalled(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                       const struct sipd_msg *resp)
{
	(void)tx;
	(void)resp;
	struct stall *s = arg;
	if (ev == SIPD_TXN_TRANSPORT_ERROR)
		s->transport_errors++;
	else if (ev == SIPD_TXN_RESPONSE)
		s->other++; /* nobody answers: a response would be wrong */
}

static void runtime_stalled_reader_is_cut_off(void **state)
{
	(void)state;
	/* the stalled peer: a plain socket that accepts and never reads, with
	 * the smallest receive buffer the system grants */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	int small = 4096;
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 1), 0);
	socklen_t sl = sizeof sa;
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct stall st = {.loop = &loop};
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb};
	const char *cl[] = {"tcp:127.0.0.1:0"};
	struct sipd_runtime_config ccfg = {.size = sizeof ccfg,
	                                   .loop = &loop,
	                                   .listen = cl,
	                                   .nlisten = 1,
	                                   .max_conn_output = 256 * 1024,
	                                   .stack = {.size = sizeof ccfg.stack, .cb = &cb}};
	struct sipd_runtime *cli;
	char err[256];
	assert_int_equal(sipd_runtime_create(&ccfg, &cli, err, sizeof err), 0);
	struct sipd_flow flow;
	assert_int_equal(sipd_runtime_flow(cli, "127.0.0.1", ntohs(sa.sin_port), SIPD_TP_TCP, &flow),
	                 0);
	static char body[60000];
	memset(body, 'x', sizeof body);
	char hdrs[256];
	/* far more than the kernel's buffers and the cap together: the sends
	 * fail before the end, each as a transport error */
	int refused = 0, sent = 0;
	for (int i = 0; i < 400 && !refused && !st.transport_errors; i++) {
		int n = snprintf(hdrs, sizeof hdrs,
		                 "From: <sip:c@127.0.0.1>;tag=1\r\nTo: <sip:s@127.0.0.1>\r\n"
		                 "Call-ID: stall-%d\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n",
		                 i);
		struct sipd_request req = {.size = sizeof req,
		                           .method = {"MESSAGE", 7},
		                           .uri = {"sip:s@127.0.0.1", 15},
		                           .headers = {hdrs, (size_t)n},
		                           .content_type = "text/plain",
		                           .body = {body, sizeof body},
		                           .flow = flow};
		if (sipd_stack_request(sipd_runtime_stack(cli), &req, on_stalled, &st,
		                       sipd_runtime_now(cli), NULL))
			refused++;
		else
			sent++;
		sipd_runtime_kick(cli);
		/* let the connection open and the writes drain into the kernel */
		for (int k = 0; k < 20; k++)
			uv_run(&loop, UV_RUN_NOWAIT);
	}
	int afd = accept(lfd, NULL, NULL); /* it was queued by the kernel all along */
	assert_true(afd >= 0);
	/* a few loop turns: the closed connection reported to the stack */
	for (int k = 0; k < 50; k++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_true(sent > 0);
	assert_true(refused + st.transport_errors > 0);
	assert_int_equal(st.other, 0);
	/* the peer sees the connection end: EOF after what was written */
	static char sink[65536];
	ssize_t got;
	size_t total = 0;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(afd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while ((got = read(afd, sink, sizeof sink)) > 0 && total < 64u << 20)
		total += (size_t)got;
	assert_int_equal(got, 0);
	close(afd);
	close(lfd);
	sipd_runtime_destroy(cli);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_18_udp_options),
		cmocka_unit_test(rfc3261_18_tcp_options),
		cmocka_unit_test(rfc3261_18_ipv6_udp_options),
		cmocka_unit_test(rfc3261_26_2_tls_options_verified),
		cmocka_unit_test(rfc3261_26_3_1_tls_untrusted_server_fails),
		cmocka_unit_test(runtime_bad_listen_specs),
		cmocka_unit_test(runtime_stalled_reader_is_cut_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
