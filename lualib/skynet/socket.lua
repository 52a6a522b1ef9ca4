-- skynet.socket: blocking-style sockets for a Lua service.
--
-- The worker pushes socket events to the service that started the socket
-- (PTYPE_SOCKET messages, see include/actord/actord.h).  Here they fill a
-- per-socket buffer, and a coroutine blocked in read/readline/block is
-- woken when what it waits for has arrived or the socket has closed.  One
-- coroutine reads a socket at a time; writes go straight to the driver.
local skynet = require "skynet"
local driver = require "skynet.socketdriver"

local socket = {}
local pool = {}          -- id -> state of a socket this service started

local EV_DATA, EV_CONNECT, EV_CLOSE, EV_ACCEPT, EV_ERROR, EV_UDP, EV_WARNING =
	1, 2, 3, 4, 5, 6, 7

-- ---- the buffer ---------------------------------------------------------
-- Chunks as they came; `head` is the first unread chunk and `off` the bytes
-- of it already taken.

local function buf_push(s, data)
	local n = s.ntail + 1
	s.chunks[n] = data
	s.ntail = n
	s.size = s.size + #data
end

-- Every unread byte as one string and the offset where they start in
-- it (chunks are joined only when there is more than one).
local function buf_join(s)
	if s.ntail - s.head < 1 then
		return s.chunks[s.head] or "", s.off
	end
	local first = s.chunks[s.head]
	if s.off > 0 then
		s.chunks[s.head] = first:sub(s.off + 1)
	end
	local all = table.concat(s.chunks, "", s.head, s.ntail)
	for i = s.head, s.ntail do s.chunks[i] = nil end
	s.head, s.ntail, s.off = 1, 1, 0
	s.chunks[1] = all
	return all, 0
end

local function buf_take(s, n)
	if n == 0 then return "" end
	local first = s.chunks[s.head]
	local avail = #first - s.off
	if n <= avail then
		local r = (s.off == 0 and n == avail) and first
		          or first:sub(s.off + 1, s.off + n)
		if n == avail then
			s.chunks[s.head] = nil
			s.head = s.head + 1
			s.off = 0
			if s.head > s.ntail then s.head, s.ntail = 1, 0 end
		else
			s.off = s.off + n
		end
		s.size = s.size - n
		return r
	end
	buf_join(s)
	return buf_take(s, n)
end

local function buf_all(s)
	if s.size == 0 then return "" end
	return buf_take(s, s.size)
end

-- ---- waiting ------------------------------------------------------------

local function new_state(id, extra)
	local s = { id = id, chunks = {}, head = 1, ntail = 0, off = 0, size = 0,
	            connected = false, connecting = true, co = false,
	            want = false }
	if extra then
		for k, v in pairs(extra) do s[k] = v end
	end
	pool[id] = s
	return s
end

local function suspend(s)
	assert(not s.co, "socket: another coroutine is reading this socket")
	s.co = coroutine.running()
	skynet.wait(s.co)
	s.co = false
	if s.closing then
		skynet.wakeup(s.closing)
	end
end

local function wake(s)
	if s.co then
		skynet.wakeup(s.co)
	end
end

-- Has the waiting reader got what it asked for, now `data` has come?
local function satisfied(s, data)
	local want = s.want
	if want == false then
		return false
	elseif want == 0 then
		return s.size > 0
	elseif type(want) == "number" then
		return s.size >= want
	elseif type(want) == "string" then
		if data:find(want, 1, true) then return true end
		if #want == 1 then return false end
		local all, off = buf_join(s) -- a separator split across chunks
		return all:find(want, off + 1, true) ~= nil
	end
	return false -- readall: only the close ends it
end

-- ---- events -------------------------------------------------------------

local ev = {}

ev[EV_DATA] = function(id, _, data)
	local s = pool[id]
	if not s then
		-- Not ours (any more): put it back for whoever starts it next.
		driver.unread(id, data)
		return
	end
	buf_push(s, data)
	if s.limit and s.size > s.limit then
		skynet.error(string.format("socket: buffer of %d over its limit %d, closed",
		             id, s.limit))
		driver.shutdown(id)
		return
	end
	if satisfied(s, data) then
		wake(s)
	end
end

ev[EV_CONNECT] = function(id, _, addr)
	local s = pool[id]
	if not s then return end
	s.connected = true
	s.connecting = false
	s.addr = addr
	wake(s)
end

local function closed(id)
	local s = pool[id]
	if not s then return end
	s.connected = false
	s.connecting = false
	wake(s)
	if s.closing and not s.co then
		skynet.wakeup(s.closing)
	end
	if s.on_close then
		skynet.fork(s.on_close, id)
	end
end

ev[EV_CLOSE] = closed

ev[EV_ERROR] = function(id, _, err)
	local s = pool[id]
	if s and s.connecting then
		s.error = err
	elseif s then
		skynet.error(string.format("socket: error on %d: %s", id, err))
	end
	closed(id)
end

ev[EV_ACCEPT] = function(id, newid, addr)
	local s = pool[id]
	if not s or not s.callback then
		driver.close(newid)
		return
	end
	skynet.fork(s.callback, newid, addr)
end

ev[EV_UDP] = function(id, _, data, address)
	local s = pool[id]
	if not s or not s.callback then return end
	skynet.fork(s.callback, data, address)
end

ev[EV_WARNING] = function(id, size)
	local s = pool[id]
	if s and s.on_warning then
		skynet.fork(s.on_warning, id, size)
		return
	end
	if size == 0 then return end -- the backlog is written out
	skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d)",
	             size, id))
end

