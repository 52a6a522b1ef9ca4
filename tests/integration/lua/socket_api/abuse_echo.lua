-- abuse_echo.lua -- the service net_abuse.sh attacks: a line echo (upper
-- case), one coroutine per connection, as the tutorial's 9.3 server, but
-- quiet and with a line limit.  A few lines are commands:
--   STATS   -> "accepted=A live=L closed=C"
--   BIG n   -> n bytes of "b", then "\n"
--   FLOOD   -> 64 KiB writes until the >1 MiB warning, then stop writing:
--              what a service does to keep a peer that never reads from
--              eating its memory
local skynet = require "skynet"
local socket = require "skynet.socket"

local port = math.tointeger(tonumber(skynet.getenv("abuse_port")))
local LIMIT = 64 * 1024
local accepted, live, closed = 0, 0, 0

local function flood(id)
	local warned
	socket.warning(id, function(_, kib)
		warned = warned or kib
	end)
	local chunk = ("f"):rep(64 * 1024)
	local sent = 0
	while not warned and sent < 1024 * 1024 * 1024 do
		if not socket.write(id, chunk) then
			break
		end
		sent = sent + #chunk
		skynet.yield()
	end
	skynet.error(string.format("ABUSE flood stopped after %d KiB, warning at %s K",
		sent // 1024, tostring(warned)))
end

local function serve(id)
	socket.start(id)
	socket.limit(id, LIMIT)
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		if line == "STATS" then
			socket.write(id, string.format("accepted=%d live=%d closed=%d\n", accepted, live, closed))
		elseif line:match("^BIG %d+$") then
			socket.write(id, ("b"):rep(tonumber(line:sub(5))) .. "\n")
		elseif line == "FLOOD" then
			skynet.fork(flood, id)
		else
			socket.write(id, line:upper() .. "\n")
		end
	end
	socket.close(id)
	live = live - 1
	closed = closed + 1
end

skynet.start(function()
	local L = socket.listen("127.0.0.1", port, 4096)
	socket.start(L, function(id)
		accepted = accepted + 1
		live = live + 1
		skynet.fork(serve, id)
	end)
	skynet.error("ABUSE listening " .. port)
end)
