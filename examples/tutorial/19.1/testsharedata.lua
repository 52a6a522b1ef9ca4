-- Chapter 19.1 lists the sharedata API without a runnable example; this
-- service (written for actord) uses each call as the list describes.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

skynet.start(function()
    -- 1. a Lua table (no cycles; keys strings or positive integers)
    sharedata.new("config", { name = "skynet", ports = { 8001, 8002 } })
    -- 2. Lua source: the table it returns, or else its sandbox globals
    sharedata.new("levels", "return { 100, 300, 600 }")
    sharedata.new("globals", "maxplayer = 5000 motd = 'welcome'")
    -- 3. "@filename": load that file
    local f = io.open("items.lua", "w")
    f:write("return { sword = { atk = 10 }, shield = { def = 8 } }")
    f:close()
    sharedata.new("items", "@items.lua")

    local config = sharedata.query("config")
    skynet.error("config:", config.name, config.ports[1], config.ports[2], #config.ports)
    local levels = sharedata.query("levels")
    for i, exp in ipairs(levels) do
        skynet.error("level", i, "exp", exp)
    end
    local g = sharedata.query("globals")
    skynet.error("globals:", g.maxplayer, g.motd)
    local items = sharedata.query("items")
    skynet.error("sword atk", items.sword.atk, "shield def", items.shield.def)

    sharedata.update("config", { name = "actord", ports = { 9001 } })
    skynet.error("config after update:", config.name, config.ports[1], #config.ports)

    sharedata.delete("config")
    skynet.error("query after delete:", pcall(sharedata.query, "config"))
end)
