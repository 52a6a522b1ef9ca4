#!/bin/bash
# Clustering (issue #5): two nodes on 127.0.0.1, node 1 running the
# master (standalone), node 2 joining it.  Lua services
# (tests/integration/lua/harbor) call and send across by raw handle, both
# ways: a call answered, one answered later (skynet.response), a redirect
# answered at the source it names, a 4 MiB payload and one just under the
# 16 MiB limit echoed, one over it refused, 1000 sends in order, a call to
# a node with no link failing at once.  Then: a node with the wrong
# cluster key, and one with none, are refused and logged; node 2's
# sidecar, killed, is restarted and links again; node 2 killed outright
# fails the call node 1 was waiting on.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
LT=${LUATEST:-$SRC/tests/integration/lua}

declare -A PID
trap 'for p in "${PID[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
BADKEY=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
PM=$(free_port); P1=$(free_port); P2=$(free_port); P3=$(free_port)

# node_conf N PORT KEY [extra lines]: node N of the cluster, master on PM.
node_conf() {
	local n=$1 port=$2 key=$3; shift 3
	write_lua_config "n$n.conf" "$LT/harbor/?.lua" 'start = "hmain"' \
		"harbor = $n" "address = \"127.0.0.1:$port\"" \
		"master = \"127.0.0.1:$PM\"" "cluster_key = \"$key\"" "$@"
}
start() {   # start N: node N in the background, output in $T/oN
	"$ACTORD" "n$1.conf" > "$T/o$1" 2>&1 < /dev/null &
	PID[$1]=$!
}
wait_in() {  # wait_in N REGEX [SECONDS] [COUNT]: node N logged it (COUNT times)
	local n=$(( ${3:-15} * 10 ))
	while [ "$(grep -Ec -- "$2" "$T/o$1")" -lt "${4:-1}" ]; do
		if [ "$n" -le 0 ]; then
			fail "node $1: no line matching '$2' (x${4:-1})"
			echo "--- node $1:"; tail -n 30 "$T/o$1"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "node $1: $2"
}
stop() {     # stop N: SIGTERM, and it exits 0
	kill -TERM "${PID[$1]}"
	wait "${PID[$1]}"; RC=$?
	unset "PID[$1]"
	expect_rc 0
}

node_conf 1 "$P1" "$KEY" "standalone = \"127.0.0.1:$PM\"" \
	"harbor_me = \"$T/h1\"" "harbor_peer = \"$T/h2\"" "harbor_hang = \"$T/go\""
node_conf 2 "$P2" "$KEY" "harbor_me = \"$T/h2\"" "harbor_peer = \"$T/h1\""
start 1
wait_in 1 "harbor: master listen socket 127\.0\.0\.1:$PM$"
start 2

# Start-up and join, in the spirit of the tutorial's logs (S4.3.1).
wait_in 2 "harbor: registered with the master at 127\.0\.0\.1:$PM as node 2$"
wait_in 1 "harbor: master: node 2 \(fd=[0-9]+\) report 127\.0\.0\.1:$P2$"
wait_in 1 "harbor: Connect to harbor 2 \(fd=[0-9]+\), 127\.0\.0\.1:$P2$"
wait_in 2 "harbor: New connection \(fd = [0-9]+, 127\.0\.0\.1:[0-9]+\)$"
wait_in 1 "harbor: Harbor 2 connected \(fd=[0-9]+\) 127\.0\.0\.1:$P2$"
wait_in 2 "harbor: Harbor 1 connected \(fd=[0-9]+\) 127\.0\.0\.1:$P1$"

# Calls and sends both ways, by raw handle.
for n in 1 2; do
	other=$((3 - n))
	wait_in $n "\] REMOTE call ok: pong :0${other}[0-9a-f]{6}$"
	wait_in $n "\] BIG echo ok \(4194304 bytes\)$"
	wait_in $n "\] MAX echo ok \(16777152 bytes\)$"
	wait_in $n "\] OVER call failed: "
	wait_in $n "\] SEQ 1000 in order from :0${other}[0-9a-f]{6}$"
	wait_in $n "\] RESPONSE later 14$"
	wait_in $other "\] REDIR got from :0${n}[0-9a-f]{6}$"
	wait_in $n "\] REDIR ack from :0${other}[0-9a-f]{6}$"
	# "at once": within a tick or so (10 ms each), not a timeout
	wait_in $n "\] NOLINK call failed after [0-9] ticks$"
	if grep -q "SEQ out of order" "$T/o$n"; then fail "node $n: sends out of order"; fi
done

# The wrong key: the master refuses the node and says why; so does it.
node_conf 3 "$P3" "$BADKEY" "harbor_me = \"$T/h3\"" "harbor_peer = \"$T/nothing\""
start 3
wait_in 1 "harbor: master: refused a node from 127\.0\.0\.1:[0-9]+: wrong cluster key$"
wait_in 3 "harbor: the master at 127\.0\.0\.1:$PM refused this node: peer says: wrong cluster key$"
if grep -q "node 3" "$T/o1"; then fail "node 3 was let in"; fi
stop 3
# No key at all (cluster_insecure): a keyed cluster refuses it too.
write_lua_config n4.conf "$LT/harbor/?.lua" 'start = "hmain"' "harbor = 4" \
	"address = \"127.0.0.1:$P3\"" "master = \"127.0.0.1:$PM\"" "cluster_insecure = true" \
	"harbor_me = \"$T/h4\"" "harbor_peer = \"$T/nothing\""
start 4
wait_in 4 "harbor: node 4 listens on 127\.0\.0\.1:$P3 for peers; master 127\.0\.0\.1:$PM; links INSECURE \(no cluster key\)$"
wait_in 1 "harbor: master: refused a node from 127\.0\.0\.1:[0-9]+: peer has no cluster key$"
wait_in 4 "refused this node: peer says: peer has no cluster key$"
stop 4

# Node 2's sidecar dies: the supervisor restarts it and it links again.
SC=$(sed -n 's/.*harbor sidecar started (pid \([0-9]*\))$/\1/p' "$T/o2")
kill -KILL "$SC"
wait_in 2 "harbor sidecar restarted \(pid [0-9]+\)$"
wait_in 1 "harbor: Harbor 2 connected" 15 2

# Node 1 calls a service of node 2 that never answers; node 2 is killed
# outright: the call fails, and node 1 keeps running.
touch "$T/go"
wait_in 2 "\] HANG held$"
kill -KILL "${PID[2]}"; wait "${PID[2]}" 2>/dev/null; unset "PID[2]"
wait_in 1 "harbor: Harbor 2 disconnected"
wait_in 1 "\] HANG call failed: call failed: :02[0-9a-f]{6}$"
stop 1
clean_run "$T/o1" "$T/o2" "$T/o3" "$T/o4"
finish
