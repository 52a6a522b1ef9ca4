-- http_parse.lua SOURCE_ROOT HTTP_PARSE_SO: http.httpd's request parser
-- and response writer, and http.url, in a plain Lua interpreter (no node,
-- http.parse loaded from the module built for it): the exact
-- status for each kind of bad request, delivered whole and a byte at a
-- time; pipelined requests in order; the bytes of responses, with the
-- "connection: close" answer to a client that asked to close.
local root, so = arg[1], arg[2]
assert(root and so, "usage: lua5.4 http_parse.lua SOURCE_ROOT HTTP_PARSE_SO")
package.path = root .. "/lualib/?.lua;" .. package.path
package.preload["http.parse"] = assert(package.loadlib(so, "luaopen_http_parse"))
local httpd = require "http.httpd"
local urllib = require "http.url"

local failures, checks = 0, 0
local function check(what, ok, detail)
	checks = checks + 1
	if not ok then
		failures = failures + 1
		print("FAIL " .. what .. (detail and (": " .. detail) or ""))
	end
end

local EOD = setmetatable({}, { __tostring = function() return "end of input" end })

-- feeder(input, piece): a readfunc serving input, at most piece bytes
-- per unsized read (nil: all there is); a sized read gets exactly that,
-- or EOD when the input is too short, as a closed socket would.
local function feeder(input, piece)
	local pos = 1
	return function(sz)
		if pos > #input then
			error(EOD)
		end
		local n = sz or piece or #input
		if sz and pos + sz - 1 > #input then
			pos = #input + 1
			error(EOD)
		end
		local d = input:sub(pos, pos + n - 1)
		pos = pos + #d
		return d
	end
end

-- each request is tried whole and a byte at a time: the code must not
-- depend on how the bytes come
local function code_of(input, bodylimit)
	local whole = httpd.read_request(feeder(input), bodylimit)
	local bytewise = httpd.read_request(feeder(input, 1), bodylimit)
	if whole ~= bytewise then
		return string.format("%s whole, %s a byte at a time", tostring(whole), tostring(bytewise))
	end
	return whole
end

