/* Dialogs (RFC 3261 §12): state, creation, the table, requests within. */
#include <stdlib.h>
#include <string.h>

#include <sipdialog/dialog.h>

#include "common/hash.h"

/* A string of the dialog: an offset and length into its block (fixed part)
 * or into its dynamic area (remote target and route set, which change).
 * Each part is at most 64 KiB (make, set_dyn): a message of the default
 * maximum size fits whole. */
struct span {
	uint16_t off, len;
};

#define MAX_ROUTES 32

struct sipd_dialog {
	struct sipd_hnode node;
	struct sipd_dialogs *table;
	void *user;
	char *dyn;
	uint32_t local_seq, remote_seq;
	unsigned usages;
	uint32_t dyn_cap;
	struct span call_id, local_tag, remote_tag, local_uri, remote_uri, local_contact;
	/* the dynamic part, in `dyn`: the routes' lengths (nroutes 16-bit
	 * numbers), the remote target, then the routes back to back. Most
	 * dialogs have no route, and none pays for 32 spans. */
	struct span target;
	uint16_t nroutes;
	uint8_t state, reason, role;
	bool secure, has_local_seq, has_remote_seq, in_table;
	bool dyn_owned; /* dyn was allocated apart (a refresh outgrew the block) */
	char data[];    /* fixed strings, then the initial dynamic area */
};

struct sipd_dialogs {
	struct sipd_hmap map;
	uint8_t key[16];
	uint32_t max;
	struct sipd_dialogs_callbacks cb;
	void *user;
};

#define CONTAINER(n) ((struct sipd_dialog *)(void *)(n))

/* ---------------------------------------------------------------- table */

struct sipd_dialogs *sipd_dialogs_create(const struct sipd_dialogs_config *cfg)
{
	if (!cfg || cfg->size < sizeof *cfg || !cfg->random)
		return NULL;
	struct sipd_dialogs *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	sipd_hmap_init(&t->map);
	t->max = cfg->max_dialogs ? cfg->max_dialogs : 1000000;
	if (cfg->cb)
		memcpy(&t->cb, cfg->cb, cfg->cb->size < sizeof t->cb ? cfg->cb->size : sizeof t->cb);
	t->user = cfg->user;
	cfg->random(cfg->user, t->key, sizeof t->key);
	return t;
}

static void dialog_release(struct sipd_dialog *d)
{
	if (d->dyn_owned)
		free(d->dyn);
	free(d);
}

void sipd_dialogs_destroy(struct sipd_dialogs *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < t->map.nbuckets; b++) {
		struct sipd_hnode *n = t->map.buckets[b];
		while (n) {
			struct sipd_hnode *next = n->next;
			dialog_release(CONTAINER(n));
			n = next;
		}
	}
	sipd_hmap_free(&t->map);
	free(t);
}

size_t sipd_dialogs_count(const struct sipd_dialogs *t)
{
	return t->map.count;
}

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t id_hash(const struct sipd_dialogs *t, struct sipd_str call_id, struct sipd_str lt,
                        struct sipd_str rt)
{
	return sipd_siphash(t->key, call_id.p, call_id.len) ^
	       rotl(sipd_siphash(t->key, lt.p, lt.len), 21) ^
	       rotl(sipd_siphash(t->key, rt.p, rt.len), 42);
}

static struct sipd_str str_of(const struct sipd_dialog *d, struct span s)
{
	return (struct sipd_str){d->data + s.off, s.len};
}

static struct sipd_str dyn_of(const struct sipd_dialog *d, struct span s)
{
	return (struct sipd_str){d->dyn + s.off, s.len};
}

static bool same(struct sipd_str a, struct sipd_str b)
{
	return a.len == b.len && (!a.len || memcmp(a.p, b.p, a.len) == 0);
}

