-- main.lua -- 13.8: start a watchdog, which starts the built-in gate.
local skynet = require "skynet"

skynet.start(function()
    skynet.error("Server start")
    local watchdog = skynet.newservice("watchdog")
    skynet.call(watchdog, "lua", "start", {
        port = 8888,
        maxclient = 64,
        nodelay = true,
    })
    skynet.error("Watchdog listen on", 8888)
    skynet.exit()
end)
