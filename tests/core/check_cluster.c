/*
 * check_cluster.c: the cluster object against cqlmock: discovery of hosts
 * (dc, rack, tokens), simple statements, token-aware and DC-aware routing
 * measured by the mock's replica counters, failover while a node is
 * killed and restarted, the control connection moving, nodes added and
 * removed, and schema events from another client.
 * Skipped (77) only when the cqlmock binary is missing.
 */
#include <unistd.h>

#include "clustertest.h"

#include "token.h"
#include "schema.h"

static int
cond_nhosts(void *arg)
{
	size_t	n;

	cluster_hosts(CT->c, &n);
	return (n == (size_t)*(int *)arg);
}

START_TEST(test_connect_discovers)
{
	struct host *const	*hv;
	size_t			 n, i;

	ct_setup(3, NULL);
	ct_connect();
	hv = cluster_hosts(CT->c, &n);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(hv[i]->dc, "datacenter1");
		ck_assert_str_eq(hv[i]->rack, "rack1");
		ck_assert_uint_eq(hv[i]->ntokens, 8);
		ck_assert(hv[i]->has_host_id);
		ck_assert_str_eq(hv[i]->release_version, "4.0.0");
		ck_assert_int_eq(hv[i]->distance, HOST_LOCAL);
		ck_assert(cluster_pool(CT->c, hv[i]) != NULL);
	}
	ck_assert_uint_eq(cluster_version(CT->c), PROTO_V4);
	ck_assert(cluster_is_ready(CT->c));
	ck_assert(cluster_control_host(CT->c) != NULL);
	ck_assert(cluster_token_map(CT->c) != NULL);
	ck_assert_uint_eq(token_map_ring_size(cluster_token_map(CT->c)), 24);
	ck_assert(cluster_schema(CT->c) != NULL);
	ck_assert(schema_keyspace(cluster_schema(CT->c), "system") != NULL);
	ck_assert(schema_table(cluster_schema(CT->c), "system", "peers_v2")
	    != NULL);
	ct_teardown();
}
END_TEST

START_TEST(test_simple_statements)
{
	struct result	*r;
	struct stmt	 s;
	struct bytesval	 v[2];
	uint8_t		 k[4];
	int		 ci;

	ct_setup(3, NULL);
	ct_connect();
	r = ct_query("CREATE KEYSPACE ks WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 1}");
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(r->kind, RES_SCHEMA_CHANGE);
	ck_assert_str_eq(r->schema.change, "CREATED");
	ck_assert_str_eq(r->schema.target, "KEYSPACE");
	ck_assert_str_eq(r->schema.keyspace, "ks");
	ck_assert_int_eq(r->schema.agreement, 1);
	result_free(r);
	ct_ok("CREATE TABLE ks.t (k int PRIMARY KEY, v text)");

	/* values bound by position, serialized */
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("INSERT INTO ks.t (k, v) VALUES (?, ?)");
	ct_put32(k, 42);
	v[0] = bytesval_value(k, 4);
	v[1] = bytesval_value("hello", 5);
	s.values.n = 2;
	s.values.values = v;
	r = ct_run(&s, NULL);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(r->kind, RES_VOID);
	ck_assert_str_ne(r->host_name, "");
	ck_assert_uint_eq(r->executions, 1);
	result_free(r);

	r = ct_query("SELECT k, v FROM ks.t WHERE k = 42");
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(r->kind, RES_ROWS);
	ck_assert_int_eq(r->rows_count, 1);
	ck_assert_uint_eq(r->columns.n, 2);
	ck_assert_str_eq(r->columns.cols[0].name, "k");
	ck_assert_str_eq(r->columns.cols[0].keyspace, "ks");
	ck_assert_str_eq(r->columns.cols[0].table, "t");
	ck_assert_int_eq(r->columns.cols[0].type->kind, CQLTYPE_INT);
	ck_assert_int_eq(r->columns.cols[1].type->kind, CQLTYPE_TEXT);
	ck_assert_int_eq(ct_be32(result_cell(r, 0, 0)), 42);
	ci = result_column_index(r, "v");
	ck_assert_int_eq(ci, 1);
	ck_assert_uint_eq(result_cell(r, 0, 1)->v.n, 5);
	ck_assert(memcmp(result_cell(r, 0, 1)->v.p, "hello", 5) == 0);
	ck_assert_ptr_null(result_cell(r, 1, 0));
	ck_assert_int_eq(r->has_more_pages, 0);
	result_free(r);

	/* a null cell */
	ct_ok("INSERT INTO ks.t (k) VALUES (7)");
	r = ct_query("SELECT v FROM ks.t WHERE k = 7");
	ck_assert_int_eq(r->rows_count, 1);
	ck_assert_int_eq(result_cell(r, 0, 0)->state, BYTES_NULL);
	result_free(r);

	/* server errors are copied with their fields */
	r = ct_query("SELECT * FROM ks.nosuch");
	ck_assert_int_eq(r->error, CORE_ESERVER);
	ck_assert_int_eq(r->server.code, ERR_INVALID);
	ck_assert(r->server.message != NULL && *r->server.message != '\0');
	ck_assert_uint_eq(r->executions, 1);
	result_free(r);
	r = ct_query("CREATE TABLE ks.t (k int PRIMARY KEY)");
	ck_assert_int_eq(r->error, CORE_ESERVER);
	ck_assert_int_eq(r->server.code, ERR_ALREADY_EXISTS);
	ck_assert_str_eq(r->server.keyspace, "ks");
	ck_assert_str_eq(r->server.table, "t");
	result_free(r);

	/* USE is refused: connections are shared */
	r = ct_query("  use ks");
	ck_assert_int_eq(r->error, CORE_EUSAGE);
	result_free(r);

	/* the new keyspace reached the token map and the schema */
	ck_assert(schema_table(cluster_schema(CT->c), "ks", "t") != NULL);
	ck_assert(token_map_keyspace(cluster_token_map(CT->c), "ks") != NULL);
	ck_assert_uint_ge(cluster_metrics(CT->c)->requests, 8);
	ck_assert_uint_ge(cluster_metrics(CT->c)->errors_by_kind[CORE_ESERVER],
	    2);
	ct_teardown();
}
END_TEST

