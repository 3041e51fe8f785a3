/*
 * check_reconfigure.c: cluster_reconfigure against cqlmock: a host denied
 * at run time gets no more traffic (the mock's counters say so) while a
 * request already on it still finishes, and gets traffic again once
 * allowed; local_dc moves the pools to the other DC; the speculative delay,
 * heartbeats and pool sizes follow a change at once; an invalid
 * configuration is refused and changes nothing.
 * Skipped (77) only when the cqlmock binary is missing.
 */
#include <unistd.h>

#include "clustertest.h"

/* Run n simple queries (no routing key: round robin over every host). */
static void
rc_queries(int n)
{
	int	i;

	for (i = 0; i < n; i++)
		ct_ok("SELECT release_version FROM system.local");
}

/* A copy of the running configuration, to change and apply. */
static struct cluster_config
rc_config(void)
{
	return (*cluster_get_config(CT->c));
}

static void
rc_apply(const struct cluster_config *cfg)
{
	char	*why = NULL;

	ck_assert_msg(cluster_reconfigure(CT->c, cfg, &why) == 0,
	    "cluster_reconfigure: %s", why);
	ck_assert_ptr_null(why);
}

static int
cond_pool_up(void *arg)
{
	struct pool	*p = cluster_pool(CT->c, arg);

	return (p != NULL && pool_is_up(p));
}

struct rc_pool_size {
	struct host	*h;
	int		 n;
};

static int
cond_pool_size(void *arg)
{
	struct rc_pool_size	*w = arg;
	struct pool		*p = cluster_pool(CT->c, w->h);

	return (p != NULL && pool_size(p) == w->n && pool_opening(p) == 0);
}

/* Connections open to a node now, from the mock's "nodes" answer. */
static long
rc_connections(int node)
{
	char		*ans = xmalloc(65536), pat[32];
	const char	*p;
	long		 n = -1;

	ck_assert_int_eq(mockproc_control(&CT->mock, ans, 65536,
	    "{\"op\":\"nodes\"}"), 0);
	snprintf(pat, sizeof pat, "\"node\":%d,", node);
	if ((p = strstr(ans, pat)) != NULL &&
	    (p = strstr(p, "\"connections\":")) != NULL)
		n = strtol(p + strlen("\"connections\":"), NULL, 10);
	free(ans);
	return (n);
}

static int
cond_no_connections(void *arg)
{
	return (rc_connections(*(int *)arg) == 0);
}

static int
cond_done(void *arg)
{
	return (((struct ct_wait *)arg)->done > 0);
}

START_TEST(test_deny_and_allow)
{
	struct cluster_config	 cfg;
	struct request_opts	 o;
	struct stmt		 s;
	struct ct_wait		 w = { NULL, 0 };
	struct host		*h2;
	char			*ans;
	int			 i;

	ct_setup(3, NULL);
	ct_connect();
	h2 = ct_host(2);
	ck_assert_ptr_nonnull(h2);
	ck_assert(testloop_until(CT->base, cond_pool_up, h2, 5000));
	free(ct_stats(1));
	rc_queries(30);
	ans = ct_stats(1);
	for (i = 1; i <= 3; i++)
		ck_assert_int_gt(ct_stat(ans, i, "QUERY"), 0);
	free(ans);

	/* A slow request on node 2, in flight across the change. */
	CT_CONTROL("{\"op\":\"delay\",\"node\":2,\"ms\":300}");
	request_opts_default(&o);
	o.host = h2;
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT release_version FROM system.local");
	cluster_execute(CT->c, &s, &o, ct_done, &w);
	testloop_until(CT->base, NULL, NULL, 50);
	ck_assert_int_eq(w.done, 0);

	cfg = rc_config();
	cfg.lb.deny_hosts = "127.0.0.2";
	rc_apply(&cfg);
	ck_assert_int_eq(h2->distance, HOST_IGNORED);
	ck_assert_ptr_null(cluster_pool(CT->c, h2));
	ck_assert_str_eq(cluster_get_config(CT->c)->lb.deny_hosts,
	    "127.0.0.2");
	/* The request already sent is answered, not cut. */
	ck_assert(testloop_until(CT->base, cond_done, &w, 5000));
	ck_assert_msg(w.r->error == CORE_OK, "%s", w.r->message);
	result_free(w.r);
	CT_CONTROL("{\"op\":\"clear\"}");
	testloop_until(CT->base, NULL, NULL, 50);

	free(ct_stats(1));
	rc_queries(30);
	ans = ct_stats(1);
	ck_assert_int_eq(ct_stat(ans, 2, "QUERY"), 0);
	ck_assert_int_eq(ct_stat(ans, 1, "QUERY") + ct_stat(ans, 3, "QUERY"),
	    30);
	free(ans);
	/* Its pool closed once the slow request was answered. */
	i = 2;
	ck_assert(testloop_until(CT->base, cond_no_connections, &i, 5000));

	/* Allowed back: a pool again, and traffic. */
	cfg = rc_config();
	cfg.lb.deny_hosts = NULL;
	rc_apply(&cfg);
	ck_assert_int_eq(h2->distance, HOST_LOCAL);
	ck_assert(testloop_until(CT->base, cond_pool_up, h2, 5000));
	ck_assert_int_gt(rc_connections(2), 0);
	free(ct_stats(1));
	rc_queries(30);
	ans = ct_stats(1);
	ck_assert_int_gt(ct_stat(ans, 2, "QUERY"), 0);
	free(ans);

	/* An allow list works the same way. */
	cfg = rc_config();
	cfg.lb.allow_hosts = "127.0.0.3";
	rc_apply(&cfg);
	free(ct_stats(1));
	rc_queries(10);
	ans = ct_stats(1);
	ck_assert_int_eq(ct_stat(ans, 3, "QUERY"), 10);
	free(ans);
	ct_teardown();
}
END_TEST

