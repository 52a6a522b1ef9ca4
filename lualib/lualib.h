/* lualib.h -- the C half of the Lua API, linked into actord.
 *
 * skynet.core (core.c) is what lualib/skynet.lua is built on; the pack
 * format (seri.c) is skynet's, so packed messages mean the same on both.
 */
#ifndef ACTORD_LUALIB_H
#define ACTORD_LUALIB_H

#include <lua.h>
#include <stddef.h>

struct actord_context;

/* Open skynet.core for the service `ctx` (leaves the module table). */
int lualib_open_core(lua_State *L, struct actord_context *ctx);

/* A lua_pcall message handler: the error with a traceback. */
int lualib_traceback(lua_State *L);

/* Registry key (lightuserdata) of the message callback a service set
 * through core.callback; nil until it did. */
const void *lualib_callback_key(void);

/* sharedata.c: open skynet.sharedata.core (per-process shared tables). */
int lualib_open_sharedata(lua_State *L);

/* socketdriver.c: open skynet.socketdriver, the sockets of the service
 * `ctx` (under skynet.socket). */
int lualib_open_socketdriver(lua_State *L, struct actord_context *ctx);
/* netpack.c: open skynet.netpack, the gate's 2-byte length protocol. */
int lualib_open_netpack(lua_State *L);

/* seri.c: pack the values at stack [from, top] into a malloc'ed buffer;
 * raises a Lua error on an unpackable value. */
void *seri_pack(lua_State *L, int from, size_t *sz);
/* Push the values packed in buf; returns how many, or raises a Lua error
 * "malformed packed message: ..." on bad input. */
int seri_unpack(lua_State *L, const void *buf, size_t sz);

#endif
