/* socket.h -- a worker's sockets, driven through its io_uring ring.
 *
 * Each socket lives on one worker; its id is node-wide (shm/sockdir.h).
 * Operations on a socket held elsewhere travel there as CTRL_SOCK_OP
 * records; starting a socket from a service on another worker moves the fd
 * there (SCM_RIGHTS over the endpoints' passfd pairs), after the reads and
 * writes in flight here have finished, so data keeps its order.
 */
#ifndef ACTORD_WORKER_SOCKET_H
#define ACTORD_WORKER_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker;
struct io_uring_cqe;
struct ring_hdr;
struct actord_context;

/* Operations carried by CTRL_SOCK_OP (payload: struct sock_op + data). */
enum sock_opcode {
	SOP_START = 1, SOP_PAUSE, SOP_CLOSE, SOP_SHUTDOWN, SOP_SEND, SOP_LSEND,
	SOP_NODELAY, SOP_UDP_CONNECT, SOP_SENDTO, SOP_UNREAD, SOP_ABANDON,
};

struct sock_op {
	uint32_t op;
	int32_t id;
	uint32_t owner;      /* SOP_START: the service that starts it */
	uint32_t arg;        /* SOP_SENDTO: address bytes before the data */
	char data[];
};

struct sockets;

int socket_init(struct worker *w);
void socket_free(struct worker *w);
/* A completion whose user data is not the worker's own. */
void socket_complete(struct worker *w, const struct io_uring_cqe *cqe);
/* Submit what this turn queued.  True if anything was submitted. */
bool socket_submit(struct worker *w);
/* Run an operation here, or send it to the worker holding the socket.
 * `datasz` bytes follow op.  Returns -1 if the id names no live socket. */
int socket_op(struct worker *w, uint32_t source, const struct sock_op *op,
              size_t datasz);
/* New sockets on this worker; -1 with errno on failure. */
int socket_listen(struct worker *w, const char *host, int port, int backlog);
int socket_connect(struct worker *w, uint32_t owner, const char *host,
                   int port);
int socket_udp(struct worker *w, uint32_t owner, const char *host, int port);
int socket_bind(struct worker *w, int fd);
/* host:port as a compact UDP address (actord.h); 0 if it does not resolve. */
size_t socket_udp_address(const char *host, int port, char *out);
/* A service ends: close the sockets it owns here. */
void socket_release_owner(struct worker *w, struct actord_context *ctx);
/* Records from other workers: an operation, or a socket moved here. */
void socket_ctrl_op(struct worker *w, const struct ring_hdr *h, void *payload);
void socket_ctrl_adopt(struct worker *w, const struct ring_hdr *h,
                       void *payload);

#endif
