-- service_mgr.lua -- `.service`: unique services by name.
--
-- LAUNCH starts a named service once; later LAUNCHes and QUERYs get the
-- same handle.  A QUERY for a name nobody launched yet waits until
-- someone does.  Node-wide names (LAUNCH/QUERY) and cluster-wide ones
-- (GLAUNCH/GQUERY) are separate scopes; on a standalone node the cluster
-- is just this node.
--
-- In a cluster the master's node keeps the global scope: its .service
-- binds the global name SERVICE (as skynet's does), and every other
-- node's .service hands GLAUNCH/GQUERY to it, so a global unique service
-- runs once, on the master's node, whichever node asks first.  The two
-- scopes stay separate, and neither is the book of global names.
local skynet = require "skynet"
local core = require "skynet.core"

local clustered = (tonumber(skynet.getenv("harbor")) or 0) ~= 0
local keeps_global = not clustered or skynet.getenv("standalone") ~= nil

local scopes = { ["local"] = { handle = {}, waiters = {}, launching = {} },
                 global = { handle = {}, waiters = {}, launching = {} } }
local NORET = {}

local function wait_for(scope, name)
	local w = scope.waiters[name]
	if not w then
		w = {}
		scope.waiters[name] = w
	end
	w[#w + 1] = skynet.response()
	return NORET
end

local function notify(scope, name, h)
	local w = scope.waiters[name]
	scope.waiters[name] = nil
	for _, r in ipairs(w or {}) do
		if h then r(true, h) else r(false) end
	end
end

local function launch(scope, name, ...)
	local h = scope.handle[name]
	if h then
		return h
	end
	if scope.launching[name] then
		return wait_for(scope, name)
	end
	scope.launching[name] = true
	local ok, r = pcall(skynet.newservice, name, ...)
	scope.launching[name] = nil
	if not ok or not r then
		notify(scope, name, nil)
		error(string.format("can't launch unique service %s: %s", name, tostring(r)))
	end
	scope.handle[name] = r
	notify(scope, name, r)
	return r
end

local function query(scope, name)
	local h = scope.handle[name]
	if h then
		return h
	end
	return wait_for(scope, name)
end

-- The master's .service, once it has bound SERVICE (blocks until then).
local function global_keeper(cmd, ...)
	local harbor = require "skynet.harbor"
	return skynet.call(harbor.queryname("SERVICE"), "lua", cmd, ...)
end

local command = {
	LAUNCH = function(...) return launch(scopes["local"], ...) end,
	QUERY = function(name) return query(scopes["local"], name) end,
	GLAUNCH = function(...)
		if keeps_global then return launch(scopes.global, ...) end
		return global_keeper("GLAUNCH", ...)
	end,
	GQUERY = function(name)
		if keeps_global then return query(scopes.global, name) end
		return global_keeper("GQUERY", name)
	end,
}

skynet.dispatch("lua", function(_, _, cmd, ...)
	local f = assert(command[cmd], "service_mgr: unknown command")
	local r = f(...)
	if r ~= NORET then
		skynet.ret(skynet.pack(r))
	end
end)

skynet.start(function()
	core.name(".service", skynet.self())
	if clustered and keeps_global then
		core.name("SERVICE", skynet.self())
	end
end)
