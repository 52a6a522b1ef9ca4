/* test_timer.c -- unit tests for the per-worker timing wheel.
 *
 * Every fired entry is checked against a model: it must fire in the
 * advance call that covers its expiry tick, exactly once, and globally in
 * (expiry, insertion) order.  Hot loops count failures instead of calling
 * ck_assert per tick, because each passing ck_assert costs a write to the
 * check runner's pipe and would dominate the run time.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/timer.h"

#define HANDLE_OF(s) ((uint32_t)(s) * 2654435761u)

/* The model.  Sessions are allocated in insertion order, so "insertion
 * order" is simply increasing session. */
struct model {
    int n, cap;
    uint64_t *expire;       /* tick the entry is due */
    uint64_t *fire_at;      /* first `now` whose advance must fire it */
    unsigned char *fired;
    uint64_t prev_now, now; /* window of the advance in progress */
    uint64_t last_expire;   /* last fired, for the ordering check */
    int last_session;
    long errors;
    long fires;
};

static struct model *model_new(int cap)
{
    struct model *m = calloc(1, sizeof(*m));
    ck_assert_ptr_nonnull(m);
    m->cap = cap;
    m->expire = calloc((size_t)cap, sizeof(*m->expire));
    m->fire_at = calloc((size_t)cap, sizeof(*m->fire_at));
    m->fired = calloc((size_t)cap, 1);
    ck_assert(m->expire && m->fire_at && m->fired);
    m->last_session = -1;
    return m;
}

static void model_free(struct model *m)
{
    free(m->expire);
    free(m->fire_at);
    free(m->fired);
    free(m);
}

/* Add a timer to both the wheel and the model; cur is the wheel's tick. */
static int add(struct timer_wheel *w, struct model *m, uint64_t cur,
               uint32_t delay)
{
    ck_assert_int_lt(m->n, m->cap);
    int s = m->n++;
    m->expire[s] = cur + delay;
    /* Delay 0 is due on the next advance, i.e. at the earliest cur+1. */
    m->fire_at[s] = delay ? cur + delay : cur + 1;
    timer_add(w, delay, HANDLE_OF(s), s);
    return s;
}

static void on_fire(void *ud, uint32_t handle, int session)
{
    struct model *m = ud;
    m->fires++;
    if (session < 0 || session >= m->n || handle != HANDLE_OF(session)) {
        m->errors++;
        return;
    }
    if (m->fired[session]++)
        m->errors++;                    /* fired twice */
    uint64_t at = m->fire_at[session];
    if (at <= m->prev_now || at > m->now)
        m->errors++;                    /* too early or too late */
    uint64_t e = m->expire[session];
    if (m->last_session >= 0 &&
        (e < m->last_expire ||
         (e == m->last_expire && session < m->last_session)))
        m->errors++;                    /* out of order */
    m->last_expire = e;
    m->last_session = session;
}

static void advance(struct timer_wheel *w, struct model *m, uint64_t now)
{
    m->now = now;
    timer_advance(w, now, on_fire, m);
    m->prev_now = now;
}

static uint64_t rng_next(uint64_t *st)
{
    /* xorshift64*: deterministic and good enough for choosing delays. */
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return x * 2685821657736338717ull;
}

static const uint32_t special[] = {
    0, 1, 2, 254, 255, 256, 257, 511, 512, 16383, 16384, 16385,
    (1u << 20) - 1, 1u << 20, (1u << 20) + 1,
    (1u << 26) - 1, 1u << 26, (1u << 26) + 1,
    (1u << 31) - 1, 1u << 31, (1u << 31) + 1,
    UINT32_MAX - 1, UINT32_MAX,
};
#define NSPECIAL (int)(sizeof(special) / sizeof(special[0]))

/* ---- basic behaviour ------------------------------------------------- */

