-- Driver for 5.4: the tutorial's two fragments, each in its own fork so
-- that this service starts and the console goes on.  Unique-service names
-- and global aliases are separate books: each lookup blocks for good.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

skynet.start(function()
	skynet.fork(function()
		local handle = skynet.uniqueservice("test") --启动一个全局唯一服，名字为test
		skynet.error("uniqueservice test", skynet.address(handle))
		handle = harbor.queryname("test")           --查不到的，会一直阻塞
		skynet.error("queryname test returned", skynet.address(handle))
	end)
	skynet.fork(function()
		local handle = skynet.uniqueservice("test") --启动一个全局唯一服，名字为test
		skynet.name("testalias", handle)           --再起一个全局别名
		handle = skynet.queryservice("testalias")   --查不到的，也会一直阻塞
		skynet.error("queryservice testalias returned", skynet.address(handle))
	end)
end)
