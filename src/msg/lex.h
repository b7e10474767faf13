/* Internal lexical helpers of the message layer: character classes of RFC 3261
 * §25.1 as bit tables, and small cursor functions over struct sipd_str. */
#ifndef SIPD_MSG_LEX_H
#define SIPD_MSG_LEX_H

#include <string.h>

#include <sipdialog/msg.h>

enum {
	LEX_ALNUM = 1 << 0,
	LEX_TOKEN = 1 << 1, /* token = 1*(alphanum / "-" "." "!" "%" "*" "_" "+" "`" "'" "~") */
	LEX_UNRESERVED = 1 << 2, /* alphanum / mark */
	LEX_USER = 1 << 3,       /* unreserved / user-unreserved (escaped handled apart) */
	LEX_PASSWORD = 1 << 4,   /* unreserved / "&" "=" "+" "$" "," */
	LEX_PARAM = 1 << 5,      /* unreserved / param-unreserved */
	LEX_HNV = 1 << 6,        /* unreserved / hnv-unreserved */
	LEX_URIC = 1 << 7,       /* reserved / unreserved (absoluteURI) */
	LEX_WORD = 1 << 8,       /* word, for Call-ID */
	LEX_HOST = 1 << 9,       /* alphanum "-" "." (and "_", see uri.c) */
	LEX_HEX = 1 << 10,
	LEX_WS = 1 << 11, /* SP, HTAB, CR, LF: LWS inside a header value */
	LEX_LIST = 1 << 12, /* what a list split must look at: " , < ( ) */
	LEX_DIGIT = 1 << 13,
	LEX_LABEL = 1 << 14, /* a host label's characters: LEX_HOST without '.' */
	LEX_GENV = 1 << 15,  /* an unquoted gen-value of a header parameter */
};

extern const uint16_t sipd_lex_class[256];

static inline bool lex_is(unsigned char c, unsigned cls)
{
	return (sipd_lex_class[c] & cls) != 0;
}

static inline char lex_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Skips LWS (including folds) at the start of s. */
static inline void lex_skip_ws(struct sipd_str *s)
{
	while (s->len && lex_is((unsigned char)*s->p, LEX_WS)) {
		s->p++;
		s->len--;
	}
}

static inline void lex_trim_right(struct sipd_str *s)
{
	while (s->len && lex_is((unsigned char)s->p[s->len - 1], LEX_WS))
		s->len--;
}

static inline void lex_advance(struct sipd_str *s, size_t n)
{
	s->p += n;
	s->len -= n;
}

/* Takes the longest prefix of characters of class cls. */
static inline struct sipd_str lex_take(struct sipd_str *s, unsigned cls)
{
	size_t n = 0;
	while (n < s->len && lex_is((unsigned char)s->p[n], cls))
		n++;
	struct sipd_str out = {s->p, n};
	lex_advance(s, n);
	return out;
}

/* After optional LWS, consumes character c and the LWS after it. */
static inline bool lex_sep(struct sipd_str *s, char c)
{
	struct sipd_str t = *s;
	lex_skip_ws(&t);
	if (!t.len || *t.p != c)
		return false;
	lex_advance(&t, 1);
	lex_skip_ws(&t);
	*s = t;
	return true;
}

/* Takes a quoted-string (RFC 3261 §25.1) including its quotes; false if the
 * string at s is not one or is not terminated. */
bool sipd_lex_quoted(struct sipd_str *s, struct sipd_str *out);
/* Takes a comment "( ... )" with nesting and quoted-pairs, including the parens. */
bool sipd_lex_comment(struct sipd_str *s, struct sipd_str *out);
/* Splits off the next element of a comma-separated list (not at commas inside
 * quotes, <> or parentheses); trims LWS. False when s is empty. */
bool sipd_lex_list_next(struct sipd_str *s, struct sipd_str *elem);
/* Parses 1*DIGIT into a uint32_t; false on no digit or overflow. */
bool sipd_lex_u32(struct sipd_str *s, uint32_t *out);
/* Takes one generic-param ";name[=value]" at s (after LWS), validated:
 * name a token, value a token, a host or a quoted-string (kept with its
 * quotes). Returns 1, 0 at the end (only LWS left), -1 when malformed (s then
 * points at the fault). */
int sipd_lex_param(struct sipd_str *s, struct sipd_str *name, struct sipd_str *value);
/* Equality with a literal of known length, ignoring ASCII case. */
static inline bool lex_ieq(struct sipd_str s, const char *lit, size_t n)
{
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lex_lower(s.p[i]) != lit[i])
			return false;
	return true;
}
/* LEX_IEQ(s, "lower-case literal") */
#define LEX_IEQ(s, lit) lex_ieq((s), lit, sizeof(lit) - 1)
/* Validates a ';'-parameter list: each generic-param = token [ EQUAL gen-value ],
 * gen-value = token / host / quoted-string. Returns the offset of the first
 * error, or -1 when all is well. `s` starts at the first ';' (or is empty). */
long sipd_lex_check_params(struct sipd_str s);
/* Sets err: what and the offset of at inside base. Always returns SIPD_EPARSE. */
int sipd_lex_fail(struct sipd_parse_error *err, const char *what, struct sipd_str base,
                  const char *at);
bool sipd_lex_ipv4(const char *p, size_t len);
/* IPv6address, without the brackets. */
bool sipd_lex_ipv6(const char *p, size_t len);
/* Takes a host (hostname / IPv4address / IPv6reference) at the start of s,
 * validated in the same pass; false when there is none or it is invalid. */
bool sipd_lex_take_host(struct sipd_str *s, struct sipd_str *host, uint8_t *type);
/* Validates a host (hostname / IPv4address / IPv6reference). */
bool sipd_lex_host(struct sipd_str h, uint8_t *type);

#endif
