/* Subscriptions, the subscriber's side (RFC 6665 §4.1): the initial
 * SUBSCRIBE or REFER (RFC 3515), Timer N, the dialog made by the 2xx or by
 * the first NOTIFY, forks, refreshes, unsubscribing, and the NOTIFYs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subscription/sub.h"

static void on_response(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                        const struct sipd_msg *resp);
static void n_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);
static void life_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);

/* ---------------------------------------------------------------- building */

/* "<uri>" unless the value is a name-addr already */
static void put_addr(struct sipd_buf *b, const char *v)
{
	bool angle = strchr(v, '<') != NULL;
	if (!angle)
		sipd_buf_puts(b, "<");
	sipd_buf_puts(b, v);
	if (!angle)
		sipd_buf_puts(b, ">");
}

/* Event, Expires and Accept of a SUBSCRIBE (§3.1.1-§3.1.3), or Refer-To and
 * Refer-Sub of a REFER (RFC 3515 §2.1, RFC 4488 §4); the application's
 * lines on the initial request only. */
static void put_headers(struct sipd_buf *b, const struct sipd_subscription *sub, bool subscribe,
                        uint32_t expires, bool initial, bool no_refer_sub)
{
	if (subscribe) {
		sipd_buf_puts(b, "Event: ");
		sipd_buf_puts(b, sub->event);
		if (sub->id && sub->id[0]) {
			sipd_buf_puts(b, ";id=");
			sipd_buf_puts(b, sub->id);
		}
		sipd_buf_puts(b, "\r\n");
		sipd_build_header_uint(b, "Expires", expires);
		if (sub->accept)
			sipd_build_header(b, "Accept",
			                  (struct sipd_str){sub->accept, strlen(sub->accept)});
	} else {
		sipd_buf_puts(b, "Refer-To: ");
		put_addr(b, sub->refer_to);
		sipd_buf_puts(b, "\r\n");
		if (no_refer_sub)
			sipd_buf_puts(b, "Refer-Sub: false\r\n");
	}
	if (initial && sub->headers)
		sipd_buf_puts(b, sub->headers);
}

/* Our out-of-dialog request, kept parsed for the dialog that a 2xx makes
 * (RFC 3261 §12.1.2). */
static int build_initial(struct sipd_subscription *sub, uint32_t cseq, bool no_refer_sub)
{
	const char *method = sub->refer ? "REFER" : "SUBSCRIBE";
	static const char via[] = "Via: SIP/2.0/UDP invalid;branch=z9hG4bKlocal\r\n";
	size_t n = 512 + strlen(sub->ruri) + strlen(sub->from) + strlen(sub->to) +
	           strlen(sub->call_id) + strlen(sub->contact) + strlen(sub->event) +
	           (sub->id ? strlen(sub->id) : 0) + (sub->accept ? strlen(sub->accept) : 0) +
	           (sub->headers ? strlen(sub->headers) : 0) +
	           (sub->refer_to ? strlen(sub->refer_to) : 0);
	struct sub_initial *in = calloc(1, sizeof *in + n);
	if (!in)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, in->text, n);
	sipd_build_request_line(&b, (struct sipd_str){method, strlen(method)},
	                        (struct sipd_str){sub->ruri, strlen(sub->ruri)});
	sipd_buf_puts(&b, via);
	size_t start = b.len;
	sipd_buf_puts(&b, "From: ");
	put_addr(&b, sub->from);
	sipd_buf_puts(&b, ";tag=");
	sipd_buf_puts(&b, sub->local_tag);
	sipd_buf_puts(&b, "\r\nTo: ");
	put_addr(&b, sub->to);
	sipd_buf_puts(&b, "\r\nCall-ID: ");
	sipd_buf_puts(&b, sub->call_id);
	sipd_buf_puts(&b, "\r\nCSeq: ");
	sipd_buf_putu(&b, cseq);
	sipd_buf_puts(&b, " ");
	sipd_buf_puts(&b, method);
	sipd_buf_puts(&b, "\r\nMax-Forwards: 70\r\nContact: <");
	sipd_buf_puts(&b, sub->contact);
	sipd_buf_puts(&b, ">\r\n");
	put_headers(&b, sub, !sub->refer, sub->expires_req, true, no_refer_sub);
	size_t end = b.len;
	sipd_buf_puts(&b, "\r\n");
	long len = sipd_buf_result(&b);
	struct sipd_parse_error err;
	if (len < 0 ||
	    sipd_msg_parse(&in->msg, in->slots, sizeof in->slots / sizeof in->slots[0], in->text,
	                   (size_t)len, SIPD_FRAME_DATAGRAM, NULL, &err) <= 0) {
		free(in);
		return SIPD_EINVAL; /* the caller's values do not make a request */
	}
	in->headers = (struct sipd_str){in->text + start, end - start};
	in->len = (size_t)len;
	free(sub->init);
	sub->init = in;
	return 0;
}

