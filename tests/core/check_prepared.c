/*
 * check_prepared.c: the prepared statement cache against a 3-node
 * cqlmock: hits and misses, execution with token-aware routing, LRU
 * eviction with entries still in use, coalesced misses, preparing on all
 * hosts or one, transparent re-preparing on UNPREPARED (injected or after
 * `forget`), re-preparing on a host coming up, and statements prepared
 * under a keyspace through the keyspace channel.
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
#include "token.h"
#include "prepared.h"
#include "mockproc.h"
#include "testloop.h"
#include "selffree.h"

#define NODES		3
#define WAIT_MS		15000

struct t {
	struct mockproc		 mock;
	struct event_base	*base;
	struct cluster		*c;
	struct prepared_cache	*pc;
	int			 ready;
	enum core_error		 ready_err;
};
static struct t	*T;

/* What a prepared_get answered. */
struct got {
	int			 done;
	struct prepared		*p;	/* referenced */
	enum core_error		 err;
	int32_t			 code;
	int			*inside;	/* set while inside the call */
	int			 called_inside;
};

struct res {
	int		 done;
	struct result	*r;
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
t_got(struct prepared_cache *pc, struct prepared *p, const struct result *err,
    void *arg)
{
	struct got	*g = arg;

	if (g->inside != NULL && *g->inside)
		g->called_inside = 1;
	g->done++;
	if (p != NULL) {
		g->p = prepared_ref(p);
		g->err = CORE_OK;
	} else {
		g->err = err->error;
		g->code = err->server.code;
	}
}

static void
t_res(struct result *r, void *arg)
{
	struct res	*x = arg;

	x->r = r;
	x->done = 1;
}

/* Run a statement and wait for its result (the caller frees it). */
static struct result *
t_query(const char *text)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct res		 x;

	memset(&x, 0, sizeof x);
	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr(text);
	request_opts_default(&o);
	cluster_execute(T->c, &s, &o, t_res, &x);
	ck_assert_msg(testloop_until(T->base, cond_flag, &x.done, WAIT_MS),
	    "no answer to %s", text);
	return (x.r);
}

static void
t_query_ok(const char *text)
{
	struct result	*r = t_query(text);

	ck_assert_msg(r->error == CORE_OK, "%s: %s", text,
	    r->message != NULL ? r->message : "?");
	result_free(r);
}

static struct prepared *
t_get(const char *ks, const char *q)
{
	struct got	g;
	int		inside = 1;

	memset(&g, 0, sizeof g);
	g.inside = &inside;
	prepared_get(T->pc, ks, q, t_got, &g);
	inside = 0;
	ck_assert_msg(testloop_until(T->base, cond_flag, &g.done, WAIT_MS),
	    "prepare of %s never answered", q);
	ck_assert_int_eq(g.done, 1);
	ck_assert(!g.called_inside);
	ck_assert_msg(g.err == CORE_OK, "prepare of %s: %s", q,
	    core_error_name(g.err));
	return (g.p);
}

/* Execute with an int key (and a text value unless v is NULL). */
static struct result *
t_exec(struct prepared *p, int32_t k, const char *v)
{
	struct bytesval		 vals[2];
	struct stmt_values	 sv;
	uint8_t			 kb[4];
	struct res		 x;

	kb[0] = (uint8_t)((uint32_t)k >> 24);
	kb[1] = (uint8_t)((uint32_t)k >> 16);
	kb[2] = (uint8_t)((uint32_t)k >> 8);
	kb[3] = (uint8_t)k;
	vals[0] = bytesval_value(kb, 4);
	if (v != NULL)
		vals[1] = bytesval_value(v, strlen(v));
	memset(&sv, 0, sizeof sv);
	sv.n = v != NULL ? 2 : 1;
	sv.values = vals;
	memset(&x, 0, sizeof x);
	prepared_execute(T->pc, p, &sv, NULL, t_res, &x);
	ck_assert_msg(testloop_until(T->base, cond_flag, &x.done, WAIT_MS),
	    "no answer to EXECUTE");
	return (x.r);
}

