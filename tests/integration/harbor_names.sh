#!/bin/bash
# Global names across a cluster (issue #5, part 3): three nodes on
# 127.0.0.1, node 1 running the master.  tests/integration/lua/harbor_names
# holds their services; files dropped into $T/d move them along.
#   - a global name bound on node 1 is called, by name and by handle, from
#     node 2 and from node 3, which joins later and learns it from the
#     master (S5.3.3-global-alias-cross-node, S5.2-register, S5.2-name);
#   - node 1's local alias is not seen on node 2; localname never sees a
#     global name (S5.3.3, S5.2-localname);
#   - harbor.queryname blocks until another node binds the name
#     (S5.2-harbor-queryname); a call to a name not bound yet is held
#     until it is, and fails if the node that binds it then dies;
#   - a global name is not re-bound, on its node or another; two nodes
#     binding one name at once end with one binding everywhere
#     (S5.3.4-global-alias-no-rebind); a killed service keeps its global
#     name and loses its local one (S5.3.4-kill-drops-local-alias);
#   - uniqueservice(true) from two nodes gives one instance; the local
#     scope is separate; queryservice(true) blocks until it is created
#     (S4.2-uniqueservice-global, S4.2-queryservice,
#     S4.3-global-unique-from-other-node, S5.4-unique-name-ne-alias);
#   - harbor.connect returns when a node joins, harbor.link when it is
#     killed, harbor.linkmaster when the master goes (even if called
#     before the master was reached).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
LT=${LUATEST:-$SRC/tests/integration/lua}

declare -A PID
trap 'for p in "${PID[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
PM=$(free_port); P1=$(free_port); P2=$(free_port); P3=$(free_port)
PORT=([1]=$P1 [2]=$P2 [3]=$P3)
mkdir -p "$T/d"

node_conf() {  # node_conf N [extra lines]
	local n=$1; shift
	write_lua_config "n$n.conf" "$LT/harbor_names/?.lua" 'start = "nmain"' \
		"harbor = $n" "address = \"127.0.0.1:${PORT[$n]}\"" \
		"master = \"127.0.0.1:$PM\"" "cluster_key = \"$KEY\"" \
		"names_node = \"$n\"" "names_dir = \"$T/d\"" "$@"
}
start() {
	"$ACTORD" "n$1.conf" > "$T/o$1" 2>&1 < /dev/null &
	PID[$1]=$!
}
wait_in() {  # wait_in N REGEX [SECONDS]: node N logged a line matching it
	local n=$(( ${3:-15} * 10 ))
	until grep -Eq -- "$2" "$T/o$1"; do
		if [ "$n" -le 0 ]; then
			fail "node $1: no line matching '$2'"
			echo "--- node $1:"; tail -n 30 "$T/o$1"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "node $1: $2"
}
none_in() {  # none_in N REGEX: node N logged no such line
	if grep -Eq -- "$2" "$T/o$1"; then fail "node $1: unexpected '$2'"; grep -E -- "$2" "$T/o$1"
	else pass "node $1: no '$2'"; fi
}
field() {    # field N REGEX: the last word of node N's first line matching it
	grep -E -- "$2" "$T/o$1" | head -n 1 | awk '{print $NF}'
}
same() {     # same WHAT A B
	if [ -n "$2" ] && [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: '$2' vs '$3'"; fi
}
H=':0[0-9a-f]{7}'

node_conf 1 "standalone = \"127.0.0.1:$PM\""
node_conf 2
node_conf 3
# Node 2 first: its harbor.linkmaster is called while there is no master
# yet, and must wait for the master's link to come and go, not return.
start 2
wait_in 2 "\] N2 LINKMASTER waiting$"
start 1
wait_in 1 "harbor: master listen socket 127\.0\.0\.1:$PM$"
wait_in 1 "\] N1 gecho = :01[0-9a-f]{6}$"
G=$(field 1 "\] N1 gecho = ")
T1=$(grep -Eo "\] N1 after kill: .* \(was $H\)" "$T/o1" | grep -Eo "$H\)$" | tr -d ')')
wait_in 1 "\] N1 after kill: localname \.gtmp nil, queryname gtmp $T1 \(was $T1\)$"
wait_in 1 "\] global name gtmp stays bound to $T1, not :01[0-9a-f]{6}$"
wait_in 1 "\] N1 rebind gtmp: false, queryname gtmp $T1$"

wait_in 2 "\] N2 CONNECT 3 waiting$"
wait_in 2 "\] N2 QUERY late waiting$"
wait_in 2 "\] N2 GCALL by name: HELLO from $G$"
wait_in 2 "\] N2 GCALL by handle: AGAIN from $G$"
wait_in 2 "\] N2 localname \.gecho_local nil, queryname \.gecho_local nil, localname gecho nil$"
wait_in 2 "\] global name gecho stays bound to $G, not :02[0-9a-f]{6}$"
wait_in 2 "\] N2 rebind gecho: false, queryname gecho $G$"
wait_in 2 "\] N2 gtmp $T1 call failed$"
# Node 3 is not there yet: nothing that waits for it has returned.
sleep 1
none_in 2 "N2 CONNECT 3 returned"
none_in 2 "N2 QUERY late ->"

start 3
wait_in 2 "\] N2 CONNECT 3 returned$"
wait_in 3 "\] N3 GCALL by name: HI from $G$"
wait_in 3 "\] N3 GCALL direct: DIRECT from $G$"
wait_in 3 "\] N3 QS guniq2 waiting$"

# A call to a global name not bound yet is held until it is.
wait_in 3 "\] N3 EARLY calling$"
sleep 0.5
none_in 3 "N3 EARLY call ->"
touch "$T/d/early"
wait_in 1 "\] N1 early = :01[0-9a-f]{6}$"
wait_in 3 "\] N3 EARLY call -> FIRST from $(field 1 "\] N1 early = ")$"

