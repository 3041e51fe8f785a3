/*
 * pool.c: a host's connections: keep the core open, grow under load,
 * shrink when idle, refuse beyond capacity, reconnect in the background.
 */
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "frame.h"
#include "host.h"
#include "conn.h"
#include "reconnect.h"
#include "pool.h"
#include "clock.h"

struct pool_entry {
	struct conn	*conn;
	uint64_t	 last_used_ms;
};

/* How often a draining pool looks whether its last requests ended. */
#define POOL_DRAIN_POLL_MS	50
/* How often a retiring connection is looked at while it still has work. */
#define POOL_RETIRE_POLL_MS	100

struct pool {
	struct event_base	*base;
	struct host		*host;
	struct pool_config	 config;
	struct pool_cbs		 cbs;
	uint8_t			 version;
	int			 up;		/* reported UP, not DOWN since */
	int			 freeing;
	int			 active;	/* pool_connect called, not ignored */
	int			 draining;	/* pool_drain: closing when idle */
	uint64_t		 drain_deadline;
	void			(*drained)(struct pool *, void *);
	void			*drained_arg;

	struct pool_entry	*v;
	size_t			 n;
	size_t			 size;

	struct reconnect	*rc;
	struct event		*ev_shrink;
	struct event		*ev_retire;
};

static void	pool_conn_ready(struct conn *, enum conn_error, void *);
static void	pool_conn_closed(struct conn *, enum conn_error, void *);
static void	pool_reconnect_cb(void *);
static void	pool_shrink_cb(evutil_socket_t, short, void *);
static void	pool_retire_cb(evutil_socket_t, short, void *);

void
pool_config_default(struct pool_config *pc)
{
	memset(pc, 0, sizeof *pc);
	pc->core_local = POOL_CORE_LOCAL;
	pc->max_local = POOL_MAX_LOCAL;
	pc->core_remote = POOL_CORE_REMOTE;
	pc->max_remote = POOL_MAX_REMOTE;
	pc->max_inflight = POOL_MAX_INFLIGHT;
	pc->grow_threshold = POOL_GROW_THRESHOLD;
	pc->idle_close_ms = POOL_IDLE_CLOSE_MS;
	conn_config_default(&pc->conn);
	reconnect_policy_default(&pc->reconnect);
}

/* Core and max for the host's distance now. */
static void
pool_limits(struct pool *p, int *core, int *max)
{
	switch (p->host->distance) {
	case HOST_LOCAL:
		*core = p->config.core_local;
		*max = p->config.max_local;
		break;
	case HOST_REMOTE:
		*core = p->config.core_remote;
		*max = p->config.max_remote;
		break;
	default:
		*core = *max = 0;
		break;
	}
	if (*max < *core)
		*max = *core;
}

/*
 * Bring the limits into a consistent order: max_inflight within the
 * streams, threshold within max_inflight.
 */
static void
pool_config_clamp(struct pool_config *pc)
{
	if (pc->max_inflight <= 0 || pc->max_inflight > FRAME_MAX_STREAMS)
		pc->max_inflight = FRAME_MAX_STREAMS;
	if (pc->conn.max_streams <= 0 ||
	    pc->conn.max_streams > FRAME_MAX_STREAMS)
		pc->conn.max_streams = FRAME_MAX_STREAMS;
	if (pc->max_inflight > pc->conn.max_streams)
		pc->max_inflight = pc->conn.max_streams;
	if (pc->grow_threshold <= 0 || pc->grow_threshold > pc->max_inflight)
		pc->grow_threshold = pc->max_inflight;
}

struct pool *
pool_new(struct event_base *base, struct host *h,
    const struct pool_config *pc, const struct pool_cbs *cbs)
{
	struct pool	*p;

	p = xcalloc(1, sizeof *p);
	p->base = base;
	p->host = host_ref(h);
	p->config = *pc;
	pool_config_clamp(&p->config);
	if (cbs != NULL)
		p->cbs = *cbs;
	p->version = pc->conn.version;
	/* Our own copies: the caller's configuration may go away. */
	if (pc->conn.cql_version != NULL)
		p->config.conn.cql_version = xstrdup(pc->conn.cql_version);
	if (pc->conn.username != NULL)
		p->config.conn.username = xstrdup(pc->conn.username);
	if (pc->conn.password != NULL)
		p->config.conn.password = xstrdup(pc->conn.password);
	p->rc = reconnect_new(base, &p->config.reconnect, pool_reconnect_cb,
	    p);
	p->ev_shrink = evtimer_new(base, pool_shrink_cb, p);
	p->ev_retire = evtimer_new(base, pool_retire_cb, p);
	if (p->ev_shrink == NULL || p->ev_retire == NULL)
		fatalx("evtimer_new failed");
	return (p);
}

