-- Start many_count minimal services, check each answers, end them all.
-- Between phases it waits for the test script (which measures the node's
-- memory from outside) to create the file named by the phase.
local skynet = require "skynet"

local n = math.tointeger(tonumber(skynet.getenv("many_count")))
local dir = skynet.getenv("many_dir")
local SPAWNERS = 16

local function wait_for(phase)
	skynet.error("MANY " .. phase)
	local path = dir .. "/" .. phase .. ".go"
	while true do
		local f = io.open(path)
		if f then f:close() return end
		skynet.sleep(5)
	end
end

-- Run f(i) for i = 1..n over SPAWNERS coroutines; return when all are done.
local function each(f)
	local left, token = SPAWNERS, {}
	for s = 1, SPAWNERS do
		skynet.fork(function()
			for i = s, n, SPAWNERS do f(i) end
			left = left - 1
			if left == 0 then skynet.wakeup(token) end
		end)
	end
	skynet.wait(token)
end

skynet.start(function()
	skynet.fork(function()
		wait_for("ready")
		local list = {}
		each(function(i) list[i] = skynet.newservice("many_nop") end)
		local answered = 0
		each(function(i) if skynet.call(list[i], "lua", "ping") then answered = answered + 1 end end)
		skynet.error(string.format("MANY alive=%d answered=%d", #list, answered))
		wait_for("spawned")
		local ended = 0
		each(function(i) if skynet.call(list[i], "lua", "exit") then ended = ended + 1 end end)
		list = nil
		collectgarbage()
		skynet.error(string.format("MANY ended=%d", ended))
		wait_for("exited")
		skynet.error("MANY done")
	end)
end)
