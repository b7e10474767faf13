/* sipdialog — the SIP message layer: parser, URIs, typed headers, framing, builder.
 *
 * The parser is zero-copy: a parsed message is a set of slices into the caller's
 * buffer, which must outlive the message. It never writes into the input and never
 * allocates; the caller supplies the array of header slots (picohttpparser style).
 *
 * Parsing has two steps:
 *   sipd_msg_parse()  frames the message, parses the start line, splits every
 *                     header and parses eagerly the headers every message needs
 *                     (top Via, From, To, Call-ID, CSeq, Max-Forwards,
 *                     Content-Length); what a transaction layer needs, fast.
 *   sipd_msg_check()  the rest of RFC 3261 §25: every header the library knows is
 *                     parsed to its grammar, mandatory headers are present, single-
 *                     value headers appear once, the CSeq method matches.
 * Typed accessors (sipd_via_parse(), sipd_nameaddr_parse()...) parse one header
 * value on demand.
 */
#ifndef SIPDIALOG_MSG_H
#define SIPDIALOG_MSG_H

#include <sipdialog/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

/* Where and why input was rejected. `what` is a static string. `line` and
 * `column` are 1-based positions in the parsed text (0 when unknown), `offset`
 * the byte offset. `status` is the SIP response the RFCs name for the fault
 * (400, 413, 414, 505, 513...) when the input is a request. */
struct sipd_parse_error {
	int code; /* SIPD_EPARSE, SIPD_ELIMIT or SIPD_EAGAIN */
	uint16_t status;
	const char *what;
	uint32_t line;
	uint32_t column;
	size_t offset;
};

/* ---------------------------------------------------------------- methods */

enum sipd_method {
	SIPD_METHOD_OTHER = 0, /* an extension method: see the method slice */
	SIPD_METHOD_INVITE,
	SIPD_METHOD_ACK,
	SIPD_METHOD_BYE,
	SIPD_METHOD_CANCEL,
	SIPD_METHOD_OPTIONS,
	SIPD_METHOD_REGISTER,
	SIPD_METHOD_PRACK,
	SIPD_METHOD_SUBSCRIBE,
	SIPD_METHOD_NOTIFY,
	SIPD_METHOD_PUBLISH,
	SIPD_METHOD_INFO,
	SIPD_METHOD_REFER,
	SIPD_METHOD_MESSAGE,
	SIPD_METHOD_UPDATE,
	SIPD_METHOD__COUNT
};

/* Method names are case-sensitive (RFC 3261 §7.1). */
enum sipd_method sipd_method_lookup(const char *name, size_t len);
/* The method's name, "" for SIPD_METHOD_OTHER. */
const char *sipd_method_name(enum sipd_method m);

/* ---------------------------------------------------------------- URIs */

enum sipd_uri_scheme {
	SIPD_URI_OTHER = 0, /* an absoluteURI of a scheme we do not interpret */
	SIPD_URI_SIP,
	SIPD_URI_SIPS,
	SIPD_URI_TEL,
};

enum sipd_host_type {
	SIPD_HOST_NONE = 0,
	SIPD_HOST_NAME,
	SIPD_HOST_IPV4,
	SIPD_HOST_IPV6, /* `host` is the IPv6reference, brackets included */
};

/* A parsed URI. For sip:/sips: every part; for tel: `user` is the number and
 * `params` its parameters; for other schemes only `scheme` and `opaque`. Parts
 * keep their %-escapes. `params` is the text after the first ';' (without it),
 * `headers` the text after '?' (without it). */
struct sipd_uri {
	struct sipd_str raw;
	struct sipd_str scheme;
	struct sipd_str user;
	struct sipd_str password;
	struct sipd_str host;
	struct sipd_str params;
	struct sipd_str headers;
	struct sipd_str opaque; /* everything after "scheme:" */
	uint16_t port;          /* 0 when absent */
	uint8_t kind;           /* enum sipd_uri_scheme */
	uint8_t host_type;      /* enum sipd_host_type */
};

/* Parses a whole URI (Request-URI or the inside of <...>). */
int sipd_uri_parse(struct sipd_uri *uri, const char *p, size_t len,
                   struct sipd_parse_error *err);

