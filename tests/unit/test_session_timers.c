/* Session timers, RFC 4028: the config's floors (§4, §5), the UAC's request
 * (§7.1, §7.4), 2xx and 422 (§7.2, §7.3), the UAS's answer (§9 and its
 * refresher table), the two deadlines (§10) and UPDATE or re-INVITE (§7.4). */
#include "msg_test.h"

#include <sipdialog/session.h>

#define RESP_HEAD                                                                                  \
	"SIP/2.0 %s\r\n"                                                                           \
	"Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabc\r\n"                                \
	"From: <sip:alice@example.com>;tag=1928\r\n"                                               \
	"To: <sip:bob@example.com>;tag=b0b\r\n"                                                    \
	"Call-ID: a84b4c76e66710\r\n"                                                              \
	"CSeq: 314159 INVITE\r\n"

/* A response with this status line tail ("200 OK") and extra header lines,
 * parsed; `check`: it must pass sipd_msg_check() too (what the stack gives
 * the session layer), else a parse is enough, for faults check would catch. */
static struct parsed *resp_parse(const char *status, const char *extra, bool check)
{
	char text[2048];
	int n = snprintf(text, sizeof text, RESP_HEAD "%s\r\n", status, extra);
	assert_true(n > 0 && (size_t)n < sizeof text);
	struct parsed *p = parse_dgram(text);
	if (check)
		assert_valid(p);
	else
		assert_true(p->rc > 0);
	return p;
}

static struct parsed *resp_with(const char *status, const char *extra)
{
	return resp_parse(status, extra, true);
}

static struct parsed *invite_with(const char *extra)
{
	struct parsed *p = parse_req_with(extra);
	assert_valid(p);
	return p;
}

static struct parsed *update_with(const char *extra)
{
	char text[2048];
	int n = snprintf(text, sizeof text,
	                 "UPDATE sip:alice@client.example.com SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP server.example.com;branch=z9hG4bKu1\r\n"
	                 "From: <sip:bob@example.com>;tag=b0b\r\n"
	                 "To: <sip:alice@example.com>;tag=1928\r\n"
	                 "Call-ID: a84b4c76e66710\r\n"
	                 "CSeq: 7 UPDATE\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "%s\r\n",
	                 extra);
	assert_true(n > 0 && (size_t)n < sizeof text);
	struct parsed *p = parse_dgram(text);
	assert_valid(p);
	return p;
}

/* What sipd_st_write_request() writes, NUL-terminated in a static buffer. */
static const char *request_lines(const struct sipd_st *st, const struct sipd_st_config *c)
{
	static char mem[512];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem - 1);
	assert_int_equal(sipd_st_write_request(st, c, &b), 0);
	mem[b.len] = '\0';
	return mem;
}

static const char *response_lines(const struct sipd_st_answer *a)
{
	static char mem[512];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem - 1);
	assert_int_equal(sipd_st_write_response(a, &b), 0);
	mem[b.len] = '\0';
	return mem;
}

static struct sipd_st_config config(uint32_t se, uint32_t min_se)
{
	return (struct sipd_st_config){
		.size = sizeof(struct sipd_st_config), .session_expires = se, .min_se = min_se};
}

/* ---------------------------------------------------------------- §4, §5 */

static void rfc4028_4_5_defaults_1800_and_floor_90(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	assert_int_equal(st.ask, 1800);
	assert_int_equal(st.min_se, 90);
	assert_int_equal(st.interval, 0);
	struct sipd_st_config c = config(0, 0);
	sipd_st_init(&st, &c);
	assert_int_equal(st.ask, 1800);
	assert_int_equal(st.min_se, 90);
	/* §5: no Min-SE below 90, and §7.1: no Session-Expires below Min-SE */
	c = config(60, 30);
	sipd_st_init(&st, &c);
	assert_int_equal(st.min_se, 90);
	assert_int_equal(st.ask, 90);
	c = config(300, 600);
	sipd_st_init(&st, &c);
	assert_int_equal(st.ask, 600);
	/* a config of an older, shorter layout gets defaults past its size */
	c = config(1200, 120);
	c.size = offsetof(struct sipd_st_config, min_se);
	sipd_st_init(&st, &c);
	assert_int_equal(st.ask, 1200);
	assert_int_equal(st.min_se, 90);
}

