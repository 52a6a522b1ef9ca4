/*
 * socketclient -- the tutorial's line client for chapter 9's echo servers
 * ("c写的socketclient"): connect to 127.0.0.1:8001, send what is typed on
 * stdin, print what comes back.
 *
 *     socketclient [host [port]]
 *
 * The tutorial's client uses a reader thread and closes the connection as
 * soon as stdin ends, which can lose the last replies.  This one waits on
 * both with poll(), and at the end of stdin only shuts down its sending
 * side: it keeps printing until the server closes, so `echo hi |
 * socketclient` shows the answer.  When the server closes it prints "the
 * other side has been closed." as the tutorial's does, and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* write all of buf, or fail (the peer went away) */
static int write_all(int fd, const char *buf, size_t n, int is_socket)
{
	while (n > 0) {
		ssize_t w = is_socket ? send(fd, buf, n, MSG_NOSIGNAL)
		                      : write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A name or a dotted address; the first address that accepts us wins. */
static int dial(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, err;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	err = getaddrinfo(host, port, &hints, &res);
	if (err != 0) {
		fprintf(stderr, "socketclient: %s:%s: %s\n", host, port,
		        gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	if (fd < 0)
		fprintf(stderr, "socketclient: connect %s:%s: %s\n", host, port,
		        strerror(errno));
	freeaddrinfo(res);
	return fd;
}

int main(int argc, char *argv[])
{
	const char *host = argc > 1 ? argv[1] : "127.0.0.1";
	const char *port = argc > 2 ? argv[2] : "8001";
	struct pollfd pfd[2];
	char buf[4096];
	int fd, stdin_open = 1;

	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: socketclient [host [port]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = dial(host, port);
	if (fd < 0)
		return 1;

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDIN_FILENO;
	pfd[1].events = POLLIN;
	for (;;) {
		/* a negative fd makes poll() skip stdin once it has ended */
		pfd[1].fd = stdin_open ? STDIN_FILENO : -1;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("socketclient: poll");
			return 1;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, buf, sizeof buf, 0);
			if (n == 0 || (n < 0 && errno == ECONNRESET)) {
				printf("the other side has been closed.\n");
				return 0;
			}
			if (n < 0 && errno != EINTR) {
				perror("socketclient: recv");
				return 1;
			}
			if (n > 0 && write_all(STDOUT_FILENO, buf, (size_t)n, 0) < 0)
				return 1;
		}
		if (stdin_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* no more to send: half-close, keep reading replies */
				stdin_open = 0;
				shutdown(fd, SHUT_WR);
			} else if (write_all(fd, buf, (size_t)n, 1) < 0) {
				perror("socketclient: send");
				return 1;
			}
		}
	}
}
