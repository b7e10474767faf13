/* sipdialog fuzz targets — checks shared by every target. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An error record no parser would write: a parser that fails without filling
 * it is caught by fz_check_error(). */
#define FZ_ERR_INIT \
	((struct sipd_parse_error){.code = 12345, .status = 0, .what = NULL, .offset = SIZE_MAX})

_Noreturn void fz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "\n*** fuzz invariant violated: %s (%s:%d)\n", what, file, line);
	fflush(stderr);
	abort();
}

char *fz_dup(const void *data, size_t n)
{
	/* malloc(0) under ASan gives a block nobody may read: exactly right. */
	char *p = malloc(n);
	if (!p)
		abort();
	if (n)
		memcpy(p, data, n);
	return p;
}

char *fz_cstr(struct sipd_str s)
{
	if (s.len && memchr(s.p, '\0', s.len))
		return NULL;
	char *z = malloc(s.len + 1);
	if (!z)
		abort();
	if (s.len)
		memcpy(z, s.p, s.len);
	z[s.len] = '\0';
	return z;
}

bool fz_inside(struct sipd_str s, const char *lo, size_t n)
{
	if (s.len == 0)
		return true;
	if (!s.p || !lo)
		return false;
	uintptr_t p = (uintptr_t)s.p, b = (uintptr_t)lo;
	return p >= b && p - b <= n && s.len <= n - (p - b);
}

static bool is_token_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c) != NULL;
}

bool fz_is_token(struct sipd_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!is_token_char((unsigned char)s.p[i]))
			return false;
	return true;
}

static bool ascii_ieq(struct sipd_str a, struct sipd_str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++) {
		unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Where a present slice ends; NULL for an absent one. */
static const char *slice_end(struct sipd_str s)
{
	return s.len ? s.p + s.len : NULL;
}

static bool is_quoted(struct sipd_str s)
{
	return s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"';
}

void fz_check_error(int rc, const struct sipd_parse_error *err, size_t n)
{
	FZ_CHECK(sipd_strerror(rc) != NULL);
	if (rc != SIPD_EPARSE && rc != SIPD_ELIMIT)
		return;
	FZ_CHECK(err->code == rc);
	FZ_CHECK(err->what != NULL);
	FZ_CHECK(err->offset <= n);
}

void fz_check_uri(const struct sipd_uri *u, const char *lo, size_t n)
{
	FZ_INSIDE(u->raw, lo, n);
	const char *rp = u->raw.p;
	size_t rn = u->raw.len;
	FZ_CHECK(rn > 0);
	FZ_INSIDE(u->scheme, rp, rn);
	FZ_INSIDE(u->user, rp, rn);
	FZ_INSIDE(u->password, rp, rn);
	FZ_INSIDE(u->host, rp, rn);
	FZ_INSIDE(u->params, rp, rn);
	FZ_INSIDE(u->headers, rp, rn);
	FZ_INSIDE(u->opaque, rp, rn);
	FZ_CHECK(u->kind <= SIPD_URI_TEL);
	FZ_CHECK(u->host_type <= SIPD_HOST_IPV6);
	FZ_CHECK(u->scheme.len > 0);
	FZ_CHECK(fz_is_token(u->scheme) || u->kind == SIPD_URI_OTHER);

	/* The kind follows from the scheme, in any case. */
	FZ_CHECK((u->kind == SIPD_URI_SIP) == sipd_str_ieq(u->scheme, "sip"));
	FZ_CHECK((u->kind == SIPD_URI_SIPS) == sipd_str_ieq(u->scheme, "sips"));
	FZ_CHECK((u->kind == SIPD_URI_TEL) == sipd_str_ieq(u->scheme, "tel"));

	/* "everything after scheme:" */
	if (u->opaque.len) {
		FZ_CHECK(u->opaque.p == u->scheme.p + u->scheme.len + 1);
		FZ_CHECK(u->opaque.p + u->opaque.len == rp + rn);
	}

	if (u->kind == SIPD_URI_SIP || u->kind == SIPD_URI_SIPS) {
		FZ_CHECK(u->host.len > 0);
		FZ_CHECK(u->host_type != SIPD_HOST_NONE);
		/* The parts do not overlap and come in the order of the grammar. */
		const struct sipd_str parts[] = {u->user, u->password, u->host, u->params,
		                                 u->headers};
		const char *end = slice_end(u->scheme);
		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
			if (!parts[i].len)
				continue;
			FZ_CHECK((uintptr_t)parts[i].p >= (uintptr_t)end);
			end = slice_end(parts[i]);
		}
	}
	if (u->host_type == SIPD_HOST_IPV6) {
		FZ_CHECK(u->host.len >= 3);
		FZ_CHECK(u->host.p[0] == '[' && u->host.p[u->host.len - 1] == ']');
	}
	if (u->host_type == SIPD_HOST_IPV4) {
		for (size_t i = 0; i < u->host.len; i++)
			FZ_CHECK((u->host.p[i] >= '0' && u->host.p[i] <= '9') || u->host.p[i] == '.');
	}
	if (u->host_type == SIPD_HOST_NAME)
		FZ_CHECK(!memchr(u->host.p, '[', u->host.len) && !memchr(u->host.p, ']', u->host.len));
}

