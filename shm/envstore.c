/* envstore.c -- the node-wide, set-once environment in shared memory.
 *
 * A power-of-two table of arena offsets (0 = empty), probed linearly, and
 * an append-only arena holding "key\0value\0" entries.  Nothing is ever
 * changed or removed, so a writer (under the robust mutex) copies the entry
 * into the arena and only then publishes its offset with a release store;
 * a reader acquire-loads the offset and may read the entry, and keep the
 * pointer, without a lock.
 */
#include "envstore.h"
#include "robust.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

struct envstore {
	pthread_mutex_t lock;
	/* Written only under the lock; readers never look at these. */
	uint32_t mask;  /* slots - 1 */
	uint32_t count; /* published entries */
	uint32_t arena; /* arena bytes; offset 0 is never used, it means empty */
	uint32_t used;  /* next free arena offset */
	_Atomic uint32_t slot[];
	/* the arena follows slot[mask] */
};

static char *arena(struct envstore *e) {
	return (char *)&e->slot[e->mask + 1];
}

size_t envstore_size(unsigned slots, size_t arena) {
	assert(slots && (slots & (slots - 1)) == 0);
	assert(arena <= UINT32_MAX); /* offsets are 32-bit */
	return sizeof(struct envstore) + (size_t)slots * sizeof(uint32_t) + arena;
}

void envstore_init(struct envstore *e, unsigned slots, size_t arena) {
	assert(slots && (slots & (slots - 1)) == 0);
	assert(arena <= UINT32_MAX);
	/* The memory is zero-filled: every slot is already empty. */
	e->mask = slots - 1;
	e->count = 0;
	e->arena = (uint32_t)arena;
	e->used = 1;
	robust_init(&e->lock);
}

/* FNV-1a with a murmur3 finaliser, so the masked low bits mix all bytes. */
static uint32_t hash(const char *s) {
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The offset of key's entry, or 0.  *at gets the slot holding it, or the
 * empty slot that ends the probe (UINT32_MAX if there is none). */
static uint32_t probe(struct envstore *e, const char *key, uint32_t *at) {
	uint32_t i = hash(key) & e->mask;

	for (uint32_t n = 0; n <= e->mask; n++, i = (i + 1) & e->mask) {
		uint32_t off = atomic_load_explicit(&e->slot[i], memory_order_acquire);

		*at = i;
		if (off == 0 || strcmp(arena(e) + off, key) == 0)
			return off;
	}
	*at = UINT32_MAX;
	return 0;
}

/* The last holder died under the lock.  Publishing is its final step, so
 * no published entry is partial; at worst an unpublished entry wasted
 * arena space, or the counters lag what was published.  Recompute both
 * from the published entries. */
static void repair(void *ud) {
	struct envstore *e = ud;
	uint32_t count = 0, used = e->used;

	if (used < 1 || used > e->arena)
		used = 1;
	for (uint32_t i = 0; i <= e->mask; i++) {
		uint32_t off = atomic_load_explicit(&e->slot[i], memory_order_relaxed);
		const char *k = arena(e) + off;
		size_t end;

		if (off == 0)
			continue;
		count++;
		end = off + strlen(k) + 1;
		end += strlen(arena(e) + end) + 1;
		if (end > used)
			used = (uint32_t)end;
	}
	e->count = count;
	e->used = used;
}

static int set_locked(struct envstore *e, const char *key, const char *value) {
	size_t klen = strlen(key), vlen = strlen(value);
	uint32_t at, off;

	if (probe(e, key, &at))
		return -EEXIST;
	/* Keep the load at most 3/4 so probes stay short and end on an empty
	 * slot. */
	if (at == UINT32_MAX ||
	    ((uint64_t)e->count + 1) * 4 > (uint64_t)(e->mask + 1) * 3)
		return -ENOSPC;
	if (e->used > e->arena || klen + vlen + 2 > e->arena - e->used)
		return -ENOSPC;
	off = e->used;
	memcpy(arena(e) + off, key, klen + 1);
	memcpy(arena(e) + off + klen + 1, value, vlen + 1);
	e->used = off + (uint32_t)(klen + vlen + 2);
	atomic_store_explicit(&e->slot[at], off, memory_order_release);
	e->count++;
	return 0;
}

int envstore_set(struct envstore *e, const char *key, const char *value) {
	int r;

	if (key == NULL || *key == '\0' || value == NULL)
		return -EINVAL;
	robust_lock(&e->lock, repair, e);
	r = set_locked(e, key, value);
	robust_unlock(&e->lock);
	return r;
}

const char *envstore_get(struct envstore *e, const char *key) {
	uint32_t at, off;

	if (key == NULL || *key == '\0')
		return NULL;
	off = probe(e, key, &at);
	if (off == 0)
		return NULL;
	return arena(e) + off + strlen(key) + 1;
}

void envstore_each(struct envstore *e,
                   void (*fn)(const char *key, const char *value, void *ud),
                   void *ud) {
	for (uint32_t i = 0; i <= e->mask; i++) {
		uint32_t off = atomic_load_explicit(&e->slot[i], memory_order_acquire);
		const char *k = arena(e) + off;

		if (off)
			fn(k, k + strlen(k) + 1, ud);
	}
}
