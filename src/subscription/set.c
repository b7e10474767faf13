/* Subscriptions: the set of one stack, its indexes (by dialog, and by
 * Call-ID and tag for NOTIFYs that come before any dialog), the routing of
 * SUBSCRIBE/NOTIFY/REFER, and the life cycle every subscription shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subscription/sub.h"

#define CONTAINER_D(n)                                                                             \
	((struct sipd_subscription *)(void *)((char *)(n)-offsetof(struct sipd_subscription,       \
	                                                           dnode)))
#define CONTAINER_W(n)                                                                             \
	((struct sipd_subscription *)(void *)((char *)(n)-offsetof(struct sipd_subscription,       \
	                                                           wnode)))

/* ---------------------------------------------------------------- strings */

char *sipd__sub_strdup(struct sipd_str s)
{
	if (!s.p)
		return NULL;
	char *p = malloc(s.len + 1);
	if (!p)
		return NULL;
	memcpy(p, s.p, s.len);
	p[s.len] = 0;
	return p;
}

int sipd__sub_setstr(char **dst, const char *src)
{
	char *p = NULL;
	if (src) {
		p = sipd__sub_strdup((struct sipd_str){src, strlen(src)});
		if (!p)
			return SIPD_ENOMEM;
	}
	free(*dst);
	*dst = p;
	return 0;
}

/* ---------------------------------------------------------------- the set */

struct sipd_subscriptions *sipd_subscriptions_create(const struct sipd_subscriptions_config *cfg)
{
	if (!cfg || cfg->size < offsetof(struct sipd_subscriptions_config, cb) || !cfg->stack ||
	    !cfg->dialogs)
		return NULL;
	struct sipd_subscriptions *set = calloc(1, sizeof *set);
	if (!set)
		return NULL;
	memcpy(&set->cfg, cfg, cfg->size < sizeof set->cfg ? cfg->size : sizeof set->cfg);
	set->cfg.size = sizeof set->cfg;
	if (set->cfg.cb)
		memcpy(&set->cb, set->cfg.cb,
		       set->cfg.cb->size < sizeof set->cb ? set->cfg.cb->size : sizeof set->cb);
	set->cfg.cb = NULL;
	set->st = cfg->stack;
	set->dialogs = cfg->dialogs;
	set->contact = sipd__sub_strdup(cfg->local_contact.p ? cfg->local_contact
	                                                     : (struct sipd_str){"", 0});
	if (cfg->events)
		sipd__sub_setstr(&set->events, cfg->events);
	/* the indexes get their tables now: a subscription is then always
	 * found by its dialog (and a fork by its request) */
	sipd_hmap_init(&set->by_dialog);
	sipd_hmap_init(&set->window);
	if (!set->contact || (cfg->events && !set->events) || sipd_hmap_prepare(&set->by_dialog) ||
	    sipd_hmap_prepare(&set->window)) {
		sipd_hmap_free(&set->by_dialog);
		sipd_hmap_free(&set->window);
		free(set->contact);
		free(set->events);
		free(set);
		return NULL;
	}
	set->cfg.local_contact = (struct sipd_str){set->contact, strlen(set->contact)};
	set->cfg.events = set->events;
	if (!set->cfg.default_expires)
		set->cfg.default_expires = 3600;
	if (!set->cfg.refer_expires)
		set->cfg.refer_expires = 300;
	/* the index key: flooding resistance for Call-IDs and tags */
	sipd_stack_random_token(set->st, (char *)set->key, sizeof set->key);
	return set;
}

static void release(struct sipd_subscription *sub);

void sipd_subscriptions_destroy(struct sipd_subscriptions *set)
{
	if (!set)
		return;
	/* the stack is gone: its timers and transactions with it */
	while (set->all)
		release(set->all);
	sipd_hmap_free(&set->by_dialog);
	sipd_hmap_free(&set->window);
	free(set->contact);
	free(set->events);
	free(set);
}

size_t sipd_subscriptions_count(const struct sipd_subscriptions *set)
{
	return set->count;
}

