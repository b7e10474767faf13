/* fuzz_stack — the whole sans-IO stack: two stacks, each with a dialog table
 * and INVITE sessions (wired as tests/sim/ wires them), driven by a script
 * the input spells out, so that transaction, dialog and session states get
 * explored together.
 *
 * Node 0 is 10.0.0.1:5060 and node 1 10.0.0.2:5060, UDP and TCP. What a
 * stack sends is queued (at most QUEUE packets, the oldest lost beyond) with
 * a delivery time; nothing arrives unless a step says so. The input is read
 * byte by byte as steps (a missing byte reads 0), at most MAX_STEPS of them:
 *
 *   run       time passes by one of a few spans, packets arrive when due
 *             (some lost by the loss pattern), timers fire
 *   advance   time passes with every packet held up (a long delay)
 *   deliver / drop / dup   one queued packet, picked by index
 *   mutate    a queued packet with a few edits (bytes, cut, a line twice,
 *             a token from a small SIP dictionary inserted) arrives
 *   raw       bytes of the input arrive at a node on one of four flows (from
 *             the peer over UDP or TCP, from a stranger, from another port);
 *             "$c" "$l" "$r" become the Call-ID and the local and remote tags
 *             of the node's latest dialog, "$b" "$q" the branch and CSeq of
 *             the last request it sent
 *   call      a node places a call (offer or late offer, 100rel, session
 *             timers, over UDP or TCP)
 *   the application, on one of a node's sessions: 1xx/2xx/reject, BYE,
 *             CANCEL, re-INVITE or UPDATE, INFO/MESSAGE/OPTIONS/REFER...,
 *             an answer to a request it held, Replaces, free
 *   policy    how a node answers new INVITEs by itself (ring and answer,
 *             answer, 183 with the answer, reject, nothing) and which
 *             requests in a session it holds for the script to answer
 *   loss / conn lost
 *
 * At the end every session is freed (new INVITEs get 480 from then on),
 * then time runs on (no loss) until the transactions are over; then both
 * stacks must have no transaction and both tables no dialog left, and
 * everything is freed (LeakSanitizer checks the rest). Two things RFC 3261
 * leaves to a patient peer and application are done first, so that fuzzing
 * goes on past the bugs they hide (regressions/open/fuzz_stack/): every
 * INVITE a node sent is finally answered 500 by its peer (peers_answer), and
 * an INVITE no session owns any more is answered 487 when its CANCEL comes.
 * FZ_STRICT_END=1 turns both off. Checked on the way: the return codes the
 * headers document, session states that only move forward and are reported
 * once, the getter agreeing with the last state reported, responses in the
 * callbacks in range, nothing sent while the stacks are destroyed, and no
 * timer that keeps firing without time moving. FZ_TRACE=1 prints each step,
 * packet and session state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/dialog.h>
#include <sipdialog/session.h>
#include <sipdialog/stack.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 128
#define QUEUE 32
#define MAX_SESS 6
#define MAX_HELD 8
#define MAX_RAW 4096
#define RUN_ITERS 512
#define T_START 1000000u
#define KEEP_INVITES 32

#define ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE, REFER, PRACK, NOTIFY"
#define SDP(o, ip, port, attr)                                                                     \
	"v=0\r\no=" o " 1 1 IN IP4 " ip "\r\ns=-\r\nc=IN IP4 " ip "\r\nt=0 0\r\nm=audio " port     \
	" RTP/AVP 0\r\n" attr
static const char *const bodies[4] = {
	SDP("a", "10.0.0.1", "5000", ""),
	SDP("b", "10.0.0.2", "4000", ""),
	SDP("a", "10.0.0.1", "5000", "a=sendonly\r\n"),
	SDP("b", "10.0.0.2", "4000", "a=inactive\r\n"),
};

/* ---------------------------------------------------------------- the world */

struct pkt {
	int to;
	uint64_t at, seq;
	struct sipd_flow flow; /* as the receiver sees it */
	char *data;
	size_t len;
};

struct sess {
	struct sipd_session *s;
	int last;   /* the last state reported, -1 none */
	bool ended; /* TERMINATED was reported */
	struct sipd_txn *held[MAX_HELD];
	int nheld;
};

struct node {
	int idx;
	struct sipd_stack *st;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	struct sipd_local locals[2];
	struct sess sess[MAX_SESS];
	uint8_t policy;     /* how new INVITEs are answered (see on_invite) */
	uint16_t hold_mask; /* methods held for the script, by bit */
	uint8_t rel;        /* the UAS's 100rel policy */
	uint8_t timer;      /* 0: no session timer, else a config below */
	bool late_answer;   /* answer a late offer (UAC) */
	char last_branch[64], last_cseq[64];
	unsigned calls;
	/* the last INVITEs it sent (and where), for the peer that finally
	 * answers at the end */
	struct {
		char *data;
		size_t len;
		uint8_t transport;
		uint64_t conn;
	} invites[KEEP_INVITES];
	unsigned ninvites;
};

static struct world {
	uint64_t now, seq, rng;
	struct node n[2];
	struct pkt q[QUEUE];
	int nq;
	uint32_t latency;
	uint8_t loss; /* bit k: packets with seq % 8 == k are lost in `run` */
	bool closing; /* the sessions are freed: new INVITEs get 480 */
	bool dying;   /* in sipd_stack_destroy(): nothing may start */
	bool trace;   /* FZ_TRACE set: every packet and state to stderr */
	bool strict;  /* FZ_STRICT_END set: no rescue at the end (see peers_answer) */
} W;

