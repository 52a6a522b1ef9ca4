/* book.c -- the master's book of global names (see book.h). */
#include "harbor/book.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: names are short and come from the cluster's own nodes. */
static size_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding name, or the free slot where it would go. */
static struct book_entry *probe(const struct book *b, const char *name)
{
	size_t mask = b->cap - 1;
	for (size_t i = hash(name) & mask;; i = (i + 1) & mask) {
		struct book_entry *e = &b->slot[i];
		if (e->handle == 0 || strcmp(e->name, name) == 0)
			return e;
	}
}

/* Keep the load at most one half, so that probe always finds a free slot. */
static int grow(struct book *b)
{
	size_t cap = b->cap ? b->cap * 2 : 64;
	struct book_entry *old = b->slot;
	size_t oldcap = b->cap;
	b->slot = calloc(cap, sizeof *b->slot);
	if (!b->slot) {
		b->slot = old;
		return -1;
	}
	b->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].handle)
			*probe(b, old[i].name) = old[i];
	free(old);
	return 0;
}

enum book_result book_bind(struct book *b, const char *name, uint32_t handle,
                           uint32_t *bound)
{
	*bound = 0;
	size_t len = strnlen(name, BOOK_NAME_MAX + 1);
	if (len == 0 || len > BOOK_NAME_MAX || handle == 0)
		return BOOK_INVALID;
	uint32_t h = book_find(b, name);
	if (h) {
		*bound = h;
		return h == handle ? BOOK_SAME : BOOK_TAKEN;
	}
	if (b->count >= BOOK_MAX_NAMES)
		return BOOK_FULL;
	if (2 * (b->count + 1) > b->cap && grow(b) != 0)
		return BOOK_FULL;
	struct book_entry *e = probe(b, name);
	memcpy(e->name, name, len + 1);
	e->handle = handle;
	b->count++;
	*bound = handle;
	return BOOK_ADDED;
}

uint32_t book_find(const struct book *b, const char *name)
{
	if (b->cap == 0)
		return 0;
	return probe(b, name)->handle;
}

void book_each(const struct book *b, void (*fn)(const char *name, uint32_t handle, void *ud),
               void *ud)
{
	for (size_t i = 0; i < b->cap; i++)
		if (b->slot[i].handle)
			fn(b->slot[i].name, b->slot[i].handle, ud);
}

void book_free(struct book *b)
{
	free(b->slot);
	b->slot = NULL;
	b->cap = b->count = 0;
}