struct sipd_dialog *sipd_dialogs_find(const struct sipd_dialogs *t, struct sipd_str call_id,
                                      struct sipd_str local_tag, struct sipd_str remote_tag)
{
	uint64_t h = id_hash(t, call_id, local_tag, remote_tag);
	for (struct sipd_hnode *n = sipd_hmap_first(&t->map, h); n; n = sipd_hmap_next(n, h)) {
		struct sipd_dialog *d = CONTAINER(n);
		/* §12: Call-ID and tags compare as they are (tags are tokens,
		 * compared case-sensitively, §19.3) */
		if (same(str_of(d, d->call_id), call_id) && same(str_of(d, d->local_tag), local_tag) &&
		    same(str_of(d, d->remote_tag), remote_tag))
			return d;
	}
	return NULL;
}

struct sipd_dialog *sipd_dialogs_match_request(const struct sipd_dialogs *t,
                                               const struct sipd_msg *req)
{
	return sipd_dialogs_find(t, req->call_id, req->to.tag, req->from.tag);
}

struct sipd_dialog *sipd_dialogs_match_response(const struct sipd_dialogs *t,
                                                const struct sipd_msg *resp)
{
	return sipd_dialogs_find(t, resp->call_id, resp->from.tag, resp->to.tag);
}

void sipd_dialog_free(struct sipd_dialog *d)
{
	if (!d)
		return;
	if (d->in_table)
		sipd_hmap_remove(&d->table->map, &d->node);
	dialog_release(d);
}

/* ---------------------------------------------------------------- building */

/* What a new dialog is made of, before it is laid out in one block. */
struct parts {
	struct sipd_str call_id, local_tag, remote_tag, local_uri, remote_uri, local_contact;
	struct sipd_str target;
	struct sipd_str routes[MAX_ROUTES];
	size_t nroutes;
};

/* Spare room when the dynamic area has to be allocated again (a refresh
 * outgrew it), so that the next refresh usually fits in place. */
#define DYN_SLACK 64

static size_t dyn_need(struct sipd_str target, const struct sipd_str *routes, size_t n)
{
	size_t need = n * sizeof(uint16_t) + target.len;
	for (size_t i = 0; i < n; i++)
		need += routes[i].len;
	return need;
}

static uint16_t route_len(const struct sipd_dialog *d, size_t i)
{
	uint16_t len;
	memcpy(&len, d->dyn + i * sizeof len, sizeof len);
	return len;
}

/* Route i: after the lengths, the target and the routes before it (at most
 * MAX_ROUTES to add up, and only when a request is built). */
static struct sipd_str route_of(const struct sipd_dialog *d, size_t i)
{
	size_t off = d->nroutes * sizeof(uint16_t) + d->target.len;
	for (size_t k = 0; k < i; k++)
		off += route_len(d, k);
	return (struct sipd_str){d->dyn + off, route_len(d, i)};
}

static bool inside(const struct sipd_dialog *d, struct sipd_str s)
{
	return s.len && s.p >= d->dyn && s.p < d->dyn + d->dyn_cap;
}

/* Writes target and routes into the dynamic area: in place when they fit and
 * do not come from it, else into a new area (the old one freed if it was
 * apart). Returns 0, or SIPD_ENOMEM with the dialog unchanged. */
static int set_dyn(struct sipd_dialog *d, struct sipd_str target, const struct sipd_str *routes,
                   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (routes[i].len > UINT16_MAX)
			return SIPD_EINVAL;
	size_t need = dyn_need(target, routes, n);
	if (need > UINT16_MAX)
		return SIPD_EINVAL;
	bool overlap = inside(d, target);
	for (size_t i = 0; i < n && !overlap; i++)
		overlap = inside(d, routes[i]);
	char *area = d->dyn;
	size_t cap = d->dyn_cap;
	/* New strings taken from the area itself (a refresh keeps the routes)
	 * are laid out in a scratch buffer first, then copied back in place. */
	char scratch[2048];
	bool via_scratch = overlap && need <= cap && need <= sizeof scratch;
	if (via_scratch) {
		area = scratch;
	} else if (overlap || need > cap) {
		cap = need + DYN_SLACK;
		area = malloc(cap);
		if (!area)
			return SIPD_ENOMEM;
	}
	size_t off = n * sizeof(uint16_t);
	d->target = (struct span){(uint16_t)off, (uint16_t)target.len};
	if (target.len)
		memcpy(area + off, target.p, target.len);
	off += target.len;
	for (size_t i = 0; i < n; i++) {
		uint16_t len = (uint16_t)routes[i].len;
		memcpy(area + i * sizeof len, &len, sizeof len);
		if (routes[i].len)
			memcpy(area + off, routes[i].p, routes[i].len);
		off += routes[i].len;
	}
	d->nroutes = (uint16_t)n;
	if (via_scratch) {
		memcpy(d->dyn, scratch, need);
	} else if (area != d->dyn) {
		if (d->dyn_owned)
			free(d->dyn);
		d->dyn = area;
		d->dyn_cap = (uint32_t)cap;
		d->dyn_owned = true;
	}
	return 0;
}

