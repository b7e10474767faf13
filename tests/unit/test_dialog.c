#define _GNU_SOURCE /* memmem */
/* Dialogs, RFC 3261 §12: creation at both ends, requests within (loose and
 * strict routing), the CSeq rules for received requests, target refresh, the
 * table, usages, and snapshot/restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sipdialog/dialog.h>

struct parsed {
	struct sipd_msg m;
	struct sipd_hdr h[64];
	char buf[4096];
};

static struct parsed *parse(const char *text)
{
	struct parsed *p = calloc(1, sizeof *p);
	size_t n = strlen(text);
	assert_true(n < sizeof p->buf);
	memcpy(p->buf, text, n);
	struct sipd_parse_error err;
	long rc = sipd_msg_parse(&p->m, p->h, 64, p->buf, n, SIPD_FRAME_DATAGRAM, NULL, &err);
	if (rc <= 0)
		fail_msg("parse: %s at %u:%u", err.what, err.line, err.column);
	return p;
}

static void fake_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x5a, len);
}

static int states[4];
static enum sipd_dialog_reason last_reason;
static void on_state(void *user, struct sipd_dialog *d, enum sipd_dialog_state st,
                     enum sipd_dialog_reason why)
{
	(void)user;
	(void)d;
	states[st]++;
	last_reason = why;
}

static struct sipd_dialogs *table(void)
{
	static const struct sipd_dialogs_callbacks cb = {.size = sizeof cb, .state = on_state};
	struct sipd_dialogs_config c = {.size = sizeof c, .cb = &cb, .random = fake_random};
	memset(states, 0, sizeof states);
	return sipd_dialogs_create(&c);
}

static bool eq(struct sipd_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

#define INVITE                                                                                     \
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"                                            \
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"                    \
	"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"                       \
	"Record-Route: <sip:p3.example.com;lr>\r\n"                                                \
	"Max-Forwards: 70\r\n"                                                                     \
	"To: Bob <sip:bob@biloxi.example.com>\r\n"                                                 \
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"                           \
	"Call-ID: a84b4c76e66710\r\n"                                                              \
	"CSeq: 314159 INVITE\r\n"                                                                  \
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"                                        \
	"Content-Length: 0\r\n\r\n"

static const struct sipd_dialog_opts uas_opts = {.size = sizeof uas_opts,
                                                 .local_contact = {"sip:bob@192.0.2.4", 17}};

static void rfc3261_12_1_1_uas_creates_dialog(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct parsed *p = parse(INVITE);
	struct sipd_dialog *d;
	assert_int_equal(
		sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"b0b", 3}, &uas_opts, &d), 0);
	assert_true(eq(sipd_dialog_call_id(d), "a84b4c76e66710"));
	assert_true(eq(sipd_dialog_local_tag(d), "b0b"));
	assert_true(eq(sipd_dialog_remote_tag(d), "1928301774"));
	assert_true(eq(sipd_dialog_local_uri(d), "sip:bob@biloxi.example.com"));
	assert_true(eq(sipd_dialog_remote_uri(d), "sip:alice@atlanta.example.com"));
	assert_true(eq(sipd_dialog_remote_target(d), "sip:alice@pc33.atlanta.example.com"));
	uint32_t seq;
	assert_true(sipd_dialog_remote_seq(d, &seq));
	assert_int_equal(seq, 314159);
	assert_false(sipd_dialog_local_seq(d, &seq)); /* unset */
	/* the route set in the order of the Record-Route values */
	assert_int_equal(sipd_dialog_route_count(d), 3);
	assert_true(eq(sipd_dialog_route(d, 0), "<sip:p1.example.com;lr>"));
	assert_true(eq(sipd_dialog_route(d, 2), "<sip:p3.example.com;lr>"));
	assert_false(sipd_dialog_secure(d));
	assert_true(sipd_dialog_early(d));
	assert_int_equal(sipd_dialog_role(d), SIPD_DIALOG_UAS);
	assert_int_equal(states[SIPD_DIALOG_EARLY], 1);
	sipd_dialog_confirm(d);
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(states[SIPD_DIALOG_CONFIRMED], 1);
	/* the same id twice is refused */
	struct sipd_dialog *d2;
	assert_int_equal(
		sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"b0b", 3}, &uas_opts, &d2),
		SIPD_EINVAL);
	assert_int_equal(sipd_dialogs_count(t), 1);
	free(p);
	sipd_dialogs_destroy(t);
}

