/* sipdialog — dialogs (RFC 3261 §12): the peer-to-peer relationship that an
 * INVITE or a SUBSCRIBE creates, its state, and the rules for the requests
 * sent and received inside it. Sans-IO like the rest of the core.
 *
 * A dialog's state mirrors SIP.js's DialogState: its id (Call-ID, local and
 * remote tag), whether it is early, the local and remote sequence numbers
 * (each may be unset), the local and remote URIs, the remote target, the route
 * set and the secure flag. It is read through getters; every string returned
 * belongs to the dialog and lives as long as it does.
 *
 * Dialogs live in a table (struct sipd_dialogs) that finds them by id in O(1).
 * A dialog is one allocation, its strings with it, freed when it is removed.
 */
#ifndef SIPDIALOG_DIALOG_H
#define SIPDIALOG_DIALOG_H

#include <sipdialog/msg.h>
#include <sipdialog/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sipd_dialog;
struct sipd_dialogs;

enum sipd_dialog_state {
	SIPD_DIALOG_EARLY = 1, /* created by a provisional response with a To tag */
	SIPD_DIALOG_CONFIRMED, /* a 2xx (or a NOTIFY, RFC 6665) confirmed it */
	SIPD_DIALOG_TERMINATED,
};

/* Why a dialog ended (RFC 4235 §4.1's reasons, and ours). */
enum sipd_dialog_reason {
	SIPD_END_NONE = 0,
	SIPD_END_LOCAL_BYE,   /* we sent BYE */
	SIPD_END_REMOTE_BYE,  /* the peer sent BYE */
	SIPD_END_REJECTED,    /* an early dialog's INVITE got a non-2xx final response */
	SIPD_END_CANCELLED,   /* the INVITE was cancelled */
	SIPD_END_TIMEOUT,     /* a timer ran out (Timer B/H, no ACK, 408 in dialog) */
	SIPD_END_FORK_LOST,   /* another fork's 2xx won (§13.2.2.4) */
	SIPD_END_REPLACED,    /* RFC 3891 */
	SIPD_END_ERROR,       /* 481 or a transport error within the dialog */
	SIPD_END_LOCAL,       /* ended by the application without a BYE */
};

enum sipd_dialog_role {
	SIPD_DIALOG_UAC = 1, /* we sent the request that created it */
	SIPD_DIALOG_UAS,
};

/* ---------------------------------------------------------------- the table */

struct sipd_dialogs_callbacks {
	size_t size;
	/* A dialog changed state (created early, confirmed, terminated with a
	 * reason). After TERMINATED the dialog stays until removed. */
	void (*state)(void *user, struct sipd_dialog *d, enum sipd_dialog_state st,
	              enum sipd_dialog_reason why);
};

struct sipd_dialogs_config {
	size_t size;
	uint32_t max_dialogs; /* 0: 1,000,000; beyond it creation fails with SIPD_ELIMIT */
	const struct sipd_dialogs_callbacks *cb;
	void *user;
	/* Randomness for the table's hash key (flooding resistance). Required. */
	void (*random)(void *user, void *buf, size_t len);
};

/* Returns NULL on a bad configuration or out of memory. */
struct sipd_dialogs *sipd_dialogs_create(const struct sipd_dialogs_config *cfg);
/* Frees the table and every dialog in it; calls no callback. */
void sipd_dialogs_destroy(struct sipd_dialogs *t);
size_t sipd_dialogs_count(const struct sipd_dialogs *t);

/* The dialog with this id, or NULL. */
struct sipd_dialog *sipd_dialogs_find(const struct sipd_dialogs *t, struct sipd_str call_id,
                                      struct sipd_str local_tag, struct sipd_str remote_tag);
/* The dialog a received request belongs to (§12.2.2: To tag local, From tag
 * remote), or NULL. */
struct sipd_dialog *sipd_dialogs_match_request(const struct sipd_dialogs *t,
                                               const struct sipd_msg *req);
/* The dialog a received response belongs to (From tag local, To tag remote),
 * or NULL. */
struct sipd_dialog *sipd_dialogs_match_response(const struct sipd_dialogs *t,
                                                const struct sipd_msg *resp);