START_TEST(test_single)
{
    static const uint32_t delays[] = { 1, 10, 255, 256, 257, 300, 16384,
                                       70000 };
    static const uint64_t starts[] = { 0, 1000, (1ull << 32) - 20000,
                                       (1ull << 26) - 7 };
    for (size_t si = 0; si < sizeof(starts) / sizeof(starts[0]); si++) {
        for (size_t di = 0; di < sizeof(delays) / sizeof(delays[0]); di++) {
            uint64_t start = starts[si];
            uint32_t d = delays[di];
            struct timer_wheel *w = timer_new(start);
            struct model *m = model_new(4);
            m->prev_now = start;
            ck_assert_uint_eq(timer_next(w), UINT64_MAX);
            add(w, m, start, d);
            ck_assert_uint_eq(timer_count(w), 1);
            long bad = 0;
            for (uint64_t t = start + 1; t < start + d; t++) {
                advance(w, m, t);
                if (m->fires || timer_next(w) > start + d - t)
                    bad++;
            }
            ck_assert_int_eq(bad, 0);
            ck_assert_uint_eq(timer_count(w), 1);
            advance(w, m, start + d);
            ck_assert_int_eq(m->fires, 1);
            ck_assert_int_eq(m->errors, 0);
            ck_assert_uint_eq(timer_count(w), 0);
            ck_assert_uint_eq(timer_next(w), UINT64_MAX);
            model_free(m);
            timer_free(w);
        }
    }
}
END_TEST

START_TEST(test_single_jump)
{
    static const uint64_t starts[] = { 0, (1ull << 32) - 5, 123456789 };
    for (size_t si = 0; si < sizeof(starts) / sizeof(starts[0]); si++) {
        for (int k = 1; k < NSPECIAL; k++) {
            uint64_t start = starts[si];
            uint64_t e = start + special[k];
            struct timer_wheel *w = timer_new(start);
            struct model *m = model_new(4);
            m->prev_now = start;
            add(w, m, start, special[k]);
            ck_assert_uint_le(timer_next(w), special[k]);
            ck_assert_uint_ge(timer_next(w), 1);
            advance(w, m, e - 1);
            ck_assert_int_eq(m->fires, 0);
            ck_assert_uint_eq(timer_next(w), 1);
            advance(w, m, e);
            ck_assert_int_eq(m->fires, 1);
            ck_assert_int_eq(m->errors, 0);
            ck_assert_uint_eq(timer_count(w), 0);
            model_free(m);
            timer_free(w);
        }
    }
}
END_TEST

START_TEST(test_delay_zero)
{
    struct timer_wheel *w = timer_new(500);
    struct model *m = model_new(8);
    m->prev_now = 500;
    add(w, m, 500, 0);
    add(w, m, 500, 0);
    ck_assert_uint_eq(timer_next(w), 0);
    ck_assert_uint_eq(timer_count(w), 2);
    /* Due on the next advance even if the clock has not moved. */
    m->fire_at[0] = m->fire_at[1] = 500;
    m->prev_now = 499;
    advance(w, m, 500);
    ck_assert_int_eq(m->fires, 2);
    ck_assert_int_eq(m->errors, 0);
    ck_assert_uint_eq(timer_count(w), 0);
    ck_assert_uint_eq(timer_next(w), UINT64_MAX);

    /* And in order with a delay-1 entry added before it. */
    add(w, m, 500, 1);
    add(w, m, 500, 0);
    m->prev_now = 500;
    advance(w, m, 501);
    ck_assert_int_eq(m->fires, 4);
    /* The delay-0 entry (expiry 500) must come first. */
    ck_assert_int_eq(m->last_session, 2);
    ck_assert_int_eq(m->errors, 0);
    model_free(m);
    timer_free(w);
}
END_TEST

START_TEST(test_empty_jump)
{
    struct timer_wheel *w = timer_new(0);
    struct model *m = model_new(4);
    ck_assert_uint_eq(timer_next(w), UINT64_MAX);
    advance(w, m, 1ull << 60);          /* must not loop */
    ck_assert_int_eq(m->fires, 0);
    add(w, m, 1ull << 60, 5);
    ck_assert_uint_eq(timer_next(w), 5);
    advance(w, m, (1ull << 60) + 4);
    ck_assert_int_eq(m->fires, 0);
    advance(w, m, (1ull << 60) + 5);
    ck_assert_int_eq(m->fires, 1);
    ck_assert_int_eq(m->errors, 0);
    model_free(m);
    timer_free(w);
}
END_TEST

/* ---- random delays, tick by tick and then by jumps ------------------- */

#define RAND_N     100000
#define RAND_TICKS 1100000u     /* stepped one tick at a time */
#define RAND_LARGE 1000         /* delays beyond the stepped range */
#define RAND_EXTRA 20           /* added every RAND_EVERY ticks */
#define RAND_EVERY 9973u

struct pending {
    uint32_t *at;               /* pending count per offset from start */
    uint64_t min_off;           /* no pending entry below this offset */
    uint64_t large_min;         /* min expiry beyond the stepped range */
};

