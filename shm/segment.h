/* segment.h -- the node's one shared-memory segment and its layout.
 *
 * The supervisor creates the segment (a memfd) before forking anything, so
 * every worker, and every replacement worker, maps it at the same address.
 * One header describes where each table lives; everything else is reached
 * through it.  Endpoints are the workers 0..nworkers-1, then the
 * supervisor, then the harbor sidecar; one ring per ordered pair.
 */
#ifndef ACTORD_SHM_SEGMENT_H
#define ACTORD_SHM_SEGMENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/directory.h"
#include "shm/envstore.h"
#include "shm/names.h"
#include "shm/ring.h"
#include "shm/sockdir.h"

#define SEG_MAGIC   0x5345474f54434141ull
#define SEG_VERSION 1
#define SEG_MAX_WORKERS 256

enum endpoint_state {
	EP_EMPTY = 0, EP_STARTING, EP_RUNNING, EP_STOPPED, EP_DEAD
};

/* What one endpoint tells the others and the supervisor.  Fields a worker
 * writes for monitoring are relaxed atomics: they are hints, not sync. */
struct endpoint {
	_Alignas(64) _Atomic int32_t pid;
	_Atomic uint32_t state;        /* enum endpoint_state */
	_Atomic uint32_t generation;   /* bumped each time the slot restarts */
	_Atomic uint32_t sleeping;     /* set while blocked; producers kick */
	int wakefd;                    /* eventfd, inherited from the supervisor */
	int passfd[2];                 /* datagram pair moving socket fds here:
	                                  [0] read by this endpoint, [1] sent to */
	_Alignas(64) _Atomic uint64_t heartbeat;
	_Atomic uint32_t cur_handle;   /* service being run, 0 when idle */
	_Atomic uint32_t cur_type;
	_Atomic uint64_t cur_since;    /* monotonic ns */
	_Atomic uint64_t msgs;         /* messages dispatched */
	_Atomic uint32_t services;     /* services hosted */
};

struct seg_header {
	uint64_t magic;
	uint32_t version;
	uint32_t nworkers;
	uint32_t nendpoints;           /* nworkers + supervisor + sidecar */
	uint32_t harbor;
	uint64_t ring_capacity;
	uint64_t size;
	uint64_t off_endpoints, off_ready, off_dir, off_names, off_env, off_socks;
	uint64_t off_rings;
	uint64_t ring_stride;
	uint64_t start_mono_ns;        /* CLOCK_MONOTONIC at start */
	uint64_t start_real;           /* seconds since the epoch at start */
	int32_t supervisor_pid;
	_Atomic uint32_t logger;       /* logger service handle, 0 while none */
	_Atomic uint32_t stopping;     /* set by the supervisor on SIGTERM */
	_Atomic uint32_t place_rr;     /* round-robin cursor for placement */
	/* Harbor links, written by the sidecar alone: [0] the link to the
	 * master, [id] the link to node id.  Each counts its transitions, so
	 * odd means up, and a change of value means the link went down (or
	 * up) since it was last read, however briefly. */
	_Atomic uint32_t links[256];
};

struct segment {
	struct seg_header *h;
	unsigned char *base;
	int fd;
};

struct seg_params {
	unsigned nworkers;
	unsigned harbor;
	size_t ring_capacity;  /* bytes, power of two */
	uint32_t max_services;
	uint32_t max_sockets;  /* power of two */
	unsigned name_slots, env_slots;
	size_t env_arena;
};

/* Create and lay out a fresh segment.  Returns 0 or -errno. */
int segment_create(struct segment *s, const struct seg_params *p);
void segment_destroy(struct segment *s);

static inline unsigned seg_supervisor(const struct seg_header *h)
{
	return h->nworkers;
}
static inline unsigned seg_sidecar(const struct seg_header *h)
{
	return h->nworkers + 1;
}
static inline struct endpoint *seg_endpoint(struct segment *s, unsigned i)
{
	return (struct endpoint *)(s->base + s->h->off_endpoints) + i;
}
static inline struct directory *seg_directory(struct segment *s)
{
	return (struct directory *)(s->base + s->h->off_dir);
}
static inline struct names *seg_names(struct segment *s)
{
	return (struct names *)(s->base + s->h->off_names);
}
static inline struct sockdir *seg_sockdir(struct segment *s)
{
	return (struct sockdir *)(s->base + s->h->off_socks);
}
static inline struct envstore *seg_env(struct segment *s)
{
	return (struct envstore *)(s->base + s->h->off_env);
}
/* The ring carrying messages from endpoint `from` to endpoint `to`. */
static inline struct ring *seg_ring(struct segment *s, unsigned from,
                                    unsigned to)
{
	size_t i = (size_t)from * s->h->nendpoints + to;
	return (struct ring *)(s->base + s->h->off_rings + i * s->h->ring_stride);
}
/* The pair of generations (from << 32 | to) for which ring from->to is
 * clean.  When one side restarts, the survivor drains or discards what the
 * dead incarnation left in both rings of the pair and then stores the new
 * pair here; the newcomer uses a ring only once it reads its own pair. */
static inline _Atomic uint64_t *seg_ready(struct segment *s, unsigned from,
                                          unsigned to)
{
	size_t i = (size_t)from * s->h->nendpoints + to;
	return (_Atomic uint64_t *)(s->base + s->h->off_ready) + i;
}
static inline uint64_t seg_genpair(uint32_t from_gen, uint32_t to_gen)
{
	return (uint64_t)from_gen << 32 | to_gen;
}

#endif
