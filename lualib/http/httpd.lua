-- http.httpd: an HTTP/1.x server's two halves, reading a request and
-- writing a response (S18.1).  Socket-agnostic like skynet's: the caller
-- injects a readfunc and a writefunc (http.sockethelper makes them from a
-- socket id).  The agent's loop decides about keep-alive; see
-- docs/http.md.
local internal = require "http.internal"

local httpd = {}

local find, match, gmatch, sub, lower, byte, format =
	string.find, string.match, string.gmatch, string.sub, string.lower, string.byte, string.format
local concat = table.concat
local type, tostring, tonumber, pcall, setmetatable = type, tostring, tonumber, pcall, setmetatable
local running = coroutine.running
local request_begin, read_fields = internal.request_begin, internal.read_fields

-- What a request may take, in bytes unless said otherwise.  Exceeding one
-- gives the status code in brackets.  A table of the module, so a service
-- may change them for all its agents' requests.
httpd.limits = {
	line = 8192,      -- request line (414)
	field = 8192,     -- one header line (431)
	fields = 100,     -- header lines (431)
	head = 32768,     -- request line and header lines; again for the chunk
	                  -- framing and trailer of a chunked body (431 / 413)
	chunkline = 1024, -- one chunk-size line with its extensions (400)
}

local REASON = {
	[100] = "Continue", [101] = "Switching Protocols",
	[200] = "OK", [201] = "Created", [202] = "Accepted",
	[203] = "Non-Authoritative Information", [204] = "No Content",
	[205] = "Reset Content", [206] = "Partial Content",
	[300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found",
	[303] = "See Other", [304] = "Not Modified", [307] = "Temporary Redirect",
	[308] = "Permanent Redirect",
	[400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
	[404] = "Not Found", [405] = "Method Not Allowed", [406] = "Not Acceptable",
	[408] = "Request Timeout", [409] = "Conflict", [410] = "Gone",
	[411] = "Length Required", [412] = "Precondition Failed",
	[413] = "Content Too Large", [414] = "URI Too Long",
	[415] = "Unsupported Media Type", [416] = "Range Not Satisfiable",
	[417] = "Expectation Failed", [426] = "Upgrade Required",
	[429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
	[500] = "Internal Server Error", [501] = "Not Implemented",
	[502] = "Bad Gateway", [503] = "Service Unavailable",
	[504] = "Gateway Timeout", [505] = "HTTP Version Not Supported",
}
httpd.reason = REASON

-- One reader per readfunc, kept between its requests: bytes read past
-- the end of a request (a pipelining client's next request) stay in its
-- buffer for the next read_request.  Keeping the reader also spares a
-- table per request.  Weak keys: it goes away with its readfunc.
local readers = setmetatable({}, { __mode = "k" })

-- Coroutines whose last request asked to close the connection, so that
-- write_response, called next by the same coroutine, says it will
-- (RFC 9112 9.6).  A client told nothing keeps the connection and sends
-- its next request into a socket the server has closed (wrk counts that
-- as a read error).  Weak keys, like readers.
local closing = setmetatable({}, { __mode = "k" })

-- Request headers: a repeated field becomes "a, b", so a value is always
-- a string whatever a client sends; Host and Content-Length may not repeat.
local REQUEST_FIELDS = { join = true, unique = { host = true, ["content-length"] = true } }

-- While the request line is incomplete: once what came cannot start a
-- request line, refuse it at once instead of waiting for a newline that
-- garbage may never contain.  Nothing at all can still become anything
-- (the usual case on a kept-alive connection between requests).
local function could_be_request_line(r)
	local pos = r.pos
	if pos > #r.buf then
		return true
	end
	local s = sub(r.buf, pos, pos + 24)
	return s == "\r" or find(s, "^%u+ ") or (#s < 25 and find(s, "^%u*$"))
end

-- The request line, split where it stands in the buffer (no copy of the
-- line) by http.parse (lualib/httpparse.c), as the pattern
-- "^(%u+) ([^ %c]+) HTTP/(%d+%.%d+)\r?\n" would: method, target (no
-- control character in it) and version, as in "1.1".
local split_request_line = require("http.parse").line

-- Does the Connection field hold the "close" option?  Checked on the
-- lower-cased value only when there is one.
local function wants_close(conn)
	conn = lower(conn)
	if conn == "close" then
		return true
	end
	for opt in gmatch(conn, "[^,]+") do
		if match(opt, "^[ \t]*(.-)[ \t]*$") == "close" then
			return true
		end
	end
	return false
end

local function read(readfunc, bodylimit, r)
	local lim = httpd.limits
	local begin = request_begin[readfunc]
	if begin then
		begin(#r.buf - r.pos + 1)
	end
	-- RFC 9112 2.2: ignore a few empty lines before the request line
	local e, buf, pos
	for _ = 1, 4 do
		e = r:line_end(lim.line, could_be_request_line)
		if not e then
			return e == nil and 414 or 400
		end
		buf, pos = r.buf, r.pos
		if e > pos + 1 or (e == pos + 1 and byte(buf, pos) ~= 13) then
			break
		end
		r.pos = e + 1	-- an empty line
		e = nil
	end
	if not e then
		return 400
	end
	local method, target, version = split_request_line(buf, pos, e)
	if not method then
		return 400
	end
	-- the line as the head budget counts it: with a CRLF, even when it
	-- came with a bare LF
	local linelen = e + 1 - pos
	if byte(buf, e - 1) ~= 13 then
		linelen = linelen + 1
	end
	r.pos = e + 1
	if #method > 24 then
		return 400
	end
	if version ~= "1.1" and version ~= "1.0" then
		return 505
	end
	local header, code = read_fields(r, {}, lim, lim.head - linelen, REQUEST_FIELDS)
	if not header then
		return code
	end
	local conn = header.connection
	if conn and wants_close(conn) then
		closing[running()] = true
	end
	local te, length = header["transfer-encoding"], header["content-length"]
	local body
	if te and lower(te) ~= "identity" then
		if lower(te) ~= "chunked" then
			return 501
		end
		if length then
			return 400	-- both framings: a request smuggling attempt
		end
		body, code = internal.read_chunked(r, bodylimit, header, lim, REQUEST_FIELDS)
		if not body then
			return code
		end
	elseif length then
		if not find(length, "^%d+$") or #length > 15 then
			return 400
		end
		local n = tonumber(length)
		if bodylimit and n > bodylimit then
			return 413
		end
		body = r:exact(n)
	else
		body = ""
	end
	return 200, target, method, header, body, version
end

-- read_request(readfunc, bodylimit) -> code, url, method, header, body,
-- version.  code 200: a whole request was read (header names are
-- lower-case; version is "1.0" or "1.1", an extension to skynet's five
-- values).  Another code: the request is bad, answer it with that code and
-- close.  nil, err: readfunc raised err (sockethelper.socket_error: the
-- connection is gone).  bodylimit: the largest body accepted, nil for no
-- limit.  Reuse one readfunc for a connection's requests, so bytes a
-- pipelining client sent ahead are not lost.
function httpd.read_request(readfunc, bodylimit)
	local co = running()
	if closing[co] then
		closing[co] = nil	-- a new request: forget what the last one asked
	end
	local r = readers[readfunc]
	if not r then
		r = internal.reader(readfunc)
		readers[readfunc] = r
	end
	local ok, code, url, method, header, body, version = pcall(read, readfunc, bodylimit, r)
	if ok and code == 200 then
		if r.pos > #r.buf then
			r.buf, r.pos = "", 1	-- all parsed: do not hold on to it
		end
		return code, url, method, header, body, version
	end
	-- refused or failed: what is left is not a request to serve
	r.buf, r.pos = "", 1
	if ok then
		return code, url, method, header, body, version
	end
	return nil, code
end

-- framing is write_response's to set, from the body
local FRAMING = { ["content-length"] = true, ["transfer-encoding"] = true }

-- Status lines by code, made on first use: a format per response would
-- cost more than the rest of a small response.  Only valid codes get
-- here, so at most 900 entries.
local STATUS = setmetatable({}, { __index = function(t, code)
	if type(code) ~= "number" or code < 100 or code > 999 or code % 1 ~= 0 then
		return nil
	end
	local line = format("HTTP/1.1 %03d %s\r\n", code, REASON[code] or "")
	t[code] = line
	return line
end })

local function build(code, body, header, close)
	local status = STATUS[code]
	if not status then
		error("bad status code " .. tostring(code), 0)
	end
	local out = { status }
	if header then
		local written = internal.write_fields(out, header, FRAMING)
		if written.connection then
			close = false	-- the caller said what it will do
		end
	end
	if close then
		out[#out + 1] = "connection: close\r\n"
	end
	local t = type(body)
	if t == "function" then
		-- collected, so that the response still goes out in one write
		local parts = {}
		while true do
			local s = body()
			if s == nil then
				break
			end
			parts[#parts + 1] = tostring(s)
		end
		body = concat(parts)
	elseif t ~= "string" and t ~= "nil" then
		error("bad response body (" .. t .. ")", 0)
	end
	if body then
		out[#out + 1] = "content-length: " .. #body .. "\r\n\r\n"
		out[#out + 1] = body
	elseif code < 200 or code == 204 or code == 304 then
		out[#out + 1] = "\r\n"
	else
		-- without it a kept-alive client would wait for a body until close
		out[#out + 1] = "content-length: 0\r\n\r\n"
	end
	return concat(out)
end

-- write_response(writefunc, code, body, header) -> true | false, err
-- body: a string, nil, or a function returning the body's pieces then nil.
-- header: name -> value (a table of values repeats the field).  The whole
-- response is handed to writefunc in one call: on a kept-alive connection
-- several small writes would wait on the client's delayed ACK.  When the
-- request this coroutine read last asked to close, a final response says
-- "connection: close", unless header has a Connection field.
function httpd.write_response(writefunc, statuscode, bodyfunc, header)
	local close
	local co = running()
	if closing[co] and type(statuscode) == "number" and statuscode >= 200 then
		closing[co] = nil	-- answered
		close = true
	end
	local resp
	local status = not close and header == nil and type(bodyfunc) == "string" and STATUS[statuscode]
	if status then
		-- the common case, in one concatenation
		resp = status .. "content-length: " .. #bodyfunc .. "\r\n\r\n" .. bodyfunc
	else
		local ok
		ok, resp = pcall(build, statuscode, bodyfunc, header, close)
		if not ok then
			return false, resp
		end
	end
	local ok, err = pcall(writefunc, resp)
	if not ok then
		return false, err
	end
	return true
end

return httpd
