/*
 * check_cqlval.c: serialized CQL values byte for byte, Cassandra's text
 * renderings, strict validation of hostile values, and the sort order.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"

static struct cqltype *
ty(const char *s)
{
	struct cqltype	*t = cqltype_parse(s, NULL);

	ck_assert_msg(t != NULL, "type %s", s);
	return (t);
}

/* Encode v as type s, compare with want, decode back and re-encode. */
static void
encodes_as(const char *s, struct cqlval *v, const uint8_t *want, size_t n)
{
	struct cqltype	*t = ty(s);
	struct wbuf	 w, w2;
	struct cqlval	*d;
	char		 err[128];
	size_t		 i;

	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_encode(t, v, &w), 0);
	ck_assert_msg(w.len == n && (n == 0 || memcmp(w.p, want, n) == 0),
	    "bytes of %s (len %zu want %zu)", s, w.len, n);
	ck_assert_msg(cqlval_decode(t, want, n, &d, err, sizeof err) == 0,
	    "decode %s: %s", s, err);
	ck_assert_int_eq(cqlval_validate(t, want, n, err, sizeof err), 0);
	wbuf_init(&w2, 0);
	ck_assert_int_eq(cqlval_encode(t, d, &w2), 0);
	ck_assert_uint_eq(w2.len, n);
	ck_assert(n == 0 || memcmp(w2.p, want, n) == 0);
	ck_assert_int_eq(cqlval_compare(t, want, n, w2.p, w2.len), 0);
	/* Every strict prefix of a non-empty value is refused or empty. */
	if (cqltype_fixed_size(t->kind) > 0 || t->kind == CQLTYPE_LIST ||
	    t->kind == CQLTYPE_MAP || t->kind == CQLTYPE_SET) {
		for (i = 1; i < n; i++) {
			struct cqlval	*x = NULL;

			ck_assert_msg(cqlval_decode(t, want, i, &x, err,
			    sizeof err) != 0, "%s prefix %zu accepted", s, i);
			ck_assert_ptr_null(x);
		}
	}
	cqlval_free(d);
	cqlval_free(v);
	cqltype_free(t);
	wbuf_free(&w);
	wbuf_free(&w2);
}

static void
refuses(const char *s, const uint8_t *p, size_t n)
{
	struct cqltype	*t = ty(s);
	struct cqlval	*v = NULL;
	char		 err[128] = "";

	ck_assert_msg(cqlval_decode(t, p, n, &v, err, sizeof err) != 0,
	    "%s accepted", s);
	ck_assert_ptr_null(v);
	ck_assert(err[0] != '\0');
	ck_assert_int_ne(cqlval_validate(t, p, n, err, sizeof err), 0);
	cqltype_free(t);
}

#define B(...)	(const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

START_TEST(test_integers)
{
	encodes_as("int", cqlval_new_int(CQLTYPE_INT, 1), B(0, 0, 0, 1));
	encodes_as("int", cqlval_new_int(CQLTYPE_INT, INT32_MIN),
	    B(0x80, 0, 0, 0));
	encodes_as("int", cqlval_new_int(CQLTYPE_INT, INT32_MAX),
	    B(0x7f, 0xff, 0xff, 0xff));
	encodes_as("bigint", cqlval_new_int(CQLTYPE_BIGINT, INT64_MIN),
	    B(0x80, 0, 0, 0, 0, 0, 0, 0));
	encodes_as("bigint", cqlval_new_int(CQLTYPE_BIGINT, INT64_MAX),
	    B(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
	encodes_as("bigint", cqlval_new_int(CQLTYPE_BIGINT, -2),
	    B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe));
	encodes_as("smallint", cqlval_new_int(CQLTYPE_SMALLINT, -32768),
	    B(0x80, 0x00));
	encodes_as("tinyint", cqlval_new_int(CQLTYPE_TINYINT, 127), B(0x7f));
	encodes_as("tinyint", cqlval_new_int(CQLTYPE_TINYINT, -1), B(0xff));
	encodes_as("counter", cqlval_new_int(CQLTYPE_COUNTER, 258),
	    B(0, 0, 0, 0, 0, 0, 1, 2));
	encodes_as("boolean", cqlval_new_bool(1), B(1));
	encodes_as("boolean", cqlval_new_bool(0), B(0));
	{
		struct cqltype	*t = ty("int");
		struct cqlval	*v;
		struct wbuf	 w;

		/* Values that do not fit are refused, not truncated. */
		wbuf_init(&w, 0);
		v = cqlval_new_int(CQLTYPE_INT, (int64_t)INT32_MAX + 1);
		ck_assert_int_eq(cqlval_encode(t, v, &w), -1);
		cqlval_free(v);
		v = cqlval_new_text("x");
		ck_assert_int_eq(cqlval_encode(t, v, &w), -1);
		cqlval_free(v);
		v = cqlval_new_null(CQLTYPE_INT);
		ck_assert_int_eq(cqlval_encode(t, v, &w), 1);
		ck_assert_uint_eq(w.len, 0);
		cqlval_free(v);
		ck_assert_int_eq(cqlval_decode(t, B(0xff, 0xff, 0xff, 0xfe),
		    &v, NULL, 0), 0);
		ck_assert(v->u.i == -2);
		cqlval_free(v);
		cqltype_free(t);
		wbuf_free(&w);
	}
	refuses("int", B(0, 0, 1));
	refuses("int", B(0, 0, 0, 0, 1));
	refuses("bigint", B(0, 0, 0, 1));
	refuses("boolean", B(0, 1));
	refuses("smallint", B(1));
}
END_TEST

START_TEST(test_floats)
{
	struct cqltype	*t = ty("double");
	struct cqlval	*v;

	encodes_as("float", cqlval_new_float(2.5f), B(0x40, 0x20, 0, 0));
	encodes_as("double", cqlval_new_double(1.5),
	    B(0x3f, 0xf8, 0, 0, 0, 0, 0, 0));
	encodes_as("double", cqlval_new_double(-INFINITY),
	    B(0xff, 0xf0, 0, 0, 0, 0, 0, 0));
	ck_assert_int_eq(cqlval_decode(t, B(0x7f, 0xf8, 0, 0, 0, 0, 0, 0), &v,
	    NULL, 0), 0);
	ck_assert(isnan(v->u.d));
	cqlval_free(v);
	cqltype_free(t);
	refuses("float", B(0, 0, 0, 0, 0, 0, 0, 0));
	refuses("double", B(0, 0, 0, 0));
}
END_TEST

START_TEST(test_text)
{
	static const char	naive[] = "na\xc3\xafve \xe2\x98\x83";
	struct cqltype		*t = ty("text");
	struct cqlval		*v;

	encodes_as("text", cqlval_new_text(naive), (const uint8_t *)naive,
	    strlen(naive));
	encodes_as("ascii", cqlval_new_bytes(CQLTYPE_ASCII, "ascii", 5),
	    (const uint8_t *)"ascii", 5);
	encodes_as("blob", cqlval_new_bytes(CQLTYPE_BLOB, "\x00\xff", 2),
	    B(0x00, 0xff));
	/* Empty text and blob are values, not "empty". */
	ck_assert_int_eq(cqlval_decode(t, (const uint8_t *)"", 0, &v, NULL, 0),
	    0);
	ck_assert_int_eq(v->is_empty, 0);
	ck_assert_uint_eq(v->u.bytes.n, 0);
	cqlval_free(v);
	cqltype_free(t);
	encodes_as("blob", cqlval_new_bytes(CQLTYPE_BLOB, "", 0), NULL, 0);
	refuses("ascii", (const uint8_t *)naive, strlen(naive));
	refuses("text", B(0xc3, 0x28));
	refuses("text", B(0xc0, 0x80));			/* overlong */
	refuses("text", B(0xed, 0xa0, 0x80));		/* surrogate */
	refuses("text", B(0xf4, 0x90, 0x80, 0x80));	/* > U+10FFFF */
	refuses("text", B('a', 0xe2, 0x98));		/* truncated */
	refuses("text", B(0xff));
	ck_assert(cqlval_utf8_valid(B(0xf0, 0x9f, 0x98, 0x80)));
}
END_TEST

/* RFC 3629's table of well-formed sequences, one byte at a time. */
static int
utf8_valid_bytewise(const uint8_t *p, size_t n)
{
	size_t	i = 0, k, need;
	uint8_t	lo, hi;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			need = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			need = 2;
			if (p[i] == 0xe0)
				lo = 0xa0;
			else if (p[i] == 0xed)
				hi = 0x9f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			need = 3;
			if (p[i] == 0xf0)
				lo = 0x90;
			else if (p[i] == 0xf4)
				hi = 0x8f;
		} else
			return (0);
		if (n - i - 1 < need || p[i + 1] < lo || p[i + 1] > hi)
			return (0);
		for (k = 2; k <= need; k++) {
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return (0);
		}
		i += need + 1;
	}
	return (1);
}

