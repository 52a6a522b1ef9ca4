/* sockdir.c -- node-wide socket ids (see sockdir.h). */
#include "shm/sockdir.h"

#define SOCKID_MAX 0x7fffffffu

static uint64_t pack(uint32_t id, unsigned worker)
{
	return (uint64_t)id << 32 | (worker + 1u);
}

size_t sockdir_size(uint32_t slots)
{
	return sizeof(struct sockdir) + (size_t)slots * sizeof(uint64_t);
}

void sockdir_init(struct sockdir *d, uint32_t slots)
{
	d->slots = slots;
	atomic_store(&d->next, 1);
	/* The memfd is zeroed: every slot starts free. */
}

int sockdir_alloc(struct sockdir *d, unsigned worker)
{
	for (uint32_t tries = 0; tries < d->slots; tries++) {
		uint32_t id = atomic_fetch_add(&d->next, 1) & SOCKID_MAX;
		if (id == 0)
			continue;
		_Atomic uint64_t *s = &d->slot[id & (d->slots - 1)];
		uint64_t free_ = 0;
		if (atomic_compare_exchange_strong(s, &free_, pack(id, worker)))
			return (int)id;
	}
	return -1;
}

int sockdir_worker(struct sockdir *d, int id)
{
	if (id <= 0)
		return -1;
	uint64_t v = atomic_load_explicit(&d->slot[(uint32_t)id & (d->slots - 1)],
	                                  memory_order_acquire);
	if ((v >> 32) != (uint32_t)id || (v & 0xffffffffu) == 0)
		return -1;
	return (int)(v & 0xffffffffu) - 1;
}

void sockdir_move(struct sockdir *d, int id, unsigned worker)
{
	atomic_store_explicit(&d->slot[(uint32_t)id & (d->slots - 1)],
	                      pack((uint32_t)id, worker), memory_order_release);
}

void sockdir_free(struct sockdir *d, int id)
{
	_Atomic uint64_t *s = &d->slot[(uint32_t)id & (d->slots - 1)];
	uint64_t v = atomic_load(s);
	if ((v >> 32) == (uint32_t)id)
		atomic_compare_exchange_strong(s, &v, 0);
}

unsigned sockdir_free_worker(struct sockdir *d, unsigned worker,
                             void (*fn)(int id, void *ud), void *ud)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < d->slots; i++) {
		uint64_t v = atomic_load_explicit(&d->slot[i], memory_order_relaxed);
		if (v == 0 || (v & 0xffffffffu) != worker + 1u)
			continue;
		if (!atomic_compare_exchange_strong(&d->slot[i], &v, 0))
			continue;
		if (fn)
			fn((int)(v >> 32), ud);
		n++;
	}
	return n;
}
