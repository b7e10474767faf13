/* bench_txn — the cost of whole SIP transactions through two stacks.
 *
 * Usage:
 *   bench_txn --kind KIND --count N
 *   bench_txn --time [--kind KIND|all] [--runs R] [--seconds S] [--tsv FILE]
 *
 * KIND is options, invite486 or invite200. Two stacks live in this process,
 * a client at 10.0.0.1:5060 and a server at 10.0.0.2:5060, both UDP. What one
 * sends goes into an in-memory queue and is handed to the other's
 * sipd_stack_recv(); nothing touches a socket, and time is a virtual clock
 * that this program moves.
 *
 * One transaction, run to its very end before the next starts:
 *   options    the client sends OPTIONS; the server's application answers
 *              200 with Allow and Accept. Two messages.
 *   invite486  the client sends INVITE with an SDP offer; the server's
 *              application answers 486; the client transaction ACKs it
 *              (§17.1.1.3). Three messages.
 *   invite200  the client sends INVITE with an SDP offer; the server's
 *              application answers 200 with Contact and an SDP answer; the
 *              client's application sends the ACK itself (sipd_stack_send_ack,
 *              §13.2.2.4), built from the 2xx, to the 2xx's Contact; the
 *              server's application receives it. Three messages.
 * Then the clock jumps from deadline to deadline until neither stack has a
 * timer left (Timer K and J, I and D, L and M), so that every transaction is
 * gone before the next begins.
 *
 * The first form runs N transactions and prints one line of figures: messages
 * and bytes sent, and the allocations of the stacks (calls and bytes of
 * malloc, calloc and realloc, counted by wrappers this binary alone is linked
 * with: -Wl,--wrap). It reads no clock, so under valgrind --tool=callgrind the
 * instruction counts of N and 2N transactions differ by exactly N
 * transactions. At the end it checks that every transaction ended as it
 * should and that no transaction is left in either stack, and aborts if not.
 *
 * The second form times transactions of each kind (or of one) for R runs of S
 * seconds and prints the median, slowest and fastest runs in transactions per
 * second.
 */
#include <sipdialog/stack.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ allocations */

/* The linker sends the stacks' calls to malloc, calloc, realloc and free here
 * (-Wl,--wrap=malloc...); each block carries its size in front, so that the
 * bytes alive are known at any time. The harness itself allocates nothing
 * once the stacks exist, so every count below is the stacks'. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

#define ALLOC_HEAD _Alignof(max_align_t)

struct alloc_counts {
	uint64_t calls; /* malloc, calloc and realloc */
	uint64_t bytes; /* the sizes they were asked for */
	uint64_t frees;
	uint64_t live, peak; /* bytes alive now, and at most */
};

static struct alloc_counts allocs;

static void *alloc_note(unsigned char *p, size_t n)
{
	memcpy(p, &n, sizeof n);
	allocs.calls++;
	allocs.bytes += n;
	allocs.live += n;
	if (allocs.live > allocs.peak)
		allocs.peak = allocs.live;
	return p + ALLOC_HEAD;
}

static size_t alloc_size(const void *p)
{
	size_t n;
	memcpy(&n, (const unsigned char *)p - ALLOC_HEAD, sizeof n);
	return n;
}

void *__wrap_malloc(size_t n)
{
	unsigned char *p = n < SIZE_MAX - ALLOC_HEAD ? __real_malloc(n + ALLOC_HEAD) : NULL;
	return p ? alloc_note(p, n) : NULL;
}

void *__wrap_calloc(size_t k, size_t n)
{
	if (n && k > (SIZE_MAX - ALLOC_HEAD) / n)
		return NULL;
	unsigned char *p = __real_calloc(1, k * n + ALLOC_HEAD);
	return p ? alloc_note(p, k * n) : NULL;
}

