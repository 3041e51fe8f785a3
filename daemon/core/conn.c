/*
 * conn.c: one connection to one node: connect, handshake with version
 * negotiation, requests multiplexed over stream ids with timeouts,
 * coalesced writes, heartbeats and events.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/queue.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "host.h"
#include "conn.h"
#include "clock.h"

/* Bytes read from the socket per read call and per wakeup. */
#define CONN_READ_CHUNK		65536
/* The input buffer is kept between reads up to this size. */
#define CONN_RBUF_KEEP		(2 * CONN_READ_CHUNK)
#define CONN_READ_BUDGET	(1024 * 1024)
#define CONN_WRITE_IOV		64
/* The encoding buffer is kept between requests up to this size. */
#define CONN_WBUF_KEEP		(1024 * 1024)

/* One request waiting for its answer; owned by its stream slot. */
struct conn_req {
	struct conn	*conn;
	uint64_t	 id;		/* sequence << 16 | stream */
	int		 stream;
	conn_cb		 cb;
	void		*arg;
	int		 timed;
	struct event	 timer;
};

/* Answered requests kept for reuse: one per request is a lot of mallocs. */
static struct freelist	conn_req_fl = FREELIST_INITIALIZER(256, 0, NULL);

static struct conn_req *
conn_req_new(void)
{
	struct conn_req	*req;

	if ((req = freelist_get(&conn_req_fl)) == NULL)
		return (xcalloc(1, sizeof *req));
	/* The timer is assigned when set (timed): only what precedes it. */
	memset(req, 0, offsetof(struct conn_req, timer));
	return (req);
}

/* Its timer is stopped (or was never set). */
static void
conn_req_free(struct conn_req *req)
{
	freelist_put(&conn_req_fl, req);
}

struct conn {
	struct event_base	*base;
	struct host		*host;
	struct conn_config	 config;	/* strings are our copies */
	struct conn_cbs		 cbs;
	enum conn_state		 state;
	uint8_t			 version;
	int			 freeing;

	int			 fd;
	unsigned int		 gen;		/* bumped when a socket closes */
	int			 connect_errno;	/* failed before the event loop */
	struct event		*ev_connect;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_flush;	/* once per turn, when queued */
	struct event		*ev_defer;	/* reports early connect errors */
	struct event		*ev_timeout;	/* connect + handshake */
	struct event		*ev_heartbeat;
	int			 flush_pending;
	TAILQ_ENTRY(conn)	 flush_entry;	/* on conn_flushq when pending */
	/*
	 * Input: bytes read and not yet parsed are in[ioff..ilen).  Frames
	 * are dispatched from where they lie; the memory is only moved or
	 * freed by the next read, never during a dispatch.
	 */
	uint8_t			*in;
	size_t			 ioff;
	size_t			 ilen;
	size_t			 isize;
	struct evbuffer		*out;
	struct wbuf		 wb;

	struct streams		 streams;
	uint64_t		 seq;
	int			 heartbeat_inflight;
	uint64_t		 last_read_ms;

	/* The frame being dispatched, so SUPPORTED can be kept. */
	const struct frame_header *frame_hdr;
	const uint8_t		*frame_body;

	struct msg		 supported;
	uint8_t			*supported_body;
	int			 has_supported;

	struct conn_stats	 stats;
	char			 why[256];

	/* Rows metadata of recent answers, decoded once (msg.h). */
	struct colset_cache	 colsets;
};

/* Connections with output queued this turn (conn_flush_queued). */
static TAILQ_HEAD(, conn) conn_flushq = TAILQ_HEAD_INITIALIZER(conn_flushq);

static const char *conn_error_names[] = {
	"ok", "server error", "timeout", "connection closed", "connect failed",
	"protocol error", "busy", "cannot encode request"
};

static const char *conn_state_names[] = {
	"NEW", "CONNECTING", "OPTIONS", "STARTUP", "AUTH", "READY", "CLOSED"
};

/*
 * Allowed state changes.  Back to CONNECTING from OPTIONS/STARTUP is the
 * protocol version step-down (a new socket); CLOSED is reachable from
 * everywhere but itself.
 */
static const uint8_t conn_transitions[CONN_NSTATES][CONN_NSTATES] = {
	/* from NEW */		{ [CONN_CONNECTING] = 1, [CONN_CLOSED] = 1 },
	/* from CONNECTING */	{ [CONN_OPTIONS] = 1, [CONN_CLOSED] = 1 },
	/* from OPTIONS */	{ [CONN_STARTUP] = 1, [CONN_CONNECTING] = 1,
				  [CONN_CLOSED] = 1 },
	/* from STARTUP */	{ [CONN_AUTH] = 1, [CONN_READY] = 1,
				  [CONN_CONNECTING] = 1, [CONN_CLOSED] = 1 },
	/* from AUTH */		{ [CONN_READY] = 1, [CONN_CLOSED] = 1 },
	/* from READY */	{ [CONN_CLOSED] = 1 },
	/* from CLOSED */	{ 0 }
};

static void	conn_fail(struct conn *, enum conn_error, const char *, ...)
		    printflike(3, 4);
static enum conn_error conn_queue(struct conn *, const struct msg *, uint8_t,
		    int, conn_cb, void *, uint64_t *);
static void	conn_open(struct conn *);
static void	conn_send_options(struct conn *);

const char *
conn_error_name(enum conn_error e)
{
	if ((size_t)e >= nitems(conn_error_names))
		return ("unknown error");
	return (conn_error_names[e]);
}

