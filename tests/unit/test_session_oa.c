/* The offer/answer engine (RFC 3264 §4, RFC 6337 §2-3), session bodies
 * (RFC 3261 §20.11) and media directions (RFC 3264 §5.1, §8.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/session.h>

#define S(lit) ((struct sipd_str){lit, sizeof(lit) - 1})

static bool eq(struct sipd_str s, const char *lit)
{
	return s.len == strlen(lit) && (!s.len || memcmp(s.p, lit, s.len) == 0);
}

static void rfc3264_4_offer_then_answer(void **state)
{
	(void)state;
	struct sipd_oa oa;
	sipd_oa_init(&oa);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_INITIAL);
	assert_int_equal(sipd_oa_send_offer(&oa, S("offer1")), 0);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_HAVE_LOCAL_OFFER);
	assert_true(sipd_oa_expects_answer(&oa));
	assert_true(eq(sipd_oa_pending_offer(&oa), "offer1"));
	/* one offer at a time: glare (RFC 3261 §14.2 answers it 491) */
	assert_int_equal(sipd_oa_recv_offer(&oa, S("theirs")), SIPD_ESTATE);
	assert_int_equal(sipd_oa_send_offer(&oa, S("again")), SIPD_ESTATE);
	/* only an answer completes it; ours would be nonsense */
	assert_int_equal(sipd_oa_send_answer(&oa, S("x")), SIPD_ESTATE);
	assert_int_equal(sipd_oa_recv_answer(&oa, S("answer1")), 0);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_local(&oa), "offer1"));
	assert_true(eq(sipd_oa_remote(&oa), "answer1"));
	assert_int_equal(sipd_oa_pending_offer(&oa).len, 0);
	/* a second exchange the other way: they offer, we answer */
	assert_int_equal(sipd_oa_recv_offer(&oa, S("offer2")), 0);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_HAVE_REMOTE_OFFER);
	assert_false(sipd_oa_expects_answer(&oa));
	assert_int_equal(sipd_oa_recv_answer(&oa, S("x")), SIPD_ESTATE);
	assert_int_equal(sipd_oa_send_answer(&oa, S("answer2")), 0);
	assert_true(eq(sipd_oa_remote(&oa), "offer2"));
	assert_true(eq(sipd_oa_local(&oa), "answer2"));
	sipd_oa_close(&oa);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_CLOSED);
	assert_int_equal(sipd_oa_send_offer(&oa, S("late")), SIPD_ESTATE);
	assert_string_equal(sipd_oa_state_name(SIPD_OA_HAVE_REMOTE_OFFER), "have-remote-offer");
	sipd_oa_free(&oa);
}

static void rfc6337_3_1_rollback_after_failed_reoffer(void **state)
{
	(void)state;
	struct sipd_oa oa;
	sipd_oa_init(&oa);
	assert_int_equal(sipd_oa_send_offer(&oa, S("o1")), 0);
	assert_int_equal(sipd_oa_recv_answer(&oa, S("a1")), 0);
	/* a re-INVITE with a new offer is rejected (488): back to stable with
	 * the old descriptions, as if it never happened */
	assert_int_equal(sipd_oa_send_offer(&oa, S("o2")), 0);
	sipd_oa_rollback(&oa);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_STABLE);
	assert_true(eq(sipd_oa_local(&oa), "o1"));
	assert_true(eq(sipd_oa_remote(&oa), "a1"));
	/* the same for a received offer we refuse */
	assert_int_equal(sipd_oa_recv_offer(&oa, S("o3")), 0);
	sipd_oa_rollback(&oa);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_STABLE);
	/* an initial INVITE's offer that fails leaves the session initial */
	struct sipd_oa fresh;
	sipd_oa_init(&fresh);
	assert_int_equal(sipd_oa_send_offer(&fresh, S("o")), 0);
	sipd_oa_rollback(&fresh);
	assert_int_equal(sipd_oa_state(&fresh), SIPD_OA_INITIAL);
	/* rollback in stable changes nothing */
	sipd_oa_rollback(&oa);
	assert_int_equal(sipd_oa_state(&oa), SIPD_OA_STABLE);
	sipd_oa_free(&oa);
	sipd_oa_free(&fresh);
}

