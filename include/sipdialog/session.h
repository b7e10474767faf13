/* sipdialog — INVITE sessions (RFC 3261 §13-15, RFC 3264, RFC 6337): the
 * offer/answer engine first. Session bodies are opaque here (SDP or anything
 * else): the engine knows who made the offer that is pending, what was last
 * agreed, and how to return to it when an exchange fails.
 */
#ifndef SIPDIALOG_SESSION_H
#define SIPDIALOG_SESSION_H

#include <sipdialog/dialog.h>
#include <sipdialog/msg.h>
#include <sipdialog/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The signaling state of RFC 3264 as SIP.js names it. */
enum sipd_oa_state {
	SIPD_OA_INITIAL = 0,        /* nothing offered yet */
	SIPD_OA_HAVE_LOCAL_OFFER,   /* we offered; waiting for the answer */
	SIPD_OA_HAVE_REMOTE_OFFER,  /* they offered; we owe the answer */
	SIPD_OA_STABLE,             /* an offer was answered: a session exists */
	SIPD_OA_CLOSED,             /* the session is over */
};

/* One offer/answer engine per INVITE session. It owns copies of the bodies,
 * which it may share with a peer engine (sipd_oa_share). */
struct sipd_oa {
	char *local, *remote;  /* what the last completed exchange agreed */
	char *offer;           /* the pending offer (ours or theirs) */
	struct sipd_oa *peer;  /* sipd_oa_share */
	uint32_t local_len, remote_len, offer_len;
	uint8_t state;
	uint8_t saved_state;   /* where rollback returns (RFC 6337 §3.1) */
};

void sipd_oa_init(struct sipd_oa *oa);
/* Frees the copies (and ends a sharing); the engine can be initialised
 * again. */
void sipd_oa_free(struct sipd_oa *oa);
/* Pairs two engines, as a B2BUA's two legs: a body given to one that is the
 * very description the other holds (the same pointer and length, as
 * sipd_oa_remote() of the other returns it) is shared, not copied. Each
 * engine's copies live on however the other changes or goes. */
void sipd_oa_share(struct sipd_oa *a, struct sipd_oa *b);
/* Releases a copy taken out of an engine's struct by its owner (the session
 * does, to answer tentatively). */
void sipd_oa_release(char *body, size_t len);

/* Each returns 0, SIPD_ESTATE when the step is not allowed in the current
 * state (an offer while one is pending is glare: the request gets 491, RFC
 * 3261 §14.2, RFC 3311 §5.2; an answer without an offer is a protocol error,
 * RFC 6337 §2.2), or SIPD_ENOMEM (nothing changed). */
int sipd_oa_send_offer(struct sipd_oa *oa, struct sipd_str body);
int sipd_oa_recv_offer(struct sipd_oa *oa, struct sipd_str body);
int sipd_oa_send_answer(struct sipd_oa *oa, struct sipd_str body);
int sipd_oa_recv_answer(struct sipd_oa *oa, struct sipd_str body);
/* The exchange failed (a non-2xx to the offering request, or the offer was
 * refused): back to the state before the offer (RFC 6337 §3.1, SIP.js's
 * signalingStateRollback). */
void sipd_oa_rollback(struct sipd_oa *oa);
void sipd_oa_close(struct sipd_oa *oa);

/* What a session body received now would be, in the current state: an answer
 * when we have an offer out, else an offer. */
bool sipd_oa_expects_answer(const struct sipd_oa *oa);
enum sipd_oa_state sipd_oa_state(const struct sipd_oa *oa);
const char *sipd_oa_state_name(enum sipd_oa_state st);
/* The descriptions agreed last (empty before the first exchange completes). */
struct sipd_str sipd_oa_local(const struct sipd_oa *oa);
struct sipd_str sipd_oa_remote(const struct sipd_oa *oa);
/* The pending offer (empty when none). */
struct sipd_str sipd_oa_pending_offer(const struct sipd_oa *oa);

/* Does a message carry a session description (RFC 3261 §20.11, RFC 3264)?
 * True when it has a body whose Content-Disposition is "session", or that has
 * no Content-Disposition and is application/sdp (or multipart); false for
 * other dispositions (render, icon, alert...) and other types. */
bool sipd_msg_has_session_body(const struct sipd_msg *m);

/* The media direction an SDP body asks for (RFC 3264 §5.1, §8.4): the
 * session-level attribute, or the first media section's if it has its own;
 * "sendrecv" when none. A connection address of 0.0.0.0 (RFC 2543 hold)
 * counts as "inactive" (or "sendonly" when the attribute says so). */
enum sipd_sdp_dir {
	SIPD_SDP_SENDRECV = 0,
	SIPD_SDP_SENDONLY,
	SIPD_SDP_RECVONLY,
	SIPD_SDP_INACTIVE,
};
enum sipd_sdp_dir sipd_sdp_direction(struct sipd_str sdp);
/* Is this offer putting the call on hold (sendonly or inactive, RFC 3264 §8.4)? */
bool sipd_sdp_is_hold(struct sipd_str sdp);
/* An answer that refuses every stream of `offer` (RFC 3264 §6: each of its
 * m= lines again, in order, with port 0 and the formats offered), for an
 * offer that must get an answer and cannot be accepted (RFC 3261 §13.2.2.4,
 * RFC 3262 §5). Written into out; returns its length, SIPD_EINVAL when the
 * offer has no m= line, or SIPD_ENOSPC. */
