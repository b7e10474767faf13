/* sipdialog — the application API: a SIP user agent in a few calls, in the
 * spirit of drachtio-srf (createUAS, createUAC, createB2BUA, and dialogs that
 * report what happens to them and offer destroy(), modify(), request()).
 *
 * A struct sipd_app owns a runtime (listeners, the loop, RFC 3263 DNS), the
 * dialog table and the INVITE sessions' environment, and routes what the stack
 * hands up: requests within a dialog to its call, a new INVITE to the
 * application's `invite` callback, CANCEL to the call or the b2bua it hits,
 * the end of server transactions to the sessions.
 *
 * A struct sipd_call is one INVITE session as the application sees it: it is
 * made by sipd_app_create_uas() from an incoming INVITE or by
 * sipd_app_create_uac() towards a URI, reports its events through a
 * callbacks struct (each with the `user` pointer given at creation) and ends
 * with exactly one `terminated` event. The app frees it right after that
 * event returns; the pointer must not be used afterwards.
 *
 * Rules that hold for every callback below:
 *   - No callback is ever called from inside a function of this header that
 *     the application called (sipd_app_run() aside): events come from the
 *     loop (a message arrived, a timer fired, a name resolved).
 *   - `terminated` is the last event of a call. It comes from the loop after
 *     the call has ended, with a copy of the message that ended it (valid
 *     during the callback).
 *   - Messages (const struct sipd_msg *) passed to a callback are valid during
 *     that callback only.
 *   - Requests handed to the application (a struct sipd_txn *) are answered
 *     with sipd_call_respond(), during the callback or later, when the
 *     callback returns 0; a negative return takes the default answer listed
 *     with each callback. A request still unanswered when its call ends gets
 *     487 (RFC 3261 §15.1.2).
 *
 * Not thread-safe: one app per thread, like the stack beneath it.
 */
#ifndef SIPDIALOG_APP_H
#define SIPDIALOG_APP_H

#include <sipdialog/b2bua.h>
#include <sipdialog/runtime.h>
#include <sipdialog/session.h>
#include <sipdialog/subscription.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sipd_app;
struct sipd_call;
/* A subscription (RFC 6665) the app holds, either side. */
struct sipd_app_sub;
/* A new INVITE waiting for the application's decision. */
struct sipd_incoming;

/* ================================================================== the app */

/* Where a call is, as an event stream follows it (the dialog states of RFC
 * 3261 §12 with the transaction's first steps before them). */
enum sipd_call_phase {
	SIPD_CALL_TRYING = 0, /* the INVITE is out (UAC) or in (UAS) */
	SIPD_CALL_PROCEEDING, /* a provisional without To tag came (UAC) */
	SIPD_CALL_EARLY,      /* a provisional with To tag: an early dialog */
	SIPD_CALL_CONFIRMED,  /* a 2xx: the dialog is confirmed */
	SIPD_CALL_TERMINATED, /* over; `terminated` follows */
};
const char *sipd_call_phase_name(enum sipd_call_phase ph);