static int make(struct sipd_dialogs *t, const struct parts *p, enum sipd_dialog_role role,
                enum sipd_dialog_state st, bool secure, struct sipd_dialog **out)
{
	if (t->map.count >= t->max)
		return SIPD_ELIMIT;
	if (sipd_dialogs_find(t, p->call_id, p->local_tag, p->remote_tag))
		return SIPD_EINVAL; /* that dialog exists */
	const struct sipd_str *fixed[] = {&p->call_id, &p->local_tag, &p->remote_tag,
	                                  &p->local_uri, &p->remote_uri, &p->local_contact};
	size_t flen = 0;
	for (size_t i = 0; i < 6; i++)
		flen += fixed[i]->len;
	for (size_t i = 0; i < p->nroutes; i++)
		if (p->routes[i].len > UINT16_MAX)
			return SIPD_EINVAL;
	/* exact: a refresh that outgrows it allocates apart, with slack */
	size_t dcap = dyn_need(p->target, p->routes, p->nroutes);
	if (flen > UINT16_MAX || dcap > UINT16_MAX)
		return SIPD_EINVAL;
	struct sipd_dialog *d = calloc(1, sizeof *d + flen + dcap);
	if (!d)
		return SIPD_ENOMEM;
	struct span *spans[] = {&d->call_id, &d->local_tag, &d->remote_tag,
	                        &d->local_uri, &d->remote_uri, &d->local_contact};
	size_t off = 0;
	for (size_t i = 0; i < 6; i++) {
		*spans[i] = (struct span){(uint16_t)off, (uint16_t)fixed[i]->len};
		if (fixed[i]->len)
			memcpy(d->data + off, fixed[i]->p, fixed[i]->len);
		off += fixed[i]->len;
	}
	d->dyn = d->data + flen;
	d->dyn_cap = (uint32_t)dcap;
	set_dyn(d, p->target, p->routes, p->nroutes); /* fits, from the message: in place */
	d->table = t;
	d->role = (uint8_t)role;
	d->state = (uint8_t)st;
	d->secure = secure;
	d->node.hash = id_hash(t, p->call_id, p->local_tag, p->remote_tag);
	if (sipd_hmap_insert(&t->map, &d->node)) {
		dialog_release(d);
		return SIPD_ENOMEM;
	}
	d->in_table = true;
	*out = d;
	if (t->cb.state)
		t->cb.state(t->user, d, st, SIPD_END_NONE);
	return 0;
}

/* The URI inside a name-addr value, for From/To (§12.1.1: the URI only). */
static struct sipd_str uri_of(const struct sipd_nameaddr *na)
{
	return na->uri.raw;
}

/* The route set from the Record-Route headers: each value, in message order. */
static int record_routes(const struct sipd_msg *m, struct parts *p)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	p->nroutes = 0;
	sipd_hdr_iter_init(&it, m, SIPD_HDR_RECORD_ROUTE);
	while (sipd_hdr_iter_next(&it, &v)) {
		if (p->nroutes == MAX_ROUTES)
			return SIPD_ELIMIT;
		struct sipd_nameaddr na;
		if (sipd_nameaddr_parse(&na, v, true, NULL))
			return SIPD_EPARSE;
		p->routes[p->nroutes++] = v;
	}
	return 0;
}

