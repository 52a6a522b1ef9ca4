#!/bin/bash
# The socket core on real nodes (tests/integration/lua/socket_core): owned
# sockets closed when their service ends, lossless hand-over after
# abandon, many connections, a large transfer; under each placement, with
# io_uring's provided buffers and multishot operations and without them.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PORT=$((20000 + $$ % 20000))
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
finish
