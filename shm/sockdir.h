/* sockdir.h -- node-wide socket ids.
 *
 * A socket id names a socket anywhere in the node, whichever worker holds
 * its fd.  Each slot is one atomic word: the id living there and the worker
 * holding it.  Ids grow and wrap; a slot is found as id & (slots-1) and is
 * taken only when free, so an old id whose slot was reused finds a
 * different id there and is known to be stale.  Ids stay below 2^31 so
 * they fit a Lua integer and a C int.
 */
#ifndef ACTORD_SHM_SOCKDIR_H
#define ACTORD_SHM_SOCKDIR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct sockdir {
	uint32_t slots;             /* power of two */
	_Atomic uint32_t next;      /* next id to try */
	_Atomic uint64_t slot[];    /* id << 32 | worker + 1, or 0 when free */
};

size_t sockdir_size(uint32_t slots);
void sockdir_init(struct sockdir *d, uint32_t slots);

/* A fresh id held by `worker`, or -1 when every slot is taken. */
int sockdir_alloc(struct sockdir *d, unsigned worker);
/* The worker holding `id`, or -1 if the id is not live. */
int sockdir_worker(struct sockdir *d, int id);
/* Hand a live id to another worker. */
void sockdir_move(struct sockdir *d, int id, unsigned worker);
void sockdir_free(struct sockdir *d, int id);
/* Free every id held by `worker` (it died); fn sees each.  Returns how many. */
unsigned sockdir_free_worker(struct sockdir *d, unsigned worker,
                             void (*fn)(int id, void *ud), void *ud);

#endif
