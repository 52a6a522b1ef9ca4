#!/bin/bash
# daemon = "x.pid": the node detaches and writes its pid; a second node on
# the same pid file is refused; SIGTERM stops it and removes the file.
. "$(dirname "$0")/lib.sh"
write_config d.conf 'start = "tsvc echo"' "daemon = \"$T/node.pid\"" 'logger = "node.log"' "logpath = \"$T\""
"$ACTORD" d.conf > out 2>&1; RC=$?
expect_rc 0
for _ in $(seq 100); do [ -s node.pid ] && break; sleep 0.05; done
pid=$(cat node.pid 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then pass "daemon running as $pid"; else fail "no live daemon"; fi
"$ACTORD" d.conf > out2 2>&1; RC=$?
expect_rc 1
expect "a node is already running \\(pid $pid\\)" out2
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then fail "daemon still running"; kill -9 "$pid"; else pass "daemon stopped"; fi
[ -e node.pid ] && fail "pid file left behind" || pass "pid file removed"
expect 'LAUNCH tsvc echo$' node.log
expect 'stopping \(SIGTERM\)' node.log
expect 'actord stopped' node.log
finish
