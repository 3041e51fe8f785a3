/*
 * client.c: one local client connection.  Bytes come in on a raw
 * non-blocking fd watched by a single embedded struct event; complete
 * lines become requests (jsonproto.c) kept in arrival order; each request
 * starts when the ordering rules of docs/protocol.md ("Execution order")
 * allow it; answers go out as they come (at the end of the loop turn).
 *
 * Answers are not sent one by one: client_write appends them to the
 * client's output buffer and puts the client on a list that one event
 * flushes once per loop turn, so the answers a client got from one read
 * of a node connection go out in one send().  The answer to a client's
 * only request goes out at once (nothing to gather it with).
 *
 * An idle client must cost almost nothing (issue 7, 4): no buffer is held
 * while nothing is in flight (reads land in one shared scratch buffer and
 * only a partial line is kept; output is kept only until the flush, or
 * while the socket would block), no timer, and the struct is a few hundred
 * bytes.  Emptied buffers go back to a small shared free list.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"
#include "cluster.h"
#include "config.h"
#include "jsonval.h"
#include "metrics.h"
#include "service.h"

/* A byte buffer taken only while bytes are in flight. */
struct cbuf {
	size_t		 off;		/* consumed */
	size_t		 len;		/* valid bytes from data[0] */
	size_t		 size;
	int		 kept;		/* from cbuf_fl (CBUF_SIZE bytes) */
	uint8_t		 data[];
};

/* Reads land here first; shared by every client (one thread). */
#define CLIENT_SCRATCH	65536
static uint8_t		 client_scratch[CLIENT_SCRATCH];

/*
 * Output buffers start at CBUF_SIZE and are kept for reuse (cbuf_fl; a
 * few even when none is in use, as every loop turn gives them all back);
 * a partial input line gets one of its size (at least CBUF_IN_MIN), as an
 * idle client may keep it.
 */
#define CBUF_SIZE	2048
#define CBUF_IN_MIN	256
static struct freelist	 cbuf_fl = FREELIST_INITIALIZER(32, 8, NULL);

/* Send at once rather than at the end of the turn past this many bytes. */
#define CLIENT_FLUSH_AT	65536

/* Clients with answers to send at the end of this loop turn. */
static struct client_list	 client_dirty =
    TAILQ_HEAD_INITIALIZER(client_dirty);
/*
 * Clients come from pages of their own: when thousands of idle clients
 * leave, their memory goes back to the system whole (slab.c).
 */
static struct slab_pool		 client_pool =
    SLAB_POOL_INITIALIZER(sizeof(struct client));
static struct event		 client_flush_ev;
static int			 client_flush_init;
static int			 client_flush_active;

/* Bytes read and dropped after line_too_long before closing anyway. */
#define CLIENT_LINGER_MAX	(16U << 20)
/* Reads of what is left when closing a drained client. */
#define CLIENT_DISCARD_READS	16

static void	 client_cb(evutil_socket_t, short, void *);
static void	 client_update(struct client *);
static void	 client_close(struct client *, const char *);
static void	 client_set_state(struct client *, enum client_state);
static void	 client_undirty(struct client *);
static void	 client_req_add(struct client *, struct creq *);

/* Clients connected at the last trim (or the peak since). */
static unsigned int	client_trim_mark;

static const char *client_state_names[] = {
	"open", "eof", "closed"
};

static size_t
cbuf_used(const struct cbuf *b)
{
	return (b == NULL ? 0 : b->len - b->off);
}

/* A new buffer for at least n bytes (min: the least size to give it). */
static struct cbuf *
cbuf_new(size_t n, size_t min)
{
	struct cbuf	*b;
	size_t		 size;

	if (min == CBUF_SIZE && n <= CBUF_SIZE) {
		if ((b = freelist_get(&cbuf_fl)) == NULL)
			b = xmalloc(sizeof *b + CBUF_SIZE);
		b->size = CBUF_SIZE;
		b->kept = 1;
	} else {
		size = n < min ? min : n;
		b = xmalloc(sizeof *b + size);
		b->size = size;
		b->kept = 0;
	}
	b->off = b->len = 0;
	return (b);
}

