-- packcheck.lua -- netpack.pack / netpack.tostring in a service (S13.2-netpack):
-- the 2-byte big-endian header, the 65535-byte limit, and a round trip.
local skynet = require "skynet"
local netpack = require "skynet.netpack"

skynet.start(function()
    local msg, sz = netpack.pack("12345")
    local framed = netpack.tostring(msg, sz)        -- frees msg
    skynet.error("pack 12345:", sz, "bytes,", string.format("%02x %02x", framed:byte(1, 2)),
        framed:sub(3))
    msg, sz = netpack.pack(string.rep("y", 65535))
    local s = netpack.tostring(msg, sz)
    skynet.error("pack 65535:", sz, "bytes,", string.format("%02x %02x", s:byte(1, 2)))
    local ok, err = pcall(netpack.pack, string.rep("y", 65536))
    skynet.error("pack 65536:", ok, err)
    skynet.error("tostring nil:", "[" .. netpack.tostring(nil, 0) .. "]")
    skynet.exit()
end)
