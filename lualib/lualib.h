/* lualib.h -- the C half of the Lua API, linked into actord.
 *
 * skynet.core (core.c) is what lualib/skynet.lua is built on; the pack
 * format (seri.c) is skynet's, so packed messages mean the same on both.
 */
#ifndef ACTORD_LUALIB_H
#define ACTORD_LUALIB_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

#include <stdbool.h>

struct actord_context;

/* What a service's Lua API keeps on the C side.  The host owns it and
 * attaches it to the state (lualib_attach) before it runs any Lua. */
#define LUALIB_NREF 12
struct lualib_state {
	struct actord_context *ctx;
	lua_State *main;        /* the main thread, which runs the callback */
	bool forward;           /* core.callback's: keep the payload after it */
	const void *borrowed;   /* the payload being dispatched, if borrowing */
	bool borrowing;         /* the runtime frees it after the dispatch */
	bool exiting;           /* skynet.exit ran */
	int ref[LUALIB_NREF];   /* registry refs of engine.c's tables */
};

/* ls goes into the extra space (lua_getextraspace) of L, which coroutines
 * copy from the main thread when they are created: the functions of
 * skynet.core find their service there, so they are light C functions
 * (a C closure with an upvalue would cost each state 48 bytes apiece).
 * Nothing else may use that space. */
void lualib_attach(lua_State *L, struct lualib_state *ls,
                   struct actord_context *ctx);

static inline struct lualib_state *lualib_state(lua_State *L)
{
	return *(struct lualib_state **)lua_getextraspace(L);
}

/* Open skynet.core for the attached service (leaves the module table). */
int lualib_open_core(lua_State *L);

/* A lua_pcall message handler: the error with a traceback. */
int lualib_traceback(lua_State *L);

/* Registry key (lightuserdata) of the message callback a service set
 * through core.callback; nil until it did. */
const void *lualib_callback_key(void);

/* engine.c: the dispatcher under skynet.lua, part of skynet.core. */
extern const luaL_Reg lualib_engine_fns[];

/* sharedata.c: open skynet.sharedata.core (per-process shared tables). */
int lualib_open_sharedata(lua_State *L);

/* socketdriver.c: open skynet.socketdriver, the sockets of the service
 * `ctx` (under skynet.socket). */
int lualib_open_socketdriver(lua_State *L, struct actord_context *ctx);
/* netpack.c: open skynet.netpack, the gate's 2-byte length protocol. */
int lualib_open_netpack(lua_State *L);
/* httpparse.c: open http.parse, the line splitting of lualib/http's
 * parser; luaopen_http_parse is the same for a plain interpreter. */
int lualib_open_httpparse(lua_State *L);
int luaopen_http_parse(lua_State *L);

/* seri.c: pack the values at stack [from, top] into a malloc'ed buffer;
 * raises a Lua error on an unpackable value. */
void *seri_pack(lua_State *L, int from, size_t *sz);
/* Push the values packed in buf; returns how many, or raises a Lua error
 * "malformed packed message: ..." on bad input. */
int seri_unpack(lua_State *L, const void *buf, size_t sz);

#endif
