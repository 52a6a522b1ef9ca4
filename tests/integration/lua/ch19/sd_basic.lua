-- sharedata behaviour: new (table, source, @file), read-only views,
-- update seen by every reader on every worker, delete, errors.  Prints
-- "SD ok <what>" or "SD FAIL <what>" per check, then "SD done".
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local mode = ...
local READERS = 6

local function check(cond, what)
	skynet.error((cond and "SD ok " or "SD FAIL ") .. what)
end

-- f() true within 5 s (updates reach other services as messages)
local function eventually(f)
	for _ = 1, 500 do
		local ok, r = pcall(f)
		if ok and r then return true end
		skynet.sleep(1)
	end
	return false
end

if mode == "reader" then
	-- Another service: keeps its views between requests.
	local views = {}
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, cmd, name, ...)
			local arg = ...
			if cmd == "get" then
				views[name] = views[name] or sharedata.query(name)
				local v = views[name]
				for _, k in ipairs({ ... }) do v = v[k] end
				skynet.retpack(v)
			elseif cmd == "sub" then        -- keep a subtable view
				views[name .. "/sub"] = sharedata.query(name)[(...)]
				skynet.retpack(true)
			elseif cmd == "getsub" then
				local ok, v = pcall(function() return views[name .. "/sub"][arg] end)
				skynet.retpack(ok, v)
			elseif cmd == "stress" then
				-- read while another service updates: always a whole version
				local bad = 0
				for _ = 1, 200 do
					local t = sharedata.query(name)
					if t.a ~= t.b or #t.list ~= t.a then bad = bad + 1 end
					skynet.sleep(0)
				end
				skynet.retpack(bad)
			end
		end)
	end)
	return
end

