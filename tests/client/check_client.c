/*
 * check_client.c: libcqlproxy against a fake daemon (fakedaemon.c): what
 * the library sends, how it reads answers, and its promises about
 * timeouts, lost connections, restarts, fork and the async API.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cqlproxy.h"
#include "fakedaemon.h"

static struct fake	fk;

static void
setup(void)
{
	ck_assert_int_eq(fake_start(&fk), 0);
}

static void
teardown(void)
{
	fake_cleanup(&fk);
}

static long long
ms_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

START_TEST(test_missing_daemon)
{
	struct cqlp	*c;
	long long	 t0 = ms_now();

	c = cqlp_open("/nonexistent/cqlproxyd.sock");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_NOENT);
	ck_assert_str_eq(cqlp_error_code(c), "noent");
	ck_assert_ptr_nonnull(strstr(cqlp_error_message(c),
	    "/nonexistent/cqlproxyd.sock"));
	ck_assert_ptr_null(cqlp_query(c, "SELECT 1", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_NOENT);
	ck_assert_int_eq(cqlp_ping(c), CQLP_ERR_NOENT);
	ck_assert_int_lt(ms_now() - t0, 2000);
	cqlp_close(c);
}
END_TEST

/* A socket file nobody listens on: refused, not a hang. */
START_TEST(test_refused)
{
	struct sockaddr_un	 sun;
	struct cqlp		*c;
	char			 path[108];
	int			 fd;

	snprintf(path, sizeof path, "%s/dead.sock", fk.dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	c = cqlp_open(path);
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_REFUSED);
	ck_assert_str_eq(cqlp_error_code(c), "refused");
	cqlp_close(c);
	unlink(path);
}
END_TEST

START_TEST(test_env_path)
{
	struct cqlp	*c;

	setenv("CQLPROXY_SOCKET", fk.path, 1);
	c = cqlp_open(NULL);
	ck_assert_str_eq(cqlp_path(c), fk.path);
	ck_assert_int_eq(cqlp_errno(c), CQLP_OK);
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	cqlp_close(c);
	unsetenv("CQLPROXY_SOCKET");
	c = cqlp_open(NULL);
	ck_assert_str_eq(cqlp_path(c), CQLP_DEFAULT_SOCKET);
	cqlp_close(c);
}
END_TEST

START_TEST(test_types)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_result	*r;
	const unsigned char	*b;
	const char		*s;
	size_t			 n;
	int64_t			 i;
	double			 d;
	int			 bo;

	r = cqlp_query(c, "SELECT types", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_status(r), CQLP_OK);
	ck_assert_uint_eq(cqlp_result_ncolumns(r), 12);
	ck_assert_str_eq(cqlp_result_column_name(r, 2), "vi");
	ck_assert_str_eq(cqlp_result_column_type(r, 8), "map<text, int>");
	ck_assert_int_eq(cqlp_result_column_index(r, "bl"), 7);
	ck_assert_int_eq(cqlp_result_column_index(r, "nope"), -1);
	ck_assert_uint_eq(cqlp_result_nrows(r), 1);
	/* No row yet. */
	ck_assert_int_eq(cqlp_get_int64(r, 0, &i), CQLP_ERR_INVALID);
	ck_assert_int_eq(cqlp_result_next(r), 1);

	ck_assert_int_eq(cqlp_get_int64(r, 0, &i), CQLP_OK);
	ck_assert(i == 42);
	ck_assert_int_eq(cqlp_get_int64(r, 1, &i), CQLP_OK);
	ck_assert(i == INT64_MIN);
	ck_assert_int_eq(cqlp_get_int64(r, 2, &i), CQLP_ERR_RANGE);
	ck_assert_str_eq(cqlp_get_json(r, 2), "-1000000000000000000000000000000");
	ck_assert_str_eq(cqlp_get_text(r, 2), "-1000000000000000000000000000000");
	ck_assert_str_eq(cqlp_get_json(r, 3), "-1.50E+3");
	ck_assert_int_eq(cqlp_get_int64(r, 3, &i), CQLP_ERR_TYPE);
	ck_assert_int_eq(cqlp_get_double(r, 3, &d), CQLP_OK);
	ck_assert(d == -1500.0);
	ck_assert_int_eq(cqlp_get_double(r, 4, &d), CQLP_OK);
	ck_assert(d == 1.5e300);
	ck_assert_int_eq(cqlp_get_textn(r, 5, &s, &n), CQLP_OK);
	ck_assert_uint_eq(n, strlen("naïve ☃ 😀 ") + 2);
	ck_assert(memcmp(s, "naïve ☃ 😀 \0x", n) == 0);
	ck_assert_int_eq(cqlp_get_int64(r, 5, &i), CQLP_ERR_TYPE);
	ck_assert_int_eq(cqlp_get_bool(r, 6, &bo), CQLP_OK);
	ck_assert_int_eq(bo, 1);
	ck_assert_int_eq(cqlp_get_bool(r, 0, &bo), CQLP_ERR_TYPE);
	ck_assert_str_eq(cqlp_get_text(r, 6), "true");
	ck_assert_int_eq(cqlp_get_bytes(r, 7, &b, &n), CQLP_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(b[0] == 0 && b[1] == 0xff && b[2] == 0x10);
	ck_assert_int_eq(cqlp_get_bytes(r, 5, &b, &n), CQLP_ERR_TYPE);
	ck_assert_str_eq(cqlp_get_json(r, 8), "{\"a\": 1, \"b\": 2}");
	ck_assert(cqlp_is_null(r, 9));
	ck_assert(!cqlp_is_null(r, 8));
	ck_assert_ptr_null(cqlp_get_text(r, 9));
	ck_assert_str_eq(cqlp_get_json(r, 9), "null");
	ck_assert_int_eq(cqlp_get_int64(r, 9, &i), CQLP_ERR_NULL);
	ck_assert_int_eq(cqlp_get_double(r, 9, &d), CQLP_ERR_NULL);
	ck_assert_int_eq(cqlp_get_int64(r, 10, &i), CQLP_OK);
	ck_assert(i == 9007199254740993LL);
	ck_assert_int_eq(cqlp_get_double(r, 11, &d), CQLP_OK);
	ck_assert(isnan(d));
	/* Out of range column. */
	ck_assert_int_eq(cqlp_get_int64(r, 12, &i), CQLP_ERR_INVALID);
	ck_assert_ptr_null(cqlp_get_json(r, 99));
	ck_assert_int_eq(cqlp_result_next(r), 0);
	ck_assert_int_eq(cqlp_result_next(r), 0);
	ck_assert_ptr_nonnull(strstr(cqlp_result_json(r), "\"rows\""));
	cqlp_result_free(r);
	cqlp_close(c);
}
END_TEST

