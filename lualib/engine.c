/* engine.c -- the machinery under lualib/skynet.lua that runs for every
 * message: dispatch, the coroutine pool, and resuming a coroutine and
 * reading what it yielded.  It was Lua; it is C so that a service does not
 * carry it as Lua functions of its own, since stock Lua 5.4 gives every
 * state its own copy of every function it loads.
 *
 * The Lua side shares the tables proto, waiting, watching, req_session,
 * req_source and sleeping with it, handed over once by core.engine.  The
 * pool, the tasks not yet started and the errors of the dispatch in hand
 * are the engine's own.  What each function does is what the Lua did,
 * step for step; the comments give the Lua.
 *
 * A pooled coroutine is a finished thread with an empty stack: a task is
 * its main function, pushed onto it and resumed, and when the task returns
 * the thread goes back to the pool (a thread that raised is not reused).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"
#include "lualib/lualib.h"

enum {
	R_PROTO, R_WAITING, R_WATCHING, R_REQ_SESSION, R_REQ_SOURCE, R_SLEEPING,
	R_RESPONSES,    /* pending response closures -> { requester, session } */
	R_LOAD_MORE,    /* skynet.lua's load_more: returns the extra's hooks */
	R_QUEUES,       /* the extra's run_queues, once it is loaded */
	R_STARTING,     /* thread -> the task it starts with (co_create) */
	R_POOL,         /* idle threads */
	R_ERRORS,       /* errors of this dispatch, raised at its end */
	R_COUNT
};
_Static_assert(R_COUNT <= LUALIB_NREF, "lualib_state.ref is too small");

static void push_ref(lua_State *L, const struct lualib_state *ls, int r)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, ls->ref[r]);
}

