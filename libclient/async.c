/*
 * async.c: libcqlproxy's non-blocking API.  Requests are queued as lines
 * in one output buffer and written when the socket takes them; answers
 * are matched to requests by id (idtab.c) and handed out as completions.  Nothing
 * here waits: the caller's event loop polls cqlp_async_fd().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqlp-int.h"

/* Move a pending request to the completed list with its result. */
static void
complete(struct cqlp *c, struct pending *p, struct cqlp_result *r)
{
	r->id = p->id;
	r->udata = p->udata;
	p->result = r;
	p->next = NULL;
	if (c->done_tail != NULL)
		c->done_tail->next = p;
	else
		c->done_head = p;
	c->done_tail = p;
}

/* Take p out of the pending list (the caller takes it out of pend_ids). */
static void
unlink_pending(struct cqlp *c, struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		c->pend_head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		c->pend_tail = p->prev;
}

static void
fail_pending(struct cqlp *c, struct pending *p, enum cqlp_err e,
    const char *msg)
{
	struct cqlp_result	*r;

	r = result_new_error(e, cqlp_strerr(e), msg);
	if (r == NULL) {
		/* No memory for a completion: drop it, keep the count right. */
		c->npending--;
		free(p);
		return;
	}
	complete(c, p, r);
}

/*
 * The connection is gone.  A request whose bytes have (partly) gone out
 * may or may not have run, so it completes with CQLP_ERR_CLOSED; the
 * ones never started stay queued for the next connection.
 */
void
async_conn_lost(struct cqlp *c)
{
	struct pending	*p, *next;
	size_t		 cut;

	for (p = c->pend_head; p != NULL; p = next) {
		next = p->next;
		if (p->start >= c->out_base)
			continue;
		if (p->end > c->out_base) {
			/* The rest of a part-written line is never sent. */
			cut = (size_t)(p->end - c->out_base);
			sbuf_consume(&c->out, cut);
			c->out_base = p->end;
		}
		unlink_pending(c, p);
		(void)idtab_take(&c->pend_ids, p->id);
		fail_pending(c, p, CQLP_ERR_CLOSED, "connection to cqlproxyd "
		    "lost after the request was sent: it may or may not have "
		    "run");
	}
}

/* A forked child: the parent's requests are not the child's to send. */
void
async_forget(struct cqlp *c)
{
	struct pending	*p, *next;

	for (p = c->pend_head; p != NULL; p = next) {
		next = p->next;
		fail_pending(c, p, CQLP_ERR_CLOSED, "request made before "
		    "fork(): the child does not send it");
	}
	c->pend_head = c->pend_tail = NULL;
	idtab_clear(&c->pend_ids);
	sbuf_reset(&c->out);
	c->out_base = 0;
}