/* Bound values reach the daemon digit for digit. */
START_TEST(test_values_sent)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	char			*last;

	s = cqlp_stmt_new("INSERT x");
	ck_assert_int_eq(cqlp_bind_int64(s, INT64_MIN), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_double(s, 0.1), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_text(s, "q\"b\\s\n\x01é"), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_bytes(s, "\x00\xff", 2), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_bool(s, 0), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_null(s), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_json(s, "{\"a\":\n123456789012345678901234567890}"), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_double(s, -INFINITY), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_json(s, "{bad"), CQLP_ERR_INVALID);
	ck_assert_int_eq(cqlp_stmt_set_consistency(s, "QUORUM"), CQLP_OK);
	ck_assert_int_eq(cqlp_stmt_set_consistency(s, "ONE"), CQLP_OK);
	ck_assert_int_eq(cqlp_stmt_set_page_size(s, 10), CQLP_OK);
	ck_assert_int_eq(cqlp_stmt_set_option(s, "x_extra", "[1,\n2]"), CQLP_OK);
	ck_assert_int_eq(cqlp_stmt_set_option(s, "id", "1"), CQLP_ERR_INVALID);
	/* (The fake's jansson cannot read the big number: any answer will do.) */
	r = cqlp_exec(c, s);
	cqlp_result_free(r);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"values\":[-9223372036854775808,"
	    "0.10000000000000001,\"q\\\"b\\\\s\\n\\u0001é\",\"0x00ff\",false,"
	    "null,{\"a\": 123456789012345678901234567890},\"-Infinity\"]"));
	ck_assert_ptr_nonnull(strstr(last, "\"consistency\":\"ONE\""));
	ck_assert_ptr_null(strstr(last, "QUORUM"));
	ck_assert_ptr_nonnull(strstr(last, "\"page_size\":10"));
	ck_assert_ptr_nonnull(strstr(last, "\"x_extra\":[1, 2]"));
	ck_assert_ptr_nonnull(strstr(last, "\"op\":\"query\""));
	free(last);

	/* Whole values as JSON text, named. */
	r = cqlp_query(c, "INSERT y", "{\"k\": 1e300, \"v\": 0.30000000000000000001}");
	ck_assert_ptr_nonnull(r);
	cqlp_result_free(r);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"values\":{\"k\": 1e300, \"v\": 0.30000000000000000001}"));
	free(last);
	ck_assert_ptr_null(cqlp_query(c, "INSERT z", "42"));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_INVALID);
	cqlp_set_numbers_as_strings(c, 1);
	r = cqlp_query(c, "INSERT n", NULL);
	cqlp_result_free(r);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"numbers_as_strings\":true"));
	free(last);
	/* Binding after whole values is refused; reset allows it. */
	ck_assert_int_eq(cqlp_stmt_set_values(s, "[1]"), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_int64(s, 2), CQLP_ERR_INVALID);
	cqlp_stmt_reset(s);
	ck_assert_int_eq(cqlp_bind_int64(s, 2), CQLP_OK);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