/* t[k] = v for the table of ref r; k and v are stack indices. */
static void set_ref(lua_State *L, const struct lualib_state *ls, int r, int k, int v)
{
	k = lua_absindex(L, k);
	v = lua_absindex(L, v);
	push_ref(L, ls, r);
	lua_pushvalue(L, k);
	lua_pushvalue(L, v);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

static void clear_ref(lua_State *L, const struct lualib_state *ls, int r, int k)
{
	k = lua_absindex(L, k);
	push_ref(L, ls, r);
	lua_pushvalue(L, k);
	lua_pushnil(L);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* Push t[k] for the table of ref r. */
static int get_ref(lua_State *L, const struct lualib_state *ls, int r, int k)
{
	k = lua_absindex(L, k);
	push_ref(L, ls, r);
	lua_pushvalue(L, k);
	int t = lua_rawget(L, -2);
	lua_remove(L, -2);
	return t;
}

/* errors[#errors + 1] = the string on top (popped) */
static void add_error(lua_State *L, const struct lualib_state *ls)
{
	push_ref(L, ls, R_ERRORS);
	lua_insert(L, -2);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	lua_pop(L, 1);
}

/* value == 0, as Lua's == says */
static int is_zero(lua_State *L, int idx)
{
	int isint;
	return lua_type(L, idx) == LUA_TNUMBER && lua_tointegerx(L, idx, &isint) == 0 && isint;
}

static int is_literal(lua_State *L, int idx, const char *s)
{
	size_t len;
	if (lua_type(L, idx) != LUA_TSTRING)
		return 0;
	const char *v = lua_tolstring(L, idx, &len);
	return len == strlen(s) && memcmp(v, s, len) == 0;
}

/* ---- the coroutine pool ----------------------------------------------- */

/* Push an idle thread. */
static lua_State *get_coroutine(lua_State *L, const struct lualib_state *ls)
{
	push_ref(L, ls, R_POOL);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	if (n > 0) {
		lua_rawgeti(L, -1, n);
		lua_pushnil(L);
		lua_rawseti(L, -3, n);
		lua_remove(L, -2);
		return lua_tothread(L, -1);
	}
	lua_pop(L, 1);
	return lua_newthread(L);
}

/* ---- tasks ------------------------------------------------------------ */

/* What an engine task returns when it ends, where task_loop yielded
 * "DONE": a thread that ends with it goes back to the pool. */
static const char TASK_DONE;

static int task_done(lua_State *L, int status, lua_KContext k)
{
	(void)status;
	(void)k;
	lua_settop(L, 0);
	lua_pushlightuserdata(L, (void *)&TASK_DONE);
	return 1;
}

/* task_main(f, ...): f(...) as a task */
static int task_main(lua_State *L)
{
	lua_callk(L, lua_gettop(L) - 1, 0, 0, task_done);
	return task_done(L, LUA_OK, 0);
}

static int unpack_and_run_k(lua_State *L, int status, lua_KContext k)
{
	(void)status;
	if (k == 0) {
		/* the stack: f unpack session source msg sz results... */
		int n = lua_gettop(L) - 6;
		lua_pushvalue(L, 1);
		lua_pushvalue(L, 3);
		lua_pushvalue(L, 4);
		lua_rotate(L, 7, 3);
		lua_callk(L, n + 2, 0, 1, unpack_and_run_k);
	}
	return task_done(L, LUA_OK, 0);
}

/* f(session, source, unpack(msg, sz)) as a task: unpacking happens in the
 * request's coroutine, so a message that does not unpack fails that
 * request alone. */
static int unpack_and_run(lua_State *L)
{
	lua_settop(L, 6);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 5);
	lua_pushvalue(L, 6);
	lua_callk(L, 2, LUA_MULTRET, 0, unpack_and_run_k);
	return unpack_and_run_k(L, LUA_OK, 0);
}

/* ---- resuming and what a coroutine yields ----------------------------- */

/* forget(co): its request and its sleep are over. */
static void forget(lua_State *L, const struct lualib_state *ls, int co)
{
	clear_ref(L, ls, R_REQ_SESSION, co);
	clear_ref(L, ls, R_REQ_SOURCE, co);
	clear_ref(L, ls, R_SLEEPING, co);
}

/* After a coroutine (at index co) stops: a task that returned leaves the
 * thread idle, back in the pool; on an error, answer its caller if it was
 * serving a request and keep the error, with the coroutine's traceback,
 * for the end of the dispatch.  A yield of "DONE" or "QUIT" ends its
 * request; "SUSPEND" waits on a session, nothing to do until it comes.
 * For an error the message is on top of L (popped). */
static void suspend(lua_State *L, const struct lualib_state *ls, int co,
                    int status, int nres)
{
	lua_State *T = lua_tothread(L, co);
	if (status == LUA_OK && nres == 1 && lua_touserdata(T, -1) == &TASK_DONE) {
		lua_settop(T, 0);
		push_ref(L, ls, R_POOL);
		lua_pushvalue(L, co);
		lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
		lua_pop(L, 1);
		forget(L, ls, co);
		return;
	}
	if (status == LUA_OK || status == LUA_YIELD) {
		/* a yield, or the end of a coroutine that is not a task */
		if (nres > 0 && (is_literal(T, -nres, "DONE") || is_literal(T, -nres, "QUIT")))
			forget(L, ls, co);
		lua_pop(T, nres);
		return;
	}
	/* local session = req_session[co]
	 * if session and session ~= 0 then
	 *     c.send(req_source[co], PTYPE_ERROR, session, "") end */
	get_ref(L, ls, R_REQ_SESSION, co);
	if (lua_toboolean(L, -1) && !is_zero(L, -1)) {
		get_ref(L, ls, R_REQ_SOURCE, co);
		int session = (int)luaL_checkinteger(L, -2);
		uint32_t source = (uint32_t)luaL_checkinteger(L, -1);
		actord_send(ls->ctx, 0, source, ACTORD_PTYPE_ERROR, session, "", 0);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	forget(L, ls, co);
	/* errors[#errors + 1] = debug.traceback(co, tostring(err)) */
	luaL_tolstring(L, -1, NULL);
	luaL_traceback(L, T, lua_tostring(L, -1), 0);
	add_error(L, ls);
	lua_pop(L, 2);
}

/* Resume the thread at index co with the nargs values on top of L
 * (popped); a thread made by co_create starts its task with them. */
static void resume(lua_State *L, const struct lualib_state *ls, int co, int nargs)
{
	co = lua_absindex(L, co);
	lua_State *T = lua_tothread(L, co);
	if (!T)
		luaL_error(L, "bad argument #1 to 'resume' (coroutine expected)");
	int start = get_ref(L, ls, R_STARTING, co) != LUA_TNIL;
	if (start) {
		/* local f = starting[co]; starting[co] = nil
		 * coroutine_resume(co, f, ...) */
		clear_ref(L, ls, R_STARTING, co);
		lua_pushcfunction(L, task_main);
		lua_insert(L, -2);
		lua_rotate(L, -(nargs + 2), 2);
		nargs += 2;
	} else {
		lua_pop(L, 1);
	}
	if (!lua_checkstack(T, nargs)) {
		lua_pop(L, nargs);
		lua_pushliteral(L, "too many arguments to resume");
		suspend(L, ls, co, LUA_ERRRUN, 0);
		return;
	}
	lua_xmove(L, T, nargs);
	int nres;
	int status = lua_resume(T, L, start ? nargs - 1 : nargs, &nres);
	if (status != LUA_OK && status != LUA_YIELD)
		lua_xmove(T, L, 1);
	suspend(L, ls, co, status, nres);
}

/* ---- serving a request ------------------------------------------------ */

/* serve(f, unpack, session, source, msg, sz) with the six at base. */
static void serve(lua_State *L, const struct lualib_state *ls, int base)
{
	base = lua_absindex(L, base);
	lua_State *T = get_coroutine(L, ls);
	int co = lua_gettop(L);
	set_ref(L, ls, R_REQ_SESSION, co, base + 2);
	set_ref(L, ls, R_REQ_SOURCE, co, base + 3);
	int n;
	if (lua_toboolean(L, base + 1)) {
		lua_pushcfunction(L, unpack_and_run);
		for (int i = 0; i < 6; i++)
			lua_pushvalue(L, base + i);
		n = 7;
	} else {
		lua_pushcfunction(L, task_main);
		lua_pushvalue(L, base);
		for (int i = 2; i < 6; i++)
			lua_pushvalue(L, base + i);
		n = 6;
	}
	lua_xmove(L, T, n);
	int nres;
	int status = lua_resume(T, L, n - 1, &nres);
	if (status != LUA_OK && status != LUA_YIELD)
		lua_xmove(T, L, 1);
	suspend(L, ls, co, status, nres);
	lua_settop(L, co - 1);
}

/* ---- dispatching ------------------------------------------------------ */

/* dispatch_response(session, ok, msg, sz) with session at s. */
static void dispatch_response(lua_State *L, const struct lualib_state *ls,
                              int s, int ok, int msg, int sz)
{
	int top = lua_gettop(L);
	int t = get_ref(L, ls, R_WAITING, s);
	if (t == LUA_TSTRING && is_literal(L, -1, "BREAK")) {
		clear_ref(L, ls, R_WAITING, s);
	} else if (t == LUA_TNIL) {
		if (ok) {
			lua_pushliteral(L, "Unknown response session ");
			lua_pushvalue(L, s);
			lua_concat(L, 2);
			actord_error(ls->ctx, "%s", lua_tostring(L, -1));
		}
	} else {
		clear_ref(L, ls, R_WAITING, s);
		lua_pushboolean(L, ok);
		if (ok) {
			lua_pushvalue(L, msg);
			lua_pushvalue(L, sz);
		} else {
			lua_pushnil(L);
			lua_pushnil(L);
		}
		resume(L, ls, top + 1, 3);
	}
	lua_settop(L, top);
}

/* f(session, source, unpack(msg, sz)) on the service's own thread, for a
 * protocol that says its dispatch never blocks (p.inline): no coroutine
 * to take from the pool, start and put back.  The stack is raw_dispatch's:
 * typeid msg sz session source p f unpack inline. */
static int run_inline(lua_State *L)
{
	lua_settop(L, 8);
	lua_pushvalue(L, 7);
	lua_pushvalue(L, 4);
	lua_pushvalue(L, 5);
	int n = 0;
	if (!lua_isnil(L, 8)) {
		int top = lua_gettop(L);
		lua_pushvalue(L, 8);
		lua_pushvalue(L, 2);
		lua_pushvalue(L, 3);
		lua_call(L, 2, LUA_MULTRET);
		n = lua_gettop(L) - top;
	} else {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, 3);
		n = 2;
	}
	lua_call(L, n + 2, 0);
	return 0;
}

/* raw_dispatch(typeid, msg, sz, session, source), under pcall. */
static int raw_dispatch(lua_State *L)
{
	const struct lualib_state *ls = lualib_state(L);
	lua_settop(L, 5);
	int isint;
	lua_Integer type = lua_tointegerx(L, 1, &isint);
	if (!isint || lua_type(L, 1) != LUA_TNUMBER)
		type = -1;
	if (type == ACTORD_PTYPE_RESPONSE) {
		dispatch_response(L, ls, 4, 1, 2, 3);
		return 0;
	}
	if (type == ACTORD_PTYPE_ERROR && !is_zero(L, 4)) {
		dispatch_response(L, ls, 4, 0, 0, 0);
		return 0;
	}
	/* local p = proto[typeid]; local f = p and p.dispatch */
	get_ref(L, ls, R_PROTO, 1);                               /* 6: p */
	if (lua_toboolean(L, 6))
		lua_getfield(L, 6, "dispatch");
	else
		lua_pushvalue(L, 6);                                  /* 7: f */
	if (lua_isnil(L, 7) || type == ACTORD_PTYPE_ERROR) {
		/* a stray message, or "this address is down" (an error with
		 * session 0): load_more().unusual(f, p, typeid, session, source) */
		push_ref(L, ls, R_LOAD_MORE);
		lua_call(L, 0, 1);
		lua_getfield(L, -1, "unusual");
		lua_pushvalue(L, 7);
		lua_pushvalue(L, 6);
		lua_pushvalue(L, 1);
		lua_pushvalue(L, 4);
		lua_pushvalue(L, 5);
		lua_call(L, 5, 0);
		return 0;
	}
	lua_getfield(L, 6, "unpack");                             /* 8 */
	if (lua_getfield(L, 6, "inline") == LUA_TBOOLEAN && lua_toboolean(L, -1))
		return run_inline(L);
	lua_pop(L, 1);
	/* serve(f, p.unpack, session, source, msg, sz) */
	lua_pushvalue(L, 4);
	lua_pushvalue(L, 5);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	serve(L, ls, 7);
	return 0;
}

/* dispatch(borrow, typeid, msg, sz, session, source) with typeid at base:
 * borrow says the runtime frees the payload after this dispatch (see
 * own).  Wake-ups and forks (skynet/extra.lua) run after the message that
 * caused them. */
static int dispatch(lua_State *L, int borrow, int base)
{
	struct lualib_state *ls = lualib_state(L);
	if (ls->ref[R_ERRORS] == LUA_NOREF)
		return luaL_error(L, "skynet.core.engine was not called");
	ls->borrowing = borrow && lua_type(L, base + 1) == LUA_TLIGHTUSERDATA;
	ls->borrowed = lua_touserdata(L, base + 1);
	lua_pushcfunction(L, raw_dispatch);
	for (int i = 0; i < 5; i++)
		lua_pushvalue(L, base + i);
	if (lua_pcall(L, 5, 0, 0) != LUA_OK) {
		luaL_tolstring(L, -1, NULL);
		add_error(L, ls);
		lua_pop(L, 1);
	}
	if (ls->ref[R_QUEUES] != LUA_NOREF) {
		push_ref(L, ls, R_QUEUES);
		lua_call(L, 0, 0);
	}
	ls->borrowing = false;
	ls->borrowed = NULL;
	push_ref(L, ls, R_ERRORS);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	if (n == 0)
		return 0;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -2, i);
		luaL_addvalue(&b);
		if (i < n)
			luaL_addchar(&b, '\n');
	}
	luaL_pushresult(&b);
	lua_newtable(L);
	luaL_unref(L, LUA_REGISTRYINDEX, ls->ref[R_ERRORS]);
	ls->ref[R_ERRORS] = luaL_ref(L, LUA_REGISTRYINDEX);
	return lua_error(L);
}

