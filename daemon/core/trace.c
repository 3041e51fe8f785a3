/*
 * trace.c: fetching a finished trace from system_traces (trace.h): poll
 * the session row until it has its duration, then read the events.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "clock.h"
#include "cqltype.h"
#include "cqlval.h"
#include "conn.h"
#include "host.h"
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "trace.h"

#define TRACE_SESSION_QUERY \
	"SELECT session_id, client, command, coordinator, duration, " \
	"parameters, request, started_at FROM system_traces.sessions " \
	"WHERE session_id = ?"
#define TRACE_EVENTS_QUERY \
	"SELECT event_id, activity, source, source_elapsed, thread " \
	"FROM system_traces.events WHERE session_id = ?"

/* Where a fetch stands. */
enum trace_stage {
	TRACE_SESSION = 0,	/* polling sessions for the duration */
	TRACE_EVENTS		/* reading events, page by page */
};

struct trace_fetch {
	struct cluster		*c;
	uint8_t			 id[16];
	struct trace_opts	 o;		/* o.host referenced */
	trace_cb		 cb;
	void			*arg;
	enum trace_stage	 stage;
	struct request		*req;
	int			 cancelling;	/* request_cancel running */
	struct event		*poll_ev;
	struct event		*deadline_ev;
	int			 interval_ms;
	uint64_t		 deadline_ms;
	uint64_t		 deadline_us;	/* clock_now_us */
	struct trace		*t;
	uint8_t			*paging_state;
	size_t			 paging_len;
};

void
trace_opts_default(struct trace_opts *o)
{
	memset(o, 0, sizeof *o);
	o->interval_ms = TRACE_INTERVAL_MS;
	o->max_interval_ms = TRACE_MAX_INTERVAL_MS;
	o->max_wait_ms = TRACE_MAX_WAIT_MS;
	o->consistency = CL_ONE;
}

void
trace_free(struct trace *t)
{
	size_t	i;

	if (t == NULL)
		return;
	free(t->coordinator);
	free(t->request);
	free(t->client);
	free(t->command);
	for (i = 0; i < t->nparams; i++) {
		free(t->params[i].key);
		free(t->params[i].value);
	}
	free(t->params);
	for (i = 0; i < t->nevents; i++) {
		free(t->events[i].activity);
		free(t->events[i].source);
		free(t->events[i].thread);
	}
	free(t->events);
	free(t);
}

const char *
trace_param(const struct trace *t, const char *key)
{
	size_t	i;

	for (i = 0; i < t->nparams; i++) {
		if (strcmp(t->params[i].key, key) == 0)
			return (t->params[i].value);
	}
	return (NULL);
}

/* Cells. */

/*
 * Decode the named column of a row: 1 with *v set, 0 if null or absent,
 * -1 if it does not decode.
 */
static int
trace_cell(const struct result *r, int32_t row, const char *name,
    struct cqlval **v)
{
	const struct bytesval	*b;
	char			 err[128];
	int			 col;

	*v = NULL;
	if ((col = result_column_index(r, name)) < 0)
		return (0);
	b = result_cell(r, row, (size_t)col);
	if (b == NULL || b->state != BYTES_VALUE)
		return (0);
	if (cqlval_decode(r->columns.cols[col].type, b->v.p, b->v.n, v, err,
	    sizeof err) != 0) {
		log_debug("trace: column %s: %s", name, err);
		return (-1);
	}
	return (1);
}

static char *
trace_text_of(const struct cqlval *v)
{
	char	buf[CQLVAL_INET_STRLEN];

	if (v == NULL || v->is_null || v->is_empty)
		return (xstrdup(""));
	switch (v->kind) {
	case CQLTYPE_TEXT:
	case CQLTYPE_ASCII:
		return (xstrndup((const char *)v->u.bytes.p, v->u.bytes.n));
	case CQLTYPE_INET:
		if (cqlval_inet_format(v->u.inet.a, v->u.inet.n, buf,
		    sizeof buf) < 0)
			return (xstrdup(""));
		return (xstrdup(buf));
	default:
		return (xstrdup(""));
	}
}

/* A text-like column as a string ("" when null); -1 if undecodable. */
static int
trace_text(const struct result *r, int32_t row, const char *name, char **s)
{
	struct cqlval	*v;
	int		 rv;

	rv = trace_cell(r, row, name, &v);
	*s = trace_text_of(v);
	cqlval_free(v);
	return (rv < 0 ? -1 : 0);
}

