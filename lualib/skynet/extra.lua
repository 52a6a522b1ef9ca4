-- skynet/extra.lua -- the part of the skynet API that lualib/skynet.lua
-- (the core) does not hold: sleep, fork, wait and wakeup, timeouts,
-- newservice and its kin, names, env, time and the rest.
--
-- The core requires this module the first time a service reads a field
-- of the skynet table that the core lacks (or a message arrives that only
-- this module handles), and calls what it returns with the core's
-- internals, in one table (see load_more in skynet.lua).  It adds its
-- functions to the skynet table, leaving any field a service has set
-- itself, and gives back what the dispatcher (lualib/engine.c) calls:
-- run_queues after each dispatch, and unusual for a message nobody
-- dispatches.

return function(I)

local skynet, c, proto = I.skynet, I.c, I.proto
local waiting, watching, sleeping = I.waiting, I.watching, I.sleeping
local req_session, proto_of, yield_call = I.req_session, I.proto_of, I.yield_call
local start_later = I.start_later
local own, co_create, resume = c.own, c.co_create, c.resume
local yield_session = c.yield_session

local coroutine_running = coroutine.running
local select = select
local pack_args = table.pack
local unpack_args = table.unpack

local PTYPE_ERROR <const> = 7

local api = {
	PTYPE_TEXT = 0, PTYPE_RESPONSE = 1, PTYPE_MULTICAST = 2,
	PTYPE_CLIENT = 3, PTYPE_SYSTEM = 4, PTYPE_HARBOR = 5,
	PTYPE_SOCKET = 6, PTYPE_ERROR = 7, PTYPE_QUEUE = 8,
	PTYPE_DEBUG = 9, PTYPE_LUA = 10, PTYPE_SNAX = 11, PTYPE_TRACE = 12,
	packstring = c.packstring, tostring = c.tostring, now = c.now,
	hpc = c.hpc, getenv = c.getenv, genid = c.genid,
}

local fork_queue, fork_head, fork_tail = {}, 1, 0
local wakeup_queue, wakeup_head, wakeup_tail = {}, 1, 0

-- Env keys can be added, never changed: a config key or one set before
-- keeps its value for the node's life.  Values are stored as strings.
function api.setenv(key, value)
	if c.getenv(key) ~= nil then
		error("Can't setenv exist key : " .. key, 2)
	end
	if not c.setenv(key, tostring(value)) then
		error("setenv " .. key .. " failed (env full?)", 2)
	end
end

---------------------------------------------------------------------------
-- protocols

function api.register_protocol(class)
	local name, id = class.name, class.id
	assert(type(name) == "string" and type(id) == "number" and id % 1 == 0
	       and id >= 0 and id <= 255, "a protocol needs a name and an id 0..255")
	assert(proto[name] == nil and proto[id] == nil,
	       "protocol " .. name .. " is already registered")
	proto[name] = class
	proto[id] = class
end

---------------------------------------------------------------------------
-- addresses

function api.address(addr)
	if type(addr) == "number" then
		return string.format(":%08x", addr)
	end
	return tostring(addr)
end

-- Only local names (".x") resolve here; global ones never do.
function api.localname(name)
	if name:sub(1, 1) ~= "." then
		return nil
	end
	return c.query(name)
end

-- Names with a dot are node-local; without one they are global.  On a
-- clustered node (harbor ~= 0) the C layer binds a global name here and
-- the harbor registers it with the master, which binds it on every node
-- for good.  On a standalone node sends use the C-level name, which goes
-- with the service, and .globalnames keeps the binding for good, as a
-- harbor does (see harbor.queryname).  These live here rather than only
-- in skynet.manager because the tutorial's services call skynet.register
-- without requiring it.
local clustered = (tonumber(c.getenv("harbor")) or 0) ~= 0

function api.name(name, handle)
	handle = handle or c.self()
	local global = name:sub(1, 1) ~= "."
	if not c.name(name, handle) then
		local bound = global and c.query(name)
		if bound then
			-- S5.3.4-global-alias-no-rebind: the first binding stays.
			c.error(string.format("global name %s stays bound to %s, not %s",
				name, skynet.address(bound), skynet.address(handle)))
		else
			c.error(string.format("name %s is already taken (or invalid)", name))
		end
		return false
	end
	if global and not clustered then
		c.send(".globalnames", skynet.PTYPE_LUA, 0, c.pack("REGISTER", name, handle))
	end
	return true
end

