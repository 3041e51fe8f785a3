/*
 * fakenode.c: a tiny scriptable CQL node for the connection tests (see
 * fakenode.h).  Frames are built by hand with the codec's frame and buffer
 * helpers so this server shares no decoding code with the client it tests.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "fakenode.h"

#define FAKE_MAX_SESSIONS	16

struct held {
	int16_t		 stream;
	uint8_t		 version;
	struct fakesession *s;
};

struct fakesession {
	struct fakenode	*node;
	int		 fd;
	struct event	*ev_read;
	struct event	*ev_write;
	struct evbuffer	*in;
	struct evbuffer	*out;
	int		 registered;
};

struct fakenode {
	struct event_base	*base;
	int			 fd;
	uint16_t		 port;
	struct event		*ev_accept;
	int			 max_version;
	enum fakenode_mode	 mode;
	char			*user;
	char			*pass;
	fakenode_query_fn	 query_fn;
	void			*query_arg;
	struct fakesession	*sessions[FAKE_MAX_SESSIONS];
	struct held		*held;
	size_t			 nheld;
	size_t			 heldsize;
	struct fakenode_stats	 stats;
};

static void
fake_session_free(struct fakesession *s)
{
	struct fakenode	*n = s->node;
	size_t		 i, j;

	for (i = 0; i < FAKE_MAX_SESSIONS; i++) {
		if (n->sessions[i] == s)
			n->sessions[i] = NULL;
	}
	for (i = j = 0; i < n->nheld; i++) {
		if (n->held[i].s != s)
			n->held[j++] = n->held[i];
	}
	n->nheld = j;
	n->stats.held = (int)j;
	event_free(s->ev_read);
	event_free(s->ev_write);
	evbuffer_free(s->in);
	evbuffer_free(s->out);
	close(s->fd);
	free(s);
}

static void
fake_flush(struct fakesession *s)
{
	int	n;

	while (evbuffer_get_length(s->out) > 0) {
		n = evbuffer_write(s->out, s->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return;
		}
	}
	if (evbuffer_get_length(s->out) > 0)
		event_add(s->ev_write, NULL);
	else
		event_del(s->ev_write);
}

static void
fake_write_cb(evutil_socket_t fd, short events, void *arg)
{
	fake_flush(arg);
}

/* Queue the frame built in w and reset w. */
static void
fake_send(struct fakesession *s, struct wbuf *w)
{
	if (!wbuf_ok(w))
		fatalx("fakenode: frame too large");
	evbuffer_add(s->out, w->p, w->len);
	wbuf_reset(w);
	fake_flush(s);
}

static void
fake_error(struct fakesession *s, uint8_t v, int16_t stream, int32_t code,
    const char *text)
{
	struct wbuf	w;
	size_t		start;

	wbuf_init(&w, 0);
	start = frame_begin(&w, v, 1, 0, stream, OP_ERROR);
	wbuf_i32(&w, code);
	wbuf_string(&w, text);
	frame_end(&w, start);
	fake_send(s, &w);
	wbuf_free(&w);
}

static void
fake_simple(struct fakesession *s, uint8_t v, int16_t stream, uint8_t op)
{
	struct wbuf	w;
	size_t		start;

	wbuf_init(&w, 0);
	start = frame_begin(&w, v, 1, 0, stream, op);
	switch (op) {
	case OP_SUPPORTED:
		wbuf_u16(&w, 2);
		wbuf_string(&w, "CQL_VERSION");
		wbuf_u16(&w, 1);
		wbuf_string(&w, "3.4.5");
		wbuf_string(&w, "PROTOCOL_VERSIONS");
		wbuf_u16(&w, 1);
		wbuf_string(&w, s->node->max_version == 3 ? "3/v3" : "4/v4");
		break;
	case OP_AUTHENTICATE:
		wbuf_string(&w,
		    "org.apache.cassandra.auth.PasswordAuthenticator");
		break;
	case OP_AUTH_SUCCESS:
		wbuf_bytes_null(&w);
		break;
	case OP_RESULT:
		wbuf_i32(&w, 1);	/* Void */
		break;
	default:
		break;
	}
	frame_end(&w, start);
	fake_send(s, &w);
	wbuf_free(&w);
}

/* A RESULT written by the test's query function; 0 if it declined. */
static int
fake_scripted(struct fakesession *s, uint8_t v, int16_t stream,
    struct slice q)
{
	struct fakenode	*n = s->node;
	struct wbuf	 w;
	size_t		 start;

	if (n->query_fn == NULL)
		return (0);
	wbuf_init(&w, 0);
	start = frame_begin(&w, v, 1, 0, stream, OP_RESULT);
	if (!n->query_fn((const char *)q.p, q.n, &w, n->query_arg)) {
		wbuf_free(&w);
		return (0);
	}
	frame_end(&w, start);
	fake_send(s, &w);
	wbuf_free(&w);
	return (1);
}

