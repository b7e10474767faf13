/* Registration through the simulator (RFC 3261 §10): a REGISTER client on
 * node 0 and a registrar on node 1. Registration and its refresh at the
 * computed time, 423 and Min-Expires, digest challenges (MD5 and SHA-256) and
 * a wrong password, unregistering one binding and all of them, CSeq order,
 * the list of bindings in the 200, q order, expiry to the millisecond, a
 * lossy link, the caps, and the retry policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/registration.h>

#include "sim.h"

#define AOR "sip:alice@biloxi.com"
#define T0 1000 /* the simulator's start */

/* ---------------------------------------------------------------- the world */

/* What one client's application saw. */
struct seen {
	unsigned n[SIPD_REG_FAILED + 1];
	struct sipd_reg_event last; /* pointers cleared */
	uint64_t at;
	char uris[8][96];
	int64_t expires[8];
	int q[8];
	bool ours[8];
	size_t nbindings;
	bool destroy; /* destroy the client from the callback */
};

static struct sim S;
static struct sipd_registrar *R;
static struct sipd_auth_server *A;
static unsigned changes;
static uint64_t changed_at;
static char changed_aor[128];

static void on_changed(void *arg, const char *aor, uint64_t now)
{
	(void)arg;
	changes++;
	changed_at = now;
	snprintf(changed_aor, sizeof changed_aor, "%s", aor);
}

static int on_request(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req)
{
	(void)sim;
	(void)node;
	return sipd_registrar_request(R, tx, req, NULL);
}

static void allow_register(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER";
}

static void sim_bytes(void *user, void *buf, size_t len)
{
	struct sim *sim = user;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)sim_rand(sim);
}

static int lookup_secret(void *user, struct sipd_str username, struct sipd_str realm,
                         enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	(void)user;
	(void)realm;
	(void)hash;
	const char *pw = sipd_str_eq(username, "alice") ? "wonderland"
	                 : sipd_str_eq(username, "bob") ? "builder"
	                                                : NULL;
	if (!pw || cap < strlen(pw))
		return SIPD_ENOTFOUND;
	memcpy(out, pw, strlen(pw));
	*len = strlen(pw);
	return SIPD_AUTH_SECRET_PASSWORD;
}

/* Two nodes, a registrar on node 1 with `rc` (NULL: the defaults), and an
 * auth server offering `alg` when alg >= 0. */
static void world(uint64_t seed, const struct sipd_registrar_config *rc, int alg)
{
	sim_init(&S, seed);
	S.trace = getenv("SIM_TRACE") != NULL;
	sim_add_node(&S, NULL, NULL);
	static const struct sim_app app = {.request = on_request};
	sim_add_node(&S, &app, allow_register);
	changes = 0;
	changed_at = 0;
	changed_aor[0] = 0;
	A = NULL;
	if (alg >= 0) {
		static enum sipd_auth_alg algs[1];
		algs[0] = (enum sipd_auth_alg)alg;
		static const uint8_t secret[] = "registrar secret, 32 bytes long!";
		struct sipd_auth_server_config ac = {
			.size = sizeof ac,
			.realm = "biloxi.com",
			.secret = secret,
			.secret_len = sizeof secret - 1,
			.nonce_lifetime_ms = 1800000,
			.algs = algs,
			.nalgs = 1,
			.lookup = lookup_secret,
			.random = sim_bytes,
			.user = &S,
		};
		A = sipd_auth_server_create(&ac);
		assert_non_null(A);
	}
	struct sipd_registrar_config c = {.size = sizeof c};
	if (rc)
		c = *rc;
	c.size = sizeof c;
	c.stack = S.nodes[1].st;
	c.auth = A;
	c.changed = on_changed;
	R = sipd_registrar_create(&c);
	assert_non_null(R);
}

static void end_world(void)
{
	sipd_registrar_destroy(R);
	R = NULL;
	sim_free(&S);
	sipd_auth_server_destroy(A);
	A = NULL;
}

static void on_event(void *arg, struct sipd_reg_client *c, const struct sipd_reg_event *ev)
{
	struct seen *s = arg;
	s->n[ev->state]++;
	s->last = *ev;
	s->last.resp = NULL;
	s->last.bindings = NULL;
	s->at = S.now;
	s->nbindings = ev->nbindings;
	for (size_t i = 0; i < ev->nbindings && i < 8; i++) {
		const struct sipd_reg_binding *b = &ev->bindings[i];
		snprintf(s->uris[i], sizeof s->uris[i], "%.*s", (int)b->uri.len, b->uri.p);
		s->expires[i] = b->expires;
		s->q[i] = b->q;
		s->ours[i] = b->ours;
	}
	if (s->destroy)
		sipd_reg_client_destroy(c);
}

static const struct sipd_auth_client_config *creds(const char *user, const char *password)
{
	static struct sipd_auth_client_config ac;
	ac = (struct sipd_auth_client_config){
		.size = sizeof ac,
		.username = user,
		.password = password,
		.random = sim_bytes,
		.user = &S,
	};
	return &ac;
}

