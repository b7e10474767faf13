/* sipdialog uas: answers calls on the listeners given. An INVITE gets 180 and
 * 200 with a built-in SDP answer (or --reject CODE); the call is an INVITE
 * session (src/session/) until BYE: requests within it follow RFC 3261
 * §12.2.2 (500 out of order, 481 for no dialog), re-INVITE and UPDATE get the
 * session's defaults (our description again), MESSAGE and INFO 200. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <sipdialog/auth.h>
#include <sipdialog/registration.h>
#include <sipdialog/subscription.h>
#include <sipdialog/runtime.h>
#include <sipdialog/session.h>

#include "commands.h"
#include "trace.h"
#include "transfer.h"
#include "util.h"

#define MAX_LISTEN 16

struct call;

struct uas {
	struct sipd_runtime *rt;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	unsigned reject;
	uint32_t ring_ms, hangup_ms, max_calls;
	bool early_media;
	bool rel100;      /* --100rel: reliable provisionals whenever supported */
	char *answer_sdp; /* --answer-sdp: the file's contents */
	size_t answer_len;
	/* the built-in answer of each listener, made once: calls share it */
	char *listener_sdp[MAX_LISTEN];
	size_t listener_sdp_len[MAX_LISTEN];
	struct tool_output out;
	uv_timer_t stats;
	uv_timer_t grace; /* the most a stop waits for calls to end */
	/* --auth: INVITEs must carry digest credentials (RFC 3261 §22.2) */
	struct sipd_auth_server *auth;
	char auth_user[128];
	const char *auth_pass;
	enum sipd_auth_alg auth_algs[SIPD_AUTH_ALG__COUNT];
	size_t nalgs;
	uint64_t challenged, denied;
	struct sipd_registrar *registrar; /* --registrar */
	bool want_registrar;
	/* --notify and --accept-refer: subscriptions (RFC 6665, RFC 3515) */
	struct sipd_subscriptions *subs;
	const char *notify_events;
	bool accept_refer;
	struct transfers *transfers; /* --accept-refer: the referred calls */
	struct call *ended_calls; /* sessions that ended, for reap() to free */
	uv_check_t reaper;        /* runs reap() once a loop turn while there are */
	bool stopping;    /* a signal came: every call ends with BYE */
	size_t live;      /* sessions not yet terminated */
	uint64_t requests, calls, answered, ended, ack_timeouts;
	uint64_t busy; /* INVITEs refused 503 over --max-calls */
	struct call *open;
};

/* Every session open, to free them at exit. */
struct call {
	struct call *prev, *next;
	struct call *next_ended; /* in uas.ended_calls once its session ended */
	struct uas *u;
	struct sipd_session *s;
	/* with --ring or --hangup-after only: the ring before the 200, then the
	 * call's length (a libuv timer is some 150 bytes a call) */
	uv_timer_t *t;
	struct sipd_str answer; /* our SDP answer: --answer-sdp, or the listener's */
};

