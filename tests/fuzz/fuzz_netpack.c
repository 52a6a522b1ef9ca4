/* fuzz_netpack.c -- fuzz target for the gate's length protocol
 * (lualib/netpack.c).
 *
 * The input is a script.  Its first byte picks the packet size limit;
 * then each step feeds a chunk of bytes to one of four sockets, pops the
 * queue, or forgets a socket.  A plain model (each socket's bytes kept in
 * one buffer and cut from the start) says which packets must come out, in
 * which order per socket, and when a socket must be refused; the queue
 * must agree, hold exactly the unfinished bytes the model holds, and
 * leak nothing.  Inputs whose first byte has the top bit set go through
 * the Lua module instead (filter on whole socket messages, malformed ones
 * included, pop, pack, tostring), which must raise only its own errors.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"
#include "lualib/lualib.h"
#include "lualib/netpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SOCKETS 4

struct expected {
	struct expected *next;
	uint32_t size;
	uint8_t data[];
};

struct model {
	uint8_t *buf;             /* bytes not yet cut into packets */
	size_t len;
	int refused;
	struct expected *head, **tail;   /* packets owed, oldest first */
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static void owe(struct model *m, const uint8_t *p, uint32_t n)
{
	struct expected *e = malloc(sizeof *e + n + 1);
	check(e != NULL);
	e->next = NULL;
	e->size = n;
	memcpy(e->data, p, n);
	*m->tail = e;
	m->tail = &e->next;
}

/* Feed the model; returns 1 if this chunk got the socket refused. */
static int model_feed(struct model *m, const uint8_t *p, size_t n,
                      uint32_t limit)
{
	if (m->refused)
		return 0;
	m->buf = realloc(m->buf, m->len + n + 1);
	check(m->buf != NULL);
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	size_t at = 0;
	while (m->len - at >= 2) {
		uint32_t sz = (uint32_t)m->buf[at] << 8 | m->buf[at + 1];
		if (sz > limit) {
			m->refused = 1;
			m->len = 0;
			return 1;
		}
		if (m->len - at - 2 < sz)
			break;
		owe(m, m->buf + at + 2, sz);
		at += 2 + sz;
	}
	memmove(m->buf, m->buf + at, m->len - at);
	m->len -= at;
	return 0;
}

/* A packet came out: it must be the oldest one owed for its socket. */
static void got(struct model *ms, struct netpack_packet *pkt)
{
	check(pkt->id >= 0 && pkt->id < SOCKETS && pkt->data != NULL);
	struct model *m = &ms[pkt->id];
	struct expected *e = m->head;
	check(e != NULL && e->size == pkt->size &&
	      memcmp(e->data, pkt->data, pkt->size) == 0);
	m->head = e->next;
	if (!m->head)
		m->tail = &m->head;
	free(e);
	free(pkt->data);
}

static void drain(struct netpack_queue *q, struct model *ms)
{
	struct netpack_packet pkt;
	while (netpack_pop(q, &pkt))
		got(ms, &pkt);
}

static void run_model(const uint8_t *data, size_t size)
{
	uint32_t limit = data[0] & 1 ? NETPACK_MAX : (uint32_t)data[0] * 4;
	struct netpack_queue q;
	struct model ms[SOCKETS];
	memset(ms, 0, sizeof ms);
	for (int i = 0; i < SOCKETS; i++)
		ms[i].tail = &ms[i].head;
	netpack_init(&q, limit);
	size_t at = 1;
	while (at < size) {
		uint8_t op = data[at++];
		int id = op >> 6;
		switch (op & 7) {
		case 5:
			drain(&q, ms);
			break;
		case 6:
			check(netpack_forget(&q, id) == ms[id].len);
			ms[id].len = 0;
			ms[id].refused = 0;
			break;
		default: {
			/* a chunk: a length byte (scaled up now and then, so
			 * big packets happen), then that many bytes */
			size_t n = at < size ? data[at++] : 0;
			if (op & 8)
				n *= 97;
			if (n > size - at)
				n = size - at;
			struct netpack_packet one;
			uint32_t bad = 0;
			size_t queued = q.count;
			enum netpack_result r = netpack_feed(&q, id, data + at, n, &one, &bad);
			int refused = model_feed(&ms[id], data + at, n, limit);
			at += n;
			check((r == NETPACK_TOOBIG) == refused);
			check(r != NETPACK_NOMEM);
			if (r == NETPACK_TOOBIG)
				check(bad > limit && bad <= NETPACK_MAX);
			if (r == NETPACK_ONE) {
				check(queued == 0 && q.count == 0);
				got(ms, &one);
			}
			if (r == NETPACK_MORE)
				check(q.count > queued);
			if (r == NETPACK_NONE)
				check(q.count == queued);
			break;
		}
		}
		check(netpack_pending(&q, id) == ms[id].len);
	}
	drain(&q, ms);
	for (int i = 0; i < SOCKETS; i++) {
		check(ms[i].head == NULL);   /* every packet owed came out */
		free(ms[i].buf);
	}
	netpack_clear(&q);
	check(q.count == 0 && q.npartial == 0);
}

/* ---- through the Lua module ------------------------------------------ */

static int prefixed(const char *msg)
{
	return msg && (strncmp(msg, "netpack.", 8) == 0 ||
	               strstr(msg, "bad argument") != NULL);
}

