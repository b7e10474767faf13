/* sipdialog parse [--json] [FILE|-]: reads one message, checks it against the
 * grammar, and prints its structure; or prints where and why it is invalid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/msg.h>

#include "commands.h"
#include "emit.h"

#define MAX_INPUT (1u << 20)
#define MAX_HEADERS 256

static void parse_usage(FILE *f)
{
	fputs("usage: sipdialog parse [--json] [FILE|-]\n"
	      "\n"
	      "Reads one SIP message from FILE (or standard input) and checks it against\n"
	      "RFC 3261. Valid: prints its structure and exits 0. Invalid: prints\n"
	      "'error: <what> at line L, column C' and exits 1.\n"
	      "\n"
	      "  --json     print the structure as one JSON object\n"
	      "  --stream   frame as a stream (TCP): Content-Length is required\n",
	      f);
}

static char *read_all(FILE *in, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_INPUT) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, in);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(in)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void emit_uri(struct emit *e, const char *key, const struct sipd_uri *u)
{
	emit_open(e, key);
	emit_str(e, "raw", u->raw);
	emit_str(e, "scheme", u->scheme);
	if (u->kind == SIPD_URI_OTHER) {
		emit_str(e, "opaque", u->opaque);
	} else {
		emit_str(e, "user", u->user);
		emit_str(e, "password", u->password);
		emit_str(e, "host", u->host);
		if (u->port)
			emit_int(e, "port", u->port);
		emit_str(e, "params", u->params);
		emit_str(e, "headers", u->headers);
	}
	emit_close(e);
}

static void emit_params(struct emit *e, struct sipd_str params)
{
	struct sipd_str cur = params, n, v;
	bool any = false;
	while (sipd_param_next(&cur, &n, &v)) {
		if (!any) {
			emit_open(e, "params");
			any = true;
		}
		char key[64];
		size_t k = n.len < sizeof key - 1 ? n.len : sizeof key - 1;
		memcpy(key, n.p, k);
		key[k] = 0;
		if (v.p)
			emit_str(e, key, v);
		else
			emit_bool(e, key, true);
	}
	if (any)
		emit_close(e);
}

/* One value of a known header, typed. Returns false if it does not parse
 * (which sipd_msg_check() has already ruled out). */
