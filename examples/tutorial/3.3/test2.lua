local skynet = require "skynet"

skynet.start(function()
    local name = skynet.getenv("mynewname")
    local age = skynet.getenv("mynewage")
    skynet.error("My new name is", name, ",", age, "years old soon.")
end)
