/* Subscriptions, the notifier's side (RFC 6665 §4.2): SUBSCRIBE in (489,
 * 423, 403, the 200 and the immediate NOTIFY), refreshes and
 * unsubscriptions, expiry, NOTIFYs one at a time; and the REFER recipient
 * (RFC 3515 §2.4), whose implicit subscription reports progress as
 * message/sipfrag (RFC 3420), or not at all under Refer-Sub: false (RFC
 * 4488). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subscription/sub.h"

#define SIPFRAG "message/sipfrag;version=2.0"

static void pump(struct sipd_subscription *sub);

/* ---------------------------------------------------------------- helpers */

void sipd__sub_queued_free(struct sub_queued *q)
{
	free(q->reason);
	free(q->ctype);
	free(q->body);
	memset(q, 0, sizeof *q);
}

/* RFC 3261 §25.1 token: what a reason value may be (§8.4) */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-.!%*_+`'~", *s)))
			return false;
	return true;
}

static bool event_accepted(const struct sipd_subscriptions *set, struct sipd_str pkg)
{
	/* byte by byte, as §8.2.1 compares packages */
	const char *p = set->events;
	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == pkg.len && pkg.len && memcmp(p, pkg.p, pkg.len) == 0)
			return true;
		p = e;
	}
	return false;
}

/* A response of the notifier; out of dialog it gets a To tag even when no
 * dialog follows (RFC 3261 §8.2.6.2). */
static void answer(struct sipd_subscriptions *set, struct sipd_txn *tx, const struct sipd_msg *req,
                   unsigned code, const char *reason, const char *extra)
{
	char tag[12];
	struct sipd_str to_tag = SIPD_STR_NULL;
	if (!req->to.tag.len) {
		sipd_stack_random_token(set->st, tag, sizeof tag);
		to_tag = (struct sipd_str){tag, sizeof tag};
	}
	sipd__sub_respond(set, tx, code, reason, to_tag, SIPD_STR_NULL, extra);
}

static void bad_event(struct sipd_subscriptions *set, struct sipd_txn *tx,
                      const struct sipd_msg *req)
{
	/* §4.2.1.1, §4.2.3: 489, naming what we do notify (§4.4.4) */
	char extra[1024] = "";
	if (set->events && set->events[0] &&
	    (size_t)snprintf(extra, sizeof extra, "Allow-Events: %s\r\n", set->events) >=
	            sizeof extra)
		extra[0] = 0; /* too long a list to name */
	answer(set, tx, req, 489, NULL, extra);
}

static int set_current(struct sipd_subscription *sub, const char *ctype, struct sipd_str body)
{
	char *t = ctype ? sipd__sub_strdup((struct sipd_str){ctype, strlen(ctype)}) : NULL;
	char *b = body.len ? sipd__sub_strdup(body) : NULL;
	if ((ctype && !t) || (body.len && !b)) {
		free(t);
		free(b);
		return SIPD_ENOMEM;
	}
	free(sub->state_ctype);
	free(sub->state_body);
	sub->state_ctype = t;
	sub->state_body = b;
	sub->state_len = body.len;
	return 0;
}

/* The next NOTIFY replaces any that waits (§5.3.1: full state). */
static int queue(struct sipd_subscription *sub, enum sipd_sub_state st, const char *reason,
                 int64_t retry_after, const char *ctype, struct sipd_str body)
{
	struct sub_queued q = {.set = true, .state = (uint8_t)st, .retry_after = retry_after};
	q.reason = reason ? sipd__sub_strdup((struct sipd_str){reason, strlen(reason)}) : NULL;
	q.ctype = ctype && body.len ? sipd__sub_strdup((struct sipd_str){ctype, strlen(ctype)})
	                            : NULL;
	q.body = body.len ? sipd__sub_strdup(body) : NULL;
	q.body_len = body.len;
	q.with_body = body.len > 0;
	if ((reason && !q.reason) || (ctype && body.len && !q.ctype) || (body.len && !q.body)) {
		sipd__sub_queued_free(&q);
		return SIPD_ENOMEM;
	}
	sipd__sub_queued_free(&sub->queued);
	sub->queued = q;
	if (st == SIPD_SUB_TERMINATED)
		sub->ending = true;
	return 0;
}

static uint32_t expires_of(const struct sipd_subscriptions *set, const struct sipd_msg *req,
                           bool *bad)
{
	const struct sipd_hdr *h = sipd_msg_find(req, SIPD_HDR_EXPIRES);
	uint32_t v = set->cfg.default_expires; /* §3.1.1: the package's default */
	*bad = h && sipd_uint_parse(&v, h->value, NULL) != 0;
	return v;
}

/* §4.2.1.1, §4.2.1.4: the duration to grant, or the status refusing it
 * (400, or 423 with Min-Expires in `extra`). */
static unsigned grant(const struct sipd_subscriptions *set, const struct sipd_msg *req,
                      uint32_t *out, char *extra, size_t cap)
{
	bool bad;
	uint32_t e = expires_of(set, req, &bad);
	if (bad)
		return 400;
	/* 423 if and only if above zero, below one hour and below our minimum */
	if (e > 0 && e < 3600 && e < set->cfg.min_expires) {
		snprintf(extra, cap, "Min-Expires: %u\r\n", (unsigned)set->cfg.min_expires);
		return 423;
	}
	if (set->cfg.max_expires && e > set->cfg.max_expires)
		e = set->cfg.max_expires; /* shortened, never lengthened */
	*out = e;
	return 0;
}

static void expire_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);

static void arm_expiry(struct sipd_subscription *sub, uint32_t seconds)
{
	sub->expires_at = sipd__sub_now(sub) + (uint64_t)seconds * 1000;
	sub->t_life.cb = expire_fired;
	if (seconds)
		sipd_stack_timer_arm(sub->set->st, &sub->t_life, sub->expires_at);
	else
		sipd_stack_timer_cancel(sub->set->st, &sub->t_life);
}

/* ---------------------------------------------------------------- sending */

static void notify_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                      const struct sipd_msg *resp)
{
	struct sipd_subscription *sub = arg;
	if (ev == SIPD_TXN_TERMINATED) {
		sipd__sub_client_done(sub);
		return;
	}
	if (sub->freed || (resp && resp->status < 200) || tx != sub->sub_tx)
		return;
	sub->sub_tx = NULL;
	sub->notify_out = false;
	if (sub->state == SIPD_SUB_TERMINATED)
		return;
	unsigned code = resp ? resp->status : 408;
	sipd__sub_enter(sub);
	/* §4.2.2: Timer F (a transport failure is as final), or a response
	 * saying the subscriber is gone */
	if (ev != SIPD_TXN_RESPONSE || code == 408 || sipd_sub_fatal_status(code)) {
		sub->status = code;
		sipd__sub_end(sub, SIPD_SUB_END_NOTIFY_FAILED, resp);
	} else {
		pump(sub);
	}
	sipd__sub_leave(sub);
}

static void send_queued(struct sipd_subscription *sub)
{
	struct sub_queued q = sub->queued;
	memset(&sub->queued, 0, sizeof sub->queued);
	uint64_t now = sipd__sub_now(sub);
	char extra[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, extra, sizeof extra - 1);
	sipd_buf_puts(&b, "Event: ");
	sipd_buf_puts(&b, sub->event);
	if (sub->id && sub->id[0]) {
		sipd_buf_puts(&b, ";id=");
		sipd_buf_puts(&b, sub->id);
	}
	sipd_buf_puts(&b, "\r\nSubscription-State: ");
	if (q.state == SIPD_SUB_TERMINATED) {
		/* §4.2.2: the reason, and retry-after where it means something */
		sipd_buf_puts(&b, "terminated");
		if (q.reason) {
			sipd_buf_puts(&b, ";reason=");
			sipd_buf_puts(&b, q.reason);
		}
		if (q.retry_after >= 0) {
			sipd_buf_puts(&b, ";retry-after=");
			sipd_buf_putu(&b, (uint64_t)q.retry_after);
		}
	} else {
		/* §4.2.2: active and pending carry the time left */
		sipd_buf_puts(&b,
		              q.state == SIPD_SUB_PENDING ? "pending;expires=" : "active;expires=");
		sipd_buf_putu(&b, sub->expires_at > now ? (sub->expires_at - now) / 1000 : 0);
	}
	sipd_buf_puts(&b, "\r\n");
	extra[b.overflow ? 0 : b.len] = 0;
	struct sipd_txn *tx = NULL;
	int rc = b.overflow ? SIPD_ENOSPC
	                    : sipd__sub_send(sub, "NOTIFY", extra, q.ctype,
	                                     q.with_body ? (struct sipd_str){q.body, q.body_len}
	                                                 : SIPD_STR_NULL,
	                                     notify_cb, 0, &tx);
	sub->sent_any = true;
	sub->last_notify_at = now;
	if (rc == 0) {
		sub->sub_tx = tx;
		sub->notify_out = true;
	}
	if (q.state == SIPD_SUB_TERMINATED) {
		/* the subscription is over once its final NOTIFY is out (§4.4.1) */
		enum sipd_sub_reason why = q.reason ? sipd_sub_reason_lookup((struct sipd_str){
							      q.reason, strlen(q.reason)})
		                                    : SIPD_SUB_END_OTHER;
		sipd__sub_queued_free(&q);
		sipd__sub_end(sub, why, NULL);
		return;
	}
	enum sipd_sub_state st = (enum sipd_sub_state)q.state;
	sipd__sub_queued_free(&q);
	if (rc) {
		sub->status = 503;
		sipd__sub_end(sub, SIPD_SUB_END_NOTIFY_FAILED, NULL);
		return;
	}
	sipd__sub_set_state(sub, st, NULL);
}

static void throttle_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_subscription *sub = arg;
	sipd__sub_enter(sub);
	pump(sub);
	sipd__sub_leave(sub);
}

/* Sends what waits, when nothing is out and the rate allows (§5.4.10; RFC
 * 3515 §3.10 for refer). */
static void pump(struct sipd_subscription *sub)
{
	if (!sub->queued.set || !sub->answered || sub->notify_out || sub->no_notify ||
	    sub->state == SIPD_SUB_TERMINATED)
		return;
	uint64_t now = sipd__sub_now(sub);
	uint64_t at = sub->last_notify_at + sub->min_interval;
	if (sub->sent_any && now < at) {
		sub->t_throttle.cb = throttle_fired;
		sipd_stack_timer_arm(sub->set->st, &sub->t_throttle, at);
		return;
	}
	send_queued(sub);
}

/* §4.2.1.4: the subscription ran out: NOTIFY terminated;reason=timeout. */
static void expire_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_subscription *sub = arg;
	sipd__sub_enter(sub);
	if (sub->state != SIPD_SUB_TERMINATED && !sub->ending) {
		/* a refer NOTIFY always carries its sipfrag (RFC 3515 §2.4.5) */
		struct sipd_str body = sub->refer
		                               ? (struct sipd_str){sub->state_body, sub->state_len}
		                               : SIPD_STR_NULL;
		if (queue(sub, SIPD_SUB_TERMINATED, "timeout", -1, sub->state_ctype, body) == 0)
			pump(sub);
		else
			sipd__sub_end(sub, SIPD_SUB_END_TIMEOUT, NULL);
	}
	sipd__sub_leave(sub);
}

/* ---------------------------------------------------------------- API */

int sipd_subscription_notify(struct sipd_subscription *sub, enum sipd_sub_state st,
                             const char *content_type, struct sipd_str body, uint64_t now)
{
	if (!sub || sub->role != SIPD_SUB_NOTIFIER ||
	    (st != SIPD_SUB_PENDING && st != SIPD_SUB_ACTIVE))
		return SIPD_EINVAL;
	sipd__sub_tick(sub->set, now);
	if (sub->state == SIPD_SUB_TERMINATED || sub->ending)
		return SIPD_ESTATE;
	if (sub->no_notify)
		return 0;
	int rc = set_current(sub, content_type, body);
	if (rc == 0)
		rc = queue(sub, st, NULL, -1, content_type, body);
	if (rc)
		return rc;
	sipd__sub_enter(sub);
	pump(sub);
	sipd__sub_leave(sub);
	return 0;
}

int sipd_subscription_terminate(struct sipd_subscription *sub, const char *reason,
                                int64_t retry_after, const char *content_type, struct sipd_str body,
                                uint64_t now)
{
	if (!sub || sub->role != SIPD_SUB_NOTIFIER || (reason && !is_token(reason)))
		return SIPD_EINVAL;
	sipd__sub_tick(sub->set, now);
	if (sub->state == SIPD_SUB_TERMINATED || sub->ending)
		return SIPD_ESTATE;
	sipd__sub_enter(sub);
	int rc = 0;
	if (sub->no_notify) {
		sipd__sub_end(
			sub,
			reason ? sipd_sub_reason_lookup((struct sipd_str){reason, strlen(reason)})
			       : SIPD_SUB_END_OTHER,
			NULL);
	} else {
		rc = queue(sub, SIPD_SUB_TERMINATED, reason, retry_after, content_type, body);
		if (rc == 0)
			pump(sub);
	}
	sipd__sub_leave(sub);
	return rc;
}

int sipd_refer_progress(struct sipd_subscription *sub, unsigned code, const char *reason,
                        uint64_t now)
{
	if (!sub || !sub->refer || sub->role != SIPD_SUB_NOTIFIER || code < 100 || code > 699)
		return SIPD_EINVAL;
	sipd__sub_tick(sub->set, now);
	if (sub->state == SIPD_SUB_TERMINATED || sub->ending)
		return SIPD_ESTATE;
	if (sub->no_notify) {
		/* RFC 4488: nobody listens; a final result just ends it */
		if (code >= 200) {
			sipd__sub_enter(sub);
			sipd__sub_end(sub, SIPD_SUB_END_NORESOURCE, NULL);
			sipd__sub_leave(sub);
		}
		return 0;
	}
	/* RFC 3515 §2.4.5: a status line as message/sipfrag */
	char frag[128];
	const char *phrase = reason ? reason : sipd_reason_phrase(code);
	int n = snprintf(frag, sizeof frag, "SIP/2.0 %u %s\r\n", code,
	                 phrase[0] ? phrase : "Unknown");
	if (n < 0 || (size_t)n >= sizeof frag)
		return SIPD_ENOSPC;
	struct sipd_str body = {frag, (size_t)n};
	/* §2.4.7: the final result ends the subscription, reason noresource */
	if (code >= 200) {
		int rc = set_current(sub, SIPFRAG, body);
		return rc ? rc
		          : sipd_subscription_terminate(sub, "noresource", -1, SIPFRAG, body, now);
	}
	return sipd_subscription_notify(sub, SIPD_SUB_ACTIVE, SIPFRAG, body, now);
}

/* ---------------------------------------------------------------- SUBSCRIBE in */

/* A dialog of our own for a request out of dialog (RFC 3261 §12.1.1). */
static int make_dialog(struct sipd_subscription *sub, const struct sipd_msg *req,
                       struct sipd_dialog **out)
{
	char tag[12];
	sipd_stack_random_token(sub->set->st, tag, sizeof tag);
	struct sipd_dialog_opts o = {.size = sizeof o,
	                             .local_contact = sub->set->cfg.local_contact,
	                             .tls = sub->flow.transport == SIPD_TP_TLS};
	int rc = sipd_dialog_create_uas(sub->set->dialogs, req, (struct sipd_str){tag, sizeof tag},
	                                &o, out);
	if (rc == 0)
		sipd_dialog_confirm(*out);
	return rc;
}

/* The 2xx of a request that made or joined a dialog: our tag, our Contact. */
static void respond_2xx(struct sipd_subscription *sub, struct sipd_txn *tx,
                        const struct sipd_msg *req, unsigned code, const char *extra)
{
	struct sipd_str tag = req->to.tag.len ? SIPD_STR_NULL : sipd_dialog_local_tag(sub->d);
	sipd__sub_respond(sub->set, tx, code, NULL, tag, sipd_dialog_local_contact(sub->d), extra);
	if (req->to.tag.len)
		sipd_dialog_refresh_target(sub->d, req); /* a target refresh request (§3.1) */
	sub->answered = true;
}

static void refresh(struct sipd_subscription *sub, struct sipd_txn *tx, const struct sipd_msg *req)
{
	char extra[64];
	uint32_t e = 0;
	unsigned bad = grant(sub->set, req, &e, extra, sizeof extra);
	if (bad) {
		sipd__sub_respond(sub->set, tx, bad, NULL, SIPD_STR_NULL, SIPD_STR_NULL,
		                  bad == 423 ? extra : NULL);
		return;
	}
	if (sub->ending)
		e = 0; /* its final NOTIFY is on its way */
	snprintf(extra, sizeof extra, "Expires: %u\r\n", (unsigned)e);
	respond_2xx(sub, tx, req, 200, extra);
	if (sub->ending)
		return;
	struct sipd_str current = {sub->state_body, sub->state_len};
	if (!e) {
		/* §4.2.1.4: an unsubscription; the last state goes with the final
		 * NOTIFY (§3.1.1: Expires 0 also fetches) */
		if (sub->cb.unsubscribed)
			sub->cb.unsubscribed(sub->arg, sub, req);
		if (sub->freed)
			return;
		if (queue(sub, SIPD_SUB_TERMINATED, "timeout", -1, sub->state_ctype, current) == 0)
			pump(sub);
		else
			sipd__sub_end(sub, SIPD_SUB_END_TIMEOUT, req);
		return;
	}
	arm_expiry(sub, e);
	/* §4.2.1.2: a refresh is confirmed by a NOTIFY with the current state
	 * (a NOTIFY waiting to go is that already) */
	enum sipd_sub_state st =
		sub->state == SIPD_SUB_PENDING ? SIPD_SUB_PENDING : SIPD_SUB_ACTIVE;
	if (!sub->queued.set)
		queue(sub, st, NULL, -1, sub->state_ctype, current);
	if (sub->cb.refreshed)
		sub->cb.refreshed(sub->arg, sub, req);
	if (!sub->freed)
		pump(sub);
}

static void new_subscription(struct sipd_subscriptions *set, struct sipd_txn *tx,
                             const struct sipd_msg *req, const struct sipd_flow *from,
                             struct sipd_dialog *d, const struct sipd_event *ev)
{
	if (!event_accepted(set, ev->package)) {
		bad_event(set, tx, req);
		return;
	}
	if (ev->id.len > 128) {
		answer(set, tx, req, 400, "Event id too long", NULL); /* it goes in every NOTIFY */
		return;
	}
	char extra[64];
	uint32_t e = 0;
	unsigned bad = grant(set, req, &e, extra, sizeof extra);
	if (bad) {
		answer(set, tx, req, bad, NULL, bad == 423 ? extra : NULL);
		return;
	}
	struct sipd_subscription *sub =
		sipd__sub_new(set, SIPD_SUB_NOTIFIER, &set->cb, set->cfg.arg);
	if (!sub || !(sub->event = sipd__sub_strdup(ev->package)) ||
	    (ev->id.p && !(sub->id = sipd__sub_strdup(ev->id)))) {
		sipd_subscription_free(sub);
		answer(set, tx, req, 500, NULL, NULL);
		return;
	}
	sub->flow = *from;
	sub->min_interval = set->cfg.min_notify_interval;
	struct sipd_sub_answer ans = {
		.size = sizeof ans, .code = 200, .state = SIPD_SUB_ACTIVE, .expires = e};
	sipd__sub_enter(sub);
	if (set->cb.subscribe)
		set->cb.subscribe(set->cfg.arg, sub, req, &ans);
	if (sub->freed || ans.code < 200 || ans.code > 699 || ans.code >= 300) {
		/* refused: the subscription goes with the callback */
		char hdrs[1024] = "";
		if (ans.headers.len && ans.headers.len < sizeof hdrs)
			memcpy(hdrs, ans.headers.p, ans.headers.len);
		unsigned code = ans.code >= 300 && ans.code <= 699 ? ans.code : 403;
		answer(set, tx, req, code, ans.reason, hdrs);
		sipd_subscription_free(sub);
		sipd__sub_leave(sub);
		return;
	}
	if (ans.expires < e)
		e = ans.expires;
	struct sipd_dialog *nd = d;
	int rc = d ? 0 : make_dialog(sub, req, &nd);
	if (rc) {
		/* §12.1.1: a dialog needs the subscriber's Contact */
		answer(set, tx, req, rc == SIPD_EPARSE ? 400 : 500,
		       rc == SIPD_EPARSE ? "Missing or bad Contact" : NULL, NULL);
		/* the application accepted it: it hears of the end (and may free
		 * it: the subscription is held until we leave it) */
		sub->reason = SIPD_SUB_END_REJECTED;
		sipd__sub_set_state(sub, SIPD_SUB_TERMINATED, req);
		sipd_subscription_free(sub);
		sipd__sub_leave(sub);
		return;
	}
	sipd__sub_bind(sub, nd);
	snprintf(extra, sizeof extra, "Expires: %u\r\n", (unsigned)e);
	/* §8.3.1: always 200, never 202 */
	respond_2xx(sub, tx, req, 200, extra);
	arm_expiry(sub, e);
	/* §4.2.1.2: the NOTIFY follows at once, with the state the callback
	 * gave (or what it notified itself); a duration of zero is a fetch
	 * (§4.4.3) that ends with this NOTIFY */
	if (!sub->queued.set)
		rc = set_current(sub, ans.content_type, ans.body);
	if (rc == 0 && !e && !sub->ending)
		rc = queue(sub, SIPD_SUB_TERMINATED, "timeout", -1, sub->state_ctype,
		           (struct sipd_str){sub->state_body, sub->state_len});
	else if (rc == 0 && !sub->queued.set)
		rc = queue(sub, ans.state == SIPD_SUB_PENDING ? SIPD_SUB_PENDING : SIPD_SUB_ACTIVE,
		           NULL, -1, ans.content_type, ans.body);
	if (rc)
		sipd__sub_end(sub, SIPD_SUB_END_LOCAL, NULL);
	pump(sub);
	sipd__sub_leave(sub);
}

void sipd__sub_on_subscribe(struct sipd_subscriptions *set, struct sipd_txn *tx,
                            const struct sipd_msg *req, const struct sipd_flow *from)
{
	const struct sipd_hdr *eh = sipd_msg_find(req, SIPD_HDR_EVENT);
	struct sipd_event ev;
	if (!eh || sipd_event_parse(&ev, eh->value, NULL)) {
		bad_event(set, tx, req); /* §4.2.3: no PINT here */
		return;
	}
	struct sipd_dialog *d = NULL;
	if (req->to.tag.len) {
		d = sipd_dialogs_match_request(set->dialogs, req);
		unsigned bad = d ? sipd_dialog_check_request(d, req) : 481;
		if (bad) {
			sipd__sub_respond(set, tx, bad, bad == 500 ? "Request out of order" : NULL,
			                  SIPD_STR_NULL, SIPD_STR_NULL, NULL);
			return;
		}
		sipd_dialog_take_request(d, req);
		struct sipd_subscription *sub =
			sipd__sub_in_dialog(set, d, SIPD_SUB_NOTIFIER, ev.package, ev.id);
		if (sub) {
			sipd__sub_enter(sub);
			refresh(sub, tx, req);
			sipd__sub_leave(sub);
			return;
		}
		/* a new subscription in a dialog that exists: dialog sharing,
		 * which §4.5.2 lets a notifier accept */
	}
	if (sipd_str_eq(ev.package, "refer")) {
		/* RFC 3515 §2.4.4: only REFER makes those */
		answer(set, tx, req, 403, NULL, NULL);
		return;
	}
	new_subscription(set, tx, req, from, d, &ev);
}

/* ---------------------------------------------------------------- REFER in */

int sipd__sub_on_refer(struct sipd_subscriptions *set, struct sipd_txn *tx,
                       const struct sipd_msg *req, const struct sipd_flow *from)
{
	if (!set->cb.refer)
		return -1;
	struct sipd_dialog *d = NULL;
	if (req->to.tag.len) {
		d = sipd_dialogs_match_request(set->dialogs, req);
		if (!d)
			return -1; /* the core answers 481 */
		unsigned bad = sipd_dialog_check_request(d, req);
		if (bad) {
			sipd__sub_respond(set, tx, bad, bad == 500 ? "Request out of order" : NULL,
			                  SIPD_STR_NULL, SIPD_STR_NULL, NULL);
			return 0;
		}
		sipd_dialog_take_request(d, req);
	}
	/* RFC 3515 §2.4.2: exactly one Refer-To */
	struct sipd_hdr_iter it;
	struct sipd_str v, refer_to = SIPD_STR_NULL;
	unsigned n = 0;
	sipd_hdr_iter_init(&it, req, SIPD_HDR_REFER_TO);
	while (sipd_hdr_iter_next(&it, &v))
		if (n++ == 0)
			refer_to = v;
	if (n != 1) {
		answer(set, tx, req, 400, "Exactly one Refer-To required", NULL);
		return 0;
	}
	const struct sipd_hdr *rs = sipd_msg_find(req, SIPD_HDR_REFER_SUB);
	struct sipd_str rsv = SIPD_STR_NULL;
	bool no_sub = rs && sipd_token_parse(&rsv, rs->value, NULL) == 0 &&
	              sipd_str_ieq(rsv, "false") && set->cfg.no_refer_sub;
	struct sipd_subscription *sub =
		sipd__sub_new(set, SIPD_SUB_NOTIFIER, &set->cb, set->cfg.arg);
	char id[12];
	snprintf(id, sizeof id, "%u", (unsigned)req->cseq.seq);
	if (!sub || sipd__sub_setstr(&sub->event, "refer") || sipd__sub_setstr(&sub->id, id) ||
	    !(sub->refer_to = sipd__sub_strdup(refer_to))) {
		sipd_subscription_free(sub);
		answer(set, tx, req, 500, NULL, NULL);
		return 0;
	}
	sub->refer = true;
	sub->cseq = req->cseq.seq;
	sub->flow = *from;
	sub->min_interval = set->cfg.min_notify_interval > SUB_REFER_INTERVAL
	                            ? set->cfg.min_notify_interval
	                            : SUB_REFER_INTERVAL;
	/* §2.4.4: the immediate NOTIFY says the reference is being tried;
	 * progress reported from the callback replaces it */
	static const char trying[] = "SIP/2.0 100 Trying\r\n";
	struct sipd_str tb = {trying, sizeof trying - 1};
	if (set_current(sub, SIPFRAG, tb) || queue(sub, SIPD_SUB_ACTIVE, NULL, -1, SIPFRAG, tb)) {
		sipd_subscription_free(sub);
		answer(set, tx, req, 500, NULL, NULL);
		return 0;
	}
	sipd__sub_enter(sub);
	unsigned code = set->cb.refer(set->cfg.arg, sub, req);
	if (sub->freed || code < 200 || code >= 300) {
		answer(set, tx, req, code >= 300 && code <= 699 ? code : 603, NULL, NULL);
		sipd_subscription_free(sub);
		sipd__sub_leave(sub);
		return 0;
	}
	if (no_sub) {
		/* RFC 4488 §4: accepted, and no subscription nor dialog for it */
		sub->no_notify = true;
		sipd__sub_queued_free(&sub->queued);
		answer(set, tx, req, 202, NULL, "Refer-Sub: false\r\n");
		if (sub->ending)
			sipd__sub_end(sub, SIPD_SUB_END_NORESOURCE, NULL);
		else
			sipd__sub_set_state(sub, SIPD_SUB_ACTIVE, req);
		sipd__sub_leave(sub);
		return 0;
	}
	struct sipd_dialog *nd = d;
	int rc = d ? 0 : make_dialog(sub, req, &nd);
	if (rc) {
		answer(set, tx, req, rc == SIPD_EPARSE ? 400 : 500,
		       rc == SIPD_EPARSE ? "Missing or bad Contact" : NULL, NULL);
		sipd_subscription_free(sub);
		sipd__sub_leave(sub);
		return 0;
	}
	sipd__sub_bind(sub, nd);
	respond_2xx(sub, tx, req, 202, rs ? "Refer-Sub: true\r\n" : NULL);
	arm_expiry(sub, set->cfg.refer_expires);
	pump(sub);
	sipd__sub_leave(sub);
	return 0;
}
