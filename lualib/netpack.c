/* netpack.c -- skynet.netpack: the gate's 2-byte length protocol.
 *
 * The first half cuts byte streams into packets (see netpack.h); the
 * second is the Lua module snax.gateserver is built on:
 *
 *   filter(queue, msg, sz) -> queue, what, ...   for a PTYPE_SOCKET message
 *       "data", id, msg, sz | "more" | "open", id, addr | "close", id,
 *       dropped | "error", id, reason[, open] | "warning", id, kib
 *   pop(queue) -> id, msg, sz        pack(str) -> msg, sz
 *   tostring(msg, sz) -> str         clear(queue)
 *   setlimit(queue, n) -> queue
 *
 * Packets handed to Lua are malloc'ed buffers the receiver frees
 * (tostring, skynet.trash) or passes on (skynet.redirect).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"
#include "lualib/lualib.h"
#include "lualib/netpack.h"

/* ---- byte level ------------------------------------------------------- */

/* A socket with a packet under way, or one refused after a bad header. */
struct netpack_partial {
	struct netpack_partial *next;
	int id;
	bool refused;
	uint8_t nhead;          /* header bytes seen, 0..2 */
	uint8_t head[NETPACK_HEADER];
	uint32_t size, have;    /* valid once the header is whole */
	uint8_t *buf;           /* size bytes, once the header is whole */
};

void netpack_init(struct netpack_queue *q, uint32_t limit)
{
	memset(q, 0, sizeof *q);
	netpack_set_limit(q, limit);
}

void netpack_set_limit(struct netpack_queue *q, uint32_t limit)
{
	q->limit = limit > NETPACK_MAX ? NETPACK_MAX : limit;
}

void netpack_clear(struct netpack_queue *q)
{
	for (uint32_t i = 0; i < q->count; i++)
		free(q->ring[(q->head + i) % q->cap].data);
	free(q->ring);
	for (uint32_t b = 0; b < q->nbucket; b++) {
		struct netpack_partial *pt = q->bucket[b];
		while (pt) {
			struct netpack_partial *next = pt->next;
			free(pt->buf);
			free(pt);
			pt = next;
		}
	}
	free(q->bucket);
	netpack_init(q, q->limit);
}

static uint32_t bucket_of(uint32_t nbucket, int id)
{
	/* ids are mostly consecutive; spread them anyway */
	return ((uint32_t)id * 2654435761u) & (nbucket - 1);
}

/* The link that points at id's entry (or where it would go); NULL when
 * the table is still empty. */
static struct netpack_partial **find(const struct netpack_queue *q, int id)
{
	if (q->nbucket == 0)
		return NULL;
	struct netpack_partial **link = &q->bucket[bucket_of(q->nbucket, id)];
	while (*link && (*link)->id != id)
		link = &(*link)->next;
	return link;
}

static bool grow_table(struct netpack_queue *q)
{
	uint32_t n = q->nbucket ? q->nbucket * 2 : 64;
	struct netpack_partial **b = calloc(n, sizeof *b);
	if (!b)
		return false;
	for (uint32_t i = 0; i < q->nbucket; i++) {
		struct netpack_partial *pt = q->bucket[i];
		while (pt) {
			struct netpack_partial *next = pt->next;
			uint32_t k = bucket_of(n, pt->id);
			pt->next = b[k];
			b[k] = pt;
			pt = next;
		}
	}
	free(q->bucket);
	q->bucket = b;
	q->nbucket = n;
	return true;
}

/* A new, empty entry for id, which has none. */
static struct netpack_partial *add_partial(struct netpack_queue *q, int id)
{
	if (q->npartial >= q->nbucket && !grow_table(q) && q->nbucket == 0)
		return NULL;   /* a full table only gets slower; an absent one is fatal */
	struct netpack_partial *pt = calloc(1, sizeof *pt);
	if (!pt)
		return NULL;
	uint32_t k = bucket_of(q->nbucket, id);
	pt->id = id;
	pt->next = q->bucket[k];
	q->bucket[k] = pt;
	q->npartial++;
	return pt;
}

static void unlink_partial(struct netpack_queue *q,
                           struct netpack_partial **link)
{
	struct netpack_partial *pt = *link;
	*link = pt->next;
	q->npartial--;
	free(pt->buf);
	free(pt);
}

static size_t held_bytes(const struct netpack_partial *pt)
{
	return pt->refused ? 0 : pt->nhead + (size_t)pt->have;
}

size_t netpack_forget(struct netpack_queue *q, int id)
{
	struct netpack_partial **link = find(q, id);
	if (!link || !*link)
		return 0;
	size_t n = held_bytes(*link);
	unlink_partial(q, link);
	return n;
}