/* A client of node 0 for AOR with this Contact. */
static struct sipd_reg_client *client(const char *aor, const char *contact, uint32_t expires,
                                      const struct sipd_auth_client_config *auth, struct seen *seen)
{
	memset(seen, 0, sizeof *seen);
	struct sipd_reg_client_config cfg = {
		.size = sizeof cfg,
		.stack = S.nodes[0].st,
		.registrar = "sip:biloxi.com",
		.aor = aor,
		.contact = contact,
		.expires = expires,
		.flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
		.auth = auth,
		.cb = on_event,
		.arg = seen,
		.random = sim_bytes,
		.random_user = &S,
	};
	struct sipd_reg_client *c;
	assert_int_equal(sipd_reg_client_create(&cfg, &c), 0);
	return c;
}

static int lookup(const char *aor, struct sipd_registrar_binding *out, size_t cap)
{
	return sipd_registrar_lookup(R, (struct sipd_str){aor, strlen(aor)}, S.now, out, cap);
}

/* A REGISTER played by hand from node 0; returns the registrar's status. */
static unsigned inject(const char *aor, const char *call_id, unsigned cseq, const char *contacts,
                       const char *extra)
{
	static unsigned branch;
	char msg[2048];
	branch++;
	snprintf(msg, sizeof msg,
	         "REGISTER sip:biloxi.com SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKhand%u\r\n"
	         "Max-Forwards: 70\r\n"
	         "From: <%s>;tag=h%u\r\n"
	         "To: <%s>\r\n"
	         "Call-ID: %s\r\n"
	         "CSeq: %u REGISTER\r\n"
	         "%s%s"
	         "Content-Length: 0\r\n\r\n",
	         branch, aor, branch, aor, call_id, cseq, contacts, extra ? extra : "");
	S.last[1][0] = 0;
	sim_inject(&S, 0, 1, SIPD_TP_UDP, msg);
	unsigned code = 0;
	if (strncmp(S.last[1], "SIP/2.0 ", 8) == 0)
		code = (unsigned)atoi(S.last[1] + 8);
	return code;
}

/* The value of a header line in the last packet node `n` sent, or "". */
static const char *last_header(int n, const char *name, char *out, size_t cap)
{
	const char *p = strstr(S.last[n], name);
	out[0] = 0;
	if (!p)
		return out;
	p += strlen(name);
	size_t k = 0;
	while (p[k] && p[k] != '\r' && k + 1 < cap) {
		out[k] = p[k];
		k++;
	}
	out[k] = 0;
	return out;
}

/* ---------------------------------------------------------------- tests */

/* §10.2, §10.2.4, §10.3 step 8: registered with what the registrar grants;
 * the refresh goes at the computed time with the same Call-ID and the next
 * CSeq; the registrar's binding ends at the refresh plus the interval. */
static void rfc3261_10_2_4_register_and_refresh_on_time(void **state)
{
	(void)state;
	world(1, NULL, -1);
	struct seen seen;
	struct sipd_reg_client *c = client(AOR, "sip:alice@10.0.0.1", 3600, NULL, &seen);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_IDLE);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_REGISTERING);
	sim_run(&S, T0 + 1000);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_REGISTERED);
	assert_int_equal(seen.last.status, 200);
	assert_int_equal(seen.last.expires, 3600);
	assert_int_equal(seen.last.expires_at, T0 + 3600000);
	/* half of 3600 s */
	assert_int_equal(seen.last.refresh_at, T0 + 1800000);
	assert_int_equal(seen.nbindings, 1);
	assert_string_equal(seen.uris[0], "sip:alice@10.0.0.1");
	assert_true(seen.ours[0]);
	assert_int_equal(seen.expires[0], 3600);
	struct sipd_registrar_binding b[4];
	assert_int_equal(lookup(AOR, b, 4), 1);
	assert_string_equal(b[0].uri, "sip:alice@10.0.0.1");
	assert_string_equal(b[0].call_id, sipd_reg_client_call_id(c));
	assert_int_equal(b[0].cseq, 1);
	assert_int_equal(b[0].expires_at, T0 + 3600000);

	sim_run(&S, T0 + 1800000 - 1);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 1);
	sim_run(&S, T0 + 1800000 + 1000);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 2);
	assert_int_equal(sim_time_of(&S, 0, "REGISTER", 1), T0 + 1800000);
	char v[128];
	assert_string_equal(last_header(0, "CSeq: ", v, sizeof v), "2 REGISTER");
	assert_string_equal(last_header(0, "Call-ID: ", v, sizeof v), sipd_reg_client_call_id(c));
	assert_string_equal(last_header(0, "Expires: ", v, sizeof v), "3600");
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 2);
	assert_int_equal(seen.last.refresh_at, T0 + 3600000);
	assert_int_equal(lookup(AOR, b, 4), 1);
	assert_int_equal(b[0].cseq, 2);
	assert_int_equal(b[0].expires_at, T0 + 1800000 + 3600000);
	assert_int_equal(sipd_reg_client_cseq(c), 2);
	/* and the next one, half an interval later again */
	sim_run(&S, T0 + 3600000 + 1000);
	assert_int_equal(sim_time_of(&S, 0, "REGISTER", 2), T0 + 3600000);
	assert_int_equal(seen.n[SIPD_REG_FAILED], 0);
	sipd_reg_client_destroy(c);
	end_world();
}

/* §10.2.8, §10.3 step 7: 423 with Min-Expires, then the REGISTER again (CSeq
 * + 1) for the minimum, which later REGISTERs keep asking for; a longer
 * interval than the registrar's maximum is shortened, not refused. */
