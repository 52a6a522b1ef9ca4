# lib.sh -- helpers for integration tests: start a real actord node with a
# config written on the spot, wait for it, and check what it printed.
#
# Environment (set by meson): ACTORD (the binary), MODDIR (test service
# modules), EXAMPLES (examples/tutorial), LUATEST (the tests' own Lua
# services).  Each test runs in its own temporary directory.
set -u
: "${ACTORD:?ACTORD not set}" "${MODDIR:?MODDIR not set}"
SELF=$(realpath "$0")
T=$(mktemp -d /tmp/actord-test.XXXXXX)
NODE_PID=
# A test that stops early must not leave its node behind.
trap '[ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T"
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# free_port: a TCP port nothing listens on now, picked at random so tests
# running side by side do not collide, and below the kernel's range for
# outgoing connections, whose local ports would make a listen fail.
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
pass() { echo "ok: $*"; }

# write_config FILE [extra lines...]: a C-only node on the test modules.
write_config() {
	local f=$1; shift
	{
		echo "thread = ${THREADS:-2}"
		echo "cpath = \"$MODDIR/?.so\""
		echo "bootstrap = \"cbootstrap\""
		for l in "$@"; do echo "$l"; done
	} > "$f"
}

# run_node CONFIG SECONDS: run in the foreground until it stops by itself;
# output in $T/out, exit status in RC (124 on timeout).
run_node() {
	timeout -s KILL "$2" "$ACTORD" "$1" > "$T/out" 2>&1
	RC=$?
}

expect() {   # expect REGEX [FILE]: a line of output matches
	if grep -Eq -- "$1" "${2:-$T/out}"; then pass "$1"; else fail "no line matching '$1'"; echo "--- output:"; tail -n 30 "${2:-$T/out}"; echo "---"; fi
}

expect_rc() {
	if [ "$RC" -eq "$1" ]; then pass "exit status $1"; else fail "exit status $RC, wanted $1"; fi
	clean_run
}

