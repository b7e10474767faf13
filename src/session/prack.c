/* Reliable provisional responses: 100rel and PRACK (RFC 3262), sans-IO.
 *
 * The UAS half decides what goes reliably, numbers it, times its
 * retransmissions and matches PRACKs; the UAC half guards the order of what
 * arrives and writes RAck. The INVITE session owns the messages and timers. */
#include <sipdialog/session.h>

#define REL_TAG "100rel"
#define DEFAULT_T1 500u

enum peer_rel {
	PEER_NONE = 0,
	PEER_SUPPORTED,
	PEER_REQUIRED,
};

/* Whether a Require or Supported header (every line, every value) names the
 * option tag. Tokens compare without case (RFC 3261 §7.3.1). */
static bool has_option(const struct sipd_msg *m, enum sipd_hdr_id id, const char *tag)
{
	struct sipd_hdr_iter it;
	struct sipd_str v;
	sipd_hdr_iter_init(&it, m, id);
	while (sipd_hdr_iter_next(&it, &v)) {
		struct sipd_str tok;
		if (sipd_token_parse(&tok, v, NULL) == 0 && sipd_str_ieq(tok, tag))
			return true;
	}
	return false;
}

void sipd_rel_build_invite_header(struct sipd_buf *b, enum sipd_rel_policy policy)
{
	switch (policy) {
	case SIPD_REL_OFF: break;
	case SIPD_REL_SUPPORTED:
	case SIPD_REL_PREFERRED:
		/* §4: a UAC that does not insist still SHOULD say it can. */
		sipd_buf_puts(b, "Supported: " REL_TAG "\r\n");
		break;
	case SIPD_REL_REQUIRED: sipd_buf_puts(b, "Require: " REL_TAG "\r\n"); break;
	}
}

/* ---------------------------------------------------------------- UAS */

int sipd_rel_uas_init(struct sipd_rel_uas *u, const struct sipd_msg *invite,
                      enum sipd_rel_policy policy, uint32_t t1, uint32_t random)
{
	*u = (struct sipd_rel_uas){0};
	if (!invite || !invite->is_request || invite->method != SIPD_METHOD_INVITE)
		return SIPD_EINVAL;
	u->t1 = t1 ? t1 : DEFAULT_T1;
	u->cseq = invite->cseq.seq;
	u->policy = (uint8_t)policy;
	/* Require wins over Supported: it makes reliability a MUST (§3). */
	if (has_option(invite, SIPD_HDR_REQUIRE, REL_TAG))
		u->peer = PEER_REQUIRED;
	else if (has_option(invite, SIPD_HDR_SUPPORTED, REL_TAG))
		u->peer = PEER_SUPPORTED;
	/* §3: the first RSeq lies in 1 .. 2**31-1, RECOMMENDED uniform, so that
	 * 2**31 more fit below 2**32 without wrapping. */
	u->rseq = 1u + random % 0x7fffffffu;
	return 0;
}

unsigned sipd_rel_uas_reject(const struct sipd_rel_uas *u, struct sipd_buf *hdrs)
{
	if (u->peer == PEER_REQUIRED && u->policy == SIPD_REL_OFF) {
		/* §3: unwilling to send reliably, the UAS rejects with 420 and
		 * names the tag in Unsupported. */
		if (hdrs)
			sipd_buf_puts(hdrs, "Unsupported: " REL_TAG "\r\n");
		return 420;
	}
	if (u->peer == PEER_NONE && u->policy == SIPD_REL_REQUIRED) {
		/* RFC 3261 §21.4.16: the extension we need is not in Supported. */
		if (hdrs)
			sipd_buf_puts(hdrs, "Require: " REL_TAG "\r\n");
		return 421;
	}
	return 0;
}

bool sipd_rel_uas_reliable(const struct sipd_rel_uas *u, unsigned code)
{
	/* §3: 100 is hop by hop, so only 101-199 can be end-to-end reliable. */
	if (code < 101 || code > 199 || u->policy == SIPD_REL_OFF)
		return false;
	if (u->peer == PEER_REQUIRED)
		return true;
	return u->peer == PEER_SUPPORTED && u->policy >= SIPD_REL_PREFERRED;
}

