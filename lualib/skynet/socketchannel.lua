-- skynet.socketchannel -- request/response over one TCP connection to an
-- outside server (tutorial chapter 10), with connect on first use,
-- reconnect after a drop and an auth step after each connect.
--
--   local channel = sc.channel { host =, port =, [response =], [auth =],
--                                [backup =], [nodelay =], [overload =] }
--
-- Mode 1 (no `response` given): every request has one reply and the
-- replies come in request order.  `channel:request(req, response)` sends
-- req and returns what response(sock) read, once the replies before it
-- have been read.  Mode 2 (`response` = a dispatch function): replies carry
-- a session; dispatch(sock) reads one and returns session, ok, content, and
-- `channel:request(req, session)` returns the content of its session.
--
-- Each connection has one reader coroutine: the only one that reads the
-- socket, so a reply is never split between two readers.  The connection's
-- state (who waits for what) lives in a `conn` table of its own: when the
-- connection drops, exactly the requests that were waiting on it fail, and
-- the next request makes a new one.  See docs/socketchannel.md.

local skynet = require "skynet"
local socket = require "skynet.socket"

local sc = {}

-- What a request raises when its connection is lost: one shared object, as
-- in skynet, so callers can test `err == sc.error`.
local socket_error = setmetatable({}, { __tostring = function() return "[Error: socket]" end })
sc.error = socket_error

local channel = {}
local channel_meta = { __index = channel }

---------------------------------------------------------------------------
-- the sock object handed to response / dispatch functions

local sock_methods = {}

-- A short read means the connection is gone: the reply cannot be parsed,
-- so unwind the response function with the connection error.
local function whole(r)
	if not r then
		error(socket_error)
	end
	return r
end

function sock_methods:read(sz)
	local fd = self[1]
	return whole(fd and socket.read(fd, sz))
end

function sock_methods:readline(sep)
	local fd = self[1]
	return whole(fd and socket.readline(fd, sep))
end

local sock_meta = {
	__index = sock_methods,
	-- The service is exiting (or forgot the connection): close it without
	-- the blocking protocol of socket.close, which cannot run here.
	__gc = function(sock)
		local fd = sock[1]
		sock[1] = false
		if fd then
			pcall(socket.shutdown, fd)
		end
	end,
}

---------------------------------------------------------------------------
-- waiters: a request blocked on its reply

local function finish(w, ok, value)
	if w.done then
		return
	end
	w.done, w.ok, w.value = true, ok, value
	skynet.wakeup(w)
end

local function await(w)
	if not w.done then
		skynet.wait(w)
	end
	if w.ok then
		return w.value
	end
	error(w.value, 0)
end

---------------------------------------------------------------------------
-- connections

-- Forget a connection: fail every request waiting on it with sc.error,
-- stop its reader and close its socket.  Safe to call more than once.
-- `graceful` (channel:close) lets what was written go out first, and waits
-- for that; otherwise the connection is cut at once, since the stream is
-- broken or gone and a peer that stopped reading must not hold us.
local function drop(self, conn, graceful)
	if conn.dead then
		return
	end
	conn.dead = true
	if self.__conn == conn then
		self.__conn = nil
	end
	local queue = conn.queue
	for i = conn.head, conn.tail do
		finish(queue[i], false, socket_error)
		queue[i] = nil
	end
	for session, w in pairs(conn.sessions) do
		conn.sessions[session] = nil
		finish(w, false, socket_error)
	end
	skynet.wakeup(conn)          -- an idle mode-1 reader
	local fd = conn.sock[1]
	conn.sock[1] = false
	if fd then
		if graceful then
			socket.close(fd)   -- last: it blocks until fd is closed
		else
			socket.shutdown(fd)
		end
	end
end

-- A reply that does not parse: the stream is at an unknown place, so
-- nothing after it can be trusted.  Say so (the server sent it), and drop
-- the connection.
local function bad_reply(self, conn, why)
	-- the text came from outside: keep it on one line, and short
	why = tostring(why):sub(1, 120):gsub("[%c]", function(ch)
		return string.format("\\x%02x", ch:byte())
	end)
	skynet.error(string.format("socketchannel: bad reply from %s:%s (%s), connection closed",
		conn.host, conn.port, why))
	drop(self, conn)
end

