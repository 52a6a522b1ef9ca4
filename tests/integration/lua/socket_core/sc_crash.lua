-- sc_crash victim: an echo server on sc_port that logs its worker's pid
-- once a client is served, for the test to kill that worker.
-- sc_crash alive: answers "alive" on sc_port + 1.
local skynet = require "skynet"
local socket = require "skynet.socket"
local role = ...

skynet.start(function()
	local port = tonumber(skynet.getenv "sc_port")
	if role == "alive" then
		local lid = socket.listen("127.0.0.1", port + 1)
		socket.start(lid, function(id)
			socket.start(id)
			socket.write(id, "alive\n")
			socket.close(id)
		end)
		return
	end
	local lid = socket.listen("127.0.0.1", port)
	socket.start(lid, function(id)
		socket.start(id)
		local line = socket.readline(id)
		socket.write(id, line:upper() .. "\n")
		local f = io.open("/proc/self/stat")
		local pid = f:read("n")
		f:close()
		skynet.error("SC victim_pid=" .. pid)
	end)
	skynet.error("SC crash ready")
end)
