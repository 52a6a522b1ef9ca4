-- skynet.lua -- the skynet service API for Lua services on actord.
--
-- Written for actord from the documented behaviour of skynet's API.  Each
-- incoming request runs in its own coroutine (taken from a pool); a
-- coroutine that blocks (call, sleep, wait) yields back to the dispatcher,
-- which resumes it when its response, timer or wake-up arrives.  Sessions
-- tie responses to the coroutine that asked.
--
-- Stock Lua gives every service its own copy of every Lua function it
-- loads, so this file holds only the core that every service needs: start,
-- dispatch, send, call, ret, response and exit.  The dispatcher, the
-- coroutine pool and resuming are in C (lualib/engine.c).  The rest of the
-- API (sleep, fork, newservice, names, ...) is in skynet/extra.lua, loaded
-- the first time a service reads a field the core does not have.

local c = require "skynet.core"

local coroutine_running = coroutine.running
local tostring = tostring
local own = c.own

local PTYPE_RESPONSE <const> = 1
local PTYPE_ERROR <const> = 7
local PTYPE_LUA <const> = 10

local skynet = {
	pack = c.pack, unpack = c.unpack, self = c.self, error = c.error,
	-- what the runtime frees after the dispatch (the message in hand) is
	-- left to it
	trash = c.drop,
	dispatch_message = c.dispatch_message,
	-- every request still pending is answered with an error, so no
	-- caller waits forever on a service that is gone
	exit = c.quit,
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

local started = false
local init_funcs = {}

local proto_of, yield_call, start_later

-- The rest of the API (skynet/extra.lua), once loaded: its hooks for the
-- engine (run_queues, unusual).
local more
local function load_more()
	if not more then
		setmetatable(skynet, nil)
		more = require "skynet.extra" {
			skynet = skynet, c = c, proto = proto, waiting = waiting,
			watching = watching, sleeping = sleeping,
			req_session = req_session, proto_of = proto_of,
			yield_call = yield_call, start_later = start_later,
		}
		c.queues(more.run_queues)
	end
	return more
end

-- Reading any field the core does not have loads the rest, which adds
-- itself to this table and leaves it a plain table.
setmetatable(skynet, { __index = function(t, k)
	load_more()
	return rawget(t, k)
end })

c.engine(proto, waiting, watching, req_session, req_source, sleeping, responses,
	load_more)

---------------------------------------------------------------------------
-- protocols

proto.lua = { name = "lua", id = PTYPE_LUA, pack = c.pack, unpack = c.unpack }
proto.response = { name = "response", id = PTYPE_RESPONSE }
proto.error = { name = "error", id = PTYPE_ERROR,
	unpack = function(...) return ... end }
proto[PTYPE_LUA], proto[PTYPE_RESPONSE], proto[PTYPE_ERROR] =
	proto.lua, proto.response, proto.error

function skynet.dispatch(typename, func)
	local p = proto[typename]
	assert(p, "unknown protocol " .. tostring(typename))
	local old = p.dispatch
	p.dispatch = func
	return old
end

---------------------------------------------------------------------------
-- sending and calling

function proto_of(typename)
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

function yield_call(addr, session)
	local co = coroutine_running()
	watching[co] = addr
	local ok, msg, sz = c.yield_session(session)
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
	return c.send(req_source[co], PTYPE_RESPONSE, session, own(msg, sz)) ~= nil
end

function skynet.retpack(...)
	return skynet.ret(skynet.pack(...))
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
			return c.send(source, PTYPE_RESPONSE, session, own(pack(...))) ~= nil
		end
		return c.send(source, PTYPE_ERROR, session, "") ~= nil
	end
	responses[f] = { source, session }
	return f
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

local function init_service(start)
	local ok, err = xpcall(function()
		for _, f in ipairs(init_funcs) do
			f()
		end
		init_funcs = {}
		started = true
		start()
	end, c.traceback)
	if ok then
		-- Many services go idle after start and would never collect what
		-- starting left behind.
		collectgarbage()
		c.started(true)
	else
		c.error("init service failed: " .. tostring(err))
		c.started(false)
		skynet.exit()
	end
end

-- Run init_service(start) once the service's init has returned, as
-- skynet.timeout(0, ...) would.
function start_later(start)
	local session = c.timeout(0)
	waiting[session] = c.co_create(function() init_service(start) end)
end

function skynet.start(start_func)
	c.callback(skynet.dispatch_message)
	start_later(start_func)
end

return skynet