const char *
conn_state_name(enum conn_state s)
{
	if ((size_t)s >= nitems(conn_state_names))
		return ("?");
	return (conn_state_names[s]);
}

int
conn_state_valid(enum conn_state from, enum conn_state to)
{
	if ((size_t)from >= CONN_NSTATES || (size_t)to >= CONN_NSTATES)
		return (0);
	return (conn_transitions[from][to]);
}

/* The only place the state changes: a wrong change is a bug here. */
static void
conn_set_state(struct conn *c, enum conn_state s)
{
	if (!conn_state_valid(c->state, s))
		fatalx("conn %s: impossible state change %s -> %s",
		    c->host->name, conn_state_name(c->state),
		    conn_state_name(s));
	log_trace("conn %s: %s -> %s", c->host->name,
	    conn_state_name(c->state), conn_state_name(s));
	c->state = s;
}

uint64_t
conn_now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		fatal("clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
conn_ms_to_tv(int ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* Stream ids. */

void
streams_init(struct streams *s, size_t max)
{
	memset(s, 0, sizeof *s);
	if (max == 0 || max > FRAME_MAX_STREAMS)
		max = FRAME_MAX_STREAMS;
	s->max = max;
}

void
streams_clear(struct streams *s)
{
	size_t	max = s->max;

	free(s->state);
	free(s->data);
	free(s->free);
	streams_init(s, max);
}

/* Grow the tables (doubling) so id fits. */
static void
streams_grow(struct streams *s, size_t id)
{
	size_t	n;

	if (id < s->size)
		return;
	n = s->size ? s->size : 64;
	while (n <= id)
		n *= 2;
	if (n > s->max)
		n = s->max;
	s->state = xrealloc(s->state, n);
	memset(s->state + s->size, STREAM_FREE, n - s->size);
	s->data = xreallocarray(s->data, n, sizeof *s->data);
	memset(s->data + s->size, 0, (n - s->size) * sizeof *s->data);
	s->free = xreallocarray(s->free, n, sizeof *s->free);
	s->size = n;
}

/* Released ids first, so the tables stay as small as the peak load. */
int
streams_get(struct streams *s, void *data)
{
	size_t	id;

	if (s->nfree > 0)
		id = s->free[--s->nfree];
	else if (s->fresh < s->max) {
		id = s->fresh++;
		streams_grow(s, id);
	} else
		return (-1);
	if (s->state[id] != STREAM_FREE)
		fatalx("%s: stream %zu is not free", __func__, id);
	s->state[id] = STREAM_BUSY;
	s->data[id] = data;
	s->busy++;
	return ((int)id);
}

/* An id comes back only when its answer (or the connection's end) came. */
void
streams_put(struct streams *s, int id)
{
	if (id < 0 || (size_t)id >= s->fresh)
		fatalx("%s: stream %d was never handed out", __func__, id);
	switch (s->state[id]) {
	case STREAM_BUSY:
		s->busy--;
		break;
	case STREAM_ORPHAN:
		s->orphans--;
		break;
	default:
		fatalx("%s: stream %d is already free", __func__, id);
	}
	s->state[id] = STREAM_FREE;
	s->data[id] = NULL;
	s->free[s->nfree++] = (uint16_t)id;
}

/* Timed out: keep the id out of use so a late answer cannot be misread. */
void
streams_orphan(struct streams *s, int id)
{
	if (id < 0 || (size_t)id >= s->fresh || s->state[id] != STREAM_BUSY)
		fatalx("%s: stream %d is not busy", __func__, id);
	s->state[id] = STREAM_ORPHAN;
	s->data[id] = NULL;
	s->busy--;
	s->orphans++;
}

enum stream_state
streams_state(const struct streams *s, int id)
{
	if (id < 0 || (size_t)id >= s->fresh)
		return (STREAM_FREE);
	return (s->state[id]);
}

void *
streams_data(const struct streams *s, int id)
{
	if (id < 0 || (size_t)id >= s->fresh)
		return (NULL);
	return (s->data[id]);
}

size_t
streams_available(const struct streams *s)
{
	return (s->max - s->busy - s->orphans);
}

/* Connections. */

void
conn_config_default(struct conn_config *cf)
{
	memset(cf, 0, sizeof *cf);
	cf->connect_timeout_ms = CONN_CONNECT_TIMEOUT_MS;
	cf->request_timeout_ms = CONN_REQUEST_TIMEOUT_MS;
	cf->heartbeat_interval_ms = CONN_HEARTBEAT_INTERVAL_MS;
	cf->heartbeat_timeout_ms = CONN_HEARTBEAT_TIMEOUT_MS;
	cf->max_body = FRAME_MAX_BODY_DEFAULT;
	cf->max_streams = FRAME_MAX_STREAMS;
	cf->version = 0;
	cf->cql_version = CONN_CQL_VERSION;
}

static char *
conn_strdup(const char *s)
{
	return (s == NULL ? NULL : xstrdup(s));
}

static void	conn_flush_cb(evutil_socket_t, short, void *);
static void	conn_defer_cb(evutil_socket_t, short, void *);
static void	conn_timeout_cb(evutil_socket_t, short, void *);
static void	conn_heartbeat_cb(evutil_socket_t, short, void *);

/* Sanitise the configuration once, so the rest of the file can trust it. */
struct conn *
conn_new(struct event_base *base, struct host *h,
    const struct conn_config *cf, const struct conn_cbs *cbs)
{
	struct conn	*c;

	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->host = host_ref(h);
	c->config = *cf;
	if (c->config.connect_timeout_ms <= 0)
		c->config.connect_timeout_ms = CONN_CONNECT_TIMEOUT_MS;
	if (c->config.heartbeat_timeout_ms <= 0)
		c->config.heartbeat_timeout_ms = CONN_HEARTBEAT_TIMEOUT_MS;
	if (c->config.max_body == 0)
		c->config.max_body = FRAME_MAX_BODY_DEFAULT;
	if (c->config.max_body > INT32_MAX)
		c->config.max_body = INT32_MAX;
	if (c->config.max_streams <= 0 ||
	    c->config.max_streams > FRAME_MAX_STREAMS)
		c->config.max_streams = FRAME_MAX_STREAMS;
	if (c->config.version < PROTO_MIN || c->config.version > PROTO_MAX)
		c->config.version = PROTO_MAX;
	c->config.cql_version = conn_strdup(cf->cql_version == NULL ?
	    CONN_CQL_VERSION : cf->cql_version);
	c->config.username = conn_strdup(cf->username);
	c->config.password = conn_strdup(cf->password);
	if (cbs != NULL)
		c->cbs = *cbs;
	c->state = CONN_NEW;
	c->version = c->config.version;
	c->fd = -1;
	c->out = evbuffer_new();
	if (c->out == NULL)
		fatalx("evbuffer_new failed");
	wbuf_init(&c->wb, FRAME_HEADER_LEN + (size_t)c->config.max_body);
	streams_init(&c->streams, c->config.max_streams);
	c->ev_flush = event_new(base, -1, 0, conn_flush_cb, c);
	c->ev_defer = event_new(base, -1, 0, conn_defer_cb, c);
	c->ev_timeout = evtimer_new(base, conn_timeout_cb, c);
	c->ev_heartbeat = evtimer_new(base, conn_heartbeat_cb, c);
	if (c->ev_flush == NULL || c->ev_defer == NULL ||
	    c->ev_timeout == NULL || c->ev_heartbeat == NULL)
		fatalx("event_new failed");
	c->last_read_ms = conn_now_ms();
	return (c);
}

void
conn_set_cbs(struct conn *c, const struct conn_cbs *cbs)
{
	c->cbs = *cbs;
}

/* A loop turn after conn_free: no callback of ours is on the stack. */
static void
conn_free_now(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	if (c->flush_pending)
		TAILQ_REMOVE(&conn_flushq, c, flush_entry);
	event_free(c->ev_flush);
	event_free(c->ev_defer);
	event_free(c->ev_timeout);
	event_free(c->ev_heartbeat);
	free(c->in);
	evbuffer_free(c->out);
	wbuf_free(&c->wb);
	streams_clear(&c->streams);
	if (c->has_supported)
		msg_clear(&c->supported);
	free(c->supported_body);
	colset_cache_clear(&c->colsets);
	free((char *)c->config.cql_version);
	free((char *)c->config.username);
	if (c->config.password != NULL)
		explicit_bzero((char *)c->config.password,
		    strlen(c->config.password));
	free((char *)c->config.password);
	host_unref(c->host);
	free(c);
}

/* Safe from any callback: the memory goes a loop turn later. */
void
conn_free(struct conn *c)
{
	struct timeval	tv = { 0, 0 };

	if (c == NULL || c->freeing)
		return;
	c->freeing = 1;
	conn_close(c);
	if (event_base_once(c->base, -1, EV_TIMEOUT, conn_free_now, c,
	    &tv) != 0)
		fatalx("event_base_once failed");
}

/* The owner closing needs no callback about its own decision. */
void
conn_close(struct conn *c)
{
	c->cbs.ready = NULL;
	c->cbs.closed = NULL;
	c->cbs.event = NULL;
	if (c->state != CONN_CLOSED)
		conn_fail(c, CONN_ECLOSED, "closed by its owner");
}

/* Close the socket and forget what was read or queued on it. */
static void
conn_socket_close(struct conn *c)
{
	if (c->ev_connect != NULL) {
		event_free(c->ev_connect);
		c->ev_connect = NULL;
	}
	if (c->ev_read != NULL) {
		event_free(c->ev_read);
		c->ev_read = NULL;
	}
	if (c->ev_write != NULL) {
		event_free(c->ev_write);
		c->ev_write = NULL;
	}
	event_del(c->ev_flush);
	event_del(c->ev_defer);
	if (c->flush_pending)
		TAILQ_REMOVE(&conn_flushq, c, flush_entry);
	c->flush_pending = 0;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->ioff = c->ilen = 0;
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	c->gen++;
}

/* Take every waiting request off its stream and tell it err. */
static void
conn_fail_requests(struct conn *c, enum conn_error err, int quiet)
{
	struct conn_req	*req;
	size_t		 id;

	for (id = 0; id < c->streams.fresh; id++) {
		if (c->streams.state[id] != STREAM_BUSY)
			continue;
		req = c->streams.data[id];
		streams_put(&c->streams, (int)id);
		if (req->timed)
			evtimer_del(&req->timer);
		if (!quiet && req->cb != NULL)
			req->cb(c, err, NULL, req->arg);
		conn_req_free(req);
	}
	streams_clear(&c->streams);
}

/*
 * The one way a connection ends: socket closed, state CLOSED, the owner
 * told (ready or closed callback), then every request failed.
 */
static void
conn_fail(struct conn *c, enum conn_error err, const char *fmt, ...)
{
	enum conn_state	 prev = c->state;
	va_list		 ap;

	if (prev == CONN_CLOSED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	log_debug("conn %s: %s: %s", c->host->name, conn_error_name(err),
	    c->why);
	conn_socket_close(c);
	evtimer_del(c->ev_timeout);
	evtimer_del(c->ev_heartbeat);
	conn_set_state(c, CONN_CLOSED);
	if (prev == CONN_READY) {
		if (c->cbs.closed != NULL)
			c->cbs.closed(c, err, c->cbs.arg);
	} else if (prev != CONN_NEW) {
		if (c->cbs.ready != NULL)
			c->cbs.ready(c, err, c->cbs.arg);
	}
	conn_fail_requests(c, CONN_ECLOSED, 0);
}

/* Writing. */

/* Send what is queued without blocking; -1 with errno on a dead socket. */
static int
conn_write_some(struct conn *c)
{
	struct evbuffer_iovec	 v[CONN_WRITE_IOV];
	struct iovec		 iov[CONN_WRITE_IOV];
	struct msghdr		 mh;
	ssize_t			 n;
	int			 i, nv;

	while (evbuffer_get_length(c->out) > 0) {
		nv = evbuffer_peek(c->out, -1, NULL, v, CONN_WRITE_IOV);
		if (nv > CONN_WRITE_IOV)
			nv = CONN_WRITE_IOV;
		for (i = 0; i < nv; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
		}
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = iov;
		mh.msg_iovlen = nv;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			return (-1);
		}
		c->stats.writes++;
		c->stats.bytes_out += n;
		evbuffer_drain(c->out, n);
	}
	return (0);
}

/* Write, and wait for writability only if the socket pushed back. */
static void
conn_flush(struct conn *c)
{
	if (c->fd == -1 || c->ev_write == NULL)
		return;
	if (conn_write_some(c) == -1) {
		conn_fail(c, CONN_ECLOSED, "write: %s", strerror(errno));
		return;
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->ev_write, NULL);
	else
		event_del(c->ev_write);
}

/* Everything queued this turn goes out in one write. */
static void
conn_flush_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	TAILQ_REMOVE(&conn_flushq, c, flush_entry);
	c->flush_pending = 0;
	conn_flush(c);
}

/*
 * Send what every connection queued this turn now rather than at its
 * place in the turn: a caller about to wake its own clients calls this
 * first, so that the nodes get their work before those clients take the
 * CPU (on a small machine a woken client often preempts us).
 */
void
conn_flush_queued(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&conn_flushq)) != NULL) {
		TAILQ_REMOVE(&conn_flushq, c, flush_entry);
		c->flush_pending = 0;
		event_del(c->ev_flush);
		conn_flush(c);
	}
}

