/* httpparse.c -- "http.parse": the per-line work of lualib/http's
 * request and header parser, in C.  The Lua side (http/internal.lua,
 * http/httpd.lua) keeps the reading, the limits and the order of the
 * checks; these functions only split one line that is already in the
 * buffer, where the Lua patterns they replace cost a test per byte per
 * class range.  Each says the same yes or no as the pattern it replaces
 * (named in its comment), on every input.  Bytes are judged as ASCII, as
 * Lua's patterns do in the "C" locale the nodes run in.
 *
 *   line(buf, pos, e) -> method, target, version | nil
 *   field(buf, pos, e) -> name (lower case), value (trimmed) | nil
 *
 * pos is where the line starts (1-based, as in Lua), e the index of the
 * first "\n" at or after pos.
 */
#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>

#include "lualib.h"

/* The line buf[pos..e], checked: e is a "\n" inside buf, pos <= e. */
static const unsigned char *line_arg(lua_State *L, size_t *n)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	lua_Integer pos = luaL_checkinteger(L, 2);
	lua_Integer e = luaL_checkinteger(L, 3);
	luaL_argcheck(L, pos >= 1 && pos <= e, 2, "out of the line");
	luaL_argcheck(L, (size_t)e <= len && s[e - 1] == '\n', 3, "not a line's end");
	*n = (size_t)(e - pos + 1);
	return (const unsigned char *)s + pos - 1;
}

static int is_upper(unsigned c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }
static int is_cntrl(unsigned c) { return c < 32 || c == 127; }

/* RFC 9110 token characters: [%w!#$%&'*+%-.^_`|~] */
static int is_tchar(unsigned c)
{
	if ((c | 32) >= 'a' && (c | 32) <= 'z')
		return 1;
	if (is_digit(c))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '.': case '^': case '_': case '`': case '|':
	case '~':
		return 1;
	default:
		return 0;
	}
}

/* line: "^(%u+) ([^ %c]+) HTTP/(%d+%.%d+)\r?\n" on the line. */
static int lline(lua_State *L)
{
	size_t n;
	const unsigned char *p = line_arg(L, &n);
	size_t i = 0;
	while (i < n && is_upper(p[i]))
		i++;
	size_t mlen = i;
	if (mlen == 0 || i >= n || p[i] != ' ')
		return 0;
	size_t t0 = ++i;
	while (i < n && p[i] != ' ' && !is_cntrl(p[i]))
		i++;
	size_t tlen = i - t0;
	static const char http[] = " HTTP/";
	if (tlen == 0 || n - i < sizeof http - 1)
		return 0;
	for (size_t k = 0; k < sizeof http - 1; k++)
		if (p[i + k] != (unsigned char)http[k])
			return 0;
	i += sizeof http - 1;
	size_t v0 = i;
	while (i < n && is_digit(p[i]))
		i++;
	if (i == v0 || i >= n || p[i] != '.')
		return 0;
	size_t dot = ++i;
	while (i < n && is_digit(p[i]))
		i++;
	if (i == dot)
		return 0;
	size_t vlen = i - v0;
	if (i < n && p[i] == '\r')
		i++;
	if (i != n - 1) /* p[n - 1] is the "\n" */
		return 0;
	lua_pushlstring(L, (const char *)p, mlen);
	lua_pushlstring(L, (const char *)p + t0, tlen);
	lua_pushlstring(L, (const char *)p + v0, vlen);
	return 3;
}

/* field: "^([^:\0-\32]+):[ \t]*([^\0-\8\10-\31\127]*)\r?\n" on the line,
 * the name a token (a name with other bytes is refused, as the Lua side
 * did with is_token), then the name lower-cased and spaces and tabs cut
 * from the value's end. */
static int lfield(lua_State *L)
{
	size_t n;
	const unsigned char *p = line_arg(L, &n);
	char name[256];
	size_t i = 0;
	while (i < n && is_tchar(p[i]))
		i++;
	size_t nlen = i;
	if (nlen == 0 || i >= n || p[i] != ':')
		return 0;
	i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t v0 = i;
	while (i < n && (p[i] == '\t' || !is_cntrl(p[i])))
		i++;
	size_t vend = i;
	if (i < n && p[i] == '\r')
		i++;
	if (i != n - 1)
		return 0;
	while (vend > v0 && (p[vend - 1] == ' ' || p[vend - 1] == '\t'))
		vend--;
	if (nlen <= sizeof name) {
		for (size_t k = 0; k < nlen; k++)
			name[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] | 32 : p[k]);
		lua_pushlstring(L, name, nlen);
	} else {
		luaL_Buffer b;
		char *d = luaL_buffinitsize(L, &b, nlen);
		for (size_t k = 0; k < nlen; k++)
			d[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] | 32 : p[k]);
		luaL_pushresultsize(&b, nlen);
	}
	lua_pushlstring(L, (const char *)p + v0, vend - v0);
	return 2;
}

int luaopen_http_parse(lua_State *L)
{
	return lualib_open_httpparse(L);
}

int lualib_open_httpparse(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "line", lline },
		{ "field", lfield },
		{ NULL, NULL },
	};
	luaL_newlib(L, fns);
	return 1;
}
