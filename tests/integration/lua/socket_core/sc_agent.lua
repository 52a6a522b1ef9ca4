-- Agent of sc_main: "echo" upper-cases lines; "exit" answers one line and
-- ends without closing; "abandon" reads 5 bytes, answers them, abandons
-- the socket and ends once sc_main has asked.
local skynet = require "skynet"
local socket = require "skynet.socket"
local id, how = ...
id = tonumber(id)

skynet.start(function()
	if how == "abandon" then
		socket.start(id)
		local five = socket.read(id, 5)
		socket.write(id, five:upper() .. "\n")
		socket.abandon(id)
		skynet.dispatch("lua", function()
			skynet.ret(skynet.pack(true))
			skynet.exit()
		end)
		return
	end
	skynet.fork(function()
		socket.start(id)
		while true do
			local line = socket.readline(id)
			if not line then break end
			socket.write(id, line:upper() .. "\n")
			if how == "exit" then skynet.exit() end
		end
		socket.close(id)
		skynet.exit()
	end)
end)
