/*
 * check_freelist.c: a free list hands back what was put, never more than
 * its max, counts what is out, and lets all but its reserve go once
 * nothing is out.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int	dropped;

static void
count_drop(void *p)
{
	dropped++;
}

START_TEST(test_reuse)
{
	struct freelist	 fl = FREELIST_INITIALIZER(2, 0, count_drop);
	void		*a, *b, *c, *keep;

	dropped = 0;
	ck_assert_ptr_null(freelist_get(&fl));
	a = xmalloc(16);
	ck_assert_ptr_null(freelist_get(&fl));
	b = xmalloc(16);
	ck_assert_ptr_null(freelist_get(&fl));
	c = xmalloc(16);
	ck_assert_uint_eq(fl.live, 3);

	freelist_put(&fl, a);
	ck_assert_uint_eq(fl.live, 2);
	ck_assert_uint_eq(fl.n, FREELIST_ON ? 1 : 0);
	keep = freelist_get(&fl);
	ck_assert_ptr_eq(keep, FREELIST_ON ? a : NULL);
	if (keep == NULL)
		keep = xmalloc(16);
	ck_assert_uint_eq(fl.live, 3);

	/* Two kept at most; the third back is freed (dropped). */
	freelist_put(&fl, keep);
	freelist_put(&fl, b);
	ck_assert_uint_eq(fl.n, FREELIST_ON ? 2 : 0);
	ck_assert_int_eq(dropped, FREELIST_ON ? 0 : 3);
	/* The last one out comes back: everything goes. */
	freelist_put(&fl, c);
	ck_assert_uint_eq(fl.live, 0);
	ck_assert_uint_eq(fl.n, 0);
	ck_assert_int_eq(dropped, FREELIST_ON ? 3 : 4);
	free(fl.kept);
}
END_TEST

START_TEST(test_full)
{
	struct freelist	 fl = FREELIST_INITIALIZER(1, 0, NULL);
	void		*p[4];
	int		 i;

	for (i = 0; i < 4; i++) {
		ck_assert_ptr_null(freelist_get(&fl));
		p[i] = xmalloc(8);
	}
	for (i = 0; i < 3; i++)
		freelist_put(&fl, p[i]);
	ck_assert_uint_eq(fl.n, FREELIST_ON ? 1 : 0);
	ck_assert_uint_eq(fl.live, 1);
	freelist_put(&fl, p[3]);
	ck_assert_uint_eq(fl.n, 0);
	free(fl.kept);
}
END_TEST

START_TEST(test_reserve)
{
	struct freelist	 fl = FREELIST_INITIALIZER(3, 1, count_drop);
	void		*p[3];
	int		 i;

	dropped = 0;
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_null(freelist_get(&fl));
		p[i] = xmalloc(8);
	}
	for (i = 0; i < 3; i++)
		freelist_put(&fl, p[i]);
	/* Nothing out: all but the reserve of one let go. */
	ck_assert_uint_eq(fl.live, 0);
	ck_assert_uint_eq(fl.n, FREELIST_ON ? 1 : 0);
	ck_assert_int_eq(dropped, FREELIST_ON ? 2 : 3);
	freelist_trim(&fl, 0);
	ck_assert_uint_eq(fl.n, 0);
	ck_assert_int_eq(dropped, 3);
	free(fl.kept);
}
END_TEST

static Suite *
freelist_suite(void)
{
	Suite	*s = suite_create("freelist");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_reserve);
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
