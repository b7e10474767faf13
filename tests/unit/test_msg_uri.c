/* URIs (src/msg/uri.c): SIP and SIPS URIs of RFC 3261 §19.1 and §25.1, tel
 * URIs (RFC 3966), other absoluteURIs kept opaque; hosts of every kind. */
#include "msg_test.h"

static struct sipd_uri uri_ok(const char *text)
{
	struct sipd_uri u;
	struct sipd_parse_error err = {0};
	char *b = dup_exact(text, strlen(text));
	int rc = sipd_uri_parse(&u, b, strlen(text), &err);
	if (rc)
		fail_msg("'%s' rejected: %s at offset %zu", text, err.what, err.offset);
	/* the slices point into the copy, which the caller no longer needs:
	 * re-point them into the literal, same offsets */
	const char *base = b;
#define REBASE(f)                                                                                  \
	if (u.f.p)                                                                                 \
	u.f.p = text + (u.f.p - base)
	REBASE(raw);
	REBASE(scheme);
	REBASE(user);
	REBASE(password);
	REBASE(host);
	REBASE(params);
	REBASE(headers);
	REBASE(opaque);
#undef REBASE
	free(b);
	return u;
}

/* Asserts a rejection, and that the error points at `at` (an offset). */
static void uri_bad(const char *text, size_t at)
{
	struct sipd_uri u;
	struct sipd_parse_error err = {0};
	char *b = dup_exact(text, strlen(text));
	int rc = sipd_uri_parse(&u, b, strlen(text), &err);
	free(b);
	if (rc != SIPD_EPARSE)
		fail_msg("'%s' accepted", text);
	assert_int_equal(err.code, SIPD_EPARSE);
	assert_non_null(err.what);
	assert_int_equal(err.status, 400);
	if (at != (size_t)-1 && err.offset != at)
		fail_msg("'%s': error '%s' at offset %zu, expected %zu", text, err.what, err.offset,
		         at);
}

#define ANY ((size_t)-1)

