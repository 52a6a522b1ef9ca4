/* sharedata.c -- `skynet.sharedata.core`: one read-only copy of a shared
 * table per worker process, read in place by every service of that worker.
 *
 * sharedatad keeps each shared table packed (lualib/seri.c's format).  The
 * first service of a worker that queries a version fetches the packed
 * bytes once and decodes them here into a compact immutable tree in C
 * memory; later queries from any service of the same worker find that
 * tree in the registry below and take a reference.  Lua never holds a
 * copy: lualib/skynet/sharedata.lua wraps tree nodes in small proxy tables
 * whose __index/__len/__pairs call into this module.  See docs/sharedata.md.
 *
 * The tree: every table is a header, an array part (values for keys
 * 1..n, nil for holes) and a hash part sorted by key hash (binary search).
 * Keys are strings or integers.  Strings are stored once per tree (equal
 * strings are shared) with their hash in front.  All of it lives in one
 * arena, freed at once when the last reference goes.
 *
 * Worker processes are single-threaded, so nothing here takes a lock.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lualib/lualib.h"

/* seri.c's wire format (see its header comment). */
#define T_NIL      0
#define T_BOOLEAN  1
#define T_NUMBER   2
#define T_POINTER  3
#define T_SHORTSTR 4
#define T_LONGSTR  5
#define T_TABLE    6
#define MAX_COOKIE 32
#define MAX_DEPTH  32

enum { V_NIL, V_FALSE, V_TRUE, V_INT, V_REAL, V_STR, V_TABLE };

struct sd_table;

union sd_u {                     /* a value or key, its type kept apart */
	int64_t i;
	double d;
	const char *s;           /* V_STR: [u32 len][u32 hash] bytes NUL */
	struct sd_table *t;
};

/* A table, in one block: the header, then 8-byte slots (narray array
 * values, then nhash key/value pairs sorted by key hash), then one type
 * byte per slot.  A record { id = 1, name = "x", level = 2 } takes
 * 8 + 6 * 9 bytes, plus its strings (shared within the tree). */
struct sd_table {
	uint32_t narray, nhash;
	union sd_u v[];
};

static inline const uint8_t *types(const struct sd_table *t)
{
	return (const uint8_t *)&t->v[t->narray + 2 * (size_t)t->nhash];
}

static inline uint32_t str_len(const char *s)
{
	uint32_t n;
	memcpy(&n, s - 2 * sizeof n, sizeof n);
	return n;
}

static inline uint32_t str_hash(const char *s)
{
	uint32_t h;
	memcpy(&h, s - sizeof h, sizeof h);
	return h;
}