static void
t_exec_ok(struct prepared *p, int32_t k, const char *v)
{
	struct result	*r = t_exec(p, k, v);

	ck_assert_msg(r->error == CORE_OK, "EXECUTE %s (k=%d): %s", p->query,
	    k, r->message != NULL ? r->message : "?");
	result_free(r);
}

/* The text value read back for key k by an entry selecting v. */
static char *
t_exec_read(struct prepared *p, int32_t k)
{
	struct result		*r = t_exec(p, k, NULL);
	const struct bytesval	*b;
	char			*s;

	ck_assert_msg(r->error == CORE_OK, "%s: %s", p->query,
	    r->message != NULL ? r->message : "?");
	ck_assert_int_eq(r->kind, RES_ROWS);
	ck_assert_int_eq(r->rows_count, 1);
	b = result_cell(r, 0, 0);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->state, BYTES_VALUE);
	s = xstrndup((const char *)b->v.p, b->v.n);
	result_free(r);
	return (s);
}

/*
 * Mock statistics: a number in node i's object of the stats answer (the
 * objects of "nodes" are found by brace depth; keys may come in any order).
 */
static long
t_stat(int node, const char *key)
{
	static char	 ans[65536];
	char		 pat[64], idpat[32], *s, *obj, *k, *e;
	int		 depth;

	ck_assert_int_eq(mockproc_control(&T->mock, ans, sizeof ans,
	    "{\"op\":\"stats\"}"), 0);
	snprintf(idpat, sizeof idpat, "\"node\":%d", node);
	snprintf(pat, sizeof pat, "\"%s\":", key);
	s = strstr(ans, "\"nodes\":[");
	ck_assert_ptr_nonnull(s);
	s = strchr(s, '[') + 1;
	while (*s == '{') {
		obj = s;
		for (depth = 0; *s != '\0'; s++) {
			if (*s == '{')
				depth++;
			else if (*s == '}' && --depth == 0)
				break;
		}
		ck_assert_int_eq(*s, '}');
		*s = '\0';
		k = strstr(obj, idpat);
		if (k != NULL && (k[strlen(idpat)] == ',' ||
		    k[strlen(idpat)] == '\0')) {
			if ((k = strstr(obj, pat)) == NULL)
				return (0);
			return (strtol(k + strlen(pat), &e, 10));
		}
		s++;
		if (*s == ',')
			s++;
	}
	ck_abort_msg("node %d not in the stats", node);
	return (-1);
}

static long
t_stat_sum(const char *key)
{
	long	n = 0;
	int	i;

	for (i = 1; i <= NODES; i++)
		n += t_stat(i, key);
	return (n);
}

static void
t_stats_reset(void)
{
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"stats\",\"reset\":true}"), 0);
}

static int
cond_idle(void *arg)
{
	return (prepared_metrics(T->pc)->inflight == 0);
}

static void
t_wait_idle(void)
{
	ck_assert_msg(testloop_until(T->base, cond_idle, NULL, WAIT_MS),
	    "prepares still in flight");
}

static int
cond_keyspaces(void *arg)
{
	const struct token_map	*tm = cluster_token_map(T->c);

	return (tm != NULL && token_map_keyspace(tm, "ks") != NULL &&
	    token_map_keyspace(tm, "ks2") != NULL);
}

static int
cond_all_up(void *arg)
{
	struct host *const	*hosts;
	size_t			 i, n;

	hosts = cluster_hosts(T->c, &n);
	if (n != NODES)
		return (0);
	for (i = 0; i < n; i++) {
		if (hosts[i]->state != HOST_UP)
			return (0);
	}
	return (1);
}

static void
t_cache(const struct prepared_config *cfg)
{
	struct prepared_config	def;

	if (cfg == NULL) {
		prepared_config_default(&def);
		cfg = &def;
	}
	T->pc = prepared_new(T->c, cfg);
}

