/* config.c -- load a skynet-style config file into a flat key -> string map.
 *
 * The file is a Lua chunk run with a proxy table as its _ENV.  The proxy
 * stays empty, so every assignment reaches its __newindex, which stores the
 * value in a data table and records where it happened ("file:line") and the
 * order keys were first set.  Reads fall through to the data table and then
 * to the one builtin, include.  `$NAME` is replaced in the raw text before
 * Lua parses it.  When the chunk has run, values are turned into strings,
 * the keys actord itself uses are range-checked, and everything is copied
 * into C memory so the Lua state can be closed.
 */
#include "daemon/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* Deep enough for any sane layout, shallow enough to stop an include cycle
 * quickly and well before Lua's C-stack limit. */
#define MAX_INCLUDE_DEPTH 16

#define DEFAULT_WHERE "(default)"

struct entry {
	char *key;
	char *value;
	char *where;	/* NULL for config_default keys */
};

struct config {
	struct entry *v;
	size_t n, cap;
};

/* State of one config_load, shared by the Lua callbacks as an upvalue. */
struct loader {
	const char *path;	/* top-level file, as given */
	int depth;		/* include nesting of the file being run */
	int final;		/* error message is complete: leave it alone */
	struct config *cfg;
};

/* Upvalue slots of the Lua closures. */
enum { UV_LOADER = 1, UV_DATA, UV_WHERE, UV_ORDER, UV_PROXY };

static void *
xalloc(void *p, size_t sz)
{
	p = realloc(p, sz);
	if (p == NULL) {
		/* Start-up work: nothing sensible to do but stop. */
		fputs("actord: config: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xalloc(NULL, n), s, n);
}

static struct entry *
find(const struct config *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

static void
add(struct config *c, const char *key, const char *value, const char *where)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xalloc(c->v, c->cap * sizeof(c->v[0]));
	}
	struct entry *e = &c->v[c->n++];
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	e->where = where ? xstrdup(where) : NULL;
}

static struct loader *
loader_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(UV_LOADER));
}

/* Raise an error whose text is already `file:line: reason`. */
static int
fail(lua_State *L, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	loader_of(L)->final = 1;
	return lua_error(L);
}

/* Push "file:line" of the Lua code that called us (level 1). */
static void
push_caller(lua_State *L)
{
	lua_Debug ar;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) &&
	    ar.source[0] == '@')
		lua_pushfstring(L, "%s:%d", ar.source + 1, ar.currentline);
	else
		lua_pushliteral(L, "?");
}

/* Lua shortens long chunk names ("...tail") in its messages.  Learn the
 * short form by loading an empty chunk under the same name. */
static void
push_short_src(lua_State *L, const char *chunkname)
{
	lua_Debug ar;
	luaL_loadbuffer(L, "", 0, chunkname);
	lua_getinfo(L, ">S", &ar);
	lua_pushstring(L, ar.short_src);
}

/* Turn Lua's `short_src:line: reason` into `path:line: reason`. */
static void
push_fixed(lua_State *L, const char *msg, const char *short_src,
           const char *path)
{
	size_t n = strlen(short_src);
	if (strncmp(msg, short_src, n) == 0 && msg[n] == ':')
		lua_pushfstring(L, "%s%s", path, msg + n);
	else
		lua_pushstring(L, msg);
}

/* Push the file's text.  It goes into a Lua buffer so a later error frees
 * it; only the FILE could leak, if Lua runs out of memory mid-read. */
static int
push_file(lua_State *L, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	size_t n;
	do {
		char *p = luaL_prepbuffer(&b);
		n = fread(p, 1, LUAL_BUFFERSIZE, f);
		luaL_addsize(&b, n);
	} while (n == LUAL_BUFFERSIZE);
	int bad = ferror(f);
	int saved = errno;
	fclose(f);
	luaL_pushresult(&b);
	if (bad) {
		lua_pop(L, 1);
		errno = saved ? saved : EIO;
		return -1;
	}
	return 0;
}