static void arm_timer_n(struct sipd_subscription *sub)
{
	/* §4.1.2.2, §4.1.2.4: Timer N, 64*T1 from the SUBSCRIBE */
	sub->notified = false;
	sub->t_n.cb = n_fired;
	sipd_stack_timer_arm(sub->set->st, &sub->t_n,
	                     sipd__sub_now(sub) + 64ull * sipd__sub_t1(sub->set));
}

/* The initial request, out of dialog or within the subscription's dialog. */
static int send_initial(struct sipd_subscription *sub, bool no_refer_sub)
{
	int rc;
	if (!sub->d) {
		rc = build_initial(sub, sub->cseq, no_refer_sub);
		if (rc)
			return rc;
		struct sipd_request r = {.size = sizeof r,
		                         .method = sub->init->msg.method_name,
		                         .uri = {sub->ruri, strlen(sub->ruri)},
		                         .headers = sub->init->headers,
		                         .flow = sub->flow};
		rc = sipd_stack_request(sub->set->st, &r, on_response, sub, sipd__sub_now(sub),
		                        &sub->sub_tx);
		if (rc)
			return rc;
		sub->client_txns++;
	} else {
		char extra[4096];
		struct sipd_buf b;
		sipd_buf_init(&b, extra, sizeof extra - 1);
		put_headers(&b, sub, !sub->refer, sub->expires_req, true, no_refer_sub);
		if (b.overflow)
			return SIPD_ENOSPC;
		extra[b.len] = 0;
		uint32_t seq; /* the dialog's next (other usages may have sent since) */
		sub->cseq = sipd_dialog_local_seq(sub->d, &seq) ? seq + 1 : 1;
		rc = sipd__sub_send(sub, sub->refer ? "REFER" : "SUBSCRIBE", extra, NULL,
		                    SIPD_STR_NULL, on_response, sub->cseq, &sub->sub_tx);
		if (rc)
			return rc;
	}
	sub->kind = SUB_REQ_INITIAL;
	arm_timer_n(sub);
	return 0;
}

/* A refresh or an unsubscription within the dialog (§4.1.2.2, §4.1.2.3). */
static int send_subscribe(struct sipd_subscription *sub, enum sub_kind kind)
{
	char extra[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, extra, sizeof extra - 1);
	put_headers(&b, sub, true, kind == SUB_REQ_UNSUBSCRIBE ? 0 : sub->expires_req, false,
	            false);
	if (b.overflow)
		return SIPD_ENOSPC;
	extra[b.len] = 0;
	struct sipd_txn *tx;
	int rc = sipd__sub_send(sub, "SUBSCRIBE", extra, NULL, SIPD_STR_NULL, on_response, 0, &tx);
	if (rc)
		return rc;
	sub->sub_tx = tx; /* an older one's answer is not waited for any more */
	sub->kind = (uint8_t)kind;
	sipd__sub_window_del(sub); /* forks of the initial request are late now */
	arm_timer_n(sub);
	return 0;
}

/* ---------------------------------------------------------------- starting */

