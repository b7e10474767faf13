/* The client side of digest authentication: taking challenges from 401/407
 * responses (RFC 3261 §22.2, §22.3; RFC 8760 §2.4), building credentials
 * (RFC 7616 §3.4), nonce counts and cnonces, and when to give up (§22.1). */
#include "msg_test.h"

#include <sipdialog/auth.h>

#define S(lit) ((struct sipd_str){(lit), sizeof(lit) - 1})

/* A random source that repeats a given pattern, then counts up. */
struct rnd {
	const uint8_t *pattern;
	size_t len;
	uint8_t next;
	unsigned calls;
};

static void fake_random(void *user, void *buf, size_t len)
{
	struct rnd *r = user;
	uint8_t *b = buf;
	r->calls++;
	for (size_t i = 0; i < len; i++)
		b[i] = r->pattern && i < r->len ? r->pattern[i] : r->next++;
}

/* A response with the given status and extra header lines; parsed only
 * (sipd_msg_check follows RFC 3261's one challenge per value). */
static struct parsed *response(unsigned code, const char *extra)
{
	char text[4096];
	int n = snprintf(text, sizeof text,
	                 "SIP/2.0 %u %s\r\n"
	                 "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabc\r\n"
	                 "From: <sip:alice@example.com>;tag=1928\r\n"
	                 "To: <sip:bob@example.com>;tag=99\r\n"
	                 "Call-ID: a84b4c76e66710\r\n"
	                 "CSeq: 1 REGISTER\r\n"
	                 "%s"
	                 "Content-Length: 0\r\n\r\n",
	                 code, sipd_reason_phrase(code), extra);
	assert_true(n > 0 && (size_t)n < sizeof text);
	struct parsed *p = parse_dgram(text);
	assert_true(p->rc > 0);
	return p;
}

static struct sipd_auth_client *client(const char *password, const char *realm, struct rnd *r)
{
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "Mufasa",
		.password = password,
		.realm = realm,
		.random = fake_random,
		.user = r,
	};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	return c;
}

/* Takes the challenges of a response. */
static int take(struct sipd_auth_client *c, unsigned code, const char *extra)
{
	struct parsed *p = response(code, extra);
	int rc = sipd_auth_client_challenge(c, &p->msg);
	parsed_free(p);
	return rc;
}

/* The credentials line for a request, NUL-terminated in out. */
static void authorize(struct sipd_auth_client *c, const char *method, const char *uri,
                      const char *body, char *out, size_t cap)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap - 1);
	assert_int_equal(sipd_auth_client_authorize(
				 c, &b, (struct sipd_str){method, strlen(method)},
				 (struct sipd_str){uri, strlen(uri)},
				 body ? (struct sipd_str){body, strlen(body)} : SIPD_STR_NULL),
	                 0);
	out[b.len] = '\0';
}

/* The value of one parameter in a credentials line (quotes kept). */
static void param_of(const char *line, const char *name, char *out, size_t cap)
{
	const char *colon = strchr(line, ':');
	assert_non_null(colon);
	struct sipd_str v = {colon + 1, strlen(colon + 1) - 2}; /* without CRLF */
	struct sipd_auth_credentials cr;
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), 0);
	struct sipd_str cur = cr.params, n, val;
	while (sipd_auth_param_next(&cur, &n, &val)) {
		if (sipd_str_ieq(n, name)) {
			assert_true(val.len < cap);
			memcpy(out, val.p, val.len);
			out[val.len] = '\0';
			return;
		}
	}
	out[0] = '\0';
}

/* RFC 2617 §3.5, whole: the challenge, and the credentials line byte for
 * byte (its cnonce 0a4f113b comes from the random source). */
