-- sa_main.lua -- skynet.socket's semantics (S9.1), each asserted on real
-- sockets on 127.0.0.1.  The far ends are sa_remote services (placed by
-- the node's placement; the ones a socket is handed to are put on another
-- worker on purpose) and, for the peer that never reads, the test script.
-- Prints "SA ok <what>" or "SA FAIL <what>" per check, "SA need ..." when
-- the script must act, and "SA done <ok> <failed>" at the end.
--
-- Ports (config key sa_port = P): P listener under test (backlog 7), P+1
-- upper-case line echo, P+2 and P+6 the script's non-reading peers, P+3
-- and P+4 UDP, P+5 a port nobody listens on, P+7 the script's peer for
-- the lwrite order, P+8 IPv6, P+9 the script's go.  Needs this folder on
-- lua_path too (for the sa_echo module).
local skynet = require "skynet"
local socket = require "skynet.socket"
local core = require "skynet.core"

local P = math.tointeger(tonumber(skynet.getenv("sa_port")))
local nok, nfail = 0, 0

local function check(cond, what, ...)
	if cond then
		nok = nok + 1
		skynet.error("SA ok " .. what)
	else
		nfail = nfail + 1
		local why = {}
		for i = 1, select("#", ...) do
			why[#why + 1] = string.format("%q", tostring(select(i, ...))):sub(1, 200)
		end
		skynet.error("SA FAIL " .. what .. (#why > 0 and " -- got " .. table.concat(why, ", ") or ""))
	end
	return cond
end

-- config key sa_only = "read close": run only these (and listen), to
-- look into one failure
local only = skynet.getenv("sa_only")

local function test(name, f)
	if only and name ~= "listen" and not (" " .. only .. " "):find(" " .. name .. " ", 1, true) then
		return
	end
	skynet.error("SA test " .. name)
	local ok, err = xpcall(f, debug.traceback)
	if not ok then
		check(false, name .. " raised: " .. tostring(err))
	end
end

-- spawn(f, ...): run f in its own coroutine; join(st) waits for its results
local function spawn(f, ...)
	local st = { done = false }
	local args = table.pack(...)
	skynet.fork(function()
		st.res = table.pack(f(table.unpack(args, 1, args.n)))
		st.done = true
		if st.waiter then
			skynet.wakeup(st.waiter)
		end
	end)
	return st
end

local function join(st)
	if not st.done then
		st.waiter = coroutine.running()
		skynet.wait(st.waiter)
	end
	return table.unpack(st.res, 1, st.res.n)
end

-- Give in-flight bytes time to arrive before a check that something did
-- NOT happen.  Such a check can miss a bug on a slow run, never fail on a
-- correct one.
local function settle()
	skynet.sleep(20)
end

-- wait_until(f): poll f every 10 ms for up to 10 s (a bound for liveness
-- checks only: a correct node answers in milliseconds)
local function wait_until(f)
	for _ = 1, 1000 do
		if f() then
			return true
		end
		skynet.sleep(1)
	end
	return false
end

---------------------------------------------------------------------------
-- the listener under test: accepted sockets queue up for pair()

local accepted = {}
local accept_waiter

local function next_accept()
	while #accepted == 0 do
		accept_waiter = coroutine.running()
		skynet.wait(accept_waiter)
		accept_waiter = nil
	end
	return table.unpack(table.remove(accepted, 1))
end

local peer                   -- an sa_remote, placed by the node's placement
local function call(who, ...)
	return skynet.call(who, "lua", ...)
end

-- pair(): a connection from the peer to our listener.  Returns our id
-- (accepted, not started), the peer's id (open) and the address we saw.
local function pair(who)
	local pid = call(who or peer, "open", "127.0.0.1", P)
	assert(pid, "peer could not connect")
	local sid, addr = next_accept()
	return sid, pid, addr
end

local function start_pair(who)
	local sid, pid, addr = pair(who)
	assert(socket.start(sid) == sid)
	return sid, pid, addr
end

-- an upper-case line echo, one coroutine per connection (as 9.3's server)
local echo = require "sa_echo"

-- script_peer(port, what): ask the script for a connection ("SA need
-- <what> <port>"); returns it, started, and the listener
local function script_peer(port, what)
	local W = socket.listen("127.0.0.1", port)
	local co, id = coroutine.running()
	socket.start(W, function(i)
		id = i
		skynet.wakeup(co)
	end)
	skynet.error("SA need " .. what .. " " .. port)
	skynet.wait(co)
	socket.start(id)
	return id, W
end

---------------------------------------------------------------------------

local L, E                   -- the two listeners the checks share

local function listen_checks()
	-- S9.1-listen: host, port, backlog (the script reads the backlog back
	-- with ss); "ip:port"; a port already in use raises, nothing else
	L = socket.listen("127.0.0.1", P, 7)
	check(math.type(L) == "integer", "listen(host, port, backlog) returns an id", L)
	socket.start(L, function(id, addr)
		accepted[#accepted + 1] = { id, addr }
		if accept_waiter then
			skynet.wakeup(accept_waiter)
		end
	end)
	E = socket.listen("127.0.0.1:" .. (P + 1))
	check(math.type(E) == "integer" and E ~= L, "listen(\"ip:port\") returns another id", E)
	socket.start(E, function(id)
		skynet.fork(echo, id)
	end)
	local ok, err = pcall(socket.listen, "127.0.0.1", P)
	check(not ok, "listen on a port in use fails", ok, err)
	if ok and err then
		socket.close(err)
	end
	skynet.error("SA listening " .. P .. " backlog 7")
end

local function open_checks()
	-- S9.1-open: both address forms; usable without start
	local a = socket.open("127.0.0.1", P + 1)
	local b = socket.open("127.0.0.1:" .. (P + 1))
	check(a and b and a ~= b, "open(host, port) and open(\"ip:port\") connect", a, b)
	socket.write(a, "one\n")
	socket.write(b, "two\n")
	check(socket.readline(a) == "ONE" and socket.readline(b) == "TWO",
		"an opened socket reads and writes without start")
	socket.close(a)
	socket.close(b)
	check(socket.invalid(a), "invalid(id) after close")

	-- a closed port: open fails with a value, not an error, and soon
	local st = spawn(function() return pcall(socket.open, "127.0.0.1", P + 5) end)
	check(wait_until(function() return st.done end), "open to a closed port returns")
	local okc, id = join(st)
	check(okc and not id, "open to a closed port gives no id", okc, id)

	-- malformed addresses: no id, and a reason naming the address
	for _, bad in ipairs { "127.0.0.1", "127.0.0.1:", "127.0.0.1:x1", "127.0.0.1:99999",
	                       "127.0.0.1:-1", ":" .. (P + 1) } do
		local okb, idb, why = pcall(socket.open, bad)
		check(okb and idb == nil and tostring(why):find("invalid address", 1, true),
			"open(\"" .. bad .. "\") refused", okb, idb, why)
	end
	local okl = pcall(socket.listen, "127.0.0.1:port")
	check(not okl, "listen(\"127.0.0.1:port\") raises")

	-- a host name, as socketchannel's host may be (S10.1)
	local h = socket.open("localhost", P + 1)
	check(h, "open(\"localhost\", port) connects", h)
	if h then
		socket.write(h, "name\n")
		check(socket.readline(h) == "NAME", "and talks")
		socket.close(h)
	end

	-- IPv6 loopback, where the machine has it
	local f = io.open("/proc/net/if_inet6")
	local v6 = f and f:read("a"):match("0+1 %x+ %x+ %x+ %x+%s+lo")
	if f then
		f:close()
	end
	if v6 then
		local L6 = socket.listen("::1", P + 8)
		local from
		socket.start(L6, function(id, a)
			from = a
			skynet.fork(echo, id)
		end)
		local c6 = socket.open("::1", P + 8)
		check(c6, "open(\"::1\", port) connects", c6)
		local b6 = socket.open("[::1]:" .. (P + 8))
		check(b6, "open(\"[::1]:port\") connects", b6)
		if b6 then socket.close(b6) end
		if c6 then
			socket.write(c6, "six\n")
			check(socket.readline(c6) == "SIX", "IPv6 echo")
			check(type(from) == "string" and from:find("::1", 1, true), "IPv6 peer address", from)
			socket.close(c6)
		end
		socket.close(L6)
	else
		skynet.error("SA skipped 4 checks: no IPv6 loopback here")
	end

	-- the accept callback's address
	local sid, pid, addr = pair()
	check(type(addr) == "string" and addr:match("^127%.0%.0%.1:%d+$"), "accept gives \"ip:port\"", addr)
	call(peer, "close", pid)
	socket.close(sid)        -- never started: close alone frees it
end

local function read_checks()
	-- S9.1-read: exactly sz bytes
	local sid, pid = start_pair()
	call(peer, "write", pid, "0123456789")
	local r1, r2 = socket.read(sid, 4), socket.read(sid, 6)
	check(r1 == "0123" and r2 == "456789", "read(id, sz) returns exactly sz bytes", r1, r2)

	-- sz bytes arriving in two writes: the read waits for the second
	local st = spawn(socket.read, sid, 6)
	call(peer, "write", pid, "abc")
	settle()
	check(not st.done, "read(id, 6) waits while only 3 bytes came")
	call(peer, "write", pid, "defg")
	local r = join(st)
	check(r == "abcdef", "read(id, 6) across two writes", r)
	check(socket.read(sid, 1) == "g", "the rest stays for the next read")

	-- sz nil: whatever is there, at least one byte, blocking if none
	st = spawn(socket.read, sid)
	settle()
	check(not st.done, "read(id) blocks while nothing came")
	call(peer, "write", pid, "hello")
	local got = join(st)
	check(type(got) == "string" and #got >= 1 and ("hello"):sub(1, #got) == got,
		"read(id) returns what came", got)
	while #got < 5 do
		got = got .. socket.read(sid)
	end
	check(got == "hello", "read(id) loses nothing", got)

	-- binary safe: every byte value, in a 1 MiB message
	local t = {}
	for i = 0, 255 do
		t[#t + 1] = string.char(i)
	end
	local all = table.concat(t):rep(4096)
	call(peer, "write", pid, all)
	local back = socket.read(sid, #all)
	check(back == all, "1 MiB of all 256 byte values arrive intact")

	-- S9.1-read on close: false and what came before it
	call(peer, "write", pid, "partial")
	call(peer, "close", pid)
	local ok, part = socket.read(sid, 100)
	check(ok == false and part == "partial", "read(id, sz) at close: false + partial data", ok, part)
	local ok2 = socket.read(sid)
	check(ok2 == false, "read(id) after close: false", ok2)
	check(socket.disconnected(sid), "disconnected(id) after the peer left")
	socket.close(sid)

	-- data written just before the close is all delivered first
	sid, pid = start_pair()
	call(peer, "write", pid, "xyz")
	call(peer, "close", pid)
	local a, b = socket.read(sid), socket.read(sid)
	check(a == "xyz" and b == false, "read(id): data, then false at close", a, b)
	socket.close(sid)
end

local function readline_checks()
	-- S9.1-readline: default "\n" stripped; "\r" is kept; nil + rest at close
	local sid, pid = start_pair()
	call(peer, "write", pid, "l1\nl2\r\n\nl3")
	local a, b, c = socket.readline(sid), socket.readline(sid), socket.readline(sid)
	check(a == "l1" and b == "l2\r" and c == "", "readline() splits on \\n only", a, b, c)
	local st = spawn(socket.readline, sid)
	settle()
	check(not st.done, "readline waits for the separator")
	call(peer, "close", pid)
	local l, rest = join(st)
	check(not l and rest == "l3", "readline at close: nil + the unread rest", l, rest)
	local l2, rest2 = socket.readline(sid)
	check(not l2 and (rest2 == nil or rest2 == ""), "readline after that: nil, nothing left", l2, rest2)
	socket.close(sid)

	-- a custom separator, split across writes
	sid, pid = start_pair()
	call(peer, "write", pid, "a||b|")
	check(socket.readline(sid, "||") == "a", "readline(id, \"||\") first line")
	st = spawn(socket.readline, sid, "||")
	settle()
	check(not st.done, "readline(id, \"||\") does not stop at half a separator")
	call(peer, "write", pid, "|c\r\nd\r\n")
	local bb = join(st)
	local cc, dd = socket.readline(sid, "\r\n"), socket.readline(sid, "\r\n")
	check(bb == "b" and cc == "c" and dd == "d", "separators \"||\" then \"\\r\\n\"", bb, cc, dd)
	call(peer, "close", pid)
	local none, left = socket.readline(sid)
	check(not none and (left == nil or left == ""), "readline at close with nothing unread", none, left)
	socket.close(sid)

	-- limit(id, n): a line longer than the limit closes the socket
	sid, pid = start_pair()
	socket.limit(sid, 1024)
	st = spawn(socket.readline, sid)
	call(peer, "write", pid, ("z"):rep(4096))
	check(wait_until(function() return st.done end) and not st.res[1],
		"limit: readline ends when the line outgrows the limit", st.res and st.res[1])
	check(call(peer, "read", pid) == false, "limit: the peer is disconnected")
	call(peer, "close", pid)
	socket.close(sid)
end

local function readall_checks()
	-- S9.1-readall: everything until the peer closes
	local sid, pid = start_pair()
	local st = spawn(socket.readall, sid)
	for _, s in ipairs { "x", "y", "z" } do
		call(peer, "write", pid, s)
	end
	settle()
	check(not st.done, "readall waits for the close")
	call(peer, "close", pid)
	local all = join(st)
	check(all == "xyz", "readall returns all that came", all)
	socket.close(sid)

	-- ... or until another coroutine closes it
	sid, pid = start_pair()
	call(peer, "write", pid, "kept")
	st = spawn(socket.readall, sid)
	settle()
	socket.close(sid)
	check(wait_until(function() return st.done end), "readall released by close in another coroutine")
	local got = join(st)
	check(got == "kept" or got == "" or got == false or got == nil, "readall's result after a local close", got)
	local pok = call(peer, "read", pid)
	check(pok == false, "the peer sees the close", pok)
	call(peer, "close", pid)
end

local function close_checks()
	-- S9.1-close with a coroutine blocked in read: it is released first
	local sid, pid = start_pair()
	local st = spawn(socket.read, sid)
	settle()
	socket.close(sid)
	check(st.done, "close returns after the blocked read was released")
	check(st.done and st.res[1] == false, "the blocked read returns false", st.res and st.res[1])
	check(socket.invalid(sid), "invalid(id) after close")
	check(call(peer, "read", pid) == false, "peer sees the close")
	call(peer, "close", pid)
	local okw = pcall(socket.write, sid, "late")
	check(okw, "write to a closed id does not raise")
	check(pcall(socket.close, sid), "close twice is harmless")

	-- S9.1-shutdown: closes at once; the peer sees it
	sid, pid = start_pair()
	socket.shutdown(sid)
	check(call(peer, "read", pid) == false, "shutdown: the peer sees the close")
	check(wait_until(function() return socket.disconnected(sid) end), "shutdown: disconnected(id)")
	-- as in skynet, the id stays known until close: a read says false
	local okr, r = pcall(socket.read, sid)
	check(okr and r == false, "read after shutdown, before close: false", okr, r)
	socket.close(sid)
	call(peer, "close", pid)

	-- S9.1-close-fd: an accepted id nobody started is closed at once
	sid, pid = pair()
	socket.close_fd(sid)
	check(call(peer, "read", pid) == false, "close_fd: the peer sees the close")
	call(peer, "close", pid)

	-- a service that exits closes its sockets
	local tmp = skynet.newservice("sa_remote")
	sid, pid = start_pair(tmp)
	call(tmp, "write", pid, "bye")
	call(tmp, "exit")
	local sr = spawn(function() return socket.read(sid, 4) end)
	check(wait_until(function() return sr.done end) and sr.res[1] == false and sr.res[2] == "bye",
		"a service's sockets close when it exits", sr.res and sr.res[1], sr.res and sr.res[2])
	if not sr.done then
		socket.shutdown(sid)
		join(sr)
	end
	socket.close(sid)

	-- ... and when it is killed
	tmp = skynet.newservice("sa_remote")
	sid, pid = start_pair(tmp)
	skynet.kill(tmp)
	sr = spawn(socket.read, sid)
	check(wait_until(function() return sr.done end) and sr.res[1] == false,
		"a killed service's sockets close", sr.res and sr.res[1])
	if not sr.done then
		socket.shutdown(sid)
		join(sr)
	end
	socket.close(sid)

	-- S9.1-block: true when there is something to read, false at close
	sid, pid = start_pair()
	local stb = spawn(socket.block, sid)
	settle()
	check(not stb.done, "block waits")
	call(peer, "write", pid, "!")
	check(join(stb) == true and socket.read(sid) == "!", "block returns true when readable")
	call(peer, "close", pid)
	check(socket.block(sid) == false, "block at close: false")
	socket.close(sid)

	-- nodelay changes nothing visible
	sid, pid = start_pair()
	socket.nodelay(sid)
	socket.write(sid, "nd")
	check(call(peer, "read", pid, 2) == "nd", "nodelay socket writes")
	call(peer, "close", pid)
	socket.close(sid)
end

local function write_checks()
	-- S9.1-write: many writes arrive whole and in order (an empty one
	-- adds nothing)
	local sid, pid = start_pair()
	check(pcall(socket.write, sid, ""), "an empty write is harmless")
	local t = {}
	for i = 1, 2000 do
		local s = string.format("%06d", i):rep(50)
		t[i] = s
		socket.write(sid, s)
	end
	local want = table.concat(t)
	local got = call(peer, "read", pid, #want)
	check(got == want, "2000 writes arrive in order (600 KB)")

	-- S9.1-lwrite: sent only once the normal queue is empty.  32 MiB on
	-- the normal queue cannot all be in the kernel at once, so "L" waits
	-- behind both normal writes.
	local MiB = 1024 * 1024
	socket.write(sid, ("H"):rep(32 * MiB))
	socket.lwrite(sid, ("L"):rep(1024))
	socket.write(sid, ("h"):rep(1024))
	local runs = call(peer, "runs", pid, 32 * MiB + 2048)
	check(runs == "H:33554432 h:1024 L:1024", "lwrite goes after the normal queue", runs)

	socket.close(sid)
	call(peer, "close", pid)
end

-- S9.1-lwrite, each string atomic: the script's peer reads 32 MiB of "H"
-- and the first "L" of a 32 MiB lwrite, says "seen", and reads no more
-- until we have written "h" on the normal queue.  Most of the "L"s are
-- still queued then: "h" must come after all of them and before the next
-- lwrite ("M").  The script checks what it got.
local function lwrite_checks()
	local MiB = 1024 * 1024
	local id, W = script_peer(P + 7, "lwpeer")
	socket.write(id, ("H"):rep(32 * MiB))
	socket.lwrite(id, ("L"):rep(32 * MiB))
	socket.lwrite(id, ("M"):rep(1024))
	local l = socket.readline(id)
	check(l == "seen", "the peer got the first bytes of the lwrite", l)
	socket.write(id, ("h"):rep(1024))
	skynet.error("SA h queued")
	local rest = socket.read(id)
	check(rest == false, "the peer read all and left", rest)
	socket.close(id)
	socket.close(W)
end

-- S9.1-warning: the script connects to P+2 and never reads; we write until
-- the warning says more than 1 MiB waits
local function warning_checks()
	local wid, W = script_peer(P + 2, "noread")
	local warned
	socket.warning(wid, function(id, size)
		warned = warned or { id, size }
	end)
	local chunk = ("w"):rep(64 * 1024)
	local sent = 0
	while not warned and sent < 256 * 1024 * 1024 do
		socket.write(wid, chunk)
		sent = sent + #chunk
		skynet.yield()
	end
	check(warned and warned[1] == wid and warned[2] >= 1024,
		"warning(id, cb): cb(id, KiB >= 1024) with " .. sent // 1024 .. " KiB written",
		warned and warned[1], warned and warned[2])
	-- close waits for what is queued: let the script's peer go first
	skynet.error("SA release noread")
	socket.close(wid)
	socket.close(W)

	-- without a callback: a log line
	wid, W = script_peer(P + 6, "noread")
	sent = 0
	while sent < 8 * 1024 * 1024 do
		socket.write(wid, chunk)
		sent = sent + #chunk
		skynet.yield()
	end
	skynet.error("SA default warning on " .. wid)
	skynet.error("SA release noread")
	socket.close(wid)
	socket.close(W)
end

local function udp_checks()
	-- S9.1 UDP: udp(cb, host, port), udp_connect + write, sendto(from),
	-- udp_address; one datagram per callback
	local got1, got2 = {}, {}
	local u1
	u1 = socket.udp(function(str, from)
		got1[#got1 + 1] = { str, from }
		socket.sendto(u1, from, str:upper())
	end, "127.0.0.1", P + 3)
	local u2 = socket.udp(function(str, from)
		got2[#got2 + 1] = { str, from }
	end)
	check(math.type(u1) == "integer" and math.type(u2) == "integer" and u1 ~= u2, "udp() returns ids", u1, u2)
	socket.udp_connect(u2, "127.0.0.1", P + 3)
	for i = 1, 50 do
		socket.write(u2, "dgram" .. i)
	end
	check(wait_until(function() return #got2 >= 50 end), "50 datagrams answered", #got2)
	local intact = true
	for i = 1, math.min(#got1, 50) do
		if got1[i][1]:match("^dgram%d+$") == nil then
			intact = false
		end
	end
	check(intact and #got1 == 50, "each callback gets one whole datagram", #got1)
	local ip, port = socket.udp_address(got2[1][2])
	check(ip == "127.0.0.1" and port == P + 3, "udp_address(from) of the answer", ip, port)
	local ip1, port1 = socket.udp_address(got1[1][2])
	check(ip1 == "127.0.0.1" and math.type(port1) == "integer" and port1 ~= P + 3,
		"udp_address(from) of the sender", ip1, port1)
	check(got2[1][1]:match("^DGRAM%d+$"), "sendto(from) answers the sender", got2[1][1])

	-- a UDP socket in another service, on another worker
	local w = core.worker()
	local _, nw = core.worker()
	local far = skynet.newservice_on((w + 1) % nw, "sa_remote")
	local fu = call(far, "udp_echo", "127.0.0.1", P + 4)
	check(math.type(fu) == "integer", "udp in another service", fu)
	socket.udp_connect(u2, "127.0.0.1", P + 4)
	local before = #got2
	socket.write(u2, "far")
	check(wait_until(function() return #got2 > before end) and got2[#got2][1] == "FAR",
		"udp round trip through a service on worker " .. (w + 1) % nw)
	call(far, "close", fu)
	call(far, "exit")
	socket.close(u1)
	socket.close(u2)
end

-- S9.1-start S9.1-abandon: ids are node-wide; the service that starts one
-- gets its data, on whatever worker it is; nothing is lost or reordered.
-- Each hand-over gets a fresh connection, so that one failure does not
-- hide the next.

-- moved(who, sid, prefix, a, b, what): `who` must read the lines
-- prefix..a .. prefix..b; a reader still waiting after 10 s means data was
-- lost: the socket is shut down to release it
local function moved(who, sid, prefix, a, b, what)
	local st = spawn(call, who, "expect_lines", sid, prefix, a, b)
	if not wait_until(function() return st.done end) then
		check(false, what .. " (still waiting for data after 10 s)")
		call(who, "shutdown", sid)
		join(st)
		return false
	end
	return check(st.res[1], what, st.res[2], st.res[3])
end

local function move_checks()
	local w, nw = core.worker()
	local other = (w + 1) % nw
	local b = skynet.newservice_on(other, "sa_remote")
	local c = skynet.newservice_on(w, "sa_remote")
	check(call(b, "worker") == other and call(c, "worker") == w,
		"helpers on workers " .. other .. " and " .. w, call(b, "worker"), call(c, "worker"))

	-- data the peer sent before anyone started the socket, then more
	-- while it moves to the other worker; and written back from there
	local sid, pid = pair()
	call(peer, "lines", pid, "pre", 1, 500)
	call(b, "start", sid)
	local stp = spawn(call, peer, "lines", pid, "pre", 501, 1000)
	moved(b, sid, "pre", 1, 1000, "1000 lines in order on worker " .. other .. ", 500 sent before start")
	join(stp)
	call(b, "lines", sid, "back", 1, 300)
	local ok2, at2, line2 = call(peer, "expect_lines", pid, "back", 1, 300)
	check(ok2, "written back from there in order", at2, line2)
	call(b, "close", sid)
	check(call(peer, "read", pid) == false, "close from the service it moved to reaches the peer")
	call(peer, "close", pid)

	-- S9.7: started and read on one worker, abandoned (nothing unread),
	-- started on the other while the peer sends
	local function handover(from, to, mode)
		local what = string.format("abandon on worker %d, start on worker %d, peer sending %s",
			from == c and w or other, to == c and w or other, mode)
		sid, pid = pair()
		call(from, "start", sid)
		call(peer, "lines", pid, "x", 1, 10)
		call(from, "expect_lines", sid, "x", 1, 10)
		call(from, "abandon", sid)
		if mode == "while it moves" then
			stp = spawn(call, peer, "lines", pid, "y", 1, 2000)
		else
			call(peer, "lines", pid, "y", 1, 2000)
			if mode == "before the start" then
				settle()      -- it has all arrived while nobody had the socket
			end
		end
		call(to, "start", sid)
		if mode == "while it moves" then
			join(stp)
		end
		moved(to, sid, "y", 1, 2000, what)
		call(to, "close", sid)
		call(peer, "close", pid)
	end
	for _, mode in ipairs { "just before the start", "before the start", "while it moves" } do
		handover(b, c, mode)
		handover(c, b, mode)
		handover(c, c, mode)
	end

	-- this service started it, read, abandoned it; another worker takes it
	sid, pid = start_pair()
	call(peer, "lines", pid, "x", 1, 10)
	for i = 1, 10 do
		assert(socket.readline(sid) == "x" .. i)
	end
	socket.abandon(sid)
	call(peer, "lines", pid, "y", 1, 100)
	call(b, "start", sid)
	moved(b, sid, "y", 1, 100, "abandon here, start on worker " .. other)
	call(b, "close", sid)
	call(peer, "close", pid)

	-- unread data at abandon goes along: the peer's two writes arrive
	-- here, only the first is read before the hand-over
	sid, pid = start_pair()
	call(peer, "lines", pid, "z", 1, 20)
	assert(socket.readline(sid) == "z1")
	socket.abandon(sid)
	call(b, "start", sid)
	moved(b, sid, "z", 2, 20, "what was read here but not consumed goes along to worker " .. other)
	call(b, "close", sid)
	call(peer, "close", pid)
	call(b, "exit")
	call(c, "exit")
end

local function bad_id_checks()
	-- start on an id that does not exist: fails, does not hang
	local st = spawn(function() return pcall(socket.start, 0x7ffffff0) end)
	check(wait_until(function() return st.done end), "start(bogus id) returns")
	local okw = pcall(socket.write, 0x7ffffff0, "x")
	check(okw, "write(bogus id) does not raise")
	-- reading an id this service did not start is a mistake it is told of
	local sid, pid = pair()
	local okr = pcall(socket.read, sid)
	check(not okr, "read of an id not started here raises")
	socket.close(sid)
	call(peer, "close", pid)

	-- an accept callback that raises: logged, and the listener goes on
	local n = 0
	local L2 = socket.listen("127.0.0.1", P + 5)
	socket.start(L2, function(id)
		n = n + 1
		if n == 1 then
			socket.close(id)
			error("SA expected error in an accept callback")
		end
		skynet.fork(echo, id)
	end)
	local c1 = socket.open("127.0.0.1", P + 5)
	local c2 = socket.open("127.0.0.1", P + 5)
	check(c1 and c2, "connections after the error are accepted too", c1, c2)
	if c2 then
		socket.write(c2, "after\n")
		check(socket.readline(c2) == "AFTER", "and served")
	end
	if c1 then socket.close(c1) end
	if c2 then socket.close(c2) end

	-- a closed listener refuses
	socket.close(L2)
	local c3 = socket.open("127.0.0.1", P + 5)
	check(not c3, "open to a closed listener fails", c3)
end

-- Socket events are dispatched without a coroutine (the protocol is
-- inline); the user's callbacks still get one each, so they may block.
local function callback_checks()
	local function on_accept(id, addr)
		skynet.sleep(1)
		accepted[#accepted + 1] = { id, addr }
		if accept_waiter then
			skynet.wakeup(accept_waiter)
		end
	end
	socket.start(L, on_accept)
	local sid, pid = start_pair()
	check(sid, "an accept callback that blocks (sleep) still accepts", sid)
	local closed_by
	socket.onclose(sid, function(id)
		skynet.sleep(1)
		closed_by = id
	end)
	call(peer, "close", pid)
	check(wait_until(function() return closed_by == sid end),
		"an onclose callback that blocks (sleep) runs to its end", closed_by)
	socket.close(sid)
end

local function many_checks()
	-- many sockets at once, from two services (on two workers under
	-- spread): each gets its own answer
	local w, nw = core.worker()
	local p2 = skynet.newservice_on((w + 1) % nw, "sa_remote")
	local s1 = spawn(call, peer, "many", P + 1, 500, "one")
	local s2 = spawn(call, p2, "many", P + 1, 500, "two")
	local n1, n2 = join(s1), join(s2)
	check(n1 == 500 and n2 == 500, "1000 connections at once each echoed", n1, n2)
	call(p2, "exit")
end

skynet.start(function()
	skynet.fork(function()
		peer = skynet.newservice("sa_remote")
		-- wait until the script has counted the node's fds (the go
		-- listener, open to the end, among them): at the end, with every
		-- socket of the checks closed, there must be as many
		local go = script_peer(P + 9, "go")
		socket.close(go)
		test("listen", listen_checks)
		test("open", open_checks)
		test("read", read_checks)
		test("readline", readline_checks)
		test("readall", readall_checks)
		test("close", close_checks)
		test("write", write_checks)
		test("warning", warning_checks)
		test("lwrite", lwrite_checks)
		test("udp", udp_checks)
		test("move", move_checks)
		test("bad id", bad_id_checks)
		test("callbacks", callback_checks)
		test("many", many_checks)
		socket.close(L)
		socket.close(E)
		skynet.error(string.format("SA done %d %d", nok, nfail))
	end)
end)
