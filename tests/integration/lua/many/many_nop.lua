-- A minimal service: answers "ping", ends on "exit".
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		skynet.retpack(true)
		if cmd == "exit" then
			skynet.exit()
		end
	end)
end)
