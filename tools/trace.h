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

/* The runtime's trace hook: `user` is a struct tool_trace. */
void tool_trace_hook(void *user, bool sent, const struct sipd_flow *flow, const char *data,
                     size_t len);
/* Prints the ladder of the first call (nothing when --ladder was not asked). */
void tool_ladder_print(const struct tool_trace *t, FILE *f);

#endif
