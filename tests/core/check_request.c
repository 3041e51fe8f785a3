/*
 * check_request.c: requests against cqlmock: each retry decision of the
 * default policy against injected errors (with the attempts counted),
 * speculative executions under an injected delay, the request timeout,
 * paging, PREPARE/EXECUTE with routing from the partition key indexes
 * and re-preparing after UNPREPARED, BATCH, requests pinned to one host,
 * cancellation, "no host available", and a start given by the caller.
 * Skipped (77) only when the cqlmock binary is missing.
 */
#include <unistd.h>

#include "clustertest.h"

#include "clock.h"
#include "policy.h"

static void
setup3(void)
{
	ct_setup(3, NULL);
}

static void
setup3_connect(void)
{
	ct_setup(3, NULL);
	ct_connect();
	ct_ok("CREATE KEYSPACE ks WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 1}");
	ct_ok("CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c))");
}

/* Inject error E on every node for statements containing match. */
static void
fail_all(const char *e, const char *match, const char *extra)
{
	int	i;

	for (i = 1; i <= 3; i++)
		CT_CONTROL("{\"op\":\"fail\",\"node\":%d,\"error\":\"%s\","
		    "\"count\":-1,\"match\":\"%s\"%s}", i, e, match,
		    extra != NULL ? extra : "");
}

static struct result *
run_marked(const char *q, int idempotent)
{
	struct request_opts	o;

	request_opts_default(&o);
	o.idempotent = idempotent;
	return (ct_query_opts(q, &o));
}

struct retry_case {
	const char	*error;
	const char	*extra;
	int		 idempotent;
	enum core_error	 result;
	int32_t		 code;		/* when CORE_ESERVER */
	unsigned int	 executions;
	unsigned int	 retries;
};

/*
 * The default policy: unavailable once on the next host; a read timeout
 * without enough replicas, a SIMPLE write timeout: rethrown; a BATCH_LOG
 * write timeout once on the same host; overloaded / server error on the
 * next host when idempotent (3 hosts: the plan runs out), rethrown when
 * not; is_bootstrapping always on the next host.
 */
static const struct retry_case cases[] = {
	{ "unavailable", NULL, 0, CORE_ESERVER, ERR_UNAVAILABLE, 2, 1 },
	{ "read_timeout", NULL, 1, CORE_ESERVER, ERR_READ_TIMEOUT, 1, 0 },
	{ "write_timeout", NULL, 1, CORE_ESERVER, ERR_WRITE_TIMEOUT, 1, 0 },
	{ "write_timeout", ",\"write_type\":\"BATCH_LOG\"", 0, CORE_ESERVER,
	    ERR_WRITE_TIMEOUT, 2, 1 },
	{ "overloaded", NULL, 1, CORE_ENOHOSTS, 0, 3, 3 },
	{ "overloaded", NULL, 0, CORE_ESERVER, ERR_OVERLOADED, 1, 0 },
	{ "is_bootstrapping", NULL, 0, CORE_ENOHOSTS, 0, 3, 3 },
	{ "server_error", NULL, 1, CORE_ENOHOSTS, 0, 3, 3 },
	{ "server_error", NULL, 0, CORE_ESERVER, ERR_SERVER, 1, 0 },
	{ "syntax_error", NULL, 1, CORE_ESERVER, ERR_SYNTAX, 1, 0 },
};

START_TEST(test_retry_decisions)
{
	const struct retry_case	*rc = &cases[_i];
	struct result		*r;
	uint64_t		 retries0;

	ct_connect();
	fail_all(rc->error, "marker_retry", rc->extra);
	retries0 = cluster_metrics(CT->c)->retries;
	r = run_marked("SELECT release_version FROM system.local WHERE "
	    "key = 'marker_retry'", rc->idempotent);
	ck_assert_msg(r->error == rc->result, "%s: got %s (%s)", rc->error,
	    core_error_name(r->error), r->message);
	if (rc->result == CORE_ESERVER)
		ck_assert_int_eq(r->server.code, rc->code);
	ck_assert_uint_eq(r->executions, rc->executions);
	ck_assert_uint_eq(r->retries, rc->retries);
	ck_assert_uint_eq(r->nattempts, rc->executions);
	ck_assert_uint_eq(cluster_metrics(CT->c)->retries - retries0,
	    rc->retries);
	if (rc->result == CORE_ENOHOSTS)
		ck_assert(strstr(r->message, "127.0.0.") != NULL);
	result_free(r);
	/* the error fields are the coordinator's */
	if (rc->code == ERR_UNAVAILABLE) {
		r = run_marked("SELECT release_version FROM system.local "
		    "WHERE key = 'marker_retry'", 0);
		ck_assert_int_eq(r->server.consistency, CL_LOCAL_ONE);
		ck_assert_int_eq(r->server.required, 1);
		ck_assert_int_eq(r->server.alive, 0);
		result_free(r);
	}
	ct_teardown();
}
END_TEST

