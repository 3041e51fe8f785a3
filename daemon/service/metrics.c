/*
 * metrics.c: the service's counters, and the two ways they leave the
 * daemon: the `stats` operation's JSON object and the Prometheus text
 * exposition format 0.0.4.  Core figures (hosts, pools, retries...) are
 * read from the cluster when asked for, never mirrored here.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util.h"
#include "buf.h"
#include "cluster.h"
#include "prepared.h"
#include "metrics.h"

/* Bucket upper bounds in microseconds, and the same as Prometheus "le". */
static const struct {
	uint64_t	 us;
	const char	*le;
} metrics_buckets[METRICS_NBUCKETS] = {
	{ 100, "0.0001" },
	{ 250, "0.00025" },
	{ 500, "0.0005" },
	{ 1000, "0.001" },
	{ 2500, "0.0025" },
	{ 5000, "0.005" },
	{ 10000, "0.01" },
	{ 25000, "0.025" },
	{ 50000, "0.05" },
	{ 100000, "0.1" },
	{ 250000, "0.25" },
	{ 500000, "0.5" },
	{ 1000000, "1" },
	{ 2500000, "2.5" },
	{ 5000000, "5" },
	{ 10000000, "10" },
	{ 30000000, "30" },
};

static const char *metrics_op_names[METRICS_NOPS] = {
	"query", "prepare", "execute", "batch", "use", "schema", "hosts",
	"trace", "ping", "stats", "invalid"
};

/* The slot of "other", past the named outcomes. */
#define METRICS_OTHER		METRICS_MAX_OUTCOMES

struct metrics_hist {
	uint64_t	 buckets[METRICS_NBUCKETS + 1];	/* last: > 30s */
	uint64_t	 count;
	uint64_t	 sum_us;
};

struct metrics_opstat {
	uint64_t		 inflight;
	uint64_t		 outcomes[METRICS_MAX_OUTCOMES + 1];
	struct metrics_hist	 latency;
};

struct metrics {
	struct cluster		*cluster;
	const struct prepared_metrics *prepared;
	time_t			 start_time;
	uint64_t		 start_us;

	/* Outcome names shared by every op; [0] is "ok". */
	char			*outcomes[METRICS_MAX_OUTCOMES];
	size_t			 noutcomes;
	struct metrics_opstat	 ops[METRICS_NOPS];
	uint64_t		 inflight;
	int64_t			 waiting;

	uint64_t		 clients_connected;
	uint64_t		 clients_accepted;
	char			*reasons[METRICS_MAX_REASONS];
	uint64_t		 rejected[METRICS_MAX_REASONS + 1];
	size_t			 nreasons;

	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint64_t		 reloads_ok;
	uint64_t		 reloads_failed;
};

struct metrics *
metrics_new(void)
{
	struct metrics	*m;

	m = xcalloc(1, sizeof *m);
	m->start_time = time(NULL);
	m->start_us = metrics_now_us();
	m->outcomes[0] = xstrdup("ok");
	m->noutcomes = 1;
	return (m);
}

void
metrics_free(struct metrics *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->noutcomes; i++)
		free(m->outcomes[i]);
	for (i = 0; i < m->nreasons; i++)
		free(m->reasons[i]);
	free(m);
}

void
metrics_set_cluster(struct metrics *m, struct cluster *c)
{
	m->cluster = c;
}

void
metrics_set_prepared(struct metrics *m, const struct prepared_metrics *pm)
{
	m->prepared = pm;
}

const char *
metrics_op_name(enum metrics_op op)
{
	if ((unsigned int)op >= METRICS_NOPS)
		return ("invalid");
	return (metrics_op_names[op]);
}

enum metrics_op
metrics_op_from_name(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (METRICS_OP_INVALID);
	for (i = 0; i < METRICS_OP_INVALID; i++) {
		if (strcmp(metrics_op_names[i], name) == 0)
			return ((enum metrics_op)i);
	}
	return (METRICS_OP_INVALID);
}

