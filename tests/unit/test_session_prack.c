/* Reliable provisional responses, 100rel and PRACK (RFC 3262): the UAS's
 * decisions, numbering, retransmission times and PRACK matching (§3, §7.2),
 * and the UAC's sequence guard and RAck (§4, §7.2). */
#include "msg_test.h"

#include <sipdialog/session.h>

#define T1 500u

/* A message from a printf format, parsed from an exact-size copy. `check`:
 * it must also pass sipd_msg_check(), else parsing is enough (for values
 * the check would refuse before our code sees them). */
__attribute__((format(printf, 2, 3))) static struct parsed *msgf_(bool check, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof text);
	struct parsed *p = parse_dgram(text);
	if (check)
		assert_valid(p);
	else
		assert_true(p->rc > 0);
	return p;
}
#define msgf(...) msgf_(true, __VA_ARGS__)

/* An INVITE (CSeq 314159) with extra header lines. */
static struct parsed *invite_with(const char *extra)
{
	struct parsed *p = parse_req_with(extra);
	assert_valid(p);
	return p;
}

/* A PRACK within the dialog, carrying the given RAck lines (or none). */
static struct parsed *prack_with(const char *rack_line)
{
	return msgf_(false,
	             "PRACK sip:bob@192.0.2.4 SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKpr1\r\n"
	             "From: <sip:alice@example.com>;tag=1928\r\n"
	             "To: <sip:bob@example.com>;tag=a6c85cf\r\n"
	             "Call-ID: a84b4c76e66710\r\n"
	             "CSeq: 314160 PRACK\r\n"
	             "Max-Forwards: 70\r\n"
	             "%s"
	             "Content-Length: 0\r\n\r\n",
	             rack_line);
}

/* A response to the INVITE (CSeq 314159 unless told) with extra lines. */
static struct parsed *response_with(unsigned code, const char *to_tag, const char *extra)
{
	return msgf("SIP/2.0 %u %s\r\n"
	            "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabc\r\n"
	            "From: <sip:alice@example.com>;tag=1928\r\n"
	            "To: <sip:bob@example.com>;tag=%s\r\n"
	            "Call-ID: a84b4c76e66710\r\n"
	            "%s"
	            "Content-Length: 0\r\n\r\n",
	            code, sipd_reason_phrase(code), to_tag, extra);
}

/* A UAS for an INVITE with these extra lines; the first RSeq is `first`. */
static void uas_for(struct sipd_rel_uas *u, const char *extra, enum sipd_rel_policy policy,
                    uint32_t first)
{
	struct parsed *inv = invite_with(extra);
	assert_int_equal(sipd_rel_uas_init(u, &inv->msg, policy, T1, first - 1), 0);
	parsed_free(inv);
}

static enum sipd_rel_prack rack(struct sipd_rel_uas *u, uint32_t rseq, uint32_t cseq,
                                enum sipd_method m)
{
	struct sipd_rack r = {.rseq = rseq, .cseq = cseq, .method = (uint8_t)m};
	return sipd_rel_uas_rack(u, &r);
}

static enum sipd_rel_prack prack_text(struct sipd_rel_uas *u, const char *rack_line)
{
	struct parsed *p = prack_with(rack_line);
	enum sipd_rel_prack r = sipd_rel_uas_prack(u, &p->msg);
	parsed_free(p);
	return r;
}

/* ================================================================ UAS: §3 */

static void rfc3262_3_require_100rel_makes_every_non_100_reliable(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_int_equal(sipd_rel_uas_reject(&u, NULL), 0);
	assert_false(sipd_rel_uas_reliable(&u, 100));
	assert_true(sipd_rel_uas_reliable(&u, 101));
	assert_true(sipd_rel_uas_reliable(&u, 180));
	assert_true(sipd_rel_uas_reliable(&u, 183));
	assert_true(sipd_rel_uas_reliable(&u, 199));
	assert_false(sipd_rel_uas_reliable(&u, 200));
	/* every policy that does 100rel at all obeys Require */
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_PREFERRED, 1);
	assert_true(sipd_rel_uas_reliable(&u, 180));
	uas_for(&u, "Supported: timer\r\nRequire: 100rel\r\n", SIPD_REL_REQUIRED, 1);
	assert_int_equal(sipd_rel_uas_reject(&u, NULL), 0);
	assert_true(sipd_rel_uas_reliable(&u, 180));
}

static void rfc3262_3_supported_100rel_is_reliable_by_policy(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Supported: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_false(sipd_rel_uas_reliable(&u, 180)); /* MAY: this policy does not */
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), SIPD_EINVAL);
	uas_for(&u, "Supported: 100rel\r\n", SIPD_REL_PREFERRED, 1);
	assert_true(sipd_rel_uas_reliable(&u, 180));
	assert_false(sipd_rel_uas_reliable(&u, 100));
	uas_for(&u, "Supported: 100rel\r\n", SIPD_REL_REQUIRED, 1);
	assert_int_equal(sipd_rel_uas_reject(&u, NULL), 0);
	assert_true(sipd_rel_uas_reliable(&u, 183));
	uas_for(&u, "Supported: 100rel\r\n", SIPD_REL_OFF, 1);
	assert_false(sipd_rel_uas_reliable(&u, 180));
	/* the tag among others, on a second line, in the compact form, any case */
	uas_for(&u, "Supported: timer, replaces\r\nk: path, 100REL\r\n", SIPD_REL_PREFERRED, 1);
	assert_true(sipd_rel_uas_reliable(&u, 180));
	/* a tag that merely contains it is another tag */
	uas_for(&u, "Supported: 100relx, x100rel\r\n", SIPD_REL_PREFERRED, 1);
	assert_false(sipd_rel_uas_reliable(&u, 180));
}

