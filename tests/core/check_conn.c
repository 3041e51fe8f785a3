/*
 * check_conn.c: one connection against cqlmock: handshake and version,
 * a thousand requests in flight, a request timeout under the mock's delay,
 * heartbeat failure and a killed node failing in-flight requests, events.
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
#include "mockproc.h"
#include "testloop.h"

#define NREQ	1000

struct reqres {
	int		 done;
	enum conn_error	 e;
	uint8_t		 opcode;
	int32_t		 kind;
	int32_t		 rows;
};

struct t {
	struct mockproc		 mock;
	struct event_base	*base;
	struct host		*host;
	struct conn		*conn;
	struct conn_config	 cf;
	int			 ready;
	enum conn_error		 ready_err;
	int			 closed;
	enum conn_error		 closed_err;
	int			 events;
	char			 event_change[16];
	int			 ndone;
	struct reqres		 res[NREQ];
};

static struct t	*T;

static void
t_ready(struct conn *c, enum conn_error e, void *arg)
{
	T->ready++;
	T->ready_err = e;
}

static void
t_closed(struct conn *c, enum conn_error e, void *arg)
{
	T->closed++;
	T->closed_err = e;
}

static void
t_event(struct conn *c, struct msg *m, void *arg)
{
	size_t	n = m->u.event.change.n;

	if (!slice_eq(m->u.event.type, "STATUS_CHANGE"))
		return;
	T->events++;
	if (n >= sizeof T->event_change)
		n = sizeof T->event_change - 1;
	memcpy(T->event_change, m->u.event.change.p, n);
	T->event_change[n] = '\0';
}

static void
t_answer(struct conn *c, enum conn_error e, struct msg *m, void *arg)
{
	struct reqres	*r = arg;

	ck_assert_int_eq(r->done, 0);
	r->done = 1;
	r->e = e;
	if (m != NULL) {
		r->opcode = m->opcode;
		if (m->opcode == OP_RESULT) {
			r->kind = m->u.result.kind;
			if (r->kind == RESULT_ROWS)
				r->rows = m->u.result.rows.rows_count;
		}
	}
	T->ndone++;
}

static int
cond_ready(void *arg)
{
	return (T->ready > 0);
}

static int
cond_closed(void *arg)
{
	return (T->closed > 0);
}

static int
cond_ndone(void *arg)
{
	return (T->ndone >= *(int *)arg);
}

static int
cond_no_orphans(void *arg)
{
	return (conn_orphans(T->conn) == 0);
}

static int
cond_events(void *arg)
{
	return (T->events > 0);
}

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	T = xcalloc(1, sizeof *T);
	ck_assert_int_eq(mockproc_start(&T->mock, 2, NULL), 0);
	T->base = event_base_new();
	conn_config_default(&T->cf);
	T->cf.heartbeat_interval_ms = 0;
}

static void
teardown(void)
{
	if (T->conn != NULL)
		conn_free(T->conn);
	testloop_drain(T->base);
	if (T->host != NULL)
		host_unref(T->host);
	event_base_free(T->base);
	ck_assert_int_eq(mockproc_stop(&T->mock), 0);
	free(T);
	T = NULL;
}

static void
t_connect(int node)
{
	struct conn_cbs	cbs;

	T->host = host_new_name(mockproc_addr(&T->mock, node), T->mock.port,
	    NULL);
	memset(&cbs, 0, sizeof cbs);
	cbs.ready = t_ready;
	cbs.closed = t_closed;
	cbs.event = t_event;
	T->conn = conn_new(T->base, T->host, &T->cf, &cbs);
	conn_connect(T->conn);
	ck_assert_msg(testloop_until(T->base, cond_ready, NULL, 10000),
	    "no ready callback");
	ck_assert_msg(T->ready_err == CONN_OK, "ready: %s (%s)",
	    conn_error_name(T->ready_err), conn_why(T->conn));
}

static enum conn_error
t_query(const char *text, int timeout_ms, struct reqres *r)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = slice_cstr(text);
	m.u.query.params.consistency = CL_ONE;
	return (conn_send(T->conn, &m, 0, timeout_ms, t_answer, r, NULL));
}

START_TEST(test_handshake_and_version)
{
	const struct msg_supported	*sup;
	const struct string_list	*l;
	char				 ans[8192];
	size_t				 i;
	int				 found = 0, one = 1;

	t_connect(1);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
	ck_assert_uint_eq(conn_version(T->conn), PROTO_V4);
	sup = conn_supported(T->conn);
	ck_assert_ptr_nonnull(sup);
	l = string_multimap_get(&sup->options, "PROTOCOL_VERSIONS");
	ck_assert_ptr_nonnull(l);
	for (i = 0; i < l->n; i++)
		found += slice_eq(l->e[i], "4/v4");
	ck_assert_int_eq(found, 1);

	ck_assert_int_eq(t_query("SELECT release_version FROM system.local",
	    0, &T->res[0]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 10000));
	ck_assert_int_eq(T->res[0].e, CONN_OK);
	ck_assert_int_eq(T->res[0].kind, RESULT_ROWS);
	ck_assert_int_eq(T->res[0].rows, 1);
	ck_assert_int_eq(mockproc_control(&T->mock, ans, sizeof ans,
	    "{\"op\":\"stats\"}"), 0);
	ck_assert_ptr_nonnull(strstr(ans, "STARTUP"));
}
END_TEST

START_TEST(test_thousand_in_flight)
{
	int	i, n = NREQ;

	t_connect(1);
	for (i = 0; i < NREQ; i++) {
		ck_assert_int_eq(t_query("SELECT release_version FROM "
		    "system.local", 30000, &T->res[i]), CONN_OK);
	}
	ck_assert_int_eq(conn_inflight(T->conn), NREQ);
	ck_assert_int_eq(T->ndone, 0);
	ck_assert(testloop_until(T->base, cond_ndone, &n, 30000));
	for (i = 0; i < NREQ; i++) {
		ck_assert_int_eq(T->res[i].e, CONN_OK);
		ck_assert_int_eq(T->res[i].kind, RESULT_ROWS);
	}
	ck_assert_int_eq(conn_inflight(T->conn), 0);
	/* the thousand went out in a handful of writes */
	ck_assert_uint_le(conn_stats(T->conn)->writes, 2 + 4);
}
END_TEST

