/* segment.c -- create and lay out the shared-memory segment.
 *
 * A memfd sized once, mapped MAP_SHARED before the first fork.  Tables
 * that may be large (the directory, rings) cost nothing until touched:
 * shmem pages are allocated on first write.
 */
#include "shm/segment.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Offsets of every table, in one place so create and checks agree. */
static void layout(struct seg_header *h, const struct seg_params *p)
{
	const size_t page = 4096;
	size_t eps = h->nendpoints;
	size_t off = align_up(sizeof *h, 64);

	h->off_endpoints = off;
	off = align_up(off + eps * sizeof(struct endpoint), 64);
	h->off_ready = off;
	off = align_up(off + eps * eps * sizeof(uint64_t), page);
	h->off_dir = off;
	off = align_up(off + directory_size(p->max_services), page);
	h->off_names = off;
	off = align_up(off + names_size(p->name_slots), page);
	h->off_env = off;
	off = align_up(off + envstore_size(p->env_slots, p->env_arena), page);
	h->off_socks = off;
	off = align_up(off + sockdir_size(p->max_sockets), page);
	h->ring_stride = align_up(ring_size(p->ring_capacity), page);
	h->off_rings = off;
	off += eps * eps * h->ring_stride;
	h->size = off;
}

int segment_create(struct segment *s, const struct seg_params *p)
{
	struct seg_header tmp = {0};
	if (p->nworkers == 0 || p->nworkers > SEG_MAX_WORKERS)
		return -EINVAL;
	if (p->max_sockets == 0 || (p->max_sockets & (p->max_sockets - 1)))
		return -EINVAL;
	if (p->ring_capacity < 4096 || (p->ring_capacity & (p->ring_capacity - 1)))
		return -EINVAL;
	tmp.nworkers = p->nworkers;
	tmp.nendpoints = p->nworkers + 2;
	layout(&tmp, p);

	int fd = memfd_create("actord", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)tmp.size) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	void *base = mmap(NULL, tmp.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	s->base = base;
	s->fd = fd;
	s->h = base;
	*s->h = tmp;
	struct seg_header *h = s->h;
	h->magic = SEG_MAGIC;
	h->version = SEG_VERSION;
	h->harbor = p->harbor;
	h->ring_capacity = p->ring_capacity;
	h->start_mono_ns = mono_ns();
	h->start_real = (uint64_t)time(NULL);
	h->supervisor_pid = getpid();

	directory_init(seg_directory(s), p->max_services);
	names_init(seg_names(s), p->name_slots);
	envstore_init(seg_env(s), p->env_slots, p->env_arena);
	sockdir_init(seg_sockdir(s), p->max_sockets);
	for (unsigned i = 0; i < h->nendpoints; i++) {
		struct endpoint *e = seg_endpoint(s, i);
		atomic_store(&e->generation, 1);
		e->wakefd = -1;
		e->passfd[0] = e->passfd[1] = -1;
		for (unsigned j = 0; j < h->nendpoints; j++) {
			if (i == j)
				continue;
			ring_init(seg_ring(s, i, j), p->ring_capacity);
			atomic_store(seg_ready(s, i, j), seg_genpair(1, 1));
		}
	}
	return 0;
}

void segment_destroy(struct segment *s)
{
	if (s->base)
		munmap(s->base, s->h->size);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}
