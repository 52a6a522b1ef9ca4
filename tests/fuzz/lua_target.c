/* lua_target.c -- the harness behind fuzz targets for Lua parsers: one
 * bounded lua_State, a module function called with the input bytes, and
 * abort() when the function shows a bug.  The convention is in
 * lua_target.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua_target.h"

#ifndef ACTORD_LUA_DIR
#error "ACTORD_LUA_DIR (the source root) must be defined"
#endif

#ifndef LUA_TARGET_MEM_MB
#define LUA_TARGET_MEM_MB 256
#endif

#define HOOK_EVERY (1 << 16)          /* VM instructions between hook calls */
#define BUDGET_HOOKS (1 << 14)        /* hook calls per input: ~2^30 instructions */

static lua_State *L;
static size_t mem_used;
static const size_t mem_limit = (size_t)LUA_TARGET_MEM_MB << 20;
static unsigned hooks_left;

/* The Lua VM's own runtime errors.  A parser refusing input raises its own
 * message; one of these means the parser itself went wrong. */
static const char *const vm_errors[] = {
	"attempt to ", "bad argument #", "stack overflow", "table index is ",
	"number has no integer representation", "string length overflow",
	"malformed pattern", "pattern too complex", "invalid capture",
	"invalid pattern capture", "missing '[' ", "too many captures",
	"invalid value (at index", "wrong number of arguments",
	NULL,
};

static void *bounded_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	if (ptr == NULL)
		osize = 0; /* then osize is a type tag, not a size */
	if (nsize == 0) {
		free(ptr);
		mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && mem_used + (nsize - osize) > mem_limit)
		return NULL; /* Lua collects and retries, then raises LUA_ERRMEM */
	void *p = realloc(ptr, nsize);
	if (p != NULL)
		mem_used = mem_used - osize + nsize;
	return p;
}

/* libFuzzer sees only C edges, and those of a Lua parser are all inside
 * the interpreter.  So the Lua side's coverage is fed to it by hand: each
 * (previous line, line) pair executed in a chunk bumps a counter here, and
 * libFuzzer reads this section as extra coverage ("extra counters").  In
 * the replay build nothing reads it. */
#define COV_SIZE (1 << 16)
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t lua_coverage[COV_SIZE];
static uintptr_t prev_line;

static void hook(lua_State *l, lua_Debug *ar)
{
	if (ar->event == LUA_HOOKLINE) {
		lua_getinfo(l, "S", ar);
		uintptr_t here = (uintptr_t)ar->source * 31u + (uintptr_t)ar->currentline;
		uint8_t *c = &lua_coverage[(here ^ (prev_line >> 1)) % COV_SIZE];
		if (*c < 255)
			(*c)++;
		prev_line = here;
		return;
	}
	if (--hooks_left == 0) {
		luaL_traceback(l, l, "lua_target: instruction budget exhausted (a loop that input does not bound?)", 0);
		fprintf(stderr, "%s\n", lua_tostring(l, -1));
		abort();
	}
}

/* Message handler: keep the error value and add a traceback, so that a
 * failure can be told from a refusal and shown where it happened. */
static int msgh(lua_State *l)
{
	lua_createtable(l, 2, 0);
	int t = lua_gettop(l);
	lua_pushvalue(l, 1);
	lua_rawseti(l, t, 1);
	const char *msg = luaL_typename(l, 1);
	if (lua_type(l, 1) == LUA_TSTRING)
		msg = lua_tostring(l, 1);
	else if (lua_type(l, 1) == LUA_TTABLE && lua_rawgeti(l, 1, 1) == LUA_TSTRING)
		msg = lua_tostring(l, -1); /* error({"what broke"}) */
	luaL_traceback(l, l, msg, 1);
	lua_rawseti(l, t, 2);
	lua_settop(l, t);
	return 1;
}

static void open_state(void)
{
	L = lua_newstate(bounded_alloc, NULL);
	if (L == NULL) {
		fprintf(stderr, "lua_target: cannot create a lua_State\n");
		abort();
	}
	luaL_openlibs(L);
	lua_getglobal(L, "package");
	lua_pushstring(L, ACTORD_LUA_DIR "/lualib/?.lua");
	lua_setfield(L, -2, "path");
	lua_pushstring(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pop(L, 1);
}

void lua_target_preload_c(const char *name, lua_CFunction open)
{
	if (L == NULL)
		open_state();
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, open);
	lua_setfield(L, -2, name);
	lua_pop(L, 2);
}

void lua_target_preload(const char *name, const char *source)
{
	if (L == NULL)
		open_state();
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "preload");
	lua_getfield(L, -1, name);
	if (lua_isnil(L, -1)) {
		if (luaL_loadbuffer(L, source, strlen(source), name) != LUA_OK) {
			fprintf(stderr, "lua_target: %s\n", lua_tostring(L, -1));
			abort();
		}
		lua_setfield(L, -3, name);
	}
	lua_pop(L, 3);
}

static int is_vm_error(const char *s)
{
	for (int i = 0; vm_errors[i]; i++)
		if (strstr(s, vm_errors[i]))
			return 1;
	return 0;
}

int lua_target_run(const char *module, const char *func, const uint8_t *data, size_t size)
{
	if (L == NULL)
		open_state();
	lua_settop(L, 0);
	lua_pushcfunction(L, msgh);
	lua_getglobal(L, "require");
	lua_pushstring(L, module);
	if (lua_pcall(L, 1, 1, 1) != LUA_OK) {
		lua_rawgeti(L, -1, 2);
		fprintf(stderr, "lua_target: require \"%s\": %s\n", module, lua_tostring(L, -1));
		abort();
	}
	lua_getfield(L, -1, func);
	if (lua_type(L, -1) != LUA_TFUNCTION) {
		fprintf(stderr, "lua_target: %s.%s is not a function\n", module, func);
		abort();
	}
	lua_pushlstring(L, (const char *)data, size);
	hooks_left = BUDGET_HOOKS;
	prev_line = 0;
	lua_sethook(L, hook, LUA_MASKCOUNT | LUA_MASKLINE, HOOK_EVERY);
	int rc = lua_pcall(L, 1, 0, 1);
	lua_sethook(L, NULL, 0, 0);
	if (rc == LUA_ERRRUN) {
		lua_rawgeti(L, -1, 1);
		int refusal = lua_type(L, -1) == LUA_TSTRING && !is_vm_error(lua_tostring(L, -1));
		lua_pop(L, 1);
		if (!refusal) {
			lua_rawgeti(L, -1, 2);
			fprintf(stderr, "lua_target: %s.%s broke an invariant: %s\n", module, func,
			        lua_tostring(L, -1));
			abort();
		}
	} else if (rc != LUA_OK) {
		fprintf(stderr, "lua_target: %s.%s failed (%s), %zu bytes of Lua memory in use\n",
		        module, func, rc == LUA_ERRMEM ? "out of its memory bound" : "error in the error handler",
		        mem_used);
		abort();
	}
	lua_settop(L, 0);
	/* Free what this input allocated before returning: libFuzzer counts
	 * mallocs against frees per input and runs a (slow) leak scan after
	 * every input that kept memory. */
	lua_gc(L, LUA_GCCOLLECT);
	return 0;
}
