/* fuzz_http.c -- fuzz target for the HTTP request parser
 * (lualib/http/httpd.lua and http/internal.lua), through lua_target.c.
 *
 * Input: one control byte, then the bytes a client sends.  The control
 * byte picks how the bytes arrive (whole, or in pieces of 1..512 bytes),
 * how the readfunc answers a sized read (exactly, short, or with more
 * than asked), and the body limit; with its top bit set, the bytes are a
 * response for httpc's parser instead (it returns a code and a body or
 * raises an "http: ..." string).  read_request is called until the
 * input runs out, as an agent's keep-alive loop would, and each result
 * is checked:
 *   - read_request only fails with the readfunc's own error;
 *   - codes are the documented ones; on 200 the types are right, header
 *     names are lower-case tokens, values hold no CR/LF, the body is
 *     within the limit;
 *   - the request written back out parses to the same thing;
 *   - url.parse / url.parse_query take the target;
 *   - write_response makes exactly one write;
 *   - http.parse (lualib/httpparse.c), on each line of the input, says
 *     what the Lua patterns it replaced say.
 * Corpus files (tests/fuzz/corpus/http) start with the control byte.
 */
#include <stdint.h>

#include "lua_target.h"
#include "lualib/lualib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char driver[] =
	"local httpd = require 'http.httpd'\n"
	"local urllib = require 'http.url'\n"
	"local internal = require 'http.internal'\n"
	"local hp = require 'http.parse'\n"
	"local M = {}\n"
	"local EOD = setmetatable({}, { __tostring = function() return 'end of input' end })\n"
	"local SIZES = { 0, 1, 2, 3, 7, 16, 64, 512 }\n"
	"local LIMITS = { 8192, false, 0, 16 }\n"
	"local CODES = { [200] = 1, [400] = 1, [413] = 1, [414] = 1, [431] = 1, [501] = 1, [505] = 1 }\n"
	"local BIG = { line = 1e6, field = 1e6, fields = 1e6, head = 1e7, chunkline = 1e6 }\n"
	/* a table error, not a string: the harness aborts */
	"local function broken(fmt, ...) error({ string.format(fmt, ...) }) end\n"
	"local function feeder(input, chunk, mode)\n"
	"  local pos, total = 1, #input\n"
	"  return function(sz)\n"
	"    if pos > total then error(EOD) end\n"
	"    local n\n"
	"    if sz == nil then n = chunk == 0 and total or chunk\n"
	"    elseif mode == 0 then\n"
	/* exact reads, as sockethelper's: a short stream is a closed socket */
	"      if pos + sz - 1 > total then pos = total + 1; error(EOD) end\n"
	"      n = sz\n"
	"    elseif mode == 1 then n = chunk == 0 and sz or math.min(sz, chunk)\n"
	"    else n = math.max(sz, chunk) end\n"
	"    local d = input:sub(pos, pos + n - 1)\n"
	"    pos = pos + #d\n"
	"    return d\n"
	"  end\n"
	"end\n"
	"local function check_request(url, method, header, body, version, bodylimit)\n"
	"  if type(url) ~= 'string' or url == '' or type(method) ~= 'string' or type(header) ~= 'table'\n"
	"     or type(body) ~= 'string' or (version ~= '1.0' and version ~= '1.1') then\n"
	"    broken('bad types: %s %s %s %s %s', type(url), type(method), type(header), type(body), tostring(version))\n"
	"  end\n"
	"  if bodylimit and #body > bodylimit then broken('body of %d over the limit %d', #body, bodylimit) end\n"
	"  for k, v in pairs(header) do\n"
	"    if type(k) ~= 'string' or not k:find(\"^[%l%d!#$%%&'*+%-.^_`|~]+$\") then broken('bad name %q', tostring(k)) end\n"
	"    if type(v) ~= 'string' or v:find('[\\r\\n]') then broken('bad value of %s', k) end\n"
	"  end\n"
	"  local path, query = urllib.parse(url)\n"
	"  if type(path) ~= 'string' or type(query) ~= 'string' then broken('url.parse') end\n"
	"  urllib.parse_query(query)\n"
	"end\n"
	/* write the request back out, framed by content-length, and parse it */
	"local function reparse(url, method, header, body, version)\n"
	"  local out = { method .. ' ' .. url .. ' HTTP/' .. version .. '\\r\\n' }\n"
	"  for k, v in pairs(header) do\n"
	"    if k ~= 'content-length' and k ~= 'transfer-encoding' then out[#out + 1] = k .. ': ' .. v .. '\\r\\n' end\n"
	"  end\n"
	"  out[#out + 1] = 'content-length: ' .. #body .. '\\r\\n\\r\\n' .. body\n"
	"  local saved = httpd.limits\n"
	"  httpd.limits = BIG\n"
	"  local code, url2, method2, header2, body2, version2 = httpd.read_request(feeder(table.concat(out), 0, 0))\n"
	"  httpd.limits = saved\n"
	"  if code ~= 200 or url2 ~= url or method2 ~= method or body2 ~= body or version2 ~= version then\n"
	"    broken('reparse: %s %s', tostring(code), tostring(url2))\n"
	"  end\n"
	"  for k, v in pairs(header) do\n"
	"    if k ~= 'content-length' and k ~= 'transfer-encoding' and header2[k] ~= v then broken('reparse: field %s', k) end\n"
	"  end\n"
	"end\n"
	/* http.parse against the patterns it replaced, on every line */
	"local FIELD = '^([^:%z\\1-\\32]+):[ \\t]*([^%z\\1-\\8\\10-\\31\\127]*)\\r?\\n'\n"
	"local LINE = '^(%u+) ([^ %c]+) HTTP/(%d+%.%d+)\\r?\\n'\n"
	"local function split_lines(input)\n"
	"  local pos = 1\n"
	"  while true do\n"
	"    local e = input:find('\\n', pos, true)\n"
	"    if not e then return end\n"
	"    local n1, v1 = input:match(FIELD, pos)\n"
	"    if n1 and not internal.is_token(n1) then n1 = nil end\n"
	"    if n1 then n1, v1 = n1:lower(), (v1:gsub('[ \\t]+$', '')) else v1 = nil end\n"
	"    local n2, v2 = hp.field(input, pos, e)\n"
	"    if n1 ~= n2 or v1 ~= v2 then broken('http.parse.field at %d: %s %s', pos, tostring(n2), tostring(v2)) end\n"
	"    local m1, t1, ver1 = input:match(LINE, pos)\n"
	"    local m2, t2, ver2 = hp.line(input, pos, e)\n"
	"    if m1 ~= m2 or t1 ~= t2 or ver1 ~= ver2 then broken('http.parse.line at %d', pos) end\n"
	"    pos = e + 1\n"
	"  end\n"
	"end\n"
	/* httpc's side: a response; it raises a string for a bad one */
	"local function response(read, rest)\n"
	"  local r = internal.reader(read)\n"
	"  local h = {}\n"
	"  local ok, code, body = pcall(internal.read_response, r, 'GET', h, rest)\n"
	"  if not ok then\n"
	"    if code ~= EOD and not (type(code) == 'string' and code:find('^http: ')) then\n"
	"      broken('read_response failed: %s', tostring(code))\n"
	"    end\n"
	"    return\n"
	"  end\n"
	"  if math.type(code) ~= 'integer' or code < 100 or code > 999 or type(body) ~= 'string' then\n"
	"    broken('read_response: %s %s', tostring(code), type(body))\n"
	"  end\n"
	"  for k, v in pairs(h) do\n"
	"    if type(k) ~= 'string' or (type(v) ~= 'string' and type(v) ~= 'table') then broken('response field') end\n"
	"  end\n"
	"end\n"
	"function M.request(data)\n"
	"  if #data == 0 then return end\n"
	"  local ctl = data:byte(1)\n"
	"  local chunk = SIZES[(ctl & 7) + 1]\n"
	"  local bodylimit = LIMITS[((ctl >> 3) & 3) + 1] or nil\n"
	"  local mode = (ctl >> 5) % 3\n"
	"  local input = data:sub(2)\n"
	"  split_lines(input)\n"
	"  local read = feeder(input, chunk, mode)\n"
	"  if ctl >= 128 then\n"
	"    return response(read, function() return '' end)\n"
	"  end\n"
	"  for _ = 1, 64 do\n"
	"    local code, url, method, header, body, version = httpd.read_request(read, bodylimit)\n"
	"    if code == nil then\n"
	"      if url ~= EOD then broken('read_request failed: %s', tostring(url)) end\n"
	"      return\n"
	"    end\n"
	"    if not CODES[code] then broken('unexpected code %s', tostring(code)) end\n"
	"    if code ~= 200 then return end\n"
	"    check_request(url, method, header, body, version, bodylimit)\n"
	"    reparse(url, method, header, body, version)\n"
	"    local writes = 0\n"
	"    local ok, err = httpd.write_response(function() writes = writes + 1 end, 200, body, { ['x-method'] = method })\n"
	"    if not ok or writes ~= 1 then broken('write_response: %s, %d writes', tostring(err), writes) end\n"
	"  end\n"
	"end\n"
	"return M\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lua_target_preload_c("http.parse", lualib_open_httpparse);
	lua_target_preload("fuzz_http", driver);
	return lua_target_run("fuzz_http", "request", data, size);
}