/* filter(queue, msg, sz), then take whatever packets came out: each is
 * turned into a string (which frees it). */
static int l_step(lua_State *L)
{
	/* 1 netpack, 2 queue, 3 msg, 4 sz */
	lua_getfield(L, 1, "filter");
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	lua_pushvalue(L, 4);
	lua_call(L, 3, LUA_MULTRET);
	/* 5 queue, 6 what, ... */
	lua_pushvalue(L, 5);
	lua_replace(L, 2);
	const char *what = lua_tostring(L, 6);
	if (what && strcmp(what, "data") == 0) {
		lua_getfield(L, 1, "tostring");
		lua_pushvalue(L, 8);
		lua_pushvalue(L, 9);
		lua_call(L, 2, 1);
		check(lua_rawlen(L, -1) == (size_t)lua_tointeger(L, 9));
	} else if (what && (strcmp(what, "more") == 0 || strcmp(what, "error") == 0)) {
		for (;;) {
			int top = lua_gettop(L);
			lua_getfield(L, 1, "pop");
			lua_pushvalue(L, 2);
			lua_call(L, 1, 3);
			if (lua_isnil(L, -3)) {
				lua_settop(L, top);
				break;
			}
			lua_getfield(L, 1, "tostring");
			lua_insert(L, -3);
			lua_call(L, 2, 1);
			lua_settop(L, top);
		}
	}
	lua_settop(L, 2);
	return 1;   /* the queue */
}

/* pack(s) and feed it back: the same string must come out. */
static int l_roundtrip(lua_State *L)
{
	/* 1 netpack, 2 string */
	lua_getfield(L, 1, "pack");
	lua_pushvalue(L, 2);
	lua_call(L, 1, 2);
	size_t sz = (size_t)lua_tointeger(L, -1);
	const uint8_t *framed = lua_touserdata(L, -2);
	size_t n;
	const char *s = lua_tolstring(L, 2, &n);
	check(sz == n + 2 && framed[0] == (n >> 8) && framed[1] == (n & 0xff));
	struct actord_socket_message *m = malloc(sizeof *m + sz);
	check(m != NULL);
	m->type = ACTORD_SOCKET_DATA;
	m->id = 7;
	m->ud = (int32_t)sz;
	m->size = (uint32_t)sz;
	memcpy(m->data, framed, sz);
	free((void *)framed);
	lua_settop(L, 2);
	lua_getfield(L, 1, "filter");
	lua_pushnil(L);
	lua_pushlightuserdata(L, m);
	lua_pushinteger(L, (lua_Integer)(sizeof *m + sz));
	lua_call(L, 3, LUA_MULTRET);
	free(m);
	check(strcmp(lua_tostring(L, 4), "data") == 0 && lua_tointeger(L, 5) == 7);
	lua_getfield(L, 1, "tostring");
	lua_pushvalue(L, 6);
	lua_pushvalue(L, 7);
	lua_call(L, 2, 1);
	size_t back;
	const char *b = lua_tolstring(L, -1, &back);
	check(back == n && memcmp(b, s, n) == 0);
	return 0;
}

static void run_lua(const uint8_t *data, size_t size)
{
	static lua_State *L;   /* one state for the run, as in fuzz_unpack */
	if (L == NULL) {
		L = luaL_newstate();
		check(L != NULL);
		luaL_openlibs(L);
	}
	lua_settop(L, 0);
	lualib_open_netpack(L);              /* 1 */
	lua_pushnil(L);                      /* 2: the queue, made by filter */
	size_t at = 1;
	while (at + 4 <= size) {
		uint8_t type = data[at] & 7, id = data[at + 1] & 3;
		uint8_t n = data[at + 2], lie = data[at + 3];
		at += 4;
		if (n > size - at)
			n = (uint8_t)(size - at);
		if (type == 0) {
			lua_pushcfunction(L, l_roundtrip);
			lua_pushvalue(L, 1);
			lua_pushlstring(L, (const char *)data + at, n);
			check(lua_pcall(L, 2, 0, 0) == LUA_OK);
			at += n;
			continue;
		}
		struct actord_socket_message *m = malloc(sizeof *m + n + 1);
		check(m != NULL);
		m->type = type;
		m->id = id;
		m->ud = type == ACTORD_SOCKET_ACCEPT ? (id + 1) & 3 : n;
		m->size = n;
		memcpy(m->data, data + at, n);
		at += n;
		/* sometimes the size given does not cover the message */
		lua_Integer sz = (lua_Integer)(sizeof *m + n);
		if (lie & 0x80)
			sz = lie & 0x7f;
		lua_pushcfunction(L, l_step);
		lua_pushvalue(L, 1);
		lua_pushvalue(L, 2);
		lua_pushlightuserdata(L, m);
		lua_pushinteger(L, sz);
		if (lua_pcall(L, 4, 1, 0) == LUA_OK) {
			check(sz >= (lua_Integer)(sizeof *m + n));
			lua_replace(L, 2);
		} else {
			check(prefixed(lua_tostring(L, -1)));
			lua_pop(L, 1);
		}
		free(m);
	}
	if (!lua_isnil(L, 2)) {
		lua_getfield(L, 1, "clear");
		lua_pushvalue(L, 2);
		lua_call(L, 1, 0);
	}
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		run_lua(data, size);
	else
		run_model(data, size);
	return 0;
}
