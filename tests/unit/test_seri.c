/* test_seri.c -- unit tests for lualib/seri.c (the skynet pack format).
 *
 * Each test gets a fresh lua_State with pack, unpack and a few helpers as
 * globals, and most checks are Lua snippets: Lua can say "the same value"
 * (integer vs float, -0.0, NaN, nested tables) far more briefly than C.
 * A snippet fails by raising; the test then fails with its message.
 *
 * With ACTORD_SERI_CORPUS=dir set, the corpus test also writes the fuzz
 * seeds (tests/fuzz/corpus/unpack) into dir.
 */
#include "lualib/lualib.h"

#include <check.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pack(...) -> string */
static int
l_pack(lua_State *L)
{
	size_t sz;
	void *p = seri_pack(L, 1, &sz);
	lua_pushlstring(L, p, sz);
	free(p);
	return 1;
}

/* unpack(s) -> ... */
static int
l_unpack(lua_State *L)
{
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	return seri_unpack(L, s, sz);
}

static const char helpers[] =
	/* deq(a, b): the same value, down to math.type, -0.0 and NaN; tables
	 * compared key by key (keys themselves must not be tables) */
	"function deq(a, b)\n"
	"  if type(a) ~= type(b) then return false end\n"
	"  if type(a) == 'number' then\n"
	"    if math.type(a) ~= math.type(b) then return false end\n"
	"    if a ~= a then return b ~= b end\n"
	"    if a == 0 then return b == 0 and 1/a == 1/b end\n"
	"    return a == b\n"
	"  end\n"
	"  if type(a) ~= 'table' then return a == b end\n"
	"  for k, v in next, a do\n"
	"    if not deq(v, rawget(b, k)) then return false end\n"
	"  end\n"
	"  for k in next, b do\n"
	"    if rawget(a, k) == nil then return false end\n"
	"  end\n"
	"  return true\n"
	"end\n"
	/* same(...): the values survive pack + unpack, count included */
	"function same(...)\n"
	"  local n = select('#', ...)\n"
	"  local s = pack(...)\n"
	"  local r = table.pack(unpack(s))\n"
	"  assert(r.n == n, ('%d values came back, %d went'):format(r.n, n))\n"
	"  for i = 1, n do\n"
	"    assert(deq((select(i, ...)), r[i]),\n"
	"           ('value %d differs: %s'):format(i, tostring(r[i])))\n"
	"  end\n"
	"  return s\n"
	"end\n"
	/* bad(s, want): unpack(s) fails with a malformed-message error that
	 * mentions want */
	"function bad(s, want)\n"
	"  local ok, err = pcall(unpack, s)\n"
	"  assert(not ok, 'unpacked a malformed message')\n"
	"  assert(err:find('^malformed packed message: '), err)\n"
	"  if want then assert(err:find(want, 1, true), err) end\n"
	"  return err\n"
	"end\n"
	/* hex(s): for readable exact-byte checks */
	"function hex(s)\n"
	"  return (s:gsub('.', function(c) return ('%02x '):format(c:byte()) end))\n"
	"end\n";

static lua_State *
new_state(void)
{
	lua_State *L = luaL_newstate();
	ck_assert(L != NULL);
	luaL_openlibs(L);
	lua_register(L, "pack", l_pack);
	lua_register(L, "unpack", l_unpack);
	lua_pushlightuserdata(L, (void *)helpers);   /* any address will do */
	lua_setglobal(L, "lud");
	ck_assert_msg(luaL_dostring(L, helpers) == LUA_OK, "%s",
	              lua_tostring(L, -1));
	return L;
}

/* Run a snippet in a fresh state; fail the test with its error. */
static void
run(const char *code)
{
	lua_State *L = new_state();
	if (luaL_dostring(L, code) != LUA_OK)
		ck_abort_msg("%s", lua_tostring(L, -1));
	lua_close(L);
}

START_TEST(test_scalars)
{
	run("same()\n"
	    "same(nil)\n"
	    "same(nil, nil)\n"
	    "same(1, nil, 'x')\n"
	    "same(nil, 1, nil, nil)\n"
	    "same(true, false, true)\n"
	    "same(lud)\n"
	    "assert(select('#', unpack(pack(nil, nil))) == 2)\n"
	    "assert(unpack(pack(lud)) == lud)\n");
}
END_TEST

