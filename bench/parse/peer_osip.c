/* bench/parse — libosip2's parser (osipparser2).
 *
 * osip_message_parse() copies the message, parses the start line (the
 * Request-URI into an osip_uri_t) and calls the parser of every header it knows
 * (Via, From, To, Contact, Route, Record-Route, CSeq, Call-ID, Content-Type,
 * Content-Length, Authorization and the other auth headers, Allow, Accept*,
 * Call-Info, Alert-Info, Error-Info, MIME-Version, Content-Encoding), splitting
 * list headers at their commas; the other headers are copied as name and value
 * strings, the body as a string. osip_message_free() releases it all.
 */
#include "bench.h"

#include <osipparser2/osip_parser.h>

static int osip_init(void)
{
	/* Builds osip's table of known headers; once per process. */
	return parser_init() == 0 ? 0 : -1;
}

int peer_osip_parse(const char *buf, size_t len)
{
	osip_message_t *m;
	int rc;

	if (osip_message_init(&m) != 0)
		return -1;
	rc = osip_message_parse(m, buf, len);
	osip_message_free(m);
	return rc == 0 ? 0 : -1;
}

static int osip_inspect(osip_message_t *m, size_t body_len, char *why, size_t cap)
{
	if (!m->call_id || !m->cseq || !m->from || !m->to)
		return bench_fail(why, cap, "Call-ID, CSeq, From or To not parsed");
	if (osip_list_size(&m->vias) < 1)
		return bench_fail(why, cap, "no Via parsed");
	if (m->sip_method && !m->req_uri)
		return bench_fail(why, cap, "Request-URI not parsed");
	if (body_len > 0 && osip_list_size(&m->bodies) != 1)
		return bench_fail(why, cap, "body not kept");
	return 0;
}

static int osip_verify(const char *buf, size_t len, char *why, size_t cap)
{
	const char *end = NULL;
	osip_message_t *m;
	int rc;

	for (size_t i = 0; i + 4 <= len && !end; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			end = buf + i + 4;
	if (osip_message_init(&m) != 0)
		return bench_fail(why, cap, "osip_message_init failed");
	rc = osip_message_parse(m, buf, len);
	if (rc != 0)
		rc = bench_fail(why, cap, "osip_message_parse returned %d", rc);
	else
		rc = osip_inspect(m, end ? len - (size_t)(end - buf) : 0, why, cap);
	osip_message_free(m);
	return rc;
}

const struct bench_parser bench_osip = {
	.name = "osip",
	.library = "libosip2 " PEER_VERSION,
	.init = osip_init,
	.parse = peer_osip_parse,
	.verify = osip_verify,
};
