/* sipd_msg_check(): the whole message against the grammar of every header the
 * library knows (RFC 3261 §25 and the extensions), and the rules of §8.1.1 and
 * §8.2 that make a request well-formed. */
#include "msg/msg_internal.h"

int sipd_auth_info_check(struct sipd_str v, struct sipd_parse_error *err);

/* Text headers: TEXT-UTF8 and LWS; no control characters but HTAB. */
static int check_text(struct sipd_str v, struct sipd_parse_error *err)
{
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return sipd_lex_fail(err, "control character in header value", v, v.p + i);
	}
	return 0;
}

/* token *(SEMI generic-param) */
static int check_token_params(struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str s = v;
	lex_skip_ws(&s);
	if (!lex_take(&s, LEX_TOKEN).len)
		return sipd_lex_fail(err, "expected a token", v, s.p);
	lex_skip_ws(&s);
	long bad = sipd_lex_check_params(s);
	return bad < 0 ? 0 : sipd_lex_fail(err, "malformed header parameter", v, s.p + bad);
}

/* LAQUOT absoluteURI RAQUOT *(SEMI generic-param): Alert-Info, Call-Info, Error-Info */
static int check_uri_params(struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_nameaddr na;
	if (sipd_nameaddr_parse(&na, v, true, err))
		return SIPD_EPARSE;
	if (na.display.p)
		return sipd_lex_fail(err, "display name not allowed here", v, na.display.p);
	return 0;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (§20.17) */
static int check_date(struct sipd_str v, struct sipd_parse_error *err)
{
	static const char wk[] = "MonTueWedThuFriSatSun";
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = v.p;
	/* "Fri, 01 Jan 2010 16:00:00 GMT" is 29 bytes */
	if (v.len != 29)
		return sipd_lex_fail(err, "malformed Date", v, p);
	bool ok = false;
	for (int i = 0; i < 7; i++)
		ok |= memcmp(p, wk + 3 * i, 3) == 0;
	for (int i = 0; i < 12 && ok; i++)
		if (memcmp(p + 8, mon + 3 * i, 3) == 0)
			goto month_ok;
	return sipd_lex_fail(err, "malformed Date", v, p);
month_ok:;
	static const char shape[] = "www, 99 mmm 9999 99:99:99 GMT";
	for (size_t i = 0; i < 29; i++) {
		char s = shape[i], c = p[i];
		bool bad = s == '9' ? (c < '0' || c > '9')
		                    : (s == ',' || s == ' ' || s == ':') && c != s;
		if (bad)
			return sipd_lex_fail(err, "malformed Date", v, p + i);
	}
	if (memcmp(p + 26, "GMT", 3) != 0)
		return sipd_lex_fail(err, "Date time zone is not GMT", v, p + 26);
	return 0;
}

/* server-val *(LWS server-val), server-val = product / comment */
static int check_server_val(struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str s = v, c;
	lex_skip_ws(&s);
	if (!s.len)
		return sipd_lex_fail(err, "empty product list", v, s.p);
	while (s.len) {
		if (s.p[0] == '(') {
			if (!sipd_lex_comment(&s, &c))
				return sipd_lex_fail(err, "unterminated comment", v, s.p);
		} else {
			if (!lex_take(&s, LEX_TOKEN).len)
				return sipd_lex_fail(err, "malformed product", v, s.p);
			if (lex_sep(&s, '/') && !lex_take(&s, LEX_TOKEN).len)
				return sipd_lex_fail(err, "malformed product version", v, s.p);
		}
		lex_skip_ws(&s);
	}
	return 0;
}

/* MIME-Version = "MIME-Version" HCOLON 1*DIGIT "." 1*DIGIT (§20.24) */
static int check_mime_version(struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str s = v;
	uint32_t n;
	if (!sipd_lex_u32(&s, &n) || !s.len || s.p[0] != '.')
		return sipd_lex_fail(err, "malformed MIME-Version", v, s.p);
	lex_advance(&s, 1);
	if (!sipd_lex_u32(&s, &n) || s.len)
		return sipd_lex_fail(err, "malformed MIME-Version", v, s.p);
	return 0;
}

/* Timestamp = 1*(DIGIT) [ "." *(DIGIT) ] [ LWS delay ] */
static int check_timestamp(struct sipd_str v, struct sipd_parse_error *err)
{
	struct sipd_str s = v;
	for (int part = 0; part < 2; part++) {
		lex_skip_ws(&s);
		if (!s.len && part == 1)
			return 0;
		size_t d = 0, dots = 0;
		while (d < s.len && ((s.p[d] >= '0' && s.p[d] <= '9') || s.p[d] == '.'))
			dots += s.p[d++] == '.';
		if (!d || dots > 1 || s.p[0] == '.')
			return sipd_lex_fail(err, "malformed Timestamp", v, s.p);
		lex_advance(&s, d);
	}
	lex_skip_ws(&s);
	return s.len ? sipd_lex_fail(err, "malformed Timestamp", v, s.p) : 0;
}

static int check_value(uint8_t kind, struct sipd_str v, struct sipd_parse_error *err)
{
	union {
		struct sipd_via via;
		struct sipd_nameaddr na;
		struct sipd_cseq cseq;
		struct sipd_rack rack;
		struct sipd_media media;
		struct sipd_disposition disp;
		struct sipd_event event;
		struct sipd_substate sub;
		struct sipd_session_expires se;
		struct sipd_retry_after ra;
		struct sipd_replaces rep;
		struct sipd_reason reason;
		struct sipd_auth auth;
		struct sipd_warning warn;
		struct sipd_str str;
		uint32_t u;
	} out;
	switch ((enum sipd_hdr_kind)kind) {
	case HK_TEXT: return check_text(v, err);
	case HK_TOKEN: return sipd_token_parse(&out.str, v, err);
	case HK_TOKEN_PARAMS: return check_token_params(v, err);
	case HK_URI_PARAMS: return check_uri_params(v, err);
	case HK_MEDIA:
	case HK_MEDIA_RANGE: return sipd_media_parse(&out.media, v, err);
	case HK_EVENT:
	case HK_EVENT_TYPE: return sipd_event_parse(&out.event, v, err);
	case HK_AUTH: return sipd_auth_parse(&out.auth, v, err);
	case HK_AUTH_INFO: return sipd_auth_info_check(v, err);
	case HK_CALL_ID: return sipd_callid_parse(&out.str, v, err);
	case HK_CONTACT:
	case HK_NAMEADDR:
	case HK_NAMEADDR_STRICT:
		if (sipd_nameaddr_parse(&out.na, v, kind == HK_NAMEADDR_STRICT, err))
			return SIPD_EPARSE;
		if (out.na.star && kind != HK_CONTACT)
			return sipd_lex_fail(err, "'*' is only allowed in Contact", v, v.p);
		/* §20.10: q is a qvalue. A malformed or overlarge expires is not
		 * an error: §10.2.1.1 says to treat it as 3600 (or clamp it), which
		 * sipd_contact_expires() does. */
		if (kind == HK_CONTACT && !out.na.star) {
			struct sipd_str x;
			if (sipd_param_find(out.na.params, "q", &x) == 0 &&
			    sipd_contact_q(&out.na) < 0)
				return sipd_lex_fail(err, "Contact q is not a qvalue", v,
				                     x.p ? x.p : v.p);
		}
		return 0;
	case HK_DISPOSITION: return sipd_disposition_parse(&out.disp, v, err);
	case HK_UINT: return sipd_uint_parse(&out.u, v, err);
	case HK_CSEQ: return sipd_cseq_parse(&out.cseq, v, err);
	case HK_DATE: return check_date(v, err);
	case HK_RACK: return sipd_rack_parse(&out.rack, v, err);
	case HK_REASON: return sipd_reason_parse(&out.reason, v, err);
	case HK_REPLACES: return sipd_replaces_parse(&out.rep, v, err);
	case HK_RETRY_AFTER: return sipd_retry_after_parse(&out.ra, v, err);
	case HK_SERVER_VAL: return check_server_val(v, err);
	case HK_SESSION_EXPIRES: return sipd_session_expires_parse(&out.se, v, err);
	case HK_SUBSTATE: return sipd_substate_parse(&out.sub, v, err);
	case HK_TIMESTAMP: return check_timestamp(v, err);
	case HK_VIA: return sipd_via_parse(&out.via, v, err);
	case HK_WARNING: return sipd_warning_parse(&out.warn, v, err);
	case HK_MIME_VERSION: return check_mime_version(v, err);
	}
	return 0;
}

/* Headers that take one value (§7.3.1: only list headers may repeat). */
static bool single_valued(enum sipd_hdr_id id)
{
	return id != SIPD_HDR_OTHER && !sipd_hdr_is_list(id) && id != SIPD_HDR_WWW_AUTHENTICATE &&
	       id != SIPD_HDR_PROXY_AUTHENTICATE && id != SIPD_HDR_AUTHORIZATION &&
	       id != SIPD_HDR_PROXY_AUTHORIZATION;
}

/* Inside a value, CR and LF may only appear as the line break of a fold:
 * LWS = [*WSP CRLF] 1*WSP (§25.1). The parser ends lines at LF (a bare LF is
 * tolerated as a line end), so an LF in a value always starts a fold; a CR
 * must be followed by that LF. Returns the bare CR, or NULL. */
static const char *bare_cr(struct sipd_str v)
{
	const char *p = v.p, *end = v.p + v.len;
	while (p < end && (p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (p + 1 >= end || p[1] != '\n')
			return p;
		p += 2;
	}
	return NULL;
}

/* Walks a list header's values with the parsers that stop at the ',' after
 * a value (Via, Route-like, tokens). Counts them in *n. */
static int check_list(const struct sipd_msg *msg, uint8_t kind, struct sipd_str rest, unsigned *n,
                      struct sipd_parse_error *err)
{
	for (;;) {
		lex_skip_ws(&rest);
		if (!rest.len)
			return 0;
		if (rest.p[0] == ',')
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     "empty element in a list header", rest.p);
		const char *at = rest.p;
		int rc = kind == HK_VIA     ? sipd_msg__via_take(NULL, &rest, err)
		         : kind == HK_TOKEN ? sipd_msg__token_take(&rest, err)
		                            : sipd_msg__nameaddr_take(&rest, true, err);
		if (rc)
			return sipd_msg_locate(msg, err, at);
		(*n)++;
		lex_skip_ws(&rest);
		if (!rest.len)
			return 0;
		/* the take functions stop only at the end or at a ',' */
		lex_advance(&rest, 1);
		lex_skip_ws(&rest);
		if (!rest.len)
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     "empty element in a list header", rest.p);
	}
}

