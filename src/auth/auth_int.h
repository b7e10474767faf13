/* Internal: what the files of the digest authentication layer share. */
#ifndef SIPD_AUTH_AUTH_INT_H
#define SIPD_AUTH_AUTH_INT_H

#include <sipdialog/auth.h>

/* A value to hash: `q` when s is a quoted-string as it appeared in a header,
 * hashed without its quotes and backslashes (RFC 7616 §3.4: unq()). */
struct sipd__auth_val {
	struct sipd_str s;
	bool q;
};

/* A value as received: quoted when it starts with '"'. */
static inline struct sipd__auth_val sipd__auth_raw(struct sipd_str s)
{
	return (struct sipd__auth_val){s, s.len > 0 && s.p[0] == '"'};
}

/* A value as is. */
static inline struct sipd__auth_val sipd__auth_plain(struct sipd_str s)
{
	return (struct sipd__auth_val){s, false};
}

/* The inputs of a request-digest, each plain or quoted. `password.s.p` NULL:
 * use `ha1` (hex, any case). `qop.s.p` NULL: the RFC 2069 form. */
struct sipd__auth_input {
	enum sipd_auth_alg alg;
	struct sipd__auth_val username, realm, password, ha1, nonce, cnonce, qop, nc, method, uri,
		body;
};

/* Computes the hex request-digest into out (SIPD_AUTH_HEX_MAX + 1 bytes).
 * Returns its length, SIPD_EINVAL or SIPD_ENOMEM (see sipd_auth_response). */
int sipd__auth_compute(const struct sipd__auth_input *in, char *out);

/* Hex H(data) of a hash into out (SIPD_AUTH_HEX_MAX + 1 bytes); its length
 * or SIPD_ENOMEM. */
int sipd__auth_hash_hex(enum sipd_auth_hash h, const void *data, size_t len, char *out);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void sipd__auth_hex(const uint8_t *p, size_t n, char *out);

/* True when s is exactly n hex digits (any case). */
bool sipd__auth_is_hex(struct sipd_str s, size_t n);

/* Appends s as a quoted-string: '"' and '\' escaped (RFC 3261 §25.1). */
void sipd__auth_put_quoted(struct sipd_buf *b, struct sipd_str s);

/* Slice of a NUL-terminated string. */
static inline struct sipd_str sipd__auth_cstr(const char *s)
{
	struct sipd_str r = {s, 0};
	while (s[r.len])
		r.len++;
	return r;
}

#endif