/* Bootstrapping on two nodes: the third answers, after retries. */
START_TEST(test_retry_then_success)
{
	struct result	*r;
	int		 i;

	for (i = 1; i <= 2; i++)
		CT_CONTROL("{\"op\":\"fail\",\"node\":%d,\"error\":"
		    "\"is_bootstrapping\",\"count\":-1,\"match\":\"boot\"}", i);
	for (i = 0; i < 10; i++) {
		r = run_marked("SELECT key FROM system.local WHERE key = "
		    "'boot'", 0);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		ck_assert(strncmp(r->host_name, "127.0.0.3:", 10) == 0);
		ck_assert_uint_eq(r->retries, r->executions - 1);
		ck_assert_uint_eq(r->nattempts, r->executions - 1);
		ck_assert_ptr_null(r->message);
		result_free(r);
	}
	ct_teardown();
}
END_TEST

/* The downgrading policy retries an unavailable at what is alive. */
START_TEST(test_retry_downgrading)
{
	struct request_opts	 o;
	struct result		*r;
	int			 i;

	for (i = 1; i <= 3; i++)
		CT_CONTROL("{\"op\":\"fail\",\"node\":%d,\"error\":"
		    "\"unavailable\",\"count\":1,\"match\":\"dg\"}", i);
	request_opts_default(&o);
	o.consistency = CL_QUORUM;
	o.retry_policy = RETRY_POLICY_DOWNGRADING;
	r = ct_query_opts("SELECT key FROM system.local WHERE key = 'dg'",
	    &o);
	/* required 2 (rf 3), alive 1: retried at ONE on the same host */
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->retries, 1);
	ck_assert_uint_eq(r->executions, 2);
	ck_assert_int_eq(r->consistency, CL_ONE);
	result_free(r);
	ct_teardown();
}
END_TEST

static void
delay_all(int ms, const char *match)
{
	int	i;

	for (i = 1; i <= 3; i++)
		CT_CONTROL("{\"op\":\"delay\",\"node\":%d,\"ms\":%d,"
		    "\"match\":\"%s\"}", i, ms, match);
}

START_TEST(test_speculative)
{
	struct result	*r;
	char		*ans;
	long		 n = 0;
	int		 i;

	CT->cfg.speculative.delay_ms = 50;
	CT->cfg.speculative.max_attempts = 2;
	ct_connect();
	delay_all(400, "spec_marker");
	free(ct_stats(1));
	r = run_marked("SELECT key FROM system.local WHERE key = "
	    "'spec_marker'", 1);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->speculative, 2);
	ck_assert_uint_eq(r->executions, 3);
	ck_assert_uint_eq(cluster_metrics(CT->c)->speculative, 2);
	result_free(r);
	ans = ct_stats(1);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(ct_stat(ans, i, "QUERY"), 1);
		n += ct_stat(ans, i, "QUERY");
	}
	free(ans);
	ck_assert_int_eq(n, 3);
	/* not idempotent: never speculated */
	r = run_marked("SELECT key FROM system.local WHERE key = "
	    "'spec_marker'", 0);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->speculative, 0);
	ck_assert_uint_eq(r->executions, 1);
	result_free(r);
	ck_assert_uint_eq(cluster_metrics(CT->c)->speculative, 2);
	/* fast answers: no speculation either */
	r = run_marked("SELECT key FROM system.local", 1);
	ck_assert_uint_eq(r->speculative, 0);
	result_free(r);
	ct_teardown();
}
END_TEST

START_TEST(test_timeout)
{
	struct request_opts	 o;
	struct result		*r;
	uint64_t		 t0;

	ct_connect();
	delay_all(1000, "slow_marker");
	request_opts_default(&o);
	o.timeout_ms = 150;
	t0 = conn_now_ms();
	r = ct_query_opts("SELECT key FROM system.local WHERE key = "
	    "'slow_marker'", &o);
	ck_assert_int_eq(r->error, CORE_ETIMEOUT);
	ck_assert_uint_ge(conn_now_ms() - t0, 140);
	ck_assert_uint_eq(cluster_metrics(CT->c)->client_timeouts, 1);
	result_free(r);
	/* the connection still works and the late answer is dropped */
	r = ct_query("SELECT key FROM system.local");
	ck_assert_int_eq(r->error, CORE_OK);
	result_free(r);
	ct_teardown();
}
END_TEST

/*
 * A start reading given in the options: the latency counts from it, a
 * timeout never comes before start + timeout, and done_us is the reading
 * the latency ends at.
 */