static void
conn_write_cb(evutil_socket_t fd, short events, void *arg)
{
	conn_flush(arg);
}

static void
conn_schedule_flush(struct conn *c)
{
	if (c->flush_pending)
		return;
	c->flush_pending = 1;
	TAILQ_INSERT_TAIL(&conn_flushq, c, flush_entry);
	event_active(c->ev_flush, EV_TIMEOUT, 1);
}

/* Requests. */

/* A request ran out of time: answer its caller now, keep the stream. */
static void
conn_req_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn_req	*req = arg;
	struct conn	*c = req->conn;
	conn_cb		 cb = req->cb;
	void		*cbarg = req->arg;

	log_debug("conn %s: request on stream %d timed out", c->host->name,
	    req->stream);
	c->stats.timeouts++;
	streams_orphan(&c->streams, req->stream);
	conn_req_free(req);
	if (cb != NULL)
		cb(c, CONN_ETIMEOUT, NULL, cbarg);
}

/* Encode a request onto a free stream and queue it (any open state). */
static enum conn_error
conn_queue(struct conn *c, const struct msg *m, uint8_t flags, int timeout_ms,
    conn_cb cb, void *arg, uint64_t *idp)
{
	struct conn_req	*req;
	struct timeval	 tv;
	int		 stream;

	if (c->fd == -1)
		return (CONN_ECLOSED);
	if (streams_available(&c->streams) == 0)
		return (CONN_EBUSY);
	req = conn_req_new();
	stream = streams_get(&c->streams, req);
	if (stream == -1)
		fatalx("%s: no stream though some were available", __func__);
	wbuf_reset(&c->wb);
	flags &= ~(FRAME_FLAG_COMPRESSION | FRAME_FLAG_WARNING);
	if (msg_encode(&c->wb, c->version, 0, (int16_t)stream, flags, m) != 0 ||
	    !wbuf_ok(&c->wb)) {
		streams_put(&c->streams, stream);
		conn_req_free(req);
		return (CONN_EENCODE);
	}
	if (evbuffer_add(c->out, c->wb.p, c->wb.len) != 0)
		fatalx("evbuffer_add failed");
	c->stats.frames_out++;
	if (c->wb.size > CONN_WBUF_KEEP) {
		wbuf_free(&c->wb);
		wbuf_init(&c->wb, FRAME_HEADER_LEN +
		    (size_t)c->config.max_body);
	}
	req->conn = c;
	req->stream = stream;
	req->id = (++c->seq << 16) | (uint64_t)stream;
	req->cb = cb;
	req->arg = arg;
	if (timeout_ms == 0)
		timeout_ms = c->config.request_timeout_ms;
	if (timeout_ms > 0) {
		event_assign(&req->timer, c->base, -1, 0, conn_req_timeout_cb,
		    req);
		conn_ms_to_tv(timeout_ms, &tv);
		evtimer_add(&req->timer, &tv);
		req->timed = 1;
	}
	if (idp != NULL)
		*idp = req->id;
	conn_schedule_flush(c);
	return (CONN_OK);
}