static void rfc3261_12_1_1_secure_needs_tls_and_sips(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct parsed *p = parse("INVITE sips:bob@biloxi.example.com SIP/2.0\r\n"
	                         "Via: SIP/2.0/TLS pc33.atlanta.example.com;branch=z9hG4bK1\r\n"
	                         "To: <sips:bob@biloxi.example.com>\r\n"
	                         "From: <sips:alice@atlanta.example.com>;tag=1\r\n"
	                         "Call-ID: s1\r\nCSeq: 1 INVITE\r\n"
	                         "Contact: <sips:alice@pc33.atlanta.example.com>\r\n\r\n");
	struct sipd_dialog_opts o = uas_opts;
	struct sipd_dialog *d;
	o.tls = true;
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"x", 1}, &o, &d), 0);
	assert_true(sipd_dialog_secure(d));
	o.tls = false; /* SIPS URI, but the request did not come over TLS */
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"y", 1}, &o, &d), 0);
	assert_false(sipd_dialog_secure(d));
	free(p);
	/* a SIP URI over TLS: not secure either */
	p = parse(INVITE);
	o.tls = true;
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"z", 1}, &o, &d), 0);
	assert_false(sipd_dialog_secure(d));
	free(p);
	sipd_dialogs_destroy(t);
}

static void rfc3261_12_1_1_missing_contact_is_400(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct parsed *p =
		parse("INVITE sip:bob@b.example.com SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
	              "To: <sip:bob@b.example.com>\r\nFrom: <sip:a@a.example.com>;tag=1\r\n"
	              "Call-ID: nc\r\nCSeq: 1 INVITE\r\n\r\n");
	struct sipd_dialog *d;
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"x", 1}, &uas_opts, &d),
	                 SIPD_EPARSE);
	assert_int_equal(sipd_dialogs_count(t), 0);
	free(p);
	/* RFC 2543 peer: no From tag; the remote tag is empty (§12.1.1) */
	p = parse("INVITE sip:bob@b.example.com SIP/2.0\r\n"
	          "Via: SIP/2.0/UDP a.example.com\r\n"
	          "To: <sip:bob@b.example.com>\r\nFrom: <sip:a@a.example.com>\r\n"
	          "Call-ID: old\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.9>\r\n\r\n");
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"x", 1}, &uas_opts, &d),
	                 0);
	assert_int_equal(sipd_dialog_remote_tag(d).len, 0);
	assert_ptr_equal(sipd_dialogs_find(t, (struct sipd_str){"old", 3},
	                                   (struct sipd_str){"x", 1}, SIPD_STR_NULL),
	                 d);
	free(p);
	sipd_dialogs_destroy(t);
}

#define RINGING                                                                                    \
	"SIP/2.0 180 Ringing\r\n"                                                                  \
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"                    \
	"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"                       \
	"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"                                     \
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"                           \
	"Call-ID: a84b4c76e66710\r\n"                                                              \
	"CSeq: 314159 INVITE\r\n"                                                                  \
	"Contact: <sip:bob@192.0.2.4>\r\n\r\n"

