/*
 * conn.h: one connection to one Cassandra node.
 *
 * The API is asynchronous and single-threaded (one event_base):
 *
 *	c = conn_new(base, host, &config, &cbs);
 *	conn_connect(c);		cbs.ready(c, CONN_OK, arg) later
 *	conn_send(c, &msg, 0, 0, done, arg, NULL);
 *					done(c, CONN_OK, &answer, arg) later
 *	conn_free(c);
 *
 * Connecting opens TCP (non-blocking, connect_timeout_ms covers TCP and the
 * whole handshake), sends OPTIONS (the SUPPORTED answer is kept, see
 * conn_supported), then STARTUP, and answers AUTHENTICATE with the
 * PasswordAuthenticator's PLAIN token when credentials are configured.  The
 * first version tried is config.version (PROTO_MAX when 0); a protocol error
 * (0x000A) about the version makes it reconnect one version lower, down to
 * PROTO_MIN.  conn_version() gives the version chosen: remember it for the
 * cluster and start the next connections there.
 *
 * Requests: any number may be in flight, one per stream id (at most
 * config.max_streams).  Requests queued during one turn of the event loop
 * leave in one write.  Every request that conn_send accepted gets exactly
 * one callback, never from inside conn_send itself: the answer
 * (CONN_OK, or CONN_ESERVER with the ERROR msg), CONN_ETIMEOUT, CONN_ECLOSED
 * when the connection is lost or freed first, or CONN_EPROTO when the
 * answer could not be decoded.  The msg is valid only during the callback
 * (its slices point into the frame body): copy what you keep.  A request
 * whose timeout fired keeps its stream id until the late answer arrives
 * (dropped) or the connection closes, so a late answer is never mistaken
 * for a newer request's.
 *
 * When idle (nothing read for heartbeat_interval_ms) the connection sends
 * OPTIONS; if that fails or gets no answer within heartbeat_timeout_ms the
 * connection closes: cbs.closed runs, then every in-flight request fails
 * with CONN_ECLOSED so its caller may retry elsewhere.
 *
 * Freeing: conn_free() may be called anywhere, including from this
 * connection's own callbacks; the memory is released on a later loop turn.
 * Requests still in flight get CONN_ECLOSED; cbs.ready/closed do not run
 * for a connection its owner freed.
 *
 * Writes use send(MSG_NOSIGNAL): no SIGPIPE from here.
 */
#ifndef CQLP_CONN_H
#define CQLP_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct event_base;
struct host;
struct msg;
struct msg_supported;

/* What became of a request or a connection. */
enum conn_error {
	CONN_OK = 0,
	CONN_ESERVER,	/* the node answered ERROR: the msg is that error */
	CONN_ETIMEOUT,	/* no answer within the timeout */
	CONN_ECLOSED,	/* the connection closed first (lost, freed or not open) */
	CONN_ECONNECT,	/* connecting or the handshake failed */
	CONN_EPROTO,	/* the peer broke the protocol (bad frame or body) */
	CONN_EBUSY,	/* overloaded: no free stream id (try another conn/host) */
	CONN_EENCODE	/* the request cannot be encoded (too big, wrong version) */
};
const char	*conn_error_name(enum conn_error);

/*
 * The life of a connection; only conn_set_state (conn.c) changes it and an
 * impossible change is fatal.
 */
enum conn_state {
	CONN_NEW = 0,	/* made by conn_new; no socket yet */
	CONN_CONNECTING,/* TCP connect in progress; connect timer running */
	CONN_OPTIONS,	/* OPTIONS sent; waiting for SUPPORTED */
	CONN_STARTUP,	/* STARTUP sent; waiting for READY or AUTHENTICATE */
	CONN_AUTH,	/* credentials sent; waiting for AUTH_SUCCESS */
	CONN_READY,	/* open: requests and heartbeats flow */
	CONN_CLOSED	/* socket closed, every request answered; only conn_free */
};
#define CONN_NSTATES	(CONN_CLOSED + 1)
const char	*conn_state_name(enum conn_state);
/* 1 if a connection may go from one state to the other. */
int		 conn_state_valid(enum conn_state, enum conn_state);

/* Defaults, from the Python driver 3.25 (see driver-defaults.md). */
#define CONN_CONNECT_TIMEOUT_MS		5000
#define CONN_REQUEST_TIMEOUT_MS		10000
#define CONN_HEARTBEAT_INTERVAL_MS	30000
#define CONN_HEARTBEAT_TIMEOUT_MS	30000
#define CONN_CQL_VERSION		"3.0.0"

struct conn_config {
	int		 connect_timeout_ms;	/* TCP + handshake, > 0 */
	int		 request_timeout_ms;	/* default per request; <= 0 none */
	int		 heartbeat_interval_ms;	/* <= 0: no heartbeats */
	int		 heartbeat_timeout_ms;
	uint32_t	 max_body;	/* largest frame body read or written */
	int		 max_streams;	/* 1..FRAME_MAX_STREAMS */
	uint8_t		 version;	/* first version to try; 0: PROTO_MAX */
	const char	*cql_version;	/* STARTUP CQL_VERSION (copied) */
	const char	*username;	/* copied; NULL: no credentials */
	const char	*password;
};
void		 conn_config_default(struct conn_config *);

struct conn;

