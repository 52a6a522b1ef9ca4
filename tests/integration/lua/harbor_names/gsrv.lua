-- gsrv.lua: answers a lua call with its argument in capitals and its own
-- address, so a caller can tell which service answered.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, msg)
		skynet.retpack(string.upper(msg) .. " from " .. skynet.address(skynet.self()))
	end)
end)
