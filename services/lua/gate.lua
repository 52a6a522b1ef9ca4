-- gate.lua -- the built-in gate service (tutorial 13.8), on snax.gateserver.
--
-- It owns the client connections and nothing else: a watchdog opens it
-- (lua "open" conf; conf.watchdog, or the opener, becomes the watchdog)
-- and hears of every connection as lua "socket" messages:
--   "open", fd, addr | "close", fd | "error", fd, msg | "warning", fd, kib
--   | "data", fd, str (packets of a connection no agent takes yet).
-- Commands: forward(fd [, client, agent]) sends fd's packets to the agent
-- (the caller by default) as "client" messages with session 1, from
-- `client`; accept(fd) reads fd and hands its packets to the watchdog;
-- kick(fd) closes it.  Agents answer the client by writing to fd
-- themselves (skynet.socket), since a gate has no write API.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"

local watchdog
local conns = {}     -- fd -> { addr =, agent =, client = }

skynet.register_protocol { name = "client", id = skynet.PTYPE_CLIENT }

local handler = {}

function handler.open(source, conf)
	watchdog = conf.watchdog or source
end

function handler.connect(fd, addr)
	conns[fd] = { addr = addr }
	skynet.send(watchdog, "lua", "socket", "open", fd, addr)
end

function handler.message(fd, msg, sz)
	local c = conns[fd]
	if c and c.agent then
		skynet.redirect(c.agent, c.client, "client", 1, msg, sz)
	else
		skynet.send(watchdog, "lua", "socket", "data", fd, skynet.tostring(msg, sz))
		skynet.trash(msg, sz)
	end
end

function handler.disconnect(fd)
	conns[fd] = nil
	skynet.send(watchdog, "lua", "socket", "close", fd)
end

function handler.error(fd, msg)
	conns[fd] = nil
	skynet.send(watchdog, "lua", "socket", "error", fd, msg)
end

function handler.warning(fd, size)
	skynet.send(watchdog, "lua", "socket", "warning", fd, size)
end

local CMD = {}

function CMD.forward(source, fd, client, agent)
	local c = assert(conns[fd], "gate: forward of an unknown fd")
	c.client = client or 0
	c.agent = agent or source
	gateserver.openclient(fd)
end

function CMD.accept(source, fd)
	local c = assert(conns[fd], "gate: accept of an unknown fd")
	c.agent, c.client = nil, nil
	gateserver.openclient(fd)
end

function CMD.kick(source, fd)
	gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
	local f = assert(CMD[cmd], "gate: unknown command")
	return f(source, ...)
end

gateserver.start(handler)
