/* The UAC side of an INVITE across forks (RFC 3261 §13.2.2). */
#include <stdlib.h>
#include <string.h>

#include <sipdialog/invite.h>

#include "common/cb.h"

#define MAX_FORKS 16

/* An INVITE lives on for 64*T1 after its 2xx (§13.2.2.4, RFC 6026 §7.2),
 * for forks that answer late: all it keeps of its request is what that
 * takes, a dialog and the ACK (below). */
struct sipd_invite {
	struct sipd_stack *st;
	struct sipd_dialogs *t;
	struct sipd_txn *tx;
	const struct sipd_invite_callbacks *cb; /* the application's, by reference */
	void *arg;
	struct sipd_dialog *winner;
	struct sipd_dialog **forks; /* every dialog this INVITE made */
	struct sipd_flow flow;
	uint32_t cseq;
	uint32_t text_len;
	uint32_t creds_off, creds_len; /* the credential lines in `text` */
	uint16_t contact_len;
	uint8_t policy;              /* enum sipd_fork_policy */
	uint8_t nforks, forks_cap;
	bool tls;
	bool failed;
	/* Our request line and the header lines a dialog is made from (§12.1.2),
	 * then its credentials, which each ACK of a 2xx repeats (§13.2.2.4);
	 * then our Contact URI. */
	char text[];
};

#define CB(inv, f) SIPD_CB((inv)->cb, struct sipd_invite_callbacks, f)

#define MAX_HDRS 64

static int parse_text(const char *text, size_t len, struct sipd_msg *m, struct sipd_hdr *slots)
{
	return sipd_msg_parse(m, slots, MAX_HDRS, text, len, SIPD_FRAME_DATAGRAM, NULL, NULL) > 0
	               ? 0
	               : SIPD_EINVAL;
}

static struct sipd_dialog_opts dialog_opts(const struct sipd_invite *inv)
{
	return (struct sipd_dialog_opts){
		.size = sizeof(struct sipd_dialog_opts),
		.local_contact = {inv->text + inv->text_len, inv->contact_len},
		.tls = inv->tls};
}

static struct sipd_dialog *find_fork(struct sipd_invite *inv, struct sipd_str tag)
{
	for (size_t i = 0; i < inv->nforks; i++) {
		struct sipd_str rt = sipd_dialog_remote_tag(inv->forks[i]);
		if (rt.len == tag.len && (!tag.len || memcmp(rt.p, tag.p, tag.len) == 0))
			return inv->forks[i];
	}
	return NULL;
}

static struct sipd_dialog *fork_for(struct sipd_invite *inv, const struct sipd_msg *resp)
{
	struct sipd_dialog *d = find_fork(inv, resp->to.tag);
	if (d || inv->nforks == MAX_FORKS)
		return d;
	if (inv->nforks == inv->forks_cap) {
		/* most INVITEs make one dialog: room grows from 1 */
		unsigned cap = inv->forks_cap ? inv->forks_cap * 2u : 1u;
		struct sipd_dialog **f = realloc(inv->forks, cap * sizeof *f);
		if (!f)
			return NULL;
		inv->forks = f;
		inv->forks_cap = (uint8_t)cap;
	}
	/* a dialog is made once per fork: `text`, a few lines, is parsed then */
	struct sipd_dialog_opts o = dialog_opts(inv);
	struct sipd_msg m;
	struct sipd_hdr slots[MAX_HDRS];
	if (parse_text(inv->text, inv->text_len, &m, slots) ||
	    sipd_dialog_create_uac(inv->t, &m, resp, &o, &d))
		return NULL;
	inv->forks[inv->nforks++] = d;
	return d;
}

/* A request within dialog d, to its next hop (or the INVITE's flow). */
static int dialog_send(struct sipd_invite *inv, struct sipd_dialog *d, const char *method,
                       uint32_t cseq, bool ack, sipd_txn_cb cb, void *arg, uint64_t now,
                       struct sipd_str body)
{
	char buf[8192];
	struct sipd_request r;
	/* §13.2.2.4: the ACK of a 2xx carries the INVITE's credentials */
	struct sipd_str creds = {inv->text + inv->creds_off, ack ? inv->creds_len : 0};
	struct sipd_dialog_request dr = {.size = sizeof dr,
	                                 .method = {method, strlen(method)},
	                                 .cseq = cseq,
	                                 .headers = creds,
	                                 .content_type = body.len ? "application/sdp" : NULL,
	                                 .body = body};
	struct sipd_str hop;
	int rc = sipd_dialog_request(d, &dr, buf, sizeof buf, &r, &hop);
	if (rc)
		return rc;
	r.flow = sipd_stack_dialog_flow(inv->st, hop, sipd_dialog_secure(d), &inv->flow);
	if (ack)
		return sipd_stack_send_ack(inv->st, &r, now);
	return sipd_stack_request(inv->st, &r, cb, arg, now, NULL);
}

