/* fuzz_auth — digest authentication (auth.h) on fuzzed header values.
 *
 * The input is one flags byte, then a header value that is used three ways:
 *
 *   1. as a WWW-Authenticate (or Proxy-Authenticate) value: every challenge
 *      sipd_auth_challenge_next() takes is checked, then the value goes to a
 *      client in a 401 (407); when the client takes it, its credentials must
 *      parse, and our server, which has the same password, must never find
 *      them wrong (DENIED): the two sides hash alike;
 *   2. as credentials: sipd_auth_credentials_parse(), checked;
 *   3. as the Authorization (Proxy-Authorization) of an INVITE that the
 *      server judges with sipd_auth_server_verify().
 *
 * So that inputs reach past the HMAC of the nonce and the digest itself, two
 * placeholders are expanded first: "%N" becomes a fresh nonce of the server's
 * (taken from its challenge), and then "%R" the right response for the
 * credentials as they parse, computed with auth.h's own sipd_auth_response()
 * from the secret of the user they name (alice: a password, bob: stored
 * HA1s; anyone else is unknown). Checked: a right response by a known user is
 * never DENIED; an unknown user is never OK; an accepted request replayed as
 * it is never passes again (RFC 7616 §5.4: its nonce count is used), while
 * the client's next request on the same nonce does (its count is new).
 *
 * Flags (bits of the first byte):
 *   0 the server is a proxy (407, Proxy-Authorization)
 *   1 the server offers qop auth-int      2 it requires qop
 *   3-4 when it judges: 0 at once, 1 just before the nonce expires, 2 just
 *       after, 3 before the nonce was made
 *   5 the client prefers auth-int         6 the server offers MD5 only
 *   7 the request carries the header twice
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/auth.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REALM "biloxi.com"
#define LIFETIME 30000u
#define T0 1000000u
#define SLOTS 32
#define MAX_VALUE 4096
#define BODY "v=0\r\n"
#define RURI "sip:bob@biloxi.com"

static const uint8_t key[32] = "fuzz-auth-fuzz-auth-fuzz-auth-00";

/* Deterministic randomness: each input starts again from the same bytes. */
static uint8_t rnd_next;

static void fake_random(void *user, void *buf, size_t len)
{
	(void)user;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(rnd_next++ * 37u + 11u);
}

static const enum sipd_auth_alg of_hash[SIPD_AUTH_HASH__COUNT] = {SIPD_AUTH_MD5, SIPD_AUTH_SHA256,
                                                                  SIPD_AUTH_SHA512_256};

/* alice has a password, bob an HA1 per hash, carol's lookup fails, dave's
 * stored HA1 is not hex; everyone else is unknown. */
static int lookup(void *user, struct sipd_str username, struct sipd_str realm,
                  enum sipd_auth_hash hash, char *out, size_t cap, size_t *len)
{
	(void)user;
	FZ_CHECK(sipd_str_eq(realm, REALM));
	FZ_CHECK((unsigned)hash < SIPD_AUTH_HASH__COUNT);
	FZ_CHECK(cap >= SIPD_AUTH_HEX_MAX + 1);
	if (sipd_str_eq(username, "alice")) {
		memcpy(out, "wonderland", 10);
		*len = 10;
		return SIPD_AUTH_SECRET_PASSWORD;
	}
	if (sipd_str_eq(username, "bob")) {
		int n = sipd_auth_ha1(of_hash[hash], (struct sipd_str){"bob", 3},
		                      (struct sipd_str){REALM, sizeof REALM - 1},
		                      (struct sipd_str){"zanzibar", 8}, out, cap);
		FZ_CHECK(n > 0);
		*len = (size_t)n;
		return SIPD_AUTH_SECRET_HA1;
	}
	if (sipd_str_eq(username, "carol"))
		return SIPD_ENOMEM;
	if (sipd_str_eq(username, "dave")) {
		memset(out, 'x', 32);
		*len = 32;
		return SIPD_AUTH_SECRET_HA1;
	}
	return SIPD_ENOTFOUND;
}