/* The first line of a message, for the trace. */
static int line_len(const char *data, size_t len)
{
	size_t l = 0;
	while (l < len && l < 80 && data[l] != '\r' && data[l] != '\n')
		l++;
	return (int)l;
}

static const struct sipd_st_config timers[3] = {
	{.size = sizeof(struct sipd_st_config), .session_expires = 90, .min_se = 90},
	{.size = sizeof(struct sipd_st_config),
         .session_expires = 90,
         .min_se = 90,
         .refresher = SIPD_ST_PREFER_REMOTE},
	{.size = sizeof(struct sipd_st_config),
         .session_expires = 120,
         .min_se = 100,
         .refresher = SIPD_ST_PREFER_LOCAL,
         .insist = true},
};

static const struct sipd_st_config *timer_of(uint8_t t)
{
	return t ? &timers[(t - 1) % 3] : NULL;
}

static uint64_t rng_next(void)
{
	uint64_t x = W.rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	W.rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void fz_random(void *user, void *buf, size_t len)
{
	(void)user;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(rng_next() >> 40);
}

static struct sipd_addr addr_of(int i)
{
	struct sipd_addr a = {.family = 4, .port = 5060};
	a.ip[0] = 10;
	a.ip[3] = (uint8_t)(i + 1);
	return a;
}

static int node_at(const struct sipd_addr *a)
{
	for (int i = 0; i < 2; i++) {
		struct sipd_addr b = addr_of(i);
		if (sipd_addr_equal(a, &b))
			return i;
	}
	return -1;
}

/* ---------------------------------------------------------------- the network */

static void pkt_free(int i)
{
	free(W.q[i].data);
	memmove(&W.q[i], &W.q[i + 1], (size_t)(W.nq - i - 1) * sizeof W.q[0]);
	W.nq--;
}

/* Copies the text after `key` in a request (up to one of `stop`) into out. */
static void grab(const char *data, size_t len, const char *key, const char *stop, char *out,
                 size_t cap)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl <= len; i++) {
		if (memcmp(data + i, key, kl) != 0)
			continue;
		size_t j = i + kl, o = 0;
		while (j < len && data[j] == ' ')
			j++;
		while (j < len && !strchr(stop, data[j]) && o + 1 < cap)
			out[o++] = data[j++];
		out[o] = '\0';
		return;
	}
}

/* The branch and CSeq of the last request a node sent, for "$b" and "$q". */
static void remember_request(struct node *n, const char *data, size_t len)
{
	if (len < 8 || memcmp(data, "SIP/2.0 ", 8) == 0)
		return;
	grab(data, len, "branch=", ";,\r\n ", n->last_branch, sizeof n->last_branch);
	grab(data, len, "\nCSeq:", "\r\n", n->last_cseq, sizeof n->last_cseq);
}

static int on_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	struct node *n = user;
	FZ_CHECK(!W.dying); /* "in those callbacks nothing is sent" */
	FZ_CHECK(data != NULL && len > 0);
	FZ_CHECK(flow->transport == SIPD_TP_UDP || flow->transport == SIPD_TP_TCP);
	remember_request(n, data, len);
	int to = node_at(&flow->remote);
	if (W.trace)
		fprintf(stderr, "[%8llu] %d sends to %d: %.*s\n", (unsigned long long)W.now, n->idx,
		        to, line_len(data, len), data);
	if (to < 0)
		return 0; /* nobody there: lost */
	if (flow->transport != SIPD_TP_UDP && flow->conn == 0)
		flow->conn = (uint64_t)(n->idx + 1) * 100 + (uint64_t)to + 1;
	bool again = false; /* a retransmission: the same bytes */
	for (unsigned k = 0; k < KEEP_INVITES && !again; k++)
		again = n->invites[k].len == len && memcmp(n->invites[k].data, data, len) == 0;
	if (!again && data[0] == 'I' && len > 7 && memcmp(data, "INVITE ", 7) == 0) {
		unsigned k = n->ninvites++ % KEEP_INVITES;
		free(n->invites[k].data);
		n->invites[k].data = fz_dup(data, len);
		n->invites[k].len = len;
		n->invites[k].transport = flow->transport;
		n->invites[k].conn = flow->conn;
	}
	if (W.nq == QUEUE)
		pkt_free(0);
	struct pkt *p = &W.q[W.nq++];
	p->to = to;
	p->at = W.now + W.latency;
	p->seq = W.seq++;
	p->flow = (struct sipd_flow){.transport = flow->transport,
	                             .local = flow->transport == SIPD_TP_UDP ? 0 : 1,
	                             .conn = flow->transport == SIPD_TP_UDP ? 0 : flow->conn,
	                             .remote = addr_of(n->idx)};
	p->data = fz_dup(data, len);
	p->len = len;
	return 0;
}