static int
name_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
name_char(int c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Replace $NAME in the string on top of the stack, in place. */
static void
substitute(lua_State *L, const char *path)
{
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	if (memchr(s, '$', len) == NULL)
		return;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	int line = 1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			line++;
		if (s[i] != '$' || i + 1 == len || !name_start(s[i + 1])) {
			luaL_addchar(&b, s[i]);
			continue;
		}
		size_t j = i + 1;
		while (j < len && name_char(s[j]))
			j++;
		/* The buffer may sit on the stack: keep this push balanced. */
		lua_pushlstring(L, s + i + 1, j - i - 1);
		const char *value = getenv(lua_tostring(L, -1));
		if (value == NULL)
			fail(L, "%s:%d: environment variable %s is not set",
			     path, line, lua_tostring(L, -1));
		lua_pop(L, 1);
		luaL_addstring(&b, value);
		i = j - 1;
	}
	luaL_pushresult(&b);
	lua_remove(L, -2);
}

/* Read, substitute, compile and run one file in the config's _ENV.
 * where is the include line, NULL for the top-level file. */
static void
run_file(lua_State *L, const char *path, const char *where)
{
	if (push_file(L, path) != 0) {
		if (where)
			fail(L, "%s: cannot open %s (%s)", where, path,
			     strerror(errno));
		fail(L, "%s: cannot open (%s)", path, strerror(errno));
	}
	substitute(L, path);

	size_t len;
	const char *text = lua_tolstring(L, -1, &len);
	const char *chunkname = lua_pushfstring(L, "@%s", path);
	if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK) {
		push_short_src(L, chunkname);
		push_fixed(L, lua_tostring(L, -2), lua_tostring(L, -1), path);
		fail(L, "%s", lua_tostring(L, -1));
	}
	lua_pushvalue(L, lua_upvalueindex(UV_PROXY));
	lua_setupvalue(L, -2, 1);	/* a main chunk's only upvalue: _ENV */
	lua_call(L, 0, 0);
	lua_pop(L, 2);			/* text, chunkname */
}

static int
l_include(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	struct loader *ld = loader_of(L);
	push_caller(L);
	const char *where = lua_tostring(L, -1);
	if (ld->depth >= MAX_INCLUDE_DEPTH)
		fail(L, "%s: include nesting too deep", where);

	/* Relative to the including file, whose chunk name is its path. */
	lua_Debug ar;
	const char *dir = "", *slash = NULL;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) &&
	    ar.source[0] == '@') {
		dir = ar.source + 1;
		slash = strrchr(dir, '/');
	}
	lua_pushstring(L, name);
	if (name[0] != '/' && slash != NULL) {
		lua_pushlstring(L, dir, slash - dir + 1);
		lua_insert(L, -2);
		lua_concat(L, 2);
	}

	ld->depth++;
	run_file(L, lua_tostring(L, -1), where);
	ld->depth--;
	return 0;
}

/* __newindex of the proxy: every assignment of the config lands here. */
static int
l_assign(lua_State *L)
{
	if (lua_type(L, 2) != LUA_TSTRING) {
		push_caller(L);
		fail(L, "%s: config keys must be strings, got %s",
		     lua_tostring(L, -1), luaL_typename(L, 2));
	}
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(UV_WHERE));
	if (lua_isnil(L, -1)) {
		size_t n = lua_rawlen(L, lua_upvalueindex(UV_ORDER));
		lua_pushvalue(L, 2);
		lua_rawseti(L, lua_upvalueindex(UV_ORDER), (lua_Integer)n + 1);
	}
	lua_pop(L, 1);

	lua_pushvalue(L, 2);
	push_caller(L);
	lua_rawset(L, lua_upvalueindex(UV_WHERE));
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	lua_rawset(L, lua_upvalueindex(UV_DATA));
	return 0;
}

