/*
 * check_buf.c: the protocol notations read back what was written, and
 * short or hostile input is an error, never an over-read.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"

START_TEST(test_ints_roundtrip)
{
	struct wbuf	w;
	struct rbuf	r;

	wbuf_init(&w, 0);
	wbuf_u8(&w, 0xab);
	wbuf_u16(&w, 0xbeef);
	wbuf_i32(&w, INT32_MIN);
	wbuf_i64(&w, INT64_MIN);
	ck_assert(wbuf_ok(&w));
	ck_assert_uint_eq(w.len, 1 + 2 + 4 + 8);
	ck_assert_uint_eq(w.p[1], 0xbe);
	ck_assert_uint_eq(w.p[3], 0x80);

	rbuf_init(&r, w.p, w.len);
	ck_assert_uint_eq(rbuf_u8(&r), 0xab);
	ck_assert_uint_eq(rbuf_u16(&r), 0xbeef);
	ck_assert_int_eq(rbuf_i32(&r), INT32_MIN);
	ck_assert(rbuf_i64(&r) == INT64_MIN);
	ck_assert(rbuf_ok(&r));
	ck_assert_uint_eq(rbuf_left(&r), 0);
	(void)rbuf_u8(&r);
	ck_assert(!rbuf_ok(&r));
	wbuf_free(&w);
}
END_TEST

START_TEST(test_bytes_states)
{
	static const uint8_t	in[] = { 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i' };
	struct rbuf		r;
	struct bytesval		b;

	rbuf_init(&r, in, sizeof in);
	b = rbuf_bytes(&r);
	ck_assert_int_eq(b.state, BYTES_NULL);
	b = rbuf_bytes(&r);
	ck_assert_int_eq(b.state, BYTES_UNSET);
	b = rbuf_bytes(&r);
	ck_assert_int_eq(b.state, BYTES_VALUE);
	ck_assert_uint_eq(b.v.n, 0);
	b = rbuf_bytes(&r);
	ck_assert_int_eq(b.state, BYTES_VALUE);
	ck_assert_uint_eq(b.v.n, 2);
	ck_assert(memcmp(b.v.p, "hi", 2) == 0);
	ck_assert(rbuf_ok(&r));
}
END_TEST

START_TEST(test_hostile_lengths)
{
	static const uint8_t	big[] = { 0x7f, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t	neg[] = { 0xff, 0xff, 0xff, 0xf0 };
	static const uint8_t	str[] = { 0x00, 0x05, 'a', 'b' };
	struct rbuf		r;
	struct bytesval		b;
	struct slice		s;

	rbuf_init(&r, big, sizeof big);
	b = rbuf_bytes(&r);
	ck_assert(!rbuf_ok(&r));
	ck_assert_int_eq(b.state, BYTES_NULL);

	rbuf_init(&r, neg, sizeof neg);
	(void)rbuf_bytes(&r);
	ck_assert(!rbuf_ok(&r));

	rbuf_init(&r, str, sizeof str);
	s = rbuf_string(&r);
	ck_assert(!rbuf_ok(&r));
	ck_assert_ptr_null(s.p);
}
END_TEST

START_TEST(test_vint)
{
	static const int64_t	vals[] = { 0, 1, -1, 63, -64, 64, 1000,
	    -100000, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN };
	struct wbuf		w;
	struct rbuf		r;
	size_t			i;

	wbuf_init(&w, 0);
	for (i = 0; i < nitems(vals); i++)
		wbuf_vint(&w, vals[i]);
	/* Zig-zag: 0 -> 0x00, -1 -> 0x01, 64 -> 128 needs two bytes 0x80 0x80. */
	ck_assert_uint_eq(w.p[0], 0x00);
	ck_assert_uint_eq(w.p[1], 0x02);
	ck_assert_uint_eq(w.p[2], 0x01);
	rbuf_init(&r, w.p, w.len);
	for (i = 0; i < nitems(vals); i++)
		ck_assert(rbuf_vint(&r) == vals[i]);
	ck_assert(rbuf_ok(&r));
	ck_assert_uint_eq(rbuf_left(&r), 0);
	wbuf_free(&w);
}
END_TEST

START_TEST(test_wbuf_cap)
{
	struct wbuf	w;
	char		data[100];

	memset(data, 'x', sizeof data);
	wbuf_init(&w, 64);
	wbuf_raw(&w, data, 60);
	ck_assert(wbuf_ok(&w));
	wbuf_raw(&w, data, 10);
	ck_assert(!wbuf_ok(&w));
	ck_assert_uint_eq(w.len, 60);
	wbuf_free(&w);
}
END_TEST

/* Copies of every small length are exact and write nothing beyond. */
START_TEST(test_raw_lengths)
{
	struct wbuf	w;
	uint8_t		src[64], dst[64 + 8];
	size_t		n, off;

	for (n = 0; n < sizeof src; n++)
		src[n] = (uint8_t)(n * 7 + 1);
	for (n = 0; n <= 40; n++) {
		for (off = 0; off < 4; off++) {
			memset(dst, 0xee, sizeof dst);
			memcpy_small(dst + off, src + off, n);
			ck_assert(memcmp(dst + off, src + off, n) == 0);
			ck_assert_uint_eq(dst[off + n], 0xee);
			if (off > 0)
				ck_assert_uint_eq(dst[off - 1], 0xee);
			wbuf_init(&w, 0);
			wbuf_u8(&w, 0x55);
			wbuf_raw(&w, src + off, n);
			ck_assert(wbuf_ok(&w));
			ck_assert_uint_eq(w.len, 1 + n);
			ck_assert_uint_eq(w.p[0], 0x55);
			ck_assert(n == 0 || memcmp(w.p + 1, src + off, n) == 0);
			wbuf_free(&w);
		}
	}
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite	*s = suite_create("buf");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_ints_roundtrip);
	tcase_add_test(tc, test_bytes_states);
	tcase_add_test(tc, test_hostile_lengths);
	tcase_add_test(tc, test_vint);
	tcase_add_test(tc, test_wbuf_cap);
	tcase_add_test(tc, test_raw_lengths);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(buf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
