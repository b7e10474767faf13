/* The transferee's side of a call transfer, shared by `sipdialog uas` and
 * `sipdialog uac` (--accept-refer): a REFER accepted within a call
 * (RFC 3515 §2.4.2) places the referred call, and the call's progress goes
 * to the REFER's subscription as message/sipfrag NOTIFYs (§2.4.5), the last
 * one terminating it. The referred calls are owned here: answered, they are
 * held for a set time and ended with BYE; a stop ends them all. */
#ifndef SIPD_TOOLS_TRANSFER_H
#define SIPD_TOOLS_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipdialog/runtime.h>
#include <sipdialog/session.h>
#include <sipdialog/subscription.h>

struct transfers;

struct transfers_config {
	struct sipd_runtime *rt;
	struct sipd_session_env *env;
	uint32_t hangup_ms; /* an answered referred call ends with BYE after this;
	                       0: it is held until the peer's BYE or a stop */
	/* A referred call ended (answered or not); may be NULL. */
	void (*ended)(void *arg, bool answered);
	void *arg;
};

/* NULL when out of memory. */
struct transfers *transfers_create(const struct transfers_config *cfg);
/* For the subscription module's refer callback: places the call that
 * sub's Refer-To names (a SIP or SIPS URI with a numeric host: no names
 * are resolved here) and returns 202, or the status that refuses the
 * REFER: 400 (a Refer-To that is not such a URI), 488 (a host we cannot
 * reach), 500 (no memory). */
unsigned transfers_refer(struct transfers *t, struct sipd_subscription *sub);
/* sub ended (its NOTIFY terminated sent, or it timed out): nothing more is
 * reported to it. Call it before freeing sub. */
void transfers_forget(struct transfers *t, struct sipd_subscription *sub);
/* Referred calls not yet ended. */
size_t transfers_live(const struct transfers *t);
/* Placed and answered so far. */
uint64_t transfers_placed(const struct transfers *t);
uint64_t transfers_answered(const struct transfers *t);
/* Ends every referred call properly: BYE, or CANCEL before the answer. */
void transfers_stop(struct transfers *t);
/* Frees everything without signalling; from outside the loop's callbacks,
 * before the runtime is destroyed (the calls own timers of its loop). */
void transfers_destroy(struct transfers *t);

#endif