struct sipd_app_callbacks {
	size_t size; /* sizeof(struct sipd_app_callbacks) */
	/* A new INVITE outside any dialog. `in` is the application's until it
	 * hands it to sipd_app_create_uas(), sipd_app_create_b2bua() or
	 * sipd_incoming_reject(), now or later; each of them releases it,
	 * whatever it returns. NULL: every INVITE gets 480 Temporarily
	 * Unavailable. */
	void (*invite)(void *user, struct sipd_app *app, struct sipd_incoming *in);
	/* A CANCEL matched an INVITE still in the application's hands (not yet
	 * given to create_uas or create_b2bua). The INVITE has been answered 487
	 * (RFC 3261 §9.2); `in` must still be released as above (the functions
	 * then return SIPD_ESTATE). NULL: nothing to tell. */
	void (*incoming_cancelled)(void *user, struct sipd_app *app, struct sipd_incoming *in);
	/* Any other request: outside a dialog (OPTIONS, MESSAGE, SUBSCRIBE,
	 * REGISTER...), or within a dialog that no call holds (for layers the
	 * application runs itself, such as subscriptions). Return 0 when taken
	 * (answer with sipd_txn_respond()), or a negative value for the core's
	 * answer: 200 to OPTIONS with Allow, Accept and Supported (§11.2), 481
	 * within a dialog (§12.2.2), 405 with Allow otherwise. NULL: always the
	 * core's answer. `tx` is NULL for an ACK (whose return value is
	 * ignored). */
	int (*request)(void *user, struct sipd_app *app, struct sipd_txn *tx,
	               const struct sipd_msg *req, const struct sipd_flow *from);
	/* Every call's progress, one event per phase reached, in order, with
	 * its direction (`outbound`: a UAC call). An outgoing call reports
	 * TRYING when its INVITE leaves (after resolution); an incoming one
	 * starts at TRYING without an event (the `invite` callback is that
	 * moment). Phases are never reported twice or backwards; TERMINATED
	 * comes just before the call's `terminated`. NULL: no stream. */
	void (*call_phase)(void *user, struct sipd_app *app, struct sipd_call *call,
	                   enum sipd_call_phase phase, bool outbound);
	/* A SUBSCRIBE that creates a subscription to one of the app's `events`
	 * (RFC 6665 §4.2.1; other packages get 489 Bad Event, §7.2.2). `ans`
	 * holds the defaults: accept (200: RFC 6665 §8.3.1 retires 202),
	 * ACTIVE, the duration asked for within the bounds, no body. Fill it,
	 * or refuse with a 300-699 code (403 or 603 for policy). To follow an
	 * accepted subscription, give it callbacks with
	 * sipd_app_sub_set_callbacks(). The response and the first NOTIFY go
	 * when this returns; later state with sipd_app_sub_notify(), the end
	 * with sipd_app_sub_destroy(). NULL: every SUBSCRIBE is accepted with
	 * an empty ACTIVE state, and ends by its expiry or the subscriber. */
	void (*subscribe)(void *user, struct sipd_app *app, struct sipd_app_sub *sub,
	                  const struct sipd_msg *req, struct sipd_sub_answer *ans);
	/* The progress of each b2bua the app made (create_b2bua), as call_phase
	 * reports calls, leg by leg: the caller's leg (A, inbound) from EARLY on
	 * (its TRYING is the `invite` callback), the callee's (B, outbound) from
	 * TRYING, when its INVITE leaves. From the loop, in order, never twice;
	 * TERMINATED of both legs comes before the b2bua's `ended`. A call
	 * refused before any b2bua exists (its target unreachable) reports
	 * nothing here. NULL: no stream. */
	void (*bridge_phase)(void *user, struct sipd_app *app, struct sipd_b2bua *b,
	                     enum sipd_b2bua_leg leg, enum sipd_call_phase phase);
};

struct sipd_app_config {
	size_t size; /* sizeof(struct sipd_app_config) */
	/* Listeners, as for the runtime: "udp:HOST:PORT", "tcp:HOST:PORT",
	 * "tls:HOST:PORT", IPv6 hosts in brackets; port 0 picks a free one
	 * (read it with sipd_runtime_local(sipd_app_runtime(app), i)). At least
	 * one. */
	const char *const *listen;
	size_t nlisten;
	/* TLS: our certificate chain and key (PEM), required with a tls:
	 * listener; peers are verified against tls_ca (NULL: the system's
	 * store) unless tls_insecure. */
	const char *tls_cert, *tls_key, *tls_ca;
	bool tls_insecure;
	/* DNS servers for RFC 3263, "IP:PORT,IP:PORT"; NULL: resolv.conf. */
	const char *dns_servers;
	/* The Server and User-Agent value; NULL: "sipdialog". */
	const char *user_agent;
	/* Methods we take (Allow, RFC 3261 §20.5); NULL: "INVITE, ACK, BYE,
	 * CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY".
	 * Requests of other methods get 405 before reaching anyone. */
	const char *allow;
	/* Option tags we support (§20.37); NULL: "100rel". Name "timer" here
	 * when calls use session timers (the `timer` options below). */
	const char *supported;
	/* Body types we read (§20.1); NULL: "application/sdp,
	 * application/dtmf-relay, text/plain, message/sipfrag". A request with
	 * another type gets 415 (§8.2.3). */
	const char *accept;
	/* The user part of our Contact URIs ("sip:USER@host:port"); NULL:
	 * "sipd". */
	const char *contact_user;
	/* Every SIP message sent and received, whole, as on the wire; NULL:
	 * none. Passed to the runtime (struct sipd_runtime_config). */
	void (*trace)(void *user, bool sent, const struct sipd_flow *flow, const char *data,
	              size_t len);
	/* Diagnostics of the stack: level 0 error .. 3 debug. NULL: none. */
	void (*log)(void *user, int level, const char *event, const char *detail);
	/* The loop to run on; NULL: the app's own. */
	struct uv_loop_s *loop;
	/* Advanced: timers and limits (t1, t2, t4, limits, max_transactions)
	 * taken from here; its lists, callbacks and user are the app's and are
	 * ignored. NULL: the defaults. */
	const struct sipd_stack_config *stack;
	const struct sipd_app_callbacks *cb;
	void *user; /* for cb, trace and log */
	/* Event packages we notify, comma-separated ("presence,dialog"): a
	 * SUBSCRIBE for one of them goes to the `subscribe` callback. NULL:
	 * none (SUBSCRIBE gets 489, or the `request` callback's answer). */
	const char *events;
};