/* The core's clock_now_us clock and unit: readings of both are mixed. */
uint64_t
metrics_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/*
 * Find or add a name in a small table; past max the caller's "other" slot
 * (max) is returned, so a client inventing codes cannot grow memory.
 */
static size_t
metrics_intern(char **names, size_t *n, size_t max, const char *name)
{
	size_t	i;

	/* One "other" series, whoever says it. */
	if (strcmp(name, "other") == 0)
		return (max);
	for (i = 0; i < *n; i++) {
		if (strcmp(names[i], name) == 0)
			return (i);
	}
	if (*n == max)
		return (max);
	names[*n] = xstrdup(name);
	return ((*n)++);
}

static struct metrics_opstat *
metrics_opstat(struct metrics *m, enum metrics_op op)
{
	if ((unsigned int)op >= METRICS_NOPS)
		op = METRICS_OP_INVALID;
	return (&m->ops[op]);
}

void
metrics_request_begin(struct metrics *m, enum metrics_op op)
{
	metrics_opstat(m, op)->inflight++;
	m->inflight++;
}

void
metrics_request_count(struct metrics *m, enum metrics_op op,
    const char *outcome)
{
	size_t	i;

	/* "ok" is always the first name: no search for most answers. */
	if (outcome == NULL || (outcome[0] == 'o' && outcome[1] == 'k' &&
	    outcome[2] == '\0'))
		i = 0;
	else
		i = metrics_intern(m->outcomes, &m->noutcomes,
		    METRICS_MAX_OUTCOMES, outcome);
	metrics_opstat(m, op)->outcomes[i]++;
}

void
metrics_request_done(struct metrics *m, enum metrics_op op,
    const char *outcome, uint64_t latency_us)
{
	struct metrics_opstat	*s = metrics_opstat(m, op);
	size_t			 i;

	/* A done without a begin must not wrap the gauges. */
	if (s->inflight > 0) {
		s->inflight--;
		m->inflight--;
	}
	metrics_request_count(m, op, outcome);

	for (i = 0; i < METRICS_NBUCKETS; i++) {
		if (latency_us <= metrics_buckets[i].us)
			break;
	}
	s->latency.buckets[i]++;
	s->latency.count++;
	s->latency.sum_us += latency_us;
}

uint64_t
metrics_requests(struct metrics *m, enum metrics_op op, const char *outcome)
{
	size_t	i;

	for (i = 0; i < m->noutcomes; i++) {
		if (strcmp(m->outcomes[i], outcome) == 0)
			return (metrics_opstat(m, op)->outcomes[i]);
	}
	if (strcmp(outcome, "other") == 0)
		return (metrics_opstat(m, op)->outcomes[METRICS_OTHER]);
	return (0);
}

void
metrics_waiting_add(struct metrics *m, int delta)
{
	m->waiting += delta;
	if (m->waiting < 0)
		m->waiting = 0;
}

void
metrics_client_accepted(struct metrics *m)
{
	m->clients_accepted++;
	m->clients_connected++;
}

void
metrics_client_closed(struct metrics *m)
{
	if (m->clients_connected > 0)
		m->clients_connected--;
}

void
metrics_client_rejected(struct metrics *m, const char *reason)
{
	size_t	i;

	if (reason == NULL)
		reason = "other";
	i = metrics_intern(m->reasons, &m->nreasons, METRICS_MAX_REASONS,
	    reason);
	m->rejected[i]++;
}

void
metrics_bytes_in(struct metrics *m, size_t n)
{
	m->bytes_in += n;
}

void
metrics_bytes_out(struct metrics *m, size_t n)
{
	m->bytes_out += n;
}

void
metrics_reload(struct metrics *m, int ok)
{
	if (ok)
		m->reloads_ok++;
	else
		m->reloads_failed++;
}

/*
 * A latency quantile estimated from the buckets, interpolating linearly
 * inside the bucket it falls in (what Prometheus' histogram_quantile does);
 * past the last bound the bound itself is the answer.
 */