START_TEST(test_start_given)
{
	struct request_opts	 o;
	struct result		*r;
	uint64_t		 t0, start;

	ct_connect();
	request_opts_default(&o);
	o.start_us = start = clock_now_us() - 5000;
	r = ct_query_opts("SELECT key FROM system.local", &o);
	ck_assert_int_eq(r->error, CORE_OK);
	ck_assert_uint_ge(r->latency_us, 5000);
	ck_assert_uint_eq(r->done_us - r->latency_us, start);
	ck_assert_uint_le(r->done_us, clock_now_us());
	result_free(r);

	delay_all(1000, "slow_marker");
	request_opts_default(&o);
	o.timeout_ms = 150;
	t0 = conn_now_ms();
	o.start_us = start = clock_now_us() - 5000;
	r = ct_query_opts("SELECT key FROM system.local WHERE key = "
	    "'slow_marker'", &o);
	ck_assert_int_eq(r->error, CORE_ETIMEOUT);
	ck_assert_uint_ge(r->latency_us, 150000);
	ck_assert_uint_eq(r->done_us - r->latency_us, start);
	ck_assert_uint_ge(conn_now_ms() - t0, 140);
	result_free(r);
	ct_teardown();
}
END_TEST

START_TEST(test_paging)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct result		*r;
	struct bytesval		 v[2];
	uint8_t			 k[4], c[4];
	int			 i, pages = 0, rows = 0, last = -1;
	uint8_t			*state = NULL;
	size_t			 statelen = 0;

	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES (?, ?, 'x')");
	ct_put32(k, 1);
	for (i = 0; i < 1000; i++) {
		ct_put32(c, i);
		v[0] = bytesval_value(k, 4);
		v[1] = bytesval_value(c, 4);
		s.values.n = 2;
		s.values.values = v;
		r = ct_run(&s, NULL);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		result_free(r);
	}
	for (;;) {
		request_opts_default(&o);
		o.page_size = 100;
		o.paging_state.p = state;
		o.paging_state.n = statelen;
		r = ct_query_opts("SELECT c FROM ks.t WHERE k = 1", &o);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		ck_assert_int_le(r->rows_count, 100);
		for (i = 0; i < r->rows_count; i++) {
			ck_assert_int_eq(ct_be32(result_cell(r, i, 0)),
			    last + 1);
			last++;
		}
		rows += r->rows_count;
		pages++;
		free(state);
		state = NULL;
		statelen = 0;
		if (!r->has_more_pages) {
			result_free(r);
			break;
		}
		ck_assert(r->paging_state != NULL);
		state = xmemdup(r->paging_state, r->paging_state_len);
		statelen = r->paging_state_len;
		result_free(r);
		ck_assert_int_le(pages, 20);
	}
	ck_assert_int_eq(rows, 1000);
	ck_assert_int_ge(pages, 10);
	ck_assert_int_le(pages, 11);
	ct_teardown();
}
END_TEST

struct hook {
	int		 calls;
	struct cluster	*c;
};

START_TEST(test_prepare_execute)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct result		*r, *p;
	struct bytesval		 v[3];
	uint8_t			 k[4], c[4];
	char			*ans;
	struct host *const	*hv;
	size_t			 n, i;
	long			 rep = 0, non = 0;
	int			 j;

	/* prepare on every host, as prepared.c will */
	hv = cluster_hosts(CT->c, &n);
	p = NULL;
	for (i = 0; i < n; i++) {
		stmt_init(&s, STMT_PREPARE);
		s.query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES "
		    "(?, ?, ?)");
		request_opts_default(&o);
		o.host = hv[i];
		r = ct_run(&s, &o);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		ck_assert_int_eq(r->kind, RES_PREPARED);
		ck_assert_str_eq(r->host_name, hv[i]->name);
		ck_assert_uint_eq(r->prepared.idlen, 16);
		ck_assert_uint_eq(r->prepared.bind.n, 3);
		ck_assert_str_eq(r->prepared.bind.cols[0].name, "k");
		ck_assert_uint_eq(r->prepared.pk_count, 1);
		ck_assert_int_eq(r->prepared.pk_index[0], 0);
		if (p == NULL)
			p = r;
		else {
			ck_assert(memcmp(p->prepared.id, r->prepared.id, 16)
			    == 0);
			result_free(r);
		}
	}
	free(ct_stats(1));
	for (j = 0; j < 300; j++) {
		stmt_init(&s, STMT_EXECUTE);
		s.id.p = p->prepared.id;
		s.id.n = p->prepared.idlen;
		s.pk_index = p->prepared.pk_index;
		s.pk_count = p->prepared.pk_count;
		ct_put32(k, j);
		ct_put32(c, 0);
		v[0] = bytesval_value(k, 4);
		v[1] = bytesval_value(c, 4);
		v[2] = bytesval_value("p", 1);
		s.values.n = 3;
		s.values.values = v;
		request_opts_default(&o);
		o.keyspace = "ks";
		r = ct_run(&s, &o);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		result_free(r);
	}
	ans = ct_stats(1);
	for (j = 1; j <= 3; j++) {
		rep += ct_stat(ans, j, "replica");
		non += ct_stat(ans, j, "non_replica");
		ck_assert_int_ge(ct_stat(ans, j, "EXECUTE"), 1);
	}
	free(ans);
	ck_assert_int_eq(rep + non, 300);
	ck_assert_msg(rep >= 297, "only %ld of 300 on a replica", rep);

	/* every node forgets: the core re-prepares from the text */
	for (j = 1; j <= 3; j++)
		CT_CONTROL("{\"op\":\"forget\",\"node\":%d}", j);
	stmt_init(&s, STMT_EXECUTE);
	s.id.p = p->prepared.id;
	s.id.n = p->prepared.idlen;
	s.query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?)");
	s.values.n = 3;
	s.values.values = v;
	r = ct_run(&s, NULL);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_uint_eq(r->executions, 2);
	ck_assert_uint_eq(r->retries, 0);
	ck_assert_uint_eq(cluster_metrics(CT->c)->unprepared, 1);
	result_free(r);
	/* without the text (and no hook) the UNPREPARED error is returned */
	for (j = 1; j <= 3; j++)
		CT_CONTROL("{\"op\":\"forget\",\"node\":%d}", j);
	s.query.p = NULL;
	s.query.n = 0;
	r = ct_run(&s, NULL);
	ck_assert_int_eq(r->error, CORE_ESERVER);
	ck_assert_int_eq(r->server.code, ERR_UNPREPARED);
	ck_assert_uint_eq(r->server.idlen, 16);
	result_free(r);
	result_free(p);
	ct_teardown();
}
END_TEST

