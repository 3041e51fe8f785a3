/*
 * client.c: the handle and the blocking API of libcqlproxy.  One request
 * is in flight at a time; answers are matched by the id the library puts
 * on every request, so a late answer to a call that timed out is simply
 * dropped.  This file also holds the connection's life: connecting,
 * noticing fork() and a restarted daemon, and the retry rule (a request is
 * sent a second time only if none of it was written, or it is safe to
 * repeat).
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqlp-int.h"

#define READ_CHUNK	65536

/*
 * A call whose timeout is also sent to the daemon waits this much longer
 * than it, so the daemon's "timeout" answer wins the race with the
 * library's own deadline.
 */
#define CLIENT_TIMEOUT_GRACE_MS	100

static const char *const errnames[] = {
	[CQLP_OK] = "ok",
	[CQLP_ERR_SERVER] = "server",
	[CQLP_ERR_NOENT] = "noent",
	[CQLP_ERR_REFUSED] = "refused",
	[CQLP_ERR_ACCESS] = "access",
	[CQLP_ERR_CONNECT] = "connect",
	[CQLP_ERR_TIMEOUT] = "client_timeout",
	[CQLP_ERR_CLOSED] = "closed",
	[CQLP_ERR_PROTOCOL] = "bad_answer",
	[CQLP_ERR_IO] = "io",
	[CQLP_ERR_INVALID] = "invalid_argument",
	[CQLP_ERR_NOMEM] = "nomem",
	[CQLP_ERR_NULL] = "null",
	[CQLP_ERR_TYPE] = "type",
	[CQLP_ERR_RANGE] = "range",
	[CQLP_ERR_BUSY] = "busy",
	[CQLP_ERR_AGAIN] = "again",
};

const char *
cqlp_strerr(enum cqlp_err e)
{
	if ((size_t)e >= sizeof errnames / sizeof errnames[0] ||
	    errnames[e] == NULL)
		return ("unknown");
	return (errnames[e]);
}

void
client_clear_error(struct cqlp *c)
{
	c->err = CQLP_OK;
	free(c->err_code);
	free(c->err_msg);
	free(c->err_json);
	c->err_code = c->err_msg = c->err_json = NULL;
}

enum cqlp_err
client_set_error(struct cqlp *c, enum cqlp_err e, const char *fmt, ...)
{
	va_list	ap;
	char	buf[1024];

	client_clear_error(c);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	c->err = e;
	c->err_msg = lc_strdup(buf);
	return (e);
}

/* Keep the daemon's error object (code, message, details) on the handle. */
void
client_set_server_error(struct cqlp *c, const struct jnode *err)
{
	const char	*code, *msg;

	client_clear_error(c);
	c->err = CQLP_ERR_SERVER;
	code = jnode_str(jnode_get(err, "code"));
	msg = jnode_str(jnode_get(err, "message"));
	c->err_code = lc_strdup(code != NULL ? code : "unknown");
	c->err_msg = lc_strdup(msg != NULL ? msg : "");
	if (err != NULL)
		c->err_json = lc_strndup(err->raw, err->rawlen);
}

enum cqlp_err
cqlp_errno(const struct cqlp *c)
{
	return (c->err);
}

const char *
cqlp_error_code(const struct cqlp *c)
{
	if (c->err == CQLP_ERR_SERVER && c->err_code != NULL)
		return (c->err_code);
	return (cqlp_strerr(c->err));
}

const char *
cqlp_error_message(const struct cqlp *c)
{
	return (c->err_msg != NULL ? c->err_msg : "");
}

const char *
cqlp_error_json(const struct cqlp *c)
{
	return (c->err_json);
}