static void
setup(void)
{
	struct cluster_config	 cfg;
	const char		*cps[1], *why;
	int			 rv;

	signal(SIGPIPE, SIG_IGN);
	T = xcalloc(1, sizeof *T);
	rv = mockproc_start(&T->mock, NODES, NULL);
	if (rv == MOCKPROC_MISSING)
		exit(77);
	ck_assert_int_eq(rv, 0);
	T->base = event_base_new();

	cluster_config_default(&cfg);
	cps[0] = "127.0.0.1";
	cfg.contact_points = cps;
	cfg.ncontact_points = 1;
	cfg.port = (uint16_t)T->mock.port;
	cfg.pool.conn.heartbeat_interval_ms = 0;
	cfg.pool.reconnect.kind = RECONNECT_CONSTANT;
	cfg.pool.reconnect.jitter = RECONNECT_JITTER_NONE;
	cfg.pool.reconnect.base_ms = 100;
	cfg.topology_window_ms = 20;
	cfg.status_window_ms = 20;
	cfg.schema_window_ms = 20;
	T->c = cluster_new(T->base, &cfg, &why);
	ck_assert_msg(T->c != NULL, "cluster_new: %s", why);
	cluster_connect(T->c, t_ready, NULL);
	ck_assert(testloop_until(T->base, cond_flag, &T->ready, WAIT_MS));
	ck_assert_int_eq(T->ready_err, CORE_OK);

	t_query_ok("CREATE KEYSPACE ks WITH replication = "
	    "{'class': 'SimpleStrategy', 'replication_factor': 1}");
	t_query_ok("CREATE KEYSPACE ks2 WITH replication = "
	    "{'class': 'SimpleStrategy', 'replication_factor': 1}");
	t_query_ok("CREATE TABLE ks.t (k int PRIMARY KEY, v text)");
	t_query_ok("CREATE TABLE ks2.t (k int PRIMARY KEY, v text)");
	ck_assert_msg(testloop_until(T->base, cond_keyspaces, NULL, WAIT_MS),
	    "the token map never learnt the keyspaces");
	ck_assert_msg(testloop_until(T->base, cond_all_up, NULL, WAIT_MS),
	    "not every host came up");
}

static void
teardown(void)
{
	if (T->pc != NULL)
		prepared_free(T->pc);
	cluster_free(T->c);
	testloop_drain(T->base);
	event_base_free(T->base);
	ck_assert_int_eq(mockproc_stop(&T->mock), 0);
	free(T);
	T = NULL;
}

#define INSERT	"INSERT INTO ks.t (k, v) VALUES (?, ?)"
#define SELECT	"SELECT v FROM ks.t WHERE k = ?"

START_TEST(test_hit_miss)
{
	const struct prepared_metrics	*m;
	struct prepared			*a, *b;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	a = t_get(NULL, INSERT);
	ck_assert_uint_eq(m->misses, 1);
	ck_assert_uint_eq(m->hits, 0);
	ck_assert_uint_eq(a->idlen, 16);
	ck_assert_uint_eq(a->bind.n, 2);
	ck_assert_str_eq(a->bind.cols[0].name, "k");
	ck_assert_int_eq(a->bind.cols[0].type->kind, CQLTYPE_INT);
	ck_assert_str_eq(a->bind.cols[1].name, "v");
	ck_assert_uint_eq(a->pk_count, 1);
	ck_assert_uint_eq(a->pk_index[0], 0);
	ck_assert_str_eq(a->table_keyspace, "ks");
	ck_assert_str_eq(a->table, "t");
	ck_assert_ptr_null(a->keyspace);

	/* A hit: the same entry, still answered on a later turn. */
	b = t_get(NULL, INSERT);
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(m->misses, 1);
	ck_assert_uint_eq(m->hits, 1);
	/* "" is no keyspace. */
	prepared_unref(b);
	b = t_get("", INSERT);
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(m->hits, 2);
	ck_assert_ptr_eq(prepared_find_by_id(T->pc, a->id, a->idlen), a);
	ck_assert_ptr_eq(prepared_lookup(T->pc, NULL, INSERT), a);
	ck_assert_ptr_null(prepared_lookup(T->pc, NULL, SELECT));
	ck_assert_uint_eq(m->entries, 1);
	prepared_unref(a);
	prepared_unref(b);
}
END_TEST

