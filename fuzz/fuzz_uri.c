/* fuzz_uri — the URI parser.
 *
 * The input is one URI. When it parses, its parts are checked against the
 * input, its parameters and headers are walked, and the same URI written as a
 * name-addr ("<uri>") must parse to the same URI.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two parses of the same text, maybe at different addresses, agree part by part. */
static void check_same(const struct sipd_uri *a, const struct sipd_uri *b)
{
	uintptr_t ra = (uintptr_t)a->raw.p, rb = (uintptr_t)b->raw.p;
	const struct sipd_str pa[] = {a->raw, a->scheme, a->user, a->password,
	                              a->host, a->params, a->headers, a->opaque};
	const struct sipd_str pb[] = {b->raw, b->scheme, b->user, b->password,
	                              b->host, b->params, b->headers, b->opaque};
	for (size_t i = 0; i < sizeof pa / sizeof pa[0]; i++) {
		FZ_CHECK(pa[i].len == pb[i].len);
		if (pa[i].len)
			FZ_CHECK((uintptr_t)pa[i].p - ra == (uintptr_t)pb[i].p - rb);
	}
	FZ_CHECK(a->port == b->port && a->kind == b->kind && a->host_type == b->host_type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fz_dup(data, size);
	struct sipd_uri u;
	struct sipd_parse_error err = {.code = 12345, .offset = SIZE_MAX};

	int rc = sipd_uri_parse(&u, buf, size, &err);
	if (rc) {
		FZ_CHECK(rc == SIPD_EPARSE || rc == SIPD_ELIMIT || (rc == SIPD_EINVAL && size == 0));
		fz_check_error(rc, &err, size);
		free(buf);
		return 0;
	}

	fz_check_uri(&u, buf, size);
	/* "Parses a whole URI": nothing of the input is left over. */
	FZ_CHECK(u.raw.p == buf && u.raw.len == size);

	fz_walk_params(u.params);
	fz_walk_params(u.headers);
	static const char *const names[] = {"transport", "lr", "maddr", "user", "ttl",
	                                    "method", "phone-context", "gr", "ob"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct sipd_str v = {(const char *)1, 12345};
		int r = sipd_param_find(u.params, names[i], &v);
		FZ_CHECK(r == 0 || r == SIPD_ENOTFOUND);
		if (r == 0)
			FZ_INSIDE(v, u.params.p, u.params.len);
	}

	/* Parsing is a pure function of the bytes. */
	struct sipd_uri again;
	FZ_CHECK(sipd_uri_parse(&again, buf, size, &err) == 0);
	check_same(&u, &again);

	/* The same URI inside <> is a name-addr whose URI is this one. */
	char *wrapped = malloc(size + 2);
	if (!wrapped)
		abort();
	wrapped[0] = '<';
	memcpy(wrapped + 1, buf, size);
	wrapped[size + 1] = '>';
	struct sipd_nameaddr na;
	err = (struct sipd_parse_error){.code = 12345, .offset = SIZE_MAX};
	rc = sipd_nameaddr_parse(&na, (struct sipd_str){wrapped, size + 2}, true, &err);
	FZ_CHECK(rc == 0);
	FZ_CHECK(na.angle && !na.star);
	FZ_CHECK(na.display.len == 0);
	FZ_CHECK(na.params.len == 0);
	FZ_CHECK(na.uri.raw.p == wrapped + 1);
	check_same(&u, &na.uri);
	free(wrapped);

	free(buf);
	return 0;
}