static void reverse(struct sipd_str *r, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct sipd_str t = r[i];
		r[i] = r[n - 1 - i];
		r[n - 1 - i] = t;
	}
}

/* The one Contact URI a dialog-creating message must carry (§8.1.1.8). */
static int contact_uri(const struct sipd_msg *m, struct sipd_str *out)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	unsigned n = 0;
	sipd_hdr_iter_init(&it, m, SIPD_HDR_CONTACT);
	while (sipd_hdr_iter_next(&it, &v)) {
		struct sipd_nameaddr na;
		if (sipd_nameaddr_parse(&na, v, false, NULL) || na.star)
			return SIPD_EPARSE;
		*out = na.uri.raw;
		n++;
	}
	return n == 1 ? 0 : SIPD_EPARSE;
}

int sipd_dialog_create_uas(struct sipd_dialogs *t, const struct sipd_msg *req,
                           struct sipd_str local_tag, const struct sipd_dialog_opts *o,
                           struct sipd_dialog **out)
{
	if (!t || !req || !req->is_request || !local_tag.len || !o || !out)
		return SIPD_EINVAL;
	struct parts p = {0};
	int rc = contact_uri(req, &p.target);
	if (rc)
		return rc;
	/* §12.1.1: Record-Route in order; remote sequence from CSeq; URIs from
	 * From (remote) and To (local); the remote tag may be empty (RFC 2543) */
	rc = record_routes(req, &p);
	if (rc)
		return rc;
	p.call_id = req->call_id;
	p.local_tag = local_tag;
	p.remote_tag = req->from.tag;
	p.local_uri = uri_of(&req->to);
	p.remote_uri = uri_of(&req->from);
	p.local_contact = o->local_contact;
	struct sipd_dialog *d;
	rc = make(t, &p, SIPD_DIALOG_UAS, SIPD_DIALOG_EARLY,
	          o->tls && req->ruri.kind == SIPD_URI_SIPS, &d);
	if (rc)
		return rc;
	d->remote_seq = req->cseq.seq;
	d->has_remote_seq = true;
	*out = d;
	return 0;
}

int sipd_dialog_create_uac(struct sipd_dialogs *t, const struct sipd_msg *req,
                           const struct sipd_msg *resp, const struct sipd_dialog_opts *o,
                           struct sipd_dialog **out)
{
	if (!t || !req || !resp || !req->is_request || resp->is_request || !o || !out ||
	    resp->status < 101 || resp->status >= 300)
		return SIPD_EINVAL;
	bool ok2xx = resp->status >= 200;
	if (!resp->to.tag.len && !ok2xx)
		return SIPD_EINVAL; /* §12.1: no tag, no early dialog */
	struct parts p = {0};
	int rc = contact_uri(resp, &p.target);
	if (rc) {
		if (ok2xx)
			return rc;
		p.target = req->ruri.raw;
	}
	/* §12.1.2: Record-Route reversed; local sequence from the request's
	 * CSeq; URIs from From (local) and To (remote) */
	rc = record_routes(resp, &p);
	if (rc)
		return rc;
	reverse(p.routes, p.nroutes);
	p.call_id = req->call_id;
	p.local_tag = req->from.tag;
	p.remote_tag = resp->to.tag;
	p.local_uri = uri_of(&req->from);
	p.remote_uri = uri_of(&req->to);
	p.local_contact = o->local_contact;
	struct sipd_dialog *d;
	rc = make(t, &p, SIPD_DIALOG_UAC, ok2xx ? SIPD_DIALOG_CONFIRMED : SIPD_DIALOG_EARLY,
	          o->tls && req->ruri.kind == SIPD_URI_SIPS, &d);
	if (rc)
		return rc;
	d->local_seq = req->cseq.seq;
	d->has_local_seq = true;
	*out = d;
	return 0;
}

/* ---------------------------------------------------------------- state */