function api.register(name)
	return skynet.name(name, c.self())
end

function api.harbor(addr)
	return addr >> 24, addr & 0xffffff
end

---------------------------------------------------------------------------
-- sending and calling

function api.rawsend(addr, typename, msg, sz)
	local p = proto_of(typename)
	return c.send(addr, p.id, 0, own(msg, sz))
end

function api.rawcall(addr, typename, msg, sz)
	local p = proto_of(typename)
	local session = c.send(addr, p.id, nil, own(msg, sz))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr), 2)
	end
	return yield_call(addr, session)
end

-- Extension: a call that gives up after `ti` ticks (10 ms units).  Returns
-- true and the answer, or false, "timeout"; an answer arriving later is
-- dropped.  A plain skynet.call keeps waiting, as in skynet.
function api.timeoutcall(ti, addr, typename, ...)
	local p = proto_of(typename)
	local session = c.send(addr, p.id, nil, own(p.pack(...)))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr), 2)
	end
	local co = coroutine_running()
	local timer = c.timeout(ti)
	waiting[timer] = co
	sleeping[co] = timer
	watching[co] = addr
	local ok, msg, sz = yield_session(session)
	watching[co] = nil
	sleeping[co] = nil
	if waiting[session] == co then
		-- the timer (or a wakeup) won: ignore what comes back later
		waiting[session] = "BREAK"
		return false, "timeout"
	end
	waiting[timer] = "BREAK"
	if not ok then
		error("call failed: " .. skynet.address(addr), 0)
	end
	return true, p.unpack(msg, sz)
end

function api.redirect(dest, source, typename, session, msg, sz)
	return c.redirect(dest, source, proto_of(typename).id, session, own(msg, sz))
end

function api.ignoreret()
	req_session[coroutine_running()] = nil
end

---------------------------------------------------------------------------
-- time and scheduling

function api.starttime()
	return c.starttime()
end

function api.time()
	return c.now() / 100 + c.starttime()
end

function api.sleep(ti)
	local co = coroutine_running()
	local session = c.timeout(ti)
	sleeping[co] = session
	local ok, why = yield_session(session)
	sleeping[co] = nil
	if ok then
		return
	end
	if why == "BREAK" then
		return "BREAK"
	end
	error(why)
end

function api.yield()
	return skynet.sleep(0)
end

-- Block until skynet.wakeup(token); the token defaults to the running
-- coroutine and may be any value (a table shared by several coroutines).
function api.wait(token)
	local co = coroutine_running()
	token = token or co
	local session = c.genid()
	sleeping[token] = session
	local ok, why = yield_session(session)
	sleeping[token] = nil
	waiting[session] = nil
	if not ok and why ~= "BREAK" then
		error(why)
	end
end

-- Wake what sleeps or waits on `token`.  It runs after the waker yields.
function api.wakeup(token)
	local session = sleeping[token]
	local co = session and waiting[session]
	if type(co) == "thread" then
		waiting[session] = "BREAK"
		wakeup_tail = wakeup_tail + 1
		wakeup_queue[wakeup_tail] = co
		return true
	end
	return false
end

function api.timeout(ti, func)
	local session = c.timeout(ti)
	local co = co_create(func)
	waiting[session] = co
	return co
end

function api.fork(func, ...)
	local co
	if select("#", ...) == 0 then
		co = co_create(func)
	else
		local args = pack_args(...)
		co = co_create(function() func(unpack_args(args, 1, args.n)) end)
	end
	fork_tail = fork_tail + 1
	fork_queue[fork_tail] = co
	return co
end

---------------------------------------------------------------------------
-- dispatching: what the core hands over

local more = {}

-- Wake-ups and forks run after the message that caused them, in order.
function more.run_queues()
	while wakeup_head <= wakeup_tail or fork_head <= fork_tail do
		if wakeup_head <= wakeup_tail then
			local co = wakeup_queue[wakeup_head]
			wakeup_queue[wakeup_head] = nil
			wakeup_head = wakeup_head + 1
			resume(co, false, "BREAK")
		else
			local co = fork_queue[fork_head]
			fork_queue[fork_head] = nil
			fork_head = fork_head + 1
			resume(co)
		end
	end
	wakeup_head, wakeup_tail, fork_head, fork_tail = 1, 0, 1, 0
end