static void rfc3261_10_2_8_interval_too_brief_then_min_expires(void **state)
{
	(void)state;
	struct sipd_registrar_config rc = {.min_expires = 600, .max_expires = 7200};
	world(2, &rc, -1);
	struct seen seen;
	struct sipd_reg_client *c = client(AOR, "sip:alice@10.0.0.1", 60, NULL, &seen);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, T0 + 1000);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 423"), 1);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 200"), 1);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(seen.n[SIPD_REG_FAILED], 0);
	assert_int_equal(seen.last.expires, 600);
	assert_int_equal(seen.last.refresh_at, T0 + 300000);
	assert_int_equal(sipd_reg_client_expires(c), 600);
	assert_int_equal(sipd_reg_client_cseq(c), 2);
	struct sipd_registrar_binding b[2];
	assert_int_equal(lookup(AOR, b, 2), 1);
	assert_int_equal(b[0].expires_at, T0 + 600000);
	assert_int_equal(b[0].expires, 599); /* a second later */
	assert_int_equal(b[0].cseq, 2);
	/* the refresh asks for 600 at once: no second 423 */
	sim_run(&S, T0 + 300000 + 1000);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 423"), 1);
	char v[32];
	assert_string_equal(last_header(0, "Expires: ", v, sizeof v), "600");
	struct sipd_registrar_stats st;
	sipd_registrar_stats(R, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.ok, 2);
	sipd_reg_client_destroy(c);

	/* by hand: 0 < 59 < 600 is too brief; 0 is not; 9000 is cut to 7200 */
	assert_int_equal(inject("sip:bob@biloxi.com", "h1", 1, "Contact: <sip:bob@10.0.0.9>\r\n",
	                        "Expires: 59\r\n"),
	                 423);
	char mv[32];
	assert_string_equal(last_header(1, "Min-Expires: ", mv, sizeof mv), "600");
	assert_int_equal(lookup("sip:bob@biloxi.com", b, 2), 0);
	assert_int_equal(inject("sip:bob@biloxi.com", "h1", 2,
	                        "Contact: <sip:bob@10.0.0.9>;expires=9000\r\n", NULL),
	                 200);
	assert_non_null(strstr(S.last[1], "expires=7200"));
	end_world();
}

/* §22.2, §10.2.4: a 401, the REGISTER again with credentials and CSeq + 1 on
 * the same Call-ID, 200; the refresh carries credentials from the start. */
static void digest_register(int alg, const char *alg_name)
{
	world(3, NULL, alg);
	struct seen seen;
	struct sipd_reg_client *c =
		client(AOR, "sip:alice@10.0.0.1", 600, creds("alice", "wonderland"), &seen);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, T0 + 1000);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 401"), 1);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(seen.n[SIPD_REG_FAILED], 0);
	assert_int_equal(sipd_reg_client_cseq(c), 2);
	char v[512];
	last_header(0, "Authorization: ", v, sizeof v);
	assert_non_null(strstr(v, "Digest "));
	assert_non_null(strstr(v, "username=\"alice\""));
	assert_non_null(strstr(v, "uri=\"sip:biloxi.com\""));
	char want[64];
	snprintf(want, sizeof want, "algorithm=%s", alg_name);
	assert_non_null(strstr(v, want));
	struct sipd_registrar_binding b[2];
	assert_int_equal(lookup(AOR, b, 2), 1);
	assert_int_equal(b[0].cseq, 2);
	assert_string_equal(b[0].call_id, sipd_reg_client_call_id(c));
	/* the refresh at 300 s: the nonce is still good (5 minutes) */
	sim_run(&S, T0 + 300000 + 1000);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 401"), 1);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 2);
	assert_int_equal(sipd_reg_client_cseq(c), 3);
	struct sipd_registrar_stats st;
	sipd_registrar_stats(R, &st);
	assert_int_equal(st.challenged, 1);
	assert_int_equal(st.ok, 2);
	sipd_reg_client_destroy(c);
	end_world();
}

static void rfc3261_22_2_register_digest_md5(void **state)
{
	(void)state;
	digest_register(SIPD_AUTH_MD5, "MD5");
}

static void rfc8760_register_digest_sha256(void **state)
{
	(void)state;
	digest_register(SIPD_AUTH_SHA256, "SHA-256");
}

/* §22.1: credentials refused are not sent again: FAILED with 401 and no
 * retry. §10.3 step 4: good credentials for another AOR get 403. */
static void rfc3261_22_1_wrong_password_fails(void **state)
{
	(void)state;
	world(4, NULL, SIPD_AUTH_SHA256);
	struct seen seen;
	struct sipd_reg_client *c =
		client(AOR, "sip:alice@10.0.0.1", 600, creds("alice", "guess"), &seen);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, T0 + 3600000);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 2);
	assert_int_equal(seen.n[SIPD_REG_FAILED], 1);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 0);
	assert_int_equal(seen.last.status, 401);
	assert_int_equal(seen.last.retry_at, UINT64_MAX);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_FAILED);
	assert_int_equal(lookup(AOR, NULL, 0), 0);
	sipd_reg_client_destroy(c);

	/* bob's password, alice's AOR */
	struct seen s2;
	c = client(AOR, "sip:alice@10.0.0.1", 600, creds("bob", "builder"), &s2);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, S.now + 3600000);
	assert_int_equal(s2.n[SIPD_REG_FAILED], 1);
	assert_int_equal(s2.last.status, 403);
	assert_int_equal(s2.last.retry_at, UINT64_MAX);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 403"), 1);
	assert_int_equal(lookup(AOR, NULL, 0), 0);
	sipd_reg_client_destroy(c);
	end_world();
}

