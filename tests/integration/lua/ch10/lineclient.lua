-- A client for the client runner (tools/client/actord-lua), written as
-- the tutorial writes its clients: `package.cpath = "luaclib/?.so"`, then
-- client.socket.  Sends each line typed on stdin to scserver and prints
-- each line that comes back, until the server hangs up; then a 300 KB
-- line, on a second connection, to see long sends and receives whole.
--   actord-lua lineclient.lua PORT CLOSEDPORT
package.cpath = "luaclib/?.so"

local socket = require "client.socket"

local port, closed = tonumber(arg[1]), tonumber(arg[2])

local ok, err = pcall(socket.connect, "127.0.0.1", closed)
print("connect to a closed port:", ok, err)

local fd = assert(socket.connect("127.0.0.1", port))
local last = ""
local stdin_lines = 0
while true do
	local text = socket.readstdin()
	if text then
		stdin_lines = stdin_lines + 1
		print("stdin:", text)
		socket.send(fd, text .. "\n")
	end
	local r = socket.recv(fd)
	if r == "" then
		print("server closed")
		break
	end
	if r then
		last = last .. r
		for l in last:gmatch("([^\n]*)\n") do
			print("reply:", l)
		end
		last = last:match("[^\n]*$")
	end
	socket.usleep(1000)
end
socket.close(fd)
print("stdin lines:", stdin_lines, "after end of input:", tostring(socket.readstdin()))

-- a long line both ways
fd = assert(socket.connect("localhost", port))
local big = string.rep("0123456789", 30000)
socket.send(fd, "echo " .. big .. "\n")
local got = ""
while not got:find("\n", 1, true) do
	local r = socket.recv(fd)
	assert(r ~= "", "server closed early")
	if r then got = got .. r else socket.usleep(1000) end
end
print("long reply:", #got, got == "ECHO " .. big .. "\n")
socket.close(fd)
