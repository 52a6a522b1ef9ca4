local skynet = require "skynet"
skynet.start(function()
    skynet.error("My new service")
end)