START_TEST(test_execute_routing)
{
	struct prepared	*ins, *sel;
	char		*v, want[32];
	int32_t		 k;

	t_cache(NULL);
	ins = t_get(NULL, INSERT);
	sel = t_get(NULL, SELECT);
	t_wait_idle();
	t_stats_reset();
	for (k = 0; k < 30; k++) {
		snprintf(want, sizeof want, "value %d", k);
		t_exec_ok(ins, k, want);
	}
	for (k = 0; k < 30; k++) {
		snprintf(want, sizeof want, "value %d", k);
		v = t_exec_read(sel, k);
		ck_assert_str_eq(v, want);
		free(v);
	}
	/* Token-aware: every EXECUTE went to its partition's replica. */
	ck_assert_int_eq(t_stat_sum("EXECUTE"), 60);
	ck_assert_int_eq(t_stat_sum("replica"), 60);
	ck_assert_int_eq(t_stat_sum("non_replica"), 0);
	ck_assert_int_eq(t_stat_sum("PREPARE"), 0);
	ck_assert_uint_eq(cluster_metrics(T->c)->unprepared, 0);
	prepared_unref(ins);
	prepared_unref(sel);
}
END_TEST

START_TEST(test_lru_eviction)
{
	struct prepared_config		 cfg;
	const struct prepared_metrics	*m;
	struct prepared			*a, *b, *c, *a2;
	uint8_t				 aid[16];
	char				*v;
	int				 i;

	prepared_config_default(&cfg);
	cfg.max_entries = 2;
	cfg.max_handles = 0;
	t_cache(&cfg);
	m = prepared_metrics(T->pc);
	a = t_get(NULL, INSERT);
	b = t_get(NULL, SELECT);
	ck_assert_uint_eq(m->evictions, 0);
	c = t_get(NULL, "SELECT k, v FROM ks.t WHERE k = ?");
	ck_assert_uint_eq(m->evictions, 1);
	ck_assert_uint_eq(m->entries, 2);
	ck_assert_ptr_null(prepared_lookup(T->pc, NULL, INSERT));
	memcpy(aid, a->id, 16);

	/*
	 * The evicted entry is still held here: it executes, and even
	 * re-prepares on UNPREPARED (its id stays known while it lives).
	 */
	for (i = 1; i <= NODES; i++)
		ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
		    "{\"op\":\"forget\",\"node\":%d}", i), 0);
	t_exec_ok(a, 7, "seven");
	ck_assert_ptr_eq(prepared_find_by_id(T->pc, aid, 16), a);
	v = t_exec_read(b, 7);
	ck_assert_str_eq(v, "seven");
	free(v);

	/* Asking for it again is a miss that makes a new entry. */
	a2 = t_get(NULL, INSERT);
	ck_assert_uint_eq(m->misses, 4);
	ck_assert_ptr_ne(a2, a);
	ck_assert_mem_eq(a2->id, aid, 16);
	ck_assert_uint_eq(m->evictions, 2);	/* b went */
	ck_assert_ptr_eq(prepared_find_by_id(T->pc, aid, 16), a2);
	prepared_unref(a);
	prepared_unref(b);
	ck_assert_uint_eq(m->live, 2);
	prepared_unref(c);
	prepared_unref(a2);
	ck_assert_uint_eq(m->live, 2);
}
END_TEST

#define NCONC	10

