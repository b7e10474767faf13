/* Replaces, RFC 3891: which dialog an INVITE with Replaces names (§3: to-tag
 * is our local tag, from-tag the remote one; §6.1: a tag "0" matches an
 * empty one) and every refusal §3 and §6.1 call for. */
#include "msg_test.h"

#include <sipdialog/dialog.h>
#include <sipdialog/session.h>

static void fake_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x3c, len);
}

static struct sipd_dialogs *table(void)
{
	struct sipd_dialogs_config c = {.size = sizeof c, .random = fake_random};
	struct sipd_dialogs *t = sipd_dialogs_create(&c);
	assert_non_null(t);
	return t;
}

static struct parsed *valid(const char *text)
{
	struct parsed *p = parse_dgram(text);
	assert_valid(p);
	return p;
}

static const struct sipd_dialog_opts opts = {.size = sizeof opts,
                                             .local_contact = {"sip:me@192.0.2.1", 16}};

/* §1's call: Bob (bobster) called the parking place, tag 7743; it answered
 * with tag 6472. Here we are Bob: the UAC of that dialog. */
#define PARK_INVITE                                                                                \
	"INVITE sip:parkingplace@example.org SIP/2.0\r\n"                                          \
	"Via: SIP/2.0/UDP bobster.example.org;branch=z9hG4bKp1\r\n"                                \
	"Max-Forwards: 70\r\n"                                                                     \
	"To: <sip:parkingplace@example.org>\r\n"                                                   \
	"From: <sip:bob@example.org>;tag=7743\r\n"                                                 \
	"Call-ID: 425928@bobster.example.org\r\n"                                                  \
	"CSeq: 1 INVITE\r\n"                                                                       \
	"Contact: <sip:bob@bobster.example.org>\r\n"                                               \
	"Content-Length: 0\r\n\r\n"

#define PARK_RESPONSE(status, totag)                                                               \
	"SIP/2.0 " status "\r\n"                                                                   \
	"Via: SIP/2.0/UDP bobster.example.org;branch=z9hG4bKp1\r\n"                                \
	"To: <sip:parkingplace@example.org>" totag "\r\n"                                          \
	"From: <sip:bob@example.org>;tag=7743\r\n"                                                 \
	"Call-ID: 425928@bobster.example.org\r\n"                                                  \
	"CSeq: 1 INVITE\r\n"                                                                       \
	"Contact: <sip:parkplace@monopoly.example.org>\r\n"                                        \
	"Content-Length: 0\r\n\r\n"

/* A dialog in which we are the UAC, from PARK_INVITE and a response. */
static struct sipd_dialog *uac_dialog(struct sipd_dialogs *t, const char *response)
{
	struct parsed *req = valid(PARK_INVITE);
	struct parsed *resp = valid(response);
	struct sipd_dialog *d = NULL;
	assert_int_equal(sipd_dialog_create_uac(t, &req->msg, &resp->msg, &opts, &d), 0);
	parsed_free(req);
	parsed_free(resp);
	return d;
}

/* The same call seen from the parking place: we are the UAS, tag 6472. */
static struct sipd_dialog *uas_dialog(struct sipd_dialogs *t)
{
	struct parsed *req = valid(PARK_INVITE);
	struct sipd_dialog *d = NULL;
	assert_int_equal(sipd_dialog_create_uas(t, &req->msg, (struct sipd_str){"6472", 4}, &opts,
	                                        &d),
	                 0);
	parsed_free(req);
	return d;
}

/* §1's message *3, Alice's INVITE to Bob, with the given extra lines. */
static struct parsed *invite_with(const char *method, const char *extra)
{
	char text[2048];
	int n = snprintf(text, sizeof text,
	                 "%s sip:bob@bobster.example.org SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP phone2.example.org;branch=z9hG4bKa3\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "To: <sip:bob@example.org>\r\n"
	                 "From: <sip:alice@phone2.example.org>;tag=8983\r\n"
	                 "Call-ID: 09870@phone2.example.org\r\n"
	                 "CSeq: 1 %s\r\n"
	                 "Contact: <sip:alice@phone2.example.org>\r\n"
	                 "%s"
	                 "Content-Length: 0\r\n\r\n",
	                 method, method, extra);
	assert_true(n > 0 && (size_t)n < sizeof text);
	struct parsed *p = parse_dgram(text);
	assert_true(p->rc > 0);
	return p;
}

