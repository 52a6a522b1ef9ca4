-- Driver for S3.3-setenv-immutable: the line testenv.lua keeps commented
-- out ("don't try to set an existing variable, it raises").
local skynet = require "skynet"

skynet.start(function()
	local ok, err = pcall(skynet.setenv, "myname", "coder")
	skynet.error("setenv myname:", ok, err)
	skynet.error("myname is still", skynet.getenv("myname"))
end)
