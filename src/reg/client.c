/* Registration, the client's side (RFC 3261 §10.2): one Contact kept bound to
 * an address-of-record by REGISTERs that share a Call-ID, refreshed before
 * the granted interval runs out, with digest authentication (§22), 423
 * (§10.2.8), failures and their retries, and unregistering (§10.2.2). The
 * rules it follows are listed in registration.h. */
#include <stdlib.h>
#include <string.h>

#include "reg/reg.h"

#define REG_MAX_423 3        /* 423s in a row before giving up (§10.2.8) */
#define REG_REQUEST_MAX 8192 /* header bytes of one REGISTER */
#define REG_CALL_ID_LEN 24
#define REG_TAG_LEN 12

/* What the REGISTER out is for. */
enum reg_op {
	OP_NONE = 0,
	OP_REGISTER,
	OP_UNREGISTER,
};

struct sipd_reg_client {
	struct sipd_stack *st;
	struct sipd_auth_client *auth;
	sipd_reg_cb cb;
	void *arg;
	void (*random)(void *user, void *buf, size_t len);
	void *random_user;
	struct sipd_flow flow;
	char *ruri, *aor, *contact, *contact_params, *headers; /* owned */
	struct sipd_uri contact_uri; /* into `contact`: ours, to find it in a 2xx */
	char call_id[REG_CALL_ID_LEN + 1];
	uint32_t expires_req; /* what we ask for (raised by 423) */
	uint32_t cseq;        /* of the latest REGISTER */
	uint32_t t1, retry_base, retry_max, max_retries;
	uint8_t state;       /* enum sipd_reg_state */
	uint8_t out;         /* enum reg_op of the REGISTER out */
	bool out_all;        /* the unregistration out is Contact: * */
	bool want_reg;       /* what the application asked for last */
	bool want_all;       /* ... an unregistration of every binding */
	bool pending;        /* it asked while a REGISTER was out: act on the answer */
	bool freed;          /* destroy was called */
	uint8_t n423;        /* 423s of this operation */
	unsigned creds;      /* REGISTERs of this operation sent with credentials */
	unsigned failures;   /* consecutive failed attempts to register */
	unsigned txns;       /* client transactions that still point at us */
	unsigned busy;       /* nesting of calls that reach the application */
	struct sipd_txn *tx; /* the REGISTER out, until its final response */
	uint64_t sent_at;    /* when it was sent */
	uint32_t granted;
	uint64_t expires_at;
	struct sipd_stack_timer t; /* the refresh, or the next attempt after a failure */
};

static void on_response(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                        const struct sipd_msg *resp);
static void timer_fired(void *arg, struct sipd_stack_timer *t, uint64_t now);

/* ---------------------------------------------------------------- life cycle */

static void release(struct sipd_reg_client *c)
{
	sipd_auth_client_destroy(c->auth);
	free(c->ruri);
	free(c->aor);
	free(c->contact);
	free(c->contact_params);
	free(c->headers);
	free(c);
}

static void enter(struct sipd_reg_client *c)
{
	c->busy++;
}

/* Returns false when the client was destroyed meanwhile (and may be gone). */
static bool leave(struct sipd_reg_client *c)
{
	if (--c->busy || !c->freed)
		return !c->freed;
	if (!c->txns)
		release(c);
	return false;
}

static void stack_random(void *user, void *buf, size_t len)
{
	/* no source of its own: the stack's tokens, 36 values per byte, which
	 * is enough for identifiers and a back-off */
	sipd_stack_random_token(user, buf, len);
}

static void token(struct sipd_reg_client *c, char *out, size_t len)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t raw[64];
	if (len > sizeof raw)
		len = sizeof raw;
	c->random(c->random_user, raw, len);
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[raw[i] % 36];
}

static char *dup_or_null(const char *s, bool *failed)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (!d)
		*failed = true;
	else
		memcpy(d, s, n + 1);
	return d;
}

static bool sip_uri(const char *s, struct sipd_uri *u)
{
	return s && s[0] && strlen(s) <= REG_MAX_URI &&
	       sipd_uri_parse(u, s, strlen(s), NULL) == 0 &&
	       (u->kind == SIPD_URI_SIP || u->kind == SIPD_URI_SIPS);
}