static void uas_usage(FILE *f)
{
	fputs("usage: sipdialog uas --listen SPEC [--listen SPEC]... [--reject CODE] [--trace]\n"
	      "                     [--ladder] [--log-format text|json] [--stats-interval S]\n"
	      "                     [--auth USER:PASS [--auth-algs LIST]] [--ring MS]\n"
	      "                     [--early-media] [--answer-sdp FILE] [--hangup-after MS]\n"
	      "                     [--max-calls N] [--registrar] [--notify EVENTS]\n"
	      "                     [--100rel] [--accept-refer]\n"
	      "                     [--tls-cert FILE --tls-key FILE]\n"
	      "\n"
	      "  --listen SPEC   udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT (IPv6 in brackets)\n"
	      "  --reject CODE   answer INVITE with this final response, 300-699, instead of\n"
	      "                  180 then 200\n"
	      "  --ring MS       wait MS between the 180 and the 200 (default 0)\n"
	      "  --early-media   183 with the SDP answer instead of 180\n"
	      "  --100rel        provisional responses reliable (RFC 3262) whenever the\n"
	      "                  INVITE supports 100rel, not only when it requires it\n"
	      "  --answer-sdp FILE  the SDP answer to send (default: a built-in PCMU one)\n"
	      "  --hangup-after MS  end each call with BYE MS after it is answered\n"
	      "  --max-calls N   calls up at once at most; more get 503 with Retry-After\n"
	      "  --notify EVENTS take SUBSCRIBE for these packages (comma-separated): 200,\n"
	      "                  NOTIFY active with a plain body, refreshes (RFC 6665)\n"
	      "  --accept-refer  accept REFER in a call (202), place the referred call (to\n"
	      "                  a numeric host) and report it in sipfrag NOTIFYs (RFC 3515)\n"
	      "  --registrar     take REGISTER too (RFC 3261 §10.3, bindings in memory;\n"
	      "                  with --auth, challenged and each user its own AOR)\n"
	      "  --auth USER:PASS  challenge each new INVITE (401, digest SHA-256 and MD5) and\n"
	      "                  take only this user's\n"
	      "  --auth-algs LIST  the digest algorithms offered, in order (default\n"
	      "                  SHA-512-256,SHA-256,MD5; some clients take only MD5)\n"
	      "  --tls-cert FILE, --tls-key FILE  certificate chain and key of tls: listeners\n",
	      f);
	fputs(tool_output_usage, f);
}

static void call_release(struct call *c)
{
	sipd_session_free(c->s);
	free(c);
}

static void timer_closed(uv_handle_t *h)
{
	struct call *c = h->data;
	free(h);
	call_release(c);
}

/* Unlinks the call; its memory goes now, or when its timer is closed. */
static void call_free(struct call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->u->open = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->t)
		uv_close((uv_handle_t *)c->t, timer_closed);
	else
		call_release(c);
}

static void hangup(uv_timer_t *t)
{
	struct call *c = t->data;
	sipd_session_bye(c->s, NULL, sipd_runtime_now(c->u->rt));
}

static void answer_now(uv_timer_t *t)
{
	struct call *c = t->data;
	sipd_session_accept(c->s, c->answer, sipd_runtime_now(c->u->rt));
}

/* After a stop was asked: the loop ends with the last call. */
static void maybe_stopped(struct uas *u)
{
	if (u->stopping && !u->live && !transfers_live(u->transfers))
		sipd_runtime_stop(u->rt);
}

static void transfer_ended(void *arg, bool answered)
{
	(void)answered;
	maybe_stopped(arg);
}

static void reap(uv_check_t *h);

static void on_session_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                             enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)s;
	(void)msg;
	struct call *c = arg;
	if (st == SIPD_SESSION_CONFIRMED) {
		c->u->answered++;
		if (c->u->hangup_ms)
			uv_timer_start(c->t, hangup, c->u->hangup_ms, 0);
	}
	if (st == SIPD_SESSION_TERMINATED) {
		c->u->ended++;
		c->u->live--;
		maybe_stopped(c->u);
		if (why == SIPD_SESSION_END_NO_ACK)
			c->u->ack_timeouts++;
		/* freed later, from the loop: not under the session's own call,
		 * nor under any of the stack's */
		c->next_ended = c->u->ended_calls;
		c->u->ended_calls = c;
		uv_check_start(&c->u->reaper, reap);
	}
}

static int on_session_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                              const struct sipd_msg *req)
{
	struct call *c = arg;
	/* MESSAGE and INFO within the call are taken; the rest gets the session's
	 * defaults (re-INVITE and UPDATE: answered with our description) */
	if (req->method == SIPD_METHOD_MESSAGE || req->method == SIPD_METHOD_INFO)
		return sipd_session_respond(s, tx, 200, SIPD_STR_NULL, sipd_runtime_now(c->u->rt)) == 0
		               ? 0
		               : -1;
	return -1;
}