#define FZ_MAX_PARAMS 64

size_t fz_walk_params(struct sipd_str params)
{
	struct sipd_str cursor = params, name, value;
	struct sipd_str names[FZ_MAX_PARAMS], values[FZ_MAX_PARAMS];
	size_t count = 0;

	for (;;) {
		size_t before = cursor.len;
		name = value = (struct sipd_str){(const char *)1, 12345};
		if (!sipd_param_next(&cursor, &name, &value))
			break;
		/* Each step eats input: a walk always ends. */
		FZ_CHECK(cursor.len < before);
		FZ_CHECK(count <= params.len);
		FZ_INSIDE(cursor, params.p, params.len);
		FZ_INSIDE(name, params.p, params.len);
		FZ_INSIDE(value, params.p, params.len);
		if (value.p == NULL)
			FZ_CHECK(value.len == 0);
		if (count < FZ_MAX_PARAMS) {
			names[count] = name;
			values[count] = value;
		}
		count++;
	}

	/* sipd_param_find() gives the first parameter of that name. */
	size_t known = count < FZ_MAX_PARAMS ? count : FZ_MAX_PARAMS;
	for (size_t i = 0; i < known; i++) {
		char *z = fz_cstr(names[i]);
		if (!z)
			continue;
		if (names[i].len) {
			struct sipd_str found = {(const char *)1, 12345};
			int rc = sipd_param_find(params, z, &found);
			FZ_CHECK(rc == 0);
			size_t first = i;
			for (size_t j = 0; j < i; j++) {
				if (ascii_ieq(names[j], names[i])) {
					first = j;
					break;
				}
			}
			FZ_CHECK(found.len == values[first].len);
			FZ_CHECK(found.len == 0 || found.p == values[first].p);
			FZ_CHECK((found.p == NULL) == (values[first].p == NULL));
		}
		free(z);
	}
	struct sipd_str none = {(const char *)1, 12345};
	int rc = sipd_param_find(params, "x-no-such-fuzz-param", &none);
	FZ_CHECK(rc == SIPD_ENOTFOUND || rc == 0);
	return count;
}

size_t fz_walk_auth_params(struct sipd_str params)
{
	struct sipd_str cursor = params, name, value;
	size_t count = 0;
	for (;;) {
		size_t before = cursor.len;
		name = value = (struct sipd_str){(const char *)1, 12345};
		if (!sipd_auth_param_next(&cursor, &name, &value))
			break;
		FZ_CHECK(cursor.len < before);
		FZ_CHECK(count <= params.len);
		FZ_INSIDE(cursor, params.p, params.len);
		FZ_INSIDE(name, params.p, params.len);
		FZ_INSIDE(value, params.p, params.len);
		fz_unquote(value);
		count++;
	}
	return count;
}