static uint64_t
metrics_quantile(const struct metrics_hist *h, double q)
{
	uint64_t	 seen = 0, lo = 0;
	double		 rank;
	size_t		 i;

	if (h->count == 0)
		return (0);
	rank = q * (double)h->count;
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		if ((double)(seen + h->buckets[i]) >= rank &&
		    h->buckets[i] != 0) {
			return (lo + (uint64_t)((double)(metrics_buckets[i].us -
			    lo) * (rank - (double)seen) /
			    (double)h->buckets[i]));
		}
		seen += h->buckets[i];
		lo = metrics_buckets[i].us;
	}
	return (metrics_buckets[METRICS_NBUCKETS - 1].us);
}

/* Lower-case names for labels and JSON (host.c's are for logs). */
static const char *
metrics_state_name(enum host_state s)
{
	switch (s) {
	case HOST_UP:
		return ("up");
	case HOST_DOWN:
		return ("down");
	default:
		return ("unknown");
	}
}

static const char *
metrics_distance_name(enum host_distance d)
{
	switch (d) {
	case HOST_LOCAL:
		return ("local");
	case HOST_REMOTE:
		return ("remote");
	default:
		return ("ignored");
	}
}

static json_t *
metrics_json_u64(uint64_t v)
{
	return (json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

static void
metrics_json_set(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, metrics_json_u64(v));
}

/* The core's counters, named as in the Prometheus output without units. */
static json_t *
metrics_json_core(const struct cluster_metrics *cm)
{
	json_t	*o, *kinds;
	int	 i;

	o = json_object();
	metrics_json_set(o, "requests", cm->requests);
	metrics_json_set(o, "completed", cm->completed);
	metrics_json_set(o, "errors", cm->errors);
	kinds = json_object();
	for (i = 1; i < CORE_NERRORS; i++)
		metrics_json_set(kinds, core_error_name(i),
		    cm->errors_by_kind[i]);
	json_object_set_new(o, "errors_by_kind", kinds);
	metrics_json_set(o, "read_timeouts", cm->read_timeouts);
	metrics_json_set(o, "write_timeouts", cm->write_timeouts);
	metrics_json_set(o, "unavailables", cm->unavailables);
	metrics_json_set(o, "overloaded", cm->overloaded);
	metrics_json_set(o, "other_server_errors", cm->other_server_errors);
	metrics_json_set(o, "connection_errors", cm->connection_errors);
	metrics_json_set(o, "client_timeouts", cm->client_timeouts);
	metrics_json_set(o, "retries", cm->retries);
	metrics_json_set(o, "ignores", cm->ignores);
	metrics_json_set(o, "speculative_executions", cm->speculative);
	metrics_json_set(o, "unprepared", cm->unprepared);
	metrics_json_set(o, "reconnects", cm->reconnects);
	metrics_json_set(o, "host_downs", cm->host_downs);
	metrics_json_set(o, "control_reconnects", cm->control_reconnects);
	metrics_json_set(o, "topology_refreshes", cm->topology_refreshes);
	metrics_json_set(o, "schema_refreshes", cm->schema_refreshes);
	metrics_json_set(o, "events", cm->events);
	metrics_json_set(o, "schema_agreement_timeouts",
	    cm->schema_agreement_timeouts);
	metrics_json_set(o, "busy", cm->busy);
	return (o);
}

static json_t *
metrics_json_hosts(struct cluster *c)
{
	struct host *const	*hosts;
	struct host		*h;
	struct pool		*p;
	json_t			*a, *o;
	size_t			 n, i;

	a = json_array();
	hosts = cluster_hosts(c, &n);
	for (i = 0; i < n; i++) {
		h = hosts[i];
		o = json_object();
		json_object_set_new(o, "address", json_string(h->name));
		json_object_set_new(o, "dc", h->dc != NULL ?
		    json_string(h->dc) : json_null());
		json_object_set_new(o, "rack", h->rack != NULL ?
		    json_string(h->rack) : json_null());
		json_object_set_new(o, "state",
		    json_string(metrics_state_name(h->state)));
		json_object_set_new(o, "distance",
		    json_string(metrics_distance_name(h->distance)));
		p = cluster_pool(c, h);
		metrics_json_set(o, "connections",
		    p != NULL ? (uint64_t)pool_size(p) : 0);
		metrics_json_set(o, "connections_opening",
		    p != NULL ? (uint64_t)pool_opening(p) : 0);
		metrics_json_set(o, "in_flight",
		    p != NULL ? (uint64_t)pool_inflight(p) : 0);
		metrics_json_set(o, "reconnect_attempts",
		    p != NULL ? pool_reconnect_attempts(p) : 0);
		json_array_append_new(a, o);
	}
	return (a);
}

static json_t *
metrics_json_prepared(const struct prepared_metrics *pm)
{
	json_t	*o;

	o = json_object();
	metrics_json_set(o, "hits", pm->hits);
	metrics_json_set(o, "misses", pm->misses);
	metrics_json_set(o, "coalesced", pm->coalesced);
	metrics_json_set(o, "evictions", pm->evictions);
	metrics_json_set(o, "invalidations", pm->invalidations);
	metrics_json_set(o, "reprepares", pm->reprepares);
	metrics_json_set(o, "prepares", pm->prepares);
	metrics_json_set(o, "prepare_errors", pm->prepare_errors);
	metrics_json_set(o, "size", pm->entries);
	metrics_json_set(o, "live", pm->live);
	metrics_json_set(o, "in_flight", pm->inflight);
	return (o);
}

/* One operation's counters and latency; NULL if it was never used. */
static json_t *
metrics_json_op(struct metrics *m, const struct metrics_opstat *s,
    uint64_t *total)
{
	json_t		*op, *outs, *lat, *b;
	uint64_t	 answered = 0, cum = 0;
	size_t		 j;

	for (j = 0; j <= METRICS_OTHER; j++)
		answered += s->outcomes[j];
	if (answered == 0 && s->inflight == 0)
		return (NULL);
	*total += answered;
	op = json_object();
	metrics_json_set(op, "total", answered);
	metrics_json_set(op, "in_flight", s->inflight);
	outs = json_object();
	for (j = 0; j < m->noutcomes; j++) {
		if (s->outcomes[j] != 0)
			metrics_json_set(outs, m->outcomes[j], s->outcomes[j]);
	}
	if (s->outcomes[METRICS_OTHER] != 0)
		metrics_json_set(outs, "other", s->outcomes[METRICS_OTHER]);
	json_object_set_new(op, "outcomes", outs);

	lat = json_object();
	metrics_json_set(lat, "count", s->latency.count);
	metrics_json_set(lat, "sum_us", s->latency.sum_us);
	metrics_json_set(lat, "mean_us", s->latency.count != 0 ?
	    s->latency.sum_us / s->latency.count : 0);
	metrics_json_set(lat, "p50_us", metrics_quantile(&s->latency, 0.50));
	metrics_json_set(lat, "p99_us", metrics_quantile(&s->latency, 0.99));
	b = json_array();
	for (j = 0; j < METRICS_NBUCKETS; j++) {
		cum += s->latency.buckets[j];
		json_array_append_new(b, json_pack("{s:I,s:I}",
		    "le_us", (json_int_t)metrics_buckets[j].us,
		    "count", (json_int_t)cum));
	}
	json_object_set_new(lat, "buckets", b);
	json_object_set_new(op, "latency", lat);
	return (op);
}

json_t *
metrics_stats_json(struct metrics *m)
{
	struct host	*ch;
	json_t		*o, *sub, *ops, *op, *outs;
	uint64_t	 total = 0;
	size_t		 i;

	o = json_object();
	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	metrics_json_set(o, "start_time", (uint64_t)m->start_time);
	metrics_json_set(o, "uptime_seconds",
	    (metrics_now_us() - m->start_us) / 1000000);

	sub = json_object();
	metrics_json_set(sub, "connected", m->clients_connected);
	metrics_json_set(sub, "accepted", m->clients_accepted);
	outs = json_object();
	for (i = 0; i < m->nreasons; i++)
		metrics_json_set(outs, m->reasons[i], m->rejected[i]);
	if (m->rejected[METRICS_MAX_REASONS] != 0)
		metrics_json_set(outs, "other",
		    m->rejected[METRICS_MAX_REASONS]);
	json_object_set_new(sub, "rejected", outs);
	metrics_json_set(sub, "bytes_in", m->bytes_in);
	metrics_json_set(sub, "bytes_out", m->bytes_out);
	json_object_set_new(o, "clients", sub);

	sub = json_object();
	metrics_json_set(sub, "in_flight", m->inflight);
	metrics_json_set(sub, "waiting", (uint64_t)m->waiting);
	ops = json_object();
	for (i = 0; i < METRICS_NOPS; i++) {
		if ((op = metrics_json_op(m, &m->ops[i], &total)) != NULL)
			json_object_set_new(ops, metrics_op_names[i], op);
	}
	metrics_json_set(sub, "total", total);
	json_object_set_new(sub, "by_op", ops);
	json_object_set_new(o, "requests", sub);

	sub = json_object();
	metrics_json_set(sub, "ok", m->reloads_ok);
	metrics_json_set(sub, "failed", m->reloads_failed);
	json_object_set_new(o, "reloads", sub);

	json_object_set_new(o, "prepared", m->prepared != NULL ?
	    metrics_json_prepared(m->prepared) : json_null());

	if (m->cluster == NULL) {
		json_object_set_new(o, "cluster", json_null());
		return (o);
	}
	sub = json_object();
	json_object_set_new(sub, "ready",
	    json_boolean(cluster_is_ready(m->cluster)));
	metrics_json_set(sub, "protocol_version", cluster_version(m->cluster));
	ch = cluster_control_host(m->cluster);
	json_object_set_new(sub, "control_host",
	    ch != NULL ? json_string(ch->name) : json_null());
	json_object_set_new(sub, "hosts", metrics_json_hosts(m->cluster));
	json_object_set_new(sub, "counters",
	    metrics_json_core(cluster_metrics(m->cluster)));
	json_object_set_new(o, "cluster", sub);
	return (o);
}

/* Prometheus text output. */

static void printflike(2, 3)
prom_printf(struct wbuf *w, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[256], *big;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof line) {
		wbuf_raw(w, line, n);
		return;
	}
	va_start(ap, fmt);
	n = xvasprintf(&big, fmt, ap);
	va_end(ap);
	wbuf_raw(w, big, n);
	free(big);
}

