/* sidecar.h -- the harbor sidecar: the process that links this node to the
 * other nodes of a cluster.
 *
 * The supervisor forks it (when `harbor` is not 0) as the endpoint
 * seg_sidecar(): it has a ring to and from every worker.  A worker routes
 * a message for another node's handle into its ring to the sidecar; the
 * sidecar sends it on the link to that node, whose sidecar pushes it into
 * the ring of the worker owning the destination.
 */
#ifndef ACTORD_HARBOR_SIDECAR_H
#define ACTORD_HARBOR_SIDECAR_H

#include "harbor/key.h"
#include "shm/segment.h"

struct sidecar_opts {
	unsigned harbor;               /* this node's id, 1..255 */
	const char *address;           /* host:port listened on for peers */
	const char *master;            /* host:port of the master */
	const char *standalone;        /* host:port to run the master on, or NULL */
	const struct harbor_key *key;  /* NULL: insecure links */
	unsigned keepalive_ms;         /* harbor_keepalive; 0: off */
	int logfd;
};

/* Run until the node stops.  Returns the process exit status. */
int sidecar_main(struct segment *seg, const struct sidecar_opts *o);

#endif
