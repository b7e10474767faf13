/* The application API (include/sipdialog/app.h): an app owns a runtime, the
 * dialog table and the sessions' environment, routes what the stack hands
 * up, and turns INVITE sessions into calls that report events.
 *
 * Lifetimes. A call ends inside a session callback (or inside one of the
 * application's own calls, e.g. a 480 sent by sipd_call_destroy); its
 * `terminated` event and its freeing wait for the app's reaper, a stack timer
 * armed at "now", so that they always come from the loop and never from under
 * a session or the application. An incoming INVITE, a UAS call and a b2bua
 * are found from their INVITE server transaction (for CANCEL and for the end
 * of that transaction) through one pointer-keyed map. A resolution (RFC 3263)
 * holds a ticket, not the call: the call may go while the name resolves. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

#define DEFAULT_ALLOW                                                                              \
	"INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY"
#define DEFAULT_SUPPORTED "100rel"
#define DEFAULT_ACCEPT "application/sdp, application/dtmf-relay, text/plain, message/sipfrag"
#define DEFAULT_UA "sipdialog"
#define DEFAULT_CONTACT_USER "sipd"

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* ---------------------------------------------------------------- small helpers */

static void table_random(void *user, void *buf, size_t len)
{
	struct sipd_app *app = user;
	/* the stack's strong source, as tokens: enough for a hash key */
	sipd_stack_random_token(app->stack, buf, len);
}

/* A final response on a server transaction that no session answers (RFC 3261
 * §8.2.6.2: with a To tag of ours). */
int sipd_app_respond_plain(struct sipd_app *app, struct sipd_txn *tx, unsigned code,
                           const char *headers)
{
	char tag[TAG_LEN];
	sipd_stack_random_token(app->stack, tag, sizeof tag);
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .to_tag = {tag, sizeof tag},
	                          .headers = app_str_of(headers)};
	return sipd_txn_respond(tx, &r, app_now(app));
}

/* ---------------------------------------------------------------- the owner map */

