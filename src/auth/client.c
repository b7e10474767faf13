/* The client side of digest authentication (RFC 3261 §22.2, §22.3): take a
 * challenge, answer requests with credentials, know when to stop. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth_int.h"

enum qop_choice { QOP_NONE, QOP_AUTH, QOP_AUTH_INT };

struct sipd_auth_client {
	/* configuration */
	char username[SIPD_AUTH_MAX_VALUE + 1];
	char password[SIPD_AUTH_MAX_VALUE + 1];
	char ha1[SIPD_AUTH_HASH__COUNT][SIPD_AUTH_HEX_MAX + 1];
	bool has_password;
	bool has_ha1[SIPD_AUTH_HASH__COUNT];
	bool fixed_realm;
	bool prefer_auth_int;
	uint8_t cnonce_bytes;
	uint8_t max_stale;
	uint32_t algs;
	void (*random)(void *user, void *buf, size_t len);
	void *user;

	/* the challenge taken */
	char realm[SIPD_AUTH_MAX_VALUE + 1];
	char nonce[SIPD_AUTH_MAX_VALUE + 1];
	char opaque[SIPD_AUTH_MAX_VALUE + 1];
	char cnonce[2 * 64 + 1];
	bool have;
	bool has_opaque;
	bool alg_named;  /* the challenge had an algorithm parameter */
	bool userhash;   /* send userhash=false */
	bool proxy;      /* it came in a Proxy-Authenticate */
	bool stale;      /* it said stale=true */
	bool same_nonce; /* it repeated the nonce we held */
	uint8_t qop;     /* enum qop_choice */
	int alg;
	uint32_t nc; /* uses of the nonce so far */
};

/* Copies a NUL-terminated string of at most SIPD_AUTH_MAX_VALUE bytes. */
static bool copy_cfg(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n > SIPD_AUTH_MAX_VALUE)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

struct sipd_auth_client *sipd_auth_client_create(const struct sipd_auth_client_config *cfg)
{
	if (!cfg || cfg->size < sizeof *cfg || !cfg->username || !cfg->random ||
	    cfg->cnonce_bytes > 64 || (cfg->algs & ~SIPD_AUTH_ALG_ALL))
		return NULL;
	struct sipd_auth_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	bool ok = copy_cfg(c->username, cfg->username);
	if (cfg->password) {
		ok = ok && copy_cfg(c->password, cfg->password);
		c->has_password = true;
	}
	bool any_ha1 = false;
	for (int h = 0; h < SIPD_AUTH_HASH__COUNT; h++) {
		if (!cfg->ha1[h])
			continue;
		size_t want = h == SIPD_AUTH_HASH_MD5 ? 32 : 64;
		ok = ok && sipd__auth_is_hex(sipd__auth_cstr(cfg->ha1[h]), want);
		if (ok)
			memcpy(c->ha1[h], cfg->ha1[h], want + 1);
		c->has_ha1[h] = true;
		any_ha1 = true;
	}
	if (cfg->realm) {
		ok = ok && copy_cfg(c->realm, cfg->realm);
		c->fixed_realm = true;
	}
	/* An HA1 is bound to its realm (RFC 7616 §3.4.2). */
	if (!ok || (!c->has_password && !any_ha1) || (any_ha1 && !cfg->realm)) {
		sipd_auth_client_destroy(c);
		return NULL;
	}
	c->algs = cfg->algs ? cfg->algs : SIPD_AUTH_ALG_ALL;
	c->prefer_auth_int = cfg->prefer_auth_int;
	c->cnonce_bytes = cfg->cnonce_bytes ? cfg->cnonce_bytes : 16;
	c->max_stale = cfg->max_stale ? cfg->max_stale : 2;
	c->random = cfg->random;
	c->user = cfg->user;
	c->alg = -1;
	return c;
}

void sipd_auth_client_destroy(struct sipd_auth_client *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
}

/* Unquotes v into dst (SIPD_AUTH_MAX_VALUE + 1 bytes), NUL-terminated. */
static bool unquote_to(struct sipd_str v, char *dst, size_t *len)
{
	int n = sipd_unquote(v, dst, SIPD_AUTH_MAX_VALUE);
	if (n < 0)
		return false;
	dst[n] = '\0';
	if (len)
		*len = (size_t)n;
	return true;
}

static bool has_secret(const struct sipd_auth_client *c, int alg)
{
	return c->has_password || c->has_ha1[SIPD_AUTH_ALG_HASH(alg)];
}

