/* RFC 3263 §4: from a SIP or SIPS URI to the ordered list of places to send a
 * request (transport, address, port), through c-ares driven by libuv; and the
 * failover of §4.3 on top of the stack's client transactions. */
#define _GNU_SOURCE
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "runtime/rt.h"

/* ---------------------------------------------------------------- c-ares on libuv */

static void dns_timer_fired(uv_timer_t *t);

static void dns_rearm(struct sipd_runtime *rt)
{
	struct timeval tv, *tvp = ares_timeout(rt->dns.channel, NULL, &tv);
	if (!tvp) {
		uv_timer_stop(&rt->dns.timer);
		return;
	}
	uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000;
	uv_timer_start(&rt->dns.timer, dns_timer_fired, ms, 0);
}

static void dns_timer_fired(uv_timer_t *t)
{
	struct sipd_runtime *rt = t->data;
	ares_process_fd(rt->dns.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm(rt);
}

static void dns_poll_cb(uv_poll_t *h, int status, int events)
{
	struct rt_dns_poll *p = h->data;
	struct sipd_runtime *rt = p->rt;
	ares_socket_t fd = p->fd;
	/* On a poll error, let c-ares read (and find the error) itself. */
	bool r = status < 0 || (events & UV_READABLE);
	bool w = status == 0 && (events & UV_WRITABLE);
	ares_process_fd(rt->dns.channel, r ? fd : ARES_SOCKET_BAD, w ? fd : ARES_SOCKET_BAD);
	dns_rearm(rt);
}

static void dns_poll_closed(uv_handle_t *h)
{
	struct rt_dns_poll *p = h->data;
	p->fd = ARES_SOCKET_BAD;
}

/* c-ares tells which of its sockets to watch. */
static void dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct sipd_runtime *rt = data;
	struct rt_dns_poll *p = NULL, *free_slot = NULL;
	for (int i = 0; i < DNS_MAX_SOCKETS; i++) {
		struct rt_dns_poll *q = &rt->dns.polls[i];
		if (q->fd == fd && !uv_is_closing((uv_handle_t *)&q->poll))
			p = q;
		else if (q->fd == ARES_SOCKET_BAD && !free_slot)
			free_slot = q;
	}
	if (!readable && !writable) {
		if (p)
			uv_close((uv_handle_t *)&p->poll, dns_poll_closed);
		return;
	}
	if (!p) {
		if (!free_slot)
			return; /* more sockets than we watch: c-ares times the query out */
		p = free_slot;
		p->fd = fd;
		p->rt = rt;
		uv_poll_init_socket(rt->loop, &p->poll, fd);
		p->poll.data = p;
	}
	uv_poll_start(&p->poll, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0),
	              dns_poll_cb);
}

int sipd_rt_dns_init(struct sipd_runtime *rt, const char *servers, char *errbuf, size_t errlen)
{
	static bool lib_ready;
	if (!lib_ready) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
			goto fail;
		lib_ready = true;
	}
	for (int i = 0; i < DNS_MAX_SOCKETS; i++)
		rt->dns.polls[i].fd = ARES_SOCKET_BAD;
	struct ares_options o = {0};
	o.sock_state_cb = dns_sock_state;
	o.sock_state_cb_data = rt;
	o.timeout = 2000; /* ms per try */
	o.tries = 2;
	if (ares_init_options(&rt->dns.channel, &o,
	                      ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	    ARES_SUCCESS)
		goto fail;
	if (servers && ares_set_servers_ports_csv(rt->dns.channel, servers) != ARES_SUCCESS) {
		ares_destroy(rt->dns.channel);
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "dns: bad server list '%s'", servers);
		return SIPD_EINVAL;
	}
	uv_timer_init(rt->loop, &rt->dns.timer);
	rt->dns.timer.data = rt;
	rt->dns.ready = true;
	return 0;
fail:
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "dns: cannot start the resolver");
	return SIPD_ENOMEM;
}

void sipd_rt_dns_close(struct sipd_runtime *rt)
{
	if (!rt->dns.ready)
		return;
	rt->dns.ready = false;
	/* Cancels pending queries: their callbacks run with ARES_EDESTRUCTION. */
	ares_destroy(rt->dns.channel);
	for (int i = 0; i < DNS_MAX_SOCKETS; i++)
		if (rt->dns.polls[i].fd != ARES_SOCKET_BAD &&
		    !uv_is_closing((uv_handle_t *)&rt->dns.polls[i].poll))
			uv_close((uv_handle_t *)&rt->dns.polls[i].poll, dns_poll_closed);
	uv_close((uv_handle_t *)&rt->dns.timer, NULL);
}