void __wrap_free(void *p)
{
	if (!p)
		return;
	allocs.frees++;
	allocs.live -= alloc_size(p);
	__real_free((unsigned char *)p - ALLOC_HEAD);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (!p)
		return __wrap_malloc(n);
	if (n == 0) {
		__wrap_free(p);
		return NULL;
	}
	if (n >= SIZE_MAX - ALLOC_HEAD)
		return NULL;
	size_t old = alloc_size(p);
	unsigned char *q = __real_realloc((unsigned char *)p - ALLOC_HEAD, n + ALLOC_HEAD);
	if (!q)
		return NULL;
	allocs.live -= old;
	return alloc_note(q, n);
}

/* ------------------------------------------------------------ the two stacks */

enum kind { KIND_OPTIONS, KIND_INVITE486, KIND_INVITE200, KIND__COUNT };

static const char *const kind_names[KIND__COUNT] = {"options", "invite486", "invite200"};
static const unsigned kind_code[KIND__COUNT] = {200, 486, 200};
static const unsigned kind_messages[KIND__COUNT] = {2, 3, 3};

enum { CLIENT, SERVER };

#define PKT_MAX 4096
#define QUEUE_CAP 8
/* No transaction of ours needs more than 32 s of timers; beyond this, a
 * timer keeps re-arming itself and the benchmark is wrong. */
#define SETTLE_LIMIT_MS 120000

struct pkt {
	int to;
	size_t len;
	char data[PKT_MAX];
};

struct bench;

struct node {
	struct bench *b;
	int index;
	struct sipd_stack *st;
	struct sipd_local local;
	struct sipd_flow from_peer; /* how a packet from the other node arrives */
};

struct bench {
	enum kind kind;
	struct node node[2];
	uint64_t now; /* the virtual clock, ms */
	uint64_t rng;
	/* The queue between the stacks: a ring, no allocation. */
	struct pkt queue[QUEUE_CAP];
	size_t qhead, qlen;
	/* The client's request headers, made once; the Call-ID and From tag
	 * are patched for each transaction at `patch`. */
	char headers[1024];
	size_t headers_len;
	size_t patch[2];
	uint32_t serial;
	/* What happened, checked at the end. */
	uint64_t sent, sent_bytes;
	uint64_t finals, wrong_finals, failures, terminated;
	uint64_t server_requests, server_acks, server_done, server_timeouts;
};

/* A fast deterministic generator for the stacks' random source (branches and
 * tags): a real host would use a cryptographic one, which is not the stack's
 * cost. xorshift64*. */
static void bench_random(void *user, void *buf, size_t len)
{
	struct node *n = user;
	uint64_t x = n->b->rng;
	unsigned char *p = buf;
	for (size_t i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (unsigned char)((x * 0x2545F4914F6CDD1DULL) >> 56);
	}
	n->b->rng = x;
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "bench_txn: %s\n", what);
	abort();
}

static int bench_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	struct node *n = user;
	struct bench *b = n->b;
	const struct node *peer = &b->node[1 - n->index];
	if (flow->transport != SIPD_TP_UDP || !sipd_addr_equal(&flow->remote, &peer->local.addr))
		die("a message to an address that is not the other stack");
	if (len > PKT_MAX)
		die("a message larger than the queue's slots");
	if (b->qlen == QUEUE_CAP)
		die("the queue is full");
	struct pkt *p = &b->queue[(b->qhead + b->qlen++) % QUEUE_CAP];
	p->to = peer->index;
	p->len = len;
	memcpy(p->data, data, len);
	b->sent++;
	b->sent_bytes += len;
	return 0;
}

/* Hands every queued message to its stack, and what that sends in turn. A
 * message is read in place and leaves the queue afterwards: what its receiver
 * sends goes behind it. */
static void bench_deliver(struct bench *b)
{
	while (b->qlen) {
		struct pkt *p = &b->queue[b->qhead];
		struct node *to = &b->node[p->to];
		if (sipd_stack_recv(to->st, &to->from_peer, p->data, p->len, b->now) != 0)
			die("a message was refused");
		b->qhead = (b->qhead + 1) % QUEUE_CAP;
		b->qlen--;
	}
}

