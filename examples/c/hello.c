/* hello.c -- the smallest useful C service: it greets, then answers every
 * call with its own payload.  The default config (etc/actord.conf) starts
 * it, so a fresh node shows something alive.
 */
#include "actord/actord.h"

static int hello_cb(struct actord_context *ctx, void *ud, int type,
                    int session, uint32_t source, const void *msg, size_t sz)
{
	(void)ud;
	if (session && type != ACTORD_PTYPE_RESPONSE && type != ACTORD_PTYPE_ERROR)
		actord_send(ctx, 0, source, ACTORD_PTYPE_RESPONSE, session,
		            (void *)msg, sz);
	return 0;
}

int hello_init(void *inst, struct actord_context *ctx, const char *args)
{
	(void)inst;
	actord_name(ctx, ".hello", 0);
	actord_error(ctx, "Hello from actord: worker %d of %d%s%s",
	             actord_worker_id(ctx), actord_worker_count(ctx),
	             *args ? ", args: " : "", args);
	actord_callback(ctx, NULL, hello_cb);
	return 0;
}
