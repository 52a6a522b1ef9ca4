#!/bin/bash
# actord's extensions to the Lua API (call timeouts, placement) and the
# refusal of malformed packed messages, on a real node.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
for place in balanced spread same; do
	write_lua_config e.conf "$HERE/lua/ext/?.lua" 'start = "ext_driver"' "placement = \"$place\""
	run_node e.conf 60
	expect_rc 0
	for c in timeoutcall_gives_up timeoutcall_answers late_answer_dropped \
	         plain_call_waits malformed_refused service_survives \
	         newservice_on_here newservice_on_index inline_protocol; do
		expect "\\] EXT $c ok"
	done
	expect 'malformed packed message'
	expect 'attempt to yield from outside a coroutine'
	expect_none 'EXT [a-z_]+ FAIL'
done
finish
