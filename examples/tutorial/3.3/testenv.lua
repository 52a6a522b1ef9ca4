local skynet = require "skynet"

skynet.start(function()
    --获取环境变量myname和myage的值, 成功返回其值, 如果该环境变量不存在返回nil
    local name = skynet.getenv("myname")
    local age = skynet.getenv("myage")
    skynet.error("My name is", name, ",", age, "years old.")

    --skynet.setenv("myname", "coder")  --不要尝试设置已经存在的变量值, 会报错
    --skynet.setenv("myage", 21)

    skynet.setenv("mynewname", "coder") --设置一个新的变量
    skynet.setenv("mynewage", 21)

    name = skynet.getenv("mynewname")
    age = skynet.getenv("mynewage")
    skynet.error("My new name is", name, ",", age, "years old soon.")
    skynet.exit()
end)
