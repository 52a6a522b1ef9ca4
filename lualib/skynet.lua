-- skynet.lua -- the skynet service API for Lua services on actord.
--
-- Written for actord from the documented behaviour of skynet's API.  Each
-- incoming request runs in its own coroutine (taken from a pool); a
-- coroutine that blocks (call, sleep, wait) yields back to the dispatcher,
-- which resumes it when its response, timer or wake-up arrives.  Sessions
-- tie responses to the coroutine that asked.

local c = require "skynet.core"

local coroutine_create = coroutine.create
local coroutine_resume = coroutine.resume
local coroutine_yield = coroutine.yield
local coroutine_running = coroutine.running
-- debug and math are opened on first use (see services/snlua.c): touch
-- them only when needed.
local function traceback(...) return debug.traceback(...) end
local tostring = tostring
local select = select
local pack_args = table.pack
local unpack_args = table.unpack

local skynet = {
	PTYPE_TEXT = 0, PTYPE_RESPONSE = 1, PTYPE_MULTICAST = 2,
	PTYPE_CLIENT = 3, PTYPE_SYSTEM = 4, PTYPE_HARBOR = 5,
	PTYPE_SOCKET = 6, PTYPE_ERROR = 7, PTYPE_QUEUE = 8,
	PTYPE_DEBUG = 9, PTYPE_LUA = 10, PTYPE_SNAX = 11, PTYPE_TRACE = 12,
}

local proto = {}              -- protocol by name and by id

-- What each coroutine is doing.
local waiting = {}            -- session -> coroutine waiting for it ("BREAK": woken early)
-- coroutine -> address its call went to.  Keyed by coroutine, which the
-- pool reuses, rather than by session, which is new every time: a new key
-- costs Lua a table insert, a reused one does not.
local watching = {}
local req_session = {}        -- coroutine -> session of the request it serves
local req_source = {}         -- coroutine -> who sent that request
local sleeping = {}           -- coroutine -> session it sleeps or waits on
local responses = {}          -- pending response closures -> { requester, session }

local fork_queue, fork_head, fork_tail = {}, 1, 0
local wakeup_queue, wakeup_head, wakeup_tail = {}, 1, 0
local errors = {}             -- errors of this dispatch, raised at its end

local started = false
local init_funcs = {}
local exiting = false

skynet.pack = c.pack
skynet.packstring = c.packstring
skynet.unpack = c.unpack
skynet.tostring = c.tostring
skynet.self = c.self
skynet.now = c.now
skynet.hpc = c.hpc
skynet.getenv = c.getenv
skynet.genid = c.genid

-- Env keys can be added, never changed: a config key or one set before
-- keeps its value for the node's life.  Values are stored as strings.
function skynet.setenv(key, value)
	if c.getenv(key) ~= nil then
		error("Can't setenv exist key : " .. key, 2)
	end
	if not c.setenv(key, tostring(value)) then
		error("setenv " .. key .. " failed (env full?)", 2)
	end
end

-- The payload of the message being dispatched, which the runtime (or
-- forward_type) frees once the dispatch ends.  Passing it on must not
-- hand it over: a proxy's skynet.ret(skynet.rawcall(...)) (7.13.1) would
-- free it twice.
local borrowed

-- msg, sz as a payload the runtime may take: a borrowed one is copied.
local function own(msg, sz)
	if msg ~= nil and msg == borrowed then
		return c.tostring(msg, sz)
	end
	return msg, sz
end

function skynet.trash(msg, sz)
	if msg ~= borrowed then
		c.trash(msg, sz)
	end
end

---------------------------------------------------------------------------
-- coroutine pool

local pool = {}
local starting = {}           -- task not yet run -> its function

