/* URIs: SIP-URI and SIPS-URI (RFC 3261 §19.1, §25.1), tel (RFC 3966, loosely),
 * and any other absoluteURI kept opaque. */
#include "msg/lex.h"

/* Takes 1*(chars of cls / escaped) and reports whether the run was clean.
 * escaped = "%" HEXDIG HEXDIG. */
static bool take_escaped(struct sipd_str *s, unsigned cls, struct sipd_str *out)
{
	size_t i = 0;
	while (i < s->len) {
		unsigned char c = (unsigned char)s->p[i];
		if (c == '%') {
			if (i + 2 >= s->len || !lex_is((unsigned char)s->p[i + 1], LEX_HEX) ||
			    !lex_is((unsigned char)s->p[i + 2], LEX_HEX)) {
				lex_advance(s, i); /* the error is at the '%' */
				return false;
			}
			i += 3;
		} else if (lex_is(c, cls)) {
			i++;
		} else {
			break;
		}
	}
	*out = (struct sipd_str){s->p, i};
	lex_advance(s, i);
	return true;
}

static int fail(struct sipd_parse_error *err, const char *what, const char *base, const char *at)
{
	return sipd_lex_fail(err, what, (struct sipd_str){base, 0}, at);
}

/* uri-parameters = *( ";" uri-parameter ), uri-parameter = pname [ "=" pvalue ] */
static int parse_uri_params(struct sipd_str *s, const char *base, struct sipd_parse_error *err)
{
	while (s->len && s->p[0] == ';') {
		lex_advance(s, 1);
		struct sipd_str name, value;
		if (!take_escaped(s, LEX_PARAM, &name))
			return fail(err, "bad escape in URI parameter", base, s->p);
		if (!name.len)
			return fail(err, "empty URI parameter", base, s->p);
		if (s->len && s->p[0] == '=') {
			lex_advance(s, 1);
			if (!take_escaped(s, LEX_PARAM, &value))
				return fail(err, "bad escape in URI parameter", base, s->p);
			if (!value.len)
				return fail(err, "empty URI parameter value", base, s->p);
		}
	}
	return 0;
}

/* headers = "?" header *( "&" header ), header = hname "=" hvalue */
static int parse_uri_headers(struct sipd_str *s, const char *base, struct sipd_parse_error *err)
{
	do {
		lex_advance(s, 1); /* '?' or '&' */
		struct sipd_str name, value;
		if (!take_escaped(s, LEX_HNV, &name) || !name.len)
			return fail(err, "bad URI header name", base, s->p);
		if (!s->len || s->p[0] != '=')
			return fail(err, "URI header without '='", base, s->p);
		lex_advance(s, 1);
		if (!take_escaped(s, LEX_HNV, &value))
			return fail(err, "bad escape in URI header", base, s->p);
	} while (s->len && s->p[0] == '&');
	return 0;
}

static int parse_sip(struct sipd_uri *uri, struct sipd_str s, const char *base,
                     struct sipd_parse_error *err)
{
	/* userinfo ends at the first '@': neither host, parameters nor headers
	 * may hold an unescaped '@'. */
	const char *at = memchr(s.p, '@', s.len);
	if (at) {
		struct sipd_str ui = {s.p, (size_t)(at - s.p)};
		struct sipd_str user;
		if (!take_escaped(&ui, LEX_USER, &user))
			return fail(err, "bad escape in URI user", base, ui.p);
		if (!user.len)
			return fail(err, "empty URI user", base, ui.p);
		uri->user = user;
		if (ui.len && ui.p[0] == ':') {
			lex_advance(&ui, 1);
			struct sipd_str pw;
			if (!take_escaped(&ui, LEX_PASSWORD, &pw))
				return fail(err, "bad escape in URI password", base, ui.p);
			uri->password = pw;
		}
		if (ui.len)
			return fail(err, "invalid character in URI user", base, ui.p);
		lex_advance(&s, (size_t)(at - s.p) + 1);
	}

