/* snlua.c -- the Lua service host: one lua_State per service.
 *
 * `snlua NAME args...` finds NAME.lua along `luaservice` (then actord's own
 * service folder), runs `preload` first if set, and calls the script with
 * the arguments as strings.  The script normally calls skynet.start, which
 * installs the message callback through skynet.core.  With `lualoader`
 * set, that Lua file does the finding and loading instead, as in skynet.
 *
 * Memory is counted per service by the allocator, so a service's size can
 * be reported and a runaway one noticed.
 *
 * Every Lua file (service scripts and required modules alike) is parsed
 * once per worker process; later loads by any service come from the
 * bytecode kept in the code cache below, which makes a spawn cheaper and
 * leaves no parser garbage behind in the new service.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actord/actord.h"
#include "lualib/lualib.h"

#ifndef ACTORD_LUA_DIR
#define ACTORD_LUA_DIR "."
#endif

#define MEMORY_WARNING (32u << 20)

struct snlua {
	struct lualib_state ls;
	lua_State *L;
	struct actord_context *ctx;
	size_t mem;
	size_t mem_report;     /* next size at which to warn */
};

/* ---- the code cache --------------------------------------------------- */

struct code {
	struct code *next;
	char *path;
	struct timespec mtime;
	off_t size;
	char *bc;
	size_t len;
};

/* This process's cache: snlua.c is its one owner.  Entries are checked
 * against the file's mtime and size, so an edited file is parsed again. */
static struct code *code_cache;

struct dumpbuf {
	char *p;
	size_t len, cap;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct dumpbuf *b = ud;
	(void)L;
	if (b->len + sz > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + sz)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return 1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, sz);
	b->len += sz;
	return 0;
}

/* Push the chunk of `path`, which stat says is `st` (or an error
 * message); returns a lua_load status. */
static int load_cached_st(lua_State *L, const char *path, const struct stat *pst)
{
	struct stat st = *pst;
	struct code *c;
	for (c = code_cache; c; c = c->next)
		if (strcmp(c->path, path) == 0)
			break;
	if (c && c->size == st.st_size && c->mtime.tv_sec == st.st_mtim.tv_sec &&
	    c->mtime.tv_nsec == st.st_mtim.tv_nsec) {
		lua_pushfstring(L, "@%s", path);
		int r = luaL_loadbufferx(L, c->bc, c->len, lua_tostring(L, -1), "b");
		lua_remove(L, -2);
		return r;
	}
	int r = luaL_loadfilex(L, path, "t");
	if (r != LUA_OK)
		return r;
	/* actord's own modules, loaded by every service, keep no debug info
	 * (a third of their size); user code keeps its line numbers. */
	int strip = strncmp(path, ACTORD_LUA_DIR "/", strlen(ACTORD_LUA_DIR) + 1) == 0;
	struct dumpbuf b = { NULL, 0, 0 };
	if (lua_dump(L, dump_writer, &b, strip) != 0) {
		free(b.p);
		return LUA_OK; /* loaded fine; just not cached */
	}
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c) {
			free(b.p);
			return LUA_OK;
		}
		c->path = strdup(path);
		c->next = code_cache;
		code_cache = c;
	}
	free(c->bc);
	c->bc = b.p;
	c->len = b.len;
	c->size = st.st_size;
	c->mtime = st.st_mtim;
	return LUA_OK;
}

static int load_cached(lua_State *L, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return luaL_loadfilex(L, path, "t");
	return load_cached_st(L, path, &st);
}

/* A file package.searchpath would take: one that opens for reading.  It
 * is told with stat (and access, unless we are root) rather than by
 * opening it, which costs a spawn fewer syscalls, and st is kept for the
 * code cache. */
static int readable(const char *file, struct stat *st)
{
	static int root = -1;
	if (root < 0)
		root = geteuid() == 0;
	return stat(file, st) == 0 && (root || access(file, R_OK) == 0);
}

/* package.searchpath(name, path), as Lua's own (the same candidates in the
 * same order, the same "no file" message), with readable above.  Pushes
 * the file name and returns 1, or pushes the message and returns 0. */
