/* test_envstore.c -- unit tests for the set-once shared environment
 * (shm/envstore.c).
 *
 * Stores live in MAP_SHARED anonymous mappings, as in the real segment.  In
 * the multi-process tests a value is a function of (setter, key), long and
 * self-describing, so a reader can tell a torn or foreign value.
 */
#include "shm/envstore.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *shared_alloc(size_t size) {
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static struct envstore *store_new(unsigned slots, size_t arena) {
	struct envstore *e = shared_alloc(envstore_size(slots, arena));

	envstore_init(e, slots, arena);
	return e;
}

static void store_free(struct envstore *e, unsigned slots, size_t arena) {
	munmap(e, envstore_size(slots, arena));
}

/* "<setter>:<key>:" then filler up to a length that depends on both, so
 * values differ in length as well as content. */
static void value_of(char *buf, size_t size, unsigned setter, const char *key) {
	size_t len = 300 + (setter * 37 + strlen(key) * 11) % 200;
	int n = snprintf(buf, size, "%u:%s:", setter, key);

	if (len >= size)
		len = size - 1;
	for (size_t i = (size_t)n; i < len; i++)
		buf[i] = 'a' + (char)((i + setter) % 26);
	buf[len] = '\0';
}

/* The setter a well-formed value names, or -1 if it is not one of ours. */
static int setter_of(const char *value, const char *key) {
	char want[600];
	unsigned setter;

	if (sscanf(value, "%u:", &setter) != 1)
		return -1;
	value_of(want, sizeof want, setter, key);
	return strcmp(want, value) == 0 ? (int)setter : -1;
}

/* Children never use ck_assert: check's message file is shared with the
 * test process, and a child killed in the middle of writing a message
 * corrupts it.  They report through their exit status instead. */
static bool reap(pid_t *pids, int n) {
	bool ok = true;

	for (int i = 0; i < n; i++) {
		int st;

		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = false;
	}
	return ok;
}

/* ---- single process ---- */

START_TEST(test_set_get) {
	struct envstore *e = store_new(64, 4096);

	ck_assert_ptr_null(envstore_get(e, "thread"));
	ck_assert_int_eq(envstore_set(e, "thread", "8"), 0);
	ck_assert_int_eq(envstore_set(e, "harbor", "1"), 0);
	ck_assert_str_eq(envstore_get(e, "thread"), "8");
	ck_assert_str_eq(envstore_get(e, "harbor"), "1");
	ck_assert_ptr_null(envstore_get(e, "threa"));
	ck_assert_ptr_null(envstore_get(e, "threads"));
	ck_assert_ptr_null(envstore_get(e, ""));
	ck_assert_ptr_null(envstore_get(e, NULL));
	store_free(e, 64, 4096);
}
END_TEST

START_TEST(test_set_once) {
	struct envstore *e = store_new(64, 4096);
	const char *v;

	ck_assert_int_eq(envstore_set(e, "start", "main"), 0);
	v = envstore_get(e, "start");
	ck_assert_int_eq(envstore_set(e, "start", "other"), -EEXIST);
	ck_assert_int_eq(envstore_set(e, "start", "main"), -EEXIST);
	ck_assert_str_eq(envstore_get(e, "start"), "main");
	ck_assert_ptr_eq(envstore_get(e, "start"), v); /* pointer stays valid */
	store_free(e, 64, 4096);
}
END_TEST

START_TEST(test_invalid_and_empty) {
	struct envstore *e = store_new(64, 4096);

	ck_assert_int_eq(envstore_set(e, "", "x"), -EINVAL);
	ck_assert_int_eq(envstore_set(e, NULL, "x"), -EINVAL);
	ck_assert_int_eq(envstore_set(e, "k", NULL), -EINVAL);
	ck_assert_int_eq(envstore_set(e, "empty", ""), 0);
	ck_assert_ptr_nonnull(envstore_get(e, "empty"));
	ck_assert_str_eq(envstore_get(e, "empty"), "");
	ck_assert_int_eq(envstore_set(e, "empty", "now"), -EEXIST);
	ck_assert_str_eq(envstore_get(e, "empty"), "");
	store_free(e, 64, 4096);
}
END_TEST

START_TEST(test_long_values) {
	enum { ARENA = 1 << 16 };
	struct envstore *e = store_new(64, ARENA);
	char value[5000], key[32];

	for (unsigned n = 0; n < 8; n++) {
		size_t len = 300 + n * 600;

		memset(value, 'a' + n, len);
		value[len] = '\0';
		snprintf(key, sizeof key, "lua_path%u", n);
		ck_assert_int_eq(envstore_set(e, key, value), 0);
	}
	for (unsigned n = 0; n < 8; n++) {
		size_t len = 300 + n * 600;
		const char *v;

		snprintf(key, sizeof key, "lua_path%u", n);
		v = envstore_get(e, key);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(strlen(v), len);
		ck_assert(v[0] == 'a' + (char)n && v[len - 1] == 'a' + (char)n);
	}
	store_free(e, 64, ARENA);
}
END_TEST

