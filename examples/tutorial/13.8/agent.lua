-- agent.lua -- 13.8: serves one client.  The gate forwards the client's
-- packets here as "client" messages; answers go straight to the client.
-- Requests are text lines: "set key value", "get key", "quit".
local skynet = require "skynet"
local socket = require "skynet.socket"
local netpack = require "skynet.netpack"

local WATCHDOG
local client_fd
local store = {}
local CMD = {}
local REQUEST = {}

skynet.register_protocol {
    name = "client",
    id = skynet.PTYPE_CLIENT,
    unpack = skynet.tostring,
}

function REQUEST.set(key, value)
    store[key] = value
    return "ok"
end

function REQUEST.get(key)
    return tostring(store[key])
end

function REQUEST.quit()
    skynet.call(WATCHDOG, "lua", "close", client_fd)
end

local function send_package(text)
    socket.write(client_fd, netpack.pack(text))
end

function CMD.start(conf)
    client_fd = conf.client
    WATCHDOG = conf.watchdog
    skynet.call(conf.gate, "lua", "forward", client_fd)
end

function CMD.disconnect()
    skynet.error("agent for fd", client_fd, "quit")
    skynet.exit()
end

skynet.start(function()
    skynet.dispatch("client", function(session, source, text)
        text = text:gsub("[\r\n]+$", "")
        skynet.error("client", client_fd, "request:", text, "session:", session)
        local args = {}
        for word in text:gmatch("%S+") do
            args[#args + 1] = word
        end
        local f = REQUEST[args[1]]
        if f then
            local reply = f(table.unpack(args, 2))
            if reply then
                send_package(reply .. "\n")
            end
        else
            send_package("unknown request\n")
        end
    end)
    skynet.dispatch("lua", function(_, _, cmd, ...)
        local f = assert(CMD[cmd])
        skynet.ret(skynet.pack(f(...)))
    end)
end)