/* Strict decimal integer: what the typed keys accept. */
static int
parse_int(const char *s, long long *out)
{
	const char *p = s[0] == '-' ? s + 1 : s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	*out = strtoll(s, NULL, 10);
	return errno ? -1 : 0;
}

struct rule {
	const char *key;
	long long min, max;
	int pow2;
};

/* Keys actord reads itself; everything else is free-form. */
static const struct rule rules[] = {
	{ "thread",       1, 256,       0 },
	{ "harbor",       0, 255,       0 },
	{ "harbor_keepalive", 0, 3600000, 0 },
	{ "spin_us",      0, LLONG_MAX, 0 },
	{ "ring_kb",      64, 1048576,  1 },
	{ "stop_timeout", 0, LLONG_MAX, 0 },
	{ "max_services", 1, LLONG_MAX, 0 },
	{ "max_sockets",  1, 1 << 30,   0 },
};

static void
check_rule(lua_State *L, const char *key, const char *value, const char *where)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];
		if (strcmp(r->key, key) != 0)
			continue;
		long long v;
		int ok = parse_int(value, &v) == 0 && v >= r->min &&
		         v <= r->max && (!r->pow2 || (v & (v - 1)) == 0);
		if (ok)
			return;
		if (r->pow2)
			fail(L, "%s: '%s' must be a power of two between %I "
			     "and %I", where, key, (lua_Integer)r->min,
			     (lua_Integer)r->max);
		if (r->max == LLONG_MAX)
			fail(L, "%s: '%s' must be an integer >= %I", where, key,
			     (lua_Integer)r->min);
		fail(L, "%s: '%s' must be an integer between %I and %I",
		     where, key, (lua_Integer)r->min, (lua_Integer)r->max);
	}
}

static int
has_nul(lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	return strlen(s) != len;
}

/* The value on top of the stack as the string services will see. */
static const char *
to_text(lua_State *L, char *buf, size_t len)
{
	switch (lua_type(L, -1)) {
	case LUA_TSTRING:
		return lua_tostring(L, -1);
	case LUA_TBOOLEAN:
		return lua_toboolean(L, -1) ? "true" : "false";
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1))
			snprintf(buf, len, LUA_INTEGER_FMT,
			         (LUAI_UACINT)lua_tointeger(L, -1));
		else
			snprintf(buf, len, "%.14g", (double)lua_tonumber(L, -1));
		return buf;
	default:
		return NULL;
	}
}

/* Copy the assigned keys, in first-set order, into the C config. */
static void
collect(lua_State *L)
{
	struct config *c = loader_of(L)->cfg;
	lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(UV_ORDER));
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, lua_upvalueindex(UV_ORDER), i);
		const char *key = lua_tostring(L, -1);
		lua_pushvalue(L, -1);
		lua_rawget(L, lua_upvalueindex(UV_WHERE));
		const char *where = lua_tostring(L, -1);
		lua_pushvalue(L, -2);
		lua_rawget(L, lua_upvalueindex(UV_DATA));
		if (!lua_isnil(L, -1)) {	/* `key = nil` unsets */
			char buf[64];
			const char *value = to_text(L, buf, sizeof(buf));
			if (value == NULL)
				fail(L, "%s: key '%s' must be a string, number "
				     "or boolean", where, key);
			/* C strings from here on: a NUL would cut them short */
			if (has_nul(L, -3) || (lua_type(L, -1) == LUA_TSTRING &&
			    has_nul(L, -1)))
				fail(L, "%s: key '%s' contains a NUL byte",
				     where, key);
			check_rule(L, key, value, where);
			add(c, key, value, where);
		}
		lua_pop(L, 3);
	}
}

/* The top-level file, run as a closure sharing include's upvalues. */
static int
l_run(lua_State *L)
{
	run_file(L, loader_of(L)->path, NULL);
	collect(L);
	return 0;
}