static int start(struct sipd_subscriptions *set, const struct sipd_subscribe_opts *o, bool refer,
                 uint64_t now, struct sipd_subscription **out)
{
	if (!set || !o || !out || o->size < offsetof(struct sipd_subscribe_opts, cb))
		return SIPD_EINVAL;
	if (refer ? !o->refer_to : !o->event || !o->event[0])
		return SIPD_EINVAL;
	if (o->dialog && sipd_dialog_state(o->dialog) == SIPD_DIALOG_TERMINATED)
		return SIPD_ESTATE;
	if (!o->dialog && (!o->request_uri.len || !o->from.len || !o->to.len ||
	                   !o->dialog_opts.local_contact.len))
		return SIPD_EINVAL;
	sipd__sub_tick(set, now);
	struct sipd_subscription *sub =
		sipd__sub_new(set, SIPD_SUB_SUBSCRIBER,
	                      o->size > offsetof(struct sipd_subscribe_opts, cb) ? o->cb : NULL,
	                      o->size > offsetof(struct sipd_subscribe_opts, arg) ? o->arg : NULL);
	if (!sub)
		return SIPD_ENOMEM;
	sub->refer = refer;
	sub->flow = o->flow;
	sub->expires_req = o->expires;
	sub->tls = o->dialog_opts.tls;
	int rc = sipd__sub_setstr(&sub->event, refer ? "refer" : o->event);
	if (!rc && !refer)
		rc = sipd__sub_setstr(&sub->id, o->id);
	if (!rc)
		rc = sipd__sub_setstr(&sub->accept, refer ? NULL : o->accept);
	if (!rc && o->headers.len) {
		sub->headers = sipd__sub_strdup(o->headers);
		rc = sub->headers ? 0 : SIPD_ENOMEM;
	}
	if (!rc)
		rc = sipd__sub_setstr(&sub->refer_to, refer ? o->refer_to : NULL);
	if (!rc && !o->dialog) {
		/* §8.1.1.4, §8.1.1.3: a Call-ID and a From tag of our own */
		char cid[24], tag[12];
		sipd_stack_random_token(set->st, cid, sizeof cid);
		sipd_stack_random_token(set->st, tag, sizeof tag);
		sub->call_id = sipd__sub_strdup((struct sipd_str){cid, sizeof cid});
		sub->local_tag = sipd__sub_strdup((struct sipd_str){tag, sizeof tag});
		sub->ruri = sipd__sub_strdup(o->request_uri);
		sub->from = sipd__sub_strdup(o->from);
		sub->to = sipd__sub_strdup(o->to);
		sub->contact = sipd__sub_strdup(o->dialog_opts.local_contact);
		if (!sub->call_id || !sub->local_tag || !sub->ruri || !sub->from || !sub->to ||
		    !sub->contact)
			rc = SIPD_ENOMEM;
		sub->cseq = 1;
	}
	if (rc) {
		sipd_subscription_free(sub);
		return rc;
	}
	if (o->dialog) {
		/* the dialog's next CSeq, known before sending: a REFER's id */
		uint32_t seq;
		sub->cseq = sipd_dialog_local_seq(o->dialog, &seq) ? seq + 1 : 1;
		sipd__sub_bind(sub, o->dialog);
	}
	if (refer) {
		/* RFC 3515 §2.4.6: the subscription is known by the REFER's CSeq */
		char id[12];
		snprintf(id, sizeof id, "%u", (unsigned)sub->cseq);
		rc = sipd__sub_setstr(&sub->id, id);
	}
	if (!rc)
		rc = send_initial(sub, refer && o->no_refer_sub);
	if (rc) {
		sipd_subscription_free(sub);
		return rc;
	}
	if (!sub->d) {
		sub->state = SIPD_SUB_NOTIFY_WAIT;
		sipd__sub_window_add(sub);
	}
	*out = sub;
	return 0;
}

int sipd_subscribe(struct sipd_subscriptions *set, const struct sipd_subscribe_opts *o,
                   uint64_t now, struct sipd_subscription **out)
{
	return start(set, o, false, now, out);
}