static void
fake_hold(struct fakesession *s, uint8_t v, int16_t stream)
{
	struct fakenode	*n = s->node;

	if (n->nheld == n->heldsize) {
		n->heldsize = n->heldsize ? n->heldsize * 2 : 64;
		n->held = xreallocarray(n->held, n->heldsize, sizeof *n->held);
	}
	n->held[n->nheld].stream = stream;
	n->held[n->nheld].version = v;
	n->held[n->nheld].s = s;
	n->nheld++;
	n->stats.held = (int)n->nheld;
	if (n->stats.held > n->stats.max_held)
		n->stats.max_held = n->stats.held;
}

/* Compare an AUTH_RESPONSE token with \0user\0pass. */
static int
fake_auth_ok(struct fakenode *n, const uint8_t *body, size_t len)
{
	struct rbuf	r;
	struct bytesval	t;
	size_t		ul = strlen(n->user), pl = strlen(n->pass);

	rbuf_init(&r, body, len);
	t = rbuf_bytes(&r);
	if (!rbuf_ok(&r) || t.state != BYTES_VALUE || t.v.n != ul + pl + 2)
		return (0);
	return (t.v.p[0] == '\0' && memcmp(t.v.p + 1, n->user, ul) == 0 &&
	    t.v.p[ul + 1] == '\0' && memcmp(t.v.p + ul + 2, n->pass, pl) == 0);
}

static void
fake_request(struct fakesession *s, const struct frame_header *h,
    const uint8_t *body)
{
	struct fakenode	*n = s->node;
	struct rbuf	 r;
	struct slice	 q;
	char		 text[200];

	n->stats.ops[h->opcode]++;
	n->stats.last_version = h->version;
	if (h->version > n->max_version) {
		n->stats.refused_versions++;
		snprintf(text, sizeof text, "Invalid or unsupported protocol "
		    "version (%u); supported versions are (3/v3%s)",
		    h->version, n->max_version >= 4 ? ", 4/v4" : "");
		fake_error(s, h->version, h->stream, 0x000A, text);
		return;
	}
	if (n->mode == FAKE_SILENT)
		return;
	switch (h->opcode) {
	case OP_OPTIONS:
		fake_simple(s, h->version, h->stream, OP_SUPPORTED);
		break;
	case OP_STARTUP:
		fake_simple(s, h->version, h->stream,
		    n->user != NULL ? OP_AUTHENTICATE : OP_READY);
		break;
	case OP_AUTH_RESPONSE:
		if (n->user != NULL && fake_auth_ok(n, body, h->length))
			fake_simple(s, h->version, h->stream, OP_AUTH_SUCCESS);
		else
			fake_error(s, h->version, h->stream, 0x0100,
			    "Provided username and/or password are incorrect");
		break;
	case OP_REGISTER:
		s->registered = 1;
		fake_simple(s, h->version, h->stream, OP_READY);
		break;
	case OP_QUERY:
		rbuf_init(&r, body, h->length);
		q = rbuf_long_string(&r);
		if (rbuf_ok(&r) && slice_eq(q, "FAIL")) {
			fake_error(s, h->version, h->stream, 0x2200,
			    "you asked for it");
			break;
		}
		if (rbuf_ok(&r) && fake_scripted(s, h->version, h->stream, q))
			break;
		if (n->mode == FAKE_HOLD)
			fake_hold(s, h->version, h->stream);
		else
			fake_simple(s, h->version, h->stream, OP_RESULT);
		break;
	default:
		fake_error(s, h->version, h->stream, 0x000A, "unexpected");
		break;
	}
}

static void
fake_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct fakesession	*s = arg;
	struct frame_header	 h;
	uint8_t			 hb[FRAME_HEADER_LEN], *body;
	int			 n;

	n = evbuffer_read(s->in, s->fd, 65536);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		fake_session_free(s);
		return;
	}
	s->node->stats.reads++;
	while (evbuffer_get_length(s->in) >= FRAME_HEADER_LEN) {
		evbuffer_copyout(s->in, hb, sizeof hb);
		if (frame_header_decode(hb, sizeof hb, &h) != 0) {
			fake_session_free(s);
			return;
		}
		if (evbuffer_get_length(s->in) < FRAME_HEADER_LEN + h.length)
			return;
		evbuffer_drain(s->in, FRAME_HEADER_LEN);
		body = xmalloc(h.length + 1);
		evbuffer_remove(s->in, body, h.length);
		fake_request(s, &h, body);
		free(body);
	}
}

