#!/bin/bash
# Tutorial chapter 6 (sleep, fork, yield, wait/wakeup, timers, time,
# errors) on real nodes, driven from the console, once per placement of
# services on workers.
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
CO='thread: 0x[0-9a-f]+ false'   # what coroutine.running() prints
for_each_placement

console_node() {   # console_node LUASERVICE: a node with start = "console"
	write_lua_config n.conf "$1" 'start = "console"' "placement = \"$PLACEMENT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
}

co_of() {   # co_of HANDLE N: the coroutine address in that service's line N
	lines_of "$1" | sed -n "$2s/.*thread: \(0x[0-9a-f]*\).*/\1/p"
}

# 6.1 S6.0-sleep S3.2-console-blocks-on-start: testsleep sleeps 5 s in its
# start function; "test" typed meanwhile is launched only after it.
console_node "$EX/6.1/?.lua;$EX/5.3.1/?.lua"
send_line testsleep
wait_line 'begin sleep$'
send_line test
sleep 3
expect_none 'LAUNCH snlua test$'
wait_line 'My new service$' 10
h=$(handle_of testsleep)
expect_order "^\[$h\] begin sleep$" "^\[$h\] begin end$" '\] LAUNCH snlua test$' '\] My new service$'
expect_lines "$h" <<-'L'
	LAUNCH snlua testsleep
	begin sleep
	begin end
L
stop_node

# 6.2 S6.0-fork: the task runs in another coroutine; start returns at once,
# so the console launches "test" while the task sleeps.
console_node "$EX/6.2/?.lua;$EX/5.3.1/?.lua"
send_line testfork
wait_line 'begin sleep$'
send_line test
wait_line 'My new service$' 3
wait_line 'begin end$' 10
h=$(handle_of testfork)
expect_order "^\[$h\] begin sleep$" '\] My new service$' "^\[$h\] begin end$"
expect_lines "$h" <<-L
	LAUNCH snlua testfork
	start co: $CO
	fork co: $CO
	begin sleep
	begin end
L
[ "$(co_of "$h" 2)" != "$(co_of "$h" 3)" ] && pass "fork runs in another coroutine" \
	|| fail "start and fork share a coroutine"
stop_node

# 6.3 S6.3-no-preemption: a task that never yields runs to its end first.
console_node "$EX/6.3/?.lua"
send_line busytask
wait_line 'task2 end task' 120
expect_lines "$(handle_of busytask)" <<-'L'
	LAUNCH snlua busytask
	task1 begin task
	task1 end task 200000000
	task2 begin task
	task2 end task 200000000
L
stop_node

# 6.4 S6.0-yield: the tasks take turns at each yield, as the tutorial shows.
console_node "$EX/6.4/?.lua"
send_line testyield
wait_line 'task2 end task' 120
expect_lines "$(handle_of testyield)" <<-'L'
	LAUNCH snlua testyield
	task1 begin task
	task2 begin task
	task1 task yield
	task2 task yield
	task1 task yield
	task2 task yield
	task1 task yield
	task2 task yield
	task1 task yield
	task1 end task 200000000
	task2 task yield
	task2 end task 200000000
L
stop_node

# 6.5 S6.0-wait S6.0-wakeup: task1 resumes only after task2 has finished.
# (The interleaving the tutorial prints cannot come from this code, see
# the seed errata; this is the code's order.)
console_node "$EX/6.5/?.lua"
send_line testwakeup
wait_line 'task1 end task$'
expect_lines "$(handle_of testwakeup)" <<-'L'
	LAUNCH snlua testwakeup
	task1 begin task
	task1 wait
	task2 begin task
	task2 wakeup task1
	task2 end task
	task1 end task
L
stop_node

# S6.0-wakeup: "wakeup also wakes a task in sleep" (tutorial's note to
# 6.5), with a driver: the sleeper wakes after 1 s, not 10.
console_node "$LUATEST/?.lua"
send_line testwakesleep
wait_line 'sleeper woke' 5
expect_lines "$(handle_of testwakesleep)" <<-'L'
	LAUNCH snlua testwakesleep
	sleeper sleeps 10 s
	waker wakes sleeper: true
	waker ends
	sleeper woke after less than 5 s
L
stop_node