/* Moves the clock from deadline to deadline until neither stack has a timer. */
static void bench_settle(struct bench *b)
{
	uint64_t limit = b->now + SETTLE_LIMIT_MS;
	for (;;) {
		uint64_t c = sipd_stack_next_deadline(b->node[CLIENT].st);
		uint64_t s = sipd_stack_next_deadline(b->node[SERVER].st);
		uint64_t t = c < s ? c : s;
		if (t == UINT64_MAX)
			break;
		if (t > limit)
			die("timers still running long after the transaction");
		if (t > b->now)
			b->now = t;
		if (c <= b->now)
			sipd_stack_advance(b->node[CLIENT].st, b->now);
		if (s <= b->now)
			sipd_stack_advance(b->node[SERVER].st, b->now);
		bench_deliver(b);
	}
	b->now += 1;
}

static const char sdp_offer[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 10.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 10.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=sendrecv\r\n";

static const char sdp_answer[] =
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP4 10.0.0.2\r\n"
	"s=-\r\n"
	"c=IN IP4 10.0.0.2\r\n"
	"t=0 0\r\n"
	"m=audio 3456 RTP/AVP 0 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=sendrecv\r\n";

#define STR(s) ((struct sipd_str){(s), sizeof(s) - 1})

/* The server's application: answers every request at once. */
static int bench_on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                            const struct sipd_flow *from)
{
	(void)from;
	struct node *n = user;
	struct bench *b = n->b;
	if (n->index != SERVER)
		die("the client received a request");
	if (!tx) {
		/* The ACK of our 2xx: the end of the three-way handshake. */
		if (req->method != SIPD_METHOD_ACK)
			die("a request without a transaction");
		b->server_acks++;
		return 0;
	}
	b->server_requests++;
	char tag[10];
	sipd_stack_random_token(n->st, tag, sizeof tag);
	struct sipd_response r = {.size = sizeof r, .to_tag = {tag, sizeof tag}};
	if (req->method == SIPD_METHOD_INVITE && b->kind == KIND_INVITE486) {
		r.code = 486;
	} else if (req->method == SIPD_METHOD_INVITE) {
		r.code = 200;
		r.headers = STR("Contact: <sip:bob@10.0.0.2:5060>\r\n");
		r.content_type = "application/sdp";
		r.body = STR(sdp_answer);
	} else {
		r.code = 200;
		r.headers = STR("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
		                "Accept: application/sdp\r\n");
	}
	if (sipd_txn_respond(tx, &r, b->now) != 0)
		die("sipd_txn_respond failed");
	return 0;
}

static void bench_on_done(void *user, struct sipd_txn *tx, bool timeout)
{
	(void)tx;
	struct node *n = user;
	n->b->server_done++;
	n->b->server_timeouts += timeout;
}

static void bench_on_stray(void *user, const struct sipd_msg *resp, const struct sipd_flow *from)
{
	(void)user;
	(void)resp;
	(void)from;
	die("a 2xx matched no transaction");
}

static const struct sipd_stack_callbacks bench_callbacks = {
	.size = sizeof bench_callbacks,
	.send = bench_send,
	.request = bench_on_request,
	.stray_2xx = bench_on_stray,
	.server_done = bench_on_done,
};

static struct sipd_flow flow_to(const struct bench *b, int to)
{
	return (struct sipd_flow){.transport = SIPD_TP_UDP, .remote = b->node[to].local.addr};
}

/* The client's application after a 2xx: the ACK, a request of its own
 * (§13.2.2.4), to the remote target (the 2xx's Contact), with From, To (and
 * its tag), Call-ID and the CSeq number of the INVITE. */
