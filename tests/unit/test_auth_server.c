/* The server side of digest authentication, and client and server together:
 * challenges (RFC 3261 §22.2, §22.3, RFC 8760 §2.3), nonces that expire and
 * cannot be replayed (RFC 7616 §5.4, §5.5), stale (§3.3), and unknown users
 * answered exactly like wrong passwords. */
#include "msg_test.h"

#include <sipdialog/auth.h>

#define S(lit) ((struct sipd_str){(lit), sizeof(lit) - 1})
#define REALM "biloxi.com"
#define LIFETIME 30000u

/* ---------------------------------------------------------------- fixtures */

struct rnd {
	uint8_t next;
};

static void fake_random(void *user, void *buf, size_t len)
{
	struct rnd *r = user;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		b[i] = r->next++;
}

/* The user base: alice has a password, bob a stored HA1 per hash. */
struct users {
	struct rnd rnd;
	unsigned lookups;
	int fail; /* a code to return instead */
	bool bad_ha1;
};

static int lookup(void *user, struct sipd_str username, struct sipd_str realm,
                  enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	struct users *u = user;
	u->lookups++;
	assert_true(sipd_str_eq(realm, REALM));
	if (u->fail)
		return u->fail;
	if (sipd_str_eq(username, "alice")) {
		assert_true(cap >= 10);
		memcpy(out, "wonderland", 10);
		*len = 10;
		return SIPD_AUTH_SECRET_PASSWORD;
	}
	if (sipd_str_eq(username, "bob")) {
		static const enum sipd_auth_alg of_hash[] = {SIPD_AUTH_MD5, SIPD_AUTH_SHA256,
		                                             SIPD_AUTH_SHA512_256};
		int n = sipd_auth_ha1(of_hash[hash], S("bob"), S(REALM), S("zanzibar"), out, cap);
		assert_true(n > 0);
		*len = u->bad_ha1 ? (size_t)n - 2 : (size_t)n;
		return SIPD_AUTH_SECRET_HA1;
	}
	return SIPD_ENOTFOUND;
}

static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

static struct sipd_auth_server_config server_cfg(struct users *u)
{
	return (struct sipd_auth_server_config){
		.size = sizeof(struct sipd_auth_server_config),
		.realm = REALM,
		.secret = secret,
		.secret_len = sizeof secret,
		.nonce_lifetime_ms = LIFETIME,
		.lookup = lookup,
		.random = fake_random,
		.user = u,
	};
}

static struct sipd_auth_server *server(struct users *u)
{
	struct sipd_auth_server_config cfg = server_cfg(u);
	struct sipd_auth_server *s = sipd_auth_server_create(&cfg);
	assert_non_null(s);
	return s;
}

static struct sipd_auth_client *client_for(const char *user, const char *password, struct rnd *r)
{
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = user,
		.password = password,
		.random = fake_random,
		.user = r,
	};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	return c;
}

/* The server's challenge lines, NUL-terminated. */
static void challenge(struct sipd_auth_server *s, bool stale, uint64_t now, char *out, size_t cap)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap - 1);
	assert_int_equal(sipd_auth_server_challenge(s, &b, stale, now), 0);
	out[b.len] = '\0';
}

/* A 401 (or 407) carrying the lines; it must pass the message check. */
static struct parsed *challenge_response(unsigned code, const char *lines)
{
	char text[4096];
	int n = snprintf(text, sizeof text,
	                 "SIP/2.0 %u %s\r\n"
	                 "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabc\r\n"
	                 "From: <sip:alice@biloxi.com>;tag=1928\r\n"
	                 "To: <sip:alice@biloxi.com>;tag=99\r\n"
	                 "Call-ID: a84b4c76e66710\r\n"
	                 "CSeq: 1 REGISTER\r\n"
	                 "%s"
	                 "Content-Length: 0\r\n\r\n",
	                 code, sipd_reason_phrase(code), lines);
	assert_true(n > 0 && (size_t)n < sizeof text);
	struct parsed *p = parse_dgram(text);
	assert_valid(p);
	return p;
}

