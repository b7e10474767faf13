/* A user agent client on include/sipdialog/app.h: places one call, puts it
 * on hold and takes it off again (two re-INVITEs), sends an INFO, hangs up
 * with BYE. Exits 0 when all of that went through.
 *
 * Usage: uac TARGET-URI [LISTEN]   LISTEN: udp:127.0.0.1:0 by default. */
#include <stdio.h>

#include <sipdialog/app.h>

static const char sdp[] = "v=0\r\n"
			  "o=uac 7 1 IN IP4 127.0.0.1\r\n"
			  "s=-\r\n"
			  "c=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\n"
			  "m=audio 50000 RTP/AVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n";

enum step { HOLDING, UNHOLDING, INFO, HANGING_UP };
static enum step step;
static int status = 1; /* 0 once the call went as planned */

static void next(struct sipd_call *call, const struct sipd_msg *resp)
{
	unsigned code = resp ? resp->status : 408;
	printf("uac: step %d answered %u\n", (int)step, code);
	if (code < 200 || code >= 300) {
		sipd_call_destroy(call, NULL);
		return;
	}
	int rc = 0;
	if (++step == UNHOLDING) {
		rc = sipd_call_unhold(call);
	} else if (step == INFO) {
		struct sipd_call_request r = {.size = sizeof r,
		                              .method = "INFO",
		                              .content_type = "application/dtmf-relay",
		                              .body = "Signal=5\r\nDuration=160\r\n"};
		rc = sipd_call_request(call, &r);
	} else {
		status = 0;
		sipd_call_destroy(call, "SIP;cause=200;text=\"Call completed\"");
	}
	if (rc)
		sipd_call_destroy(call, NULL);
}

static void on_provisional(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)user;
	(void)call;
	printf("uac: %u %.*s\n", resp->status, (int)resp->reason.len, resp->reason.p);
}

static void on_answered(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)user;
	(void)resp;
	printf("uac: answered, call %s, remote tag %s\n", sipd_call_call_id(call),
	       sipd_call_remote_tag(call));
	step = HOLDING;
	if (sipd_call_hold(call))
		sipd_call_destroy(call, NULL);
}

static void on_modified(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)user;
	printf("uac: %s\n", sipd_call_held(call) ? "on hold" : "off hold");
	next(call, resp);
}

static void on_response(void *user, struct sipd_call *call, const struct sipd_msg *resp, void *arg)
{
	(void)user;
	(void)arg;
	next(call, resp);
}

static void on_failed(void *user, struct sipd_call *call, const struct sipd_msg *resp)
{
	(void)user;
	(void)call;
	printf("uac: call failed: %u\n", resp ? resp->status : 0);
}

static void on_terminated(void *user, struct sipd_call *call, enum sipd_call_end why,
                          const struct sipd_msg *msg)
{
	(void)call;
	(void)msg;
	printf("uac: call ended: %s\n", sipd_call_end_name(why));
	if (why != SIPD_CALL_END_LOCAL)
		status = 1;
	sipd_app_stop(user);
}

static const struct sipd_call_callbacks call_cb = {
	.size = sizeof call_cb,
	.terminated = on_terminated,
	.provisional = on_provisional,
	.answered = on_answered,
	.failed = on_failed,
	.modified = on_modified,
	.response = on_response,
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: uac TARGET-URI [LISTEN]\n");
		return 2;
	}
	const char *listen = argc > 2 ? argv[2] : "udp:127.0.0.1:0";
	struct sipd_app_config cfg = {.size = sizeof cfg, .listen = &listen, .nlisten = 1};
	struct sipd_app *app;
	char err[256];
	if (sipd_app_create(&cfg, &app, err, sizeof err)) {
		fprintf(stderr, "uac: %s\n", err);
		return 1;
	}
	struct sipd_uac_opts o = {.size = sizeof o, .sdp = sdp, .cb = &call_cb, .user = app};
	struct sipd_call *call;
	int rc = sipd_app_create_uac(app, argv[1], &o, &call);
	if (rc) {
		fprintf(stderr, "uac: cannot call %s: %s\n", argv[1], sipd_strerror(rc));
		sipd_app_destroy(app);
		return 1;
	}
	sipd_app_run(app);
	sipd_app_destroy(app);
	printf("uac: %s\n", status ? "FAILED" : "done");
	return status;
}
