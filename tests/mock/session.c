/*
 * session.c: one client connection to a mock node. Frames are cut out of
 * the bufferevent's input, refused the way Cassandra 4.0 refuses them when
 * they are wrong, and otherwise handed to the request handlers (request.c).
 * Answers go to the output in the order they are made, except those a
 * delay holds back, which leave when their timer fires.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "mock.h"

static void	session_read_cb(struct bufferevent *, void *);
static void	session_write_cb(struct bufferevent *, void *);
static void	session_event_cb(struct bufferevent *, short, void *);

/* The one place a session changes state; anything else is a bug. */
static void
session_set_state(struct session *s, enum session_state to)
{
	enum session_state from = s->state;

	if (from == to)
		return;
	if ((to == SESSION_READY && from != SESSION_NEW) || to == SESSION_NEW)
		fatalx("session %s: bad state change %d -> %d", s->peer, from,
		    to);
	s->state = to;
}

void
session_accept(struct node *n, int fd, const struct sockaddr *sa, int salen)
{
	struct cluster		*c = n->cluster;
	struct session		*s;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	int			 one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	s = xcalloc(1, sizeof *s);
	s->node = n;
	s->cluster = c;
	s->state = SESSION_NEW;
	TAILQ_INIT(&s->pending);
	wbuf_init(&s->w, c->max_body);
	if (sa->sa_family == AF_INET && salen >= (int)sizeof *sin) {
		memcpy(s->peer_ip, &sin->sin_addr, 4);
		s->peer_port = ntohs(sin->sin_port);
	}
	snprintf(s->peer, sizeof s->peer, "%u.%u.%u.%u:%d>%s", s->peer_ip[0],
	    s->peer_ip[1], s->peer_ip[2], s->peer_ip[3], s->peer_port, n->addr);

	s->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
	    session_event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&n->sessions, s, entry);
	n->stats.connections++;
	log_debug("session %s: accepted", s->peer);
}

static void
session_pending_free(struct session *s, struct pending *p)
{
	TAILQ_REMOVE(&s->pending, p, entry);
	s->pending_bytes -= p->len;
	event_free(p->ev);
	free(p->data);
	free(p);
}

static void
session_free_cb(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;

	log_debug("session %s: freed", s->peer);
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	wbuf_free(&s->w);
	free(s->keyspace);
	free(s);
}

/*
 * Detach a session from its node at once but free it on the next loop
 * turn: we are often inside one of its own callbacks.
 */
static void
session_detach(struct session *s)
{
	struct timeval	tv = { 0, 0 };

	while (!TAILQ_EMPTY(&s->pending))
		session_pending_free(s, TAILQ_FIRST(&s->pending));
	TAILQ_REMOVE(&s->node->sessions, s, entry);
	if (s->bev != NULL)
		bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	if (event_base_once(s->cluster->base, -1, EV_TIMEOUT, session_free_cb,
	    s, &tv) != 0)
		fatalx("event_base_once");
}

/* Cut the connection now; whatever is unsent is lost. */
void
session_close(struct session *s)
{
	if (s->state == SESSION_CLOSED)
		return;
	session_detach(s);
	session_set_state(s, SESSION_CLOSED);
}

/* Connections of closed sessions still sending their last answers. */
struct flusher {
	struct bufferevent	*bev;
	LIST_ENTRY(flusher)	 entry;
};
static LIST_HEAD(, flusher) session_flushers =
    LIST_HEAD_INITIALIZER(session_flushers);

static void
session_flusher_free(struct flusher *f)
{
	LIST_REMOVE(f, entry);
	bufferevent_free(f->bev);
	free(f);
}

static void
session_flusher_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_flusher_free(arg);
}

static void
session_flusher_event_cb(struct bufferevent *bev, short what, void *arg)
{
	session_flusher_free(arg);
}

/* At exit: connections still flushing are cut. */
void
session_shutdown(void)
{
	while (!LIST_EMPTY(&session_flushers))
		session_flusher_free(LIST_FIRST(&session_flushers));
}

/*
 * Stop reading, send what is queued (delayed answers are dropped) and
 * close. The bufferevent outlives the session: it frees itself once the
 * output is empty, or after a second if the client does not read.
 */
