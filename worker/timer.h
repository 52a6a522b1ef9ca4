/* timer.h -- a hierarchical timing wheel in 10 ms ticks.
 *
 * One per worker, private to it.  An entry is (handle, session); when it
 * expires the worker sends that service a response message with the
 * session, which is how skynet.sleep/timeout wake up.  Entries that expire
 * on the same tick fire in the order they were added.
 */
#ifndef ACTORD_WORKER_TIMER_H
#define ACTORD_WORKER_TIMER_H

#include <stdint.h>

struct timer_wheel;

typedef void (*timer_fire_fn)(void *ud, uint32_t handle, int session);

struct timer_wheel *timer_new(uint64_t now);   /* now: current tick */
void timer_free(struct timer_wheel *w);
/* Fire at tick now+delay (delay 0 fires on the next advance). */
void timer_add(struct timer_wheel *w, uint32_t delay, uint32_t handle,
               int session);
/* Move time forward to `now`, firing every entry that is due, in order. */
void timer_advance(struct timer_wheel *w, uint64_t now, timer_fire_fn fn,
                   void *ud);
/* Ticks from the current tick until the next entry may fire (a lower
 * bound, never later than the real expiry), or UINT64_MAX if empty. */
uint64_t timer_next(struct timer_wheel *w);
unsigned timer_count(struct timer_wheel *w);

#endif