/* Creates the app: opens the listeners, creates the stack, the dialog table
 * and the sessions' environment. Returns 0 and *out, or SIPD_EINVAL (a bad
 * configuration: no listener, a bad listener spec, TLS without its files,
 * a bad DNS server list; errbuf says which), SIPD_ENOMEM, or the runtime's
 * error for a listener that cannot be opened (errbuf names it). errbuf may
 * be NULL. */
int sipd_app_create(const struct sipd_app_config *cfg, struct sipd_app **out, char *errbuf,
                    size_t errlen);
/* Frees the app and everything left in it: calls, b2buas and incoming
 * INVITEs still open are freed without sending anything and without
 * callbacks (end them first, and run the loop, for a clean exit); every
 * pointer to them dies. Closes the sockets. Not from a callback of the app;
 * NULL is allowed. */
void sipd_app_destroy(struct sipd_app *app);
/* Runs the loop until sipd_app_stop() (or until nothing is left to do).
 * Returns what uv_run returns (non-zero: stopped with work pending). */
int sipd_app_run(struct sipd_app *app);
/* Makes sipd_app_run() return once the current callback is over. */
void sipd_app_stop(struct sipd_app *app);
/* The app's clock: milliseconds of a monotonic clock (the stack's time). */
uint64_t sipd_app_now(struct sipd_app *app);
/* For advanced use: the runtime (listeners, loop, resolution), its stack,
 * and the sessions' environment (to create sessions or b2buas by hand; the
 * app routes their requests like its own). Valid while the app lives. */
struct sipd_runtime *sipd_app_runtime(struct sipd_app *app);
struct sipd_stack *sipd_app_stack(struct sipd_app *app);
const struct sipd_session_env *sipd_app_env(struct sipd_app *app);
void *sipd_app_user(const struct sipd_app *app);

/* Counters since the app was created. A b2bua counts as one call. */
struct sipd_app_stats {
	uint64_t calls_active;   /* calls and b2buas made and not yet over */
	uint64_t calls_total;    /* made by create_uas, create_uac and create_b2bua */
	uint64_t calls_answered; /* reached a 2xx: sent (UAS, the b2bua's caller leg)
	                            or received (UAC) */
	uint64_t calls_failed;   /* over without a 2xx: rejected, cancelled, timed
	                            out, unreachable */
	/* Responses by class, index 1 (1xx) to 6 (6xx), as on the wire: every
	 * transmission counts, retransmissions too. */
	uint64_t responses_sent[7];
	uint64_t responses_received[7];
	/* New calls a second, averaged over the last 10 s. */
	double calls_per_second;
};
/* Fills *out. */
void sipd_app_stats(const struct sipd_app *app, struct sipd_app_stats *out);
/* The phase a call has reached. */
enum sipd_call_phase sipd_call_phase(const struct sipd_call *call);

/* ================================================================== incoming INVITEs */

/* The INVITE, or NULL once its transaction is over (the INVITE was
 * cancelled and its 487 done, or the stack is going). Valid until `in` is
 * released or the transaction ends. */
const struct sipd_msg *sipd_incoming_request(const struct sipd_incoming *in);
/* Where it came from (the listener is flow->local). */
const struct sipd_flow *sipd_incoming_flow(const struct sipd_incoming *in);
/* Rejects the INVITE with a final status (300-699) and optional extra
 * header lines (each ending in CRLF: "Retry-After: 30\r\n"), and releases
 * `in`. Returns 0, SIPD_EINVAL (a code out of range: `in` is released
 * anyway and the INVITE gets 500), SIPD_ESTATE (the INVITE had already been
 * answered, e.g. cancelled: only released), or the error of sending. */
int sipd_incoming_reject(struct sipd_incoming *in, unsigned code, const char *headers);

/* ================================================================== calls */

/* Why a call ended. */
enum sipd_call_end {
	SIPD_CALL_END_LOCAL = 1,   /* the application ended it: sipd_call_destroy()
	                              (BYE, CANCEL or 480) or sipd_call_cancel() */
	SIPD_CALL_END_REMOTE,      /* the peer sent BYE: `msg` is the BYE (its Reason
	                              header, RFC 3326, may say why) */
	SIPD_CALL_END_CANCELLED,   /* UAS: the caller sent CANCEL before our 2xx
	                              (RFC 3261 §9.2) */
	SIPD_CALL_END_REJECTED,    /* UAC: a final non-2xx response, `msg` */
	SIPD_CALL_END_TIMEOUT,     /* no final response (Timer B, §17.1.1.2), no ACK
	                              for our 2xx (§13.3.1.4), no PRACK (RFC 3262 §3),
	                              or the session timer ran out (RFC 4028 §10) */
	SIPD_CALL_END_UNREACHABLE, /* UAC: the URI did not resolve (RFC 3263), no
	                              listener has its transport, or no target could
	                              be sent to */
	SIPD_CALL_END_ERROR,       /* a 481 or 408 to a request within the call ended
	                              it (§12.2.1.2, §14.1), or it could not be
	                              answered */
	SIPD_CALL_END_REPLACED,    /* another INVITE replaced it (RFC 3891) */
};
/* A static name for a reason ("local", "remote-bye"...); never NULL. */
const char *sipd_call_end_name(enum sipd_call_end why);