/* ---------------------------------------------------------------- RFC 3263 */

/* A host to look up, with where it came from in the order of §4. */
struct host_entry {
	char name[256];
	uint16_t port;
	uint8_t transport;
	struct sipd_target addrs[4];
	size_t naddrs;
};

#define MAX_HOSTS 8
#define MAX_SRV 4

struct resolution {
	struct sipd_runtime *rt;
	sipd_resolve_cb cb;
	void *arg;
	bool sips;
	char host[256];
	uint16_t port;         /* from the URI, 0 if none */
	uint8_t transport;     /* chosen, or 0 */
	int pending;           /* queries in flight */
	/* SRV stage: the names queried, in preference order, and their hosts */
	struct {
		char name[300];
		uint8_t transport;
		struct host_entry hosts[MAX_HOSTS];
		size_t nhosts;
	} srv[MAX_SRV];
	size_t nsrv;
	struct host_entry *fallback; /* A/AAAA of the URI's host when there is no SRV */
	struct host_entry direct;
	uv_timer_t defer; /* to call back from the loop for numeric hosts */
	struct sipd_target out[SIPD_MAX_TARGETS];
	size_t nout;
	bool failed_alloc;
};

static bool have_transport(const struct sipd_runtime *rt, uint8_t tp)
{
	for (size_t i = 0; i < rt->nlisten; i++)
		if (rt->locals[i].transport == tp)
			return true;
	return false;
}

/* Bounded copy of a C string (the result is always terminated). */
static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* Keeps a target we can use: one of our listeners has its transport. */
static void add_target(struct resolution *r, const struct sipd_target *t)
{
	if (r->nout < SIPD_MAX_TARGETS && have_transport(r->rt, t->transport))
		r->out[r->nout++] = *t;
}

static void res_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static void finish(struct resolution *r)
{
	struct sipd_runtime *rt = r->rt;
	rt->dns.inflight--;
	/* Order: SRV hosts in SRV order, then the plain host lookup. */
	for (size_t s = 0; s < r->nsrv; s++)
		for (size_t h = 0; h < r->srv[s].nhosts; h++)
			for (size_t a = 0; a < r->srv[s].hosts[h].naddrs; a++)
				add_target(r, &r->srv[s].hosts[h].addrs[a]);
	if (r->fallback)
		for (size_t a = 0; a < r->fallback->naddrs; a++)
			add_target(r, &r->fallback->addrs[a]);
	r->cb(r->arg, r->nout ? 0 : SIPD_ENOTFOUND, r->out, r->nout);
	r->defer.data = r;
	uv_close((uv_handle_t *)&r->defer, res_free_cb);
}

static void query_done(struct resolution *r)
{
	if (--r->pending == 0)
		finish(r);
}

/* A/AAAA of one host entry */
static void addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai);

struct addr_query {
	struct resolution *r;
	struct host_entry *h;
};

static void lookup_host(struct resolution *r, struct host_entry *h)
{
	struct addr_query *q = malloc(sizeof *q);
	if (!q)
		return;
	q->r = r;
	q->h = h;
	r->pending++;
	struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC};
	ares_getaddrinfo(r->rt->dns.channel, h->name, NULL, &hints, addr_cb, q);
}

static void addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	(void)timeouts;
	struct addr_query *q = arg;
	struct resolution *r = q->r;
	struct host_entry *h = q->h;
	free(q);
	if (status == ARES_SUCCESS && ai) {
		for (struct ares_addrinfo_node *n = ai->nodes; n && h->naddrs < 4; n = n->ai_next) {
			struct sipd_target *t = &h->addrs[h->naddrs];
			memset(t, 0, sizeof *t);
			t->transport = h->transport;
			if (n->ai_family == AF_INET) {
				const struct sockaddr_in *s4 = (const void *)n->ai_addr;
				t->addr.family = 4;
				memcpy(t->addr.ip, &s4->sin_addr, 4);
			} else if (n->ai_family == AF_INET6) {
				const struct sockaddr_in6 *s6 = (const void *)n->ai_addr;
				t->addr.family = 6;
				memcpy(t->addr.ip, &s6->sin6_addr, 16);
			} else {
				continue;
			}
			t->addr.port = h->port;
			copy_name(t->host, sizeof t->host, h->name);
			/* the same address twice (from A and AAAA) counts once */
			bool same = false;
			for (size_t k = 0; k < h->naddrs; k++)
				same |= sipd_addr_equal(&h->addrs[k].addr, &t->addr);
			if (!same)
				h->naddrs++;
		}
	}
	if (ai)
		ares_freeaddrinfo(ai);
	query_done(r);
}