static const struct sipd_session_callbacks session_cb = {.size = sizeof session_cb,
                                                         .state = on_session_state,
                                                         .request = on_session_request};

static void link_call(struct uas *u, struct call *c)
{
	c->next = u->open;
	if (u->open)
		u->open->prev = c;
	u->open = c;
	u->live++;
}

/* RFC 3515 §2.4.2: a REFER within a call, accepted with 202 when asked
 * (--accept-refer); the referred call is the transfer module's. */
static unsigned on_refer(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req)
{
	(void)req;
	struct uas *u = arg;
	return u->transfers ? transfers_refer(u->transfers, sub) : 603;
}

/* --notify: a SUBSCRIBE to one of the packages gets 200 and a NOTIFY
 * (active) with a plain body; refreshes and unsubscriptions are the
 * module's. */
static void on_subscribe(void *arg, struct sipd_subscription *sub, const struct sipd_msg *req,
                         struct sipd_sub_answer *ans)
{
	(void)arg;
	(void)sub;
	(void)req;
	static const char body[] = "open\r\n";
	ans->content_type = "text/plain";
	ans->body = (struct sipd_str){body, sizeof body - 1};
}

/* A subscription (ours as notifier or REFER recipient) ended: the calls
 * reporting to it stop, and it is freed. */
static void on_sub_state(void *arg, struct sipd_subscription *sub, enum sipd_sub_state st,
                         const struct sipd_msg *msg)
{
	(void)msg;
	struct uas *u = arg;
	if (st != SIPD_SUB_TERMINATED)
		return;
	transfers_forget(u->transfers, sub);
	sipd_subscription_free(sub);
}

static void on_dialog_state(void *user, struct sipd_dialog *d, enum sipd_dialog_state st,
                            enum sipd_dialog_reason why)
{
	(void)why;
	struct uas *u = user;
	if (st == SIPD_DIALOG_TERMINATED && u->subs)
		sipd_subscriptions_dialog_ended(u->subs, d);
}

static void table_random(void *user, void *buf, size_t len)
{
	struct uas *u = user;
	tools_table_random(u->rt, buf, len);
}

/* The one user --auth knows. Unknown users are answered by the server
 * module like wrong passwords (same work, same answer). */
static int auth_lookup(void *user, struct sipd_str username, struct sipd_str realm,
                       enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	(void)realm;
	(void)hash;
	struct uas *u = user;
	size_t n = strlen(u->auth_pass);
	if (!sipd_str_eq(username, u->auth_user) || n > cap)
		return SIPD_ENOTFOUND;
	memcpy(out, u->auth_pass, n);
	*len = n;
	return SIPD_AUTH_SECRET_PASSWORD;
}

/* RFC 3261 §22.2: a new INVITE without good credentials gets 401 with a
 * challenge (stale=true for a right digest on an old nonce), 403 for wrong
 * ones, 400 for malformed ones. Returns true when the INVITE may go on. */
static bool authorized(struct uas *u, struct sipd_txn *tx)
{
	if (!u->auth)
		return true;
	uint64_t now = sipd_runtime_now(u->rt);
	struct sipd_auth_verdict v;
	unsigned code = 500;
	char hdrs[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs, sizeof hdrs);
	if (sipd_auth_server_verify(u->auth, sipd_txn_request(tx), now, &v) == 0) {
		if (v.result == SIPD_AUTH_OK)
			return true;
		if (v.result == SIPD_AUTH_NONE || v.result == SIPD_AUTH_STALE) {
			if (sipd_auth_server_challenge(u->auth, &b, v.result == SIPD_AUTH_STALE, now) ==
			    0)
				code = 401;
			u->challenged++;
		} else {
			code = v.result == SIPD_AUTH_DENIED ? 403 : 400;
			u->denied++;
		}
	}
	char tag[12];
	sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .to_tag = {tag, sizeof tag},
	                          .headers = {hdrs, code == 401 ? b.len : 0}};
	sipd_txn_respond(tx, &r, now);
	return false;
}

