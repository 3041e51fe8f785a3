/*
 * request.c: one statement's trip through the cluster: the query plan,
 * a connection from each host's pool, the retry policy's decisions,
 * speculative executions, the request timeout, re-preparing on
 * UNPREPARED and waiting for schema agreement after DDL.
 *
 * A request has up to 1 + SPEC_MAX_ATTEMPTS execution slots: the first
 * execution and the speculative ones.  A retry reuses its slot.  The
 * request ends when one execution answers (the others are cancelled),
 * when the retry policy gives an error back and no other execution is
 * still running, when the plan runs out, or when the timeout fires.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "conn.h"
#include "host.h"
#include "pool.h"
#include "policy.h"
#include "murmur3.h"
#include "clock.h"
#include "cluster.h"
#include "control.h"
#include "request.h"
#include "result.h"

#define REQ_MAX_EXEC	(1 + SPEC_MAX_ATTEMPTS)
/* Copies for the wire message up to this size live in the request. */
#define REQ_KEEP_INLINE	256
/* Ended requests kept for reuse with their timers (they are large). */
#define REQ_POOL_MAX	256

struct request;

/* One execution: the first attempt or a speculative one, and its retries. */
struct req_exec {
	struct request	*req;
	struct host	*host;		/* referenced while set */
	struct conn	*conn;
	uint64_t	 id;
	int		 active;	/* an answer (or re-prepare) is awaited */
	int		 reprepared;
};

/* Something that may call back after the request ended. */
struct req_ticket {
	struct request	*req;
	struct req_exec	*exec;
};

struct req_mem {
	struct req_mem	*next;
	uint8_t		 data[];
};

struct request {
	TAILQ_ENTRY(request)	 entry;
	struct cluster		*c;
	request_cb		 cb;
	void			*arg;
	struct result		*res;

	enum stmt_kind		 kind;
	struct req_mem		*mem;		/* copies msg points into */
	struct slice		 query;		/* EXECUTE: for re-preparing */
	struct bytesval		*values;	/* EXECUTE: for the hook */
	size_t			 nvalues;
	char			*keyspace;
	uint8_t			 flags;		/* frame flags (tracing) */
	int			 idempotent;
	enum retry_policy_kind	 policy;
	int			 speculate;
	uint16_t		 consistency;

	struct host		*target;	/* request_opts.host */
	int			 target_given;
	struct lb_request	 lbreq;
	int			 plan_begun;

	unsigned int		 nexec;		/* slots used */
	unsigned int		 active;
	unsigned int		 busy;		/* hosts passed over as busy */
	unsigned int		 tried;		/* hosts given by the plan */

	int			 timeout_ms;
	struct request_timeouts	*tq;		/* the timeout's queue, or NULL */
	TAILQ_ENTRY(request)	 tq_entry;
	uint64_t		 deadline_us;	/* start_us + timeout, when armed */
	struct event		*timeout_ev;	/* these point into evs */
	struct event		*spec_ev;
	struct event		*defer_ev;
	unsigned int		 timers;	/* REQ_T_*: which are pending */
	uint64_t		 start_us;	/* clock_now_us or opts.start_us */

	int			 in_execute;	/* inside cluster_execute */
	int			 finished;	/* result decided */
	int			 delivered;	/* callback ran */
	int			 pending;	/* tickets out */

	size_t			 keep_used;	/* of keep_buf */

	/*
	 * Not cleared when a request is reused (req_alloc): each is set up
	 * before it is read.  msg by req_build, plan by lb_plan_begin, an
	 * execution slot when it is taken (cluster_execute, req_exec_slot),
	 * the timers by req_alloc (kept assigned while the request waits on
	 * the free list: evs_cluster says for which cluster), keep_buf up to
	 * keep_used.
	 */
	struct msg		 msg;		/* what goes on the wire */
	uint64_t		 evs_cluster;	/* cluster_serial; 0 none */
	struct event		 evs[3];
	struct lb_plan		 plan;
	struct req_exec		 exec[REQ_MAX_EXEC];
	uint64_t		 keep_buf[REQ_KEEP_INLINE / sizeof (uint64_t)];
};

static struct freelist	req_fl = FREELIST_INITIALIZER(REQ_POOL_MAX, 0, NULL);

/* Pending timers of a request, so that only those are deleted. */
#define REQ_T_TIMEOUT	0x1
#define REQ_T_SPEC	0x2
#define REQ_T_DEFER	0x4

static void	req_finish(struct request *);
static void	req_free(struct request *);
static void	req_defer_fire(evutil_socket_t, short, void *);
static int	req_try(struct request *, struct req_exec *);
static void	req_exhausted(struct request *);

void
stmt_init(struct stmt *s, enum stmt_kind kind)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->batch_type = BATCH_LOGGED;
}

void
request_opts_default(struct request_opts *o)
{
	memset(o, 0, sizeof *o);
	o->consistency = REQUEST_CL_DEFAULT;
	o->serial_consistency = REQUEST_CL_DEFAULT;
	o->retry_policy = -1;
}

/* Room for a copy of n bytes (and a NUL) too big for the request's own. */
static uint8_t *
req_keep_heap(struct request *req, size_t n)
{
	struct req_mem	*m;

	m = xmalloc(sizeof *m + n + 1);
	m->next = req->mem;
	req->mem = m;
	return (m->data);
}

