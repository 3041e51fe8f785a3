/*
 * check_idtab.c: libcqlproxy's id table against a plain array kept beside
 * it: every id added is found once, taken ids are gone, and removals in
 * any order (which move entries back along their probe runs) never lose
 * one, through growth from empty to tens of thousands of entries.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "idtab.h"

#define N	40000

/* A fixed-seed generator, so a failure can be run again. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/* Every id still in the reference is found (and taken and put back). */
static void
check_all(struct idtab *t, void **ref, uint64_t base, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (ref[i] == NULL)
			continue;
		ck_assert_ptr_eq(idtab_take(t, base + i), ref[i]);
		ck_assert_int_eq(idtab_add(t, base + i, ref[i]), 0);
	}
}

START_TEST(test_empty)
{
	struct idtab	t;

	idtab_init(&t);
	ck_assert_ptr_null(idtab_take(&t, 1));
	ck_assert_int_eq(idtab_add(&t, 7, &t), 0);
	ck_assert_ptr_null(idtab_take(&t, 8));
	ck_assert_ptr_eq(idtab_take(&t, 7), &t);
	ck_assert_ptr_null(idtab_take(&t, 7));
	ck_assert_uint_eq(t.used, 0);
	idtab_free(&t);
}
END_TEST

/* Sequential ids (as the library makes them), taken in random order. */
START_TEST(test_random_order)
{
	static char	 obj[N];
	static void	*ref[N];
	struct idtab	 t;
	uint64_t	 s = 0x9e3779b97f4a7c15ULL, base = 1;
	size_t		 i, left = N, k;

	idtab_init(&t);
	for (i = 0; i < N; i++) {
		ref[i] = &obj[i];
		ck_assert_int_eq(idtab_add(&t, base + i, ref[i]), 0);
	}
	ck_assert_uint_eq(t.used, N);
	ck_assert_uint_le(t.used * 2, t.size);
	while (left > 0) {
		k = (size_t)(rnd(&s) % N);
		if (ref[k] == NULL) {
			ck_assert_ptr_null(idtab_take(&t, base + k));
			continue;
		}
		ck_assert_ptr_eq(idtab_take(&t, base + k), ref[k]);
		ref[k] = NULL;
		left--;
		if (left % 4096 == 0)
			check_all(&t, ref, base, N);
	}
	ck_assert_uint_eq(t.used, 0);
	/* The burst is over: the memory went back. */
	ck_assert_uint_le(t.size, 256);
	ck_assert_ptr_null(idtab_take(&t, base));
	idtab_free(&t);
}
END_TEST

/*
 * A window of requests in flight moving along the ids (submit the next,
 * answer a random one of the window), with ids that wrap the 64-bit
 * space: the table stays small and every entry stays reachable.
 */
START_TEST(test_window)
{
	static char	 obj[512];
	void		*ref[512] = { NULL };
	uint64_t	 ids[512];
	struct idtab	 t;
	uint64_t	 s = 12345, next = UINT64_MAX - 100000;
	size_t		 i, k, round;

	idtab_init(&t);
	for (i = 0; i < 512; i++) {
		ids[i] = next++;
		ref[i] = &obj[i];
		ck_assert_int_eq(idtab_add(&t, ids[i], ref[i]), 0);
	}
	for (round = 0; round < 300000; round++) {
		k = (size_t)(rnd(&s) % 512);
		ck_assert_ptr_eq(idtab_take(&t, ids[k]), ref[k]);
		if (next == 0)
			next = 1;
		ids[k] = next++;
		ck_assert_int_eq(idtab_add(&t, ids[k], ref[k]), 0);
	}
	ck_assert_uint_eq(t.used, 512);
	ck_assert_uint_le(t.size, 2048);
	for (i = 0; i < 512; i++)
		ck_assert_ptr_eq(idtab_take(&t, ids[i]), ref[i]);
	ck_assert_uint_eq(t.used, 0);
	/* Cleared, the table is empty and can be filled again. */
	ck_assert_int_eq(idtab_add(&t, 5, ref[0]), 0);
	idtab_clear(&t);
	ck_assert_ptr_null(idtab_take(&t, 5));
	ck_assert_int_eq(idtab_add(&t, 5, ref[1]), 0);
	ck_assert_ptr_eq(idtab_take(&t, 5), ref[1]);
	idtab_free(&t);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("idtab");
	TCase	*tc = tcase_create("idtab");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_random_order);
	tcase_add_test(tc, test_window);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