/* §10.2.2: one binding removed with expires=0 (the 200 lists those left),
 * then every binding with Contact: * and Expires: 0. */
static void rfc3261_10_2_2_unregister_one_and_all(void **state)
{
	(void)state;
	world(5, NULL, -1);
	struct seen sa, sb;
	struct sipd_reg_client *a = client(AOR, "sip:alice@10.0.0.1", 3600, NULL, &sa);
	struct sipd_reg_client *b = client(AOR, "sip:alice@10.0.0.1:5070", 3600, NULL, &sb);
	assert_int_equal(sipd_reg_client_register(a, S.now), 0);
	assert_int_equal(sipd_reg_client_register(b, S.now), 0);
	sim_run(&S, T0 + 1000);
	assert_int_equal(sa.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(sb.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(sb.nbindings, 2);
	assert_int_equal(lookup(AOR, NULL, 0), 2);

	assert_int_equal(sipd_reg_client_unregister(a, false, S.now), 0);
	assert_int_equal(sipd_reg_client_state(a), SIPD_REG_UNREGISTERING);
	char v[128];
	assert_string_equal(last_header(0, "Contact: ", v, sizeof v),
	                    "<sip:alice@10.0.0.1>;expires=0");
	assert_string_equal(last_header(0, "Expires: ", v, sizeof v), "0");
	sim_run(&S, T0 + 2000);
	assert_int_equal(sa.n[SIPD_REG_UNREGISTERED], 1);
	assert_int_equal(sipd_reg_client_state(a), SIPD_REG_UNREGISTERED);
	assert_int_equal(sa.nbindings, 1);
	assert_string_equal(sa.uris[0], "sip:alice@10.0.0.1:5070");
	assert_false(sa.ours[0]);
	struct sipd_registrar_binding bb[4];
	assert_int_equal(lookup(AOR, bb, 4), 1);
	assert_string_equal(bb[0].uri, "sip:alice@10.0.0.1:5070");
	/* no refresh for a: only b refreshes at 1800 s */
	sim_run(&S, T0 + 1800000 + 1000);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 4);

	/* a again, then b removes everything */
	assert_int_equal(sipd_reg_client_register(a, S.now), 0);
	sim_run(&S, S.now + 1000);
	assert_int_equal(lookup(AOR, NULL, 0), 2);
	assert_int_equal(sipd_reg_client_unregister(b, true, S.now), 0);
	assert_string_equal(last_header(0, "Contact: ", v, sizeof v), "*");
	assert_string_equal(last_header(0, "Expires: ", v, sizeof v), "0");
	sim_run(&S, S.now + 1000);
	assert_int_equal(sb.n[SIPD_REG_UNREGISTERED], 1);
	assert_int_equal(sb.nbindings, 0);
	assert_int_equal(lookup(AOR, NULL, 0), 0);
	struct sipd_registrar_stats st;
	sipd_registrar_stats(R, &st);
	assert_int_equal(st.aors, 0);
	assert_int_equal(st.bindings, 0);
	/* unregistering what is not registered sends nothing */
	size_t sent = sim_count(&S, 0, "REGISTER");
	assert_int_equal(sipd_reg_client_unregister(b, false, S.now), 0);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), sent);
	sipd_reg_client_destroy(a);
	sipd_reg_client_destroy(b);
	end_world();
}

/* §10.3 step 6: "*" only alone and with Expires: 0, else 400 and no change;
 * an older CSeq of the same Call-ID fails the removal. */
static void rfc3261_10_3_step6_star_rules(void **state)
{
	(void)state;
	world(6, NULL, -1);
	assert_int_equal(inject(AOR, "c1", 10, "Contact: <sip:alice@10.0.0.1>\r\n", NULL), 200);
	assert_int_equal(inject(AOR, "c1", 11, "Contact: *\r\n", NULL), 400);
	assert_int_equal(inject(AOR, "c1", 12, "Contact: *\r\n", "Expires: 5\r\n"), 400);
	assert_int_equal(
		inject(AOR, "c1", 13, "Contact: *, <sip:alice@10.0.0.2>\r\n", "Expires: 0\r\n"),
		400);
	assert_int_equal(lookup(AOR, NULL, 0), 1);
	assert_int_equal(inject(AOR, "c1", 9, "Contact: *\r\n", "Expires: 0\r\n"), 500);
	assert_int_equal(inject(AOR, "c1", 10, "Contact: *\r\n", "Expires: 0\r\n"), 500);
	assert_int_equal(lookup(AOR, NULL, 0), 1);
	/* another Call-ID removes it whatever its CSeq */
	assert_int_equal(inject(AOR, "c2", 1, "Contact: *\r\n", "Expires: 0\r\n"), 200);
	assert_int_equal(lookup(AOR, NULL, 0), 0);
	assert_null(strstr(S.last[1], "Contact:"));
	end_world();
}

/* §10.3 step 7: a REGISTER of the same Call-ID whose CSeq is not higher than
 * the binding's is out of order: 500, and nothing changes, other Contacts of
 * the same request included (atomic). Another Call-ID updates. */
