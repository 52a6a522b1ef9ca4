-- connscale: the node side of bench/connscale.sh.  Accepts every
-- connection and echoes it line by line, one coroutine per connection as
-- the tutorial's echo server does (S9.2); reports the count now and then.
-- config: connscale_port (default 24683)
local skynet = require "skynet"
local socket = require "skynet.socket"

skynet.start(function()
	local port = tonumber(skynet.getenv "connscale_port") or 24683
	local open = 0
	local lid = socket.listen("0.0.0.0", port, 4096)
	socket.start(lid, function(id)
		open = open + 1
		skynet.fork(function()
			socket.start(id)
			while true do
				local line = socket.readline(id)
				if not line then break end
				socket.write(id, line .. "\n")
			end
			socket.close(id)
			open = open - 1
		end)
	end)
	skynet.fork(function()
		local last = -1
		while true do
			skynet.sleep(100)
			if open ~= last then
				skynet.error("connscale open=" .. open)
				last = open
			end
		end
	end)
	skynet.error("connscale ready port=" .. port)
end)
