#!/bin/bash
# Tutorial chapter 7 (messages between services; 7.15 needs two nodes) on
# real nodes, driven from the console, once per placement of services
# on workers.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
CO='thread: 0x[0-9a-f]+ false'   # what coroutine.running() prints
for_each_placement

console_node() {   # console_node LUASERVICE: a node with start = "console"
	write_lua_config n.conf "$1" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
}

# launched NAME ARGS: type it on the console and wait until it started.
launched() {
	send_line "$@"
	wait_line "\] LAUNCH snlua $*\$"
}

# 7.3 S7.3-pack S7.3-unpack S7.3-trash: pack then unpack (twice: unpack
# does not free), then trash.
console_node "$LUATEST/?.lua"
launched testpack
wait_line 'arg3: false$'
expect_lines "$(handle_of testpack)" <<-'L'
	LAUNCH snlua testpack
	nengzhong 8\.8 false
	arg1: nengzhong
	arg2: 8\.8
	arg3: false
L
stop_node

# 7.2 S7.2-dispatch, 7.4.1 S7.4.1-send S7.4.1-rawsend S5.2-register,
# 7.14 S7.14-redirect: sends return 0 and arrive with session 0 from
# testsendmsg; a redirected message appears to come from testsendmsg too.
console_node "$EX/7.2/?.lua;$EX/7.4.1/?.lua;$EX/7.14/?.lua"
launched testluamsg
launched testsendmsg
wait_line 'arg3: false$'
s=$(handle_of testsendmsg)
l=$(handle_of testluamsg)
expect_lines "$s" <<-'L'
	LAUNCH snlua testsendmsg
	skynet\.send return value: 0
	skynet\.rawsend return value: 0
L
launched testredirect .testluamsg .testsendmsg
wait_count 'arg3: false$' 2
expect_lines "$l" <<-L
	LAUNCH snlua testluamsg
	session 0
	address $s
	arg1: 1
	arg2: nengzhong
	arg3: true
	session 0
	address $s
	arg1: 2
	arg2: nengzhong
	arg3: false
	session 0
	address $s
	arg1: nengzhong
	arg2: 8\.8
	arg3: false
L
expect_lines "$(handle_of 'testredirect .testluamsg .testsendmsg')" <<-'L'
	LAUNCH snlua testredirect \.testluamsg \.testsendmsg
L
stop_node

# 7.4.2 S7.4.2-call S7.4.2-call-blocks-forever: testluamsg never answers,
# so testcallmsg's first call never returns (session 2, as shown).
console_node "$EX/7.2/?.lua;$EX/7.4.2/?.lua"
launched testluamsg
launched testcallmsg
wait_line 'arg3: true$'
sleep 1
c=$(handle_of testcallmsg)
expect_lines "$(handle_of testluamsg)" <<-L
	LAUNCH snlua testluamsg
	session 2
	address $c
	arg1: 1
	arg2: nengzhong
	arg3: true
L
expect_lines "$c" <<-'L'
	LAUNCH snlua testcallmsg
L
stop_node

# 7.5 S7.5-retpack S7.4.2-rawcall S7.4.2-call: with retpack the call
# returns 100, then the rawcall (session 3) returns 100 once unpacked.
# (The seed's "100 false" for rawcall is an erratum: the code prints 100.)
console_node "$EX/7.5/?.lua;$EX/7.4.2/?.lua"
launched testluamsg
launched testcallmsg
wait_line 'rawcall return value'
c=$(handle_of testcallmsg)
l=$(handle_of testluamsg)
expect_order "^\[$l\] session 2$" "^\[$l\] arg3: true$" "^\[$c\] skynet\.call return value: 100$" \
	"^\[$l\] session 3$" "^\[$l\] arg3: false$" "^\[$c\] skynet\.rawcall return value: 100$"
expect_lines "$l" <<-L
	LAUNCH snlua testluamsg
	session 2
	address $c
	arg1: 1
	arg2: nengzhong
	arg3: true
	session 3
	address $c
	arg1: 2
	arg2: nengzhong
	arg3: false
L
expect_lines "$c" <<-'L'
	LAUNCH snlua testcallmsg
	skynet\.call return value: 100
	skynet\.rawcall return value: 100
L
stop_node

