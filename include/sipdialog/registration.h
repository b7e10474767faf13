/* sipdialog — registration (RFC 3261 §10), sans-IO: a REGISTER client that
 * keeps one Contact bound to an address-of-record, and a registrar helper that
 * answers REGISTER requests from an in-memory location service.
 *
 * Both live on a stack: requests leave through sipd_stack_request(), answers
 * through sipd_txn_respond(), and timers sit in the stack's heap. Neither reads
 * a clock: the time is the stack's (sipd_stack_now()) in callbacks and the
 * `now` given to the entry points otherwise. Both must be destroyed before the
 * stack they run on.
 *
 * Client rules (choices where the RFC leaves room):
 *   - One Call-ID for every REGISTER of a client, the CSeq one higher on
 *     each, retries after 401/407/423 included (§10.2, §10.2.4); a new From
 *     tag on each (§8.1.1.3). One REGISTER out at a time (§10.2): what is
 *     asked meanwhile waits for its final response.
 *   - The granted interval is the expires parameter of our Contact in the
 *     2xx (compared by §19.1.4), else the Expires header, else what we asked
 *     (§10.2.4). It counts from when the REGISTER that got the 2xx was sent,
 *     which is never later than the registrar's own count.
 *   - Refresh (sipd_reg_refresh_at()): when max(half, 64*T1) of the granted
 *     interval is left, but not before a quarter of it has passed:
 *     3600 s -> 1800 s, 120 s -> 60 s, 60 s -> 28 s, 40 s -> 10 s,
 *     20 s -> 5 s. 64*T1 (32 s) is the longest a non-INVITE transaction
 *     lasts (Timer F), so a refresh that times out ends before the binding.
 *   - 423: asked again with the Min-Expires of the response when it is
 *     larger than what we asked, at most three times in a row (§10.2.8); the
 *     larger value is kept for later REGISTERs.
 *   - 401/407: the challenge goes to the digest client and the REGISTER is
 *     sent again with credentials, unless sipd_auth_client_give_up() says to
 *     stop (§22.1: credentials just refused are not sent again; a stale nonce
 *     is retried). The challenge stays cached: later REGISTERs carry
 *     credentials from the start.
 *   - Failures: a timeout, a transport error, 408, 480, and 5xx other than
 *     501 and 505, or any failure that carries Retry-After, are retried: after
 *     Retry-After when given, else after the back-off of RFC 5626 §4.5
 *     (sipd_reg_retry_delay(): W = min(retry_max, retry_base * 2^failures),
 *     a random wait between W/2 and W; 30 s and 1800 s by default), at most
 *     max_retries times in a row when that is set. Every other failure (400,
 *     403, 404, credentials refused...) is final: FAILED with retry_at
 *     UINT64_MAX, until the application calls sipd_reg_client_register()
 *     again. §10.2.7: a timeout is never retried at once.
 *   - A 2xx that lists our Contact with expires=0 did not bind it: FAILED
 *     (status 200), retried like a server failure.
 *   - Unregistering (§10.2.2) sends Expires: 0 with our Contact (expires=0),
 *     or Contact: * (all bindings of the AOR); it is not retried: a failure
 *     is reported and the bindings run out on their own.
 *
 * Registrar rules (§10.3), in the RFC's order of steps:
 *   1. With `domains` set, the Request-URI's host must be one of them, else
 *      404 (a registrar that is no proxy has nowhere to forward).
 *   2. Require: the stack's core answers 420 before the registrar sees it.
 *   3. With an auth server, every REGISTER is authenticated (§22): missing
 *      or stale credentials and wrong ones get 401 with a challenge,
 *      malformed ones 400.
 *   4. The authenticated user must be allowed to change the AOR: the
 *      `authorize` callback, or by default a username equal to the AOR's
 *      user part. Else 403.
 *   5. The AOR is the To URI, SIP or SIPS (else 404), in canonical form
 *      (sipd_reg_aor_canonical()). With `domains` set, its host must equal
 *      the Request-URI's (else 404).
 *   6. Contact: * is allowed only alone and with Expires: 0 (else 400); it
 *      removes every binding of the AOR, unless one has this request's
 *      Call-ID and a CSeq not lower than its own: then nothing changes and
 *      the answer is 500 (§10.3 step 6 with step 7's ordering rule).
 *   7. Each Contact's interval is its expires parameter, else the Expires
 *      header, else `default_expires`; 0 < interval < min(min_expires, 3600)
 *      gets 423 with Min-Expires; a longer one than max_expires is shortened.
 *      A binding with the same Call-ID and a CSeq not higher than the stored
 *      one fails the whole request with 500 (the RFC's "the request fails").
 *      Changes are all made or none (atomic); caps exceeded give 503 with
 *      Retry-After, a failed allocation 500.
 *   8. 200 lists every binding of the AOR with its remaining seconds
 *      (rounded up) and its q. No Date header: the core has no wall clock.
 *   Bindings expire exactly on time: each has its timer in the stack's heap,
 *   and lookups also drop those past their time. Path (RFC 3327), GRUU
 *   (RFC 5627), outbound (RFC 5626 reg-id/instance) and third-party policy
 *   beyond `authorize` are out of scope.
 */
