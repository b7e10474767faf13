/* sipdialog — the stack: transactions (RFC 3261 §17, RFC 6026) and the UA core
 * (§8), sans-IO.
 *
 * A stack never opens a socket, reads a clock or starts a thread. The host feeds
 * it what arrived (sipd_stack_recv), tells it the time (sipd_stack_advance) and
 * asks when to call again (sipd_stack_next_deadline); bytes to send leave
 * through the `send` callback. Everything the application must decide arrives
 * through the callbacks struct, with one `user` pointer.
 *
 * Times are milliseconds of a monotonic clock, chosen by the host.
 */
#ifndef SIPDIALOG_STACK_H
#define SIPDIALOG_STACK_H

#include <sipdialog/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- addresses */

enum sipd_transport {
	SIPD_TP_NONE = 0,
	SIPD_TP_UDP,
	SIPD_TP_TCP,
	SIPD_TP_TLS,
};

/* An IP address and port, in network byte order bytes (v4: the first 4). */
struct sipd_addr {
	uint8_t family; /* 4 or 6 */
	uint16_t port;
	uint8_t ip[16];
};

/* Where a message came from or goes to. `conn` names a connection of the host
 * (TCP/TLS), 0 for datagrams or "open one as needed". `local` is the index of
 * the local address (listener) in the stack's configuration. */
struct sipd_flow {
	uint8_t transport; /* enum sipd_transport */
	uint16_t local;
	struct sipd_addr remote;
	uint64_t conn;      /* last: the struct packs into 32 bytes */
};

/* Formats an address as "1.2.3.4" or "::1" (without brackets) into out.
 * Returns the length, or SIPD_ENOSPC. */
int sipd_addr_format(const struct sipd_addr *a, char *out, size_t cap);
/* Parses a numeric IPv4 or IPv6 address (brackets allowed); port left 0. */
int sipd_addr_parse(struct sipd_addr *a, const char *s, size_t len);
bool sipd_addr_equal(const struct sipd_addr *a, const struct sipd_addr *b);
/* The port a URI or Via without one means: 5061 for TLS, else 5060
 * (§19.1.2, §18.2.2). */
uint16_t sipd_default_port(uint8_t transport);

/* What RFC 3263 §4.1-§4.2 takes from a SIP or SIPS URI before any lookup:
 * the host to resolve (maddr, when present, instead of the host), the
 * transport its parameter names (TLS for "tcp" in a SIPS URI) and its port;
 * and when that host is a numeric address, where to send: over the named
 * transport (else TLS for sips, UDP for sip), to the URI's port (else 5060,
 * or 5061 for TLS). */
struct sipd_uri_hop {
	struct sipd_str host;
	uint8_t transport;      /* named by the URI; 0: none */
	uint16_t port;          /* the URI's; 0: none */
	bool sips;
	bool numeric;           /* the host is an address: the two below are set */
	uint8_t addr_transport; /* numeric: the transport to use */
	struct sipd_addr addr;  /* numeric: the address, with the port to use */
};
/* Returns 0, or SIPD_EINVAL for a URI that is not sip or sips, or names a
 * transport we do not have (SCTP, WS...). */
int sipd_uri_hop(const struct sipd_uri *u, struct sipd_uri_hop *out);

/* A local address the stack sends from and advertises in Via and Contact. */
struct sipd_local {
	uint8_t transport;   /* enum sipd_transport */
	struct sipd_addr addr;
	const char *host;    /* advertised host (NULL: the address) */
};

/* ---------------------------------------------------------------- objects */

struct sipd_stack;
struct sipd_txn; /* a transaction, client or server */

/* ---------------------------------------------------------------- callbacks */

/* What a client transaction reports to its user. */
enum sipd_txn_event {
	SIPD_TXN_RESPONSE = 1, /* a response arrived (provisional or final) */
	SIPD_TXN_TIMEOUT,      /* Timer B or F fired: treat as 408 (§8.1.3.1) */
	SIPD_TXN_TRANSPORT_ERROR, /* the request could not be sent: treat as 503 */
	SIPD_TXN_TERMINATED,   /* the transaction is gone; the pointer dies now */
};

/* For a client transaction: `resp` is the response for SIPD_TXN_RESPONSE, and
 * for TIMEOUT / TRANSPORT_ERROR a response the stack made up (408 / 503) so
 * that the user can treat every outcome the same way. Valid during the call. */
typedef void (*sipd_txn_cb)(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                            const struct sipd_msg *resp);

