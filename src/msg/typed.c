/* Typed header values (RFC 3261 §20, §25.1 and the extension RFCs named at
 * each parser). Each parses one value, already split from its list. */
#include "msg/msg_internal.h"

#define FAIL(what, at) sipd_lex_fail(err, what, base, at)

/* Checks that nothing but LWS is left; if something is, *s points at it. */
static bool at_end(struct sipd_str *s)
{
	lex_skip_ws(s);
	return s->len == 0;
}

/* The header parameters that start at s (";..."): validated, then kept. */
static int take_params(struct sipd_str *s, struct sipd_str *params, struct sipd_str base,
                       struct sipd_parse_error *err)
{
	lex_skip_ws(s);
	long bad = sipd_lex_check_params(*s);
	if (bad >= 0)
		return FAIL("malformed header parameter", s->p + bad);
	*params = *s;
	lex_advance(s, s->len);
	return 0;
}

/* Moves an error of a nested parser (relative to inner) to be relative to base. */
static int rebase(struct sipd_parse_error *err, struct sipd_str base, const char *inner)
{
	if (err)
		err->offset += (size_t)(inner - base.p);
	return SIPD_EPARSE;
}

int sipd_token_parse(struct sipd_str *out, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	lex_skip_ws(&v);
	*out = lex_take(&v, LEX_TOKEN);
	if (!out->len)
		return FAIL("expected a token", v.p);
	if (!at_end(&v))
		return FAIL("unexpected text after a token", v.p);
	return 0;
}

/* In a list header, a value ends at the top-level ',' after it. */
static bool at_list_end(struct sipd_str v)
{
	lex_skip_ws(&v);
	return !v.len || v.p[0] == ',';
}

/* After the parameters of a list value, where sipd_lex_param() refused to
 * go on: the value ends there only if what follows is the ','. The caller
 * also checks that sipd_lex_param() took nothing: a ';' it took, as in
 * "<sip:a>;" or "<sip:a>;, <sip:b>", is an empty parameter, an error. */
static bool at_comma(struct sipd_str v)
{
	lex_skip_ws(&v);
	return v.len && v.p[0] == ',';
}

int sipd_msg__token_take(struct sipd_str *v, struct sipd_parse_error *err)
{
	struct sipd_str base = *v;
	lex_skip_ws(v);
	if (!lex_take(v, LEX_TOKEN).len)
		return FAIL("expected a token", v->p);
	lex_skip_ws(v);
	if (v->len && v->p[0] != ',')
		return FAIL("unexpected text after a token", v->p);
	return 0;
}

int sipd_uint_parse(uint32_t *out, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	lex_skip_ws(&v);
	if (!v.len || !(v.p[0] >= '0' && v.p[0] <= '9'))
		return FAIL("expected a number", v.p);
	if (!sipd_lex_u32(&v, out))
		return FAIL("number too large", v.p);
	if (!at_end(&v))
		return FAIL("unexpected text after a number", v.p);
	return 0;
}

/* sent-protocol = protocol-name SLASH protocol-version SLASH transport, where
 * SLASH = SWS "/" SWS; then LWS sent-by = host [ COLON port ]; then via-params. */
static int via_take(struct sipd_via *via, struct sipd_str *vp, bool list,
                    struct sipd_parse_error *err)
{
	struct sipd_str v = *vp, base = v;
	memset(via, 0, sizeof *via);
	via->ttl = -1;
	lex_skip_ws(&v);
	const char *pstart = v.p;
	struct sipd_str name = lex_take(&v, LEX_TOKEN);
	if (!name.len || !lex_sep(&v, '/'))
		return FAIL("malformed Via protocol", v.p);
	struct sipd_str version = lex_take(&v, LEX_TOKEN);
	if (!version.len)
		return FAIL("malformed Via protocol", v.p);
	via->protocol = (struct sipd_str){pstart, (size_t)(version.p + version.len - pstart)};
	if (!lex_sep(&v, '/'))
		return FAIL("malformed Via protocol", v.p);
	via->transport = lex_take(&v, LEX_TOKEN);
	if (!via->transport.len)
		return FAIL("missing Via transport", v.p);
	if (!v.len || !lex_is((unsigned char)v.p[0], LEX_WS))
		return FAIL("expected LWS before the Via sent-by", v.p);
	lex_skip_ws(&v);