int sipd_sdp_refuse(struct sipd_str offer, char *out, size_t cap);

/* ---------------------------------------------------------------- INVITE sessions */

/* Every function below that may be called outside a stack callback takes the
 * current time, as the stack's entry points do. */
struct sipd_session;

/* SIP.js's SessionState, with the wait for the ACK named */
enum sipd_session_state {
	SIPD_SESSION_INITIAL = 0, /* the INVITE is in, nothing answered yet */
	SIPD_SESSION_EARLY,       /* a provisional response with a To tag */
	SIPD_SESSION_WAIT_ACK,    /* our 2xx is out, its ACK not yet in (UAS) */
	SIPD_SESSION_CONFIRMED,
	SIPD_SESSION_TERMINATED,
};

/* How a session ended. */
enum sipd_session_end {
	SIPD_SESSION_END_NONE = 0,
	SIPD_SESSION_END_BYE_LOCAL,   /* we sent BYE */
	SIPD_SESSION_END_BYE_REMOTE,  /* the peer sent BYE (the message has its Reason) */
	SIPD_SESSION_END_CANCELLED,   /* CANCEL before the 2xx (RFC 3261 §9.2) */
	SIPD_SESSION_END_REJECTED,    /* a non-2xx final response */
	SIPD_SESSION_END_NO_ACK,      /* our 2xx got no ACK in 64*T1 (§13.3.1.4): we sent BYE */
	SIPD_SESSION_END_ERROR,       /* 408/481 to a request in the session (§12.2.1.2) */
	SIPD_SESSION_END_EXPIRED,     /* the session timer ran out (RFC 4028 §10): we sent BYE */
	SIPD_SESSION_END_REPLACED,    /* a new INVITE replaced it (RFC 3891) */
};

/* Where a session sends its requests and what it knows of the world. */
struct sipd_session_env {
	size_t size;
	struct sipd_stack *stack;
	struct sipd_dialogs *dialogs;
};

struct sipd_session_callbacks {
	size_t size;
	/* The session changed state. For TERMINATED, `why` and `msg` (the BYE
	 * with its Reason, RFC 3326, or the final response; may be NULL) say
	 * why. For CONFIRMED at the UAC, `msg` is the 2xx. Called once per
	 * state. */
	void (*state)(void *arg, struct sipd_session *s, enum sipd_session_state st,
	              enum sipd_session_end why, const struct sipd_msg *msg);
	/* A request within the session for the application: re-INVITE and UPDATE
	 * (modify: an offer, or none), INFO, MESSAGE, REFER, NOTIFY, OPTIONS. It
	 * answers with sipd_session_respond(), now or later (return 0), or
	 * returns a negative value for the default answer, per method:
	 *   re-INVITE / UPDATE with an offer: 200 with the local description
	 *     last agreed (488 when there is none);
	 *   re-INVITE without an offer: 200 with that description as our offer
	 *     (488 when there is none), answered in the ACK (§14.2);
	 *   UPDATE without an offer (a session refresh): 200 without a body
	 *     (RFC 3311 §5.2);
	 *   INFO: 469 Bad Info Package (RFC 6086 §4.2.2);
	 *   OPTIONS: 200;
	 *   REFER: 603 Decline (never accepted silently);
	 *   MESSAGE, NOTIFY and others: 501 Not Implemented. */
	int (*request)(void *arg, struct sipd_session *s, struct sipd_txn *tx,
	               const struct sipd_msg *req);
	/* The final response to our re-INVITE or UPDATE (sipd_session_modify);
	 * a 491 retried after the glare back-off is not reported, its retry's
	 * answer is. */
	void (*modified)(void *arg, struct sipd_session *s, const struct sipd_msg *resp);
	/* UAC, an offer from the callee: in the 2xx to our INVITE without offer
	 * (late offer), or in a reliable provisional (RFC 3262 §5); return the
	 * answer, which the ACK or the PRACK carries (§13.2.1). Empty: the offer
	 * is refused with an answer that refuses every stream (sipd_sdp_refuse,
	 * RFC 3264 §6); after the ACK of a 2xx, a BYE ends the call
	 * (§13.2.2.4); after a PRACK the call goes on, for the application to
	 * end. No callback: the offer is rolled back and the ACK or PRACK
	 * carries no answer (this library's B2BUA, which cannot answer a late
	 * offer in the ACK of the B leg). */
	struct sipd_str (*answer)(void *arg, struct sipd_session *s, struct sipd_str offer);
	/* The final response to a request of sipd_session_request(). */
	void (*response)(void *arg, struct sipd_session *s, const struct sipd_msg *resp);
	/* UAC: a provisional response (101-199) to our INVITE, from any fork,
	 * with or without To tag; a reliable one's retransmissions and those out
	 * of order are not reported (RFC 3262 §4). Called before `state` says
	 * EARLY. A B2BUA relays these. */
	void (*provisional)(void *arg, struct sipd_session *s, const struct sipd_msg *resp);
};

