/* builtin.c -- the C services linked into actord itself. */
#include <string.h>

#include "worker/service.h"

void *logger_create(void);
int logger_init(void *inst, struct actord_context *ctx, const char *args);
void logger_release(void *inst);
void logger_signal(void *inst, int signal);
int cbootstrap_init(void *inst, struct actord_context *ctx, const char *args);
void *snlua_create(void);
int snlua_init(void *inst, struct actord_context *ctx, const char *args);
void snlua_release(void *inst);
void snlua_signal(void *inst, int signal);

static const struct module_api builtins[] = {
	{ "logger", logger_create, logger_init, logger_release, logger_signal },
	{ "cbootstrap", NULL, cbootstrap_init, NULL, NULL },
	{ "snlua", snlua_create, snlua_init, snlua_release, snlua_signal },
};

const struct module_api *builtin_module(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}
