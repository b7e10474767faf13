/* sipdialog — digest authentication (RFC 3261 §22, RFC 7616, RFC 8760), both
 * sides, sans-IO.
 *
 * Nothing here reads a clock or a random device: times are milliseconds of the
 * host's monotonic clock, passed in, and random bytes come from a callback of
 * the host (the same shape as the stack's `random`). Hashes and HMAC are
 * OpenSSL's EVP implementations.
 *
 * Client: one `struct sipd_auth_client` per peer and realm.
 *
 *     sipd_auth_client_challenge(c, resp)       on a 401 or 407
 *     if (sipd_auth_client_give_up(c, tries))   the credentials were refused
 *             stop (or ask the user);
 *     sipd_auth_client_authorize(c, &buf, method, ruri, body)
 *                                               one header line per request
 *
 * Server: one `struct sipd_auth_server` per realm.
 *
 *     sipd_auth_server_verify(s, req, now, &v)
 *     OK:                 accept
 *     NONE/STALE/DENIED:  401 (407 for a proxy) with the lines of
 *                         sipd_auth_server_challenge(s, &buf, v.result == STALE, now);
 *                         DENIED may instead be answered 403 (RFC 3261 §22.1)
 *     MALFORMED:          400 (RFC 7616 §3.4: a bad or missing directive)
 *
 * Neither side is ever called for ACK or CANCEL: RFC 3261 §22.1 forbids
 * challenging them, and an ACK repeats its INVITE's credentials verbatim
 * (same nonce count), which a replay check must refuse.
 */
#ifndef SIPDIALOG_AUTH_H
#define SIPDIALOG_AUTH_H

#include <sipdialog/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- algorithms */

/* The hash functions of the algorithms (RFC 7616 §3.2, RFC 8760 §2.1). */
enum sipd_auth_hash {
	SIPD_AUTH_HASH_MD5 = 0,
	SIPD_AUTH_HASH_SHA256,
	SIPD_AUTH_HASH_SHA512_256, /* SHA-512/256 of FIPS 180-4 */
	SIPD_AUTH_HASH__COUNT
};

/* Algorithms, weakest hash first; each hash with and without "-sess". */
enum sipd_auth_alg {
	SIPD_AUTH_MD5 = 0,
	SIPD_AUTH_MD5_SESS,
	SIPD_AUTH_SHA256,
	SIPD_AUTH_SHA256_SESS,
	SIPD_AUTH_SHA512_256,
	SIPD_AUTH_SHA512_256_SESS,
	SIPD_AUTH_ALG__COUNT
};

#define SIPD_AUTH_ALG_HASH(a) ((enum sipd_auth_hash)((unsigned)(a) >> 1))
#define SIPD_AUTH_ALG_SESS(a) (((unsigned)(a)&1u) != 0)
/* A set of algorithms: SIPD_AUTH_ALG_BIT(SIPD_AUTH_SHA256) | ... */
#define SIPD_AUTH_ALG_BIT(a) (1u << (unsigned)(a))
#define SIPD_AUTH_ALG_ALL ((1u << SIPD_AUTH_ALG__COUNT) - 1u)

/* Hex digits of the longest digest (SHA-256 and SHA-512/256). */
#define SIPD_AUTH_HEX_MAX 64
/* Bytes of the values a client or server keeps or unquotes (username,
 * password, realm, nonce, opaque), after unquoting. Longer values make a
 * challenge unusable or credentials unknown. */
#define SIPD_AUTH_MAX_VALUE 256

/* The name as written in the algorithm parameter ("SHA-512-256-sess"), or ""
 * for a value out of range. Static. */
const char *sipd_auth_alg_name(enum sipd_auth_alg alg);
/* The algorithm of a name (any case, quotes allowed), or SIPD_ENOTFOUND. */
int sipd_auth_alg_lookup(struct sipd_str name);
/* Hex digits of the algorithm's digests: 32 or 64. */
size_t sipd_auth_hex_len(enum sipd_auth_alg alg);

/* ---------------------------------------------------------------- digests */

