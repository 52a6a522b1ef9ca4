-- hbench.lua: the clustering benchmark (bench/harbor.sh).  The same loops
-- as the shared call_rtt and send_throughput benches, on the same shared
-- services (bench_echo_srv, bench_consumer, bench_producer), pointed either
-- at services of this node or at services of another node:
--   hb_mode = "server"  start an echo server and a consumer, write their
--                       handles to <hb_dir>/srv, and wait
--   hb_mode = "client"  read those handles, run the benches against them
--   hb_mode = "local"   start both here, run the same benches
-- config: hb_calls (default 20000), hb_producers (4), hb_sends (50000 each)
local skynet = require "skynet"
local B = require "bench_util"

local mode = B.str("hb_mode", "local")
local where = mode == "client" and "remote" or mode
local dir = B.str("hb_dir", ".")

local function serve()
	local echo = skynet.newservice("bench_echo_srv")
	local sink = skynet.newservice("bench_consumer")
	local f = assert(io.open(dir .. "/srv.tmp", "w"))
	f:write(echo, " ", sink)
	f:close()
	assert(os.rename(dir .. "/srv.tmp", dir .. "/srv"))
end

local function remote_handles()
	for _ = 1, 3000 do
		local f = io.open(dir .. "/srv")
		if f then
			local echo, sink = f:read("n", "n")
			f:close()
			-- the link may still be opening: a call fails at once until then
			if pcall(skynet.call, echo, "lua", "echo", 0) then
				return echo, sink
			end
		end
		skynet.sleep(1)
	end
	error("no server")
end

local function call_rtt(echo)
	local n = B.num("hb_calls", 20000)
	local payload = { id = 0, op = "ping", value = 0.5 }
	for i = 1, n // 10 do
		payload.id = i
		skynet.call(echo, "lua", "echo", payload)
	end
	local t0, c0 = B.clock(), B.cpu()
	local r
	for i = 1, n do
		payload.id = i
		r = skynet.call(echo, "lua", "echo", payload)
	end
	local dt, dc = B.clock() - t0, B.cpu() - c0
	assert(r.id == n and r.op == "ping", "bad echo payload")
	B.report("harbor_call_rtt", "where", where, "n", n, "calls_per_sec", n / dt,
		"us_per_call", dt * 1e6 / n, "driver_cpu_cores", dc / dt)
end

local function send_throughput(sink)
	local p, k = B.num("hb_producers", 4), B.num("hb_sends", 50000)
	local producers = {}
	for i = 1, p do producers[i] = skynet.newservice("bench_producer") end
	local function round(per)
		skynet.call(sink, "lua", "expect", p * per)
		local t0 = B.clock()
		for i = 1, p do skynet.send(producers[i], "lua", "start", sink, per) end
		assert(skynet.call(sink, "lua", "wait") == p * per, "consumer count mismatch")
		return B.clock() - t0
	end
	round(k // 10)
	local dt = round(k)
	B.report("harbor_send_throughput", "where", where, "producers", p, "total", p * k,
		"msgs_per_sec", p * k / dt, "ns_per_msg", dt * 1e9 / (p * k))
end

if mode == "server" then
	skynet.start(serve)
else
	B.run("harbor", function()
		local echo, sink
		if mode == "client" then
			echo, sink = remote_handles()
		else
			echo = skynet.newservice("bench_echo_srv")
			sink = skynet.newservice("bench_consumer")
		end
		call_rtt(echo)
		send_throughput(sink)
		B.finish()
	end)
end