struct cqlp *
cqlp_open(const char *path)
{
	struct cqlp	*c;

	if (path == NULL || *path == '\0')
		path = getenv(CQLP_SOCKET_ENV);
	if (path == NULL || *path == '\0')
		path = CQLP_DEFAULT_SOCKET;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return (NULL);
	if ((c->path = lc_strdup(path)) == NULL) {
		free(c);
		return (NULL);
	}
	c->fd = -1;
	c->pid = getpid();
	c->refs = 1;
	c->next_id = 1;
	c->timeout_ms = CQLP_DEFAULT_TIMEOUT_MS;
	c->max_answer = CQLP_DEFAULT_MAX_ANSWER;
	client_ensure(c, io_now() + c->timeout_ms, 1);
	return (c);
}

void
client_disconnect(struct cqlp *c)
{
	/* close() only: in a forked child shutdown() would cut the parent. */
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	sbuf_reset(&c->in);
	c->scanned = 0;
	if (c->npending > 0 || c->out.len > 0)
		async_conn_lost(c);
}

void
client_unref(struct cqlp *c)
{
	if (--c->refs > 0)
		return;
	client_disconnect(c);
	async_free_all(c);
	client_clear_error(c);
	sbuf_free(&c->in);
	sbuf_free(&c->out);
	free(c->keyspace);
	free(c->path);
	free(c);
}

void
cqlp_close(struct cqlp *c)
{
	if (c == NULL)
		return;
	client_disconnect(c);
	async_free_all(c);
	c->closed = 1;
	client_unref(c);
}

const char *
cqlp_path(const struct cqlp *c)
{
	return (c->path);
}

void
cqlp_set_timeout(struct cqlp *c, int ms)
{
	if (ms > 0)
		c->timeout_ms = ms;
}

void
cqlp_set_numbers_as_strings(struct cqlp *c, int on)
{
	c->numbers_as_strings = on != 0;
}

void
cqlp_set_max_answer(struct cqlp *c, size_t n)
{
	if (n > 0)
		c->max_answer = n;
}

int
client_fill(struct cqlp *c, int *saved_errno)
{
	char	buf[READ_CHUNK];
	ssize_t	n;
	int	got = 0;

	*saved_errno = 0;
	for (;;) {
		n = io_read(c->fd, buf, sizeof buf);
		if (n > 0) {
			sbuf_add(&c->in, buf, (size_t)n);
			if (c->in.err) {
				*saved_errno = ENOMEM;
				return (-1);
			}
			got = 1;
			if ((size_t)n < sizeof buf)
				return (got);
			continue;
		}
		if (n == 0)
			return (-1);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (got);
		*saved_errno = errno;
		return (-1);
	}
}

int
client_next_answer(struct cqlp *c, struct cqlp_result **out)
{
	struct jdoc	 doc;
	char		*nl, *line, err[128];
	size_t		 len;

	*out = NULL;
	for (;;) {
		nl = c->in.len > c->scanned ?
		    memchr(c->in.p + c->scanned, '\n', c->in.len - c->scanned) :
		    NULL;
		if (nl == NULL) {
			c->scanned = c->in.len;
			if (c->in.len > c->max_answer) {
				client_set_error(c, CQLP_ERR_PROTOCOL,
				    "answer longer than %zu bytes",
				    c->max_answer);
				return (-1);
			}
			return (0);
		}
		len = (size_t)(nl - c->in.p);
		if (len > c->max_answer) {
			client_set_error(c, CQLP_ERR_PROTOCOL,
			    "answer longer than %zu bytes", c->max_answer);
			return (-1);
		}
		if (len > 0 && c->in.p[len - 1] == '\r')
			len--;
		line = lc_strndup(c->in.p, len);
		sbuf_consume(&c->in, (size_t)(nl - c->in.p) + 1);
		c->scanned = 0;
		if (line == NULL) {
			client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
			return (-1);
		}
		if (len == 0 || strspn(line, " \t") == len) {
			free(line);
			continue;
		}
		if (jdoc_parse(&doc, line, len, err, sizeof err) != 0) {
			free(line);
			client_set_error(c, CQLP_ERR_PROTOCOL,
			    "bad answer from the daemon: %s", err);
			return (-1);
		}
		if (doc.root->type != J_OBJECT) {
			jdoc_free(&doc);
			client_set_error(c, CQLP_ERR_PROTOCOL,
			    "bad answer from the daemon: not an object");
			return (-1);
		}
		if ((*out = result_new(&doc)) == NULL) {
			jdoc_free(&doc);
			client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
			return (-1);
		}
		return (1);
	}
}

