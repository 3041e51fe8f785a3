/*
 * cluster.h: the driver core's top object: the hosts of one Cassandra
 * cluster, a pool per host, the control connection that discovers them
 * and follows their events (control.c), the token map, and the counters
 * the service reports.  Requests go through request.h.
 *
 *	struct cluster_config cfg;
 *	cluster_config_default(&cfg);
 *	cfg.contact_points = (const char *[]){ "127.0.0.1" };
 *	cfg.ncontact_points = 1;
 *	c = cluster_new(base, &cfg);
 *	cluster_connect(c, ready, arg);	ready(c, CORE_OK, "", arg) later
 *	... cluster_execute(c, ...) (request.h) ...
 *	cluster_close(c, closed, arg);	closed(c, arg) once drained
 *	cluster_free(c);
 *
 * The ready callback runs once: when the control connection has read
 * system.local and the peers (and the schema, when metadata is enabled),
 * and the pools of LOCAL hosts are opening; or with an error when no
 * contact point could be reached (the cluster keeps trying in the
 * background on the reconnection schedule, and requests made meanwhile
 * fail with CORE_ENOHOSTS).
 *
 * Hosts are discovered and dropped while running (system.peers, events);
 * each gets a pool sized by its load-balancing distance (IGNORED hosts
 * none).  Listeners registered on cluster_listeners() hear every host's
 * up/down/add/remove (prepared.c re-prepares on up; the service logs).
 *
 * Everything runs on the one event_base; nothing here is thread-safe.
 */
#ifndef CQLP_CLUSTER_H
#define CQLP_CLUSTER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "pool.h"
#include "policy.h"
#include "result.h"

struct event_base;
struct token_map;
struct schema;
struct cluster;
struct stmt;

/* Defaults (driver-defaults.md, the Python driver 3.25). */
#define CLUSTER_PORT_DEFAULT			9042
#define CLUSTER_PAGE_SIZE_DEFAULT		5000
#define CLUSTER_REQUEST_TIMEOUT_MS		10000
#define CLUSTER_TOPOLOGY_WINDOW_MS		10000
#define CLUSTER_STATUS_WINDOW_MS		2000
#define CLUSTER_SCHEMA_WINDOW_MS		2000
#define CLUSTER_SCHEMA_AGREEMENT_MS		10000
#define CLUSTER_CONTROL_TIMEOUT_MS		2000
#define CLUSTER_MAX_CONTACT_POINTS		256
/*
 * Most hosts a cluster holds: the control host and up to this many - 1
 * peers.  A node that lists more in system.peers(_v2) (broken or
 * hostile) has the rest ignored, with a warning at most once a minute,
 * so it cannot make the core allocate or open pools without bound.
 * Peers rows repeating an address, or naming the control host itself,
 * are ignored too (system.local describes the control host).
 */
#define CLUSTER_MAX_HOSTS			4096

struct cluster_config {
	/* Numeric addresses ("127.0.0.1", "::1"); copied. */
	const char *const	*contact_points;
	size_t			 ncontact_points;
	uint16_t		 port;		/* native port of every node */
	const char		*local_dc;	/* NULL: lb.local_dc, then the
						   first contact point's */
	uint8_t			 protocol_version;	/* 0: negotiate */
	struct pool_config	 pool;		/* conn settings, reconnect
						   schedule (pool.reconnect
						   also paces the control
						   connection) */
	struct lb_options	 lb;
	enum retry_policy_kind	 retry;
	struct spec_policy	 speculative;
	uint16_t		 consistency;		/* CL_LOCAL_ONE */
	uint16_t		 serial_consistency;	/* 0: none sent */
	int32_t			 page_size;		/* 5000; <= 0 no paging */
	int			 request_timeout_ms;	/* 10 s; <= 0 none */
	int			 control_timeout_ms;	/* system table reads */
	/* Events are hints, debounced: refresh once per window. */
	int			 topology_window_ms;
	int			 status_window_ms;
	int			 schema_window_ms;
	int			 schema_agreement_wait_ms;	/* 0: no wait */
	int			 client_timestamps;	/* 1 */
	int			 metadata_enabled;	/* full schema (1) */
};
void		 cluster_config_default(struct cluster_config *);