uint32_t sipd__sub_t1(const struct sipd_subscriptions *set)
{
	return set->cfg.t1 ? set->cfg.t1 : 500;
}

uint64_t sipd__sub_now(const struct sipd_subscription *sub)
{
	/* the latest of what the application gave us and what the stack saw
	 * at its last entry point (inside callbacks the stack's is current) */
	uint64_t st = sipd_stack_now(sub->set->st);
	return st > sub->set->now ? st : sub->set->now;
}

void sipd__sub_tick(struct sipd_subscriptions *set, uint64_t now)
{
	if (now > set->now)
		set->now = now;
}

/* ---------------------------------------------------------------- life cycle */

struct sipd_subscription *sipd__sub_new(struct sipd_subscriptions *set, enum sipd_sub_role role,
                                        const struct sipd_subscription_callbacks *cb, void *arg)
{
	struct sipd_subscription *sub = calloc(1, sizeof *sub);
	if (!sub)
		return NULL;
	sub->set = set;
	sub->role = (uint8_t)role;
	if (cb)
		memcpy(&sub->cb, cb, cb->size < sizeof sub->cb ? cb->size : sizeof sub->cb);
	sub->arg = arg;
	sub->retry_after = -1;
	sub->expires_at = UINT64_MAX;
	sipd_stack_timer_init(&sub->t_life, NULL, sub);
	sipd_stack_timer_init(&sub->t_n, NULL, sub);
	sipd_stack_timer_init(&sub->t_throttle, NULL, sub);
	sub->next = set->all;
	if (set->all)
		set->all->prev = sub;
	set->all = sub;
	set->count++;
	return sub;
}

static void release(struct sipd_subscription *sub)
{
	struct sipd_subscriptions *set = sub->set;
	if (sub->prev)
		sub->prev->next = sub->next;
	else
		set->all = sub->next;
	if (sub->next)
		sub->next->prev = sub->prev;
	if (!sub->freed)
		set->count--; /* a freed one left the count already */
	sipd__sub_queued_free(&sub->queued);
	free(sub->state_ctype);
	free(sub->state_body);
	free(sub->event);
	free(sub->id);
	free(sub->call_id);
	free(sub->local_tag);
	free(sub->refer_to);
	free(sub->ruri);
	free(sub->from);
	free(sub->to);
	free(sub->contact);
	free(sub->accept);
	free(sub->headers);
	free(sub->init);
	free(sub);
}

void sipd__sub_enter(struct sipd_subscription *sub)
{
	sub->busy++;
}

bool sipd__sub_leave(struct sipd_subscription *sub)
{
	if (--sub->busy || !sub->freed)
		return !sub->freed;
	if (!sub->client_txns)
		release(sub);
	return false;
}

void sipd__sub_client_done(struct sipd_subscription *sub)
{
	if (sub->client_txns)
		sub->client_txns--;
	if (sub->freed && !sub->busy && !sub->client_txns)
		release(sub);
}

/* ---------------------------------------------------------------- indexes */

static uint64_t ptr_hash(const struct sipd_dialog *d)
{
	/* the map takes the low bits: fold the high half of the product in,
	 * as aligned pointers have none of their own there */
	uint64_t h = (uint64_t)(uintptr_t)d * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 32);
}

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t window_hash(const struct sipd_subscriptions *set, struct sipd_str call_id,
                            struct sipd_str tag)
{
	return sipd_siphash(set->key, call_id.p, call_id.len) ^
	       rotl(sipd_siphash(set->key, tag.p, tag.len), 21);
}

static bool same(const char *a, struct sipd_str b)
{
	/* byte by byte (RFC 6665 §8.2.1; tags and Call-IDs as RFC 3261 §12) */
	if (!a)
		return !b.p;
	return b.p && strlen(a) == b.len && memcmp(a, b.p, b.len) == 0;
}

