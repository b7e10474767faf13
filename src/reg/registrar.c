/* Registration, the registrar's side (RFC 3261 §10.3): REGISTER requests
 * answered from an in-memory location service, AORs in a hash map keyed
 * by their canonical form, each with a short list of bindings. Every change
 * a request makes is prepared first and made only when all of it can be
 * (atomic, §10.3 step 7). Each binding has its own timer in the stack's
 * heap, armed at its expiry. */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "reg/reg.h"

struct reg_aor;

struct reg_binding {
	struct sipd_stack_timer t; /* fires at expires_at */
	struct reg_aor *aor;
	struct reg_binding *next;
	uint64_t expires_at;
	uint64_t order; /* when it was first registered, in the registrar's count */
	struct sipd_flow flow;
	uint32_t cseq;
	int q;
	char *uri, *params, *call_id; /* into text */
	struct sipd_uri parsed;       /* into uri */
	char text[];
};

struct reg_aor {
	struct sipd_hnode node;
	struct sipd_registrar *r;
	struct reg_binding *bindings; /* in the order they were first registered */
	uint32_t n;
	size_t len;
	char aor[]; /* canonical */
};

struct sipd_registrar {
	struct sipd_registrar_config cfg;
	struct sipd_stack *st;
	char *domains;
	uint8_t key[16];
	struct sipd_hmap aors;
	uint64_t order;
	struct sipd_registrar_stats stats;
};

/* What a REGISTER does to one of its Contacts, prepared before anything
 * changes. */
struct plan {
	struct sipd_nameaddr na;
	uint32_t expires;
	struct reg_binding *old;   /* the binding it updates or removes; NULL: none */
	struct reg_binding *fresh; /* the new block for it (expires > 0) */
	bool dup;                  /* a later Contact of the request names the same URI */
};

static void expired(void *arg, struct sipd_stack_timer *t, uint64_t now);

/* ---------------------------------------------------------------- life cycle */

struct sipd_registrar *sipd_registrar_create(const struct sipd_registrar_config *cfg)
{
	if (!cfg || cfg->size < offsetof(struct sipd_registrar_config, arg) || !cfg->stack)
		return NULL;
	/* §10.3 step 7: a 423 only for intervals under an hour */
	if (cfg->min_expires > 3600 || (cfg->max_expires && cfg->min_expires > cfg->max_expires))
		return NULL;
	struct sipd_registrar *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->st = cfg->stack;
	if (!r->cfg.default_expires)
		r->cfg.default_expires = 3600;
	if (r->cfg.max_expires && r->cfg.default_expires > r->cfg.max_expires)
		r->cfg.default_expires = r->cfg.max_expires;
	if (!r->cfg.max_aors)
		r->cfg.max_aors = 10000;
	if (!r->cfg.max_bindings)
		r->cfg.max_bindings = 10;
	if (!r->cfg.retry_after)
		r->cfg.retry_after = 60;
	if (cfg->domains) {
		size_t n = strlen(cfg->domains);
		r->domains = malloc(n + 1);
		if (!r->domains) {
			free(r);
			return NULL;
		}
		memcpy(r->domains, cfg->domains, n + 1);
	}
	r->cfg.domains = r->domains;
	/* AORs come from the network: a keyed hash (see common/hash.h) */
	sipd_stack_random_token(r->st, (char *)r->key, sizeof r->key);
	sipd_hmap_init(&r->aors);
	return r;
}

static void free_binding(struct sipd_registrar *r, struct reg_binding *b)
{
	sipd_stack_timer_cancel(r->st, &b->t);
	free(b);
}

void sipd_registrar_destroy(struct sipd_registrar *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->aors.nbuckets; i++) {
		struct sipd_hnode *n = r->aors.buckets[i];
		while (n) {
			struct sipd_hnode *next = n->next;
			struct reg_aor *a = (struct reg_aor *)n;
			for (struct reg_binding *b = a->bindings, *bn; b; b = bn) {
				bn = b->next;
				free_binding(r, b);
			}
			free(a);
			n = next;
		}
	}
	sipd_hmap_free(&r->aors);
	free(r->domains);
	free(r);
}

