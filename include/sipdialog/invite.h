/* sipdialog — the UAC side of an INVITE across forks (RFC 3261 §13.2.2):
 * early dialogs per To tag, the 2xx that confirms one, the ACK of each 2xx
 * (§13.2.2.4), and what to do with the 2xx of other forks. A 2xx whose
 * dialog cannot be made (no Contact, more than 16 forks, a full table) is not
 * ACKed here; after Timer M, stray 2xx reach the stack's stray_2xx callback
 * and the application ACKs them.
 *
 * This is the part of the INVITE usage that belongs with the dialog layer;
 * the session (offer/answer, re-INVITE...) sits above it.
 */
#ifndef SIPDIALOG_INVITE_H
#define SIPDIALOG_INVITE_H

#include <sipdialog/dialog.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sipd_invite;

/* What to do with a 2xx from another fork once one 2xx confirmed a dialog. */
enum sipd_fork_policy {
	SIPD_FORK_BYE = 0, /* ACK it, then end it with BYE (the default, §13.2.2.4) */
	SIPD_FORK_KEEP,    /* ACK it and keep the dialog: the application is told */
};

struct sipd_invite_callbacks {
	size_t size;
	/* A provisional response; `d` is its early dialog (NULL without To tag). */
	void (*provisional)(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
	                    const struct sipd_msg *resp);
	/* The first 2xx: `d` is confirmed and ACKed. */
	void (*answered)(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
	                 const struct sipd_msg *resp);
	/* Another fork's 2xx under SIPD_FORK_KEEP: `d` is confirmed and ACKed. */
	void (*forked)(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
	               const struct sipd_msg *resp);
	/* No 2xx: a final failure, or a timeout / transport error (408 / 503). */
	void (*failed)(void *arg, struct sipd_invite *inv, const struct sipd_msg *resp);
	/* The INVITE is over (its transaction ended); the pointer dies after. */
	void (*done)(void *arg, struct sipd_invite *inv);
	/* The body of the ACK for a 2xx of the answered dialog (the answer when
	 * the 2xx carried the offer, §13.2.1); called before each such ACK,
	 * retransmissions included, and before `answered`. NULL or an empty
	 * result: no body. Other forks' ACKs have none. */
	struct sipd_str (*ack_body)(void *arg, struct sipd_invite *inv, struct sipd_dialog *d,
	                            const struct sipd_msg *resp);
};

struct sipd_invite_opts {
	size_t size;
	struct sipd_dialog_opts dialog;
	enum sipd_fork_policy fork_policy;
	/* Kept by reference: it must outlive the INVITE (a static const). */
	const struct sipd_invite_callbacks *cb;
	void *arg;
};

/* Sends the INVITE `req` (built by the caller, with From tag, Call-ID, CSeq,
 * Contact) and follows it. ACKs and BYEs go out on the INVITE's flow (the
 * caller's resolution of the Request-URI): a dialog whose route set or target
 * leads elsewhere needs its own flow, which the session layer provides.
 * Each ACK of a 2xx repeats the INVITE's Authorization and
 * Proxy-Authorization lines (§13.2.2.4). Of the request, only the lines a
 * dialog is made from and those are kept, for the 64*T1 the INVITE lives on
 * after its 2xx. Returns 0 and *out, SIPD_EINVAL (not an INVITE with From
 * tag, To, Call-ID and CSeq), SIPD_ENOMEM, or the error of
 * sipd_stack_request. */
int sipd_invite_send(struct sipd_stack *st, struct sipd_dialogs *t, const struct sipd_request *req,
                     const struct sipd_invite_opts *o, uint64_t now, struct sipd_invite **out);
/* CANCEL (§9.1); see sipd_txn_cancel(). */
int sipd_invite_cancel(struct sipd_invite *inv, const char *reason, uint64_t now);

#ifdef __cplusplus
}
#endif

#endif