static void rfc3261_20_11_session_body(void **state)
{
	(void)state;
	struct {
		const char *hdrs;
		const char *body;
		bool session;
	} cases[] = {
		{"Content-Type: application/sdp\r\n", "v=0\r\n", true},
		{"Content-Type: application/sdp\r\nContent-Disposition: session\r\n", "v=0\r\n", true},
		{"Content-Type: application/sdp\r\nContent-Disposition: render\r\n", "v=0\r\n", false},
		{"Content-Type: text/plain\r\n", "hello", false},
		{"Content-Type: application/sdp\r\n", "", false},
		{"Content-Type: multipart/mixed;boundary=x\r\n", "--x\r\n", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024];
		int n = snprintf(text, sizeof text,
		                 "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
		                 "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
		                 "Call-ID: c\r\nCSeq: 1 INVITE\r\n%sContent-Length: %zu\r\n\r\n%s",
		                 cases[i].hdrs, strlen(cases[i].body), cases[i].body);
		struct sipd_msg m;
		struct sipd_hdr h[16];
		assert_true(sipd_msg_parse(&m, h, 16, text, (size_t)n, SIPD_FRAME_DATAGRAM, NULL, NULL) > 0);
		if (sipd_msg_has_session_body(&m) != cases[i].session)
			fail_msg("case %zu: %s", i, cases[i].hdrs);
	}
}