/* The table refuses new keys past 3/4 load; everything set stays. */
START_TEST(test_table_full) {
	struct envstore *e = store_new(64, 1 << 16);
	char key[32], value[32];
	int n = 0;

	for (;; n++) {
		int r;

		snprintf(key, sizeof key, "key%d", n);
		snprintf(value, sizeof value, "value%d", n);
		r = envstore_set(e, key, value);
		if (r == -ENOSPC)
			break;
		ck_assert_int_eq(r, 0);
		ck_assert_int_lt(n, 64);
	}
	ck_assert_int_eq(n, 48);
	ck_assert_int_eq(envstore_set(e, "key0", "again"), -EEXIST);
	ck_assert_ptr_null(envstore_get(e, "absent"));
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof key, "key%d", i);
		snprintf(value, sizeof value, "value%d", i);
		ck_assert_str_eq(envstore_get(e, key), value);
	}
	store_free(e, 64, 1 << 16);
}
END_TEST

/* The arena refuses an entry it cannot hold whole, but smaller ones that
 * still fit go in. */
START_TEST(test_arena_full) {
	enum { ARENA = 200 };
	struct envstore *e = store_new(256, ARENA);
	char key[32], value[64];
	size_t used = 1; /* offset 0 is reserved */
	int n = 0;

	memset(value, 'v', 40);
	value[40] = '\0';
	for (;; n++) {
		int r;

		snprintf(key, sizeof key, "k%d", n);
		r = envstore_set(e, key, value);
		if (r == -ENOSPC)
			break;
		ck_assert_int_eq(r, 0);
		used += strlen(key) + 1 + 40 + 1;
	}
	ck_assert_uint_le(used, ARENA);
	ck_assert_uint_gt(used + strlen(key) + 42, ARENA);
	ck_assert_ptr_null(envstore_get(e, key));
	ck_assert_int_eq(envstore_set(e, "s", ""), 0);
	ck_assert_str_eq(envstore_get(e, "s"), "");
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ck_assert_str_eq(envstore_get(e, key), value);
	}
	store_free(e, 256, ARENA);
}
END_TEST

struct seen {
	int n;
	int bad;
};

static void check_entry(const char *key, const char *value, void *ud) {
	struct seen *s = ud;
	char want[32];
	int i;

	s->n++;
	if (sscanf(key, "key%d", &i) != 1) {
		s->bad++;
		return;
	}
	snprintf(want, sizeof want, "value%d", i);
	if (strcmp(value, want) != 0)
		s->bad++;
}

START_TEST(test_each) {
	struct envstore *e = store_new(128, 1 << 14);
	struct seen s = { 0 };
	char key[32], value[32];

	envstore_each(e, check_entry, &s);
	ck_assert_int_eq(s.n, 0);
	for (int i = 0; i < 60; i++) {
		snprintf(key, sizeof key, "key%d", i);
		snprintf(value, sizeof value, "value%d", i);
		ck_assert_int_eq(envstore_set(e, key, value), 0);
	}
	envstore_each(e, check_entry, &s);
	ck_assert_int_eq(s.n, 60);
	ck_assert_int_eq(s.bad, 0);
	store_free(e, 128, 1 << 14);
}
END_TEST

/* ---- several processes ---- */

enum { PROCS = 4, KEYS = 300, MP_SLOTS = 512, MP_ARENA = 1 << 18 };

struct tally {
	_Atomic int wins[KEYS];
	_Atomic int winner[KEYS];
};

static void key_of(char *buf, size_t size, unsigned k) {
	snprintf(buf, size, "key.%u", k);
}

/* One child: sets every key in its own order, reading random keys as it
 * goes.  A read sees NULL or a whole value, and once it has seen a value
 * it sees that value for good. */
static int race(struct envstore *e, struct tally *t, unsigned me) {
	const char *seen[KEYS] = { 0 };
	unsigned order[KEYS], seed = me * 104729 + 7;
	char key[32], value[600];

	for (unsigned k = 0; k < KEYS; k++)
		order[k] = k;
	for (unsigned k = KEYS - 1; k > 0; k--) {
		unsigned j = rand_r(&seed) % (k + 1), x = order[k];

		order[k] = order[j];
		order[j] = x;
	}
	for (unsigned n = 0; n < KEYS; n++) {
		unsigned k = order[n];
		int r;

		key_of(key, sizeof key, k);
		value_of(value, sizeof value, me, key);
		r = envstore_set(e, key, value);
		if (r == 0) {
			atomic_fetch_add(&t->wins[k], 1);
			atomic_store(&t->winner[k], (int)me);
		} else if (r != -EEXIST) {
			return 1;
		}
		if (envstore_get(e, key) == NULL)
			return 2;
		for (int i = 0; i < 20; i++) {
			unsigned o = rand_r(&seed) % KEYS;
			const char *v;

			key_of(key, sizeof key, o);
			v = envstore_get(e, key);
			if (v == NULL) {
				if (seen[o])
					return 3;
				continue;
			}
			if (setter_of(v, key) < 0)
				return 4;
			if (seen[o] && seen[o] != v)
				return 5;
			seen[o] = v;
		}
	}
	return 0;
}