void
session_close_flush(struct session *s)
{
	struct timeval		 tv = { 1, 0 };
	struct bufferevent	*bev = s->bev;
	struct flusher		*f;

	if (s->state == SESSION_CLOSED)
		return;
	session_detach(s);
	session_set_state(s, SESSION_CLOSED);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		return;
	s->bev = NULL;
	f = xcalloc(1, sizeof *f);
	f->bev = bev;
	LIST_INSERT_HEAD(&session_flushers, f, entry);
	bufferevent_setcb(bev, NULL, session_flusher_write_cb,
	    session_flusher_event_cb, f);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(bev, NULL, &tv);
	bufferevent_enable(bev, EV_WRITE);
}

/* Queue bytes for the client, enforcing the per-connection output cap. */
void
session_send(struct session *s, const void *p, size_t n)
{
	struct evbuffer	*out;

	if (s->state != SESSION_NEW && s->state != SESSION_READY)
		return;
	out = bufferevent_get_output(s->bev);
	if (evbuffer_get_length(out) + n > s->cluster->out_cap) {
		log_warnx("session %s: client does not read (%zu bytes queued),"
		    " closing", s->peer, evbuffer_get_length(out));
		session_close(s);
		return;
	}
	if (evbuffer_add(out, p, n) != 0)
		fatalx("evbuffer_add");
}

static void
session_pending_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pending	*p = arg;
	struct session	*s = p->s;

	session_send(s, p->data, p->len);
	if (s->state == SESSION_NEW || s->state == SESSION_READY)
		session_pending_free(s, p);
	session_read_resume(s);
}

/* Send the frame in s->w now, or after ms milliseconds. */
void
session_reply(struct session *s, unsigned ms)
{
	struct pending	*p;
	struct timeval	 tv;

	if (!wbuf_ok(&s->w)) {
		log_warnx("session %s: answer too large: %s", s->peer,
		    s->w.err);
		wbuf_reset(&s->w);
		session_close(s);
		return;
	}
	if (ms == 0) {
		session_send(s, s->w.p, s->w.len);
		wbuf_reset(&s->w);
		return;
	}
	p = xcalloc(1, sizeof *p);
	p->s = s;
	p->data = wbuf_steal(&s->w, &p->len);
	p->ev = evtimer_new(s->cluster->base, session_pending_cb, p);
	if (p->ev == NULL)
		fatalx("evtimer_new");
	TAILQ_INSERT_TAIL(&s->pending, p, entry);
	s->pending_bytes += p->len;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->ev, &tv);
	s->node->stats.delayed++;
}

/*
 * ERROR 0x000A framed in the given version: v1/v2 get their 8-byte
 * header, so that an old client can read why it is refused.
 */
static void
session_error_frame(struct wbuf *w, uint8_t version, uint8_t flags,
    int16_t stream, const char *text)
{
	size_t	start;

	start = frame_begin(w, version, 1, flags, stream, OP_ERROR);
	wbuf_i32(w, ERR_PROTOCOL);
	wbuf_string(w, text);
	frame_end(w, start);
}

/* A protocol error on the request's stream, in the request's version. */
void
session_protocol_error(struct session *s, uint8_t version, uint8_t flags,
    int16_t stream, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_debug("session %s: protocol error: %s", s->peer, msg);
	s->node->stats.protocol_errors++;
	session_error_frame(&s->w, version, flags, stream, msg);
	session_reply(s, 0);
}

void
session_ready(struct session *s)
{
	session_set_state(s, SESSION_READY);
}

void
session_set_keyspace(struct session *s, const char *ks)
{
	free(s->keyspace);
	s->keyspace = ks != NULL ? xstrdup(ks) : NULL;
}

int
session_registered(struct session *s, int mask)
{
	return (s->state == SESSION_READY && (s->events & mask) != 0);
}

static size_t
session_queued(struct session *s)
{
	return (evbuffer_get_length(bufferevent_get_output(s->bev)) +
	    s->pending_bytes);
}

/*
 * Read more once the client has drained its answers (or timers have
 * sent them); also finishes frames that arrived while paused.
 */
