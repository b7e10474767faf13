/* POSIX and Linux interfaces (pthread types in uv.h, getrandom). */
#define _GNU_SOURCE
/* The libuv runtime: listeners, connections, the clock and the stack's timer.
 * This is the only place of the library that does I/O. */
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "runtime/rt.h"

static void rearm(struct sipd_runtime *rt);
static bool tls_progress(struct rt_conn *c);
static int tls_flush(struct rt_conn *c);

uint64_t sipd_runtime_now(struct sipd_runtime *rt)
{
	uv_update_time(rt->loop);
	return uv_now(rt->loop);
}

/* ---------------------------------------------------------------- addresses */

static void to_sockaddr(const struct sipd_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
	}
}

static void from_sockaddr(const struct sockaddr *sa, struct sipd_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		a->family = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->ip, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->ip, &s4->sin_addr, 4);
	}
}

int sipd_listen_spec_parse(const char *spec, struct sipd_local *out)
{
	memset(out, 0, sizeof *out);
	const char *colon = strchr(spec, ':');
	if (!colon)
		return SIPD_EINVAL;
	size_t tl = (size_t)(colon - spec);
	if (tl == 3 && !strncmp(spec, "udp", 3))
		out->transport = SIPD_TP_UDP;
	else if (tl == 3 && !strncmp(spec, "tcp", 3))
		out->transport = SIPD_TP_TCP;
	else if (tl == 3 && !strncmp(spec, "tls", 3))
		out->transport = SIPD_TP_TLS;
	else
		return SIPD_EINVAL;
	const char *host = colon + 1;
	const char *port = strrchr(host, ':');
	if (!port || port == host)
		return SIPD_EINVAL;
	if (host[0] == '[' ? port[-1] != ']' : memchr(host, ':', (size_t)(port - host)) != NULL)
		return SIPD_EINVAL; /* IPv6 only in brackets: "udp:[::1]:5060" */
	if (sipd_addr_parse(&out->addr, host, (size_t)(port - host)))
		return SIPD_EINVAL;
	char *end;
	unsigned long p = strtoul(port + 1, &end, 10);
	if (*end || p > 65535 || port[1] == 0)
		return SIPD_EINVAL;
	out->addr.port = (uint16_t)p;
	return 0;
}

/* ---------------------------------------------------------------- connections */

static void conn_handle_closed(uv_handle_t *h)
{
	struct rt_conn *c = h->data;
	if (--c->handles_open > 0)
		return;
	sipd_stream_free(&c->stream);
	free(c->pending);
	SSL_free(c->ssl); /* frees its BIOs too */
	free(c);
}

static void conn_close(struct rt_conn *c, bool tell_stack)
{
	if (c->closing)
		return;
	struct sipd_runtime *rt = c->rt;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		rt->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	rt->nconns--;
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
	if (tell_stack) {
		sipd_stack_conn_lost(rt->stack, c->id, sipd_runtime_now(rt));
		rearm(rt);
	}
}

static void idle_fired(uv_timer_t *t)
{
	conn_close(t->data, true);
}

static void touch(struct rt_conn *c)
{
	uv_timer_start(&c->idle, idle_fired, c->rt->idle_ms, 0);
}