/* The SDP answer of a call coming in on listener `local`: --answer-sdp, or
 * the built-in one on the listener's address, made at its first call. */
static int answer_for(struct uas *u, uint16_t local, struct sipd_str *out)
{
	if (u->answer_sdp) {
		*out = (struct sipd_str){u->answer_sdp, u->answer_len};
		return 0;
	}
	if (local >= MAX_LISTEN)
		return -1;
	if (!u->listener_sdp[local]) {
		char sdp[1024];
		int n = tools_sdp(u->rt, local, "sipdialog", 1, 40000, NULL, sdp, sizeof sdp);
		if (n < 0 || !(u->listener_sdp[local] = malloc((size_t)n)))
			return -1;
		memcpy(u->listener_sdp[local], sdp, (size_t)n);
		u->listener_sdp_len[local] = (size_t)n;
	}
	*out = (struct sipd_str){u->listener_sdp[local], u->listener_sdp_len[local]};
	return 0;
}

static int new_call(struct uas *u, struct sipd_txn *tx, const struct sipd_flow *from)
{
	u->calls++;
	if (!authorized(u, tx))
		return 0;
	if (u->reject) {
		char tag[12];
		sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
		struct sipd_response r = {.size = sizeof r, .code = u->reject,
		                          .to_tag = {tag, sizeof tag}};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		return 0;
	}
	if (u->max_calls && u->live >= u->max_calls) {
		char tag[12];
		sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
		struct sipd_response r = {.size = sizeof r, .code = 503, .to_tag = {tag, sizeof tag},
		                          .headers = {"Retry-After: 5\r\n", 16}};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		u->busy++;
		return 0;
	}
	struct call *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->u = u;
	/* our Contact and the SDP answer use the listener the INVITE came in on */
	char contact[128];
	tools_local_uri(u->rt, "uas", from->local, contact, sizeof contact);
	if (answer_for(u, from->local, &c->answer)) {
		free(c);
		return -1;
	}
	if (u->ring_ms || u->hangup_ms) {
		if (!(c->t = malloc(sizeof *c->t))) {
			free(c);
			return -1;
		}
		uv_timer_init(sipd_runtime_loop(u->rt), c->t);
		c->t->data = c;
	}
	struct sipd_session_opts o = {.size = sizeof o,
	                              .dialog = {.size = sizeof o.dialog,
	                                         .local_contact = {contact, strlen(contact)},
	                                         .tls = from->transport == SIPD_TP_TLS},
	                              .cb = &session_cb,
	                              .arg = c,
	                              .rel_policy = u->rel100 ? SIPD_REL_PREFERRED
	                                                      : SIPD_REL_SUPPORTED};
	uint64_t now = sipd_runtime_now(u->rt);
	if (sipd_session_uas(&u->env, tx, from, &o, now, &c->s)) {
		/* the session answered it (400, 420-422, 500, 503) */
		if (c->t)
			uv_close((uv_handle_t *)c->t, timer_closed);
		else
			free(c);
		return 0;
	}
	link_call(u, c);
	/* an INVITE that requires 100rel (or supports it, with --100rel) gets a
	 * reliable 183 with the answer (RFC 3262), the 2xx after its PRACK;
	 * others 180 (or 183 with the answer for --early-media), then 200 */
	bool rel = false;
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, sipd_txn_request(tx), SIPD_HDR_REQUIRE);
	while (sipd_hdr_iter_next(&it, &v))
		rel |= sipd_str_ieq(v, "100rel");
	sipd_hdr_iter_init(&it, sipd_txn_request(tx), SIPD_HDR_SUPPORTED);
	while (u->rel100 && sipd_hdr_iter_next(&it, &v))
		rel |= sipd_str_ieq(v, "100rel");
	struct sipd_str answer = c->answer;
	if (!((rel || u->early_media) && sipd_session_progress(c->s, 183, answer, now) == 0))
		sipd_session_progress(c->s, 180, SIPD_STR_NULL, now);
	if (u->ring_ms)
		uv_timer_start(c->t, answer_now, u->ring_ms, 0);
	else
		sipd_session_accept(c->s, answer, now);
	return 0;
}