/* Single-partition writes and reads routed by their key. */
static void
route_queries(int n, int with_key)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct result		*r;
	struct bytesval		 v;
	struct slice		 key;
	uint8_t			 k[4];
	int			 i;

	for (i = 0; i < n; i++) {
		stmt_init(&s, STMT_QUERY);
		s.query = slice_cstr(i % 2 == 0 ?
		    "INSERT INTO rk.t (k, v) VALUES (?, 'x')" :
		    "SELECT v FROM rk.t WHERE k = ?");
		ct_put32(k, i);
		v = bytesval_value(k, 4);
		s.values.n = 1;
		s.values.values = &v;
		key.p = k;
		key.n = 4;
		if (with_key) {
			s.routing_key = &key;
			s.nrouting_key = 1;
		}
		request_opts_default(&o);
		o.keyspace = "rk";
		r = ct_run(&s, &o);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		result_free(r);
	}
}

START_TEST(test_token_aware)
{
	char	*ans;
	long	 rep = 0, non = 0;
	int	 i;

	ct_setup(3, NULL);
	ct_connect();
	ct_ok("CREATE KEYSPACE rk WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 1}");
	ct_ok("CREATE TABLE rk.t (k int PRIMARY KEY, v text)");
	free(ct_stats(1));
	route_queries(1000, 1);
	ans = ct_stats(1);
	for (i = 1; i <= 3; i++) {
		rep += ct_stat(ans, i, "replica");
		non += ct_stat(ans, i, "non_replica");
	}
	free(ans);
	ck_assert_int_eq(rep + non, 1000);
	ck_assert_msg(rep >= 990, "only %ld of 1000 on a replica", rep);
	ct_teardown();
}
END_TEST

START_TEST(test_dc_aware)
{
	struct host *const	*hv;
	char			*ans;
	size_t			 n, i;

	ct_setup(4, "dc1:2,dc2:2");
	CT->cfg.local_dc = "dc1";
	ct_connect();
	hv = cluster_hosts(CT->c, &n);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < n; i++) {
		if (strcmp(hv[i]->dc, "dc1") == 0) {
			ck_assert_int_eq(hv[i]->distance, HOST_LOCAL);
			ck_assert(cluster_pool(CT->c, hv[i]) != NULL);
		} else {
			ck_assert_str_eq(hv[i]->dc, "dc2");
			ck_assert_int_eq(hv[i]->distance, HOST_IGNORED);
			ck_assert(cluster_pool(CT->c, hv[i]) == NULL);
		}
	}
	ct_ok("CREATE KEYSPACE rk WITH replication = {'class': "
	    "'NetworkTopologyStrategy', 'dc1': 1, 'dc2': 1}");
	ct_ok("CREATE TABLE rk.t (k int PRIMARY KEY, v text)");
	free(ct_stats(1));
	route_queries(200, 1);
	route_queries(50, 0);
	ans = ct_stats(1);
	ck_assert_int_eq(ct_stat(ans, 3, "QUERY"), 0);
	ck_assert_int_eq(ct_stat(ans, 4, "QUERY"), 0);
	ck_assert_int_eq(ct_stat(ans, 1, "QUERY") + ct_stat(ans, 2, "QUERY") >=
	    250, 1);
	ck_assert_int_eq(ct_stat(ans, 3, "connections"), 0);
	ck_assert_int_eq(ct_stat(ans, 4, "connections"), 0);
	free(ans);
	ct_teardown();
}
END_TEST