/* RFC 2782: lower priority first; within a priority, a weighted random order. */
static void order_srv(struct ares_srv_reply **v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j]->priority < v[j - 1]->priority; j--) {
			struct ares_srv_reply *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; i < n;) {
		size_t end = i;
		while (end < n && v[end]->priority == v[i]->priority)
			end++;
		for (size_t k = i; k < end; k++) {
			unsigned total = 0;
			for (size_t m = k; m < end; m++)
				total += v[m]->weight;
			unsigned pick = 0;
			if (total) {
				uint32_t rnd;
				if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
					rnd = 0;
				pick = rnd % (total + 1);
			}
			size_t chosen = k;
			unsigned run = 0;
			for (size_t m = k; m < end; m++) {
				run += v[m]->weight;
				if (run >= pick) {
					chosen = m;
					break;
				}
			}
			struct ares_srv_reply *t = v[k];
			v[k] = v[chosen];
			v[chosen] = t;
		}
		i = end;
	}
}

struct srv_query {
	struct resolution *r;
	size_t index;
};

static void srv_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)timeouts;
	struct srv_query *q = arg;
	struct resolution *r = q->r;
	size_t si = q->index;
	free(q);
	struct ares_srv_reply *reply = NULL;
	if (status == ARES_SUCCESS && ares_parse_srv_reply(abuf, alen, &reply) == ARES_SUCCESS) {
		struct ares_srv_reply *v[MAX_HOSTS];
		size_t n = 0;
		for (struct ares_srv_reply *s = reply; s && n < MAX_HOSTS; s = s->next)
			if (strcmp(s->host, ".") && s->host[0]) /* "." means: no service */
				v[n++] = s;
		order_srv(v, n);
		for (size_t i = 0; i < n; i++) {
			struct host_entry *h = &r->srv[si].hosts[r->srv[si].nhosts++];
			copy_name(h->name, sizeof h->name, v[i]->host);
			h->port = v[i]->port;
			h->transport = r->srv[si].transport;
			lookup_host(r, h);
		}
		ares_free_data(reply);
	}
	/* No SRV at all: fall back to A/AAAA of the host itself (§4.2). */
	if (r->pending == 1 && !r->fallback) {
		bool any = false;
		for (size_t s = 0; s < r->nsrv; s++)
			any |= r->srv[s].nhosts > 0;
		if (!any) {
			r->fallback = &r->direct;
			copy_name(r->direct.name, sizeof r->direct.name, r->host);
			r->direct.transport = r->transport ? r->transport
			                                   : (r->sips ? SIPD_TP_TLS : SIPD_TP_UDP);
			r->direct.port = r->port ? r->port : sipd_default_port(r->direct.transport);
			lookup_host(r, &r->direct);
		}
	}
	query_done(r);
}

static void query_srv(struct resolution *r, const char *name, uint8_t tp)
{
	if (r->nsrv == MAX_SRV || !have_transport(r->rt, tp))
		return;
	for (size_t i = 0; i < r->nsrv; i++)
		if (!strcasecmp(r->srv[i].name, name))
			return;
	size_t i = r->nsrv++;
	copy_name(r->srv[i].name, sizeof r->srv[i].name, name);
	r->srv[i].transport = tp;
	struct srv_query *q = malloc(sizeof *q);
	if (!q) {
		r->nsrv--;
		return;
	}
	q->r = r;
	q->index = i;
	r->pending++;
	ares_query(r->rt->dns.channel, name, ns_c_in, ns_t_srv, srv_cb, q);
}

/* §4.1: with no NAPTR, the SRV records of each transport we support. */
static void srv_for_all(struct resolution *r)
{
	char name[300];
	static const struct {
		const char *prefix;
		uint8_t tp;
		bool sips_ok;
	} order[] = {
		{"_sips._tcp.", SIPD_TP_TLS, true},
		{"_sip._tcp.", SIPD_TP_TCP, false},
		{"_sip._udp.", SIPD_TP_UDP, false},
	};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (r->sips && !order[i].sips_ok)
			continue;
		if (r->transport && r->transport != order[i].tp)
			continue;
		snprintf(name, sizeof name, "%s%s", order[i].prefix, r->host);
		query_srv(r, name, order[i].tp);
	}
}