/* Handles a request within the call: return 0 to answer it with
 * sipd_call_respond() (now or later), or a negative value for its default
 * answer (listed with each callback). */
typedef int (*sipd_call_request_cb)(void *user, struct sipd_call *call, struct sipd_txn *tx,
                                    const struct sipd_msg *req);

/* The events of a call. Every member may be NULL (the default applies). */
struct sipd_call_callbacks {
	size_t size; /* sizeof(struct sipd_call_callbacks) */

	/* The call is over; the last event. `msg` (may be NULL) is the message
	 * that ended it: the peer's BYE, the final response, the CANCEL. The app
	 * frees the call when this returns. */
	void (*terminated)(void *user, struct sipd_call *call, enum sipd_call_end why,
	                   const struct sipd_msg *msg);

	/* ---- UAC: the INVITE's progress */
	/* A provisional response (101-199), from any fork; a reliable one's
	 * retransmissions are not reported (RFC 3262 §4). */
	void (*provisional)(void *user, struct sipd_call *call, const struct sipd_msg *resp);
	/* The call was answered (a 2xx, ACKed); `resp` is that 2xx. The callee's
	 * description is also sipd_call_remote_sdp(). */
	void (*answered)(void *user, struct sipd_call *call, const struct sipd_msg *resp);
	/* The call ended without being answered; `terminated` follows. `resp`
	 * is the final response (the stack makes up a 408 for a timeout and a
	 * 503 for a transport error), or NULL when no INVITE could be sent. */
	void (*failed)(void *user, struct sipd_call *call, const struct sipd_msg *resp);
	/* Late offer (the INVITE went without SDP): the callee's offer came in
	 * the 2xx (or a reliable provisional); return our answer, which the ACK
	 * (or the PRACK) carries (RFC 3261 §13.2.1, RFC 3262 §5). The string is
	 * copied. Default (NULL callback or NULL result): no answer, and the
	 * offer is rolled back. */
	const char *(*answer)(void *user, struct sipd_call *call, struct sipd_str offer);

	/* ---- UAS */
	/* The ACK of our 2xx to the INVITE arrived: the call is confirmed. When
	 * our 2xx carried the offer (the INVITE had none), the ACK has the
	 * answer: sipd_call_remote_sdp(). `ack` may be NULL. */
	void (*ack)(void *user, struct sipd_call *call, const struct sipd_msg *ack);

	/* ---- requests within the call */
	/* A re-INVITE or UPDATE (RFC 3261 §14.2, RFC 3311) with the peer's
	 * offer (`offer` empty: a re-INVITE without one, which our 2xx must
	 * offer). Answer with sipd_call_respond(call, tx, 200, sdp) or a
	 * failure (488, 491...). Default: 200 with our current description,
	 * its direction attribute set to what we want and the offer allows
	 * (RFC 3264 §6.1: an offer of sendonly is answered recvonly, inactive
	 * inactive), the o= version raised when that changed it (§8); 488
	 * when we have no description. An UPDATE without an offer (a session
	 * refresh, RFC 4028) is answered 200 here and not reported. */
	int (*modify)(void *user, struct sipd_call *call, struct sipd_txn *tx,
	              const struct sipd_msg *req, struct sipd_str offer);
	/* The peer put the call on hold, or took it off: its offer's direction
	 * (sipd_sdp_direction(), RFC 3264 §8.4) changed to sendonly or
	 * inactive, or back. Called before `modify`, for information: the
	 * request is answered by `modify` or its default. */
	void (*hold)(void *user, struct sipd_call *call, const struct sipd_msg *req);
	void (*unhold)(void *user, struct sipd_call *call, const struct sipd_msg *req);
	/* INFO (RFC 6086). Default: 200 to a legacy INFO (no Info-Package
	 * header); 469 Bad Info Package to one with a package (§4.2.2: we
	 * announce none). */
	sipd_call_request_cb info;
	/* MESSAGE (RFC 3428). Default: 501 Not Implemented (nobody reads it). */
	sipd_call_request_cb message;
	/* REFER (RFC 3515). Default: 603 Decline: a transfer is never accepted
	 * on the application's behalf. */
	sipd_call_request_cb refer;
	/* NOTIFY (RFC 6665). Default: 200 once a REFER of this call was
	 * accepted (the progress of its implicit subscription, RFC 3515
	 * §2.4.4), else 481 (no such subscription, RFC 6665 §4.1.3). */
	sipd_call_request_cb notify;
	/* Any other method the app allows (OPTIONS...). Default: 200 to
	 * OPTIONS, 501 to the rest. */
	sipd_call_request_cb request;

