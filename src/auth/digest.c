/* Request-digests of RFC 7616 §3.4.1-§3.4.3 (and RFC 2617 §3.2.2.1's form
 * without qop), over OpenSSL's EVP digests: MD5, SHA-256, SHA-512/256. */
#include <string.h>

#include <openssl/evp.h>

#include "auth/auth_int.h"

static const char *const alg_names[SIPD_AUTH_ALG__COUNT] = {
	[SIPD_AUTH_MD5] = "MD5",
	[SIPD_AUTH_MD5_SESS] = "MD5-sess",
	[SIPD_AUTH_SHA256] = "SHA-256",
	[SIPD_AUTH_SHA256_SESS] = "SHA-256-sess",
	[SIPD_AUTH_SHA512_256] = "SHA-512-256",
	[SIPD_AUTH_SHA512_256_SESS] = "SHA-512-256-sess",
};

const char *sipd_auth_alg_name(enum sipd_auth_alg alg)
{
	return (unsigned)alg < SIPD_AUTH_ALG__COUNT ? alg_names[alg] : "";
}

int sipd_auth_alg_lookup(struct sipd_str name)
{
	/* A token by the grammar, but some senders quote it: take either. */
	if (name.len >= 2 && name.p[0] == '"' && name.p[name.len - 1] == '"') {
		name.p++;
		name.len -= 2;
	}
	for (int a = 0; a < SIPD_AUTH_ALG__COUNT; a++)
		if (sipd_str_ieq(name, alg_names[a]))
			return a;
	return SIPD_ENOTFOUND;
}

size_t sipd_auth_hex_len(enum sipd_auth_alg alg)
{
	return SIPD_AUTH_ALG_HASH(alg) == SIPD_AUTH_HASH_MD5 ? 32 : 64;
}

static const EVP_MD *md_of(enum sipd_auth_hash h)
{
	switch (h) {
	case SIPD_AUTH_HASH_MD5: return EVP_md5();
	case SIPD_AUTH_HASH_SHA256: return EVP_sha256();
	case SIPD_AUTH_HASH_SHA512_256: return EVP_sha512_256();
	default: return NULL;
	}
}

void sipd__auth_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool sipd__auth_is_hex(struct sipd_str s, size_t n)
{
	if (s.len != n || !s.p)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s.p[i]))
			return false;
	return true;
}

void sipd__auth_put_quoted(struct sipd_buf *b, struct sipd_str s)
{
	sipd_buf_put(b, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '"' || s.p[i] == '\\') {
			sipd_buf_put(b, s.p + start, i - start);
			sipd_buf_put(b, "\\", 1);
			start = i;
		}
	}
	sipd_buf_put(b, s.p + start, s.len - start);
	sipd_buf_put(b, "\"", 1);
}

/* One running hash; `ok` turns false at the first OpenSSL failure. */
struct hasher {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
	bool ok;
};

static void h_begin(struct hasher *h)
{
	h->ok = h->ok && EVP_DigestInit_ex(h->ctx, h->md, NULL) == 1;
}

static void h_put(struct hasher *h, const void *p, size_t n)
{
	if (n)
		h->ok = h->ok && EVP_DigestUpdate(h->ctx, p, n) == 1;
}

static void h_colon(struct hasher *h)
{
	h_put(h, ":", 1);
}

/* A value, unquoted on the fly (quoted-pair: '\' and the octet after it). */
static void h_val(struct hasher *h, struct sipd__auth_val v)
{
	if (!v.q || v.s.len < 2) {
		h_put(h, v.s.p, v.s.len);
		return;
	}
	const char *p = v.s.p + 1;
	size_t n = v.s.len - 2, start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			h_put(h, p + start, i - start);
			start = ++i;
		}
	}
	h_put(h, p + start, n - start);
}

/* Ends the hash as lower-case hex into out; returns its length or 0. */
static size_t h_end(struct hasher *h, char *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	h->ok = h->ok && EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n * 2 <= SIPD_AUTH_HEX_MAX;
	if (!h->ok)
		return 0;
	sipd__auth_hex(md, n, out);
	return (size_t)n * 2;
}

int sipd__auth_hash_hex(enum sipd_auth_hash hash, const void *data, size_t len, char *out)
{
	struct hasher h = {EVP_MD_CTX_new(), md_of(hash), true};
	h.ok = h.ctx && h.md;
	h_begin(&h);
	h_put(&h, data, len);
	size_t n = h_end(&h, out);
	EVP_MD_CTX_free(h.ctx);
	return n ? (int)n : SIPD_ENOMEM;
}

static bool qop_is_auth_int(struct sipd__auth_val qop)
{
	struct sipd_str s = qop.s;
	if (qop.q && s.len >= 2) {
		s.p++;
		s.len -= 2;
	}
	return sipd_str_ieq(s, "auth-int");
}

