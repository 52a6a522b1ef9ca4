-- httptestagent: the tutorial's http agent (18.1) with the keep-alive
-- loop an agent needs to serve several requests on a connection.  Each
-- answer says what was asked and the request's number on its
-- connection ("n=2": the connection was kept alive), so the test sees
-- what the parser made of the bytes.  A refused request is logged, and
-- answered before a lingering close.
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local urllib = require "http.url"

local function serve(id, addr)
	socket.start(id)
	-- one readfunc for the connection: bytes of a pipelined request that
	-- arrived with the previous one are kept in it
	local read, write = sockethelper.readfunc(id), sockethelper.writefunc(id)
	local n = 0
	while true do
		local code, url, method, header, body, version = httpd.read_request(read, 8192)
		if not code then
			if url ~= sockethelper.socket_error then
				skynet.error("HTTPTEST error " .. tostring(url))
			end
			break
		end
		if code ~= 200 then
			skynet.error(string.format("HTTPTEST refused %s: %d", addr, code))
			httpd.write_response(write, code, nil, { connection = "close" })
			-- the client may still be sending: let it read the answer
			sockethelper.close(id, 50)
			return
		end
		n = n + 1
		local conn = string.lower(header.connection or "")
		local close = conn == "close" or (version == "1.0" and conn ~= "keep-alive")
		local path, query = urllib.parse(url)
		local q = {}
		for k, v in pairs(urllib.parse_query(query)) do
			q[#q + 1] = k .. "=" .. v
		end
		table.sort(q)
		local reply = string.format("%s %s %s n=%d body=%d:%s\n", method, path,
			table.concat(q, "&"), n, #body, body)
		if not httpd.write_response(write, 200, reply, close and { connection = "close" } or nil)
			or close then
			break
		end
	end
	socket.close(id)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, id, addr)
		serve(id, addr)
	end)
end)