int sipd_refer(struct sipd_subscriptions *set, const struct sipd_subscribe_opts *o, uint64_t now,
               struct sipd_subscription **out)
{
	return start(set, o, true, now, out);
}

int sipd_subscription_retry(struct sipd_subscription *sub, uint64_t now,
                            struct sipd_subscription **out)
{
	if (!sub || sub->role != SIPD_SUB_SUBSCRIBER || sub->refer || !sub->ruri)
		return SIPD_EINVAL;
	if (sub->state != SIPD_SUB_TERMINATED)
		return SIPD_ESTATE;
	struct sipd_subscribe_opts o = {
		.size = sizeof o,
		.request_uri = {sub->ruri, strlen(sub->ruri)},
		.from = {sub->from, strlen(sub->from)},
		.to = {sub->to, strlen(sub->to)},
		.dialog_opts = {.size = sizeof o.dialog_opts,
	                        .local_contact = {sub->contact, strlen(sub->contact)},
	                        .tls = sub->tls},
		.flow = sub->flow,
		.event = sub->event,
		.id = sub->id,
		.expires = sub->expires_req,
		.accept = sub->accept,
		.headers = {sub->headers, sub->headers ? strlen(sub->headers) : 0},
		.cb = &sub->cb,
		.arg = sub->arg,
	};
	return start(sub->set, &o, false, now, out);
}

/* ---------------------------------------------------------------- timers */

/* The granted duration starts now: refresh before it runs out. */
static void life_arm(struct sipd_subscription *sub, uint32_t seconds)
{
	uint64_t now = sipd__sub_now(sub);
	sub->expires_at = now + (uint64_t)seconds * 1000;
	sub->t_life.cb = life_fired;
	if (!seconds || sub->unsubscribing) {
		sipd_stack_timer_cancel(sub->set->st, &sub->t_life);
		return;
	}
	sub->life = SUB_LIFE_REFRESH;
	sipd_stack_timer_arm(sub->set->st, &sub->t_life,
	                     sipd_sub_refresh_at(now, seconds, sipd__sub_t1(sub->set)));
}

static void life_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_subscription *sub = arg;
	sipd__sub_enter(sub);
	if (sub->life == SUB_LIFE_REFRESH && sub->state != SIPD_SUB_TERMINATED) {
		/* §4.1.2.2: the refresh; whatever becomes of it, the duration we
		 * know of still ends the subscription */
		if (!sub->sub_tx)
			send_subscribe(sub, SUB_REQ_REFRESH);
		sub->life = SUB_LIFE_EXPIRE;
		sipd_stack_timer_arm(sub->set->st, &sub->t_life, sub->expires_at);
	} else {
		sipd__sub_end(sub, SIPD_SUB_END_EXPIRED, NULL);
	}
	sipd__sub_leave(sub);
}

static void n_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_subscription *sub = arg;
	sipd__sub_enter(sub);
	/* §4.1.2.4: later forks get 481 from now on */
	sipd__sub_window_del(sub);
	if (!sub->notified)
		sipd__sub_end(sub, SIPD_SUB_END_NO_NOTIFY, NULL);
	sipd__sub_leave(sub);
}

/* ---------------------------------------------------------------- responses */

static bool refer_sub_false(const struct sipd_msg *m)
{
	const struct sipd_hdr *h = sipd_msg_find(m, SIPD_HDR_REFER_SUB);
	struct sipd_str v;
	return h && sipd_token_parse(&v, h->value, NULL) == 0 && sipd_str_ieq(v, "false");
}

static bool header_uint(const struct sipd_msg *m, enum sipd_hdr_id id, uint32_t *out)
{
	const struct sipd_hdr *h = sipd_msg_find(m, id);
	return h && sipd_uint_parse(out, h->value, NULL) == 0;
}

