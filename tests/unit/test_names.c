/* test_names.c -- unit tests for the shared name table (shm/names.c) and
 * the robust mutex under it (shm/robust.c).
 *
 * Tables live in MAP_SHARED anonymous mappings, as in the real segment, so
 * the multi-process tests can fork readers and writers over one table.
 * Wherever several processes are involved, a name's handle is a function
 * of the name (handle_of), so any process can tell a wrong answer.
 */
#include "shm/names.h"
#include "shm/robust.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
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

static struct names *table_new(unsigned slots) {
	struct names *t = shared_alloc(names_size(slots));

	names_init(t, slots);
	return t;
}

static void table_free(struct names *t, unsigned slots) {
	munmap(t, names_size(slots));
}

/* Names used across processes look like "p<k>.<i>"; the handle encodes
 * both numbers, so it can be recomputed from the name alone.  The killed
 * writer's names, "w.<i>", all share one handle, so that one
 * names_remove_handle rewrites many slots under one lock hold. */
#define WRITER_HANDLE 0xabcdeu

static uint32_t handle_of(const char *name) {
	unsigned k, i;

	if (sscanf(name, "w.%u", &i) == 1)
		return WRITER_HANDLE;
	if (sscanf(name, "p%u.%u", &k, &i) != 2)
		return 0;
	return (uint32_t)(k + 1) << 20 | i;
}

static void name_of(char *buf, size_t size, unsigned k, unsigned i) {
	snprintf(buf, size, "p%u.%u", k, i);
}

/* Children never use ck_assert: check's message file is shared with the
 * test process, and a child killed in the middle of writing a message
 * corrupts it.  They report through their exit status instead. */

/* Wait for every child; true if all exited with status 0. */
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

START_TEST(test_insert_lookup) {
	struct names *t = table_new(64);

	ck_assert_int_eq(names_insert(t, ".launcher", 1), 0);
	ck_assert_int_eq(names_insert(t, ".logger", 2), 0);
	ck_assert_uint_eq(names_lookup(t, ".launcher"), 1);
	ck_assert_uint_eq(names_lookup(t, ".logger"), 2);
	ck_assert_uint_eq(names_lookup(t, ".log"), 0);
	ck_assert_uint_eq(names_lookup(t, ".loggerx"), 0);
	ck_assert_uint_eq(names_lookup(t, ""), 0);
	ck_assert_uint_eq(names_lookup(t, NULL), 0);
	table_free(t, 64);
}
END_TEST

START_TEST(test_duplicate) {
	struct names *t = table_new(64);

	ck_assert_int_eq(names_insert(t, ".a", 7), 0);
	ck_assert_int_eq(names_insert(t, ".a", 8), -EEXIST);
	ck_assert_int_eq(names_insert(t, ".a", 7), -EEXIST);
	ck_assert_uint_eq(names_lookup(t, ".a"), 7);
	table_free(t, 64);
}
END_TEST

START_TEST(test_invalid) {
	struct names *t = table_new(64);
	char name[NAMES_MAXLEN + 2];

	ck_assert_int_eq(names_insert(t, "", 1), -EINVAL);
	ck_assert_int_eq(names_insert(t, NULL, 1), -EINVAL);
	ck_assert_int_eq(names_insert(t, ".zero", 0), -EINVAL);

	memset(name, 'x', sizeof name);
	name[NAMES_MAXLEN + 1] = '\0'; /* one byte too long */
	ck_assert_int_eq(names_insert(t, name, 1), -EINVAL);
	ck_assert_uint_eq(names_lookup(t, name), 0);

	name[NAMES_MAXLEN] = '\0'; /* exactly the limit */
	ck_assert_int_eq(names_insert(t, name, 9), 0);
	ck_assert_uint_eq(names_lookup(t, name), 9);
	table_free(t, 64);
}
END_TEST

