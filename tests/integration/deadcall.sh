#!/bin/bash
# A call to an exited, unknown or unnamed service comes back as an error
# (type 7) instead of hanging.
. "$(dirname "$0")/lib.sh"
for where in same other; do
	write_config dead.conf "start = \"tsvc deadcall $where\""
	run_node dead.conf 30
	expect_rc 0
	expect '\] DEADCALL ok errors=0$'
	expect '\] KILL :[0-9a-f]{8}$'
done
finish
