/* api.c -- the public C service API (include/actord/actord.h), on top of
 * the worker's routing, tables and timers.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "worker/worker.h"

void actord_callback(struct actord_context *ctx, void *ud, actord_cb cb)
{
	ctx->cb = cb;
	ctx->ud = ud;
}

uint32_t actord_self(struct actord_context *ctx)
{
	return ctx->handle;
}

static int32_t new_session(struct actord_context *ctx)
{
	int32_t s = ctx->next_session;
	ctx->next_session = s == INT32_MAX ? 1 : s + 1;
	return s;
}

int actord_new_session(struct actord_context *ctx)
{
	return new_session(ctx);
}

int actord_send(struct actord_context *ctx, uint32_t source, uint32_t dest,
                int type, int session, void *msg, size_t sz)
{
	struct worker *w = worker_self();
	bool owned = (type & ACTORD_TAG_DONTCOPY) != 0;
	if (type & ACTORD_TAG_ALLOCSESSION)
		session = new_session(ctx);
	if (source == 0)
		source = ctx->handle;
	if (sz > UINT32_MAX) {
		if (owned)
			free(msg);
		return -1;
	}
	if (route_send(w, source, dest, (uint32_t)type & 0xff, session, msg, sz,
	               owned) < 0 && session == 0)
		return -1;
	return session;
}

static uint32_t parse_handle(const char *s)
{
	char *end;
	unsigned long v = strtoul(s + 1, &end, 16);
	return (*end || end == s + 1 || v > UINT32_MAX) ? 0 : (uint32_t)v;
}

int actord_alive(struct actord_context *ctx, uint32_t handle)
{
	struct worker *w = worker_self();
	(void)ctx;
	return (handle >> 24) == w->h->harbor &&
	       directory_get(seg_directory(w->seg), handle, NULL) == DIR_ALIVE;
}

uint32_t actord_query(struct actord_context *ctx, const char *name)
{
	struct worker *w = worker_self();
	(void)ctx;
	if (name[0] == ':')
		return parse_handle(name);
	return names_lookup(seg_names(w->seg), name);
}

/* A global name this node has not learned yet: the sidecar holds the
 * message until the master announces the name, as skynet's harbor does.
 * A call is recorded against the sidecar, so that it fails if the
 * sidecar dies while holding it. */
static int send_to_global(struct actord_context *ctx, uint32_t source, const char *name,
                          int type, int session, void *msg, size_t sz)
{
	struct worker *w = worker_self();
	size_t len = strlen(name) + 1;
	if (type & ACTORD_TAG_ALLOCSESSION)
		session = new_session(ctx);
	if (source == 0)
		source = ctx->handle;
	uint32_t ptype = (uint32_t)type & 0xff;
	char *buf = sz <= UINT32_MAX - len ? malloc(len + sz) : NULL;
	if (buf) {
		memcpy(buf, name, len);
		if (sz)
			memcpy(buf + len, msg, sz);
	}
	if (type & ACTORD_TAG_DONTCOPY)
		free(msg);
	if (!buf)
		return -1;
	if (session != 0 && ptype != ACTORD_PTYPE_RESPONSE && ptype != ACTORD_PTYPE_ERROR)
		calls_add(&w->calls, source, session, seg_sidecar(w->h));
	struct ring_hdr h = { (uint32_t)(len + sz), CTRL_SEND_NAME, session, source, 0, ptype };
	route_to_endpoint(w, seg_sidecar(w->h), &h, buf, true);
	return session;
}

int actord_sendname(struct actord_context *ctx, uint32_t source,
                    const char *dest, int type, int session, void *msg,
                    size_t sz)
{
	uint32_t h = actord_query(ctx, dest);
	if (h == 0 && worker_self()->h->harbor != 0 && dest[0] != '.' && dest[0] != ':')
		return send_to_global(ctx, source, dest, type, session, msg, sz);
	if (h == 0) {
		/* Still answer a call, so the caller does not wait forever. */
		if (type & ACTORD_TAG_ALLOCSESSION)
			session = new_session(ctx);
		if (type & ACTORD_TAG_DONTCOPY)
			free(msg);
		if (session && ((uint32_t)type & 0xff) != ACTORD_PTYPE_RESPONSE) {
			route_deliver(worker_self(), 0, ctx->handle,
			              ACTORD_PTYPE_ERROR, session, NULL, 0);
			return session;
		}
		return -1;
	}
	return actord_send(ctx, source, h, type, session, msg, sz);
}

