-- hmain.lua: one node of the harbor test.  It publishes its hsrv's handle
-- in the file named by the config key harbor_me, reads the other node's
-- from harbor_peer, then calls and sends to it by raw handle.  The test
-- (tests/integration/harbor.sh) reads what it logs.
local skynet = require "skynet"

local function publish(path, handle)
	local f = assert(io.open(path .. ".tmp", "w"))
	f:write(tostring(handle))
	f:close()
	assert(os.rename(path .. ".tmp", path))
end

local function peer_handle(path)
	for _ = 1, 3000 do
		local f = io.open(path)
		if f then
			local h = tonumber(f:read("a"))
			f:close()
			if h then return h end
		end
		skynet.sleep(1)
	end
	error("no handle in " .. path)
end

skynet.start(function()
	local srv = skynet.newservice("hsrv")
	publish(skynet.getenv("harbor_me"), srv)
	local peer = peer_handle(skynet.getenv("harbor_peer"))

	-- The link may still be opening: a call fails at once until it is up.
	local ok, what, who
	for _ = 1, 1000 do
		ok, what, who = pcall(skynet.call, peer, "lua", "ping")
		if ok then break end
		skynet.sleep(1)
	end
	skynet.error(string.format("REMOTE call %s: %s %s", ok and "ok" or "failed",
		tostring(what), skynet.address(who or 0)))

	-- A payload of 4 MiB each way: many frames' worth of ring and socket.
	local big = string.rep("0123456789abcdef", 4 * 65536)
	local back = skynet.call(peer, "lua", "echo", big)
	skynet.error(string.format("BIG echo %s (%d bytes)",
		back == big and "ok" or "differs", #back))

	-- The largest payload a link carries is 16 MiB (packed); one byte
	-- over, and the call fails at once, the link kept.
	local max = string.rep("x", 16 * 1024 * 1024 - 64)
	local back16 = skynet.call(peer, "lua", "echo", max)
	skynet.error(string.format("MAX echo %s (%d bytes)",
		back16 == max and "ok" or "differs", #back16))
	local over = string.rep("x", 16 * 1024 * 1024 + 1)
	local okover, errover = pcall(skynet.call, peer, "lua", "echo", over)
	skynet.error("OVER call " .. (okover and "answered?!" or "failed: " .. tostring(errover)))
	max, over, back16 = nil, nil, nil

	for i = 1, 1000 do
		skynet.send(peer, "lua", "seq", i)
	end
	skynet.error("SENT 1000")

	-- A reply made later with skynet.response, across the link.
	local later = skynet.call(peer, "lua", "later", 7)
	skynet.error("RESPONSE later " .. tostring(later))

	-- A redirect across the link: the peer's service sees our srv as the
	-- source, and answers it there.
	skynet.redirect(peer, srv, "lua", 0, skynet.pack("redir"))

	-- Node 7 is in no cluster: no link, so the call fails at once.
	local t0 = skynet.now()
	local ok7 = pcall(skynet.call, 0x07000001, "lua", "ping")
	skynet.error(string.format("NOLINK call %s after %d ticks",
		ok7 and "answered?!" or "failed", skynet.now() - t0))

	-- Given a file name, wait for the test to create it, then make a call
	-- that the other node holds: the test then kills that node.
	local go = skynet.getenv("harbor_hang")
	if go then
		while not io.open(go) do skynet.sleep(1) end
		skynet.error("HANG calling")
		local okh, err = pcall(skynet.call, peer, "lua", "hang")
		skynet.error("HANG call " .. (okh and "answered?!" or "failed: " .. tostring(err)))
	end
end)