/* ---- the functions of skynet.core ------------------------------------- */

/* core.engine(proto, waiting, watching, req_session, req_source, sleeping,
 * responses, load_more): the tables skynet.lua shares with the engine. */
static int lengine(lua_State *L)
{
	struct lualib_state *ls = lualib_state(L);
	for (int i = 1; i <= 7; i++)
		luaL_checktype(L, i, LUA_TTABLE);
	luaL_checktype(L, 8, LUA_TFUNCTION);
	lua_settop(L, 8);
	for (int i = 0; i < R_COUNT; i++) {
		luaL_unref(L, LUA_REGISTRYINDEX, ls->ref[i]);
		ls->ref[i] = LUA_NOREF;
	}
	for (int i = 8; i >= 1; i--)
		ls->ref[R_PROTO + i - 1] = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	ls->ref[R_STARTING] = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	ls->ref[R_POOL] = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	ls->ref[R_ERRORS] = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* core.queues(run_queues): called after every dispatch from now on. */
static int lqueues(lua_State *L)
{
	struct lualib_state *ls = lualib_state(L);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	luaL_unref(L, LUA_REGISTRYINDEX, ls->ref[R_QUEUES]);
	ls->ref[R_QUEUES] = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* core.dispatch_message(typeid, msg, sz, session, source): skynet's
 * dispatch_message, what skynet.start installs as the callback. */
static int ldispatch_message(lua_State *L)
{
	lua_settop(L, 5);
	return dispatch(L, 1, 1);
}

/* core.dispatch(borrow, typeid, msg, sz, session, source) */
static int ldispatch(lua_State *L)
{
	lua_settop(L, 6);
	return dispatch(L, lua_toboolean(L, 1), 2);
}

/* core.co_create(f) -> a coroutine that runs f when first resumed (a fork,
 * a timeout). */
static int lco_create(lua_State *L)
{
	const struct lualib_state *ls = lualib_state(L);
	lua_settop(L, 1);
	get_coroutine(L, ls);
	set_ref(L, ls, R_STARTING, 2, 1);
	return 1;
}

/* core.resume(co, ...) */
static int lresume(lua_State *L)
{
	resume(L, lualib_state(L), 1, lua_gettop(L) - 1);
	return 0;
}

/* core.serve(f, unpack, session, source, msg, sz) */
static int lserve(lua_State *L)
{
	lua_settop(L, 6);
	serve(L, lualib_state(L), 1);
	return 0;
}

/* core.yield_session(session): waiting[session] = the running coroutine,
 * which then yields "SUSPEND"; returns what it is resumed with. */
static int lyield_session(lua_State *L)
{
	const struct lualib_state *ls = lualib_state(L);
	lua_settop(L, 1);
	lua_pushthread(L);
	set_ref(L, ls, R_WAITING, 1, 2);
	lua_pushliteral(L, "SUSPEND");
	return lua_yield(L, 1);
}

/* core.own(msg, sz): a payload the runtime may take.  The one being
 * dispatched is borrowed, so it is copied: passing it on must not hand it
 * over (a proxy's skynet.ret(skynet.rawcall(...)) would free it twice). */
static int lown(lua_State *L)
{
	const struct lualib_state *ls = lualib_state(L);
	lua_settop(L, 2);
	if (ls->borrowing && lua_type(L, 1) == LUA_TLIGHTUSERDATA &&
	    lua_touserdata(L, 1) == ls->borrowed) {
		const char *msg = lua_touserdata(L, 1);
		size_t sz = (size_t)luaL_checkinteger(L, 2);
		lua_pushlstring(L, msg ? msg : "", msg ? sz : 0);
		return 1;
	}
	return 2;
}

/* core.drop(msg, sz): skynet.trash, which leaves the borrowed payload to
 * the runtime. */
static int ldrop(lua_State *L)
{
	const struct lualib_state *ls = lualib_state(L);
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA &&
	    !(ls->borrowing && lua_touserdata(L, 1) == ls->borrowed))
		free(lua_touserdata(L, 1));
	return 0;
}

/* ---- starting and ending ---------------------------------------------- */

/* c.send(dest, type, session, msg, sz) for the value at dest (a handle or
 * a name); the payload is copied unless own is set (then it moves). */
static void send_to(lua_State *L, const struct lualib_state *ls, int dest,
                    int type, int session, void *msg, size_t sz, int own)
{
	if (own)
		type |= ACTORD_TAG_DONTCOPY;
	if (lua_type(L, dest) == LUA_TNUMBER)
		actord_send(ls->ctx, 0, (uint32_t)luaL_checkinteger(L, dest), type,
		            session, msg, sz);
	else
		actord_sendname(ls->ctx, 0, luaL_checkstring(L, dest), type,
		                session, msg, sz);
}

/* c.send(dest, type, session, c.pack(the n values on top)); pops them */
static void send_packed(lua_State *L, const struct lualib_state *ls, int dest,
                        int type, int session, int n)
{
	dest = lua_absindex(L, dest);
	size_t sz;
	void *buf = seri_pack(L, lua_gettop(L) - n + 1, &sz);
	lua_pop(L, n);
	send_to(L, ls, dest, type, session, buf, sz, 1);
}

/* Whoever started this service waits until its start function returned:
 * a newservice caller waits on a session (core.parent), the `.launcher`
 * on a message.  started: 1 (ready), 0 (failed), -1 (ended itself during
 * start: newservice returns nil). */
static void tell_launcher(lua_State *L, const struct lualib_state *ls, int started)
{
	uint32_t parent;
	int session = actord_parent(ls->ctx, &parent);
	if (session) {
		lua_pushinteger(L, parent);
		if (started == 0) {
			send_to(L, ls, -1, ACTORD_PTYPE_ERROR, session, "", 0, 0);
		} else {
			if (started > 0)
				lua_pushboolean(L, 1);
			else
				lua_pushnil(L);
			send_packed(L, ls, -2, ACTORD_PTYPE_RESPONSE, session, 1);
		}
		lua_pop(L, 1);
	} else if (started >= 0) {
		lua_pushliteral(L, ".launcher");
		lua_pushstring(L, started ? "LAUNCHOK" : "ERROR");
		send_packed(L, ls, -2, ACTORD_PTYPE_LUA, 0, 1);
		lua_pop(L, 1);
	}
}

/* core.started(ok): tell whoever started this service that its start
 * function returned (true) or failed (false). */
static int lstarted(lua_State *L)
{
	tell_launcher(L, lualib_state(L), lua_toboolean(L, 1) ? 1 : 0);
	return 0;
}

/* core.quit(): skynet.exit.  Every request still pending is answered with
 * an error, so no caller waits forever on a service that is gone. */
static int lquit(lua_State *L)
{
	struct lualib_state *ls = lualib_state(L);
	if (ls->exiting)
		return 0;
	ls->exiting = true;
	lua_settop(L, 0);
	/* for co, session in pairs(req_session) do
	 *     if session ~= 0 and req_source[co] then
	 *         c.send(req_source[co], PTYPE_ERROR, session, "") end end */
	push_ref(L, ls, R_REQ_SESSION);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (!is_zero(L, 3)) {
			if (get_ref(L, ls, R_REQ_SOURCE, 2) != LUA_TNIL && lua_toboolean(L, 4))
				send_to(L, ls, 4, ACTORD_PTYPE_ERROR,
				        (int)luaL_checkinteger(L, 3), "", 0, 0);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* for resp, to in pairs(responses) do
	 *     c.send(to[1], PTYPE_ERROR, to[2], ""); responses[resp] = nil end */
	push_ref(L, ls, R_RESPONSES);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_geti(L, 3, 1);
		lua_geti(L, 3, 2);
		send_to(L, ls, 4, ACTORD_PTYPE_ERROR, (int)luaL_checkinteger(L, 5), "", 0, 0);
		lua_pop(L, 3);
		lua_pushvalue(L, 2);
		lua_pushnil(L);
		lua_rawset(L, 1);
	}
	lua_pop(L, 1);
	tell_launcher(L, ls, -1);
	/* c.send(".launcher", PTYPE_LUA, 0, c.pack("REMOVE", c.self(), false)) */
	lua_pushliteral(L, ".launcher");
	lua_pushliteral(L, "REMOVE");
	lua_pushinteger(L, actord_self(ls->ctx));
	lua_pushboolean(L, 0);
	send_packed(L, ls, 1, ACTORD_PTYPE_LUA, 0, 3);
	actord_exit(ls->ctx);
	lua_pushliteral(L, "QUIT");
	return lua_yield(L, 1);
}

/* core.traceback(msg): debug.traceback(msg) as a message handler, without
 * opening the debug library. */
static int ltraceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL && !lua_isnoneornil(L, 1))
		lua_pushvalue(L, 1); /* a non-string error: untouched */
	else
		luaL_traceback(L, L, msg, 1);
	return 1;
}

const luaL_Reg lualib_engine_fns[] = {
	{ "traceback", ltraceback }, { "started", lstarted }, { "quit", lquit },
	{ "engine", lengine }, { "queues", lqueues },
	{ "dispatch_message", ldispatch_message }, { "dispatch", ldispatch },
	{ "co_create", lco_create }, { "resume", lresume }, { "serve", lserve },
	{ "yield_session", lyield_session }, { "own", lown }, { "drop", ldrop },
	{ NULL, NULL },
};
