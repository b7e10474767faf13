/* Session timers (RFC 4028): the negotiation of Session-Expires and Min-SE
 * between the two user agents, and the two deadlines that follow from it.
 * Sans-IO: header lines go into the caller's buffer, times come in. */
#include <string.h>

#include <sipdialog/session.h>

/* The config as this version knows it: a caller built against an older,
 * shorter struct gets defaults for the fields it does not have. */
static void load(struct sipd_st_config *out, const struct sipd_st_config *in)
{
	memset(out, 0, sizeof *out);
	if (in && in->size) {
		size_t n = in->size < sizeof *out ? in->size : sizeof *out;
		memcpy(out, in, n);
	}
	out->size = sizeof *out;
	/* §5: 90 s is the least any Min-SE may say, and what an absent one means */
	if (out->min_se < SIPD_ST_FLOOR)
		out->min_se = SIPD_ST_FLOOR;
	if (!out->session_expires)
		out->session_expires = SIPD_ST_DEFAULT;
	/* §7.1: a request's Session-Expires is never below its own Min-SE */
	if (out->session_expires < out->min_se)
		out->session_expires = out->min_se;
	if (!out->max_422)
		out->max_422 = SIPD_ST_DEFAULT_MAX_422;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

void sipd_st_init(struct sipd_st *st, const struct sipd_st_config *c)
{
	struct sipd_st_config cfg;
	load(&cfg, c);
	memset(st, 0, sizeof *st);
	st->ask = cfg.session_expires;
	st->min_se = cfg.min_se;
}

/* ---------------------------------------------------------------- reading */

/* Does any value of a token-list header (Supported, Require, Allow) equal
 * `tag`? Option tags are compared without case, as RFC 3261 §19.2 leaves
 * room for and peers do; `exact` compares methods, which are case-sensitive
 * (RFC 3261 §7.1). */
static bool lists(const struct sipd_msg *m, enum sipd_hdr_id id, const char *tag, bool exact)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, m, id);
	while (sipd_hdr_iter_next(&it, &v)) {
		struct sipd_str t;
		if (sipd_token_parse(&t, v, NULL))
			continue;
		if (exact ? sipd_str_eq(t, tag) : sipd_str_ieq(t, tag))
			return true;
	}
	return false;
}

/* The one Session-Expires or Min-SE of a message. Returns 1 when there is
 * one, 0 when there is none, SIPD_EPARSE when it is malformed or repeated
 * (§4, §5: each appears at most once). */
static int one_value(const struct sipd_msg *m, enum sipd_hdr_id id,
                     struct sipd_session_expires *out)
{
	const struct sipd_hdr *h = sipd_msg_find(m, id);
	if (!h)
		return 0;
	if (sipd_msg_find_next(m, h))
		return SIPD_EPARSE;
	if (sipd_session_expires_parse(out, h->value, NULL))
		return SIPD_EPARSE;
	/* Min-SE has no refresher (§5); a stray one means nothing there */
	if (id == SIPD_HDR_MIN_SE)
		out->refresher = SIPD_STR_NULL;
	return 1;
}

/* ---------------------------------------------------------------- UAC */

int sipd_st_write_request(const struct sipd_st *st, const struct sipd_st_config *c,
                          struct sipd_buf *b)
{
	struct sipd_st_config cfg;
	load(&cfg, c);
	/* §7.1: every request but ACK from a UA with the extension says so */
	if (!cfg.omit_supported)
		sipd_buf_puts(b, "Supported: timer\r\n");
	const char *refresher = NULL;
	uint32_t se = st->ask;
	if (st->interval) {
		/* §7.4: a refresh asks for the interval in force and keeps the
		 * refresher, named from this transaction's side: we are its UAC */
		se = st->interval;
		refresher = st->we_refresh ? "uac" : "uas";
	} else if (cfg.support_only) {
		se = 0; /* §7.1: Session-Expires is optional */
	} else if (cfg.refresher == SIPD_ST_PREFER_LOCAL) {
		refresher = "uac";
	} else if (cfg.refresher == SIPD_ST_PREFER_REMOTE) {
		refresher = "uas";
	}
	/* §7.1 recommends naming no refresher in an initial request, so that
	 * the UAS, which knows whether the UAC supports timers, picks (§9) */
	if (se) {
		/* §7.1: never below the Min-SE the same request carries */
		se = max_u32(se, st->min_se);
		sipd_buf_puts(b, "Session-Expires: ");
		sipd_buf_putu(b, se);
		if (refresher) {
			sipd_buf_puts(b, ";refresher=");
			sipd_buf_puts(b, refresher);
		}
		sipd_buf_puts(b, "\r\n");
	}
	/* §7.3, §7.4: the largest Min-SE we know of travels with every
	 * request, so that no proxy on the path answers 422 again */
	sipd_buf_puts(b, "Min-SE: ");
	sipd_buf_putu(b, max_u32(st->min_se, SIPD_ST_FLOOR));
	sipd_buf_puts(b, "\r\n");
	return b->overflow ? SIPD_ENOSPC : 0;
}