static void rfc3261_10_3_step7_out_of_order_cseq_500(void **state)
{
	(void)state;
	world(7, NULL, -1);
	assert_int_equal(
		inject(AOR, "c1", 5, "Contact: <sip:alice@10.0.0.1>\r\n", "Expires: 100\r\n"), 200);
	assert_int_equal(
		inject(AOR, "c1", 5, "Contact: <sip:alice@10.0.0.1>\r\n", "Expires: 900\r\n"), 500);
	assert_non_null(strstr(S.last[1], "SIP/2.0 500 Server Internal Error"));
	assert_int_equal(inject(AOR, "c1", 4,
	                        "Contact: <sip:alice@10.0.0.7>, <sip:alice@10.0.0.1>\r\n",
	                        "Expires: 900\r\n"),
	                 500);
	struct sipd_registrar_binding b[4];
	assert_int_equal(lookup(AOR, b, 4), 1);
	assert_int_equal(b[0].cseq, 5);
	assert_int_equal(b[0].expires, 100);
	/* the next CSeq, and a URI written differently (§19.1.4) */
	assert_int_equal(
		inject(AOR, "c1", 6, "Contact: <sip:%61lice@10.0.0.1>\r\n", "Expires: 900\r\n"),
		200);
	assert_int_equal(lookup(AOR, b, 4), 1);
	assert_int_equal(b[0].cseq, 6);
	assert_int_equal(b[0].expires, 900);
	/* another Call-ID (a rebooted UA): updated whatever the CSeq */
	assert_int_equal(
		inject(AOR, "c2", 1, "Contact: <sip:alice@10.0.0.1>\r\n", "Expires: 300\r\n"), 200);
	assert_int_equal(lookup(AOR, b, 4), 1);
	assert_string_equal(b[0].call_id, "c2");
	assert_int_equal(b[0].expires, 300);
	struct sipd_registrar_stats st;
	sipd_registrar_stats(R, &st);
	assert_int_equal(st.failed, 2);
	/* two Contacts that each equal the binding but not each other
	 * (§19.1.4 ignores a parameter in one URI only): the first updates it,
	 * the second is a binding of its own */
	assert_int_equal(inject(AOR, "c2", 2,
	                        "Contact: <sip:alice@10.0.0.1;x=1>, <sip:alice@10.0.0.1;x=2>\r\n",
	                        NULL),
	                 200);
	assert_int_equal(lookup(AOR, b, 4), 2);
	assert_string_equal(b[0].uri, "sip:alice@10.0.0.1;x=1");
	assert_string_equal(b[1].uri, "sip:alice@10.0.0.1;x=2");
	end_world();
}

/* §10.3 step 8, §10.2.3: the 200 lists every binding of the AOR with the
 * seconds it has left (rounded up), also to a query without Contact. */
static void rfc3261_10_3_step8_bindings_listed_with_remaining(void **state)
{
	(void)state;
	world(8, NULL, -1);
	assert_int_equal(
		inject(AOR, "c1", 1, "Contact: <sip:alice@10.0.0.1>\r\n", "Expires: 3600\r\n"),
		200);
	sim_run(&S, T0 + 100500);
	struct seen seen;
	memset(&seen, 0, sizeof seen);
	struct sipd_reg_client_config cfg = {
		.size = sizeof cfg,
		.stack = S.nodes[0].st,
		.registrar = "sip:biloxi.com",
		.aor = AOR,
		.contact = "sip:alice@10.0.0.2",
		.contact_params = ";q=0.7",
		.expires = 600,
		.flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
		.cb = on_event,
		.arg = &seen,
	};
	struct sipd_reg_client *c;
	assert_int_equal(sipd_reg_client_create(&cfg, &c), 0);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, S.now + 10);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(seen.nbindings, 2);
	assert_string_equal(seen.uris[0], "sip:alice@10.0.0.1");
	assert_int_equal(seen.expires[0], 3500); /* 3499.5 s left */
	assert_false(seen.ours[0]);
	assert_string_equal(seen.uris[1], "sip:alice@10.0.0.2");
	assert_int_equal(seen.expires[1], 600);
	assert_int_equal(seen.q[1], 700);
	assert_int_equal(seen.q[0], -1);
	assert_true(seen.ours[1]);
	assert_int_equal(seen.last.expires, 600);
	/* a query: no Contact, nothing changes, everything listed */
	sim_run(&S, T0 + 200000);
	unsigned before = changes;
	assert_int_equal(inject(AOR, "q1", 1, "", NULL), 200);
	assert_int_equal(changes, before);
	assert_non_null(strstr(S.last[1], "Contact: <sip:alice@10.0.0.1>;expires=3400\r\n"));
	assert_non_null(strstr(S.last[1], "Contact: <sip:alice@10.0.0.2>;q=0.7;expires=501\r\n"));
	sipd_reg_client_destroy(c);
	end_world();
}

/* §10.2.1.2, §16.6: q orders the lookup (absent as 1.0), then age; several
 * Contacts in one REGISTER, each with its own interval (§10.2.1.1). */
