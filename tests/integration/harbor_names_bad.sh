#!/bin/bash
# Bad name messages from a node (issue #5 part 3): a hand-written node
# (fake_node.py, on a cluster_insecure cluster, so that it needs no key)
# sends the master a name over 63 bytes, a dot name and a second binding
# of a bound name.  Each is refused with a log line and costs only its
# message: the link stays up, the good registration after them is bound
# on the master's node, and the first binding of the name stands
# (S5.3.4-global-alias-no-rebind).  A name over the wire bound (255
# bytes) does not decode: that link is closed, and nothing else changes.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
LT=${LUATEST:-$SRC/tests/integration/lua}
FAKE="python3 $SRC/tests/integration/fake_node.py"

PID1=
trap '[ -n "$PID1" ] && kill -KILL "$PID1" 2>/dev/null; rm -rf "$T"' EXIT
PM=$(free_port); P1=$(free_port)
write_lua_config n1.conf "$LT/harbor_names/?.lua" 'start = "badmain"' "harbor = 1" \
	"address = \"127.0.0.1:$P1\"" "master = \"127.0.0.1:$PM\"" \
	"standalone = \"127.0.0.1:$PM\"" "cluster_insecure = true"
"$ACTORD" n1.conf > "$T/o1" 2>&1 < /dev/null &
PID1=$!
wait_for() {  # wait_for FILE REGEX: a line of FILE matches, within 15 s
	local n=150
	until grep -Eq -- "$2" "$1"; do
		if [ "$n" -le 0 ]; then
			fail "$(basename "$1"): no line matching '$2'"
			echo "---"; tail -n 20 "$1"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "$(basename "$1"): $2"
}
wait_for "$T/o1" "\] BAD gecho = :01[0-9a-f]{6}$"
G=$(sed -n 's/.*\] BAD gecho = \(:[0-9a-f]*\)$/\1/p' "$T/o1")

printf '%s\n' "@100 09000001" ".dot 09000001" "gecho 09000002" "fromfake 09000003" |
	$FAKE "127.0.0.1:$PM" 9 > "$T/fake9" 2>&1
wait_for "$T/o1" "harbor: refused a message from 127\.0\.0\.1:[0-9]+ \(node 9\): NAME_REGISTER: name of 100 bytes, over 63$"
wait_for "$T/o1" "harbor: refused a message from 127\.0\.0\.1:[0-9]+ \(node 9\): NAME_REGISTER: not a global name$"
wait_for "$T/o1" "harbor: master: refused global name gecho for :09000002 from node 9: already bound to $G$"
# The fake node hears the binding that stands, and the one it made; its
# link stayed up through it all.
wait_for "$T/fake9" "^NAME_REPLY gecho $G$"
wait_for "$T/fake9" "^NAME_REPLY fromfake :09000003$"
wait_for "$T/fake9" "^LINK UP$"
wait_for "$T/o1" "\] BAD fromfake = :09000003$"
wait_for "$T/o1" "\] BAD gecho still = $G$"
wait_for "$T/o1" "\] BAD call: STILL HERE from $G$"
# gecho twice: once as news (at the join, or when bound), once as the
# answer to the refused second binding.
n=$(grep -c "^NAME_REPLY gecho $G$" "$T/fake9")
[ "$n" -eq 2 ] && pass "node 9 told of gecho twice" || fail "node 9 told of gecho $n times"

# Over the wire bound: the message does not decode, the link is closed.
echo "@300 0a000001" | $FAKE "127.0.0.1:$PM" 10 > "$T/fake10" 2>&1
wait_for "$T/fake10" "^ERROR control message does not decode"
wait_for "$T/fake10" "^LINK CLOSED$"
wait_for "$T/o1" "harbor: master: refused a node from 127\.0\.0\.1:[0-9]+: control message does not decode"
kill -0 "$PID1" 2>/dev/null && pass "node 1 still runs" || fail "node 1 died"
kill -TERM "$PID1"; wait "$PID1"; RC=$?; PID1=
expect_rc 0
clean_run "$T/o1"
finish