-- A pooled coroutine runs task after task.  Each task arrives as one
-- resume with the function and its arguments; after it the coroutine
-- parks itself in the pool.  The tail call keeps the stack flat.
local function task_loop(f, ...)
	f(...)
	pool[#pool + 1] = coroutine_running()
	return task_loop(coroutine_yield("DONE"))
end

local function get_coroutine()
	local n = #pool
	local co = pool[n]
	if co then
		pool[n] = nil
		return co
	end
	return coroutine_create(task_loop)
end

-- A task that starts on a later resume (a fork, a timeout).
local function co_create(f)
	local co = get_coroutine()
	starting[co] = f
	return co
end

---------------------------------------------------------------------------
-- resuming and what a coroutine yields

local function forget(co)
	req_session[co] = nil
	req_source[co] = nil
	sleeping[co] = nil
end

-- After a coroutine stops: on an error, answer its caller if it was
-- serving a request and keep the error for the end of the dispatch.  A
-- coroutine that raised is not reused.
local function suspend(co, ok, cmd)
	if not ok then
		local session = req_session[co]
		if session and session ~= 0 then
			c.send(req_source[co], skynet.PTYPE_ERROR, session, "")
		end
		forget(co)
		errors[#errors + 1] = traceback(co, tostring(cmd))
	elseif cmd == "DONE" or cmd == "QUIT" then
		forget(co)
	end
	-- "SUSPEND": waiting on a session; nothing to do until it comes.
end

local function resume(co, ...)
	local f = starting[co]
	if f then
		starting[co] = nil
		return suspend(co, coroutine_resume(co, f, ...))
	end
	return suspend(co, coroutine_resume(co, ...))
end

local function yield_session(session, co)
	waiting[session] = co
	return coroutine_yield("SUSPEND")
end

---------------------------------------------------------------------------
-- protocols

function skynet.register_protocol(class)
	local name, id = class.name, class.id
	assert(type(name) == "string" and type(id) == "number" and id % 1 == 0
	       and id >= 0 and id <= 255, "a protocol needs a name and an id 0..255")
	assert(proto[name] == nil and proto[id] == nil,
	       "protocol " .. name .. " is already registered")
	proto[name] = class
	proto[id] = class
end

skynet.register_protocol { name = "lua", id = skynet.PTYPE_LUA,
	pack = c.pack, unpack = c.unpack }
skynet.register_protocol { name = "response", id = skynet.PTYPE_RESPONSE }
skynet.register_protocol { name = "error", id = skynet.PTYPE_ERROR,
	unpack = function(...) return ... end }

function skynet.dispatch(typename, func)
	local p = proto[typename]
	assert(p, "unknown protocol " .. tostring(typename))
	local old = p.dispatch
	p.dispatch = func
	return old
end

---------------------------------------------------------------------------
-- addresses

function skynet.address(addr)
	if type(addr) == "number" then
		return string.format(":%08x", addr)
	end
	return tostring(addr)
end

-- Only local names (".x") resolve here; global ones never do.
function skynet.localname(name)
	if name:sub(1, 1) ~= "." then
		return nil
	end
	return c.query(name)
end

-- Names with a dot are node-local; without one they are global: sends
-- use the C-level name, which goes with the service, and .globalnames
-- keeps the binding for good, as a harbor does (see harbor.queryname).
-- These live here rather than only in skynet.manager because the
-- tutorial's services call skynet.register without requiring it.
function skynet.name(name, handle)
	handle = handle or c.self()
	if not c.name(name, handle) then
		c.error(string.format("name %s is already taken (or invalid)", name))
		return false
	end
	if name:sub(1, 1) ~= "." then
		c.send(".globalnames", skynet.PTYPE_LUA, 0, c.pack("REGISTER", name, handle))
	end
	return true
end

function skynet.register(name)
	return skynet.name(name, c.self())
end

function skynet.harbor(addr)
	return addr >> 24, addr & 0xffffff
end

---------------------------------------------------------------------------
-- sending and calling

local function proto_of(typename)
	local p = proto[typename]
	if p == nil then
		error("unknown protocol " .. tostring(typename), 3)
	end
	return p
end

function skynet.send(addr, typename, ...)
	local p = proto_of(typename)
	return c.send(addr, p.id, 0, own(p.pack(...)))
end

function skynet.rawsend(addr, typename, msg, sz)
	local p = proto_of(typename)
	return c.send(addr, p.id, 0, own(msg, sz))
end

local function yield_call(addr, session)
	local co = coroutine_running()
	watching[co] = addr
	local ok, msg, sz = yield_session(session, co)
	watching[co] = nil
	if not ok then
		error("call failed: " .. skynet.address(addr), 0)
	end
	return msg, sz
end

function skynet.call(addr, typename, ...)
	local p = proto_of(typename)
	local session = c.send(addr, p.id, nil, own(p.pack(...)))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr), 2)
	end
	return p.unpack(yield_call(addr, session))
end

function skynet.rawcall(addr, typename, msg, sz)
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
function skynet.timeoutcall(ti, addr, typename, ...)
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
	local ok, msg, sz = yield_session(session, co)
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

function skynet.redirect(dest, source, typename, session, msg, sz)
	return c.redirect(dest, source, proto_of(typename).id, session, own(msg, sz))
end

function skynet.ret(msg, sz)
	local co = coroutine_running()
	local session = req_session[co]
	if session == nil then
		error("No session", 2)
	end
	req_session[co] = nil
	if session == 0 then
		-- a send, not a call: nobody waits for an answer
		skynet.trash(msg, sz)
		return false
	end
	return c.send(req_source[co], skynet.PTYPE_RESPONSE, session, own(msg, sz)) ~= nil
end

function skynet.retpack(...)
	return skynet.ret(skynet.pack(...))
