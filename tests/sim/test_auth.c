/* Digest authentication through the simulator: a UAC registers with a
 * registrar that challenges (RFC 3261 §22.2, §10.2), over a link that loses
 * and duplicates packets, so that retransmissions absorbed by the
 * transactions never look like replays (RFC 7616 §5.5); a stale nonce is
 * answered without asking the user, a wrong password gives up (§22.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/auth.h>

#include "sim.h"

#define LIFETIME 300000u /* each exchange below takes ~32 s: Timer J/K */

/* ---- the registrar (node 1) */

struct registrar {
	struct sipd_auth_server *auth;
	unsigned verdicts[SIPD_AUTH_MALFORMED + 1];
	unsigned registered;
};

static struct registrar reg;

static int lookup(void *user, struct sipd_str username, struct sipd_str realm,
                  enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	(void)user;
	(void)realm;
	(void)hash;
	if (!sipd_str_eq(username, "alice") || cap < 10)
		return SIPD_ENOTFOUND;
	memcpy(out, "wonderland", 10);
	*len = 10;
	return SIPD_AUTH_SECRET_PASSWORD;
}

static void sim_bytes(void *user, void *buf, size_t len)
{
	struct sim *sim = user;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)sim_rand(sim);
}

static int on_register(struct sim *sim, int node, struct sipd_txn *tx, const struct sipd_msg *req)
{
	(void)node;
	if (!tx)
		return 0;
	struct sipd_auth_verdict v;
	assert_int_equal(sipd_auth_server_verify(reg.auth, req, sim->now, &v), 0);
	reg.verdicts[v.result]++;
	char lines[1024];
	struct sipd_buf b;
	sipd_buf_init(&b, lines, sizeof lines);
	struct sipd_response r = {.size = sizeof r, .code = 200, .to_tag = {"rt1", 3}};
	switch (v.result) {
	case SIPD_AUTH_OK: reg.registered++; break;
	case SIPD_AUTH_MALFORMED: r.code = 400; break;
	default:
		assert_int_equal(sipd_auth_server_challenge(reg.auth, &b,
		                                            v.result == SIPD_AUTH_STALE, sim->now),
		                 0);
		r.code = 401;
		r.headers = (struct sipd_str){lines, b.len};
		break;
	}
	assert_int_equal(sipd_txn_respond(tx, &r, sim->now), 0);
	return 0;
}

static void allow_register(struct sipd_stack_config *cfg)
{
	cfg->allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER";
}

/* ---- the UAC (node 0) */

struct uac {
	struct sipd_auth_client *auth;
	unsigned cseq;
	unsigned last_code;
	unsigned finals;
};

static void on_response(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                        const struct sipd_msg *resp)
{
	(void)tx;
	struct uac *u = arg;
	if (ev != SIPD_TXN_RESPONSE || resp->status < 200)
		return;
	u->finals++;
	u->last_code = resp->status;
	if (resp->status == 401)
		assert_int_equal(sipd_auth_client_challenge(u->auth, resp), 0);
}

/* Sends a REGISTER (with credentials when asked) and runs the network until
 * everything is settled; returns the final status. */
static unsigned do_register(struct sim *sim, struct uac *u, bool with_credentials)
{
	char hdrs[2048];
	int n = snprintf(hdrs, sizeof hdrs,
	                 "From: <sip:alice@biloxi.com>;tag=a1\r\n"
	                 "To: <sip:alice@biloxi.com>\r\n"
	                 "Call-ID: reg-1@10.0.0.1\r\n"
	                 "CSeq: %u REGISTER\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "Contact: <sip:alice@10.0.0.1>\r\n",
	                 ++u->cseq);
	assert_true(n > 0);
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs + n, sizeof hdrs - (size_t)n);
	if (with_credentials)
		assert_int_equal(sipd_auth_client_authorize(
					 u->auth, &b, (struct sipd_str){"REGISTER", 8},
					 (struct sipd_str){"sip:biloxi.com", 14}, SIPD_STR_NULL),
		                 0);
	struct sipd_request r = {
		.size = sizeof r,
		.method = {"REGISTER", 8},
		.uri = {"sip:biloxi.com", 14},
		.headers = {hdrs, (size_t)n + b.len},
		.flow = sim_flow(sim, 0, 1, SIPD_TP_UDP),
	};
	unsigned before = u->finals;
	assert_int_equal(sipd_stack_request(sim->nodes[0].st, &r, on_response, u, sim->now, NULL),
	                 0);
	sim_run(sim, UINT64_MAX);
	assert_int_equal(u->finals, before + 1);
	return u->last_code;
}