/* Give a buffer back: standard ones are kept for the next client. */
static void
cbuf_release(struct cbuf *b)
{
	if (b == NULL)
		return;
	if (b->kept)
		freelist_put(&cbuf_fl, b);
	else
		free(b);
}

/* Append, growing geometrically; a new buffer is at least min. */
static void
cbuf_append(struct cbuf **bp, const void *p, size_t n, size_t min)
{
	struct cbuf	*b = *bp, *nb;
	size_t		 used, size;

	if (n == 0)
		return;
	if (b == NULL)
		*bp = b = cbuf_new(n, min);
	if (b->len + n > b->size && b->off > 0) {
		used = b->len - b->off;
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
	}
	if (b->len + n > b->size) {
		size = b->size * 2;
		if (size < b->len + n)
			size = b->len + n;
		if (b->kept) {
			/* A kept buffer keeps its size: move to a new one. */
			nb = xmalloc(sizeof *nb + size);
			memcpy(nb->data, b->data, b->len);
			nb->off = b->off;
			nb->len = b->len;
			cbuf_release(b);
			b = nb;
		} else
			b = xrealloc(b, sizeof *b + size);
		b->size = size;
		b->kept = 0;
		*bp = b;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Drop n consumed bytes; an emptied buffer is given back at once. */
static void
cbuf_consume(struct cbuf **bp, size_t n)
{
	struct cbuf	*b = *bp;

	b->off += n;
	if (b->off >= b->len) {
		cbuf_release(b);
		*bp = NULL;
	}
}

static void
cbuf_free(struct cbuf **bp)
{
	cbuf_release(*bp);
	*bp = NULL;
}

const char *
client_name(struct client *c)
{
	static char	 buf[96];

	snprintf(buf, sizeof buf, "client %llu (uid %ld pid %ld)",
	    (unsigned long long)c->id, (long)c->uid, (long)c->pid);
	return (buf);
}

size_t
client_buffered(struct client *c)
{
	return ((c->in != NULL ? c->in->size : 0) +
	    (c->out != NULL ? c->out->size : 0));
}

/* The one place a client changes state; impossible moves are bugs. */
static void
client_set_state(struct client *c, enum client_state to)
{
	int	ok;

	switch (c->state) {
	case CLIENT_OPEN:
		ok = (to == CLIENT_EOF || to == CLIENT_CLOSED);
		break;
	case CLIENT_EOF:
		ok = (to == CLIENT_CLOSED);
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok)
		fatalx("%s: bad state change %s -> %s", client_name(c),
		    client_state_names[c->state], client_state_names[to]);
	log_trace("%s: %s -> %s", client_name(c),
	    client_state_names[c->state], client_state_names[to]);
	c->state = to;
}

void
client_accept(int fd, int readonly, uid_t uid, gid_t gid, pid_t pid)
{
	struct client	*c;

	c = slab_get(&client_pool);
	c->id = ++srv->next_client;
	c->fd = fd;
	c->state = CLIENT_OPEN;
	c->readonly = readonly;
	c->uid = uid;
	c->gid = gid;
	c->pid = pid;
	c->reading = 1;
	TAILQ_INIT(&c->reqs);
	TAILQ_INSERT_TAIL(&srv->clients, c, entry);
	srv->nclients++;
	if (srv->nclients > client_trim_mark)
		client_trim_mark = srv->nclients;
	metrics_client_accepted(srv->metrics);
	log_debug("%s: connected%s", client_name(c),
	    readonly ? " (read-only socket)" : "");
	if (srv->state == SERVER_DRAINING)
		client_drain(c);
	client_update(c);
}

/* Best effort: one error line on a socket we will not serve, then close. */
void
client_refuse(int fd, const char *code, const char *msg)
{
	struct wbuf	 w;
	ssize_t		 n;

	wbuf_init(&w, 4096);
	wbuf_raw(&w, "{\"ok\": false, \"error\": {\"code\": ", 32);
	jsonval_write_string(&w, code, strlen(code));
	wbuf_raw(&w, ", \"message\": ", 13);
	jsonval_write_string(&w, msg, strlen(msg));
	wbuf_raw(&w, "}}\n", 3);
	if (wbuf_ok(&w))
		n = send(fd, w.p, w.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	wbuf_free(&w);
	shutdown(fd, SHUT_WR);
	close(fd);
	metrics_client_rejected(srv->metrics, code);
}

static void
client_free_cb(evutil_socket_t fd, short events, void *arg)
{
	slab_put(&client_pool, arg);
	if (srv->nclients > client_trim_mark)
		client_trim_mark = srv->nclients;
	/*
	 * After a crowd leaves, hand free heap back to the system (glibc
	 * keeps it otherwise); cheap enough when done this rarely.
	 */
	if (client_trim_mark >= 1024 && srv->nclients < client_trim_mark / 4) {
		/* Kept free objects would pin the pages around them. */
		freelist_trim_all();
		slab_trim(&client_pool, 1);
#ifdef __GLIBC__
		malloc_trim(0);
#endif
		client_trim_mark = srv->nclients;
	}
}

/*
 * Close now and free later (never inside our own callback): running
 * requests are orphaned (their answers will be dropped), waiting ones
 * freed.
 */
static void
client_close(struct client *c, const char *why)
{
	struct creq	*r;
	struct timeval	 tv = { 0, 0 };

	if (c->state == CLIENT_CLOSED)
		return;
	log_debug("%s: closed: %s", client_name(c), why);
	client_set_state(c, CLIENT_CLOSED);
	if (c->armed)
		event_del(&c->ev);
	c->armed = 0;
	close(c->fd);
	c->fd = -1;
	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		client_req_remove(c, r);
		r->client = NULL;
		if (r->state == CREQ_WAITING) {
			metrics_waiting_add(srv->metrics, -1);
			creq_free(r);
		} else
			r->state = CREQ_ORPHAN;
	}
	c->nreqs = c->nrunning = 0;
	client_undirty(c);
	cbuf_free(&c->in);
	cbuf_free(&c->out);
	free(c->keyspace);
	c->keyspace = NULL;
	TAILQ_REMOVE(&srv->clients, c, entry);
	srv->nclients--;
	metrics_client_closed(srv->metrics);
	if (event_base_once(srv->base, -1, EV_TIMEOUT, client_free_cb, c,
	    &tv) != 0)
		fatalx("event_base_once failed");
	server_check_drained();
}

void
client_free_all(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&srv->clients)) != NULL)
		client_close(c, "daemon exiting");
	if (client_flush_init) {
		event_del(&client_flush_ev);
		client_flush_init = client_flush_active = 0;
	}
	jsonproto_free();
}

