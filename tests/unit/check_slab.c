/*
 * check_slab.c: a slab pool hands out zeroed objects that do not
 * overlap, over as many slabs as they need; emptied slabs are kept until
 * slab_trim gives them back, but for the number asked to keep.  Under
 * AddressSanitizer the pool is plain calloc/free, which is checked too.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define OBJ_SIZE	200
#define NOBJ		2000	/* several slabs of 64 KiB */

static struct slab_pool	pool = SLAB_POOL_INITIALIZER(OBJ_SIZE);

START_TEST(test_get_put_trim)
{
	static unsigned char	*objs[NOBJ];
	unsigned int		 i, j;

	for (i = 0; i < NOBJ; i++) {
		objs[i] = slab_get(&pool);
		ck_assert_ptr_nonnull(objs[i]);
		ck_assert_uint_eq((uintptr_t)objs[i] % _Alignof(max_align_t),
		    0);
		for (j = 0; j < OBJ_SIZE; j++)
			ck_assert_uint_eq(objs[i][j], 0);
		memset(objs[i], (int)(i & 0xff), OBJ_SIZE);
	}
	/* Nothing overlapped: every object still holds its own bytes. */
	for (i = 0; i < NOBJ; i++) {
		for (j = 0; j < OBJ_SIZE; j++)
			ck_assert_uint_eq(objs[i][j], i & 0xff);
	}
	if (FREELIST_ON) {
		ck_assert_uint_eq(pool.live, NOBJ);
		ck_assert_uint_ge(pool.slabs,
		    NOBJ * OBJ_SIZE / SLAB_BYTES + 1);
	}

	/* Every other object back, then taken again: zeroed once more. */
	for (i = 0; i < NOBJ; i += 2)
		slab_put(&pool, objs[i]);
	for (i = 0; i < NOBJ; i += 2) {
		objs[i] = slab_get(&pool);
		for (j = 0; j < OBJ_SIZE; j++)
			ck_assert_uint_eq(objs[i][j], 0);
	}

	/* All back: the slabs are kept empty until trimmed. */
	for (i = 0; i < NOBJ; i++)
		slab_put(&pool, objs[i]);
	slab_put(&pool, NULL);
	if (FREELIST_ON) {
		ck_assert_uint_eq(pool.live, 0);
		ck_assert_uint_eq(pool.nempty, pool.slabs);
		ck_assert_uint_gt(pool.slabs, 1);
	}
	slab_trim(&pool, 1);
	if (FREELIST_ON) {
		ck_assert_uint_eq(pool.slabs, 1);
		ck_assert_uint_eq(pool.nempty, 1);
	}
	/* The kept slab serves the next object without a new one. */
	objs[0] = slab_get(&pool);
	if (FREELIST_ON)
		ck_assert_uint_eq(pool.slabs, 1);
	slab_put(&pool, objs[0]);
	slab_trim(&pool, 0);
	ck_assert_uint_eq(pool.slabs, 0);
	ck_assert_uint_eq(pool.nempty, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("slab");
	TCase	*tc = tcase_create("slab");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_get_put_trim);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
