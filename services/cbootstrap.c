/* cbootstrap.c -- bootstrap for nodes of C services only.
 *
 * Launches the service named by the `start` config key ("module args")
 * and ends itself, as skynet's bootstrap does for its Lua start service.
 */
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"

int cbootstrap_init(void *inst, struct actord_context *ctx, const char *args)
{
	(void)inst;
	const char *start = actord_getenv(ctx, "start");
	if (args && *args)
		start = args;
	if (start && *start) {
		char *spec = strdup(start);
		char *rest = strchr(spec, ' ');
		if (rest)
			*rest++ = '\0';
		if (!actord_launch(ctx, spec, rest ? rest : ""))
			actord_error(ctx, "cannot launch start service %s", start);
		free(spec);
	}
	actord_exit(ctx);
	return 0;
}