static void rfc3261_12_1_2_uac_creates_early_then_confirmed(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct parsed *req = parse(INVITE), *r180 = parse(RINGING);
	struct sipd_dialog_opts o = {.size = sizeof o,
	                             .local_contact = {"sip:alice@pc33.atlanta.example.com", 34}};
	struct sipd_dialog *d;
	assert_int_equal(sipd_dialog_create_uac(t, &req->m, &r180->m, &o, &d), 0);
	assert_true(sipd_dialog_early(d));
	assert_true(eq(sipd_dialog_local_tag(d), "1928301774"));
	assert_true(eq(sipd_dialog_remote_tag(d), "a6c85cf"));
	assert_true(eq(sipd_dialog_local_uri(d), "sip:alice@atlanta.example.com"));
	assert_true(eq(sipd_dialog_remote_target(d), "sip:bob@192.0.2.4"));
	uint32_t seq;
	assert_true(sipd_dialog_local_seq(d, &seq));
	assert_int_equal(seq, 314159);
	assert_false(sipd_dialog_remote_seq(d, &seq));
	/* §12.1.2: the Record-Route values reversed */
	assert_int_equal(sipd_dialog_route_count(d), 2);
	assert_true(eq(sipd_dialog_route(d, 0), "<sip:p2.example.com;lr>"));
	assert_true(eq(sipd_dialog_route(d, 1), "<sip:p1.example.com;lr>"));
	/* a matching response finds it */
	assert_ptr_equal(sipd_dialogs_match_response(t, &r180->m), d);
	/* the 2xx recomputes the route set and the target, and confirms
	 * (recomputeRouteSet, §13.2.2.4) */
	struct parsed *ok =
		parse("SIP/2.0 200 OK\r\n"
	              "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
	              "Record-Route: <sip:p9.example.com;lr>\r\n"
	              "To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
	              "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	              "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\n"
	              "Contact: <sip:bob@192.0.2.44:5070>\r\n\r\n");
	assert_int_equal(sipd_dialog_update_from_response(d, &ok->m), 0);
	assert_false(sipd_dialog_early(d));
	assert_int_equal(sipd_dialog_route_count(d), 1);
	assert_true(eq(sipd_dialog_route(d, 0), "<sip:p9.example.com;lr>"));
	assert_true(eq(sipd_dialog_remote_target(d), "sip:bob@192.0.2.44:5070"));
	/* a provisional without a To tag makes no dialog */
	struct parsed *notag = parse("SIP/2.0 183 Session Progress\r\n"
	                             "Via: SIP/2.0/UDP x;branch=z9hG4bK7\r\n"
	                             "To: <sip:bob@biloxi.example.com>\r\n"
	                             "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	                             "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\n\r\n");
	struct sipd_dialog *d2;
	assert_int_equal(sipd_dialog_create_uac(t, &req->m, &notag->m, &o, &d2), SIPD_EINVAL);
	free(req);
	free(r180);
	free(ok);
	free(notag);
	sipd_dialogs_destroy(t);
}

/* A UAS dialog with the given route set, for the request tests. */
static struct sipd_dialog *dialog_with_routes(struct sipd_dialogs *t, const char *rr)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n%s"
	         "To: <sip:bob@biloxi.example.com>\r\nFrom: "
	         "<sip:alice@atlanta.example.com>;tag=ft\r\n"
	         "Call-ID: rq\r\nCSeq: 10 INVITE\r\nContact: <sip:alice@192.0.2.1>\r\n\r\n",
	         rr);
	struct parsed *p = parse(text);
	struct sipd_dialog *d;
	assert_int_equal(
		sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"tt", 2}, &uas_opts, &d), 0);
	free(p);
	sipd_dialog_confirm(d);
	return d;
}

static bool has_line(struct sipd_str hdrs, const char *line)
{
	char want[512];
	snprintf(want, sizeof want, "%s\r\n", line);
	size_t n = strlen(want);
	for (size_t i = 0; i + n <= hdrs.len; i++)
		if ((i == 0 || hdrs.p[i - 1] == '\n') && memcmp(hdrs.p + i, want, n) == 0)
			return true;
	return false;
}