static void note_pending(struct pending *p, uint64_t start, uint64_t e)
{
    uint64_t off = e - start;
    if (off <= RAND_TICKS) {
        p->at[off]++;
        if (off < p->min_off)
            p->min_off = off;
    } else if (e < p->large_min) {
        p->large_min = e;
    }
}

static uint64_t true_min(struct pending *p, uint64_t start)
{
    while (p->min_off <= RAND_TICKS && p->at[p->min_off] == 0)
        p->min_off++;
    return p->min_off <= RAND_TICKS ? start + p->min_off : p->large_min;
}

static int cmp_expire(const void *a, const void *b, void *arg)
{
    const uint64_t *exp = arg;
    uint64_t x = exp[*(const int *)a], y = exp[*(const int *)b];
    if (x != y)
        return x < y ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* Step from start tick by tick, checking each fire, timer_next and
 * timer_count; add more entries along the way, some aimed at expiries
 * already in the wheel so equal expiries arrive via different levels. */
static void step_phase(struct timer_wheel *w, struct model *m,
                       struct pending *p, uint64_t start, uint64_t *rng)
{
    long bad_next = 0, bad_count = 0;
    long pending = m->n;
    for (uint64_t t = start + 1; t <= start + RAND_TICKS; t++) {
        long before = m->fires;
        advance(w, m, t);
        pending -= m->fires - before;
        if (p->at[t - 1 - start] + p->at[t - start] != (uint32_t)(m->fires - before))
            bad_count++;
        p->at[t - 1 - start] = p->at[t - start] = 0;
        if ((t - start) % RAND_EVERY == 0) {
            for (int k = 0; k < RAND_EXTRA; k++) {
                uint64_t r = rng_next(rng);
                uint32_t d;
                int old = (int)(r % (uint64_t)m->n);
                if ((k & 1) && m->expire[old] > t)
                    d = (uint32_t)(m->expire[old] - t);
                else
                    d = (uint32_t)((r >> 32) % 300000);
                int s = add(w, m, t, d);
                note_pending(p, start, m->expire[s]);
                pending++;
            }
        }
        uint64_t mn = true_min(p, start);
        uint64_t nx = timer_next(w);
        if (mn < t || nx > mn - t)
            bad_next++;
        if (timer_count(w) != (unsigned)pending)
            bad_count++;
    }
    ck_assert_int_eq(bad_next, 0);
    ck_assert_int_eq(bad_count, 0);
}

/* Fire the rest with one jump to just before, then to, each expiry. */
static void jump_phase(struct timer_wheel *w, struct model *m)
{
    int *left = malloc((size_t)m->n * sizeof(*left));
    ck_assert_ptr_nonnull(left);
    int nleft = 0;
    for (int s = 0; s < m->n; s++)
        if (!m->fired[s])
            left[nleft++] = s;
    ck_assert_uint_eq(timer_count(w), (unsigned)nleft);
    qsort_r(left, (size_t)nleft, sizeof(*left), cmp_expire, m->expire);
    long bad = 0;
    for (int i = 0; i < nleft;) {
        uint64_t e = m->expire[left[i]];
        int j = i;
        while (j < nleft && m->expire[left[j]] == e)
            j++;
        if (timer_next(w) > e - m->prev_now)
            bad++;
        long before = m->fires;
        if (e - 1 > m->prev_now)
            advance(w, m, e - 1);
        if (m->fires != before || timer_next(w) > 1)
            bad++;
        advance(w, m, e);
        if (m->fires - before != j - i ||
            timer_count(w) != (unsigned)(nleft - j))
            bad++;
        i = j;
    }
    ck_assert_int_eq(bad, 0);
    free(left);
}

static void random_run(uint64_t start, uint64_t seed)
{
    struct timer_wheel *w = timer_new(start);
    int cap = RAND_N + RAND_LARGE + NSPECIAL * 3 +
              (int)(RAND_TICKS / RAND_EVERY + 1) * RAND_EXTRA;
    struct model *m = model_new(cap);
    struct pending p = { calloc(RAND_TICKS + 1, sizeof(uint32_t)), 0,
                         UINT64_MAX };
    ck_assert_ptr_nonnull(p.at);
    uint64_t rng = seed;
    m->prev_now = start;

    for (int i = 0; i < RAND_N; i++) {
        uint32_t d = (uint32_t)(rng_next(&rng) % 1000001);
        /* Sprinkle the boundary values in among the random ones. */
        if (i % 4001 == 0)
            add(w, m, start, special[(i / 4001) % NSPECIAL]);
        if (i % 50 == 0)
            d = (uint32_t)(rng_next(&rng) % 600);  /* crowd the near wheel */
        if (i % 100 == 0 && i / 100 < RAND_LARGE)
            d = (uint32_t)(rng_next(&rng) >> 32);
        add(w, m, start, d);
    }
    for (int k = 0; k < NSPECIAL * 2; k++)
        add(w, m, start, special[k % NSPECIAL]);
    for (int s = 0; s < m->n; s++)
        note_pending(&p, start, m->expire[s]);
    ck_assert_uint_eq(timer_count(w), (unsigned)m->n);

    step_phase(w, m, &p, start, &rng);
    ck_assert_int_eq(m->errors, 0);
    jump_phase(w, m);

    ck_assert_int_eq(m->errors, 0);
    ck_assert_int_eq(m->fires, m->n);
    for (int s = 0; s < m->n; s++)
        ck_assert_int_eq(m->fired[s], 1);
    ck_assert_uint_eq(timer_count(w), 0);
    ck_assert_uint_eq(timer_next(w), UINT64_MAX);
    free(p.at);
    model_free(m);
    timer_free(w);
}

START_TEST(test_random_from_zero)
{
    random_run(0, 0x9e3779b97f4a7c15ull);
}
END_TEST

START_TEST(test_random_cross_2_32)
{
    /* The stepped range and the large delays cross a 2^32 boundary. */
    random_run((1ull << 32) - 600000, 0x1234567ull);
}
END_TEST

START_TEST(test_random_odd_start)
{
    random_run(((1ull << 26) - 3) + 0x1234500000000ull, 0xdeadbeefull);
}
END_TEST

/* ---- same tick, different cascade paths ------------------------------ */

/* Add entries for the same expiry T (and T+1) at many moments, so they
 * enter at every level and meet only after cascading; they must fire in
 * insertion order.  `by_jump` reaches each add point with one advance. */
static void fifo_run(uint64_t start, int by_jump)
{
    uint64_t T = start + (1ull << 27) + 3 * (1ull << 20) + 5 * (1ull << 14)
                 + 7 * 256 + 9;
    uint64_t pts[] = {
        start, start + 1, T - (1ull << 26) - 1, T - (1ull << 26) + 1,
        T & ~((1ull << 26) - 1), (T & ~((1ull << 26) - 1)) - 1,
        T - (1ull << 20) - 5, T & ~((1ull << 20) - 1),
        (T & ~((1ull << 20) - 1)) - 1, T - 16384, T & ~16383ull,
        (T & ~16383ull) - 1, T - 257, T - 256, T - 255, T & ~255ull,
        (T & ~255ull) - 1, T - 3, T - 1,
    };
    int npts = (int)(sizeof(pts) / sizeof(pts[0]));
    /* Visit in time order. */
    for (int i = 1; i < npts; i++)
        for (int j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
            uint64_t x = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = x;
        }

    struct timer_wheel *w = timer_new(start);
    struct model *m = model_new(npts * 6);
    m->prev_now = start;
    for (int i = 0; i < npts; i++) {
        uint64_t t = pts[i];
        if (t > m->prev_now) {
            if (by_jump) {
                advance(w, m, t);
            } else {
                /* Step only near the point; a jump covers the rest. */
                if (t - m->prev_now > 600)
                    advance(w, m, t - 600);
                while (m->prev_now < t)
                    advance(w, m, m->prev_now + 1);
            }
        }
        add(w, m, t, (uint32_t)(T - t));
        add(w, m, t, (uint32_t)(T + 1 - t));
        add(w, m, t, (uint32_t)(T - t));
    }
    ck_assert_int_eq(m->fires, 0);
    ck_assert_uint_le(timer_next(w), T - m->prev_now);
    /* Ordering is checked by on_fire: T entries in session order, then
     * the T+1 ones in session order. */
    advance(w, m, T - 1);
    ck_assert_int_eq(m->fires, 0);
    advance(w, m, T + 1);
    ck_assert_int_eq(m->fires, m->n);
    ck_assert_int_eq(m->errors, 0);
    ck_assert_uint_eq(timer_count(w), 0);
    model_free(m);
    timer_free(w);
}

START_TEST(test_fifo_paths)
{
    fifo_run(0, 1);
    fifo_run(0, 0);
    fifo_run((1ull << 32) - (1ull << 20) - 12345, 1);
    fifo_run((1ull << 32) - (1ull << 20) - 12345, 0);
}
END_TEST

START_TEST(test_fifo_same_tick)
{
    struct timer_wheel *w = timer_new(77);
    struct model *m = model_new(1000);
    m->prev_now = 77;
    for (int i = 0; i < 1000; i++)
        add(w, m, 77, (uint32_t)(1000 + (i % 3)));
    advance(w, m, 77 + 1002);
    ck_assert_int_eq(m->fires, 1000);
    ck_assert_int_eq(m->errors, 0);
    model_free(m);
    timer_free(w);
}
END_TEST

/* ---- big jumps ------------------------------------------------------- */

START_TEST(test_big_jump)
{
    enum { N = 50000 };
    uint64_t start = 42;
    struct timer_wheel *w = timer_new(start);
    struct model *m = model_new(N + NSPECIAL);
    uint64_t rng = 7;
    m->prev_now = start;
    for (int i = 0; i < NSPECIAL; i++)
        add(w, m, start, special[i]);
    for (int i = 0; i < N; i++)
        add(w, m, start, (uint32_t)(rng_next(&rng) >> 32));

    /* Half way, then past everything: each entry exactly once, in order. */
    uint64_t mid = start + (1ull << 31);
    long due = 0;
    for (int s = 0; s < m->n; s++)
        if (m->fire_at[s] <= mid)
            due++;
    advance(w, m, mid);
    ck_assert_int_eq(m->fires, due);
    ck_assert_int_eq(m->errors, 0);
    ck_assert_uint_eq(timer_count(w), (unsigned)(m->n - due));
    advance(w, m, start + (1ull << 33));
    ck_assert_int_eq(m->fires, m->n);
    ck_assert_int_eq(m->errors, 0);
    for (int s = 0; s < m->n; s++)
        ck_assert_int_eq(m->fired[s], 1);
    ck_assert_uint_eq(timer_count(w), 0);
    ck_assert_uint_eq(timer_next(w), UINT64_MAX);
    model_free(m);
    timer_free(w);
}
END_TEST

/* ---- callbacks that add timers --------------------------------------- */

struct reentry {
    struct timer_wheel *w;
    int log[8];
    uint64_t tick[8];
    int n;
    uint64_t now;
};

static void on_fire_add(void *ud, uint32_t handle, int session)
{
    struct reentry *r = ud;
    if (r->n < 8) {
        r->tick[r->n] = r->now;
        r->log[r->n++] = session;
    }
    if (session == 1) {
        timer_add(r->w, 0, handle, 10);    /* same advance, right after */
        timer_add(r->w, 1, handle, 11);    /* the next tick */
        timer_add(r->w, 300, handle, 12);
    }
}

START_TEST(test_reentrant_add)
{
    struct reentry r = { .w = timer_new(0) };
    timer_add(r.w, 5, 1, 1);
    timer_add(r.w, 5, 1, 2);
    timer_add(r.w, 6, 1, 3);
    for (r.now = 1; r.now <= 400; r.now++)
        timer_advance(r.w, r.now, on_fire_add, &r);
    static const int want[] = { 1, 2, 10, 3, 11, 12 };
    static const uint64_t want_tick[] = { 5, 5, 5, 6, 6, 305 };
    ck_assert_int_eq(r.n, 6);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(r.log[i], want[i]);
        ck_assert_uint_eq(r.tick[i], want_tick[i]);
    }
    ck_assert_uint_eq(timer_count(r.w), 0);
    timer_free(r.w);
}
END_TEST

/* timer_free must release pending and recycled entries (ASan checks). */
START_TEST(test_free_pending)
{
    struct timer_wheel *w = timer_new(0);
    for (int i = 0; i < NSPECIAL; i++)
        timer_add(w, special[i], 1, i);
    struct model *m = model_new(1);
    timer_advance(w, 300, on_fire, m);  /* errors expected: not modelled */
    model_free(m);
    ck_assert_uint_eq(timer_count(w), (unsigned)(NSPECIAL - 7));
    timer_free(w);
    timer_free(NULL);
}
END_TEST

static Suite *timer_suite(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_single);
    tcase_add_test(tc, test_single_jump);
    tcase_add_test(tc, test_delay_zero);
    tcase_add_test(tc, test_empty_jump);
    tcase_add_test(tc, test_fifo_same_tick);
    tcase_add_test(tc, test_fifo_paths);
    tcase_add_test(tc, test_big_jump);
    tcase_add_test(tc, test_reentrant_add);
    tcase_add_test(tc, test_free_pending);
    tcase_add_test(tc, test_random_from_zero);
    tcase_add_test(tc, test_random_cross_2_32);
    tcase_add_test(tc, test_random_odd_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(timer_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
