-- dnscheck: skynet.dns against tools/dnsstub (started by tutorial_ch11.sh
-- with the zone below, and found through the dns_server config key).
-- Each check logs "DNS ok <what>" or "DNS FAIL <what>: ..."; the script
-- counts the queries that reached the stub and the log lines of refused
-- replies.  Last line: "DNS done".
--
-- Zone: github.com=192.30.255.112,.113  v6.test=2001:db8::1,::2
-- alias.test=>target.test  target.test=10.0.0.2  localhost=10.9.9.9
-- ok.test=10.0.0.5  same.test=10.0.0.6  t0.test=10.0.0.3@0
-- after.test=10.0.0.8 again.test=10.0.0.9, and one name per misbehaviour of the stub.
local skynet = require "skynet"
local dns = require "skynet.dns"

local function check(what, ok, detail)
	if ok then
		skynet.error("DNS ok " .. what)
	else
		skynet.error("DNS FAIL " .. what .. ": " .. tostring(detail))
	end
end

local function expect_ips(what, name, ipv6, want)
	local ok, ip, ips = pcall(dns.resolve, name, ipv6)
	local got = ok and table.concat(ips, ",") or ip
	check(what, ok and ip == want[1] and got == table.concat(want, ","), got)
end

local function expect_error(what, name, ipv6, pattern)
	local ok, err = pcall(dns.resolve, name, ipv6)
	check(what, not ok and tostring(err):find(pattern, 1, true),
		ok and "resolved to " .. tostring(err) or err)
end

local function main()
	dns.timeout = 50
	check("server from config", dns.server() == "127.0.0.1")

	-- S11.0-dns-resolve: first ip and the table of all, in the server's order
	expect_ips("A records", "github.com", false, { "192.30.255.112", "192.30.255.113" })
	expect_ips("AAAA records", "v6.test", true, { "2001:db8::1", "2001:db8::2" })
	expect_ips("CNAME followed", "alias.test", false, { "10.0.0.2" })
	-- cached: no query for these (the script counts)
	expect_ips("cached, any case and a final dot", "GitHub.COM.", false,
		{ "192.30.255.112", "192.30.255.113" })
	local _, ips = dns.resolve "github.com"
	ips[1] = "changed"
	expect_ips("the cache is not the caller's table", "github.com", false,
		{ "192.30.255.112", "192.30.255.113" })

	-- literals and /etc/hosts never reach the server (the stub would say
	-- localhost is 10.9.9.9)
	expect_ips("IPv4 literal", "10.1.2.3", false, { "10.1.2.3" })
	expect_ips("IPv6 literal", "2001:db8::7", true, { "2001:db8::7" })
	expect_ips("/etc/hosts first", "localhost", false, { "127.0.0.1" })

	-- failures raise
	expect_error("no such name", "missing.test", false, "cannot resolve missing.test: no such name")
	expect_error("no AAAA record", "github.com", true, "cannot resolve github.com: no AAAA record")
	expect_error("server failure", "fail.test", false, "cannot resolve fail.test: server failure")
	expect_error("bad name", "bad name!", false, 'bad name "bad name!"')
	expect_error("empty name", "", false, "bad name")
	expect_error("not a string", 42, false, "must be a string")

	-- malformed replies: a clear error for that query only
	local malformed = {
		{ "trunc.test", "bad reply: answer 1 cut short" },
		{ "short.test", "bad reply: shorter than a header" },
		{ "badptr.test", "bad reply: answer 1: compression pointer past the end" },
		{ "loop.test", "bad reply: answer 1: compression pointer loop" },
		{ "loop2.test", "bad reply: answer 1: compression pointer loop" },
		{ "badlen.test", "bad reply: answer 1: A record of 5 bytes" },
		{ "badlabel.test", "bad reply: answer 1: unknown label type" },
		{ "longname.test", "bad reply: answer 2: name longer than 255 bytes" },
		{ "tc.test", "reply truncated (TC set)" },
	}
	for _, m in ipairs(malformed) do
		expect_error("malformed " .. m[1], m[1], false, "cannot resolve " .. m[1] .. ": " .. m[2])
	end
	-- replies that are not ours are ignored: the query times out, retried once
	expect_error("wrong id", "wrongid.test", false, "cannot resolve wrongid.test: timeout")
	expect_error("wrong question", "wrongq.test", false,
		"cannot resolve wrongq.test: timeout (a reply did not echo the question)")

	-- a query that times out does not hold up another one
	local silent_done = false
	local me = coroutine.running()
	skynet.fork(function()
		expect_error("timeout", "silent.test", false, "cannot resolve silent.test: timeout")
		silent_done = true
		skynet.wakeup(me)
	end)
	skynet.yield()   -- silent.test's query goes out first
	local ok, ip = pcall(dns.resolve, "ok.test")
	check("another query during a timeout", ok and ip == "10.0.0.5" and not silent_done, ip)
	while not silent_done do
		skynet.wait(me)
	end

	-- callers asking for the same name at once share one query
	local n = 0
	for _ = 1, 3 do
		skynet.fork(function()
			local ok2, ip2 = pcall(dns.resolve, "same.test")
			check("shared query", ok2 and ip2 == "10.0.0.6", ip2)
			n = n + 1
			skynet.wakeup(me)
		end)
	end
	while n < 3 do
		skynet.wait(me)
	end

	-- TTL 0 is not cached: two queries; flush forgets github.com
	expect_ips("TTL 0 (1)", "t0.test", false, { "10.0.0.3" })
	expect_ips("TTL 0 (2)", "t0.test", false, { "10.0.0.3" })
	dns.flush()
	expect_ips("after flush", "github.com", false, { "192.30.255.112", "192.30.255.113" })

	-- the node and the resolver still work
	expect_ips("after the bad replies", "after.test", false, { "10.0.0.8" })
	-- setting the server again closes the socket and opens a new one
	local host, port = skynet.getenv("dns_server"):match("^(.+):(%d+)$")
	check("server set again", dns.server(host, tonumber(port)) == "127.0.0.1")
	expect_ips("on the new socket", "again.test", false, { "10.0.0.9" })
	skynet.error("DNS done")
end

skynet.start(function()
	skynet.fork(function()
		local ok, err = pcall(main)
		if not ok then
			skynet.error("DNS FAIL main: " .. tostring(err))
		end
	end)
end)
