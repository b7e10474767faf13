#include "emit.h"

#include <string.h>

void emit_init(struct emit *e, FILE *f, bool json)
{
	memset(e, 0, sizeof *e);
	e->f = f;
	e->json = json;
}

static void indent(struct emit *e)
{
	for (int i = 1; i < e->depth; i++)
		fputs("  ", e->f);
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629 §4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* JSON string body: escapes, and bytes that are not UTF-8 as \u00XX. */
static void json_chars(FILE *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, f);
		} else {
			size_t len = utf8_len((const unsigned char *)p + i, n - i);
			if (len) {
				fwrite(p + i, 1, len, f);
				i += len - 1;
			} else {
				fprintf(f, "\\u%04x", c);
			}
		}
	}
}

/* Text: visible bytes as they are, control characters escaped. */
static void text_chars(FILE *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n')
			fputs(c == '\r' ? "\\r" : "\\n", f);
		else if (c < 0x20 && c != '\t')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void key(struct emit *e, const char *k)
{
	if (e->json) {
		if (e->need_comma[e->depth])
			fputc(',', e->f);
		e->need_comma[e->depth] = true;
		if (k && !e->in_list[e->depth]) {
			fputc('"', e->f);
			fputs(k, e->f);
			fputs("\":", e->f);
		}
	} else {
		indent(e);
		if (k)
			fprintf(e->f, "%s:", k);
		else
			fputc('-', e->f);
	}
}

void emit_open(struct emit *e, const char *k)
{
	if (e->depth == 0 && !k) {
		/* the document itself: '{' in JSON, nothing in text */
		if (e->json)
			fputc('{', e->f);
		e->need_comma[1] = false;
		e->in_list[1] = false;
		e->depth = 1;
		return;
	} else {
		key(e, k);
		if (e->json)
			fputc('{', e->f);
		else
			fputc('\n', e->f);
	}
	if (e->depth < 31)
		e->depth++;
	e->need_comma[e->depth] = false;
	e->in_list[e->depth] = false;
}

void emit_close(struct emit *e)
{
	if (e->depth > 0)
		e->depth--;
	if (e->json)
		fputc('}', e->f);
}

void emit_open_list(struct emit *e, const char *k)
{
	key(e, k);
	if (e->json)
		fputc('[', e->f);
	else
		fputc('\n', e->f);
	if (e->depth < 31)
		e->depth++;
	e->need_comma[e->depth] = false;
	e->in_list[e->depth] = true;
}

void emit_close_list(struct emit *e)
{
	if (e->depth > 0)
		e->depth--;
	if (e->json)
		fputc(']', e->f);
}

void emit_str(struct emit *e, const char *k, struct sipd_str v)
{
	if (!v.p)
		return;
	key(e, k);
	if (e->json) {
		fputc('"', e->f);
		json_chars(e->f, v.p, v.len);
		fputc('"', e->f);
	} else {
		fputc(' ', e->f);
		text_chars(e->f, v.p, v.len);
		fputc('\n', e->f);
	}
}

void emit_cstr(struct emit *e, const char *k, const char *v)
{
	emit_str(e, k, (struct sipd_str){v, strlen(v)});
}

void emit_int(struct emit *e, const char *k, long long v)
{
	key(e, k);
	fprintf(e->f, e->json ? "%lld" : " %lld\n", v);
}

void emit_bool(struct emit *e, const char *k, bool v)
{
	key(e, k);
	fprintf(e->f, e->json ? "%s" : " %s\n", v ? "true" : "false");
}

void emit_finish(struct emit *e)
{
	if (e->json)
		fputc('\n', e->f);
	fflush(e->f);
}