void
session_read_resume(struct session *s)
{
	if (!s->paused ||
	    (s->state != SESSION_READY && s->state != SESSION_NEW))
		return;
	if (session_queued(s) > MOCK_OUT_HIGH)
		return;
	s->paused = 0;
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	bufferevent_enable(s->bev, EV_READ);
	session_read_cb(s->bev, s);
}

static void
session_pause(struct session *s)
{
	s->paused = 1;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setwatermark(s->bev, EV_WRITE, MOCK_OUT_HIGH / 2, 0);
}

static uint32_t
session_peek_length(const uint8_t *h)
{
	return (((uint32_t)h[5] << 24) | ((uint32_t)h[6] << 16) |
	    ((uint32_t)h[7] << 8) | h[8]);
}

/*
 * A frame in a version we do not speak: answer as Cassandra 4.0 does and,
 * if its body is of sane size, skip it so the client may try again lower.
 * Returns the bytes to drain, 0 to wait for more, -1 if the session closed.
 */
static ssize_t
session_bad_version(struct session *s, const uint8_t *hdr, size_t have,
    size_t inlen, const struct frame_header *h)
{
	char		 text[256];
	uint8_t		 v = h->version, rv;
	size_t		 hl;
	uint32_t	 len;

	if (v == 1 || v == 2) {
		hl = FRAME_HEADER_LEN_V2;
		len = h->length;
		rv = v;
	} else {
		if (have < FRAME_HEADER_LEN)
			return (0);
		hl = FRAME_HEADER_LEN;
		len = session_peek_length(hdr);
		rv = PROTO_V4;
	}
	if (v == PROTO_V5 && (h->flags & FRAME_FLAG_BETA) == 0) {
		snprintf(text, sizeof text, "Beta version of the protocol used "
		    "(5/v5-beta), but USE_BETA flag is unset");
	} else {
		snprintf(text, sizeof text, "Invalid or unsupported protocol "
		    "version (%u); supported versions are (3/v3, 4/v4, "
		    "5/v5-beta)", v);
	}
	s->node->stats.protocol_errors++;
	log_debug("session %s: %s", s->peer, text);
	session_error_frame(&s->w, rv, 0, h->stream, text);
	session_reply(s, 0);
	if (len > s->cluster->max_body) {
		session_close_flush(s);
		return (-1);
	}
	if (inlen < hl + len)
		return (0);
	return (hl + len);
}

/* Cut complete frames out of the input and answer each. */
static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct frame_header	 h;
	uint8_t			 hdr[FRAME_HEADER_LEN], *body;
	size_t			 inlen, have, hl;
	ssize_t			 skip;
	int			 rc;

	while (s->state == SESSION_NEW || s->state == SESSION_READY) {
		if (session_queued(s) > MOCK_OUT_HIGH) {
			session_pause(s);
			return;
		}
		inlen = evbuffer_get_length(in);
		if (inlen == 0)
			return;
		have = inlen < sizeof hdr ? inlen : sizeof hdr;
		evbuffer_copyout(in, hdr, have);
		rc = frame_header_decode(hdr, have, &h);
		if (rc > 0)
			return;
		if (rc == FRAME_EVERSION || (rc == 0 && (h.version < PROTO_MIN ||
		    h.version > PROTO_MAX))) {
			skip = session_bad_version(s, hdr, have, inlen, &h);
			if (skip <= 0)
				return;
			evbuffer_drain(in, skip);
			continue;
		}
		hl = frame_header_size(h.version);
		if (rc == FRAME_ELENGTH || h.length > s->cluster->max_body) {
			session_protocol_error(s, h.version, 0, h.stream,
			    "Request is too big: length %u exceeds maximum "
			    "allowed length %zu.", session_peek_length(hdr),
			    s->cluster->max_body);
			session_close_flush(s);
			return;
		}
		if (inlen < hl + h.length)
			return;
		body = evbuffer_pullup(in, hl + h.length);
		if (body == NULL)
			fatalx("evbuffer_pullup");
		request_frame(s, &h, body + hl, h.length);
		evbuffer_drain(in, hl + h.length);
	}
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	session_read_resume(arg);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;

	if (what & BEV_EVENT_EOF)
		log_debug("session %s: closed by client", s->peer);
	else if (what & BEV_EVENT_ERROR)
		log_debug("session %s: socket error", s->peer);
	session_close(s);
}