size_t netpack_pending(const struct netpack_queue *q, int id)
{
	struct netpack_partial **link = find(q, id);
	return link && *link ? held_bytes(*link) : 0;
}

static bool push(struct netpack_queue *q, struct netpack_packet pkt)
{
	if (q->count == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 16;
		struct netpack_packet *r = malloc(cap * sizeof *r);
		if (!r)
			return false;
		for (uint32_t i = 0; i < q->count; i++)
			r[i] = q->ring[(q->head + i) % q->cap];
		free(q->ring);
		q->ring = r;
		q->cap = cap;
		q->head = 0;
	}
	q->ring[(q->head + q->count) % q->cap] = pkt;
	q->count++;
	return true;
}

bool netpack_pop(struct netpack_queue *q, struct netpack_packet *out)
{
	if (q->count == 0)
		return false;
	*out = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	return true;
}

/* Where one feed's finished packets go: the first is held aside, so the
 * common case of one packet per read never touches the queue. */
struct sink {
	struct netpack_queue *q;
	struct netpack_packet *one;
	bool held, queued;
};

static bool emit(struct sink *s, struct netpack_packet pkt)
{
	if (!s->held && !s->queued && s->q->count == 0) {
		*s->one = pkt;
		s->held = true;
		return true;
	}
	if (s->held) {
		if (!push(s->q, *s->one))
			goto nomem;
		s->held = false;
	}
	if (!push(s->q, pkt))
		goto nomem;
	s->queued = true;
	return true;
nomem:
	free(pkt.data);
	return false;
}

static uint8_t *copy(const uint8_t *p, uint32_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (b && n)
		memcpy(b, p, n);
	return b;
}

/* No more packets from this socket: drop what it had under way and
 * mark it, so the rest of its stream is dropped too. */
static enum netpack_result refuse(struct netpack_queue *q, int id,
                                  enum netpack_result why)
{
	struct netpack_partial **link = find(q, id);
	struct netpack_partial *pt = link ? *link : NULL;
	if (!pt)
		pt = add_partial(q, id);
	if (pt) {
		free(pt->buf);
		pt->buf = NULL;
		pt->refused = true;
	}
	return why;
}

/* The rest of an unfinished packet; NONE while it is still unfinished,
 * ONE once it is whole (and its entry gone). */
static enum netpack_result resume(struct netpack_queue *q,
                                  struct netpack_partial **link,
                                  const uint8_t **p, size_t *n,
                                  struct sink *s, uint32_t *bad)
{
	struct netpack_partial *pt = *link;
	while (pt->nhead < NETPACK_HEADER && *n > 0) {
		pt->head[pt->nhead++] = **p;
		(*p)++;
		(*n)--;
	}
	if (pt->nhead < NETPACK_HEADER)
		return NETPACK_NONE;
	if (!pt->buf) {
		uint32_t size = (uint32_t)pt->head[0] << 8 | pt->head[1];
		if (size > q->limit) {
			*bad = size;
			return refuse(q, pt->id, NETPACK_TOOBIG);
		}
		pt->buf = malloc(size ? size : 1);
		if (!pt->buf)
			return refuse(q, pt->id, NETPACK_NOMEM);
		pt->size = size;
		pt->have = 0;
	}
	size_t take = pt->size - pt->have;
	if (take > *n)
		take = *n;
	memcpy(pt->buf + pt->have, *p, take);
	pt->have += (uint32_t)take;
	*p += take;
	*n -= take;
	if (pt->have < pt->size)
		return NETPACK_NONE;
	struct netpack_packet pkt = { pt->id, pt->size, pt->buf };
	pt->buf = NULL;
	unlink_partial(q, link);
	return emit(s, pkt) ? NETPACK_ONE : refuse(q, pkt.id, NETPACK_NOMEM);
}

/* Keep the tail of a read, shorter than the packet it starts. */
static enum netpack_result keep(struct netpack_queue *q, int id,
                                const uint8_t *p, size_t n)
{
	struct netpack_partial *pt = add_partial(q, id);
	if (!pt)
		return NETPACK_NOMEM;
	pt->nhead = (uint8_t)(n < NETPACK_HEADER ? n : NETPACK_HEADER);
	memcpy(pt->head, p, pt->nhead);
	if (n < NETPACK_HEADER)
		return NETPACK_NONE;
	/* the caller checked the size against the limit */
	pt->size = (uint32_t)p[0] << 8 | p[1];
	pt->have = (uint32_t)(n - NETPACK_HEADER);
	pt->buf = malloc(pt->size ? pt->size : 1);
	if (!pt->buf)
		return NETPACK_NOMEM;
	memcpy(pt->buf, p + NETPACK_HEADER, pt->have);
	return NETPACK_NONE;
}

