#!/bin/bash
# Per-pair order holds under load: four sources on all workers, one sink.
. "$(dirname "$0")/lib.sh"
for threads in 2 3; do
	THREADS=$threads write_config order.conf 'start = "tsvc order other 50000"' 'ring_kb = 64'
	run_node order.conf 120
	expect_rc 0
	expect '\] ORDER ok sources=4 sent=200000 received=200000 errors=0$'
done
finish
