/*
 * check_cqltype.c: CQL type text and Java class names parse and format as
 * Cassandra writes them, the wire [option] form is byte exact, and
 * hostile type descriptions fail cleanly.
 */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"

#define M "org.apache.cassandra.db.marshal."

/* Parse then format gives back the same text. */
static void
roundtrip(const char *s)
{
	struct cqltype	*t, *u;
	char		*err = NULL, *f;

	t = cqltype_parse(s, &err);
	ck_assert_msg(t != NULL, "parse %s: %s", s, err);
	f = cqltype_format(t);
	ck_assert_str_eq(f, s);
	u = cqltype_dup(t);
	ck_assert(cqltype_equal(t, u));
	free(f);
	cqltype_free(t);
	cqltype_free(u);
}

/* Parse s and expect it formatted as want. */
static void
parses_as(const char *s, const char *want)
{
	struct cqltype	*t;
	char		*err = NULL, *f;

	t = cqltype_parse(s, &err);
	ck_assert_msg(t != NULL, "parse %s: %s", s, err);
	f = cqltype_format(t);
	ck_assert_msg(strcmp(f, want) == 0, "%s -> %s, want %s", s, f, want);
	free(f);
	cqltype_free(t);
}

static void
rejects(const char *s)
{
	struct cqltype	*t;
	char		*err = NULL;

	t = cqltype_parse(s, &err);
	ck_assert_msg(t == NULL, "%s parsed", s);
	ck_assert_ptr_nonnull(err);
	free(err);
}

START_TEST(test_scalars)
{
	static const char *const	names[] = { "ascii", "bigint", "blob",
	    "boolean", "counter", "date", "decimal", "double", "duration",
	    "float", "inet", "int", "smallint", "text", "time", "timestamp",
	    "timeuuid", "tinyint", "uuid", "varint" };
	size_t				i;

	for (i = 0; i < nitems(names); i++)
		roundtrip(names[i]);
	parses_as("varchar", "text");
	parses_as("  INT ", "int");
	parses_as("TimeStamp", "timestamp");
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_INT), 4);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_BIGINT), 8);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_UUID), 16);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_TINYINT), 1);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_SMALLINT), 2);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_DATE), 4);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_TEXT), -1);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_VARINT), -1);
	ck_assert_int_eq(cqltype_fixed_size(CQLTYPE_LIST), -1);
	ck_assert_str_eq(cqltype_kind_name(CQLTYPE_TEXT), "text");
	ck_assert_str_eq(cqltype_kind_name(CQLTYPE_MAP), "map");
	ck_assert_str_eq(cqltype_kind_name((enum cqltype_kind)0x77), "unknown");
}
END_TEST

START_TEST(test_complex)
{
	struct cqltype	*t;

	roundtrip("list<int>");
	roundtrip("set<text>");
	roundtrip("map<text, int>");
	roundtrip("frozen<list<text>>");
	roundtrip("frozen<map<text, frozen<list<int>>>>");
	roundtrip("frozen<tuple<int, text>>");
	roundtrip("tuple<int, text, frozen<list<blob>>>");
	roundtrip("vector<float, 3>");
	roundtrip("vector<frozen<list<int>>, 2>");
	roundtrip("frozen<addr>");
	roundtrip("addr");
	roundtrip("\"MyType\"");
	roundtrip("frozen<\"Odd\"\"Name\">");
	roundtrip("'com.example.MyType'");
	roundtrip("map<frozen<set<int>>, frozen<addr>>");
	parses_as("MAP<TEXT,INT>", "map<text, int>");
	parses_as("map < varchar , frozen < list < int > > >",
	    "map<text, frozen<list<int>>>");
	parses_as("vector<float,3>", "vector<float, 3>");
	parses_as("frozen< Tuple<int,text> >", "frozen<tuple<int, text>>");

	t = cqltype_parse("ks.addr", NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->kind, CQLTYPE_UDT);
	ck_assert_str_eq(t->keyspace, "ks");
	ck_assert_str_eq(t->name, "addr");
	cqltype_free(t);
	t = cqltype_parse("Addr", NULL);
	ck_assert_str_eq(t->name, "addr");
	ck_assert_ptr_null(t->keyspace);
	ck_assert_uint_eq(t->n, 0);
	cqltype_free(t);

	/* Implicit freezing as Cassandra applies it. */
	t = cqltype_parse("tuple<int, list<int>>", NULL);
	cqltype_normalize(t);
	{
		char	*f = cqltype_format(t);

		ck_assert_str_eq(f, "frozen<tuple<int, frozen<list<int>>>>");
		free(f);
	}
	cqltype_free(t);
}
END_TEST