int sipd_rel_uas_send(struct sipd_rel_uas *u, unsigned code, bool has_sdp, uint64_t now,
                      struct sipd_buf *hdrs)
{
	if (!sipd_rel_uas_reliable(u, code))
		return SIPD_EINVAL;
	/* §3: no new reliable provisional after the final response, and none
	 * while the previous waits (a MUST for the first, RECOMMENDED for the
	 * rest; we keep to it for all, so that every one arrives in order). */
	if (u->final_sent || u->outstanding)
		return SIPD_ESTATE;
	/* §3: each one is exactly one higher and the numbers never wrap. */
	if (u->sent && u->rseq == UINT32_MAX)
		return SIPD_ELIMIT;
	uint32_t rseq = u->sent ? u->rseq + 1 : u->rseq;
	if (hdrs) {
		size_t mark = hdrs->len;
		sipd_buf_puts(hdrs, "Require: " REL_TAG "\r\n");
		sipd_build_header_uint(hdrs, "RSeq", rseq);
		if (hdrs->overflow) {
			hdrs->len = mark;
			return SIPD_ENOSPC;
		}
	}
	if (!u->sent)
		u->first_rseq = rseq;
	u->sent = true;
	u->rseq = rseq;
	u->outstanding = true;
	u->outstanding_sdp = has_sdp;
	u->retransmitting = true;
	u->sent_at = now;
	u->interval = u->t1;
	u->next_at = now + u->t1;
	return 0;
}

uint32_t sipd_rel_uas_rseq(const struct sipd_rel_uas *u)
{
	return u->sent ? u->rseq : 0;
}

bool sipd_rel_uas_outstanding(const struct sipd_rel_uas *u)
{
	return u->outstanding;
}

uint64_t sipd_rel_uas_deadline(const struct sipd_rel_uas *u)
{
	return u->retransmitting ? u->next_at : UINT64_MAX;
}

enum sipd_rel_timer sipd_rel_uas_advance(struct sipd_rel_uas *u, uint64_t now)
{
	if (!u->retransmitting || now < u->next_at)
		return SIPD_REL_WAIT;
	uint64_t limit = u->sent_at + 64 * (uint64_t)u->t1;
	if (now >= limit) {
		/* §3: 64*T1 without PRACK; the UAS SHOULD reject the INVITE
		 * with a 5xx. The response stays outstanding: a PRACK that
		 * arrives later still gets its 200. */
		u->retransmitting = false;
		u->final_sent = true;
		return SIPD_REL_GIVE_UP;
	}
	/* §3: the interval starts at T1 and doubles with each retransmission,
	 * with no T2 cap (unlike 2xx): the UAC's PRACK is not triggered by our
	 * copies, so the backoff only has to outlast the PRACK's own. A late
	 * caller skips the deadlines it missed instead of sending a burst. */
	do {
		u->interval *= 2;
		u->next_at += u->interval;
	} while (u->next_at <= now);
	if (u->next_at > limit)
		u->next_at = limit;
	return SIPD_REL_RETRANSMIT;
}

enum sipd_rel_prack sipd_rel_uas_rack(struct sipd_rel_uas *u, const struct sipd_rack *rack)
{
	/* §3, §7.2: CSeq-num and method come from the INVITE's CSeq; the
	 * method compares case-sensitively, which the enum lookup does. */
	if (!u->sent || rack->method != SIPD_METHOD_INVITE || rack->cseq != u->cseq)
		return SIPD_REL_PRACK_NO_MATCH;
	if (u->outstanding && rack->rseq == u->rseq) {
		u->outstanding = false;
		u->outstanding_sdp = false;
		u->retransmitting = false;
		return SIPD_REL_PRACK_ACKED;
	}
	/* Acknowledged ones are first_rseq .. the latest, less the outstanding
	 * one. §3 strictly gives 481 to a PRACK that matches no unacknowledged
	 * response, but §4 says a UAC that PRACKs a retransmission again makes
	 * no protocol error, and a 481 would end its dialog (RFC 3261
	 * §12.2.1.2); so a new PRACK for one already acknowledged gets 200. */
	uint32_t last_acked = u->outstanding ? u->rseq - 1 : u->rseq;
	bool any_acked = !u->outstanding || u->rseq != u->first_rseq;
	if (any_acked && rack->rseq >= u->first_rseq && rack->rseq <= last_acked)
		return SIPD_REL_PRACK_AGAIN;
	return SIPD_REL_PRACK_NO_MATCH;
}

enum sipd_rel_prack sipd_rel_uas_prack(struct sipd_rel_uas *u, const struct sipd_msg *prack)
{
	if (!prack || !prack->is_request || prack->method != SIPD_METHOD_PRACK)
		return SIPD_REL_PRACK_BAD;
	/* RAck is mandatory in PRACK (§7, table 3) and single-valued. */
	const struct sipd_hdr *h = sipd_msg_find(prack, SIPD_HDR_RACK);
	if (!h || sipd_msg_find_next(prack, h))
		return SIPD_REL_PRACK_BAD;
	struct sipd_rack rack;
	if (sipd_rack_parse(&rack, h->value, NULL) != 0)
		return SIPD_REL_PRACK_BAD;
	return sipd_rel_uas_rack(u, &rack);
}

unsigned sipd_rel_prack_status(enum sipd_rel_prack r)
{
	switch (r) {
	case SIPD_REL_PRACK_ACKED:
	case SIPD_REL_PRACK_AGAIN: return 200;
	case SIPD_REL_PRACK_NO_MATCH: return 481;
	case SIPD_REL_PRACK_BAD: break;
	}
	return 400;
}