/* ---- arena ---------------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	size_t bytes;            /* malloc'ed for chunks, headers included */
	size_t next_size;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t sz = a->next_size ? a->next_size : 4096;
		if (a->next_size < (1u << 20))
			a->next_size = sz * 2;
		if (sz < n)
			sz = n;
		c = malloc(sizeof *c + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->bytes += sizeof *c + sz;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static void arena_free(struct arena *a)
{
	struct chunk *c = a->head;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->bytes = 0;
}

/* ---- hashing -------------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)len;   /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t hash_int(int64_t i)
{
	uint64_t x = (uint64_t)i;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* ---- building a tree from packed bytes ------------------------------ */

/* A value being read, and a slot of a table under construction. */
struct sd_value {
	uint8_t type;
	uint32_t hash;           /* keys: of the key */
	union sd_u u;
};

struct builder {
	const uint8_t *p;
	size_t left;
	struct arena *arena;
	const char *err;              /* first error, static text */
	/* slots of the tables being built, one run per open table */
	struct sd_value *scratch;
	size_t nscratch, capscratch;
	/* strings stored so far, to store each distinct one once */
	const char **strs;
	size_t nstrs, capstrs;        /* capstrs: a power of two */
};

static int fail(struct builder *b, const char *why)
{
	if (!b->err)
		b->err = why;
	return -1;
}

static const uint8_t *take(struct builder *b, size_t n)
{
	if (n > b->left) {
		fail(b, "truncated data");
		return NULL;
	}
	const uint8_t *p = b->p;
	b->p += n;
	b->left -= n;
	return p;
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A number whose type byte has been read; 1 integer, 0 double, -1 error. */
static int read_number(struct builder *b, int cookie, int64_t *i, double *d)
{
	const uint8_t *p;
	int n;
	switch (cookie) {
	case 0: *i = 0; return 1;
	case 1: n = 1; break;
	case 2: n = 2; break;
	case 4: n = 4; break;
	case 6: n = 8; break;
	case 8:
		if (!(p = take(b, 8)))
			return -1;
		uint64_t bits = get_le(p, 8);
		memcpy(d, &bits, sizeof *d);
		return 0;
	default:
		return fail(b, "bad number");
	}
	if (!(p = take(b, (size_t)n)))
		return -1;
	uint64_t v = get_le(p, n);
	*i = n == 4 ? (int32_t)(uint32_t)v : (int64_t)v;
	return 1;
}

/* The tree's copy of a string: equal strings are stored once. */
static const char *intern(struct builder *b, const uint8_t *s, size_t len)
{
	if (len > UINT32_MAX)
		return NULL;
	uint32_t h = hash_bytes((const char *)s, len);
	if (b->nstrs * 2 >= b->capstrs) {
		size_t cap = b->capstrs ? b->capstrs * 2 : 256;
		const char **t = calloc(cap, sizeof *t);
		if (!t)
			return NULL;
		for (size_t i = 0; i < b->capstrs; i++) {
			const char *o = b->strs[i];
			if (!o)
				continue;
			size_t j = str_hash(o) & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = o;
		}
		free(b->strs);
		b->strs = t;
		b->capstrs = cap;
	}
	size_t j = h & (b->capstrs - 1);
	for (const char *o; (o = b->strs[j]); j = (j + 1) & (b->capstrs - 1))
		if (str_hash(o) == h && str_len(o) == len && memcmp(o, s, len) == 0)
			return o;
	char *r = arena_alloc(b->arena, 2 * sizeof(uint32_t) + len + 1);
	if (!r)
		return NULL;
	uint32_t l32 = (uint32_t)len;
	memcpy(r, &l32, sizeof l32);
	memcpy(r + sizeof l32, &h, sizeof h);
	r += 2 * sizeof(uint32_t);
	memcpy(r, s, len);
	r[len] = '\0';
	b->strs[j] = r;
	b->nstrs++;
	return r;
}

static int push_slot(struct builder *b, const struct sd_value *v)
{
	if (b->nscratch == b->capscratch) {
		size_t cap = b->capscratch ? b->capscratch * 2 : 256;
		struct sd_value *s = realloc(b->scratch, cap * sizeof *s);
		if (!s)
			return fail(b, "out of memory");
		b->scratch = s;
		b->capscratch = cap;
	}
	b->scratch[b->nscratch++] = *v;
	return 0;
}

static int read_value(struct builder *b, struct sd_value *v, int depth);

static int cmp_pair(const void *x, const void *y)
{
	const struct sd_value *a = x, *c = y;   /* the keys of two pairs */
	return a->hash < c->hash ? -1 : a->hash > c->hash;
}

static int read_table(struct builder *b, int cookie, int depth,
                      struct sd_table **out)
{
	if (depth > MAX_DEPTH)
		return fail(b, "tables nested too deep");
	size_t n = (size_t)cookie;
	if (cookie == MAX_COOKIE - 1) {
		const uint8_t *c = take(b, 1);
		int64_t i;
		double d;
		if (!c || (*c & 7) != T_NUMBER || read_number(b, *c >> 3, &i, &d) != 1)
			return fail(b, "bad array length");
		if (i < 0 || (uint64_t)i > b->left || (uint64_t)i > UINT32_MAX / 4)
			return fail(b, "bad array length");
		n = (size_t)i;
	}
	size_t base = b->nscratch;
	struct sd_value k, v;
	for (size_t i = 0; i < n; i++)
		if (read_value(b, &v, depth) < 0 || push_slot(b, &v) < 0)
			return -1;
	for (;;) {
		if (b->left == 0)
			return fail(b, "truncated table");
		if (b->p[0] == T_NIL) {
			take(b, 1);
			break;
		}
		if (read_value(b, &k, depth) < 0)
			return -1;
		if (k.type == V_REAL) {
			double d = k.u.d;
			if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
			    floor(d) == d) {
				k.type = V_INT;
				k.u.i = (int64_t)d;
			}
		}
		if (k.type == V_STR)
			k.hash = str_hash(k.u.s);
		else if (k.type == V_INT)
			k.hash = hash_int(k.u.i);
		else
			return fail(b, "a key is not a string or an integer");
		if (read_value(b, &v, depth) < 0)
			return -1;
		if (v.type == V_NIL)
			continue;
		if (push_slot(b, &k) < 0 || push_slot(b, &v) < 0)
			return -1;
	}
	size_t nslots = b->nscratch - base;
	size_t nh = (nslots - n) / 2;
	if (nh > UINT32_MAX / 4)
		return fail(b, "table too big");
	struct sd_value *slot = b->scratch + base;
	qsort(slot + n, nh, 2 * sizeof *slot, cmp_pair);
	struct sd_table *t = arena_alloc(b->arena,
		sizeof *t + nslots * (sizeof(union sd_u) + 1));
	if (!t)
		return fail(b, "out of memory");
	t->narray = (uint32_t)n;
	t->nhash = (uint32_t)nh;
	uint8_t *tp = (uint8_t *)types(t);
	for (size_t i = 0; i < nslots; i++) {
		t->v[i] = slot[i].u;
		tp[i] = slot[i].type;
	}
	b->nscratch = base;
	*out = t;
	return 0;
}

/* depth: the tables around this value. */
static int read_value(struct builder *b, struct sd_value *v, int depth)
{
	const uint8_t *c = take(b, 1);
	if (!c)
		return -1;
	int type = *c & 7, cookie = *c >> 3;
	size_t len;
	const uint8_t *s;
	memset(v, 0, sizeof *v);
	switch (type) {
	case T_NIL:
		v->type = V_NIL;
		return 0;
	case T_BOOLEAN:
		v->type = cookie ? V_TRUE : V_FALSE;
		return 0;
	case T_NUMBER: {
		int r = read_number(b, cookie, &v->u.i, &v->u.d);
		if (r < 0)
			return -1;
		v->type = r ? V_INT : V_REAL;
		return 0;
	}
	case T_SHORTSTR:
	case T_LONGSTR:
		if (type == T_SHORTSTR) {
			len = (size_t)cookie;
		} else {
			if (cookie != 2 && cookie != 4)
				return fail(b, "bad string");
			const uint8_t *l = take(b, (size_t)cookie);
			if (!l)
				return -1;
			len = (size_t)get_le(l, cookie);
		}
		if (!(s = take(b, len)))
			return -1;
		v->type = V_STR;
		if (!(v->u.s = intern(b, s, len)))
			return fail(b, "out of memory");
		return 0;
	case T_TABLE:
		v->type = V_TABLE;
		return read_table(b, cookie, depth + 1, &v->u.t);
	case T_POINTER:
		return fail(b, "a value is a pointer (light userdata)");
	default:
		return fail(b, "bad type byte");
	}
}

/* Decode one packed table into `arena`.  Returns its root, or NULL with
 * *err set. */
static struct sd_table *build(struct arena *arena, const void *buf,
                              size_t sz, const char **err)
{
	struct builder b = { .p = buf, .left = sz, .arena = arena };
	struct sd_value root;
	struct sd_table *t = NULL;
	if (read_value(&b, &root, 0) == 0) {
		if (root.type != V_TABLE)
			fail(&b, "the value is not a table");
		else if (b.left != 0)
			fail(&b, "trailing bytes after the table");
		else
			t = root.u.t;
	}
	free(b.scratch);
	free(b.strs);
	*err = b.err;
	return b.err ? NULL : t;
}

/* ---- the per-process registry --------------------------------------- */

/* One entry per (name, version) this worker process has decoded, or is
 * decoding (tree NULL, claimed by the service `claimer`).  This list is
 * the owner of every tree in the process: an entry lives while Lua
 * references (struct ref userdata) point at it, then it frees its tree.
 * Versions come from sharedatad's counter, so they never repeat across
 * names; the name is kept for the lookup of the latest version. */
struct entry {
	struct entry *next;
	char *name;
	int64_t version;
	struct sd_table *root;
	struct arena arena;
	uint32_t claimer;        /* while root is NULL */
	long refs;
};

static struct entry *registry;

struct ref {                     /* the Lua userdata: one reference */
	struct entry *e;
};

#define REF_META "skynet.sharedata.ref"

static struct entry *find(const char *name, int64_t version)
{
	for (struct entry *e = registry; e; e = e->next)
		if (e->version == version && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void unlink_entry(struct entry *e)
{
	for (struct entry **p = &registry; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			break;
		}
	arena_free(&e->arena);
	free(e->name);
	free(e);
}

static void push_ref(lua_State *L, struct entry *e)
{
	struct ref *r = lua_newuserdatauv(L, sizeof *r, 0);
	r->e = e;
	e->refs++;
	luaL_setmetatable(L, REF_META);
}

/* release(ref), also its __gc: drop the reference now.  A released ref
 * must not be read again (the Lua side only compares it). */
static int ref_gc(lua_State *L)
{
	struct ref *r = luaL_checkudata(L, 1, REF_META);
	if (r->e && --r->e->refs == 0 && r->e->root)
		unlink_entry(r->e);
	r->e = NULL;
	return 0;
}

static struct entry *checkref(lua_State *L, int idx)
{
	struct ref *r = luaL_checkudata(L, idx, REF_META);
	if (!r->e || !r->e->root)
		luaL_error(L, "sharedata: released reference");
	return r->e;
}

/* acquire(name, version, self) -> ref | nil, claimer
 * A reference to the decoded tree if this process has it.  Otherwise the
 * caller either becomes the one to fetch it (claimer == self) or learns
 * who is fetching it already. */
static int lacquire(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int64_t version = luaL_checkinteger(L, 2);
	uint32_t self = (uint32_t)luaL_checkinteger(L, 3);
	struct entry *e = find(name, version);
	if (e && e->root) {
		push_ref(L, e);
		return 1;
	}
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e || !(e->name = strdup(name))) {
			free(e);
			return luaL_error(L, "sharedata: out of memory");
		}
		e->version = version;
		e->claimer = self;
		e->next = registry;
		registry = e;
	}
	lua_pushnil(L);
	lua_pushinteger(L, e->claimer);
	return 2;
}

/* unclaim(name, version): the claimer gives up (its fetch failed). */
static int lunclaim(lua_State *L)
{
	struct entry *e = find(luaL_checkstring(L, 1), luaL_checkinteger(L, 2));
	if (e && !e->root && e->refs == 0)
		unlink_entry(e);
	return 0;
}

/* load(name, version, msg, sz | string) -> ref
 * Decode the packed table for a claimed (name, version) and register it. */
static int lload(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int64_t version = luaL_checkinteger(L, 2);
	const void *buf;
	size_t sz;
	if (lua_type(L, 3) == LUA_TSTRING) {
		buf = lua_tolstring(L, 3, &sz);
	} else {
		buf = lua_touserdata(L, 3);
		sz = (size_t)luaL_checkinteger(L, 4);
	}
	struct entry *e = find(name, version);
	if (e && e->root) {
		push_ref(L, e);
		return 1;
	}
	struct arena a = { 0 };
	const char *err;
	struct sd_table *root = build(&a, buf, sz, &err);
	if (!root) {
		arena_free(&a);
		if (e && e->refs == 0)
			unlink_entry(e);
		return luaL_error(L, "sharedata %s: %s", name, err);
	}
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e || !(e->name = strdup(name))) {
			free(e);
			arena_free(&a);
			return luaL_error(L, "sharedata: out of memory");
		}
		e->version = version;
		e->next = registry;
		registry = e;
	}
	e->root = root;
	e->arena = a;
	e->claimer = 0;
	push_ref(L, e);
	return 1;
}

