#!/bin/bash
# Abuse from the network against a Lua echo service on a real node
# (tests/integration/lua/socket_api/abuse_echo.lua): 10,000 connections
# opened and dropped at once, garbage bytes, over-long lines, peers that
# reset with data in flight, a peer that never reads while the service
# writes.  Throughout, one well-behaved client keeps its connection and
# must keep getting answers; afterwards the workers hold exactly as many
# file descriptors as before, and the node stops cleanly.  Last, a node
# that runs out of file descriptors.
. "$(dirname "$0")/lib.sh"
. "$LUATEST/ch9/clients.sh"
N=${ABUSE_CONNS:-10000}

# The load client, built here: "storm HOST PORT N" opens N connections at
# once, waits for all, then drops them all at once (every other one with
# a reset); "reset HOST PORT N" asks N connections for 16 MiB each and
# resets them after the first KiB; "noread HOST PORT" asks for a flood and
# never reads.
cat > storm.c <<'EOF'
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in to;

static int dial(int nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) { perror("socket"); exit(2); }
	if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
		perror("connect"); exit(2);
	}
	return fd;
}

static void reset(int fd)
{
	struct linger l = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd);
}

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) { perror("write"); exit(2); }
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int n = argc > 4 ? atoi(argv[4]) : 1, i, ok = 0, bad = 0;
	if (argc < 4) return 2;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	to.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &to.sin_addr);

	if (strcmp(argv[1], "storm") == 0) {
		struct pollfd *p = calloc((size_t)n, sizeof *p);
		int left = n;
		time_t end = time(NULL) + 120;
		for (i = 0; i < n; i++) {
			p[i].fd = dial(1);
			p[i].events = POLLOUT;
		}
		while (left > 0 && time(NULL) < end) {
			if (poll(p, (nfds_t)n, 1000) < 0) { perror("poll"); return 2; }
			for (i = 0; i < n; i++) {
				int err = 0;
				socklen_t len = sizeof err;
				if (p[i].fd < 0 || !p[i].revents) continue;
				getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) bad++; else ok++;
				p[i].events = 0;
				p[i].fd = ~p[i].fd;   /* done: poll skips it */
				left--;
			}
		}
		for (i = 0; i < n; i++) {
			int fd = p[i].fd < 0 ? ~p[i].fd : p[i].fd;
			if (i % 2) reset(fd); else close(fd);
		}
		printf("connected %d failed %d pending %d\n", ok, bad, left);
		return 0;
	}
	if (strcmp(argv[1], "reset") == 0) {
		for (i = 0; i < n; i++) {
			char buf[1024];
			int fd = dial(0);
			say(fd, "BIG 16777216\n");
			if (recv(fd, buf, sizeof buf, MSG_WAITALL) == (ssize_t)sizeof buf) ok++;
			reset(fd);
		}
		printf("reset %d\n", ok);
		return 0;
	}
	if (strcmp(argv[1], "noread") == 0) {
		int fd = dial(0);
		say(fd, "FLOOD\n");
		printf("flooding\n");
		fflush(stdout);
		pause();
	}
	return 2;
}
EOF
cc -O2 -Wall -o storm storm.c || { fail "cannot build the load client"; finish; }

PORT=$(pick_ports 1)
write_lua_config n.conf "$LUATEST/socket_api/?.lua" 'start = "abuse_echo"' "abuse_port = $PORT"
start_node n.conf
wait_line '\] ABUSE listening ' && wait_listen "$PORT" || { stop_node; finish; }
S=$(handle_of abuse_echo)

rss_kib() {   # resident memory of the workers
	local p n=0
	for p in $(workers); do n=$((n + $(awk '/^VmRSS/ {print $2}' /proc/"$p"/status))); done
	echo "$n"
}