/* Frees the calls whose session ended, from the loop (a check handle). */
static void reap(uv_check_t *h)
{
	struct uas *u = h->data;
	/* only the calls that ended: a scan of every open call would make each
	 * call's end cost as much as the calls held (100,000 held: 20 ms) */
	while (u->ended_calls) {
		struct call *c = u->ended_calls;
		u->ended_calls = c->next_ended;
		call_free(c);
	}
	uv_check_stop(h);
}

static void print_counters(struct uas *u, const char *event)
{
	const struct tool_counter c[] = {{"requests", u->requests},
	                                 {"calls", u->calls},
	                                 {"answered", u->answered},
	                                 {"ended", u->ended},
	                                 {"open", u->live},
	                                 {"busy", u->busy},
	                                 {"transfers", transfers_placed(u->transfers)},
	                                 {"transfers_answered", transfers_answered(u->transfers)}};
	/* the transfer counters with --accept-refer only */
	tool_print_counters(&u->out, event, c, sizeof c / sizeof c[0] - (u->transfers ? 0 : 2));
}

static void stats_tick(uv_timer_t *t)
{
	print_counters(t->data, "stats");
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct uas *u = user;
	u->requests++;
	int rc;
	if (u->registrar && req->method == SIPD_METHOD_REGISTER && !req->to.tag.len) {
		rc = sipd_registrar_request(u->registrar, tx, req, from);
	} else if (u->subs && (req->method == SIPD_METHOD_SUBSCRIBE ||
	                       req->method == SIPD_METHOD_NOTIFY ||
	                       req->method == SIPD_METHOD_REFER) &&
	           sipd_subscriptions_request(u->subs, tx, req, from) == 0) {
		rc = 0;
	} else if (req->to.tag.len || req->method == SIPD_METHOD_ACK) {
		/* within a session, or the core's 481 (and a dropped ACK) */
		rc = sipd_sessions_request(&u->env, tx, req, from);
	} else if (req->method == SIPD_METHOD_INVITE) {
		rc = new_call(u, tx, from);
	} else if (req->method == SIPD_METHOD_MESSAGE || req->method == SIPD_METHOD_INFO) {
		char tag[12];
		sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
		struct sipd_response r = {.size = sizeof r, .code = 200, .to_tag = {tag, sizeof tag}};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		rc = 0;
	} else {
		rc = -1; /* the core's answer (200 to OPTIONS, 405...) */
	}
	return rc;
}

static void on_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	(void)cancel;
	struct uas *u = user;
	/* §9.2: this uas answers at once, so a CANCEL finds the INVITE open only
	 * when the 2xx crossed it: the session changes nothing then */
	struct sipd_session *s = sipd_txn_user(inv);
	if (s)
		sipd_session_cancelled(s, sipd_runtime_now(u->rt));
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct uas *u = user;
	sipd_sessions_server_done(&u->env, tx, timeout);
}

static void grace_over(uv_timer_t *t)
{
	struct uas *u = t->data;
	sipd_runtime_stop(u->rt);
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	struct uas *u = s->data;
	if (u->stopping || (!u->live && !transfers_live(u->transfers))) {
		/* asked twice, or no call up */
		sipd_runtime_stop(u->rt);
		return;
	}
	/* every call ends properly: BYE (after the ACK, if ours is awaited) */
	u->stopping = true;
	uint64_t now = sipd_runtime_now(u->rt);
	for (struct call *c = u->open; c; c = c->next)
		if (sipd_session_state(c->s) != SIPD_SESSION_TERMINATED &&
		    sipd_session_bye(c->s, "SIP;cause=200;text=\"Shutting down\"", now))
			sipd_session_reject(c->s, 480, NULL, now);
	transfers_stop(u->transfers);
	/* a BYE that gets no answer ends by Timer F (64*T1): the stop is
	 * bounded by that, and a little more */
	uv_timer_start(&u->grace, grace_over, 34000, 0);
	sipd_runtime_kick(u->rt);
}