/*
 * Copies that live as long as the request: small ones in the request
 * itself (8-byte aligned: they hold arrays of structs too), the rest on
 * the heap.  Inline: a request keeps several.
 */
static inline void *
req_keep(struct request *req, const void *p, size_t n)
{
	uint8_t		*d;
	size_t		 need = (n + 1 + 7) & ~(size_t)7;

	if (need <= sizeof req->keep_buf - req->keep_used) {
		d = (uint8_t *)req->keep_buf + req->keep_used;
		req->keep_used += need;
	} else
		d = req_keep_heap(req, n);
	if (n > 0 && p != NULL)
		memcpy_small(d, p, n);
	else if (n > 0)
		memset(d, 0, n);
	d[n] = '\0';
	return (d);
}

static struct slice
req_keep_slice(struct request *req, struct slice s)
{
	struct slice	out;

	out.p = req_keep(req, s.p, s.n);
	out.n = s.n;
	return (out);
}

static void
req_keep_values(struct request *req, const struct stmt_values *v,
    size_t *n, struct bytesval **values, struct slice **names)
{
	struct bytesval	*bv;
	struct slice	*nm = NULL;
	size_t		 i;

	*n = 0;
	*values = NULL;
	*names = NULL;
	if (v->n == 0 || v->values == NULL)
		return;
	bv = req_keep(req, v->values, v->n * sizeof *bv);
	for (i = 0; i < v->n; i++) {
		if (bv[i].state == BYTES_VALUE)
			bv[i].v = req_keep_slice(req, v->values[i].v);
		else
			bv[i].v.p = NULL, bv[i].v.n = 0;
	}
	if (v->names != NULL) {
		nm = req_keep(req, v->names, v->n * sizeof *nm);
		for (i = 0; i < v->n; i++)
			nm[i] = req_keep_slice(req, v->names[i]);
	}
	*n = v->n;
	*values = bv;
	*names = nm;
}

/* A USE would change the keyspace of a connection every request shares. */
static int
req_is_use(struct slice q)
{
	size_t	i = 0;

	while (i < q.n && isspace(q.p[i]))
		i++;
	if (q.n - i < 4)
		return (0);
	return (tolower(q.p[i]) == 'u' && tolower(q.p[i + 1]) == 's' &&
	    tolower(q.p[i + 2]) == 'e' && isspace(q.p[i + 3]));
}

static void
req_params(struct request *req, const struct request_opts *o,
    const struct cluster_config *cfg, struct query_params *p,
    const struct stmt_values *v)
{
	int32_t	page_size;

	req_keep_values(req, v, &p->nvalues, &p->values, &p->names);
	if (p->names != NULL)
		p->flags |= QP_NAMES;
	page_size = o->page_size != 0 ? o->page_size : cfg->page_size;
	if (page_size > 0) {
		p->flags |= QP_PAGE_SIZE;
		p->page_size = page_size;
	}
	if (o->paging_state.n > 0) {
		p->flags |= QP_PAGING_STATE;
		p->paging_state.state = BYTES_VALUE;
		p->paging_state.v = req_keep_slice(req, o->paging_state);
	}
}

/* Consistency, serial consistency and timestamp, shared by all kinds. */
static void
req_common(struct request *req, const struct request_opts *o,
    const struct cluster_config *cfg, uint32_t *flags, uint16_t *serial,
    int64_t *ts)
{
	uint16_t	s;

	s = o->serial_consistency == REQUEST_CL_DEFAULT ?
	    cfg->serial_consistency : o->serial_consistency;
	if (s != 0) {
		*flags |= QP_SERIAL_CONSISTENCY;
		*serial = s;
	}
	if (o->has_timestamp) {
		*flags |= QP_DEFAULT_TIMESTAMP;
		*ts = o->timestamp;
	} else if (cfg->client_timestamps) {
		*flags |= QP_DEFAULT_TIMESTAMP;
		*ts = cluster_next_timestamp(req->c);
	}
}

/* The routing token: given, from routing key components, or pk indexes. */
static void
req_routing(struct request *req, const struct stmt *s)
{
	struct slice	 comp[REQUEST_MAX_ROUTING];
	size_t		 i;
	int64_t		 t;

	if (s->has_token) {
		req->lbreq.has_token = 1;
		req->lbreq.token = s->token;
		return;
	}
	if (s->routing_key != NULL && s->nrouting_key > 0 &&
	    s->nrouting_key <= REQUEST_MAX_ROUTING) {
		if (murmur3_routing_token(s->routing_key, s->nrouting_key,
		    &t) == 0) {
			req->lbreq.has_token = 1;
			req->lbreq.token = t;
		}
		return;
	}
	if (s->kind != STMT_EXECUTE || s->pk_index == NULL ||
	    s->pk_count == 0 || s->pk_count > REQUEST_MAX_ROUTING ||
	    s->values.names != NULL)
		return;
	for (i = 0; i < s->pk_count; i++) {
		if (s->pk_index[i] >= s->values.n ||
		    s->values.values[s->pk_index[i]].state != BYTES_VALUE)
			return;
		comp[i] = s->values.values[s->pk_index[i]].v;
	}
	if (murmur3_routing_token(comp, s->pk_count, &t) == 0) {
		req->lbreq.has_token = 1;
		req->lbreq.token = t;
	}
}