void sipd_registrar_stats(const struct sipd_registrar *r, struct sipd_registrar_stats *out)
{
	if (r && out)
		*out = r->stats;
}

/* ---------------------------------------------------------------- the location service */

static uint64_t aor_hash(const struct sipd_registrar *r, const char *aor, size_t len)
{
	return sipd_siphash(r->key, aor, len);
}

static struct reg_aor *aor_find(const struct sipd_registrar *r, const char *aor, size_t len)
{
	uint64_t h = aor_hash(r, aor, len);
	for (struct sipd_hnode *n = sipd_hmap_first(&r->aors, h); n; n = sipd_hmap_next(n, h)) {
		struct reg_aor *a = (struct reg_aor *)n;
		if (a->len == len && memcmp(a->aor, aor, len) == 0)
			return a;
	}
	return NULL;
}

static void aor_drop(struct sipd_registrar *r, struct reg_aor *a)
{
	sipd_hmap_remove(&r->aors, &a->node);
	r->stats.aors--;
	free(a);
}

static void unlink_binding(struct reg_aor *a, struct reg_binding *b)
{
	for (struct reg_binding **p = &a->bindings; *p; p = &(*p)->next) {
		if (*p == b) {
			*p = b->next;
			a->n--;
			return;
		}
	}
}

/* Removes the bindings past their time; true when any went. */
static bool purge(struct sipd_registrar *r, struct reg_aor *a, uint64_t now)
{
	bool any = false;
	for (struct reg_binding *b = a->bindings, *bn; b; b = bn) {
		bn = b->next;
		if (b->expires_at > now)
			continue;
		unlink_binding(a, b);
		free_binding(r, b);
		r->stats.bindings--;
		r->stats.expired++;
		any = true;
	}
	return any;
}

static void expired(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	struct reg_binding *b = arg;
	struct reg_aor *a = b->aor;
	struct sipd_registrar *r = a->r;
	/* §10.2.2: registrations are soft state */
	unlink_binding(a, b);
	free(b);
	r->stats.bindings--;
	r->stats.expired++;
	char aor[REG_MAX_URI + 1];
	memcpy(aor, a->aor, a->len + 1);
	if (!a->n)
		aor_drop(r, a);
	if (r->cfg.changed)
		r->cfg.changed(r->cfg.arg, aor, now);
}

/* ---------------------------------------------------------------- helpers */

static bool in_domains(const char *list, const char *host, size_t len)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if ((size_t)(p - s) == len && len) {
			bool eq = true;
			for (size_t i = 0; i < len && eq; i++)
				eq = (s[i] | 0x20) == (host[i] | 0x20);
			if (eq)
				return true;
		}
	}
	return false;
}

/* A host unescaped, for comparing with the domains. */
static int host_of(const struct sipd_uri *u, char *out, size_t cap)
{
	return sipd__reg_unescape(u->host, out, cap);
}

static bool host_ieq(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return false;
	for (int i = 0; i < alen; i++)
		if ((a[i] | 0x20) != (b[i] | 0x20))
			return false;
	return true;
}

/* "q=0.5": a qvalue in thousandths, written short. */
static void put_q(struct sipd_buf *b, int q)
{
	sipd_buf_puts(b, ";q=");
	sipd_buf_putu(b, (uint64_t)(q / 1000));
	int frac = q % 1000;
	if (!frac)
		return;
	char d[4] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
	             (char)('0' + frac % 10), 0};
	size_t n = 3;
	while (n > 1 && d[n - 1] == '0')
		n--;
	sipd_buf_puts(b, ".");
	sipd_buf_put(b, d, n);
}

