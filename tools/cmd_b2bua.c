/* sipdialog b2bua: bridges each incoming call to one target, as two INVITE
 * sessions linked in depth (src/app/b2bua.c): provisionals, answers,
 * failures, CANCEL, BYE and the requests within the call relayed between
 * the legs. SIGINT/SIGTERM end every call (BYE or CANCEL) and exit. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <sipdialog/auth.h>
#include <sipdialog/b2bua.h>
#include <sipdialog/runtime.h>

#include "commands.h"
#include "trace.h"
#include "util.h"

#define MAX_LISTEN 16

struct bridge;

struct b2b {
	struct sipd_runtime *rt;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	const char *to;
	struct sipd_uri to_uri;
	struct sipd_target target;
	bool resolved, verbose, stopping;
	struct tool_output out;
	const char *credentials; /* --auth USER:PASS, for the callee's challenges */
	struct sipd_auth_client *auth;
	uv_timer_t stats;
	uv_timer_t grace; /* the most a stop waits for calls to end */
	uint64_t calls, answered, ended, refused;
	struct bridge *open;
};

/* Every call bridged, to end them all on a signal and free them at exit. */
struct bridge {
	struct bridge *prev, *next;
	struct b2b *g;
	struct sipd_b2bua *b;
	bool answered;
};

static void b2bua_usage(FILE *f)
{
	fputs("usage: sipdialog b2bua --listen SPEC [--listen SPEC]... --to URI [--trace]\n"
	      "                       [--ladder] [--log-format text|json] [--stats-interval S]\n"
	      "                       [--verbose] [--auth USER:PASS] [--tls-cert FILE --tls-key FILE]\n"
	      "\n"
	      "  --listen SPEC   udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT (IPv6 in brackets)\n"
	      "  --to URI        where every call goes (resolved once, as RFC 3263 says)\n"
	      "  --auth USER:PASS  answer the callee's 401/407 with these digest credentials\n"
	      "  --verbose       print each call's legs as they change\n",
	      f);
	fputs(tool_output_usage, f);
}

static void unlink_bridge(struct bridge *br)
{
	struct b2b *g = br->g;
	if (br->prev)
		br->prev->next = br->next;
	else
		g->open = br->next;
	if (br->next)
		br->next->prev = br->prev;
}

static void on_ended(void *arg, struct sipd_b2bua *b)
{
	(void)b;
	struct bridge *br = arg;
	struct b2b *g = br->g;
	g->ended++;
	unlink_bridge(br);
	free(br);
	if (g->stopping && !g->open)
		sipd_runtime_stop(g->rt);
}

static void on_leg_state(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
                         enum sipd_session_state st, enum sipd_session_end why)
{
	(void)b;
	struct bridge *br = arg;
	static const char *const names[] = {"initial", "early", "wait-ack", "confirmed",
	                                    "terminated"};
	if (leg == SIPD_B2BUA_A && st == SIPD_SESSION_CONFIRMED && !br->answered) {
		br->answered = true;
		br->g->answered++;
	}
	if (br->g->verbose)
		fprintf(stderr, "call %p: leg %c %s (%d)\n", (void *)br, leg == SIPD_B2BUA_A ? 'A' : 'B',
		        names[st], (int)why);
}

static const struct sipd_b2bua_callbacks bridge_cb = {
	.size = sizeof bridge_cb, .leg_state = on_leg_state, .ended = on_ended};

static int new_call(struct b2b *g, struct sipd_txn *tx, const struct sipd_flow *from)
{
	uint64_t now = sipd_runtime_now(g->rt);
	int local = g->resolved ? tools_pick_local(g->rt, g->target.transport,
	                                           g->target.addr.family)
	                        : -1;
	struct bridge *br = local < 0 || g->stopping ? NULL : calloc(1, sizeof *br);
	if (!br) {
		/* not resolved yet, no listener for the target, or stopping */
		struct sipd_response r = {.size = sizeof r, .code = 503, .headers = {"Retry-After: 5\r\n", 16}};
		sipd_txn_respond(tx, &r, now);
		g->refused++;
		return 0;
	}
	char a_contact[160], b_contact[160];
	tools_local_uri(g->rt, "b2bua", from->local, a_contact, sizeof a_contact);
	tools_local_uri(g->rt, "b2bua", (uint16_t)local, b_contact, sizeof b_contact);
	struct sipd_b2bua_opts o = {
		.size = sizeof o,
		.target = {g->to, strlen(g->to)},
		.flow = {.transport = g->target.transport,
		         .local = (uint16_t)local,
		         .remote = g->target.addr},
		.a_contact = {a_contact, strlen(a_contact)},
		.b_contact = {b_contact, strlen(b_contact)},
		.rel_policy = SIPD_REL_SUPPORTED,
		.cb = &bridge_cb,
		.arg = br,
		.auth = g->auth,
	};
	br->g = g;
	int rc = sipd_b2bua_create(&g->env, tx, from, &o, now, &br->b);
	if (rc) {
		free(br);
		g->refused++;
		return 0; /* answered by the b2bua */
	}
	g->calls++;
	br->next = g->open;
	if (g->open)
		g->open->prev = br;
	g->open = br;
	return 0;
}