static uint64_t ptr_hash(const void *p)
{
	/* our own pointers, not the network's keys: a fixed mix is enough */
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static int owner_add(struct sipd_app *app, struct owner *o, struct sipd_txn *tx, uint8_t kind)
{
	o->tx = tx;
	o->kind = kind;
	o->node.hash = ptr_hash(tx);
	if (sipd_hmap_insert(&app->owners, &o->node))
		return SIPD_ENOMEM;
	o->mapped = true;
	return 0;
}

void sipd_app_owner_drop(struct sipd_app *app, struct owner *o)
{
	if (o->mapped)
		sipd_hmap_remove(&app->owners, &o->node);
	o->mapped = false;
}

static struct owner *owner_find(const struct sipd_app *app, const struct sipd_txn *tx)
{
	uint64_t h = ptr_hash(tx);
	for (struct sipd_hnode *n = sipd_hmap_first(&app->owners, h); n; n = sipd_hmap_next(n, h)) {
		struct owner *o = container_of(n, struct owner, node);
		if (o->tx == tx)
			return o;
	}
	return NULL;
}

/* Hands the INVITE's transaction from one owner to another. */
int sipd_app_owner_move(struct sipd_app *app, struct owner *from, struct owner *to, uint8_t kind)
{
	struct sipd_txn *tx = from->tx;
	sipd_app_owner_drop(app, from);
	from->tx = NULL;
	return owner_add(app, to, tx, kind);
}

/* ---------------------------------------------------------------- addresses */

/* The first listener with this transport and address family, or -1. */
int sipd_app_pick_local(struct sipd_app *app, uint8_t transport, uint8_t family)
{
	return sipd_stack_local_for(sipd_runtime_stack(app->rt), transport, family);
}

/* Our Contact URI on a listener: "sip:USER@HOST:PORT", ";transport=tcp" on
 * TCP, sips: on TLS (RFC 3261 §19.1, §26.2.2). */
int sipd_app_contact_uri(struct sipd_app *app, uint16_t local, char *out, size_t cap)
{
	const struct sipd_local *l = sipd_runtime_local(app->rt, local);
	if (!l)
		return SIPD_EINVAL;
	char host[300];
	if (l->host) {
		snprintf(host, sizeof host, "%s", l->host);
	} else {
		char ip[64];
		int n = sipd_addr_format(&l->addr, ip, sizeof ip);
		if (n < 0)
			return n;
		/* the address comes without a NUL */
		snprintf(host, sizeof host, l->addr.family == 6 ? "[%.*s]" : "%.*s", n, ip);
	}
	int w = snprintf(out, cap, "%s:%s@%s:%u%s", l->transport == SIPD_TP_TLS ? "sips" : "sip",
	                 app->contact_user, host, (unsigned)l->addr.port,
	                 l->transport == SIPD_TP_TCP ? ";transport=tcp" : "");
	return w < 0 || (size_t)w >= cap ? SIPD_ENOSPC : 0;
}

/* ---------------------------------------------------------------- resolution */

static void ticket_unlink(struct ticket *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else if (k->app->tickets == k)
		k->app->tickets = k->next;
	if (k->next)
		k->next->prev = k->prev;
}

static void on_resolved(void *arg, int status, const struct sipd_target *t, size_t n)
{
	struct ticket *k = arg;
	struct sipd_app *app = k->app;
	struct sipd_call *c = k->call;
	struct bridge *br = k->br;
	struct sipd_app_sub *sub = k->sub;
	ticket_unlink(k);
	free(k);
	if (app->destroying)
		return;
	if (c) {
		c->ticket = NULL;
		sipd_app_uac_resolved(c, status, t, n);
	} else if (br) {
		br->ticket = NULL;
		sipd_app_bridge_resolved(br, status, t, n);
	} else if (sub) {
		sub->ticket = NULL;
		sipd_app_sub_resolved(sub, status, t, n);
	}
	/* not a stack callback: what was sent or armed here needs the timer */
	sipd_runtime_kick(app->rt);
}

/* Resolves `uri` (RFC 3263) for a call or a bridge. */
int sipd_app_resolve(struct sipd_app *app, const char *uri, struct sipd_call *c, struct bridge *br,
                     struct ticket **out)
{
	struct sipd_uri u;
	if (sipd_uri_parse(&u, uri, strlen(uri), NULL) ||
	    (u.kind != SIPD_URI_SIP && u.kind != SIPD_URI_SIPS))
		return SIPD_EINVAL;
	struct ticket *k = calloc(1, sizeof *k);
	if (!k)
		return SIPD_ENOMEM;
	k->app = app;
	k->call = c;
	k->br = br;
	int rc = sipd_runtime_resolve(app->rt, &u, on_resolved, k);
	if (rc) {
		free(k);
		return rc;
	}
	k->next = app->tickets;
	if (app->tickets)
		app->tickets->prev = k;
	app->tickets = k;
	*out = k;
	return 0;
}

/* ---------------------------------------------------------------- the stack's callbacks */

void sipd_app_incoming_release(struct sipd_incoming *in)
{
	struct sipd_app *app = in->app;
	sipd_app_owner_drop(app, &in->own);
	if (in->prev)
		in->prev->next = in->next;
	else if (app->incomings == in)
		app->incomings = in->next;
	if (in->next)
		in->next->prev = in->prev;
	free(in);
}

static int on_invite(struct sipd_app *app, struct sipd_txn *tx, const struct sipd_flow *from)
{
	if (!app->cb.invite) {
		sipd_app_respond_plain(app, tx, 480, NULL);
		return 0;
	}
	struct sipd_incoming *in = calloc(1, sizeof *in);
	if (!in || owner_add(app, &in->own, tx, OWN_INCOMING)) {
		free(in);
		sipd_app_respond_plain(app, tx, 503, "Retry-After: 5\r\n");
		return 0;
	}
	in->app = app;
	in->from = *from;
	in->next = app->incomings;
	if (app->incomings)
		app->incomings->prev = in;
	app->incomings = in;
	app->cb.invite(app->user, app, in);
	return 0;
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct sipd_app *app = user;
	if (req->to.tag.len || req->method == SIPD_METHOD_ACK) {
		/* within a dialog (§12.2.2); the ACK of a 2xx is its own request */
		app->cur_ack = req->method == SIPD_METHOD_ACK ? req : NULL;
		int rc = sipd_sessions_request(&app->env, tx, req, from);
		app->cur_ack = NULL;
		if (rc == 0 || sipd_app_subs_take(app, tx, req, from))
			return 0;
	} else if (req->method == SIPD_METHOD_INVITE) {
		return on_invite(app, tx, from);
	} else if (sipd_app_subs_take(app, tx, req, from)) {
		return 0;
	}
	return app->cb.request ? app->cb.request(app->user, app, tx, req, from) : -1;
}

static void on_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	struct sipd_app *app = user;
	uint64_t now = app_now(app);
	struct owner *o = owner_find(app, inv);
	if (!o) {
		/* a session made by hand on the app's environment */
		struct sipd_session *s = sipd_txn_user(inv);
		if (s)
			sipd_session_cancelled(s, now);
		return;
	}
	switch (o->kind) {
	case OWN_INCOMING: {
		struct sipd_incoming *in = container_of(o, struct sipd_incoming, own);
		if (!in->answered) { /* RFC 3261 §9.2 */
			in->answered = true;
			sipd_app_respond_plain(app, inv, 487, NULL);
		}
		if (app->cb.incoming_cancelled)
			app->cb.incoming_cancelled(app->user, app, in);
		break;
	}
	case OWN_CALL: {
		struct sipd_call *c = container_of(o, struct sipd_call, own);
		if (c->s)
			sipd_session_cancelled(c->s, now);
		break;
	}
	case OWN_BRIDGE: {
		struct bridge *br = container_of(o, struct bridge, own);
		if (br->b) {
			sipd_b2bua_cancelled(br->b, cancel, now); /* CANCEL on to B, Reason kept */
		} else {
			sipd_app_respond_plain(app, inv, 487, NULL);
			sipd_app_bridge_end_unstarted(br);
		}
		break;
	}
	default: break;
	}
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct sipd_app *app = user;
	struct owner *o = owner_find(app, tx);
	if (o) {
		sipd_app_owner_drop(app, o);
		o->tx = NULL;
	}
	sipd_sessions_server_done(&app->env, tx, timeout);
}