end

function skynet.ignoreret()
	req_session[coroutine_running()] = nil
end

-- A closure that answers the current request later, from any coroutine,
-- once: response(true, ...) answers, response(false) raises in the
-- caller, response("test") tells whether the caller is still there.
function skynet.response(pack)
	pack = pack or skynet.pack
	local co = coroutine_running()
	local session, source = req_session[co], req_source[co]
	if session == nil then
		error("No session", 2)
	end
	req_session[co] = nil
	if session == 0 then
		-- a send: nobody waits, so answering is a no-op (a handler may
		-- take a response before it knows whether it got a call, 7.8)
		return function() return false end
	end
	local f
	f = function(ok, ...)
		if ok == "test" or ok == "TEST" then
			return responses[f] ~= nil and c.alive(source)
		end
		if responses[f] == nil then
			error("Can't response more than once", 2)
		end
		responses[f] = nil
		if ok then
			return c.send(source, skynet.PTYPE_RESPONSE, session, own(pack(...))) ~= nil
		end
		return c.send(source, skynet.PTYPE_ERROR, session, "") ~= nil
	end
	responses[f] = { source, session }
	return f
end

---------------------------------------------------------------------------
-- time and scheduling

function skynet.starttime()
	return c.starttime()
end

function skynet.time()
	return c.now() / 100 + c.starttime()
end

function skynet.sleep(ti)
	local co = coroutine_running()
	local session = c.timeout(ti)
	sleeping[co] = session
	local ok, why = yield_session(session, co)
	sleeping[co] = nil
	if ok then
		return
	end
	if why == "BREAK" then
		return "BREAK"
	end
	error(why)
end

function skynet.yield()
	return skynet.sleep(0)
end

-- Block until skynet.wakeup(token); the token defaults to the running
-- coroutine and may be any value (a table shared by several coroutines).
function skynet.wait(token)
	local co = coroutine_running()
	token = token or co
	local session = c.genid()
	sleeping[token] = session
	local ok, why = yield_session(session, co)
	sleeping[token] = nil
	waiting[session] = nil
	if not ok and why ~= "BREAK" then
		error(why)
	end
end

-- Wake what sleeps or waits on `token`.  It runs after the waker yields.
function skynet.wakeup(token)
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

function skynet.timeout(ti, func)
	local session = c.timeout(ti)
	local co = co_create(func)
	waiting[session] = co
	return co
end

function skynet.fork(func, ...)
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
-- dispatching

local function dispatch_response(session, ok, msg, sz)
	local co = waiting[session]
	if co == "BREAK" then
		waiting[session] = nil
		return
	end
	if co == nil then
		if ok then
			c.error("Unknown response session " .. session)
		end
		return
	end
	waiting[session] = nil
	resume(co, ok, msg, sz)
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
	local f = proto[skynet.PTYPE_ERROR].dispatch
	if f then
		serve(f, nil, 0, source)
	end
end

-- The request runs in a coroutine of its own; unpacking happens there too,
-- so a message that does not unpack fails that request alone: its caller
-- gets an error and the error is logged.
local function unpack_and_run(f, unpack, session, source, msg, sz)
	return f(session, source, unpack(msg, sz))
end

local function serve(f, unpack, session, source, msg, sz)
	local co = get_coroutine()
	req_session[co] = session
	req_source[co] = source
	if unpack then
		return suspend(co, coroutine_resume(co, unpack_and_run, f, unpack,
		                                    session, source, msg, sz))
	end
	return suspend(co, coroutine_resume(co, f, session, source, msg, sz))
end

local function raw_dispatch(typeid, msg, sz, session, source)
	if typeid == skynet.PTYPE_RESPONSE then
		return dispatch_response(session, true, msg, sz)
	end
	if typeid == skynet.PTYPE_ERROR then
		if session == 0 then
			return service_down(source)
		end
		return dispatch_response(session, false)
	end
	local p = proto[typeid]
	local f = p and p.dispatch
	if f == nil then
		if session ~= 0 then
			c.send(source, skynet.PTYPE_ERROR, session, "")
		end
		if p == nil then
			c.error(string.format("Unknown request (%d): %s", typeid,
			        skynet.address(source)))
		else
			c.error(string.format("No dispatch for %s message from %s",
			        p.name, skynet.address(source)))
		end
		return
	end
	return serve(f, p.unpack, session, source, msg, sz)
end

-- Wake-ups and forks run after the message that caused them, in order.
local function run_queues()
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

