-- skynet.socketchannel beyond the tutorial's examples, against scserver
-- (a line server in this node) on real sockets: both modes, replies that
-- are refused or fail to parse, drops while requests wait and while idle,
-- reconnect, the auth step on each connect, close, connect retries,
-- backups, a host name, and closing when the owning service exits.
-- Prints "SC ok <what>" / "SC FAIL <what>", then "SC done".
-- Config keys: scport, scport2 (free ports), scport3 (nothing listens).
local skynet = require "skynet"
local sc = require "skynet.socketchannel"

local mode = ...
local port = math.tointeger(tonumber(skynet.getenv "scport"))
local port2 = math.tointeger(tonumber(skynet.getenv "scport2"))
local port3 = math.tointeger(tonumber(skynet.getenv "scport3"))

local function line(sock)
	return true, sock:readline()
end

if mode == "client" then
	-- S10.1-autoclose: connects, asks once, and exits without closing.
	skynet.start(function()
		local ch = sc.channel { host = "127.0.0.1", port = port }
		skynet.error("scclient got " .. ch:request("echo bye\n", line))
		skynet.exit()
	end)
	return
end

local function check(cond, what)
	skynet.error((cond and "SC ok " or "SC FAIL ") .. what)
end

local function wait_for(f)
	for _ = 1, 1000 do
		if f() then
			return true
		end
		skynet.sleep(1)
	end
	return false
end

local server

-- `n` mode-1 requests "echo <prefix>i" at once, each in its coroutine:
-- did each get its own reply?  And what they got.
local function echo_all(ch, n, prefix)
	local got, done = {}, 0
	for i = 1, n do
		skynet.fork(function()
			local ok, v = pcall(ch.request, ch, "echo " .. prefix .. i .. "\n", line)
			got[i] = ok and v or tostring(v)
			done = done + 1
		end)
	end
	local good = wait_for(function() return done == n end)
	for i = 1, n do
		good = good and got[i] == "ECHO " .. prefix .. i
	end
	return good, table.concat(got, ",")
end

local function stats(s)
	return skynet.call(s or server, "lua", "stats")
end

-- the server has read `n` more "silent" lines than when last asked
local silent_seen = 0
local function silent_reaches(n)
	silent_seen = silent_seen + n
	return wait_for(function()
		local _, _, _, silent = stats()
		return silent >= silent_seen
	end)
end

-- the server has seen `n` connections closed (it notices a hang-up by
-- reading, so this is after the fact, whatever the timing)
local function closed_reaches(n, s)
	return wait_for(function()
		local _, c = stats(s)
		return c >= n
	end)
end

local function ordered()   -- S10.1-request-mode1
	local ch = sc.channel { host = "127.0.0.1", port = port }
	local a0 = stats()
	check(ch:request("echo a\n", line) == "ECHO a", "mode 1: request returns the response's value")
	check(ch:request("echo b\n", line) == "ECHO b", "mode 1: second request on the same connection")
	-- several coroutines at once: each gets the reply to its own request
	local good, got = echo_all(ch, 5, "")
	check(good, "mode 1: 5 concurrent requests each get their own reply (" .. got .. ")")
	-- a request without a response function is only sent
	ch:request("echo nobody\n")
	check(ch:request("echo c\n", function(sock)
		local first = sock:readline()
		return first == "ECHO nobody", sock:readline()
	end) == "ECHO c", "mode 1: request without response sends only; a response may read several lines")
	check(stats() == a0 + 1, "mode 1: one connection for all of it")
	ch:close()
	check(closed_reaches(1), "close(): the server sees the connection end")
end

local function refused()   -- S10.1-response-false
	local ch = sc.channel { host = "127.0.0.1", port = port }
	local a0, c0 = stats()
	local ok, err = pcall(ch.request, ch, "bad\n", function(sock)
		local r = sock:readline()
		return r:sub(1, 5) == "ECHO ", r
	end)
	check(not ok and err == "garbage", "response returning false: request raises the value (" .. tostring(err) .. ")")
	check(closed_reaches(c0 + 1), "response returning false: the connection is closed")
	check(ch:request("echo again\n", line) == "ECHO again", "after a refused reply the next request reconnects")
	check(stats() == a0 + 2, "  ... on a new connection")
	-- an error inside the response function reaches the caller too
	local _, c1 = stats()
	ok, err = pcall(ch.request, ch, "echo x\n", function(sock)
		sock:readline()
		error("boom")
	end)
	check(not ok and tostring(err):find("boom", 1, true), "an error in response is raised in the caller (" .. tostring(err) .. ")")
	check(closed_reaches(c1 + 1), "  ... and the connection is closed")
	check(ch:request("echo y\n", line) == "ECHO y", "  ... and the next request reconnects")
	ch:close()
