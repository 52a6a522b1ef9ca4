-- badmain.lua: the master's node in harbor_names_bad.sh.  It binds gecho,
-- then waits for the name a hand-written node registers after its bad
-- messages, and for a last name of its own bound after all that.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

skynet.start(function()
	local g = skynet.newservice("gsrv")
	skynet.name("gecho", g)
	skynet.error("BAD gecho = " .. skynet.address(g))
	skynet.error("BAD fromfake = " .. skynet.address(harbor.queryname("fromfake")))
	skynet.error("BAD gecho still = " .. skynet.address(harbor.queryname("gecho")))
	skynet.error("BAD call: " .. skynet.call("gecho", "lua", "still here"))
end)
