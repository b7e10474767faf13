/* Challenges and credentials: RFC 3261 §25.1 (challenge, credentials,
 * auth-param) with RFC 7235 §4.1's header values that carry several
 * challenges, and the parameters of RFC 7616 §3.3 and §3.4. */
#include <string.h>

#include "auth/auth_int.h"

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c) != NULL;
}

/* token68 = 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/") *"=" (RFC 7235 §2.1) */
static bool is_t68char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~+/", c) != NULL;
}

/* LWS inside a header value: folds arrive as CRLF followed by SP or HTAB. */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void advance(struct sipd_str *s, size_t n)
{
	s->p += n;
	s->len -= n;
}

static void skip_ws(struct sipd_str *s)
{
	while (s->len && is_ws(s->p[0]))
		advance(s, 1);
}

static struct sipd_str take_token(struct sipd_str *s)
{
	size_t n = 0;
	while (n < s->len && is_tchar((unsigned char)s->p[n]))
		n++;
	struct sipd_str t = {s->p, n};
	advance(s, n);
	return t;
}

/* quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, taken whole. */
static bool take_quoted(struct sipd_str *s, struct sipd_str *out)
{
	if (!s->len || s->p[0] != '"')
		return false;
	for (size_t i = 1; i < s->len; i++) {
		if (s->p[i] == '\\') {
			/* quoted-pair: any octet but CR and LF after the backslash */
			if (i + 1 >= s->len || s->p[i + 1] == '\r' || s->p[i + 1] == '\n')
				return false;
			i++;
		} else if (s->p[i] == '"') {
			*out = (struct sipd_str){s->p, i + 1};
			advance(s, i + 1);
			return true;
		}
	}
	return false;
}

/* A token68 ending at a comma or the end: the credentials of Basic or Bearer,
 * never Digest's. Advances past it and sets *len when there is one. */
static bool take_token68(struct sipd_str *s, size_t *len)
{
	struct sipd_str t = *s;
	size_t n = 0;
	while (n < t.len && is_t68char((unsigned char)t.p[n]))
		n++;
	if (!n)
		return false;
	while (n < t.len && t.p[n] == '=')
		n++;
	advance(&t, n);
	skip_ws(&t);
	if (t.len && t.p[0] != ',')
		return false;
	*s = t;
	*len = n;
	return true;
}

typedef int (*param_fn)(void *ctx, struct sipd_str name, struct sipd_str value);

/* Takes one "scheme [LWS auth-param *(COMMA auth-param)]" from a value that
 * may hold more (the next begins where a name is not followed by '='). */
static int next_item(struct sipd_str *cursor, struct sipd_str *scheme, struct sipd_str *params,
                     param_fn on, void *ctx)
{
	struct sipd_str s = *cursor;
	for (;;) { /* empty list elements are allowed (RFC 7230 §7) */
		skip_ws(&s);
		if (!s.len)
			return SIPD_ENOTFOUND;
		if (s.p[0] != ',')
			break;
		advance(&s, 1);
	}
	*scheme = take_token(&s);
	if (!scheme->len)
		return SIPD_EPARSE;
	*params = (struct sipd_str){s.p, 0};
	bool first = true;
	for (;;) {
		struct sipd_str t = s;
		skip_ws(&t);
		if (!t.len) {
			s = t;
			break;
		}
		if (first) {
			if (t.p[0] == ',')
				break; /* a scheme without parameters */
			if (t.p == s.p)
				return SIPD_EPARSE; /* LWS must follow the scheme */
			*params = (struct sipd_str){t.p, 0};
			/* Digest takes auth-params only: "realm=," is an empty value. */
			if (!sipd_str_ieq(*scheme, "Digest") && take_token68(&t, &params->len)) {
				s = t;
				break;
			}
		} else {
			if (t.p[0] != ',')
				return SIPD_EPARSE;
			while (t.len && (t.p[0] == ',' || is_ws(t.p[0])))
				advance(&t, 1);
			if (!t.len) {
				s = t;
				break;
			}
		}
		struct sipd_str u = t;
		struct sipd_str name = take_token(&u);
		if (!name.len)
			return SIPD_EPARSE;
		skip_ws(&u);
		if (!u.len || u.p[0] != '=') {
			if (first)
				return SIPD_EPARSE;
			break; /* `name` is the scheme of the next challenge */
		}
		advance(&u, 1);
		skip_ws(&u);
		struct sipd_str value;
		if (u.len && u.p[0] == '"') {
			if (!take_quoted(&u, &value))
				return SIPD_EPARSE;
		} else {
			value = take_token(&u);
			if (!value.len)
				return SIPD_EPARSE;
		}
		int rc = on(ctx, name, value);
		if (rc)
			return rc;
		params->len = (size_t)(u.p - params->p);
		s = u;
		first = false;
	}
	*cursor = s;
	return 0;
}

/* The text of a value without its quotes (escapes left in: enough for the
 * tokens compared here). */
static struct sipd_str inner(struct sipd_str v)
{
	if (v.len >= 2 && v.p[0] == '"') {
		v.p++;
		v.len -= 2;
	}
	return v;
}

/* Sets *slot once: a known parameter repeated is ambiguous, so an error. */
static int set_once(struct sipd_str *slot, struct sipd_str value)
{
	if (slot->p)
		return SIPD_EPARSE;
	*slot = value;
	return 0;
}

/* Parameters as they come, before the scheme is known; flags are kept as
 * slices so that a repeated one is caught like any other. */
struct challenge_ctx {
	struct sipd_auth_challenge ch;
	struct sipd_str stale, userhash, qop;
};