/* Watch the fd for what is wanted now, and nothing else. */
static void
client_arm(struct client *c)
{
	short	want = 0;

	if (c->state == CLIENT_CLOSED)
		return;
	if (c->reading)
		want |= EV_READ;
	if (c->writing)
		want |= EV_WRITE;
	if (want == c->armed)
		return;
	if (c->armed)
		event_del(&c->ev);
	c->armed = want;
	if (want == 0)
		return;
	event_assign(&c->ev, srv->base, c->fd, want | EV_PERSIST, client_cb,
	    c);
	if (event_add(&c->ev, NULL) != 0)
		fatalx("event_add failed");
}

/* Write what is queued; 0, or -1 when the client is gone. */
static int
client_flush(struct client *c)
{
	ssize_t	n;

	while (c->out != NULL) {
		n = send(c->fd, c->out->data + c->out->off, cbuf_used(c->out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return (-1);
		}
		metrics_bytes_out(srv->metrics, (size_t)n);
		cbuf_consume(&c->out, (size_t)n);
	}
	c->writing = (c->out != NULL);
	return (0);
}

/* Off the flush list (flushed, or closing). */
static void
client_undirty(struct client *c)
{
	if (!c->dirty)
		return;
	TAILQ_REMOVE(&client_dirty, c, dirty_entry);
	c->dirty = 0;
}

/*
 * End of the loop turn: send what each client was given during it, one
 * send() per client, and let clients whose last answer went out move on
 * (half-close, close, watch for writing).
 */
static void
client_flush_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c;
	uint8_t		 writing;

	/*
	 * The nodes first: our clients often share the CPU with us, and the
	 * first send() that wakes one may let it run before we finish.
	 */
	if (srv->cluster != NULL)
		cluster_flush(srv->cluster);
	while ((c = TAILQ_FIRST(&client_dirty)) != NULL) {
		client_undirty(c);
		if (c->state == CLIENT_CLOSED || c->dead != NULL) {
			if (c->dead != NULL)
				client_update(c);
			continue;
		}
		writing = c->writing;
		if (client_flush(c) != 0)
			c->dead = "write error";
		if (c->dead != NULL || c->writing != writing ||
		    (c->out == NULL && c->nreqs == 0))
			client_update(c);
	}
	client_flush_active = 0;	/* those added above were flushed */
}