START_TEST(test_concurrent_setters) {
	struct envstore *e = store_new(MP_SLOTS, MP_ARENA);
	struct tally *t = shared_alloc(sizeof *t);
	pid_t pids[PROCS];
	char key[32];

	for (unsigned p = 0; p < PROCS; p++) {
		pids[p] = fork();
		if (pids[p] == 0)
			_exit(race(e, t, p));
		ck_assert_int_ge(pids[p], 0);
	}
	ck_assert(reap(pids, PROCS));
	for (unsigned k = 0; k < KEYS; k++) {
		const char *v;

		key_of(key, sizeof key, k);
		v = envstore_get(e, key);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(atomic_load(&t->wins[k]), 1);
		ck_assert_int_eq(setter_of(v, key), atomic_load(&t->winner[k]));
	}
	munmap(t, sizeof *t);
	store_free(e, MP_SLOTS, MP_ARENA);
}
END_TEST

/* A setter killed at random, sometimes with the lock held.  The store
 * stays usable, every entry whole, and the load limit still holds. */
enum { DEAD_SLOTS = 4096, DEAD_ARENA = 1 << 21, DEAD_ROUNDS = 100 };

/* A few new keys per round, then the same ones again (-EEXIST), so the
 * table does not fill in the first rounds.  The entries are made up
 * front so that the loop spends its time in envstore_set. */
enum { DEAD_KEYS = 25 };

_Noreturn static void setter_loop(struct envstore *e, unsigned round) {
	char key[DEAD_KEYS][32], value[DEAD_KEYS][600];

	for (unsigned i = 0; i < DEAD_KEYS; i++) {
		snprintf(key[i], sizeof key[i], "d%u.%u", round, i);
		value_of(value[i], sizeof value[i], round, key[i]);
	}
	for (unsigned i = 0;; i = (i + 1) % DEAD_KEYS)
		envstore_set(e, key[i], value[i]);
}

struct dead_seen {
	int n;
	int bad;
};

static void check_dead(const char *key, const char *value, void *ud) {
	struct dead_seen *s = ud;

	s->n++;
	if (setter_of(value, key) < 0)
		s->bad++;
}

START_TEST(test_dead_setter) {
	struct envstore *e = store_new(DEAD_SLOTS, DEAD_ARENA);
	unsigned seed = (unsigned)time(NULL);
	char key[32], value[600];
	int last = 0;

	for (unsigned round = 0; round < DEAD_ROUNDS; round++) {
		struct dead_seen s = { 0 };
		pid_t pid = fork();
		int st;

		if (pid == 0)
			setter_loop(e, round);
		ck_assert_int_ge(pid, 0);
		usleep(rand_r(&seed) % 500);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFSIGNALED(st));

		envstore_each(e, check_dead, &s);
		ck_assert_int_eq(s.bad, 0);
		ck_assert_int_ge(s.n, last);
		ck_assert_int_le(s.n, DEAD_SLOTS * 3 / 4);
		last = s.n;

		snprintf(key, sizeof key, "parent.%u", round);
		value_of(value, sizeof value, 1000 + round, key);
		if (envstore_set(e, key, value) == 0) {
			ck_assert_str_eq(envstore_get(e, key), value);
			last++;
		} else {
			ck_assert_int_eq(s.n, DEAD_SLOTS * 3 / 4);
		}
	}
	store_free(e, DEAD_SLOTS, DEAD_ARENA);
}
END_TEST

static Suite *envstore_suite(void) {
	Suite *s = suite_create("envstore");
	TCase *tc = tcase_create("single");
	TCase *mp = tcase_create("procs");

	tcase_add_test(tc, test_set_get);
	tcase_add_test(tc, test_set_once);
	tcase_add_test(tc, test_invalid_and_empty);
	tcase_add_test(tc, test_long_values);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_arena_full);
	tcase_add_test(tc, test_each);
	suite_add_tcase(s, tc);

	tcase_add_test(mp, test_concurrent_setters);
	tcase_add_test(mp, test_dead_setter);
	suite_add_tcase(s, mp);
	return s;
}

int main(void) {
	SRunner *sr = srunner_create(envstore_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
