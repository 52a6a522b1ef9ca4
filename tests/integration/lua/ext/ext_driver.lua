-- Checks actord's extensions and its handling of bad messages; each check
-- logs "EXT <name> ok" or "EXT <name> FAIL ...".
local skynet = require "skynet"
require "skynet.manager"

local function check(name, cond, ...)
	skynet.error(string.format("EXT %s %s", name, cond and "ok" or "FAIL"), ...)
end

skynet.start(function()
	skynet.fork(function()
		local slow = skynet.newservice("ext_slow")
		-- a bounded call that gives up
		local t0 = skynet.now()
		local ok, why = skynet.timeoutcall(10, slow, "lua", "slow", 1)
		local waited = skynet.now() - t0
		-- (it gives up well before the 2 s answer; the bound below only
		-- says it did not give up at once, with a tick of slack)
		check("timeoutcall_gives_up", ok == false and why == "timeout" and
		      waited >= 9, ok, why, waited)
		-- one that answers in time returns the answer
		local ok2, cmd, n = skynet.timeoutcall(100, slow, "lua", "fast", 7)
		check("timeoutcall_answers", ok2 == true and cmd == "fast" and n == 7,
		      ok2, cmd, n)
		-- the late answer of the first call is dropped, and the service
		-- still answers plain calls afterwards
		skynet.sleep(210)
		local cmd3 = skynet.call(slow, "lua", "again")
		check("late_answer_dropped", cmd3 == "again", cmd3)
		-- a plain call still waits as long as it takes (the tutorial's)
		local cmd4 = skynet.call(slow, "lua", "slow", 2)
		check("plain_call_waits", cmd4 == "slow", cmd4)
		-- a malformed packed message: the receiver refuses it with an
		-- error, our call fails, and the service keeps working (issue 3.6)
		local ok5, err = pcall(skynet.rawcall, slow, "lua", "\x07garbage", 8)
		check("malformed_refused", ok5 == false, err)
		local cmd6 = skynet.call(slow, "lua", "still")
		check("service_survives", cmd6 == "still", cmd6)
		-- placement extension: a service started "here" shares our worker
		local here = skynet.newservice_on("here", "ext_slow")
		local core = require "skynet.core"
		check("newservice_on_here", core.owner(here) == core.owner(skynet.self()))
		local w1 = skynet.newservice_on(1, "ext_slow")
		check("newservice_on_index", core.owner(w1) == 1, core.owner(w1))
		-- an inline protocol runs on the service's main thread; a
		-- dispatch that blocks raises, and the service goes on
		skynet.register_protocol { name = "inl", id = 20, pack = skynet.pack }
		skynet.send(slow, "inl", "one")
		skynet.send(slow, "inl", "block")
		skynet.send(slow, "inl", "two")
		local n, main = skynet.call(slow, "lua", "inlined")
		check("inline_protocol", n == 3 and main == true, n, main)
		skynet.error("EXT done")
		skynet.abort()
	end)
end)