struct sipd_str sipd_dialog_call_id(const struct sipd_dialog *d) { return str_of(d, d->call_id); }
struct sipd_str sipd_dialog_local_tag(const struct sipd_dialog *d) { return str_of(d, d->local_tag); }
struct sipd_str sipd_dialog_remote_tag(const struct sipd_dialog *d) { return str_of(d, d->remote_tag); }
struct sipd_str sipd_dialog_local_uri(const struct sipd_dialog *d) { return str_of(d, d->local_uri); }
struct sipd_str sipd_dialog_remote_uri(const struct sipd_dialog *d) { return str_of(d, d->remote_uri); }
struct sipd_str sipd_dialog_local_contact(const struct sipd_dialog *d) { return str_of(d, d->local_contact); }
struct sipd_str sipd_dialog_remote_target(const struct sipd_dialog *d) { return dyn_of(d, d->target); }

bool sipd_dialog_local_seq(const struct sipd_dialog *d, uint32_t *out)
{
	if (d->has_local_seq)
		*out = d->local_seq;
	return d->has_local_seq;
}

bool sipd_dialog_remote_seq(const struct sipd_dialog *d, uint32_t *out)
{
	if (d->has_remote_seq)
		*out = d->remote_seq;
	return d->has_remote_seq;
}

size_t sipd_dialog_route_count(const struct sipd_dialog *d) { return d->nroutes; }

struct sipd_str sipd_dialog_route(const struct sipd_dialog *d, size_t i)
{
	return i < d->nroutes ? route_of(d, i) : SIPD_STR_NULL;
}

bool sipd_dialog_secure(const struct sipd_dialog *d) { return d->secure; }
bool sipd_dialog_early(const struct sipd_dialog *d) { return d->state == SIPD_DIALOG_EARLY; }
enum sipd_dialog_state sipd_dialog_state(const struct sipd_dialog *d) { return d->state; }
enum sipd_dialog_reason sipd_dialog_reason(const struct sipd_dialog *d) { return d->reason; }
enum sipd_dialog_role sipd_dialog_role(const struct sipd_dialog *d) { return d->role; }
void sipd_dialog_set_user(struct sipd_dialog *d, void *user) { d->user = user; }
void *sipd_dialog_user(const struct sipd_dialog *d) { return d->user; }
void sipd_dialog_usage_add(struct sipd_dialog *d) { d->usages++; }
unsigned sipd_dialog_usages(const struct sipd_dialog *d) { return d->usages; }

unsigned sipd_dialog_usage_release(struct sipd_dialog *d, enum sipd_dialog_reason why)
{
	if (d->usages)
		d->usages--;
	if (!d->usages)
		sipd_dialog_terminate(d, why);
	return d->usages;
}

static void set_state(struct sipd_dialog *d, enum sipd_dialog_state st, enum sipd_dialog_reason why)
{
	if (d->state == st || d->state == SIPD_DIALOG_TERMINATED)
		return;
	d->state = (uint8_t)st;
	if (st == SIPD_DIALOG_TERMINATED)
		d->reason = (uint8_t)why;
	if (d->table->cb.state)
		d->table->cb.state(d->table->user, d, st, why);
}

void sipd_dialog_confirm(struct sipd_dialog *d)
{
	set_state(d, SIPD_DIALOG_CONFIRMED, SIPD_END_NONE);
}

void sipd_dialog_terminate(struct sipd_dialog *d, enum sipd_dialog_reason why)
{
	set_state(d, SIPD_DIALOG_TERMINATED, why);
}

