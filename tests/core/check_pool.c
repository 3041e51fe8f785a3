/*
 * check_pool.c: a host's pool against cqlmock: up and version, growth
 * under load and shrinking when idle, back-pressure, a connection full
 * of requests never answered replaced, the host marked down
 * on stop and up again after start through background reconnection.
 * Skipped (77) only when the cqlmock binary is missing.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "host.h"
#include "conn.h"
#include "pool.h"
#include "mockproc.h"
#include "testloop.h"

#define NREQ	64

struct t {
	struct mockproc		 mock;
	struct event_base	*base;
	struct host_listeners	*ls;
	struct host		*host;
	struct pool		*pool;
	struct pool_config	 pc;
	int			 up, down;	/* pool callbacks */
	int			 host_up, host_down;	/* host listeners */
	enum conn_error		 down_err;
	int			 free_on_down;
	int			 ndone;
	enum conn_error		 res[NREQ];
};

static struct t	*T;

static void
t_pool_up(struct pool *p, void *arg)
{
	T->up++;
}

static void
t_pool_down(struct pool *p, enum conn_error e, void *arg)
{
	T->down++;
	T->down_err = e;
	if (T->free_on_down) {
		pool_free(p);
		T->pool = NULL;
	}
}

static void
t_host_up(struct host *h, void *arg)
{
	T->host_up++;
}

static void
t_host_down(struct host *h, void *arg)
{
	T->host_down++;
}

static void
t_answer(struct conn *c, enum conn_error e, struct msg *m, void *arg)
{
	*(enum conn_error *)arg = e;
	T->ndone++;
}

static int
cond_host(void *arg)
{
	return (T->host->state == *(enum host_state *)arg);
}

static int
cond_size(void *arg)
{
	return (T->pool != NULL && pool_size(T->pool) == *(int *)arg &&
	    pool_opening(T->pool) == 0);
}

static int
cond_ndone(void *arg)
{
	return (T->ndone >= *(int *)arg);
}

static int
cond_down(void *arg)
{
	return (T->down > 0);
}

static int
cond_attempts(void *arg)
{
	return (pool_reconnect_attempts(T->pool) >= (uint64_t)*(int *)arg);
}

static void
setup(void)
{
	struct host_listener	l;

	signal(SIGPIPE, SIG_IGN);
	T = xcalloc(1, sizeof *T);
	ck_assert_int_eq(mockproc_start(&T->mock, 1, NULL), 0);
	T->base = event_base_new();
	T->ls = host_listeners_new();
	memset(&l, 0, sizeof l);
	l.on_up = t_host_up;
	l.on_down = t_host_down;
	host_listener_add(T->ls, &l);
	T->host = host_new_name("127.0.0.1", T->mock.port, T->ls);
	pool_config_default(&T->pc);
	T->pc.conn.heartbeat_interval_ms = 0;
	/* quick, deterministic reconnection for the test */
	T->pc.reconnect.kind = RECONNECT_CONSTANT;
	T->pc.reconnect.jitter = RECONNECT_JITTER_NONE;
	T->pc.reconnect.base_ms = 100;
}

static void
teardown(void)
{
	if (T->pool != NULL)
		pool_free(T->pool);
	testloop_drain(T->base);
	host_unref(T->host);
	host_listeners_free(T->ls);
	event_base_free(T->base);
	ck_assert_int_eq(mockproc_stop(&T->mock), 0);
	free(T);
	T = NULL;
}

static void
t_pool(void)
{
	struct pool_cbs	cbs;

	memset(&cbs, 0, sizeof cbs);
	cbs.up = t_pool_up;
	cbs.down = t_pool_down;
	T->pool = pool_new(T->base, T->host, &T->pc, &cbs);
	pool_connect(T->pool);
}

static void
t_pool_ready(void)
{
	enum host_state	up = HOST_UP;

	t_pool();
	ck_assert_msg(testloop_until(T->base, cond_host, &up, 10000),
	    "host never up");
	ck_assert_int_eq(T->up, 1);
	ck_assert_int_eq(T->host_up, 1);
}