/* Build the message; -1 with the result set to a usage error. */
static int
req_build(struct request *req, const struct stmt *s,
    const struct request_opts *o, const struct cluster_config *cfg)
{
	struct msg		*m = &req->msg;
	struct batch_stmt	*bs;
	size_t			 i;

	/* The prefixes, then each kind its own member: the union is large. */
	memset(m, 0, offsetof(struct msg, u));
	switch (s->kind) {
	case STMT_QUERY:
		memset(&m->u.query, 0, sizeof m->u.query);
		if (req_is_use(s->query)) {
			result_set_error(req->res, CORE_EUSAGE, "USE is not "
			    "supported: connections are shared; qualify "
			    "table names with their keyspace");
			return (-1);
		}
		m->opcode = OP_QUERY;
		m->u.query.query = req_keep_slice(req, s->query);
		req_params(req, o, cfg, &m->u.query.params, &s->values);
		req_common(req, o, cfg, &m->u.query.params.flags,
		    &m->u.query.params.serial_consistency,
		    &m->u.query.params.default_timestamp);
		break;
	case STMT_EXECUTE:
		if (s->id.n == 0) {
			result_set_error(req->res, CORE_EUSAGE,
			    "EXECUTE without a prepared id");
			return (-1);
		}
		memset(&m->u.execute, 0, sizeof m->u.execute);
		m->opcode = OP_EXECUTE;
		m->u.execute.id = req_keep_slice(req, s->id);
		if (s->result_metadata_id.n > 0)
			m->u.execute.result_metadata_id =
			    req_keep_slice(req, s->result_metadata_id);
		req_params(req, o, cfg, &m->u.execute.params, &s->values);
		req_common(req, o, cfg, &m->u.execute.params.flags,
		    &m->u.execute.params.serial_consistency,
		    &m->u.execute.params.default_timestamp);
		req->query = req_keep_slice(req, s->query);
		req->values = m->u.execute.params.values;
		req->nvalues = m->u.execute.params.nvalues;
		break;
	case STMT_BATCH:
		if (s->nentries == 0 || s->nentries > MSG_MAX_STATEMENTS ||
		    s->entries == NULL) {
			result_set_error(req->res, CORE_EUSAGE,
			    "a BATCH needs 1 to %d statements",
			    MSG_MAX_STATEMENTS);
			return (-1);
		}
		memset(&m->u.batch, 0, sizeof m->u.batch);
		m->opcode = OP_BATCH;
		m->u.batch.type = s->batch_type;
		m->u.batch.n = s->nentries;
		bs = req_keep(req, NULL, s->nentries * sizeof *bs);
		memset(bs, 0, s->nentries * sizeof *bs);
		m->u.batch.stmts = bs;
		for (i = 0; i < s->nentries; i++) {
			bs[i].kind = s->entries[i].kind;
			bs[i].query = req_keep_slice(req,
			    s->entries[i].kind == BATCH_KIND_PREPARED ?
			    s->entries[i].id : s->entries[i].query);
			req_keep_values(req, &s->entries[i].values,
			    &bs[i].nvalues, &bs[i].values, &bs[i].names);
			if (bs[i].names != NULL)
				m->u.batch.flags |= QP_NAMES;
		}
		req_common(req, o, cfg, &m->u.batch.flags,
		    &m->u.batch.serial_consistency,
		    &m->u.batch.default_timestamp);
		break;
	case STMT_PREPARE:
		memset(&m->u.prepare, 0, sizeof m->u.prepare);
		m->opcode = OP_PREPARE;
		m->u.prepare.query = req_keep_slice(req, s->query);
		break;
	default:
		result_set_error(req->res, CORE_EUSAGE, "unknown statement");
		return (-1);
	}
	return (0);
}

static void
req_set_consistency(struct request *req)
{
	switch (req->msg.opcode) {
	case OP_QUERY:
		req->msg.u.query.params.consistency = req->consistency;
		break;
	case OP_EXECUTE:
		req->msg.u.execute.params.consistency = req->consistency;
		break;
	case OP_BATCH:
		req->msg.u.batch.consistency = req->consistency;
		break;
	}
}

/* Executions. */

static void
req_exec_set_host(struct req_exec *ex, struct host *h)
{
	if (ex->host != NULL)
		host_unref(ex->host);
	ex->host = h != NULL ? host_ref(h) : NULL;
}

static void
req_exec_cancel(struct req_exec *ex)
{
	if (!ex->active)
		return;
	if (ex->conn != NULL)
		conn_cancel(ex->conn, ex->id);
	ex->active = 0;
	ex->conn = NULL;
	ex->req->active--;
}

static void
req_cancel_all(struct request *req)
{
	unsigned int	i;

	for (i = 0; i < req->nexec; i++) {
		/* A re-prepare in flight is abandoned through its ticket. */
		if (req->exec[i].conn != NULL)
			req_exec_cancel(&req->exec[i]);
	}
}

static void req_attempt_failed(struct request *, struct host *,
    enum core_error, int32_t, const char *, ...) printflike(5, 6);

