#define _GNU_SOURCE /* setgroups */
#include "trace.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char *const tp_names[] = {"", "udp", "tcp", "tls"};

/* Writes a message with the digest response of its credentials masked
 * (Authorization, Proxy-Authorization: the response="..." value, which
 * could be replayed while its nonce lives): a trace holds no credentials.
 * Passwords never reach a message. */
static void write_masked(const char *data, size_t len, FILE *f)
{
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		size_t n = (size_t)(next - p);
		bool creds = (n > 14 && !strncasecmp(p, "Authorization:", 14)) ||
		             (n > 20 && !strncasecmp(p, "Proxy-Authorization:", 20));
		const char *r = NULL;
		for (const char *q = p; creds && q + 10 <= next; q++)
			if (!strncasecmp(q, "response=\"", 10)) {
				r = q + 10;
				break;
			}
		const char *rq = r ? memchr(r, '"', (size_t)(next - r)) : NULL;
		if (rq) {
			fwrite(p, 1, (size_t)(r - p), f);
			fputs("(masked)", f);
			fwrite(rq, 1, (size_t)(next - rq), f);
		} else {
			fwrite(p, 1, n, f);
		}
		p = next;
	}
}

static void print_message(const struct tool_trace *t, bool sent, const struct sipd_flow *flow,
                          const char *data, size_t len)
{
	char ip[64];
	int n = sipd_addr_format(&flow->remote, ip, sizeof ip);
	bool v6 = flow->remote.family == 6;
	fprintf(stderr, "%s %s %s:%s%.*s%s:%u (%zu bytes) at %.3f s\n", sent ? "==>" : "<==",
	        sent ? "to" : "from", tp_names[flow->transport % 4], v6 ? "[" : "", n < 0 ? 0 : n,
	        ip, v6 ? "]" : "", flow->remote.port, len,
	        (double)sipd_runtime_now(t->rt) / 1000.0);
	write_masked(data, len, stderr);
	if (!len || data[len - 1] != '\n')
		fputc('\n', stderr);
	fputc('\n', stderr);
}

static bool same(struct sipd_str s, const char *c)
{
	return c[0] && strlen(c) == s.len && !memcmp(c, s.p, s.len);
}

/* The column of a remote endpoint, added when new; -1 when there is no room. */
static int column(struct tool_trace *t, const struct sipd_addr *a)
{
	for (size_t i = 0; i < t->ncol; i++)
		if (sipd_addr_equal(&t->col[i], a) && t->col[i].port == a->port)
			return (int)i;
	if (t->ncol == LADDER_MAX_COLS - 1)
		return -1;
	t->col[t->ncol] = *a;
	return (int)t->ncol++;
}

static void note(struct tool_trace *t, bool sent, const struct sipd_flow *flow, const char *data,
                 size_t len)
{
	struct sipd_msg m;
	struct sipd_hdr hdrs[64];
	if (sipd_msg_parse(&m, hdrs, 64, data, len,
	                   flow->transport == SIPD_TP_UDP ? SIPD_FRAME_DATAGRAM : SIPD_FRAME_STREAM,
	                   NULL, NULL) <= 0 ||
	    !m.call_id.len || m.call_id.len >= sizeof t->callid[0])
		return;
	/* the first call: the first initial INVITE each way */
	if (m.is_request && m.method == SIPD_METHOD_INVITE && !m.to.tag.len &&
	    !t->callid[sent][0] && !same(m.call_id, t->callid[!sent])) {
		memcpy(t->callid[sent], m.call_id.p, m.call_id.len);
		t->callid[sent][m.call_id.len] = 0;
	}
	if (!same(m.call_id, t->callid[0]) && !same(m.call_id, t->callid[1]))
		return;
	if (t->nrows == LADDER_MAX_ROWS) {
		t->truncated = true;
		return;
	}
	int c = column(t, &flow->remote);
	if (c < 0)
		return;
	uint64_t now = sipd_runtime_now(t->rt);
	if (!t->nrows)
		t->t0 = now;
	struct ladder_row *r = &t->rows[t->nrows++];
	r->at = now - t->t0;
	/* columns are placed when printing: remote ones are 1.. here, ours 0 */
	r->from = sent ? 0 : (uint8_t)(c + 1);
	r->to = sent ? (uint8_t)(c + 1) : 0;
	bool sdp = m.body.len && sipd_msg_has_session_body(&m);
	if (m.is_request)
		snprintf(r->label, sizeof r->label, "%.*s%s", (int)m.method_name.len, m.method_name.p,
		         sdp ? " (SDP)" : "");
	else if (m.cseq.method == SIPD_METHOD_INVITE)
		snprintf(r->label, sizeof r->label, "%u %.*s%s", m.status, (int)m.reason.len,
		         m.reason.p, sdp ? " (SDP)" : "");
	else /* which request it answers */
		snprintf(r->label, sizeof r->label, "%u %.*s [%.*s]", m.status, (int)m.reason.len,
		         m.reason.p, (int)m.cseq.method_name.len, m.cseq.method_name.p);
}