/* The pool's memory, a loop turn after pool_free. */
static void
pool_free_now(evutil_socket_t fd, short events, void *arg)
{
	struct pool	*p = arg;

	reconnect_free(p->rc);
	event_free(p->ev_shrink);
	event_free(p->ev_retire);
	free(p->v);
	free((char *)p->config.conn.cql_version);
	free((char *)p->config.conn.username);
	if (p->config.conn.password != NULL)
		explicit_bzero((char *)p->config.conn.password,
		    strlen(p->config.conn.password));
	free((char *)p->config.conn.password);
	host_unref(p->host);
	free(p);
}

/* Forget one entry (the connection is freed by the caller). */
static void
pool_remove(struct pool *p, struct conn *c)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		if (p->v[i].conn == c) {
			p->v[i] = p->v[--p->n];
			return;
		}
	}
}

/* Close every connection quietly (their requests get CONN_ECLOSED). */
static void
pool_close_all(struct pool *p)
{
	struct conn	*c;

	while (p->n > 0) {
		c = p->v[p->n - 1].conn;
		p->n--;
		conn_free(c);
	}
}

/* Safe from the pool's own callbacks: the memory goes a loop turn later. */
void
pool_free(struct pool *p)
{
	struct timeval	tv = { 0, 0 };

	if (p == NULL || p->freeing)
		return;
	p->freeing = 1;
	p->active = 0;
	p->draining = 0;
	reconnect_cancel(p->rc);
	evtimer_del(p->ev_shrink);
	evtimer_del(p->ev_retire);
	pool_close_all(p);
	if (event_base_once(p->base, -1, EV_TIMEOUT, pool_free_now, p,
	    &tv) != 0)
		fatalx("event_base_once failed");
}

int
pool_size(struct pool *p)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < p->n; i++) {
		if (conn_state(p->v[i].conn) == CONN_READY)
			n++;
	}
	return (n);
}

int
pool_opening(struct pool *p)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < p->n; i++) {
		if (conn_state(p->v[i].conn) != CONN_READY)
			n++;
	}
	return (n);
}

int
pool_inflight(struct pool *p)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < p->n; i++)
		n += conn_inflight(p->v[i].conn);
	return (n);
}

/*
 * A request that timed out keeps its stream id until its answer comes,
 * so that a late answer is not taken for another request's.  A node that
 * never answers some requests (while answering heartbeats) would fill a
 * connection with such ids and leave the host refusing everything as
 * busy.  A connection with three quarters of max_inflight held so is
 * retired, as the Python driver does: given no new requests, closed once
 * its live ones are answered, and replaced.
 */
static int
pool_retiring(struct pool *p, struct conn *c)
{
	int	limit = p->config.max_inflight * 3 / 4;

	return (conn_orphans(c) >= (limit > 0 ? limit : 1));
}