/* Put the client on the list flushed at the end of this turn. */
static void
client_dirty_add(struct client *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	TAILQ_INSERT_TAIL(&client_dirty, c, dirty_entry);
	if (!client_flush_init) {
		event_assign(&client_flush_ev, srv->base, -1, 0,
		    client_flush_cb, NULL);
		client_flush_init = 1;
	}
	if (!client_flush_active) {
		client_flush_active = 1;
		event_active(&client_flush_ev, EV_TIMEOUT, 0);
	}
}

void
client_write(struct client *c, const void *p, size_t n)
{
	size_t	cap = srv->cfg->max_output_per_client;
	ssize_t	w;

	if (c->state == CLIENT_CLOSED || c->dead != NULL || n == 0)
		return;
	if (c->out == NULL && c->nreqs <= 1) {
		/*
		 * The client's only request (one query, then wait): no other
		 * answer to wait for, so straight to the socket, no buffer.
		 */
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				c->dead = "write error";
				return;
			}
			w = 0;
		}
		metrics_bytes_out(srv->metrics, (size_t)w);
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
		if (n == 0)
			return;
	}
	cbuf_append(&c->out, p, n, CBUF_SIZE);
	if (!c->writing)
		client_dirty_add(c);
	if (cbuf_used(c->out) < CLIENT_FLUSH_AT && cbuf_used(c->out) <= cap)
		return;
	/* A lot at once: send now, and count only what the peer left. */
	if (!c->writing && client_flush(c) != 0) {
		c->dead = "write error";
		return;
	}
	if (cbuf_used(c->out) > cap) {
		log_warnx("%s: %zu bytes of answers unread (cap %zu): "
		    "disconnecting", client_name(c), cbuf_used(c->out), cap);
		metrics_client_rejected(srv->metrics, "output_cap");
		c->dead = "output cap";
	}
}

/* Queue one line as a request. */
static void
client_line(struct client *c, const uint8_t *p, size_t n)
{
	struct creq	*r;
	size_t		 i;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			break;
	}
	if (i == n)
		return;		/* blank */
	r = jsonproto_parse((const char *)p, n, c->readonly);
	client_req_add(c, r);
	metrics_waiting_add(srv->metrics, 1);
}

/* The line_too_long error: answered in turn, then the client closes. */
static void
client_too_long(struct client *c)
{
	struct creq	*r;
	char		 msg[128];

	snprintf(msg, sizeof msg, "line longer than %zu bytes",
	    srv->cfg->max_line_length);
	r = jsonproto_parse(NULL, 0, c->readonly);
	r->early_code = "line_too_long";
	r->early_msg = xstrdup(msg);
	r->early_extra = json_pack("{s:I}", "limit",
	    (json_int_t)srv->cfg->max_line_length);
	client_req_add(c, r);
	metrics_waiting_add(srv->metrics, 1);
	c->too_long = 1;
	c->reading = 0;
	log_info("%s: %s", client_name(c), msg);
}

/* Room for one more request read ahead of its answer? */
static int
client_room(struct client *c)
{
	return (c->nreqs < (unsigned int)srv->cfg->max_inflight_per_client);
}

/*
 * Is a line of n bytes (without its "\n", or all that came of it yet)
 * over the limit?  A "\r" that ends it is not counted, as it is dropped.
 */
static int
client_line_over(const uint8_t *p, size_t n, size_t max)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return (n > max);
}

/*
 * Turn complete lines of p into requests while there is room; returns how
 * many bytes were used.  A line over the limit ends the reading.
 */