static void rfc3261_12_2_1_1_loose_routing(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct sipd_dialog *d = dialog_with_routes(
		t, "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n");
	char buf[2048];
	struct sipd_request out;
	struct sipd_str hop;
	struct sipd_dialog_request bye = {.size = sizeof bye, .method = {"BYE", 3}};
	assert_int_equal(sipd_dialog_request(d, &bye, buf, sizeof buf, &out, &hop), 0);
	/* Request-URI: the remote target; Route: the set in order */
	assert_true(eq(out.uri, "sip:alice@192.0.2.1"));
	assert_true(eq(hop, "sip:p1.example.com;lr"));
	assert_true(has_line(out.headers, "Route: <sip:p1.example.com;lr>"));
	assert_true(has_line(out.headers, "Route: <sip:p2.example.com;lr>"));
	assert_true((const char *)memmem(out.headers.p, out.headers.len, "p1", 2) <
	            (const char *)memmem(out.headers.p, out.headers.len, "p2", 2));
	/* To with the remote tag, From with ours, the local sequence starts at 1 */
	assert_true(has_line(out.headers, "To: <sip:alice@atlanta.example.com>;tag=ft"));
	assert_true(has_line(out.headers, "From: <sip:bob@biloxi.example.com>;tag=tt"));
	assert_true(has_line(out.headers, "Call-ID: rq"));
	assert_true(has_line(out.headers, "CSeq: 1 BYE"));
	assert_true(has_line(out.headers, "Max-Forwards: 70"));
	assert_false(memmem(out.headers.p, out.headers.len, "Contact:", 8)); /* not for BYE */
	/* next request: one more; a re-INVITE carries our Contact */
	struct sipd_dialog_request inv = {
		.size = sizeof inv, .method = {"INVITE", 6}, .headers = {"Subject: x\r\n", 12}};
	assert_int_equal(sipd_dialog_request(d, &inv, buf, sizeof buf, &out, NULL), 0);
	assert_true(has_line(out.headers, "CSeq: 2 INVITE"));
	assert_true(has_line(out.headers, "Contact: <sip:bob@192.0.2.4>"));
	assert_true(has_line(out.headers, "Subject: x"));
	/* an ACK with its INVITE's number does not move the sequence */
	struct sipd_dialog_request ack = {.size = sizeof ack, .method = {"ACK", 3}, .cseq = 2};
	assert_int_equal(sipd_dialog_request(d, &ack, buf, sizeof buf, &out, NULL), 0);
	assert_true(has_line(out.headers, "CSeq: 2 ACK"));
	uint32_t seq;
	assert_true(sipd_dialog_local_seq(d, &seq));
	assert_int_equal(seq, 2);
	/* too small a buffer */
	assert_int_equal(sipd_dialog_request(d, &bye, buf, 40, &out, NULL), SIPD_ENOSPC);
	sipd_dialogs_destroy(t);
}

/* RFC 3263 §4.1-§4.2: what a next hop's URI says before any lookup. */
static int hop_of(const char *uri, struct sipd_uri_hop *h)
{
	struct sipd_uri u;
	if (sipd_uri_parse(&u, uri, strlen(uri), NULL))
		return SIPD_EPARSE;
	return sipd_uri_hop(&u, h);
}

static void rfc3263_4_1_next_hop_of_a_uri(void **state)
{
	(void)state;
	struct sipd_uri_hop h;
	char ip[64];
	/* numeric sip: UDP and 5060 unless named */
	assert_int_equal(hop_of("sip:alice@192.0.2.1", &h), 0);
	assert_true(h.numeric);
	assert_int_equal(h.transport, 0);
	assert_int_equal(h.addr_transport, SIPD_TP_UDP);
	assert_int_equal(h.addr.port, 5060);
	assert_int_equal(sipd_addr_format(&h.addr, ip, sizeof ip), 9);
	assert_memory_equal(ip, "192.0.2.1", 9);
	assert_int_equal(hop_of("sip:192.0.2.1:5080;transport=TCP", &h), 0);
	assert_int_equal(h.transport, SIPD_TP_TCP);
	assert_int_equal(h.addr_transport, SIPD_TP_TCP);
	assert_int_equal(h.port, 5080);
	assert_int_equal(h.addr.port, 5080);
	/* sips: TLS and 5061; "tcp" in a sips URI is TLS */
	assert_int_equal(hop_of("sips:bob@[2001:db8::9]", &h), 0);
	assert_true(h.numeric && h.sips);
	assert_int_equal(h.addr.family, 6);
	assert_int_equal(h.addr_transport, SIPD_TP_TLS);
	assert_int_equal(h.addr.port, 5061);
	assert_int_equal(hop_of("sips:bob@192.0.2.2;transport=tcp", &h), 0);
	assert_int_equal(h.addr_transport, SIPD_TP_TLS);
	/* maddr names the host instead */
	assert_int_equal(hop_of("sip:proxy.example.com;maddr=192.0.2.7;lr", &h), 0);
	assert_true(h.numeric);
	assert_true(eq(h.host, "192.0.2.7"));
	assert_int_equal(hop_of("sip:192.0.2.7;maddr=proxy.example.com", &h), 0);
	assert_false(h.numeric);
	assert_true(eq(h.host, "proxy.example.com"));
	/* a name: the transport and port for the lookup, nothing to send to */
	assert_int_equal(hop_of("sip:p1.example.com:5070;transport=udp;lr", &h), 0);
	assert_false(h.numeric);
	assert_true(eq(h.host, "p1.example.com"));
	assert_int_equal(h.transport, SIPD_TP_UDP);
	assert_int_equal(h.port, 5070);
	/* not ours */
	assert_int_equal(hop_of("sip:192.0.2.1;transport=sctp", &h), SIPD_EINVAL);
	assert_int_equal(hop_of("tel:+15551234", &h), SIPD_EINVAL);
	assert_int_equal(sipd_uri_hop(NULL, &h), SIPD_EINVAL);
}