/*
 * Counters, monotonic since cluster_new (the service reads the struct
 * directly).
 */
struct cluster_metrics {
	uint64_t	 requests;		/* cluster_execute calls */
	uint64_t	 completed;		/* callbacks with CORE_OK */
	uint64_t	 errors;		/* callbacks with an error */
	uint64_t	 errors_by_kind[CORE_NERRORS];
	/* Server errors seen by attempts (retried ones included). */
	uint64_t	 read_timeouts;
	uint64_t	 write_timeouts;
	uint64_t	 unavailables;
	uint64_t	 overloaded;
	uint64_t	 other_server_errors;
	uint64_t	 connection_errors;	/* attempts lost with their conn */
	uint64_t	 client_timeouts;	/* request timeouts fired */
	uint64_t	 retries;		/* attempts the retry policy made */
	uint64_t	 ignores;		/* errors the policy ignored */
	uint64_t	 speculative;		/* speculative executions started */
	uint64_t	 unprepared;		/* UNPREPARED answers re-prepared */
	uint64_t	 reconnects;		/* pools that came back up */
	uint64_t	 host_downs;		/* pools that went down */
	uint64_t	 control_reconnects;	/* control connection moves */
	uint64_t	 topology_refreshes;	/* system.peers re-reads */
	uint64_t	 schema_refreshes;	/* schema (re)loads */
	uint64_t	 events;		/* EVENT frames received */
	uint64_t	 schema_agreement_timeouts;
	uint64_t	 busy;			/* hosts passed over as busy */
};

typedef void	(*cluster_ready_cb)(struct cluster *, enum core_error,
		     const char *why, void *);
typedef void	(*cluster_closed_cb)(struct cluster *, void *);

/* NULL with *why (static) if the configuration is unusable. */
struct cluster	*cluster_new(struct event_base *, const struct cluster_config *,
		     const char **why);
/* Start; the ready callback runs once, later (never inside this call). */
void		 cluster_connect(struct cluster *, cluster_ready_cb, void *);
/*
 * Graceful close: new requests fail with CORE_ESHUTDOWN, requests in
 * flight finish (or time out), then pools and the control connection
 * close and done(c, arg) runs.  Call cluster_free afterwards (it may be
 * called from done).
 */
void		 cluster_close(struct cluster *, cluster_closed_cb, void *);
/*
 * Free now: requests still in flight get CORE_ESHUTDOWN (their callbacks
 * run inside).  Not from a request callback: see request.h.
 */
void		 cluster_free(struct cluster *);
/*
 * Send the requests queued to nodes during this loop turn now (they go
 * at the end of the turn anyway).  For a caller about to wake other
 * processes, such as its own clients, that may take the CPU from it.
 */
void		 cluster_flush(struct cluster *);

/*
 * Apply a new configuration while running (a reload), without
 * reconnecting: request defaults (consistency, page size, timeout, retry
 * and speculative policies, client timestamps), schema agreement wait,
 * event windows and the control query timeout take effect for the next
 * request or event; heartbeats change on open connections, the connect
 * timeout for new ones; pools grow or shrink within the new sizes and
 * follow the new reconnection schedule; a changed load-balancing
 * configuration (kind, token_aware, local_dc, used_hosts_per_remote_dc,
 * shuffle_replicas, allow/deny lists) builds a new policy over the current
 * hosts and swaps it in (plans in flight finish on the old one), and host
 * distances are computed again: a host now IGNORED has its pool closed
 * once its requests in flight end, a host now used gets a pool.
 *
 * An empty local_dc keeps the DC learnt at start (the first contact
 * point's) when it was learnt; when it replaces a configured one, it is
 * learnt again from the control connection's host.
 *
 * Kept from the running configuration, whatever new says (they need a
 * new cluster object): contact points, port, protocol version, the
 * credentials and CQL version of STARTUP, metadata_enabled.
 *
 * 0 on success.  -1 if new is invalid: nothing changed and *why (if why
 * is not NULL) is an allocated reason for the caller to free.
 */
