/*
 * check_result.c: copying a node's RESULT into a core result refuses
 * what cannot be trusted.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "result.h"

/* Rows the core never asked to skip metadata for, but without it. */
START_TEST(test_rows_without_metadata)
{
	struct msg	 m;
	struct result	*r;
	static const uint8_t cells[] = { 0, 0, 0, 1, 'a', 0, 0, 0, 1, 'b' };

	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_ROWS;
	m.u.result.rows.meta.flags = ROWS_NO_METADATA;
	m.u.result.rows.meta.columns_count = 2;
	m.u.result.rows.rows_count = 1;
	m.u.result.rows.rows.p = cells;
	m.u.result.rows.rows.n = sizeof cells;
	r = result_new();
	ck_assert_int_eq(result_from_msg(r, &m), -1);
	ck_assert_int_eq(r->error, CORE_EPROTOCOL);
	result_free(r);

	/* No rows and no columns: an empty answer, fine. */
	m.u.result.rows.meta.columns_count = 0;
	m.u.result.rows.rows_count = 0;
	m.u.result.rows.rows.n = 0;
	r = result_new();
	ck_assert_int_eq(result_from_msg(r, &m), 0);
	ck_assert_int_eq(r->error, CORE_OK);
	ck_assert_int_eq(r->rows_count, 0);
	result_free(r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("result");
	TCase	*tc = tcase_create("copy");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_rows_without_metadata);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
