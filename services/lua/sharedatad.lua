-- sharedatad.lua -- the node's keeper of shared data (skynet.sharedata).
--
-- Holds the latest version of every shared table, packed (one compact
-- string per name), and a version number for it.  Versions come from one
-- counter, so (name, version) never repeats, even after a delete and a
-- new of the same name.  Services never get the data in a normal
-- message: each worker process decodes a version once (the first service
-- of the worker to need it FETCHes it) and its services read that one
-- copy; see lualib/skynet/sharedata.lua and docs/sharedata.md.
--
-- Commands (lua protocol, all calls):
--   NEW name kind payload ...   kind "table": payload is the packed table;
--                               kind "source": Lua source or "@file", run
--                               in a sandbox with ... as its arguments
--   UPDATE name kind payload ...  as NEW; creates the name if missing
--   DELETE name
--   QUERY name          -> version | nil
--   FETCH name version  -> raw: the packed table, or nothing if that
--                          version is no longer the latest
--   MONITOR name version -> the next version, or nil once deleted;
--                          answered when the data changes
local skynet = require "skynet"
local sd = require "skynet.sharedata.core"

local pool = {}        -- name -> { version =, packed =, monitors = {response...} }
local counter = 0
local NORET = {}

-- Lua source (or "@file") to a table: the chunk runs in a sandbox whose
-- globals fall back to the real ones; it returns its table, or else its
-- own globals are the data.
local function from_source(name, source, ...)
	local chunkname = "=" .. name
	if source:sub(1, 1) == "@" then
		local file = source:sub(2)
		local f, err = io.open(file, "rb")
		if not f then
			error(err, 0)
		end
		source = f:read "a"
		f:close()
		chunkname = "@" .. file
	end
	local env = setmetatable({}, { __index = _ENV })
	local chunk, err = load(source, chunkname, "t", env)
	if not chunk then
		error(err, 0)
	end
	local r = chunk(...)
	if type(r) ~= "table" then
		r = setmetatable(env, nil)
	end
	return skynet.packstring(r)
end

local function packed_value(name, kind, payload, ...)
	if kind == "source" then
		payload = from_source(name, payload, ...)
	end
	sd.check(payload)      -- raises on keys or values sharedata can't hold
	return payload
end

local function notify(obj, version)
	for _, r in ipairs(obj.monitors) do
		r(true, true, version)     -- as the dispatch below answers: ok, result
	end
	obj.monitors = {}
end

local command = {}

function command.NEW(name, kind, payload, ...)
	if pool[name] then
		error(string.format("sharedata %s already exists", name), 0)
	end
	local packed = packed_value(name, kind, payload, ...)
	counter = counter + 1
	pool[name] = { version = counter, packed = packed, monitors = {} }
	return true
end

function command.UPDATE(name, kind, payload, ...)
	local obj = pool[name]
	if not obj then
		return command.NEW(name, kind, payload, ...)
	end
	obj.packed = packed_value(name, kind, payload, ...)
	counter = counter + 1
	obj.version = counter
	notify(obj, counter)
	return true
end

function command.DELETE(name)
	local obj = pool[name]
	if obj then
		pool[name] = nil
		notify(obj, nil)
	end
	return true
end

function command.QUERY(name)
	local obj = pool[name]
	return obj and obj.version
end

function command.MONITOR(name, version)
	local obj = pool[name]
	if not obj then
		return nil
	end
	if obj.version ~= version then
		return obj.version
	end
	local m = obj.monitors
	-- Services that ended while monitoring leave their responses behind;
	-- sweep them when the list has doubled since the last sweep.
	if #m >= (obj.swept or 16) then
		local live = {}
		for _, r in ipairs(m) do
			if r("test") then live[#live + 1] = r end
		end
		obj.monitors, m = live, live
		obj.swept = 2 * #live + 16
	end
	m[#m + 1] = skynet.response()
	return NORET
end

skynet.dispatch("lua", function(session, source, cmd, ...)
	if cmd == "FETCH" then
		local name, version = ...
		local obj = pool[name]
		if obj and obj.version == version then
			skynet.ret(obj.packed)
		else
			skynet.ret()
		end
		return
	end
	local f = command[cmd]
	if not f then
		error("sharedatad: unknown command " .. tostring(cmd))
	end
	local ok, r = pcall(f, ...)
	if r == NORET then
		return
	end
	if ok then
		skynet.ret(skynet.pack(true, r))
	else
		skynet.ret(skynet.pack(false, tostring(r)))
	end
end)

skynet.start(function() end)
