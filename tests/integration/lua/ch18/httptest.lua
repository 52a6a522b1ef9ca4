-- httptest PORT [AGENTS]: the tutorial's listener (18.1) for
-- tutorial_ch18.sh, handing connections round robin to httptestagent
-- services, which keep connections alive.
local skynet = require "skynet"
local socket = require "skynet.socket"

local port, nagents = ...
port, nagents = tonumber(port), tonumber(nagents) or 4

skynet.start(function()
	local agents = {}
	for i = 1, nagents do
		agents[i] = skynet.newservice("httptestagent")
	end
	local balance = 1
	local id = socket.listen("127.0.0.1", port)
	socket.start(id, function(fd, addr)
		skynet.send(agents[balance], "lua", fd, addr)
		balance = balance % nagents + 1
	end)
	skynet.error("HTTPTEST listening on " .. port)
end)