#ifndef SIPDIALOG_REGISTRATION_H
#define SIPDIALOG_REGISTRATION_H

#include <sipdialog/auth.h>
#include <sipdialog/msg.h>
#include <sipdialog/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- rules */

/* When to refresh a binding granted `granted` seconds at `sent` (ms): see
 * the rule above. `t1` in ms, 0: 500. UINT64_MAX for granted 0. */
uint64_t sipd_reg_refresh_at(uint64_t sent, uint32_t granted, uint32_t t1);

/* The wait in ms before attempt number `failures` + 1 after `failures`
 * consecutive failures (>= 1), per RFC 5626 §4.5: W = min(max_s, base_s *
 * 2^failures) seconds, and the wait is W/2 + (rnd mod (W/2 + 1)) in ms, so
 * that clients failing together do not retry together. base_s 0: 30;
 * max_s 0: 1800. */
uint64_t sipd_reg_retry_delay(unsigned failures, uint32_t base_s, uint32_t max_s, uint32_t rnd);

/* Whether a REGISTER that failed with `status` (408 and 503 for a local
 * timeout and transport error) is worth sending again later without anything
 * changing: 408, 480, 5xx other than 501 and 505. */
bool sipd_reg_status_retryable(unsigned status);

/* URI equality of RFC 3261 §19.1.4 for SIP and SIPS URIs (userinfo exact,
 * the rest without case, escapes of unreserved characters equal to the
 * characters, port and the user, ttl, method, maddr and transport parameters
 * significant when in either, other parameters only when in both, headers
 * always). Other schemes are equal when their text is, scheme without case.
 * False when either does not parse. */
bool sipd_reg_uri_equal(struct sipd_str a, struct sipd_str b);

/* The canonical form of an address-of-record (§10.3 step 5): the URI (in
 * <> or not) without parameters, headers and password, escapes undone,
 * scheme and host in lower case: "sip:alice@biloxi.com:5070". Writes it
 * NUL-terminated into out. Returns its length, or SIPD_EPARSE (not a URI),
 * SIPD_EINVAL (not SIP or SIPS, or a NULL argument), SIPD_ENOSPC. */
int sipd_reg_aor_canonical(struct sipd_str uri, char *out, size_t cap);

/* ---------------------------------------------------------------- client */

struct sipd_reg_client;

enum sipd_reg_state {
	SIPD_REG_IDLE = 0,      /* created, nothing sent */
	SIPD_REG_REGISTERING,   /* a REGISTER is out and we are not registered */
	SIPD_REG_REGISTERED,    /* bound (a refresh may be out) */
	SIPD_REG_UNREGISTERING, /* the Expires: 0 REGISTER is out */
	SIPD_REG_UNREGISTERED,  /* the registrar confirmed the removal */
	SIPD_REG_FAILED,        /* the last attempt failed; see retry_at */
};

/* One Contact of a 2xx (the registrar's list of bindings, §10.3 step 8). */
struct sipd_reg_binding {
	struct sipd_str uri; /* inside the response */
	int64_t expires;     /* s; -1 when the registrar gave none */
	int q;               /* thousandths; -1 when absent */
	bool ours;           /* our Contact (§19.1.4) */
};

/* What the state callback reports. Every pointer is valid during the call. */
struct sipd_reg_event {
	enum sipd_reg_state state;   /* REGISTERED, FAILED or UNREGISTERED */
	unsigned status;             /* the final status (408/503 made up by the stack for a
	                                timeout or a transport error); 0 when the REGISTER
	                                could not be sent at all */
	const struct sipd_msg *resp; /* the final response (or the stack's made-up one);
	                                NULL with status 0 */
	uint32_t expires;            /* REGISTERED: the interval granted, s */
	uint64_t expires_at;         /* REGISTERED: when the binding ends (ms); else 0 */
	uint64_t refresh_at;         /* REGISTERED: when the refresh goes */
	uint64_t retry_at;           /* FAILED: when the next attempt goes; UINT64_MAX: none */
	const struct sipd_reg_binding *bindings; /* REGISTERED, UNREGISTERED: the 2xx's list */
	size_t nbindings;
};

/* Called on every 2xx (REGISTERED, refreshes included; UNREGISTERED for an
 * unregistration) and on every failure (FAILED). The callback may call any
 * function of the client, sipd_reg_client_destroy() included. */
