/* test_directory.c -- the handle directory: ids are unique, increasing and
 * never reused; state and owner read back; killing by owner. */
#include <check.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/directory.h"

static struct directory *make(uint32_t slots)
{
	void *p = mmap(NULL, directory_size(slots), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	directory_init(p, slots);
	return p;
}

START_TEST(alloc_get_kill)
{
	struct directory *d = make(1024);
	unsigned owner = 99;
	ck_assert_int_eq(directory_get(d, 0, &owner), DIR_FREE);
	uint32_t a = directory_alloc(d, 3), b = directory_alloc(d, 7);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	ck_assert_int_eq(directory_get(d, a, &owner), DIR_ALIVE);
	ck_assert_uint_eq(owner, 3);
	/* The harbor byte of a handle does not matter to the directory. */
	ck_assert_int_eq(directory_get(d, 0x05000000u | b, &owner), DIR_ALIVE);
	ck_assert_uint_eq(owner, 7);
	directory_kill(d, a);
	ck_assert_int_eq(directory_get(d, a, &owner), DIR_DEAD);
	ck_assert_uint_eq(owner, 3); /* kept for post-mortems */
	ck_assert_int_eq(directory_get(d, 500, NULL), DIR_FREE);
	ck_assert_int_eq(directory_get(d, 5000, NULL), DIR_FREE);
	/* Never reused: the next id is fresh even after a death. */
	ck_assert_uint_eq(directory_alloc(d, 3), 3);
}
END_TEST

static void count(uint32_t id, void *ud)
{
	(void)id;
	(*(int *)ud)++;
}

START_TEST(kill_owner)
{
	struct directory *d = make(1024);
	for (int i = 0; i < 100; i++)
		directory_alloc(d, (unsigned)(i % 4));
	directory_kill(d, 1); /* owner 0, already dead */
	int n = 0;
	ck_assert_uint_eq(directory_kill_owner(d, 0, count, &n), 24);
	ck_assert_int_eq(n, 24);
	for (uint32_t id = 1; id <= 100; id++) {
		unsigned owner;
		enum dir_state st = directory_get(d, id, &owner);
		ck_assert_int_eq(st, owner == 0 ? DIR_DEAD : DIR_ALIVE);
	}
}
END_TEST

START_TEST(exhaustion)
{
	struct directory *d = make(8);
	for (int i = 1; i < 8; i++)
		ck_assert_uint_eq(directory_alloc(d, 0), (uint32_t)i);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(directory_alloc(d, 0), 0);
	ck_assert_uint_eq(directory_high(d), 8);
}
END_TEST

/* Several processes allocate at once: every id is handed out once. */
START_TEST(concurrent_unique)
{
	enum { PROCS = 4, EACH = 20000 };
	struct directory *d = make(PROCS * EACH + 16);
	for (int p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			for (int i = 0; i < EACH; i++)
				if (!directory_alloc(d, (unsigned)p))
					_exit(1);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st;
		wait(&st);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	int per[PROCS] = {0};
	for (uint32_t id = 1; id <= PROCS * EACH; id++) {
		unsigned owner;
		ck_assert_int_eq(directory_get(d, id, &owner), DIR_ALIVE);
		ck_assert_uint_lt(owner, PROCS);
		per[owner]++;
	}
	for (int p = 0; p < PROCS; p++)
		ck_assert_int_eq(per[p], EACH);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("directory");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, alloc_get_kill);
	tcase_add_test(tc, kill_owner);
	tcase_add_test(tc, exhaustion);
	tcase_add_test(tc, concurrent_unique);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
