/*
 * pool.h: the connections to one host.
 *
 *	p = pool_new(base, host, &config, &cbs);
 *	pool_connect(p);		cbs.up(p, arg) when the first is ready
 *	if (pool_acquire(p, &c) == CONN_OK)
 *		conn_send(c, ...);
 *	pool_free(p);
 *
 * A pool keeps `core` connections open (per the host's distance) and grows
 * up to `max` when the least busy connection carries more than
 * grow_threshold requests; extra connections idle for idle_close_ms are
 * closed again.  No connection is given more than max_inflight requests:
 * when every one is that busy pool_acquire says CONN_EBUSY at once rather
 * than queueing, so the caller can try the next host.
 *
 * Defaults (pool_config_default) follow the Java driver 3.x for protocol
 * v3+, the most explicit of the drivers about it: local hosts 1 core and
 * up to 2 connections (the second opens past 800 in flight on the first),
 * remote hosts 1 and 1, 1024 requests per connection at most.  With 32768
 * stream ids available per connection the cap is about fairness to the
 * node, not the wire.
 *
 * When the last open connection is lost (or the first connect fails) the
 * host is marked DOWN (host_set_state: listeners hear it), cbs.down runs and
 * reconnection starts in the background on the reconnect schedule, forever.
 * When a connection is ready again the host is marked UP and cbs.up runs.
 * The protocol version the first connection settles on is kept and used
 * for the next ones (pool_version); pool_set_version seeds it.
 *
 * The configuration is copied (strings included) by pool_new.
 * pool_free may be called from the pool's own callbacks (memory goes on a
 * later loop turn); requests in flight get CONN_ECLOSED.
 */
#ifndef CQLP_POOL_H
#define CQLP_POOL_H

#include <stdint.h>

#include "conn.h"
#include "host.h"
#include "reconnect.h"

struct event_base;
struct msg;

#define POOL_CORE_LOCAL		1
#define POOL_MAX_LOCAL		2
#define POOL_CORE_REMOTE	1
#define POOL_MAX_REMOTE		1
#define POOL_MAX_INFLIGHT	1024
#define POOL_GROW_THRESHOLD	800
#define POOL_IDLE_CLOSE_MS	60000

struct pool_config {
	int			 core_local;	/* connections kept open */
	int			 max_local;	/* grown up to */
	int			 core_remote;
	int			 max_remote;
	int			 max_inflight;	/* per connection */
	int			 grow_threshold;
	int			 idle_close_ms;	/* extra connections idle this long close */
	struct conn_config	 conn;
	struct reconnect_policy	 reconnect;
};
void		 pool_config_default(struct pool_config *);

struct pool;

/* Any may be NULL. */
struct pool_cbs {
	/* A connection is ready and the host was not up: it is UP now. */
	void	(*up)(struct pool *, void *);
	/* No connection left (or none could be made): host DOWN, retrying. */
	void	(*down)(struct pool *, enum conn_error, void *);
	void	*arg;
};

struct pool	*pool_new(struct event_base *, struct host *,
		     const struct pool_config *, const struct pool_cbs *);
void		 pool_free(struct pool *);
/* Open the core connections (nothing for an IGNORED host). */
void		 pool_connect(struct pool *);
/*
 * The least busy ready connection: CONN_OK and *c set; CONN_EBUSY if every
 * connection is at max_inflight; CONN_ECLOSED if none is ready (host down
 * or still connecting).
 */
enum conn_error	 pool_acquire(struct pool *, struct conn **);
/* pool_acquire then conn_send; *c (if not NULL) says which connection. */
enum conn_error	 pool_send(struct pool *, const struct msg *, uint8_t flags,
		     int timeout_ms, conn_cb, void *, struct conn **,
		     uint64_t *id);
/*
 * New settings (a reload; strings and the protocol version are kept):
 * resize within the new bounds, heartbeats and reconnection follow.
 */
void		 pool_set_config(struct pool *, const struct pool_config *);
/*
 * Close gracefully: refuse new requests at once, let those in flight be
 * answered (for up to max_ms), then done(p, arg) and free itself; the up
 * and down callbacks no longer run and the host's state is left alone.
 */
void		 pool_drain(struct pool *, int max_ms,
		     void (*done)(struct pool *, void *), void *);
/* Follow a distance change: resize, or close everything for IGNORED. */
void		 pool_set_distance(struct pool *, enum host_distance);
/* Try to reconnect now (a STATUS_CHANGE UP event, say) if down. */
void		 pool_reconnect_now(struct pool *);
void		 pool_set_version(struct pool *, uint8_t);

struct host	*pool_host(struct pool *);
uint8_t		 pool_version(struct pool *);
/* Ready connections, and connections still connecting. */
int		 pool_size(struct pool *);
int		 pool_opening(struct pool *);
/* Requests in flight over every connection. */
int		 pool_inflight(struct pool *);
/* 1 while at least one connection is ready. */
int		 pool_is_up(struct pool *);
/* Reconnection attempts since the host was last up. */
uint64_t	 pool_reconnect_attempts(struct pool *);

#endif