START_TEST(test_coalesced_all_hosts)
{
	const struct prepared_metrics	*m;
	struct got			 g[NCONC];
	int				 i, n;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	t_stats_reset();
	memset(g, 0, sizeof g);
	for (i = 0; i < NCONC; i++)
		prepared_get(T->pc, NULL, SELECT, t_got, &g[i]);
	for (i = 0; i < NCONC; i++) {
		ck_assert(testloop_until(T->base, cond_flag, &g[i].done,
		    WAIT_MS));
		ck_assert_int_eq(g[i].err, CORE_OK);
		ck_assert_ptr_eq(g[i].p, g[0].p);
	}
	ck_assert_uint_eq(m->misses, NCONC);
	ck_assert_uint_eq(m->coalesced, NCONC - 1);
	t_wait_idle();
	/* One PREPARE for all of them, then one on each other host. */
	for (i = 1; i <= NODES; i++)
		ck_assert_int_eq(t_stat(i, "PREPARE"), 1);
	ck_assert_uint_eq(m->prepares, NODES);
	n = 0;
	for (i = 0; i < NCONC; i++) {
		prepared_unref(g[i].p);
		n++;
	}
	ck_assert_int_eq(n, NCONC);
}
END_TEST

START_TEST(test_prepare_one_host)
{
	struct prepared_config	 cfg;
	struct prepared		*p;

	prepared_config_default(&cfg);
	cfg.prepare_on_all_hosts = 0;
	t_cache(&cfg);
	t_stats_reset();
	p = t_get(NULL, SELECT);
	t_wait_idle();
	ck_assert_int_eq(t_stat_sum("PREPARE"), 1);
	prepared_unref(p);
}
END_TEST

START_TEST(test_unprepared_injected)
{
	const struct prepared_metrics	*m;
	struct prepared			*ins, *sel;
	char				*v;
	int				 i;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	ins = t_get(NULL, INSERT);
	sel = t_get(NULL, SELECT);
	t_wait_idle();
	t_exec_ok(ins, 3, "three");
	t_stats_reset();
	/* The next EXECUTE of the SELECT on any node: UNPREPARED, forgotten. */
	for (i = 1; i <= NODES; i++)
		ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
		    "{\"op\":\"fail\",\"node\":%d,\"error\":\"unprepared\","
		    "\"match\":\"SELECT v\"}", i), 0);
	v = t_exec_read(sel, 3);
	ck_assert_str_eq(v, "three");
	free(v);
	ck_assert_uint_eq(m->reprepares, 1);
	ck_assert_uint_eq(cluster_metrics(T->c)->unprepared, 1);
	ck_assert_int_eq(t_stat_sum("EXECUTE"), 2);
	ck_assert_int_eq(t_stat_sum("PREPARE"), 1);
	ck_assert_int_eq(t_stat_sum("faults"), 1);
	prepared_unref(ins);
	prepared_unref(sel);
}
END_TEST

START_TEST(test_unprepared_forget)
{
	const struct prepared_metrics	*m;
	struct prepared			*ins;
	int				 i, k;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	ins = t_get(NULL, INSERT);
	t_wait_idle();
	for (i = 1; i <= NODES; i++)
		ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
		    "{\"op\":\"forget\",\"node\":%d}", i), 0);
	t_stats_reset();
	for (k = 0; k < 20; k++)
		t_exec_ok(ins, k, "x");
	/* Each node forgot it once and got it back once. */
	ck_assert_uint_ge(m->reprepares, 1);
	ck_assert_uint_le(m->reprepares, NODES);
	ck_assert_int_eq(t_stat_sum("PREPARE"), (long)m->reprepares);
	ck_assert_int_eq(t_stat_sum("EXECUTE"), 20 + (long)m->reprepares);
	prepared_unref(ins);
}
END_TEST

static int
cond_host_state(void *arg)
{
	struct host	*h = cluster_find_host_name(T->c, "127.0.0.2");

	return (h != NULL && h->state == *(enum host_state *)arg);
}

struct upwait {
	long	want;
};

static int
cond_node2_prepared(void *arg)
{
	struct upwait	*u = arg;

	return (prepared_metrics(T->pc)->inflight == 0 &&
	    t_stat(2, "PREPARE") >= u->want);
}