static void rfc3262_3_without_100rel_never_reliable(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "", SIPD_REL_PREFERRED, 1);
	assert_int_equal(sipd_rel_uas_reject(&u, NULL), 0);
	assert_false(sipd_rel_uas_reliable(&u, 180));
	assert_false(sipd_rel_uas_reliable(&u, 183));
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, NULL), SIPD_EINVAL);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
}

static void rfc3262_3_require_100rel_unwilling_uas_rejects_420(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	char mem[64];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_OFF, 1);
	assert_int_equal(sipd_rel_uas_reject(&u, &b), 420);
	assert_int_equal(sipd_buf_result(&b), strlen("Unsupported: 100rel\r\n"));
	assert_memory_equal(mem, "Unsupported: 100rel\r\n", b.len);
	assert_false(sipd_rel_uas_reliable(&u, 180));
}

static void rfc3261_21_4_16_uas_requiring_100rel_rejects_421(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	char mem[64];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	uas_for(&u, "Supported: timer\r\n", SIPD_REL_REQUIRED, 1);
	assert_int_equal(sipd_rel_uas_reject(&u, &b), 421);
	assert_int_equal(sipd_buf_result(&b), strlen("Require: 100rel\r\n"));
	assert_memory_equal(mem, "Require: 100rel\r\n", b.len);
}

static void rfc3262_3_only_invite(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	struct parsed *p = msgf("OPTIONS sip:bob@example.com SIP/2.0\r\n"
	                        "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKo\r\n"
	                        "From: <sip:alice@example.com>;tag=1928\r\n"
	                        "To: <sip:bob@example.com>\r\n"
	                        "Call-ID: o1\r\n"
	                        "CSeq: 1 OPTIONS\r\n"
	                        "Require: 100rel\r\n"
	                        "Content-Length: 0\r\n\r\n");
	assert_int_equal(sipd_rel_uas_init(&u, &p->msg, SIPD_REL_PREFERRED, T1, 7), SIPD_EINVAL);
	parsed_free(p);
	p = response_with(180, "x", "CSeq: 314159 INVITE\r\n");
	assert_int_equal(sipd_rel_uas_init(&u, &p->msg, SIPD_REL_PREFERRED, T1, 7), SIPD_EINVAL);
	parsed_free(p);
}

static void rfc3262_3_first_rseq_from_random_within_1_to_2_31_minus_1(void **state)
{
	(void)state;
	static const struct {
		uint32_t random, first;
	} cases[] = {
		{0, 1},
		{1, 2},
		{987654320u, 987654321u},
		{0x7ffffffdu, 0x7ffffffeu},
		{0x7ffffffeu, 0x7fffffffu}, /* the top of the range */
		{0x7fffffffu, 1},           /* wraps into the range, never to 0 */
		{0x80000000u, 2},
		{UINT32_MAX, 2},
	};
	struct parsed *inv = invite_with("Require: 100rel\r\n");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sipd_rel_uas u;
		assert_int_equal(
			sipd_rel_uas_init(&u, &inv->msg, SIPD_REL_SUPPORTED, T1, cases[i].random),
			0);
		assert_int_equal(sipd_rel_uas_rseq(&u), 0); /* none sent yet */
		assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
		assert_int_equal(sipd_rel_uas_rseq(&u), cases[i].first);
	}
	parsed_free(inv);
}

static void rfc3262_3_reliable_provisional_carries_require_and_rseq(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	char mem[128];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	uas_for(&u, "Supported: 100rel\r\n", SIPD_REL_PREFERRED, 988789);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, &b), 0);
	const char *want = "Require: 100rel\r\nRSeq: 988789\r\n";
	assert_int_equal(sipd_buf_result(&b), strlen(want));
	assert_memory_equal(mem, want, b.len);
	assert_true(sipd_rel_uas_outstanding(&u));
}

static void rfc3262_3_rseq_one_higher_for_each_reliable_provisional(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 41);
	for (uint32_t i = 0; i < 5; i++) {
		char mem[64];
		char want[64];
		struct sipd_buf b;
		sipd_buf_init(&b, mem, sizeof mem);
		assert_int_equal(sipd_rel_uas_send(&u, i ? 180 : 183, false, 1000 * i, &b), 0);
		assert_int_equal(sipd_rel_uas_rseq(&u), 41 + i);
		snprintf(want, sizeof want, "Require: 100rel\r\nRSeq: %u\r\n", (unsigned)(41 + i));
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(mem, want, b.len);
		assert_int_equal(rack(&u, 41 + i, 314159, SIPD_METHOD_INVITE),
		                 SIPD_REL_PRACK_ACKED);
	}
}

