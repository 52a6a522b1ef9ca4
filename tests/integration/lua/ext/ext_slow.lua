-- Answers "slow" after 200 ticks (2 s), anything else at once.
local skynet = require "skynet"

-- An inline protocol (an extension): counts its messages; "block" tries
-- to sleep in the dispatch, which raises.
local inlined, in_coroutine = 0, nil
skynet.register_protocol {
	name = "inl", id = 20, inline = true,
	pack = skynet.pack, unpack = skynet.unpack,
	dispatch = function(_, _, what)
		inlined = inlined + 1
		in_coroutine = select(2, coroutine.running())
		if what == "block" then
			skynet.sleep(1)
		end
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, n)
		if cmd == "slow" then
			skynet.sleep(200)
		elseif cmd == "inlined" then
			return skynet.retpack(inlined, in_coroutine)
		end
		skynet.retpack(cmd, n)
	end)
end)