struct sipd_session_opts {
	size_t size;
	struct sipd_dialog_opts dialog; /* our Contact, whether TLS */
	/* Kept by reference, not copied: it must outlive the session (a static
	 * const struct, as a rule). */
	const struct sipd_session_callbacks *cb;
	void *arg;
	/* A 491 to our re-INVITE or UPDATE is retried after the random delay of
	 * §14.1 (2.1-4 s when we own the Call-ID, 0-2 s otherwise) unless this
	 * is set (a B2BUA relays the 491 instead). */
	bool no_glare_retry;
	/* UAS: reliable provisional responses (RFC 3262), an enum
	 * sipd_rel_policy (below): 0 (OFF) rejects an INVITE that requires
	 * 100rel with 420; SUPPORTED sends reliably when the INVITE requires it;
	 * PREFERRED whenever it supports it. The stack's `supported` list must
	 * then name 100rel. UAC: reliable provisionals are PRACKed whatever this
	 * says (the INVITE's Supported/Require are the caller's to write). */
	uint8_t rel_policy;
	/* Session timers (RFC 4028, struct sipd_st_config below); NULL: none.
	 * UAC: the INVITE gets Supported: timer, Session-Expires and Min-SE;
	 * UAS: a request asking for too short an interval gets 422. Whoever
	 * refreshes sends a re-INVITE (or UPDATE when the peer allows it) at half
	 * the interval; without a refresh, the session ends with BYE (EXPIRED). */
	const struct sipd_st_config *timer;
	/* A B2BUA's other leg: the two sessions' offer/answer engines share
	 * the descriptions one relays from the other unchanged (sipd_oa_share),
	 * the offer of sipd_session_uac() included when it points at this
	 * session's. NULL: none. */
	struct sipd_session *share_with;
};

/* UAS: a session for a new INVITE (its server transaction, from the stack's
 * request callback, and where it came from). The INVITE's offer, if any, is
 * taken into the offer/answer engine. Returns 0 and *out. Otherwise *out is
 * left alone and, except for bad arguments, the INVITE has been answered
 * here with a final response, so the caller sends nothing more for it:
 *   SIPD_EINVAL  bad arguments (a NULL, or `invite` is not an INVITE without
 *                To tag): nothing sent, the caller answers; or 420 / 421
 *                (RFC 3262 §3) or 422 (RFC 4028 §9), sent
 *   SIPD_EPARSE  400: no single usable Contact (§12.1.1), or a malformed
 *                or repeated Session-Expires or Min-SE (RFC 4028 §9)
 *   SIPD_ENOMEM  500 (§21.5.1)
 *   SIPD_ELIMIT  503 with Retry-After (§21.5.4): the dialog table is full
 *                (or the INVITE has more Record-Route than a dialog keeps)
 *   SIPD_ESTATE  500: a dialog with that id exists already */
int sipd_session_uas(const struct sipd_session_env *env, struct sipd_txn *invite,
                     const struct sipd_flow *from, const struct sipd_session_opts *o,
                     uint64_t now, struct sipd_session **out);
/* UAS: a provisional response with the session's To tag (early dialog).
 * `body`: an early answer (or offer), may be empty. */
int sipd_session_progress(struct sipd_session *s, unsigned code, struct sipd_str body,
                          uint64_t now);
/* UAS: the 2xx with our description (the answer to the INVITE's offer, or
 * our offer when the INVITE had none: the answer then comes in the ACK),
 * retransmitted until the ACK (§13.3.1.4). */
int sipd_session_accept(struct sipd_session *s, struct sipd_str body, uint64_t now);
/* UAS: extra header lines (each ending in CRLF, the last one too) for every
 * provisional and 2xx response to the initial INVITE sent from now on,
 * retransmissions included; NULL or "" clears them. Copied. Returns 0,
 * SIPD_EINVAL (not a UAS session, or the last line not ended by CRLF),
 * SIPD_ENOMEM. */
int sipd_session_set_answer_headers(struct sipd_session *s, const char *headers);
/* UAS: a final failure (300-699); the session ends (REJECTED), and the
 * requests within the early dialog still waiting for the application get
 * 487 (§15.1.2). */
int sipd_session_reject(struct sipd_session *s, unsigned code, const char *reason,
                        uint64_t now);
/* UAS: the stack's cancel callback for this session's INVITE: 487 unless the
 * final response went out (§9.2); the session ends (CANCELLED). */
void sipd_session_cancelled(struct sipd_session *s, uint64_t now);

/* UAC: sends the INVITE (`req` as for sipd_stack_request, with From and its
 * tag, To, Call-ID, CSeq and Contact; its body is our offer, or none for a
 * late offer) and follows it across forks: the first 2xx wins, other forks'
 * 2xx are ACKed and BYEd (§13.2.2.4). Returns 0 and *out, or the error of
 * sending. */
int sipd_session_uac(const struct sipd_session_env *env, const struct sipd_request *req,
                     const struct sipd_session_opts *o, uint64_t now,
                     struct sipd_session **out);
/* UAC: CANCEL the INVITE (§9.1; sent once a provisional arrived). A 2xx that
 * crosses it is ACKed and the session ends with BYE. `reason` (may be NULL)
 * is the Reason header value (RFC 3326) of the CANCEL and of that BYE. */
int sipd_session_cancel(struct sipd_session *s, const char *reason, uint64_t now);

/* A request within the session's dialog (early or confirmed) that is not
 * one of the above: INFO (RFC 6086), MESSAGE (RFC 3428), NOTIFY, REFER (RFC
 * 3515), OPTIONS... `headers` are extra header lines (each ending in CRLF).
 * Its final response comes to the `response` callback. */