	/* ---- results of our own requests */
	/* The final response to sipd_call_modify(), sipd_call_hold() or
	 * sipd_call_unhold() (a 491 retried after the RFC 3261 §14.1 back-off is
	 * not reported; its retry's response is). NULL `resp`: the retry could
	 * not be sent. */
	void (*modified)(void *user, struct sipd_call *call, const struct sipd_msg *resp);
	/* The final response to sipd_call_request(); `arg` is the request's. */
	void (*response)(void *user, struct sipd_call *call, const struct sipd_msg *resp,
	                 void *arg);

	/* ---- refreshes */
	/* A session refresh from the peer (RFC 4028 §10): an UPDATE without an
	 * offer, or a re-INVITE or UPDATE whose offer is the session unchanged
	 * (the same o= line: RFC 3264 §8 keeps the version of an unchanged
	 * description). Answered already (200, with our description when an
	 * answer is due), and `modify` is not called for it: for information. */
	void (*refresh)(void *user, struct sipd_call *call, const struct sipd_msg *req);
};

/* sipd_app_create_uas(): how to answer. */
struct sipd_uas_opts {
	size_t size; /* sizeof(struct sipd_uas_opts) */
	/* Our session description: the answer to the INVITE's offer, or our
	 * offer when it had none (the answer then comes in the ACK). NULL or
	 * "": answer later with sipd_call_answer(). Copied. */
	const char *sdp;
	/* A provisional response to send first: 0 none, 180 Ringing or 183
	 * Session Progress (any 101-199). */
	unsigned provisional;
	/* The provisional carries `sdp` (early media, RFC 3960). */
	bool early_media;
	/* Reliable provisionals (RFC 3262): by default sent reliably when the
	 * INVITE requires it (SIPD_REL_SUPPORTED). `no_100rel`: never, and an
	 * INVITE that requires it gets 420; `prefer_100rel`: whenever the INVITE
	 * supports it. */
	bool no_100rel;
	bool prefer_100rel;
	/* Session timers (RFC 4028); NULL: none. List "timer" in the app's
	 * `supported` then. Copied. */
	const struct sipd_st_config *timer;
	const struct sipd_call_callbacks *cb; /* copied */
	void *user;
	/* Extra header lines for our provisional and 2xx responses, each ending
	 * in CRLF ("X-Account: 42\r\n"); NULL: none. Copied. */
	const char *headers;
};

/* Answers an incoming INVITE as a UAS: a session with its dialog, the
 * provisional asked for, then the 2xx with `sdp` (retransmitted until the
 * ACK, RFC 3261 §13.3.1.4). Releases `in`. Returns 0 and *out (`terminated`
 * will follow once), or:
 *   SIPD_EINVAL  bad options (the INVITE gets 500), or the INVITE was
 *                refused as the RFCs require (400 without a usable Contact,
 *                420/421 for 100rel, 422 for too short a Session-Expires);
 *   SIPD_ESTATE  the INVITE is already answered (cancelled);
 *   SIPD_ENOMEM, SIPD_ELIMIT  no room (the INVITE gets 503).
 * A failure after the session exists (the 2xx cannot be sent) ends the call
 * with `terminated` (ERROR) instead. */
int sipd_app_create_uas(struct sipd_app *app, struct sipd_incoming *in,
                        const struct sipd_uas_opts *opts, struct sipd_call **out);

/* sipd_app_create_uac(): what to send. */
struct sipd_uac_opts {
	size_t size; /* sizeof(struct sipd_uac_opts) */
	/* Our offer. NULL or "": a late offer: the INVITE has no body and the
	 * callee's offer comes in the 2xx; `answer` gives ours. Copied. */
	const char *sdp;
	/* From: a URI, or a name-addr with its display name ("\"Al\"
	 * <sip:al@example.com>"); NULL: our Contact URI. The tag is ours. */
	const char *from;
	/* To, likewise; NULL: the Request-URI. */
	const char *to;
	/* Extra header lines for the INVITE, each ending in CRLF. */
	const char *headers;
	/* Session timers (RFC 4028): the INVITE asks for them; NULL: none.
	 * Copied. */
	const struct sipd_st_config *timer;
	const struct sipd_call_callbacks *cb; /* copied */
	void *user;
	/* An outbound proxy (RFC 3261 §8.1.2): a sip: or sips: URI. The INVITE
	 * goes there (it is resolved instead of the Request-URI) with a Route
	 * naming it as a loose router (";lr" added). NULL: none. Copied. */
	const char *proxy;
	/* Credentials for a 401 or 407 (RFC 3261 §22.2): the INVITE is sent
	 * again with digest credentials (same Call-ID, CSeq one more), as often
	 * as the digest rules allow (§22.1: not again with credentials just
	 * refused, unless the nonce was stale). NULL: the challenge is the
	 * call's failure. Copied. */
	const char *username, *password;
	/* Redirects (RFC 3261 §8.1.3.4): a 3xx with a Contact sends the INVITE
	 * to its first sip/sips URI (the new Request-URI; To unchanged), at most
	 * this many times; 0: a 3xx is the call's failure. */
	unsigned max_redirects;
};