	if (!sipd_lex_take_host(&v, &via->host, &via->host_type))
		return FAIL("invalid host in Via", v.p);
	if (lex_sep(&v, ':')) {
		uint32_t port;
		const char *pp = v.p;
		if (!sipd_lex_u32(&v, &port) || port == 0 || port > 65535)
			return FAIL("invalid port in Via", pp);
		via->port = (uint16_t)port;
	}
	/* One pass over the parameters: each validated, the known ones kept. */
	const char *params = v.p;
	struct sipd_str n, val;
	int r;
	const char *at;
	while (at = v.p, (r = sipd_lex_param(&v, &n, &val)) > 0) {
		switch (lex_lower(n.p[0])) {
		case 'b':
			if (LEX_IEQ(n, "branch")) {
				if (!val.len)
					return FAIL("empty Via branch", n.p);
				via->branch = val;
			}
			break;
		case 'r':
			if (LEX_IEQ(n, "received")) {
				/* IPv4address / IPv6address; the bracketed form is
				 * also accepted (RFC 5118 §4.5). */
				struct sipd_str a = val;
				if (a.len > 2 && a.p[0] == '[' && a.p[a.len - 1] == ']')
					a = (struct sipd_str){a.p + 1, a.len - 2};
				if (!a.len || (!sipd_lex_ipv4(a.p, a.len) && !sipd_lex_ipv6(a.p, a.len)))
					return FAIL("Via received is not an IP address",
					            val.p ? val.p : n.p);
				via->received = val;
			} else if (LEX_IEQ(n, "rport")) {
				/* RFC 3581 §3: response-port = "rport" [EQUAL 1*DIGIT] */
				via->rport = true;
				if (val.p) {
					uint32_t port;
					struct sipd_str t = val;
					if (!sipd_lex_u32(&t, &port) || t.len || port > 65535)
						return FAIL("Via rport is not a port", val.p);
					via->rport_value = (uint16_t)port;
				}
			}
			break;
		case 'm':
			if (LEX_IEQ(n, "maddr")) {
				uint8_t t;
				if (!sipd_lex_host(val, &t))
					return FAIL("Via maddr is not a host", val.p ? val.p : n.p);
				via->maddr = val;
			}
			break;
		case 't':
			if (LEX_IEQ(n, "ttl")) {
				uint32_t ttl;
				struct sipd_str t = val;
				if (!sipd_lex_u32(&t, &ttl) || t.len || ttl > 255)
					return FAIL("Via ttl is not 0-255", val.p ? val.p : n.p);
				via->ttl = (int16_t)ttl;
			}
			break;
		}
	}
	if (r < 0 && !(list && v.p == at && at_comma(v)))
		return FAIL("malformed header parameter", v.p);
	via->params = (struct sipd_str){params, (size_t)(v.p - params)};
	lex_skip_ws(&via->params);
	*vp = v;
	return 0;
}

int sipd_via_parse(struct sipd_via *via, struct sipd_str v, struct sipd_parse_error *err)
{
	return via_take(via, &v, false, err);
}

int sipd_msg__via_take(struct sipd_via *out, struct sipd_str *v, struct sipd_parse_error *err)
{
	struct sipd_via via;
	return via_take(out ? out : &via, v, true, err);
}

/* display-name = *(token LWS) / quoted-string */
static int nameaddr_take(struct sipd_nameaddr *na, struct sipd_str *vp, bool strict, bool list,
                         struct sipd_parse_error *err)
{
	struct sipd_str v = *vp, base = v;
	memset(na, 0, sizeof *na);
	lex_skip_ws(&v);
	if (!list)
		lex_trim_right(&v);
	/* STAR is Contact's alone (§20.10); a strict name-addr (Route,
	 * Record-Route, Path, and the <absoluteURI> of the *-Info headers)
	 * never is one. */
	if (!strict && v.len && v.p[0] == '*' &&
	    at_list_end((struct sipd_str){v.p + 1, v.len - 1})) {
		na->star = true;
		lex_advance(&v, 1);
		*vp = v;
		return 0;
	}
	if (!v.len)
		return FAIL("empty address", v.p);