int sipd_session_request(struct sipd_session *s, const char *method, struct sipd_str headers,
                         const char *content_type, struct sipd_str body, uint64_t now);

/* A new offer within a confirmed session: re-INVITE (§14.1), or UPDATE
 * (RFC 3311) when `update`, which an early session may send too once its
 * first offer was answered (RFC 3311 §5.1). One at a time: SIPD_ESTATE while
 * an offer is pending either way. The answer comes in `modified`; a failure
 * rolls back. */
int sipd_session_modify(struct sipd_session *s, struct sipd_str offer, bool update,
                        uint64_t now);

/* Routes what the stack hands the application to the sessions: requests
 * within a session's dialog (ACK, BYE, re-INVITE, UPDATE, INFO...), and the
 * end of server transactions (server_done). Each returns 0 when a session
 * took it, -1 when it is not a session's (the caller answers, e.g. 481). */
int sipd_sessions_request(const struct sipd_session_env *env, struct sipd_txn *tx,
                          const struct sipd_msg *req, const struct sipd_flow *from);
int sipd_sessions_server_done(const struct sipd_session_env *env, struct sipd_txn *tx,
                              bool timeout);

/* Answers a request the request callback took (tx as given there), with
 * `code` 100-699. A provisional (no body is sent with it) leaves the request
 * to be answered; a final response ends it. For a re-INVITE or UPDATE with
 * an offer, a 2xx's body is the answer; for a re-INVITE without one, the 2xx
 * carries our offer (its answer comes in the ACK, §14.2); an UPDATE without
 * one gets a 2xx without a body (RFC 3311 §5.2: a non-empty `body` is
 * SIPD_EINVAL, nothing sent). A non-2xx final response to an offer rolls the
 * offer/answer state back (RFC 6337 §3.1). Returns 0, SIPD_EINVAL (not a
 * request waiting for an answer, or a bad code or body), an error of the
 * offer/answer engine, or the error of building the response (SIPD_ENOMEM):
 * for each of them nothing was sent, the offer/answer state is as it was and
 * the request still waits. */
int sipd_session_respond(struct sipd_session *s, struct sipd_txn *tx, unsigned code,
                         struct sipd_str body, uint64_t now);

/* Ends the session with BYE (§15.1.1). A UAS whose 2xx has not been ACKed
 * waits for the ACK (or its timeout) before sending it (§15). `reason` is an
 * optional Reason header value (RFC 3326). SIPD_ENOMEM: no BYE went and the
 * session goes on (try again, or free it). */
int sipd_session_bye(struct sipd_session *s, const char *reason, uint64_t now);

/* RFC 3891: the session an incoming INVITE's Replaces header names. Returns
 * 0 with *old set (the application takes the new INVITE and then calls
 * sipd_session_replace(*old)), 0 with *old NULL (no Replaces), or the status
 * to answer the INVITE with (400, 481, 486, 603; see sipd_replaces_match). */
unsigned sipd_sessions_replaces(const struct sipd_session_env *env, struct sipd_txn *invite,
                                struct sipd_session **old);
/* Ends a session that a new one replaced: BYE when confirmed, CANCEL when it
 * is our early INVITE (RFC 3891 §3), each with Reason "SIP;cause=200;
 * text=\"Replaced\"". A confirmed session ends REPLACED at once; an early
 * one when the CANCEL has ended the INVITE, or when the BYE of a 2xx that
 * crossed it went out (until then it runs, and its end reason is NONE).
 * SIPD_ESTATE for a session that has ended, is cancelling already, or waits
 * for the ACK of its 2xx. */
int sipd_session_replace(struct sipd_session *s, uint64_t now);

/* Frees a session, and its dialog unless other usages (subscriptions, RFC
 * 6665 §4.5.2) still hold it. Calls no callback. A session that has ended
 * (its `state` callback said TERMINATED) sends nothing. One still running is
 * ended (TERMINATED, NONE) without a word to the application, and leaves
 * nothing hanging at the peer: requests still waiting for the application
 * get 487; an INVITE of the peer's without a final response gets 480; our
 * own INVITE without one, or a re-INVITE of ours, is cancelled (§9.1: its
 * transaction ends within 64*T1), and a 2xx that still comes is ACKed and
 * ended with BYE (§15). A confirmed session, or one whose 2xx waits
 * for its ACK, sends nothing: end it with sipd_session_bye() first.
 * Transactions still running finish on their own and the memory goes with
 * the last of them. Not to be called from inside the session's own
 * callbacks: free it after the stack callback that reported the end has
 * returned. */
void sipd_session_free(struct sipd_session *s);

enum sipd_session_state sipd_session_state(const struct sipd_session *s);
/* NONE while the session runs, then why it ended. */
enum sipd_session_end sipd_session_end_reason(const struct sipd_session *s);
/* The session's dialog; NULL before a UAC session has one, and once an
 * ended session left its dialog to other usages (RFC 6665 §4.5.2). */
struct sipd_dialog *sipd_session_dialog(const struct sipd_session *s);
const struct sipd_oa *sipd_session_oa(const struct sipd_session *s);
void *sipd_session_arg(const struct sipd_session *s);