static void rfc3261_10_2_1_2_q_ordering_in_lookup(void **state)
{
	(void)state;
	world(9, NULL, -1);
	assert_int_equal(
		inject(AOR, "c1", 1,
	               "Contact: <sip:a@10.0.0.1>;q=0.5, <sip:b@10.0.0.1>;q=0.9;expires=60\r\n"
	               "Contact: <sip:c@10.0.0.1>\r\n",
	               "Expires: 1200\r\n"),
		200);
	assert_non_null(strstr(S.last[1], "Contact: <sip:a@10.0.0.1>;q=0.5;expires=1200\r\n"));
	assert_non_null(strstr(S.last[1], "Contact: <sip:b@10.0.0.1>;q=0.9;expires=60\r\n"));
	assert_non_null(strstr(S.last[1], "Contact: <sip:c@10.0.0.1>;expires=1200\r\n"));
	assert_int_equal(inject(AOR, "c2", 1,
	                        "Contact: <sip:d@10.0.0.1>;q=0.1;+sip.instance=\"x\"\r\n", NULL),
	                 200);
	assert_int_equal(inject(AOR, "c3", 1, "Contact: <sip:e@10.0.0.1>;q=1.0\r\n", NULL), 200);
	struct sipd_registrar_binding b[8];
	assert_int_equal(lookup("sip:alice@BILOXI.com;user=phone", b, 8), 5);
	assert_string_equal(b[0].uri, "sip:c@10.0.0.1"); /* 1.0 (absent), older */
	assert_int_equal(b[0].q, -1);
	assert_string_equal(b[1].uri, "sip:e@10.0.0.1"); /* 1.0 */
	assert_int_equal(b[1].q, 1000);
	assert_string_equal(b[2].uri, "sip:b@10.0.0.1");
	assert_int_equal(b[2].q, 900);
	assert_int_equal(b[2].expires, 60);
	assert_string_equal(b[3].uri, "sip:a@10.0.0.1");
	assert_string_equal(b[4].uri, "sip:d@10.0.0.1");
	assert_string_equal(b[4].params, ";+sip.instance=\"x\"");
	assert_int_equal(b[4].expires, 3600); /* the default */
	/* fewer slots than bindings: the best ones, and the count */
	assert_int_equal(lookup(AOR, b, 2), 5);
	assert_string_equal(b[1].uri, "sip:e@10.0.0.1");
	/* a refresh keeps the binding's place among equals */
	assert_int_equal(inject(AOR, "c1", 2, "Contact: <sip:c@10.0.0.1>\r\n", NULL), 200);
	assert_int_equal(lookup(AOR, b, 8), 5);
	assert_string_equal(b[0].uri, "sip:c@10.0.0.1");
	assert_int_equal(lookup("sip:nobody@biloxi.com", b, 8), 0);
	assert_int_equal(lookup("tel:+1", b, 8), SIPD_EINVAL);
	end_world();
}

/* §10.2.2 (soft state): a binding ends at exactly its time, and its AOR with
 * it; the application is told then. */
static void rfc3261_10_2_2_binding_expires_on_time(void **state)
{
	(void)state;
	world(10, NULL, -1);
	sim_run(&S, T0 + 5);
	uint64_t at = S.now;
	assert_int_equal(
		inject(AOR, "c1", 1, "Contact: <sip:alice@10.0.0.1>\r\n", "Expires: 120\r\n"), 200);
	assert_int_equal(changes, 1);
	assert_int_equal(changed_at, at);
	assert_string_equal(changed_aor, AOR);
	sim_run(&S, at + 120000 - 1);
	assert_int_equal(lookup(AOR, NULL, 0), 1);
	assert_int_equal(changes, 1);
	sim_run(&S, at + 120000);
	assert_int_equal(changes, 2);
	assert_int_equal(changed_at, at + 120000);
	assert_int_equal(lookup(AOR, NULL, 0), 0);
	struct sipd_registrar_stats st;
	sipd_registrar_stats(R, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.aors, 0);
	assert_int_equal(st.bindings, 0);
	/* a lookup past the time without the stack advanced leaves it out */
	assert_int_equal(
		inject(AOR, "c1", 2, "Contact: <sip:alice@10.0.0.1>\r\n", "Expires: 60\r\n"), 200);
	assert_int_equal(sipd_registrar_lookup(R, (struct sipd_str){AOR, strlen(AOR)},
	                                       S.now + 60000, NULL, 0),
	                 0);
	assert_int_equal(sipd_registrar_lookup(R, (struct sipd_str){AOR, strlen(AOR)},
	                                       S.now + 59999, NULL, 0),
	                 1);
	end_world();
}

/* A link that loses 20% of the packets both ways (and duplicates some):
 * the client still registers, with digest, and refreshes every time before
 * its binding runs out, for an hour, on several seeds. */
static void rfc3261_10_2_4_lossy_link_registers_and_refreshes(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		world(100 + seed, NULL, SIPD_AUTH_SHA256);
		for (int x = 0; x < 2; x++) {
			S.links[x][1 - x].loss_pct = 20;
			S.links[x][1 - x].dup_pct = 10;
			S.links[x][1 - x].delay_ms = 20;
			S.links[x][1 - x].jitter_ms = 30;
		}
		struct seen seen;
		struct sipd_reg_client *c =
			client(AOR, "sip:alice@10.0.0.1", 120, creds("alice", "wonderland"), &seen);
		assert_int_equal(sipd_reg_client_register(c, S.now), 0);
		sim_run(&S, T0 + 3600000);
		/* a refresh every 60 s (120 s granted) */
		assert_true(seen.n[SIPD_REG_REGISTERED] >= 55);
		assert_int_equal(seen.n[SIPD_REG_FAILED], 0);
		struct sipd_registrar_stats st;
		sipd_registrar_stats(R, &st);
		assert_int_equal(st.expired, 0); /* never ran out */
		assert_int_equal(lookup(AOR, NULL, 0), 1);
		assert_int_equal(sipd_reg_client_state(c), SIPD_REG_REGISTERED);
		sipd_reg_client_destroy(c);
		end_world();
	}
}

