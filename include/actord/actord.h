/* actord.h -- the public API for C services.
 *
 * A C service is a shared object found through the `cpath` config key.  A
 * module named NAME exports up to four functions:
 *
 *   void *NAME_create(void);
 *   int   NAME_init(void *inst, struct actord_context *ctx, const char *args);
 *   void  NAME_release(void *inst);
 *   void  NAME_signal(void *inst, int signal);
 *
 * Only NAME_init is required.  NAME_init returns 0 on success and installs a
 * callback with actord_callback(); any other return value aborts the launch.
 *
 * Messages follow skynet's conventions: a message carries a type (the
 * ACTORD_PTYPE_* numbers below), a session (0 for a one-way send) and the
 * source handle.  The payload handed to a callback belongs to the runtime
 * and is freed after the callback returns, unless the callback returns 1,
 * in which case the service owns it and must free() it.
 *
 * Every function here must be called from the service's own worker, that is
 * from its init or its callback.
 */
#ifndef ACTORD_ACTORD_H
#define ACTORD_ACTORD_H

#include <stddef.h>
#include <stdint.h>

#define ACTORD_PTYPE_TEXT      0
#define ACTORD_PTYPE_RESPONSE  1
#define ACTORD_PTYPE_MULTICAST 2
#define ACTORD_PTYPE_CLIENT    3
#define ACTORD_PTYPE_SYSTEM    4
#define ACTORD_PTYPE_HARBOR    5
#define ACTORD_PTYPE_SOCKET    6
#define ACTORD_PTYPE_ERROR     7
#define ACTORD_PTYPE_QUEUE     8
#define ACTORD_PTYPE_DEBUG     9
#define ACTORD_PTYPE_LUA       10
#define ACTORD_PTYPE_SNAX      11
#define ACTORD_PTYPE_TRACE     12

/* Flags or'ed into the type given to actord_send(). */
#define ACTORD_TAG_DONTCOPY     0x10000 /* take ownership of a malloc'ed payload */
#define ACTORD_TAG_ALLOCSESSION 0x20000 /* allocate a fresh session, return it */

/* Signals delivered to NAME_signal. */
#define ACTORD_SIGNAL_REOPEN 1 /* reopen files (SIGHUP on the supervisor) */

/* Placement hints for actord_launch_on(). */
#define ACTORD_PLACE_ANY  (-1) /* let the runtime balance */
#define ACTORD_PLACE_HERE (-2) /* the launcher's own worker */
#define ACTORD_PLACE_NEXT (-3) /* each launch on the next worker in turn */

struct actord_context;

typedef int (*actord_cb)(struct actord_context *ctx, void *ud, int type,
                         int session, uint32_t source, const void *msg,
                         size_t sz);

void actord_callback(struct actord_context *ctx, void *ud, actord_cb cb);

/* Send a message.  With ACTORD_TAG_DONTCOPY, `msg` must come from malloc()
 * and is owned by the runtime from here on, whatever the outcome; without
 * it the bytes are copied.  Returns the session used (the allocated one with
 * ACTORD_TAG_ALLOCSESSION).  A one-way send (session 0) to a dead or
 * unknown destination returns -1; a call to one returns its session as
 * usual and the answer arrives as an ACTORD_PTYPE_ERROR message, so a
 * caller has one place to handle failure. */
int actord_send(struct actord_context *ctx, uint32_t source, uint32_t dest,
                int type, int session, void *msg, size_t sz);
/* As actord_send, to ":%08x" or ".name" (a registered local name). */
int actord_sendname(struct actord_context *ctx, uint32_t source,
                    const char *dest, int type, int session, void *msg,
                    size_t sz);

uint32_t actord_self(struct actord_context *ctx);
/* A fresh session of this service, for a request sent some other way. */
int actord_new_session(struct actord_context *ctx);
/* Register ".name" for `handle` (0: this service).  Returns 0, or -1 if the
 * name is taken, malformed or the table is full.  On a clustered node a
 * name without a dot is global: it is bound here at once and registered
 * with the master, which tells every node; it outlives the service. */
int actord_name(struct actord_context *ctx, const char *name, uint32_t handle);
/* True while `handle` names a live service. */
int actord_alive(struct actord_context *ctx, uint32_t handle);
/* ".name" or ":%08x" to a handle; 0 if there is none. */
uint32_t actord_query(struct actord_context *ctx, const char *name);
/* The state of this node's harbor link to node `id` (0: to the master):
 * odd while up; it changes at each transition.  Always 0 on a standalone
 * node (harbor = 0). */
uint32_t actord_harbor_link(struct actord_context *ctx, unsigned id);

/* Node-wide, set-once environment.  actord_setenv returns -1 if the key
 * already exists.  The string returned by actord_getenv stays valid for the
 * life of the node. */
const char *actord_getenv(struct actord_context *ctx, const char *key);
int actord_setenv(struct actord_context *ctx, const char *key,
                  const char *value);

/* After `ticks` (10 ms units) the service receives an ACTORD_PTYPE_RESPONSE
 * message with the returned session and no payload. */
int actord_timeout(struct actord_context *ctx, int ticks);