static struct rt_conn *conn_new(struct sipd_runtime *rt, uint16_t local)
{
	if (rt->nconns >= rt->max_conns)
		return NULL;
	struct rt_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->rt = rt;
	c->id = ++rt->next_conn_id;
	c->local = local;
	sipd_stream_init(&c->stream, &rt->limits);
	uv_tcp_init(rt->loop, &c->tcp);
	uv_timer_init(rt->loop, &c->idle);
	c->tcp.data = c;
	c->idle.data = c;
	c->handles_open = 2;
	c->next = rt->conns;
	if (rt->conns)
		rt->conns->prev = c;
	rt->conns = c;
	rt->nconns++;
	return c;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct sipd_runtime *rt;
	if (h->type == UV_UDP)
		rt = ((struct rt_listener *)h->data)->rt;
	else
		rt = ((struct rt_conn *)h->data)->rt;
	/* One shared read buffer: the loop reads one thing at a time. UDP
	 * listeners read several datagrams a system call (recvmmsg) into a
	 * larger one, when there is one. */
	if (h->type == UV_UDP && rt->mbuf)
		*buf = uv_buf_init(rt->mbuf, MMSG_COUNT * READ_CAP);
	else
		*buf = uv_buf_init(rt->rbuf, sizeof rt->rbuf);
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	struct rt_conn *c = s->data;
	struct sipd_runtime *rt = c->rt;
	if (n < 0) {
		conn_close(c, true);
		return;
	}
	if (n == 0)
		return;
	touch(c);
	if (c->ssl) {
		if (BIO_write(c->rbio, rt->rbuf, (int)n) != (int)n || !tls_progress(c)) {
			conn_close(c, true);
			return;
		}
		int got;
		while ((got = SSL_read(c->ssl, rt->tbuf, sizeof rt->tbuf)) > 0) {
			if (sipd_stream_push(&c->stream, rt->tbuf, (size_t)got)) {
				conn_close(c, true);
				return;
			}
		}
		int e = SSL_get_error(c->ssl, got);
		tls_flush(c);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			conn_close(c, true); /* close_notify or a fatal alert */
			return;
		}
	} else if (sipd_stream_push(&c->stream, rt->rbuf, (size_t)n)) {
		conn_close(c, true); /* over the cap: §18.3 cannot resynchronise */
		return;
	}
	uint64_t now = sipd_runtime_now(rt);
	struct sipd_flow flow = {.transport = c->transport, .local = c->local, .conn = c->id,
	                         .remote = c->remote};
	for (int guard = 0; guard < 1000; guard++) {
		const char *m;
		size_t len;
		struct sipd_parse_error err;
		int rc = sipd_stream_next(&c->stream, &m, &len, &err);
		if (rc == SIPD_EAGAIN)
			break;
		if (rc) {
			conn_close(c, true);
			return;
		}
		if (rt->trace)
			rt->trace(rt->trace_user, false, &flow, m, len);
		sipd_stack_recv(rt->stack, &flow, m, len, now);
		if (c->closing)
			return;
	}
	rearm(rt);
}

struct write_req {
	uv_write_t req;
	char data[];
};

static void write_done(uv_write_t *w, int status)
{
	struct rt_conn *c = w->handle->data;
	free(w);
	if (status < 0 && status != UV_ECANCELED && !c->closing)
		conn_close(c, true);
}

static int raw_write(struct rt_conn *c, const char *data, size_t len)
{
	struct write_req *w = malloc(sizeof *w + len);
	if (!w)
		return SIPD_ENOMEM;
	memcpy(w->data, data, len);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done)) {
		free(w);
		return SIPD_EINVAL;
	}
	touch(c);
	return 0;
}

static int queue_pending(struct rt_conn *c, const char *data, size_t len)
{
	char *np = realloc(c->pending, c->pending_len + len);
	if (!np)
		return SIPD_ENOMEM;
	memcpy(np + c->pending_len, data, len);
	c->pending = np;
	c->pending_len += len;
	return 0;
}

/* TLS: what OpenSSL has to send goes out on the TCP connection. */
static int tls_flush(struct rt_conn *c)
{
	char buf[16384];
	int n;
	while ((n = BIO_read(c->wbio, buf, sizeof buf)) > 0)
		if (raw_write(c, buf, (size_t)n))
			return SIPD_EINVAL;
	return 0;
}

/* Sends SIP bytes on a connection: in the clear, through TLS, or queued
 * until the connection (and its handshake) is up. */
static int conn_send(struct rt_conn *c, const char *data, size_t len)
{
	if (c->closing)
		return SIPD_EINVAL;
	/* A peer that stopped reading: the connection goes (from the loop, not
	 * under the stack's send: the stack then hears of its loss as usual). */
	if (c->pending_len + c->tcp.write_queue_size + len > c->rt->max_conn_out) {
		uv_timer_start(&c->idle, idle_fired, 0, 0);
		return SIPD_ELIMIT;
	}
	if (!c->connected || (c->ssl && !c->handshaken))
		return queue_pending(c, data, len);
	if (!c->ssl)
		return raw_write(c, data, len);
	if (SSL_write(c->ssl, data, (int)len) <= 0)
		return SIPD_EINVAL;
	return tls_flush(c);
}

