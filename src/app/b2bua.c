/* A back-to-back user agent over two INVITE sessions (include/sipdialog/b2bua.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sipdialog/auth.h>
#include <sipdialog/b2bua.h>

#include "common/cb.h"

/* Requests in flight from one leg to the other: the one we received (to
 * answer) and the leg we sent its copy on. Responses come back in the order
 * the requests left, per leg and kind (the session reports one final
 * response per request, and the peer answers in order in practice). */
#define MAX_RELAYS 16
#define MAX_REASON 256 /* a CANCEL's Reason longer than this is not passed on */

struct relay {
	struct sipd_txn *tx;      /* the request received, to be answered */
	struct sipd_session *to;  /* the leg its copy went out on */
	bool modify;              /* re-INVITE / UPDATE: answered through `modified` */
};

/* The B leg's INVITE as built once: the headers around its CSeq, and what
 * the request needs besides (one allocation, strings after the struct). */
struct b_request {
	struct sipd_str before, after; /* the header lines before and after CSeq */
	struct sipd_str uri, contact, body;
	const char *content_type;
	struct sipd_flow flow;
	uint32_t cseq;
};

struct sipd_b2bua {
	struct sipd_session_env env;
	struct sipd_session *leg[2];
	const struct sipd_b2bua_callbacks *cb; /* the application's, by reference */
	void *arg;
	struct relay *relay;            /* requests relayed, allocated with the first */
	struct sipd_stack_timer reaper; /* frees us outside the sessions' callbacks */
	char *reason;                   /* the Reason the A leg's CANCEL carried */
	struct b_request *breq;         /* the B leg's INVITE, to send again when challenged */
	struct sipd_auth_client *auth;  /* credentials for the B leg (borrowed) */
	struct sipd_session *challenged[2]; /* B legs a 401/407 ended (freed with us) */
	/* RFC 3263 §4.3: the B leg's other targets, and the legs that failed */
	struct sipd_flow *next;
	struct sipd_session **retired; /* nnext slots, freed with us */
	uint8_t nnext, next_i;         /* at most MAX_NEXT */
	uint8_t nrelay, relay_cap;
	uint8_t tries;
	bool a_answered;               /* the A leg's INVITE has its final response */
	bool ended;
	bool b_provisional;            /* the B leg had a provisional: no failover */
};

#define CB(b, f) SIPD_CB((b)->cb, struct sipd_b2bua_callbacks, f)
#define MAX_NEXT 32

/* Headers that belong to one hop, one dialog or one transaction, credentials
 * and identity: never copied from one leg to the other. */
static const char *const never_copy[] = {
	"Via", "Route", "Record-Route", "Contact", "From", "To", "Call-ID", "CSeq",
	"Max-Forwards", "Content-Length", "Content-Type", "Content-Encoding",
	"Content-Disposition", "Content-Language", "Require", "Supported", "Allow",
	"Proxy-Require", "RSeq", "RAck", "Session-Expires", "Min-SE", "Replaces",
	"Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
	"Authentication-Info", "P-Asserted-Identity", "P-Preferred-Identity", "Identity",
	"Identity-Info", "Remote-Party-ID", "Unsupported", "Allow-Events", "Accept",
	"User-Agent", "Server", "Refer-Sub", NULL,
};

static bool named(const char *const *list, struct sipd_str name)
{
	for (; list && *list; list++)
		if (strlen(*list) == name.len && !strncasecmp(*list, name.p, name.len))
			return true;
	return false;
}

/* The canonical name of a header (a compact form's full name). */
static struct sipd_str hdr_name(const struct sipd_hdr *h)
{
	if (h->id != SIPD_HDR_OTHER) {
		const char *n = sipd_hdr_name((enum sipd_hdr_id)h->id);
		return (struct sipd_str){n, strlen(n)};
	}
	return h->name;
}

static void copy_headers(struct sipd_buf *b, const struct sipd_msg *m, const char *const *only,
                         const char *const *no)
{
	for (uint16_t i = 0; i < m->nhdrs; i++) {
		struct sipd_str name = hdr_name(&m->hdrs[i]);
		if (named(never_copy, name) || (only ? !named(only, name) : named(no, name)))
			continue;
		sipd_buf_putstr(b, name);
		sipd_buf_puts(b, ": ");
		sipd_buf_putstr(b, m->hdrs[i].value);
		sipd_buf_puts(b, "\r\n");
	}
}

