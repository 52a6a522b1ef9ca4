#!/bin/bash
# Tutorial chapter 13 (gateserver) on real nodes with real clients over
# 127.0.0.1, once per placement of services on workers.  The examples are
# examples/tutorial/13.x, typed on the console as the tutorial does; the
# client is the tutorial's own (13.2.3's socketclient.c, built here), plus
# raw connections from bash for bytes no well-behaved client sends.  Then
# bad input against a test gate (tests/integration/lua/ch13): garbage, a
# length over the limit, half a packet then a hang-up, more clients than
# maxclient -- each closed or refused with a log line, the other clients
# served all along.
#
# Each placement runs in its own network namespace where it can, so the
# three can all listen on the tutorial's ports (8002, 8888) at once;
# without namespaces they take turns.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
LT=$LUATEST/ch13
for_each_placement

# (GATE_NETNS=none skips the namespaces.)
if [ -z "${GATE_NETNS:-}" ] && command -v ip > /dev/null &&
   unshare -n ip link set lo up 2> /dev/null; then
	cd / && rm -rf "$T"
	trap - EXIT
	exec unshare -n env GATE_NETNS=1 bash -c 'ip link set lo up && exec bash "$0"' "$SELF"
fi
if [ "${GATE_NETNS:-}" != 1 ]; then
	exec 9> /tmp/actord-tutorial-ch13.lock
	flock 9
fi

declare -A CIN CPID
kill_clients() {
	local c
	for c in "${!CPID[@]}"; do kill -KILL "${CPID[$c]}" 2> /dev/null; done
}
trap 'kill_clients; [ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null; rm -rf "$T"' EXIT

CLIENT=$T/socketclient
if ! ${CC:-cc} -o "$CLIENT" "$EX/13.2.3/socketclient.c" -lpthread; then
	fail "cannot build the tutorial's client (13.2.3/socketclient.c)"
	finish
fi

# ---- clients ---------------------------------------------------------------

# client NAME PORT: run the tutorial's client; its stdin is a fifo that
# say writes lines to, its output (the gate's replies, raw) NAME.out.
client() {
	rm -f "$T/$1.in"
	mkfifo "$T/$1.in"
	# without the test's other fds: another client's input, or a raw
	# connection, held open here would never see its end
	(
		for f in /proc/self/fd/*; do
			f=${f##*/}
			[ "$f" -gt 2 ] && eval "exec $f>&-" 2> /dev/null
		done
		exec "$CLIENT" "$2"
	) < "$T/$1.in" > "$T/$1.out" 2>&1 &
	CPID[$1]=$!
	local fd
	exec {fd}> "$T/$1.in"
	CIN[$1]=$fd
}
# say NAME WORDS...: type a line into the client.
say() {
	if kill -0 "${CPID[$1]}" 2> /dev/null; then
		echo "${*:2}" >&"${CIN[$1]}"
	else
		fail "client $1 is gone, cannot say '${*:2}'"
	fi
}

# hangup NAME: end the client's input; it closes its socket and exits.
hangup() {
	local fd=${CIN[$1]} n=100
	exec {fd}>&-
	while kill -0 "${CPID[$1]}" 2> /dev/null; do
		if [ "$n" -le 0 ]; then
			fail "client $1 did not exit at the end of its input"
			kill -KILL "${CPID[$1]}"
			break
		fi
		n=$((n - 1)); sleep 0.1
	done
	wait "${CPID[$1]}" 2> /dev/null
	unset "CPID[$1]" "CIN[$1]"
}

# client_sees NAME REGEX: wait (10 s at most) for the client to print it.
client_sees() {
	local n=100
	while ! grep -aEq -- "$2" "$T/$1.out"; do
		if [ "$n" -le 0 ]; then
			fail "client $1 never printed '$2'"
			echo "--- $1 printed:"; cat -v "$T/$1.out"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "client $1 printed '$2'"
}

# raw_open PORT: a connection from bash, its fd in RAW.
raw_open() { exec {RAW}<> "/dev/tcp/127.0.0.1/$1"; }
raw_close() { exec {RAW}>&-; }
# raw_send FORMAT ARGS...: printf to RAW, in a subshell: if the gate has
# closed the connection already, SIGPIPE ends that and not the test.
raw_send() { (printf "$@" >&"$RAW") 2> /dev/null; }

# raw_closed_by_peer: the gate closed RAW (EOF within 10 s).
raw_closed_by_peer() {
	if timeout 10 cat <&"$RAW" > /dev/null; then
		pass "the gate closed the connection"
	else
		fail "the connection was not closed"
	fi
	raw_close
}

