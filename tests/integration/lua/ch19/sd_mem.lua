-- Many services query one big shared table: each worker process decodes
-- it once, and a service holds no copy.  The test script measures the
-- node's memory from outside between "MEM READY" and "MEM QUERIED".
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local N, SERVICES = 100000, tonumber(... or 200)

local function exists(f)
	local h = io.open(f)
	if h then h:close() end
	return h ~= nil
end

local function wait_file(f)
	while not exists(f) do skynet.sleep(5) end
end

skynet.start(function()
	collectgarbage()
	local before = collectgarbage("count")
	local big = {}
	for i = 1, N do
		big[i] = { id = i, name = "item" .. i, level = i % 100 }
	end
	collectgarbage()
	local kb = collectgarbage("count") - before
	skynet.error(string.format("MEM one Lua copy of %d entries: %.0f KB", N, kb))
	sharedata.new("big", big)
	big = nil
	collectgarbage()

	local svc = {}
	for i = 1, SERVICES do
		svc[i] = skynet.newservice("sd_memq")
	end
	-- each service's own (Lua) memory, before it queries
	local lua_before = 0
	for i = 1, SERVICES do
		lua_before = lua_before + select(4, skynet.call(svc[i], "lua", "gc"))
	end
	skynet.error("MEM READY", SERVICES, "services")
	wait_file("go1")

	-- all at once, so services of one worker race to fetch the data
	local bad, done = 0, 0
	for i = 1, SERVICES do
		skynet.fork(function()
			local k = (i * 7919) % N + 1
			local n, id, name, level = skynet.call(svc[i], "lua", "query", k)
			if n ~= N or id ~= k or name ~= "item" .. k or level ~= k % 100 then
				bad = bad + 1
			end
			done = done + 1
		end)
	end
	while done < SERVICES do skynet.sleep(1) end
	local workers, lua_after = {}, 0
	for i = 1, SERVICES do
		local w, ntrees, bytes, kb = skynet.call(svc[i], "lua", "gc")
		workers[w] = string.format("worker %d: %d tree(s), %d KB", w, ntrees, bytes // 1024)
		lua_after = lua_after + kb
	end
	for _, line in pairs(workers) do
		skynet.error("MEM", line)
	end
	skynet.error(string.format("MEM Lua memory of a service: %.1f KB before its query, %.1f KB after",
		lua_before / SERVICES, lua_after / SERVICES))
	skynet.error("MEM QUERIED", SERVICES, "services,", bad, "bad answers")
end)