START_TEST(test_reprepare_on_up)
{
	const struct prepared_metrics	*m;
	struct prepared			*p[4];
	enum host_state			 st;
	struct upwait			 u;
	uint64_t			 unprep;
	int				 i, k;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	p[0] = t_get(NULL, INSERT);
	p[1] = t_get(NULL, SELECT);
	p[2] = t_get(NULL, "SELECT k FROM ks.t WHERE k = ?");
	p[3] = t_get("ks", "SELECT v, k FROM t WHERE k = ?");
	t_wait_idle();

	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"stop\",\"node\":2}"), 0);
	st = HOST_DOWN;
	ck_assert_msg(testloop_until(T->base, cond_host_state, &st, WAIT_MS),
	    "node 2 never seen down");
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"forget\",\"node\":2}"), 0);
	t_stats_reset();
	ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
	    "{\"op\":\"start\",\"node\":2}"), 0);
	st = HOST_UP;
	ck_assert_msg(testloop_until(T->base, cond_host_state, &st, WAIT_MS),
	    "node 2 never seen up");
	u.want = 4;
	ck_assert_msg(testloop_until(T->base, cond_node2_prepared, &u,
	    WAIT_MS), "node 2 did not get its statements back");
	ck_assert_uint_ge(m->reprepares, 4);
	ck_assert_int_eq(t_stat(1, "PREPARE"), 0);
	ck_assert_int_eq(t_stat(3, "PREPARE"), 0);

	/* Executions on node 2 need no re-prepare now. */
	unprep = cluster_metrics(T->c)->unprepared;
	for (k = 0; k < 30; k++)
		t_exec_ok(p[0], k, "up");
	ck_assert_int_gt(t_stat(2, "EXECUTE"), 0);
	ck_assert_uint_eq(cluster_metrics(T->c)->unprepared, unprep);
	for (i = 0; i < 4; i++)
		prepared_unref(p[i]);
}
END_TEST

START_TEST(test_keyspace_channel)
{
	const struct prepared_metrics	*m;
	struct prepared			*ins1, *ins2, *sel1, *sel2, *q;
	char				*v;
	int				 i;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	/* Unqualified tables: only meaningful under a keyspace. */
	ins1 = t_get("ks", "INSERT INTO t (k, v) VALUES (?, ?)");
	ins2 = t_get("ks2", "INSERT INTO t (k, v) VALUES (?, ?)");
	sel1 = t_get("ks", "SELECT v FROM t WHERE k = ?");
	sel2 = t_get("ks2", "SELECT v FROM t WHERE k = ?");
	ck_assert_ptr_ne(ins1, ins2);
	ck_assert_mem_ne(ins1->id, ins2->id, 16);
	ck_assert_str_eq(ins1->keyspace, "ks");
	ck_assert_str_eq(ins1->table_keyspace, "ks");
	ck_assert_str_eq(ins2->table_keyspace, "ks2");
	t_wait_idle();
	ck_assert_uint_ge(m->uses, 2);
	ck_assert_uint_ge(m->channels, 1);

	t_exec_ok(ins1, 42, "in ks");
	t_exec_ok(ins2, 42, "in ks2");
	v = t_exec_read(sel1, 42);
	ck_assert_str_eq(v, "in ks");
	free(v);
	v = t_exec_read(sel2, 42);
	ck_assert_str_eq(v, "in ks2");
	free(v);

	/* The qualified statement sees the same row. */
	q = t_get(NULL, "SELECT v FROM ks2.t WHERE k = ?");
	v = t_exec_read(q, 42);
	ck_assert_str_eq(v, "in ks2");
	free(v);

	/* Forgotten everywhere: re-prepared through the channel, same id. */
	for (i = 1; i <= NODES; i++)
		ck_assert_int_eq(mockproc_control(&T->mock, NULL, 0,
		    "{\"op\":\"forget\",\"node\":%d}", i), 0);
	v = t_exec_read(sel2, 42);
	ck_assert_str_eq(v, "in ks2");
	free(v);
	v = t_exec_read(sel1, 42);
	ck_assert_str_eq(v, "in ks");
	free(v);
	ck_assert_uint_ge(m->reprepares, 2);

	prepared_unref(ins1);
	prepared_unref(ins2);
	prepared_unref(sel1);
	prepared_unref(sel2);
	prepared_unref(q);
}
END_TEST