/* A closure over the five shared values at base+1 .. base+5. */
static void
push_closure(lua_State *L, int base, lua_CFunction fn)
{
	for (int i = UV_LOADER; i <= UV_PROXY; i++)
		lua_pushvalue(L, base + i);
	lua_pushcclosure(L, fn, UV_PROXY);
}

/* Runs in protected mode: build the sandbox, then run the top file. */
static int
l_main(lua_State *L)
{
	struct loader *ld = lua_touserdata(L, 1);
	/* Sets the string metatable, so ("x"):upper() works; no globals. */
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
	lua_pop(L, 1);

	int base = lua_gettop(L);
	lua_pushlightuserdata(L, ld);	/* UV_LOADER */
	lua_newtable(L);		/* UV_DATA */
	lua_newtable(L);		/* UV_WHERE */
	lua_newtable(L);		/* UV_ORDER */
	lua_newtable(L);		/* UV_PROXY */

	/* Reads: proxy -> data -> builtins. */
	lua_createtable(L, 0, 1);	/* data's metatable */
	lua_createtable(L, 0, 1);	/* builtins */
	push_closure(L, base, l_include);
	lua_setfield(L, -2, "include");
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, base + UV_DATA);

	/* Writes: always l_assign, since the proxy itself stays empty. */
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, base + UV_DATA);
	lua_setfield(L, -2, "__index");
	push_closure(L, base, l_assign);
	lua_setfield(L, -2, "__newindex");
	lua_setmetatable(L, base + UV_PROXY);

	push_closure(L, base, l_run);
	lua_call(L, 0, 0);
	return 0;
}

/* Message handler.  Errors we raise are complete; Lua's own runtime
 * errors carry its short name of the file, so put the full path back. */
static int
l_onerror(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (loader_of(L)->final || msg == NULL)
		return 1;
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.source[0] != '@' || ar.currentline < 0)
			continue;	/* a C function: look at its caller */
		size_t n = strlen(ar.short_src);
		if (strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':')
			lua_pushfstring(L, "%s%s", ar.source + 1, msg + n);
		else
			lua_pushfstring(L, "%s:%d: %s", ar.source + 1,
			                ar.currentline, msg);
		return 1;
	}
	return 1;
}

static void
set_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A config is data, not a program: a runaway loop or a huge string in
 * one must fail start-up, not hang it or eat the machine. */
#define CONFIG_MAX_STEPS  (100 * 1000 * 1000)
#define CONFIG_MAX_MEMORY ((size_t)64 << 20)
#define HOOK_EVERY        10000

struct budget {
	size_t used;
	long steps;
};

static void *
budget_alloc(void *ud, void *p, size_t osize, size_t nsize)
{
	struct budget *b = ud;
	size_t old = p ? osize : 0;
	if (nsize == 0) {
		free(p);
		b->used -= old;
		return NULL;
	}
	if (nsize > old && b->used + (nsize - old) > CONFIG_MAX_MEMORY)
		return NULL;
	void *q = realloc(p, nsize);
	if (q)
		b->used = b->used - old + nsize;
	return q;
}

static void
budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct budget *b;
	lua_getallocf(L, (void **)&b);
	b->steps += HOOK_EVERY;
	if (b->steps > CONFIG_MAX_STEPS)
		luaL_error(L, "config runs too long (an endless loop?)");
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *c = xalloc(NULL, sizeof(*c));
	memset(c, 0, sizeof(*c));
	struct loader ld = { .path = path, .cfg = c };

	struct budget budget = { 0, 0 };
	lua_State *L = lua_newstate(budget_alloc, &budget);
	if (L != NULL)
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
	if (L == NULL) {
		set_error(err, errlen, "%s: cannot create a Lua state", path);
		free(c);
		return NULL;
	}
	lua_pushlightuserdata(L, &ld);
	lua_pushcclosure(L, l_onerror, 1);
	lua_pushcfunction(L, l_main);
	lua_pushlightuserdata(L, &ld);
	int rc = lua_pcall(L, 1, 0, 1);
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		if (msg == NULL)
			msg = "error object is not a string";
		if (rc == LUA_ERRMEM)
			set_error(err, errlen, "%s: %s", path, msg);
		else
			set_error(err, errlen, "%s", msg);
		config_free(c);
		c = NULL;
	}
	lua_close(L);
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
		free(c->v[i].where);
	}
	free(c->v);
	free(c);
}