/* Everything a request-digest depends on (RFC 7616 §3.4.1-§3.4.3, RFC 2617
 * §3.2.2 for the form without qop). Every value is unquoted, as hashed. */
struct sipd_auth_digest {
	enum sipd_auth_alg alg;
	struct sipd_str username, realm;
	struct sipd_str password; /* SIPD_STR_NULL when `ha1` is given */
	struct sipd_str ha1;      /* hex H(username:realm:password), when no password */
	struct sipd_str nonce;
	struct sipd_str cnonce; /* with qop, and for the -sess algorithms */
	struct sipd_str qop;    /* "auth", "auth-int", or SIPD_STR_NULL (RFC 2069 form) */
	uint32_t nc;
	struct sipd_str method, uri;
	struct sipd_str body; /* auth-int: the message body (empty: hash of "") */
};

/* Writes the hex H(username:realm:password) of the algorithm's hash (lower
 * case, NUL-terminated) into out. Returns the number of hex digits, or
 * SIPD_ENOSPC (cap too small for them and the NUL), SIPD_EINVAL (alg out of
 * range), SIPD_ENOMEM (OpenSSL failed: no memory, or the hash disabled by its
 * configuration, such as MD5 in a FIPS provider). */
int sipd_auth_ha1(enum sipd_auth_alg alg, struct sipd_str username, struct sipd_str realm,
                  struct sipd_str password, char *out, size_t cap);
/* Writes the hex request-digest (the `response` parameter) into out, NUL-
 * terminated. Returns its length, or SIPD_ENOSPC, SIPD_EINVAL (alg out of
 * range, a -sess algorithm or a qop without cnonce, a `ha1` that is not hex
 * of the hash's length), SIPD_ENOMEM (as above). */
int sipd_auth_response(const struct sipd_auth_digest *d, char *out, size_t cap);

/* ---------------------------------------------------------------- parsing */

/* One challenge of a WWW-Authenticate or Proxy-Authenticate value. Slices
 * point into the parsed value and keep their quotes (sipd_unquote() removes
 * them); absent parameters are SIPD_STR_NULL. */
struct sipd_auth_challenge {
	struct sipd_str scheme; /* "Digest", or another scheme (then only params is set) */
	struct sipd_str params; /* the auth-params, for sipd_auth_param_next() */
	struct sipd_str realm, nonce, opaque, domain, algorithm;
	int alg;           /* enum sipd_auth_alg; -1: not Digest or an algorithm we do not know;
	                      MD5 when the parameter is absent (RFC 7616 §3.3) */
	bool digest;       /* the scheme is Digest (any case) */
	bool stale;        /* stale=true, any case (RFC 7616 §3.3) */
	bool has_qop;      /* a qop parameter is present */
	bool qop_auth;     /* its list names "auth" */
	bool qop_auth_int; /* its list names "auth-int" */
	bool has_userhash; /* a userhash parameter is present (RFC 7616 §3.4.4) */
};

/* Takes the next challenge of a header value that may hold several
 * (RFC 7235 §4.1: "Digest realm=..., nonce=..., Digest realm=..."), advancing
 * *cursor past it. Challenges of other schemes are returned too (with
 * `digest` false); a token68 scheme (Basic, Bearer) is skipped over whole.
 * Returns 0, SIPD_ENOTFOUND at the end of the value, SIPD_EINVAL (a NULL
 * argument), or SIPD_EPARSE when the value does not follow the grammar (the
 * rest of it cannot be split reliably and should be ignored). Known
 * parameters repeated are a parse error; unknown ones are ignored. */
int sipd_auth_challenge_next(struct sipd_str *cursor, struct sipd_auth_challenge *ch);

/* The credentials of an Authorization or Proxy-Authorization value. Slices as
 * in struct sipd_auth_challenge. */
struct sipd_auth_credentials {
	struct sipd_str scheme, params;
	struct sipd_str username, realm, nonce, uri, response, cnonce, opaque, qop, nc, algorithm;
	int alg;           /* as in the challenge: MD5 when absent, -1 unknown */
	bool digest;       /* the scheme is Digest */
	bool userhash;     /* userhash=true: the username is hashed (RFC 7616 §3.4.4) */
	uint32_t nc_value; /* the nonce count, when nc is 8 hex digits (else 0) */
};