static void bind_from_2xx(struct sipd_subscription *sub, const struct sipd_msg *resp)
{
	/* RFC 3261 §12.1.2: the 2xx makes the dialog, unless a NOTIFY did
	 * already; a 2xx from another fork than that NOTIFY's is ignored
	 * (§5.4.9) */
	if (sub->d || !sub->init)
		return;
	struct sipd_dialog_opts o = {.size = sizeof o,
	                             .local_contact = {sub->contact, strlen(sub->contact)},
	                             .tls = sub->tls};
	struct sipd_dialog *d;
	if (sipd_dialog_create_uac(sub->set->dialogs, &sub->init->msg, resp, &o, &d))
		return; /* no usable Contact: the first NOTIFY makes it */
	sipd__sub_bind(sub, d);
	if (!sub->window_open) {
		free(sub->init);
		sub->init = NULL;
	}
	if (sub->unsub_waits) {
		sub->unsub_waits = false;
		send_subscribe(sub, SUB_REQ_UNSUBSCRIBE);
	}
}

static void initial_final(struct sipd_subscription *sub, const struct sipd_msg *resp, unsigned code)
{
	uint32_t v;
	if (code >= 200 && code < 300) {
		if (sub->refer && refer_sub_false(resp)) {
			/* RFC 4488 §4: accepted without a subscription */
			sipd__sub_end(sub, SIPD_SUB_END_NO_SUBSCRIPTION, resp);
			return;
		}
		bind_from_2xx(sub, resp);
		/* §3.1.1: the 2xx says the duration (it MUST; without it, what
		 * we asked); a REFER's comes with the first NOTIFY (RFC 3515 §3.4) */
		if (!sub->refer && sub->state != SIPD_SUB_TERMINATED)
			life_arm(sub,
			         header_uint(resp, SIPD_HDR_EXPIRES, &v) ? v : sub->expires_req);
		return;
	}
	if (code == 423 && !sub->refer && header_uint(resp, SIPD_HDR_MIN_EXPIRES, &v) &&
	    v > sub->expires_req && sub->n423 < SUB_MAX_423) {
		/* §4.2.1.1: Interval Too Brief; ask again for the minimum */
		sub->n423++;
		sub->expires_req = v;
		sub->cseq++;
		if (send_initial(sub, false) == 0)
			return;
	}
	if (sub->notified)
		return; /* a NOTIFY made the subscription already */
	sub->status = code;
	sipd__sub_end(sub, SIPD_SUB_END_REFUSED, resp);
}

static void refresh_final(struct sipd_subscription *sub, const struct sipd_msg *resp, unsigned code)
{
	uint32_t v;
	if (code >= 200 && code < 300) {
		if (code == 204)
			sipd_stack_timer_cancel(sub->set->st, &sub->t_n); /* no NOTIFY comes */
		life_arm(sub, header_uint(resp, SIPD_HDR_EXPIRES, &v) ? v : sub->expires_req);
		return;
	}
	if (sipd_sub_fatal_status(code)) {
		sub->status = code;
		sipd__sub_end(sub, SIPD_SUB_END_REFRESH_FAILED, resp);
		return;
	}
	if (code == 423 && header_uint(resp, SIPD_HDR_MIN_EXPIRES, &v) && v > sub->expires_req &&
	    sub->n423 < SUB_MAX_423) {
		sub->n423++;
		sub->expires_req = v;
		if (send_subscribe(sub, SUB_REQ_REFRESH) == 0)
			return;
	}
	/* §4.1.2.2: other failures leave the subscription as it was until the
	 * known duration runs out (the life timer waits for that); no NOTIFY
	 * is owed for a refresh that failed */
	sipd_stack_timer_cancel(sub->set->st, &sub->t_n);
}

