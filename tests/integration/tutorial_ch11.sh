#!/bin/bash
# Tutorial chapter 11 (skynet.dns) on real nodes, under each placement of
# services on workers, against tools/dnsstub on 127.0.0.1 in place of a
# real resolver: the `dns_server` config key points dns.server() at it.
# 11.1's test_dns and 11.2's dnsservice/testdnsservice run as the tutorial
# runs them, from the console, with the tutorial's names and addresses in
# the stub's zone; then tests/integration/lua/ch11/dnscheck.lua covers the
# rest (hosts, literals, AAAA, CNAME, errors, malformed replies, timeouts,
# cache and flush).
. "$(dirname "$0")/lib.sh"
EX=$EXAMPLES
: "${TOOLS:?TOOLS not set}"
STUB_PID=
trap '[ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null; [ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null; rm -rf "$T"' EXIT
for_each_placement

cat > zone <<'Z'
# the tutorial's names, as its output shows them
github.com=192.30.255.112 github.com=192.30.255.113
www.baidu.com=14.215.177.39
# dnscheck's
v6.test=2001:db8::1 v6.test=2001:db8::2
alias.test=>target.test target.test=10.0.0.2
localhost=10.9.9.9
ok.test=10.0.0.5 same.test=10.0.0.6 t0.test=10.0.0.3@0 after.test=10.0.0.8
again.test=10.0.0.9
stale.test=10.0.0.7@1
fail.test=!servfail tc.test=!tc trunc.test=!truncated short.test=!short
badptr.test=!badptr loop.test=!loop loop2.test=!loop2 badlen.test=!badlen
badlabel.test=!badlabel longname.test=!longname
wrongid.test=!wrongid wrongq.test=!wrongq silent.test=!silent
Z