START_TEST(test_server_error)
{
	struct cqlp	*c = cqlp_open(fk.path);

	ck_assert_ptr_null(cqlp_query(c, "ERROR", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_SERVER);
	ck_assert_str_eq(cqlp_error_code(c), "syntax_error");
	ck_assert_ptr_nonnull(strstr(cqlp_error_message(c), "no viable"));
	ck_assert_ptr_nonnull(strstr(cqlp_error_json(c),
	    "\"host\":\"127.0.0.1:9042\""));
	/* The connection keeps working, and the error is cleared. */
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	ck_assert_int_eq(cqlp_errno(c), CQLP_OK);
	ck_assert_str_eq(cqlp_error_code(c), "ok");
	ck_assert_int_eq(fk.nconns, 1);
	cqlp_close(c);
}
END_TEST

START_TEST(test_paging)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_result	*r;
	int64_t			 k, want = 1;
	int			 rv;

	r = cqlp_query(c, "SELECT paged", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(cqlp_result_nrows(r), 2);
	ck_assert(cqlp_result_has_more_pages(r));
	ck_assert_str_eq(cqlp_result_paging_state(r), "p1");
	/* Freeing the handle first must be safe: the result holds it. */
	cqlp_close(c);
	while ((rv = cqlp_result_next(r)) == 1) {
		ck_assert_int_eq(cqlp_get_int64(r, 0, &k), CQLP_OK);
		ck_assert(k == want);
		want++;
	}
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(cqlp_result_status(r), CQLP_ERR_INVALID);
	cqlp_result_free(r);

	c = cqlp_open(fk.path);
	r = cqlp_query(c, "SELECT paged", NULL);
	want = 1;
	while ((rv = cqlp_result_next(r)) == 1) {
		ck_assert_int_eq(cqlp_get_int64(r, 0, &k), CQLP_OK);
		ck_assert(k == want);
		want++;
	}
	ck_assert_int_eq(rv, 0);
	ck_assert(want == 5);
	ck_assert(!cqlp_result_has_more_pages(r));
	cqlp_result_free(r);
	ck_assert_int_eq(fake_count(&fk, "\"paging_state\":\"p1\""), 1);
	ck_assert_int_eq(fake_count(&fk, "\"paging_state\":\"p2\""), 1);
	cqlp_close(c);
}
END_TEST

/* A timed-out call returns in time and leaves the connection usable. */
START_TEST(test_timeout)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s = cqlp_stmt_new("SLEEP 600");
	struct cqlp_result	*r;
	long long		 t0;
	char			*last;

	cqlp_stmt_set_timeout(s, 150);
	t0 = ms_now();
	ck_assert_ptr_null(cqlp_exec(c, s));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_TIMEOUT);
	ck_assert_int_ge(ms_now() - t0, 140);
	ck_assert_int_lt(ms_now() - t0, 550);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"timeout_ms\":150"));
	free(last);
	/* The next call waits for its own answer, not the late one. */
	r = cqlp_query(c, "SLEEP 700", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(cqlp_result_member(r, "slept"), "700");
	cqlp_result_free(r);
	ck_assert_int_eq(fk.nconns, 1);
	/* Handle-wide timeout. */
	cqlp_set_timeout(c, 100);
	ck_assert_ptr_null(cqlp_query(c, "SLEEP 400", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_TIMEOUT);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

/* A daemon restart between two calls: reconnect, keyspace set again. */
START_TEST(test_restart)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_result	*r;

	ck_assert_int_eq(cqlp_use(c, "ks1"), CQLP_OK);
	ck_assert_int_eq(cqlp_use(c, "missing"), CQLP_ERR_SERVER);
	ck_assert_str_eq(cqlp_error_code(c), "invalid");
	ck_assert_int_eq(fake_restart(&fk), 0);
	r = cqlp_query(c, "SELECT keyspace", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_str_eq(cqlp_get_text(r, 0), "ks1");
	cqlp_result_free(r);
	ck_assert_int_eq(fk.nconns, 2);
	/* USE in CQL is tracked too, and null clears. */
	r = cqlp_query(c, "USE ks2", NULL);
	cqlp_result_free(r);
	ck_assert_int_eq(fake_restart(&fk), 0);
	r = cqlp_query(c, "SELECT keyspace", NULL);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_str_eq(cqlp_get_text(r, 0), "ks2");
	cqlp_result_free(r);
	ck_assert_int_eq(cqlp_use(c, NULL), CQLP_OK);
	ck_assert_int_eq(fake_restart(&fk), 0);
	r = cqlp_query(c, "SELECT keyspace", NULL);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert(cqlp_is_null(r, 0));
	cqlp_result_free(r);
	/* A daemon gone for good: a clear error. */
	fake_stop(&fk);
	ck_assert_int_eq(cqlp_ping(c), CQLP_ERR_NOENT);
	cqlp_close(c);
}
END_TEST

/* Lost after sending: never sent twice unless safe to repeat. */
START_TEST(test_lost_after_send)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s = cqlp_stmt_new("CLOSE ONCE");
	struct cqlp_result	*r;

	ck_assert_ptr_null(cqlp_query(c, "CLOSE", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_CLOSED);
	ck_assert_ptr_nonnull(strstr(cqlp_error_message(c), "may or may not"));
	ck_assert_int_eq(fake_count(&fk, "\"cql\":\"CLOSE\""), 1);
	/* Next call reconnects. */
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	/* Idempotent: sent again once, on a new connection. */
	cqlp_stmt_set_idempotent(s, 1);
	r = cqlp_exec(c, s);
	ck_assert_ptr_nonnull(r);
	cqlp_result_free(r);
	ck_assert_int_eq(fake_count(&fk, "CLOSE ONCE"), 2);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

/* After fork() the child opens its own connection; the parent's stays. */
START_TEST(test_fork)
{
	struct cqlp	*c = cqlp_open(fk.path);
	pid_t		 pid;
	int		 status, n;

	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	n = fk.nlines;
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int	rv = cqlp_ping(c);

		cqlp_close(c);
		_exit(rv == CQLP_OK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(fk.nlines, n + 1);
	ck_assert_int_ne(fake_conn(&fk, n), fake_conn(&fk, 0));
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	ck_assert_int_eq(fake_conn(&fk, n + 1), fake_conn(&fk, 0));
	cqlp_close(c);
}
END_TEST

/* A handle unknown after a restart is prepared again from its text. */
START_TEST(test_prepared)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_prepared	*p;
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	char			*last;

	p = cqlp_prepare(c, "SELECT keyspace");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(cqlp_prepared_id(p), "g0:SELECT keyspace");
	ck_assert_str_eq(cqlp_prepared_cql(p), "SELECT keyspace");
	r = cqlp_execute(c, p, "[]");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(cqlp_result_ncolumns(r), 1);
	cqlp_result_free(r);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"op\":\"execute\",\"statement\":\"g0:SELECT keyspace\""));
	free(last);
	ck_assert_int_eq(fake_restart(&fk), 0);
	s = cqlp_stmt_new_prepared(p);
	r = cqlp_exec(c, s);
	ck_assert_ptr_nonnull(r);
	cqlp_result_free(r);
	ck_assert_int_eq(fake_count(&fk, "unknown"), 0);
	ck_assert_int_eq(fake_count(&fk, "\"statement\":\"g1:SELECT keyspace\""), 1);
	cqlp_stmt_free(s);
	cqlp_prepared_free(p);
	cqlp_close(c);
}
END_TEST

START_TEST(test_batch_and_raw)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_batch	*b = cqlp_batch_new("unlogged");
	struct cqlp_stmt	*s = cqlp_stmt_new("INSERT a");
	struct cqlp_result	*r;
	char			*last;

	cqlp_bind_int64(s, 1);
	cqlp_batch_add(b, s);
	cqlp_stmt_reset(s);
	cqlp_bind_text(s, "x");
	cqlp_batch_add(b, s);
	cqlp_batch_set_consistency(b, "QUORUM");
	r = cqlp_batch_exec(c, b);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(cqlp_result_member(r, "n"), "2");
	cqlp_result_free(r);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"op\":\"batch\",\"type\":\"unlogged\","
	    "\"statements\":[{\"cql\":\"INSERT a\",\"values\":[1]},"
	    "{\"cql\":\"INSERT a\",\"values\":[\"x\"]}],\"consistency\":\"QUORUM\""));
	free(last);
	r = cqlp_request(c, "  {\"op\": \"schema\"}\n");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(cqlp_result_member(r, "keyspaces"), "[\"ks\",\"system\"]");
	cqlp_result_free(r);
	ck_assert_ptr_null(cqlp_request(c, "{\"id\":1,\"op\":\"ping\"}"));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_INVALID);
	ck_assert_ptr_null(cqlp_request(c, "[1]"));
	ck_assert_ptr_null(cqlp_request(c, "{\"op\":\"frob\"}"));
	ck_assert_str_eq(cqlp_error_code(c), "unknown_op");
	r = cqlp_request(c, "{}");
	ck_assert_ptr_null(r);
	cqlp_batch_free(b);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

