/* names.c -- the node-wide local name table (".name" -> handle).
 *
 * Open addressing with linear probing over a power-of-two array of slots
 * in shared memory.  Writers (insert, remove) serialise on a robust mutex.
 * Readers (lookup, each) take no lock: every slot carries a sequence word
 * that is odd while a writer changes the slot, and a reader retries until
 * it has read the slot between two equal even values (a seqlock per slot).
 *
 * All slot fields are atomics, so a reader racing with a writer reads
 * stale-but-defined values that the sequence check throws away.  Fields
 * are stored with release and loaded with acquire rather than relaxed
 * around fences: a reader that sees any field a writer stored then also
 * sees that writer's odd sequence when it re-checks (Boehm, "Can seqlocks
 * get along with programming language memory models?", 2012).  It costs
 * nothing on x86, and ThreadSanitizer, which ignores standalone fences,
 * can check it.
 *
 * Lookups stay correct without a lock because a slot on the probe path of
 * a present name never becomes empty: removal leaves a tombstone, and a
 * tombstone turns back into an empty slot only when the slot after it is
 * empty too, i.e. when no probe path runs through it.
 */
#include "names.h"
#include "robust.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

enum { EMPTY = 0, USED = 1, TOMB = 2 };

/* A reader that sees an odd sequence this many times in a row yields; after
 * LOCK_SPINS it takes the lock, which waits for a live writer or, if the
 * writer died mid-write, repairs the slot. */
#define YIELD_SPINS 64
#define LOCK_SPINS 4096

struct slot {
	_Atomic uint32_t seq; /* even: stable; odd: being written */
	_Atomic uint32_t state;
	_Atomic uint32_t handle;
	_Atomic char name[NAMES_MAXLEN + 1];
};

struct names {
	pthread_mutex_t lock;
	uint32_t mask; /* slots - 1 */
	struct slot slot[];
};

size_t names_size(unsigned slots) {
	assert(slots && (slots & (slots - 1)) == 0);
	return sizeof(struct names) + (size_t)slots * sizeof(struct slot);
}

void names_init(struct names *t, unsigned slots) {
	assert(slots && (slots & (slots - 1)) == 0);
	/* The memory is zero-filled: every slot is EMPTY with an even seq. */
	t->mask = slots - 1;
	robust_init(&t->lock);
}

/* Length of a valid name, or 0 for NULL, empty or too long. */
static size_t name_len(const char *name) {
	size_t n;

	if (name == NULL)
		return 0;
	n = strnlen(name, NAMES_MAXLEN + 1);
	return n > NAMES_MAXLEN ? 0 : n;
}

/* FNV-1a, then a murmur3 finaliser so that the low bits we mask with
 * depend on every byte: linear probing suffers from clustered hashes. */
static uint32_t hash(const char *s, size_t len) {
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* PUT and GET move slot fields that readers may race on.  LOAD is for
 * the writer: the mutex already orders it after every earlier writer. */
#define PUT(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define GET(p) atomic_load_explicit((p), memory_order_acquire)
#define LOAD(p) atomic_load_explicit((p), memory_order_relaxed)

/* ---- writer side: the caller holds t->lock ---- */

static void write_begin(struct slot *s) {
	/* Relaxed is enough: the release PUTs that follow publish it. */
	atomic_store_explicit(&s->seq, LOAD(&s->seq) + 1, memory_order_relaxed);
}

static void write_end(struct slot *s) {
	atomic_store_explicit(&s->seq, LOAD(&s->seq) + 1, memory_order_release);
}

static void slot_clear(struct slot *s, uint32_t state) {
	PUT(&s->state, state);
	PUT(&s->handle, 0);
	PUT(&s->name[0], 0);
}

/* Called with the lock held when its last holder died: any slot it left
 * odd may be half-written.  A tombstone is always safe -- it keeps probe
 * paths intact and holds no name -- so the interrupted insert or remove
 * simply counts as a remove.  Idempotent, in case we die here too. */
static void repair(void *ud) {
	struct names *t = ud;

	for (uint32_t i = 0; i <= t->mask; i++) {
		struct slot *s = &t->slot[i];

		if (LOAD(&s->seq) & 1) {
			slot_clear(s, TOMB);
			write_end(s);
		}
	}
}

static bool slot_is(struct slot *s, const char *name, size_t len) {
	/* len + 1 bytes: the stored name must end where ours does. */
	for (size_t i = 0; i <= len; i++)
		if (GET(&s->name[i]) != name[i])
			return false;
	return true;
}

/* Turn the tombstone at i, and the tombstones before it, back into empty
 * slots if the slot after i is empty: no probe path crosses them then, and
 * lookups for absent names stop sooner. */
static void sweep(struct names *t, uint32_t i) {
	if (LOAD(&t->slot[(i + 1) & t->mask].state) != EMPTY)
		return;
	for (uint32_t n = 0; n <= t->mask; n++, i = (i - 1) & t->mask) {
		struct slot *s = &t->slot[i];

		if (LOAD(&s->state) != TOMB)
			break;
		write_begin(s);
		PUT(&s->state, EMPTY);
		write_end(s);
	}
}

static void slot_remove(struct names *t, uint32_t i) {
	struct slot *s = &t->slot[i];

	write_begin(s);
	slot_clear(s, TOMB);
	write_end(s);
	sweep(t, i);
}

static int insert_locked(struct names *t, const char *name, size_t len,
                         uint32_t handle) {
	uint32_t i = hash(name, len) & t->mask;
	struct slot *s, *hole = NULL;

	/* Walk the whole probe path: the name may sit past a tombstone we
	 * would otherwise reuse. */
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		uint32_t st;

		s = &t->slot[i];
		st = LOAD(&s->state);
		if (st == USED) {
			if (slot_is(s, name, len))
				return -EEXIST;
			continue;
		}
		if (hole == NULL)
			hole = s;
		if (st == EMPTY)
			break;
	}
	if (hole == NULL)
		return -ENOSPC;
	write_begin(hole);
	for (size_t k = 0; k <= len; k++)
		PUT(&hole->name[k], name[k]);
	PUT(&hole->handle, handle);
	PUT(&hole->state, USED);
	write_end(hole);
	return 0;
}

