/* Internal: the stack object (UA core, RFC 3261 §8) over the transaction layer. */
#ifndef SIPD_CORE_CORE_H
#define SIPD_CORE_CORE_H

#include <sipdialog/stack.h>

#include "txn/txn.h"

#define SIPD_CORE_SLOTS 256 /* header slots for a received message */

struct sipd_stack {
	struct sipd_txl txl;
	struct sipd_stack_config cfg;
	struct sipd_stack_callbacks cb;
	struct sipd_stack_stats stats;
	uint64_t now; /* the time of the entry point being run (sipd_stack_now) */
	uint32_t allow_mask; /* bit per enum sipd_method we handle */
	bool closing;        /* in sipd_stack_destroy: nothing is sent or started */
	char *strings;       /* copies of the configuration's strings and locals */
	struct sipd_local *locals;
};

/* UA core rules for a new request (uas.c). */
void sipd_core_request(struct sipd_stack *st, const struct sipd_msg *m,
                       const struct sipd_flow *from, uint64_t now);
/* A response that no transaction took, sent without state. */
void sipd_core_stateless(struct sipd_stack *st, const struct sipd_msg *req,
                         const struct sipd_flow *from, unsigned code, const char *reason,
                         const char *extra);
void sipd_core_log(struct sipd_stack *st, int level, const char *event, const char *detail);

#endif