/* A global name, already bound here: the sidecar registers it with the
 * master, which binds it on every node (or refuses it, if another node
 * took it first; then the master's binding replaces ours). */
static void register_global(struct worker *w, const char *name, uint32_t handle)
{
	size_t len = strlen(name);
	char *copy = malloc(len);
	if (!copy)
		abort();
	memcpy(copy, name, len);
	struct ring_hdr h = { (uint32_t)len, CTRL_NAME_REGISTER, 0, 0, handle, 0 };
	route_to_endpoint(w, seg_sidecar(w->h), &h, copy, true);
}

uint32_t actord_harbor_link(struct actord_context *ctx, unsigned id)
{
	(void)ctx;
	struct worker *w = worker_self();
	if (w->h->harbor == 0 || id > 255)
		return 0;
	return atomic_load_explicit(&w->h->links[id], memory_order_acquire);
}

int actord_name(struct actord_context *ctx, const char *name, uint32_t handle)
{
	struct worker *w = worker_self();
	if (handle == 0)
		handle = ctx->handle;
	if (name[0] == ':')
		return -1;
	if (names_insert(seg_names(w->seg), name, handle) != 0)
		return -1;
	if (w->h->harbor != 0 && name[0] != '.') {
		register_global(w, name, handle);
		return 0; /* a global binding outlives the service */
	}
	struct actord_context *s = service_find(w, handle);
	if (s)
		s->has_names = true;
	else
		ctx->has_names = true; /* someone else's: clean up on our exit too */
	return 0;
}

const char *actord_getenv(struct actord_context *ctx, const char *key)
{
	(void)ctx;
	return envstore_get(seg_env(worker_self()->seg), key);
}

int actord_setenv(struct actord_context *ctx, const char *key,
                  const char *value)
{
	(void)ctx;
	return envstore_set(seg_env(worker_self()->seg), key, value) == 0 ? 0 : -1;
}

int actord_timeout(struct actord_context *ctx, int ticks)
{
	struct worker *w = worker_self();
	int32_t session = new_session(ctx);
	if (ticks <= 0)
		route_deliver(w, 0, ctx->handle, ACTORD_PTYPE_RESPONSE, session,
		              NULL, 0);
	else /* counted from now, not from the wheel's last turn */
		timer_add(w->timers,
		          (uint32_t)ticks + (uint32_t)(worker_current_tick(w) - w->tick),
		          ctx->handle, session);
	return session;
}

/* Without a logger (none yet, or its worker just died) a line still goes
 * somewhere: straight to stderr. */
static void log_direct(uint32_t source, const char *text, size_t len)
{
	char head[16];
	snprintf(head, sizeof head, "[:%08x] ", source);
	char *line = malloc(len + 32);
	if (!line)
		return;
	size_t hl = strlen(head);
	memcpy(line, head, hl);
	memcpy(line + hl, text, len);
	line[hl + len] = '\n';
	ssize_t r = write(STDERR_FILENO, line, hl + len + 1);
	(void)r;
	free(line);
}

void actord_error(struct actord_context *ctx, const char *fmt, ...)
{
	struct worker *w = worker_self();
	uint32_t source = ctx ? ctx->handle : 0;
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	uint32_t logger = w ? atomic_load(&w->h->logger) : 0;
	if (logger && directory_get(seg_directory(w->seg), logger, NULL) == DIR_ALIVE) {
		route_send(w, source, logger, ACTORD_PTYPE_TEXT, 0, text, (size_t)n,
		           true);
		return;
	}
	log_direct(source, text, (size_t)n);
	free(text);
}