static void deliver(int to, const struct sipd_flow *flow, const char *data, size_t len)
{
	if (W.trace)
		fprintf(stderr, "[%8llu] -> %d %s %.*s\n", (unsigned long long)W.now, to,
		        flow->transport == SIPD_TP_UDP ? "udp" : "tcp", line_len(data, len), data);
	/* a heap copy of exactly the bytes: reads past them are reported */
	char *copy = fz_dup(data, len);
	int rc = sipd_stack_recv(W.n[to].st, flow, copy, len, W.now);
	FZ_CHECK(rc <= 0 && rc >= SIPD_ESTATE);
	free(copy);
}

static void deliver_pkt(int i, bool keep)
{
	struct pkt p = W.q[i];
	p.data = fz_dup(W.q[i].data, W.q[i].len);
	if (!keep)
		pkt_free(i);
	deliver(p.to, &p.flow, p.data, p.len);
	free(p.data);
}

static void run_timers(void)
{
	for (int i = 0; i < 2; i++) {
		unsigned k = 0;
		while (sipd_stack_next_deadline(W.n[i].st) <= W.now) {
			sipd_stack_advance(W.n[i].st, W.now);
			/* timers are armed in the future: a few rounds at most */
			FZ_CHECK(++k < 1000);
		}
	}
}

/* Time passes until `until`; with `arrive`, packets due arrive (less those the
 * loss pattern takes). Bounded: each iteration moves time or uses a packet. */
static void run(uint64_t until, bool arrive)
{
	for (unsigned it = 0; it < RUN_ITERS; it++) {
		uint64_t t = UINT64_MAX;
		int best = -1;
		if (arrive)
			for (int i = 0; i < W.nq; i++)
				if (best < 0 || W.q[i].at < W.q[best].at)
					best = i;
		if (best >= 0)
			t = W.q[best].at;
		for (int i = 0; i < 2; i++) {
			uint64_t d = sipd_stack_next_deadline(W.n[i].st);
			if (d < t)
				t = d;
		}
		if (t > until)
			break;
		if (t > W.now)
			W.now = t;
		if (best >= 0 && W.q[best].at <= W.now) {
			if ((W.loss >> (W.q[best].seq % 8)) & 1)
				pkt_free(best);
			else
				deliver_pkt(best, false);
		}
		run_timers();
	}
	if (until > W.now && until != UINT64_MAX)
		W.now = until;
	run_timers();
}

/* ---------------------------------------------------------------- sessions */

static struct sess *sess_of(struct node *n, const struct sipd_session *s)
{
	for (int i = 0; i < MAX_SESS; i++)
		if (n->sess[i].s == s && s)
			return &n->sess[i];
	return NULL;
}

static struct sess *free_slot(struct node *n)
{
	for (int i = 0; i < MAX_SESS; i++)
		if (!n->sess[i].s)
			return &n->sess[i];
	return NULL;
}

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	(void)msg;
	struct node *n = arg;
	struct sess *x = sess_of(n, s);
	FZ_CHECK(st <= SIPD_SESSION_TERMINATED && why <= SIPD_SESSION_END_REPLACED);
	FZ_CHECK(st == SIPD_SESSION_TERMINATED || why == SIPD_SESSION_END_NONE);
	if (W.trace)
		fprintf(stderr, "[%8llu] node %d session %p: state %d (end %d)\n",
		        (unsigned long long)W.now, n->idx, (void *)s, (int)st, (int)why);
	if (!x)
		return; /* sipd_session_uas() reports before it hands the session back */
	/* "called once per state", and states only move forward */
	FZ_CHECK(!x->ended);
	FZ_CHECK((int)st > x->last);
	x->last = (int)st;
	if (st == SIPD_SESSION_TERMINATED)
		x->ended = true;
}

static int on_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                      const struct sipd_msg *req)
{
	struct node *n = arg;
	struct sess *x = sess_of(n, s);
	FZ_CHECK(req && req->is_request && tx);
	if (!x || !((n->hold_mask >> req->method) & 1) || x->nheld == MAX_HELD)
		return -1; /* the session's default answer */
	x->held[x->nheld++] = tx;
	return 0;
}

static void on_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)arg;
	(void)s;
	if (resp)
		FZ_CHECK(!resp->is_request && resp->status >= 200 && resp->status <= 699);
}

static struct sipd_str on_answer(void *arg, struct sipd_session *s, struct sipd_str offer)
{
	(void)s;
	(void)offer;
	struct node *n = arg;
	const char *b = n->late_answer ? bodies[n->idx] : "";
	return (struct sipd_str){b, strlen(b)};
}

static void on_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)arg;
	(void)s;
	if (resp)
		FZ_CHECK(!resp->is_request && resp->status >= 200 && resp->status <= 699);
}

static void on_provisional(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	(void)arg;
	(void)s;
	FZ_CHECK(resp && !resp->is_request && resp->status > 100 && resp->status < 200);
}

static const struct sipd_session_callbacks session_cb = {.size = sizeof session_cb,
                                                         .state = on_state,
                                                         .request = on_request,
                                                         .modified = on_modified,
                                                         .answer = on_answer,
                                                         .response = on_response,
                                                         .provisional = on_provisional};

static struct sipd_session_opts opts_of(struct node *n, uint8_t rel, uint8_t timer)
{
	static const char *const contacts[2] = {"sip:a@10.0.0.1", "sip:b@10.0.0.2"};
	return (struct sipd_session_opts){
		.size = sizeof(struct sipd_session_opts),
		.dialog = {.size = sizeof(struct sipd_dialog_opts),
	                   .local_contact = {contacts[n->idx], strlen(contacts[n->idx])}},
		.cb = &session_cb,
		.arg = n,
		.rel_policy = rel & 3,
		.timer = timer_of(timer),
		.no_glare_retry = (rel & 4) != 0};
}

