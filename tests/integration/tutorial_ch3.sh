#!/bin/bash
# Tutorial chapter 3 (first services, console, env, init) on real nodes,
# under each placement of services on workers.  The examples are
# examples/tutorial/<section>/, run unchanged.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
for_each_placement

# S3.1-first-service S3.1-cfg-start S3.1-boot-sequence S3.0-log-line-format
# S3.0-skynet-exit: start = "test" runs test.lua after the system
# services; bootstrap ends itself once test's start has returned.
write_lua_config n.conf "$EX/3.1/?.lua" 'start = "test"' "placement = \"$PLACEMENT\""
start_node n.conf
wait_line '\] KILL self$'
expect_order '^\[:[0-9a-f]{8}\] LAUNCH logger$' '\] LAUNCH snlua bootstrap$' \
	'\] LAUNCH snlua launcher$' '\] LAUNCH snlua datacenterd$' \
	'\] LAUNCH snlua service_mgr$' '\] LAUNCH snlua test$' \
	'\] Server First Test$' '\] KILL self$'
expect_lines "$(handle_of test)" <<-'L'
	LAUNCH snlua test
	Server First Test
L
stop_node

# S3.2-console-launch-by-name: services typed on the console (start =
# "console"); S3.3-cfg-custom-keys: myname/myage in the config.
write_lua_config n.conf "$EX/3.1/?.lua;$EX/3.3/?.lua;$EX/3.4/?.lua;$LUATEST/?.lua" \
	'start = "console"' "placement = \"$PLACEMENT\"" \
	'myname = "Dmaker"' 'myage = 20'
start_node n.conf
wait_line '\] LAUNCH snlua console$' || { stop_node; finish; }

# S3.2-console-launch-by-name: "test" typed twice starts two instances.
send_line test
wait_line 'Server First Test$'
send_line test
wait_count '\] Server First Test$' 2
[ "$(grep '\] LAUNCH snlua test$' "$T/out" | cut -d' ' -f1 | sort -u | wc -l)" -eq 2 ] \
	&& pass "two distinct handles" || fail "the two test services share a handle"

# S3.3-getenv S3.3-setenv: config keys read; new keys visible to a
# later service after the setter exited (numbers stored as strings).
send_line testenv
wait_line 'LAUNCH snlua testenv$' && wait_line "^\[$(handle_of testenv)\] KILL self$"
send_line test2
wait_line 'LAUNCH snlua test2$' && wait_line "^\[$(handle_of test2)\] My new name"
expect_lines "$(handle_of testenv)" <<-'L'
	LAUNCH snlua testenv
	My name is Dmaker , 20 years old\.
	My new name is coder , 21 years old soon\.
	KILL self
L
expect_lines "$(handle_of test2)" <<-'L'
	LAUNCH snlua test2
	My new name is coder , 21 years old soon\.
L

# S3.3-setenv-immutable: setting a key that exists raises, value kept.
send_line setenvexist
wait_line 'myname is still'
expect_lines "$(handle_of setenvexist)" <<-'L'
	LAUNCH snlua setenvexist
	setenv myname: false .*Can't setenv exist key : myname
	myname is still Dmaker
L

# S3.0-skynet-init: the init function runs before the start function.
send_line testinit
wait_line 'service start$'
expect_lines "$(handle_of testinit)" <<-'L'
	LAUNCH snlua testinit
	service init
	service start
L
stop_node
finish