-- Socket events come often and their handling never blocks: the user's
-- callbacks, which may, each get a coroutine of their own (skynet.fork).
skynet.register_protocol {
	name = "socket",
	id = skynet.PTYPE_SOCKET,
	inline = true,
	unpack = driver.unpack,
	dispatch = function(_, _, t, ...)
		local f = ev[t]
		if f then f(...) end
	end,
}

-- ---- connecting and listening ----------------------------------------

-- Wait for the connect (or start) to finish: id, or nil and the reason.
local function await_open(id, s)
	if not s.connected and s.connecting then
		suspend(s)
	end
	if s.connected then
		return id
	end
	pool[id] = nil
	return nil, s.error or "closed"
end

function socket.open(addr, port)
	local ok, id = pcall(driver.connect, addr, port)
	if not ok then
		return nil, id
	end
	return await_open(id, new_state(id))
end

function socket.listen(host, port, backlog)
	return driver.listen(host, port, backlog)
end

-- Start receiving events of `id` here (a listening id: `accept(id, addr)`
-- for each connection).  Blocks until the socket's worker confirms.
function socket.start(id, accept)
	local s = pool[id]
	if s then
		s.callback = accept or s.callback
		s.connecting = true
		s.connected = false
	else
		s = new_state(id, { callback = accept })
	end
	if not driver.start(id) then
		pool[id] = nil
		return nil, "invalid socket"
	end
	return await_open(id, s)
end

-- A file descriptor of the process read as a socket (stdin: 0).
function socket.bind(fd)
	return socket.start(driver.bind(fd))
end

function socket.stdin()
	return socket.bind(0)
end

function socket.pause(id)
	driver.pause(id)
end

-- Hand the socket on: stop reading it here, and give back what was read
-- but not consumed, so whoever starts it next sees every byte in order.
function socket.abandon(id)
	local s = pool[id]
	pool[id] = nil
	driver.abandon(id)
	if s and s.size > 0 then
		driver.unread(id, buf_all(s))
	end
end

-- Close and wait until the socket is closed (and a reader blocked on it
-- has been released).
function socket.close(id)
	local s = pool[id]
	if not s then
		driver.close(id)
		return
	end
	if s.connected or s.connecting then
		driver.close(id)
		s.closing = coroutine.running()
		skynet.wait(s.closing)
	end
	pool[id] = nil
end

-- Close at once, without waiting: queued writes are dropped.  The id
-- stays known here (reads return false) until socket.close.
function socket.shutdown(id)
	local s = pool[id]
	if s then
		s.connected = false
		s.connecting = false
		wake(s)
	end
	driver.shutdown(id)
end

function socket.close_fd(id)
	pool[id] = nil
	driver.shutdown(id)
end

-- ---- reading ------------------------------------------------------------

local function state(id)
	local s = pool[id]
	if not s then
		error("socket: " .. tostring(id) .. " is not started here")
	end
	return s
end

-- read(id, n): exactly n bytes; read(id): what is there (at least 1 byte).
-- On close: false and what was left.
function socket.read(id, n)
	local s = state(id)
	if n == nil then
		if s.size > 0 then return buf_all(s) end
		if not s.connected then return false, "" end
		s.want = 0
		suspend(s)
		s.want = false
		if s.size > 0 then return buf_all(s) end
		return false, ""
	end
	if n <= 0 then return "" end
	if s.size >= n then return buf_take(s, n) end
	if not s.connected then return false, buf_all(s) end
	s.want = n
	suspend(s)
	s.want = false
	if s.size >= n then return buf_take(s, n) end
	return false, buf_all(s)
end

-- Everything until the peer closes.
function socket.readall(id)
	local s = state(id)
	if s.connected then
		s.want = true
		suspend(s)
		s.want = false
	end
	return buf_all(s)
end

-- A line without its separator; on close nil, and what was left if any.
function socket.readline(id, sep)
	sep = sep or "\n"
	local s = state(id)
	while true do
		if s.size > 0 then
			local all, off = buf_join(s)
			local at = all:find(sep, off + 1, true)
			if at then
				local line = buf_take(s, at - off - 1)
				buf_take(s, #sep)
				return line
			end
		end
		if not s.connected then
			if s.size > 0 then return nil, buf_all(s) end
			return nil
		end
		s.want = sep
		suspend(s)
		s.want = false
	end
end

-- Wait until there is something to read; false once the socket closed.
function socket.block(id)
	local s = state(id)
	if s.size > 0 or not s.connected then
		return s.connected
	end
	s.want = 0
	suspend(s)
	s.want = false
	return s.connected
end

function socket.invalid(id)
	return pool[id] == nil
end

function socket.disconnected(id)
	local s = pool[id]
	return not (s and (s.connected or s.connecting))
end

-- Close the socket when more than `limit` bytes wait unread.
function socket.limit(id, limit)
	state(id).limit = limit
end

function socket.warning(id, callback)
	state(id).on_warning = callback
end

function socket.onclose(id, callback)
	state(id).on_close = callback
end

-- ---- writing ------------------------------------------------------------

socket.write = driver.send
socket.lwrite = driver.lsend
socket.nodelay = driver.nodelay

-- A big-endian integer of 1 to 4 bytes (length headers).
function socket.header(str)
	local n = #str
	if n < 1 or n > 4 then
		error("socket.header: invalid header length " .. n)
	end
	local v = 0
	for i = 1, n do
		v = v * 256 + str:byte(i)
	end
	return v
end

-- ---- UDP ----------------------------------------------------------------

-- A UDP socket bound to host:port (both optional); callback(data, from)
-- for each datagram.
function socket.udp(callback, host, port)
	local id = driver.udp(host, port)
	local s = new_state(id, { callback = callback })
	s.connected, s.connecting = true, false
	return id
end

function socket.udp_connect(id, host, port)
	return driver.udp_connect(id, host, port)
end

socket.sendto = driver.udp_send
socket.udp_address = driver.udp_address

return socket