int sipd_dialog_update_from_response(struct sipd_dialog *d, const struct sipd_msg *resp)
{
	if (d->state == SIPD_DIALOG_TERMINATED)
		return SIPD_ESTATE;
	struct parts p = {0};
	bool have_target = contact_uri(resp, &p.target) == 0;
	if (!have_target)
		p.target = dyn_of(d, d->target);
	/* Only the 2xx to the INVITE confirms an early dialog; that of an
	 * UPDATE or PRACK within it changes the target only (RFC 3311 §1:
	 * UPDATE has no impact on the state of the dialog) */
	bool ok2xx = resp->status >= 200 && resp->status < 300 &&
	             resp->cseq.method == SIPD_METHOD_INVITE;
	if (d->state == SIPD_DIALOG_EARLY && ok2xx && d->role == SIPD_DIALOG_UAC) {
		/* §12.1.2, §13.2.2.4: the 2xx decides the route set */
		int rc = record_routes(resp, &p);
		if (rc)
			return rc;
		reverse(p.routes, p.nroutes);
	} else {
		for (size_t i = 0; i < d->nroutes; i++)
			p.routes[i] = route_of(d, i);
		p.nroutes = d->nroutes;
	}
	int rc = set_dyn(d, p.target, p.routes, p.nroutes);
	if (rc)
		return rc;
	if (ok2xx)
		set_state(d, SIPD_DIALOG_CONFIRMED, SIPD_END_NONE);
	return 0;
}

/* ---------------------------------------------------------------- requests within */

bool sipd_method_refreshes_target(enum sipd_method m)
{
	return m == SIPD_METHOD_INVITE || m == SIPD_METHOD_UPDATE || m == SIPD_METHOD_SUBSCRIBE ||
	       m == SIPD_METHOD_NOTIFY || m == SIPD_METHOD_REFER;
}

static void put_route_uri_as_route(struct sipd_buf *b, struct sipd_str uri)
{
	sipd_buf_puts(b, "Route: <");
	sipd_buf_putstr(b, uri);
	sipd_buf_puts(b, ">\r\n");
}

/* The Request-URI of a strict router: its URI without the parameters a
 * Request-URI may not carry (§19.1.1, table 1: method, maddr, ttl, transport
 * and lr stay; headers go). Here: the URI without its headers part. */
static struct sipd_str strict_ruri(const struct sipd_uri *u)
{
	struct sipd_str r = u->raw;
	if (u->headers.p)
		r.len = (size_t)(u->headers.p - 1 - r.p);
	return r;
}

int sipd_dialog_request(struct sipd_dialog *d, const struct sipd_dialog_request *r, char *buf,
                        size_t cap, struct sipd_request *out, struct sipd_str *next_hop)
{
	if (!d || !r || !out || !r->method.len)
		return SIPD_EINVAL;
	enum sipd_method m = sipd_method_lookup(r->method.p, r->method.len);
	/* An ended dialog sends nothing, but for the ACK of a copy of its 2xx:
	 * every copy is ACKed while the INVITE lives, even after our BYE
	 * (§13.2.2.4). */
	if (d->state == SIPD_DIALOG_TERMINATED && m != SIPD_METHOD_ACK)
		return SIPD_ESTATE;
	uint32_t cseq = r->cseq;
	if (!cseq)
		cseq = d->has_local_seq ? d->local_seq + 1 : 1;
	struct sipd_buf b;
	sipd_buf_init(&b, buf, cap);
	struct sipd_str ruri = dyn_of(d, d->target), hop = ruri;
	/* §12.2.1.1: loose routing keeps the remote target as Request-URI; a
	 * strict router (first route without lr) becomes the Request-URI and the
	 * remote target goes last in the Route set. */
	bool strict = false;
	struct sipd_nameaddr first;
	if (d->nroutes) {
		if (sipd_nameaddr_parse(&first, route_of(d, 0), true, NULL))
			return SIPD_EINVAL;
		struct sipd_str lr;
		strict = sipd_param_find(first.uri.params, "lr", &lr) != 0;
		hop = first.uri.raw;
	}
	size_t from_route = 0;
	if (strict) {
		ruri = strict_ruri(&first.uri);
		from_route = 1;
	}
	for (size_t i = from_route; i < d->nroutes; i++)
		sipd_build_header(&b, "Route", route_of(d, i));
	if (strict)
		put_route_uri_as_route(&b, dyn_of(d, d->target));

	sipd_buf_puts(&b, "From: <");
	sipd_buf_putstr(&b, str_of(d, d->local_uri));
	sipd_buf_puts(&b, ">;tag=");
	sipd_buf_putstr(&b, str_of(d, d->local_tag));
	sipd_buf_puts(&b, "\r\nTo: <");
	sipd_buf_putstr(&b, str_of(d, d->remote_uri));
	sipd_buf_puts(&b, ">");
	if (d->remote_tag.len) {
		sipd_buf_puts(&b, ";tag=");
		sipd_buf_putstr(&b, str_of(d, d->remote_tag));
	}
	sipd_buf_puts(&b, "\r\n");
	sipd_build_header(&b, "Call-ID", str_of(d, d->call_id));
	sipd_buf_puts(&b, "CSeq: ");
	sipd_buf_putu(&b, cseq);
	sipd_buf_put(&b, " ", 1);
	sipd_buf_putstr(&b, r->method);
	sipd_buf_puts(&b, "\r\nMax-Forwards: 70\r\n");
	/* §8.1.1.8, §12.2.1.1: target refresh requests carry our Contact */
	if (sipd_method_refreshes_target(m) && d->local_contact.len) {
		sipd_buf_puts(&b, "Contact: <");
		sipd_buf_putstr(&b, str_of(d, d->local_contact));
		sipd_buf_puts(&b, ">\r\n");
	}
	sipd_buf_putstr(&b, r->headers);
	long n = sipd_buf_result(&b);
	if (n < 0)
		return SIPD_ENOSPC;
	if (m != SIPD_METHOD_ACK && m != SIPD_METHOD_CANCEL) {
		d->local_seq = cseq > d->local_seq || !d->has_local_seq ? cseq : d->local_seq;
		d->has_local_seq = true;
	}
	memset(out, 0, sizeof *out);
	out->size = sizeof *out;
	out->method = r->method;
	out->uri = ruri;
	out->headers = (struct sipd_str){buf, (size_t)n};
	out->content_type = r->content_type;
	out->body = r->body;
	if (next_hop)
		*next_hop = hop;
	return 0;
}