static int search_path(lua_State *L, const char *name, const char *path,
                       struct stat *st)
{
	int top = lua_gettop(L);
	if (strchr(name, '.'))
		name = luaL_gsub(L, name, ".", LUA_DIRSEP);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addgsub(&b, path, LUA_PATH_MARK, name);
	luaL_addchar(&b, '\0');
	char *p = luaL_buffaddr(&b);
	char *end = p + luaL_bufflen(&b) - 1;
	while (p < end) {
		char *sep = strchr(p, *LUA_PATH_SEP);
		if (!sep)
			sep = end;
		*sep = '\0';
		if (readable(p, st)) {
			lua_pushstring(L, p);
			lua_replace(L, top + 1);
			lua_settop(L, top + 1);
			return 1;
		}
		if (sep < end)
			*sep = *LUA_PATH_SEP;
		p = sep + 1;
	}
	luaL_pushresult(&b);
	const char *tried = lua_tostring(L, -1);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "no file '");
	luaL_addgsub(&b, tried, LUA_PATH_SEP, "'\n\tno file '");
	luaL_addstring(&b, "'");
	luaL_pushresult(&b);
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return 0;
}

/* package.searchers[2], through the code cache. */
static int search_lua(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "path");
	const char *path = lua_tostring(L, -1);
	if (path == NULL)
		return luaL_error(L, "'package.path' must be a string");
	struct stat st;
	if (!search_path(L, name, path, &st))
		return 1; /* the "no file" message */
	const char *file = lua_tostring(L, -1);
	if (load_cached_st(L, file, &st) != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s",
		                  name, file, lua_tostring(L, -1));
	lua_pushstring(L, file);
	return 2;
}

/* ---- the service ------------------------------------------------------ */

static void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct snlua *l = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		l->mem -= old;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	l->mem = l->mem - old + nsize;
	if (l->mem > l->mem_report) {
		l->mem_report *= 2;
		actord_error(l->ctx, "Memory warning %.2f M",
		             (double)l->mem / (1024 * 1024));
	}
	return p;
}

void *snlua_create(void)
{
	struct snlua *l = calloc(1, sizeof *l);
	l->mem_report = MEMORY_WARNING;
	return l;
}

void snlua_release(void *inst)
{
	struct snlua *l = inst;
	if (l->L)
		lua_close(l->L);
	free(l);
}

static int open_core(lua_State *L)
{
	return lualib_open_core(L);
}

static int open_socketdriver(lua_State *L)
{
	return lualib_open_socketdriver(L, lua_touserdata(L, lua_upvalueindex(1)));
}

/* package.path/cpath and the service search path: the config's, then
 * actord's own folders so the built-in services and modules are always
 * found. */
static void set_paths(struct snlua *l)
{
	lua_State *L = l->L;
	const char *path = actord_getenv(l->ctx, "lua_path");
	const char *cpath = actord_getenv(l->ctx, "lua_cpath");
	const char *svc = actord_getenv(l->ctx, "luaservice");
	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s%s" ACTORD_LUA_DIR "/lualib/?.lua;"
	                ACTORD_LUA_DIR "/lualib/?/init.lua",
	                path ? path : "", path ? ";" : "");
	lua_setfield(L, -2, "path");
	lua_pushstring(L, cpath ? cpath : "");
	lua_setfield(L, -2, "cpath");
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, open_core);
	lua_setfield(L, -2, "skynet.core");
	lua_pushlightuserdata(L, l->ctx);
	lua_pushcclosure(L, open_socketdriver, 1);
	lua_setfield(L, -2, "skynet.socketdriver");
	lua_pushcfunction(L, lualib_open_netpack);
	lua_setfield(L, -2, "skynet.netpack");
	lua_pushcfunction(L, lualib_open_sharedata);
	lua_setfield(L, -2, "skynet.sharedata.core");
	lua_pushcfunction(L, lualib_open_httpparse);
	lua_setfield(L, -2, "http.parse");
	lua_pop(L, 1);
	lua_getfield(L, -1, "searchers");
	lua_pushcfunction(L, search_lua);
	lua_rawseti(L, -2, 2);
	lua_pop(L, 2);
	lua_pushfstring(L, "%s%s" ACTORD_LUA_DIR "/services/lua/?.lua",
	                svc ? svc : "", svc ? ";" : "");
	lua_setglobal(L, "LUA_SERVICE");
	const char *pre = actord_getenv(l->ctx, "preload");
	if (pre) {
		lua_pushstring(L, pre);
		lua_setglobal(L, "LUA_PRELOAD");
	}
}

/* The standard libraries most services never touch are opened on first
 * use (a global read of `math`, say, or require "math"): a minimal
 * service saves their tables, which matters times 100,000 services. */