static void rfc3262_3_second_reliable_waits_for_first_prack(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	char mem[64];
	struct sipd_buf b;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 100);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	/* refused, and nothing written or changed */
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 10, &b), SIPD_ESTATE);
	assert_int_equal(b.len, 0);
	assert_int_equal(sipd_rel_uas_rseq(&u), 100);
	assert_int_equal(sipd_rel_uas_deadline(&u), T1);
	assert_int_equal(rack(&u, 100, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	/* the RECOMMENDED wait holds for every later one too */
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 20, NULL), 0);
	assert_int_equal(sipd_rel_uas_rseq(&u), 101);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 30, NULL), SIPD_ESTATE);
}

static void rfc3262_3_retransmissions_t1_doubling_until_64_t1(void **state)
{
	(void)state;
	static const uint64_t times[] = {500, 1500, 3500, 7500, 15500, 31500};
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	uint64_t prev = 0, want_gap = T1;
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		uint64_t d = sipd_rel_uas_deadline(&u);
		assert_int_equal(d, times[i]);
		assert_int_equal(d - prev, want_gap); /* 500, 1000, 2000... no T2 cap */
		assert_int_equal(sipd_rel_uas_advance(&u, d - 1), SIPD_REL_WAIT);
		assert_int_equal(sipd_rel_uas_advance(&u, d), SIPD_REL_RETRANSMIT);
		prev = d;
		want_gap *= 2;
	}
	/* 31500 + 32000 would pass 64*T1: the last deadline is the give-up */
	assert_int_equal(sipd_rel_uas_deadline(&u), 64 * T1);
	assert_int_equal(sipd_rel_uas_advance(&u, 64 * T1 - 1), SIPD_REL_WAIT);
	assert_int_equal(sipd_rel_uas_advance(&u, 64 * T1), SIPD_REL_GIVE_UP);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	assert_int_equal(sipd_rel_uas_advance(&u, 100000), SIPD_REL_WAIT);
}

static void rfc3262_3_retransmissions_other_t1_and_start(void **state)
{
	(void)state;
	static const uint64_t times[] = {100, 300, 700, 1500, 3100, 6300};
	struct sipd_rel_uas u;
	struct parsed *inv = invite_with("Require: 100rel\r\n");
	const uint64_t t0 = 1000000;
	assert_int_equal(sipd_rel_uas_init(&u, &inv->msg, SIPD_REL_SUPPORTED, 100, 0), 0);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, t0, NULL), 0);
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		assert_int_equal(sipd_rel_uas_deadline(&u), t0 + times[i]);
		assert_int_equal(sipd_rel_uas_advance(&u, t0 + times[i]), SIPD_REL_RETRANSMIT);
	}
	assert_int_equal(sipd_rel_uas_deadline(&u), t0 + 6400);
	assert_int_equal(sipd_rel_uas_advance(&u, t0 + 6400), SIPD_REL_GIVE_UP);
	/* T1 0 is the default, 500 */
	assert_int_equal(sipd_rel_uas_init(&u, &inv->msg, SIPD_REL_SUPPORTED, 0, 0), 0);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	assert_int_equal(sipd_rel_uas_deadline(&u), 500);
	parsed_free(inv);
}

static void rfc3262_3_late_advance_sends_one_copy(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	/* 500, 1500 and 3500 are past: one copy, then the schedule goes on */
	assert_int_equal(sipd_rel_uas_advance(&u, 5000), SIPD_REL_RETRANSMIT);
	assert_int_equal(sipd_rel_uas_deadline(&u), 7500);
	assert_int_equal(sipd_rel_uas_advance(&u, 5000), SIPD_REL_WAIT);
	/* past the give-up time: no copy, the give-up */
	assert_int_equal(sipd_rel_uas_advance(&u, 40000), SIPD_REL_GIVE_UP);
}

static void rfc3262_3_no_prack_in_64_t1_rejects_invite_504(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 7);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, NULL), 0);
	while (sipd_rel_uas_advance(&u, sipd_rel_uas_deadline(&u)) == SIPD_REL_RETRANSMIT)
		;
	assert_int_equal(SIPD_REL_TIMEOUT_STATUS, 504);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	/* the 504 is the final response: no new reliable provisional */
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 40000, NULL), SIPD_ESTATE);
	assert_true(sipd_rel_uas_final_allowed(&u, SIPD_REL_TIMEOUT_STATUS));
	assert_int_equal(sipd_rel_uas_final(&u, SIPD_REL_TIMEOUT_STATUS), 0);
	/* a PRACK that comes at last is still answered 200 */
	assert_int_equal(rack(&u, 7, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
}

static void rfc3262_3_matching_prack_stops_retransmissions(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 776656);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	assert_int_equal(sipd_rel_uas_advance(&u, 500), SIPD_REL_RETRANSMIT);
	enum sipd_rel_prack r = rack(&u, 776656, 314159, SIPD_METHOD_INVITE);
	assert_int_equal(r, SIPD_REL_PRACK_ACKED);
	assert_int_equal(sipd_rel_prack_status(r), 200);
	assert_false(sipd_rel_uas_outstanding(&u));
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	assert_int_equal(sipd_rel_uas_advance(&u, 1500), SIPD_REL_WAIT);
	assert_int_equal(sipd_rel_uas_advance(&u, 32000), SIPD_REL_WAIT);
}