struct sipd_stack_callbacks {
	size_t size; /* sizeof(struct sipd_stack_callbacks) */

	/* Bytes to send on a flow. Returns 0, or a negative code when the send
	 * failed at once (the transaction then reports a transport error). When
	 * flow->conn is 0 on a stream transport, the host opens (or reuses) a
	 * connection and writes its id into flow->conn, so that the transaction
	 * learns of its loss (sipd_stack_conn_lost) and later sends reuse it. */
	int (*send)(void *user, struct sipd_flow *flow, const char *data, size_t len);

	/* A new request that passed the UA core's checks (§8.2). `tx` is its server
	 * transaction (NULL for an ACK, which has none). The application answers
	 * with sipd_txn_respond(), now or later. Return 0 when taken; a negative
	 * value declines it and the core answers as the RFC says (481 within a
	 * dialog, 200 to OPTIONS, 405 with Allow otherwise; methods not in the
	 * configured Allow never get here: 405, or 501 when unknown). */
	int (*request)(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
	               const struct sipd_flow *from);

	/* A CANCEL matched this INVITE server transaction; the core has already
	 * answered it 200 (§9.2). The application should end the INVITE with 487
	 * unless it has sent a final response. */
	void (*cancel)(void *user, struct sipd_txn *invite, const struct sipd_msg *cancel);

	/* A 2xx to an INVITE that matches no client transaction any more (a
	 * retransmission, or another fork's 2xx after Timer M): the dialog layer
	 * must ACK it (§13.2.2.4, RFC 6026). */
	void (*stray_2xx)(void *user, const struct sipd_msg *resp, const struct sipd_flow *from);

	/* A server transaction ended (its pointer dies after this call). For an
	 * INVITE answered with a non-2xx, `timeout` tells that Timer H fired
	 * without an ACK. */
	void (*server_done)(void *user, struct sipd_txn *tx, bool timeout);

	/* Diagnostics: level 0 error .. 3 debug, and a static event name. */
	void (*log)(void *user, int level, const char *event, const char *detail);
};

/* ---------------------------------------------------------------- configuration */

struct sipd_stack_config {
	size_t size; /* sizeof(struct sipd_stack_config) */
	uint32_t t1, t2, t4;   /* ms; 0: 500, 4000, 5000 (§17.1.1.1, table 4) */
	struct sipd_parse_limits limits;
	uint32_t max_transactions;  /* 0: 100000; beyond it new requests get 503 with
	                               Retry-After; requests within a dialog and CANCEL
	                               only beyond a quarter more */
	const struct sipd_local *locals;
	size_t nlocals;
	/* Methods the application handles, for Allow and 405 (§8.2.1).
	 * NULL: INVITE, ACK, BYE, CANCEL, OPTIONS. */
	const char *allow;
	const char *accept;    /* Accept for OPTIONS and 415; NULL: application/sdp */
	const char *supported; /* option tags we support (§8.2.2.3); NULL: none */
	const char *user_agent; /* Server / User-Agent value; NULL: none */
	/* A forwarding element (B2BUA) answers Max-Forwards 0 with 483; an
	 * endpoint processes such a request normally (RFC 4475 §3.3.11). */
	bool forwarding;
	/* Requests within a dialog go to its next hop (§12.2.1.1: the first
	 * route, else the remote target; see sipd_stack_dialog_flow). Set, they
	 * go instead where the peer's messages come from: for peers behind a NAT
	 * that advertise a Contact no one can reach (the RFC 3581 idea, applied
	 * to requests). */
	bool dialog_to_source;
	/* Fills buf with len cryptographically strong random bytes. Required. */
	void (*random)(void *user, void *buf, size_t len);
	const struct sipd_stack_callbacks *cb;
	void *user;
};

/* Creates a stack. Returns NULL on a bad configuration (no send callback or
 * random source) or when memory runs out. The caller frees it with
 * sipd_stack_destroy(). */
struct sipd_stack *sipd_stack_create(const struct sipd_stack_config *cfg);
/* Frees the stack and every transaction. Each transaction ends first as it
 * would in time: a client transaction's callback gets SIPD_TXN_TERMINATED and
 * server_done is called for a server one (timeout false), so that their owners
 * can let go of what hangs from them. In those callbacks nothing is sent and
 * no request starts (SIPD_ESTATE). Stack timers are dropped without firing. */
void sipd_stack_destroy(struct sipd_stack *st);