void
async_free_all(struct cqlp *c)
{
	struct pending	*p, *next;

	for (p = c->pend_head; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	for (p = c->done_head; p != NULL; p = next) {
		next = p->next;
		cqlp_result_free(p->result);
		free(p);
	}
	c->pend_head = c->pend_tail = c->done_head = c->done_tail = NULL;
	idtab_free(&c->pend_ids);
	c->npending = 0;
	sbuf_reset(&c->out);
	c->out_base = 0;
}

int
cqlp_async_fd(struct cqlp *c)
{
	int64_t	deadline = io_now() + c->timeout_ms;

	if (client_ensure(c, deadline, c->pend_head == NULL) != CQLP_OK)
		return (-1);
	if (c->need_use && client_restore(c, deadline) != CQLP_OK)
		return (-1);
	return (c->fd);
}

/* Queue one request line already built in sb (with id). */
static uint64_t
submit(struct cqlp *c, struct sbuf *sb, uint64_t id, void *udata)
{
	struct pending	*p;

	/* A child queues nothing behind its parent's requests. */
	client_check_fork(c);
	if (!sb->err && client_check_text(c, sb) != CQLP_OK) {
		sbuf_free(sb);
		return (0);
	}
	if (sb->err || (p = calloc(1, sizeof *p)) == NULL) {
		sbuf_free(sb);
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (0);
	}
	if (idtab_add(&c->pend_ids, id, p) != 0) {
		free(p);
		sbuf_free(sb);
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (0);
	}
	p->id = id;
	p->udata = udata;
	p->start = c->out_base + c->out.len;
	p->end = p->start + sb->len;
	sbuf_add(&c->out, sb->p, sb->len);
	sbuf_free(sb);
	if (c->out.err) {
		(void)idtab_take(&c->pend_ids, id);
		free(p);
		client_set_error(c, CQLP_ERR_NOMEM, "out of memory");
		return (0);
	}
	p->prev = c->pend_tail;
	if (c->pend_tail != NULL)
		c->pend_tail->next = p;
	else
		c->pend_head = p;
	c->pend_tail = p;
	c->npending++;
	client_clear_error(c);
	return (id);
}

uint64_t
cqlp_async_submit(struct cqlp *c, const struct cqlp_stmt *s, void *udata)
{
	struct reqinfo	ri;
	struct sbuf	sb;
	uint64_t	id = c->next_id++;

	if (s == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no statement");
		return (0);
	}
	sbuf_init(&sb);
	stmt_request(&sb, s, id, c->numbers_as_strings, &ri);
	return (submit(c, &sb, id, udata));
}

uint64_t
cqlp_async_submit_batch(struct cqlp *c, const struct cqlp_batch *b,
    void *udata)
{
	struct reqinfo	ri;
	struct sbuf	sb;
	uint64_t	id = c->next_id++;

	if (b == NULL) {
		client_set_error(c, CQLP_ERR_INVALID, "no batch");
		return (0);
	}
	sbuf_init(&sb);
	batch_request(&sb, b, id, c->numbers_as_strings, &ri);
	return (submit(c, &sb, id, udata));
}

uint64_t
cqlp_async_submit_json(struct cqlp *c, const char *json, void *udata)
{
	struct reqinfo	ri;
	struct sbuf	sb;
	uint64_t	id = c->next_id++;

	sbuf_init(&sb);
	if (json == NULL || raw_request(&sb, json, id, c->numbers_as_strings,
	    &ri) != 0) {
		sbuf_free(&sb);
		client_set_error(c, CQLP_ERR_INVALID,
		    "a request must be one JSON object without an id");
		return (0);
	}
	return (submit(c, &sb, id, udata));
}

int
cqlp_async_want_write(const struct cqlp *c)
{
	return (c->out.len > 0);
}

enum cqlp_err
cqlp_async_flush(struct cqlp *c)
{
	ssize_t	n;
	int	saved;

	client_check_fork(c);
	if (c->out.len == 0)
		return (CQLP_OK);
	if (c->fd == -1)
		return (client_set_error(c, CQLP_ERR_CLOSED,
		    "not connected: call cqlp_async_fd()"));
	while (c->out.len > 0) {
		n = io_write(c->fd, c->out.p, c->out.len);
		if (n < 0) {
			saved = errno;
			client_disconnect(c);
			return (client_set_error(c, CQLP_ERR_CLOSED,
			    "writing to cqlproxyd: %s", strerror(saved)));
		}
		if (n == 0)
			break;
		sbuf_consume(&c->out, (size_t)n);
		c->out_base += (uint64_t)n;
	}
	return (CQLP_OK);
}

/* Find and unlink the pending request of an id. */
static struct pending *
take_pending(struct cqlp *c, uint64_t id)
{
	struct pending	*p;

	if ((p = idtab_take(&c->pend_ids, id)) != NULL)
		unlink_pending(c, p);
	return (p);
}

enum cqlp_err
cqlp_async_read(struct cqlp *c)
{
	struct cqlp_result	*r;
	struct pending		*p;
	int			 rv, eof, saved;

	client_check_fork(c);
	if (c->fd == -1)
		return (client_set_error(c, CQLP_ERR_CLOSED,
		    "not connected: call cqlp_async_fd()"));
	eof = client_fill(c, &saved) < 0;
	while ((rv = client_next_answer(c, &r)) == 1) {
		if (jnode_get(r->doc.root, "id") == NULL) {
			/* A connection-wide error: keep it for the caller. */
			if (r->status != CQLP_OK)
				client_set_server_error(c,
				    jnode_get(r->doc.root, "error"));
			cqlp_result_free(r);
			continue;
		}
		if ((p = take_pending(c, r->id)) == NULL) {
			cqlp_result_free(r);
			continue;
		}
		complete(c, p, r);
	}
	if (rv < 0) {
		client_disconnect(c);
		return (c->err);
	}
	if (eof) {
		client_disconnect(c);
		if (c->err == CQLP_ERR_SERVER)
			return (CQLP_ERR_CLOSED);
		return (client_set_error(c, CQLP_ERR_CLOSED,
		    "cqlproxyd closed the connection%s%s",
		    saved != 0 ? ": " : "", saved != 0 ? strerror(saved) : ""));
	}
	return (CQLP_OK);
}

struct cqlp_result *
cqlp_async_collect(struct cqlp *c)
{
	struct pending		*p;
	struct cqlp_result	*r;

	if ((p = c->done_head) == NULL)
		return (NULL);
	if ((c->done_head = p->next) == NULL)
		c->done_tail = NULL;
	r = p->result;
	free(p);
	c->npending--;
	return (r);
}

size_t
cqlp_async_pending(const struct cqlp *c)
{
	return (c->npending);
}
