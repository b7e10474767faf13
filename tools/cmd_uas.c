/* sipdialog uas: answers calls on the listeners given. An INVITE gets 180 and
 * 200 with a built-in SDP answer (or --reject CODE), the dialog lives until
 * BYE, and requests within it follow RFC 3261 §12.2.2 (500 out of order, 481
 * for no dialog). MESSAGE, INFO, UPDATE and OPTIONS are answered 200. The
 * offer/answer of re-INVITE and UPDATE is not negotiated yet: a re-INVITE,
 * and an UPDATE with a body, get the same built-in SDP back. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <sipdialog/dialog.h>
#include <sipdialog/runtime.h>

#include "commands.h"

#define MAX_LISTEN 16

struct uas {
	struct sipd_runtime *rt;
	struct sipd_dialogs *dialogs;
	unsigned reject;
	bool trace;
	uint64_t requests, calls, answered, ended, ack_timeouts;
	struct call *open;
};

/* One call: its dialog, the INVITE transaction whose 2xx awaits its ACK, and
 * where the INVITE came from (for a BYE of ours). */
struct call {
	struct call *prev, *next; /* every call open, to free them at exit */
	struct uas *u;
	struct sipd_dialog *d;
	struct sipd_txn *inv;
	struct sipd_flow flow;
};

static void uas_usage(FILE *f)
{
	fputs("usage: sipdialog uas --listen SPEC [--listen SPEC]... [--reject CODE] [--trace]\n"
	      "                     [--tls-cert FILE --tls-key FILE]\n"
	      "\n"
	      "  --listen SPEC   udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT (IPv6 in brackets)\n"
	      "  --reject CODE   answer INVITE with this final response, 300-699, instead of\n"
	      "                  180 then 200\n"
	      "  --trace         print every request received\n",
	      f);
}

static void call_free(struct call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->u->open = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->inv)
		sipd_txn_set_user(c->inv, NULL);
	sipd_dialog_free(c->d);
	free(c);
}

/* Our Contact and the SDP answer use the address of the listener the
 * request came in on. */
static int local_uri(struct uas *u, const struct sipd_flow *f, char *out, size_t cap)
{
	const struct sipd_local *l = sipd_runtime_local(u->rt, f->local);
	char ip[64];
	int n = sipd_addr_format(&l->addr, ip, sizeof ip);
	if (n < 0)
		return n;
	const char *tp = l->transport == SIPD_TP_TCP ? ";transport=tcp" : "";
	bool v6 = l->addr.family == 6;
	if (l->transport == SIPD_TP_TLS)
		return snprintf(out, cap, "sips:uas@%s%.*s%s:%u", v6 ? "[" : "", n, ip, v6 ? "]" : "",
		                l->addr.port);
	return snprintf(out, cap, "sip:uas@%s%.*s%s:%u%s", v6 ? "[" : "", n, ip, v6 ? "]" : "",
	                l->addr.port, tp);
}

static int sdp_answer(struct uas *u, const struct sipd_flow *f, char *out, size_t cap)
{
	const struct sipd_local *l = sipd_runtime_local(u->rt, f->local);
	char ip[64];
	int n = sipd_addr_format(&l->addr, ip, sizeof ip);
	const char *fam = l->addr.family == 6 ? "IP6" : "IP4";
	return snprintf(out, cap,
	                "v=0\r\no=sipdialog 1 1 IN %s %.*s\r\ns=-\r\nc=IN %s %.*s\r\nt=0 0\r\n"
	                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
	                fam, n, ip, fam, n, ip);
}

static void answer(struct uas *u, struct sipd_txn *tx, unsigned code, struct sipd_str tag,
                   const char *contact, const char *sdp, bool reliable_2xx)
{
	char hdrs[512];
	snprintf(hdrs, sizeof hdrs, "Contact: <%s>\r\n", contact);
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .to_tag = tag,
	                          .headers = {hdrs, strlen(hdrs)},
	                          .content_type = sdp ? "application/sdp" : NULL,
	                          .body = {sdp, sdp ? strlen(sdp) : 0},
	                          .retransmit_2xx = reliable_2xx};
	sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
}

