/* ring.h -- single-producer / single-consumer byte ring in shared memory.
 *
 * One ring carries messages from one endpoint (worker, sidecar,
 * supervisor) to another.  The shared part holds only the two positions and
 * the bytes; each side keeps its own cursor in private memory (ring_tx,
 * ring_rx), so a crash on one side never leaves the other waiting on a lock.
 *
 * Records are a ring_hdr followed by the payload, padded to 8 bytes.  A
 * record may be larger than the ring: the producer streams it in pieces as
 * space frees up (ring_tx_push with a progress cursor) and the consumer
 * reassembles it (ring_rx_next), so a 16 MiB message crosses a 1 MiB ring.
 */
#ifndef ACTORD_SHM_RING_H
#define ACTORD_SHM_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_hdr {
	uint32_t size;    /* payload bytes */
	uint32_t type;    /* ACTORD_PTYPE_*, or a runtime control code */
	int32_t session;
	uint32_t source;
	uint32_t dest;
	uint32_t aux;     /* free for the transport's own use */
};

struct ring {
	_Alignas(64) _Atomic uint64_t tail; /* bytes ever written; producer */
	_Alignas(64) _Atomic uint64_t head; /* bytes ever read; consumer */
	_Alignas(64) uint64_t capacity;     /* power of two */
	unsigned char data[];
};

/* Bytes of shared memory for a ring of `capacity` (a power of two). */
size_t ring_size(size_t capacity);
void ring_init(struct ring *r, size_t capacity);

struct ring_tx {
	struct ring *r;
	uint64_t tail;       /* next byte to write, not yet published */
	uint64_t head_cache; /* last head seen */
};

void ring_tx_attach(struct ring_tx *tx, struct ring *r);
/* Write as much of the record as fits, starting at *progress (0 for a new
 * record; counts header, payload and padding).  Returns true when the whole
 * record is in the ring.  Nothing is visible to the consumer until
 * ring_tx_commit. */
bool ring_tx_push(struct ring_tx *tx, const struct ring_hdr *h,
                  const void *payload, size_t *progress);
/* Publish everything pushed so far.  Returns true if anything new became
 * visible. */
bool ring_tx_commit(struct ring_tx *tx);

struct ring_rx {
	struct ring *r;
	uint64_t head;       /* next byte to read, not yet released */
	uint64_t tail_cache; /* last tail seen */
	struct ring_hdr cur; /* record being reassembled */
	unsigned char *buf;  /* its payload (malloc'ed) */
	size_t got;          /* bytes of the record read so far */
};

void ring_rx_attach(struct ring_rx *rx, struct ring *r);
/* Returns true and fills *h and *payload (malloc'ed, owned by the caller;
 * NULL when h->size is 0) when a whole record has arrived. */
bool ring_rx_next(struct ring_rx *rx, struct ring_hdr *h, void **payload);
/* Release the bytes read so far to the producer. */
void ring_rx_commit(struct ring_rx *rx);
/* Hand each whole record to fn (which owns the payload) until none is
 * left or `max` have been handed; then release their bytes with one
 * commit.  Returns how many records fn got.  The consumer loop shared by
 * the workers and the sidecar: the cap keeps one busy ring from starving
 * the others, the single commit keeps the shared head's cache line quiet. */
typedef void ring_rx_fn(void *ud, const struct ring_hdr *h, void *payload);
unsigned ring_rx_drain(struct ring_rx *rx, unsigned max, ring_rx_fn *fn, void *ud);
/* The producer restarted and writes to `r` now: hand fn the whole records
 * its dead incarnation finished (when rx was attached: `drain`), drop a
 * partial one, and attach to r past every byte published there so far. */
void ring_rx_reattach(struct ring_rx *rx, bool drain, struct ring *r,
                      ring_rx_fn *fn, void *ud);
/* True if the producer has published bytes not yet read. */
bool ring_rx_pending(struct ring_rx *rx);
/* Drop a partly reassembled record (after its producer died). */
void ring_rx_drop_partial(struct ring_rx *rx);

/* Recovery after the other side died (see route.c): the consumer skips
 * every byte published so far; the producer moves the dead consumer's head
 * up to its own tail, discarding what was never read. */
void ring_rx_discard(struct ring_rx *rx);
void ring_tx_discard(struct ring_tx *tx);

#endif
