/* supervisor.h -- the node's parent process. */
#ifndef ACTORD_DAEMON_SUPERVISOR_H
#define ACTORD_DAEMON_SUPERVISOR_H

#include <stdint.h>

#include "harbor/sidecar.h"
#include "shm/segment.h"
#include "worker/worker.h"

struct supervisor_opts {
	unsigned nworkers;
	unsigned harbor;
	size_t ring_capacity;
	uint32_t max_services;
	uint32_t max_sockets;
	uint64_t stop_timeout_ms;
	const char *logfile;          /* NULL: stdout */
	struct worker_opts worker;    /* template; id filled per worker */
	struct sidecar_opts *sidecar; /* NULL: no harbor (harbor = 0) */
};

/* Run the node until it is stopped.  `env` is called once the segment
 * exists, to fill the env store.  Returns the process exit status. */
int supervisor_run(const struct supervisor_opts *o,
                   void (*env)(struct envstore *e, void *ud), void *ud);

#endif