/* ==================================================================
 * Reliable provisional responses (RFC 3262)
 * ==================================================================
 *
 * The rules of 100rel and PRACK, without I/O: the INVITE session calls these
 * functions, sends what they say and arms a timer at the deadline they give.
 * Times are milliseconds passed in; nothing here reads a clock or allocates,
 * and the structs below are plain data the session embeds.
 *
 * UAS: one struct sipd_rel_uas per INVITE server transaction (§3: the RSeq
 * space is the transaction's). UAC: one struct sipd_rel_uac per early dialog,
 * i.e. per To tag of the responses to one INVITE (§4: a retransmission is
 * recognised by dialog ID, CSeq and RSeq, and with forking every UAS numbers
 * on its own); the caller starts a fresh one for each new To tag.
 */

/* How much we want reliable provisional responses; one knob for both sides. */
enum sipd_rel_policy {
	SIPD_REL_OFF = 0,   /* not at all: our INVITEs say nothing; as UAS we never
	                       send reliably and an INVITE that requires 100rel gets
	                       420 with Unsupported: 100rel (§3) */
	SIPD_REL_SUPPORTED, /* INVITE: Supported: 100rel (§4 SHOULD); as UAS,
	                       reliably only when the INVITE requires it */
	SIPD_REL_PREFERRED, /* INVITE: Supported: 100rel; as UAS, reliably
	                       whenever the INVITE supports or requires it */
	SIPD_REL_REQUIRED,  /* INVITE: Require: 100rel; as UAS, as PREFERRED, and
	                       an INVITE that names 100rel in neither header gets
	                       421 with Require: 100rel (RFC 3261 §21.4.16) */
};

/* Writes the header line an INVITE carries for the policy (§4): nothing for
 * OFF, "Supported: 100rel" for SUPPORTED and PREFERRED, "Require: 100rel" for
 * REQUIRED, each ending in CRLF. Overflow is left in b (sipd_buf_result). */
void sipd_rel_build_invite_header(struct sipd_buf *b, enum sipd_rel_policy policy);

/* ---------------------------------------------------------------- UAS */

/* The status a UAS sends when no PRACK came for 64*T1 (§3 asks for "a 5xx"):
 * 504 Server Time-out, since the request failed because the other side did
 * not answer in time, which is the meaning 504 has and 500 does not. */
#define SIPD_REL_TIMEOUT_STATUS 504

/* What sipd_rel_uas_advance() asks of the caller. */
enum sipd_rel_timer {
	SIPD_REL_WAIT = 0,   /* nothing is due */
	SIPD_REL_RETRANSMIT, /* send the outstanding provisional again, unchanged */
	SIPD_REL_GIVE_UP,    /* 64*T1 without PRACK (§3): reject the INVITE with
	                        SIPD_REL_TIMEOUT_STATUS; counted as its final response */
};

/* What a PRACK is, and so what it is answered (sipd_rel_prack_status()). */
enum sipd_rel_prack {
	SIPD_REL_PRACK_ACKED = 0, /* acknowledges the outstanding provisional:
	                             200; its retransmissions stop (§3) */
	SIPD_REL_PRACK_AGAIN,     /* a new PRACK for one acknowledged before: 200
	                             again, nothing changes */
	SIPD_REL_PRACK_NO_MATCH,  /* matches no reliable provisional of ours: 481 (§3) */
	SIPD_REL_PRACK_BAD,       /* not a PRACK, no RAck or a malformed one: 400 */
};

struct sipd_rel_uas {
	uint64_t sent_at;  /* when the outstanding one was first sent */
	uint64_t next_at;  /* its next retransmission or the give-up time */
	uint64_t interval; /* the current retransmission interval */
	uint32_t t1;
	uint32_t cseq;        /* the INVITE's CSeq number, which RAck must carry */
	uint32_t first_rseq;  /* RSeq of the first reliable provisional */
	uint32_t rseq;        /* RSeq of the latest one (before any: the first's) */
	uint8_t policy;       /* enum sipd_rel_policy */
	uint8_t peer;         /* the INVITE: 0 no 100rel, 1 Supported, 2 Require */
	bool sent;            /* a reliable provisional was sent */
	bool outstanding;     /* the latest one waits for its PRACK */
	bool outstanding_sdp; /* ... and carries a session description */
	bool retransmitting;  /* its timer runs */
	bool final_sent;      /* the INVITE has its final response */
};

/* Starts the state for one INVITE server transaction. `random` is 32 random
 * bits from the caller; the first RSeq is 1 + random % (2**31 - 1), within the
 * range §3 sets, uniform but for the modulo, which favours 1 and 2 by a
 * negligible 3:2. `t1` in ms, 0 for 500. Returns 0, or SIPD_EINVAL when
 * `invite` is not an INVITE request (§3 gives reliability to INVITE only).
 * Keeps no pointer into the message. */
int sipd_rel_uas_init(struct sipd_rel_uas *u, const struct sipd_msg *invite,
                      enum sipd_rel_policy policy, uint32_t t1, uint32_t random);

/* Whether the INVITE must be rejected before anything else is sent: 420 when
 * it requires 100rel and the policy is OFF (§3), 421 when the policy is
 * REQUIRED and the INVITE does not support 100rel; 0 otherwise. The header
 * line the rejection needs (Unsupported: 100rel, Require: 100rel) is written
 * to hdrs (may be NULL). */