/* The BYE that ends a losing fork: the dialog goes when it is over. */
static void bye_done(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                     const struct sipd_msg *resp)
{
	(void)tx;
	(void)resp;
	if (ev == SIPD_TXN_TERMINATED)
		sipd_dialog_free(arg);
}

static void drop_fork(struct sipd_invite *inv, struct sipd_dialog *d)
{
	for (size_t i = 0; i < inv->nforks; i++)
		if (inv->forks[i] == d) {
			inv->forks[i] = inv->forks[--inv->nforks];
			return;
		}
}

static void on_2xx(struct sipd_invite *inv, const struct sipd_msg *resp, uint64_t now)
{
	/* the first 2xx of a fork creates its dialog confirmed, or confirms
	 * its early one; later ones are retransmissions */
	struct sipd_dialog *d = find_fork(inv, resp->to.tag);
	if (!d) {
		/* a fork we lost and BYEd: its dialog stays, ended, until that BYE
		 * is over, and each copy of its 2xx is ACKed again meanwhile */
		struct sipd_dialog *lost = sipd_dialogs_match_response(inv->t, resp);
		if (lost && sipd_dialog_state(lost) == SIPD_DIALOG_TERMINATED) {
			dialog_send(inv, lost, "ACK", inv->cseq, true, NULL, NULL, now, SIPD_STR_NULL);
			return;
		}
	}
	bool first_time = !d || sipd_dialog_state(d) == SIPD_DIALOG_EARLY;
	if (!d)
		d = fork_for(inv, resp);
	else if (first_time)
		sipd_dialog_update_from_response(d, resp);
	if (!d)
		return;
	/* §13.2.2.4: every 2xx is ACKed, retransmissions included; the answered
	 * dialog's ACK may carry the answer to an offer in the 2xx */
	struct sipd_str body = SIPD_STR_NULL;
	bool winner = inv->winner == d || (!inv->winner && first_time);
	if (winner && CB(inv, ack_body))
		body = CB(inv, ack_body)(inv->arg, inv, d, resp);
	dialog_send(inv, d, "ACK", inv->cseq, true, NULL, NULL, now, body);
	if (!first_time)
		return;
	if (!inv->winner) {
		inv->winner = d;
		if (CB(inv, answered))
			CB(inv, answered)(inv->arg, inv, d, resp);
		return;
	}
	if (inv->policy == SIPD_FORK_KEEP) {
		if (CB(inv, forked))
			CB(inv, forked)(inv->arg, inv, d, resp);
		return;
	}
	/* another fork answered too: end that dialog (§13.2.2.4) */
	drop_fork(inv, d);
	int rc = dialog_send(inv, d, "BYE", 0, false, bye_done, d, now, SIPD_STR_NULL);
	sipd_dialog_terminate(d, SIPD_END_FORK_LOST);
	if (rc)
		sipd_dialog_free(d);
}

static void on_txn(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                   const struct sipd_msg *resp)
{
	(void)tx;
	struct sipd_invite *inv = arg;
	uint64_t now = sipd_stack_now(inv->st);
	switch (ev) {
	case SIPD_TXN_RESPONSE:
		if (resp->status < 200) {
			struct sipd_dialog *d = resp->to.tag.len ? fork_for(inv, resp) : NULL;
			if (d && sipd_dialog_state(d) == SIPD_DIALOG_EARLY)
				sipd_dialog_update_from_response(d, resp); /* target from Contact */
			if (CB(inv, provisional))
				CB(inv, provisional)(inv->arg, inv, d, resp);
		} else if (resp->status < 300) {
			on_2xx(inv, resp, now);
		} else {
			inv->failed = true;
			if (CB(inv, failed))
				CB(inv, failed)(inv->arg, inv, resp);
		}
		break;
	case SIPD_TXN_TIMEOUT:
	case SIPD_TXN_TRANSPORT_ERROR:
		if (!inv->winner) {
			inv->failed = true;
			if (CB(inv, failed))
				CB(inv, failed)(inv->arg, inv, resp);
		}
		break;
	case SIPD_TXN_TERMINATED: {
		/* early dialogs that no 2xx confirmed end with the INVITE (§13.2.2.4:
		 * Timer B or the winner's Timer M) */
		for (size_t i = 0; i < inv->nforks;) {
			struct sipd_dialog *d = inv->forks[i];
			if (d != inv->winner && sipd_dialog_state(d) == SIPD_DIALOG_EARLY) {
				sipd_dialog_terminate(d, inv->failed ? SIPD_END_REJECTED : SIPD_END_FORK_LOST);
				inv->forks[i] = inv->forks[--inv->nforks];
				sipd_dialog_free(d);
				continue;
			}
			i++;
		}
		if (CB(inv, done))
			CB(inv, done)(inv->arg, inv);
		free(inv->forks);
		free(inv);
		break;
	}
	}
}

