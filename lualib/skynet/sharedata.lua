-- skynet.sharedata -- large read-mostly tables shared by the services of
-- a node without a copy per service.
--
--   sharedata.new(name, value, ...)     value: a table (no cycles; keys
--       strings or integers), Lua source returning a table (or defining
--       globals, which then are the data), or "@filename" of such source;
--       ... are passed to the source chunk
--   sharedata.update(name, value, ...)  replace the data (creates it if
--       missing)
--   sharedata.delete(name)
--   sharedata.query(name) -> a read-only table: t.x, t[i], #t, pairs,
--       ipairs; subtables come back as more such tables
--   sharedata.deepcopy(name, key...)    a plain Lua copy of (a part of) it
--   sharedata.flush()                   collect garbage now
--
-- Memory: a worker process decodes each version once into C memory
-- (lualib/sharedata.c); a service holds only small proxies for the parts
-- it has touched.  See docs/sharedata.md.
--
-- Updates: a service that queried a name follows it.  sharedatad tells it
-- of a new version; from the next access after that notice (a message to
-- the service, handled between two of its other messages) every proxy of
-- that name, old subtables included, reads the new data.  The service
-- that called update sees it as soon as update returns.  Within one
-- handler that makes no blocking call the data never changes under it.
-- A subtable that the update removed raises an error when read.  After a
-- delete, proxies keep the last data; a new query raises an error.
local skynet = require "skynet"
local c = require "skynet.core"
local sd = require "skynet.sharedata.core"

local sharedata = {}

local service
local function sharedatad()
	if not service then
		service = skynet.uniqueservice "sharedatad"
	end
	return service
end

local function request(cmd, ...)
	local ok, r = skynet.call(sharedatad(), "lua", cmd, ...)
	if not ok then
		error(r, 3)
	end
	return r
end

local function store(cmd, name, value, ...)
	assert(type(name) == "string", "sharedata: the name must be a string")
	if type(value) == "table" then
		local ok, packed = pcall(skynet.packstring, value)
		if not ok then
			error(string.format("sharedata %s: %s (cycles are not allowed)",
			                    name, packed), 3)
		end
		return request(cmd, name, "table", packed)
	elseif type(value) == "string" then
		return request(cmd, name, "source", value, ...)
	end
	error("sharedata: the value must be a table or a string", 3)
end

local roots = {}          -- name -> root record of the name's views here
local latest, switch

function sharedata.new(name, value, ...)
	store("NEW", name, value, ...)
end

-- The updating service's own views see the new data as soon as update
-- returns; other services' views, once the notice has reached them.
function sharedata.update(name, value, ...)
	store("UPDATE", name, value, ...)
	local root = roots[name]
	if root then
		local ref = latest(name)
		if ref then
			switch(root, ref)
		end
	end
end

function sharedata.delete(name)
	request("DELETE", name)
	roots[name] = nil
end

---------------------------------------------------------------------------
-- getting this process's decoded copy of a version

local self = c.self()
local fetching = {}       -- version -> true while this service fetches it

-- A reference to the decoded tree of (name, version), or nil if that
-- version is gone (replaced or deleted) before it could be fetched.
local function obtain(name, version)
	while true do
		local ref, claimer = sd.acquire(name, version, self)
		if ref then
			return ref
		end
		if claimer == self and not fetching[version] then
			fetching[version] = true
			local ok, msg, sz = pcall(skynet.rawcall, sharedatad(), "lua",
			                          skynet.pack("FETCH", name, version))
			fetching[version] = nil
			if not ok then
				sd.unclaim(name, version)
				error(msg, 0)
			end
			if sz == 0 then
				sd.unclaim(name, version)
				return nil
			end
			return sd.load(name, version, msg, sz)
		end
		-- Another service of this process (or coroutine of this one) is
		-- fetching it: wait, unless that service has gone.
		if claimer ~= self and not c.alive(claimer) then
			sd.unclaim(name, version)
		else
			skynet.sleep(1)
		end
	end
end

-- The latest version of name: ref, or nil if there is no such data.
function latest(name)
	while true do
		local version = request("QUERY", name)
		if not version then
			return nil
		end
		local ref = obtain(name, version)
		if ref then
			return ref
		end
	end
end

---------------------------------------------------------------------------
-- proxies