unsigned sipd_rel_uas_reject(const struct sipd_rel_uas *u, struct sipd_buf *hdrs);

/* Whether a provisional response with this code is to be sent reliably: only
 * 101 to 199 (§3: never 100, which is hop by hop), and then always when the
 * INVITE requires 100rel, and when it merely supports it if the policy is
 * PREFERRED or REQUIRED. */
bool sipd_rel_uas_reliable(const struct sipd_rel_uas *u, unsigned code);

/* Registers a reliable provisional response about to be sent at `now` and
 * writes its two header lines to hdrs (may be NULL): "Require: 100rel" and
 * "RSeq: n" (§3). `has_sdp`: it carries a session description, which holds
 * back a 2xx until it is acknowledged (§3, §5). The first retransmission is
 * due at now + T1. Returns 0; SIPD_EINVAL when sipd_rel_uas_reliable() says
 * no; SIPD_ESTATE while the previous one waits for its PRACK (§3: one at a
 * time; the caller keeps what it wants to send next and sends it after the
 * PRACK, or unreliably if the INVITE did not require 100rel) or after the
 * final response (§3); SIPD_ELIMIT when RSeq would wrap (§3); SIPD_ENOSPC
 * when hdrs is full. State is unchanged on every error. */
int sipd_rel_uas_send(struct sipd_rel_uas *u, unsigned code, bool has_sdp, uint64_t now,
                      struct sipd_buf *hdrs);

/* RSeq of the latest reliable provisional (0 before the first). */
uint32_t sipd_rel_uas_rseq(const struct sipd_rel_uas *u);
/* Whether a reliable provisional waits for its PRACK. */
bool sipd_rel_uas_outstanding(const struct sipd_rel_uas *u);

/* When sipd_rel_uas_advance() must be called next; UINT64_MAX when no timer
 * runs. Retransmissions go out on every transport: PRACK makes the response
 * reliable end to end, past proxies that may use UDP (§3). */
uint64_t sipd_rel_uas_deadline(const struct sipd_rel_uas *u);

/* Time passed. The outstanding provisional is retransmitted T1 after it was
 * sent, then after intervals that double with no T2 cap (§3), until 64*T1
 * after it was first sent, when the caller is told to give up: with T1 500,
 * retransmissions at 500, 1500, 3500, 7500, 15500, 31500 and the give-up at
 * 32000. A late call sends one copy, not one per missed deadline. */
enum sipd_rel_timer sipd_rel_uas_advance(struct sipd_rel_uas *u, uint64_t now);

/* Matches a PRACK that arrived within the INVITE's dialog (the dialog layer
 * checked that) against our reliable provisionals (§3, §7.2): RAck's
 * response-num, CSeq-num and method (case-sensitive) against the RSeq, the
 * INVITE's CSeq number and INVITE. Also after the final response (§3: PRACKs
 * for the ones still outstanding must be processed). */
enum sipd_rel_prack sipd_rel_uas_prack(struct sipd_rel_uas *u, const struct sipd_msg *prack);
/* The same for a RAck the caller has parsed. */
enum sipd_rel_prack sipd_rel_uas_rack(struct sipd_rel_uas *u, const struct sipd_rack *rack);
/* The status code that answers the PRACK: 200, 200, 481 or 400. */
unsigned sipd_rel_prack_status(enum sipd_rel_prack r);

/* Whether a final response with this code may be sent now. A non-2xx always
 * may; a 2xx not while the outstanding provisional carried a session
 * description (§3, §5): the caller holds the 2xx until the PRACK. */
bool sipd_rel_uas_final_allowed(const struct sipd_rel_uas *u, unsigned code);
/* A final response (200-699) is being sent: retransmissions stop (§3 SHOULD
 * NOT continue), no new reliable provisional may follow, and PRACKs for the
 * outstanding one are still answered 200. Returns 0, SIPD_ESTATE when
 * sipd_rel_uas_final_allowed() says no (state unchanged), SIPD_EINVAL for a
 * code outside 200-699. */
int sipd_rel_uas_final(struct sipd_rel_uas *u, unsigned code);

/* ---------------------------------------------------------------- UAC */

/* What to do with a provisional response received on an early dialog. */
enum sipd_rel_verdict {
	SIPD_REL_UNRELIABLE = 0, /* not sent reliably: process it, no PRACK */
	SIPD_REL_NEW,            /* the next in order: process it and PRACK it */
	SIPD_REL_DUPLICATE,      /* RSeq at or below the last in-order one: a
	                            retransmission; discard it and send no new PRACK
	                            (§4: the PRACK's own transaction retransmits) */
	SIPD_REL_OUT_OF_ORDER,   /* RSeq beyond the next: discard it unPRACKed
	                            (§4); the UAS sends it again */
	SIPD_REL_LATE,           /* after the final response: discarded (§4 MAY) */
};

struct sipd_rel_uac {
	uint32_t cseq; /* the INVITE's CSeq number */
	uint32_t rseq; /* RSeq of the last in-order reliable provisional */
	bool started;  /* one was received: rseq is set */
	bool final;    /* the INVITE has its final response */
};

void sipd_rel_uac_init(struct sipd_rel_uac *c, uint32_t invite_cseq);

