/* A back-to-back user agent on include/sipdialog/app.h: every incoming call
 * is bridged to one target (two INVITE sessions, b2bua.h): provisionals,
 * answer, re-INVITEs, INFO and BYE are relayed between the legs.
 *
 * Usage: b2bua TARGET-URI [LISTEN [CALLS]]   LISTEN: udp:127.0.0.1:5070 by
 * default (port 0: any free port); after CALLS calls have ended (0: never),
 * it exits. */
#include <stdio.h>
#include <stdlib.h>

#include <sipdialog/app.h>

static const char *target;
static unsigned calls_left;

static void on_leg_state(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
                         enum sipd_session_state st, enum sipd_session_end why)
{
	(void)arg;
	(void)why;
	static const char *const names[] = {"initial", "early", "wait-ack", "confirmed",
	                                    "terminated"};
	printf("b2bua: call %p: leg %c %s\n", (void *)b, leg == SIPD_B2BUA_A ? 'A' : 'B',
	       names[st]);
}

static void on_ended(void *arg, struct sipd_b2bua *b)
{
	struct sipd_app *app = arg;
	printf("b2bua: call %p over%s\n", (void *)b, b ? "" : " (never bridged)");
	fflush(stdout);
	if (calls_left && --calls_left == 0)
		sipd_app_stop(app);
}

static const struct sipd_b2bua_callbacks bridge_cb = {
	.size = sizeof bridge_cb, .leg_state = on_leg_state, .ended = on_ended};

static void on_invite(void *user, struct sipd_app *app, struct sipd_incoming *in)
{
	(void)user;
	printf("b2bua: INVITE from %.*s\n", (int)sipd_incoming_request(in)->from.uri.raw.len,
	       sipd_incoming_request(in)->from.uri.raw.p);
	struct sipd_app_b2bua_opts o = {.size = sizeof o, .cb = &bridge_cb, .arg = app};
	int rc = sipd_app_create_b2bua(app, in, target, &o);
	if (rc)
		printf("b2bua: cannot bridge: %s\n", sipd_strerror(rc));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: b2bua TARGET-URI [LISTEN [CALLS]]\n");
		return 2;
	}
	target = argv[1];
	const char *listen = argc > 2 ? argv[2] : "udp:127.0.0.1:5070";
	calls_left = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
	static const struct sipd_app_callbacks cb = {.size = sizeof cb, .invite = on_invite};
	struct sipd_app_config cfg = {
		.size = sizeof cfg, .listen = &listen, .nlisten = 1, .cb = &cb};
	struct sipd_app *app;
	char err[256];
	if (sipd_app_create(&cfg, &app, err, sizeof err)) {
		fprintf(stderr, "b2bua: %s\n", err);
		return 1;
	}
	const struct sipd_local *l = sipd_runtime_local(sipd_app_runtime(app), 0);
	char ip[64];
	int n = sipd_addr_format(&l->addr, ip, sizeof ip);
	printf("listening on %.*s port %u\n", n > 0 ? n : 0, ip, (unsigned)l->addr.port);
	fflush(stdout);
	sipd_app_run(app);
	struct sipd_app_stats st;
	sipd_app_stats(app, &st);
	printf("b2bua: calls %llu, answered %llu, failed %llu\n",
	       (unsigned long long)st.calls_total, (unsigned long long)st.calls_answered,
	       (unsigned long long)st.calls_failed);
	sipd_app_destroy(app);
	return 0;
}