console_node() {   # console_node LUASERVICE
	write_lua_config n.conf "$1" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	# without a console nothing below can work: stop here, not 100 waits later
	wait_line '\] LAUNCH snlua console$' || { stop_node; finish; }
}

launched() {   # launched NAME ARGS: type it on the console, wait for it
	send_line "$@"
	wait_line "\] LAUNCH snlua $*\$"
}

ended() {   # ended NAME ARGS: wait until that service has exited
	local h
	h=$(handle_of "$*")
	wait_line "^\[${h:-none}\] KILL self\$"
}

# nth_fd REGEX N: the fd in the Nth line matching REGEX ("... fd: 12 ...").
nth_fd() {
	grep -E -- "$1" "$T/out" | sed -n "${2}p" | sed -E 's/.*fd:? ([0-9]+).*/\1/'
}

IP='127\.0\.0\.1:[0-9]+'
TAB=$'\t'    # what print puts between its arguments

# open_gate LUASERVICE: a console node on which openmygateserver has
# opened mygateserver (handles O, G); CONN matches the gate's connect lines.
open_gate() {
	console_node "$1"
	launched openmygateserver
	ended openmygateserver
	O=$(handle_of openmygateserver)
	G=$(handle_of mygateserver)
	CONN="^\[$G\] ipaddr: $IP fd: [0-9]+ connect\$"
}

# joined N: wait for the Nth line matching CONN; its fd goes to FD.
joined() { wait_count "$CONN" "$1" && FD=$(nth_fd "$CONN" "$1"); }

# 13.1 S13.0-gateserver-start S13.1-handler-connect S13.1-open-command
# S13.1-handler-disconnect S13.2-length-protocol: the first gate, opened
# by openmygateserver; a client that does not frame its bytes is
# connected and disconnected but handler.message never runs (its 5 bytes
# read as the start of a 26725-byte packet, dropped with a log line).
open_gate "$EX/13.1/?.lua"
expect_order "^\[$O\] Server start$" '\] LAUNCH snlua mygateserver$' \
	"^\[$G\] Listen on 0\.0\.0\.0:8002$" "^\[$O\] gate server setup on 8002$" "^\[$O\] KILL self$"
expect_lines "$O" <<-'L'
	LAUNCH snlua openmygateserver
	Server start
	gate server setup on 8002
	KILL self
L
raw_open 8002
joined 1; F1=$FD
raw_send 'hello'
raw_close
wait_line "^\[$G\] fd: $F1 disconnect$"
# 13.2.3 S13.2-length-protocol: the tutorial's client frames each line
client c1 8002
joined 2; F2=$FD
say c1 aaaaaaaaaa
wait_line "^\[$G\] recv message from fd: $F2$"
hangup c1
wait_line "^\[$G\] fd: $F2 disconnect$"
expect_lines "$G" <<-L
	LAUNCH snlua mygateserver
	Listen on 0\.0\.0\.0:8002
	ipaddr: $IP fd: $F1 connect
	gateserver: fd $F1 closed in the middle of a packet \(5 bytes dropped\)
	fd: $F1 disconnect
	ipaddr: $IP fd: $F2 connect
	recv message from fd: $F2
	fd: $F2 disconnect
L
stop_node

# 13.2.4 S13.2-netpack S13.1-handler-message: netpack.tostring turns the
# packet into the line the client typed (newline included, as shown);
# packets come in the order sent, whole, however TCP cuts them.
open_gate "$EX/13.2.4/?.lua;$EX/13.1/?.lua"
client c1 8002
joined 1; F=$FD
say c1 aaaaaaaaaa
say c1 bbbbbbbbbb
wait_line "^\[$G\] bbbbbbbbbb$"
raw_open 8002
joined 2; R=$FD
raw_send '\x00'; sleep 0.3       # a header cut in two
raw_send '\x05hel'; sleep 0.3    # and a body cut in two
raw_send 'lo\x00\x03one\x00\x03two\x00\x00\x00\x05three'
wait_line "^\[$G\] three$"
raw_close
wait_line "^\[$G\] fd: $R disconnect$"
hangup c1
wait_line "^\[$G\] fd: $F disconnect$"
expect_lines "$G" <<-L
	LAUNCH snlua mygateserver
	Listen on 0\.0\.0\.0:8002
	ipaddr: $IP fd: $F connect
	recv message from fd: $F
	aaaaaaaaaa
	recv message from fd: $F
	bbbbbbbbbb
	ipaddr: $IP fd: $R connect
	recv message from fd: $R
	hello
	recv message from fd: $R
	one
	recv message from fd: $R
	two
	recv message from fd: $R
	
	recv message from fd: $R
	three
	fd: $R disconnect
	fd: $F disconnect
