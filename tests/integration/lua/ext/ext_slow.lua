-- Answers "slow" after 50 ticks (0.5 s), anything else at once.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, n)
		if cmd == "slow" then
			skynet.sleep(50)
		end
		skynet.retpack(cmd, n)
	end)
end)
