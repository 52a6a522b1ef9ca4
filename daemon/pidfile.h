/* pidfile.h -- the `daemon` pid file, held with a lock for the node's life.
 *
 * The lock, not the pid written in the file, is what says a node is
 * running: it goes away with the process however it dies.
 */
#ifndef ACTORD_DAEMON_PIDFILE_H
#define ACTORD_DAEMON_PIDFILE_H

#include <stddef.h>

/* Open and lock `path`.  Returns the fd, or -1 with a message in err (a
 * live node holds it, or it cannot be opened). */
int pidfile_lock(const char *path, char *err, size_t errlen);
/* Write the current pid into the locked file. */
int pidfile_write(int fd);

#endif
