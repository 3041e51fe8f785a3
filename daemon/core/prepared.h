/*
 * prepared.h: the daemon's prepared statement cache, shared by every
 * client: statements keyed by (keyspace, query text), prepared once and
 * re-prepared wherever a node forgets them.
 *
 *	struct prepared_config	 pc;
 *	prepared_config_default(&pc);
 *	pc.max_entries = 500;
 *	cache = prepared_new(cluster, &pc);	(installs the cluster's
 *						 unprepared hook and a host
 *						 listener)
 *	w = prepared_get(cache, "ks", "SELECT v FROM t WHERE k = ?",
 *	    got, arg);
 *	    got(cache, p, NULL, arg) later, never from inside prepared_get;
 *	    on failure got(cache, NULL, r, arg) with the PREPARE's error
 *	    result r (valid during the call only)
 *	prepared_execute(cache, p, &values, &opts, done, arg);
 *	    done(struct result *, arg) as cluster_execute's callback
 *	prepared_free(cache);
 *
 * Entries.  A struct prepared is reference counted: the callback of
 * prepared_get lends one (valid during the callback); prepared_ref() it
 * to keep it, prepared_unref() when done.  Its fields are read-only for
 * everyone but prepared.c.  Eviction (LRU over max_entries) only drops the
 * cache's own reference, so executions in flight and handles held by
 * clients keep working; prepared_execute holds a reference until its
 * callback has run.
 *
 * Misses.  The first prepared_get of a key prepares it on one host (the
 * load-balancing plan for the keyspace, the next host on a connection
 * failure), answers every waiter of that key (concurrent misses share
 * that one PREPARE), and then, with prepare_on_all_hosts, prepares it on
 * every other up host in the background.  Any (entry, host) pair has at
 * most one PREPARE in flight: re-prepares asked meanwhile wait for it.
 *
 * Keyspaces.  Pool connections never change keyspace (request.h), yet
 * statements arriving after a client's `USE ks` name tables unqualified.
 * A statement cached under a keyspace is therefore always prepared
 * through that host's keyspace channel: ONE dedicated connection per host,
 * opened on demand (conn.h, the pool's settings and protocol version),
 * carrying strictly one request at a time; when its current keyspace is
 * not the statement's it first sends `USE "ks"` and waits for
 * Set_keyspace.  It closes after channel_idle_ms without work and when the
 * host goes down.  The id a node returns is valid on all its connections
 * (the node's cache is per node), so EXECUTEs use the ordinary pools.  A
 * node derives the id from the connection's keyspace and the text, so
 * every preparation of one entry goes through the same path (channel for
 * a keyspace, pools for none) and the id is the same on every host.
 * Statements given without a keyspace (NULL or "") must qualify their
 * tables; they are prepared over the pools.
 *
 * Re-preparing.  The cache installs itself as the cluster's unprepared
 * hook: a node that answers UNPREPARED gets the statement prepared again
 * (the same way it was first prepared) and the core retries the EXECUTE
 * once.  With reprepare_on_up, a host coming up gets every live prepared
 * statement again, at most reprepare_concurrency at a time.  A schema
 * change of a table (or its keyspace) drops the entries reading it from
 * the key index, so the next prepared_get prepares it again with fresh
 * metadata (held entries keep working).
 *
 * Handles.  prepared_find_by_id() finds a live entry by its id (the
 * service gives clients the id as a handle usable from any connection).
 * Besides the cache, the max_handles most recently used ids keep their
 * entries alive (LRU), so a handle outlives the statement's eviction from
 * the key cache for a while.
 *
 * Everything runs on the cluster's event_base; not thread-safe.
 * prepared_free must not be called from inside a callback of this cache,
 * and must come before cluster_free.
 */
#ifndef CQLP_PREPARED_H
#define CQLP_PREPARED_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "result.h"

struct cluster;
struct prepared_cache;
struct prepared_wait;

/* Defaults: the Python driver 3.25 and gocql (driver-defaults.md). */
#define PREPARED_MAX_ENTRIES		1000	/* gocql's LRU size */
#define PREPARED_MAX_HANDLES		1000
#define PREPARED_REPREPARE_CONCURRENCY	4
#define PREPARED_CHANNEL_IDLE_MS	60000
#define PREPARED_MAX_HOSTS_TRIED	8	/* hosts a miss may try */
#define PREPARED_MAX_QUERY		(1U << 20)	/* longest text */
#define PREPARED_MAX_KEYSPACE		256	/* longest keyspace name */

struct prepared_config {
	size_t		 max_entries;	/* key cache LRU bound, >= 1 */
	size_t		 max_handles;	/* ids kept alive, >= 0 */
	int		 prepare_on_all_hosts;	/* 1 */
	int		 reprepare_on_up;	/* 1 */
	int		 reprepare_concurrency;	/* per host coming up, >= 1 */
	int		 timeout_ms;	/* per PREPARE; 0: the cluster's
					   request timeout */
	int		 channel_idle_ms;	/* keyspace channel idle close */
};
void		 prepared_config_default(struct prepared_config *);