START_TEST(test_remove_handle) {
	struct names *t = table_new(64);

	ck_assert_int_eq(names_insert(t, ".a", 5), 0);
	ck_assert_int_eq(names_insert(t, ".b", 5), 0);
	ck_assert_int_eq(names_insert(t, ".c", 5), 0);
	ck_assert_int_eq(names_insert(t, ".d", 6), 0);
	ck_assert_int_eq(names_remove_handle(t, 5), 3);
	ck_assert_uint_eq(names_lookup(t, ".a"), 0);
	ck_assert_uint_eq(names_lookup(t, ".b"), 0);
	ck_assert_uint_eq(names_lookup(t, ".c"), 0);
	ck_assert_uint_eq(names_lookup(t, ".d"), 6);
	ck_assert_int_eq(names_remove_handle(t, 5), 0);
	/* A removed name can be taken again, by anyone. */
	ck_assert_int_eq(names_insert(t, ".a", 6), 0);
	ck_assert_uint_eq(names_lookup(t, ".a"), 6);
	table_free(t, 64);
}
END_TEST

/* A clustered node drops a dead service's local names but keeps its
 * global ones (S5.3.4-kill-drops-local-alias). */
START_TEST(test_remove_local) {
	struct names *t = table_new(64);

	ck_assert_int_eq(names_insert(t, ".a", 5), 0);
	ck_assert_int_eq(names_insert(t, "g", 5), 0);
	ck_assert_int_eq(names_remove_local(t, 5), 1);
	ck_assert_uint_eq(names_lookup(t, ".a"), 0);
	ck_assert_uint_eq(names_lookup(t, "g"), 5);
	ck_assert_int_eq(names_remove_handle(t, 5), 1);
	ck_assert_uint_eq(names_lookup(t, "g"), 0);
	table_free(t, 64);
}
END_TEST

START_TEST(test_set) {
	struct names *t = table_new(64);
	uint32_t old = 99;

	ck_assert_int_eq(names_set(t, "g", 5, &old), 0);
	ck_assert_uint_eq(old, 0);
	ck_assert_int_eq(names_set(t, "g", 7, &old), 0);
	ck_assert_uint_eq(old, 5);
	ck_assert_uint_eq(names_lookup(t, "g"), 7);
	ck_assert_int_eq(names_set(t, "", 7, &old), -EINVAL);
	ck_assert_int_eq(names_set(t, "h", 0, &old), -EINVAL);
	table_free(t, 64);
}
END_TEST

static bool is_even(uint32_t handle, void *ud) {
	(*(int *)ud)++;
	return handle % 2 == 0;
}

START_TEST(test_remove_if) {
	struct names *t = table_new(64);
	char name[32];
	int calls = 0;

	for (unsigned i = 1; i <= 20; i++) {
		snprintf(name, sizeof name, ".n%u", i);
		ck_assert_int_eq(names_insert(t, name, i), 0);
	}
	ck_assert_int_eq(names_remove_if(t, is_even, &calls), 10);
	ck_assert_int_eq(calls, 20);
	for (unsigned i = 1; i <= 20; i++) {
		snprintf(name, sizeof name, ".n%u", i);
		ck_assert_uint_eq(names_lookup(t, name), i % 2 ? i : 0);
	}
	table_free(t, 64);
}
END_TEST

START_TEST(test_full) {
	struct names *t = table_new(16);
	char name[32];

	for (unsigned i = 1; i <= 16; i++) {
		snprintf(name, sizeof name, ".f%u", i);
		ck_assert_int_eq(names_insert(t, name, i), 0);
	}
	ck_assert_int_eq(names_insert(t, ".more", 99), -ENOSPC);
	/* Full table: even a miss must end, and a duplicate still wins over
	 * ENOSPC. */
	ck_assert_uint_eq(names_lookup(t, ".more"), 0);
	ck_assert_int_eq(names_insert(t, ".f3", 99), -EEXIST);
	for (unsigned i = 1; i <= 16; i++) {
		snprintf(name, sizeof name, ".f%u", i);
		ck_assert_uint_eq(names_lookup(t, name), i);
	}
	table_free(t, 16);
}
END_TEST

