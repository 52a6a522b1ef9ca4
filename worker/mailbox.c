/* mailbox.c -- a service's private message FIFO: see mailbox.h. */
#include "worker/mailbox.h"

#include <stdlib.h>
#include <string.h>

#define MAILBOX_MIN 8

void mailbox_init(struct mailbox *m)
{
	memset(m, 0, sizeof *m);
}

void mailbox_free(struct mailbox *m)
{
	free(m->q);
	memset(m, 0, sizeof *m);
}

static void grow(struct mailbox *m)
{
	uint32_t cap = m->cap ? m->cap * 2 : MAILBOX_MIN;
	struct msg *q = malloc(cap * sizeof *q);
	if (!q)
		abort(); /* out of memory: nothing sane to do in a worker */
	for (uint32_t i = 0; i < m->n; i++)
		q[i] = m->q[(m->head + i) & (m->cap - 1)];
	free(m->q);
	m->q = q;
	m->cap = cap;
	m->head = 0;
}

void mailbox_push(struct mailbox *m, const struct msg *msg)
{
	if (m->n == m->cap)
		grow(m);
	m->q[(m->head + m->n) & (m->cap - 1)] = *msg;
	m->n++;
}

bool mailbox_pop(struct mailbox *m, struct msg *out)
{
	if (m->n == 0)
		return false;
	*out = m->q[m->head];
	m->head = (m->head + 1) & (m->cap - 1);
	m->n--;
	if (m->n == 0 && m->cap > 65536) {
		/* A burst is over: give the memory back. */
		free(m->q);
		m->q = NULL;
		m->cap = 0;
		m->head = 0;
	}
	return true;
}
