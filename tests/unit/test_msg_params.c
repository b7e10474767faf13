/* Parameters and quoted strings (src/msg/params.c): ';' parameters of URIs
 * and headers (RFC 3261 §25.1 generic-param, SEMI, EQUAL), ',' auth-params
 * (RFC 3261 §25.1 and RFC 2617 §3.2), sipd_unquote(). */
#include "msg_test.h"

static struct sipd_str S(const char *s) {
	return (struct sipd_str){s, strlen(s)};
}

/* generic-param = token [ EQUAL gen-value ], SEMI = SWS ";" SWS and
 * EQUAL = SWS "=" SWS: LWS around both is skipped. */
static void
rfc3261_25_1_param_iteration(void **state)
{
	(void)state;
	struct sipd_str cur = S(";a=b;flag ; c = d ;\r\n e=\"q;x\";;f=[::1]"), n, v;
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "a");
	assert_slice(v, "b");
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "flag");
	assert_absent(v);
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "c");
	assert_slice(v, "d");
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "e");
	assert_slice(v, "\"q;x\""); /* quotes kept, ';' inside not a separator */
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "f");
	assert_slice(v, "[::1]");
	assert_false(sipd_param_next(&cur, &n, &v));
	assert_false(sipd_param_next(&cur, &n, &v));

	/* without a leading ';' (a URI's params slice) */
	cur = S("transport=tcp;lr");
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "transport");
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "lr");
	assert_false(sipd_param_next(&cur, &n, &v));

	cur = SIPD_STR_NULL;
	assert_false(sipd_param_next(&cur, &n, &v));
	cur = S("  ");
	assert_false(sipd_param_next(&cur, &n, &v));
	/* an empty value after '=' is present and empty */
	cur = S(";a=");
	assert_true(sipd_param_next(&cur, &n, &v));
	assert_slice(n, "a");
	assert_non_null(v.p);
	assert_int_equal(v.len, 0);
}

/* Parameter names compare case-insensitively (§7.3.1, §19.1.4). */
static void rfc3261_7_3_1_param_find(void **state)
{
	(void)state;
	struct sipd_str v;
	struct sipd_str params = S(";Tag=abc;LR;expires = 60");
	assert_int_equal(sipd_param_find(params, "tag", &v), 0);
	assert_slice(v, "abc");
	assert_int_equal(sipd_param_find(params, "lr", &v), 0);
	assert_absent(v);
	assert_int_equal(sipd_param_find(params, "EXPIRES", &v), 0);
	assert_slice(v, "60");
	assert_int_equal(sipd_param_find(params, "ta", &v), SIPD_ENOTFOUND);
	assert_int_equal(sipd_param_find(params, "tags", &v), SIPD_ENOTFOUND);
	assert_int_equal(sipd_param_find(SIPD_STR_NULL, "tag", &v), SIPD_ENOTFOUND);
}

/* auth-param = auth-param-name EQUAL ( token / quoted-string ), separated by
 * COMMA = SWS "," SWS; a quoted value keeps its quotes and its commas. */
static void rfc3261_25_1_auth_param_iteration(void **state)
{
	(void)state;
	struct sipd_str
		cur = S("realm=\"atlanta.com, inc\" , nonce = \"84a4cc6f\",\r\n algorithm=MD5,"
	                "qop=\"auth,auth-int\""),
		n, v;
	assert_true(sipd_auth_param_next(&cur, &n, &v));
	assert_slice(n, "realm");
	assert_slice(v, "\"atlanta.com, inc\"");
	assert_true(sipd_auth_param_next(&cur, &n, &v));
	assert_slice(n, "nonce");
	assert_slice(v, "\"84a4cc6f\"");
	assert_true(sipd_auth_param_next(&cur, &n, &v));
	assert_slice(n, "algorithm");
	assert_slice(v, "MD5");
	assert_true(sipd_auth_param_next(&cur, &n, &v));
	assert_slice(n, "qop");
	assert_slice(v, "\"auth,auth-int\"");
	assert_false(sipd_auth_param_next(&cur, &n, &v));
}

/* quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE,
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) (§25.1). */
static void rfc3261_25_1_unquote(void **state)
{
	(void)state;
	char out[32];
	assert_int_equal(sipd_unquote(S("\"abc\""), out, sizeof out), 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(sipd_unquote(S("\"\""), out, sizeof out), 0);
	assert_int_equal(sipd_unquote(S("\"a\\\"b\\\\c\""), out, sizeof out), 5);
	assert_memory_equal(out, "a\"b\\c", 5);
	/* an escaped NUL is one octet */
	struct sipd_str nul = {"\"x\\\0y\"", 6};
	assert_int_equal(sipd_unquote(nul, out, sizeof out), 3);
	assert_memory_equal(out, "x\0y", 3);
	/* UTF-8 passes through */
	assert_int_equal(sipd_unquote(S("\"\xc3\xa9\""), out, sizeof out), 2);
	/* a token is copied as it is */
	assert_int_equal(sipd_unquote(S("token"), out, sizeof out), 5);
	assert_memory_equal(out, "token", 5);
	assert_int_equal(sipd_unquote(S(""), out, sizeof out), 0);
	/* an absent value (a parameter without '=') unquotes to nothing */
	assert_int_equal(sipd_unquote(SIPD_STR_NULL, out, sizeof out), 0);
	assert_int_equal(sipd_unquote(SIPD_STR_NULL, NULL, 0), 0);

	/* capacity */
	assert_int_equal(sipd_unquote(S("\"abcd\""), out, 4), 4);
	assert_int_equal(sipd_unquote(S("\"abcde\""), out, 4), SIPD_ENOSPC);
	assert_int_equal(sipd_unquote(S("abcde"), out, 4), SIPD_ENOSPC);
	assert_int_equal(sipd_unquote(S("\"a\""), out, 0), SIPD_ENOSPC);

	/* malformed */
	assert_int_equal(sipd_unquote(S("\""), out, sizeof out), SIPD_EPARSE);
	assert_int_equal(sipd_unquote(S("\"abc"), out, sizeof out), SIPD_EPARSE);
	assert_int_equal(sipd_unquote(S("\"abc\\\""), out, sizeof out), SIPD_EPARSE);
	assert_int_equal(sipd_unquote(S("\"a\"b\""), out, sizeof out), SIPD_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_25_1_param_iteration),
		cmocka_unit_test(rfc3261_7_3_1_param_find),
		cmocka_unit_test(rfc3261_25_1_auth_param_iteration),
		cmocka_unit_test(rfc3261_25_1_unquote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
