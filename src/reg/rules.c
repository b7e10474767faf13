/* Registration: the rules that need no state (RFC 3261 §10.2.4 refresh time,
 * RFC 5626 §4.5 back-off, §19.1.4 URI comparison, §10.3 step 5 canonical
 * AOR). */
#include <string.h>

#include "reg/reg.h"

/* ---------------------------------------------------------------- timing */

uint64_t sipd_reg_refresh_at(uint64_t sent, uint32_t granted, uint32_t t1)
{
	if (!granted)
		return UINT64_MAX;
	/* §10.2.4 only says "before the expiration interval has elapsed". We
	 * leave half of it, or 64*T1 when that is more: a refresh that times out
	 * (Timer F) then still ends before the binding, and the retry has time.
	 * On intervals shorter than two transactions that would mean refreshing
	 * at once, so never before a quarter of the interval has passed. */
	uint64_t span = (uint64_t)granted * 1000;
	uint64_t margin = span / 2;
	uint64_t txn = 64ull * (t1 ? t1 : 500);
	if (margin < txn)
		margin = txn;
	uint64_t delay = margin < span ? span - margin : 0;
	if (delay < span / 4)
		delay = span / 4;
	return sent + delay;
}

uint64_t sipd_reg_retry_delay(unsigned failures, uint32_t base_s, uint32_t max_s, uint32_t rnd)
{
	/* RFC 5626 §4.5: W = min(max-time, base-time * 2^consecutive-failures),
	 * then a wait drawn between 50% and 100% of W */
	uint64_t base = base_s ? base_s : 30;
	uint64_t max = max_s ? max_s : 1800;
	uint64_t w = base;
	for (unsigned i = 0; i < failures && w < max; i++)
		w *= 2;
	if (w > max)
		w = max;
	uint64_t half = w * 1000 / 2;
	return half + (uint64_t)rnd % (half + 1);
}

bool sipd_reg_status_retryable(unsigned status)
{
	/* What may go away by itself: no answer (408, or our own timeout),
	 * nobody there right now (480), a server in trouble (5xx). 501 (no
	 * REGISTER here) and 505 (version) will not change. */
	if (status == 408 || status == 480)
		return true;
	return status >= 500 && status < 600 && status != 501 && status != 505;
}

/* ---------------------------------------------------------------- escapes */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 2396 §2.3 unreserved: alphanum and mark */
static bool unreserved(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-_.!~*'()", (int)c) != NULL;
}

/* The next character of a URI component for comparison: an escape of an
 * unreserved character is that character (§19.1.4); an escape of another
 * one stays apart from the character itself (0x100 | byte). */
static unsigned next_unit(struct sipd_str s, size_t *i)
{
	unsigned char c = (unsigned char)s.p[*i];
	if (c == '%' && *i + 2 < s.len) {
		int h = hexval(s.p[*i + 1]);
		int l = hexval(s.p[*i + 2]);
		if (h >= 0 && l >= 0) {
			unsigned b = (unsigned)(h * 16 + l);
			*i += 3;
			return unreserved(b) ? b : 0x100u | b;
		}
	}
	*i += 1;
	return c;
}

static unsigned fold(unsigned u)
{
	return u >= 'A' && u <= 'Z' ? u + 32 : u;
}

/* Two components equal unit by unit; `nocase` for all but the userinfo. */
static bool comp_eq(struct sipd_str a, struct sipd_str b, bool nocase)
{
	if (!a.p || !b.p)
		return !a.p && !b.p;
	size_t i = 0, j = 0;
	while (i < a.len && j < b.len) {
		unsigned x = next_unit(a, &i), y = next_unit(b, &j);
		if (nocase) {
			x = fold(x);
			y = fold(y);
		}
		if (x != y)
			return false;
	}
	return i == a.len && j == b.len;
}

int sipd__reg_unescape(struct sipd_str s, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (c == '%' && i + 2 < s.len) {
			int h = hexval(s.p[i + 1]);
			int l = hexval(s.p[i + 2]);
			if (h >= 0 && l >= 0) {
				c = (char)(h * 16 + l);
				i += 2;
			}
		}
		if (n + 1 >= cap)
			return SIPD_ENOSPC;
		out[n++] = c;
	}
	if (n >= cap)
		return SIPD_ENOSPC;
	out[n] = 0;
	return (int)n;
}

/* ---------------------------------------------------------------- §19.1.4 */