static void check_rc(int rc)
{
	/* every function documents 0 or one of the negative codes */
	FZ_CHECK(rc <= 0 && rc >= SIPD_ESTATE);
}

static struct sipd_str body_of(unsigned b)
{
	if (b % 5 == 4)
		return SIPD_STR_NULL;
	return (struct sipd_str){bodies[b % 5], strlen(bodies[b % 5])};
}

/* A new INVITE (no To tag) at node n: a session, answered by the policy. */
static void on_invite(struct node *n, struct sipd_txn *tx, const struct sipd_flow *from)
{
	struct sipd_session *old = NULL;
	unsigned rs = sipd_sessions_replaces(&n->env, tx, &old);
	if (rs) {
		FZ_CHECK(rs == 400 || rs == 481 || rs == 486 || rs == 603);
		struct sipd_response r = {.size = sizeof r, .code = rs, .to_tag = {"rp", 2}};
		check_rc(sipd_txn_respond(tx, &r, W.now));
		return;
	}
	struct sess *x = free_slot(n);
	if (!x || W.closing) {
		struct sipd_response r = {
			.size = sizeof r, .code = W.closing ? 480 : 486, .to_tag = {"busy", 4}};
		check_rc(sipd_txn_respond(tx, &r, W.now));
		return;
	}
	struct sipd_session_opts o = opts_of(n, n->rel, n->timer);
	struct sipd_session *s = NULL;
	int rc = sipd_session_uas(&n->env, tx, from, &o, W.now, &s);
	FZ_CHECK(rc == 0 || rc == SIPD_EINVAL || rc == SIPD_EPARSE || rc == SIPD_ENOMEM ||
	         rc == SIPD_ELIMIT || rc == SIPD_ESTATE);
	if (rc) {
		FZ_CHECK(s == NULL);
		if (rc == SIPD_EINVAL) {
			/* "nothing sent, the caller answers", or 420/421/422 sent */
			struct sipd_response r = {
				.size = sizeof r, .code = 400, .to_tag = {"x", 1}};
			check_rc(sipd_txn_respond(tx, &r, W.now));
		}
		return;
	}
	FZ_CHECK(s != NULL);
	*x = (struct sess){.s = s, .last = (int)sipd_session_state(s)};
	if (old) {
		check_rc(sipd_session_accept(s, body_of(1), W.now));
		check_rc(sipd_session_replace(old, W.now));
		return;
	}
	switch (n->policy % 6) {
	case 0: /* ring, then answer */
		check_rc(sipd_session_progress(s, 180, SIPD_STR_NULL, W.now));
		check_rc(sipd_session_accept(s, body_of(n->idx), W.now));
		break;
	case 1: /* answer at once */
		check_rc(sipd_session_accept(s, body_of(n->idx), W.now));
		break;
	case 2: /* early media, then answer (the 2xx may wait for a PRACK) */
		check_rc(sipd_session_progress(s, 183, body_of(n->idx), W.now));
		check_rc(sipd_session_accept(s, SIPD_STR_NULL, W.now));
		break;
	case 3: check_rc(sipd_session_reject(s, 486, NULL, W.now)); break;
	case 4: /* ring only */
		check_rc(sipd_session_progress(s, 180, SIPD_STR_NULL, W.now));
		break;
	default: /* the script answers */ break;
	}
}

static int on_stack_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                            const struct sipd_flow *from)
{
	struct node *n = user;
	FZ_CHECK(!W.dying);
	FZ_CHECK(req && req->is_request && from);
	FZ_CHECK((tx == NULL) == (req->method == SIPD_METHOD_ACK));
	if (req->to.tag.len || req->method == SIPD_METHOD_ACK)
		return sipd_sessions_request(&n->env, tx, req, from);
	if (req->method != SIPD_METHOD_INVITE)
		return -1; /* the core answers (OPTIONS 200, others 405...) */
	on_invite(n, tx, from);
	return 0;
}

static void on_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	(void)cancel;
	FZ_CHECK(!W.dying);
	(void)user;
	struct sipd_session *s = sipd_txn_user(inv);
	if (s) {
		sipd_session_cancelled(s, W.now);
	} else if (!W.strict) {
		/* §9.2: an INVITE no session owns any more is the application's
		 * to end (SIPD_ESTATE when it has its final response) */
		struct sipd_response r = {.size = sizeof r, .code = 487, .to_tag = {"c", 1}};
		check_rc(sipd_txn_respond(inv, &r, W.now));
	}
}

static void on_stray(void *user, const struct sipd_msg *resp, const struct sipd_flow *from)
{
	(void)user;
	(void)from;
	FZ_CHECK(resp && !resp->is_request && resp->status >= 200 && resp->status < 300);
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	(void)timeout;
	struct node *n = user;
	/* a transaction the script holds dies here: forget it */
	for (int i = 0; i < MAX_SESS; i++) {
		struct sess *x = &n->sess[i];
		for (int k = 0; k < x->nheld; k++)
			if (x->held[k] == tx)
				x->held[k--] = x->held[--x->nheld];
	}
	sipd_sessions_server_done(&n->env, tx, timeout);
}

