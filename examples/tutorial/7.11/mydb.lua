local skynet = require "skynet"
require "skynet.manager" -- import skynet.register
local queue = require "skynet.queue"
local cs = queue() --获取一个执行队列

local db = {}
local command = {}

function command.GET(key)
    skynet.sleep(1000)    --这里加了一个阻塞函数
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
            --将f丢到队列中去执行，队列中的函数严格按照先后顺序进行执行
            skynet.retpack(cs(f, ...))
        else
            skynet.error(string.format("Unknown command %s", tostring(cmd)))
        end
    end)
    skynet.register ".mydb"
end)
