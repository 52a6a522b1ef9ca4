local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

skynet.start(function()

    local handle = skynet.newservice("test")

    skynet.name(".testalias", handle)    --给服务起一个本地别名
    skynet.name("testalias", handle)    --给服务起一个全局别名

    handle = skynet.localname(".testalias")
    skynet.error("localname .testalias handle", skynet.address(handle))

    handle = skynet.localname("testalias")    --只能查本地，不能查全局别名
    skynet.error("localname testalias handle", skynet.address(handle))

    handle = harbor.queryname(".testalias")
    skynet.error("queryname .testalias handle", skynet.address(handle))

    handle = harbor.queryname("testalias")
    skynet.error("queryname testalias handle", skynet.address(handle))

end)