static enum netpack_result cut(struct netpack_queue *q, int id,
                               const uint8_t *p, size_t n,
                               struct sink *s, uint32_t *bad)
{
	struct netpack_partial **link = find(q, id);
	if (link && *link) {
		if ((*link)->refused)
			return NETPACK_NONE;
		enum netpack_result r = resume(q, link, &p, &n, s, bad);
		if (r != NETPACK_ONE)
			return r;
	}
	/* whole packets straight from the read, no staging copy */
	while (n >= NETPACK_HEADER) {
		uint32_t size = (uint32_t)p[0] << 8 | p[1];
		if (size > q->limit) {
			*bad = size;
			return refuse(q, id, NETPACK_TOOBIG);
		}
		if (n - NETPACK_HEADER < size)
			break;
		struct netpack_packet pkt = { id, size, copy(p + NETPACK_HEADER, size) };
		if (!pkt.data || !emit(s, pkt))
			return refuse(q, id, NETPACK_NOMEM);
		p += NETPACK_HEADER + size;
		n -= NETPACK_HEADER + size;
	}
	if (n > 0 && keep(q, id, p, n) == NETPACK_NOMEM)
		return refuse(q, id, NETPACK_NOMEM);
	return NETPACK_NONE;
}

enum netpack_result netpack_feed(struct netpack_queue *q, int id,
                                 const uint8_t *p, size_t n,
                                 struct netpack_packet *one, uint32_t *bad)
{
	struct sink s = { q, one, false, false };
	enum netpack_result r = cut(q, id, p, n, &s, bad);
	if (r == NETPACK_TOOBIG || r == NETPACK_NOMEM) {
		/* what came before the bad header is still good: queue it */
		if (s.held && !push(q, *one))
			free(one->data);
		return r;
	}
	if (s.queued)
		return NETPACK_MORE;
	return s.held ? NETPACK_ONE : NETPACK_NONE;
}

/* ---- the Lua module --------------------------------------------------- */

#define QUEUE_META "actord.netpack.queue"

static int queue_gc(lua_State *L)
{
	netpack_clear(luaL_checkudata(L, 1, QUEUE_META));
	return 0;
}