START_TEST(test_integers)
{
	/* each boundary with the size it must pack to (type byte included) */
	run("local cases = {\n"
	    "  {0, 1}, {1, 2}, {255, 2}, {256, 3}, {65535, 3}, {65536, 5},\n"
	    "  {-1, 5}, {-128, 5}, {32767, 3}, {-32768, 5},\n"
	    "  {0x7fffffff, 5}, {-0x80000000, 5}, {0x80000000, 9},\n"
	    "  {-0x80000001, 9}, {0x100000000, 9},\n"
	    "  {math.maxinteger, 9}, {math.mininteger, 9},\n"
	    "}\n"
	    "for _, c in ipairs(cases) do\n"
	    "  assert(math.type(c[1]) == 'integer')\n"
	    "  local s = same(c[1])\n"
	    "  assert(#s == c[2], ('%d packs to %d bytes'):format(c[1], #s))\n"
	    "  assert(math.type(unpack(s)) == 'integer')\n"
	    "end\n"
	    /* skynet's bytes, so messages mean the same on both */
	    "assert(hex(pack(0)) == '02 ')\n"
	    "assert(hex(pack(1)) == '0a 01 ')\n"
	    "assert(hex(pack(0x1234)) == '12 34 12 ')\n"
	    "assert(hex(pack(-2)) == '22 fe ff ff ff ')\n"
	    "assert(hex(pack(0x100000000)) == '32 00 00 00 00 01 00 00 00 ')\n"
	    /* uint16 is unsigned: skynet packs 40000 as a word */
	    "assert(unpack('\\x12\\x40\\x9c') == 40000)\n");
}
END_TEST

START_TEST(test_floats)
{
	run("for _, x in ipairs{0.5, -0.0, 0.0, 1e308, -1e308, 1/0, -1/0,\n"
	    "                    1.0, -1.0, 2^53, 2^63, 5e-324} do\n"
	    "  local s = same(x)\n"
	    "  assert(#s == 9 and math.type(unpack(s)) == 'float')\n"
	    "end\n"
	    "local nan = unpack(pack(0/0))\n"
	    "assert(nan ~= nan)\n"
	    /* integers and floats that are equal stay apart */
	    "same(1, 1.0, 0, 0.0, -0.0, math.maxinteger, 2^63)\n"
	    "local a, b = unpack(pack(1, 1.0))\n"
	    "assert(math.type(a) == 'integer' and math.type(b) == 'float')\n"
	    "assert(1/unpack(pack(-0.0)) == -1/0)\n"
	    "assert(hex(pack(0.5)) == '42 00 00 00 00 00 00 e0 3f ')\n");
}
END_TEST

START_TEST(test_strings)
{
	run("for _, n in ipairs{0, 1, 31, 32, 65535, 65536, 1 << 20} do\n"
	    "  local s = ('a\\0'):rep(n // 2) .. ('z'):rep(n % 2)\n"
	    "  assert(#s == n)\n"
	    "  local p = same(s)\n"
	    "  local head = n < 32 and 1 or n < 65536 and 3 or 5\n"
	    "  assert(#p == head + n, ('%d-byte string packs to %d'):format(n, #p))\n"
	    "end\n"
	    "same('\\0', '\\0\\0\\0', 'x\\0y', ('\\0'):rep(70000))\n"
	    "assert(hex(pack('ab')) == '14 61 62 ')\n"
	    /* longer length fields than needed are still read */
	    "assert(unpack('\\x25\\3\\0\\0\\0abc') == 'abc')\n"
	    "assert(unpack('\\x15\\0\\0') == '')\n"
	    "assert(hex(pack(('x'):rep(32)):sub(1, 3)) == '15 20 00 ')\n"
	    "assert(hex(pack(('x'):rep(65536)):sub(1, 5)) == '25 00 00 01 00 ')\n");
}
END_TEST

