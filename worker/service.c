/* service.c -- hosting services on a worker: modules and the local table.
 *
 * A module is found among the built-in ones first, then as NAME.so along
 * `cpath`, and stays loaded for the life of the worker.  The local table
 * maps a handle's local id to the service this worker hosts.
 */
#include "worker/service.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/socket.h"
#include "worker/worker.h"

struct module {
	struct module *next;
	char *name;
	void *dl;                   /* NULL for a built-in */
	struct module_api api;
};

/* ---- modules ---------------------------------------------------------- */

static void *sym(void *dl, const char *name, const char *suffix)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s_%s", name, suffix);
	return dlsym(dl, buf);
}

bool cpath_next(const char **cursor, const char *name, char *path,
                size_t size)
{
	const char *p = *cursor;
	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p), o = 0;
		bool fits = true;
		for (size_t i = 0; i < len && fits; i++) {
			const char *add = p[i] == '?' ? name : &p[i];
			size_t n = p[i] == '?' ? strlen(name) : 1;
			fits = o + n < size;
			if (fits) {
				memcpy(path + o, add, n);
				o += n;
			}
		}
		path[o] = '\0';
		p += len;
		if (*p == ';')
			p++;
		*cursor = p;
		if (fits && o > 0)
			return true;
	}
	return false;
}

static void *open_along_cpath(const char *cpath, const char *name)
{
	char path[1024];
	for (const char *cur = cpath; cpath_next(&cur, name, path, sizeof path);) {
		void *dl = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
		if (dl)
			return dl;
	}
	return NULL;
}