static void test_rfc2617_3_5_whole_line(void **state)
{
	(void)state;
	static const uint8_t cn[] = {0x0a, 0x4f, 0x11, 0x3b};
	struct rnd r = {cn, sizeof cn, 0, 0};
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "Mufasa",
		.password = "Circle Of Life",
		.cnonce_bytes = 4,
		.random = fake_random,
		.user = &r,
	};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	assert_string_equal(sipd_auth_client_realm(c), "");
	assert_int_equal(sipd_auth_client_alg(c), -1);
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest\r\n"
	                      "                 realm=\"testrealm@host.com\",\r\n"
	                      "                 qop=\"auth,auth-int\",\r\n"
	                      "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
	                      "                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n"),
	                 0);
	assert_string_equal(sipd_auth_client_realm(c), "testrealm@host.com");
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_MD5);
	assert_false(sipd_auth_client_give_up(c, 0));
	char line[1024];
	authorize(c, "GET", "/dir/index.html", NULL, line, sizeof line);
	assert_string_equal(line, "Authorization: Digest username=\"Mufasa\", "
	                          "realm=\"testrealm@host.com\", "
	                          "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	                          "uri=\"/dir/index.html\", qop=auth, nc=00000001, "
	                          "cnonce=\"0a4f113b\", "
	                          "response=\"6629fae49393a05397450978507c4ef1\", "
	                          "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n");
	sipd_auth_client_destroy(c);
}

/* RFC 8760 §2.4 with our local policy: the strongest hash we may use wins,
 * whatever the order; several headers or one value with several
 * challenges alike; unknown algorithms and other schemes are ignored. */
static void test_rfc8760_2_4_strongest(void **state)
{
	(void)state;
	struct rnd r = {0};
	struct sipd_auth_client *c = client("pw", NULL, &r);
	assert_int_equal(
		take(c, 401,
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, "
	             "qop=\"auth\"\r\n"
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
	             "qop=\"auth\"\r\n"
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", "
	             "algorithm=SHA-512-256, qop=\"auth\"\r\n"),
		0);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_SHA512_256);

	/* One value, strongest in the middle, an unknown one first. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Basic realm=\"r\", Digest realm=\"r\", "
	                      "nonce=\"x\", algorithm=SHA3-256, qop=\"auth\", Digest realm=\"r\", "
	                      "nonce=\"n4\", algorithm=SHA-256-sess, qop=\"auth\", Digest "
	                      "realm=\"r\", nonce=\"n5\", qop=\"auth\"\r\n"),
	                 0);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_SHA256_SESS);
	char line[1024], v[128];
	authorize(c, "REGISTER", "sip:example.com", NULL, line, sizeof line);
	param_of(line, "nonce", v, sizeof v);
	assert_string_equal(v, "\"n4\"");
	param_of(line, "algorithm", v, sizeof v);
	assert_string_equal(v, "SHA-256-sess");
	param_of(line, "userhash", v, sizeof v);
	assert_string_equal(v, "false");

	/* Equal hashes: the first one. */
	assert_int_equal(
		take(c, 401,
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"a\", algorithm=SHA-256, "
	             "qop=\"auth\"\r\n"
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"b\", "
	             "algorithm=SHA-256-sess, qop=\"auth\"\r\n"),
		0);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_SHA256);
	sipd_auth_client_destroy(c);

	/* A policy without SHA-512-256 takes SHA-256. */
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "u",
		.password = "p",
		.algs = SIPD_AUTH_ALG_BIT(SIPD_AUTH_SHA256) | SIPD_AUTH_ALG_BIT(SIPD_AUTH_MD5),
		.random = fake_random,
		.user = &r,
	};
	c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	assert_int_equal(
		take(c, 401,
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", "
	             "algorithm=SHA-512-256, qop=\"auth\"\r\n"
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, "
	             "qop=\"auth\"\r\n"
	             "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
	             "qop=\"auth\"\r\n"),
		0);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_SHA256);
	/* Nothing usable: the earlier challenge stays. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n9\", "
	                      "algorithm=SHA-512-256, qop=\"auth\"\r\n"),
	                 SIPD_ENOTFOUND);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_SHA256);
	sipd_auth_client_destroy(c);
}

/* RFC 3261 §22.3: a 407's Proxy-Authenticate is answered with
 * Proxy-Authorization; a configured realm filters challenges (§22.1). */
