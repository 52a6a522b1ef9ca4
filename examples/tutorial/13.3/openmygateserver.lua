local skynet = require "skynet"

skynet.start(function()
    skynet.error("Server start")
    local gateserver = skynet.newservice("mygateserver")
    skynet.call(gateserver, "lua", "open", {
        port = 8002,          --监听的端口
        maxclient = 2,        --客户端最大连接数改为2个
        nodelay = true,       --是否延迟TCP
    })

    skynet.error("gate server setup on", 8002)
    skynet.exit()
end)