static size_t
client_lines(struct client *c, const uint8_t *p, size_t len)
{
	const uint8_t	*nl;
	size_t		 used = 0, max = srv->cfg->max_line_length;

	while (used < len && !c->too_long && client_room(c)) {
		nl = memchr(p + used, '\n', len - used);
		if (nl == NULL) {
			if (client_line_over(p + used, len - used, max)) {
				client_too_long(c);
				return (len);
			}
			break;
		}
		if (client_line_over(p + used, (size_t)(nl - (p + used)),
		    max)) {
			client_too_long(c);
			return (len);
		}
		client_line(c, p + used, (size_t)(nl - (p + used)));
		used = (size_t)(nl - p) + 1;
	}
	return (used);
}

/*
 * Drop what the client sent that will never be read, so that closing
 * does not turn into a reset that could cost it our last answers.
 */
static void
client_discard(struct client *c)
{
	ssize_t	n;
	int	i;

	for (i = 0; i < CLIENT_DISCARD_READS; i++) {
		n = recv(c->fd, client_scratch, sizeof client_scratch,
		    MSG_DONTWAIT);
		if (n <= 0)
			break;
	}
}

/* One read: whatever the socket has, up to the scratch size. */
static void
client_read(struct client *c)
{
	size_t	want = sizeof client_scratch, used;
	ssize_t	n;

	if (c->lingering) {
		n = read(c->fd, client_scratch, sizeof client_scratch);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		c->drain_left += n > 0 ? (size_t)n : 0;
		if (n <= 0 || c->drain_left > CLIENT_LINGER_MAX)
			c->dead = "line too long";
		return;
	}

	if (c->draining) {
		if (c->drain_left == 0) {
			c->reading = 0;
			return;
		}
		if (want > c->drain_left)
			want = c->drain_left;
	}
	n = read(c->fd, client_scratch, want);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		c->dead = "read error";
		return;
	}
	if (n == 0) {
		client_set_state(c, CLIENT_EOF);
		c->reading = 0;
		c->drain_left = 0;
		/* A last line without "\n" still counts. */
		if (c->in != NULL && !c->too_long)
			cbuf_append(&c->in, "\n", 1, CBUF_IN_MIN);
		return;
	}
	metrics_bytes_in(srv->metrics, (size_t)n);
	if (c->draining)
		c->drain_left -= (size_t)n;
	if (c->in == NULL) {
		used = client_lines(c, client_scratch, (size_t)n);
		if (used < (size_t)n && !c->too_long)
			cbuf_append(&c->in, client_scratch + used,
			    (size_t)n - used, CBUF_IN_MIN);
	} else
		cbuf_append(&c->in, client_scratch, (size_t)n, CBUF_IN_MIN);
}

/*
 * The request that may start now, if any: see docs/protocol.md,
 * "Execution order".  Requests start in arrival order, so the list is the
 * running ones, then the waiting ones from c->next_wait; and a barrier
 * (ordered) starts only when it is first, so a running barrier is first.
 */
static struct creq *
client_next(struct client *c)
{
	struct creq	*r = c->next_wait, *first = TAILQ_FIRST(&c->reqs);

	if (r == NULL)
		return (NULL);
	if (first->state == CREQ_RUNNING && first->ordered)
		return (NULL);
	if (r->ordered)
		return (r == first ? r : NULL);
	return (r);
}

/* A request read: last in the list, waiting. */
static void
client_req_add(struct client *c, struct creq *r)
{
	r->client = c;
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->nreqs++;
	if (c->next_wait == NULL)
		c->next_wait = r;
}

void
client_req_remove(struct client *c, struct creq *r)
{
	if (c->next_wait == r)
		c->next_wait = TAILQ_NEXT(r, entry);
	TAILQ_REMOVE(&c->reqs, r, entry);
}

/*
 * Bring the client up to date: parse buffered lines while there is room,
 * start what may start, decide what to watch, and close when finished.
 * Re-entrant calls (a request answered while starting) just ask for one
 * more round.
 */