/* A label value: backslash, double quote and newline escaped (0.0.4). */
static void
prom_label_value(struct wbuf *w, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			wbuf_raw(w, "\\\\", 2);
			break;
		case '"':
			wbuf_raw(w, "\\\"", 2);
			break;
		case '\n':
			wbuf_raw(w, "\\n", 2);
			break;
		default:
			wbuf_u8(w, (uint8_t)*s);
			break;
		}
	}
}

/* HELP and TYPE lines of a family (help text is ours: nothing to escape). */
static void
prom_family(struct wbuf *w, const char *name, const char *type,
    const char *help)
{
	prom_printf(w, "# HELP cqlproxyd_%s %s\n# TYPE cqlproxyd_%s %s\n",
	    name, help, name, type);
}

/*
 * One sample: name, then labels given as NULL-terminated key/value
 * pairs, then the value.
 */
static void
prom_sample(struct wbuf *w, const char *name, const char *value, ...)
{
	va_list		 ap;
	const char	*k, *v;
	int		 first = 1;

	prom_printf(w, "cqlproxyd_%s", name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		prom_printf(w, "%s%s=\"", first ? "{" : ",", k);
		prom_label_value(w, v != NULL ? v : "");
		wbuf_u8(w, '"');
		first = 0;
	}
	va_end(ap);
	prom_printf(w, "%s %s\n", first ? "" : "}", value);
}