int sipd__auth_compute(const struct sipd__auth_input *in, char *out)
{
	if ((unsigned)in->alg >= SIPD_AUTH_ALG__COUNT)
		return SIPD_EINVAL;
	bool sess = SIPD_AUTH_ALG_SESS(in->alg), has_qop = in->qop.s.p != NULL;
	size_t hexlen = sipd_auth_hex_len(in->alg);
	if ((sess || has_qop) && !in->cnonce.s.p)
		return SIPD_EINVAL;
	if (!in->password.s.p && !sipd__auth_is_hex(in->ha1.s, hexlen))
		return SIPD_EINVAL;

	struct hasher h = {EVP_MD_CTX_new(), md_of(SIPD_AUTH_ALG_HASH(in->alg)), true};
	h.ok = h.ctx && h.md;
	char ha1[SIPD_AUTH_HEX_MAX + 1], ha2[SIPD_AUTH_HEX_MAX + 1], hb[SIPD_AUTH_HEX_MAX + 1];

	/* HA1 = H(A1), A1 = unq(username):unq(realm):passwd (§3.4.2) */
	if (in->password.s.p) {
		h_begin(&h);
		h_val(&h, in->username);
		h_colon(&h);
		h_val(&h, in->realm);
		h_colon(&h);
		h_val(&h, in->password);
		h_end(&h, ha1);
	} else {
		/* A stored HA1 is hashed into the rest as lower-case hex (§3.2). */
		for (size_t i = 0; i < hexlen; i++) {
			char c = in->ha1.s.p[i];
			ha1[i] = (c >= 'A' && c <= 'F') ? (char)(c + 32) : c;
		}
		ha1[hexlen] = '\0';
	}
	/* -sess: A1 = H(unq(username):unq(realm):passwd):unq(nonce):unq(cnonce) */
	if (sess) {
		h_begin(&h);
		h_put(&h, ha1, hexlen);
		h_colon(&h);
		h_val(&h, in->nonce);
		h_colon(&h);
		h_val(&h, in->cnonce);
		h_end(&h, ha1);
	}
	/* A2 = Method:request-uri, and :H(entity-body) for auth-int (§3.4.3;
	 * RFC 3261 §22.4 item 7: an empty body hashes the empty string). */
	bool integrity = has_qop && qop_is_auth_int(in->qop);
	if (integrity) {
		h_begin(&h);
		h_val(&h, in->body);
		h_end(&h, hb);
	}
	h_begin(&h);
	h_val(&h, in->method);
	h_colon(&h);
	h_val(&h, in->uri);
	if (integrity) {
		h_colon(&h);
		h_put(&h, hb, hexlen);
	}
	h_end(&h, ha2);
	/* response = KD(HA1, unq(nonce):nc:unq(cnonce):unq(qop):HA2) (§3.4.1),
	 * or KD(HA1, unq(nonce):HA2) without qop (RFC 2617 §3.2.2.1). */
	h_begin(&h);
	h_put(&h, ha1, hexlen);
	h_colon(&h);
	h_val(&h, in->nonce);
	h_colon(&h);
	if (has_qop) {
		h_val(&h, in->nc);
		h_colon(&h);
		h_val(&h, in->cnonce);
		h_colon(&h);
		h_val(&h, in->qop);
		h_colon(&h);
	}
	h_put(&h, ha2, hexlen);
	size_t n = h_end(&h, out);
	EVP_MD_CTX_free(h.ctx);
	OPENSSL_cleanse(ha1, sizeof ha1);
	return h.ok && n == hexlen ? (int)n : SIPD_ENOMEM;
}

int sipd_auth_ha1(enum sipd_auth_alg alg, struct sipd_str username, struct sipd_str realm,
                  struct sipd_str password, char *out, size_t cap)
{
	if ((unsigned)alg >= SIPD_AUTH_ALG__COUNT || !out)
		return SIPD_EINVAL;
	size_t hexlen = sipd_auth_hex_len(alg);
	if (cap < hexlen + 1)
		return SIPD_ENOSPC;
	struct hasher h = {EVP_MD_CTX_new(), md_of(SIPD_AUTH_ALG_HASH(alg)), true};
	h.ok = h.ctx && h.md;
	h_begin(&h);
	h_val(&h, sipd__auth_plain(username));
	h_colon(&h);
	h_val(&h, sipd__auth_plain(realm));
	h_colon(&h);
	h_val(&h, sipd__auth_plain(password));
	char tmp[SIPD_AUTH_HEX_MAX + 1];
	size_t n = h_end(&h, tmp);
	EVP_MD_CTX_free(h.ctx);
	if (n != hexlen)
		return SIPD_ENOMEM;
	memcpy(out, tmp, n + 1);
	return (int)n;
}

int sipd_auth_response(const struct sipd_auth_digest *d, char *out, size_t cap)
{
	if (!d || !out || (unsigned)d->alg >= SIPD_AUTH_ALG__COUNT)
		return SIPD_EINVAL;
	size_t hexlen = sipd_auth_hex_len(d->alg);
	if (cap < hexlen + 1)
		return SIPD_ENOSPC;
	char nc[9];
	uint8_t be[4] = {(uint8_t)(d->nc >> 24), (uint8_t)(d->nc >> 16), (uint8_t)(d->nc >> 8),
	                 (uint8_t)d->nc};
	sipd__auth_hex(be, 4, nc);
	struct sipd__auth_input in = {
		.alg = d->alg,
		.username = sipd__auth_plain(d->username),
		.realm = sipd__auth_plain(d->realm),
		.password = sipd__auth_plain(d->password),
		.ha1 = sipd__auth_plain(d->ha1),
		.nonce = sipd__auth_plain(d->nonce),
		.cnonce = sipd__auth_plain(d->cnonce),
		.qop = sipd__auth_plain(d->qop),
		.nc = sipd__auth_plain((struct sipd_str){nc, 8}),
		.method = sipd__auth_plain(d->method),
		.uri = sipd__auth_plain(d->uri),
		.body = sipd__auth_plain(d->body),
	};
	char tmp[SIPD_AUTH_HEX_MAX + 1];
	int n = sipd__auth_compute(&in, tmp);
	if (n < 0)
		return n;
	memcpy(out, tmp, (size_t)n + 1);
	return n;
}
