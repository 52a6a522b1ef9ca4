-- http.url: split a request target into path and query, and a query
-- string into a table (S18.1-url).  Pure Lua, no skynet: httpd agents and
-- the fuzz harness both load it.
local url = {}

local char, tonumber, gsub, find, sub, byte, match = string.char, tonumber, string.gsub, string.find,
	string.sub, string.byte, string.match

local function hexchar(h)
	return char(tonumber(h, 16))
end

-- %XX escapes only: a malformed escape ("%zz", "%4") stays as it is, so
-- decoding never fails on what a client sent.
local function unescape(s)
	if not find(s, "%", 1, true) then
		return s	-- the usual path: nothing to decode, no gsub
	end
	return (gsub(s, "%%(%x%x)", hexchar))
end

-- Form encoding also writes a space as "+".
local function unescape_form(s)
	return unescape((gsub(s, "%+", " ")))
end

url.decode = unescape

-- parse(target) -> path, query.  query is the text after the first "?"
-- ("" without one, as skynet returns it).  An absolute-form target
-- ("http://host/p?q", what a proxy-style client sends) gives its path.
function url.parse(u)
	local q = find(u, "?", 1, true)
	local path, query
	if q then
		path, query = sub(u, 1, q - 1), sub(u, q + 1)
	else
		path, query = u, ""
	end
	-- a path in origin form starts with "/": no scheme to look for
	local rest = byte(path) ~= 47 and match(path, "^%a[%w+.-]*://[^/]*(.*)$")
	if rest then
		path = rest ~= "" and rest or "/"
	end
	return unescape(path), query
end

-- parse_query("a=1&b=x+y&c") -> {a="1", b="x y", c=""}; the last of
-- repeated keys wins.
function url.parse_query(q)
	local r = {}
	for pair in q:gmatch("[^&]+") do
		local eq = find(pair, "=", 1, true)
		if eq then
			r[unescape_form(sub(pair, 1, eq - 1))] = unescape_form(sub(pair, eq + 1))
		else
			r[unescape_form(pair)] = ""
		end
	end
	return r
end

return url