/* Handle 0 is rejected: names_lookup returns 0 for "no such name". */
int names_insert(struct names *t, const char *name, uint32_t handle) {
	size_t len = name_len(name);
	int r;

	if (len == 0 || handle == 0)
		return -EINVAL;
	robust_lock(&t->lock, repair, t);
	r = insert_locked(t, name, len, handle);
	robust_unlock(&t->lock);
	return r;
}

static int remove_handle(struct names *t, uint32_t handle, bool dot_only) {
	int n = 0;

	robust_lock(&t->lock, repair, t);
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct slot *s = &t->slot[i];

		if (LOAD(&s->state) == USED && LOAD(&s->handle) == handle &&
		    (!dot_only || LOAD(&s->name[0]) == '.')) {
			slot_remove(t, i);
			n++;
		}
	}
	robust_unlock(&t->lock);
	return n;
}

int names_remove_handle(struct names *t, uint32_t handle) {
	return remove_handle(t, handle, false);
}

int names_remove_local(struct names *t, uint32_t handle) {
	return remove_handle(t, handle, true);
}

/* Rebind a present name in place: its slot keeps its probe position. */
static bool rebind_locked(struct names *t, const char *name, size_t len,
                          uint32_t handle, uint32_t *old) {
	uint32_t i = hash(name, len) & t->mask;

	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct slot *s = &t->slot[i];
		uint32_t st = LOAD(&s->state);

		if (st == EMPTY)
			return false;
		if (st == USED && slot_is(s, name, len)) {
			*old = LOAD(&s->handle);
			write_begin(s);
			PUT(&s->handle, handle);
			write_end(s);
			return true;
		}
	}
	return false;
}

int names_set(struct names *t, const char *name, uint32_t handle, uint32_t *old) {
	size_t len = name_len(name);
	int r;

	*old = 0;
	if (len == 0 || handle == 0)
		return -EINVAL;
	robust_lock(&t->lock, repair, t);
	r = insert_locked(t, name, len, handle);
	if (r == -EEXIST)
		r = rebind_locked(t, name, len, handle, old) ? 0 : -EEXIST;
	robust_unlock(&t->lock);
	return r;
}

/* pred runs under the lock (and with no slot mid-write); it must not call
 * names_insert or names_remove_*. */
int names_remove_if(struct names *t, bool (*pred)(uint32_t handle, void *ud),
                    void *ud) {
	int n = 0;

	robust_lock(&t->lock, repair, t);
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct slot *s = &t->slot[i];

		if (LOAD(&s->state) == USED && pred(LOAD(&s->handle), ud)) {
			slot_remove(t, i);
			n++;
		}
	}
	robust_unlock(&t->lock);
	return n;
}

/* ---- reader side: no lock ---- */

static uint32_t read_begin(struct names *t, struct slot *s) {
	for (unsigned spins = 1;; spins++) {
		uint32_t q = atomic_load_explicit(&s->seq, memory_order_acquire);

		if ((q & 1) == 0)
			return q;
		if (spins % LOCK_SPINS == 0) {
			robust_lock(&t->lock, repair, t);
			robust_unlock(&t->lock);
		} else if (spins % YIELD_SPINS == 0) {
			sched_yield();
		}
	}
}

/* True if a writer touched the slot since read_begin returned q. */
static bool read_retry(struct slot *s, uint32_t q) {
	/* Our field loads were acquires, so this load cannot move above them,
	 * and if one of them saw a store made after seq went odd, this sees
	 * seq moved on. */
	return LOAD(&s->seq) != q;
}

/* The slot's state; *handle is set if it holds `name`, else 0. */
static uint32_t read_match(struct names *t, struct slot *s, const char *name,
                           size_t len, uint32_t *handle) {
	uint32_t q, st;

	do {
		q = read_begin(t, s);
		st = GET(&s->state);
		*handle = 0;
		if (st == USED && slot_is(s, name, len))
			*handle = GET(&s->handle);
	} while (read_retry(s, q));
	return st;
}

uint32_t names_lookup(struct names *t, const char *name) {
	size_t len = name_len(name);
	uint32_t i, handle;

	if (len == 0)
		return 0;
	i = hash(name, len) & t->mask;
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		if (read_match(t, &t->slot[i], name, len, &handle) == EMPTY)
			return 0;
		if (handle)
			return handle;
	}
	return 0;
}

/* A consistent copy of the slot into name/handle; returns its state. */
static uint32_t read_copy(struct names *t, struct slot *s,
                          char name[NAMES_MAXLEN + 1], uint32_t *handle) {
	uint32_t q, st;

	do {
		q = read_begin(t, s);
		st = GET(&s->state);
		*handle = GET(&s->handle);
		for (size_t i = 0; i <= NAMES_MAXLEN; i++)
			if ((name[i] = GET(&s->name[i])) == '\0')
				break;
	} while (read_retry(s, q));
	name[NAMES_MAXLEN] = '\0';
	return st;
}

void names_each(struct names *t,
                void (*fn)(const char *name, uint32_t handle, void *ud),
                void *ud) {
	char name[NAMES_MAXLEN + 1];
	uint32_t handle;

	for (uint32_t i = 0; i <= t->mask; i++)
		if (read_copy(t, &t->slot[i], name, &handle) == USED)
			fn(name, handle, ud);
}
