-- skynet.dnsparse: the DNS wire format for skynet.dns (RFC 1035), in pure
-- Lua so that the fuzzer can load it without a node.
--
-- A reply comes from the network, so nothing in it is trusted: every
-- length is checked against the bytes that are there, names are bounded
-- to 255 bytes, and a compression pointer must point before the label
-- sequence it belongs to, which makes loops impossible.  The parser never
-- raises on bad bytes: it returns nil and a reason.
local spack, sunpack = string.pack, string.unpack
local concat = table.concat

local M = {
	A = 1,
	CNAME = 5,
	AAAA = 28,
}

local CLASS_IN = 1
local NAME_MAX = 255      -- wire length of a name, length bytes included
local CHAIN_MAX = 16      -- CNAMEs followed before giving up

local RCODES = {
	[1] = "format error",
	[2] = "server failure",
	[3] = "no such name",
	[4] = "not implemented",
	[5] = "refused",
}

-- Lower-case `name` without a trailing dot, or nil and why it is not a
-- host name we will put in a query (letters, digits, '-', '_').
function M.normalize(name)
	if type(name) ~= "string" then
		return nil, "not a string"
	end
	local n = name:lower()
	if n:sub(-1) == "." then
		n = n:sub(1, -2)
	end
	if #n == 0 or #n > 253 then
		return nil, "length must be 1..253"
	end
	for label in (n .. "."):gmatch("(.-)%.") do
		if #label == 0 or #label > 63 then
			return nil, "a label must be 1..63 bytes"
		end
		if label:find("[^%w%-_]") then
			return nil, "only letters, digits, '-' and '_' are allowed"
		end
	end
	return n
end

