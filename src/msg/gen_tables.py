#!/usr/bin/env python3
"""Generates src/msg/tables.c: the character classes of RFC 3261 §25.1 and the
header-name lookup (a collision-free hash over full and compact names).

Run from the repository root after changing a table: python3 src/msg/gen_tables.py
The output is committed; the build does not need Python."""

import string

ALNUM = string.ascii_letters + string.digits
MARK = "-_.!~*'()"
UNRESERVED = ALNUM + MARK
CLASSES = [
    ("LEX_ALNUM", ALNUM),
    ("LEX_TOKEN", ALNUM + "-.!%*_+`'~"),
    ("LEX_UNRESERVED", UNRESERVED),
    ("LEX_USER", UNRESERVED + "&=+$,;?/"),
    ("LEX_PASSWORD", UNRESERVED + "&=+$,"),
    ("LEX_PARAM", UNRESERVED + "[]/:&+$"),
    ("LEX_HNV", UNRESERVED + "[]/?:+$"),
    ("LEX_URIC", UNRESERVED + ";/?:@&=+$,"),
    ("LEX_WORD", ALNUM + "-.!%*_+`'~()<>:\\\"/[]?{}"),
    ("LEX_HOST", ALNUM + "-._"),
    ("LEX_HEX", string.hexdigits),
    ("LEX_WS", " \t\r\n"),
    ("LEX_LIST", "\",<()"),
    ("LEX_DIGIT", string.digits),
    ("LEX_LABEL", ALNUM + "-_"),
    # gen-value = token / host / quoted-string (§25.1): token and host
    # characters, and what deployed values use ("/", "&", "+", "$"); not the
    # "(" and ")" of comments, which a list split would take for one
    ("LEX_GENV", ALNUM + "-.!%*_+`'~[]:/&$"),
]

