/* robust.h -- a process-shared mutex that a dead holder cannot leave held.
 *
 * Writers of shared tables (names, env) take it; readers never do.  When
 * the previous holder died inside the critical section, robust_lock runs
 * the caller's repair function before handing the lock over, so the table
 * is consistent again for everyone.
 */
#ifndef ACTORD_SHM_ROBUST_H
#define ACTORD_SHM_ROBUST_H

#include <pthread.h>

void robust_init(pthread_mutex_t *m);
/* Lock; if the last owner died, call repair(ud) first.  Returns 0. */
int robust_lock(pthread_mutex_t *m, void (*repair)(void *ud), void *ud);
void robust_unlock(pthread_mutex_t *m);

#endif
