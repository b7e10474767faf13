/* A user agent server on include/sipdialog/app.h: answers every INVITE with
 * 180 then 200 and an audio description, prints what happens in each call,
 * and leaves the defaults to answer the rest (re-INVITEs with our SDP, hold
 * with recvonly, REFER with 603...).
 *
 * Usage: uas [LISTEN [CALLS]]   LISTEN: udp:127.0.0.1:5060 by default (port 0:
 * any free port); after CALLS calls have ended (0: never), it exits. */
#include <stdio.h>
#include <stdlib.h>

#include <sipdialog/app.h>

static const char sdp[] = "v=0\r\n"
			  "o=uas 1 1 IN IP4 127.0.0.1\r\n"
			  "s=-\r\n"
			  "c=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\n"
			  "m=audio 40000 RTP/AVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n";

static unsigned calls_left;

static void on_ack(void *user, struct sipd_call *call, const struct sipd_msg *ack)
{
	(void)user;
	(void)ack;
	printf("uas: call %s from %s confirmed\n", sipd_call_call_id(call),
	       sipd_call_remote_uri(call));
}

static int on_modify(void *user, struct sipd_call *call, struct sipd_txn *tx,
                     const struct sipd_msg *req, struct sipd_str offer)
{
	(void)user;
	(void)tx;
	printf("uas: call %s: %.*s with %s\n", sipd_call_call_id(call), (int)req->method_name.len,
	       req->method_name.p, offer.len ? "an offer" : "no offer");
	return -1; /* the default answer: our SDP, its direction fitted to the offer */
}

static void on_hold(void *user, struct sipd_call *call, const struct sipd_msg *req)
{
	(void)user;
	(void)req;
	printf("uas: call %s: put on hold\n", sipd_call_call_id(call));
}

static void on_unhold(void *user, struct sipd_call *call, const struct sipd_msg *req)
{
	(void)user;
	(void)req;
	printf("uas: call %s: taken off hold\n", sipd_call_call_id(call));
}

static void on_terminated(void *user, struct sipd_call *call, enum sipd_call_end why,
                          const struct sipd_msg *msg)
{
	(void)msg;
	struct sipd_app *app = user;
	printf("uas: call %s ended: %s\n", sipd_call_call_id(call), sipd_call_end_name(why));
	fflush(stdout);
	if (calls_left && --calls_left == 0)
		sipd_app_stop(app);
}

static const struct sipd_call_callbacks call_cb = {
	.size = sizeof call_cb,
	.terminated = on_terminated,
	.ack = on_ack,
	.modify = on_modify,
	.hold = on_hold,
	.unhold = on_unhold,
};

static void on_invite(void *user, struct sipd_app *app, struct sipd_incoming *in)
{
	(void)user;
	struct sipd_uas_opts o = {
		.size = sizeof o, .sdp = sdp, .provisional = 180, .cb = &call_cb, .user = app};
	struct sipd_call *call;
	int rc = sipd_app_create_uas(app, in, &o, &call);
	if (rc)
		printf("uas: INVITE refused: %s\n", sipd_strerror(rc));
}

int main(int argc, char **argv)
{
	const char *listen = argc > 1 ? argv[1] : "udp:127.0.0.1:5060";
	calls_left = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
	static const struct sipd_app_callbacks cb = {.size = sizeof cb, .invite = on_invite};
	struct sipd_app_config cfg = {
		.size = sizeof cfg, .listen = &listen, .nlisten = 1, .cb = &cb};
	struct sipd_app *app;
	char err[256];
	if (sipd_app_create(&cfg, &app, err, sizeof err)) {
		fprintf(stderr, "uas: %s\n", err);
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
	printf("uas: calls %llu, answered %llu, 2xx sent %llu\n",
	       (unsigned long long)st.calls_total, (unsigned long long)st.calls_answered,
	       (unsigned long long)st.responses_sent[2]);
	sipd_app_destroy(app);
	return 0;
}
