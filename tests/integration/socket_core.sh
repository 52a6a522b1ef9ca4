#!/bin/bash
# The socket core on real nodes (tests/integration/lua/socket_core): owned
# sockets closed when their service ends, lossless hand-over after
# abandon, many connections, a large transfer; under each placement, with
# io_uring's provided buffers and multishot operations and without them.
# Then a burst of connections moved between workers, and a worker crash.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PORT=$(free_port)
for plain in 0 1; do
	for place in balanced spread same; do
		echo "== placement $place, ACTORD_URING_PLAIN=$plain"
		write_lua_config s.conf "$HERE/lua/socket_core/?.lua" 'start = "sc_main"' \
			"placement = \"$place\"" "sc_port = $PORT"
		ACTORD_URING_PLAIN=$plain run_node s.conf 60
		expect_rc 0
		for c in exit_closes abandon_first abandon_keeps_data many big bad_id; do
			expect "\\] SC $c ok"
		done
		expect_none 'SC [a-z_]+ FAIL|traceback'
	done
done

# A burst of 3,000 connections handed from worker 0 to worker 1: every fd
# moves between the processes, and every connection echoes.
echo "== burst of moves"
write_lua_config b.conf "$HERE/lua/socket_core/?.lua" 'start = "sc_burst"' \
	"sc_port = $PORT" "placement = \"same\""
start_node b.conf
wait_line '\] SC burst ready$'
LOADGEN=$(dirname "$ACTORD")/../bench/connscale
out=$(timeout 60 "$LOADGEN" -p "$PORT" -n 3000 -j 1 -s 3000 -i 1 < /dev/null)
echo "$out"
[[ "$out" == *"up=3000 "*"echo_ok=3000"* ]] && pass "3000 connections moved and echoed" ||
	fail "burst: $out"
stop_node

# A worker dies holding a connection: the peer sees it closed, the
# supervisor frees the socket's id, and the node keeps taking connections.
echo "== worker crash"
write_lua_config c.conf "$HERE/lua/socket_core/?.lua" 'start = "sc_crash_main"' \
	"sc_port = $PORT"
start_node c.conf
wait_line '\] SC crash ready$'
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
echo hello >&5
read -r -t 5 reply <&5
[ "$reply" = HELLO ] && pass "echo before the crash" || fail "echo before the crash: '$reply'"
wait_line '\] SC victim_pid=[0-9]+$'
VICTIM=$(sed -n 's/.*SC victim_pid=\([0-9]*\)$/\1/p' "$T/out" | tail -n1)
kill -9 "$VICTIM"
if read -r -t 5 more <&5; then fail "read after the crash gave '$more'"; else pass "the peer sees the connection closed"; fi
exec 5<&-
wait_line 'worker 1 \(pid [0-9]+\) killed by signal 9 \(Killed\); [0-9]+ services lost, 2 sockets closed'
wait_line 'worker 1 restarted'
exec 5<>"/dev/tcp/127.0.0.1/$((PORT + 1))"
read -r -t 5 reply <&5
[ "$reply" = alive ] && pass "worker 0 still serves" || fail "worker 0 after the crash: '$reply'"
exec 5<&-
stop_node
finish
