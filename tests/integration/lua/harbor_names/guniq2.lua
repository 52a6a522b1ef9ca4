-- guniq2.lua: a second unique service, created only when the test says.
local skynet = require "skynet"

skynet.start(function()
	skynet.error("guniq2 started")
end)
