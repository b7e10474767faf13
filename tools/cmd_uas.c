/* sipdialog uas: answers requests on the listeners given. Until the session
 * layer lands, INVITE is rejected with --reject (default 480), MESSAGE and
 * INFO are accepted with 200, OPTIONS gets the core's 200, and the rest the
 * core's answers (405, 481...). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <sipdialog/runtime.h>

#include "commands.h"

#define MAX_LISTEN 16

struct uas {
	struct sipd_runtime *rt;
	unsigned reject;
	bool trace;
	uint64_t requests;
};

static void uas_usage(FILE *f)
{
	fputs("usage: sipdialog uas --listen SPEC [--listen SPEC]... [--reject CODE] [--trace]\n"
	      "\n"
	      "  --listen SPEC   udp:HOST:PORT or tcp:HOST:PORT (IPv6 in brackets)\n"
	      "  --reject CODE   final response to INVITE, 300-699 (default 480)\n"
	      "  --trace         print every request received\n",
	      f);
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	(void)from;
	struct uas *u = user;
	u->requests++;
	if (u->trace)
		fprintf(stderr, "<- %.*s %.*s\n", (int)req->method_name.len, req->method_name.p,
		        (int)req->ruri.raw.len, req->ruri.raw.p);
	if (!tx)
		return 0; /* ACK */
	uint64_t now = sipd_runtime_now(u->rt);
	struct sipd_response r = {.size = sizeof r};
	char tag[12];
	sipd_stack_random_token(sipd_runtime_stack(u->rt), tag, sizeof tag);
	r.to_tag = (struct sipd_str){tag, sizeof tag};
	switch (req->method) {
	case SIPD_METHOD_INVITE:
		r.code = u->reject;
		break;
	case SIPD_METHOD_MESSAGE:
	case SIPD_METHOD_INFO:
		if (req->to.tag.len)
			return -1; /* no dialogs yet: 481 */
		r.code = 200;
		break;
	default:
		return -1; /* the core's answer */
	}
	sipd_txn_respond(tx, &r, now);
	return 0;
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	struct uas *u = s->data;
	sipd_runtime_stop(u->rt);
}

int cmd_uas(int argc, char **argv)
{
	const char *listen[MAX_LISTEN];
	size_t nlisten = 0;
	struct uas u = {.reject = 480};
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
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb, .request = on_request};
	struct sipd_runtime_config rc = {
		.size = sizeof rc,
		.listen = listen,
		.nlisten = nlisten,
		.stack = {.size = sizeof rc.stack,
		          .allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO",
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
	for (size_t i = 0; i < nlisten; i++) {
		const struct sipd_local *l = sipd_runtime_local(u.rt, i);
		char ip[64];
		int n = sipd_addr_format(&l->addr, ip, sizeof ip);
		fprintf(stderr, "listening on %s:%s%.*s%s:%u\n", l->transport == SIPD_TP_UDP ? "udp" : "tcp",
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
	fprintf(stderr, "requests: %llu\n", (unsigned long long)u.requests);
	sipd_runtime_destroy(u.rt);
	return 0;
}