static const luaL_Reg eager_libs[] = {
	{ LUA_GNAME, luaopen_base }, { LUA_LOADLIBNAME, luaopen_package },
	{ LUA_COLIBNAME, luaopen_coroutine }, { LUA_STRLIBNAME, luaopen_string },
	{ NULL, NULL },
};
static const luaL_Reg lazy_libs[] = {
	{ LUA_TABLIBNAME, luaopen_table }, { LUA_MATHLIBNAME, luaopen_math },
	{ LUA_OSLIBNAME, luaopen_os }, { LUA_IOLIBNAME, luaopen_io },
	{ LUA_UTF8LIBNAME, luaopen_utf8 }, { LUA_DBLIBNAME, luaopen_debug },
	{ NULL, NULL },
};

/* _G's __index: open a lazy library the first time its name is read. */
static int lazy_global(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	for (const luaL_Reg *lib = lazy_libs; name && lib->name; lib++) {
		if (strcmp(lib->name, name) == 0) {
			luaL_requiref(L, lib->name, lib->func, 1);
			return 1;
		}
	}
	return 0;
}

static void open_libs(lua_State *L)
{
	for (const luaL_Reg *lib = eager_libs; lib->name; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	for (const luaL_Reg *lib = lazy_libs; lib->name; lib++) {
		lua_pushcfunction(L, lib->func);
		lua_setfield(L, -2, lib->name);
	}
	lua_pop(L, 1);
	lua_pushglobaltable(L);
	lua_newtable(L);
	lua_pushcfunction(L, lazy_global);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);
}

/* The built-in loader: [1] = "NAME args...". */
static int load_service(lua_State *L)
{
	const char *args = luaL_checkstring(L, 1);
	int n = 0;
	/* Split on spaces: the script gets its arguments as strings. */
	for (const char *p = args; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		luaL_checkstack(L, 2, "too many arguments");
		lua_pushlstring(L, p, len);
		n++;
		p += len;
	}
	if (n == 0)
		return luaL_error(L, "no service name");
	const char *name = lua_tostring(L, 2);
	lua_pushvalue(L, 2);
	lua_setglobal(L, "SERVICE_NAME");
	lua_getglobal(L, "LUA_SERVICE");
	const char *search = luaL_checkstring(L, -1);
	struct stat st;
	if (!search_path(L, name, search, &st))
		return luaL_error(L, "cannot find service %s:%s", name,
		                  lua_tostring(L, -1));
	const char *file = lua_tostring(L, -1);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "SERVICE_PATH");
	lua_getglobal(L, "LUA_PRELOAD");
	if (!lua_isnil(L, -1)) {
		if (load_cached(L, lua_tostring(L, -1)) != LUA_OK)
			return lua_error(L);
		lua_call(L, 0, 0);
	}
	lua_pop(L, 1);
	if (load_cached_st(L, file, &st) != LUA_OK)
		return lua_error(L);
	/* the chunk, then its arguments: every word after the name */
	for (int i = 3; i <= n + 1; i++)
		lua_pushvalue(L, i);
	lua_call(L, n - 1, 0);
	return 0;
}

/* lualoader = "file": that file gets the whole argument string. */
static int run_loader(lua_State *L)
{
	const char *loader = lua_tostring(L, lua_upvalueindex(1));
	if (luaL_loadfile(L, loader) != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 0);
	return 0;
}

int snlua_init(void *inst, struct actord_context *ctx, const char *args)
{
	struct snlua *l = inst;
	l->ctx = ctx;
	l->L = lua_newstate(lalloc, l);
	if (!l->L)
		return 1;
	lua_State *L = l->L;
	lualib_attach(L, &l->ls, ctx);
	lua_gc(L, LUA_GCGEN, 0, 0);
	open_libs(L);
	set_paths(l);
	lua_pushcfunction(L, lualib_traceback);
	const char *loader = actord_getenv(ctx, "lualoader");
	if (loader) {
		lua_pushstring(L, loader);
		lua_pushcclosure(L, run_loader, 1);
	} else {
		lua_pushcfunction(L, load_service);
	}
	lua_pushstring(L, args);
	if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
		actord_error(ctx, "init service failed: %s", lua_tostring(L, -1));
		return 1;
	}
	lua_settop(L, 0);
	/* skynet.start collects once the start function returned; a script
	 * that never calls it gets a collection here instead. */
	lua_rawgetp(L, LUA_REGISTRYINDEX, lualib_callback_key());
	if (lua_isnil(L, -1))
		lua_gc(L, LUA_GCCOLLECT, 0);
	lua_pop(L, 1);
	return 0;
}

void snlua_signal(void *inst, int signal)
{
	(void)inst;
	(void)signal;
}
