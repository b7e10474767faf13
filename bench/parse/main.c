/* bench_parse — messages per second and MB/s of SIP parsers over one corpus.
 *
 * Usage:
 *   bench_parse [--corpus DIR] [--runs N] [--seconds S] [--msg-seconds S]
 *               [--tsv FILE] [--parser NAME]
 *   bench_parse --parser NAME --iterations N [--corpus DIR]
 *   bench_parse --list
 *
 * The first form times every parser built in (or only NAME): after a check
 * that each parser accepts and really understands every message, it gives each
 * parser `runs` turns of `seconds` over the whole corpus round-robin, the
 * parsers taking turns within each run (in a rotating order, so that none is
 * always first after another), then a shorter timing of each message alone.
 * It prints a table and, with --tsv, writes the figures for bench/run.sh.
 *
 * The second form runs one parser over the corpus N times without timing, for
 * valgrind --tool=callgrind: the instruction counts of N and 2N iterations
 * differ by exactly N passes of parsing, start-up and checks cancelling out.
 */
#include "bench.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARSERS 4
#define MAX_RUNS 51
#define MAX_MSGS 64

struct options {
	const char *corpus;
	const char *tsv;
	const char *only; /* --parser */
	long iterations;  /* > 0: the callgrind form */
	int runs;
	double seconds;
	double msg_seconds;
	int list;
};

/* One timed stretch of one parser. */
struct sample {
	double secs;
	uint64_t msgs, bytes;
};

struct spread {
	double med, min, max;
};

struct bench {
	struct corpus corpus;
	int usable[MAX_PARSERS]; /* by index of known_parsers: built and initialised */
	const struct bench_parser *parsers[MAX_PARSERS];
	int nparsers;
	size_t active[MAX_MSGS]; /* indices of the messages not excluded */
	size_t nactive;
	size_t pass_bytes;
	struct sample runs[MAX_PARSERS][MAX_RUNS];
	double msg_ns[MAX_PARSERS][MAX_MSGS][MAX_RUNS];
	FILE *tsv;
};

/* Every parser this binary may know, built in or not, so that a missing one is
 * named rather than silently absent. */
struct known {
	const char *name;
	const struct bench_parser *parser; /* NULL when not built */
	const char *why_missing;
};

static const struct known known_parsers[] = {
	{"ours", &bench_ours, NULL},
#ifdef BENCH_HAVE_OSIP
	{"osip", &bench_osip, NULL},
#else
	{"osip", NULL, "libosip2 not found by pkg-config at build time"},
#endif
#ifdef BENCH_HAVE_SOFIA
	{"sofia", &bench_sofia, NULL},
#else
	{"sofia", NULL, "sofia-sip-ua not found by pkg-config at build time"},
#endif
#ifdef BENCH_HAVE_RE
	{"re", &bench_re, NULL},
#else
	{"re", NULL, "libre not found by pkg-config at build time"},
#endif
};

#define NKNOWN (sizeof known_parsers / sizeof known_parsers[0])

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_parse [--corpus DIR] [--runs N] [--seconds S] [--msg-seconds S]\n"
	        "                   [--tsv FILE] [--parser NAME]\n"
	        "       bench_parse --parser NAME --iterations N [--corpus DIR]\n"
	        "       bench_parse --list\n");
	exit(2);
}

static double number_arg(const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_parse: bad number '%s' (%g..%g)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static void parse_args(struct options *o, int argc, char **argv)
{
	*o = (struct options){
		.corpus = BENCH_CORPUS_DIR, .runs = 7, .seconds = 1.0, .msg_seconds = 0.02};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--list") == 0) {
			o->list = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--corpus") == 0)
			o->corpus = v;
		else if (strcmp(a, "--tsv") == 0)
			o->tsv = v;
		else if (strcmp(a, "--parser") == 0)
			o->only = v;
		else if (strcmp(a, "--iterations") == 0)
			o->iterations = (long)number_arg(v, 1, 1e9);
		else if (strcmp(a, "--runs") == 0)
			o->runs = (int)number_arg(v, 1, MAX_RUNS);
		else if (strcmp(a, "--seconds") == 0)
			o->seconds = number_arg(v, 0.001, 600);
		else if (strcmp(a, "--msg-seconds") == 0)
			o->msg_seconds = number_arg(v, 0, 60);
		else
			usage();
	}
	if (o->iterations > 0 && !o->only)
		usage();
}