unsigned sipd_dialog_check_request(const struct sipd_dialog *d, const struct sipd_msg *req)
{
	if (d->state == SIPD_DIALOG_TERMINATED)
		return 481;
	if (req->method == SIPD_METHOD_ACK || req->method == SIPD_METHOD_CANCEL)
		return 0; /* they carry their INVITE's CSeq */
	/* §12.2.2: lower than the remote sequence number is out of order (500);
	 * equal, for a new transaction (retransmissions never get here), too. */
	if (d->has_remote_seq && req->cseq.seq <= d->remote_seq)
		return 500;
	return 0;
}

void sipd_dialog_take_request(struct sipd_dialog *d, const struct sipd_msg *req)
{
	if (req->method == SIPD_METHOD_ACK || req->method == SIPD_METHOD_CANCEL)
		return;
	d->remote_seq = req->cseq.seq;
	d->has_remote_seq = true;
}

int sipd_dialog_refresh_target(struct sipd_dialog *d, const struct sipd_msg *req)
{
	struct sipd_str target;
	if (contact_uri(req, &target))
		return 0; /* no (single) Contact: the target stays (§12.2.2 "if present") */
	struct sipd_str routes[MAX_ROUTES];
	for (size_t i = 0; i < d->nroutes; i++)
		routes[i] = route_of(d, i);
	return set_dyn(d, target, routes, d->nroutes);
}

/* ---------------------------------------------------------------- snapshot */

/* Layout, little-endian: "SDG" version(1) | state reason role flags |
 * local_seq remote_seq usages (u32 each) | seven strings (u16 length, bytes):
 * Call-ID, local tag, remote tag, local URI, remote URI, local Contact, remote
 * target | route count (u16) and the routes (u16 length, bytes). */
#define SNAP_VERSION 1

struct wr {
	uint8_t *p;
	size_t len, cap;
	bool over;
};

static void w_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void w_u8(struct wr *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	w_bytes(w, b, 2);
}

static void w_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	w_bytes(w, b, 4);
}