# the well-behaved client: a line out, its answer back
exec {OB}<>"/dev/tcp/127.0.0.1/$PORT"
ask() {   # ask LINE: the observer's answer (empty if none in 10 s)
	local l=
	printf '%s\n' "$1" >&"$OB"
	read -r -t 10 l <&"$OB"
	echo "$l"
}
alive() {   # alive WHEN: the observer still gets its answers
	local a
	a=$(ask "ping $1")
	[ "$a" = "PING ${1^^}" ] && pass "echo $1" || fail "echo $1: got '$a'"
}
# live_is N: wait (30 s) until the service counts N open connections
live_is() {
	local n=300 s
	while :; do
		s=$(ask STATS)
		[[ "$s" == *" live=$1 "* ]] && { pass "$s"; return 0; }
		[ "$n" -le 0 ] && { fail "connections still open: '$s' (wanted live=$1)"; return 1; }
		n=$((n - 1)); sleep 0.1
	done
}
alive before
live_is 1
FD0=$(fds)
echo "node: $FD0 fds, workers $(rss_kib) KiB resident"

# S9.2-echo-server S9.1-start-accept: 10,000 connections at once, then all
# dropped at once (half of them reset); the observer is answered while it
# goes on
./storm storm 127.0.0.1 "$PORT" "$N" > storm.out 2>&1 &
SP=$!
while kill -0 "$SP" 2>/dev/null; do alive "during the storm"; sleep 0.5; done
wait "$SP"
cat storm.out
grep -q "^connected $N failed 0 pending 0\$" storm.out && pass "$N connections made" ||
	fail "storm: $(cat storm.out)"
alive "after the storm"
live_is 1
fds_back "after $N connections"

# garbage: random bytes (short "lines"), then one line of 1 MiB: over the
# 64 KiB socket.limit, closed with a log line
head -c 1048576 /dev/urandom > "/dev/tcp/127.0.0.1/$PORT"
head -c 1048576 /dev/zero | tr '\0' 'x' > "/dev/tcp/127.0.0.1/$PORT"
wait_line "^\[$S\] socket: .*limit"
alive "after garbage"
live_is 1

# peers that reset while 16 MiB answers are still going out to them
./storm reset 127.0.0.1 "$PORT" 50 > reset.out 2>&1
grep -q '^reset 50$' reset.out && pass "50 resets with data in flight" || fail "reset: $(cat reset.out)"
alive "after resets"
live_is 1
fds_back "after resets"

# S9.1-warning: a peer that never reads: the service stops at the warning; the
# workers' memory stays bounded (the 16 MiB answers above may still be
# held by the allocator: measure from here)
RSS0=$(rss_kib)
./storm noread 127.0.0.1 "$PORT" > noread.out 2>&1 &
NP=$!
wait_line "^\[$S\] ABUSE flood stopped after [0-9]+ KiB, warning at [0-9]+ K\$" 60
alive "while a peer does not read"
RSS1=$(rss_kib)
sleep 1
RSS2=$(rss_kib)
[ "$RSS2" -lt $((RSS0 + 32768)) ] && pass "workers' memory: $RSS0 KiB, $RSS1 KiB at the warning, $RSS2 KiB a second later" ||
	fail "workers' memory grew from $RSS0 to $RSS1 KiB, then $RSS2 KiB"
kill "$NP"; wait "$NP" 2>/dev/null
live_is 1
fds_back "after the non-reading peer"

exec {OB}>&-
kill -0 "$NODE_PID" && pass "node alive" || fail "node died"
expect_none 'traceback|runtime error|Sanitizer'
stop_node

# Out of file descriptors: a node whose workers may hold 1024 fds gets
# 3,000 connections at once.  The listener stops accepting for 100 ms at
# a time (a log line each time, not a loop on EMFILE), the connections
# wait in the backlog, and once they are dropped the node serves again.
printf '#!/bin/sh\nulimit -n 1024\nexec "%s" "$@"\n' "$ACTORD" > lowfd.sh
chmod +x lowfd.sh
ACTORD=$T/lowfd.sh start_node n.conf
wait_line '\] ABUSE listening ' && wait_listen "$PORT" || { stop_node; finish; }
exec {OB}<>"/dev/tcp/127.0.0.1/$PORT"
./storm storm 127.0.0.1 "$PORT" 3000 > storm2.out 2>&1
cat storm2.out
wait_line 'socket: accept on [0-9]+ paused for 100 ms: Too many open files'
alive "after running out of fds"
paused=$(grep -c 'paused for 100 ms' "$T/out")
[ "$paused" -lt 200 ] && pass "accept paused $paused times, no loop on the error" ||
	fail "accept paused $paused times"
expect_none 'accept on [0-9]+: Too many open files'
exec {OB}>&-
stop_node
finish
