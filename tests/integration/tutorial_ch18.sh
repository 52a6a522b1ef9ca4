#!/bin/bash
# Tutorial chapter 18 (HTTP) on real nodes, under each placement of
# services on workers.
#  - 18.1: testhttpd + 20 testhttpagent (examples/tutorial/18.1, errata
#    fixed), asked with curl as the tutorial asks with a browser, then by
#    18.2's testhttpclient (examples/tutorial/18.2-local); the lines the
#    tutorial shows.
#  - keep-alive, pipelining, chunked bodies, and bad input (garbage, too
#    many or too long header fields, bodies over the limit, slow clients),
#    against the same listener pattern with a keep-alive agent
#    (tests/integration/lua/ch18).
#  - httpc against canned responses, httpc.dns with a DNS stub, and 18.2's
#    baidu.com example with the stub and a stand-in server on port 80.
# The examples listen on 8001; each run copies them with a free port
# instead, so the placements run side by side.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
LT=$LUATEST
TOOLS=${TOOLS:-}
for_each_placement

command -v curl > /dev/null || { echo "curl is needed (scripts/setup.sh installs it)"; exit 1; }

# wait_listen PORT: until something listens on PORT.  Read from
# /proc/net/tcp rather than by connecting: a probe would be handed to an
# agent like a client.
wait_listen() {
	local n=100 hex
	hex=$(printf '%04X' "$1")
	while ! grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2> /dev/null; do
		n=$((n - 1))
		[ "$n" -le 0 ] && { fail "nothing listens on $1"; return 1; }
		sleep 0.1
	done
}

# expect_set HANDLE < regexes: the service logged these lines, in any order.
expect_set() {
	local got want
	got=$(lines_of "$1" | sort)
	want=$(sort)
	local ok=1 line
	[ "$(wc -l <<< "$got")" -eq "$(wc -l <<< "$want")" ] || ok=0
	while IFS= read -r line; do
		grep -Eqx -- "$line" <<< "$got" || ok=0
	done <<< "$want"
	if [ "$ok" -eq 1 ]; then
		pass "$1 logged the $(wc -l <<< "$want") expected lines"
	else
		fail "$1 logged other lines than expected"
		echo "--- wanted (any order):"; echo "$want"; echo "--- got:"; echo "$got"; echo "---"
	fi
}

# same WHAT GOT WANTED
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', wanted '$3'"; fi
}

# raw PORT BYTES: send BYTES (printf %b escapes) on a new connection, print
# what comes back until the server closes (10 s at most).
raw() {
	local fd
	exec {fd}<> "/dev/tcp/127.0.0.1/$1" || return 1
	printf '%b' "$2" >&"$fd"
	timeout 10 cat <&"$fd" | tr -d '\r'
	exec {fd}>&-
}

# status_of PORT BYTES: the status line of the answer
status_of() { raw "$1" "$2" | head -n1; }

PORT=$(free_port)
P2=$(free_port)
mkdir -p ex/18.1 ex/18.2-local
sed "s/8001/$PORT/g" "$EX/18.1/testhttpd.lua" > ex/18.1/testhttpd.lua
cp "$EX/18.1/testhttpagent.lua" ex/18.1/
sed "s/8001/$PORT/g" "$EX/18.2-local/testhttpclient.lua" > ex/18.2-local/testhttpclient.lua
grep -q "$PORT" ex/18.1/testhttpd.lua && grep -q "$PORT" ex/18.2-local/testhttpclient.lua ||
	fail "the examples' port was not replaced"

# http_timeout: 2 s to send a whole request, so slow clients are cut soon.
write_lua_config n.conf "$T/ex/18.1/?.lua;$T/ex/18.2-local/?.lua;$LT/ch18/?.lua" \
	'start = "console"' "placement = \"$PLACEMENT\"" 'http_timeout = 200'
start_node n.conf
wait_line '\] LAUNCH snlua console$' || finish