START_TEST(test_bad_answers)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_result	*r;

	ck_assert_ptr_null(cqlp_query(c, "BAD ANSWER", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_PROTOCOL);
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	r = cqlp_query(c, "HUGE", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_uint_eq(strlen(cqlp_get_text(r, 0)), 200000);
	cqlp_result_free(r);
	cqlp_set_max_answer(c, 100000);
	ck_assert_ptr_null(cqlp_query(c, "HUGE", NULL));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_PROTOCOL);
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	cqlp_close(c);
}
END_TEST

/* An id-less error line (the daemon refusing the client) is reported. */
START_TEST(test_refused_by_daemon)
{
	struct cqlp	*c1, *c2;

	fk.max_clients = 1;
	c1 = cqlp_open(fk.path);
	ck_assert_int_eq(cqlp_ping(c1), CQLP_OK);
	c2 = cqlp_open(fk.path);
	ck_assert_int_eq(cqlp_ping(c2), CQLP_ERR_SERVER);
	ck_assert_str_eq(cqlp_error_code(c2), "too_many_clients");
	cqlp_close(c2);
	cqlp_close(c1);
}
END_TEST

/* Run the async loop until every request is collected. */
static int
drain_async(struct cqlp *c, int *seen, int n)
{
	struct cqlp_result	*r;
	struct pollfd		 pfd;
	long long		 t0 = ms_now();
	int			 got = 0, idx;

	while (cqlp_async_pending(c) > 0 && ms_now() - t0 < 10000) {
		pfd.fd = cqlp_async_fd(c);
		ck_assert_int_ge(pfd.fd, 0);
		pfd.events = POLLIN | (cqlp_async_want_write(c) ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if (pfd.revents & POLLOUT)
			ck_assert_int_eq(cqlp_async_flush(c), CQLP_OK);
		if (pfd.revents & (POLLIN | POLLHUP))
			(void)cqlp_async_read(c);
		while ((r = cqlp_async_collect(c)) != NULL) {
			idx = (int)(intptr_t)cqlp_result_udata(r);
			ck_assert(idx >= 0 && idx < n);
			seen[idx] = cqlp_result_status(r) == CQLP_OK ? 1 : -1;
			ck_assert(cqlp_result_id(r) > 0);
			cqlp_result_free(r);
			got++;
		}
	}
	return (got);
}

START_TEST(test_async)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	char			 cql[32];
	int			 seen[100] = { 0 }, i, order_changed = 0;
	uint64_t		 id, last = 0;

	for (i = 0; i < 100; i++) {
		snprintf(cql, sizeof cql, "SLEEP %d", 1 + (i * 37) % 50);
		s = cqlp_stmt_new(cql);
		id = cqlp_async_submit(c, s, (void *)(intptr_t)i);
		ck_assert(id > last);
		last = id;
		cqlp_stmt_free(s);
	}
	ck_assert_uint_eq(cqlp_async_pending(c), 100);
	/* Blocking calls wait for the async ones to finish. */
	ck_assert_int_eq(cqlp_ping(c), CQLP_ERR_BUSY);
	ck_assert_int_eq(drain_async(c, seen, 100), 100);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(seen[i], 1);
	for (i = 1; i < fk.nlines; i++)
		order_changed |= fake_conn(&fk, i) != fake_conn(&fk, 0);
	ck_assert_int_eq(order_changed, 0);
	ck_assert_int_eq(cqlp_async_pending(c), 0);
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	/* Raw requests and errors as completions. */
	ck_assert(cqlp_async_submit_json(c, "{\"cql\":\"ERROR\"}", (void *)0) > 0);
	ck_assert(cqlp_async_submit_json(c, "nope", (void *)0) == 0);
	ck_assert_int_eq(cqlp_async_flush(c), CQLP_OK);
	while ((r = cqlp_async_collect(c)) == NULL) {
		struct pollfd pfd = { cqlp_async_fd(c), POLLIN, 0 };

		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		ck_assert_int_eq(cqlp_async_read(c), CQLP_OK);
	}
	ck_assert_int_eq(cqlp_result_status(r), CQLP_ERR_SERVER);
	ck_assert_str_eq(cqlp_result_error_code(r), "syntax_error");
	cqlp_result_free(r);
	cqlp_close(c);
}
END_TEST

