/* timer.c -- hierarchical timing wheel, one per worker.
 *
 * Layout: a near wheel of 256 one-tick slots and four levels of 64 slots
 * each covering 2^8, 2^14, 2^20 and 2^26 ticks per slot.  An entry lives
 * in the level chosen by the highest bit in which its expiry differs from
 * the current tick (cur): if they agree above bit 8 it is in the near
 * wheel, above bit 14 in level 0, and so on.  The top level is used
 * circularly, which is what lets a delay of up to 2^32-1 ticks work while
 * cur is 64 bits wide: such an expiry is at most 64 top-level slots ahead.
 *
 * When cur enters a new slot of some level that slot is emptied into the
 * lower levels (highest level first).  Because placement depends only on
 * (expiry, cur), two entries with the same expiry always sit in the same
 * list; appending on insert and re-appending in list order on cascade
 * therefore keeps them in insertion order whatever path they took.
 *
 * Each level keeps a bitmap of non-empty slots, so finding the next
 * interesting tick is a handful of ctz's and timer_advance can jump over
 * empty stretches instead of stepping through them.
 */
#include "worker/timer.h"

#include <stdio.h>
#include <stdlib.h>

#define NEAR_BITS  8
#define NEAR_SLOTS (1u << NEAR_BITS)
#define NEAR_WORDS (NEAR_SLOTS / 64)
#define LVL_BITS   6
#define LVL_SLOTS  (1u << LVL_BITS)
#define LVL_COUNT  4
#define TOP        (LVL_COUNT - 1)

struct timer_entry {
    struct timer_entry *next;
    uint64_t expire;
    uint32_t handle;
    int session;
};

struct timer_list {
    struct timer_entry *head;
    struct timer_entry *tail;
};

struct timer_wheel {
    uint64_t cur;                   /* last tick processed */
    unsigned count;
    struct timer_list due;          /* delay 0: fire on the next advance */
    struct timer_list near[NEAR_SLOTS];
    struct timer_list lvl[LVL_COUNT][LVL_SLOTS];
    uint64_t near_map[NEAR_WORDS];
    uint64_t lvl_map[LVL_COUNT];
    struct timer_entry *free_list;  /* recycled entries */
};

/* Lowest tick bit that indexes level i. */
static unsigned lvl_shift(int i)
{
    return NEAR_BITS + (unsigned)i * LVL_BITS;
}

static void list_append(struct timer_list *l, struct timer_entry *e)
{
    e->next = NULL;
    if (l->tail)
        l->tail->next = e;
    else
        l->head = e;
    l->tail = e;
}

static struct timer_entry *list_take(struct timer_list *l)
{
    struct timer_entry *e = l->head;
    l->head = l->tail = NULL;
    return e;
}

static void free_chain(struct timer_entry *e)
{
    while (e) {
        struct timer_entry *next = e->next;
        free(e);
        e = next;
    }
}

static struct timer_entry *entry_alloc(struct timer_wheel *w)
{
    struct timer_entry *e = w->free_list;
    if (e) {
        w->free_list = e->next;
        return e;
    }
    e = malloc(sizeof(*e));
    if (e == NULL) {
        /* The API cannot report failure, and dropping a wakeup would
         * leave a coroutine asleep forever; fail loudly instead. */
        fprintf(stderr, "actord: timer: out of memory\n");
        abort();
    }
    return e;
}

static void entry_release(struct timer_wheel *w, struct timer_entry *e)
{
    e->next = w->free_list;
    w->free_list = e;
}

/* Place e according to its expiry relative to cur; expire >= cur. */
static void place(struct timer_wheel *w, struct timer_entry *e)
{
    uint64_t diff = e->expire ^ w->cur;
    if ((diff >> NEAR_BITS) == 0) {
        unsigned s = (unsigned)(e->expire & (NEAR_SLOTS - 1));
        list_append(&w->near[s], e);
        w->near_map[s / 64] |= 1ull << (s % 64);
        return;
    }
    int i = 0;
    /* Anything beyond level TOP's span still fits in TOP, used as a
     * ring: delays are < 2^32 so it is at most one revolution ahead. */
    while (i < TOP && (diff >> lvl_shift(i + 1)) != 0)
        i++;
    unsigned s = (unsigned)(e->expire >> lvl_shift(i)) & (LVL_SLOTS - 1);
    list_append(&w->lvl[i][s], e);
    w->lvl_map[i] |= 1ull << s;
}

struct timer_wheel *timer_new(uint64_t now)
{
    struct timer_wheel *w = calloc(1, sizeof(*w));
    if (w)
        w->cur = now;
    return w;
}

void timer_free(struct timer_wheel *w)
{
    if (w == NULL)
        return;
    free_chain(w->due.head);
    for (unsigned s = 0; s < NEAR_SLOTS; s++)
        free_chain(w->near[s].head);
    for (int i = 0; i < LVL_COUNT; i++)
        for (unsigned s = 0; s < LVL_SLOTS; s++)
            free_chain(w->lvl[i][s].head);
    free_chain(w->free_list);
    free(w);
}