/*
 * Re-preparing is allowed once per host, not once per request: after the
 * replica re-prepared and then failed with a retryable error, the next
 * host that forgot the statement too is re-prepared as well.
 */
START_TEST(test_unprepared_after_failover)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct result		*r, *p;
	struct bytesval		 v[3];
	uint8_t			 k[4], c[4];
	struct host *const	*hv;
	char			*replica;
	size_t			 n, i;
	int			 j, node;

	hv = cluster_hosts(CT->c, &n);
	p = NULL;
	for (i = 0; i < n; i++) {
		stmt_init(&s, STMT_PREPARE);
		s.query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES "
		    "(?, ?, ?)");
		request_opts_default(&o);
		o.host = hv[i];
		r = ct_run(&s, &o);
		ck_assert_msg(r->error == CORE_OK, "%s", r->message);
		if (p == NULL)
			p = r;
		else
			result_free(r);
	}
	stmt_init(&s, STMT_EXECUTE);
	s.id.p = p->prepared.id;
	s.id.n = p->prepared.idlen;
	s.pk_index = p->prepared.pk_index;
	s.pk_count = p->prepared.pk_count;
	s.query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?)");
	ct_put32(k, 7);
	ct_put32(c, 0);
	v[0] = bytesval_value(k, 4);
	v[1] = bytesval_value(c, 4);
	v[2] = bytesval_value("f", 1);
	s.values.n = 3;
	s.values.values = v;
	request_opts_default(&o);
	o.keyspace = "ks";
	o.idempotent = 1;
	/* the replica (rf 1) comes first in the plan */
	r = ct_run(&s, &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(sscanf(r->host_name, "127.0.0.%d", &node), 1);
	replica = xstrdup(r->host_name);
	result_free(r);

	/* every node forgets; the replica, once re-prepared, is overloaded */
	for (j = 1; j <= 3; j++)
		CT_CONTROL("{\"op\":\"forget\",\"node\":%d}", j);
	CT_CONTROL("{\"op\":\"fail\",\"node\":%d,\"error\":\"overloaded\","
	    "\"count\":1,\"match\":\"INSERT INTO ks.t\"}", node);
	r = ct_run(&s, &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_str_ne(r->host_name, replica);
	ck_assert_uint_eq(r->retries, 1);
	ck_assert_uint_eq(cluster_metrics(CT->c)->unprepared, 2);
	result_free(r);
	free(replica);
	result_free(p);
	ct_teardown();
}
END_TEST

/* The hook prepared.c installs: prepare through the core, on that host. */
struct hook_job {
	cluster_reprepared_cb	 done;
	void			*done_arg;
};

static int hook_calls;

static void
hook_prepared(struct result *r, void *arg)
{
	struct hook_job	*j = arg;

	j->done(j->done_arg, r->error == CORE_OK);
	result_free(r);
	free(j);
}

static int
hook_fn(struct cluster *c, struct host *h, const struct stmt *st,
    const char *ks, cluster_reprepared_cb done, void *done_arg, void *arg)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct hook_job		*j;

	hook_calls++;
	ck_assert_str_eq(ks, "ks");
	ck_assert_uint_eq(st->id.n, 16);
	j = xcalloc(1, sizeof *j);
	j->done = done;
	j->done_arg = done_arg;
	stmt_init(&s, STMT_PREPARE);
	s.query = slice_cstr("SELECT v FROM ks.t WHERE k = ? AND c = ?");
	request_opts_default(&o);
	o.host = h;
	cluster_execute(c, &s, &o, hook_prepared, j);
	return (0);
}

