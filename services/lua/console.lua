-- console.lua -- launch services by typing their names on stdin.
--
-- Each line "name arg..." starts that service with newservice; the next
-- line is read only after it has started (its start function returned).
-- stdin is read through the worker's io_uring like a socket.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function handle(line)
	local words = {}
	for w in line:gmatch("%S+") do
		words[#words + 1] = w
	end
	if #words == 0 then
		return
	end
	local ok, err = pcall(skynet.newservice, table.unpack(words))
	if not ok then
		skynet.error("console: " .. tostring(err))
	end
end

skynet.start(function()
	skynet.fork(function()
		local id = socket.stdin()
		while id do
			local line, rest = socket.readline(id)
			if not line then
				if rest then handle(rest) end
				return
			end
			handle((line:gsub("\r$", "")))
		end
	end)
end)
