/* test_harbor_book.c -- the master's book of global names (harbor/book.c):
 * the first binding wins for good (S5.3.4-global-alias-no-rebind), bad
 * names are refused, the book grows and stops at its bound. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harbor/book.h"

START_TEST(test_first_binding_wins)
{
	struct book b = {0};
	uint32_t bound;
	ck_assert_uint_eq(book_find(&b, "x"), 0);
	ck_assert_int_eq(book_bind(&b, "x", 0x01000008, &bound), BOOK_ADDED);
	ck_assert_uint_eq(bound, 0x01000008);
	ck_assert_int_eq(book_bind(&b, "x", 0x01000008, &bound), BOOK_SAME);
	ck_assert_int_eq(book_bind(&b, "x", 0x02000009, &bound), BOOK_TAKEN);
	ck_assert_uint_eq(bound, 0x01000008);
	ck_assert_uint_eq(book_find(&b, "x"), 0x01000008);
	ck_assert_uint_eq(b.count, 1);
	book_free(&b);
}
END_TEST

START_TEST(test_invalid)
{
	struct book b = {0};
	uint32_t bound = 7;
	char longname[BOOK_NAME_MAX + 2];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	ck_assert_int_eq(book_bind(&b, "", 1, &bound), BOOK_INVALID);
	ck_assert_uint_eq(bound, 0);
	ck_assert_int_eq(book_bind(&b, "x", 0, &bound), BOOK_INVALID);
	ck_assert_int_eq(book_bind(&b, longname, 1, &bound), BOOK_INVALID);
	longname[BOOK_NAME_MAX] = '\0'; /* exactly the limit */
	ck_assert_int_eq(book_bind(&b, longname, 1, &bound), BOOK_ADDED);
	ck_assert_uint_eq(book_find(&b, longname), 1);
	book_free(&b);
}
END_TEST

static void count(const char *name, uint32_t handle, void *ud)
{
	(void)name;
	*(uint64_t *)ud += handle;
}

/* Growing keeps every binding; past BOOK_MAX_NAMES a new name is refused
 * and the old ones stay. */
START_TEST(test_grow_and_bound)
{
	struct book b = {0};
	uint32_t bound;
	char name[32];
	for (uint32_t i = 1; i <= BOOK_MAX_NAMES; i++) {
		snprintf(name, sizeof name, "n%u", (unsigned)i);
		ck_assert_int_eq(book_bind(&b, name, i, &bound), BOOK_ADDED);
	}
	ck_assert_int_eq(book_bind(&b, "one more", 1, &bound), BOOK_FULL);
	ck_assert_uint_eq(book_find(&b, "one more"), 0);
	for (uint32_t i = 1; i <= BOOK_MAX_NAMES; i += 997) {
		snprintf(name, sizeof name, "n%u", (unsigned)i);
		ck_assert_uint_eq(book_find(&b, name), i);
	}
	uint64_t sum = 0;
	book_each(&b, count, &sum);
	ck_assert_uint_eq(sum, (uint64_t)BOOK_MAX_NAMES * (BOOK_MAX_NAMES + 1) / 2);
	book_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("harbor_book");
	TCase *tc = tcase_create("book");
	tcase_add_test(tc, test_first_binding_wins);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_grow_and_bound);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
