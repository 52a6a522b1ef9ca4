-- httpctest SERVER_PORT CANNED_PORT DEAD_PORT [NAME]: http.httpc (18.2)
-- against httptest on SERVER_PORT, and against a canned server this
-- service runs on CANNED_PORT that answers each path with fixed bytes
-- (chunked, close-delimited, malformed, never).  DEAD_PORT has no
-- listener.  NAME: a host name the test's DNS stub resolves to 127.0.0.1,
-- for httpc.dns.  Logs "HTTPC ok|FAIL <check>", then "HTTPC done".
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpc = require "http.httpc"
local sockethelper = require "http.sockethelper"

local sport, cport, dport, name = ...

local function check(what, cond, ...)
	if cond then
		skynet.error("HTTPC ok " .. what)
	else
		local t = table.pack(...)
		for i = 1, t.n do t[i] = tostring(t[i]) end
		skynet.error("HTTPC FAIL " .. what .. ": " .. table.concat(t, " ", 1, t.n))
	end
end

local CANNED = {
	["/chunked"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		.. "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n",
	["/close"] = "HTTP/1.0 200 OK\r\nX-A: 1\r\nX-A: 2\r\n\r\nuntil the end",
	["/nocontent"] = "HTTP/1.1 204 No Content\r\n\r\n",
	["/badstatus"] = "HTP/1.1 200 OK\r\n\r\n",
	["/badchunk"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
	["/short"] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
	["/silent"] = false,
}

local function canned(fd)
	socket.start(fd)
	local line = socket.readline(fd, "\r\n")
	local path = line and line:match("^%u+ (%S+)")
	repeat
		local l = socket.readline(fd, "\r\n")
	until not l or l == ""
	local resp = CANNED[path]
	if resp == false then
		socket.readall(fd)	-- until the client gives up and closes
	elseif resp then
		socket.write(fd, resp)
	end
	socket.close(fd)
end

local function err_of(f, ...)
	local ok, err = pcall(f, ...)
	return not ok and tostring(err) or nil
end

local function main()
	local host = "127.0.0.1:" .. sport
	local h = {}
	local status, body = httpc.get(host, "/x?a=1&b=x%20y", h)
	check("get", status == 200 and body == "GET /x a=1&b=x y n=1 body=0:\n", status, body)
	check("recvheader", h["content-length"] == tostring(#body), h["content-length"])

	status, body = httpc.request("POST", "http://" .. host, "/p", nil,
		{ ["content-type"] = "text/plain" }, "hello")
	check("post content", status == 200 and body == "POST /p  n=1 body=5:hello\n", status, body)

	status, body = httpc.post(host, "/f", { a = "1 2" })
	check("post form", status == 200 and body == "POST /f  n=1 body=7:a=1%202\n", status, body)

	local c = "127.0.0.1:" .. cport
	h = {}
	status, body = httpc.get(c, "/chunked", h)
	check("chunked response", status == 200 and body == "hello, world" and h["x-trailer"] == "yes",
		status, body, h["x-trailer"])
	h = {}
	status, body = httpc.get(c, "/close", h)
	check("body until close", status == 200 and body == "until the end"
		and type(h["x-a"]) == "table" and h["x-a"][2] == "2", status, body)
	status, body = httpc.get(c, "/nocontent")
	check("204", status == 204 and body == "", status, body)
	local e = err_of(httpc.get, c, "/badstatus")
	check("bad status line raises", e and e:find("bad response status line", 1, true), e)
	e = err_of(httpc.get, c, "/badchunk")
	check("bad chunk raises", e and e:find("chunked", 1, true), e)
	e = err_of(httpc.get, c, "/short")
	check("short body raises", e == tostring(sockethelper.socket_error), e)

	httpc.timeout = 50
	local t0 = skynet.now()
	e = err_of(httpc.get, c, "/silent")
	check("timeout raises", e and e:find("no response within 0.5 s", 1, true), e)
	-- liveness only: it gave up instead of waiting forever
	check("timeout gives up", skynet.now() - t0 < 1000, skynet.now() - t0)
	e = err_of(httpc.get, "127.0.0.1:" .. dport, "/")
	check("connection refused raises", e == tostring(sockethelper.socket_error), e)
	httpc.timeout = nil

	e = err_of(httpc.request, "GET", host, "/", nil, { ["x-evil"] = "a\r\nx-injected: 1" })
	check("header injection refused", e and e:find("bad header", 1, true), e)
	e = err_of(httpc.get, host, "/a b")
	check("bad uri refused", e and e:find("bad uri", 1, true), e)
	e = err_of(httpc.get, "https://" .. host, "/")
	check("https refused", e and e:find("unsupported protocol https", 1, true), e)

	if name then
		httpc.dns()	-- the dns_server config key: the test's stub
		status, body = httpc.get(name .. ":" .. sport, "/dns")
		check("httpc.dns", status == 200 and body == "GET /dns  n=1 body=0:\n", status, body)
	end
end

skynet.start(function()
	local id = socket.listen("127.0.0.1", tonumber(cport))
	socket.start(id, function(fd)
		skynet.fork(canned, fd)
	end)
	local ok, err = pcall(main)
	check("no error", ok, err)
	skynet.error("HTTPC done")
	socket.close(id)
end)