/* The client takes the server's challenge (a fresh one at `now`). */
static void client_takes(struct sipd_auth_client *c, struct sipd_auth_server *s, bool stale,
                         uint64_t now, bool proxy)
{
	char lines[2048];
	challenge(s, stale, now, lines, sizeof lines);
	struct parsed *p = challenge_response(proxy ? 407 : 401, lines);
	assert_int_equal(sipd_auth_client_challenge(c, &p->msg), 0);
	parsed_free(p);
}

/* A request with extra header lines and a body. */
static struct parsed *request(const char *method, const char *lines, const char *body)
{
	char text[4096];
	int n = snprintf(text, sizeof text,
	                 "%s sip:biloxi.com SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKabd\r\n"
	                 "From: <sip:alice@biloxi.com>;tag=1928\r\n"
	                 "To: <sip:alice@biloxi.com>\r\n"
	                 "Call-ID: a84b4c76e66710\r\n"
	                 "CSeq: 2 %s\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "%s"
	                 "Content-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 method, method, lines, strlen(body), body);
	assert_true(n > 0 && (size_t)n < sizeof text);
	/* Parsed only: some tests feed values the message check would refuse
	 * before they got here. */
	struct parsed *p = parse_dgram(text);
	assert_true(p->rc > 0);
	return p;
}

/* The client's credentials line for a request (method, sip:biloxi.com, body). */
static void credentials(struct sipd_auth_client *c, const char *method, const char *body, char *out,
                        size_t cap)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap - 1);
	assert_int_equal(sipd_auth_client_authorize(
				 c, &b, (struct sipd_str){method, strlen(method)},
				 S("sip:biloxi.com"), (struct sipd_str){body, strlen(body)}),
	                 0);
	out[b.len] = '\0';
}

/* Verifies a request carrying `lines`; returns the result. */
static enum sipd_auth_result verify_lines(struct sipd_auth_server *s, const char *method,
                                          const char *lines, const char *body, uint64_t now,
                                          struct sipd_auth_verdict *v)
{
	struct parsed *p = request(method, lines, body);
	struct sipd_auth_verdict tmp;
	if (!v)
		v = &tmp;
	assert_int_equal(sipd_auth_server_verify(s, &p->msg, now, v), 0);
	parsed_free(p);
	return v->result;
}

/* ---------------------------------------------------------------- tests */

/* RFC 8760 §2.3: one challenge per algorithm, most preferred first, one
 * nonce; qop always (RFC 3261 §22.4 item 8); valid by RFC 3261's grammar. */
static void test_rfc8760_2_3_challenge_lines(void **state)
{
	(void)state;
	struct users u = {0};
	struct sipd_auth_server *s = server(&u);
	char lines[2048];
	challenge(s, false, 5000, lines, sizeof lines);
	/* nonce = hex(ts 5000 = 0x1388 || salt 00..07 || tag) */
	const char *n = "00000000000013880001020304050607";
	char want[2048];
	const char *p = strstr(lines, n);
	assert_non_null(p);
	char nonce[65];
	memcpy(nonce, p, 64);
	nonce[64] = '\0';
	snprintf(want, sizeof want,
	         "WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"%s\", "
	         "algorithm=SHA-512-256, qop=\"auth\"\r\n"
	         "WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"%s\", "
	         "algorithm=SHA-256, qop=\"auth\"\r\n"
	         "WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"%s\", "
	         "algorithm=MD5, qop=\"auth\"\r\n",
	         nonce, nonce, nonce);
	assert_string_equal(lines, want);
	parsed_free(challenge_response(401, lines));
	sipd_auth_server_destroy(s);

	/* A proxy, its own order, auth-int offered, stale. */
	static const enum sipd_auth_alg algs[] = {SIPD_AUTH_SHA256_SESS, SIPD_AUTH_MD5_SESS};
	struct sipd_auth_server_config cfg = server_cfg(&u);
	cfg.proxy = true;
	cfg.auth_int = true;
	cfg.algs = algs;
	cfg.nalgs = 2;
	s = sipd_auth_server_create(&cfg);
	assert_non_null(s);
	challenge(s, true, 5000, lines, sizeof lines);
	p = strstr(lines, "nonce=\"");
	assert_non_null(p);
	memcpy(nonce, p + 7, 64);
	snprintf(want, sizeof want,
	         "Proxy-Authenticate: Digest realm=\"biloxi.com\", nonce=\"%s\", "
	         "algorithm=SHA-256-sess, qop=\"auth,auth-int\", stale=true\r\n"
	         "Proxy-Authenticate: Digest realm=\"biloxi.com\", nonce=\"%s\", "
	         "algorithm=MD5-sess, qop=\"auth,auth-int\", stale=true\r\n",
	         nonce, nonce);
	assert_string_equal(lines, want);
	parsed_free(challenge_response(407, lines));
	struct sipd_buf b;
	sipd_buf_init(&b, lines, 100);
	assert_int_equal(sipd_auth_server_challenge(s, &b, false, 1), SIPD_ENOSPC);
	sipd_auth_server_destroy(s);
}

