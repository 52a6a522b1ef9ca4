-- guniq.lua: a unique service that says where it started.
local skynet = require "skynet"

skynet.start(function()
	skynet.error("guniq started")
	skynet.dispatch("lua", function() skynet.retpack(skynet.self()) end)
end)