/* Idempotent reads keep going while a node dies and comes back. */
struct stream {
	int	 sent, done, failed;
	int	 stop;
	char	 why[256];
};

static struct stream	*S;

static void
stream_send(void);

static void
stream_done(struct result *r, void *arg)
{
	S->done++;
	if (r->error != CORE_OK) {
		S->failed++;
		snprintf(S->why, sizeof S->why, "%s: %s",
		    core_error_name(r->error), r->message);
	}
	result_free(r);
	if (!S->stop)
		stream_send();
}

static void
stream_send(void)
{
	struct stmt		s;
	struct request_opts	o;

	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT release_version FROM system.local");
	request_opts_default(&o);
	o.idempotent = 1;
	S->sent++;
	cluster_execute(CT->c, &s, &o, stream_done, NULL);
}

static int
cond_host_state(void *arg)
{
	struct host	*h = ct_host(2);

	return (h != NULL && h->state == *(enum host_state *)arg);
}

static int
cond_stream_done(void *arg)
{
	return (S->done >= S->sent);
}

static int
cond_node2_traffic(void *arg)
{
	char	*ans = ct_stats(0);
	long	 q = ct_stat(ans, 2, "QUERY");

	free(ans);
	return (q >= *(int *)arg);
}

START_TEST(test_failover)
{
	enum host_state	 down = HOST_DOWN, up = HOST_UP;
	int		 i, twenty = 20;

	ct_setup(3, NULL);
	ct_connect();
	S = xcalloc(1, sizeof *S);
	for (i = 0; i < 8; i++)
		stream_send();
	testloop_until(CT->base, NULL, NULL, 200);
	CT_CONTROL("{\"op\":\"kill\",\"node\":%d}", 2);
	ck_assert_msg(testloop_until(CT->base, cond_host_state, &down, 5000),
	    "node 2 never down");
	testloop_until(CT->base, NULL, NULL, 300);
	ck_assert_msg(S->failed == 0, "%d failed: %s", S->failed, S->why);
	free(ct_stats(1));
	CT_CONTROL("{\"op\":\"start\",\"node\":%d}", 2);
	ck_assert_msg(testloop_until(CT->base, cond_host_state, &up, 5000),
	    "node 2 never up again");
	ck_assert_msg(testloop_until(CT->base, cond_node2_traffic, &twenty,
	    5000), "node 2 gets no traffic");
	S->stop = 1;
	ck_assert(testloop_until(CT->base, cond_stream_done, NULL, 5000));
	ck_assert_msg(S->failed == 0, "%d failed: %s", S->failed, S->why);
	ck_assert_int_gt(S->done, 100);
	ck_assert_uint_ge(cluster_metrics(CT->c)->host_downs, 1);
	ck_assert_uint_ge(cluster_metrics(CT->c)->reconnects, 1);
	free(S);
	S = NULL;
	ct_teardown();
}
END_TEST

static struct host *moved_from;

static int
cond_control_moved(void *arg)
{
	struct host	*h = cluster_control_host(CT->c);

	return (h != NULL && !host_same_addr(h,
	    (struct sockaddr *)&moved_from->addr, moved_from->addrlen));
}

START_TEST(test_control_moves)
{
	struct host	*h;
	char		 name[HOST_NAME_LEN];
	int		 node;

	ct_setup(3, NULL);
	ct_connect();
	h = cluster_control_host(CT->c);
	ck_assert(h != NULL);
	moved_from = host_ref(h);
	snprintf(name, sizeof name, "%s", h->name);
	node = name[8] - '0';	/* "127.0.0.N:port" */
	CT_CONTROL("{\"op\":\"kill\",\"node\":%d}", node);
	ck_assert_msg(testloop_until(CT->base, cond_control_moved, NULL, 5000),
	    "control connection did not move");
	ck_assert_uint_ge(cluster_metrics(CT->c)->control_reconnects, 1);
	/* it still works: a DDL reaches the schema through events */
	ct_ok("CREATE KEYSPACE mv WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 1}");
	ck_assert(schema_keyspace(cluster_schema(CT->c), "mv") != NULL);
	host_unref(moved_from);
	ct_teardown();
}
END_TEST

