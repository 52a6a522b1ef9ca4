/* connscale.c -- open many idle TCP connections to one port and keep them.
 *
 *   connscale -p PORT -n CONNS [-j PROCS] [-s SAMPLE] [-i SOURCE_IPS]
 *
 * Connections come from 127.1.x.y source addresses (IP_BIND_ADDRESS_NO_PORT,
 * so each address has its own ephemeral port range), split over PROCS
 * processes (one process may hold at most fs.nr_open fds).  Once all are
 * up, SAMPLE connections spread over the whole set each send a line and
 * wait for its echo.  Prints one `connscale ...` line per phase, then holds
 * the connections until stdin closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Connects in flight, over all processes: under the node's listen
 * backlog (4096), so that no SYN is dropped and waits a second to be sent
 * again. */
#define IN_FLIGHT 3000
#define PATIENCE_MS 30000 /* no progress for this long: give up */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int start_connect(const struct sockaddr_in *to, unsigned src)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	struct sockaddr_in from = { .sin_family = AF_INET };
	from.sin_addr.s_addr = htonl(0x7f010000u | ((src / 250) << 8) |
	                             (src % 250 + 1));
	if (bind(fd, (struct sockaddr *)&from, sizeof from) < 0 ||
	    (connect(fd, (const struct sockaddr *)to, sizeof *to) < 0 &&
	     errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect `n` sockets; returns how many are up.  fds[] gets them. */
static long connect_all(const struct sockaddr_in *to, long n, unsigned nsrc,
                        unsigned first_src, long batch, int *fds)
{
	int ep = epoll_create1(0);
	long started = 0, up = 0, pending = 0, failed = 0;
	struct epoll_event evs[256];
	while (up + failed < n) {
		while (pending < batch && started < n) {
			int fd = start_connect(to, first_src + (unsigned)(started % nsrc));
			started++;
			if (fd < 0) {
				failed++;
				continue;
			}
			struct epoll_event e = { .events = EPOLLOUT, .data.fd = fd };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			pending++;
		}
		int k = epoll_wait(ep, evs, 256, PATIENCE_MS);
		if (k <= 0)
			break;
		for (int i = 0; i < k; i++) {
			int fd = evs[i].data.fd, err = 0;
			socklen_t len = sizeof err;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			pending--;
			if (err) {
				close(fd);
				failed++;
			} else {
				fds[up++] = fd;
			}
		}
	}
	close(ep);
	return up;
}

/* Echo a line over `sample` connections spread over fds; returns how many
 * answered right. */
static long sample_echo(int *fds, long up, long sample)
{
	long ok = 0;
	if (sample > up)
		sample = up;
	for (long i = 0; i < sample; i++) {
		int fd = fds[(up / sample) * i];
		char msg[32], got[32];
		int n = snprintf(msg, sizeof msg, "ping %ld\n", i);
		if (send(fd, msg, (size_t)n, MSG_NOSIGNAL) != n)
			continue;
		int have = 0;
		while (have < n) {
			struct pollfd p = { fd, POLLIN, 0 };
			if (poll(&p, 1, PATIENCE_MS) <= 0)
				break;
			ssize_t r = recv(fd, got + have, sizeof got - (size_t)have, 0);
			if (r <= 0)
				break;
			have += (int)r;
		}
		if (have == n && memcmp(msg, got, (size_t)n) == 0)
			ok++;
	}
	return ok;
}

int main(int argc, char **argv)
{
	int port = 0, procs = 4, opt;
	long n = 1000, sample = 100;
	unsigned nsrc = 64;
	while ((opt = getopt(argc, argv, "p:n:j:s:i:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'j': procs = atoi(optarg); break;
		case 's': sample = atol(optarg); break;
		case 'i': nsrc = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: connscale -p PORT -n CONNS [-j PROCS] "
			        "[-s SAMPLE] [-i SOURCE_IPS]\n");
			return 2;
		}
	}
	if (!port || n <= 0 || procs <= 0 || nsrc == 0) {
		fprintf(stderr, "connscale: need -p PORT and positive counts\n");
		return 2;
	}
	struct rlimit rl = { (rlim_t)(n / procs + 1024), (rlim_t)(n / procs + 1024) };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("connscale: setrlimit");
		return 1;
	}
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int report[2];
	if (pipe(report) < 0)
		return 1;
	double t0 = now_s();
	pid_t *kids = calloc((size_t)procs, sizeof *kids);
	for (int p = 0; p < procs; p++) {
		if ((kids[p] = fork()) != 0)
			continue;
		long mine = n / procs + (p < n % procs);
		int *fds = calloc((size_t)mine, sizeof *fds);
		unsigned per = nsrc / (unsigned)procs ? nsrc / (unsigned)procs : 1;
		long batch = IN_FLIGHT / procs > 16 ? IN_FLIGHT / procs : 16;
		long up = connect_all(&to, mine, per, per * (unsigned)p, batch, fds);
		long ok = sample_echo(fds, up, sample / procs + (p < sample % procs));
		long line[2] = { up, ok };
		if (write(report[1], line, sizeof line) != sizeof line)
			return 1;
		/* Hold until the parent's stdin closes (it kills us then). */
		pause();
		return 0;
	}
	long up = 0, ok = 0;
	for (int p = 0; p < procs; p++) {
		long line[2];
		if (read(report[0], line, sizeof line) != sizeof line)
			break;
		up += line[0];
		ok += line[1];
	}
	printf("connscale conns=%ld up=%ld seconds=%.1f sample=%ld echo_ok=%ld\n",
	       n, up, now_s() - t0, sample, ok);
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof buf) > 0)
		;
	for (int p = 0; p < procs; p++)
		if (kids[p] > 0)
			kill(kids[p], SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