-- A recursive query for a normalized name.
function M.query(id, name, qtype)
	local parts = { spack(">I2I2I2I2I2I2", id, 0x0100, 1, 0, 0, 0) }
	for label in name:gmatch("[^.]+") do
		parts[#parts + 1] = spack("s1", label)
	end
	parts[#parts + 1] = spack(">BI2I2", 0, qtype, CLASS_IN)
	return concat(parts)
end

-- Read the name at `pos`: its lower-case dotted form (a '.' or '\' inside
-- a label is escaped, so it cannot pass for another name) and the
-- position after it where it was written; or nil and why not.
local function read_name(msg, pos)
	local len = #msg
	local labels = {}
	local wire = 1            -- the terminating zero byte
	local after               -- where the name ends in place
	local start = pos         -- first byte of the current label sequence
	while true do
		if pos > len then
			return nil, "name runs past the end"
		end
		local b = msg:byte(pos)
		if b == 0 then
			after = after or pos + 1
			break
		elseif b >= 0xc0 then
			if pos + 1 > len then
				return nil, "pointer runs past the end"
			end
			local target = ((b & 0x3f) << 8 | msg:byte(pos + 1)) + 1
			-- Strictly before the sequence that holds the pointer: each
			-- jump goes further back, so there is no loop to follow.
			if target > len then
				return nil, "compression pointer past the end"
			elseif target >= start then
				return nil, "compression pointer loop (it does not point back)"
			elseif target < 13 then
				return nil, "compression pointer into the header"
			end
			after = after or pos + 2
			pos, start = target, target
		elseif b >= 0x40 then
			return nil, "unknown label type"
		else
			wire = wire + b + 1
			if wire > NAME_MAX then
				return nil, "name longer than 255 bytes"
			end
			if pos + b > len then
				return nil, "label runs past the end"
			end
			labels[#labels + 1] = msg:sub(pos + 1, pos + b):lower():gsub("[%.\\]", "\\%0")
			pos = pos + b + 1
		end
	end
	return concat(labels, "."), after
end

local function ipv6_text(raw)
	local g = { sunpack(">I2I2I2I2I2I2I2I2", raw) }
	g[9] = nil
	-- RFC 5952: the longest run of two or more zero groups becomes "::"
	local best, best_len, run, run_len = 0, 1, 0, 0
	for i = 1, 8 do
		if g[i] == 0 then
			if run_len == 0 then
				run = i
			end
			run_len = run_len + 1
			if run_len > best_len then
				best, best_len = run, run_len
			end
		else
			run_len = 0
		end
	end
	local out = {}
	for i = 1, 8 do
		out[i] = string.format("%x", g[i])
	end
	if best == 0 then
		return concat(out, ":")
	end
	return concat(out, ":", 1, best - 1) .. "::" .. concat(out, ":", best + best_len, 8)
end

-- Parse a reply.  Returns a table {id, rcode, tc, qname, qtype, qclass,
-- answers = {{name, type, ttl, data}...}} where data is the address text
-- of an A/AAAA record or the target of a CNAME (other types: nil); or
-- nil, the reason, and the id when the header was there.  The authority
-- and additional sections are not read.
function M.parse_reply(msg)
	if type(msg) ~= "string" then
		return nil, "not a string"
	end
	if #msg < 12 then
		-- the id, if it is there, lets the query it answers fail now
		return nil, "shorter than a header", #msg >= 2 and sunpack(">I2", msg) or nil
	end
	local id, flags, qd, an = sunpack(">I2I2I2I2", msg)
	if flags & 0x8000 == 0 then
		return nil, "not a reply", id
	end
	if flags & 0x7800 ~= 0 then
		return nil, "not a standard query reply", id
	end
	if qd ~= 1 then
		return nil, "question count is not 1", id
	end
	local r = { id = id, rcode = flags & 0xf, tc = flags & 0x200 ~= 0 }
	local qname, pos = read_name(msg, 13)
	if not qname then
		return nil, "question: " .. pos, id
	end
	if pos + 3 > #msg then
		return nil, "question cut short", id
	end
	r.qname = qname
	r.qtype, r.qclass, pos = sunpack(">I2I2", msg, pos)
	local answers = {}
	r.answers = answers
	if r.tc then
		return r   -- the answers may be cut; the caller refuses it anyway
	end
	for i = 1, an do
		local name, p = read_name(msg, pos)
		if not name then
			return nil, "answer " .. i .. ": " .. p, id
		end
		if p + 9 > #msg then
			return nil, "answer " .. i .. " cut short", id
		end
		local rtype, class, ttl, rdlen
		rtype, class, ttl, rdlen, p = sunpack(">I2I2I4I2", msg, p)
		if p + rdlen - 1 > #msg then
			return nil, "answer " .. i .. ": data runs past the end", id
		end
		-- RFC 2181: a TTL with the top bit set means zero
		if ttl > 0x7fffffff then
			ttl = 0
		end
		local data
		if class == CLASS_IN and rtype == M.A then
			if rdlen ~= 4 then
				return nil, "answer " .. i .. ": A record of " .. rdlen .. " bytes", id
			end
			data = string.format("%d.%d.%d.%d", msg:byte(p, p + 3))
		elseif class == CLASS_IN and rtype == M.AAAA then
			if rdlen ~= 16 then
				return nil, "answer " .. i .. ": AAAA record of " .. rdlen .. " bytes", id
			end
			data = ipv6_text(msg:sub(p, p + 15))
		elseif rtype == M.CNAME then
			local target, q = read_name(msg, p)
			if not target then
				return nil, "answer " .. i .. ": CNAME: " .. q, id
			end
			if q ~= p + rdlen then
				return nil, "answer " .. i .. ": CNAME length does not match", id
			end
			data = target
		end
		answers[i] = { name = name, type = rtype, ttl = ttl, data = data }
		pos = p + rdlen
	end
	return r
end

-- The addresses a parsed reply gives for (qname, qtype), following
-- CNAMEs, in the server's order, and the smallest TTL among the records
-- used; or nil and why there are none.
function M.addresses(r, qname, qtype)
	if r.tc then
		return nil, "reply truncated (TC set); DNS over TCP is not supported"
	end
	if r.rcode ~= 0 then
		return nil, RCODES[r.rcode] or ("server error (rcode " .. r.rcode .. ")")
	end
	if qtype ~= M.A and qtype ~= M.AAAA then
		return nil, "not an address query"
	end
	local names = { [qname] = true }
	local ttl = math.maxinteger
	for _ = 1, CHAIN_MAX do
		local grew = false
		for _, a in ipairs(r.answers) do
			if a.type == M.CNAME and names[a.name] and not names[a.data] then
				names[a.data] = true
				ttl = math.min(ttl, a.ttl)
				grew = true
			end
		end
		if not grew then
			break
		end
	end
	local ips = {}
	for _, a in ipairs(r.answers) do
		if a.type == qtype and a.data and names[a.name] then
			ips[#ips + 1] = a.data
			ttl = math.min(ttl, a.ttl)
		end
	end
	if #ips == 0 then
		return nil, "no " .. (qtype == M.AAAA and "AAAA" or "A") .. " record"
	end
	return ips, ttl
end

-- The whole decoding path on untrusted bytes, for the fuzzer: parse,
-- then take the addresses for the question the reply itself carries.
function M.decode(msg)
	local r, err = M.parse_reply(msg)
	if not r then
		return nil, err
	end
	return M.addresses(r, r.qname, r.qtype)
end

return M
