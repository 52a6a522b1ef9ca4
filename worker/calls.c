/* calls.c -- calls awaiting a reply from another endpoint: see calls.h.
 *
 * Linear probing with backward-shift deletion, so removal leaves no
 * tombstones and the table never needs a clean-up pass.
 */
#include "worker/calls.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t mkkey(uint32_t caller, int32_t session)
{
	return (uint64_t)caller << 32 | (uint32_t)session;
}

static inline uint32_t hash(uint64_t k, uint32_t mask)
{
	k *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 32) & mask;
}

void calls_init(struct calls *c)
{
	memset(c, 0, sizeof *c);
}

void calls_free(struct calls *c)
{
	free(c->key);
	free(c->to);
	memset(c, 0, sizeof *c);
}

static void insert(struct calls *c, uint64_t k, uint32_t to)
{
	uint32_t mask = c->cap - 1, i = hash(k, mask);
	while (c->key[i] && c->key[i] != k)
		i = (i + 1) & mask;
	if (!c->key[i])
		c->n++;
	c->key[i] = k;
	c->to[i] = to;
}

static void grow(struct calls *c)
{
	struct calls old = *c;
	c->cap = old.cap ? old.cap * 2 : 64;
	c->n = 0;
	c->key = calloc(c->cap, sizeof *c->key);
	c->to = calloc(c->cap, sizeof *c->to);
	if (!c->key || !c->to)
		abort();
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.key[i])
			insert(c, old.key[i], old.to[i]);
	free(old.key);
	free(old.to);
}

void calls_add(struct calls *c, uint32_t caller, int32_t session, unsigned to)
{
	if ((c->n + 1) * 4 > c->cap * 3)
		grow(c);
	insert(c, mkkey(caller, session), (uint32_t)to);
}

static void erase_at(struct calls *c, uint32_t i)
{
	uint32_t mask = c->cap - 1, j = i;
	c->key[i] = 0;
	c->n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!c->key[j])
			return;
		uint32_t home = hash(c->key[j], mask);
		/* Move j back into the hole if its home is not in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			c->key[i] = c->key[j];
			c->to[i] = c->to[j];
			c->key[j] = 0;
			i = j;
		}
	}
}

void calls_remove(struct calls *c, uint32_t caller, int32_t session)
{
	if (c->n == 0)
		return;
	uint64_t k = mkkey(caller, session);
	uint32_t mask = c->cap - 1, i = hash(k, mask);
	while (c->key[i]) {
		if (c->key[i] == k) {
			erase_at(c, i);
			return;
		}
		i = (i + 1) & mask;
	}
}

void calls_fail(struct calls *c, unsigned to,
                void (*fn)(uint32_t caller, int32_t session, void *ud),
                void *ud)
{
	/* Collect first: erasing shifts entries under the cursor. */
	uint32_t m = 0;
	uint64_t *hit = malloc((c->n + 1) * sizeof *hit);
	if (!hit)
		abort();
	for (uint32_t i = 0; i < c->cap; i++)
		if (c->key[i] && ((c->to[i] & CALLS_EP_MASK) == to ||
		                  c->to[i] == to))
			hit[m++] = c->key[i];
	for (uint32_t i = 0; i < m; i++) {
		uint32_t caller = (uint32_t)(hit[i] >> 32);
		int32_t session = (int32_t)(uint32_t)hit[i];
		calls_remove(c, caller, session);
		fn(caller, session, ud);
	}
	free(hit);
}