static void rfc3262_3_unmatched_prack_gets_481(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 5000);
	/* nothing sent yet */
	assert_int_equal(rack(&u, 5000, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_NO_MATCH);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	static const struct {
		uint32_t rseq, cseq;
		enum sipd_method m;
	} bad[] = {
		{5001, 314159, SIPD_METHOD_INVITE}, /* never sent */
		{4999, 314159, SIPD_METHOD_INVITE}, /* below the first */
		{0, 314159, SIPD_METHOD_INVITE},
		{5000, 314158, SIPD_METHOD_INVITE}, /* another request's CSeq */
		{5000, 314160, SIPD_METHOD_INVITE},
		{5000, 314159, SIPD_METHOD_UPDATE}, /* another method */
		{5000, 314159, SIPD_METHOD_OTHER},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum sipd_rel_prack r = rack(&u, bad[i].rseq, bad[i].cseq, bad[i].m);
		assert_int_equal(r, SIPD_REL_PRACK_NO_MATCH);
		assert_int_equal(sipd_rel_prack_status(r), 481);
	}
	/* none of them touched the outstanding one */
	assert_true(sipd_rel_uas_outstanding(&u));
	assert_int_equal(sipd_rel_uas_deadline(&u), 500);
}

static void rfc3262_3_new_prack_for_acknowledged_response_gets_200_again(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 10);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, NULL), 0);
	assert_int_equal(rack(&u, 10, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	enum sipd_rel_prack r = rack(&u, 10, 314159, SIPD_METHOD_INVITE);
	assert_int_equal(r, SIPD_REL_PRACK_AGAIN);
	assert_int_equal(sipd_rel_prack_status(r), 200);
	/* with the second outstanding, the first is still acknowledged and
	 * the second is the one a PRACK acknowledges */
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 1000, NULL), 0);
	assert_int_equal(rack(&u, 10, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_AGAIN);
	assert_true(sipd_rel_uas_outstanding(&u));
	assert_int_equal(rack(&u, 12, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_NO_MATCH);
	assert_int_equal(rack(&u, 11, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	assert_int_equal(rack(&u, 11, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_AGAIN);
	assert_int_equal(rack(&u, 9, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_NO_MATCH);
	/* the same numbers for another request's CSeq are no match */
	assert_int_equal(rack(&u, 10, 1, SIPD_METHOD_INVITE), SIPD_REL_PRACK_NO_MATCH);
}

static void rfc3262_7_2_prack_message_rack_matching(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 776656);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	/* §7.2: the method compares case-sensitively */
	assert_int_equal(prack_text(&u, "RAck: 776656 314159 invite\r\n"), SIPD_REL_PRACK_NO_MATCH);
	assert_int_equal(prack_text(&u, "RAck: 776656 314159 INVITE\r\n"), SIPD_REL_PRACK_ACKED);
	assert_int_equal(prack_text(&u, "RAck:  776656\t314159  INVITE\r\n"), SIPD_REL_PRACK_AGAIN);
	/* no RAck, or two: a bad request */
	enum sipd_rel_prack r = prack_text(&u, "");
	assert_int_equal(r, SIPD_REL_PRACK_BAD);
	assert_int_equal(sipd_rel_prack_status(r), 400);
	assert_int_equal(prack_text(&u, "RAck: 776656 314159 INVITE\r\nRAck: 1 314159 INVITE\r\n"),
	                 SIPD_REL_PRACK_BAD);
	/* not a PRACK at all */
	struct parsed *inv = invite_with("RAck: 776656 314159 INVITE\r\n");
	assert_int_equal(sipd_rel_uas_prack(&u, &inv->msg), SIPD_REL_PRACK_BAD);
	parsed_free(inv);
}

static void rfc3262_3_2xx_waits_for_prack_of_1xx_with_sdp(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, NULL), 0);
	assert_false(sipd_rel_uas_final_allowed(&u, 200));
	assert_int_equal(sipd_rel_uas_final(&u, 200), SIPD_ESTATE);
	/* refused: retransmissions go on */
	assert_int_equal(sipd_rel_uas_deadline(&u), 500);
	assert_int_equal(sipd_rel_uas_advance(&u, 500), SIPD_REL_RETRANSMIT);
	/* a failure is no offer/answer hazard: it may go at once */
	assert_true(sipd_rel_uas_final_allowed(&u, 486));
	assert_int_equal(rack(&u, 1, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	assert_true(sipd_rel_uas_final_allowed(&u, 200));
	assert_int_equal(sipd_rel_uas_final(&u, 200), 0);
	assert_int_equal(sipd_rel_uas_final(&u, 99), SIPD_EINVAL);
	assert_int_equal(sipd_rel_uas_final(&u, 700), SIPD_EINVAL);
}

static void rfc3262_3_2xx_while_1xx_without_sdp_unacknowledged(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	assert_true(sipd_rel_uas_final_allowed(&u, 200));
	assert_int_equal(sipd_rel_uas_final(&u, 200), 0);
	/* retransmissions stop, no new reliable provisional */
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	assert_int_equal(sipd_rel_uas_advance(&u, 500), SIPD_REL_WAIT);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 600, NULL), SIPD_ESTATE);
	/* but its PRACK is processed */
	assert_true(sipd_rel_uas_outstanding(&u));
	assert_int_equal(rack(&u, 1, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	assert_int_equal(rack(&u, 1, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_AGAIN);
	/* the TU's 2xx retransmissions are final responses too */
	assert_int_equal(sipd_rel_uas_final(&u, 200), 0);
}

static void rfc3262_3_non_2xx_while_1xx_with_sdp_unacknowledged(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Supported: 100rel\r\n", SIPD_REL_PREFERRED, 1);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, NULL), 0);
	assert_int_equal(sipd_rel_uas_final(&u, 486), 0);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	assert_int_equal(sipd_rel_uas_advance(&u, 32000), SIPD_REL_WAIT);
	assert_int_equal(rack(&u, 1, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
}

static void rfc3262_3_rseq_never_wraps(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 1);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	assert_int_equal(rack(&u, 1, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	/* 2**31 reliable provisionals later (set directly: too many to send) */
	u.rseq = UINT32_MAX - 1;
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), 0);
	assert_int_equal(sipd_rel_uas_rseq(&u), UINT32_MAX);
	assert_int_equal(rack(&u, UINT32_MAX, 314159, SIPD_METHOD_INVITE), SIPD_REL_PRACK_ACKED);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, NULL), SIPD_ELIMIT);
	assert_int_equal(sipd_rel_uas_rseq(&u), UINT32_MAX);
	assert_false(sipd_rel_uas_outstanding(&u));
}

static void rfc3262_3_full_header_buffer_changes_nothing(void **state)
{
	(void)state;
	struct sipd_rel_uas u;
	char mem[20];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	uas_for(&u, "Require: 100rel\r\n", SIPD_REL_SUPPORTED, 123456);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, &b), SIPD_ENOSPC);
	assert_int_equal(b.len, 0);
	assert_int_equal(sipd_buf_result(&b), SIPD_ENOSPC);
	assert_false(sipd_rel_uas_outstanding(&u));
	assert_int_equal(sipd_rel_uas_rseq(&u), 0);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	/* with room, the same first number */
	char big[64];
	sipd_buf_init(&b, big, sizeof big);
	assert_int_equal(sipd_rel_uas_send(&u, 180, false, 0, &b), 0);
	assert_int_equal(sipd_rel_uas_rseq(&u), 123456);
}

/* ================================================================ UAC: §4 */

static void rfc3262_4_invite_header_per_policy(void **state)
{
	(void)state;
	static const struct {
		enum sipd_rel_policy p;
		const char *line;
	} cases[] = {
		{SIPD_REL_OFF, ""},
		{SIPD_REL_SUPPORTED, "Supported: 100rel\r\n"},
		{SIPD_REL_PREFERRED, "Supported: 100rel\r\n"},
		{SIPD_REL_REQUIRED, "Require: 100rel\r\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char mem[64];
		struct sipd_buf b;
		sipd_buf_init(&b, mem, sizeof mem);
		sipd_rel_build_invite_header(&b, cases[i].p);
		assert_int_equal(sipd_buf_result(&b), strlen(cases[i].line));
		assert_memory_equal(mem, cases[i].line, b.len);
	}
	char tiny[8];
	struct sipd_buf b;
	sipd_buf_init(&b, tiny, sizeof tiny);
	sipd_rel_build_invite_header(&b, SIPD_REL_REQUIRED);
	assert_int_equal(sipd_buf_result(&b), SIPD_ENOSPC);
}

static void assert_rack(const struct sipd_rel_uac *c, const char *want)
{
	char mem[64];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_rel_uac_build_rack(c, &b), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(mem, want, b.len);
}

static void rfc3262_4_guard_first_sets_sequence(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 1);
	char mem[64];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_rel_uac_build_rack(&c, &b), SIPD_ESTATE); /* nothing to PRACK */
	assert_int_equal(sipd_rel_uac_guard(&c, 776656), SIPD_REL_NEW);
	assert_rack(&c, "RAck: 776656 1 INVITE\r\n"); /* §7.2's example */
	/* any non-zero start is taken, even above 2**31-1 */
	sipd_rel_uac_init(&c, 2);
	assert_int_equal(sipd_rel_uac_guard(&c, 0xfffffff0u), SIPD_REL_NEW);
	assert_rack(&c, "RAck: 4294967280 2 INVITE\r\n");
}

static void rfc3262_4_guard_next_is_exactly_one_higher(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 314159);
	assert_int_equal(sipd_rel_uac_guard(&c, 100), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, 101), SIPD_REL_NEW);
	assert_rack(&c, "RAck: 101 314159 INVITE\r\n");
	assert_int_equal(sipd_rel_uac_guard(&c, 102), SIPD_REL_NEW);
	assert_rack(&c, "RAck: 102 314159 INVITE\r\n");
}

