/*
 * check_freelist.c: a free list hands back what was put, never keeps more
 * than its max, counts what is out, and trimming lets all but its reserve
 * go (with what each object holds).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int	dropped;

static void	count_drop(void *);

/* Static: a list that kept something is on the global list for good. */
static struct freelist	fl_reuse = FREELIST_INITIALIZER(2, 0, count_drop);
static struct freelist	fl_one = FREELIST_INITIALIZER(4, 1, count_drop);
static struct freelist	fl_none = FREELIST_INITIALIZER(4, 0, count_drop);

static void
count_drop(void *p)
{
	dropped++;
}

START_TEST(test_reuse)
{
	struct freelist	*fl = &fl_reuse;
	void		*a, *b, *c, *again;

	dropped = 0;
	ck_assert_ptr_null(freelist_get(fl));
	a = xmalloc(16);
	ck_assert_ptr_null(freelist_get(fl));
	b = xmalloc(16);
	ck_assert_ptr_null(freelist_get(fl));
	c = xmalloc(16);
	ck_assert_uint_eq(fl->live, 3);

	freelist_put(fl, a);
	ck_assert_uint_eq(fl->live, 2);
	ck_assert_uint_eq(fl->n, FREELIST_ON ? 1 : 0);
	again = freelist_get(fl);
	ck_assert_ptr_eq(again, FREELIST_ON ? a : NULL);
	if (again == NULL)
		again = xmalloc(16);
	ck_assert_uint_eq(fl->live, 3);

	/* Two kept at most; the third back is freed (dropped). */
	freelist_put(fl, again);
	freelist_put(fl, b);
	freelist_put(fl, c);
	ck_assert_uint_eq(fl->live, 0);
	ck_assert_uint_eq(fl->n, FREELIST_ON ? 2 : 0);
	ck_assert_int_eq(dropped, FREELIST_ON ? 1 : 4);
	freelist_trim(fl, 0);
	ck_assert_uint_eq(fl->n, 0);
	ck_assert_int_eq(dropped, FREELIST_ON ? 3 : 4);
}
END_TEST

START_TEST(test_trim_all)
{
	struct freelist	*f1 = &fl_one, *f2 = &fl_none;
	void		*p[3], *q;
	int		 i;

	dropped = 0;
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_null(freelist_get(f1));
		p[i] = xmalloc(8);
	}
	ck_assert_ptr_null(freelist_get(f2));
	q = xmalloc(8);
	for (i = 0; i < 3; i++)
		freelist_put(f1, p[i]);
	freelist_put(f2, q);
	ck_assert_uint_eq(f1->n, FREELIST_ON ? 3 : 0);
	ck_assert_uint_eq(f2->n, FREELIST_ON ? 1 : 0);
	/* Quiet: each list keeps its reserve only. */
	freelist_trim_all();
	ck_assert_uint_eq(f1->n, FREELIST_ON ? 1 : 0);
	ck_assert_uint_eq(f2->n, 0);
	ck_assert_int_eq(dropped, FREELIST_ON ? 3 : 4);
	freelist_trim(f1, 0);
	ck_assert_int_eq(dropped, 4);
}
END_TEST

static Suite *
freelist_suite(void)
{
	Suite	*s = suite_create("freelist");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_trim_all);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(freelist_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