static uint32_t remaining(const struct reg_binding *b, uint64_t now)
{
	/* rounded up: a binding still there is never listed with 0 */
	uint64_t ms = b->expires_at > now ? b->expires_at - now : 0;
	uint64_t s = (ms + 999) / 1000;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void respond(struct sipd_registrar *r, struct sipd_txn *tx, unsigned code,
                    const char *reason, const char *headers, size_t len)
{
	char tag[12];
	sipd_stack_random_token(r->st, tag, sizeof tag);
	struct sipd_response resp = {
		.size = sizeof resp,
		.code = code,
		.reason = reason,
		.to_tag = {tag, sizeof tag},
		.headers = {headers, headers ? len : 0},
	};
	sipd_txn_respond(tx, &resp, sipd_stack_now(r->st));
	if (code == 200)
		r->stats.ok++;
	else if (code == 401)
		r->stats.challenged++;
	else if (code == 500)
		r->stats.failed++;
	else if (code == 503)
		r->stats.full++;
	else
		r->stats.refused++;
}

static void respond_uint(struct sipd_registrar *r, struct sipd_txn *tx, unsigned code,
                         const char *name, uint32_t v)
{
	char line[64];
	struct sipd_buf b;
	sipd_buf_init(&b, line, sizeof line);
	sipd_build_header_uint(&b, name, v);
	respond(r, tx, code, NULL, line, b.len);
}

/* The bytes of a binding's line in the 200, at most: "Contact: <", ">",
 * ";q=0.xxx", ";expires=" and ten digits, CRLF. */
static size_t line_size(const struct reg_binding *b)
{
	return strlen(b->uri) + strlen(b->params) + 64;
}

/* §10.3 step 8: 200 with every binding and its remaining interval, written
 * into mem (cap bytes, sized with line_size() before anything changed, so
 * that a change made is always answered 200). */
static void respond_bindings(struct sipd_registrar *r, struct sipd_txn *tx, struct reg_aor *a,
                             uint64_t now, char *mem, size_t cap)
{
	struct sipd_buf buf;
	sipd_buf_init(&buf, mem, cap);
	for (struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next) {
		sipd_buf_puts(&buf, "Contact: <");
		sipd_buf_puts(&buf, b->uri);
		sipd_buf_puts(&buf, ">");
		sipd_buf_puts(&buf, b->params);
		if (b->q >= 0)
			put_q(&buf, b->q);
		sipd_buf_puts(&buf, ";expires=");
		sipd_buf_putu(&buf, remaining(b, now));
		sipd_buf_puts(&buf, "\r\n");
	}
	respond(r, tx, 200, NULL, mem, buf.overflow ? 0 : buf.len);
}

/* The header parameters of a Contact other than expires and q, to keep. */
static size_t other_params(struct sipd_str params, char *out, size_t cap)
{
	struct sipd_buf b;
	sipd_buf_init(&b, out, cap);
	struct sipd_str n, v;
	while (sipd_param_next(&params, &n, &v)) {
		if (sipd_str_ieq(n, "expires") || sipd_str_ieq(n, "q"))
			continue;
		sipd_buf_puts(&b, ";");
		sipd_buf_putstr(&b, n);
		if (v.p) {
			sipd_buf_puts(&b, "=");
			sipd_buf_putstr(&b, v);
		}
	}
	return b.len;
}

/* A new block for a binding of plan p, its timer armed. NULL when memory
 * (or the timer heap) runs out. */
static struct reg_binding *make_binding(struct sipd_registrar *r, const struct plan *p,
                                        const struct sipd_msg *req, const struct sipd_flow *from,
                                        uint64_t now)
{
	struct sipd_str uri = p->na.uri.raw;
	size_t plen = p->na.params.len + 1;
	size_t need = uri.len + 1 + plen + 1 + req->call_id.len + 1;
	struct reg_binding *b = calloc(1, sizeof *b + need);
	if (!b)
		return NULL;
	char *w = b->text;
	b->uri = w;
	memcpy(w, uri.p, uri.len);
	w[uri.len] = 0;
	w += uri.len + 1;
	b->params = w;
	size_t n = p->na.params.p ? other_params(p->na.params, w, plen) : 0;
	w[n] = 0;
	w += plen + 1;
	b->call_id = w;
	memcpy(w, req->call_id.p, req->call_id.len);
	w[req->call_id.len] = 0;
	sipd_uri_parse(&b->parsed, b->uri, uri.len, NULL);
	b->cseq = req->cseq.seq;
	b->q = sipd_contact_q(&p->na);
	b->flow = from ? *from : (struct sipd_flow){0};
	b->expires_at = now + (uint64_t)p->expires * 1000;
	b->order = p->old ? p->old->order : ++r->order;
	sipd_stack_timer_init(&b->t, expired, b);
	if (sipd_stack_timer_arm(r->st, &b->t, b->expires_at)) {
		free(b);
		return NULL;
	}
	return b;
}

/* ---------------------------------------------------------------- §10.3 */

/* Steps 3 and 4: authentication and authorization. Returns 0 to go on, or
 * the status sent. */
static unsigned authenticate(struct sipd_registrar *r, struct sipd_txn *tx,
                             const struct sipd_msg *req, const char *aor, const char *aor_user,
                             uint64_t now)
{
	if (!r->cfg.auth)
		return 0;
	struct sipd_auth_verdict v;
	if (sipd_auth_server_verify(r->cfg.auth, req, now, &v)) {
		respond(r, tx, 500, NULL, NULL, 0);
		return 500;
	}
	switch (v.result) {
	case SIPD_AUTH_OK: break;
	case SIPD_AUTH_MALFORMED: respond(r, tx, 400, "Bad Credentials", NULL, 0); return 400;
	default: {
		/* §22.2: no, stale or wrong credentials: a challenge */
		char lines[2048];
		struct sipd_buf b;
		sipd_buf_init(&b, lines, sizeof lines);
		if (sipd_auth_server_challenge(r->cfg.auth, &b, v.result == SIPD_AUTH_STALE, now)) {
			respond(r, tx, 500, NULL, NULL, 0);
			return 500;
		}
		respond(r, tx, 401, NULL, lines, b.len);
		return 401;
	}
	}
	if (!aor)
		return 0; /* step 5 answers 404 */
	bool ok = r->cfg.authorize ? r->cfg.authorize(r->cfg.arg, v.username, aor)
	                           : aor_user && strcmp(aor_user, v.username) == 0;
	if (!ok) {
		/* step 4 */
		respond(r, tx, 403, NULL, NULL, 0);
		return 403;
	}
	return 0;
}

/* Step 6 for "*": every binding goes, unless one of this Call-ID has seen
 * this CSeq or a later one. */
static void remove_all(struct sipd_registrar *r, struct sipd_txn *tx, const struct sipd_msg *req,
                       struct reg_aor *a, bool purged, const char *aor, uint64_t now)
{
	for (struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next) {
		if (sipd_str_eq(req->call_id, b->call_id) && req->cseq.seq <= b->cseq) {
			respond(r, tx, 500, "Server Internal Error (CSeq out of order)", NULL, 0);
			goto changed;
		}
	}
	if (a) {
		for (struct reg_binding *b = a->bindings, *bn; b; b = bn) {
			bn = b->next;
			free_binding(r, b);
			r->stats.bindings--;
		}
		a->bindings = NULL;
		a->n = 0;
		aor_drop(r, a);
		purged = true;
	}
	char none[1];
	respond_bindings(r, tx, NULL, now, none, sizeof none);
changed:
	if (purged && r->cfg.changed)
		r->cfg.changed(r->cfg.arg, aor, now);
}

/* Step 7: the interval a Contact asks for. Returns false for a malformed
 * Expires header. */
static bool requested(const struct sipd_registrar *r, const struct sipd_msg *req,
                      const struct sipd_nameaddr *na, uint32_t *out)
{
	int64_t e = sipd_contact_expires(na);
	if (e >= 0) {
		*out = (uint32_t)e;
		return true;
	}
	const struct sipd_hdr *h = sipd_msg_find(req, SIPD_HDR_EXPIRES);
	if (h)
		return sipd_uint_parse(out, h->value, NULL) == 0;
	*out = r->cfg.default_expires;
	return true;
}

/* Whether an earlier Contact of the request already updates binding b. */
static bool claimed(const struct plan *plan, size_t np, const struct reg_binding *b)
{
	for (size_t k = 0; k < np; k++)
		if (!plan[k].dup && plan[k].old == b)
			return true;
	return false;
}

/* Makes the prepared changes; true when any binding changed. Nothing here
 * can fail. */
static bool commit(struct sipd_registrar *r, struct reg_aor *a, struct plan *plan, size_t np)
{
	bool any = false;
	for (size_t k = 0; k < np; k++) {
		struct plan *p = &plan[k];
		if (p->dup || (!p->old && !p->fresh))
			continue;
		any = true;
		if (p->fresh)
			p->fresh->aor = a;
		if (p->old) {
			struct reg_binding **pp = &a->bindings;
			while (*pp != p->old)
				pp = &(*pp)->next;
			if (p->fresh) {
				p->fresh->next = p->old->next;
				*pp = p->fresh; /* in the old one's place */
			} else {
				*pp = p->old->next;
				a->n--;
				r->stats.bindings--;
			}
			free_binding(r, p->old);
		} else {
			struct reg_binding **pp = &a->bindings;
			while (*pp)
				pp = &(*pp)->next;
			*pp = p->fresh;
			a->n++;
			r->stats.bindings++;
		}
	}
	return any;
}

/* Steps 6 (without "*") to 8. */
static void update(struct sipd_registrar *r, struct sipd_txn *tx, const struct sipd_msg *req,
                   const struct sipd_flow *from, const char *aor, size_t aor_len, size_t ncontacts,
                   bool purged, uint64_t now)
{
	struct reg_aor *a = aor_find(r, aor, aor_len);
	struct plan *plan = ncontacts ? calloc(ncontacts, sizeof *plan) : NULL;
	unsigned code = 0;
	const char *reason = NULL;
	if (ncontacts && !plan) {
		code = 500;
		goto out;
	}
	size_t np = 0;
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, req, SIPD_HDR_CONTACT);
	while (np < ncontacts && sipd_hdr_iter_next(&it, &v)) {
		struct plan *p = &plan[np];
		if (sipd_nameaddr_parse(&p->na, v, false, NULL) || p->na.star ||
		    p->na.uri.raw.len > REG_MAX_URI) {
			code = 400;
			reason = "Bad Contact";
			goto out;
		}
		if (!requested(r, req, &p->na, &p->expires)) {
			code = 400;
			reason = "Bad Expires";
			goto out;
		}
		/* step 7: too brief only when under an hour (min_expires is) */
		if (p->expires && p->expires < r->cfg.min_expires) {
			free(plan);
			respond_uint(r, tx, 423, "Min-Expires", r->cfg.min_expires);
			goto changed;
		}
		if (r->cfg.max_expires && p->expires > r->cfg.max_expires)
			p->expires = r->cfg.max_expires;
		/* the same URI twice in one request: the later one counts */
		bool seen = false;
		for (size_t k = 0; k < np && !seen; k++) {
			if (!plan[k].dup && sipd__reg_uri_equal(&plan[k].na.uri, &p->na.uri)) {
				plan[k].dup = true;
				p->old = plan[k].old;
				seen = true;
			}
		}
		for (struct reg_binding *b = a && !seen ? a->bindings : NULL; b; b = b->next) {
			/* §19.1.4 is not transitive (a parameter in one URI only
			 * is ignored): two Contacts may each equal one binding
			 * without equalling each other; the first one takes it */
			if (!sipd__reg_uri_equal(&b->parsed, &p->na.uri) || claimed(plan, np, b))
				continue;
			/* step 7: a REGISTER of the same Call-ID that is not newer
			 * than the binding is out of order */
			if (sipd_str_eq(req->call_id, b->call_id) && req->cseq.seq <= b->cseq) {
				code = 500;
				reason = "Server Internal Error (CSeq out of order)";
				goto out;
			}
			p->old = b;
			break;
		}
		np++;
	}
	/* the caps, on growth only */
	uint32_t count = a ? a->n : 0;
	for (size_t k = 0; k < np; k++) {
		if (plan[k].dup)
			continue;
		if (plan[k].old && !plan[k].expires)
			count--;
		else if (!plan[k].old && plan[k].expires)
			count++;
	}
	if (count > (a ? a->n : 0) &&
	    (count > r->cfg.max_bindings || (!a && r->stats.aors >= r->cfg.max_aors))) {
		free(plan);
		respond_uint(r, tx, 503, "Retry-After", r->cfg.retry_after);
		goto changed;
	}
	/* everything that can fail, before anything changes */
	struct reg_aor *fresh_aor = NULL;
	if (!a && count) {
		fresh_aor = calloc(1, sizeof *fresh_aor + aor_len + 1);
		if (!fresh_aor) {
			code = 500;
			goto out;
		}
		fresh_aor->r = r;
		fresh_aor->len = aor_len;
		memcpy(fresh_aor->aor, aor, aor_len + 1);
		fresh_aor->node.hash = aor_hash(r, aor, aor_len);
	}
	for (size_t k = 0; k < np; k++) {
		if (plan[k].dup || !plan[k].expires)
			continue;
		plan[k].fresh = make_binding(r, &plan[k], req, from, now);
		if (!plan[k].fresh) {
			for (size_t j = 0; j < k; j++)
				if (plan[j].fresh)
					free_binding(r, plan[j].fresh);
			free(fresh_aor);
			code = 500;
			goto out;
		}
	}
	size_t cap = 1;
	for (struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next)
		cap += line_size(b);
	for (size_t k = 0; k < np; k++)
		if (plan[k].fresh)
			cap += line_size(plan[k].fresh);
	char *mem = malloc(cap);
	if (!mem || (fresh_aor && sipd_hmap_insert(&r->aors, &fresh_aor->node))) {
		for (size_t k = 0; k < np; k++)
			if (plan[k].fresh)
				free_binding(r, plan[k].fresh);
		free(fresh_aor);
		free(mem);
		code = 500;
		goto out;
	}
	if (fresh_aor) {
		r->stats.aors++;
		a = fresh_aor;
	}
	if (commit(r, a, plan, np))
		purged = true;
	if (a && !a->n) {
		aor_drop(r, a);
		a = NULL;
	}
	respond_bindings(r, tx, a, now, mem, cap);
	free(mem);
	free(plan);
	goto changed;
out:
	free(plan);
	respond(r, tx, code, reason, NULL, 0);
changed:
	if (purged && r->cfg.changed)
		r->cfg.changed(r->cfg.arg, aor, now);
}

