/* logger.c -- the built-in logger service.
 *
 * Every text message it receives becomes one line "[:%08x] text" on
 * stdout, or in the file it was launched with.  The file is reopened on
 * ACTORD_SIGNAL_REOPEN (SIGHUP to the supervisor), so logrotate can move
 * it away.  Each line is flushed at once: a line written before a crash
 * must not be lost in a buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"

struct logger {
	FILE *f;
	char *path;   /* NULL: stdout */
};

void *logger_create(void)
{
	return calloc(1, sizeof(struct logger));
}

static int reopen(struct logger *lg)
{
	if (!lg->path)
		return 0;
	FILE *f = fopen(lg->path, "a");
	if (!f)
		return -1;
	if (lg->f)
		fclose(lg->f);
	lg->f = f;
	return 0;
}

static int logger_cb(struct actord_context *ctx, void *ud, int type,
                     int session, uint32_t source, const void *msg, size_t sz)
{
	struct logger *lg = ud;
	(void)ctx;
	(void)session;
	switch (type) {
	case ACTORD_PTYPE_SYSTEM:
		reopen(lg);
		break;
	case ACTORD_PTYPE_TEXT:
		fprintf(lg->f, "[:%08x] ", source);
		if (sz)
			fwrite(msg, 1, sz, lg->f);
		fputc('\n', lg->f);
		fflush(lg->f);
		break;
	}
	return 0;
}

int logger_init(void *inst, struct actord_context *ctx, const char *args)
{
	struct logger *lg = inst;
	if (args && *args) {
		lg->path = strdup(args);
		if (reopen(lg) < 0) {
			fprintf(stderr, "logger: cannot open %s\n", args);
			return 1;
		}
	} else {
		lg->f = stdout;
	}
	actord_callback(ctx, lg, logger_cb);
	return 0;
}

void logger_release(void *inst)
{
	struct logger *lg = inst;
	if (lg->path && lg->f)
		fclose(lg->f);
	else if (lg->f)
		fflush(lg->f);
	free(lg->path);
	free(lg);
}

void logger_signal(void *inst, int signal)
{
	if (signal == ACTORD_SIGNAL_REOPEN)
		reopen(inst);
}
