/*
 * mock.h: cqlmock, an in-memory multi-node Cassandra 4.0 cluster on loopback.
 * One process, one libevent base: node i listens on 127.0.0.i:port, clients
 * speak the native protocol (v3/v4) to it, a control socket takes JSON lines
 * that stop, start, add, remove nodes and inject faults. The CQL itself is
 * the engine's business (engine/db.h); this side is the wire and the cluster.
 */
#ifndef CQLMOCK_MOCK_H
#define CQLMOCK_MOCK_H

#include <sys/queue.h>
#include <sys/time.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

struct event_base;
struct event;
struct evconnlistener;
struct bufferevent;
struct evbuffer;
struct db;
struct db_result;
struct json_t;
struct sockaddr;
struct frame_header;

#define MOCK_MAX_NODES		64	/* the engine's DB_MAX_NODES */
#define MOCK_RELEASE_VERSION	"4.0.0"
#define MOCK_CQL_VERSION	"3.4.5"
#define MOCK_CLUSTER_NAME	"cqlmock"
#define MOCK_PARTITIONER	"org.apache.cassandra.dht.Murmur3Partitioner"

/* Default caps; see the README for the options that change them. */
#define MOCK_MAX_BODY_DEFAULT	(256U * 1024 * 1024)
#define MOCK_OUT_HIGH		(4U * 1024 * 1024)	/* stop reading above */
#define MOCK_DOWN_DELAY_MS	100	/* stop/kill: connections close first */
#define MOCK_OUT_CAP_DEFAULT	(64U * 1024 * 1024)	/* close above */

/* rng.c */
struct rng {
	uint64_t	s[4];
};
void		 rng_seed(struct rng *, uint64_t);
uint64_t	 rng_next(struct rng *);
void		 rng_uuid4(struct rng *, uint8_t[16]);
void		 uuid_timeuuid(struct rng *, uint8_t[16]);
int64_t		 uuid_time_ms(const uint8_t[16]);
void		 uuid_format(const uint8_t[16], char[37]);
uint64_t	 now_ms(void);

/* fault.c: per node, errors and delays injected through the control socket. */
enum fault_kind {
	FAULT_UNAVAILABLE = 0,
	FAULT_READ_TIMEOUT,
	FAULT_WRITE_TIMEOUT,
	FAULT_OVERLOADED,
	FAULT_IS_BOOTSTRAPPING,
	FAULT_UNPREPARED,
	FAULT_SERVER_ERROR,
	FAULT_READ_FAILURE,
	FAULT_WRITE_FAILURE,
	FAULT_TRUNCATE_ERROR,
	FAULT_SYNTAX_ERROR,
	FAULT_INVALID
};
struct fault {
	enum fault_kind	 kind;
	int		 count;		/* left; -1 for until cleared */
	char		*match;		/* lower case, or NULL for all */
	char		*write_type;	/* NULL: by statement */
	char		*message;	/* NULL: Cassandra's text */
	TAILQ_ENTRY(fault) entry;
};
TAILQ_HEAD(faults, fault);
struct delay {
	unsigned	 ms;		/* 0: none */
	char		*match;		/* lower case, or NULL for all answers */
};
int		 fault_kind_parse(const char *, enum fault_kind *);
const char	*fault_kind_name(enum fault_kind);
int		 fault_text_matches(const char *, const char *, size_t);
void		 fault_free(struct fault *);
void		 fault_clear(struct faults *);

/* stats.c */
struct node_stats {
	uint64_t	 ops[256];	/* requests by opcode */
	uint64_t	 replica;	/* statements on a replica of their partition */
	uint64_t	 non_replica;
	uint64_t	 no_partition;	/* no single partition (or LocalStrategy) */
	uint64_t	 faults;	/* injected errors answered */
	uint64_t	 delayed;	/* answers held back by a delay */
	uint64_t	 protocol_errors;
	uint64_t	 connections;	/* accepted, total */
};
void		 stats_reset(struct node_stats *);
struct json_t	*stats_json(const struct node_stats *);

/* node.c */
enum node_state {
	NODE_UP,	/* listening; its clients are served */
	NODE_DOWN,	/* stopped or killed: no listener, no clients */
	NODE_REMOVED	/* left the ring; its id is never reused */
};
struct prepared {
	uint8_t		 id[16];
	char		*query;		/* as the client sent it */
	uint32_t	 handle;	/* the engine's */
	struct prepared	*next;		/* hash chain */
};
#define NODE_PREPARED_BUCKETS	256
struct session;
TAILQ_HEAD(sessions, session);
struct node {
	struct cluster	*cluster;
	int		 id;		/* 1-based; address 127.0.0.id */
	int		 index;		/* 0-based, the engine's node index */
	char		 addr[32];
	uint8_t		 ip[4];
	char		*dc;
	char		*rack;
	uint8_t		 host_id[16];
	int64_t		*tokens;	/* sorted */
	size_t		 ntokens;
	enum node_state	 state;
	struct evconnlistener *listener;
	struct event	*down_ev;	/* DOWN the others will push */
	struct sessions	 sessions;
	struct prepared	*prepared[NODE_PREPARED_BUCKETS];
	size_t		 nprepared;
	struct faults	 faults;
	struct delay	 delay;
	struct node_stats stats;
};
int		 node_listen(struct node *);
void		 node_unlisten(struct node *);
void		 node_close_sessions(struct node *, int);
struct prepared	*node_prepared_find(struct node *, const uint8_t[16]);
struct prepared	*node_prepared_add(struct node *, const uint8_t[16],
		     const char *, uint32_t);