	bool angle = false;
	if (v.p[0] == '"') {
		struct sipd_str q;
		if (!sipd_lex_quoted(&v, &q))
			return FAIL("unterminated quoted display name", v.p);
		na->display = (struct sipd_str){q.p + 1, q.len - 2};
		lex_skip_ws(&v);
		if (!v.len || v.p[0] != '<')
			return FAIL("expected '<' after the display name", v.p);
		angle = true;
	} else if (v.p[0] == '<') {
		angle = true;
	} else {
		/* Tokens then '<' make a display name; a token followed by ':' is
		 * the scheme of an addr-spec. */
		struct sipd_str t = v;
		struct sipd_str first = lex_take(&t, LEX_TOKEN);
		if (!first.len)
			return FAIL("invalid character in address", t.p);
		if (!(t.len && t.p[0] == ':')) {
			const char *dstart = v.p, *dend = first.p + first.len;
			for (;;) {
				lex_skip_ws(&t);
				if (t.len && t.p[0] == '<')
					break;
				struct sipd_str tok = lex_take(&t, LEX_TOKEN);
				if (!tok.len)
					return FAIL("invalid character in display name", t.p);
				dend = tok.p + tok.len;
			}
			na->display = (struct sipd_str){dstart, (size_t)(dend - dstart)};
			v = t;
			angle = true;
		}
	}

	if (angle) {
		lex_advance(&v, 1); /* '<' */
		const char *gt = memchr(v.p, '>', v.len);
		if (!gt)
			return FAIL("missing '>'", v.p + v.len);
		size_t n = (size_t)(gt - v.p);
		/* LAQUOT = SWS "<" and RAQUOT = ">" SWS: no LWS inside (RFC 4475
		 * §3.1.2.14 badaspec). */
		if (n && lex_is((unsigned char)v.p[0], LEX_WS))
			return FAIL("LWS inside <> before the URI", v.p);
		if (n && lex_is((unsigned char)gt[-1], LEX_WS))
			return FAIL("LWS inside <> after the URI", gt - 1);
		if (sipd_uri_parse(&na->uri, v.p, n, err))
			return rebase(err, base, v.p);
		lex_advance(&v, n + 1);
		na->angle = true;
	} else {
		if (strict)
			return FAIL("address must be enclosed in <>", v.p);
		/* addr-spec: its ';' and '?' would be ambiguous, so the URI ends at
		 * the first ';' or LWS and may not carry headers (§20). */
		size_t n = 0;
		while (n < v.len && v.p[n] != ';' && !lex_is((unsigned char)v.p[n], LEX_WS) &&
		       !(list && v.p[n] == ','))
			n++;
		if (memchr(v.p, '?', n) || memchr(v.p, ',', n))
			return FAIL("URI with '?' or ',' must be enclosed in <>", v.p);
		if (sipd_uri_parse(&na->uri, v.p, n, err))
			return rebase(err, base, v.p);
		lex_advance(&v, n);
	}
	const char *pstart = v.p;
	struct sipd_str n, val;
	int r;
	bool have_tag = false;
	const char *at;
	while (at = v.p, (r = sipd_lex_param(&v, &n, &val)) > 0) {
		if (!have_tag && LEX_IEQ(n, "tag")) {
			struct sipd_str t = val;
			if (!val.len || lex_take(&t, LEX_TOKEN).len != val.len)
				return FAIL("tag is not a token", val.p ? val.p : n.p);
			na->tag = val;
			have_tag = true;
		}
	}
	if (r < 0 && !(list && v.p == at && at_comma(v)))
		return FAIL("malformed header parameter", v.p);
	na->params = (struct sipd_str){pstart, (size_t)(v.p - pstart)};
	lex_skip_ws(&na->params);
	*vp = v;
	return 0;
}

int sipd_nameaddr_parse(struct sipd_nameaddr *na, struct sipd_str v, bool strict,
                        struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	int rc = nameaddr_take(na, &v, strict, false, err);
	if (rc == 0 && !at_end(&v))
		return FAIL("unexpected text after the address", v.p);
	return rc;
}

int sipd_msg__nameaddr_take(struct sipd_str *v, bool strict, struct sipd_parse_error *err)
{
	struct sipd_nameaddr na;
	return nameaddr_take(&na, v, strict, true, err);
}

/* §10.2.1.1: values above 2**32-1 MAY be taken as 2**32-1, and malformed
 * values SHOULD be taken as 3600. */