static void print_counters(struct b2b *g, const char *event)
{
	uint64_t open = 0;
	for (struct bridge *br = g->open; br; br = br->next)
		open++;
	const struct tool_counter c[] = {{"calls", g->calls},   {"answered", g->answered},
	                                 {"ended", g->ended},   {"refused", g->refused},
	                                 {"open", open}};
	tool_print_counters(&g->out, event, c, sizeof c / sizeof c[0]);
}

static void stats_tick(uv_timer_t *t)
{
	print_counters(t->data, "stats");
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct b2b *g = user;
	if (req->to.tag.len || req->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&g->env, tx, req, from);
	if (req->method == SIPD_METHOD_INVITE)
		return new_call(g, tx, from);
	return -1; /* the core's answer (200 to OPTIONS, 405...) */
}

static void on_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	struct b2b *g = user;
	struct sipd_b2bua *b = sipd_b2bua_of_invite(inv);
	if (b)
		sipd_b2bua_cancelled(b, cancel, sipd_runtime_now(g->rt));
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct b2b *g = user;
	sipd_sessions_server_done(&g->env, tx, timeout);
}

static void grace_over(uv_timer_t *t)
{
	struct b2b *g = t->data;
	sipd_runtime_stop(g->rt);
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	struct b2b *g = s->data;
	if (g->stopping || !g->open) { /* asked twice, or nothing to end */
		sipd_runtime_stop(g->rt);
		return;
	}
	g->stopping = true;
	uint64_t now = sipd_runtime_now(g->rt);
	for (struct bridge *br = g->open, *next; br; br = next) {
		next = br->next; /* `ended` may come later, never from here */
		sipd_b2bua_end(br->b, "SIP;cause=200;text=\"Shutting down\"", now);
	}
	/* bounded by Timer F (64*T1) of a BYE nobody answers, and a little more */
	uv_timer_start(&g->grace, grace_over, 34000, 0);
	sipd_runtime_kick(g->rt);
}

static void resolved(void *arg, int status, const struct sipd_target *t, size_t n)
{
	struct b2b *g = arg;
	if (status || !n) {
		fprintf(stderr, "sipdialog b2bua: cannot resolve %s; calls get 503\n", g->to);
		return;
	}
	g->target = t[0];
	g->resolved = true;
	if (tools_pick_local(g->rt, g->target.transport, g->target.addr.family) < 0)
		fprintf(stderr, "sipdialog b2bua: no listener for the transport of %s\n", g->to);
}