START_TEST(test_unprepared_hook)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct result		*r, *p;
	struct bytesval		 v[2];
	uint8_t			 k[4];
	int			 j;

	stmt_init(&s, STMT_PREPARE);
	s.query = slice_cstr("SELECT v FROM ks.t WHERE k = ? AND c = ?");
	p = ct_run(&s, NULL);
	ck_assert_int_eq(p->kind, RES_PREPARED);
	ck_assert_uint_eq(p->prepared.columns.n, 1);
	ck_assert_str_eq(p->prepared.columns.cols[0].name, "v");
	cluster_set_unprepared_hook(CT->c, hook_fn, NULL);
	for (j = 1; j <= 3; j++)
		CT_CONTROL("{\"op\":\"forget\",\"node\":%d}", j);
	stmt_init(&s, STMT_EXECUTE);
	s.id.p = p->prepared.id;
	s.id.n = p->prepared.idlen;
	ct_put32(k, 5);
	v[0] = bytesval_value(k, 4);
	v[1] = bytesval_value(k, 4);
	s.values.n = 2;
	s.values.values = v;
	request_opts_default(&o);
	o.keyspace = "ks";
	r = ct_run(&s, &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(r->kind, RES_ROWS);
	ck_assert_int_eq(r->rows_count, 0);
	ck_assert_int_eq(hook_calls, 1);
	result_free(r);
	result_free(p);
	ct_teardown();
}
END_TEST

/* A batch of two statements every node forgot: one re-prepare each. */
static struct result	*batch_prep[2];
static const char	*batch_text[2] = {
	"INSERT INTO ks.t (k, c, v) VALUES (?, 1, 'x')",
	"INSERT INTO ks.t (k, c, v) VALUES (?, 2, 'y')"
};

static int
batch_hook_fn(struct cluster *c, struct host *h, const struct stmt *st,
    const char *ks, cluster_reprepared_cb done, void *done_arg, void *arg)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct hook_job		*j;
	int			 i;

	hook_calls++;
	for (i = 0; i < 2; i++) {
		if (st->id.n == batch_prep[i]->prepared.idlen &&
		    memcmp(st->id.p, batch_prep[i]->prepared.id,
		    st->id.n) == 0)
			break;
	}
	ck_assert_int_lt(i, 2);
	j = xcalloc(1, sizeof *j);
	j->done = done;
	j->done_arg = done_arg;
	stmt_init(&s, STMT_PREPARE);
	s.query = slice_cstr(batch_text[i]);
	request_opts_default(&o);
	o.host = h;
	cluster_execute(c, &s, &o, hook_prepared, j);
	return (0);
}

START_TEST(test_batch_unprepared_twice)
{
	struct stmt		 s;
	struct stmt_batch_entry	 e[2];
	struct request_opts	 o;
	struct result		*r;
	struct bytesval		 v[1];
	uint8_t			 k[4];
	int			 i, j;

	for (i = 0; i < 2; i++) {
		stmt_init(&s, STMT_PREPARE);
		s.query = slice_cstr(batch_text[i]);
		batch_prep[i] = ct_run(&s, NULL);
		ck_assert_int_eq(batch_prep[i]->kind, RES_PREPARED);
	}
	cluster_set_unprepared_hook(CT->c, batch_hook_fn, NULL);
	for (j = 1; j <= 3; j++)
		CT_CONTROL("{\"op\":\"forget\",\"node\":%d}", j);
	hook_calls = 0;
	ct_put32(k, 77);
	v[0] = bytesval_value(k, 4);
	memset(e, 0, sizeof e);
	for (i = 0; i < 2; i++) {
		e[i].kind = BATCH_KIND_PREPARED;
		e[i].id.p = batch_prep[i]->prepared.id;
		e[i].id.n = batch_prep[i]->prepared.idlen;
		e[i].values.n = 1;
		e[i].values.values = v;
	}
	stmt_init(&s, STMT_BATCH);
	s.batch_type = BATCH_UNLOGGED;
	s.entries = e;
	s.nentries = 2;
	request_opts_default(&o);
	o.keyspace = "ks";
	r = ct_run(&s, &o);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(hook_calls, 2);
	result_free(r);
	r = ct_query("SELECT v FROM ks.t WHERE k = 77");
	ck_assert_int_eq(r->rows_count, 2);
	result_free(r);
	for (i = 0; i < 2; i++)
		result_free(batch_prep[i]);
	ct_teardown();
}
END_TEST

