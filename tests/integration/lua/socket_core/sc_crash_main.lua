-- Starts sc_crash on worker 1 and an "alive" server on worker 0, which
-- must keep answering after worker 1 is killed (socket_core.sh).
local skynet = require "skynet"

skynet.start(function()
	skynet.newservice_on(0, "sc_crash", "alive")
	skynet.newservice_on(1, "sc_crash", "victim")
end)
