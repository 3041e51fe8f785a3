/*
 * request.h: running one statement against the cluster, asynchronously.
 *
 *	struct stmt		 s;
 *	struct request_opts	 o;
 *
 *	stmt_init(&s, STMT_QUERY);
 *	s.query = slice_cstr("SELECT v FROM ks.t WHERE k = ?");
 *	s.values.n = 1; s.values.values = &v;
 *	s.routing_key = &key; s.nrouting_key = 1;	(optional)
 *	request_opts_default(&o);
 *	o.keyspace = "ks"; o.idempotent = 1;
 *	req = cluster_execute(c, &s, &o, done, arg);
 *	...  done(struct result *r, arg) runs exactly once, never from inside
 *	     cluster_execute; r is the receiver's until result_free(r).
 *
 * cluster_execute copies everything it needs from the statement and the
 * options (strings, values, ids): both may be freed when it returns.
 *
 * How a request runs: it walks the load-balancing plan for its keyspace
 * and routing token (replicas first with the token-aware policy), takes
 * the least busy connection of each host's pool (a host whose pool is at
 * its in-flight cap, or has no open connection, is passed over at once),
 * and sends.  On an error the retry policy decides: same host, next host,
 * rethrow, or ignore (an empty VOID/ROWS success), possibly at another
 * consistency.  Idempotent requests may also be started again on the next
 * host after the speculative delay; the first answer wins and the other
 * executions are cancelled.  The request timeout covers the whole request
 * (all attempts); when it fires every execution is cancelled and the
 * result is CORE_ETIMEOUT.  When the plan runs out the result is
 * CORE_ENOHOSTS (or CORE_EBUSY if every host was only busy) with each
 * host's failure in result.attempts.  Client-side timestamps (the default
 * timestamp flag) are sent when the cluster enables them and the options
 * give none.
 *
 * Keyspaces.  Connections are shared by every request (stream
 * multiplexing), so the core never changes a connection's keyspace: a USE
 * statement is refused (CORE_EUSAGE) and protocol v4 has no per-query
 * keyspace.  request_opts.keyspace is used for routing (token-aware
 * replicas) and by prepared.c for its cache key; statements must name
 * their tables qualified ("ks.t").  (With protocol v5 it would also be
 * sent as the query's keyspace.)
 *
 * Prepared statements (prepared.c builds on these):
 *   - STMT_PREPARE with request_opts.host set prepares on that host only;
 *     the result is RES_PREPARED with the id, bind and result metadata and
 *     partition key indexes (struct result_prep).
 *   - STMT_EXECUTE carries the id, the partition key indexes (the routing
 *     key is taken from the bound values at those indexes and hashed with
 *     murmur3) and the query text and keyspace for re-preparing.
 *   - When a node answers UNPREPARED, the cluster's unprepared hook
 *     (cluster_set_unprepared_hook, cluster.h) is asked to re-prepare on
 *     that host; without a hook the core itself sends PREPARE of the
 *     statement's text to that host.  Then the EXECUTE is tried once more
 *     on the same host (it does not count as a retry).
 *   - Result metadata is never skipped (no QP_SKIP_METADATA): ROWS always
 *     carry their columns.
 *
 * DDL: when the answer is RES_SCHEMA_CHANGE the callback waits until the
 * hosts agree on the schema version (bounded by
 * cluster_config.schema_agreement_wait_ms; result.schema.agreement says
 * which) and the cluster's schema snapshot and token map have the change,
 * so a request made from the callback is routed with it.
 *
 * Callbacks may start new requests and cancel others, and may call
 * cluster_close; they must not call cluster_free (do that from the
 * cluster_close callback, or from outside any callback).
 */
#ifndef CQLP_REQUEST_H
#define CQLP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "result.h"

struct cluster;
struct host;

enum stmt_kind {
	STMT_QUERY = 0,
	STMT_EXECUTE,
	STMT_BATCH,
	STMT_PREPARE
};

/* Bound values, already serialized; names NULL for positional values. */
struct stmt_values {
	size_t			 n;
	const struct bytesval	*values;	/* BYTES_NULL, BYTES_UNSET too */
	const struct slice	*names;		/* n names, or NULL */
};

/* One statement of a BATCH. */
struct stmt_batch_entry {
	uint8_t			 kind;		/* BATCH_KIND_QUERY/_PREPARED */
	struct slice		 query;		/* QUERY: the text */
	struct slice		 id;		/* PREPARED: the id */
	struct stmt_values	 values;
};

#define REQUEST_MAX_ROUTING	64	/* routing key components */

struct stmt {
	enum stmt_kind		 kind;
	/*
	 * QUERY, PREPARE: the text.  EXECUTE: the prepared text (optional:
	 * lets the core re-prepare on UNPREPARED without a hook).
	 */
	struct slice		 query;
	struct stmt_values	 values;		/* QUERY, EXECUTE */

	/*
	 * Routing key components in partition-key order (serialized
	 * values); for EXECUTE computed from pk_index when not given.
	 */
	const struct slice	*routing_key;
	size_t			 nrouting_key;
	int			 has_token;	/* or a token outright */
	int64_t			 token;

	/* EXECUTE */
	struct slice		 id;
	struct slice		 result_metadata_id;	/* v5 */
	const uint16_t		*pk_index;	/* indexes into values */
	size_t			 pk_count;

	/* BATCH */
	uint8_t			 batch_type;	/* BATCH_LOGGED... */
	const struct stmt_batch_entry *entries;
	size_t			 nentries;
};

void		 stmt_init(struct stmt *, enum stmt_kind);

/* request_opts.consistency: take the cluster's default. */
#define REQUEST_CL_DEFAULT	0xffff

struct request_opts {
	uint16_t	 consistency;	/* REQUEST_CL_DEFAULT: the cluster's */
	/* SERIAL or LOCAL_SERIAL; REQUEST_CL_DEFAULT: the cluster's; 0 none */
	uint16_t	 serial_consistency;
	int32_t		 page_size;	/* 0: the cluster's; < 0: no paging */
	struct slice	 paging_state;	/* from result.paging_state; copied */
	int		 has_timestamp;	/* else the generator, if enabled */
	int64_t		 timestamp;	/* microseconds */
	int		 timeout_ms;	/* 0: the cluster's; < 0: none */
	int		 idempotent;	/* may be retried/speculated freely */
	int		 tracing;	/* ask the coordinator to trace */
	const char	*keyspace;	/* routing, prepared cache key; copied */
	int		 retry_policy;	/* -1: the cluster's; else enum
					   retry_policy_kind */
	int		 no_speculative;	/* never speculate this one */
	/*
	 * Run on this host only (prepare on every host, fetch a trace from
	 * its coordinator...): the plan is just this host.
	 */
	struct host	*host;
	/*
	 * 0: the request starts now.  Else a clock_now_us reading the caller
	 * took in this loop turn, just before (with nothing waited for since):
	 * the latency and the timeout count from it.
	 */
	uint64_t	 start_us;
};

void		 request_opts_default(struct request_opts *);

typedef void	(*request_cb)(struct result *, void *);

struct request;

/*
 * Start a statement.  Returns a handle valid until the callback runs;
 * never NULL (errors found at once are delivered through the callback on
 * a later loop turn).
 */
struct request	*cluster_execute(struct cluster *, const struct stmt *,
		     const struct request_opts *, request_cb, void *);
/*
 * Give up on a request: its callback runs now, inside request_cancel,
 * with CORE_ECANCELLED (answers arriving later are dropped).  Must not be
 * called from the request's own callback or after it ran.
 */
void		 request_cancel(struct request *);

#endif
