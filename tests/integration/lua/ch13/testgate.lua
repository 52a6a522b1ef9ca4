-- testgate.lua -- a gate for the chapter 13 tests: logs what it gets (a
-- packet as its size and, when short, its text) and echoes each packet
-- back to its client, so a client can tell its connection still works.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"
-- not skynet.socket: it would claim the socket messages the gate reads
local driver = require "skynet.socketdriver"

local handler = {}

function handler.connect(fd, addr)
    skynet.error("fd:", fd, "connect from", addr)
    gateserver.openclient(fd)
end

function handler.disconnect(fd)
    skynet.error("fd:", fd, "disconnect")
end

function handler.error(fd, msg)
    skynet.error("fd:", fd, "error", msg)
end

function handler.warning(fd, kib)
    skynet.error("fd:", fd, "warning", kib, "K")
end

function handler.message(fd, msg, sz)
    local s = netpack.tostring(msg, sz)
    local text = #s <= 40 and s:gsub("\n$", "") or
        (s:sub(1, 4) .. "..." .. s:sub(-4))
    skynet.error("fd:", fd, "packet", #s, "bytes", text)
    if #s <= 40 then
        driver.send(fd, netpack.pack("echo " .. s))
    end
end

function handler.open(source, conf)
    skynet.error("open: maxclient", conf.maxclient, "maxpacket", conf.maxpacket)
end

local CMD = {}

function CMD.kick(source, fd)
    gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
    return assert(CMD[cmd])(source, ...)
end

gateserver.start(handler)
