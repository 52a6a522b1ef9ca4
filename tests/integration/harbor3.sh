#!/bin/bash
# Clustering with three nodes (issue #5: "faults, 3-node messaging").  Node 1
# runs the master (standalone); nodes 2 and 3 join.  Lua services
# (tests/integration/lua/harbor3) are driven through command files.
#
#  1. Calls and sends in all six directions.
#  2. Order under load: two senders on each node, 3000 sends each to the
#     other two nodes; every receiver checks the order per sender.
#  3. Master restart (node 1's sidecar, which runs the master, killed):
#     calls waiting through it fail both ways; the 2<->3 link stays up and
#     its traffic never fails; nodes re-register and node 1 links again.
#     Garbage and a silent client on the ports are refused and logged
#     meanwhile, and disturb nothing.
#  4. Node 3 killed mid-traffic: every call waiting on it fails, streams
#     into it end (no call hangs), 1<->2 keeps working; node 3 restarted
#     rejoins and answers again.
#  5. Keepalive: node 3 stopped (SIGSTOP): the others drop it within
#     harbor_keepalive and fail the calls waiting on it; resumed, its own
#     waiting calls fail, and it rejoins.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
LT=${LUATEST:-$SRC/tests/integration/lua}

declare -A PID
trap 'for p in "${PID[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
KEEPALIVE=2000
PM=$(free_port); P1=$(free_port); P2=$(free_port); P3=$(free_port)
declare -A PORT=([1]=$P1 [2]=$P2 [3]=$P3)

for n in 1 2 3; do
	extra=()
	[ "$n" = 1 ] && extra=("standalone = \"127.0.0.1:$PM\"")
	write_lua_config "n$n.conf" "$LT/harbor3/?.lua" 'start = "h3main"' \
		"harbor = $n" "address = \"127.0.0.1:${PORT[$n]}\"" \
		"master = \"127.0.0.1:$PM\"" "cluster_key = \"$KEY\"" \
		"harbor_keepalive = $KEEPALIVE" "h3_dir = \"$T\"" "${extra[@]}"
done