/* In a full table every name shares one long probe cluster, so removing
 * some leaves tombstones on the paths of the others. */
START_TEST(test_tombstones) {
	struct names *t = table_new(8);
	char name[32];

	for (unsigned i = 1; i <= 8; i++) {
		snprintf(name, sizeof name, ".t%u", i);
		ck_assert_int_eq(names_insert(t, name, i), 0);
	}
	for (unsigned i = 1; i <= 8; i += 2)
		ck_assert_int_eq(names_remove_handle(t, i), 1);
	for (unsigned i = 1; i <= 8; i++) {
		snprintf(name, sizeof name, ".t%u", i);
		ck_assert_uint_eq(names_lookup(t, name), i % 2 ? 0 : i);
	}
	/* Nothing is empty now, so a miss walks every slot. */
	ck_assert_uint_eq(names_lookup(t, ".absent"), 0);
	/* The four tombstones are reused, then the table is full again; the
	 * survivors are still found past the new entries. */
	for (unsigned i = 1; i <= 4; i++) {
		snprintf(name, sizeof name, ".u%u", i);
		ck_assert_int_eq(names_insert(t, name, 100 + i), 0);
	}
	ck_assert_int_eq(names_insert(t, ".u5", 105), -ENOSPC);
	for (unsigned i = 2; i <= 8; i += 2) {
		snprintf(name, sizeof name, ".t%u", i);
		ck_assert_uint_eq(names_lookup(t, name), i);
		ck_assert_int_eq(names_insert(t, name, 1), -EEXIST);
	}
	for (unsigned i = 1; i <= 4; i++) {
		snprintf(name, sizeof name, ".u%u", i);
		ck_assert_uint_eq(names_lookup(t, name), 100 + i);
	}
	/* Emptying the table completely leaves it usable to the brim. */
	for (unsigned i = 0; i < 200; i++)
		names_remove_handle(t, i);
	for (unsigned i = 1; i <= 8; i++) {
		snprintf(name, sizeof name, ".v%u", i);
		ck_assert_int_eq(names_insert(t, name, i), 0);
	}
	ck_assert_int_eq(names_insert(t, ".v9", 9), -ENOSPC);
	table_free(t, 8);
}
END_TEST

/* Random inserts and removes on a small, crowded table, checked against a
 * plain array after every step: exercises tombstone reuse and the sweep
 * of tombstones back into empty slots. */
START_TEST(test_random_model) {
	enum { SLOTS = 32, NAMES = 48 };
	struct names *t = table_new(SLOTS);
	uint32_t model[NAMES] = { 0 };
	unsigned live = 0, seed = 12345;
	char name[32];

	for (int step = 0; step < 20000; step++) {
		unsigned i = rand_r(&seed) % NAMES;
		uint32_t h = i + 1;
		int r;

		name_of(name, sizeof name, 0, i);
		if (rand_r(&seed) % 2) {
			r = names_insert(t, name, h);
			if (model[i])
				ck_assert_int_eq(r, -EEXIST);
			else if (live == SLOTS)
				ck_assert_int_eq(r, -ENOSPC);
			else {
				ck_assert_int_eq(r, 0);
				model[i] = h;
				live++;
			}
		} else {
			ck_assert_int_eq(names_remove_handle(t, h), model[i] ? 1 : 0);
			live -= model[i] ? 1 : 0;
			model[i] = 0;
		}
		ck_assert_uint_eq(names_lookup(t, name), model[i]);
		if (step % 16)
			continue;
		for (unsigned j = 0; j < NAMES; j++) {
			name_of(name, sizeof name, 0, j);
			ck_assert_uint_eq(names_lookup(t, name), model[j]);
		}
	}
	table_free(t, SLOTS);
}
END_TEST

struct seen {
	int n;
	uint32_t sum;
	bool bad;
};

