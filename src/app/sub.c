/* Subscriptions in the application API (include/sipdialog/app.h): a thin
 * owner around the subscription module (src/subscription/), which does the
 * protocol (RFC 6665). Here: the app-level object with its callbacks and its
 * one `terminated`, delivered by the app's reaper like a call's, and the
 * subscriber's name resolution (RFC 3263). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

static void sub_unlink(struct sipd_app_sub *w)
{
	struct sipd_app *app = w->app;
	if (w->prev)
		w->prev->next = w->next;
	else if (app->subs_list == w)
		app->subs_list = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void sub_free(struct sipd_app_sub *w)
{
	sub_unlink(w);
	if (w->ticket)
		w->ticket->sub = NULL; /* the resolution answers into nothing */
	free(w->uri);
	free(w->event);
	free(w->accept);
	free(w->from);
	free(w->to);
	free(w->headers);
	free(w);
}

static struct sipd_app_sub *sub_new(struct sipd_app *app, bool notifier)
{
	struct sipd_app_sub *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->app = app;
	w->notifier = notifier;
	w->state = notifier ? SIPD_SUB_ACTIVE : SIPD_SUB_NOTIFY_WAIT;
	w->next = app->subs_list;
	if (app->subs_list)
		app->subs_list->prev = w;
	app->subs_list = w;
	return w;
}

/* Over: `terminated` and the freeing wait for the reaper (from the loop,
 * never under the module's callback or the application's call). */
static void sub_end(struct sipd_app_sub *w, enum sipd_sub_reason why, unsigned status)
{
	if (w->ended)
		return;
	struct sipd_app *app = w->app;
	w->ended = true;
	w->state = SIPD_SUB_TERMINATED;
	w->why = (uint8_t)why;
	w->status = status;
	w->next_ended = app->subs_ended;
	app->subs_ended = w;
	if (!app->destroying)
		sipd_stack_timer_arm(app->stack, &app->reaper, sipd_stack_now(app->stack));
}

void sipd_app_sub_reap(struct sipd_app *app)
{
	/* oldest first */
	struct sipd_app_sub *list = NULL;
	while (app->subs_ended) {
		struct sipd_app_sub *w = app->subs_ended;
		app->subs_ended = w->next_ended;
		w->next_ended = list;
		list = w;
	}
	while (list) {
		struct sipd_app_sub *w = list;
		list = w->next_ended;
		if (w->cb.terminated)
			w->cb.terminated(w->user, w, (enum sipd_sub_reason)w->why);
		if (w->s)
			sipd_subscription_free(w->s);
		sub_free(w);
	}
}

/* ---------------------------------------------------------------- the module's events */

static void on_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                     const struct sipd_msg *msg)
{
	struct sipd_app_sub *w = arg;
	if (!w) { /* a SUBSCRIBE refused for want of memory: nobody holds it */
		if (st == SIPD_SUB_TERMINATED)
			sipd_subscription_free(sub);
		return;
	}
	if (st != SIPD_SUB_TERMINATED) {
		w->state = (uint8_t)st;
		return;
	}
	(void)msg;
	sub_end(w, sipd_subscription_reason(sub), sipd_subscription_status(sub));
}

static void on_notify(void *arg, struct sipd_subscription *sub, const struct sipd_msg *notify)
{
	struct sipd_app_sub *w = arg;
	if (!w || w->ended)
		return;
	w->state = (uint8_t)sipd_subscription_state(sub);
	if (w->cb.notify)
		w->cb.notify(w->user, w, notify);
}

static void on_unsubscribed(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req)
{
	(void)sub;
	struct sipd_app_sub *w = arg;
	if (w && !w->ended && w->cb.unsubscribe)
		w->cb.unsubscribe(w->user, w, req);
}

static void on_refreshed(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req)
{
	(void)sub;
	struct sipd_app_sub *w = arg;
	if (w && !w->ended && w->cb.refresh)
		w->cb.refresh(w->user, w, req);
}

/* A new SUBSCRIBE for one of our packages: `arg` is the app (the set's),
 * the subscription's own arg becomes its app-level owner. */
