/* ceiling.c -- the fastest server the network benchmarks could have here.
 *
 * bench/net.sh measures actord against load generators that share the
 * machine's cores with the node.  This program answers the same loads
 * with no framework at all: one thread, epoll, a recv and a send per
 * request, nothing else.  What it reaches is an upper bound for any server
 * on this machine under that load, and tells how far a ratio to skynet
 * can go here at all.  bench/ceiling.sh runs it.
 *
 *   ceiling echo PORT    echo every byte back (for echoload)
 *   ceiling http PORT    answer each request "GET ..." with a fixed 200,
 *                        keeping the connection unless it asks to close
 *                        (for wrk)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_EVENTS = 256, BUF = 65536 };

/* About the size of what bench_http_agent answers. */
#define BODY "host: 127.0.0.1:24682\npath: /\nmethod: GET\n"
static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n" BODY;
_Static_assert(sizeof BODY - 1 == 42, "Content-Length");

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1024) != 0) {
		perror("ceiling: listen");
		exit(1);
	}
	return fd;
}

static void accept_all(int ep, int lfd)
{
	int fd, one = 1;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* One read's worth of requests (wrk sends one at a time per connection):
 * a response each; returns 0 when the connection is to be closed. */
static int answer_http(int fd, const char *req, size_t n)
{
	int keep = memmem(req, n, "onnection: close", 16) == NULL;
	for (const char *p = req, *end = req + n;
	     (p = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) != NULL; p += 4)
		send(fd, RESPONSE, sizeof RESPONSE - 1, MSG_NOSIGNAL);
	return keep;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "http") != 0)) {
		fprintf(stderr, "usage: %s echo|http PORT\n", argv[0]);
		return 2;
	}
	int http = strcmp(argv[1], "http") == 0;
	int lfd = listen_on(atoi(argv[2]));
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	static char buf[BUF];
	struct epoll_event evs[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd) {
				accept_all(ep, lfd);
				continue;
			}
			ssize_t r = recv(fd, buf, sizeof buf, 0);
			int keep = r > 0;
			if (keep && http)
				keep = answer_http(fd, buf, (size_t)r);
			else if (keep)
				send(fd, buf, (size_t)r, MSG_NOSIGNAL);
			if (!keep)
				close(fd);
		}
	}
}