static void rfc3262_4_guard_duplicate_is_discarded_not_re_pracked(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 7);
	assert_int_equal(sipd_rel_uac_guard(&c, 50), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, 50), SIPD_REL_DUPLICATE);
	assert_int_equal(sipd_rel_uac_guard(&c, 50), SIPD_REL_DUPLICATE);
	assert_rack(&c, "RAck: 50 7 INVITE\r\n");
	assert_int_equal(sipd_rel_uac_guard(&c, 51), SIPD_REL_NEW);
}

static void rfc3262_4_guard_lower_is_a_late_retransmission(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 7);
	assert_int_equal(sipd_rel_uac_guard(&c, 50), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, 51), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, 50), SIPD_REL_DUPLICATE);
	assert_int_equal(sipd_rel_uac_guard(&c, 1), SIPD_REL_DUPLICATE);
	assert_int_equal(sipd_rel_uac_guard(&c, 0), SIPD_REL_DUPLICATE);
	assert_rack(&c, "RAck: 51 7 INVITE\r\n");
	assert_int_equal(sipd_rel_uac_guard(&c, 52), SIPD_REL_NEW);
}

static void rfc3262_4_guard_out_of_order_is_dropped(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 7);
	assert_int_equal(sipd_rel_uac_guard(&c, 50), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, 52), SIPD_REL_OUT_OF_ORDER);
	assert_int_equal(sipd_rel_uac_guard(&c, 1000), SIPD_REL_OUT_OF_ORDER);
	assert_int_equal(sipd_rel_uac_guard(&c, UINT32_MAX), SIPD_REL_OUT_OF_ORDER);
	assert_rack(&c, "RAck: 50 7 INVITE\r\n"); /* not moved */
	/* the missing one, then the dropped one again when it is resent */
	assert_int_equal(sipd_rel_uac_guard(&c, 51), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, 52), SIPD_REL_NEW);
}

