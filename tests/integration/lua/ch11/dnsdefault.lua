-- dnsdefault: dns.server() on a node without the dns_server key takes
-- the first nameserver of /etc/resolv.conf (tutorial_ch11.sh compares).
-- It sends nothing, so it needs no network.
local skynet = require "skynet"
local dns = require "skynet.dns"

skynet.start(function()
	local ok, ip = pcall(dns.server)
	skynet.error("nameserver:", ok and ip or ("error " .. tostring(ip)))
	ok, ip = pcall(dns.server, "not-an-ip")
	skynet.error("server not-an-ip:", ok and ip or tostring(ip))
	skynet.exit()
end)
