/*
 * check_client_daemon.c: libcqlproxy against the real cqlproxyd in front
 * of cqlmock.  Started by test_client_daemon.py, which runs the daemon and
 * sets CQLPROXY_SOCKET.  With the argument "restart" it instead runs one
 * query, says "ready", waits for a line on stdin (the driver restarts the
 * daemon meanwhile) and runs another on the same handle.
 */
#include <sys/wait.h>

#include <check.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqlproxy.h"

static struct cqlp *
open_ok(void)
{
	struct cqlp	*c = cqlp_open(NULL);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(cqlp_errno(c) == CQLP_OK, "open: %s",
	    cqlp_error_message(c));
	return (c);
}

static void
run_ok(struct cqlp *c, const char *cql, const char *values)
{
	struct cqlp_result	*r = cqlp_query(c, cql, values);

	ck_assert_msg(r != NULL, "%s: %s: %s", cql, cqlp_error_code(c),
	    cqlp_error_message(c));
	cqlp_result_free(r);
}

/* Outside the tests (no ck_assert): 0, or -1 with the reason. */
static int
setup_run(struct cqlp *c, const char *cql)
{
	struct cqlp_result	*r = cqlp_query(c, cql, NULL);

	if (r == NULL) {
		fprintf(stderr, "%s: %s: %s\n", cql, cqlp_error_code(c),
		    cqlp_error_message(c));
		return (-1);
	}
	cqlp_result_free(r);
	return (0);
}

static int
schema_setup(void)
{
	struct cqlp	*c = cqlp_open(NULL);
	int		 rv = 0;

	rv |= setup_run(c, "CREATE KEYSPACE IF NOT EXISTS lc WITH replication = "
	    "{'class': 'SimpleStrategy', 'replication_factor': 1}");
	rv |= setup_run(c, "CREATE TABLE IF NOT EXISTS lc.types (k int PRIMARY KEY, "
	    "b bigint, vi varint, de decimal, d double, f float, t text, "
	    "bo boolean, bl blob, ts timestamp, u uuid, l list<int>, "
	    "m map<text, int>)");
	rv |= setup_run(c, "CREATE TABLE IF NOT EXISTS lc.kv (k int PRIMARY "
	    "KEY, v text)");
	rv |= setup_run(c, "CREATE TABLE IF NOT EXISTS lc.wide (p int, c int, "
	    "v text, PRIMARY KEY (p, c))");
	rv |= setup_run(c, "INSERT INTO lc.kv (k, v) VALUES (10, 'ten')");
	cqlp_close(c);
	return (rv);
}