static uint64_t
utf8_rand(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Append code point c as UTF-8 (c not a surrogate, <= U+10FFFF). */
static size_t
utf8_put(uint8_t *d, uint32_t c)
{
	if (c < 0x80) {
		d[0] = c;
		return (1);
	}
	if (c < 0x800) {
		d[0] = 0xc0 | (c >> 6);
		d[1] = 0x80 | (c & 0x3f);
		return (2);
	}
	if (c < 0x10000) {
		d[0] = 0xe0 | (c >> 12);
		d[1] = 0x80 | ((c >> 6) & 0x3f);
		d[2] = 0x80 | (c & 0x3f);
		return (3);
	}
	d[0] = 0xf0 | (c >> 18);
	d[1] = 0x80 | ((c >> 12) & 0x3f);
	d[2] = 0x80 | ((c >> 6) & 0x3f);
	d[3] = 0x80 | (c & 0x3f);
	return (4);
}

/*
 * The validator skips ASCII a word at a time: it must agree with the
 * byte-wise table on text that is mostly ASCII with some multi-byte
 * characters, at every alignment, and on the same text mutated.
 */
START_TEST(test_utf8_fast_path)
{
	uint8_t		 buf[160];
	uint64_t	 seed = 0x5eed;
	uint32_t	 c;
	size_t		 n, len, off, i;
	int		 iter, mut, valid = 0, invalid = 0;

	for (iter = 0; iter < 200000; iter++) {
		len = utf8_rand(&seed) % 64;
		n = 0;
		while (n < len) {
			switch (utf8_rand(&seed) % 8) {
			case 0:
				do
					c = utf8_rand(&seed) % 0x110000;
				while (c >= 0xd800 && c <= 0xdfff);
				break;
			case 1:
				c = 0x80 + utf8_rand(&seed) % 0x780;
				break;
			default:
				c = utf8_rand(&seed) % 0x80;
				break;
			}
			n += utf8_put(buf + n, c);
		}
		ck_assert(utf8_valid_bytewise(buf, n));
		mut = utf8_rand(&seed) % 4;
		for (i = 0; i < (size_t)mut && n > 0; i++) {
			switch (utf8_rand(&seed) % 3) {
			case 0:
				buf[utf8_rand(&seed) % n] =
				    utf8_rand(&seed) & 0xff;
				break;
			case 1:
				buf[utf8_rand(&seed) % n] ^=
				    1U << (utf8_rand(&seed) % 8);
				break;
			case 2:
				n -= utf8_rand(&seed) % (n < 4 ? n : 4);
				break;
			}
		}
		/* Every start and end inside, so words straddle both. */
		off = n > 0 ? utf8_rand(&seed) % (n < 9 ? n : 9) : 0;
		ck_assert_int_eq(cqlval_utf8_valid(buf, n),
		    utf8_valid_bytewise(buf, n));
		ck_assert_int_eq(cqlval_utf8_valid(buf + off, n - off),
		    utf8_valid_bytewise(buf + off, n - off));
		if (utf8_valid_bytewise(buf, n))
			valid++;
		else
			invalid++;
	}
	/* Both outcomes are well represented. */
	ck_assert_int_gt(valid, 50000);
	ck_assert_int_gt(invalid, 50000);

	/* A bad byte at each place of a long ASCII run is seen. */
	for (n = 1; n <= 40; n++) {
		for (i = 0; i < n; i++) {
			memset(buf, 'a', n);
			buf[i] = 0x80;
			ck_assert(!cqlval_utf8_valid(buf, n));
			buf[i] = 0x7f;
			ck_assert(cqlval_utf8_valid(buf, n));
		}
	}
}
END_TEST

START_TEST(test_empty_values)
{
	static const char *const	types[] = { "int", "bigint", "uuid",
	    "timeuuid", "inet", "varint", "decimal", "boolean", "double",
	    "date", "time", "timestamp", "list<int>", "frozen<tuple<int>>" };
	struct cqltype			*t;
	struct cqlval			*v;
	struct wbuf			 w;
	size_t				 i;

	for (i = 0; i < nitems(types); i++) {
		t = ty(types[i]);
		ck_assert_int_eq(cqlval_decode(t, (const uint8_t *)"", 0, &v,
		    NULL, 0), 0);
		ck_assert_msg(v->is_empty, "%s", types[i]);
		wbuf_init(&w, 0);
		ck_assert_int_eq(cqlval_encode(t, v, &w), 0);
		ck_assert_uint_eq(w.len, 0);
		wbuf_free(&w);
		cqlval_free(v);
		cqltype_free(t);
	}
}
END_TEST

/* Varint bytes <-> decimal text. */
static void
varint_is(const uint8_t *p, size_t n, const char *s)
{
	char		*got = cqlval_varint_to_string(p, n);
	struct wbuf	 w;

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, s);
	free(got);
	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_varint_from_string(s, &w), 0);
	ck_assert_msg(w.len == n && memcmp(w.p, p, n) == 0, "bytes of %s", s);
	wbuf_free(&w);
	encodes_as("varint", cqlval_new_bytes(CQLTYPE_VARINT, p, n), p, n);
}