void fz_unquote(struct sipd_str v)
{
	/* With room for all of v the result is known; smaller buffers must either
	 * give the same bytes or SIPD_ENOSPC, and never write past their end. */
	size_t full_cap = v.len ? v.len : 1;
	char *full = malloc(full_cap);
	if (!full)
		abort();
	int rc = sipd_unquote(v, full, full_cap);
	FZ_CHECK(rc >= 0 || rc == SIPD_EPARSE || rc == SIPD_ENOSPC);
	if (rc >= 0)
		FZ_CHECK((size_t)rc <= v.len);
	/* A token is copied as it is; a quoted string only loses bytes. */
	FZ_CHECK(rc != SIPD_ENOSPC);

	const size_t caps[] = {1, v.len / 2, rc > 0 ? (size_t)rc : 1,
	                       rc > 1 ? (size_t)rc - 1 : 1};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		size_t cap = caps[i] ? caps[i] : 1;
		char *out = malloc(cap);
		if (!out)
			abort();
		int r = sipd_unquote(v, out, cap);
		if (rc >= 0) {
			if ((size_t)rc <= cap) {
				FZ_CHECK(r == rc);
				FZ_CHECK(memcmp(out, full, (size_t)rc) == 0);
			} else {
				FZ_CHECK(r == SIPD_ENOSPC);
			}
		} else {
			FZ_CHECK(r == SIPD_EPARSE || r == SIPD_ENOSPC);
		}
		free(out);
	}
	free(full);
}

enum fz_kind fz_kind_of(enum sipd_hdr_id id)
{
	switch (id) {
	case SIPD_HDR_VIA:
		return FZ_VIA;
	case SIPD_HDR_FROM:
	case SIPD_HDR_TO:
	case SIPD_HDR_CONTACT:
	case SIPD_HDR_REFER_TO:
	case SIPD_HDR_REFERRED_BY:
	case SIPD_HDR_REPLY_TO:
		return FZ_NAMEADDR;
	case SIPD_HDR_ROUTE:
	case SIPD_HDR_RECORD_ROUTE:
	case SIPD_HDR_PATH:
		return FZ_NAMEADDR_STRICT;
	case SIPD_HDR_CSEQ:
		return FZ_CSEQ;
	case SIPD_HDR_RACK:
		return FZ_RACK;
	case SIPD_HDR_CALL_ID:
		return FZ_CALLID;
	case SIPD_HDR_MAX_FORWARDS:
	case SIPD_HDR_CONTENT_LENGTH:
	case SIPD_HDR_EXPIRES:
	case SIPD_HDR_MIN_EXPIRES:
	case SIPD_HDR_RSEQ:
		return FZ_UINT;
	case SIPD_HDR_CONTENT_TYPE:
	case SIPD_HDR_ACCEPT:
		return FZ_MEDIA;
	case SIPD_HDR_CONTENT_DISPOSITION:
		return FZ_DISPOSITION;
	case SIPD_HDR_EVENT:
		return FZ_EVENT;
	case SIPD_HDR_SUBSCRIPTION_STATE:
		return FZ_SUBSTATE;
	case SIPD_HDR_SESSION_EXPIRES:
	case SIPD_HDR_MIN_SE:
		return FZ_SESSION_EXPIRES;
	case SIPD_HDR_RETRY_AFTER:
		return FZ_RETRY_AFTER;
	case SIPD_HDR_REPLACES:
		return FZ_REPLACES;
	case SIPD_HDR_REASON:
		return FZ_REASON;
	case SIPD_HDR_WWW_AUTHENTICATE:
	case SIPD_HDR_PROXY_AUTHENTICATE:
	case SIPD_HDR_AUTHORIZATION:
	case SIPD_HDR_PROXY_AUTHORIZATION:
		return FZ_AUTH;
	case SIPD_HDR_AUTHENTICATION_INFO:
		return FZ_AUTH_PARAMS;
	case SIPD_HDR_WARNING:
		return FZ_WARNING;
	case SIPD_HDR_REQUIRE:
	case SIPD_HDR_PROXY_REQUIRE:
	case SIPD_HDR_SUPPORTED:
	case SIPD_HDR_UNSUPPORTED:
	case SIPD_HDR_ALLOW:
		return FZ_TOKEN;
	default:
		return FZ_NONE;
	}
}

