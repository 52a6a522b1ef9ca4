/* fuzz_dns.c -- fuzz target for the DNS reply parser
 * (lualib/skynet/dnsparse.lua, used by skynet.dns), through lua_target.c.
 *
 * Input: the bytes of a reply as they would come from a server.  The
 * parser must refuse bad bytes with a string, never a Lua error, within
 * the harness's instruction budget (so compression pointers cannot loop),
 * and what it accepts must make sense:
 *   - the id is the first two bytes, also when the reply is refused;
 *   - names are at most 255 wire bytes, TTLs within 0..2^31-1, A data
 *     are dotted quads, AAAA data are RFC 5952 text of 8 groups;
 *   - addresses() gives a non-empty list of those and a TTL, or a reason;
 *   - a query built for the echoed question, turned into a reply, parses
 *     back to the same question.
 * Corpus (tests/fuzz/corpus/dns): replies written by `dnsstub -o`, valid
 * ones and each malformed kind the stub can send.
 */
#include <stdint.h>

#include "lua_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char driver[] =
	"local wire = require 'skynet.dnsparse'\n"
	"local M = {}\n"
	/* a table error, not a string: the harness aborts */
	"local function broken(fmt, ...) error({ string.format(fmt, ...) }) end\n"
	"local function int_in(v, lo, hi) return math.type(v) == 'integer' and v >= lo and v <= hi end\n"
	"local function check_ipv4(s)\n"
	"  local a, b, c, d = tostring(s):match('^(%d+)%.(%d+)%.(%d+)%.(%d+)$')\n"
	"  if not a or tonumber(a) > 255 or tonumber(b) > 255 or tonumber(c) > 255 or tonumber(d) > 255 then\n"
	"    broken('bad A data %q', tostring(s))\n"
	"  end\n"
	"end\n"
	"local function check_ipv6(s)\n"
	"  if type(s) ~= 'string' or s:find('[^%x:]') or s:find(':::') or #s > 39 then broken('bad AAAA data %q', tostring(s)) end\n"
	"  local _, colons = s:gsub(':', '')\n"
	"  local compressed = s:find('::', 1, true)\n"
	"  if (compressed and colons > 7) or (not compressed and colons ~= 7) then broken('bad AAAA data %q', s) end\n"
	"end\n"
	"local function check_name(n)\n"
	/* escapes aside, 255 wire bytes give at most 253 characters */
	"  local plain = type(n) == 'string' and n:gsub('\\\\(.)', '%1')\n"
	"  if not plain or #plain > 253 then broken('bad name of %s bytes', plain and #plain or '?') end\n"
	"end\n"
	"function M.reply(data)\n"
	"  local id = #data >= 2 and string.unpack('>I2', data) or nil\n"
	"  local r, err, rid = wire.parse_reply(data)\n"
	"  if not r then\n"
	"    if type(err) ~= 'string' then broken('refusal without a reason') end\n"
	"    if rid ~= nil and rid ~= id then broken('refusal with id %s, not %s', tostring(rid), tostring(id)) end\n"
	"    return\n"
	"  end\n"
	"  if r.id ~= id or not int_in(r.rcode, 0, 15) or type(r.tc) ~= 'boolean'\n"
	"     or not int_in(r.qtype, 0, 65535) or not int_in(r.qclass, 0, 65535) then\n"
	"    broken('bad header fields')\n"
	"  end\n"
	"  check_name(r.qname)\n"
	"  for _, a in ipairs(r.answers) do\n"
	"    check_name(a.name)\n"
	"    if not int_in(a.type, 0, 65535) or not int_in(a.ttl, 0, 0x7fffffff) then broken('bad record fields') end\n"
	"    if a.type == wire.CNAME then check_name(a.data)\n"
	"    elseif a.type == wire.A and a.data then check_ipv4(a.data)\n"
	"    elseif a.type == wire.AAAA and a.data then check_ipv6(a.data) end\n"
	"  end\n"
	"  local ips, ttl = wire.addresses(r, r.qname, r.qtype)\n"
	"  if ips then\n"
	"    if #ips == 0 or not int_in(ttl, 0, 0x7fffffff) then broken('addresses: %d, ttl %s', #ips, tostring(ttl)) end\n"
	"    for _, ip in ipairs(ips) do\n"
	"      if r.qtype == wire.A then check_ipv4(ip) else check_ipv6(ip) end\n"
	"    end\n"
	"  elseif type(ttl) ~= 'string' then\n"
	"    broken('addresses failed without a reason')\n"
	"  end\n"
	/* the question, asked by us, comes back the same */
	"  if wire.normalize(r.qname) == r.qname then\n"
	"    local q = wire.query(r.id, r.qname, r.qtype)\n"
	"    local back = wire.parse_reply(q:sub(1, 2) .. '\\x81\\x80' .. q:sub(5))\n"
	"    if not back or back.qname ~= r.qname or back.qtype ~= r.qtype or back.qclass ~= 1 then\n"
	"      broken('query for %q does not parse back', r.qname)\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return M\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lua_target_preload("fuzz_dns", driver);
	return lua_target_run("fuzz_dns", "reply", data, size);
}
