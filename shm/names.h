/* names.h -- node-wide local names (".name" -> handle) in shared memory.
 *
 * An open-addressing table.  Writers serialise on a robust mutex; readers
 * take no lock and check a per-slot sequence number, so a lookup never
 * waits on another process.  A name maps to one handle; a handle may hold
 * several names.  Names go away with their handle, except global names
 * (no leading dot) on a clustered node, which the harbor keeps.
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
/* Remove the local names (".x") of `handle`, keeping the others: on a
 * clustered node those are global bindings, which outlive the service. */
int names_remove_local(struct names *t, uint32_t handle);
/* What a service's end does to its names: all go, or on a clustered node
 * (keep_global) only the local ones. */
static inline int names_drop(struct names *t, uint32_t handle, bool keep_global)
{
	return keep_global ? names_remove_local(t, handle) : names_remove_handle(t, handle);
}
/* Bind `name` to `handle`, replacing any binding; *old gets the handle it
 * replaced (0 if none).  Errors as names_insert, without -EEXIST. */
int names_set(struct names *t, const char *name, uint32_t handle, uint32_t *old);
/* Remove every name whose handle satisfies pred; returns how many. */
int names_remove_if(struct names *t, bool (*pred)(uint32_t handle, void *ud),
                    void *ud);
/* Call fn for each name (a consistent snapshot of each slot). */
void names_each(struct names *t,
                void (*fn)(const char *name, uint32_t handle, void *ud),
                void *ud);

#endif
