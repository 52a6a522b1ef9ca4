local skynet = require "skynet"

skynet.start(function()
    skynet.error("Server start")
    local gateserver = skynet.newservice("mygateserver") --启动刚才写的网关服务
    skynet.call(gateserver, "lua", "open", {
        port = 8002, --监听的端口
        maxclient = 64, --客户端最大连接数 体现网关功能的一个重要参数
        nodelay = true, --是否延迟TCP 延迟：发送少量数据时会缓存等待数据多了再发出去
    })

    skynet.error("gate server setup on", 8002)
    skynet.exit()
end)