static struct netpack_queue *new_queue(lua_State *L)
{
	struct netpack_queue *q = lua_newuserdatauv(L, sizeof *q, 0);
	netpack_init(q, NETPACK_MAX);
	if (luaL_newmetatable(L, QUEUE_META)) {
		lua_pushcfunction(L, queue_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return q;
}

/* The queue at idx, or a new one put there when it is nil. */
static struct netpack_queue *queue_at(lua_State *L, int idx)
{
	if (lua_isnoneornil(L, idx)) {
		struct netpack_queue *q = new_queue(L);
		lua_replace(L, idx);
		return q;
	}
	return luaL_checkudata(L, idx, QUEUE_META);
}

static void push_packet(lua_State *L, const struct netpack_packet *pkt)
{
	lua_pushinteger(L, pkt->id);
	lua_pushlightuserdata(L, pkt->data);
	lua_pushinteger(L, pkt->size);
}

/* Push what happened and to which socket; the caller adds the rest. */
static void event(lua_State *L, const char *what, int id)
{
	lua_pushstring(L, what);
	lua_pushinteger(L, id);
}

static int filter_data(lua_State *L, struct netpack_queue *q, int id,
                       const uint8_t *p, size_t n)
{
	struct netpack_packet one;
	uint32_t bad = 0;
	switch (netpack_feed(q, id, p, n, &one, &bad)) {
	case NETPACK_ONE:
		lua_pushliteral(L, "data");
		push_packet(L, &one);
		return 5;
	case NETPACK_MORE:
		lua_pushliteral(L, "more");
		return 2;
	case NETPACK_TOOBIG:
	case NETPACK_NOMEM:
		event(L, "error", id);
		if (bad)
			lua_pushfstring(L, "packet of %d bytes over the limit of %d",
			                (int)bad, (int)q->limit);
		else
			lua_pushliteral(L, "out of memory for its packets");
		lua_pushboolean(L, 1);   /* the socket is still open */
		return 5;
	case NETPACK_NONE:
		break;
	}
	return 1;
}

/* filter(queue, msg, sz): see the top of the file.  msg is a socket
 * message the runtime still owns; whatever is kept is copied. */
static int lfilter(lua_State *L)
{
	lua_settop(L, 3);
	struct netpack_queue *q = queue_at(L, 1);
	const struct actord_socket_message *m = lua_touserdata(L, 2);
	lua_Integer sz = luaL_checkinteger(L, 3);
	if (!m || sz < (lua_Integer)sizeof *m ||
	    m->size > (size_t)sz - sizeof *m)
		return luaL_error(L, "netpack.filter: not a socket message (%d bytes)",
		                  (int)sz);
	lua_settop(L, 1);
	switch (m->type) {
	case ACTORD_SOCKET_DATA:
		return filter_data(L, q, m->id, (const uint8_t *)m->data, m->size);
	case ACTORD_SOCKET_ACCEPT:
		netpack_forget(q, m->ud);   /* a reused id starts afresh */
		event(L, "open", m->ud);
		lua_pushlstring(L, m->data, m->size);
		return 4;
	case ACTORD_SOCKET_CLOSE:
		event(L, "close", m->id);
		lua_pushinteger(L, (lua_Integer)netpack_forget(q, m->id));
		return 4;
	case ACTORD_SOCKET_ERROR:
		netpack_forget(q, m->id);
		event(L, "error", m->id);
		lua_pushlstring(L, m->data, m->size);
		return 4;
	case ACTORD_SOCKET_WARNING:
		event(L, "warning", m->id);
		lua_pushinteger(L, m->ud);
		return 4;
	default:   /* CONNECT (a start), UDP: nothing for a gate */
		return 1;
	}
}

static int lpop(lua_State *L)
{
	struct netpack_queue *q = luaL_checkudata(L, 1, QUEUE_META);
	struct netpack_packet pkt;
	if (!netpack_pop(q, &pkt))
		return 0;
	push_packet(L, &pkt);
	return 3;
}

/* pack(str) or pack(msg, sz) -> msg, sz: a framed copy, for
 * socketdriver.send to take. */
static int lpack(lua_State *L)
{
	size_t n;
	const char *s;
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) {
		s = lua_touserdata(L, 1);
		lua_Integer sz = luaL_checkinteger(L, 2);
		luaL_argcheck(L, sz >= 0 && (s || sz == 0), 2, "bad size");
		n = (size_t)sz;
	} else {
		s = luaL_checklstring(L, 1, &n);
	}
	if (n > NETPACK_MAX)
		return luaL_error(L, "netpack.pack: %d bytes, over the %d a packet holds",
		                  (int)(n > 0x7fffffff ? 0x7fffffff : n), NETPACK_MAX);
	uint8_t *b = malloc(n + NETPACK_HEADER);
	if (!b)
		return luaL_error(L, "netpack.pack: out of memory");
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	if (n)
		memcpy(b + NETPACK_HEADER, s, n);
	lua_pushlightuserdata(L, b);
	lua_pushinteger(L, (lua_Integer)(n + NETPACK_HEADER));
	return 2;
}

/* Free a payload unless it is the message being dispatched, which the
 * runtime frees itself: an agent registering netpack.tostring as its
 * "client" unpack (tutorial 13.7) would otherwise free it twice.
 * skynet.trash knows which one that is. */
static void release(lua_State *L, void *p, lua_Integer sz)
{
	int top = lua_gettop(L);
	if (lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE) == LUA_TTABLE &&
	    lua_getfield(L, -1, "skynet") == LUA_TTABLE &&
	    lua_getfield(L, -1, "trash") == LUA_TFUNCTION) {
		lua_pushlightuserdata(L, p);
		lua_pushinteger(L, sz);
		lua_call(L, 2, 0);
	} else {
		free(p);   /* outside a service: nothing else owns it */
	}
	lua_settop(L, top);
}

static int ltostring(lua_State *L)
{
	void *p = lua_touserdata(L, 1);
	lua_Integer sz = luaL_checkinteger(L, 2);
	if (!p) {
		lua_pushliteral(L, "");
		return 1;
	}
	luaL_argcheck(L, sz >= 0, 2, "bad size");
	lua_pushlstring(L, p, (size_t)sz);
	lua_insert(L, 1);
	release(L, p, sz);
	lua_settop(L, 1);
	return 1;
}

static int lclear(lua_State *L)
{
	netpack_clear(luaL_checkudata(L, 1, QUEUE_META));
	return 0;
}

/* setlimit(queue | nil, n) -> queue: refuse packets over n bytes. */
static int lsetlimit(lua_State *L)
{
	lua_settop(L, 2);
	struct netpack_queue *q = queue_at(L, 1);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_argcheck(L, n >= 0 && n <= NETPACK_MAX, 2, "limit out of 0..65535");
	netpack_set_limit(q, (uint32_t)n);
	lua_settop(L, 1);
	return 1;
}

int lualib_open_netpack(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "filter", lfilter }, { "pop", lpop }, { "pack", lpack },
		{ "tostring", ltostring }, { "clear", lclear },
		{ "setlimit", lsetlimit }, { NULL, NULL },
	};
	luaL_newlib(L, fns);
	return 1;
}
