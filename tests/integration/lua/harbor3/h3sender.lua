-- h3sender.lua: sends `total` numbered messages to each handle it is
-- given, interleaved, as fast as it can (the order-under-load check of
-- tests/integration/harbor3.sh; the receivers check the order per sender).
local skynet = require "skynet"

local total, peers = ...
total = tonumber(total)

skynet.start(function()
	local to = {}
	for h in peers:gmatch("%d+") do to[#to + 1] = tonumber(h) end
	for i = 1, total do
		for _, h in ipairs(to) do
			skynet.send(h, "lua", "seq", i, total)
		end
	end
	skynet.error(string.format("SENDER sent %d to %d services", total, #to))
end)