static enum conn_error
t_send(const char *text, enum conn_error *res)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = slice_cstr(text);
	m.u.query.params.consistency = CL_ONE;
	return (pool_send(T->pool, &m, 0, 30000, t_answer, res, NULL, NULL));
}

START_TEST(test_up_and_version)
{
	struct conn	*c;
	int		 one = 1;

	t_pool_ready();
	ck_assert_int_eq(pool_size(T->pool), 1);
	ck_assert_uint_eq(pool_version(T->pool), PROTO_V4);
	ck_assert(pool_is_up(T->pool));
	ck_assert_int_eq(pool_acquire(T->pool, &c), CONN_OK);
	ck_assert_ptr_eq(conn_host(c), T->host);
	ck_assert_int_eq(t_send("SELECT release_version FROM system.local",
	    &T->res[0]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 5000));
	ck_assert_int_eq(T->res[0], CONN_OK);
	ck_assert_int_eq(pool_inflight(T->pool), 0);
}
END_TEST

START_TEST(test_grow_and_shrink)
{
	int	i, two = 2, one = 1, n = 20;

	T->pc.grow_threshold = 5;
	T->pc.max_inflight = 100;
	T->pc.idle_close_ms = 200;
	t_pool_ready();
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":300}"), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(t_send("SELECT release_version FROM "
		    "system.local", &T->res[i]), CONN_OK);
	/* past the threshold a second connection opened */
	ck_assert(testloop_until(T->base, cond_size, &two, 5000));
	ck_assert(testloop_until(T->base, cond_ndone, &n, 5000));
	for (i = 0; i < n; i++)
		ck_assert_int_eq(T->res[i], CONN_OK);
	/* never past max_local */
	ck_assert_int_le(pool_size(T->pool) + pool_opening(T->pool), 2);
	/* idle: back to core */
	ck_assert(testloop_until(T->base, cond_size, &one, 5000));
	ck_assert_int_eq(T->down, 0);
}
END_TEST

START_TEST(test_back_pressure)
{
	int	i, one = 1, six = 6;

	T->pc.max_local = 1;
	T->pc.max_inflight = 5;
	t_pool_ready();
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":300}"), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(t_send("SELECT release_version FROM "
		    "system.local", &T->res[i]), CONN_OK);
	ck_assert_int_eq(t_send("SELECT release_version FROM system.local",
	    &T->res[5]), CONN_EBUSY);
	ck_assert_int_eq(pool_inflight(T->pool), 5);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 5000));
	ck_assert_int_eq(t_send("SELECT release_version FROM system.local",
	    &T->res[5]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &six, 5000));
}
END_TEST

static enum conn_error
t_send_timed(const char *text, int timeout_ms, enum conn_error *res)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = slice_cstr(text);
	m.u.query.params.consistency = CL_ONE;
	return (pool_send(T->pool, &m, 0, timeout_ms, t_answer, res, NULL,
	    NULL));
}

static int
cond_sendable(void *arg)
{
	struct conn	*c;

	return (pool_acquire(T->pool, &c) == CONN_OK);
}

/*
 * A node that never answers some requests: each one that times out keeps
 * its stream id.  Once three quarters of max_inflight are held so, the
 * connection is replaced and the host serves again, instead of refusing
 * every request as busy for good.
 */
START_TEST(test_orphans_replace_connection)
{
	struct conn	*first, *c;
	int		 i, eight = 8, nine = 9;

	T->pc.max_local = 1;
	T->pc.max_inflight = 8;
	t_pool_ready();
	ck_assert_int_eq(pool_acquire(T->pool, &first), CONN_OK);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":600000,"
	    "\"match\":\"never_marker\"}"), 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(t_send_timed("SELECT key FROM system.local "
		    "WHERE key = 'never_marker'", 50, &T->res[i]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &eight, 5000));
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(T->res[i], CONN_ETIMEOUT);
	ck_assert_int_eq(conn_orphans(first), 8);
	/* Served again, on another connection, the host never down. */
	ck_assert_msg(testloop_until(T->base, cond_sendable, NULL, 5000),
	    "the host stays busy");
	ck_assert_int_eq(pool_acquire(T->pool, &c), CONN_OK);
	ck_assert_int_eq(conn_orphans(c), 0);
	ck_assert_int_eq(t_send("SELECT release_version FROM system.local",
	    &T->res[8]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &nine, 5000));
	ck_assert_int_eq(T->res[8], CONN_OK);
	ck_assert_int_eq(pool_size(T->pool), 1);
	ck_assert_int_eq(T->down, 0);
	ck_assert_int_eq(T->host_down, 0);
}
END_TEST

