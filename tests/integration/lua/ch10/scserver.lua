-- A line server for the socketchannel tests: each line asks for one
-- behaviour, so a test can make the server answer, refuse, hold, reorder,
-- stay silent or hang up at the moment it needs.
--
--   echo X   -> "ECHO X"                 auth N -> "AUTH N OK"
--   bad      -> "garbage"                bye    -> "BYE", then hang up
--   drop     -> hang up, no answer       silent -> no answer, ever
--   ses N    -> held; once 3 are held: "99 stray", then "N ses-N" for each,
--               newest first (mode 2: answers out of order)
--   fail N   -> "N !nope"                garble -> "xx"
--   stall    -> stop reading this connection for 3 s
--
-- `scserver PORT auth`: a line other than "auth N" before the first auth
-- of a connection gets "NOAUTH".  A lua "stats" call returns the number
-- of connections accepted and closed, of auth lines and of silent lines.
local skynet = require "skynet"
local socket = require "skynet.socket"

local port, mode = ...
-- as a node's `start` service it has no arguments: the port is in the config
port = math.tointeger(tonumber(port or skynet.getenv "scport"))
local accepted, closed, auths, silent = 0, 0, 0, 0

local function serve(id, addr)
	socket.start(id)
	local authed = mode ~= "auth"
	local held = {}
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		skynet.error("scserver line: " .. line)
		local cmd, arg = line:match("^(%S+)%s*(.*)$")
		if cmd == "auth" then
			authed = true
			auths = auths + 1
			socket.write(id, "AUTH " .. arg .. " OK\n")
		elseif not authed then
			socket.write(id, "NOAUTH\n")
		elseif cmd == "echo" then
			socket.write(id, "ECHO " .. arg .. "\n")
		elseif cmd == "bad" then
			socket.write(id, "garbage\n")
		elseif cmd == "bye" then
			socket.write(id, "BYE\n")
			break
		elseif cmd == "drop" then
			break
		elseif cmd == "ses" then
			held[#held + 1] = arg
			if #held == 3 then
				local out = { "99 stray\n" }
				for i = #held, 1, -1 do
					out[#out + 1] = held[i] .. " ses-" .. held[i] .. "\n"
				end
				socket.write(id, table.concat(out))
				held = {}
			end
		elseif cmd == "fail" then
			socket.write(id, arg .. " !nope\n")
		elseif cmd == "garble" then
			socket.write(id, "xx\n")
		elseif cmd == "stall" then
			skynet.sleep(300)
		elseif cmd == "silent" then
			silent = silent + 1
		end
		-- anything else: no answer
	end
	socket.close(id)
	closed = closed + 1
	skynet.error("scserver disconnect " .. addr)
end

skynet.start(function()
	local lid = assert(socket.listen("127.0.0.1", port))
	socket.start(lid, function(id, addr)
		accepted = accepted + 1
		skynet.error("scserver accepted " .. addr)
		skynet.fork(serve, id, addr)
	end)
	skynet.error("scserver listen " .. port)
	skynet.dispatch("lua", function(_, _, cmd)
		assert(cmd == "stats")
		skynet.retpack(accepted, closed, auths, silent)
	end)
end)
