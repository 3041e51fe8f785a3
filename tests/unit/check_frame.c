/*
 * check_frame.c: frame headers byte for byte as the spec lays them out,
 * partial input, v1/v2 headers and unknown versions.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"

START_TEST(test_decode_v4_request)
{
	/* OPTIONS, v4, stream 0x0102, empty body. */
	static const uint8_t	in[] = { 0x04, 0x00, 0x01, 0x02, 0x05,
	    0x00, 0x00, 0x00, 0x00 };
	struct frame_header	h;
	size_t			i;

	for (i = 0; i < sizeof in; i++)
		ck_assert_int_eq(frame_header_decode(in, i, &h),
		    (int)(sizeof in - i));
	ck_assert_int_eq(frame_header_decode(in, sizeof in, &h), 0);
	ck_assert_uint_eq(h.version, 4);
	ck_assert_int_eq(h.response, 0);
	ck_assert_int_eq(h.stream, 0x0102);
	ck_assert_uint_eq(h.opcode, OP_OPTIONS);
	ck_assert_uint_eq(h.length, 0);
}
END_TEST

START_TEST(test_decode_response_negative_stream)
{
	static const uint8_t	in[] = { 0x83, 0x0a, 0xff, 0xff, 0x0c,
	    0x00, 0x01, 0x02, 0x03 };
	struct frame_header	h;

	ck_assert_int_eq(frame_header_decode(in, sizeof in, &h), 0);
	ck_assert_uint_eq(h.version, 3);
	ck_assert_int_eq(h.response, 1);
	ck_assert_uint_eq(h.flags, FRAME_FLAG_TRACING | FRAME_FLAG_WARNING);
	ck_assert_int_eq(h.stream, -1);
	ck_assert_uint_eq(h.opcode, OP_EVENT);
	ck_assert_uint_eq(h.length, 0x00010203);
}
END_TEST

START_TEST(test_decode_old_and_bad)
{
	static const uint8_t	v2[] = { 0x02, 0x00, 0x7f, 0x01, 0x00, 0x00,
	    0x00, 0x16 };
	static const uint8_t	v1[] = { 0x01, 0x00, 0xfe, 0x05, 0x00, 0x00,
	    0x00, 0x00 };
	static const uint8_t	v6[] = { 0x06, 0x00, 0x00, 0x07, 0x05, 0x00,
	    0x00, 0x00, 0x00 };
	static const uint8_t	http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t	big[] = { 0x04, 0x00, 0x00, 0x00, 0x07,
	    0x80, 0x00, 0x00, 0x00 };
	struct frame_header	h;

	ck_assert_int_eq(frame_header_decode(v2, 7, &h), 1);
	ck_assert_int_eq(frame_header_decode(v2, sizeof v2, &h), 0);
	ck_assert_uint_eq(h.version, 2);
	ck_assert_int_eq(h.stream, 0x7f);
	ck_assert_uint_eq(h.opcode, OP_STARTUP);
	ck_assert_uint_eq(h.length, 0x16);
	ck_assert_int_eq(frame_header_decode(v1, sizeof v1, &h), 0);
	ck_assert_int_eq(h.stream, -2);
	ck_assert_uint_eq(h.opcode, OP_OPTIONS);

	ck_assert_int_eq(frame_header_decode(v6, sizeof v6, &h), FRAME_EVERSION);
	ck_assert_uint_eq(h.version, 6);
	ck_assert_int_eq(h.stream, 7);
	ck_assert_int_eq(frame_header_decode(v6, 1, &h), FRAME_EVERSION);
	ck_assert_int_eq(frame_header_decode(http, sizeof http - 1, &h),
	    FRAME_EVERSION);
	ck_assert_uint_eq(h.version, 'G');
	ck_assert_int_eq(frame_header_decode((const uint8_t *)"\x00", 1, &h),
	    FRAME_EVERSION);
	ck_assert_int_eq(frame_header_decode(big, sizeof big, &h),
	    FRAME_ELENGTH);
	ck_assert_int_gt(frame_header_decode(NULL, 0, &h), 0);
}
END_TEST

START_TEST(test_encode_roundtrip)
{
	struct frame_header	h, g;
	uint8_t			out[9];
	static const uint8_t	want[] = { 0x84, 0x08, 0x80, 0x00, 0x08,
	    0x12, 0x34, 0x56, 0x78 };
	static const uint8_t	want2[] = { 0x82, 0x00, 0xff, 0x00, 0x00,
	    0x00, 0x00, 0x05 };

	memset(&h, 0, sizeof h);
	h.version = 4;
	h.response = 1;
	h.flags = FRAME_FLAG_WARNING;
	h.stream = INT16_MIN;
	h.opcode = OP_RESULT;
	h.length = 0x12345678;
	frame_header_encode(out, &h);
	ck_assert(memcmp(out, want, 9) == 0);
	ck_assert_int_eq(frame_header_decode(out, 9, &g), 0);
	ck_assert(memcmp(&h, &g, sizeof h) == 0);

	h.version = 2;
	h.flags = 0;
	h.stream = -1;
	h.opcode = OP_ERROR;
	h.length = 5;
	ck_assert_uint_eq(frame_header_size(2), 8);
	frame_header_encode(out, &h);
	ck_assert(memcmp(out, want2, 8) == 0);
}
END_TEST

START_TEST(test_begin_end)
{
	struct wbuf		w;
	size_t			start;
	struct frame_header	h;

	wbuf_init(&w, 0);
	wbuf_raw(&w, "junk", 4);
	start = frame_begin(&w, 4, 0, 0, 5, OP_QUERY);
	ck_assert_uint_eq(start, 4);
	wbuf_long_string(&w, "SELECT 1");
	frame_end(&w, start);
	ck_assert(wbuf_ok(&w));
	ck_assert_int_eq(frame_header_decode(w.p + 4, w.len - 4, &h), 0);
	ck_assert_uint_eq(h.length, 12);
	ck_assert_uint_eq(w.len, 4 + 9 + 12);

	/* v1 frame: 8 bytes of header, length in the last four. */
	wbuf_reset(&w);
	start = frame_begin(&w, 1, 1, 0, 3, OP_ERROR);
	wbuf_i32(&w, 0x0a);
	frame_end(&w, start);
	ck_assert_uint_eq(w.len, 12);
	ck_assert_uint_eq(w.p[0], 0x81);
	ck_assert_uint_eq(w.p[2], 3);
	ck_assert_uint_eq(w.p[7], 4);
	wbuf_free(&w);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(opcode_name(OP_QUERY), "QUERY");
	ck_assert_str_eq(opcode_name(OP_AUTH_SUCCESS), "AUTH_SUCCESS");
	ck_assert_str_eq(opcode_name(0x04), "UNKNOWN");
	ck_assert_str_eq(opcode_name(0x42), "UNKNOWN");
	ck_assert_int_eq(opcode_is_request(OP_STARTUP), 1);
	ck_assert_int_eq(opcode_is_request(OP_RESULT), 0);
	ck_assert_int_eq(opcode_is_request(0x42), -1);
}
END_TEST

static Suite *
frame_suite(void)
{
	Suite	*s = suite_create("frame");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_decode_v4_request);
	tcase_add_test(tc, test_decode_response_negative_stream);
	tcase_add_test(tc, test_decode_old_and_bad);
	tcase_add_test(tc, test_encode_roundtrip);
	tcase_add_test(tc, test_begin_end);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(frame_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