static bool inside(struct sipd_str s, struct sipd_str v)
{
	return fz_inside(s, v.p, v.len);
}

/* ---------------------------------------------------------------- parsing */

static void check_challenges(struct sipd_str v)
{
	struct sipd_str cur = v;
	for (unsigned i = 0; i <= v.len + 1; i++) {
		struct sipd_auth_challenge ch;
		size_t before = cur.len;
		int rc = sipd_auth_challenge_next(&cur, &ch);
		FZ_CHECK(rc == 0 || rc == SIPD_ENOTFOUND || rc == SIPD_EPARSE);
		if (rc)
			return;
		/* each challenge taken eats input, and the cursor stays inside */
		FZ_CHECK(cur.len < before);
		FZ_CHECK(inside(cur, v));
		FZ_CHECK(ch.scheme.len > 0 && fz_is_token(ch.scheme));
		FZ_CHECK(inside(ch.scheme, v) && inside(ch.params, v));
		FZ_CHECK(ch.digest == sipd_str_ieq(ch.scheme, "Digest"));
		if (!ch.digest) {
			FZ_CHECK(ch.alg == -1 && !ch.realm.p && !ch.nonce.p && !ch.stale);
			continue;
		}
		const struct sipd_str parts[] = {ch.realm, ch.nonce, ch.opaque, ch.domain,
		                                 ch.algorithm};
		for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
			FZ_CHECK(inside(parts[k], ch.params));
			if (parts[k].p)
				fz_unquote(parts[k]);
		}
		FZ_CHECK(ch.alg >= -1 && ch.alg < SIPD_AUTH_ALG__COUNT);
		/* RFC 7616 §3.3: no algorithm parameter means MD5 */
		if (!ch.algorithm.p)
			FZ_CHECK(ch.alg == SIPD_AUTH_MD5);
		else
			FZ_CHECK(ch.alg == sipd_auth_alg_lookup(ch.algorithm) ||
			         (ch.alg == -1 && sipd_auth_alg_lookup(ch.algorithm) < 0));
		FZ_CHECK(ch.has_qop || (!ch.qop_auth && !ch.qop_auth_int));
		fz_walk_auth_params(ch.params);
	}
	FZ_CHECK(!"sipd_auth_challenge_next() never ends");
}

static bool is_lhex8(struct sipd_str s)
{
	if (s.len != 8)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f')))
			return false;
	return true;
}

static struct sipd_str inner(struct sipd_str v)
{
	if (v.len >= 2 && v.p[0] == '"')
		return (struct sipd_str){v.p + 1, v.len - 2};
	return v;
}

static int check_credentials(struct sipd_str v, struct sipd_auth_credentials *cr)
{
	int rc = sipd_auth_credentials_parse(cr, v);
	FZ_CHECK(rc == 0 || rc == SIPD_EPARSE);
	if (rc)
		return rc;
	FZ_CHECK(cr->scheme.len > 0 && fz_is_token(cr->scheme));
	FZ_CHECK(inside(cr->scheme, v) && inside(cr->params, v));
	FZ_CHECK(cr->digest == sipd_str_ieq(cr->scheme, "Digest"));
	if (!cr->digest)
		return 0;
	const struct sipd_str parts[] = {cr->username, cr->realm,    cr->nonce,  cr->uri,
	                                 cr->response, cr->cnonce,   cr->opaque, cr->qop,
	                                 cr->nc,       cr->algorithm};
	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
		FZ_CHECK(inside(parts[k], cr->params));
		if (parts[k].p)
			fz_unquote(parts[k]);
	}
	FZ_CHECK(cr->alg >= -1 && cr->alg < SIPD_AUTH_ALG__COUNT);
	if (!cr->algorithm.p)
		FZ_CHECK(cr->alg == SIPD_AUTH_MD5);
	/* "the nonce count, when nc is 8 hex digits (else 0)": a parse error else */
	if (cr->nc.p) {
		struct sipd_str n = inner(cr->nc);
		FZ_CHECK(n.len == 8);
		char hex[9];
		snprintf(hex, sizeof hex, "%08x", (unsigned)cr->nc_value);
		for (size_t i = 0; i < 8; i++)
			FZ_CHECK((n.p[i] | 32) == hex[i] || n.p[i] == hex[i]);
	} else {
		FZ_CHECK(cr->nc_value == 0);
	}
	return 0;
}