# Unique services: one global instance, on the master's node, whoever
# asks; the local scope is separate.
wait_in 2 "\] N2 GUNIQ :01[0-9a-f]{6}$"
wait_in 3 "\] N3 GUNIQ :01[0-9a-f]{6}$"
GU=$(field 2 "\] N2 GUNIQ ")
same "one global guniq for nodes 2 and 3" "$GU" "$(field 3 "\] N3 GUNIQ ")"
n=$(grep -c "^\[$GU\] guniq started$" "$T/o1")
[ "$n" -eq 1 ] && pass "global guniq started once" || fail "global guniq started $n times"
wait_in 2 "\] N2 LUNIQ :02[0-9a-f]{6}$"
LU=$(field 2 "\] N2 LUNIQ ")
wait_in 2 "\] N2 LUNIQ again $LU$"
wait_in 2 "^\[$LU\] guniq started$"
n=$(cat "$T/o1" "$T/o2" "$T/o3" | grep -c "\] guniq started$")
[ "$n" -eq 2 ] && pass "two guniq in all (one global, one local)" || fail "guniq started $n times"
wait_in 2 "\] N2 S5\.4 queryname guniq returned: false$"
wait_in 2 "\] N2 S5\.4 queryservice\(true\) gecho returned: false$"

# queryname blocks until another node binds the name.
none_in 2 "N2 QUERY late ->"
touch "$T/d/late"
wait_in 3 "\] N3 late = :03[0-9a-f]{6}$"
wait_in 3 "\] HOLD received$"       # node 2's held call, now on node 3
wait_in 2 "\] N2 QUERY late -> $(field 3 "\] N3 late = ")$"

# queryservice(true) blocks until some node creates the service.
sleep 0.5
none_in 3 "N3 QS guniq2 ->"
touch "$T/d/go2"
wait_in 2 "\] N2 GUNIQ2 :01[0-9a-f]{6}$"
wait_in 3 "\] N3 QS guniq2 -> $(field 2 "\] N2 GUNIQ2 ")$"

# Two nodes bind one name at once: one binding wins everywhere, and the
# other is refused with a log line (on the loser, or at the master).
touch "$T/d/race"
wait_in 2 "\] N2 RACE registered=(true|false) -> $H$"
wait_in 3 "\] N3 RACE registered=(true|false) -> $H$"
same "one binding of race" "$(field 2 "\] N2 RACE ")" "$(field 3 "\] N3 RACE ")"
if cat "$T/o1" "$T/o2" "$T/o3" | grep -Eq "global name race stays bound to|global name race is bound to $H; the binding to $H here is refused"; then
	pass "the losing binding of race was refused"
else
	fail "no refusal of the second binding of race"
fi

# Link notices: node 3 killed outright; then the master's node.
none_in 2 "N2 LINK 3 returned"
none_in 1 "N1 LINK 3 returned"
kill -KILL "${PID[3]}"; wait "${PID[3]}" 2>/dev/null; unset "PID[3]"
wait_in 2 "\] N2 LINK 3 returned$"
wait_in 2 "\] N2 HELD call failed: "
wait_in 1 "\] N1 LINK 3 returned$"
none_in 2 "N2 LINKMASTER returned"
kill -TERM "${PID[1]}"; wait "${PID[1]}"; RC=$?; unset "PID[1]"
expect_rc 0
wait_in 2 "\] N2 LINKMASTER returned$"
kill -TERM "${PID[2]}"; wait "${PID[2]}"; RC=$?; unset "PID[2]"
expect_rc 0
clean_run "$T/o1" "$T/o2" "$T/o3"
finish