static void send_pending(struct rt_conn *c)
{
	char *p = c->pending;
	size_t n = c->pending_len;
	c->pending = NULL;
	c->pending_len = 0;
	if (n)
		conn_send(c, p, n);
	free(p);
}

/* Drives the handshake; false on a fatal TLS error (e.g. a certificate that
 * does not verify). */
static bool tls_progress(struct rt_conn *c)
{
	if (c->handshaken)
		return true;
	int rc = SSL_do_handshake(c->ssl);
	tls_flush(c);
	if (rc == 1) {
		c->handshaken = true;
		send_pending(c);
		return true;
	}
	int e = SSL_get_error(c->ssl, rc);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static int tls_attach(struct rt_conn *c, SSL_CTX *ctx, bool server)
{
	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		return SIPD_ENOMEM;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (server) {
		SSL_set_accept_state(c->ssl);
		return 0;
	}
	SSL_set_connect_state(c->ssl);
	/* §26.3.1: the server's certificate must match the name we resolved
	 * (sent as SNI too), or the address when we were given only that. */
	X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
	const char *name = c->rt->tls_name;
	if (name && name[0]) {
		SSL_set_tlsext_host_name(c->ssl, name);
		X509_VERIFY_PARAM_set1_host(param, name, 0);
	} else {
		X509_VERIFY_PARAM_set1_ip(param, c->remote.ip, c->remote.family == 6 ? 16 : 4);
	}
	return 0;
}

static void connected(uv_connect_t *req, int status)
{
	struct rt_conn *c = req->data;
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c, true);
		return;
	}
	c->connected = true;
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, conn_read);
	if (c->ssl) {
		if (!tls_progress(c))
			conn_close(c, true);
		return;
	}
	send_pending(c);
}

static struct rt_conn *conn_find(struct sipd_runtime *rt, uint64_t id, const struct sipd_addr *to,
                                 uint8_t transport)
{
	for (struct rt_conn *c = rt->conns; c; c = c->next)
		if ((id && c->id == id) ||
		    (!id && c->transport == transport && sipd_addr_equal(&c->remote, to)))
			return c;
	return NULL;
}

static int send_stream(struct sipd_runtime *rt, struct sipd_flow *flow, const char *data,
                       size_t len)
{
	/* §18.2.2 and §18.1: the flow's connection if it still exists, else one
	 * to the same address, else a new one. */
	struct rt_conn *c = flow->conn ? conn_find(rt, flow->conn, NULL, 0) : NULL;
	if (!c)
		c = conn_find(rt, 0, &flow->remote, flow->transport);
	if (c && !c->closing) {
		flow->conn = c->id;
		return conn_send(c, data, len);
	}
	if (flow->transport == SIPD_TP_TLS && !rt->tls_client)
		return SIPD_EINVAL;
	c = conn_new(rt, flow->local);
	if (!c)
		return SIPD_ELIMIT;
	flow->conn = c->id;
	c->remote = flow->remote;
	c->transport = flow->transport;
	if ((c->transport == SIPD_TP_TLS && tls_attach(c, rt->tls_client, false)) ||
	    queue_pending(c, data, len)) {
		conn_close(c, false);
		return SIPD_ENOMEM;
	}
	struct sockaddr_storage ss;
	to_sockaddr(&flow->remote, &ss);
	c->connect.data = c;
	if (uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&ss, connected)) {
		conn_close(c, false);
		return SIPD_EINVAL;
	}
	touch(c);
	return 0;
}

static void accepted(uv_stream_t *server, int status)
{
	struct rt_listener *l = server->data;
	struct sipd_runtime *rt = l->rt;
	if (status < 0)
		return;
	struct rt_conn *c = conn_new(rt, l->index);
	if (!c) {
		/* Over the cap: take the connection and close it at once. */
		uv_tcp_t *tmp = malloc(sizeof *tmp);
		if (!tmp)
			return;
		uv_tcp_init(rt->loop, tmp);
		if (uv_accept(server, (uv_stream_t *)tmp) == 0)
			uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
		else
			uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
		return;
	}
	if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
		conn_close(c, false);
		return;
	}
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl);
	from_sockaddr((struct sockaddr *)&ss, &c->remote);
	c->connected = true;
	c->transport = l->local.transport;
	if (c->transport == SIPD_TP_TLS && tls_attach(c, rt->tls_server, true)) {
		conn_close(c, false);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, conn_read);
	touch(c);
}

