/* envstore.h -- the node-wide, set-once environment (skynet.getenv/setenv).
 *
 * Keys and values live in an append-only arena in shared memory and are
 * never changed once set, so a reader gets a pointer that stays valid for
 * the life of the node and needs no lock.  Writers serialise on a robust
 * mutex.
 */
#ifndef ACTORD_SHM_ENVSTORE_H
#define ACTORD_SHM_ENVSTORE_H

#include <stddef.h>

struct envstore;

/* slots: a power of two; arena: bytes for keys and values. */
size_t envstore_size(unsigned slots, size_t arena);
void envstore_init(struct envstore *e, unsigned slots, size_t arena);

/* 0 on success; -EEXIST if the key is set, -EINVAL for an empty key,
 * -ENOSPC when the table or arena is full. */
int envstore_set(struct envstore *e, const char *key, const char *value);
/* The value, or NULL. */
const char *envstore_get(struct envstore *e, const char *key);
void envstore_each(struct envstore *e,
                   void (*fn)(const char *key, const char *value, void *ud),
                   void *ud);

#endif
