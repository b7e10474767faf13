/* Registration, internal: what the files share.
 *
 * rules.c      the pure rules: refresh time, back-off, URI equality (§19.1.4),
 *              canonical AOR (§10.3 step 5)
 * client.c     the REGISTER client (§10.2)
 * registrar.c  the registrar and its location service (§10.3)
 */
#ifndef SIPD_REG_REG_H
#define SIPD_REG_REG_H

#include <sipdialog/registration.h>

/* AORs and Contact URIs longer than this are refused (400 at the registrar,
 * SIPD_EINVAL at the client). */
#define REG_MAX_URI 1024

/* §19.1.4 on parsed URIs. */
bool sipd__reg_uri_equal(const struct sipd_uri *a, const struct sipd_uri *b);
/* The canonical AOR of a parsed URI, as sipd_reg_aor_canonical(). */
int sipd__reg_canonical(const struct sipd_uri *u, char *out, size_t cap);
/* Undoes %HH escapes of s into out (NUL-terminated). Returns the length or
 * SIPD_ENOSPC. */
int sipd__reg_unescape(struct sipd_str s, char *out, size_t cap);

#endif