static int
has_id(const struct cqlp_result *r)
{
	return (jnode_get(r->doc.root, "id") != NULL);
}

/* Drop late answers waiting on an idle connection; notice EOF. */
static void
client_drain(struct cqlp *c)
{
	struct cqlp_result	*r;
	int			 e, rv, eof;

	eof = client_fill(c, &e) < 0;
	while ((rv = client_next_answer(c, &r)) == 1)
		cqlp_result_free(r);
	if (eof || rv < 0)
		client_disconnect(c);
}

/*
 * In a child of fork(), the connection and the queued requests are the
 * parent's: drop them (close only) before anything else.  The handle's
 * process is noted at open, not at connect, so requests queued while not
 * connected are never sent by a child either.
 */
void
client_check_fork(struct cqlp *c)
{
	if (c->pid == getpid())
		return;
	async_forget(c);
	client_disconnect(c);
	c->pid = getpid();
}

/*
 * Refuse a request line that is not UTF-8 before it goes out: the daemon
 * would answer bad_json without an id, matching no request.
 */
enum cqlp_err
client_check_text(struct cqlp *c, const struct sbuf *sb)
{
	size_t	bad, from;

	if ((bad = utf8_check(sb->p, sb->len)) == sb->len)
		return (CQLP_OK);
	from = bad > 24 ? bad - 24 : 0;
	while (from < bad && ((unsigned char)sb->p[from] & 0xc0) == 0x80)
		from++;
	return (client_set_error(c, CQLP_ERR_INVALID, "text is not valid "
	    "UTF-8: byte 0x%02x after \"%.*s\"", (unsigned char)sb->p[bad],
	    (int)(bad - from), sb->p + from));
}

/* Say plainly that the daemon is not there, and where it was looked for. */
static enum cqlp_err
connect_error(struct cqlp *c, enum cqlp_err e, int saved)
{
	const char	*hint = "";

	if (e == CQLP_ERR_NOENT || e == CQLP_ERR_REFUSED)
		hint = " (is cqlproxyd running? set CQLPROXY_SOCKET or "
		    "the socket path)";
	else if (e == CQLP_ERR_ACCESS)
		hint = " (is this user allowed to use the socket?)";
	return (client_set_error(c, e, "cannot connect to cqlproxyd at %s: "
	    "%s%s", c->path, strerror(saved), hint));
}

enum cqlp_err
client_ensure(struct cqlp *c, int64_t deadline, int drain)
{
	enum cqlp_err	e;
	int		saved;

	if (c->closed)
		return (client_set_error(c, CQLP_ERR_INVALID,
		    "the handle was closed"));
	client_check_fork(c);
	if (c->fd != -1 && drain)
		client_drain(c);
	if (c->fd != -1 && !drain && io_peer_closed(c->fd)) {
		/* Answers may still be waiting before the EOF: keep them. */
		if (c->npending == 0)
			client_disconnect(c);
	}
	if (c->fd != -1)
		return (CQLP_OK);
	if ((c->fd = io_connect(c->path, deadline, &e, &saved)) == -1)
		return (connect_error(c, e, saved));
	c->pid = getpid();
	c->need_use = c->keyspace != NULL;
	client_clear_error(c);
	return (CQLP_OK);
}

/* Record the keyspace an answer reports for the connection. */
static void
track_keyspace(struct cqlp *c, const struct cqlp_result *r)
{
	const struct jnode	*ks;
	char			*n = NULL;

	if ((ks = jnode_get(r->doc.root, "keyspace")) == NULL)
		return;
	if (ks->type == J_STRING && ks->slen > 0) {
		if ((n = lc_strdup(ks->str)) == NULL)
			return;
	} else if (ks->type != J_NULL && ks->type != J_STRING)
		return;
	free(c->keyspace);
	c->keyspace = n;
}

