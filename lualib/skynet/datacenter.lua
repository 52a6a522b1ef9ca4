-- skynet.datacenter -- a node-wide tree of values kept by the
-- DATACENTER service: set(k1, k2, ..., value), get(k1, k2, ...), and
-- wait(k1, k2, ...) which blocks until the value is set.
local skynet = require "skynet"

local datacenter = {}

function datacenter.get(...)
	return skynet.call("DATACENTER", "lua", "QUERY", ...)
end

function datacenter.set(...)
	return skynet.call("DATACENTER", "lua", "UPDATE", ...)
end

function datacenter.wait(...)
	return skynet.call("DATACENTER", "lua", "WAIT", ...)
end

return datacenter