START_TEST(test_varint)
{
	struct wbuf	w;
	char		*s;

	varint_is(B(0x00), "0");
	varint_is(B(0x01), "1");
	varint_is(B(0xff), "-1");
	varint_is(B(0x7f), "127");
	varint_is(B(0x00, 0x80), "128");
	varint_is(B(0x80), "-128");
	varint_is(B(0xff, 0x7f), "-129");
	varint_is(B(0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
	    "18446744073709551616");
	varint_is(B(0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
	    "-9223372036854775808");
	/* -10^30, as in the recorded Cassandra table. */
	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_varint_from_string(
	    "-1000000000000000000000000000000", &w), 0);
	s = cqlval_varint_to_string(w.p, w.len);
	ck_assert_str_eq(s, "-1000000000000000000000000000000");
	free(s);
	ck_assert_uint_eq(w.len, 13);
	ck_assert_int_eq(cqlval_varint_from_string("+42", &w), 0);
	ck_assert_int_eq(cqlval_varint_from_string("-0", &w), 0);
	ck_assert_uint_eq(w.p[w.len - 1], 0);
	ck_assert_int_eq(cqlval_varint_from_string("", &w), -1);
	ck_assert_int_eq(cqlval_varint_from_string("12a", &w), -1);
	ck_assert_int_eq(cqlval_varint_from_string("-", &w), -1);
	ck_assert_int_eq(cqlval_varint_from_string("1.5", &w), -1);
	wbuf_free(&w);
	s = cqlval_varint_to_string(B(0x00, 0x00, 0x05));
	ck_assert_str_eq(s, "5");
	free(s);
	ck_assert_ptr_null(cqlval_varint_to_string(NULL, 0));
}
END_TEST

/* Decimal (scale, unscaled text) <-> Java BigDecimal.toString. */
static void
decimal_is(int32_t scale, const char *unscaled, const char *s)
{
	struct wbuf	w, w2;
	char		*got;
	int32_t		 sc;

	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_varint_from_string(unscaled, &w), 0);
	got = cqlval_decimal_to_string(scale, w.p, w.len);
	ck_assert_msg(strcmp(got, s) == 0, "%s scale %d: %s want %s",
	    unscaled, scale, got, s);
	free(got);
	wbuf_init(&w2, 0);
	ck_assert_int_eq(cqlval_decimal_from_string(s, &sc, &w2), 0);
	ck_assert_int_eq(sc, scale);
	ck_assert(w.len == w2.len && memcmp(w.p, w2.p, w.len) == 0);
	wbuf_free(&w);
	wbuf_free(&w2);
}

START_TEST(test_decimal)
{
	struct wbuf	w;
	int32_t		sc;
	char		*s;

	decimal_is(-1, "-150", "-1.50E+3");
	decimal_is(1, "15", "1.5");
	decimal_is(5, "12", "0.00012");
	decimal_is(0, "123", "123");
	decimal_is(-3, "1", "1E+3");
	decimal_is(-2, "0", "0E+2");
	decimal_is(7, "1", "1E-7");
	decimal_is(6, "1", "0.000001");
	decimal_is(2, "-5", "-0.05");
	decimal_is(2, "100", "1.00");
	decimal_is(10, "12345678901234567890", "1234567890.1234567890");
	decimal_is(9, "-12", "-1.2E-8");

	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_decimal_from_string("1.5e300", &sc, &w), 0);
	ck_assert_int_eq(sc, -299);
	s = cqlval_decimal_to_string(sc, w.p, w.len);
	ck_assert_str_eq(s, "1.5E+300");
	free(s);
	ck_assert_int_eq(cqlval_decimal_from_string(".5", &sc, &w), 0);
	ck_assert_int_eq(sc, 1);
	ck_assert_int_eq(cqlval_decimal_from_string("5.", &sc, &w), 0);
	ck_assert_int_eq(sc, 0);
	ck_assert_int_eq(cqlval_decimal_from_string("", &sc, &w), -1);
	ck_assert_int_eq(cqlval_decimal_from_string(".", &sc, &w), -1);
	ck_assert_int_eq(cqlval_decimal_from_string("1e", &sc, &w), -1);
	ck_assert_int_eq(cqlval_decimal_from_string("1e99999999999", &sc, &w),
	    -1);
	ck_assert_int_eq(cqlval_decimal_from_string("1x", &sc, &w), -1);
	wbuf_free(&w);

	/* On the wire: [int] scale then the unscaled varint. */
	encodes_as("decimal", cqlval_new_decimal(-1, B(0xff, 0x6a)),
	    B(0xff, 0xff, 0xff, 0xff, 0xff, 0x6a));
	refuses("decimal", B(0, 0, 0, 1));
}
END_TEST

