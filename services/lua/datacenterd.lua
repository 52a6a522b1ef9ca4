-- datacenterd.lua -- the DATACENTER service behind skynet.datacenter.
local skynet = require "skynet"

local tree = {}
local waiting = {}   -- path string -> { response, ... }
local NORET = {}

local function path_key(keys, n)
	local parts = {}
	for i = 1, n do
		parts[i] = tostring(keys[i])
	end
	return table.concat(parts, "\0")
end

local function lookup(keys, n)
	local node = tree
	for i = 1, n do
		if type(node) ~= "table" then
			return nil
		end
		node = node[keys[i]]
	end
	return node
end

local command = {}

function command.QUERY(...)
	local keys = table.pack(...)
	return lookup(keys, keys.n)
end

function command.UPDATE(...)
	local keys = table.pack(...)
	local n = keys.n - 1
	assert(n >= 1, "datacenter.set needs a key and a value")
	local value = keys[keys.n]
	local node = tree
	for i = 1, n - 1 do
		local k = keys[i]
		if type(node[k]) ~= "table" then
			node[k] = {}
		end
		node = node[k]
	end
	local old = node[keys[n]]
	node[keys[n]] = value
	local w = waiting[path_key(keys, n)]
	if w and value ~= nil then
		waiting[path_key(keys, n)] = nil
		for _, r in ipairs(w) do
			r(true, value)
		end
	end
	return old
end

function command.WAIT(...)
	local keys = table.pack(...)
	local v = lookup(keys, keys.n)
	if v ~= nil then
		return v
	end
	local k = path_key(keys, keys.n)
	waiting[k] = waiting[k] or {}
	table.insert(waiting[k], skynet.response())
	return NORET
end

skynet.dispatch("lua", function(_, _, cmd, ...)
	local r = assert(command[cmd], "datacenter: unknown command")(...)
	if r ~= NORET then
		skynet.ret(skynet.pack(r))
	end
end)

skynet.start(function() end)
