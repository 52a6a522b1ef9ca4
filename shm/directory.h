/* directory.h -- the node-wide handle directory.
 *
 * One atomic word per 24-bit local id says whether the service is alive and
 * which worker owns it.  Ids are handed out in increasing order and never
 * reused, so a stale handle can only ever find a dead entry.  The owner (or
 * the supervisor, for a dead worker) writes an entry; anyone reads it.
 */
#ifndef ACTORD_SHM_DIRECTORY_H
#define ACTORD_SHM_DIRECTORY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HANDLE_MASK 0xffffffu

enum dir_state { DIR_FREE = 0, DIR_ALIVE = 1, DIR_DEAD = 2 };

struct directory {
	uint32_t slots;            /* ids 1..slots-1 are usable */
	_Atomic uint32_t next;     /* next id to hand out */
	_Atomic uint32_t entry[];  /* state << 16 | owner */
};

size_t directory_size(uint32_t slots);
void directory_init(struct directory *d, uint32_t slots);

/* A fresh id owned by `owner`, or 0 when ids are exhausted. */
uint32_t directory_alloc(struct directory *d, unsigned owner);
/* State of id, and its owner through *owner (kept after death). */
enum dir_state directory_get(struct directory *d, uint32_t id,
                             unsigned *owner);
void directory_kill(struct directory *d, uint32_t id);
/* Mark every live id owned by `owner` dead; calls fn for each.  Returns
 * how many. */
uint32_t directory_kill_owner(struct directory *d, unsigned owner,
                              void (*fn)(uint32_t id, void *ud), void *ud);
/* Ids handed out so far, plus one (upper bound for scans). */
uint32_t directory_high(struct directory *d);

#endif