L
stop_node

# 13.3 S13.3-maxclient S13.4-handler-open: maxclient 2 admits two
# clients; the third is closed at once (its disconnect is logged, not its
# connect).  While full, more refusals are counted, not logged one by one;
# once a client leaves, a new one gets in.
open_gate "$EX/13.3/?.lua;$EX/13.4/?.lua"
client c1 8002
joined 1; F1=$FD
client c2 8002
joined 2; F2=$FD
client c3 8002
wait_line "^\[$G\] fd: [0-9]+ disconnect$"
F3=$(nth_fd "^\[$G\] fd: [0-9]+ disconnect$" 1)
client_sees c3 'the other side has been closed'
client c4 8002
wait_count "^\[$G\] fd: [0-9]+ disconnect$" 2
F4=$(nth_fd "^\[$G\] fd: [0-9]+ disconnect$" 2)
client_sees c4 'the other side has been closed'
say c1 hello
wait_line "^\[$G\] hello$"
hangup c1
wait_count "^\[$G\] fd: [0-9]+ disconnect$" 3
client c5 8002
joined 3; F5=$FD
say c5 world
wait_line "^\[$G\] world$"
hangup c2
hangup c5
wait_count "^\[$G\] fd: [0-9]+ disconnect$" 5
hangup c3
hangup c4
expect_lines "$O" <<-'L'
	LAUNCH snlua openmygateserver
	Server start
	gate server setup on 8002
	KILL self
L
expect_lines "$G" <<-L
	LAUNCH snlua mygateserver
	Listen on 0\.0\.0\.0:8002
	open by  $O
	listen on 8002
	client max 2
	nodelay true
	ipaddr: $IP fd: $F1 connect
	ipaddr: $IP fd: $F2 connect
	gateserver: refuse fd $F3 from $IP: maxclient 2 reached
	fd: $F3 disconnect
	fd: $F4 disconnect
	recv message from fd: $F1
	hello
	gateserver: 1 more connection\(s\) refused while full
	fd: $F1 disconnect
	ipaddr: $IP fd: $F5 connect
	recv message from fd: $F5
	world
	fd: $F2 disconnect
	fd: $F5 disconnect
L
stop_node

# 13.4 S13.4-handler-open S13.4-handler-warning: the open callback's
# lines; with over 1 MiB waiting to go to a client that does not read,
# handler.warning runs (the data is written by another service, as an
# agent would).
open_gate "$EX/13.4/?.lua;$EX/13.1/?.lua;$LT/?.lua"
raw_open 8002
joined 1; F=$FD
launched floodfd "$F" 32
wait_line "^\[$G\] warning fd= $F unsent data over 1M$" 20
raw_close
# the hang-up shows as a close or as a write error, whichever comes first
wait_line "^\[$G\] (fd: $F disconnect|gateserver: fd $F: .*, closed)$"
expect_order "^\[$G\] Listen on 0\.0\.0\.0:8002$" "^\[$G\] open by  $O$" \
	"^\[$G\] listen on 8002$" "^\[$G\] client max 64$" "^\[$G\] nodelay true$" \
	"^\[$O\] gate server setup on 8002$"
stop_node

# 13.5 S13.5-handler-command S13.5-closeclient: kickmygateserver sends the
# gate a lua message of its own ("kick"); the gate closes the client.
open_gate "$EX/13.5/?.lua;$EX/13.1/?.lua"
client c1 8002
joined 1; F=$FD
launched kickmygateserver "$G" "$F"
K=$(handle_of "kickmygateserver $G $F")
wait_line "^\[$G\] fd: $F disconnect$"
client_sees c1 'the other side has been closed'
hangup c1
wait_line "^\[$K\] KILL self$"
expect_order "^\[$G\] ipaddr: $IP fd: $F connect$" "^\[$G\] source: $K kick fd: $F$" \
	"^\[$G\] fd: $F disconnect$"
expect_lines "$K" <<-L
	LAUNCH snlua kickmygateserver $G $F
	KILL self
L
stop_node

# 13.6 S13.1-open-command: "close" stops listening: new clients are
# refused by the system, the connected one is still served.
open_gate "$EX/13.6/?.lua;$EX/13.5/?.lua;$EX/13.1/?.lua"
client c1 8002
joined 1; F=$FD
launched closemygateserver "$G"
wait_line "^\[$(handle_of "closemygateserver $G")\] KILL self$"
if (exec 5<> /dev/tcp/127.0.0.1/8002) 2> /dev/null; then
	fail "a new client could connect after close"
