#!/bin/bash
# net.sh -- the network benchmarks: the shared Lua services of
# ../shared/bench/lua (unchanged) on actord, loaded from outside by
# ../shared/bench/tools/echoload (TCP echo) and wrk (HTTP).  Prints the
# BENCH line of the service and the load generator's line.
#   bench/net.sh [tcp_echo tcp_echo_c1 http http_keepalive ceiling]
# "ceiling" puts the same loads on bench/ceiling.c, a bare epoll server:
# the most any server can get from this machine with the load generator
# beside it.  Figures are printed, never judged.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
BENCHDIR=$SHARED/lua
scripts/setup.sh build >/dev/null
if ! command -v wrk >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
T=$(mktemp -d)
NODE=
trap '[ -n "$NODE" ] && kill -KILL "$NODE" 2>/dev/null; rm -rf "$T"' EXIT
cc -O2 -o "$T/echoload" "$SHARED/tools/echoload.c" || exit 1
cc -O2 -o "$T/ceiling" bench/ceiling.c || exit 1

# start NAME PLACEMENT [CONFIG-LINES...]: a node running bench_NAME; waits
# for its BENCH_READY line.
start() {
	local name=$1 place=$2
	shift 2
	{
		echo "thread = ${THREADS:-2}"
		echo "bootstrap = \"snlua bootstrap\""
		echo "start = \"bench_$name\""
		echo "luaservice = \"$BENCHDIR/?.lua\""
		echo "lua_path = \"$BENCHDIR/?.lua\""
		echo "placement = \"$place\""
		for l in "$@"; do echo "$l"; done
		echo "${NODE_CONF:-}"   # extra config lines, e.g. NODE_CONF='spin_us = 0'
	} > "$T/c.conf"
	"$ROOT/build/daemon/actord" "$T/c.conf" > "$T/out" 2>&1 &
	NODE=$!
	for _ in $(seq 100); do
		grep -q BENCH_READY "$T/out" && return 0
		sleep 0.1
	done
	echo "# node did not get ready:"; tail -n 20 "$T/out"
	return 1
}

# node_ticks: CPU time the node's processes have used so far, in clock
# ticks.
node_ticks() {
	local p t=0
	for p in "$NODE" $(pgrep -P "$NODE"); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# load FROM TO CMD...: run the load generator CMD, print its lines, and
# the node's CPU time per request between FROM and TO seconds into the
# run (inside its measured window): a cost that other load on the machine
# disturbs far less than a rate does.
load() {
	local from=$1 to=$2 t0 t1 rps
	shift 2
	"$@" > "$T/load" 2>&1 &
	local lp=$!
	sleep "$from"; t0=$(node_ticks)
	sleep "$(awk -v a="$from" -v b="$to" 'BEGIN {print b - a}')"; t1=$(node_ticks)
	wait "$lp"
	cat "$T/load"
	rps=$(grep -Eo '(rps=|Requests/sec: *)[0-9.]+' "$T/load" | grep -Eo '[0-9.]+$')
	awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="${rps:-0}" -v s="$((to - from))" \
		'BEGIN { if (r > 0) printf "node_cpu_us_per_request=%.1f\n", d / hz / (r * s) * 1e6 }'
}

finish() {   # wait for the node to end by itself, print its BENCH line
	local place=$1
	for _ in $(seq 100); do
		kill -0 "$NODE" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$NODE" 2>/dev/null
	wait "$NODE" 2>/dev/null
	NODE=
	echo "$(grep -o 'BENCH .*' "$T/out" | tail -n1) placement=$place"
}

echo_bench() {   # echo_bench CONNS PLACEMENT
	start tcp_echo "$2" "tcp_conns = $1" || return
	load 3 11 "$T/echoload" -p 24681 -c "$1" -d 10 -w 2 -s 64 | sed 's/^/echoload: /'
	finish "$2"
}

http_bench() {   # http_bench KEEPALIVE PLACEMENT
	start http "$2" "http_keepalive = $1" "http_onewrite = true" || return
	local hdr=()
	[ "$1" = false ] && hdr=(-H "Connection: close")
	load 1 9 wrk -t2 -c64 -d10s "${hdr[@]}" http://127.0.0.1:24682/ |
		grep -E 'Requests/sec|Latency|Socket errors|requests in|node_cpu' | sed 's/^/wrk: /'
	exec 3<>/dev/tcp/127.0.0.1/24682 && printf 'GET /bench_stop HTTP/1.1\r\nHost: x\r\n\r\n' >&3
	finish "$2"
	exec 3>&-
}

ceiling() {   # the four loads on the bare server
	"$T/ceiling" echo 24681 & NODE=$!
	"$T/ceiling" http 24682 & local http=$!
	sleep 0.2
	echo "ceiling tcp_echo:    $("$T/echoload" -p 24681 -c 64 -d 10 -w 2 -s 64)"
	echo "ceiling tcp_echo_c1: $("$T/echoload" -p 24681 -c 1 -d 10 -w 2 -s 64)"
	echo "ceiling http:           $(wrk -t2 -c64 -d10s -H "Connection: close" \
		http://127.0.0.1:24682/ | grep Requests/sec)"
	echo "ceiling http_keepalive: $(wrk -t2 -c64 -d10s http://127.0.0.1:24682/ | grep Requests/sec)"
	kill "$http" "$NODE"; wait "$http" "$NODE" 2>/dev/null
	NODE=
}

want=${*:-"tcp_echo tcp_echo_c1 http http_keepalive ceiling"}
for b in $want; do
	case $b in
	tcp_echo)       echo_bench 64 balanced ;;
	tcp_echo_c1)    echo_bench 1 balanced ;;
	http)           http_bench false balanced ;;
	http_keepalive) http_bench true balanced ;;
	ceiling)        ceiling ;;
	esac
done