/* Client to server, SHA-512-256 (RFC 8760 §2.1): the client picks it from
 * the three challenges and the server accepts the credentials. */
static void test_rfc8760_2_1_round_trip_sha512_256(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {100};
	struct sipd_auth_server *s = server(&u);
	struct sipd_auth_client *c = client_for("alice", "wonderland", &cr);
	client_takes(c, s, false, 1000, false);
	assert_int_equal(sipd_auth_client_alg(c), SIPD_AUTH_SHA512_256);
	char line[1024];
	credentials(c, "REGISTER", "", line, sizeof line);
	/* What the client writes follows RFC 3261's grammar. */
	struct parsed *p = request("REGISTER", line, "");
	assert_valid(p);
	parsed_free(p);
	struct sipd_auth_verdict v;
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1500, &v), SIPD_AUTH_OK);
	assert_int_equal(v.alg, SIPD_AUTH_SHA512_256);
	assert_string_equal(v.username, "alice");
	/* The next request, same nonce, next count. */
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_non_null(strstr(line, "nc=00000002"));
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1600, NULL), SIPD_AUTH_OK);
	sipd_auth_client_destroy(c);
	sipd_auth_server_destroy(s);
}

/* Every algorithm, with and without -sess, with qop auth and auth-int
 * (the body then counts), and both kinds of stored secret. */
static void test_rfc7616_3_4_round_trip_all(void **state)
{
	(void)state;
	static const char *const body = "v=0\r\ns=-\r\n";
	for (int alg = 0; alg < SIPD_AUTH_ALG__COUNT; alg++) {
		for (int integrity = 0; integrity < 2; integrity++) {
			for (int who = 0; who < 2; who++) {
				struct users u = {0};
				struct rnd cr = {7};
				enum sipd_auth_alg a = (enum sipd_auth_alg)alg;
				struct sipd_auth_server_config cfg = server_cfg(&u);
				cfg.algs = &a;
				cfg.nalgs = 1;
				cfg.auth_int = true;
				struct sipd_auth_server *s = sipd_auth_server_create(&cfg);
				assert_non_null(s);
				struct sipd_auth_client_config cc = {
					.size = sizeof cc,
					.username = who ? "bob" : "alice",
					.password = who ? "zanzibar" : "wonderland",
					.prefer_auth_int = integrity,
					.random = fake_random,
					.user = &cr,
				};
				struct sipd_auth_client *c = sipd_auth_client_create(&cc);
				assert_non_null(c);
				client_takes(c, s, false, 1000, false);
				assert_int_equal(sipd_auth_client_alg(c), alg);
				char line[1024];
				credentials(c, "MESSAGE", body, line, sizeof line);
				assert_non_null(
					strstr(line, integrity ? "qop=auth-int" : "qop=auth,"));
				assert_int_equal(verify_lines(s, "MESSAGE", line, body, 1001, NULL),
				                 SIPD_AUTH_OK);
				/* Another body: auth-int notices, auth does not. */
				credentials(c, "MESSAGE", body, line, sizeof line);
				assert_int_equal(
					verify_lines(s, "MESSAGE", line, "v=1\r\n", 1002, NULL),
					integrity ? SIPD_AUTH_DENIED : SIPD_AUTH_OK);
				/* Another method never passes (A2). */
				credentials(c, "MESSAGE", body, line, sizeof line);
				assert_int_equal(verify_lines(s, "INFO", line, body, 1003, NULL),
				                 SIPD_AUTH_DENIED);
				sipd_auth_client_destroy(c);
				sipd_auth_server_destroy(s);
			}
		}
	}
}

