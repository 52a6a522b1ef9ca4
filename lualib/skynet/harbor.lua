-- skynet.harbor -- names across nodes.
--
-- On a standalone node (harbor = 0, or until clustering lands) the
-- cluster is this node, and .globalnames keeps its global names.
local skynet = require "skynet"
local c = require "skynet.core"

local harbor = {}

function harbor.globalname(name, handle)
	return skynet.name(name, handle or skynet.self())
end

-- A local name (".x") answers at once (nil if unknown).  A global one
-- answers its binding, which outlives the service it names, and blocks
-- until some service binds it.
function harbor.queryname(name)
	if name:sub(1, 1) == "." then
		return c.query(name)
	end
	if c.query(".globalnames") then
		return skynet.call(".globalnames", "lua", "QUERYNAME", name)
	end
	-- a node without the book (C bootstrap): wait for the C-level name
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
