/* spill.c -- records waiting for ring space: see spill.h. */
#include "worker/spill.h"

#include <stdlib.h>
#include <string.h>

#define SPILL_MIN   (64 << 10)
#define SPILL_KEEP  (256 << 10)  /* an empty buffer larger than this is freed */

static size_t record_size(uint32_t payload)
{
	return sizeof(struct ring_hdr) + (((size_t)payload + 7) & ~(size_t)7);
}

static void make_room(struct spill *s, size_t need)
{
	if (s->tail + need <= s->cap)
		return;
	size_t live = s->tail - s->head;
	if (s->head && live + need <= s->cap) {
		memmove(s->buf, s->buf + s->head, live);
	} else {
		size_t cap = s->cap ? s->cap : SPILL_MIN;
		while (cap < live + need)
			cap *= 2;
		unsigned char *b = malloc(cap);
		if (!b)
			abort();
		if (live)
			memcpy(b, s->buf + s->head, live);
		free(s->buf);
		s->buf = b;
		s->cap = cap;
	}
	s->head = 0;
	s->tail = live;
}

void spill_push(struct spill *s, const struct ring_hdr *h, const void *payload)
{
	size_t n = record_size(h->size);
	make_room(s, n);
	unsigned char *p = s->buf + s->tail;
	memcpy(p, h, sizeof *h);
	if (h->size)
		memcpy(p + sizeof *h, payload, h->size);
	s->tail += n;
	s->count++;
}

const struct ring_hdr *spill_front(struct spill *s, const void **payload)
{
	const struct ring_hdr *h = (const void *)(s->buf + s->head);
	*payload = h->size ? s->buf + s->head + sizeof *h : NULL;
	return h;
}

void spill_pop(struct spill *s)
{
	const struct ring_hdr *h = (const void *)(s->buf + s->head);
	s->head += record_size(h->size);
	s->progress = 0;
	s->count--;
	if (s->head == s->tail) {
		s->head = s->tail = 0;
		if (s->cap > SPILL_KEEP)
			spill_free(s);
	}
}

void spill_free(struct spill *s)
{
	free(s->buf);
	memset(s, 0, sizeof *s);
}