static bool header_lines(const char *h)
{
	size_t n = h ? strlen(h) : 0;
	return n == 0 || (n >= 2 && h[n - 2] == '\r' && h[n - 1] == '\n');
}

/* Our Contact as it will be sent parses, and its parameters leave expires to
 * us (§10.2.1.1). */
static bool contact_ok(const char *uri, const char *params)
{
	char text[REG_MAX_URI + 256];
	struct sipd_buf b;
	sipd_buf_init(&b, text, sizeof text);
	sipd_buf_puts(&b, "<");
	sipd_buf_puts(&b, uri);
	sipd_buf_puts(&b, ">");
	if (params)
		sipd_buf_puts(&b, params);
	struct sipd_nameaddr na;
	struct sipd_str v;
	return !b.overflow && (!params || !params[0] || params[0] == ';') &&
	       sipd_nameaddr_parse(&na, (struct sipd_str){text, b.len}, false, NULL) == 0 &&
	       !na.star && sipd_param_find(na.params, "expires", &v) == SIPD_ENOTFOUND;
}

int sipd_reg_client_create(const struct sipd_reg_client_config *cfg, struct sipd_reg_client **out)
{
	if (!out)
		return SIPD_EINVAL;
	*out = NULL;
	if (!cfg || cfg->size < offsetof(struct sipd_reg_client_config, random_user) || !cfg->stack)
		return SIPD_EINVAL;
	struct sipd_uri u;
	/* §10.2: the Request-URI names a domain, without userinfo; the AOR is a
	 * SIP or SIPS URI */
	if (!sip_uri(cfg->registrar, &u) || u.user.p)
		return SIPD_EINVAL;
	if (!sip_uri(cfg->aor, &u))
		return SIPD_EINVAL;
	if (!cfg->contact || strlen(cfg->contact) > REG_MAX_URI ||
	    sipd_uri_parse(&u, cfg->contact, strlen(cfg->contact), NULL))
		return SIPD_EINVAL;
	if (!header_lines(cfg->headers) || !contact_ok(cfg->contact, cfg->contact_params))
		return SIPD_EINVAL;
	struct sipd_reg_client *c = calloc(1, sizeof *c);
	if (!c)
		return SIPD_ENOMEM;
	c->st = cfg->stack;
	c->cb = cfg->cb;
	c->arg = cfg->arg;
	c->random = cfg->random ? cfg->random : stack_random;
	c->random_user = cfg->random ? cfg->random_user : (void *)cfg->stack;
	c->flow = cfg->flow;
	c->expires_req = cfg->expires ? cfg->expires : 3600;
	c->t1 = cfg->t1 ? cfg->t1 : 500;
	c->retry_base = cfg->retry_base;
	c->retry_max = cfg->retry_max;
	c->max_retries = cfg->max_retries;
	c->want_reg = false;
	bool failed = false;
	c->ruri = dup_or_null(cfg->registrar, &failed);
	c->aor = dup_or_null(cfg->aor, &failed);
	c->contact = dup_or_null(cfg->contact, &failed);
	c->contact_params = dup_or_null(cfg->contact_params ? cfg->contact_params : "", &failed);
	c->headers = dup_or_null(cfg->headers ? cfg->headers : "", &failed);
	if (failed) {
		release(c);
		return SIPD_ENOMEM;
	}
	sipd_uri_parse(&c->contact_uri, c->contact, strlen(c->contact), NULL);
	if (cfg->auth) {
		struct sipd_auth_client_config ac = *cfg->auth;
		if (!ac.random) {
			ac.random = c->random;
			ac.user = c->random_user;
		}
		c->auth = sipd_auth_client_create(&ac);
		if (!c->auth) {
			release(c);
			return SIPD_EINVAL;
		}
	}
	/* §10.2: one Call-ID for all the REGISTERs of this client */
	token(c, c->call_id, REG_CALL_ID_LEN);
	sipd_stack_timer_init(&c->t, timer_fired, c);
	*out = c;
	return 0;
}