static int new_call(struct uas *u, struct sipd_txn *tx, const struct sipd_msg *req,
                    const struct sipd_flow *from)
{
	char tag[12];
	sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
	struct sipd_str totag = {tag, sizeof tag};
	u->calls++;
	if (u->reject) {
		struct sipd_response r = {.size = sizeof r, .code = u->reject, .to_tag = totag};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		return 0;
	}
	char contact[128], sdp[512];
	local_uri(u, from, contact, sizeof contact);
	sdp_answer(u, from, sdp, sizeof sdp);
	struct sipd_dialog_opts o = {.size = sizeof o,
	                             .local_contact = {contact, strlen(contact)},
	                             .tls = from->transport == SIPD_TP_TLS};
	struct call *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	int rc = sipd_dialog_create_uas(u->dialogs, req, totag, &o, &c->d);
	if (rc) {
		free(c);
		/* §8.1.1.8, §12.1.1: no usable Contact */
		struct sipd_response r = {.size = sizeof r, .code = 400,
		                          .reason = "Missing or bad Contact", .to_tag = totag};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		return 0;
	}
	c->inv = tx;
	c->flow = *from;
	c->u = u;
	c->next = u->open;
	if (u->open)
		u->open->prev = c;
	u->open = c;
	sipd_dialog_set_user(c->d, c);
	sipd_txn_set_user(tx, c);
	answer(u, tx, 180, totag, contact, NULL, false);
	answer(u, tx, 200, totag, contact, sdp, true);
	sipd_dialog_confirm(c->d);
	u->answered++;
	return 0;
}

static int in_dialog(struct uas *u, struct sipd_txn *tx, const struct sipd_msg *req,
                     const struct sipd_flow *from)
{
	struct sipd_dialog *d = sipd_dialogs_match_request(u->dialogs, req);
	if (!d)
		return -1; /* the core answers 481 (§12.2.2), and drops an ACK */
	struct call *c = sipd_dialog_user(d);
	if (req->method == SIPD_METHOD_ACK) {
		if (c->inv)
			sipd_txn_acked(c->inv);
		return 0;
	}
	unsigned code = sipd_dialog_check_request(d, req);
	if (code) {
		struct sipd_response r = {.size = sizeof r, .code = code};
		if (code == 500)
			r.reason = "Request out of order";
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		return 0;
	}
	sipd_dialog_take_request(d, req);
	char contact[128], sdp[512];
	local_uri(u, from, contact, sizeof contact);
	switch (req->method) {
	case SIPD_METHOD_BYE: {
		struct sipd_response r = {.size = sizeof r, .code = 200};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		sipd_dialog_terminate(d, SIPD_END_REMOTE_BYE);
		u->ended++;
		call_free(c);
		return 0;
	}
	case SIPD_METHOD_INVITE:
		/* re-INVITE: refresh the target, answer with our SDP (§14.2) */
		sdp_answer(u, from, sdp, sizeof sdp);
		sipd_dialog_refresh_target(d, req);
		if (c->inv)
			sipd_txn_set_user(c->inv, NULL);
		c->inv = tx;
		sipd_txn_set_user(tx, c);
		answer(u, tx, 200, SIPD_STR_NULL, contact, sdp, true);
		return 0;
	case SIPD_METHOD_UPDATE:
		/* RFC 3311 §5.2: an offer in the UPDATE gets our answer in the 2xx */
		sdp_answer(u, from, sdp, sizeof sdp);
		sipd_dialog_refresh_target(d, req);
		answer(u, tx, 200, SIPD_STR_NULL, contact, req->body.len ? sdp : NULL, false);
		return 0;
	default: {
		struct sipd_response r = {.size = sizeof r, .code = 200};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		return 0;
	}
	}
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct uas *u = user;
	u->requests++;
	if (u->trace)
		fprintf(stderr, "<- %.*s %.*s\n", (int)req->method_name.len, req->method_name.p,
		        (int)req->ruri.raw.len, req->ruri.raw.p);
	if (req->to.tag.len || req->method == SIPD_METHOD_ACK)
		return in_dialog(u, tx, req, from);
	switch (req->method) {
	case SIPD_METHOD_INVITE:
		return new_call(u, tx, req, from);
	case SIPD_METHOD_MESSAGE:
	case SIPD_METHOD_INFO: {
		char tag[12];
		sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
		struct sipd_response r = {.size = sizeof r, .code = 200, .to_tag = {tag, sizeof tag}};
		sipd_txn_respond(tx, &r, sipd_runtime_now(u->rt));
		return 0;
	}
	default:
		return -1; /* the core's answer (200 to OPTIONS, 405...) */
	}
}