/* RFC 7616 §3.3: an expired nonce with a correct digest is stale; the
 * client retries at once with the new nonce (RFC 3261 §22.1). */
static void test_rfc7616_3_3_stale_flow(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server *s = server(&u);
	struct sipd_auth_client *c = client_for("alice", "wonderland", &cr);
	client_takes(c, s, false, 1000, false);
	char line[1024];
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1000 + LIFETIME - 1, NULL),
	                 SIPD_AUTH_OK);
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1000 + LIFETIME, NULL),
	                 SIPD_AUTH_STALE);
	client_takes(c, s, true, 1000 + LIFETIME, false);
	assert_false(sipd_auth_client_give_up(c, 1));
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_non_null(strstr(line, "nc=00000001"));
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1000 + LIFETIME + 5, NULL),
	                 SIPD_AUTH_OK);

	/* A wrong password on an expired nonce is denied, not stale: stale
	 * promises the digest was right. */
	struct sipd_auth_client *w = client_for("alice", "wrong", &cr);
	client_takes(w, s, false, 2000, false);
	credentials(w, "REGISTER", "", line, sizeof line);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 2000 + LIFETIME, NULL),
	                 SIPD_AUTH_DENIED);
	/* ...and the client, challenged again without stale, gives up. */
	client_takes(w, s, false, 2000 + LIFETIME, false);
	assert_true(sipd_auth_client_give_up(w, 1));
	sipd_auth_client_destroy(w);
	sipd_auth_client_destroy(c);
	sipd_auth_server_destroy(s);
}

/* RFC 7616 §5.5: a count seen before is a replay (stale: the digest was
 * right); counts reordered in flight pass within the window. */
static void test_rfc7616_5_5_replay(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server *s = server(&u);
	struct sipd_auth_client *c = client_for("alice", "wonderland", &cr);
	client_takes(c, s, false, 1000, false);
	char l1[1024], l2[1024], l3[1024], l4[1024];
	credentials(c, "REGISTER", "", l1, sizeof l1);
	credentials(c, "REGISTER", "", l2, sizeof l2);
	credentials(c, "REGISTER", "", l3, sizeof l3);
	assert_int_equal(verify_lines(s, "REGISTER", l1, "", 1001, NULL), SIPD_AUTH_OK);
	assert_int_equal(verify_lines(s, "REGISTER", l1, "", 1002, NULL), SIPD_AUTH_STALE);
	assert_int_equal(verify_lines(s, "REGISTER", l3, "", 1003, NULL), SIPD_AUTH_OK);
	assert_int_equal(verify_lines(s, "REGISTER", l2, "", 1004, NULL), SIPD_AUTH_OK);
	assert_int_equal(verify_lines(s, "REGISTER", l2, "", 1005, NULL), SIPD_AUTH_STALE);
	assert_int_equal(verify_lines(s, "REGISTER", l3, "", 1006, NULL), SIPD_AUTH_STALE);
	/* 70 counts later, count 4 has fallen out of the window. */
	credentials(c, "REGISTER", "", l4, sizeof l4);
	for (int i = 0; i < 69; i++)
		credentials(c, "REGISTER", "", l1, sizeof l1);
	assert_non_null(strstr(l1, "nc=00000049"));
	assert_int_equal(verify_lines(s, "REGISTER", l1, "", 1007, NULL), SIPD_AUTH_OK);
	assert_int_equal(verify_lines(s, "REGISTER", l4, "", 1008, NULL), SIPD_AUTH_STALE);
	/* A request refused (wrong method) records nothing: its count is
	 * still good for the right request. */
	credentials(c, "REGISTER", "", l2, sizeof l2);
	assert_int_equal(verify_lines(s, "OPTIONS", l2, "", 1009, NULL), SIPD_AUTH_DENIED);
	assert_int_equal(verify_lines(s, "REGISTER", l2, "", 1010, NULL), SIPD_AUTH_OK);
	sipd_auth_client_destroy(c);
	sipd_auth_server_destroy(s);
}