void sipd_reg_client_destroy(struct sipd_reg_client *c)
{
	if (!c || c->freed)
		return;
	c->freed = true;
	sipd_stack_timer_cancel(c->st, &c->t);
	/* a transaction out keeps its pointer to us until it terminates */
	if (!c->busy && !c->txns)
		release(c);
}

/* ---------------------------------------------------------------- sending */

/* "<uri>" and the Contact's header parameters. */
static void put_contact(struct sipd_buf *b, const struct sipd_reg_client *c)
{
	sipd_buf_puts(b, "<");
	sipd_buf_puts(b, c->contact);
	sipd_buf_puts(b, ">");
	sipd_buf_puts(b, c->contact_params);
}

/* Sends one REGISTER of the operation `op` with the next CSeq. */
static int send_register(struct sipd_reg_client *c, enum reg_op op, bool all, uint64_t now)
{
	char hdrs[REG_REQUEST_MAX];
	char tag[REG_TAG_LEN];
	struct sipd_buf b;
	sipd_buf_init(&b, hdrs, sizeof hdrs);
	token(c, tag, sizeof tag);
	uint32_t cseq = c->cseq + 1;
	/* §10.2: To and From the AOR (not a third-party registration), a new
	 * From tag (§8.1.1.3), the client's Call-ID, the CSeq one higher */
	sipd_buf_puts(&b, "From: <");
	sipd_buf_puts(&b, c->aor);
	sipd_buf_puts(&b, ">;tag=");
	sipd_buf_put(&b, tag, sizeof tag);
	sipd_buf_puts(&b, "\r\nTo: <");
	sipd_buf_puts(&b, c->aor);
	sipd_buf_puts(&b, ">\r\nCall-ID: ");
	sipd_buf_puts(&b, c->call_id);
	sipd_buf_puts(&b, "\r\nCSeq: ");
	sipd_buf_putu(&b, cseq);
	sipd_buf_puts(&b, " REGISTER\r\nMax-Forwards: 70\r\n");
	if (op == OP_REGISTER) {
		/* §10.2.1.1: the interval asked for, for our Contact */
		sipd_buf_puts(&b, "Contact: ");
		put_contact(&b, c);
		sipd_buf_puts(&b, "\r\n");
		sipd_build_header_uint(&b, "Expires", c->expires_req);
	} else if (all) {
		/* §10.2.2: "*" only with Expires: 0 */
		sipd_buf_puts(&b, "Contact: *\r\nExpires: 0\r\n");
	} else {
		sipd_buf_puts(&b, "Contact: ");
		put_contact(&b, c);
		sipd_buf_puts(&b, ";expires=0\r\nExpires: 0\r\n");
	}
	sipd_buf_puts(&b, c->headers);
	bool creds = false;
	if (c->auth && sipd_auth_client_alg(c->auth) >= 0) {
		/* §22.1: a challenge taken earlier is answered at once, on
		 * refreshes too, so that most of them are not challenged */
		int rc = sipd_auth_client_authorize(c->auth, &b, (struct sipd_str){"REGISTER", 8},
		                                    (struct sipd_str){c->ruri, strlen(c->ruri)},
		                                    SIPD_STR_NULL);
		if (rc == SIPD_ENOSPC)
			return rc;
		creds = rc == 0;
	}
	if (b.overflow)
		return SIPD_ENOSPC;
	struct sipd_request r = {
		.size = sizeof r,
		.method = {"REGISTER", 8},
		.uri = {c->ruri, strlen(c->ruri)},
		.headers = {hdrs, b.len},
		.flow = c->flow,
	};
	struct sipd_txn *tx;
	int rc = sipd_stack_request(c->st, &r, on_response, c, now, &tx);
	if (rc)
		return rc;
	c->cseq = cseq;
	c->tx = tx;
	c->txns++;
	c->sent_at = now;
	c->out = (uint8_t)op;
	c->out_all = all;
	if (creds)
		c->creds++;
	return 0;
}

/* A new operation: its counts start over. */
static int start_op(struct sipd_reg_client *c, enum reg_op op, bool all, uint64_t now)
{
	sipd_stack_timer_cancel(c->st, &c->t);
	c->creds = 0;
	c->n423 = 0;
	int rc = send_register(c, op, all, now);
	if (rc)
		return rc;
	if (op == OP_REGISTER && c->state != SIPD_REG_REGISTERED)
		c->state = SIPD_REG_REGISTERING;
	else if (op == OP_UNREGISTER)
		c->state = SIPD_REG_UNREGISTERING;
	return 0;
}

