/* Error names and the small string helpers every layer uses. */
#include <string.h>

#include <sipdialog/common.h>

const char *sipd_strerror(int code)
{
	switch (code) {
	case SIPD_OK: return "success";
	case SIPD_EINVAL: return "invalid argument";
	case SIPD_ENOMEM: return "out of memory";
	case SIPD_EPARSE: return "malformed input";
	case SIPD_EAGAIN: return "incomplete input";
	case SIPD_ELIMIT: return "limit exceeded";
	case SIPD_ENOSPC: return "output buffer too small";
	case SIPD_ENOTFOUND: return "not found";
	case SIPD_ESTATE: return "not allowed in this state";
	}
	return "unknown error";
}

bool sipd_str_ieq(struct sipd_str s, const char *lit)
{
	/* One pass, no strlen: stops at the first difference or at lit's end. */
	size_t i = 0;
	for (; i < s.len; i++) {
		char a = s.p[i], b = lit[i];
		if (!b)
			return false;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b + 32);
		if (a != b)
			return false;
	}
	return lit[i] == 0;
}

bool sipd_str_eq(struct sipd_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}
