/* sipdialog — common types: string slices and error codes.
 *
 * Every function of the library that can fail returns an int: 0 on success or
 * one of the negative SIPD_E... codes below. sipd_strerror() names a code.
 */
#ifndef SIPDIALOG_COMMON_H
#define SIPDIALOG_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A slice of bytes that belongs to somebody else (usually a message's receive
 * buffer). Not NUL-terminated. An absent value is {NULL, 0}; a present but empty
 * one has a non-NULL p and len 0. */
struct sipd_str {
	const char *p;
	size_t len;
};

#define SIPD_STR_NULL ((struct sipd_str){NULL, 0})

/* A deadline in a stack's timer heap. Its fields belong to the stack; users
 * embed one (see struct sipd_stack_timer in stack.h) and never touch them. */
struct sipd_timer {
	uint64_t at;
	uint32_t idx; /* position in the heap, UINT32_MAX when not armed */
	uint8_t kind; /* what owns it */
};

enum sipd_error {
	SIPD_OK = 0,
	SIPD_EINVAL = -1,    /* a bad argument from the caller */
	SIPD_ENOMEM = -2,    /* an allocation failed */
	SIPD_EPARSE = -3,    /* input does not follow the grammar */
	SIPD_EAGAIN = -4,    /* input is incomplete: give more bytes */
	SIPD_ELIMIT = -5,    /* input exceeds a configured limit */
	SIPD_ENOSPC = -6,    /* the caller's output buffer is too small */
	SIPD_ENOTFOUND = -7, /* the thing looked for is not there */
	SIPD_ESTATE = -8,    /* not allowed in the current state */
};

/* A static, human-readable name for an error code. Never NULL. */
const char *sipd_strerror(int code);

/* True when the slice equals the NUL-terminated string, ignoring ASCII case. */
bool sipd_str_ieq(struct sipd_str s, const char *lit);
/* True when the slice equals the NUL-terminated string exactly. */
bool sipd_str_eq(struct sipd_str s, const char *lit);

#ifdef __cplusplus
}
#endif

#endif
