local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

skynet.start(function()

    handle = skynet.localname(".testalias")
    skynet.error("localname .testalias handle", skynet.address(handle))

    handle = skynet.localname("testalias")
    skynet.error("localname testalias handle", skynet.address(handle))

    handle = harbor.queryname(".testalias")
    skynet.error("queryname .testalias handle", skynet.address(handle))

    handle = harbor.queryname("testalias")
    skynet.error("queryname testalias handle", skynet.address(handle))

end)
