#!/bin/bash
# Tutorial chapter 19 (sharedata) on real nodes, under each placement of
# services on workers: 19.1's API as used by examples/tutorial/19.1 (the
# seed shows the API only), the behaviour of new/query/update/delete
# (tests/integration/lua/ch19/sd_basic.lua), and the memory a node spends
# when 200 services query one 100k-entry table.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
EX=${EXAMPLES:-$SRC/examples/tutorial}
LT=${LUATEST:-$SRC/tests/integration/lua}
for PLACEMENT in balanced spread same; do
	echo "== placement $PLACEMENT"

	# S19.1-new (table, source returning a table, source globals,
	# "@file") S19.1-query S19.1-update S19.1-delete
	write_lua_config n.conf "$EX/19.1/?.lua" 'start = "testsharedata"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] KILL self$'
	expect_order '\] LAUNCH snlua testsharedata$' '\] LAUNCH snlua sharedatad$'
	expect_lines "$(handle_of testsharedata)" <<-'L'
		LAUNCH snlua testsharedata
		config: skynet 8001 8002 2
		level 1 exp 100
		level 2 exp 300
		level 3 exp 600
		globals: 5000 welcome
		sword atk 10 shield def 8
		config after update: actord 9001 1
		query after delete: false sharedata config does not exist
	L
	stop_node

	# S19.0-sharedata-purpose and the rest of the behaviour, with readers
	# on other workers as placement puts them
	write_lua_config n.conf "$LT/ch19/?.lua" 'start = "sd_basic"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] SD done$' 30
	expect_none 'SD FAIL|traceback'
	n=$(grep -c '\] SD ok ' "$T/out")
	[ "$n" -eq 38 ] && pass "$n sharedata checks" || fail "$n sharedata checks passed, wanted 38"
	grep -E '\] SD (ok|FAIL) ' "$T/out" | sed 's/^/    /'
	stop_node
done

# Memory: 200 services on 4 workers query a table of 100k records.  The
# node's memory (Pss of the supervisor and its workers, from outside) is
# taken once the services are up, then after every one has queried it and
# read from it.  Each worker process decodes the table once; a service
# holds a proxy, so the growth is about 4 trees, not 200 copies.
echo "== memory"
pss() {
	local p s=0 v
	for p in "$NODE_PID" $(pgrep -P "$NODE_PID"); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
THREADS=4 write_lua_config n.conf "$LT/ch19/?.lua" 'start = "sd_mem"'
# (under ASan, a small quarantine: freed buffers are not what is measured)
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=4" start_node n.conf
if wait_line '\] MEM READY 200 services$' 120; then
	sleep 1
	BEFORE=$(pss)
	touch go1
	wait_line '\] MEM QUERIED 200 services, 0 bad answers$' 120
	sleep 1
	AFTER=$(pss)
	COPY=$(sed -n 's/.*MEM one Lua copy of 100000 entries: \([0-9]*\) KB$/\1/p' "$T/out")
	TREES=$(sed -n 's/.*MEM worker [0-9]*: 1 tree(s), \([0-9]*\) KB$/\1/p' "$T/out" | paste -sd+ | bc)
	LUA=$(sed -n 's/.*MEM Lua memory of a service: \([0-9.]*\) KB before its query, \([0-9.]*\) KB after$/\1 \2/p' "$T/out")
	GROWTH=$((AFTER - BEFORE))
	echo "    one copy as a Lua table:      ${COPY} KB"
	echo "    decoded trees (all workers):  ${TREES} KB ($(grep -c 'MEM worker' "$T/out") workers)"
	echo "    node Pss before the queries:  ${BEFORE} KB"
	echo "    node Pss after 200 queries:   ${AFTER} KB"
	echo "    growth:                       ${GROWTH} KB = $(echo "scale=2; $GROWTH / $COPY" | bc) copies" \
	     "(200 private copies would be $((200 * COPY)) KB)"
	echo "    growth beyond the trees:      $(( (GROWTH - TREES) / 200 )) KB per service" \
	     "(freed decoding buffers that the heap keeps included)"
	echo "    Lua memory of a service:      ${LUA% *} KB before its query, ${LUA#* } KB after"
	[ "$(grep -c 'MEM worker [0-9]*: 1 tree(s)' "$T/out")" -eq 4 ] &&
		pass "one tree in each of the 4 workers" || fail "not one tree per worker"
	[ -n "$COPY" ] && [ "$GROWTH" -lt $((5 * COPY)) ] &&
		pass "growth below 5 copies" || fail "growth $GROWTH KB is not below 5 x $COPY KB"
	# what a query adds to a service is O(1): far below 1% of a copy
	[ -n "$LUA" ] && [ "$(echo "(${LUA#* } - ${LUA% *}) * 100 < $COPY" | bc)" -eq 1 ] &&
		pass "a query adds under 1% of a copy to a service" ||
		fail "a query adds too much to a service: $LUA"
fi
stop_node
finish