typedef void (*sipd_reg_cb)(void *arg, struct sipd_reg_client *c, const struct sipd_reg_event *ev);

struct sipd_reg_client_config {
	size_t size; /* sizeof(struct sipd_reg_client_config) */
	struct sipd_stack *stack;
	const char *registrar; /* Request-URI, SIP or SIPS without userinfo: "sip:biloxi.com" */
	const char *aor;       /* address-of-record for To and From: "sip:alice@biloxi.com" */
	const char *contact;   /* our Contact URI, without <>: "sip:alice@10.0.0.1:5060" */
	/* header parameters of our Contact (";q=0.7;+sip.instance=..."), not expires;
	 * NULL: none */
	const char *contact_params;
	/* extra header lines for every REGISTER, each ending in CRLF (Route,
	 * Supported, User-Agent...); NULL: none */
	const char *headers;
	uint32_t expires;      /* s asked for (§10.2.1.1); 0: 3600 */
	struct sipd_flow flow; /* where REGISTERs go (resolved by the caller) */
	/* Credentials (copied; the client makes its own digest client from
	 * them, with this config's random source when theirs is NULL). NULL: no
	 * credentials, a 401/407 is a final failure. */
	const struct sipd_auth_client_config *auth;
	uint32_t t1;          /* ms, as the stack's (refresh margin 64*T1); 0: 500 */
	uint32_t retry_base;  /* s, RFC 5626 §4.5 base-time; 0: 30 */
	uint32_t retry_max;   /* s, max-time; 0: 1800 */
	uint32_t max_retries; /* consecutive retries before giving up; 0: no limit */
	sipd_reg_cb cb;       /* may be NULL */
	void *arg;
	/* Random bytes for the Call-ID, the tags and the back-off; NULL: the
	 * stack's random tokens. */
	void (*random)(void *user, void *buf, size_t len);
	void *random_user;
};

/* Creates a client; it sends nothing until sipd_reg_client_register().
 * Returns 0 and *out, SIPD_EINVAL (no stack, registrar, aor or contact; a
 * registrar that is not a SIP or SIPS URI or has a userinfo, an AOR that is
 * not a SIP or SIPS URI, a contact that is not a URI, contact_params that do
 * not start with ';', do not parse or name expires, header lines not ending
 * in CRLF; auth config refused by sipd_auth_client_create()), or
 * SIPD_ENOMEM. Free it with sipd_reg_client_destroy(). */
int sipd_reg_client_create(const struct sipd_reg_client_config *cfg, struct sipd_reg_client **out);
/* Frees the client: its timer stops and nothing more is sent or reported.
 * A REGISTER still out completes in its transaction, unseen (the memory
 * waits for it). Call it before sipd_stack_destroy(). NULL is allowed. */
void sipd_reg_client_destroy(struct sipd_reg_client *c);

/* Registers (and keeps refreshing) our Contact. From IDLE, UNREGISTERED or
 * FAILED a REGISTER goes now, with the retry count and 423 count reset;
 * while a REGISTER is out, the wish is kept and acted on when it is
 * answered (§10.2); while REGISTERED, nothing changes. Returns 0,
 * SIPD_ENOMEM, SIPD_ENOSPC (the request does not fit 8 KiB) or the stack's
 * error from sipd_stack_request() (nothing was sent; no callback). */
int sipd_reg_client_register(struct sipd_reg_client *c, uint64_t now);
/* Removes our binding (all = false: our Contact with expires=0) or every
 * binding of the AOR (all = true: Contact: *, §10.2.2), with Expires: 0.
 * Refreshes and retries stop. While a REGISTER is out, goes when it is
 * answered. From IDLE or UNREGISTERED with all false, reports nothing and
 * returns 0. Errors as sipd_reg_client_register(). */
int sipd_reg_client_unregister(struct sipd_reg_client *c, bool all, uint64_t now);
/* Changes where the next REGISTERs go (after the host resolved the registrar
 * again, or a connection was replaced). */
void sipd_reg_client_set_flow(struct sipd_reg_client *c, const struct sipd_flow *flow);

enum sipd_reg_state sipd_reg_client_state(const struct sipd_reg_client *c);
/* The Call-ID of every REGISTER of this client (NUL-terminated, owned). */
const char *sipd_reg_client_call_id(const struct sipd_reg_client *c);
/* The CSeq of the latest REGISTER sent, 0 before any. */
uint32_t sipd_reg_client_cseq(const struct sipd_reg_client *c);
/* When the granted binding ends (ms), 0 when not registered. */
uint64_t sipd_reg_client_expires_at(const struct sipd_reg_client *c);
/* The interval asked for now (raised by 423s). */
uint32_t sipd_reg_client_expires(const struct sipd_reg_client *c);
const char *sipd_reg_state_name(enum sipd_reg_state st);

