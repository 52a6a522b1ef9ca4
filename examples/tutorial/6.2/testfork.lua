local skynet = require "skynet"

function task(timeout)
    skynet.error("fork co:", coroutine.running())
    skynet.error("begin sleep")
    skynet.sleep(timeout)

    skynet.error("begin end")
end

skynet.start(function ()
    skynet.error("start co:", coroutine.running())
    skynet.fork(task, 500) --开启一个新的线程来执行task任务
    --skynet.fork(task, 500) --再开启一个新的线程来执行task任务
end)