void timer_add(struct timer_wheel *w, uint32_t delay, uint32_t handle,
               int session)
{
    struct timer_entry *e = entry_alloc(w);
    e->expire = w->cur + delay;
    e->handle = handle;
    e->session = session;
    w->count++;
    /* cur's own slot was already fired (or is being fired right now). */
    if (delay == 0)
        list_append(&w->due, e);
    else
        place(w, e);
}

/* First set bit at index > after in a 64-bit map, or -1. */
static int next_bit(uint64_t map, int after)
{
    if (after >= 63)
        return -1;
    map &= ~0ull << (after + 1);
    return map ? __builtin_ctzll(map) : -1;
}

/* Ticks from cur to the start of the first non-empty slot, or UINT64_MAX.
 * Every slot starting earlier is empty, so nothing (neither a firing nor
 * a cascade that moves anything) happens before then. */
static uint64_t next_gap(const struct timer_wheel *w)
{
    uint64_t cur = w->cur;
    int cs = (int)(cur & (NEAR_SLOTS - 1));
    for (int k = cs / 64; k < (int)NEAR_WORDS; k++) {
        int b = next_bit(w->near_map[k], k == cs / 64 ? cs % 64 : -1);
        if (b >= 0)
            return (uint64_t)(k * 64 + b - cs);
    }
    /* Below the top level, slots at or behind cur's are always empty. */
    for (int i = 0; i < TOP; i++) {
        unsigned sh = lvl_shift(i);
        int ci = (int)((cur >> sh) & (LVL_SLOTS - 1));
        int b = next_bit(w->lvl_map[i], ci);
        if (b >= 0)
            return (((cur >> sh) + (uint64_t)(b - ci)) << sh) - cur;
    }
    uint64_t map = w->lvl_map[TOP];
    if (map == 0)
        return UINT64_MAX;
    unsigned sh = lvl_shift(TOP);
    unsigned ci = (unsigned)((cur >> sh) & (LVL_SLOTS - 1));
    /* Rotate so bit 0 is the slot just after cur's; cur's own slot then
     * lands on bit 63, a full revolution ahead. */
    uint64_t rot = ci == 63 ? map : (map >> (ci + 1)) | (map << (63 - ci));
    uint64_t ahead = (uint64_t)__builtin_ctzll(rot) + 1;
    return (((cur >> sh) + ahead) << sh) - cur;
}

uint64_t timer_next(struct timer_wheel *w)
{
    if (w->due.head)
        return 0;
    return next_gap(w);
}

unsigned timer_count(struct timer_wheel *w)
{
    return w->count;
}

static void cascade(struct timer_wheel *w, int i)
{
    unsigned s = (unsigned)(w->cur >> lvl_shift(i)) & (LVL_SLOTS - 1);
    struct timer_entry *e = list_take(&w->lvl[i][s]);
    w->lvl_map[i] &= ~(1ull << s);
    while (e) {
        struct timer_entry *next = e->next;
        place(w, e);
        e = next;
    }
}

/* Fire a detached chain.  Entries are recycled before the callback so a
 * callback that adds timers can reuse them. */
static void fire_chain(struct timer_wheel *w, struct timer_entry *e,
                       timer_fire_fn fn, void *ud)
{
    while (e) {
        struct timer_entry *next = e->next;
        uint32_t handle = e->handle;
        int session = e->session;
        entry_release(w, e);
        w->count--;
        fn(ud, handle, session);
        e = next;
    }
}

/* Callbacks may add delay-0 timers; fire them before moving on so they
 * come before anything due on a later tick. */
static void fire_due(struct timer_wheel *w, timer_fire_fn fn, void *ud)
{
    while (w->due.head)
        fire_chain(w, list_take(&w->due), fn, ud);
}

/* Advance cur by one tick: cascade whatever slots it enters, then fire
 * the near slot.  The order of cascades does not matter for correctness
 * (place() never puts an entry into cur's own slot of a lower level, it
 * goes lower still); top-down is just the natural order. */
static void step(struct timer_wheel *w, timer_fire_fn fn, void *ud)
{
    uint64_t cur = ++w->cur;
    for (int i = TOP; i >= 0; i--) {
        uint64_t low = (1ull << lvl_shift(i)) - 1;
        if ((cur & low) == 0)
            cascade(w, i);
    }
    unsigned s = (unsigned)(cur & (NEAR_SLOTS - 1));
    w->near_map[s / 64] &= ~(1ull << (s % 64));
    fire_chain(w, list_take(&w->near[s]), fn, ud);
    fire_due(w, fn, ud);
}

void timer_advance(struct timer_wheel *w, uint64_t now, timer_fire_fn fn,
                   void *ud)
{
    fire_due(w, fn, ud);
    while (w->cur < now) {
        uint64_t gap = next_gap(w);
        if (gap > now - w->cur) {
            /* Nothing due up to now and no non-empty slot is entered,
             * so every entry keeps its place: just move the clock. */
            w->cur = now;
            return;
        }
        w->cur += gap - 1;
        step(w, fn, ud);
    }
}
