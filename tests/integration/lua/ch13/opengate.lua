-- opengate.lua PORT MAXCLIENT [MAXPACKET] -- start a testgate and open it.
local skynet = require "skynet"

local port, maxclient, maxpacket = ...

skynet.start(function()
    local gate = skynet.newservice("testgate")
    skynet.call(gate, "lua", "open", {
        port = tonumber(port),
        maxclient = tonumber(maxclient),
        maxpacket = tonumber(maxpacket),
        nodelay = true,
    })
    skynet.error("gate", skynet.address(gate), "open on", port)
    skynet.exit()
end)