static void on_response(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                        const struct sipd_msg *resp)
{
	struct sipd_subscription *sub = arg;
	if (ev == SIPD_TXN_TERMINATED) {
		sipd__sub_client_done(sub);
		return;
	}
	if (sub->freed || tx != sub->sub_tx || (resp && resp->status < 200))
		return;
	unsigned code = resp ? resp->status : 408;
	enum sub_kind kind = (enum sub_kind)sub->kind;
	sub->sub_tx = NULL;
	sub->kind = SUB_REQ_NONE;
	sipd__sub_enter(sub);
	if (sub->cb.response)
		sub->cb.response(sub->arg, sub, resp);
	if (!sub->freed && sub->state != SIPD_SUB_TERMINATED) {
		if (code >= 200 && code < 300)
			sub->n423 =
				kind == SUB_REQ_INITIAL || kind == SUB_REQ_REFRESH ? 0 : sub->n423;
		switch (kind) {
		case SUB_REQ_INITIAL: initial_final(sub, resp, code); break;
		case SUB_REQ_REFRESH: refresh_final(sub, resp, code); break;
		case SUB_REQ_UNSUBSCRIBE:
			/* a 2xx: the final NOTIFY comes (§4.1.2.3); else there is
			 * nothing more to ask for */
			if (code >= 300) {
				sub->status = code;
				sipd__sub_end(sub, SIPD_SUB_END_LOCAL, resp);
			}
			break;
		default: break;
		}
	}
	sipd__sub_leave(sub);
}

/* ---------------------------------------------------------------- API */

int sipd_subscription_refresh(struct sipd_subscription *sub, uint64_t now)
{
	if (!sub || sub->role != SIPD_SUB_SUBSCRIBER)
		return SIPD_EINVAL;
	sipd__sub_tick(sub->set, now);
	if (sub->state == SIPD_SUB_TERMINATED || sub->unsubscribing || !sub->d || sub->sub_tx ||
	    (sub->refer && !sub->expires_req))
		return SIPD_ESTATE;
	int rc = send_subscribe(sub, SUB_REQ_REFRESH);
	if (rc == 0 && sub->expires_at != UINT64_MAX) {
		sub->life = SUB_LIFE_EXPIRE;
		sub->t_life.cb = life_fired;
		sipd_stack_timer_arm(sub->set->st, &sub->t_life, sub->expires_at);
	}
	return rc;
}

int sipd_subscription_unsubscribe(struct sipd_subscription *sub, uint64_t now)
{
	if (!sub || sub->role != SIPD_SUB_SUBSCRIBER)
		return SIPD_EINVAL;
	sipd__sub_tick(sub->set, now);
	if (sub->state == SIPD_SUB_TERMINATED || sub->unsubscribing)
		return SIPD_ESTATE;
	sub->unsubscribing = true;
	sipd_stack_timer_cancel(sub->set->st, &sub->t_life);
	if (!sub->d) {
		sub->unsub_waits = true; /* sent when the dialog exists */
		return 0;
	}
	int rc = send_subscribe(sub, SUB_REQ_UNSUBSCRIBE);
	if (rc)
		sub->unsubscribing = false;
	return rc;
}

int64_t sipd_subscription_retry_after(const struct sipd_subscription *sub)
{
	if (sub->role != SIPD_SUB_SUBSCRIBER || sub->state != SIPD_SUB_TERMINATED || sub->refer ||
	    sub->unsubscribing)
		return -1;
	return sipd_sub_retry_advice((enum sipd_sub_reason)sub->reason, sub->retry_after);
}

/* ---------------------------------------------------------------- NOTIFY */

/* §4.1.3: a NOTIFY that matched this subscription, its CSeq taken. */
static void accept_notify(struct sipd_subscription *sub, struct sipd_txn *tx,
                          const struct sipd_msg *req, const struct sipd_substate *ss, bool created)
{
	struct sipd_subscriptions *set = sub->set;
	bool terminated = sipd_str_ieq(ss->state, "terminated");
	struct sipd_str contact = sub->d ? sipd_dialog_local_contact(sub->d) : SIPD_STR_NULL;
	sipd__sub_respond(set, tx, 200, NULL, SIPD_STR_NULL, contact, NULL);
	if (sub->d && !created)
		sipd_dialog_refresh_target(sub->d, req); /* NOTIFY refreshes the target (§3.2) */
	sub->notified = true;
	if (!sub->window_open)
		sipd_stack_timer_cancel(set->st, &sub->t_n);
	enum sipd_sub_state next = (enum sipd_sub_state)sub->state;
	bool active = sipd_str_ieq(ss->state, "active");
	if ((active || sipd_str_ieq(ss->state, "pending")) && !sub->unsubscribing) {
		next = active ? SIPD_SUB_ACTIVE : SIPD_SUB_PENDING;
		/* §4.1.3: expires is the authoritative duration */
		if (ss->expires >= 0) {
			uint32_t e = ss->expires > UINT32_MAX ? UINT32_MAX : (uint32_t)ss->expires;
			if (sub->refer)
				sub->expires_req = e; /* what a refresh asks for */
			life_arm(sub, e);
		}
	}
	/* other values are extensions (§8.4): the state stays */
	if (sub->cb.notify)
		sub->cb.notify(sub->arg, sub, req);
	if (sub->freed)
		return;
	if (terminated) {
		/* §4.1.3: the expires parameter means nothing here */
		sub->retry_after = ss->retry_after;
		sipd__sub_end(
			sub, ss->reason.p ? sipd_sub_reason_lookup(ss->reason) : SIPD_SUB_END_OTHER,
			req);
		return;
	}
	sipd__sub_set_state(sub, next, req);
}