static bool valid_name(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *c = name; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

struct module *module_query(struct worker *w, const char *name)
{
	for (struct module *m = w->modules; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	if (!valid_name(name))
		return NULL;

	struct module_api api = {0};
	void *dl = NULL;
	const struct module_api *b = builtin_module(name);
	if (b) {
		api = *b;
	} else {
		dl = open_along_cpath(w->o.cpath, name);
		if (!dl)
			return NULL;
		api.create = (module_create_fn)sym(dl, name, "create");
		api.init = (module_init_fn)sym(dl, name, "init");
		api.release = (module_release_fn)sym(dl, name, "release");
		api.signal = (module_signal_fn)sym(dl, name, "signal");
		if (!api.init) {
			dlclose(dl);
			return NULL;
		}
	}
	struct module *m = calloc(1, sizeof *m);
	if (!m)
		abort();
	m->name = strdup(name);
	m->dl = dl;
	m->api = api;
	m->next = w->modules;
	w->modules = m;
	return m;
}

void modules_unload(struct worker *w)
{
	while (w->modules) {
		struct module *m = w->modules;
		w->modules = m->next;
		/* Not dlclose'd: a module may have left atexit handlers or
		 * threads behind, and the process is about to end anyway. */
		free(m->name);
		free(m);
	}
}

/* ---- the local table -------------------------------------------------- */

static inline uint32_t slot_of(uint32_t id, uint32_t mask)
{
	return (id * 2654435761u) & mask;
}

static void table_insert(struct service_table *t, struct actord_context *s);

static void table_grow(struct service_table *t)
{
	struct service_table old = *t;
	t->cap = old.cap ? old.cap * 2 : 64;
	t->n = 0;
	t->slot = calloc(t->cap, sizeof *t->slot);
	if (!t->slot)
		abort();
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.slot[i])
			table_insert(t, old.slot[i]);
	free(old.slot);
}

static void table_insert(struct service_table *t, struct actord_context *s)
{
	if ((t->n + 1) * 2 > t->cap)
		table_grow(t);
	uint32_t mask = t->cap - 1, i = slot_of(s->handle & HANDLE_MASK, mask);
	while (t->slot[i])
		i = (i + 1) & mask;
	t->slot[i] = s;
	t->n++;
}

static void table_remove(struct service_table *t, uint32_t handle)
{
	uint32_t mask = t->cap - 1, i = slot_of(handle & HANDLE_MASK, mask);
	while (t->slot[i] && t->slot[i]->handle != handle)
		i = (i + 1) & mask;
	if (!t->slot[i])
		return;
	t->slot[i] = NULL;
	t->n--;
	/* Re-seat the rest of the cluster so lookups never stop early. */
	for (uint32_t j = (i + 1) & mask; t->slot[j]; j = (j + 1) & mask) {
		struct actord_context *s = t->slot[j];
		t->slot[j] = NULL;
		t->n--;
		table_insert(t, s);
	}
}

struct actord_context *service_find(struct worker *w, uint32_t handle)
{
	struct service_table *t = &w->services;
	if (t->n == 0)
		return NULL;
	uint32_t mask = t->cap - 1, i = slot_of(handle & HANDLE_MASK, mask);
	for (struct actord_context *s; (s = t->slot[i]); i = (i + 1) & mask)
		if (s->handle == handle)
			return s;
	return NULL;
}

void service_table_free(struct worker *w)
{
	free(w->services.slot);
	memset(&w->services, 0, sizeof w->services);
}

/* ---- lifecycle -------------------------------------------------------- */

static struct actord_context *service_new(struct worker *w, uint32_t handle)
{
	struct actord_context *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->handle = handle;
	s->next_session = 1;
	mailbox_init(&s->mq);
	table_insert(&w->services, s);
	atomic_fetch_add_explicit(&w->ep->services, 1, memory_order_relaxed);
	return s;
}

struct actord_context *service_placeholder(struct worker *w, uint32_t handle)
{
	struct actord_context *s = service_new(w, handle);
	s->placeholder = true;
	return s;
}

uint32_t service_create(struct worker *w, uint32_t handle, const char *module,
                        const char *args, uint32_t parent,
                        int32_t parent_session)
{
	struct actord_context *s = service_find(w, handle);
	if (!s)
		s = service_new(w, handle);
	s->placeholder = false;
	s->parent = parent;
	s->parent_session = parent_session;
	s->mod = module_query(w, module);
	if (s->mod) {
		s->inst = s->mod->api.create ? s->mod->api.create() : NULL;
		actord_error(s, "LAUNCH %s%s%s", module, args && *args ? " " : "",
		             args ? args : "");
		struct actord_context *prev = w->running;
		w->running = s;
		int r = s->mod->api.init(s->inst, s, args ? args : "");
		w->running = prev;
		if (r == 0) {
			if (s->exiting)   /* ended itself in init: done already */
				service_release(w, s);
			else if (mailbox_len(&s->mq))
				worker_schedule(w, s);
			return handle;
		}
		actord_error(NULL, "FAILED launch %s %s", module, args ? args : "");
	} else {
		actord_error(NULL, "cannot launch %s: module not found", module);
	}
	service_release(w, s);
	return 0;
}

void service_release(struct worker *w, struct actord_context *s)
{
	directory_kill(seg_directory(w->seg), s->handle);
	if (s->has_names)
		names_drop(seg_names(w->seg), s->handle, w->h->harbor != 0);
	if (s->mod && s->mod->api.release)
		s->mod->api.release(s->inst);
	if (s->nsockets)
		socket_release_owner(w, s);
	/* A launcher still waiting for this service to start waits no more. */
	if (s->parent_session)
		route_send(w, s->handle, s->parent, ACTORD_PTYPE_ERROR,
		           s->parent_session, NULL, 0, true);
	s->parent_session = 0;
	/* Mail that will never be read: callers must not wait for it. */
	struct msg m;
	while (mailbox_pop(&s->mq, &m)) {
		route_bounce(w, m.source, s->handle, m.type, m.session);
		free(m.data);
	}
	mailbox_free(&s->mq);
	table_remove(&w->services, s->handle);
	atomic_fetch_sub_explicit(&w->ep->services, 1, memory_order_relaxed);
	w->released++;
	if (s->in_runq)
		s->released = true; /* the run queue frees it when it gets there */
	else
		free(s);
}

void service_release_all(struct worker *w)
{
	struct service_table *t = &w->services;
	while (t->n) {
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->slot[i]) {
				struct actord_context *s = t->slot[i];
				s->in_runq = false;
				service_release(w, s);
				break;
			}
	}
	w->runq_head = w->runq_tail = NULL;
}

void service_signal(struct actord_context *s, int signal)
{
	if (s->mod && s->mod->api.signal)
		s->mod->api.signal(s->inst, signal);
}
