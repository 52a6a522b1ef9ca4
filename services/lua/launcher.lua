-- launcher.lua -- `.launcher`: starts services for skynet.newservice.
--
-- A LAUNCH is answered only when the new service's start function has
-- returned (it sends LAUNCHOK), or with an error when its init failed, so
-- newservice blocks exactly as long as the tutorial says.
local skynet = require "skynet"
local core = require "skynet.core"

local starting = {}     -- handle -> response to the LAUNCH that made it
local placement = skynet.getenv("placement") or "balanced"
local nworkers = select(2, core.worker())
local next_worker = 0
local services = {}     -- handle -> "module args", while alive
local NORET = {}

local command = {}

local function launch(where, module, ...)
	local args = table.concat({ ... }, " ")
	local h = core.launch(module, args, where)
	if not h then
		return nil
	end
	services[h] = module .. " " .. args
	starting[h] = skynet.response()
	return NORET
end

-- Where a plain newservice goes, by the `placement` config key:
-- "balanced" (fewest services), "spread" (each on the next worker in
-- turn), "same" (the caller's own worker).
local function default_place(caller)
	if placement == "same" then
		return core.owner(caller)
	elseif placement == "spread" then
		next_worker = (next_worker + 1) % nworkers
		return next_worker
	end
	return nil
end

function command.LAUNCH(caller, module, ...)
	return launch(default_place(caller), module, ...)
end

local function finish(h, ok)
	local r = starting[h]
	if r then
		starting[h] = nil
		if ok then
			r(true, h)
		else
			r(false)
		end
	end
	if not ok then
		services[h] = nil
	end
end

function command.LAUNCHOK(h)
	finish(h, true)
	return NORET
end

function command.ERROR(h)
	finish(h, false)
	return NORET
end

-- A service ended.  If it did so by itself while starting (skynet.exit in
-- its start function, as a main service often does), its newservice
-- returns nil; if it was killed, that newservice raises.
function command.REMOVE(_, h, killed)
	local r = starting[h]
	if r then
		starting[h] = nil
		if killed then r(false) else r(true) end
	end
	services[h] = nil
	return NORET
end

function command.LIST()
	local list = {}
	for h, what in pairs(services) do
		list[skynet.address(h)] = what
	end
	return list
end

skynet.dispatch("lua", function(session, source, cmd, ...)
	local f = command[cmd]
	if not f then
		skynet.error("launcher: unknown command " .. tostring(cmd))
		if session ~= 0 then skynet.ret(skynet.pack(nil)) end
		return
	end
	local r = f(source, ...)
	if r ~= NORET then
		skynet.ret(skynet.pack(r))
	end
end)

-- A service that failed in its C init (its script is missing, say) says
-- so with an error message from its handle.
skynet.dispatch("error", function(_, source)
	finish(source, false)
end)

skynet.start(function() end)
