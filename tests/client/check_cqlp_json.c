/*
 * check_cqlp_json.c: libcqlproxy's JSON reader keeps every value's exact
 * text, decodes strings, and refuses malformed or hostile input without
 * reading past it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cqlp-int.h"

static struct jdoc
parse_ok(const char *text)
{
	struct jdoc	doc;
	char		err[128] = "";
	char		*t = strdup(text);

	ck_assert_msg(jdoc_parse(&doc, t, strlen(t), err, sizeof err) == 0,
	    "%s: %s", text, err);
	return (doc);
}

static void
parse_bad(const char *text, size_t len)
{
	struct jdoc	doc;
	char		err[128] = "";
	char		*t = malloc(len + 1);

	memcpy(t, text, len);
	t[len] = '\0';
	ck_assert_msg(jdoc_parse(&doc, t, len, err, sizeof err) != 0,
	    "accepted: %s", text);
	ck_assert(err[0] != '\0');
	free(t);
}

START_TEST(test_exact)
{
	struct jdoc		 doc;
	const struct jnode	*n;

	doc = parse_ok(" {\"a\": [1, -0.0, 123456789012345678901234567890,"
	    " -1.50E+3, 1e-400], \"b\": {\"c\": null, \"d\": true}, "
	    "\"e\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud834\\udd1e\\u0000\"} ");
	ck_assert_int_eq(doc.root->type, J_OBJECT);
	n = jnode_get(doc.root, "a");
	ck_assert_int_eq(n->type, J_ARRAY);
	ck_assert_uint_eq(n->n, 5);
	ck_assert(n->kids[2].rawlen == 30 &&
	    memcmp(n->kids[2].raw, "123456789012345678901234567890", 30) == 0);
	ck_assert(n->kids[3].rawlen == 8 &&
	    memcmp(n->kids[3].raw, "-1.50E+3", 8) == 0);
	ck_assert(memcmp(n->raw, "[1, -0.0,", 9) == 0);
	ck_assert_int_eq(jnode_get(jnode_get(doc.root, "b"), "c")->type, J_NULL);
	ck_assert_int_eq(jnode_get(jnode_get(doc.root, "b"), "d")->type, J_TRUE);
	n = jnode_get(doc.root, "e");
	ck_assert_uint_eq(n->slen, 16);
	ck_assert(memcmp(n->str, "x\"\\/\b\f\n\r\té\xf0\x9d\x84\x9e\0", 16) == 0);
	ck_assert_ptr_null(jnode_get(doc.root, "zz"));
	ck_assert_ptr_null(jnode_get(n, "a"));
	jdoc_free(&doc);
	doc = parse_ok("[]");
	ck_assert_uint_eq(doc.root->n, 0);
	jdoc_free(&doc);
	doc = parse_ok("\"\"");
	ck_assert_str_eq(jnode_str(doc.root), "");
	jdoc_free(&doc);
}
END_TEST

START_TEST(test_bad)
{
	static const char *const bad[] = {
		"", " ", "{", "[", "[1,", "[1,]", "{\"a\"}", "{\"a\":}", "{1:2}",
		"{\"a\":1,}", "tru", "nul", "falsey", "01", "-", "1.", ".5",
		"1e", "1e+", "+1", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\tb\"",
		"[1] [2]", "{\"a\":1}x", "\"\\", "[\"\\u00", "NaN", "Infinity",
	};
	char	*deep;
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		parse_bad(bad[i], strlen(bad[i]));
	parse_bad("\"a\0b\"", 5);
	deep = malloc(100001);
	memset(deep, '[', 100000);
	deep[100000] = '\0';
	parse_bad(deep, 100000);
	free(deep);
}
END_TEST

START_TEST(test_valid)
{
	ck_assert(json_valid("[1,2]", 5, J_ARRAY));
	ck_assert(!json_valid("[1,2]", 5, J_OBJECT));
	ck_assert(json_valid(" 12 ", 4, -1));
	ck_assert(!json_valid("12 x", 4, -1));
	ck_assert(json_valid("-1.5e3", 6, J_NUMBER));
}
END_TEST

START_TEST(test_sbuf_escape)
{
	struct sbuf	b;

	sbuf_init(&b);
	sbuf_json_str(&b, "a\"\\\n\x01\x7f\xc3\xa9", 8);
	ck_assert_str_eq(b.p, "\"a\\\"\\\\\\n\\u0001\x7f\xc3\xa9\"");
	sbuf_reset(&b);
	sbuf_add_flat(&b, "{\"a\":\r\n1}", 9);
	ck_assert_str_eq(b.p, "{\"a\":  1}");
	sbuf_consume(&b, 2);
	ck_assert_str_eq(b.p, "a\":  1}");
	sbuf_free(&b);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cqlp_json");
	TCase	*tc = tcase_create("json");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_sbuf_escape);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
