/* The transferee's side of a call transfer (RFC 3515): see transfer.h. */
#define _POSIX_C_SOURCE 200809L
#include "transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <sipdialog/msg.h>

#include "util.h"

struct xcall {
	struct xcall *prev, *next;
	struct transfers *t;
	struct sipd_session *s;
	/* the REFER's subscription, told of the call's progress until its
	 * outcome (RFC 3515 §2.4.5); NULL after that, or once it ended */
	struct sipd_subscription *sub;
	uv_timer_t hold; /* an answered call's length (hangup_ms) */
	bool answered;
	char sdp[512];
};

struct transfers {
	struct transfers_config cfg;
	struct xcall *open;
	size_t live;
	uint64_t placed, answered;
	bool stopping;
};

struct transfers *transfers_create(const struct transfers_config *cfg)
{
	struct transfers *t = calloc(1, sizeof *t);
	if (t)
		t->cfg = *cfg;
	return t;
}

static void xcall_closed(uv_handle_t *h)
{
	struct xcall *c = h->data;
	sipd_session_free(c->s);
	free(c);
}

/* Unlinks the call; its memory (and its session) goes when its timer is
 * closed, from the loop: never under the session's own callback. */
static void xcall_free(struct xcall *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->t->open = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->hold, xcall_closed);
}

static uint64_t now_of(const struct xcall *c)
{
	return sipd_runtime_now(c->t->cfg.rt);
}

/* The outcome goes to the subscription: its last NOTIFY (§2.4.5). */
static void report(struct xcall *c, unsigned code)
{
	if (!c->sub)
		return;
	sipd_refer_progress(c->sub, code, NULL, now_of(c));
	if (code >= 200)
		c->sub = NULL;
}

static void hangup(uv_timer_t *h)
{
	struct xcall *c = h->data;
	sipd_session_bye(c->s, NULL, now_of(c));
}

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)s;
	(void)why;
	struct xcall *c = arg;
	struct transfers *t = c->t;
	if (st == SIPD_SESSION_CONFIRMED) {
		c->answered = true;
		t->answered++;
		report(c, msg && !msg->is_request ? msg->status : 200);
		if (t->stopping)
			sipd_session_bye(c->s, NULL, now_of(c));
		else if (t->cfg.hangup_ms)
			uv_timer_start(&c->hold, hangup, t->cfg.hangup_ms, 0);
		return;
	}
	if (st != SIPD_SESSION_TERMINATED)
		return;
	/* not answered: the final response, or 503 when there was none
	 * (a timeout or a transport error, §21.5.4 as a stand-in) */
	report(c, msg && !msg->is_request && msg->status >= 300 ? msg->status : 503);
	bool answered = c->answered;
	t->live--;
	xcall_free(c);
	if (t->cfg.ended)
		t->cfg.ended(t->cfg.arg, answered);
}

static void on_provisional(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)s;
	struct xcall *c = arg;
	if (resp->status > 100)
		report(c, resp->status);
}

static const struct sipd_session_callbacks xcall_cb = {.size = sizeof xcall_cb,
                                                       .state = on_state,
                                                       .provisional = on_provisional};