void		 node_prepared_forget(struct node *, const uint8_t[16]);
void		 node_prepared_clear(struct node *);
void		 node_free(struct node *);

/* cluster.c */
struct cluster_dc {
	char		*name;
	int		 count;
};
struct cluster {
	struct event_base *base;
	struct db	*db;
	struct rng	 rng;
	int		 port;
	int		 racks;
	int		 num_tokens;
	unsigned	 trace_delay_ms;
	size_t		 max_body;
	size_t		 out_cap;
	struct cluster_dc *dcs;
	size_t		 ndcs;
	struct node	*nodes[MOCK_MAX_NODES];
	int		 nnodes;	/* highest id given so far */
};
struct cluster	*cluster_new(struct event_base *, struct cluster_dc *, size_t,
		     int, int, int, uint64_t);
int		 cluster_listen(struct cluster *);
void		 cluster_free(struct cluster *);
struct node	*cluster_node(struct cluster *, int);
struct node	*cluster_add(struct cluster *, const char *, const char **);
int		 cluster_stop(struct cluster *, struct node *, int,
		     const char **);
int		 cluster_start(struct cluster *, struct node *, const char **);
int		 cluster_remove(struct cluster *, struct node *, const char **);
void		 cluster_publish(struct cluster *, struct node *);

/* session.c */
enum session_state {
	SESSION_NEW,	/* connected: only OPTIONS and STARTUP served */
	SESSION_READY,	/* STARTUP answered: every request served */
	SESSION_CLOSED	/* off its node's list; freed on the next loop turn */
};
struct pending {	/* an answer a delay holds back */
	struct session	*s;
	struct event	*ev;
	uint8_t		*data;
	size_t		 len;
	TAILQ_ENTRY(pending) entry;
};
struct session {
	struct node	*node;
	struct cluster	*cluster;
	struct bufferevent *bev;
	enum session_state state;
	uint8_t		 version;	/* 0 until the first good frame */
	char		*keyspace;	/* USE'd, or NULL */
	int		 events;	/* EVENT_* registered */
	int		 paused;	/* reading stopped: too much queued */
	struct wbuf	 w;		/* the answer being built */
	TAILQ_HEAD(, pending) pending;
	size_t		 pending_bytes;
	uint8_t		 peer_ip[4];
	int		 peer_port;
	char		 peer[64];	/* for logs */
	TAILQ_ENTRY(session) entry;
};
void		 session_accept(struct node *, int, const struct sockaddr *,
		     int);
void		 session_ready(struct session *);
void		 session_close(struct session *);
void		 session_close_flush(struct session *);
void		 session_send(struct session *, const void *, size_t);
void		 session_reply(struct session *, unsigned);
void		 session_protocol_error(struct session *, uint8_t, uint8_t,
		     int16_t, const char *, ...)
		     __attribute__((__format__(__printf__, 5, 6)));
void		 session_set_keyspace(struct session *, const char *);
int		 session_registered(struct session *, int);
void		 session_read_resume(struct session *);
void		 session_shutdown(void);

/* request.c */
void		 request_frame(struct session *, const struct frame_header *,
		     const uint8_t *, size_t);

/* events.c */
#define EVENT_TOPOLOGY	0x01
#define EVENT_STATUS	0x02
#define EVENT_SCHEMA	0x04
int		 events_parse(const char *, size_t);
void		 events_topology(struct cluster *, struct node *, const char *);
void		 events_status(struct cluster *, struct node *, const char *);
void		 events_schema(struct cluster *, const char *, const char *,
		     const char *, const char *, const char **, size_t);

/* control.c */
int		 control_open(struct cluster *, const char *);
void		 control_close(void);

/* trace.c */
struct trace;
struct trace	*trace_begin(struct session *, const char *);
const uint8_t	*trace_id(const struct trace *);
void		 trace_param(struct trace *, const char *, const char *);
void		 trace_event(struct trace *, const char *, ...)
		     __attribute__((__format__(__printf__, 2, 3)));
void		 trace_finish(struct trace *);
void		 trace_shutdown(void);

#endif
