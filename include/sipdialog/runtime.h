/* sipdialog — the runtime: a stack driven by a libuv event loop, with UDP,
 * TCP and TLS listeners and connections (RFC 3261 §18, §26), and RFC 3263
 * resolution through c-ares.
 *
 * The runtime owns the sockets, the clock and the one timer the stack needs;
 * the application keeps the callbacks of the stack (request, cancel, ...). A
 * program that has its own event loop uses the stack directly instead.
 */
#ifndef SIPDIALOG_RUNTIME_H
#define SIPDIALOG_RUNTIME_H

#include <sipdialog/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;
struct sipd_runtime;

struct sipd_runtime_config {
	size_t size; /* sizeof(struct sipd_runtime_config) */
	/* The loop to run on; NULL: the runtime makes its own. */
	struct uv_loop_s *loop;
	/* Listeners: "udp:HOST:PORT", "tcp:HOST:PORT", "tls:HOST:PORT"; IPv6
	 * hosts in brackets ("udp:[::1]:5060"). Port 0 picks a free port (see
	 * sipd_runtime_local). */
	const char *const *listen;
	size_t nlisten;
	/* Seconds a TCP connection may stay idle before it is closed; 0: 60. */
	uint32_t tcp_idle_timeout;
	/* Caps: TCP and TLS connections open at once (0: 4096). */
	uint32_t max_connections;
	/* TLS (RFC 3261 §26.2): our certificate chain and key (PEM files),
	 * required when a tls: listener is given. Peers we connect to are
	 * verified against tls_ca (a PEM file; NULL: the system's store) and
	 * the address or name we connect to, unless tls_insecure is set. */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
	bool tls_insecure;
	/* DNS servers for RFC 3263 resolution, "IP:PORT,IP:PORT"; NULL: the
	 * system's (resolv.conf). */
	const char *dns_servers;
	/* Called with every SIP message sent (`sent`) or received, whole and as
	 * it is on the wire (one datagram, or one message framed from a stream),
	 * before it is parsed; NULL: none. For tracing and ladder diagrams. */
	void (*trace)(void *user, bool sent, const struct sipd_flow *flow, const char *data,
	              size_t len);
	void *trace_user;
	/* The stack's configuration: everything but locals, nlocals, random and
	 * the send callback, which the runtime provides. The callbacks struct is
	 * the application's (its send member is ignored). */
	struct sipd_stack_config stack;
	/* Bytes queued for one TCP or TLS connection whose peer does not read
	 * them: a send beyond it fails (SIPD_ELIMIT) and the connection is
	 * closed, so that a stalled reader cannot grow our memory without
	 * bound. 0: 1 MiB. */
	uint32_t max_conn_output;
};

/* Creates the runtime, opens the listeners and creates the stack. Returns 0 and
 * *out, or a negative code with a message in errbuf (e.g. "udp:1.2.3.4:5060:
 * address not available"). SIGPIPE, when its disposition is the default, is
 * set to ignored so that a peer closing a connection is an error to handle
 * and not the end of the process. */
int sipd_runtime_create(const struct sipd_runtime_config *cfg, struct sipd_runtime **out,
                        char *errbuf, size_t errlen);
/* Closes every socket and frees everything. Sends nothing. */
void sipd_runtime_destroy(struct sipd_runtime *rt);
/* Runs the loop until sipd_runtime_stop() (or until nothing is left). */
int sipd_runtime_run(struct sipd_runtime *rt);
void sipd_runtime_stop(struct sipd_runtime *rt);

struct sipd_stack *sipd_runtime_stack(struct sipd_runtime *rt);
struct uv_loop_s *sipd_runtime_loop(struct sipd_runtime *rt);
/* The current time of the runtime's clock, in the stack's milliseconds. */
uint64_t sipd_runtime_now(struct sipd_runtime *rt);
/* The i-th listener's local address (with the port actually bound), as
 * Via, Contact and SDP name it: for a listener bound to every address
 * (0.0.0.0, ::), the address this host sends from by default in that family
 * (the loopback one when it has no route), the socket staying bound to all. */
const struct sipd_local *sipd_runtime_local(struct sipd_runtime *rt, size_t i);
/* After calling into the stack from outside a stack callback (e.g. from a
 * timer of the application), re-arm the runtime's timer. */
void sipd_runtime_kick(struct sipd_runtime *rt);

/* A flow to a numeric host (no DNS: see sipd_runtime_resolve) from the first
 * listener of that transport and family, for sipd_stack_request().
 * `transport` 0: UDP; `port` 0: 5060, or 5061 for TLS. Returns 0 or
 * SIPD_EINVAL / SIPD_ENOTFOUND (no listener of that transport and family).
 * Sending over TLS needs a tls: listener (its certificate and context). */
int sipd_runtime_flow(struct sipd_runtime *rt, const char *host, uint16_t port,
                      uint8_t transport, struct sipd_flow *out);

/* ---------------------------------------------------------------- RFC 3263 */

/* One place to send a request: transport, address and port, and the host name
 * it was found under (for TLS verification; "" when the URI was numeric). */
struct sipd_target {
	uint8_t transport;
	struct sipd_addr addr;
	char host[256];
};

#define SIPD_MAX_TARGETS 16

/* status 0 with the targets in the order to try them, or a negative code
 * (SIPD_ENOTFOUND: the name has no usable record). The targets are valid
 * during the call. */
typedef void (*sipd_resolve_cb)(void *arg, int status, const struct sipd_target *targets,
                                size_t n);

/* Resolves a SIP or SIPS URI as RFC 3263 §4 says: maddr, a numeric host, or
 * NAPTR then SRV then A/AAAA, keeping only transports we listen on. The
 * callback runs later from the loop, never inside this call. Returns 0 or
 * SIPD_EINVAL (not a sip/sips URI) / SIPD_ENOMEM. */
int sipd_runtime_resolve(struct sipd_runtime *rt, const struct sipd_uri *uri, sipd_resolve_cb cb,
                         void *arg);

/* Sends a request to what `target` resolves to, with failover (RFC 3263
 * §4.3): on a timeout, a transport error or a 503, the same request goes with
 * a new branch to the next target; the callback sees only the last attempt's
 * events (and one SIPD_TXN_TERMINATED). When no target could be tried at all
 * (resolution failed), the callback gets SIPD_TXN_TRANSPORT_ERROR with a NULL
 * response and a NULL transaction, then SIPD_TXN_TERMINATED. req->flow is
 * ignored. The request's text is copied. */
int sipd_runtime_request(struct sipd_runtime *rt, const struct sipd_request *req,
                         const struct sipd_uri *target, sipd_txn_cb cb, void *arg);

/* Parses a listener spec such as "tcp:[::1]:5060" into a local address. */
int sipd_listen_spec_parse(const char *spec, struct sipd_local *out);

#ifdef __cplusplus
}
#endif

#endif