/*
 * The daemon may refuse a client with one error line without an id
 * (too_many_clients, not_permitted) and close: when a write fails, that
 * line is the reason to report.
 */
static struct cqlp_result *
refusal(struct cqlp *c)
{
	struct cqlp_result	*r;
	int			 saved;

	(void)client_fill(c, &saved);
	while (client_next_answer(c, &r) == 1) {
		if (!has_id(r) && r->status != CQLP_OK) {
			client_disconnect(c);
			return (r);
		}
		cqlp_result_free(r);
	}
	return (NULL);
}

/*
 * Write one request line and wait for its answer on the current
 * connection.  *written counts the bytes that went out; *lost says the
 * connection broke (as opposed to a timeout or a bad answer).
 */
static struct cqlp_result *
exchange(struct cqlp *c, const char *line, size_t len, uint64_t id,
    int64_t deadline, size_t *written, int *lost)
{
	struct cqlp_result	*r;
	ssize_t			 n;
	int			 rv, ev, saved;

	*written = 0;
	*lost = 0;
	while (*written < len) {
		n = io_write(c->fd, line + *written, len - *written);
		if (n < 0) {
			saved = errno;
			if ((r = refusal(c)) != NULL)
				return (r);
			client_disconnect(c);
			*lost = saved == EPIPE || saved == ECONNRESET ||
			    saved == ENOTCONN;
			client_set_error(c, *lost ? CQLP_ERR_CLOSED :
			    CQLP_ERR_IO, "writing to cqlproxyd: %s",
			    strerror(saved));
			return (NULL);
		}
		*written += (size_t)n;
		if (*written == len)
			break;
		if ((ev = io_wait(c->fd, POLLOUT, deadline)) <= 0) {
			/* A part line is never run (not a whole object). */
			client_disconnect(c);
			client_set_error(c, ev == 0 ? CQLP_ERR_TIMEOUT :
			    CQLP_ERR_IO, "timed out writing to cqlproxyd");
			return (NULL);
		}
	}
	for (;;) {
		while ((rv = client_next_answer(c, &r)) == 1) {
			if (r->id == id && has_id(r))
				return (r);
			/* No id: a connection-wide error (too_many_clients...). */
			if (!has_id(r) && r->status != CQLP_OK)
				return (r);
			cqlp_result_free(r);
		}
		if (rv < 0) {
			client_disconnect(c);
			return (NULL);
		}
		if ((ev = io_wait(c->fd, POLLIN, deadline)) == 0) {
			/* The connection stays: the late answer is dropped. */
			client_set_error(c, CQLP_ERR_TIMEOUT,
			    "no answer from cqlproxyd in time");
			return (NULL);
		}
		if (ev < 0 || client_fill(c, &saved) < 0) {
			client_disconnect(c);
			*lost = 1;
			client_set_error(c, CQLP_ERR_CLOSED, "cqlproxyd closed "
			    "the connection after the request was sent: it "
			    "may or may not have run%s%s",
			    saved != 0 ? ": " : "",
			    saved != 0 ? strerror(saved) : "");
			return (NULL);
		}
	}
}

enum cqlp_err
client_restore(struct cqlp *c, int64_t deadline)
{
	struct cqlp_result	*r;
	struct sbuf		 sb;
	uint64_t		 id = c->next_id++;
	size_t			 written;
	int			 lost;

	c->need_use = 0;
	if (c->keyspace == NULL)
		return (CQLP_OK);
	sbuf_init(&sb);
	sbuf_addf(&sb, "{\"id\":%llu,\"op\":\"use\",\"keyspace\":",
	    (unsigned long long)id);
	sbuf_json_str(&sb, c->keyspace, strlen(c->keyspace));
	sbuf_adds(&sb, ",\"compact\":true}\n");
	if (sb.err) {
		sbuf_free(&sb);
		return (client_set_error(c, CQLP_ERR_NOMEM, "out of memory"));
	}
	r = exchange(c, sb.p, sb.len, id, deadline, &written, &lost);
	sbuf_free(&sb);
	if (r == NULL) {
		c->need_use = 1;
		return (c->err);
	}
	if (r->status != CQLP_OK) {
		client_set_server_error(c, jnode_get(r->doc.root, "error"));
		cqlp_result_free(r);
		return (CQLP_ERR_SERVER);
	}
	cqlp_result_free(r);
	return (CQLP_OK);
}