static void
pool_retire_arm(struct pool *p, int ms)
{
	struct timeval	tv;

	if (evtimer_pending(p->ev_retire, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->ev_retire, &tv);
}

/* Start one more connection. */
static void
pool_open(struct pool *p)
{
	struct conn_cbs	 cbs;
	struct conn	*c;

	memset(&cbs, 0, sizeof cbs);
	cbs.ready = pool_conn_ready;
	cbs.closed = pool_conn_closed;
	cbs.arg = p;
	p->config.conn.version = p->version;
	c = conn_new(p->base, p->host, &p->config.conn, &cbs);
	if (p->n == p->size) {
		p->size = p->size ? p->size * 2 : 4;
		p->v = xreallocarray(p->v, p->size, sizeof *p->v);
	}
	p->v[p->n].conn = c;
	p->v[p->n].last_used_ms = conn_now_ms();
	p->n++;
	log_debug("pool %s: opening a connection (%zu)", p->host->name, p->n);
	conn_connect(c);
}

/*
 * Bring the pool up to its core size.  While the host is down only one
 * attempt runs at a time: no point knocking with several.
 */
static void
pool_fill(struct pool *p)
{
	int	core, max, ready, opening;

	if (!p->active || p->freeing)
		return;
	pool_limits(p, &core, &max);
	ready = pool_size(p);
	opening = pool_opening(p);
	if (ready == 0) {
		if (opening == 0 && core > 0)
			pool_open(p);
		return;
	}
	while (ready + opening < core) {
		pool_open(p);
		opening++;
	}
}

/* The host is gone: say so once and start knocking on the schedule. */
static void
pool_down(struct pool *p, enum conn_error e)
{
	uint64_t	ms;

	if (pool_size(p) > 0 || pool_opening(p) > 0)
		return;
	if (p->up || p->host->state != HOST_DOWN) {
		p->up = 0;
		log_info("pool %s: host down (%s)", p->host->name,
		    conn_error_name(e));
		host_set_state(p->host, HOST_DOWN);
		if (p->cbs.down != NULL)
			p->cbs.down(p, e, p->cbs.arg);
		if (p->freeing || !p->active)
			return;
	}
	ms = reconnect_schedule(p->rc);
	log_debug("pool %s: reconnecting in %llu ms", p->host->name,
	    (unsigned long long)ms);
}

static void
pool_shrink_arm(struct pool *p)
{
	struct timeval	tv;
	int		ms = p->config.idle_close_ms;

	if (ms <= 0 || evtimer_pending(p->ev_shrink, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->ev_shrink, &tv);
}

/* A connection finished its handshake or failed it. */
static void
pool_conn_ready(struct conn *c, enum conn_error e, void *arg)
{
	struct pool	*p = arg;

	if (e != CONN_OK) {
		log_debug("pool %s: connect failed: %s", p->host->name,
		    conn_why(c));
		pool_remove(p, c);
		conn_free(c);
		if (pool_size(p) == 0)
			pool_down(p, e);
		else
			reconnect_schedule(p->rc);
		return;
	}
	p->version = conn_version(c);
	reconnect_reset(p->rc);
	if (!p->up) {
		p->up = 1;
		log_info("pool %s: host up (protocol v%u)", p->host->name,
		    p->version);
		host_set_state(p->host, HOST_UP);
		if (p->cbs.up != NULL)
			p->cbs.up(p, p->cbs.arg);
		if (p->freeing)
			return;
	}
	pool_fill(p);
	pool_shrink_arm(p);
}

/* A ready connection was lost: forget it, maybe mark the host down. */
static void
pool_conn_closed(struct conn *c, enum conn_error e, void *arg)
{
	struct pool	*p = arg;

	log_info("pool %s: connection lost: %s", p->host->name, conn_why(c));
	pool_remove(p, c);
	conn_free(c);
	if (p->draining)
		return;		/* the drain timer sees it */
	if (pool_size(p) == 0)
		pool_down(p, e);
	else
		reconnect_schedule(p->rc);
}

/* The reconnection timer fired. */
static void
pool_reconnect_cb(void *arg)
{
	pool_fill(arg);
}

static void	pool_drain_check(struct pool *);

/*
 * Close extra connections nobody used for idle_close_ms, and (over_max)
 * idle ones above the maximum at once.
 */
static void
pool_shrink(struct pool *p, int over_max)
{
	struct conn	*c;
	uint64_t	 now = conn_now_ms();
	size_t		 i;
	int		 core, max, ready;

	pool_limits(p, &core, &max);
	ready = pool_size(p);
	for (i = 0; i < p->n && ready > core; /* nothing */) {
		c = p->v[i].conn;
		if (conn_state(c) == CONN_READY && conn_inflight(c) == 0 &&
		    (ready > max || (!over_max && now - p->v[i].last_used_ms >=
		    (uint64_t)p->config.idle_close_ms))) {
			log_debug("pool %s: closing an idle connection",
			    p->host->name);
			p->v[i] = p->v[--p->n];
			conn_free(c);
			ready--;
			continue;
		}
		i++;
	}
	if (ready > core)
		pool_shrink_arm(p);
}

/* Close the retiring connections whose live requests are all answered. */
static void
pool_retire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pool	*p = arg;
	struct conn	*c;
	size_t		 i;
	int		 closed = 0, waiting = 0;

	if (!p->active || p->freeing || p->draining)
		return;
	for (i = 0; i < p->n; /* nothing */) {
		c = p->v[i].conn;
		if (conn_state(c) != CONN_READY || !pool_retiring(p, c)) {
			i++;
			continue;
		}
		if (conn_inflight(c) > conn_orphans(c)) {
			waiting++;
			i++;
			continue;
		}
		log_info("pool %s: replacing a connection: %d requests never "
		    "answered", p->host->name, conn_orphans(c));
		p->v[i] = p->v[--p->n];
		conn_free(c);
		closed++;
	}
	if (waiting > 0)
		pool_retire_arm(p, POOL_RETIRE_POLL_MS);
	if (closed > 0)
		pool_fill(p);
}

static void
pool_shrink_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pool	*p = arg;

	if (p->draining)
		pool_drain_check(p);
	else
		pool_shrink(p, 0);
}