START_TEST(test_uuid_inet)
{
	static const uint8_t	u[16] = { 0x62, 0xc3, 0x60, 0x92, 0x82, 0xa1,
	    0x3a, 0x00, 0x93, 0xd1, 0x46, 0x19, 0x6e, 0xe7, 0x72, 0x04 };
	static const uint8_t	tu[16] = { 0xd2, 0x17, 0x7d, 0xd0, 0xea, 0xa2,
	    0x11, 0xde, 0xa5, 0x72, 0x00, 0x1b, 0x77, 0x9c, 0x76, 0xe3 };
	char			 s[CQLVAL_UUID_STRLEN], a[CQLVAL_INET_STRLEN];
	uint8_t			 got[16];
	size_t			 n;

	cqlval_uuid_format(u, s);
	ck_assert_str_eq(s, "62c36092-82a1-3a00-93d1-46196ee77204");
	ck_assert_int_eq(cqlval_uuid_parse("62C36092-82a1-3a00-93d1-46196ee77204",
	    got), 0);
	ck_assert(memcmp(got, u, 16) == 0);
	ck_assert_int_eq(cqlval_uuid_parse("62c3609282a13a0093d146196ee77204",
	    got), -1);
	ck_assert_int_eq(cqlval_uuid_parse("62c36092-82a1-3a00-93d1-46196ee7720g",
	    got), -1);
	ck_assert_int_eq(cqlval_uuid_version(u), 3);
	ck_assert_int_eq(cqlval_uuid_version(tu), 1);
	ck_assert(cqlval_timeuuid_time(tu) == 0x1deeaa2d2177dd0ULL);
	encodes_as("uuid", cqlval_new_uuid(CQLTYPE_UUID, u), u, 16);
	encodes_as("timeuuid", cqlval_new_uuid(CQLTYPE_TIMEUUID, tu), tu, 16);
	refuses("timeuuid", u, 16);
	refuses("uuid", u, 15);

	ck_assert_int_eq(cqlval_inet_parse("2001:db8::1", got, &n), 0);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_gt(cqlval_inet_format(got, n, a, sizeof a), 0);
	ck_assert_str_eq(a, "2001:db8:0:0:0:0:0:1");
	encodes_as("inet", cqlval_new_inet(got, 16), got, 16);
	ck_assert_int_eq(cqlval_inet_parse("::", got, &n), 0);
	cqlval_inet_format(got, n, a, sizeof a);
	ck_assert_str_eq(a, "0:0:0:0:0:0:0:0");
	/* Mapped: four bytes, as Cassandra stores it (fuzz finding jsonval-3). */
	ck_assert_int_eq(cqlval_inet_parse("::ffff:10.0.0.1", got, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(got, "\x0a\x00\x00\x01", 4);
	cqlval_inet_format(got, n, a, sizeof a);
	ck_assert_str_eq(a, "10.0.0.1");
	ck_assert_int_eq(cqlval_inet_parse("127.0.0.1", got, &n), 0);
	ck_assert_uint_eq(n, 4);
	cqlval_inet_format(got, n, a, sizeof a);
	ck_assert_str_eq(a, "127.0.0.1");
	encodes_as("inet", cqlval_new_inet(got, 4), B(127, 0, 0, 1));
	ck_assert_int_eq(cqlval_inet_parse("1.2.3", got, &n), -1);
	ck_assert_int_eq(cqlval_inet_parse("example.com", got, &n), -1);
	ck_assert_int_eq(cqlval_inet_format(got, 4, a, 4), -1);
	refuses("inet", B(1, 2, 3, 4, 5));
}
END_TEST

static void
ts_is(const char *in, int64_t want)
{
	int64_t	ms;

	ck_assert_msg(cqlval_timestamp_parse(in, &ms) == 0, "parse %s", in);
	ck_assert_msg(ms == want, "%s -> %lld", in, (long long)ms);
}

START_TEST(test_timestamp)
{
	char	s[CQLVAL_TIME_STRLEN];
	int64_t	ms;

	cqlval_timestamp_format(0, s, sizeof s);
	ck_assert_str_eq(s, "1970-01-01 00:00:00.000Z");
	cqlval_timestamp_format(1622550645123LL, s, sizeof s);
	ck_assert_str_eq(s, "2021-06-01 12:30:45.123Z");
	cqlval_timestamp_format(-1, s, sizeof s);
	ck_assert_str_eq(s, "1969-12-31 23:59:59.999Z");
	cqlval_timestamp_format(951782400000LL, s, sizeof s);
	ck_assert_str_eq(s, "2000-02-29 00:00:00.000Z");
	cqlval_timestamp_format(-62135596800000LL, s, sizeof s);
	ck_assert_str_eq(s, "0001-01-01 00:00:00.000Z");
	ck_assert_int_eq(cqlval_timestamp_format(0, s, 10), -1);

	ts_is("2021-06-01 12:30:45.123Z", 1622550645123LL);
	ts_is("2021-06-01 12:30:45.123+0000", 1622550645123LL);
	ts_is("2021-06-01T12:30:45.123+00:00", 1622550645123LL);
	ts_is("2021-06-01 14:30:45.123+02:00", 1622550645123LL);
	ts_is("2021-06-01 10:30:45.123-0200", 1622550645123LL);
	ts_is("2021-06-01 12:30:45.1Z", 1622550645100LL);
	ts_is("2021-06-01 12:30:45", 1622550645000LL);
	ts_is("2021-06-01 12:30", 1622550600000LL);
	ts_is("2021-06-01", 1622505600000LL);
	ts_is("1622550645123", 1622550645123LL);
	ts_is("-5", -5);
	ts_is("1969-12-31 23:59:59.999Z", -1);
	ck_assert_int_eq(cqlval_timestamp_parse("2021-02-29", &ms), -1);
	ck_assert_int_eq(cqlval_timestamp_parse("2021-13-01", &ms), -1);
	ck_assert_int_eq(cqlval_timestamp_parse("2021-06-01 25:00", &ms), -1);
	ck_assert_int_eq(cqlval_timestamp_parse("2021-06-01 12", &ms), -1);
	ck_assert_int_eq(cqlval_timestamp_parse("2021-06-01Zjunk", &ms), -1);
	ck_assert_int_eq(cqlval_timestamp_parse("", &ms), -1);
	ck_assert_int_eq(cqlval_timestamp_parse("yesterday", &ms), -1);
	encodes_as("timestamp", cqlval_new_int(CQLTYPE_TIMESTAMP, 1),
	    B(0, 0, 0, 0, 0, 0, 0, 1));
}
END_TEST

START_TEST(test_date_time)
{
	char		s[CQLVAL_TIME_STRLEN];
	uint32_t	raw;
	int64_t		ns;

	cqlval_date_format(1U << 31, s, sizeof s);
	ck_assert_str_eq(s, "1970-01-01");
	cqlval_date_format((1U << 31) - 1, s, sizeof s);
	ck_assert_str_eq(s, "1969-12-31");
	cqlval_date_format(0, s, sizeof s);
	ck_assert_str_eq(s, "-5877641-06-23");
	cqlval_date_format(UINT32_MAX, s, sizeof s);
	ck_assert_str_eq(s, "5881580-07-11");
	ck_assert_int_eq(cqlval_date_parse("5881580-07-11", &raw), 0);
	ck_assert_uint_eq(raw, UINT32_MAX);
	ck_assert_int_eq(cqlval_date_parse("2024-02-29", &raw), 0);
	cqlval_date_format(raw, s, sizeof s);
	ck_assert_str_eq(s, "2024-02-29");
	ck_assert_uint_eq(raw, (1U << 31) + 19782);
	ck_assert_int_eq(cqlval_date_parse("-0044-03-15", &raw), 0);
	cqlval_date_format(raw, s, sizeof s);
	ck_assert_str_eq(s, "-0044-03-15");
	ck_assert_int_eq(cqlval_date_parse("1900-01-01", &raw), 0);
	ck_assert_uint_eq(raw, (1U << 31) - 25567);
	ck_assert_int_eq(cqlval_date_parse("-5877641-06-23", &raw), 0);
	ck_assert_uint_eq(raw, 0);
	ck_assert_int_eq(cqlval_date_parse("2147483648", &raw), 0);
	ck_assert_uint_eq(raw, 1U << 31);
	ck_assert_int_eq(cqlval_date_parse("-5877641-06-22", &raw), -1);
	ck_assert_int_eq(cqlval_date_parse("4294967296", &raw), -1);
	ck_assert_int_eq(cqlval_date_parse("2023-02-29", &raw), -1);
	ck_assert_int_eq(cqlval_date_parse("2023-1-01", &raw), -1);
	encodes_as("date", cqlval_new_int(CQLTYPE_DATE, 1LL << 31),
	    B(0x80, 0, 0, 0));

	cqlval_time_format(0, s, sizeof s);
	ck_assert_str_eq(s, "00:00:00.000000000");
	ck_assert_int_eq(cqlval_time_parse("12:34:56.123456789", &ns), 0);
	ck_assert(ns == 45296123456789LL);
	cqlval_time_format(ns, s, sizeof s);
	ck_assert_str_eq(s, "12:34:56.123456789");
	ck_assert_int_eq(cqlval_time_parse("12:34:56.5", &ns), 0);
	ck_assert(ns == 45296500000000LL);
	ck_assert_int_eq(cqlval_time_parse("23:59:59", &ns), 0);
	ck_assert_int_eq(cqlval_time_parse("1000", &ns), 0);
	ck_assert(ns == 1000);
	ck_assert_int_eq(cqlval_time_parse("24:00:00", &ns), -1);
	ck_assert_int_eq(cqlval_time_parse("12:34", &ns), -1);
	ck_assert_int_eq(cqlval_time_parse("12:34:56.", &ns), -1);
	ck_assert_int_eq(cqlval_time_format(-1, s, sizeof s), -1);
	refuses("time", B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
	refuses("time", B(0x00, 0x00, 0x4e, 0x94, 0x91, 0x4f, 0x00, 0x00));
}
END_TEST

static void
dur_is(const char *in, int32_t mo, int32_t d, int64_t ns)
{
	int32_t	gm, gd;
	int64_t	gn;

	ck_assert_msg(cqlval_duration_parse(in, &gm, &gd, &gn) == 0, "%s", in);
	ck_assert_msg(gm == mo && gd == d && gn == ns, "%s -> %d %d %lld", in,
	    gm, gd, (long long)gn);
}

static void
dur_bad(const char *in)
{
	int32_t	gm, gd;
	int64_t	gn;

	ck_assert_msg(cqlval_duration_parse(in, &gm, &gd, &gn) != 0, "%s", in);
}

START_TEST(test_duration)
{
	char	s[128];
	struct cqltype	*t = ty("duration");
	struct cqlval	*v;

	cqlval_duration_format(1, 2, 3000000000LL, s, sizeof s);
	ck_assert_str_eq(s, "1mo2d3s");
	cqlval_duration_format(14, 0, 0, s, sizeof s);
	ck_assert_str_eq(s, "1y2mo");
	cqlval_duration_format(0, -1, 0, s, sizeof s);
	ck_assert_str_eq(s, "-1d");
	cqlval_duration_format(0, 0, 3723004005006LL, s, sizeof s);
	ck_assert_str_eq(s, "1h2m3s4ms5us6ns");
	cqlval_duration_format(-12, -3, -60000000000LL, s, sizeof s);
	ck_assert_str_eq(s, "-1y3d1m");
	ck_assert_int_eq(cqlval_duration_format(1, 2, 3, s, 3), -1);

	dur_is("1mo2d3s", 1, 2, 3000000000LL);
	dur_is("1h30m", 0, 0, 5400000000000LL);
	dur_is("2w", 0, 14, 0);
	dur_is("1Y2MO", 14, 0, 0);
	dur_is("3\xc2\xb5s", 0, 0, 3000);
	dur_bad("3us4\xc2\xb5s");
	dur_is("-1d", 0, -1, 0);
	dur_is("5ms7ns", 0, 0, 5000007);
	dur_is("P1Y2M3DT4H5M6S", 14, 3, 14706000000000LL);
	dur_is("P2W", 0, 14, 0);
	dur_is("PT10M", 0, 0, 600000000000LL);
	dur_is("-P1D", 0, -1, 0);
	dur_is("P0001-02-03T04:05:06", 14, 3, 14706000000000LL);
	dur_bad("");
	dur_bad("1d1y");
	dur_bad("1d1d");
	dur_bad("1x");
	dur_bad("d");
	dur_bad("P");
	dur_bad("PT");
	dur_bad("P1H");
	dur_bad("P1W2D");
	dur_bad("99999999999y");
	dur_bad("1 d");

	/* Wire: three zig-zag vints. */
	encodes_as("duration", cqlval_new_duration(1, 2, 3), B(0x02, 0x04,
	    0x06));
	encodes_as("duration", cqlval_new_duration(-1, 0, 0), B(0x01, 0x00,
	    0x00));
	ck_assert_int_eq(cqlval_decode(t, B(0x02, 0x04, 0x06), &v, NULL, 0),
	    0);
	ck_assert_int_eq(v->u.duration.days, 2);
	cqlval_free(v);
	cqltype_free(t);
	refuses("duration", B(0x02, 0x03, 0x00));	/* mixed signs */
	refuses("duration", B(0x02, 0x04));
	refuses("duration", B(0x02, 0x04, 0x06, 0x00));
}
END_TEST

/* Exponents past int32 whose scale fits (fuzz finding jsonval-1). */
START_TEST(test_decimal_extreme_scale)
{
	struct wbuf	w;
	int32_t		sc;

	decimal_is(INT32_MIN, "893725491", "8.93725491E+2147483656");
	decimal_is(INT32_MIN, "-1", "-1E+2147483648");
	decimal_is(INT32_MAX, "1", "1E-2147483647");
	decimal_is(INT32_MAX, "-123", "-1.23E-2147483645");

	wbuf_init(&w, 0);
	/* Scale INT32_MIN - 1 and INT32_MAX + 1. */
	ck_assert_int_eq(cqlval_decimal_from_string("8.93725491E+2147483657",
	    &sc, &w), -1);
	ck_assert_int_eq(cqlval_decimal_from_string("1E-2147483648", &sc, &w),
	    -1);
	ck_assert_int_eq(cqlval_decimal_from_string(
	    "1E-9223372036854775808", &sc, &w), -1);
	ck_assert_int_eq(cqlval_decimal_from_string("1E+9223372036854775807",
	    &sc, &w), -1);
	ck_assert_int_eq(cqlval_decimal_from_string("1E+99999999999999999999",
	    &sc, &w), -1);
	wbuf_free(&w);
}
END_TEST

/* Every duration the formatter writes parses back (fuzz finding jsonval-2). */
START_TEST(test_duration_extremes)
{
	static const int32_t	mos[] = { 0, 1, INT32_MAX, -1, INT32_MIN };
	static const int64_t	nss[] = { 0, 1, INT64_MAX, -1, INT64_MIN,
	    INT64_MIN + 1 };
	char			s[128];
	size_t			i, j, k;
	int32_t			gm, gd;
	int64_t			gn;

	cqlval_duration_format(INT32_MIN, 0, 0, s, sizeof s);
	ck_assert_str_eq(s, "-178956970y8mo");
	dur_is(s, INT32_MIN, 0, 0);
	dur_is("-2147483648d", 0, INT32_MIN, 0);
	dur_is("-2147483648mo", INT32_MIN, 0, 0);
	dur_is("-P2147483648D", 0, INT32_MIN, 0);
	dur_is("-2562047h47m16s854ms775us808ns", 0, 0, INT64_MIN);
	dur_bad("2147483648d");
	dur_bad("-2147483649d");
	dur_bad("-178956970y9mo");
	dur_bad("2562047h47m16s854ms775us808ns");
	dur_bad("-2562047h47m16s854ms775us809ns");
	/* Every count up to INT64_MAX reads, in any unit. */
	dur_is("9223372036854775807ns", 0, 0, INT64_MAX);
	dur_is("-9223372036854775807ns", 0, 0, -INT64_MAX);
	dur_is("9223372036854775800ns", 0, 0, INT64_MAX - 7);
	dur_bad("9223372036854775808ns");
	dur_bad("92233720368547758070ns");

	for (i = 0; i < nitems(mos); i++) {
		for (j = 0; j < nitems(mos); j++) {
			for (k = 0; k < nitems(nss); k++) {
				/* Components share a sign (or are 0). */
				if ((mos[i] < 0 && (mos[j] > 0 || nss[k] > 0)) ||
				    (mos[j] < 0 && (mos[i] > 0 || nss[k] > 0)) ||
				    (nss[k] < 0 && (mos[i] > 0 || mos[j] > 0)))
					continue;
				/* Zero is "" (callers write "0s" instead). */
				if (mos[i] == 0 && mos[j] == 0 && nss[k] == 0)
					continue;
				ck_assert_int_gt(cqlval_duration_format(mos[i],
				    mos[j], nss[k], s, sizeof s), 0);
				ck_assert_msg(cqlval_duration_parse(s, &gm, &gd,
				    &gn) == 0, "%s does not parse", s);
				ck_assert_msg(gm == mos[i] && gd == mos[j] &&
				    gn == nss[k], "%s -> %d %d %lld", s, gm, gd,
				    (long long)gn);
			}
		}
	}
}
END_TEST

static void
dbl_is(double d, const char *want)
{
	char	s[64];
	double	back;

	ck_assert_int_gt(cqlval_double_format(d, s, sizeof s), 0);
	ck_assert_msg(strcmp(s, want) == 0, "%.17g -> %s want %s", d, s, want);
	ck_assert_int_eq(cqlval_double_parse(s, &back), 0);
	ck_assert(back == d || (isnan(d) && isnan(back)));
}

static void
flt_is(float f, const char *want)
{
	char	s[64];
	float	back;

	cqlval_float_format(f, s, sizeof s);
	ck_assert_msg(strcmp(s, want) == 0, "%.9g -> %s want %s", f, s, want);
	ck_assert_int_eq(cqlval_float_parse(s, &back), 0);
	ck_assert(back == f || (isnan(f) && isnan(back)));
}

START_TEST(test_float_text)
{
	double	d;

	dbl_is(1.5e300, "1.5E300");
	dbl_is(2.5, "2.5");
	dbl_is(100, "100.0");
	dbl_is(1e7, "1.0E7");
	dbl_is(9999999, "9999999.0");
	dbl_is(0.001, "0.001");
	dbl_is(0.0001, "1.0E-4");
	dbl_is(0.1, "0.1");
	dbl_is(1.0 / 3, "0.3333333333333333");
	dbl_is(123456789.0, "1.23456789E8");
	dbl_is(-0.0, "-0.0");
	dbl_is(0.0, "0.0");
	dbl_is(NAN, "NaN");
	dbl_is(INFINITY, "Infinity");
	dbl_is(-INFINITY, "-Infinity");
	dbl_is(-1.25e-10, "-1.25E-10");
	dbl_is(4.9e-324, "4.9E-324");
	dbl_is(1.7976931348623157e308, "1.7976931348623157E308");
	flt_is(2.5f, "2.5");
	flt_is(0.1f, "0.1");
	flt_is(1e10f, "1.0E10");
	flt_is(3.4028235e38f, "3.4028235E38");
	flt_is(-1.1f, "-1.1");
	flt_is(1.4e-45f, "1.4E-45");
	dbl_is(1e23, "1.0E23");
	dbl_is(2e-3, "0.002");
	ck_assert_int_eq(cqlval_double_parse("1e3", &d), 0);
	ck_assert(d == 1000);
	ck_assert_int_eq(cqlval_double_parse("inf", &d), -1);
	ck_assert_int_eq(cqlval_double_parse("nan", &d), -1);
	ck_assert_int_eq(cqlval_double_parse("0x10", &d), -1);
	ck_assert_int_eq(cqlval_double_parse("1.5x", &d), -1);
	ck_assert_int_eq(cqlval_double_parse("", &d), -1);
}
END_TEST

START_TEST(test_blob_text)
{
	struct wbuf	w;
	char		*s;

	s = cqlval_blob_format(B(0x00, 0xff, 0x1a));
	ck_assert_str_eq(s, "0x00ff1a");
	free(s);
	s = cqlval_blob_format(NULL, 0);
	ck_assert_str_eq(s, "0x");
	free(s);
	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_blob_parse("0x00FF1a", &w), 0);
	ck_assert_uint_eq(w.len, 3);
	ck_assert_uint_eq(w.p[1], 0xff);
	ck_assert_int_eq(cqlval_blob_parse("0x", &w), 0);
	ck_assert_uint_eq(w.len, 3);
	ck_assert_int_eq(cqlval_blob_parse("0x0", &w), -1);
	ck_assert_int_eq(cqlval_blob_parse("00ff", &w), -1);
	ck_assert_int_eq(cqlval_blob_parse("0xzz", &w), -1);
	wbuf_free(&w);
}
END_TEST

START_TEST(test_collections)
{
	struct cqlval	*l, *m, *inner, *tup, *u;
	struct cqltype	*t;
	char		 err[128];

	l = cqlval_new_coll(CQLTYPE_LIST);
	cqlval_append(l, cqlval_new_int(CQLTYPE_INT, 1));
	cqlval_append(l, cqlval_new_int(CQLTYPE_INT, 2));
	encodes_as("list<int>", l, B(0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1,
	    0, 0, 0, 4, 0, 0, 0, 2));
	encodes_as("set<text>", cqlval_new_coll(CQLTYPE_SET), B(0, 0, 0, 0));

	m = cqlval_new_coll(CQLTYPE_MAP);
	cqlval_append(m, cqlval_new_text("a"));
	cqlval_append(m, cqlval_new_int(CQLTYPE_INT, 1));
	ck_assert_uint_eq(m->u.coll.n, 1);
	encodes_as("map<text, int>", m, B(0, 0, 0, 1, 0, 0, 0, 1, 'a',
	    0, 0, 0, 4, 0, 0, 0, 1));

	/* map<text, frozen<list<int>>> {'k': [7]} */
	m = cqlval_new_coll(CQLTYPE_MAP);
	inner = cqlval_new_coll(CQLTYPE_LIST);
	cqlval_append(inner, cqlval_new_int(CQLTYPE_INT, 7));
	cqlval_map_put(m, cqlval_new_text("k"), inner);
	encodes_as("map<text, frozen<list<int>>>", m, B(0, 0, 0, 1, 0, 0, 0, 1,
	    'k', 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 7));

	tup = cqlval_new_coll(CQLTYPE_TUPLE);
	cqlval_append(tup, cqlval_new_int(CQLTYPE_INT, 1));
	cqlval_append(tup, cqlval_new_null(CQLTYPE_TEXT));
	encodes_as("frozen<tuple<int, text>>", tup, B(0, 0, 0, 4, 0, 0, 0, 1,
	    0xff, 0xff, 0xff, 0xff));

	/* UDT with the trailing field missing: it decodes as null. */
	t = cqltype_new_udt("ks", "addr");
	cqltype_add(t, "street", cqltype_new_scalar(CQLTYPE_TEXT));
	cqltype_add(t, "zip", cqltype_new_scalar(CQLTYPE_INT));
	ck_assert_int_eq(cqlval_decode(t, B(0, 0, 0, 4, 'M', 'a', 'i', 'n'),
	    &u, err, sizeof err), 0);
	ck_assert_uint_eq(u->u.coll.n, 2);
	ck_assert_int_eq(u->u.coll.items[0]->is_null, 0);
	ck_assert_int_eq(u->u.coll.items[1]->is_null, 1);
	cqlval_free(u);
	ck_assert_int_ne(cqlval_decode(t, B(0, 0, 0, 4, 'M', 'a', 'i', 'n',
	    0, 0, 0, 4, 0, 0, 0, 1, 0), &u, err, sizeof err), 0);
	cqltype_free(t);
	t = cqltype_parse("frozen<addr>", NULL);
	ck_assert_int_ne(cqlval_decode(t, B(0, 0, 0, 0), &u, err, sizeof err),
	    0);
	cqltype_free(t);

	l = cqlval_new_coll(CQLTYPE_VECTOR);
	cqlval_append(l, cqlval_new_float(1));
	cqlval_append(l, cqlval_new_float(2));
	cqlval_append(l, cqlval_new_float(3));
	encodes_as("vector<float, 3>", l, B(0x3f, 0x80, 0, 0, 0x40, 0, 0, 0,
	    0x40, 0x40, 0, 0));
	l = cqlval_new_coll(CQLTYPE_VECTOR);
	cqlval_append(l, cqlval_new_text("ab"));
	cqlval_append(l, cqlval_new_text(""));
	encodes_as("vector<text, 2>", l, B(0x02, 'a', 'b', 0x00));
	refuses("vector<float, 3>", B(0, 0, 0, 0));
	refuses("vector<text, 2>", B(0x02, 'a', 'b'));
	refuses("vector<text, 2>", B(0x05, 'a', 'b', 0x00));

	refuses("list<int>", B(0xff, 0xff, 0xff, 0xff));
	refuses("list<int>", B(0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0));
	refuses("list<int>", B(0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff));
	refuses("list<int>", B(0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe));
	refuses("list<int>", B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0));
	refuses("list<int>", B(0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0));
	refuses("list<int>", B(0, 0, 0, 0, 0));
	refuses("map<int, int>", B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1));
	refuses("set<text>", B(0, 0, 0, 1, 0, 0, 0, 1, 0xff));
	refuses("frozen<tuple<int>>", B(0, 0, 0, 4, 0, 0, 0, 1, 9));
	refuses("frozen<tuple<int>>", B(0xff, 0xff, 0xff, 0xfe));
	refuses("frozen<tuple<int>>", B(0, 0, 0, 3, 0, 0, 1));
}
END_TEST