-- The reader of a mode-1 connection: runs the response function of the
-- oldest request each time, and sleeps while nothing is asked.
local function read_in_order(self, conn)
	while not conn.dead do
		local head = conn.head
		local w = conn.queue[head]
		if not w then
			skynet.wait(conn)
		else
			local ok, good, value = pcall(w.response, conn.sock)
			conn.queue[head] = nil
			conn.head = head + 1
			if conn.dead then
				finish(w, false, socket_error)
			elseif ok and good then
				finish(w, true, value)
			else
				local why
				if ok then
					why = value == nil and "socketchannel: the response function refused the reply" or value
				else
					why = good
				end
				finish(w, false, why)
				if why == socket_error then
					drop(self, conn)   -- the peer left
				else
					bad_reply(self, conn, why)
				end
			end
		end
	end
end

-- The reader of a mode-2 connection: reads replies as they come and hands
-- each to the request with its session.
local function read_by_session(self, conn)
	local dispatch = self.__response
	while not conn.dead do
		local ok, session, good, value = pcall(dispatch, conn.sock)
		if conn.dead then
			break
		end
		if not ok then
			if session == socket_error then
				drop(self, conn)   -- the peer left
			else
				bad_reply(self, conn, session)
			end
		elseif session == nil then
			bad_reply(self, conn, "no session")
		else
			local w = conn.sessions[session]
			if w then
				conn.sessions[session] = nil
				if good then
					finish(w, true, value)
				else
					finish(w, false, value)
				end
			else
				skynet.error("socketchannel: reply for unknown session " .. tostring(session))
			end
		end
	end
end

local function is_ip(host)
	return host:match("^%d+%.%d+%.%d+%.%d+$") or host:find(":", 1, true)
end

-- skynet.dns when it is there (another module), else nil.
local dns_module
local function resolve(host)
	if is_ip(host) then
		return host
	end
	if dns_module == nil then
		local ok, m = pcall(require, "skynet.dns")
		dns_module = ok and type(m) == "table" and m.resolve and m or false
	end
	if dns_module then
		local ok, ip = pcall(dns_module.resolve, host)
		if ok and type(ip) == "string" then
			return ip
		end
	end
	-- let socket.open try the name itself
	return host
end

