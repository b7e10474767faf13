/* re_uas: the libre peer of `sipdialog uas` for bench/calls.sh.
 *
 * A UAS on libre's sipsess module over UDP: every INVITE outside a dialog is
 * taken as a new session, answered with 180 then 200 carrying a fixed PCMU
 * SDP answer (the shape of ours), and kept until the caller's BYE, which
 * sipsess answers with 200. The offer is not read, as ours does not read it
 * beyond keeping it. SIGINT or SIGTERM stops the loop; everything is then
 * released, so that callgrind counts the release of what is still held.
 *
 * Usage: re_uas HOST PORT
 *
 * Written for the benchmark from libre's public headers; not part of the
 * library. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* What libre's own build defines on Linux and its installed headers expect
 * of their users (struct sa with IPv6, stdbool, inttypes). */
#define HAVE_INTTYPES_H 1
#define HAVE_STDBOOL_H 1
#define HAVE_INET6 1
#define RELEASE 1
#include <re.h>

/* Buckets of libre's hash tables (client and server transactions, sessions).
 * libre's own examples use 32; a benchmark that holds 100,000 dialogs must
 * not measure list walks, so every table gets room for that many. */
#define TABLE_SIZE 16384

struct uas {
	struct sip *sip;
	struct sipsess_sock *sock;
	unsigned long calls, answered, ended;
};

struct call {
	struct uas *u;
	struct sipsess *sess;
};

static struct uas uas;

static void call_destroy(void *arg)
{
	struct call *c = arg;
	mem_deref(c->sess);
}

/* The session ended (BYE, CANCEL, timeout): the call goes with it. libre
 * calls this last, after its own use of the session. */
static void on_close(int err, const struct sip_msg *msg, void *arg)
{
	(void)err;
	(void)msg;
	struct call *c = arg;
	c->u->ended++;
	mem_deref(c);
}

static void on_established(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	struct call *c = arg;
	c->u->answered++;
}

/* The fixed answer, with the address the INVITE came to. */
static struct mbuf *answer_sdp(const struct sa *local)
{
	struct mbuf *mb = mbuf_alloc(256);
	if (!mb)
		return NULL;
	if (mbuf_printf(mb,
	                "v=0\r\no=re_uas 1 1 IN IP4 %j\r\ns=-\r\nc=IN IP4 %j\r\nt=0 0\r\n"
	                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
	                local, local)) {
		return mem_deref(mb);
	}
	mb->pos = 0;
	return mb;
}

/* A new INVITE: 180, then 200 with the answer. */
static void on_connect(const struct sip_msg *msg, void *arg)
{
	struct uas *u = arg;
	u->calls++;
	struct call *c = mem_zalloc(sizeof *c, call_destroy);
	struct mbuf *sdp = answer_sdp(&msg->dst);
	if (!c || !sdp) {
		(void)sip_treply(NULL, u->sip, msg, 500, "Server Internal Error");
		goto out;
	}
	c->u = u;
	if (sipsess_accept(&c->sess, u->sock, msg, 180, "Ringing", "uas", "application/sdp",
	                   NULL, NULL, NULL, false, NULL, NULL, on_established, NULL, NULL,
	                   on_close, c, "")) {
		(void)sip_treply(NULL, u->sip, msg, 500, "Server Internal Error");
		c = mem_deref(c);
		goto out;
	}
	if (sipsess_answer(c->sess, 200, "OK", sdp, "")) {
		(void)sipsess_reject(c->sess, 500, "Server Internal Error", "");
		c = mem_deref(c);
	}
out:
	mem_deref(sdp);
}

static void on_signal(int sig)
{
	(void)sig;
	re_cancel();
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: re_uas HOST PORT\n");
		return 2;
	}
	struct sa laddr;
	if (sa_set_str(&laddr, argv[1], (uint16_t)atoi(argv[2]))) {
		fprintf(stderr, "re_uas: bad address %s:%s\n", argv[1], argv[2]);
		return 2;
	}
	int err = libre_init();
	if (err) {
		fprintf(stderr, "re_uas: libre_init: %d\n", err);
		return 1;
	}
	struct uas *u = &uas;
	/* no DNS client: every address here is numeric */
	err = sip_alloc(&u->sip, NULL, TABLE_SIZE, TABLE_SIZE, 16, "re_uas", NULL, NULL);
	if (!err)
		err = sip_transp_add(u->sip, SIP_TRANSP_UDP, &laddr);
	if (!err)
		err = sipsess_listen(&u->sock, u->sip, TABLE_SIZE, on_connect, u);
	if (err) {
		fprintf(stderr, "re_uas: cannot listen on udp:%s:%s (%d)\n", argv[1], argv[2], err);
		mem_deref(u->sip);
		libre_close();
		return 1;
	}
	fprintf(stderr, "listening on udp:%s:%s\n", argv[1], argv[2]);
	err = re_main(on_signal);
	fprintf(stderr, "calls: %lu, answered: %lu, ended: %lu\n", u->calls, u->answered, u->ended);
	/* the sessions still held go with their socket, then the transactions */
	sipsess_close_all(u->sock);
	u->sock = mem_deref(u->sock);
	sip_close(u->sip, true);
	u->sip = mem_deref(u->sip);
	libre_close();
	return err ? 1 : 0;
}
