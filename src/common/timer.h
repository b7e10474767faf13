/* Internal: the stack's timers, a binary min-heap of deadlines. Insert and
 * cancel are O(log n); the next deadline is O(1). */
#ifndef SIPD_COMMON_TIMER_H
#define SIPD_COMMON_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipdialog/common.h> /* struct sipd_timer */

struct sipd_timers {
	struct sipd_timer **heap;
	size_t len, cap;
};

void sipd_timer_init(struct sipd_timer *t, uint8_t kind);
static inline bool sipd_timer_armed(const struct sipd_timer *t)
{
	return t->idx != UINT32_MAX;
}
void sipd_timers_free(struct sipd_timers *ts);
/* Arms (or re-arms) t at `at`. Returns 0 or SIPD_ENOMEM. */
int sipd_timer_arm(struct sipd_timers *ts, struct sipd_timer *t, uint64_t at);
void sipd_timer_cancel(struct sipd_timers *ts, struct sipd_timer *t);
/* The earliest timer if it is due at `now`, removed from the heap; else NULL. */
struct sipd_timer *sipd_timers_pop_due(struct sipd_timers *ts, uint64_t now);
uint64_t sipd_timers_next(const struct sipd_timers *ts);

#endif
