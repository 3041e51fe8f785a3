/*
 * ops-info.c: the operations that describe rather than run statements:
 * schema (from the core's metadata snapshot), hosts (topology and pool
 * state), trace (a complete trace, waited for), ping and stats.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "host.h"
#include "pool.h"
#include "cluster.h"
#include "schema.h"
#include "trace.h"
#include "config.h"
#include "metrics.h"
#include "service.h"

/* A trace being waited for. */
struct traceop {
	TAILQ_ENTRY(traceop)	 entry;
	struct creq		*r;
	struct trace_fetch	*tf;
	char			 id[40];
	uint64_t		 start_us;
	int			 wait_ms;
};
static TAILQ_HEAD(, traceop) traceops = TAILQ_HEAD_INITIALIZER(traceops);

void
op_ping(struct creq *r)
{
	struct ans	a;

	ans_begin(&a, r, 1);
	creq_reply(r, &a, "ok");
}

void
op_stats(struct creq *r)
{
	struct ans	 a;
	json_t		*o;

	o = metrics_stats_json(srv->metrics);
	ans_begin(&a, r, 1);
	ans_key_lit(&a, "stats");
	ans_json(&a, o);
	creq_reply(r, &a, "ok");
}

static json_t *
info_uuid(const uint8_t u[16])
{
	char	buf[40];

	snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
	    u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
	return (json_string(buf));
}

