/* The registration rules that need no network: when to refresh (RFC 3261
 * §10.2.4, our rule in registration.h), the back-off between attempts (RFC
 * 5626 §4.5), which failures are retried (§10.2.7), URI equality (§19.1.4,
 * with the RFC's own examples) and the canonical AOR (§10.3 step 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/registration.h>

static struct sipd_str S(const char *s) {
	return (struct sipd_str){s, strlen(s)};
}

static void
rfc3261_10_2_4_refresh_time(void **state)
{
	(void)state;
	/* half of the interval while that is more than 64*T1 */
	assert_int_equal(sipd_reg_refresh_at(1000, 3600, 500), 1000 + 1800000);
	assert_int_equal(sipd_reg_refresh_at(0, 120, 500), 60000);
	/* 64*T1 (32 s) left when half is less */
	assert_int_equal(sipd_reg_refresh_at(0, 60, 500), 28000);
	assert_int_equal(sipd_reg_refresh_at(0, 50, 500), 18000);
	/* never before a quarter */
	assert_int_equal(sipd_reg_refresh_at(0, 40, 500), 10000);
	assert_int_equal(sipd_reg_refresh_at(0, 20, 500), 5000);
	assert_int_equal(sipd_reg_refresh_at(7, 1, 500), 7 + 250);
	/* T1 scales the margin; 0 is 500 */
	assert_int_equal(sipd_reg_refresh_at(0, 100, 500), 50000);
	assert_int_equal(sipd_reg_refresh_at(0, 100, 1000), 36000);
	assert_int_equal(sipd_reg_refresh_at(0, 60, 0), 28000);
	/* nothing granted: nothing to refresh */
	assert_int_equal(sipd_reg_refresh_at(5, 0, 500), UINT64_MAX);
	/* the largest interval does not overflow */
	assert_int_equal(sipd_reg_refresh_at(0, UINT32_MAX, 500), (uint64_t)UINT32_MAX * 500);
}

static void rfc5626_4_5_backoff(void **state)
{
	(void)state;
	/* one failure: W = 30 * 2 = 60 s, a wait between 30 and 60 s */
	assert_int_equal(sipd_reg_retry_delay(1, 30, 1800, 0), 30000);
	assert_int_equal(sipd_reg_retry_delay(1, 30, 1800, 30000), 60000);
	assert_int_equal(sipd_reg_retry_delay(1, 30, 1800, 30001), 30000);
	for (uint32_t rnd = 0; rnd < 100000; rnd += 997) {
		uint64_t w = sipd_reg_retry_delay(2, 30, 1800, rnd);
		assert_true(w >= 60000 && w <= 120000);
	}
	/* 30 * 2^6 = 1920 s is over the cap: 1800 s */
	assert_int_equal(sipd_reg_retry_delay(6, 30, 1800, 0), 900000);
	assert_int_equal(sipd_reg_retry_delay(6, 30, 1800, 900000), 1800000);
	/* no overflow however many failures */
	assert_int_equal(sipd_reg_retry_delay(1000, 30, 1800, 0), 900000);
	assert_int_equal(sipd_reg_retry_delay(1000, 30, UINT32_MAX, 0), (uint64_t)UINT32_MAX * 500);
	/* 0 means the defaults: 30 s and 1800 s */
	assert_int_equal(sipd_reg_retry_delay(1, 0, 0, 0), 30000);
	assert_int_equal(sipd_reg_retry_delay(20, 0, 0, 0), 900000);
	/* another base */
	assert_int_equal(sipd_reg_retry_delay(1, 90, 1800, 0), 90000);
}

static void rfc3261_10_2_7_retryable_statuses(void **state)
{
	(void)state;
	static const unsigned yes[] = {408, 480, 500, 502, 503, 504, 513, 580, 599};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(sipd_reg_status_retryable(yes[i]));
	static const unsigned no[] = {200, 400, 401, 403, 404, 405, 407, 420,
	                              423, 481, 486, 501, 505, 600, 603, 604};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(sipd_reg_status_retryable(no[i]));
}

