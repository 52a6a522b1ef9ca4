-- sa_echo.lua -- a module: echo(id) starts socket id and answers each
-- line upper-cased until the peer closes (as the tutorial's 9.3 server).
local socket = require "skynet.socket"

return function(id)
	socket.start(id)
	while true do
		local l = socket.readline(id)
		if not l then
			break
		end
		socket.write(id, l:upper() .. "\n")
	end
	socket.close(id)
end