START_TEST(test_down_and_up_again)
{
	enum host_state	 up = HOST_UP, down = HOST_DOWN;
	struct conn	*c;
	int		 three = 3;

	t_pool_ready();
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"stop\",\"node\":1}"), 0);
	ck_assert(testloop_until(T->base, cond_host, &down, 5000));
	ck_assert_int_eq(T->down, 1);
	ck_assert_int_eq(T->host_down, 1);
	ck_assert_int_eq(pool_acquire(T->pool, &c), CONN_ECLOSED);
	ck_assert(!pool_is_up(T->pool));
	/* it keeps knocking, on schedule, without reporting down again */
	ck_assert(testloop_until(T->base, cond_attempts, &three, 5000));
	ck_assert_int_eq(T->down, 1);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"start\",\"node\":1}"), 0);
	ck_assert(testloop_until(T->base, cond_host, &up, 5000));
	ck_assert_int_eq(T->up, 2);
	ck_assert_int_eq(T->host_up, 2);
	ck_assert_int_eq(pool_size(T->pool), 1);
	ck_assert_uint_eq(pool_reconnect_attempts(T->pool), 0);
	ck_assert_int_eq(pool_acquire(T->pool, &c), CONN_OK);
}
END_TEST

START_TEST(test_first_connect_fails)
{
	enum host_state	up = HOST_UP, down = HOST_DOWN;

	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"stop\",\"node\":1}"), 0);
	t_pool();
	ck_assert(testloop_until(T->base, cond_host, &down, 5000));
	ck_assert_int_eq(T->down, 1);
	ck_assert_int_eq(T->down_err, CONN_ECONNECT);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"start\",\"node\":1}"), 0);
	ck_assert(testloop_until(T->base, cond_host, &up, 5000));
	ck_assert_int_eq(T->up, 1);
}
END_TEST

START_TEST(test_free_on_down)
{
	t_pool_ready();
	T->free_on_down = 1;
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"kill\",\"node\":1}"), 0);
	ck_assert(testloop_until(T->base, cond_down, NULL, 5000));
	ck_assert_ptr_null(T->pool);
	testloop_drain(T->base);
}
END_TEST

START_TEST(test_reconnect_now)
{
	enum host_state	up = HOST_UP, down = HOST_DOWN;

	T->pc.reconnect.base_ms = 600000;	/* only an explicit nudge */
	t_pool_ready();
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"stop\",\"node\":1}"), 0);
	ck_assert(testloop_until(T->base, cond_host, &down, 5000));
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"start\",\"node\":1}"), 0);
	pool_reconnect_now(T->pool);
	ck_assert(testloop_until(T->base, cond_host, &up, 5000));
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite	*s = suite_create("pool");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_up_and_version);
	tcase_add_test(tc, test_grow_and_shrink);
	tcase_add_test(tc, test_back_pressure);
	tcase_add_test(tc, test_orphans_replace_connection);
	tcase_add_test(tc, test_down_and_up_again);
	tcase_add_test(tc, test_first_connect_fails);
	tcase_add_test(tc, test_free_on_down);
	tcase_add_test(tc, test_reconnect_now);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	if (access(mockproc_path(), X_OK) != 0) {
		fprintf(stderr, "check_pool: %s not built: skipped\n",
		    mockproc_path());
		return (77);
	}
	log_open("check_pool", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_TRACE : LOG_LEVEL_WARN, 1);
	sr = srunner_create(pool_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
