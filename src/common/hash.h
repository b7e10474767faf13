/* Internal: keyed hashing and an intrusive chained hash map.
 *
 * Keys come from the network (branches, Call-IDs), so the hash is keyed with a
 * per-stack random secret (SipHash-1-3) to keep an attacker from aiming many
 * keys at one bucket. */
#ifndef SIPD_COMMON_HASH_H
#define SIPD_COMMON_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t sipd_siphash(const uint8_t key[16], const void *data, size_t len);

struct sipd_hnode {
	struct sipd_hnode *next;
	uint64_t hash;
};

struct sipd_hmap {
	struct sipd_hnode **buckets;
	size_t nbuckets; /* a power of two, or 0 */
	size_t count;
};

void sipd_hmap_init(struct sipd_hmap *m);
void sipd_hmap_free(struct sipd_hmap *m);
/* Inserts a node whose hash is set. Grows the table when full; returns -2
 * (SIPD_ENOMEM) only when the first table cannot be allocated. */
int sipd_hmap_insert(struct sipd_hmap *m, struct sipd_hnode *n);
/* Allocates the first table now (if there is none), so that no insert can
 * fail later. Returns 0 or SIPD_ENOMEM. */
int sipd_hmap_prepare(struct sipd_hmap *m);
void sipd_hmap_remove(struct sipd_hmap *m, struct sipd_hnode *n);
/* The first node with this hash (walk on with sipd_hmap_next). */
struct sipd_hnode *sipd_hmap_first(const struct sipd_hmap *m, uint64_t hash);
struct sipd_hnode *sipd_hmap_next(const struct sipd_hnode *n, uint64_t hash);

#endif