/* ---------------------------------------------------------------- UDP */

/* A datagram (with recvmmsg, one of several read at once: buf points at
 * it; the last call, with n 0, only gives the buffer back). */
static void udp_read(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                     unsigned flags)
{
	struct rt_listener *l = h->data;
	struct sipd_runtime *rt = l->rt;
	if (n <= 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	struct sipd_flow flow = {.transport = SIPD_TP_UDP, .local = l->index};
	from_sockaddr(from, &flow.remote);
	if (rt->trace)
		rt->trace(rt->trace_user, false, &flow, buf->base, (size_t)n);
	sipd_stack_recv(rt->stack, &flow, buf->base, (size_t)n, sipd_runtime_now(rt));
	rearm(rt);
}

static int send_udp(struct sipd_runtime *rt, const struct sipd_flow *flow, const char *data,
                    size_t len)
{
	if (flow->local >= rt->nlisten || rt->listeners[flow->local].local.transport != SIPD_TP_UDP)
		return SIPD_EINVAL;
	struct sockaddr_storage ss;
	to_sockaddr(&flow->remote, &ss);
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	/* A datagram socket rarely blocks; when it would, the packet is lost as
	 * on the network, and the transaction's retransmission covers it. */
	int rc = uv_udp_try_send(&rt->listeners[flow->local].h.udp, &b, 1, (struct sockaddr *)&ss);
	return rc >= 0 || rc == UV_EAGAIN ? 0 : SIPD_EINVAL;
}

/* ---------------------------------------------------------------- the stack's side */

static int rt_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	struct sipd_runtime *rt = user;
	int rc = SIPD_EINVAL;
	if (flow->transport == SIPD_TP_UDP)
		rc = send_udp(rt, flow, data, len);
	else if (flow->transport == SIPD_TP_TCP || flow->transport == SIPD_TP_TLS)
		rc = send_stream(rt, flow, data, len);
	if (rt->trace && rc == 0)
		rt->trace(rt->trace_user, true, flow, data, len);
	return rc;
}

static void fill_random(uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n <= 0)
			abort(); /* no randomness: tags and branches would be guessable */
		p += n;
		len -= (size_t)n;
	}
}

/* The system's strong random bytes, drawn a pool at a time: a call takes a
 * few tags and branches, each once a system call of its own. Bytes handed
 * out are wiped from the pool. */
static void rt_random(void *user, void *buf, size_t len)
{
	struct sipd_runtime *rt = user;
	if (len > sizeof rt->rpool / 2) {
		fill_random(buf, len);
		return;
	}
	if (rt->rpool_left < len) {
		fill_random(rt->rpool, sizeof rt->rpool);
		rt->rpool_left = sizeof rt->rpool;
	}
	uint8_t *from = rt->rpool + sizeof rt->rpool - rt->rpool_left;
	memcpy(buf, from, len);
	memset(from, 0, len);
	rt->rpool_left -= len;
}

/* The application's callbacks, with the runtime's user pointer swapped. */
static int fw_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct sipd_runtime *rt = user;
	return rt->app_cb.request ? rt->app_cb.request(rt->app_user, tx, req, from) : -1;
}

static void fw_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	struct sipd_runtime *rt = user;
	if (rt->app_cb.cancel)
		rt->app_cb.cancel(rt->app_user, inv, cancel);
}

static void fw_stray(void *user, const struct sipd_msg *resp, const struct sipd_flow *from)
{
	struct sipd_runtime *rt = user;
	if (rt->app_cb.stray_2xx)
		rt->app_cb.stray_2xx(rt->app_user, resp, from);
}

static void fw_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct sipd_runtime *rt = user;
	if (rt->app_cb.server_done)
		rt->app_cb.server_done(rt->app_user, tx, timeout);
}

static void fw_log(void *user, int level, const char *event, const char *detail)
{
	struct sipd_runtime *rt = user;
	if (rt->app_cb.log)
		rt->app_cb.log(rt->app_user, level, event, detail);
}

static void timer_fired(uv_timer_t *t)
{
	struct sipd_runtime *rt = t->data;
	sipd_stack_advance(rt->stack, sipd_runtime_now(rt));
	rearm(rt);
}