static void
req_attempt_failed(struct request *req, struct host *h, enum core_error e,
    int32_t code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	result_add_attempt(req->res, h != NULL ? h->name : "", e, code, msg);
	free(msg);
}

static void req_answer(struct conn *, enum conn_error, struct msg *, void *);

/* Send on host h; -1 (attempt recorded) if it cannot take it now. */
static int
req_send(struct request *req, struct req_exec *ex, struct host *h)
{
	struct pool	*p;
	struct conn	*conn;
	enum conn_error	 e;

	p = cluster_pool(req->c, h);
	if (p == NULL) {
		req_attempt_failed(req, h, CORE_ECONNECTION, 0,
		    "no pool (host ignored)");
		return (-1);
	}
	e = pool_acquire(p, &conn);
	if (e == CONN_EBUSY) {
		req->busy++;
		cluster_metrics(req->c)->busy++;
		req_attempt_failed(req, h, CORE_EBUSY, 0,
		    "every connection at its in-flight cap");
		return (-1);
	}
	if (e != CONN_OK) {
		req_attempt_failed(req, h, CORE_ECONNECTION, 0,
		    "no open connection");
		return (-1);
	}
	req_set_consistency(req);
	e = conn_send(conn, &req->msg, req->flags, -1, req_answer, ex,
	    &ex->id);
	if (e == CONN_EENCODE) {
		result_set_error(req->res, CORE_EUSAGE, "the request cannot "
		    "be encoded for protocol v%u (too big, or unset values "
		    "before v4)", conn_version(conn));
		return (-2);
	}
	if (e != CONN_OK) {
		req_attempt_failed(req, h, e == CONN_EBUSY ? CORE_EBUSY :
		    CORE_ECONNECTION, 0, "%s", conn_error_name(e));
		return (-1);
	}
	req_exec_set_host(ex, h);
	ex->conn = conn;
	ex->active = 1;
	req->active++;
	req->res->executions++;
	return (0);
}

static struct host *
req_next_host(struct request *req)
{
	if (!req->plan_begun) {
		lb_plan_begin(cluster_lb(req->c), &req->lbreq, &req->plan);
		req->plan_begun = 1;
	}
	return (lb_plan_next(&req->plan));
}

/* Walk the plan until a host takes the request; -1 when it ran out. */
static int
req_try(struct request *req, struct req_exec *ex)
{
	struct host	*h;
	int		 rv;

	if (req->target_given) {
		/* One host, tried once: the reference passes to us. */
		h = req->target;
		req->target = NULL;
		if (h == NULL)
			return (-1);
		req->tried++;
		rv = req_send(req, ex, h);
		host_unref(h);
		return (rv);
	}
	for (;;) {
		h = req_next_host(req);
		if (h == NULL)
			return (-1);
		req->tried++;
		rv = req_send(req, ex, h);
		if (rv == 0)
			return (0);
		if (rv == -2)
			return (-2);
	}
}

/* The plan is exhausted for this execution. */
static void
req_exhausted(struct request *req)
{
	struct result	*r = req->res;
	char		*list = NULL, *tmp;
	size_t		 i;

	if (req->active > 0 || req->finished)
		return;
	if (r->error == CORE_EUSAGE) {
		req_finish(req);
		return;
	}
	for (i = 0; i < r->nattempts; i++) {
		xasprintf(&tmp, "%s%s%s: %s", list != NULL ? list : "",
		    list != NULL ? "; " : "", r->attempts[i].host,
		    r->attempts[i].message);
		free(list);
		list = tmp;
	}
	if (r->nattempts > 0 && req->busy == r->nattempts)
		result_set_error(r, CORE_EBUSY, "every host is busy (%s)",
		    list);
	else
		result_set_error(r, CORE_ENOHOSTS, "no host available%s%s%s",
		    list != NULL ? " (" : "", list != NULL ? list : "",
		    list != NULL ? ")" : "");
	free(list);
	req_finish(req);
}

static struct req_exec *
req_exec_slot(struct request *req)
{
	unsigned int	i;

	for (i = 0; i < req->nexec; i++) {
		if (!req->exec[i].active && req->exec[i].conn == NULL &&
		    req->exec[i].host == NULL) {
			/* A new execution: its host gets its own re-prepare. */
			req->exec[i].reprepared = 0;
			return (&req->exec[i]);
		}
	}
	if (req->nexec == REQ_MAX_EXEC)
		return (NULL);
	memset(&req->exec[req->nexec], 0, sizeof req->exec[0]);
	req->exec[req->nexec].req = req;
	return (&req->exec[req->nexec++]);
}

static void
req_spec_arm(struct request *req)
{
	const struct cluster_config	*cfg = cluster_get_config(req->c);
	int64_t				 d;
	struct timeval			 tv;

	if (!req->speculate)
		return;
	d = spec_next_delay(&cfg->speculative, req->idempotent,
	    1 + req->res->speculative);
	if (d < 0)
		return;
	tv.tv_sec = d / 1000;
	tv.tv_usec = (d % 1000) * 1000;
	evtimer_add(req->spec_ev, &tv);
	req->timers |= REQ_T_SPEC;
}