START_TEST(test_deep_nesting)
{
	struct cqltype	*t = cqltype_new_scalar(CQLTYPE_INT);
	struct wbuf	 w, x;
	struct cqlval	*v = NULL;
	char		 err[128];
	int		 i;

	/* 40 nested lists built by hand (parsers cap at 32). */
	wbuf_init(&w, 0);
	wbuf_i32(&w, 5);
	for (i = 0; i < 40; i++) {
		t = cqltype_frozen(cqltype_new_list(t));
		wbuf_init(&x, 0);
		wbuf_i32(&x, 1);
		wbuf_bytes(&x, w.p, w.len);
		wbuf_free(&w);
		w = x;
	}
	ck_assert_int_ne(cqlval_decode(t, w.p, w.len, &v, err, sizeof err),
	    0);
	ck_assert_ptr_null(v);
	ck_assert(strstr(err, "deep") != NULL);
	(void)cqlval_compare(t, w.p, w.len, w.p, w.len);
	wbuf_free(&w);
	cqltype_free(t);
}
END_TEST

/* Serialize v as s and return the bytes (caller frees). */
static uint8_t *
ser(const char *s, struct cqlval *v, size_t *n)
{
	struct cqltype	*t = ty(s);
	struct wbuf	 w;

	wbuf_init(&w, 0);
	ck_assert_int_eq(cqlval_encode(t, v, &w), 0);
	cqlval_free(v);
	cqltype_free(t);
	return (wbuf_steal(&w, n));
}