skynet.start(function()
	-- a plain table
	sharedata.new("cfg", { a = 1, b = "two", c = { 1, 2, 3, x = { y = true } },
	                       f = 1.5, [10] = "ten", big = 2^40 // 1, [-3] = "neg" })
	local t = sharedata.query("cfg")
	check(type(t) == "table", "query gives a table")
	check(t.a == 1 and t.b == "two" and t.f == 1.5 and t[10] == "ten" and t[-3] == "neg",
	      "fields")
	check(math.type(t.a) == "integer" and math.type(t.f) == "float", "number types kept")
	check(t.big == 2^40 // 1 and t[10.0] == "ten", "int64 value, float key 10.0")
	check(#t.c == 3 and t.c[2] == 2 and t.c.x.y == true, "nested tables")
	check(t.c == t.c and t.c.x == t.c.x, "same subtable, same view")
	check(t.nothing == nil and t.c[4] == nil and t[true] == nil, "absent keys")
	local n, sum = 0, 0
	for _, v in ipairs(t.c) do n = n + 1; sum = sum + v end
	check(n == 3 and sum == 6, "ipairs")
	local keys = {}
	for k in pairs(t) do keys[#keys + 1] = tostring(k) end
	table.sort(keys)
	check(table.concat(keys, ",") == "-3,10,a,b,big,c,f", "pairs: " .. table.concat(keys, ","))
	check(not pcall(function() t.a = 2 end), "read-only")
	check(sharedata.query("cfg") == t, "query again: same view")
	local dc = sharedata.deepcopy("cfg", "c")
	check(getmetatable(dc) == nil and dc[3] == 3 and dc.x.y == true, "deepcopy")

	-- Lua source, returning a table or defining globals; "@file"
	sharedata.new("src1", "return { hello = 'world', n = ... }", 42)
	check(sharedata.query("src1").hello == "world" and sharedata.query("src1").n == 42,
	      "source returning a table (with arguments)")
	sharedata.new("src2", "x = 1 y = { 'a', 'b' }")
	local s2 = sharedata.query("src2")
	check(s2.x == 1 and s2.y[2] == "b" and s2.print == nil, "source: its globals")
	local f = io.open("sd_file.lua", "w")
	f:write("return { from = 'file' }")
	f:close()
	sharedata.new("src3", "@sd_file.lua")
	check(sharedata.query("src3").from == "file", "@file")

	-- errors
	check(not pcall(sharedata.new, "cfg", {}), "new of an existing name fails")
	check(not pcall(sharedata.new, "bad", { [true] = 1 }), "boolean key refused")
	local cyc = {}; cyc.self = cyc
	check(not pcall(sharedata.new, "cyc", cyc), "cycle refused")
	check(not pcall(sharedata.new, "bad2", "return nil +"), "bad source refused")
	check(not pcall(sharedata.query, "nope"), "query of a missing name fails")

	-- readers in other services (on other workers, by placement)
	local readers = {}
	for i = 1, READERS do
		readers[i] = skynet.newservice(SERVICE_NAME, "reader")
	end
	local function all(f)
		for _, r in ipairs(readers) do
			if not f(r) then return false end
		end
		return true
	end
	check(all(function(r) return skynet.call(r, "lua", "get", "cfg", "c", "x", "y") == true end),
	      "every reader reads")
	skynet.call(readers[1], "lua", "sub", "cfg", "c")

	-- update
	local c, x = t.c, t.c.x
	sharedata.update("cfg", { a = 100, c = { 7, 8, x = { y = "new" } } })
	check(t.a == 100 and t.b == nil, "update: the updater sees it at once")
	check(c[1] == 7 and #c == 2, "update: through an old subtable view")
	check(x.y == "new", "update: through an old nested view")
	check(eventually(function()
		return all(function(r) return skynet.call(r, "lua", "get", "cfg", "c", "x", "y") == "new" end)
	end), "update: every reader sees it")
	check(eventually(function()
		local ok, v = skynet.call(readers[1], "lua", "getsub", "cfg", 1)
		return ok and v == 7
	end), "update: a reader's old subtable view")
	sharedata.update("cfg", { a = 3 })
	check(t.a == 3, "second update")
	check(not pcall(function() return c[1] end), "a subtable the update removed raises")
	check(eventually(function()
		return not skynet.call(readers[1], "lua", "getsub", "cfg", 1)
	end), "... in a reader too")
	sharedata.update("fresh", { v = 1 })
	check(sharedata.query("fresh").v == 1, "update of a missing name creates it")

	-- readers racing an updater: each read sees one whole version
	local function version(i)
		local list = {}
		for j = 1, i do list[j] = j end
		return { a = i, b = i, list = list }
	end
	sharedata.new("stress", version(1))
	local bad, done = 0, 0
	for _, r in ipairs(readers) do
		skynet.fork(function()
			bad = bad + skynet.call(r, "lua", "stress", "stress")
			done = done + 1
		end)
	end
	for i = 2, 60 do
		sharedata.update("stress", version(i))
		skynet.sleep(i % 3)
	end
	while done < #readers do skynet.sleep(1) end
	check(bad == 0, "readers during 60 updates: consistent versions (" .. bad .. " bad)")
	check(eventually(function()
		return all(function(r) return skynet.call(r, "lua", "get", "stress", "a") == 60 end)
	end), "readers end on the last version")

	-- delete
	sharedata.delete("cfg")
	check(t.a == 3, "delete: an old view keeps its data")
	check(not pcall(sharedata.query, "cfg"), "delete: query fails")
	check(eventually(function()
		return all(function(r) return skynet.call(r, "lua", "get", "cfg", "a") == 3 end)
	end), "delete: readers' views keep their data")
	sharedata.delete("cfg")
	check(true, "second delete harmless")
	sharedata.new("cfg", { again = true })
	check(sharedata.query("cfg").again == true and t.a == 3, "new after delete")

	-- each service keeps one reference per name (not one per version it
	-- has seen), so old versions are freed without waiting for a GC: at
	-- most cfg (old and new), src1..3, fresh and stress are left here
	local ntrees, bytes = sharedata.info()
	check(ntrees <= 7, "old versions freed (" .. ntrees .. " trees left in this worker)")
	skynet.error("SD trees in this process", ntrees, bytes)
	skynet.error("SD done")
end)
