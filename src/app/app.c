/* The application API (include/sipdialog/app.h): an app owns a runtime, the
 * dialog table and the sessions' environment, routes what the stack hands
 * up, and turns INVITE sessions into calls that report events.
 *
 * Lifetimes. A call ends inside a session callback (or inside one of the
 * application's own calls, e.g. a 480 sent by sipd_call_destroy); its
 * `terminated` event and its freeing wait for the app's reaper, a stack timer
 * armed at "now", so that they always come from the loop and never from under
 * a session or the application. An incoming INVITE, a UAS call and a b2bua
 * are found from their INVITE server transaction (for CANCEL and for the end
 * of that transaction) through one pointer-keyed map. A resolution (RFC 3263)
 * holds a ticket, not the call: the call may go while the name resolves. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/app.h>

#include "common/hash.h"

#define DEFAULT_ALLOW                                                                              \
	"INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY"
#define DEFAULT_SUPPORTED "100rel"
#define DEFAULT_ACCEPT "application/sdp, application/dtmf-relay, text/plain, message/sipfrag"
#define DEFAULT_UA "sipdialog"
#define DEFAULT_CONTACT_USER "sipd"
#define MAX_REQUESTS 32 /* our requests within one call waiting for a response */
#define TAG_LEN 12
#define CALL_ID_LEN 24

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* ---------------------------------------------------------------- objects */

/* What an INVITE server transaction belongs to. */
enum owner_kind { OWN_INCOMING = 1, OWN_CALL, OWN_BRIDGE };

struct owner {
	struct sipd_hnode node;
	struct sipd_txn *tx; /* NULL once the transaction is over */
	uint8_t kind;
	bool mapped;
};

struct sipd_incoming {
	struct owner own;
	struct sipd_incoming *prev, *next;
	struct sipd_app *app;
	struct sipd_flow from;
	bool answered; /* we sent its final response (487 to a CANCEL) */
};

/* A name being resolved for a call or a b2bua; either may be gone when the
 * answer comes. */
struct ticket {
	struct ticket *prev, *next;
	struct sipd_app *app;
	struct sipd_call *call;
	struct bridge *br;
};

/* sipd_app_create_b2bua(): the caller's INVITE while the target resolves,
 * then the b2bua. */
struct bridge {
	struct owner own;
	struct bridge *prev, *next;
	struct sipd_app *app;
	struct sipd_b2bua *b;
	struct sipd_flow from;
	struct sipd_b2bua_callbacks cb;
	void *arg;
	struct ticket *ticket;
	char *uri, *from_uri, *headers;
	const char *const *copy_only;
	const char *const *no_copy;
	uint8_t rel;
	bool answered;
};

/* A request of ours within the call, waiting for its final response. */
struct our_request {
	uint32_t cseq;
	bool refer;
	void *arg;
};

/* A message kept past the callback that brought it (for `terminated`). */
struct msg_copy {
	struct sipd_msg m;
};

enum { ID_CALL_ID, ID_LOCAL_TAG, ID_REMOTE_TAG, ID_LOCAL_URI, ID_REMOTE_URI, ID__COUNT };

struct sipd_call {
	struct owner own; /* UAS: the INVITE's transaction */
	struct sipd_call *prev, *next;
	struct sipd_call *next_ended;
	struct sipd_app *app;
	struct sipd_session *s;
	struct sipd_call_callbacks cb;
	void *user;
	bool uas;
	bool answered;     /* a 2xx went out (UAS) or came in (UAC) */
	bool ended;        /* `terminated` is due */
	bool local_end;    /* the application is ending it */
	bool remote_hold;  /* the peer's last offer put us on hold */
	bool local_hold;   /* we put the peer on hold */
	bool hold_pending; /* a hold or unhold re-INVITE is out */
	bool hold_before;  /* local_hold before it */
	bool refer_sent;   /* a REFER of ours was accepted: its NOTIFYs come (RFC 3515) */
	bool provisional;  /* UAC: a provisional response came (no failover after) */
	uint8_t dir;       /* the direction our description wants, as DIR_ bits */
	uint8_t end_why;
	struct msg_copy *end_msg;
	char *sdp; /* our description as last given by the application */
	size_t sdp_len;
	char *ids; /* one block for id[] */
	const char *id[ID__COUNT];
	/* requests handed to the application, not answered yet */
	struct sipd_txn **held;
	size_t nheld, held_cap;
	struct our_request *reqs;
	size_t nreqs, reqs_cap;
	/* UAC */
	struct ticket *ticket;
	char *uri, *to, *from, *headers;
	char call_id[CALL_ID_LEN + 1];
	char tag[TAG_LEN + 1];
	bool has_timer;
	struct sipd_st_config timer;
	struct sipd_target *targets; /* the resolution's, in order */
	size_t ntargets, next_target;
	struct sipd_session **retired; /* sessions of targets that failed, ntargets slots */
	size_t nretired;
};

struct sipd_app {
	struct sipd_runtime *rt;
	struct sipd_stack *stack;
	struct sipd_dialogs *dialogs;
	struct sipd_session_env env;
	struct sipd_stack_callbacks stack_cb;
	struct sipd_dialogs_callbacks dialogs_cb;
	struct sipd_app_callbacks cb;
	void *user;
	void (*trace)(void *user, bool sent, const struct sipd_flow *flow, const char *data,
	              size_t len);
	void (*log)(void *user, int level, const char *event, const char *detail);
	char *user_agent, *allow, *contact_user;
	struct sipd_stack_timer reaper;
	struct sipd_hmap owners;
	struct sipd_incoming *incomings;
	struct sipd_call *calls;
	struct sipd_call *ended; /* calls whose `terminated` is due, newest first */
	struct bridge *bridges;
	struct ticket *tickets;
	const struct sipd_msg *cur_ack; /* the ACK being routed to the sessions */
	struct sipd_app_stats stats;
	bool destroying;
};

/* ---------------------------------------------------------------- small helpers */

static struct sipd_str str_of(const char *s)
{
	return s ? (struct sipd_str){s, strlen(s)} : SIPD_STR_NULL;
}