else
	pass "no new client after close"
fi
say c1 still here
wait_line "^\[$G\] still here$"
hangup c1
wait_line "^\[$G\] fd: $F disconnect$"
expect_lines "$(handle_of "closemygateserver $G")" <<-L
	LAUNCH snlua closemygateserver $G
	KILL self
L
[ "$(grep -Ec "^\[$G\] ipaddr: $IP fd: [0-9]+ connect$" "$T/out")" -eq 1 ] &&
	pass "one connection only" || fail "more than one connection"
stop_node

# 13.7 S13.7-agent: one myagent per connection; the gate redirects the
# packets to it as "client" messages, netpack.tostring is its unpack (no
# double free), and it answers the client directly, in capitals.  Two
# clients at once get their own answers; a disconnect ends the agent.
open_gate "$EX/13.7/?.lua;$EX/13.1/?.lua"
client c1 8002
joined 1; F1=$FD
wait_line "\] LAUNCH snlua myagent $F1$"
client c2 8002
joined 2; F2=$FD
wait_line "\] LAUNCH snlua myagent $F2$"
say c1 aaaaaaaaaaaaaa
say c2 bbbbbbb
client_sees c1 'AAAAAAAAAAAAAA'
client_sees c2 'BBBBBBB'
wait_line "^recv from fd${TAB}$F1${TAB}aaaaaaaaaaaaaa$"
wait_line "^recv from fd${TAB}$F2${TAB}bbbbbbb$"
if grep -aq 'BBB' "$T/c1.out" || grep -aq 'AAA' "$T/c2.out"; then
	fail "an answer went to the wrong client"
else
	pass "each client got its own answer"
fi
A1=$(handle_of "myagent $F1")
hangup c1
wait_line "^\[$A1\] KILL self$"
expect_lines "$A1" <<-L
	LAUNCH snlua myagent $F1
	$F1 agent quit
	KILL self
L
say c2 again
client_sees c2 'AGAIN'
hangup c2
wait_line "^\[$(handle_of "myagent $F2")\] KILL self$"
expect_order "^\[$G\] ipaddr: $IP fd: $F1 connect$" "\] LAUNCH snlua myagent $F1$" \
	"^\[$G\] fd: $F1 disconnect$" "^\[$A1\] $F1 agent quit$"
stop_node

# 13.8 S13.8-builtin-gate: main starts the watchdog, the watchdog the
# gate (service/gate.lua) and an agent per client; the agent asks the
# gate to forward, gets each request as a client message with session 1,
# and answers the client itself.  "quit" goes agent -> watchdog -> gate
# (kick), and the agent leaves.
console_node "$EX/13.8/?.lua"
launched main
wait_line '\] Watchdog listen on 8888$'
M=$(handle_of main)
W=$(handle_of watchdog)
GT=$(handle_of gate)
client c1 8888
wait_line "^\[$W\] New client from : $IP fd: [0-9]+$"
F=$(nth_fd 'New client from' 1)
say c1 set name nengzhong
client_sees c1 ok
say c1 get name
client_sees c1 nengzhong
say c1 get age
client_sees c1 nil
say c1 quit
client_sees c1 'the other side has been closed'
hangup c1
A=$(handle_of agent)
wait_line "^\[$A\] KILL self$"
expect_lines "$M" <<-'L'
	LAUNCH snlua main
	Server start
	Watchdog listen on 8888
	KILL self
L
expect_lines "$GT" <<-'L'
	LAUNCH snlua gate
	Listen on 0\.0\.0\.0:8888
L
expect_lines "$A" <<-L
	LAUNCH snlua agent
	client $F request: set name nengzhong session: 1
	client $F request: get name session: 1
	client $F request: get age session: 1
	client $F request: quit session: 1
	agent for fd $F quit
	KILL self
L
expect_order "^\[$W\] New client from : $IP fd: $F$" "^\[$A\] agent for fd $F quit$"
wait_line "^\[$W\] socket close $F$"
stop_node

# ---- bad input (S13.2-length-protocol, S13.3-maxclient,
# S13.4-handler-error): a test gate on 9001 (maxclient 4, packets of at
# most 1024 bytes) and one on 9002 (the protocol's own 65535).  Client
# "good" is served before, during and after all of it.
console_node "$LT/?.lua"
launched opengate 9001 4 1024
wait_line '\] gate :[0-9a-f]+ open on 9001$'
launched opengate 9002 8
wait_line '\] gate :[0-9a-f]+ open on 9002$'
G1=$(sed -n 's/^\[:[0-9a-f]*\] gate \(:[0-9a-f]*\) open on 9001$/\1/p' "$T/out")
G2=$(sed -n 's/^\[:[0-9a-f]*\] gate \(:[0-9a-f]*\) open on 9002$/\1/p' "$T/out")
CONN="^\[$G1\] fd: [0-9]+ connect from $IP\$"
client good 9001
joined 1; FG=$FD
say good before
client_sees good 'echo before'