static const struct sipd_stack_callbacks stack_cb = {.size = sizeof stack_cb,
                                                     .send = on_send,
                                                     .request = on_stack_request,
                                                     .cancel = on_cancel,
                                                     .stray_2xx = on_stray,
                                                     .server_done = on_server_done};

/* ---------------------------------------------------------------- the script */

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned take16(struct input *in)
{
	unsigned hi = take(in);
	return hi << 8 | take(in);
}

/* The k-th session of a node that exists, or NULL. */
static struct sess *pick(struct node *n, unsigned k)
{
	int count = 0;
	for (int i = 0; i < MAX_SESS; i++)
		count += n->sess[i].s != NULL;
	if (!count)
		return NULL;
	k %= (unsigned)count;
	for (int i = 0; i < MAX_SESS; i++)
		if (n->sess[i].s && k-- == 0)
			return &n->sess[i];
	return NULL;
}

static void op_call(struct input *in)
{
	struct node *n = &W.n[take(in) & 1];
	unsigned f = take(in);
	struct sess *x = free_slot(n);
	if (!x)
		return;
	int peer = n->idx ^ 1;
	static const char *const extras[8] = {
		"",
		"Supported: 100rel\r\n",
		"Require: 100rel\r\n",
		"Supported: timer\r\nSession-Expires: 60\r\n",
		"Allow: " ALLOW "\r\n",
		"Supported: 100rel, timer\r\nAllow: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK\r\n",
		"Record-Route: <sip:p1@10.0.0.9;lr>\r\n",
		"Replaces: c0-1;to-tag=x;from-tag=y\r\n",
	};
	char hdrs[768];
	n->calls++;
	int h = snprintf(hdrs, sizeof hdrs,
	                 "From: <sip:%c@10.0.0.%d>;tag=f%d-%u\r\nTo: <sip:%c@10.0.0.%d>\r\n"
	                 "Call-ID: c%d-%u\r\nCSeq: %u INVITE\r\nMax-Forwards: 70\r\n"
	                 "Contact: <sip:%c@10.0.0.%d>\r\n%s",
	                 'a' + n->idx, n->idx + 1, n->idx, n->calls, 'a' + peer, peer + 1, n->idx,
	                 n->calls, 1 + (f >> 5), 'a' + n->idx, n->idx + 1, extras[(f >> 2) & 7]);
	FZ_CHECK(h > 0 && (size_t)h < sizeof hdrs);
	char uri[32];
	snprintf(uri, sizeof uri, "sip:%c@10.0.0.%d", 'a' + peer, peer + 1);
	bool late = f & 1;
	struct sipd_request r = {
		.size = sizeof r,
		.method = {"INVITE", 6},
		.uri = {uri, strlen(uri)},
		.headers = {hdrs, (size_t)h},
		.content_type = late ? NULL : "application/sdp",
		.body = late ? SIPD_STR_NULL
	                     : (struct sipd_str){bodies[n->idx], strlen(bodies[n->idx])},
		.flow = {.transport = (f & 2) ? SIPD_TP_TCP : SIPD_TP_UDP,
	                 .local = (f & 2) ? 1 : 0,
	                 .remote = addr_of(peer)}};
	unsigned o = take(in);
	struct sipd_session_opts so = opts_of(n, (uint8_t)o, (uint8_t)((o >> 3) & 3));
	struct sipd_session *s = NULL;
	int rc = sipd_session_uac(&n->env, &r, &so, W.now, &s);
	check_rc(rc);
	if (rc == 0) {
		FZ_CHECK(s != NULL);
		*x = (struct sess){.s = s, .last = -1};
	}
}

static void op_session(struct input *in, unsigned op)
{
	struct node *n = &W.n[take(in) & 1];
	struct sess *x = pick(n, take(in));
	unsigned a = take(in), b = take(in);
	if (!x)
		return;
	struct sipd_session *s = x->s;
	int rc = 0;
	switch (op) {
	case 0: { /* UAS: a provisional, the 2xx or a rejection */
		static const unsigned prov[4] = {180, 183, 181, 199};
		static const unsigned fail[4] = {486, 603, 404, 500};
		switch (a % 3) {
		case 0: rc = sipd_session_progress(s, prov[(a >> 2) & 3], body_of(b), W.now); break;
		case 1: rc = sipd_session_accept(s, body_of(b), W.now); break;
		default: rc = sipd_session_reject(s, fail[(a >> 2) & 3], NULL, W.now); break;
		}
		break;
	}
	case 1:
		rc = sipd_session_bye(s, (a & 1) ? "SIP;cause=200;text=\"fuzz\"" : NULL, W.now);
		break;
	case 2: rc = sipd_session_cancel(s, (a & 1) ? "SIP;cause=487" : NULL, W.now); break;
	case 3: rc = sipd_session_modify(s, body_of(b), a & 1, W.now); break;
	case 4: {
		static const char *const methods[6] = {"INFO",  "MESSAGE", "OPTIONS",
		                                       "REFER", "NOTIFY",  "UPDATE"};
		static const char *const extra[6] = {
			"Info-Package: x\r\n",
			"",
			"",
			"Refer-To: <sip:c@10.0.0.3>\r\n",
			"Event: refer\r\nSubscription-State: active;expires=60\r\n",
			""};
		unsigned m = a % 6;
		bool with_body = (b & 1) && m != 5;
		rc = sipd_session_request(
			s, methods[m], (struct sipd_str){extra[m], strlen(extra[m])},
			with_body ? "text/plain" : NULL,
			with_body ? (struct sipd_str){"hi", 2} : SIPD_STR_NULL, W.now);
		break;
	}
	case 5: { /* answer a held request */
		static const unsigned codes[12] = {100, 180, 200, 202, 400, 481,
		                                   487, 488, 491, 500, 603, 699};
		if (!x->nheld)
			return;
		struct sipd_txn *tx = x->held[a % (unsigned)x->nheld];
		unsigned code = codes[(a >> 3) % 12];
		rc = sipd_session_respond(s, tx, code, body_of(b), W.now);
		if (rc == 0 && code >= 200) {
			for (int k = 0; k < x->nheld; k++)
				if (x->held[k] == tx)
					x->held[k] = x->held[--x->nheld];
		}
		break;
	}
	case 6: rc = sipd_session_replace(s, W.now); break;
	default: /* free */
		sipd_session_free(s);
		*x = (struct sess){0};
		return;
	}
	check_rc(rc);
	/* the getter agrees with what was reported last */
	if (x->last >= 0)
		FZ_CHECK((int)sipd_session_state(s) == x->last);
	if (x->ended)
		FZ_CHECK(sipd_session_state(s) == SIPD_SESSION_TERMINATED);
}

