/* Typed header values (src/msg/typed.c): every parser of msg.h with good and
 * bad values, named after the grammar rule and its RFC section. Each value
 * is parsed from an exact-size heap copy so that ASan sees any over-read. */
#include "msg_test.h"

/* Exact-size copies, freed after each test. */
static char *pool[512];
static size_t npool;

static struct sipd_str H(const char *s) {
	size_t n = strlen(s);
	assert_true(npool < sizeof pool / sizeof pool[0]);
	char *b = dup_exact(s, n);
	pool[npool++] = b;
	return (struct sipd_str){b, n};
}

static int
free_pool(void **state)
{
	(void)state;
	while (npool)
		free(pool[--npool]);
	return 0;
}

/* Asserts that parser `fn` refuses `text` and points into it. */
#define REJECT(fn, out, text)                                                                      \
	do {                                                                                       \
		struct sipd_parse_error e_ = {0};                                                  \
		struct sipd_str v_ = H(text);                                                      \
		if (fn(out, v_, &e_) != SIPD_EPARSE)                                               \
			fail_msg("%s accepted '%s'", #fn, text);                                   \
		assert_non_null(e_.what);                                                          \
		assert_int_equal(e_.code, SIPD_EPARSE);                                            \
		assert_true(e_.offset <= v_.len);                                                  \
		assert_int_equal(fn(out, v_, NULL), SIPD_EPARSE); /* err may be NULL */            \
	} while (0)

#define ACCEPT(fn, out, text)                                                                      \
	do {                                                                                       \
		struct sipd_parse_error e_ = {0};                                                  \
		if (fn(out, H(text), &e_) != 0)                                                    \
			fail_msg("%s refused '%s': %s at %zu", #fn, text, e_.what, e_.offset);     \
	} while (0)

/* ------------------------------------------------------------------ Via */

static int via_strict(struct sipd_via *v, struct sipd_str s, struct sipd_parse_error *e)
{
	return sipd_via_parse(v, s, e);
}

/* via-parm = sent-protocol LWS sent-by *( SEMI via-params ), SLASH = SWS "/"
 * SWS, COLON = SWS ":" SWS (RFC 3261 §20.42, §25.1). */
static void rfc3261_20_42_via(void **state)
{
	(void)state;
	struct sipd_via v;
	ACCEPT(via_strict, &v, "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds");
	assert_slice(v.protocol, "SIP/2.0");
	assert_slice(v.transport, "UDP");
	assert_slice(v.host, "pc33.atlanta.com");
	assert_int_equal(v.host_type, SIPD_HOST_NAME);
	assert_int_equal(v.port, 0);
	assert_slice(v.branch, "z9hG4bK776asdhds");
	assert_absent(v.received);
	assert_false(v.rport);
	assert_int_equal(v.ttl, -1);

	ACCEPT(via_strict, &v,
	       "SIP / 2.0 / tcp\r\n h.example.com : 5061 ; branch = z9hG4bKx ;rport");
	assert_slice(v.transport, "tcp");
	assert_slice(v.host, "h.example.com");
	assert_int_equal(v.port, 5061);
	assert_slice(v.branch, "z9hG4bKx");
	assert_true(v.rport);
	assert_int_equal(v.rport_value, 0);

	ACCEPT(via_strict, &v,
	       "SIP/2.0/UDP 192.0.2.1:5060;received=192.0.2.207;rport=5061;ttl=16;"
	       "maddr=224.2.0.1;x-ext=\"q\";branch=z9hG4bKnashds8");
	assert_int_equal(v.host_type, SIPD_HOST_IPV4);
	assert_slice(v.received, "192.0.2.207");
	assert_int_equal(v.rport_value, 5061);
	assert_int_equal(v.ttl, 16);
	assert_slice(v.maddr, "224.2.0.1");
	struct sipd_str x;
	assert_int_equal(sipd_param_find(v.params, "x-ext", &x), 0);
	assert_slice(x, "\"q\"");

	ACCEPT(via_strict, &v, "SIP/2.0/TLS [2001:db8::1]:5061;received=[2001:db8::2]");
	assert_slice(v.host, "[2001:db8::1]");
	assert_int_equal(v.host_type, SIPD_HOST_IPV6);
	assert_int_equal(v.port, 5061);
	ACCEPT(via_strict, &v, "SIP/2.0/TLS [::1];received=::2;maddr=[::3]");
	assert_slice(v.received, "::2");
	ACCEPT(via_strict, &v, "SIP/2.0/WSS df7jal23ls0d.invalid;ttl=0;ttl=255");
	ACCEPT(via_strict, &v, "SIP/2.0/UDP h.example.com.;maddr=m.example.com.");
	assert_int_equal(v.host_type, SIPD_HOST_NAME);
	assert_slice(v.maddr, "m.example.com.");

	REJECT(via_strict, &v, "");
	REJECT(via_strict, &v, "SIP/2.0 h.example.com");
	REJECT(via_strict, &v, "SIP/2.0/ h.example.com");
	REJECT(via_strict, &v, "SIP//UDP h.example.com");
	REJECT(via_strict, &v, "/2.0/UDP h.example.com");
	REJECT(via_strict, &v, "SIP/2.0/UDP");
	REJECT(via_strict, &v, "SIP/2.0/UDP ");
	REJECT(via_strict, &v, "SIP/2.0/UDPh.example.com");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com:0");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com:65536");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com:");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com junk");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;;branch=1");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;branch");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;branch=");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;branch=a b");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;received=abc");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;received=1.2.3");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;received");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;ttl=256");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;ttl=x");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;rport=65536");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;rport=x");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;maddr=-bad");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;maddr"); /* no value: no host */
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com;maddr=");
	REJECT(via_strict, &v, "SIP/2.0/UDP [::1");
	REJECT(via_strict, &v, "SIP/2.0/UDP [::1]x");
	REJECT(via_strict, &v, "SIP/2.0/UDP 2001:db8::1");
	REJECT(via_strict, &v, "SIP/2.0/UDP a..b");
	REJECT(via_strict, &v, "SIP/2.0/UDP h.example.com, SIP/2.0/UDP x"); /* one value only */
}