START_TEST(test_types_roundtrip)
{
	struct cqlp		*c = open_ok();
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	const unsigned char	*b;
	const char		*txt;
	size_t			 n;
	int64_t			 i;
	double			 d;
	int			 bo;

	s = cqlp_stmt_new("INSERT INTO lc.types (k, b, vi, de, d, f, t, bo, "
	    "bl, ts, u, l, m) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	cqlp_bind_int64(s, 1);
	cqlp_bind_int64(s, INT64_MIN);
	cqlp_bind_json(s, "-1000000000000000000000000000000");
	cqlp_bind_json(s, "\"-1.50E+3\"");
	cqlp_bind_double(s, 0.1);
	cqlp_bind_double(s, NAN);
	cqlp_bind_text(s, "naïve ☃ \"q\"\n");
	cqlp_bind_bool(s, 1);
	cqlp_bind_bytes(s, "\x00\xff\x10", 3);
	cqlp_bind_text(s, "2021-06-01 12:30:45.123Z");
	cqlp_bind_text(s, "62c36092-82a1-3a00-93d1-46196ee77204");
	cqlp_bind_json(s, "[3, 1, 2]");
	cqlp_bind_json(s, "{\"b\": 2, \"a\": 1}");
	r = cqlp_exec(c, s);
	ck_assert_msg(r != NULL, "%s", cqlp_error_message(c));
	cqlp_result_free(r);
	cqlp_stmt_free(s);

	r = cqlp_query(c, "SELECT k, b, vi, de, d, f, t, bo, bl, ts, u, l, m "
	    "FROM lc.types WHERE k = ?", "[1]");
	ck_assert_msg(r != NULL, "%s", cqlp_error_message(c));
	ck_assert_str_eq(cqlp_result_column_type(r, 1), "bigint");
	ck_assert_str_eq(cqlp_result_column_type(r, 12), "map<text, int>");
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_int_eq(cqlp_get_int64(r, 1, &i), CQLP_OK);
	ck_assert(i == INT64_MIN);
	ck_assert_str_eq(cqlp_get_json(r, 2), "-1000000000000000000000000000000");
	ck_assert_str_eq(cqlp_get_json(r, 3), "-1.50E+3");
	ck_assert_int_eq(cqlp_get_double(r, 4, &d), CQLP_OK);
	ck_assert(d == 0.1);
	/* NaN is null by default (as SELECT JSON). */
	ck_assert(cqlp_is_null(r, 5));
	ck_assert_int_eq(cqlp_get_textn(r, 6, &txt, &n), CQLP_OK);
	ck_assert_str_eq(txt, "naïve ☃ \"q\"\n");
	ck_assert_int_eq(cqlp_get_bool(r, 7, &bo), CQLP_OK);
	ck_assert_int_eq(bo, 1);
	ck_assert_int_eq(cqlp_get_bytes(r, 8, &b, &n), CQLP_OK);
	ck_assert(n == 3 && b[0] == 0 && b[1] == 0xff && b[2] == 0x10);
	ck_assert_str_eq(cqlp_get_text(r, 9), "2021-06-01 12:30:45.123Z");
	ck_assert_str_eq(cqlp_get_text(r, 10),
	    "62c36092-82a1-3a00-93d1-46196ee77204");
	ck_assert_ptr_nonnull(strstr(cqlp_get_json(r, 11), "3"));
	ck_assert_int_eq(cqlp_result_next(r), 0);
	cqlp_result_free(r);

	/* Numbers as strings: the text changes, the accessors do not. */
	cqlp_set_numbers_as_strings(c, 1);
	r = cqlp_query(c, "SELECT b, vi, f FROM lc.types WHERE k = 1", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_str_eq(cqlp_get_json(r, 0), "\"-9223372036854775808\"");
	ck_assert_int_eq(cqlp_get_int64(r, 0, &i), CQLP_OK);
	ck_assert(i == INT64_MIN);
	ck_assert_int_eq(cqlp_get_double(r, 2, &d), CQLP_OK);
	ck_assert(isnan(d));
	cqlp_result_free(r);
	cqlp_close(c);
}
END_TEST

START_TEST(test_paging)
{
	struct cqlp		*c = open_ok();
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	char			 vals[64];
	int64_t			 v, want = 0;
	int			 i;

	for (i = 0; i < 25; i++) {
		snprintf(vals, sizeof vals, "[7, %d, \"v%d\"]", i, i);
		run_ok(c, "INSERT INTO lc.wide (p, c, v) VALUES (?, ?, ?)", vals);
	}
	s = cqlp_stmt_new("SELECT c FROM lc.wide WHERE p = ?");
	cqlp_bind_int64(s, 7);
	cqlp_stmt_set_page_size(s, 10);
	r = cqlp_exec(c, s);
	ck_assert_msg(r != NULL, "%s", cqlp_error_message(c));
	ck_assert_uint_eq(cqlp_result_nrows(r), 10);
	ck_assert(cqlp_result_has_more_pages(r));
	while ((i = cqlp_result_next(r)) == 1) {
		ck_assert_int_eq(cqlp_get_int64(r, 0, &v), CQLP_OK);
		ck_assert(v == want);
		want++;
	}
	ck_assert_int_eq(i, 0);
	ck_assert(want == 25);
	cqlp_result_free(r);

	/* Stateless paging, as a CGI program would do it. */
	r = cqlp_exec(c, s);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(cqlp_result_paging_state(r));
	cqlp_stmt_set_paging_state(s, cqlp_result_paging_state(r));
	cqlp_result_free(r);
	r = cqlp_exec(c, s);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_int_eq(cqlp_get_int64(r, 0, &v), CQLP_OK);
	ck_assert(v == 10);
	cqlp_result_free(r);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

START_TEST(test_prepared_batch_use)
{
	struct cqlp		*c = open_ok();
	struct cqlp_prepared	*p;
	struct cqlp_batch	*b;
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;

	p = cqlp_prepare(c, "INSERT INTO lc.kv (k, v) VALUES (?, ?)");
	ck_assert_msg(p != NULL, "%s", cqlp_error_message(c));
	ck_assert_uint_gt(strlen(cqlp_prepared_id(p)), 8);
	r = cqlp_execute(c, p, "[10, \"ten\"]");
	ck_assert_msg(r != NULL, "%s", cqlp_error_message(c));
	cqlp_result_free(r);

	b = cqlp_batch_new(NULL);
	s = cqlp_stmt_new_prepared(p);
	cqlp_bind_int64(s, 11);
	cqlp_bind_text(s, "eleven");
	cqlp_batch_add(b, s);
	cqlp_stmt_free(s);
	s = cqlp_stmt_new("INSERT INTO lc.kv (k, v) VALUES (12, 'twelve')");
	cqlp_batch_add(b, s);
	cqlp_stmt_free(s);
	r = cqlp_batch_exec(c, b);
	ck_assert_msg(r != NULL, "%s", cqlp_error_message(c));
	cqlp_result_free(r);
	cqlp_batch_free(b);

	ck_assert_int_eq(cqlp_use(c, "lc"), CQLP_OK);
	r = cqlp_query(c, "SELECT v FROM kv WHERE k IN (10, 11, 12)", NULL);
	ck_assert_msg(r != NULL, "%s", cqlp_error_message(c));
	ck_assert_uint_eq(cqlp_result_nrows(r), 3);
	cqlp_result_free(r);
	ck_assert_int_eq(cqlp_use(c, "no_such_ks"), CQLP_ERR_SERVER);
	ck_assert_str_eq(cqlp_error_code(c), "invalid");
	cqlp_prepared_free(p);
	cqlp_close(c);
}
END_TEST

START_TEST(test_errors)
{
	struct cqlp		*c = open_ok();
	struct cqlp_result	*r;

	ck_assert_ptr_null(cqlp_query(c, "SELEC nothing", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_SERVER);
	ck_assert_str_eq(cqlp_error_code(c), "syntax_error");
	ck_assert_ptr_null(cqlp_query(c, "SELECT v FROM lc.kv WHERE k = ?",
	    "{}"));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_SERVER);
	ck_assert_ptr_null(cqlp_query(c, "SELECT v FROM lc.kv WHERE k = ?",
	    "[1, 2]"));
	ck_assert_str_eq(cqlp_error_code(c), "too_many_values");
	ck_assert_ptr_null(cqlp_query(c, "SELECT v FROM lc.kv WHERE k = ?",
	    "[\"x\"]"));
	ck_assert_str_eq(cqlp_error_code(c), "bad_value");
	ck_assert_ptr_nonnull(strstr(cqlp_error_json(c), "\"index\""));
	ck_assert_ptr_null(cqlp_request(c, "{\"op\": \"execute\", "
	    "\"statement\": \"00\"}"));
	ck_assert_str_eq(cqlp_error_code(c), "unknown_statement");
	ck_assert_ptr_null(cqlp_request(c, "{\"op\": \"frobnicate\"}"));
	ck_assert_str_eq(cqlp_error_code(c), "unknown_op");
	r = cqlp_request(c, "{\"op\": \"hosts\"}");
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(cqlp_result_member(r, "hosts"),
	    "\"state\""));
	cqlp_result_free(r);
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	cqlp_close(c);
}
END_TEST

/* 1000 pipelined requests on one connection, each matched to its own. */
START_TEST(test_async_pipelined)
{
	struct cqlp		*c = open_ok();
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	struct pollfd		 pfd;
	static int		 seen[1000];
	int64_t			 k;
	int			 i, got = 0, polls = 0;

	run_ok(c, "INSERT INTO lc.kv (k, v) VALUES (0, 'zero')", NULL);
	for (i = 0; i < 1000; i++) {
		s = cqlp_stmt_new("SELECT k, v FROM lc.kv WHERE k = ?");
		cqlp_bind_int64(s, i % 13);
		ck_assert(cqlp_async_submit(c, s, (void *)(intptr_t)i) > 0);
		cqlp_stmt_free(s);
	}
	while (got < 1000 && polls++ < 100000) {
		pfd.fd = cqlp_async_fd(c);
		ck_assert_int_ge(pfd.fd, 0);
		pfd.events = POLLIN | (cqlp_async_want_write(c) ? POLLOUT : 0);
		ck_assert_int_ge(poll(&pfd, 1, 10000), 1);
		if (pfd.revents & POLLOUT)
			ck_assert_int_eq(cqlp_async_flush(c), CQLP_OK);
		if (pfd.revents & POLLIN)
			ck_assert_int_eq(cqlp_async_read(c), CQLP_OK);
		while ((r = cqlp_async_collect(c)) != NULL) {
			i = (int)(intptr_t)cqlp_result_udata(r);
			ck_assert_msg(cqlp_result_status(r) == CQLP_OK, "%s",
			    cqlp_result_error_message(r));
			ck_assert_int_eq(seen[i], 0);
			seen[i] = 1;
			if (cqlp_result_next(r) == 1) {
				ck_assert_int_eq(cqlp_get_int64(r, 0, &k),
				    CQLP_OK);
				ck_assert(k == i % 13);
			} else
				ck_assert_int_ne(i % 13, 0);
			cqlp_result_free(r);
			got++;
		}
	}
	ck_assert_int_eq(got, 1000);
	ck_assert_uint_eq(cqlp_async_pending(c), 0);
	cqlp_close(c);
}
END_TEST

START_TEST(test_fork_child)
{
	struct cqlp	*c = open_ok();
	pid_t		 pid;
	int		 status, i;

	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	for (i = 0; i < 3; i++) {
		if ((pid = fork()) == 0) {
			struct cqlp_result *r = cqlp_query(c,
			    "SELECT v FROM lc.kv WHERE k = 10", NULL);

			_exit(r != NULL && cqlp_result_nrows(r) == 1 ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	}
	cqlp_close(c);
}
END_TEST

/* The "restart" mode: one handle across a daemon restart. */
static int
restart_mode(void)
{
	struct cqlp		*c = cqlp_open(NULL);
	struct cqlp_result	*r;
	char			 line[16];

	if (cqlp_use(c, "lc") != CQLP_OK) {
		fprintf(stderr, "use: %s\n", cqlp_error_message(c));
		return (1);
	}
	if ((r = cqlp_query(c, "SELECT v FROM kv WHERE k = 10", NULL)) == NULL)
		return (1);
	cqlp_result_free(r);
	printf("ready\n");
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		return (1);
	/* Unqualified: proves the keyspace was set again. */
	if ((r = cqlp_query(c, "SELECT v FROM kv WHERE k = 10", NULL)) == NULL) {
		fprintf(stderr, "after restart: %s: %s\n", cqlp_error_code(c),
		    cqlp_error_message(c));
		return (1);
	}
	printf("rows %zu\n", cqlp_result_nrows(r));
	cqlp_result_free(r);
	cqlp_close(c);
	return (0);
}

int
main(int argc, char **argv)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 failed;

	if (getenv("CQLPROXY_SOCKET") == NULL) {
		fprintf(stderr, "CQLPROXY_SOCKET not set: run through "
		    "test_client_daemon.py\n");
		return (77);
	}
	if (schema_setup() != 0)
		return (1);
	if (argc > 1 && strcmp(argv[1], "restart") == 0)
		return (restart_mode());
	s = suite_create("libcqlproxy-daemon");
	tc = tcase_create("daemon");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_types_roundtrip);
	tcase_add_test(tc, test_paging);
	tcase_add_test(tc, test_prepared_batch_use);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_async_pipelined);
	tcase_add_test(tc, test_fork_child);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