/* The latest dialog of node n's sessions, for the placeholders. */
static struct sipd_dialog *latest_dialog(struct node *n)
{
	for (int i = MAX_SESS - 1; i >= 0; i--)
		if (n->sess[i].s && sipd_session_dialog(n->sess[i].s))
			return sipd_session_dialog(n->sess[i].s);
	return NULL;
}

static void put(char *out, size_t *o, size_t cap, struct sipd_str s)
{
	size_t k = s.len < cap - *o ? s.len : cap - *o;
	if (k)
		memcpy(out + *o, s.p, k);
	*o += k;
}

static void op_raw(struct input *in)
{
	unsigned f = take(in);
	size_t len = take16(in) % (MAX_RAW + 1);
	if (len > in->n)
		len = in->n;
	const char *src = (const char *)in->p;
	in->p += len;
	in->n -= len;
	struct node *n = &W.n[f & 1];
	struct sipd_dialog *d = latest_dialog(n);
	static char out[2 * MAX_RAW];
	size_t o = 0;
	for (size_t i = 0; i < len && o < sizeof out; i++) {
		if (src[i] != '$' || i + 1 == len) {
			out[o++] = src[i];
			continue;
		}
		struct sipd_str with;
		switch (src[++i]) {
		case 'c': with = d ? sipd_dialog_call_id(d) : SIPD_STR_NULL; break;
		case 'l': with = d ? sipd_dialog_local_tag(d) : SIPD_STR_NULL; break;
		case 'r': with = d ? sipd_dialog_remote_tag(d) : SIPD_STR_NULL; break;
		case 'b': with = (struct sipd_str){n->last_branch, strlen(n->last_branch)}; break;
		case 'q': with = (struct sipd_str){n->last_cseq, strlen(n->last_cseq)}; break;
		default: with = (struct sipd_str){src + i - 1, 2}; break;
		}
		put(out, &o, sizeof out, with);
	}
	if (!o)
		return;
	int peer = n->idx ^ 1;
	struct sipd_flow flow = {.transport = SIPD_TP_UDP, .remote = addr_of(peer)};
	switch ((f >> 1) & 3) {
	case 1: /* over TCP, on the peer's connection */
		flow.transport = SIPD_TP_TCP;
		flow.local = 1;
		flow.conn = (uint64_t)(peer + 1) * 100 + (uint64_t)n->idx + 1;
		break;
	case 2: /* a stranger */ flow.remote.ip[3] = 9; break;
	case 3: /* the peer's address, another port */ flow.remote.port = 5070; break;
	}
	deliver(n->idx, &flow, out, o);
}

static const char *const dict[] = {
	"\r\n",
	"0",
	"4294967296",
	";tag=x",
	";branch=z9hG4bKx",
	"Require: 100rel\r\n",
	"RSeq: 1\r\n",
	"RAck: 1 1 INVITE\r\n",
	"Session-Expires: 90;refresher=uas\r\n",
	"Min-SE: 1000\r\n",
	"Replaces: c0-1;to-tag=x;from-tag=f0-1\r\n",
	"a=sendonly\r\n",
	"c=IN IP4 0.0.0.0\r\n",
	"Content-Length: 0\r\n",
	"Contact: <sip:x@10.0.0.9>\r\n",
	"Record-Route: <sip:p@10.0.0.9;lr>\r\n",
	"Max-Forwards: 0\r\n",
	"Supported: timer, 100rel\r\n",
	"Allow: UPDATE\r\n",
	"Retry-After: 1\r\n",
	"Content-Type: application/sdp\r\n",
	"Content-Disposition: render\r\n",
	" ",
	",",
	"BYE",
	"ACK",
	"CANCEL",
	"PRACK",
	"UPDATE",
	"SIP/2.0 ",
	"200",
	"487",
	"491",
	"100",
	"183",
	"422",
	"481",
	"Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKy\r\n",
};