/* A datagram, or one whole message from a stream (see sipd_stream). A request
 * that frames and has its core headers (sipd_msg_parse) but fails the full
 * check (sipd_msg_check) is answered statelessly with the status the fault
 * calls for (400 with the reason as phrase, 501...). A message that cannot be
 * parsed that far (a bad start line, an unsupported version, a bad Via, From,
 * To, Call-ID or CSeq) cannot be answered and is dropped. Both are counted
 * (rx_bad). Returns 0, or a negative code for a message dropped. */
int sipd_stack_recv(struct sipd_stack *st, const struct sipd_flow *from, const char *data,
                    size_t len, uint64_t now);
/* Runs the timers due at `now`. Returns the next deadline (UINT64_MAX: none). */
uint64_t sipd_stack_advance(struct sipd_stack *st, uint64_t now);
uint64_t sipd_stack_next_deadline(const struct sipd_stack *st);
/* A connection of the host failed or closed: transactions that use it fail
 * with a transport error (§8.1.3.1, §18.4). */
void sipd_stack_conn_lost(struct sipd_stack *st, uint64_t conn, uint64_t now);

/* Timers for the layers above the transactions (dialogs, sessions,
 * subscriptions): they live in the stack's one heap, fire from
 * sipd_stack_advance(), and count in sipd_stack_next_deadline(). Embed one
 * where it is needed; init once, then arm and cancel as often as needed. The
 * callback may arm it again. */
struct sipd_stack_timer {
	struct sipd_timer base; /* the stack's */
	void (*cb)(void *arg, struct sipd_stack_timer *t, uint64_t now);
	void *arg;
};
void sipd_stack_timer_init(struct sipd_stack_timer *t,
                           void (*cb)(void *arg, struct sipd_stack_timer *t, uint64_t now),
                           void *arg);
/* Arms (or re-arms) the timer at the absolute time `at`. SIPD_ENOMEM when the
 * heap cannot grow. */
int sipd_stack_timer_arm(struct sipd_stack *st, struct sipd_stack_timer *t, uint64_t at);
/* Disarms it; harmless when not armed. Must be called before the memory of an
 * armed timer goes. */
void sipd_stack_timer_cancel(struct sipd_stack *st, struct sipd_stack_timer *t);
bool sipd_stack_timer_armed(const struct sipd_stack_timer *t);

/* The time given to the entry point now running (recv, advance, request...):
 * what a callback uses when it calls back into the stack. */
uint64_t sipd_stack_now(const struct sipd_stack *st);

/* Counters, for tests and statistics. */
struct sipd_stack_stats {
	uint64_t rx_messages, rx_dropped, rx_bad, retransmissions_absorbed;
	uint64_t tx_messages, tx_retransmissions;
	uint32_t client_txns, server_txns; /* alive now */
	uint64_t responses_by_class[7];   /* sent, index = code / 100 */
};
void sipd_stack_stats(const struct sipd_stack *st, struct sipd_stack_stats *out);

/* ---------------------------------------------------------------- client transactions */

/* A request to send. The stack writes the request line and its own Via (with
 * a fresh branch and rport), then `headers` as given (each line ending in CRLF:
 * From, To, Call-ID, CSeq, Max-Forwards, Contact, Route...), then Content-Type
 * (when content_type is set), Content-Length and the body. */
struct sipd_request {
	size_t size;
	struct sipd_str method;
	struct sipd_str uri;
	struct sipd_str headers;
	const char *content_type;
	struct sipd_str body;
	struct sipd_flow flow; /* where to send it (resolved by the caller) */
};

/* The index of the first local address with this transport and address
 * family (4 or 6), or -1. */
int sipd_stack_local_for(const struct sipd_stack *st, uint8_t transport, uint8_t family);

/* The flow of a request within a dialog (§12.2.1.1, §18.1.1): to
 * `next_hop`, the URI sipd_dialog_request() names, when its host is numeric
 * (RFC 3263 §4.2) and a local address has its transport and family; else
 * (a host name, which is the host's to resolve, or no such local address)
 * where `peer` goes: the address the peer's messages come from or the
 * dialog's first request went to. Over the same stream transport to the same
 * address, `peer`'s connection is kept; over UDP conn is 0. With
 * dialog_to_source set, `peer` always. `secure`: the dialog's Request-URI
 * is a SIPS one (sipd_dialog_secure), so the next hop is reached as if it
 * were a SIPS URI, over TLS (§8.1.2), even a plain sip: route. */