/* Whether we can answer the challenge (see sipd_auth_client_challenge). */
static bool usable(const struct sipd_auth_client *c, const struct sipd_auth_challenge *ch)
{
	if (!ch->digest || ch->alg < 0 || !(c->algs & SIPD_AUTH_ALG_BIT(ch->alg)) ||
	    !has_secret(c, ch->alg) || !ch->realm.p || !ch->nonce.p)
		return false;
	if (ch->has_qop ? !(ch->qop_auth || ch->qop_auth_int) : SIPD_AUTH_ALG_SESS(ch->alg))
		return false;
	char tmp[SIPD_AUTH_MAX_VALUE + 1];
	size_t n;
	if (!unquote_to(ch->nonce, tmp, &n) || !n)
		return false;
	if (ch->opaque.p && !unquote_to(ch->opaque, tmp, NULL))
		return false;
	if (!unquote_to(ch->realm, tmp, NULL))
		return false;
	return !c->fixed_realm || strcmp(tmp, c->realm) == 0;
}

int sipd_auth_client_challenge(struct sipd_auth_client *c, const struct sipd_msg *resp)
{
	if (!c || !resp || resp->is_request || (resp->status != 401 && resp->status != 407))
		return SIPD_EINVAL;
	struct sipd_auth_challenge best = {0};
	bool found = false, best_proxy = false;
	/* Header order across both kinds, so that "first of equals" is the
	 * order of the message. */
	for (uint16_t i = 0; i < resp->nhdrs; i++) {
		uint16_t id = resp->hdrs[i].id;
		if (id != SIPD_HDR_WWW_AUTHENTICATE && id != SIPD_HDR_PROXY_AUTHENTICATE)
			continue;
		struct sipd_str cur = resp->hdrs[i].value;
		struct sipd_auth_challenge ch;
		/* A value that breaks the grammar is dropped from where it breaks. */
		while (sipd_auth_challenge_next(&cur, &ch) == 0) {
			if (!usable(c, &ch))
				continue;
			if (found && SIPD_AUTH_ALG_HASH(ch.alg) <= SIPD_AUTH_ALG_HASH(best.alg))
				continue;
			best = ch;
			best_proxy = id == SIPD_HDR_PROXY_AUTHENTICATE;
			found = true;
		}
	}
	if (!found)
		return SIPD_ENOTFOUND;

	char realm[SIPD_AUTH_MAX_VALUE + 1], nonce[SIPD_AUTH_MAX_VALUE + 1];
	unquote_to(best.realm, realm, NULL);
	unquote_to(best.nonce, nonce, NULL);
	bool same = c->have && strcmp(nonce, c->nonce) == 0 && strcmp(realm, c->realm) == 0;
	c->same_nonce = same;
	if (!same) {
		/* A new nonce counts from 1 again (RFC 7616 §3.4: nc counts the
		 * requests sent with this nonce). */
		memcpy(c->realm, realm, sizeof realm);
		memcpy(c->nonce, nonce, sizeof nonce);
		c->nc = 0;
		c->cnonce[0] = '\0';
	}
	c->has_opaque = best.opaque.p != NULL;
	c->opaque[0] = '\0';
	if (c->has_opaque)
		unquote_to(best.opaque, c->opaque, NULL);
	c->alg = best.alg;
	c->alg_named = best.algorithm.p != NULL;
	c->userhash = best.has_userhash || SIPD_AUTH_ALG_HASH(best.alg) != SIPD_AUTH_HASH_MD5;
	c->proxy = best_proxy;
	c->stale = best.stale;
	if (!best.has_qop)
		c->qop = QOP_NONE;
	else if (best.qop_auth_int && (c->prefer_auth_int || !best.qop_auth))
		c->qop = QOP_AUTH_INT;
	else
		c->qop = QOP_AUTH;
	c->have = true;
	return 0;
}

bool sipd_auth_client_give_up(const struct sipd_auth_client *c, unsigned tries)
{
	if (!c || !c->have)
		return true;
	if (tries == 0)
		return false;
	/* RFC 3261 §22.1: refused credentials are not sent again; a stale
	 * nonce (RFC 7616 §3.3: the digest was right) is retried, a bounded
	 * number of times. */
	return !c->stale || c->same_nonce || tries > c->max_stale;
}

