-- skynet.harbor -- names across nodes, and notices of links.
--
-- On a clustered node (harbor ~= 0) the harbor sidecar binds global names
-- in this node's name table as the master announces them, and publishes
-- the state of its links; .globalnames waits on both for the calls that
-- block.  On a standalone node (harbor = 0) the cluster is this node:
-- .globalnames keeps its global names, and there are no links to wait on.
local skynet = require "skynet"
local c = require "skynet.core"

local harbor = {}
local clustered = (tonumber(skynet.getenv("harbor")) or 0) ~= 0

function harbor.globalname(name, handle)
	return skynet.name(name, handle or skynet.self())
end

-- A local name (".x") answers at once (nil if unknown).  A global one
-- answers its binding, which outlives the service it names, and blocks
-- until some service, on any node, binds it.
function harbor.queryname(name)
	if name:sub(1, 1) == "." then
		return c.query(name)
	end
	local h = clustered and c.query(name)
	if h then
		return h
	end
	if c.query(".globalnames") then
		return skynet.call(".globalnames", "lua", "QUERYNAME", name)
	end
	-- a node without the book (C bootstrap): wait for the C-level name
	while true do
		h = c.query(name)
		if h then
			return h
		end
		skynet.sleep(10)
	end
end

local function book(cmd, id)
	if clustered then
		skynet.call(".globalnames", "lua", cmd, id)
	end
end

-- Returns when node id is linked to this one (at once if it is).
function harbor.connect(id)
	book("CONNECT", id)
end

-- Returns when the link to node id drops (at once if there is none).
function harbor.link(id)
	book("LINK", id)
end

-- Returns at the next drop of the link to the master.
function harbor.linkmaster()
	book("LINKMASTER")
end

return harbor
