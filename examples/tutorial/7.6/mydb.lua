local skynet = require "skynet"
require "skynet.manager" -- import skynet.register
local db = {}

local command = {}

function command.GET(key)
    return db[key]
end

function command.SET(key, value)
    db[key] = value
end

skynet.start(function()
    --注册该服务的lua消息回调函数
    skynet.dispatch("lua", function(session, address, cmd, ...)
        --接受到的第一个参数作为命令使用
        cmd = cmd:upper()
        local f = command[cmd] --查询cmd命令的具体处理方法
        if f then
            --执行查询到的方法，并且通过skynet.ret将执行结果返回
            skynet.retpack(f(...))
        else
            skynet.error(string.format("Unknown command %s", tostring(cmd)))
        end
    end)
    skynet.register ".mydb" --给当前服务注册一个名字，便于其他服务给当前服务发送消息
end)
