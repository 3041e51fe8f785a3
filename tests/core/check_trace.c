/*
 * check_trace.c: fetching traces from a cqlmock that writes its trace
 * rows 200 ms after answering (--trace-delay-ms 200, given through
 * mockproc_start_args): a fetch started right after the traced request
 * waits and returns the whole trace; a fetch bounded to 50 ms times out
 * with the stable message; an unknown session times out too; a cancelled
 * fetch never calls back; a fetch ended by its own deadline timer is
 * freed a loop turn later, not inside that timer's callback; a fetch
 * started late in a long loop turn still waits its whole time.
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
#include "msg.h"
#include "host.h"
#include "conn.h"
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "trace.h"
#include "clock.h"
#include "mockproc.h"
#include "testloop.h"
#include "selffree.h"

#define WAIT_MS		15000
#define TRACE_DELAY	200
#define TRACE_DELAY_ARG	"200"	/* the same, for the mock */

struct t {
	struct mockproc		 mock;
	struct event_base	*base;
	struct cluster		*c;
	int			 ready;
	enum core_error		 ready_err;
};
static struct t	*T;

struct res {
	int		 done;
	struct result	*r;
};

struct fetched {
	int		 done;
	struct trace	*t;
	enum core_error	 err;
	char		 why[128];
	uint64_t	 at_ms;
	uint64_t	 at_us;		/* clock_now_us */
};

static int
cond_flag(void *arg)
{
	return (*(int *)arg != 0);
}

static void
t_ready(struct cluster *c, enum core_error e, const char *why, void *arg)
{
	T->ready = 1;
	T->ready_err = e;
}

static void
t_res(struct result *r, void *arg)
{
	struct res	*x = arg;

	x->r = r;
	x->done = 1;
}

static void
t_fetched(struct trace *t, enum core_error e, const char *why, void *arg)
{
	struct fetched	*f = arg;

	f->done++;
	f->t = t;
	f->err = e;
	f->at_ms = conn_now_ms();
	f->at_us = clock_now_us();
	snprintf(f->why, sizeof f->why, "%s", why);
}

/* A traced query; the result has the session id and the coordinator. */
static struct result *
t_traced(const char *text)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct res		 x;

	memset(&x, 0, sizeof x);
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr(text);
	request_opts_default(&o);
	o.tracing = 1;
	cluster_execute(T->c, &s, &o, t_res, &x);
	ck_assert(testloop_until(T->base, cond_flag, &x.done, WAIT_MS));
	ck_assert_msg(x.r->error == CORE_OK, "%s: %s", text,
	    x.r->message != NULL ? x.r->message : "?");
	ck_assert(x.r->has_tracing_id);
	ck_assert_ptr_nonnull(x.r->host);
	return (x.r);
}

static void
setup(void)
{
	struct cluster_config	 cfg;
	const char		*cps[1], *why;

	signal(SIGPIPE, SIG_IGN);
	T = xcalloc(1, sizeof *T);
	ck_assert_int_eq(mockproc_start_args(&T->mock, 2, NULL, (const char *[])
	    { "--trace-delay-ms", TRACE_DELAY_ARG, NULL }), 0);
	T->base = event_base_new();
	cluster_config_default(&cfg);
	cps[0] = "127.0.0.1";
	cfg.contact_points = cps;
	cfg.ncontact_points = 1;
	cfg.port = (uint16_t)T->mock.port;
	cfg.pool.conn.heartbeat_interval_ms = 0;
	T->c = cluster_new(T->base, &cfg, &why);
	ck_assert_msg(T->c != NULL, "cluster_new: %s", why);
	cluster_connect(T->c, t_ready, NULL);
	ck_assert(testloop_until(T->base, cond_flag, &T->ready, WAIT_MS));
	ck_assert_int_eq(T->ready_err, CORE_OK);
}

static void
teardown(void)
{
	cluster_free(T->c);
	testloop_drain(T->base);
	event_base_free(T->base);
	ck_assert_int_eq(mockproc_stop(&T->mock), 0);
	free(T);
	T = NULL;
}