static int no_send(void *user, struct sipd_flow *flow, const char *data, size_t len)
{
	(void)user;
	(void)flow;
	(void)data;
	(void)len;
	return 0;
}

static void zero_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0, len);
}

/* §12.2.1.1, RFC 3263 §4.2, §8.1.2: the flow of a request within a dialog,
 * from its next hop and the peer's flow. */
static void rfc3261_12_2_1_1_flow_of_the_next_hop(void **state)
{
	(void)state;
	struct sipd_local locals[3] = {{.transport = SIPD_TP_UDP}, {.transport = SIPD_TP_TLS},
	                               {.transport = SIPD_TP_UDP}};
	sipd_addr_parse(&locals[0].addr, "192.0.2.4", 9);
	sipd_addr_parse(&locals[1].addr, "192.0.2.4", 9);
	sipd_addr_parse(&locals[2].addr, "2001:db8::4", 11);
	static const struct sipd_stack_callbacks cb = {.size = sizeof cb, .send = no_send};
	struct sipd_stack_config cfg = {.size = sizeof cfg, .locals = locals, .nlocals = 3,
	                                .random = zero_random, .cb = &cb};
	struct sipd_stack *st = sipd_stack_create(&cfg);
	assert_non_null(st);
	/* the peer's flow: TLS from 192.0.2.1:40000 on connection 7 */
	struct sipd_flow peer = {.transport = SIPD_TP_TLS, .local = 1, .conn = 7};
	sipd_addr_parse(&peer.remote, "192.0.2.1", 9);
	peer.remote.port = 40000;
#define HOP(s) ((struct sipd_str){s, strlen(s)})
	/* a numeric next hop: its transport and port, from a listener of both */
	struct sipd_flow f = sipd_stack_dialog_flow(st, HOP("sip:a@192.0.2.9:5070"), false, &peer);
	assert_int_equal(f.transport, SIPD_TP_UDP);
	assert_int_equal(f.local, 0);
	assert_int_equal(f.remote.port, 5070);
	assert_int_equal(f.conn, 0);
	/* IPv6: the v6 listener */
	f = sipd_stack_dialog_flow(st, HOP("sip:a@[2001:db8::9]"), false, &peer);
	assert_int_equal(f.local, 2);
	assert_int_equal(f.remote.family, 6);
	assert_int_equal(f.remote.port, 5060);
	/* the peer's own address and transport: its connection kept */
	f = sipd_stack_dialog_flow(st, HOP("sips:a@192.0.2.1:40000"), false, &peer);
	assert_int_equal(f.conn, 7);
	assert_int_equal(f.local, 1);
	/* a host name, or a transport no listener has: the peer's flow */
	f = sipd_stack_dialog_flow(st, HOP("sip:p1.example.com;lr"), false, &peer);
	assert_int_equal(f.conn, 7);
	assert_true(sipd_addr_equal(&f.remote, &peer.remote));
	f = sipd_stack_dialog_flow(st, HOP("sip:a@192.0.2.9;transport=tcp"), false, &peer);
	assert_int_equal(f.conn, 7);
	/* §8.1.2: a secure dialog reaches even a sip: route over TLS, 5061 */
	f = sipd_stack_dialog_flow(st, HOP("sip:192.0.2.9;lr"), true, &peer);
	assert_int_equal(f.transport, SIPD_TP_TLS);
	assert_int_equal(f.local, 1);
	assert_int_equal(f.remote.port, 5061);
	assert_int_equal(f.conn, 0);
	/* a UDP peer's flow never names a connection */
	struct sipd_flow udp = {.transport = SIPD_TP_UDP, .local = 0, .conn = 3};
	udp.remote = peer.remote;
	f = sipd_stack_dialog_flow(st, HOP("sip:p1.example.com"), false, &udp);
	assert_int_equal(f.conn, 0);
#undef HOP
	sipd_stack_destroy(st);
}