START_TEST(test_batch_and_named)
{
	struct stmt		 s;
	struct stmt_batch_entry	 e[2];
	struct result		*r;
	struct bytesval		 v[2];
	struct slice		 names[2];
	uint8_t			 k[4], c[4];

	ct_put32(k, 9);
	ct_put32(c, 1);
	memset(e, 0, sizeof e);
	e[0].kind = BATCH_KIND_QUERY;
	e[0].query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES (9, 0, 'a')");
	e[1].kind = BATCH_KIND_QUERY;
	e[1].query = slice_cstr("INSERT INTO ks.t (k, c, v) VALUES (?, ?, 'b')");
	v[0] = bytesval_value(k, 4);
	v[1] = bytesval_value(c, 4);
	e[1].values.n = 2;
	e[1].values.values = v;
	stmt_init(&s, STMT_BATCH);
	s.batch_type = BATCH_UNLOGGED;
	s.entries = e;
	s.nentries = 2;
	r = ct_run(&s, NULL);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(r->kind, RES_VOID);
	result_free(r);

	/* named values */
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT v FROM ks.t WHERE k = :kk AND c = :cc");
	names[0] = slice_cstr("kk");
	names[1] = slice_cstr("cc");
	s.values.n = 2;
	s.values.values = v;
	s.values.names = names;
	r = ct_run(&s, NULL);
	ck_assert_msg(r->error == CORE_OK, "%s", r->message);
	ck_assert_int_eq(r->rows_count, 1);
	ck_assert(memcmp(result_cell(r, 0, 0)->v.p, "b", 1) == 0);
	result_free(r);

	r = ct_query("SELECT v FROM ks.t WHERE k = 9");
	ck_assert_int_eq(r->rows_count, 2);
	result_free(r);
	ct_teardown();
}
END_TEST

START_TEST(test_pinned_host_and_tracing)
{
	struct request_opts	 o;
	struct result		*r;
	struct host		*h = ct_host(2);
	int			 i;

	ck_assert(h != NULL);
	for (i = 0; i < 5; i++) {
		request_opts_default(&o);
		o.host = h;
		o.tracing = 1;
		r = ct_query_opts("SELECT key FROM system.local", &o);
		ck_assert_int_eq(r->error, CORE_OK);
		ck_assert_str_eq(r->host_name, h->name);
		ck_assert(r->host == h);
		ck_assert_int_eq(r->has_tracing_id, 1);
		result_free(r);
	}
	/* a pinned host that fails is not replaced */
	CT_CONTROL("{\"op\":\"fail\",\"node\":%d,\"error\":\"overloaded\","
	    "\"count\":1}", 2);
	request_opts_default(&o);
	o.host = h;
	o.idempotent = 1;
	r = ct_query_opts("SELECT key FROM system.local", &o);
	ck_assert_int_eq(r->error, CORE_ENOHOSTS);
	ck_assert_uint_eq(r->executions, 1);
	result_free(r);
	ct_teardown();
}
END_TEST

static int
cond_all_down(void *arg)
{
	struct host *const	*hv;
	size_t			 n, i;

	hv = cluster_hosts(CT->c, &n);
	for (i = 0; i < n; i++) {
		if (hv[i]->state != HOST_DOWN)
			return (0);
	}
	return (1);
}

START_TEST(test_no_hosts_and_cancel)
{
	struct ct_wait	 w = { NULL, 0 };
	struct stmt	 s;
	struct request	*req;
	struct result	*r;
	int		 i;

	/* cancel: the callback runs inside request_cancel */
	delay_all(500, "cancel_marker");
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT key FROM system.local WHERE key = "
	    "'cancel_marker'");
	req = cluster_execute(CT->c, &s, NULL, ct_done, &w);
	testloop_until(CT->base, NULL, NULL, 50);
	ck_assert_int_eq(w.done, 0);
	request_cancel(req);
	ck_assert_int_eq(w.done, 1);
	ck_assert_int_eq(w.r->error, CORE_ECANCELLED);
	result_free(w.r);
	testloop_until(CT->base, NULL, NULL, 600);
	ck_assert_int_eq(w.done, 1);

	for (i = 1; i <= 3; i++)
		CT_CONTROL("{\"op\":\"kill\",\"node\":%d}", i);
	ck_assert(testloop_until(CT->base, cond_all_down, NULL, 5000));
	r = ct_query("SELECT key FROM system.local");
	ck_assert_int_eq(r->error, CORE_ENOHOSTS);
	ck_assert_uint_eq(r->executions, 0);
	result_free(r);
	ct_teardown();
}
END_TEST

/* Every pool at its in-flight cap: CORE_EBUSY at once, not a queue. */
START_TEST(test_back_pressure)
{
	struct ct_wait	 w[7];
	struct stmt	 s;
	int		 i, busy = 0, ok = 0;

	CT->cfg.pool.max_local = 1;
	CT->cfg.pool.core_local = 1;
	CT->cfg.pool.max_inflight = 2;
	ct_connect();
	delay_all(300, "bp_marker");
	memset(w, 0, sizeof w);
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT key FROM system.local WHERE key = "
	    "'bp_marker'");
	for (i = 0; i < 7; i++)
		cluster_execute(CT->c, &s, NULL, ct_done, &w[i]);
	ck_assert(testloop_until(CT->base, ct_cond_done, &w[6], 200));
	ck_assert_int_eq(w[6].r->error, CORE_EBUSY);
	ck_assert_uint_eq(w[6].r->nattempts, 3);
	ck_assert_uint_eq(w[6].r->executions, 0);
	for (i = 0; i < 6; i++) {
		ck_assert(testloop_until(CT->base, ct_cond_done, &w[i],
		    5000));
		if (w[i].r->error == CORE_OK)
			ok++;
		else if (w[i].r->error == CORE_EBUSY)
			busy++;
	}
	ck_assert_int_eq(ok, 6);
	for (i = 0; i < 7; i++)
		result_free(w[i].r);
	ck_assert_uint_ge(cluster_metrics(CT->c)->busy, 3);
	ct_teardown();
}
END_TEST

