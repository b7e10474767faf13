/* Helpers of the unit tests that resolve through RFC 3263 (header only, not
 * a test): a dnsmasq on 127.0.0.1 serving the records a test gives, started
 * and stopped by its PID, and a TCP port where nobody listens. */
#ifndef SIPD_TESTS_DNS_TEST_H
#define SIPD_TESTS_DNS_TEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

static pid_t dns_pid;
static int dns_port;

/* Starts dnsmasq with the records given (each a dnsmasq option) on a port
 * from `port_base` up, chosen by PID so that tests running side by side
 * differ. False when dnsmasq is not installed or does not start. */
static bool dns_start(const char *const *records, size_t n, int port_base)
{
	if (access("/usr/sbin/dnsmasq", X_OK) != 0)
		return false;
	dns_port = port_base + (int)(getpid() % 20000);
	char port[32];
	snprintf(port, sizeof port, "--port=%d", dns_port);
	const char *argv[64] = {"dnsmasq",
	                        "-k",
	                        "--conf-file=/dev/null",
	                        "--no-resolv",
	                        "--no-hosts",
	                        "--listen-address=127.0.0.1",
	                        "--bind-interfaces",
	                        "--local=/test/",
	                        "--user=root",
	                        "--pid-file",
	                        "-q",
	                        port};
	size_t a = 12;
	for (size_t i = 0; i < n && a < 62; i++)
		argv[a++] = records[i];
	argv[a] = NULL;
	dns_pid = fork();
	if (dns_pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execv("/usr/sbin/dnsmasq", (char *const *)argv);
		_exit(127);
	}
	usleep(300 * 1000);
	return dns_pid > 0 && waitpid(dns_pid, NULL, WNOHANG) == 0;
}

static void dns_stop(void)
{
	if (dns_pid > 0) {
		kill(dns_pid, SIGTERM);
		waitpid(dns_pid, NULL, 0);
		dns_pid = 0;
	}
}

/* A TCP port on 127.0.0.1 where nobody listens (bound, read, closed): a
 * connection there is refused. */
static unsigned dead_tcp_port(uv_loop_t *loop)
{
	uv_tcp_t probe;
	uv_tcp_init(loop, &probe);
	struct sockaddr_in sa;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_tcp_bind(&probe, (struct sockaddr *)&sa, 0);
	int sl = sizeof sa;
	uv_tcp_getsockname(&probe, (struct sockaddr *)&sa, &sl);
	uv_close((uv_handle_t *)&probe, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return ntohs(sa.sin_port);
}

#endif
