-- Driver for 7.3: the tutorial's pack/unpack/trash fragment, run in a
-- service's start function.
local skynet = require "skynet"

skynet.start(function()
	local msg, sz = skynet.pack("nengzhong", 8.8, false)
	local arg1, arg2, arg3 = skynet.unpack(msg, sz)
	skynet.error(arg1, arg2, arg3)
	local arglist = {skynet.unpack(msg, sz)}
	for i,v in pairs(arglist) do
	    skynet.error("arg"..i..":", v)
	end
	skynet.trash(msg, sz) --没有用到skynet框架中，所以用完了需要自己释放一下
end)
