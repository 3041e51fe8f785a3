/*
 * clustertest.h: helpers for the cluster and request tests: a cqlmock,
 * a cluster object on it with short windows and quick reconnection,
 * synchronous-looking execution (the loop runs until the callback) and
 * reading the mock's stats.
 */
#ifndef CQLP_CLUSTERTEST_H
#define CQLP_CLUSTERTEST_H

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "host.h"
#include "pool.h"
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "mockproc.h"
#include "testloop.h"

struct ct {
	struct mockproc		 mock;
	struct event_base	*base;
	struct cluster		*c;
	struct cluster_config	 cfg;
	const char		*cp[1];
	int			 ready;
	enum core_error		 ready_err;
	int			 closed;
};

static struct ct	*CT;

static void
ct_ready(struct cluster *c, enum core_error e, const char *why, void *arg)
{
	CT->ready = 1;
	CT->ready_err = e;
}

static int
ct_cond_ready(void *arg)
{
	return (CT->ready);
}

/* Start a mock (nodes, dcs) and fill a config for it; no cluster yet. */
static void
ct_setup(int nodes, const char *dcs)
{
	signal(SIGPIPE, SIG_IGN);
	CT = xcalloc(1, sizeof *CT);
	ck_assert_int_eq(mockproc_start(&CT->mock, nodes, dcs), 0);
	CT->base = event_base_new();
	cluster_config_default(&CT->cfg);
	CT->cp[0] = "127.0.0.1";
	CT->cfg.contact_points = CT->cp;
	CT->cfg.ncontact_points = 1;
	CT->cfg.port = (uint16_t)CT->mock.port;
	CT->cfg.pool.conn.heartbeat_interval_ms = 0;
	CT->cfg.pool.conn.connect_timeout_ms = 2000;
	CT->cfg.pool.reconnect.kind = RECONNECT_CONSTANT;
	CT->cfg.pool.reconnect.jitter = RECONNECT_JITTER_NONE;
	CT->cfg.pool.reconnect.base_ms = 100;
	CT->cfg.topology_window_ms = 50;
	CT->cfg.status_window_ms = 50;
	CT->cfg.schema_window_ms = 50;
	CT->cfg.schema_agreement_wait_ms = 2000;
	CT->cfg.request_timeout_ms = 5000;
}

/* Make the cluster from CT->cfg and wait for ready. */
static void
ct_connect(void)
{
	const char	*why = NULL;

	CT->c = cluster_new(CT->base, &CT->cfg, &why);
	ck_assert_msg(CT->c != NULL, "cluster_new: %s", why);
	cluster_connect(CT->c, ct_ready, NULL);
	ck_assert_msg(testloop_until(CT->base, ct_cond_ready, NULL, 15000),
	    "cluster never ready");
	ck_assert_int_eq(CT->ready_err, CORE_OK);
}

static void
ct_teardown(void)
{
	if (CT->c != NULL)
		cluster_free(CT->c);
	testloop_drain(CT->base);
	event_base_free(CT->base);
	ck_assert_int_eq(mockproc_stop(&CT->mock), 0);
	free(CT);
	CT = NULL;
}

struct ct_wait {
	struct result	*r;
	int		 done;
};

static void
ct_done(struct result *r, void *arg)
{
	struct ct_wait	*w = arg;

	w->r = r;
	w->done++;
}

static int
ct_cond_done(void *arg)
{
	return (((struct ct_wait *)arg)->done > 0);
}

/* Run a statement and wait for its result (the caller frees it). */
static struct result *
ct_run(const struct stmt *s, const struct request_opts *o)
{
	struct ct_wait	w = { NULL, 0 };

	cluster_execute(CT->c, s, o, ct_done, &w);
	ck_assert_int_eq(w.done, 0);	/* never from inside execute */
	ck_assert_msg(testloop_until(CT->base, ct_cond_done, &w, 30000),
	    "no answer");
	ck_assert_int_eq(w.done, 1);
	return (w.r);
}

static struct result *
ct_query_opts(const char *q, const struct request_opts *o)
{
	struct stmt	s;

	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr(q);
	return (ct_run(&s, o));
}

static struct result *
ct_query(const char *q)
{
	return (ct_query_opts(q, NULL));
}

/* A query that must succeed. */
static void
ct_ok(const char *q)
{
	struct result	*r = ct_query(q);

	ck_assert_msg(r->error == CORE_OK, "%s: %s", q, r->message);
	result_free(r);
}

/* A control request that must succeed. */
#define CT_CONTROL(...) \
	ck_assert_msg(mockproc_control(&CT->mock, NULL, 0, __VA_ARGS__) == 0, \
	    "control request refused")

/*
 * A counter from the mock's stats for one node: "replica",
 * "non_replica", or an opcode name ("QUERY"); 0 when absent.
 */
static long
ct_stat(const char *ans, int node, const char *key)
{
	char		 npat[32], kpat[64];
	const char	*p, *start = NULL, *k, *n;
	size_t		 nlen;
	int		 depth = 0;

	snprintf(npat, sizeof npat, "\"node\":%d", node);
	nlen = strlen(npat);
	snprintf(kpat, sizeof kpat, "\"%s\":", key);
	if ((p = strstr(ans, "\"nodes\":[")) == NULL)
		return (0);
	/* Each node is an object at depth 1 inside the array. */
	for (p += 9; *p != '\0' && *p != ']'; p++) {
		if (*p == '{' && depth++ == 0)
			start = p;
		if (*p != '}' || --depth != 0)
			continue;
		for (n = start; (n = strstr(n, npat)) != NULL && n < p; n++) {
			if (n[nlen] == ',' || n[nlen] == '}')
				break;
		}
		if (n == NULL || n >= p)
			continue;
		k = strstr(start, kpat);
		if (k == NULL || k > p)
			return (0);
		return (strtol(k + strlen(kpat), NULL, 10));
	}
	return (0);
}

static char *
ct_stats(int reset)
{
	char	*ans = xmalloc(65536);

	ck_assert_int_eq(mockproc_control(&CT->mock, ans, 65536,
	    "{\"op\":\"stats\"%s}", reset ? ",\"reset\":true" : ""), 0);
	return (ans);
}

static inline int32_t
ct_be32(const struct bytesval *b)
{
	ck_assert(b != NULL && b->state == BYTES_VALUE && b->v.n == 4);
	return ((int32_t)((uint32_t)b->v.p[0] << 24 |
	    (uint32_t)b->v.p[1] << 16 | (uint32_t)b->v.p[2] << 8 |
	    b->v.p[3]));
}

static inline void
ct_put32(uint8_t *p, int32_t v)
{
	p[0] = (uint8_t)((uint32_t)v >> 24);
	p[1] = (uint8_t)((uint32_t)v >> 16);
	p[2] = (uint8_t)((uint32_t)v >> 8);
	p[3] = (uint8_t)v;
}

/* A host of the cluster by node number. */
static struct host *
ct_host(int node)
{
	char	name[32];

	snprintf(name, sizeof name, "127.0.0.%d", node);
	return (cluster_find_host_name(CT->c, name));
}

#endif