# ---- 18.1 S18.1-agent-pool S18.1-read-request S18.1-write-response S18.1-url
# S18.1-httpd-since-050: httpd reads and writes through sockethelper's
# readfunc/writefunc, network errors are sockethelper.socket_error
send_line testhttpd
wait_count '\] LAUNCH snlua testhttpagent$' 20
wait_listen "$PORT"
L=$(handle_of testhttpd)
mapfile -t AG < <(sed -n 's/^\[\(:[0-9a-f]*\)\] LAUNCH snlua testhttpagent$/\1/p' "$T/out")
[ "${#AG[@]}" -eq 20 ] && pass "20 agents" || fail "${#AG[@]} agents, wanted 20"

# served AGENT: the listener passed a connection to AGENT, which logged
# what the tutorial shows for /?color=blue&text=abc (the query's lines in
# either order: they come from pairs()).
served() {
	wait_line "^\[$1\] query: text= abc\$"
	wait_line "^\[$1\] query: color= blue\$"
	expect "^\[$L\] 127\.0\.0\.1:[0-9]+ connected, pass it to agent $1\$"
	expect_set "$1" <<-L
		LAUNCH snlua testhttpagent
		header host 127\.0\.0\.1:$PORT
		path: /
		query: color= blue
		query: text= abc
	L
}
same "curl's page" "$(curl -s 'http://127.0.0.1:'"$PORT"'/?color=blue&text=abc')" '<body bgcolor="blue">abc</body>'
served "${AG[0]}"

# 18.2 S18.2-httpc-request S18.2-httpc-timeout S18.2-httpc-dns: the client
# against 18.1's server; the second connection goes to the second agent.
send_line testhttpclient
wait_line '^true$'
C=$(handle_of testhttpclient)
wait_line "^\[$C\] KILL self\$"
expect_order "^GET 127\.0\.0\.1:$PORT\$" '^\[header\] =====>$' $'^content-length\t32$' \
	$'^\\[body\\] =====>\t200$' '^<body bgcolor="blue">abc</body>$' '^$' '^true$'
served "${AG[1]}"
# a bad request gets its code from the tutorial's agent too
same "tutorial server, garbage" "$(status_of "$PORT" 'hello\r\n\r\n')" "HTTP/1.1 400 Bad Request"
same "tutorial server, a body over its 8 K limit" \
	"$(status_of "$PORT" 'POST / HTTP/1.1\r\nContent-Length: 8193\r\n\r\n')" "HTTP/1.1 413 Content Too Large"
# still serving
same "curl's page again" "$(curl -s "http://127.0.0.1:$PORT/?text=again")" '<body bgcolor="red">again</body>'
# a client that asks to close is told the server closes (RFC 9112 9.6),
# though the tutorial's agent passes no header; else wrk, say, sends its
# next request on the closing connection
got=$(raw "$PORT" 'GET /?text=bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
same "answer to Connection: close" "$(grep -i '^connection:' <<< "$got")|$(tail -n1 <<< "$got")" \
	'connection: close|<body bgcolor="red">bye</body>'
got=$(raw "$PORT" 'GET /?text=hi HTTP/1.1\r\nHost: x\r\n\r\n')
same "no Connection field unasked" "$(grep -ci '^connection:' <<< "$got")|$(tail -n1 <<< "$got")" \
	'0|<body bgcolor="red">hi</body>'

# ---- keep-alive agents (tests/integration/lua/ch18)
send_line httptest "$P2" 4
wait_line "\] HTTPTEST listening on $P2\$"
U=http://127.0.0.1:$P2

# keep-alive: curl reuses its connection, the agent numbers the requests
same "keep-alive, 3 requests on one connection" "$(curl -s "$U/a" "$U/b?x=1&y=%41" "$U/c")" \
	"$(printf 'GET /a  n=1 body=0:\nGET /b x=1&y=A n=2 body=0:\nGET /c  n=3 body=0:')"
# pipelining: three requests in one write; each answered, in order, the
# last one asks to close
got=$(raw "$P2" 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n')
same "pipelined requests" "$(grep -E '^(GET|POST|HTTP)' <<< "$got")" \
	"$(printf 'HTTP/1.1 200 OK\nGET /1  n=1 body=0:\nHTTP/1.1 200 OK\nPOST /2  n=2 body=3:abc\nHTTP/1.1 200 OK\nGET /3  n=3 body=0:')"
# HTTP/1.0 without keep-alive: one answer, then the server closes (raw
# returns at the close, not after its 10 s)
got=$(raw "$P2" 'GET /old HTTP/1.0\r\n\r\n')
same "HTTP/1.0 closes" "$(tail -n1 <<< "$got")" "GET /old  n=1 body=0:"

# chunked request bodies
same "chunked body (curl)" \
	"$(curl -s -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary 'hello chunked' "$U/chunk")" \
	"POST /chunk  n=1 body=13:hello chunked"
got=$(raw "$P2" 'POST /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n')
same "chunked body with extension and trailer" "$(tail -n1 <<< "$got")" "POST /ch  n=1 body=9:wikipedia"

# ---- bad input: refused with a code and a log line, connection closed
R0=$(grep -c '\] HTTPTEST refused ' "$T/out")
same "garbage" "$(status_of "$P2" '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')" "HTTP/1.1 400 Bad Request"
same "not HTTP" "$(status_of "$P2" 'hello there\r\n\r\n')" "HTTP/1.1 400 Bad Request"
H=(); for i in $(seq 101); do H+=(-H "X-Field-$i: v"); done
same "101 header fields" "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$U/")" "431"
same "a header field of 9000 bytes" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "X-Long: $(head -c 9000 /dev/zero | tr '\0' a)" "$U/")" "431"
same "a request line of 9000 bytes" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$U/$(head -c 9000 /dev/zero | tr '\0' a)")" "414"
head -c 9000 /dev/zero | tr '\0' b > big.txt
same "a body over the limit" "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @big.txt "$U/")" "413"
same "a chunked body over the limit" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary @big.txt "$U/")" "413"
same "a chunk size of 10 hex digits" \
	"$(status_of "$P2" 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000\r\n')" "HTTP/1.1 413 Content Too Large"
