/* Lexical helpers shared by the message layer (RFC 3261 §25.1). */
#include "msg/lex.h"

int sipd_lex_fail(struct sipd_parse_error *err, const char *what, struct sipd_str base,
                  const char *at)
{
	if (err) {
		err->code = SIPD_EPARSE;
		err->status = 400;
		err->what = what;
		err->line = 0;
		err->column = 0;
		err->offset = (at && at >= base.p) ? (size_t)(at - base.p) : 0;
	}
	return SIPD_EPARSE;
}

/* quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE. Bytes >= 0x80 are
 * taken as UTF8-NONASCII without checking the sequence: the text is opaque. */
bool sipd_lex_quoted(struct sipd_str *s, struct sipd_str *out)
{
	if (!s->len || s->p[0] != '"')
		return false;
	for (size_t i = 1; i < s->len; i++) {
		unsigned char c = (unsigned char)s->p[i];
		if (c == '"') {
			*out = (struct sipd_str){s->p, i + 1};
			lex_advance(s, i + 1);
			return true;
		}
		if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) */
			if (i + 1 >= s->len || s->p[i + 1] == '\r' || s->p[i + 1] == '\n' ||
			    (unsigned char)s->p[i + 1] > 0x7f)
				return false;
			i++;
		} else if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
			/* qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII */
			return false;
		}
	}
	return false;
}

bool sipd_lex_comment(struct sipd_str *s, struct sipd_str *out)
{
	if (!s->len || s->p[0] != '(')
		return false;
	unsigned depth = 0;
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->p[i];
		if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) */
			if (++i >= s->len || s->p[i] == '\r' || s->p[i] == '\n' ||
			    (unsigned char)s->p[i] > 0x7f)
				return false;
		} else if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
			/* ctext = %x21-27 / %x2A-5B / %x5D-7E / UTF8-NONASCII / LWS */
			return false;
		} else if (c == '(') {
			if (++depth > 32)
				return false;
		} else if (c == ')') {
			if (--depth == 0) {
				*out = (struct sipd_str){s->p, i + 1};
				lex_advance(s, i + 1);
				return true;
			}
		}
	}
	return false;
}

bool sipd_lex_list_next(struct sipd_str *s, struct sipd_str *elem)
{
	lex_skip_ws(s);
	if (!s->len)
		return false;
	const char *p = s->p, *end = p + s->len;
	unsigned paren = 0;
	while (p < end) {
		/* ordinary bytes first, in a tight loop */
		while (p < end && !lex_is((unsigned char)*p, LEX_LIST))
			p++;
		if (p == end)
			break;
		char c = *p++;
		if (c == ',') {
			if (!paren) {
				p--;
				break;
			}
		} else if (c == '"') {
			while (p < end && *p != '"')
				p += (*p == '\\' && p + 1 < end) ? 2 : 1;
			if (p < end)
				p++;
		} else if (c == '<') {
			const char *gt = memchr(p, '>', (size_t)(end - p));
			p = gt ? gt + 1 : end;
		} else if (c == '(') {
			paren++;
		} else if (c == ')' && paren) {
			paren--;
		}
	}
	size_t i = (size_t)(p - s->p);
	*elem = (struct sipd_str){s->p, i};
	lex_trim_right(elem);
	if (i < s->len) {
		/* A comma followed only by LWS still separates an (empty) last
		 * element: stop on the comma so that the next call returns it. */
		size_t j = i + 1;
		while (j < s->len && lex_is((unsigned char)s->p[j], LEX_WS))
			j++;
		lex_advance(s, (j == s->len && elem->len) ? i : i + 1);
	} else {
		lex_advance(s, i);
	}
	return true;
}

bool sipd_lex_u32(struct sipd_str *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < s->len && s->p[i] >= '0' && s->p[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s->p[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (i == 0)
		return false;
	*out = (uint32_t)v;
	lex_advance(s, i);
	return true;
}

bool sipd_lex_take_host(struct sipd_str *s, struct sipd_str *host, uint8_t *type)
{
	/* host is never empty; an absent value (a parameter without '=', as
	 * in ";maddr") has a NULL pointer that must not be offset */
	if (!s->len)
		return false;
	if (s->p[0] == '[') {
		const char *e = memchr(s->p, ']', s->len);
		if (!e)
			return false;
		*host = (struct sipd_str){s->p, (size_t)(e - s->p) + 1};
		if (host->len < 3 || !sipd_lex_ipv6(host->p + 1, host->len - 2))
			return false;
		*type = SIPD_HOST_IPV6;
		lex_advance(s, host->len);
		return true;
	}
	/* hostname = *( domainlabel "." ) toplabel [ "." ]: labels are not empty
	 * and do not start or end with '-'; one trailing dot is allowed. '_' is
	 * accepted in labels because deployed hosts use it, though §25.1 does
	 * not. Digits and dots only must be an IPv4address (a toplabel starts
	 * with a letter). All in one pass. */
	const char *start = s->p, *p = start, *end = start + s->len, *label = start;
	bool numeric = true, v4ok = true;
	unsigned dots = 0;
	for (;;) {
		/* one label, in a tight loop; then look at it as a whole */
		unsigned digit = LEX_DIGIT;
		while (p < end && lex_is((unsigned char)*p, LEX_LABEL)) {
			digit &= sipd_lex_class[(unsigned char)*p];
			p++;
		}
		size_t n = (size_t)(p - label);
		if (n) {
			if (*label == '-' || p[-1] == '-')
				return false;
			if (!digit) {
				numeric = false;
			} else if (numeric) {
				unsigned val = 0;
				for (size_t i = 0; i < n && i < 4; i++)
					val = val * 10 + (unsigned)(label[i] - '0');
				v4ok &= n <= 3 && val <= 255;
			}
		}
		if (p == end || *p != '.')
			break;
		if (!n)
			return false; /* an empty label: ".." or a leading '.' */
		dots++;
		label = ++p;
	}
	if (p == start)
		return false;
	if (numeric && !(v4ok && dots == 3 && p != label))
		return false;
	*type = numeric ? SIPD_HOST_IPV4 : SIPD_HOST_NAME;
	*host = (struct sipd_str){start, (size_t)(p - start)};
	lex_advance(s, host->len);
	return true;
}

bool sipd_lex_host(struct sipd_str h, uint8_t *type)
{
	struct sipd_str s = h, host;
	return sipd_lex_take_host(&s, &host, type) && s.len == 0;
}

bool sipd_lex_ipv4(const char *p, size_t len)
{
	unsigned parts = 0, val = 0, digits = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || p[i] == '.') {
			if (!digits || val > 255)
				return false;
			parts++;
			val = digits = 0;
		} else if (p[i] >= '0' && p[i] <= '9') {
			if (++digits > 3)
				return false;
			val = val * 10 + (unsigned)(p[i] - '0');
		} else {
			return false;
		}
	}
	return parts == 4;
}

