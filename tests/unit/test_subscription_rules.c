/* The subscription rules that need no network: when to refresh (RFC 6665
 * §4.1.2.2, our choice documented in subscription.h), which failures end a
 * subscription (§4.1.2.2, §4.2.2), what each reason says about trying
 * again (§4.1.3), and the status line of a message/sipfrag (RFC 3420, RFC
 * 3515 §2.4.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/subscription.h>

static struct sipd_str S(const char *s) {
	return (struct sipd_str){s, strlen(s)};
}

static void
rfc6665_4_1_2_2_refresh_time(void **state)
{
	(void)state;
	/* 90% while that leaves at least 64*T1 (32 s) */
	assert_int_equal(sipd_sub_refresh_at(1000, 3600, 500), 1000 + 3240000);
	assert_int_equal(sipd_sub_refresh_at(1000, 600, 500), 1000 + 540000);
	/* 64*T1 before the end when 10% is less */
	assert_int_equal(sipd_sub_refresh_at(1000, 100, 500), 1000 + 68000);
	assert_int_equal(sipd_sub_refresh_at(0, 320, 500), 288000);
	/* never before half */
	assert_int_equal(sipd_sub_refresh_at(0, 60, 500), 30000);
	assert_int_equal(sipd_sub_refresh_at(0, 1, 500), 500);
	/* T1 scales the margin; 0 means the default 500 ms */
	assert_int_equal(sipd_sub_refresh_at(0, 100, 250), 84000);
	assert_int_equal(sipd_sub_refresh_at(0, 100, 0), 68000);
	/* nothing to refresh */
	assert_int_equal(sipd_sub_refresh_at(5, 0, 500), UINT64_MAX);
	/* no overflow on the largest duration */
	assert_true(sipd_sub_refresh_at(0, UINT32_MAX, 500) < (uint64_t)UINT32_MAX * 1000);
}

static void rfc6665_4_1_2_2_fatal_statuses(void **state)
{
	(void)state;
	static const unsigned fatal[] = {404, 405, 410, 416, 480, 481, 482,
	                                 483, 484, 485, 489, 501, 604};
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		assert_true(sipd_sub_fatal_status(fatal[i]));
	static const unsigned not_fatal[] = {200, 401, 403, 408, 423, 479, 486, 487, 500, 503, 603};
	for (size_t i = 0; i < sizeof not_fatal / sizeof not_fatal[0]; i++)
		assert_false(sipd_sub_fatal_status(not_fatal[i]));
}

static void rfc6665_4_1_3_retry_advice_per_reason(void **state)
{
	(void)state;
	/* deactivated: at once, retry-after means nothing */
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_DEACTIVATED, 50), 0);
	/* probation and giveup: after retry-after, else at once */
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_PROBATION, 50), 50);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_PROBATION, -1), 0);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_GIVEUP, 7), 7);
	/* timeout: may at once */
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_TIMEOUT, 9), 0);
	/* rejected, noresource, invariant: never (invariant whatever retry-after) */
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_REJECTED, -1), -1);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_NORESOURCE, 10), -1);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_INVARIANT, 31536000), -1);
	/* no or an unknown reason: any time, or after retry-after */
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_OTHER, -1), 0);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_OTHER, 30), 30);
	/* ours */
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_NO_NOTIFY, -1), 0);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_REFUSED, -1), -1);
	assert_int_equal(sipd_sub_retry_advice(SIPD_SUB_END_LOCAL, -1), -1);
}

static void rfc6665_4_1_3_reason_tokens(void **state)
{
	(void)state;
	assert_int_equal(sipd_sub_reason_lookup(S("deactivated")), SIPD_SUB_END_DEACTIVATED);
	assert_int_equal(sipd_sub_reason_lookup(S("probation")), SIPD_SUB_END_PROBATION);
	assert_int_equal(sipd_sub_reason_lookup(S("rejected")), SIPD_SUB_END_REJECTED);
	assert_int_equal(sipd_sub_reason_lookup(S("timeout")), SIPD_SUB_END_TIMEOUT);
	assert_int_equal(sipd_sub_reason_lookup(S("giveup")), SIPD_SUB_END_GIVEUP);
	assert_int_equal(sipd_sub_reason_lookup(S("NoResource")), SIPD_SUB_END_NORESOURCE);
	assert_int_equal(sipd_sub_reason_lookup(S("invariant")), SIPD_SUB_END_INVARIANT);
	assert_int_equal(sipd_sub_reason_lookup(S("expired")), SIPD_SUB_END_OTHER);
	assert_int_equal(sipd_sub_reason_lookup(S("")), SIPD_SUB_END_OTHER);
	/* our own names never read as RFC reasons */
	assert_int_equal(sipd_sub_reason_lookup(S("refused")), SIPD_SUB_END_OTHER);
	for (int r = SIPD_SUB_END_DEACTIVATED; r <= SIPD_SUB_END_INVARIANT; r++)
		assert_int_equal(
			sipd_sub_reason_lookup(S(sipd_sub_reason_name((enum sipd_sub_reason)r))),
			r);
	assert_string_equal(sipd_sub_reason_name(SIPD_SUB_END_NO_NOTIFY), "no-notify");
	assert_string_equal(sipd_sub_reason_name((enum sipd_sub_reason)200), "?");
	assert_string_equal(sipd_sub_state_name(SIPD_SUB_PENDING), "pending");
	assert_string_equal(sipd_sub_state_name(SIPD_SUB_TERMINATED), "terminated");
}

static void rfc3420_sipfrag_status_line(void **state)
{
	(void)state;
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 100 Trying\r\n")), 100);
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 200 OK\r\n")), 200);
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 603 Declined")), 603);
	/* more of the response may follow (RFC 3515 §2.4.5) */
	assert_int_equal(sipd_sipfrag_status(
				 S("SIP/2.0 503 Service Unavailable\r\nWarning: 399 x \"y\"\r\n")),
	                 503);
	/* an empty reason phrase is allowed */
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 180 \r\n")), 180);
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 180\r\n")), 180);
	/* not a status line */
	assert_int_equal(sipd_sipfrag_status(S("INVITE sip:a@b SIP/2.0\r\n")), SIPD_EPARSE);
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 20 OK\r\n")), SIPD_EPARSE);
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 2000 OK\r\n")), SIPD_EPARSE);
	assert_int_equal(sipd_sipfrag_status(S("SIP/2.0 099 Low\r\n")), SIPD_EPARSE);
	assert_int_equal(sipd_sipfrag_status(S("SIP/1.0 200 OK\r\n")), SIPD_EPARSE);
	assert_int_equal(sipd_sipfrag_status(S("")), SIPD_EPARSE);
	assert_int_equal(sipd_sipfrag_status(SIPD_STR_NULL), SIPD_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc6665_4_1_2_2_refresh_time),
		cmocka_unit_test(rfc6665_4_1_2_2_fatal_statuses),
		cmocka_unit_test(rfc6665_4_1_3_retry_advice_per_reason),
		cmocka_unit_test(rfc6665_4_1_3_reason_tokens),
		cmocka_unit_test(rfc3420_sipfrag_status_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
