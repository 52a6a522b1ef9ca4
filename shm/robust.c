/* robust.c -- process-shared, robust pthread mutex for the shared tables.
 *
 * Every worker process maps the same segment, and any of them may be killed
 * while holding a table's write lock.  A robust mutex lets the next locker
 * learn of that (EOWNERDEAD), fix what the dead holder left half-written,
 * and mark the mutex usable again.
 */
#include "robust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A lock that cannot be set up or taken means the segment is broken; no
 * caller could carry on sensibly, so stop loudly. */
static void die(const char *what, int err) {
	fprintf(stderr, "robust: %s: %s\n", what, strerror(err));
	abort();
}

void robust_init(pthread_mutex_t *m) {
	pthread_mutexattr_t a;
	int r;

	if ((r = pthread_mutexattr_init(&a)) != 0)
		die("mutexattr_init", r);
	if ((r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) != 0)
		die("setpshared", r);
	if ((r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) != 0)
		die("setrobust", r);
	if ((r = pthread_mutex_init(m, &a)) != 0)
		die("mutex_init", r);
	pthread_mutexattr_destroy(&a);
}

int robust_lock(pthread_mutex_t *m, void (*repair)(void *ud), void *ud) {
	int r = pthread_mutex_lock(m);

	if (r == EOWNERDEAD) {
		/* We own the lock now; the data is whatever the dead holder left.
		 * Repair before marking consistent, or the next death during
		 * repair would go unnoticed. */
		if (repair)
			repair(ud);
		r = pthread_mutex_consistent(m);
	}
	if (r != 0)
		die("lock", r);
	return 0;
}

void robust_unlock(pthread_mutex_t *m) {
	int r = pthread_mutex_unlock(m);

	if (r != 0)
		die("unlock", r);
}
