#!/bin/bash
# harbor.sh -- clustering figures: a remote skynet.call round trip
# (sequential) and skynet.send throughput between two nodes on loopback,
# beside the same loops within one node.  Same service code both ways
# (bench/lua/hbench.lua driving the shared bench_echo_srv, bench_consumer
# and bench_producer).  Prints BENCH lines; never judges them.
#   bench/harbor.sh [RUNS]        default 3 runs of each
#   BUILD=build-x bench/harbor.sh
#   PLAIN=1: links with no cluster key (cluster_insecure), to see the cost
#            of sealing
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCHDIR=${BENCHDIR:-$ROOT/../shared/bench/lua}
BUILD=${BUILD:-build}
RUNS=${1:-3}
scripts/setup.sh "$BUILD" >/dev/null
# A free port below the ephemeral range (as tests/integration/lib.sh).
free_port() {
	local p low
	read -r low _ < /proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 12000 ] || low=32768
	while :; do
		p=$(shuf -i 10000-$((low - 1)) -n 1)
		(: > "/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		echo "$p"
		return
	done
}
T=$(mktemp -d)
NODES=()
trap 'for p in "${NODES[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# conf FILE THREADS [lines...]
conf() {
	local f=$1 th=$2; shift 2
	{
		echo "thread = $th"
		echo "bootstrap = \"snlua bootstrap\""
		echo "start = \"hbench\""
		echo "luaservice = \"$ROOT/bench/lua/?.lua;$BENCHDIR/?.lua\""
		echo "lua_path = \"$BENCHDIR/?.lua\""
		echo "hb_dir = \"$T\""
		for l in "$@"; do echo "$l"; done
	} > "$f"
}
cluster() {  # cluster N PORT: the lines that make node N of the cluster
	local sec="cluster_key = \"$KEY\""
	[ "${PLAIN:-0}" = 1 ] && sec="cluster_insecure = true"
	echo "harbor = $1"; echo "address = \"127.0.0.1:$2\""
	echo "master = \"127.0.0.1:$PM\""; echo "$sec"
	[ "$1" = 1 ] && echo "standalone = \"127.0.0.1:$PM\""
}
node() {     # node CONF: run it until it stops, print its BENCH lines
	"$ROOT/$BUILD/daemon/actord" "$1" > "$T/out" 2>&1
	grep -o 'BENCH .*' "$T/out" || { echo "# no BENCH line:"; tail -n 20 "$T/out"; }
}

for run in $(seq 1 "$RUNS"); do
	echo "# run $run"
	# Within one node: the driver and the services on one worker, then
	# on two.
	for place in same spread; do
		conf "$T/local.conf" 2 'hb_mode = "local"' "placement = \"$place\""
		node "$T/local.conf" | sed "s/\$/ threads=2 placement=$place/"
	done
	# Two nodes of one worker each, so the whole cluster has as many
	# workers as the single node above.
	PM=$(free_port); P1=$(free_port); P2=$(free_port)
	rm -f "$T/srv"
	conf "$T/srv.conf" 1 'hb_mode = "server"'
	cluster 2 "$P2" >> "$T/srv.conf"
	conf "$T/cli.conf" 1 'hb_mode = "client"'
	cluster 1 "$P1" >> "$T/cli.conf"
	"$ROOT/$BUILD/daemon/actord" "$T/srv.conf" > "$T/srv.out" 2>&1 &
	NODES=($!)
	node "$T/cli.conf" | sed "s/\$/ threads=1+1 links=$([ "${PLAIN:-0}" = 1 ] && echo plain || echo keyed)/"
	kill -TERM "${NODES[0]}"; wait "${NODES[0]}" 2>/dev/null
	NODES=()
done