/*
 * One blocking request with the retry rule: on a lost connection the
 * request goes out once more on a new one only when the daemon cannot
 * have received all of it, or when it is safe to run twice.  Answers that are errors
 * come back as results too (status CQLP_ERR_SERVER).
 */
static struct cqlp_result *
roundtrip(struct cqlp *c, const struct sbuf *sb, uint64_t id,
    const struct reqinfo *ri)
{
	struct cqlp_result	*r;
	int64_t			 deadline;
	size_t			 written;
	int			 attempt, lost;

	if (sb->err) {
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (NULL);
	}
	if (client_check_text(c, sb) != CQLP_OK)
		return (NULL);
	client_check_fork(c);
	/* Completions not yet collected are no obstacle: nothing is owed. */
	if (c->pend_head != NULL) {
		client_set_error(c, CQLP_ERR_BUSY,
		    "async requests are in flight on this handle");
		return (NULL);
	}
	/* The daemon's own timeout answer, with its details, comes first. */
	deadline = io_now() + (ri->timeout_ms > 0 ?
	    (int64_t)ri->timeout_ms + CLIENT_TIMEOUT_GRACE_MS : c->timeout_ms);
	for (attempt = 0;; attempt++) {
		if (client_ensure(c, deadline, 1) != CQLP_OK)
			return (NULL);
		if (c->need_use && !ri->is_use &&
		    client_restore(c, deadline) != CQLP_OK) {
			if (c->err == CQLP_ERR_CLOSED && attempt == 0)
				continue;
			return (NULL);
		}
		c->need_use = 0;
		r = exchange(c, sb->p, sb->len, id, deadline, &written, &lost);
		if (r != NULL) {
			if (ri->track_ks && r->status == CQLP_OK)
				track_keyspace(c, r);
			client_clear_error(c);
			return (r);
		}
		if (!lost || attempt > 0)
			return (NULL);
		/*
		 * Without its closing brace the daemon cannot have run it
		 * (a part object is bad JSON), so sending it again is safe.
		 */
		if (written + 1 >= sb->len && !ri->safe) {
			client_set_error(c, CQLP_ERR_CLOSED, "connection to "
			    "cqlproxyd lost after the request was sent: it "
			    "may or may not have run (not sent again)");
			return (NULL);
		}
	}
}

/* A result for the caller, or NULL with the daemon's error on the handle. */
static struct cqlp_result *
ok_or_error(struct cqlp *c, struct cqlp_result *r)
{
	if (r == NULL)
		return (NULL);
	if (r->status == CQLP_OK)
		return (r);
	client_set_server_error(c, jnode_get(r->doc.root, "error"));
	cqlp_result_free(r);
	return (NULL);
}

static int
is_code(const struct cqlp_result *r, const char *code)
{
	return (r->status == CQLP_ERR_SERVER && r->err_code != NULL &&
	    strcmp(r->err_code, code) == 0);
}

