/* IP addresses as the stack sees them: numeric, no resolution here. */
#include <string.h>

#include <sipdialog/stack.h>

static char hexdig(unsigned v)
{
	return (char)(v < 10 ? '0' + v : 'a' + v - 10);
}

int sipd_addr_format(const struct sipd_addr *a, char *out, size_t cap)
{
	char tmp[48];
	size_t n = 0;
	if (a->family == 4) {
		for (int i = 0; i < 4; i++) {
			unsigned v = a->ip[i];
			if (i)
				tmp[n++] = '.';
			if (v >= 100)
				tmp[n++] = (char)('0' + v / 100);
			if (v >= 10)
				tmp[n++] = (char)('0' + v / 10 % 10);
			tmp[n++] = (char)('0' + v % 10);
		}
	} else if (a->family == 6) {
		/* RFC 5952: the longest run of two or more zero groups becomes "::" */
		unsigned g[8];
		for (int i = 0; i < 8; i++)
			g[i] = (unsigned)a->ip[2 * i] << 8 | a->ip[2 * i + 1];
		int best = -1, bestlen = 1;
		for (int i = 0; i < 8;) {
			int j = i;
			while (j < 8 && g[j] == 0)
				j++;
			if (j - i > bestlen) {
				best = i;
				bestlen = j - i;
			}
			i = j > i ? j : i + 1;
		}
		for (int i = 0; i < 8; i++) {
			if (i == best) {
				tmp[n++] = ':';
				tmp[n++] = ':';
				i += bestlen - 1;
				continue;
			}
			if (i && i != best + bestlen)
				tmp[n++] = ':';
			bool lead = true;
			for (int s = 12; s >= 0; s -= 4) {
				unsigned d = (g[i] >> s) & 15;
				if (lead && d == 0 && s)
					continue;
				lead = false;
				tmp[n++] = hexdig(d);
			}
		}
	} else {
		return SIPD_EINVAL;
	}
	if (n > cap)
		return SIPD_ENOSPC;
	memcpy(out, tmp, n);
	return (int)n;
}

static int parse4(uint8_t *ip, const char *s, size_t len)
{
	unsigned part = 0, val = 0, digits = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!digits || val > 255 || part > 3)
				return SIPD_EPARSE;
			ip[part++] = (uint8_t)val;
			val = digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
			val = val * 10 + (unsigned)(s[i] - '0');
			digits++;
		} else {
			return SIPD_EPARSE;
		}
	}
	return part == 4 ? 0 : SIPD_EPARSE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse6(uint8_t *ip, const char *s, size_t len)
{
	uint16_t g[8] = {0};
	int n = 0, gap = -1;
	size_t i = 0;
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < len) {
		/* an embedded IPv4 address ends the text */
		size_t j = i;
		while (j < len && s[j] != ':' && s[j] != '.')
			j++;
		if (j < len && s[j] == '.') {
			uint8_t v4[4];
			if (n > 6 || parse4(v4, s + i, len - i))
				return SIPD_EPARSE;
			g[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = len;
			break;
		}
		if (j == i || j - i > 4 || n >= 8)
			return SIPD_EPARSE;
		unsigned v = 0;
		for (size_t k = i; k < j; k++) {
			int h = hexval(s[k]);
			if (h < 0)
				return SIPD_EPARSE;
			v = v << 4 | (unsigned)h;
		}
		g[n++] = (uint16_t)v;
		i = j;
		if (i < len) {
			i++;
			if (i < len && s[i] == ':') {
				if (gap >= 0)
					return SIPD_EPARSE;
				gap = n;
				i++;
			} else if (i == len) {
				return SIPD_EPARSE;
			}
		}
	}
	if (gap < 0 && n != 8)
		return SIPD_EPARSE;
	if (gap >= 0 && n > 7)
		return SIPD_EPARSE;
	uint16_t full[8] = {0};
	if (gap < 0) {
		memcpy(full, g, sizeof full);
	} else {
		for (int k = 0; k < gap; k++)
			full[k] = g[k];
		for (int k = gap; k < n; k++)
			full[8 - (n - k)] = g[k];
	}
	for (int k = 0; k < 8; k++) {
		ip[2 * k] = (uint8_t)(full[k] >> 8);
		ip[2 * k + 1] = (uint8_t)full[k];
	}
	return 0;
}

int sipd_addr_parse(struct sipd_addr *a, const char *s, size_t len)
{
	memset(a, 0, sizeof *a);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (memchr(s, ':', len)) {
		a->family = 6;
		return parse6(a->ip, s, len);
	}
	a->family = 4;
	return parse4(a->ip, s, len);
}

bool sipd_addr_equal(const struct sipd_addr *a, const struct sipd_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

uint16_t sipd_default_port(uint8_t transport)
{
	return transport == SIPD_TP_TLS ? 5061 : 5060;
}

int sipd_uri_hop(const struct sipd_uri *u, struct sipd_uri_hop *out)
{
	memset(out, 0, sizeof *out);
	if (!u || (u->kind != SIPD_URI_SIP && u->kind != SIPD_URI_SIPS))
		return SIPD_EINVAL;
	out->sips = u->kind == SIPD_URI_SIPS;
	out->host = u->host;
	out->port = u->port;
	/* §4.1: maddr names the host instead; the transport parameter chooses
	 * the transport (TCP in a SIPS URI is TLS) */
	struct sipd_str v;
	if (sipd_param_find(u->params, "maddr", &v) == 0 && v.len)
		out->host = v;
	if (sipd_param_find(u->params, "transport", &v) == 0 && v.len) {
		if (sipd_str_ieq(v, "udp"))
			out->transport = SIPD_TP_UDP;
		else if (sipd_str_ieq(v, "tcp"))
			out->transport = out->sips ? SIPD_TP_TLS : SIPD_TP_TCP;
		else if (sipd_str_ieq(v, "tls"))
			out->transport = SIPD_TP_TLS;
		else
			return SIPD_EINVAL; /* SCTP, WS...: not ours */
	}
	/* §4.2: a numeric host needs no lookup; without a transport parameter
	 * it is UDP for sip and TLS for sips, without a port the default one */
	if (sipd_addr_parse(&out->addr, out->host.p, out->host.len) == 0) {
		out->numeric = true;
		out->addr_transport = out->transport ? out->transport
		                                     : (out->sips ? SIPD_TP_TLS : SIPD_TP_UDP);
		out->addr.port = out->port ? out->port : sipd_default_port(out->addr_transport);
	}
	return 0;
}