/* Removes a dialog from its table and frees it. */
void sipd_dialog_free(struct sipd_dialog *d);

/* ---------------------------------------------------------------- creation */

/* Options shared by both ways of creating a dialog. */
struct sipd_dialog_opts {
	size_t size;
	/* Our Contact URI in this dialog, without <> (e.g. "sip:me@192.0.2.1:5060"). */
	struct sipd_str local_contact;
	/* The request came (or goes) over TLS: with a SIPS Request-URI the dialog
	 * is secure (§12.1.1, §12.1.2). */
	bool tls;
};

/* §12.1.1: the UAS creates a dialog from a request and the To tag of its
 * response (`local_tag`, chosen by us). It starts early; sipd_dialog_confirm()
 * when the 2xx goes out.
 * Returns 0 and *out, or SIPD_EPARSE when the request lacks what a dialog
 * needs (a Contact with one URI, §8.1.1.8 and §12.1.1; the answer is 400),
 * SIPD_EINVAL, SIPD_ENOMEM, SIPD_ELIMIT. The request is not kept. */
int sipd_dialog_create_uas(struct sipd_dialogs *t, const struct sipd_msg *req,
                           struct sipd_str local_tag, const struct sipd_dialog_opts *o,
                           struct sipd_dialog **out);
/* §12.1.2: the UAC creates a dialog from its request and a response with a To
 * tag (provisional: early; 2xx: confirmed). A provisional response without a
 * To tag creates none (SIPD_EINVAL); a 2xx without one comes from an RFC 2543
 * peer and gets a dialog with an empty remote tag, as §12.1.2 says. A 2xx
 * without a Contact is SIPD_EPARSE; a provisional one without a Contact takes
 * the Request-URI as remote target until the 2xx brings one. */
int sipd_dialog_create_uac(struct sipd_dialogs *t, const struct sipd_msg *req,
                           const struct sipd_msg *resp, const struct sipd_dialog_opts *o,
                           struct sipd_dialog **out);

/* ---------------------------------------------------------------- state */

struct sipd_str sipd_dialog_call_id(const struct sipd_dialog *d);
struct sipd_str sipd_dialog_local_tag(const struct sipd_dialog *d);
struct sipd_str sipd_dialog_remote_tag(const struct sipd_dialog *d);
struct sipd_str sipd_dialog_local_uri(const struct sipd_dialog *d);
struct sipd_str sipd_dialog_remote_uri(const struct sipd_dialog *d);
/* The remote target: the peer's Contact URI (§12.1). */
struct sipd_str sipd_dialog_remote_target(const struct sipd_dialog *d);
struct sipd_str sipd_dialog_local_contact(const struct sipd_dialog *d);
/* False when unset; else *out is the number. */
bool sipd_dialog_local_seq(const struct sipd_dialog *d, uint32_t *out);
bool sipd_dialog_remote_seq(const struct sipd_dialog *d, uint32_t *out);
/* The route set, in the order requests carry it. Each entry is a name-addr
 * value as received ("<sip:p1.example.com;lr>"). */
size_t sipd_dialog_route_count(const struct sipd_dialog *d);
struct sipd_str sipd_dialog_route(const struct sipd_dialog *d, size_t i);
bool sipd_dialog_secure(const struct sipd_dialog *d);
bool sipd_dialog_early(const struct sipd_dialog *d);
enum sipd_dialog_state sipd_dialog_state(const struct sipd_dialog *d);
enum sipd_dialog_reason sipd_dialog_reason(const struct sipd_dialog *d);
enum sipd_dialog_role sipd_dialog_role(const struct sipd_dialog *d);
/* A pointer the user (a usage) keeps with the dialog. */
void sipd_dialog_set_user(struct sipd_dialog *d, void *user);
void *sipd_dialog_user(const struct sipd_dialog *d);
/* Usages sharing the dialog (an INVITE session, subscriptions): the dialog
 * ends when the last one is released (RFC 5057). */
void sipd_dialog_usage_add(struct sipd_dialog *d);
/* Returns the number left; at 0 the dialog is terminated (not freed). */
unsigned sipd_dialog_usage_release(struct sipd_dialog *d, enum sipd_dialog_reason why);
unsigned sipd_dialog_usages(const struct sipd_dialog *d);