local function targets(self)
	local list = { { self.__host, self.__port } }
	for _, b in ipairs(self.__backup or {}) do
		if type(b) == "table" then
			list[#list + 1] = { b.host or b[1], b.port or b[2] or self.__port }
		else
			local h, p = tostring(b):match("^(.*):(%d+)$")
			list[#list + 1] = { h or tostring(b), tonumber(p) or self.__port }
		end
	end
	return list
end

local function open(self, host, port)
	local ok, fd, err = pcall(socket.open, resolve(host), port)
	if not ok then
		return nil, tostring(fd)
	end
	if not fd then
		return nil, tostring(err or "connect failed")
	end
	local conn = {
		host = host, port = port,
		sock = setmetatable({ fd }, sock_meta),
		queue = {}, head = 1, tail = 0,   -- mode 1: replies expected, in order
		sessions = {},                     -- mode 2: session -> waiter
	}
	if self.__nodelay then
		socket.nodelay(fd)
	end
	local overload = self.__overload
	if overload then
		local on = false
		socket.warning(fd, function(_, size)
			local now = size > 0
			if now ~= on then
				on = now
				overload(now)
			end
		end)
	end
	if self.__response then
		skynet.fork(read_by_session, self, conn)
	else
		skynet.fork(read_in_order, self, conn)
	end
	return conn
end

-- One connection attempt (main host, then each backup): a connection that
-- has passed auth, or nil and why.
local function connect_once(self)
	local why
	for _, t in ipairs(targets(self)) do
		if self.__closed then
			break
		end
		local host, port = t[1], t[2]
		local conn, err = open(self, host, port)
		if conn and self.__auth then
			-- requests made by auth use this connection before anyone else
			local co = coroutine.running()
			self.__auth_co, self.__auth_conn = co, conn
			local ok, aerr = pcall(self.__auth, self)
			self.__auth_co, self.__auth_conn = nil, nil
			if not ok or conn.dead then
				err = "auth failed: " .. (ok and "connection lost" or tostring(aerr))
				skynet.error(string.format("socketchannel: %s:%s %s", host, port, err))
				drop(self, conn)
				conn = nil
			end
		end
		if conn then
			if self.__closed then   -- closed while we were connecting
				drop(self, conn)
				return nil, "the channel is closed"
			end
			self.__conn = conn
			return conn
		end
		why = string.format("connect to %s:%s failed: %s", host, port, err)
	end
	return nil, why or "the channel is closed"
end

-- Try until connected (or closed), waiting longer after each failure.
local function connect_until(self, once)
	local pause = 100
	while true do
		local conn, why = connect_once(self)
		if conn or once or self.__closed then
			return conn, why
		end
		skynet.error(string.format("socketchannel: %s, again in %d s", why, pause // 100))
		skynet.sleep(pause)
		pause = math.min(pause * 2, 1000)
	end
end

-- The live connection, made now if there is none.  With `once`, one
-- attempt, raising if it fails; else retry until it succeeds.  While one
-- coroutine connects, the others wait for its result.
local function connection(self, once)
	local co = coroutine.running()
	if self.__auth_co == co then
		return self.__auth_conn
	end
	while true do
		if self.__closed then
			error("socketchannel: the channel is closed", 0)
		end
		local conn = self.__conn
		if conn then
			local fd = conn.sock[1]
			if not conn.dead and fd and not socket.disconnected(fd) then
				return conn
			end
			drop(self, conn)   -- the peer left while idle
		end
		local waiters = self.__connecting
		if waiters then
			local w = {}
			waiters[#waiters + 1] = w
			skynet.wait(w)
			if once and not self.__conn then
				error("socketchannel: " .. tostring(self.__connect_error), 0)
			end
		else
			waiters = {}
			self.__connecting = waiters
			local ok, c, why = pcall(connect_until, self, once)
			self.__connecting = nil
			if not ok then
				why = c
				c = nil
			end
			self.__connect_error = why
			for _, w in ipairs(waiters) do
				skynet.wakeup(w)
			end
			if c then
				return c
			end
			error("socketchannel: " .. tostring(why), 0)
		end
	end
end

local function send(self, conn, req, padding)
	local fd = conn.sock[1]
	if not fd or socket.write(fd, req) == false then
		drop(self, conn)
		error(socket_error)
	end
	if padding then
		for _, part in ipairs(padding) do
			socket.lwrite(fd, part)
		end
	end
end

---------------------------------------------------------------------------
-- the channel API

function sc.channel(desc)
	assert(type(desc) == "table", "socketchannel: channel{host =, port =, ...}")
	assert(desc.host, "socketchannel: no host")
	local self = {
		__host = desc.host,
		__port = assert(tonumber(desc.port), "socketchannel: no port"),
		__backup = desc.backup,
		__auth = desc.auth,
		__response = desc.response,   -- present: mode 2
		__nodelay = desc.nodelay,
		__overload = desc.overload,
		__closed = false,
		__conn = nil,
	}
	return setmetatable(self, channel_meta)
end

-- Connect now.  once = true: one attempt, raising if it fails; else keep
-- trying until connected.  Also reopens a closed channel.
function channel:connect(once)
	self.__closed = false
	connection(self, once)
	return true
end

-- A waiter for the next reply read by `response` (mode 1) or for the
-- reply with session `response` (mode 2), registered before the request
-- goes out so that a quick reply finds it.
local function expect(self, conn, response)
	local w = {}
	if self.__response then
		if conn.sessions[response] then
			error("socketchannel: session " .. tostring(response) .. " is already waiting", 3)
		end
		conn.sessions[response] = w
	else
		assert(type(response) == "function", "socketchannel: mode 1 needs a response function")
		w.response = response
		conn.tail = conn.tail + 1
		conn.queue[conn.tail] = w
		skynet.wakeup(conn)
	end
	return w
end

-- Mode 1: request(req, response [, padding]) -> what response(sock) read.
-- Mode 2: request(req, session [, padding]) -> the content of that session.
-- Without response / session the request is only sent.
function channel:request(req, response, padding)
	local conn = connection(self, true)
	if response == nil then
		send(self, conn, req, padding)
		return
	end
	local w = expect(self, conn, response)
	send(self, conn, req, padding)
	return await(w)
end

-- Wait for a reply without sending anything (a server that pushes): the
-- next reply in mode 1, read by `response`, or the one for `session` in
-- mode 2.
function channel:response(response)
	return await(expect(self, connection(self, true), response))
end

-- Close the connection; waiting requests raise.  Later requests raise
-- too, until channel:connect() reopens the channel.
function channel:close()
	if self.__closed then
		return
	end
	self.__closed = true
	if self.__auth_conn then
		drop(self, self.__auth_conn, true)
	end
	if self.__conn then
		drop(self, self.__conn, true)
	end
end

-- Point the channel elsewhere; the current connection is closed and the
-- next request connects to the new address.
function channel:changehost(host, port)
	self.__host = host
	if port then
		self.__port = port
	end
	if self.__conn then
		drop(self, self.__conn, true)
	end
end

function channel:changebackup(backup)
	self.__backup = backup
end

return sc
