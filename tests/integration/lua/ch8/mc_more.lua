-- multicast behaviour beyond the tutorial's example: several subscribers
-- (on other workers, by placement), many values, order, unsubscribe, a
-- subscriber that ends, publishing from a service that only binds,
-- delete.  Prints "MC ok <what>" / "MC FAIL <what>", then "MC done".
local skynet = require "skynet"
local mc = require "skynet.multicast"

local mode, arg = ...

local function check(cond, what)
	skynet.error((cond and "MC ok " or "MC FAIL ") .. what)
end

if mode == "sub" then
	-- Subscribes to channel `arg` and tells the main service what it gets.
	local main
	local channel
	skynet.start(function()
		skynet.dispatch("lua", function(_, source, cmd)
			if cmd == "start" then
				main = source
				channel = mc.new {
					channel = math.tointeger(arg),
					dispatch = function(ch, from, ...)
						skynet.send(main, "lua", "got", skynet.self(), tostring(ch), from, ...)
					end,
				}
				channel:subscribe()
				skynet.retpack(true)
			elseif cmd == "unsub" then
				channel:unsubscribe()
				skynet.retpack(true)
			elseif cmd == "exit" then
				skynet.retpack(true)
				skynet.exit()
			end
		end)
	end)
	return
elseif mode == "pub" then
	-- Binds channel `arg` without subscribing and publishes on request.
	skynet.start(function()
		local channel = mc.new { channel = math.tointeger(arg) }
		skynet.dispatch("lua", function(_, _, cmd, ...)
			channel:publish(...)
			skynet.retpack(true)
		end)
	end)
	return
end

local got = {}            -- subscriber -> list of { chname, source, values... }

local function count(who)
	return #(got[who] or {})
end

local function wait_for(f)
	for _ = 1, 500 do
		if f() then return true end
		skynet.sleep(1)
	end
	return false
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, who, ...)
		if cmd == "got" then
			got[who] = got[who] or {}
			table.insert(got[who], table.pack(...))
		end
	end)

	local channel = mc.new()
	check(math.type(channel.channel) == "integer", "new channel id " .. channel.channel)
	check(tostring(channel) == string.format("[Multicast:%x]", channel.channel),
	      "prints as " .. tostring(channel))

	local subs = {}
	for i = 1, 4 do
		subs[i] = skynet.newservice(SERVICE_NAME, "sub", channel.channel)
		skynet.call(subs[i], "lua", "start")
	end

	if skynet.getenv("placement") == "spread" then
		local core = require "skynet.core"
		local workers = {}
		for _, s in ipairs(subs) do workers[core.owner(s)] = true end
		check(next(workers, next(workers)) ~= nil, "subscribers on more than one worker")
	end

	-- many messages, several values each, in order, to every subscriber
	for i = 1, 50 do
		channel:publish(i, "msg" .. i, { n = i, list = { i, i * 2 } }, nil, true)
	end
	check(wait_for(function()
		for _, s in ipairs(subs) do if count(s) < 50 then return false end end
		return true
	end), "4 subscribers got 50 messages each")
	local okvals, okorder = true, true
	for _, s in ipairs(subs) do
		for i, m in ipairs(got[s] or {}) do
			if m[1] ~= tostring(channel) or m[2] ~= skynet.self() then okvals = false end
			if m[3] ~= i then okorder = false end
			if m[4] ~= "msg" .. i or m[5].n ~= i or m[5].list[2] ~= i * 2 or
			   m[6] ~= nil or m[7] ~= true or m.n ~= 7 then
				okvals = false
			end
		end
	end
	check(okorder, "in the order published")
	check(okvals, "dispatch(channel, source, ...) gets the channel, the publisher and all values")

	-- a service that binds the channel publishes too; source is that service
	local pub = skynet.newservice(SERVICE_NAME, "pub", channel.channel)
	skynet.call(pub, "lua", "publish", "from pub")
	check(wait_for(function()
		for _, s in ipairs(subs) do
			local m = got[s][count(s)]
			if m[3] ~= "from pub" or m[2] ~= pub then return false end
		end
		return true
	end), "a binding service publishes, as the source")

	-- unsubscribe: that subscriber gets nothing more
	skynet.call(subs[1], "lua", "unsub")
	-- a subscriber that ends without unsubscribing
	skynet.call(subs[2], "lua", "exit")
	local before = count(subs[1])
	channel:publish("after unsub")
	check(wait_for(function()
		return count(subs[3]) == 52 and count(subs[4]) == 52
	end), "others still receive")
	skynet.sleep(20)
	check(count(subs[1]) == before, "unsubscribed: nothing more")

	-- delete: nothing is sent any more; publish/subscribe do not raise
	local id = channel.channel
	channel:delete()
	channel:publish("after delete")
	skynet.call(pub, "lua", "publish", "after delete")
	check(pcall(channel.subscribe, mc.new { channel = id, dispatch = function() end }),
	      "subscribe after delete raises nothing")
	check(pcall(channel.delete, channel), "second delete raises nothing")
	skynet.sleep(20)
	check(count(subs[3]) == 52 and count(subs[4]) == 52, "deleted: nothing delivered")
	local again = mc.new()
	check(again.channel ~= id, "ids are not reused (" .. again.channel .. ")")
	skynet.error("MC done")
end)