int sipd_st_recv_2xx(struct sipd_st *st, const struct sipd_st_config *c,
                     const struct sipd_msg *resp)
{
	struct sipd_st_config cfg;
	load(&cfg, c);
	st->n422 = 0;
	struct sipd_session_expires se;
	int rc = one_value(resp, SIPD_HDR_SESSION_EXPIRES, &se);
	if (rc == 1 && se.delta < SIPD_ST_FLOOR)
		rc = SIPD_EPARSE; /* §4: no session is that short; a refresh storm */
	if (rc < 0) {
		st->interval = 0;
		st->we_refresh = false;
		return rc;
	}
	if (rc == 0) {
		/* §7.2: no Session-Expires, no expiration, on an initial request
		 * and on a refresh alike (the timer is turned off). A UA that still
		 * wants one can refresh on its own: a refresh is an ordinary
		 * re-INVITE or UPDATE that any UAS answers (§3). */
		st->interval = cfg.insist ? st->ask : 0;
		st->we_refresh = cfg.insist;
		return 0;
	}
	/* §7.2: the refresher parameter says who; uac is us. §9 obliges the
	 * UAS to name one; if it did not, refreshing ourselves is the choice
	 * that cannot let the session expire under us. */
	st->interval = se.delta;
	st->we_refresh = !sipd_str_ieq(se.refresher, "uas");
	/* later requests of this session ask for what was agreed (§7.4) */
	st->ask = se.delta;
	return 0;
}

int sipd_st_recv_422(struct sipd_st *st, const struct sipd_st_config *c,
                     const struct sipd_msg *resp, uint32_t *retry_se)
{
	struct sipd_st_config cfg;
	load(&cfg, c);
	if (resp->is_request || resp->status != 422)
		return SIPD_EINVAL;
	struct sipd_session_expires min;
	/* §6: a 422 without its Min-SE leaves nothing to retry with */
	if (one_value(resp, SIPD_HDR_MIN_SE, &min) != 1)
		return SIPD_EPARSE;
	/* §7.3 allows retrying; a bound keeps a path of proxies (or one that
	 * answers 422 whatever we ask) from looping us forever */
	if (++st->n422 > cfg.max_422)
		return SIPD_ELIMIT;
	uint32_t sent = st->interval ? max_u32(st->interval, st->min_se)
	                             : max_u32(st->ask, st->min_se);
	if (min.delta <= sent)
		return SIPD_ELIMIT; /* the same request would get the same 422 */
	/* §7.3: the new Session-Expires is at least the 422's Min-SE, and the
	 * Min-SE we send is the largest any 422 gave, so every proxy that
	 * answered one is satisfied at once */
	st->min_se = max_u32(st->min_se, min.delta);
	st->ask = max_u32(st->ask, st->min_se);
	/* a refresh that got the 422 leaves the interval in force alone until
	 * a 2xx agrees on the new one; sipd_st_write_request() raises what it
	 * asks to the new Min-SE */
	if (retry_se)
		*retry_se = st->interval ? max_u32(st->interval, st->min_se) : st->ask;
	return 0;
}

/* ---------------------------------------------------------------- UAS */