/*
 * Callers may send only on a ready connection; the handshake uses
 * conn_queue.
 */
enum conn_error
conn_send(struct conn *c, const struct msg *m, uint8_t flags, int timeout_ms,
    conn_cb cb, void *arg, uint64_t *idp)
{
	if (c->state != CONN_READY)
		return (CONN_ECLOSED);
	return (conn_queue(c, m, flags, timeout_ms, cb, arg, idp));
}

/*
 * The id carries a sequence number so a reused stream is never
 * cancelled.
 */
int
conn_cancel(struct conn *c, uint64_t id)
{
	struct conn_req	*req;
	int		 stream = (int)(id & 0xffff);

	if (streams_state(&c->streams, stream) != STREAM_BUSY)
		return (-1);
	req = streams_data(&c->streams, stream);
	if (req->id != id)
		return (-1);
	if (req->timed)
		evtimer_del(&req->timer);
	streams_orphan(&c->streams, stream);
	conn_req_free(req);
	return (0);
}

enum conn_error
conn_register(struct conn *c, const char *const *events, size_t n,
    conn_cb cb, void *arg)
{
	struct msg	 m;
	struct slice	*v;
	enum conn_error	 e;
	size_t		 i;

	v = xreallocarray(NULL, n ? n : 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = slice_cstr(events[i]);
	memset(&m, 0, sizeof m);
	m.opcode = OP_REGISTER;
	m.u.reg.events.n = n;
	m.u.reg.events.e = v;
	e = conn_send(c, &m, 0, 0, cb, arg, NULL);
	free(v);
	return (e);
}

/* Reading and dispatch. */

/* Server-initiated frames (negative streams): only EVENT is expected. */
static void
conn_dispatch_event(struct conn *c, const struct frame_header *h,
    const uint8_t *body)
{
	struct msg	m;
	char		err[128];

	if (h->opcode != OP_EVENT || c->state != CONN_READY) {
		log_debug("conn %s: unexpected %s on stream %d",
		    c->host->name, opcode_name(h->opcode), h->stream);
		return;
	}
	if (msg_decode(h->version, h, body, h->length, &m, err,
	    sizeof err) != 0) {
		log_warnx("conn %s: bad EVENT: %s", c->host->name, err);
		return;
	}
	if (c->cbs.event != NULL)
		c->cbs.event(c, &m, c->cbs.arg);
	msg_clear(&m);
}

/* One whole response frame: find its request and answer it. */
static void
conn_dispatch(struct conn *c, const struct frame_header *h,
    const uint8_t *body)
{
	struct conn_req	*req;
	struct msg	 m;
	enum conn_error	 e;
	char		 err[128];

	if (!h->response) {
		conn_fail(c, CONN_EPROTO, "request frame from the server");
		return;
	}
	if (h->flags & FRAME_FLAG_COMPRESSION) {
		conn_fail(c, CONN_EPROTO, "compressed frame not negotiated");
		return;
	}
	if (c->state == CONN_READY && h->version != c->version) {
		conn_fail(c, CONN_EPROTO, "frame version %u on a v%u connection",
		    h->version, c->version);
		return;
	}
	if (h->stream < 0) {
		conn_dispatch_event(c, h, body);
		return;
	}
	switch (streams_state(&c->streams, h->stream)) {
	case STREAM_FREE:
		conn_fail(c, CONN_EPROTO, "answer on unused stream %d",
		    h->stream);
		return;
	case STREAM_ORPHAN:
		log_debug("conn %s: late answer on stream %d dropped",
		    c->host->name, h->stream);
		c->stats.late++;
		streams_put(&c->streams, h->stream);
		return;
	case STREAM_BUSY:
		break;
	}
	req = streams_data(&c->streams, h->stream);
	streams_put(&c->streams, h->stream);
	if (req->timed)
		evtimer_del(&req->timer);
	if (msg_decode_cached(h->version, h, body, h->length, &m,
	    &c->colsets, err, sizeof err) != 0) {
		log_warnx("conn %s: undecodable %s on stream %d: %s",
		    c->host->name, opcode_name(h->opcode), h->stream, err);
		if (req->cb != NULL)
			req->cb(c, CONN_EPROTO, NULL, req->arg);
		conn_req_free(req);
		return;
	}
	e = (m.opcode == OP_ERROR) ? CONN_ESERVER : CONN_OK;
	if (req->cb != NULL)
		req->cb(c, e, &m, req->arg);
	msg_release(&m);
	conn_req_free(req);
}

/* Take every whole frame out of the input buffer. */
static void
conn_parse(struct conn *c)
{
	struct frame_header	 h;
	const uint8_t		*p;
	size_t			 len;
	unsigned int		 gen = c->gen;
	int			 rv;

	while ((len = c->ilen - c->ioff) > 0) {
		p = c->in + c->ioff;
		rv = frame_header_decode(p, len < FRAME_HEADER_LEN ? len :
		    FRAME_HEADER_LEN, &h);
		if (rv > 0)
			return;
		if (rv < 0 || h.version < PROTO_MIN) {
			conn_fail(c, CONN_EPROTO, "bad frame header (version "
			    "byte 0x%02x)", p[0]);
			return;
		}
		if (h.length > c->config.max_body) {
			conn_fail(c, CONN_EPROTO, "frame body of %u bytes is "
			    "over the limit of %u", h.length,
			    c->config.max_body);
			return;
		}
		if (len < FRAME_HEADER_LEN + (size_t)h.length)
			return;
		c->ioff += FRAME_HEADER_LEN + (size_t)h.length;
		c->stats.frames_in++;
		c->frame_body = p + FRAME_HEADER_LEN;
		c->frame_hdr = &h;
		conn_dispatch(c, &h, c->frame_body);
		c->frame_body = NULL;
		c->frame_hdr = NULL;
		if (c->gen != gen || c->state == CONN_CLOSED)
			return;
	}
}

/*
 * Room for want more bytes after what is buffered: move the unparsed
 * bytes to the front, grow if needed.  An empty, big buffer is given back.
 */
static void
conn_in_room(struct conn *c, size_t want)
{
	size_t	used = c->ilen - c->ioff, size;

	if (used == 0) {
		c->ioff = c->ilen = 0;
		if (c->isize > CONN_RBUF_KEEP) {
			free(c->in);
			c->in = NULL;
			c->isize = 0;
		}
	} else if (c->ioff > 0 && c->isize - c->ilen < want) {
		memmove(c->in, c->in + c->ioff, used);
		c->ioff = 0;
		c->ilen = used;
	}
	if (c->isize - c->ilen >= want)
		return;
	size = c->isize == 0 ? CONN_READ_CHUNK : c->isize;
	while (size - c->ilen < want)
		size *= 2;
	c->in = xrealloc(c->in, size);
	c->isize = size;
}

/*
 * Read what has arrived, never holding more than one frame header plus
 * the largest body allowed.  A short read emptied the socket: the read
 * event is level-triggered, so stop there rather than pay a read() that
 * says EAGAIN.
 */
static void
conn_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;
	size_t		 room, total = 0;
	unsigned int	 gen = c->gen;
	ssize_t		 n;

	while (total < CONN_READ_BUDGET) {
		room = FRAME_HEADER_LEN + (size_t)c->config.max_body -
		    (c->ilen - c->ioff);
		if (room > CONN_READ_CHUNK)
			room = CONN_READ_CHUNK;
		if (room == 0) {
			conn_fail(c, CONN_EPROTO, "input buffer full");
			return;
		}
		conn_in_room(c, room);
		n = read(c->fd, c->in + c->ilen, room);
		if (n == 0) {
			conn_fail(c, CONN_ECLOSED, "connection closed by the "
			    "node");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_fail(c, CONN_ECLOSED, "read: %s", strerror(errno));
			return;
		}
		c->ilen += (size_t)n;
		total += (size_t)n;
		c->stats.bytes_in += n;
		c->last_read_ms = clock_turn_ms(c->base);
		conn_parse(c);
		if (c->gen != gen || c->state == CONN_CLOSED)
			return;
		if ((size_t)n < room)
			return;
	}
}

