/* names.h -- node-wide local names (".name" -> handle) in shared memory.
 *
 * An open-addressing table.  Writers serialise on a robust mutex; readers
 * take no lock and check a per-slot sequence number, so a lookup never
 * waits on another process.  A name maps to one handle; a handle may hold
 * several names.  Names go away with their handle.
 */
#ifndef ACTORD_SHM_NAMES_H
#define ACTORD_SHM_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAMES_MAXLEN 63 /* bytes, without the NUL; the leading '.' counts */

struct names;

size_t names_size(unsigned slots);   /* slots: a power of two */
void names_init(struct names *t, unsigned slots);

/* 0 on success; -EEXIST if the name is held, -EINVAL if empty or too long,
 * -ENOSPC if the table is full. */
int names_insert(struct names *t, const char *name, uint32_t handle);
/* The handle for `name`, or 0. */
uint32_t names_lookup(struct names *t, const char *name);
/* Remove every name of `handle`; returns how many. */
int names_remove_handle(struct names *t, uint32_t handle);
/* Remove every name whose handle satisfies pred; returns how many. */
int names_remove_if(struct names *t, bool (*pred)(uint32_t handle, void *ud),
                    void *ud);
/* Call fn for each name (a consistent snapshot of each slot). */
void names_each(struct names *t,
                void (*fn)(const char *name, uint32_t handle, void *ud),
                void *ud);

#endif