# garbage: an HTTP request reads as a 18245-byte packet
raw_open 9001
joined 2; FB=$FD
raw_send 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
raw_closed_by_peer
wait_line "^\[$G1\] fd: $FB error packet of 18245 bytes over the limit of 1024$"
expect "^\[$G1\] gateserver: fd $FB: packet of 18245 bytes over the limit of 1024, closed$"

# a length over the limit after a good packet in the same write: the good
# one is delivered, then the connection is closed
raw_open 9001
joined 3; FL=$FD
raw_send '\x00\x02ok\x04\x01%01025d' 0
raw_closed_by_peer
wait_line "^\[$G1\] fd: $FL error packet of 1025 bytes over the limit of 1024$"
expect_order "^\[$G1\] fd: $FL packet 2 bytes ok$" "^\[$G1\] fd: $FL error packet of 1025"

# the largest packet the limit allows, sent in pieces
raw_open 9001
joined 4; FM=$FD
raw_send '\x04\x00'
for i in 1 2 3 4; do raw_send '%0256d' 0; sleep 0.1; done
wait_line "^\[$G1\] fd: $FM packet 1024 bytes 0000\.\.\.0000$"
# half a packet, then a hang-up
raw_send '\x00\x10half'
raw_close
wait_line "^\[$G1\] fd: $FM disconnect$"
expect "^\[$G1\] gateserver: fd $FM closed in the middle of a packet \(6 bytes dropped\)$"

# more clients than maxclient (4): good + 3 raw are in, the next 3 are
# refused; the first refusal is logged, the rest counted
declare -a HOLD
for i in 1 2 3; do
	raw_open 9001; HOLD[i]=$RAW
	joined $((4 + i))
done
for i in 1 2 3; do
	raw_open 9001
	wait_count "^\[$G1\] fd: [0-9]+ disconnect$" $((1 + i))
	raw_closed_by_peer
done
expect "^\[$G1\] gateserver: refuse fd [0-9]+ from $IP: maxclient 4 reached$"
[ "$(grep -Ec "^\[$G1\] gateserver: refuse fd" "$T/out")" -eq 1 ] &&
	pass "one refusal line while full" || fail "refusals logged more than once while full"
say good during
client_sees good 'echo during'
for i in 1 2 3; do RAW=${HOLD[i]}; raw_close; done
wait_line "^\[$G1\] gateserver: 2 more connection\(s\) refused while full$"

# a packet of 65535 bytes (the protocol's limit) and 1000 small packets
# in one write, on the second gate
raw_open 9002
CONN="^\[$G2\] fd: [0-9]+ connect from $IP\$"
joined 1; F9=$FD
raw_send '\xff\xff%065535d' 0
wait_line "^\[$G2\] fd: $F9 packet 65535 bytes 0000\.\.\.0000$"
for i in $(seq 1000); do printf '\x00\x04%04d' "$i"; done > many.bin
(cat many.bin >&"$RAW")
wait_line "^\[$G2\] fd: $F9 packet 4 bytes 1000$"
grep -E "^\[$G2\] fd: $F9 packet 4 bytes [0-9]{4}$" "$T/out" | awk '{print $NF}' > got.txt
if seq -f '%04g' 1 1000 | cmp -s - got.txt; then
	pass "1000 packets in one write, in order"
else
	fail "the 1000 packets came out otherwise ($(wc -l < got.txt) lines)"
fi
raw_close     # unread echoes make the kernel reset it: either ending will do
wait_line "^\[$G2\] fd: $F9 (disconnect|error Connection reset by peer)$"

# S13.2-netpack: pack frames with the 2-byte big-endian size, at most
# 65535 bytes; tostring copies (and frees) the buffer
launched packcheck
ended packcheck
expect_lines "$(handle_of packcheck)" <<-'L'
	LAUNCH snlua packcheck
	pack 12345: 7 bytes, 00 05 12345
	pack 65535: 65537 bytes, ff ff
	pack 65536: false netpack\.pack: 65536 bytes, over the 65535 a packet holds
	tostring nil: \[\]
	KILL self
L

say good after
client_sees good 'echo after'
hangup good
wait_line "^\[$G1\] fd: $FG disconnect$"
expect_none 'traceback|stack overflow|Unknown'
stop_node
finish