/* check(string): raise an error if it is not a packed table sharedata
 * can hold (keys strings or integers, no light userdata). */
static int lcheck(lua_State *L)
{
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	struct arena a = { 0 };
	const char *err;
	struct sd_table *root = build(&a, s, sz, &err);
	size_t bytes = a.bytes;
	arena_free(&a);
	if (!root)
		return luaL_error(L, "%s", err);
	lua_pushinteger(L, (lua_Integer)bytes);
	return 1;
}

/* info() -> trees decoded in this process, their bytes */
static int linfo(lua_State *L)
{
	lua_Integer n = 0, bytes = 0;
	for (struct entry *e = registry; e; e = e->next)
		if (e->root) {
			n++;
			bytes += (lua_Integer)e->arena.bytes;
		}
	lua_pushinteger(L, n);
	lua_pushinteger(L, bytes);
	return 2;
}

/* ---- reading -------------------------------------------------------- */

/* Nodes travel to Lua as light userdata; the Lua side only passes back
 * one it holds a reference for (the ref keeps the arena alive). */
static struct sd_table *checknode(lua_State *L, int idx)
{
	luaL_checktype(L, idx, LUA_TLIGHTUSERDATA);
	return lua_touserdata(L, idx);
}

/* dup(ref) -> another reference to the same tree */
static int ldup(lua_State *L)
{
	push_ref(L, checkref(L, 1));
	return 1;
}

