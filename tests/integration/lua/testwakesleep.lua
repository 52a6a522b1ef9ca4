-- Driver for S6.0-wakeup: wakeup also ends a skynet.sleep early, and the
-- woken task runs only after the waker has finished.
local skynet = require "skynet"

skynet.start(function()
	local t0 = skynet.now()
	local sleeper = skynet.fork(function()
		skynet.error("sleeper sleeps 10 s")
		skynet.sleep(1000)
		skynet.error("sleeper woke after", skynet.now() - t0 < 500 and "less than 5 s" or "the full sleep")
	end)
	skynet.fork(function()
		skynet.sleep(100)
		skynet.error("waker wakes sleeper:", skynet.wakeup(sleeper))
		skynet.error("waker ends")
	end)
end)
