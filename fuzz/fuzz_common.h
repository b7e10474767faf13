/* sipdialog fuzz targets — checks shared by every target.
 *
 * A target aborts (through FZ_CHECK) when an invariant of the API does not hold;
 * libFuzzer reports that as a crash and saves the input. Only invariants the
 * public headers promise, or that follow from them, are checked here.
 */
#ifndef SIPD_FUZZ_COMMON_H
#define SIPD_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipdialog/msg.h>

#define FZ_CHECK(cond) ((cond) ? (void)0 : fz_fail(#cond, __FILE__, __LINE__))

_Noreturn void fz_fail(const char *what, const char *file, int line);

/* A copy of data[0..n) in a heap block of exactly n bytes, so that AddressSanitizer
 * sees any read past the end. Never NULL. Free with free(). */
char *fz_dup(const void *data, size_t n);
/* A NUL-terminated copy of s, or NULL when s holds a NUL byte. Free with free(). */
char *fz_cstr(struct sipd_str s);

/* True when s is absent ({NULL, 0}), empty, or lies inside [lo, lo + n). */
bool fz_inside(struct sipd_str s, const char *lo, size_t n);
#define FZ_INSIDE(s, lo, n) FZ_CHECK(fz_inside((s), (lo), (n)))
/* True when every byte of s is an RFC 3261 token character. */
bool fz_is_token(struct sipd_str s);

/* After a failed parse: the error says the same code and points inside the input. */
void fz_check_error(int rc, const struct sipd_parse_error *err, size_t n);
/* A parsed URI: every part inside [lo, lo + n), the parts in order, the enums
 * in range, the scheme matching the kind. */
void fz_check_uri(const struct sipd_uri *u, const char *lo, size_t n);

/* Walks ';' parameters with sipd_param_next() and looks each name up again
 * with sipd_param_find(). Returns the number of parameters. */
size_t fz_walk_params(struct sipd_str params);
/* Walks ',' auth-params with sipd_auth_param_next() and unquotes each value. */
size_t fz_walk_auth_params(struct sipd_str params);
/* sipd_unquote() into buffers of several capacities, each exactly sized. */
void fz_unquote(struct sipd_str v);

/* The typed parsers of msg.h, one value at a time. */
enum fz_kind {
	FZ_VIA,
	FZ_NAMEADDR,
	FZ_NAMEADDR_STRICT,
	FZ_CSEQ,
	FZ_RACK,
	FZ_MEDIA,
	FZ_EVENT,
	FZ_SUBSTATE,
	FZ_SESSION_EXPIRES,
	FZ_RETRY_AFTER,
	FZ_REPLACES,
	FZ_REASON,
	FZ_AUTH,
	FZ_WARNING,
	FZ_UINT,
	FZ_PARAMS,
	FZ_TOKEN,
	FZ_DISPOSITION,
	FZ_CALLID,
	FZ_AUTH_PARAMS, /* Authentication-Info: auth-params without a scheme */
	FZ_HDR_NAME,    /* sipd_hdr_lookup() and its inverse */
	FZ_METHOD,      /* sipd_method_lookup() and its inverse */
	FZ__COUNT,
	FZ_NONE = FZ__COUNT
};

/* The parser that reads one value of a header id, or FZ_NONE. */
enum fz_kind fz_kind_of(enum sipd_hdr_id id);
/* Parses v (which lies in [lo, lo + n)) with that parser and checks the
 * result. Returns 0 when v parsed, or the parser's error. */
int fz_parse_value(enum fz_kind kind, struct sipd_str v, const char *lo, size_t n);

#endif
