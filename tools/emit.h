/* A tiny structured printer for the command: the same calls produce indented
 * text or one JSON object. */
#ifndef SIPD_TOOLS_EMIT_H
#define SIPD_TOOLS_EMIT_H

#include <stdio.h>

#include <sipdialog/common.h>

struct emit {
	FILE *f;
	bool json;
	int depth;
	bool need_comma[32];
	bool in_list[32];
};

void emit_init(struct emit *e, FILE *f, bool json);
/* key is NULL for an element of a list */
void emit_open(struct emit *e, const char *key);
void emit_close(struct emit *e);
void emit_open_list(struct emit *e, const char *key);
void emit_close_list(struct emit *e);
void emit_str(struct emit *e, const char *key, struct sipd_str v);
void emit_cstr(struct emit *e, const char *key, const char *v);
void emit_int(struct emit *e, const char *key, long long v);
void emit_bool(struct emit *e, const char *key, bool v);
/* Ends the document (a newline after JSON). */
void emit_finish(struct emit *e);

#endif