static enum sipd_b2bua_leg leg_of(const struct sipd_b2bua *b, const struct sipd_session *s)
{
	return s == b->leg[SIPD_B2BUA_A] ? SIPD_B2BUA_A : SIPD_B2BUA_B;
}

static struct sipd_session *other(const struct sipd_b2bua *b, const struct sipd_session *s)
{
	return b->leg[1 - leg_of(b, s)];
}

static bool over(const struct sipd_session *s)
{
	return !s || sipd_session_state(s) == SIPD_SESSION_TERMINATED;
}

/* A session description crossing from `s`, through the rewrite hook. */
static struct sipd_str cross(struct sipd_b2bua *b, const struct sipd_session *s,
                             struct sipd_str sdp, char *buf, size_t cap)
{
	if (!sdp.len || !CB(b, rewrite))
		return sdp;
	long n = CB(b, rewrite)(b->arg, b, leg_of(b, s), sdp, buf, cap);
	return n < 0 || (size_t)n > cap ? sdp : (struct sipd_str){buf, (size_t)n};
}

static struct sipd_str session_body(const struct sipd_msg *m)
{
	return m && sipd_msg_has_session_body(m) ? m->body : SIPD_STR_NULL;
}

/* The Content-Type of a message as a C string (for sipd_session_request). */
static const char *content_type(const struct sipd_msg *m, char *buf, size_t cap)
{
	const struct sipd_hdr *h = sipd_msg_find(m, SIPD_HDR_CONTENT_TYPE);
	if (!h || !m->body.len || h->value.len >= cap)
		return NULL;
	memcpy(buf, h->value.p, h->value.len);
	buf[h->value.len] = 0;
	return buf;
}

/* Takes the oldest relay of this kind waiting on leg `to`. */
static bool take_relay(struct sipd_b2bua *b, const struct sipd_session *to, bool modify,
                       struct relay *out)
{
	for (size_t i = 0; i < b->nrelay; i++) {
		if (b->relay[i].to != to || b->relay[i].modify != modify)
			continue;
		*out = b->relay[i];
		memmove(&b->relay[i], &b->relay[i + 1], (b->nrelay - i - 1) * sizeof b->relay[0]);
		b->nrelay--;
		return true;
	}
	return false;
}

/* A leg ended: what waited on it is answered 487 on the other leg, and what
 * came from it is forgotten (its session answered it, RFC 3261 §15.1.2). */
static void drop_relays(struct sipd_b2bua *b, struct sipd_session *gone, uint64_t now)
{
	for (size_t i = 0; i < b->nrelay; i++) {
		struct relay *r = &b->relay[i];
		if (r->to == gone && !over(other(b, gone)))
			sipd_session_respond(other(b, gone), r->tx, 487, SIPD_STR_NULL, now);
	}
	b->nrelay = 0;
}

static void reap(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_b2bua *b = arg;
	if (CB(b, ended))
		CB(b, ended)(b->arg, b);
	sipd_b2bua_free(b);
}

/* The final status an unanswered A leg gets when the B leg failed. */
static unsigned relayed_failure(enum sipd_session_end why, const struct sipd_msg *msg)
{
	if (why == SIPD_SESSION_END_REJECTED && msg && msg->status >= 400) {
		/* a challenge is for us, not the caller (its header is not copied) */
		if (msg->status == 401 || msg->status == 407)
			return 403;
		return msg->status;
	}
	if (why == SIPD_SESSION_END_REJECTED && msg) /* 3xx: its Contact is not ours to relay */
		return 480;
	/* a 408 from the callee, or none in time: Timer B hands the session
	 * the 408 the stack made up (§8.1.3.1), so a message is there too */
	return why == SIPD_SESSION_END_ERROR ? 408 : 503;
}

static int start_b(struct sipd_b2bua *b, bool authorize, uint64_t now);