/* A nonce from the future (the host restarted its clock), or one we never
 * issued (a bad tag), is stale when the digest is right. */
static void test_rfc7616_5_4_nonce_not_ours(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server *s = server(&u);
	struct sipd_auth_client *c = client_for("alice", "wonderland", &cr);
	client_takes(c, s, false, 9000, false);
	char line[1024];
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 8999, NULL), SIPD_AUTH_STALE);

	/* Forged: 64 hex digits with a wrong tag, and a short nonce. */
	const char *forged[] = {
		"WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"0000000000001388"
		"00010203040506070000000000000000000000000000000000000000000000ff\", "
		"algorithm=SHA-256, qop=\"auth\"\r\n",
		"WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"abc\", "
		"algorithm=SHA-256, qop=\"auth\"\r\n",
	};
	for (size_t i = 0; i < 2; i++) {
		struct parsed *p = challenge_response(401, forged[i]);
		assert_int_equal(sipd_auth_client_challenge(c, &p->msg), 0);
		parsed_free(p);
		credentials(c, "REGISTER", "", line, sizeof line);
		assert_int_equal(verify_lines(s, "REGISTER", line, "", 9001, NULL),
		                 SIPD_AUTH_STALE);
	}
	/* A nonce of another realm's server (another secret) too. */
	struct users u2 = {0};
	struct sipd_auth_server_config cfg = server_cfg(&u2);
	cfg.secret = "another secret of at least 16 bytes";
	cfg.secret_len = 30;
	struct sipd_auth_server *other = sipd_auth_server_create(&cfg);
	assert_non_null(other);
	client_takes(c, other, false, 9000, false);
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 9001, NULL), SIPD_AUTH_STALE);
	assert_int_equal(verify_lines(other, "REGISTER", line, "", 9001, NULL), SIPD_AUTH_OK);
	sipd_auth_server_destroy(other);
	sipd_auth_client_destroy(c);
	sipd_auth_server_destroy(s);
}

/* RFC 7616 §5.7 and our rule: an unknown user gets exactly what a wrong
 * password gets, after the same lookup and hashing: the same verdict and,
 * with the same random bytes and time, byte-identical challenges. */
static void test_rfc7616_5_7_unknown_user_like_wrong_password(void **state)
{
	(void)state;
	const char *who[] = {"mallory", "alice", "bob"};
	char out[3][2048];
	for (int kind = 0; kind < 2; kind++) { /* after a password lookup, after an HA1 one */
		for (size_t i = 0; i < 3; i++) {
			struct users u = {0};
			struct rnd cr = {1};
			struct sipd_auth_server *s = server(&u);
			/* The form of the last real lookup, which the dummy mimics. */
			struct sipd_auth_client *prime =
				client_for(kind ? "bob" : "alice", "x", &cr);
			client_takes(prime, s, false, 1000, false);
			char line[1024];
			credentials(prime, "REGISTER", "", line, sizeof line);
			verify_lines(s, "REGISTER", line, "", 1000, NULL);
			sipd_auth_client_destroy(prime);

			struct sipd_auth_client *c = client_for(who[i], "not-the-password", &cr);
			client_takes(c, s, false, 1000, false);
			credentials(c, "REGISTER", "", line, sizeof line);
			unsigned before = u.lookups;
			struct sipd_auth_verdict v;
			assert_int_equal(verify_lines(s, "REGISTER", line, "", 1001, &v),
			                 SIPD_AUTH_DENIED);
			assert_int_equal(u.lookups, before + 1);
			assert_string_equal(v.username, who[i]);
			/* The answer: a new challenge, from the same state. */
			u.rnd.next = 42;
			challenge(s, v.result == SIPD_AUTH_STALE, 1001, out[i], sizeof out[i]);
			sipd_auth_client_destroy(c);
			sipd_auth_server_destroy(s);
		}
		assert_string_equal(out[0], out[1]);
		assert_string_equal(out[0], out[2]);
	}
	/* An over-long username is an unknown user too. */
	struct users u = {0};
	struct sipd_auth_server *s = server(&u);
	char lines[2048];
	challenge(s, false, 1000, lines, sizeof lines);
	char longname[600];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	snprintf(lines, sizeof lines,
	         "Authorization: Digest username=\"%s\", realm=\"biloxi.com\", nonce=\"x\", "
	         "uri=\"sip:biloxi.com\", response=\"00000000000000000000000000000000\"\r\n",
	         longname);
	struct sipd_auth_verdict v;
	assert_int_equal(verify_lines(s, "REGISTER", lines, "", 1000, &v), SIPD_AUTH_DENIED);
	assert_int_equal(u.lookups, 0);
	assert_string_equal(v.username, "");
	sipd_auth_server_destroy(s);
}