static uint32_t launch(struct actord_context *ctx, const char *module,
                       const char *args, int where, int32_t session)
{
	struct worker *w = worker_self();
	if (!module_query(w, module)) {
		actord_error(ctx, "cannot launch %s: module not found", module);
		return 0;
	}
	unsigned to = route_place(w, where);
	uint32_t id = directory_alloc(seg_directory(w->seg), to);
	if (!id) {
		actord_error(ctx, "cannot launch %s: out of handles", module);
		return 0;
	}
	uint32_t handle = w->h->harbor << 24 | id;
	if (to == w->id)
		return service_create(w, handle, module, args, ctx->handle, session);
	size_t ml = strlen(module), al = strlen(args);
	char *rec = malloc(ml + al + 2);
	if (!rec)
		abort();
	memcpy(rec, module, ml + 1);
	memcpy(rec + ml + 1, args, al + 1);
	struct ring_hdr h = { (uint32_t)(ml + al + 2), CTRL_LAUNCH, session,
	                      ctx->handle, handle, 0 };
	route_to_endpoint(w, to, &h, rec, true);
	return handle;
}

uint32_t actord_launch(struct actord_context *ctx, const char *module,
                       const char *args)
{
	return launch(ctx, module, args ? args : "", ACTORD_PLACE_ANY, 0);
}

uint32_t actord_launch_on(struct actord_context *ctx, const char *module,
                          const char *args, int where)
{
	return launch(ctx, module, args ? args : "", where, 0);
}

uint32_t actord_launch_child(struct actord_context *ctx, const char *module,
                             const char *args, int where, int session)
{
	return launch(ctx, module, args ? args : "", where, session);
}

int actord_parent(struct actord_context *ctx, uint32_t *parent)
{
	int32_t session = ctx->parent_session;
	*parent = ctx->parent;
	ctx->parent_session = 0;
	return session;
}

void actord_exit(struct actord_context *ctx)
{
	actord_kill(ctx, 0);
}

void actord_kill(struct actord_context *ctx, uint32_t handle)
{
	struct worker *w = worker_self();
	if (handle == 0 || handle == ctx->handle) {
		actord_error(ctx, "KILL self");
		ctx->exiting = true;
		return;
	}
	actord_error(ctx, "KILL :%08x", handle);
	unsigned owner;
	if ((handle >> 24) != w->h->harbor ||
	    directory_get(seg_directory(w->seg), handle, &owner) != DIR_ALIVE)
		return;
	if (owner == w->id) {
		struct actord_context *s = service_find(w, handle);
		if (s && w->running == s)
			s->exiting = true;
		else if (s)
			service_release(w, s);
		return;
	}
	/* Its names go now, as they would on this worker: the killer may
	 * look them up next (names are shared, any process may drop them). */
	names_drop(seg_names(w->seg), handle, w->h->harbor != 0);
	struct ring_hdr h = { 0, CTRL_KILL, 0, ctx->handle, handle, 0 };
	route_to_endpoint(w, owner, &h, NULL, true);
}

void actord_abort(struct actord_context *ctx)
{
	(void)ctx;
	kill(worker_self()->h->supervisor_pid, SIGTERM);
}

uint64_t actord_now(void)
{
	struct worker *w = worker_self();
	return (worker_now_ns() - w->h->start_mono_ns) / 10000000ull;
}

uint32_t actord_starttime(void)
{
	return (uint32_t)worker_self()->h->start_real;
}

uint64_t actord_hpc(void)
{
	return worker_now_ns();
}

int actord_worker_of(struct actord_context *ctx, uint32_t handle)
{
	struct worker *w = worker_self();
	unsigned owner;
	(void)ctx;
	if ((handle >> 24) != w->h->harbor ||
	    directory_get(seg_directory(w->seg), handle, &owner) != DIR_ALIVE)
		return -1;
	return (int)owner;
}

int actord_worker_id(struct actord_context *ctx)
{
	(void)ctx;
	return (int)worker_self()->id;
}

int actord_worker_count(struct actord_context *ctx)
{
	(void)ctx;
	return (int)worker_self()->h->nworkers;
}
