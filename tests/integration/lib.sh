# lib.sh -- helpers for integration tests: start a real actord node with a
# config written on the spot, wait for it, and check what it printed.
#
# Environment (set by meson): ACTORD (the binary), MODDIR (test service
# modules).  Each test runs in its own temporary directory.
set -u
: "${ACTORD:?ACTORD not set}" "${MODDIR:?MODDIR not set}"
T=$(mktemp -d /tmp/actord-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
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

finish() {
	if [ "$FAILS" -eq 0 ]; then echo "PASS"; exit 0; fi
	echo "$FAILS check(s) failed"; exit 1
}
