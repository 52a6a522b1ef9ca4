-- http.sockethelper: skynet.socket wrapped the way http.httpd and
-- http.httpc take it (S18.1): blocking reads and writes on a socket id,
-- network errors raised as sockethelper.socket_error.
--
-- It also carries the server's defence against slow clients (slowloris):
-- a readfunc made here gives each request a deadline.  httpd tells the
-- readfunc when it starts reading a request (http.internal's
-- request_begin hook); if the request is not all there `timeout`
-- centiseconds later, the socket is closed, the blocked read raises
-- socket_error and a line is logged.  One check per connection at a time,
-- re-armed lazily, so keep-alive traffic does not make one per request;
-- the checks share one timer per 0.1 s slot.  See docs/http.md.
local skynet = require "skynet"
local socket = require "skynet.socket"
local internal = require "http.internal"

local sockethelper = {}

local error, setmetatable, tonumber, tostring, pairs, pcall, format =
	error, setmetatable, tonumber, tostring, pairs, pcall, string.format
local sub = string.sub

local socket_error = setmetatable({}, { __tostring = function() return "[Socket Error]" end })
sockethelper.socket_error = socket_error

-- Default request deadline of readfunc, in centiseconds: the config key
-- http_timeout, else 30 s.  false or 0: none.
sockethelper.timeout = tonumber((skynet.getenv("http_timeout"))) or 3000

