/* sipdialog — INVITE sessions (RFC 3261 §13-15, RFC 3264, RFC 6337): the
 * offer/answer engine first. Session bodies are opaque here (SDP or anything
 * else): the engine knows who made the offer that is pending, what was last
 * agreed, and how to return to it when an exchange fails.
 */
#ifndef SIPDIALOG_SESSION_H
#define SIPDIALOG_SESSION_H

#include <sipdialog/msg.h>

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

/* One offer/answer engine per INVITE session. It owns copies of the bodies. */
struct sipd_oa {
	uint8_t state;
	uint8_t saved_state;   /* where rollback returns (RFC 6337 §3.1) */
	char *local, *remote;  /* what the last completed exchange agreed */
	size_t local_len, remote_len;
	char *offer;           /* the pending offer (ours or theirs) */
	size_t offer_len;
};

void sipd_oa_init(struct sipd_oa *oa);
/* Frees the copies; the engine can be initialised again. */
void sipd_oa_free(struct sipd_oa *oa);

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

#ifdef __cplusplus
}
#endif

#endif