static void test_rfc3261_22_3_proxy_and_realm(void **state)
{
	(void)state;
	struct rnd r = {0};
	struct sipd_auth_client *c = client("pw", "atlanta.com", &r);
	assert_string_equal(sipd_auth_client_realm(c), "atlanta.com");
	assert_int_equal(take(c, 407,
	                      "Proxy-Authenticate: Digest realm=\"biloxi.com\", nonce=\"b\", "
	                      "algorithm=SHA-512-256, qop=\"auth\"\r\n"),
	                 SIPD_ENOTFOUND);
	assert_int_equal(take(c, 407,
	                      "Proxy-Authenticate: Digest realm=\"biloxi.com\", nonce=\"b\", "
	                      "algorithm=SHA-512-256, qop=\"auth\"\r\n"
	                      "Proxy-Authenticate: Digest realm=\"atlanta.com\", nonce=\"a\", "
	                      "algorithm=MD5, qop=\"auth\"\r\n"),
	                 0);
	char line[1024];
	authorize(c, "INVITE", "sip:bob@biloxi.com", NULL, line, sizeof line);
	assert_memory_equal(
		line,
		"Proxy-Authorization: Digest username=\"Mufasa\", "
		"realm=\"atlanta.com\", nonce=\"a\", uri=\"sip:bob@biloxi.com\", "
		"algorithm=MD5, qop=auth, nc=00000001, cnonce=\"",
		strlen("Proxy-Authorization: Digest username=\"Mufasa\", "
	               "realm=\"atlanta.com\", nonce=\"a\", uri=\"sip:bob@biloxi.com\", "
	               "algorithm=MD5, qop=auth, nc=00000001, cnonce=\""));
	/* No userhash for a plain MD5 challenge that did not mention it. */
	assert_null(strstr(line, "userhash"));
	/* Not a challenge. */
	assert_int_equal(take(c, 200, ""), SIPD_EINVAL);
	sipd_auth_client_destroy(c);
}

/* RFC 7616 §3.4: nc counts the requests sent with one nonce and restarts
 * with a new one; each request draws a fresh cnonce, but a -sess session
 * keeps its first (§3.4.2). */
static void test_rfc7616_3_4_nc_and_cnonce(void **state)
{
	(void)state;
	struct rnd r = {0};
	struct sipd_auth_client *c = client("pw", NULL, &r);
	const char *ch1 = "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"\r\n";
	assert_int_equal(take(c, 401, ch1), 0);
	char line[1024], nc[16], cn1[80], cn2[80];
	authorize(c, "REGISTER", "sip:r", NULL, line, sizeof line);
	param_of(line, "nc", nc, sizeof nc);
	assert_string_equal(nc, "00000001");
	param_of(line, "cnonce", cn1, sizeof cn1);
	assert_int_equal(strlen(cn1), 2 + 32); /* 16 bytes by default */
	authorize(c, "REGISTER", "sip:r", NULL, line, sizeof line);
	param_of(line, "nc", nc, sizeof nc);
	assert_string_equal(nc, "00000002");
	param_of(line, "cnonce", cn2, sizeof cn2);
	assert_string_not_equal(cn1, cn2);
	/* The same nonce again keeps counting (a count reused is a replay). */
	assert_int_equal(take(c, 401, ch1), 0);
	authorize(c, "REGISTER", "sip:r", NULL, line, sizeof line);
	param_of(line, "nc", nc, sizeof nc);
	assert_string_equal(nc, "00000003");
	/* A new nonce restarts. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", "
	                      "qop=\"auth\"\r\n"),
	                 0);
	authorize(c, "REGISTER", "sip:r", NULL, line, sizeof line);
	param_of(line, "nc", nc, sizeof nc);
	assert_string_equal(nc, "00000001");

	/* -sess: one cnonce for the nonce's life. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", "
	                      "algorithm=MD5-sess, qop=\"auth\"\r\n"),
	                 0);
	authorize(c, "REGISTER", "sip:r", NULL, line, sizeof line);
	param_of(line, "cnonce", cn1, sizeof cn1);
	authorize(c, "REGISTER", "sip:r", NULL, line, sizeof line);
	param_of(line, "cnonce", cn2, sizeof cn2);
	assert_string_equal(cn1, cn2);
	param_of(line, "nc", nc, sizeof nc);
	assert_string_equal(nc, "00000002");
	sipd_auth_client_destroy(c);
}

/* qop (RFC 7616 §3.3, RFC 3261 §22.4 item 8): auth unless the client
 * prefers auth-int or only auth-int is offered; none at all gives the
 * RFC 2069 form; -sess without qop and unknown qops are unusable. */
static void test_rfc3261_22_4_qop_choice(void **state)
{
	(void)state;
	struct rnd r = {0};
	struct sipd_auth_client *c = client("pw", NULL, &r);
	char line[1024], v[80];
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
	                      "qop=\"auth-int\"\r\n"),
	                 0);
	authorize(c, "MESSAGE", "sip:r", "hello", line, sizeof line);
	param_of(line, "qop", v, sizeof v);
	assert_string_equal(v, "auth-int");
	assert_int_equal(take(c, 401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n"), 0);
	authorize(c, "MESSAGE", "sip:r", "hello", line, sizeof line);
	param_of(line, "qop", v, sizeof v);
	assert_string_equal(v, "");
	assert_null(strstr(line, "cnonce"));
	assert_null(strstr(line, "nc="));
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
	                      "algorithm=MD5-sess\r\n"),
	                 SIPD_ENOTFOUND);
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
	                      "qop=\"auth-conf\"\r\n"),
	                 SIPD_ENOTFOUND);
	assert_int_equal(take(c, 401, "WWW-Authenticate: Digest realm=\"r\", qop=\"auth\"\r\n"),
	                 SIPD_ENOTFOUND); /* no nonce */
	sipd_auth_client_destroy(c);

	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "u",
		.password = "p",
		.prefer_auth_int = true,
		.random = fake_random,
		.user = &r,
	};
	c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
	                      "qop=\"auth,auth-int\"\r\n"),
	                 0);
	authorize(c, "MESSAGE", "sip:r", "hello", line, sizeof line);
	param_of(line, "qop", v, sizeof v);
	assert_string_equal(v, "auth-int");
	sipd_auth_client_destroy(c);
}