/* Calls `uri` (a sip: or sips: URI, the Request-URI): resolves it as RFC
 * 3263 says, sends the INVITE from the first listener with the target's
 * transport and address family, with a new Call-ID and From tag, our
 * Contact, Allow, Supported (100rel) and User-Agent, and follows it. When
 * the target does not answer (a timeout, a transport error or a 503) before
 * any provisional response, the next target of the resolution is tried
 * (RFC 3263 §4.3). Returns 0 and *out (`terminated` will follow once;
 * `failed` or `answered` before it), or SIPD_EINVAL (not a sip/sips URI, bad
 * options), SIPD_ENOMEM. */
int sipd_app_create_uac(struct sipd_app *app, const char *uri, const struct sipd_uac_opts *opts,
                        struct sipd_call **out);

/* sipd_app_create_b2bua(): how to build the callee's leg. */
struct sipd_app_b2bua_opts {
	size_t size; /* sizeof(struct sipd_app_b2bua_opts) */
	/* The B leg's From URI; NULL: the caller's From. Copied. */
	const char *from;
	/* Extra header lines for the B leg's INVITE (each ending in CRLF).
	 * Copied. */
	const char *headers;
	/* Header copy policy (struct sipd_b2bua_opts); these arrays must stay
	 * valid until `ended`. */
	const char *const *copy_only;
	const char *const *no_copy;
	/* Reliable provisionals on the caller's leg: as in struct
	 * sipd_uas_opts. */
	bool no_100rel;
	bool prefer_100rel;
	/* The b2bua's events (b2bua.h); copied. `ended` comes exactly once for
	 * every b2bua this function started, with b NULL when no B leg was ever
	 * sent (the target did not resolve, no listener fits, or the caller
	 * cancelled first): the caller got 503 (or 487) then. */
	const struct sipd_b2bua_callbacks *cb;
	void *arg;
};

/* Bridges an incoming INVITE to `uri` (sip: or sips:) as a back-to-back
 * user agent (b2bua.h): resolves the URI (RFC 3263), picks the listener for
 * the target's transport and family, writes our Contact on each leg (the
 * caller's from the listener the INVITE came in on), then
 * sipd_b2bua_create(). Releases `in`. Returns 0 (`ended` will follow once),
 * or SIPD_EINVAL (not a sip/sips URI, bad options: the INVITE gets 500),
 * SIPD_ESTATE (the INVITE is already answered), SIPD_ENOMEM (503). */
int sipd_app_create_b2bua(struct sipd_app *app, struct sipd_incoming *in, const char *uri,
                          const struct sipd_app_b2bua_opts *opts);

/* ---------------------------------------------------------------- what a call does */

/* UAS: the 2xx with our description, for a call created without one.
 * Returns 0, SIPD_ESTATE (not a UAS call, already answered or over),
 * SIPD_EINVAL (NULL sdp), SIPD_ENOMEM, or the error of sending. */
int sipd_call_answer(struct sipd_call *call, const char *sdp);
/* UAS: a provisional response (101-199), with a description (early media)
 * or none (NULL). Returns 0, SIPD_ESTATE (not a UAS call, answered, or a
 * reliable one still waits for its PRACK), SIPD_EINVAL, or the error of
 * sending. */
int sipd_call_progress(struct sipd_call *call, unsigned code, const char *sdp);
/* UAC: CANCEL the INVITE (RFC 3261 §9.1): sent once a provisional response
 * arrived; a 2xx that crosses it is ACKed and BYEd. A call whose name still
 * resolves just ends. Returns 0, SIPD_ESTATE (not a UAC call, answered,
 * cancelled already, or over), SIPD_EINVAL (NULL), or the error of
 * sending. */
int sipd_call_cancel(struct sipd_call *call);
/* Ends the call whatever its state: BYE when answered (a UAS waits for the
 * ACK of its 2xx first, §15), CANCEL when a UAC call is not answered yet,
 * 480 when a UAS call is not. `reason` is an optional Reason header value
 * for the BYE or CANCEL (RFC 3326: "SIP;cause=200;text=\"Done\""). Returns
 * 0 (`terminated` follows), SIPD_ESTATE (already over or ending),
 * SIPD_EINVAL (NULL), SIPD_ENOMEM, or the error of sending. */