static int naptr_transport(const unsigned char *service, bool sips)
{
	if (!strcasecmp((const char *)service, "SIPS+D2T"))
		return SIPD_TP_TLS;
	if (sips)
		return 0; /* a SIPS URI only over TLS (§4.1) */
	if (!strcasecmp((const char *)service, "SIP+D2T"))
		return SIPD_TP_TCP;
	if (!strcasecmp((const char *)service, "SIP+D2U"))
		return SIPD_TP_UDP;
	return 0;
}

static void naptr_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)timeouts;
	struct resolution *r = arg;
	struct ares_naptr_reply *reply = NULL;
	size_t before = r->nsrv;
	if (status == ARES_SUCCESS && ares_parse_naptr_reply(abuf, alen, &reply) == ARES_SUCCESS) {
		struct ares_naptr_reply *v[16];
		size_t n = 0;
		for (struct ares_naptr_reply *x = reply; x && n < 16; x = x->next)
			if (!strcasecmp((const char *)x->flags, "s") && naptr_transport(x->service, r->sips))
				v[n++] = x;
		/* order, then preference (RFC 3403 §4.1) */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && (v[j]->order < v[j - 1]->order ||
			                             (v[j]->order == v[j - 1]->order &&
			                              v[j]->preference < v[j - 1]->preference));
			     j--) {
				struct ares_naptr_reply *t = v[j];
				v[j] = v[j - 1];
				v[j - 1] = t;
			}
		for (size_t i = 0; i < n; i++)
			query_srv(r, v[i]->replacement, (uint8_t)naptr_transport(v[i]->service, r->sips));
		ares_free_data(reply);
	}
	if (r->nsrv == before)
		srv_for_all(r);
	if (r->nsrv == before) {
		/* nothing to ask for SRV: the host's addresses (§4.2) */
		r->fallback = &r->direct;
		copy_name(r->direct.name, sizeof r->direct.name, r->host);
		r->direct.transport = r->sips ? SIPD_TP_TLS : SIPD_TP_UDP;
		r->direct.port = sipd_default_port(r->direct.transport);
		lookup_host(r, &r->direct);
	}
	query_done(r);
}

static void deferred_numeric(uv_timer_t *t)
{
	struct resolution *r = t->data;
	add_target(r, &r->direct.addrs[0]);
	r->rt->dns.inflight++; /* finish() takes one off */
	/* finish() adds the fallback's targets; clear it to add once */
	r->fallback = NULL;
	finish(r);
}

int sipd_runtime_resolve(struct sipd_runtime *rt, const struct sipd_uri *uri, sipd_resolve_cb cb,
                         void *arg)
{
	/* §4.1-§4.2: maddr, the transport parameter, a numeric host */
	struct sipd_uri_hop h;
	if (!cb || sipd_uri_hop(uri, &h) || h.host.len >= sizeof ((struct resolution *)0)->host)
		return SIPD_EINVAL;
	struct resolution *r = calloc(1, sizeof *r);
	if (!r)
		return SIPD_ENOMEM;
	r->rt = rt;
	r->cb = cb;
	r->arg = arg;
	r->sips = h.sips;
	r->port = h.port;
	r->transport = h.transport;
	uv_timer_init(rt->loop, &r->defer);
	r->defer.data = r;
	memcpy(r->host, h.host.p, h.host.len);
	r->host[h.host.len] = 0;

	if (h.numeric) {
		/* a numeric host needs no DNS */
		struct sipd_target *t = &r->direct.addrs[0];
		t->transport = h.addr_transport;
		t->addr = h.addr;
		uv_timer_start(&r->defer, deferred_numeric, 0, 0);
		return 0;
	}
	if (!rt->dns.ready) {
		uv_close((uv_handle_t *)&r->defer, res_free_cb);
		return SIPD_EINVAL;
	}
	rt->dns.inflight++;
	r->pending = 1;
	if (r->port || r->transport) {
		/* §4.2: a port means A/AAAA; a transport alone means SRV first */
		if (r->port) {
			r->fallback = &r->direct;
			copy_name(r->direct.name, sizeof r->direct.name, r->host);
			r->direct.transport = r->transport ? r->transport
			                                   : (r->sips ? SIPD_TP_TLS : SIPD_TP_UDP);
			r->direct.port = r->port;
			lookup_host(r, &r->direct);
		} else {
			srv_for_all(r);
			if (!r->nsrv) {
				r->fallback = &r->direct;
				copy_name(r->direct.name, sizeof r->direct.name, r->host);
				r->direct.transport = r->transport;
				r->direct.port = sipd_default_port(r->transport);
				lookup_host(r, &r->direct);
			}
		}
		query_done(r);
	} else {
		ares_query(rt->dns.channel, r->host, ns_c_in, ns_t_naptr, naptr_cb, r);
	}
	dns_rearm(rt);
	return 0;
}

