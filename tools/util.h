/* What the command's roles share: addresses of listeners as URIs, the
 * built-in SDP, and the listening banner. */
#ifndef SIPD_TOOLS_UTIL_H
#define SIPD_TOOLS_UTIL_H

#include <stddef.h>

#include <sipdialog/runtime.h>

/* "sip:USER@HOST:PORT[;transport=tcp]" (or sips: for TLS) of the listener
 * a flow uses. Returns the length or a negative code. */
int tools_local_uri(struct sipd_runtime *rt, const char *user, uint16_t local, char *out,
                    size_t cap);
/* A one-stream audio SDP (PCMU) on the listener's address; `version` goes
 * in o= (bump it for each new offer), `dir` is an a= direction or NULL.
 * Returns the length or a negative code. */
int tools_sdp(struct sipd_runtime *rt, uint16_t local, const char *user, unsigned version,
              uint16_t port, const char *dir, char *out, size_t cap);
/* Prints "listening on udp:1.2.3.4:5060" for each listener to stderr. */
void tools_print_listeners(struct sipd_runtime *rt, size_t n);
/* The first listener with this transport and address family, or -1. */
int tools_pick_local(struct sipd_runtime *rt, enum sipd_transport tp, int family);
/* Strong random bytes from the system (getrandom), for the auth module. */
void tools_random(void *user, void *buf, size_t len);
/* Splits "USER:PASS" at its first colon into user[cap] and *pass (pointing
 * into s). Returns 0, or -1 when there is no colon or the user is empty or
 * too long. */
int tools_split_credentials(const char *s, char *user, size_t cap, const char **pass);
/* A hash key for a dialog table from the stack's strong random source. */
void tools_table_random(void *runtime, void *buf, size_t len);

#endif
