/* The server side of digest authentication (RFC 3261 §22.2, §22.3): nonces
 * that expire and cannot be replayed, challenges, and the verification of
 * credentials in constant time.
 *
 * A nonce is hex(ts || salt || tag): ts the issue time (8 bytes, big
 * endian, ms of the host's clock), salt 8 random bytes, tag the first 16
 * bytes of HMAC-SHA256(secret, ts || salt || realm). It needs no state to
 * check (RFC 7616 §5.4's "time-stamp and private key" design); the salt keeps
 * two nonces of the same millisecond apart, so that their counts do not
 * collide.
 *
 * Replays (RFC 7616 §5.5): a bounded table, one entry per nonce in use,
 * keeps the highest nonce count accepted and which of the 63 below it were
 * seen. Entries leave oldest first (insertion order) when the table is full
 * or their nonce has expired; every nonce issued no later than one that left
 * is then answered stale, so that a forgotten count can never be replayed. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/auth_int.h"

#define NONCE_BYTES 32 /* ts 8, salt 8, tag 16 */
#define NONCE_HEX (2 * NONCE_BYTES)
#define DEFAULT_LIFETIME_MS 300000u
#define DEFAULT_MAX_NONCES 4096u
#define WINDOW 64 /* counts remembered below the highest */

struct nonce_ent {
	uint64_t ts, salt;
	uint64_t seen; /* bit i: count top - i was accepted */
	uint32_t top;
};

struct sipd_auth_server {
	char realm[SIPD_AUTH_MAX_VALUE + 1];
	size_t realm_len;
	uint8_t *secret;
	size_t secret_len;
	uint32_t lifetime;
	uint8_t algs[SIPD_AUTH_ALG__COUNT];
	size_t nalgs;
	uint32_t alg_set;
	bool auth_int, proxy, require_qop;
	sipd_auth_lookup_fn lookup;
	void (*random)(void *user, void *buf, size_t len);
	void *user;

	/* what an unknown user is checked against (see verify) */
	char dummy[SIPD_AUTH_HEX_MAX + 1];
	int last_kind; /* enum sipd_auth_secret of the last lookup that found a user */

	/* the replay table: a ring in insertion order, indexed by open addressing */
	struct nonce_ent *ring;
	uint32_t cap, head, count;
	uint32_t *index; /* ring position + 1; 0: empty */
	uint32_t mask;
	uint64_t floor; /* nonces issued before this were forgotten */
};

/* HMAC-SHA256(secret, data), 32 bytes. */
static bool mac(const struct sipd_auth_server *s, const void *data, size_t len, uint8_t out[32])
{
	unsigned n = 0;
	return HMAC(EVP_sha256(), s->secret, (int)s->secret_len, data, len, out, &n) && n == 32;
}

/* The tag of (ts, salt) for our realm. */
static bool nonce_tag(const struct sipd_auth_server *s, const uint8_t head[16], uint8_t tag[32])
{
	uint8_t data[16 + SIPD_AUTH_MAX_VALUE];
	memcpy(data, head, 16);
	memcpy(data + 16, s->realm, s->realm_len);
	return mac(s, data, 16 + s->realm_len, tag);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* we only issue lower case */
}

struct sipd_auth_server *sipd_auth_server_create(const struct sipd_auth_server_config *cfg)
{
	if (!cfg || cfg->size < sizeof *cfg || !cfg->realm || !cfg->lookup || !cfg->random ||
	    !cfg->secret || cfg->secret_len < 16 || cfg->secret_len > INT32_MAX ||
	    strlen(cfg->realm) > SIPD_AUTH_MAX_VALUE || cfg->nalgs > SIPD_AUTH_ALG__COUNT)
		return NULL;
	static const enum sipd_auth_alg defaults[] = {SIPD_AUTH_SHA512_256, SIPD_AUTH_SHA256,
	                                              SIPD_AUTH_MD5};
	const enum sipd_auth_alg *algs = cfg->algs ? cfg->algs : defaults;
	size_t nalgs = cfg->algs ? cfg->nalgs : sizeof defaults / sizeof defaults[0];
	uint32_t set = 0;
	for (size_t i = 0; i < nalgs; i++) {
		if ((unsigned)algs[i] >= SIPD_AUTH_ALG__COUNT || (set & SIPD_AUTH_ALG_BIT(algs[i])))
			return NULL;
		set |= SIPD_AUTH_ALG_BIT(algs[i]);
	}
	if (!nalgs)
		return NULL;
	uint32_t cap = cfg->max_nonces ? cfg->max_nonces : DEFAULT_MAX_NONCES;
	if (cap > (1u << 28))
		return NULL;
	uint32_t slots = 2;
	while (slots < 2 * cap)
		slots *= 2;