/* §4.1.2.4, §4.4.1: a NOTIFY creates the subscriber's dialog: we are the
 * UAS of this request, so its Record-Route in order is the route set and
 * its Contact the target; our CSeq goes on from the initial request's. */
static int dialog_from_notify(struct sipd_subscription *sub, const struct sipd_msg *req,
                              struct sipd_dialog **out)
{
	struct sipd_dialog_opts o = {.size = sizeof o,
	                             .local_contact = {sub->contact, strlen(sub->contact)},
	                             .tls = sub->tls};
	struct sipd_dialog *d;
	int rc = sipd_dialog_create_uas(sub->set->dialogs, req, req->to.tag, &o, &d);
	if (rc)
		return rc;
	sipd_dialog_confirm(d);
	/* the local sequence number is the initial request's (§12.1.2): a
	 * request built (not sent) with that CSeq sets it */
	char buf[4096];
	struct sipd_request r;
	const char *m = sub->refer ? "REFER" : "SUBSCRIBE";
	struct sipd_dialog_request dr = {
		.size = sizeof dr, .method = {m, strlen(m)}, .cseq = sub->cseq};
	sipd_dialog_request(d, &dr, buf, sizeof buf, &r, NULL);
	*out = d;
	return 0;
}

static void notify_new_dialog(struct sipd_subscription *root, struct sipd_txn *tx,
                              const struct sipd_msg *req, const struct sipd_substate *ss)
{
	struct sipd_subscriptions *set = root->set;
	bool terminated = sipd_str_ieq(ss->state, "terminated");
	bool fork = root->d != NULL;
	if (fork && (!root->window_open || !root->cb.forked || root->unsubscribing)) {
		/* §5.4.9: one subscription per request, or the window closed */
		sipd__sub_respond(set, tx, 481, NULL, SIPD_STR_NULL, SIPD_STR_NULL, NULL);
		return;
	}
	if (terminated) {
		/* §4.4.1: no dialog for a NOTIFY that ends the subscription */
		if (fork) {
			sipd__sub_respond(set, tx, 200, NULL, SIPD_STR_NULL, SIPD_STR_NULL, NULL);
			return;
		}
		accept_notify(root, tx, req, ss, true);
		return;
	}
	struct sipd_subscription *sub = root;
	if (fork) {
		sub = sipd__sub_new(set, SIPD_SUB_SUBSCRIBER, &root->cb, root->arg);
		bool ok = sub && sipd__sub_setstr(&sub->event, root->event) == 0 &&
		          sipd__sub_setstr(&sub->id, root->id) == 0 &&
		          sipd__sub_setstr(&sub->contact, root->contact) == 0 &&
		          sipd__sub_setstr(&sub->accept, root->accept) == 0 &&
		          sipd__sub_setstr(&sub->ruri, root->ruri) == 0 &&
		          sipd__sub_setstr(&sub->from, root->from) == 0 &&
		          sipd__sub_setstr(&sub->to, root->to) == 0 &&
		          sipd__sub_setstr(&sub->headers, root->headers) == 0;
		if (!ok) {
			sipd_subscription_free(sub);
			sipd__sub_respond(set, tx, 500, NULL, SIPD_STR_NULL, SIPD_STR_NULL, NULL);
			return;
		}
		sub->refer = root->refer;
		sub->flow = root->flow;
		sub->tls = root->tls;
		sub->cseq = root->cseq;
		sub->expires_req = root->expires_req;
	}
	struct sipd_dialog *d;
	int rc = dialog_from_notify(sub, req, &d);
	if (rc) {
		if (fork)
			sipd_subscription_free(sub);
		sipd__sub_respond(set, tx, rc == SIPD_EPARSE ? 400 : 500,
		                  rc == SIPD_EPARSE ? "Missing or bad Contact" : NULL,
		                  SIPD_STR_NULL, SIPD_STR_NULL, NULL);
		return;
	}
	sipd__sub_bind(sub, d);
	if (!fork) {
		accept_notify(sub, tx, req, ss, true);
		if (!sub->freed && sub->unsub_waits && sub->state != SIPD_SUB_TERMINATED) {
			sub->unsub_waits = false;
			send_subscribe(sub, SUB_REQ_UNSUBSCRIBE);
		}
		return;
	}
	/* §4.1.4: a subscription of its own, told to the application first */
	sipd__sub_enter(sub);
	root->cb.forked(root->arg, root, sub, req);
	if (sub->freed)
		sipd__sub_respond(set, tx, 481, NULL, SIPD_STR_NULL, SIPD_STR_NULL, NULL);
	else
		accept_notify(sub, tx, req, ss, true);
	sipd__sub_leave(sub);
}