local long = string.rep("a", 9000)
local CASES = {
	{ 200, "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
	{ 200, "GET / HTTP/1.0\n\n" },                              -- bare LF
	{ 200, "\r\n\r\nGET / HTTP/1.1\r\n\r\n" },                  -- empty lines first
	{ 400, "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n" },          -- too many of them
	{ 200, "GET / HTTP/1.1\r\nX_Y!~: v\r\n\r\n" },              -- a token, not only letters
	{ 400, "GET / HTTP/1.1\r\nX Y: v\r\n\r\n" },                -- not a token
	{ 400, "GET / HTTP/1.1\r\n: v\r\n\r\n" },
	{ 400, "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n" },               -- CR in a value
	{ 400, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n" },               -- NUL in a value
	{ 400, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n" },            -- folded line
	{ 400, "hello\r\n\r\n" },
	{ 400, "\x16\x03\x01\x02\x00" },                            -- TLS, refused at once
	{ 400, "GET /a\tb HTTP/1.1\r\n\r\n" },                      -- control character in the target
	{ 400, "GET /a\rb HTTP/1.1\r\n\r\n" },
	{ 400, "GET  / HTTP/1.1\r\n\r\n" },
	{ 400, "GET / HTTP/1.1\r\r\n\r\n" },
	{ 400, "GET / HTTP/1.1 \r\n\r\n" },
	{ 400, "get / HTTP/1.1\r\n\r\n" },
	{ 400, string.rep("A", 25) .. " / HTTP/1.1\r\n\r\n" },      -- method over 24 letters
	{ 505, "GET / HTTP/2.0\r\n\r\n" },
	{ 505, "GET / HTTP/1.10\r\n\r\n" },
	{ 505, "GET / HTTP/01.1\r\n\r\n" },
	{ 414, "GET /" .. long .. " HTTP/1.1\r\n\r\n" },
	{ 431, "GET / HTTP/1.1\r\nX: " .. long .. "\r\n\r\n" },
	{ 431, "GET / HTTP/1.1\r\n" .. string.rep("X: v\r\n", 101) .. "\r\n" },
	{ 200, "GET / HTTP/1.1\r\n" .. string.rep("X: v\r\n", 100) .. "\r\n" },
	{ 431, "GET / HTTP/1.1\r\n" .. string.rep("X-" .. string.rep("b", 4000) .. ": v\r\n", 9) .. "\r\n" },
	{ 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" },
	{ 400, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab" },
	{ 400, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n" },
	{ 400, "POST / HTTP/1.1\r\nContent-Length: 1234567890123456\r\n\r\n" },
	{ 413, "POST / HTTP/1.1\r\nContent-Length: 8193\r\n\r\n" },
	{ 200, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" },
	{ 400, "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
	{ 501, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" },
	{ 200, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=1\r\nwiki\r\n0\r\nT: t\r\n\r\n" },
	{ 413, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000\r\n" },
	{ 400, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" },
	{ 400, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n" },
	{ 413, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" .. string.rep("1\r\na\r\n", 8193) .. "0\r\n\r\n" },
}
for i, c in ipairs(CASES) do
	local got = code_of(c[2], 8192)
	check(string.format("case %d (%q...)", i, c[2]:sub(1, 30)), got == c[1],
		string.format("got %s, wanted %d", tostring(got), c[1]))
end

-- what a 200 gives
do
	local code, url, method, header, body, version = httpd.read_request(feeder(
		"POST /p?q=1 HTTP/1.0\r\nHost: h \r\nX-A: 1\r\nx-a: 2\r\nX-B:\r\nX-B: 3\r\nContent-Length: 2\r\n\r\nhi"), 10)
	check("200 fields", code == 200 and url == "/p?q=1" and method == "POST" and version == "1.0" and body == "hi")
	check("header", header.host == "h" and header["x-a"] == "1, 2" and header["x-b"] == "3"
		and header["content-length"] == "2")
end

-- http.parse's edges: names and values as the patterns it replaced took
-- them (lualib/httpparse.c; the fuzz target compares the two on every
-- line it makes)
do
	local hp = require "http.parse"
	local function field(line)
		local buf = "xx" .. line .. "\nyy\n"
		local name, value = hp.field(buf, 3, 3 + #line)
		return tostring(name) .. "|" .. tostring(value)
	end
	local function eq(what, got, wanted)
		check(what, got == wanted, string.format("got %q", got))
	end
	eq("field plain", field("Host: a.b"), "host|a.b")
	eq("field CRLF", field("X-A: 1\r"), "x-a|1")
	eq("field spaces and tabs around", field("X-A: \t a b \t \r"), "x-a|a b")
	eq("field empty value", field("X-A:\r"), "x-a|")
	eq("field token characters", field("A!#$%&'*+-.^_`|~9: v"), "a!#$%&'*+-.^_`|~9|v")
	eq("field long name", field(string.rep("N", 300) .. ": v"), string.rep("n", 300) .. "|v")
	eq("field bytes over 127 in the value", field("X: caf\xc3\xa9"), "x|caf\xc3\xa9")
	eq("field tab in the value", field("X: a\tb"), "x|a\tb")
	eq("field byte over 127 in the name", field("X\xc3: v"), "nil|nil")
	eq("field DEL in the value", field("X: a\127"), "nil|nil")
	eq("field CR inside", field("X: a\rb"), "nil|nil")
	eq("field space before the colon", field("X : v"), "nil|nil")
	eq("field no colon", field("X v"), "nil|nil")
	eq("field no name", field(": v"), "nil|nil")
	local function line(l)
		local buf = l .. "\n"
		local m, t, v = hp.line(buf, 1, #buf)
		return table.concat({ tostring(m), tostring(t), tostring(v) }, "|")
	end
	eq("line", line("GET /a?b HTTP/1.1\r"), "GET|/a?b|1.1")
	eq("line bare LF", line("PUT * HTTP/1.0"), "PUT|*|1.0")
	eq("line long version", line("GET / HTTP/12.345"), "GET|/|12.345")
	eq("line byte over 127 in the target", line("GET /\xc3\xa9 HTTP/1.1"), "GET|/\xc3\xa9|1.1")
	eq("line DEL in the target", line("GET /\127 HTTP/1.1"), "nil|nil|nil")
	eq("line no version digits", line("GET / HTTP/1."), "nil|nil|nil")
	eq("line lower-case HTTP", line("GET / http/1.1"), "nil|nil|nil")
	eq("line empty target", line("GET  HTTP/1.1"), "nil|nil|nil")
	eq("line CR CR", line("GET / HTTP/1.1\r\r"), "nil|nil|nil")
	check("bad arguments raise", not pcall(hp.field, "abc\n", 2, 3) and not pcall(hp.line, "a\n", 0, 2)
		and not pcall(hp.line, "a\n", 1, 9))
end

-- pipelined requests on one readfunc: answered in order, bodies intact,
-- whether they come in one piece, a byte at a time or split anywhere
do
	local stream = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
		.. "POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
		.. "POST /3 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
		.. "GET /4 HTTP/1.1\r\nConnection: close\r\n\r\n"
	for _, piece in ipairs { false, 1, 5, 29, 40 } do
		local read = feeder(stream, piece or nil)
		local seen = {}
		while true do
			local code, url, _, _, body = httpd.read_request(read)
			if code ~= 200 then
				check("pipelining ends at the end of input", code == nil and url == EOD, tostring(url))
				break
			end
			seen[#seen + 1] = url .. ":" .. body
		end
		local got = table.concat(seen, " ")
		check("pipelined, pieces of " .. tostring(piece), got == "/1: /2:abc /3:de /4:", got)
	end
	-- after a refused request, what followed it is not served
	local read = feeder("GET / HTTP/9.9\r\n\r\nGET /next HTTP/1.1\r\n\r\n")
	check("refused", httpd.read_request(read) == 505)
	local code, url = httpd.read_request(read)
	check("nothing kept after a refused request", code == nil and url == EOD, tostring(code))
end

-- responses
local function response(...)
	local out, writes = {}, 0
	local ok, err = httpd.write_response(function(s)
		writes = writes + 1
		out[#out + 1] = s
	end, ...)
	return ok and writes == 1 and table.concat(out) or ("failed: " .. tostring(err) .. " " .. writes)
end
local function same(what, got, wanted)
	check(what, got == wanted, string.format("got %q", got))
end
same("200 with a body", response(200, "hi"), "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi")
same("404 without a body", response(404), "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
same("204", response(204), "HTTP/1.1 204 No Content\r\n\r\n")
same("unknown code", response(299, ""), "HTTP/1.1 299 \r\ncontent-length: 0\r\n\r\n")
same("header", response(200, "x", { ["X-A"] = "1" }), "HTTP/1.1 200 OK\r\nX-A: 1\r\ncontent-length: 1\r\n\r\nx")
same("framing is ours", response(200, "x", { ["Content-Length"] = "9" }), "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx")
local pieces = { "a", "b" }
same("function body", response(200, function() return table.remove(pieces, 1) end),
	"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab")
check("bad code", not httpd.write_response(function() end, 99, "x"))
check("bad code 200.5", not httpd.write_response(function() end, 200.5, "x"))
check("bad body", not httpd.write_response(function() end, 200, {}))
check("header injection", not httpd.write_response(function() end, 200, "x", { ["X-A"] = "1\r\nX-B: 2" }))
check("writefunc error", select(2, httpd.write_response(function() error("gone", 0) end, 200, "x")) == "gone")

-- a client that asks to close is told the connection will close
-- (RFC 9112 9.6), in the answer to that request only
local function after(request, ...)
	httpd.read_request(feeder(request))
	return response(...)
end
same("answer to Connection: close", after("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 200, "x"),
	"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\nx")
same("close among other options", after("GET / HTTP/1.1\r\nConnection: TE,  Close \r\n\r\n", 404),
	"HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
same("close is said once", response(200, "x"), "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx")
same("the caller's Connection field wins",
	after("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 200, "x", { Connection = "keep-alive" }),
	"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\ncontent-length: 1\r\n\r\nx")
same("keep-alive asked", after("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", 200, "x"),
	"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx")
same("not a close option", after("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", 200, "x"),
	"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx")
httpd.read_request(feeder("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"))
same("a 1xx is not the final answer", response(100), "HTTP/1.1 100 Continue\r\n\r\n")
same("the final answer after a 1xx", response(200, ""), "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
httpd.read_request(feeder("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"))
httpd.read_request(feeder("GET / HTTP/1.1\r\n\r\n"))
same("forgotten at the next request", response(200, ""), "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
httpd.read_request(feeder("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"))
same("said by the coroutine that read the request only",
	select(2, coroutine.resume(coroutine.create(function() return response(200, "") end))),
	"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")

-- url
local function parsed(u)
	local p, q = urllib.parse(u)
	return p .. "|" .. q
end
same("url plain", parsed("/a/b"), "/a/b|")
same("url escaped", parsed("/a%20b%zz?x=%41"), "/a b%zz|x=%41")
same("url absolute form", parsed("http://h:1/p?q"), "/p|q")
same("url absolute form, no path", parsed("http://h"), "/|")
same("url no scheme", parsed("a/b"), "a/b|")
local q = urllib.parse_query("a=1&b=x+y%21&c&a=2")
check("parse_query", q.a == "2" and q.b == "x y!" and q.c == "")

print(string.format("%d checks, %d failed", checks, failures))
os.exit(failures == 0 and 0 or 1)