/* ----------------------------------------------------- name-addr / addr-spec */

static int na_loose(struct sipd_nameaddr *na, struct sipd_str s, struct sipd_parse_error *e)
{
	return sipd_nameaddr_parse(na, s, false, e);
}

static int na_strict(struct sipd_nameaddr *na, struct sipd_str s, struct sipd_parse_error *e)
{
	return sipd_nameaddr_parse(na, s, true, e);
}

/* name-addr = [ display-name ] LAQUOT addr-spec RAQUOT;
 * display-name = *(token LWS) / quoted-string (RFC 3261 §25.1, §20.10). */
static void rfc3261_25_1_name_addr(void **state)
{
	(void)state;
	struct sipd_nameaddr na;
	ACCEPT(na_loose, &na, "\"Bob \\\"B\\\"\" <sips:bob@biloxi.com>;tag=a6c85cf");
	assert_slice(na.display, "Bob \\\"B\\\"");
	assert_int_equal(na.uri.kind, SIPD_URI_SIPS);
	assert_slice(na.tag, "a6c85cf");
	assert_true(na.angle);
	assert_false(na.star);

	ACCEPT(na_loose, &na, "Anonymous Caller <sip:c8oqz84zk7z@privacy.org>");
	assert_slice(na.display, "Anonymous Caller");
	assert_absent(na.tag);

	ACCEPT(na_loose, &na, "<sip:a@b.example>");
	assert_absent(na.display);
	assert_int_equal(na.params.len, 0);

	ACCEPT(na_loose, &na, "\"\" <sip:a@b.example>");
	assert_non_null(na.display.p);
	assert_int_equal(na.display.len, 0);

	ACCEPT(na_loose, &na, "\"\xe4\xbd\xa0\xe5\xa5\xbd\" <sip:a@b.example>");
	assert_int_equal(na.display.len, 6);

	/* LAQUOT = SWS "<", RAQUOT = ">" SWS, SEMI and EQUAL with LWS */
	ACCEPT(na_loose, &na, "\"A\"<sip:a@b.example>  ;\r\n tag = x1 ; q=0.5");
	assert_slice(na.tag, "x1");
	ACCEPT(na_loose, &na, "A\t<sip:a@b.example>");
	assert_slice(na.display, "A");

	/* URI parameters inside <>, header parameters outside */
	ACCEPT(na_loose, &na, "<sip:a@b.example;transport=tcp>;tag=1;x");
	assert_slice(na.uri.params, "transport=tcp");
	assert_slice(na.params, ";tag=1;x");
}