START_TEST(test_tables)
{
	run("same({})\n"
	    "same({1, 2, 3}, {a = 1, b = {c = {}}})\n"
	    "local big = {}\n"
	    "for i = 1, 100 do big[i] = i * 1.5 end\n"
	    "big.name = 'x'; big[0] = 'zero'; big[-5] = 'neg'; big[1000] = 'far'\n"
	    "big[0.5] = 'half'; big[true] = 'yes'; big[false] = 'no'\n"
	    "big[1 << 60] = 'huge'; big[math.mininteger] = 'min'\n"
	    "big.nested = {big = {1, 2, 3}, s = ('q'):rep(40)}\n"
	    "same(big)\n"
	    "for _, n in ipairs{30, 31, 32, 255, 256, 70000} do\n"
	    "  local t = {}\n"
	    "  for i = 1, n do t[i] = i end\n"
	    "  local s = same(t, t)\n"
	    "end\n"
	    /* array length 30 fits the cookie, 31 needs a number after it */
	    "assert(hex(pack({1, 2})) == '16 0a 01 0a 02 00 ')\n"
	    "local t30 = {}; for i = 1, 30 do t30[i] = 0 end\n"
	    "assert(hex(pack(t30):sub(1, 1)) == 'f6 ')\n"
	    "t30[31] = 0\n"
	    "assert(hex(pack(t30):sub(1, 3)) == 'fe 0a 1f ')\n"
	    /* a table as a key comes back as an equal table */
	    "local k = unpack(pack({[{1, 2}] = 'v'}))\n"
	    "local key, v = next(k)\n"
	    "assert(deq(key, {1, 2}) and v == 'v' and next(k, key) == nil)\n"
	    /* the same table twice packs twice (no references) */
	    "local shared = {1}\n"
	    "local a, b = unpack(pack(shared, shared))\n"
	    "assert(deq(a, b) and a ~= b)\n");
}
END_TEST

START_TEST(test_holes)
{
	/* for every key, t[k] is the same after the trip */
	run("local cases = {\n"
	    "  {1, nil, 3}, {nil, nil, 3}, {nil}, {1, nil}, {[1] = 1, [1000] = 2},\n"
	    "  {1, 2, nil, nil, nil, 6, x = 1}, {[2] = 2, [3] = 3},\n"
	    "}\n"
	    "local long = {}\n"
	    "for i = 1, 100 do long[i] = i % 3 ~= 0 and i or nil end\n"
	    "cases[#cases + 1] = long\n"
	    "for _, t in ipairs(cases) do\n"
	    "  local r = unpack(pack(t))\n"
	    "  assert(deq(t, r))\n"
	    "  for k = -2, 1002 do assert(rawequal(t[k], r[k]), k) end\n"
	    "end\n");
}
END_TEST

START_TEST(test_raw_access)
{
	/* metamethods are not consulted: only the raw contents travel */
	run("local proxy = setmetatable({1, x = 2}, {\n"
	    "  __index = function() return 'meta' end,\n"
	    "  __len = function() return 99 end,\n"
	    "  __pairs = function() error('__pairs called') end,\n"
	    "})\n"
	    "local r = unpack(pack(proxy))\n"
	    "assert(getmetatable(r) == nil and deq(r, {1, x = 2}))\n");
}
END_TEST

START_TEST(test_depth)
{
	run("local function nest(n)\n"
	    "  local t = {}\n"
	    "  for _ = 2, n do t = {t} end\n"
	    "  return t\n"
	    "end\n"
	    "same(nest(32))\n"
	    "same({a = nest(31)})\n"
	    "local ok, err = pcall(pack, nest(33))\n"
	    "assert(not ok and err:find('nested deeper than 32'), err)\n"
	    "ok, err = pcall(pack, 1, {k = nest(32)})\n"
	    "assert(not ok and err:find('nested deeper'), err)\n"
	    /* a table as a key counts as nesting too */
	    "ok, err = pcall(pack, {[nest(32)] = 1})\n"
	    "assert(not ok and err:find('nested deeper'), err)\n"
	    /* 33 levels by hand: table bytes with one array element each */
	    "bad(('\\x0e'):rep(33) .. ('\\0'):rep(33), 'nested deeper than 32')\n"
	    "assert(select('#', unpack(('\\x0e'):rep(31) .. '\\x06\\0' ..\n"
	    "                          ('\\0'):rep(31))) == 1)\n");
}
END_TEST