static void
fake_accept_cb(evutil_socket_t fd, short events, void *arg)
{
	struct fakenode		*n = arg;
	struct fakesession	*s;
	size_t			 i;
	int			 cfd;

	cfd = accept4(n->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd == -1)
		return;
	for (i = 0; i < FAKE_MAX_SESSIONS; i++) {
		if (n->sessions[i] == NULL)
			break;
	}
	if (i == FAKE_MAX_SESSIONS) {
		close(cfd);
		return;
	}
	n->stats.connections++;
	s = xcalloc(1, sizeof *s);
	s->node = n;
	s->fd = cfd;
	s->in = evbuffer_new();
	s->out = evbuffer_new();
	s->ev_read = event_new(n->base, cfd, EV_READ | EV_PERSIST,
	    fake_read_cb, s);
	s->ev_write = event_new(n->base, cfd, EV_WRITE | EV_PERSIST,
	    fake_write_cb, s);
	event_add(s->ev_read, NULL);
	n->sessions[i] = s;
}

struct fakenode *
fakenode_new(struct event_base *base, int max_version)
{
	struct fakenode		*n;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 one = 1;

	n = xcalloc(1, sizeof *n);
	n->base = base;
	n->max_version = max_version;
	n->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd == -1)
		fatal("socket");
	setsockopt(n->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(n->fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(n->fd, 16) != 0 ||
	    getsockname(n->fd, (struct sockaddr *)&sin, &len) != 0)
		fatal("fakenode listen");
	n->port = ntohs(sin.sin_port);
	n->ev_accept = event_new(base, n->fd, EV_READ | EV_PERSIST,
	    fake_accept_cb, n);
	event_add(n->ev_accept, NULL);
	return (n);
}

void
fakenode_drop(struct fakenode *n)
{
	size_t	i;

	for (i = 0; i < FAKE_MAX_SESSIONS; i++) {
		if (n->sessions[i] != NULL)
			fake_session_free(n->sessions[i]);
	}
}

void
fakenode_free(struct fakenode *n)
{
	fakenode_drop(n);
	event_free(n->ev_accept);
	close(n->fd);
	free(n->held);
	free(n->user);
	free(n->pass);
	free(n);
}

uint16_t
fakenode_port(struct fakenode *n)
{
	return (n->port);
}

void
fakenode_set_mode(struct fakenode *n, enum fakenode_mode m)
{
	n->mode = m;
}

void
fakenode_set_query_fn(struct fakenode *n, fakenode_query_fn fn, void *arg)
{
	n->query_fn = fn;
	n->query_arg = arg;
}

void
fakenode_set_auth(struct fakenode *n, const char *user, const char *pass)
{
	n->user = xstrdup(user);
	n->pass = xstrdup(pass);
}

int
fakenode_release(struct fakenode *n, int count)
{
	struct held	h;
	int		done = 0;

	if (count > (int)n->nheld)
		count = (int)n->nheld;
	/* newest of the oldest count first, so answers come out of order */
	while (done < count) {
		h = n->held[count - 1 - done];
		fake_simple(h.s, h.version, h.stream, OP_RESULT);
		done++;
	}
	memmove(n->held, n->held + count, (n->nheld - count) * sizeof *n->held);
	n->nheld -= count;
	n->stats.held = (int)n->nheld;
	return (done);
}

/* The newest session still open. */
static struct fakesession *
fake_last(struct fakenode *n)
{
	int	i;

	for (i = FAKE_MAX_SESSIONS - 1; i >= 0; i--) {
		if (n->sessions[i] != NULL)
			return (n->sessions[i]);
	}
	return (NULL);
}

void
fakenode_send_raw(struct fakenode *n, const void *p, size_t len)
{
	struct fakesession	*s;

	if ((s = fake_last(n)) == NULL)
		return;
	evbuffer_add(s->out, p, len);
	fake_flush(s);
}

void
fakenode_send_event(struct fakenode *n, int port)
{
	static const uint8_t	 lo[4] = { 127, 0, 0, 1 };
	struct wbuf		 w;
	size_t			 i, start;

	for (i = 0; i < FAKE_MAX_SESSIONS; i++) {
		if (n->sessions[i] == NULL || !n->sessions[i]->registered)
			continue;
		wbuf_init(&w, 0);
		start = frame_begin(&w, (uint8_t)n->max_version, 1, 0, -1,
		    OP_EVENT);
		wbuf_string(&w, "STATUS_CHANGE");
		wbuf_string(&w, "UP");
		wbuf_inet(&w, lo, 4, port);
		frame_end(&w, start);
		fake_send(n->sessions[i], &w);
		wbuf_free(&w);
	}
}

const struct fakenode_stats *
fakenode_stats(struct fakenode *n)
{
	return (&n->stats);
}