void sipd__sub_bind(struct sipd_subscription *sub, struct sipd_dialog *d)
{
	sub->d = d;
	sipd_dialog_usage_add(d);
	sub->dnode.hash = ptr_hash(d);
	/* cannot fail: the set allocated the map's first table */
	sub->in_dmap = sipd_hmap_insert(&sub->set->by_dialog, &sub->dnode) == 0;
}

static void unindex_dialog(struct sipd_subscription *sub)
{
	if (sub->in_dmap)
		sipd_hmap_remove(&sub->set->by_dialog, &sub->dnode);
	sub->in_dmap = false;
}

void sipd__sub_window_add(struct sipd_subscription *sub)
{
	sub->wnode.hash =
		window_hash(sub->set, (struct sipd_str){sub->call_id, strlen(sub->call_id)},
	                    (struct sipd_str){sub->local_tag, strlen(sub->local_tag)});
	sub->in_wmap = sipd_hmap_insert(&sub->set->window, &sub->wnode) == 0;
	sub->window_open = true;
}

void sipd__sub_window_del(struct sipd_subscription *sub)
{
	if (sub->in_wmap)
		sipd_hmap_remove(&sub->set->window, &sub->wnode);
	sub->in_wmap = false;
	sub->window_open = false;
	if (sub->d) {
		free(sub->init); /* the dialog exists and no fork may come */
		sub->init = NULL;
	}
}

static bool id_match(const struct sipd_subscription *sub, struct sipd_str id)
{
	/* an id never matches its absence (§8.2.1) */
	if (!sub->id || !sub->id[0])
		return !id.p;
	return same(sub->id, id);
}

struct sipd_subscription *sipd__sub_in_dialog(struct sipd_subscriptions *set, struct sipd_dialog *d,
                                              enum sipd_sub_role role, struct sipd_str package,
                                              struct sipd_str id)
{
	uint64_t h = ptr_hash(d);
	struct sipd_subscription *oldest_refer = NULL;
	for (struct sipd_hnode *n = sipd_hmap_first(&set->by_dialog, h); n;
	     n = sipd_hmap_next(n, h)) {
		struct sipd_subscription *sub = CONTAINER_D(n);
		if (sub->d != d || sub->role != role || !same(sub->event, package))
			continue;
		if (id_match(sub, id))
			return sub;
		/* RFC 3515 §2.4.6: NOTIFYs for the first REFER of a dialog may
		 * leave the id out */
		if (role == SIPD_SUB_SUBSCRIBER && sub->refer && !id.p &&
		    (!oldest_refer || sub->cseq < oldest_refer->cseq))
			oldest_refer = sub;
	}
	return oldest_refer;
}

struct sipd_subscription *sipd__sub_in_window(struct sipd_subscriptions *set,
                                              const struct sipd_msg *notify,
                                              struct sipd_str package, struct sipd_str id)
{
	uint64_t h = window_hash(set, notify->call_id, notify->to.tag);
	for (struct sipd_hnode *n = sipd_hmap_first(&set->window, h); n; n = sipd_hmap_next(n, h)) {
		struct sipd_subscription *sub = CONTAINER_W(n);
		if (!same(sub->call_id, notify->call_id) || !same(sub->local_tag, notify->to.tag) ||
		    !same(sub->event, package))
			continue;
		if (id_match(sub, id) || (sub->refer && !id.p))
			return sub;
	}
	return NULL;
}

/* ---------------------------------------------------------------- state */

void sipd__sub_set_state(struct sipd_subscription *sub, enum sipd_sub_state st,
                         const struct sipd_msg *msg)
{
	if (sub->state == st || sub->state == SIPD_SUB_TERMINATED)
		return;
	sub->state = (uint8_t)st;
	if (sub->cb.state && !sub->freed)
		sub->cb.state(sub->arg, sub, st, msg);
}

static enum sipd_dialog_reason dialog_reason(enum sipd_sub_reason why)
{
	switch (why) {
	case SIPD_SUB_END_NO_NOTIFY:
	case SIPD_SUB_END_EXPIRED: return SIPD_END_TIMEOUT;
	case SIPD_SUB_END_REFRESH_FAILED:
	case SIPD_SUB_END_NOTIFY_FAILED: return SIPD_END_ERROR;
	case SIPD_SUB_END_REFUSED: return SIPD_END_REJECTED;
	default: return SIPD_END_LOCAL;
	}
}