START_TEST(test_pack_errors)
{
	run("local function fails(want, ...)\n"
	    "  local ok, err = pcall(pack, ...)\n"
	    "  assert(not ok, 'packed an unpackable value')\n"
	    "  assert(err:find(want, 1, true), err)\n"
	    "end\n"
	    "fails('function', print)\n"
	    "fails('function', function() end)\n"
	    "fails('thread', coroutine.create(print))\n"
	    "fails('userdata', io.stdout)\n"
	    /* after a lot has been packed: the partial buffer must be freed
	     * (the ASan build checks) */
	    "fails('function', ('x'):rep(1 << 20), {1, 2, {f = print}})\n"
	    "fails('function', {[print] = 1})\n"
	    "local t = {}\n"
	    "for i = 1, 1000 do t[i] = ('y'):rep(1000) end\n"
	    "t[500] = coroutine.running()\n"
	    "fails('thread', t)\n");
}
END_TEST

/* Every prefix of a message either fails as malformed, or (cut exactly
 * between top-level values) gives the values before the cut. */
START_TEST(test_truncated)
{
	run("local vals = {\n"
	    "  1, nil, 'short', ('L'):rep(300), 1 << 40, -7, 0.25, true,\n"
	    "  {1, nil, 3, x = {y = {'z'}}, [0.5] = false}, lud,\n"
	    "  (function() local t = {} for i = 1, 40 do t[i] = i end\n"
	    "              t.k = 'v' return t end)(),\n"
	    "  {}, 65535, {[{}] = {}},\n"
	    "}\n"
	    "local n = 14\n"
	    "local s = pack(table.unpack(vals, 1, n))\n"
	    "local cut, at = {}, 0\n"
	    "for i = 1, n do\n"
	    "  cut[at] = i - 1\n"
	    "  at = at + #pack(vals[i])\n"
	    "end\n"
	    "assert(at == #s)\n"
	    "local fails = 0\n"
	    "for len = 0, #s - 1 do\n"
	    "  local ok, err = pcall(unpack, s:sub(1, len))\n"
	    "  if cut[len] then\n"
	    "    assert(ok, err)\n"
	    "    local r = table.pack(unpack(s:sub(1, len)))\n"
	    "    assert(r.n == cut[len])\n"
	    "    for i = 1, r.n do assert(deq(r[i], vals[i])) end\n"
	    "  else\n"
	    "    assert(not ok, ('prefix of %d bytes unpacked'):format(len))\n"
	    "    assert(err:find('^malformed packed message: '), err)\n"
	    "    fails = fails + 1\n"
	    "  end\n"
	    "end\n"
	    "assert(fails == #s - n)\n"
	    /* a 4-byte-length string: every prefix would be slow, so the
	     * header and a few cuts inside the bytes */
	    "local long = pack(('S'):rep(70000))\n"
	    "for _, len in ipairs{1, 2, 3, 4, 5, 6, 1000, #long - 1} do\n"
	    "  bad(long:sub(1, len), 'truncated')\n"
	    "end\n");
}
END_TEST

START_TEST(test_malformed)
{
	run("bad('\\x07', 'bad type byte 0x07')\n"
	    "bad('\\x0f', 'bad type byte')\n"
	    "bad('\\x01\\xff', 'bad type byte 0xff')\n"
	    "bad('\\x08', 'nil cookie')\n"
	    "bad('\\x11', 'boolean cookie')\n"
	    "bad('\\x1a', 'number cookie')\n"
	    "bad('\\x4a', 'number cookie')\n"
	    "bad('\\x0b' .. ('\\0'):rep(8), 'pointer cookie')\n"
	    "bad('\\x03\\0\\0', 'truncated pointer')\n"
	    "bad('\\x2c' .. 'ab', 'truncated string')\n"
	    "bad('\\x25\\xff\\xff\\xff\\xff' .. 'abc', 'truncated string')\n"
	    "bad('\\x15\\x02\\x00', 'truncated string')\n"
	    "bad('\\x0d\\x02', 'long string cookie')\n"
	    "bad('\\x35', 'long string cookie')\n"
	    "bad('\\x25\\x01', 'truncated string length')\n"
	    "bad('\\x12\\x01', 'truncated integer')\n"
	    "bad('\\x42\\0\\0\\0', 'truncated double')\n"
	    /* array lengths: 2^40, negative, a float, not a number, > bytes */
	    "bad('\\xfe\\x32\\0\\0\\0\\0\\0\\x01\\0\\0' .. ('\\0'):rep(20),\n"
	    "    'bad array length')\n"
	    "bad('\\xfe\\x22\\xff\\xff\\xff\\xff\\0', 'bad array length -1')\n"
	    "bad('\\xfe\\x42' .. ('\\0'):rep(8) .. '\\0', 'array length type')\n"
	    "bad('\\xfe\\x04\\0', 'array length type')\n"
	    "bad('\\xfe\\x0a\\x64' .. ('\\0'):rep(50), 'bad array length 100')\n"
	    "bad('\\xfe', 'truncated array length')\n"
	    "bad('\\x0e\\x02', 'truncated table')\n"
	    "bad('\\x06\\x02', 'truncated')\n"
	    "bad('\\x06\\x02\\x02', 'truncated table')\n"
	    /* NaN as a key */
	    "bad('\\x06\\x42\\0\\0\\0\\0\\0\\0\\xf8\\x7f\\x02\\0', 'NaN table key')\n"
	    /* deep nesting: an error, not a C stack overflow */
	    "bad(('\\x06'):rep(10000), 'nested deeper than 32')\n"
	    "bad(('\\x0e'):rep(1000000), 'nested deeper than 32')\n"
	    /* the offset is in the message */
	    "assert(bad('\\x02\\x02\\x07'):find('at offset 3', 1, true))\n");
}
END_TEST