/* a < b under type s, both directions, and each equals itself. */
static void
less(const char *s, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	struct cqltype	*t = ty(s);

	ck_assert_msg(cqlval_compare(t, a, an, b, bn) < 0, "%s: a < b", s);
	ck_assert_msg(cqlval_compare(t, b, bn, a, an) > 0, "%s: b > a", s);
	ck_assert_int_eq(cqlval_compare(t, a, an, a, an), 0);
	ck_assert_int_eq(cqlval_compare(t, b, bn, b, bn), 0);
	cqltype_free(t);
}

static void
less_v(const char *s, struct cqlval *a, struct cqlval *b)
{
	size_t	 an, bn;
	uint8_t	*pa = ser(s, a, &an), *pb = ser(s, b, &bn);

	less(s, pa, an, pb, bn);
	free(pa);
	free(pb);
}

START_TEST(test_compare)
{
	static const uint8_t	t1[16] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
	    0x11, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t	t2[16] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	    0x11, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t	v4[16] = { 0x00, 0, 0, 0, 0, 0, 0x40, 0, 0x80,
	    0, 0, 0, 0, 0, 0, 0 };
	struct cqltype		*t;
	struct cqlval		*a, *b;

	less_v("int", cqlval_new_int(CQLTYPE_INT, -1),
	    cqlval_new_int(CQLTYPE_INT, 1));
	less_v("bigint", cqlval_new_int(CQLTYPE_BIGINT, INT64_MIN),
	    cqlval_new_int(CQLTYPE_BIGINT, -1));
	less_v("timestamp", cqlval_new_int(CQLTYPE_TIMESTAMP, -1000),
	    cqlval_new_int(CQLTYPE_TIMESTAMP, 0));
	less_v("date", cqlval_new_int(CQLTYPE_DATE, (1LL << 31) - 1),
	    cqlval_new_int(CQLTYPE_DATE, 1LL << 31));
	less_v("boolean", cqlval_new_bool(0), cqlval_new_bool(1));
	less_v("double", cqlval_new_double(-0.0), cqlval_new_double(0.0));
	less_v("double", cqlval_new_double(INFINITY), cqlval_new_double(NAN));
	less_v("double", cqlval_new_double(-INFINITY), cqlval_new_double(-1));
	less_v("float", cqlval_new_float(-2), cqlval_new_float(1));
	less_v("text", cqlval_new_text("a"), cqlval_new_text("b"));
	less_v("text", cqlval_new_text("b"), cqlval_new_text("ba"));
	less_v("text", cqlval_new_text("z"), cqlval_new_text("\xc3\xa9"));
	less("varint", B(0xff, 0x7f), B(0xff));
	less("varint", B(0xff), B(0x00));
	less("varint", B(0x7f), B(0x00, 0x80));
	less("varint", B(0x80), B(0x7f));
	less("varint", B(0xfe, 0xff), B(0xff, 0xff, 0x00));
	{
		struct cqltype	*vt = ty("varint");

		ck_assert_int_eq(cqlval_compare(vt, B(0x00, 0x01), B(0x01)), 0);
		ck_assert_int_eq(cqlval_compare(vt, B(0xff, 0xff), B(0xff)), 0);
		cqltype_free(vt);
	}
	/* decimals: 1.5 == 1.50; -1500 < 1; 0.00012 < 0.0012. */
	{
		struct cqltype	*dt = ty("decimal");

		ck_assert_int_eq(cqlval_compare(dt, B(0, 0, 0, 1, 15),
		    B(0, 0, 0, 2, 0, 150)), 0);
		ck_assert_int_eq(cqlval_compare(dt, B(0, 0, 0, 0, 0),
		    B(0xff, 0xff, 0xff, 0xfe, 0)), 0);
		cqltype_free(dt);
	}
	less("decimal", B(0xff, 0xff, 0xff, 0xff, 0xff, 0x6a), B(0, 0, 0, 0, 1));
	less("decimal", B(0, 0, 0, 5, 12), B(0, 0, 0, 4, 12));
	less("decimal", B(0, 0, 0, 1, 0xf1), B(0, 0, 0, 0, 0));
	less("decimal", B(0, 0, 0, 0, 0x09), B(0, 0, 0, 1, 0x64));
	less("decimal", B(0, 0, 0, 0, 0xf7), B(0, 0, 0, 1, 0xf6));

	/* timeuuid by time although t1's bytes sort higher. */
	less("timeuuid", t1, 16, t2, 16);
	less("uuid", t1, 16, t2, 16);
	/* uuid: version first. */
	less("uuid", t2, 16, v4, 16);
	less("inet", B(9, 0, 0, 1), B(10, 0, 0, 1));
	less("blob", B(0x01), B(0xff));
	less("int", NULL, 0, B(0x80, 0, 0, 0));

	/* Tuples: null first, then shorter first. */
	a = cqlval_new_coll(CQLTYPE_TUPLE);
	cqlval_append(a, cqlval_new_int(CQLTYPE_INT, 1));
	cqlval_append(a, cqlval_new_null(CQLTYPE_TEXT));
	b = cqlval_new_coll(CQLTYPE_TUPLE);
	cqlval_append(b, cqlval_new_int(CQLTYPE_INT, 1));
	cqlval_append(b, cqlval_new_text(""));
	less_v("frozen<tuple<int, text>>", a, b);
	less("frozen<tuple<int, text>>", B(0, 0, 0, 4, 0, 0, 0, 1),
	    B(0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0));
	less("frozen<tuple<int, text>>", B(0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff),
	    B(0, 0, 0, 4, 0, 0, 0, 0));

	/* Frozen lists element by element, then by length. */
	less("frozen<list<int>>", B(0, 0, 0, 1, 0, 0, 0, 4, 0xff, 0xff, 0xff,
	    0xff), B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0));
	less("frozen<list<int>>", B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5),
	    B(0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 0));
	less("frozen<list<int>>", B(0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1,
	    0, 0, 0, 4, 0, 0, 0, 9), B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2));
	less("frozen<map<int, int>>", B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1,
	    0, 0, 0, 4, 0, 0, 0, 1), B(0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1,
	    0, 0, 0, 4, 0, 0, 0, 2));

	/* Malformed input compares without reading past the end. */
	t = ty("frozen<list<text>>");
	(void)cqlval_compare(t, B(0, 0, 0, 9, 0x7f, 0, 0, 0),
	    B(0, 0, 0, 9, 0, 0, 0, 9));
	cqltype_free(t);
}
END_TEST