-- An error with session 0 says "this address is down": every call still
-- waiting on it fails, and an "error" dispatch, if set, hears of it.
local function service_down(source)
	local down = {}
	for session, co in pairs(waiting) do
		if type(co) == "thread" and watching[co] == source then
			down[#down + 1] = session
		end
	end
	for _, session in ipairs(down) do
		local co = waiting[session]
		waiting[session] = nil
		resume(co, false)
	end
	local f = proto[PTYPE_ERROR].dispatch
	if f then
		c.serve(f, nil, 0, source)
	end
end

-- A message the core does not dispatch: "this address is down" (an error
-- with session 0), or one of a protocol without a dispatch function (f is
-- nil) or of no protocol at all (p is nil).
function more.unusual(f, p, typeid, session, source)
	if typeid == PTYPE_ERROR then
		return service_down(source)
	end
	if session ~= 0 then
		c.send(source, PTYPE_ERROR, session, "")
	end
	if p == nil then
		c.error(string.format("Unknown request (%d): %s", typeid,
		        skynet.address(source)))
	else
		c.error(string.format("No dispatch for %s message from %s",
		        p.name, skynet.address(source)))
	end
end

---------------------------------------------------------------------------
-- starting and ending

-- Start a service whose messages are re-typed by `map` (type id -> type
-- id) and whose payloads are not freed after dispatch, so a proxy can
-- pass them on untouched (skynet.manager's forward_type).
function api.forward_type(map, start_func)
	c.callback(function(ptype, msg, sz, ...)
		local mapped = map[ptype]
		if mapped then
			c.dispatch(false, mapped, msg, sz, ...)
		else
			local ok, err = pcall(c.dispatch, true, ptype, msg, sz, ...)
			c.trash(msg, sz)
			if not ok then error(err, 0) end
		end
	end, true)
	start_later(start_func)
end

function api.kill(addr)
	if type(addr) == "string" then
		addr = c.query(addr)
		if addr == nil then return end
	end
	c.kill(addr)
	-- the launcher forgets it (and fails a newservice still waiting on it)
	c.send(".launcher", skynet.PTYPE_LUA, 0, c.pack("REMOVE", addr, true))
end

function api.abort()
	c.abort()
end

function api.memory()
	return c.memory()
end

---------------------------------------------------------------------------
-- services

function api.launch(name, ...)
	return c.launch(name, table.concat({ ... }, " "))
end

-- Where a plain newservice goes, by the `placement` config key (see
-- docs/placement.md): balanced (fewest services), spread (each on the next
-- worker), same (the caller's worker).
local PLACE = { balanced = false, spread = -3, same = -2 }
local default_where

-- Start a Lua service and wait until its start function returned.  The
-- new service answers our session itself (no round trip through the
-- launcher); if it fails or ends first, the runtime or it says so.
local function launch_child(where, name, ...)
	local args = table.concat({ name, ... }, " ")
	local session = c.genid()
	local h = c.launch("snlua", args, where or nil, session)
	if h == nil then
		error("can't launch service " .. tostring(name), 3)
	end
	local co = coroutine_running()
	watching[co] = h
	local ok, msg, sz = yield_session(session)
	watching[co] = nil
	if not ok then
		error("launch " .. args .. " failed", 3)
	end
	if c.unpack(msg, sz) then
		return h
	end
	return nil
end

function api.newservice(name, ...)
	if default_where == nil then
		local place = c.getenv("placement") or "balanced"
		default_where = PLACE[place]
		if default_where == nil then
			c.error("unknown placement " .. place .. ", using balanced")
			default_where = false
		end
	end
	return launch_child(default_where, name, ...)
end

-- Extension (placement): start a service on worker `where` (an index from
-- 0), or on the caller's own worker with where = "here".
function api.newservice_on(where, name, ...)
	return launch_child(where == "here" and -2 or math.tointeger(where), name, ...)
end

-- Unique services: `uniqueservice(name, ...)` for this node,
-- `uniqueservice(true, name, ...)` for the whole cluster (a standalone node
-- is the whole cluster).
function api.uniqueservice(global, ...)
	if global == true then
		return skynet.call(".service", "lua", "GLAUNCH", ...)
	end
	return skynet.call(".service", "lua", "LAUNCH", global, ...)
end

function api.queryservice(global, ...)
	if global == true then
		return skynet.call(".service", "lua", "GQUERY", ...)
	end
	return skynet.call(".service", "lua", "QUERY", global, ...)
end

-- A field the service set itself before this module was loaded wins.
for k, v in pairs(api) do
	if rawget(skynet, k) == nil then
		skynet[k] = v
	end
end
return more

end