/* Prepare text and return the handle's JSON text and string. */
static struct cqlp_prepared *
prepare(struct cqlp *c, const char *cql)
{
	struct cqlp_prepared	*p;
	struct cqlp_result	*r;
	const struct jnode	*h;
	struct reqinfo		 ri;
	struct sbuf		 sb;
	uint64_t		 id = c->next_id++;

	memset(&ri, 0, sizeof ri);
	ri.safe = 1;
	sbuf_init(&sb);
	sbuf_addf(&sb, "{\"id\":%llu,\"op\":\"prepare\",\"cql\":",
	    (unsigned long long)id);
	sbuf_json_str(&sb, cql, strlen(cql));
	sbuf_adds(&sb, ",\"compact\":true}\n");
	r = ok_or_error(c, roundtrip(c, &sb, id, &ri));
	sbuf_free(&sb);
	if (r == NULL)
		return (NULL);
	h = jnode_get(r->doc.root, "statement");
	if (h == NULL || (h->type != J_STRING && h->type != J_NUMBER)) {
		cqlp_result_free(r);
		client_set_error(c, CQLP_ERR_PROTOCOL,
		    "prepare answer without a statement handle");
		return (NULL);
	}
	if ((p = calloc(1, sizeof *p)) != NULL) {
		p->handle = lc_strndup(h->raw, h->rawlen);
		p->id = h->type == J_STRING ? lc_strdup(h->str) :
		    lc_strndup(h->raw, h->rawlen);
		p->cql = lc_strdup(cql);
	}
	cqlp_result_free(r);
	if (p == NULL || p->handle == NULL || p->id == NULL || p->cql == NULL) {
		cqlp_prepared_free(p);
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (NULL);
	}
	return (p);
}

struct cqlp_prepared *
cqlp_prepare(struct cqlp *c, const char *cql)
{
	if (cql == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no CQL text");
		return (NULL);
	}
	return (prepare(c, cql));
}

void
cqlp_prepared_free(struct cqlp_prepared *p)
{
	if (p == NULL)
		return;
	free(p->handle);
	free(p->id);
	free(p->cql);
	free(p);
}

const char *
cqlp_prepared_id(const struct cqlp_prepared *p)
{
	return (p->id);
}

const char *
cqlp_prepared_cql(const struct cqlp_prepared *p)
{
	return (p->cql);
}

/*
 * Run a statement.  A prepared handle the daemon does not know (it was
 * restarted) is prepared again from its text and run once more: the
 * first attempt did not run, so this never repeats a write.
 */
static struct cqlp_result *
exec_stmt(struct cqlp *c, struct cqlp_stmt *s, int keep)
{
	struct cqlp_prepared	*p;
	struct cqlp_result	*r;
	struct reqinfo		 ri;
	struct sbuf		 sb;
	uint64_t		 id;
	int			 again;

	for (again = 0;; again++) {
		id = c->next_id++;
		sbuf_init(&sb);
		stmt_request(&sb, s, id, c->numbers_as_strings, &ri);
		ri.track_ks = s->cql != NULL;
		r = roundtrip(c, &sb, id, &ri);
		sbuf_free(&sb);
		if (r == NULL || again || s->handle == NULL ||
		    s->prep_cql == NULL || !is_code(r, "unknown_statement"))
			break;
		cqlp_result_free(r);
		if ((p = prepare(c, s->prep_cql)) == NULL)
			return (NULL);
		free(s->handle);
		s->handle = p->handle;
		p->handle = NULL;
		cqlp_prepared_free(p);
	}
	if ((r = ok_or_error(c, r)) == NULL)
		return (NULL);
	if (keep && cqlp_result_has_more_pages(r)) {
		if ((r->stmt = stmt_copy(s)) == NULL) {
			cqlp_result_free(r);
			client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
			return (NULL);
		}
		r->conn = c;
		c->refs++;
	}
	return (r);
}

struct cqlp_result *
client_exec_page(struct cqlp *c, struct cqlp_stmt *s)
{
	return (exec_stmt(c, s, 0));
}

struct cqlp_result *
cqlp_exec(struct cqlp *c, const struct cqlp_stmt *s)
{
	struct cqlp_stmt	*copy;
	struct cqlp_result	*r;

	if (s == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no statement");
		return (NULL);
	}
	/* A copy, so a handle prepared again never changes the caller's. */
	if ((copy = stmt_copy(s)) == NULL) {
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (NULL);
	}
	r = exec_stmt(c, copy, 1);
	cqlp_stmt_free(copy);
	return (r);
}