/* RFC 3261 §22.1: credentials just refused are not sent again; a stale
 * nonce is retried with the new one, a bounded number of times. */
static void test_rfc3261_22_1_give_up(void **state)
{
	(void)state;
	struct rnd r = {0};
	struct sipd_auth_client *c = client("pw", NULL, &r);
	assert_true(sipd_auth_client_give_up(c, 0)); /* nothing to answer */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", "
	                      "qop=\"auth\"\r\n"),
	                 0);
	assert_false(sipd_auth_client_give_up(c, 0)); /* the request had no credentials */
	/* Our credentials drew the same challenge again: wrong password. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", "
	                      "qop=\"auth\"\r\n"),
	                 0);
	assert_true(sipd_auth_client_give_up(c, 1));
	/* A new nonce without stale: refused as well. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", "
	                      "qop=\"auth\"\r\n"),
	                 0);
	assert_true(sipd_auth_client_give_up(c, 1));
	/* stale=true with a new nonce: retry, twice at most by default. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", "
	                      "qop=\"auth\", stale=true\r\n"),
	                 0);
	assert_false(sipd_auth_client_give_up(c, 1));
	assert_false(sipd_auth_client_give_up(c, 2));
	assert_true(sipd_auth_client_give_up(c, 3));
	/* stale=true on the very nonce we used: a contradiction. */
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", "
	                      "qop=\"auth\", stale=true\r\n"),
	                 0);
	assert_true(sipd_auth_client_give_up(c, 1));
	sipd_auth_client_destroy(c);
}

/* Stored HA1s (RFC 7616 §3.4.2): only the hashes with one are usable, and
 * the result equals the password's. */