static int
cond_node_traffic(void *arg)
{
	char	*ans = ct_stats(0);
	long	 q = ct_stat(ans, *(int *)arg, "QUERY");

	free(ans);
	return (q >= 5);
}

static int
cond_host_up4(void *arg)
{
	struct host	*h = ct_host(4);

	return (h != NULL && h->state == HOST_UP);
}

START_TEST(test_add_remove)
{
	int	 four = 4, three = 3, i;
	struct result *r;

	ct_setup(3, NULL);
	ct_connect();
	CT_CONTROL("{\"op\":\"add\"}");
	ck_assert_msg(testloop_until(CT->base, cond_nhosts, &four, 5000),
	    "added node not discovered");
	ck_assert(ct_host(4) != NULL);
	ck_assert_str_eq(ct_host(4)->dc, "datacenter1");
	ck_assert_uint_eq(ct_host(4)->ntokens, 8);
	ck_assert_msg(testloop_until(CT->base, cond_host_up4, NULL, 5000),
	    "added node never up");
	ck_assert_uint_eq(token_map_ring_size(cluster_token_map(CT->c)), 32);
	free(ct_stats(1));
	for (i = 0; i < 40; i++) {
		r = ct_query("SELECT release_version FROM system.local");
		ck_assert_int_eq(r->error, CORE_OK);
		result_free(r);
	}
	ck_assert(cond_node_traffic(&four));
	CT_CONTROL("{\"op\":\"remove\",\"node\":%d}", 4);
	ck_assert_msg(testloop_until(CT->base, cond_nhosts, &three, 5000),
	    "removed node not dropped");
	ck_assert(ct_host(4) == NULL);
	ck_assert_uint_eq(token_map_ring_size(cluster_token_map(CT->c)), 24);
	for (i = 0; i < 20; i++) {
		r = ct_query("SELECT release_version FROM system.local");
		ck_assert_int_eq(r->error, CORE_OK);
		result_free(r);
	}
	ct_teardown();
}
END_TEST

static uint64_t	gen0;

static int
cond_schema_table(void *arg)
{
	return (cluster_schema(CT->c) != NULL &&
	    schema_table(cluster_schema(CT->c), "ev", "t2") != NULL);
}

struct seen {
	int	 n;
	char	 target[32];
};

static void
schema_seen(struct cluster *c, const char *target, const char *ks,
    const char *name, void *arg)
{
	struct seen	*s = arg;

	s->n++;
	snprintf(s->target, sizeof s->target, "%s", target);
}

START_TEST(test_schema_event_from_other_client)
{
	struct cluster	*first;
	struct seen	 seen = { 0, "" };

	ct_setup(3, NULL);
	ct_connect();
	ct_ok("CREATE KEYSPACE ev WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 1}");
	first = CT->c;
	cluster_schema_listener_add(first, schema_seen, &seen);
	gen0 = cluster_schema_generation(first);
	/* a second cluster object makes the change */
	CT->c = NULL;
	CT->ready = 0;
	ct_connect();
	ct_ok("CREATE TABLE ev.t2 (a int, b int, c text, PRIMARY KEY ((a, b)))");
	cluster_free(CT->c);
	CT->c = first;
	ck_assert_msg(testloop_until(CT->base, cond_schema_table, NULL, 5000),
	    "first cluster never saw ev.t2");
	ck_assert_uint_gt(cluster_schema_generation(first), gen0);
	ck_assert_int_ge(seen.n, 1);
	ck_assert_str_eq(seen.target, "TABLE");
	ck_assert_uint_eq(schema_table(cluster_schema(first), "ev", "t2")->
	    npartition_key, 2);
	ct_teardown();
}
END_TEST