same "both framings (smuggling)" \
	"$(status_of "$P2" 'POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" "HTTP/1.1 400 Bad Request"
same "HTTP/2.0" "$(status_of "$P2" 'GET / HTTP/2.0\r\n\r\n')" "HTTP/1.1 505 HTTP Version Not Supported"
same "gzip transfer-encoding" \
	"$(status_of "$P2" 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n')" "HTTP/1.1 501 Not Implemented"
wait_count '\] HTTPTEST refused ' $((R0 + 11))
expect '\] HTTPTEST refused 127\.0\.0\.1:[0-9]+: 400$'
expect '\] HTTPTEST refused 127\.0\.0\.1:[0-9]+: 431$'
expect '\] HTTPTEST refused 127\.0\.0\.1:[0-9]+: 414$'
expect '\] HTTPTEST refused 127\.0\.0\.1:[0-9]+: 413$'

# ---- slow clients (slowloris): a request must be complete within
# http_timeout (2 s here).  slow NAME FIRST DRIP: send FIRST, then DRIP
# one byte at a time, a byte every 0.3 s, until the server closes; the
# outcome goes to file NAME.  60 s at most.
slow() {
	(
		trap '' PIPE
		exec {fd}<> "/dev/tcp/127.0.0.1/$P2" || exit 1
		printf '%b' "$2" >&"$fd"
		for ((i = 0; i < 200; i++)); do
			if [ -n "$3" ] && ! printf '%s' "${3:i%${#3}:1}" >&"$fd" 2> /dev/null; then
				echo closed > "$1"; exit
			fi
			read -r -t 0.3 -u "$fd" line; rc=$?
			if [ "$rc" -eq 0 ]; then echo "answered: $line" > "$1"; exit; fi
			if [ "$rc" -le 128 ]; then echo closed > "$1"; exit; fi
		done
		echo "still open" > "$1"
	) &
}
S0=$(grep -Ec '\] http: fd [0-9]+: request not complete after 2 s' "$T/out")
slow slow_header 'GET / HTTP/1.1\r\nHost: x\r\n' 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'
slow slow_silent '' ''
slow slow_body 'POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n' 'body'
slow slow_line 'G' 'ET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
# others are served meanwhile, by the same agents
for i in 1 2 3 4 5 6 7 8; do
	same "served while slow clients hang on ($i)" "$(curl -s "$U/during?i=$i")" "GET /during i=$i n=1 body=0:"
