/* fuzz_unpack.c -- fuzz target for the pack format reader (lualib/seri.c).
 *
 * Whatever the bytes, seri_unpack must push values or raise a "malformed
 * packed message: ..." error, without crashing, reading out of bounds or
 * leaking.  What unpacks is packed again and unpacked once more: the same
 * number of values must come back.  The reader counts nesting as the
 * writer does, so repacking may fail only for want of stack, when the
 * input held nearly as many values as a Lua stack does.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lualib/lualib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char PREFIX[] = "malformed packed message: ";

static int
l_unpack(lua_State *L)
{
	const void *buf = lua_touserdata(L, 1);
	size_t size = (size_t)lua_tointeger(L, 2);
	lua_settop(L, 0);
	return seri_unpack(L, buf, size);
}

/* repack(...) -> number of values the repacked message unpacks to */
static int
l_repack(lua_State *L)
{
	size_t sz;
	void *p = seri_pack(L, 1, &sz);
	lua_settop(L, 0);
	/* a raise here would leak p, but it is a bug and aborts the run */
	int n = seri_unpack(L, p, sz);
	free(p);
	lua_settop(L, 0);
	lua_pushinteger(L, n);
	return 1;
}

static void
check_error(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);
	if (msg == NULL || strncmp(msg, PREFIX, sizeof(PREFIX) - 1) != 0)
		abort();   /* every failure must say it is a malformed message */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One state for the whole run: global state, which the project allows
	 * in fuzz targets only, because a state per input slows the fuzzer
	 * down a lot.  Each input leaves the stack empty; the state stays
	 * reachable until exit, so the leak checker does not count it. */
	static lua_State *L;
	if (L == NULL) {
		L = luaL_newstate();
		if (L == NULL)
			abort();
	}
	lua_pushcfunction(L, l_unpack);
	lua_pushlightuserdata(L, (void *)data);
	lua_pushinteger(L, (lua_Integer)size);
	int base = lua_gettop(L) - 3;
	if (lua_pcall(L, 2, LUA_MULTRET, 0) != LUA_OK) {
		check_error(L);
		lua_settop(L, 0);
		return 0;
	}
	int n = lua_gettop(L) - base;
	if (!lua_checkstack(L, 1)) {   /* a stack full of values: enough */
		lua_settop(L, 0);
		return 0;
	}
	lua_pushcfunction(L, l_repack);
	lua_insert(L, base + 1);
	if (lua_pcall(L, n, 1, 0) == LUA_OK) {
		if (lua_tointeger(L, -1) != n)
			abort();
	} else {
		const char *msg = lua_tostring(L, -1);
		if (msg == NULL || strstr(msg, "stack overflow") == NULL)
			abort();
	}
	lua_settop(L, 0);
	lua_gc(L, LUA_GCSTEP, 0);
	return 0;
}
