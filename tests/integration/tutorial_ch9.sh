#!/bin/bash
# Tutorial chapter 9 (skynet.socket) on real nodes with real clients on
# 127.0.0.1, once per placement of services on workers.  Each example of
# examples/tutorial/9.x is typed on the console as the tutorial does; the
# tutorial's C client (tools/socketclient) or its Lua clients (9.8, 9.9)
# talk to it, and the lines the tutorial shows are checked (handles, socket
# ids and client ports differ).  Under "spread" and "balanced" an agent may
# land on another worker than its listener: the accepted socket moves
# there (socket_api.sh makes that move on purpose).
#
# The examples listen on 8001 as the tutorial's do; the test runs copies
# of them on a free port (CH9_PORT=n picks one), so it cannot collide with
# whatever else listens on 8001.
. "$(dirname "$0")/lib.sh"
. "$LUATEST/ch9/clients.sh"
PORT=${CH9_PORT:-$(free_port)}
H=':[0-9a-f]{8}'
A='127\.0\.0\.1:[0-9]+'          # a client's address as the server logs it

# the examples, with the port changed if asked
mkdir -p ex
cp -r "$EXAMPLES"/9.* ex/
[ "$PORT" = 8001 ] || sed -i "s/8001/$PORT/g" ex/*/*.lua
EXD=$T/ex

console_node() {   # console_node LUASERVICE: a node with start = "console"
	port_free "$PORT" || return 1
	write_lua_config n.conf "$1" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
}

# listener NAME: type NAME on the console; it logs "listen 0.0.0.0:PORT"
# and listens.
listener() {
	send_line "$1"
	wait_line "\] LAUNCH snlua $1\$" &&
	wait_line "\] listen 0\.0\.0\.0:$PORT\$" &&
	wait_listen "$PORT"
}

# addr_of N: the client address in the Nth "... accepted" line
addr_of() {
	sed -nE "s/^\[$H\] ($A) accepted\$/\1/p" "$T/out" | sed -n "${1}p"
}

# lua_client NAME: 9.8's serverreadline, then the client service NAME
# typed on the console; it sends data0..2, gets them back upper-cased and
# exits.  Checks the server's lines; the client's handle is left in C.
lua_client() {
	listener serverreadline
	S=$(handle_of serverreadline)
	send_line "$1"
	wait_line "\] LAUNCH snlua $1\$"
	C=$(handle_of "$1")
	wait_line "^\[$C\] KILL self\$" 30
	A1=$(addr_of 1)
	wait_line "^\[$S\] ${A1//./\\.} disconnect\$"
	expect_lines "$S" <<-L
		LAUNCH snlua serverreadline
		listen 0\.0\.0\.0:$PORT
		${A1//./\\.} accepted
		recv data0
		recv data1
		recv data2
		${A1//./\\.} disconnect
	L
}

for PLACEMENT in balanced spread same; do
	echo "== placement $PLACEMENT"

	# 9.2 S9.2-echo-server S9.1-listen S9.1-start-accept S9.1-start
	# S9.1-read S9.1-write: one coroutine per client; each gets its own
	# data back upper-cased; a client that leaves is seen as
	# "<addr> disconnect" (read returned false).
	console_node "$EXD/9.2/?.lua" || continue
	listener socketserver
	S=$(handle_of socketserver)
	cl_open a
	wait_count ' accepted$' 1
	cl_send a helloworld
	cl_wait a '^HELLOWORLD$'
	cl_open b
	wait_count ' accepted$' 2
	cl_send b second
	cl_wait b '^SECOND$'
	cl_send a again
	cl_wait a '^AGAIN$'
	A1=$(addr_of 1); A2=$(addr_of 2)
	cl_close a
	wait_line "^\[$S\] $A1 disconnect"
	cl_close b
	wait_line "^\[$S\] $A2 disconnect"
	# the client's own port is the one the server saw
	[ "$A1" != "$A2" ] && pass "two clients, two addresses ($A1, $A2)" ||
		fail "clients' addresses: '$A1' '$A2'"
	expect_lines "$S" <<-L
		LAUNCH snlua socketserver
		listen 0\.0\.0\.0:$PORT
		${A1//./\\.} accepted
		recv helloworld
		${A2//./\\.} accepted
		recv second
		recv again
		${A1//./\\.} disconnect, endstr ?(nil)?
		${A2//./\\.} disconnect, endstr ?(nil)?
	L
	# skynet.error prints the received "helloworld\n": a blank line follows
	grep -A1 -F "] recv helloworld" "$T/out" | tail -n1 | grep -q '^$' &&
		pass "recv line keeps the client's newline" ||
		fail "no blank line after 'recv helloworld'"
	expect_none 'error|traceback'
	stop_node

	# 9.3 S9.1-readline: one line at a time, the separator stripped (two
	# lines sent in one write are two reads); on close, the unread rest
	# comes back as readline's second value ("last recv ...").
	console_node "$EXD/9.3/?.lua" || continue
	listener socketserver
	S=$(handle_of socketserver)
	cl_open a
	cl_send a hello
	cl_wait a '^HELLO'
	cl_sendraw a 'one\ntwo\nhalf'
	cl_wait a 'HELLOONETWO'
	wait_line '\] recv two$'
	A1=$(addr_of 1)
	cl_close a
	wait_line "^\[$S\] $A1 disconnect\$"
	expect_lines "$S" <<-L
		LAUNCH snlua socketserver
		listen 0\.0\.0\.0:$PORT
		${A1//./\\.} accepted
		recv hello
		recv one
		recv two
		last recv half
		${A1//./\\.} disconnect
	L
	stop_node

	# 9.4 S9.1-readall: nothing is logged until the client closes; then
	# everything it sent, in one piece.
	console_node "$EXD/9.4/?.lua" || continue
	listener socketserver
	S=$(handle_of socketserver)
	cl_open a
	cl_send a first
	cl_send a second
	wait_count ' accepted$' 1
	expect_none '\] recv '
	cl_close a
	A1=$(addr_of 1)
	wait_line "^\[$S\] $A1 close\$"
	expect_lines "$S" <<-L
		LAUNCH snlua socketserver
		listen 0\.0\.0\.0:$PORT
		${A1//./\\.} accepted
		recv first
		${A1//./\\.} close
	L
	grep -A2 -F "] recv first" "$T/out" | tail -n2 | tr '\n' '|' | grep -qx 'second||' &&
		pass "readall returned both lines at once" ||
		fail "readall: 'second' does not follow 'recv first'"
	stop_node

	# 9.5 S9.1-lwrite: each request gets both the low-priority "l:" and
	# the normal "h:" answer (their order is not visible with small data).
	console_node "$EXD/9.5/?.lua" || continue
	listener socketserver
	S=$(handle_of socketserver)
	cl_open a
	cl_send a hello
	cl_wait a '^l:HELLO$'
	cl_wait a '^h:HELLO$'
	A1=$(addr_of 1)
	cl_close a
	wait_line "^\[$S\] $A1 disconnect\$"
	expect_lines "$S" <<-L
		LAUNCH snlua socketserver
		listen 0\.0\.0\.0:$PORT
		${A1//./\\.} accepted
		recv hello
		${A1//./\\.} disconnect
	L
	stop_node

	# 9.6 S9.6-agent-per-connection S9.1-start: socketlisten launches
	# "socketagent <id> <addr>" per connection; the agent starts the id
	# and echoes.  Each client sends at once, before its agent exists: that
	# data waits for the agent's start (on whichever worker it is).
	console_node "$EXD/9.6/?.lua" || continue
	listener socketlisten
	S=$(handle_of socketlisten)
	for c in a b c; do
		cl_open $c
		cl_send $c "${c}aaaaaaaaa"
	done
	for c in a b c; do
		cl_wait $c "^${c^^}AAAAAAAAA\$"
	done
	wait_count "\] LAUNCH snlua socketagent [0-9]+ $A\$" 3
	# which worker holds each connection now (ss shows the process)
	lw=$(ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -n1)
	aw=$(ss -Htnp state established "sport = :$PORT" | grep -o 'pid=[0-9]*' | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
	moved=$(ss -Htnp state established "sport = :$PORT" | grep -o 'pid=[0-9]*' | grep -vcx "$lw")
	echo "listener in $lw, connections in: $aw"
	case $PLACEMENT in
	same) [ "$moved" -eq 0 ] && pass "all three stay on the listener's worker" ||
		fail "$moved connections left the listener's worker under placement same" ;;
	spread) [ "$moved" -ge 1 ] && pass "$moved of 3 connections moved to another worker" ||
		fail "no connection moved to another worker under placement spread" ;;
	esac
	for i in 1 2 3; do
		AD=$(addr_of $i)
		AG=$(handle_of "socketagent [0-9]* ${AD//./\\.}")
		[ -n "$AG" ] || { fail "no socketagent for $AD"; continue; }
		c=$(lines_of "$AG" | sed -n 's/^recv \(.\)aaaaaaaaa$/\1/p')
		[ -n "$c" ] || c=x
		expect_lines "$AG" <<-L
			LAUNCH snlua socketagent [0-9]+ ${AD//./\\.}
			recv ${c}aaaaaaaaa
		L
		cl_close $c
		wait_line "^\[$AG\] KILL self\$"
		expect_lines "$AG" <<-L
			LAUNCH snlua socketagent [0-9]+ ${AD//./\\.}
			recv ${c}aaaaaaaaa
			${AD//./\\.} disconnect
			KILL self
		L
	done
	expect_lines "$S" <<-L
		LAUNCH snlua socketlisten
		listen 0\.0\.0\.0:$PORT
		$A accepted
		$A accepted
		$A accepted
	L
	# the socket id in the LAUNCH line is the one the agent serves: ids
	# are node-wide, and each connection got its own
	n=$(grep -Eo "LAUNCH snlua socketagent [0-9]+ " "$T/out" | sort -u | wc -l)
	[ "$n" -eq 3 ] && pass "three distinct socket ids" || fail "$n distinct socket ids, wanted 3"
	expect_none 'error|traceback|drop'
	stop_node

	# 9.7 S9.1-abandon: socketabandon starts the socket, answers the first
	# line, abandons it and hands it to a socketagent.  The client sends its
	# second line as soon as the first answer is in, while the hand-over is
	# going on: the agent gets it, nothing is lost.
	console_node "$EXD/9.7/?.lua;$EXD/9.6/?.lua" || continue
	listener socketabandon
	S=$(handle_of socketabandon)
	cl_open a
	cl_send a aaaaaaaaaaaaaaaa
	cl_wait a '^AAAAAAAAAAAAAAAA$'
	cl_send a bbbbbbbbbbbbbbb
	cl_wait a '^BBBBBBBBBBBBBBB$'
	A1=$(addr_of 1)
	AG=$(handle_of "socketagent [0-9]* ${A1//./\\.}")
	cl_close a
	wait_line "\] KILL self$"
	expect_lines "$S" <<-L
		LAUNCH snlua socketabandon
		listen 0\.0\.0\.0:$PORT
		${A1//./\\.} accepted
	L
	expect_lines "$AG" <<-L
		LAUNCH snlua socketagent [0-9]+ ${A1//./\\.}
		recv bbbbbbbbbbbbbbb
		${A1//./\\.} disconnect
		KILL self
	L
	expect_none 'error|traceback|drop'
	stop_node

	# 9.8 S9.8-sequential-client S9.1-open: the client service writes a
	# line, then waits for its answer (serverreadline answers after 1-5 s),
	# three times, then closes and exits; the server sees it leave.
	console_node "$EXD/9.8/?.lua" || continue
	lua_client socketclient
	expect_lines "$C" <<-L
		LAUNCH snlua socketclient
		connect 127\.0\.0\.1:$PORT
		send data0
		recv DATA0
		send data1
		recv DATA1
		send data2
		recv DATA2
		KILL self
	L
	# Each answer leaves the server 1-5 s after the request came in, so
	# those two lines are in this order in the log.  (Lines of services on
	# two workers logged closer together than that may come in either
	# order: "recv DATA0" and the next "recv data1" for instance.)
	for i in 0 1 2; do
		expect_order "^\[$S\] recv data$i\$" "^\[$C\] recv DATA$i\$"
	done
	expect_none 'error|traceback'
	stop_node

	# 9.9 S9.9-pipelined-client: a writer coroutine sends the three
	# requests at once; the reader gets the three answers in whatever order
	# the server's random delays give.
	console_node "$EXD/9.9/?.lua;$EXD/9.8/?.lua" || continue
	lua_client socketforkclient
	lines_of "$C" | sed -n 6,8p | sort > got.txt
	printf 'recv DATA%s\n' 0 1 2 > want.txt
	cmp -s got.txt want.txt && pass "answers: $(lines_of "$C" | sed -n 6,8p | tr '\n' ' ')" ||
		fail "answers are not DATA0..2 in some order: $(tr '\n' ' ' < got.txt)"
	expect_lines "$C" <<-L
		LAUNCH snlua socketforkclient
		connect 127\.0\.0\.1:$PORT
		send data0
		send data1
		send data2
		recv DATA[0-2]
		recv DATA[0-2]
		recv DATA[0-2]
		KILL self
	L
	# all three requests were in before the first answer came back
	expect_order "^\[$S\] recv data2\$" "^\[$C\] recv DATA"
	expect_none 'error|traceback'
	stop_node
done
cl_cleanup
finish
