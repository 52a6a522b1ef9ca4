/* pending.c -- messages waiting for a global name (see pending.h). */
#include "harbor/pending.h"

#include <stdlib.h>
#include <string.h>

void pending_init(struct pending *p)
{
	p->head = NULL;
	p->tail = &p->head;
	p->count = p->bytes = 0;
}

int pending_add(struct pending *p, const char *name, unsigned worker,
                const struct harbor_msg *m, const void *data, uint32_t size)
{
	size_t len = strnlen(name, PENDING_NAME_MAX + 1);
	if (len == 0 || len > PENDING_NAME_MAX || p->count >= PENDING_MAX_MSGS ||
	    size > PENDING_MAX_BYTES - p->bytes)
		return -1;
	struct pending_msg *pm = malloc(sizeof *pm + size);
	if (!pm)
		return -1;
	pm->next = NULL;
	memcpy(pm->name, name, len + 1);
	pm->worker = worker;
	pm->m = *m;
	pm->size = size;
	if (size)
		memcpy(pm->data, data, size);
	*p->tail = pm;
	p->tail = &pm->next;
	p->count++;
	p->bytes += size;
	return 0;
}

void pending_take(struct pending *p, const char *name,
                  void (*fn)(const struct pending_msg *pm, void *ud), void *ud)
{
	struct pending_msg **at = &p->head;
	while (*at) {
		struct pending_msg *pm = *at;
		if (strcmp(pm->name, name) != 0) {
			at = &pm->next;
			continue;
		}
		*at = pm->next;
		p->count--;
		p->bytes -= pm->size;
		fn(pm, ud);
		free(pm);
	}
	p->tail = at;
	/* `at` ended on the last next pointer: the list's new tail. */
}

void pending_free(struct pending *p)
{
	while (p->head) {
		struct pending_msg *pm = p->head;
		p->head = pm->next;
		free(pm);
	}
	pending_init(p);
}