void
pool_connect(struct pool *p)
{
	if (p->freeing)
		return;
	p->active = 1;
	if (p->host->distance == HOST_IGNORED)
		return;
	pool_fill(p);
}

/*
 * Least busy wins; past the threshold grow in the background; at the cap
 * refuse rather than queue.
 */
enum conn_error
pool_acquire(struct pool *p, struct conn **cp)
{
	struct conn	*c;
	size_t		 i, best = 0;
	int		 core, max, n, bestn = -1, retiring = 0;

	*cp = NULL;
	if (p->freeing || !p->active)
		return (CONN_ECLOSED);
	for (i = 0; i < p->n; i++) {
		if (conn_state(p->v[i].conn) != CONN_READY)
			continue;
		if (pool_retiring(p, p->v[i].conn)) {
			retiring++;
			continue;
		}
		n = conn_inflight(p->v[i].conn);
		if (bestn == -1 || n < bestn) {
			best = i;
			bestn = n;
		}
	}
	pool_limits(p, &core, &max);
	if (retiring > 0) {
		pool_retire_arm(p, 0);
		/* Its replacement may open now if there is room for it. */
		if (bestn == -1 && pool_opening(p) == 0 && (int)p->n < max)
			pool_open(p);
	}
	if (bestn == -1)
		return (CONN_ECLOSED);
	c = p->v[best].conn;
	p->v[best].last_used_ms = clock_turn_ms(p->base);
	if (bestn >= p->config.grow_threshold && (int)p->n < max) {
		log_debug("pool %s: growing (%d in flight)", p->host->name,
		    bestn);
		pool_open(p);
		pool_shrink_arm(p);
	}
	if (bestn >= p->config.max_inflight || conn_available(c) == 0)
		return (CONN_EBUSY);
	*cp = c;
	return (CONN_OK);
}

enum conn_error
pool_send(struct pool *p, const struct msg *m, uint8_t flags, int timeout_ms,
    conn_cb cb, void *arg, struct conn **cp, uint64_t *id)
{
	struct conn	*c;
	enum conn_error	 e;

	if (cp != NULL)
		*cp = NULL;
	if ((e = pool_acquire(p, &c)) != CONN_OK)
		return (e);
	if ((e = conn_send(c, m, flags, timeout_ms, cb, arg, id)) != CONN_OK)
		return (e);
	if (cp != NULL)
		*cp = c;
	return (CONN_OK);
}

/* An ignored host holds no connections and is not retried. */
void
pool_set_distance(struct pool *p, enum host_distance d)
{
	host_set_distance(p->host, d);
	if (d == HOST_IGNORED) {
		reconnect_cancel(p->rc);
		pool_close_all(p);
		p->up = 0;
		return;
	}
	pool_fill(p);
	pool_shrink_arm(p);
}

/* Skip the remaining backoff when someone knows the host is back. */
void
pool_reconnect_now(struct pool *p)
{
	if (!p->active || p->freeing || pool_size(p) > 0 ||
	    pool_opening(p) > 0)
		return;
	reconnect_cancel(p->rc);
	pool_fill(p);
}

void
pool_set_version(struct pool *p, uint8_t v)
{
	p->version = v;
}

struct host *
pool_host(struct pool *p)
{
	return (p->host);
}

uint8_t
pool_version(struct pool *p)
{
	return (p->version);
}

int
pool_is_up(struct pool *p)
{
	return (pool_size(p) > 0);
}

uint64_t
pool_reconnect_attempts(struct pool *p)
{
	return (reconnect_attempts(p->rc));
}

