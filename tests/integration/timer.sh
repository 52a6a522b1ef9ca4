#!/bin/bash
# Timers fire in deadline order, in 10 ms units.
. "$(dirname "$0")/lib.sh"
write_config timer.conf 'start = "tsvc timer"'
run_node timer.conf 30
expect_rc 0
expect '\] TIMER ok order=ok elapsed_ge_300ms=yes$'
finish
