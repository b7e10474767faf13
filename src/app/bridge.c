/* sipd_app_create_b2bua(): the caller's INVITE held while the target
 * resolves (RFC 3263), then a b2bua (include/sipdialog/b2bua.h) whose
 * callbacks the app sees first, for its counters. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

/* ---------------------------------------------------------------- B2BUA */

void sipd_app_bridge_free(struct bridge *br)
{
	struct sipd_app *app = br->app;
	sipd_app_owner_drop(app, &br->own);
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
void sipd_app_bridge_end_unstarted(struct bridge *br)
{
	bridge_over(br);
	if (br->cb.ended)
		br->cb.ended(br->arg, NULL);
	sipd_app_bridge_free(br);
}

static long br_rewrite(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg from,
                       struct sipd_str sdp, char *out, size_t cap)
{
	struct bridge *br = arg;
	return br->cb.rewrite ? br->cb.rewrite(br->arg, b, from, sdp, out, cap) : -1;
}

/* One leg reached `ph`: reported once, in order. */
static void br_phase(struct bridge *br, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
                     enum sipd_call_phase ph)
{
	if ((int)ph <= br->phase[leg])
		return;
	br->phase[leg] = (int8_t)ph;
	struct sipd_app *app = br->app;
	if (app->cb.bridge_phase)
		app->cb.bridge_phase(app->user, app, b, leg, ph);
}

static void br_leg_state(void *arg, struct sipd_b2bua *b, enum sipd_b2bua_leg leg,
                         enum sipd_session_state st, enum sipd_session_end why)
{
	struct bridge *br = arg;
	switch (st) {
	case SIPD_SESSION_EARLY: br_phase(br, b, leg, SIPD_CALL_EARLY); break;
	case SIPD_SESSION_WAIT_ACK:
	case SIPD_SESSION_CONFIRMED: br_phase(br, b, leg, SIPD_CALL_CONFIRMED); break;
	case SIPD_SESSION_TERMINATED: br_phase(br, b, leg, SIPD_CALL_TERMINATED); break;
	default: break;
	}
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
	/* every leg that was reported ends in the stream before `ended` */
	for (int leg = SIPD_B2BUA_A; leg <= SIPD_B2BUA_B; leg++)
		if (br->phase[leg] >= 0)
			br_phase(br, b, (enum sipd_b2bua_leg)leg, SIPD_CALL_TERMINATED);
	bridge_over(br);
	if (br->cb.ended)
		br->cb.ended(br->arg, b);
	br->b = NULL; /* it frees itself when this returns */
	sipd_app_bridge_free(br);
}

static const struct sipd_b2bua_callbacks bridge_cb = {
	.size = sizeof bridge_cb,
	.rewrite = br_rewrite,
	.leg_state = br_leg_state,
	.ended = br_ended,
};

void sipd_app_bridge_resolved(struct bridge *br, int status, const struct sipd_target *t, size_t n)
{
	struct sipd_app *app = br->app;
	struct sipd_txn *tx = br->own.tx;
	int local = -1;
	size_t i = 0;
	for (; status == 0 && i < n && local < 0; i++)
		local = sipd_app_pick_local(app, t[i].transport, t[i].addr.family);
	char a_contact[400], b_contact[400];
	if (!tx || local < 0 ||
	    sipd_app_contact_uri(app, br->from.local, a_contact, sizeof a_contact) ||
	    sipd_app_contact_uri(app, (uint16_t)local, b_contact, sizeof b_contact)) {
		if (tx) /* nowhere to send the call */
			sipd_app_respond_plain(app, tx, 503, NULL);
		sipd_app_bridge_end_unstarted(br);
		return;
	}
	const struct sipd_target *to = &t[i - 1];
	/* RFC 3263 §4.3: the targets after it that the same listener reaches
	 * (our Contact on the B leg stays right) */
	struct sipd_flow next[8];
	size_t nnext = 0;
	for (size_t j = i; j < n && nnext < sizeof next / sizeof next[0]; j++)
		if (t[j].transport == to->transport && t[j].addr.family == to->addr.family)
			next[nnext++] = (struct sipd_flow){
				.transport = t[j].transport, .local = (uint16_t)local, .remote = t[j].addr};
	struct sipd_b2bua_opts o = {
		.size = sizeof o,
		.target = app_str_of(br->uri),
		.flow = {.transport = to->transport, .local = (uint16_t)local, .remote = to->addr},
		.a_contact = app_str_of(a_contact),
		.b_contact = app_str_of(b_contact),
		.from = app_str_of(br->from_uri),
		.copy_only = br->copy_only,
		.no_copy = br->no_copy,
		.b_headers = app_str_of(br->headers),
		.rel_policy = br->rel,
		.cb = &bridge_cb,
		.arg = br,
		.b_next = next,
		.b_nnext = nnext,
	};
	if (sipd_b2bua_create(&app->env, tx, &br->from, &o, app_now(app), &br->b)) {
		br->b = NULL; /* the caller was answered by the b2bua */
		sipd_app_bridge_end_unstarted(br);
		return;
	}
	br_phase(br, br->b, SIPD_B2BUA_B, SIPD_CALL_TRYING); /* its INVITE is out */
}

int sipd_app_create_b2bua(struct sipd_app *app, struct sipd_incoming *in, const char *uri,
                          const struct sipd_app_b2bua_opts *opts)
{
	if (!in)
		return SIPD_EINVAL;
	if (!in->own.tx || in->answered)
		return sipd_app_incoming_fail(in, 0, SIPD_ESTATE);
	if (!app || !uri || !opts ||
	    opts->size < offsetof(struct sipd_app_b2bua_opts, arg) + sizeof opts->arg)
		return sipd_app_incoming_fail(in, 500, SIPD_EINVAL);
	struct sipd_uri u;
	if (sipd_uri_parse(&u, uri, strlen(uri), NULL) ||
	    (u.kind != SIPD_URI_SIP && u.kind != SIPD_URI_SIPS))
		return sipd_app_incoming_fail(in, 500, SIPD_EINVAL);
	struct bridge *br = calloc(1, sizeof *br);
	if (!br)
		return sipd_app_incoming_fail(in, 503, SIPD_ENOMEM);
	br->app = app;
	br->from = in->from;
	br->phase[SIPD_B2BUA_A] = SIPD_CALL_TRYING; /* the `invite` callback was that */
	br->phase[SIPD_B2BUA_B] = -1;
	app_copy_sized(&br->cb, sizeof br->cb, opts->cb);
	br->arg = opts->arg;
	br->copy_only = opts->copy_only;
	br->no_copy = opts->no_copy;
	br->rel = app_rel_policy(opts->no_100rel, opts->prefer_100rel);
	br->uri = app_dup_str(uri);
	br->from_uri = opts->from ? app_dup_str(opts->from) : NULL;
	br->headers = opts->headers ? app_dup_str(opts->headers) : NULL;
	int rc = 0;
	if (!br->uri || (opts->from && !br->from_uri) || (opts->headers && !br->headers))
		rc = SIPD_ENOMEM;
	if (!rc)
		rc = sipd_app_owner_move(app, &in->own, &br->own, OWN_BRIDGE);
	if (!rc)
		rc = sipd_app_resolve(app, uri, NULL, br, &br->ticket);
	if (rc) {
		/* the transaction may have moved to the bridge already */
		struct sipd_txn *tx = br->own.tx ? br->own.tx : in->own.tx;
		if (tx)
			sipd_app_respond_plain(app, tx, rc == SIPD_EINVAL ? 500 : 503, NULL);
		in->answered = true;
		sipd_app_bridge_free(br);
		return sipd_app_incoming_fail(in, 0, rc);
	}
	sipd_app_incoming_release(in);
	br->next = app->bridges;
	if (app->bridges)
		app->bridges->prev = br;
	app->bridges = br;
	app->stats.calls_total++;
	sipd_app_count_call(app);
	app->stats.calls_active++;
	return 0;
}
