/* bench/parse — loading the corpus of messages.
 *
 * The corpus is checked on load so that a badly edited file (LF line endings,
 * a stale Content-Length) shows up as such, not as a parser that rejects it.
 */
#include "bench.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct corpus_msg *)a)->name, ((const struct corpus_msg *)b)->name);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		/* One spare byte: some libraries want to find a NUL after the
		 * message, and it costs nothing to offer one. */
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Every LF of the head must follow a CR. */
static int head_is_crlf(const char *buf, size_t head_len)
{
	for (size_t i = 0; i < head_len; i++)
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return 0;
	return 1;
}

/* Content-Length of the head, or -1. The corpus spells it out in full. */
static long head_content_length(const char *buf, size_t head_len)
{
	static const char key[] = "\r\nContent-Length:";
	size_t k = sizeof key - 1;

	for (size_t i = 0; i + k <= head_len; i++)
		if (memcmp(buf + i, key, k) == 0)
			return strtol(buf + i + k, NULL, 10);
	return -1;
}

static int check_msg(struct corpus_msg *m)
{
	const char *end = NULL;
	size_t head_len;
	long clen;

	for (size_t i = 0; i + 4 <= m->len && !end; i++)
		if (memcmp(m->buf + i, "\r\n\r\n", 4) == 0)
			end = m->buf + i + 4;
	if (!end) {
		fprintf(stderr, "corpus: %s: no CRLF CRLF after the headers\n", m->name);
		return -1;
	}
	head_len = (size_t)(end - m->buf);
	if (!head_is_crlf(m->buf, head_len)) {
		fprintf(stderr, "corpus: %s: bare LF in the headers\n", m->name);
		return -1;
	}
	clen = head_content_length(m->buf, head_len);
	if (clen < 0 || (size_t)clen != m->len - head_len) {
		fprintf(stderr, "corpus: %s: Content-Length %ld but the body has %zu bytes\n",
		        m->name, clen, m->len - head_len);
		return -1;
	}
	m->body_len = (size_t)clen;
	return 0;
}

static int add_file(struct corpus *c, const char *dir, const char *name)
{
	char path[4096];
	struct corpus_msg *m, *grown;

	grown = realloc(c->msgs, (c->n + 1) * sizeof *c->msgs);
	if (!grown)
		return -1;
	c->msgs = grown;
	m = &c->msgs[c->n];
	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	m->buf = read_file(path, &m->len);
	if (!m->buf) {
		fprintf(stderr, "corpus: cannot read %s\n", path);
		return -1;
	}
	c->n++;
	return check_msg(m);
}

int corpus_load(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	memset(c, 0, sizeof *c);
	if (!d) {
		fprintf(stderr, "corpus: cannot open %s\n", dir);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (has_suffix(e->d_name, ".sip"))
			rc = add_file(c, dir, e->d_name);
	closedir(d);
	if (rc == 0 && c->n == 0) {
		fprintf(stderr, "corpus: no *.sip file in %s\n", dir);
		rc = -1;
	}
	if (rc != 0) {
		corpus_free(c);
		return -1;
	}
	qsort(c->msgs, c->n, sizeof *c->msgs, by_name);
	return 0;
}

void corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->msgs[i].buf);
	free(c->msgs);
	memset(c, 0, sizeof *c);
}