static void emit_typed(struct emit *e, enum sipd_hdr_id id, struct sipd_str v)
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
	} x;
	emit_open(e, NULL);
	emit_str(e, "value", v);
	switch (id) {
	case SIPD_HDR_VIA:
		if (sipd_via_parse(&x.via, v, NULL))
			break;
		emit_str(e, "protocol", x.via.protocol);
		emit_str(e, "transport", x.via.transport);
		emit_str(e, "host", x.via.host);
		if (x.via.port)
			emit_int(e, "port", x.via.port);
		emit_str(e, "branch", x.via.branch);
		emit_str(e, "received", x.via.received);
		emit_str(e, "maddr", x.via.maddr);
		if (x.via.ttl >= 0)
			emit_int(e, "ttl", x.via.ttl);
		if (x.via.rport)
			emit_int(e, "rport", x.via.rport_value);
		emit_params(e, x.via.params);
		break;
	case SIPD_HDR_FROM:
	case SIPD_HDR_TO:
	case SIPD_HDR_CONTACT:
	case SIPD_HDR_ROUTE:
	case SIPD_HDR_RECORD_ROUTE:
	case SIPD_HDR_PATH:
	case SIPD_HDR_REFER_TO:
	case SIPD_HDR_REFERRED_BY:
	case SIPD_HDR_REPLY_TO:
	case SIPD_HDR_ALERT_INFO:
	case SIPD_HDR_CALL_INFO:
	case SIPD_HDR_ERROR_INFO:
		if (sipd_nameaddr_parse(&x.na, v, false, NULL))
			break;
		if (x.na.star) {
			emit_bool(e, "star", true);
			break;
		}
		emit_str(e, "display", x.na.display);
		emit_uri(e, "uri", &x.na.uri);
		emit_str(e, "tag", x.na.tag);
		if (id == SIPD_HDR_CONTACT) {
			if (sipd_contact_expires(&x.na) >= 0)
				emit_int(e, "expires", sipd_contact_expires(&x.na));
			if (sipd_contact_q(&x.na) >= 0)
				emit_int(e, "q_thousandths", sipd_contact_q(&x.na));
		}
		emit_params(e, x.na.params);
		break;
	case SIPD_HDR_CSEQ:
		if (sipd_cseq_parse(&x.cseq, v, NULL))
			break;
		emit_int(e, "seq", x.cseq.seq);
		emit_str(e, "method", x.cseq.method_name);
		break;
	case SIPD_HDR_RACK:
		if (sipd_rack_parse(&x.rack, v, NULL))
			break;
		emit_int(e, "rseq", x.rack.rseq);
		emit_int(e, "cseq", x.rack.cseq);
		emit_str(e, "method", x.rack.method_name);
		break;
	case SIPD_HDR_CALL_ID:
	case SIPD_HDR_IN_REPLY_TO:
		if (!sipd_callid_parse(&x.str, v, NULL))
			emit_str(e, "call_id", x.str);
		break;
	case SIPD_HDR_CONTENT_LENGTH:
	case SIPD_HDR_MAX_FORWARDS:
	case SIPD_HDR_EXPIRES:
	case SIPD_HDR_MIN_EXPIRES:
	case SIPD_HDR_RSEQ:
		if (!sipd_uint_parse(&x.u, v, NULL))
			emit_int(e, "number", x.u);
		break;
	case SIPD_HDR_CONTENT_TYPE:
	case SIPD_HDR_ACCEPT:
		if (sipd_media_parse(&x.media, v, NULL))
			break;
		emit_str(e, "type", x.media.type);
		emit_str(e, "subtype", x.media.subtype);
		emit_params(e, x.media.params);
		break;
	case SIPD_HDR_CONTENT_DISPOSITION:
		if (sipd_disposition_parse(&x.disp, v, NULL))
			break;
		emit_str(e, "type", x.disp.type);
		emit_str(e, "handling", x.disp.handling);
		emit_params(e, x.disp.params);
		break;
	case SIPD_HDR_EVENT:
	case SIPD_HDR_ALLOW_EVENTS:
		if (sipd_event_parse(&x.event, v, NULL))
			break;
		emit_str(e, "package", x.event.package);
		emit_str(e, "id", x.event.id);
		emit_params(e, x.event.params);
		break;
	case SIPD_HDR_SUBSCRIPTION_STATE:
		if (sipd_substate_parse(&x.sub, v, NULL))
			break;
		emit_str(e, "state", x.sub.state);
		emit_str(e, "reason", x.sub.reason);
		if (x.sub.expires >= 0)
			emit_int(e, "expires", x.sub.expires);
		if (x.sub.retry_after >= 0)
			emit_int(e, "retry_after", x.sub.retry_after);
		break;
	case SIPD_HDR_SESSION_EXPIRES:
	case SIPD_HDR_MIN_SE:
		if (sipd_session_expires_parse(&x.se, v, NULL))
			break;
		emit_int(e, "delta", x.se.delta);
		emit_str(e, "refresher", x.se.refresher);
		break;
	case SIPD_HDR_RETRY_AFTER:
		if (sipd_retry_after_parse(&x.ra, v, NULL))
			break;
		emit_int(e, "delta", x.ra.delta);
		emit_str(e, "comment", x.ra.comment);
		if (x.ra.duration >= 0)
			emit_int(e, "duration", x.ra.duration);
		break;
	case SIPD_HDR_REPLACES:
		if (sipd_replaces_parse(&x.rep, v, NULL))
			break;
		emit_str(e, "call_id", x.rep.call_id);
		emit_str(e, "to_tag", x.rep.to_tag);
		emit_str(e, "from_tag", x.rep.from_tag);
		emit_bool(e, "early_only", x.rep.early_only);
		break;
	case SIPD_HDR_REASON:
		if (sipd_reason_parse(&x.reason, v, NULL))
			break;
		emit_str(e, "protocol", x.reason.protocol);
		if (x.reason.cause >= 0)
			emit_int(e, "cause", x.reason.cause);
		emit_str(e, "text", x.reason.text);
		break;
	case SIPD_HDR_WWW_AUTHENTICATE:
	case SIPD_HDR_PROXY_AUTHENTICATE:
	case SIPD_HDR_AUTHORIZATION:
	case SIPD_HDR_PROXY_AUTHORIZATION: {
		if (sipd_auth_parse(&x.auth, v, NULL))
			break;
		emit_str(e, "scheme", x.auth.scheme);
		emit_open(e, "params");
		struct sipd_str cur = x.auth.params, n, pv;
		while (sipd_auth_param_next(&cur, &n, &pv)) {
			char key[64];
			size_t k = n.len < sizeof key - 1 ? n.len : sizeof key - 1;
			memcpy(key, n.p, k);
			key[k] = 0;
			emit_str(e, key, pv);
		}
		emit_close(e);
		break;
	}
	case SIPD_HDR_WARNING:
		if (sipd_warning_parse(&x.warn, v, NULL))
			break;
		emit_int(e, "code", x.warn.code);
		emit_str(e, "agent", x.warn.agent);
		emit_str(e, "text", x.warn.text);
		break;
	case SIPD_HDR_REQUIRE:
	case SIPD_HDR_SUPPORTED:
	case SIPD_HDR_PROXY_REQUIRE:
	case SIPD_HDR_UNSUPPORTED:
	case SIPD_HDR_ALLOW:
	case SIPD_HDR_CONTENT_ENCODING:
		if (!sipd_token_parse(&x.str, v, NULL))
			emit_str(e, "token", x.str);
		break;
	default:
		break;
	}
	emit_close(e);
}