/* Gives the dialog usage back (RFC 5057, RFC 6665 §4.5.2). The usage whose
 * release terminates the dialog frees it; a dialog terminated by another
 * usage is that one's to free. */
static void unbind(struct sipd_subscription *sub, enum sipd_sub_reason why)
{
	struct sipd_dialog *d = sub->d;
	if (!d)
		return;
	unindex_dialog(sub);
	sub->d = NULL;
	if (sipd_dialog_state(d) == SIPD_DIALOG_TERMINATED)
		return;
	if (sipd_dialog_usage_release(d, dialog_reason(why)) == 0)
		sipd_dialog_free(d);
}

void sipd__sub_end(struct sipd_subscription *sub, enum sipd_sub_reason why,
                   const struct sipd_msg *msg)
{
	if (sub->state == SIPD_SUB_TERMINATED)
		return;
	struct sipd_stack *st = sub->set->st;
	sipd_stack_timer_cancel(st, &sub->t_life);
	sipd_stack_timer_cancel(st, &sub->t_n);
	sipd_stack_timer_cancel(st, &sub->t_throttle);
	sipd__sub_window_del(sub);
	sipd__sub_queued_free(&sub->queued);
	free(sub->init);
	sub->init = NULL;
	sub->reason = (uint8_t)why;
	unbind(sub, why);
	sipd__sub_set_state(sub, SIPD_SUB_TERMINATED, msg);
}

void sipd_subscription_free(struct sipd_subscription *sub)
{
	if (!sub || sub->freed)
		return;
	struct sipd_stack *st = sub->set->st;
	sub->freed = true;
	sub->set->count--;
	sipd_stack_timer_cancel(st, &sub->t_life);
	sipd_stack_timer_cancel(st, &sub->t_n);
	sipd_stack_timer_cancel(st, &sub->t_throttle);
	sipd__sub_window_del(sub);
	if (sub->state != SIPD_SUB_TERMINATED) {
		sub->reason = SIPD_SUB_END_LOCAL;
		sub->state = SIPD_SUB_TERMINATED;
	}
	unbind(sub, SIPD_SUB_END_LOCAL);
	if (!sub->busy && !sub->client_txns)
		release(sub);
}

void sipd_subscriptions_dialog_ended(struct sipd_subscriptions *set, struct sipd_dialog *d)
{
	uint64_t h = ptr_hash(d);
	for (;;) {
		struct sipd_subscription *sub = NULL;
		for (struct sipd_hnode *n = sipd_hmap_first(&set->by_dialog, h); n;
		     n = sipd_hmap_next(n, h))
			if (CONTAINER_D(n)->d == d) {
				sub = CONTAINER_D(n);
				break;
			}
		if (!sub)
			return;
		/* the dialog is over: nothing can be sent in it, and it is not
		 * ours to release or free */
		unindex_dialog(sub);
		sub->d = NULL;
		sipd__sub_enter(sub);
		sipd__sub_end(sub, SIPD_SUB_END_DIALOG, NULL);
		sipd__sub_leave(sub);
	}
}

/* ---------------------------------------------------------------- sending */