START_TEST(test_many_values)
{
	/* more values than a Lua stack holds: an error, not a crash */
	run("bad(('\\0'):rep(1000001), 'too many values')\n"
	    "bad(('\\x02'):rep(2000000), 'too many values')\n"
	    "bad(('\\x02'):rep(999990) .. ('\\x0e'):rep(32) .. ('\\0'):rep(64),\n"
	    "    'too many values')\n"
	    /* and a lot, but not too many, is fine */
	    "assert(select('#', unpack(('\\0'):rep(100000))) == 100000)\n"
	    "local t = table.pack(unpack(('\\x0a\\x07'):rep(50000)))\n"
	    "assert(t.n == 50000 and t[1] == 7 and t[50000] == 7)\n"
	    /* big arrays whose declared length matches what is there */
	    "local big = {}\n"
	    "for i = 1, 300000 do big[i] = i end\n"
	    "same(big)\n");
}
END_TEST

/* The C API itself: from an index, empty, and between two states. */
START_TEST(test_c_api)
{
	lua_State *a = new_state();
	lua_State *b = new_state();

	lua_pushstring(a, "skipped");
	lua_pushinteger(a, 42);
	lua_pushnil(a);
	lua_pushstring(a, "tail");
	size_t sz;
	void *p = seri_pack(a, 2, &sz);
	ck_assert(p != NULL);
	ck_assert_int_eq(lua_gettop(a), 4);   /* the stack is left alone */
	ck_assert_int_eq(sz, 2 + 1 + 5);

	ck_assert_int_eq(seri_unpack(b, p, sz), 3);
	ck_assert_int_eq(lua_tointeger(b, 1), 42);
	ck_assert(lua_isnil(b, 2));
	ck_assert_str_eq(lua_tostring(b, 3), "tail");
	free(p);

	/* negative from, and nothing to pack */
	p = seri_pack(a, -1, &sz);
	ck_assert_int_eq(sz, 5);
	free(p);
	lua_settop(a, 0);
	p = seri_pack(a, 1, &sz);
	ck_assert(p != NULL);
	ck_assert_int_eq(sz, 0);
	ck_assert_int_eq(seri_unpack(b, p, sz), 0);
	free(p);
	ck_assert_int_eq(seri_unpack(b, NULL, 0), 0);

	/* a message from one state means the same in another */
	lua_settop(b, 0);
	ck_assert(luaL_dostring(a, "return 1, 2.5, 'x', {1, 2, {3}}, true, lud")
	          == LUA_OK);
	p = seri_pack(a, 1, &sz);
	ck_assert_int_eq(seri_unpack(b, p, sz), 6);
	lua_pushlstring(b, p, sz);
	lua_setglobal(b, "msg");
	free(p);
	lua_settop(b, 0);
	if (luaL_dostring(b, "local a, b, c, d, e, f = unpack(msg)\n"
	                     "assert(a == 1 and math.type(b) == 'float')\n"
	                     "assert(c == 'x' and deq(d, {1, 2, {3}}))\n"
	                     "assert(e == true and f == lud)\n"
	                     "assert(pack(unpack(msg)) == msg)\n") != LUA_OK)
		ck_abort_msg("%s", lua_tostring(b, -1));
	lua_close(a);
	lua_close(b);
}
END_TEST