START_TEST(test_java_classes)
{
	struct cqltype	*t;
	char		*c;

	parses_as(M "Int32Type", "int");
	parses_as("Int32Type", "int");
	parses_as(M "UTF8Type", "text");
	parses_as(M "DateType", "timestamp");
	parses_as(M "MapType(" M "UTF8Type," M "Int32Type)", "map<text, int>");
	parses_as(M "FrozenType(" M "ListType(" M "Int32Type))",
	    "frozen<list<int>>");
	parses_as(M "ReversedType(" M "TimeUUIDType)", "timeuuid");
	parses_as(M "TupleType(" M "Int32Type," M "UTF8Type)",
	    "tuple<int, text>");
	parses_as(M "VectorType(" M "FloatType,3)", "vector<float, 3>");
	parses_as(M "DurationType", "duration");
	parses_as("com.example.Foo", "'com.example.Foo'");
	parses_as(M "DynamicCompositeType(a=>" M "Int32Type)",
	    "'" M "DynamicCompositeType(a=>" M "Int32Type)'");

	t = cqltype_parse(M "UserType(ks,61646472,737472656574:" M
	    "UTF8Type,7a6970:" M "Int32Type)", NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->kind, CQLTYPE_UDT);
	ck_assert_str_eq(t->keyspace, "ks");
	ck_assert_str_eq(t->name, "addr");
	ck_assert_uint_eq(t->n, 2);
	ck_assert_str_eq(t->fields[0], "street");
	ck_assert_int_eq(t->sub[0]->kind, CQLTYPE_TEXT);
	ck_assert_str_eq(t->fields[1], "zip");
	c = cqltype_class_name(t);
	ck_assert_str_eq(c, M "UserType(ks,61646472,737472656574:" M
	    "UTF8Type,7a6970:" M "Int32Type)");
	free(c);
	cqltype_free(t);

	t = cqltype_parse("frozen<map<text, vector<float, 2>>>", NULL);
	c = cqltype_class_name(t);
	ck_assert_str_eq(c, M "FrozenType(" M "MapType(" M "UTF8Type," M
	    "VectorType(" M "FloatType,2)))");
	cqltype_free(t);
	t = cqltype_parse(c, NULL);
	free(c);
	c = cqltype_format(t);
	ck_assert_str_eq(c, "frozen<map<text, vector<float, 2>>>");
	free(c);
	cqltype_free(t);
}
END_TEST

START_TEST(test_bad_text)
{
	char	deep[400];
	int	i;

	rejects("");
	rejects("list<int");
	rejects("list<>");
	rejects("map<int>");
	rejects("map<int, int, int>");
	rejects("frozen<int>");
	rejects("vector<float>");
	rejects("vector<float, 0>");
	rejects("vector<float, -3>");
	rejects("vector<float, 3");
	rejects("int int");
	rejects("list<int>>");
	rejects("\"unterminated");
	rejects("'custom");
	rejects("bogus<int>");
	rejects(M "MapType(" M "Int32Type)");
	rejects(M "UserType(ks,zz)");
	strcpy(deep, "");
	for (i = 0; i < 40; i++)
		strcat(deep, "list<");
	strcat(deep, "int");
	for (i = 0; i < 40; i++)
		strcat(deep, ">");
	rejects(deep);
}
END_TEST