/* Parses one credentials value (one per header field: RFC 3261 §25.1 has no
 * list form); the slices point into `value`. Returns 0, SIPD_EINVAL (cr
 * NULL), or SIPD_EPARSE when the value does not follow the auth-param
 * grammar, repeats a known parameter, or has an nc that is not 8 hex digits.
 * Missing parameters are not an error here: the server checks what it
 * needs. */
int sipd_auth_credentials_parse(struct sipd_auth_credentials *cr, struct sipd_str value);

/* ---------------------------------------------------------------- client */

struct sipd_auth_client;

struct sipd_auth_client_config {
	size_t size;          /* sizeof(struct sipd_auth_client_config) */
	const char *username; /* required; copied */
	/* The password (copied; "" is allowed: RFC 3261 §22.1's "anonymous"), or
	 * NULL when only stored HA1s are given. */
	const char *password;
	/* Stored hex H(username:realm:password) per hash, for `realm`; NULL for a
	 * hash without one. With a password these are unused. Copied. */
	const char *ha1[SIPD_AUTH_HASH__COUNT];
	/* The realm to answer (exact match); NULL: answer any realm, keeping the
	 * one of the challenge taken (RFC 3261 §22.1: the realm alone names the
	 * protection space). Required when HA1s are given. Copied. */
	const char *realm;
	uint32_t algs;        /* SIPD_AUTH_ALG_BIT() set we may use; 0: all */
	bool prefer_auth_int; /* when a challenge offers both qops, protect the body */
	uint8_t cnonce_bytes; /* random bytes per cnonce, 1-64; 0: 16 */
	uint8_t max_stale;    /* stale re-challenges of one request before giving up; 0: 2 */
	/* Fills buf with len cryptographically strong random bytes. Required. */
	void (*random)(void *user, void *buf, size_t len);
	void *user;
};

/* Creates a client. Returns NULL for a bad configuration (no username, no
 * random, neither password nor HA1, HA1 without realm or not hex of its hash,
 * values longer than SIPD_AUTH_MAX_VALUE) or when memory runs out. The caller
 * frees it with sipd_auth_client_destroy(). */
struct sipd_auth_client *sipd_auth_client_create(const struct sipd_auth_client_config *cfg);
/* Wipes the secrets and frees the client. NULL is allowed. */
void sipd_auth_client_destroy(struct sipd_auth_client *c);

/* Takes the challenges of a 401 or 407 response: every WWW-Authenticate and
 * Proxy-Authenticate value (a forking proxy may aggregate both kinds, RFC 3261
 * §22.3), several challenges per value allowed. Among the Digest challenges
 * of our realm whose algorithm we may use and have a secret for, it keeps the
 * strongest hash (SHA-512-256 > SHA-256 > MD5; with or without -sess), the
 * first of equals: RFC 8760 §2.4 lets a local policy override the server's
 * order, and ours is strength. Unknown algorithms and schemes are ignored
 * (RFC 7616 §3.3). A -sess challenge without qop is unusable (RFC 3261 §22.4
 * item 8), as is a qop list naming neither auth nor auth-int.
 *
 * A new nonce restarts the nonce count; the same nonce keeps counting.
 * Returns 0 (a challenge is kept, replacing any earlier one), SIPD_ENOTFOUND
 * (nothing we can answer; the earlier challenge is kept), or SIPD_EINVAL (a
 * NULL argument, or not a 401 or 407 response). Nothing of resp is kept. */
int sipd_auth_client_challenge(struct sipd_auth_client *c, const struct sipd_msg *resp);

/* Whether to stop after sipd_auth_client_challenge() took a challenge.
 * `tries` is how many times the challenged request had already been sent
 * with credentials from this client (0 when it had none). RFC 3261 §22.1: a
 * UAC must not retry with credentials that were just refused; only a stale
 * nonce allows a retry. So: never with tries 0; with tries > 0, give up when
 * the challenge is not stale=true, when it repeats the nonce it calls stale
 * (a contradiction), or after `max_stale` stale retries. True as well for a
 * NULL client or one that has taken no challenge. */