static void
client_update(struct client *c)
{
	struct creq	*r;
	size_t		 used;
	int		 rounds = 0;

	if (c->busy) {
		c->again = 1;
		return;
	}
	c->busy = 1;
	do {
		c->again = 0;
		if (c->state == CLIENT_CLOSED)
			break;
		if (c->in != NULL && !c->too_long && client_room(c)) {
			used = client_lines(c, c->in->data + c->in->off,
			    cbuf_used(c->in));
			if (c->too_long)
				cbuf_free(&c->in);
			else if (used > 0)
				cbuf_consume(&c->in, used);
		}
		while (c->dead == NULL && (r = client_next(c)) != NULL) {
			c->next_wait = TAILQ_NEXT(r, entry);
			r->state = CREQ_RUNNING;
			c->nrunning++;
			metrics_waiting_add(srv->metrics, -1);
			jsonproto_start(r);
			if (c->state == CLIENT_CLOSED)
				break;
		}
		if (++rounds > 1000000)
			fatalx("%s: no progress", client_name(c));
	} while (c->again);
	c->busy = 0;
	if (c->state == CLIENT_CLOSED)
		return;
	if (c->dead != NULL) {
		client_close(c, c->dead);
		return;
	}

	/* Read more only with room for more requests. */
	c->reading = (c->state == CLIENT_OPEN && !c->too_long &&
	    client_room(c) && (!c->draining || c->drain_left > 0) &&
	    (c->in == NULL ||
	    cbuf_used(c->in) <= srv->cfg->max_line_length + 1));
	if (c->nreqs == 0 && c->out == NULL) {
		if (c->too_long && !c->lingering) {
			/*
			 * The client may still be sending the long line: read
			 * and drop it for a while, so it reads our answers
			 * and EOF rather than a reset.
			 */
			shutdown(c->fd, SHUT_WR);
			c->lingering = 1;
		}
		if (c->state == CLIENT_EOF ||
		    (c->draining && c->drain_left == 0)) {
			/* Every answer is out: the client reads EOF now. */
			shutdown(c->fd, SHUT_WR);
			client_discard(c);
			client_close(c, c->state == CLIENT_EOF ?
			    "end of requests" : "drained");
			return;
		}
	}
	if (c->lingering) {
		if (srv->state >= SERVER_DRAINING) {
			client_discard(c);
			client_close(c, "line too long");
			return;
		}
		c->reading = 1;
	}
	client_arm(c);
}

static void
client_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;

	if (events & EV_WRITE) {
		if (client_flush(c) != 0)
			c->dead = "write error";
	}
	if ((events & EV_READ) && c->dead == NULL && c->reading)
		client_read(c);
	client_update(c);
}

void
client_kick(struct client *c)
{
	client_update(c);
}

/*
 * SIGTERM: what the client already wrote is read and answered, nothing
 * after it (FIONREAD says how much is waiting now).
 */
void
client_drain(struct client *c)
{
	int	n = 0;

	if (c->state != CLIENT_OPEN) {
		client_update(c);
		return;
	}
	if (ioctl(c->fd, FIONREAD, &n) != 0 || n < 0)
		n = 0;
	c->draining = 1;
	c->drain_left = (size_t)n;
	/* A partial line at the deadline was never a request. */
	if (n == 0 && c->in != NULL && memchr(c->in->data + c->in->off, '\n',
	    cbuf_used(c->in)) == NULL)
		cbuf_free(&c->in);
	client_update(c);
}

/* Drain deadline: shutting_down for what is left, best-effort flush. */
void
client_abort(struct client *c)
{
	struct creq	*r;

	c->busy = 1;	/* nothing starts from here on */
	while ((r = TAILQ_FIRST(&c->reqs)) != NULL)
		creq_detach_error(r, "shutting_down",
		    "the daemon is shutting down and the drain time ran out");
	c->busy = 0;
	client_flush(c);
	if (c->state != CLIENT_CLOSED) {
		shutdown(c->fd, SHUT_WR);
		client_close(c, "drain time ran out");
	}
}

/*
 * A request was answered (or given up): take it off the queue and let
 * the next ones start.  Orphans (client gone) are just freed.
 */
void
creq_finish(struct creq *r)
{
	struct client	*c = r->client;

	if (r->counted) {
		srv->inflight--;
		r->counted = 0;
	}
	if (c == NULL) {
		creq_free(r);
		server_check_drained();
		return;
	}
	client_req_remove(c, r);
	c->nreqs--;
	if (r->state == CREQ_RUNNING)
		c->nrunning--;
	creq_free(r);
	client_update(c);
	if (c->state != CLIENT_CLOSED && c->nreqs == 0)
		server_check_drained();
}