/* The connection's own events; any may be NULL. */
struct conn_cbs {
	/* Handshake done (CONN_OK) or failed: then the conn is CLOSED. */
	void	(*ready)(struct conn *, enum conn_error, void *);
	/* A READY connection closed by an error or by the peer. */
	void	(*closed)(struct conn *, enum conn_error, void *);
	/* An EVENT frame (after conn_register); msg valid during the call. */
	void	(*event)(struct conn *, struct msg *, void *);
	void	*arg;
};

/* A request's answer; msg is NULL unless CONN_OK or CONN_ESERVER. */
typedef void	(*conn_cb)(struct conn *, enum conn_error, struct msg *,
		     void *);

struct conn	*conn_new(struct event_base *, struct host *,
		     const struct conn_config *, const struct conn_cbs *);
void		 conn_free(struct conn *);
void		 conn_set_cbs(struct conn *, const struct conn_cbs *);
/* Start connecting (CONN_NEW only); the result comes through cbs.ready. */
void		 conn_connect(struct conn *);
/* Close now, without cbs.closed; in-flight requests get CONN_ECLOSED. */
void		 conn_close(struct conn *);
/*
 * New heartbeat settings (a configuration reload): the idle timer restarts
 * with the new interval (<= 0 stops heartbeats); timeout_ms <= 0 keeps the
 * current timeout.  A heartbeat in flight keeps its own timeout.
 */
void		 conn_set_heartbeat(struct conn *, int interval_ms,
		     int timeout_ms);

/*
 * Send a request (READY only).  flags are frame flags the caller wants
 * (FRAME_FLAG_TRACING); timeout_ms 0 means config.request_timeout_ms and
 * < 0 none.  CONN_OK: cb will run once.  Anything else: cb never runs.
 * *id (if not NULL) names the request for conn_cancel.
 */
enum conn_error	 conn_send(struct conn *, const struct msg *, uint8_t flags,
		     int timeout_ms, conn_cb, void *, uint64_t *id);
/* Write now what every connection queued this turn (cluster_flush). */
void		 conn_flush_queued(void);
/*
 * Forget a request: its callback will not run.  Its stream stays reserved
 * until the answer comes.  0, or -1 if it already finished.
 */
int		 conn_cancel(struct conn *, uint64_t);
/* REGISTER for events (TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE). */
enum conn_error	 conn_register(struct conn *, const char *const *, size_t,
		     conn_cb, void *);

enum conn_state	 conn_state(struct conn *);
struct host	*conn_host(struct conn *);
/* The version in use (READY), or being tried. */
uint8_t		 conn_version(struct conn *);
/* What the node said to OPTIONS during the handshake; NULL before. */
const struct msg_supported *conn_supported(struct conn *);
/* Requests holding a stream id: awaiting an answer, or timed out. */
int		 conn_inflight(struct conn *);
/* Timed-out requests whose stream id is still reserved. */
int		 conn_orphans(struct conn *);
/* Streams this connection may still hand out. */
int		 conn_available(struct conn *);
/* Why the connection failed or closed, for logs; "" when it has not. */
const char	*conn_why(struct conn *);
/* Monotonic milliseconds of the last frame read (or of connecting). */
uint64_t	 conn_last_activity(struct conn *);

/* Counters since conn_new, for metrics and tests. */
struct conn_stats {
	uint64_t	 writes;	/* send calls: frames coalesce into few */
	uint64_t	 frames_out;
	uint64_t	 frames_in;
	uint64_t	 bytes_out;
	uint64_t	 bytes_in;
	uint64_t	 timeouts;	/* requests that timed out */
	uint64_t	 late;		/* answers after their timeout */
	uint64_t	 meta_hits;	/* rows metadata found decoded */
	uint64_t	 meta_misses;	/* rows metadata decoded */
};
const struct conn_stats *conn_stats(struct conn *);

/*
 * The stream id allocator (exposed for tests).  Ids are handed out from a
 * free list; ids never used are taken in order, so the tables grow only as
 * deep as the connection is busy.  An orphaned id is neither free nor in
 * use by a live request.
 */
enum stream_state {
	STREAM_FREE = 0,
	STREAM_BUSY,	/* a request waits on it */
	STREAM_ORPHAN	/* its request timed out or was cancelled */
};
struct streams {
	uint8_t		*state;	/* per id, enum stream_state */
	void		**data;	/* per id, the owner's pointer */
	uint16_t	*free;	/* stack of released ids */
	size_t		 nfree;
	size_t		 fresh;	/* ids >= fresh were never handed out */
	size_t		 size;	/* entries allocated in the arrays */
	size_t		 max;
	size_t		 busy;
	size_t		 orphans;
};
void		 streams_init(struct streams *, size_t max);
void		 streams_clear(struct streams *);
/* A free id, now BUSY with data; -1 if none is left. */
int		 streams_get(struct streams *, void *data);
/* BUSY or ORPHAN -> FREE. */
void		 streams_put(struct streams *, int);
/* BUSY -> ORPHAN. */
void		 streams_orphan(struct streams *, int);
enum stream_state streams_state(const struct streams *, int);
void		*streams_data(const struct streams *, int);
size_t		 streams_available(const struct streams *);

/* Monotonic clock in milliseconds. */
uint64_t	 conn_now_ms(void);

#endif
