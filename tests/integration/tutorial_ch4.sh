#!/bin/bash
# Tutorial chapter 4 (4.1 newservice, 4.2 unique services; 4.3 needs two
# nodes) on real nodes, driven from the console as the tutorial does,
# under each placement of services on workers.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
H='\[:[0-9a-f]+\]'

console_node() {   # console_node LUASERVICE: a node with start = "console"
	write_lua_config n.conf "$1" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
}

for_each_placement

# S4.1-newservice: newservice returns only after test's start function
# returned, so "new test service" comes after test's line.
console_node "$EX/4.1/?.lua;$EX/3.1/?.lua"
send_line testnewservice
wait_line 'new test service$'
h=$(handle_of testnewservice)
expect_order "^\[$h\] LAUNCH snlua testnewservice$" "^\[$h\] My new service$" \
	"^$H LAUNCH snlua test$" "^$H Server First Test$" "^\[$h\] new test service$"
t=$(handle_of test)
expect_lines "$t" <<-'L'
	LAUNCH snlua test
	Server First Test
L
[ "$t" != "$h" ] && pass "test is a new service" || fail "test has the caller's handle"

# S4.1-newservice: each call makes a new instance.
send_line testnewservice2
wait_line 'new test service 1$'
h=$(handle_of testnewservice2)
expect_order "^\[$h\] LAUNCH snlua testnewservice2$" "^\[$h\] My new service$" \
	"^$H LAUNCH snlua test$" "^$H Server First Test$" "^\[$h\] new test service 0$" \
	"^$H LAUNCH snlua test$" "^$H Server First Test$" "^\[$h\] new test service 1$"
n=$(grep -E "LAUNCH snlua test$" "$T/out" | cut -d' ' -f1 | sort -u | wc -l)
[ "$n" -eq 3 ] && pass "3 distinct test services" || fail "wanted 3 test services, got $n"
stop_node

# S4.1-newservice-args-strings S3.2-console-launch-by-name: arguments
# typed on the console reach the script's ... as strings.
console_node "$EX/4.1-args/?.lua"
send_line test arg1 arg2 arg3
wait_line 'arg3 string$'
expect_lines "$(handle_of 'test arg1 arg2 arg3')" <<-'L'
	LAUNCH snlua test arg1 arg2 arg3
	arg1 string
	arg2 string
	arg3 string
L
stop_node

# S4.2-uniqueservice-local: the second testunique gets the first
# instance; uniqueservice is launched once.
console_node "$EX/4.2/?.lua"
send_line testunique
wait_line 'uniqueservice handler:'
u=$(handle_of uniqueservice)
h=$(handle_of testunique)
expect_lines "$u" <<-'L'
	LAUNCH snlua uniqueservice
	Server First Test
L
expect_order "^\[$h\] test unique service$" "^\[$u\] LAUNCH snlua uniqueservice$" \
	"^\[$u\] Server First Test$" "^\[$h\] uniqueservice handler: $u$"
send_line testunique
wait_count 'uniqueservice handler:' 2
h2=$(grep -E '\] LAUNCH snlua testunique$' "$T/out" | sed -n '2s/^\[\(:[0-9a-f]*\)\].*/\1/p')
expect_lines "$h2" <<-L
	LAUNCH snlua testunique
	test unique service
	uniqueservice handler: $u
L
n=$(grep -c 'LAUNCH snlua uniqueservice$' "$T/out")
[ "$n" -eq 1 ] && pass "uniqueservice launched once" || fail "uniqueservice launched $n times"

# S4.2-queryservice: the unique service exists, queryservice returns it.
send_line testqueryservice
wait_line 'end query service handler:'
expect_lines "$(handle_of testqueryservice)" <<-L
	LAUNCH snlua testqueryservice
	start query service
	end query service handler: $u
L

# S4.2-uniqueservice-global: "true" selects the cluster-wide scope; a
# standalone node is the whole cluster.  Local and global unique names
# are separate scopes: the same script gets a second instance there.
send_line testunique true uniqueservice
wait_line "^\[:[0-9a-f]+\] LAUNCH snlua testunique true uniqueservice$"
hg=$(handle_of 'testunique true uniqueservice')
wait_line "^\[$hg\] uniqueservice handler:"
g=$(sed -n "s/^\[$hg\] uniqueservice handler: //p" "$T/out")
[ -n "$g" ] && [ "$g" != "$u" ] && pass "global unique instance $g differs from local $u" \
	|| fail "global unique service '$g' vs local '$u'"
expect_lines "$g" <<-'L'
	LAUNCH snlua uniqueservice
	Server First Test
L
send_line testqueryservice true uniqueservice
wait_line 'LAUNCH snlua testqueryservice true uniqueservice$'
hq=$(handle_of 'testqueryservice true uniqueservice')
wait_line "^\[$hq\] end query service handler:"
expect_lines "$hq" <<-L
	LAUNCH snlua testqueryservice true uniqueservice
	start query service
	end query service handler: $g
L
stop_node

# S4.2-unique-no-exit-in-init: uniqueservice.lua's commented-out exit
# put back: creating the unique service fails (each time it is asked).
console_node "$LUATEST/?.lua"
send_line testuniqueexit
wait_line 'again:'
expect_lines "$(handle_of testuniqueexit)" <<-'L'
	LAUNCH snlua testuniqueexit
	uniqueservice uniqueexit: false failed
	again: false
L
stop_node

# S4.2-queryservice S3.2-console-queryservice-blocks: with no unique
# service yet, queryservice blocks, and so does the console: the next
# line typed is not handled.
console_node "$EX/4.2/?.lua"
send_line testqueryservice
wait_line 'start query service$'
send_line testunique
sleep 2
expect_none 'end query service'
expect_none 'LAUNCH snlua testunique$'
stop_node
finish
