/* Parameters: ';'-separated (URI and header parameters) and ','-separated
 * (auth-params of digest challenges and credentials). */
#include "msg/lex.h"

/* Takes a parameter value: a quoted-string whole, or up to the separator. */
static struct sipd_str take_value(struct sipd_str *s, char sep)
{
	struct sipd_str v;
	if (s->len && s->p[0] == '"') {
		struct sipd_str t = *s;
		if (sipd_lex_quoted(&t, &v)) {
			*s = t;
			return v;
		}
	}
	size_t n = 0;
	while (n < s->len && s->p[n] != sep)
		n++;
	v = (struct sipd_str){s->p, n};
	lex_advance(s, n);
	lex_trim_right(&v);
	return v;
}

bool sipd_param_next(struct sipd_str *cursor, struct sipd_str *name, struct sipd_str *value)
{
	struct sipd_str s = *cursor;
	for (;;) {
		lex_skip_ws(&s);
		if (!s.len)
			return false;
		if (s.p[0] != ';')
			break;
		lex_advance(&s, 1);
	}
	size_t n = 0;
	while (n < s.len && s.p[n] != ';' && s.p[n] != '=' &&
	       !lex_is((unsigned char)s.p[n], LEX_WS))
		n++;
	*name = (struct sipd_str){s.p, n};
	lex_advance(&s, n);
	*value = SIPD_STR_NULL;
	if (lex_sep(&s, '='))
		*value = take_value(&s, ';');
	/* Skip to the next separator, whatever is left. */
	while (s.len && s.p[0] != ';')
		lex_advance(&s, 1);
	*cursor = s;
	return true;
}

int sipd_param_find(struct sipd_str params, const char *name, struct sipd_str *value)
{
	struct sipd_str n, v;
	while (sipd_param_next(&params, &n, &v)) {
		if (sipd_str_ieq(n, name)) {
			*value = v;
			return 0;
		}
	}
	return SIPD_ENOTFOUND;
}

bool sipd_auth_param_next(struct sipd_str *cursor, struct sipd_str *name, struct sipd_str *value)
{
	struct sipd_str s = *cursor;
	for (;;) {
		lex_skip_ws(&s);
		if (!s.len)
			return false;
		if (s.p[0] != ',')
			break;
		lex_advance(&s, 1);
	}
	size_t n = 0;
	while (n < s.len && s.p[n] != ',' && s.p[n] != '=' &&
	       !lex_is((unsigned char)s.p[n], LEX_WS))
		n++;
	*name = (struct sipd_str){s.p, n};
	lex_advance(&s, n);
	*value = SIPD_STR_NULL;
	if (lex_sep(&s, '='))
		*value = take_value(&s, ',');
	while (s.len && s.p[0] != ',')
		lex_advance(&s, 1);
	*cursor = s;
	return true;
}

int sipd_unquote(struct sipd_str v, char *out, size_t cap)
{
	size_t n = 0;
	if (!v.len || v.p[0] != '"') {
		if (v.len > cap)
			return SIPD_ENOSPC;
		if (v.len)
			memcpy(out, v.p, v.len);
		return (int)v.len;
	}
	if (v.len < 2 || v.p[v.len - 1] != '"')
		return SIPD_EPARSE;
	for (size_t i = 1; i + 1 < v.len; i++) {
		char c = v.p[i];
		if (c == '\\') {
			if (i + 2 >= v.len)
				return SIPD_EPARSE;
			c = v.p[++i];
		} else if (c == '"') {
			return SIPD_EPARSE; /* a quote inside must be escaped */
		}
		if (n >= cap)
			return SIPD_ENOSPC;
		out[n++] = c;
	}
	return (int)n;
}