int sipd_registrar_request(struct sipd_registrar *r, struct sipd_txn *tx,
                           const struct sipd_msg *req, const struct sipd_flow *from)
{
	if (!r || !tx || !req || req->method != SIPD_METHOD_REGISTER)
		return -1;
	uint64_t now = sipd_stack_now(r->st);
	r->stats.requests++;
	char rhost[256], thost[256];
	int rh = 0, th = 0;
	/* step 1: a domain we serve */
	if (r->cfg.domains) {
		rh = host_of(&req->ruri, rhost, sizeof rhost);
		if (rh < 0 || (req->ruri.kind != SIPD_URI_SIP && req->ruri.kind != SIPD_URI_SIPS) ||
		    !in_domains(r->cfg.domains, rhost, (size_t)rh)) {
			respond(r, tx, 404, "Not Found (domain not served here)", NULL, 0);
			return 0;
		}
	}
	/* step 5 (read early: step 4 needs it): the AOR from To */
	char aor[REG_MAX_URI + 1];
	char user[REG_MAX_URI + 1];
	int alen = sipd__reg_canonical(&req->to.uri, aor, sizeof aor);
	bool has_user =
		req->to.uri.user.p && sipd__reg_unescape(req->to.uri.user, user, sizeof user) >= 0;
	/* step 2 was the core's (420); step 3 and 4 */
	if (authenticate(r, tx, req, alen >= 0 ? aor : NULL, has_user ? user : NULL, now))
		return 0;
	if (alen < 0) {
		respond(r, tx, 404, "Not Found (not a SIP or SIPS address-of-record)", NULL, 0);
		return 0;
	}
	if (r->cfg.domains) {
		th = host_of(&req->to.uri, thost, sizeof thost);
		if (th < 0 || !host_ieq(rhost, rh, thost, th)) {
			respond(r, tx, 404, "Not Found (address-of-record not in this domain)",
			        NULL, 0);
			return 0;
		}
	}
	/* bindings past their time are gone before anything is compared */
	struct reg_aor *a = aor_find(r, aor, (size_t)alen);
	bool purged = a && purge(r, a, now);
	if (a && !a->n) {
		aor_drop(r, a);
		a = NULL;
	}
	/* step 6 */
	size_t ncontacts = 0;
	bool star = false;
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, req, SIPD_HDR_CONTACT);
	while (sipd_hdr_iter_next(&it, &v)) {
		struct sipd_nameaddr na;
		ncontacts++;
		if (sipd_nameaddr_parse(&na, v, false, NULL) == 0 && na.star)
			star = true;
	}
	if (star) {
		const struct sipd_hdr *h = sipd_msg_find(req, SIPD_HDR_EXPIRES);
		uint32_t e;
		if (ncontacts != 1 || !h || sipd_uint_parse(&e, h->value, NULL) || e != 0) {
			respond(r, tx, 400, "Invalid Request (Contact: * needs Expires: 0 alone)",
			        NULL, 0);
			if (purged && r->cfg.changed)
				r->cfg.changed(r->cfg.arg, aor, now);
			return 0;
		}
		remove_all(r, tx, req, a, purged, aor, now);
		return 0;
	}
	update(r, tx, req, from, aor, (size_t)alen, ncontacts, purged, now);
	return 0;
}