static const char *
prom_u64(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
	return (buf);
}

/* A counter or gauge family with a single unlabelled sample. */
static void
prom_single(struct wbuf *w, const char *name, const char *type,
    const char *help, uint64_t v)
{
	char	num[32];

	prom_family(w, name, type, help);
	prom_sample(w, name, prom_u64(num, sizeof num, v), NULL);
}

static void
prom_requests(struct metrics *m, struct wbuf *w)
{
	const struct metrics_opstat	*s;
	const char			*op;
	char				 num[32], sum[48];
	uint64_t			 cum;
	size_t				 i, j;

	prom_family(w, "requests_total", "counter",
	    "Requests answered, by operation and outcome (ok or error code).");
	for (i = 0; i < METRICS_NOPS; i++) {
		s = &m->ops[i];
		op = metrics_op_names[i];
		for (j = 0; j < m->noutcomes; j++) {
			if (s->outcomes[j] == 0)
				continue;
			prom_sample(w, "requests_total",
			    prom_u64(num, sizeof num, s->outcomes[j]),
			    "op", op, "outcome", m->outcomes[j], NULL);
		}
		if (s->outcomes[METRICS_OTHER] != 0) {
			prom_sample(w, "requests_total",
			    prom_u64(num, sizeof num,
			    s->outcomes[METRICS_OTHER]),
			    "op", op, "outcome", "other", NULL);
		}
	}

	prom_family(w, "request_duration_seconds", "histogram",
	    "Time from a request's start to its answer, by operation.");
	for (i = 0; i < METRICS_NOPS; i++) {
		s = &m->ops[i];
		if (s->latency.count == 0)
			continue;
		op = metrics_op_names[i];
		cum = 0;
		for (j = 0; j < METRICS_NBUCKETS; j++) {
			cum += s->latency.buckets[j];
			prom_sample(w, "request_duration_seconds_bucket",
			    prom_u64(num, sizeof num, cum),
			    "op", op, "le", metrics_buckets[j].le, NULL);
		}
		prom_sample(w, "request_duration_seconds_bucket",
		    prom_u64(num, sizeof num, s->latency.count),
		    "op", op, "le", "+Inf", NULL);
		snprintf(sum, sizeof sum, "%" PRIu64 ".%06" PRIu64,
		    s->latency.sum_us / 1000000, s->latency.sum_us % 1000000);
		prom_sample(w, "request_duration_seconds_sum", sum, "op", op,
		    NULL);
		prom_sample(w, "request_duration_seconds_count",
		    prom_u64(num, sizeof num, s->latency.count), "op", op,
		    NULL);
	}

	prom_single(w, "requests_in_flight", "gauge",
	    "Requests started and not yet answered.", m->inflight);
	prom_single(w, "requests_waiting", "gauge",
	    "Requests read from clients but held back (back-pressure, order).",
	    (uint64_t)m->waiting);
}