	/* hostport = host [ ":" port ] */
	if (s.len && s.p[0] == '[' && !memchr(s.p, ']', s.len))
		return fail(err, "unterminated IPv6 reference", base, s.p);
	if (!sipd_lex_take_host(&s, &uri->host, &uri->host_type))
		return fail(err, "invalid host in URI", base, s.p);
	if (s.len && s.p[0] == ':') {
		lex_advance(&s, 1);
		uint32_t port;
		const char *pp = s.p;
		if (!sipd_lex_u32(&s, &port) || port > 65535 || port == 0)
			return fail(err, "invalid port in URI", base, pp);
		uri->port = (uint16_t)port;
	}
	if (s.len && s.p[0] == ';') {
		const char *start = s.p + 1;
		int rc = parse_uri_params(&s, base, err);
		if (rc)
			return rc;
		uri->params = (struct sipd_str){start, (size_t)(s.p - start)};
	}
	if (s.len && s.p[0] == '?') {
		const char *start = s.p + 1;
		int rc = parse_uri_headers(&s, base, err);
		if (rc)
			return rc;
		uri->headers = (struct sipd_str){start, (size_t)(s.p - start)};
	}
	if (s.len)
		return fail(err, "invalid character in URI", base, s.p);
	return 0;
}

/* tel URI (RFC 3966): the number up to ';', then parameters. Checked loosely:
 * the characters of global and local numbers and their visual separators. */
static int parse_tel(struct sipd_uri *uri, struct sipd_str s, const char *base,
                     struct sipd_parse_error *err)
{
	size_t n = 0;
	while (n < s.len && s.p[n] != ';') {
		char c = s.p[n];
		if (!(lex_is((unsigned char)c, LEX_HEX) || c == '+' || c == '-' || c == '.' ||
		      c == '(' || c == ')' || c == '*' || c == '#'))
			return fail(err, "invalid character in tel number", base, s.p + n);
		n++;
	}
	if (!n)
		return fail(err, "empty tel number", base, s.p);
	uri->user = (struct sipd_str){s.p, n};
	lex_advance(&s, n);
	if (s.len) {
		const char *start = s.p + 1;
		int rc = parse_uri_params(&s, base, err);
		if (rc)
			return rc;
		if (s.len)
			return fail(err, "invalid character in tel URI", base, s.p);
		uri->params = (struct sipd_str){start, (size_t)(s.p - start)};
	}
	return 0;
}

int sipd_uri_parse(struct sipd_uri *uri, const char *p, size_t len, struct sipd_parse_error *err)
{
	memset(uri, 0, sizeof *uri);
	uri->raw = (struct sipd_str){p, len};
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	size_t n = 0;
	while (n < len && (lex_is((unsigned char)p[n], LEX_ALNUM) || p[n] == '+' || p[n] == '-' ||
	                   p[n] == '.'))
		n++;
	if (!n || n == len || p[n] != ':' || !((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z'))
		return fail(err, "URI without a scheme", p, p + n);
	uri->scheme = (struct sipd_str){p, n};
	struct sipd_str rest = {p + n + 1, len - n - 1};
	uri->opaque = rest;
	if (!rest.len)
		return fail(err, "empty URI", p, rest.p);
	if (LEX_IEQ(uri->scheme, "sip")) {
		uri->kind = SIPD_URI_SIP;
		return parse_sip(uri, rest, p, err);
	}
	if (LEX_IEQ(uri->scheme, "sips")) {
		uri->kind = SIPD_URI_SIPS;
		return parse_sip(uri, rest, p, err);
	}
	if (LEX_IEQ(uri->scheme, "tel")) {
		uri->kind = SIPD_URI_TEL;
		return parse_tel(uri, rest, p, err);
	}
	/* absoluteURI: hier-part / opaque-part, all uric (and escapes) */
	uri->kind = SIPD_URI_OTHER;
	struct sipd_str body;
	if (!take_escaped(&rest, LEX_URIC, &body))
		return fail(err, "bad escape in URI", p, rest.p);
	if (rest.len)
		return fail(err, "invalid character in URI", p, rest.p);
	return 0;
}
