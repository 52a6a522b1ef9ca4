-- skynet.datacenter -- a node-wide (in a cluster, cluster-wide) tree of
-- values kept by the DATACENTER service: set(k1, k2, ..., value),
-- get(k1, k2, ...), and
-- wait(k1, k2, ...) which blocks until the value is set.
local skynet = require "skynet"

local datacenter = {}

-- In a cluster DATACENTER runs on the master's node and its global name
-- reaches this node a moment after it starts: wait for it.
local function service()
	if (tonumber(skynet.getenv("harbor")) or 0) == 0 then
		return "DATACENTER"
	end
	return require("skynet.harbor").queryname("DATACENTER")
end

function datacenter.get(...)
	return skynet.call(service(), "lua", "QUERY", ...)
end

function datacenter.set(...)
	return skynet.call(service(), "lua", "UPDATE", ...)
end

function datacenter.wait(...)
	return skynet.call(service(), "lua", "WAIT", ...)
end

return datacenter
