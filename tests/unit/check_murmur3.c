/*
 * check_murmur3.c: partition-key tokens match what a real Cassandra 4.0
 * reported for `SELECT token(k)` (shared/reference/protocol-notes.md).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "murmur3.h"

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static int64_t
token_int(int32_t v)
{
	uint8_t	b[4];

	put_be(b, (uint32_t)v, 4);
	return (murmur3_token(b, 4));
}

static int64_t
token_bigint(int64_t v)
{
	uint8_t	b[8];

	put_be(b, (uint64_t)v, 8);
	return (murmur3_token(b, 8));
}

static int64_t
token_text(const char *s)
{
	return (murmur3_token(s, strlen(s)));
}

/* Parse "0x..." hex (test data only). */
static int64_t
token_blob(const char *hex)
{
	uint8_t	b[64];
	size_t	n = 0;
	char	tmp[3] = { 0 };

	ck_assert(strncmp(hex, "0x", 2) == 0);
	for (hex += 2; hex[0] != '\0' && hex[1] != '\0'; hex += 2) {
		ck_assert_uint_lt(n, sizeof b);
		tmp[0] = hex[0];
		tmp[1] = hex[1];
		b[n++] = (uint8_t)strtoul(tmp, NULL, 16);
	}
	return (murmur3_token(b, n));
}

static int64_t
token_uuid(const char *s)
{
	uint8_t	b[16];
	size_t	n = 0;
	char	tmp[3] = { 0 };

	for (; *s != '\0'; s++) {
		if (*s == '-')
			continue;
		ck_assert_uint_lt(n, sizeof b);
		tmp[0] = s[0];
		tmp[1] = s[1];
		b[n++] = (uint8_t)strtoul(tmp, NULL, 16);
		s++;
	}
	ck_assert_uint_eq(n, 16);
	return (murmur3_token(b, 16));
}

/* The (int, text, bigint) composite key, built both ways. */
static int64_t
token_composite(int32_t a, const char *b, int64_t c)
{
	struct wbuf	w;
	struct slice	parts[3];
	uint8_t		ba[4], bc[8];
	int64_t		t1, t2;

	put_be(ba, (uint32_t)a, 4);
	put_be(bc, (uint64_t)c, 8);

	wbuf_init(&w, 0);
	murmur3_composite_add(&w, ba, 4);
	murmur3_composite_add(&w, b, strlen(b));
	murmur3_composite_add(&w, bc, 8);
	ck_assert(wbuf_ok(&w));
	ck_assert_uint_eq(w.len, 3 * 3 + 4 + strlen(b) + 8);
	t1 = murmur3_token(w.p, w.len);
	wbuf_free(&w);

	parts[0].p = ba;
	parts[0].n = 4;
	parts[1].p = (const uint8_t *)b;
	parts[1].n = strlen(b);
	parts[2].p = bc;
	parts[2].n = 8;
	ck_assert_int_eq(murmur3_routing_token(parts, 3, &t2), 0);
	ck_assert(t1 == t2);
	return (t1);
}

#define CK_TOKEN(expr, want) ck_assert_msg((expr) == (want),		\
	"%s = %lld, want %lld", #expr, (long long)(expr), (long long)(want))

START_TEST(test_int)
{
	CK_TOKEN(token_int(0), -3485513579396041028LL);
	CK_TOKEN(token_int(1), -4069959284402364209LL);
	CK_TOKEN(token_int(-1), 7297452126230313552LL);
	CK_TOKEN(token_int(2147483647), -765994672030311617LL);
	CK_TOKEN(token_int(INT32_MIN), -420533958509279465LL);
	CK_TOKEN(token_int(42), -7160136740246525330LL);
}
END_TEST