static void list_parsers(void)
{
	for (size_t i = 0; i < NKNOWN; i++) {
		const struct known *k = &known_parsers[i];

		printf("%-6s %s\n", k->name, k->parser ? k->parser->library : k->why_missing);
	}
}

/* Initialises every parser built in: all of them take part in the checks (see
 * verify_all), even when only one is timed. */
static void init_parsers(struct bench *b)
{
	for (size_t i = 0; i < NKNOWN; i++) {
		const struct known *k = &known_parsers[i];

		if (!k->parser) {
			fprintf(stderr, "bench_parse: no peer %s: %s\n", k->name, k->why_missing);
			if (b->tsv)
				fprintf(b->tsv, "missing\t%s\t%s\n", k->name, k->why_missing);
		} else if (k->parser->init && k->parser->init() != 0) {
			fprintf(stderr, "bench_parse: %s: init failed, left out\n", k->name);
			if (b->tsv)
				fprintf(b->tsv, "missing\t%s\tinit failed\n", k->name);
		} else {
			b->usable[i] = 1;
		}
	}
}

/* Takes the usable parsers: all, or the one asked for. */
static int pick_parsers(struct bench *b, const char *only)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (b->usable[i] && (!only || strcmp(only, known_parsers[i].name) == 0))
			b->parsers[b->nparsers++] = known_parsers[i].parser;
	if (b->nparsers == 0)
		fprintf(stderr, "bench_parse: no parser to run%s%s\n", only ? " named " : "",
		        only ? only : "");
	return b->nparsers > 0 ? 0 : -1;
}

/* Our parser must take every message; a peer that rejects one gets the message
 * left out for everybody, so that all parsers keep timing the same corpus. */
static int verify_one(struct bench *b, const struct bench_parser *p, struct corpus_msg *m)
{
	char why[256] = "";

	if (p->verify(m->buf, m->len, why, sizeof why) == 0 && p->parse(m->buf, m->len) == 0)
		return 0;
	fprintf(stderr, "bench_parse: %s rejects %s: %s\n", p->name, m->name,
	        why[0] ? why : "parse failed after verify passed");
	if (b->tsv)
		fprintf(b->tsv, "rejected\t%s\t%s\t%s\n", p->name, m->name, why);
	if (p == &bench_ours)
		return -1;
	m->excluded = 1;
	return 0;
}

/* Verifies with every usable parser, not only those picked, so that the
 * callgrind form leaves out exactly the messages the timed form leaves out. */
static int verify_all(struct bench *b)
{
	if (b->corpus.n > MAX_MSGS) {
		fprintf(stderr, "bench_parse: more than %d messages in the corpus\n", MAX_MSGS);
		return -1;
	}
	for (size_t i = 0; i < b->corpus.n; i++)
		for (size_t k = 0; k < NKNOWN; k++)
			if (b->usable[k] &&
			    verify_one(b, known_parsers[k].parser, &b->corpus.msgs[i]) != 0)
				return -1;
	for (size_t i = 0; i < b->corpus.n; i++)
		if (!b->corpus.msgs[i].excluded) {
			b->active[b->nactive++] = i;
			b->pass_bytes += b->corpus.msgs[i].len;
		}
	if (b->nactive == 0)
		fprintf(stderr, "bench_parse: no message left to time\n");
	return b->nactive > 0 ? 0 : -1;
}

static void parse_or_die(const struct bench_parser *p, const struct corpus_msg *m)
{
	if (p->parse(m->buf, m->len) != 0) {
		fprintf(stderr, "bench_parse: %s failed on %s while timing\n", p->name, m->name);
		exit(1);
	}
}

/* Whole passes over the corpus until `seconds` have gone by. */
static struct sample time_corpus(const struct bench *b, const struct bench_parser *p,
                                 double seconds)
{
	struct sample s = {0};
	double t0 = now(), t;

	do {
		for (size_t i = 0; i < b->nactive; i++)
			parse_or_die(p, &b->corpus.msgs[b->active[i]]);
		s.msgs += b->nactive;
		s.bytes += b->pass_bytes;
		t = now();
	} while (t - t0 < seconds);
	s.secs = t - t0;
	return s;
}