# 7.6 S7.6-command-service S7.5-retpack: set by send (returns 0), get by
# call; testmydb then exits.
console_node "$EX/7.6/?.lua"
launched mydb
launched testmydb name nengzhong
wait_line "^\[$(handle_of 'testmydb name nengzhong')\] KILL self$"
expect_lines "$(handle_of 'testmydb name nengzhong')" <<-'L'
	LAUNCH snlua testmydb name nengzhong
	mydb set Test 0
	mydb get Test nengzhong
	KILL self
L
expect_lines "$(handle_of mydb)" <<-'L'
	LAUNCH snlua mydb
L
stop_node

# 7.7 S7.7-session-routing: two coroutines call concurrently, answered
# after random delays; each gets its own answer.
console_node "$EX/7.7/?.lua"
launched echoluamsg
launched testforkcall
h=$(handle_of testforkcall)
wait_count "^\[$h\] task[12] return:" 10 40
for id in 1 2; do
	got=$(lines_of "$h" | grep "^task$id " | tr '\n' '|')
	want=$(for i in 1 2 3 4 5; do printf 'task%s call|task%s return: TASK%s|' $id $id $id; done)
	[ "$got" = "$want" ] && pass "task$id: 5 calls, each answered TASK$id" \
		|| fail "task$id lines: $got"
done
expect_lines "$h" <<-'L'
	LAUNCH snlua testforkcall
	task1 call
	task2 call
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] (call|return: TASK[12])
	task[12] return: TASK[12]
L
stop_node

# 7.8 S7.8-ret-same-coroutine: retpack from a forked coroutine raises (the
# fork has no request to answer) and the caller's call never returns.
# Each request gets a pooled coroutine (the same one, since the first is
# back in the pool), each fork a fresh one (the first died).
console_node "$EX/7.8/?.lua;$EX/7.6/?.lua"
launched errormydb
launched testmydb name nengzhong
wait_line 'mydb set Test 0$'
m=$(handle_of errormydb)
wait_count "^\[$m\] lua call" 2
sleep 1   # the call stays unanswered
expect_lines "$m" <<-L
	LAUNCH snlua errormydb
	lua dispatch +$CO
	fork +$CO
	lua call \[.*\] error : .*No session
	lua dispatch +$CO
	fork +$CO
	lua call \[.*\] error : .*No session
L
co() { lines_of "$m" | sed -n "$1s/.*thread: \(0x[0-9a-f]*\).*/\1/p"; }
[ "$(co 2)" = "$(co 5)" ] && [ "$(co 3)" != "$(co 6)" ] \
	&& pass "dispatch coroutine reused, failed fork coroutine not" \
	|| fail "coroutines: $(co 2) $(co 3) $(co 5) $(co 6)"
expect_lines "$(handle_of 'testmydb name nengzhong')" <<-'L'
	LAUNCH snlua testmydb name nengzhong
	mydb set Test 0
L
stop_node

# 7.8 S7.8-response: a response closure answers from another coroutine,
# 5 s later; taking one for a send (the "set") is harmless.
console_node "$EX/7.8-response/?.lua;$EX/7.6/?.lua"
launched mydb
launched testmydb name nengzhong
wait_line 'mydb set Test 0$'
sleep 3
expect_none 'mydb get Test'
wait_line "^\[$(handle_of 'testmydb name nengzhong')\] KILL self$" 10
expect_lines "$(handle_of 'testmydb name nengzhong')" <<-'L'
	LAUNCH snlua testmydb name nengzhong
	mydb set Test 0
	mydb get Test nengzhong
	KILL self
L
expect_lines "$(handle_of mydb)" <<-'L'
	LAUNCH snlua mydb
L
stop_node

# 7.9 S7.9-call-to-exiting-service: noresponse exits with the request
# unanswered; the caller's call raises "call failed", logged with its
# traceback, and "get Test" is never printed.
console_node "$EX/7.9/?.lua"
launched noresponse
launched testnoresponse
wait_line 'call failed'
n=$(handle_of noresponse)
wait_line "^\[$n\] KILL self$"
t=$(handle_of testnoresponse)
expect_lines "$n" <<-'L'
	LAUNCH snlua noresponse
	KILL self
L
expect_lines "$t" <<-L
	LAUNCH snlua testnoresponse
	lua call \[.*\] error : .*call failed.*