/* ---------------------------------------------------------------- failover, §4.3 */

struct failover {
	struct sipd_runtime *rt;
	sipd_txn_cb cb;
	void *arg;
	struct sipd_request req;
	struct sipd_target targets[SIPD_MAX_TARGETS];
	size_t n, next;
	bool retry;         /* the current attempt failed in a way that allows the next */
	bool provisional;   /* the current attempt heard a provisional response */
	char *text;         /* copies of the request's strings */
};

static void attempt(struct failover *f);

static void fo_cb(void *arg, struct sipd_txn *tx, enum sipd_txn_event ev,
                  const struct sipd_msg *resp)
{
	struct failover *f = arg;
	bool more = f->next < f->n;
	switch (ev) {
	case SIPD_TXN_RESPONSE:
		if (resp->status < 200)
			f->provisional = true;
		if (resp->status == 503 && more && !f->provisional) {
			f->retry = true;
			return;
		}
		break;
	case SIPD_TXN_TIMEOUT:
	case SIPD_TXN_TRANSPORT_ERROR:
		if (more && !f->provisional) {
			f->retry = true;
			return;
		}
		break;
	case SIPD_TXN_TERMINATED:
		if (f->retry) {
			attempt(f);
			return;
		}
		f->cb(f->arg, tx, ev, resp);
		free(f->text);
		free(f);
		return;
	}
	f->cb(f->arg, tx, ev, resp);
}

/* Tells the user that no target could be tried: a transport error (no
 * response to show) and the end. */
static void give_up(struct failover *f)
{
	f->cb(f->arg, NULL, SIPD_TXN_TRANSPORT_ERROR, NULL);
	f->cb(f->arg, NULL, SIPD_TXN_TERMINATED, NULL);
	free(f->text);
	free(f);
}

static void attempt(struct failover *f)
{
	struct sipd_runtime *rt = f->rt;
	while (f->next < f->n) {
		const struct sipd_target *t = &f->targets[f->next++];
		int local = sipd_stack_local_for(rt->stack, t->transport, t->addr.family);
		if (local < 0)
			continue;
		f->req.flow = (struct sipd_flow){
			.transport = t->transport, .local = (uint16_t)local, .remote = t->addr};
		f->retry = false;
		f->provisional = false;
		rt->tls_name = t->host;
		int rc = sipd_stack_request(rt->stack, &f->req, fo_cb, f, sipd_runtime_now(rt), NULL);
		rt->tls_name = NULL;
		if (rc == 0) {
			sipd_runtime_kick(rt);
			return;
		}
	}
	give_up(f);
}

static void fo_resolved(void *arg, int status, const struct sipd_target *t, size_t n)
{
	struct failover *f = arg;
	if (status || !n) {
		give_up(f);
		return;
	}
	memcpy(f->targets, t, n * sizeof *t);
	f->n = n;
	attempt(f);
}

static char *copy_str(char **cur, struct sipd_str s, struct sipd_str *out)
{
	if (s.len)
		memcpy(*cur, s.p, s.len);
	out->p = *cur;
	out->len = s.len;
	*cur += s.len;
	return *cur;
}

int sipd_runtime_request(struct sipd_runtime *rt, const struct sipd_request *req,
                         const struct sipd_uri *target, sipd_txn_cb cb, void *arg)
{
	if (!req || !target || !cb)
		return SIPD_EINVAL;
	struct failover *f = calloc(1, sizeof *f);
	size_t ct = req->content_type ? strlen(req->content_type) + 1 : 0;
	size_t need = req->method.len + req->uri.len + req->headers.len + req->body.len + ct + 1;
	if (!f || !(f->text = malloc(need))) {
		free(f);
		return SIPD_ENOMEM;
	}
	f->rt = rt;
	f->cb = cb;
	f->arg = arg;
	f->req = *req;
	f->req.size = sizeof f->req;
	char *cur = f->text;
	copy_str(&cur, req->method, &f->req.method);
	copy_str(&cur, req->uri, &f->req.uri);
	copy_str(&cur, req->headers, &f->req.headers);
	copy_str(&cur, req->body, &f->req.body);
	if (ct) {
		memcpy(cur, req->content_type, ct);
		f->req.content_type = cur;
	}
	int rc = sipd_runtime_resolve(rt, target, fo_resolved, f);
	if (rc) {
		free(f->text);
		free(f);
	}
	return rc;
}
