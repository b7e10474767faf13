/* SipHash-1-3 (Aumasson and Bernstein) and a chained hash map. */
#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

#include <sipdialog/common.h>

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v; /* little-endian hosts; the value only needs to be stable per run */
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

uint64_t sipd_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load64(in + i);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void sipd_hmap_init(struct sipd_hmap *m)
{
	memset(m, 0, sizeof *m);
}

void sipd_hmap_free(struct sipd_hmap *m)
{
	free(m->buckets);
	sipd_hmap_init(m);
}

static void rehash(struct sipd_hmap *m, size_t n)
{
	struct sipd_hnode **nb = calloc(n, sizeof *nb);
	if (!nb)
		return; /* keep the old table: longer chains, still correct */
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct sipd_hnode *e = m->buckets[i];
		while (e) {
			struct sipd_hnode *next = e->next;
			size_t b = (size_t)e->hash & (n - 1);
			e->next = nb[b];
			nb[b] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

int sipd_hmap_prepare(struct sipd_hmap *m)
{
	if (!m->nbuckets)
		rehash(m, 64);
	return m->nbuckets ? 0 : SIPD_ENOMEM;
}

int sipd_hmap_insert(struct sipd_hmap *m, struct sipd_hnode *n)
{
	if (!m->nbuckets) {
		rehash(m, 64);
		if (!m->nbuckets)
			return SIPD_ENOMEM;
	} else if (m->count >= m->nbuckets) {
		rehash(m, m->nbuckets * 2);
	}
	size_t b = (size_t)n->hash & (m->nbuckets - 1);
	n->next = m->buckets[b];
	m->buckets[b] = n;
	m->count++;
	return 0;
}

void sipd_hmap_remove(struct sipd_hmap *m, struct sipd_hnode *n)
{
	if (!m->nbuckets)
		return;
	struct sipd_hnode **pp = &m->buckets[(size_t)n->hash & (m->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			m->count--;
			return;
		}
	}
}

struct sipd_hnode *sipd_hmap_first(const struct sipd_hmap *m, uint64_t hash)
{
	if (!m->nbuckets)
		return NULL;
	struct sipd_hnode *e = m->buckets[(size_t)hash & (m->nbuckets - 1)];
	while (e && e->hash != hash)
		e = e->next;
	return e;
}

struct sipd_hnode *sipd_hmap_next(const struct sipd_hnode *n, uint64_t hash)
{
	struct sipd_hnode *e = n->next;
	while (e && e->hash != hash)
		e = e->next;
	return e;
}