static void on_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                     enum sipd_session_end why, const struct sipd_msg *msg)
{
	struct sipd_b2bua *b = arg;
	enum sipd_b2bua_leg leg = leg_of(b, s);
	struct sipd_session *peer = other(b, s);
	uint64_t now = sipd_stack_now(b->env.stack);
	if (CB(b, leg_state))
		CB(b, leg_state)(b->arg, b, leg, st, why);
	if (leg == SIPD_B2BUA_B && st == SIPD_SESSION_CONFIRMED) {
		/* answered: the B leg's INVITE is not sent again (challenges and
		 * failover come before), its copy goes */
		free(b->breq);
		b->breq = NULL;
		free(b->next);
		b->next = NULL;
		b->nnext = b->next_i;
		if (over(peer)) { /* the caller left while the callee answered */
			sipd_session_bye(s, "SIP;cause=487;text=\"Caller left\"", now);
			return;
		}
		if (!b->a_answered) {
			char buf[4096];
			struct sipd_str answer =
				cross(b, s, sipd_oa_remote(sipd_session_oa(s)), buf, sizeof buf);
			b->a_answered = true;
			if (sipd_session_accept(peer, answer, now))
				sipd_session_bye(s, "SIP;cause=500", now);
		}
		return;
	}
	if (st != SIPD_SESSION_TERMINATED)
		return;
	/* RFC 3263 §4.3: the target did not answer (timeout, transport error)
	 * or answered 503 before anything else: the next one */
	unsigned code = msg && !msg->is_request ? msg->status : 503;
	if (leg == SIPD_B2BUA_B && !b->b_provisional && !b->a_answered && !over(peer) &&
	    b->next_i < b->nnext && (code == 503 || code == 408) &&
	    (why == SIPD_SESSION_END_REJECTED || why == SIPD_SESSION_END_ERROR)) {
		b->retired[b->next_i] = s; /* freed with us: we are in its callback */
		b->leg[SIPD_B2BUA_B] = NULL;
		b->breq->flow = b->next[b->next_i++];
		if (start_b(b, b->tries > 0, now) == 0)
			return;
		/* not sent: the failure goes to the caller as it came */
	}
	/* the callee challenged our INVITE: the same again with credentials,
	 * as often as the digest rules allow (RFC 3261 §22.2, §22.1) */
	if (leg == SIPD_B2BUA_B && why == SIPD_SESSION_END_REJECTED && msg && b->auth &&
	    (msg->status == 401 || msg->status == 407) && !b->a_answered && !over(peer) &&
	    b->tries < 2 && sipd_auth_client_challenge(b->auth, msg) == 0 &&
	    !sipd_auth_client_give_up(b->auth, b->tries)) {
		b->challenged[b->tries++] = s;
		b->leg[SIPD_B2BUA_B] = NULL;
		if (start_b(b, true, now) == 0)
			return;
		/* not sent: the failure goes to the caller as it came */
	}
	drop_relays(b, s, now);
	if (!over(peer)) {
		const struct sipd_hdr *rh = msg && msg->is_request ? sipd_msg_find(msg, SIPD_HDR_REASON)
		                                                   : NULL;
		char reason[MAX_REASON] = "";
		if (rh && rh->value.len < sizeof reason)
			memcpy(reason, rh->value.p, rh->value.len);
		else if (leg == SIPD_B2BUA_A && why == SIPD_SESSION_END_CANCELLED && b->reason)
			memcpy(reason, b->reason, strlen(b->reason) + 1); /* < MAX_REASON */
		if (leg == SIPD_B2BUA_B && !b->a_answered) {
			b->a_answered = true;
			sipd_session_reject(peer, relayed_failure(why, msg), NULL, now);
		} else if (leg == SIPD_B2BUA_A && sipd_session_state(peer) < SIPD_SESSION_CONFIRMED) {
			sipd_session_cancel(peer, reason[0] ? reason : "SIP;cause=487", now);
		} else {
			sipd_session_bye(peer, reason[0] ? reason : NULL, now);
		}
	}
	if (over(b->leg[0]) && over(b->leg[1]) && !b->ended) {
		b->ended = true;
		sipd_stack_timer_arm(b->env.stack, &b->reaper, now);
	}
}

