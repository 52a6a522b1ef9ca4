/* socket.c -- `client.socket`, the client-side socket module that the
 * tutorial's clients (examples/client.lua, myclient.lua...) load into a plain
 * Lua 5.4 interpreter.  It is not part of a node: it runs in the client's
 * own process, with ordinary blocking system calls.
 *
 *   connect(host, port) -> fd       raises if no address accepts the connection
 *   recv(fd) -> string              what has arrived
 *            -> nil                 nothing yet (the socket is non-blocking)
 *            -> ""                  the peer closed the connection
 *   send(fd, string)                all of it, waiting while the kernel is full
 *   close(fd)
 *   usleep(microseconds)
 *   readstdin() -> line | nil       a line typed so far, without its newline
 *
 * The clients poll: they call recv and readstdin in a loop with usleep in
 * between, so neither may block.  "" for a closed peer is what the
 * tutorial's clients test for (`if r == "" then error "Server closed"`).
 */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_CHUNK 65536
/* A "line" longer than this is handed out in pieces rather than growing
 * the buffer without bound. */
#define STDIN_MAX_LINE 65536

static int lconnect(lua_State *L)
{
	const char *host = luaL_checkstring(L, 1);
	lua_Integer port = luaL_checkinteger(L, 2);
	if (port <= 0 || port > 65535)
		return luaL_error(L, "Connect %s %d failed: bad port", host, (int)port);
	char service[16];
	snprintf(service, sizeof service, "%d", (int)port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0)
		return luaL_error(L, "Connect %s %d failed: %s", host, (int)port, gai_strerror(gai));
	int fd = -1, err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return luaL_error(L, "Connect %s %d failed: %s", host, (int)port, strerror(err));
	/* Clients send small requests and wait for the answer: Nagle would
	 * only add a delay. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	lua_pushinteger(L, fd);
	return 1;
}

static int checkfd(lua_State *L, int arg)
{
	lua_Integer fd = luaL_checkinteger(L, arg);
	luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, arg, "not a socket");
	return (int)fd;
}

static int lrecv(lua_State *L)
{
	int fd = checkfd(L, 1);
	luaL_Buffer b;
	char *p = luaL_buffinitsize(L, &b, RECV_CHUNK);
	for (;;) {
		ssize_t n = recv(fd, p, RECV_CHUNK, 0);
		if (n >= 0) {
			luaL_pushresultsize(&b, (size_t)n);   /* 0 bytes: "" = closed */
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			lua_pushnil(L);
			return 1;
		}
		return luaL_error(L, "socket error: %s", strerror(errno));
	}
}

static int lsend(lua_State *L)
{
	int fd = checkfd(L, 1);
	size_t len;
	const char *s = luaL_checklstring(L, 2, &len);
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n >= 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* the socket is non-blocking for recv's sake; here we do
			 * want to wait until the kernel takes the rest */
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
			continue;
		}
		return luaL_error(L, "socket error: %s", strerror(errno));
	}
	return 0;
}

static int lclose(lua_State *L)
{
	close(checkfd(L, 1));
	return 0;
}

static int lusleep(lua_State *L)
{
	lua_Integer us = luaL_checkinteger(L, 1);
	if (us < 0)
		us = 0;
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0;
}

/* ---- stdin --------------------------------------------------------------
 * No reader thread: poll with a zero timeout, and read only what poll says
 * is there, so a call never blocks.  At end of input the client keeps
 * running (it may still be talking to the server); readstdin then returns
 * the unterminated last line once, and nil from then on. */

static struct {
	char buf[STDIN_MAX_LINE];
	size_t len;
	int eof;
} in;

static void stdin_fill(void)
{
	if (in.eof || in.len == sizeof in.buf)
		return;
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	if (poll(&pfd, 1, 0) <= 0)
		return;
	if (pfd.revents & POLLNVAL) {   /* no stdin at all */
		in.eof = 1;
		return;
	}
	ssize_t n = read(0, in.buf + in.len, sizeof in.buf - in.len);
	if (n > 0)
		in.len += (size_t)n;
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		in.eof = 1;
}

static int lreadstdin(lua_State *L)
{
	char *nl = memchr(in.buf, '\n', in.len);
	if (nl == NULL) {
		stdin_fill();
		nl = memchr(in.buf, '\n', in.len);
	}
	size_t take, skip;
	if (nl) {
		take = (size_t)(nl - in.buf);
		skip = take + 1;
	} else if (in.len > 0 && (in.eof || in.len == sizeof in.buf)) {
		take = skip = in.len;
	} else {
		lua_pushnil(L);
		return 1;
	}
	size_t out = take;
	if (out > 0 && in.buf[out - 1] == '\r')
		out--;
	lua_pushlstring(L, in.buf, out);
	memmove(in.buf, in.buf + skip, in.len - skip);
	in.len -= skip;
	return 1;
}

int luaopen_client_socket(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "connect", lconnect },
		{ "recv", lrecv },
		{ "send", lsend },
		{ "close", lclose },
		{ "usleep", lusleep },
		{ "readstdin", lreadstdin },
		{ NULL, NULL },
	};
	luaL_newlib(L, fns);
	return 1;
}