static void rfc3261_19_1_4_uri_equal(void **state)
{
	(void)state;
	/* the RFC's sets of equivalent URIs */
	assert_true(sipd_reg_uri_equal(S("sip:%61lice@atlanta.com;transport=TCP"),
	                               S("sip:alice@AtLanTa.CoM;Transport=tcp")));
	assert_true(sipd_reg_uri_equal(S("sip:carol@chicago.com"),
	                               S("sip:carol@chicago.com;newparam=5")));
	assert_true(sipd_reg_uri_equal(S("sip:carol@chicago.com;newparam=5"),
	                               S("sip:carol@chicago.com;security=on")));
	assert_true(sipd_reg_uri_equal(
		S("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com"),
		S("sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com")));
	assert_true(
		sipd_reg_uri_equal(S("sip:alice@atlanta.com?subject=project%20x&priority=urgent"),
	                           S("sip:alice@atlanta.com?priority=urgent&subject=project%20x")));
	/* and of URIs that are not */
	assert_false(sipd_reg_uri_equal(S("SIP:ALICE@AtLanTa.CoM;Transport=udp"),
	                                S("sip:alice@AtLanTa.CoM;Transport=UDP")));
	assert_false(sipd_reg_uri_equal(S("sip:bob@biloxi.com"), S("sip:bob@biloxi.com:5060")));
	assert_false(
		sipd_reg_uri_equal(S("sip:bob@biloxi.com"), S("sip:bob@biloxi.com;transport=udp")));
	assert_false(sipd_reg_uri_equal(S("sip:carol@chicago.com"),
	                                S("sip:carol@chicago.com?Subject=next%20meeting")));
	assert_false(
		sipd_reg_uri_equal(S("sip:bob@phone21.boxesbybob.com"), S("sip:bob@192.0.2.4")));
	/* SIP and SIPS never */
	assert_false(sipd_reg_uri_equal(S("sip:bob@biloxi.com"), S("sips:bob@biloxi.com")));
	/* significant parameters in one only; others must agree when in both */
	assert_false(sipd_reg_uri_equal(S("sip:bob@h;maddr=1.2.3.4"), S("sip:bob@h")));
	assert_false(sipd_reg_uri_equal(S("sip:bob@h"), S("sip:bob@h;user=phone")));
	assert_false(sipd_reg_uri_equal(S("sip:bob@h;ttl=1"), S("sip:bob@h")));
	assert_false(sipd_reg_uri_equal(S("sip:bob@h;method=INVITE"), S("sip:bob@h")));
	assert_false(sipd_reg_uri_equal(S("sip:bob@h;security=on"), S("sip:bob@h;security=off")));
	/* user without user, password, case of the user */
	assert_false(sipd_reg_uri_equal(S("sip:h"), S("sip:bob@h")));
	assert_false(sipd_reg_uri_equal(S("sip:bob:pw@h"), S("sip:bob@h")));
	assert_false(sipd_reg_uri_equal(S("sip:Bob@h"), S("sip:bob@h")));
	/* an escaped reserved character is not the character */
	assert_false(sipd_reg_uri_equal(S("sip:a%3bb@h"), S("sip:a;b@h")));
	assert_true(sipd_reg_uri_equal(S("sip:a%3bb@h"), S("sip:a%3Bb@h")));
	/* in <> with a display name */
	assert_true(sipd_reg_uri_equal(S("\"Bob\" <sip:bob@H;lr>"), S("sip:bob@h")));
	/* other schemes: the same text */
	assert_true(sipd_reg_uri_equal(S("tel:+1-201-555-0123"), S("TEL:+1-201-555-0123")));
	assert_false(sipd_reg_uri_equal(S("tel:+1-201-555-0123"), S("tel:+12015550123")));
	assert_false(sipd_reg_uri_equal(S("tel:+1"), S("sip:+1@h")));
	/* what does not parse equals nothing */
	assert_false(sipd_reg_uri_equal(S("not a uri"), S("not a uri")));
	assert_false(sipd_reg_uri_equal(SIPD_STR_NULL, S("sip:h")));
}

static void rfc3261_10_3_step5_canonical_aor(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(
		sipd_reg_aor_canonical(S("sip:%61lice@Biloxi.COM;user=phone"), out, sizeof out),
		strlen("sip:alice@biloxi.com"));
	assert_string_equal(out, "sip:alice@biloxi.com");
	/* in <>, with a port, parameters and headers */
	assert_true(
		sipd_reg_aor_canonical(S("\"Bob\" <SIPS:Bob@Example.ORG:5071;transport=tls?x=y>"),
	                               out, sizeof out) > 0);
	assert_string_equal(out, "sips:Bob@example.org:5071");
	/* escapes undone in the user part, whatever they were */
	assert_true(sipd_reg_aor_canonical(S("sip:a%3Bb%20c@h"), out, sizeof out) > 0);
	assert_string_equal(out, "sip:a;b c@h");
	/* no password */
	assert_true(sipd_reg_aor_canonical(S("sip:alice:secret@h"), out, sizeof out) > 0);
	assert_string_equal(out, "sip:alice@h");
	/* a domain alone */
	assert_true(sipd_reg_aor_canonical(S("sip:Biloxi.com"), out, sizeof out) > 0);
	assert_string_equal(out, "sip:biloxi.com");
	/* errors */
	assert_int_equal(sipd_reg_aor_canonical(S("tel:+1"), out, sizeof out), SIPD_EINVAL);
	assert_int_equal(sipd_reg_aor_canonical(S("no uri"), out, sizeof out), SIPD_EPARSE);
	assert_int_equal(sipd_reg_aor_canonical(S("sip:alice@biloxi.com"), out, 10), SIPD_ENOSPC);
	assert_int_equal(sipd_reg_aor_canonical(S("sip:alice@biloxi.com"), out, 20), SIPD_ENOSPC);
	assert_int_equal(sipd_reg_aor_canonical(S("sip:alice@biloxi.com"), out, 21), 20);
	assert_int_equal(sipd_reg_aor_canonical(SIPD_STR_NULL, out, sizeof out), SIPD_EINVAL);
}

static void registration_state_names(void **state)
{
	(void)state;
	assert_string_equal(sipd_reg_state_name(SIPD_REG_REGISTERED), "registered");
	assert_string_equal(sipd_reg_state_name(SIPD_REG_FAILED), "failed");
	assert_string_equal(sipd_reg_state_name((enum sipd_reg_state)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_10_2_4_refresh_time),
		cmocka_unit_test(rfc5626_4_5_backoff),
		cmocka_unit_test(rfc3261_10_2_7_retryable_statuses),
		cmocka_unit_test(rfc3261_19_1_4_uri_equal),
		cmocka_unit_test(rfc3261_10_3_step5_canonical_aor),
		cmocka_unit_test(registration_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