static void rearm(struct sipd_runtime *rt)
{
	uint64_t next = sipd_stack_next_deadline(rt->stack);
	if (next == UINT64_MAX) {
		uv_timer_stop(&rt->timer);
		return;
	}
	uint64_t now = uv_now(rt->loop);
	uv_timer_start(&rt->timer, timer_fired, next > now ? next - now : 0, 0);
}

void sipd_runtime_kick(struct sipd_runtime *rt)
{
	rearm(rt);
}

/* ---------------------------------------------------------------- life */

static int fail(char *errbuf, size_t errlen, const char *spec, const char *why, int code)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: %s", spec, why);
	return code;
}

static bool wants_tls(const struct sipd_runtime_config *cfg)
{
	for (size_t i = 0; i < cfg->nlisten; i++)
		if (!strncmp(cfg->listen[i], "tls:", 4))
			return true;
	return false;
}

/* TLS contexts: a server one with our certificate, a client one that verifies
 * peers unless told otherwise. TLS 1.2 at least. */
static int tls_setup(struct sipd_runtime *rt, const struct sipd_runtime_config *cfg, char *errbuf,
                     size_t errlen)
{
	if (!wants_tls(cfg))
		return 0;
	if (!cfg->tls_cert || !cfg->tls_key)
		return fail(errbuf, errlen, "tls", "a tls: listener needs a certificate and a key",
		            SIPD_EINVAL);
	rt->tls_server = SSL_CTX_new(TLS_server_method());
	rt->tls_client = SSL_CTX_new(TLS_client_method());
	if (!rt->tls_server || !rt->tls_client)
		return fail(errbuf, errlen, "tls", "cannot create a TLS context", SIPD_ENOMEM);
	SSL_CTX_set_min_proto_version(rt->tls_server, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(rt->tls_client, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(rt->tls_server, cfg->tls_cert) != 1)
		return fail(errbuf, errlen, cfg->tls_cert, "cannot load the certificate", SIPD_EINVAL);
	if (SSL_CTX_use_PrivateKey_file(rt->tls_server, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(rt->tls_server) != 1)
		return fail(errbuf, errlen, cfg->tls_key, "cannot load the key (or it does not match)",
		            SIPD_EINVAL);
	/* The same certificate serves as ours when we are the client. */
	SSL_CTX_use_certificate_chain_file(rt->tls_client, cfg->tls_cert);
	SSL_CTX_use_PrivateKey_file(rt->tls_client, cfg->tls_key, SSL_FILETYPE_PEM);
	if (!cfg->tls_insecure) {
		SSL_CTX_set_verify(rt->tls_client, SSL_VERIFY_PEER, NULL);
		int ok = cfg->tls_ca ? SSL_CTX_load_verify_locations(rt->tls_client, cfg->tls_ca, NULL)
		                     : SSL_CTX_set_default_verify_paths(rt->tls_client);
		if (ok != 1)
			return fail(errbuf, errlen, cfg->tls_ca ? cfg->tls_ca : "tls",
			            "cannot load the trusted certificates", SIPD_EINVAL);
	}
	return 0;
}

/* The address this host sends from by default in a family (the source the
 * kernel picks towards a documentation address: connecting a datagram socket
 * sends nothing), or the loopback address when there is no route at all. */
static void primary_address(struct sipd_addr *a)
{
	uint16_t port = a->port;
	struct sipd_addr probe;
	sipd_addr_parse(&probe, a->family == 6 ? "2001:db8::1" : "192.0.2.1",
	                a->family == 6 ? 11 : 9);
	probe.port = 9;
	struct sockaddr_storage ss;
	to_sockaddr(&probe, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	socklen_t sl = sizeof ss;
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, a->family == 6 ? sizeof(struct sockaddr_in6)
	                                                                 : sizeof(struct sockaddr_in)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl))
		sipd_addr_parse(a, a->family == 6 ? "::1" : "127.0.0.1", a->family == 6 ? 3 : 9);
	else
		from_sockaddr((struct sockaddr *)&ss, a);
	if (fd >= 0)
		close(fd);
	a->port = port;
}

static bool unspecified(const struct sipd_addr *a)
{
	static const uint8_t zero[16];
	return !memcmp(a->ip, zero, a->family == 6 ? 16 : 4);
}

static int open_listener(struct sipd_runtime *rt, size_t i, const char *spec, char *errbuf,
                         size_t errlen)
{
	struct rt_listener *l = &rt->listeners[i];
	l->rt = rt;
	l->index = (uint16_t)i;
	if (sipd_listen_spec_parse(spec, &l->local))
		return fail(errbuf, errlen, spec, "expected udp:, tcp: or tls: then HOST:PORT", SIPD_EINVAL);
	struct sockaddr_storage ss;
	to_sockaddr(&l->local.addr, &ss);
	int rc;
	if (l->local.transport == SIPD_TP_UDP) {
		/* several datagrams a system call when the system has recvmmsg
		 * (libuv falls back to one at a time where it has not) */
		if (!rt->mbuf)
			rt->mbuf = malloc(MMSG_COUNT * READ_CAP);
		uv_udp_init_ex(rt->loop, &l->h.udp,
		               (unsigned)ss.ss_family | (rt->mbuf ? UV_UDP_RECVMMSG : 0));
		l->h.udp.data = l;
		l->open = true;
		rc = uv_udp_bind(&l->h.udp, (struct sockaddr *)&ss, 0);
		if (!rc) {
			/* A burst of datagrams while the loop is busy would overflow
			 * the default receive buffer (about 200 kB) and be lost; ask
			 * for 4 MB (the kernel caps it at net.core.rmem_max). A
			 * refusal is not an error: retransmissions cover losses. */
			int size = 4 << 20;
			uv_recv_buffer_size((uv_handle_t *)&l->h.udp, &size);
			rc = uv_udp_recv_start(&l->h.udp, alloc_cb, udp_read);
		}
	} else { /* TCP, and TLS over it */
		uv_tcp_init(rt->loop, &l->h.tcp);
		l->h.tcp.data = l;
		l->open = true;
		rc = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&ss, 0);
		if (!rc)
			rc = uv_listen((uv_stream_t *)&l->h.tcp, 128, accepted);
	}
	if (rc)
		return fail(errbuf, errlen, spec, uv_strerror(rc), SIPD_EINVAL);
	/* the port actually bound, when 0 was asked */
	int sl = sizeof ss;
	if (l->local.transport == SIPD_TP_UDP)
		uv_udp_getsockname(&l->h.udp, (struct sockaddr *)&ss, &sl);
	else
		uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&ss, &sl);
	from_sockaddr((struct sockaddr *)&ss, &l->local.addr);
	/* bound to every address (0.0.0.0, ::): Via, Contact and SDP must
	 * name one a peer can reach instead */
	if (unspecified(&l->local.addr))
		primary_address(&l->local.addr);
	rt->locals[i] = l->local;
	return 0;
}