static void on_provisional(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_b2bua *b = arg;
	struct sipd_session *a = b->leg[SIPD_B2BUA_A];
	if (s == b->leg[SIPD_B2BUA_B])
		b->b_provisional = true;
	if (s != b->leg[SIPD_B2BUA_B] || b->a_answered || over(a))
		return;
	char buf[4096];
	struct sipd_str sdp = cross(b, s, session_body(resp), buf, sizeof buf);
	/* a reliable one may still wait for its PRACK on the A leg: the next
	 * goes when it may (ESTATE is not an error of the call) */
	sipd_session_progress(a, resp->status, sdp, sipd_stack_now(b->env.stack));
}

static int on_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                      const struct sipd_msg *req)
{
	struct sipd_b2bua *b = arg;
	struct sipd_session *to = other(b, s);
	uint64_t now = sipd_stack_now(b->env.stack);
	if (over(to) || sipd_session_state(to) < SIPD_SESSION_EARLY)
		return -1; /* nothing to relay to: the session's default answer */
	if (b->nrelay == b->relay_cap) {
		/* room for one more, made before the request goes on */
		size_t cap = b->relay_cap ? b->relay_cap * 2u : 2;
		struct relay *r = cap <= MAX_RELAYS ? realloc(b->relay, cap * sizeof *r) : NULL;
		if (!r) {
			sipd_session_respond(s, tx, 500, SIPD_STR_NULL, now);
			return 0;
		}
		b->relay = r;
		b->relay_cap = (uint8_t)cap;
	}
	bool modify = req->method == SIPD_METHOD_INVITE || req->method == SIPD_METHOD_UPDATE;
	char buf[4096];
	int rc;
	if (modify) {
		struct sipd_str offer = session_body(req);
		if (!offer.len)
			return -1; /* an offerless re-INVITE is answered here with our offer */
		rc = sipd_session_modify(to, cross(b, s, offer, buf, sizeof buf),
		                         req->method == SIPD_METHOD_UPDATE, now);
		if (rc == SIPD_ESTATE) {
			/* an offer is pending on the other leg: glare across the
			 * b2bua, resolved by the offerer's back-off (§14.1) */
			sipd_session_respond(s, tx, 491, SIPD_STR_NULL, now);
			return 0;
		}
	} else {
		char hdrs[2048], ct[128];
		struct sipd_buf hb;
		sipd_buf_init(&hb, hdrs, sizeof hdrs);
		copy_headers(&hb, req, NULL, NULL);
		if (hb.overflow)
			hb.len = 0;
		char method[32];
		if (req->method_name.len >= sizeof method)
			return -1;
		memcpy(method, req->method_name.p, req->method_name.len);
		method[req->method_name.len] = 0;
		rc = sipd_session_request(to, method, (struct sipd_str){hdrs, hb.len},
		                          content_type(req, ct, sizeof ct), req->body, now);
	}
	if (rc) {
		sipd_session_respond(s, tx, 500, SIPD_STR_NULL, now);
		return 0;
	}
	b->relay[b->nrelay++] = (struct relay){.tx = tx, .to = to, .modify = modify};
	return 0;
}

static void answer_relay(struct sipd_b2bua *b, struct sipd_session *s, bool modify,
                         const struct sipd_msg *resp)
{
	struct relay r;
	if (!take_relay(b, s, modify, &r))
		return;
	struct sipd_session *from = other(b, s);
	unsigned code = resp ? resp->status : 408;
	char buf[4096];
	struct sipd_str body = SIPD_STR_NULL;
	if (code >= 200 && code < 300)
		body = modify ? cross(b, s, session_body(resp), buf, sizeof buf) : resp->body;
	sipd_session_respond(from, r.tx, code, body, sipd_stack_now(b->env.stack));
}

static void on_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	answer_relay(arg, s, true, resp);
}

static void on_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	answer_relay(arg, s, false, resp);
}

static const struct sipd_session_callbacks leg_cb = {
	.size = sizeof leg_cb,
	.state = on_state,
	.request = on_request,
	.modified = on_modified,
	.response = on_response,
	.provisional = on_provisional,
};