/*
 * A reload: sizes, thresholds, timeouts and the reconnection schedule
 * change in place.  Connections open stay (extra idle ones above a lower
 * maximum close now, busy ones when idle); heartbeats follow at once; a
 * pending reconnection is rescheduled on the new schedule.
 */
void
pool_set_config(struct pool *p, const struct pool_config *pc)
{
	struct reconnect	*rc;
	size_t			 i;
	int			 pending;

	p->config.core_local = pc->core_local;
	p->config.max_local = pc->max_local;
	p->config.core_remote = pc->core_remote;
	p->config.max_remote = pc->max_remote;
	p->config.max_inflight = pc->max_inflight;
	p->config.grow_threshold = pc->grow_threshold;
	p->config.idle_close_ms = pc->idle_close_ms;
	p->config.conn.connect_timeout_ms = pc->conn.connect_timeout_ms;
	p->config.conn.request_timeout_ms = pc->conn.request_timeout_ms;
	p->config.conn.heartbeat_interval_ms = pc->conn.heartbeat_interval_ms;
	p->config.conn.heartbeat_timeout_ms = pc->conn.heartbeat_timeout_ms;
	pool_config_clamp(&p->config);
	for (i = 0; i < p->n; i++)
		conn_set_heartbeat(p->v[i].conn, pc->conn.heartbeat_interval_ms,
		    pc->conn.heartbeat_timeout_ms);
	if (memcmp(&p->config.reconnect, &pc->reconnect,
	    sizeof pc->reconnect) != 0) {
		p->config.reconnect = pc->reconnect;
		pending = reconnect_pending(p->rc);
		rc = reconnect_new(p->base, &p->config.reconnect,
		    pool_reconnect_cb, p);
		reconnect_free(p->rc);
		p->rc = rc;
		if (pending)
			reconnect_schedule(p->rc);
	}
	if (!p->active || p->freeing || p->draining)
		return;
	evtimer_del(p->ev_shrink);
	pool_fill(p);
	pool_shrink(p, 1);
	pool_shrink_arm(p);
}

/* Every request answered (timed-out ones aside), or the time is up. */
static void
pool_drain_check(struct pool *p)
{
	struct timeval	 tv;
	struct conn	*c;
	size_t		 i;
	int		 live = 0;

	for (i = 0; i < p->n; i++) {
		c = p->v[i].conn;
		live += conn_inflight(c) - conn_orphans(c);
	}
	if (live > 0 && conn_now_ms() < p->drain_deadline) {
		tv.tv_sec = 0;
		tv.tv_usec = POOL_DRAIN_POLL_MS * 1000;
		evtimer_add(p->ev_shrink, &tv);
		return;
	}
	log_debug("pool %s: drained (%d request%s cut)", p->host->name, live,
	    live == 1 ? "" : "s");
	p->draining = 0;
	if (p->drained != NULL)
		p->drained(p, p->drained_arg);
	pool_free(p);
}

/*
 * Close gracefully (the host left the policy): no new requests, nothing
 * reopened or reported; connections close once their requests are
 * answered, or after max_ms.  Then done(p, arg) runs and the pool frees
 * itself.  pool_free before that cancels the drain (done does not run).
 */
void
pool_drain(struct pool *p, int max_ms, void (*done)(struct pool *, void *),
    void *arg)
{
	struct timeval	 tv = { 0, 0 };
	struct conn	*c;
	size_t		 i;

	if (p->freeing || p->draining)
		return;
	p->draining = 1;
	p->active = 0;
	p->drained = done;
	p->drained_arg = arg;
	p->drain_deadline = conn_now_ms() + (uint64_t)(max_ms > 0 ? max_ms : 0);
	memset(&p->cbs, 0, sizeof p->cbs);
	reconnect_cancel(p->rc);
	evtimer_del(p->ev_shrink);
	/* Connections still opening carry nothing: they go now. */
	for (i = 0; i < p->n; /* nothing */) {
		c = p->v[i].conn;
		if (conn_state(c) != CONN_READY) {
			p->v[i] = p->v[--p->n];
			conn_free(c);
			continue;
		}
		i++;
	}
	log_debug("pool %s: draining %zu connection%s", p->host->name, p->n,
	    p->n == 1 ? "" : "s");
	evtimer_add(p->ev_shrink, &tv);
}