/* ---------------------------------------------------------------- registrar */

struct sipd_registrar;

/* One binding, as a lookup gives it. Strings are NUL-terminated and owned by
 * the registrar: valid until it next changes (a REGISTER it takes, a binding
 * expiring in sipd_stack_advance(), or destroy). */
struct sipd_registrar_binding {
	const char *uri;     /* the Contact URI */
	const char *params;  /* its header parameters other than expires and q, each with
	                        its ';' ("" when none) */
	const char *call_id; /* of the REGISTER that set it */
	uint32_t cseq;
	int q;                 /* thousandths; -1 when absent (ordered as 1000) */
	uint32_t expires;      /* remaining s, rounded up */
	uint64_t expires_at;   /* ms */
	struct sipd_flow flow; /* where that REGISTER came from */
};

struct sipd_registrar_config {
	size_t size; /* sizeof(struct sipd_registrar_config) */
	struct sipd_stack *stack;
	/* Domains served, comma-separated ("biloxi.com, example.org"); the
	 * Request-URI host and the AOR host must be one of them and the same
	 * (§10.3 steps 1, 5). NULL: any domain, no checks. */
	const char *domains;
	/* Authentication (§10.3 step 3, §22): a server for 401 (not a proxy
	 * one), borrowed: it must outlive the registrar. NULL: none, and no
	 * authorization check either (the From is taken at its word). */
	struct sipd_auth_server *auth;
	/* Whether `username` may change the bindings of `aor` (canonical form)
	 * (§10.3 step 4). NULL: only when username equals the AOR's user part. */
	bool (*authorize)(void *arg, const char *username, const char *aor);
	uint32_t default_expires; /* s, when a Contact says nothing (step 7); 0: 3600 */
	uint32_t min_expires;     /* s; 0: none. At most 3600 (step 7's 423 rule) */
	uint32_t max_expires;     /* s, longer is shortened; 0: no cap */
	uint32_t max_aors;        /* AORs with bindings; 0: 10000. Beyond: 503 */
	uint32_t max_bindings;    /* per AOR; 0: 10. Beyond: 503 */
	uint32_t retry_after;     /* s, Retry-After of a 503; 0: 60 */
	/* The bindings of `aor` changed at `now` (a REGISTER committed, or a
	 * binding expired). May look the AOR up; must not destroy the
	 * registrar. NULL: not told. */
	void (*changed)(void *arg, const char *aor, uint64_t now);
	void *arg;
};

/* Creates a registrar. Returns NULL for a bad configuration (no stack,
 * min_expires above 3600 or above a set max_expires) or out of memory. Free
 * it with sipd_registrar_destroy(). */
struct sipd_registrar *sipd_registrar_create(const struct sipd_registrar_config *cfg);
/* Frees every binding and stops their timers. Call it before
 * sipd_stack_destroy(). NULL is allowed. */
void sipd_registrar_destroy(struct sipd_registrar *r);

/* From the stack's request callback: takes a REGISTER and answers it before
 * returning (§10.3; the rules above). Returns 0 when taken, -1 for any other
 * request or an ACK (tx NULL), which go on to whatever else the
 * application does. `from` is kept with the bindings it sets. */
int sipd_registrar_request(struct sipd_registrar *r, struct sipd_txn *tx,
                           const struct sipd_msg *req, const struct sipd_flow *from);

/* The bindings of an AOR (any form: it is made canonical), most preferred
 * first: q descending (absent q as 1.0), then the oldest first. Bindings
 * past their time at `now` are left out (their timers remove them). Writes
 * at most cap of them into out and returns how many there are (which may
 * exceed cap), or SIPD_EINVAL (a NULL argument, out NULL with cap > 0, not a
 * SIP or SIPS URI), SIPD_EPARSE (not a URI), SIPD_ENOSPC (an AOR over 1024
 * bytes), SIPD_ENOMEM (more than 64 bindings and no memory to sort them). */
int sipd_registrar_lookup(struct sipd_registrar *r, struct sipd_str aor, uint64_t now,
                          struct sipd_registrar_binding *out, size_t cap);

struct sipd_registrar_stats {
	uint32_t aors, bindings; /* now */
	uint64_t requests;       /* REGISTERs taken */
	uint64_t ok, challenged; /* 200, 401 */
	uint64_t refused;        /* 400, 403, 404, 423 */
	uint64_t failed;         /* 500 (CSeq order, memory) */
	uint64_t full;           /* 503: a cap */
	uint64_t expired;        /* bindings that ran out */
};
void sipd_registrar_stats(const struct sipd_registrar *r, struct sipd_registrar_stats *out);

#ifdef __cplusplus
}
#endif

#endif
