-- bootstrap.lua -- the first Lua service: starts the node's system
-- services, then the `start` service, then ends itself (as skynet's does).
local skynet = require "skynet"
local core = require "skynet.core"

skynet.start(function()
	-- The launcher shares bootstrap's worker, so the boot log keeps the
	-- tutorial's order.
	local launcher = assert(core.launch("snlua", "launcher", -2))
	core.name(".launcher", launcher)
	-- DATACENTER is a global name: in a cluster only the master's node
	-- runs it, as skynet's does, and the other nodes reach that one.
	local clustered = (tonumber(skynet.getenv("harbor")) or 0) ~= 0
	if not clustered or skynet.getenv("standalone") then
		local dc = skynet.newservice("datacenterd")
		core.name("DATACENTER", dc)
	end
	skynet.newservice("globalnames")
	skynet.newservice("service_mgr")
	local start = skynet.getenv("start") or "main"
	local ok, err = pcall(skynet.newservice, start)
	if not ok then
		skynet.error("cannot start " .. start .. ": " .. tostring(err))
	end
	skynet.exit()
end)