-- borrow: the runtime frees the payload after this dispatch (see own).
local function dispatch(borrow, typeid, msg, ...)
	borrowed = borrow and msg or nil
	local ok, err = pcall(raw_dispatch, typeid, msg, ...)
	if not ok then
		errors[#errors + 1] = tostring(err)
	end
	run_queues()
	borrowed = nil
	if #errors > 0 then
		local all = table.concat(errors, "\n")
		errors = {}
		error(all, 0)
	end
end

function skynet.dispatch_message(...)
	return dispatch(true, ...)
end

---------------------------------------------------------------------------
-- starting and ending

function skynet.init(f)
	if started then
		f()
	else
		init_funcs[#init_funcs + 1] = f
	end
end

-- Whoever started this service waits until its start function returned:
-- a newservice caller waits on a session (core.parent), the `.launcher`
-- on a message.  started: true (ready), false (failed), nil (ended itself
-- during start: newservice returns nil).
local function tell_launcher(started)
	local parent, session = c.parent()
	if parent then
		if started == false then
			c.send(parent, skynet.PTYPE_ERROR, session, "")
		else
			c.send(parent, skynet.PTYPE_RESPONSE, session, c.pack(started))
		end
	elseif started then
		c.send(".launcher", skynet.PTYPE_LUA, 0, c.pack("LAUNCHOK"))
	elseif started == false then
		c.send(".launcher", skynet.PTYPE_LUA, 0, c.pack("ERROR"))
	end
end

local function init_service(start)
	local ok, err = xpcall(function()
		for _, f in ipairs(init_funcs) do
			f()
		end
		init_funcs = {}
		started = true
		start()
	end, traceback)
	if ok then
		-- Many services go idle after start and would never collect what
		-- starting left behind.
		collectgarbage()
		tell_launcher(true)
	else
		c.error("init service failed: " .. tostring(err))
		tell_launcher(false)
		skynet.exit()
	end
end

function skynet.start(start_func)
	c.callback(skynet.dispatch_message)
	skynet.timeout(0, function() init_service(start_func) end)
end

-- Start a service whose messages are re-typed by `map` (type id -> type
-- id) and whose payloads are not freed after dispatch, so a proxy can
-- pass them on untouched (skynet.manager's forward_type).
function skynet.forward_type(map, start_func)
	c.callback(function(ptype, msg, sz, ...)
		local mapped = map[ptype]
		if mapped then
			dispatch(false, mapped, msg, sz, ...)
		else
			local ok, err = pcall(dispatch, true, ptype, msg, sz, ...)
			c.trash(msg, sz)
			if not ok then error(err, 0) end
		end
	end, true)
	skynet.timeout(0, function() init_service(start_func) end)
end

function skynet.exit()
	if exiting then
		return
	end
	exiting = true
	-- Nobody may wait forever on a service that is gone.
	for co, session in pairs(req_session) do
		if session ~= 0 and req_source[co] then
			c.send(req_source[co], skynet.PTYPE_ERROR, session, "")
		end
	end
	for resp, to in pairs(responses) do
		c.send(to[1], skynet.PTYPE_ERROR, to[2], "")
		responses[resp] = nil
	end
	tell_launcher(nil)
	c.send(".launcher", skynet.PTYPE_LUA, 0, c.pack("REMOVE", c.self(), false))
	c.exit()
	coroutine_yield("QUIT")
end

function skynet.kill(addr)
	if type(addr) == "string" then
		addr = c.query(addr)
		if addr == nil then return end
	end
	c.kill(addr)
	-- the launcher forgets it (and fails a newservice still waiting on it)
	c.send(".launcher", skynet.PTYPE_LUA, 0, c.pack("REMOVE", addr, true))
end

function skynet.abort()
	c.abort()
end

function skynet.error(...)
	return c.error(...)
end

function skynet.memory()
	return c.memory()
end

---------------------------------------------------------------------------
-- services

function skynet.launch(name, ...)
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
	local ok, msg, sz = yield_session(session, co)
	watching[co] = nil
	if not ok then
		error("launch " .. args .. " failed", 3)
	end
	if c.unpack(msg, sz) then
		return h
	end
	return nil
end

function skynet.newservice(name, ...)
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
function skynet.newservice_on(where, name, ...)
	return launch_child(where == "here" and -2 or math.tointeger(where), name, ...)
end

-- Unique services: `uniqueservice(name, ...)` for this node,
-- `uniqueservice(true, name, ...)` for the whole cluster (a standalone node
-- is the whole cluster).
function skynet.uniqueservice(global, ...)
	if global == true then
		return skynet.call(".service", "lua", "GLAUNCH", ...)
	end
	return skynet.call(".service", "lua", "LAUNCH", global, ...)
end

function skynet.queryservice(global, ...)
	if global == true then
		return skynet.call(".service", "lua", "GQUERY", ...)
	end
	return skynet.call(".service", "lua", "QUERY", global, ...)
end

return skynet