/* ---------------------------------------------------------------- parameters */

/* Iterates over ';'-separated parameters ("a=b;c;d=\"q\""), for URI parameters
 * and header parameters alike; LWS around ';' and '=' is skipped. `*cursor` is
 * advanced; `value` is SIPD_STR_NULL for a parameter without '=', and keeps the
 * quotes of a quoted-string. Returns false at the end. */
bool sipd_param_next(struct sipd_str *cursor, struct sipd_str *name, struct sipd_str *value);
/* Finds a parameter by name (case-insensitive). Returns 0 and sets *value
 * (SIPD_STR_NULL for a flag parameter), or SIPD_ENOTFOUND. */
int sipd_param_find(struct sipd_str params, const char *name, struct sipd_str *value);

/* ---------------------------------------------------------------- headers */

enum sipd_hdr_id {
	SIPD_HDR_OTHER = 0, /* unknown to the library: kept as name and value */
	SIPD_HDR_ACCEPT,
	SIPD_HDR_ACCEPT_ENCODING,
	SIPD_HDR_ACCEPT_LANGUAGE,
	SIPD_HDR_ALERT_INFO,
	SIPD_HDR_ALLOW,
	SIPD_HDR_ALLOW_EVENTS,
	SIPD_HDR_AUTHENTICATION_INFO,
	SIPD_HDR_AUTHORIZATION,
	SIPD_HDR_CALL_ID,
	SIPD_HDR_CALL_INFO,
	SIPD_HDR_CONTACT,
	SIPD_HDR_CONTENT_DISPOSITION,
	SIPD_HDR_CONTENT_ENCODING,
	SIPD_HDR_CONTENT_LANGUAGE,
	SIPD_HDR_CONTENT_LENGTH,
	SIPD_HDR_CONTENT_TYPE,
	SIPD_HDR_CSEQ,
	SIPD_HDR_DATE,
	SIPD_HDR_ERROR_INFO,
	SIPD_HDR_EVENT,
	SIPD_HDR_EXPIRES,
	SIPD_HDR_FROM,
	SIPD_HDR_IN_REPLY_TO,
	SIPD_HDR_MAX_FORWARDS,
	SIPD_HDR_MIME_VERSION,
	SIPD_HDR_MIN_EXPIRES,
	SIPD_HDR_MIN_SE,
	SIPD_HDR_ORGANIZATION,
	SIPD_HDR_PATH,
	SIPD_HDR_PRIORITY,
	SIPD_HDR_PROXY_AUTHENTICATE,
	SIPD_HDR_PROXY_AUTHORIZATION,
	SIPD_HDR_PROXY_REQUIRE,
	SIPD_HDR_RACK,
	SIPD_HDR_REASON,
	SIPD_HDR_RECORD_ROUTE,
	SIPD_HDR_REFER_SUB,
	SIPD_HDR_REFER_TO,
	SIPD_HDR_REFERRED_BY,
	SIPD_HDR_REPLACES,
	SIPD_HDR_REPLY_TO,
	SIPD_HDR_REQUIRE,
	SIPD_HDR_RETRY_AFTER,
	SIPD_HDR_ROUTE,
	SIPD_HDR_RSEQ,
	SIPD_HDR_SERVER,
	SIPD_HDR_SESSION_EXPIRES,
	SIPD_HDR_SUBJECT,
	SIPD_HDR_SUBSCRIPTION_STATE,
	SIPD_HDR_SUPPORTED,
	SIPD_HDR_TIMESTAMP,
	SIPD_HDR_TO,
	SIPD_HDR_UNSUPPORTED,
	SIPD_HDR_USER_AGENT,
	SIPD_HDR_VIA,
	SIPD_HDR_WARNING,
	SIPD_HDR_WWW_AUTHENTICATE,
	SIPD_HDR__COUNT
};

/* Header id of a name, full or compact form, any case (RFC 3261 §7.3.1, §7.3.3). */
enum sipd_hdr_id sipd_hdr_lookup(const char *name, size_t len);
/* The canonical full name of a known header ("Call-ID"); NULL for OTHER. */
const char *sipd_hdr_name(enum sipd_hdr_id id);
/* True when the header's grammar is a comma-separated list (RFC 3261 §7.3.1). */
bool sipd_hdr_is_list(enum sipd_hdr_id id);

