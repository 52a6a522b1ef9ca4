/* socketdriver.c -- `skynet.socketdriver`: the socket calls of actord.h for
 * one Lua service, under lualib/skynet/socket.lua (and the gate).
 *
 * Failures to create a socket raise with the system's reason; operations
 * on an id that is gone return false, as skynet's do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "actord/actord.h"
#include "lualib/lualib.h"

#define CTX(L) ((struct actord_context *)lua_touserdata(L, lua_upvalueindex(1)))

/* (host, port) or ("host:port"), the host of an IPv6 address optionally
 * in brackets ("[::1]:80"); copies the host, returns the port.  The one
 * parser of addresses for skynet.socket. */
static int host_port(lua_State *L, int i, char *host, size_t n)
{
	size_t len;
	const char *s = luaL_checklstring(L, i, &len);
	lua_Integer port;
	if (lua_isnoneornil(L, i + 1)) {
		const char *colon = strrchr(s, ':');
		char *end;
		if (!colon || colon == s || !colon[1] || colon[1] == '-' || colon[1] == '+')
			return luaL_error(L, "socket: invalid address %s", s);
		errno = 0;
		port = strtoll(colon + 1, &end, 10);
		if (*end || errno)
			return luaL_error(L, "socket: invalid address %s", s);
		len = (size_t)(colon - s);
	} else {
		port = luaL_checkinteger(L, i + 1);
	}
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= n || port < 0 || port > 65535)
		return luaL_error(L, "socket: invalid address %s", lua_tostring(L, i));
	memcpy(host, s, len);
	host[len] = '\0';
	return (int)port;
}

static int result_id(lua_State *L, int id, const char *what)
{
	if (id < 0)
		return luaL_error(L, "%s: %s", what, strerror(errno));
	lua_pushinteger(L, id);
	return 1;
}

static int llisten(lua_State *L)
{
	char host[256];
	int port = host_port(L, 1, host, sizeof host);
	int backlog = (int)luaL_optinteger(L, 3, 0);
	return result_id(L, actord_socket_listen(CTX(L), host, port, backlog),
	                 "listen");
}

static int lconnect(lua_State *L)
{
	char host[256];
	int port = host_port(L, 1, host, sizeof host);
	return result_id(L, actord_socket_connect(CTX(L), host, port), "connect");
}

static int lbind(lua_State *L)
{
	int fd = (int)luaL_checkinteger(L, 1);
	return result_id(L, actord_socket_bind(CTX(L), fd), "bind");
}

static int push_ok(lua_State *L, int r)
{
	lua_pushboolean(L, r == 0);
	return 1;
}

static int lstart(lua_State *L)
{
	return push_ok(L, actord_socket_start(CTX(L), (int)luaL_checkinteger(L, 1)));
}

static int lpause(lua_State *L)
{
	return push_ok(L, actord_socket_pause(CTX(L), (int)luaL_checkinteger(L, 1)));
}

static int labandon(lua_State *L)
{
	return push_ok(L, actord_socket_abandon(CTX(L),
	                                        (int)luaL_checkinteger(L, 1)));
}

static int lclose(lua_State *L)
{
	return push_ok(L, actord_socket_close(CTX(L), (int)luaL_checkinteger(L, 1)));
}

static int lshutdown(lua_State *L)
{
	return push_ok(L, actord_socket_shutdown(CTX(L),
	                                         (int)luaL_checkinteger(L, 1)));
}

static int lnodelay(lua_State *L)
{
	return push_ok(L, actord_socket_nodelay(CTX(L),
	                                        (int)luaL_checkinteger(L, 1)));
}

/* send(id, string) or send(id, lightuserdata, size): the buffer of the
 * second form is freed here, whatever happens. */
static int send_any(lua_State *L, int low)
{
	int id = (int)luaL_checkinteger(L, 1);
	int r;
	if (lua_islightuserdata(L, 2)) {
		void *p = lua_touserdata(L, 2);
		size_t sz = (size_t)luaL_checkinteger(L, 3);
		r = actord_socket_send(CTX(L), id, p, sz, low);
		free(p);
	} else {
		size_t sz;
		const char *p = luaL_checklstring(L, 2, &sz);
		r = actord_socket_send(CTX(L), id, p, sz, low);
	}
	return push_ok(L, r);
}