static void on_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	(void)cancel;
	struct uas *u = user;
	/* §9.2: the INVITE ends with 487 (this uas answers at once, so a CANCEL
	 * only finds an INVITE still open when the 200 crossed it) */
	struct sipd_response r = {.size = sizeof r, .code = 487};
	sipd_txn_respond(inv, &r, sipd_runtime_now(u->rt));
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct uas *u = user;
	struct call *c = sipd_txn_user(tx);
	if (!c)
		return;
	c->inv = NULL;
	if (!timeout)
		return;
	/* §13.3.1.4: no ACK for our 2xx: end the dialog with BYE */
	u->ack_timeouts++;
	char buf[2048];
	struct sipd_request bye;
	struct sipd_dialog_request br = {.size = sizeof br, .method = {"BYE", 3}};
	if (sipd_dialog_request(c->d, &br, buf, sizeof buf, &bye, NULL) == 0) {
		bye.flow = c->flow;
		bye.flow.conn = 0;
		sipd_stack_request(sipd_runtime_stack(u->rt), &bye, NULL, NULL, sipd_runtime_now(u->rt),
		                   NULL);
	}
	sipd_dialog_terminate(c->d, SIPD_END_TIMEOUT);
	u->ended++;
	call_free(c);
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	struct uas *u = s->data;
	sipd_runtime_stop(u->rt);
}

static void table_random(void *user, void *buf, size_t len)
{
	struct uas *u = user;
	char *p = buf;
	/* the stack's strong source, as tokens: fine for a hash key */
	sipd_stack_random_token(sipd_runtime_stack(u->rt), p, len);
}

int cmd_uas(int argc, char **argv)
{
	const char *listen[MAX_LISTEN];
	size_t nlisten = 0;
	const char *cert = NULL, *key = NULL;
	struct uas u = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
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
		} else if (!strcmp(a, "--trace")) {
			u.trace = true;
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
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb,
	                                               .request = on_request,
	                                               .cancel = on_cancel,
	                                               .server_done = on_server_done};
	struct sipd_runtime_config rc = {
		.size = sizeof rc,
		.listen = listen,
		.nlisten = nlisten,
		.tls_cert = cert,
		.tls_key = key,
		.stack = {.size = sizeof rc.stack,
		          .allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE",
		          .accept = "application/sdp, text/plain, message/sipfrag, application/dtmf-relay",
		          .user_agent = "sipdialog",
		          .cb = &cb,
		          .user = &u},
	};
	char err[256];
	if (sipd_runtime_create(&rc, &u.rt, err, sizeof err)) {
		fprintf(stderr, "sipdialog uas: %s\n", err);
		return 1;
	}
	static const struct sipd_dialogs_callbacks dcb = {.size = sizeof dcb};
	struct sipd_dialogs_config dc = {.size = sizeof dc, .cb = &dcb, .user = &u,
	                                 .random = table_random};
	u.dialogs = sipd_dialogs_create(&dc);
	if (!u.dialogs) {
		fprintf(stderr, "sipdialog uas: out of memory\n");
		sipd_runtime_destroy(u.rt);
		return 1;
	}
	for (size_t i = 0; i < nlisten; i++) {
		const struct sipd_local *l = sipd_runtime_local(u.rt, i);
		char ip[64];
		int n = sipd_addr_format(&l->addr, ip, sizeof ip);
		static const char *const tpn[] = {"", "udp", "tcp", "tls"};
		fprintf(stderr, "listening on %s:%s%.*s%s:%u\n", tpn[l->transport],
		        l->addr.family == 6 ? "[" : "", n, ip, l->addr.family == 6 ? "]" : "",
		        l->addr.port);
	}
	uv_signal_t sigint, sigterm;
	uv_signal_init(sipd_runtime_loop(u.rt), &sigint);
	uv_signal_init(sipd_runtime_loop(u.rt), &sigterm);
	sigint.data = sigterm.data = &u;
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	sipd_runtime_run(u.rt);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	fprintf(stderr, "requests: %llu, calls: %llu, answered: %llu, ended: %llu, open: %zu\n",
	        (unsigned long long)u.requests, (unsigned long long)u.calls,
	        (unsigned long long)u.answered, (unsigned long long)u.ended,
	        sipd_dialogs_count(u.dialogs));
	/* Dialogs still open at exit are freed without a BYE: the stop is local
	 * (the application issue adds BYE on SIGINT/SIGTERM). */
	sipd_runtime_destroy(u.rt); /* no callbacks: the calls' transactions go too */
	while (u.open) {
		u.open->inv = NULL;
		call_free(u.open);
	}
	sipd_dialogs_destroy(u.dialogs);
	return 0;
}