/* Heartbeats. */

static void
conn_heartbeat_arm(struct conn *c, uint64_t ms)
{
	struct timeval	tv;

	if (c->config.heartbeat_interval_ms <= 0)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->ev_heartbeat, &tv);
}

/*
 * A heartbeat that fails means the node is gone: close so callers move
 * on.
 */
static void
conn_heartbeat_done(struct conn *c, enum conn_error e, struct msg *m,
    void *arg)
{
	c->heartbeat_inflight = 0;
	if (e == CONN_OK || e == CONN_ECLOSED || c->state != CONN_READY)
		return;
	conn_fail(c, e == CONN_ETIMEOUT ? CONN_ETIMEOUT : CONN_ECLOSED,
	    "heartbeat failed: %s", conn_error_name(e));
}

/* Idle for the interval: ask the node something small to prove it lives. */
static void
conn_heartbeat_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;
	struct msg	 m;
	uint64_t	 idle, interval;
	enum conn_error	 e;

	if (c->state != CONN_READY)
		return;
	interval = (uint64_t)c->config.heartbeat_interval_ms;
	idle = conn_now_ms() - c->last_read_ms;
	if (idle < interval) {
		conn_heartbeat_arm(c, interval - idle);
		return;
	}
	if (!c->heartbeat_inflight) {
		memset(&m, 0, sizeof m);
		m.opcode = OP_OPTIONS;
		e = conn_queue(c, &m, 0, c->config.heartbeat_timeout_ms,
		    conn_heartbeat_done, NULL, NULL);
		if (e != CONN_OK) {
			conn_fail(c, CONN_ETIMEOUT, "heartbeat not sent: %s",
			    conn_error_name(e));
			return;
		}
		c->heartbeat_inflight = 1;
	}
	conn_heartbeat_arm(c, interval);
}

