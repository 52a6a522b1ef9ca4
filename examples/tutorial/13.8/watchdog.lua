-- watchdog.lua -- 13.8: creates the gate, and an agent per connection.
-- The gate tells it of connections as lua "socket" messages; it starts
-- an agent for each, and ends the agent when the connection ends.
local skynet = require "skynet"

local gate
local agents = {}     -- fd -> agent
local CMD = {}
local SOCKET = {}

function SOCKET.open(fd, addr)
    skynet.error("New client from :", addr, "fd:", fd)
    local agent = skynet.newservice("agent")
    agents[fd] = agent
    skynet.call(agent, "lua", "start", { gate = gate, client = fd, watchdog = skynet.self() })
end

local function close_agent(fd)
    local agent = agents[fd]
    agents[fd] = nil
    if agent then
        skynet.call(gate, "lua", "kick", fd)
        -- the agent leaves by itself: a message, not skynet.kill
        skynet.send(agent, "lua", "disconnect")
    end
end

function SOCKET.close(fd)
    skynet.error("socket close", fd)
    close_agent(fd)
end

function SOCKET.error(fd, msg)
    skynet.error("socket error", fd, msg)
    close_agent(fd)
end

function SOCKET.warning(fd, size)
    skynet.error("socket warning", fd, size, "K")
end

function SOCKET.data(fd, msg)
end

function CMD.start(conf)
    return skynet.call(gate, "lua", "open", conf)
end

function CMD.close(fd)
    close_agent(fd)
end

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, subcmd, ...)
        if cmd == "socket" then
            SOCKET[subcmd](...)    -- from the gate: no answer wanted
        else
            local f = assert(CMD[cmd])
            skynet.ret(skynet.pack(f(subcmd, ...)))
        end
    end)
    gate = skynet.newservice("gate")
end)