static void check_uint(int rc, uint32_t out, struct sipd_str v)
{
	/* Our own reading of 1*DIGIT, LWS around it ignored. */
	size_t i = 0, end = v.len;
	while (i < end && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\r' || v.p[i] == '\n'))
		i++;
	while (end > i && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t' || v.p[end - 1] == '\r' ||
	                   v.p[end - 1] == '\n'))
		end--;
	bool digits = i < end;
	uint64_t val = 0;
	bool fits = true;
	for (size_t k = i; k < end; k++) {
		if (v.p[k] < '0' || v.p[k] > '9') {
			digits = false;
			break;
		}
		val = val * 10 + (uint64_t)(v.p[k] - '0');
		if (val > UINT32_MAX) {
			fits = false;
			val = UINT32_MAX + (uint64_t)1;
		}
	}
	if (rc == 0) {
		FZ_CHECK(digits && fits);
		FZ_CHECK(out == val);
	}
	/* Plain digits with nothing around them must be read. */
	if (i == 0 && end == v.len && digits && fits)
		FZ_CHECK(rc == 0);
}

static void check_nameaddr(const struct sipd_nameaddr *na, bool strict, struct sipd_str v)
{
	FZ_INSIDE(na->display, v.p, v.len);
	FZ_INSIDE(na->tag, v.p, v.len);
	FZ_INSIDE(na->params, v.p, v.len);
	if (na->tag.len && na->params.len)
		FZ_INSIDE(na->tag, na->params.p, na->params.len);
	if (strict && !na->star)
		FZ_CHECK(na->angle);
	if (!na->star) {
		fz_check_uri(&na->uri, v.p, v.len);
		/* The URI of a name-addr is a URI on its own. */
		struct sipd_uri again;
		struct sipd_parse_error err = FZ_ERR_INIT;
		int rc = sipd_uri_parse(&again, na->uri.raw.p, na->uri.raw.len, &err);
		FZ_CHECK(rc == 0);
		FZ_CHECK(again.kind == na->uri.kind);
		FZ_CHECK(again.host.p == na->uri.host.p && again.host.len == na->uri.host.len);
		FZ_CHECK(again.port == na->uri.port);
	}
	int64_t exp = sipd_contact_expires(na);
	int q = sipd_contact_q(na);
	FZ_CHECK(exp >= -1);
	FZ_CHECK(q >= -1 && q <= 1000);
	fz_walk_params(na->params);
}

static void check_method(uint8_t method, struct sipd_str name)
{
	FZ_CHECK(method < SIPD_METHOD__COUNT);
	FZ_CHECK(name.len > 0);
	FZ_CHECK(fz_is_token(name));
	FZ_CHECK(sipd_method_lookup(name.p, name.len) == method);
}

static void check_hdr_name(struct sipd_str v)
{
	enum sipd_hdr_id id = sipd_hdr_lookup(v.p, v.len);
	FZ_CHECK(id < SIPD_HDR__COUNT);
	FZ_CHECK(sipd_hdr_name(SIPD_HDR_OTHER) == NULL);
	if (id != SIPD_HDR_OTHER) {
		const char *name = sipd_hdr_name(id);
		FZ_CHECK(name != NULL);
		FZ_CHECK(sipd_hdr_lookup(name, strlen(name)) == id);
		(void)sipd_hdr_is_list(id);
	}
}

static void check_method_name(struct sipd_str v)
{
	enum sipd_method m = sipd_method_lookup(v.p, v.len);
	FZ_CHECK(m < SIPD_METHOD__COUNT);
	const char *name = sipd_method_name(m);
	FZ_CHECK(name != NULL);
	if (m == SIPD_METHOD_OTHER) {
		FZ_CHECK(name[0] == '\0');
	} else {
		/* Method names are case-sensitive: only the exact name matches. */
		FZ_CHECK(strlen(name) == v.len && memcmp(name, v.p, v.len) == 0);
	}
}