# start_stub: dnsstub on a free port with the zone; sets PORT.
start_stub() {
	local n=100
	# emptied here, not by the child's redirect: the last stub's ready
	# line must be gone before the loop below reads the file
	: > "$T/stub.out"
	"$TOOLS/dnsstub" -f zone 0 >> "$T/stub.out" 2>&1 &
	STUB_PID=$!
	PORT=
	while [ -z "$PORT" ]; do
		PORT=$(sed -n 's/^dnsstub ready 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/stub.out" 2>/dev/null)
		n=$((n - 1))
		if [ -z "$PORT" ] && [ "$n" -le 0 ]; then
			fail "dnsstub did not start"; cat "$T/stub.out"; return 1
		fi
		[ -n "$PORT" ] || sleep 0.1
	done
}
stop_stub() { kill "$STUB_PID"; wait "$STUB_PID" 2>/dev/null; STUB_PID=; clean_run "$T/stub.out"; }

# queries TYPE NAME: how many queries for it reached the stub
queries() { grep -c "^query [0-9]* $1 $2\$" "$T/stub.out"; }
expect_queries() {   # expect_queries N TYPE NAME
	local n; n=$(queries "$2" "$3")
	[ "$n" -eq "$1" ] && pass "$1 $2 queries for $3" || fail "$n $2 queries for $3, wanted $1"
}

stub_line() {   # stub_line REGEX: wait until the stub printed it
	local n=100
	while ! grep -Eq -- "$1" "$T/stub.out"; do
		n=$((n - 1))
		[ "$n" -le 0 ] && { fail "the stub did not print '$1'"; return 1; }
		sleep 0.1
	done
}

console_node() {
	write_lua_config n.conf "$EX/11.1/?.lua;$EX/11.2/?.lua;$LUATEST/ch11/?.lua" \
		'start = "console"' "placement = \"$PLACEMENT\"" "dns_server = \"127.0.0.1:$PORT\""
	start_node n.conf
	wait_line '\] LAUNCH snlua console$'
}

# ---- 11.1 S11.0-dns-server S11.0-dns-resolve S11.0-dns-flush ------------
# test_dns prints the server (127.0.0.1 here, the seed's resolver was
# 127.0.1.1) and github.com's addresses, which cost one query.
start_stub || finish
console_node
send_line test_dns
wait_line '\] github\.com 192\.30\.255\.113$'
expect_lines "$(handle_of test_dns)" <<-'L'
	LAUNCH snlua test_dns
	nameserver: 127\.0\.0\.1
	dns\.resolve return: 192\.30\.255\.112
	github\.com 192\.30\.255\.112
	github\.com 192\.30\.255\.113
L
expect_queries 1 A github.com

# ---- 11.2 S11.2-dns-service: GETIP and FLUSH through .dnsservice --------
# (the seed's log drops testdnsservice's "domain" argument; the code
# prints it, as here.)  The second GETIP is answered from dnsservice's
# cache; after FLUSH the server is asked again.
send_line dnsservice
wait_line '\] LAUNCH snlua dnsservice$'
send_line testdnsservice getip www.baidu.com
wait_line '\] dnsservice Test: www\.baidu\.com 14\.215\.177\.39$'
expect_lines "$(handle_of 'testdnsservice getip www\.baidu\.com')" <<-'L'
	LAUNCH snlua testdnsservice getip www\.baidu\.com
	dnsservice Test: www\.baidu\.com 14\.215\.177\.39
	KILL self
L
send_line testdnsservice getip www.baidu.com
wait_count '\] dnsservice Test: www\.baidu\.com 14\.215\.177\.39$' 2
expect_queries 1 A www.baidu.com
send_line testdnsservice flush
wait_line '\] dnsservice Test: nil nil$'
send_line testdnsservice getip www.baidu.com
wait_count '\] dnsservice Test: www\.baidu\.com 14\.215\.177\.39$' 3
expect_queries 2 A www.baidu.com

# S11.0-dns-flush: "on a timeout the previous result may be returned".
# stale.test has a TTL of 1 s; once it has expired and the server has
# gone silent, dnsservice still answers with it (after asking).
send_line testdnsservice getip stale.test
wait_line '\] dnsservice Test: stale\.test 10\.0\.0\.7$'
kill -USR1 "$STUB_PID"
stub_line '^mode silent$'
sleep 1.5
send_line testdnsservice getip stale.test
wait_count '\] dnsservice Test: stale\.test 10\.0\.0\.7$' 2
n=$(queries A stale.test)
[ "$n" -ge 2 ] && pass "expired stale.test asked again ($n queries)" || fail "stale.test: $n queries"
# flushed, nothing to fall back on: the call fails, with the reason logged
send_line testdnsservice flush
wait_count '\] dnsservice Test: nil nil$' 2
send_line testdnsservice getip stale.test
wait_line "^\[$(handle_of dnsservice)\] .*dns: cannot resolve stale\.test: timeout" 15
kill -USR2 "$STUB_PID"
stub_line '^mode normal$'
# the service still answers
send_line testdnsservice getip www.baidu.com
wait_count '\] dnsservice Test: www\.baidu\.com 14\.215\.177\.39$' 4
send_line testdnsservice hello x
wait_line '\] Unknown command HELLO$'
expect_none 'dnsservice Test: stale\.test nil'
stop_node
stop_stub

# ---- the rest of S11.0: dnscheck ----------------------------------------
start_stub || finish
write_lua_config n.conf "$LUATEST/ch11/?.lua" 'start = "dnscheck"' \
	"placement = \"$PLACEMENT\"" "dns_server = \"127.0.0.1:$PORT\""
start_node n.conf
wait_line '\] DNS done$' 60
expect_none 'DNS FAIL|traceback'
n=$(grep -c '\] DNS ok ' "$T/out")
[ "$n" -eq 37 ] && pass "$n dns checks" || fail "$n dns checks passed, wanted 37"
grep -E '\] DNS (ok|FAIL) ' "$T/out" | sed 's/^/    /'

# what reached the server: one query per name and type; none for
# literals and /etc/hosts; none for cached names; two for a name with
# TTL 0; a retry after each timeout; one shared by concurrent callers
expect_queries 2 A github.com
expect_queries 1 AAAA github.com
expect_queries 1 AAAA v6.test
expect_queries 1 A alias.test
expect_queries 0 A localhost
if grep -Eq '^query [0-9]+ [A-Z]+ (10\.1\.2\.3|2001:db8::7)$' "$T/stub.out"; then
	fail "an IP literal was sent to the server"
else
	pass "no query for IP literals"
fi
expect_queries 2 A t0.test
expect_queries 1 A same.test
# a fresh socket, after dns.server() closed the old one, gets the reply
# to its first query: no retry was needed
expect_queries 1 A again.test
for name in silent wrongid wrongq; do expect_queries 2 A $name.test; done
for name in trunc short badptr loop loop2 badlen badlabel longname tc; do
	expect_queries 1 A $name.test
done

# each refused reply left a log line that says why
S="127\.0\.0\.1:$PORT"
for l in "trunc answer 1 cut short" "short shorter than a header" \
	"badptr answer 1: compression pointer past the end" \
	"loop answer 1: compression pointer loop" "loop2 answer 1: compression pointer loop" \
	"badlen answer 1: A record of 5 bytes" "badlabel answer 1: unknown label type" \
	"longname answer 2: name longer than 255 bytes"; do
	expect "\] dns: bad reply from $S for ${l%% *}\.test: ${l#* }"
done
expect "\] dns: reply from $S for tc\.test: reply truncated \(TC set\)"
expect "\] dns: reply from $S with unknown id [0-9]+ dropped$"
expect "\] dns: reply from $S for wrongq\.test has another question \(mismatch\.invalid\), ignored$"

# query ids are random: not a counter
grep -o '^query [0-9]*' "$T/stub.out" | awk '{print $2}' > ids
if [ "$(sort -u ids | wc -l)" -ge 20 ] &&
   awk 'NR > 1 && $1 != last + 1 { jumps++ } { last = $1 } END { exit !(jumps >= NR / 2) }' ids; then
	pass "$(wc -l < ids) query ids, not sequential"
else
	fail "query ids look sequential or repeat: $(head -c 200 ids | tr '\n' ' ')"
fi
stop_node
stop_stub

# S11.0-dns-server: without the config key, /etc/resolv.conf's first
# nameserver; a server that is not an IP address is refused
NS=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null)
write_lua_config n.conf "$LUATEST/ch11/?.lua" 'start = "dnsdefault"' "placement = \"$PLACEMENT\""
start_node n.conf
wait_line '\] server not-an-ip: '
if [ -n "$NS" ]; then
	expect "\] nameserver: ${NS//./\\.}\$"
else
	expect '\] nameserver: error .*dns: no nameserver in /etc/resolv\.conf$'
fi
expect '\] server not-an-ip: .*dns: server "not-an-ip" is not an IP address$'
stop_node
finish
