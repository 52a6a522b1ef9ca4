/* pending.h -- messages sent to a global name that this node has not
 * learned yet.  The sidecar holds them, in the order they were sent,
 * until the master announces the name, as skynet's harbor does; then
 * they go to the name's handle.
 *
 * Bounded (PENDING_MAX_MSGS, PENDING_MAX_BYTES): a service that sends
 * without end to a name nobody binds cannot make the sidecar grow without
 * end.  What does not fit is refused, and a call among it fails.
 */
#ifndef ACTORD_HARBOR_PENDING_H
#define ACTORD_HARBOR_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "harbor/frame.h"

#define PENDING_NAME_MAX 63
#define PENDING_MAX_MSGS 65536
#define PENDING_MAX_BYTES ((size_t)64 << 20)

struct pending_msg {
	struct pending_msg *next;
	char name[PENDING_NAME_MAX + 1];
	unsigned worker;              /* the sender's worker, for an error */
	struct harbor_msg m;          /* dest: 0 until the name is known */
	uint32_t size;
	unsigned char data[];
};

struct pending {
	struct pending_msg *head, **tail;
	size_t count, bytes;
};

void pending_init(struct pending *p);
/* Hold a copy of a message for `name`.  0, or -1 if over the bounds (or
 * out of memory, or the name is too long). */
int pending_add(struct pending *p, const char *name, unsigned worker,
                const struct harbor_msg *m, const void *data, uint32_t size);
/* Hand every message held for `name` to fn, oldest first, then free it.
 * fn must not call pending_add. */
void pending_take(struct pending *p, const char *name,
                  void (*fn)(const struct pending_msg *pm, void *ud), void *ud);
void pending_free(struct pending *p);

#endif