/*
 * Requests are kept for reuse with their timers set up: after the cluster
 * and its event base are freed, a new cluster's requests (likely in the
 * same memory) time out on the new base.  The configured timeout is a
 * libevent common timeout, shared by requests in flight together.
 */
START_TEST(test_timers_reused)
{
	struct stmt	 s;
	struct result	*r;
	struct ct_wait	 w[4];
	uint64_t	 t0;
	int		 round, i;

	for (round = 0; round < 2; round++) {
		if (round > 0)
			ct_setup(3, NULL);
		CT->cfg.request_timeout_ms = 150;
		ct_connect();
		delay_all(1000, "slow_marker");
		/* Several in flight on the same timeout, then one fast. */
		stmt_init(&s, STMT_QUERY);
		s.query = slice_cstr("SELECT key FROM system.local WHERE "
		    "key = 'slow_marker'");
		t0 = conn_now_ms();
		memset(w, 0, sizeof w);
		for (i = 0; i < 4; i++)
			cluster_execute(CT->c, &s, NULL, ct_done, &w[i]);
		for (i = 0; i < 4; i++) {
			ck_assert(testloop_until(CT->base, ct_cond_done,
			    &w[i], 5000));
			ck_assert_int_eq(w[i].r->error, CORE_ETIMEOUT);
			result_free(w[i].r);
		}
		ck_assert_uint_ge(conn_now_ms() - t0, 140);
		ck_assert_uint_eq(cluster_metrics(CT->c)->client_timeouts, 4);
		r = ct_query("SELECT key FROM system.local");
		ck_assert_int_eq(r->error, CORE_OK);
		result_free(r);
		ct_teardown();
	}
}
END_TEST

/* A result and when it came. */
struct timed_wait {
	struct result	*r;
	int		 done;
	uint64_t	 at_ms;
};

static void
timed_done(struct result *r, void *arg)
{
	struct timed_wait	*w = arg;

	w->r = r;
	w->done++;
	w->at_ms = conn_now_ms();
}

static int
timed_all_done_one(void *arg)
{
	return (((struct timed_wait *)arg)->done != 0);
}

static int
timed_all_done(void *arg)
{
	struct timed_wait	*w = arg;
	int			 i;

	for (i = 0; i < 9; i++) {
		if (!w[i].done)
			return (0);
	}
	return (1);
}

/*
 * Request timeouts wait in one queue per distinct length (a few kept),
 * others on timers of their own: interleaved lengths, more of them than
 * queues, one request cancelled from the middle of its queue, and a
 * queue that emptied and is used again: each times out at its own
 * length, not before.
 */
START_TEST(test_timeout_queues)
{
	static const int	 ms[9] = {
		300, 100, 200, 100, 500, 650, 250, 100, 800
	};
	struct request_opts	 o;
	struct request		*req[9];
	struct timed_wait	 w[9];
	struct stmt		 s;
	uint64_t		 t0, took;
	int			 i, round;

	ct_connect();
	delay_all(3000, "slow_marker");
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT key FROM system.local WHERE "
	    "key = 'slow_marker'");
	for (round = 0; round < 2; round++) {
		memset(w, 0, sizeof w);
		t0 = conn_now_ms();
		for (i = 0; i < 9; i++) {
			request_opts_default(&o);
			o.timeout_ms = ms[i];
			req[i] = cluster_execute(CT->c, &s, &o, timed_done,
			    &w[i]);
		}
		/* The second 100 ms one leaves its queue's middle. */
		request_cancel(req[3]);
		ck_assert_int_eq(w[3].done, 1);
		ck_assert_int_eq(w[3].r->error, CORE_ECANCELLED);
		ck_assert(testloop_until(CT->base, timed_all_done, w, 10000));
		for (i = 0; i < 9; i++) {
			ck_assert_int_eq(w[i].done, 1);
			if (i == 3) {
				result_free(w[i].r);
				continue;
			}
			ck_assert_int_eq(w[i].r->error, CORE_ETIMEOUT);
			took = w[i].at_ms - t0;
			ck_assert_msg(took >= (uint64_t)ms[i] - 1 &&
			    took < (uint64_t)ms[i] + 1500,
			    "timeout %d ms came after %llu ms", ms[i],
			    (unsigned long long)took);
			result_free(w[i].r);
		}
	}
	ck_assert_uint_eq(cluster_metrics(CT->c)->client_timeouts, 16);
	ct_teardown();
}
END_TEST