static void rfc3262_4_guard_no_successor_of_2_32_minus_1(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 7);
	assert_int_equal(sipd_rel_uac_guard(&c, UINT32_MAX - 1), SIPD_REL_NEW);
	assert_int_equal(sipd_rel_uac_guard(&c, UINT32_MAX), SIPD_REL_NEW);
	/* §3: no wrap, so 0 and 1 are not next */
	assert_int_equal(sipd_rel_uac_guard(&c, 0), SIPD_REL_DUPLICATE);
	assert_int_equal(sipd_rel_uac_guard(&c, 1), SIPD_REL_DUPLICATE);
	assert_int_equal(sipd_rel_uac_guard(&c, UINT32_MAX), SIPD_REL_DUPLICATE);
}

static int recv_text(struct sipd_rel_uac *c, unsigned code, const char *tag, const char *extra)
{
	struct parsed *p = response_with(code, tag, extra);
	int r = sipd_rel_uac_recv(c, &p->msg);
	parsed_free(p);
	return r;
}

#define CSEQ_INV "CSeq: 314159 INVITE\r\n"

static void rfc3262_4_reliable_provisional_from_message(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 314159);
	assert_int_equal(recv_text(&c, 180, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 988789\r\n"),
	                 SIPD_REL_NEW);
	assert_rack(&c, "RAck: 988789 314159 INVITE\r\n");
	/* its retransmission */
	assert_int_equal(recv_text(&c, 180, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 988789\r\n"),
	                 SIPD_REL_DUPLICATE);
	/* Require among other tags, any case */
	assert_int_equal(
		recv_text(&c, 183, "a", CSEQ_INV "Require: timer, 100REL\r\nRSeq: 988790\r\n"),
		SIPD_REL_NEW);
	assert_int_equal(recv_text(&c, 183, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 988792\r\n"),
	                 SIPD_REL_OUT_OF_ORDER);
	assert_rack(&c, "RAck: 988790 314159 INVITE\r\n");
}

static void rfc3262_4_100_trying_never_reliable(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 314159);
	assert_int_equal(recv_text(&c, 100, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 5\r\n"),
	                 SIPD_REL_UNRELIABLE);
	assert_false(c.started);
	/* so the first reliable one still sets the sequence */
	assert_int_equal(recv_text(&c, 180, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 9\r\n"),
	                 SIPD_REL_NEW);
	assert_rack(&c, "RAck: 9 314159 INVITE\r\n");
}

static void rfc3262_4_provisional_without_usable_rseq_is_unreliable(void **state)
{
	(void)state;
	static const char *extras[] = {
		CSEQ_INV "Require: 100rel\r\n",                       /* no RSeq */
		CSEQ_INV "Require: 100rel\r\nRSeq: 0\r\n",            /* §7.1: 1 .. 2**32-1 */
		CSEQ_INV "Require: 100rel\r\nRSeq: 4294967296\r\n",   /* too large */
		CSEQ_INV "Require: 100rel\r\nRSeq: 5\r\nRSeq: 6\r\n", /* which one? */
		CSEQ_INV "RSeq: 5\r\n",                               /* not Require: 100rel */
		CSEQ_INV "Require: timer\r\nRSeq: 5\r\n",
		CSEQ_INV "Supported: 100rel\r\nRSeq: 5\r\n",
		CSEQ_INV,
	};
	for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
		struct sipd_rel_uac c;
		sipd_rel_uac_init(&c, 314159);
		/* parse only: check would refuse some of these values outright */
		struct parsed *p = msgf_(false,
		                         "SIP/2.0 183 Session Progress\r\n"
		                         "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabc\r\n"
		                         "From: <sip:alice@example.com>;tag=1928\r\n"
		                         "To: <sip:bob@example.com>;tag=b\r\n"
		                         "Call-ID: a84b4c76e66710\r\n"
		                         "%s"
		                         "Content-Length: 0\r\n\r\n",
		                         extras[i]);
		assert_int_equal(sipd_rel_uac_recv(&c, &p->msg), SIPD_REL_UNRELIABLE);
		assert_false(c.started);
		parsed_free(p);
	}
}

static void rfc3262_4_after_final_reliable_provisionals_are_late(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 314159);
	assert_int_equal(recv_text(&c, 180, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 1\r\n"),
	                 SIPD_REL_NEW);
	assert_int_equal(recv_text(&c, 200, "a", CSEQ_INV), SIPD_REL_UNRELIABLE);
	assert_true(c.final);
	assert_int_equal(recv_text(&c, 183, "a", CSEQ_INV "Require: 100rel\r\nRSeq: 2\r\n"),
	                 SIPD_REL_LATE);
	/* the same when the end came another way (timeout, another fork) */
	sipd_rel_uac_init(&c, 314159);
	sipd_rel_uac_final(&c);
	assert_int_equal(sipd_rel_uac_guard(&c, 1), SIPD_REL_LATE);
	assert_false(c.started);
}

static void rfc3262_4_response_to_another_request_is_refused(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 314159);
	assert_int_equal(
		recv_text(&c, 180, "a", "CSeq: 314158 INVITE\r\nRequire: 100rel\r\nRSeq: 1\r\n"),
		SIPD_EINVAL);
	assert_int_equal(
		recv_text(&c, 180, "a", "CSeq: 314159 UPDATE\r\nRequire: 100rel\r\nRSeq: 1\r\n"),
		SIPD_EINVAL);
	assert_false(c.started);
	struct parsed *inv = invite_with("");
	assert_int_equal(sipd_rel_uac_recv(&c, &inv->msg), SIPD_EINVAL);
	parsed_free(inv);
}

static void rfc3262_4_each_fork_numbers_on_its_own(void **state)
{
	(void)state;
	/* one guard per early dialog (To tag): two UASs, two RSeq spaces */
	struct sipd_rel_uac a, b;
	sipd_rel_uac_init(&a, 314159);
	sipd_rel_uac_init(&b, 314159);
	assert_int_equal(recv_text(&a, 180, "fork-a", CSEQ_INV "Require: 100rel\r\nRSeq: 700\r\n"),
	                 SIPD_REL_NEW);
	assert_int_equal(recv_text(&b, 180, "fork-b", CSEQ_INV "Require: 100rel\r\nRSeq: 12\r\n"),
	                 SIPD_REL_NEW);
	assert_int_equal(recv_text(&a, 183, "fork-a", CSEQ_INV "Require: 100rel\r\nRSeq: 701\r\n"),
	                 SIPD_REL_NEW);
	assert_int_equal(recv_text(&b, 180, "fork-b", CSEQ_INV "Require: 100rel\r\nRSeq: 12\r\n"),
	                 SIPD_REL_DUPLICATE);
	assert_rack(&a, "RAck: 701 314159 INVITE\r\n");
	assert_rack(&b, "RAck: 12 314159 INVITE\r\n");
}

static void rfc3262_7_2_rack_that_does_not_fit(void **state)
{
	(void)state;
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, 314159);
	assert_int_equal(sipd_rel_uac_guard(&c, 988789), SIPD_REL_NEW);
	char mem[20];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_rel_uac_build_rack(&c, &b), SIPD_ENOSPC);
	assert_int_equal(b.len, 0);
}