/* ---------------------------------------------------------------- §7.1 */

static void rfc4028_7_1_initial_request_headers(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	/* §7.1: Supported: timer; no refresher named (RECOMMENDED); Min-SE */
	assert_string_equal(request_lines(&st, NULL), "Supported: timer\r\n"
	                                              "Session-Expires: 1800\r\n"
	                                              "Min-SE: 90\r\n");
	struct sipd_st_config c = config(600, 120);
	c.refresher = SIPD_ST_PREFER_LOCAL;
	sipd_st_init(&st, &c);
	assert_string_equal(request_lines(&st, &c), "Supported: timer\r\n"
	                                            "Session-Expires: 600;refresher=uac\r\n"
	                                            "Min-SE: 120\r\n");
	c.refresher = SIPD_ST_PREFER_REMOTE;
	c.omit_supported = true;
	assert_string_equal(request_lines(&st, &c), "Session-Expires: 600;refresher=uas\r\n"
	                                            "Min-SE: 120\r\n");
	/* §7.1: Session-Expires is optional; support alone can be said */
	c = config(0, 0);
	c.support_only = true;
	sipd_st_init(&st, &c);
	assert_string_equal(request_lines(&st, &c), "Supported: timer\r\nMin-SE: 90\r\n");
}

static void rfc4028_7_1_request_that_does_not_fit(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	char mem[20];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_st_write_request(&st, NULL, &b), SIPD_ENOSPC);
	struct sipd_st_answer a = {.interval = 1800, .require = true};
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_st_write_response(&a, &b), SIPD_ENOSPC);
}

/* ---------------------------------------------------------------- §7.2 */

