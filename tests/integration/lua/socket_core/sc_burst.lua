-- sc_burst: a listener on worker 0 hands every connection to an echo
-- agent on worker 1, as fast as they come.  Each hand-over moves the fd
-- between the workers' processes; a burst of them once filled the
-- fd-passing socket and hung both workers.  config: sc_port
local skynet = require "skynet"
local socket = require "skynet.socket"

local function echo(id)
	socket.start(id)
	while true do
		local line = socket.readline(id)
		if not line then break end
		socket.write(id, line .. "\n")
	end
	socket.close(id)
end

local mode = ...

skynet.start(function()
	if mode == "agent" then
		skynet.dispatch("lua", function(_, _, id) skynet.fork(echo, id) end)
		return
	end
	local agent = skynet.newservice_on(1, "sc_burst", "agent")
	local lid = socket.listen("127.0.0.1", tonumber(skynet.getenv "sc_port"), 4096)
	socket.start(lid, function(id) skynet.send(agent, "lua", id) end)
	skynet.error("SC burst ready")
end)
