-- skynet.manager -- naming, killing and the node-level calls, added to
-- the skynet table as in skynet (`require "skynet.manager"` then
-- skynet.register etc.).
local skynet = require "skynet"
local c = require "skynet.core"

-- Names with a dot are node-local; without one they are meant for the
-- cluster (node-wide until clustering lands).
function skynet.name(name, handle)
	if not c.name(name, handle) then
		skynet.error(string.format("name %s is already taken (or invalid)", name))
		return false
	end
	return true
end

function skynet.register(name)
	return skynet.name(name, skynet.self())
end

-- Extension (placement): start a service on worker `where` (an index),
-- or on the caller's own worker with where = "here".  A call between two
-- services on one worker needs no wake-up; see docs/placement.md.
function skynet.newservice_on(where, name, ...)
	return skynet.call(".launcher", "lua", "LAUNCHON", where, "snlua", name, ...)
end

return skynet
