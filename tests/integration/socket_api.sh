#!/bin/bash
# skynet.socket's semantics (S9.1) on a real node, once per placement of
# services on workers.  tests/integration/lua/socket_api/sa_main.lua makes
# each check on real sockets on 127.0.0.1 and prints "SA ok/FAIL <what>";
# this script plays the peers that must stop reading (the warnings, the
# lwrite order), reads the listen backlog back from the kernel, and
# checks that no file descriptor is left behind.  Then a worker holding
# sockets is killed: its clients see the close, the node takes new ones.
. "$(dirname "$0")/lib.sh"
. "$LUATEST/ch9/clients.sh"
for_each_placement
WANT_OK=103         # checks sa_main makes

# ten free ports for this run (the placements run at once)
P=$(pick_ports 10)

write_lua_config n.conf "$LUATEST/socket_api/?.lua" "lua_path = \"$LUATEST/socket_api/?.lua\"" 'start = "sa_main"' \
	"sa_port = $P" "placement = \"$PLACEMENT\""
start_node n.conf
wait_line '\] SA need go [0-9]+$' || { stop_node; finish; }
D=$(handle_of sa_main)
FD0=$(fds)
exec {go}<>"/dev/tcp/127.0.0.1/$((P + 9))"
exec {go}>&-
wait_line '\] SA listening ' || { stop_node; finish; }

# S9.1-listen: the backlog given to listen is the kernel's
bl=$(ss -Hltn "sport = :$P" | awk '{print $3}' | sort -u | tr '\n' ' ')
[ "$bl" = "7 " ] && pass "listen backlog 7 (ss: $bl)" || fail "listen backlog: ss shows '$bl', wanted 7"

# S9.1-warning: twice a peer that connects and never reads, until the
# service is done writing to it
for k in 1 2; do
	wait_count '\] SA need noread [0-9]+$' $k 120 || break
	np=$(grep -E '\] SA need noread ' "$T/out" | sed -n "${k}p" | awk '{print $NF}')
	exec {nr}<>"/dev/tcp/127.0.0.1/$np"
	wait_count '\] SA release noread$' $k 120
	exec {nr}>&-
done

# S9.1-lwrite: read the normal write (32 MiB of H) and the first byte of
# a 32 MiB lwrite, then stop reading until the service has made a normal
# write ("h"); then read the rest: "h" comes after the whole lwrite, before
# the next one ("M")
if wait_line '\] SA need lwpeer [0-9]+$' 120; then
	lp=$(sed -nE 's/.*\] SA need lwpeer ([0-9]+)$/\1/p' "$T/out")
	exec {lw}<>"/dev/tcp/127.0.0.1/$lp"
	head -c $((32 * 1048576 + 1)) <&"$lw" > first.bin
	echo seen >&"$lw"
	wait_line '\] SA h queued$'
	head -c $((32 * 1048576 - 1 + 2048)) <&"$lw" > rest.bin
	exec {lw}>&-
	got="$(tr -s 'A-Za-z' < first.bin)|$(tr -s 'A-Za-z' < rest.bin)"
	got="$got $(tr -cd L < rest.bin | wc -c) $(tr -cd h < rest.bin | wc -c) $(tr -cd M < rest.bin | wc -c)"
	[ "$got" = "HL|LhM $((32 * 1048576 - 1)) 1024 1024" ] &&
		pass "lwrite atomic: H, all of L, h, then M" ||
		fail "lwrite order: runs and counts of L h M: '$got'"
fi

wait_line '\] SA done ' 300
grep -E '\] SA (ok|FAIL|skipped) ' "$T/out" | sed 's/^\[[^]]*\] /    /'
expect_none '\] SA FAIL '
skip=$(sed -nE 's/.*\] SA skipped ([0-9]+) checks.*/\1/p' "$T/out")
expect "^\[$D\] SA done $((WANT_OK - ${skip:-0})) 0\$"
# every socket the checks made is closed
fds_back "after all the checks"

# the default warning (no callback): a log line with the size and the id
wid=$(sed -nE 's/.*\] SA default warning on ([0-9]+)$/\1/p' "$T/out")
expect "^\[$D\] WARNING: [0-9]+ K bytes need to send out \(fd = $wid\)\$"
# limit(): the overflowing socket is closed with a log line
expect "^\[$D\] socket: .*limit"
# the one error on purpose (an accept callback), and no other: the log
# lines that a traceback follows
awk '/^\[/ { last = $0 } /^stack traceback:/ { print last }' "$T/out" | sort -u > errors.txt
if [ "$(wc -l < errors.txt)" -eq 1 ] && grep -q "^\[$D\] .*SA expected error in an accept callback" errors.txt; then
	pass "one error, the accept callback's"
else
	fail "errors other than the accept callback's:"; cat errors.txt
fi
expect_none 'runtime error'
stop_node

# A worker dies with its sockets: their clients see the close; the
# listener (on the other worker) goes on accepting.
write_lua_config n.conf "$LUATEST/socket_api/?.lua" "lua_path = \"$LUATEST/socket_api/?.lua\"" 'start = "sa_crash"' "sa_port = $P"
start_node n.conf
wait_line '\] SC listening on worker ' && wait_listen "$P" || { stop_node; finish; }
PORT=$P
cl_open a
cl_send a one
cl_wait a '^ONE$'
w=$(sed -nE 's/.*\] SC agent on worker ([0-9]+)$/\1/p' "$T/out" | head -n1)
wpid=$(sed -nE "s/.*\] worker $w (started|restarted) \(pid ([0-9]+)\)\$/\2/p" "$T/out" | tail -n1)
if [ -n "$wpid" ]; then
	kill -KILL "$wpid"
	cl_wait a 'the other side has been closed\.$' &&
		pass "killing worker $w (pid $wpid) closed its client's connection"
	wait_line "\] worker $w restarted \(pid [0-9]+\)\$"
	cl_open b
	cl_send b two
	cl_wait b '^TWO$' && pass "a new client is served after the crash"
	cl_close b
else
	fail "no pid for worker '$w'"
fi
cl_cleanup
stop_node
finish
