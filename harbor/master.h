/* master.h -- the cluster master: the registry of nodes.
 *
 * The node whose config has `standalone` runs it inside its sidecar.  Every
 * node (this one too) opens a link to it and registers its id and address
 * in the link's HELLO; the master tells each node about every other one
 * (NODE_UP) and when one goes (NODE_DOWN).  It carries no actor messages:
 * nodes link to each other directly.
 *
 * It also keeps the book of global names (harbor/book.h): a node
 * registers a name (NAME_REGISTER); the first binding wins and the master
 * tells every node of it (NAME_REPLY), and a node that joins later learns
 * every name so far.  A second binding of a name is refused with a log
 * line, and the registrant is told the binding that stands.
 */
#ifndef ACTORD_HARBOR_MASTER_H
#define ACTORD_HARBOR_MASTER_H

#include "harbor/book.h"
#include "harbor/link.h"

struct master {
	struct link *node[256];    /* registered links, by node id */
	/* The node the master runs in registers directly, not through a link:
	 * a link to itself would carry its own id both ways, which the
	 * handshake refuses as a reflection. */
	unsigned local_id;
	const char *local_addr;
	void (*local_up)(void *ud, unsigned id, const char *addr);
	void (*local_down)(void *ud, unsigned id);
	void (*local_name)(void *ud, const char *name, uint32_t handle);
	struct book names;
	void (*log)(void *ud, const char *fmt, ...);
	void *ud;
};

/* A node's link finished its handshake: register it, or refuse it if its
 * id is taken. */
void master_node_up(struct master *m, struct link *l);
/* A node's link closed (l is freed afterwards by the caller). */
void master_node_closed(struct master *m, struct link *l);
void master_control(struct master *m, struct link *l, const harbor_Control *c);
/* A node registers a global name: `from` is its link, or NULL for the
 * node the master runs in. */
void master_register(struct master *m, struct link *from, const char *name, uint32_t handle);
void master_free(struct master *m);

#endif
