-- globalnames.lua -- `.globalnames`: where a service waits for a global
-- name or a harbor link (skynet.harbor's queryname, connect, link and
-- linkmaster).
--
-- A global name is bound once and for good: it outlives its service, so
-- queryname still answers the old handle, and it cannot be bound to
-- another service later.
--
-- On a standalone node (harbor = 0) this is the book of global names:
-- skynet.name sends REGISTER here, since the C-level name goes with its
-- service.  On a clustered node the harbor sidecar keeps global names in
-- the node's name table (the master binds them on every node) and link
-- states in the segment header; both are written by the sidecar, not
-- sent here, so that nothing is lost while this service is not up yet.
-- A query that must wait is then answered by one poll loop that runs
-- only while someone waits.
local skynet = require "skynet"
local c = require "skynet.core"

local clustered = (tonumber(skynet.getenv("harbor")) or 0) ~= 0
local POLL_TICKS = 2

local bound = {}     -- standalone: name -> handle
local waiting = {}   -- standalone: name -> { response, ... } before the bind
local waits = {}     -- clustered: { ready = fn, r = response }, oldest first
local polling = false
local NORET = {}

local function poll()
	polling = true
	while #waits > 0 do
		skynet.sleep(POLL_TICKS)
		local keep = {}
		for _, w in ipairs(waits) do
			local done, v = w.ready()
			if done then
				w.r(true, v)
			else
				keep[#keep + 1] = w
			end
		end
		waits = keep
	end
	polling = false
end

-- Answer now if ready() says so, else when it does.
local function wait(ready)
	local done, v = ready()
	if done then
		return v
	end
	waits[#waits + 1] = { ready = ready, r = skynet.response() }
	if not polling then
		skynet.fork(poll)
	end
	return NORET
end

local command = {}

function command.REGISTER(name, handle)
	local old = bound[name]
	if old then
		if old ~= handle then
			skynet.error(string.format("global name %s stays bound to %s, not %s",
				name, skynet.address(old), skynet.address(handle)))
		end
		return NORET
	end
	bound[name] = handle
	for _, r in ipairs(waiting[name] or {}) do
		r(true, handle)
	end
	waiting[name] = nil
	return NORET
end

function command.QUERYNAME(name)
	if clustered then
		return wait(function()
			local h = c.query(name)
			return h ~= nil, h
		end)
	end
	if bound[name] then
		return bound[name]
	end
	local w = waiting[name] or {}
	waiting[name] = w
	w[#w + 1] = skynet.response()
	return NORET
end

-- Returns once node id is linked (at once if it is).
function command.CONNECT(id)
	return wait(function()
		return id == c.self() >> 24 or c.harborlink(id) & 1 == 1, nil
	end)
end

-- Returns once the link to node id has gone; at once if it is not up now
-- (as skynet's harbor.link).
function command.LINK(id)
	local seen = c.harborlink(id)
	if seen & 1 == 0 then
		return nil
	end
	return wait(function()
		return c.harborlink(id) ~= seen, nil
	end)
end

-- Returns at the next drop of the link to the master.  Unlike LINK it
-- waits even when the link is down now: a node's services start before
-- its sidecar has reached the master, and skynet's harbor.linkmaster
-- waits for the next drop whatever the state.
function command.LINKMASTER()
	local seen = c.harborlink(0)
	local drop = seen & 1 == 1 and seen + 1 or seen + 2
	return wait(function()
		return c.harborlink(0) >= drop, nil
	end)
end

skynet.dispatch("lua", function(session, _, cmd, ...)
	local f = command[cmd]
	if not f then
		skynet.error("globalnames: unknown command " .. tostring(cmd))
		if session ~= 0 then skynet.response()(false) end
		return
	end
	local r = f(...)
	if r ~= NORET and session ~= 0 then
		skynet.retpack(r)
	end
end)

skynet.start(function()
	skynet.register(".globalnames")
end)