/* Stop the timers in mask that are pending. */
static void
req_timers_stop(struct request *req, unsigned int mask)
{
	mask &= req->timers;
	if (mask == 0)
		return;
	if ((mask & REQ_T_TIMEOUT) && req->tq != NULL) {
		/* Its queue's timer stays: it re-arms for whoever is first. */
		TAILQ_REMOVE(&req->tq->list, req, tq_entry);
		req->tq = NULL;
	} else if (mask & REQ_T_TIMEOUT)
		evtimer_del(req->timeout_ev);
	if (mask & REQ_T_SPEC)
		evtimer_del(req->spec_ev);
	if (mask & REQ_T_DEFER)
		evtimer_del(req->defer_ev);
	req->timers &= ~mask;
}

/* No answer yet: start the same request on the plan's next host. */
static void
req_spec_fire(evutil_socket_t fd, short events, void *arg)
{
	struct request	*req = arg;
	struct req_exec	*ex;

	req->timers &= ~REQ_T_SPEC;
	if (req->finished || req->active == 0)
		return;
	if ((ex = req_exec_slot(req)) == NULL)
		return;
	if (req_try(req, ex) != 0)
		return;
	req->res->speculative++;
	cluster_metrics(req->c)->speculative++;
	log_debug("request: speculative execution %u on %s",
	    req->res->speculative, ex->host->name);
	req_spec_arm(req);
}

/*
 * The request's time is up.  libevent's timers count from its cached
 * clock, which may be a tick behind ours, so a timer of its own can fire
 * a little early: then it waits for the rest.
 */
static void
req_timeout_fire(evutil_socket_t fd, short events, void *arg)
{
	struct request	*req = arg;
	struct timeval	 tv;
	uint64_t	 now;

	if ((now = clock_now_us()) < req->deadline_us) {
		tv.tv_sec = (req->deadline_us - now) / 1000000;
		tv.tv_usec = (req->deadline_us - now) % 1000000;
		evtimer_add(req->timeout_ev, &tv);
		return;
	}
	req->timers &= ~REQ_T_TIMEOUT;
	cluster_metrics(req->c)->client_timeouts++;
	req_cancel_all(req);
	result_set_error(req->res, CORE_ETIMEOUT,
	    "no answer within %d ms (%u execution%s)", req->timeout_ms,
	    req->res->executions, req->res->executions == 1 ? "" : "s");
	req_finish(req);
}

static void	req_tq_fire(evutil_socket_t, short, void *);

