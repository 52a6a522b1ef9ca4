/* service.h -- what a service module provides, and the built-in ones. */
#ifndef ACTORD_WORKER_SERVICE_H
#define ACTORD_WORKER_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "actord/actord.h"

typedef void *(*module_create_fn)(void);
typedef int (*module_init_fn)(void *inst, struct actord_context *ctx,
                              const char *args);
typedef void (*module_release_fn)(void *inst);
typedef void (*module_signal_fn)(void *inst, int signal);

struct module_api {
	const char *name;
	module_create_fn create;
	module_init_fn init;
	module_release_fn release;
	module_signal_fn signal;
};

/* The next candidate file for module `name` along the `;`-separated
 * pattern list at *cursor (`?` becomes the name); false when none is left. */
bool cpath_next(const char **cursor, const char *name, char *path,
                size_t size);

/* The modules linked into the actord binary (services/builtin.c); NULL if
 * `name` is not one of them. */
const struct module_api *builtin_module(const char *name);

#endif