/* An early dialog is confirmed by a 2xx to its INVITE (§12.1.2, §13.2.2.4):
 * its route set is recomputed from the 2xx's Record-Route (reversed) and its
 * remote target taken from the 2xx's Contact. Any other response (a 2xx to
 * an UPDATE in the early dialog, RFC 3311 §1; any response in a confirmed
 * dialog) only refreshes the remote target from its Contact (§12.2.1.2).
 * Returns 0, or SIPD_ENOMEM (the dialog is left as it was). */
int sipd_dialog_update_from_response(struct sipd_dialog *d, const struct sipd_msg *resp);
/* The UAS sent its 2xx (or a NOTIFY confirmed a subscription): confirmed. */
void sipd_dialog_confirm(struct sipd_dialog *d);
/* Ends the dialog with a reason (tells the state callback once). */
void sipd_dialog_terminate(struct sipd_dialog *d, enum sipd_dialog_reason why);

/* ---------------------------------------------------------------- requests within */

/* A request to send within the dialog (§12.2.1.1). */
struct sipd_dialog_request {
	size_t size;
	struct sipd_str method;
	/* 0: one more than the local sequence number (1 if unset), which becomes
	 * the new local sequence number. Non-zero: this CSeq (ACK and CANCEL use
	 * their INVITE's number); the local sequence number rises to it. */
	uint32_t cseq;
	struct sipd_str headers; /* extra header lines, each ending in CRLF */
	const char *content_type;
	struct sipd_str body;
};

/* Fills `out` (a request for sipd_stack_request) with the Request-URI and
 * the headers of §12.2.1.1 written into buf: Route (loose or strict routing,
 * §12.2.1.1 and §16.12.1.2), From and To with tags, Call-ID, CSeq, Max-Forwards,
 * Contact, then the caller's headers. `next_hop` is the URI to resolve for
 * the flow (the first route, or the remote target). Returns 0, SIPD_ENOSPC
 * or SIPD_ESTATE (terminated; an ACK can still be built, for the copies of
 * a 2xx that keep coming while the INVITE lives, §13.2.2.4). */
int sipd_dialog_request(struct sipd_dialog *d, const struct sipd_dialog_request *r, char *buf,
                        size_t cap, struct sipd_request *out, struct sipd_str *next_hop);

/* §12.2.2: may this received request be processed in the dialog? Returns 0,
 * or the status to answer: 500 for a CSeq lower than (or, for a new
 * transaction, equal to) the remote sequence number, 481 for a terminated
 * dialog. Changes nothing. */
unsigned sipd_dialog_check_request(const struct sipd_dialog *d, const struct sipd_msg *req);
/* The request was taken: the remote sequence number becomes its CSeq (not
 * for ACK and CANCEL). */
void sipd_dialog_take_request(struct sipd_dialog *d, const struct sipd_msg *req);
/* A target refresh request (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY, REFER) was
 * accepted (2xx): the remote target becomes its Contact URI (§12.2.2, RFC
 * 6141). Returns 0 or SIPD_ENOMEM (the old target stays). */
int sipd_dialog_refresh_target(struct sipd_dialog *d, const struct sipd_msg *req);
/* Is the method a target refresh request (§12.2, RFC 3311, 3515, 6665)? */
bool sipd_method_refreshes_target(enum sipd_method m);

/* ---------------------------------------------------------------- snapshot */

/* The dialog's whole state as a compact, versioned byte string, for another
 * process to continue it (sipd_dialog_restore). Returns the length, or
 * SIPD_ENOSPC when cap is too small. A usage keeps its own state in a
 * snapshot of its own, stored next to this one: restore refuses trailing
 * bytes. */
long sipd_dialog_snapshot(const struct sipd_dialog *d, uint8_t *out, size_t cap);
/* Recreates a dialog from a snapshot into a table. Returns 0 and *out, or
 * SIPD_EPARSE (not a snapshot of a version we read), SIPD_ENOMEM,
 * SIPD_ELIMIT. */
int sipd_dialog_restore(struct sipd_dialogs *t, const uint8_t *in, size_t len,
                        struct sipd_dialog **out);

#ifdef __cplusplus
}
#endif

#endif