/* A node without system.peers_v2 (before 4.0): system.peers is read. */
START_TEST(test_peers_fallback_no_metadata)
{
	const struct ks_meta	*ks;
	size_t			 n;

	ct_setup(3, NULL);
	CT_CONTROL("{\"op\":\"fail\",\"node\":%d,\"error\":\"invalid\","
	    "\"count\":-1,\"match\":\"system.peers_v2\"}", 1);
	CT->cfg.metadata_enabled = 0;
	ct_connect();
	cluster_hosts(CT->c, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(ct_host(3)->ntokens, 8);
	ck_assert_str_eq(ct_host(2)->dc, "datacenter1");
	/* keyspaces only, with their replication, for the token map */
	ct_ok("CREATE KEYSPACE nm WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 2}");
	ct_ok("CREATE TABLE nm.t (k int PRIMARY KEY)");
	ks = schema_keyspace(cluster_schema(CT->c), "nm");
	ck_assert(ks != NULL && ks->repl != NULL);
	ck_assert_uint_eq(ks->ntables, 0);
	ck_assert(token_map_keyspace(cluster_token_map(CT->c), "nm") != NULL);
	ct_teardown();
}
END_TEST

static int closed_n;

static void
closed_cb(struct cluster *c, void *arg)
{
	closed_n++;
}

static int
cond_closed(void *arg)
{
	return (closed_n > 0);
}

START_TEST(test_close_graceful)
{
	struct ct_wait	 w = { NULL, 0 }, w2 = { NULL, 0 };
	struct stmt	 s;

	ct_setup(1, NULL);
	ct_connect();
	ck_assert_int_eq(mockproc_control(&CT->mock, NULL, 0,
	    "{\"op\":\"delay\",\"node\":1,\"ms\":200}"), 0);
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT release_version FROM system.local");
	cluster_execute(CT->c, &s, NULL, ct_done, &w);
	cluster_close(CT->c, closed_cb, NULL);
	cluster_execute(CT->c, &s, NULL, ct_done, &w2);
	ck_assert(testloop_until(CT->base, cond_closed, NULL, 5000));
	ck_assert_int_eq(w.done, 1);
	ck_assert_int_eq(w.r->error, CORE_OK);
	ck_assert_int_eq(w2.done, 1);
	ck_assert_int_eq(w2.r->error, CORE_ESHUTDOWN);
	result_free(w.r);
	result_free(w2.r);
	ct_teardown();
}
END_TEST

START_TEST(test_no_contact_point)
{
	const char	*why;

	ct_setup(1, NULL);
	CT->cp[0] = "127.0.0.9";
	CT->c = cluster_new(CT->base, &CT->cfg, &why);
	ck_assert(CT->c != NULL);
	cluster_connect(CT->c, ct_ready, NULL);
	ck_assert(testloop_until(CT->base, ct_cond_ready, NULL, 10000));
	ck_assert_int_eq(CT->ready_err, CORE_ENOHOSTS);
	ct_teardown();
}
END_TEST

static int
cond_is_ready(void *arg)
{
	return (cluster_is_ready(CT->c));
}

/* No contact point up at first: the cluster keeps trying and gets there. */
START_TEST(test_connect_later)
{
	const char	*why;

	ct_setup(1, NULL);
	CT_CONTROL("{\"op\":\"stop\",\"node\":%d}", 1);
	CT->c = cluster_new(CT->base, &CT->cfg, &why);
	ck_assert(CT->c != NULL);
	cluster_connect(CT->c, ct_ready, NULL);
	ck_assert(testloop_until(CT->base, ct_cond_ready, NULL, 10000));
	ck_assert_int_eq(CT->ready_err, CORE_ENOHOSTS);
	ck_assert(!cluster_is_ready(CT->c));
	testloop_until(CT->base, NULL, NULL, 300);
	CT_CONTROL("{\"op\":\"start\",\"node\":%d}", 1);
	ck_assert_msg(testloop_until(CT->base, cond_is_ready, NULL, 10000),
	    "never connected after the node started");
	ct_ok("SELECT key FROM system.local");
	ct_teardown();
}
END_TEST

static Suite *
cluster_suite(void)
{
	Suite	*s = suite_create("cluster");
	TCase	*tc = tcase_create("mock");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_connect_discovers);
	tcase_add_test(tc, test_simple_statements);
	tcase_add_test(tc, test_token_aware);
	tcase_add_test(tc, test_dc_aware);
	tcase_add_test(tc, test_failover);
	tcase_add_test(tc, test_control_moves);
	tcase_add_test(tc, test_add_remove);
	tcase_add_test(tc, test_schema_event_from_other_client);
	tcase_add_test(tc, test_peers_fallback_no_metadata);
	tcase_add_test(tc, test_close_graceful);
	tcase_add_test(tc, test_no_contact_point);
	tcase_add_test(tc, test_connect_later);
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
	log_open("check_cluster", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(cluster_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