/* Every type string a real Cassandra 4.0 shows in system_schema.columns. */
START_TEST(test_system_schema_types)
{
	json_t		*root, *cols, *row;
	json_error_t	 jerr;
	FILE		*f;
	char		 line[512];
	const char	*path;
	size_t		 i, n = 0;

	/* The distinct strings, kept beside the tests. */
	f = fopen(TOP_SRCDIR "/tests/unit/data/system-schema-types.txt", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		roundtrip(line);
		n++;
	}
	fclose(f);
	ck_assert_uint_ge(n, 20);

	/* And every row of the recorded tables, when they are at hand. */
	if ((path = getenv("CQLP_SYSTEM_TABLES_JSON")) == NULL)
		path = TOP_SRCDIR
		    "/../shared/reference/cassandra-4.0-system-tables.json";
	if ((root = json_load_file(path, 0, &jerr)) == NULL)
		return;
	cols = json_object_get(root, "system_schema.columns (system keyspaces)");
	ck_assert(json_is_array(cols));
	n = 0;
	json_array_foreach(cols, i, row) {
		const char	*ty = json_string_value(json_object_get(row,
		    "type"));

		ck_assert_ptr_nonnull(ty);
		roundtrip(ty);
		n++;
	}
	ck_assert_uint_gt(n, 200);
	json_decref(root);
}
END_TEST

/* Write t as an [option] and compare to want; read it back. */
static void
option_is(uint8_t version, const char *text, const uint8_t *want, size_t n)
{
	struct cqltype	*t, *u;
	struct wbuf	 w;
	struct rbuf	 r;
	size_t		 i;

	t = cqltype_parse(text, NULL);
	ck_assert_ptr_nonnull(t);
	wbuf_init(&w, 0);
	cqltype_write(&w, version, t);
	ck_assert(wbuf_ok(&w));
	ck_assert_msg(w.len == n && memcmp(w.p, want, n) == 0,
	    "option bytes for %s", text);
	rbuf_init(&r, w.p, w.len);
	u = cqltype_read(&r, version);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(rbuf_left(&r), 0);
	ck_assert_msg(cqltype_equal_unfrozen(t, u), "read back %s", text);
	cqltype_free(u);

	/* Every truncation is an error, not a crash. */
	for (i = 0; i < n; i++) {
		rbuf_init(&r, want, i);
		u = cqltype_read(&r, version);
		ck_assert_ptr_null(u);
		ck_assert(!rbuf_ok(&r));
	}
	cqltype_free(t);
	wbuf_free(&w);
}

START_TEST(test_option_bytes)
{
	static const uint8_t	oint[] = { 0x00, 0x09 };
	static const uint8_t	olist[] = { 0x00, 0x20, 0x00, 0x0d };
	static const uint8_t	omap[] = { 0x00, 0x21, 0x00, 0x0d, 0x00, 0x09 };
	static const uint8_t	oset[] = { 0x00, 0x22, 0x00, 0x0c };
	static const uint8_t	otuple[] = { 0x00, 0x31, 0x00, 0x02, 0x00,
	    0x09, 0x00, 0x0d };
	static const uint8_t	odur5[] = { 0x00, 0x15 };
	static const char	dur4s[] = M "DurationType";
	uint8_t			odur4[4 + sizeof dur4s - 1];
	static const char	vecs[] = M "VectorType(" M "FloatType,3)";
	uint8_t			ovec[4 + sizeof vecs - 1];
	static const uint8_t	oudt[] = { 0x00, 0x30, 0x00, 0x02, 'k', 's',
	    0x00, 0x04, 'a', 'd', 'd', 'r', 0x00, 0x02, 0x00, 0x06, 's', 't',
	    'r', 'e', 'e', 't', 0x00, 0x0d, 0x00, 0x03, 'z', 'i', 'p', 0x00,
	    0x09 };
	struct cqltype		*t;
	struct wbuf		 w;
	struct rbuf		 r;

	option_is(4, "int", oint, sizeof oint);
	option_is(4, "list<text>", olist, sizeof olist);
	option_is(4, "frozen<map<varchar, int>>", omap, sizeof omap);
	option_is(3, "set<uuid>", oset, sizeof oset);
	option_is(4, "tuple<int, text>", otuple, sizeof otuple);
	option_is(5, "duration", odur5, sizeof odur5);
	odur4[0] = 0;
	odur4[1] = 0;
	odur4[2] = 0;
	odur4[3] = sizeof dur4s - 1;
	memcpy(odur4 + 4, dur4s, sizeof dur4s - 1);
	option_is(4, "duration", odur4, sizeof odur4);
	ovec[0] = 0;
	ovec[1] = 0;
	ovec[2] = 0;
	ovec[3] = sizeof vecs - 1;
	memcpy(ovec + 4, vecs, sizeof vecs - 1);
	option_is(4, "vector<float, 3>", ovec, sizeof ovec);

	/* A UDT built by hand, written and read back. */
	t = cqltype_new_udt("ks", "addr");
	cqltype_add(t, "street", cqltype_new_scalar(CQLTYPE_TEXT));
	cqltype_add(t, "zip", cqltype_new_scalar(CQLTYPE_INT));
	wbuf_init(&w, 0);
	cqltype_write(&w, 4, t);
	ck_assert_uint_eq(w.len, sizeof oudt);
	ck_assert(memcmp(w.p, oudt, sizeof oudt) == 0);
	cqltype_free(t);
	rbuf_init(&r, oudt, sizeof oudt);
	t = cqltype_read(&r, 4);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->fields[1], "zip");
	{
		char	*f = cqltype_format(t);

		ck_assert_str_eq(f, "addr");
		free(f);
	}
	cqltype_free(t);
	wbuf_free(&w);
}
END_TEST