#define SIPD_HDR_NONE UINT16_MAX

/* One header field as it appeared. `value` is trimmed of leading and trailing
 * LWS and may contain folded line breaks (CRLF followed by SP or HTAB), which
 * every function of this header treats as a single space. */
struct sipd_hdr {
	struct sipd_str name;
	struct sipd_str value;
	uint16_t id;   /* enum sipd_hdr_id */
	uint16_t next; /* index of the next header with the same id, or SIPD_HDR_NONE */
	uint32_t line; /* 1-based line of the header's name in the message */
};

/* ---------------------------------------------------------------- typed values */

struct sipd_via {
	struct sipd_str protocol;  /* "SIP/2.0" */
	struct sipd_str transport; /* "UDP", "TCP", "TLS", or any token */
	struct sipd_str host;      /* IPv6 with its brackets */
	uint16_t port;             /* 0 when absent */
	uint8_t host_type;         /* enum sipd_host_type */
	bool rport;                /* rport present (RFC 3581) */
	uint16_t rport_value;      /* 0 when present without a value */
	int16_t ttl;               /* -1 when absent */
	struct sipd_str branch, received, maddr;
	struct sipd_str params; /* all parameters, for the others */
};

/* name-addr or addr-spec with parameters: From, To, Contact, Route, Record-Route,
 * Refer-To, Referred-By, Reply-To, Path. */
struct sipd_nameaddr {
	struct sipd_str display; /* without the quotes; escapes kept; SIPD_STR_NULL if none */
	struct sipd_uri uri;
	struct sipd_str tag;    /* the tag parameter */
	struct sipd_str params; /* all header parameters (after the URI) */
	bool angle;             /* the URI was enclosed in <> */
	bool star;              /* Contact: * */
};

struct sipd_cseq {
	uint32_t seq;
	uint8_t method; /* enum sipd_method */
	struct sipd_str method_name;
};

struct sipd_rack {
	uint32_t rseq;
	uint32_t cseq;
	uint8_t method;
	struct sipd_str method_name;
};

/* Content-Type, and each value of Accept ("*" allowed there). */
struct sipd_media {
	struct sipd_str type, subtype, params;
};

struct sipd_disposition {
	struct sipd_str type;     /* "session", "render", "icon", "alert", or a token */
	struct sipd_str handling; /* "optional", "required" or SIPD_STR_NULL */
	struct sipd_str params;
};

/* Event (RFC 6665 §8.2.1) */
struct sipd_event {
	struct sipd_str package; /* "presence", "refer", "dialog.winfo"... */
	struct sipd_str id;
	struct sipd_str params;
};

/* Subscription-State (RFC 6665 §8.2.3) */
struct sipd_substate {
	struct sipd_str state;  /* active, pending, terminated or an extension */
	struct sipd_str reason; /* SIPD_STR_NULL when absent */
	int64_t expires;        /* -1 when absent */
	int64_t retry_after;    /* -1 when absent */
	struct sipd_str params;
};

/* Session-Expires (RFC 4028 §4) and Min-SE (refresher unused). */
struct sipd_session_expires {
	uint32_t delta;
	struct sipd_str refresher; /* "uac", "uas" or SIPD_STR_NULL */
	struct sipd_str params;
};

/* Retry-After (RFC 3261 §20.33) */
struct sipd_retry_after {
	uint32_t delta;
	struct sipd_str comment; /* without the parentheses, SIPD_STR_NULL if none */
	int64_t duration;        /* -1 when absent */
	struct sipd_str params;
};

/* Replaces (RFC 3891 §6.1) */
struct sipd_replaces {
	struct sipd_str call_id, to_tag, from_tag;
	bool early_only;
	struct sipd_str params;
};

/* Reason (RFC 3326 §2) */
struct sipd_reason {
	struct sipd_str protocol; /* "SIP", "Q.850" or a token */
	int32_t cause;            /* -1 when absent */
	struct sipd_str text;     /* with its quotes, SIPD_STR_NULL if none */
	struct sipd_str params;
};

/* WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization:
 * a scheme and its comma-separated auth-params, walked with sipd_auth_param_next(). */
struct sipd_auth {
	struct sipd_str scheme; /* "Digest" or another token */
	struct sipd_str params;
};

/* Warning (RFC 3261 §20.43), one value */
struct sipd_warning {
	uint16_t code;
	struct sipd_str agent;
	struct sipd_str text; /* with its quotes */
};

/* Each returns 0, or SIPD_EPARSE with err (may be NULL) telling where in `v`. */
int sipd_via_parse(struct sipd_via *out, struct sipd_str v, struct sipd_parse_error *err);
/* `strict`: the URI must be in <> (Route, Record-Route, Path). Contact accepts `*`. */
int sipd_nameaddr_parse(struct sipd_nameaddr *out, struct sipd_str v, bool strict,
                        struct sipd_parse_error *err);
int sipd_cseq_parse(struct sipd_cseq *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_rack_parse(struct sipd_rack *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_callid_parse(struct sipd_str *out, struct sipd_str v, struct sipd_parse_error *err);
/* 1*DIGIT that fits in 32 bits (Max-Forwards, Content-Length, Expires, Min-Expires, RSeq). */
int sipd_uint_parse(uint32_t *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_media_parse(struct sipd_media *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_disposition_parse(struct sipd_disposition *out, struct sipd_str v,
                           struct sipd_parse_error *err);
int sipd_event_parse(struct sipd_event *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_substate_parse(struct sipd_substate *out, struct sipd_str v,
                        struct sipd_parse_error *err);
int sipd_session_expires_parse(struct sipd_session_expires *out, struct sipd_str v,
                               struct sipd_parse_error *err);
int sipd_retry_after_parse(struct sipd_retry_after *out, struct sipd_str v,
                           struct sipd_parse_error *err);
int sipd_replaces_parse(struct sipd_replaces *out, struct sipd_str v,
                        struct sipd_parse_error *err);
int sipd_reason_parse(struct sipd_reason *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_auth_parse(struct sipd_auth *out, struct sipd_str v, struct sipd_parse_error *err);
int sipd_warning_parse(struct sipd_warning *out, struct sipd_str v, struct sipd_parse_error *err);
/* A single token (one value of Require, Supported, Allow, Unsupported...). */
int sipd_token_parse(struct sipd_str *out, struct sipd_str v, struct sipd_parse_error *err);
/* Contact's expires (-1 when absent; RFC 3261 §10.2.1.1: 3600 when malformed,
 * 2**32-1 when larger) and q in thousandths (-1 when absent or not a qvalue). */
int64_t sipd_contact_expires(const struct sipd_nameaddr *c);
int sipd_contact_q(const struct sipd_nameaddr *c);

/* Walks the comma-separated auth-params of a sipd_auth (or of Authentication-Info).
 * `value` keeps the quotes of a quoted-string. Returns false at the end. */
bool sipd_auth_param_next(struct sipd_str *cursor, struct sipd_str *name, struct sipd_str *value);
/* Removes the quotes of a quoted-string and its backslash escapes into out (cap
 * bytes). Returns the length, or SIPD_ENOSPC / SIPD_EPARSE. A token is copied. */
int sipd_unquote(struct sipd_str v, char *out, size_t cap);

/* ---------------------------------------------------------------- messages */

enum sipd_framing {
	SIPD_FRAME_DATAGRAM = 0, /* a whole UDP datagram: trailing octets beyond
	                            Content-Length are ignored (RFC 3261 §18.3) */
	SIPD_FRAME_STREAM,       /* a byte stream: Content-Length required */
};

/* Limits that protect memory; each 0 means the default. Carries its own size so
 * that it can grow: set .size = sizeof(struct sipd_parse_limits). */
struct sipd_parse_limits {
	size_t size;
	uint32_t max_message; /* bytes of a whole message; default 65535 */
	uint32_t max_line;    /* bytes of one header line (folds included); default 8192 */
	uint16_t max_headers; /* header fields; default and hard cap: the slot count */
};

#define SIPD_DEFAULT_MAX_MESSAGE 65535u
#define SIPD_DEFAULT_MAX_LINE 8192u

struct sipd_msg {
	const char *buf; /* start of the message */
	size_t len;      /* bytes of the message, body included */
	bool is_request;

	/* request line */
	uint8_t method; /* enum sipd_method */
	struct sipd_str method_name;
	struct sipd_uri ruri;
	/* status line */
	uint16_t status;
	struct sipd_str reason;
	struct sipd_str version; /* "SIP/2.0" */

	/* headers, in order */
	struct sipd_hdr *hdrs;
	uint16_t nhdrs;
	uint16_t first[SIPD_HDR__COUNT]; /* first header of each id, or SIPD_HDR_NONE */

	/* eagerly parsed */
	struct sipd_via via; /* the topmost Via value */
	struct sipd_nameaddr from, to;
	struct sipd_str call_id;
	struct sipd_cseq cseq;
	int32_t max_forwards;   /* -1 when absent */
	int64_t content_length; /* -1 when absent */

	struct sipd_str body;
};

/* Parses one message at the start of buf[0..len).
 *
 * Returns the number of bytes the message takes (>0), or a negative code:
 * SIPD_EAGAIN (stream framing: the message is not complete yet), SIPD_EPARSE or
 * SIPD_ELIMIT with *err filled. `hdrs` is an array of `nhdrs` slots the message
 * points into. Leading CRLFs (keep-alives) are not skipped here: see
 * sipd_msg_frame(). `limits` may be NULL. */
long sipd_msg_parse(struct sipd_msg *msg, struct sipd_hdr *hdrs, size_t nhdrs, const char *buf,
                    size_t len, enum sipd_framing framing, const struct sipd_parse_limits *limits,
                    struct sipd_parse_error *err);

/* Checks the whole message against RFC 3261 §25 and §8.1.1: every known header
 * parses to its grammar (each value of a list), the mandatory headers are there
 * and single-value headers appear once, and a request's CSeq method matches its
 * method (§8.2.6). Returns 0 or SIPD_EPARSE with *err (line and column in the
 * message). */
int sipd_msg_check(const struct sipd_msg *msg, struct sipd_parse_error *err);

/* The first header with this id, or NULL. */
const struct sipd_hdr *sipd_msg_find(const struct sipd_msg *msg, enum sipd_hdr_id id);
/* The header after h with the same id, or NULL. */
const struct sipd_hdr *sipd_msg_find_next(const struct sipd_msg *msg, const struct sipd_hdr *h);
/* The first header with this name (any case, compact forms resolved), or NULL. */
const struct sipd_hdr *sipd_msg_find_name(const struct sipd_msg *msg, const char *name);

/* Walks every value of a header id across all its lines, split at the commas
 * of list headers (not inside quotes, <>, or parentheses). */
struct sipd_hdr_iter {
	const struct sipd_msg *msg;
	uint16_t idx; /* the header being walked */
	bool list;
	struct sipd_str rest;
	const struct sipd_hdr *hdr; /* the header the last value came from */
};
void sipd_hdr_iter_init(struct sipd_hdr_iter *it, const struct sipd_msg *msg, enum sipd_hdr_id id);
/* Returns false at the end. Empty list elements are returned as empty slices. */
bool sipd_hdr_iter_next(struct sipd_hdr_iter *it, struct sipd_str *value);

/* ---------------------------------------------------------------- framing */

/* Finds the end of the first message in a stream buffer. Leading CRLFs (RFC 5626
 * keep-alives) are skipped and counted in *skip. Returns 0 with *skip and
 * *msg_len set (the message is buf[*skip .. *skip + *msg_len)), SIPD_EAGAIN when
 * more bytes are needed (*skip still tells what may be dropped), or SIPD_EPARSE /
 * SIPD_ELIMIT (no or bad Content-Length, headers too long), after which the
 * stream cannot be resynchronised and should be closed. */
int sipd_msg_frame(const char *buf, size_t len, const struct sipd_parse_limits *limits,
                   size_t *skip, size_t *msg_len, struct sipd_parse_error *err);

/* A reassembly buffer for one stream connection. Bytes go in with
 * sipd_stream_push(); whole messages come out with sipd_stream_next(). The
 * buffer never grows beyond the limit's max_message (plus one read). */
struct sipd_stream {
	char *buf;
	size_t len, cap, start;
	struct sipd_parse_limits limits;
	size_t scanned; /* private: bytes known to hold no end of headers */
	size_t need;    /* private: bytes the message being received needs */
};
void sipd_stream_init(struct sipd_stream *s, const struct sipd_parse_limits *limits);
/* Frees the buffer. The stream can be initialised again. */
void sipd_stream_free(struct sipd_stream *s);
/* Appends bytes. SIPD_ENOMEM, or SIPD_ELIMIT when the pending bytes would exceed
 * the limit (the connection should be closed). */
int sipd_stream_push(struct sipd_stream *s, const void *data, size_t len);
/* Returns 0 and the next whole message (valid until the next push or free),
 * SIPD_EAGAIN when none is complete, or a framing error. */
int sipd_stream_next(struct sipd_stream *s, const char **msg, size_t *len,
                     struct sipd_parse_error *err);

/* ---------------------------------------------------------------- builder */

/* Output into a caller-supplied buffer. Writes stop at capacity and set
 * `overflow`; sipd_buf_result() reports it once at the end. */
struct sipd_buf {
	char *p;
	size_t len, cap;
	bool overflow;
};
void sipd_buf_init(struct sipd_buf *b, char *mem, size_t cap);
void sipd_buf_put(struct sipd_buf *b, const void *data, size_t len);
void sipd_buf_puts(struct sipd_buf *b, const char *s);
void sipd_buf_putstr(struct sipd_buf *b, struct sipd_str s);
void sipd_buf_putu(struct sipd_buf *b, uint64_t v);
/* The length written, or SIPD_ENOSPC if anything did not fit. */
long sipd_buf_result(const struct sipd_buf *b);

/* "METHOD uri SIP/2.0\r\n" */
void sipd_build_request_line(struct sipd_buf *b, struct sipd_str method, struct sipd_str uri);
/* "SIP/2.0 code reason\r\n"; reason NULL: the default phrase of the code. */
void sipd_build_status_line(struct sipd_buf *b, unsigned code, const char *reason);
/* "Name: value\r\n" */
void sipd_build_header(struct sipd_buf *b, const char *name, struct sipd_str value);
void sipd_build_header_uint(struct sipd_buf *b, const char *name, uint64_t value);
/* Content-Type (when ctype is not NULL), Content-Length, the blank line, the body. */
void sipd_build_body(struct sipd_buf *b, const char *ctype, struct sipd_str body);
/* Where a request came from, as the server transport marks it on the top Via
 * of its responses: the source address as text (IPv6 without brackets) and
 * port. */
struct sipd_via_source {
	struct sipd_str addr;
	uint16_t port;
};
/* The status line and the headers a response copies from its request (RFC 3261
 * §8.2.6.2): every Via in order, From, To (with `to_tag` added when the request's
 * To has no tag and to_tag is not empty), Call-ID, CSeq, and for 100 the
 * Timestamp (§8.2.6.1). With `src`, the top Via gets what the server transport
 * adds: `received` with the source address when it differs from the sent-by
 * host or rport was asked for (§18.2.1, RFC 3581 §4), and an empty rport its
 * value, the source port (RFC 3581 §4); NULL copies it as it came. The caller
 * adds its own headers, then sipd_build_body(). */
void sipd_build_response_head(struct sipd_buf *b, const struct sipd_msg *req, unsigned code,
                              const char *reason, struct sipd_str to_tag,
                              const struct sipd_via_source *src);
/* The message in canonical form: full header names as the RFC writes them,
 * LWS and folds collapsed to one space, compact forms expanded, then the body. */
void sipd_msg_print(struct sipd_buf *b, const struct sipd_msg *msg);

/* The default reason phrase of a status code (RFC 3261 §21 and extensions),
 * "" when unknown. */
const char *sipd_reason_phrase(unsigned code);

#ifdef __cplusplus
}
#endif

#endif