START_TEST(test_bigint)
{
	CK_TOKEN(token_bigint(0), 2945182322382062539LL);
	CK_TOKEN(token_bigint(1), 6292367497774912474LL);
	CK_TOKEN(token_bigint(-1), 7071048584287372947LL);
	CK_TOKEN(token_bigint(INT64_MAX), -1722304415079482439LL);
	CK_TOKEN(token_bigint(INT64_MIN), 9204767954415360687LL);
}
END_TEST

START_TEST(test_text)
{
	CK_TOKEN(token_text("a"), -8839064797231613815LL);
	CK_TOKEN(token_text("abc"), -5434086359492102041LL);
	CK_TOKEN(token_text("hello world"), 5998619086395760910LL);
	CK_TOKEN(token_text("na\xc3\xafve \xe2\x98\x83"),
	    -7022513565951316891LL);
	CK_TOKEN(token_text("0123456789abcdef"), 5467490433528156583LL);
	CK_TOKEN(token_text("0123456789abcdef0"), -1502884478548852619LL);
	CK_TOKEN(token_text("The quick brown fox jumps over the lazy dog"),
	    -2068352364225029268LL);
}
END_TEST

START_TEST(test_blob)
{
	CK_TOKEN(token_blob("0x00"), 5048724184180415669LL);
	CK_TOKEN(token_blob("0x0102030405060708090a0b0c0d0e0f"),
	    597835946752277653LL);
	CK_TOKEN(token_blob("0x0102030405060708090a0b0c0d0e0f10"),
	    -5563837382979743776LL);
	CK_TOKEN(token_blob("0xffffffffffffffffffffffffffffffffff"),
	    -4128212798341382003LL);
}
END_TEST

START_TEST(test_uuid)
{
	CK_TOKEN(token_uuid("62c36092-82a1-3a00-93d1-46196ee77204"),
	    2123808624450663568LL);
	CK_TOKEN(token_uuid("00000000-0000-0000-0000-000000000000"),
	    5457549051747178710LL);
}
END_TEST

START_TEST(test_composite)
{
	CK_TOKEN(token_composite(1, "x", 2), -5620454608407415595LL);
	CK_TOKEN(token_composite(0, "", 0), -3652995834371562275LL);
	CK_TOKEN(token_composite(-1, "na\xc3\xafve", INT64_MAX),
	    -2388242831711664447LL);
}
END_TEST

/* One component is hashed as is; bad shapes are refused, not crashed on. */
START_TEST(test_routing_edges)
{
	struct slice	 one, two[2];
	uint8_t		*big;
	int64_t		 t = 0;

	one.p = (const uint8_t *)"abc";
	one.n = 3;
	ck_assert_int_eq(murmur3_routing_token(&one, 1, &t), 0);
	CK_TOKEN(t, -5434086359492102041LL);
	ck_assert_int_eq(murmur3_routing_token(&one, 0, &t), -1);

	big = xcalloc(1, 70000);
	two[0] = one;
	two[1].p = big;
	two[1].n = 70000;
	ck_assert_int_eq(murmur3_routing_token(two, 2, &t), -1);
	two[1].n = 65535;
	ck_assert_int_eq(murmur3_routing_token(two, 2, &t), 0);
	free(big);
}
END_TEST

/* The empty key hashes to something (Cassandra refuses it elsewhere). */
START_TEST(test_empty_and_lengths)
{
	uint8_t		buf[40];
	size_t		i;
	int64_t		seen[41];
	size_t		j;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(0x80 + i);
	for (i = 0; i <= sizeof buf; i++) {
		seen[i] = murmur3_token(buf, i);
		ck_assert(seen[i] != INT64_MIN);
		for (j = 0; j < i; j++)
			ck_assert(seen[j] != seen[i]);
	}
}
END_TEST

static Suite *
murmur3_suite(void)
{
	Suite	*s = suite_create("murmur3");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_int);
	tcase_add_test(tc, test_bigint);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_blob);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_composite);
	tcase_add_test(tc, test_routing_edges);
	tcase_add_test(tc, test_empty_and_lengths);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(murmur3_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