/* Async after a lost connection: sent ones fail, unsent ones go out anew. */
START_TEST(test_async_lost)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s1 = cqlp_stmt_new("CLOSE");
	struct cqlp_stmt	*s2 = cqlp_stmt_new("SELECT keyspace");
	struct cqlp_result	*r;
	struct pollfd		 pfd;
	int			 seen[2] = { 0, 0 };

	ck_assert_int_eq(cqlp_use(c, "ks9"), CQLP_OK);
	ck_assert(cqlp_async_submit(c, s1, (void *)0) > 0);
	ck_assert_int_eq(cqlp_async_flush(c), CQLP_OK);
	pfd.fd = cqlp_async_fd(c);
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(cqlp_async_read(c), CQLP_ERR_CLOSED);
	r = cqlp_async_collect(c);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_status(r), CQLP_ERR_CLOSED);
	cqlp_result_free(r);
	/* Queued while disconnected; the new connection gets the keyspace. */
	ck_assert(cqlp_async_submit(c, s2, (void *)1) > 0);
	ck_assert_int_eq(drain_async(c, seen, 2), 1);
	ck_assert_int_eq(seen[1], 1);
	ck_assert_int_eq(fake_count(&fk, "\"keyspace\":\"ks9\""), 2);
	cqlp_stmt_free(s1);
	cqlp_stmt_free(s2);
	cqlp_close(c);
}
END_TEST

/*
 * A listener whose queue is full: listen(fd, 0) with one connection
 * already waiting, so a non-blocking connect gets EAGAIN and no
 * connection is pending.  After accept_after_ms (-1: never) a thread
 * accepts everything and answers pings, as a daemon that paused its
 * accepts (EMFILE, a connect storm) and then caught up.
 */
struct backlog {
	char		 path[108];
	int		 lfd;
	int		 filler;
	int		 accept_after_ms;
	int		 stop[2];
	pthread_t	 thread;
	int		 accepted;	/* under the thread only until join */
};