/* Log a line through the logger service as "[:%08x] text". */
void actord_error(struct actord_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Launch "module args".  `where` is a worker index or an ACTORD_PLACE_*
 * value.  Returns the new handle, or 0 if the module cannot be found.  A
 * service launched on another worker is initialised there; messages sent to
 * its handle meanwhile are delivered after its init. */
uint32_t actord_launch(struct actord_context *ctx, const char *module,
                       const char *args);
uint32_t actord_launch_on(struct actord_context *ctx, const char *module,
                          const char *args, int where);
/* As actord_launch_on, for a launcher that waits on `session`: the new
 * service takes it with actord_parent() and answers it when it is ready.
 * If the new service ends before answering (init failed, killed, its
 * worker died), the launcher gets an ACTORD_PTYPE_ERROR with `session`. */
uint32_t actord_launch_child(struct actord_context *ctx, const char *module,
                             const char *args, int where, int session);
/* The launcher's handle and the session it waits on, once: later calls
 * return 0.  Answering is then the service's own business. */
int actord_parent(struct actord_context *ctx, uint32_t *parent);
/* End a service (0: this one) after the message in hand. */
void actord_kill(struct actord_context *ctx, uint32_t handle);
void actord_exit(struct actord_context *ctx);
/* Stop the whole node, in order (as SIGTERM to the supervisor does). */
void actord_abort(struct actord_context *ctx);

/* Time: centiseconds since node start, start time in seconds since the
 * epoch, and a monotonic nanosecond clock. */
uint64_t actord_now(void);
uint32_t actord_starttime(void);
uint64_t actord_hpc(void);

/* The worker hosting a live `handle` of this node, or -1. */
int actord_worker_of(struct actord_context *ctx, uint32_t handle);
/* Which worker runs this service, and how many workers the node has. */
int actord_worker_id(struct actord_context *ctx);
int actord_worker_count(struct actord_context *ctx);

/* ---- sockets ------------------------------------------------------------
 *
 * Socket ids are node-wide numbers, any service may pass them on.  A socket
 * lives on one worker; the service that starts it (actord_socket_start)
 * receives its events as ACTORD_PTYPE_SOCKET messages, and the socket moves
 * to that service's worker.  Calls return -1 (and log) on a bad id.
 */
enum actord_socket_event {
	ACTORD_SOCKET_DATA = 1,    /* ud: byte count; data: the bytes */
	ACTORD_SOCKET_CONNECT = 2, /* connected or started; data: address */
	ACTORD_SOCKET_CLOSE = 3,   /* closed (by the peer or by us) */
	ACTORD_SOCKET_ACCEPT = 4,  /* ud: the new socket's id; data: "ip:port" */
	ACTORD_SOCKET_ERROR = 5,   /* data: the reason; the socket is closed */
	ACTORD_SOCKET_UDP = 6,     /* ud: byte count; data: bytes, then address */
	ACTORD_SOCKET_WARNING = 7, /* ud: KiB waiting to be written */
};

/* The payload of every ACTORD_PTYPE_SOCKET message. */
struct actord_socket_message {
	int32_t type;              /* enum actord_socket_event */
	int32_t id;
	int32_t ud;
	uint32_t size;             /* bytes in data[] */
	char data[];
};

/* A UDP address as carried after the data of ACTORD_SOCKET_UDP and taken
 * by actord_socket_sendto: family byte, port (2 bytes, network order),
 * then 4 or 16 address bytes. */
#define ACTORD_UDP_ADDRESS_MAX 19

int actord_socket_listen(struct actord_context *ctx, const char *host,
                         int port, int backlog);
/* Read a file descriptor of the process (0: stdin) as a socket, once
 * started; the fd is duplicated. */
int actord_socket_bind(struct actord_context *ctx, int fd);
/* Connect in the background; ACTORD_SOCKET_CONNECT or _ERROR follows. */
int actord_socket_connect(struct actord_context *ctx, const char *host,
                          int port);
int actord_socket_start(struct actord_context *ctx, int id);
/* Stop reading until the next start. */
int actord_socket_pause(struct actord_context *ctx, int id);
/* Stop reading and own it no more, without closing: to hand it on.  A
 * service that ends has the sockets it still owns closed. */
int actord_socket_abandon(struct actord_context *ctx, int id);
/* Close once what is queued is written; ACTORD_SOCKET_CLOSE follows. */
int actord_socket_close(struct actord_context *ctx, int id);
/* Close now, dropping what is queued. */
int actord_socket_shutdown(struct actord_context *ctx, int id);
/* Queue bytes (copied) on the normal or the low-priority queue. */
int actord_socket_send(struct actord_context *ctx, int id, const void *p,
                       size_t sz, int low);
int actord_socket_nodelay(struct actord_context *ctx, int id);
/* Give back bytes received but not consumed: the next service to start
 * the socket gets them first.  For handing a socket on without loss. */
int actord_socket_unread(struct actord_context *ctx, int id, const void *p,
                         size_t sz);
/* UDP: a socket bound to host:port (host NULL: any; port 0: any), and a
 * default peer for actord_socket_send. */
int actord_socket_udp(struct actord_context *ctx, const char *host, int port);
int actord_socket_udp_connect(struct actord_context *ctx, int id,
                              const char *host, int port);
int actord_socket_sendto(struct actord_context *ctx, int id,
                         const void *addr, size_t addrsz,
                         const void *p, size_t sz);

#endif