/* Bounded memory: AORs and bindings per AOR have caps; growth past them gets
 * 503 with Retry-After, which the client waits for before trying again. */
static void registrar_caps_503(void **state)
{
	(void)state;
	struct sipd_registrar_config rc = {.max_aors = 2, .max_bindings = 2, .retry_after = 45};
	world(11, &rc, -1);
	assert_int_equal(
		inject(AOR, "c1", 1, "Contact: <sip:a@10.0.0.1>, <sip:b@10.0.0.1>\r\n", NULL), 200);
	assert_int_equal(inject(AOR, "c1", 2, "Contact: <sip:c@10.0.0.1>\r\n", NULL), 503);
	char v[32];
	assert_string_equal(last_header(1, "Retry-After: ", v, sizeof v), "45");
	/* a removal and an addition together fit */
	assert_int_equal(inject(AOR, "c1", 3,
	                        "Contact: <sip:a@10.0.0.1>;expires=0, <sip:c@10.0.0.1>\r\n", NULL),
	                 200);
	assert_int_equal(
		inject("sip:bob@biloxi.com", "c2", 1, "Contact: <sip:bob@10.0.0.1>\r\n", NULL),
		200);
	assert_int_equal(
		inject("sip:carol@biloxi.com", "c3", 1, "Contact: <sip:c@10.0.0.3>\r\n", NULL),
		503);
	/* a query of an unknown AOR takes no room */
	assert_int_equal(inject("sip:carol@biloxi.com", "c3", 2, "", NULL), 200);
	struct sipd_registrar_stats st;
	sipd_registrar_stats(R, &st);
	assert_int_equal(st.aors, 2);
	assert_int_equal(st.bindings, 3);
	assert_int_equal(st.full, 2);

	/* the client: 503 with Retry-After, a retry 45 s later, which fits
	 * once bob has gone */
	struct seen seen;
	struct sipd_reg_client *c =
		client("sip:carol@biloxi.com", "sip:carol@10.0.0.1", 600, NULL, &seen);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	uint64_t sent = S.now;
	sim_run(&S, S.now + 10);
	assert_int_equal(seen.n[SIPD_REG_FAILED], 1);
	assert_int_equal(seen.last.status, 503);
	assert_int_equal(seen.last.retry_at, sent + 45000);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_FAILED);
	assert_int_equal(inject("sip:bob@biloxi.com", "c2", 2, "Contact: *\r\n", "Expires: 0\r\n"),
	                 200);
	sim_run(&S, sent + 45000 - 1);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 0);
	sim_run(&S, sent + 45000 + 10);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(lookup("sip:carol@biloxi.com", NULL, 0), 1);
	sipd_reg_client_destroy(c);
	end_world();
}

/* §10.2.7: a timeout is not retried at once but after the back-off of RFC
 * 5626 §4.5 (30-60 s after the first failure, 60-120 s after the second);
 * a registration that succeeds resets it. A 404 (§10.3 steps 1 and 5) is
 * final: no retry. */
static void rfc3261_10_2_7_timeout_backoff_and_final_failures(void **state)
{
	(void)state;
	struct sipd_registrar_config rc = {.domains = "biloxi.com, example.org"};
	world(12, &rc, -1);
	S.links[0][1].cut = true;
	struct seen seen;
	struct sipd_reg_client *c = client(AOR, "sip:alice@10.0.0.1", 600, NULL, &seen);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, T0 + 32000 + 10);
	/* Timer F: 64*T1 */
	assert_int_equal(seen.n[SIPD_REG_FAILED], 1);
	assert_int_equal(seen.last.status, 408);
	assert_int_equal(seen.at, T0 + 32000);
	uint64_t r1 = seen.last.retry_at;
	assert_true(r1 >= T0 + 32000 + 30000 && r1 <= T0 + 32000 + 60000);
	sim_run(&S, r1 - 1);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 11); /* the first one, retransmitted */
	sim_run(&S, r1 + 32000 + 10);
	assert_int_equal(seen.n[SIPD_REG_FAILED], 2);
	uint64_t r2 = seen.last.retry_at;
	assert_true(r2 >= r1 + 32000 + 60000 && r2 <= r1 + 32000 + 120000);
	S.links[0][1].cut = false;
	sim_run(&S, r2 + 1000);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_REGISTERED);
	sipd_reg_client_destroy(c);

	/* a domain not served: 404, final */
	struct seen s2;
	memset(&s2, 0, sizeof s2);
	struct sipd_reg_client_config cfg = {
		.size = sizeof cfg,
		.stack = S.nodes[0].st,
		.registrar = "sip:atlanta.com",
		.aor = "sip:alice@atlanta.com",
		.contact = "sip:alice@10.0.0.1",
		.flow = sim_flow(&S, 0, 1, SIPD_TP_UDP),
		.cb = on_event,
		.arg = &s2,
	};
	assert_int_equal(sipd_reg_client_create(&cfg, &c), 0);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, S.now + 3600000);
	assert_int_equal(s2.n[SIPD_REG_FAILED], 1);
	assert_int_equal(s2.last.status, 404);
	assert_int_equal(s2.last.retry_at, UINT64_MAX);
	assert_int_equal(sim_count(&S, 1, "SIP/2.0 404"), 1);
	sipd_reg_client_destroy(c);
	/* an AOR of another domain than the Request-URI's: 404 */
	assert_int_equal(
		inject("sip:alice@example.org", "x", 1, "Contact: <sip:a@10.0.0.1>\r\n", NULL),
		404);
	end_world();
}