static void count_name(const char *name, uint32_t handle, void *ud) {
	struct seen *s = ud;

	s->n++;
	s->sum += handle;
	if (handle != handle_of(name))
		s->bad = true;
}

START_TEST(test_each) {
	struct names *t = table_new(128);
	struct seen s = { 0 };
	char name[32];
	uint32_t sum = 0;

	names_each(t, count_name, &s);
	ck_assert_int_eq(s.n, 0);
	for (unsigned i = 0; i < 50; i++) {
		name_of(name, sizeof name, 3, i);
		ck_assert_int_eq(names_insert(t, name, handle_of(name)), 0);
		if (i % 5 != 0)
			sum += handle_of(name);
	}
	for (unsigned i = 0; i < 50; i += 5) {
		name_of(name, sizeof name, 3, i);
		ck_assert_int_eq(names_remove_handle(t, handle_of(name)), 1);
	}
	names_each(t, count_name, &s);
	ck_assert_int_eq(s.n, 40);
	ck_assert_uint_eq(s.sum, sum);
	ck_assert(!s.bad);
	table_free(t, 128);
}
END_TEST

/* ---- robust mutex ---- */

static void count_repair(void *ud) {
	(*(int *)ud)++;
}

START_TEST(test_robust_dead_holder) {
	pthread_mutex_t *m = shared_alloc(sizeof *m);
	int repairs = 0;
	pid_t pid;

	robust_init(m);
	pid = fork();
	if (pid == 0) {
		robust_lock(m, NULL, NULL);
		_exit(0); /* dies holding the lock */
	}
	ck_assert_int_ge(pid, 0);
	ck_assert(reap(&pid, 1));
	ck_assert_int_eq(robust_lock(m, count_repair, &repairs), 0);
	ck_assert_int_eq(repairs, 1);
	robust_unlock(m);
	/* Consistent again: no more repairs. */
	ck_assert_int_eq(robust_lock(m, count_repair, &repairs), 0);
	ck_assert_int_eq(repairs, 1);
	robust_unlock(m);
	munmap(m, sizeof *m);
}
END_TEST

/* ---- several processes ---- */

enum { PROCS = 4, PER_PROC = 96, ROUNDS = 150, MP_SLOTS = 512 };

static bool odd_index_of(uint32_t handle, void *ud) {
	return (handle >> 20) == *(unsigned *)ud + 1 && (handle & 1);
}

static void check_each(const char *name, uint32_t handle, void *ud) {
	if (handle != handle_of(name))
		*(bool *)ud = true;
}

/* One child: churns its own names ("p<k>.*") and keeps checking both its
 * own (must be exact) and the others' (0 or the right handle). */
static int churn(struct names *t, unsigned k) {
	unsigned seed = k * 7919 + 1;
	char name[32];

	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned i = 0; i < PER_PROC; i++) {
			name_of(name, sizeof name, k, i);
			if (names_insert(t, name, handle_of(name)) != 0)
				return 1;
			if (names_lookup(t, name) != handle_of(name))
				return 2;
		}
		for (int n = 0; n < 400; n++) {
			unsigned o = rand_r(&seed) % PROCS;
			uint32_t h;

			name_of(name, sizeof name, o, rand_r(&seed) % PER_PROC);
			h = names_lookup(t, name);
			if (o == k ? h != handle_of(name) : h != 0 && h != handle_of(name))
				return 3;
		}
		bool bad = false;
		names_each(t, check_each, &bad);
		if (bad)
			return 4;
		/* Half of our names go one by one, the other half at once. */
		for (unsigned i = 0; i < PER_PROC; i += 2) {
			name_of(name, sizeof name, k, i);
			if (names_remove_handle(t, handle_of(name)) != 1)
				return 5;
			if (names_lookup(t, name) != 0)
				return 6;
		}
		if (names_remove_if(t, odd_index_of, &k) != PER_PROC / 2)
			return 7;
	}
	return 0;
}

