-- nmain.lua: one node of tests/integration/harbor_names.sh (3 nodes, node
-- 1 runs the master).  The config key names_node says which; the test
-- drops files into names_dir (early, late, go2, race) to move things
-- along, and reads what each node logs.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

local node = tonumber(skynet.getenv("names_node"))
local dir = skynet.getenv("names_dir")
local A = skynet.address

local function log(fmt, ...)
	skynet.error(string.format("N%d " .. fmt, node, ...))
end

local function await_file(name)
	while not io.open(dir .. "/" .. name) do
		skynet.sleep(5)
	end
end

-- Does f() return within `ticks`?  (It may stay blocked for good.)
local function returns_within(ticks, f)
	local done = false
	skynet.fork(function() f(); done = true end)
	skynet.sleep(ticks)
	return done
end

local function linkwatch(id)
	skynet.fork(function()
		log("CONNECT %d waiting", id)
		harbor.connect(id)
		log("CONNECT %d returned", id)
		harbor.link(id)
		log("LINK %d returned", id)
	end)
end

local function race()
	await_file("race")
	local ok = skynet.name("race", skynet.self())
	skynet.sleep(100)
	log("RACE registered=%s -> %s", tostring(ok), A(harbor.queryname("race")))
end

local function node1()
	skynet.fork(function()
		await_file("early")
		local e = skynet.newservice("gsrv")
		skynet.name("early", e)
		log("early = %s", A(e))
	end)
	local g = skynet.newservice("gsrv")
	skynet.name(".gecho_local", g)
	skynet.name("gecho", g)
	log("gecho = %s", A(g))
	-- S5.3.4-kill-drops-local-alias: the global binding outlives its service.
	local t = skynet.newservice("gsrv")
	skynet.name(".gtmp", t)
	skynet.name("gtmp", t)
	skynet.kill(t)
	log("after kill: localname .gtmp %s, queryname gtmp %s (was %s)",
		A(skynet.localname(".gtmp")), A(harbor.queryname("gtmp")), A(t))
	-- S5.3.4-global-alias-no-rebind, on the node that holds it.
	local t2 = skynet.newservice("gsrv")
	log("rebind gtmp: %s, queryname gtmp %s", tostring(skynet.name("gtmp", t2)),
		A(harbor.queryname("gtmp")))
	linkwatch(3)
end

local function node2()
	linkwatch(3)
	skynet.fork(function()
		log("LINKMASTER waiting")
		harbor.linkmaster()
		log("LINKMASTER returned")
	end)
	-- A call held for a name not bound yet, then sent to the node that
	-- binds it: when that node dies, the call fails (it does not wait).
	skynet.fork(function()
		log("HELD calling")
		local ok, err = pcall(skynet.call, "held", "lua", "hold")
		log("HELD call %s", ok and "answered?!" or "failed: " .. tostring(err))
	end)
	skynet.fork(function()
		log("QUERY late waiting")
		log("QUERY late -> %s", A(harbor.queryname("late")))
	end)
	harbor.connect(1)
	local g = harbor.queryname("gecho")
	log("queryname gecho %s", A(g))
	log("GCALL by name: %s", skynet.call("gecho", "lua", "hello"))
	log("GCALL by handle: %s", skynet.call(g, "lua", "again"))
	-- S5.3.3-global-alias-cross-node / S5.2-localname: node 1's local
	-- alias is not seen here, and localname never resolves a global one.
	log("localname .gecho_local %s, queryname .gecho_local %s, localname gecho %s",
		A(skynet.localname(".gecho_local")), A(harbor.queryname(".gecho_local")),
		A(skynet.localname("gecho")))
	-- S5.3.4-global-alias-no-rebind, from another node.
	log("rebind gecho: %s, queryname gecho %s", tostring(skynet.name("gecho", skynet.self())),
		A(harbor.queryname("gecho")))
	local dead = harbor.queryname("gtmp")
	local ok = pcall(skynet.call, dead, "lua", "x")
	log("gtmp %s call %s", A(dead), ok and "answered" or "failed")
	-- S4.2 / S4.3-global-unique-from-other-node: global and local scopes.
	log("GUNIQ %s", A(skynet.uniqueservice(true, "guniq")))
	log("LUNIQ %s", A(skynet.uniqueservice("guniq")))
	log("LUNIQ again %s", A(skynet.uniqueservice("guniq")))
	-- S5.4-unique-name-ne-alias: the two registries do not mix.
	log("S5.4 queryname guniq returned: %s",
		tostring(returns_within(100, function() harbor.queryname("guniq") end)))
	log("S5.4 queryservice(true) gecho returned: %s",
		tostring(returns_within(100, function() skynet.queryservice(true, "gecho") end)))
	await_file("go2")
	log("GUNIQ2 %s", A(skynet.uniqueservice(true, "guniq2")))
	race()
end

local function node3()
	skynet.fork(function()
		log("LINKMASTER waiting")
		harbor.linkmaster()
		log("LINKMASTER returned")
	end)
	-- A call to a global name nobody has bound yet waits for it (in the
	-- sidecar, as skynet's harbor holds it) rather than failing.
	skynet.fork(function()
		log("EARLY calling")
		log("EARLY call -> %s", skynet.call("early", "lua", "first"))
	end)
	-- Node 3 joins after gecho was bound: it learns it from the master.
	log("GCALL by name: %s", skynet.call(harbor.queryname("gecho"), "lua", "hi"))
	log("GCALL direct: %s", skynet.call("gecho", "lua", "direct"))
	skynet.fork(function()
		log("QS guniq2 waiting")
		log("QS guniq2 -> %s", A(skynet.queryservice(true, "guniq2")))
	end)
	log("GUNIQ %s", A(skynet.uniqueservice(true, "guniq")))
	await_file("late")
	local late = skynet.newservice("gsrv")
	skynet.name("late", late)
	log("late = %s", A(late))
	local held = skynet.newservice("gsrv")
	skynet.name("held", held)
	log("held = %s", A(held))
	race()
end

skynet.start(function()
	({ node1, node2, node3 })[node]()
end)
