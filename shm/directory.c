/* directory.c -- the handle directory: see directory.h. */
#include "shm/directory.h"

static inline uint32_t pack(enum dir_state s, unsigned owner)
{
	return (uint32_t)s << 16 | (owner & 0xffff);
}

size_t directory_size(uint32_t slots)
{
	return sizeof(struct directory) + (size_t)slots * sizeof(uint32_t);
}

void directory_init(struct directory *d, uint32_t slots)
{
	if (slots > HANDLE_MASK + 1)
		slots = HANDLE_MASK + 1;
	d->slots = slots;
	atomic_store(&d->next, 1);
}

uint32_t directory_alloc(struct directory *d, unsigned owner)
{
	uint32_t id = atomic_fetch_add_explicit(&d->next, 1, memory_order_relaxed);
	if (id >= d->slots) {
		/* Keep `next` from wrapping after many failed attempts. */
		atomic_store_explicit(&d->next, d->slots, memory_order_relaxed);
		return 0;
	}
	atomic_store_explicit(&d->entry[id], pack(DIR_ALIVE, owner),
	                      memory_order_release);
	return id;
}

enum dir_state directory_get(struct directory *d, uint32_t id, unsigned *owner)
{
	id &= HANDLE_MASK;
	if (id == 0 || id >= d->slots)
		return DIR_FREE;
	uint32_t w = atomic_load_explicit(&d->entry[id], memory_order_acquire);
	if (owner)
		*owner = w & 0xffff;
	return (enum dir_state)(w >> 16);
}

void directory_kill(struct directory *d, uint32_t id)
{
	id &= HANDLE_MASK;
	if (id == 0 || id >= d->slots)
		return;
	uint32_t w = atomic_load_explicit(&d->entry[id], memory_order_relaxed);
	atomic_store_explicit(&d->entry[id], pack(DIR_DEAD, w & 0xffff),
	                      memory_order_release);
}

uint32_t directory_high(struct directory *d)
{
	uint32_t n = atomic_load_explicit(&d->next, memory_order_acquire);
	return n < d->slots ? n : d->slots;
}

uint32_t directory_kill_owner(struct directory *d, unsigned owner,
                              void (*fn)(uint32_t id, void *ud), void *ud)
{
	uint32_t n = 0, high = directory_high(d);
	for (uint32_t id = 1; id < high; id++) {
		uint32_t w = atomic_load_explicit(&d->entry[id], memory_order_acquire);
		if (w != pack(DIR_ALIVE, owner))
			continue;
		directory_kill(d, id);
		n++;
		if (fn)
			fn(id, ud);
	}
	return n;
}
