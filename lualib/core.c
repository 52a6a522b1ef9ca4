/* core.c -- the `skynet.core` module: what lualib/skynet.lua is built on.
 *
 * A thin binding of the C service API (include/actord/actord.h) for one
 * Lua service, plus the dispatcher of engine.c.  Every function finds the
 * service through the state's extra space (lualib_attach), so all are
 * light C functions, and each is put in the module's table the first time
 * it is read.  Messages are (lightuserdata, size) pairs as in skynet: a
 * pointer handed to core.send moves to the runtime, a string is copied.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"
#include "lualib/lualib.h"

#define CTX(L) (lualib_state(L)->ctx)

/* The registry key of the Lua dispatch function (see callback). */
static const char CALLBACK_KEY = 0;

/* ---- dispatch --------------------------------------------------------- */

int lualib_traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	return 1;
}

static int dispatch(struct actord_context *ctx, void *ud, int type,
                    int session, uint32_t source, const void *msg, size_t sz)
{
	struct lualib_state *ls = ud;
	lua_State *L = ls->main;
	int top = lua_gettop(L);
	lua_pushcfunction(L, lualib_traceback);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &CALLBACK_KEY);
	lua_pushinteger(L, type);
	lua_pushlightuserdata(L, (void *)msg);
	lua_pushinteger(L, (lua_Integer)sz);
	lua_pushinteger(L, session);
	lua_pushinteger(L, source);
	if (lua_pcall(L, 5, 0, top + 1) != LUA_OK) {
		actord_error(ctx, "lua call [%x to :%x : %d msgsz = %zu] error : %s",
		             source, actord_self(ctx), session, sz,
		             lua_tostring(L, -1));
	}
	lua_settop(L, top);
	return ls->forward ? 1 : 0;
}

const void *lualib_callback_key(void)
{
	return &CALLBACK_KEY;
}

/* core.callback(f [, forward]): f(type, msg, sz, session, source) runs for
 * every message.  With forward, the payload is not freed afterwards: the
 * Lua side passed it on. */
static int lcallback(lua_State *L)
{
	struct lualib_state *ls = lualib_state(L);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 2);
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
	ls->main = lua_tothread(L, -1);
	ls->forward = lua_toboolean(L, 2);
	lua_pushvalue(L, 1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &CALLBACK_KEY);
	actord_callback(ls->ctx, ls, dispatch);
	return 0;
}

/* ---- sending ---------------------------------------------------------- */

static uint32_t to_handle(lua_State *L, int idx, const char **name)
{
	*name = NULL;
	if (lua_type(L, idx) == LUA_TNUMBER)
		return (uint32_t)luaL_checkinteger(L, idx);
	*name = luaL_checkstring(L, idx);
	return 0;
}

/* The payload at idx: (lightuserdata, size) moves, a string is copied. */
static void *payload(lua_State *L, int idx, size_t *sz, int *type)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		const char *s = lua_tolstring(L, idx, sz);
		return (void *)s;
	}
	case LUA_TLIGHTUSERDATA:
		*sz = (size_t)luaL_checkinteger(L, idx + 1);
		*type |= ACTORD_TAG_DONTCOPY;
		return lua_touserdata(L, idx);
	case LUA_TNONE:
	case LUA_TNIL:
		*sz = 0;
		return NULL;
	default:
		luaL_error(L, "invalid message payload (a %s)", luaL_typename(L, idx));
		return NULL;
	}
}

static int send_from(lua_State *L, uint32_t source, int base)
{
	struct actord_context *ctx = CTX(L);
	const char *name;
	uint32_t dest = to_handle(L, base, &name);
	int type = (int)luaL_checkinteger(L, base + 1);
	int session = 0;
	if (lua_isnil(L, base + 2))
		type |= ACTORD_TAG_ALLOCSESSION;
	else
		session = (int)luaL_checkinteger(L, base + 2);
	size_t sz;
	void *msg = payload(L, base + 3, &sz, &type);
	int r = name ? actord_sendname(ctx, source, name, type, session, msg, sz)
	             : actord_send(ctx, source, dest, type, session, msg, sz);
	if (r < 0)
		return 0;
	lua_pushinteger(L, r);
	return 1;
}

