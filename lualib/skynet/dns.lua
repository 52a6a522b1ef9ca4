-- skynet.dns: name resolution that does not block the node (S11).
--
-- Connecting by name makes the socket layer call getaddrinfo, which
-- blocks a whole worker.  This module asks a DNS server over UDP instead,
-- so only the calling coroutine waits.  /etc/hosts is read first; answers
-- are cached in the calling service for their TTL, which is why the
-- tutorial recommends one service that resolves for the others (11.2).
-- The wire format is in skynet.dnsparse.
local skynet = require "skynet"
local socket = require "skynet.socket"
local wire = require "skynet.dnsparse"

local dns = {
	timeout = 100,   -- per attempt, in 1/100 s (the unit of skynet.sleep)
	retry = 1,       -- attempts after the first one times out
}

local CACHE_MAX = 4096    -- names cached per service before a sweep
local PENDING_MAX = 4096  -- queries in flight per service (ids are 16 bits)

local server_ip, server_port
local sock                -- the UDP socket to the server, opened on use
local pending = {}        -- query id -> request
local npending = 0
local inflight = {}       -- cache key -> request, shared by concurrent callers
local cache = {}          -- cache key -> { ips = {...}, expire = skynet.now() }
local cache_count = 0
local hosts               -- name -> { [wire.A] = {...}, [wire.AAAA] = {...} }

local function is_ipv4(s)
	local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	if not a then
		return false
	end
	for _, x in ipairs { a, b, c, d } do
		if #x > 3 or tonumber(x) > 255 then
			return false
		end
	end
	return true
end