static void test_rfc7616_3_4_2_stored_ha1(void **state)
{
	(void)state;
	static const uint8_t cn[] = {0x0a, 0x4f, 0x11, 0x3b};
	struct rnd r = {cn, sizeof cn, 0, 0};
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "Mufasa",
		.realm = "testrealm@host.com",
		.ha1 = {[SIPD_AUTH_HASH_MD5] = "939e7578ed9e3c518a452acee763bce9"},
		.cnonce_bytes = 4,
		.random = fake_random,
		.user = &r,
	};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	assert_int_equal(
		take(c, 401,
	             "WWW-Authenticate: Digest realm=\"testrealm@host.com\", "
	             "nonce=\"x\", algorithm=SHA-256, qop=\"auth\"\r\n"
	             "WWW-Authenticate: Digest realm=\"testrealm@host.com\", "
	             "qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	             "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n"),
		0);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_MD5);
	char line[1024], v[80];
	authorize(c, "GET", "/dir/index.html", NULL, line, sizeof line);
	param_of(line, "response", v, sizeof v);
	assert_string_equal(v, "\"6629fae49393a05397450978507c4ef1\"");
	sipd_auth_client_destroy(c);

	/* Bad configurations. */
	cfg.realm = NULL;
	assert_null(sipd_auth_client_create(&cfg)); /* HA1 without realm */
	cfg.realm = "r";
	cfg.ha1[SIPD_AUTH_HASH_MD5] = "939e7578";
	assert_null(sipd_auth_client_create(&cfg)); /* not 32 hex digits */
	cfg.ha1[SIPD_AUTH_HASH_MD5] = NULL;
	assert_null(sipd_auth_client_create(&cfg)); /* no secret at all */
	cfg.password = "p";
	cfg.random = NULL;
	assert_null(sipd_auth_client_create(&cfg));
	cfg.random = fake_random;
	cfg.cnonce_bytes = 65;
	assert_null(sipd_auth_client_create(&cfg));
	cfg.cnonce_bytes = 0;
	cfg.size = sizeof cfg - 1;
	assert_null(sipd_auth_client_create(&cfg));
	sipd_auth_client_destroy(NULL);
}

/* Escapes in what we quote (RFC 3261 §25.1), ENOSPC and ESTATE. */
static void test_rfc3261_25_1_output_quoting_and_errors(void **state)
{
	(void)state;
	struct rnd r = {0};
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "a\"b\\c",
		.password = "",
		.random = fake_random,
		.user = &r,
	};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	char mem[2048];
	struct sipd_buf b;
	sipd_buf_init(&b, mem, sizeof mem);
	assert_int_equal(sipd_auth_client_authorize(c, &b, S("OPTIONS"), S("sip:x"), SIPD_STR_NULL),
	                 SIPD_ESTATE);
	assert_int_equal(take(c, 401,
	                      "WWW-Authenticate: Digest realm=\"x\\\"y\", nonce=\"n\", "
	                      "opaque=\"o\\\\p\", qop=\"auth\", userhash=true\r\n"),
	                 0);
	assert_string_equal(sipd_auth_client_realm(c), "x\"y");
	char line[1024], v[80];
	authorize(c, "OPTIONS", "sip:x", NULL, line, sizeof line);
	param_of(line, "username", v, sizeof v);
	assert_string_equal(v, "\"a\\\"b\\\\c\"");
	param_of(line, "realm", v, sizeof v);
	assert_string_equal(v, "\"x\\\"y\"");
	param_of(line, "opaque", v, sizeof v);
	assert_string_equal(v, "\"o\\\\p\"");
	param_of(line, "userhash", v, sizeof v);
	assert_string_equal(v, "false");
	sipd_buf_init(&b, mem, 40);
	assert_int_equal(sipd_auth_client_authorize(c, &b, S("OPTIONS"), S("sip:x"), SIPD_STR_NULL),
	                 SIPD_ENOSPC);
	sipd_auth_client_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617_3_5_whole_line),
		cmocka_unit_test(test_rfc8760_2_4_strongest),
		cmocka_unit_test(test_rfc3261_22_3_proxy_and_realm),
		cmocka_unit_test(test_rfc7616_3_4_nc_and_cnonce),
		cmocka_unit_test(test_rfc3261_22_4_qop_choice),
		cmocka_unit_test(test_rfc3261_22_1_give_up),
		cmocka_unit_test(test_rfc7616_3_4_2_stored_ha1),
		cmocka_unit_test(test_rfc3261_25_1_output_quoting_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