done
wait_count '\] http: fd [0-9]+: request not complete after 2 s' $((S0 + 4)) 30
for s in slow_header slow_silent slow_body slow_line; do
	n=300
	while [ ! -s "$s" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	same "$s: the server closed it" "$(cat "$s" 2> /dev/null)" "closed"
done
expect '\] http: fd [0-9]+: request not complete after 2 s \(0 bytes\), connection closed$'
# a kept-alive connection left idle is closed quietly: no line for it
got=$(raw "$P2" 'GET /idle HTTP/1.1\r\n\r\n')
same "idle keep-alive connection closed" "$(tail -n1 <<< "$got")" "GET /idle  n=1 body=0:"
same "no log line for the idle connection" \
	"$(grep -Ec '\] http: fd [0-9]+: request not complete after 2 s' "$T/out")" "$((S0 + 4))"
same "still serving" "$(curl -s "$U/after")" "GET /after  n=1 body=0:"
same "the tutorial's server still serving" "$(curl -s "http://127.0.0.1:$PORT/?text=end")" '<body bgcolor="red">end</body>'

# ---- httpc against canned answers, and httpc.dns with a DNS stub
# (balanced only: the stub and port 80 are one per machine)
if [ "$PLACEMENT" = balanced ] && [ -x "$TOOLS/dnsstub" ]; then
	"$TOOLS/dnsstub" 0 web.test=127.0.0.1 baidu.com=127.0.0.1 > dns.out 2>&1 &
	DNS_PID=$!
	n=50
	while ! grep -q 'dnsstub ready' dns.out && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	DNS=$(sed -n 's/^dnsstub ready //p' dns.out)
	expect_none 'traceback|HTTPTEST error|init service failed'
	stop_node
	write_lua_config n.conf "$EX/18.2/?.lua;$LT/ch18/?.lua" 'start = "console"' \
		"placement = \"$PLACEMENT\"" "dns_server = \"$DNS\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
	send_line httptest "$P2" 2
	wait_line "\] HTTPTEST listening on $P2\$"
	send_line httpctest "$P2" "$(free_port)" "$(free_port)" web.test
	wait_line '\] HTTPC done$' 30
	expect_none 'HTTPC FAIL'
	n=$(grep -c '\] HTTPC ok ' "$T/out")
	same "httpc checks passed" "$n" 18
	grep -E '\] HTTPC (ok|FAIL) ' "$T/out" | sed 's/^/    /'

	# 18.2's example as shown: baidu.com is the stub's 127.0.0.1, and
	# fakebaidu answers on port 80 as the real one did
	if [ "$(id -u)" -eq 0 ] && ! (: > /dev/tcp/127.0.0.1/80) 2> /dev/null; then
		send_line fakebaidu
		wait_line '\] FAKEBAIDU listening$'
		send_line testhttpclient
		wait_line '^true$'
		wait_line "^\[$(handle_of testhttpclient)\] KILL self\$"
		expect '\] FAKEBAIDU GET / host baidu\.com$'
		expect_order '^GET baidu\.com$' '^\[header\] =====>$' '^\[body\] =====>	200$' \
			'^<html>$' '^<meta http-equiv="refresh" content="0;url=http://www\.baidu\.com/">$' '^</html>$' '^true$'
		for h in 'connection	Keep-Alive' 'date	Fri, 09 Feb 2018 16:49:34 GMT' \
			'last-modified	Tue, 12 Jan 2010 13:48:00 GMT' 'expires	Sat, 10 Feb 2018 16:49:34 GMT' \
			'cache-control	max-age=86400' 'accept-ranges	bytes' 'content-type	text/html' \
			'content-length	81' 'etag	"51-47cf7e6ee8400"' 'server	Apache'; do
			grep -qxF "$h" "$T/out" && pass "header line '$h'" || fail "no header line '$h'"
		done
	else
		echo "skip: 18.2's baidu.com example needs port 80 (root, nothing listening there)"
	fi
	kill "$DNS_PID" 2> /dev/null
	wait "$DNS_PID" 2> /dev/null
fi

expect_none 'traceback|HTTPTEST error|init service failed'
stop_node
finish
