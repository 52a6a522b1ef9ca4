-- What the socket core promises beyond the tutorial: a service that ends
-- has its sockets closed; an abandoned socket survives its old owner and
-- its unread bytes reach the next owner first; many connections at once;
-- a large transfer.  Clients are sockets of this same node (real TCP on
-- 127.0.0.1).  Prints "SC <check> ok|FAIL ..." and stops the node.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function check(name, ok, detail)
	skynet.error(string.format("SC %s %s%s", name, ok and "ok" or "FAIL",
	             ok and "" or (" " .. tostring(detail))))
end

local port = tonumber(skynet.getenv "sc_port")
local mode -- what the accept callback does with the next connection

skynet.start(function()
	local lid = socket.listen("127.0.0.1", port)
	socket.start(lid, function(id)
		if mode == "exit" then
			skynet.newservice("sc_agent", id, "exit")
		elseif mode == "abandon" then
			local first = skynet.newservice("sc_agent", id, "abandon")
			-- the first agent read 5 bytes, abandoned the socket and ended
			skynet.call(first, "lua", "wait")
			skynet.newservice("sc_agent", id, "echo")
		else
			skynet.newservice("sc_agent", id, "echo")
		end
	end)

	-- S9.1-close: an agent that exits without closing still closes.
	mode = "exit"
	local c = assert(socket.open("127.0.0.1", port))
	socket.write(c, "ping\n")
	local reply = socket.readline(c)
	local rest = socket.read(c)
	check("exit_closes", reply == "PING" and rest == false,
	      tostring(reply) .. " " .. tostring(rest))
	socket.close(c)

	-- S9.1-abandon: bytes the first owner read but did not use, and bytes
	-- sent while nobody owned the socket, reach the next owner in order.
	mode = "abandon"
	c = assert(socket.open("127.0.0.1", port))
	socket.write(c, "hello world\nsecond line\n")
	reply = socket.readline(c)
	check("abandon_first", reply == "HELLO", reply)
	local got = { socket.readline(c), socket.readline(c) }
	socket.write(c, "third\n")
	got[3] = socket.readline(c)
	check("abandon_keeps_data", got[1] == " WORLD" and got[2] == "SECOND LINE"
	      and got[3] == "THIRD", table.concat(got, "|"))
	socket.close(c)

	-- Many connections at once, each echoed.
	mode = "echo"
	local n, ok = 300, 0
	local ids = {}
	for i = 1, n do ids[i] = assert(socket.open("127.0.0.1", port)) end
	for i = 1, n do socket.write(ids[i], "n" .. i .. "\n") end
	for i = 1, n do
		if socket.readline(ids[i]) == "N" .. i then ok = ok + 1 end
		socket.close(ids[i])
	end
	check("many", ok == n, ok .. "/" .. n)

	-- 4 MiB through an agent (maybe on another worker) and back.
	c = assert(socket.open("127.0.0.1", port))
	local line = string.rep("abcdefghij", 99) .. "\n"
	local lines = 4200
	skynet.fork(function()
		for _ = 1, lines do socket.write(c, line) end
	end)
	local good = 0
	local want = line:upper():sub(1, -2)
	for _ = 1, lines do
		if socket.readline(c) == want then good = good + 1 end
	end
	check("big", good == lines, good .. "/" .. lines)
	socket.close(c)

	-- An id nobody has is refused, not fatal.
	check("bad_id", socket.write(987654, "x") == false and
	      socket.start(987654) == nil, "write/start on a bad id")
	skynet.error("SC done")
	skynet.abort()
end)
