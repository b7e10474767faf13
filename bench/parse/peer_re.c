/* bench/parse — libre's SIP decoder (re_sip.h).
 *
 * sip_msg_decode() reads the message in place from an mbuf: it matches the
 * start line (re_regex) and decodes the Request-URI into a struct uri, splits
 * every header into a struct sip_hdr (name, value, id from a hash of the name)
 * kept in a list and a hash table, splits list headers at their commas, and
 * decodes the top Via, From, To (with their URIs), CSeq and Content-Type into
 * structures; Call-ID, Max-Forwards, Expires and Content-Length are remembered
 * as text, and every other header stays name and value until the application
 * asks for it. It also draws a random 64-bit tag for the message (rand_u64()).
 * It stops at the end of the headers and leaves the body in the mbuf.
 * mem_deref() frees it all.
 */
#include "bench.h"

/* What libre's own build (re.mk) defines on Linux and its installed headers
 * expect from their users: without them re_types.h invents its own integer and
 * bool types. RELEASE as in Debian's build: no mbuf debugging in the inlines. */
#define HAVE_INTTYPES_H 1
#define HAVE_STDBOOL_H 1
#define HAVE_INET6 1
#define RELEASE 1
#include <re.h>

#include <string.h>

/* One mbuf reused for every message. It has no destructor, so pointing it at
 * the caller's buffer costs no copy and never frees that buffer: libre gets its
 * input the way it would from a socket read, already in an mbuf. */
static struct mbuf *re_mb;

static int re_init(void)
{
	if (libre_init() != 0)
		return -1;
	re_mb = mem_zalloc(sizeof *re_mb, NULL);
	return re_mb ? 0 : -1;
}

static void re_point(const char *buf, size_t len)
{
	re_mb->buf = (uint8_t *)(uintptr_t)buf;
	re_mb->size = len;
	re_mb->end = len;
	re_mb->pos = 0;
}

int peer_re_parse(const char *buf, size_t len)
{
	struct sip_msg *msg = NULL;
	int err;

	re_point(buf, len);
	err = sip_msg_decode(&msg, re_mb);
	mem_deref(msg);
	return err == 0 ? 0 : -1;
}

static int re_inspect(const struct sip_msg *msg, size_t len, char *why, size_t cap)
{
	size_t body = mbuf_get_left(re_mb);

	if (!pl_isset(&msg->via.sentby) || !pl_isset(&msg->callid) || !msg->cseq.num)
		return bench_fail(why, cap, "Via, Call-ID or CSeq not decoded");
	if (!pl_isset(&msg->from.auri) || !pl_isset(&msg->to.auri))
		return bench_fail(why, cap, "From or To not decoded");
	if (pl_u32(&msg->clen) != body)
		return bench_fail(why, cap,
		                  "headers end %zu bytes before the end, Content-Length %u", body,
		                  pl_u32(&msg->clen));
	if (list_count(&msg->hdrl) < 5 || len == 0)
		return bench_fail(why, cap, "too few headers kept");
	return 0;
}

static int re_verify(const char *buf, size_t len, char *why, size_t cap)
{
	struct sip_msg *msg = NULL;
	int err, rc;

	re_point(buf, len);
	err = sip_msg_decode(&msg, re_mb);
	if (err)
		return bench_fail(why, cap, "sip_msg_decode: %s", strerror(err));
	rc = re_inspect(msg, len, why, cap);
	mem_deref(msg);
	return rc;
}

const struct bench_parser bench_re = {
	.name = "re",
	.library = "libre " PEER_VERSION,
	.init = re_init,
	.parse = peer_re_parse,
	.verify = re_verify,
};
