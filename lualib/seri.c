/* seri.c -- pack Lua values into bytes and back (skynet.pack / unpack).
 *
 * Messages between services carry Lua values in skynet's wire format, so a
 * message packed here means the same to skynet and back.  Every value
 * starts with one byte: the low 3 bits are the type, the high 5 bits a
 * "cookie" whose meaning depends on the type.  Multi-byte fields are little
 * endian, whatever the host.
 *
 *   0 nil       cookie 0
 *   1 boolean   cookie 0 false, 1 true
 *   2 number    cookie 0 integer 0, 1 uint8, 2 uint16, 4 int32, 6 int64,
 *               8 double; integers use the smallest of these that holds
 *               them, floats are always doubles (so math.type survives)
 *   3 pointer   cookie 0, then sizeof(void *) bytes (light userdata)
 *   4 string    cookie = length 0..31, then the bytes
 *   5 string    cookie 2: uint16 length, cookie 4: uint32 length; bytes
 *   6 table     cookie = array length n if < 31, else cookie 31 and n as a
 *               number value; then n values for t[1..n], then key, value
 *               pairs for the other keys, then a nil byte
 *
 * uint16 is unsigned, as in skynet: a signed one would misread skynet's
 * 32768..65535.  Tables are read with raw access (no __index, no __pairs),
 * and n is lua_rawlen, so nils inside 1..n travel as nil and come back as
 * absent keys.  Tables may nest 32 deep, counting the outermost as 1.
 *
 * Packing grows a malloc'ed buffer owned by a to-be-closed userdata on the
 * Lua stack: an error halfway (a function value, too deep) unwinds the
 * stack, which frees the buffer.  Unpacking trusts nothing: each length is
 * checked against the bytes left before anything is allocated, recursion
 * is bounded by the depth limit, and stack space is asked for, so any input
 * ends in values or in "malformed packed message: ...".
 */
#include "lualib/lualib.h"

#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_NIL      0
#define T_BOOLEAN  1
#define T_NUMBER   2
#define T_POINTER  3
#define T_SHORTSTR 4
#define T_LONGSTR  5
#define T_TABLE    6

#define N_ZERO  0
#define N_BYTE  1
#define N_WORD  2
#define N_DWORD 4
#define N_QWORD 6
#define N_REAL  8

#define MAX_COOKIE 32   /* cookies are 5 bits */
#define MAX_DEPTH  32


static uint8_t
type_byte(int type, int cookie)
{
	return (uint8_t)(type | cookie << 3);
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- packing ---- */

struct box {
	uint8_t *p;
	size_t n, cap;
};

static int
box_gc(lua_State *L)
{
	struct box *b = lua_touserdata(L, 1);
	free(b->p);
	b->p = NULL;
	return 0;
}

/* Each Lua state packs into one scratch buffer that it owns for good (a
 * userdata in the registry, freed with the state).  An error halfway
 * through a pack leaves nothing to free, and a pack costs no allocation
 * but the exact-size copy handed to the caller. */
static const char SCRATCH_KEY = 0;
#define SCRATCH_KEEP (64 << 10)   /* a larger buffer is shrunk after use */

static struct box *
box_scratch(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &SCRATCH_KEY) == LUA_TUSERDATA) {
		struct box *b = lua_touserdata(L, -1);
		lua_pop(L, 1);
		b->n = 0;
		return b;
	}
	lua_pop(L, 1);
	struct box *b = lua_newuserdatauv(L, sizeof(*b), 0);
	b->p = NULL;
	b->n = b->cap = 0;
	lua_newtable(L);
	lua_pushcfunction(L, box_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &SCRATCH_KEY);
	return b;
}

/* Room for n more bytes; returns where they go. */
static uint8_t *
box_reserve(lua_State *L, struct box *b, size_t n)
{
	if (n > SIZE_MAX / 2 - b->n)
		luaL_error(L, "packed message too large");
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL)
			luaL_error(L, "not enough memory to pack a message");
		b->p = p;
		b->cap = cap;
	}
	uint8_t *at = b->p + b->n;
	b->n += n;
	return at;
}

