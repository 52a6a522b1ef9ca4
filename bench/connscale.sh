#!/bin/bash
# connscale.sh -- one node holding many idle TCP connections.
#   bench/connscale.sh [CONNS]      default 1000000
# A node runs bench/lua/connscale.lua (a listener handing connections to
# an echo agent per worker, a coroutine per connection); bench/connscale opens CONNS connections from 127.1.x.y
# addresses, then echoes a line on a sample of them.  Prints the node's
# memory (Pss of all its processes, measured from outside) and the
# kernel's socket memory, before and with the connections.  Needs root
# for the fd limits; a benchmark, not a test.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-1000000}
PORT=${PORT:-24683}
scripts/setup.sh build >/dev/null
T=$(mktemp -d)
NODE= LOAD=
trap '[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null; [ -n "$NODE" ] && kill -KILL "$NODE" 2>/dev/null; rm -rf "$T"' EXIT

# One process may hold fs.nr_open fds: where the limit can be raised, the
# node's two workers hold every connection between them.
need=$((N + 65536))
[ "$(sysctl -n fs.nr_open)" -lt "$need" ] && sysctl -qw fs.nr_open="$need"
[ "$(sysctl -n fs.file-max)" -lt $((2 * need)) ] && sysctl -qw fs.file-max=$((2 * need))
sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 2>/dev/null
THREADS=${THREADS:-2} PROCS=4
if ! ulimit -n "$need" 2>/dev/null; then
	# No CAP_SYS_RESOURCE (a container): the limit is per process, so the
	# connections are spread over more workers (and more load processes),
	# each under the limit.
	hard=$(ulimit -Hn)
	ulimit -n "$hard"
	per=$((hard - 2048))
	w=$(( (N + per - 1) / per ))
	[ "$w" -gt "$THREADS" ] && THREADS=$w
	PROCS=$(( (N + per - 1) / per ))
	[ "$PROCS" -lt 4 ] && PROCS=4
	echo "connscale: fd hard limit is $hard per process here and cannot be raised:" \
		"$THREADS workers hold the connections, $PROCS load processes open them"
fi
# Several source addresses a process: connect() looks for a free port
# among those of its address, slowly once most are taken.
SRCS=$(( PROCS * 8 > 64 ? PROCS * 8 : 64 ))

pss_kb() {
	local sum=0 p v
	for p in "$1" $(pgrep -P "$1"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
sock_kb() {   # kernel memory in TCP sockets and their buffers (slab + pages)
	awk '/^TCP:/ {print $NF * 4}' /proc/net/sockstat
}
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

cat > "$T/c.conf" <<EOF
thread = $THREADS
bootstrap = "snlua bootstrap"
start = "connscale"
connscale_agents = $THREADS
luaservice = "$ROOT/bench/lua/?.lua"
connscale_port = $PORT
max_sockets = $((N + 65536))
EOF
"$ROOT/build/daemon/actord" "$T/c.conf" > "$T/out" 2>&1 &
NODE=$!
for _ in $(seq 100); do grep -q 'connscale ready' "$T/out" && break; sleep 0.1; done
sleep 0.5
pss0=$(pss_kb "$NODE") slab0=$(slab_kb)
echo "connscale: node idle: pss=${pss0} KiB slab=${slab0} KiB"

mkfifo "$T/hold"
"$ROOT/build/bench/connscale" -p "$PORT" -n "$N" -j "$PROCS" -s 1000 -i "$SRCS" < "$T/hold" > "$T/load" &
LOAD=$!
exec 3> "$T/hold"
for _ in $(seq 1200); do grep -q '^connscale ' "$T/load" && break; sleep 0.5; done
cat "$T/load"
sleep 2
grep 'connscale accepted=' "$T/out" | tail -n1
pss1=$(pss_kb "$NODE") slab1=$(slab_kb)
up=$(sed -n 's/.* up=\([0-9]*\).*/\1/p' "$T/load")
up=${up:-0}
echo "connscale: node with $up connections: pss=${pss1} KiB slab=${slab1} KiB"
if [ "$up" -gt 0 ]; then
	echo "BENCH name=connscale conns=$up node_pss_per_conn_bytes=$(( (pss1 - pss0) * 1024 / up )) kernel_slab_per_conn_bytes=$(( (slab1 - slab0) * 1024 / up )) (slab counts both ends of each connection)"
fi
exec 3>&-
wait "$LOAD" 2>/dev/null
LOAD=
kill "$NODE"
wait "$NODE" 2>/dev/null
NODE=