/* The replay table is bounded (max_nonces): the oldest entry leaves, and
 * every nonce issued no later than it is stale from then on. */
static void test_rfc7616_5_5_bounded_table(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server_config cfg = server_cfg(&u);
	cfg.max_nonces = 2;
	struct sipd_auth_server *s = sipd_auth_server_create(&cfg);
	assert_non_null(s);
	struct sipd_auth_client *c[4];
	char line[4][1024];
	for (int i = 0; i < 4; i++) {
		c[i] = client_for("alice", "wonderland", &cr);
		client_takes(c[i], s, false, 1000 + (uint64_t)i, false);
	}
	/* A, B, C used once each: C pushes A out. */
	for (int i = 0; i < 3; i++) {
		credentials(c[i], "REGISTER", "", line[i], sizeof line[i]);
		assert_int_equal(verify_lines(s, "REGISTER", line[i], "", 1010, NULL),
		                 SIPD_AUTH_OK);
	}
	assert_int_equal(verify_lines(s, "REGISTER", line[0], "", 1011, NULL), SIPD_AUTH_STALE);
	credentials(c[0], "REGISTER", "", line[0], sizeof line[0]);
	assert_int_equal(verify_lines(s, "REGISTER", line[0], "", 1011, NULL), SIPD_AUTH_STALE);
	/* B and C are still tracked; D (issued after A) enters, pushing B. */
	credentials(c[1], "REGISTER", "", line[1], sizeof line[1]);
	assert_int_equal(verify_lines(s, "REGISTER", line[1], "", 1012, NULL), SIPD_AUTH_OK);
	credentials(c[3], "REGISTER", "", line[3], sizeof line[3]);
	assert_int_equal(verify_lines(s, "REGISTER", line[3], "", 1012, NULL), SIPD_AUTH_OK);
	credentials(c[1], "REGISTER", "", line[1], sizeof line[1]);
	assert_int_equal(verify_lines(s, "REGISTER", line[1], "", 1013, NULL), SIPD_AUTH_STALE);
	credentials(c[2], "REGISTER", "", line[2], sizeof line[2]);
	assert_int_equal(verify_lines(s, "REGISTER", line[2], "", 1013, NULL), SIPD_AUTH_OK);
	/* Expired entries leave first: after the lifetime, new nonces enter
	 * without pushing live ones. */
	for (int i = 0; i < 4; i++)
		client_takes(c[i], s, false, 1000 + LIFETIME + (uint64_t)i, false);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 2; i++) {
			credentials(c[i], "REGISTER", "", line[i], sizeof line[i]);
			assert_int_equal(verify_lines(s, "REGISTER", line[i], "",
			                              1000 + LIFETIME + 10, NULL),
			                 SIPD_AUTH_OK);
		}
	}
	for (int i = 0; i < 4; i++)
		sipd_auth_client_destroy(c[i]);
	sipd_auth_server_destroy(s);
}

/* RFC 3261 §22.3: credentials for other realms are not ours to judge;
 * RFC 7616 §3.4: ours with a bad or missing directive are malformed (400). */