/* The B leg's INVITE: a new Call-ID and From tag, the target in the
 * Request-URI and To, the caller's From (or the one given), copied headers. */
/* Sends the B leg's INVITE kept in b->breq: the first time, or again with
 * credentials after a 401/407 (same Call-ID and From tag, CSeq one more,
 * RFC 3261 §22.2). */
static int start_b(struct sipd_b2bua *b, bool authorize, uint64_t now)
{
	struct b_request *q = b->breq;
	size_t cap = q->before.len + q->after.len + 64 + (authorize ? 2048 : 0);
	char *hdrs = malloc(cap);
	if (!hdrs)
		return SIPD_ENOMEM;
	struct sipd_buf hb;
	sipd_buf_init(&hb, hdrs, cap);
	sipd_buf_putstr(&hb, q->before);
	sipd_buf_puts(&hb, "CSeq: ");
	sipd_buf_putu(&hb, ++q->cseq);
	sipd_buf_puts(&hb, " INVITE\r\n");
	sipd_buf_putstr(&hb, q->after);
	if (authorize) {
		int rc = sipd_auth_client_authorize(b->auth, &hb, (struct sipd_str){"INVITE", 6},
		                                    q->uri, q->body);
		if (rc) {
			free(hdrs);
			return rc;
		}
	}
	if (hb.overflow) {
		free(hdrs);
		return SIPD_ENOSPC;
	}
	/* the caller's offer relayed unchanged is the A leg's own copy, which
	 * the B leg then shares rather than copies */
	struct sipd_str body = q->body;
	struct sipd_str a_offer = sipd_oa_pending_offer(sipd_session_oa(b->leg[SIPD_B2BUA_A]));
	if (body.len && a_offer.len == body.len && memcmp(a_offer.p, body.p, body.len) == 0)
		body = a_offer;
	struct sipd_request r = {.size = sizeof r,
	                         .method = {"INVITE", 6},
	                         .uri = q->uri,
	                         .headers = {hdrs, hb.len},
	                         .content_type = q->body.len ? q->content_type : NULL,
	                         .body = body,
	                         .flow = q->flow};
	struct sipd_session_opts so = {.size = sizeof so,
	                               .dialog = {.size = sizeof so.dialog,
	                                          .local_contact = q->contact,
	                                          .tls = q->flow.transport == SIPD_TP_TLS},
	                               .cb = &leg_cb,
	                               .arg = b,
	                               .no_glare_retry = true,
	                               .share_with = b->leg[SIPD_B2BUA_A]};
	int rc = sipd_session_uac(&b->env, &r, &so, now, &b->leg[SIPD_B2BUA_B]);
	free(hdrs);
	return rc;
}

/* Appends s to the blob at *at and returns where it went. */
static struct sipd_str keep(char **at, struct sipd_str s)
{
	struct sipd_str out = {*at, s.len};
	if (s.len)
		memcpy(*at, s.p, s.len);
	*at += s.len;
	return out;
}

/* The B leg's INVITE: a new Call-ID and From tag, the target in the
 * Request-URI and To, the caller's From (or the one given), copied headers.
 * Kept whole (b->breq) so that a challenge can have it sent again. */
