-- http.internal: the HTTP/1.x wire format shared by http.httpd (requests)
-- and http.httpc (responses).  Pure Lua and socket-agnostic: bytes come
-- from a readfunc (readfunc() -> whatever is there, readfunc(n) -> n
-- bytes; it raises on a network error), so the parsers run the same in a
-- service and in the fuzz harness.
--
-- Everything read from the peer is bounded by a limits table (see
-- httpd.limits).  The request side returns nil plus the HTTP status code
-- that says what was wrong, it never raises for bad input; the response
-- side (httpc's) raises an "http: ..." message.
local internal = {}

local byte, find, sub, match, lower = string.byte, string.find, string.sub, string.match, string.lower
local concat = table.concat
local type, tonumber, setmetatable, error = type, tonumber, setmetatable, error
local pairs, ipairs, tostring = pairs, ipairs, tostring

-- readfunc -> function(pending) called when httpd starts reading a
-- request with it.  http.sockethelper registers its readfuncs here so its
-- read timeout knows where a request begins (the slowloris defence),
-- while httpd stays free of any socket code.  Weak keys: an entry goes
-- away with its readfunc.
internal.request_begin = setmetatable({}, { __mode = "k" })

---------------------------------------------------------------------------
-- Reader: bytes received but not parsed yet are buf[pos..].

local reader = {}
reader.__index = reader

function internal.reader(readfunc, pre)
	return setmetatable({ read = readfunc, buf = pre or "", pos = 1 }, reader)
end

local function got(data)
	-- a readfunc that returns nothing would make the parsers spin
	if type(data) ~= "string" or data == "" then
		error("http: readfunc returned " .. (data == "" and "an empty string" or type(data)), 0)
	end
	return data
end

function reader:fill()
	local data = got(self.read())
	if self.pos > 1 then
		self.buf = sub(self.buf, self.pos) .. data
		self.pos = 1
	else
		self.buf = self.buf .. data
	end
end

-- line_end(limit, check) -> the index in buf of the "\n" that ends the
-- next line, once it is there; nil if the line is longer than limit;
-- false if check(self), called with the partial line before each wait for
-- more bytes, says it is already hopeless.  Bytes are searched once only,
-- however slowly they come.
function reader:line_end(limit, check)
	local scan = self.pos
	while true do
		local e = find(self.buf, "\n", scan, true)
		if e then
			if e - self.pos > limit then
				return nil
			end
			return e
		end
		local n = #self.buf - self.pos + 1
		if n > limit then
			return nil
		end
		if check and not check(self) then
			return false
		end
		self:fill()
		scan = self.pos + n
	end
end

-- line(limit, check) -> the next line without its "\n" (and "\r" before
-- it), or what line_end says.
function reader:line(limit, check)
	local e = self:line_end(limit, check)
	if not e then
		return e
	end
	local s = self.pos
	self.pos = e + 1
	if e > s and byte(self.buf, e - 1) == 13 then
		e = e - 1
	end
	return sub(self.buf, s, e - 1)
end

-- exact(n) -> the next n bytes.  Asks the readfunc for just what is
-- missing, so nothing of a following request is read.
function reader:exact(n)
	local pos = self.pos
	local have = #self.buf - pos + 1
	if have >= n then
		self.pos = pos + n
		return sub(self.buf, pos, pos + n - 1)
	end
	local parts = { sub(self.buf, pos) }
	self.buf, self.pos = "", 1
	local need = n - have
	while need > 0 do
		local d = got(self.read(need))
		if #d > need then
			-- a readfunc may give more than asked: keep the rest
			parts[#parts + 1] = sub(d, 1, need)
			self.buf = sub(d, need + 1)
			need = 0
		else
			parts[#parts + 1] = d
			need = need - #d
		end
	end
	return concat(parts)
end

-- rest() -> what is buffered and not parsed, and forget it.
function reader:rest()
	local s = sub(self.buf, self.pos)
	self.buf, self.pos = "", 1
	return s
end

---------------------------------------------------------------------------
-- Header fields.

-- RFC 9110 token characters.
local function is_token(s)
	return find(s, "^[%w!#$%%&'*+%-.^_`|~]+$") ~= nil
end
internal.is_token = is_token

-- Control characters other than TAB are refused in values: a CR or LF
-- there would be a header injection, a NUL confuses C code downstream.
local CTL = "[\0-\8\10-\31\127]"

-- A "name: value" line is split where it stands in the buffer by
-- http.parse (lualib/httpparse.c): the name a token, lower-cased; the
-- value without control characters (but TAB) and without the spaces and
-- tabs around it; nothing after it but the line's end.  The Lua pattern
-- it replaces, "^([^:\0-\32]+):[ \t]*([^\0-\8\10-\31\127]*)\r?\n" plus a
-- token check, cost a test per byte per class range.
local split_field = require("http.parse").field

-- read_fields(r, header, lim, budget, opt) -> header, used | nil, code
-- Reads "name: value" lines up to the empty line into header (names
-- lower-cased).  budget: bytes the lines may take in all.  opt.join:
-- repeated fields become "a, b" (values stay strings) instead of a list;
-- opt.unique: fields that may not repeat (400); opt.skip: fields to drop
-- (framing fields in a trailer).  Folded lines (obsolete) are refused.
-- Lines already in the buffer are parsed where they stand, without a
-- method call per line; the reader is asked for more only at a line's
-- end that has not come yet.
function internal.read_fields(r, header, lim, budget, opt)
	local count, used = 0, 0
	local maxfield, maxcount = lim.field, lim.fields
	local skip, unique, join = opt.skip, opt.unique, opt.join
	local buf, pos = r.buf, r.pos
	while true do
		local e = find(buf, "\n", pos, true)
		if not e then
			r.pos = pos
			e = r:line_end(maxfield)
			if not e then
				return nil, 431
			end
			buf, pos = r.buf, r.pos
		elseif e - pos > maxfield then
			return nil, 431
		end
		used = used + e - pos + 1
		if used > budget then
			return nil, 431
		end
		if e == pos or (e == pos + 1 and byte(buf, pos) == 13) then
			r.pos = e + 1
			return header, used
		end
		count = count + 1
		if count > maxcount then
			return nil, 431
		end
		local name, value = split_field(buf, pos, e)
		if not name then
			return nil, 400
		end
		pos = e + 1
		local old = header[name]
		if skip and skip[name] then
			-- dropped
		elseif old == nil then
			header[name] = value
		elseif unique and unique[name] then
			return nil, 400
		elseif join then
			-- an empty element of a list is no element (RFC 9110 5.6.1)
			if old == "" then
				header[name] = value
			elseif value ~= "" then
				header[name] = old .. ", " .. value
			end
		elseif type(old) == "table" then
			old[#old + 1] = value
		else
			header[name] = { old, value }
		end
	end
end

-- write_fields(out, header, skip) appends "name: value\r\n" lines for the
-- header table (a table of values repeats the field) to out, leaving out
-- the lower-cased names in skip.  Raises "bad header ..." for a name that
-- is not a token or a value with CR, LF or NUL: no header injection.
-- Returns the lower-cased names written, name -> value.
function internal.write_fields(out, header, skip)
	local written = {}
	for k, v in pairs(header) do
		local name = tostring(k)
		local lname = lower(name)
		if not skip[lname] then
			if not is_token(name) then
				error("bad header name " .. name, 0)
			end
			for _, value in ipairs(type(v) == "table" and v or { v }) do
				value = tostring(value)
				if find(value, "[\r\n\0]") then
					error("bad header " .. name .. " (its value)", 0)
				end
				out[#out + 1] = name .. ": " .. value .. "\r\n"
			end
			written[lname] = v
		end
	end
	return written
end

---------------------------------------------------------------------------
-- Bodies.

-- Fields a trailer may not set: they frame the message, and the message
-- is already framed by then.
local FRAMING = { ["content-length"] = true, ["transfer-encoding"] = true,
	host = true, trailer = true }

-- read_chunked(r, bodylimit, header, lim) -> body | nil, code
-- Chunk-size lines are at most lim.chunkline bytes and 8 hex digits
-- (leading zeros aside); their bytes and the trailer's count against
-- lim.head, so many tiny chunks cannot make a small body cost a lot.
function internal.read_chunked(r, bodylimit, header, lim, opt)
	local parts, total, framing = {}, 0, 0
	while true do
		local line = r:line(lim.chunkline)
		if not line then
			return nil, 400
		end
		framing = framing + #line + 4
		if framing > lim.head then
			return nil, 413
		end
		local digits, ext = match(line, "^(%x+)[ \t]*(.*)$")
		if not digits or (ext ~= "" and byte(ext) ~= 59) or find(ext, CTL) then
			return nil, 400	-- no size, or junk that is not a ";ext"
		end
		local hex = match(digits, "^0*(.*)$")
		if #hex > 8 then
			return nil, 413
		end
		local n = hex == "" and 0 or tonumber(hex, 16)
		if n == 0 then
			break
		end
		total = total + n
		if bodylimit and total > bodylimit then
			return nil, 413
		end
		parts[#parts + 1] = r:exact(n)
		if r:line(1) ~= "" then
			return nil, 400	-- the data is not followed by CRLF
		end
	end
	local trailer = { join = opt.join, skip = FRAMING }
	local h, code = internal.read_fields(r, header, lim, lim.head - framing, trailer)
	if not h then
		return nil, code
	end
	return concat(parts)
end

---------------------------------------------------------------------------
-- Responses (httpc).

-- Generous limits: the peer is a server we chose to talk to.
internal.response_limits = { line = 8192, field = 65536, fields = 1000,
	head = 1024 * 1024, chunkline = 4096 }

local NOBODY = { [204] = true, [304] = true }

-- read_response(r, method, recvheader, readall) -> code, body
-- Raises on a malformed response (httpc.request turns that into its
-- error).  readall() -> the rest of the stream, for a body that ends when
-- the server closes.
function internal.read_response(r, method, recvheader, readall)
	local lim = internal.response_limits
	local line = r:line(lim.line)
	if not line then
		error("http: response status line too long", 0)
	end
	local code = match(line, "^HTTP/%d%.%d ([1-9]%d%d)")
	if not code then
		error("http: bad response status line", 0)
	end
	code = tonumber(code)
	local header, err = internal.read_fields(r, recvheader or {}, lim, lim.head, {})
	if not header then
		error("http: bad response header (" .. err .. ")", 0)
	end
	if method == "HEAD" or code < 200 or NOBODY[code] then
		return code, ""
	end
	local te = header["transfer-encoding"]
	if type(te) == "table" then
		te = concat(te, ", ")
	end
	if te and lower(te) ~= "identity" then
		if lower(te) ~= "chunked" then
			error("http: unsupported transfer-encoding " .. te, 0)
		end
		local body, why = internal.read_chunked(r, nil, header, lim, {})
		if not body then
			error("http: bad chunked response body (" .. why .. ")", 0)
		end
		return code, body
	end
	local length = header["content-length"]
	if length then
		local n = type(length) == "string" and match(length, "^%d+$") and tonumber(length)
		if not n then
			error("http: bad content-length", 0)
		end
		return code, r:exact(n)
	end
	return code, r:rest() .. readall()
end

return internal