START_TEST(test_request_timeout_under_delay)
{
	int	one = 1, two = 2;

	t_connect(1);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":400}"), 0);
	ck_assert_int_eq(t_query("SELECT release_version FROM system.local",
	    100, &T->res[0]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 5000));
	ck_assert_int_eq(T->res[0].e, CONN_ETIMEOUT);
	ck_assert_int_eq(conn_orphans(T->conn), 1);
	/* the late answer arrives and is dropped; the stream comes back */
	ck_assert(testloop_until(T->base, cond_no_orphans, NULL, 5000));
	ck_assert_uint_eq(conn_stats(T->conn)->late, 1);
	ck_assert_int_eq(T->ndone, 1);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":0}"), 0);
	ck_assert_int_eq(t_query("SELECT release_version FROM system.local",
	    0, &T->res[1]), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &two, 5000));
	ck_assert_int_eq(T->res[1].e, CONN_OK);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
}
END_TEST

START_TEST(test_heartbeat_timeout_under_delay)
{
	t_connect(1);
	conn_free(T->conn);
	T->conn = NULL;
	host_unref(T->host);
	T->host = NULL;
	T->ready = 0;
	T->cf.heartbeat_interval_ms = 100;
	T->cf.heartbeat_timeout_ms = 300;
	t_connect(1);
	/* the node answers everything, OPTIONS included, 5 s late */
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":5000}"), 0);
	ck_assert(testloop_until(T->base, cond_closed, NULL, 4000));
	ck_assert_int_eq(T->closed_err, CONN_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(conn_why(T->conn), "heartbeat"));
}
END_TEST

START_TEST(test_kill_fails_in_flight)
{
	int	i, n = 10;

	T->cf.heartbeat_interval_ms = 100;
	T->cf.heartbeat_timeout_ms = 300;
	t_connect(1);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":20000}"), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(t_query("SELECT release_version FROM "
		    "system.local", 60000, &T->res[i]), CONN_OK);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"kill\",\"node\":1}"), 0);
	/* lost (reset or heartbeat): closed, then every request fails */
	ck_assert(testloop_until(T->base, cond_closed, NULL, 5000));
	ck_assert(T->closed_err == CONN_ECLOSED ||
	    T->closed_err == CONN_ETIMEOUT);
	ck_assert(testloop_until(T->base, cond_ndone, &n, 1000));
	for (i = 0; i < n; i++)
		ck_assert_int_eq(T->res[i].e, CONN_ECLOSED);
	ck_assert_int_eq(conn_state(T->conn), CONN_CLOSED);
	ck_assert_int_eq(conn_inflight(T->conn), 0);
}
END_TEST

START_TEST(test_status_events)
{
	static const char *const ev[] = { "STATUS_CHANGE" };
	int			 one = 1;

	t_connect(1);
	ck_assert_int_eq(conn_register(T->conn, ev, 1, t_answer, &T->res[0]),
	    CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 5000));
	ck_assert_int_eq(T->res[0].e, CONN_OK);
	ck_assert_int_eq(T->res[0].opcode, OP_READY);
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"stop\",\"node\":2}"), 0);
	ck_assert(testloop_until(T->base, cond_events, NULL, 5000));
	ck_assert_str_eq(T->event_change, "DOWN");
}
END_TEST

static Suite *
conn_suite(void)
{
	Suite	*s = suite_create("conn");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_handshake_and_version);
	tcase_add_test(tc, test_thousand_in_flight);
	tcase_add_test(tc, test_request_timeout_under_delay);
	tcase_add_test(tc, test_heartbeat_timeout_under_delay);
	tcase_add_test(tc, test_kill_fails_in_flight);
	tcase_add_test(tc, test_status_events);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	if (access(mockproc_path(), X_OK) != 0) {
		fprintf(stderr, "check_conn: %s not built: skipped\n",
		    mockproc_path());
		return (77);
	}
	log_open("check_conn", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_TRACE : LOG_LEVEL_WARN, 1);
	sr = srunner_create(conn_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
