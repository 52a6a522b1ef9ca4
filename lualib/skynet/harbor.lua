-- skynet.harbor -- names across nodes.
--
-- On a standalone node (harbor = 0, or until clustering lands) the
-- cluster is this node: a global name is a node-wide name, and
-- queryname waits until some service registers it.
local skynet = require "skynet"
local c = require "skynet.core"

local harbor = {}

function harbor.globalname(name, handle)
	return c.name(name, handle or skynet.self())
end

-- A local name (".x") answers at once (nil if unknown); a global one
-- blocks until it exists.
function harbor.queryname(name)
	if name:sub(1, 1) == "." then
		return c.query(name)
	end
	while true do
		local h = c.query(name)
		if h then
			return h
		end
		skynet.sleep(10)
	end
end

function harbor.link(id) end
function harbor.connect(id) end
function harbor.linkmaster() end

return harbor