int sipd_msg_check(const struct sipd_msg *msg, struct sipd_parse_error *err)
{
	for (uint16_t i = 0; i < msg->nhdrs; i++) {
		const struct sipd_hdr *h = &msg->hdrs[i];
		const struct sipd_hdr_info *info = &sipd_hdr_info[h->id];
		if (h->id != SIPD_HDR_OTHER && msg->first[h->id] != i && single_valued(h->id))
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     "header that allows one value appears twice",
			                     h->name.p);
		const char *cr = bare_cr(h->value);
		if (cr)
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     "CR without LF in header value", cr);
		if (h->id == SIPD_HDR_OTHER) {
			if (check_text(h->value, err))
				return sipd_msg_locate(msg, err, h->value.p);
			continue;
		}
		/* sipd_msg_parse() already parsed these, the first of each */
		bool eager = msg->first[h->id] == i &&
		             (h->id == SIPD_HDR_FROM || h->id == SIPD_HDR_TO || h->id == SIPD_HDR_CALL_ID ||
		              h->id == SIPD_HDR_CSEQ || h->id == SIPD_HDR_MAX_FORWARDS ||
		              h->id == SIPD_HDR_CONTENT_LENGTH);
		if (!info->list) {
			if (!eager && check_value(info->kind, h->value, err))
				return sipd_msg_locate(msg, err, h->value.p);
			continue;
		}
		struct sipd_str rest = h->value, elem;
		unsigned n = 0;
		if (h->id == SIPD_HDR_VIA && msg->first[SIPD_HDR_VIA] == i) {
			/* the top Via value too (it was not empty, or parse failed) */
			sipd_lex_list_next(&rest, &elem);
			n = 1;
		}
		if (info->kind == HK_VIA || info->kind == HK_NAMEADDR_STRICT || info->kind == HK_TOKEN) {
			/* the common list headers: each value parsed where it
			 * stands, no separate split */
			int rc = check_list(msg, info->kind, rest, &n, err);
			if (rc)
				return rc;
			if (!n && !info->empty_ok)
				return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
				                     "empty header value", h->value.p);
			continue;
		}
		while (sipd_lex_list_next(&rest, &elem)) {
			if (!elem.len)
				return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
				                     "empty element in a list header", elem.p);
			if (check_value(info->kind, elem, err))
				return sipd_msg_locate(msg, err, elem.p);
			/* Contact: STAR / (contact-param *(COMMA contact-param)) (§20.10):
			 * "*" stands alone, in the only Contact header of the message. */
			if (h->id == SIPD_HDR_CONTACT && elem.len == 1 && elem.p[0] == '*' &&
			    (n > 0 || rest.len || msg->first[SIPD_HDR_CONTACT] != i ||
			     h->next != SIPD_HDR_NONE))
				return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
				                     "Contact '*' combined with other contacts",
				                     elem.p);
			n++;
		}
		if (!n && !info->empty_ok)
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE, 400,
			                     "empty header value", h->value.p);
	}

	if (msg->is_request) {
		/* §8.2.6 (and RFC 4475 §3.1.2.17-18): the CSeq method is the
		 * request's method. An unknown method earns 501 rather than 400. */
		if (msg->cseq.method_name.len != msg->method_name.len ||
		    memcmp(msg->cseq.method_name.p, msg->method_name.p, msg->method_name.len) != 0)
			return sipd_msg_fail(msg->buf, msg->len, err, SIPD_EPARSE,
			                     msg->method == SIPD_METHOD_OTHER ? 501 : 400,
			                     "CSeq method does not match the request method",
			                     msg->cseq.method_name.p);
	}
	return 0;
}
