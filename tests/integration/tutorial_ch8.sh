#!/bin/bash
# Tutorial chapter 8 (multicast) on real nodes, under each placement of
# services on workers.  8.2's multicastpub/multicastsub run as the
# tutorial runs them, typed on the console (examples/tutorial/8.2, with
# the seed's channelID/channelId erratum fixed); then the rest of 8.1's
# behaviour (tests/integration/lua/ch8/mc_more.lua).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
EX=${EXAMPLES:-$SRC/examples/tutorial}
LT=${LUATEST:-$SRC/tests/integration/lua}
H=':[0-9a-f]{8}'
for PLACEMENT in balanced spread same; do
	echo "== placement $PLACEMENT"

	# S8.1-mc-new S8.1-publish S8.1-subscribe S8.1-unsubscribe S8.1-delete:
	# multicastpub publishes data0, data1... once a second; multicastsub,
	# started 2.5 s later, gets what is published in its 5 s of
	# subscription (5 messages), then nothing.
	write_lua_config n.conf "$EX/8.2/?.lua" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$' || { stop_node; continue; }
	send_line multicastpub
	wait_line '\] new channel ID 1$'
	sleep 2.5
	send_line multicastsub 1
	wait_line '\] LAUNCH snlua multicastsub 1$'
	sleep 7.5       # 5 s subscribed, then 2.5 s in which nothing may come
	PUB=$(handle_of multicastpub)
	SUB=$(handle_of 'multicastsub 1')
	expect_order '\] LAUNCH snlua multicastpub$' '\] LAUNCH snlua multicastd$' \
		"^\[$PUB\] new channel ID 1\$" '\] LAUNCH snlua multicastsub 1$'
	expect_lines "$PUB" <<-'L'
		LAUNCH snlua multicastpub
		new channel ID 1
	L
	# what the subscriber logged: consecutive dataN from the publisher
	lines_of "$SUB" | tail -n +2 > sub.txt
	if [ "$(lines_of "$SUB" | head -n1)" = "LAUNCH snlua multicastsub 1" ] &&
	   awk -v pub="$PUB" '
		{ if ($0 !~ "^channel ID: \\[Multicast:1\\] source: " pub " msg: data[0-9]+$") exit 1
		  n = substr($NF, 5) + 0
		  if (NR > 1 && n != last + 1) exit 1
		  last = n }
		END { if (NR < 4 || NR > 6) exit 1 }' sub.txt; then
		pass "multicastsub got $(wc -l < sub.txt) consecutive messages from $PUB: $(head -n1 sub.txt | awk '{print $NF}')..$(tail -n1 sub.txt | awk '{print $NF}')"
	else
		fail "multicastsub's lines are not 4..6 consecutive 'channel ID: [Multicast:1] source: $PUB msg: dataN'"
		lines_of "$SUB"
	fi
	# the publisher is still publishing: the subscriber has stopped
	LAST=$(tail -n1 sub.txt | awk '{print $NF}'); LAST=${LAST#data}
	if [ -z "$LAST" ] || grep -Eq "\] channel ID: .* msg: data$((LAST + 2))\$" "$T/out"; then
		fail "messages after unsubscribe"
	else
		pass "nothing after unsubscribe"
	fi
	expect_none 'FAILED|error|traceback'
	stop_node

	# the rest of 8.1, subscribers on other workers as placement puts them
	write_lua_config n.conf "$LT/ch8/?.lua" 'start = "mc_more"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] MC done$' 20
	expect_none 'MC FAIL|error|traceback'
	n=$(grep -c '\] MC ok ' "$T/out")
	want=12; [ "$PLACEMENT" = spread ] && want=13
	[ "$n" -eq "$want" ] && pass "$n multicast checks" || fail "$n multicast checks passed, wanted $want"
	grep -E '\] MC (ok|FAIL) ' "$T/out" | sed 's/^/    /'
	stop_node
done
finish
