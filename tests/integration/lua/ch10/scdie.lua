-- Requests that wait on a server whose node dies must raise, not hang.
-- The server (scserver on port `scport`, in another node that the test
-- kills with SIGKILL) never answers "silent": two mode-2 requests and one
-- mode-1 request wait on it.  Prints "SCDIE raised <error>" for each, then
-- what a request made after the death gets.
local skynet = require "skynet"
local sc = require "skynet.socketchannel"

local port = math.tointeger(tonumber(skynet.getenv "scport"))

skynet.start(function()
	local ordered = sc.channel { host = "127.0.0.1", port = port }
	local sessions = sc.channel {
		host = "127.0.0.1", port = port,
		response = function(sock)
			local session, text = sock:readline():match("^(%d+) (.*)$")
			return tonumber(session), true, text
		end,
	}
	local raised = 0
	local function ask(ch, arg)
		local ok, err = pcall(ch.request, ch, "silent\n", arg)
		skynet.error("SCDIE " .. (ok and "returned " or "raised ") .. tostring(err))
		raised = raised + 1
		if raised == 3 then
			ok, err = pcall(ordered.request, ordered, "echo late\n", function(sock)
				return true, sock:readline()
			end)
			skynet.error("SCDIE after: " .. (ok and "returned " or "raised ") .. tostring(err))
		end
	end
	skynet.fork(ask, sessions, 1)
	skynet.fork(ask, sessions, 2)
	skynet.fork(ask, ordered, function(sock) return true, sock:readline() end)
	skynet.error("SCDIE asking")
end)