-- from_pre(fd, pre, sz) -> sz bytes (nil: whatever is there), served
-- from pre first, and what is left of pre (nil once it is all served).
local function from_pre(fd, pre, sz)
	if sz == nil or sz == #pre then
		return pre, nil
	elseif sz < #pre then
		return sub(pre, 1, sz), sub(pre, sz + 1)
	end
	local ret = socket.read(fd, sz - #pre)
	if ret then
		return pre .. ret, nil
	end
	error(socket_error)
end

-- A read of sz bytes (nil: whatever is there) that serves pre first.
local function reader(fd, pre)
	local read = socket.read
	return function(sz)
		if pre then
			local p = pre
			pre = nil
			local data
			data, pre = from_pre(fd, p, sz)
			return data
		end
		local ret = read(fd, sz)
		if ret then
			return ret
		end
		error(socket_error)
	end
end

-- The deadlines of all the readfuncs of a service share one wheel of
-- slots GRAIN centiseconds wide, and a slot with checks in it has one
-- skynet.timeout.  A timeout per connection would hold a coroutine until
-- it fires: at thousands of short connections a second, those pile up
-- for the whole timeout (30 s), and creating and collecting them cost
-- more than a quarter of what a connection costs.  A deadline is seen up
-- to GRAIN late, never early.  A slot holds its checks by weak keys: the
-- check of a connection the agent has dropped would find nothing to do.
local GRAIN = 10
local slots = {}	-- slot number -> { check = true }
local WEAK_KEYS = { __mode = "k" }

local function fire(n)
	local set = slots[n]
	slots[n] = nil
	for check in pairs(set) do
		-- one check going wrong must not leave the others of the slot
		-- unchecked for good
		local ok, err = pcall(check)
		if not ok then
			skynet.error("http: deadline check failed: " .. tostring(err))
		end
	end
end

-- arm(check, due): check() runs at the end of the slot holding due (a
-- skynet.now() time), or soon after.
local function arm(check, due)
	local n = (due + GRAIN - 1) // GRAIN
	local set = slots[n]
	if not set then
		set = setmetatable({}, WEAK_KEYS)
		slots[n] = set
		local delay = n * GRAIN - skynet.now()
		skynet.timeout(delay > 0 and delay or 0, function() fire(n) end)
	end
	set[check] = true
end

-- readfunc(fd, pre, timeout) -> function(sz): sz bytes, or whatever is
-- there when sz is nil.  pre: bytes already read from fd, served first.
-- timeout (centiseconds, default sockethelper.timeout, false for none):
-- each request read through httpd.read_request must be complete within
-- it; without httpd, a run of reads is bounded the same way.
function sockethelper.readfunc(fd, pre, timeout)
	if timeout == nil then
		timeout = sockethelper.timeout
	end
	if not timeout or timeout <= 0 then
		return reader(fd, pre)
	end
	local deadline, timer, reading, expired = nil, false, false, false
	local received, requests = 0, 0

	local function check()
		timer = false
		if deadline == nil or expired then
			return
		end
		if skynet.now() < deadline then
			timer = true
			arm(check, deadline)
		elseif not reading then
			-- the request was read in time; the next one arms again
			deadline = nil
		else
			expired = true
			-- a kept-alive connection idle past the deadline is closed
			-- quietly; a half-sent request, or a first one that never came,
			-- is what a slow client attack looks like
			if received > 0 or requests <= 1 then
				skynet.error(format("http: fd %d: request not complete after %g s (%d bytes), connection closed",
					fd, timeout / 100, received))
			end
			-- in a coroutine of its own: socket.close waits for the close,
			-- and the other checks of the slot should not wait on it
			skynet.fork(socket.close, fd)
		end
	end

	local function begin(pending)
		deadline = skynet.now() + timeout
		received = pending
		requests = requests + 1
		if not timer then
			timer = true
			arm(check, deadline)
		end
	end

	-- Once pre is served, socket.read is called straight, without the
	-- wrapper: this runs for every request on a kept-alive connection.
	-- The pcall is there so that reading is reset whatever the read
	-- raises; a check() that saw reading stuck would close the fd, which
	-- by then may be another connection's.
	local sread = socket.read
	local f = function(sz)
		if deadline == nil then
			begin(0)
		end
		reading = true
		local ok, ret
		if pre then
			local p = pre
			pre = nil	-- and if the read fails, the connection is gone
			ok, ret, pre = pcall(from_pre, fd, p, sz)
		else
			ok, ret = pcall(sread, fd, sz)
			if ok and not ret then
				ok, ret = false, socket_error
			end
		end
		reading = false
		if not ok then
			error(ret, 0)
		end
		received = received + #ret
		return ret
	end
	internal.request_begin[f] = begin
	return f
end

sockethelper.readall = socket.readall

function sockethelper.writefunc(fd)
	local write = socket.write
	return function(content)
		if not write(fd, content) then
			error(socket_error)
		end
	end
end

-- connect(host, port, timeout) -> fd; raises socket_error if the
-- connection fails or (timeout, in centiseconds) takes too long.  A
-- connection that completes after the timeout is closed.
function sockethelper.connect(host, port, timeout)
	local fd
	if not timeout then
		fd = socket.open(host, port)
	else
		local co = coroutine.running()
		local state = "connecting"
		skynet.fork(function()
			local id = socket.open(host, port)
			if state == "connecting" then
				state, fd = "done", id
				skynet.wakeup(co)
			elseif id then
				socket.close(id)	-- too late, the caller has given up
			end
		end)
		skynet.timeout(timeout, function()
			if state == "connecting" then
				state = "timeout"
				skynet.wakeup(co)
			end
		end)
		skynet.wait(co)
	end
	if fd then
		return fd
	end
	error(socket_error)
end

-- close(fd, linger): with linger (centiseconds), a "lingering close" for
-- a connection closed after an error response while the client may still
-- be sending (the body of a refused request, pipelined requests): bytes
-- still arriving are read and dropped until the client closes, 64 KiB
-- came, or linger has passed.  Closing with unread bytes in the kernel
-- makes TCP send a reset, and the client may then lose the response
-- before reading it.
local LINGER_BYTES = 65536

function sockethelper.close(fd, linger)
	if linger and linger > 0 and not socket.invalid(fd) then
		local closed = false
		skynet.timeout(linger, function()
			if not closed then
				closed = true
				socket.close(fd)	-- wakes the read below
			end
		end)
		local drained = 0
		while not closed and drained < LINGER_BYTES do
			local data = socket.read(fd)
			if not data then
				break
			end
			drained = drained + #data
		end
		if closed then
			return
		end
		closed = true
	end
	socket.close(fd)
end

function sockethelper.shutdown(fd)
	socket.shutdown(fd)
end

return sockethelper