/* local_dc at run time: the pools move to the other DC. */
START_TEST(test_local_dc)
{
	struct cluster_config	 cfg;
	struct host		*h[5];
	char			*ans;
	int			 i;

	ct_setup(4, "dc1:2,dc2:2");
	ct_connect();
	for (i = 1; i <= 4; i++)
		h[i] = ct_host(i);
	ck_assert_int_eq(h[1]->distance, HOST_LOCAL);
	ck_assert_int_eq(h[3]->distance, HOST_IGNORED);

	cfg = rc_config();
	cfg.local_dc = "dc2";
	rc_apply(&cfg);
	ck_assert_int_eq(h[1]->distance, HOST_IGNORED);
	ck_assert_int_eq(h[2]->distance, HOST_IGNORED);
	ck_assert_int_eq(h[3]->distance, HOST_LOCAL);
	ck_assert_int_eq(h[4]->distance, HOST_LOCAL);
	ck_assert(testloop_until(CT->base, cond_pool_up, h[3], 5000));
	ck_assert(testloop_until(CT->base, cond_pool_up, h[4], 5000));
	free(ct_stats(1));
	rc_queries(20);
	ans = ct_stats(1);
	ck_assert_int_eq(ct_stat(ans, 1, "QUERY") + ct_stat(ans, 2, "QUERY"),
	    0);
	ck_assert_int_eq(ct_stat(ans, 3, "QUERY") + ct_stat(ans, 4, "QUERY"),
	    20);
	free(ans);

	/* Back to learning it: the control host's DC (dc1) again. */
	cfg = rc_config();
	cfg.local_dc = NULL;
	cfg.lb.local_dc = NULL;
	rc_apply(&cfg);
	ck_assert_int_eq(h[1]->distance, HOST_LOCAL);
	ck_assert_int_eq(h[3]->distance, HOST_IGNORED);
	ck_assert(testloop_until(CT->base, cond_pool_up, h[1], 5000));

	/* A remote host to fail over to: pools of the remote kind. */
	cfg = rc_config();
	cfg.lb.used_hosts_per_remote_dc = 1;
	rc_apply(&cfg);
	ck_assert_int_eq(h[3]->distance, HOST_REMOTE);
	ck_assert_int_eq(h[4]->distance, HOST_IGNORED);
	ck_assert(testloop_until(CT->base, cond_pool_up, h[3], 5000));
	ct_teardown();
}
END_TEST

/* A speculative execution starts after the new delay, not the old one. */
START_TEST(test_speculative_delay)
{
	struct cluster_config	 cfg;
	struct request_opts	 o;
	struct result		*r;
	int			 i;

	ct_setup(2, NULL);
	CT->cfg.speculative.delay_ms = 20000;
	CT->cfg.speculative.max_attempts = 1;
	ct_connect();
	ck_assert(testloop_until(CT->base, cond_pool_up, ct_host(2), 5000));
	for (i = 1; i <= 2; i++)
		CT_CONTROL("{\"op\":\"delay\",\"node\":%d,\"ms\":400,"
		    "\"match\":\"spec_probe\"}", i);
	request_opts_default(&o);
	o.idempotent = 1;

	r = ct_query_opts("SELECT release_version AS spec_probe FROM "
	    "system.local", &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->speculative, 0);
	result_free(r);

	cfg = rc_config();
	cfg.speculative.delay_ms = 50;
	rc_apply(&cfg);
	r = ct_query_opts("SELECT release_version AS spec_probe FROM "
	    "system.local", &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->speculative, 1);
	ck_assert_uint_eq(r->executions, 2);
	result_free(r);
	ck_assert_uint_ge(cluster_metrics(CT->c)->speculative, 1);

	/* And off again. */
	cfg = rc_config();
	cfg.speculative.max_attempts = 0;
	rc_apply(&cfg);
	r = ct_query_opts("SELECT release_version AS spec_probe FROM "
	    "system.local", &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->speculative, 0);
	result_free(r);
	ct_teardown();
}
END_TEST

