-- h3main.lua: the driver on each node of the 3-node harbor test
-- (tests/integration/harbor3.sh).  It publishes its h3srv's handle in
-- <h3_dir>/h<id>, greets the two other nodes (a call and a send each),
-- then runs the commands the test writes to <h3_dir>/cmd<id>, one per
-- line, each in its own coroutine:
--   order N         two senders, N numbered sends each to every other node
--   hold K n TAG    n calls to node K that it holds; log how they ended
--   stream K        calls to node K one after another until "stop K"
--   stop K          end that stream; it logs its counts
--   call K          call node K until it answers (after it restarted)
local skynet = require "skynet"

local me = tonumber(skynet.getenv("harbor"))
local dir = skynet.getenv("h3_dir")
local streaming = {}

local function publish(path, handle)
	local f = assert(io.open(path .. ".tmp", "w"))
	f:write(tostring(handle))
	f:close()
	assert(os.rename(path .. ".tmp", path))
end

local function read_handle(k)
	local f = io.open(dir .. "/h" .. k)
	if not f then return nil end
	local h = tonumber(f:read("a"))
	f:close()
	return h
end

local function others()
	local t = {}
	for k = 1, 3 do
		if k ~= me then t[#t + 1] = k end
	end
	return t
end

-- Call node k's service until it answers (the link may still be opening,
-- or the node restarting: such calls fail at once), at most ~15 s.
local function call_until_ok(k)
	for _ = 1, 1500 do
		local h = read_handle(k)
		if h and h >> 24 == k then
			local ok, pong, who = pcall(skynet.call, h, "lua", "ping")
			if ok then
				skynet.error(string.format("CALL ok to node %d: %s %s", k, pong,
					skynet.address(who)))
				return h
			end
		end
		skynet.sleep(1)
	end
	skynet.error(string.format("CALL to node %d never answered", k))
end

local cmds = {}

function cmds.order(n)
	local hs = {}
	for _, k in ipairs(others()) do hs[#hs + 1] = tostring(read_handle(k)) end
	for _ = 1, 2 do
		skynet.newservice("h3sender", n, table.concat(hs, ","))
	end
end

function cmds.hold(k, n, tag)
	k, n = tonumber(k), tonumber(n)
	local h = read_handle(k)
	local failed, answered, left = 0, 0, n
	for _ = 1, n do
		skynet.fork(function()
			local ok = pcall(skynet.call, h, "lua", "hold", tag)
			if ok then answered = answered + 1 else failed = failed + 1 end
			left = left - 1
			if left == 0 then
				skynet.error(string.format("HELD %d to node %d (%s): %d failed, %d answered",
					n, k, tag, failed, answered))
			end
		end)
	end
end

function cmds.stream(k)
	k = tonumber(k)
	local h = read_handle(k)
	local ok_n, fail_n, i = 0, 0, 0
	streaming[k] = true
	while streaming[k] do
		local ok, err = pcall(skynet.call, h, "lua", "ping")
		if ok then
			ok_n = ok_n + 1
		else
			if fail_n == 0 then
				skynet.error(string.format("STREAM to node %d first failure: %s", k, err))
			end
			fail_n = fail_n + 1
		end
		i = i + 1
		if i % 20 == 0 then skynet.sleep(1) end
	end
	skynet.error(string.format("STREAM to node %d done: ok=%d fail=%d", k, ok_n, fail_n))
end

function cmds.stop(k)
	streaming[tonumber(k)] = nil
end

function cmds.call(k)
	call_until_ok(tonumber(k))
end

local function run_commands()
	local path = dir .. "/cmd" .. me
	while true do
		local f = io.open(path)
		if f then
			local text = f:read("a")
			f:close()
			os.remove(path)
			for line in text:gmatch("[^\n]+") do
				skynet.error("CMD " .. line)
				local words = {}
				for w in line:gmatch("%S+") do words[#words + 1] = w end
				local fn = cmds[words[1]]
				skynet.fork(fn, table.unpack(words, 2))
			end
		end
		skynet.sleep(5)
	end
end

skynet.start(function()
	local srv = skynet.newservice("h3srv")
	publish(dir .. "/h" .. me, srv)
	for _, k in ipairs(others()) do
		local h = call_until_ok(k)
		if h then skynet.send(h, "lua", "note", me) end
	end
	skynet.fork(run_commands)
end)