int sipd_runtime_create(const struct sipd_runtime_config *cfg, struct sipd_runtime **out,
                        char *errbuf, size_t errlen)
{
	*out = NULL;
	if (!cfg || cfg->size < sizeof *cfg || !cfg->nlisten || cfg->nlisten > MAX_LISTEN)
		return fail(errbuf, errlen, "runtime", "between 1 and 16 listeners needed", SIPD_EINVAL);
	/* A peer that closes its TCP or TLS connection must not kill the process
	 * on our next write (libuv leaves SIGPIPE as it finds it): the write fails
	 * with EPIPE instead. Only a default disposition is changed; a program
	 * that handles SIGPIPE itself keeps its handler. */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	struct sipd_runtime *rt = calloc(1, sizeof *rt);
	if (!rt)
		return SIPD_ENOMEM;
	if (cfg->loop) {
		rt->loop = cfg->loop;
	} else {
		uv_loop_init(&rt->own_loop);
		rt->loop = &rt->own_loop;
	}
	rt->idle_ms = (cfg->tcp_idle_timeout ? cfg->tcp_idle_timeout : 60) * 1000u;
	rt->max_conns = cfg->max_connections ? cfg->max_connections : 4096;
	rt->max_conn_out = cfg->max_conn_output ? cfg->max_conn_output : 1u << 20;
	rt->limits = cfg->stack.limits;
	uv_timer_init(rt->loop, &rt->timer);
	rt->timer.data = rt;
	int rc = tls_setup(rt, cfg, errbuf, errlen);
	if (!rc)
		rc = sipd_rt_dns_init(rt, cfg->dns_servers, errbuf, errlen);
	for (size_t i = 0; i < cfg->nlisten && !rc; i++, rt->nlisten++)
		rc = open_listener(rt, i, cfg->listen[i], errbuf, errlen);
	if (rc) {
		sipd_runtime_destroy(rt);
		return rc;
	}
	if (cfg->stack.cb)
		memcpy(&rt->app_cb, cfg->stack.cb,
		       cfg->stack.cb->size < sizeof rt->app_cb ? cfg->stack.cb->size : sizeof rt->app_cb);
	rt->app_user = cfg->stack.user;
	rt->trace = cfg->trace;
	rt->trace_user = cfg->trace_user;
	rt->cb = (struct sipd_stack_callbacks){
		.size = sizeof rt->cb,
		.send = rt_send,
		.request = fw_request,
		.cancel = fw_cancel,
		.stray_2xx = fw_stray,
		.server_done = fw_done,
		.log = fw_log,
	};
	struct sipd_stack_config sc = cfg->stack;
	sc.size = sizeof sc;
	sc.locals = rt->locals;
	sc.nlocals = rt->nlisten;
	sc.random = rt_random;
	sc.cb = &rt->cb;
	sc.user = rt;
	rt->stack = sipd_stack_create(&sc);
	if (!rt->stack) {
		sipd_runtime_destroy(rt);
		return fail(errbuf, errlen, "stack", "bad configuration or out of memory", SIPD_EINVAL);
	}
	*out = rt;
	return 0;
}

