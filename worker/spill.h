/* spill.h -- a private, ordered FIFO of records waiting for room in a
 * ring.
 *
 * When a sender outruns the worker it sends to, the shared ring fills and
 * the records that do not fit go here, in the ring's own format (header,
 * payload, padding to 8), packed back to back in one growable buffer.
 * Spilling a record is one copy, not an allocation, so a sender that runs
 * ahead for a while costs little; the sender never blocks and nothing is
 * dropped.
 */
#ifndef ACTORD_WORKER_SPILL_H
#define ACTORD_WORKER_SPILL_H

#include <stdbool.h>
#include <stddef.h>

#include "shm/ring.h"

struct spill {
	unsigned char *buf;
	size_t cap, head, tail;   /* live records are buf[head, tail) */
	size_t progress;          /* bytes of the front record already in the ring */
	size_t count;
};

void spill_push(struct spill *s, const struct ring_hdr *h, const void *payload);
static inline bool spill_empty(const struct spill *s) { return s->head == s->tail; }
/* The front record; its payload stays valid until spill_pop. */
const struct ring_hdr *spill_front(struct spill *s, const void **payload);
void spill_pop(struct spill *s);
void spill_free(struct spill *s);

#endif
