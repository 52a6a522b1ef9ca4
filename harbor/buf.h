/* buf.h -- a growable byte buffer, the output side of a harbor link.
 *
 * Frames are appended at `end` (harbor/frame.h); the socket writes from
 * `data + start` and the bytes it took are then consumed.  Start from a
 * zeroed struct.
 */
#ifndef ACTORD_HARBOR_BUF_H
#define ACTORD_HARBOR_BUF_H

#include <stddef.h>

struct harbor_buf {
	unsigned char *data;
	size_t start; /* first byte not yet consumed */
	size_t end;   /* one past the last byte appended */
	size_t cap;   /* bytes allocated */
};

/* Bytes waiting to be written. */
static inline size_t harbor_buf_pending(const struct harbor_buf *b)
{
	return b->end - b->start;
}

/* Make room for `more` bytes at `end`.  0, or -1 when out of memory (the
 * buffer is unchanged). */
int harbor_buf_reserve(struct harbor_buf *b, size_t more);

/* Drop the n first pending bytes (those the socket took). */
void harbor_buf_consume(struct harbor_buf *b, size_t n);

void harbor_buf_free(struct harbor_buf *b);

#endif