/* ---------------------------------------------------------------- lookup */

static int pref(const struct reg_binding *b)
{
	return b->q >= 0 ? b->q : 1000;
}

int sipd_registrar_lookup(struct sipd_registrar *r, struct sipd_str aor, uint64_t now,
                          struct sipd_registrar_binding *out, size_t cap)
{
	if (!r || (!out && cap))
		return SIPD_EINVAL;
	char key[REG_MAX_URI + 1];
	int len = sipd_reg_aor_canonical(aor, key, sizeof key);
	if (len < 0)
		return len;
	struct reg_aor *a = aor_find(r, key, (size_t)len);
	if (!a)
		return 0;
	/* those past their time are left out, not removed: their timers
	 * remove them, and tell `changed` */
	size_t n = 0;
	struct reg_binding *sorted[64];
	struct reg_binding **list = a->n <= 64 ? sorted : malloc(a->n * sizeof *list);
	if (!list)
		return SIPD_ENOMEM;
	for (struct reg_binding *b = a->bindings; b; b = b->next) {
		if (b->expires_at <= now)
			continue;
		/* insertion sort: q descending, then the oldest first (stable) */
		size_t k = n++;
		while (k > 0 && (pref(list[k - 1]) < pref(b) ||
		                 (pref(list[k - 1]) == pref(b) && list[k - 1]->order > b->order))) {
			list[k] = list[k - 1];
			k--;
		}
		list[k] = b;
	}
	for (size_t k = 0; k < n && k < cap; k++) {
		const struct reg_binding *b = list[k];
		out[k] = (struct sipd_registrar_binding){
			.uri = b->uri,
			.params = b->params,
			.call_id = b->call_id,
			.cseq = b->cseq,
			.q = b->q,
			.expires = remaining(b, now),
			.expires_at = b->expires_at,
			.flow = b->flow,
		};
	}
	if (list != sorted)
		free(list);
	return (int)n;
}