static void rfc3261_12_2_1_1_strict_routing(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	/* the first route lacks lr: a strict router (RFC 2543) */
	struct sipd_dialog *d =
		dialog_with_routes(t, "Record-Route: <sip:strict.example.com;maddr=192.0.2.7>, "
	                              "<sip:p2.example.com;lr>\r\n");
	char buf[2048];
	struct sipd_request out;
	struct sipd_str hop;
	struct sipd_dialog_request bye = {.size = sizeof bye, .method = {"BYE", 3}};
	assert_int_equal(sipd_dialog_request(d, &bye, buf, sizeof buf, &out, &hop), 0);
	/* its URI becomes the Request-URI; the remote target goes last */
	assert_true(eq(out.uri, "sip:strict.example.com;maddr=192.0.2.7"));
	assert_true(eq(hop, "sip:strict.example.com;maddr=192.0.2.7"));
	assert_false(memmem(out.headers.p, out.headers.len, "Route: <sip:strict", 18));
	assert_true(has_line(out.headers, "Route: <sip:p2.example.com;lr>"));
	assert_true(has_line(out.headers, "Route: <sip:alice@192.0.2.1>"));
	assert_true((const char *)memmem(out.headers.p, out.headers.len, "p2.example", 10) <
	            (const char *)memmem(out.headers.p, out.headers.len, "alice@192.0.2.1", 15));
	sipd_dialogs_destroy(t);
}

static struct parsed *in_dialog(const char *method, unsigned cseq, const char *contact)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "%s sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP "
	         "a.example.com;branch=z9hG4bK%u\r\n"
	         "To: <sip:bob@biloxi.example.com>;tag=tt\r\nFrom: "
	         "<sip:alice@atlanta.example.com>;tag=ft\r\n"
	         "Call-ID: rq\r\nCSeq: %u %s\r\n%s%s%s\r\n",
	         method, cseq, cseq, method, contact ? "Contact: <" : "", contact ? contact : "",
	         contact ? ">\r\n" : "");
	return parse(text);
}