/* Classifies a response to the INVITE received on this early dialog.
 * Reliable means a 101-199 with Require: 100rel (§4; a 100 never is) and an
 * RSeq of 1 to 2**32-1 (§7.1); one with Require: 100rel but no usable RSeq
 * cannot be acknowledged and is taken as unreliable. A final response ends
 * the sequence (§4 keeps it until then) and is SIPD_REL_UNRELIABLE. Returns a
 * verdict (>= 0), or SIPD_EINVAL when resp is not a response to this INVITE
 * (CSeq number or method differ). */
int sipd_rel_uac_recv(struct sipd_rel_uac *c, const struct sipd_msg *resp);
/* The sequence guard alone, for an RSeq the caller has read (§4): the first
 * sets the sequence (any non-zero value: we do not police the UAS's start);
 * then exactly one higher is NEW, lower or equal DUPLICATE, higher
 * OUT_OF_ORDER. Only NEW moves the sequence. */
enum sipd_rel_verdict sipd_rel_uac_guard(struct sipd_rel_uac *c, uint32_t rseq);
/* The INVITE got its final response by other means (a timeout, another
 * fork's 2xx): later reliable provisionals are LATE. */
void sipd_rel_uac_final(struct sipd_rel_uac *c);

/* Writes the PRACK's "RAck: rseq cseq INVITE" line (§7.2) for the last NEW
 * provisional. Returns 0, SIPD_ESTATE before any, or SIPD_ENOSPC. */
int sipd_rel_uac_build_rack(const struct sipd_rel_uac *c, struct sipd_buf *b);

/* ==================================================================
 * Session timers (RFC 4028)
 * ==================================================================
 *
 * Pure negotiation logic: what to put in an INVITE or UPDATE, how to answer
 * one, what a 2xx or a 422 means, and when to refresh or give up. Nothing
 * here sends, sleeps or allocates; times are milliseconds passed in.
 */

#define SIPD_ST_FLOOR 90u        /* §4, §5: no interval or Min-SE below this, in s */
#define SIPD_ST_DEFAULT 1800u    /* §4: the recommended Session-Expires, in s */
#define SIPD_ST_DEFAULT_MAX_422 3u

/* Who refreshes when the choice is ours (§7.1 as UAC, §9 as UAS). */
enum sipd_st_pref {
	SIPD_ST_PREFER_NONE = 0, /* as UAC: name no refresher in the request (what §7.1
	                            recommends); as UAS choosing: we refresh */
	SIPD_ST_PREFER_LOCAL,    /* we refresh (UAC: refresher=uac; UAS: refresher=uas) */
	SIPD_ST_PREFER_REMOTE,   /* the peer refreshes (UAC: refresher=uas; UAS: uac) */
};

/* What this UA wants. Set .size = sizeof(struct sipd_st_config); a NULL
 * config means every default. */
struct sipd_st_config {
	size_t size;
	uint32_t session_expires; /* the interval we ask for or lower to, s; 0: 1800 (§4);
	                             never below min_se */
	uint32_t min_se;          /* the shortest we accept, s; 0 or below 90: 90 (§5) */
	uint8_t refresher;        /* enum sipd_st_pref */
	uint8_t max_422;          /* 422s a request may get before we give up; 0: 3 */
	bool insist;              /* we want a timer even when the peer asks for none: as
	                             UAC we refresh after a 2xx without Session-Expires
	                             (§7.2); as UAS we add one to the 2xx (§9) */
	bool support_only;        /* as UAC, list 'timer' in Supported but ask for no
	                             interval until the peer does (§7.1: it is optional) */
	bool omit_supported;      /* the caller lists 'timer' in its own Supported line */
};

/* The timer state of one INVITE session; the same on both sides of the
 * dialog. Read it, do not write it: the functions below keep it. */
struct sipd_st {
	uint32_t interval; /* the session interval agreed last, s; 0: no session timer */
	uint32_t ask;      /* the Session-Expires our next request carries, s */
	uint32_t min_se;   /* the Min-SE our requests carry: ours, raised by every 422
	                      (§7.3) and by the peer's requests (§7.4) */
	bool we_refresh;   /* with interval > 0: we send the refreshes (§10) */
	uint8_t n422;      /* 422s received since the last 2xx */
};

/* Starts with no timer and the config's wishes. */
void sipd_st_init(struct sipd_st *st, const struct sipd_st_config *c);

/* UAC, §7.1 and §7.4: the header lines an INVITE or UPDATE carries, each
 * ending in CRLF, appended to b: "Supported: timer" (unless omit_supported),
 * "Session-Expires: N" and "Min-SE: M". With no timer running, N is st->ask
 * and the refresher parameter follows the config's preference; with a timer
 * running, N is the current interval and the refresher is the one agreed,
 * named from this request's side (uac when we refresh, §7.4). Returns 0, or
 * SIPD_ENOSPC when b overflowed. */
int sipd_st_write_request(const struct sipd_st *st, const struct sipd_st_config *c,
                          struct sipd_buf *b);

/* UAC, §7.2: a 2xx to our INVITE or UPDATE arrived. With a Session-Expires,
 * its interval is agreed and refresher=uac means we refresh (none named: we
 * do, the side that cannot lose the session). Without one there is no
 * session timer any more, unless the config insists: then we refresh at
 * st->ask. Returns 0, or SIPD_EPARSE for a Session-Expires that is
 * malformed, repeated or below 90 s (the timer is then off). Resets n422. */
