-- gsrv.lua: answers a lua call with its argument in capitals and its own
-- address, so a caller can tell which service answered; "hold" is never
-- answered.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, msg)
		if msg == "hold" then -- never answered
			skynet.error("HOLD received")
			skynet.wait()
		end
		skynet.retpack(string.upper(msg) .. " from " .. skynet.address(skynet.self()))
	end)
end)
