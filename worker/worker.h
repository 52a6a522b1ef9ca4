/* worker.h -- the worker process: its state, shared by the worker/ files.
 *
 * A worker is one thread in one process.  It hosts services, runs the ones
 * with mail in bounded batches, moves messages to and from the other
 * endpoints' rings, fires timers and sleeps on io_uring when idle.
 */
#ifndef ACTORD_WORKER_WORKER_H
#define ACTORD_WORKER_WORKER_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "actord/actord.h"
#include "shm/segment.h"
#include "worker/calls.h"
#include "worker/mailbox.h"
#include "worker/spill.h"
#include "worker/timer.h"

/* Record types at or above this travel between endpoints for the runtime
 * itself and never reach a service. */
enum ctrl_type {
	CTRL_BASE = 0x100,
	CTRL_LAUNCH,     /* dest: new handle; payload "module\0args\0" */
	CTRL_KILL,       /* dest: handle to end */
	CTRL_PEER_DEAD,  /* aux: endpoint that died (from the supervisor) */
	CTRL_REOPEN,     /* reopen log files (from the supervisor) */
	CTRL_SOCK_OP,    /* source: caller; payload struct sock_op (socket.h) */
	CTRL_SOCK_ADOPT, /* a socket moved here; its fd came over passfd */
	CTRL_NODE_DOWN,  /* aux: node whose link dropped (from the sidecar) */
	CTRL_NAME_REGISTER, /* to the sidecar: dest: handle; payload: a global
	                       name (no NUL), already bound in the name table */
	CTRL_SEND_NAME,  /* to the sidecar: a message to a global name not known
	                    here yet; payload "name\0" + message, aux its type */
	CTRL_CALL_NODE,  /* from the sidecar: the call (source, session) sent by
	                    name went to node aux: a drop of that link fails it */
};

struct module;
struct sockets;

struct actord_context {                /* a service */
	uint32_t handle;
	struct module *mod;
	void *inst;
	actord_cb cb;
	void *ud;
	struct mailbox mq;
	struct actord_context *runq_next;
	int32_t next_session;
	uint32_t parent;                    /* launcher waiting on ... */
	int32_t parent_session;             /* ... this session, or 0 */
	uint32_t nsockets;                  /* sockets here it owns (socket.c) */
	bool in_runq;     /* on the run queue */
	bool exiting;     /* asked to end after the message in hand */
	bool released;    /* gone; the run queue frees it */
	bool has_names, placeholder;
};

struct peer {                           /* another endpoint, seen from here */
	struct ring_tx tx;                  /* ring here -> peer */
	struct ring_rx rx;                  /* ring peer -> here */
	struct spill spill;                 /* records waiting for ring room */
	uint32_t gen;                       /* peer generation we are synced to */
	bool tx_ok;                         /* ring here -> peer is usable */
	bool rx_ok;                         /* ring peer -> here is usable */
	bool dirty;                         /* pushed since the last flush */
};

struct service_table {
	struct actord_context **slot;       /* open addressing by local id */
	uint32_t cap, n;
};

struct worker_opts {
	unsigned id;
	uint64_t spin_ns;
	unsigned batch;                     /* messages per service per turn */
	const char *cpath;
	const char *logger;                 /* file, or NULL for stdout */
	const char *logpath;
	const char *bootstrap;              /* "module args", worker 0 only */
	uint64_t stop_timeout_ns;
};

struct worker {
	struct segment *seg;
	struct seg_header *h;
	struct endpoint *ep;
	struct worker_opts o;
	unsigned id, nendpoints;
	uint32_t gen;
	struct io_uring ring;
	bool wake_armed;
	uint64_t wakebuf;
	struct timer_wheel *timers;
	uint64_t tick;                      /* current timer tick */
	struct service_table services;
	struct actord_context *runq_head, *runq_tail;
	struct actord_context *running;     /* service in its callback */
	struct peer *peers;                 /* [nendpoints] */
	unsigned *dirty;                    /* indices of dirty peers */
	unsigned ndirty;
	struct calls calls;                 /* calls awaiting a remote reply */
	struct module *modules;             /* loaded modules, a list */
	unsigned released;                  /* services ended since the last purge */
	struct sockets *socks;              /* socket.c */
};

/* The worker of this process; NULL in the supervisor. */
struct worker *worker_self(void);
int worker_main(struct segment *seg, const struct worker_opts *o);
/* The 10 ms tick of the clock now; w->tick lags it while a turn runs. */
uint64_t worker_current_tick(struct worker *w);

/* service.c */
struct actord_context *service_find(struct worker *w, uint32_t handle);
struct module *module_query(struct worker *w, const char *name);
/* Create a service with an already allocated handle.  Returns the handle,
 * or 0 if the module is missing or its init failed (the handle is then
 * dead and its mail bounced). */
uint32_t service_create(struct worker *w, uint32_t handle, const char *module,
                        const char *args, uint32_t parent,
                        int32_t parent_session);
/* Make a local placeholder that collects mail for a service whose launch
 * record is still on its way from another worker. */
struct actord_context *service_placeholder(struct worker *w, uint32_t handle);
void service_release(struct worker *w, struct actord_context *s);
void service_release_all(struct worker *w);
void service_signal(struct actord_context *s, int signal);
void service_table_free(struct worker *w);
void modules_unload(struct worker *w);

/* route.c */
/* 0, or -1 (and the payload freed if owned) when dest is not alive. */
int route_send(struct worker *w, uint32_t source, uint32_t dest,
               uint32_t type, int32_t session, void *data, size_t sz,
               bool owned);
void route_to_endpoint(struct worker *w, unsigned to,
                       const struct ring_hdr *h, void *data, bool owned);
void route_deliver(struct worker *w, uint32_t source, uint32_t dest,
                   uint32_t type, int32_t session, void *data, size_t sz);
void route_bounce(struct worker *w, uint32_t source, uint32_t dest,
                  uint32_t type, int32_t session);
bool route_poll(struct worker *w);
void route_flush(struct worker *w);
bool route_busy(struct worker *w);     /* records still queued to send */
bool route_pending(struct worker *w);  /* records waiting to be read */
void route_sync_peer(struct worker *w, unsigned peer);
/* calls_fail's callback: answer the caller with an error; ud is the worker. */
void route_fail_call(uint32_t caller, int32_t session, void *ud);
void route_init(struct worker *w);
void route_free(struct worker *w);
unsigned route_place(struct worker *w, int where);

/* worker.c */
void worker_schedule(struct worker *w, struct actord_context *s);
/* Run one message on a service that has nothing else queued. */
void worker_run_now(struct worker *w, struct actord_context *s,
                    struct msg *m);
uint64_t worker_now_ns(void);

#endif
