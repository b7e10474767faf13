#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int tools_local_uri(struct sipd_runtime *rt, const char *user, uint16_t local, char *out,
                    size_t cap)
{
	const struct sipd_local *l = sipd_runtime_local(rt, local);
	if (!l)
		return SIPD_EINVAL;
	char ip[64];
	int n = sipd_addr_format(&l->addr, ip, sizeof ip);
	if (n < 0)
		return n;
	bool v6 = l->addr.family == 6;
	const char *scheme = l->transport == SIPD_TP_TLS ? "sips" : "sip";
	const char *tp = l->transport == SIPD_TP_TCP ? ";transport=tcp" : "";
	int w = snprintf(out, cap, "%s:%s@%s%.*s%s:%u%s", scheme, user, v6 ? "[" : "", n, ip,
	                 v6 ? "]" : "", l->addr.port, tp);
	return w < 0 || (size_t)w >= cap ? SIPD_ENOSPC : w;
}

int tools_sdp(struct sipd_runtime *rt, uint16_t local, const char *user, unsigned version,
              uint16_t port, const char *dir, char *out, size_t cap)
{
	const struct sipd_local *l = sipd_runtime_local(rt, local);
	if (!l)
		return SIPD_EINVAL;
	char ip[64];
	int n = sipd_addr_format(&l->addr, ip, sizeof ip);
	if (n < 0)
		return n;
	const char *fam = l->addr.family == 6 ? "IP6" : "IP4";
	int w = snprintf(out, cap,
	                 "v=0\r\no=%s 1 %u IN %s %.*s\r\ns=-\r\nc=IN %s %.*s\r\nt=0 0\r\n"
	                 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n%s%s%s",
	                 user, version, fam, n, ip, fam, n, ip, port, dir ? "a=" : "",
	                 dir ? dir : "", dir ? "\r\n" : "");
	return w < 0 || (size_t)w >= cap ? SIPD_ENOSPC : w;
}

void tools_print_listeners(struct sipd_runtime *rt, size_t count)
{
	static const char *const tpn[] = {"", "udp", "tcp", "tls"};
	for (size_t i = 0; i < count; i++) {
		const struct sipd_local *l = sipd_runtime_local(rt, i);
		char ip[64];
		int n = sipd_addr_format(&l->addr, ip, sizeof ip);
		fprintf(stderr, "listening on %s:%s%.*s%s:%u\n", tpn[l->transport],
		        l->addr.family == 6 ? "[" : "", n < 0 ? 0 : n, ip,
		        l->addr.family == 6 ? "]" : "", l->addr.port);
	}
}

int tools_pick_local(struct sipd_runtime *rt, enum sipd_transport tp, int family)
{
	return sipd_stack_local_for(sipd_runtime_stack(rt), (uint8_t)tp, (uint8_t)family);
}

void tools_table_random(void *runtime, void *buf, size_t len)
{
	/* the stack's strong source, as tokens: fine for a hash key */
	sipd_stack_random_token(sipd_runtime_stack(runtime), buf, len);
}

void tools_random(void *user, void *buf, size_t len)
{
	(void)user;
	unsigned char *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n <= 0) /* only interrupted: the kernel's pool is ready after boot */
			continue;
		p += n;
		len -= (size_t)n;
	}
}

int tools_split_credentials(const char *s, char *user, size_t cap, const char **pass)
{
	const char *colon = strchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= cap)
		return -1;
	memcpy(user, s, (size_t)(colon - s));
	user[colon - s] = 0;
	*pass = colon + 1;
	return 0;
}