START_TEST(test_fetch_waits)
{
	struct result		*r;
	struct trace_opts	 o;
	struct fetched		 f;
	struct trace		*t;
	const char		*q;
	uint64_t		 start;
	size_t			 i;

	r = t_traced("SELECT release_version FROM system.local");
	start = conn_now_ms();
	memset(&f, 0, sizeof f);
	trace_opts_default(&o);
	o.host = r->host;
	trace_fetch_opts(T->c, r->tracing_id, &o, t_fetched, &f);
	ck_assert(testloop_until(T->base, cond_flag, &f.done, WAIT_MS));
	ck_assert_int_eq(f.done, 1);
	ck_assert_msg(f.err == CORE_OK, "%s: %s", core_error_name(f.err),
	    f.why);
	t = f.t;
	/* The rows appeared TRACE_DELAY ms after the answer: we waited. */
	ck_assert_uint_ge(f.at_ms - start, TRACE_DELAY / 2);
	ck_assert_uint_gt(t->polls, 1);
	ck_assert_mem_eq(t->session_id, r->tracing_id, 16);
	ck_assert_int_gt(t->duration_us, 0);
	/* The coordinator is the host that answered ("127.0.0.i:port"). */
	ck_assert_uint_gt(strlen(t->coordinator), 0);
	ck_assert(strncmp(r->host_name, t->coordinator,
	    strlen(t->coordinator)) == 0 &&
	    r->host_name[strlen(t->coordinator)] == ':');
	ck_assert_str_eq(t->client, "127.0.0.1");
	ck_assert_str_eq(t->command, "QUERY");
	ck_assert_str_eq(t->request, "Execute CQL3 query");
	ck_assert_int_gt(t->started_at, 1600000000000LL);
	q = trace_param(t, "query");
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, "SELECT release_version FROM system.local");
	ck_assert_ptr_nonnull(trace_param(t, "consistency_level"));
	ck_assert_uint_ge(t->nevents, 3);
	ck_assert_str_eq(t->events[t->nevents - 1].activity,
	    "Request complete");
	ck_assert(strncmp(t->events[0].activity, "Parsing ", 8) == 0);
	for (i = 0; i < t->nevents; i++) {
		ck_assert_str_eq(t->events[i].source, t->coordinator);
		ck_assert_str_eq(t->events[i].thread,
		    "Native-Transport-Requests-1");
		ck_assert_int_ge(t->events[i].source_elapsed, 0);
		if (i > 0)
			ck_assert_int_ge(t->events[i].source_elapsed,
			    t->events[i - 1].source_elapsed);
	}
	ck_assert(!t->truncated);
	trace_free(t);
	result_free(r);
}
END_TEST

START_TEST(test_fetch_any_host)
{
	struct result	*r;
	struct fetched	 f;

	/* Without the coordinator: any host reads the (shared) rows. */
	r = t_traced("SELECT cluster_name FROM system.local");
	memset(&f, 0, sizeof f);
	trace_fetch(T->c, r->tracing_id, 5000, t_fetched, &f);
	ck_assert(testloop_until(T->base, cond_flag, &f.done, WAIT_MS));
	ck_assert_msg(f.err == CORE_OK, "%s", f.why);
	ck_assert_str_eq(trace_param(f.t, "query"),
	    "SELECT cluster_name FROM system.local");
	trace_free(f.t);
	result_free(r);
}
END_TEST

START_TEST(test_fetch_timeout)
{
	struct result	*r;
	struct fetched	 f;
	uint64_t	 start;

	r = t_traced("SELECT release_version FROM system.local");
	start = conn_now_ms();
	memset(&f, 0, sizeof f);
	trace_fetch(T->c, r->tracing_id, 50, t_fetched, &f);
	ck_assert(testloop_until(T->base, cond_flag, &f.done, WAIT_MS));
	ck_assert_int_eq(f.done, 1);
	ck_assert_int_eq(f.err, CORE_ETIMEOUT);
	ck_assert_ptr_null(f.t);
	ck_assert_str_eq(f.why, "trace not complete after 50 ms");
	ck_assert_uint_ge(f.at_ms - start, 45);
	/* Nothing more arrives later. */
	testloop_until(T->base, NULL, NULL, TRACE_DELAY);
	ck_assert_int_eq(f.done, 1);
	result_free(r);
}
END_TEST

