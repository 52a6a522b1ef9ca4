-- skynet.queue -- a critical section across blocking calls.
--
-- `local cs = queue()` then `cs(f, ...)`: f runs only after every function
-- queued before it has finished, even if they block (call, sleep); it
-- returns f's results.  The same coroutine may enter again (nested use).
local skynet = require "skynet"

return function()
	local owner            -- coroutine inside the section
	local depth = 0        -- owner's nesting depth
	local queue = {}       -- coroutines waiting to enter

	local function leave(ok, ...)
		depth = depth - 1
		if depth == 0 then
			owner = table.remove(queue, 1)
			if owner then
				skynet.wakeup(owner)
			end
		end
		if not ok then
			error((...), 0)
		end
		return ...
	end

	return function(f, ...)
		local co = coroutine.running()
		if owner and owner ~= co then
			queue[#queue + 1] = co
			skynet.wait(co)
			-- leave() made us the owner before waking us
		end
		owner = co
		depth = depth + 1
		return leave(xpcall(f, debug.traceback, ...))
	end
end
