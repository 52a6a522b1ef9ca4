-- hsrv.lua: the service each node of the harbor test offers to the other
-- node: answers "ping", "echo" and (later, with skynet.response) "later",
-- answers a redirected "redir" at its source, checks the order of "seq" sends, and holds a
-- "hang" call unanswered (the caller's node is then killed, or its call
-- fails when this node is).
local skynet = require "skynet"

local expect = 1

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd, n)
		if cmd == "echo" then
			skynet.ret(skynet.pack(n))
		elseif cmd == "ping" then
			skynet.ret(skynet.pack("pong", skynet.self()))
		elseif cmd == "seq" then
			if n ~= expect then
				skynet.error(string.format("SEQ out of order: got %d, wanted %d", n, expect))
			end
			expect = n + 1
			if n == 1000 then
				skynet.error("SEQ 1000 in order from " .. skynet.address(source))
			end
		elseif cmd == "later" then
			local reply = skynet.response()
			skynet.fork(function()
				skynet.sleep(5)
				reply(true, n * 2)
			end)
		elseif cmd == "redir" then
			skynet.error("REDIR got from " .. skynet.address(source))
			skynet.send(source, "lua", "redir_ack")
		elseif cmd == "redir_ack" then
			skynet.error("REDIR ack from " .. skynet.address(source))
		elseif cmd == "hang" then
			skynet.error("HANG held")
			skynet.wait()
		end
	end)
end)
