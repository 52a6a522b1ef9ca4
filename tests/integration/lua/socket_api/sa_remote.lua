-- sa_remote.lua -- skynet.socket in a service of its own, driven by lua
-- calls from sa_main: the far end of the connections sa_main tests, and
-- the service a socket is handed to (on whatever worker sa_main put it).
-- A call ("name", args...) runs socket.name(args...) or one of the helpers
-- below and answers with what it returned; each call runs in its own
-- coroutine, so a blocked read does not stop the others.
local skynet = require "skynet"
local socket = require "skynet.socket"
local core = require "skynet.core"

local cmd = {}

function cmd.worker()
	return (core.worker())
end

-- write the lines prefix..a .. prefix..b, one write each
function cmd.lines(id, prefix, a, b)
	for i = a, b do
		socket.write(id, prefix .. i .. "\n")
	end
	return true
end

-- read lines, expecting prefix..a .. prefix..b in order: true, or false,
-- the number expected and what came instead
function cmd.expect_lines(id, prefix, a, b)
	for i = a, b do
		local l = socket.readline(id)
		if l ~= prefix .. i then
			return false, i, l
		end
	end
	return true
end

-- read n bytes and describe them as runs of one byte ("H:1024 L:3"):
-- ordering checks compare the runs.
function cmd.runs(id, n)
	local got, runs, last, count = 0, {}, nil, 0
	while got < n do
		local s = socket.read(id)
		if not s then
			break
		end
		got = got + #s
		local i = 1
		while i <= #s do
			local c = s:sub(i, i)
			local j = (s:find("[^" .. c .. "]", i) or #s + 1)
			if c == last then
				count = count + (j - i)
			else
				if last then
					runs[#runs + 1] = last .. ":" .. count
				end
				last, count = c, j - i
			end
			i = j
		end
	end
	if last then
		runs[#runs + 1] = last .. ":" .. count
	end
	return table.concat(runs, " "), got
end

-- open n connections at once to port; send each its own line and expect
-- it back upper-cased; returns how many came back right
function cmd.many(port, n, tag)
	local ok, left, done = 0, n, coroutine.running()
	for i = 1, n do
		skynet.fork(function()
			local id = socket.open("127.0.0.1", port)
			if id then
				local msg = tag .. "-" .. i
				socket.write(id, msg .. "\n")
				if socket.readline(id) == msg:upper() then
					ok = ok + 1
				end
				socket.close(id)
			end
			left = left - 1
			if left == 0 then
				skynet.wakeup(done)
			end
		end)
	end
	skynet.wait(done)
	return ok
end

-- a UDP socket that answers each datagram upper-cased, to its sender
function cmd.udp_echo(host, port)
	local id
	id = socket.udp(function(str, from)
		socket.sendto(id, from, str:upper())
	end, host, port)
	return id
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, name, ...)
		if name == "exit" then
			skynet.retpack(true)
			skynet.exit()
			return
		end
		local f = cmd[name] or socket[name]
		skynet.retpack(f(...))
	end)
end)
