local skynet = require "skynet"

function task()
    skynet.error("task", coroutine.running())
end

skynet.start(function ()
    skynet.error("start", coroutine.running())
    skynet.timeout(500, task) --5秒钟之后运行task函数,只是注册一下回调函数,并不会阻塞
end)