/* IPv6address of RFC 5954 §4.1 (RFC 4291 §2.2 text forms): up to 8 groups of
 * 1-4 hex digits, one "::" at most, an IPv4address allowed in place of the last
 * two groups. One tolerance: ":::" just before an embedded IPv4 address, which
 * the RFC 3261 ABNF allowed by mistake; RFC 5118 §4.10 asks parsers to accept it. */
bool sipd_lex_ipv6(const char *p, size_t len)
{
	unsigned groups = 0;
	bool dcolon = false;
	size_t i = 0;
	if (len >= 2 && p[0] == ':' && p[1] == ':') {
		dcolon = true;
		i = 2;
		if (i == len)
			return true;
		/* ":::" then an IPv4 address: the same tolerance as below */
		if (p[i] == ':' && i + 1 < len && !memchr(p + i + 1, ':', len - i - 1) &&
		    memchr(p + i + 1, '.', len - i - 1))
			i++;
	} else if (len && p[0] == ':') {
		return false;
	}
	while (i < len) {
		size_t start = i, hex = 0;
		bool dot = false;
		while (i < len && p[i] != ':') {
			if (p[i] == '.')
				dot = true;
			else if (!lex_is((unsigned char)p[i], LEX_HEX))
				return false;
			hex++;
			i++;
		}
		if (dot) {
			if (i != len || !sipd_lex_ipv4(p + start, i - start))
				return false;
			groups += 2;
			break;
		}
		if (hex == 0 || hex > 4)
			return false;
		groups++;
		if (i == len)
			break;
		i++; /* the ':' */
		if (i == len)
			return false; /* a single trailing ':' */
		if (p[i] == ':') {
			if (dcolon)
				return false;
			dcolon = true;
			i++;
			if (i < len && p[i] == ':') {
				/* ":::" only right before an IPv4 address */
				size_t j = i + 1;
				while (j < len && p[j] != ':' && p[j] != '.')
					j++;
				if (j >= len || p[j] != '.')
					return false;
				i++;
			}
		}
	}
	return dcolon ? groups <= 7 : groups == 8;
}

int sipd_lex_param(struct sipd_str *s, struct sipd_str *name, struct sipd_str *value)
{
	struct sipd_str t = *s;
	lex_skip_ws(&t);
	if (!t.len) {
		*s = t;
		return 0;
	}
	if (t.p[0] != ';')
		return -1;
	lex_advance(&t, 1);
	lex_skip_ws(&t);
	*name = lex_take(&t, LEX_TOKEN);
	if (!name->len) {
		*s = t;
		return -1;
	}
	*value = SIPD_STR_NULL;
	if (lex_sep(&t, '=')) {
		const char *vs = t.p;
		if (t.len && t.p[0] == '"') {
			if (!sipd_lex_quoted(&t, value)) {
				*s = t;
				return -1;
			}
		} else if (t.len && t.p[0] == '[') {
			/* gen-value = token / host / quoted-string; host adds IPv6
			 * references, whose ':' and brackets are not token. */
			const char *rb = memchr(t.p, ']', t.len);
			if (!rb) {
				*s = t;
				return -1;
			}
			lex_advance(&t, (size_t)(rb - t.p) + 1);
			*value = (struct sipd_str){vs, (size_t)(t.p - vs)};
		} else {
			*value = lex_take(&t, LEX_GENV);
			if (!value->len) {
				*s = t;
				return -1;
			}
		}
	}
	*s = t;
	return 1;
}

long sipd_lex_check_params(struct sipd_str s)
{
	const char *base = s.p;
	struct sipd_str n, v;
	int r;
	while ((r = sipd_lex_param(&s, &n, &v)) > 0)
		;
	return r < 0 ? s.p - base : -1;
}