	struct sipd_auth_server *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->secret = malloc(cfg->secret_len);
	s->ring = calloc(cap, sizeof *s->ring);
	s->index = calloc(slots, sizeof *s->index);
	if (!s->secret || !s->ring || !s->index) {
		sipd_auth_server_destroy(s);
		return NULL;
	}
	memcpy(s->secret, cfg->secret, cfg->secret_len);
	s->secret_len = cfg->secret_len;
	s->realm_len = strlen(cfg->realm);
	memcpy(s->realm, cfg->realm, s->realm_len + 1);
	s->lifetime = cfg->nonce_lifetime_ms ? cfg->nonce_lifetime_ms : DEFAULT_LIFETIME_MS;
	for (size_t i = 0; i < nalgs; i++)
		s->algs[i] = (uint8_t)algs[i];
	s->nalgs = nalgs;
	s->alg_set = set;
	s->auth_int = cfg->auth_int;
	s->proxy = cfg->proxy;
	s->require_qop = cfg->require_qop;
	s->lookup = cfg->lookup;
	s->random = cfg->random;
	s->user = cfg->user;
	s->cap = cap;
	s->mask = slots - 1;
	s->last_kind = SIPD_AUTH_SECRET_PASSWORD;
	/* A secret nobody knows, for users that do not exist: hex of an HMAC
	 * of the key, usable as a password or as an HA1 of any length. */
	static const char label[] = "sipdialog digest: no such user";
	uint8_t d[32];
	if (!mac(s, label, sizeof label - 1, d)) {
		sipd_auth_server_destroy(s);
		return NULL;
	}
	sipd__auth_hex(d, sizeof d, s->dummy);
	OPENSSL_cleanse(d, sizeof d);
	return s;
}

