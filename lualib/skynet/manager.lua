-- skynet.manager -- naming, killing and the node-level calls, added to
-- the skynet table as in skynet (`require "skynet.manager"` then
-- skynet.register etc.).
local skynet = require "skynet"

-- skynet.name and skynet.register are in skynet.lua itself (the
-- tutorial's services use them without requiring this module).

-- Extension (placement): start a service on worker `where` (an index),
-- or on the caller's own worker with where = "here".  A call between two
-- services on one worker needs no wake-up; see docs/placement.md.
function skynet.newservice_on(where, name, ...)
	return skynet.call(".launcher", "lua", "LAUNCHON", where, "snlua", name, ...)
end

return skynet
