/* Internal to the message layer: shared by parse.c, check.c and typed.c. */
#ifndef SIPD_MSG_INTERNAL_H
#define SIPD_MSG_INTERNAL_H

#include "msg/tables.h"

/* Fills err for a fault at `at` inside the message (line and column computed
 * from the message start). Returns code. */
int sipd_msg_fail(const char *buf, size_t len, struct sipd_parse_error *err, int code,
                  uint16_t status, const char *what, const char *at);
/* Turns an error of a typed parser (offset relative to `base`) into one
 * located in the message. Returns SIPD_EPARSE. */
int sipd_msg_locate(const struct sipd_msg *msg, struct sipd_parse_error *err, const char *base);

/* Take one value of a list header from the start of *v, validated, and leave
 * *v at the ',' (or the end) after it (typed.c). Errors are relative to the
 * value's start. */
int sipd_msg__token_take(struct sipd_str *v, struct sipd_parse_error *err);
int sipd_msg__via_take(struct sipd_via *out, struct sipd_str *v, struct sipd_parse_error *err);
int sipd_msg__nameaddr_take(struct sipd_str *v, bool strict, struct sipd_parse_error *err);

#endif