int fz_parse_value(enum fz_kind kind, struct sipd_str v, const char *lo, size_t n)
{
	struct sipd_parse_error err = FZ_ERR_INIT;
	int rc = 0;

	FZ_INSIDE(v, lo, n);
	switch (kind) {
	case FZ_VIA: {
		struct sipd_via via;
		rc = sipd_via_parse(&via, v, &err);
		if (rc)
			break;
		FZ_INSIDE(via.protocol, v.p, v.len);
		FZ_INSIDE(via.transport, v.p, v.len);
		FZ_INSIDE(via.host, v.p, v.len);
		FZ_INSIDE(via.params, v.p, v.len);
		FZ_INSIDE(via.branch, via.params.p, via.params.len);
		FZ_INSIDE(via.received, via.params.p, via.params.len);
		FZ_INSIDE(via.maddr, via.params.p, via.params.len);
		FZ_CHECK(via.host.len > 0);
		FZ_CHECK(via.host_type != SIPD_HOST_NONE && via.host_type <= SIPD_HOST_IPV6);
		FZ_CHECK(via.transport.len > 0 && fz_is_token(via.transport));
		FZ_CHECK(via.ttl >= -1 && via.ttl <= 255);
		if (!via.rport)
			FZ_CHECK(via.rport_value == 0);
		if (via.host_type == SIPD_HOST_IPV6)
			FZ_CHECK(via.host.p[0] == '[' && via.host.p[via.host.len - 1] == ']');
		fz_walk_params(via.params);
		break;
	}
	case FZ_NAMEADDR:
	case FZ_NAMEADDR_STRICT: {
		struct sipd_nameaddr na;
		bool strict = kind == FZ_NAMEADDR_STRICT;
		rc = sipd_nameaddr_parse(&na, v, strict, &err);
		if (!rc)
			check_nameaddr(&na, strict, v);
		break;
	}
	case FZ_CSEQ: {
		struct sipd_cseq cs;
		rc = sipd_cseq_parse(&cs, v, &err);
		if (rc)
			break;
		FZ_INSIDE(cs.method_name, v.p, v.len);
		check_method(cs.method, cs.method_name);
		break;
	}
	case FZ_RACK: {
		struct sipd_rack ra;
		rc = sipd_rack_parse(&ra, v, &err);
		if (rc)
			break;
		FZ_INSIDE(ra.method_name, v.p, v.len);
		check_method(ra.method, ra.method_name);
		break;
	}
	case FZ_MEDIA: {
		struct sipd_media m;
		rc = sipd_media_parse(&m, v, &err);
		if (rc)
			break;
		FZ_INSIDE(m.type, v.p, v.len);
		FZ_INSIDE(m.subtype, v.p, v.len);
		FZ_INSIDE(m.params, v.p, v.len);
		FZ_CHECK(m.type.len > 0 && fz_is_token(m.type));
		FZ_CHECK(m.subtype.len > 0 && fz_is_token(m.subtype));
		fz_walk_params(m.params);
		break;
	}
	case FZ_EVENT: {
		struct sipd_event ev;
		rc = sipd_event_parse(&ev, v, &err);
		if (rc)
			break;
		FZ_INSIDE(ev.package, v.p, v.len);
		FZ_INSIDE(ev.id, v.p, v.len);
		FZ_INSIDE(ev.params, v.p, v.len);
		FZ_CHECK(ev.package.len > 0 && fz_is_token(ev.package));
		fz_walk_params(ev.params);
		break;
	}
	case FZ_SUBSTATE: {
		struct sipd_substate ss;
		rc = sipd_substate_parse(&ss, v, &err);
		if (rc)
			break;
		FZ_INSIDE(ss.state, v.p, v.len);
		FZ_INSIDE(ss.reason, v.p, v.len);
		FZ_INSIDE(ss.params, v.p, v.len);
		FZ_CHECK(ss.state.len > 0 && fz_is_token(ss.state));
		FZ_CHECK(ss.expires >= -1 && ss.retry_after >= -1);
		fz_walk_params(ss.params);
		break;
	}
	case FZ_SESSION_EXPIRES: {
		struct sipd_session_expires se;
		rc = sipd_session_expires_parse(&se, v, &err);
		if (rc)
			break;
		FZ_INSIDE(se.refresher, v.p, v.len);
		FZ_INSIDE(se.params, v.p, v.len);
		FZ_CHECK(se.refresher.len == 0 || sipd_str_ieq(se.refresher, "uac") ||
		         sipd_str_ieq(se.refresher, "uas"));
		fz_walk_params(se.params);
		break;
	}
	case FZ_RETRY_AFTER: {
		struct sipd_retry_after ra;
		rc = sipd_retry_after_parse(&ra, v, &err);
		if (rc)
			break;
		FZ_INSIDE(ra.comment, v.p, v.len);
		FZ_INSIDE(ra.params, v.p, v.len);
		FZ_CHECK(ra.duration >= -1);
		fz_walk_params(ra.params);
		break;
	}
	case FZ_REPLACES: {
		struct sipd_replaces rp;
		rc = sipd_replaces_parse(&rp, v, &err);
		if (rc)
			break;
		FZ_INSIDE(rp.call_id, v.p, v.len);
		FZ_INSIDE(rp.to_tag, v.p, v.len);
		FZ_INSIDE(rp.from_tag, v.p, v.len);
		FZ_INSIDE(rp.params, v.p, v.len);
		FZ_CHECK(rp.call_id.len > 0);
		fz_walk_params(rp.params);
		break;
	}
	case FZ_REASON: {
		struct sipd_reason r;
		rc = sipd_reason_parse(&r, v, &err);
		if (rc)
			break;
		FZ_INSIDE(r.protocol, v.p, v.len);
		FZ_INSIDE(r.text, v.p, v.len);
		FZ_INSIDE(r.params, v.p, v.len);
		FZ_CHECK(r.protocol.len > 0 && fz_is_token(r.protocol));
		FZ_CHECK(r.cause >= -1);
		FZ_INSIDE(r.text, r.params.p, r.params.len);
		fz_walk_params(r.params);
		break;
	}
	case FZ_AUTH: {
		struct sipd_auth a;
		rc = sipd_auth_parse(&a, v, &err);
		if (rc)
			break;
		FZ_INSIDE(a.scheme, v.p, v.len);
		FZ_INSIDE(a.params, v.p, v.len);
		FZ_CHECK(a.scheme.len > 0 && fz_is_token(a.scheme));
		fz_walk_auth_params(a.params);
		break;
	}
	case FZ_WARNING: {
		struct sipd_warning w;
		rc = sipd_warning_parse(&w, v, &err);
		if (rc)
			break;
		FZ_INSIDE(w.agent, v.p, v.len);
		FZ_INSIDE(w.text, v.p, v.len);
		FZ_CHECK(w.code <= 999);
		FZ_CHECK(w.agent.len > 0);
		FZ_CHECK(is_quoted(w.text));
		fz_unquote(w.text);
		break;
	}
	case FZ_UINT: {
		uint32_t u = 0;
		rc = sipd_uint_parse(&u, v, &err);
		check_uint(rc, u, v);
		break;
	}
	case FZ_PARAMS:
		fz_walk_params(v);
		break;
	case FZ_TOKEN: {
		struct sipd_str t = {(const char *)1, 12345};
		rc = sipd_token_parse(&t, v, &err);
		if (rc)
			break;
		FZ_INSIDE(t, v.p, v.len);
		FZ_CHECK(t.len > 0 && fz_is_token(t));
		break;
	}
	case FZ_DISPOSITION: {
		struct sipd_disposition d;
		rc = sipd_disposition_parse(&d, v, &err);
		if (rc)
			break;
		FZ_INSIDE(d.type, v.p, v.len);
		FZ_INSIDE(d.handling, v.p, v.len);
		FZ_INSIDE(d.params, v.p, v.len);
		FZ_CHECK(d.type.len > 0 && fz_is_token(d.type));
		/* handling = "optional" / "required" / other-handling (a token) */
		FZ_INSIDE(d.handling, d.params.p, d.params.len);
		fz_walk_params(d.params);
		break;
	}
	case FZ_CALLID: {
		struct sipd_str id = {(const char *)1, 12345};
		rc = sipd_callid_parse(&id, v, &err);
		if (rc)
			break;
		FZ_INSIDE(id, v.p, v.len);
		FZ_CHECK(id.len > 0);
		for (size_t i = 0; i < id.len; i++)
			FZ_CHECK((unsigned char)id.p[i] > ' ' && id.p[i] != 0x7f);
		break;
	}
	case FZ_AUTH_PARAMS:
		fz_walk_auth_params(v);
		break;
	case FZ_HDR_NAME:
		check_hdr_name(v);
		break;
	case FZ_METHOD:
		check_method_name(v);
		break;
	default:
		break;
	}

	if (rc) {
		/* "Each returns 0, or SIPD_EPARSE" (ELIMIT tolerated for numbers too big). */
		FZ_CHECK(rc == SIPD_EPARSE || rc == SIPD_ELIMIT);
		fz_check_error(rc, &err, v.len);
	}
	return rc;
}