static int send_b_leg(struct sipd_b2bua *b, const struct sipd_msg *req,
                      const struct sipd_b2bua_opts *o, uint64_t now)
{
	char tag[12], callid[24], ct[128];
	sipd_stack_random_token(b->env.stack, tag, sizeof tag);
	sipd_stack_random_token(b->env.stack, callid, sizeof callid);
	size_t cap = req->len + o->target.len + o->from.len + o->b_contact.len +
	             o->b_headers.len + 512;
	char *hdrs = malloc(cap);
	if (!hdrs)
		return SIPD_ENOMEM;
	struct sipd_buf hb;
	sipd_buf_init(&hb, hdrs, cap);
	sipd_buf_puts(&hb, "From: ");
	if (o->from.len) {
		sipd_buf_puts(&hb, "<");
		sipd_buf_putstr(&hb, o->from);
	} else {
		if (req->from.display.len) {
			sipd_buf_puts(&hb, "\"");
			sipd_buf_putstr(&hb, req->from.display);
			sipd_buf_puts(&hb, "\" ");
		}
		sipd_buf_puts(&hb, "<");
		sipd_buf_putstr(&hb, req->from.uri.raw);
	}
	sipd_buf_puts(&hb, ">;tag=");
	sipd_buf_put(&hb, tag, sizeof tag);
	sipd_buf_puts(&hb, "\r\nTo: <");
	sipd_buf_putstr(&hb, o->target);
	sipd_buf_puts(&hb, ">\r\nCall-ID: ");
	sipd_buf_put(&hb, callid, sizeof callid);
	sipd_buf_puts(&hb, "\r\n");
	size_t before = hb.len; /* the CSeq goes here */
	sipd_buf_puts(&hb, "Max-Forwards: ");
	sipd_buf_putu(&hb, req->max_forwards > 0 ? (uint64_t)req->max_forwards - 1 : 70);
	sipd_buf_puts(&hb, "\r\nContact: <");
	sipd_buf_putstr(&hb, o->b_contact);
	/* reliable provisionals end to end (RFC 3262): a caller that requires
	 * them gets them from us, and we require them of the callee too, so
	 * that no hop of the relayed 1xx can be lost */
	bool require = false;
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, req, SIPD_HDR_REQUIRE);
	while (sipd_hdr_iter_next(&it, &v))
		require |= sipd_str_ieq(v, "100rel");
	sipd_buf_puts(&hb, require ? ">\r\nRequire: 100rel\r\n" : ">\r\nSupported: 100rel\r\n");
	copy_headers(&hb, req, o->copy_only, o->no_copy);
	sipd_buf_putstr(&hb, o->b_headers);
	if (hb.overflow) {
		free(hdrs);
		return SIPD_ENOSPC;
	}
	char sdp[4096];
	struct sipd_str offer = cross(b, b->leg[SIPD_B2BUA_A], session_body(req), sdp, sizeof sdp);
	const char *type = offer.len ? content_type(req, ct, sizeof ct) : NULL;
	if (offer.len && !type)
		type = "application/sdp";
	/* one block: the struct, then its strings */
	size_t tlen = type ? strlen(type) + 1 : 0;
	struct b_request *q = malloc(sizeof *q + hb.len + o->target.len + o->b_contact.len +
	                             offer.len + tlen);
	if (!q) {
		free(hdrs);
		return SIPD_ENOMEM;
	}
	char *at = (char *)(q + 1);
	q->before = keep(&at, (struct sipd_str){hdrs, before});
	q->after = keep(&at, (struct sipd_str){hdrs + before, hb.len - before});
	q->uri = keep(&at, o->target);
	q->contact = keep(&at, o->b_contact);
	q->body = keep(&at, offer);
	q->content_type = type ? keep(&at, (struct sipd_str){type, tlen}).p : NULL;
	q->flow = o->flow;
	q->cseq = 0;
	free(hdrs);
	b->breq = q;
	return start_b(b, false, now);
}