/* ---------------------------------------------------------------- the application */

int sipd_reg_client_register(struct sipd_reg_client *c, uint64_t now)
{
	if (!c || c->freed)
		return SIPD_EINVAL;
	c->want_reg = true;
	if (c->tx) {
		/* §10.2: never two at once; an unregistration out is followed
		 * by a registration when it is answered */
		if (c->out != OP_REGISTER)
			c->pending = true;
		return 0;
	}
	if (c->state == SIPD_REG_REGISTERED)
		return 0;
	c->failures = 0;
	return start_op(c, OP_REGISTER, false, now);
}

int sipd_reg_client_unregister(struct sipd_reg_client *c, bool all, uint64_t now)
{
	if (!c || c->freed)
		return SIPD_EINVAL;
	c->want_reg = false;
	c->want_all = all;
	sipd_stack_timer_cancel(c->st, &c->t); /* no refresh, no retry */
	if (c->tx) {
		if (c->out != OP_UNREGISTER || c->out_all != all)
			c->pending = true;
		return 0;
	}
	if (!all && (c->state == SIPD_REG_IDLE || c->state == SIPD_REG_UNREGISTERED))
		return 0;
	return start_op(c, OP_UNREGISTER, all, now);
}

void sipd_reg_client_set_flow(struct sipd_reg_client *c, const struct sipd_flow *flow)
{
	if (c && flow)
		c->flow = *flow;
}

enum sipd_reg_state sipd_reg_client_state(const struct sipd_reg_client *c)
{
	return c ? (enum sipd_reg_state)c->state : SIPD_REG_IDLE;
}

const char *sipd_reg_client_call_id(const struct sipd_reg_client *c)
{
	return c ? c->call_id : "";
}

uint32_t sipd_reg_client_cseq(const struct sipd_reg_client *c)
{
	return c ? c->cseq : 0;
}

uint64_t sipd_reg_client_expires_at(const struct sipd_reg_client *c)
{
	return c && c->state == SIPD_REG_REGISTERED ? c->expires_at : 0;
}

uint32_t sipd_reg_client_expires(const struct sipd_reg_client *c)
{
	return c ? c->expires_req : 0;
}

const char *sipd_reg_state_name(enum sipd_reg_state st)
{
	switch (st) {
	case SIPD_REG_IDLE: return "idle";
	case SIPD_REG_REGISTERING: return "registering";
	case SIPD_REG_REGISTERED: return "registered";
	case SIPD_REG_UNREGISTERING: return "unregistering";
	case SIPD_REG_UNREGISTERED: return "unregistered";
	case SIPD_REG_FAILED: return "failed";
	}
	return "?";
}

/* ---------------------------------------------------------------- reporting */

static bool header_uint(const struct sipd_msg *m, enum sipd_hdr_id id, uint32_t *out)
{
	const struct sipd_hdr *h = m ? sipd_msg_find(m, id) : NULL;
	return h && sipd_uint_parse(out, h->value, NULL) == 0;
}

/* The Contacts of a 2xx: the registrar's list (§10.3 step 8). Returns an
 * array to free (NULL when there are none or memory ran out). */
static struct sipd_reg_binding *list_bindings(const struct sipd_reg_client *c,
                                              const struct sipd_msg *resp, size_t *n)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	size_t count = 0;
	*n = 0;
	sipd_hdr_iter_init(&it, resp, SIPD_HDR_CONTACT);
	while (sipd_hdr_iter_next(&it, &v))
		count++;
	struct sipd_reg_binding *list = count ? calloc(count, sizeof *list) : NULL;
	if (!list)
		return NULL;
	sipd_hdr_iter_init(&it, resp, SIPD_HDR_CONTACT);
	while (sipd_hdr_iter_next(&it, &v)) {
		struct sipd_nameaddr na;
		if (sipd_nameaddr_parse(&na, v, false, NULL) || na.star)
			continue;
		struct sipd_reg_binding *b = &list[(*n)++];
		b->uri = na.uri.raw;
		b->expires = sipd_contact_expires(&na);
		b->q = sipd_contact_q(&na);
		b->ours = sipd__reg_uri_equal(&na.uri, &c->contact_uri);
	}
	return list;
}