struct sipd_flow sipd_stack_dialog_flow(const struct sipd_stack *st, struct sipd_str next_hop,
                                        bool secure, const struct sipd_flow *peer);

/* Starts a client transaction (INVITE or non-INVITE per the method). The
 * callback reports its responses and its end. Returns 0 and sets *out (may be
 * NULL), or SIPD_EINVAL / SIPD_ENOMEM / SIPD_ELIMIT. An ACK is not a
 * transaction: send it with sipd_stack_send_ack(). */
int sipd_stack_request(struct sipd_stack *st, const struct sipd_request *req, sipd_txn_cb cb,
                       void *arg, uint64_t now, struct sipd_txn **out);

/* Sends an ACK for a 2xx (a request of its own, §13.2.2.4): built like a
 * request, with a new branch, and not retransmitted by the stack. */
int sipd_stack_send_ack(struct sipd_stack *st, const struct sipd_request *ack, uint64_t now);

/* Sends CANCEL for an INVITE client transaction (§9.1). Allowed only once a
 * provisional response has arrived; before that, the cancel is remembered and
 * sent when one does (or dropped if a final response comes first). `reason`
 * is an optional Reason header value (RFC 3326). Returns SIPD_ESTATE if the
 * INVITE already has a final response. */
int sipd_txn_cancel(struct sipd_txn *tx, const char *reason, uint64_t now);

/* ---------------------------------------------------------------- server transactions */

/* A response to send on a server transaction. */
struct sipd_response {
	size_t size;
	unsigned code;
	const char *reason;      /* NULL: the default phrase */
	struct sipd_str to_tag;  /* added to To when the request had none (not on 100) */
	struct sipd_str headers; /* extra header lines, each ending in CRLF */
	const char *content_type;
	struct sipd_str body;
	/* A 2xx to INVITE: let the transaction retransmit it for the TU
	 * (§13.3.1.4: T1 doubling up to T2, on every transport) until
	 * sipd_txn_acked() says the ACK came, or until 64*T1 (Timer L), when
	 * server_done reports a timeout and the TU should send BYE. */
	bool retransmit_2xx;
};

/* Sends a response on a server transaction; the transaction then retransmits
 * and absorbs as §17.2 says. Returns SIPD_ESTATE after a final response (2xx
 * to INVITE excepted: more 2xx are the TU's to send, RFC 6026). */
int sipd_txn_respond(struct sipd_txn *tx, const struct sipd_response *resp, uint64_t now);

/* The ACK of the 2xx sent on this INVITE server transaction arrived (the TU
 * matched it to its dialog): retransmissions of the 2xx stop, and the
 * transaction ends for the TU at the next sipd_stack_advance() (server_done,
 * no timeout). What RFC 6026 §7.1 still asks of it until Timer L, absorbing
 * retransmissions of the INVITE, the stack does with the keys alone. */
void sipd_txn_acked(struct sipd_txn *tx);

/* The request of a server transaction (valid while the transaction lives). */
const struct sipd_msg *sipd_txn_request(const struct sipd_txn *tx);
/* A pointer the user may keep with the transaction. */
void sipd_txn_set_user(struct sipd_txn *tx, void *user);
void *sipd_txn_user(const struct sipd_txn *tx);
bool sipd_txn_is_client(const struct sipd_txn *tx);
/* The transaction's state name ("Calling", "Proceeding", "Accepted"...). */
const char *sipd_txn_state_name(const struct sipd_txn *tx);

/* Random token for tags and branches: `len` characters from [0-9a-z] into out
 * (no NUL added). */
void sipd_stack_random_token(struct sipd_stack *st, char *out, size_t len);
/* `len` raw bytes from the configured random source, for numbers rather
 * than tokens (the first RSeq of RFC 3262 §3, the back-off of RFC 3261
 * §14.1): every byte value is equally likely, which a token's characters
 * are not. */
void sipd_stack_random(struct sipd_stack *st, void *buf, size_t len);
/* The Allow list in use (the configured one or the default), for the Allow
 * header a layer above writes (RFC 3261 §13.3.1.4, §20.5); NUL-terminated,
 * valid while the stack lives. */
const char *sipd_stack_allow(const struct sipd_stack *st);
/* T1 in ms (the configured value or 500), for timers kept above the
 * transactions (RFC 3262 §3: reliable provisionals). */
uint32_t sipd_stack_t1(const struct sipd_stack *st);

#ifdef __cplusplus
}
#endif

#endif