static void op_mutate(struct input *in)
{
	unsigned i = take(in), edits = 1 + take(in) % 4;
	bool keep = i & 128;
	if (!W.nq) {
		for (unsigned k = 0; k < 4 * edits; k++)
			take(in);
		return;
	}
	struct pkt *p = &W.q[i % (unsigned)W.nq];
	size_t cap = p->len + 4 * 128 + 64, len = p->len;
	char *m = malloc(cap);
	if (!m)
		abort();
	memcpy(m, p->data, len);
	for (unsigned e = 0; e < edits; e++) {
		unsigned kind = take(in), pos16 = take16(in), v = take(in);
		size_t pos = len ? pos16 % len : 0;
		switch (kind % 6) {
		case 0: /* a byte */
			if (len)
				m[pos] = (char)v;
			break;
		case 1: { /* a few bytes out */
			size_t k = 1 + v % 16;
			if (k > len - pos)
				k = len - pos;
			memmove(m + pos, m + pos + k, len - pos - k);
			len -= k;
			break;
		}
		case 2: { /* a token in */
			const char *t = dict[v % (sizeof dict / sizeof dict[0])];
			size_t tl = strlen(t);
			if (len + tl > cap)
				break;
			memmove(m + pos + tl, m + pos, len - pos);
			memcpy(m + pos, t, tl);
			len += tl;
			break;
		}
		case 3: /* cut */ len = pos; break;
		case 4: { /* the line at pos twice */
			size_t s = pos, e2 = pos;
			while (s > 0 && m[s - 1] != '\n')
				s--;
			while (e2 < len && m[e2] != '\n')
				e2++;
			if (e2 < len)
				e2++;
			size_t ll = e2 - s;
			if (ll > 128 || len + ll > cap)
				break;
			memmove(m + e2 + ll, m + e2, len - e2);
			memcpy(m + e2, m + s, ll);
			len += ll;
			break;
		}
		default: /* a number changed: the digits at pos become v */
			while (pos < len && m[pos] >= '0' && m[pos] <= '9') {
				m[pos++] = (char)('0' + v % 10);
				v /= 10;
			}
			break;
		}
	}
	int to = p->to;
	struct sipd_flow flow = p->flow;
	if (!keep)
		pkt_free((int)(i % (unsigned)W.nq));
	if (len)
		deliver(to, &flow, m, len);
	free(m);
}

static void step(struct input *in)
{
	static const uint32_t short_ms[8] = {1, 5, 20, 50, 100, 250, 500, 1000};
	static const uint32_t long_ms[8] = {2000, 4000, 8000, 16000, 32000, 64000, 100000, 200000};
	unsigned op = take(in) % 20;
	if (W.trace)
		fprintf(stderr, "[%8llu] step %u\n", (unsigned long long)W.now, op);
	switch (op) {
	case 0: run(W.now + short_ms[take(in) % 8], true); break;
	case 1: run(W.now + long_ms[take(in) % 8], true); break;
	case 2: run(W.now + long_ms[take(in) % 8], false); break;
	case 3:
	case 4:
	case 5: {
		unsigned i = take(in);
		if (!W.nq)
			break;
		i %= (unsigned)W.nq;
		if (op == 4)
			pkt_free((int)i);
		else
			deliver_pkt((int)i, op == 5);
		run_timers();
		break;
	}
	case 6:
		op_mutate(in);
		run_timers();
		break;
	case 7:
		op_raw(in);
		run_timers();
		break;
	case 8: op_call(in); break;
	case 9:
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
	case 15:
	case 16:
		op_session(in, op - 9);
		run_timers();
		break;
	case 17: { /* how a node behaves */
		struct node *n = &W.n[take(in) & 1];
		unsigned p = take(in), h = take(in);
		n->policy = (uint8_t)((p & 7) % 6);
		n->rel = (uint8_t)((p >> 3) & 3);
		n->timer = (uint8_t)((p >> 5) & 3);
		n->late_answer = (h & 1) == 0;
		/* INVITE, UPDATE, INFO, MESSAGE, OPTIONS, REFER, NOTIFY by bit */
		static const enum sipd_method hm[7] = {SIPD_METHOD_INVITE,  SIPD_METHOD_UPDATE,
		                                       SIPD_METHOD_INFO,    SIPD_METHOD_MESSAGE,
		                                       SIPD_METHOD_OPTIONS, SIPD_METHOD_REFER,
		                                       SIPD_METHOD_NOTIFY};
		n->hold_mask = 0;
		for (int k = 0; k < 7; k++)
			if ((h >> (k + 1)) & 1)
				n->hold_mask |= (uint16_t)(1u << hm[k]);
		break;
	}
	case 18: {
		unsigned v = take(in);
		W.loss = (uint8_t)take(in);
		W.latency = v % 200;
		break;
	}
	default: { /* a TCP connection goes */
		/* connection ids: 100 * (opener + 1) + (other end + 1) */
		unsigned v = take(in);
		int i = v & 1, opener = (v & 2) ? i : i ^ 1;
		uint64_t conn = (uint64_t)(opener + 1) * 100 + (uint64_t)(opener ^ 1) + 1;
		sipd_stack_conn_lost(W.n[i].st, conn, W.now);
		run_timers();
		break;
	}
	}
}

