/* calls.h -- calls this worker's services made into other endpoints and
 * that still await a reply.
 *
 * Only kept so that when an endpoint dies, every caller waiting on it gets
 * an error instead of waiting forever.  Keyed by (caller, session); the
 * value is the endpoint the request went to.
 */
#ifndef ACTORD_WORKER_CALLS_H
#define ACTORD_WORKER_CALLS_H

#include <stdint.h>

struct calls {
	uint64_t *key;      /* caller << 32 | session; 0 = empty */
	uint16_t *to;
	uint32_t cap, n;
};

void calls_init(struct calls *c);
void calls_free(struct calls *c);
void calls_add(struct calls *c, uint32_t caller, int32_t session, unsigned to);
void calls_remove(struct calls *c, uint32_t caller, int32_t session);
/* Remove every call into endpoint `to`, calling fn for each. */
void calls_fail(struct calls *c, unsigned to,
                void (*fn)(uint32_t caller, int32_t session, void *ud),
                void *ud);

#endif
