local skynet = require "skynet"
require "skynet.manager"

local realsvr = ...

skynet.start( function() --注册消息处理函数
    skynet.dispatch("lua", function (session, source, ...) --接收到消息msg, sz
        skynet.ret(skynet.rawcall(realsvr, "lua", skynet.pack(...))) --根据参数列表重新打包消息转发
    end) --释放消息msg, sz
    skynet.register(".proxy")
end)