int		 cluster_reconfigure(struct cluster *,
		     const struct cluster_config *, char **why);

struct event_base *cluster_base(struct cluster *);
const struct cluster_config *cluster_get_config(struct cluster *);
/* The protocol version settled on (0 before the first connection). */
uint8_t		 cluster_version(struct cluster *);
/* 1 once the ready callback reported CORE_OK. */
int		 cluster_is_ready(struct cluster *);

/* Listeners for every host's up/down/add/remove (host.h). */
struct host_listeners *cluster_listeners(struct cluster *);
/* The known hosts (valid until the next loop turn); *n their number. */
struct host *const *cluster_hosts(struct cluster *, size_t *n);
struct host	*cluster_find_host(struct cluster *, const struct sockaddr *,
		     socklen_t);
/* A host by numeric address ("127.0.0.2", port: the cluster's). */
struct host	*cluster_find_host_name(struct cluster *, const char *);
/* The host's pool, NULL for IGNORED hosts (and unknown ones). */
struct pool	*cluster_pool(struct cluster *, struct host *);
/* The host the control connection is on, NULL while it has none. */
struct host	*cluster_control_host(struct cluster *);
struct lb_policy *cluster_lb(struct cluster *);
/* The current token map (NULL before topology is known). */
const struct token_map *cluster_token_map(struct cluster *);
struct cluster_metrics *cluster_metrics(struct cluster *);
/*
 * The current schema snapshot (schema.h), borrowed: schema_ref() it to
 * keep it past the next loop turn.  With metadata disabled it holds the
 * keyspaces only.  NULL before the first load.
 */
const struct schema *cluster_schema(struct cluster *);
/* Increments each time the schema snapshot changes (0: never loaded). */
uint64_t	 cluster_schema_generation(struct cluster *);

/*
 * Re-preparing on UNPREPARED (request.h).  The hook is asked to prepare
 * the statement on host h and to call done(done_arg, ok) later (never from
 * inside the hook); it returns 0 if it took the job, -1 if the core should
 * re-prepare by itself.  stmt is the EXECUTE (id, query, keyspace in
 * request_opts passed as keyspace, which may be NULL).
 */
typedef void	(*cluster_reprepared_cb)(void *done_arg, int ok);
typedef int	(*cluster_unprepared_fn)(struct cluster *, struct host *,
		     const struct stmt *, const char *keyspace,
		     cluster_reprepared_cb done, void *done_arg, void *arg);
void		 cluster_set_unprepared_hook(struct cluster *,
		     cluster_unprepared_fn, void *);

/*
 * Schema agreement: poll the schema_version of system.local and
 * system.peers (up hosts only) until all agree or wait_ms passes (0:
 * config's); cb(agreed, arg) later.
 */
typedef void	(*cluster_agreement_cb)(struct cluster *, int, void *);
void		 cluster_wait_schema_agreement(struct cluster *, int wait_ms,
		     cluster_agreement_cb, void *);

/*
 * Listeners on schema changes the control connection applied (after the
 * snapshot was refreshed): target "KEYSPACE", "TABLE", ...; name NULL for
 * keyspaces.  Returns an id for cluster_schema_listener_remove.
 */
typedef void	(*cluster_schema_fn)(struct cluster *, const char *target,
		     const char *keyspace, const char *name, void *);
int		 cluster_schema_listener_add(struct cluster *,
		     cluster_schema_fn, void *);
void		 cluster_schema_listener_remove(struct cluster *, int);

#endif