/* A reload changed the heartbeat: the next one follows the new values. */
void
conn_set_heartbeat(struct conn *c, int interval_ms, int timeout_ms)
{
	c->config.heartbeat_interval_ms = interval_ms;
	if (timeout_ms > 0)
		c->config.heartbeat_timeout_ms = timeout_ms;
	evtimer_del(c->ev_heartbeat);
	/* The callback measures the idle time against the new interval. */
	if (c->state == CONN_READY)
		conn_heartbeat_arm(c, 0);
}

/* Handshake. */

/* Handshake over: requests may flow, heartbeats start. */
static void
conn_ready(struct conn *c)
{
	conn_set_state(c, CONN_READY);
	evtimer_del(c->ev_timeout);
	c->last_read_ms = conn_now_ms();
	conn_heartbeat_arm(c, (uint64_t)c->config.heartbeat_interval_ms);
	log_debug("conn %s: ready, protocol v%u", c->host->name, c->version);
	if (c->cbs.ready != NULL)
		c->cbs.ready(c, CONN_OK, c->cbs.arg);
}

/*
 * A protocol error about the version: start again one version lower on a
 * new socket, as servers may close after refusing.  0 if it stepped down.
 */
static int
conn_step_down(struct conn *c, const struct msg *m, uint8_t answered)
{
	char	*text;
	int	 about_version;

	if (m->u.error.code != ERR_PROTOCOL || c->version <= PROTO_MIN)
		return (-1);
	text = slice_dup(m->u.error.message);
	about_version = strcasestr(text, "version") != NULL;
	free(text);
	if (!about_version && answered == c->version)
		return (-1);
	log_debug("conn %s: v%u refused, trying v%u", c->host->name,
	    c->version, c->version - 1);
	conn_socket_close(c);
	conn_fail_requests(c, CONN_ECLOSED, 1);
	c->version--;
	conn_set_state(c, CONN_CONNECTING);
	conn_open(c);
	return (0);
}