/* Arm q's timer for deadline (now: a clock_now_us reading). */
static void
req_tq_arm(struct cluster *c, struct request_timeouts *q, uint64_t deadline,
    uint64_t now)
{
	struct timeval	tv;
	uint64_t	us = deadline > now ? deadline - now : 0;

	if (q->ev == NULL &&
	    (q->ev = evtimer_new(cluster_base(c), req_tq_fire, q)) == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(q->ev, &tv);
	q->armed = 1;
}

/*
 * A queue's timer: the first request, if its deadline passed, times out;
 * else the timer waits for it.  One request per firing, and the timer is
 * armed again before the request's callback runs (which may free the
 * cluster): more that are due follow in the next turns.
 */
static void
req_tq_fire(evutil_socket_t fd, short events, void *arg)
{
	struct request_timeouts	*q = arg;
	struct cluster		*c = q->c;
	struct request		*req, *next;
	uint64_t		 now = clock_now_us();

	q->armed = 0;
	if ((req = TAILQ_FIRST(&q->list)) == NULL)
		return;
	if (req->deadline_us > now) {
		req_tq_arm(c, q, req->deadline_us, now);
		return;
	}
	TAILQ_REMOVE(&q->list, req, tq_entry);
	req->tq = NULL;
	if ((next = TAILQ_FIRST(&q->list)) != NULL)
		req_tq_arm(c, q, next->deadline_us, now);
	req_timeout_fire(-1, EV_TIMEOUT, req);
}

/*
 * The request timeout: in the queue of its length when it can go last
 * there (deadlines only grow with the clock), else a timer of its own.
 */
static void
req_timeout_arm(struct request *req)
{
	struct request_timeouts	*q;
	struct request		*last;
	struct timeval		 tv;

	req->timers |= REQ_T_TIMEOUT;
	req->deadline_us = req->start_us + (uint64_t)req->timeout_ms * 1000;
	if ((q = cluster_request_timeouts(req->c, req->timeout_ms)) != NULL) {
		last = TAILQ_LAST(&q->list, request_tolist);
		if (last == NULL || last->deadline_us <= req->deadline_us) {
			TAILQ_INSERT_TAIL(&q->list, req, tq_entry);
			req->tq = q;
			/* An armed timer fires no later than this deadline. */
			if (!q->armed)
				req_tq_arm(req->c, q, req->deadline_us,
				    req->start_us);
			return;
		}
	}
	tv.tv_sec = req->timeout_ms / 1000;
	tv.tv_usec = (req->timeout_ms % 1000) * 1000;
	evtimer_add(req->timeout_ev, &tv);
}

/* Retry decisions. */

static void
req_count_server_error(struct request *req, int32_t code)
{
	struct cluster_metrics	*m = cluster_metrics(req->c);

	switch (code) {
	case ERR_READ_TIMEOUT:
		m->read_timeouts++;
		break;
	case ERR_WRITE_TIMEOUT:
		m->write_timeouts++;
		break;
	case ERR_UNAVAILABLE:
		m->unavailables++;
		break;
	case ERR_OVERLOADED:
		m->overloaded++;
		break;
	default:
		m->other_server_errors++;
		break;
	}
}

/* Follow the retry policy after ex failed with e. */
static void
req_decide(struct request *req, struct req_exec *ex,
    const struct retry_error *e)
{
	struct retry_decision	 d;
	struct host		*h;
	int			 rv;

	d = retry_decide(req->policy, e, req->res->retries, req->idempotent);
	log_debug("request: %s on %s: %s", retry_error_name(e->kind),
	    ex->host != NULL ? ex->host->name : "?", retry_kind_name(d.kind));
	switch (d.kind) {
	case RETRY_IGNORE:
		cluster_metrics(req->c)->ignores++;
		free(req->res->message);
		req->res->message = NULL;
		result_server_error_clear(&req->res->server);
		req->res->error = CORE_OK;
		req->res->kind = RES_VOID;
		req_finish(req);
		return;
	case RETRY_RETHROW:
		req_exec_set_host(ex, NULL);
		if (req->active == 0)
			req_finish(req);
		return;
	case RETRY_SAME_HOST:
	case RETRY_NEXT_HOST:
		break;
	}
	req->res->retries++;
	cluster_metrics(req->c)->retries++;
	if (d.has_consistency)
		req->consistency = d.consistency;
	rv = -1;
	if (d.kind == RETRY_SAME_HOST && ex->host != NULL) {
		h = host_ref(ex->host);
		rv = req_send(req, ex, h);
		host_unref(h);
	}
	if (rv == -1) {
		/* The next host may have lost the statement too. */
		ex->reprepared = 0;
		req_exec_set_host(ex, NULL);
		rv = req_try(req, ex);
	}
	if (rv != 0)
		req_exhausted(req);
}

static void req_reprepare(struct request *, struct req_exec *,
    const struct msg *);
static void req_agreed(struct cluster *, int, void *);

static void
req_answer(struct conn *conn, enum conn_error err, struct msg *m, void *arg)
{
	struct req_exec		*ex = arg;
	struct request		*req = ex->req;
	struct result		*r = req->res;
	struct retry_error	 e;
	struct req_ticket	*t;
	char			*text;

	ex->active = 0;
	ex->conn = NULL;
	req->active--;
	if (req->finished)
		return;
	switch (err) {
	case CONN_OK:
		free(r->message);
		r->message = NULL;
		result_server_error_clear(&r->server);
		r->consistency = req->consistency;
		result_set_host(r, ex->host);
		if (result_from_msg(r, m) != 0) {
			req_finish(req);
			return;
		}
		if (r->kind == RES_SCHEMA_CHANGE &&
		    cluster_get_config(req->c)->schema_agreement_wait_ms > 0) {
			/* Done on the wire; the agreement wait is bounded. */
			req_timers_stop(req, REQ_T_TIMEOUT | REQ_T_SPEC);
			req_cancel_all(req);
			t = xcalloc(1, sizeof *t);
			t->req = req;
			req->pending++;
			req->active++;
			cluster_schema_sync(req->c, &r->schema, req_agreed,
			    t);
			return;
		}
		req_finish(req);
		return;
	case CONN_ESERVER:
		req_count_server_error(req, m->u.error.code);
		/*
		 * A batch may hold several statements the node does not
		 * know; it names one per answer, so allow one re-prepare
		 * per entry.
		 */
		if (m->u.error.code == ERR_UNPREPARED &&
		    (req->kind == STMT_EXECUTE || req->kind == STMT_BATCH) &&
		    (size_t)ex->reprepared < (req->kind == STMT_BATCH ?
		    req->msg.u.batch.n : 1)) {
			req_reprepare(req, ex, m);
			return;
		}
		text = slice_dup(m->u.error.message);
		req_attempt_failed(req, ex->host, CORE_ESERVER,
		    m->u.error.code, "%s", text);
		free(text);
		result_from_msg(r, m);
		r->consistency = req->consistency;
		result_set_host(r, ex->host);
		retry_error_from_msg(&m->u.error, &e);
		req_decide(req, ex, &e);
		return;
	default:
		cluster_metrics(req->c)->connection_errors++;
		req_attempt_failed(req, ex->host, CORE_ECONNECTION, 0, "%s",
		    conn_error_name(err));
		result_set_error(r, err == CONN_EPROTO ? CORE_EPROTOCOL :
		    CORE_ECONNECTION, "%s: %s", ex->host != NULL ?
		    ex->host->name : "?", conn_error_name(err));
		result_set_host(r, ex->host);
		memset(&e, 0, sizeof e);
		e.kind = RETRY_ERR_CONNECTION_CLOSED;
		req_decide(req, ex, &e);
		return;
	}
}

/* After DDL: deliver once the schema agreed or the wait ran out. */
static void
req_agreed(struct cluster *c, int agreed, void *arg)
{
	struct req_ticket	*t = arg;
	struct request		*req = t->req;

	free(t);
	req->pending--;
	if (req->finished) {
		if (req->delivered && req->pending == 0)
			req_free(req);	/* only the shell was left */
		return;
	}
	req->active--;
	req->res->schema.agreement = agreed;
	req_finish(req);
}

/* Tickets. */

static void
req_reprepared(void *arg, int ok)
{
	struct req_ticket	*t = arg;
	struct request		*req = t->req;
	struct req_exec		*ex = t->exec;
	struct host		*h;
	int			 rv;

	free(t);
	req->pending--;
	if (req->finished) {
		if (req->delivered && req->pending == 0)
			req_free(req);
		return;
	}
	req->active--;
	ex->active = 0;
	rv = -1;
	if (ok && ex->host != NULL) {
		h = host_ref(ex->host);
		rv = req_send(req, ex, h);
		host_unref(h);
	} else
		req_attempt_failed(req, ex->host, CORE_ESERVER, ERR_UNPREPARED,
		    "re-preparing failed");
	if (rv == -1) {
		req_exec_set_host(ex, NULL);
		rv = req_try(req, ex);
	}
	if (rv != 0)
		req_exhausted(req);
}

static void
req_prepare_answer(struct conn *conn, enum conn_error err, struct msg *m,
    void *arg)
{
	req_reprepared(arg, err == CONN_OK && m->opcode == OP_RESULT &&
	    m->u.result.kind == RESULT_PREPARED);
}

static void
req_reprepare_fail(evutil_socket_t fd, short events, void *arg)
{
	req_reprepared(arg, 0);
}

/* The node forgot the statement: prepare it there again, then resend. */
static void
req_reprepare(struct request *req, struct req_exec *ex, const struct msg *m)
{
	cluster_unprepared_fn	 fn;
	void			*harg;
	struct req_ticket	*t;
	struct stmt		 s;
	struct stmt_values	 v;
	struct msg		 pm;
	struct pool		*p;
	struct timeval		 tv = { 0, 0 };

	ex->reprepared++;
	cluster_metrics(req->c)->unprepared++;
	t = xcalloc(1, sizeof *t);
	t->req = req;
	t->exec = ex;
	req->pending++;
	req->active++;
	ex->active = 1;		/* no conn: nothing to cancel */

	cluster_unprepared_hook(req->c, &fn, &harg);
	stmt_init(&s, req->kind == STMT_BATCH ? STMT_BATCH : STMT_EXECUTE);
	s.query = req->query;
	s.id = m->u.error.id;
	memset(&v, 0, sizeof v);
	v.n = req->nvalues;
	v.values = req->values;
	s.values = v;
	if (req->kind == STMT_BATCH) {
		s.batch_type = req->msg.u.batch.type;
		s.query.p = NULL;
		s.query.n = 0;
	}
	if (fn != NULL && fn(req->c, ex->host, &s, req->keyspace,
	    req_reprepared, t, harg) == 0)
		return;
	if (req->kind == STMT_EXECUTE && req->query.n > 0 &&
	    (p = cluster_pool(req->c, ex->host)) != NULL) {
		memset(&pm, 0, sizeof pm);
		pm.opcode = OP_PREPARE;
		pm.u.prepare.query = req->query;
		if (pool_send(p, &pm, 0, req->timeout_ms > 0 ?
		    req->timeout_ms : -1, req_prepare_answer, t, NULL,
		    NULL) == CONN_OK)
			return;
	}
	/* Fail from the loop, not from inside this callback chain. */
	event_base_once(cluster_base(req->c), -1, EV_TIMEOUT,
	    req_reprepare_fail, t, &tv);
}

/* Ending. */

/*
 * A cleared request with its three timers (inside it) set up for this
 * cluster's base, from the free list when one is there.  A kept request
 * whose timers were set up for this cluster keeps them (none is pending
 * once it ended); the serial tells a new cluster from one freed before.
 */
static struct request *
req_alloc(struct cluster *c)
{
	struct event_base	*base = cluster_base(c);
	struct request		*req;
	uint64_t		 serial = cluster_serial(c);

	if ((req = freelist_get(&req_fl)) == NULL) {
		req = xmalloc(sizeof *req);
		req->evs_cluster = 0;
	}
	memset(req, 0, offsetof(struct request, msg));
	req->timeout_ev = &req->evs[0];
	req->spec_ev = &req->evs[1];
	req->defer_ev = &req->evs[2];
	if (req->evs_cluster == serial)
		return (req);
	if (evtimer_assign(req->timeout_ev, base, req_timeout_fire, req) != 0 ||
	    evtimer_assign(req->spec_ev, base, req_spec_fire, req) != 0 ||
	    evtimer_assign(req->defer_ev, base, req_defer_fire, req) != 0)
		fatalx("%s: evtimer_assign failed", __func__);
	req->evs_cluster = serial;
	return (req);
}

/* The shell of a request that ended (req_release ran): keep or free it. */
static void
req_free(struct request *req)
{
	freelist_put(&req_fl, req);
}

static void
req_release(struct request *req)
{
	struct req_mem	*m, *next;
	unsigned int	 i;

	for (i = 0; i < req->nexec; i++)
		req_exec_set_host(&req->exec[i], NULL);
	if (req->plan_begun)
		lb_plan_end(&req->plan);
	req->plan_begun = 0;
	if (req->target != NULL)
		host_unref(req->target);
	req->target = NULL;
	/* The timers are inside the request: stopped, not freed. */
	req_timers_stop(req, REQ_T_TIMEOUT | REQ_T_SPEC | REQ_T_DEFER);
	for (m = req->mem; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	req->mem = NULL;
	req->keyspace = NULL;		/* in keep_buf or mem */
}

/* Run the callback and let the request go (its shell waits for tickets). */
static void
req_deliver(struct request *req)
{
	struct cluster		*c = req->c;
	struct cluster_metrics	*m = cluster_metrics(c);
	struct result		*r = req->res;
	request_cb		 cb = req->cb;
	void			*arg = req->arg;
	uint64_t		 now;

	if (req->delivered)
		return;
	req->delivered = 1;
	now = clock_now_us();
	r->done_us = now;
	r->latency_us = now > req->start_us ? now - req->start_us : 0;
	if (r->error == CORE_OK)
		m->completed++;
	else {
		m->errors++;
		if ((unsigned int)r->error < CORE_NERRORS)
			m->errors_by_kind[r->error]++;
	}
	TAILQ_REMOVE(cluster_requests(c), req, entry);
	req->res = NULL;
	req_release(req);
	if (req->pending == 0)
		req_free(req);
	cluster_request_gone(c);
	cb(r, arg);
}

static void
req_defer_fire(evutil_socket_t fd, short events, void *arg)
{
	struct request	*req = arg;

	req->timers &= ~REQ_T_DEFER;
	req_deliver(req);
}

static void
req_finish(struct request *req)
{
	struct timeval	tv = { 0, 0 };

	if (req->finished)
		return;
	req->finished = 1;
	req_timers_stop(req, REQ_T_TIMEOUT | REQ_T_SPEC);
	req_cancel_all(req);
	if (req->in_execute) {
		evtimer_add(req->defer_ev, &tv);
		req->timers |= REQ_T_DEFER;
	} else
		req_deliver(req);
}

void
request_abort(struct request *req, enum core_error e)
{
	if (!req->finished)
		result_set_error(req->res, e, "%s", e == CORE_ESHUTDOWN ?
		    "the cluster is shutting down" : core_error_name(e));
	req->finished = 1;
	req->in_execute = 0;
	req_timers_stop(req, REQ_T_TIMEOUT | REQ_T_SPEC | REQ_T_DEFER);
	req_cancel_all(req);
	req_deliver(req);
}

void
request_cancel(struct request *req)
{
	if (req->delivered)
		return;
	if (!req->finished)
		result_set_error(req->res, CORE_ECANCELLED, "cancelled");
	request_abort(req, CORE_ECANCELLED);
}

struct request *
cluster_execute(struct cluster *c, const struct stmt *s,
    const struct request_opts *o, request_cb cb, void *arg)
{
	const struct cluster_config	*cfg = cluster_get_config(c);
	struct request_opts		 def;
	struct request			*req;

	if (o == NULL) {
		request_opts_default(&def);
		o = &def;
	}
	cluster_metrics(c)->requests++;
	req = req_alloc(c);
	req->c = c;
	req->cb = cb;
	req->arg = arg;
	req->res = result_new();
	req->kind = s->kind;
	/*
	 * A real reading, not the turn's (which may be a tick old): the
	 * timeout's deadline counts from here and must not come early.  The
	 * caller's own reading of a moment ago will do and saves one.
	 */
	req->start_us = o->start_us != 0 ? o->start_us : clock_now_us();
	req->in_execute = 1;
	memset(&req->exec[0], 0, sizeof req->exec[0]);
	req->exec[0].req = req;
	TAILQ_INSERT_TAIL(cluster_requests(c), req, entry);

	req->consistency = o->consistency == REQUEST_CL_DEFAULT ?
	    cfg->consistency : o->consistency;
	req->idempotent = o->idempotent;
	req->policy = o->retry_policy >= 0 ?
	    (enum retry_policy_kind)o->retry_policy : cfg->retry;
	req->speculate = !o->no_speculative && o->idempotent &&
	    s->kind != STMT_PREPARE;
	req->flags = o->tracing ? FRAME_FLAG_TRACING : 0;
	req->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms :
	    cfg->request_timeout_ms;
	if (o->keyspace != NULL && *o->keyspace != '\0')
		req->keyspace = req_keep(req, o->keyspace,
		    strlen(o->keyspace));
	req->lbreq.keyspace = req->keyspace;
	if (o->host != NULL) {
		req->target_given = 1;
		req->target = host_ref(o->host);
	}

	if (cluster_closing(c)) {
		result_set_error(req->res, CORE_ESHUTDOWN,
		    "the cluster is shutting down");
		req_finish(req);
	} else if (req_build(req, s, o, cfg) != 0)
		req_finish(req);
	else {
		req_routing(req, s);
		if (req->timeout_ms > 0)
			req_timeout_arm(req);
		req->nexec = 1;
		if (req_try(req, &req->exec[0]) != 0)
			req_exhausted(req);
		else
			req_spec_arm(req);
	}
	req->in_execute = 0;
	return (req);
}