static void
prom_clients(struct metrics *m, struct wbuf *w)
{
	char	num[32];
	size_t	i;

	prom_single(w, "clients_connected", "gauge",
	    "Client connections open now.", m->clients_connected);
	prom_single(w, "clients_accepted_total", "counter",
	    "Client connections accepted.", m->clients_accepted);
	prom_family(w, "clients_rejected_total", "counter",
	    "Client connections refused, by reason.");
	for (i = 0; i < m->nreasons; i++) {
		prom_sample(w, "clients_rejected_total",
		    prom_u64(num, sizeof num, m->rejected[i]),
		    "reason", m->reasons[i], NULL);
	}
	if (m->rejected[METRICS_MAX_REASONS] != 0) {
		prom_sample(w, "clients_rejected_total",
		    prom_u64(num, sizeof num, m->rejected[METRICS_MAX_REASONS]),
		    "reason", "other", NULL);
	}
	prom_single(w, "client_received_bytes_total", "counter",
	    "Bytes read from clients.", m->bytes_in);
	prom_single(w, "client_sent_bytes_total", "counter",
	    "Bytes written to clients.", m->bytes_out);
	prom_family(w, "config_reloads_total", "counter",
	    "Configuration reloads (SIGHUP), by result.");
	prom_sample(w, "config_reloads_total",
	    prom_u64(num, sizeof num, m->reloads_ok), "result", "ok", NULL);
	prom_sample(w, "config_reloads_total",
	    prom_u64(num, sizeof num, m->reloads_failed), "result", "failed",
	    NULL);
}

