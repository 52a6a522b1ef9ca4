#!/bin/bash
# A 16 MiB message crosses workers intact, through a ring far smaller.
. "$(dirname "$0")/lib.sh"
for kb in 64 1024; do
	write_config big.conf 'start = "tsvc big other"' "ring_kb = $kb"
	run_node big.conf 60
	expect_rc 0
	expect '\] BIG ok size=16777216$'
done
write_config bigsame.conf 'start = "tsvc big same"'
run_node bigsame.conf 60
expect '\] BIG ok size=16777216$'
finish