/* core.send(dest, type, session|nil, msg, sz | string) -> session | nil */
static int lsend(lua_State *L)
{
	return send_from(L, 0, 1);
}

/* core.redirect(dest, source, type, session, msg, sz | string) */
static int lredirect(lua_State *L)
{
	uint32_t source = (uint32_t)luaL_checkinteger(L, 2);
	lua_remove(L, 2);
	return send_from(L, source, 1);
}

/* ---- the rest of the service API -------------------------------------- */

static int lgenid(lua_State *L)
{
	lua_pushinteger(L, actord_new_session(CTX(L)));
	return 1;
}

static int lself(lua_State *L)
{
	lua_pushinteger(L, actord_self(CTX(L)));
	return 1;
}

static int lerror(lua_State *L)
{
	int n = lua_gettop(L);
	if (n <= 1 && (n == 0 || lua_type(L, 1) == LUA_TSTRING)) {
		actord_error(CTX(L), "%s", n ? lua_tostring(L, 1) : "");
		return 0;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
		if (i < n)
			luaL_addchar(&b, ' ');
	}
	luaL_pushresult(&b);
	actord_error(CTX(L), "%s", lua_tostring(L, -1));
	return 0;
}

static int ltimeout(lua_State *L)
{
	lua_pushinteger(L, actord_timeout(CTX(L), (int)luaL_checkinteger(L, 1)));
	return 1;
}

static int lalive(lua_State *L)
{
	lua_pushboolean(L, actord_alive(CTX(L), (uint32_t)luaL_checkinteger(L, 1)));
	return 1;
}

static int lowner(lua_State *L)
{
	int w = actord_worker_of(CTX(L), (uint32_t)luaL_checkinteger(L, 1));
	if (w < 0)
		return 0;
	lua_pushinteger(L, w);
	return 1;
}

static int lname(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	uint32_t h = (uint32_t)luaL_optinteger(L, 2, 0);
	lua_pushboolean(L, actord_name(CTX(L), name, h) == 0);
	return 1;
}

static int lharborlink(lua_State *L)
{
	lua_Integer id = luaL_checkinteger(L, 1);
	luaL_argcheck(L, id >= 0 && id <= 255, 1, "node id out of 0..255");
	lua_pushinteger(L, actord_harbor_link(CTX(L), (unsigned)id));
	return 1;
}

static int lquery(lua_State *L)
{
	uint32_t h = actord_query(CTX(L), luaL_checkstring(L, 1));
	if (h == 0)
		return 0;
	lua_pushinteger(L, h);
	return 1;
}

static int lgetenv(lua_State *L)
{
	const char *v = actord_getenv(CTX(L), luaL_checkstring(L, 1));
	if (v)
		lua_pushstring(L, v);
	else
		lua_pushnil(L); /* one value, so tonumber(getenv "x") works */
	return 1;
}

static int lsetenv(lua_State *L)
{
	const char *k = luaL_checkstring(L, 1);
	const char *v = luaL_checkstring(L, 2);
	lua_pushboolean(L, actord_setenv(CTX(L), k, v) == 0);
	return 1;
}

/* core.launch(module, args [, where [, session]]) -> handle | nil.  With
 * a session, the new service answers it when started (core.parent). */
static int llaunch(lua_State *L)
{
	const char *module = luaL_checkstring(L, 1);
	const char *args = luaL_optstring(L, 2, "");
	int where = (int)luaL_optinteger(L, 3, ACTORD_PLACE_ANY);
	int session = (int)luaL_optinteger(L, 4, 0);
	uint32_t h = actord_launch_child(CTX(L), module, args, where, session);
	if (!h)
		return 0;
	lua_pushinteger(L, h);
	return 1;
}

/* core.parent() -> launcher, session: once, for a service launched with
 * a session; nothing otherwise. */
static int lparent(lua_State *L)
{
	uint32_t parent;
	int session = actord_parent(CTX(L), &parent);
	if (session == 0)
		return 0;
	lua_pushinteger(L, parent);
	lua_pushinteger(L, session);
	return 2;
}

static int lkill(lua_State *L)
{
	actord_kill(CTX(L), (uint32_t)luaL_checkinteger(L, 1));
	return 0;
}

static int lexit(lua_State *L)
{
	actord_exit(CTX(L));
	return 0;
}

