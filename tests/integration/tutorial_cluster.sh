#!/bin/bash
# The tutorial's multi-node examples on two real nodes of one host, each
# with its own config as in the tutorial (config1 runs the master,
# standalone; config2 joins it), each with a console, driven by typing
# service names as the tutorial does:
#   4.3   global unique services across nodes (4.3.1 start-up, 4.3.2
#         testunique / testqueryservice, 4.3.3 local vs global scope);
#   5.3.3 a global alias bound on node 1, queried from node 2;
#   7.15  a cross-node call to a service registered under a global name.
# The tutorial's configs have no cluster key: cluster_insecure = true is
# actord's way of saying so.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES

declare -A PID
trap 'for p in "${PID[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
PM=$(free_port); P1=$(free_port); P2=$(free_port)

# config N LUASERVICE: the tutorial's configN (4.3.1), ports picked free.
config() {
	local n=$1 extra=()
	[ "$n" -eq 1 ] && extra=("standalone = \"0.0.0.0:$PM\"")
	local port=$P1; [ "$n" -eq 2 ] && port=$P2
	write_lua_config "config$n" "$2" 'start = "console"' "harbor = $n" \
		"address = \"127.0.0.1:$port\"" "master = \"127.0.0.1:$PM\"" \
		"cluster_insecure = true" "${extra[@]}"
}
start() {    # start N: node N with its console on fd 3+N
	rm -f "$T/in$1"; mkfifo "$T/in$1"; : > "$T/o$1"
	"$ACTORD" "config$1" < "$T/in$1" > "$T/o$1" 2>&1 &
	PID[$1]=$!
	eval "exec $((3 + $1))> \"\$T/in$1\""
}
type_in() {  # type_in N LINE: type a line on node N's console
	local n=$1; shift
	echo "$*" >&$((3 + n))
}
wait_in() {  # wait_in N REGEX [SECONDS] [COUNT]: node N logged it (COUNT times)
	local n=$(( ${3:-15} * 10 ))
	while [ "$(grep -Ec -- "$2" "$T/o$1")" -lt "${4:-1}" ]; do
		if [ "$n" -le 0 ]; then
			fail "node $1: no line matching '$2'"
			echo "--- node $1:"; tail -n 30 "$T/o$1"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "node $1: $2"
}
handle_in() { # handle_in N 'NAME ARGS': the handle of the nth such launch (n = $3, default 1)
	sed -n "s/^\[\(:[0-9a-f]*\)\] LAUNCH snlua $2\$/\1/p" "$T/o$1" | sed -n "${3:-1}p"
}
stop() {     # stop N: SIGTERM, and it exits 0
	eval "exec $((3 + $1))>&-"
	kill -TERM "${PID[$1]}"
	wait "${PID[$1]}"; RC=$?
	unset "PID[$1]"
	expect_rc 0
}
both() {     # both LUASERVICE: node 1, then node 2 joining it
	config 1 "$1"; config 2 "$1"
	start 1
	wait_in 1 '\] LAUNCH snlua console$'
	start 2
	wait_in 2 '\] LAUNCH snlua console$'
	wait_in 2 "harbor: Harbor 1 connected \(fd=[0-9]+\) 127\.0\.0\.1:$P1$"
}

# ---- 4.3 ------------------------------------------------------------------
both "$EX/4.2/?.lua"
# S4.3.1-second-node-join: the master node logs the second node's report
# and connects to it; node 2 registers, is connected, shakes hands.  As in
# the tutorial's logs, only the master's node runs datacenterd.
wait_in 1 "harbor: master listen socket 0\.0\.0\.0:$PM$"
wait_in 1 "harbor: master: node 2 \(fd=[0-9]+\) report 127\.0\.0\.1:$P2$"
wait_in 1 "harbor: Connect to harbor 2 \(fd=[0-9]+\), 127\.0\.0\.1:$P2$"
wait_in 2 "harbor: New connection \(fd = [0-9]+, 127\.0\.0\.1:[0-9]+\)$"
wait_in 2 "harbor: Shakehand ready$"
wait_in 1 '\] LAUNCH snlua datacenterd$'
if grep -q 'LAUNCH snlua datacenterd' "$T/o2"; then fail "node 2 runs datacenterd"
else pass "node 2 runs no datacenterd"; fi