local state = setmetatable({}, { __mode = "k" })   -- proxy -> its state
local cache = setmetatable({}, { __mode = "v" })   -- node -> proxy
local sd_index, sd_len, sd_next, sd_root = sd.index, sd.len, sd.next, sd.root

-- A service holds one reference per name, root.ref, to the version its
-- views show; moving to a newer version releases the old one at once, so
-- a worker frees an old version as soon as its last service has moved on
-- (not whenever garbage collection gets to it).
function switch(root, ref)
	local _, new = sd_root(ref)
	local _, cur = sd_root(root.ref)
	if new > cur then
		sd.release(root.ref)
		root.ref = ref
	elseif ref ~= root.ref then
		sd.release(ref)
	end
end

-- A proxy's state: root (the name's record: current ref), ref (the
-- reference current when node was found; compared with root.ref only,
-- it may have been released since), node, and for a subtable its parent
-- state and key.
local function resolve(s)
	local root = s.root
	if s.ref ~= root.ref then
		if s.parent then
			local node, istable = sd_index(resolve(s.parent), s.key)
			if not istable then
				error(string.format("sharedata %s: this table is gone since an update",
				                    root.name), 3)
			end
			s.node = node
		else
			s.node = sd_root(root.ref)
		end
		s.ref = root.ref
	end
	return s.node
end

local meta = {}

local function wrap(parent, key, node, ref)
	local p = cache[node]
	if p then
		local s = state[p]
		if s.node == node and s.ref == ref then
			return p
		end
	end
	p = setmetatable({}, meta)
	state[p] = { root = parent.root, ref = ref, node = node,
	             parent = parent, key = key }
	cache[node] = p
	return p
end

function meta.__index(t, k)
	local s = state[t]
	local v, istable = sd_index(resolve(s), k)
	if istable then
		return wrap(s, k, v, s.ref)
	end
	return v
end

function meta.__newindex(t, k)
	error(string.format("sharedata %s is read-only", state[t].root.name), 2)
end

function meta.__len(t)
	return sd_len(resolve(state[t]))
end

-- Iterates the version current when the loop started, to its end, even
-- if the loop yields across an update (the iterator holds a reference).
function meta.__pairs(t)
	local s = state[t]
	local node, ref, pos = resolve(s), s.ref, 0
	local pin = sd.dup(ref)
	return function()
		local k, v, istable
		pos, k, v, istable = sd_next(node, pos)
		if pos == nil then
			return nil
		end
		if istable then
			-- after an update, a subtable view from the old version
			-- finds its way to the new one when read
			v = wrap(s, k, v, s.root.ref == ref and ref or pin)
		end
		return k, v
	end, t, nil
end

function meta.__tostring(t)
	return "sharedata: " .. state[t].root.name
end

-- Follow the name: switch to each new version sharedatad announces.
local function monitor(root)
	skynet.fork(function()
		while true do
			local _, version = sd_root(root.ref)
			local next_version = request("MONITOR", root.name, version)
			local ref = next_version and
				(obtain(root.name, next_version) or latest(root.name))
			if not ref then
				-- deleted: proxies keep the last data, a new query fails
				if roots[root.name] == root then
					roots[root.name] = nil
				end
				return
			end
			switch(root, ref)
		end
	end)
end

function sharedata.query(name)
	local root = roots[name]
	if root then
		return root.proxy
	end
	local ref = latest(name)
	if not ref then
		error(string.format("sharedata %s does not exist", name), 2)
	end
	if roots[name] then           -- another coroutine got there first
		sd.release(ref)
		return roots[name].proxy
	end
	root = { name = name, ref = ref }
	local p = setmetatable({}, meta)
	state[p] = { root = root, ref = ref, node = sd_root(ref) }
	root.proxy = p
	roots[name] = root
	monitor(root)
	return p
end

local function copy(v)
	if type(v) ~= "table" then
		return v
	end
	local r = {}
	for k, x in pairs(v) do
		r[k] = copy(x)
	end
	return r
end

function sharedata.deepcopy(name, ...)
	local v = sharedata.query(name)
	for i = 1, select("#", ...) do
		if type(v) ~= "table" then
			return nil
		end
		v = v[select(i, ...)]
	end
	return copy(v)
end

function sharedata.flush()
	collectgarbage()
end

-- Extension: the decoded trees in this worker process and their bytes
-- (for tests and diagnostics).
function sharedata.info()
	return sd.info()
end

return sharedata