/* The lines of our request that `text` keeps (struct sipd_invite): a dialog
 * needs From, To, Call-ID and CSeq (and the parser a Via); the ACK the
 * credentials, which go last. */
static bool kept(unsigned id)
{
	return id == SIPD_HDR_FROM || id == SIPD_HDR_TO || id == SIPD_HDR_CALL_ID ||
	       id == SIPD_HDR_CSEQ;
}

static bool credential(unsigned id)
{
	return id == SIPD_HDR_AUTHORIZATION || id == SIPD_HDR_PROXY_AUTHORIZATION;
}

static void put_line(struct sipd_buf *b, const struct sipd_hdr *h)
{
	sipd_buf_putstr(b, h->name);
	sipd_buf_puts(b, ": ");
	sipd_buf_putstr(b, h->value);
	sipd_buf_puts(b, "\r\n");
}

int sipd_invite_send(struct sipd_stack *st, struct sipd_dialogs *t, const struct sipd_request *req,
                     const struct sipd_invite_opts *o, uint64_t now, struct sipd_invite **out)
{
	if (!st || !t || !req || !o || !sipd_str_eq(req->method, "INVITE") ||
	    o->dialog.local_contact.len > UINT16_MAX)
		return SIPD_EINVAL;
	/* our request, as the dialog layer reads it (the stack adds the Via) */
	static const char via[] = "Via: SIP/2.0/UDP invalid;branch=z9hG4bKlocal\r\n";
	size_t n = req->method.len + req->uri.len + 12 + sizeof via + req->headers.len + 2;
	char small[2048];
	char *full = n <= sizeof small ? small : malloc(n);
	if (!full)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, full, n);
	sipd_build_request_line(&b, req->method, req->uri);
	sipd_buf_puts(&b, via);
	sipd_buf_putstr(&b, req->headers);
	sipd_buf_puts(&b, "\r\n");
	long len = sipd_buf_result(&b);
	struct sipd_msg m;
	struct sipd_hdr slots[MAX_HDRS];
	int rc = len < 0 || parse_text(full, (size_t)len, &m, slots) || !m.from.tag.len
	                 ? SIPD_EINVAL /* the INVITE needs From (with a tag), To, Call-ID, CSeq */
	                 : 0;
	/* what `text` keeps of it, measured, then written */
	size_t head = rc ? 0 : (size_t)(m.hdrs[0].name.p - full) + sizeof via - 1; /* with Via */
	size_t keep = head;
	for (size_t i = 1; rc == 0 && i < m.nhdrs; i++)
		if (kept(m.hdrs[i].id) || credential(m.hdrs[i].id))
			keep += m.hdrs[i].name.len + m.hdrs[i].value.len + 4;
	struct sipd_invite *inv = NULL;
	if (rc == 0 && !(inv = calloc(1, sizeof *inv + keep + 2 + o->dialog.local_contact.len)))
		rc = SIPD_ENOMEM;
	if (rc) {
		if (full != small)
			free(full);
		return rc;
	}
	sipd_buf_init(&b, inv->text, keep + 2);
	sipd_buf_put(&b, full, head);
	for (size_t i = 1; i < m.nhdrs; i++)
		if (kept(m.hdrs[i].id))
			put_line(&b, &m.hdrs[i]);
	inv->creds_off = (uint32_t)b.len;
	for (size_t i = 1; i < m.nhdrs; i++)
		if (credential(m.hdrs[i].id))
			put_line(&b, &m.hdrs[i]);
	inv->creds_len = (uint32_t)b.len - inv->creds_off;
	sipd_buf_puts(&b, "\r\n");
	inv->text_len = (uint32_t)b.len;
	if (full != small)
		free(full);
	if (b.overflow) { /* cannot happen: measured above from the same lines */
		free(inv);
		return SIPD_EINVAL;
	}
	memcpy(inv->text + inv->text_len, o->dialog.local_contact.p, o->dialog.local_contact.len);
	inv->contact_len = (uint16_t)o->dialog.local_contact.len;
	inv->tls = o->dialog.tls;
	inv->st = st;
	inv->t = t;
	inv->flow = req->flow;
	inv->policy = (uint8_t)o->fork_policy;
	inv->cb = o->cb;
	inv->arg = o->arg;
	inv->cseq = m.cseq.seq;
	rc = sipd_stack_request(st, req, on_txn, inv, now, &inv->tx);
	if (rc) {
		free(inv);
		return rc;
	}
	if (out)
		*out = inv;
	return 0;
}

int sipd_invite_cancel(struct sipd_invite *inv, const char *reason, uint64_t now)
{
	return sipd_txn_cancel(inv->tx, reason, now);
}
