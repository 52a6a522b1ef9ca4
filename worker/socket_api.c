/* socket_api.c -- the public socket calls (actord.h): each becomes one
 * operation on the socket's worker (worker/socket.c), run at once when
 * that is this worker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "worker/socket.h"
#include "worker/worker.h"

static int op(struct actord_context *ctx, uint32_t code, int id,
              uint32_t owner, uint32_t arg, const void *a, size_t asz,
              const void *b, size_t bsz)
{
	struct worker *w = worker_self();
	struct sock_op head = { code, id, owner, arg };
	if (asz + bsz == 0)
		return socket_op(w, ctx->handle, &head, 0);
	struct sock_op *o = malloc(sizeof *o + asz + bsz);
	if (!o)
		abort();
	*o = head;
	if (asz)
		memcpy(o->data, a, asz);
	if (bsz)
		memcpy(o->data + asz, b, bsz);
	int r = socket_op(w, ctx->handle, o, asz + bsz);
	free(o);
	return r;
}

int actord_socket_listen(struct actord_context *ctx, const char *host,
                         int port, int backlog)
{
	(void)ctx;
	return socket_listen(worker_self(), host, port, backlog);
}

int actord_socket_bind(struct actord_context *ctx, int fd)
{
	(void)ctx;
	return socket_bind(worker_self(), fd);
}

int actord_socket_connect(struct actord_context *ctx, const char *host,
                          int port)
{
	return socket_connect(worker_self(), ctx->handle, host, port);
}

int actord_socket_start(struct actord_context *ctx, int id)
{
	return op(ctx, SOP_START, id, ctx->handle, 0, NULL, 0, NULL, 0);
}

int actord_socket_pause(struct actord_context *ctx, int id)
{
	return op(ctx, SOP_PAUSE, id, 0, 0, NULL, 0, NULL, 0);
}

int actord_socket_abandon(struct actord_context *ctx, int id)
{
	return op(ctx, SOP_ABANDON, id, 0, 0, NULL, 0, NULL, 0);
}

int actord_socket_close(struct actord_context *ctx, int id)
{
	return op(ctx, SOP_CLOSE, id, 0, 0, NULL, 0, NULL, 0);
}

int actord_socket_shutdown(struct actord_context *ctx, int id)
{
	return op(ctx, SOP_SHUTDOWN, id, 0, 0, NULL, 0, NULL, 0);
}

int actord_socket_send(struct actord_context *ctx, int id, const void *p,
                       size_t sz, int low)
{
	if (sz == 0)
		return sockdir_worker(seg_sockdir(worker_self()->seg), id) < 0 ? -1 : 0;
	return op(ctx, low ? SOP_LSEND : SOP_SEND, id, 0, 0, p, sz, NULL, 0);
}

int actord_socket_nodelay(struct actord_context *ctx, int id)
{
	return op(ctx, SOP_NODELAY, id, 0, 0, NULL, 0, NULL, 0);
}

int actord_socket_udp(struct actord_context *ctx, const char *host, int port)
{
	return socket_udp(worker_self(), ctx->handle, host, port);
}

int actord_socket_udp_connect(struct actord_context *ctx, int id,
                              const char *host, int port)
{
	char a[ACTORD_UDP_ADDRESS_MAX];
	size_t n = socket_udp_address(host, port, a);
	if (!n) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	return op(ctx, SOP_UDP_CONNECT, id, 0, 0, a, n, NULL, 0);
}

int actord_socket_sendto(struct actord_context *ctx, int id, const void *addr,
                         size_t addrsz, const void *p, size_t sz)
{
	if (addrsz == 0 || addrsz > ACTORD_UDP_ADDRESS_MAX)
		return -1;
	return op(ctx, SOP_SENDTO, id, 0, (uint32_t)addrsz, addr, addrsz, p, sz);
}

int actord_socket_unread(struct actord_context *ctx, int id, const void *p,
                         size_t sz)
{
	return op(ctx, SOP_UNREAD, id, 0, 0, p, sz, NULL, 0);
}
