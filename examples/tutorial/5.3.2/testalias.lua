local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

skynet.start(function()

    handle = skynet.localname(".testalias")    --查询本地别名不阻塞
    skynet.error("localname .testalias handle", skynet.address(handle))

    handle = skynet.localname("testalias")    --无法查询全局别名
    skynet.error("localname testalias handle", skynet.address(handle))

    handle = harbor.queryname(".testalias")    --查询本地别名不阻塞
    skynet.error("queryname .testalias handle", skynet.address(handle))

    handle = harbor.queryname("testalias")    --查询全局别名阻塞 等待其他节点注册别名
    skynet.error("queryname testalias handle", skynet.address(handle))

end)