/* Counters since prepared_new. */
struct prepared_metrics {
	uint64_t	 hits;		/* prepared_get answered from cache */
	uint64_t	 misses;	/* prepared_get that waited for a PREPARE
					   (coalesced ones too) */
	uint64_t	 coalesced;	/* misses that joined one in flight */
	uint64_t	 evictions;	/* LRU evictions from the key cache */
	uint64_t	 invalidations;	/* dropped by a schema change */
	uint64_t	 reprepares;	/* re-prepares on UNPREPARED or up */
	uint64_t	 prepares;	/* PREPARE messages sent (all reasons) */
	uint64_t	 prepare_errors;	/* PREPAREs that failed */
	uint64_t	 uses;		/* USE sent on keyspace channels */
	uint64_t	 channels;	/* keyspace channel connections made */
	uint64_t	 channels_open;	/* gauge: keyspace channels open */
	uint64_t	 inflight;	/* gauge: host prepares in flight */
	uint64_t	 entries;	/* gauge: entries in the key cache */
	uint64_t	 live;		/* gauge: entries alive */
};

/* One prepared statement.  Read-only outside prepared.c. */
struct prepared {
	char			*keyspace;	/* cache key; NULL: none */
	char			*query;		/* cache key; NUL-terminated */
	size_t			 querylen;
	uint8_t			*id;
	size_t			 idlen;
	uint8_t			*result_metadata_id;	/* v5; else NULL */
	size_t			 rmidlen;
	struct result_columns	 bind;		/* bind variables */
	size_t			 pk_count;
	uint16_t		*pk_index;	/* into bind */
	struct result_columns	 columns;	/* result columns (may be 0) */
	/*
	 * The table the statement reads or writes, from the metadata
	 * (NULL when it names none): token-aware routing uses its keyspace.
	 */
	const char		*table_keyspace;
	const char		*table;
	unsigned int		 references;
};

/*
 * Borrowed entry on success (p != NULL, err NULL); on failure p is NULL
 * and err the failed PREPARE's result (error, server error, attempts).
 */
typedef void	(*prepared_cb)(struct prepared_cache *, struct prepared *p,
		     const struct result *err, void *arg);

struct prepared_cache *prepared_new(struct cluster *,
		     const struct prepared_config *);
/*
 * Uninstalls the hook and listeners; waiters not yet answered are dropped
 * silently; entries still referenced stay valid until their last unref.
 */
void		 prepared_free(struct prepared_cache *);
/* Change the bounds and switches (a config reload). */
void		 prepared_set_config(struct prepared_cache *,
		     const struct prepared_config *);
const struct prepared_config *prepared_get_config(struct prepared_cache *);
const struct prepared_metrics *prepared_metrics(struct prepared_cache *);

/*
 * The entry for (keyspace, text), prepared if needed; keyspace NULL or ""
 * for none.  cb runs exactly once, later, unless prepared_cancel()
 * is called first.  The handle is valid until the callback runs.
 */
struct prepared_wait *prepared_get(struct prepared_cache *,
		     const char *keyspace, const char *query, prepared_cb,
		     void *);
/* As prepared_get with a text that need not be NUL-terminated. */
struct prepared_wait *prepared_get_n(struct prepared_cache *,
		     const char *keyspace, const char *query, size_t len,
		     prepared_cb, void *);
/* The callback will not run (not from inside it, not after it ran). */
void		 prepared_cancel(struct prepared_wait *);

/*
 * A live entry by id (borrowed: valid until the next loop turn; ref it to
 * keep it), NULL if none.  Counts as a use for the handle LRU.
 */
struct prepared	*prepared_find_by_id(struct prepared_cache *,
		     const uint8_t *, size_t);
/* Look the key up without preparing (borrowed, NULL if not cached). */
struct prepared	*prepared_lookup(struct prepared_cache *,
		     const char *keyspace, const char *query);

/*
 * A ready entry for (keyspace, text of len bytes), referenced (unref it),
 * counted as a cache hit; NULL if not cached and ready (prepared_get_n).
 */
struct prepared	*prepared_lookup_n(struct prepared_cache *,
		     const char *keyspace, const char *query, size_t len);

struct prepared	*prepared_ref(struct prepared *);
void		 prepared_unref(struct prepared *);

/*
 * Execute an entry with bound values (in bind order, or named): builds
 * the STMT_EXECUTE (id, partition key indexes for token-aware routing,
 * text for re-preparing) and runs it through cluster_execute.  opts may
 * be NULL (defaults); opts->keyspace is replaced by the entry's table
 * keyspace for routing when that is known.  The entry is referenced until
 * cb has run.  Returns the request (request_cancel works).
 */
struct request	*prepared_execute(struct prepared_cache *, struct prepared *,
		     const struct stmt_values *, const struct request_opts *,
		     request_cb, void *);

/*
 * Prepare an entry on one host now (tests, the service's admin
 * commands); done(arg, ok) later.
 */
typedef void	(*prepared_done_cb)(void *, int);
void		 prepared_prepare_on(struct prepared_cache *,
		     struct prepared *, struct host *, prepared_done_cb,
		     void *);

#endif