int cmd_b2bua(int argc, char **argv)
{
	const char *listen[MAX_LISTEN];
	size_t nlisten = 0;
	const char *cert = NULL, *key = NULL;
	struct b2b g = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		int shared = tool_output_option(&g.out, "b2bua", argc, argv, &i);
		if (shared < 0)
			return 2;
		if (shared)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			b2bua_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--listen") && has) {
			if (nlisten == MAX_LISTEN) {
				fprintf(stderr, "sipdialog b2bua: at most %d listeners\n", MAX_LISTEN);
				return 2;
			}
			listen[nlisten++] = argv[++i];
		} else if (!strcmp(a, "--to") && has) {
			g.to = argv[++i];
		} else if (!strcmp(a, "--auth") && has) {
			g.credentials = argv[++i];
		} else if (!strcmp(a, "--tls-cert") && has) {
			cert = argv[++i];
		} else if (!strcmp(a, "--tls-key") && has) {
			key = argv[++i];
		} else if (!strcmp(a, "--verbose")) {
			g.verbose = true;
		} else {
			fprintf(stderr, "sipdialog b2bua: unknown or incomplete option '%s'\n", a);
			b2bua_usage(stderr);
			return 2;
		}
	}
	if (!nlisten || !g.to) {
		fprintf(stderr, "sipdialog b2bua: --listen and --to are needed\n");
		b2bua_usage(stderr);
		return 2;
	}
	if (sipd_uri_parse(&g.to_uri, g.to, strlen(g.to), NULL) ||
	    (g.to_uri.kind != SIPD_URI_SIP && g.to_uri.kind != SIPD_URI_SIPS)) {
		fprintf(stderr, "sipdialog b2bua: --to wants a sip: or sips: URI, not '%s'\n", g.to);
		return 2;
	}
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb,
	                                               .request = on_request,
	                                               .cancel = on_cancel,
	                                               .server_done = on_server_done};
	struct sipd_runtime_config rc = {
		.size = sizeof rc,
		.listen = listen,
		.nlisten = nlisten,
		.trace = tool_trace_hook,
		.trace_user = &g.out.tr,
		.tls_cert = cert,
		.tls_key = key,
		.stack = {.size = sizeof rc.stack,
		          .allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, PRACK, "
		                   "NOTIFY, REFER",
		          .supported = "100rel",
		          .accept = "application/sdp, text/plain, message/sipfrag, "
		                    "application/dtmf-relay",
		          .user_agent = "sipdialog",
		          .max_transactions = g.out.max_transactions,
		          .dialog_to_source = g.out.to_source,
		          .forwarding = true,
		          .cb = &cb,
		          .user = &g},
	};
	char err[256];
	g.out.tr.self = "b2bua";
	if (sipd_runtime_create(&rc, &g.rt, err, sizeof err)) {
		fprintf(stderr, "sipdialog b2bua: %s\n", err);
		return 1;
	}
	if (tool_drop_root(&g.out, "b2bua")) {
		sipd_runtime_destroy(g.rt);
		return 1;
	}
	g.out.tr.rt = g.rt;
	g.out.t0 = sipd_runtime_now(g.rt);
	if (g.credentials) {
		char user[128];
		const char *pass;
		struct sipd_auth_client_config ac = {.size = sizeof ac, .random = tools_random};
		if (tools_split_credentials(g.credentials, user, sizeof user, &pass) ||
		    (ac.username = user, ac.password = pass, !(g.auth = sipd_auth_client_create(&ac)))) {
			fprintf(stderr, "sipdialog b2bua: --auth wants USER:PASS\n");
			sipd_runtime_destroy(g.rt);
			return 2;
		}
	}
	static const struct sipd_dialogs_callbacks dcb = {.size = sizeof dcb};
	struct sipd_dialogs_config dc = {.size = sizeof dc, .cb = &dcb, .user = g.rt,
	                                 .random = tools_table_random};
	g.dialogs = sipd_dialogs_create(&dc);
	if (!g.dialogs) {
		fprintf(stderr, "sipdialog b2bua: out of memory\n");
		sipd_runtime_destroy(g.rt);
		return 1;
	}
	g.env = (struct sipd_session_env){.size = sizeof g.env,
	                                  .stack = sipd_runtime_stack(g.rt),
	                                  .dialogs = g.dialogs};
	tools_print_listeners(g.rt, nlisten);
	uv_timer_init(sipd_runtime_loop(g.rt), &g.stats);
	g.stats.data = &g;
	uv_timer_init(sipd_runtime_loop(g.rt), &g.grace);
	g.grace.data = &g;
	if (g.out.stats_interval)
		uv_timer_start(&g.stats, stats_tick, g.out.stats_interval * 1000ull,
		               g.out.stats_interval * 1000ull);
	uv_signal_t sigint, sigterm;
	uv_signal_init(sipd_runtime_loop(g.rt), &sigint);
	uv_signal_init(sipd_runtime_loop(g.rt), &sigterm);
	sigint.data = sigterm.data = &g;
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	int status = 0;
	if (sipd_runtime_resolve(g.rt, &g.to_uri, resolved, &g)) {
		fprintf(stderr, "sipdialog b2bua: cannot resolve %s\n", g.to);
		status = 1;
	} else {
		sipd_runtime_run(g.rt);
	}
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&g.stats, NULL);
	uv_close((uv_handle_t *)&g.grace, NULL);
	print_counters(&g, "summary");
	/* calls still open (stopped twice): freed without more signalling */
	while (g.open) {
		struct bridge *br = g.open;
		unlink_bridge(br);
		sipd_b2bua_free(br->b);
		free(br);
	}
	tool_ladder_print(&g.out.tr, stdout);
	sipd_runtime_destroy(g.rt);
	sipd_dialogs_destroy(g.dialogs);
	sipd_auth_client_destroy(g.auth);
	return status;
}
