/*
 * check_split.c: the cqlproxy command cuts statements at `;` only outside
 * strings, quoted names, $$ strings and comments, also across pieces.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"

struct got {
	char	*s[16];
	int	 n;
};

static int
collect(const char *stmt, void *arg)
{
	struct got	*g = arg;

	if (g->n < 16)
		g->s[g->n++] = strdup(stmt);
	return (0);
}

static void
got_free(struct got *g)
{
	while (g->n > 0)
		free(g->s[--g->n]);
}

static void
split_all(struct got *g, const char *const *pieces)
{
	struct split	*sp = split_new();

	memset(g, 0, sizeof *g);
	for (; *pieces != NULL; pieces++)
		ck_assert_int_eq(split_feed(sp, *pieces, strlen(*pieces),
		    collect, g), 0);
	ck_assert_int_eq(split_finish(sp, collect, g), 0);
	split_free(sp);
}

START_TEST(test_quotes_comments)
{
	static const char *const in[] = {
		"SELECT 'a;b''c' FROM t;\n",
		"  -- only; a comment\n",
		"INSERT INTO \"T;x\" (k) VALUES ($$x;y$$) // c;\n",
		";/* one; */ /* two */\n",
		"UPDATE t SET v = '\n",
		"multi;line' WHERE k = 1; ;;\n",
		"SELECT 1", NULL
	};
	struct got	g;

	split_all(&g, in);
	ck_assert_int_eq(g.n, 4);
	ck_assert_str_eq(g.s[0], "SELECT 'a;b''c' FROM t");
	ck_assert_str_eq(g.s[1], "-- only; a comment\n"
	    "INSERT INTO \"T;x\" (k) VALUES ($$x;y$$) // c;");
	ck_assert_str_eq(g.s[2], "/* one; */ /* two */\n"
	    "UPDATE t SET v = '\nmulti;line' WHERE k = 1");
	ck_assert_str_eq(g.s[3], "SELECT 1");
	got_free(&g);
}
END_TEST

START_TEST(test_empty)
{
	static const char *const in[] = { "  ;\n", "-- x\n", "/* y */", NULL };
	struct got	g;

	split_all(&g, in);
	ck_assert_int_eq(g.n, 0);
}
END_TEST

static int
stop_first(const char *stmt, void *arg)
{
	(*(int *)arg)++;
	return (7);
}

START_TEST(test_stop)
{
	struct split	*sp = split_new();
	int		 n = 0;

	ck_assert_int_eq(split_feed(sp, "A; B; C;", 8, stop_first, &n), 7);
	ck_assert_int_eq(n, 1);
	split_free(sp);
}
END_TEST

/* The `;` between BEGIN BATCH and APPLY BATCH belong to the batch. */
START_TEST(test_batch_block)
{
	static const char *const in[] = {
		"-- a batch\n",
		"begin unlogged batch\n",
		"  INSERT INTO t (k, v) VALUES (1, 'apply batch;');\n",
		"  INSERT INTO t (k, v) VALUES (2, $$;$$); /* APPLY BATCH; */\n",
		"Apply\n",
		"  Batch;\n",
		"SELECT batch FROM t; BEGIN; BEGIN BATCH INSERT x; APPLY BATCH\n",
		NULL
	};
	struct got	g;

	split_all(&g, in);
	ck_assert_int_eq(g.n, 4);
	ck_assert_str_eq(g.s[0], "-- a batch\nbegin unlogged batch\n"
	    "  INSERT INTO t (k, v) VALUES (1, 'apply batch;');\n"
	    "  INSERT INTO t (k, v) VALUES (2, $$;$$); /* APPLY BATCH; */\n"
	    "Apply\n  Batch");
	ck_assert_str_eq(g.s[1], "SELECT batch FROM t");
	ck_assert_str_eq(g.s[2], "BEGIN");
	ck_assert_str_eq(g.s[3], "BEGIN BATCH INSERT x; APPLY BATCH");
	got_free(&g);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("split");
	TCase	*tc = tcase_create("split");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_quotes_comments);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_batch_block);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