/* l_pack's result, unpacked: the count of values. */
static int
l_count(lua_State *L)
{
	l_pack(L);
	size_t sz;
	const char *s = lua_tolstring(L, -1, &sz);
	lua_pushinteger(L, seri_unpack(L, s, sz));
	return 1;
}

/* A fresh state has a small stack, so the call that frees the pack buffer
 * can make Lua move the stack.  Lua 5.4.4's lua_settop lost track of a
 * stack moved while closing a slot (fixed in 5.4.5); this crashed before
 * seri_pack closed its buffer with lua_closeslot. */
START_TEST(test_small_stack)
{
	/* n values, on stacks of several sizes so that some call moves it */
	for (int n = 0; n < 100; n++) {
		for (int room = n + 1; room < n + 80; room += 3) {
			lua_State *L = luaL_newstate();
			ck_assert(lua_checkstack(L, room));
			lua_pushcfunction(L, l_count);
			for (int i = 0; i < n; i++)
				lua_pushnil(L);
			ck_assert_int_eq(lua_pcall(L, n, 1, 0), LUA_OK);
			ck_assert_int_eq(lua_tointeger(L, -1), n);
			lua_close(L);
		}
	}
}
END_TEST

/* Many trips, good and bad; the ASan build's leak checker sees any loss. */
START_TEST(test_no_leaks)
{
	run("local t = {1, 'two', {3, x = ('x'):rep(100)}, [0.5] = true}\n"
	    "for i = 1, 2000 do\n"
	    "  local s = pack(t, i, ('s'):rep(i))\n"
	    "  local r = unpack(s)\n"
	    "  assert(r[3].x == t[3].x)\n"
	    "  assert(not pcall(pack, t, print))\n"
	    "  assert(not pcall(unpack, s:sub(1, #s - 1)))\n"
	    "end\n");
}
END_TEST

/* Seeds for tests/fuzz/corpus/unpack, written only when asked. */
START_TEST(test_corpus)
{
	const char *dir = getenv("ACTORD_SERI_CORPUS");
	if (dir == NULL)
		return;
	lua_State *L = new_state();
	lua_pushstring(L, dir);
	lua_setglobal(L, "dir");
	if (luaL_dostring(L,
	        "local seeds = {\n"
	        "  scalars = pack(nil, true, false, 0, 1, 300, -5, 1 << 40, 0.5),\n"
	        "  minmax = pack(math.maxinteger, math.mininteger, 1/0, -0.0, 0/0),\n"
	        "  strings = pack('', 'abc\\0def', ('m'):rep(40)),\n"
	        /* skynet writes 4-byte lengths from 64 KiB on, but readers take
	         * them for any length: a small seed keeps the fuzzer's inputs short */
	        "  longstr = pack(('L'):rep(300)) .. '\\x25\\3\\0\\0\\0abc',\n"
	        "  array = pack({1, 2, 3, nil, 5}),\n"
	        "  bigarray = pack((function() local t = {}\n"
	        "    for i = 1, 40 do t[i] = i end return t end)()),\n"
	        "  hash = pack({a = 1, [0.5] = 'h', [true] = {}, [-1] = 'n'}),\n"
	        "  nested = pack({x = {y = {z = {1, {2, {3}}}}}}),\n"
	        "  tablekey = pack({[{1}] = {2}}),\n"
	        "  pointer = pack(lud, 'after'),\n"
	        "  empty = pack(),\n"
	        "}\n"
	        "for name, s in pairs(seeds) do\n"
	        "  local f = assert(io.open(dir .. '/' .. name, 'wb'))\n"
	        "  f:write(s)\n"
	        "  f:close()\n"
	        "end\n") != LUA_OK)
		ck_abort_msg("%s", lua_tostring(L, -1));
	lua_close(L);
}
END_TEST

static Suite *
seri_suite(void)
{
	Suite *s = suite_create("seri");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_floats);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_holes);
	tcase_add_test(tc, test_raw_access);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_pack_errors);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_many_values);
	tcase_add_test(tc, test_c_api);
	tcase_add_test(tc, test_small_stack);
	tcase_add_test(tc, test_no_leaks);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(seri_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