/* The examples of §19.1.3. */
static void rfc3261_19_1_3_examples(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:alice@atlanta.com");
	assert_int_equal(u.kind, SIPD_URI_SIP);
	assert_slice(u.scheme, "sip");
	assert_slice(u.user, "alice");
	assert_absent(u.password);
	assert_slice(u.host, "atlanta.com");
	assert_int_equal(u.host_type, SIPD_HOST_NAME);
	assert_int_equal(u.port, 0);
	assert_absent(u.params);
	assert_absent(u.headers);
	assert_slice(u.opaque, "alice@atlanta.com");

	u = uri_ok("sip:alice:secretword@atlanta.com;transport=tcp");
	assert_slice(u.user, "alice");
	assert_slice(u.password, "secretword");
	assert_slice(u.params, "transport=tcp");

	u = uri_ok("sips:alice@atlanta.com?subject=project%20x&priority=urgent");
	assert_int_equal(u.kind, SIPD_URI_SIPS);
	assert_slice(u.headers, "subject=project%20x&priority=urgent");

	u = uri_ok("sip:+1-212-555-1212:1234@gateway.com;user=phone");
	assert_slice(u.user, "+1-212-555-1212");
	assert_slice(u.password, "1234");
	assert_slice(u.params, "user=phone");

	u = uri_ok("sips:1212@gateway.com");
	assert_slice(u.user, "1212");

	u = uri_ok("sip:alice@192.0.2.4");
	assert_slice(u.host, "192.0.2.4");
	assert_int_equal(u.host_type, SIPD_HOST_IPV4);

	u = uri_ok("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
	assert_absent(u.user);
	assert_slice(u.host, "atlanta.com");
	assert_slice(u.params, "method=REGISTER");
	assert_slice(u.headers, "to=alice%40atlanta.com");

	u = uri_ok("sip:alice;day=tuesday@atlanta.com");
	assert_slice(u.user, "alice;day=tuesday");
	assert_slice(u.host, "atlanta.com");
	assert_absent(u.params);
}

/* §19.1.1: the scheme is case-insensitive. */
static void rfc3261_19_1_1_scheme_case(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("SIP:Alice@AtLanTa.CoM");
	assert_int_equal(u.kind, SIPD_URI_SIP);
	assert_slice(u.scheme, "SIP");
	u = uri_ok("SiPs:a@b.example");
	assert_int_equal(u.kind, SIPD_URI_SIPS);
	u = uri_ok("TEL:+1234");
	assert_int_equal(u.kind, SIPD_URI_TEL);
}

/* user = 1*( unreserved / escaped / user-unreserved ), password may be empty. */
static void rfc3261_25_1_userinfo(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:a-_.!~*'()&=+$,;?/@h");
	assert_slice(u.user, "a-_.!~*'()&=+$,;?/");
	u = uri_ok("sip:a:@h");
	assert_slice(u.user, "a");
	assert_non_null(u.password.p);
	assert_int_equal(u.password.len, 0);
	u = uri_ok("sip:a:&=+$,-_.!~*'()%41@h");
	assert_slice(u.password, "&=+$,-_.!~*'()%41");

	uri_bad("sip:@h", 4);      /* user = 1*(...) */
	uri_bad("sip:a b@h", ANY); /* SP */
	uri_bad("sip:a<b@h", 5);   /* '<' is not a user character */
	uri_bad("sip:a:b:c@h", 7); /* ':' not in a password */
	uri_bad("sip:a\"b@h", 5);
	uri_bad("sip:\xc3\xa9@h", 4); /* UTF-8 must be escaped */
}

/* escaped = "%" HEXDIG HEXDIG, kept as it is (§19.1.2). */
static void rfc3261_19_1_2_escapes_kept(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:%61lice%2A@h;m%61ddr=x%2Ey?h%41=v%20w");
	assert_slice(u.user, "%61lice%2A");
	assert_slice(u.params, "m%61ddr=x%2Ey");
	assert_slice(u.headers, "h%41=v%20w");
	u = uri_ok("sip:%00@h");
	assert_slice(u.user, "%00");

	uri_bad("sip:%6@h", 4);
	uri_bad("sip:%zz@h", 4);
	uri_bad("sip:a%@h", ANY);
	uri_bad("sip:h;x=%4", ANY);
	uri_bad("sip:h;x=%4g", ANY);
	uri_bad("sip:h?a=%", ANY);
	uri_bad("sip:a:%2@h", ANY);
}

/* hostname = *( domainlabel "." ) toplabel [ "." ] */
static void rfc3261_25_1_hostname(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:a-b.example.com");
	assert_int_equal(u.host_type, SIPD_HOST_NAME);
	u = uri_ok("sip:example.com.");
	assert_slice(u.host, "example.com.");
	assert_int_equal(u.host_type, SIPD_HOST_NAME);
	u = uri_ok("sip:a@example.com.:5060");
	assert_int_equal(u.host_type, SIPD_HOST_NAME);
	assert_int_equal(u.port, 5060);
	u = uri_ok("sip:x");
	assert_slice(u.host, "x");
	u = uri_ok("sip:123.example.com");
	assert_int_equal(u.host_type, SIPD_HOST_NAME);
	/* '_' is not in §25.1's hostname, but deployed hosts use it: accepted */
	u = uri_ok("sip:_sip._udp.example.com");
	assert_slice(u.host, "_sip._udp.example.com");

	uri_bad("sip:-a.example.com", 4);
	uri_bad("sip:a-.example.com", 4);
	uri_bad("sip:a..example.com", 4);
	uri_bad("sip:.example.com", 4);
	uri_bad("sip:", 4);
	uri_bad("sip:user@", 9);
	uri_bad("sip:user@;lr", 9);
	uri_bad("sip:ex ample.com", 6);
	uri_bad("sip:h>", 5);
}

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each <= 255;
 * digits and dots only cannot be a hostname (a toplabel starts with a letter). */
static void rfc3261_25_1_ipv4address(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:255.255.255.255");
	assert_int_equal(u.host_type, SIPD_HOST_IPV4);
	u = uri_ok("sip:0.0.0.0:5060");
	assert_int_equal(u.port, 5060);
	u = uri_ok("sip:a@010.1.1.1");
	assert_int_equal(u.host_type, SIPD_HOST_IPV4);

	uri_bad("sip:256.1.1.1", 4);
	uri_bad("sip:1.2.3", 4);
	uri_bad("sip:1.2.3.4.5", 4);
	uri_bad("sip:1.2..4", 4);
	uri_bad("sip:1234.1.1.1", 4);
	uri_bad("sip:1.2.3.", 4);
}

/* IPv6reference = "[" IPv6address "]" (RFC 3261 §25.1, RFC 4291 §2.2). */
static void rfc3261_25_1_ipv6reference(void **state)
{
	(void)state;
	static const char *const good[] = {
		"sip:[::]",
		"sip:[::1]",
		"sip:[1::]",
		"sip:[2001:db8::1]",
		"sip:[2001:DB8:0:0:8:800:200C:417A]",
		"sip:[1:2:3:4:5:6:7:8]",
		"sip:[1:2:3:4:5:6:7::]",
		"sip:[::2:3:4:5:6:7:8]",
		"sip:[::ffff:192.0.2.1]",
		"sip:[1:2:3:4:5:6:192.0.2.1]",
		"sip:[::192.0.2.1]",
		"sip:[fe80::1:2]",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct sipd_uri u = uri_ok(good[i]);
		assert_int_equal(u.host_type, SIPD_HOST_IPV6);
		assert_int_equal(u.host.p[0], '[');
		assert_int_equal(u.host.p[u.host.len - 1], ']');
	}
	struct sipd_uri u = uri_ok("sip:user@[2001:db8::10]:5070;transport=tcp");
	assert_slice(u.host, "[2001:db8::10]");
	assert_int_equal(u.port, 5070);
	assert_slice(u.params, "transport=tcp");

	static const char *const bad[] = {
		"sip:[]",
		"sip:[:]",
		"sip:[:::]",
		"sip:[1:2:3:4:5:6:7:8:9]",
		"sip:[1::2:3:4:5:6:7:8]",
		"sip:[1::2::3]",
		"sip:[:1]",
		"sip:[1:]",
		"sip:[12345::1]",
		"sip:[g::1]",
		"sip:[::1.2.3]",
		"sip:[::256.1.1.1]",
		"sip:[1.2.3.4]",
		"sip:[::1.2.3.4:5]",
		"sip:[1:2:3:4:5:6:7:1.2.3.4]",
		"sip:[2001:db8:::1]",
		"sip:[::1",
		"sip:::1",
		"sip:2001:db8::10",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		uri_bad(bad[i], ANY);
}

/* RFC 5118 §4.10: RFC 3261's ABNF allowed "::" then ":" before an embedded
 * IPv4 address; parsers should accept that form. */
static void rfc5118_4_10_three_colons_tolerated(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:user@[2001:db8:::192.0.2.1]");
	assert_int_equal(u.host_type, SIPD_HOST_IPV6);
	u = uri_ok("sip:[:::192.0.2.1]");
	assert_int_equal(u.host_type, SIPD_HOST_IPV6);
	uri_bad("sip:[2001:db8::::192.0.2.1]", ANY);
	uri_bad("sip:[2001:db8:::1:192.0.2.1]", ANY);
}

/* RFC 5118 §4.3: inside the brackets, ":5070" is a group, not a port. */
static void rfc5118_4_3_port_inside_brackets(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:[2001:db8::10:5070]");
	assert_slice(u.host, "[2001:db8::10:5070]");
	assert_int_equal(u.port, 0);
}

/* port = 1*DIGIT; 65535 is the largest. Port 0 is refused: it cannot be
 * reached, and 0 means "no port" in struct sipd_uri. */
static void rfc3261_25_1_port_range(void **state)
{
	(void)state;
	assert_int_equal(uri_ok("sip:h:1").port, 1);
	assert_int_equal(uri_ok("sip:h:65535").port, 65535);
	assert_int_equal(uri_ok("sip:h:05060").port, 5060);
	assert_int_equal(uri_ok("sip:[::1]:65535").port, 65535);
	uri_bad("sip:h:0", 6);
	uri_bad("sip:h:65536", 6);
	uri_bad("sip:h:99999999999999999999", 6);
	uri_bad("sip:h:", 6);
	uri_bad("sip:h:x", 6);
	uri_bad("sip:h:5060:5060", 10);
	uri_bad("sip:h:-1", 6);
	uri_bad("sip:[::1]:", ANY);
	uri_bad("sip:[::1]5060", ANY);
}

/* uri-parameters = *( ";" uri-parameter ); pvalue = 1*paramchar. */
static void rfc3261_25_1_uri_parameters(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:h;lr");
	assert_slice(u.params, "lr");
	u = uri_ok("sip:h;transport=tcp;lr;maddr=[::1];x=a/b:c&d+e$f");
	assert_slice(u.params, "transport=tcp;lr;maddr=[::1];x=a/b:c&d+e$f");
	struct sipd_str v;
	assert_int_equal(sipd_param_find(u.params, "maddr", &v), 0);
	assert_slice(v, "[::1]");
	assert_int_equal(sipd_param_find(u.params, "LR", &v), 0);
	assert_absent(v);
	assert_int_equal(sipd_param_find(u.params, "ttl", &v), SIPD_ENOTFOUND);

	uri_bad("sip:h;", 6);
	uri_bad("sip:h;;lr", 6);
	uri_bad("sip:h;=x", 6);
	uri_bad("sip:h;x=", 8);
	uri_bad("sip:h;x=a b", ANY);
	uri_bad("sip:h;x=\"q\"", ANY);
	uri_bad("sip:h;x=a,b", ANY);
}

/* headers = "?" header *( "&" header ); header = hname "=" hvalue, hvalue may
 * be empty. */
static void rfc3261_25_1_uri_headers(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("sip:h?a=");
	assert_slice(u.headers, "a=");
	u = uri_ok("sip:h;lr?Route=%3Csip:x%3E&Subject=hi");
	assert_slice(u.params, "lr");
	assert_slice(u.headers, "Route=%3Csip:x%3E&Subject=hi");
	uri_bad("sip:h?", 6);
	uri_bad("sip:h?a", 7);
	uri_bad("sip:h?a=b&", 10);
	uri_bad("sip:h?=b", 6);
	uri_bad("sip:h?a=b;c", ANY);
	uri_bad("sip:h?a=b?c=d", ANY);
}

/* telephone-subscriber of RFC 3966 §3, checked loosely. */
static void rfc3966_3_tel(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("tel:+1-201-555-0123");
	assert_int_equal(u.kind, SIPD_URI_TEL);
	assert_slice(u.user, "+1-201-555-0123");
	assert_absent(u.params);
	u = uri_ok("tel:7042;phone-context=example.com");
	assert_slice(u.user, "7042");
	assert_slice(u.params, "phone-context=example.com");
	u = uri_ok("tel:*21#;phone-context=+1.(555)");
	assert_slice(u.user, "*21#");
	uri_bad("tel:", 4);
	uri_bad("tel:;x=1", 4);
	uri_bad("tel:+1 234", 6);
	uri_bad("tel:+1@h", 6);
	uri_bad("tel:12;", ANY);
}

/* absoluteURI = scheme ":" ( hier-part / opaque-part ): any scheme, kept
 * opaque (RFC 4475 §3.3.2-3.3.4). */
static void rfc3261_25_1_absolute_uri(void **state)
{
	(void)state;
	struct sipd_uri u = uri_ok("mailto:watson@bell-telephone.com");
	assert_int_equal(u.kind, SIPD_URI_OTHER);
	assert_slice(u.scheme, "mailto");
	assert_slice(u.opaque, "watson@bell-telephone.com");
	assert_absent(u.host);
	u = uri_ok("http://www.example.com/a/b?c=d;e&f=%20");
	assert_slice(u.opaque, "//www.example.com/a/b?c=d;e&f=%20");
	u = uri_ok("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	assert_slice(u.scheme, "urn");
	u = uri_ok("soap.beep://192.0.2.103:3002");
	assert_slice(u.scheme, "soap.beep");
	u = uri_ok("x-1+a.b:y");
	assert_slice(u.scheme, "x-1+a.b");

	uri_bad("", 0);
	uri_bad("nocolon", ANY);
	uri_bad(":opaque", 0);
	uri_bad("1abc:x", ANY);
	uri_bad("a_b:x", ANY);
	uri_bad("mailto:", 7);
	uri_bad("http://x/<y>", 9);
	uri_bad("http://x/ y", 9);
	uri_bad("http://x/%zz", 9);
	uri_bad("urn:a\"b", 5);
	uri_bad("*", ANY); /* not a URI: Request-URI "*" is refused too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_19_1_3_examples),
		cmocka_unit_test(rfc3261_19_1_1_scheme_case),
		cmocka_unit_test(rfc3261_25_1_userinfo),
		cmocka_unit_test(rfc3261_19_1_2_escapes_kept),
		cmocka_unit_test(rfc3261_25_1_hostname),
		cmocka_unit_test(rfc3261_25_1_ipv4address),
		cmocka_unit_test(rfc3261_25_1_ipv6reference),
		cmocka_unit_test(rfc5118_4_10_three_colons_tolerated),
		cmocka_unit_test(rfc5118_4_3_port_inside_brackets),
		cmocka_unit_test(rfc3261_25_1_port_range),
		cmocka_unit_test(rfc3261_25_1_uri_parameters),
		cmocka_unit_test(rfc3261_25_1_uri_headers),
		cmocka_unit_test(rfc3966_3_tel),
		cmocka_unit_test(rfc3261_25_1_absolute_uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