static void test_rfc3261_22_3_other_realms_and_malformed(void **state)
{
	(void)state;
	struct users u = {0};
	struct sipd_auth_server *s = server(&u);
	struct sipd_auth_verdict v;
	assert_int_equal(verify_lines(s, "REGISTER", "", "", 1, &v), SIPD_AUTH_NONE);
	assert_int_equal(v.alg, -1);
	static const char *const none[] = {
		"Authorization: Digest username=\"alice\", realm=\"atlanta.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", response=\"00000000000000000000000000000000\"\r\n",
		"Authorization: Bearer abc\r\n",
		/* our realm, an algorithm not offered */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", algorithm=MD5-sess, qop=auth, nc=00000001, cnonce=\"c\", "
		"response=\"00000000000000000000000000000000\"\r\n",
		/* broken, for another realm */
		"Authorization: Digest username=\"alice\", realm=\"atlanta.com\", nonce=\"n\", "
		"nonce=\"m\"\r\n",
		/* for a proxy, not for us */
		"Proxy-Authorization: Digest username=\"alice\", realm=\"biloxi.com\", "
		"nonce=\"n\", "
		"uri=\"sip:biloxi.com\", response=\"00000000000000000000000000000000\"\r\n",
	};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		assert_int_equal(verify_lines(s, "REGISTER", none[i], "", 1, NULL), SIPD_AUTH_NONE);
	static const char *const malformed[] = {
		/* no response */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\"\r\n",
		/* response of the wrong length for MD5 */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", response=\"0000\"\r\n",
		/* qop without nc and cnonce */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", qop=auth, "
		"response=\"00000000000000000000000000000000\"\r\n",
		/* auth-int, not offered */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", qop=auth-int, nc=00000001, cnonce=\"c\", "
		"response=\"00000000000000000000000000000000\"\r\n",
		/* nc 0 */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", qop=auth, nc=00000000, cnonce=\"c\", "
		"response=\"00000000000000000000000000000000\"\r\n",
		/* a hashed username, never offered */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"uri=\"sip:biloxi.com\", userhash=true, "
		"response=\"00000000000000000000000000000000\"\r\n",
		/* broken syntax, our realm */
		"Authorization: Digest username=\"alice\", realm=\"biloxi.com\", nonce=\"n\", "
		"nonce=\"m\"\r\n",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		assert_int_equal(verify_lines(s, "REGISTER", malformed[i], "", 1, NULL),
		                 SIPD_AUTH_MALFORMED);
	assert_int_equal(u.lookups, 0);
	sipd_auth_server_destroy(s);
}

/* RFC 3261 §22.4: credentials without qop (RFC 2069's form) are accepted
 * unless refused by configuration; with no count, a nonce serves once. */
static void test_rfc3261_22_4_rfc2069_form(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server *s = server(&u);
	char lines[2048];
	challenge(s, false, 1000, lines, sizeof lines);
	/* The server's challenge without its qop. */
	char *q;
	while ((q = strstr(lines, ", qop=\"auth\"")) != NULL)
		memmove(q, q + 12, strlen(q + 12) + 1);
	struct sipd_auth_client *c = client_for("alice", "wonderland", &cr);
	struct parsed *p = challenge_response(401, lines);
	assert_int_equal(sipd_auth_client_challenge(c, &p->msg), 0);
	parsed_free(p);
	char line[1024];
	credentials(c, "REGISTER", "", line, sizeof line);
	assert_null(strstr(line, "qop"));
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1001, NULL), SIPD_AUTH_OK);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1002, NULL), SIPD_AUTH_STALE);
	sipd_auth_server_destroy(s);

	struct sipd_auth_server_config cfg = server_cfg(&u);
	cfg.require_qop = true;
	s = sipd_auth_server_create(&cfg);
	assert_non_null(s);
	assert_int_equal(verify_lines(s, "REGISTER", line, "", 1001, NULL), SIPD_AUTH_MALFORMED);
	sipd_auth_server_destroy(s);
	sipd_auth_client_destroy(c);
}

/* RFC 3261 §22.3: a proxy judges Proxy-Authorization and challenges with
 * Proxy-Authenticate in a 407; the client answers in kind. */