static unsigned match(struct sipd_dialogs *t, const char *extra, struct sipd_dialog **out)
{
	struct parsed *p = invite_with("INVITE", extra);
	unsigned st = sipd_replaces_match(t, &p->msg, out);
	parsed_free(p);
	return st;
}

#define REPLACES_PARK "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472\r\n"

static void rfc3891_3_no_replaces_nothing_to_do(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct sipd_dialog *d = uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	struct sipd_dialog *out = d;
	assert_int_equal(match(t, "Require: 100rel\r\n", &out), 0);
	assert_null(out);
	/* nor in other methods */
	struct parsed *p = invite_with("OPTIONS", "");
	out = d;
	assert_int_equal(sipd_replaces_match(t, &p->msg, &out), 0);
	assert_null(out);
	parsed_free(p);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_replaces_a_confirmed_dialog(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	/* §1: the parked call, confirmed, replaced by Alice's INVITE */
	struct sipd_dialog *d = uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_CONFIRMED);
	struct sipd_dialog *out = NULL;
	assert_int_equal(match(t, "Require: replaces\r\n" REPLACES_PARK, &out), 0);
	assert_ptr_equal(out, d);
	/* the match changes nothing: ending the old dialog (BYE) is the caller's */
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_CONFIRMED);
	/* a confirmed dialog in which we are the UAS is replaced just the same */
	struct sipd_dialog *u = uas_dialog(t);
	sipd_dialog_confirm(u);
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=6472;from-tag=7743\r\n", &out),
		0);
	assert_ptr_equal(out, u);
	/* the header folded over two lines, as §7.1 prints it */
	assert_int_equal(match(t,
	                       "Replaces: 425928@bobster.example.org\r\n"
	                       " ;to-tag=7743;from-tag=6472\r\n",
	                       &out),
	                 0);
	assert_ptr_equal(out, d);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_to_tag_is_local_from_tag_is_remote(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	struct sipd_dialog *out = NULL;
	/* the tags the other way round, as the original dialog's To and From
	 * carried them (and as erratum 7141 rewrites §7.1): no such dialog here */
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=6472;from-tag=7743\r\n", &out),
		481);
	assert_null(out);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_no_match_is_481(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	struct sipd_dialog *out = NULL;
	/* another Call-ID; Call-IDs compare case-sensitively (RFC 3261 §20.8) */
	assert_int_equal(match(t, "Replaces: 425929@bobster.example.org;to-tag=7743;from-tag=6472\r\n",
	                       &out),
	                 481);
	assert_int_equal(match(t, "Replaces: 425928@BOBSTER.example.org;to-tag=7743;from-tag=6472\r\n",
	                       &out),
	                 481);
	/* one tag wrong */
	assert_int_equal(match(t, "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6473\r\n",
	                       &out),
	                 481);
	assert_null(out);
	/* an empty table */
	struct sipd_dialogs *e = table();
	assert_int_equal(match(e, REPLACES_PARK, &out), 481);
	sipd_dialogs_destroy(e);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_terminated_dialog_is_603(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct sipd_dialog *d = uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	sipd_dialog_terminate(d, SIPD_END_REMOTE_BYE);
	struct sipd_dialog *out = NULL;
	assert_int_equal(match(t, REPLACES_PARK, &out), 603);
	assert_null(out);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_early_only_refuses_a_confirmed_dialog_486(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	struct sipd_dialog *out = NULL;
	assert_int_equal(
		match(t,
		      "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only\r\n",
		      &out),
		486);
	assert_null(out);
	sipd_dialogs_destroy(t);
}

static void rfc3891_7_1_early_dialog_replaced_at_the_originator(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	/* §7.1: we called (tag 7743), the callee rings (180, tag 6472); a
	 * pickup from elsewhere names our early dialog, early-only */
	struct sipd_dialog *d = uac_dialog(t, PARK_RESPONSE("180 Ringing", ";tag=6472"));
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_EARLY);
	struct sipd_dialog *out = NULL;
	assert_int_equal(
		match(t,
		      "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only\r\n",
		      &out),
		0);
	assert_ptr_equal(out, d);
	/* the caller CANCELs our INVITE: the match tells it so by the state */
	assert_true(sipd_dialog_early(out));
	assert_int_equal(sipd_dialog_role(out), SIPD_DIALOG_UAC);
	/* without early-only as well */
	assert_int_equal(match(t, REPLACES_PARK, &out), 0);
	assert_ptr_equal(out, d);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_early_dialog_we_did_not_initiate_is_481(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	/* we are the one ringing (UAS, early): only the originator may have its
	 * early dialog replaced (§3; §4 forbids asking it of anyone else) */
	struct sipd_dialog *u = uas_dialog(t);
	assert_int_equal(sipd_dialog_state(u), SIPD_DIALOG_EARLY);
	struct sipd_dialog *out = NULL;
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=6472;from-tag=7743\r\n", &out),
		481);
	assert_null(out);
	assert_int_equal(
		match(t,
		      "Replaces: 425928@bobster.example.org;to-tag=6472;from-tag=7743;early-only\r\n",
		      &out),
		481);
	/* the dialog is left as it was */
	assert_int_equal(sipd_dialog_state(u), SIPD_DIALOG_EARLY);
	sipd_dialogs_destroy(t);
}

static void rfc3891_3_6_1_malformed_or_misplaced_is_400(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct sipd_dialog *d = uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=6472"));
	struct sipd_dialog *out = d;
	/* §3: more than one Replaces */
	assert_int_equal(match(t, REPLACES_PARK REPLACES_PARK, &out), 400);
	assert_null(out);
	/* §6.1: a single value only */
	assert_int_equal(match(t,
	                       "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472, "
	                       "1@x;to-tag=1;from-tag=2\r\n",
	                       &out),
	                 400);
	/* §6.1: exactly one to-tag and exactly one from-tag */
	assert_int_equal(match(t, "Replaces: 425928@bobster.example.org;to-tag=7743\r\n", &out),
	                 400);
	assert_int_equal(match(t, "Replaces: 425928@bobster.example.org;from-tag=6472\r\n", &out),
	                 400);
	assert_int_equal(match(t,
	                       "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472"
	                       ";to-tag=9999\r\n",
	                       &out),
	                 400);
	assert_int_equal(match(t,
	                       "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472"
	                       ";from-tag=6472\r\n",
	                       &out),
	                 400);
	assert_int_equal(match(t, "Replaces: ;to-tag=7743;from-tag=6472\r\n", &out), 400);
	/* §3: next to a header of contradictory meaning (Join, RFC 3911) */
	assert_int_equal(match(t,
	                       REPLACES_PARK
	                       "Join: 425928@bobster.example.org;to-tag=7743;from-tag=6472\r\n",
	                       &out),
	                 400);
	assert_null(out);
	/* §3, §6.1: in a request other than INVITE */
	struct parsed *p = invite_with("OPTIONS", REPLACES_PARK);
	assert_int_equal(sipd_replaces_match(t, &p->msg, &out), 400);
	parsed_free(p);
	sipd_dialogs_destroy(t);
}

static void rfc3891_6_1_tag_zero_matches_an_empty_tag(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	/* an RFC 2543 peer answered without a To tag (RFC 3261 §12.1.2) */
	struct sipd_dialog *d = uac_dialog(t, PARK_RESPONSE("200 OK", ""));
	assert_int_equal(sipd_dialog_remote_tag(d).len, 0);
	struct sipd_dialog *out = NULL;
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=0\r\n", &out), 0);
	assert_ptr_equal(out, d);
	/* "00" is not zero: tags are tokens, compared as they are */
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=00\r\n", &out),
		481);
	/* a peer whose tag really is "0", next to the tagless one: "0" now
	 * names two dialogs, which §3 counts as none */
	struct sipd_dialog *z = uac_dialog(t, PARK_RESPONSE("200 OK", ";tag=0"));
	assert_ptr_not_equal(z, d);
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=0\r\n", &out),
		481);
	assert_null(out);
	/* with the tagless one gone, "0" names the other */
	sipd_dialog_free(d);
	assert_int_equal(
		match(t, "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=0\r\n", &out), 0);
	assert_ptr_equal(out, z);
	sipd_dialogs_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3891_3_no_replaces_nothing_to_do),
		cmocka_unit_test(rfc3891_3_replaces_a_confirmed_dialog),
		cmocka_unit_test(rfc3891_3_to_tag_is_local_from_tag_is_remote),
		cmocka_unit_test(rfc3891_3_no_match_is_481),
		cmocka_unit_test(rfc3891_3_terminated_dialog_is_603),
		cmocka_unit_test(rfc3891_3_early_only_refuses_a_confirmed_dialog_486),
		cmocka_unit_test(rfc3891_7_1_early_dialog_replaced_at_the_originator),
		cmocka_unit_test(rfc3891_3_early_dialog_we_did_not_initiate_is_481),
		cmocka_unit_test(rfc3891_3_6_1_malformed_or_misplaced_is_400),
		cmocka_unit_test(rfc3891_6_1_tag_zero_matches_an_empty_tag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