/* §20.10: without <>, the URI ends at the first ';' or LWS and cannot hold
 * '?' or ','; what follows are header parameters. */
static void rfc3261_20_10_addr_spec(void **state)
{
	(void)state;
	struct sipd_nameaddr na;
	ACCEPT(na_loose, &na, "sip:+12125551212@server.phone2net.com;tag=887s");
	assert_false(na.angle);
	assert_slice(na.uri.raw, "sip:+12125551212@server.phone2net.com");
	assert_slice(na.tag, "887s");
	assert_absent(na.uri.params);
	ACCEPT(na_loose, &na, "sip:a@b.example ;tag=1");
	assert_slice(na.tag, "1");
	ACCEPT(na_loose, &na, "tel:+1-555-0100;user=phone");
	assert_int_equal(na.uri.kind, SIPD_URI_TEL);
	assert_absent(na.uri.params);
	assert_slice(na.params, ";user=phone");

	REJECT(na_loose, &na, "sip:a@b.example?subject=x");
	REJECT(na_loose, &na, "sip:a,b@b.example");
	REJECT(na_loose, &na, "sip:a@b.example junk");
	/* strict (Route, Record-Route, Path): <> required */
	REJECT(na_strict, &na, "sip:p1.example.com;lr");
	ACCEPT(na_strict, &na, "<sip:p1.example.com;lr>");
	assert_slice(na.uri.params, "lr");
}

static void rfc3261_25_1_name_addr_errors(void **state)
{
	(void)state;
	struct sipd_nameaddr na;
	REJECT(na_loose, &na, "");
	REJECT(na_loose, &na, "   ");
	REJECT(na_loose, &na, "\"Mr. J. User <sip:j.user@example.com>");     /* quotbal */
	REJECT(na_loose, &na, "Bell, Alexander <sip:a.g.bell@example.com>"); /* baddn */
	REJECT(na_loose, &na, "\"Watson\" < sip:t.watson@example.org >");    /* badaspec */
	REJECT(na_loose, &na, "<sip:a@b.example >");
	REJECT(na_loose, &na, "<sip:a@b.example");
	REJECT(na_loose, &na, "<>");
	REJECT(na_loose, &na, "<sip:a@b.example>junk");
	REJECT(na_loose, &na, "<sip:a@b.example>;");
	REJECT(na_loose, &na, "<sip:a@b.example>;;tag=1");
	REJECT(na_loose, &na, "<sip:a@b.example>;tag");
	REJECT(na_loose, &na, "<sip:a@b.example>;tag=");
	REJECT(na_loose, &na, "<sip:a@b.example>;tag=\"1\"");
	REJECT(na_loose, &na, "\"A\" sip:a@b.example");
	REJECT(na_loose, &na, "Bob sip:a@b.example");
	REJECT(na_loose, &na, "J\xc3\xb6rg <sip:a@b.example>");
	REJECT(na_loose, &na, "<sip:a b@b.example>");
	REJECT(na_loose, &na, "<sip:a@b.example;lr=>");
	REJECT(na_loose, &na, "sip:");
	REJECT(na_loose, &na, "\"A\"");
}

/* Contact: STAR (§20.10); the parser reports it, the message check limits it
 * to Contact. */
static void rfc3261_20_10_contact_star(void **state)
{
	(void)state;
	struct sipd_nameaddr na;
	ACCEPT(na_loose, &na, " * ");
	assert_true(na.star);
	REJECT(na_loose, &na, "**");
	REJECT(na_strict, &na, "*"); /* Route and the like: never a STAR */
	REJECT(na_loose, &na, "* ;expires=0");
}

/* c-p-q = "q" EQUAL qvalue; qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "."
 * 0*3("0") ] ); c-p-expires = "expires" EQUAL delta-seconds, and §10.2.1.1. */