# (enum suffix, canonical name, compact form, list header, kind)
HEADERS = [
    ("ACCEPT", "Accept", None, True, "MEDIA_RANGE"),
    ("ACCEPT_ENCODING", "Accept-Encoding", None, True, "TOKEN_PARAMS"),
    ("ACCEPT_LANGUAGE", "Accept-Language", None, True, "TOKEN_PARAMS"),
    ("ALERT_INFO", "Alert-Info", None, True, "URI_PARAMS"),
    ("ALLOW", "Allow", None, True, "TOKEN"),
    ("ALLOW_EVENTS", "Allow-Events", "u", True, "EVENT_TYPE"),
    ("AUTHENTICATION_INFO", "Authentication-Info", None, False, "AUTH_INFO"),
    ("AUTHORIZATION", "Authorization", None, False, "AUTH"),
    ("CALL_ID", "Call-ID", "i", False, "CALL_ID"),
    ("CALL_INFO", "Call-Info", None, True, "URI_PARAMS"),
    ("CONTACT", "Contact", "m", True, "CONTACT"),
    ("CONTENT_DISPOSITION", "Content-Disposition", None, False, "DISPOSITION"),
    ("CONTENT_ENCODING", "Content-Encoding", "e", True, "TOKEN"),
    ("CONTENT_LANGUAGE", "Content-Language", None, True, "TOKEN"),
    ("CONTENT_LENGTH", "Content-Length", "l", False, "UINT"),
    ("CONTENT_TYPE", "Content-Type", "c", False, "MEDIA"),
    ("CSEQ", "CSeq", None, False, "CSEQ"),
    ("DATE", "Date", None, False, "DATE"),
    ("ERROR_INFO", "Error-Info", None, True, "URI_PARAMS"),
    ("EVENT", "Event", "o", False, "EVENT"),
    ("EXPIRES", "Expires", None, False, "UINT"),
    ("FROM", "From", "f", False, "NAMEADDR"),
    ("IN_REPLY_TO", "In-Reply-To", None, True, "CALL_ID"),
    ("MAX_FORWARDS", "Max-Forwards", None, False, "UINT"),
    ("MIME_VERSION", "MIME-Version", None, False, "MIME_VERSION"),
    ("MIN_EXPIRES", "Min-Expires", None, False, "UINT"),
    ("MIN_SE", "Min-SE", None, False, "SESSION_EXPIRES"),
    ("ORGANIZATION", "Organization", None, False, "TEXT"),
    ("PATH", "Path", None, True, "NAMEADDR_STRICT"),
    ("PRIORITY", "Priority", None, False, "TOKEN"),
    ("PROXY_AUTHENTICATE", "Proxy-Authenticate", None, False, "AUTH"),
    ("PROXY_AUTHORIZATION", "Proxy-Authorization", None, False, "AUTH"),
    ("PROXY_REQUIRE", "Proxy-Require", None, True, "TOKEN"),
    ("RACK", "RAck", None, False, "RACK"),
    ("REASON", "Reason", None, True, "REASON"),
    ("RECORD_ROUTE", "Record-Route", None, True, "NAMEADDR_STRICT"),
    ("REFER_SUB", "Refer-Sub", None, False, "TOKEN_PARAMS"),
    ("REFER_TO", "Refer-To", "r", False, "NAMEADDR"),
    ("REFERRED_BY", "Referred-By", "b", False, "NAMEADDR"),
    ("REPLACES", "Replaces", None, False, "REPLACES"),
    ("REPLY_TO", "Reply-To", None, False, "NAMEADDR"),
    ("REQUIRE", "Require", None, True, "TOKEN"),
    ("RETRY_AFTER", "Retry-After", None, False, "RETRY_AFTER"),
    ("ROUTE", "Route", None, True, "NAMEADDR_STRICT"),
    ("RSEQ", "RSeq", None, False, "UINT"),
    ("SERVER", "Server", None, False, "SERVER_VAL"),
    ("SESSION_EXPIRES", "Session-Expires", "x", False, "SESSION_EXPIRES"),
    ("SUBJECT", "Subject", "s", False, "TEXT"),
    ("SUBSCRIPTION_STATE", "Subscription-State", None, False, "SUBSTATE"),
    ("SUPPORTED", "Supported", "k", True, "TOKEN"),
    ("TIMESTAMP", "Timestamp", None, False, "TIMESTAMP"),
    ("TO", "To", "t", False, "NAMEADDR"),
    ("UNSUPPORTED", "Unsupported", None, True, "TOKEN"),
    ("USER_AGENT", "User-Agent", None, False, "SERVER_VAL"),
    ("VIA", "Via", "v", True, "VIA"),
    ("WARNING", "Warning", None, True, "WARNING"),
    ("WWW_AUTHENTICATE", "WWW-Authenticate", None, False, "AUTH"),
]

# Compact forms of headers the library does not parse (they stay SIPD_HDR_OTHER):
# the printer expands them and sipd_msg_find_name() matches either form.
OTHER_COMPACT = [
    ("a", "Accept-Contact"),       # RFC 3841
    ("d", "Request-Disposition"),  # RFC 3841
    ("j", "Reject-Contact"),       # RFC 3841
    ("n", "Identity-Info"),        # RFC 4474
    ("y", "Identity"),             # RFC 8224
]

# List headers whose grammar allows an empty value: "HCOLON [ elem *(COMMA elem) ]"
# (RFC 3261 §20.1 Accept, §20.2 Accept-Encoding, §20.3 Accept-Language, §20.5 Allow,
# §20.37 Supported). Every other list header needs at least one element.
EMPTY_OK = {"ACCEPT", "ACCEPT_ENCODING", "ACCEPT_LANGUAGE", "ALLOW", "SUPPORTED"}


def find_hash(names):
    for a in range(1, 128):
        for b in range(1, 128):
            seen = {}
            ok = True
            for n in names:
                h = hash_of(n, a, b)
                if h in seen:
                    ok = False
                    break
                seen[h] = n
            if ok:
                return a, b
    raise SystemExit("no collision-free hash found")