bool sipd_auth_client_give_up(const struct sipd_auth_client *c, unsigned tries);

/* Writes the credentials for a request as a whole header line:
 * "Authorization: Digest ...\r\n" (or "Proxy-Authorization" when the
 * challenge came in a Proxy-Authenticate). `method` and `uri` (the
 * Request-URI exactly as sent) are hashed into A2, and `body` too with
 * qop=auth-int (RFC 7616 §3.4.3). Each call counts one more use of the nonce
 * (nc) and, except for the -sess algorithms (whose session key binds the
 * first cnonce, RFC 7616 §3.4.2), draws a fresh cnonce. Parameters follow
 * RFC 2617 §3.5's order; `algorithm` is sent when the challenge named one,
 * `opaque` when it had one, `userhash=false` (we never hash usernames)
 * when it mentioned userhash or used an RFC 7616 hash (an older MD5 server
 * may not expect the parameter).
 * Returns 0, SIPD_EINVAL (no method or uri), SIPD_ESTATE (no challenge taken
 * yet, or all 2**32-1 counts of its nonce used), SIPD_ENOSPC (out is full; the
 * count still advanced: gaps are allowed), SIPD_ENOMEM (OpenSSL). */
int sipd_auth_client_authorize(struct sipd_auth_client *c, struct sipd_buf *out,
                               struct sipd_str method, struct sipd_str uri, struct sipd_str body);

/* The realm of the challenge taken, or the configured one (NUL-terminated,
 * owned by the client, valid until the next challenge or destroy); "" when
 * neither is known yet. RFC 3261 §22.1 says to render it to a user asked for
 * credentials. */
const char *sipd_auth_client_realm(const struct sipd_auth_client *c);
/* The algorithm of the challenge taken, -1 before any. */
int sipd_auth_client_alg(const struct sipd_auth_client *c);

/* ---------------------------------------------------------------- server */

struct sipd_auth_server;

/* What a lookup found. */
enum sipd_auth_secret {
	SIPD_AUTH_SECRET_PASSWORD = 1, /* out holds the password */
	SIPD_AUTH_SECRET_HA1 = 2,      /* out holds hex H(username:realm:password) of `hash` */
};

/* Finds the secret of (username, realm) for a hash. `username` is unquoted,
 * `realm` is the server's. Writes at most cap bytes into out and their count
 * into *len. Returns SIPD_AUTH_SECRET_PASSWORD or _HA1, SIPD_ENOTFOUND for a
 * user it does not know, or another negative code, which verify passes on.
 * Its own running time should not depend on whether the user exists. */
typedef int (*sipd_auth_lookup_fn)(void *user, struct sipd_str username, struct sipd_str realm,
                                   enum sipd_auth_hash hash, char *out, size_t cap, size_t *len);

struct sipd_auth_server_config {
	size_t size;       /* sizeof(struct sipd_auth_server_config) */
	const char *realm; /* required; copied */
	/* The HMAC key of the nonces, at least 16 bytes; copied. Servers that share
	 * it (and a clock) accept each other's nonces. */
	const void *secret;
	size_t secret_len;
	uint32_t nonce_lifetime_ms; /* 0: 300000 (five minutes) */
	/* Algorithms offered, most preferred first (RFC 8760 §2.3: one challenge
	 * per algorithm, in preference order). NULL: SHA-512-256, SHA-256, MD5. */
	const enum sipd_auth_alg *algs;
	size_t nalgs;
	bool auth_int; /* offer qop="auth,auth-int" (else qop="auth") */
	bool proxy;    /* a proxy: Proxy-Authorization in, Proxy-Authenticate out (407) */
	/* Refuse credentials without qop (RFC 2069's form, which RFC 3261 §22.4
	 * still lets clients send): they carry no nonce count, so each nonce is
	 * then good for one request only. */
	bool require_qop;
	uint32_t max_nonces;        /* nonces whose counts are tracked; 0: 4096 */
	sipd_auth_lookup_fn lookup; /* required */
	/* Fills buf with len cryptographically strong random bytes. Required. */
	void (*random)(void *user, void *buf, size_t len);
	void *user; /* for lookup and random */
};

