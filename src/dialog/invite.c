/* The UAC side of an INVITE across forks (RFC 3261 §13.2.2). */
#include <stdlib.h>
#include <string.h>

#include <sipdialog/invite.h>

#define MAX_FORKS 16

struct sipd_invite {
	struct sipd_stack *st;
	struct sipd_dialogs *t;
	struct sipd_txn *tx;
	struct sipd_flow flow;
	struct sipd_dialog_opts dopts;
	enum sipd_fork_policy policy;
	struct sipd_invite_callbacks cb;
	void *arg;
	struct sipd_dialog *winner;
	struct sipd_dialog *forks[MAX_FORKS]; /* every dialog this INVITE made */
	size_t nforks;
	bool failed;
	uint32_t cseq;
	/* Our request as a parsed message, what dialog creation reads: kept
	 * until the 2xx (the INVITE lives on for 64*T1 after it, §13.2.2.4,
	 * and a fork that shows up then is rare: it parses `text` again). */
	struct parsed *parsed;
	size_t text_len;
	char text[]; /* the request, then our Contact */
};

#define MAX_HDRS 64

struct parsed {
	struct sipd_msg msg;
	struct sipd_hdr slots[]; /* exactly msg.nhdrs */
};

static int parse_own(const struct sipd_invite *inv, struct sipd_msg *m, struct sipd_hdr *slots)
{
	return sipd_msg_parse(m, slots, MAX_HDRS, inv->text, inv->text_len, SIPD_FRAME_DATAGRAM,
	                      NULL, NULL) > 0
	               ? 0
	               : SIPD_EINVAL;
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
	int rc;
	if (inv->parsed) {
		rc = sipd_dialog_create_uac(inv->t, &inv->parsed->msg, resp, &inv->dopts, &d);
	} else {
		struct sipd_msg m;
		struct sipd_hdr slots[MAX_HDRS];
		rc = parse_own(inv, &m, slots);
		if (rc == 0)
			rc = sipd_dialog_create_uac(inv->t, &m, resp, &inv->dopts, &d);
	}
	if (rc)
		return NULL;
	inv->forks[inv->nforks++] = d;
	return d;
}

/* A request within dialog d on the INVITE's flow. */
static int dialog_send(struct sipd_invite *inv, struct sipd_dialog *d, const char *method,
                       uint32_t cseq, bool ack, sipd_txn_cb cb, void *arg, uint64_t now,
                       struct sipd_str body)
{
	char buf[4096];
	struct sipd_request r;
	struct sipd_dialog_request dr = {.size = sizeof dr,
	                                 .method = {method, strlen(method)},
	                                 .cseq = cseq,
	                                 .content_type = body.len ? "application/sdp" : NULL,
	                                 .body = body};
	int rc = sipd_dialog_request(d, &dr, buf, sizeof buf, &r, NULL);
	if (rc)
		return rc;
	r.flow = inv->flow;
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
	if (winner && inv->cb.ack_body)
		body = inv->cb.ack_body(inv->arg, inv, d, resp);
	dialog_send(inv, d, "ACK", inv->cseq, true, NULL, NULL, now, body);
	if (!first_time)
		return;
	if (!inv->winner) {
		inv->winner = d;
		free(inv->parsed);
		inv->parsed = NULL;
		if (inv->cb.answered)
			inv->cb.answered(inv->arg, inv, d, resp);
		return;
	}
	if (inv->policy == SIPD_FORK_KEEP) {
		if (inv->cb.forked)
			inv->cb.forked(inv->arg, inv, d, resp);
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
			if (inv->cb.provisional)
				inv->cb.provisional(inv->arg, inv, d, resp);
		} else if (resp->status < 300) {
			on_2xx(inv, resp, now);
		} else {
			inv->failed = true;
			if (inv->cb.failed)
				inv->cb.failed(inv->arg, inv, resp);
		}
		break;
	case SIPD_TXN_TIMEOUT:
	case SIPD_TXN_TRANSPORT_ERROR:
		if (!inv->winner) {
			inv->failed = true;
			if (inv->cb.failed)
				inv->cb.failed(inv->arg, inv, resp);
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
		if (inv->cb.done)
			inv->cb.done(inv->arg, inv);
		free(inv->parsed);
		free(inv);
		break;
	}
	}
}

int sipd_invite_send(struct sipd_stack *st, struct sipd_dialogs *t, const struct sipd_request *req,
                     const struct sipd_invite_opts *o, uint64_t now, struct sipd_invite **out)
{
	if (!st || !t || !req || !o || !sipd_str_eq(req->method, "INVITE"))
		return SIPD_EINVAL;
	/* our request, as the dialog layer reads it (the stack adds the Via) */
	static const char via[] = "Via: SIP/2.0/UDP invalid;branch=z9hG4bKlocal\r\n";
	size_t n = req->method.len + req->uri.len + 12 + sizeof via + req->headers.len + 2 +
	           o->dialog.local_contact.len;
	struct sipd_invite *inv = calloc(1, sizeof *inv + n);
	if (!inv)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, inv->text, n);
	sipd_build_request_line(&b, req->method, req->uri);
	sipd_buf_puts(&b, via);
	sipd_buf_putstr(&b, req->headers);
	sipd_buf_puts(&b, "\r\n");
	long len = sipd_buf_result(&b);
	struct sipd_msg m;
	struct sipd_hdr slots[MAX_HDRS];
	inv->text_len = len < 0 ? 0 : (size_t)len;
	if (len < 0 || parse_own(inv, &m, slots) || !m.from.tag.len) {
		free(inv);
		return SIPD_EINVAL; /* the INVITE needs From (with a tag), To, Call-ID, CSeq */
	}
	/* the parsed form moves to a block of its size: its header values
	 * point into `text`, which stays; only its slots move */
	inv->parsed = malloc(sizeof *inv->parsed + m.nhdrs * sizeof m.hdrs[0]);
	if (!inv->parsed) {
		free(inv);
		return SIPD_ENOMEM;
	}
	inv->parsed->msg = m;
	memcpy(inv->parsed->slots, slots, m.nhdrs * sizeof m.hdrs[0]);
	inv->parsed->msg.hdrs = inv->parsed->slots;
	char *contact = inv->text + len;
	memcpy(contact, o->dialog.local_contact.p, o->dialog.local_contact.len);
	inv->dopts = o->dialog;
	inv->dopts.local_contact = (struct sipd_str){contact, o->dialog.local_contact.len};
	inv->st = st;
	inv->t = t;
	inv->flow = req->flow;
	inv->policy = o->fork_policy;
	if (o->cb)
		memcpy(&inv->cb, o->cb, o->cb->size < sizeof inv->cb ? o->cb->size : sizeof inv->cb);
	inv->arg = o->arg;
	inv->cseq = m.cseq.seq;
	int rc = sipd_stack_request(st, req, on_txn, inv, now, &inv->tx);
	if (rc) {
		free(inv->parsed);
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