static void emit_message(struct emit *e, const struct sipd_msg *m)
{
	emit_open(e, NULL);
	if (m->is_request) {
		emit_cstr(e, "type", "request");
		emit_str(e, "method", m->method_name);
		emit_uri(e, "uri", &m->ruri);
	} else {
		emit_cstr(e, "type", "response");
		emit_int(e, "status", m->status);
		emit_str(e, "reason", m->reason);
	}
	emit_str(e, "version", m->version);
	emit_open_list(e, "headers");
	for (uint16_t i = 0; i < m->nhdrs; i++) {
		const struct sipd_hdr *h = &m->hdrs[i];
		emit_open(e, NULL);
		const char *canon = sipd_hdr_name((enum sipd_hdr_id)h->id);
		emit_str(e, "name", h->name);
		if (canon)
			emit_cstr(e, "canonical", canon);
		emit_int(e, "line", h->line);
		emit_open_list(e, "values");
		if (sipd_hdr_is_list((enum sipd_hdr_id)h->id)) {
			/* Walk the values of this one line. */
			struct sipd_msg one = *m;
			struct sipd_hdr tmp = *h;
			tmp.next = SIPD_HDR_NONE;
			one.hdrs = &tmp;
			one.nhdrs = 1;
			memset(one.first, 0xff, sizeof one.first);
			one.first[h->id] = 0;
			struct sipd_hdr_iter it;
			struct sipd_str v;
			sipd_hdr_iter_init(&it, &one, (enum sipd_hdr_id)h->id);
			while (sipd_hdr_iter_next(&it, &v))
				emit_typed(e, (enum sipd_hdr_id)h->id, v);
		} else {
			emit_typed(e, (enum sipd_hdr_id)h->id, h->value);
		}
		emit_close_list(e);
		emit_close(e);
	}
	emit_close_list(e);
	emit_int(e, "body_length", (long long)m->body.len);
	emit_close(e);
	emit_finish(e);
}

int cmd_parse(int argc, char **argv)
{
	bool json = false, stream = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--stream")) {
			stream = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			parse_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "sipdialog parse: unknown option '%s'\n", argv[i]);
			parse_usage(stderr);
			return 2;
		} else if (path) {
			fprintf(stderr, "sipdialog parse: one input only ('%s' and '%s')\n", path, argv[i]);
			parse_usage(stderr);
			return 2;
		} else {
			path = argv[i];
		}
	}
	FILE *in = stdin;
	if (path && strcmp(path, "-")) {
		in = fopen(path, "rb");
		if (!in) {
			fprintf(stderr, "sipdialog parse: cannot open '%s': %s\n", path, strerror(errno));
			return 2;
		}
	}
	size_t len = 0;
	char *buf = read_all(in, &len);
	int saved = errno;
	if (in != stdin)
		fclose(in);
	if (!buf) {
		fprintf(stderr, "sipdialog parse: cannot read '%s': %s\n", path ? path : "-",
		        saved == EFBIG ? "input larger than 1 MiB" : strerror(saved));
		return 2;
	}

	struct sipd_hdr hdrs[MAX_HEADERS];
	struct sipd_msg msg;
	struct sipd_parse_error err = {0};
	struct sipd_parse_limits lim = {.size = sizeof lim, .max_message = MAX_INPUT};
	long n = sipd_msg_parse(&msg, hdrs, MAX_HEADERS, buf, len,
	                        stream ? SIPD_FRAME_STREAM : SIPD_FRAME_DATAGRAM, &lim, &err);
	int rc = 0;
	if (n == SIPD_EAGAIN) {
		err.what = "message is incomplete";
		rc = 1;
	} else if (n < 0 || sipd_msg_check(&msg, &err)) {
		rc = 1;
	}
	if (rc) {
		if (json) {
			struct emit e;
			emit_init(&e, stdout, true);
			emit_open(&e, NULL);
			emit_cstr(&e, "error", err.what ? err.what : "invalid message");
			emit_int(&e, "line", err.line);
			emit_int(&e, "column", err.column);
			if (err.status)
				emit_int(&e, "status", err.status);
			emit_close(&e);
			emit_finish(&e);
		}
		fprintf(stderr, "error: %s at line %u, column %u\n", err.what ? err.what : "invalid message",
		        err.line, err.column);
	} else {
		struct emit e;
		emit_init(&e, stdout, json);
		emit_message(&e, &msg);
	}
	free(buf);
	return rc;
}
