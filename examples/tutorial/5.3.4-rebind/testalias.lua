local skynet = require "skynet"

require "skynet.manager"
local harbor = require "skynet.harbor"

skynet.start(function()

    local handle = skynet.newservice("test")

    skynet.name("testalias", handle)    --给服务起一个全局别名

    handle = harbor.queryname("testalias")
    skynet.error("queryname testalias handle", skynet.address(handle))

    skynet.kill(handle) --杀死带全局别名服务
    handle = skynet.newservice("test")
    skynet.name("testalias", handle)    --全局别名给其他服务使用

    handle = harbor.queryname("testalias")
    skynet.error("queryname testalias handle", skynet.address(handle))

end)