/* --answer-sdp: the whole file, at most what a call keeps. */
static int read_sdp(struct uas *u, const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[2048];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	bool too_long = f && n == sizeof buf;
	if (f)
		fclose(f);
	if (!f || !n || too_long) {
		fprintf(stderr, "sipdialog uas: --answer-sdp %s: %s\n", path,
		        !f ? "cannot read it" : !n ? "empty" : "over 2047 bytes");
		return -1;
	}
	u->answer_sdp = buf;
	u->answer_len = n;
	return 0;
}

int cmd_uas(int argc, char **argv)
{
	const char *listen[MAX_LISTEN];
	size_t nlisten = 0;
	const char *cert = NULL, *key = NULL;
	struct uas u = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int shared = tool_output_option(&u.out, "uas", argc, argv, &i);
		if (shared < 0)
			return 2;
		if (shared)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			uas_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--listen") && i + 1 < argc) {
			if (nlisten == MAX_LISTEN) {
				fprintf(stderr, "sipdialog uas: at most %d listeners\n", MAX_LISTEN);
				return 2;
			}
			listen[nlisten++] = argv[++i];
		} else if (!strcmp(a, "--reject") && i + 1 < argc) {
			char *end;
			unsigned long c = strtoul(argv[++i], &end, 10);
			if (*end || c < 300 || c > 699) {
				fprintf(stderr, "sipdialog uas: --reject wants a code from 300 to 699, not '%s'\n",
				        argv[i]);
				return 2;
			}
			u.reject = (unsigned)c;
		} else if (!strcmp(a, "--tls-cert") && i + 1 < argc) {
			cert = argv[++i];
		} else if (!strcmp(a, "--tls-key") && i + 1 < argc) {
			key = argv[++i];
		} else if (!strcmp(a, "--auth") && i + 1 < argc) {
			if (tools_split_credentials(argv[++i], u.auth_user, sizeof u.auth_user,
			                            &u.auth_pass)) {
				fprintf(stderr, "sipdialog uas: --auth wants USER:PASS\n");
				return 2;
			}
		} else if ((!strcmp(a, "--ring") || !strcmp(a, "--hangup-after") ||
		            !strcmp(a, "--max-calls")) && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end || !*argv[i] || v > 86400000) {
				fprintf(stderr, "sipdialog uas: %s wants a number, not '%s'\n", a, argv[i]);
				return 2;
			}
			if (!strcmp(a, "--ring"))
				u.ring_ms = (uint32_t)v;
			else if (!strcmp(a, "--hangup-after"))
				u.hangup_ms = (uint32_t)v;
			else
				u.max_calls = (uint32_t)v;
		} else if (!strcmp(a, "--notify") && i + 1 < argc) {
			u.notify_events = argv[++i];
		} else if (!strcmp(a, "--accept-refer")) {
			u.accept_refer = true;
		} else if (!strcmp(a, "--registrar")) {
			u.want_registrar = true;
		} else if (!strcmp(a, "--100rel")) {
			u.rel100 = true;
		} else if (!strcmp(a, "--early-media")) {
			u.early_media = true;
		} else if (!strcmp(a, "--answer-sdp") && i + 1 < argc) {
			if (read_sdp(&u, argv[++i]))
				return 2;
		} else if (!strcmp(a, "--auth-algs") && i + 1 < argc) {
			char list[256];
			snprintf(list, sizeof list, "%s", argv[++i]);
			u.nalgs = 0;
			for (char *save, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int alg = sipd_auth_alg_lookup((struct sipd_str){t, strlen(t)});
				if (alg < 0 || u.nalgs == SIPD_AUTH_ALG__COUNT) {
					fprintf(stderr, "sipdialog uas: unknown digest algorithm '%s'\n", t);
					return 2;
				}
				u.auth_algs[u.nalgs++] = (enum sipd_auth_alg)alg;
			}
		} else {
			fprintf(stderr, "sipdialog uas: unknown or incomplete option '%s'\n", a);
			uas_usage(stderr);
			return 2;
		}
	}
	if (!nlisten) {
		fprintf(stderr, "sipdialog uas: at least one --listen is needed\n");
		uas_usage(stderr);
		return 2;
	}
	/* the methods we take, as Allow says them (RFC 3261 §20.5) */
	char allow[192];
	snprintf(allow, sizeof allow, "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, PRACK%s%s%s",
	         u.want_registrar ? ", REGISTER" : "", u.notify_events ? ", SUBSCRIBE" : "",
	         u.accept_refer ? ", REFER, NOTIFY" : "");
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb,
	                                               .request = on_request,
	                                               .cancel = on_cancel,
	                                               .server_done = on_server_done};
	struct sipd_runtime_config rc = {
		.size = sizeof rc,
		.listen = listen,
		.nlisten = nlisten,
		.trace = tool_trace_hook,
		.trace_user = &u.out.tr,
		.tls_cert = cert,
		.tls_key = key,
		.stack = {.size = sizeof rc.stack,
		          .allow = allow,
		          .supported = "100rel",
		          .accept = "application/sdp, text/plain, message/sipfrag, application/dtmf-relay",
		          .user_agent = "sipdialog",
		          .max_transactions = u.out.max_transactions,
		          .dialog_to_source = u.out.to_source,
		          .cb = &cb,
		          .user = &u},
	};
	char err[256];
	u.out.tr.self = "uas";
	if (sipd_runtime_create(&rc, &u.rt, err, sizeof err)) {
		fprintf(stderr, "sipdialog uas: %s\n", err);
		return 1;
	}
	if (tool_drop_root(&u.out, "uas")) {
		sipd_runtime_destroy(u.rt);
		return 1;
	}
	u.out.tr.rt = u.rt;
	u.out.t0 = sipd_runtime_now(u.rt);
	if (u.auth_pass) {
		uint8_t secret[32];
		tools_random(NULL, secret, sizeof secret);
		struct sipd_auth_server_config ac = {.size = sizeof ac,
		                                     .realm = "sipdialog",
		                                     .secret = secret,
		                                     .secret_len = sizeof secret,
		                                     .algs = u.nalgs ? u.auth_algs : NULL,
		                                     .nalgs = u.nalgs,
		                                     .lookup = auth_lookup,
		                                     .random = tools_random,
		                                     .user = &u};
		u.auth = sipd_auth_server_create(&ac);
		if (!u.auth) {
			fprintf(stderr, "sipdialog uas: bad --auth credentials\n");
			sipd_runtime_destroy(u.rt);
			return 2;
		}
	}
	if (u.want_registrar) {
		struct sipd_registrar_config rgc = {.size = sizeof rgc,
		                                    .stack = sipd_runtime_stack(u.rt),
		                                    .auth = u.auth};
		if (!(u.registrar = sipd_registrar_create(&rgc))) {
			fprintf(stderr, "sipdialog uas: out of memory\n");
			sipd_auth_server_destroy(u.auth);
			sipd_runtime_destroy(u.rt);
			return 1;
		}
	}
	static const struct sipd_dialogs_callbacks dcb = {.size = sizeof dcb,
	                                                  .state = on_dialog_state};
	struct sipd_dialogs_config dc = {.size = sizeof dc, .cb = &dcb, .user = &u,
	                                 .random = table_random};
	u.dialogs = sipd_dialogs_create(&dc);
	u.env = (struct sipd_session_env){.size = sizeof u.env,
	                                  .stack = sipd_runtime_stack(u.rt),
	                                  .dialogs = u.dialogs};
	if (!u.dialogs) {
		fprintf(stderr, "sipdialog uas: out of memory\n");
		sipd_runtime_destroy(u.rt);
		return 1;
	}
	if (u.accept_refer) {
		struct transfers_config tc = {.rt = u.rt, .env = &u.env, .hangup_ms = u.hangup_ms,
		                              .ended = transfer_ended, .arg = &u};
		if (!(u.transfers = transfers_create(&tc))) {
			fprintf(stderr, "sipdialog uas: out of memory\n");
			sipd_runtime_destroy(u.rt);
			return 1;
		}
	}
	if (u.notify_events || u.accept_refer) {
		static const struct sipd_subscription_callbacks scb = {.size = sizeof scb,
		                                                       .state = on_sub_state,
		                                                       .subscribe = on_subscribe,
		                                                       .refer = on_refer};
		char contact[160];
		tools_local_uri(u.rt, "uas", 0, contact, sizeof contact);
		struct sipd_subscriptions_config sc = {.size = sizeof sc,
		                                       .stack = sipd_runtime_stack(u.rt),
		                                       .dialogs = u.dialogs,
		                                       .local_contact = {contact, strlen(contact)},
		                                       .events = u.notify_events,
		                                       .cb = &scb,
		                                       .arg = &u};
		u.subs = sipd_subscriptions_create(&sc);
		if (!u.subs) {
			fprintf(stderr, "sipdialog uas: out of memory\n");
			sipd_runtime_destroy(u.rt);
			return 1;
		}
	}
	tools_print_listeners(u.rt, nlisten);
	uv_timer_init(sipd_runtime_loop(u.rt), &u.stats);
	u.stats.data = &u;
	uv_timer_init(sipd_runtime_loop(u.rt), &u.grace);
	uv_check_init(sipd_runtime_loop(u.rt), &u.reaper);
	u.reaper.data = &u;
	u.grace.data = &u;
	if (u.out.stats_interval)
		uv_timer_start(&u.stats, stats_tick, u.out.stats_interval * 1000ull,
		               u.out.stats_interval * 1000ull);
	uv_signal_t sigint, sigterm;
	uv_signal_init(sipd_runtime_loop(u.rt), &sigint);
	uv_signal_init(sipd_runtime_loop(u.rt), &sigterm);
	sigint.data = sigterm.data = &u;
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	sipd_runtime_run(u.rt);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&u.stats, NULL);
	uv_close((uv_handle_t *)&u.grace, NULL);
	print_counters(&u, "summary");
	tool_ladder_print(&u.out.tr, stdout);
	/* calls still open (stopped twice) are freed without more signalling;
	 * their transactions end with the runtime */
	u.ended_calls = NULL; /* freed below with the rest */
	uv_close((uv_handle_t *)&u.reaper, NULL);
	while (u.open)
		call_free(u.open);
	transfers_destroy(u.transfers);
	uv_run(sipd_runtime_loop(u.rt), UV_RUN_NOWAIT);
	if (u.registrar) {
		struct sipd_registrar_stats rs;
		sipd_registrar_stats(u.registrar, &rs);
		fprintf(stderr, "registrar: REGISTERs %llu, 200 %llu, 401 %llu, refused %llu, bindings %u\n",
		        (unsigned long long)rs.requests, (unsigned long long)rs.ok,
		        (unsigned long long)rs.challenged, (unsigned long long)rs.refused, rs.bindings);
	}
	sipd_registrar_destroy(u.registrar); /* before the stack, which has its timers */
	sipd_runtime_destroy(u.rt);
	sipd_subscriptions_destroy(u.subs); /* after the stack (subscription.h) */
	sipd_dialogs_destroy(u.dialogs);
	sipd_auth_server_destroy(u.auth);
	for (size_t i = 0; i < MAX_LISTEN; i++)
		free(u.listener_sdp[i]);
	return 0;
}