/* Creates a server. Returns NULL for a bad configuration (no realm, lookup or
 * random; a secret shorter than 16 bytes; an algorithm out of range or twice;
 * more than SIPD_AUTH_ALG__COUNT algorithms; a realm longer than
 * SIPD_AUTH_MAX_VALUE) or when memory runs out. The caller frees it with
 * sipd_auth_server_destroy(). */
struct sipd_auth_server *sipd_auth_server_create(const struct sipd_auth_server_config *cfg);
/* Wipes the secret and frees the server. NULL is allowed. */
void sipd_auth_server_destroy(struct sipd_auth_server *s);

enum sipd_auth_result {
	SIPD_AUTH_OK = 0,   /* the credentials are good: accept the request */
	SIPD_AUTH_NONE,     /* no Digest credentials for our realm with an algorithm we
	                       offer: challenge */
	SIPD_AUTH_STALE,    /* a correct digest on a nonce we no longer accept (expired,
	                       not ours, its count replayed or forgotten): challenge with
	                       stale=true, the client retries without asking its user */
	SIPD_AUTH_DENIED,   /* a wrong digest or an unknown user, indistinguishably */
	SIPD_AUTH_MALFORMED /* credentials for our realm with a bad or missing directive */
};

struct sipd_auth_verdict {
	enum sipd_auth_result result;
	int alg; /* the algorithm of the credentials judged, -1 when none */
	/* The username they claim (unquoted, NUL-terminated; "" when none): the
	 * authenticated user when OK, for logs otherwise. */
	char username[SIPD_AUTH_MAX_VALUE + 1];
};

/* Judges a request's credentials (RFC 3261 §22.2, §22.3): the first
 * Authorization (Proxy-Authorization for a proxy) value of scheme Digest
 * whose realm is ours and whose algorithm we offer; values for other realms
 * are left alone (§22.3). The digest is computed with `req`'s method and
 * body and the credentials' uri (which §22.4 item 6 lets differ from the
 * Request-URI); an unknown user is answered from a dummy secret with the same
 * hash work, and digests are compared in constant time. The nonce must carry
 * our HMAC, be younger than the lifetime, and its count (nc) must be new: a
 * count above the highest seen for the nonce, or one of the 63 below it not
 * seen yet, so that requests reordered in flight still pass. The table of
 * nonces in use is bounded (max_nonces): when full, the oldest entry leaves,
 * and from then on every nonce issued no later than it is stale (a client
 * retries at once). A request without qop uses its nonce once. Only an
 * accepted request records its count.
 * Returns 0 with *v filled; SIPD_EINVAL (a NULL argument, not a request, or a
 * lookup that returned an unknown kind, a password over SIPD_AUTH_MAX_VALUE
 * bytes or an HA1 that is not hex of the hash's length); the lookup's own
 * negative code; SIPD_ENOMEM (OpenSSL). Answer 500 to any of them. */
int sipd_auth_server_verify(struct sipd_auth_server *s, const struct sipd_msg *req, uint64_t now_ms,
                            struct sipd_auth_verdict *v);

/* Writes the challenge lines: one "WWW-Authenticate: Digest ...\r\n" (or
 * "Proxy-Authenticate") per algorithm offered, in preference order, all with
 * one new nonce: hex(timestamp || salt || HMAC-SHA256(secret, timestamp ||
 * salt || realm) truncated to 128 bits), the salt 8 random bytes. qop is
 * always sent (RFC 3261 §22.4 item 8), stale=true when asked. Draws 8
 * random bytes. Returns 0, or SIPD_EINVAL (a NULL argument), SIPD_ENOSPC
 * (out is full), SIPD_ENOMEM (OpenSSL). */
int sipd_auth_server_challenge(struct sipd_auth_server *s, struct sipd_buf *out, bool stale,
                               uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