static void rfc3261_20_10_contact_q_expires(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		int q;
	} qs[] = {
		{"<sip:a@b>", -1},        {"<sip:a@b>;q=0", 0},       {"<sip:a@b>;q=1", 1000},
		{"<sip:a@b>;q=0.5", 500}, {"<sip:a@b>;q=0.001", 1},   {"<sip:a@b>;q=1.000", 1000},
		{"<sip:a@b>;q=0.", 0},    {"<sip:a@b>;q = 0.7", 700}, {"<sip:a@b>;q=1.001", -1},
		{"<sip:a@b>;q=2", -1},    {"<sip:a@b>;q=0.1234", -1}, {"<sip:a@b>;q=abc", -1},
		{"<sip:a@b>;q", -1},      {"<sip:a@b>;q=.5", -1},
	};
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		struct sipd_nameaddr na;
		ACCEPT(na_loose, &na, qs[i].v);
		if (sipd_contact_q(&na) != qs[i].q)
			fail_msg("%s: q %d, expected %d", qs[i].v, sipd_contact_q(&na), qs[i].q);
	}
	static const struct {
		const char *v;
		int64_t e;
	} es[] = {
		{"<sip:a@b>", -1},
		{"<sip:a@b>;expires=0", 0},
		{"<sip:a@b>;expires=3600", 3600},
		{"<sip:a@b>;EXPIRES = 60", 60},
		{"<sip:a@b>;expires=4294967295", 4294967295},
		{"<sip:a@b>;expires=280297596632815", 4294967295}, /* §10.2.1.1 MAY */
		{"<sip:a@b>;expires=abc", 3600},                   /* §10.2.1.1 SHOULD */
		{"<sip:a@b>;expires", 3600},
		{"<sip:a@b>;expires=\"60\"", 3600},
	};
	for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) {
		struct sipd_nameaddr na;
		ACCEPT(na_loose, &na, es[i].v);
		if (sipd_contact_expires(&na) != es[i].e)
			fail_msg("%s: expires %lld, expected %lld", es[i].v,
			         (long long)sipd_contact_expires(&na), (long long)es[i].e);
	}
}

/* ------------------------------------------------------------ numbers etc. */

/* CSeq = 1*DIGIT LWS Method (§20.16); the number fits in 32 bits (§8.1.1.5). */
static void rfc3261_20_16_cseq(void **state)
{
	(void)state;
	struct sipd_cseq cs;
	ACCEPT(sipd_cseq_parse, &cs, "4711 INVITE");
	assert_int_equal(cs.seq, 4711);
	assert_int_equal(cs.method, SIPD_METHOD_INVITE);
	assert_slice(cs.method_name, "INVITE");
	ACCEPT(sipd_cseq_parse, &cs, "0009\r\n  INVITE");
	assert_int_equal(cs.seq, 9);
	ACCEPT(sipd_cseq_parse, &cs, "4294967295 ACK");
	assert_int_equal(cs.seq, 4294967295u);
	ACCEPT(sipd_cseq_parse, &cs, "1 invite"); /* methods are case-sensitive */
	assert_int_equal(cs.method, SIPD_METHOD_OTHER);
	ACCEPT(sipd_cseq_parse, &cs, "2 NEWMETHOD");
	assert_int_equal(cs.method, SIPD_METHOD_OTHER);

	REJECT(sipd_cseq_parse, &cs, "");
	REJECT(sipd_cseq_parse, &cs, "INVITE");
	REJECT(sipd_cseq_parse, &cs, "1");
	REJECT(sipd_cseq_parse, &cs, "1 ");
	REJECT(sipd_cseq_parse, &cs, "1INVITE");
	REJECT(sipd_cseq_parse, &cs, "-1 INVITE");
	REJECT(sipd_cseq_parse, &cs, "4294967296 INVITE");
	REJECT(sipd_cseq_parse, &cs, "36893488147419103232 REGISTER");
	REJECT(sipd_cseq_parse, &cs, "1 INVITE ACK");
	REJECT(sipd_cseq_parse, &cs, "1 INV/ITE");
	REJECT(sipd_cseq_parse, &cs, "1.5 INVITE");
}

/* RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2). */
static void rfc3262_7_2_rack(void **state)
{
	(void)state;
	struct sipd_rack r;
	ACCEPT(sipd_rack_parse, &r, "776656 1 INVITE");
	assert_int_equal(r.rseq, 776656);
	assert_int_equal(r.cseq, 1);
	assert_int_equal(r.method, SIPD_METHOD_INVITE);
	REJECT(sipd_rack_parse, &r, "1 INVITE");
	REJECT(sipd_rack_parse, &r, "x 1 INVITE");
	REJECT(sipd_rack_parse, &r, "1 2");
	REJECT(sipd_rack_parse, &r, "1 2 INVITE x");
}