unsigned sipd_st_recv_request(const struct sipd_st_config *c, const struct sipd_msg *req,
                              struct sipd_st_answer *a)
{
	struct sipd_st_config cfg;
	load(&cfg, c);
	memset(a, 0, sizeof *a);
	a->min_se = SIPD_ST_FLOOR;
	/* §4: Session-Expires means something in INVITE and UPDATE only */
	if (!req->is_request ||
	    (req->method != SIPD_METHOD_INVITE && req->method != SIPD_METHOD_UPDATE))
		return 0;
	struct sipd_session_expires se, min;
	int has_se = one_value(req, SIPD_HDR_SESSION_EXPIRES, &se);
	int has_min = one_value(req, SIPD_HDR_MIN_SE, &min);
	if (has_se < 0 || has_min < 0)
		return a->status = 400;
	/* §5: absent means 90, and nothing may be below 90 */
	uint32_t req_min = has_min ? max_u32(min.delta, SIPD_ST_FLOOR) : SIPD_ST_FLOOR;
	a->min_se = req_min;
	/* a UAC that requires timers supports them, whatever its Supported says */
	bool supports = lists(req, SIPD_HDR_SUPPORTED, "timer", false) ||
	                lists(req, SIPD_HDR_REQUIRE, "timer", false);
	if (has_se) {
		if (se.delta < cfg.min_se) {
			if (supports) {
				/* §9 (MAY) and §6: the 422 names our minimum */
				a->min_se = cfg.min_se;
				return a->status = 422;
			}
			/* The UAC could not read a 422 and the call would fail:
			 * raise the interval to our minimum instead, as §8.1 has a
			 * proxy do (erratum 1687 asks the same of a UAS). We are the
			 * refresher anyway (below), so the UAC loses nothing. */
			a->interval = max_u32(cfg.min_se, req_min);
		} else {
			/* §9: we may lower the interval towards ours but not below
			 * the request's Min-SE (nor our own), and never raise it */
			uint32_t want = max_u32(cfg.session_expires, max_u32(req_min, cfg.min_se));
			a->interval = min_u32(se.delta, want);
		}
	} else if (cfg.insist) {
		/* §9: a UAS may ask for a timer the request did not; not below
		 * the request's Min-SE */
		a->interval = max_u32(cfg.session_expires, req_min);
	} else {
		return 0; /* no timer asked for, none wanted */
	}
	/* §9's table: the request's refresher stands when the UAC supports
	 * timers and named one; it is ours to pick when it named none; and a
	 * UAC without support cannot refresh, so we do */
	if (!supports)
		a->uac_refreshes = false;
	else if (has_se && sipd_str_ieq(se.refresher, "uac"))
		a->uac_refreshes = true;
	else if (has_se && sipd_str_ieq(se.refresher, "uas"))
		a->uac_refreshes = false;
	else
		a->uac_refreshes = cfg.refresher == SIPD_ST_PREFER_REMOTE;
	a->we_refresh = !a->uac_refreshes;
	/* §9: Require: timer is a MUST with refresher=uac and a SHOULD with
	 * refresher=uas when the UAC supports timers; it may not go to a UAC
	 * that does not (RFC 3261 §8.2.2.3: no Require it did not support) */
	a->require = supports;
	return 0;
}

int sipd_st_write_response(const struct sipd_st_answer *a, struct sipd_buf *b)
{
	if (a->status == 422) {
		sipd_buf_puts(b, "Min-SE: ");
		sipd_buf_putu(b, a->min_se);
		sipd_buf_puts(b, "\r\n");
	} else if (a->status == 0 && a->interval) {
		/* §9: the UAS always names the refresher in the 2xx */
		sipd_buf_puts(b, "Session-Expires: ");
		sipd_buf_putu(b, a->interval);
		sipd_buf_puts(b, a->uac_refreshes ? ";refresher=uac\r\n" : ";refresher=uas\r\n");
		if (a->require)
			sipd_buf_puts(b, "Require: timer\r\n");
	}
	return b->overflow ? SIPD_ENOSPC : 0;
}

void sipd_st_answered(struct sipd_st *st, const struct sipd_st_answer *a)
{
	if (a->status)
		return;
	st->interval = a->interval;
	st->we_refresh = a->interval && a->we_refresh;
	st->n422 = 0;
	if (a->interval)
		st->ask = a->interval;
	/* the peer's Min-SE binds our own refreshes too (§7.4): a proxy that
	 * raised it would answer our request 422 otherwise */
	st->min_se = max_u32(st->min_se, a->min_se);
}

/* ---------------------------------------------------------------- time */

static uint64_t after(uint64_t now, uint64_t ms)
{
	return ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
}

uint64_t sipd_st_refresh_at(const struct sipd_st *st, uint64_t now)
{
	if (!st->interval || !st->we_refresh)
		return UINT64_MAX;
	/* §10: half the interval is the recommended moment */
	return after(now, (uint64_t)st->interval * 500u);
}

uint64_t sipd_st_expire_at(const struct sipd_st *st, uint64_t now)
{
	if (!st->interval)
		return UINT64_MAX;
	/* §10: BYE shortly before the session expires, by the lesser of 32 s
	 * and a third of the interval, so that it goes out while the peer
	 * (and any proxy keeping call state) still knows the session */
	uint64_t ms = (uint64_t)st->interval * 1000u;
	uint64_t margin = ms / 3 < 32000u ? ms / 3 : 32000u;
	return after(now, ms - margin);
}

enum sipd_method sipd_st_refresh_method(const struct sipd_msg *peer)
{
	/* §7.4: UPDATE is recommended when the peer is known to take it; it
	 * refreshes without an offer, so media are not renegotiated */
	if (peer && lists(peer, SIPD_HDR_ALLOW, "UPDATE", true))
		return SIPD_METHOD_UPDATE;
	return SIPD_METHOD_INVITE;
}
