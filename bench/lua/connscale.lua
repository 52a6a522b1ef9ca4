-- connscale: the node side of bench/connscale.sh.  Accepts every
-- connection and hands it to an agent, one agent per worker (config
-- connscale_agents, default 1); an agent echoes each of its connections
-- line by line, one coroutine per connection as the tutorial's echo
-- server does (S9.2).  Reports the count of open connections now and then.
-- config: connscale_port (default 24683), connscale_agents
local skynet = require "skynet"
local socket = require "skynet.socket"

local mode = ...

local function echo(id)
	socket.start(id)
	while true do
		local line = socket.readline(id)
		if not line then break end
		socket.write(id, line .. "\n")
	end
	socket.close(id)
end

local function agent()
	skynet.dispatch("lua", function(_, _, id)
		skynet.fork(echo, id)
	end)
end

local function listener()
	local port = tonumber(skynet.getenv "connscale_port") or 24683
	local n = tonumber(skynet.getenv "connscale_agents") or 1
	local workers = tonumber(skynet.getenv "thread") or 1
	local agents = {}
	for i = 1, n do
		agents[i] = skynet.newservice_on((i - 1) % workers, "connscale", "agent")
	end
	local open, next_agent = 0, 1
	local lid = socket.listen("0.0.0.0", port, 4096)
	socket.start(lid, function(id)
		open = open + 1
		skynet.send(agents[next_agent], "lua", id)
		next_agent = next_agent % n + 1
	end)
	skynet.fork(function()
		local last = -1
		while true do
			skynet.sleep(100)
			if open ~= last then
				skynet.error("connscale accepted=" .. open)
				last = open
			end
		end
	end)
	skynet.error("connscale ready port=" .. port .. " agents=" .. n)
end

skynet.start(mode == "agent" and agent or listener)
