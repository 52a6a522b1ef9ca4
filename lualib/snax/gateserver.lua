-- snax/gateserver.lua -- a template for a service that accepts TCP clients
-- speaking the 2-byte length protocol (tutorial chapter 13).
--
-- gateserver.start(handler) makes the calling service a gate.  It starts
-- listening when it gets the lua message "open" {port, maxclient, nodelay,
-- address, maxpacket, backlog}, and stops on "close"; every other lua
-- message goes to handler.command.  Each connection gets exactly one
-- ending: handler.disconnect (closed by the peer or by closeclient) or
-- handler.error (a socket error, or a stream that broke the protocol).
-- Bad input from a client costs that client its connection, with a log
-- line, and nothing else.  See docs/gate.md.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local driver = require "skynet.socketdriver"

local gateserver = {}
local CLOSED = {}          -- what CMD.close waits on

local listen_id            -- the listening socket, while open
local closing              -- the listening socket being closed, if any
local queue                -- netpack's state: packets being cut, and cut
local maxclient
local nodelay
local nclient = 0
-- fd -> true: connected; false: closeclient was called, its close is
-- still to come.  Absent: not ours (refused, or already ended).
local connection = {}
-- Refusals are logged once per time the gate fills up, not once each, so
-- a flood of connections cannot flood the log.
local refused_unlogged = 0
local full_logged = false

function gateserver.openclient(fd)
	if connection[fd] then
		driver.start(fd)
	end
end

function gateserver.closeclient(fd)
	if connection[fd] then
		connection[fd] = false
		driver.close(fd)
	end
end

local function forget(fd)
	if connection[fd] ~= nil then
		connection[fd] = nil
		nclient = nclient - 1
		if full_logged and nclient < maxclient then
			if refused_unlogged > 0 then
				skynet.error(string.format(
					"gateserver: %d more connection(s) refused while full",
					refused_unlogged))
			end
			full_logged, refused_unlogged = false, 0
		end
		return true
	end
	return false
end

function gateserver.start(handler)
	assert(handler.message, "gateserver: handler.message is required")
	assert(handler.connect, "gateserver: handler.connect is required")

	local function deliver(fd, msg, sz)
		if connection[fd] then
			handler.message(fd, msg, sz)
		else
			skynet.error(string.format(
				"gateserver: drop a packet of %d bytes from fd %d (closed)", sz, fd))
			skynet.trash(msg, sz)
		end
	end

	-- Packets queued by netpack, in order.  If a handler blocks, the fork
	-- made first carries on with what is left, so one slow packet does not
	-- hold up the other connections' packets.
	local function drain()
		local fd, msg, sz = netpack.pop(queue)
		if not fd then
			return
		end
		skynet.fork(drain)
		repeat
			deliver(fd, msg, sz)
			fd, msg, sz = netpack.pop(queue)
		until not fd
	end

	local MSG = {}

	-- Is fd the listening socket?  If so it is gone now.
	local function listen_gone(fd)
		if fd == closing then
			closing = nil
			skynet.wakeup(CLOSED)
			return true
		end
		if fd == listen_id then
			listen_id = nil
			return true
		end
		return false
	end

	function MSG.data(fd, msg, sz)
		deliver(fd, msg, sz)
	end

	MSG.more = drain

	function MSG.open(fd, addr)
		if nclient >= maxclient then
			driver.close(fd)
			if full_logged then
				refused_unlogged = refused_unlogged + 1
			else
				full_logged = true
				skynet.error(string.format(
					"gateserver: refuse fd %d from %s: maxclient %d reached",
					fd, addr, maxclient))
			end
			-- the tutorial (13.3) shows a refused client's disconnect
			if handler.disconnect then
				handler.disconnect(fd)
			end
			return
		end
		nclient = nclient + 1
		connection[fd] = true
		if nodelay then
			driver.nodelay(fd)
		end
		handler.connect(fd, addr)
	end

	function MSG.close(fd, dropped)
		if listen_gone(fd) then
			return
		end
		if not forget(fd) then
			return    -- refused, or it ended with an error
		end
		if dropped and dropped > 0 then
			skynet.error(string.format(
				"gateserver: fd %d closed in the middle of a packet (%d bytes dropped)",
				fd, dropped))
		end
		if handler.disconnect then
			handler.disconnect(fd)
		end
	end

	-- open: the socket is still open (netpack refused the stream); the
	-- gate closes it.  Otherwise the socket layer has closed it already.
	function MSG.error(fd, msg, open)
		if listen_gone(fd) then
			skynet.error("gateserver: listen socket error: " .. tostring(msg))
			return
		end
		drain()   -- the packets that came before the bad part
		if not forget(fd) then
			if open then
				driver.close(fd)
			end
			return
		end
		skynet.error(string.format("gateserver: fd %d: %s, closed", fd, msg))
		if open then
			driver.close(fd)
		end
		if handler.error then
			handler.error(fd, msg)
		end
	end

	function MSG.warning(fd, size)
		if handler.warning then
			handler.warning(fd, size)
		end
	end

	skynet.register_protocol {
		name = "socket",
		id = skynet.PTYPE_SOCKET,
		unpack = function(msg, sz)
			return netpack.filter(queue, msg, sz)
		end,
		dispatch = function(_, _, q, what, ...)
			queue = q
			if what then
				MSG[what](...)
			end
		end,
	}

	local CMD = {}

	function CMD.open(source, conf)
		assert(not listen_id, "gateserver: already listening")
		local address = conf.address or "0.0.0.0"
		local port = assert(tonumber(conf.port), "gateserver: open needs a port")
		maxclient = conf.maxclient or 1024
		nodelay = conf.nodelay
		queue = netpack.setlimit(queue, conf.maxpacket or 65535)
		skynet.error(string.format("Listen on %s:%d", address, port))
		listen_id = driver.listen(address, port, conf.backlog)
		driver.start(listen_id)
		if handler.open then
			return handler.open(source, conf)
		end
	end

	-- Answers once the socket is closed, so that by then every connection
	-- accepted before has been seen and no new one can come.
	function CMD.close()
		assert(listen_id, "gateserver: not listening")
		closing, listen_id = listen_id, nil
		if driver.close(closing) then
			skynet.wait(CLOSED)
		else
			closing = nil
		end
	end

	local function init()
		skynet.dispatch("lua", function(_, source, cmd, ...)
			local f = CMD[cmd]
			if f then
				skynet.ret(skynet.pack(f(source, ...)))
			else
				local command = assert(handler.command,
					"gateserver: no handler.command for " .. tostring(cmd))
				skynet.ret(skynet.pack(command(cmd, source, ...)))
			end
		end)
	end

	if handler.embed then
		init()
	else
		skynet.start(init)
	end
end

return gateserver