end

local function dropped()
	local ch = sc.channel { host = "127.0.0.1", port = port }
	local a0 = stats()
	check(ch:request("echo 1\n", line) == "ECHO 1", "drop: first request")
	-- the server hangs up while the request waits for its reply
	local ok, err = pcall(ch.request, ch, "drop\n", line)
	check(not ok and err == sc.error, "drop: the waiting request raises sc.error (" .. tostring(err) .. ")")
	check(ch:request("echo 2\n", line) == "ECHO 2", "drop: the next request reconnects")
	check(stats() == a0 + 2, "drop: two connections in all")
	-- the server hangs up while nobody waits: a later request notices
	-- the old connection is gone and makes a new one.  The hang-up may
	-- cross that request's write on the wire, in which case it raises
	-- once; the one after must work.
	local _, c1 = stats()
	check(ch:request("bye\n", line) == "BYE", "idle drop: reply before the hang-up")
	closed_reaches(c1 + 1)
	local r
	for _ = 1, 2 do
		local good, v = pcall(ch.request, ch, "echo 3\n", line)
		if good then
			r = v
			break
		end
		check(v == sc.error, "idle drop: a request that crossed the hang-up raised sc.error")
	end
	check(r == "ECHO 3", "idle drop: a later request reconnects")
	ch:close()
end

local function authed()
	local aserver = skynet.newservice("scserver", port2, "auth")
	local calls = 0
	local ch
	ch = sc.channel {
		host = "127.0.0.1", port = port2,
		auth = function(c)
			calls = calls + 1
			local r = c:request("auth " .. calls .. "\n", line)
			assert(r == "AUTH " .. calls .. " OK", r)
		end,
	}
	check(ch:request("echo 1\n", line) == "ECHO 1", "auth: runs before the first request")
	check(calls == 1, "auth: called once for the first connection")
	local ok, err = pcall(ch.request, ch, "drop\n", line)
	check(not ok and err == sc.error, "auth: a waiting request raises when the server drops")
	-- several requests at once after the drop: one reconnects, all wait
	-- for auth, none reaches the server before it
	local good, got = echo_all(ch, 4, "r")
	check(good, "auth: 4 requests after a reconnect all pass after auth (" .. got .. ")")
	check(calls == 2, "auth: called again on reconnect (" .. calls .. " calls)")
	local accepted, _, auths = stats(aserver)
	check(accepted == 2 and auths == 2, "auth: the server saw 2 connections and 2 auth lines")
	-- an auth that fails: the request raises, the failure is logged
	local bad = sc.channel {
		host = "127.0.0.1", port = port2,
		auth = function(c)
			local r = c:request("echo before auth\n", line)
			assert(r ~= "NOAUTH", "refused by the server")
		end,
	}
	ok, err = pcall(bad.request, bad, "echo never\n", line)
	check(not ok and tostring(err):find("auth failed", 1, true), "auth failing: request raises (" .. tostring(err) .. ")")
	ch:close()
	bad:close()
end