/* root(ref) -> node, version */
static int lroot(lua_State *L)
{
	struct entry *e = checkref(L, 1);
	lua_pushlightuserdata(L, e->root);
	lua_pushinteger(L, e->version);
	return 2;
}

/* Push slot i of t; a table comes as (node, true). */
static int push_slot_value(lua_State *L, const struct sd_table *t, size_t i)
{
	const union sd_u *u = &t->v[i];
	switch (types(t)[i]) {
	case V_FALSE: lua_pushboolean(L, 0); return 1;
	case V_TRUE: lua_pushboolean(L, 1); return 1;
	case V_INT: lua_pushinteger(L, u->i); return 1;
	case V_REAL: lua_pushnumber(L, u->d); return 1;
	case V_STR: lua_pushlstring(L, u->s, str_len(u->s)); return 1;
	case V_TABLE:
		lua_pushlightuserdata(L, u->t);
		lua_pushboolean(L, 1);
		return 2;
	default: lua_pushnil(L); return 1;
	}
}

/* The slot of the value for a key in the hash part, or 0. */
static size_t lookup(const struct sd_table *t, int isint, int64_t i,
                     const char *s, size_t len)
{
	const uint8_t *tp = types(t);
	size_t base = t->narray;
	uint32_t h = isint ? hash_int(i) : hash_bytes(s, len);
	size_t lo = 0, hi = t->nhash;
	while (lo < hi) {                /* the first pair whose hash >= h */
		size_t mid = (lo + hi) / 2;
		size_t k = base + 2 * mid;
		uint32_t kh = tp[k] == V_STR ? str_hash(t->v[k].s)
		                             : hash_int(t->v[k].i);
		if (kh < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->nhash; lo++) {
		size_t k = base + 2 * lo;
		if (tp[k] == V_STR) {
			const char *ks = t->v[k].s;
			if (str_hash(ks) != h)
				break;
			if (!isint && str_len(ks) == len && memcmp(ks, s, len) == 0)
				return k + 1;
		} else {
			if (hash_int(t->v[k].i) != h)
				break;
			if (isint && t->v[k].i == i)
				return k + 1;
		}
	}
	return 0;
}

/* index(node, key) -> value | node, true */
static int lindex(lua_State *L)
{
	const struct sd_table *t = checknode(L, 1);
	size_t slot = 0;
	switch (lua_type(L, 2)) {
	case LUA_TNUMBER: {
		lua_Integer i;
		if (lua_isinteger(L, 2)) {
			i = lua_tointeger(L, 2);
		} else {
			lua_Number d = lua_tonumber(L, 2);
			if (floor(d) != d || !lua_numbertointeger(d, &i))
				return 0;
		}
		if (i >= 1 && (lua_Unsigned)i <= t->narray)
			return push_slot_value(L, t, (size_t)i - 1);
		slot = lookup(t, 1, i, NULL, 0);
		break;
	}
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, 2, &len);
		slot = lookup(t, 0, 0, s, len);
		break;
	}
	default:
		return 0;
	}
	return slot ? push_slot_value(L, t, slot) : 0;
}

