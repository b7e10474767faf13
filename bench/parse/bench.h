/* bench/parse — what the driver and the parsers under test share.
 *
 * Each parser lives in its own translation unit (ours.c, peer_osip.c,
 * peer_sofia.c, peer_re.c) so that the headers of different SIP libraries never
 * meet: they define clashing names (sip_t, struct sip_msg...). This header
 * includes nothing of theirs.
 */
#ifndef BENCH_PARSE_BENCH_H
#define BENCH_PARSE_BENCH_H

#include <stddef.h>

/* A parser under test. */
struct bench_parser {
	const char *name;    /* the name of --parser: "ours", "osip", "sofia", "re" */
	const char *library; /* library and version, for the report */
	/* Called once before anything else; 0 on success. May be NULL. */
	int (*init)(void);
	/* The timed work: parse the whole message into the library's structures and
	 * release them. 0 when the library accepted the message. */
	int (*parse)(const char *buf, size_t len);
	/* Called once per message before timing: parse, then look into the result
	 * to make sure the library really understood the message (not only that it
	 * returned success). 0 or -1 with a reason written into why[0..cap). */
	int (*verify)(const char *buf, size_t len, char *why, size_t cap);
};

/* The parsers, one per file. The peer_X_parse() functions are their timed
 * work, also callable on their own. */
extern const struct bench_parser bench_ours;
extern const struct bench_parser bench_osip;
extern const struct bench_parser bench_sofia;
extern const struct bench_parser bench_re;
int peer_osip_parse(const char *buf, size_t len);
int peer_sofia_parse(const char *buf, size_t len);
int peer_re_parse(const char *buf, size_t len);

/* One message of the corpus. */
struct corpus_msg {
	char name[64]; /* the file name */
	char *buf;
	size_t len;
	size_t body_len; /* what Content-Length says, checked on load */
	int excluded;    /* some parser rejected it: not timed for anybody */
};

struct corpus {
	struct corpus_msg *msgs;
	size_t n;
};

/* Loads every *.sip file of dir, sorted by name, and checks that each is a
 * well-formed test input (CRLF line endings, Content-Length equal to the body).
 * Returns 0, or -1 after printing why. */
int corpus_load(struct corpus *c, const char *dir);
void corpus_free(struct corpus *c);

/* Writes "fmt" into why[0..cap) and returns -1: the verify functions' failure. */
int bench_fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