static void w_str(struct wr *w, struct sipd_str s)
{
	if (s.len > UINT16_MAX) {
		w->over = true;
		return;
	}
	w_u16(w, (uint16_t)s.len);
	w_bytes(w, s.p, s.len);
}

long sipd_dialog_snapshot(const struct sipd_dialog *d, uint8_t *out, size_t cap)
{
	struct wr w = {out, 0, cap, false};
	w_bytes(&w, "SDG", 3);
	w_u8(&w, SNAP_VERSION);
	w_u8(&w, d->state);
	w_u8(&w, d->reason);
	w_u8(&w, d->role);
	w_u8(&w, (uint8_t)(d->secure | d->has_local_seq << 1 | d->has_remote_seq << 2));
	w_u32(&w, d->local_seq);
	w_u32(&w, d->remote_seq);
	w_u32(&w, d->usages);
	w_str(&w, str_of(d, d->call_id));
	w_str(&w, str_of(d, d->local_tag));
	w_str(&w, str_of(d, d->remote_tag));
	w_str(&w, str_of(d, d->local_uri));
	w_str(&w, str_of(d, d->remote_uri));
	w_str(&w, str_of(d, d->local_contact));
	w_str(&w, dyn_of(d, d->target));
	w_u16(&w, d->nroutes);
	for (size_t i = 0; i < d->nroutes; i++)
		w_str(&w, route_of(d, i));
	return w.over ? SIPD_ENOSPC : (long)w.len;
}

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const uint8_t *r_bytes(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p + r->off;
	r->off += n;
	return p;
}

static uint32_t r_le(struct rd *r, size_t n)
{
	const uint8_t *p = r_bytes(r, n);
	uint32_t v = 0;
	for (size_t i = 0; p && i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static struct sipd_str r_str(struct rd *r)
{
	size_t n = r_le(r, 2);
	const uint8_t *p = r_bytes(r, n);
	return p ? (struct sipd_str){(const char *)p, n} : SIPD_STR_NULL;
}

int sipd_dialog_restore(struct sipd_dialogs *t, const uint8_t *in, size_t len,
                        struct sipd_dialog **out)
{
	struct rd r = {in, len, 0, false};
	const uint8_t *magic = r_bytes(&r, 4);
	if (!magic || memcmp(magic, "SDG", 3) || magic[3] != SNAP_VERSION)
		return SIPD_EPARSE;
	uint8_t state = (uint8_t)r_le(&r, 1), reason = (uint8_t)r_le(&r, 1);
	uint8_t role = (uint8_t)r_le(&r, 1), flags = (uint8_t)r_le(&r, 1);
	uint32_t lseq = r_le(&r, 4), rseq = r_le(&r, 4), usages = r_le(&r, 4);
	struct parts p = {0};
	p.call_id = r_str(&r);
	p.local_tag = r_str(&r);
	p.remote_tag = r_str(&r);
	p.local_uri = r_str(&r);
	p.remote_uri = r_str(&r);
	p.local_contact = r_str(&r);
	p.target = r_str(&r);
	p.nroutes = r_le(&r, 2);
	if (p.nroutes > MAX_ROUTES)
		return SIPD_EPARSE;
	for (size_t i = 0; i < p.nroutes; i++)
		p.routes[i] = r_str(&r);
	if (r.bad || r.off != len || state < SIPD_DIALOG_EARLY || state > SIPD_DIALOG_TERMINATED ||
	    (role != SIPD_DIALOG_UAC && role != SIPD_DIALOG_UAS) || reason > SIPD_END_LOCAL ||
	    !p.call_id.len || !p.local_tag.len)
		return SIPD_EPARSE;
	struct sipd_dialog *d;
	int rc = make(t, &p, role, state, flags & 1, &d);
	if (rc)
		return rc;
	d->reason = reason;
	d->has_local_seq = flags >> 1 & 1;
	d->has_remote_seq = flags >> 2 & 1;
	d->local_seq = lseq;
	d->remote_seq = rseq;
	d->usages = usages;
	*out = d;
	return 0;
}