/* ---------------------------------------------------------------- messages */

struct parsed {
	char *text;
	size_t len;
	struct sipd_msg msg;
	struct sipd_hdr hdrs[SLOTS];
};

/* Parses text (taken over); NULL when it is not a datagram that parses. */
static struct parsed *parse_text(char *text, size_t len)
{
	struct parsed *p = calloc(1, sizeof *p);
	if (!p)
		abort();
	p->text = text;
	p->len = len;
	struct sipd_parse_error err;
	if (sipd_msg_parse(&p->msg, p->hdrs, SLOTS, text, len, SIPD_FRAME_DATAGRAM, NULL, &err) <
	    0) {
		free(p->text);
		free(p);
		return NULL;
	}
	return p;
}

static void parsed_free(struct parsed *p)
{
	if (p) {
		free(p->text);
		free(p);
	}
}

/* A heap copy of exactly the message's bytes, so that ASan sees over-reads;
 * the buffer it was built in goes. */
static struct parsed *parse_buf(struct sipd_buf *b)
{
	FZ_CHECK(sipd_buf_result(b) >= 0);
	struct parsed *p = parse_text(fz_dup(b->p, b->len), b->len);
	free(b->p);
	return p;
}

/* Room for a message around `extra` bytes of value: an expanded value (each
 * "%N" becomes a whole nonce) may be many times the input's size. */
static void msg_init(struct sipd_buf *b, size_t extra)
{
	size_t cap = extra + 1024;
	char *mem = malloc(cap);
	if (!mem)
		abort();
	sipd_buf_init(b, mem, cap);
}

/* A 401 (407) whose challenge header holds v. */
static struct parsed *challenge_msg(struct sipd_str v, bool proxy)
{
	struct sipd_buf b;
	msg_init(&b, v.len);
	sipd_buf_puts(&b, proxy ? "SIP/2.0 407 Proxy Authentication Required\r\n"
	                        : "SIP/2.0 401 Unauthorized\r\n");
	sipd_buf_puts(&b, "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n"
	                  "From: <sip:alice@atlanta.com>;tag=1928301774\r\n"
	                  "To: <" RURI ">;tag=a6c85cf\r\n"
	                  "Call-ID: a84b4c76e66710\r\nCSeq: 1 INVITE\r\n");
	sipd_buf_puts(&b, proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ");
	sipd_buf_putstr(&b, v);
	sipd_buf_puts(&b, "\r\nContent-Length: 0\r\n\r\n");
	return parse_buf(&b);
}

/* An INVITE carrying `lines` (whole header lines) and a body. */
static struct parsed *request_msg(struct sipd_str lines, bool body)
{
	struct sipd_buf b;
	msg_init(&b, lines.len);
	sipd_buf_puts(&b, "INVITE " RURI " SIP/2.0\r\n"
	                  "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds9\r\n"
	                  "Max-Forwards: 70\r\nFrom: <sip:alice@atlanta.com>;tag=1928301774\r\n"
	                  "To: <" RURI ">\r\nCall-ID: a84b4c76e66710\r\nCSeq: 2 INVITE\r\n"
	                  "Contact: <sip:alice@pc33.atlanta.com>\r\n");
	sipd_buf_putstr(&b, lines);
	sipd_build_body(&b, body ? "application/sdp" : NULL,
	                body ? (struct sipd_str){BODY, sizeof BODY - 1} : SIPD_STR_NULL);
	return parse_buf(&b);
}

/* The header line(s) "Authorization: v" (once or twice). */
static struct sipd_str auth_lines(char *out, size_t cap, struct sipd_str v, bool proxy, bool twice)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap);
	for (int i = 0; i < (twice ? 2 : 1); i++) {
		sipd_buf_puts(&b, proxy ? "Proxy-Authorization: " : "Authorization: ");
		sipd_buf_putstr(&b, v);
		sipd_buf_puts(&b, "\r\n");
	}
	FZ_CHECK(sipd_buf_result(&b) >= 0);
	return (struct sipd_str){out, b.len};
}