START_TEST(test_concurrent) {
	struct names *t = table_new(MP_SLOTS);
	pid_t pids[PROCS];
	struct seen s = { 0 };

	for (unsigned k = 0; k < PROCS; k++) {
		pids[k] = fork();
		if (pids[k] == 0)
			_exit(churn(t, k));
		ck_assert_int_ge(pids[k], 0);
	}
	ck_assert(reap(pids, PROCS));
	names_each(t, count_name, &s);
	ck_assert_int_eq(s.n, 0);
	table_free(t, MP_SLOTS);
}
END_TEST

/* A writer killed at a random moment, often inside names_insert or
 * names_remove_handle with the lock held and a slot half-written.  The
 * survivors must find the table usable and every entry well-formed. */
enum { DEAD_SLOTS = 64, DEAD_NAMES = 40, DEAD_ROUNDS = 400 };

static void writer_name(char *buf, size_t size, unsigned i) {
	snprintf(buf, size, "w.%u", i);
}

_Noreturn static void writer_loop(struct names *t) {
	char name[32];

	for (;;) {
		for (unsigned i = 0; i < DEAD_NAMES; i++) {
			writer_name(name, sizeof name, i);
			names_insert(t, name, WRITER_HANDLE);
		}
		names_remove_handle(t, WRITER_HANDLE);
	}
}

START_TEST(test_dead_writer) {
	struct names *t = table_new(DEAD_SLOTS);
	unsigned seed = (unsigned)time(NULL);
	char name[32];

	for (unsigned round = 0; round < DEAD_ROUNDS; round++) {
		pid_t pid = fork();
		struct seen s = { 0 };
		int st;

		if (pid == 0)
			writer_loop(t);
		ck_assert_int_ge(pid, 0);
		usleep(rand_r(&seed) % 1000);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFSIGNALED(st));

		/* Lock-free readers first: they must not hang on a slot the
		 * dead writer left odd. */
		names_each(t, count_name, &s);
		ck_assert(!s.bad);
		ck_assert_int_le(s.n, DEAD_NAMES);
		for (unsigned i = 0; i < DEAD_NAMES; i++) {
			uint32_t h;

			writer_name(name, sizeof name, i);
			h = names_lookup(t, name);
			ck_assert(h == 0 || h == WRITER_HANDLE);
		}
		/* Then writers. */
		name_of(name, sizeof name, 0, round);
		ck_assert_int_eq(names_insert(t, name, handle_of(name)), 0);
		ck_assert_uint_eq(names_lookup(t, name), handle_of(name));
		ck_assert_int_le(names_remove_handle(t, WRITER_HANDLE), DEAD_NAMES);
		for (unsigned i = 0; i < DEAD_NAMES; i++) {
			writer_name(name, sizeof name, i);
			ck_assert_uint_eq(names_lookup(t, name), 0);
		}
		name_of(name, sizeof name, 0, round);
		ck_assert_int_eq(names_remove_handle(t, handle_of(name)), 1);
	}
	/* Nothing leaked: the table fills to every slot again. */
	for (unsigned i = 0; i < DEAD_SLOTS; i++) {
		name_of(name, sizeof name, 2, i);
		ck_assert_int_eq(names_insert(t, name, handle_of(name)), 0);
	}
	ck_assert_int_eq(names_insert(t, ".over", 1), -ENOSPC);
	table_free(t, DEAD_SLOTS);
}
END_TEST

static Suite *names_suite(void) {
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("single");
	TCase *mp = tcase_create("procs");

	tcase_add_test(tc, test_insert_lookup);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_remove_local);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_remove_handle);
	tcase_add_test(tc, test_remove_if);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_tombstones);
	tcase_add_test(tc, test_random_model);
	tcase_add_test(tc, test_each);
	suite_add_tcase(s, tc);

	tcase_add_test(mp, test_robust_dead_holder);
	tcase_add_test(mp, test_concurrent);
	tcase_add_test(mp, test_dead_writer);
	suite_add_tcase(s, mp);
	return s;
}

int main(void) {
	SRunner *sr = srunner_create(names_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
