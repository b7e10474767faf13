/* Internal to the runtime: its objects, shared by runtime.c and resolve.c. */
#ifndef SIPD_RUNTIME_RT_H
#define SIPD_RUNTIME_RT_H

#include <ares.h>
#include <openssl/ssl.h>
#include <uv.h>

#include <sipdialog/runtime.h>

#define MAX_LISTEN 16
#define READ_CAP 65536
#define MMSG_COUNT 16 /* datagrams read by one recvmmsg() */

struct rt_listener {
	struct sipd_runtime *rt;
	uint16_t index;
	struct sipd_local local;
	union {
		uv_udp_t udp;
		uv_tcp_t tcp;
	} h;
	bool open;
};

/* A TCP connection, accepted or opened by us. */
struct rt_conn {
	struct rt_conn *next, *prev;
	struct sipd_runtime *rt;
	uint64_t id;
	uint16_t local; /* listener index */
	struct sipd_addr remote;
	uv_tcp_t tcp;
	uv_timer_t idle;
	uv_connect_t connect;
	bool connected, closing;
	struct sipd_stream stream;
	/* bytes waiting for the connection (or its TLS handshake) to open */
	char *pending;
	size_t pending_len;
	int handles_open;
	uint8_t transport; /* SIPD_TP_TCP or SIPD_TP_TLS */
	SSL *ssl;          /* TLS: the session, over memory BIOs */
	BIO *rbio, *wbio;
	bool handshaken;
};

/* The DNS resolver: a c-ares channel driven by libuv polls and a timer. */
#define DNS_MAX_SOCKETS 16
struct rt_dns_poll {
	uv_poll_t poll;
	ares_socket_t fd; /* ARES_SOCKET_BAD when free */
	struct sipd_runtime *rt;
};

struct rt_dns {
	ares_channel channel;
	bool ready;
	uv_timer_t timer;
	struct rt_dns_poll polls[DNS_MAX_SOCKETS];
	int inflight; /* resolutions under way */
};

struct sipd_runtime {
	uv_loop_t own_loop;
	uv_loop_t *loop;
	uv_timer_t timer;
	struct sipd_stack *stack;
	struct sipd_stack_callbacks app_cb; /* the application's, minus send */
	struct sipd_stack_callbacks cb;     /* what the stack calls */
	void *app_user;
	void (*trace)(void *user, bool sent, const struct sipd_flow *flow, const char *data,
	              size_t len);
	void *trace_user;
	struct rt_listener listeners[MAX_LISTEN];
	struct sipd_local locals[MAX_LISTEN];
	size_t nlisten;
	struct rt_conn *conns;
	uint32_t nconns, max_conns;
	size_t max_conn_out; /* bytes queued for one connection at most */
	uint64_t next_conn_id;
	uint32_t idle_ms;
	struct sipd_parse_limits limits;
	SSL_CTX *tls_server, *tls_client;
	struct rt_dns dns;
	/* The host name a request being sent now was resolved from: a new TLS
	 * connection checks the server's certificate against it (RFC 3263). */
	const char *tls_name;
	char rbuf[READ_CAP];
	char tbuf[READ_CAP]; /* TLS plaintext */
	/* UDP: room for MMSG_COUNT datagrams, read with one recvmmsg() */
	char *mbuf;
	/* random bytes drawn ahead from the system (rt_random) */
	uint8_t rpool[512];
	size_t rpool_left;
	bool rbuf_busy;
};

int sipd_rt_dns_init(struct sipd_runtime *rt, const char *servers, char *errbuf, size_t errlen);
void sipd_rt_dns_close(struct sipd_runtime *rt);

#endif
