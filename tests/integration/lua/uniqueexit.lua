-- uniqueservice.lua with its commented-out skynet.exit() put back (4.2):
-- a unique service that exits during init.
local skynet = require "skynet"

skynet.start(function()
	skynet.error("Server First Test")
	skynet.exit()
end)
