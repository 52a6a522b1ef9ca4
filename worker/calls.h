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
	uint32_t *to;       /* endpoint, | node << 16 for a remote call */
	uint32_t cap, n;
};

void calls_init(struct calls *c);
void calls_free(struct calls *c);
/* `to` is the endpoint; a call through the harbor sidecar also names the
 * node it went to (calls_to_node), so that a link that drops fails only
 * the calls waiting on that node. */
#define CALLS_EP_MASK 0xffffu
static inline unsigned calls_to_node(unsigned endpoint, unsigned node)
{
	return endpoint | node << 16;
}
void calls_add(struct calls *c, uint32_t caller, int32_t session, unsigned to);
void calls_remove(struct calls *c, uint32_t caller, int32_t session);
/* Remove every call into endpoint `to` (with `to` a bare endpoint), or
 * into one node through it (with `to` from calls_to_node), calling fn for
 * each. */
void calls_fail(struct calls *c, unsigned to,
                void (*fn)(uint32_t caller, int32_t session, void *ud),
                void *ud);

#endif