static void on_log(void *user, int level, const char *event, const char *detail)
{
	struct sipd_app *app = user;
	if (app->log)
		app->log(app->user, level, event, detail);
}

/* Counts responses by class as they cross the wire, then the application's
 * trace. */
static void on_trace(void *user, bool sent, const struct sipd_flow *flow, const char *data,
                     size_t len)
{
	struct sipd_app *app = user;
	if (len > 12 && !memcmp(data, "SIP/2.0 ", 8) && data[8] >= '1' && data[8] <= '6')
		(sent ? app->stats.responses_sent : app->stats.responses_received)[data[8] - '0']++;
	if (app->trace)
		app->trace(app->user, sent, flow, data, len);
}

/* A dialog ended under what used it: subscriptions on it end too. */
static void on_dialog_state(void *user, struct sipd_dialog *d, enum sipd_dialog_state st,
                            enum sipd_dialog_reason why)
{
	(void)why;
	if (st == SIPD_DIALOG_TERMINATED)
		sipd_app_subs_dialog_ended(user, d);
}

/* ---------------------------------------------------------------- the app */

int sipd_app_create(const struct sipd_app_config *cfg, struct sipd_app **out, char *errbuf,
                    size_t errlen)
{
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!out)
		return SIPD_EINVAL;
	*out = NULL;
	if (!cfg || cfg->size < offsetof(struct sipd_app_config, user) + sizeof cfg->user ||
	    !cfg->listen || !cfg->nlisten) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen,
			         "app: a configuration with at least one listener is needed");
		return SIPD_EINVAL;
	}
	struct sipd_app *app = calloc(1, sizeof *app);
	if (!app)
		return SIPD_ENOMEM;
	app->user = cfg->user;
	app->trace = cfg->trace;
	app->log = cfg->log;
	app_copy_sized(&app->cb, sizeof app->cb, cfg->cb);
	app->user_agent = app_dup_str(cfg->user_agent ? cfg->user_agent : DEFAULT_UA);
	const char *events =
		cfg->size >= offsetof(struct sipd_app_config, events) + sizeof cfg->events ? cfg->events
		                                                                          : NULL;
	/* notifying, we take SUBSCRIBE (RFC 6665 §4.2) */
	app->allow = app_dup_str(cfg->allow ? cfg->allow
	                         : events && *events ? DEFAULT_ALLOW ", SUBSCRIBE"
	                                             : DEFAULT_ALLOW);
	app->contact_user =
		app_dup_str(cfg->contact_user ? cfg->contact_user : DEFAULT_CONTACT_USER);
	sipd_hmap_init(&app->owners);
	sipd_stack_timer_init(&app->reaper, sipd_app_reap, app);
	if (!app->user_agent || !app->allow || !app->contact_user) {
		sipd_app_destroy(app);
		return SIPD_ENOMEM;
	}
	app->stack_cb = (struct sipd_stack_callbacks){.size = sizeof app->stack_cb,
	                                              .request = on_request,
	                                              .cancel = on_cancel,
	                                              .server_done = on_server_done,
	                                              .log = on_log};
	struct sipd_runtime_config rc = {.size = sizeof rc,
	                                 .loop = cfg->loop,
	                                 .listen = cfg->listen,
	                                 .nlisten = cfg->nlisten,
	                                 .tls_cert = cfg->tls_cert,
	                                 .tls_key = cfg->tls_key,
	                                 .tls_ca = cfg->tls_ca,
	                                 .tls_insecure = cfg->tls_insecure,
	                                 .dns_servers = cfg->dns_servers,
	                                 .trace = on_trace,
	                                 .trace_user = app};
	if (cfg->stack)
		app_copy_sized(&rc.stack, sizeof rc.stack, cfg->stack);
	rc.stack.size = sizeof rc.stack;
	rc.stack.locals = NULL;
	rc.stack.nlocals = 0;
	rc.stack.random = NULL;
	rc.stack.allow = app->allow;
	rc.stack.supported = cfg->supported ? cfg->supported : DEFAULT_SUPPORTED;
	rc.stack.accept = cfg->accept ? cfg->accept : DEFAULT_ACCEPT;
	rc.stack.user_agent = app->user_agent;
	rc.stack.cb = &app->stack_cb;
	rc.stack.user = app;
	int err = sipd_runtime_create(&rc, &app->rt, errbuf, errlen);
	if (err) {
		app->rt = NULL;
		sipd_app_destroy(app);
		return err;
	}
	app->stack = sipd_runtime_stack(app->rt);
	app->dialogs_cb = (struct sipd_dialogs_callbacks){.size = sizeof app->dialogs_cb,
	                                                  .state = on_dialog_state};
	struct sipd_dialogs_config dc = {
		.size = sizeof dc, .cb = &app->dialogs_cb, .user = app, .random = table_random};
	app->dialogs = sipd_dialogs_create(&dc);
	if (!app->dialogs) {
		sipd_app_destroy(app);
		return SIPD_ENOMEM;
	}
	app->env = (struct sipd_session_env){
		.size = sizeof app->env, .stack = app->stack, .dialogs = app->dialogs};
	if (sipd_app_subs_init(app, events)) {
		sipd_app_destroy(app);
		return SIPD_ENOMEM;
	}
	*out = app;
	return 0;
}

