-- sa_crash.lua -- a listener that hands each connection to an agent on
-- another worker (mode "agent"), for socket_api.sh to kill that worker:
-- the clients of the dead worker must see their connections close, and
-- the node must take new ones.
local skynet = require "skynet"
local socket = require "skynet.socket"
local core = require "skynet.core"

local echo = require "sa_echo"

local mode, id = ...

if mode == "agent" then
	skynet.start(function()
		skynet.error("SC agent on worker " .. core.worker())
		skynet.fork(function()
			echo(math.tointeger(tonumber(id)))
			skynet.exit()
		end)
	end)
	return
end

skynet.start(function()
	local port = math.tointeger(tonumber(skynet.getenv("sa_port")))
	local w, nw = core.worker()
	local L = socket.listen("127.0.0.1", port)
	socket.start(L, function(cid)
		skynet.newservice_on((w + 1) % nw, "sa_crash", "agent", cid)
	end)
	skynet.error("SC listening on worker " .. w)
end)
