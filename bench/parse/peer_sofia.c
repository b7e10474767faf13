/* bench/parse — sofia-sip's parser (libsofia-sip-ua, the msg/sip modules).
 *
 * msg_make() is what sofia's transports do with a datagram: create a msg_t of
 * the default SIP class (its memory home preloaded with the size of the
 * message), copy the bytes into its buffer and run msg_extract(), which parses
 * the start line and then every header at once, each with its class's parser
 * (Via, Route, Contact... with their URLs and parameters; Allow, Supported...
 * into token lists). Headers outside the default class become sip_unknown_t
 * (name and value); a header that fails its parser becomes a sip_error_t and
 * is counted by msg_extract_errors(), which is why both are checked. The body
 * is kept as a payload, not parsed. msg_destroy() frees the lot.
 */
#include "bench.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

static int sofia_failed(msg_t *m)
{
	return msg_has_error(m) || msg_extract_errors(m) != 0 || !msg_is_complete(m);
}

int peer_sofia_parse(const char *buf, size_t len)
{
	msg_t *m = msg_make(sip_default_mclass(), 0, buf, (ssize_t)len);
	int rc;

	if (!m)
		return -1;
	rc = sofia_failed(m) ? -1 : 0;
	msg_destroy(m);
	return rc;
}

static int sofia_inspect(msg_t *m, char *why, size_t cap)
{
	sip_t const *sip = sip_object(m);

	if (sofia_failed(m))
		return bench_fail(why, cap, "msg_make: error flag set or %u extract errors",
		                  msg_extract_errors(m));
	if (!sip || sip->sip_error)
		return bench_fail(why, cap, "a header did not parse");
	if (!sip->sip_request && !sip->sip_status)
		return bench_fail(why, cap, "no start line");
	if (!sip->sip_via || !sip->sip_from || !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq)
		return bench_fail(why, cap, "Via, From, To, Call-ID or CSeq not parsed");
	if (!sip->sip_content_length)
		return bench_fail(why, cap, "no Content-Length");
	if (sip->sip_content_length->l_length > 0 &&
	    (!sip->sip_payload || sip->sip_payload->pl_len != sip->sip_content_length->l_length))
		return bench_fail(why, cap, "body not kept whole");
	return 0;
}

static int sofia_verify(const char *buf, size_t len, char *why, size_t cap)
{
	msg_t *m = msg_make(sip_default_mclass(), 0, buf, (ssize_t)len);
	int rc;

	if (!m)
		return bench_fail(why, cap, "msg_make returned NULL");
	rc = sofia_inspect(m, why, cap);
	msg_destroy(m);
	return rc;
}

const struct bench_parser bench_sofia = {
	.name = "sofia",
	.library = "sofia-sip-ua " PEER_VERSION,
	.parse = peer_sofia_parse,
	.verify = sofia_verify,
};
