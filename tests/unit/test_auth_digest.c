/* Digest computations and the parsing of challenges and credentials: the
 * worked examples of RFC 2617 §3.5 and RFC 7616 §3.9.1, vectors of our own
 * for auth-int, -sess and SHA-512-256, and the header grammar's corners
 * (RFC 3261 §25.1, RFC 7235 §4.1). */
#include "msg_test.h"

#include <sipdialog/auth.h>

#define S(lit) ((struct sipd_str){(lit), sizeof(lit) - 1})

static void assert_response(const struct sipd_auth_digest *d, const char *want)
{
	char out[SIPD_AUTH_HEX_MAX + 1];
	int n = sipd_auth_response(d, out, sizeof out);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

/* RFC 2617 §3.5: Mufasa / "Circle Of Life" (capital O), qop=auth. */
static void test_rfc2617_3_5_md5_auth(void **state)
{
	(void)state;
	struct sipd_auth_digest d = {
		.alg = SIPD_AUTH_MD5,
		.username = S("Mufasa"),
		.realm = S("testrealm@host.com"),
		.password = S("Circle Of Life"),
		.nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
		.cnonce = S("0a4f113b"),
		.qop = S("auth"),
		.nc = 1,
		.method = S("GET"),
		.uri = S("/dir/index.html"),
	};
	assert_response(&d, "6629fae49393a05397450978507c4ef1");

	/* The same through a stored HA1, H("Mufasa:testrealm@host.com:Circle Of Life"). */
	char ha1[SIPD_AUTH_HEX_MAX + 1];
	assert_int_equal(
		sipd_auth_ha1(SIPD_AUTH_MD5, d.username, d.realm, d.password, ha1, sizeof ha1), 32);
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
	d.password = SIPD_STR_NULL;
	d.ha1 = S("939E7578ED9E3C518A452ACEE763BCE9"); /* any case */
	assert_response(&d, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256;
 * the password is "Circle of Life" (lower-case o, erratum 4495). */
static void test_rfc7616_3_9_1_md5_and_sha256(void **state)
{
	(void)state;
	struct sipd_auth_digest d = {
		.alg = SIPD_AUTH_MD5,
		.username = S("Mufasa"),
		.realm = S("http-auth@example.org"),
		.password = S("Circle of Life"),
		.nonce = S("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
		.cnonce = S("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
		.qop = S("auth"),
		.nc = 1,
		.method = S("GET"),
		.uri = S("/dir/index.html"),
	};
	assert_response(&d, "8ca523f5e9506fed4657c9700eebdbec");
	d.alg = SIPD_AUTH_SHA256;
	assert_response(&d, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

/* RFC 7616 §3.9.1's SHA-256 Authorization, parsed and checked: its response
 * is the digest of its own parameters. */
static void test_rfc7616_3_9_1_credentials_parse(void **state)
{
	(void)state;
	struct sipd_str v = S(
		"Digest username=\"Mufasa\",\r\n"
		"    realm=\"http-auth@example.org\",\r\n"
		"    uri=\"/dir/index.html\",\r\n"
		"    algorithm=SHA-256,\r\n"
		"    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
		"    nc=00000001,\r\n"
		"    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
		"    qop=auth,\r\n"
		"    "
		"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
		"    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
	struct sipd_auth_credentials cr;
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), 0);
	assert_true(cr.digest);
	assert_int_equal(cr.alg, SIPD_AUTH_SHA256);
	assert_slice(cr.username, "\"Mufasa\"");
	assert_slice(cr.qop, "auth");
	assert_slice(cr.nc, "00000001");
	assert_int_equal(cr.nc_value, 1);
	assert_slice(cr.opaque, "\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
	assert_false(cr.userhash);

	char user[64], realm[64], uri[64], nonce[64], cnonce[64], resp[80];
	struct sipd_auth_digest d = {
		.alg = (enum sipd_auth_alg)cr.alg,
		.password = S("Circle of Life"),
		.nc = cr.nc_value,
		.qop = cr.qop,
		.method = S("GET"),
	};
	d.username = (struct sipd_str){user, (size_t)sipd_unquote(cr.username, user, sizeof user)};
	d.realm = (struct sipd_str){realm, (size_t)sipd_unquote(cr.realm, realm, sizeof realm)};
	d.uri = (struct sipd_str){uri, (size_t)sipd_unquote(cr.uri, uri, sizeof uri)};
	d.nonce = (struct sipd_str){nonce, (size_t)sipd_unquote(cr.nonce, nonce, sizeof nonce)};
	d.cnonce =
		(struct sipd_str){cnonce, (size_t)sipd_unquote(cr.cnonce, cnonce, sizeof cnonce)};
	int rn = sipd_unquote(cr.response, resp, sizeof resp - 1);
	assert_int_equal(rn, 64);
	resp[rn] = '\0';
	assert_response(&d, resp);
}

/* auth-int (RFC 7616 §3.4.3), with vectors of our own: bob / biloxi.com /
 * "zanzibar", INVITE sip:bob@biloxi.com with the SDP body below. Computed
 * with Python's hashlib, and each step again with the openssl command
 * (`openssl dgst -md5 | -sha256 | -sha512-256` on the body, then on
 * "bob:biloxi.com:zanzibar", then on A2 and the final string), which agree:
 *   H(body)   MD5 ae63a2cf100ef0e2485f5c7ff48d4edc
 *   response  MD5 760bd367f6239ffaa59fd3502a1410ed
 *             SHA-256 ed6e39c7...191218f, SHA-512-256 6bddf92d...cf7c9917 */
static const char sdp[] = "v=0\r\n"
			  "o=bob 2890844527 2890844527 IN IP4 192.0.2.4\r\n"
			  "s=-\r\n"
			  "c=IN IP4 192.0.2.4\r\n"
			  "t=0 0\r\n"
			  "m=audio 49172 RTP/AVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n";

static struct sipd_auth_digest bob_digest(enum sipd_auth_alg alg)
{
	return (struct sipd_auth_digest){
		.alg = alg,
		.username = S("bob"),
		.realm = S("biloxi.com"),
		.password = S("zanzibar"),
		.nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
		.cnonce = S("0a4f113b"),
		.qop = S("auth-int"),
		.nc = 1,
		.method = S("INVITE"),
		.uri = S("sip:bob@biloxi.com"),
		.body = S(sdp),
	};
}

static void test_rfc7616_3_4_3_auth_int(void **state)
{
	(void)state;
	struct sipd_auth_digest d = bob_digest(SIPD_AUTH_MD5);
	assert_response(&d, "760bd367f6239ffaa59fd3502a1410ed");
	d = bob_digest(SIPD_AUTH_SHA256);
	assert_response(&d, "ed6e39c7ec7141f4431583071827196bf25553ea795255b3c9b1ede2e191218f");
	d = bob_digest(SIPD_AUTH_SHA512_256);
	assert_response(&d, "6bddf92d44066b0e9e9485273b3a74350e0da39b469c623e1a7ef70ccf7c9917");
}

/* -sess (RFC 7616 §3.4.2): HA1 = H(H(user:realm:pass):nonce:cnonce). Same
 * inputs and method as above. */
static void test_rfc7616_3_4_2_sess(void **state)
{
	(void)state;
	struct sipd_auth_digest d = bob_digest(SIPD_AUTH_MD5_SESS);
	assert_response(&d, "82f90b6a4ebd98018c59051b55ade888");
	d = bob_digest(SIPD_AUTH_SHA256_SESS);
	assert_response(&d, "21a38f303193213e6d77b171b70a40b9fa0db822ce3042f32b759638896dcdcd");
	d = bob_digest(SIPD_AUTH_SHA512_256_SESS);
	assert_response(&d, "2a1e05c10901b7fdcd163dc35f777a1a6a4a1abe8d9ae394a6c3f4dfedbf8831");
	/* A stored HA1 gives the same session key. */
	char ha1[SIPD_AUTH_HEX_MAX + 1];
	assert_int_equal(sipd_auth_ha1(SIPD_AUTH_SHA512_256, S("bob"), S("biloxi.com"),
	                               S("zanzibar"), ha1, sizeof ha1),
	                 64);
	assert_string_equal(ha1,
	                    "a969680ab364e333ec5c93ff823d570a79841c8d40270655dd42f37b755dfc38");
	d.password = SIPD_STR_NULL;
	d.ha1 = (struct sipd_str){ha1, 64};
	assert_response(&d, "2a1e05c10901b7fdcd163dc35f777a1a6a4a1abe8d9ae394a6c3f4dfedbf8831");
	/* -sess needs a cnonce. */
	d.cnonce = SIPD_STR_NULL;
	char out[SIPD_AUTH_HEX_MAX + 1];
	assert_int_equal(sipd_auth_response(&d, out, sizeof out), SIPD_EINVAL);
}

/* RFC 3261 §22.4 item 7: a message without body hashes the empty string
 * (MD5 d41d8cd98f00b204e9800998ecf8427e) into A2. BYE, nc 2; our vectors. */
static void test_rfc3261_22_4_empty_body(void **state)
{
	(void)state;
	struct sipd_auth_digest d = bob_digest(SIPD_AUTH_MD5);
	d.method = S("BYE");
	d.body = SIPD_STR_NULL;
	d.nc = 2;
	assert_response(&d, "664f0b3b441ae6eb9fa3eb4b63990743");
	d.body = S("");
	assert_response(&d, "664f0b3b441ae6eb9fa3eb4b63990743");
	d = bob_digest(SIPD_AUTH_SHA256);
	d.method = S("BYE");
	d.body = SIPD_STR_NULL;
	d.nc = 2;
	assert_response(&d, "36bc102e36cfa63d7fc0392d27eb0b94ab64b8c915b54bb1fe225842f4caa341");
	d = bob_digest(SIPD_AUTH_SHA512_256);
	d.method = S("BYE");
	d.body = SIPD_STR_NULL;
	d.nc = 2;
	assert_response(&d, "cc8b106253e23c3443e451a31496a9c0fecbc6df49c2b6bf987ccb9227ba2210");
}

/* RFC 2617 §3.2.2.1: without qop, response = KD(HA1, nonce:HA2) (RFC 2069's
 * example inputs, "CircleOfLife"; the value printed in RFC 2069 is wrong,
 * see its errata; this one is from hashlib). */
static void test_rfc2617_3_2_2_1_no_qop(void **state)
{
	(void)state;
	struct sipd_auth_digest d = {
		.alg = SIPD_AUTH_MD5,
		.username = S("Mufasa"),
		.realm = S("testrealm@host.com"),
		.password = S("CircleOfLife"),
		.nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
		.method = S("GET"),
		.uri = S("/dir/index.html"),
	};
	assert_response(&d, "1949323746fe6a43ef61f9606e7febea");
}

static void test_digest_errors(void **state)
{
	(void)state;
	char out[SIPD_AUTH_HEX_MAX + 1];
	struct sipd_auth_digest d = bob_digest(SIPD_AUTH_SHA256);
	assert_int_equal(sipd_auth_response(&d, out, 64), SIPD_ENOSPC);
	d.alg = SIPD_AUTH_ALG__COUNT;
	assert_int_equal(sipd_auth_response(&d, out, sizeof out), SIPD_EINVAL);
	d = bob_digest(SIPD_AUTH_SHA256);
	d.password = SIPD_STR_NULL;
	d.ha1 = S("939e7578ed9e3c518a452acee763bce9"); /* an MD5 HA1 for SHA-256 */
	assert_int_equal(sipd_auth_response(&d, out, sizeof out), SIPD_EINVAL);
	d = bob_digest(SIPD_AUTH_MD5);
	d.cnonce = SIPD_STR_NULL; /* qop without cnonce */
	assert_int_equal(sipd_auth_response(&d, out, sizeof out), SIPD_EINVAL);
	assert_int_equal(sipd_auth_ha1(SIPD_AUTH_MD5, S("a"), S("b"), S("c"), out, 32),
	                 SIPD_ENOSPC);
}

/* RFC 7616 §3.3 and RFC 8760 §2.1: the names, any case; quotes tolerated. */
static void test_rfc8760_2_1_alg_names(void **state)
{
	(void)state;
	assert_string_equal(sipd_auth_alg_name(SIPD_AUTH_SHA512_256_SESS), "SHA-512-256-sess");
	assert_string_equal(sipd_auth_alg_name(SIPD_AUTH_ALG__COUNT), "");
	assert_int_equal(sipd_auth_alg_lookup(S("md5")), SIPD_AUTH_MD5);
	assert_int_equal(sipd_auth_alg_lookup(S("MD5-Sess")), SIPD_AUTH_MD5_SESS);
	assert_int_equal(sipd_auth_alg_lookup(S("SHA-256")), SIPD_AUTH_SHA256);
	assert_int_equal(sipd_auth_alg_lookup(S("\"SHA-512-256\"")), SIPD_AUTH_SHA512_256);
	assert_int_equal(sipd_auth_alg_lookup(S("SHA-512/256")), SIPD_ENOTFOUND);
	assert_int_equal(sipd_auth_alg_lookup(S("AKAv1-MD5")), SIPD_ENOTFOUND);
	assert_int_equal(sipd_auth_hex_len(SIPD_AUTH_MD5_SESS), 32);
	assert_int_equal(sipd_auth_hex_len(SIPD_AUTH_SHA512_256), 64);
}

/* ---------------------------------------------------------------- challenges */

/* RFC 3261 §22.2's example challenge; LWS folded over lines. */
static void test_rfc3261_22_2_challenge(void **state)
{
	(void)state;
	struct sipd_str v = S("Digest\r\n"
	                      "        realm=\"biloxi.com\",\r\n"
	                      "        qop=\"auth,auth-int\",\r\n"
	                      "        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
	                      "        opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	struct sipd_auth_challenge ch;
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_true(ch.digest);
	assert_int_equal(ch.alg, SIPD_AUTH_MD5); /* absent: MD5 */
	assert_absent(ch.algorithm);
	assert_slice(ch.realm, "\"biloxi.com\"");
	assert_slice(ch.nonce, "\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"");
	assert_slice(ch.opaque, "\"5ccc069c403ebaf9f0171e9517f40e41\"");
	assert_true(ch.has_qop && ch.qop_auth && ch.qop_auth_int);
	assert_false(ch.stale);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_ENOTFOUND);
}

/* quoted-string with quoted-pairs (RFC 3261 §25.1): the slice keeps them,
 * sipd_unquote() removes them. A comma inside quotes splits nothing. */
static void test_rfc3261_25_1_quoted_escapes(void **state)
{
	(void)state;
	struct sipd_str v = S("Digest realm=\"a \\\"quoted\\\" \\\\ realm, with comma\", "
	                      "nonce=\"n\\,1\", qop=\"auth\"");
	struct sipd_auth_challenge ch;
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.realm, "\"a \\\"quoted\\\" \\\\ realm, with comma\"");
	char r[64];
	int n = sipd_unquote(ch.realm, r, sizeof r);
	assert_int_equal(n, (int)strlen("a \"quoted\" \\ realm, with comma"));
	assert_memory_equal(r, "a \"quoted\" \\ realm, with comma", (size_t)n);
	n = sipd_unquote(ch.nonce, r, sizeof r);
	assert_int_equal(n, 3);
	assert_memory_equal(r, "n,1", 3);
	assert_true(ch.qop_auth && !ch.qop_auth_int);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_ENOTFOUND);

	/* An unterminated quoted-string, or one broken by a bare CR LF after
	 * a backslash, is a parse error. */
	v = S("Digest realm=\"open, nonce=\"x\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE);
	v = S("Digest realm=\"a\\");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE);
}

/* RFC 7235 §4.1: one value may carry several challenges. */
static void test_rfc7235_4_1_several_in_one_value(void **state)
{
	(void)state;
	struct sipd_str v = S("Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, qop=\"auth\", "
	                      "Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
	                      "qop=\"auth-int, auth\",Digest realm=\"r\",nonce=\"n3\","
	                      "algorithm=SHA-512-256-sess,qop=auth");
	struct sipd_auth_challenge ch;
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_int_equal(ch.alg, SIPD_AUTH_MD5);
	assert_slice(ch.nonce, "\"n1\"");
	assert_slice(ch.params, "realm=\"r\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_int_equal(ch.alg, SIPD_AUTH_SHA256);
	assert_slice(ch.nonce, "\"n2\"");
	assert_true(ch.qop_auth && ch.qop_auth_int);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_int_equal(ch.alg, SIPD_AUTH_SHA512_256_SESS);
	assert_slice(ch.nonce, "\"n3\"");
	assert_true(ch.has_qop && ch.qop_auth && !ch.qop_auth_int); /* unquoted, tolerated */
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_ENOTFOUND);
}

/* Other schemes pass by, token68 ones included (RFC 7235 §2.1 and its
 * §4.1 example); an unknown algorithm leaves a Digest challenge unusable
 * (RFC 7616 §3.3: such a challenge is ignored). */
static void test_rfc7235_4_1_other_schemes_unknown_alg(void **state)
{
	(void)state;
	struct sipd_str v = S("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
	                      "Basic realm=\"simple\", Bearer mF_9.B5f-4.1JqM==  , Negotiate, "
	                      "Digest realm=\"r\", nonce=\"n\", algorithm=SHA3-512, "
	                      "Digest realm=\"r\", nonce=\"m\", algorithm=\"sha-256\"");
	struct sipd_auth_challenge ch;
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.scheme, "Newauth");
	assert_false(ch.digest);
	assert_int_equal(ch.alg, -1);
	assert_absent(ch.realm);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.scheme, "Basic");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.scheme, "Bearer");
	assert_slice(ch.params, "mF_9.B5f-4.1JqM==");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.scheme, "Negotiate");
	assert_int_equal(ch.params.len, 0);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_true(ch.digest);
	assert_int_equal(ch.alg, -1);
	assert_slice(ch.algorithm, "SHA3-512");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_int_equal(ch.alg, SIPD_AUTH_SHA256);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_ENOTFOUND);
}

/* stale (RFC 7616 §3.3): "true" in any case, quoted or not; anything else
 * is false. userhash presence is noted. */
static void test_rfc7616_3_3_stale_userhash(void **state)
{
	(void)state;
	struct sipd_auth_challenge ch;
	struct sipd_str v = S("Digest realm=\"r\", nonce=\"n\", stale=TRUE");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_true(ch.stale);
	assert_false(ch.has_qop);
	assert_false(ch.has_userhash);
	v = S("Digest realm=\"r\", nonce=\"n\", stale=\"true\", userhash=true");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_true(ch.stale);
	assert_true(ch.has_userhash);
	v = S("Digest realm=\"r\", nonce=\"n\", stale=false, charset=UTF-8");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_false(ch.stale);
	v = S("Digest realm=\"r\", nonce=\"n\", stale=no");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_false(ch.stale);
	/* Flags repeated are as ambiguous as any other parameter. */
	v = S("Digest realm=\"r\", nonce=\"n\", stale=false, stale=true");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE);
	v = S("Digest realm=\"r\", qop=\"auth\", nonce=\"n\", qop=\"auth-int\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE);
}

static void test_rfc3261_25_1_challenge_grammar_errors(void **state)
{
	(void)state;
	struct sipd_auth_challenge ch;
	struct sipd_str v = S("Digest realm=\"r\", nonce=\"a\", nonce=\"b\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE); /* repeated */
	v = S("Digest realm=\"r\" nonce=\"a\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE); /* no comma */
	v = S("Digest realm=, nonce=\"a\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE); /* no value */
	v = S("Digest,realm=\"r\"");
	/* "Digest" without parameters, then "realm=..." is no scheme. */
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_int_equal(ch.params.len, 0);
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE);
	v = S("  ,  , ");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_ENOTFOUND);
	v = S("=x");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_EPARSE);
	/* Empty list elements between challenges are allowed. */
	v = S("Digest realm=\"r\", nonce=\"a\",, ,Digest realm=\"s\", nonce=\"b\",");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.realm, "\"r\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), 0);
	assert_slice(ch.realm, "\"s\"");
	assert_int_equal(sipd_auth_challenge_next(&v, &ch), SIPD_ENOTFOUND);
}

/* ---------------------------------------------------------------- credentials */

static void test_rfc3261_25_1_credentials_grammar(void **state)
{
	(void)state;
	struct sipd_auth_credentials cr;
	/* RFC 3261 §22.2's example. */
	struct sipd_str v =
		S("Digest username=\"bob\", realm=\"biloxi.com\", "
	          "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:bob@biloxi.com\", "
	          "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
	          "response=\"6629fae49393a05397450978507c4ef1\", "
	          "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), 0);
	assert_int_equal(cr.alg, SIPD_AUTH_MD5);
	assert_slice(cr.uri, "\"sip:bob@biloxi.com\"");
	assert_int_equal(cr.nc_value, 1);

	/* nc is 8 hex digits; upper case and quotes tolerated. */
	v = S("Digest username=\"a\", nc=\"0000001F\", algorithm=\"MD5-sess\", x-ext=\"y\"");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), 0);
	assert_int_equal(cr.nc_value, 31);
	assert_int_equal(cr.alg, SIPD_AUTH_MD5_SESS);
	v = S("Digest username=\"a\", nc=1");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), SIPD_EPARSE);
	v = S("Digest username=\"a\", nc=0000000g");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), SIPD_EPARSE);
	/* One credentials per value. */
	v = S("Digest username=\"a\", realm=\"r\", Digest username=\"b\"");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), SIPD_EPARSE);
	v = S("Digest username=\"a\", username=\"b\"");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), SIPD_EPARSE);
	v = S("");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), SIPD_EPARSE);
	/* Another scheme parses, and is not Digest. */
	v = S("Bearer abc.def");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), 0);
	assert_false(cr.digest);
	v = S("Digest username=\"a\", userhash=true, algorithm=SHA-999");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), 0);
	assert_true(cr.userhash);
	assert_int_equal(cr.alg, -1);
	v = S("Digest username=\"a\", userhash=false, userhash=true");
	assert_int_equal(sipd_auth_credentials_parse(&cr, v), SIPD_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617_3_5_md5_auth),
		cmocka_unit_test(test_rfc7616_3_9_1_md5_and_sha256),
		cmocka_unit_test(test_rfc7616_3_9_1_credentials_parse),
		cmocka_unit_test(test_rfc7616_3_4_3_auth_int),
		cmocka_unit_test(test_rfc7616_3_4_2_sess),
		cmocka_unit_test(test_rfc3261_22_4_empty_body),
		cmocka_unit_test(test_rfc2617_3_2_2_1_no_qop),
		cmocka_unit_test(test_digest_errors),
		cmocka_unit_test(test_rfc8760_2_1_alg_names),
		cmocka_unit_test(test_rfc3261_22_2_challenge),
		cmocka_unit_test(test_rfc3261_25_1_quoted_escapes),
		cmocka_unit_test(test_rfc7235_4_1_several_in_one_value),
		cmocka_unit_test(test_rfc7235_4_1_other_schemes_unknown_alg),
		cmocka_unit_test(test_rfc7616_3_3_stale_userhash),
		cmocka_unit_test(test_rfc3261_25_1_challenge_grammar_errors),
		cmocka_unit_test(test_rfc3261_25_1_credentials_grammar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