/* A handshake answer that is an ERROR: step down or give up. */
static void
conn_handshake_error(struct conn *c, enum conn_error e, struct msg *m,
    const char *what)
{
	char	*text;

	if (e == CONN_ESERVER) {
		if (c->state != CONN_AUTH &&
		    conn_step_down(c, m, c->frame_hdr->version) == 0)
			return;
		text = slice_dup(m->u.error.message);
		conn_fail(c, c->state == CONN_AUTH ? CONN_ESERVER :
		    CONN_ECONNECT, "%s refused: error 0x%04x (%s)", what,
		    (unsigned int)m->u.error.code, text);
		free(text);
		return;
	}
	conn_fail(c, e == CONN_EPROTO ? CONN_EPROTO : CONN_ECONNECT,
	    "%s failed: %s", what, conn_error_name(e));
}

/* PasswordAuthenticator needs one round: anything but success ends it. */
static void
conn_auth_done(struct conn *c, enum conn_error e, struct msg *m, void *arg)
{
	if (e == CONN_ECLOSED || c->state != CONN_AUTH)
		return;
	if (e != CONN_OK) {
		conn_handshake_error(c, e, m, "authentication");
		return;
	}
	if (m->opcode == OP_AUTH_SUCCESS) {
		conn_ready(c);
		return;
	}
	conn_fail(c, CONN_EPROTO, "authentication: unexpected %s",
	    opcode_name(m->opcode));
}

/* PasswordAuthenticator's SASL PLAIN token: \0user\0password. */
static void
conn_send_credentials(struct conn *c, struct msg *auth)
{
	struct msg	 m;
	char		*authn, *token;
	size_t		 ul, pl;
	enum conn_error	 e;

	authn = slice_dup(auth->u.authenticate.authenticator);
	if (c->config.username == NULL) {
		conn_fail(c, CONN_ECONNECT, "node requires authentication "
		    "(%s) and no credentials are configured", authn);
		free(authn);
		return;
	}
	free(authn);
	ul = strlen(c->config.username);
	pl = strlen(c->config.password ? c->config.password : "");
	token = xmalloc(ul + pl + 2);
	token[0] = '\0';
	memcpy(token + 1, c->config.username, ul);
	token[ul + 1] = '\0';
	memcpy(token + ul + 2, c->config.password ? c->config.password : "",
	    pl);
	memset(&m, 0, sizeof m);
	m.opcode = OP_AUTH_RESPONSE;
	m.u.auth.token = bytesval_value(token, ul + pl + 2);
	conn_set_state(c, CONN_AUTH);
	e = conn_queue(c, &m, 0, -1, conn_auth_done, NULL, NULL);
	explicit_bzero(token, ul + pl + 2);
	free(token);
	if (e != CONN_OK)
		conn_fail(c, CONN_ECONNECT, "cannot send credentials: %s",
		    conn_error_name(e));
}

/* READY ends the handshake; AUTHENTICATE asks for credentials first. */
static void
conn_startup_done(struct conn *c, enum conn_error e, struct msg *m,
    void *arg)
{
	if (e == CONN_ECLOSED || c->state != CONN_STARTUP)
		return;
	if (e != CONN_OK) {
		conn_handshake_error(c, e, m, "STARTUP");
		return;
	}
	switch (m->opcode) {
	case OP_READY:
		conn_ready(c);
		break;
	case OP_AUTHENTICATE:
		conn_send_credentials(c, m);
		break;
	default:
		conn_fail(c, CONN_EPROTO, "STARTUP answered with %s",
		    opcode_name(m->opcode));
		break;
	}
}

static void
conn_send_startup(struct conn *c)
{
	struct msg		m;
	struct string_pair	opt;
	enum conn_error		e;

	opt.key = slice_cstr("CQL_VERSION");
	opt.value = slice_cstr(c->config.cql_version);
	memset(&m, 0, sizeof m);
	m.opcode = OP_STARTUP;
	m.u.startup.options.n = 1;
	m.u.startup.options.e = &opt;
	conn_set_state(c, CONN_STARTUP);
	e = conn_queue(c, &m, 0, -1, conn_startup_done, NULL, NULL);
	if (e != CONN_OK)
		conn_fail(c, CONN_ECONNECT, "cannot send STARTUP: %s",
		    conn_error_name(e));
}