static void
pack_byte(lua_State *L, struct box *b, uint8_t c)
{
	*box_reserve(L, b, 1) = c;
}

static void
pack_integer(lua_State *L, struct box *b, lua_Integer v)
{
	int cookie, len;
	if (v == 0)
		cookie = N_ZERO, len = 0;
	else if (v > 0 && v < 0x100)
		cookie = N_BYTE, len = 1;
	else if (v > 0 && v < 0x10000)
		cookie = N_WORD, len = 2;
	else if (v >= INT32_MIN && v <= INT32_MAX)
		cookie = N_DWORD, len = 4;
	else
		cookie = N_QWORD, len = 8;
	uint8_t *p = box_reserve(L, b, 1 + (size_t)len);
	p[0] = type_byte(T_NUMBER, cookie);
	/* two's complement, so the low bytes of a negative int32 are its own */
	put_le(p + 1, (uint64_t)v, len);
}

static void
pack_real(lua_State *L, struct box *b, lua_Number x)
{
	double d = (double)x;
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	uint8_t *p = box_reserve(L, b, 9);
	p[0] = type_byte(T_NUMBER, N_REAL);
	put_le(p + 1, bits, 8);
}

static void
pack_pointer(lua_State *L, struct box *b, const void *ptr)
{
	uintptr_t u;
	memcpy(&u, &ptr, sizeof(u));
	uint8_t *p = box_reserve(L, b, 1 + sizeof(u));
	p[0] = type_byte(T_POINTER, 0);
	put_le(p + 1, u, (int)sizeof(u));
}

static void
pack_string(lua_State *L, struct box *b, const char *s, size_t len)
{
	uint8_t *p;
	if (len < MAX_COOKIE) {
		p = box_reserve(L, b, 1 + len);
		*p++ = type_byte(T_SHORTSTR, (int)len);
	} else if (len < 0x10000) {
		p = box_reserve(L, b, 3 + len);
		*p++ = type_byte(T_LONGSTR, 2);
		put_le(p, len, 2);
		p += 2;
	} else if (len <= UINT32_MAX) {
		p = box_reserve(L, b, 5 + len);
		*p++ = type_byte(T_LONGSTR, 4);
		put_le(p, len, 4);
		p += 4;
	} else {
		luaL_error(L, "cannot pack a string of %I bytes", (lua_Integer)len);
		return;
	}
	memcpy(p, s, len);
}

static void pack_value(lua_State *L, struct box *b, int idx, int depth);

/* Is the key at idx one that the array part already sent? */
static int
in_array(lua_State *L, int idx, lua_Unsigned n)
{
	if (!lua_isinteger(L, idx))
		return 0;
	lua_Integer k = lua_tointeger(L, idx);
	return k >= 1 && (lua_Unsigned)k <= n;
}

/* level counts the enclosing tables, this one included. */
static void
pack_table(lua_State *L, struct box *b, int idx, int level)
{
	if (level > MAX_DEPTH)
		luaL_error(L, "cannot pack tables nested deeper than %d", MAX_DEPTH);
	luaL_checkstack(L, 3, "packing nested tables");
	lua_Unsigned n = lua_rawlen(L, idx);
	if (n < MAX_COOKIE - 1) {
		pack_byte(L, b, type_byte(T_TABLE, (int)n));
	} else {
		pack_byte(L, b, type_byte(T_TABLE, MAX_COOKIE - 1));
		pack_integer(L, b, (lua_Integer)n);
	}
	for (lua_Unsigned i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i);
		pack_value(L, b, lua_gettop(L), level);
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		int top = lua_gettop(L);
		if (!in_array(L, top - 1, n)) {
			pack_value(L, b, top - 1, level);
			pack_value(L, b, top, level);
		}
		lua_pop(L, 1);
	}
	pack_byte(L, b, type_byte(T_NIL, 0));
}