L
expect_order "^\[$t\] lua call .*call failed" 'in function .skynet\.call.' \
	'testnoresponse\.lua:4: in function .task.'
expect_none 'get Test'
stop_node

# 7.10 S7.10-reentrancy: while the first get sleeps in mydb, the second
# client's set changes the value: both read "xh".
console_node "$EX/7.10/?.lua;$EX/7.6/?.lua"
launched mydb
launched testmydb name xm
wait_line 'mydb set Test 0$'
launched testmydb name xh
wait_line 'mydb get Test .*' 15
wait_line "^\[$(handle_of 'testmydb name xh')\] KILL self$" 15
a=$(handle_of 'testmydb name xm')
b=$(handle_of 'testmydb name xh')
# Both gets end 10 s after they began, within a tick of each other; the
# two clients may log from different workers, whose lines reach the log
# in either order, so only each one's own order is checked.
expect_order "^\[$a\] mydb set Test 0$" "^\[$b\] mydb set Test 0$" "^\[$a\] mydb get Test xh$" \
	"^\[$a\] KILL self$"
expect_order "^\[$b\] mydb set Test 0$" "^\[$b\] mydb get Test xh$" "^\[$b\] KILL self$"
expect_lines "$a" <<-'L'
	LAUNCH snlua testmydb name xm
	mydb set Test 0
	mydb get Test xh
	KILL self
L
stop_node

# 7.11 S7.11-queue: with the handlers in a skynet.queue critical section
# the second set waits for the first get: xm then xh, 10 s apart.
console_node "$EX/7.11/?.lua;$EX/7.6/?.lua"
launched mydb
launched testmydb name xm
wait_line 'mydb set Test 0$'
launched testmydb name xh
wait_line 'mydb get Test .*' 15
a=$(handle_of 'testmydb name xm')
b=$(handle_of 'testmydb name xh')
sleep 3
expect_none "^\[$b\] mydb get Test"
wait_line "^\[$b\] KILL self$" 15
expect_order "^\[$a\] mydb set Test 0$" "^\[$b\] mydb set Test 0$" "^\[$a\] mydb get Test xm$" \
	"^\[$a\] KILL self$" "^\[$b\] mydb get Test xh$" "^\[$b\] KILL self$"
expect_lines "$b" <<-'L'
	LAUNCH snlua testmydb name xh
	mydb set Test 0
	mydb get Test xh
	KILL self
L
stop_node

# 7.12 S7.12-register-protocol: a "system" message, unpacked by the
# receiver's protocol, answered with ret.
console_node "$EX/7.12/?.lua"
launched othermsg
launched testothermsg
wait_line 'return value'
expect_lines "$(handle_of testothermsg)" <<-'L'
	LAUNCH snlua testothermsg
	skynet\.call return value: nengzhong
L
stop_node

# 7.13.1 S7.13.1-proxy-repack: a proxy that re-packs each request and
# passes the raw answer back with ret (here without a double free).
console_node "$EX/7.13.1/?.lua;$EX/7.6/?.lua"
launched mydb
launched proxy .mydb
launched testmydb name nengzhong
wait_line "^\[$(handle_of 'testmydb name nengzhong')\] KILL self$"
expect_lines "$(handle_of 'testmydb name nengzhong')" <<-'L'
	LAUNCH snlua testmydb name nengzhong
	mydb set Test 0
	mydb get Test nengzhong
	KILL self
L
expect_lines "$(handle_of 'proxy .mydb')" <<-'L'
	LAUNCH snlua proxy \.mydb
L
stop_node

# 7.13.2 S7.13.2-forward-type: the proxy re-types lua messages to system
# and forwards the raw messages both ways without copying.
console_node "$EX/7.13.2/?.lua;$EX/7.13.1/?.lua;$EX/7.6/?.lua"
launched mydb
launched proxy .mydb
launched testmydb name xx
wait_line "^\[$(handle_of 'testmydb name xx')\] KILL self$"
expect_lines "$(handle_of 'testmydb name xx')" <<-'L'
	LAUNCH snlua testmydb name xx
	mydb set Test 0
	mydb get Test xx
	KILL self
L
expect_lines "$(handle_of 'proxy .mydb')" <<-'L'
	LAUNCH snlua proxy \.mydb
L
stop_node
finish