static void rfc3261_12_2_2_cseq_rules_and_target_refresh(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct sipd_dialog *d = dialog_with_routes(t, "");
	/* the table finds it by the request's tags */
	struct parsed *p = in_dialog("BYE", 9, NULL);
	assert_ptr_equal(sipd_dialogs_match_request(t, &p->m), d);
	/* remote sequence 10: lower is out of order (500), equal too */
	assert_int_equal(sipd_dialog_check_request(d, &p->m), 500);
	free(p);
	p = in_dialog("INFO", 10, NULL);
	assert_int_equal(sipd_dialog_check_request(d, &p->m), 500);
	free(p);
	/* ACK and CANCEL carry their INVITE's number */
	p = in_dialog("ACK", 10, NULL);
	assert_int_equal(sipd_dialog_check_request(d, &p->m), 0);
	free(p);
	/* higher: taken; the check itself changed nothing */
	uint32_t seq;
	p = in_dialog("INVITE", 11, "sip:alice@198.51.100.9:5080");
	assert_int_equal(sipd_dialog_check_request(d, &p->m), 0);
	assert_true(sipd_dialog_remote_seq(d, &seq));
	assert_int_equal(seq, 10);
	assert_true(eq(sipd_dialog_remote_target(d), "sip:alice@192.0.2.1"));
	sipd_dialog_take_request(d, &p->m);
	assert_true(sipd_dialog_remote_seq(d, &seq));
	assert_int_equal(seq, 11);
	/* the target changes only when the refresh is accepted */
	assert_true(eq(sipd_dialog_remote_target(d), "sip:alice@192.0.2.1"));
	assert_int_equal(sipd_dialog_refresh_target(d, &p->m), 0);
	assert_true(eq(sipd_dialog_remote_target(d), "sip:alice@198.51.100.9:5080"));
	free(p);
	/* a long new target outgrows the block: still right */
	char longc[300];
	memset(longc, 'a', sizeof longc);
	memcpy(longc, "sip:", 4);
	memcpy(longc + sizeof longc - 12, "@192.0.2.77", 12);
	p = in_dialog("UPDATE", 12, longc);
	assert_int_equal(sipd_dialog_refresh_target(d, &p->m), 0);
	assert_true(eq(sipd_dialog_remote_target(d), longc));
	free(p);
	assert_true(sipd_method_refreshes_target(SIPD_METHOD_UPDATE));
	assert_false(sipd_method_refreshes_target(SIPD_METHOD_BYE));
	/* terminated: 481 */
	sipd_dialog_terminate(d, SIPD_END_REMOTE_BYE);
	assert_int_equal(states[SIPD_DIALOG_TERMINATED], 1);
	assert_int_equal(last_reason, SIPD_END_REMOTE_BYE);
	p = in_dialog("INFO", 20, NULL);
	assert_int_equal(sipd_dialog_check_request(d, &p->m), 481);
	free(p);
	sipd_dialogs_destroy(t);
}

static void rfc5057_usages_share_a_dialog(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct sipd_dialog *d = dialog_with_routes(t, "");
	sipd_dialog_usage_add(d); /* the INVITE session */
	sipd_dialog_usage_add(d); /* a subscription (REFER) */
	assert_int_equal(sipd_dialog_usage_release(d, SIPD_END_LOCAL), 1);
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_CONFIRMED);
	assert_int_equal(sipd_dialog_usage_release(d, SIPD_END_REMOTE_BYE), 0);
	assert_int_equal(sipd_dialog_state(d), SIPD_DIALOG_TERMINATED);
	assert_int_equal(sipd_dialog_reason(d), SIPD_END_REMOTE_BYE);
	assert_int_equal(states[SIPD_DIALOG_TERMINATED], 1);
	sipd_dialog_free(d);
	assert_int_equal(sipd_dialogs_count(t), 0);
	sipd_dialogs_destroy(t);
}

static void dialog_table_limit(void **state)
{
	(void)state;
	static const struct sipd_dialogs_callbacks cb = {.size = sizeof cb};
	struct sipd_dialogs_config c = {
		.size = sizeof c, .cb = &cb, .random = fake_random, .max_dialogs = 2};
	struct sipd_dialogs *t = sipd_dialogs_create(&c);
	struct parsed *p = parse(INVITE);
	struct sipd_dialog *d;
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"1", 1}, &uas_opts, &d),
	                 0);
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"2", 1}, &uas_opts, &d),
	                 0);
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"3", 1}, &uas_opts, &d),
	                 SIPD_ELIMIT);
	free(p);
	sipd_dialogs_destroy(t);
}