/* Answer each ping line on fd with {"id":N,"ok":true}; 0 at EOF. */
static int
backlog_serve(int fd)
{
	char			 buf[512], out[64], *p;
	unsigned long long	 id;
	ssize_t			 n;
	int			 len;

	if ((n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) <= 0)
		return (n < 0 && errno == EAGAIN);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "{\"id\":")) != NULL; p++) {
		if (sscanf(p, "{\"id\":%llu,\"op\":\"ping\"}", &id) != 1)
			continue;
		len = snprintf(out, sizeof out, "{\"id\":%llu,\"ok\":true}\n",
		    id);
		(void)send(fd, out, (size_t)len, MSG_NOSIGNAL);
	}
	return (1);
}

static void *
backlog_thread(void *arg)
{
	struct backlog	*b = arg;
	struct pollfd	 pfd[10];
	int		 fds[8], nfds = 0, i, j, n, fd;

	/* The "daemon" is busy: nothing accepted for a while. */
	pfd[0].fd = b->stop[0];
	pfd[0].events = POLLIN;
	if (poll(pfd, 1, b->accept_after_ms) != 0)
		return (NULL);
	for (;;) {
		n = 0;
		pfd[n].fd = b->stop[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = b->lfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < nfds; i++) {
			pfd[n].fd = fds[i];
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (i = j = 0; i < nfds; i++) {
			if (pfd[i + 2].revents && !backlog_serve(fds[i]))
				close(fds[i]);
			else
				fds[j++] = fds[i];
		}
		nfds = j;
		if ((pfd[1].revents & POLLIN) && nfds < 8 &&
		    (fd = accept(b->lfd, NULL, NULL)) != -1) {
			fds[nfds++] = fd;
			b->accepted++;
		}
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return (NULL);
}

static void
backlog_start(struct backlog *b, int accept_after_ms)
{
	struct sockaddr_un	sun;
	int			probe, rv;

	memset(b, 0, sizeof *b);
	snprintf(b->path, sizeof b->path, "%s/full.sock", fk.dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", b->path);
	b->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ne(b->lfd, -1);
	ck_assert_int_eq(bind(b->lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(b->lfd, 0), 0);
	/* Fill the queue, and check that it is full now. */
	b->filler = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(b->filler, (struct sockaddr *)&sun,
	    sizeof sun), 0);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	rv = connect(probe, (struct sockaddr *)&sun, sizeof sun);
	ck_assert_msg(rv == -1 && errno == EAGAIN, "queue not full: %d %s",
	    rv, strerror(errno));
	close(probe);
	b->accept_after_ms = accept_after_ms;
	ck_assert_int_eq(pipe(b->stop), 0);
	ck_assert_int_eq(pthread_create(&b->thread, NULL, backlog_thread, b),
	    0);
}

static void
backlog_stop(struct backlog *b)
{
	(void)write(b->stop[1], "x", 1);
	pthread_join(b->thread, NULL);
	close(b->stop[0]);
	close(b->stop[1]);
	close(b->filler);
	close(b->lfd);
	unlink(b->path);
}

/* A full listen queue is waited out: the call succeeds once accepted. */
START_TEST(test_backlog_full_waits)
{
	struct backlog	 b;
	struct cqlp	*c;
	long long	 t0;

	/* Opened before the socket exists, so the ping does the connect. */
	snprintf(b.path, sizeof b.path, "%s/full.sock", fk.dir);
	c = cqlp_open(b.path);
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_NOENT);
	backlog_start(&b, 300);
	cqlp_set_timeout(c, 5000);
	t0 = ms_now();
	ck_assert_msg(cqlp_ping(c) == CQLP_OK, "ping: %s: %s",
	    cqlp_error_code(c), cqlp_error_message(c));
	ck_assert_int_ge(ms_now() - t0, 250);
	ck_assert_int_lt(ms_now() - t0, 4000);
	/* A second call goes over the same connection. */
	ck_assert_int_eq(cqlp_ping(c), CQLP_OK);
	cqlp_close(c);
	backlog_stop(&b);
	ck_assert_int_eq(b.accepted, 2);	/* the filler and us */
}
END_TEST

/* A queue that stays full: a clean timeout at the deadline. */
START_TEST(test_backlog_full_timeout)
{
	struct backlog	 b;
	struct cqlp	*c;
	long long	 t0;

	snprintf(b.path, sizeof b.path, "%s/full.sock", fk.dir);
	c = cqlp_open(b.path);
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_NOENT);
	backlog_start(&b, -1);
	cqlp_set_timeout(c, 300);
	t0 = ms_now();
	ck_assert_int_eq(cqlp_ping(c), CQLP_ERR_TIMEOUT);
	ck_assert_str_eq(cqlp_error_code(c), "client_timeout");
	ck_assert_ptr_nonnull(strstr(cqlp_error_message(c), b.path));
	ck_assert_int_ge(ms_now() - t0, 280);
	ck_assert_int_lt(ms_now() - t0, 2000);
	cqlp_close(c);
	backlog_stop(&b);
	ck_assert_int_eq(b.accepted, 0);
}
END_TEST

/*
 * A locale with a decimal comma for the numbers test: one the system has,
 * else one made with localedef in dir (LOCPATH).  0 if there is none.
 */
static int
comma_locale(const char *dir)
{
	static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8",
	    "fr_FR.UTF-8", "fr_FR.utf8", "de_DE", NULL };
	char	cmd[256];
	int	i;

	for (i = 0; names[i] != NULL; i++) {
		if (setlocale(LC_NUMERIC, names[i]) != NULL &&
		    *localeconv()->decimal_point == ',')
			return (1);
	}
	snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 "
	    "%s/de_DE.UTF-8 >/dev/null 2>&1", dir);
	if (system(cmd) != 0)
		return (0);
	setenv("LOCPATH", dir, 1);
	return (setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL &&
	    *localeconv()->decimal_point == ',');
}