START_TEST(test_errors_and_cancel)
{
	const struct prepared_metrics	*m;
	struct prepared_wait		*w;
	struct got			 g, g2;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	memset(&g, 0, sizeof g);
	prepared_get(T->pc, NULL, "SELEKT nothing", t_got, &g);
	ck_assert(testloop_until(T->base, cond_flag, &g.done, WAIT_MS));
	ck_assert_int_eq(g.err, CORE_ESERVER);
	ck_assert_int_eq(g.code, ERR_SYNTAX);
	ck_assert_uint_eq(m->entries, 0);

	/* An unknown keyspace fails at the USE. */
	memset(&g, 0, sizeof g);
	prepared_get(T->pc, "nosuchks", "SELECT v FROM t WHERE k = ?", t_got,
	    &g);
	ck_assert(testloop_until(T->base, cond_flag, &g.done, WAIT_MS));
	ck_assert_int_eq(g.err, CORE_ESERVER);
	ck_assert_int_eq(g.code, ERR_INVALID);

	/* A cancelled miss, then a cancelled hit: no callback either time. */
	memset(&g, 0, sizeof g);
	memset(&g2, 0, sizeof g2);
	w = prepared_get(T->pc, NULL, SELECT, t_got, &g);
	prepared_get(T->pc, NULL, SELECT, t_got, &g2);
	prepared_cancel(w);
	ck_assert(testloop_until(T->base, cond_flag, &g2.done, WAIT_MS));
	ck_assert_int_eq(g2.err, CORE_OK);
	w = prepared_get(T->pc, NULL, SELECT, t_got, &g);
	prepared_cancel(w);
	t_wait_idle();
	testloop_until(T->base, NULL, NULL, 20);
	ck_assert_int_eq(g.done, 0);
	prepared_unref(g2.p);

	/* Freeing with work in flight: nobody is called, nothing leaks. */
	memset(&g, 0, sizeof g);
	prepared_get(T->pc, NULL, INSERT, t_got, &g);
	prepared_get(T->pc, "ks", "SELECT k FROM t WHERE k = ?", t_got, &g);
	prepared_free(T->pc);
	T->pc = NULL;
	testloop_until(T->base, NULL, NULL, 50);
	ck_assert_int_eq(g.done, 0);
}
END_TEST

START_TEST(test_handles)
{
	struct prepared_config		 cfg;
	const struct prepared_metrics	*m;
	struct prepared			*a, *b, *c;
	uint8_t				 aid[16], bid[16];

	prepared_config_default(&cfg);
	cfg.max_entries = 1;
	cfg.max_handles = 2;
	t_cache(&cfg);
	m = prepared_metrics(T->pc);
	a = t_get(NULL, INSERT);
	memcpy(aid, a->id, 16);
	prepared_unref(a);
	b = t_get(NULL, SELECT);
	memcpy(bid, b->id, 16);
	prepared_unref(b);
	/* a left the key cache but its handle keeps it. */
	ck_assert_uint_eq(m->evictions, 1);
	ck_assert_ptr_null(prepared_lookup(T->pc, NULL, INSERT));
	a = prepared_find_by_id(T->pc, aid, 16);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->query, INSERT);
	prepared_ref(a);	/* borrowed until the next turn otherwise */
	t_exec_ok(a, 1, "by handle");
	prepared_unref(a);
	/* The handle LRU is bounded too: c pushes out the oldest (b). */
	c = t_get(NULL, "SELECT k FROM ks.t WHERE k = ?");
	ck_assert_ptr_null(prepared_find_by_id(T->pc, bid, 16));
	ck_assert_ptr_nonnull(prepared_find_by_id(T->pc, aid, 16));
	ck_assert_uint_eq(m->live, 2);
	prepared_unref(c);
}
END_TEST

static int
cond_no_channel(void *arg)
{
	return (prepared_metrics(T->pc)->channels_open == 0);
}

