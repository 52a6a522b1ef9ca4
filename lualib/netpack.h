/* netpack.h -- the gate's length protocol, byte level.
 *
 * A packet on the wire is a 2-byte big-endian size (not counting itself)
 * and then that many bytes, so at most 65535.  A queue cuts the byte
 * streams of many sockets into packets: it keeps each socket's unfinished
 * packet until the rest arrives, and holds finished packets until they are
 * popped.  netpack.c builds skynet.netpack on top of this; the functions
 * here need neither Lua nor a node, so a fuzz target drives them alone.
 */
#ifndef ACTORD_NETPACK_H
#define ACTORD_NETPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETPACK_HEADER 2
#define NETPACK_MAX 65535

/* A finished packet: `data` is malloc'ed (never NULL, even for size 0)
 * and belongs to whoever took the packet. */
struct netpack_packet {
	int id;
	uint32_t size;
	uint8_t *data;
};

struct netpack_partial;

struct netpack_queue {
	uint32_t limit;                   /* largest size accepted */
	struct netpack_packet *ring;      /* finished packets, oldest at head */
	uint32_t cap, head, count;
	struct netpack_partial **bucket;  /* sockets with a packet under way */
	uint32_t nbucket, npartial;
};

enum netpack_result {
	NETPACK_NONE,    /* nothing finished */
	NETPACK_ONE,     /* one packet, in *one; nothing was queued */
	NETPACK_MORE,    /* packets were queued: pop them */
	NETPACK_TOOBIG,  /* a size over the limit, in *bad; see netpack_feed */
	NETPACK_NOMEM,   /* out of memory; the socket is refused as for TOOBIG */
};

/* An empty queue taking packets of up to `limit` bytes (capped at
 * NETPACK_MAX).  It holds no memory until used. */
void netpack_init(struct netpack_queue *q, uint32_t limit);
void netpack_set_limit(struct netpack_queue *q, uint32_t limit);
/* Free every packet and unfinished packet; the queue stays usable. */
void netpack_clear(struct netpack_queue *q);

/* Take n bytes read from socket `id`.  Packets finished by them come back
 * as NETPACK_ONE (when it is the only one and the queue was empty, so the
 * caller can skip the queue) or are queued (NETPACK_MORE).  On
 * NETPACK_TOOBIG or NETPACK_NOMEM the packets finished before the bad
 * header are queued, and the socket is refused: its later bytes are
 * dropped until netpack_forget, since there is no way to find the next
 * packet boundary again. */
enum netpack_result netpack_feed(struct netpack_queue *q, int id,
                                 const uint8_t *p, size_t n,
                                 struct netpack_packet *one, uint32_t *bad);

/* The oldest queued packet; false when there is none. */
bool netpack_pop(struct netpack_queue *q, struct netpack_packet *out);

/* The socket is gone (closed) or new (accepted under a reused id): drop
 * its unfinished packet.  Returns how many bytes of it were dropped.
 * Packets of it already queued stay queued. */
size_t netpack_forget(struct netpack_queue *q, int id);

/* Bytes of socket id's unfinished packet held (header included). */
size_t netpack_pending(const struct netpack_queue *q, int id);

#endif