bool sipd_rel_uas_final_allowed(const struct sipd_rel_uas *u, unsigned code)
{
	/* §3, §5: a 2xx waits while an unacknowledged provisional carries a
	 * session description, or its offer/answer would not be reliable. Any
	 * other final response may go at once. */
	if (code >= 200 && code <= 299)
		return !(u->outstanding && u->outstanding_sdp);
	return code >= 300 && code <= 699;
}

int sipd_rel_uas_final(struct sipd_rel_uas *u, unsigned code)
{
	if (code < 200 || code > 699)
		return SIPD_EINVAL;
	if (!sipd_rel_uas_final_allowed(u, code))
		return SIPD_ESTATE;
	/* §3: after the final response retransmissions SHOULD stop, but the
	 * outstanding one stays matchable, since its PRACK MUST be processed. */
	u->final_sent = true;
	u->retransmitting = false;
	return 0;
}

/* ---------------------------------------------------------------- UAC */

void sipd_rel_uac_init(struct sipd_rel_uac *c, uint32_t invite_cseq)
{
	*c = (struct sipd_rel_uac){.cseq = invite_cseq};
}

enum sipd_rel_verdict sipd_rel_uac_guard(struct sipd_rel_uac *c, uint32_t rseq)
{
	/* §4: the UAC MAY acknowledge reliable provisionals after the final
	 * response or discard them; we discard, since after a non-2xx there
	 * is no dialog left to send a PRACK in. */
	if (c->final)
		return SIPD_REL_LATE;
	/* §4: the first one received sets the sequence, whatever its value. */
	if (!c->started) {
		c->started = true;
		c->rseq = rseq;
		return SIPD_REL_NEW;
	}
	/* Compared in 64 bits: the UAS never wraps (§3), so the successor of
	 * 2**32-1 does not exist and anything there is out of order. */
	if ((uint64_t)rseq == (uint64_t)c->rseq + 1) {
		c->rseq = rseq;
		return SIPD_REL_NEW;
	}
	/* §4: retransmissions MUST be discarded and SHOULD NOT be PRACKed
	 * again; an older number is a late copy of one acknowledged before. A
	 * gap MUST NOT be PRACKed or processed; we drop it rather than cache
	 * it, since the UAS keeps sending it until it is acknowledged. */
	return rseq <= c->rseq ? SIPD_REL_DUPLICATE : SIPD_REL_OUT_OF_ORDER;
}

int sipd_rel_uac_recv(struct sipd_rel_uac *c, const struct sipd_msg *resp)
{
	if (!resp || resp->is_request || resp->cseq.method != SIPD_METHOD_INVITE ||
	    resp->cseq.seq != c->cseq)
		return SIPD_EINVAL;
	if (resp->status >= 200) {
		/* §4: the sequence is kept until the final response. */
		c->final = true;
		return SIPD_REL_UNRELIABLE;
	}
	/* §4: a 100 ignores the option tag; 101-199 with Require: 100rel are
	 * reliable. */
	if (resp->status < 101 || !has_option(resp, SIPD_HDR_REQUIRE, REL_TAG))
		return SIPD_REL_UNRELIABLE;
	/* Without a usable RSeq (absent, repeated, malformed, or 0, which §7.1
	 * excludes) the response cannot be acknowledged: RAck would have
	 * nothing to name. We still let the session use it as an unreliable
	 * provisional rather than lose its content; the UAS will retransmit
	 * and give up, as it would if it had never reached us. */
	const struct sipd_hdr *h = sipd_msg_find(resp, SIPD_HDR_RSEQ);
	uint32_t rseq;
	if (!h || sipd_msg_find_next(resp, h) || sipd_uint_parse(&rseq, h->value, NULL) != 0 ||
	    rseq == 0)
		return SIPD_REL_UNRELIABLE;
	return sipd_rel_uac_guard(c, rseq);
}

void sipd_rel_uac_final(struct sipd_rel_uac *c)
{
	c->final = true;
}

int sipd_rel_uac_build_rack(const struct sipd_rel_uac *c, struct sipd_buf *b)
{
	if (!c->started)
		return SIPD_ESTATE;
	/* §7.2: response-num is the RSeq, then CSeq-num and method copied from
	 * the response's CSeq, which for us is always the INVITE's. */
	size_t mark = b->len;
	sipd_buf_puts(b, "RAck: ");
	sipd_buf_putu(b, c->rseq);
	sipd_buf_puts(b, " ");
	sipd_buf_putu(b, c->cseq);
	sipd_buf_puts(b, " INVITE\r\n");
	if (b->overflow) {
		b->len = mark;
		return SIPD_ENOSPC;
	}
	return 0;
}