/* A uuid string into 16 bytes; -1 if it is not one. */
static int
info_parse_uuid(const char *s, uint8_t u[16])
{
	size_t	i = 0, n = 0;
	int	hi, lo;

	if (strlen(s) != 36)
		return (-1);
	while (n < 16) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (-1);
			i++;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			return (-1);
		hi = isdigit((unsigned char)s[i]) ? s[i] - '0' :
		    tolower((unsigned char)s[i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
		    tolower((unsigned char)s[i + 1]) - 'a' + 10;
		u[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return (0);
}

static json_t *
info_lower(const char *s)
{
	char	buf[32];
	size_t	i;

	for (i = 0; s[i] != '\0' && i < sizeof buf - 1; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return (json_string(buf));
}

static json_t *
info_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

static json_t *
info_options(const struct schema_options *o)
{
	json_t	*j = json_object();
	size_t	 i;

	for (i = 0; i < o->n; i++)
		json_object_set_new(j, o->e[i].name, info_str(o->e[i].value));
	return (j);
}

static json_t *
info_table(const struct table_meta *t)
{
	const struct column_meta	*col;
	json_t				*o, *a, *c, *ix;
	size_t				 i;

	o = json_object();
	json_object_set_new(o, "keyspace", json_string(t->keyspace));
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "view", json_boolean(t->is_view));
	if (t->has_id)
		json_object_set_new(o, "id", info_uuid(t->id));
	a = json_array();
	for (i = 0; i < t->ncolumns; i++) {
		col = &t->columns[i];
		c = json_object();
		json_object_set_new(c, "name", json_string(col->name));
		json_object_set_new(c, "type", info_str(col->type_text));
		json_object_set_new(c, "kind",
		    json_string(schema_column_kind_name(col->kind)));
		if (col->kind == COLUMN_PARTITION_KEY ||
		    col->kind == COLUMN_CLUSTERING)
			json_object_set_new(c, "position",
			    json_integer(col->position));
		if (col->kind == COLUMN_CLUSTERING)
			json_object_set_new(c, "order",
			    json_string(schema_order_name(col->order)));
		json_array_append_new(a, c);
	}
	json_object_set_new(o, "columns", a);
	a = json_array();
	for (i = 0; i < t->npartition_key; i++)
		json_array_append_new(a,
		    json_string(t->columns[t->partition_key[i]].name));
	json_object_set_new(o, "partition_key", a);
	a = json_array();
	for (i = 0; i < t->nclustering_key; i++)
		json_array_append_new(a,
		    json_string(t->columns[t->clustering_key[i]].name));
	json_object_set_new(o, "clustering_key", a);
	a = json_array();
	for (i = 0; i < t->nindexes; i++) {
		ix = json_object();
		json_object_set_new(ix, "name",
		    json_string(t->indexes[i].name));
		json_object_set_new(ix, "kind", info_str(t->indexes[i].kind));
		json_object_set_new(ix, "options",
		    info_options(&t->indexes[i].options));
		json_array_append_new(a, ix);
	}
	json_object_set_new(o, "indexes", a);
	if (t->is_view) {
		json_object_set_new(o, "base_table", info_str(t->base_table));
		json_object_set_new(o, "where_clause",
		    info_str(t->where_clause));
		json_object_set_new(o, "include_all_columns",
		    json_boolean(t->include_all_columns));
	}
	json_object_set_new(o, "options", info_options(&t->options));
	return (o);
}

static json_t *
info_keyspace(const struct ks_meta *k)
{
	const struct type_meta	*t;
	json_t			*o, *a, *f, *tj;
	size_t			 i, j;

	o = json_object();
	json_object_set_new(o, "name", json_string(k->name));
	json_object_set_new(o, "durable_writes",
	    json_boolean(k->durable_writes));
	json_object_set_new(o, "replication", info_options(&k->replication));
	a = json_array();
	for (i = 0; i < k->ntables; i++)
		json_array_append_new(a, json_string(k->tables[i]->name));
	json_object_set_new(o, "tables", a);
	a = json_array();
	for (i = 0; i < k->nviews; i++)
		json_array_append_new(a, json_string(k->views[i]->name));
	json_object_set_new(o, "views", a);
	a = json_array();
	for (i = 0; i < k->ntypes; i++) {
		t = k->types[i];
		tj = json_object();
		json_object_set_new(tj, "name", json_string(t->name));
		f = json_array();
		for (j = 0; j < t->nfields; j++)
			json_array_append_new(f, json_pack("{s:s,s:s}",
			    "name", t->field_names[j], "type",
			    t->field_types[j]));
		json_object_set_new(tj, "fields", f);
		json_array_append_new(a, tj);
	}
	json_object_set_new(o, "types", a);
	a = json_array();
	for (i = 0; i < k->nfunctions; i++)
		json_array_append_new(a,
		    info_str(k->functions[i]->signature));
	json_object_set_new(o, "functions", a);
	a = json_array();
	for (i = 0; i < k->naggregates; i++)
		json_array_append_new(a,
		    info_str(k->aggregates[i]->signature));
	json_object_set_new(o, "aggregates", a);
	return (o);
}

void
op_schema(struct creq *r)
{
	const struct schema	*s = cluster_schema(srv->cluster);
	const struct ks_meta	*k;
	const struct table_meta	*t;
	const char		*ks = NULL, *table = NULL;
	struct ans		 a;
	json_t			*arr;
	size_t			 i;

	if (jp_string(r, JPK_KEYSPACE, &ks) < 0 ||
	    jp_string(r, JPK_TABLE, &table) < 0)
		return;
	if (table != NULL && ks == NULL) {
		creq_error(r, "bad_request", json_pack("{s:s}", "field",
		    "keyspace"), "table needs keyspace");
		return;
	}
	if (ks == NULL) {
		arr = json_array();
		for (i = 0; s != NULL && i < s->nkeyspaces; i++)
			json_array_append_new(arr,
			    json_string(s->keyspaces[i]->name));
		ans_begin(&a, r, 1);
		ans_key_lit(&a, "keyspaces");
		ans_json(&a, arr);
		creq_reply(r, &a, "ok");
		return;
	}
	if (s == NULL || (k = schema_keyspace(s, ks)) == NULL) {
		creq_error(r, "unknown_keyspace", json_pack("{s:s}",
		    "keyspace", ks), "no keyspace \"%.64s\" in the schema", ks);
		return;
	}
	if (table == NULL) {
		ans_begin(&a, r, 1);
		ans_key_lit(&a, "keyspace");
		ans_json(&a, info_keyspace(k));
		creq_reply(r, &a, "ok");
		return;
	}
	if ((t = ks_meta_table(k, table)) == NULL &&
	    (t = ks_meta_view(k, table)) == NULL) {
		creq_error(r, "unknown_table", json_pack("{s:s,s:s}",
		    "keyspace", ks, "table", table), "no table \"%.64s.%.64s\" "
		    "in the schema", ks, table);
		return;
	}
	ans_begin(&a, r, 1);
	ans_key_lit(&a, "table");
	ans_json(&a, info_table(t));
	creq_reply(r, &a, "ok");
}

void
op_hosts(struct creq *r)
{
	struct host *const	*hosts;
	struct host		*h, *ctl;
	struct pool		*p;
	struct ans		 a;
	json_t			*arr, *o;
	char			 addr[64];
	size_t			 n, i;

	hosts = cluster_hosts(srv->cluster, &n);
	ctl = cluster_control_host(srv->cluster);
	arr = json_array();
	for (i = 0; i < n; i++) {
		h = hosts[i];
		o = json_object();
		if (getnameinfo((struct sockaddr *)&h->addr, h->addrlen, addr,
		    sizeof addr, NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(addr, sizeof addr, "%s", h->name);
		json_object_set_new(o, "address", json_string(addr));
		json_object_set_new(o, "port", json_integer(h->port));
		json_object_set_new(o, "dc", info_str(h->dc));
		json_object_set_new(o, "rack", info_str(h->rack));
		json_object_set_new(o, "state",
		    info_lower(host_state_name(h->state)));
		json_object_set_new(o, "distance",
		    info_lower(host_distance_name(h->distance)));
		json_object_set_new(o, "release_version",
		    info_str(h->release_version));
		json_object_set_new(o, "tokens",
		    json_integer((json_int_t)h->ntokens));
		json_object_set_new(o, "host_id", h->has_host_id ?
		    info_uuid(h->host_id) : json_null());
		p = cluster_pool(srv->cluster, h);
		json_object_set_new(o, "connections",
		    json_integer(p != NULL ? pool_size(p) : 0));
		json_object_set_new(o, "in_flight",
		    json_integer(p != NULL ? pool_inflight(p) : 0));
		json_object_set_new(o, "control", json_boolean(h == ctl));
		json_array_append_new(arr, o);
	}
	ans_begin(&a, r, 1);
	ans_key_lit(&a, "hosts");
	ans_json(&a, arr);
	creq_reply(r, &a, "ok");
}

static json_t *
info_timestamp(int64_t ms)
{
	struct tm	tm;
	time_t		t;
	char		buf[64];
	int64_t		frac;

	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	t = (time_t)((ms - frac) / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		return (json_integer(ms));
	snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
	return (json_string(buf));
}

static void
traceop_free(struct traceop *t)
{
	TAILQ_REMOVE(&traceops, t, entry);
	free(t);
}

static void
traceop_done(struct trace *tr, enum core_error e, const char *why,
    void *arg)
{
	struct traceop	*t = arg;
	struct ans	 a;
	json_t		*s, *ev, *arr;
	size_t		 i;

	t->tf = NULL;
	if (e == CORE_ETIMEOUT) {
		creq_error(t->r, "trace_timeout", json_pack("{s:s,s:I}",
		    "tracing_id", t->id, "waited_ms", (json_int_t)
		    ((metrics_now_us() - t->start_us) / 1000)), "%s", why);
	} else if (e != CORE_OK || tr == NULL) {
		creq_error(t->r, e == CORE_ESHUTDOWN ? "shutting_down" :
		    e == CORE_ESERVER ? "server_error" : e == CORE_EPROTOCOL ?
		    "protocol_error" : "no_hosts_available",
		    json_pack("{s:s}", "tracing_id", t->id), "%s", why);
	} else {
		s = json_object();
		json_object_set_new(s, "session_id", info_uuid(tr->session_id));
		json_object_set_new(s, "coordinator",
		    json_string(tr->coordinator));
		json_object_set_new(s, "client", json_string(tr->client));
		json_object_set_new(s, "command", json_string(tr->command));
		json_object_set_new(s, "request", json_string(tr->request));
		json_object_set_new(s, "started_at",
		    info_timestamp(tr->started_at));
		json_object_set_new(s, "duration",
		    json_integer(tr->duration_us));
		ev = json_object();
		for (i = 0; i < tr->nparams; i++)
			json_object_set_new(ev, tr->params[i].key,
			    json_string(tr->params[i].value));
		json_object_set_new(s, "parameters", ev);
		arr = json_array();
		for (i = 0; i < tr->nevents; i++) {
			ev = json_object();
			json_object_set_new(ev, "event_id",
			    info_uuid(tr->events[i].event_id));
			json_object_set_new(ev, "activity",
			    json_string(tr->events[i].activity));
			json_object_set_new(ev, "source",
			    json_string(tr->events[i].source));
			json_object_set_new(ev, "source_elapsed",
			    tr->events[i].source_elapsed >= 0 ?
			    json_integer(tr->events[i].source_elapsed) :
			    json_null());
			json_object_set_new(ev, "thread",
			    json_string(tr->events[i].thread));
			json_array_append_new(arr, ev);
		}
		ans_begin(&a, t->r, 1);
		ans_key_lit(&a, "session");
		ans_json(&a, s);
		ans_key_lit(&a, "events");
		ans_json(&a, arr);
		if (tr->truncated) {
			ans_key_lit(&a, "truncated");
			ans_bool(&a, 1);
		}
		creq_reply(t->r, &a, "ok");
	}
	if (tr != NULL)
		trace_free(tr);
	traceop_free(t);
}

void
op_trace(struct creq *r)
{
	struct traceop		*t;
	struct trace_opts	 o;
	const char		*id = NULL, *cl = NULL;
	uint8_t			 u[16];
	int64_t			 wait = srv->cfg->max_trace_wait_ms;
	uint16_t		 c;

	if (jp_string(r, JPK_TRACING_ID, &id) < 0 ||
	    jp_int(r, JPK_WAIT_MS, 0, srv->cfg->max_trace_wait_ms, &wait) < 0 ||
	    jp_string(r, JPK_CONSISTENCY, &cl) < 0)
		return;
	if (id == NULL || info_parse_uuid(id, u) != 0) {
		creq_error(r, "bad_request", json_pack("{s:s}", "field",
		    "tracing_id"), "tracing_id (a uuid) is required");
		return;
	}
	trace_opts_default(&o);
	if (cl != NULL) {
		if (consistency_parse(cl, &c) != 0) {
			creq_error(r, "bad_request", json_pack("{s:s}",
			    "field", "consistency"), "unknown consistency");
			return;
		}
		o.consistency = c;
	}
	o.interval_ms = (int)srv->cfg->tracing_poll_interval_ms;
	if (o.max_interval_ms < o.interval_ms)
		o.max_interval_ms = o.interval_ms;
	o.max_wait_ms = wait > 0 ? (int)wait : 1;
	t = xcalloc(1, sizeof *t);
	t->r = r;
	t->start_us = metrics_now_us();
	snprintf(t->id, sizeof t->id, "%s", id);
	TAILQ_INSERT_TAIL(&traceops, t, entry);
	t->tf = trace_fetch_opts(srv->cluster, u, &o, traceop_done, t);
}

/* Exiting: forget traces still being waited for. */
void
ops_info_free(void)
{
	struct traceop	*t;

	while ((t = TAILQ_FIRST(&traceops)) != NULL) {
		if (t->tf != NULL)
			trace_fetch_cancel(t->tf);
		creq_free(t->r);
		traceop_free(t);
	}
}