void sipd_app_destroy(struct sipd_app *app)
{
	if (!app)
		return;
	app->destroying = true;
	/* first what hangs from the stack (sessions cancel their timers in it),
	 * then the stack with the runtime, then the dialogs the sessions'
	 * last transactions may still release */
	while (app->incomings)
		sipd_app_incoming_release(app->incomings);
	while (app->bridges) {
		struct bridge *br = app->bridges;
		sipd_b2bua_free(br->b);
		br->b = NULL;
		sipd_app_bridge_free(br);
	}
	app->ended = NULL;
	while (app->calls)
		sipd_app_call_free(app->calls);
	if (app->stack)
		sipd_stack_timer_cancel(app->stack, &app->reaper);
	sipd_runtime_destroy(app->rt); /* resolutions cancelled now call back: ignored */
	while (app->tickets) {
		struct ticket *k = app->tickets;
		app->tickets = k->next;
		free(k);
	}
	sipd_app_subs_free(app); /* after the stack, which has their timers */
	if (app->dialogs)
		sipd_dialogs_destroy(app->dialogs);
	sipd_hmap_free(&app->owners);
	free(app->user_agent);
	free(app->allow);
	free(app->contact_user);
	free(app);
}

int sipd_app_run(struct sipd_app *app)
{
	return sipd_runtime_run(app->rt);
}

