/* mailbox.h -- a service's private FIFO of messages.
 *
 * A growable circular array of plain message records.  Only the service's
 * own worker touches it, so it needs no synchronisation.
 */
#ifndef ACTORD_WORKER_MAILBOX_H
#define ACTORD_WORKER_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msg {
	uint32_t source;
	int32_t session;
	uint32_t type;
	void *data;
	size_t sz;
};

struct mailbox {
	struct msg *q;
	uint32_t cap, head, n;
};

void mailbox_init(struct mailbox *m);
void mailbox_free(struct mailbox *m); /* the caller drains it first */
void mailbox_push(struct mailbox *m, const struct msg *msg);
bool mailbox_pop(struct mailbox *m, struct msg *out);
static inline uint32_t mailbox_len(const struct mailbox *m) { return m->n; }

#endif
