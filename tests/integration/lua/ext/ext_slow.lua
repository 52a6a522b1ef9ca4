-- Answers "slow" after 200 ticks (2 s), anything else at once.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, n)
		if cmd == "slow" then
			skynet.sleep(200)
		end
		skynet.retpack(cmd, n)
	end)
end)
