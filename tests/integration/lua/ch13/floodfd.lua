-- floodfd.lua FD MB -- write MB MiB to socket FD, which some gate owns
-- (13.4: the gate's handler.warning hears when over 1 MiB waits).
local skynet = require "skynet"
local socket = require "skynet.socket"

local fd, mb = ...

skynet.start(function()
    local chunk = string.rep("x", 64 * 1024)
    for _ = 1, tonumber(mb) * 16 do
        socket.write(tonumber(fd), chunk)
    end
    skynet.error("wrote", mb, "MiB to fd", fd)
    skynet.exit()
end)