static void bench_send_ack(struct bench *b, const struct sipd_msg *resp)
{
	const struct sipd_hdr *contact = sipd_msg_find(resp, SIPD_HDR_CONTACT);
	struct sipd_nameaddr target;
	if (!contact || sipd_nameaddr_parse(&target, contact->value, false, NULL) != 0)
		die("a 2xx without a usable Contact");
	char text[1024];
	struct sipd_buf hb;
	sipd_buf_init(&hb, text, sizeof text);
	sipd_build_header(&hb, "From", resp->hdrs[resp->first[SIPD_HDR_FROM]].value);
	sipd_build_header(&hb, "To", resp->hdrs[resp->first[SIPD_HDR_TO]].value);
	sipd_build_header(&hb, "Call-ID", resp->call_id);
	sipd_buf_puts(&hb, "CSeq: ");
	sipd_buf_putu(&hb, resp->cseq.seq);
	sipd_buf_puts(&hb, " ACK\r\n");
	sipd_buf_puts(&hb, "Max-Forwards: 70\r\n");
	long n = sipd_buf_result(&hb);
	if (n < 0)
		die("the ACK's headers do not fit");
	struct sipd_request ack = {
		.size = sizeof ack,
		.method = STR("ACK"),
		.uri = target.uri.raw,
		.headers = {text, (size_t)n},
		.flow = flow_to(b, SERVER),
	};
	if (sipd_stack_send_ack(b->node[CLIENT].st, &ack, b->now) != 0)
		die("sipd_stack_send_ack failed");
}

/* The client's application: what its transactions report. */
static void bench_on_client(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                            const struct sipd_msg *resp)
{
	(void)tx;
	struct bench *b = arg;
	switch (ev) {
	case SIPD_TXN_RESPONSE:
		if (resp->status < 200)
			break;
		b->finals++;
		if (resp->status != kind_code[b->kind]) {
			b->wrong_finals++;
			break;
		}
		if (b->kind == KIND_INVITE200)
			bench_send_ack(b, resp);
		break;
	case SIPD_TXN_TIMEOUT:
	case SIPD_TXN_TRANSPORT_ERROR:
		b->failures++;
		break;
	case SIPD_TXN_TERMINATED:
		b->terminated++;
		break;
	}
}

static void bench_init(struct bench *b, enum kind kind)
{
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->now = 1000;
	b->rng = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 2; i++) {
		struct node *n = &b->node[i];
		n->b = b;
		n->index = i;
		n->local.transport = SIPD_TP_UDP;
		n->local.addr.family = 4;
		n->local.addr.port = 5060;
		n->local.addr.ip[0] = 10;
		n->local.addr.ip[3] = (uint8_t)(i + 1);
	}
	for (int i = 0; i < 2; i++) {
		struct node *n = &b->node[i];
		n->from_peer = flow_to(b, 1 - i);
		struct sipd_stack_config cfg = {
			.size = sizeof cfg,
			.locals = &n->local,
			.nlocals = 1,
			.random = bench_random,
			.cb = &bench_callbacks,
			.user = n,
		};
		n->st = sipd_stack_create(&cfg);
		if (!n->st)
			die("sipd_stack_create failed");
	}
	const char *method = kind == KIND_OPTIONS ? "OPTIONS" : "INVITE";
	int len = snprintf(b->headers, sizeof b->headers,
	                   "From: \"Alice\" <sip:alice@10.0.0.1>;tag=########\r\n"
	                   "To: <sip:bob@10.0.0.2>\r\n"
	                   "Call-ID: ########-bench@10.0.0.1\r\n"
	                   "CSeq: 1 %s\r\n"
	                   "Max-Forwards: 70\r\n"
	                   "Contact: <sip:alice@10.0.0.1:5060>\r\n"
	                   "%s",
	                   method,
	                   kind == KIND_OPTIONS ? "Accept: application/sdp\r\n"
	                                        : "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n");
	if (len < 0 || (size_t)len >= sizeof b->headers)
		die("the request's headers do not fit");
	b->headers_len = (size_t)len;
	const char *p = strstr(b->headers, "########");
	b->patch[0] = (size_t)(p - b->headers);
	p = strstr(p + 8, "########");
	b->patch[1] = (size_t)(p - b->headers);
}