unsigned transfers_refer(struct transfers *t, struct sipd_subscription *sub)
{
	if (t->stopping)
		return 603;
	const char *to = sipd_subscription_refer_to(sub);
	struct sipd_nameaddr na;
	if (!to || sipd_nameaddr_parse(&na, (struct sipd_str){to, strlen(to)}, false, NULL) ||
	    (na.uri.kind != SIPD_URI_SIP && na.uri.kind != SIPD_URI_SIPS))
		return 400;
	char host[64];
	if (na.uri.host.len >= sizeof host)
		return 400;
	memcpy(host, na.uri.host.p, na.uri.host.len);
	host[na.uri.host.len] = 0;
	struct sipd_str tp;
	uint8_t transport = SIPD_TP_UDP;
	if (na.uri.kind == SIPD_URI_SIPS)
		transport = SIPD_TP_TLS;
	else if (sipd_param_find(na.uri.params, "transport", &tp) == 0 && sipd_str_ieq(tp, "tcp"))
		transport = SIPD_TP_TCP;
	struct sipd_flow flow;
	if (sipd_runtime_flow(t->cfg.rt, host, na.uri.port, transport, &flow))
		return 488; /* not a numeric host we can reach */
	struct xcall *c = calloc(1, sizeof *c);
	if (!c)
		return 500;
	c->t = t;
	char contact[128], from[160], tag[12], callid[24], hdrs[1024];
	struct sipd_stack *st = sipd_runtime_stack(t->cfg.rt);
	tools_local_uri(t->cfg.rt, "transferee", flow.local, contact, sizeof contact);
	tools_local_uri(t->cfg.rt, "transferee", flow.local, from, sizeof from);
	int n = tools_sdp(t->cfg.rt, flow.local, "sipdialog", 1, 40002, NULL, c->sdp, sizeof c->sdp);
	sipd_stack_random_token(st, tag, sizeof tag);
	sipd_stack_random_token(st, callid, sizeof callid);
	int h = snprintf(hdrs, sizeof hdrs,
	                 "From: <%s>;tag=%.*s\r\nTo: <%.*s>\r\nCall-ID: %.*s\r\n"
	                 "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <%s>\r\n",
	                 from, (int)sizeof tag, tag, (int)na.uri.raw.len, na.uri.raw.p,
	                 (int)sizeof callid, callid, contact);
	if (n < 0 || h < 0 || (size_t)h >= sizeof hdrs) {
		free(c);
		return 500;
	}
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"INVITE", 6},
	                         .uri = na.uri.raw,
	                         .headers = {hdrs, (size_t)h},
	                         .content_type = "application/sdp",
	                         .body = {c->sdp, (size_t)n},
	                         .flow = flow};
	struct sipd_session_opts o = {
		.size = sizeof o,
		.dialog = {.size = sizeof o.dialog,
	                   .local_contact = {contact, strlen(contact)},
	                   .tls = transport == SIPD_TP_TLS},
		.cb = &xcall_cb,
		.arg = c};
	if (sipd_session_uac(t->cfg.env, &r, &o, sipd_runtime_now(t->cfg.rt), &c->s)) {
		free(c);
		return 500;
	}
	c->sub = sub;
	uv_timer_init(sipd_runtime_loop(t->cfg.rt), &c->hold);
	c->hold.data = c;
	c->next = t->open;
	if (t->open)
		t->open->prev = c;
	t->open = c;
	t->live++;
	t->placed++;
	return 202;
}

void transfers_forget(struct transfers *t, struct sipd_subscription *sub)
{
	for (struct xcall *c = t ? t->open : NULL; c; c = c->next)
		if (c->sub == sub)
			c->sub = NULL;
}

size_t transfers_live(const struct transfers *t)
{
	return t ? t->live : 0;
}

uint64_t transfers_placed(const struct transfers *t)
{
	return t ? t->placed : 0;
}

uint64_t transfers_answered(const struct transfers *t)
{
	return t ? t->answered : 0;
}

void transfers_stop(struct transfers *t)
{
	if (!t)
		return;
	t->stopping = true;
	for (struct xcall *c = t->open; c; c = c->next) {
		uint64_t now = now_of(c);
		enum sipd_session_state st = sipd_session_state(c->s);
		if (st == SIPD_SESSION_CONFIRMED)
			sipd_session_bye(c->s, "SIP;cause=200;text=\"Shutting down\"", now);
		else if (st != SIPD_SESSION_TERMINATED)
			sipd_session_cancel(c->s, "SIP;cause=200;text=\"Shutting down\"", now);
	}
}

void transfers_destroy(struct transfers *t)
{
	if (!t)
		return;
	while (t->open)
		xcall_free(t->open);
	free(t);
}