static void
prom_hosts(struct cluster *c, struct wbuf *w)
{
	struct host *const	*hosts;
	struct host		*h;
	struct pool		*p;
	char			 num[32];
	size_t			 n, i, count[3] = { 0, 0, 0 };
	const char		*state[3] = { "unknown", "up", "down" };

	hosts = cluster_hosts(c, &n);

	prom_family(w, "host_up", "gauge",
	    "1 if the host is up, 0 if it is down or not yet reached.");
	for (i = 0; i < n; i++) {
		h = hosts[i];
		if ((unsigned int)h->state < nitems(count))
			count[h->state]++;
		prom_sample(w, "host_up", h->state == HOST_UP ? "1" : "0",
		    "host", h->name, "dc", h->dc, "rack", h->rack,
		    "distance", metrics_distance_name(h->distance), NULL);
	}
	prom_family(w, "hosts", "gauge", "Known hosts, by state.");
	for (i = 0; i < nitems(count); i++) {
		prom_sample(w, "hosts", prom_u64(num, sizeof num, count[i]),
		    "state", state[i], NULL);
	}

	prom_family(w, "host_connections", "gauge",
	    "Open connections in the host's pool.");
	for (i = 0; i < n; i++) {
		p = cluster_pool(c, hosts[i]);
		prom_sample(w, "host_connections", prom_u64(num, sizeof num,
		    p != NULL ? (uint64_t)pool_size(p) : 0),
		    "host", hosts[i]->name, NULL);
	}
	prom_family(w, "host_connections_opening", "gauge",
	    "Connections of the host's pool still being opened.");
	for (i = 0; i < n; i++) {
		p = cluster_pool(c, hosts[i]);
		prom_sample(w, "host_connections_opening",
		    prom_u64(num, sizeof num,
		    p != NULL ? (uint64_t)pool_opening(p) : 0),
		    "host", hosts[i]->name, NULL);
	}
	prom_family(w, "host_in_flight", "gauge",
	    "Requests in flight on the host's connections.");
	for (i = 0; i < n; i++) {
		p = cluster_pool(c, hosts[i]);
		prom_sample(w, "host_in_flight", prom_u64(num, sizeof num,
		    p != NULL ? (uint64_t)pool_inflight(p) : 0),
		    "host", hosts[i]->name, NULL);
	}
	prom_family(w, "host_reconnect_attempts", "gauge",
	    "Reconnection attempts since the host was last up.");
	for (i = 0; i < n; i++) {
		p = cluster_pool(c, hosts[i]);
		prom_sample(w, "host_reconnect_attempts",
		    prom_u64(num, sizeof num,
		    p != NULL ? pool_reconnect_attempts(p) : 0),
		    "host", hosts[i]->name, NULL);
	}
}