/* The application may destroy the client from its callback, with the
 * transaction still alive; an unregistration asked for while the REGISTER
 * is out goes when it is answered (§10.2: one at a time). */
static void registration_client_life_cycle(void **state)
{
	(void)state;
	world(13, NULL, -1);
	struct seen seen;
	struct sipd_reg_client *c = client(AOR, "sip:alice@10.0.0.1", 600, NULL, &seen);
	seen.destroy = true;
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sim_run(&S, T0 + 40000);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 1);

	c = client(AOR, "sip:alice@10.0.0.1", 600, NULL, &seen);
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	assert_int_equal(sipd_reg_client_unregister(c, false, S.now), 0);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 2); /* waits */
	sim_run(&S, S.now + 1000);
	assert_int_equal(sim_count(&S, 0, "REGISTER"), 3);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(seen.n[SIPD_REG_UNREGISTERED], 1);
	assert_int_equal(sipd_reg_client_state(c), SIPD_REG_UNREGISTERED);
	assert_int_equal(lookup(AOR, NULL, 0), 0);
	/* and destroyed with a REGISTER out: it completes unseen */
	assert_int_equal(sipd_reg_client_register(c, S.now), 0);
	sipd_reg_client_destroy(c);
	sim_run(&S, S.now + 40000);
	assert_int_equal(seen.n[SIPD_REG_REGISTERED], 1);
	assert_int_equal(lookup(AOR, NULL, 0), 1);
	end_world();
}

/* Configurations the client and registrar refuse. */
static void registration_bad_configs(void **state)
{
	(void)state;
	world(14, NULL, -1);
	struct sipd_reg_client_config cfg = {
		.size = sizeof cfg,
		.stack = S.nodes[0].st,
		.registrar = "sip:biloxi.com",
		.aor = AOR,
		.contact = "sip:alice@10.0.0.1",
	};
	struct sipd_reg_client *c;
	assert_int_equal(sipd_reg_client_create(&cfg, &c), 0);
	sipd_reg_client_destroy(c);
	cfg.registrar = "sip:alice@biloxi.com"; /* §10.2: no userinfo */
	assert_int_equal(sipd_reg_client_create(&cfg, &c), SIPD_EINVAL);
	assert_null(c);
	cfg.registrar = "sip:biloxi.com";
	cfg.aor = "tel:+1";
	assert_int_equal(sipd_reg_client_create(&cfg, &c), SIPD_EINVAL);
	cfg.aor = AOR;
	cfg.headers = "Route: <sip:p>";
	assert_int_equal(sipd_reg_client_create(&cfg, &c), SIPD_EINVAL);
	cfg.headers = NULL;
	cfg.contact_params = "q=0.5";
	assert_int_equal(sipd_reg_client_create(&cfg, &c), SIPD_EINVAL);
	cfg.contact_params = ";expires=60";
	assert_int_equal(sipd_reg_client_create(&cfg, &c), SIPD_EINVAL);
	cfg.contact_params = ";q=0.5;+sip.instance=\"<urn:uuid:1>\"";
	assert_int_equal(sipd_reg_client_create(&cfg, &c), 0);
	sipd_reg_client_destroy(c);
	cfg.contact_params = NULL;
	cfg.contact = NULL;
	assert_int_equal(sipd_reg_client_create(&cfg, &c), SIPD_EINVAL);
	struct sipd_registrar_config rc = {
		.size = sizeof rc, .stack = S.nodes[1].st, .min_expires = 3601};
	assert_null(sipd_registrar_create(&rc));
	rc.min_expires = 600;
	rc.max_expires = 300;
	assert_null(sipd_registrar_create(&rc));
	rc.stack = NULL;
	rc.max_expires = 0;
	assert_null(sipd_registrar_create(&rc));
	/* not a REGISTER: not the registrar's */
	assert_int_equal(sipd_registrar_request(R, NULL, NULL, NULL), -1);
	end_world();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_10_2_4_register_and_refresh_on_time),
		cmocka_unit_test(rfc3261_10_2_8_interval_too_brief_then_min_expires),
		cmocka_unit_test(rfc3261_22_2_register_digest_md5),
		cmocka_unit_test(rfc8760_register_digest_sha256),
		cmocka_unit_test(rfc3261_22_1_wrong_password_fails),
		cmocka_unit_test(rfc3261_10_2_2_unregister_one_and_all),
		cmocka_unit_test(rfc3261_10_3_step6_star_rules),
		cmocka_unit_test(rfc3261_10_3_step7_out_of_order_cseq_500),
		cmocka_unit_test(rfc3261_10_3_step8_bindings_listed_with_remaining),
		cmocka_unit_test(rfc3261_10_2_1_2_q_ordering_in_lookup),
		cmocka_unit_test(rfc3261_10_2_2_binding_expires_on_time),
		cmocka_unit_test(rfc3261_10_2_4_lossy_link_registers_and_refreshes),
		cmocka_unit_test(registrar_caps_503),
		cmocka_unit_test(rfc3261_10_2_7_timeout_backoff_and_final_failures),
		cmocka_unit_test(registration_client_life_cycle),
		cmocka_unit_test(registration_bad_configs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
