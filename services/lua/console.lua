-- console.lua -- launch services by typing their names on stdin.
--
-- Each line "name arg..." starts that service with newservice; the next
-- line is read only after it has started (its start function returned).
-- stdin is polled every 50 ms until the socket layer can wait on it.
local skynet = require "skynet"
local core = require "skynet.core"

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
		local pending = ""
		while true do
			local bytes = core.stdin_read()
			if bytes == nil then
				if #pending > 0 then handle(pending) end
				return
			end
			pending = pending .. bytes
			while true do
				local line, rest = pending:match("^([^\n]*)\n(.*)$")
				if not line then break end
				pending = rest
				handle(line:gsub("\r$", ""))
			end
			if bytes == "" then
				skynet.sleep(5)
			end
		end
	end)
end)