static void setup_sim(struct sim *sim, uint64_t seed)
{
	sim_init(sim, seed);
	sim->trace = getenv("SIM_TRACE") != NULL;
	sim_add_node(sim, NULL, NULL);
	static const struct sim_app app = {.request = on_register};
	sim_add_node(sim, &app, allow_register);
	/* Loss and duplicates both ways: retransmissions and copies must be
	 * absorbed by the transactions, never seen as replays. */
	for (int a = 0; a < 2; a++) {
		sim->links[a][1 - a].loss_pct = 20;
		sim->links[a][1 - a].dup_pct = 40;
		sim->links[a][1 - a].delay_ms = 20;
		sim->links[a][1 - a].jitter_ms = 30;
	}
	memset(&reg, 0, sizeof reg);
	static const uint8_t secret[] = "registrar secret, 32 bytes long!";
	struct sipd_auth_server_config cfg = {
		.size = sizeof cfg,
		.realm = "biloxi.com",
		.secret = secret,
		.secret_len = sizeof secret - 1,
		.nonce_lifetime_ms = LIFETIME,
		.lookup = lookup,
		.random = sim_bytes,
		.user = sim,
	};
	reg.auth = sipd_auth_server_create(&cfg);
	assert_non_null(reg.auth);
}

static struct sipd_auth_client *client(struct sim *sim, const char *password)
{
	struct sipd_auth_client_config cfg = {
		.size = sizeof cfg,
		.username = "alice",
		.password = password,
		.realm = "biloxi.com",
		.random = sim_bytes,
		.user = sim,
	};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	assert_non_null(c);
	return c;
}

/* RFC 3261 §22.2: 401, the request again with credentials, 200; later
 * requests carry credentials at once (the nonce cached) until it expires,
 * then one stale 401 and a retry without asking the user. */
static void rfc3261_22_2_register_challenge_stale(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct sim sim;
		setup_sim(&sim, seed);
		struct uac u = {.auth = client(&sim, "wonderland")};
		assert_int_equal(do_register(&sim, &u, false), 401);
		assert_int_equal(sipd_auth_client_alg(u.auth), SIPD_AUTH_SHA512_256);
		assert_false(sipd_auth_client_give_up(u.auth, 0));
		assert_int_equal(do_register(&sim, &u, true), 200);
		/* A refresh with the cached nonce: no challenge. */
		assert_int_equal(do_register(&sim, &u, true), 200);
		/* After the nonce's lifetime. */
		sim_run(&sim, sim.now + LIFETIME);
		assert_int_equal(do_register(&sim, &u, true), 401);
		assert_false(sipd_auth_client_give_up(u.auth, 1));
		assert_int_equal(do_register(&sim, &u, true), 200);
		assert_int_equal(reg.verdicts[SIPD_AUTH_NONE], 1);
		assert_int_equal(reg.verdicts[SIPD_AUTH_STALE], 1);
		assert_int_equal(reg.verdicts[SIPD_AUTH_OK], 3);
		assert_int_equal(reg.verdicts[SIPD_AUTH_DENIED], 0);
		assert_int_equal(reg.registered, 3);
		sipd_auth_client_destroy(u.auth);
		sipd_auth_server_destroy(reg.auth);
		sim_free(&sim);
	}
}

/* RFC 3261 §22.1: credentials refused are not sent again. */
static void rfc3261_22_1_wrong_password_gives_up(void **state)
{
	(void)state;
	struct sim sim;
	setup_sim(&sim, 42);
	struct uac u = {.auth = client(&sim, "guess")};
	unsigned tries = 0;
	unsigned code = do_register(&sim, &u, false);
	while (code == 401 && !sipd_auth_client_give_up(u.auth, tries)) {
		code = do_register(&sim, &u, true);
		tries++;
	}
	assert_int_equal(code, 401);
	assert_int_equal(tries, 1);
	assert_int_equal(reg.verdicts[SIPD_AUTH_DENIED], 1);
	assert_int_equal(reg.registered, 0);
	sipd_auth_client_destroy(u.auth);
	sipd_auth_server_destroy(reg.auth);
	sim_free(&sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_22_2_register_challenge_stale),
		cmocka_unit_test(rfc3261_22_1_wrong_password_gives_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