static void dialog_snapshot_restore(void **state)
{
	(void)state;
	struct sipd_dialogs *a = table(), *b = table();
	struct sipd_dialog *d = dialog_with_routes(
		a, "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n");
	char buf1[2048], buf2[2048];
	struct sipd_request r1, r2;
	struct sipd_dialog_request info = {.size = sizeof info, .method = {"INFO", 4}};
	assert_int_equal(sipd_dialog_request(d, &info, buf1, sizeof buf1, &r1, NULL), 0);
	uint8_t snap[1024];
	long n = sipd_dialog_snapshot(d, snap, sizeof snap);
	assert_true(n > 0);
	assert_int_equal(sipd_dialog_snapshot(d, snap, 10), SIPD_ENOSPC);
	struct sipd_dialog *e;
	assert_int_equal(sipd_dialog_restore(b, snap, (size_t)n, &e), 0);
	/* the restored dialog says the same and sends the same next request */
	assert_true(eq(sipd_dialog_remote_target(e), "sip:alice@192.0.2.1"));
	assert_int_equal(sipd_dialog_route_count(e), 2);
	assert_int_equal(sipd_dialog_state(e), SIPD_DIALOG_CONFIRMED);
	struct sipd_dialog_request bye = {.size = sizeof bye, .method = {"BYE", 3}};
	assert_int_equal(sipd_dialog_request(d, &bye, buf1, sizeof buf1, &r1, NULL), 0);
	assert_int_equal(sipd_dialog_request(e, &bye, buf2, sizeof buf2, &r2, NULL), 0);
	assert_int_equal(r1.headers.len, r2.headers.len);
	assert_memory_equal(r1.headers.p, r2.headers.p, r1.headers.len);
	assert_true(eq(r1.uri, "sip:alice@192.0.2.1") && eq(r2.uri, "sip:alice@192.0.2.1"));
	assert_true(has_line(r2.headers, "CSeq: 2 BYE"));
	/* every truncation, a bad version and trailing bytes are refused */
	for (long cut = 0; cut < n; cut++)
		assert_int_equal(sipd_dialog_restore(b, snap, (size_t)cut, &e), SIPD_EPARSE);
	snap[3] = 9;
	assert_int_equal(sipd_dialog_restore(b, snap, (size_t)n, &e), SIPD_EPARSE);
	snap[3] = 1;
	uint8_t longer[1100];
	memcpy(longer, snap, (size_t)n);
	longer[n] = 0;
	assert_int_equal(sipd_dialog_restore(b, longer, (size_t)n + 1, &e), SIPD_EPARSE);
	sipd_dialogs_destroy(a);
	sipd_dialogs_destroy(b);
}

/* A dialog keeps each of its parts (its identifiers and URIs, its target and
 * route set) in at most 64 KiB: more is refused, never cut. A message of the
 * default maximum size always fits. */
static void dialog_parts_beyond_64k_refused(void **state)
{
	(void)state;
	struct sipd_dialogs *t = table();
	struct parsed *p = parse(INVITE);
	size_t n = 70000;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "sip:", 4);
	struct sipd_dialog_opts o = uas_opts;
	o.local_contact = (struct sipd_str){big, n};
	struct sipd_dialog *d = NULL;
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"b0b", 3}, &o, &d),
	                 SIPD_EINVAL);
	assert_null(d);
	assert_int_equal(sipd_dialogs_count(t), 0);
	/* just within: created, every part whole */
	o.local_contact.len = 60000;
	assert_int_equal(sipd_dialog_create_uas(t, &p->m, (struct sipd_str){"b0b", 3}, &o, &d), 0);
	assert_int_equal(sipd_dialog_local_contact(d).len, 60000);
	assert_true(eq(sipd_dialog_remote_uri(d), "sip:alice@atlanta.example.com"));
	assert_true(eq(sipd_dialog_route(d, 2), "<sip:p3.example.com;lr>"));
	free(big);
	free(p);
	sipd_dialogs_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3261_12_1_1_uas_creates_dialog),
		cmocka_unit_test(rfc3261_12_1_1_secure_needs_tls_and_sips),
		cmocka_unit_test(rfc3261_12_1_1_missing_contact_is_400),
		cmocka_unit_test(rfc3261_12_1_2_uac_creates_early_then_confirmed),
		cmocka_unit_test(rfc3261_12_2_1_1_loose_routing),
		cmocka_unit_test(rfc3261_12_2_1_1_strict_routing),
		cmocka_unit_test(rfc3263_4_1_next_hop_of_a_uri),
		cmocka_unit_test(rfc3261_12_2_1_1_flow_of_the_next_hop),
		cmocka_unit_test(rfc3261_12_2_2_cseq_rules_and_target_refresh),
		cmocka_unit_test(rfc5057_usages_share_a_dialog),
		cmocka_unit_test(dialog_table_limit),
		cmocka_unit_test(dialog_snapshot_restore),
		cmocka_unit_test(dialog_parts_beyond_64k_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
