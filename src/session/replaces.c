/* Replaces (RFC 3891 §3): which dialog an incoming INVITE asks to take the
 * place of, and the answer when it may not. Pure: looks, changes nothing. */
#include <sipdialog/dialog.h>
#include <sipdialog/session.h>

/* §6.1: exactly one to-tag and one from-tag; the typed parser takes the
 * first of each, so repeats are counted here. */
static bool tags_once(struct sipd_str params)
{
	struct sipd_str name, value;
	unsigned to = 0, from = 0;
	while (sipd_param_next(&params, &name, &value)) {
		if (sipd_str_ieq(name, "to-tag"))
			to++;
		else if (sipd_str_ieq(name, "from-tag"))
			from++;
	}
	return to == 1 && from == 1;
}

/* §6.1: for dialogs of RFC 2543 peers, which had no tags, a tag of "0"
 * matches both "0" and an empty tag. Returns how many tags to try. */
static unsigned tag_forms(struct sipd_str tag, struct sipd_str forms[2])
{
	forms[0] = tag;
	if (tag.len == 1 && tag.p[0] == '0') {
		forms[1] = (struct sipd_str){"", 0};
		return 2;
	}
	return 1;
}

unsigned sipd_replaces_match(struct sipd_dialogs *t, const struct sipd_msg *invite,
                             struct sipd_dialog **out)
{
	*out = NULL;
	const struct sipd_hdr *h = sipd_msg_find(invite, SIPD_HDR_REPLACES);
	if (!h)
		return 0;
	/* §3: only an INVITE may carry it, and only one (§6.1: a single value) */
	if (!invite->is_request || invite->method != SIPD_METHOD_INVITE ||
	    sipd_msg_find_next(invite, h))
		return 400;
	struct sipd_replaces r;
	if (sipd_replaces_parse(&r, h->value, NULL) || !tags_once(r.params))
		return 400;
	/* §3: a header of contradictory meaning next to it is a 400; Join
	 * (RFC 3911) asks to add the caller to the dialog Replaces ends */
	if (sipd_msg_find_name(invite, "Join"))
		return 400;
	/* §3: the tags are read as if they came in a request to us: to-tag is
	 * our local tag, from-tag the remote one */
	struct sipd_str locals[2], remotes[2];
	unsigned nl = tag_forms(r.to_tag, locals), nr = tag_forms(r.from_tag, remotes);
	struct sipd_dialog *d = NULL;
	for (unsigned i = 0; i < nl; i++) {
		for (unsigned j = 0; j < nr; j++) {
			struct sipd_dialog *x = sipd_dialogs_find(t, r.call_id, locals[i], remotes[j]);
			if (!x || x == d)
				continue;
			/* §3: more than one match counts as none */
			if (d)
				return 481;
			d = x;
		}
	}
	if (!d)
		return 481;
	switch (sipd_dialog_state(d)) {
	case SIPD_DIALOG_TERMINATED:
		/* §3 (SHOULD): a 6xx, so that no other phone rings for a call
		 * that has just ended */
		return 603;
	case SIPD_DIALOG_CONFIRMED:
		/* §3: early-only protects the race of §7.1, where the call was
		 * answered before the replacement arrived */
		if (r.early_only)
			return 486;
		break;
	case SIPD_DIALOG_EARLY:
		/* §3: only the UA that sent the INVITE may see its early dialog
		 * replaced (it then CANCELs that INVITE); §4 forbids the UAC to
		 * ask anything else of it */
		if (sipd_dialog_role(d) != SIPD_DIALOG_UAC)
			return 481;
		break;
	}
	*out = d;
	return 0;
}
