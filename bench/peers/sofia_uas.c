/* sofia_uas: the sofia-sip peer of `sipdialog uas` for bench/calls.sh.
 *
 * A UAS on sofia-sip's nua over UDP: every incoming call (nua_i_invite) is
 * answered with 180 then 200 carrying a fixed PCMU SDP answer (the shape of
 * ours), and kept until the caller's BYE, which nua answers with 200; the
 * handle is destroyed when nua reports the call terminated. nua's own
 * offer/answer engine (soa) is off (NUTAG_MEDIA_ENABLE(0)): the SDP is an
 * opaque body here, as it is for ours and for libre's sipsess. Session
 * timers are off, as SIPp does not ask for them. The stack runs in this
 * thread (su_root_threading(root, 0)). SIGINT or SIGTERM shuts nua down and
 * releases everything, so that callgrind counts the release too.
 *
 * Usage: sofia_uas HOST PORT
 *
 * Written for the benchmark from sofia-sip's public headers; not part of the
 * library. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct uas;
#define NUA_MAGIC_T struct uas
#define NUA_HMAGIC_T void

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>

struct uas {
	su_root_t *root;
	nua_t *nua;
	char sdp[256];
	unsigned long calls, answered, ended;
	int shut_down;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
                     struct uas *u, nua_handle_t *nh, void *hmagic, sip_t const *sip,
                     tagi_t tags[])
{
	(void)phrase;
	(void)nua;
	(void)hmagic;
	(void)sip;
	switch (event) {
	case nua_i_invite:
		/* a new call: its handle is ours from now on */
		u->calls++;
		nua_respond(nh, SIP_180_RINGING, TAG_END());
		nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		            SIPTAG_PAYLOAD_STR(u->sdp), TAG_END());
		break;
	case nua_i_state: {
		int state = nua_callstate_init;
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state == nua_callstate_ready)
			u->answered++;
		else if (state == nua_callstate_terminated) {
			u->ended++;
			nua_handle_destroy(nh);
		}
		break;
	}
	case nua_r_shutdown:
		if (status >= 200)
			u->shut_down = 1;
		break;
	default:
		break;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sofia_uas HOST PORT\n");
		return 2;
	}
	static struct uas uas;
	struct uas *u = &uas;
	char url[128];
	snprintf(url, sizeof url, "sip:%s:%s;transport=udp", argv[1], argv[2]);
	snprintf(u->sdp, sizeof u->sdp,
	         "v=0\r\no=sofia_uas 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
	         "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
	         argv[1], argv[1]);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns on a signal */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	su_init();
	u->root = su_root_create(u);
	if (!u->root) {
		fprintf(stderr, "sofia_uas: su_root_create failed\n");
		return 1;
	}
	su_root_threading(u->root, 0);
	u->nua = nua_create(u->root, on_event, u, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
	                    NUTAG_SESSION_TIMER(0), NUTAG_AUTOANSWER(0), TAG_END());
	if (!u->nua) {
		fprintf(stderr, "sofia_uas: cannot listen on %s\n", url);
		su_root_destroy(u->root);
		su_deinit();
		return 1;
	}
	fprintf(stderr, "listening on udp:%s:%s\n", argv[1], argv[2]);
	while (!stop)
		su_root_step(u->root, 1000);
	fprintf(stderr, "calls: %lu, answered: %lu, ended: %lu\n", u->calls, u->answered, u->ended);
	/* nua ends what it still holds; bounded, in case a peer is gone */
	nua_shutdown(u->nua);
	for (int i = 0; i < 100 && !u->shut_down; i++)
		su_root_step(u->root, 100);
	nua_destroy(u->nua);
	su_root_destroy(u->root);
	su_deinit();
	return 0;
}