static char *dup_str(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* Copies a callbacks struct the caller may have compiled against an older,
 * smaller version of it. */
static void copy_sized(void *dst, size_t dst_size, const void *src)
{
	memset(dst, 0, dst_size);
	if (!src)
		return;
	size_t n = *(const size_t *)src;
	memcpy(dst, src, n < dst_size ? n : dst_size);
}

static uint64_t app_now(struct sipd_app *app)
{
	return sipd_runtime_now(app->rt);
}

static void table_random(void *user, void *buf, size_t len)
{
	struct sipd_app *app = user;
	/* the stack's strong source, as tokens: enough for a hash key */
	sipd_stack_random_token(app->stack, buf, len);
}

/* A final response on a server transaction that no session answers (RFC 3261
 * §8.2.6.2: with a To tag of ours). */
static int respond_plain(struct sipd_app *app, struct sipd_txn *tx, unsigned code,
                         const char *headers)
{
	char tag[TAG_LEN];
	sipd_stack_random_token(app->stack, tag, sizeof tag);
	struct sipd_response r = {.size = sizeof r,
	                          .code = code,
	                          .to_tag = {tag, sizeof tag},
	                          .headers = str_of(headers)};
	return sipd_txn_respond(tx, &r, app_now(app));
}

/* Keeps a copy of a message, parsed again over its own buffer. */
static struct msg_copy *msg_keep(const struct sipd_msg *m)
{
	if (!m || !m->buf || !m->len)
		return NULL;
	size_t nh = m->nhdrs ? m->nhdrs : 1;
	struct msg_copy *c = malloc(sizeof *c + nh * sizeof(struct sipd_hdr) + m->len);
	if (!c)
		return NULL;
	struct sipd_hdr *h = (struct sipd_hdr *)(void *)(c + 1);
	char *buf = (char *)(h + nh);
	memcpy(buf, m->buf, m->len);
	struct sipd_parse_limits lim = {.size = sizeof lim,
	                                .max_message = (uint32_t)m->len,
	                                .max_line = (uint32_t)m->len,
	                                .max_headers = (uint16_t)nh};
	if (m->len > UINT32_MAX ||
	    sipd_msg_parse(&c->m, h, nh, buf, m->len, SIPD_FRAME_DATAGRAM, &lim, NULL) <= 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* ---------------------------------------------------------------- the owner map */

static uint64_t ptr_hash(const void *p)
{
	/* our own pointers, not the network's keys: a fixed mix is enough */
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static int owner_add(struct sipd_app *app, struct owner *o, struct sipd_txn *tx, uint8_t kind)
{
	o->tx = tx;
	o->kind = kind;
	o->node.hash = ptr_hash(tx);
	if (sipd_hmap_insert(&app->owners, &o->node))
		return SIPD_ENOMEM;
	o->mapped = true;
	return 0;
}

static void owner_drop(struct sipd_app *app, struct owner *o)
{
	if (o->mapped)
		sipd_hmap_remove(&app->owners, &o->node);
	o->mapped = false;
}

static struct owner *owner_find(const struct sipd_app *app, const struct sipd_txn *tx)
{
	uint64_t h = ptr_hash(tx);
	for (struct sipd_hnode *n = sipd_hmap_first(&app->owners, h); n; n = sipd_hmap_next(n, h)) {
		struct owner *o = container_of(n, struct owner, node);
		if (o->tx == tx)
			return o;
	}
	return NULL;
}

/* Hands the INVITE's transaction from one owner to another. */
static int owner_move(struct sipd_app *app, struct owner *from, struct owner *to, uint8_t kind)
{
	struct sipd_txn *tx = from->tx;
	owner_drop(app, from);
	from->tx = NULL;
	return owner_add(app, to, tx, kind);
}

/* ---------------------------------------------------------------- SDP directions */

/* A direction as what we do: send, receive (RFC 3264 §5.1). */
enum { DIR_SEND = 1, DIR_RECV = 2, DIR_BOTH = 3 };

static unsigned dir_bits(enum sipd_sdp_dir d)
{
	switch (d) {
	case SIPD_SDP_SENDONLY: return DIR_SEND;
	case SIPD_SDP_RECVONLY: return DIR_RECV;
	case SIPD_SDP_INACTIVE: return 0;
	default: return DIR_BOTH;
	}
}

static const char *dir_name(unsigned bits)
{
	static const char *const names[] = {"inactive", "sendonly", "recvonly", "sendrecv"};
	return names[bits & DIR_BOTH];
}

/* The direction of the peer's offer seen from our side: what it sends we
 * receive (RFC 3264 §6.1). */
static unsigned mirror(unsigned bits)
{
	return ((bits & DIR_SEND) ? DIR_RECV : 0) | ((bits & DIR_RECV) ? DIR_SEND : 0);
}

static bool is_dir_attr(struct sipd_str line)
{
	for (unsigned b = 0; b <= DIR_BOTH; b++) {
		const char *n = dir_name(b);
		if (line.len == 2 + strlen(n) && !memcmp(line.p, "a=", 2) &&
		    !memcmp(line.p + 2, n, line.len - 2))
			return true;
	}
	return false;
}

/* Writes an o= line with its sess-version (the third field) one higher
 * (RFC 3264 §8: a changed description raises it). A field that is not a
 * number is left alone. */
static void put_origin(struct sipd_buf *b, struct sipd_str line)
{
	const char *p = line.p + 2, *end = line.p + line.len;
	for (int field = 0; field < 2; field++) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	const char *v = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	size_t n = (size_t)(p - v);
	if (!n || n > 40 || (p < end && *p != ' ')) {
		sipd_buf_putstr(b, line);
		return;
	}
	char digits[42];
	memcpy(digits + 1, v, n);
	digits[0] = '0';
	for (size_t i = n; i > 0; i--) { /* add one, with the carry */
		if (digits[i] != '9') {
			digits[i]++;
			break;
		}
		digits[i] = '0';
		if (i == 1)
			digits[0] = '1';
	}
	sipd_buf_put(b, line.p, (size_t)(v - line.p));
	if (digits[0] == '1')
		sipd_buf_put(b, digits, n + 1);
	else
		sipd_buf_put(b, digits + 1, n);
	sipd_buf_put(b, p, (size_t)(end - p));
}

/* `sdp` with the direction `bits`: every direction attribute removed and one
 * written at the end of each media section (at the session level when there
 * is none), the o= version raised. Returns 0 with *out NULL when `sdp`
 * already says so (it is used as it is), 0 with a malloc'd *out, or
 * SIPD_ENOMEM. */
static int sdp_with_dir(struct sipd_str sdp, unsigned bits, char **out, size_t *outlen)
{
	*out = NULL;
	if (dir_bits(sipd_sdp_direction(sdp)) == bits)
		return 0;
	const char *attr = dir_name(bits);
	size_t media = 0;
	for (size_t i = 0; i + 1 < sdp.len; i++)
		media += (i == 0 || sdp.p[i - 1] == '\n') && sdp.p[i] == 'm' && sdp.p[i + 1] == '=';
	size_t cap = sdp.len * 2 + (media + 1) * 16 + 64; /* LF-only lines grow to CRLF */
	char *mem = malloc(cap);
	if (!mem)
		return SIPD_ENOMEM;
	struct sipd_buf b;
	sipd_buf_init(&b, mem, cap);
	bool in_media = false, origin = false;
	const char *p = sdp.p, *end = sdp.p + sdp.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct sipd_str line = {p, (size_t)((eol ? eol : end) - p)};
		p = eol ? eol + 1 : end;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (!line.len || is_dir_attr(line))
			continue;
		if (line.len >= 2 && !memcmp(line.p, "m=", 2)) {
			if (in_media) {
				sipd_buf_puts(&b, "a=");
				sipd_buf_puts(&b, attr);
				sipd_buf_puts(&b, "\r\n");
			}
			in_media = true;
		}
		if (!origin && line.len >= 2 && !memcmp(line.p, "o=", 2)) {
			origin = true;
			put_origin(&b, line);
		} else {
			sipd_buf_putstr(&b, line);
		}
		sipd_buf_puts(&b, "\r\n");
	}
	sipd_buf_puts(&b, "a=");
	sipd_buf_puts(&b, attr);
	sipd_buf_puts(&b, "\r\n");
	if (b.overflow) { /* cannot happen with that capacity */
		free(mem);
		return SIPD_ENOMEM;
	}
	*out = mem;
	*outlen = b.len;
	return 0;
}

/* ---------------------------------------------------------------- calls: state kept */

static int set_sdp(struct sipd_call *c, const char *sdp)
{
	size_t n = strlen(sdp);
	char *p = malloc(n + 1);
	if (!p)
		return SIPD_ENOMEM;
	memcpy(p, sdp, n + 1);
	free(c->sdp);
	c->sdp = p;
	c->sdp_len = n;
	c->dir = (uint8_t)dir_bits(sipd_sdp_direction((struct sipd_str){p, n}));
	return 0;
}

/* Our description now: the one agreed last, or the one given. */
static struct sipd_str local_sdp(const struct sipd_call *c)
{
	struct sipd_str l = c->s ? sipd_oa_local(sipd_session_oa(c->s)) : SIPD_STR_NULL;
	return l.len ? l : (struct sipd_str){c->sdp, c->sdp_len};
}

/* The description to answer `offer` with by default (or to offer, when
 * `offer` is empty): ours, with the direction we want (not receiving while
 * we hold, RFC 3264 §8.4) that the offer allows (§6.1). *tmp is what to free
 * after. Returns 0, SIPD_ENOTFOUND (no description of ours) or SIPD_ENOMEM. */
static int default_sdp(const struct sipd_call *c, struct sipd_str offer, char **tmp,
                       struct sipd_str *out)
{
	*tmp = NULL;
	struct sipd_str local = local_sdp(c);
	if (!local.len)
		return SIPD_ENOTFOUND;
	unsigned want = c->dir & (c->local_hold ? DIR_SEND : DIR_BOTH);
	if (offer.len)
		want &= mirror(dir_bits(sipd_sdp_direction(offer)));
	size_t n = 0;
	int rc = sdp_with_dir(local, want, tmp, &n);
	if (rc)
		return rc;
	*out = *tmp ? (struct sipd_str){*tmp, n} : local;
	return 0;
}

static void set_ids(struct sipd_call *c, const struct sipd_str v[ID__COUNT])
{
	size_t total = 0;
	for (int i = 0; i < ID__COUNT; i++)
		total += v[i].len + 1;
	char *block = malloc(total);
	if (!block)
		return; /* the old ones stay */
	char *p = block;
	for (int i = 0; i < ID__COUNT; i++) {
		if (v[i].len)
			memcpy(p, v[i].p, v[i].len);
		p[v[i].len] = 0;
		c->id[i] = p;
		p += v[i].len + 1;
	}
	free(c->ids);
	c->ids = block;
}

/* The dialog's identifiers, kept: the dialog may go before the call does. */
static void refresh_ids(struct sipd_call *c)
{
	const struct sipd_dialog *d = c->s ? sipd_session_dialog(c->s) : NULL;
	if (!d)
		return;
	struct sipd_str v[ID__COUNT] = {sipd_dialog_call_id(d), sipd_dialog_local_tag(d),
	                                sipd_dialog_remote_tag(d), sipd_dialog_local_uri(d),
	                                sipd_dialog_remote_uri(d)};
	set_ids(c, v);
}

/* The URI of a From or To value given as a URI or a name-addr. */
static struct sipd_str uri_part(const char *v)
{
	struct sipd_nameaddr na;
	if (v && sipd_nameaddr_parse(&na, str_of(v), false, NULL) == 0)
		return na.uri.raw;
	return str_of(v);
}

static bool keep_tx(struct sipd_call *c, struct sipd_txn *tx)
{
	if (c->nheld == c->held_cap) {
		size_t cap = c->held_cap ? c->held_cap * 2 : 4;
		struct sipd_txn **p = realloc(c->held, cap * sizeof *p);
		if (!p)
			return false;
		c->held = p;
		c->held_cap = cap;
	}
	c->held[c->nheld++] = tx;
	return true;
}

static bool forget_tx(struct sipd_call *c, const struct sipd_txn *tx)
{
	for (size_t i = 0; i < c->nheld; i++) {
		if (c->held[i] == tx) {
			c->held[i] = c->held[--c->nheld];
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- calls: the end */

static void reap(void *arg, struct sipd_stack_timer *t, uint64_t now);

static enum sipd_call_end end_reason(const struct sipd_call *c, enum sipd_session_end why,
                                     const struct sipd_msg *msg)
{
	if (c->local_end && why != SIPD_SESSION_END_BYE_REMOTE)
		return SIPD_CALL_END_LOCAL;
	switch (why) {
	case SIPD_SESSION_END_BYE_LOCAL: return SIPD_CALL_END_LOCAL;
	case SIPD_SESSION_END_BYE_REMOTE: return SIPD_CALL_END_REMOTE;
	case SIPD_SESSION_END_CANCELLED: return SIPD_CALL_END_CANCELLED;
	case SIPD_SESSION_END_REJECTED:
		/* a UAS session rejects on its own only when no PRACK came */
		return c->uas ? SIPD_CALL_END_TIMEOUT : SIPD_CALL_END_REJECTED;
	case SIPD_SESSION_END_NO_ACK:
	case SIPD_SESSION_END_EXPIRED: return SIPD_CALL_END_TIMEOUT;
	case SIPD_SESSION_END_REPLACED: return SIPD_CALL_END_REPLACED;
	case SIPD_SESSION_END_ERROR:
		return (msg && msg->status == 408) || (!c->uas && !c->answered && !msg)
		               ? SIPD_CALL_END_TIMEOUT
		               : SIPD_CALL_END_ERROR;
	default: return SIPD_CALL_END_ERROR;
	}
}

/* The call is over: `terminated` and the freeing wait for the reaper. */
static void end_call(struct sipd_call *c, enum sipd_call_end why, const struct sipd_msg *msg)
{
	if (c->ended)
		return;
	struct sipd_app *app = c->app;
	c->ended = true;
	c->end_why = (uint8_t)why;
	c->end_msg = msg_keep(msg);
	c->nheld = 0; /* the session answered them 487 (RFC 3261 §15.1.2) */
	c->next_ended = app->ended;
	app->ended = c;
	if (!app->destroying)
		sipd_stack_timer_arm(app->stack, &app->reaper, sipd_stack_now(app->stack));
}

static void call_unlink(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	if (c->prev)
		c->prev->next = c->next;
	else if (app->calls == c)
		app->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void call_free(struct sipd_call *c)
{
	call_unlink(c);
	owner_drop(c->app, &c->own);
	if (c->ticket)
		c->ticket->call = NULL;
	sipd_session_free(c->s);
	for (size_t i = 0; i < c->nretired; i++)
		sipd_session_free(c->retired[i]);
	free(c->retired);
	free(c->targets);
	free(c->reqs);
	free(c->end_msg);
	free(c->sdp);
	free(c->ids);
	free(c->held);
	free(c->uri);
	free(c->to);
	free(c->from);
	free(c->headers);
	free(c);
}

static void deliver_end(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	const struct sipd_msg *m = c->end_msg ? &c->end_msg->m : NULL;
	app->stats.calls_active--;
	if (!c->answered)
		app->stats.calls_failed++;
	if (!c->uas && !c->answered && c->cb.failed)
		c->cb.failed(c->user, c, m);
	if (c->cb.terminated)
		c->cb.terminated(c->user, c, (enum sipd_call_end)c->end_why, m);
}

static void reap(void *arg, struct sipd_stack_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	struct sipd_app *app = arg;
	/* oldest first; calls that end meanwhile wait for the next round */
	struct sipd_call *list = NULL;
	while (app->ended) {
		struct sipd_call *c = app->ended;
		app->ended = c->next_ended;
		c->next_ended = list;
		list = c;
	}
	while (list) {
		struct sipd_call *c = list;
		list = c->next_ended;
		deliver_end(c);
		call_free(c);
	}
}

static void count_answer(struct sipd_call *c)
{
	if (c->answered)
		return;
	c->answered = true;
	c->app->stats.calls_answered++;
}

/* ---------------------------------------------------------------- calls: session events */

static int uac_send(struct sipd_call *c);

/* RFC 3263 §4.3: a target that times out, cannot be reached or answers 503
 * before anything else makes way for the next one. */
static bool uac_failover(struct sipd_call *c, enum sipd_session_end why, const struct sipd_msg *msg)
{
	unsigned code = msg ? msg->status : 503;
	if (c->local_end || c->provisional || c->next_target >= c->ntargets ||
	    c->nretired == c->ntargets ||
	    (why != SIPD_SESSION_END_REJECTED && why != SIPD_SESSION_END_ERROR) ||
	    (code != 503 && code != 408))
		return false;
	c->retired[c->nretired++] = c->s; /* freed with the call: we are in its callback */
	c->s = NULL;
	return uac_send(c) == 0;
}

static void s_state(void *arg, struct sipd_session *s, enum sipd_session_state st,
                    enum sipd_session_end why, const struct sipd_msg *msg)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return;
	switch (st) {
	case SIPD_SESSION_EARLY: refresh_ids(c); break;
	case SIPD_SESSION_WAIT_ACK: /* UAS: our 2xx is out */
		refresh_ids(c);
		count_answer(c);
		break;
	case SIPD_SESSION_CONFIRMED:
		refresh_ids(c);
		count_answer(c);
		if (c->uas) {
			if (c->cb.ack)
				c->cb.ack(c->user, c, c->app->cur_ack);
		} else if (!c->local_end && c->cb.answered) {
			c->cb.answered(c->user, c, msg);
		}
		break;
	case SIPD_SESSION_TERMINATED:
		if (!c->uas && !c->answered && uac_failover(c, why, msg))
			return;
		end_call(c, end_reason(c, why, msg), msg);
		break;
	default: break;
	}
}

static void s_provisional(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return;
	c->provisional = true;
	if (c->cb.provisional)
		c->cb.provisional(c->user, c, resp);
}

static struct sipd_str s_answer(void *arg, struct sipd_session *s, struct sipd_str offer)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended || !c->cb.answer)
		return SIPD_STR_NULL;
	const char *a = c->cb.answer(c->user, c, offer);
	if (!a || !*a || set_sdp(c, a))
		return SIPD_STR_NULL;
	return (struct sipd_str){c->sdp, c->sdp_len};
}

static void s_modified(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return;
	if (c->hold_pending) {
		c->hold_pending = false;
		if (!resp || resp->status < 200 || resp->status >= 300)
			c->local_hold = c->hold_before; /* RFC 6337 §3.1: rolled back */
	}
	if (c->cb.modified)
		c->cb.modified(c->user, c, resp);
}

static void s_response(void *arg, struct sipd_session *s, const struct sipd_msg *resp)
{
	struct sipd_call *c = arg;
	if (s != c->s || !c->nreqs)
		return;
	/* the request this answers, by its CSeq number; the oldest without one */
	size_t i = 0;
	while (resp && i < c->nreqs && c->reqs[i].cseq != resp->cseq.seq)
		i++;
	if (i == c->nreqs)
		i = 0;
	void *rarg = c->reqs[i].arg;
	/* RFC 3515 §2.4.1: an accepted REFER makes an implicit subscription */
	if (c->reqs[i].refer && resp && resp->status >= 200 && resp->status < 300)
		c->refer_sent = true;
	memmove(&c->reqs[i], &c->reqs[i + 1], (c->nreqs - i - 1) * sizeof c->reqs[0]);
	c->nreqs--;
	if (!c->ended && c->cb.response)
		c->cb.response(c->user, c, resp, rarg);
}

/* Answers a re-INVITE or UPDATE: with `sdp` (ours from now on), or by
 * default. */
static int answer_modify(struct sipd_call *c, struct sipd_txn *tx, unsigned code, const char *sdp)
{
	uint64_t now = app_now(c->app);
	const struct sipd_msg *req = sipd_txn_request(tx);
	struct sipd_str offer = req && sipd_msg_has_session_body(req) ? req->body : SIPD_STR_NULL;
	if (code < 200 || code >= 300)
		return sipd_session_respond(c->s, tx, code, SIPD_STR_NULL, now);
	if (sdp && *sdp) {
		int rc = set_sdp(c, sdp);
		if (rc) {
			sipd_session_respond(c->s, tx, 500, SIPD_STR_NULL, now);
			return rc;
		}
		return sipd_session_respond(c->s, tx, code, (struct sipd_str){c->sdp, c->sdp_len},
		                            now);
	}
	char *tmp;
	struct sipd_str body;
	int rc = default_sdp(c, offer, &tmp, &body);
	if (rc) /* RFC 3261 §14.2: nothing to answer with */
		return sipd_session_respond(c->s, tx, rc == SIPD_ENOTFOUND ? 488 : 500,
		                            SIPD_STR_NULL, now);
	rc = sipd_session_respond(c->s, tx, code, body, now);
	free(tmp);
	return rc;
}

/* Hands a request to the application's callback: 0 when it took it, -1 for
 * the default answer. */
static int hand_over(struct sipd_call *c, sipd_call_request_cb cb, struct sipd_txn *tx,
                     const struct sipd_msg *req)
{
	if (!cb || !keep_tx(c, tx))
		return -1;
	if (cb(c->user, c, tx, req) >= 0 || c->ended)
		return 0;
	/* declined: the default, unless it answered all the same */
	return forget_tx(c, tx) ? -1 : 0;
}

static int on_modify(struct sipd_call *c, struct sipd_txn *tx, const struct sipd_msg *req)
{
	uint64_t now = app_now(c->app);
	struct sipd_str offer = sipd_msg_has_session_body(req) ? req->body : SIPD_STR_NULL;
	if (!offer.len && req->method == SIPD_METHOD_UPDATE) {
		/* a session refresh (RFC 4028 §10) or a target refresh: no offer,
		 * so no answer (RFC 3311 §5.2) */
		sipd_session_respond(c->s, tx, 200, SIPD_STR_NULL, now);
		return 0;
	}
	if (offer.len) {
		/* RFC 3264 §8.4: hold is a sendonly or inactive offer */
		bool held = sipd_sdp_is_hold(offer);
		if (held != c->remote_hold) {
			c->remote_hold = held;
			void (*cb)(void *, struct sipd_call *, const struct sipd_msg *) =
				held ? c->cb.hold : c->cb.unhold;
			if (cb)
				cb(c->user, c, req);
			if (c->ended)
				return 0;
		}
	}
	if (c->cb.modify && keep_tx(c, tx)) {
		if (c->cb.modify(c->user, c, tx, req, offer) >= 0 || c->ended || !forget_tx(c, tx))
			return 0;
	}
	answer_modify(c, tx, 200, NULL);
	return 0;
}

static int s_request(void *arg, struct sipd_session *s, struct sipd_txn *tx,
                     const struct sipd_msg *req)
{
	struct sipd_call *c = arg;
	if (s != c->s || c->ended)
		return -1;
	uint64_t now = app_now(c->app);
	switch (req->method) {
	case SIPD_METHOD_INVITE:
	case SIPD_METHOD_UPDATE: return on_modify(c, tx, req);
	case SIPD_METHOD_INFO:
		if (hand_over(c, c->cb.info, tx, req) == 0)
			return 0;
		/* RFC 6086 §4.2.2: 469 for a package we did not announce (we
		 * announce none); a legacy INFO, without a package, is taken */
		sipd_session_respond(s, tx, sipd_msg_find_name(req, "Info-Package") ? 469 : 200,
		                     SIPD_STR_NULL, now);
		return 0;
	case SIPD_METHOD_MESSAGE: return hand_over(c, c->cb.message, tx, req); /* default: 501 */
	case SIPD_METHOD_REFER:
		return hand_over(c, c->cb.refer, tx,
		                 req); /* default: 603, never accepted silently */
	case SIPD_METHOD_NOTIFY:
		if (hand_over(c, c->cb.notify, tx, req) == 0)
			return 0;
		/* RFC 3515 §2.4.4: the progress of our REFER; else RFC 6665
		 * §4.1.3: no such subscription */
		sipd_session_respond(s, tx, c->refer_sent ? 200 : 481, SIPD_STR_NULL, now);
		return 0;
	default: return hand_over(c, c->cb.request, tx, req); /* 200 to OPTIONS, else 501 */
	}
}

static const struct sipd_session_callbacks call_session_cb = {
	.size = sizeof call_session_cb,
	.state = s_state,
	.request = s_request,
	.modified = s_modified,
	.answer = s_answer,
	.response = s_response,
	.provisional = s_provisional,
};

/* ---------------------------------------------------------------- addresses */

/* The first listener with this transport and address family, or -1. */
static int pick_local(struct sipd_app *app, uint8_t transport, uint8_t family)
{
	const struct sipd_local *l;
	for (size_t i = 0; (l = sipd_runtime_local(app->rt, i)); i++)
		if (l->transport == transport && l->addr.family == family)
			return (int)i;
	return -1;
}

/* Our Contact URI on a listener: "sip:USER@HOST:PORT", ";transport=tcp" on
 * TCP, sips: on TLS (RFC 3261 §19.1, §26.2.2). */
static int contact_uri(struct sipd_app *app, uint16_t local, char *out, size_t cap)
{
	const struct sipd_local *l = sipd_runtime_local(app->rt, local);
	if (!l)
		return SIPD_EINVAL;
	char host[300];
	if (l->host) {
		snprintf(host, sizeof host, "%s", l->host);
	} else {
		char ip[64];
		int n = sipd_addr_format(&l->addr, ip, sizeof ip);
		if (n < 0)
			return n;
		/* the address comes without a NUL */
		snprintf(host, sizeof host, l->addr.family == 6 ? "[%.*s]" : "%.*s", n, ip);
	}
	int w = snprintf(out, cap, "%s:%s@%s:%u%s", l->transport == SIPD_TP_TLS ? "sips" : "sip",
	                 app->contact_user, host, (unsigned)l->addr.port,
	                 l->transport == SIPD_TP_TCP ? ";transport=tcp" : "");
	return w < 0 || (size_t)w >= cap ? SIPD_ENOSPC : 0;
}

/* ---------------------------------------------------------------- resolution */

static void uac_resolved(struct sipd_call *c, int status, const struct sipd_target *t, size_t n);
static void bridge_resolved(struct bridge *br, int status, const struct sipd_target *t, size_t n);

static void ticket_unlink(struct ticket *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else if (k->app->tickets == k)
		k->app->tickets = k->next;
	if (k->next)
		k->next->prev = k->prev;
}

static void on_resolved(void *arg, int status, const struct sipd_target *t, size_t n)
{
	struct ticket *k = arg;
	struct sipd_app *app = k->app;
	struct sipd_call *c = k->call;
	struct bridge *br = k->br;
	ticket_unlink(k);
	free(k);
	if (app->destroying)
		return;
	if (c) {
		c->ticket = NULL;
		uac_resolved(c, status, t, n);
	} else if (br) {
		br->ticket = NULL;
		bridge_resolved(br, status, t, n);
	}
	/* not a stack callback: what was sent or armed here needs the timer */
	sipd_runtime_kick(app->rt);
}

/* Resolves `uri` (RFC 3263) for a call or a bridge. */
static int resolve(struct sipd_app *app, const char *uri, struct sipd_call *c, struct bridge *br,
                   struct ticket **out)
{
	struct sipd_uri u;
	if (sipd_uri_parse(&u, uri, strlen(uri), NULL) ||
	    (u.kind != SIPD_URI_SIP && u.kind != SIPD_URI_SIPS))
		return SIPD_EINVAL;
	struct ticket *k = calloc(1, sizeof *k);
	if (!k)
		return SIPD_ENOMEM;
	k->app = app;
	k->call = c;
	k->br = br;
	int rc = sipd_runtime_resolve(app->rt, &u, on_resolved, k);
	if (rc) {
		free(k);
		return rc;
	}
	k->next = app->tickets;
	if (app->tickets)
		app->tickets->prev = k;
	app->tickets = k;
	*out = k;
	return 0;
}

/* ---------------------------------------------------------------- the stack's callbacks */

static void incoming_release(struct sipd_incoming *in)
{
	struct sipd_app *app = in->app;
	owner_drop(app, &in->own);
	if (in->prev)
		in->prev->next = in->next;
	else if (app->incomings == in)
		app->incomings = in->next;
	if (in->next)
		in->next->prev = in->prev;
	free(in);
}

static int on_invite(struct sipd_app *app, struct sipd_txn *tx, const struct sipd_flow *from)
{
	if (!app->cb.invite) {
		respond_plain(app, tx, 480, NULL);
		return 0;
	}
	struct sipd_incoming *in = calloc(1, sizeof *in);
	if (!in || owner_add(app, &in->own, tx, OWN_INCOMING)) {
		free(in);
		respond_plain(app, tx, 503, "Retry-After: 5\r\n");
		return 0;
	}
	in->app = app;
	in->from = *from;
	in->next = app->incomings;
	if (app->incomings)
		app->incomings->prev = in;
	app->incomings = in;
	app->cb.invite(app->user, app, in);
	return 0;
}

static int on_request(void *user, struct sipd_txn *tx, const struct sipd_msg *req,
                      const struct sipd_flow *from)
{
	struct sipd_app *app = user;
	if (req->to.tag.len || req->method == SIPD_METHOD_ACK) {
		/* within a dialog (§12.2.2); the ACK of a 2xx is its own request */
		app->cur_ack = req->method == SIPD_METHOD_ACK ? req : NULL;
		int rc = sipd_sessions_request(&app->env, tx, req, from);
		app->cur_ack = NULL;
		if (rc == 0)
			return 0;
	} else if (req->method == SIPD_METHOD_INVITE) {
		return on_invite(app, tx, from);
	}
	return app->cb.request ? app->cb.request(app->user, app, tx, req, from) : -1;
}

static void bridge_end_unstarted(struct bridge *br);

static void on_cancel(void *user, struct sipd_txn *inv, const struct sipd_msg *cancel)
{
	struct sipd_app *app = user;
	uint64_t now = app_now(app);
	struct owner *o = owner_find(app, inv);
	if (!o) {
		/* a session made by hand on the app's environment */
		struct sipd_session *s = sipd_txn_user(inv);
		if (s)
			sipd_session_cancelled(s, now);
		return;
	}
	switch (o->kind) {
	case OWN_INCOMING: {
		struct sipd_incoming *in = container_of(o, struct sipd_incoming, own);
		if (!in->answered) { /* RFC 3261 §9.2 */
			in->answered = true;
			respond_plain(app, inv, 487, NULL);
		}
		if (app->cb.incoming_cancelled)
			app->cb.incoming_cancelled(app->user, app, in);
		break;
	}
	case OWN_CALL: {
		struct sipd_call *c = container_of(o, struct sipd_call, own);
		if (c->s)
			sipd_session_cancelled(c->s, now);
		break;
	}
	case OWN_BRIDGE: {
		struct bridge *br = container_of(o, struct bridge, own);
		if (br->b) {
			sipd_b2bua_cancelled(br->b, cancel, now); /* CANCEL on to B, Reason kept */
		} else {
			respond_plain(app, inv, 487, NULL);
			bridge_end_unstarted(br);
		}
		break;
	}
	default: break;
	}
}

static void on_server_done(void *user, struct sipd_txn *tx, bool timeout)
{
	struct sipd_app *app = user;
	struct owner *o = owner_find(app, tx);
	if (o) {
		owner_drop(app, o);
		o->tx = NULL;
	}
	sipd_sessions_server_done(&app->env, tx, timeout);
}

static void on_log(void *user, int level, const char *event, const char *detail)
{
	struct sipd_app *app = user;
	if (app->log)
		app->log(app->user, level, event, detail);
}

/* Counts responses by class as they cross the wire, then the application's
 * trace. */
static void on_trace(void *user, bool sent, const struct sipd_flow *flow, const char *data,
                     size_t len)
{
	struct sipd_app *app = user;
	if (len > 12 && !memcmp(data, "SIP/2.0 ", 8) && data[8] >= '1' && data[8] <= '6')
		(sent ? app->stats.responses_sent : app->stats.responses_received)[data[8] - '0']++;
	if (app->trace)
		app->trace(app->user, sent, flow, data, len);
}

/* ---------------------------------------------------------------- the app */

int sipd_app_create(const struct sipd_app_config *cfg, struct sipd_app **out, char *errbuf,
                    size_t errlen)
{
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!out)
		return SIPD_EINVAL;
	*out = NULL;
	if (!cfg || cfg->size < offsetof(struct sipd_app_config, user) + sizeof cfg->user ||
	    !cfg->listen || !cfg->nlisten) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen,
			         "app: a configuration with at least one listener is needed");
		return SIPD_EINVAL;
	}
	struct sipd_app *app = calloc(1, sizeof *app);
	if (!app)
		return SIPD_ENOMEM;
	app->user = cfg->user;
	app->trace = cfg->trace;
	app->log = cfg->log;
	copy_sized(&app->cb, sizeof app->cb, cfg->cb);
	app->user_agent = dup_str(cfg->user_agent ? cfg->user_agent : DEFAULT_UA);
	app->allow = dup_str(cfg->allow ? cfg->allow : DEFAULT_ALLOW);
	app->contact_user = dup_str(cfg->contact_user ? cfg->contact_user : DEFAULT_CONTACT_USER);
	sipd_hmap_init(&app->owners);
	sipd_stack_timer_init(&app->reaper, reap, app);
	if (!app->user_agent || !app->allow || !app->contact_user) {
		sipd_app_destroy(app);
		return SIPD_ENOMEM;
	}
	app->stack_cb = (struct sipd_stack_callbacks){.size = sizeof app->stack_cb,
	                                              .request = on_request,
	                                              .cancel = on_cancel,
	                                              .server_done = on_server_done,
	                                              .log = on_log};
	struct sipd_runtime_config rc = {.size = sizeof rc,
	                                 .loop = cfg->loop,
	                                 .listen = cfg->listen,
	                                 .nlisten = cfg->nlisten,
	                                 .tls_cert = cfg->tls_cert,
	                                 .tls_key = cfg->tls_key,
	                                 .tls_ca = cfg->tls_ca,
	                                 .tls_insecure = cfg->tls_insecure,
	                                 .dns_servers = cfg->dns_servers,
	                                 .trace = on_trace,
	                                 .trace_user = app};
	if (cfg->stack)
		copy_sized(&rc.stack, sizeof rc.stack, cfg->stack);
	rc.stack.size = sizeof rc.stack;
	rc.stack.locals = NULL;
	rc.stack.nlocals = 0;
	rc.stack.random = NULL;
	rc.stack.allow = app->allow;
	rc.stack.supported = cfg->supported ? cfg->supported : DEFAULT_SUPPORTED;
	rc.stack.accept = cfg->accept ? cfg->accept : DEFAULT_ACCEPT;
	rc.stack.user_agent = app->user_agent;
	rc.stack.cb = &app->stack_cb;
	rc.stack.user = app;
	int err = sipd_runtime_create(&rc, &app->rt, errbuf, errlen);
	if (err) {
		app->rt = NULL;
		sipd_app_destroy(app);
		return err;
	}
	app->stack = sipd_runtime_stack(app->rt);
	app->dialogs_cb = (struct sipd_dialogs_callbacks){.size = sizeof app->dialogs_cb};
	struct sipd_dialogs_config dc = {
		.size = sizeof dc, .cb = &app->dialogs_cb, .user = app, .random = table_random};
	app->dialogs = sipd_dialogs_create(&dc);
	if (!app->dialogs) {
		sipd_app_destroy(app);
		return SIPD_ENOMEM;
	}
	app->env = (struct sipd_session_env){
		.size = sizeof app->env, .stack = app->stack, .dialogs = app->dialogs};
	*out = app;
	return 0;
}

static void bridge_free(struct bridge *br);

void sipd_app_destroy(struct sipd_app *app)
{
	if (!app)
		return;
	app->destroying = true;
	/* first what hangs from the stack (sessions cancel their timers in it),
	 * then the stack with the runtime, then the dialogs the sessions'
	 * last transactions may still release */
	while (app->incomings)
		incoming_release(app->incomings);
	while (app->bridges) {
		struct bridge *br = app->bridges;
		sipd_b2bua_free(br->b);
		br->b = NULL;
		bridge_free(br);
	}
	app->ended = NULL;
	while (app->calls)
		call_free(app->calls);
	if (app->stack)
		sipd_stack_timer_cancel(app->stack, &app->reaper);
	sipd_runtime_destroy(app->rt); /* resolutions cancelled now call back: ignored */
	while (app->tickets) {
		struct ticket *k = app->tickets;
		app->tickets = k->next;
		free(k);
	}
	if (app->dialogs)
		sipd_dialogs_destroy(app->dialogs);
	sipd_hmap_free(&app->owners);
	free(app->user_agent);
	free(app->allow);
	free(app->contact_user);
	free(app);
}

int sipd_app_run(struct sipd_app *app)
{
	return sipd_runtime_run(app->rt);
}

void sipd_app_stop(struct sipd_app *app)
{
	sipd_runtime_stop(app->rt);
}

uint64_t sipd_app_now(struct sipd_app *app)
{
	return app_now(app);
}

struct sipd_runtime *sipd_app_runtime(struct sipd_app *app)
{
	return app->rt;
}

struct sipd_stack *sipd_app_stack(struct sipd_app *app)
{
	return app->stack;
}

const struct sipd_session_env *sipd_app_env(struct sipd_app *app)
{
	return &app->env;
}

void *sipd_app_user(const struct sipd_app *app)
{
	return app->user;
}

void sipd_app_stats(const struct sipd_app *app, struct sipd_app_stats *out)
{
	*out = app->stats;
}

/* ---------------------------------------------------------------- incoming INVITEs */

const struct sipd_msg *sipd_incoming_request(const struct sipd_incoming *in)
{
	return in && in->own.tx ? sipd_txn_request(in->own.tx) : NULL;
}

const struct sipd_flow *sipd_incoming_flow(const struct sipd_incoming *in)
{
	return &in->from;
}

int sipd_incoming_reject(struct sipd_incoming *in, unsigned code, const char *headers)
{
	if (!in)
		return SIPD_EINVAL;
	struct sipd_app *app = in->app;
	int rc;
	if (!in->own.tx || in->answered) {
		rc = SIPD_ESTATE;
	} else if (code < 300 || code > 699) {
		respond_plain(app, in->own.tx, 500, NULL);
		rc = SIPD_EINVAL;
	} else {
		rc = respond_plain(app, in->own.tx, code, headers);
	}
	incoming_release(in);
	sipd_runtime_kick(app->rt);
	return rc;
}

/* Gives up an incoming INVITE that cannot become a call: the status (0:
 * none) when it is still unanswered. */
static int incoming_fail(struct sipd_incoming *in, unsigned code, int rc)
{
	if (code && in->own.tx && !in->answered)
		respond_plain(in->app, in->own.tx, code, code == 503 ? "Retry-After: 5\r\n" : NULL);
	struct sipd_app *app = in->app;
	incoming_release(in);
	sipd_runtime_kick(app->rt);
	return rc;
}

/* ---------------------------------------------------------------- UAS */

static struct sipd_call *call_new(struct sipd_app *app, const struct sipd_call_callbacks *cb,
                                  void *user)
{
	struct sipd_call *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->app = app;
	copy_sized(&c->cb, sizeof c->cb, cb);
	c->user = user;
	c->dir = DIR_BOTH;
	return c;
}

static void call_register(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	c->next = app->calls;
	if (app->calls)
		app->calls->prev = c;
	app->calls = c;
	app->stats.calls_total++;
	app->stats.calls_active++;
}

static uint8_t rel_policy(bool no, bool prefer)
{
	return (uint8_t)(no ? SIPD_REL_OFF : prefer ? SIPD_REL_PREFERRED : SIPD_REL_SUPPORTED);
}

int sipd_app_create_uas(struct sipd_app *app, struct sipd_incoming *in,
                        const struct sipd_uas_opts *opts, struct sipd_call **out)
{
	if (!in)
		return SIPD_EINVAL;
	if (out)
		*out = NULL;
	if (!in->own.tx || in->answered)
		return incoming_fail(in, 0, SIPD_ESTATE);
	if (!out || !opts ||
	    opts->size < offsetof(struct sipd_uas_opts, user) + sizeof opts->user ||
	    (opts->provisional && (opts->provisional < 101 || opts->provisional > 199)))
		return incoming_fail(in, 500, SIPD_EINVAL);
	struct sipd_call *c = call_new(app, opts->cb, opts->user);
	if (!c || (opts->sdp && *opts->sdp && set_sdp(c, opts->sdp))) {
		if (c)
			call_free(c);
		return incoming_fail(in, 503, SIPD_ENOMEM);
	}
	c->uas = true;
	char contact[400];
	if (contact_uri(app, in->from.local, contact, sizeof contact)) {
		call_free(c);
		return incoming_fail(in, 500, SIPD_EINVAL);
	}
	struct sipd_st_config timer;
	if (opts->timer) {
		copy_sized(&timer, sizeof timer, opts->timer);
		timer.size = sizeof timer;
	}
	struct sipd_session_opts so = {.size = sizeof so,
	                               .dialog = {.size = sizeof so.dialog,
	                                          .local_contact = str_of(contact),
	                                          .tls = in->from.transport == SIPD_TP_TLS},
	                               .cb = &call_session_cb,
	                               .arg = c,
	                               .rel_policy =
	                                       rel_policy(opts->no_100rel, opts->prefer_100rel),
	                               .timer = opts->timer ? &timer : NULL};
	uint64_t now = app_now(app);
	struct sipd_txn *tx = in->own.tx;
	int rc = sipd_session_uas(&app->env, tx, &in->from, &so, now, &c->s);
	if (rc) {
		c->s = NULL;
		call_free(c);
		/* EINVAL and EPARSE: refused and answered by the session (420,
		 * 421, 422, 400) */
		return incoming_fail(in, rc == SIPD_ENOMEM || rc == SIPD_ELIMIT ? 503 : 0, rc);
	}
	if (owner_move(app, &in->own, &c->own, OWN_CALL)) {
		/* CANCEL would not find it: refuse the call rather than lose it */
		c->ended = true; /* no `terminated`: the application never had it */
		sipd_session_reject(c->s, 503, NULL, now);
		call_free(c);
		return incoming_fail(in, 0, SIPD_ENOMEM);
	}
	incoming_release(in);
	call_register(c);
	refresh_ids(c);
	const struct sipd_msg *req = sipd_txn_request(tx);
	if (req && sipd_msg_has_session_body(req))
		c->remote_hold = sipd_sdp_is_hold(req->body);
	struct sipd_str sdp = {c->sdp, c->sdp_len};
	if (opts->provisional)
		sipd_session_progress(c->s, opts->provisional,
		                      opts->early_media ? sdp : SIPD_STR_NULL, now);
	if (c->sdp && !c->ended && sipd_session_accept(c->s, sdp, now)) {
		/* the 2xx could not go: the call ends (terminated, ERROR) */
		end_call(c, SIPD_CALL_END_ERROR, NULL);
		sipd_session_reject(c->s, 500, NULL, now);
	}
	*out = c;
	sipd_runtime_kick(app->rt);
	return 0;
}

/* ---------------------------------------------------------------- UAC */

/* The INVITE to the next usable target (RFC 3263 §4.3): a new session with
 * the same Call-ID, tags and CSeq (a new transaction, not a new request). */
static int uac_send(struct sipd_call *c)
{
	struct sipd_app *app = c->app;
	for (; c->next_target < c->ntargets; c->next_target++) {
		const struct sipd_target *t = &c->targets[c->next_target];
		int local = pick_local(app, t->transport, t->addr.family);
		char contact[400];
		if (local < 0 || contact_uri(app, (uint16_t)local, contact, sizeof contact))
			continue;
		if (!c->from) {
			c->from = dup_str(contact);
			if (!c->from)
				return SIPD_ENOMEM;
			struct sipd_str v[ID__COUNT] = {str_of(c->call_id), str_of(c->tag),
			                                SIPD_STR_NULL, uri_part(c->from),
			                                uri_part(c->to)};
			set_ids(c, v);
		}
		bool na_from = strchr(c->from, '<') != NULL, na_to = strchr(c->to, '<') != NULL;
		size_t cap = strlen(c->from) + strlen(c->to) + strlen(contact) +
		             strlen(app->allow) + strlen(app->user_agent) +
		             (c->headers ? strlen(c->headers) : 0) + 256;
		char *hdrs = malloc(cap);
		if (!hdrs)
			return SIPD_ENOMEM;
		int n = snprintf(hdrs, cap,
		                 "From: %s%s%s;tag=%s\r\nTo: %s%s%s\r\nCall-ID: %s\r\n"
		                 "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <%s>\r\n"
		                 "Allow: %s\r\nSupported: 100rel\r\nUser-Agent: %s\r\n%s",
		                 na_from ? "" : "<", c->from, na_from ? "" : ">", c->tag,
		                 na_to ? "" : "<", c->to, na_to ? "" : ">", c->call_id, contact,
		                 app->allow, app->user_agent, c->headers ? c->headers : "");
		struct sipd_request req = {.size = sizeof req,
		                           .method = {"INVITE", 6},
		                           .uri = str_of(c->uri),
		                           .headers = {hdrs, n > 0 ? (size_t)n : 0},
		                           .content_type = c->sdp ? "application/sdp" : NULL,
		                           .body = {c->sdp, c->sdp_len},
		                           .flow = {.transport = t->transport,
		                                    .local = (uint16_t)local,
		                                    .remote = t->addr}};
		struct sipd_session_opts so = {.size = sizeof so,
		                               .dialog = {.size = sizeof so.dialog,
		                                          .local_contact = str_of(contact),
		                                          .tls = t->transport == SIPD_TP_TLS},
		                               .cb = &call_session_cb,
		                               .arg = c,
		                               .timer = c->has_timer ? &c->timer : NULL};
		int rc = n > 0 && (size_t)n < cap
		                 ? sipd_session_uac(&app->env, &req, &so, app_now(app), &c->s)
		                 : SIPD_ENOSPC;
		free(hdrs);
		if (rc == 0) {
			c->next_target++;
			return 0;
		}
		c->s = NULL;
	}
	return SIPD_ENOTFOUND;
}

static void uac_resolved(struct sipd_call *c, int status, const struct sipd_target *t, size_t n)
{
	if (c->ended)
		return;
	c->ntargets = 0;
	if (status == 0 && n) {
		c->targets = malloc(n * sizeof *c->targets);
		c->retired = n > 1 ? calloc(n, sizeof *c->retired) : NULL;
		if (c->targets && (n == 1 || c->retired)) {
			memcpy(c->targets, t, n * sizeof *t);
			c->ntargets = n;
		}
	}
	if (uac_send(c))
		end_call(c, SIPD_CALL_END_UNREACHABLE, NULL);
}

int sipd_app_create_uac(struct sipd_app *app, const char *uri, const struct sipd_uac_opts *opts,
                        struct sipd_call **out)
{
	if (!out)
		return SIPD_EINVAL;
	*out = NULL;
	if (!app || !uri || !opts ||
	    opts->size < offsetof(struct sipd_uac_opts, user) + sizeof opts->user)
		return SIPD_EINVAL;
	struct sipd_call *c = call_new(app, opts->cb, opts->user);
	if (!c)
		return SIPD_ENOMEM;
	c->uri = dup_str(uri);
	c->to = dup_str(opts->to ? opts->to : uri);
	c->from = opts->from ? dup_str(opts->from) : NULL;
	c->headers = opts->headers ? dup_str(opts->headers) : NULL;
	if (!c->uri || !c->to || (opts->from && !c->from) || (opts->headers && !c->headers) ||
	    (opts->sdp && *opts->sdp && set_sdp(c, opts->sdp))) {
		call_free(c);
		return SIPD_ENOMEM;
	}
	if (opts->timer) {
		copy_sized(&c->timer, sizeof c->timer, opts->timer);
		c->timer.size = sizeof c->timer;
		c->has_timer = true;
	}
	sipd_stack_random_token(app->stack, c->call_id, CALL_ID_LEN);
	sipd_stack_random_token(app->stack, c->tag, TAG_LEN);
	struct sipd_str v[ID__COUNT] = {str_of(c->call_id), str_of(c->tag), SIPD_STR_NULL,
	                                uri_part(c->from), uri_part(c->to)};
	set_ids(c, v);
	int rc = resolve(app, uri, c, NULL, &c->ticket);
	if (rc) {
		call_free(c);
		return rc;
	}
	call_register(c);
	*out = c;
	return 0;
}

/* ---------------------------------------------------------------- B2BUA */

static void bridge_free(struct bridge *br)
{
	struct sipd_app *app = br->app;
	owner_drop(app, &br->own);
	if (br->ticket)
		br->ticket->br = NULL;
	if (br->prev)
		br->prev->next = br->next;
	else if (app->bridges == br)
		app->bridges = br->next;
	if (br->next)
		br->next->prev = br->prev;
	free(br->uri);
	free(br->from_uri);
	free(br->headers);
	free(br);
}

static void bridge_over(struct bridge *br)
{
	struct sipd_app *app = br->app;
	app->stats.calls_active--;
	if (!br->answered)
		app->stats.calls_failed++;
}

/* No B leg was ever sent: `ended` with no b2bua. */
static void bridge_end_unstarted(struct bridge *br)
{
	bridge_over(br);
	if (br->cb.ended)
		br->cb.ended(br->arg, NULL);
	bridge_free(br);
}

static long br_rewrite(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg from,
                       struct sipd_str sdp, char *out, size_t cap)
{
	struct bridge *br = arg;
	return br->cb.rewrite ? br->cb.rewrite(br->arg, b, from, sdp, out, cap) : -1;
}

static void br_leg_state(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
                         enum sipd_session_state st, enum sipd_session_end why)
{
	struct bridge *br = arg;
	if (leg == SIPD_B2BUA_A && st == SIPD_SESSION_WAIT_ACK && !br->answered) {
		br->answered = true;
		br->app->stats.calls_answered++;
	}
	if (br->cb.leg_state)
		br->cb.leg_state(br->arg, b, leg, st, why);
}

static void br_ended(void *arg, struct sipd_b2bua *b)
{
	struct bridge *br = arg;
	bridge_over(br);
	if (br->cb.ended)
		br->cb.ended(br->arg, b);
	br->b = NULL; /* it frees itself when this returns */
	bridge_free(br);
}

static const struct sipd_b2bua_callbacks bridge_cb = {
	.size = sizeof bridge_cb,
	.rewrite = br_rewrite,
	.leg_state = br_leg_state,
	.ended = br_ended,
};

static void bridge_resolved(struct bridge *br, int status, const struct sipd_target *t, size_t n)
{
	struct sipd_app *app = br->app;
	struct sipd_txn *tx = br->own.tx;
	int local = -1;
	size_t i = 0;
	for (; status == 0 && i < n && local < 0; i++)
		local = pick_local(app, t[i].transport, t[i].addr.family);
	char a_contact[400], b_contact[400];
	if (!tx || local < 0 || contact_uri(app, br->from.local, a_contact, sizeof a_contact) ||
	    contact_uri(app, (uint16_t)local, b_contact, sizeof b_contact)) {
		if (tx) /* nowhere to send the call */
			respond_plain(app, tx, 503, NULL);
		bridge_end_unstarted(br);
		return;
	}
	const struct sipd_target *to = &t[i - 1];
	struct sipd_b2bua_opts o = {
		.size = sizeof o,
		.target = str_of(br->uri),
		.flow = {.transport = to->transport, .local = (uint16_t)local, .remote = to->addr},
		.a_contact = str_of(a_contact),
		.b_contact = str_of(b_contact),
		.from = str_of(br->from_uri),
		.copy_only = br->copy_only,
		.no_copy = br->no_copy,
		.b_headers = str_of(br->headers),
		.rel_policy = br->rel,
		.cb = &bridge_cb,
		.arg = br,
	};
	if (sipd_b2bua_create(&app->env, tx, &br->from, &o, app_now(app), &br->b)) {
		br->b = NULL; /* the caller was answered by the b2bua */
		bridge_end_unstarted(br);
	}
}

int sipd_app_create_b2bua(struct sipd_app *app, struct sipd_incoming *in, const char *uri,
                          const struct sipd_app_b2bua_opts *opts)
{
	if (!in)
		return SIPD_EINVAL;
	if (!in->own.tx || in->answered)
		return incoming_fail(in, 0, SIPD_ESTATE);
	if (!app || !uri || !opts ||
	    opts->size < offsetof(struct sipd_app_b2bua_opts, arg) + sizeof opts->arg)
		return incoming_fail(in, 500, SIPD_EINVAL);
	struct sipd_uri u;
	if (sipd_uri_parse(&u, uri, strlen(uri), NULL) ||
	    (u.kind != SIPD_URI_SIP && u.kind != SIPD_URI_SIPS))
		return incoming_fail(in, 500, SIPD_EINVAL);
	struct bridge *br = calloc(1, sizeof *br);
	if (!br)
		return incoming_fail(in, 503, SIPD_ENOMEM);
	br->app = app;
	br->from = in->from;
	copy_sized(&br->cb, sizeof br->cb, opts->cb);
	br->arg = opts->arg;
	br->copy_only = opts->copy_only;
	br->no_copy = opts->no_copy;
	br->rel = rel_policy(opts->no_100rel, opts->prefer_100rel);
	br->uri = dup_str(uri);
	br->from_uri = opts->from ? dup_str(opts->from) : NULL;
	br->headers = opts->headers ? dup_str(opts->headers) : NULL;
	int rc = 0;
	if (!br->uri || (opts->from && !br->from_uri) || (opts->headers && !br->headers))
		rc = SIPD_ENOMEM;
	if (!rc)
		rc = owner_move(app, &in->own, &br->own, OWN_BRIDGE);
	if (!rc)
		rc = resolve(app, uri, NULL, br, &br->ticket);
	if (rc) {
		/* the transaction may have moved to the bridge already */
		struct sipd_txn *tx = br->own.tx ? br->own.tx : in->own.tx;
		if (tx)
			respond_plain(app, tx, rc == SIPD_EINVAL ? 500 : 503, NULL);
		in->answered = true;
		bridge_free(br);
		return incoming_fail(in, 0, rc);
	}
	incoming_release(in);
	br->next = app->bridges;
	if (app->bridges)
		app->bridges->prev = br;
	app->bridges = br;
	app->stats.calls_total++;
	app->stats.calls_active++;
	return 0;
}

/* ---------------------------------------------------------------- what a call does */

int sipd_call_answer(struct sipd_call *c, const char *sdp)
{
	if (!c)
		return SIPD_EINVAL;
	if (!c->uas || c->ended || !c->s || sipd_session_state(c->s) > SIPD_SESSION_EARLY)
		return SIPD_ESTATE;
	if (!sdp || !*sdp)
		return SIPD_EINVAL;
	int rc = set_sdp(c, sdp);
	if (rc == 0)
		rc = sipd_session_accept(c->s, (struct sipd_str){c->sdp, c->sdp_len},
		                         app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_progress(struct sipd_call *c, unsigned code, const char *sdp)
{
	if (!c || code < 101 || code > 199)
		return SIPD_EINVAL;
	if (!c->uas || c->ended || !c->s)
		return SIPD_ESTATE;
	int rc = sdp && *sdp ? set_sdp(c, sdp) : 0;
	if (rc == 0)
		rc = sipd_session_progress(c->s, code, sdp && *sdp ? str_of(c->sdp) : SIPD_STR_NULL,
		                           app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

/* A UAC call that has not sent its INVITE yet (the name resolves) just
 * ends. */
static int end_unsent(struct sipd_call *c)
{
	c->local_end = true;
	end_call(c, SIPD_CALL_END_LOCAL, NULL);
	sipd_runtime_kick(c->app->rt);
	return 0;
}

int sipd_call_cancel(struct sipd_call *c)
{
	if (!c)
		return SIPD_EINVAL;
	if (c->uas || c->ended || c->answered)
		return SIPD_ESTATE;
	if (!c->s)
		return end_unsent(c);
	int rc = sipd_session_cancel(c->s, NULL, app_now(c->app));
	if (rc == 0)
		c->local_end = true;
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_destroy(struct sipd_call *c, const char *reason)
{
	if (!c)
		return SIPD_EINVAL;
	if (c->ended || c->local_end)
		return SIPD_ESTATE;
	if (!c->s)
		return end_unsent(c);
	uint64_t now = app_now(c->app);
	enum sipd_session_state st = sipd_session_state(c->s);
	int rc;
	c->local_end = true; /* before: the end may be reported from inside */
	if (c->uas && st < SIPD_SESSION_WAIT_ACK)
		rc = sipd_session_reject(c->s, 480, NULL, now);
	else if (!c->uas && st < SIPD_SESSION_CONFIRMED)
		rc = sipd_session_cancel(c->s, reason, now);
	else
		rc = sipd_session_bye(c->s, reason, now);
	if (rc && !c->ended)
		c->local_end = false;
	sipd_runtime_kick(c->app->rt);
	return rc;
}

static int send_offer(struct sipd_call *c, struct sipd_str offer)
{
	if (c->ended || !c->s)
		return SIPD_ESTATE;
	int rc = sipd_session_modify(c->s, offer, false, app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_modify(struct sipd_call *c, const char *sdp)
{
	if (!c || !sdp || !*sdp)
		return SIPD_EINVAL;
	int rc = send_offer(c, str_of(sdp));
	if (rc == 0) {
		set_sdp(c, sdp); /* the session has its own copy if this fails */
		c->local_hold = false;
	}
	return rc;
}

static int change_hold(struct sipd_call *c, bool hold)
{
	if (!c)
		return SIPD_EINVAL;
	if (c->local_hold == hold || c->hold_pending)
		return SIPD_ESTATE;
	struct sipd_str local = local_sdp(c);
	if (!local.len)
		return SIPD_ESTATE;
	/* RFC 3264 §8.4: sendrecv becomes sendonly, recvonly inactive */
	unsigned want = hold ? c->dir & DIR_SEND : c->dir;
	char *tmp;
	size_t n = 0;
	int rc = sdp_with_dir(local, want, &tmp, &n);
	if (rc)
		return rc;
	rc = send_offer(c, tmp ? (struct sipd_str){tmp, n} : local);
	free(tmp);
	if (rc == 0) {
		c->hold_before = c->local_hold;
		c->local_hold = hold;
		c->hold_pending = true;
	}
	return rc;
}

int sipd_call_hold(struct sipd_call *c)
{
	return change_hold(c, true);
}

int sipd_call_unhold(struct sipd_call *c)
{
	return change_hold(c, false);
}

int sipd_call_request(struct sipd_call *c, const struct sipd_call_request *r)
{
	if (!c || !r || r->size < offsetof(struct sipd_call_request, arg) + sizeof r->arg ||
	    !r->method || !*r->method || (r->body && !r->content_type))
		return SIPD_EINVAL;
	if (c->ended || !c->s)
		return SIPD_ESTATE;
	if (c->nreqs == c->reqs_cap) {
		if (c->reqs_cap == MAX_REQUESTS)
			return SIPD_ELIMIT;
		size_t cap = c->reqs_cap ? c->reqs_cap * 2 : 2;
		struct our_request *p = realloc(c->reqs, cap * sizeof *p);
		if (!p)
			return SIPD_ENOMEM;
		c->reqs = p;
		c->reqs_cap = cap;
	}
	struct sipd_str body = {r->body,
	                        r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0};
	int rc = sipd_session_request(c->s, r->method, str_of(r->headers), r->content_type, body,
	                              app_now(c->app));
	if (rc == 0) {
		uint32_t seq = 0;
		const struct sipd_dialog *d = sipd_session_dialog(c->s);
		if (d)
			sipd_dialog_local_seq(d, &seq);
		c->reqs[c->nreqs++] =
			(struct our_request){seq, !strcmp(r->method, "REFER"), r->arg};
	}
	sipd_runtime_kick(c->app->rt);
	return rc;
}

int sipd_call_respond(struct sipd_call *c, struct sipd_txn *tx, unsigned code, const char *sdp)
{
	if (!c || !tx || code < 200 || code > 699)
		return SIPD_EINVAL;
	if (c->ended || !c->s)
		return SIPD_ESTATE;
	if (!forget_tx(c, tx))
		return SIPD_EINVAL;
	const struct sipd_msg *req = sipd_txn_request(tx);
	int rc;
	if (req && (req->method == SIPD_METHOD_INVITE || req->method == SIPD_METHOD_UPDATE))
		rc = answer_modify(c, tx, code, sdp);
	else
		rc = sipd_session_respond(c->s, tx, code, SIPD_STR_NULL, app_now(c->app));
	sipd_runtime_kick(c->app->rt);
	return rc;
}

/* ---------------------------------------------------------------- what a call is */

const char *sipd_call_end_name(enum sipd_call_end why)
{
	switch (why) {
	case SIPD_CALL_END_LOCAL: return "local";
	case SIPD_CALL_END_REMOTE: return "remote-bye";
	case SIPD_CALL_END_CANCELLED: return "cancelled";
	case SIPD_CALL_END_REJECTED: return "rejected";
	case SIPD_CALL_END_TIMEOUT: return "timeout";
	case SIPD_CALL_END_UNREACHABLE: return "unreachable";
	case SIPD_CALL_END_ERROR: return "error";
	case SIPD_CALL_END_REPLACED: return "replaced";
	default: return "unknown";
	}
}

static const char *id_of(const struct sipd_call *c, int i)
{
	return c->id[i] ? c->id[i] : "";
}

const char *sipd_call_call_id(const struct sipd_call *c)
{
	return id_of(c, ID_CALL_ID);
}

const char *sipd_call_local_tag(const struct sipd_call *c)
{
	return id_of(c, ID_LOCAL_TAG);
}

const char *sipd_call_remote_tag(const struct sipd_call *c)
{
	return id_of(c, ID_REMOTE_TAG);
}

const char *sipd_call_local_uri(const struct sipd_call *c)
{
	return id_of(c, ID_LOCAL_URI);
}

const char *sipd_call_remote_uri(const struct sipd_call *c)
{
	return id_of(c, ID_REMOTE_URI);
}

struct sipd_str sipd_call_remote_sdp(const struct sipd_call *c)
{
	return c->s ? sipd_oa_remote(sipd_session_oa(c->s)) : SIPD_STR_NULL;
}

struct sipd_str sipd_call_local_sdp(const struct sipd_call *c)
{
	return local_sdp(c);
}

enum sipd_session_state sipd_call_state(const struct sipd_call *c)
{
	if (c->ended)
		return SIPD_SESSION_TERMINATED;
	return c->s ? sipd_session_state(c->s) : SIPD_SESSION_INITIAL;
}

bool sipd_call_is_uas(const struct sipd_call *c)
{
	return c->uas;
}

bool sipd_call_held(const struct sipd_call *c)
{
	return c->local_hold;
}

bool sipd_call_remote_held(const struct sipd_call *c)
{
	return c->remote_hold;
}

void *sipd_call_user(const struct sipd_call *c)
{
	return c->user;
}

void sipd_call_set_user(struct sipd_call *c, void *user)
{
	c->user = user;
}

struct sipd_app *sipd_call_app(const struct sipd_call *c)
{
	return c->app;
}

struct sipd_session *sipd_call_session(const struct sipd_call *c)
{
	return c->s;
}