void sipd__sub_on_notify(struct sipd_subscriptions *set, struct sipd_txn *tx,
                         const struct sipd_msg *req)
{
	const struct sipd_hdr *eh = sipd_msg_find(req, SIPD_HDR_EVENT);
	const struct sipd_hdr *sh = sipd_msg_find(req, SIPD_HDR_SUBSCRIPTION_STATE);
	struct sipd_event ev;
	struct sipd_substate ss;
	/* §3.2.1, §4.1.3: both are mandatory */
	if (!eh || sipd_event_parse(&ev, eh->value, NULL)) {
		sipd__sub_respond(set, tx, 400, "Missing Event header", SIPD_STR_NULL,
		                  SIPD_STR_NULL, NULL);
		return;
	}
	if (!sh || sipd_substate_parse(&ss, sh->value, NULL)) {
		sipd__sub_respond(set, tx, 400, "Missing Subscription-State header", SIPD_STR_NULL,
		                  SIPD_STR_NULL, NULL);
		return;
	}
	struct sipd_dialog *d =
		req->to.tag.len ? sipd_dialogs_match_request(set->dialogs, req) : NULL;
	if (d) {
		struct sipd_subscription *sub =
			sipd__sub_in_dialog(set, d, SIPD_SUB_SUBSCRIBER, ev.package, ev.id);
		unsigned bad = sub ? sipd_dialog_check_request(d, req) : 481;
		if (bad) {
			/* §4.1.3: no such subscription; §12.2.2: out of order */
			sipd__sub_respond(set, tx, bad, bad == 500 ? "Request out of order" : NULL,
			                  SIPD_STR_NULL, SIPD_STR_NULL, NULL);
			return;
		}
		sipd_dialog_take_request(d, req);
		sipd__sub_enter(sub);
		accept_notify(sub, tx, req, &ss, false);
		sipd__sub_leave(sub);
		return;
	}
	struct sipd_subscription *root =
		req->to.tag.len ? sipd__sub_in_window(set, req, ev.package, ev.id) : NULL;
	if (!root || root->state == SIPD_SUB_TERMINATED) {
		sipd__sub_respond(set, tx, 481, NULL, SIPD_STR_NULL, SIPD_STR_NULL, NULL);
		return;
	}
	sipd__sub_enter(root);
	notify_new_dialog(root, tx, req, &ss);
	sipd__sub_leave(root);
}
