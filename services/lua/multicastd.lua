-- multicastd.lua -- the node's multicast channels (skynet.multicast).
--
-- Commands (lua protocol):
--   NEW            -> a new channel id (call)
--   SUB id / USUB id / DEL id    (calls; unknown or deleted ids: no-op)
--   PUB id packed  (send, from the publisher)
--
-- Channel ids are never reused.  On a standalone node (harbor 0) they
-- count 1, 2, 3...; with a harbor id h they are n * 256 + h for n = 0, 1,
-- 2..., so the owning node is in the low byte (the seed's first channel
-- on harbor 1 is 1).
--
-- Delivery cost: a PUB is sent on as one message per subscriber, each a
-- private copy of the payload (a malloc and memcpy of its size in
-- c.send, plus one more copy through the ring for a subscriber on another
-- worker, which lives in another process).  Publishing s bytes to n
-- subscribers therefore costs O(n * s) copying and n messages; nothing is
-- shared or reference counted, so a subscriber that ends before reading
-- its copy leaks nothing.
local skynet = require "skynet"
local c = require "skynet.core"

local harbor = skynet.harbor(skynet.self())
local count = 0
local channels = {}       -- id -> { [subscriber] = true }

local command = {}

function command.NEW()
	local id
	if harbor == 0 then
		count = count + 1
		id = count
	else
		id = count * 256 + harbor
		count = count + 1
	end
	channels[id] = {}
	return id
end

function command.SUB(source, id)
	local subs = channels[id]
	if subs then
		subs[source] = true
	end
end

function command.USUB(source, id)
	local subs = channels[id]
	if subs then
		subs[source] = nil
	end
end

function command.DEL(_, id)
	channels[id] = nil
end

-- The delivered payload: the channel id (packed int64), then the values.
local function publish(source, id, packed)
	local subs = channels[id]
	if not subs then
		return
	end
	local payload = string.pack("<Bi8", 0x32, id) .. packed
	local gone
	for sub in pairs(subs) do
		-- a one-way send to a service that has ended fails: forget it
		if not c.redirect(sub, source, skynet.PTYPE_MULTICAST, 0, payload) then
			gone = gone or {}
			gone[#gone + 1] = sub
		end
	end
	for _, sub in ipairs(gone or {}) do
		subs[sub] = nil
	end
end

skynet.dispatch("lua", function(session, source, cmd, ...)
	if cmd == "PUB" then
		return publish(source, ...)
	end
	local f = command[cmd]
	if not f then
		error("multicastd: unknown command " .. tostring(cmd))
	end
	local r = f(source, ...)
	if session ~= 0 then
		skynet.ret(skynet.pack(r))
	end
end)

skynet.start(function() end)