static void bench_free(struct bench *b)
{
	for (int i = 0; i < 2; i++)
		sipd_stack_destroy(b->node[i].st);
}

/* One transaction from the client's request to the end of every timer. */
static void bench_transaction(struct bench *b)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t v = b->serial++;
	for (int k = 0; k < 2; k++)
		for (int i = 7; i >= 0; i--)
			b->headers[b->patch[k] + (size_t)(7 - i)] = hex[(v >> (4 * i)) & 15];
	bool invite = b->kind != KIND_OPTIONS;
	struct sipd_request r = {
		.size = sizeof r,
		.method = invite ? STR("INVITE") : STR("OPTIONS"),
		.uri = STR("sip:bob@10.0.0.2"),
		.headers = {b->headers, b->headers_len},
		.content_type = invite ? "application/sdp" : NULL,
		.body = invite ? STR(sdp_offer) : SIPD_STR_NULL,
		.flow = flow_to(b, SERVER),
	};
	if (sipd_stack_request(b->node[CLIENT].st, &r, bench_on_client, b, b->now, NULL) != 0)
		die("sipd_stack_request failed");
	bench_deliver(b);
	bench_settle(b);
}

/* After n transactions: each ended as it should, and nothing is left. */
static void bench_check(const struct bench *b, uint64_t n)
{
	struct sipd_stack_stats cs, ss;
	sipd_stack_stats(b->node[CLIENT].st, &cs);
	sipd_stack_stats(b->node[SERVER].st, &ss);
	const char *bad = NULL;
	if (cs.client_txns || cs.server_txns || ss.client_txns || ss.server_txns)
		bad = "transactions left in a stack";
	else if (b->finals != n || b->wrong_finals || b->failures)
		bad = "a transaction without its expected final response";
	else if (b->terminated != n)
		bad = "a client transaction that did not end";
	else if (b->server_requests != n || b->server_done != n || b->server_timeouts)
		bad = "a server transaction that did not end as it should";
	else if (b->kind == KIND_INVITE200 && b->server_acks != n)
		bad = "an ACK of a 2xx that did not reach the server";
	else if (b->sent != n * kind_messages[b->kind])
		bad = "more or fewer messages than the transactions need";
	else if (cs.tx_retransmissions || ss.tx_retransmissions || cs.rx_bad || ss.rx_bad ||
	         cs.rx_dropped || ss.rx_dropped)
		bad = "a retransmission, or a message dropped";
	if (bad) {
		fprintf(stderr,
		        "bench_txn: %s after %llu %s transactions (finals %llu, terminated %llu, "
		        "server done %llu, sent %llu; alive: client %u+%u, server %u+%u)\n",
		        bad, (unsigned long long)n, kind_names[b->kind], (unsigned long long)b->finals,
		        (unsigned long long)b->terminated, (unsigned long long)b->server_done,
		        (unsigned long long)b->sent, cs.client_txns, cs.server_txns, ss.client_txns,
		        ss.server_txns);
		abort();
	}
}

/* ------------------------------------------------------------ the two forms */

/* Static, so that the only allocations counted are the stacks'. */
static struct bench the_bench;

static int count_form(enum kind kind, uint64_t n)
{
	struct bench *b = &the_bench;
	bench_init(b, kind);
	struct alloc_counts before = allocs;
	for (uint64_t i = 0; i < n; i++)
		bench_transaction(b);
	struct alloc_counts after = allocs;
	bench_check(b, n);
	/* kind, N, messages, bytes sent, allocation calls, bytes allocated, frees,
	 * bytes alive at the peak (both stacks, from their creation), and bytes
	 * alive at the end minus at the start of the transactions. */
	printf("count\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%lld\n", kind_names[kind],
	       (unsigned long long)n, (unsigned long long)b->sent, (unsigned long long)b->sent_bytes,
	       (unsigned long long)(after.calls - before.calls),
	       (unsigned long long)(after.bytes - before.bytes),
	       (unsigned long long)(after.frees - before.frees), (unsigned long long)after.peak,
	       (long long)(after.live - before.live));
	bench_free(b);
	if (allocs.live)
		die("memory left after sipd_stack_destroy");
	return 0;
}