static void on_subscribe(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req,
                         struct sipd_sub_answer *ans)
{
	struct sipd_app *app = arg;
	struct sipd_app_sub *w = sub_new(app, true);
	sipd_subscription_set_arg(sub, w);
	if (!w) {
		ans->code = 503;
		ans->headers = (struct sipd_str){"Retry-After: 5\r\n", 16};
		return;
	}
	w->s = sub;
	w->event = app_dup_str(sipd_subscription_event(sub));
	if (app->cb.subscribe)
		app->cb.subscribe(app->user, app, w, req, ans);
	if (ans->code < 200 || ans->code >= 300) {
		/* refused: the module answers and frees it without another word */
		w->s = NULL;
		sub_end(w, SIPD_SUB_END_REJECTED, ans->code >= 300 && ans->code <= 699 ? ans->code : 403);
		return;
	}
	w->state = ans->state == SIPD_SUB_PENDING ? SIPD_SUB_PENDING : SIPD_SUB_ACTIVE;
}

static const struct sipd_subscription_callbacks sub_cb = {.size = sizeof sub_cb,
                                                          .state = on_state,
                                                          .notify = on_notify,
                                                          .refreshed = on_refreshed,
                                                          .unsubscribed = on_unsubscribed,
                                                          .subscribe = on_subscribe};

int sipd_app_subs_init(struct sipd_app *app, const char *events)
{
	if (events && *events && !(app->events = app_dup_str(events)))
		return SIPD_ENOMEM;
	char contact[400];
	if (sipd_app_contact_uri(app, 0, contact, sizeof contact))
		contact[0] = 0;
	struct sipd_subscriptions_config sc = {.size = sizeof sc,
	                                       .stack = app->stack,
	                                       .dialogs = app->dialogs,
	                                       .local_contact = app_str_of(contact),
	                                       .events = app->events,
	                                       .cb = &sub_cb,
	                                       .arg = app};
	app->subs = sipd_subscriptions_create(&sc);
	return app->subs ? 0 : SIPD_ENOMEM;
}

bool sipd_app_subs_take(struct sipd_app *app, struct sipd_txn *tx, const struct sipd_msg *req,
                        const struct sipd_flow *from)
{
	/* the module answers what it is given (481 to an unknown NOTIFY, 489
	 * to an unknown package): it is given SUBSCRIBE and NOTIFY only while
	 * the app has subscriptions to speak of, so that an application
	 * running its own subscription layer still sees them (`request`) */
	if (req->method != SIPD_METHOD_SUBSCRIBE && req->method != SIPD_METHOD_NOTIFY)
		return false;
	if (!app->events && !app->subs_list)
		return false;
	if (req->method == SIPD_METHOD_SUBSCRIBE && !req->to.tag.len && !app->events)
		return false;
	return sipd_subscriptions_request(app->subs, tx, req, from) == 0;
}

void sipd_app_subs_dialog_ended(struct sipd_app *app, struct sipd_dialog *d)
{
	if (app->subs)
		sipd_subscriptions_dialog_ended(app->subs, d);
}

/* At the app's end: every owner goes without events (the module's
 * subscriptions go with the set). */
void sipd_app_subs_free(struct sipd_app *app)
{
	app->subs_ended = NULL;
	while (app->subs_list) {
		app->subs_list->s = NULL;
		app->subs_list->ticket = NULL; /* the tickets went with the resolver */
		sub_free(app->subs_list);
	}
	sipd_subscriptions_destroy(app->subs);
	app->subs = NULL;
	free(app->events);
	app->events = NULL;
}

/* ---------------------------------------------------------------- subscriber */

void sipd_app_sub_resolved(struct sipd_app_sub *w, int status, const struct sipd_target *t,
                           size_t n)
{
	struct sipd_app *app = w->app;
	if (w->ended)
		return;
	int local = status || !n ? -1 : sipd_app_pick_local(app, t[0].transport, t[0].addr.family);
	char contact[400];
	if (local < 0 || sipd_app_contact_uri(app, (uint16_t)local, contact, sizeof contact)) {
		sub_end(w, SIPD_SUB_END_REFUSED, 503); /* no target, or none we can reach */
		return;
	}
	struct sipd_subscribe_opts o = {
		.size = sizeof o,
		.request_uri = app_str_of(w->uri),
		.from = app_str_of(w->from ? w->from : contact),
		.to = app_str_of(w->to ? w->to : w->uri),
		.dialog_opts = {.size = sizeof o.dialog_opts,
	                        .local_contact = app_str_of(contact),
	                        .tls = t[0].transport == SIPD_TP_TLS},
		.flow = {.transport = t[0].transport, .remote = t[0].addr, .local = (uint16_t)local},
		.event = w->event,
		.expires = w->expires,
		.accept = w->accept,
		.headers = app_str_of(w->headers),
		.cb = &sub_cb,
		.arg = w};
	int rc = sipd_subscribe(app->subs, &o, app_now(app), &w->s);
	if (rc) {
		w->s = NULL;
		sub_end(w, SIPD_SUB_END_REFUSED, rc == SIPD_ENOMEM ? 503 : 500);
	}
}

