#!/bin/bash
# run.sh -- build and run the node-core benchmarks; prints their figures.
#   bench/run.sh            all of them
# Figures go to stdout as "BENCH name=... key=value" lines, and the ring
# bench's own lines.  Nothing here passes or fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
B=$PWD/build
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

echo "# ring between two processes"
"$B/bench/ring_bench"

node() {   # node THREADS START [CONFIG-LINE]: one run of a C-service bench
	cat > "$T/b.conf" <<CONF
thread = $1
cpath = "$B/bench/?.so"
bootstrap = "cbootstrap"
start = "$2"
${3:-}
CONF
	"$B/daemon/actord" "$T/b.conf" | grep -o 'BENCH .*'
}
echo "# node core, C services, thread = 2"
for i in 1 2 3; do
	node 2 "nbench rtt same 200000"
	node 2 "nbench rtt other 200000"
	node 2 "nbench send same 5000000"
	node 2 "nbench send other 5000000"
done
echo "# the same round trip when idle workers sleep at once (spin_us = 0):"
echo "# each call then pays for waking the other worker"
node 2 "nbench rtt other 20000" "spin_us = 0"