static void test_rfc3261_22_3_proxy_flow(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server_config cfg = server_cfg(&u);
	cfg.proxy = true;
	struct sipd_auth_server *s = sipd_auth_server_create(&cfg);
	assert_non_null(s);
	struct sipd_auth_client *c = client_for("bob", "zanzibar", &cr);
	client_takes(c, s, false, 1000, true);
	char line[1024];
	credentials(c, "INVITE", "", line, sizeof line);
	assert_memory_equal(line, "Proxy-Authorization: ", 21);
	assert_int_equal(verify_lines(s, "INVITE", line, "", 1001, NULL), SIPD_AUTH_OK);
	/* The same credentials as Authorization are not for a proxy. */
	credentials(c, "INVITE", "", line, sizeof line);
	assert_int_equal(verify_lines(s, "INVITE", line + 6, "", 1001, NULL), SIPD_AUTH_NONE);
	sipd_auth_client_destroy(c);
	sipd_auth_server_destroy(s);
}

/* Lookup failures reach the caller; configuration errors refuse creation. */
static void test_server_errors(void **state)
{
	(void)state;
	struct users u = {0};
	struct rnd cr = {1};
	struct sipd_auth_server *s = server(&u);
	struct sipd_auth_client *c = client_for("bob", "zanzibar", &cr);
	client_takes(c, s, false, 1000, false);
	char line[1024];
	credentials(c, "REGISTER", "", line, sizeof line);
	struct parsed *p = request("REGISTER", line, "");
	struct sipd_auth_verdict v;
	u.fail = SIPD_ENOMEM;
	assert_int_equal(sipd_auth_server_verify(s, &p->msg, 1001, &v), SIPD_ENOMEM);
	u.fail = 0;
	u.bad_ha1 = true;
	assert_int_equal(sipd_auth_server_verify(s, &p->msg, 1001, &v), SIPD_EINVAL);
	u.bad_ha1 = false;
	assert_int_equal(sipd_auth_server_verify(s, &p->msg, 1001, &v), 0);
	assert_int_equal(v.result, SIPD_AUTH_OK);
	parsed_free(p);
	struct parsed *resp = challenge_response(401, "");
	assert_int_equal(sipd_auth_server_verify(s, &resp->msg, 1001, &v), SIPD_EINVAL);
	parsed_free(resp);
	sipd_auth_client_destroy(c);
	sipd_auth_server_destroy(s);

	struct sipd_auth_server_config cfg = server_cfg(&u);
	cfg.secret_len = 15;
	assert_null(sipd_auth_server_create(&cfg));
	cfg = server_cfg(&u);
	enum sipd_auth_alg twice[] = {SIPD_AUTH_MD5, SIPD_AUTH_MD5};
	cfg.algs = twice;
	cfg.nalgs = 2;
	assert_null(sipd_auth_server_create(&cfg));
	cfg.nalgs = 0;
	assert_null(sipd_auth_server_create(&cfg));
	cfg = server_cfg(&u);
	cfg.lookup = NULL;
	assert_null(sipd_auth_server_create(&cfg));
	cfg = server_cfg(&u);
	cfg.realm = NULL;
	assert_null(sipd_auth_server_create(&cfg));
	sipd_auth_server_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8760_2_3_challenge_lines),
		cmocka_unit_test(test_rfc8760_2_1_round_trip_sha512_256),
		cmocka_unit_test(test_rfc7616_3_4_round_trip_all),
		cmocka_unit_test(test_rfc7616_3_3_stale_flow),
		cmocka_unit_test(test_rfc7616_5_5_replay),
		cmocka_unit_test(test_rfc7616_5_4_nonce_not_ours),
		cmocka_unit_test(test_rfc7616_5_7_unknown_user_like_wrong_password),
		cmocka_unit_test(test_rfc7616_5_5_bounded_table),
		cmocka_unit_test(test_rfc3261_22_3_other_realms_and_malformed),
		cmocka_unit_test(test_rfc3261_22_4_rfc2069_form),
		cmocka_unit_test(test_rfc3261_22_3_proxy_flow),
		cmocka_unit_test(test_server_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
