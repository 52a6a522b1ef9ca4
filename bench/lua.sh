#!/bin/bash
# lua.sh -- run the shared Lua benchmark services (../shared/bench/lua,
# unchanged) on actord and print their BENCH lines, plus the node's memory
# measured from outside (sum of Pss over the supervisor and its workers).
#   bench/lua.sh [BENCH...]     default: all of them
#   BUILD=build-x bench/lua.sh  runs the node of another build folder
# Figures are printed, never judged.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCHDIR=${BENCHDIR:-$ROOT/../shared/bench/lua}
BUILD=${BUILD:-build}
scripts/setup.sh "$BUILD" >/dev/null
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

pss_kb() {   # pss_kb PID: Pss of the node (supervisor + children), KiB
	local sum=0 p v
	for p in "$1" $(pgrep -P "$1"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# run NAME PLACEMENT [CONFIG-LINES...]: one node running bench_NAME.
run() {
	local name=$1 place=$2
	shift 2
	{
		echo "thread = 2"
		echo "bootstrap = \"snlua bootstrap\""
		echo "start = \"bench_$name\""
		echo "luaservice = \"$BENCHDIR/?.lua\""
		echo "lua_path = \"$BENCHDIR/?.lua\""
		echo "placement = \"$place\""
		for l in "$@"; do echo "$l"; done
	} > "$T/c.conf"
	"$ROOT/$BUILD/daemon/actord" "$T/c.conf" > "$T/out" 2>&1 &
	local node=$! base=0 peak=0 v
	# Sampling memory costs CPU that the workers would use: only for the
	# benches about memory (MEM=1), and not often.
	while kill -0 "$node" 2>/dev/null; do
		if [ "${MEM:-0}" = 1 ]; then
			v=$(pss_kb "$node")
			[ "$base" -eq 0 ] && base=$v
			[ "$v" -gt "$peak" ] && peak=$v
		fi
		sleep 0.25
	done
	wait "$node"
	local line mem=
	line=$(grep -o 'BENCH .*' "$T/out" | tail -n1)
	[ "${MEM:-0}" = 1 ] && mem=" node_pss_first_kb=$base node_pss_peak_kb=$peak"
	echo "$line placement=$place$mem"
	[ -n "$line" ] || { echo "# no BENCH line; output:"; tail -n 20 "$T/out"; }
}

want=${*:-"idle call_rtt send_throughput fanout_call spawn"}
for b in $want; do
	case $b in
	idle)            MEM=1 run idle balanced ;;
	call_rtt)        run call_rtt same; run call_rtt spread ;;
	send_throughput) run send_throughput balanced; run send_throughput same ;;
	fanout_call)     run fanout_call balanced; run fanout_call same ;;
	spawn)           MEM=1 run spawn balanced; MEM=1 run spawn balanced "spawn_count = 10000"
	                 MEM=1 run spawn same "spawn_count = 10000" ;;
	esac
done