/* An integer-like column; 0 if null (*set 0), -1 if undecodable. */
static int
trace_int(const struct result *r, int32_t row, const char *name,
    int64_t *out, int *set)
{
	struct cqlval	*v;
	int		 rv;

	*set = 0;
	rv = trace_cell(r, row, name, &v);
	if (rv == 1 && !v->is_null && !v->is_empty) {
		switch (v->kind) {
		case CQLTYPE_INT:
		case CQLTYPE_BIGINT:
		case CQLTYPE_TIMESTAMP:
		case CQLTYPE_SMALLINT:
		case CQLTYPE_TINYINT:
			*out = v->u.i;
			*set = 1;
			break;
		default:
			break;
		}
	}
	cqlval_free(v);
	return (rv < 0 ? -1 : 0);
}

static int
trace_uuid(const struct result *r, int32_t row, const char *name,
    uint8_t out[16])
{
	struct cqlval	*v;
	int		 rv;

	memset(out, 0, 16);
	rv = trace_cell(r, row, name, &v);
	if (rv == 1 && !v->is_null && !v->is_empty &&
	    (v->kind == CQLTYPE_UUID || v->kind == CQLTYPE_TIMEUUID))
		memcpy(out, v->u.uuid, 16);
	cqlval_free(v);
	return (rv < 0 ? -1 : 0);
}

static int
trace_params(const struct result *r, int32_t row, struct trace *t)
{
	struct cqlval	*v;
	size_t		 i;
	int		 rv;

	rv = trace_cell(r, row, "parameters", &v);
	if (rv == 1 && v->kind == CQLTYPE_MAP && v->u.coll.n > 0) {
		t->params = xcalloc(v->u.coll.n, sizeof *t->params);
		for (i = 0; i < v->u.coll.n; i++) {
			t->params[i].key = trace_text_of(v->u.coll.items[2 * i]);
			t->params[i].value =
			    trace_text_of(v->u.coll.items[2 * i + 1]);
		}
		t->nparams = v->u.coll.n;
	}
	cqlval_free(v);
	return (rv < 0 ? -1 : 0);
}

/* The session row: 1 complete, 0 not yet (no row, no duration), -1 bad. */
static int
trace_parse_session(const struct result *r, struct trace *t)
{
	int64_t	 n;
	int	 set, bad = 0;

	if (r->rows_count < 1)
		return (0);
	if (trace_int(r, 0, "duration", &n, &set) != 0)
		return (-1);
	if (!set)
		return (0);
	t->duration_us = (int32_t)n;
	bad |= trace_uuid(r, 0, "session_id", t->session_id);
	bad |= trace_text(r, 0, "client", &t->client);
	bad |= trace_text(r, 0, "command", &t->command);
	bad |= trace_text(r, 0, "coordinator", &t->coordinator);
	bad |= trace_text(r, 0, "request", &t->request);
	bad |= trace_params(r, 0, t);
	if (trace_int(r, 0, "started_at", &n, &set) != 0)
		bad = -1;
	t->started_at = set ? n : 0;
	return (bad != 0 ? -1 : 1);
}

static int
trace_parse_events(const struct result *r, struct trace *t)
{
	struct trace_event	*e;
	int64_t			 n;
	int32_t			 row;
	int			 set, bad = 0;

	if (r->rows_count <= 0)
		return (0);
	for (row = 0; row < r->rows_count; row++) {
		if (t->nevents >= TRACE_MAX_EVENTS) {
			t->truncated = 1;
			break;
		}
		t->events = xreallocarray(t->events, t->nevents + 1,
		    sizeof *t->events);
		e = &t->events[t->nevents++];
		memset(e, 0, sizeof *e);
		bad |= trace_uuid(r, row, "event_id", e->event_id);
		bad |= trace_text(r, row, "activity", &e->activity);
		bad |= trace_text(r, row, "source", &e->source);
		bad |= trace_text(r, row, "thread", &e->thread);
		if (trace_int(r, row, "source_elapsed", &n, &set) != 0)
			bad = -1;
		e->source_elapsed = set ? (int32_t)n : -1;
	}
	return (bad != 0 ? -1 : 0);
}

/* The fetch. */