int sipd_call_destroy(struct sipd_call *call, const char *reason);
/* A new offer within the confirmed call (re-INVITE, RFC 3261 §14.1); it
 * becomes our description. The answer comes to `modified`. Returns 0, or
 * SIPD_ESTATE (not confirmed, or an offer is pending either way: one at a
 * time), SIPD_EINVAL (NULL or empty sdp), SIPD_ENOMEM, or the error of
 * sending. */
int sipd_call_modify(struct sipd_call *call, const char *sdp);
/* Puts the call on hold, or takes it off, with a re-INVITE whose offer is
 * our current description with its direction rewritten (RFC 3264 §8.4:
 * sendrecv becomes sendonly, recvonly inactive; unhold restores ours) and
 * its o= version raised (§8). The answer comes to `modified`. Returns as
 * sipd_call_modify(), and SIPD_ESTATE when already (not) on hold. */
int sipd_call_hold(struct sipd_call *call);
int sipd_call_unhold(struct sipd_call *call);

/* A request to send within the call. */
struct sipd_call_request {
	size_t size;              /* sizeof(struct sipd_call_request) */
	const char *method;       /* "INFO", "MESSAGE", "REFER", "NOTIFY", "OPTIONS"... */
	const char *headers;      /* extra header lines, each ending in CRLF; may be NULL */
	const char *content_type; /* the body's type; NULL: no body */
	const char *body;
	size_t body_len; /* 0: strlen(body) */
	void *arg;       /* handed back with the response */
};
/* Sends a request within the call's dialog (early or confirmed). Its final
 * response comes to `response` with r->arg. INVITE, ACK, BYE, CANCEL and
 * PRACK are the call's own (see above). Returns 0, SIPD_ESTATE (no dialog
 * yet, over, or one of those methods), SIPD_EINVAL (no method, or a body
 * without a content type), SIPD_ELIMIT (32 requests already wait for their
 * response), SIPD_ENOSPC (headers too long), SIPD_ENOMEM, or the error of
 * sending. */
int sipd_call_request(struct sipd_call *call, const struct sipd_call_request *r);
/* Answers a request handed to `modify`, `info`, `message`, `refer`,
 * `notify` or `request` (which returned 0). For a 2xx to a re-INVITE or
 * UPDATE, `sdp` is our answer (or our offer when the request had none) and
 * becomes our description; NULL: the default answer of `modify`. Otherwise
 * `sdp` is ignored. Returns 0, SIPD_EINVAL (not a request of this call
 * waiting for an answer, or a code out of 200-699), SIPD_ESTATE (the call is
 * over: the request got 487), or the error of sending. */
int sipd_call_respond(struct sipd_call *call, struct sipd_txn *tx, unsigned code, const char *sdp);

/* ---------------------------------------------------------------- what a call is */

/* The dialog's identifiers and URIs (RFC 3261 §12), NUL-terminated, "" while
 * unknown (the remote tag before a response with one); valid while the call
 * lives. */
const char *sipd_call_call_id(const struct sipd_call *call);
const char *sipd_call_local_tag(const struct sipd_call *call);
const char *sipd_call_remote_tag(const struct sipd_call *call);
const char *sipd_call_local_uri(const struct sipd_call *call);
const char *sipd_call_remote_uri(const struct sipd_call *call);
/* Our Contact URI in the call, and the peer's (the remote target, RFC 3261
 * §12.1, updated by target refreshes); empty before the dialog exists.
 * Valid until the next message of the call. */
struct sipd_str sipd_call_local_contact(const struct sipd_call *call);
struct sipd_str sipd_call_remote_contact(const struct sipd_call *call);
/* The descriptions agreed last (RFC 3264): the peer's and ours; ours is
 * the one given to the call until an exchange completes. Empty when none;
 * valid until the next exchange or the call's end. */
struct sipd_str sipd_call_remote_sdp(const struct sipd_call *call);
struct sipd_str sipd_call_local_sdp(const struct sipd_call *call);
/* INITIAL (resolving, or the INVITE sent / received), EARLY, WAIT_ACK (UAS:
 * our 2xx out), CONFIRMED, TERMINATED. */
enum sipd_session_state sipd_call_state(const struct sipd_call *call);
bool sipd_call_is_uas(const struct sipd_call *call);
/* On hold by us (sipd_call_hold) / by the peer (its last offer). */
bool sipd_call_held(const struct sipd_call *call);
bool sipd_call_remote_held(const struct sipd_call *call);
void *sipd_call_user(const struct sipd_call *call);
void sipd_call_set_user(struct sipd_call *call, void *user);
struct sipd_app *sipd_call_app(const struct sipd_call *call);
/* For advanced use (UPDATE, PRACK-time offers...): the INVITE session now
 * carrying the call; NULL while a UAC call is resolving. Do not free it. */
struct sipd_session *sipd_call_session(const struct sipd_call *call);

/* ============================================================ subscriptions */