START_TEST(test_dup)
{
	struct cqlval	*m, *c;
	struct cqltype	*t = ty("map<text, frozen<list<int>>>");
	struct wbuf	 w1, w2;

	m = cqlval_new_coll(CQLTYPE_MAP);
	c = cqlval_new_coll(CQLTYPE_LIST);
	cqlval_append(c, cqlval_new_int(CQLTYPE_INT, 3));
	cqlval_map_put(m, cqlval_new_text("x"), c);
	c = cqlval_dup(m);
	wbuf_init(&w1, 0);
	wbuf_init(&w2, 0);
	ck_assert_int_eq(cqlval_encode(t, m, &w1), 0);
	cqlval_free(m);
	ck_assert_int_eq(cqlval_encode(t, c, &w2), 0);
	ck_assert(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
	cqlval_free(c);
	wbuf_free(&w1);
	wbuf_free(&w2);
	/* A map with a key but no value yet is freed cleanly. */
	m = cqlval_new_coll(CQLTYPE_MAP);
	cqlval_append(m, cqlval_new_text("k"));
	cqlval_free(m);
	cqltype_free(t);
}
END_TEST

static Suite *
cqlval_suite(void)
{
	Suite	*s = suite_create("cqlval");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_floats);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_utf8_fast_path);
	tcase_add_test(tc, test_empty_values);
	tcase_add_test(tc, test_varint);
	tcase_add_test(tc, test_decimal);
	tcase_add_test(tc, test_uuid_inet);
	tcase_add_test(tc, test_timestamp);
	tcase_add_test(tc, test_date_time);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_decimal_extreme_scale);
	tcase_add_test(tc, test_duration_extremes);
	tcase_add_test(tc, test_float_text);
	tcase_add_test(tc, test_blob_text);
	tcase_add_test(tc, test_collections);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_dup);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(cqlval_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