local function is_ipv6(s)
	if not s:find(":", 1, true) or s:find("[^%x:%.]") or #s > 45 then
		return false
	end
	local head, tail = s, nil
	local dc = s:find("::", 1, true)
	if dc then
		if s:find("::", dc + 1, true) then
			return false
		end
		head, tail = s:sub(1, dc - 1), s:sub(dc + 2)
	end
	local groups = 0
	local function count(part, last)
		if part == "" then
			return true
		end
		local fields = {}
		for f in (part .. ":"):gmatch("(.-):") do
			fields[#fields + 1] = f
		end
		for i, f in ipairs(fields) do
			if last and i == #fields and f:find(".", 1, true) then
				if not is_ipv4(f) then
					return false
				end
				groups = groups + 2
			elseif not f:match("^%x%x?%x?%x?$") then
				return false
			else
				groups = groups + 1
			end
		end
		return true
	end
	if not count(head, tail == nil) or (tail and not count(tail, true)) then
		return false
	end
	if dc then
		return groups <= 7
	end
	return groups == 8
end

local function copy(t)
	return table.move(t, 1, #t, 1, {})
end

-- /etc/hosts, read once per service (and again after a flush).
local function load_hosts()
	hosts = {}
	local f = io.open("/etc/hosts")
	if not f then
		return
	end
	for line in f:lines() do
		line = line:gsub("#.*", "")
		local ip, names = line:match("^%s*(%S+)%s+(.-)%s*$")
		local qtype = ip and (is_ipv4(ip) and wire.A or is_ipv6(ip) and wire.AAAA)
		if qtype then
			for name in names:gmatch("%S+") do
				name = wire.normalize(name)
				if name then
					local h = hosts[name] or {}
					hosts[name] = h
					local list = h[qtype] or {}
					h[qtype] = list
					list[#list + 1] = ip
				end
			end
		end
	end
	f:close()
end

-- Query ids come from /dev/urandom, so that a host that cannot see our
-- queries cannot guess them (the source port is random too).
local rand_pool, rand_pos = "", 1
local function random_id()
	if rand_pos + 1 > #rand_pool then
		local f = io.open("/dev/urandom", "rb")
		rand_pool = f and f:read(256) or ""
		if f then
			f:close()
		end
		rand_pos = 1
		if #rand_pool < 2 then
			return math.random(0, 0xffff)
		end
	end
	local id = string.unpack(">I2", rand_pool, rand_pos)
	rand_pos = rand_pos + 2
	return id
end

local function resolv_conf()
	local f = io.open("/etc/resolv.conf")
	if not f then
		return nil
	end
	for line in f:lines() do
		local ip = line:match("^%s*nameserver%s+([^%s#;%%]+)")
		if ip then
			f:close()
			return ip
		end
	end
	f:close()
end

local function finish(req, ips, ttl, err, timedout)
	if req.done then
		return
	end
	req.done = true
	pending[req.id] = nil
	npending = npending - 1
	inflight[req.key] = nil
	req.ips, req.ttl, req.err, req.timedout = ips, ttl, err, timedout
	for _, co in ipairs(req.waiters) do
		skynet.wakeup(co)
	end
end

-- Every query still waiting fails (the socket or the server went away).
local function fail_all(why)
	for _, req in pairs(pending) do
		finish(req, nil, nil, why)
	end
end

local function where()
	return server_ip .. ":" .. server_port
end

-- A name from a reply, fit for a log line whatever its bytes.
local function printable(s)
	s = s:gsub("[^%g]", "?")
	return #s > 80 and s:sub(1, 80) .. "..." or s
end

local function on_reply(data)
	local r, err, id = wire.parse_reply(data)
	id = r and r.id or id
	local req = id and pending[id]
	if not req then
		skynet.error(string.format("dns: reply from %s with unknown id %s dropped%s",
			where(), id or "?", r and "" or " (" .. err .. ")"))
		return
	end
	if not r then
		skynet.error(string.format("dns: bad reply from %s for %s: %s", where(), req.name, err))
		return finish(req, nil, nil, "bad reply: " .. err)
	end
	if r.qname ~= req.name or r.qtype ~= req.qtype or r.qclass ~= 1 then
		-- Not the answer to our question: maybe stale or forged, so it
		-- is not taken, but the real one may still come.
		req.rejected = "a reply did not echo the question"
		skynet.error(string.format("dns: reply from %s for %s has another question (%s), ignored",
			where(), req.name, printable(r.qname)))
		return
	end
	local ips, ttl = wire.addresses(r, req.name, req.qtype)
	if ips then
		return finish(req, ips, ttl)
	end
	local why = ttl
	if r.tc then
		skynet.error(string.format("dns: reply from %s for %s: %s", where(), req.name, why))
	end
	finish(req, nil, nil, why)
end

local function open_socket()
	local any = server_ip:find(":", 1, true) and "::" or "0.0.0.0"
	local id = socket.udp(on_reply, any, 0)
	local ok, err = pcall(socket.udp_connect, id, server_ip, server_port)
	if not ok then
		socket.close(id)
		error(err, 0)
	end
	sock = id
end

-- Set the server (port 53 by default).  Without an ip, the `dns_server`
-- config key ("ip" or "ip:port") is used if set, else the first
-- nameserver of /etc/resolv.conf.  Returns the server's ip.
function dns.server(ip, port)
	if not ip then
		local conf = skynet.getenv "dns_server"
		if conf and conf ~= "" then
			local host, p = conf:match("^%[(.+)%]:(%d+)$")
			if not host then
				host, p = conf:match("^([^:]+):(%d+)$")
			end
			ip, port = host or conf, p
		else
			ip = resolv_conf()
			if not ip then
				error("dns: no nameserver in /etc/resolv.conf", 2)
			end
		end
	end
	if not (is_ipv4(ip) or is_ipv6(ip)) then
		error(string.format("dns: server %q is not an IP address", tostring(ip)), 2)
	end
	port = math.tointeger(tonumber(port or 53))
	if not port or port < 1 or port > 65535 then
		error("dns: bad server port", 2)
	end
	-- No query may use the old socket while close waits for it to go.
	local old = sock
	sock = nil
	server_ip, server_port = ip, port
	if old then
		fail_all("the DNS server was changed")
		socket.close(old)
	end
	return ip
end

local function cache_put(key, ips, ttl)
	if ttl <= 0 then
		return
	end
	if not cache[key] then
		if cache_count >= CACHE_MAX then
			local now = skynet.now()
			for k, c in pairs(cache) do
				if c.expire <= now then
					cache[k] = nil
					cache_count = cache_count - 1
				end
			end
			if cache_count >= CACHE_MAX then
				cache, cache_count = {}, 0
			end
		end
		cache_count = cache_count + 1
	end
	cache[key] = { ips = ips, expire = skynet.now() + math.min(ttl, 0x7fffffff // 100) * 100 }
end

-- Send the query, and again after a timeout, until an answer or the last
-- attempt; this runs in the first caller's coroutine.
local function drive(req)
	for attempt = 1, dns.retry + 1 do
		req.attempt = attempt
		if not sock then
			open_socket()
		end
		if not socket.write(sock, req.packet) then
			-- the socket is gone (closed by an error): a new one, once
			sock = nil
			open_socket()
			socket.write(sock, req.packet)
		end
		local co = coroutine.running()
		skynet.timeout(dns.timeout, function()
			if not req.done and req.attempt == attempt then
				skynet.wakeup(co)
			end
		end)
		skynet.wait(co)
		if req.done then
			return
		end
	end
	local why = "timeout"
	if req.rejected then
		why = why .. " (" .. req.rejected .. ")"
	end
	finish(req, nil, nil, why, true)
end

local function query(name, qtype, key)
	local req = inflight[key]
	local co = coroutine.running()
	if req then
		req.waiters[#req.waiters + 1] = co
		repeat
			skynet.wait(co)
		until req.done
		return req
	end
	if npending >= PENDING_MAX then
		return { err = "too many queries in flight" }
	end
	local id
	repeat
		id = random_id()
	until not pending[id]
	npending = npending + 1
	req = {
		id = id, name = name, qtype = qtype, key = key, waiters = { co },
		packet = wire.query(id, name, qtype),
	}
	pending[id] = req
	inflight[key] = req
	local ok, err = pcall(drive, req)
	if not ok then
		finish(req, nil, nil, tostring(err))
	end
	return req
end

-- The first address of `name` and a table of all of them (IPv6 ones if
-- `ipv6`).  Raises if there is none.
function dns.resolve(name, ipv6)
	if type(name) ~= "string" then
		error("dns: the name must be a string", 2)
	end
	if is_ipv4(name) or is_ipv6(name) then
		return name, { name }
	end
	local qname, why = wire.normalize(name)
	if not qname then
		error(string.format("dns: bad name %q: %s", name, why), 2)
	end
	local qtype = ipv6 and wire.AAAA or wire.A
	if not hosts then
		load_hosts()
	end
	local h = hosts[qname] and hosts[qname][qtype]
	if h then
		return h[1], copy(h)
	end
	local key = qtype .. " " .. qname
	local c = cache[key]
	if c and c.expire > skynet.now() then
		return c.ips[1], copy(c.ips)
	end
	if not server_ip then
		dns.server()
	end
	local req = query(qname, qtype, key)
	if req.ips then
		cache_put(key, req.ips, req.ttl)
		return req.ips[1], copy(req.ips)
	end
	-- the tutorial allows an expired answer when the server does not answer
	c = cache[key]
	if req.timedout and c then
		return c.ips[1], copy(c.ips)
	end
	error(string.format("dns: cannot resolve %s: %s", name, req.err), 2)
end

-- Forget the cached answers (and /etc/hosts, read again on next use).
function dns.flush()
	cache, cache_count = {}, 0
	hosts = nil
end

return dns