static void rfc3264_8_4_hold_from_directions(void **state)
{
	(void)state;
	const char *base = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
	char sdp[512];
	struct {
		const char *session_attr, *media_attr;
		enum sipd_sdp_dir dir;
		bool hold;
	} cases[] = {
		{"", "", SIPD_SDP_SENDRECV, false},
		{"", "a=sendonly\r\n", SIPD_SDP_SENDONLY, true},
		{"", "a=inactive\r\n", SIPD_SDP_INACTIVE, true},
		{"", "a=recvonly\r\n", SIPD_SDP_RECVONLY, false},
		{"a=sendonly\r\n", "", SIPD_SDP_SENDONLY, true},
		/* the media section's own attribute wins over the session's */
		{"a=sendonly\r\n", "a=sendrecv\r\n", SIPD_SDP_SENDRECV, false},
		/* text that merely mentions it does not count */
		{"", "a=x-note:sendonly\r\n", SIPD_SDP_SENDRECV, false},
		/* other attributes after the direction leave it alone */
		{"", "a=sendonly\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n", SIPD_SDP_SENDONLY, true},
		{"a=inactive\r\na=tool:x\r\n", "a=rtpmap:0 PCMU/8000\r\n", SIPD_SDP_INACTIVE, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int n = snprintf(sdp, sizeof sdp, "%s%sm=audio 4000 RTP/AVP 0\r\n%s", base,
		                 cases[i].session_attr, cases[i].media_attr);
		struct sipd_str s = {sdp, (size_t)n};
		if (sipd_sdp_direction(s) != cases[i].dir || sipd_sdp_is_hold(s) != cases[i].hold)
			fail_msg("case %zu", i);
	}
	/* RFC 2543 hold: c=IN IP4 0.0.0.0 */
	const char *old = "v=0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	assert_int_equal(sipd_sdp_direction((struct sipd_str){old, strlen(old)}), SIPD_SDP_INACTIVE);
	assert_true(sipd_sdp_is_hold((struct sipd_str){old, strlen(old)}));
	/* a second media section does not override the first */
	const char *two = "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\nm=video 2 RTP/AVP 31\r\n"
	                  "a=inactive\r\n";
	assert_int_equal(sipd_sdp_direction((struct sipd_str){two, strlen(two)}), SIPD_SDP_SENDRECV);
}

/* Two paired engines (a B2BUA's legs) share what one relays from the other
 * unchanged: the very copy, not another. Each keeps its copies however the
 * other moves on (a new exchange, a rollback) or goes; a body that only
 * equals the other's in content is copied. ASan checks the lifetimes. */
static void oa_shared_between_paired_engines(void **state)
{
	(void)state;
	struct sipd_oa a, b;
	sipd_oa_init(&a);
	sipd_oa_init(&b);
	sipd_oa_share(&a, &b);
	/* the caller's offer into A, relayed to B */
	assert_int_equal(sipd_oa_recv_offer(&a, S("offer-from-caller")), 0);
	assert_int_equal(sipd_oa_send_offer(&b, sipd_oa_pending_offer(&a)), 0);
	assert_ptr_equal(sipd_oa_pending_offer(&b).p, sipd_oa_pending_offer(&a).p);
	/* the callee's answer into B, relayed to A */
	assert_int_equal(sipd_oa_recv_answer(&b, S("answer-from-callee")), 0);
	assert_int_equal(sipd_oa_send_answer(&a, sipd_oa_remote(&b)), 0);
	assert_ptr_equal(sipd_oa_local(&a).p, sipd_oa_remote(&b).p);
	assert_ptr_equal(sipd_oa_remote(&a).p, sipd_oa_local(&b).p);
	/* equal bytes elsewhere are copied */
	char same[] = "answer-from-callee";
	assert_int_equal(sipd_oa_send_offer(&a, (struct sipd_str){same, strlen(same)}), 0);
	assert_ptr_not_equal(sipd_oa_pending_offer(&a).p, sipd_oa_remote(&b).p);
	sipd_oa_rollback(&a);
	/* B moves on: A keeps what they shared */
	assert_int_equal(sipd_oa_recv_offer(&b, S("reoffer")), 0);
	assert_int_equal(sipd_oa_send_answer(&b, S("reanswer")), 0);
	assert_true(eq(sipd_oa_local(&a), "answer-from-callee"));
	assert_true(eq(sipd_oa_remote(&a), "offer-from-caller"));
	/* B goes: A's copies stay, and A shares with nobody any more */
	sipd_oa_free(&b);
	assert_null(a.peer);
	assert_true(eq(sipd_oa_local(&a), "answer-from-callee"));
	assert_true(eq(sipd_oa_remote(&a), "offer-from-caller"));
	sipd_oa_free(&a);
}

/* RFC 3264 §6: an answer refusing every stream: the offer's m= lines in
 * order, port 0, the formats kept; a session part of its own. */
static void rfc3264_6_refusing_answer(void **state)
{
	(void)state;
	static const char offer[] = "v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
	                            "t=0 0\r\nm=audio 49170/2 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
	                            "m=video 51372 RTP/SAVP 31\nm=application 9 TCP/BFCP *\r\n";
	char out[512];
	int n = sipd_sdp_refuse((struct sipd_str){offer, strlen(offer)}, out, sizeof out);
	static const char want[] = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
	                           "t=0 0\r\nm=audio 0 RTP/AVP 0 8 101\r\nm=video 0 RTP/SAVP 31\r\n"
	                           "m=application 0 TCP/BFCP *\r\n";
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, strlen(want));
	/* too small a buffer; no m= line; a bad m= line */
	assert_int_equal(sipd_sdp_refuse((struct sipd_str){offer, strlen(offer)}, out, 40),
	                 SIPD_ENOSPC);
	assert_int_equal(sipd_sdp_refuse((struct sipd_str){"v=0\r\n", 5}, out, sizeof out),
	                 SIPD_EINVAL);
	assert_int_equal(sipd_sdp_refuse((struct sipd_str){"m=audio\r\n", 9}, out, sizeof out),
	                 SIPD_EINVAL);
	assert_int_equal(sipd_sdp_refuse(SIPD_STR_NULL, out, sizeof out), SIPD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3264_6_refusing_answer),
		cmocka_unit_test(rfc3264_4_offer_then_answer),
		cmocka_unit_test(rfc6337_3_1_rollback_after_failed_reoffer),
		cmocka_unit_test(rfc3261_20_11_session_body),
		cmocka_unit_test(rfc3264_8_4_hold_from_directions),
		cmocka_unit_test(oa_shared_between_paired_engines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