int sipd_st_recv_2xx(struct sipd_st *st, const struct sipd_st_config *c,
                     const struct sipd_msg *resp);

/* UAC, §7.3: a 422 to our INVITE or UPDATE arrived. Returns 0 when the
 * request should be sent again (a new INVITE, with a new From tag, if it was
 * the initial one): st->ask and st->min_se have risen to the 422's Min-SE
 * when ours were lower, and *retry_se (may be NULL) is the new
 * Session-Expires. Gives up with SIPD_ELIMIT after max_422 of them or when
 * the 422 asks for no more than we sent (retrying would loop), and with
 * SIPD_EPARSE when it has no valid Min-SE (§6 makes it mandatory). */
int sipd_st_recv_422(struct sipd_st *st, const struct sipd_st_config *c,
                     const struct sipd_msg *resp, uint32_t *retry_se);

/* UAS, §9: how to answer an INVITE or UPDATE. */
struct sipd_st_answer {
	uint16_t status;    /* 0: accept (a 2xx may go out); 422; 400 (malformed) */
	uint32_t interval;  /* for the 2xx, s; 0: no session timer */
	uint32_t min_se;    /* 422: our Min-SE; else the request's (90 when absent) */
	bool we_refresh;    /* with interval > 0 */
	bool uac_refreshes; /* the refresher parameter of the 2xx: uac or uas */
	bool require;       /* the 2xx carries "Require: timer" */
};

/* Decides, changing nothing (the answer is taken with sipd_st_answered()
 * once the 2xx is sent). §9: a Session-Expires below our Min-SE gets 422
 * when the UAC supports timers; when it does not, a 422 would only fail the
 * call, so the interval is raised to our Min-SE instead (as §8.1 has a proxy
 * do; RFC 4028 erratum 1687). An accepted interval may be lowered towards
 * ours but never below the request's Min-SE, nor raised. The refresher is
 * the request's when it names one; ours to choose when the UAC supports
 * timers; uas when it does not. "Require: timer" goes in whenever the UAC
 * supports timers. Other methods than INVITE and UPDATE get no timer.
 * Returns a->status. */
unsigned sipd_st_recv_request(const struct sipd_st_config *c, const struct sipd_msg *req,
                              struct sipd_st_answer *a);
/* The header lines of that answer, appended to b: "Min-SE: N" for a 422;
 * "Session-Expires: N;refresher=X" and maybe "Require: timer" for a 2xx
 * with a timer; nothing otherwise. The status line and the rest are the
 * caller's. Returns 0 or SIPD_ENOSPC. */
int sipd_st_write_response(const struct sipd_st_answer *a, struct sipd_buf *b);
/* The 2xx carrying the answer was sent: it is the session's timer now. */
void sipd_st_answered(struct sipd_st *st, const struct sipd_st_answer *a);

/* §10: when the refresher sends its refresh, from `now`, the time the last
 * 2xx to a session refresh request was sent or received: half the interval
 * later. UINT64_MAX when we do not refresh or there is no timer. */
uint64_t sipd_st_refresh_at(const struct sipd_st *st, uint64_t now);
/* §10: when to send BYE if no refresh succeeded: the interval minus the
 * lesser of 32 s and a third of it, after `now`. Holds for both sides (the
 * refresher ends the session too when its refreshes fail). UINT64_MAX when
 * there is no timer. */
uint64_t sipd_st_expire_at(const struct sipd_st *st, uint64_t now);

/* §7.4: refresh with UPDATE when the peer listed it in an Allow header of
 * `peer` (any message it sent in this dialog), else with a re-INVITE.
 * Returns SIPD_METHOD_UPDATE or SIPD_METHOD_INVITE; `peer` may be NULL. */
enum sipd_method sipd_st_refresh_method(const struct sipd_msg *peer);

/* ==================================================================
 * Replaces (RFC 3891)
 * ==================================================================
 */

struct sipd_dialogs;
struct sipd_dialog;

/* §3: what to do with an INVITE that may carry a Replaces header.
 *
 * Returns 0 with *out NULL: no Replaces, nothing to do. Returns 0 with *out
 * set: it names that dialog, and the INVITE may replace it; once the new
 * INVITE is accepted, a confirmed *out is ended with BYE and an early one
 * (always one we initiated) with CANCEL. Any other return is the final
 * status to answer, with *out NULL:
 *   400  Replaces in a request other than INVITE, more than one, malformed
 *        (exactly one to-tag and one from-tag, §6.1), or next to a Join
 *        header (contradictory semantics)
 *   481  no dialog matches (to-tag is our local tag, from-tag the remote
 *        one; a tag "0" also matches an empty tag, §6.1), more than one
 *        does, or an early dialog in which we are the UAS (only the
 *        originator of an early dialog may have it replaced)
 *   486  a confirmed dialog, and the header says early-only
 *   603  the dialog has terminated (§3 SHOULD)
 * Authorizing the replacement (§3) is the caller's, and so is refusing with
 * 481 a dialog that an INVITE did not create (the dialog does not record its
 * method; the caller knows its usages). Changes nothing. */
unsigned sipd_replaces_match(struct sipd_dialogs *t, const struct sipd_msg *invite,
                             struct sipd_dialog **out);

#ifdef __cplusplus
}
#endif

#endif