int sipd_b2bua_create(const struct sipd_session_env *env, struct sipd_txn *invite,
                      const struct sipd_flow *from, const struct sipd_b2bua_opts *o,
                      uint64_t now, struct sipd_b2bua **out)
{
	*out = NULL;
	const struct sipd_msg *req = sipd_txn_request(invite);
	if (!req || !o || o->size < sizeof *o || !o->target.len || o->b_nnext > MAX_NEXT)
		return SIPD_EINVAL;
	if (req->max_forwards == 0) { /* RFC 3261 §16.3 step 3 */
		struct sipd_response r = {.size = sizeof r, .code = 483};
		sipd_txn_respond(invite, &r, now);
		return SIPD_EINVAL;
	}
	struct sipd_b2bua *b = calloc(1, sizeof *b);
	if (!b) {
		struct sipd_response r = {.size = sizeof r, .code = 500};
		sipd_txn_respond(invite, &r, now);
		return SIPD_ENOMEM;
	}
	b->env = *env;
	b->cb = o->cb;
	b->arg = o->arg;
	b->auth = o->auth;
	if (o->b_next && o->b_nnext) {
		b->next = malloc(o->b_nnext * sizeof *b->next);
		b->retired = calloc(o->b_nnext, sizeof *b->retired);
		if (!b->next || !b->retired) {
			free(b->next);
			free(b->retired);
			free(b);
			struct sipd_response r = {.size = sizeof r, .code = 500};
			sipd_txn_respond(invite, &r, now);
			return SIPD_ENOMEM;
		}
		memcpy(b->next, o->b_next, o->b_nnext * sizeof *b->next);
		b->nnext = (uint8_t)o->b_nnext;
	}
	sipd_stack_timer_init(&b->reaper, reap, b);
	struct sipd_session_opts ao = {.size = sizeof ao,
	                               .dialog = {.size = sizeof ao.dialog,
	                                          .local_contact = o->a_contact},
	                               .cb = &leg_cb,
	                               .arg = b,
	                               .no_glare_retry = true,
	                               .rel_policy = o->rel_policy};
	int rc = sipd_session_uas(env, invite, from, &ao, now, &b->leg[SIPD_B2BUA_A]);
	if (rc) {
		if (rc == SIPD_ENOMEM || rc == SIPD_ELIMIT) {
			struct sipd_response r = {.size = sizeof r, .code = 503};
			sipd_txn_respond(invite, &r, now);
		}
		free(b->next);
		free(b->retired);
		free(b);
		return rc;
	}
	rc = send_b_leg(b, req, o, now);
	if (rc) {
		sipd_session_reject(b->leg[SIPD_B2BUA_A], rc == SIPD_ENOSPC ? 500 : 503, NULL, now);
		sipd_b2bua_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void sipd_b2bua_cancelled(struct sipd_b2bua *b, const struct sipd_msg *cancel, uint64_t now)
{
	/* RFC 3326: the CANCEL's Reason goes on with it */
	const struct sipd_hdr *rh = cancel ? sipd_msg_find(cancel, SIPD_HDR_REASON) : NULL;
	if (rh && rh->value.len < MAX_REASON) {
		char *r = malloc(rh->value.len + 1);
		if (r) {
			memcpy(r, rh->value.p, rh->value.len);
			r[rh->value.len] = 0;
			free(b->reason);
			b->reason = r;
		}
	}
	sipd_session_cancelled(b->leg[SIPD_B2BUA_A], now);
}

int sipd_b2bua_end(struct sipd_b2bua *b, const char *reason, uint64_t now)
{
	struct sipd_session *a = b->leg[SIPD_B2BUA_A], *c = b->leg[SIPD_B2BUA_B];
	if (!over(c)) {
		if (sipd_session_state(c) < SIPD_SESSION_CONFIRMED)
			sipd_session_cancel(c, reason, now);
		else
			sipd_session_bye(c, reason, now);
	}
	if (!over(a)) {
		if (!b->a_answered) {
			b->a_answered = true;
			return sipd_session_reject(a, 480, NULL, now);
		}
		return sipd_session_bye(a, reason, now);
	}
	return 0;
}

struct sipd_b2bua *sipd_b2bua_of_invite(struct sipd_txn *invite)
{
	struct sipd_session *s = invite ? sipd_txn_user(invite) : NULL;
	return s ? sipd_session_arg(s) : NULL;
}

struct sipd_session *sipd_b2bua_leg(const struct sipd_b2bua *b, enum sipd_b2bua_leg leg)
{
	return b->leg[leg];
}

void *sipd_b2bua_arg(const struct sipd_b2bua *b)
{
	return b->arg;
}

void sipd_b2bua_free(struct sipd_b2bua *b)
{
	if (!b)
		return;
	sipd_stack_timer_cancel(b->env.stack, &b->reaper);
	sipd_session_free(b->leg[SIPD_B2BUA_A]);
	sipd_session_free(b->leg[SIPD_B2BUA_B]);
	for (unsigned i = 0; i < b->tries; i++)
		sipd_session_free(b->challenged[i]);
	for (size_t i = 0; i < b->next_i; i++)
		sipd_session_free(b->retired[i]);
	free(b->next);
	free(b->retired);
	free(b->breq);
	free(b->relay);
	free(b->reason);
	free(b);
}