struct cqlp_result *
cqlp_query(struct cqlp *c, const char *cql, const char *values_json)
{
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;

	if (cql == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no CQL text");
		return (NULL);
	}
	if ((s = cqlp_stmt_new(cql)) == NULL) {
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (NULL);
	}
	if (cqlp_stmt_set_values(s, values_json) != CQLP_OK) {
		cqlp_stmt_free(s);
		client_set_error(c, CQLP_ERR_INVALID,
		    "values must be a JSON array or object");
		return (NULL);
	}
	r = exec_stmt(c, s, 1);
	cqlp_stmt_free(s);
	return (r);
}

struct cqlp_result *
cqlp_execute(struct cqlp *c, const struct cqlp_prepared *p,
    const char *values_json)
{
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;

	if (p == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no prepared statement");
		return (NULL);
	}
	if ((s = cqlp_stmt_new_prepared(p)) == NULL) {
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (NULL);
	}
	if (cqlp_stmt_set_values(s, values_json) != CQLP_OK) {
		cqlp_stmt_free(s);
		client_set_error(c, CQLP_ERR_INVALID,
		    "values must be a JSON array or object");
		return (NULL);
	}
	r = exec_stmt(c, s, 1);
	cqlp_stmt_free(s);
	return (r);
}

struct cqlp_result *
cqlp_batch_exec(struct cqlp *c, const struct cqlp_batch *b)
{
	struct reqinfo		 ri;
	struct sbuf		 sb;
	struct cqlp_result	*r;
	uint64_t		 id = c->next_id++;

	if (b == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no batch");
		return (NULL);
	}
	sbuf_init(&sb);
	batch_request(&sb, b, id, c->numbers_as_strings, &ri);
	r = ok_or_error(c, roundtrip(c, &sb, id, &ri));
	sbuf_free(&sb);
	return (r);
}

struct cqlp_result *
cqlp_request(struct cqlp *c, const char *json)
{
	struct reqinfo		 ri;
	struct sbuf		 sb;
	struct cqlp_result	*r;
	uint64_t		 id = c->next_id++;

	sbuf_init(&sb);
	if (json == NULL || raw_request(&sb, json, id, c->numbers_as_strings,
	    &ri) != 0) {
		sbuf_free(&sb);
		client_set_error(c, CQLP_ERR_INVALID,
		    "a request must be one JSON object without an id");
		return (NULL);
	}
	ri.track_ks = ri.is_use;
	r = ok_or_error(c, roundtrip(c, &sb, id, &ri));
	sbuf_free(&sb);
	return (r);
}

enum cqlp_err
cqlp_use(struct cqlp *c, const char *keyspace)
{
	struct reqinfo		 ri;
	struct sbuf		 sb;
	struct cqlp_result	*r;
	uint64_t		 id = c->next_id++;

	memset(&ri, 0, sizeof ri);
	ri.safe = ri.is_use = ri.track_ks = 1;
	sbuf_init(&sb);
	sbuf_addf(&sb, "{\"id\":%llu,\"op\":\"use\",\"keyspace\":",
	    (unsigned long long)id);
	if (keyspace == NULL)
		sbuf_adds(&sb, "null");
	else
		sbuf_json_str(&sb, keyspace, strlen(keyspace));
	sbuf_adds(&sb, ",\"compact\":true}\n");
	r = ok_or_error(c, roundtrip(c, &sb, id, &ri));
	sbuf_free(&sb);
	if (r == NULL)
		return (c->err);
	cqlp_result_free(r);
	return (CQLP_OK);
}

enum cqlp_err
cqlp_ping(struct cqlp *c)
{
	struct reqinfo		 ri;
	struct sbuf		 sb;
	struct cqlp_result	*r;
	uint64_t		 id = c->next_id++;

	memset(&ri, 0, sizeof ri);
	ri.safe = 1;
	sbuf_init(&sb);
	sbuf_addf(&sb, "{\"id\":%llu,\"op\":\"ping\"}\n",
	    (unsigned long long)id);
	r = ok_or_error(c, roundtrip(c, &sb, id, &ri));
	sbuf_free(&sb);
	if (r == NULL)
		return (c->err);
	cqlp_result_free(r);
	return (CQLP_OK);
}