void tool_trace_hook(void *user, bool sent, const struct sipd_flow *flow, const char *data,
                     size_t len)
{
	struct tool_trace *t = user;
	if (t->print)
		print_message(t, sent, flow, data, len);
	if (t->ladder)
		note(t, sent, flow, data, len);
}

enum { GAP = 32, MARGIN = 10 };

void tool_ladder_print(const struct tool_trace *t, FILE *f)
{
	if (!t->ladder)
		return;
	if (!t->nrows) {
		fprintf(f, "(no call to draw)\n");
		return;
	}
	/* the order of the columns: with two peers or more (a b2bua), ours goes
	 * second, between the caller's and the callee's */
	size_t ncols = t->ncol + 1;
	size_t pos[LADDER_MAX_COLS + 1]; /* ladder column of each: 0 ours, 1.. peers */
	pos[0] = t->ncol >= 2 ? 1 : 0;
	for (size_t i = 0; i < t->ncol; i++)
		pos[i + 1] = t->ncol >= 2 ? (i == 0 ? 0 : i + 1) : i + 1;
	/* heading: names centred on their lines */
	char line[MARGIN + GAP * (LADDER_MAX_COLS + 1) + 2];
	size_t width = MARGIN + GAP * (ncols - 1) + 1;
	memset(line, ' ', width);
	line[width] = 0;
	for (size_t i = 0; i < ncols; i++) {
		char name[48];
		if (i == 0) {
			snprintf(name, sizeof name, "%s", t->self);
		} else {
			char ip[48];
			int n = sipd_addr_format(&t->col[i - 1], ip, sizeof ip);
			snprintf(name, sizeof name, "%.*s:%u", n < 0 ? 0 : n, ip, t->col[i - 1].port);
		}
		size_t len = strlen(name), x = MARGIN + GAP * pos[i];
		size_t start = x >= len / 2 ? x - len / 2 : 0;
		if (start + len > width)
			start = width > len ? width - len : 0;
		memcpy(line + start, name, len < width - start ? len : width - start);
	}
	fprintf(f, "%s\n", line);
	for (size_t k = 0; k < t->nrows; k++) {
		const struct ladder_row *r = &t->rows[k];
		memset(line, ' ', width);
		for (size_t i = 0; i < ncols; i++)
			line[MARGIN + GAP * i] = '|';
		size_t a = MARGIN + GAP * pos[r->from], b = MARGIN + GAP * pos[r->to];
		size_t lo = a < b ? a : b, hi = a < b ? b : a;
		for (size_t x = lo + 1; x < hi; x++)
			line[x] = '-';
		if (a < b)
			line[hi - 1] = '>';
		else
			line[lo + 1] = '<';
		size_t len = strlen(r->label);
		if (len > hi - lo - 6) /* room for the head and a space each side */
			len = hi - lo - 6;
		size_t start = lo + (hi - lo - len) / 2;
		line[start - 1] = ' ';
		memcpy(line + start, r->label, len);
		line[start + len] = ' ';
		char stamp[16];
		int n = snprintf(stamp, sizeof stamp, "%7.3f", (double)r->at / 1000.0);
		memcpy(line, stamp, (size_t)n < MARGIN - 2 ? (size_t)n : MARGIN - 2);
		fprintf(f, "%s\n", line);
	}
	if (t->truncated)
		fprintf(f, "(more messages of this call not drawn)\n");
}

