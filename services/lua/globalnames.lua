-- globalnames.lua -- `.globalnames`: the book of global names (names
-- without a leading dot) on a standalone node, kept the way a skynet
-- harbor keeps them.
--
-- A global name is bound once and for good.  It outlives its service
-- (only the C-level name, used by sends, goes with it), so queryname
-- still answers the old handle, and it cannot be bound to another
-- service later.  harbor.queryname asks here when the C-level name is
-- missing, and waits until the name is bound.  Clustering will replace
-- this with the cluster-wide book.
local skynet = require "skynet"

local bound = {}     -- name -> handle
local waiting = {}   -- name -> { response, ... } of queries before the bind
local NORET = {}

local command = {}

function command.REGISTER(name, handle)
	local old = bound[name]
	if old then
		if old ~= handle then
			skynet.error(string.format("global name %s stays bound to %s, not %s",
				name, skynet.address(old), skynet.address(handle)))
		end
		return NORET
	end
	bound[name] = handle
	for _, r in ipairs(waiting[name] or {}) do
		r(true, handle)
	end
	waiting[name] = nil
	return NORET
end

function command.QUERYNAME(name)
	if bound[name] then
		return bound[name]
	end
	local w = waiting[name] or {}
	waiting[name] = w
	w[#w + 1] = skynet.response()
	return NORET
end

skynet.dispatch("lua", function(session, _, cmd, ...)
	local f = command[cmd]
	if not f then
		skynet.error("globalnames: unknown command " .. tostring(cmd))
		if session ~= 0 then skynet.response()(false) end
		return
	end
	local r = f(...)
	if r ~= NORET and session ~= 0 then
		skynet.retpack(r)
	end
end)

skynet.start(function()
	skynet.register(".globalnames")
end)
