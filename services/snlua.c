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
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"
#include "lualib/lualib.h"

#ifndef ACTORD_LUA_DIR
#define ACTORD_LUA_DIR "."
#endif

#define MEMORY_WARNING (32u << 20)

struct snlua {
	lua_State *L;
	struct actord_context *ctx;
	size_t mem;
	size_t mem_report;     /* next size at which to warn */
};

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
	return lualib_open_core(L, lua_touserdata(L, lua_upvalueindex(1)));
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
	lua_pushlightuserdata(L, l->ctx);
	lua_pushcclosure(L, open_core, 1);
	lua_setfield(L, -2, "skynet.core");
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

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	return 1;
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
	const char *search = lua_tostring(L, -1);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchpath");
	lua_pushstring(L, name);
	lua_pushstring(L, search);
	lua_call(L, 2, 2);
	if (lua_isnil(L, -2))
		return luaL_error(L, "cannot find service %s:%s", name,
		                  lua_tostring(L, -1));
	const char *file = lua_tostring(L, -2);
	lua_pushvalue(L, -2);
	lua_setglobal(L, "SERVICE_PATH");
	lua_getglobal(L, "LUA_PRELOAD");
	if (!lua_isnil(L, -1)) {
		if (luaL_dofile(L, lua_tostring(L, -1)) != LUA_OK)
			return lua_error(L);
	}
	lua_pop(L, 1);
	if (luaL_loadfile(L, file) != LUA_OK)
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
	lua_gc(L, LUA_GCGEN, 0, 0);
	luaL_openlibs(L);
	set_paths(l);
	lua_pushcfunction(L, traceback);
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
	return 0;
}

void snlua_signal(void *inst, int signal)
{
	(void)inst;
	(void)signal;
}