int64_t sipd_contact_expires(const struct sipd_nameaddr *c)
{
	struct sipd_str v;
	if (sipd_param_find(c->params, "expires", &v))
		return -1;
	if (!v.len)
		return 3600;
	uint64_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return 3600;
		if (n <= UINT32_MAX)
			n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	return n > UINT32_MAX ? (int64_t)UINT32_MAX : (int64_t)n;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths */
int sipd_contact_q(const struct sipd_nameaddr *c)
{
	struct sipd_str v;
	if (sipd_param_find(c->params, "q", &v) || !v.len || (v.p[0] != '0' && v.p[0] != '1'))
		return -1;
	int q = (v.p[0] - '0') * 1000;
	if (v.len == 1)
		return q;
	if (v.p[1] != '.' || v.len > 5)
		return -1;
	int scale = 100;
	for (size_t i = 2; i < v.len; i++, scale /= 10) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		q += (v.p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* CSeq = 1*DIGIT LWS Method */
int sipd_cseq_parse(struct sipd_cseq *cs, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	lex_skip_ws(&v);
	if (!v.len || !(v.p[0] >= '0' && v.p[0] <= '9'))
		return FAIL("CSeq without a number", v.p);
	if (!sipd_lex_u32(&v, &cs->seq))
		return FAIL("CSeq number too large", v.p);
	if (!v.len || !lex_is((unsigned char)v.p[0], LEX_WS))
		return FAIL("expected LWS after the CSeq number", v.p);
	lex_skip_ws(&v);
	cs->method_name = lex_take(&v, LEX_TOKEN);
	if (!cs->method_name.len)
		return FAIL("CSeq without a method", v.p);
	if (!at_end(&v))
		return FAIL("unexpected text after the CSeq method", v.p);
	cs->method = (uint8_t)sipd_method_lookup(cs->method_name.p, cs->method_name.len);
	return 0;
}

/* RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2) */
int sipd_rack_parse(struct sipd_rack *r, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	lex_skip_ws(&v);
	if (!sipd_lex_u32(&v, &r->rseq) || !v.len || !lex_is((unsigned char)v.p[0], LEX_WS))
		return FAIL("malformed RAck response number", v.p);
	lex_skip_ws(&v);
	struct sipd_cseq cs;
	if (sipd_cseq_parse(&cs, v, err))
		return rebase(err, base, v.p);
	r->cseq = cs.seq;
	r->method = cs.method;
	r->method_name = cs.method_name;
	return 0;
}

/* callid = word [ "@" word ] */
int sipd_callid_parse(struct sipd_str *out, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	lex_skip_ws(&v);
	const char *start = v.p;
	if (!lex_take(&v, LEX_WORD).len)
		return FAIL("empty Call-ID", v.p);
	if (v.len && v.p[0] == '@') {
		lex_advance(&v, 1);
		if (!lex_take(&v, LEX_WORD).len)
			return FAIL("empty word after '@' in Call-ID", v.p);
	}
	*out = (struct sipd_str){start, (size_t)(v.p - start)};
	if (!at_end(&v))
		return FAIL("invalid character in Call-ID", v.p);
	return 0;
}

/* m-type SLASH m-subtype *(SEMI m-parameter); '*' is a token character, which
 * covers the media-range of Accept. */
int sipd_media_parse(struct sipd_media *m, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(m, 0, sizeof *m);
	lex_skip_ws(&v);
	m->type = lex_take(&v, LEX_TOKEN);
	if (!m->type.len || !lex_sep(&v, '/'))
		return FAIL("malformed media type", v.p);
	m->subtype = lex_take(&v, LEX_TOKEN);
	if (!m->subtype.len)
		return FAIL("missing media subtype", v.p);
	return take_params(&v, &m->params, base, err);
}

int sipd_disposition_parse(struct sipd_disposition *d, struct sipd_str v,
                           struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(d, 0, sizeof *d);
	lex_skip_ws(&v);
	d->type = lex_take(&v, LEX_TOKEN);
	if (!d->type.len)
		return FAIL("missing disposition type", v.p);
	int rc = take_params(&v, &d->params, base, err);
	if (rc == 0 && sipd_param_find(d->params, "handling", &d->handling))
		d->handling = SIPD_STR_NULL;
	return rc;
}

/* Event = event-type *( SEMI event-param ) (RFC 6665 §8.4) */
int sipd_event_parse(struct sipd_event *e, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(e, 0, sizeof *e);
	lex_skip_ws(&v);
	e->package = lex_take(&v, LEX_TOKEN);
	if (!e->package.len)
		return FAIL("missing event type", v.p);
	int rc = take_params(&v, &e->params, base, err);
	if (rc == 0 && sipd_param_find(e->params, "id", &e->id))
		e->id = SIPD_STR_NULL;
	return rc;
}

/* Reads an optional integer parameter; -1 when absent. */
static int param_int(struct sipd_str params, const char *name, int64_t *out, struct sipd_str base,
                     struct sipd_parse_error *err)
{
	struct sipd_str v;
	uint32_t n;
	*out = -1;
	if (sipd_param_find(params, name, &v))
		return 0;
	struct sipd_str t = v;
	if (!t.p || !sipd_lex_u32(&t, &n) || t.len)
		return FAIL("parameter is not a number", v.p ? v.p : params.p);
	*out = n;
	return 0;
}

/* Subscription-State = substate-value *( SEMI subexp-params ) (RFC 6665 §8.4) */
int sipd_substate_parse(struct sipd_substate *s, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(s, 0, sizeof *s);
	lex_skip_ws(&v);
	s->state = lex_take(&v, LEX_TOKEN);
	if (!s->state.len)
		return FAIL("missing subscription state", v.p);
	int rc = take_params(&v, &s->params, base, err);
	if (rc)
		return rc;
	if (sipd_param_find(s->params, "reason", &s->reason))
		s->reason = SIPD_STR_NULL;
	rc = param_int(s->params, "expires", &s->expires, base, err);
	if (rc == 0)
		rc = param_int(s->params, "retry-after", &s->retry_after, base, err);
	return rc;
}

/* Session-Expires = delta-seconds *(SEMI se-params) (RFC 4028 §4); Min-SE the same. */
int sipd_session_expires_parse(struct sipd_session_expires *se, struct sipd_str v,
                               struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(se, 0, sizeof *se);
	lex_skip_ws(&v);
	if (!sipd_lex_u32(&v, &se->delta))
		return FAIL("expected delta-seconds", v.p);
	int rc = take_params(&v, &se->params, base, err);
	if (rc)
		return rc;
	if (sipd_param_find(se->params, "refresher", &se->refresher) == 0 &&
	    !sipd_str_ieq(se->refresher, "uac") && !sipd_str_ieq(se->refresher, "uas"))
		return FAIL("refresher is neither uac nor uas",
		            se->refresher.p ? se->refresher.p : v.p);
	if (!se->refresher.len)
		se->refresher = SIPD_STR_NULL;
	return 0;
}

/* Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) */
int sipd_retry_after_parse(struct sipd_retry_after *r, struct sipd_str v,
                           struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(r, 0, sizeof *r);
	lex_skip_ws(&v);
	if (!v.len || !(v.p[0] >= '0' && v.p[0] <= '9'))
		return FAIL("expected delta-seconds", v.p);
	if (!sipd_lex_u32(&v, &r->delta))
		return FAIL("Retry-After too large", v.p);
	lex_skip_ws(&v);
	if (v.len && v.p[0] == '(') {
		struct sipd_str c;
		if (!sipd_lex_comment(&v, &c))
			return FAIL("unterminated comment", v.p);
		r->comment = (struct sipd_str){c.p + 1, c.len - 2};
	}
	int rc = take_params(&v, &r->params, base, err);
	if (rc == 0)
		rc = param_int(r->params, "duration", &r->duration, base, err);
	return rc;
}

/* Replaces = callid *(SEMI replaces-param) (RFC 3891 §6.1) */
int sipd_replaces_parse(struct sipd_replaces *r, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(r, 0, sizeof *r);
	lex_skip_ws(&v);
	size_t n = 0;
	while (n < v.len && v.p[n] != ';' && !lex_is((unsigned char)v.p[n], LEX_WS))
		n++;
	if (sipd_callid_parse(&r->call_id, (struct sipd_str){v.p, n}, err))
		return rebase(err, base, v.p);
	lex_advance(&v, n);
	int rc = take_params(&v, &r->params, base, err);
	if (rc)
		return rc;
	struct sipd_str x;
	if (sipd_param_find(r->params, "to-tag", &r->to_tag) || !r->to_tag.len ||
	    sipd_param_find(r->params, "from-tag", &r->from_tag) || !r->from_tag.len)
		return FAIL("Replaces without to-tag and from-tag", v.p);
	r->early_only = sipd_param_find(r->params, "early-only", &x) == 0;
	return 0;
}

/* Reason = protocol *(SEMI reason-params) (RFC 3326 §2) */
int sipd_reason_parse(struct sipd_reason *r, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(r, 0, sizeof *r);
	lex_skip_ws(&v);
	r->protocol = lex_take(&v, LEX_TOKEN);
	if (!r->protocol.len)
		return FAIL("missing Reason protocol", v.p);
	int rc = take_params(&v, &r->params, base, err);
	if (rc)
		return rc;
	int64_t cause;
	rc = param_int(r->params, "cause", &cause, base, err);
	r->cause = cause > INT32_MAX ? -1 : (int32_t)cause;
	if (sipd_param_find(r->params, "text", &r->text))
		r->text = SIPD_STR_NULL;
	return rc;
}

/* auth-param = auth-param-name EQUAL ( token / quoted-string ), comma-separated */
static int check_auth_params(struct sipd_str v, struct sipd_str base, struct sipd_parse_error *err)
{
	bool first = true;
	for (;;) {
		lex_skip_ws(&v);
		if (!v.len)
			return first ? FAIL("missing auth parameters", v.p) : 0;
		if (!first && !lex_sep(&v, ','))
			return FAIL("expected ',' between auth parameters", v.p);
		first = false;
		if (!lex_take(&v, LEX_TOKEN).len)
			return FAIL("malformed auth parameter", v.p);
		if (!lex_sep(&v, '='))
			return FAIL("auth parameter without '='", v.p);
		struct sipd_str q;
		if (v.len && v.p[0] == '"') {
			if (!sipd_lex_quoted(&v, &q))
				return FAIL("unterminated quoted string", v.p);
		} else if (!lex_take(&v, LEX_TOKEN).len) {
			return FAIL("malformed auth parameter value", v.p);
		}
	}
}

/* challenge / credentials = auth-scheme LWS auth-param *(COMMA auth-param) */
int sipd_auth_parse(struct sipd_auth *a, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	lex_skip_ws(&v);
	a->scheme = lex_take(&v, LEX_TOKEN);
	if (!a->scheme.len)
		return FAIL("missing auth scheme", v.p);
	if (!v.len || !lex_is((unsigned char)v.p[0], LEX_WS))
		return FAIL("expected LWS after the auth scheme", v.p);
	lex_skip_ws(&v);
	a->params = v;
	return check_auth_params(v, base, err);
}

/* Authentication-Info = ainfo *(COMMA ainfo): the auth-param form */
int sipd_auth_info_check(struct sipd_str v, struct sipd_parse_error *err);
int sipd_auth_info_check(struct sipd_str v, struct sipd_parse_error *err)
{
	return check_auth_params(v, v, err);
}

/* warning-value = warn-code SP warn-agent SP warn-text (§20.43) */
int sipd_warning_parse(struct sipd_warning *w, struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str base = v;
	memset(w, 0, sizeof *w);
	lex_skip_ws(&v);
	if (v.len < 4 || !(v.p[0] >= '0' && v.p[0] <= '9') || !(v.p[1] >= '0' && v.p[1] <= '9') ||
	    !(v.p[2] >= '0' && v.p[2] <= '9') || v.p[3] != ' ')
		return FAIL("warn-code is not three digits", v.p);
	w->code = (uint16_t)((v.p[0] - '0') * 100 + (v.p[1] - '0') * 10 + (v.p[2] - '0'));
	lex_advance(&v, 4);
	size_t n = 0;
	while (n < v.len && v.p[n] != ' ')
		n++;
	w->agent = (struct sipd_str){v.p, n};
	/* warn-agent = hostport / pseudonym; hostport = host [ ":" port ] */
	uint8_t t;
	struct sipd_str agent = w->agent, host = agent;
	const char *colon = NULL;
	if (n && agent.p[0] == '[') {
		const char *rb = memchr(agent.p, ']', n);
		if (rb && rb + 1 < agent.p + n)
			colon = rb + 1;
	} else {
		colon = memchr(agent.p, ':', n);
	}
	bool ok = false;
	if (colon) {
		host.len = (size_t)(colon - agent.p);
		struct sipd_str port = {colon + 1, n - host.len - 1};
		uint32_t pn;
		ok = *colon == ':' && sipd_lex_host(host, &t) && sipd_lex_u32(&port, &pn) &&
		     !port.len && pn > 0 && pn <= 65535;
	} else {
		ok = n && (sipd_lex_host(host, &t) || lex_take(&agent, LEX_TOKEN).len == n);
	}
	if (!ok)
		return FAIL("malformed warn-agent", v.p);
	lex_advance(&v, n);
	if (!v.len || v.p[0] != ' ')
		return FAIL("missing warn-text", v.p);
	lex_advance(&v, 1);
	if (!sipd_lex_quoted(&v, &w->text))
		return FAIL("warn-text is not a quoted string", v.p);
	if (!at_end(&v))
		return FAIL("unexpected text after warn-text", v.p);
	return 0;
}
