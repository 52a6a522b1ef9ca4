/* book.h -- the master's book of global names: name -> handle, bound once
 * and for good (a binding outlives its service and is never replaced).
 *
 * A hash table with open addressing that only grows: names are never
 * removed, so there are no tombstones to manage.  Its size is bounded by
 * BOOK_MAX_NAMES, so a node that registers names without end cannot make
 * the master grow without end.
 */
#ifndef ACTORD_HARBOR_BOOK_H
#define ACTORD_HARBOR_BOOK_H

#include <stddef.h>
#include <stdint.h>

#define BOOK_NAME_MAX 63        /* bytes without the NUL: NAMES_MAXLEN */
#define BOOK_MAX_NAMES 65536

struct book_entry {
	char name[BOOK_NAME_MAX + 1];
	uint32_t handle;            /* 0: free slot */
};

struct book {
	struct book_entry *slot;
	size_t cap, count;          /* cap: 0 or a power of two */
};

enum book_result {
	BOOK_ADDED,                 /* a new binding */
	BOOK_SAME,                  /* already bound to this very handle */
	BOOK_TAKEN,                 /* bound to another handle: refused */
	BOOK_FULL,                  /* BOOK_MAX_NAMES reached, or out of memory */
	BOOK_INVALID,               /* empty, too long, or handle 0 */
};

/* Bind name to handle unless it is bound; *bound gets the binding the
 * name has afterwards (0 for BOOK_FULL / BOOK_INVALID). */
enum book_result book_bind(struct book *b, const char *name, uint32_t handle,
                           uint32_t *bound);
/* The handle bound to name, or 0. */
uint32_t book_find(const struct book *b, const char *name);
/* Call fn for every binding. */
void book_each(const struct book *b, void (*fn)(const char *name, uint32_t handle, void *ud),
               void *ud);
void book_free(struct book *b);

#endif