int sipd_app_subscribe(struct sipd_app *app, const char *uri,
                       const struct sipd_app_subscribe_opts *opts, struct sipd_app_sub **out)
{
	if (out)
		*out = NULL;
	if (!app || !uri || !out || !opts ||
	    opts->size < offsetof(struct sipd_app_subscribe_opts, user) + sizeof opts->user ||
	    !opts->event || !*opts->event)
		return SIPD_EINVAL;
	struct sipd_app_sub *w = sub_new(app, false);
	if (!w)
		return SIPD_ENOMEM;
	app_copy_sized(&w->cb, sizeof w->cb, opts->cb);
	w->user = opts->user;
	w->expires = opts->expires ? opts->expires : 3600;
	w->uri = app_dup_str(uri);
	w->event = app_dup_str(opts->event);
	w->accept = app_dup_str(opts->accept);
	w->from = app_dup_str(opts->from);
	w->to = app_dup_str(opts->to);
	w->headers = app_dup_str(opts->headers);
	if (!w->uri || !w->event || (opts->accept && !w->accept) || (opts->from && !w->from) ||
	    (opts->to && !w->to) || (opts->headers && !w->headers)) {
		sub_free(w);
		return SIPD_ENOMEM;
	}
	struct ticket *k;
	int rc = sipd_app_resolve(app, uri, NULL, NULL, &k);
	if (rc) {
		sub_free(w);
		return rc;
	}
	k->sub = w;
	w->ticket = k;
	*out = w;
	return 0;
}

/* ---------------------------------------------------------------- methods */

void sipd_app_sub_set_callbacks(struct sipd_app_sub *sub, const struct sipd_app_sub_callbacks *cb,
                                void *user)
{
	if (!sub)
		return;
	app_copy_sized(&sub->cb, sizeof sub->cb, cb);
	sub->user = user;
}

int sipd_app_sub_notify(struct sipd_app_sub *sub, const char *content_type, const char *body)
{
	if (!sub || !sub->notifier)
		return SIPD_EINVAL;
	if (sub->ended || sub->ending || !sub->s)
		return SIPD_ESTATE;
	int rc = sipd_subscription_notify(sub->s, SIPD_SUB_ACTIVE, content_type, app_str_of(body),
	                                  app_now(sub->app));
	sipd_runtime_kick(sub->app->rt);
	return rc;
}

int sipd_app_sub_destroy(struct sipd_app_sub *sub, const char *reason)
{
	if (!sub)
		return SIPD_EINVAL;
	if (sub->ended || sub->ending)
		return SIPD_ESTATE;
	struct sipd_app *app = sub->app;
	uint64_t now = app_now(app);
	int rc;
	if (!sub->s) { /* still resolving: nothing was sent */
		sub_end(sub, SIPD_SUB_END_LOCAL, 0);
		rc = 0;
	} else if (sub->notifier) {
		rc = sipd_subscription_terminate(sub->s, reason ? reason : "noresource", -1, NULL,
		                                 SIPD_STR_NULL, now);
	} else {
		rc = sipd_subscription_unsubscribe(sub->s, now);
	}
	if (rc == 0)
		sub->ending = true;
	sipd_runtime_kick(app->rt);
	return rc;
}

enum sipd_sub_state sipd_app_sub_state(const struct sipd_app_sub *sub)
{
	return (enum sipd_sub_state)sub->state;
}

bool sipd_app_sub_is_notifier(const struct sipd_app_sub *sub)
{
	return sub->notifier;
}

const char *sipd_app_sub_event(const struct sipd_app_sub *sub)
{
	return sub->event ? sub->event : "";
}

unsigned sipd_app_sub_status(const struct sipd_app_sub *sub)
{
	return sub->status;
}

void *sipd_app_sub_user(const struct sipd_app_sub *sub)
{
	return sub->user;
}

struct sipd_app *sipd_app_sub_app(const struct sipd_app_sub *sub)
{
	return sub->app;
}

struct sipd_subscription *sipd_app_sub_subscription(const struct sipd_app_sub *sub)
{
	return sub->ended ? NULL : sub->s;
}