/* Tells the application; false when it destroyed the client. */
static bool report(struct sipd_reg_client *c, struct sipd_reg_event *ev)
{
	if (!c->cb || c->freed)
		return !c->freed;
	size_t n = 0;
	struct sipd_reg_binding *list = NULL;
	if (ev->resp && ev->resp->status >= 200 && ev->resp->status < 300 &&
	    ev->state != SIPD_REG_FAILED)
		list = list_bindings(c, ev->resp, &n);
	ev->bindings = list;
	ev->nbindings = n;
	c->cb(c->arg, c, ev);
	free(list);
	return !c->freed;
}

/* ---------------------------------------------------------------- responses */

/* §10.2.4: the interval granted to our Contact: its expires parameter, else
 * the Expires header, else what we asked. */
static uint32_t granted_of(const struct sipd_reg_client *c, const struct sipd_msg *resp)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, resp, SIPD_HDR_CONTACT);
	while (sipd_hdr_iter_next(&it, &v)) {
		struct sipd_nameaddr na;
		if (sipd_nameaddr_parse(&na, v, false, NULL) || na.star ||
		    !sipd__reg_uri_equal(&na.uri, &c->contact_uri))
			continue;
		int64_t e = sipd_contact_expires(&na);
		if (e >= 0)
			return (uint32_t)e;
		break;
	}
	uint32_t e;
	return header_uint(resp, SIPD_HDR_EXPIRES, &e) ? e : c->expires_req;
}

/* A REGISTER failed with `status` (0: it could not be sent). Unregistering
 * is not retried; registering is, per the rules of registration.h. */
static void failed(struct sipd_reg_client *c, enum reg_op op, unsigned status,
                   const struct sipd_msg *resp, bool final, uint64_t now)
{
	struct sipd_reg_event ev = {
		.state = SIPD_REG_FAILED, .status = status, .resp = resp, .retry_at = UINT64_MAX};
	c->state = SIPD_REG_FAILED;
	if (op == OP_REGISTER && c->want_reg && !final) {
		const struct sipd_hdr *h = resp ? sipd_msg_find(resp, SIPD_HDR_RETRY_AFTER) : NULL;
		struct sipd_retry_after ra;
		bool has_ra = h && sipd_retry_after_parse(&ra, h->value, NULL) == 0;
		c->failures++;
		/* status 0: not sent; a 2xx here did not bind our Contact */
		bool transient = status == 0 || (status >= 200 && status < 300) ||
		                 sipd_reg_status_retryable(status);
		if ((has_ra || transient) && (!c->max_retries || c->failures <= c->max_retries)) {
			uint32_t rnd;
			c->random(c->random_user, &rnd, sizeof rnd);
			/* §10.2.7: never at once after a timeout; §20.33 */
			uint64_t wait = has_ra ? (uint64_t)(ra.delta ? ra.delta : 1) * 1000
			                       : sipd_reg_retry_delay(c->failures, c->retry_base,
			                                              c->retry_max, rnd);
			ev.retry_at = now + wait;
			sipd_stack_timer_arm(c->st, &c->t, ev.retry_at);
		}
	}
	report(c, &ev);
}

/* What the application asked for while the REGISTER was out. */
static void next(struct sipd_reg_client *c, uint64_t now)
{
	if (!c->pending || c->freed || c->tx)
		return;
	c->pending = false;
	int rc = 0;
	if (c->want_reg) {
		if (c->state != SIPD_REG_REGISTERED) {
			c->failures = 0;
			rc = start_op(c, OP_REGISTER, false, now);
			if (rc)
				failed(c, OP_REGISTER, 0, NULL, false, now);
		}
	} else if (c->want_all ||
	           (c->state != SIPD_REG_IDLE && c->state != SIPD_REG_UNREGISTERED)) {
		rc = start_op(c, OP_UNREGISTER, c->want_all, now);
		if (rc)
			failed(c, OP_UNREGISTER, 0, NULL, true, now);
	}
}