/* ---------------------------------------------------------------- one input */

static void world_init(void)
{
	memset(&W, 0, sizeof W);
	W.now = T_START;
	W.rng = 0x9e3779b97f4a7c15ULL;
	W.latency = 10;
	W.trace = getenv("FZ_TRACE") != NULL;
	W.strict = getenv("FZ_STRICT_END") != NULL;
	for (int i = 0; i < 2; i++) {
		struct node *n = &W.n[i];
		n->idx = i;
		n->late_answer = true;
		for (int k = 0; k < 2; k++) {
			n->locals[k].transport = k ? SIPD_TP_TCP : SIPD_TP_UDP;
			n->locals[k].addr = addr_of(i);
		}
		struct sipd_stack_config cfg = {.size = sizeof cfg,
		                                .locals = n->locals,
		                                .nlocals = 2,
		                                .allow = ALLOW,
		                                .supported = "100rel, timer",
		                                .accept = "application/sdp, text/plain",
		                                .max_transactions = 64,
		                                .random = fz_random,
		                                .cb = &stack_cb,
		                                .user = n};
		n->st = sipd_stack_create(&cfg);
		FZ_CHECK(n->st != NULL);
		struct sipd_dialogs_config dc = {
			.size = sizeof dc, .max_dialogs = 16, .random = fz_random, .user = n};
		static const struct sipd_dialogs_callbacks dcb = {.size = sizeof dcb};
		dc.cb = &dcb;
		n->dialogs = sipd_dialogs_create(&dc);
		FZ_CHECK(n->dialogs != NULL);
		n->env = (struct sipd_session_env){
			.size = sizeof n->env, .stack = n->st, .dialogs = n->dialogs};
	}
}

/* RFC 3261 gives a UA's INVITE client transaction no timer once a
 * provisional response came (Timer B runs in Calling only, Timer C is a
 * proxy's): a peer that answered 1xx and then lost its final response (or
 * lost the connection on its side only) leaves it in Proceeding for good.
 * The session layer cancels its initial INVITE when freed (§9.1 then bounds
 * it at 64*T1), but not a re-INVITE. So that the end check finds other
 * leaks, the peer answers 500 to every INVITE the node sent (a stray answer
 * to one that ended is dropped); with FZ_STRICT_END set it does not, and a
 * re-INVITE stuck that way shows as what it is. */
static void peers_answer(void)
{
	for (int i = 0; i < 2; i++) {
		struct node *n = &W.n[i];
		for (unsigned k = 0; k < KEEP_INVITES; k++) {
			if (!n->invites[k].data)
				continue;
			struct sipd_msg m;
			struct sipd_hdr h[64];
			if (sipd_msg_parse(&m, h, 64, n->invites[k].data, n->invites[k].len,
			                   SIPD_FRAME_DATAGRAM, NULL, NULL) < 0)
				continue;
			char out[8192];
			struct sipd_buf b;
			sipd_buf_init(&b, out, sizeof out);
			sipd_build_response_head(&b, &m, 500, NULL, (struct sipd_str){"end", 3}, NULL);
			sipd_build_body(&b, NULL, SIPD_STR_NULL);
			if (sipd_buf_result(&b) < 0)
				continue;
			struct sipd_flow flow = {
				.transport = n->invites[k].transport,
				.local = n->invites[k].transport == SIPD_TP_UDP ? 0 : 1,
				.conn = n->invites[k].conn,
				.remote = addr_of(i ^ 1)};
			deliver(i, &flow, out, b.len);
			run_timers();
		}
	}
}

static void world_end(void)
{
	W.closing = true;
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < MAX_SESS; k++) {
			sipd_session_free(W.n[i].sess[k].s);
			W.n[i].sess[k] = (struct sess){0};
		}
	/* the transactions still running end on their own: Timer L, H, J, K
	 * and the 2xx retransmissions are all done within 64*T1 */
	W.loss = 0;
	for (int r = 0; r < 8; r++)
		run(W.now + 64000, true);
	if (!W.strict) {
		peers_answer();
		for (int r = 0; r < 4; r++)
			run(W.now + 64000, true);
	}
	for (int i = 0; i < 2; i++) {
		struct sipd_stack_stats st;
		sipd_stack_stats(W.n[i].st, &st);
		if (st.client_txns || st.server_txns || sipd_dialogs_count(W.n[i].dialogs)) {
			fprintf(stderr,
			        "node %d: %u client and %u server transactions, %zu dialogs left\n",
			        i, st.client_txns, st.server_txns,
			        sipd_dialogs_count(W.n[i].dialogs));
			FZ_CHECK(!"something outlived its sessions");
		}
	}
	W.dying = true;
	for (int i = 0; i < 2; i++)
		sipd_stack_destroy(W.n[i].st);
	for (int i = 0; i < 2; i++)
		sipd_dialogs_destroy(W.n[i].dialogs);
	while (W.nq)
		pkt_free(W.nq - 1);
	for (int i = 0; i < 2; i++)
		for (unsigned k = 0; k < KEEP_INVITES; k++)
			free(W.n[i].invites[k].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	world_init();
	struct input in = {data, size};
	for (int i = 0; i < MAX_STEPS && in.n; i++)
		step(&in);
	world_end();
	return 0;
}
