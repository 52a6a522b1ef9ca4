-- Driver for S4.2-unique-no-exit-in-init: creating a unique service that
-- exits in its init fails, and nothing is recorded under its name.
local skynet = require "skynet"

skynet.start(function()
	local ok, err = pcall(skynet.uniqueservice, "uniqueexit")
	skynet.error("uniqueservice uniqueexit:", ok, ok and skynet.address(err) or "failed")
	ok = pcall(skynet.uniqueservice, "uniqueexit")
	skynet.error("again:", ok)
end)
