/* test_harbor_pending.c -- messages held for global names not known yet
 * (harbor/pending.c): handed out per name in the order sent, others kept,
 * and bounded. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harbor/pending.h"

struct seen {
	int32_t session[16];
	unsigned n;
};

static void record(const struct pending_msg *pm, void *ud)
{
	struct seen *s = ud;
	ck_assert_uint_eq(pm->size, 1);
	ck_assert_int_eq(pm->data[0], (unsigned char)pm->m.session);
	s->session[s->n++] = pm->m.session;
}

static void add(struct pending *p, const char *name, int32_t session)
{
	struct harbor_msg m = { 10, session, 0x01000005, 0 };
	unsigned char b = (unsigned char)session;
	ck_assert_int_eq(pending_add(p, name, 0, &m, &b, 1), 0);
}

START_TEST(test_order_per_name)
{
	struct pending p;
	pending_init(&p);
	add(&p, "a", 1);
	add(&p, "b", 2);
	add(&p, "a", 3);
	add(&p, "b", 4);
	add(&p, "a", 5);
	struct seen s = {0};
	pending_take(&p, "a", record, &s);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(s.session[0], 1);
	ck_assert_int_eq(s.session[1], 3);
	ck_assert_int_eq(s.session[2], 5);
	ck_assert_uint_eq(p.count, 2);
	/* The list still works after a take: new messages go last. */
	add(&p, "b", 6);
	memset(&s, 0, sizeof s);
	pending_take(&p, "b", record, &s);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(s.session[0], 2);
	ck_assert_int_eq(s.session[2], 6);
	ck_assert_uint_eq(p.count, 0);
	ck_assert_uint_eq(p.bytes, 0);
	ck_assert_ptr_null(p.head);
	add(&p, "c", 7);
	memset(&s, 0, sizeof s);
	pending_take(&p, "c", record, &s);
	ck_assert_uint_eq(s.n, 1);
	pending_free(&p);
}
END_TEST

START_TEST(test_bounds)
{
	struct pending p;
	pending_init(&p);
	struct harbor_msg m = { 10, 0, 0x01000005, 0 };
	char name[PENDING_NAME_MAX + 2];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ck_assert_int_eq(pending_add(&p, name, 0, &m, NULL, 0), -1);
	ck_assert_int_eq(pending_add(&p, "", 0, &m, NULL, 0), -1);
	for (unsigned i = 0; i < PENDING_MAX_MSGS; i++)
		ck_assert_int_eq(pending_add(&p, "x", 0, &m, NULL, 0), 0);
	ck_assert_int_eq(pending_add(&p, "x", 0, &m, NULL, 0), -1);
	pending_free(&p);
	ck_assert_uint_eq(p.count, 0);
	/* Bytes: a message that would pass the byte bound is refused. */
	size_t big = PENDING_MAX_BYTES / 2 + 1;
	unsigned char *data = calloc(1, big);
	ck_assert_int_eq(pending_add(&p, "x", 0, &m, data, (uint32_t)big), 0);
	ck_assert_int_eq(pending_add(&p, "x", 0, &m, data, (uint32_t)big), -1);
	free(data);
	pending_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("harbor_pending");
	TCase *tc = tcase_create("pending");
	tcase_add_test(tc, test_order_per_name);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