/* ================================================================ both */

/* A UAS and a UAC through real messages: 183 with SDP, its retransmission,
 * the PRACK built from the UAC's RAck, the 2xx held until then. */
static void rfc3262_3_4_uas_and_uac_together(void **state)
{
	(void)state;
	char inv_hdrs[64];
	struct sipd_buf b;
	sipd_buf_init(&b, inv_hdrs, sizeof inv_hdrs - 1);
	sipd_rel_build_invite_header(&b, SIPD_REL_SUPPORTED);
	inv_hdrs[b.len] = 0;
	struct sipd_rel_uas u;
	struct parsed *inv = invite_with(inv_hdrs);
	assert_int_equal(sipd_rel_uas_init(&u, &inv->msg, SIPD_REL_PREFERRED, T1, 4242), 0);
	struct sipd_rel_uac c;
	sipd_rel_uac_init(&c, inv->msg.cseq.seq);
	parsed_free(inv);

	assert_int_equal(sipd_rel_uas_reject(&u, NULL), 0);
	assert_true(sipd_rel_uas_reliable(&u, 183));
	char extra[256];
	memcpy(extra, CSEQ_INV, sizeof CSEQ_INV);
	sipd_buf_init(&b, extra + strlen(CSEQ_INV), sizeof extra - strlen(CSEQ_INV) - 1);
	assert_int_equal(sipd_rel_uas_send(&u, 183, true, 0, &b), 0);
	extra[strlen(CSEQ_INV) + b.len] = 0;

	assert_int_equal(recv_text(&c, 183, "t", extra), SIPD_REL_NEW);
	/* the PRACK is lost; the UAS retransmits; the UAC discards the copy */
	assert_int_equal(sipd_rel_uas_advance(&u, 500), SIPD_REL_RETRANSMIT);
	assert_int_equal(recv_text(&c, 183, "t", extra), SIPD_REL_DUPLICATE);
	assert_int_equal(sipd_rel_uas_final(&u, 200), SIPD_ESTATE);

	char rack_line[64];
	sipd_buf_init(&b, rack_line, sizeof rack_line - 1);
	assert_int_equal(sipd_rel_uac_build_rack(&c, &b), 0);
	rack_line[b.len] = 0;
	enum sipd_rel_prack r = prack_text(&u, rack_line);
	assert_int_equal(r, SIPD_REL_PRACK_ACKED);
	assert_int_equal(sipd_rel_prack_status(r), 200);
	assert_int_equal(sipd_rel_uas_deadline(&u), UINT64_MAX);
	assert_int_equal(sipd_rel_uas_final(&u, 200), 0);
	assert_int_equal(recv_text(&c, 200, "t", CSEQ_INV), SIPD_REL_UNRELIABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3262_3_require_100rel_makes_every_non_100_reliable),
		cmocka_unit_test(rfc3262_3_supported_100rel_is_reliable_by_policy),
		cmocka_unit_test(rfc3262_3_without_100rel_never_reliable),
		cmocka_unit_test(rfc3262_3_require_100rel_unwilling_uas_rejects_420),
		cmocka_unit_test(rfc3261_21_4_16_uas_requiring_100rel_rejects_421),
		cmocka_unit_test(rfc3262_3_only_invite),
		cmocka_unit_test(rfc3262_3_first_rseq_from_random_within_1_to_2_31_minus_1),
		cmocka_unit_test(rfc3262_3_reliable_provisional_carries_require_and_rseq),
		cmocka_unit_test(rfc3262_3_rseq_one_higher_for_each_reliable_provisional),
		cmocka_unit_test(rfc3262_3_second_reliable_waits_for_first_prack),
		cmocka_unit_test(rfc3262_3_retransmissions_t1_doubling_until_64_t1),
		cmocka_unit_test(rfc3262_3_retransmissions_other_t1_and_start),
		cmocka_unit_test(rfc3262_3_late_advance_sends_one_copy),
		cmocka_unit_test(rfc3262_3_no_prack_in_64_t1_rejects_invite_504),
		cmocka_unit_test(rfc3262_3_matching_prack_stops_retransmissions),
		cmocka_unit_test(rfc3262_3_unmatched_prack_gets_481),
		cmocka_unit_test(rfc3262_3_new_prack_for_acknowledged_response_gets_200_again),
		cmocka_unit_test(rfc3262_7_2_prack_message_rack_matching),
		cmocka_unit_test(rfc3262_3_2xx_waits_for_prack_of_1xx_with_sdp),
		cmocka_unit_test(rfc3262_3_2xx_while_1xx_without_sdp_unacknowledged),
		cmocka_unit_test(rfc3262_3_non_2xx_while_1xx_with_sdp_unacknowledged),
		cmocka_unit_test(rfc3262_3_rseq_never_wraps),
		cmocka_unit_test(rfc3262_3_full_header_buffer_changes_nothing),
		cmocka_unit_test(rfc3262_4_invite_header_per_policy),
		cmocka_unit_test(rfc3262_4_guard_first_sets_sequence),
		cmocka_unit_test(rfc3262_4_guard_next_is_exactly_one_higher),
		cmocka_unit_test(rfc3262_4_guard_duplicate_is_discarded_not_re_pracked),
		cmocka_unit_test(rfc3262_4_guard_lower_is_a_late_retransmission),
		cmocka_unit_test(rfc3262_4_guard_out_of_order_is_dropped),
		cmocka_unit_test(rfc3262_4_guard_no_successor_of_2_32_minus_1),
		cmocka_unit_test(rfc3262_4_reliable_provisional_from_message),
		cmocka_unit_test(rfc3262_4_100_trying_never_reliable),
		cmocka_unit_test(rfc3262_4_provisional_without_usable_rseq_is_unreliable),
		cmocka_unit_test(rfc3262_4_after_final_reliable_provisionals_are_late),
		cmocka_unit_test(rfc3262_4_response_to_another_request_is_refused),
		cmocka_unit_test(rfc3262_4_each_fork_numbers_on_its_own),
		cmocka_unit_test(rfc3262_7_2_rack_that_does_not_fit),
		cmocka_unit_test(rfc3262_3_4_uas_and_uac_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