# S4.2-uniqueservice-global (4.3.2): node 1 creates it ...
type_in 1 testunique true uniqueservice
wait_in 1 '\] uniqueservice handler: :01[0-9a-f]{6}$'
u=$(handle_in 1 uniqueservice)
cp "$T/o1" "$T/out"
expect_lines "$(handle_in 1 'testunique true uniqueservice')" <<-L
	LAUNCH snlua testunique true uniqueservice
	test unique service
	uniqueservice handler: $u
L
expect_lines "$u" <<-'L'
	LAUNCH snlua uniqueservice
	Server First Test
L
# ... S4.3-global-unique-from-other-node: and node 2 finds node 1's.
type_in 2 testqueryservice true uniqueservice
wait_in 2 '\] end query service handler: '
cp "$T/o2" "$T/out"
expect_lines "$(handle_in 2 'testqueryservice true uniqueservice')" <<-L
	LAUNCH snlua testqueryservice true uniqueservice
	start query service
	end query service handler: $u
L
# 4.3.3: node 2 can create a local unique service of the same script ...
type_in 2 testunique uniqueservice
wait_in 2 '\] uniqueservice handler: :02[0-9a-f]{6}$'
cp "$T/o2" "$T/out"
lu=$(handle_in 2 uniqueservice)
expect_lines "$(handle_in 2 'testunique uniqueservice')" <<-L
	LAUNCH snlua testunique uniqueservice
	test unique service
	uniqueservice handler: $lu
L
expect_lines "$lu" <<-'L'
	LAUNCH snlua uniqueservice
	Server First Test
L
# ... but not a second cluster-wide one: it gets node 1's.
type_in 2 testunique true uniqueservice
wait_in 2 "\] uniqueservice handler: $u$"
cp "$T/o2" "$T/out"
expect_lines "$(handle_in 2 'testunique true uniqueservice')" <<-L
	LAUNCH snlua testunique true uniqueservice
	test unique service
	uniqueservice handler: $u
L
n=$(cat "$T/o1" "$T/o2" | grep -c 'LAUNCH snlua uniqueservice$')
[ "$n" -eq 2 ] && pass "uniqueservice launched twice (one global, one local)" \
	|| fail "uniqueservice launched $n times"
stop 2; stop 1

# ---- 5.3.3 ----------------------------------------------------------------
# S5.3.3-global-alias-cross-node S5.1-local-vs-global-alias: node 2 sees
# node 1's global alias, not its local one.
both "$EX/5.3.3/?.lua;$EX/5.3.1/?.lua"
type_in 1 testaliasname
wait_in 1 '\] My new service$'
t=$(handle_in 1 test)
type_in 2 testaliasquery
wait_in 2 '\] queryname testalias handle '
cp "$T/o2" "$T/out"
expect_lines "$(handle_in 2 testaliasquery)" <<-L
	LAUNCH snlua testaliasquery
	localname .testalias handle nil
	localname testalias handle nil
	queryname .testalias handle nil
	queryname testalias handle $t
L
stop 2; stop 1

# ---- 7.15 -----------------------------------------------------------------
# S7.15-cross-node-call: globalcall on node 2 calls globalluamsg of
# node 1 through its global name; the answer comes back in capitals.
# globalcall is typed first here: harbor.queryname waits for the name
# (S5.2-harbor-queryname), so the order of the tutorial is not needed.
both "$EX/7.15/?.lua"
type_in 2 globalcall
wait_in 2 '\] LAUNCH snlua globalcall$'
sleep 0.5
if grep -q 'skynet.call return value' "$T/o2"; then fail "globalcall did not wait for the name"
else pass "globalcall waits for globalluamsg"; fi
type_in 1 globalluamsg
wait_in 1 '\] LAUNCH snlua globalluamsg$'
wait_in 2 '\] skynet.call return value: NENGZHONG$'
cp "$T/o2" "$T/out"
expect_lines "$(handle_in 2 globalcall)" <<-'L'
	LAUNCH snlua globalcall
	skynet.call return value: NENGZHONG
L
# And a second globalcall, in the tutorial's order (the name is known).
type_in 2 globalcall
wait_in 2 '\] skynet.call return value: NENGZHONG$' 15 2
cp "$T/o2" "$T/out"
expect_lines "$(handle_in 2 globalcall 2)" <<-'L'
	LAUNCH snlua globalcall
	skynet.call return value: NENGZHONG
L
stop 2; stop 1
clean_run "$T/o1" "$T/o2"
finish