static void rfc4028_7_2_2xx_refresher_uac_means_we_refresh(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	struct parsed *p = resp_with("200 OK", "Require: timer\r\n"
	                                       "Session-Expires: 1200;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	assert_int_equal(st.interval, 1200);
	assert_true(st.we_refresh);
	parsed_free(p);
	/* the compact form x, and refresher=uas: the peer refreshes */
	p = resp_with("200 OK", "x: 900;refresher=uas\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	assert_int_equal(st.interval, 900);
	assert_false(st.we_refresh);
	parsed_free(p);
	/* a 2xx that names no refresher (a §9 violation): we refresh */
	p = resp_with("200 OK", "Session-Expires: 1000\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	assert_int_equal(st.interval, 1000);
	assert_true(st.we_refresh);
	parsed_free(p);
}

static void rfc4028_7_2_2xx_without_session_expires_means_no_timer(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	struct parsed *p = resp_with("200 OK", "");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	assert_int_equal(st.interval, 0);
	assert_int_equal(sipd_st_refresh_at(&st, 0), UINT64_MAX);
	assert_int_equal(sipd_st_expire_at(&st, 0), UINT64_MAX);
	/* unless we insist: then we refresh at what we asked for */
	struct sipd_st_config c = config(600, 0);
	c.insist = true;
	sipd_st_init(&st, &c);
	assert_int_equal(sipd_st_recv_2xx(&st, &c, &p->msg), 0);
	assert_int_equal(st.interval, 600);
	assert_true(st.we_refresh);
	parsed_free(p);
}

static void rfc4028_7_2_timer_turned_off_mid_dialog(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	struct parsed *p = resp_with("200 OK", "Session-Expires: 1800;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	assert_int_equal(st.interval, 1800);
	parsed_free(p);
	/* §7.2: a 2xx to a refresh without Session-Expires turns it off */
	p = resp_with("200 OK", "");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	assert_int_equal(st.interval, 0);
	assert_false(st.we_refresh);
	parsed_free(p);
}

static void rfc4028_7_2_bad_session_expires_in_2xx(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	/* §4: below 90 s is no interval at all */
	struct parsed *p = resp_with("200 OK", "Session-Expires: 30;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), SIPD_EPARSE);
	assert_int_equal(st.interval, 0);
	parsed_free(p);
	p = resp_parse("200 OK", "Session-Expires: 900\r\nSession-Expires: 1800\r\n", false);
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), SIPD_EPARSE);
	assert_int_equal(st.interval, 0);
	parsed_free(p);
}

/* ---------------------------------------------------------------- §7.3 */

static void rfc4028_7_3_422_raises_session_expires_and_min_se(void **state)
{
	(void)state;
	struct sipd_st_config c = config(1800, 0);
	struct sipd_st st;
	sipd_st_init(&st, &c);
	/* §13's flow: a proxy wants 3600 */
	struct parsed *p = resp_with("422 Session Interval Too Small", "Min-SE: 3600\r\n");
	uint32_t se = 0;
	assert_int_equal(sipd_st_recv_422(&st, &c, &p->msg, &se), 0);
	assert_int_equal(se, 3600);
	assert_string_equal(request_lines(&st, &c), "Supported: timer\r\n"
	                                            "Session-Expires: 3600\r\n"
	                                            "Min-SE: 3600\r\n");
	parsed_free(p);
	/* the next hop wants 4000: both rise to the larger */
	p = resp_with("422 Session Interval Too Small", "Min-SE: 4000\r\n");
	assert_int_equal(sipd_st_recv_422(&st, &c, &p->msg, &se), 0);
	assert_int_equal(se, 4000);
	assert_int_equal(st.min_se, 4000);
	parsed_free(p);
	/* the 2xx ends the dance and the count */
	p = resp_with("200 OK", "Session-Expires: 4000;refresher=uas\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, &c, &p->msg), 0);
	assert_int_equal(st.n422, 0);
	assert_int_equal(st.interval, 4000);
	parsed_free(p);
	/* our own Min-SE, when larger than what we asked, is what we sent:
	 * the retry asks for the 422's, which is above both */
	c = config(100, 2000);
	sipd_st_init(&st, &c);
	assert_int_equal(st.ask, 2000);
	p = resp_with("422 Session Interval Too Small", "Min-SE: 2400\r\n");
	assert_int_equal(sipd_st_recv_422(&st, &c, &p->msg, &se), 0);
	assert_int_equal(se, 2400);
	assert_int_equal(st.min_se, 2400);
	parsed_free(p);
}

static void rfc4028_7_3_uac_gives_up_after_a_few_422s(void **state)
{
	(void)state;
	struct sipd_st_config c = config(90, 0);
	struct sipd_st st;
	sipd_st_init(&st, &c);
	char line[64];
	uint32_t se = 0;
	/* every 422 asks for more, yet the loop ends after max_422 (3) */
	for (unsigned i = 1; i <= 4; i++) {
		snprintf(line, sizeof line, "Min-SE: %u\r\n", 100 * i);
		struct parsed *p = resp_with("422 Session Interval Too Small", line);
		int rc = sipd_st_recv_422(&st, &c, &p->msg, &se);
		parsed_free(p);
		if (i <= SIPD_ST_DEFAULT_MAX_422) {
			assert_int_equal(rc, 0);
			assert_int_equal(se, 100 * i);
		} else {
			assert_int_equal(rc, SIPD_ELIMIT);
		}
	}
	/* a configured bound */
	c.max_422 = 1;
	sipd_st_init(&st, &c);
	struct parsed *p = resp_with("422 Session Interval Too Small", "Min-SE: 120\r\n");
	assert_int_equal(sipd_st_recv_422(&st, &c, &p->msg, &se), 0);
	parsed_free(p);
	p = resp_with("422 Session Interval Too Small", "Min-SE: 240\r\n");
	assert_int_equal(sipd_st_recv_422(&st, &c, &p->msg, &se), SIPD_ELIMIT);
	parsed_free(p);
	/* a 422 that asks for no more than we sent would loop: give up */
	sipd_st_init(&st, &c);
	p = resp_with("422 Session Interval Too Small", "Min-SE: 90\r\n");
	assert_int_equal(sipd_st_recv_422(&st, &c, &p->msg, &se), SIPD_ELIMIT);
	parsed_free(p);
}

static void rfc4028_6_7_3_422_without_min_se(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	struct parsed *p = resp_with("422 Session Interval Too Small", "");
	assert_int_equal(sipd_st_recv_422(&st, NULL, &p->msg, NULL), SIPD_EPARSE);
	parsed_free(p);
	p = resp_with("200 OK", "Min-SE: 3600\r\n");
	assert_int_equal(sipd_st_recv_422(&st, NULL, &p->msg, NULL), SIPD_EINVAL);
	parsed_free(p);
	assert_int_equal(st.ask, 1800);
	assert_int_equal(st.min_se, 90);
}

/* ---------------------------------------------------------------- §7.4 */

static void rfc4028_7_4_refresh_keeps_interval_and_refresher(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	struct parsed *p = resp_with("200 OK", "Session-Expires: 1200;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	parsed_free(p);
	/* we refresh: our refresh names us, its UAC */
	assert_string_equal(request_lines(&st, NULL), "Supported: timer\r\n"
	                                              "Session-Expires: 1200;refresher=uac\r\n"
	                                              "Min-SE: 90\r\n");
	/* the peer refreshes: a re-INVITE of ours (say, hold) keeps it so */
	p = resp_with("200 OK", "Session-Expires: 1200;refresher=uas\r\n");
	assert_int_equal(sipd_st_recv_2xx(&st, NULL, &p->msg), 0);
	parsed_free(p);
	assert_string_equal(request_lines(&st, NULL), "Supported: timer\r\n"
	                                              "Session-Expires: 1200;refresher=uas\r\n"
	                                              "Min-SE: 90\r\n");
	/* a 422 to a refresh raises what the retry asks, not the interval in
	 * force until a 2xx agrees */
	p = resp_with("422 Session Interval Too Small", "Min-SE: 1500\r\n");
	uint32_t se;
	assert_int_equal(sipd_st_recv_422(&st, NULL, &p->msg, &se), 0);
	parsed_free(p);
	assert_int_equal(se, 1500);
	assert_int_equal(st.interval, 1200);
	assert_string_equal(request_lines(&st, NULL), "Supported: timer\r\n"
	                                              "Session-Expires: 1500;refresher=uas\r\n"
	                                              "Min-SE: 1500\r\n");
}

static void rfc4028_7_4_update_when_allowed_else_reinvite(void **state)
{
	(void)state;
	struct parsed *p = resp_with("200 OK", "Allow: INVITE, ACK, BYE\r\n"
	                                       "Allow: CANCEL, UPDATE, OPTIONS\r\n");
	assert_int_equal(sipd_st_refresh_method(&p->msg), SIPD_METHOD_UPDATE);
	parsed_free(p);
	p = resp_with("200 OK", "Allow: INVITE, ACK, BYE, CANCEL\r\n");
	assert_int_equal(sipd_st_refresh_method(&p->msg), SIPD_METHOD_INVITE);
	parsed_free(p);
	/* methods are case-sensitive (RFC 3261 §7.1); no Allow, no UPDATE */
	p = resp_with("200 OK", "Allow: update\r\n");
	assert_int_equal(sipd_st_refresh_method(&p->msg), SIPD_METHOD_INVITE);
	parsed_free(p);
	p = resp_with("200 OK", "");
	assert_int_equal(sipd_st_refresh_method(&p->msg), SIPD_METHOD_INVITE);
	parsed_free(p);
	assert_int_equal(sipd_st_refresh_method(NULL), SIPD_METHOD_INVITE);
}

/* ---------------------------------------------------------------- §9 */

static void rfc4028_9_422_when_below_our_min_se(void **state)
{
	(void)state;
	struct sipd_st_config c = config(0, 300);
	struct sipd_st_answer a;
	struct parsed *p = invite_with("Supported: timer\r\nSession-Expires: 120\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 422);
	assert_int_equal(a.min_se, 300);
	assert_string_equal(response_lines(&a), "Min-SE: 300\r\n");
	/* a 422 is not a session: taking it changes nothing */
	struct sipd_st st;
	sipd_st_init(&st, &c);
	sipd_st_answered(&st, &a);
	assert_int_equal(st.interval, 0);
	parsed_free(p);
	/* at our minimum exactly, accepted */
	p = invite_with("Supported: timer\r\nSession-Expires: 300\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 300);
	parsed_free(p);
	/* with the default Min-SE, 89 is below the floor of 90 (§5) */
	p = invite_with("Supported: timer\r\nSession-Expires: 89\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 422);
	assert_string_equal(response_lines(&a), "Min-SE: 90\r\n");
	parsed_free(p);
}

static void rfc4028_9_no_422_to_a_uac_without_support(void **state)
{
	(void)state;
	/* a proxy put Session-Expires: 100 in for a UAC that knows no timers:
	 * a 422 would fail the call, so the interval rises (erratum 1687) */
	struct sipd_st_config c = config(0, 900);
	struct sipd_st_answer a;
	struct parsed *p = invite_with("Session-Expires: 100\r\nMin-SE: 100\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 900);
	assert_true(a.we_refresh);
	assert_false(a.uac_refreshes);
	assert_false(a.require);
	assert_string_equal(response_lines(&a), "Session-Expires: 900;refresher=uas\r\n");
	parsed_free(p);
}

static void rfc4028_9_interval_lowered_not_below_request_min_se(void **state)
{
	(void)state;
	struct sipd_st_config c = config(600, 0);
	struct sipd_st_answer a;
	/* we want 600; the request allows down to 1200 */
	struct parsed *p =
		invite_with("Supported: timer\r\nSession-Expires: 3600\r\nMin-SE: 1200\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 1200);
	assert_int_equal(a.min_se, 1200);
	parsed_free(p);
	/* no Min-SE in the request: down to ours */
	p = invite_with("Supported: timer\r\nSession-Expires: 3600\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 600);
	assert_int_equal(a.min_se, 90);
	parsed_free(p);
	/* never raised: we want 1800 (the default), they ask 600 */
	p = invite_with("Supported: timer\r\nSession-Expires: 600\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_int_equal(a.interval, 600);
	parsed_free(p);
	/* §5: a Min-SE below 90 counts as 90; our wish of 90 is the floor */
	c = config(90, 0);
	p = invite_with("Supported: timer\r\nSession-Expires: 1800\r\nMin-SE: 30\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 90);
	assert_int_equal(a.min_se, 90);
	parsed_free(p);
}

static void rfc4028_9_refresher_table(void **state)
{
	(void)state;
	struct sipd_st_answer a;
	struct parsed *p;
	/* row 1: the UAC does not support timers: the UAS refreshes */
	p = invite_with("Session-Expires: 1800\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_false(a.uac_refreshes);
	assert_true(a.we_refresh);
	parsed_free(p);
	/* ... even when it named uac: it cannot have meant it */
	p = invite_with("Session-Expires: 1800;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_false(a.uac_refreshes);
	parsed_free(p);
	/* row 2: supported, none named: ours to pick, by preference */
	p = invite_with("Supported: timer\r\nSession-Expires: 1800\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_false(a.uac_refreshes);
	assert_true(a.we_refresh);
	struct sipd_st_config c = config(0, 0);
	c.refresher = SIPD_ST_PREFER_REMOTE;
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_true(a.uac_refreshes);
	assert_false(a.we_refresh);
	assert_string_equal(response_lines(&a), "Session-Expires: 1800;refresher=uac\r\n"
	                                        "Require: timer\r\n");
	parsed_free(p);
	/* rows 3 and 4: a refresher named by a UAC with support stands */
	p = invite_with("Supported: 100rel, timer\r\nSession-Expires: 1800;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_true(a.uac_refreshes);
	assert_false(a.we_refresh);
	parsed_free(p);
	p = invite_with("k: timer\r\nx: 1800;refresher=uas\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_false(a.uac_refreshes);
	assert_true(a.we_refresh);
	assert_string_equal(response_lines(&a), "Session-Expires: 1800;refresher=uas\r\n"
	                                        "Require: timer\r\n");
	parsed_free(p);
}

static void rfc4028_9_require_timer_only_when_supported(void **state)
{
	(void)state;
	struct sipd_st_answer a;
	struct parsed *p = invite_with("Supported: timer\r\nSession-Expires: 1800\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_true(a.require);
	assert_string_equal(response_lines(&a), "Session-Expires: 1800;refresher=uas\r\n"
	                                        "Require: timer\r\n");
	parsed_free(p);
	/* Require: timer in the request says support as well */
	p = invite_with("Require: timer\r\nSession-Expires: 1800;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_true(a.require);
	assert_true(a.uac_refreshes);
	parsed_free(p);
	p = invite_with("Supported: 100rel\r\nSession-Expires: 1800\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_false(a.require);
	parsed_free(p);
}

static void rfc4028_9_request_without_session_expires(void **state)
{
	(void)state;
	struct sipd_st_answer a;
	/* support but no request (erratum 632): no timer unless we want one */
	struct parsed *p = invite_with("Supported: timer\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_int_equal(a.interval, 0);
	assert_string_equal(response_lines(&a), "");
	struct sipd_st_config c = config(600, 0);
	c.insist = true;
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 600);
	assert_true(a.we_refresh);
	assert_true(a.require);
	parsed_free(p);
	/* not below the request's Min-SE */
	p = invite_with("Supported: timer\r\nMin-SE: 1000\r\n");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 1000);
	parsed_free(p);
	/* a UAC without support: we refresh, and no Require */
	p = invite_with("");
	assert_int_equal(sipd_st_recv_request(&c, &p->msg, &a), 0);
	assert_int_equal(a.interval, 600);
	assert_true(a.we_refresh);
	assert_false(a.require);
	assert_string_equal(response_lines(&a), "Session-Expires: 600;refresher=uas\r\n");
	parsed_free(p);
}

static void rfc4028_9_malformed_or_repeated_is_400(void **state)
{
	(void)state;
	struct sipd_st_answer a;
	struct parsed *p =
		parse_req_with("Supported: timer\r\nSession-Expires: 900\r\nSession-Expires: 1800\r\n");
	assert_true(p->rc > 0);
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 400);
	assert_string_equal(response_lines(&a), "");
	parsed_free(p);
	p = parse_req_with("Supported: timer\r\nSession-Expires: soon\r\n");
	assert_true(p->rc > 0);
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 400);
	parsed_free(p);
	p = parse_req_with("Supported: timer\r\nSession-Expires: 900;refresher=me\r\n");
	assert_true(p->rc > 0);
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 400);
	parsed_free(p);
	p = parse_req_with("Supported: timer\r\nSession-Expires: 900\r\nMin-SE: x\r\n");
	assert_true(p->rc > 0);
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 400);
	parsed_free(p);
}

static void rfc4028_9_update_and_other_methods(void **state)
{
	(void)state;
	struct sipd_st_answer a;
	/* an UPDATE refresh is answered like an INVITE */
	struct parsed *p = update_with("Supported: timer\r\nSession-Expires: 1200;refresher=uac\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_int_equal(a.interval, 1200);
	assert_true(a.uac_refreshes);
	parsed_free(p);
	/* §4: elsewhere Session-Expires means nothing */
	p = parse_dgram("OPTIONS sip:bob@example.com SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKo\r\n"
	                "From: <sip:alice@example.com>;tag=1\r\n"
	                "To: <sip:bob@example.com>\r\n"
	                "Call-ID: o1\r\nCSeq: 1 OPTIONS\r\n"
	                "Supported: timer\r\nSession-Expires: 10\r\n\r\n");
	assert_valid(p);
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	assert_int_equal(a.interval, 0);
	parsed_free(p);
}

static void rfc4028_9_answered_becomes_the_session_timer(void **state)
{
	(void)state;
	struct sipd_st st;
	sipd_st_init(&st, NULL);
	struct sipd_st_answer a;
	struct parsed *p =
		invite_with("Supported: timer\r\nSession-Expires: 1800\r\nMin-SE: 600\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	parsed_free(p);
	/* deciding changes nothing; sending the 2xx does */
	assert_int_equal(st.interval, 0);
	sipd_st_answered(&st, &a);
	assert_int_equal(st.interval, 1800);
	assert_true(st.we_refresh);
	/* our own refreshes carry the peer's Min-SE: a proxy set it (§7.4) */
	assert_int_equal(st.min_se, 600);
	assert_string_equal(request_lines(&st, NULL), "Supported: timer\r\n"
	                                              "Session-Expires: 1800;refresher=uac\r\n"
	                                              "Min-SE: 600\r\n");
	/* a later refresh without Session-Expires turns the timer off */
	p = update_with("Supported: timer\r\n");
	assert_int_equal(sipd_st_recv_request(NULL, &p->msg, &a), 0);
	sipd_st_answered(&st, &a);
	assert_int_equal(st.interval, 0);
	assert_false(st.we_refresh);
	parsed_free(p);
}

/* ---------------------------------------------------------------- §10 */

static void rfc4028_10_refresh_at_half_bye_before_expiry(void **state)
{
	(void)state;
	struct sipd_st st = {.interval = 1800, .we_refresh = true};
	uint64_t now = 1000000;
	assert_int_equal(sipd_st_refresh_at(&st, now), now + 900000);
	/* the lesser of 32 s and a third: 32 s of 1800 */
	assert_int_equal(sipd_st_expire_at(&st, now), now + 1768000);
	/* the peer refreshes: no refresh of ours, the same BYE deadline */
	st.we_refresh = false;
	assert_int_equal(sipd_st_refresh_at(&st, now), UINT64_MAX);
	assert_int_equal(sipd_st_expire_at(&st, now), now + 1768000);
	/* at the floor, a third (30 s) is less than 32 s */
	st.interval = 90;
	assert_int_equal(sipd_st_expire_at(&st, now), now + 60000);
	st.we_refresh = true;
	assert_int_equal(sipd_st_refresh_at(&st, now), now + 45000);
	/* where the two margins meet: a third of 96 s is 32 s */
	st.interval = 96;
	assert_int_equal(sipd_st_expire_at(&st, 0), 64000);
	/* an odd interval keeps its milliseconds */
	st.interval = 91;
	assert_int_equal(sipd_st_refresh_at(&st, 0), 45500);
	assert_int_equal(sipd_st_expire_at(&st, 0), 91000 - 30333);
	/* no timer, no deadlines; and no wrap past the end of time */
	st.interval = 0;
	assert_int_equal(sipd_st_refresh_at(&st, 0), UINT64_MAX);
	assert_int_equal(sipd_st_expire_at(&st, 0), UINT64_MAX);
	st.interval = UINT32_MAX;
	assert_int_equal(sipd_st_refresh_at(&st, UINT64_MAX - 5), UINT64_MAX);
	assert_int_equal(sipd_st_expire_at(&st, UINT64_MAX - 5), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4028_4_5_defaults_1800_and_floor_90),
		cmocka_unit_test(rfc4028_7_1_initial_request_headers),
		cmocka_unit_test(rfc4028_7_1_request_that_does_not_fit),
		cmocka_unit_test(rfc4028_7_2_2xx_refresher_uac_means_we_refresh),
		cmocka_unit_test(rfc4028_7_2_2xx_without_session_expires_means_no_timer),
		cmocka_unit_test(rfc4028_7_2_timer_turned_off_mid_dialog),
		cmocka_unit_test(rfc4028_7_2_bad_session_expires_in_2xx),
		cmocka_unit_test(rfc4028_7_3_422_raises_session_expires_and_min_se),
		cmocka_unit_test(rfc4028_7_3_uac_gives_up_after_a_few_422s),
		cmocka_unit_test(rfc4028_6_7_3_422_without_min_se),
		cmocka_unit_test(rfc4028_7_4_refresh_keeps_interval_and_refresher),
		cmocka_unit_test(rfc4028_7_4_update_when_allowed_else_reinvite),
		cmocka_unit_test(rfc4028_9_422_when_below_our_min_se),
		cmocka_unit_test(rfc4028_9_no_422_to_a_uac_without_support),
		cmocka_unit_test(rfc4028_9_interval_lowered_not_below_request_min_se),
		cmocka_unit_test(rfc4028_9_refresher_table),
		cmocka_unit_test(rfc4028_9_require_timer_only_when_supported),
		cmocka_unit_test(rfc4028_9_request_without_session_expires),
		cmocka_unit_test(rfc4028_9_malformed_or_repeated_is_400),
		cmocka_unit_test(rfc4028_9_update_and_other_methods),
		cmocka_unit_test(rfc4028_9_answered_becomes_the_session_timer),
		cmocka_unit_test(rfc4028_10_refresh_at_half_bye_before_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