static void walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void sipd_runtime_destroy(struct sipd_runtime *rt)
{
	if (!rt)
		return;
	while (rt->conns)
		conn_close(rt->conns, false);
	sipd_rt_dns_close(rt);
	for (size_t i = 0; i < rt->nlisten + 1 && i < MAX_LISTEN; i++)
		if (rt->listeners[i].open && !uv_is_closing((uv_handle_t *)&rt->listeners[i].h))
			uv_close((uv_handle_t *)&rt->listeners[i].h, NULL);
	if (!uv_is_closing((uv_handle_t *)&rt->timer))
		uv_close((uv_handle_t *)&rt->timer, NULL);
	/* Let the closes finish (bounded: closing handles complete in one turn). */
	for (int i = 0; i < 4; i++)
		uv_run(rt->loop, UV_RUN_NOWAIT);
	sipd_stack_destroy(rt->stack);
	SSL_CTX_free(rt->tls_server);
	SSL_CTX_free(rt->tls_client);
	if (rt->loop == &rt->own_loop) {
		uv_walk(rt->loop, walk_close, NULL);
		uv_run(rt->loop, UV_RUN_DEFAULT);
		uv_loop_close(rt->loop);
	}
	free(rt->mbuf);
	free(rt);
}

int sipd_runtime_run(struct sipd_runtime *rt)
{
	rearm(rt);
	return uv_run(rt->loop, UV_RUN_DEFAULT);
}

void sipd_runtime_stop(struct sipd_runtime *rt)
{
	uv_stop(rt->loop);
}

struct sipd_stack *sipd_runtime_stack(struct sipd_runtime *rt)
{
	return rt->stack;
}

struct uv_loop_s *sipd_runtime_loop(struct sipd_runtime *rt)
{
	return rt->loop;
}

const struct sipd_local *sipd_runtime_local(struct sipd_runtime *rt, size_t i)
{
	return i < rt->nlisten ? &rt->locals[i] : NULL;
}

int sipd_runtime_flow(struct sipd_runtime *rt, const char *host, uint16_t port, uint8_t transport,
                      struct sipd_flow *out)
{
	memset(out, 0, sizeof *out);
	if (sipd_addr_parse(&out->remote, host, strlen(host)))
		return SIPD_EINVAL;
	out->transport = transport ? transport : SIPD_TP_UDP;
	out->remote.port = port ? port : sipd_default_port(out->transport);
	int local = sipd_stack_local_for(rt->stack, out->transport, out->remote.family);
	if (local < 0)
		return SIPD_ENOTFOUND;
	out->local = (uint16_t)local;
	return 0;
}
