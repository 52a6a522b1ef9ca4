#!/bin/bash
# test.sh -- set up, build, and run every test: unit and integration tests
# on the normal build, the unit tests again under ASan + UBSan.  Ends with
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build || { echo "0 passed, 1 failed"; exit 1; }
scripts/setup.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	|| { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0
tally() {   # tally LOGFILE: add meson's Ok/Fail counts
	local ok fail
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1" | tail -n1)
	fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {n += $NF} END {print n + 0}' "$1")
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0}))
	[ -z "$ok" ] && failed=$((failed + 1))   # meson itself failed
	return 0
}
log=$(mktemp)
meson test -C build --print-errorlogs --num-processes 1 2>&1 | tee "$log"
tally "$log"
ASAN_OPTIONS=detect_leaks=1 ACTORD_RING_MESSAGES=200000 \
	meson test -C build-asan --suite unit --print-errorlogs --num-processes 1 2>&1 | tee "$log"
tally "$log"
# Real nodes under the sanitizers too; worker processes end with _exit,
# so leak checking is left to the unit tests.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
	MANY_COUNT=3000 MANY_MEMORY_CHECK=0 \
	meson test -C build-asan --suite integration --print-errorlogs --num-processes 1 2>&1 | tee "$log"
tally "$log"
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