static double clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define MAX_RUNS 51

/* Transactions per second of one kind: runs of `seconds` each after a
 * warm-up, the clock read every 64 transactions. */
static void time_kind(enum kind kind, int runs, double seconds, FILE *tsv)
{
	struct bench *b = &the_bench;
	bench_init(b, kind);
	double rate[MAX_RUNS];
	uint64_t total = 0;
	for (int r = -1; r < runs; r++) {
		double len = r < 0 ? seconds / 4 : seconds;
		double t0 = clock_now(), t;
		uint64_t done = 0;
		do {
			for (int i = 0; i < 64; i++)
				bench_transaction(b);
			done += 64;
		} while ((t = clock_now() - t0) < len);
		total += done;
		if (r >= 0)
			rate[r] = (double)done / t;
	}
	bench_check(b, total);
	qsort(rate, (size_t)runs, sizeof rate[0], cmp_double);
	double med = runs % 2 ? rate[runs / 2] : (rate[runs / 2 - 1] + rate[runs / 2]) / 2;
	printf("%-10s %10.0f transactions/s (median of %d runs of %gs; min %.0f, max %.0f)\n",
	       kind_names[kind], med, runs, seconds, rate[0], rate[runs - 1]);
	if (tsv)
		fprintf(tsv, "time\t%s\t%d\t%g\t%.1f\t%.1f\t%.1f\n", kind_names[kind], runs, seconds, med,
		        rate[0], rate[runs - 1]);
	bench_free(b);
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: bench_txn --kind options|invite486|invite200 --count N\n"
	                "       bench_txn --time [--kind KIND|all] [--runs R] [--seconds S] "
	                "[--tsv FILE]\n");
	exit(2);
}

static double number_arg(const char *s, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_txn: bad number '%s' (%g..%g)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int kind = -1; /* -1: all */
	uint64_t count = 0;
	bool timing = false;
	int runs = 7;
	double seconds = 0.5;
	const char *tsv_path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--time") == 0) {
			timing = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--kind") == 0) {
			kind = -2;
			for (int k = 0; k < KIND__COUNT; k++)
				if (strcmp(v, kind_names[k]) == 0)
					kind = k;
			if (strcmp(v, "all") == 0)
				kind = -1;
			if (kind == -2)
				usage();
		} else if (strcmp(a, "--count") == 0) {
			count = (uint64_t)number_arg(v, 1, 1e9);
		} else if (strcmp(a, "--runs") == 0) {
			runs = (int)number_arg(v, 1, MAX_RUNS);
		} else if (strcmp(a, "--seconds") == 0) {
			seconds = number_arg(v, 0.001, 600);
		} else if (strcmp(a, "--tsv") == 0) {
			tsv_path = v;
		} else {
			usage();
		}
	}
	if (timing == (count > 0) || (!timing && kind < 0))
		usage();
	if (!timing)
		return count_form((enum kind)kind, count);
	FILE *tsv = NULL;
	if (tsv_path && !(tsv = fopen(tsv_path, "w"))) {
		fprintf(stderr, "bench_txn: cannot write %s\n", tsv_path);
		return 1;
	}
	for (int k = 0; k < KIND__COUNT; k++)
		if (kind < 0 || kind == k)
			time_kind((enum kind)k, runs, seconds, tsv);
	if (tsv && fclose(tsv) != 0) {
		fprintf(stderr, "bench_txn: cannot write %s\n", tsv_path);
		return 1;
	}
	return 0;
}
