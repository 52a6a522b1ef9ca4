-- http.httpc: a small HTTP/1.1 client for services (S18.2).  One
-- connection per request, closed after the response.  Host names are
-- resolved by skynet.dns once httpc.dns() was called, else they are handed
-- to socket.open as they are (resolved synchronously by the socket layer).
local skynet = require "skynet"
local socket = require "skynet.socket"
local sockethelper = require "http.sockethelper"
local internal = require "http.internal"

local httpc = {}

local match, find, lower, format, gsub, byte = string.match, string.find, string.lower, string.format, string.gsub, string.byte
local concat = table.concat
local type, pairs, tostring, tonumber, pcall, error = type, pairs, tostring, tonumber, pcall, error

-- httpc.timeout: nil, or centiseconds for the connect, and again for
-- sending the request and reading the whole response (S18.2-httpc-timeout).
httpc.timeout = nil

local dns	-- skynet.dns once httpc.dns was called

-- dns(server, port): resolve names with skynet.dns, asking server (nil:
-- the one in /etc/resolv.conf).  Loaded here, not at require time, so a
-- service that never resolves names does not load it.
function httpc.dns(server, port)
	local d = require "skynet.dns"
	d.server(server, port)
	dns = d
end

local function is_ip(addr)
	return find(addr, "^%d+%.%d+%.%d+%.%d+$") or find(addr, ":", 1, true)
end

-- "http://host:port" | "host:port" | "host" | "[::1]:port"
-- -> Host header value, address, port
local function split_host(host)
	local scheme, rest = match(host, "^(%a[%w+.-]*)://(.*)$")
	if scheme then
		scheme = lower(scheme)
		if scheme ~= "http" then
			error("httpc: unsupported protocol " .. scheme, 3)
		end
		host = rest
	end
	local addr, port = match(host, "^%[([^%]]+)%]:?(%d*)$")
	if not addr then
		addr, port = match(host, "^([^:/%[%]%s]+):?(%d*)$")
	end
	if not addr then
		error("httpc: bad host " .. host, 3)
	end
	return host, addr, port == "" and 80 or tonumber(port)
end

-- the body's length is httpc's to set
local LENGTH = { ["content-length"] = true }

-- The request as one string: one write, like httpd's responses.
local function build_request(method, host, url, header, content)
	if type(method) ~= "string" or not internal.is_token(method) then
		error("httpc: bad method " .. tostring(method), 3)
	end
	if type(url) ~= "string" or url == "" or find(url, "[%s%c]") then
		error("httpc: bad uri " .. tostring(url), 3)
	end
	local out = { method, " ", url, " HTTP/1.1\r\n" }
	local ok, written = pcall(internal.write_fields, out, header or {}, LENGTH)
	if not ok then
		error("httpc: " .. written, 3)
	end
	local te = written["transfer-encoding"]
	local chunked = te and lower(tostring(te)) == "chunked"
	if not written.host then
		-- S18.2-httpc-request: the host argument fills in a missing Host
		out[#out + 1] = "host: " .. host .. "\r\n"
	end
	if content then
		content = tostring(content)
		if not chunked then	-- a chunked caller framed content itself
			out[#out + 1] = format("content-length: %d\r\n", #content)
		end
		out[#out + 1] = "\r\n"
		out[#out + 1] = content
	else
		if method == "POST" or method == "PUT" or method == "PATCH" then
			out[#out + 1] = "content-length: 0\r\n"
		end
		out[#out + 1] = "\r\n"
	end
	return concat(out)
end

local function exchange(fd, method, request, recvheader)
	sockethelper.writefunc(fd)(request)
	local r = internal.reader(sockethelper.readfunc(fd, nil, false))
	return internal.read_response(r, method, recvheader, function()
		return socket.readall(fd) or ""
	end)
end

-- request(method, host, uri, recvheader, header, content) -> status, body
-- recvheader: nil or a table that receives the response's header fields
-- (names lower-case; a repeated field gives a list).  Raises on a network
-- error, a timeout or a malformed response.
function httpc.request(method, host, url, recvheader, header, content)
	local timeout = httpc.timeout
	local hostheader, addr, port = split_host(host)
	local req = build_request(method, hostheader, url, header, content)
	if dns and not is_ip(addr) then
		addr = dns.resolve(addr)
	end
	local fd = sockethelper.connect(addr, port, timeout)
	local state = "busy"
	if timeout then
		skynet.timeout(timeout, function()
			if state == "busy" then
				state = "timeout"
				socket.close(fd)	-- wakes the read below with an error
			end
		end)
	end
	local ok, code, body = pcall(exchange, fd, method, req, recvheader)
	if state == "timeout" then
		error(format("httpc: %s %s%s: no response within %g s", method, hostheader, url, timeout / 100), 0)
	end
	state = "done"
	socket.close(fd)
	if not ok then
		error(code, 0)
	end
	return code, body
end

function httpc.get(...)
	return httpc.request("GET", ...)
end

function httpc.head(host, url, recvheader, header)
	return (httpc.request("HEAD", host, url, recvheader, header))
end

local function escape(s)
	return (gsub(tostring(s), "[^%w%-_.~]", function(c)
		return format("%%%02X", byte(c))
	end))
end

-- post(host, uri, form, recvheader): form is a table, sent urlencoded.
function httpc.post(host, url, form, recvheader)
	local body = {}
	for k, v in pairs(form) do
		body[#body + 1] = escape(k) .. "=" .. escape(v)
	end
	return httpc.request("POST", host, url, recvheader,
		{ ["content-type"] = "application/x-www-form-urlencoded" }, concat(body, "&"))
end

return httpc