local function sessions()   -- S10.2-channel-mode2
	local ch = sc.channel {
		host = "127.0.0.1", port = port,
		response = function(sock)
			local r = sock:readline()
			local session, text = r:match("^(%d+) (.*)$")
			assert(session, "not a session reply: " .. r)
			if text:sub(1, 1) == "!" then
				return tonumber(session), false, text:sub(2)
			end
			return tonumber(session), true, text
		end,
	}
	local a0, c1 = stats()
	local got, order = {}, {}
	for i = 0, 2 do
		skynet.fork(function()
			got[i] = ch:request("ses " .. i .. "\n", i)
			order[#order + 1] = i
		end)
	end
	wait_for(function() return #order == 3 end)
	check(got[0] == "ses-0" and got[1] == "ses-1" and got[2] == "ses-2",
		"mode 2: each request gets the reply with its session")
	check(table.concat(order, ",") == "2,1,0", "mode 2: replies came out of order (" .. table.concat(order, ",") .. ")")
	local ok, err = pcall(ch.request, ch, "fail 7\n", 7)
	check(not ok and err == "nope", "mode 2: ok = false raises the content (" .. tostring(err) .. ")")
	check(ch:request("echo same\n") == nil, "mode 2: request without session only sends")
	-- "echo same" gets "ECHO same", which dispatch refuses: the channel
	-- drops that connection; the next request reconnects
	check(stats() == a0 + 1, "mode 2: one connection so far")
	closed_reaches(c1 + 1)
	local r
	for _ = 1, 2 do
		local good, v = pcall(ch.request, ch, "fail 8\n", 8)
		r = v
		if v == "nope" then break end
		check(not good, "mode 2: a request that crossed the bad reply raised")
	end
	check(r == "nope", "mode 2: after a bad reply the next request reconnects")
	-- a dispatch error while requests wait: all of them raise
	local raised = 0
	for i = 20, 21 do
		skynet.fork(function()
			local good = pcall(ch.request, ch, "silent\n", i)
			if not good then raised = raised + 1 end
		end)
	end
	silent_reaches(2)
	pcall(ch.request, ch, "garble\n", 22)
	check(wait_for(function() return raised == 2 end), "mode 2: a reply that fails to parse fails every waiting request")
	ch:close()
end

local function closing()
	local ch = sc.channel { host = "127.0.0.1", port = port }
	check(ch:request("echo open\n", line) == "ECHO open", "close: connected")
	local err
	skynet.fork(function()
		local ok, e = pcall(ch.request, ch, "silent\n", line)
		err = ok and "returned" or e
	end)
	silent_reaches(1)
	ch:close()
	wait_for(function() return err ~= nil end)
	check(err == sc.error, "close: a waiting request raises (" .. tostring(err) .. ")")
	local ok, e = pcall(ch.request, ch, "echo after\n", line)
	check(not ok and tostring(e):find("closed", 1, true), "close: later requests raise (" .. tostring(e) .. ")")
	check(ch:connect(true) == true, "connect(true) reopens a closed channel")
	check(ch:request("echo reopened\n", line) == "ECHO reopened", "  ... and requests work again")
	ch:close()
end

local function connecting()
	-- nothing listens on port3
	local ch = sc.channel { host = "127.0.0.1", port = port3 }
	local ok, err = pcall(ch.request, ch, "echo x\n", line)
	check(not ok and tostring(err):find("connect to 127.0.0.1:" .. port3 .. " failed", 1, true),
		"connect failure: request raises (" .. tostring(err) .. ")")
	ok, err = pcall(ch.connect, ch, true)
	check(not ok, "connect(true) raises when nothing listens")
	-- backup: the main address is down, the backup answers
	local bk = sc.channel { host = "127.0.0.1", port = port3, backup = { "127.0.0.1:" .. port } }
	check(bk:request("echo backup\n", line) == "ECHO backup", "backup: used when the main host refuses")
	bk:close()
	-- a host name (S10.1-channel-mode1: host may be a domain)
	local byname = sc.channel { host = "localhost", port = port }
	local good, r = pcall(byname.request, byname, "echo name\n", line)
	check(good and r == "ECHO name", "host given by name (" .. tostring(r) .. ")")
	byname:close()
	-- connect() without once keeps trying until a server comes up
	local later = sc.channel { host = "127.0.0.1", port = port3, nodelay = true }
	local connected = false
	skynet.fork(function()
		later:connect()
		connected = true
	end)
	skynet.sleep(150)
	check(not connected, "connect(): still trying while nothing listens")
	local s3 = skynet.newservice("scserver", port3)
	check(wait_for(function() return connected end), "connect(): connected once a server listens")
	check(later:request("echo late\n", line) == "ECHO late", "  ... and requests work")
	later:close()
	skynet.kill(s3)
end

local function overloaded()   -- overload = callback
	local seen -- overload(true) was called (false may follow quickly,
	           -- once the server reads again)
	local ch = sc.channel {
		host = "127.0.0.1", port = port,
		overload = function(v) seen = seen or v end,
	}
	ch:request("stall\n")   -- the server stops reading for a while
	local mb = string.rep("x", (1 << 20) - 1) .. "\n"
	for _ = 1, 32 do
		ch:request(mb)
	end
	check(wait_for(function() return seen == true end), "overload(true) when megabytes wait to be sent")
	-- close lets the queue go out once the server reads again
	ch:close()
	check(ch:connect(true) and ch:request("echo after\n", line) == "ECHO after", "  ... and the channel works after")
	ch:close()
end

local function autoclose()   -- S10.1-autoclose
	local _, c0 = stats()
	skynet.newservice("sctest", "client")
	check(closed_reaches(c0 + 1), "a channel closes when its service exits")
end

skynet.start(function()
	server = skynet.newservice("scserver", port)
	for _, t in ipairs { ordered, refused, dropped, authed, sessions, closing, connecting, overloaded, autoclose } do
		local ok, err = xpcall(t, debug.traceback)
		if not ok then
			check(false, "test raised: " .. tostring(err))
		end
	end
	skynet.error("SC done")
end)
