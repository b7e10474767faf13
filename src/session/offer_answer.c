/* The offer/answer engine (RFC 3264 §4, RFC 6337 §2-3). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sipdialog/session.h>

void sipd_oa_init(struct sipd_oa *oa)
{
	memset(oa, 0, sizeof *oa);
}

/* A copy has one byte more than its description: how many engines besides
 * the first hold it. */
void sipd_oa_release(char *body, size_t len)
{
	if (!body)
		return;
	if (body[len])
		body[len]--;
	else
		free(body);
}

void sipd_oa_free(struct sipd_oa *oa)
{
	sipd_oa_release(oa->local, oa->local_len);
	sipd_oa_release(oa->remote, oa->remote_len);
	sipd_oa_release(oa->offer, oa->offer_len);
	if (oa->peer)
		oa->peer->peer = NULL;
	sipd_oa_init(oa);
}

void sipd_oa_share(struct sipd_oa *a, struct sipd_oa *b)
{
	if (a->peer)
		a->peer->peer = NULL;
	if (b->peer)
		b->peer->peer = NULL;
	a->peer = b;
	b->peer = a;
}

/* The peer's copy when `b` is one, else NULL. */
static char *peers(const struct sipd_oa *oa, struct sipd_str b)
{
	const struct sipd_oa *p = oa->peer;
	if (!p || !b.len)
		return NULL;
	if (b.p == p->local && b.len == p->local_len)
		return p->local;
	if (b.p == p->remote && b.len == p->remote_len)
		return p->remote;
	if (b.p == p->offer && b.len == p->offer_len)
		return p->offer;
	return NULL;
}

static char *dup_body(const struct sipd_oa *oa, struct sipd_str b)
{
	if (b.len > UINT32_MAX)
		return NULL;
	char *p = peers(oa, b);
	if (p && p[b.len] < CHAR_MAX) {
		p[b.len]++;
		return p;
	}
	p = malloc(b.len + 1);
	if (p) {
		if (b.len)
			memcpy(p, b.p, b.len);
		p[b.len] = 0;
	}
	return p;
}

/* An offer, ours or theirs, from INITIAL or STABLE (§4: one at a time). */
static int offer(struct sipd_oa *oa, struct sipd_str body, enum sipd_oa_state to)
{
	if (oa->state != SIPD_OA_INITIAL && oa->state != SIPD_OA_STABLE)
		return SIPD_ESTATE;
	char *copy = dup_body(oa, body);
	if (!copy)
		return SIPD_ENOMEM;
	sipd_oa_release(oa->offer, oa->offer_len);
	oa->offer = copy;
	oa->offer_len = (uint32_t)body.len;
	oa->saved_state = oa->state;
	oa->state = (uint8_t)to;
	return 0;
}

/* The answer completes the exchange: the offer and the answer become the
 * agreed descriptions, each on its side. */
static int answer(struct sipd_oa *oa, struct sipd_str body, enum sipd_oa_state from, bool ours)
{
	if (oa->state != from)
		return SIPD_ESTATE;
	char *copy = dup_body(oa, body);
	if (!copy)
		return SIPD_ENOMEM;
	char **offer_side = ours ? &oa->remote : &oa->local;
	uint32_t *offer_len = ours ? &oa->remote_len : &oa->local_len;
	char **answer_side = ours ? &oa->local : &oa->remote;
	uint32_t *answer_len = ours ? &oa->local_len : &oa->remote_len;
	sipd_oa_release(*offer_side, *offer_len);
	*offer_side = oa->offer;
	*offer_len = oa->offer_len;
	oa->offer = NULL;
	oa->offer_len = 0;
	sipd_oa_release(*answer_side, *answer_len);
	*answer_side = copy;
	*answer_len = (uint32_t)body.len;
	oa->state = SIPD_OA_STABLE;
	return 0;
}

int sipd_oa_send_offer(struct sipd_oa *oa, struct sipd_str body)
{
	return offer(oa, body, SIPD_OA_HAVE_LOCAL_OFFER);
}

int sipd_oa_recv_offer(struct sipd_oa *oa, struct sipd_str body)
{
	return offer(oa, body, SIPD_OA_HAVE_REMOTE_OFFER);
}

int sipd_oa_send_answer(struct sipd_oa *oa, struct sipd_str body)
{
	return answer(oa, body, SIPD_OA_HAVE_REMOTE_OFFER, true);
}

int sipd_oa_recv_answer(struct sipd_oa *oa, struct sipd_str body)
{
	return answer(oa, body, SIPD_OA_HAVE_LOCAL_OFFER, false);
}

void sipd_oa_rollback(struct sipd_oa *oa)
{
	if (oa->state != SIPD_OA_HAVE_LOCAL_OFFER && oa->state != SIPD_OA_HAVE_REMOTE_OFFER)
		return;
	sipd_oa_release(oa->offer, oa->offer_len);
	oa->offer = NULL;
	oa->offer_len = 0;
	oa->state = oa->saved_state;
}

void sipd_oa_close(struct sipd_oa *oa)
{
	oa->state = SIPD_OA_CLOSED;
}

bool sipd_oa_expects_answer(const struct sipd_oa *oa)
{
	return oa->state == SIPD_OA_HAVE_LOCAL_OFFER;
}

enum sipd_oa_state sipd_oa_state(const struct sipd_oa *oa)
{
	return oa->state;
}

const char *sipd_oa_state_name(enum sipd_oa_state st)
{
	switch (st) {
	case SIPD_OA_INITIAL: return "initial";
	case SIPD_OA_HAVE_LOCAL_OFFER: return "have-local-offer";
	case SIPD_OA_HAVE_REMOTE_OFFER: return "have-remote-offer";
	case SIPD_OA_STABLE: return "stable";
	case SIPD_OA_CLOSED: return "closed";
	}
	return "";
}

struct sipd_str sipd_oa_local(const struct sipd_oa *oa)
{
	return (struct sipd_str){oa->local, oa->local_len};
}

struct sipd_str sipd_oa_remote(const struct sipd_oa *oa)
{
	return (struct sipd_str){oa->remote, oa->remote_len};
}

struct sipd_str sipd_oa_pending_offer(const struct sipd_oa *oa)
{
	return (struct sipd_str){oa->offer, oa->offer_len};
}

bool sipd_msg_has_session_body(const struct sipd_msg *m)
{
	if (!m->body.len)
		return false;
	const struct sipd_hdr *h = sipd_msg_find(m, SIPD_HDR_CONTENT_DISPOSITION);
	if (h) {
		struct sipd_disposition d;
		return sipd_disposition_parse(&d, h->value, NULL) == 0 &&
		       sipd_str_ieq(d.type, "session");
	}
	/* §20.11: without a disposition, application/sdp means "session" (and
	 * a multipart body may hold one); other types mean "render" */
	const struct sipd_hdr *ct = sipd_msg_find(m, SIPD_HDR_CONTENT_TYPE);
	struct sipd_media mt;
	if (!ct || sipd_media_parse(&mt, ct->value, NULL))
		return false;
	return (sipd_str_ieq(mt.type, "application") && sipd_str_ieq(mt.subtype, "sdp")) ||
	       sipd_str_ieq(mt.type, "multipart");
}
