#!/bin/bash
# Tutorial chapter 10 (socketchannel) on real nodes and real sockets on
# 127.0.0.1, under each placement of services on workers.  The examples
# (examples/tutorial/10.1, 10.1-false, 10.2, with the seed's "\\n" erratum
# fixed) run as the tutorial runs them, typed on the console, against 9.8's
# serverreadline; then tests/integration/lua/ch10/sctest.lua checks the
# rest of the module, and scdie.lua what happens when the server's node
# dies.  The examples listen on the tutorial's port 8001; the copies run
# here use a free port instead, so that runs do not collide.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
EX=${EXAMPLES:-$SRC/examples/tutorial}
LT=${LUATEST:-$SRC/tests/integration/lua}
TOOLS=${TOOLS:-$SRC/build/tools}
for_each_placement

SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null
      [ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null; rm -rf "$T"' EXIT

PORT=$(free_port)
for d in 9.8 10.1 10.1-false 10.2; do
	mkdir -p "ex/$d"
	for f in "$EX/$d"/*.lua; do
		sed "s/8001/$PORT/g" "$f" > "ex/$d/$(basename "$f")"
	done
done
EXT=$T/ex
A='127\.0\.0\.1:[0-9]+'

# run_example DIR CLIENT: a node with DIR's services and 9.8's, on which
# serverreadline then CLIENT are typed on the console, as in the
# tutorial; SRV and CLI are their handles.  Fails (1) if a step does not
# happen.  The caller then waits for what it checks, and stops the node.
run_example() {
	write_lua_config n.conf "$EXT/$1/?.lua;$EXT/9.8/?.lua" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$' || return 1
	send_line serverreadline
	wait_line "\] listen 0\.0\.0\.0:$PORT\$" || return 1
	send_line "$2"
	wait_line "\] LAUNCH snlua $2\$" || return 1
	SRV=$(handle_of serverreadline)
	CLI=$(handle_of "$2")
}

# what serverreadline logs for a client that sends data0, data1, data2
SERVED=("LAUNCH snlua serverreadline" "listen 0\.0\.0\.0:$PORT" "$A accepted"
        "recv data0" "recv data1" "recv data2")

# S10.1-channel-mode1 S10.1-request-mode1 S10.1-autoclose: three requests
# in order, each answered after the server's 1-5 s pause; the client exits
# without closing the channel and the server sees the disconnect.
if run_example 10.1 channelclient && wait_line "\] $A disconnect\$" 40; then
	printf '%s\n' "${SERVED[@]}" "$A disconnect" | expect_lines "$SRV"
	expect_lines "$CLI" <<-'L'
		LAUNCH snlua channelclient
		recv DATA0
		recv DATA1
		recv DATA2
		KILL self
	L
	expect_none 'error|traceback'
fi
stop_node

# S10.1-response-false: the response function returns false: the request
# raises the value ("DATA0\n"), the channel closes the connection.
if run_example 10.1-false channelclient && wait_line "\] $A disconnect\$" 20; then
	# the task's error, as the seed shows it: the value, then a traceback
	# through socketchannel and channelclient.lua
	expect "^\[$CLI\] lua call .* error : DATA0\$"
	expect '/socketchannel\.lua:[0-9]+: in function'
	expect '/channelclient\.lua:23: in function'
	expect "^\[$CLI\] socketchannel: bad reply from 127\.0\.0\.1:$PORT \(DATA0\\\\x0a\), connection closed\$"
	expect_none "^\[$CLI\] recv"
	[ "$(grep -c "^\[$SRV\] recv data" "$T/out")" -eq 1 ] && pass "one request reached the server" ||
		fail "the server got other than one request"
fi
stop_node

# S10.2-channel-mode2: three requests at once; the server answers after
# random pauses, so in any order; each answer reaches its session.
if run_example 10.2 channelclient2 && wait_count "^\[$CLI\] recv " 3 20; then
	printf '%s\n' "${SERVED[@]}" | expect_lines "$SRV"
	got=$(lines_of "$CLI" | tail -n +2 | sort | tr '\n' '|')
	if [ "$got" = "recv DATA0 0|recv DATA1 1|recv DATA2 2|" ]; then
		pass "channelclient2: each reply with its session: $(lines_of "$CLI" | tail -n +2 | tr '\n' ' ')"
	else
		fail "channelclient2 logged: $got"
	fi
	expect_none 'error|traceback'
fi
stop_node

# The rest of socketchannel (sctest.lua prints SC ok / SC FAIL).
write_lua_config n.conf "$LT/ch10/?.lua" 'start = "sctest"' "placement = \"$PLACEMENT\"" \
	"scport = $(free_port)" "scport2 = $(free_port)" "scport3 = $(free_port)"
start_node n.conf
if wait_line '\] SC done$' 180; then
	expect_none 'SC FAIL'
	n=$(grep -c '\] SC ok ' "$T/out")
	[ "$n" -ge 48 ] && pass "$n socketchannel checks" || fail "only $n socketchannel checks passed"
	# what the channel says about bad input from the server
	expect '\] socketchannel: reply for unknown session 99$'
	expect '\] socketchannel: bad reply from 127\.0\.0\.1:[0-9]+ \(.*not a session reply: ECHO same\), connection closed$'
	expect '\] socketchannel: 127\.0\.0\.1:[0-9]+ auth failed: .*refused by the server'
	expect '\] socketchannel: connect to 127\.0\.0\.1:[0-9]+ failed: .*, again in 1 s$'
	expect '\] scclient got ECHO bye$'
fi
grep -E '\] SC (ok|FAIL) ' "$T/out" | sed 's/^/    /'
stop_node

# Requests waiting on a server whose node dies raise (scdie.lua): the
# server is another node, killed with SIGKILL while they wait.
DPORT=$(free_port)
write_lua_config server.conf "$LT/ch10/?.lua" 'start = "scserver"' "scport = $DPORT"
"$ACTORD" server.conf > server.out 2>&1 < /dev/null &
SERVER_PID=$!
n=300
until grep -q "scserver listen $DPORT\$" server.out || [ $n -le 0 ]; do sleep 0.1; n=$((n - 1)); done

# First, the client runner (tools/client/actord-lua) against that node: a
# client written as the tutorial's are (package.cpath = "luaclib/?.so",
# client.socket), fed three lines on stdin, the last without a newline.
# It must keep running after stdin ends, get "" when the server hangs up,
# and move 300 KB each way intact.
CPORT=$(free_port)
printf 'echo one\necho two\nbye' |
	timeout 30 "$TOOLS/client/actord-lua" "$LT/ch10/lineclient.lua" "$DPORT" "$CPORT" > client.out 2>&1
RC=$?
[ "$RC" -eq 0 ] && pass "client exit status 0" || fail "client exit status $RC"
expect "^connect to a closed port:	false	Connect 127\.0\.0\.1 $CPORT failed: Connection refused\$" client.out
for l in 'stdin:	echo one' 'stdin:	echo two' 'stdin:	bye' 'reply:	ECHO one' 'reply:	ECHO two' \
	'reply:	BYE' 'server closed' 'stdin lines:	3	after end of input:	nil' 'long reply:	300006	true'; do
	grep -qxF "$l" client.out && pass "client: $l" || { fail "client: no line '$l'"; cat client.out; }
done
clean_run client.out
grep -E '^reply:' client.out | tr '\n' '|' | grep -qxF 'reply:	ECHO one|reply:	ECHO two|reply:	BYE|' &&
	pass "client: replies in order" || fail "client: replies out of order"
write_lua_config n.conf "$LT/ch10/?.lua" 'start = "scdie"' "placement = \"$PLACEMENT\"" "scport = $DPORT"
start_node n.conf
wait_line '\] SCDIE asking$'
n=200
until [ "$(grep -c 'scserver line: silent$' server.out)" -ge 3 ] || [ $n -le 0 ]; do sleep 0.1; n=$((n - 1)); done
if [ "$(grep -c 'scserver line: silent$' server.out)" -eq 3 ]; then
	pass "the server holds 3 requests"
else
	fail "the server did not get the 3 requests"; cat server.out
fi
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
clean_run server.out
if wait_count '\] SCDIE raised ' 3 20; then
	[ "$(grep -c '\] SCDIE raised \[Error: socket\]$' "$T/out")" -eq 3 ] &&
		pass "the 3 waiting requests raised sc.error" || fail "the waiting requests raised something else"
fi
wait_line '\] SCDIE after: raised socketchannel: connect to 127\.0\.0\.1:[0-9]+ failed'
expect_none 'SCDIE returned'
grep -E '\] SCDIE ' "$T/out" | sed 's/^/    /'
stop_node
finish
