-- One of many services reading the big shared table (see sd_mem.lua).
local skynet = require "skynet"
local core = require "skynet.core"
local sharedata = require "skynet.sharedata"

local t

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, i)
		if cmd == "query" then
			t = sharedata.query("big")
			local e = t[i]
			skynet.retpack(#t, e.id, e.name, e.level)
		elseif cmd == "gc" then
			collectgarbage()
			local ntrees, bytes = sharedata.info()
			skynet.retpack(core.worker(), ntrees, bytes, collectgarbage("count"))
		end
	end)
end)