/* depth counts the tables around the value at idx (an absolute index). */
static void
pack_value(lua_State *L, struct box *b, int idx, int depth)
{
	size_t len;
	const char *s;
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		pack_byte(L, b, type_byte(T_NIL, 0));
		break;
	case LUA_TBOOLEAN:
		pack_byte(L, b, type_byte(T_BOOLEAN, lua_toboolean(L, idx)));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			pack_integer(L, b, lua_tointeger(L, idx));
		else
			pack_real(L, b, lua_tonumber(L, idx));
		break;
	case LUA_TLIGHTUSERDATA:
		pack_pointer(L, b, lua_touserdata(L, idx));
		break;
	case LUA_TSTRING:
		/* a string already: tolstring converts nothing, so lua_next is safe */
		s = lua_tolstring(L, idx, &len);
		pack_string(L, b, s, len);
		break;
	case LUA_TTABLE:
		pack_table(L, b, idx, depth + 1);
		break;
	default:
		luaL_error(L, "cannot pack a %s value", luaL_typename(L, idx));
	}
}

void *
seri_pack(lua_State *L, int from, size_t *sz)
{
	int top = lua_gettop(L);
	from = lua_absindex(L, from);
	luaL_checkstack(L, 4, "packing a message");
	struct box *b = box_scratch(L);
	for (int i = from; i <= top; i++)
		pack_value(L, b, i, 0);
	void *p = malloc(b->n ? b->n : 1);   /* never NULL, even for no values */
	if (p == NULL)
		luaL_error(L, "not enough memory to pack a message");
	if (b->n)
		memcpy(p, b->p, b->n);
	*sz = b->n;
	if (b->cap > SCRATCH_KEEP) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
	b->n = 0;
	return p;
}

/* ---- unpacking ---- */

struct reader {
	const uint8_t *p;
	size_t left;
	size_t size;   /* of the whole message, for offsets in messages */
	int base;      /* stack top before the first value */
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4), noreturn))
#endif
static void
malformed(lua_State *L, struct reader *r, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* the stack may be full of our values: drop them to make room */
	lua_settop(L, r->base);
	lua_pushfstring(L, "malformed packed message: %s at offset %I", what,
	                (lua_Integer)(r->size - r->left));
	lua_error(L);
	abort();   /* lua_error does not return */
}