/* One message over and over, in batches between clock reads; ns per parse. */
static double time_msg(const struct bench_parser *p, const struct corpus_msg *m, double seconds)
{
	enum { BATCH = 32 };
	uint64_t n = 0;
	double t0 = now(), t;

	do {
		for (int i = 0; i < BATCH; i++)
			parse_or_die(p, m);
		n += BATCH;
		t = now();
	} while (t - t0 < seconds);
	return (t - t0) * 1e9 / (double)n;
}

static void time_everything(struct bench *b, const struct options *o)
{
	int np = b->nparsers;

	for (int k = 0; k < np; k++) /* warm caches, branch predictors, allocators */
		time_corpus(b, b->parsers[k], o->seconds / 4);
	for (int r = 0; r < o->runs; r++)
		for (int k = 0; k < np; k++) {
			int q = (r + k) % np;

			b->runs[q][r] = time_corpus(b, b->parsers[q], o->seconds);
		}
	if (o->msg_seconds <= 0)
		return;
	for (int r = 0; r < o->runs; r++)
		for (size_t i = 0; i < b->nactive; i++)
			for (int k = 0; k < np; k++) {
				int q = (r + k) % np;

				b->msg_ns[q][i][r] =
					time_msg(b->parsers[q], &b->corpus.msgs[b->active[i]],
				                 o->msg_seconds);
			}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct spread spread_of(const double *v, int n)
{
	double s[MAX_RUNS];

	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return (struct spread){
		.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2,
		.min = s[0],
		.max = s[n - 1],
	};
}

static struct spread rate_spread(const struct bench *b, int q, int runs, int bytes)
{
	double v[MAX_RUNS];

	for (int r = 0; r < runs; r++) {
		const struct sample *s = &b->runs[q][r];

		v[r] = bytes ? (double)s->bytes / s->secs / 1e6 : (double)s->msgs / s->secs;
	}
	return spread_of(v, runs);
}

static int index_of_ours(const struct bench *b)
{
	for (int q = 0; q < b->nparsers; q++)
		if (b->parsers[q] == &bench_ours)
			return q;
	return -1;
}

static void write_tsv_header(const struct bench *b, const struct options *o)
{
	fprintf(b->tsv, "corpus\t%zu\t%zu\t%zu\n", b->nactive, b->pass_bytes, b->corpus.n);
	fprintf(b->tsv, "config\t%d\t%.3f\t%.3f\n", o->runs, o->seconds, o->msg_seconds);
	for (int q = 0; q < b->nparsers; q++)
		fprintf(b->tsv, "parser\t%s\t%s\n", b->parsers[q]->name, b->parsers[q]->library);
	for (size_t i = 0; i < b->nactive; i++) {
		const struct corpus_msg *m = &b->corpus.msgs[b->active[i]];

		fprintf(b->tsv, "message\t%s\t%zu\t%zu\n", m->name, m->len, m->body_len);
	}
}

static void write_tsv_runs(const struct bench *b, const struct options *o)
{
	for (int q = 0; q < b->nparsers; q++)
		for (int r = 0; r < o->runs; r++) {
			const struct sample *s = &b->runs[q][r];

			fprintf(b->tsv, "run\t%s\t%d\t%llu\t%llu\t%.6f\n", b->parsers[q]->name,
			        r + 1, (unsigned long long)s->msgs, (unsigned long long)s->bytes,
			        s->secs);
		}
}

static void report_summary(const struct bench *b, const struct options *o)
{
	int ours = index_of_ours(b);
	double ours_med = ours >= 0 ? rate_spread(b, ours, o->runs, 0).med : 0;

	printf("\n%-6s %-26s %30s %24s %9s\n", "parser", "library", "messages/s median [min-max]",
	       "MB/s median [min-max]", "ours/this");
	for (int q = 0; q < b->nparsers; q++) {
		struct spread m = rate_spread(b, q, o->runs, 0), mb = rate_spread(b, q, o->runs, 1);
		double ratio = ours >= 0 ? ours_med / m.med : 0;

		printf("%-6s %-26s %9.0f [%8.0f-%8.0f] %7.1f [%6.1f-%6.1f] %9.2f\n",
		       b->parsers[q]->name, b->parsers[q]->library, m.med, m.min, m.max, mb.med,
		       mb.min, mb.max, ratio);
		if (b->tsv)
			fprintf(b->tsv, "summary\t%s\t%.1f\t%.1f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\n",
			        b->parsers[q]->name, m.med, m.min, m.max, mb.med, mb.min, mb.max,
			        ratio);
	}
}

static void report_fastest_peer(const struct bench *b, const struct options *o)
{
	int ours = index_of_ours(b), best = -1;
	double best_med = 0;

	for (int q = 0; q < b->nparsers; q++) {
		double med = rate_spread(b, q, o->runs, 0).med;

		if (q != ours && med > best_med)
			best = q, best_med = med;
	}
	if (ours < 0 || best < 0)
		return;
	printf("\nours / fastest peer (%s): %.2fx\n", b->parsers[best]->name,
	       rate_spread(b, ours, o->runs, 0).med / best_med);
	if (b->tsv)
		fprintf(b->tsv, "fastest\t%s\t%.3f\n", b->parsers[best]->name,
		        rate_spread(b, ours, o->runs, 0).med / best_med);
}

static void report_messages(const struct bench *b, const struct options *o)
{
	if (o->msg_seconds <= 0)
		return;
	printf("\nns per message, median of %d runs:\n%-24s %7s", o->runs, "message", "bytes");
	for (int q = 0; q < b->nparsers; q++)
		printf(" %9s", b->parsers[q]->name);
	printf("\n");
	for (size_t i = 0; i < b->nactive; i++) {
		const struct corpus_msg *m = &b->corpus.msgs[b->active[i]];

		printf("%-24s %7zu", m->name, m->len);
		for (int q = 0; q < b->nparsers; q++) {
			struct spread s = spread_of(b->msg_ns[q][i], o->runs);

			printf(" %9.0f", s.med);
			if (b->tsv)
				fprintf(b->tsv, "msg\t%s\t%s\t%zu\t%.1f\t%.1f\t%.1f\n",
				        b->parsers[q]->name, m->name, m->len, s.med, s.min, s.max);
		}
		printf("\n");
	}
}

static int run_timed(struct bench *b, const struct options *o)
{
	printf("bench_parse: %zu messages, %zu bytes per pass; %d runs of %.2f s per parser\n",
	       b->nactive, b->pass_bytes, o->runs, o->seconds);
	fflush(stdout);
	if (b->tsv)
		write_tsv_header(b, o);
	time_everything(b, o);
	if (b->tsv)
		write_tsv_runs(b, o);
	report_summary(b, o);
	report_fastest_peer(b, o);
	report_messages(b, o);
	return 0;
}

/* The callgrind form: no clock, no output but a count. */
static int run_iterations(struct bench *b, const struct options *o)
{
	const struct bench_parser *p = b->parsers[0];
	uint64_t n = 0;

	for (long it = 0; it < o->iterations; it++)
		for (size_t i = 0; i < b->nactive; i++, n++)
			parse_or_die(p, &b->corpus.msgs[b->active[i]]);
	printf("%s: %llu messages parsed (%ld passes of %zu)\n", p->name, (unsigned long long)n,
	       o->iterations, b->nactive);
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench b; /* large: keep it off the stack */
	struct options o;
	int rc;

	parse_args(&o, argc, argv);
	if (o.list) {
		list_parsers();
		return 0;
	}
	if (o.tsv && !(b.tsv = fopen(o.tsv, "w"))) {
		fprintf(stderr, "bench_parse: cannot write %s: %s\n", o.tsv, strerror(errno));
		return 1;
	}
	if (corpus_load(&b.corpus, o.corpus) != 0)
		return 1;
	init_parsers(&b);
	if (pick_parsers(&b, o.only) != 0 || verify_all(&b) != 0)
		return 1;
	rc = o.iterations > 0 ? run_iterations(&b, &o) : run_timed(&b, &o);
	if (b.tsv && fclose(b.tsv) != 0)
		rc = 1;
	corpus_free(&b.corpus);
	return rc;
}
