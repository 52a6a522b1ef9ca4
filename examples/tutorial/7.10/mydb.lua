local skynet = require "skynet"
require "skynet.manager" -- import skynet.register
local db = {}

local command = {}

function command.GET(key)
    skynet.sleep(1000) --这里加了一个阻塞函数
    return db[key]
end

function command.SET(key, value)
    db[key] = value
end

skynet.start(function()
    skynet.dispatch("lua", function(session, address, cmd, ...)
        cmd = cmd:upper()
        local f = command[cmd]
        if f then
            skynet.retpack(f(...))
        else
            skynet.error(string.format("Unknown command %s", tostring(cmd)))
        end
    end)
    skynet.register ".mydb"
end)