/* Parameters that must be in both URIs to match (§19.1.4). */
static bool significant(struct sipd_str name)
{
	static const char *const names[] = {"user", "ttl", "method", "maddr", "transport"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (comp_eq(name, (struct sipd_str){names[i], strlen(names[i])}, true))
			return true;
	return false;
}

/* Finds a parameter by name (compared as a component). */
static bool param_in(struct sipd_str params, struct sipd_str name, struct sipd_str *value)
{
	struct sipd_str n, v;
	while (sipd_param_next(&params, &n, &v)) {
		if (comp_eq(n, name, true)) {
			*value = v;
			return true;
		}
	}
	return false;
}

/* Every parameter of a found in b with the same value; those missing from b
 * allowed unless significant. */
static bool params_one_way(struct sipd_str a, struct sipd_str b)
{
	struct sipd_str n, v, w;
	while (sipd_param_next(&a, &n, &v)) {
		if (!param_in(b, n, &w)) {
			if (significant(n))
				return false;
			continue;
		}
		struct sipd_str e = {"", 0};
		if (!comp_eq(v.p ? v : e, w.p ? w : e, true))
			return false;
	}
	return true;
}

/* The next "hname=hvalue" of a URI's headers, '&'-separated. */
static bool header_next(struct sipd_str *cur, struct sipd_str *name, struct sipd_str *value)
{
	while (cur->len && cur->p[0] == '&') {
		cur->p++;
		cur->len--;
	}
	if (!cur->len)
		return false;
	size_t n = 0;
	while (n < cur->len && cur->p[n] != '&')
		n++;
	struct sipd_str h = {cur->p, n};
	cur->p += n;
	cur->len -= n;
	size_t eq = 0;
	while (eq < h.len && h.p[eq] != '=')
		eq++;
	*name = (struct sipd_str){h.p, eq};
	*value = eq < h.len ? (struct sipd_str){h.p + eq + 1, h.len - eq - 1}
	                    : (struct sipd_str){h.p + h.len, 0};
	return true;
}

/* Every header of a is in b with the same value (§19.1.4: never ignored). */
static bool headers_one_way(struct sipd_str a, struct sipd_str b)
{
	struct sipd_str n, v;
	while (header_next(&a, &n, &v)) {
		struct sipd_str c = b, m, w;
		bool found = false;
		while (!found && header_next(&c, &m, &w))
			found = comp_eq(n, m, true) && comp_eq(v, w, false);
		if (!found)
			return false;
	}
	return true;
}

bool sipd__reg_uri_equal(const struct sipd_uri *a, const struct sipd_uri *b)
{
	if (a->kind != b->kind)
		return false; /* a SIP and a SIPS URI are never equivalent */
	if (a->kind != SIPD_URI_SIP && a->kind != SIPD_URI_SIPS) {
		/* no comparison rules of ours: the same text */
		return comp_eq(a->scheme, b->scheme, true) && a->opaque.len == b->opaque.len &&
		       (a->opaque.len == 0 || memcmp(a->opaque.p, b->opaque.p, a->opaque.len) == 0);
	}
	struct sipd_str none = {"", 0};
	return comp_eq(a->user, b->user, false) && comp_eq(a->password, b->password, false) &&
	       comp_eq(a->host, b->host, true) && a->port == b->port &&
	       params_one_way(a->params.p ? a->params : none, b->params.p ? b->params : none) &&
	       params_one_way(b->params.p ? b->params : none, a->params.p ? a->params : none) &&
	       headers_one_way(a->headers.p ? a->headers : none,
	                       b->headers.p ? b->headers : none) &&
	       headers_one_way(b->headers.p ? b->headers : none, a->headers.p ? a->headers : none);
}

/* A URI alone (its parameters its own), or the URI of a name-addr (in <>). */
static int parse_any(struct sipd_str s, struct sipd_uri *u)
{
	if (!s.p)
		return SIPD_EPARSE;
	if (!memchr(s.p, '<', s.len))
		return sipd_uri_parse(u, s.p, s.len, NULL) ? SIPD_EPARSE : 0;
	struct sipd_nameaddr na;
	if (sipd_nameaddr_parse(&na, s, false, NULL) || na.star)
		return SIPD_EPARSE;
	*u = na.uri;
	return 0;
}

bool sipd_reg_uri_equal(struct sipd_str a, struct sipd_str b)
{
	struct sipd_uri x, y;
	if (parse_any(a, &x) || parse_any(b, &y))
		return false;
	return sipd__reg_uri_equal(&x, &y);
}

/* ---------------------------------------------------------------- canonical AOR */

int sipd__reg_canonical(const struct sipd_uri *u, char *out, size_t cap)
{
	if (u->kind != SIPD_URI_SIP && u->kind != SIPD_URI_SIPS)
		return SIPD_EINVAL;
	/* §10.3 step 5: no parameters, escapes undone; scheme and host have no
	 * case (§19.1.4), the user part has */
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap);
	sipd_buf_puts(&b, u->kind == SIPD_URI_SIPS ? "sips:" : "sip:");
	if (u->user.p) {
		char user[REG_MAX_URI];
		int n = sipd__reg_unescape(u->user, user, sizeof user);
		if (n < 0)
			return SIPD_ENOSPC;
		sipd_buf_put(&b, user, (size_t)n);
		sipd_buf_puts(&b, "@");
	}
	char host[REG_MAX_URI];
	int n = sipd__reg_unescape(u->host, host, sizeof host);
	if (n < 0)
		return SIPD_ENOSPC;
	for (int i = 0; i < n; i++)
		host[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
	sipd_buf_put(&b, host, (size_t)n);
	if (u->port) {
		sipd_buf_puts(&b, ":");
		sipd_buf_putu(&b, u->port);
	}
	sipd_buf_put(&b, "", 1); /* the NUL */
	long len = sipd_buf_result(&b);
	if (len < 0)
		return SIPD_ENOSPC;
	return (int)len - 1;
}

int sipd_reg_aor_canonical(struct sipd_str uri, char *out, size_t cap)
{
	if (!out || !uri.p)
		return SIPD_EINVAL;
	struct sipd_uri u;
	if (parse_any(uri, &u))
		return SIPD_EPARSE;
	return sipd__reg_canonical(&u, out, cap);
}