/* Call-ID = callid; callid = word [ "@" word ] (§20.8, §25.1). */
static void rfc3261_20_8_call_id(void **state)
{
	(void)state;
	struct sipd_str c;
	ACCEPT(sipd_callid_parse, &c, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com");
	assert_slice(c, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com");
	ACCEPT(sipd_callid_parse, &c, " abc ");
	assert_slice(c, "abc");
	ACCEPT(sipd_callid_parse, &c, "w%ZK-!.*_+'`~)(><:\\/\"][?}{");
	REJECT(sipd_callid_parse, &c, "");
	REJECT(sipd_callid_parse, &c, "@b");
	REJECT(sipd_callid_parse, &c, "a@");
	REJECT(sipd_callid_parse, &c, "a@b@c");
	REJECT(sipd_callid_parse, &c, "a b");
	REJECT(sipd_callid_parse, &c, "a;b");
	REJECT(sipd_callid_parse, &c, "a,b");
	REJECT(sipd_callid_parse, &c, "\xc3\xa9");
}

/* delta-seconds and the other 1*DIGIT values: 32 bits. */
static void rfc3261_25_1_uint(void **state)
{
	(void)state;
	uint32_t n;
	ACCEPT(sipd_uint_parse, &n, "0");
	assert_int_equal(n, 0);
	ACCEPT(sipd_uint_parse, &n, "  0042 ");
	assert_int_equal(n, 42);
	ACCEPT(sipd_uint_parse, &n, "4294967295");
	assert_int_equal(n, 4294967295u);
	REJECT(sipd_uint_parse, &n, "");
	REJECT(sipd_uint_parse, &n, "4294967296");
	REJECT(sipd_uint_parse, &n, "10000000000000000000000000000000000000000");
	REJECT(sipd_uint_parse, &n, "-1");
	REJECT(sipd_uint_parse, &n, "+1");
	REJECT(sipd_uint_parse, &n, "1.5");
	REJECT(sipd_uint_parse, &n, "1 2");
	REJECT(sipd_uint_parse, &n, "five");
	REJECT(sipd_uint_parse, &n, "0x10");
}

/* option-tag, Method and other single tokens (§25.1 token). */
static void rfc3261_25_1_token(void **state)
{
	(void)state;
	struct sipd_str t;
	ACCEPT(sipd_token_parse, &t, " 100rel ");
	assert_slice(t, "100rel");
	ACCEPT(sipd_token_parse, &t, "-.!%*_+`'~az09");
	REJECT(sipd_token_parse, &t, "");
	REJECT(sipd_token_parse, &t, "a b");
	REJECT(sipd_token_parse, &t, "a,b");
	REJECT(sipd_token_parse, &t, "a/b");
	REJECT(sipd_token_parse, &t, "\"a\"");
	REJECT(sipd_token_parse, &t, "a;b");
}

/* ------------------------------------------------------------ media types */

/* media-type = m-type SLASH m-subtype *(SEMI m-parameter) (§20.15), and
 * media-range of Accept (§20.1). */
static void rfc3261_20_15_content_type(void **state)
{
	(void)state;
	struct sipd_media m;
	ACCEPT(sipd_media_parse, &m, "application/sdp");
	assert_slice(m.type, "application");
	assert_slice(m.subtype, "sdp");
	assert_int_equal(m.params.len, 0);
	ACCEPT(sipd_media_parse, &m, "text/html ; charset = ISO-8859-4");
	struct sipd_str cs;
	assert_int_equal(sipd_param_find(m.params, "charset", &cs), 0);
	assert_slice(cs, "ISO-8859-4");
	ACCEPT(sipd_media_parse, &m, "multipart/mixed;boundary=\"a b;c\"");
	ACCEPT(sipd_media_parse, &m, "application / sdp");
	ACCEPT(sipd_media_parse, &m, "*/*");
	ACCEPT(sipd_media_parse, &m, "text/*;q=0.5");
	REJECT(sipd_media_parse, &m, "");
	REJECT(sipd_media_parse, &m, "application");
	REJECT(sipd_media_parse, &m, "application/");
	REJECT(sipd_media_parse, &m, "/sdp");
	REJECT(sipd_media_parse, &m, "application/sdp;");
	REJECT(sipd_media_parse, &m, "application/sdp junk");
	REJECT(sipd_media_parse, &m, "application/sdp;charset=\"x");
	REJECT(sipd_media_parse, &m, "appli cation/sdp");
}

/* Content-Disposition = disp-type *( SEMI disp-param ) (§20.11). */
static void rfc3261_20_11_content_disposition(void **state)
{
	(void)state;
	struct sipd_disposition d;
	ACCEPT(sipd_disposition_parse, &d, "session;handling=optional");
	assert_slice(d.type, "session");
	assert_slice(d.handling, "optional");
	ACCEPT(sipd_disposition_parse, &d, "render");
	assert_absent(d.handling);
	ACCEPT(sipd_disposition_parse, &d, "icon ; handling = required ; x=y");
	assert_slice(d.handling, "required");
	REJECT(sipd_disposition_parse, &d, "");
	REJECT(sipd_disposition_parse, &d, ";handling=optional");
	REJECT(sipd_disposition_parse, &d, "session handling");
}

/* --------------------------------------------------- event packages (6665) */

/* Event = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param ) (RFC 6665
 * §8.4). */
static void rfc6665_8_4_event(void **state)
{
	(void)state;
	struct sipd_event e;
	ACCEPT(sipd_event_parse, &e, "presence");
	assert_slice(e.package, "presence");
	assert_absent(e.id);
	ACCEPT(sipd_event_parse, &e, "refer;id=93809824");
	assert_slice(e.id, "93809824");
	ACCEPT(sipd_event_parse, &e, "presence.winfo ; id = x");
	assert_slice(e.package, "presence.winfo");
	REJECT(sipd_event_parse, &e, "");
	REJECT(sipd_event_parse, &e, ";id=1");
	REJECT(sipd_event_parse, &e, "a b");
	REJECT(sipd_event_parse, &e, "dialog;");
}

/* Subscription-State = substate-value *( SEMI subexp-params ) (RFC 6665 §8.4). */
static void rfc6665_8_4_subscription_state(void **state)
{
	(void)state;
	struct sipd_substate s;
	ACCEPT(sipd_substate_parse, &s, "active;expires=3600");
	assert_slice(s.state, "active");
	assert_int_equal(s.expires, 3600);
	assert_int_equal(s.retry_after, -1);
	assert_absent(s.reason);
	ACCEPT(sipd_substate_parse, &s, "terminated;reason=timeout;retry-after=30");
	assert_slice(s.reason, "timeout");
	assert_int_equal(s.retry_after, 30);
	assert_int_equal(s.expires, -1);
	ACCEPT(sipd_substate_parse, &s, "pending");
	REJECT(sipd_substate_parse, &s, "");
	REJECT(sipd_substate_parse, &s, "active;expires=x");
	REJECT(sipd_substate_parse, &s, "active;expires");
	REJECT(sipd_substate_parse, &s, "active;expires=4294967296");
	REJECT(sipd_substate_parse, &s, "active expires");
}

/* ------------------------------------------------------------ timers etc. */

/* Session-Expires = delta-seconds *(SEMI se-params); refresher = "uas" / "uac"
 * (RFC 4028 §4). */
static void rfc4028_4_session_expires(void **state)
{
	(void)state;
	struct sipd_session_expires se;
	ACCEPT(sipd_session_expires_parse, &se, "1800");
	assert_int_equal(se.delta, 1800);
	assert_absent(se.refresher);
	ACCEPT(sipd_session_expires_parse, &se, "1800;refresher=uac");
	assert_slice(se.refresher, "uac");
	ACCEPT(sipd_session_expires_parse, &se, "90 ; refresher = UAS;x");
	assert_slice(se.refresher, "UAS");
	REJECT(sipd_session_expires_parse, &se, "");
	REJECT(sipd_session_expires_parse, &se, "x");
	REJECT(sipd_session_expires_parse, &se, "1800;refresher=foo");
	REJECT(sipd_session_expires_parse, &se, "1800;refresher");
	REJECT(sipd_session_expires_parse, &se, "4294967296");
}

/* Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) (§20.33). */
static void rfc3261_20_33_retry_after(void **state)
{
	(void)state;
	struct sipd_retry_after r;
	ACCEPT(sipd_retry_after_parse, &r, "18000;duration=3600");
	assert_int_equal(r.delta, 18000);
	assert_int_equal(r.duration, 3600);
	assert_absent(r.comment);
	ACCEPT(sipd_retry_after_parse, &r, "120 (I'm in a meeting)");
	assert_slice(r.comment, "I'm in a meeting");
	assert_int_equal(r.duration, -1);
	ACCEPT(sipd_retry_after_parse, &r, "5(nested (one) \\) )\t;duration=1");
	assert_slice(r.comment, "nested (one) \\) ");
	REJECT(sipd_retry_after_parse, &r, "");
	REJECT(sipd_retry_after_parse, &r, "(x)");
	REJECT(sipd_retry_after_parse, &r, "120 (unterminated");
	REJECT(sipd_retry_after_parse, &r, "120 (a\x01)");
	REJECT(sipd_retry_after_parse, &r, "1;duration=x");
	REJECT(sipd_retry_after_parse, &r, "949302838503028349304023988"); /* scalarlg */
	REJECT(sipd_retry_after_parse, &r, "1 2");
}

/* Replaces = callid *(SEMI replaces-param), to-tag and from-tag required
 * (RFC 3891 §6.1). */
static void rfc3891_6_1_replaces(void **state)
{
	(void)state;
	struct sipd_replaces r;
	ACCEPT(sipd_replaces_parse, &r, "425928@bobster.example.org;to-tag=7743;from-tag=6472");
	assert_slice(r.call_id, "425928@bobster.example.org");
	assert_slice(r.to_tag, "7743");
	assert_slice(r.from_tag, "6472");
	assert_false(r.early_only);
	ACCEPT(sipd_replaces_parse, &r, "x ;from-tag=1 ;to-tag=2;early-only");
	assert_true(r.early_only);
	REJECT(sipd_replaces_parse, &r, "");
	REJECT(sipd_replaces_parse, &r, "x;to-tag=1");
	REJECT(sipd_replaces_parse, &r, "x;from-tag=1");
	REJECT(sipd_replaces_parse, &r, "x;to-tag;from-tag=1");
	REJECT(sipd_replaces_parse, &r, ";to-tag=1;from-tag=2");
	REJECT(sipd_replaces_parse, &r, "a@b@c;to-tag=1;from-tag=2");
}

/* Reason = "Reason" HCOLON reason-value *(COMMA reason-value); reason-value =
 * protocol *(SEMI reason-params) (RFC 3326 §2). */
static void rfc3326_2_reason(void **state)
{
	(void)state;
	struct sipd_reason r;
	ACCEPT(sipd_reason_parse, &r, "SIP ;cause=200 ;text=\"Call completed elsewhere\"");
	assert_slice(r.protocol, "SIP");
	assert_int_equal(r.cause, 200);
	assert_slice(r.text, "\"Call completed elsewhere\"");
	ACCEPT(sipd_reason_parse, &r, "Q.850;cause=16");
	assert_int_equal(r.cause, 16);
	assert_absent(r.text);
	ACCEPT(sipd_reason_parse, &r, "SIP");
	assert_int_equal(r.cause, -1);
	REJECT(sipd_reason_parse, &r, "");
	REJECT(sipd_reason_parse, &r, ";cause=1");
	REJECT(sipd_reason_parse, &r, "SIP;cause=x");
	REJECT(sipd_reason_parse, &r, "SIP;text=\"x");
}

/* ---------------------------------------------------------------- auth */

/* challenge / credentials = auth-scheme LWS auth-param *(COMMA auth-param)
 * (§25.1, §20.7, §20.44; RFC 2617 §3.2). */
static void rfc3261_20_44_auth(void **state)
{
	(void)state;
	struct sipd_auth a;
	ACCEPT(sipd_auth_parse, &a,
	       "Digest realm=\"atlanta.com\",\r\n domain=\"sip:ss1.carrier.com\", qop=\"auth\","
	       " nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5");
	assert_slice(a.scheme, "Digest");
	struct sipd_str cur = a.params, n, v;
	unsigned count = 0;
	while (sipd_auth_param_next(&cur, &n, &v))
		count++;
	assert_int_equal(count, 7);
	ACCEPT(sipd_auth_parse, &a, "NoOneKnowsThisScheme opaque-data=here");
	assert_slice(a.scheme, "NoOneKnowsThisScheme");
	ACCEPT(sipd_auth_parse, &a, "Digest username = \"bob\" , uri=\"sip:b\"");
	REJECT(sipd_auth_parse, &a, "");
	REJECT(sipd_auth_parse, &a, "Digest");
	REJECT(sipd_auth_parse, &a, "Digest ");
	REJECT(sipd_auth_parse, &a, "Digest,realm=x");
	REJECT(sipd_auth_parse, &a, "Digest realm");
	REJECT(sipd_auth_parse, &a, "Digest realm=");
	REJECT(sipd_auth_parse, &a, "Digest realm=\"x");
	REJECT(sipd_auth_parse, &a, "Digest realm=x nonce=y");
	REJECT(sipd_auth_parse, &a, "Digest realm=a,,nonce=b");
	REJECT(sipd_auth_parse, &a, "Digest realm=a,");
	REJECT(sipd_auth_parse, &a, "Digest realm=a/b");
}

/* ---------------------------------------------------------------- Warning */

/* warning-value = warn-code SP warn-agent SP warn-text; warn-agent = hostport
 * / pseudonym (§20.43). */
static void rfc3261_20_43_warning(void **state)
{
	(void)state;
	struct sipd_warning w;
	ACCEPT(sipd_warning_parse, &w, "307 isi.edu \"Session parameter 'foo' not understood\"");
	assert_int_equal(w.code, 307);
	assert_slice(w.agent, "isi.edu");
	assert_slice(w.text, "\"Session parameter 'foo' not understood\"");
	ACCEPT(sipd_warning_parse, &w, "301 192.0.2.1:5060 \"Incompatible network address type\"");
	assert_slice(w.agent, "192.0.2.1:5060");
	ACCEPT(sipd_warning_parse, &w, "399 [2001:db8::1]:5060 \"x\"");
	assert_slice(w.agent, "[2001:db8::1]:5060");
	ACCEPT(sipd_warning_parse, &w, "399 [::1] \"x\"");
	ACCEPT(sipd_warning_parse, &w, "370 some-pseudonym \"\"");
	REJECT(sipd_warning_parse, &w, "");
	REJECT(sipd_warning_parse, &w, "1812 overture \"In Progress\""); /* scalarlg */
	REJECT(sipd_warning_parse, &w, "30 h \"x\"");
	REJECT(sipd_warning_parse, &w, "abc h \"x\"");
	REJECT(sipd_warning_parse, &w, "301 h x");
	REJECT(sipd_warning_parse, &w, "301  h \"x\"");
	REJECT(sipd_warning_parse, &w, "301 h  \"x\"");
	REJECT(sipd_warning_parse, &w, "301 h \"x\" junk");
	REJECT(sipd_warning_parse, &w, "301 h \"x");
	REJECT(sipd_warning_parse, &w, "301 h:0 \"x\"");
	REJECT(sipd_warning_parse, &w, "301 h:99999 \"x\"");
	REJECT(sipd_warning_parse, &w, "301 [::1]x \"x\"");
	REJECT(sipd_warning_parse, &w, "301 h");
}

#define T(f) cmocka_unit_test_teardown(f, free_pool)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(rfc3261_20_42_via),
		T(rfc3261_25_1_name_addr),
		T(rfc3261_20_10_addr_spec),
		T(rfc3261_25_1_name_addr_errors),
		T(rfc3261_20_10_contact_star),
		T(rfc3261_20_10_contact_q_expires),
		T(rfc3261_20_16_cseq),
		T(rfc3262_7_2_rack),
		T(rfc3261_20_8_call_id),
		T(rfc3261_25_1_uint),
		T(rfc3261_25_1_token),
		T(rfc3261_20_15_content_type),
		T(rfc3261_20_11_content_disposition),
		T(rfc6665_8_4_event),
		T(rfc6665_8_4_subscription_state),
		T(rfc4028_4_session_expires),
		T(rfc3261_20_33_retry_after),
		T(rfc3891_6_1_replaces),
		T(rfc3326_2_reason),
		T(rfc3261_20_44_auth),
		T(rfc3261_20_43_warning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