/* Doubles go out and come back the same under a decimal-comma locale. */
START_TEST(test_locale_numbers)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s = cqlp_stmt_new("INSERT d");
	struct cqlp_result	*r;
	char			 dir[] = "/tmp/cqlp-loc.XXXXXX", cmd[64];
	char			*last;
	double			 d;
	int			 have;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	have = comma_locale(dir);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)system(cmd);
	if (!have) {
		fprintf(stderr, "test_locale_numbers: no decimal-comma "
		    "locale, not tested\n");
		cqlp_stmt_free(s);
		cqlp_close(c);
		return;
	}
	ck_assert_int_eq(cqlp_bind_double(s, 2.5), CQLP_OK);
	ck_assert_int_eq(cqlp_bind_int64(s, 7), CQLP_OK);
	r = cqlp_exec(c, s);
	ck_assert_ptr_nonnull(r);
	cqlp_result_free(r);
	last = fake_last(&fk);
	ck_assert_ptr_nonnull(strstr(last, "\"values\":[2.5,7]"));
	free(last);
	r = cqlp_query(c, "SELECT types", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cqlp_result_next(r), 1);
	ck_assert_int_eq(cqlp_get_double(r, 4, &d), CQLP_OK);
	ck_assert(d == 1.5e300);
	ck_assert_int_eq(cqlp_get_double(r, 3, &d), CQLP_OK);
	ck_assert(d == -1500.0);
	cqlp_result_free(r);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

/*
 * Text that is not UTF-8 is refused before it is sent: the daemon would
 * answer bad_json without an id, and an async request would never end.
 */
START_TEST(test_bad_utf8)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	static const char *const bad[] = { "caf\xe9", "\xc0\xaf",
	    "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82", NULL };
	char			 cql[64];
	int			 i;

	for (i = 0; bad[i] != NULL; i++) {
		snprintf(cql, sizeof cql, "SELECT '%s'", bad[i]);
		ck_assert_ptr_null(cqlp_query(c, cql, NULL));
		ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_INVALID);
		ck_assert_ptr_nonnull(strstr(cqlp_error_message(c), "UTF-8"));
	}
	s = cqlp_stmt_new("INSERT t");
	ck_assert_int_eq(cqlp_bind_text(s, "caf\xe9"), CQLP_OK);
	ck_assert_ptr_null(cqlp_exec(c, s));
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_INVALID);
	ck_assert(cqlp_async_submit(c, s, NULL) == 0);
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_INVALID);
	ck_assert_uint_eq(cqlp_async_pending(c), 0);
	ck_assert(cqlp_async_submit_json(c, "{\"cql\": \"x\xff\"}", NULL) == 0);
	ck_assert_int_eq(fk.nlines, 0);
	/* Good UTF-8, four-byte forms included, goes out. */
	cqlp_stmt_reset(s);
	ck_assert_int_eq(cqlp_bind_text(s, "na\xc3\xafve \xe2\x98\x83 "
	    "\xf0\x9f\x98\x80"), CQLP_OK);
	r = cqlp_exec(c, s);
	ck_assert_ptr_nonnull(r);
	cqlp_result_free(r);
	ck_assert_int_eq(fk.nlines, 1);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

/* A per-call timeout: the daemon's own timeout answer is the one seen. */
START_TEST(test_timeout_daemon_first)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*s = cqlp_stmt_new("TIMEOUT");
	long long		 t0;
	int			 i;

	cqlp_stmt_set_timeout(s, 150);
	for (i = 0; i < 5; i++) {
		t0 = ms_now();
		ck_assert_ptr_null(cqlp_exec(c, s));
		ck_assert_msg(cqlp_errno(c) == CQLP_ERR_SERVER, "%s: %s",
		    cqlp_error_code(c), cqlp_error_message(c));
		ck_assert_str_eq(cqlp_error_code(c), "timeout");
		ck_assert_int_ge(ms_now() - t0, 140);
		ck_assert_int_lt(ms_now() - t0, 1000);
	}
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