/* Keep the SUPPORTED answer: decode the frame body again into our copy. */
static void
conn_keep_supported(struct conn *c)
{
	char	err[128];

	if (c->has_supported) {
		msg_clear(&c->supported);
		c->has_supported = 0;
	}
	free(c->supported_body);
	/* The frame's bytes are the input buffer's: copy them. */
	c->supported_body = xmalloc((size_t)c->frame_hdr->length + 1);
	memcpy(c->supported_body, c->frame_body, c->frame_hdr->length);
	if (msg_decode(c->frame_hdr->version, c->frame_hdr, c->supported_body,
	    c->frame_hdr->length, &c->supported, err, sizeof err) == 0)
		c->has_supported = 1;
}

/* OPTIONS goes first so a version refusal costs no STARTUP. */
static void
conn_options_done(struct conn *c, enum conn_error e, struct msg *m,
    void *arg)
{
	if (e == CONN_ECLOSED || c->state != CONN_OPTIONS)
		return;
	if (e != CONN_OK) {
		conn_handshake_error(c, e, m, "OPTIONS");
		return;
	}
	if (m->opcode != OP_SUPPORTED) {
		conn_fail(c, CONN_EPROTO, "OPTIONS answered with %s",
		    opcode_name(m->opcode));
		return;
	}
	conn_keep_supported(c);
	conn_send_startup(c);
}

static void
conn_send_options(struct conn *c)
{
	struct msg	m;
	enum conn_error	e;

	memset(&m, 0, sizeof m);
	m.opcode = OP_OPTIONS;
	conn_set_state(c, CONN_OPTIONS);
	e = conn_queue(c, &m, 0, -1, conn_options_done, NULL, NULL);
	if (e != CONN_OK)
		conn_fail(c, CONN_ECONNECT, "cannot send OPTIONS: %s",
		    conn_error_name(e));
}

/* The TCP connect finished (or failed) and the socket is writable. */
static void
conn_connect_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;
	socklen_t	 len = sizeof c->connect_errno;
	int		 error = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
		error = errno;
	if (error != 0) {
		conn_fail(c, CONN_ECONNECT, "connect: %s", strerror(error));
		return;
	}
	event_free(c->ev_connect);
	c->ev_connect = NULL;
	c->ev_read = event_new(c->base, c->fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c);
	c->ev_write = event_new(c->base, c->fd, EV_WRITE | EV_PERSIST,
	    conn_write_cb, c);
	if (c->ev_read == NULL || c->ev_write == NULL)
		fatalx("event_new failed");
	event_add(c->ev_read, NULL);
	c->last_read_ms = conn_now_ms();
	conn_send_options(c);
}

/* A failure met before the loop ran (socket or connect refused at once). */
static void
conn_defer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	conn_fail(c, CONN_ECONNECT, "connect: %s", strerror(c->connect_errno));
}

/* One deadline covers TCP connect and every handshake step. */
static void
conn_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	conn_fail(c, CONN_ETIMEOUT, "%s timed out after %d ms",
	    c->state == CONN_CONNECTING ? "connect" : "handshake",
	    c->config.connect_timeout_ms);
}

/* Open a socket and start a non-blocking connect (state CONNECTING). */
static void
conn_open(struct conn *c)
{
	struct timeval	tv;
	int		one = 1;

	conn_ms_to_tv(c->config.connect_timeout_ms, &tv);
	evtimer_add(c->ev_timeout, &tv);
	c->fd = socket(c->host->addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		c->connect_errno = errno;
		event_active(c->ev_defer, EV_TIMEOUT, 1);
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->ev_connect = event_new(c->base, c->fd, EV_WRITE, conn_connect_cb,
	    c);
	if (c->ev_connect == NULL)
		fatalx("event_new failed");
	if (connect(c->fd, (struct sockaddr *)&c->host->addr,
	    c->host->addrlen) == 0) {
		event_active(c->ev_connect, EV_WRITE, 1);
		return;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		c->connect_errno = errno;
		event_active(c->ev_defer, EV_TIMEOUT, 1);
		return;
	}
	event_add(c->ev_connect, NULL);
}

/* Connect once per conn: a failed conn is freed, not reused. */
void
conn_connect(struct conn *c)
{
	if (c->state != CONN_NEW)
		fatalx("%s: conn %s is %s", __func__, c->host->name,
		    conn_state_name(c->state));
	conn_set_state(c, CONN_CONNECTING);
	c->version = c->config.version;
	conn_open(c);
}

/* Accessors. */

enum conn_state
conn_state(struct conn *c)
{
	return (c->state);
}

struct host *
conn_host(struct conn *c)
{
	return (c->host);
}

uint8_t
conn_version(struct conn *c)
{
	return (c->version);
}

const struct msg_supported *
conn_supported(struct conn *c)
{
	return (c->has_supported ? &c->supported.u.supported : NULL);
}

int
conn_inflight(struct conn *c)
{
	return ((int)(c->streams.busy + c->streams.orphans));
}

int
conn_orphans(struct conn *c)
{
	return ((int)c->streams.orphans);
}

int
conn_available(struct conn *c)
{
	if (c->state != CONN_READY)
		return (0);
	return ((int)streams_available(&c->streams));
}

const char *
conn_why(struct conn *c)
{
	return (c->why);
}

uint64_t
conn_last_activity(struct conn *c)
{
	return (c->last_read_ms);
}

const struct conn_stats *
conn_stats(struct conn *c)
{
	c->stats.meta_hits = c->colsets.hits;
	c->stats.meta_misses = c->colsets.misses;
	return (&c->stats);
}