static const uint8_t *
take(lua_State *L, struct reader *r, size_t n, const char *what)
{
	if (n > r->left)
		malformed(L, r, "truncated %s (%zu bytes needed, %zu left)", what,
		          n, r->left);
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static void
need_stack(lua_State *L, struct reader *r, int n)
{
	if (!lua_checkstack(L, n))
		malformed(L, r, "too many values for the stack");
}

/* A number value whose type byte c has been read.  Returns 1 and sets *i
 * for integers, 0 and sets *x for doubles. */
static int
read_number(lua_State *L, struct reader *r, int cookie, lua_Integer *i,
            lua_Number *x)
{
	uint64_t bits;
	double d;
	switch (cookie) {
	case N_ZERO:
		*i = 0;
		return 1;
	case N_BYTE:
		*i = (lua_Integer)get_le(take(L, r, 1, "integer"), 1);
		return 1;
	case N_WORD:
		*i = (lua_Integer)get_le(take(L, r, 2, "integer"), 2);
		return 1;
	case N_DWORD:
		*i = (int32_t)(uint32_t)get_le(take(L, r, 4, "integer"), 4);
		return 1;
	case N_QWORD:
		*i = (lua_Integer)get_le(take(L, r, 8, "integer"), 8);
		return 1;
	case N_REAL:
		bits = get_le(take(L, r, 8, "double"), 8);
		memcpy(&d, &bits, sizeof(d));
		*x = (lua_Number)d;
		return 0;
	default:
		malformed(L, r, "bad number cookie %d", cookie);
	}
}

static void
unpack_string(lua_State *L, struct reader *r, int type, int cookie)
{
	size_t len;
	if (type == T_SHORTSTR)
		len = (size_t)cookie;
	else if (cookie == 2 || cookie == 4)
		len = (size_t)get_le(take(L, r, (size_t)cookie, "string length"),
		                     cookie);
	else
		malformed(L, r, "bad long string cookie %d", cookie);
	const uint8_t *s = take(L, r, len, "string");
	lua_pushlstring(L, (const char *)s, len);
}

/* The array length after a cookie-31 table byte: a non-negative integer,
 * at most the bytes left since each element takes at least one. */
static size_t
array_length(lua_State *L, struct reader *r, int cookie)
{
	if (cookie < MAX_COOKIE - 1)
		return (size_t)cookie;
	uint8_t c = *take(L, r, 1, "array length");
	lua_Integer n;
	lua_Number x;
	if ((c & 7) != T_NUMBER || !read_number(L, r, c >> 3, &n, &x))
		malformed(L, r, "bad array length type byte 0x%02x", c);
	if (n < 0 || (lua_Unsigned)n > r->left)
		malformed(L, r, "bad array length %lld (%zu bytes left)",
		          (long long)n, r->left);
	return (size_t)n;
}

static void unpack_value(lua_State *L, struct reader *r, int depth);

static void
unpack_table(lua_State *L, struct reader *r, int cookie, int level)
{
	if (level > MAX_DEPTH)
		malformed(L, r, "tables nested deeper than %d", MAX_DEPTH);
	need_stack(L, r, 3);
	size_t n = array_length(L, r, cookie);
	/* The number of keys is not in the format: a table with no array
	 * part is most likely a small record, so room for a few keys saves
	 * the rehash after each of its first inserts. */
	lua_createtable(L, n <= INT_MAX ? (int)n : 0, n == 0 ? 4 : 0);
	for (size_t i = 1; i <= n; i++) {
		unpack_value(L, r, level);
		if (lua_isnil(L, -1))
			lua_pop(L, 1);   /* a hole in the array part */
		else
			lua_rawseti(L, -2, (lua_Integer)i);
	}
	for (;;) {
		if (r->left == 0)
			malformed(L, r, "truncated table (no end marker)");
		if (r->p[0] == type_byte(T_NIL, 0)) {
			take(L, r, 1, "table");
			break;
		}
		unpack_value(L, r, level);   /* not nil: that byte ends the table */
		if (lua_type(L, -1) == LUA_TNUMBER && isnan(lua_tonumber(L, -1)))
			malformed(L, r, "NaN table key");
		unpack_value(L, r, level);
		if (lua_isnil(L, -1))
			lua_pop(L, 2);
		else
			lua_rawset(L, -3);
	}
}

/* depth counts the tables around the value about to be read. */
static void
unpack_value(lua_State *L, struct reader *r, int depth)
{
	uint8_t c = *take(L, r, 1, "value");
	int type = c & 7, cookie = c >> 3;
	lua_Integer i;
	lua_Number x;
	const uint8_t *p;
	switch (type) {
	case T_NIL:
		if (cookie != 0)
			malformed(L, r, "bad nil cookie %d", cookie);
		lua_pushnil(L);
		break;
	case T_BOOLEAN:
		if (cookie > 1)
			malformed(L, r, "bad boolean cookie %d", cookie);
		lua_pushboolean(L, cookie);
		break;
	case T_NUMBER:
		if (read_number(L, r, cookie, &i, &x))
			lua_pushinteger(L, i);
		else
			lua_pushnumber(L, x);
		break;
	case T_POINTER: {
		if (cookie != 0)
			malformed(L, r, "bad pointer cookie %d", cookie);
		p = take(L, r, sizeof(uintptr_t), "pointer");
		uintptr_t u = (uintptr_t)get_le(p, (int)sizeof(u));
		void *ptr;
		memcpy(&ptr, &u, sizeof(ptr));
		lua_pushlightuserdata(L, ptr);
		break;
	}
	case T_SHORTSTR:
	case T_LONGSTR:
		unpack_string(L, r, type, cookie);
		break;
	case T_TABLE:
		unpack_table(L, r, cookie, depth + 1);
		break;
	default:
		malformed(L, r, "bad type byte 0x%02x", c);
	}
}

int
seri_unpack(lua_State *L, const void *buf, size_t sz)
{
	struct reader r = { buf, sz, sz, lua_gettop(L) };
	int n = 0;
	while (r.left > 0) {
		need_stack(L, &r, 1);
		unpack_value(L, &r, 0);
		n++;
	}
	return n;
}
