#include "common/timer.h"

#include <stdlib.h>

#include <sipdialog/common.h>

void sipd_timer_init(struct sipd_timer *t, uint8_t kind)
{
	t->at = 0;
	t->idx = UINT32_MAX;
	t->kind = kind;
}

void sipd_timers_free(struct sipd_timers *ts)
{
	/* The timers themselves are not touched: their owners may be gone. */
	free(ts->heap);
	ts->heap = NULL;
	ts->len = ts->cap = 0;
}

static void place(struct sipd_timers *ts, size_t i, struct sipd_timer *t)
{
	ts->heap[i] = t;
	t->idx = (uint32_t)i;
}

static void sift_up(struct sipd_timers *ts, size_t i)
{
	struct sipd_timer *t = ts->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (ts->heap[parent]->at <= t->at)
			break;
		place(ts, i, ts->heap[parent]);
		i = parent;
	}
	place(ts, i, t);
}

static void sift_down(struct sipd_timers *ts, size_t i)
{
	struct sipd_timer *t = ts->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= ts->len)
			break;
		if (c + 1 < ts->len && ts->heap[c + 1]->at < ts->heap[c]->at)
			c++;
		if (ts->heap[c]->at >= t->at)
			break;
		place(ts, i, ts->heap[c]);
		i = c;
	}
	place(ts, i, t);
}

void sipd_timer_cancel(struct sipd_timers *ts, struct sipd_timer *t)
{
	if (t->idx == UINT32_MAX)
		return;
	size_t i = t->idx;
	t->idx = UINT32_MAX;
	ts->len--;
	if (i == ts->len)
		return;
	struct sipd_timer *moved = ts->heap[ts->len];
	place(ts, i, moved);
	sift_down(ts, i);
	sift_up(ts, moved->idx);
}

int sipd_timer_arm(struct sipd_timers *ts, struct sipd_timer *t, uint64_t at)
{
	sipd_timer_cancel(ts, t);
	if (ts->len == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 64;
		struct sipd_timer **nh = realloc(ts->heap, cap * sizeof *nh);
		if (!nh)
			return SIPD_ENOMEM;
		ts->heap = nh;
		ts->cap = cap;
	}
	t->at = at;
	place(ts, ts->len++, t);
	sift_up(ts, ts->len - 1);
	return 0;
}

struct sipd_timer *sipd_timers_pop_due(struct sipd_timers *ts, uint64_t now)
{
	if (!ts->len || ts->heap[0]->at > now)
		return NULL;
	struct sipd_timer *t = ts->heap[0];
	sipd_timer_cancel(ts, t);
	return t;
}

uint64_t sipd_timers_next(const struct sipd_timers *ts)
{
	return ts->len ? ts->heap[0]->at : UINT64_MAX;
}