const char tool_output_usage[] =
	"  --trace              print every SIP message sent and received\n"
	"  --ladder             draw the first call as a ladder diagram at the end\n"
	"  --log-format F       text (default) or json: how counter lines are printed\n"
	"  --stats-interval S   print the counters every S seconds too\n"
	"  --max-transactions N server transactions open at once at most (default\n"
	"                       100000); new requests beyond get 503 with Retry-After.\n"
	"                       Each call keeps two for 32 s after it over UDP (RFC 6026\n"
	"                       Timer L, RFC 3261 Timer J): raise it above 64 x calls/s\n"
	"  --to-source          send requests within a dialog where the peer's messages\n"
	"                       come from, not to its Contact or first Record-Route\n"
	"                       (RFC 3261 12.2.1.1): for peers behind a NAT\n"
	"  --user NAME          started as root: go on as NAME once the listeners are\n"
	"                       bound (default nobody; root keeps root)\n";

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TOOL_ASAN 1
#endif

int tool_drop_root(const struct tool_output *o, const char *cmd)
{
	if (geteuid() != 0)
		return 0; /* nothing to give up (--user is for root only) */
	const char *name = o->user ? o->user : "nobody";
	if (!strcmp(name, "root"))
		return 0;
	const struct passwd *pw = getpwnam(name);
	if (!pw) {
		fprintf(stderr,
		        "sipdialog %s: started as root, and there is no user '%s' to go on as "
		        "(--user NAME; --user root keeps root)\n",
		        cmd, name);
		return -1;
	}
	if (pw->pw_uid == 0)
		return 0;
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid) || setuid(0) == 0) {
		fprintf(stderr, "sipdialog %s: cannot give up root for '%s': %s\n", cmd, name,
		        strerror(errno));
		return -1;
	}
#ifdef TOOL_ASAN
	/* the leak checker attaches to this process at exit, which a process
	 * that changed its user may not allow */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}

int tool_output_option(struct tool_output *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	bool has = *i + 1 < argc;
	if (!strcmp(a, "--trace")) {
		o->tr.print = true;
	} else if (!strcmp(a, "--ladder")) {
		o->tr.ladder = true;
	} else if (!strcmp(a, "--log-format") && has) {
		const char *v = argv[++*i];
		if (strcmp(v, "text") && strcmp(v, "json")) {
			fprintf(stderr, "sipdialog %s: --log-format is text or json, not '%s'\n", cmd, v);
			return -1;
		}
		o->json = !strcmp(v, "json");
	} else if (!strcmp(a, "--max-transactions") && has) {
		char *end;
		const char *v = argv[++*i];
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || !n || n > 10000000) {
			fprintf(stderr,
			        "sipdialog %s: --max-transactions wants 1 to 10000000, not '%s'\n", cmd,
			        v);
			return -1;
		}
		o->max_transactions = (uint32_t)n;
	} else if (!strcmp(a, "--to-source")) {
		o->to_source = true;
	} else if (!strcmp(a, "--user") && has) {
		o->user = argv[++*i];
	} else if (!strcmp(a, "--stats-interval") && has) {
		char *end;
		const char *v = argv[++*i];
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || !n || n > 86400) {
			fprintf(stderr, "sipdialog %s: --stats-interval wants 1 to 86400 s, not '%s'\n",
			        cmd, v);
			return -1;
		}
		o->stats_interval = (uint32_t)n;
	} else {
		return 0;
	}
	return 1;
}

void tool_print_counters(const struct tool_output *o, const char *event,
                         const struct tool_counter *c, size_t n)
{
	if (o->json) {
		fprintf(stderr, "{\"event\":\"%s\",\"time\":%.3f", event,
		        o->tr.rt ? (double)(sipd_runtime_now(o->tr.rt) - o->t0) / 1000.0 : 0.0);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, ",\"%s\":%llu", c[i].name, (unsigned long long)c[i].value);
		fputs("}\n", stderr);
		return;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s: %llu", i ? ", " : "", c[i].name, (unsigned long long)c[i].value);
	fputc('\n', stderr);
}