START_TEST(test_channel_idle)
{
	struct prepared_config		 cfg;
	const struct prepared_metrics	*m;
	struct prepared			*p, *q;
	uint64_t			 made;

	prepared_config_default(&cfg);
	cfg.channel_idle_ms = 50;
	cfg.prepare_on_all_hosts = 0;
	t_cache(&cfg);
	m = prepared_metrics(T->pc);
	p = t_get("ks", "SELECT v FROM t WHERE k = ?");
	ck_assert_uint_eq(m->channels, 1);
	ck_assert_uint_eq(m->channels_open, 1);
	ck_assert_msg(testloop_until(T->base, cond_no_channel, NULL, WAIT_MS),
	    "the idle channel never closed");
	/* The next one opens a channel again (and USEs again). */
	made = m->uses;
	q = t_get("ks", "SELECT k FROM t WHERE k = ?");
	ck_assert_uint_eq(m->channels, 2);
	ck_assert_uint_eq(m->uses, made + 1);
	prepared_unref(p);
	prepared_unref(q);
}
END_TEST

/* An idle channel closes from its timer; its memory goes a turn later. */
START_TEST(test_channel_idle_defers_free)
{
	struct prepared_config	 cfg;
	struct prepared		*p;

	ck_assert_msg(selffree_selftest(T->base), "detector blind");
	selffree_count = 0;
	prepared_config_default(&cfg);
	cfg.channel_idle_ms = 50;
	cfg.prepare_on_all_hosts = 0;
	t_cache(&cfg);
	p = t_get("ks", "SELECT v FROM t WHERE k = ?");
	ck_assert_uint_eq(prepared_metrics(T->pc)->channels_open, 1);
	ck_assert_msg(selffree_until(T->base, cond_no_channel, NULL, WAIT_MS),
	    "the idle channel never closed");
	selffree_until(T->base, NULL, NULL, 20);
	ck_assert_int_eq(selffree_count, 0);
	prepared_unref(p);
}
END_TEST

static int
cond_invalidated(void *arg)
{
	return (prepared_metrics(T->pc)->invalidations > 0);
}

START_TEST(test_schema_invalidation)
{
	const struct prepared_metrics	*m;
	struct prepared			*p, *p2;

	t_cache(NULL);
	m = prepared_metrics(T->pc);
	p = t_get(NULL, "SELECT * FROM ks.t WHERE k = ?");
	ck_assert_uint_eq(p->columns.n, 2);
	t_query_ok("ALTER TABLE ks.t ADD w int");
	ck_assert_msg(testloop_until(T->base, cond_invalidated, NULL,
	    WAIT_MS), "the schema change did not drop the entry");
	ck_assert_ptr_null(prepared_lookup(T->pc, NULL,
	    "SELECT * FROM ks.t WHERE k = ?"));
	/* Prepared again, with the new columns; the old entry still works. */
	p2 = t_get(NULL, "SELECT * FROM ks.t WHERE k = ?");
	ck_assert_ptr_ne(p, p2);
	ck_assert_uint_eq(p2->columns.n, 3);
	ck_assert_uint_eq(m->misses, 2);
	prepared_unref(p);
	prepared_unref(p2);
}
END_TEST

static Suite *
prepared_suite(void)
{
	Suite	*s = suite_create("prepared");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hit_miss);
	tcase_add_test(tc, test_execute_routing);
	tcase_add_test(tc, test_lru_eviction);
	tcase_add_test(tc, test_coalesced_all_hosts);
	tcase_add_test(tc, test_prepare_one_host);
	tcase_add_test(tc, test_unprepared_injected);
	tcase_add_test(tc, test_unprepared_forget);
	tcase_add_test(tc, test_reprepare_on_up);
	tcase_add_test(tc, test_keyspace_channel);
	tcase_add_test(tc, test_errors_and_cancel);
	tcase_add_test(tc, test_handles);
	tcase_add_test(tc, test_channel_idle);
	tcase_add_test(tc, test_channel_idle_defers_free);
	tcase_add_test(tc, test_schema_invalidation);
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
	log_open("check_prepared", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(prepared_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
