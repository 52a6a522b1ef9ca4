#!/bin/bash
# 100,000 minimal Lua services alive at once on one node, then all ended:
# every one answers, and the node's memory (Pss summed over its processes,
# measured from outside) comes back near where it started.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
N=${MANY_COUNT:-100000}

pss_kb() {
	local sum=0 p v
	for p in "$NODE_PID" $(pgrep -P "$NODE_PID"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

write_lua_config m.conf "$HERE/lua/many/?.lua" 'start = "many_driver"' \
	"many_count = $N" "many_dir = \"$T\""
start_node m.conf
wait_line 'MANY ready' 30 && sleep 1
before=$(pss_kb); touch "$T/ready.go"
wait_line "MANY alive=$N answered=$N" 900
sleep 1; peak=$(pss_kb); touch "$T/spawned.go"
wait_line "MANY ended=$N" 600
sleep 2; after=$(pss_kb); touch "$T/exited.go"
wait_line 'MANY done' 30
stop_node
per=$(( (peak - before) * 1024 / N ))
echo "node Pss: before=${before} KiB, with $N services=${peak} KiB (${per} B each), after=${after} KiB"
# "near where it started": what stays is under 5% of what the services took.
# The sanitizer build runs a smaller count under its own allocator, where
# this says nothing about ours: it only prints the figures there.
if [ "${MANY_MEMORY_CHECK:-1}" = 0 ]; then
	pass "memory figures printed (not judged in this build)"
elif [ $((after - before)) -lt $(( (peak - before) / 20 )) ]; then
	pass "memory came back: $((after - before)) KiB above the start"
else
	fail "memory did not come back: $((after - before)) KiB above the start of $((peak - before)) KiB taken"
fi
finish