const char *
config_get(const struct config *c, const char *key)
{
	const struct entry *e = find(c, key);
	return e ? e->value : NULL;
}

/* Keys set by config_default answer "(default)". */
const char *
config_where(const struct config *c, const char *key)
{
	const struct entry *e = find(c, key);
	if (e == NULL)
		return NULL;
	return e->where ? e->where : DEFAULT_WHERE;
}

void
config_default(struct config *c, const char *key, const char *value)
{
	if (find(c, key) == NULL)
		add(c, key, value, NULL);
}

void
config_each(const struct config *c,
            void (*fn)(const char *key, const char *value, void *ud),
            void *ud)
{
	for (size_t i = 0; i < c->n; i++)
		fn(c->v[i].key, c->v[i].value, ud);
}

/* "host:port" with a port 1..65535: what harbor addresses must be. */
static int
is_hostport(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return 0;
	long long port;
	return parse_int(colon + 1, &port) == 0 && port >= 1 && port <= 65535;
}

/* Where a key was set, or the file itself for a missing one. */
static const char *
where_or(const struct config *c, const char *key, const char *path)
{
	const char *w = config_where(c, key);
	return w ? w : path;
}

int
config_check_cluster(const struct config *c, const char *path, char *err,
                     size_t errlen)
{
	const char *ins = config_get(c, "cluster_insecure");
	if (ins && strcmp(ins, "true") != 0 && strcmp(ins, "false") != 0) {
		set_error(err, errlen, "%s: 'cluster_insecure' must be true or false",
		          config_where(c, "cluster_insecure"));
		return -1;
	}
	const char *h = config_get(c, "harbor");
	if (!h || strcmp(h, "0") == 0)
		return 0;
	static const char *const addrs[] = { "address", "master", "standalone" };
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		const char *v = config_get(c, addrs[i]);
		if (v && !is_hostport(v)) {
			set_error(err, errlen, "%s: '%s' must be \"host:port\", got \"%s\"",
			          config_where(c, addrs[i]), addrs[i], v);
			return -1;
		}
	}
	if (!config_get(c, "address") || !config_get(c, "master")) {
		set_error(err, errlen, "%s: harbor = %s needs 'address' (\"host:port\" "
		          "this node listens on for other nodes) and 'master' "
		          "(\"host:port\" of the cluster master)",
		          where_or(c, "harbor", path), h);
		return -1;
	}
	const char *sa = config_get(c, "standalone");
	if (sa && strcmp(sa, config_get(c, "address")) == 0) {
		set_error(err, errlen, "%s: 'standalone' and 'address' must differ "
		          "(the master and the node listen apart)",
		          config_where(c, "standalone"));
		return -1;
	}
	const char *k = config_get(c, "cluster_key");
	const char *kf = config_get(c, "cluster_key_file");
	if (k && kf) {
		set_error(err, errlen, "%s: set 'cluster_key' or 'cluster_key_file', "
		          "not both", config_where(c, "cluster_key_file"));
		return -1;
	}
	if (!k && !kf && !(ins && strcmp(ins, "true") == 0)) {
		set_error(err, errlen, "%s: harbor = %s but no cluster key: set "
		          "'cluster_key' or 'cluster_key_file' (32 random bytes, e.g. "
		          "`openssl rand -hex 32`), or 'cluster_insecure = true' to "
		          "run links with no authentication or encryption",
		          where_or(c, "harbor", path), h);
		return -1;
	}
	return 0;
}
