/* What the command's roles print about the messages they exchange: every
 * message (--trace), and the first call as a ladder diagram (--ladder). Fed
 * by the runtime's trace hook. */
#ifndef SIPD_TOOLS_TRACE_H
#define SIPD_TOOLS_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include <sipdialog/runtime.h>
#include <sipdialog/session.h>

#define LADDER_MAX_ROWS 64
#define LADDER_MAX_COLS 4

struct ladder_row {
	uint64_t at;       /* ms since the first row */
	uint8_t from, to;  /* columns */
	char label[40];
};

struct tool_trace {
	struct sipd_runtime *rt;
	const char *self;  /* our role's name, the ladder's own column */
	bool print;        /* --trace: every message to stderr */
	bool ladder;       /* --ladder: keep the first call's messages */
	/* the first call: the Call-IDs of the first initial INVITE we received
	 * and of the first we sent (a b2bua has one of each) */
	char callid[2][96];
	uint64_t t0;
	struct sipd_addr col[LADDER_MAX_COLS]; /* remote endpoints, in order seen */
	size_t ncol;
	struct ladder_row rows[LADDER_MAX_ROWS];
	size_t nrows;
	bool truncated;
};

/* What every role prints, set by the options they share: --trace, --ladder,
 * --log-format text|json, --stats-interval S. */
struct tool_output {
	struct tool_trace tr;
	bool json;               /* counters as one JSON object a line */
	uint32_t stats_interval; /* s between counter lines; 0: only at the end */
	uint64_t t0;             /* when the role started (its "time" 0) */
	const char *user;        /* --user NAME: whom to run as, started as root */
	uint32_t max_transactions; /* --max-transactions N; 0: the stack's default */
	bool to_source;            /* --to-source: in-dialog requests where the peer sends from */
};

/* Takes argv[*i] when it is one of the shared options (and its value):
 * returns 1 (and *i moved past the value), 0 when it is not one, -1 for a
 * bad value (a message is printed, prefixed by `cmd`). */
int tool_output_option(struct tool_output *o, const char *cmd, int argc, char **argv, int *i);
/* Started as root: once the listeners are bound and the files read, the
 * role goes on as --user (default "nobody"; "root" keeps root), since
 * nothing after that needs root. Returns 0, or -1 with a message (no such
 * user, or the switch failed): the role must not go on. */
int tool_drop_root(const struct tool_output *o, const char *cmd);
/* The usage lines of the shared options. */
extern const char tool_output_usage[];

/* One counter of a role's summary. */
struct tool_counter {
	const char *name;
	uint64_t value;
};
/* Prints counters to stderr: "name: v, name: v" (text), or as a JSON object
 * {"event":EVENT,"time":s,"name":v,...} (json). */
void tool_print_counters(const struct tool_output *o, const char *event,
                         const struct tool_counter *c, size_t n);

/* The runtime's trace hook: `user` is a struct tool_trace. */
void tool_trace_hook(void *user, bool sent, const struct sipd_flow *flow, const char *data,
                     size_t len);
/* Prints the ladder of the first call (nothing when --ladder was not asked). */
void tool_ladder_print(const struct tool_trace *t, FILE *f);

#endif