/* The QUERY frames every node of the mock has counted. */
static long
mock_queries(void)
{
	char		 ans[8192];
	const char	*p;
	long		 n = 0;

	ck_assert_int_eq(mockproc_control(&CT->mock, ans, sizeof ans,
	    "{\"op\":\"stats\"}"), 0);
	for (p = ans; (p = strstr(p, "\"QUERY\"")) != NULL; ) {
		p += strlen("\"QUERY\"");
		while (*p == ' ' || *p == ':')
			p++;
		n += strtol(p, NULL, 10);
	}
	return (n);
}

/*
 * cluster_flush writes what was queued to the nodes now, not at the end
 * of the loop turn: without the loop turning, the mock receives the
 * request once it is flushed, and not before.
 */
START_TEST(test_flush_now)
{
	struct request_opts	 o;
	struct timed_wait	 w;
	struct stmt		 s;
	uint64_t		 deadline;
	long			 before;

	ct_connect();
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT key FROM system.local WHERE "
	    "key = 'flush_marker'");
	request_opts_default(&o);
	memset(&w, 0, sizeof w);
	before = mock_queries();
	ck_assert_ptr_nonnull(cluster_execute(CT->c, &s, &o, timed_done,
	    &w));
	/* Queued, not written: the loop has not turned. */
	ck_assert_int_eq(mock_queries(), before);
	cluster_flush(CT->c);
	deadline = conn_now_ms() + 10000;
	while (mock_queries() == before && conn_now_ms() < deadline)
		;
	ck_assert_int_eq(mock_queries(), before + 1);
	ck_assert_int_eq(w.done, 0);
	ck_assert(testloop_until(CT->base, timed_all_done_one, &w, 10000));
	ck_assert_int_eq(w.r->error, CORE_OK);
	result_free(w.r);
	ct_teardown();
}
END_TEST

/*
 * A request that is not idempotent, cut by its node's death: the result
 * says which host it was on, as for any other error.
 */
START_TEST(test_connection_error_host)
{
	struct ct_wait		 w = { NULL, 0 };
	struct request_opts	 o;
	struct stmt		 s;
	char			*ans;
	long			 held;
	int			 i, node = 0;

	delay_all(10000, "cut_marker");
	request_opts_default(&o);
	o.idempotent = 0;
	o.timeout_ms = 20000;
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr("SELECT key FROM system.local WHERE key = "
	    "'cut_marker'");
	cluster_execute(CT->c, &s, &o, ct_done, &w);
	/* Wait until a node holds it, then kill that node. */
	while (node == 0) {
		testloop_until(CT->base, NULL, NULL, 20);
		ans = ct_stats(0);
		for (i = 1; i <= 3 && node == 0; i++) {
			held = ct_stat(ans, i, "delayed");
			if (held > 0)
				node = i;
		}
		free(ans);
		ck_assert_int_eq(w.done, 0);
	}
	CT_CONTROL("{\"op\":\"kill\",\"node\":%d}", node);
	ck_assert(testloop_until(CT->base, ct_cond_done, &w, 15000));
	ck_assert_int_eq(w.r->error, CORE_ECONNECTION);
	ck_assert_str_ne(w.r->host_name, "");
	ck_assert_ptr_nonnull(w.r->host);
	ck_assert_str_eq(w.r->host_name, w.r->host->name);
	result_free(w.r);
	ct_teardown();
}
END_TEST

static Suite *
request_suite(void)
{
	Suite	*s = suite_create("request");
	TCase	*tc;

	tc = tcase_create("retry");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup3, NULL);
	tcase_add_loop_test(tc, test_retry_decisions, 0, nitems(cases));
	tcase_add_test(tc, test_speculative);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_start_given);
	tcase_add_test(tc, test_timers_reused);
	tcase_add_test(tc, test_timeout_queues);
	tcase_add_test(tc, test_flush_now);
	tcase_add_test(tc, test_back_pressure);
	suite_add_tcase(s, tc);

	tc = tcase_create("statements");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup3_connect, NULL);
	tcase_add_test(tc, test_retry_then_success);
	tcase_add_test(tc, test_retry_downgrading);
	tcase_add_test(tc, test_paging);
	tcase_add_test(tc, test_prepare_execute);
	tcase_add_test(tc, test_unprepared_hook);
	tcase_add_test(tc, test_unprepared_after_failover);
	tcase_add_test(tc, test_batch_and_named);
	tcase_add_test(tc, test_batch_unprepared_twice);
	tcase_add_test(tc, test_pinned_host_and_tracing);
	tcase_add_test(tc, test_no_hosts_and_cancel);
	tcase_add_test(tc, test_connection_error_host);
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
	log_open("check_request", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(request_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
