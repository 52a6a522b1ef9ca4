#!/bin/bash
# C services ping each other within a worker and across workers.
. "$(dirname "$0")/lib.sh"
write_config same.conf 'start = "tsvc ping same 20000"'
run_node same.conf 60
expect_rc 0
expect '\] LAUNCH logger$'
expect '\] LAUNCH cbootstrap$'
expect '\] LAUNCH tsvc ping same 20000$'
expect '\] KILL self$'
expect '\] PING ok n=20000 errors=0$'

write_config other.conf 'start = "tsvc ping other 20000"'
run_node other.conf 60
expect_rc 0
expect '\] PING ok n=20000 errors=0$'
finish
