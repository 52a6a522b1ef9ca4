local skynet    = require "skynet"
local socket    = require "skynet.socket"

--简单echo服务
function echo(cID, addr)
    socket.start(cID)
    while true do
        local str = socket.read(cID)
        if str then
            skynet.error("recv " .. str)
            --由于数据量少处理非常快，无法看到效果，只有发送大量数据的时候，才会出现低优先级后发送的现象
            socket.lwrite(cID, "l:" .. string.upper(str))
            socket.write(cID, "h:" .. string.upper(str))
        else
            socket.close(cID)
            skynet.error(addr .. " disconnect")
            return
        end
    end
end

function accept(cID, addr)
    skynet.error(addr .. " accepted")
    --如果不开协程，那么同一时刻肯定只能处理一个客户端的连接请求
    skynet.fork(echo, cID, addr)
end

--服务入口
skynet.start(function()
    local addr = "0.0.0.0:8001"
    skynet.error("listen " .. addr)
    local lID = socket.listen(addr)
    assert(lID)
    socket.start(lID, accept)
end)