/* Like a call, a subscription reports its events through a callbacks struct
 * (each with its `user` pointer), from the loop, and ends with exactly one
 * `terminated`; the app frees it right after that event returns. The
 * dialog, refreshes, expiry, Timer N and the final NOTIFY are the
 * subscription module's (subscription.h). */
struct sipd_app_sub_callbacks {
	size_t size; /* sizeof(struct sipd_app_sub_callbacks) */
	/* Subscriber: a NOTIFY was accepted (answered 200); its body is the
	 * resource's state, sipd_app_sub_state() PENDING or ACTIVE (a NOTIFY
	 * that terminates comes here too, then `terminated`). */
	void (*notify)(void *user, struct sipd_app_sub *sub, const struct sipd_msg *notify);
	/* Notifier: the subscriber refreshed it (§4.2.1.2); the NOTIFY with the
	 * current state went already. */
	void (*refresh)(void *user, struct sipd_app_sub *sub, const struct sipd_msg *req);
	/* Notifier: the subscriber ended it (SUBSCRIBE with Expires: 0,
	 * §4.2.1.4); the final NOTIFY goes next; `terminated` follows. */
	void (*unsubscribe)(void *user, struct sipd_app_sub *sub, const struct sipd_msg *req);
	/* The last event: why it ended (subscription.h; SIPD_SUB_END_REFUSED
	 * with sipd_app_sub_status() for a refused SUBSCRIBE). */
	void (*terminated)(void *user, struct sipd_app_sub *sub, enum sipd_sub_reason why);
};

/* sipd_app_subscribe(): what to send. */
struct sipd_app_subscribe_opts {
	size_t size;         /* sizeof(struct sipd_app_subscribe_opts) */
	const char *event;   /* the package (required) */
	uint32_t expires;    /* s asked for; 0: 3600 */
	const char *accept;  /* Accept value; NULL: none */
	const char *from;    /* as in sipd_uac_opts; NULL: our Contact URI */
	const char *to;      /* NULL: the Request-URI */
	const char *headers; /* extra header lines, each ending in CRLF */
	const struct sipd_app_sub_callbacks *cb; /* copied */
	void *user;
};

/* Subscribes to `uri` (sip: or sips:): resolves it as RFC 3263 says, sends
 * the SUBSCRIBE out of any dialog from the first listener that fits, and
 * follows the subscription (NOTIFYs, refreshes, Timer N). Returns 0 and
 * *out (`terminated` will follow once), or SIPD_EINVAL (not a sip/sips URI,
 * no event), SIPD_ENOMEM. A name that does not resolve, or a SUBSCRIBE that
 * is refused, ends it (`terminated`, REFUSED). */
int sipd_app_subscribe(struct sipd_app *app, const char *uri,
                       const struct sipd_app_subscribe_opts *opts, struct sipd_app_sub **out);
/* The subscription's callbacks and user pointer (a notifier's, from inside
 * the `subscribe` callback). Copied. */
void sipd_app_sub_set_callbacks(struct sipd_app_sub *sub, const struct sipd_app_sub_callbacks *cb,
                                void *user);
/* Notifier: a NOTIFY with the resource's new state (ACTIVE), the body
 * copied. SIPD_ESTATE once it is ending, SIPD_EINVAL for a subscriber's. */
int sipd_app_sub_notify(struct sipd_app_sub *sub, const char *content_type, const char *body);
/* Ends it properly: a notifier sends NOTIFY terminated with `reason`
 * (NULL: "noresource", §4.1.3: the resource is gone, do not retry); a
 * subscriber unsubscribes (SUBSCRIBE with Expires: 0, §4.1.2.3; the final
 * NOTIFY or Timer N ends it). `terminated` follows from the loop.
 * SIPD_ESTATE when it is already ending. */
int sipd_app_sub_destroy(struct sipd_app_sub *sub, const char *reason);
/* NOTIFY_WAIT (a subscriber before the first NOTIFY), PENDING, ACTIVE,
 * TERMINATED. */
enum sipd_sub_state sipd_app_sub_state(const struct sipd_app_sub *sub);
/* A notifier's (a SUBSCRIBE came) or a subscriber's (we subscribed). */
bool sipd_app_sub_is_notifier(const struct sipd_app_sub *sub);
/* The package ("presence"). */
const char *sipd_app_sub_event(const struct sipd_app_sub *sub);
/* The final status of a refused SUBSCRIBE, else 0. */
unsigned sipd_app_sub_status(const struct sipd_app_sub *sub);
void *sipd_app_sub_user(const struct sipd_app_sub *sub);
struct sipd_app *sipd_app_sub_app(const struct sipd_app_sub *sub);
/* For advanced use: the subscription beneath (NULL while resolving, and
 * once it ended). Do not free it. */
struct sipd_subscription *sipd_app_sub_subscription(const struct sipd_app_sub *sub);

#ifdef __cplusplus
}
#endif

#endif