START_TEST(test_fetch_unknown_and_cancel)
{
	struct trace_fetch	*tf;
	struct fetched		 f, g;
	uint8_t			 id[16];

	memset(id, 0x5a, sizeof id);
	memset(&f, 0, sizeof f);
	trace_fetch(T->c, id, 100, t_fetched, &f);
	ck_assert(testloop_until(T->base, cond_flag, &f.done, WAIT_MS));
	ck_assert_int_eq(f.err, CORE_ETIMEOUT);
	ck_assert_str_eq(f.why, "trace not complete after 100 ms");

	memset(&g, 0, sizeof g);
	tf = trace_fetch(T->c, id, 100, t_fetched, &g);
	testloop_until(T->base, NULL, NULL, 10);
	trace_fetch_cancel(tf);
	testloop_until(T->base, NULL, NULL, 150);
	ck_assert_int_eq(g.done, 0);
}
END_TEST

struct late_start {
	struct fetched	 f;
	uint64_t	 start_us;
};

/* Inside a callback, after 30 ms of work: the turn's time is stale. */
static void
t_start_late(evutil_socket_t fd, short events, void *arg)
{
	struct late_start	*ls = arg;
	uint8_t			 id[16];
	uint64_t		 t0 = clock_now_us();

	while (clock_now_us() - t0 < 30000)
		continue;
	memset(id, 0x6b, sizeof id);
	ls->start_us = clock_now_us();
	trace_fetch(T->c, id, 20, t_fetched, &ls->f);
}

/*
 * A fetch started late in a long loop turn still waits its whole time
 * (libevent would count the timer from the turn's start).
 */
START_TEST(test_deadline_not_early)
{
	struct late_start	ls;
	struct timeval		tv = { 0, 0 };

	memset(&ls, 0, sizeof ls);
	ck_assert_int_eq(event_base_once(T->base, -1, EV_TIMEOUT,
	    t_start_late, &ls, &tv), 0);
	ck_assert(testloop_until(T->base, cond_flag, &ls.f.done, WAIT_MS));
	ck_assert_int_eq(ls.f.err, CORE_ETIMEOUT);
	ck_assert_str_eq(ls.f.why, "trace not complete after 20 ms");
	ck_assert_msg(ls.f.at_us - ls.start_us >= 20000, "after %llu us",
	    (unsigned long long)(ls.f.at_us - ls.start_us));
}
END_TEST

/* The deadline ends the fetch; its memory goes a loop turn later. */
START_TEST(test_deadline_defers_free)
{
	struct fetched	f;
	uint8_t		id[16];

	ck_assert_msg(selffree_selftest(T->base), "detector blind");
	selffree_count = 0;
	memset(id, 0x3c, sizeof id);
	memset(&f, 0, sizeof f);
	trace_fetch(T->c, id, 50, t_fetched, &f);
	ck_assert(selffree_until(T->base, cond_flag, &f.done, WAIT_MS));
	ck_assert_int_eq(f.err, CORE_ETIMEOUT);
	/* Let the deferred release run, then nothing freed itself. */
	selffree_until(T->base, NULL, NULL, 20);
	ck_assert_int_eq(f.done, 1);
	ck_assert_int_eq(selffree_count, 0);
}
END_TEST

static Suite *
trace_suite(void)
{
	Suite	*s = suite_create("trace");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fetch_waits);
	tcase_add_test(tc, test_fetch_any_host);
	tcase_add_test(tc, test_fetch_timeout);
	tcase_add_test(tc, test_fetch_unknown_and_cancel);
	tcase_add_test(tc, test_deadline_defers_free);
	tcase_add_test(tc, test_deadline_not_early);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	if (access(mockproc_path(), X_OK) != 0)
		return (77);
	log_open("check_trace", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(trace_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
