/*
 * control.h: the control connection (control.c) and the parts of the
 * cluster (cluster.c) it drives.  Private to the core: the service uses
 * cluster.h.
 *
 * The control connection is one connection to one live host.  It reads
 * system.local and system.peers_v2 (or system.peers) into host
 * descriptions, the schema (system_schema.*) into snapshots, registers for
 * events and turns them into debounced refreshes, and answers schema
 * agreement checks.  It hands what it learns to the cluster through the
 * cluster_control_* functions below; the cluster owns hosts, pools, the
 * token map and the schema pointer.
 */
#ifndef CQLP_CONTROL_H
#define CQLP_CONTROL_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

struct conn;
struct schema;

/* A node as system.local / system.peers describe it. */
struct control_host_info {
	struct sockaddr_storage	 addr;		/* native address and port */
	socklen_t		 addrlen;
	char			*dc;
	char			*rack;
	char			*release_version;
	uint8_t			 host_id[16];
	int			 has_host_id;
	uint8_t			 schema_version[16];
	int			 has_schema_version;
	int64_t			*tokens;
	size_t			 ntokens;
};
void		 control_host_info_clear(struct control_host_info *);

struct control;

struct control	*control_new(struct cluster *);
void		 control_free(struct control *);
/* Find a host and open the control connection (also after losing it). */
void		 control_start(struct control *);
/* The configuration changed: follow heartbeat and reconnection. */
void		 control_reconfigure(struct control *);
/* The host the connection is on, NULL while none is open. */
struct host	*control_host(struct control *);
/* A host was dropped from the cluster: move if it was ours. */
void		 control_host_removed(struct control *, struct host *);
/* Poll schema versions until they agree or wait_ms pass. */
void		 control_wait_agreement(struct control *, int wait_ms,
		     cluster_agreement_cb, void *);

/*
 * After a DDL answer: wait for agreement, then refresh the changed
 * target at once (no debounce window) and call back when the snapshot
 * has it; target/ks/name as the SCHEMA_CHANGE result gives them.
 */
void		 control_schema_sync(struct control *, int wait_ms,
		     const char *target, const char *ks, const char *name,
		     const char *const *args, size_t nargs,
		     cluster_agreement_cb, void *);

/* cluster.c, for control.c */

/* Hosts to try for the control connection, in order (caller frees *out). */
size_t		 cluster_control_candidates(struct cluster *,
		     struct host ***out);
/* The control connection is open on a host: remember its version. */
void		 cluster_control_connected(struct cluster *, struct conn *);
/*
 * The whole topology was read: hosts[0] is system.local's (the control
 * host), the rest the peers.  Hosts not listed are removed, new ones
 * added (pools opened), metadata updated, the token map rebuilt.
 */
void		 cluster_control_topology(struct cluster *, struct host *ctl,
		     struct control_host_info *, size_t);
/* A new schema snapshot (taken over); the token map follows keyspaces. */
void		 cluster_control_schema(struct cluster *, struct schema *);
/* A schema change was applied (for cluster_schema_listener_add). */
void		 cluster_control_schema_event(struct cluster *,
		     const char *target, const char *ks, const char *name);
/* The first full load finished (ok) or no contact point answered. */
void		 cluster_control_loaded(struct cluster *, int ok,
		     const char *why);
/* A STATUS_CHANGE for a known host (up 1, down 0). */
void		 cluster_control_status(struct cluster *, struct host *, int);

/* cluster.c, for request.c */

TAILQ_HEAD(request_list, request);
/* The requests in flight (request.c links them in and out). */
struct request_list *cluster_requests(struct cluster *);
/* 1 once cluster_close or cluster_free began: refuse new requests. */
int		 cluster_closing(struct cluster *);
/* Never the same for two clusters, even one allocated where one was. */
uint64_t	 cluster_serial(struct cluster *);
/*
 * Requests that wait ms milliseconds for their answer, in deadline order
 * (they are added as they start), behind one timer armed for the first
 * deadline or an earlier one (request.c's; it makes ev on first use).
 * Adding or removing a request is a list operation, not a timer's.
 */
TAILQ_HEAD(request_tolist, request);
struct request_timeouts {
	struct request_tolist	 list;
	struct event		*ev;		/* NULL until first used */
	int			 armed;		/* ev is pending */
	int			 ms;
	struct cluster		*c;
};
/* The queue for ms (> 0); NULL when the few kept are all in use. */
struct request_timeouts *cluster_request_timeouts(struct cluster *, int);
/* A request left the list: a graceful close may be complete. */
void		 cluster_request_gone(struct cluster *);
/* control_schema_sync through the cluster (wait_ms 0: the config's). */
void		 cluster_schema_sync(struct cluster *,
		     const struct result_schema_change *, cluster_agreement_cb,
		     void *);
/* The next client-side timestamp (microseconds). */
int64_t		 cluster_next_timestamp(struct cluster *);
/* The hook set by cluster_set_unprepared_hook (fn NULL when none). */
void		 cluster_unprepared_hook(struct cluster *,
		     cluster_unprepared_fn *, void **);

/* request.c, for cluster.c: end a request at once with this error. */
void		 request_abort(struct request *, enum core_error);

#endif