/* The core's monotonic counters, each its own family. */
static void
prom_core(struct cluster *c, struct wbuf *w)
{
	const struct cluster_metrics	*cm = cluster_metrics(c);
	char				 num[32];
	int				 i;
	static const struct {
		const char	*name;
		size_t		 off;
		const char	*help;
	} counters[] = {
#define C(n, f, h) { n, offsetof(struct cluster_metrics, f), h }
		C("core_requests_total", requests,
		    "Requests handed to the driver core."),
		C("retries_total", retries,
		    "Attempts made again by the retry policy."),
		C("retry_ignores_total", ignores,
		    "Server errors the retry policy ignored."),
		C("speculative_executions_total", speculative,
		    "Speculative executions started."),
		C("client_timeouts_total", client_timeouts,
		    "Requests that timed out waiting for a node."),
		C("connection_errors_total", connection_errors,
		    "Attempts lost with their connection."),
		C("unprepared_total", unprepared,
		    "UNPREPARED answers the core prepared again."),
		C("reconnects_total", reconnects,
		    "Host pools that came back up."),
		C("host_downs_total", host_downs,
		    "Host pools that went down."),
		C("control_reconnects_total", control_reconnects,
		    "Moves of the control connection."),
		C("topology_refreshes_total", topology_refreshes,
		    "Re-reads of system.peers."),
		C("schema_refreshes_total", schema_refreshes,
		    "Schema metadata (re)loads."),
		C("events_total", events, "EVENT frames received."),
		C("schema_agreement_timeouts_total", schema_agreement_timeouts,
		    "Schema agreement waits that timed out."),
		C("busy_total", busy,
		    "Hosts passed over because their pool was full."),
#undef C
	};
	size_t				 k;

	prom_family(w, "cluster_ready", "gauge",
	    "1 once the cluster was reached.");
	prom_sample(w, "cluster_ready", cluster_is_ready(c) ? "1" : "0", NULL);

	for (k = 0; k < nitems(counters); k++) {
		prom_single(w, counters[k].name, "counter", counters[k].help,
		    *(const uint64_t *)((const char *)cm + counters[k].off));
	}

	prom_family(w, "core_errors_total", "counter",
	    "Requests the core failed, by kind.");
	for (i = 1; i < CORE_NERRORS; i++) {
		prom_sample(w, "core_errors_total",
		    prom_u64(num, sizeof num, cm->errors_by_kind[i]),
		    "kind", core_error_name(i), NULL);
	}
	prom_family(w, "server_errors_total", "counter",
	    "Error answers from nodes (retried ones included), by kind.");
	prom_sample(w, "server_errors_total",
	    prom_u64(num, sizeof num, cm->read_timeouts),
	    "kind", "read_timeout", NULL);
	prom_sample(w, "server_errors_total",
	    prom_u64(num, sizeof num, cm->write_timeouts),
	    "kind", "write_timeout", NULL);
	prom_sample(w, "server_errors_total",
	    prom_u64(num, sizeof num, cm->unavailables),
	    "kind", "unavailable", NULL);
	prom_sample(w, "server_errors_total",
	    prom_u64(num, sizeof num, cm->overloaded),
	    "kind", "overloaded", NULL);
	prom_sample(w, "server_errors_total",
	    prom_u64(num, sizeof num, cm->other_server_errors),
	    "kind", "other", NULL);
}

static void
prom_prepared(const struct prepared_metrics *pm, struct wbuf *w)
{
	prom_single(w, "prepared_cache_hits_total", "counter",
	    "Statements found prepared in the cache.", pm->hits);
	prom_single(w, "prepared_cache_misses_total", "counter",
	    "Statements that waited for a PREPARE (shared ones included).",
	    pm->misses);
	prom_single(w, "prepared_cache_evictions_total", "counter",
	    "Statements dropped from the cache to stay within its size.",
	    pm->evictions);
	prom_single(w, "prepared_cache_invalidations_total", "counter",
	    "Statements dropped from the cache by a schema change.",
	    pm->invalidations);
	prom_single(w, "prepared_cache_size", "gauge",
	    "Statements in the cache.", pm->entries);
	prom_single(w, "prepared_live", "gauge",
	    "Prepared statements alive (cached or held by a client).",
	    pm->live);
	prom_single(w, "prepares_total", "counter",
	    "PREPARE messages sent to nodes, for any reason.", pm->prepares);
	prom_single(w, "prepare_errors_total", "counter",
	    "PREPARE messages that failed.", pm->prepare_errors);
	prom_single(w, "reprepares_total", "counter",
	    "Statements prepared again on a node (UNPREPARED, node up).",
	    pm->reprepares);
	prom_single(w, "prepares_in_flight", "gauge",
	    "PREPARE messages waiting for an answer.", pm->inflight);
}

void
metrics_prometheus(struct metrics *m, struct wbuf *w)
{
	prom_family(w, "info", "gauge", "cqlproxyd's version.");
	prom_sample(w, "info", "1", "version", PACKAGE_VERSION, NULL);
	prom_single(w, "start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the epoch.",
	    (uint64_t)m->start_time);
	prom_requests(m, w);
	prom_clients(m, w);
	if (m->cluster != NULL) {
		prom_hosts(m->cluster, w);
		prom_core(m->cluster, w);
	}
	if (m->prepared != NULL)
		prom_prepared(m->prepared, w);
}