/* ---------------------------------------------------------------- the server */

struct judge {
	struct sipd_auth_server *s;
	bool proxy;
	uint64_t at; /* when verify runs */
};

/* Judges a request with these header lines; the verdict is checked for
 * what verify promises whatever the input. */
static int verify(struct judge *j, struct sipd_str lines, bool body, struct sipd_auth_verdict *v)
{
	struct parsed *req = request_msg(lines, body);
	if (!req)
		return SIPD_EPARSE;
	memset(v, 0x5a, sizeof *v);
	int rc = sipd_auth_server_verify(j->s, &req->msg, j->at, v);
	parsed_free(req);
	/* carol's lookup fails with ENOMEM; dave's HA1 is not hex: EINVAL */
	FZ_CHECK(rc == 0 || rc == SIPD_ENOMEM || rc == SIPD_EINVAL);
	if (rc)
		return rc;
	FZ_CHECK(v->result <= SIPD_AUTH_MALFORMED);
	FZ_CHECK(v->alg >= -1 && v->alg < SIPD_AUTH_ALG__COUNT);
	FZ_CHECK(memchr(v->username, '\0', sizeof v->username) != NULL);
	if (v->result == SIPD_AUTH_NONE)
		FZ_CHECK(v->alg == -1);
	if (v->result == SIPD_AUTH_OK)
		FZ_CHECK(strcmp(v->username, "alice") == 0 || strcmp(v->username, "bob") == 0);
	return 0;
}

/* The server's fresh nonce, unquoted. */
static void server_nonce(struct sipd_auth_server *s, char *out, size_t cap)
{
	char lines[2048];
	struct sipd_buf b;
	sipd_buf_init(&b, lines, sizeof lines - 1);
	FZ_CHECK(sipd_auth_server_challenge(s, &b, false, T0) == 0);
	lines[b.len] = '\0';
	const char *n = strstr(lines, "nonce=\"");
	FZ_CHECK(n != NULL);
	n += 7;
	const char *e = strchr(n, '"');
	FZ_CHECK(e != NULL && (size_t)(e - n) < cap);
	memcpy(out, n, (size_t)(e - n));
	out[e - n] = '\0';
}

/* Copies v with every `tag` replaced by `with`; NULL when nothing was
 * replaced. The result is NUL-terminated and freed by the caller. */