void sipd_app_stop(struct sipd_app *app)
{
	sipd_runtime_stop(app->rt);
}

uint64_t sipd_app_now(struct sipd_app *app)
{
	return app_now(app);
}

struct sipd_runtime *sipd_app_runtime(struct sipd_app *app)
{
	return app->rt;
}

struct sipd_stack *sipd_app_stack(struct sipd_app *app)
{
	return app->stack;
}

const struct sipd_session_env *sipd_app_env(struct sipd_app *app)
{
	return &app->env;
}

void *sipd_app_user(const struct sipd_app *app)
{
	return app->user;
}

/* Moves the 10 one-second slots on to the current second. */
static void per_second_roll(struct sipd_app *app, uint64_t sec)
{
	uint64_t gap = sec - app->per_second_at;
	if (sec < app->per_second_at || !gap)
		return;
	for (uint64_t i = 0; i < gap && i < 10; i++)
		app->per_second[(app->per_second_at + 1 + i) % 10] = 0;
	app->per_second_at = sec;
}

void sipd_app_count_call(struct sipd_app *app)
{
	uint64_t sec = sipd_runtime_now(app->rt) / 1000;
	per_second_roll(app, sec);
	app->per_second[sec % 10]++;
}

void sipd_app_stats(const struct sipd_app *app, struct sipd_app_stats *out)
{
	*out = app->stats;
	/* the last 10 whole seconds and this one's share, without changing
	 * the app (a const reader): slots older than 10 s do not count */
	uint64_t sec = sipd_runtime_now(app->rt) / 1000;
	uint32_t sum = 0;
	for (uint64_t i = 0; i < 10; i++) {
		uint64_t s = sec - i;
		if (sec >= i && s <= app->per_second_at && app->per_second_at - s < 10)
			sum += app->per_second[s % 10];
	}
	out->calls_per_second = sum / 10.0;
}

/* ---------------------------------------------------------------- incoming INVITEs */

const struct sipd_msg *sipd_incoming_request(const struct sipd_incoming *in)
{
	return in && in->own.tx ? sipd_txn_request(in->own.tx) : NULL;
}

const struct sipd_flow *sipd_incoming_flow(const struct sipd_incoming *in)
{
	return &in->from;
}

int sipd_incoming_reject(struct sipd_incoming *in, unsigned code, const char *headers)
{
	if (!in)
		return SIPD_EINVAL;
	struct sipd_app *app = in->app;
	int rc;
	if (!in->own.tx || in->answered) {
		rc = SIPD_ESTATE;
	} else if (code < 300 || code > 699) {
		sipd_app_respond_plain(app, in->own.tx, 500, NULL);
		rc = SIPD_EINVAL;
	} else {
		rc = sipd_app_respond_plain(app, in->own.tx, code, headers);
	}
	sipd_app_incoming_release(in);
	sipd_runtime_kick(app->rt);
	return rc;
}

/* Gives up an incoming INVITE that cannot become a call: the status (0:
 * none) when it is still unanswered. */
int sipd_app_incoming_fail(struct sipd_incoming *in, unsigned code, int rc)
{
	if (code && in->own.tx && !in->answered)
		sipd_app_respond_plain(in->app, in->own.tx, code,
		                       code == 503 ? "Retry-After: 5\r\n" : NULL);
	struct sipd_app *app = in->app;
	sipd_app_incoming_release(in);
	sipd_runtime_kick(app->rt);
	return rc;
}