static void
trace_fetch_release(struct trace_fetch *tf)
{
	event_free(tf->poll_ev);
	event_free(tf->deadline_ev);
	if (tf->o.host != NULL)
		host_unref(tf->o.host);
	trace_free(tf->t);
	free(tf->paging_state);
	free(tf);
}

/* A loop turn after trace_finish: the fetch's callbacks have returned. */
static void
trace_release_fire(evutil_socket_t fd, short events, void *arg)
{
	trace_fetch_release(arg);
}

/*
 * Answer the caller, then free the fetch a loop turn later: this may run
 * inside the fetch's own deadline timer.
 */
static void
trace_finish(struct trace_fetch *tf, enum core_error e, const char *why)
{
	struct trace	*t = NULL;
	struct timeval	 tv = { 0, 0 };

	evtimer_del(tf->poll_ev);
	evtimer_del(tf->deadline_ev);
	if (e == CORE_OK) {
		t = tf->t;
		tf->t = NULL;
	}
	/* Before the callback, which may free the cluster (tf->c). */
	if (event_base_once(cluster_base(tf->c), -1, EV_TIMEOUT,
	    trace_release_fire, tf, &tv) != 0)
		fatalx("event_base_once failed");
	tf->cb(t, e, why != NULL ? why : "", tf->arg);
}

static void	trace_answer(struct result *, void *);

static void
trace_send(struct trace_fetch *tf)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct bytesval		 v;
	uint64_t		 now = conn_now_ms();

	stmt_init(&s, STMT_QUERY);
	s.query = slice_cstr(tf->stage == TRACE_SESSION ?
	    TRACE_SESSION_QUERY : TRACE_EVENTS_QUERY);
	v = bytesval_value(tf->id, sizeof tf->id);
	s.values.n = 1;
	s.values.values = &v;
	s.routing_key = &v.v;
	s.nrouting_key = 1;
	request_opts_default(&o);
	o.consistency = tf->o.consistency;
	o.keyspace = "system_traces";
	o.host = tf->o.host;
	o.idempotent = 1;
	o.page_size = TRACE_PAGE_SIZE;
	if (tf->paging_state != NULL) {
		o.paging_state.p = tf->paging_state;
		o.paging_state.n = tf->paging_len;
	}
	o.timeout_ms = tf->deadline_ms > now ?
	    (int)(tf->deadline_ms - now) : 1;
	if (tf->stage == TRACE_SESSION)
		tf->t->polls++;
	tf->req = cluster_execute(tf->c, &s, &o, trace_answer, tf);
}

/* Wait before the next poll, a little longer each time. */
static void
trace_schedule(struct trace_fetch *tf)
{
	struct timeval	tv;
	int		ms = tf->interval_ms;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(tf->poll_ev, &tv);
	ms += ms / 2 > 0 ? ms / 2 : 1;
	tf->interval_ms = ms < tf->o.max_interval_ms ? ms :
	    tf->o.max_interval_ms;
}

static void
trace_poll_fire(evutil_socket_t fd, short events, void *arg)
{
	trace_send(arg);
}

/*
 * libevent counts a timer from the loop turn's cached time, which may be
 * older than the fetch: a timer that fires before the real deadline is
 * set again for the rest, so "after N ms" is never less than N ms.
 */
static void
trace_deadline_fire(evutil_socket_t fd, short events, void *arg)
{
	struct trace_fetch	*tf = arg;
	struct timeval		 tv;
	char			 why[64];
	uint64_t		 now = clock_now_us(), left;

	if (now < tf->deadline_us) {
		left = tf->deadline_us - now;
		tv.tv_sec = (time_t)(left / 1000000);
		tv.tv_usec = (suseconds_t)(left % 1000000);
		evtimer_add(tf->deadline_ev, &tv);
		return;
	}
	if (tf->req != NULL) {
		tf->cancelling = 1;
		request_cancel(tf->req);
		tf->req = NULL;
	}
	snprintf(why, sizeof why, "trace not complete after %d ms",
	    tf->o.max_wait_ms);
	trace_finish(tf, CORE_ETIMEOUT, why);
}

/* May the next poll do better? */
static int
trace_transient(const struct result *r)
{
	switch (r->error) {
	case CORE_ETIMEOUT:
	case CORE_ENOHOSTS:
	case CORE_EBUSY:
	case CORE_ECONNECTION:
		return (1);
	case CORE_ESERVER:
		switch (r->server.code) {
		case ERR_READ_TIMEOUT:
		case ERR_READ_FAILURE:
		case ERR_UNAVAILABLE:
		case ERR_OVERLOADED:
		case ERR_IS_BOOTSTRAPPING:
			return (1);
		}
		return (0);
	default:
		return (0);
	}
}