static void registered(struct sipd_reg_client *c, const struct sipd_msg *resp, uint64_t now)
{
	uint32_t granted = granted_of(c, resp);
	if (!granted) {
		/* our Contact listed with expires=0: not bound */
		failed(c, OP_REGISTER, resp->status, resp, false, now);
		return;
	}
	c->state = SIPD_REG_REGISTERED;
	c->failures = 0;
	c->granted = granted;
	/* counted from the sending: the registrar's count started later */
	c->expires_at = c->sent_at + (uint64_t)granted * 1000;
	struct sipd_reg_event ev = {.state = SIPD_REG_REGISTERED,
	                            .status = resp->status,
	                            .resp = resp,
	                            .expires = granted,
	                            .expires_at = c->expires_at,
	                            .refresh_at = sipd_reg_refresh_at(c->sent_at, granted, c->t1),
	                            .retry_at = UINT64_MAX};
	if (c->want_reg)
		sipd_stack_timer_arm(c->st, &c->t, ev.refresh_at);
	report(c, &ev);
}

static void final_response(struct sipd_reg_client *c, enum reg_op op, bool local,
                           const struct sipd_msg *resp, uint64_t now)
{
	unsigned code = resp ? resp->status : 408;
	uint32_t v;
	if (code >= 200 && code < 300) {
		if (op == OP_REGISTER) {
			registered(c, resp, now);
			return;
		}
		c->state = SIPD_REG_UNREGISTERED;
		c->expires_at = 0;
		struct sipd_reg_event ev = {.state = SIPD_REG_UNREGISTERED,
		                            .status = code,
		                            .resp = resp,
		                            .retry_at = UINT64_MAX};
		report(c, &ev);
		return;
	}
	if (!local && (code == 401 || code == 407) && c->auth) {
		/* §22.1, §22.3: take the challenge and send again, unless these
		 * credentials were just refused */
		if (sipd_auth_client_challenge(c->auth, resp) == 0 &&
		    !sipd_auth_client_give_up(c->auth, c->creds)) {
			if (send_register(c, op, c->out_all, now) == 0)
				return;
			failed(c, op, 0, NULL, op != OP_REGISTER, now);
			return;
		}
		failed(c, op, code, resp, true, now);
		return;
	}
	if (!local && code == 423 && op == OP_REGISTER &&
	    header_uint(resp, SIPD_HDR_MIN_EXPIRES, &v) && v > c->expires_req &&
	    c->n423 < REG_MAX_423) {
		/* §10.2.8: ask again for at least Min-Expires */
		c->n423++;
		c->expires_req = v;
		if (send_register(c, op, false, now) == 0)
			return;
		failed(c, op, 0, NULL, false, now);
		return;
	}
	bool final = code == 401 || code == 407 || code == 423;
	failed(c, op, code, resp, final || op != OP_REGISTER, now);
}

static void on_response(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                        const struct sipd_msg *resp)
{
	struct sipd_reg_client *c = arg;
	if (ev == SIPD_TXN_TERMINATED) {
		if (tx == c->tx) {
			/* ended without a final response: the stack is going */
			c->tx = NULL;
			c->out = OP_NONE;
		}
		c->txns--;
		if (c->freed && !c->busy && !c->txns)
			release(c);
		return;
	}
	if (tx != c->tx || c->freed)
		return;
	if (ev == SIPD_TXN_RESPONSE && (!resp || resp->status < 200))
		return;
	uint64_t now = sipd_stack_now(c->st);
	enum reg_op op = (enum reg_op)c->out;
	c->tx = NULL;
	c->out = OP_NONE;
	enter(c);
	final_response(c, op, ev != SIPD_TXN_RESPONSE, resp, now);
	if (!c->freed && c->tx == NULL)
		next(c, now);
	leave(c);
}

/* ---------------------------------------------------------------- timer */

static void timer_fired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	struct sipd_reg_client *c = arg;
	if (c->tx || !c->want_reg)
		return;
	enter(c);
	/* §10.2.4: the refresh; or the next attempt after a failure */
	if (start_op(c, OP_REGISTER, false, now))
		failed(c, OP_REGISTER, 0, NULL, false, now);
	leave(c);
}
