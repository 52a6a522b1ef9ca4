-- h3srv.lua: the service each node of the 3-node harbor test offers to
-- the others (tests/integration/harbor3.sh).  It answers "ping", logs
-- "note" sends with the node their source is on, checks the order of "seq"
-- sends per source, and holds "hold" calls unanswered so that they are
-- waiting when a link drops.
local skynet = require "skynet"

local expect = {}   -- source -> next seq wanted
local broken = {}   -- source -> true once out of order

local function node_of(h)
	return h >> 24
end

local function seq(source, i, total)
	local want = expect[source] or 1
	if i ~= want and not broken[source] then
		broken[source] = true
		skynet.error(string.format("ORDER out of order from %s: got %d, wanted %d",
			skynet.address(source), i, want))
	end
	expect[source] = i + 1
	if i == total and not broken[source] then
		skynet.error(string.format("ORDER %d in order from %s", total,
			skynet.address(source)))
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd, a, b)
		if cmd == "ping" then
			skynet.ret(skynet.pack("pong", skynet.self()))
		elseif cmd == "note" then
			skynet.error(string.format("NOTE from node %d (source %s)", a,
				skynet.address(source)))
		elseif cmd == "seq" then
			seq(source, a, b)
		elseif cmd == "hold" then
			skynet.error(string.format("HOLD %s from node %d", a, node_of(source)))
			skynet.wait()
		end
	end)
end)