static void
trace_answer(struct result *r, void *arg)
{
	struct trace_fetch	*tf = arg;
	int			 rv;

	tf->req = NULL;
	if (tf->cancelling) {
		result_free(r);
		return;
	}
	if (r->error != CORE_OK) {
		if (tf->o.host != NULL && (r->error == CORE_ENOHOSTS ||
		    r->error == CORE_ECONNECTION || r->error == CORE_EBUSY)) {
			/* The coordinator is gone: any replica will do. */
			host_unref(tf->o.host);
			tf->o.host = NULL;
		}
		if (trace_transient(r))
			trace_schedule(tf);
		else
			trace_finish(tf, r->error, r->message);
		result_free(r);
		return;
	}
	if (tf->stage == TRACE_SESSION) {
		rv = trace_parse_session(r, tf->t);
		if (rv == 0)
			trace_schedule(tf);
		else if (rv < 0)
			trace_finish(tf, CORE_EPROTOCOL,
			    "system_traces.sessions row does not decode");
		else {
			tf->stage = TRACE_EVENTS;
			trace_send(tf);
		}
		result_free(r);
		return;
	}
	if (trace_parse_events(r, tf->t) != 0) {
		trace_finish(tf, CORE_EPROTOCOL,
		    "system_traces.events row does not decode");
		result_free(r);
		return;
	}
	free(tf->paging_state);
	tf->paging_state = NULL;
	tf->paging_len = 0;
	if (r->has_more_pages && r->paging_state_len > 0 &&
	    !tf->t->truncated) {
		tf->paging_state = xmemdup(r->paging_state,
		    r->paging_state_len);
		tf->paging_len = r->paging_state_len;
		result_free(r);
		trace_send(tf);
		return;
	}
	result_free(r);
	trace_finish(tf, CORE_OK, "");
}

struct trace_fetch *
trace_fetch_opts(struct cluster *c, const uint8_t id[16],
    const struct trace_opts *opts, trace_cb cb, void *arg)
{
	struct trace_fetch	*tf;
	struct event_base	*base = cluster_base(c);
	struct timeval		 tv;

	tf = xcalloc(1, sizeof *tf);
	tf->c = c;
	memcpy(tf->id, id, sizeof tf->id);
	tf->o = *opts;
	if (tf->o.interval_ms <= 0)
		tf->o.interval_ms = TRACE_INTERVAL_MS;
	if (tf->o.max_interval_ms < tf->o.interval_ms)
		tf->o.max_interval_ms = tf->o.interval_ms;
	if (tf->o.max_wait_ms <= 0)
		tf->o.max_wait_ms = TRACE_MAX_WAIT_MS;
	if (tf->o.host != NULL)
		host_ref(tf->o.host);
	tf->cb = cb;
	tf->arg = arg;
	tf->interval_ms = tf->o.interval_ms;
	tf->t = xcalloc(1, sizeof *tf->t);
	tf->poll_ev = evtimer_new(base, trace_poll_fire, tf);
	tf->deadline_ev = evtimer_new(base, trace_deadline_fire, tf);
	tf->deadline_ms = conn_now_ms() + (uint64_t)tf->o.max_wait_ms;
	tf->deadline_us = clock_now_us() + (uint64_t)tf->o.max_wait_ms * 1000;
	tv.tv_sec = tf->o.max_wait_ms / 1000;
	tv.tv_usec = (tf->o.max_wait_ms % 1000) * 1000;
	evtimer_add(tf->deadline_ev, &tv);
	trace_send(tf);
	return (tf);
}

struct trace_fetch *
trace_fetch(struct cluster *c, const uint8_t id[16], int max_wait_ms,
    trace_cb cb, void *arg)
{
	struct trace_opts	o;

	trace_opts_default(&o);
	if (max_wait_ms > 0)
		o.max_wait_ms = max_wait_ms;
	return (trace_fetch_opts(c, id, &o, cb, arg));
}

void
trace_fetch_cancel(struct trace_fetch *tf)
{
	if (tf->req != NULL) {
		tf->cancelling = 1;
		request_cancel(tf->req);
		tf->req = NULL;
	}
	trace_fetch_release(tf);
}
