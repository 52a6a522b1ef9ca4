-- fakebaidu: stands in for baidu.com's web server so that the tutorial's
-- httpc example (18.2) runs without the Internet: the test's DNS stub
-- resolves baidu.com to 127.0.0.1 and this service answers on port 80
-- with the response the tutorial shows.  Written with http.httpd, as the
-- tutorial's server is.
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"

local BODY = '<html>\n<meta http-equiv="refresh" content="0;url=http://www.baidu.com/">\n</html>\n'
local HEADER = {
	["connection"] = "Keep-Alive",
	["date"] = "Fri, 09 Feb 2018 16:49:34 GMT",
	["last-modified"] = "Tue, 12 Jan 2010 13:48:00 GMT",
	["expires"] = "Sat, 10 Feb 2018 16:49:34 GMT",
	["cache-control"] = "max-age=86400",
	["accept-ranges"] = "bytes",
	["content-type"] = "text/html",
	["etag"] = '"51-47cf7e6ee8400"',
	["server"] = "Apache",
}

local function serve(id)
	socket.start(id)
	local code, url, method, header = httpd.read_request(sockethelper.readfunc(id), 8192)
	if code then
		skynet.error(string.format("FAKEBAIDU %s %s host %s", method, url, header and header.host))
		httpd.write_response(sockethelper.writefunc(id), code, code == 200 and BODY or nil, HEADER)
	end
	socket.close(id)
end

skynet.start(function()
	local id = socket.listen("127.0.0.1", 80)
	socket.start(id, function(fd)
		skynet.fork(serve, fd)
	end)
	skynet.error("FAKEBAIDU listening")
end)