declare -A OUT
start() {   # start N: node N in the background, output in $T/oN (a new file each time)
	OUT[$1]=$T/o$1.$(date +%s%N)
	"$ACTORD" "n$1.conf" > "${OUT[$1]}" 2>&1 < /dev/null &
	PID[$1]=$!
}
count() { grep -Ec -- "$2" "${OUT[$1]}"; }
wait_in() {  # wait_in N REGEX [SECONDS] [COUNT]: node N logged it (COUNT times)
	local n=$(( ${3:-15} * 10 ))
	while [ "$(count "$1" "$2")" -lt "${4:-1}" ]; do
		if [ "$n" -le 0 ]; then
			fail "node $1: no line matching '$2' (x${4:-1})"
			echo "--- node $1:"; tail -n 30 "${OUT[$1]}"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "node $1: $2${4:+ (x$4)}"
}
never() {    # never N REGEX: node N has not logged it
	if grep -Eq -- "$2" "${OUT[$1]}"; then
		fail "node $1 logged '$2'"; grep -E -- "$2" "${OUT[$1]}" | head -5
	else
		pass "node $1: no '$2'"
	fi
}
exactly() {  # exactly N REGEX COUNT
	local c; c=$(count "$1" "$2")
	if [ "$c" -eq "$3" ]; then pass "node $1: '$2' x$3"; else fail "node $1: '$2' x$c, wanted $3"; fi
}
cmd() {      # cmd N LINE...: commands for node N's driver (h3main.lua)
	local n=50
	while [ -e "$T/cmd$1" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	printf '%s\n' "${@:2}" > "$T/cmd$1.tmp" && mv "$T/cmd$1.tmp" "$T/cmd$1"
}
# The node's processes: the supervisor and the workers and sidecar it forked.
procs() { echo "${PID[$1]}" $(pgrep -P "${PID[$1]}"); }
sidecar_of() { sed -n 's/.*harbor sidecar \(re\)\{0,1\}started (pid \([0-9]*\))$/\2/p' "${OUT[$1]}" | tail -n1; }
stop() {     # stop N: SIGTERM, and it exits 0
	kill -TERM "${PID[$1]}"
	wait "${PID[$1]}"; RC=$?
	unset "PID[$1]"
	expect_rc 0
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }

start 1
wait_in 1 "harbor: master listen socket 127\.0\.0\.1:$PM$"
start 2
start 3

# ---- 1. call and send in all directions (S4.3: remote send/call by handle)
for n in 1 2 3; do
	for k in 1 2 3; do
		[ "$n" = "$k" ] && continue
		wait_in "$n" "\] CALL ok to node $k: pong :0${k}[0-9a-f]{6}$" 20
		wait_in "$n" "\] NOTE from node $k \(source :0${k}[0-9a-f]{6}\)$"
	done
done

# ---- 2. order under load: 4 senders on 2 nodes into each receiver
for n in 1 2 3; do cmd "$n" "order 3000"; done
for n in 1 2 3; do
	wait_in "$n" "\] ORDER 3000 in order from :0[0-9a-f]{7}$" 30 4
	for k in 1 2 3; do
		[ "$n" = "$k" ] && continue
		exactly "$n" "\] ORDER 3000 in order from :0$k" 2
	done
	never "$n" "ORDER out of order"
done

# ---- 3. master restart: links already made stay (issue #5)
cmd 2 "stream 3" "hold 1 3 master"
cmd 3 "stream 2" "hold 1 3 master"
cmd 1 "hold 2 3 master" "hold 3 3 master"
wait_in 1 "\] HOLD master from node 2$" 10 3
wait_in 1 "\] HOLD master from node 3$" 10 3
wait_in 2 "\] HOLD master from node 1$" 10 3
wait_in 3 "\] HOLD master from node 1$" 10 3
kill -KILL "$(sidecar_of 1)"
# Calls waiting on the links that dropped fail, in both directions.
for n in 2 3; do
	wait_in 1 "\] HELD 3 to node $n \(master\): 3 failed, 0 answered$" 5
	wait_in "$n" "\] HELD 3 to node 1 \(master\): 3 failed, 0 answered$" 5
done
wait_in 1 "harbor sidecar restarted \(pid [0-9]+\)$"
for n in 2 3; do
	wait_in "$n" "harbor: lost the master at 127\.0\.0\.1:$PM"
	wait_in "$n" "harbor: registered with the master at 127\.0\.0\.1:$PM as node $n$" 10 2
	wait_in 1 "harbor: Harbor $n connected" 10 2
done
# Bad peers while the streams run: refused, logged, nothing else moves.
exec 5<>"/dev/tcp/127.0.0.1/$P2"          # says nothing: the handshake deadline
printf 'GET / HTTP/1.0\r\n\r\n' > "/dev/tcp/127.0.0.1/$P3"
printf '\0\0\0\4\1\0\0\0\377\377\377\377' > "/dev/tcp/127.0.0.1/$PM"
wait_in 3 "harbor: refused link from 127\.0\.0\.1:[0-9]+: "
wait_in 1 "harbor: master: refused a node from 127\.0\.0\.1:[0-9]+: control message does not decode"
wait_in 2 "harbor: refused link from 127\.0\.0\.1:[0-9]+: handshake not done in $KEEPALIVE ms$" 5
exec 5>&-
cmd 2 "stop 3"
cmd 3 "stop 2"
wait_in 2 "\] STREAM to node 3 done: ok=[1-9][0-9]* fail=0$"
wait_in 3 "\] STREAM to node 2 done: ok=[1-9][0-9]* fail=0$"
exactly 2 "harbor: Harbor 3 connected" 1
exactly 3 "harbor: Harbor 2 connected" 1
cmd 1 "call 2" "call 3"
wait_in 1 "\] CALL ok to node 2: " 10 2
wait_in 1 "\] CALL ok to node 3: " 10 2

# ---- 4. node 3 killed mid-traffic: no call hangs anywhere
cmd 1 "stream 3" "stream 2" "hold 3 4 kill"
cmd 2 "stream 3" "stream 1" "hold 3 4 kill"
wait_in 3 "\] HOLD kill from node 1$" 10 4
wait_in 3 "\] HOLD kill from node 2$" 10 4
kill -KILL "${PID[3]}"; wait "${PID[3]}" 2>/dev/null; unset "PID[3]"
T0=$(ms)
for n in 1 2; do
	wait_in "$n" "\] HELD 4 to node 3 \(kill\): 4 failed, 0 answered$" 5
	wait_in "$n" "\] STREAM to node 3 first failure: "
done
echo "# waiting calls failed $(( $(ms) - T0 )) ms after the kill"
sleep 0.5   # the survivors keep talking with node 3 gone
for n in 1 2; do cmd "$n" "stop 3" "stop $((3 - n))"; done
wait_in 1 "\] STREAM to node 3 done: ok=[0-9]+ fail=[1-9][0-9]*$"
wait_in 2 "\] STREAM to node 3 done: ok=[0-9]+ fail=[1-9][0-9]*$"
wait_in 1 "\] STREAM to node 2 done: ok=[1-9][0-9]* fail=0$"
wait_in 2 "\] STREAM to node 1 done: ok=[1-9][0-9]* fail=0$"
# Restarted with the same id and address, it rejoins.
start 3
for k in 1 2; do wait_in 3 "\] CALL ok to node $k: " 20; done
wait_in 1 "harbor: Harbor 3 connected" 10 3
wait_in 2 "harbor: Harbor 3 connected" 10 2
for n in 1 2; do cmd "$n" "call 3"; done
wait_in 1 "\] CALL ok to node 3: " 10 3
wait_in 2 "\] CALL ok to node 3: " 10 2

# ---- 5. keepalive: a node that stops answering without closing TCP
cmd 1 "hold 3 3 stall"
cmd 2 "hold 3 3 stall"
cmd 3 "hold 1 2 stall" "hold 2 2 stall"
wait_in 3 "\] HOLD stall from node 1$" 10 3
wait_in 3 "\] HOLD stall from node 2$" 10 3
wait_in 1 "\] HOLD stall from node 3$" 10 2
wait_in 2 "\] HOLD stall from node 3$" 10 2
never 1 "\] HELD 3 to node 3 \(stall\)"   # they wait now...
kill -STOP $(procs 3)
T0=$(ms)
# Silent for KEEPALIVE ms, plus the poll tick: well within 3x.
wait_in 1 "\] HELD 3 to node 3 \(stall\): 3 failed, 0 answered$" 6
wait_in 2 "\] HELD 3 to node 3 \(stall\): 3 failed, 0 answered$" 6
DT=$(( $(ms) - T0 ))
if [ "$DT" -ge $((KEEPALIVE / 2)) ]; then pass "dropped by the timer, after $DT ms"; else fail "calls failed after $DT ms, before keepalive could have"; fi
# ...and keepalive dropped node 3: the peer link's, or the master's (which
# then says NODE_DOWN); whichever came first.
wait_in 1 "harbor: (Harbor 3 disconnected|master: node 3 left \()no answer for [0-9]+ ms \(keepalive\)"
kill -CONT $(procs 3)
for k in 1 2; do wait_in 3 "\] HELD 2 to node $k \(stall\): 2 failed, 0 answered$" 5; done
wait_in 3 "harbor: registered with the master at 127\.0\.0\.1:$PM as node 3$" 10 2
cmd 1 "call 3"
wait_in 1 "\] CALL ok to node 3: " 10 4

for n in 3 2 1; do stop "$n"; done
for n in 1 2 3; do never "$n" "answered\?!|never answered"; done
clean_run "$T"/o*
finish