static int llen(lua_State *L)
{
	lua_pushinteger(L, checknode(L, 1)->narray);
	return 1;
}

/* next(node, pos) -> pos', key, value [, true] | nil
 * pos counts entries: the array part, then the hash part. */
static int lnext(lua_State *L)
{
	const struct sd_table *t = checknode(L, 1);
	lua_Integer pos = luaL_checkinteger(L, 2);
	if (pos < 0)
		return 0;
	for (; pos < (lua_Integer)t->narray; pos++) {
		if (types(t)[pos] != V_NIL) {
			lua_pushinteger(L, pos + 1);
			lua_pushinteger(L, pos + 1);
			return 2 + push_slot_value(L, t, (size_t)pos);
		}
	}
	lua_Integer h = pos - (lua_Integer)t->narray;
	if (h >= (lua_Integer)t->nhash)
		return 0;
	size_t k = t->narray + 2 * (size_t)h;
	lua_pushinteger(L, pos + 1);
	push_slot_value(L, t, k);
	return 2 + push_slot_value(L, t, k + 1);
}

int lualib_open_sharedata(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "acquire", lacquire }, { "unclaim", lunclaim }, { "load", lload },
		{ "check", lcheck }, { "info", linfo }, { "root", lroot },
		{ "release", ref_gc }, { "dup", ldup },
		{ "index", lindex }, { "len", llen }, { "next", lnext },
		{ NULL, NULL },
	};
	if (luaL_newmetatable(L, REF_META)) {
		lua_pushcfunction(L, ref_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushliteral(L, "sharedata");
		lua_setfield(L, -2, "__name");
	}
	lua_pop(L, 1);
	luaL_newlib(L, fns);
	return 1;
}