/* Run the async loop in a child (no ck_assert there): bit 1 on failure. */
static int
child_drain(struct cqlp *c, int *closed, int *ok)
{
	struct cqlp_result	*r;
	struct pollfd		 pfd;
	long long		 t0 = ms_now();

	*closed = *ok = 0;
	while (cqlp_async_pending(c) > 0 && ms_now() - t0 < 5000) {
		while ((r = cqlp_async_collect(c)) != NULL) {
			if (cqlp_result_status(r) == CQLP_ERR_CLOSED &&
			    cqlp_result_udata(r) == (void *)1)
				(*closed)++;
			else if (cqlp_result_status(r) == CQLP_OK &&
			    cqlp_result_udata(r) == (void *)2)
				(*ok)++;
			cqlp_result_free(r);
		}
		if (cqlp_async_pending(c) == 0)
			break;
		if ((pfd.fd = cqlp_async_fd(c)) < 0)
			return (1);
		pfd.events = POLLIN | (cqlp_async_want_write(c) ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if ((pfd.revents & POLLOUT) && cqlp_async_flush(c) != CQLP_OK)
			return (1);
		if (pfd.revents & (POLLIN | POLLHUP))
			(void)cqlp_async_read(c);
	}
	return (cqlp_async_pending(c) == 0 ? 0 : 1);
}

/*
 * After fork() with async requests in flight, the child's blocking calls
 * and its own requests work; the parent's requests complete in the child
 * as closed and are answered in the parent.
 */
START_TEST(test_fork_async)
{
	struct cqlp		*c = cqlp_open(fk.path);
	struct cqlp_stmt	*parent = cqlp_stmt_new("SLEEP 300");
	struct cqlp_stmt	*child = cqlp_stmt_new("SELECT child");
	pid_t			 pid;
	int			 status, seen[3] = { 0, 0, 0 }, mode;

	for (mode = 0; mode < 2; mode++) {
		ck_assert(cqlp_async_submit(c, parent, (void *)1) > 0);
		ck_assert_int_eq(cqlp_async_flush(c), CQLP_OK);
		if ((pid = fork()) == 0) {
			int	closed, ok, rv = 0;

			/* First call in the child: blocking, or a submit. */
			if (mode == 0 && cqlp_ping(c) != CQLP_OK)
				rv |= 2;
			if (cqlp_async_submit(c, child, (void *)2) == 0)
				rv |= 4;
			rv |= child_drain(c, &closed, &ok);
			if (closed != 1 || ok != 1)
				rv |= 8;
			if (cqlp_ping(c) != CQLP_OK)
				rv |= 16;
			_exit(rv);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "mode %d: child status %d", mode, WEXITSTATUS(status));
		seen[1] = 0;
		ck_assert_int_eq(drain_async(c, seen, 3), 1);
		ck_assert_int_eq(seen[1], 1);
	}
	ck_assert_int_eq(fake_count(&fk, "SELECT child"), 2);
	ck_assert_int_eq(fake_count(&fk, "SLEEP 300"), 2);
	cqlp_stmt_free(parent);
	cqlp_stmt_free(child);
	cqlp_close(c);
}
END_TEST

/* Requests queued while not connected are never sent by a child. */
START_TEST(test_fork_unconnected)
{
	struct cqlp		*c;
	struct cqlp_stmt	*s = cqlp_stmt_new("SELECT queued");
	pid_t			 pid;
	int			 status, go[2], seen[2] = { 0, 0 };

	fake_stop(&fk);
	c = cqlp_open(fk.path);
	ck_assert_int_eq(cqlp_errno(c), CQLP_ERR_NOENT);
	ck_assert(cqlp_async_submit(c, s, (void *)1) > 0);
	ck_assert_int_eq(pipe(go), 0);
	if ((pid = fork()) == 0) {
		int	closed, ok, rv = 0;
		char	x;

		if (read(go[0], &x, 1) != 1)
			_exit(1);
		rv |= child_drain(c, &closed, &ok);
		if (closed != 1)
			rv |= 8;
		_exit(rv);
	}
	ck_assert_int_eq(fake_restart(&fk), 0);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d", WEXITSTATUS(status));
	ck_assert_int_eq(fake_count(&fk, "SELECT queued"), 0);
	/* The parent sends its own request. */
	ck_assert_int_eq(drain_async(c, seen, 2), 1);
	ck_assert_int_eq(seen[1], 1);
	ck_assert_int_eq(fake_count(&fk, "SELECT queued"), 1);
	close(go[0]);
	close(go[1]);
	cqlp_stmt_free(s);
	cqlp_close(c);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite	*s = suite_create("libcqlproxy");
	TCase	*tc = tcase_create("fake");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_missing_daemon);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_env_path);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_values_sent);
	tcase_add_test(tc, test_server_error);
	tcase_add_test(tc, test_paging);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_lost_after_send);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_prepared);
	tcase_add_test(tc, test_batch_and_raw);
	tcase_add_test(tc, test_bad_answers);
	tcase_add_test(tc, test_refused_by_daemon);
	tcase_add_test(tc, test_async);
	tcase_add_test(tc, test_async_lost);
	tcase_add_test(tc, test_backlog_full_waits);
	tcase_add_test(tc, test_backlog_full_timeout);
	tcase_add_test(tc, test_locale_numbers);
	tcase_add_test(tc, test_bad_utf8);
	tcase_add_test(tc, test_timeout_daemon_first);
	tcase_add_test(tc, test_fork_async);
	tcase_add_test(tc, test_fork_unconnected);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(client_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
