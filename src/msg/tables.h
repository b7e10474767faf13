/* Internal: the generated tables (src/msg/gen_tables.py writes tables.c). */
#ifndef SIPD_MSG_TABLES_H
#define SIPD_MSG_TABLES_H

#include <string.h>

#include "msg/lex.h"

/* How sipd_msg_check() validates a header's value. */
enum sipd_hdr_kind {
	HK_TEXT,            /* anything (TEXT-UTF8 and LWS) */
	HK_TOKEN,           /* token (per list element) */
	HK_TOKEN_PARAMS,    /* token *(; generic-param) */
	HK_URI_PARAMS,      /* "<" absoluteURI ">" *(; generic-param) */
	HK_MEDIA,           /* Content-Type */
	HK_MEDIA_RANGE,     /* one value of Accept */
	HK_EVENT,           /* Event */
	HK_EVENT_TYPE,      /* one value of Allow-Events */
	HK_AUTH,            /* challenge or credentials */
	HK_AUTH_INFO,       /* Authentication-Info */
	HK_CALL_ID,         /* callid = word [ "@" word ] */
	HK_CONTACT,         /* name-addr / addr-spec, or "*" */
	HK_NAMEADDR,        /* name-addr / addr-spec with params */
	HK_NAMEADDR_STRICT, /* name-addr with params */
	HK_DISPOSITION,
	HK_UINT,
	HK_CSEQ,
	HK_DATE,
	HK_RACK,
	HK_REASON,
	HK_REPLACES,
	HK_RETRY_AFTER,
	HK_SERVER_VAL,
	HK_SESSION_EXPIRES,
	HK_SUBSTATE,
	HK_TIMESTAMP,
	HK_VIA,
	HK_WARNING,
	HK_MIME_VERSION, /* 1*DIGIT "." 1*DIGIT */
};

struct sipd_hdr_info {
	const char *name;
	char compact; /* lower-case compact form, 0 if none */
	bool list;
	bool empty_ok; /* a list header whose value may be empty (non-list: always true,
	                  the value's own grammar decides) */
	uint8_t kind;  /* enum sipd_hdr_kind */
};

extern const struct sipd_hdr_info sipd_hdr_info[SIPD_HDR__COUNT];

/* The full name of a compact form the library has no id for ('a' is
 * "Accept-Contact"), or NULL. */
const char *sipd_hdr_other_compact(char c);

#endif