static char *expand(struct sipd_str v, const char *tag, const char *with, size_t *len)
{
	size_t wl = strlen(with), n = 0, hits = 0;
	for (size_t i = 0; i + 1 < v.len; i++)
		if (v.p[i] == tag[0] && v.p[i + 1] == tag[1])
			hits++, i++;
	if (!hits)
		return NULL;
	char *out = malloc(v.len + hits * wl + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < v.len; i++) {
		if (i + 1 < v.len && v.p[i] == tag[0] && v.p[i + 1] == tag[1]) {
			memcpy(out + n, with, wl);
			n += wl;
			i++;
		} else {
			out[n++] = v.p[i];
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static bool unq(struct sipd_str v, char *out, size_t cap, struct sipd_str *res)
{
	if (!v.p) {
		*res = SIPD_STR_NULL;
		return true;
	}
	int n = sipd_unquote(v, out, cap);
	if (n < 0)
		return false;
	*res = (struct sipd_str){out, (size_t)n};
	return true;
}

/* The right response for credentials, as the server should compute it
 * (for a user it does not know, with a guessed password); false when they
 * lack what the digest needs or hash a nonce count that is not the canonical
 * 8 lower-case digits. *known: the user is alice or bob. */
static bool right_response(const struct sipd_auth_credentials *cr, bool body, char *out, size_t cap,
                           bool *known)
{
	static char u[SIPD_AUTH_MAX_VALUE], n[SIPD_AUTH_MAX_VALUE], c[SIPD_AUTH_MAX_VALUE],
		q[SIPD_AUTH_MAX_VALUE], r[SIPD_AUTH_MAX_VALUE], ha1[SIPD_AUTH_HEX_MAX + 1];
	struct sipd_auth_digest d = {.realm = {REALM, sizeof REALM - 1},
	                             .method = {"INVITE", 6},
	                             .body = body ? (struct sipd_str){BODY, sizeof BODY - 1}
	                                          : (struct sipd_str){"", 0}};
	*known = false;
	if (!cr->digest || cr->alg < 0 || !cr->username.p || !cr->nonce.p || !cr->uri.p)
		return false;
	d.alg = (enum sipd_auth_alg)cr->alg;
	if (!unq(cr->username, u, sizeof u, &d.username) ||
	    !unq(cr->nonce, n, sizeof n, &d.nonce) || !unq(cr->cnonce, c, sizeof c, &d.cnonce) ||
	    !unq(cr->qop, q, sizeof q, &d.qop) || !unq(cr->uri, r, sizeof r, &d.uri))
		return false;
	if (cr->qop.p && !is_lhex8(inner(cr->nc)))
		return false;
	d.nc = cr->nc_value;
	if (sipd_str_eq(d.username, "alice")) {
		d.password = (struct sipd_str){"wonderland", 10};
		*known = true;
	} else if (sipd_str_eq(d.username, "bob")) {
		int h = sipd_auth_ha1(of_hash[SIPD_AUTH_ALG_HASH(d.alg)],
		                      (struct sipd_str){"bob", 3}, d.realm,
		                      (struct sipd_str){"zanzibar", 8}, ha1, sizeof ha1);
		FZ_CHECK(h > 0);
		d.ha1 = (struct sipd_str){ha1, (size_t)h};
		*known = true;
	} else {
		/* anyone else: a well-formed response the server must refuse */
		d.password = (struct sipd_str){"guess", 5};
	}
	int rc = sipd_auth_response(&d, out, cap);
	FZ_CHECK(rc > 0 || rc == SIPD_EINVAL);
	if (rc > 0)
		FZ_CHECK((size_t)rc == sipd_auth_hex_len(d.alg) && strlen(out) == (size_t)rc);
	return rc > 0;
}

/* Part 3: the value as credentials, placeholders expanded. */
static void judge_value(struct judge *j, struct sipd_str v, const char *nonce, bool twice)
{
	size_t len = 0;
	char *withn = expand(v, "%N", nonce, &len);
	struct sipd_str cv = withn ? (struct sipd_str){withn, len} : v;

	struct sipd_auth_credentials cr;
	char resp[SIPD_AUTH_HEX_MAX + 1];
	bool known = false, right = false;
	char *withr = NULL;
	if (check_credentials(cv, &cr) == 0 &&
	    right_response(&cr, true, resp, sizeof resp, &known)) {
		withr = expand(cv, "%R", resp, &len);
		right = withr != NULL;
	}
	struct sipd_str fv = withr ? (struct sipd_str){withr, len} : cv;
	if (withr) {
		/* The value as it now is must parse as it did (the response is a
		 * token of hex digits, or inside quotes); and "%R" elsewhere than
		 * in the response changed what is hashed: then it is not right. */
		FZ_CHECK(check_credentials(fv, &cr) == 0);
		char again[SIPD_AUTH_HEX_MAX + 1], got[SIPD_AUTH_MAX_VALUE];
		struct sipd_str g;
		right = right_response(&cr, true, again, sizeof again, &known) &&
		        strcmp(again, resp) == 0 && cr.response.p &&
		        unq(cr.response, got, sizeof got, &g) && sipd_str_eq(g, resp);
	}

	char *lines = malloc(2 * fv.len + 64);
	if (!lines)
		abort();
	struct sipd_auth_verdict vd;
	if (verify(j, auth_lines(lines, 2 * fv.len + 64, fv, j->proxy, twice), true, &vd) == 0) {
		/* a right response by a known user is never wrong */
		if (right && known && vd.result == SIPD_AUTH_DENIED) {
			fprintf(stderr, "credentials: %.*s\n", (int)fv.len, fv.p);
			FZ_CHECK(!"the right response was DENIED");
		}
		if (vd.result == SIPD_AUTH_OK) {
			/* replayed as it is: its count is used (RFC 7616 §5.4) */
			struct sipd_auth_verdict again;
			if (verify(j, auth_lines(lines, 2 * fv.len + 64, fv, j->proxy, twice), true,
			           &again) == 0)
				FZ_CHECK(again.result != SIPD_AUTH_OK);
		}
	}
	free(lines);
	free(withr);
	free(withn);
}

/* ---------------------------------------------------------------- the client */

/* Part 1: the value as a challenge to a client with alice's password; its
 * credentials go to the server. */
static void client_round(struct judge *j, struct sipd_str v, const char *nonce, bool prefer_int,
                         bool twice)
{
	size_t len = 0;
	char *withn = expand(v, "%N", nonce, &len);
	struct sipd_str cv = withn ? (struct sipd_str){withn, len} : v;
	check_challenges(cv);

	struct sipd_auth_client_config cfg = {.size = sizeof cfg,
	                                      .username = "alice",
	                                      .password = "wonderland",
	                                      .prefer_auth_int = prefer_int,
	                                      .random = fake_random};
	struct sipd_auth_client *c = sipd_auth_client_create(&cfg);
	FZ_CHECK(c != NULL);
	FZ_CHECK(sipd_auth_client_give_up(c, 0)); /* no challenge taken yet */
	struct parsed *resp = challenge_msg(cv, j->proxy);
	int rc = resp ? sipd_auth_client_challenge(c, &resp->msg) : SIPD_EPARSE;
	FZ_CHECK(rc == 0 || rc == SIPD_ENOTFOUND || rc == SIPD_EPARSE);
	parsed_free(resp);
	if (rc) {
		FZ_CHECK(sipd_auth_client_alg(c) == -1);
		sipd_auth_client_destroy(c);
		free(withn);
		return;
	}
	int alg = sipd_auth_client_alg(c);
	FZ_CHECK(alg >= 0 && alg < SIPD_AUTH_ALG__COUNT);
	FZ_CHECK(!sipd_auth_client_give_up(c, 0)); /* never with tries 0 */
	const char *realm = sipd_auth_client_realm(c);
	FZ_CHECK(realm != NULL);

	static char line[2 * MAX_VALUE + 1024];
	enum sipd_auth_result first = SIPD_AUTH_NONE;
	for (int round = 0; round < 2; round++) {
		struct sipd_buf b;
		sipd_buf_init(&b, line, sizeof line);
		rc = sipd_auth_client_authorize(c, &b, (struct sipd_str){"INVITE", 6},
		                                (struct sipd_str){RURI, sizeof RURI - 1},
		                                (struct sipd_str){BODY, sizeof BODY - 1});
		FZ_CHECK(rc == 0 || rc == SIPD_ENOSPC);
		if (rc)
			break;
		/* one whole header line of the kind the challenge came in; a
		 * realm, nonce or opaque that came folded is sent back folded, but
		 * nothing may start a header line of its own */
		const char *name = j->proxy ? "Proxy-Authorization: " : "Authorization: ";
		size_t nl = strlen(name);
		FZ_CHECK(b.len > nl + 2 && memcmp(b.p, name, nl) == 0);
		FZ_CHECK(b.p[b.len - 2] == '\r' && b.p[b.len - 1] == '\n');
		for (size_t k = 0; k + 2 < b.len; k++)
			if (b.p[k] == '\n')
				FZ_CHECK(b.p[k + 1] == ' ' || b.p[k + 1] == '\t');
		struct sipd_str value = {b.p + nl, b.len - nl - 2};
		struct sipd_auth_credentials cr;
		FZ_CHECK(check_credentials(value, &cr) == 0);
		FZ_CHECK(cr.digest && cr.alg == alg && cr.username.p && cr.response.p);
		if (cr.qop.p)
			FZ_CHECK(cr.nc_value == (uint32_t)round + 1);
		char r[SIPD_AUTH_MAX_VALUE + 1];
		int rl = cr.realm.p ? sipd_unquote(cr.realm, r, sizeof r - 1) : -1;
		FZ_CHECK(rl >= 0);
		if (!memchr(r, '\0', (size_t)rl))
			FZ_CHECK((size_t)rl == strlen(realm) && memcmp(r, realm, (size_t)rl) == 0);

		struct sipd_auth_verdict vd;
		char *lines = malloc(2 * b.len + 8);
		if (!lines)
			abort();
		struct sipd_str ls = auth_lines(lines, 2 * b.len + 8, value, j->proxy, twice);
		rc = verify(j, ls, true, &vd);
		free(lines);
		if (rc)
			break;
		/* The same password on both sides: never a wrong digest, whatever
		 * the challenge (its realm, nonce and algorithm are what the
		 * server reads back). */
		if (vd.result == SIPD_AUTH_DENIED) {
			fprintf(stderr, "challenge: %.*s\ncredentials: %.*s\n", (int)cv.len, cv.p,
			        (int)value.len, value.p);
			FZ_CHECK(!"the client's digest was DENIED");
		}
		if (round == 0) {
			first = vd.result;
		} else if (first == SIPD_AUTH_OK) {
			/* the next count of the same nonce is new: accepted, unless
			 * the first had no qop (then its nonce is good once) */
			FZ_CHECK(vd.result == (cr.qop.p ? SIPD_AUTH_OK : SIPD_AUTH_STALE));
		}
	}
	sipd_auth_client_destroy(c);
	free(withn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > MAX_VALUE)
		return 0;
	uint8_t flags = data[0];
	char *buf = fz_dup(data + 1, size - 1);
	struct sipd_str v = {buf, size - 1};
	rnd_next = 0;

	static const enum sipd_auth_alg md5_only[] = {SIPD_AUTH_MD5};
	struct sipd_auth_server_config cfg = {.size = sizeof cfg,
	                                      .realm = REALM,
	                                      .secret = key,
	                                      .secret_len = sizeof key,
	                                      .nonce_lifetime_ms = LIFETIME,
	                                      .algs = (flags & 64) ? md5_only : NULL,
	                                      .nalgs = (flags & 64) ? 1 : 0,
	                                      .auth_int = (flags & 2) != 0,
	                                      .proxy = (flags & 1) != 0,
	                                      .require_qop = (flags & 4) != 0,
	                                      .max_nonces = 4,
	                                      .lookup = lookup,
	                                      .random = fake_random};
	/* Two servers with the same key, so that each part starts with no
	 * nonce count used: the nonce of one is good at the other. */
	static const uint64_t offsets[4] = {T0, T0 + LIFETIME - 1, T0 + LIFETIME, T0 - 1};
	struct judge j[2];
	for (int i = 0; i < 2; i++) {
		j[i] = (struct judge){.s = sipd_auth_server_create(&cfg),
		                      .proxy = (flags & 1) != 0,
		                      .at = offsets[(flags >> 3) & 3]};
		FZ_CHECK(j[i].s != NULL);
	}
	char nonce[SIPD_AUTH_MAX_VALUE];
	server_nonce(j[0].s, nonce, sizeof nonce);
	bool twice = (flags & 128) != 0;

	client_round(&j[0], v, nonce, (flags & 32) != 0, twice);
	judge_value(&j[1], v, nonce, twice);

	for (int i = 0; i < 2; i++)
		sipd_auth_server_destroy(j[i].s);
	free(buf);
	return 0;
}