START_TEST(test_option_hostile)
{
	static const uint8_t	unknown[] = { 0x00, 0x40 };
	static const uint8_t	vecid[] = { 0x01, 0x00 };
	static const uint8_t	wide[] = { 0x00, 0x31, 0xff, 0xff, 0x00,
	    0x09 };
	uint8_t			deep[200];
	struct rbuf		r;
	struct cqltype		*t;
	size_t			i;

	rbuf_init(&r, unknown, sizeof unknown);
	ck_assert_ptr_null(cqltype_read(&r, 4));
	rbuf_init(&r, vecid, sizeof vecid);
	ck_assert_ptr_null(cqltype_read(&r, 4));
	rbuf_init(&r, wide, sizeof wide);
	ck_assert_ptr_null(cqltype_read(&r, 4));
	ck_assert(!rbuf_ok(&r));
	/* list<list<...>> 99 deep. */
	for (i = 0; i + 2 <= sizeof deep - 2; i += 2) {
		deep[i] = 0x00;
		deep[i + 1] = 0x20;
	}
	deep[i] = 0x00;
	deep[i + 1] = 0x09;
	rbuf_init(&r, deep, sizeof deep);
	ck_assert_ptr_null(cqltype_read(&r, 4));
	/* 30 deep is fine. */
	rbuf_init(&r, deep + sizeof deep - 62, 62);
	t = cqltype_read(&r, 4);
	ck_assert_ptr_nonnull(t);
	cqltype_free(t);
}
END_TEST

START_TEST(test_equal_dup)
{
	struct cqltype	*a, *b;

	a = cqltype_parse("frozen<map<text, frozen<list<int>>>>", NULL);
	b = cqltype_new_map(cqltype_new_scalar(CQLTYPE_TEXT),
	    cqltype_frozen(cqltype_new_list(cqltype_new_scalar(CQLTYPE_INT))));
	ck_assert(!cqltype_equal(a, b));
	ck_assert(cqltype_equal_unfrozen(a, b));
	b->frozen = 1;
	ck_assert(cqltype_equal(a, b));
	cqltype_free(b);
	b = cqltype_parse("frozen<map<text, frozen<list<bigint>>>>", NULL);
	ck_assert(!cqltype_equal_unfrozen(a, b));
	cqltype_free(a);
	cqltype_free(b);
	ck_assert(cqltype_is_collection(CQLTYPE_SET));
	ck_assert(!cqltype_is_collection(CQLTYPE_TUPLE));
}
END_TEST

static Suite *
cqltype_suite(void)
{
	Suite	*s = suite_create("cqltype");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_complex);
	tcase_add_test(tc, test_java_classes);
	tcase_add_test(tc, test_bad_text);
	tcase_add_test(tc, test_system_schema_types);
	tcase_add_test(tc, test_option_bytes);
	tcase_add_test(tc, test_option_hostile);
	tcase_add_test(tc, test_equal_dup);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(cqltype_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