static int labort(lua_State *L)
{
	actord_abort(CTX(L));
	return 0;
}

static int lnow(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)actord_now());
	return 1;
}

static int lstarttime(lua_State *L)
{
	lua_pushinteger(L, actord_starttime());
	return 1;
}

static int lhpc(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)actord_hpc());
	return 1;
}

static int lworker(lua_State *L)
{
	lua_pushinteger(L, actord_worker_id(CTX(L)));
	lua_pushinteger(L, actord_worker_count(CTX(L)));
	return 2;
}

static int lmemory(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)lua_gc(L, LUA_GCCOUNT, 0) * 1024 +
	                   lua_gc(L, LUA_GCCOUNTB, 0));
	return 1;
}

/* ---- payloads --------------------------------------------------------- */

static int lpack(lua_State *L)
{
	size_t sz;
	void *buf = seri_pack(L, 1, &sz);
	lua_pushlightuserdata(L, buf);
	lua_pushinteger(L, (lua_Integer)sz);
	return 2;
}

static int lpackstring(lua_State *L)
{
	size_t sz;
	void *buf = seri_pack(L, 1, &sz);
	lua_pushlstring(L, buf, sz);
	free(buf);
	return 1;
}

static int lunpack(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t sz;
		const char *s = lua_tolstring(L, 1, &sz);
		return seri_unpack(L, s, sz);
	}
	const void *msg = lua_touserdata(L, 1);
	size_t sz = (size_t)luaL_checkinteger(L, 2);
	if (!msg && sz)
		return luaL_error(L, "unpack: no message");
	lua_settop(L, 2);
	return seri_unpack(L, msg, sz);
}

static int ltostring(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		return 0;
	if (lua_type(L, 1) == LUA_TSTRING) {
		lua_settop(L, 1);
		return 1;
	}
	const char *msg = lua_touserdata(L, 1);
	size_t sz = (size_t)luaL_checkinteger(L, 2);
	lua_pushlstring(L, msg ? msg : "", msg ? sz : 0);
	return 1;
}

static int ltrash(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA)
		free(lua_touserdata(L, 1));
	return 0;
}

void lualib_attach(lua_State *L, struct lualib_state *ls,
                   struct actord_context *ctx)
{
	_Static_assert(LUA_EXTRASPACE >= sizeof(void *), "no room in the extra space");
	memset(ls, 0, sizeof *ls);
	ls->ctx = ctx;
	for (int i = 0; i < LUALIB_NREF; i++)
		ls->ref[i] = LUA_NOREF;
	*(struct lualib_state **)lua_getextraspace(L) = ls;
}

static const luaL_Reg core_fns[] = {
	{ "callback", lcallback }, { "send", lsend }, { "redirect", lredirect },
	{ "genid", lgenid }, { "self", lself }, { "error", lerror },
	{ "timeout", ltimeout }, { "name", lname }, { "alive", lalive }, { "owner", lowner },
	{ "query", lquery },
	{ "harborlink", lharborlink },
	{ "getenv", lgetenv }, { "setenv", lsetenv }, { "launch", llaunch },
	{ "kill", lkill }, { "parent", lparent }, { "exit", lexit }, { "abort", labort },
	{ "now", lnow }, { "starttime", lstarttime }, { "hpc", lhpc },
	{ "worker", lworker }, { "memory", lmemory },
	{ "pack", lpack }, { "packstring", lpackstring }, { "unpack", lunpack },
	{ "tostring", ltostring }, { "trash", ltrash },
	{ NULL, NULL },
};

/* The module table's __index: a function is added to the table the first
 * time it is read, so a state holds the names it uses only. */
static int core_index(lua_State *L)
{
	const char *name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
	const luaL_Reg *lists[] = { core_fns, lualib_engine_fns };
	for (size_t i = 0; name && i < sizeof lists / sizeof *lists; i++) {
		for (const luaL_Reg *f = lists[i]; f->name; f++) {
			if (strcmp(f->name, name) == 0) {
				lua_pushcfunction(L, f->func);
				lua_pushvalue(L, -1);
				lua_setfield(L, 1, name);
				return 1;
			}
		}
	}
	return 0;
}

int lualib_open_core(lua_State *L)
{
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, core_index);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	return 1;
}
