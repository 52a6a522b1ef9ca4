#!/bin/bash
# A worker killed with SIGKILL mid-traffic: the node stays up, a new worker
# takes the slot, no message between surviving services is lost, and the
# call held in the dead worker fails instead of hanging.
. "$(dirname "$0")/lib.sh"
THREADS=3 write_config crash.conf 'start = "tsvc crash x 60000"'
"$ACTORD" crash.conf > "$T/out" 2>&1 &
node=$!
pid=
for _ in $(seq 300); do
	pid=$(sed -n 's/.*CRASH ready victim_pid=\([0-9]*\).*/\1/p' "$T/out")
	[ -n "$pid" ] && break
	sleep 0.05
done
if [ -z "$pid" ]; then
	fail "driver never got ready"
else
	kill -9 "$pid"
	pass "killed worker pid $pid"
fi
for _ in $(seq 600); do kill -0 "$node" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$node" 2>/dev/null; then fail "node did not finish"; kill -9 "$node"; fi
wait "$node"; RC=$?
expect_rc 0
expect "worker 2 \\(pid $pid\\) killed by signal 9"
expect 'worker 2 restarted \(pid [0-9]+\)'
expect 'CRASH held call answered with type 7$'
expect '\] CRASH ok sent=60000 received=60000 order_errors=0 replacement=ok$'
finish