static long
rc_options(void)
{
	char	*ans = ct_stats(0);
	long	 n = ct_stat(ans, 1, "OPTIONS");

	free(ans);
	return (n);
}

static int
cond_heartbeats(void *arg)
{
	return (rc_options() >= *(long *)arg);
}

/* Heartbeats start, and stop, on connections already open. */
START_TEST(test_heartbeat)
{
	struct cluster_config	 cfg;
	long			 base, want, after;

	ct_setup(1, NULL);
	ct_connect();
	testloop_until(CT->base, NULL, NULL, 300);
	base = rc_options();
	/* Heartbeats are off: nothing is sent while idle. */
	testloop_until(CT->base, NULL, NULL, 300);
	ck_assert_int_eq(rc_options(), base);

	cfg = rc_config();
	cfg.pool.conn.heartbeat_interval_ms = 50;
	cfg.pool.conn.heartbeat_timeout_ms = 2000;
	rc_apply(&cfg);
	/* The pool's and the control connection's, a few times each. */
	want = base + 6;
	ck_assert_msg(testloop_until(CT->base, cond_heartbeats, &want, 5000),
	    "no heartbeats on open connections");

	cfg = rc_config();
	cfg.pool.conn.heartbeat_interval_ms = 0;
	rc_apply(&cfg);
	testloop_until(CT->base, NULL, NULL, 100);
	after = rc_options();
	testloop_until(CT->base, NULL, NULL, 400);
	ck_assert_int_eq(rc_options(), after);
	ct_teardown();
}
END_TEST

/* Pools grow to a larger core at once and shrink to a lower maximum. */
START_TEST(test_pool_sizes)
{
	struct cluster_config	 cfg;
	struct rc_pool_size	 w;

	ct_setup(1, NULL);
	ct_connect();
	w.h = ct_host(1);
	w.n = 1;
	ck_assert(testloop_until(CT->base, cond_pool_size, &w, 5000));

	cfg = rc_config();
	cfg.pool.core_local = 3;
	cfg.pool.max_local = 4;
	rc_apply(&cfg);
	w.n = 3;
	ck_assert_msg(testloop_until(CT->base, cond_pool_size, &w, 5000),
	    "pool did not grow");
	rc_queries(5);

	cfg = rc_config();
	cfg.pool.core_local = 1;
	cfg.pool.max_local = 1;
	rc_apply(&cfg);
	ck_assert_int_eq(pool_size(cluster_pool(CT->c, w.h)), 1);
	rc_queries(5);
	ct_teardown();
}
END_TEST

/* A bad configuration changes nothing and says why. */
START_TEST(test_invalid)
{
	struct cluster_config	 cfg;
	char			*why = NULL;

	ct_setup(1, NULL);
	ct_connect();
	cfg = rc_config();
	cfg.speculative.max_attempts = SPEC_MAX_ATTEMPTS + 1;
	cfg.request_timeout_ms = 1;
	ck_assert_int_eq(cluster_reconfigure(CT->c, &cfg, &why), -1);
	ck_assert_ptr_nonnull(why);
	free(why);
	ck_assert_int_eq(cluster_get_config(CT->c)->request_timeout_ms, 5000);

	cfg = rc_config();
	cfg.lb.deny_hosts = "not-an-address";
	cfg.request_timeout_ms = 1;
	why = NULL;
	ck_assert_int_eq(cluster_reconfigure(CT->c, &cfg, &why), -1);
	ck_assert_msg(why != NULL && strstr(why, "deny_hosts") != NULL,
	    "%s", why);
	free(why);
	ck_assert_ptr_null(cluster_get_config(CT->c)->lb.deny_hosts);
	ck_assert_int_eq(cluster_get_config(CT->c)->request_timeout_ms, 5000);

	cfg = rc_config();
	cfg.pool.reconnect.base_ms = 0;
	ck_assert_int_eq(cluster_reconfigure(CT->c, &cfg, NULL), -1);

	/* Still working, and a good change takes. */
	cfg = rc_config();
	cfg.request_timeout_ms = 3000;
	cfg.page_size = 7;
	rc_apply(&cfg);
	ck_assert_int_eq(cluster_get_config(CT->c)->request_timeout_ms, 3000);
	ck_assert_int_eq(cluster_get_config(CT->c)->page_size, 7);
	rc_queries(3);
	ct_teardown();
}
END_TEST

static Suite *
reconfigure_suite(void)
{
	Suite	*s = suite_create("reconfigure");
	TCase	*tc = tcase_create("mock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_deny_and_allow);
	tcase_add_test(tc, test_local_dc);
	tcase_add_test(tc, test_speculative_delay);
	tcase_add_test(tc, test_heartbeat);
	tcase_add_test(tc, test_pool_sizes);
	tcase_add_test(tc, test_invalid);
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
	log_open("check_reconfigure", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(reconfigure_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
