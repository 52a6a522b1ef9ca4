/* buf.c -- a growable byte buffer (see buf.h). */
#include "harbor/buf.h"

#include <stdlib.h>
#include <string.h>

#define KEEP_BYTES ((size_t)1 << 20)

int harbor_buf_reserve(struct harbor_buf *b, size_t more)
{
	if (more <= b->cap - b->end)
		return 0;
	size_t pending = b->end - b->start;
	/* Consumed bytes at the front are reused before growing.  This moves
	 * only when the buffer would otherwise grow, so a socket that takes a
	 * big buffer a little at a time does not cost a move per write. */
	if (b->start > 0 && more <= b->cap - pending) {
		memmove(b->data, b->data + b->start, pending);
		b->start = 0;
		b->end = pending;
		return 0;
	}
	if (more > (size_t)-1 / 4 - pending)
		return -1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < pending + more)
		cap *= 2; /* amortised O(1) appends */
	unsigned char *p = malloc(cap);
	if (!p)
		return -1;
	if (pending)
		memcpy(p, b->data + b->start, pending);
	free(b->data);
	b->data = p;
	b->start = 0;
	b->end = pending;
	b->cap = cap;
	return 0;
}

void harbor_buf_consume(struct harbor_buf *b, size_t n)
{
	if (n >= b->end - b->start) {
		b->start = b->end = 0;
		/* A link that once sent a 16 MiB message should not hold 16 MiB
		 * for the rest of its life; a drained big buffer goes. */
		if (b->cap > KEEP_BYTES)
			harbor_buf_free(b);
		return;
	}
	b->start += n;
}

void harbor_buf_free(struct harbor_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->start = b->end = b->cap = 0;
}
