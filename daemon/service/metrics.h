/*
 * metrics.h: the service's counters and gauges, and their two outputs: the
 * `stats` operation (a jansson object) and Prometheus' text exposition
 * format 0.0.4 (served by prometheus.c, documented in docs/metrics.md).
 *
 * The service counts what it sees (requests by operation and outcome, their
 * latency, clients, back-pressure, bytes); what the driver core knows
 * (hosts, pools, retries, reconnects, prepared cache) is read from it at
 * scrape time, so nothing is copied twice.
 *
 *	m = metrics_new();
 *	metrics_set_cluster(m, cluster);	(NULL: no core gauges)
 *	metrics_set_prepared(m, prepared_metrics(cache));
 *	metrics_client_accepted(m);  ...  metrics_client_closed(m);
 *	t = metrics_now_us();
 *	metrics_request_begin(m, METRICS_OP_QUERY);
 *	...
 *	metrics_request_done(m, METRICS_OP_QUERY, "ok", metrics_now_us() - t);
 *	metrics_request_done(m, METRICS_OP_QUERY, "unavailable", ...);
 *	json = metrics_stats_json(m);		(the stats op's body)
 *	metrics_prometheus(m, &wbuf);			(GET /metrics)
 *	metrics_free(m);
 *
 * Every request that was begun must be done exactly once, whatever its
 * fate (answered, error, drained at shutdown).  A request answered without
 * ever starting (bad JSON, unknown op, or one still waiting for its turn
 * when its client went away) is counted with metrics_request_count
 * instead: its outcome counts, but not in flight or in the latency
 * histogram (which only holds requests that ran).
 * Outcome strings are the protocol's stable error codes ("ok" on success);
 * the first METRICS_MAX_OUTCOMES distinct ones (over all operations) are
 * kept, later ones count as "other".  Strings are copied.
 *
 * Nothing here is thread-safe; it all runs on the daemon's event base.
 * No configuration value (and so no password) is ever part of the output.
 */
#ifndef CQLP_METRICS_H
#define CQLP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct cluster;
struct prepared_metrics;
struct wbuf;

/* The protocol's operations (docs/protocol.md), for labels. */
enum metrics_op {
	METRICS_OP_QUERY = 0,
	METRICS_OP_PREPARE,
	METRICS_OP_EXECUTE,
	METRICS_OP_BATCH,
	METRICS_OP_USE,
	METRICS_OP_SCHEMA,
	METRICS_OP_HOSTS,
	METRICS_OP_TRACE,
	METRICS_OP_PING,
	METRICS_OP_STATS,
	METRICS_OP_INVALID	/* bad JSON, unknown or missing op */
};
#define METRICS_NOPS		(METRICS_OP_INVALID + 1)

/* Distinct outcome strings (rejection reasons) kept before "other". */
#define METRICS_MAX_OUTCOMES	48
#define METRICS_MAX_REASONS	16

/* Latency buckets (upper bounds, microseconds): 100us .. 30s, then +Inf. */
#define METRICS_NBUCKETS	17

struct metrics;

struct metrics	*metrics_new(void);
void		 metrics_free(struct metrics *);

/* The core to read gauges from at scrape time (NULL: none yet). */
void		 metrics_set_cluster(struct metrics *, struct cluster *);
/*
 * The prepared cache's live counters, prepared_metrics(cache) (prepared.h);
 * set NULL before the cache is freed.
 */
void		 metrics_set_prepared(struct metrics *,
		     const struct prepared_metrics *);

/* "query", ... "invalid"; and back (unknown names: METRICS_OP_INVALID). */
const char	*metrics_op_name(enum metrics_op);
enum metrics_op	 metrics_op_from_name(const char *);

/* Monotonic clock in microseconds, for latencies. */
uint64_t	 metrics_now_us(void);

/* A request started executing (counts it in flight). */
void		 metrics_request_begin(struct metrics *, enum metrics_op);
/* It was answered: outcome "ok" or an error code, latency since begin. */
void		 metrics_request_done(struct metrics *, enum metrics_op,
		     const char *outcome, uint64_t latency_us);

/* An answer to a request that never began (see above). */
void		 metrics_request_count(struct metrics *, enum metrics_op,
		     const char *outcome);

/*
 * Requests read from a client but held back (per-client in-flight cap,
 * in-order execution): +1 when one starts waiting, -1 when it starts.
 */
void		 metrics_waiting_add(struct metrics *, int);

/* Client connections: accepted, closed, refused (reason: a short word). */
void		 metrics_client_accepted(struct metrics *);
void		 metrics_client_closed(struct metrics *);
void		 metrics_client_rejected(struct metrics *,
		     const char *reason);

/* Bytes read from and written to clients. */
void		 metrics_bytes_in(struct metrics *, size_t);
void		 metrics_bytes_out(struct metrics *, size_t);

/* A SIGHUP reload finished (ok 1) or was refused (ok 0). */
void		 metrics_reload(struct metrics *, int ok);

/* The `stats` operation's body: a new object (caller decrefs). */
json_t		*metrics_stats_json(struct metrics *);

/* Prometheus text format 0.0.4, appended to w. */
void		 metrics_prometheus(struct metrics *, struct wbuf *);

/* Read back one request counter (tests): op x outcome, 0 if never seen. */
uint64_t	 metrics_requests(struct metrics *, enum metrics_op,
		     const char *outcome);

#endif