def hash_of(name, a, b):
    s = name.lower()
    return (len(s) * a + ord(s[0]) * b + ord(s[-1]) + ord(s[len(s) // 2])) & 255


def main():
    out = []
    out.append("/* Generated by src/msg/gen_tables.py — do not edit. */")
    out.append('#include "msg/tables.h"\n')
    out.append("const uint16_t sipd_lex_class[256] = {")
    for c in range(256):
        bits = [name for name, chars in CLASSES if chr(c) in chars]
        if bits:
            out.append("\t[%d] = %s, /* %r */" % (c, " | ".join(bits), chr(c)))
    out.append("};\n")

    out.append("const struct sipd_hdr_info sipd_hdr_info[SIPD_HDR__COUNT] = {")
    out.append('\t[SIPD_HDR_OTHER] = {NULL, 0, false, true, HK_TEXT},')
    for e, name, compact, lst, kind in HEADERS:
        c = "'%s'" % compact if compact else "0"
        out.append('\t[SIPD_HDR_%s] = {"%s", %s, %s, %s, HK_%s},' %
                   (e, name, c, "true" if lst else "false",
                    "true" if (not lst or e in EMPTY_OK) else "false", kind))
    out.append("};\n")

    names = [(h[1], h[0]) for h in HEADERS] + [(h[2], h[0]) for h in HEADERS if h[2]]
    a, b = find_hash([n for n, _ in names])
    out.append("#define HDR_HASH_A %d" % a)
    out.append("#define HDR_HASH_B %d\n" % b)
    out.append("/* Slot of each name under the hash below; 0 marks an empty slot. */")
    out.append("static const uint8_t hdr_slot[256] = {")
    table = {hash_of(n, a, b): e for n, e in names}
    for h in sorted(table):
        out.append("\t[%d] = SIPD_HDR_%s," % (h, table[h]))
    out.append("};\n")
    out.append("/* Lower-case full names and their lengths, for the comparison below. */")
    out.append("static const char hdr_lower[SIPD_HDR__COUNT][24] = {")
    for h in HEADERS:
        out.append('\t[SIPD_HDR_%s] = "%s",' % (h[0], h[1].lower()))
    out.append("};")
    out.append("static const uint8_t hdr_len[SIPD_HDR__COUNT] = {")
    for h in HEADERS:
        out.append('\t[SIPD_HDR_%s] = %d,' % (h[0], len(h[1])))
    out.append("};")
    out.append("")
    out.append("""/* Header names are tokens (the parser checked), and for token characters
 * c | 0x20 is the lower case of a letter and leaves the others unchanged or
 * maps them off every known name, so it serves as a case fold here. */
enum sipd_hdr_id sipd_hdr_lookup(const char *name, size_t len)
{
	if (len == 0 || len > 23)
		return SIPD_HDR_OTHER;
	unsigned h = (unsigned)(len * HDR_HASH_A + (unsigned char)(name[0] | 0x20) * HDR_HASH_B +
	                        (unsigned char)(name[len - 1] | 0x20) +
	                        (unsigned char)(name[len / 2] | 0x20)) &
	             255;
	enum sipd_hdr_id id = (enum sipd_hdr_id)hdr_slot[h];
	if (id == SIPD_HDR_OTHER)
		return SIPD_HDR_OTHER;
	if (len == 1)
		return (name[0] | 0x20) == sipd_hdr_info[id].compact ? id : SIPD_HDR_OTHER;
	if (hdr_len[id] != len)
		return SIPD_HDR_OTHER;
	const char *want = hdr_lower[id];
	for (size_t i = 0; i < len; i++)
		if ((name[i] | 0x20) != want[i])
			return SIPD_HDR_OTHER;
	return id;
}""")
    out.append("")
    out.append("const char *sipd_hdr_other_compact(char c)")
    out.append("{")
    out.append("\tswitch (lex_lower(c)) {")
    for c, name in OTHER_COMPACT:
        out.append("\tcase '%s': return \"%s\";" % (c, name))
    out.append("\t}")
    out.append("\treturn NULL;")
    out.append("}")
    with open("src/msg/tables.c", "w") as f:
        f.write("\n".join(out) + "\n")


main()
