/* sipdialog — a back-to-back user agent: two INVITE sessions linked in depth.
 *
 * An incoming INVITE (the A leg) is answered by a UAS session; a new INVITE
 * (the B leg) goes to a target from a UAC session with its own Call-ID and
 * tags (RFC 3261 §6: a B2BUA is a UAS and a UAC joined by application logic).
 * Between them:
 *   - provisional responses relayed A-ward (with their session description);
 *   - the B leg's final response relayed: a 2xx answers A with B's answer, a
 *     failure rejects A with the same code (but a 401/407 challenge, which is
 *     ours to meet, as 403; a 3xx as 480; no answer in time, Timer B, as
 *     408), unless A was already answered;
 *   - CANCEL from A cancels B (with A's Reason, RFC 3326);
 *   - BYE on either leg ends the other, once;
 *   - re-INVITE, UPDATE, INFO, MESSAGE, NOTIFY, REFER and OPTIONS within the
 *     call relayed to the other leg and their final responses relayed back;
 *     a 491 is relayed, not retried, so that glare on either leg resolves
 *     where it arose (the offerer backs off) and never deadlocks here;
 *   - a hook to rewrite each session description as it crosses.
 * Sans-IO like the sessions beneath: it sends through the stack it is given.
 */
#ifndef SIPDIALOG_B2BUA_H
#define SIPDIALOG_B2BUA_H

#include <sipdialog/session.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sipd_b2bua;
struct sipd_auth_client;

enum sipd_b2bua_leg {
	SIPD_B2BUA_A = 0, /* the caller's leg: our UAS session */
	SIPD_B2BUA_B,     /* the callee's leg: our UAC session */
};

struct sipd_b2bua_callbacks {
	size_t size;
	/* A session description crossing from leg `from` to the other leg. Write
	 * the one to send to out[0..cap) and return its length, or return -1 to
	 * send it unchanged. NULL: unchanged. */
	long (*rewrite)(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg from,
	                struct sipd_str sdp, char *out, size_t cap);
	/* A leg changed state (for event streams and counters). */
	void (*leg_state)(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
	                  enum sipd_session_state st, enum sipd_session_end why);
	/* Both legs are over. The b2bua frees itself right after this returns;
	 * the pointer is dead then. */
	void (*ended)(void *arg, struct sipd_b2bua *b);
};

struct sipd_b2bua_opts {
	size_t size;
	/* The B leg: its Request-URI and To (the target), where it goes (the
	 * target resolved by the caller, RFC 3263), our Contact there. */
	struct sipd_str target;
	struct sipd_flow flow;
	struct sipd_str b_contact;
	/* Our Contact on the A leg. */
	struct sipd_str a_contact;
	/* The B leg's From URI; empty: the caller's From (display name and URI;
	 * the tag is ours). */
	struct sipd_str from;
	/* Which of the INVITE's other headers go to the B leg. Never copied:
	 * those that belong to one hop or one dialog (Via, Route, Record-Route,
	 * Contact, From, To, Call-ID, CSeq, Max-Forwards, Content-*, Require,
	 * Supported, Allow, RSeq, RAck, Session-Expires, Min-SE, Replaces),
	 * credentials (Authorization, Proxy-Authorization) and identity
	 * (P-Asserted-Identity, P-Preferred-Identity, Identity, Remote-Party-ID).
	 * `copy_only`, when not NULL, is a NULL-terminated list of the names to
	 * copy; else every other header is copied but those named in `no_copy`
	 * (NULL-terminated, may be NULL). Names compare case-insensitively. */
	const char *const *copy_only;
	const char *const *no_copy;
	/* Extra header lines for the B leg's INVITE (each ending in CRLF). */
	struct sipd_str b_headers;
	/* Reliable provisionals on the A leg (enum sipd_rel_policy). */
	uint8_t rel_policy;
	/* Kept by reference: it must outlive the B2BUA (a static const). */
	const struct sipd_b2bua_callbacks *cb;
	void *arg;
	/* Credentials for the B leg (include/sipdialog/auth.h), borrowed: a
	 * 401/407 from the callee is answered by sending the INVITE again with
	 * them (RFC 3261 §22.2) instead of being relayed. NULL: relayed (as
	 * 403: the challenge is for us, not the caller). */
	struct sipd_auth_client *auth;
	/* RFC 3263 §4.3: where the B leg's INVITE goes next when `flow` does not
	 * answer before any provisional response (a timeout, a transport error,
	 * or 503): each in turn, over the same listener (b_contact stays).
	 * Copied; NULL: nowhere else. At most 32. */
	const struct sipd_flow *b_next;
	size_t b_nnext;
};

/* Starts a B2BUA for an incoming INVITE (its server transaction and flow,
 * from the stack's request callback): the A leg's session, then the B leg's
 * INVITE with the A leg's offer (rewritten) and Max-Forwards one less
 * (RFC 3261 §16.6 step 3, as a B2BUA should do too). Returns 0 and *out, or
 * an error: the A leg was then answered here (e.g. 500, or 483 when
 * Max-Forwards was 0) unless sipd_session_uas() had answered it already. */
int sipd_b2bua_create(const struct sipd_session_env *env, struct sipd_txn *invite,
                      const struct sipd_flow *from, const struct sipd_b2bua_opts *o,
                      uint64_t now, struct sipd_b2bua **out);

/* The stack's cancel callback for the A leg's INVITE: 487 to A, and CANCEL
 * to B with A's Reason (or "SIP;cause=487"). */
void sipd_b2bua_cancelled(struct sipd_b2bua *b, const struct sipd_msg *cancel, uint64_t now);

/* Ends the call: BYE (or CANCEL, or a 480 to an unanswered A leg) on each
 * leg still up. `ended` follows when both are over. */
int sipd_b2bua_end(struct sipd_b2bua *b, const char *reason, uint64_t now);

/* The b2bua whose A leg's INVITE this is (from the stack's cancel callback),
 * or NULL. */
struct sipd_b2bua *sipd_b2bua_of_invite(struct sipd_txn *invite);

struct sipd_session *sipd_b2bua_leg(const struct sipd_b2bua *b, enum sipd_b2bua_leg leg);
void *sipd_b2bua_arg(const struct sipd_b2bua *b);

/* Frees a b2bua at once, both sessions with it: nothing is sent and no
 * callback called (end the call first; `ended` frees on its own). For
 * shutting down. */
void sipd_b2bua_free(struct sipd_b2bua *b);

#ifdef __cplusplus
}
#endif

#endif
