-- skynet.multicast -- publish/subscribe channels (tutorial chapter 8).
--
--   local mc = require "skynet.multicast"
--   local channel = mc.new()          -- a new channel; channel.channel is its id
--   local c2 = mc.new { channel = id, dispatch = function(channel, source, ...) end }
--   channel:publish(...)              -- any Lua values
--   channel:subscribe()  channel:unsubscribe()  channel:delete()
--
-- The node's multicastd (a unique service, started on first use) keeps
-- the channels and their subscribers, wherever they run.  A subscriber
-- gets each message as a PTYPE_MULTICAST (2) message from the publisher's
-- address, and its dispatch is called with the channel object (which
-- prints as "[Multicast:<id in hex>]"), the publisher and the values.
-- After delete, publish and subscribe do nothing and raise nothing; ids
-- are never reused, so deleting twice is harmless.  new{pack = f,
-- unpack = f} replaces skynet.pack/skynet.unpack for a channel.
local skynet = require "skynet"
local c = require "skynet.core"

local multicast = {}

local service
local function multicastd()
	if not service then
		service = skynet.uniqueservice "multicastd"
	end
	return service
end

local subscribed = {}     -- channel id -> the channel object receiving it

local chan = {}
local chan_meta = {
	__index = chan,
	__tostring = function(self)
		return string.format("[Multicast:%x]", self.channel)
	end,
}

function multicast.new(conf)
	conf = conf or {}
	local self = setmetatable({
		channel = conf.channel,
		__pack = conf.pack or skynet.pack,
		__unpack = conf.unpack or skynet.unpack,
		__dispatch = conf.dispatch,
	}, chan_meta)
	if self.channel == nil then
		self.channel = skynet.call(multicastd(), "lua", "NEW")
	end
	assert(math.type(self.channel) == "integer", "a channel id is an integer")
	return self
end

-- The values as one packed string.
local function packstring(self, ...)
	if self.__pack == skynet.pack then
		return c.packstring(...)
	end
	local msg, sz = self.__pack(...)
	if type(msg) == "string" then
		return msg
	end
	local s = c.tostring(msg, sz)
	c.trash(msg, sz)
	return s
end

-- A one-way send: a publisher does not wait for its subscribers.  Messages
-- of one publisher reach each subscriber in the order published.
function chan:publish(...)
	skynet.send(multicastd(), "lua", "PUB", self.channel, packstring(self, ...))
end

function chan:subscribe()
	assert(self.__dispatch, "subscribing to a channel needs a dispatch function")
	subscribed[self.channel] = self
	skynet.call(multicastd(), "lua", "SUB", self.channel)
end

function chan:unsubscribe()
	if subscribed[self.channel] == self then
		subscribed[self.channel] = nil
	end
	skynet.call(multicastd(), "lua", "USUB", self.channel)
end

function chan:delete()
	if subscribed[self.channel] == self then
		subscribed[self.channel] = nil
	end
	skynet.call(multicastd(), "lua", "DEL", self.channel)
end

-- A delivery: the channel id as a packed int64 (9 bytes: type byte 0x32,
-- then 8 bytes little endian), then the published values as packed.
local function dispatch_multicast(_, source, msg, sz)
	skynet.ignoreret()     -- a delivery is never answered
	if sz < 9 then
		return
	end
	local id = string.unpack("<i8", c.tostring(msg, 9), 2)
	local self = subscribed[id]
	if not self then
		return             -- unsubscribed meanwhile
	end
	if self.__unpack == skynet.unpack then
		self.__dispatch(self, source, select(2, c.unpack(msg, sz)))
	else
		local body = c.tostring(msg, sz):sub(10)
		self.__dispatch(self, source, self.__unpack(body, #body))
	end
end

skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
	-- no unpack: the payload reaches dispatch_multicast as it came
	dispatch = dispatch_multicast,
}

return multicast
