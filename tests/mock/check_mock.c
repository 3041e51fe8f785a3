/*
 * check_mock.c: the pure pieces of cqlmock: reproducible randomness, the
 * uuids it makes, and the text matching of fault and delay rules.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mock.h"

START_TEST(test_rng_seeded)
{
	struct rng	a, b, c;
	int		i, same = 1;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	for (i = 0; i < 100; i++) {
		uint64_t x = rng_next(&a);

		ck_assert(x == rng_next(&b));
		if (x != rng_next(&c))
			same = 0;
	}
	ck_assert(!same);
}
END_TEST

START_TEST(test_uuid4)
{
	struct rng	r;
	uint8_t		u[16], v[16];
	char		s[37];

	rng_seed(&r, 1);
	rng_uuid4(&r, u);
	rng_uuid4(&r, v);
	ck_assert(memcmp(u, v, 16) != 0);
	ck_assert_uint_eq(u[6] >> 4, 4);
	ck_assert_uint_eq(u[8] & 0xc0, 0x80);
	uuid_format(u, s);
	ck_assert_uint_eq(strlen(s), 36);
	ck_assert(s[8] == '-' && s[13] == '-' && s[14] == '4' &&
	    s[18] == '-' && s[23] == '-');
}
END_TEST

/* Timeuuids are version 1, carry the time, and never repeat. */
START_TEST(test_timeuuid)
{
	struct rng	r;
	uint8_t		u[16], prev[16];
	uint64_t	before, after;
	int64_t		ms;
	int		i;

	rng_seed(&r, 7);
	before = now_ms();
	uuid_timeuuid(&r, u);
	after = now_ms();
	ck_assert_uint_eq(u[6] >> 4, 1);
	ck_assert_uint_eq(u[8] & 0xc0, 0x80);
	ms = uuid_time_ms(u);
	ck_assert(ms >= (int64_t)before && ms <= (int64_t)after);
	for (i = 0; i < 1000; i++) {
		memcpy(prev, u, 16);
		uuid_timeuuid(&r, u);
		ck_assert(memcmp(prev, u, 16) != 0);
	}
}
END_TEST

START_TEST(test_match)
{
	const char	*q = "SELECT * FROM ks.t WHERE k = ?";

	ck_assert(fault_text_matches(NULL, q, strlen(q)));
	ck_assert(fault_text_matches("", q, strlen(q)));
	ck_assert(fault_text_matches("select", q, strlen(q)));
	ck_assert(fault_text_matches("from ks.T", q, strlen(q)));
	ck_assert(!fault_text_matches("insert", q, strlen(q)));
	ck_assert(!fault_text_matches("k = ?x", q, strlen(q)));
	ck_assert(!fault_text_matches("select", "sel", 3));
}
END_TEST

START_TEST(test_fault_names)
{
	enum fault_kind	k;

	ck_assert_int_eq(fault_kind_parse("write_timeout", &k), 0);
	ck_assert_int_eq(k, FAULT_WRITE_TIMEOUT);
	ck_assert_int_eq(fault_kind_parse("UNAVAILABLE", &k), 0);
	ck_assert_int_eq(k, FAULT_UNAVAILABLE);
	ck_assert_str_eq(fault_kind_name(FAULT_INVALID), "invalid");
	ck_assert_int_eq(fault_kind_parse("nope", &k), -1);
}
END_TEST

static Suite *
mock_suite(void)
{
	Suite	*s = suite_create("mock");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_rng_seeded);
	tcase_add_test(tc, test_uuid4);
	tcase_add_test(tc, test_timeuuid);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_fault_names);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(mock_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
