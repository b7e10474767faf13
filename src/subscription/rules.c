/* Subscriptions: the rules that need no state (RFC 6665 §4.1.2.2, §4.1.3,
 * §4.2.2; RFC 3420 for message/sipfrag). */
#include <string.h>

#include "subscription/sub.h"

uint64_t sipd_sub_refresh_at(uint64_t now, uint32_t granted, uint32_t t1)
{
	if (!granted)
		return UINT64_MAX;
	/* §4.1.2.2 asks for a refresh "before it expires". At 90% the last
	 * tenth is left for the refresh transaction; on short durations that
	 * is too little, so at least 64*T1 (Timer F: the longest a non-INVITE
	 * transaction can take) stays, and never less than half, which leaves
	 * room when the duration is shorter than two transactions. */
	uint64_t span = (uint64_t)granted * 1000;
	uint64_t margin = span / 10;
	uint64_t txn = 64ull * (t1 ? t1 : 500);
	if (margin < txn)
		margin = txn < span / 2 ? txn : span / 2;
	return now + span - margin;
}

bool sipd_sub_fatal_status(unsigned code)
{
	/* §4.1.2.2 and §4.2.2 name the same list */
	switch (code) {
	case 404:
	case 405:
	case 410:
	case 416:
	case 489:
	case 501:
	case 604: return true;
	default: return code >= 480 && code <= 485;
	}
}

int64_t sipd_sub_retry_advice(enum sipd_sub_reason why, int64_t retry_after)
{
	switch (why) {
	case SIPD_SUB_END_DEACTIVATED: /* retry at once; retry-after means nothing */
	case SIPD_SUB_END_TIMEOUT: /* may retry at once */ return 0;
	case SIPD_SUB_END_PROBATION: /* later, and not before retry-after */
	case SIPD_SUB_END_GIVEUP:    /* at once, or after retry-after */
	case SIPD_SUB_END_OTHER:     /* no or an unknown reason: any time, or after it */
		return retry_after > 0 ? retry_after : 0;
	case SIPD_SUB_END_REJECTED:   /* policy said no */
	case SIPD_SUB_END_NORESOURCE: /* nothing left to watch */
	case SIPD_SUB_END_INVARIANT: /* never: the resource cannot be watched, retry-after
	                                or not (RFC 6665 §4.1.3) */
		return -1;
	/* ours: a failed attempt may be made again; a refusal and a
	 * deliberate end are final */
	case SIPD_SUB_END_NO_NOTIFY:
	case SIPD_SUB_END_REFRESH_FAILED:
	case SIPD_SUB_END_EXPIRED: return 0;
	default: return -1;
	}
}

static const char *const reason_names[] = {
	[SIPD_SUB_END_NONE] = "",
	[SIPD_SUB_END_DEACTIVATED] = "deactivated",
	[SIPD_SUB_END_PROBATION] = "probation",
	[SIPD_SUB_END_REJECTED] = "rejected",
	[SIPD_SUB_END_TIMEOUT] = "timeout",
	[SIPD_SUB_END_GIVEUP] = "giveup",
	[SIPD_SUB_END_NORESOURCE] = "noresource",
	[SIPD_SUB_END_INVARIANT] = "invariant",
	[SIPD_SUB_END_OTHER] = "other",
	[SIPD_SUB_END_REFUSED] = "refused",
	[SIPD_SUB_END_NO_NOTIFY] = "no-notify",
	[SIPD_SUB_END_REFRESH_FAILED] = "refresh-failed",
	[SIPD_SUB_END_EXPIRED] = "expired",
	[SIPD_SUB_END_NOTIFY_FAILED] = "notify-failed",
	[SIPD_SUB_END_DIALOG] = "dialog-ended",
	[SIPD_SUB_END_NO_SUBSCRIPTION] = "no-subscription",
	[SIPD_SUB_END_LOCAL] = "local",
};

enum sipd_sub_reason sipd_sub_reason_lookup(struct sipd_str token)
{
	/* reason values are tokens; compared without case like other SIP
	 * parameter values of fixed vocabulary */
	for (int r = SIPD_SUB_END_DEACTIVATED; r <= SIPD_SUB_END_INVARIANT; r++)
		if (sipd_str_ieq(token, reason_names[r]))
			return (enum sipd_sub_reason)r;
	return SIPD_SUB_END_OTHER;
}

const char *sipd_sub_reason_name(enum sipd_sub_reason why)
{
	if ((unsigned)why >= sizeof reason_names / sizeof reason_names[0])
		return "?";
	return reason_names[why];
}

const char *sipd_sub_state_name(enum sipd_sub_state st)
{
	switch (st) {
	case SIPD_SUB_NOTIFY_WAIT: return "notify_wait";
	case SIPD_SUB_PENDING: return "pending";
	case SIPD_SUB_ACTIVE: return "active";
	case SIPD_SUB_TERMINATED: return "terminated";
	}
	return "?";
}

int sipd_sipfrag_status(struct sipd_str body)
{
	/* RFC 3420 §2: a sipfrag may start with a start line; RFC 3515 §2.4.5
	 * requires it to be a Status-Line: "SIP/2.0" SP 3DIGIT SP phrase. */
	const char *p = body.p;
	size_t n = body.len;
	if (!p || n < 12 || memcmp(p, "SIP/2.0 ", 8) != 0)
		return SIPD_EPARSE;
	int code = 0;
	for (size_t i = 8; i < 11; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SIPD_EPARSE;
		code = code * 10 + (p[i] - '0');
	}
	if (code < 100 || (p[11] != ' ' && p[11] != '\r' && p[11] != '\n'))
		return SIPD_EPARSE;
	return code;
}
