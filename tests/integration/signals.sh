#!/bin/bash
# SIGTERM and SIGINT stop the node in order with exit 0; SIGHUP reopens the
# log file, so a rotated log keeps receiving lines in a new file.
. "$(dirname "$0")/lib.sh"
write_config s.conf 'start = "tsvc echo"' 'logger = "node.log"' "logpath = \"$T\""
"$ACTORD" s.conf > out 2>&1 &
node=$!
for _ in $(seq 100); do grep -q 'LAUNCH tsvc echo' node.log 2>/dev/null && break; sleep 0.05; done
expect 'LAUNCH tsvc echo$' node.log
mv node.log node.log.1
kill -HUP "$node"
for _ in $(seq 100); do [ -e node.log ] && break; sleep 0.05; done
kill -TERM "$node"
for _ in $(seq 200); do kill -0 "$node" 2>/dev/null || break; sleep 0.05; done
wait "$node"; RC=$?
expect_rc 0
expect 'stopping \(SIGTERM\)' node.log
expect 'actord stopped' node.log
if grep -q 'stopping' node.log.1; then fail "line written to the rotated file"; else pass "rotated file left alone"; fi

write_config i.conf 'start = "tsvc echo"'
"$ACTORD" i.conf > out 2>&1 &
node=$!
for _ in $(seq 100); do grep -q 'LAUNCH tsvc echo' out && break; sleep 0.05; done
kill -INT "$node"
for _ in $(seq 200); do kill -0 "$node" 2>/dev/null || break; sleep 0.05; done
wait "$node"; RC=$?
expect_rc 0
expect 'stopping \(SIGINT\)'
finish