static int on_challenge_param(void *ctx, struct sipd_str name, struct sipd_str value)
{
	struct challenge_ctx *x = ctx;
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{"realm", offsetof(struct challenge_ctx, ch.realm)},
		{"nonce", offsetof(struct challenge_ctx, ch.nonce)},
		{"opaque", offsetof(struct challenge_ctx, ch.opaque)},
		{"domain", offsetof(struct challenge_ctx, ch.domain)},
		{"algorithm", offsetof(struct challenge_ctx, ch.algorithm)},
		{"stale", offsetof(struct challenge_ctx, stale)},
		{"userhash", offsetof(struct challenge_ctx, userhash)},
		{"qop", offsetof(struct challenge_ctx, qop)},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (sipd_str_ieq(name, known[i].name))
			return set_once((struct sipd_str *)(void *)((char *)x + known[i].off),
			                value);
	return 0; /* charset and extensions */
}

/* qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT */
static void qop_list(struct sipd_auth_challenge *ch, struct sipd_str value)
{
	struct sipd_str l = inner(value);
	while (l.len) {
		while (l.len && (l.p[0] == ',' || is_ws(l.p[0])))
			advance(&l, 1);
		struct sipd_str tok = take_token(&l);
		if (!tok.len) {
			if (l.len)
				advance(&l, 1); /* not a token: skip the octet */
			continue;
		}
		if (sipd_str_ieq(tok, "auth"))
			ch->qop_auth = true;
		else if (sipd_str_ieq(tok, "auth-int"))
			ch->qop_auth_int = true;
	}
}

int sipd_auth_challenge_next(struct sipd_str *cursor, struct sipd_auth_challenge *ch)
{
	if (!cursor || !ch)
		return SIPD_EINVAL;
	memset(ch, 0, sizeof *ch);
	ch->alg = -1;
	struct sipd_str s = *cursor, scheme, params;
	struct challenge_ctx x;
	memset(&x, 0, sizeof x);
	int rc = next_item(&s, &scheme, &params, on_challenge_param, &x);
	if (rc)
		return rc;
	*cursor = s;
	ch->scheme = scheme;
	ch->params = params;
	if (!sipd_str_ieq(scheme, "Digest"))
		return 0;
	*ch = x.ch;
	ch->scheme = scheme;
	ch->params = params;
	ch->digest = true;
	/* RFC 7616 §3.3: an absent algorithm means MD5; stale is true only
	 * when it says "true" (any case). */
	ch->alg = ch->algorithm.p ? sipd_auth_alg_lookup(ch->algorithm) : SIPD_AUTH_MD5;
	if (ch->alg < 0)
		ch->alg = -1;
	ch->stale = x.stale.p && sipd_str_ieq(inner(x.stale), "true");
	ch->has_userhash = x.userhash.p != NULL;
	ch->has_qop = x.qop.p != NULL;
	if (ch->has_qop)
		qop_list(ch, x.qop);
	return 0;
}

struct cred_ctx {
	struct sipd_auth_credentials cr;
	struct sipd_str userhash;
};

static int on_cred_param(void *ctx, struct sipd_str name, struct sipd_str value)
{
	struct cred_ctx *x = ctx;
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{"username", offsetof(struct cred_ctx, cr.username)},
		{"realm", offsetof(struct cred_ctx, cr.realm)},
		{"nonce", offsetof(struct cred_ctx, cr.nonce)},
		{"uri", offsetof(struct cred_ctx, cr.uri)},
		{"response", offsetof(struct cred_ctx, cr.response)},
		{"cnonce", offsetof(struct cred_ctx, cr.cnonce)},
		{"opaque", offsetof(struct cred_ctx, cr.opaque)},
		{"qop", offsetof(struct cred_ctx, cr.qop)},
		{"nc", offsetof(struct cred_ctx, cr.nc)},
		{"algorithm", offsetof(struct cred_ctx, cr.algorithm)},
		{"userhash", offsetof(struct cred_ctx, userhash)},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (sipd_str_ieq(name, known[i].name))
			return set_once((struct sipd_str *)(void *)((char *)x + known[i].off),
			                value);
	return 0;
}

int sipd_auth_credentials_parse(struct sipd_auth_credentials *cr, struct sipd_str value)
{
	if (!cr)
		return SIPD_EINVAL;
	memset(cr, 0, sizeof *cr);
	cr->alg = -1;
	struct sipd_str s = value, scheme, params;
	struct cred_ctx x;
	memset(&x, 0, sizeof x);
	int rc = next_item(&s, &scheme, &params, on_cred_param, &x);
	if (rc)
		return rc == SIPD_ENOTFOUND ? SIPD_EPARSE : rc;
	/* One credentials per value: anything left is not ours to guess at. */
	while (s.len && (s.p[0] == ',' || is_ws(s.p[0])))
		advance(&s, 1);
	if (s.len)
		return SIPD_EPARSE;
	cr->scheme = scheme;
	cr->params = params;
	if (!sipd_str_ieq(scheme, "Digest"))
		return 0;
	*cr = x.cr;
	cr->scheme = scheme;
	cr->params = params;
	cr->digest = true;
	cr->userhash = x.userhash.p && sipd_str_ieq(inner(x.userhash), "true");
	cr->alg = cr->algorithm.p ? sipd_auth_alg_lookup(cr->algorithm) : SIPD_AUTH_MD5;
	if (cr->alg < 0)
		cr->alg = -1;
	if (cr->nc.p) {
		/* nc-value = 8LHEX (RFC 3261 §25.1); upper case tolerated */
		struct sipd_str n = inner(cr->nc);
		if (!sipd__auth_is_hex(n, 8))
			return SIPD_EPARSE;
		uint32_t v = 0;
		for (size_t i = 0; i < 8; i++) {
			char c = n.p[i];
			unsigned d =
				c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 32) - 'a' + 10);
			v = v << 4 | d;
		}
		cr->nc_value = v;
	}
	return 0;
}
