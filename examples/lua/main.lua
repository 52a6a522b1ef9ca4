-- main.lua -- the default node's start service: greets, then hands the
-- terminal to the console, where typing a service's name launches it
-- (try "test" or "testsleep").
local skynet = require "skynet"

skynet.start(function()
	skynet.error("Server start")
	if not skynet.getenv("daemon") then
		skynet.newservice("console")
	end
	skynet.exit()
end)