static int lsend(lua_State *L)
{
	return send_any(L, 0);
}

static int llsend(lua_State *L)
{
	return send_any(L, 1);
}

static int lunread(lua_State *L)
{
	size_t sz;
	int id = (int)luaL_checkinteger(L, 1);
	const char *p = luaL_checklstring(L, 2, &sz);
	return push_ok(L, actord_socket_unread(CTX(L), id, p, sz));
}

static int ludp(lua_State *L)
{
	char host[256] = "";
	int port = 0;
	if (!lua_isnoneornil(L, 1))
		port = host_port(L, 1, host, sizeof host);
	return result_id(L, actord_socket_udp(CTX(L), host, port), "udp");
}

static int ludp_connect(lua_State *L)
{
	char host[256];
	int id = (int)luaL_checkinteger(L, 1);
	int port = host_port(L, 2, host, sizeof host);
	if (actord_socket_udp_connect(CTX(L), id, host, port) < 0)
		return luaL_error(L, "udp_connect %s:%d: %s", host, port,
		                  strerror(errno));
	return 0;
}

static int ludp_send(lua_State *L)
{
	int id = (int)luaL_checkinteger(L, 1);
	size_t an, sz;
	const char *a = luaL_checklstring(L, 2, &an);
	const char *p = luaL_checklstring(L, 3, &sz);
	return push_ok(L, actord_socket_sendto(CTX(L), id, a, an, p, sz));
}

/* The compact address of a UDP message -> "ip", port. */
static int ludp_address(lua_State *L)
{
	size_t n;
	const char *a = luaL_checklstring(L, 1, &n);
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
	if (n == 7 && a[0] == AF_INET)
		inet_ntop(AF_INET, a + 3, ip, sizeof ip);
	else if (n == 19 && a[0] == AF_INET6)
		inet_ntop(AF_INET6, a + 3, ip, sizeof ip);
	else
		return luaL_error(L, "invalid udp address");
	memcpy(&port, a + 1, 2);
	lua_pushstring(L, ip);
	lua_pushinteger(L, ntohs(port));
	return 2;
}

/* unpack(msg, sz) -> type, id, ud, data [, udp address] */
static int lunpack(lua_State *L)
{
	const struct actord_socket_message *m = lua_touserdata(L, 1);
	size_t sz = (size_t)luaL_checkinteger(L, 2);
	if (!m || sz < sizeof *m || sz - sizeof *m < m->size)
		return luaL_error(L, "malformed socket message");
	lua_pushinteger(L, m->type);
	lua_pushinteger(L, m->id);
	lua_pushinteger(L, m->ud);
	if (m->type == ACTORD_SOCKET_UDP) {
		size_t n = (size_t)m->ud <= m->size ? (size_t)m->ud : m->size;
		lua_pushlstring(L, m->data, n);
		lua_pushlstring(L, m->data + n, m->size - n);
		return 5;
	}
	lua_pushlstring(L, m->data, m->size);
	return 4;
}

int lualib_open_socketdriver(lua_State *L, struct actord_context *ctx)
{
	static const luaL_Reg fns[] = {
		{ "listen", llisten }, { "connect", lconnect }, { "bind", lbind }, { "start", lstart },
		{ "pause", lpause }, { "abandon", labandon }, { "close", lclose }, { "shutdown", lshutdown },
		{ "send", lsend }, { "lsend", llsend }, { "nodelay", lnodelay },
		{ "unread", lunread },
		{ "udp", ludp }, { "udp_connect", ludp_connect },
		{ "udp_send", ludp_send }, { "udp_address", ludp_address },
		{ "unpack", lunpack }, { NULL, NULL },
	};
	luaL_newlibtable(L, fns);
	lua_pushlightuserdata(L, ctx);
	luaL_setfuncs(L, fns, 1);
	return 1;
}
