# clients.sh -- sourced by the network tests (after lib.sh): drive the
# tutorial's C client (tools/socketclient) as a user at a terminal would,
# wait for ports, count the node's file descriptors.  A client NAME reads from the fifo $T/NAME.in and
# prints to $T/NAME.out.
declare -A CL_PID CL_FD

cl_open() {   # cl_open NAME [PORT]: connect a socketclient to 127.0.0.1
	local fd
	rm -f "$T/$1.in"; mkfifo "$T/$1.in"
	# the client must not hold the other clients' fifos (or the node's
	# console) open, or they would never see the end of their input
	(
		for fd in 3 "${CL_FD[@]}"; do exec {fd}>&-; done
		exec "$TOOLS/socketclient" 127.0.0.1 "${2:-$PORT}"
	) < "$T/$1.in" > "$T/$1.out" 2>&1 &
	CL_PID[$1]=$!
	exec {fd}> "$T/$1.in"
	CL_FD[$1]=$fd
}

cl_send() { printf '%s\n' "$2" >&"${CL_FD[$1]}"; }     # a line, as typed
cl_sendraw() { printf "$2" >&"${CL_FD[$1]}"; }         # bytes (printf escapes)

# cl_wait NAME REGEX [SECONDS]: until the client printed a matching line
cl_wait() {
	local n=$(( ${3:-10} * 10 ))
	while ! grep -Eq -- "$2" "$T/$1.out"; do
		if [ "$n" -le 0 ]; then
			fail "client $1 got nothing matching '$2'"
			echo "--- client $1:"; tail -n 10 "$T/$1.out"; echo "---"
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
}

# cl_close NAME: end the client's input; it half-closes, the server closes,
# and the client must say so and exit 0.
cl_close() {
	local pid=${CL_PID[$1]} n=100 rc
	local fd=${CL_FD[$1]}
	exec {fd}>&-
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "client $1 still connected 10 s after its input ended"
		kill "$pid"
	fi
	wait "$pid"; rc=$?
	unset "CL_PID[$1]"
	# (the message follows the last reply on its line if that had no \n)
	if [ "$rc" -eq 0 ] && [[ "$(tail -n1 "$T/$1.out")" == *"the other side has been closed." ]]; then
		pass "client $1: the other side has been closed"
	else
		fail "client $1 ended with status $rc: $(tail -n1 "$T/$1.out")"
	fi
}

cl_cleanup() {   # kill clients a failed test left behind
	local c
	for c in "${!CL_PID[@]}"; do kill "${CL_PID[$c]}" 2>/dev/null; done
}

listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }

# pick_ports N: the first of N consecutive ports no socket uses, below the
# kernel's range for outgoing connections (a busy machine's clients, load
# tests among them, take ports from that range at any time)
pick_ports() {
	local lo hi p base
	read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 20000 ] || lo=65000      # no room below: take them above
	while :; do
		if [ "$lo" -eq 65000 ]; then
			base=$(( hi + 1 + RANDOM % (65000 - hi - $1) ))
		else
			base=$(( 10000 + RANDOM % (lo - 10000 - $1) ))
		fi
		for p in $(seq "$base" $((base + $1 - 1))); do
			[ -n "$(ss -Htuan "sport = :$p")" ] && continue 2
		done
		echo "$base"
		return
	done
}

# port_free PORT: wait (60 s) until nobody listens on PORT: other tests
# may use the tutorial's ports too.
port_free() {
	local n=600
	while listening "$1"; do
		[ "$n" -le 0 ] && { fail "port $1 stays in use"; return 1; }
		n=$((n - 1)); sleep 0.1
	done
}

wait_listen() {   # wait_listen PORT: until something listens on it (10 s)
	local n=100
	until listening "$1"; do
		[ "$n" -le 0 ] && { fail "nothing listens on port $1"; return 1; }
		n=$((n - 1)); sleep 0.1
	done
}

# ---- the node's processes ------------------------------------------------

workers() { cat /proc/"$NODE_PID"/task/*/children; }

fds() {   # file descriptors held by the node's processes
	local p n
	n=$(ls /proc/"$NODE_PID"/fd | wc -l)
	for p in $(workers); do n=$((n + $(ls /proc/"$p"/fd | wc -l))); done
	echo "$n"
}

# fds_back WHAT: wait (30 s) until the node holds $FD0 fds again
fds_back() {
	local n=300 now
	while now=$(fds); [ "$now" -ne "$FD0" ]; do
		if [ "$n" -le 0 ]; then
			fail "$1: the node holds $now fds, $FD0 before"
			ss -Htuanp | grep -E "pid=($NODE_PID|$(workers | paste -sd'|'))," | head -10
			return 1
		fi
		n=$((n - 1)); sleep 0.1
	done
	pass "$1: $now fds, as before"
}
