#!/bin/bash
# Tutorial chapter 5 (aliases; 5.3.3 needs two nodes) on real nodes,
# driven from the console, under each placement of services on workers.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES

console_node() {   # console_node LUASERVICE: a node with start = "console"
	write_lua_config n.conf "$1" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
}

for_each_placement

# S5.2-name S5.2-localname S5.2-harbor-queryname S5.1-local-vs-global-alias:
# a local and a global alias for one service; localname cannot see
# the global one, queryname sees both.
console_node "$EX/5.3.1/?.lua"
send_line testalias
wait_line 'queryname testalias handle'
t=$(handle_of test)
expect_lines "$t" <<-'L'
	LAUNCH snlua test
	My new service
L
expect_lines "$(handle_of testalias)" <<-L
	LAUNCH snlua testalias
	localname .testalias handle $t
	localname testalias handle nil
	queryname .testalias handle $t
	queryname testalias handle $t
L
stop_node

# S5.2-harbor-queryname: no such names: local lookups answer nil at
# once, the global one blocks (so does the console behind it).
console_node "$EX/5.3.2/?.lua"
send_line testalias
wait_line 'queryname .testalias handle'
sleep 2
expect_lines "$(handle_of testalias)" <<-'L'
	LAUNCH snlua testalias
	localname .testalias handle nil
	localname testalias handle nil
	queryname .testalias handle nil
L
stop_node

# S5.3.4-kill-drops-local-alias S3.0-skynet-kill: the killer logs
# "KILL :handle"; the local alias goes with the service, the global
# one still answers the dead handle.
console_node "$EX/5.3.4/?.lua;$EX/5.3.1/?.lua"
send_line testalias
wait_line 'KILL :' && wait_count 'queryname testalias handle' 2
t=$(handle_of test)
expect_lines "$(handle_of testalias)" <<-L
	LAUNCH snlua testalias
	localname .testalias handle $t
	localname testalias handle nil
	queryname .testalias handle $t
	queryname testalias handle $t
	KILL $t
	localname .testalias handle nil
	localname testalias handle nil
	queryname .testalias handle nil
	queryname testalias handle $t
L
stop_node

# S5.3.4-global-alias-no-rebind: the tutorial rebinds a global alias
# only after patching cslave.lua; unpatched, the first binding stays
# and the attempt is refused, which is what a node does here.
console_node "$EX/5.3.4-rebind/?.lua;$EX/5.3.1/?.lua"
send_line testalias
wait_line 'LAUNCH snlua test$'
h=$(handle_of testalias)
wait_count "^\[$h\] queryname testalias handle" 2 && wait_line 'global name testalias stays'
t=$(handle_of test)
t2=$(grep -E '\] LAUNCH snlua test$' "$T/out" | sed -n '2s/^\[\(:[0-9a-f]*\)\].*/\1/p')
expect_lines "$h" <<-L
	LAUNCH snlua testalias
	queryname testalias handle $t
	KILL $t
	queryname testalias handle $t
L
expect 'global name testalias stays bound to '"$t, not $t2"
stop_node

# S5.4-unique-name-ne-alias: a unique service's name is not a global
# alias and a global alias is not a unique service's name: each
# lookup blocks.
console_node "$EX/5.3.1/?.lua;$LUATEST/?.lua"
send_line testnamescopes
wait_line 'uniqueservice test'
sleep 2
t=$(handle_of test)
expect_lines "$(handle_of testnamescopes)" <<-L
	LAUNCH snlua testnamescopes
	uniqueservice test $t
L
expect_none 'returned'
n=$(grep -c 'LAUNCH snlua test$' "$T/out")
[ "$n" -eq 1 ] && pass "one unique test service" || fail "test launched $n times"
stop_node
finish