int sipd__sub_respond(struct sipd_subscriptions *set, struct sipd_txn *tx, unsigned code,
                      const char *reason, struct sipd_str to_tag, struct sipd_str contact,
                      const char *extra)
{
	char hdrs[4096];
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs, sizeof hdrs);
	const struct sipd_msg *req = sipd_txn_request(tx);
	if (contact.len && code >= 200 && code < 300 && req &&
	    (to_tag.len || !req->to.tag.len || req->method == SIPD_METHOD_NOTIFY)) {
		/* RFC 3261 §12.1.1: a response that makes a dialog carries the
		 * request's Record-Route (a NOTIFY may make the subscriber's,
		 * RFC 6665 §4.4.1) */
		for (const struct sipd_hdr *h = sipd_msg_find(req, SIPD_HDR_RECORD_ROUTE); h;
		     h = sipd_msg_find_next(req, h))
			sipd_build_header(&b, "Record-Route", h->value);
	}
	if (contact.len) {
		sipd_buf_puts(&b, "Contact: <");
		sipd_buf_putstr(&b, contact);
		sipd_buf_puts(&b, ">\r\n");
	}
	if (extra)
		sipd_buf_puts(&b, extra);
	if (b.overflow)
		b.len = 0; /* answered all the same, without the extra lines */
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .reason = reason,
	                          .to_tag = to_tag,
	                          .headers = {hdrs, b.len}};
	return sipd_txn_respond(tx, &r, sipd_stack_now(set->st));
}

int sipd__sub_send(struct sipd_subscription *sub, const char *method, const char *extra,
                   const char *ctype, struct sipd_str body, sipd_txn_cb cb, uint32_t cseq,
                   struct sipd_txn **out)
{
	if (!sub->d)
		return SIPD_ESTATE;
	char buf[8192];
	struct sipd_request r;
	struct sipd_dialog_request dr = {.size = sizeof dr,
	                                 .method = {method, strlen(method)},
	                                 .cseq = cseq,
	                                 .headers = {extra, extra ? strlen(extra) : 0},
	                                 .content_type = body.len ? ctype : NULL,
	                                 .body = body};
	struct sipd_str hop;
	int rc = sipd_dialog_request(sub->d, &dr, buf, sizeof buf, &r, &hop);
	if (rc)
		return rc;
	r.flow = sipd_stack_dialog_flow(sub->set->st, hop, sipd_dialog_secure(sub->d), &sub->flow);
	struct sipd_txn *tx = NULL;
	rc = sipd_stack_request(sub->set->st, &r, cb, cb ? sub : NULL, sipd__sub_now(sub), &tx);
	if (rc == 0 && cb)
		sub->client_txns++;
	if (out)
		*out = rc == 0 ? tx : NULL;
	return rc;
}

/* ---------------------------------------------------------------- routing */

int sipd_subscriptions_request(struct sipd_subscriptions *set, struct sipd_txn *tx,
                               const struct sipd_msg *req, const struct sipd_flow *from)
{
	if (!set || !tx || !req)
		return -1;
	switch (req->method) {
	case SIPD_METHOD_SUBSCRIBE: sipd__sub_on_subscribe(set, tx, req, from); return 0;
	case SIPD_METHOD_NOTIFY: sipd__sub_on_notify(set, tx, req); return 0;
	case SIPD_METHOD_REFER: return sipd__sub_on_refer(set, tx, req, from);
	default: return -1;
	}
}

/* ---------------------------------------------------------------- getters */

enum sipd_sub_role sipd_subscription_role(const struct sipd_subscription *sub)
{
	return sub->role;
}
enum sipd_sub_state sipd_subscription_state(const struct sipd_subscription *sub)
{
	return sub->state;
}
enum sipd_sub_reason sipd_subscription_reason(const struct sipd_subscription *sub)
{
	return sub->reason;
}
unsigned sipd_subscription_status(const struct sipd_subscription *sub)
{
	return sub->status;
}
struct sipd_dialog *sipd_subscription_dialog(const struct sipd_subscription *sub)
{
	return sub->d;
}
const char *sipd_subscription_event(const struct sipd_subscription *sub)
{
	return sub->event;
}
const char *sipd_subscription_id(const struct sipd_subscription *sub)
{
	return sub->id ? sub->id : "";
}
uint64_t sipd_subscription_expires_at(const struct sipd_subscription *sub)
{
	return sub->expires_at;
}
const char *sipd_subscription_refer_to(const struct sipd_subscription *sub)
{
	return sub->refer_to;
}
void *sipd_subscription_arg(const struct sipd_subscription *sub)
{
	return sub->arg;
}
void sipd_subscription_set_arg(struct sipd_subscription *sub, void *arg)
{
	sub->arg = arg;
}