void sipd_auth_server_destroy(struct sipd_auth_server *s)
{
	if (!s)
		return;
	if (s->secret) {
		OPENSSL_cleanse(s->secret, s->secret_len);
		free(s->secret);
	}
	free(s->ring);
	free(s->index);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

/* ---------------------------------------------------------------- nonces */

static bool make_nonce(struct sipd_auth_server *s, uint64_t now, char out[NONCE_HEX + 1])
{
	uint8_t n[NONCE_BYTES], tag[32];
	put_u64(n, now);
	s->random(s->user, n + 8, 8);
	if (!nonce_tag(s, n, tag))
		return false;
	memcpy(n + 16, tag, 16);
	sipd__auth_hex(n, sizeof n, out);
	return true;
}

/* Decodes and authenticates a nonce (unquoted). False when it is not one of
 * ours: wrong length, not hex, or a tag that does not match. */
static bool open_nonce(const struct sipd_auth_server *s, const char *p, size_t len, uint64_t *ts,
                       uint64_t *salt)
{
	if (len != NONCE_HEX)
		return false;
	uint8_t n[NONCE_BYTES], tag[32];
	for (size_t i = 0; i < NONCE_BYTES; i++) {
		int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		n[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!nonce_tag(s, n, tag) || CRYPTO_memcmp(tag, n + 16, 16) != 0)
		return false;
	*ts = get_u64(n);
	*salt = get_u64(n + 8);
	return true;
}

/* ---------------------------------------------------------------- replay table */

static uint32_t slot_of(const struct sipd_auth_server *s, uint64_t ts, uint64_t salt)
{
	/* The salt is random and the nonce authenticated: no flooding to fear. */
	return (uint32_t)((salt ^ ts * 0x9E3779B97F4A7C15ull) >> 20) & s->mask;
}

static struct nonce_ent *table_find(struct sipd_auth_server *s, uint64_t ts, uint64_t salt)
{
	for (uint32_t i = slot_of(s, ts, salt); s->index[i]; i = (i + 1) & s->mask) {
		struct nonce_ent *e = &s->ring[s->index[i] - 1];
		if (e->ts == ts && e->salt == salt)
			return e;
	}
	return NULL;
}

/* Removes the oldest entry, with backward-shift deletion in the index. */
static void table_evict(struct sipd_auth_server *s)
{
	struct nonce_ent *e = &s->ring[s->head];
	uint32_t i = slot_of(s, e->ts, e->salt);
	while (s->index[i] != s->head + 1)
		i = (i + 1) & s->mask;
	for (;;) {
		s->index[i] = 0;
		uint32_t j = i;
		for (;;) {
			j = (j + 1) & s->mask;
			if (!s->index[j])
				goto done;
			const struct nonce_ent *o = &s->ring[s->index[j] - 1];
			uint32_t k = slot_of(s, o->ts, o->salt);
			/* Move o back to i unless its home k lies cyclically in (i, j]. */
			bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
			if (!stays) {
				s->index[i] = s->index[j];
				i = j;
				break;
			}
		}
	}
done:
	if (e->ts + 1 > s->floor)
		s->floor = e->ts + 1;
	s->head = (s->head + 1) % s->cap;
	s->count--;
}

static void table_insert(struct sipd_auth_server *s, uint64_t ts, uint64_t salt, uint32_t nc,
                         uint64_t now)
{
	/* Expired entries first: their nonces are stale anyway. */
	while (s->count && (s->count == s->cap || s->ring[s->head].ts + s->lifetime <= now))
		table_evict(s);
	uint32_t pos = (s->head + s->count) % s->cap;
	s->ring[pos] = (struct nonce_ent){.ts = ts, .salt = salt, .seen = 1, .top = nc};
	uint32_t i = slot_of(s, ts, salt);
	while (s->index[i])
		i = (i + 1) & s->mask;
	s->index[i] = pos + 1;
	s->count++;
}

/* Accepts a count not seen before, within the window below the highest. */
static bool window_take(struct nonce_ent *e, uint32_t nc)
{
	if (nc > e->top) {
		uint32_t shift = nc - e->top;
		e->seen = shift >= WINDOW ? 0 : e->seen << shift;
		e->seen |= 1;
		e->top = nc;
		return true;
	}
	uint32_t d = e->top - nc;
	if (d >= WINDOW || (e->seen >> d) & 1)
		return false;
	e->seen |= (uint64_t)1 << d;
	return true;
}

/* Whether this use (ts, salt, nc) of a valid nonce is fresh; records it. */
static bool nonce_use(struct sipd_auth_server *s, uint64_t ts, uint64_t salt, uint32_t nc,
                      uint64_t now)
{
	struct nonce_ent *e = table_find(s, ts, salt);
	if (e)
		return window_take(e, nc);
	if (ts < s->floor)
		return false; /* its entry may have been evicted: its counts are lost */
	table_insert(s, ts, salt, nc, now);
	return true;
}

/* ---------------------------------------------------------------- challenges */

int sipd_auth_server_challenge(struct sipd_auth_server *s, struct sipd_buf *out, bool stale,
                               uint64_t now_ms)
{
	if (!s || !out)
		return SIPD_EINVAL;
	char nonce[NONCE_HEX + 1];
	if (!make_nonce(s, now_ms, nonce))
		return SIPD_ENOMEM;
	for (size_t i = 0; i < s->nalgs; i++) {
		sipd_buf_puts(out, s->proxy ? "Proxy-Authenticate: Digest realm="
		                            : "WWW-Authenticate: Digest realm=");
		sipd__auth_put_quoted(out, (struct sipd_str){s->realm, s->realm_len});
		sipd_buf_puts(out, ", nonce=\"");
		sipd_buf_put(out, nonce, NONCE_HEX);
		sipd_buf_puts(out, "\", algorithm=");
		sipd_buf_puts(out, sipd_auth_alg_name((enum sipd_auth_alg)s->algs[i]));
		/* RFC 3261 §22.4 item 8: servers always send qop. */
		sipd_buf_puts(out, s->auth_int ? ", qop=\"auth,auth-int\"" : ", qop=\"auth\"");
		if (stale)
			sipd_buf_puts(out, ", stale=true");
		sipd_buf_puts(out, "\r\n");
	}
	return sipd_buf_result(out) < 0 ? SIPD_ENOSPC : 0;
}

/* ---------------------------------------------------------------- verification */

static struct sipd_str unq_inner(struct sipd_str v)
{
	if (v.len >= 2 && v.p[0] == '"') {
		v.p++;
		v.len -= 2;
	}
	return v;
}

/* Whether a header value that failed to parse names our realm (a lenient
 * walk), so that its fault is ours to report. */
static bool names_our_realm(const struct sipd_auth_server *s, struct sipd_str v)
{
	while (v.len && (v.p[0] == ' ' || v.p[0] == '\t'))
		v.p++, v.len--;
	while (v.len && v.p[0] != ' ' && v.p[0] != '\t')
		v.p++, v.len--;
	struct sipd_str name, value;
	while (sipd_auth_param_next(&v, &name, &value)) {
		if (!sipd_str_ieq(name, "realm"))
			continue;
		char r[SIPD_AUTH_MAX_VALUE];
		int n = sipd_unquote(value, r, sizeof r);
		return n >= 0 && (size_t)n == s->realm_len &&
		       memcmp(r, s->realm, s->realm_len) == 0;
	}
	return false;
}

static bool our_realm(const struct sipd_auth_server *s, struct sipd_str realm)
{
	char r[SIPD_AUTH_MAX_VALUE];
	int n = realm.p ? sipd_unquote(realm, r, sizeof r) : -1;
	return n >= 0 && (size_t)n == s->realm_len && memcmp(r, s->realm, s->realm_len) == 0;
}

/* The directives the digest needs, and their formats (RFC 7616 §3.4). */
static bool well_formed(const struct sipd_auth_server *s, const struct sipd_auth_credentials *cr)
{
	if (!cr->username.p || !cr->nonce.p || !cr->uri.p || !cr->response.p || cr->userhash)
		return false;
	if (!sipd__auth_is_hex(unq_inner(cr->response), sipd_auth_hex_len(cr->alg)))
		return false;
	if (!cr->qop.p)
		return !s->require_qop && !SIPD_AUTH_ALG_SESS(cr->alg);
	struct sipd_str q = unq_inner(cr->qop);
	bool auth = sipd_str_ieq(q, "auth"), integrity = sipd_str_ieq(q, "auth-int");
	if (!auth && !(integrity && s->auth_int))
		return false; /* a qop we did not offer */
	return cr->nc.p && cr->nc_value != 0 && cr->cnonce.p;
}

int sipd_auth_server_verify(struct sipd_auth_server *s, const struct sipd_msg *req, uint64_t now_ms,
                            struct sipd_auth_verdict *v)
{
	if (!s || !req || !v || !req->is_request)
		return SIPD_EINVAL;
	memset(v, 0, sizeof *v);
	v->result = SIPD_AUTH_NONE;
	v->alg = -1;

	/* The first Digest credentials for our realm in an algorithm we offer;
	 * other realms belong to other servers (RFC 3261 §22.3). */
	enum sipd_hdr_id id = s->proxy ? SIPD_HDR_PROXY_AUTHORIZATION : SIPD_HDR_AUTHORIZATION;
	struct sipd_auth_credentials cr;
	bool found = false, malformed = false;
	for (const struct sipd_hdr *h = sipd_msg_find(req, id); h && !found;
	     h = sipd_msg_find_next(req, h)) {
		if (sipd_auth_credentials_parse(&cr, h->value)) {
			malformed = malformed || names_our_realm(s, h->value);
			continue;
		}
		if (!cr.digest || !our_realm(s, cr.realm))
			continue;
		if (cr.alg < 0 || !(s->alg_set & SIPD_AUTH_ALG_BIT(cr.alg)))
			continue;
		found = true;
	}
	if (!found) {
		v->result = malformed ? SIPD_AUTH_MALFORMED : SIPD_AUTH_NONE;
		return 0;
	}
	v->alg = cr.alg;
	bool unknown = true;
	int un = sipd_unquote(cr.username, v->username, SIPD_AUTH_MAX_VALUE);
	if (un >= 0)
		v->username[un] = '\0';
	else
		v->username[0] = '\0';
	if (!well_formed(s, &cr)) {
		v->result = SIPD_AUTH_MALFORMED;
		return 0;
	}

	/* The user's secret; an unknown user (or a username too long to look
	 * up) gets the dummy one, in the form the last real lookup had, so that
	 * the hash work and the answer are the same as for a wrong password. */
	enum sipd_auth_hash hash = SIPD_AUTH_ALG_HASH(cr.alg);
	size_t hexlen = sipd_auth_hex_len(cr.alg);
	char secret[SIPD_AUTH_MAX_VALUE + 1];
	size_t slen = 0;
	int kind = SIPD_ENOTFOUND;
	if (un >= 0) {
		kind = s->lookup(s->user, (struct sipd_str){v->username, (size_t)un},
		                 (struct sipd_str){s->realm, s->realm_len}, hash, secret,
		                 SIPD_AUTH_MAX_VALUE, &slen);
		if (kind < 0 && kind != SIPD_ENOTFOUND)
			return kind;
		bool sane = kind == SIPD_ENOTFOUND ||
		            (kind == SIPD_AUTH_SECRET_PASSWORD && slen <= SIPD_AUTH_MAX_VALUE) ||
		            (kind == SIPD_AUTH_SECRET_HA1 &&
		             sipd__auth_is_hex((struct sipd_str){secret, slen}, hexlen));
		if (!sane) {
			OPENSSL_cleanse(secret, sizeof secret);
			return SIPD_EINVAL;
		}
	}
	if (kind == SIPD_ENOTFOUND) {
		kind = s->last_kind;
		slen = kind == SIPD_AUTH_SECRET_HA1 ? hexlen : 32;
		memcpy(secret, s->dummy, slen);
	} else {
		unknown = false;
		s->last_kind = kind;
	}
	struct sipd_str sec = {secret, slen};
	struct sipd__auth_input in = {
		.alg = (enum sipd_auth_alg)cr.alg,
		.username = sipd__auth_raw(cr.username),
		.realm = sipd__auth_plain((struct sipd_str){s->realm, s->realm_len}),
		.password =
			sipd__auth_plain(kind == SIPD_AUTH_SECRET_PASSWORD ? sec : SIPD_STR_NULL),
		.ha1 = sipd__auth_plain(kind == SIPD_AUTH_SECRET_HA1 ? sec : SIPD_STR_NULL),
		.nonce = sipd__auth_raw(cr.nonce),
		.cnonce = sipd__auth_raw(cr.cnonce),
		.qop = sipd__auth_raw(cr.qop),
		.nc = sipd__auth_raw(cr.nc),
		.method = sipd__auth_plain(req->method_name),
		.uri = sipd__auth_raw(cr.uri),
		.body = sipd__auth_plain(req->body.p ? req->body : (struct sipd_str){"", 0}),
	};
	char want[SIPD_AUTH_HEX_MAX + 1], got[SIPD_AUTH_HEX_MAX];
	int n = sipd__auth_compute(&in, want);
	OPENSSL_cleanse(secret, sizeof secret);
	if (n < 0)
		return n;
	struct sipd_str r = unq_inner(cr.response);
	for (size_t i = 0; i < hexlen; i++) /* RFC 8760 §2.2: lower case; be tolerant */
		got[i] = (r.p[i] >= 'A' && r.p[i] <= 'F') ? (char)(r.p[i] + 32) : r.p[i];
	bool match = CRYPTO_memcmp(want, got, hexlen) == 0;
	if (!match || unknown) {
		v->result = SIPD_AUTH_DENIED;
		return 0;
	}

	/* The digest is right. Is the nonce still good for this count? If not,
	 * the client knows the password: stale (RFC 7616 §3.3). */
	char nonce[SIPD_AUTH_MAX_VALUE];
	int nl = sipd_unquote(cr.nonce, nonce, sizeof nonce);
	uint64_t ts, salt;
	bool fresh = nl >= 0 && open_nonce(s, nonce, (size_t)nl, &ts, &salt) && ts <= now_ms &&
	             now_ms - ts < s->lifetime;
	/* Without qop there is no count: the nonce is good once. */
	fresh = fresh && nonce_use(s, ts, salt, cr.qop.p ? cr.nc_value : 1, now_ms);
	v->result = fresh ? SIPD_AUTH_OK : SIPD_AUTH_STALE;
	return 0;
}