int sipd_auth_client_authorize(struct sipd_auth_client *c, struct sipd_buf *out,
                               struct sipd_str method, struct sipd_str uri, struct sipd_str body)
{
	if (!c || !out || !method.p || !uri.p)
		return SIPD_EINVAL;
	if (!c->have)
		return SIPD_ESTATE;
	bool sess = SIPD_AUTH_ALG_SESS(c->alg);
	if (c->qop != QOP_NONE) {
		if (c->nc == UINT32_MAX)
			return SIPD_ESTATE;
		c->nc++;
	}
	/* A fresh cnonce per request, except that a session key binds the
	 * first one (RFC 7616 §3.4.2). Without qop there is none: a -sess
	 * challenge without qop was refused as unusable. */
	if (c->qop != QOP_NONE && (!sess || !c->cnonce[0])) {
		uint8_t rnd[64];
		c->random(c->user, rnd, c->cnonce_bytes);
		sipd__auth_hex(rnd, c->cnonce_bytes, c->cnonce);
	}
	char nc[9];
	uint8_t be[4] = {(uint8_t)(c->nc >> 24), (uint8_t)(c->nc >> 16), (uint8_t)(c->nc >> 8),
	                 (uint8_t)c->nc};
	sipd__auth_hex(be, 4, nc);
	struct sipd_str qop = c->qop == QOP_AUTH_INT ? sipd__auth_cstr("auth-int")
	                      : c->qop == QOP_AUTH   ? sipd__auth_cstr("auth")
	                                             : SIPD_STR_NULL;
	enum sipd_auth_hash hash = SIPD_AUTH_ALG_HASH(c->alg);
	struct sipd__auth_input in = {
		.alg = (enum sipd_auth_alg)c->alg,
		.username = sipd__auth_plain(sipd__auth_cstr(c->username)),
		.realm = sipd__auth_plain(sipd__auth_cstr(c->realm)),
		.password = sipd__auth_plain(c->has_password ? sipd__auth_cstr(c->password)
	                                                     : SIPD_STR_NULL),
		.ha1 = sipd__auth_plain(c->has_password ? SIPD_STR_NULL
	                                                : sipd__auth_cstr(c->ha1[hash])),
		.nonce = sipd__auth_plain(sipd__auth_cstr(c->nonce)),
		.cnonce =
			sipd__auth_plain(c->cnonce[0] ? sipd__auth_cstr(c->cnonce) : SIPD_STR_NULL),
		.qop = sipd__auth_plain(qop),
		.nc = sipd__auth_plain((struct sipd_str){nc, 8}),
		.method = sipd__auth_plain(method),
		.uri = sipd__auth_plain(uri),
		.body = sipd__auth_plain(body.p ? body : (struct sipd_str){"", 0}),
	};
	char response[SIPD_AUTH_HEX_MAX + 1];
	int n = sipd__auth_compute(&in, response);
	if (n < 0)
		return n;

	/* The order of RFC 2617 §3.5's example. */
	sipd_buf_puts(out, c->proxy ? "Proxy-Authorization: Digest username="
	                            : "Authorization: Digest username=");
	sipd__auth_put_quoted(out, sipd__auth_cstr(c->username));
	sipd_buf_puts(out, ", realm=");
	sipd__auth_put_quoted(out, sipd__auth_cstr(c->realm));
	sipd_buf_puts(out, ", nonce=");
	sipd__auth_put_quoted(out, sipd__auth_cstr(c->nonce));
	sipd_buf_puts(out, ", uri=");
	/* RFC 3261 §22.4 item 2: the uri is always quoted in SIP. */
	sipd__auth_put_quoted(out, uri);
	if (c->alg_named) {
		sipd_buf_puts(out, ", algorithm=");
		sipd_buf_puts(out, sipd_auth_alg_name((enum sipd_auth_alg)c->alg));
	}
	if (c->qop != QOP_NONE) {
		/* RFC 7616 §3.4: qop and nc are never quoted. */
		sipd_buf_puts(out, ", qop=");
		sipd_buf_putstr(out, qop);
		sipd_buf_puts(out, ", nc=");
		sipd_buf_put(out, nc, 8);
		sipd_buf_puts(out, ", cnonce=");
		sipd__auth_put_quoted(out, sipd__auth_cstr(c->cnonce));
	}
	sipd_buf_puts(out, ", response=\"");
	sipd_buf_put(out, response, (size_t)n);
	sipd_buf_puts(out, "\"");
	if (c->has_opaque) {
		sipd_buf_puts(out, ", opaque=");
		sipd__auth_put_quoted(out, sipd__auth_cstr(c->opaque));
	}
	if (c->userhash)
		sipd_buf_puts(out, ", userhash=false");
	sipd_buf_puts(out, "\r\n");
	return sipd_buf_result(out) < 0 ? SIPD_ENOSPC : 0;
}

const char *sipd_auth_client_realm(const struct sipd_auth_client *c)
{
	return c && (c->have || c->fixed_realm) ? c->realm : "";
}

int sipd_auth_client_alg(const struct sipd_auth_client *c)
{
	return c && c->have ? c->alg : -1;
}