# 6.6.1 S6.0-timeout: the callback runs 5 s later; start does not wait.
console_node "$EX/6.6.1/?.lua"
send_line testtimeout
wait_line 'start thread'
sleep 3
expect_none '\] task thread'
wait_line '\] task thread' 10
h=$(handle_of testtimeout)
expect_lines "$h" <<-L
	LAUNCH snlua testtimeout
	start $CO
	task $CO
L
stop_node

# 6.6.3 S6.6.3-timeout-loop: a timer re-armed from its callback; the
# coroutine pool leaves two coroutines that take turns.
console_node "$EX/6.6.3/?.lua"
send_line testtimeout
wait_count '\] task thread' 4 30
h=$(handle_of testtimeout)
expect_lines "$h" <<-L
	LAUNCH snlua testtimeout
	start $CO
	task $CO
	task $CO
	task $CO
	task $CO
L
a=$(co_of "$h" 2); b=$(co_of "$h" 3)
[ -n "$a" ] && [ "$a" != "$b" ] && [ "$(co_of "$h" 4)" = "$a" ] && [ "$(co_of "$h" 5)" = "$b" ] \
	&& [ "$(co_of "$h" 6)" = "$a" ] && pass "two coroutines take turns" \
	|| fail "coroutines: $(lines_of "$h" | sed -n 's/.*thread: //p' | tr '\n' ' ')"
stop_node

# 6.7 S6.0-starttime S6.0-now S6.0-time: start time is the node's UTC
# start in seconds; after a 2 s sleep, now (centiseconds since the node
# started) is 200 or more and time = starttime + now/100.
before=$(date +%s)
console_node "$EX/6.7/?.lua"
send_line testtime
wait_line '\] now [0-9]+$' 5
h=$(handle_of testtime)
expect_lines "$h" <<-'L'
	LAUNCH snlua testtime
	task
	start time [0-9]+
	time [0-9]+(\.[0-9]{1,2})?
	now [0-9]+
L
st=$(lines_of "$h" | sed -n 's/^start time //p')
tm=$(lines_of "$h" | sed -n 's/^time //p')
nw=$(lines_of "$h" | sed -n 's/^now //p')
if [ -n "$st" ] && [ -n "$tm" ] && [ -n "$nw" ] && awk -v st="$st" -v tm="$tm" -v nw="$nw" \
	-v b="$before" -v a="$(date +%s)" 'BEGIN {
		exit !(st >= b - 1 && st <= a && nw >= 200 && tm >= st + 2 &&
		       tm - (st + nw / 100) < 0.05 && st + nw / 100 - tm < 0.05) }'; then
	pass "start time $st, time $tm, now $nw agree"
else
	fail "start time '$st', time '$tm', now '$nw' (node started about $before)"
fi
stop_node

# 6.8 S6.8-error-kills-coroutine: an assert ends task1's coroutine with an
# error logged with its traceback; task2, the service and the node go on.
console_node "$EX/6.8/?.lua"
send_line testassert
wait_line "task2 thread: 0x[0-9a-f]+ end" 10
h=$(handle_of testassert)
expect_lines "$h" <<-L
	LAUNCH snlua testassert
	start $CO
	task1 $CO
	task2 $CO
	lua call \[0 to :[0-9a-f]+ : [0-9]+ msgsz = 0\] error : .*testassert\.lua:6: assertion failed!
	task2 thread: 0x[0-9a-f]+ end
L
expect 'in function .?task1'
[ "$(co_of "$h" 4)" = "$(co_of "$h" 6)" ] && pass "task2 ends in its own coroutine" \
	|| fail "task2's coroutine changed"
send_line testassert
wait_count 'LAUNCH snlua testassert$' 2 && pass "node still launches services"
stop_node

# 6.8 S6.8-fork-pcall: fork(pcall, task1) catches the error: no error line.
console_node "$EX/6.8-pcall/?.lua"
send_line testassert
wait_line "task2 thread: 0x[0-9a-f]+ end" 10
expect_lines "$(handle_of testassert)" <<-L
	LAUNCH snlua testassert
	start $CO
	task1 $CO
	task2 $CO
	task2 thread: 0x[0-9a-f]+ end
L
stop_node
finish