# clean_run [FILE...]: no sanitizer report in the node's output (the
# sanitizer build runs these tests too).
clean_run() {
	local f
	for f in "${@:-$T/out}" "$T"/*.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'runtime error:|AddressSanitizer|LeakSanitizer' "$f"; then
			fail "sanitizer report in $(basename "$f")"
			grep -E -A5 'runtime error:|Sanitizer' "$f" | head -20
		fi
	done
}

# ---- Lua nodes driven like the tutorial's console ------------------------

# for_each_placement: run the calling script once per placement of
# services on workers (PLACEMENT = balanced, spread, same), the three in
# parallel with their own nodes; print their outputs in turn and exit
# with failure if any failed.  Returns at once in each of those runs.
for_each_placement() {
	[ -n "${PLACEMENT:-}" ] && return 0
	local p rc=0
	local -A pid
	for p in balanced spread same; do
		PLACEMENT=$p bash "$SELF" > "$T/$p.log" 2>&1 &
		pid[$p]=$!
	done
	for p in balanced spread same; do
		wait "${pid[$p]}" || rc=1
		echo "== placement $p"
		cat "$T/$p.log"
	done
	[ "$rc" -eq 0 ] && echo "PASS (all placements)" || echo "FAIL (see above)"
	exit "$rc"
}

# write_lua_config FILE LUASERVICE [extra lines...]: a node that boots
# Lua ("snlua bootstrap") and finds services along LUASERVICE.
write_lua_config() {
	local f=$1 path=$2; shift 2
	{
		echo "thread = ${THREADS:-2}"
		echo "bootstrap = \"snlua bootstrap\""
		echo "luaservice = \"$path\""
		for l in "$@"; do echo "$l"; done
	} > "$f"
}

# start_node CONFIG: run a node in the background; output goes to $T/out,
# its stdin is a fifo that send_line writes to (the console reads it).
start_node() {
	rm -f "$T/stdin"
	mkfifo "$T/stdin"
	: > "$T/out"
	"$ACTORD" "$1" < "$T/stdin" > "$T/out" 2>&1 &
	NODE_PID=$!
	exec 3> "$T/stdin"
}

send_line() { echo "$*" >&3; }   # type a line on the node's console

# wait_line REGEX [SECONDS]: wait until a line of output matches; on a
# timeout (default 10 s) or if the node died, fail and return 1.
wait_line() {
	local re=$1 n=$(( ${2:-10} * 10 ))
	while ! grep -Eq -- "$re" "$T/out"; do
		if [ "$n" -le 0 ] || ! kill -0 "$NODE_PID" 2>/dev/null; then
			grep -Eq -- "$re" "$T/out" && return 0
			fail "no line matching '$re' (waited ${2:-10} s)"
			echo "--- output:"; tail -n 30 "$T/out"; echo "---"
			return 1
		fi
		n=$((n - 1))
		sleep 0.1
	done
}

# wait_count REGEX N [SECONDS]: wait until N lines match (see wait_line).
wait_count() {
	local n=$(( ${3:-10} * 10 ))
	while [ "$(grep -Ec -- "$1" "$T/out")" -lt "$2" ]; do
		if [ "$n" -le 0 ] || ! kill -0 "$NODE_PID" 2>/dev/null; then
			[ "$(grep -Ec -- "$1" "$T/out")" -ge "$2" ] && return 0
			fail "fewer than $2 lines matching '$1' (waited ${3:-10} s)"
			echo "--- output:"; tail -n 30 "$T/out"; echo "---"
			return 1
		fi
		n=$((n - 1))
		sleep 0.1
	done
}

# stop_node: SIGTERM the node, wait for it (5 s, then SIGKILL and fail);
# its exit status goes to RC and is expected to be 0.
stop_node() {
	local n=50
	exec 3>&-
	kill -TERM "$NODE_PID" 2>/dev/null
	while kill -0 "$NODE_PID" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	if kill -0 "$NODE_PID" 2>/dev/null; then
		fail "node did not stop on SIGTERM"
		kill -KILL "$NODE_PID"
	fi
	wait "$NODE_PID"
	RC=$?
	NODE_PID=
	expect_rc 0
}

# handle_of 'NAME ARGS': the handle (":0000000a") of the service that was
# launched as "snlua NAME ARGS".
handle_of() {
	sed -n "s/^\[\(:[0-9a-f]*\)\] LAUNCH snlua $1\$/\1/p" "$T/out" | head -n1
}

# lines_of HANDLE: what that service logged, without the "[:...] " prefix.
lines_of() {
	[ -n "$1" ] || return 0
	grep -F "[$1] " "$T/out" | sed 's/^\[[^]]*\] //'
}

# expect_lines HANDLE < regexes: the service logged exactly these lines,
# in this order, one ERE (anchored at both ends) per line of input.
expect_lines() {
	local -a want got
	local i ok=1
	mapfile -t want
	mapfile -t got < <(lines_of "$1")
	[ -n "$1" ] || { fail "no handle (the service was not launched)"; return 1; }
	[ "${#want[@]}" -eq "${#got[@]}" ] || ok=0
	for i in "${!want[@]}"; do
		[[ "${got[i]-}" =~ ^${want[i]}$ ]] || ok=0
	done
	if [ "$ok" -eq 1 ]; then
		pass "$1 logged the ${#want[@]} expected lines"
	else
		fail "$1 logged other lines than expected"
		echo "--- wanted:"; printf '%s\n' "${want[@]}"
		echo "--- got:"; printf '%s\n' "${got[@]}"; echo "---"
	fi
}

# expect_order REGEX...: lines matching these appear in this order.
expect_order() {
	local from=0 re at
	for re in "$@"; do
		at=$(tail -n +$((from + 1)) "$T/out" | grep -nE -m1 -- "$re" | cut -d: -f1)
		if [ -z "$at" ]; then
			fail "no line matching '$re' after line $from (order: $*)"
			echo "--- output:"; tail -n 30 "$T/out"; echo "---"
			return 1
		fi
		from=$((from + at))
	done
	pass "in order: $*"
}

expect_none() {   # expect_none REGEX: no line of output matches
	if grep -Eq -- "$1" "$T/out"; then fail "unexpected line matching '$1'"; grep -E -- "$1" "$T/out" | head -5; else pass "no '$1'"; fi
}

finish() {
	if [ "$FAILS" -eq 0 ]; then echo "PASS"; exit 0; fi
	echo "$FAILS check(s) failed"; exit 1
}
