/* bench/parse — our parser: sipd_msg_parse() then sipd_msg_check().
 *
 * The two together are what a receiving stack does with a message: the first
 * frames it, splits every header and parses the ones every message needs; the
 * second parses every header the library knows to its grammar. Nothing is
 * allocated and nothing needs freeing: the slots live on the stack.
 */
#include "bench.h"

#include <sipdialog/msg.h>

#define OURS_SLOTS 64

static int ours_parse(const char *buf, size_t len)
{
	struct sipd_hdr slots[OURS_SLOTS];
	struct sipd_msg msg;
	struct sipd_parse_error err;

	if (sipd_msg_parse(&msg, slots, OURS_SLOTS, buf, len, SIPD_FRAME_DATAGRAM, NULL, &err) < 0)
		return -1;
	return sipd_msg_check(&msg, &err) == 0 ? 0 : -1;
}

static int ours_fail(char *why, size_t cap, const char *step, const struct sipd_parse_error *err)
{
	return bench_fail(why, cap, "%s: %s (line %u, column %u)", step,
	                  err->what ? err->what : sipd_strerror(err->code), (unsigned)err->line,
	                  (unsigned)err->column);
}

static int ours_verify(const char *buf, size_t len, char *why, size_t cap)
{
	struct sipd_hdr slots[OURS_SLOTS];
	struct sipd_msg msg;
	struct sipd_parse_error err = {0};
	long n;

	n = sipd_msg_parse(&msg, slots, OURS_SLOTS, buf, len, SIPD_FRAME_DATAGRAM, NULL, &err);
	if (n < 0)
		return ours_fail(why, cap, "sipd_msg_parse", &err);
	if ((size_t)n != len)
		return bench_fail(why, cap, "sipd_msg_parse took %ld of %zu bytes", n, len);
	if (sipd_msg_check(&msg, &err) != 0)
		return ours_fail(why, cap, "sipd_msg_check", &err);
	if (msg.nhdrs == 0 || msg.call_id.len == 0 || msg.via.host.len == 0)
		return bench_fail(why, cap, "parsed, but headers are missing");
	if ((size_t)msg.content_length != msg.body.len)
		return bench_fail(why, cap, "body of %zu bytes, Content-Length %lld", msg.body.len,
		                  (long long)msg.content_length);
	return 0;
}

const struct bench_parser bench_ours = {
	.name = "ours",
	.library = "sipdialog " BENCH_OURS_VERSION,
	.parse = ours_parse,
	.verify = ours_verify,
};
