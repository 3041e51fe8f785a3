/*
 * request.c: what a mock node does with one well-framed request: checks
 * it against the connection's state the way Cassandra 4.0 does, applies
 * injected faults and delays, runs statements in the engine and writes the
 * answer, tracing it when asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "db.h"
#include "mock.h"

/* What a statement request carries, whatever its opcode. */
struct stmt_req {
	const struct frame_header *h;
	const char	*text;		/* for matching, tracing; never NULL */
	uint16_t	 consistency;
	const struct query_params *params;	/* QUERY/EXECUTE */
	int		 batch_type;	/* BATCH, else -1 */
	struct slice	 id;		/* EXECUTE, or a BATCH's first id */
	struct trace	*trace;
};

/* Cassandra's prepared statement id: MD5 of the keyspace and the text. */
static void
request_prepared_id(const char *keyspace, const char *text, uint8_t id[16])
{
	EVP_MD_CTX	*ctx;
	unsigned int	 len = 16;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 ||
	    (keyspace != NULL &&
	    EVP_DigestUpdate(ctx, keyspace, strlen(keyspace)) != 1) ||
	    EVP_DigestUpdate(ctx, text, strlen(text)) != 1 ||
	    EVP_DigestFinal_ex(ctx, id, &len) != 1)
		fatalx("md5 failed");
	EVP_MD_CTX_free(ctx);
}

/* A NUL-terminated copy that keeps NULs inside string literals. */
static char *
request_text(struct slice s)
{
	char	*text = xmalloc(s.n + 1);

	if (s.n != 0)
		memcpy(text, s.p, s.n);
	text[s.n] = '\0';
	return (text);
}

/* An ERROR frame with nothing but a code and a message. */
static void
request_error(struct session *s, const struct stmt_req *r, int32_t code,
    const char *text)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_ERROR;
	m.u.error.code = code;
	m.u.error.message.p = (const uint8_t *)text;
	m.u.error.message.n = strlen(text);
	if (r->trace != NULL) {
		m.has_tracing_id = 1;
		memcpy(m.tracing_id, trace_id(r->trace), 16);
	}
	msg_encode(&s->w, r->h->version, 1, r->h->stream, 0, &m);
}

static void
request_unprepared(struct session *s, const struct stmt_req *r,
    struct slice id)
{
	struct msg	 m;
	char		*hex, *text;
	size_t		 i;

	hex = xmalloc(id.n * 2 + 1);
	hex[0] = '\0';
	for (i = 0; i < id.n; i++)
		snprintf(hex + 2 * i, 3, "%02x", id.p[i]);
	xasprintf(&text, "Prepared query with ID %s not found (either the "
	    "query was not prepared on this host (maybe the host has been "
	    "restarted?) or you have prepared too many queries and it has "
	    "been evicted from the internal cache)", hex);
	memset(&m, 0, sizeof m);
	m.opcode = OP_ERROR;
	m.u.error.code = ERR_UNPREPARED;
	m.u.error.message.p = (const uint8_t *)text;
	m.u.error.message.n = strlen(text);
	m.u.error.id = id;
	if (r->trace != NULL) {
		m.has_tracing_id = 1;
		memcpy(m.tracing_id, trace_id(r->trace), 16);
	}
	msg_encode(&s->w, r->h->version, 1, r->h->stream, 0, &m);
	free(text);
	free(hex);
}

/* How many replicas a consistency level waits for, given the RF. */
static int
request_blockfor(uint16_t cl, int rf)
{
	switch (cl) {
	case CL_ANY:
	case CL_ONE:
	case CL_LOCAL_ONE:
		return (1);
	case CL_TWO:
		return (2);
	case CL_THREE:
		return (3);
	case CL_ALL:
		return (rf);
	default:
		return (rf / 2 + 1);
	}
}

/* The error an injected fault stands for, with Cassandra's wording. */
static void
request_fault(struct session *s, const struct stmt_req *r,
    const struct fault *f)
{
	struct msg	 m;
	struct msg_error *e = &m.u.error;
	struct cluster	*c = s->cluster;
	const char	*clname, *wt;
	char		 text[512];
	int		 rf, up, i;

	for (i = 0, up = 0; i < c->nnodes; i++) {
		if (c->nodes[i]->state != NODE_REMOVED)
			up++;
	}
	rf = up < 3 ? up : 3;
	clname = consistency_name(r->consistency);
	if (clname == NULL)
		clname = "ONE";
	if (f->write_type != NULL)
		wt = f->write_type;
	else if (r->batch_type == BATCH_LOGGED)
		wt = "BATCH";
	else if (r->batch_type == BATCH_UNLOGGED)
		wt = "UNLOGGED_BATCH";
	else if (r->batch_type == BATCH_COUNTER)
		wt = "COUNTER";
	else
		wt = "SIMPLE";

	memset(&m, 0, sizeof m);
	m.opcode = OP_ERROR;
	e->consistency = r->consistency;
	e->blockfor = request_blockfor(r->consistency, rf);
	e->received = e->blockfor - 1;
	e->required = e->blockfor;
	e->alive = e->blockfor - 1;
	switch (f->kind) {
	case FAULT_UNAVAILABLE:
		e->code = ERR_UNAVAILABLE;
		snprintf(text, sizeof text, "Cannot achieve consistency level "
		    "%s", clname);
		break;
	case FAULT_READ_TIMEOUT:
		e->code = ERR_READ_TIMEOUT;
		e->data_present = 0;
		snprintf(text, sizeof text, "Operation timed out - received "
		    "only %d responses.", e->received);
		break;
	case FAULT_WRITE_TIMEOUT:
		e->code = ERR_WRITE_TIMEOUT;
		snprintf(text, sizeof text, "Operation timed out - received "
		    "only %d responses.", e->received);
		break;
	case FAULT_OVERLOADED:
		e->code = ERR_OVERLOADED;
		snprintf(text, sizeof text, "Server is in overloaded state. "
		    "Cannot accept more requests at this point");
		break;
	case FAULT_IS_BOOTSTRAPPING:
		e->code = ERR_IS_BOOTSTRAPPING;
		snprintf(text, sizeof text, "Cannot read from a bootstrapping "
		    "node");
		break;
	case FAULT_SERVER_ERROR:
		e->code = ERR_SERVER;
		snprintf(text, sizeof text, "java.lang.RuntimeException: "
		    "injected failure");
		break;
	case FAULT_READ_FAILURE:
		e->code = ERR_READ_FAILURE;
		e->numfailures = 1;
		e->received = 0;
		snprintf(text, sizeof text, "Operation failed - received 0 "
		    "responses and 1 failures");
		break;
	case FAULT_WRITE_FAILURE:
		e->code = ERR_WRITE_FAILURE;
		e->numfailures = 1;
		e->received = 0;
		snprintf(text, sizeof text, "Operation failed - received 0 "
		    "responses and 1 failures");
		break;
	case FAULT_TRUNCATE_ERROR:
		e->code = ERR_TRUNCATE;
		snprintf(text, sizeof text, "Error during truncate: "
		    "java.lang.RuntimeException: injected failure");
		break;
	case FAULT_SYNTAX_ERROR:
		e->code = ERR_SYNTAX;
		snprintf(text, sizeof text, "line 1:0 no viable alternative at "
		    "input '%.32s'", r->text);
		break;
	case FAULT_INVALID:
		e->code = ERR_INVALID;
		snprintf(text, sizeof text, "Invalid request");
		break;
	case FAULT_UNPREPARED:
		request_unprepared(s, r, r->id);
		return;
	}
	if (f->message != NULL)
		snprintf(text, sizeof text, "%s", f->message);
	e->message.p = (const uint8_t *)text;
	e->message.n = strlen(text);
	e->write_type.p = (const uint8_t *)wt;
	e->write_type.n = strlen(wt);
	if (r->trace != NULL) {
		m.has_tracing_id = 1;
		memcpy(m.tracing_id, trace_id(r->trace), 16);
	}
	msg_encode(&s->w, r->h->version, 1, r->h->stream, 0, &m);
}

/*
 * The first fault of the node that applies to this request, used up by
 * one; faults that cannot apply (unprepared for a QUERY) are passed over.
 */
static struct fault *
request_take_fault(struct node *n, const struct stmt_req *r, uint8_t op)
{
	struct fault	*f;

	TAILQ_FOREACH(f, &n->faults, entry) {
		if (f->kind == FAULT_UNPREPARED && r->id.n == 0)
			continue;
		if (!fault_text_matches(f->match, r->text, strlen(r->text)))
			continue;
		if (f->count > 0)
			f->count--;
		n->stats.faults++;
		return (f);
	}
	return (NULL);
}

static void
request_drop_used_faults(struct node *n)
{
	struct fault	*f, *f1;

	TAILQ_FOREACH_SAFE(f, &n->faults, entry, f1) {
		if (f->count == 0) {
			TAILQ_REMOVE(&n->faults, f, entry);
			fault_free(f);
		}
	}
}

/* How long the node holds this answer back; text NULL if not a statement. */
static unsigned
request_delay(struct node *n, const char *text)
{
	if (n->delay.ms == 0)
		return (0);
	if (n->delay.match == NULL)
		return (n->delay.ms);
	if (text == NULL)
		return (0);
	return (fault_text_matches(n->delay.match, text, strlen(text)) ?
	    n->delay.ms : 0);
}

/* Count whether this node owns the partition the statement touched. */
static void
request_count_replica(struct session *s, const struct db_info *info)
{
	struct node	*n = s->node;
	int		 reps[DB_MAX_NODES], nr, i;

	if (!info->has_token || info->keyspace == NULL) {
		n->stats.no_partition++;
		return;
	}
	nr = db_replicas(s->cluster->db, info->keyspace, info->token, reps,
	    DB_MAX_NODES);
	if (nr <= 0) {
		n->stats.no_partition++;
		return;
	}
	for (i = 0; i < nr; i++) {
		if (reps[i] == n->index) {
			n->stats.replica++;
			return;
		}
	}
	n->stats.non_replica++;
}

static void
request_colspecs(const struct db_colspec *dc, size_t n, struct col_spec *cs,
    uint32_t *flags, struct slice *gks, struct slice *gtable)
{
	size_t	i;
	int	global = n > 0;

	for (i = 0; i < n; i++) {
		cs[i].keyspace.p = (const uint8_t *)dc[i].keyspace;
		cs[i].keyspace.n = strlen(dc[i].keyspace);
		cs[i].table.p = (const uint8_t *)dc[i].table;
		cs[i].table.n = strlen(dc[i].table);
		cs[i].name.p = (const uint8_t *)dc[i].name;
		cs[i].name.n = strlen(dc[i].name);
		cs[i].type = dc[i].type;
		if (strcmp(dc[i].keyspace, dc[0].keyspace) != 0 ||
		    strcmp(dc[i].table, dc[0].table) != 0)
			global = 0;
	}
	if (global) {
		*flags |= ROWS_GLOBAL_TABLES_SPEC;
		*gks = cs[0].keyspace;
		*gtable = cs[0].table;
	}
}

/* RESULT Rows straight from the engine's cells into the frame. */
static void
request_rows(struct session *s, const struct stmt_req *r,
    const struct db_result *res, int skip_metadata)
{
	struct wbuf		*w = &s->w;
	struct rows_meta	 meta;
	struct rows_writer	 rw;
	struct col_spec		*cs;
	const struct db_cell	*cell;
	size_t			 start, i, j;

	memset(&meta, 0, sizeof meta);
	cs = xcalloc(res->ncols + 1, sizeof *cs);
	request_colspecs(res->cols, res->ncols, cs, &meta.flags,
	    &meta.global_keyspace, &meta.global_table);
	meta.columns_count = res->ncols;
	meta.cols = cs;
	if (res->has_more && res->paging_state != NULL) {
		meta.flags |= ROWS_HAS_MORE_PAGES;
		meta.paging_state.state = BYTES_VALUE;
		meta.paging_state.v.p = res->paging_state;
		meta.paging_state.v.n = res->paging_state_len;
	}
	if (skip_metadata) {
		meta.flags |= ROWS_NO_METADATA;
		meta.flags &= ~ROWS_GLOBAL_TABLES_SPEC;
		meta.cols = NULL;
	}

	start = frame_begin(w, r->h->version, 1,
	    r->trace != NULL ? FRAME_FLAG_TRACING : 0, r->h->stream,
	    OP_RESULT);
	if (r->trace != NULL)
		wbuf_uuid(w, trace_id(r->trace));
	rows_writer_begin(&rw, w, r->h->version, &meta, res->ncols);
	for (i = 0; i < res->nrows; i++) {
		for (j = 0; j < res->ncols; j++) {
			cell = &res->cells[i * res->ncols + j];
			if (cell->null)
				wbuf_bytes_null(w);
			else
				wbuf_bytes(w, cell->p, cell->n);
		}
		rows_writer_row(&rw);
	}
	rows_writer_end(&rw);
	frame_end(w, start);
	free(cs);
}

static const char *const change_names[] = { "CREATED", "UPDATED", "DROPPED" };
static const char *const target_names[] = {
	"KEYSPACE", "TABLE", "TYPE", "FUNCTION", "AGGREGATE"
};

/* Turn an engine result into the answer (and a schema event if DDL). */
static void
request_result(struct session *s, const struct stmt_req *r,
    struct db_result *res, int skip_metadata)
{
	struct msg	 m;
	const char	*change, *target, *name;

	if (res->kind == DB_RESULT_ROWS) {
		request_rows(s, r, res, skip_metadata);
		return;
	}
	memset(&m, 0, sizeof m);
	if (r->trace != NULL) {
		m.has_tracing_id = 1;
		memcpy(m.tracing_id, trace_id(r->trace), 16);
	}
	switch (res->kind) {
	case DB_RESULT_ERROR:
		if (res->err_code == DB_ERR_UNPREPARED) {
			request_unprepared(s, r, r->id);
			return;
		}
		m.opcode = OP_ERROR;
		m.u.error.code = res->err_code;
		m.u.error.message.p = (const uint8_t *)(res->err_msg ?
		    res->err_msg : "");
		m.u.error.message.n = strlen((const char *)
		    m.u.error.message.p);
		if (res->err_code == DB_ERR_ALREADY_EXISTS) {
			m.u.error.keyspace.p = (const uint8_t *)
			    (res->err_keyspace ? res->err_keyspace : "");
			m.u.error.keyspace.n = strlen((const char *)
			    m.u.error.keyspace.p);
			m.u.error.table.p = (const uint8_t *)
			    (res->err_table ? res->err_table : "");
			m.u.error.table.n = strlen((const char *)
			    m.u.error.table.p);
		}
		if (res->err_code == DB_ERR_WRITE_TIMEOUT ||
		    res->err_code == DB_ERR_READ_TIMEOUT) {
			m.u.error.consistency = r->consistency;
			m.u.error.blockfor = 1;
			m.u.error.write_type.p = (const uint8_t *)"SIMPLE";
			m.u.error.write_type.n = 6;
		}
		break;
	case DB_RESULT_VOID:
		m.opcode = OP_RESULT;
		m.u.result.kind = RESULT_VOID;
		break;
	case DB_RESULT_SET_KEYSPACE:
		session_set_keyspace(s, res->keyspace);
		m.opcode = OP_RESULT;
		m.u.result.kind = RESULT_SET_KEYSPACE;
		m.u.result.keyspace.p = (const uint8_t *)res->keyspace;
		m.u.result.keyspace.n = strlen(res->keyspace);
		break;
	case DB_RESULT_SCHEMA_CHANGE:
		change = change_names[res->change % nitems(change_names)];
		target = target_names[res->target % nitems(target_names)];
		name = res->name != NULL ? res->name : "";
		m.opcode = OP_RESULT;
		m.u.result.kind = RESULT_SCHEMA_CHANGE;
		m.u.result.schema.change.p = (const uint8_t *)change;
		m.u.result.schema.change.n = strlen(change);
		m.u.result.schema.target.p = (const uint8_t *)target;
		m.u.result.schema.target.n = strlen(target);
		m.u.result.schema.keyspace.p = (const uint8_t *)res->keyspace;
		m.u.result.schema.keyspace.n = strlen(res->keyspace);
		m.u.result.schema.name.p = (const uint8_t *)name;
		m.u.result.schema.name.n = strlen(name);
		msg_encode(&s->w, r->h->version, 1, r->h->stream, 0, &m);
		events_schema(s->cluster, change, target, res->keyspace, name,
		    NULL, 0);
		return;
	default:
		request_error(s, r, ERR_SERVER, "unexpected engine result");
		return;
	}
	msg_encode(&s->w, r->h->version, 1, r->h->stream, 0, &m);
}

/* A few events like the ones Cassandra records for such a statement. */
static void
request_trace_events(struct trace *t, const struct db_result *res)
{
	const struct db_info *info = &res->info;
	const char	*table = info->table != NULL ? info->table : "?";

	if (res->kind == DB_RESULT_ERROR)
		return;
	if (info->verb != NULL && strcmp(info->verb, "SELECT") == 0) {
		if (info->has_token)
			trace_event(t, "Executing single-partition query on "
			    "%s", table);
		else
			trace_event(t, "Computing ranges to query");
		trace_event(t, "Acquiring sstable references");
		trace_event(t, "Read %zu live rows and 0 tombstone cells",
		    res->nrows);
	} else if (info->write && info->table != NULL) {
		trace_event(t, "Determining replicas for mutation");
		trace_event(t, "Appending to commitlog");
		trace_event(t, "Adding to %s memtable", table);
	}
}

static void
request_values(const struct query_params *qp, struct db_values *v,
    struct db_opts *o)
{
	memset(v, 0, sizeof *v);
	memset(o, 0, sizeof *o);
	if (qp->flags & QP_VALUES) {
		v->v = qp->values;
		v->n = qp->nvalues;
		if (qp->flags & QP_NAMES)
			v->names = qp->names;
	}
	if (qp->flags & QP_PAGE_SIZE)
		o->page_size = qp->page_size;
	if ((qp->flags & QP_PAGING_STATE) &&
	    qp->paging_state.state == BYTES_VALUE) {
		o->paging_state = qp->paging_state.v.p;
		o->paging_state_len = qp->paging_state.v.n;
	}
	if (qp->flags & QP_DEFAULT_TIMESTAMP) {
		o->has_timestamp = 1;
		o->timestamp = qp->default_timestamp;
	}
}

/* The trace's parameters map, as Cassandra fills it for a request. */
static struct trace *
request_trace_begin(struct session *s, const struct stmt_req *r,
    const char *request)
{
	struct trace	*t;
	const char	*cl;
	char		 num[32];

	if (!(r->h->flags & FRAME_FLAG_TRACING))
		return (NULL);
	t = trace_begin(s, request);
	cl = consistency_name(r->consistency);
	trace_param(t, "consistency_level", cl != NULL ? cl : "ONE");
	if (r->params != NULL && (r->params->flags & QP_PAGE_SIZE)) {
		snprintf(num, sizeof num, "%d", r->params->page_size);
		trace_param(t, "page_size", num);
	}
	trace_param(t, "query", r->text);
	if (r->params != NULL &&
	    (r->params->flags & QP_SERIAL_CONSISTENCY)) {
		cl = consistency_name(r->params->serial_consistency);
		trace_param(t, "serial_consistency_level", cl != NULL ? cl :
		    "SERIAL");
	}
	trace_event(t, "Parsing %s", r->text);
	trace_event(t, "Preparing statement");
	return (t);
}

static void
request_trace_end(struct stmt_req *r, const struct db_result *res)
{
	if (r->trace == NULL)
		return;
	if (res != NULL)
		request_trace_events(r->trace, res);
	trace_finish(r->trace);
	r->trace = NULL;
}

static void
request_query(struct session *s, const struct frame_header *h,
    struct msg *m)
{
	struct node		*n = s->node;
	struct stmt_req		 r;
	struct db_values	 v;
	struct db_opts		 o;
	struct db_result	 res;
	struct fault		*f;
	char			*text;
	unsigned		 ms;

	text = request_text(m->u.query.query);
	memset(&r, 0, sizeof r);
	r.h = h;
	r.text = text;
	r.consistency = m->u.query.params.consistency;
	r.params = &m->u.query.params;
	r.batch_type = -1;
	ms = request_delay(n, text);
	r.trace = request_trace_begin(s, &r, "Execute CQL3 query");
	if ((f = request_take_fault(n, &r, h->opcode)) != NULL) {
		request_fault(s, &r, f);
		request_drop_used_faults(n);
		request_trace_end(&r, NULL);
	} else {
		request_values(r.params, &v, &o);
		db_execute_len(s->cluster->db, n->index, s->keyspace, text,
		    m->u.query.query.n, &v, &o, &res);
		request_count_replica(s, &res.info);
		request_result(s, &r, &res, 0);
		request_trace_end(&r, &res);
		db_result_clear(&res);
	}
	session_reply(s, ms);
	free(text);
}

static void
request_execute(struct session *s, const struct frame_header *h,
    struct msg *m)
{
	struct node		*n = s->node;
	struct stmt_req		 r;
	struct prepared		*p = NULL;
	struct db_values	 v;
	struct db_opts		 o;
	struct db_result	 res;
	struct fault		*f;
	unsigned		 ms;

	memset(&r, 0, sizeof r);
	r.h = h;
	r.consistency = m->u.execute.params.consistency;
	r.params = &m->u.execute.params;
	r.batch_type = -1;
	r.id = m->u.execute.id;
	if (r.id.n == 16)
		p = node_prepared_find(n, r.id.p);
	if (p == NULL) {
		r.text = "";
		request_unprepared(s, &r, r.id);
		session_reply(s, request_delay(n, NULL));
		return;
	}
	r.text = p->query;
	ms = request_delay(n, p->query);
	r.trace = request_trace_begin(s, &r, "Execute CQL3 prepared query");
	if ((f = request_take_fault(n, &r, h->opcode)) != NULL) {
		request_fault(s, &r, f);
		if (f->kind == FAULT_UNPREPARED)
			node_prepared_forget(n, r.id.p);
		request_drop_used_faults(n);
		request_trace_end(&r, NULL);
	} else {
		request_values(r.params, &v, &o);
		db_execute_prepared(s->cluster->db, n->index, p->handle, &v,
		    &o, &res);
		request_count_replica(s, &res.info);
		request_result(s, &r, &res,
		    (r.params->flags & QP_SKIP_METADATA) != 0);
		request_trace_end(&r, &res);
		db_result_clear(&res);
	}
	session_reply(s, ms);
}

static void
request_prepare(struct session *s, const struct frame_header *h,
    struct msg *m)
{
	struct node		*n = s->node;
	struct stmt_req		 r;
	struct db_result	 res;
	struct msg		 a;
	struct result_prepared	*rp = &a.u.result.prepared;
	struct col_spec		*vars, *cols;
	uint8_t			 id[16];
	char			*text;
	unsigned		 ms;

	text = request_text(m->u.prepare.query);
	memset(&r, 0, sizeof r);
	r.h = h;
	r.text = text;
	r.consistency = CL_ONE;
	r.batch_type = -1;
	ms = request_delay(n, text);
	r.trace = request_trace_begin(s, &r, "Preparing CQL3 query");
	db_prepare_len(s->cluster->db, n->index, s->keyspace, text,
	    m->u.prepare.query.n, &res);
	if (res.kind != DB_RESULT_PREPARED) {
		request_result(s, &r, &res, 0);
		goto out;
	}
	request_prepared_id(s->keyspace, text, id);
	node_prepared_add(n, id, text, res.handle);

	memset(&a, 0, sizeof a);
	a.opcode = OP_RESULT;
	a.u.result.kind = RESULT_PREPARED;
	if (r.trace != NULL) {
		a.has_tracing_id = 1;
		memcpy(a.tracing_id, trace_id(r.trace), 16);
	}
	rp->id.p = id;
	rp->id.n = sizeof id;
	vars = xcalloc(res.nvars + 1, sizeof *vars);
	cols = xcalloc(res.ncols + 1, sizeof *cols);
	request_colspecs(res.vars, res.nvars, vars, &rp->meta.flags,
	    &rp->meta.global_keyspace, &rp->meta.global_table);
	rp->meta.columns_count = res.nvars;
	rp->meta.pk_count = res.npk_indexes;
	rp->meta.pk_index = res.pk_indexes;
	rp->meta.cols = vars;
	request_colspecs(res.cols, res.ncols, cols, &rp->result.flags,
	    &rp->result.global_keyspace, &rp->result.global_table);
	rp->result.columns_count = res.ncols;
	rp->result.cols = cols;
	if (res.ncols == 0)
		rp->result.flags |= ROWS_NO_METADATA;
	msg_encode(&s->w, h->version, 1, h->stream, 0, &a);
	free(vars);
	free(cols);
out:
	request_trace_end(&r, NULL);
	db_result_clear(&res);
	session_reply(s, ms);
	free(text);
}

static void
request_batch(struct session *s, const struct frame_header *h,
    struct msg *m)
{
	struct node		*n = s->node;
	struct msg_batch	*b = &m->u.batch;
	struct stmt_req		 r;
	struct db_batch_stmt	*st;
	struct db_opts		 o;
	struct db_result	 res;
	struct prepared		*p;
	struct fault		*f;
	char			**texts, *all = NULL, *tmp;
	size_t			 i, len = 0;
	unsigned		 ms;

	memset(&r, 0, sizeof r);
	r.h = h;
	r.consistency = b->consistency;
	r.batch_type = b->type;
	st = xcalloc(b->n + 1, sizeof *st);
	texts = xcalloc(b->n + 1, sizeof *texts);
	for (i = 0; i < b->n; i++) {
		if (b->stmts[i].kind == BATCH_KIND_PREPARED) {
			p = NULL;
			if (b->stmts[i].query.n == 16)
				p = node_prepared_find(n, b->stmts[i].query.p);
			if (p == NULL) {
				r.text = "";
				request_unprepared(s, &r, b->stmts[i].query);
				session_reply(s, request_delay(n, NULL));
				goto out;
			}
			if (r.id.n == 0)
				r.id = b->stmts[i].query;
			st[i].handle = p->handle;
			texts[i] = xstrdup(p->query);
		} else {
			texts[i] = request_text(b->stmts[i].query);
			st[i].cql = texts[i];
			st[i].cql_len = b->stmts[i].query.n;
		}
		st[i].values.v = b->stmts[i].values;
		st[i].values.n = b->stmts[i].nvalues;
		if (b->flags & QP_NAMES)
			st[i].values.names = b->stmts[i].names;
	}
	/* One text of all statements, for matching and the trace. */
	for (i = 0; i < b->n; i++)
		len += strlen(texts[i]) + 2;
	all = xcalloc(1, len + 1);
	for (i = 0; i < b->n; i++) {
		tmp = all + strlen(all);
		snprintf(tmp, len + 1 - (tmp - all), "%s%s", i ? "; " : "",
		    texts[i]);
	}
	r.text = all;
	ms = request_delay(n, all);
	r.trace = request_trace_begin(s, &r, "Execute batch of CQL3 queries");
	if ((f = request_take_fault(n, &r, h->opcode)) != NULL) {
		request_fault(s, &r, f);
		if (f->kind == FAULT_UNPREPARED)
			node_prepared_forget(n, r.id.p);
		request_drop_used_faults(n);
		request_trace_end(&r, NULL);
	} else {
		memset(&o, 0, sizeof o);
		if (b->flags & QP_DEFAULT_TIMESTAMP) {
			o.has_timestamp = 1;
			o.timestamp = b->default_timestamp;
		}
		db_batch(s->cluster->db, n->index, s->keyspace, b->type, st,
		    b->n, &o, &res);
		request_count_replica(s, &res.info);
		request_result(s, &r, &res, 0);
		request_trace_end(&r, &res);
		db_result_clear(&res);
	}
	session_reply(s, ms);
out:
	for (i = 0; i < b->n; i++)
		free(texts[i]);
	free(texts);
	free(st);
	free(all);
}

/* SUPPORTED, as Cassandra 4.0 lists it (but without compression). */
static void
request_options(struct session *s, const struct frame_header *h)
{
	struct wbuf	*w = &s->w;
	size_t		 start;

	start = frame_begin(w, h->version, 1, 0, h->stream, OP_SUPPORTED);
	wbuf_u16(w, 3);
	wbuf_string(w, "PROTOCOL_VERSIONS");
	wbuf_u16(w, 3);
	wbuf_string(w, "3/v3");
	wbuf_string(w, "4/v4");
	wbuf_string(w, "5/v5-beta");
	wbuf_string(w, "COMPRESSION");
	wbuf_u16(w, 0);
	wbuf_string(w, "CQL_VERSION");
	wbuf_u16(w, 1);
	wbuf_string(w, MOCK_CQL_VERSION);
	frame_end(w, start);
	session_reply(s, request_delay(s->node, NULL));
}

static void
request_startup(struct session *s, const struct frame_header *h,
    struct msg *m)
{
	const struct slice	*v;
	size_t			 start;

	if (string_map_get(&m->u.startup.options, "CQL_VERSION") == NULL) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Missing value CQL_VERSION in STARTUP message");
		return;
	}
	v = string_map_get(&m->u.startup.options, "COMPRESSION");
	if (v != NULL && v->n > 0) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Unknown compression algorithm: %.*s",
		    (int)(v->n > 64 ? 64 : v->n), (const char *)v->p);
		return;
	}
	session_ready(s);
	start = frame_begin(&s->w, h->version, 1, 0, h->stream, OP_READY);
	frame_end(&s->w, start);
	session_reply(s, request_delay(s->node, NULL));
}

static void
request_register(struct session *s, const struct frame_header *h,
    struct msg *m)
{
	struct string_list	*l = &m->u.reg.events;
	size_t			 i, start;
	int			 mask = 0, e;

	for (i = 0; i < l->n; i++) {
		if ((e = events_parse((const char *)l->e[i].p, l->e[i].n)) ==
		    0) {
			session_protocol_error(s, h->version, 0, h->stream,
			    "Invalid value '%.*s' for Event.Type",
			    (int)(l->e[i].n > 64 ? 64 : l->e[i].n),
			    (const char *)l->e[i].p);
			return;
		}
		mask |= e;
	}
	s->events |= mask;
	start = frame_begin(&s->w, h->version, 1, 0, h->stream, OP_READY);
	frame_end(&s->w, start);
	session_reply(s, request_delay(s->node, NULL));
}

/*
 * One whole frame in a version we speak. The checks come in Cassandra's
 * order: version consistency, opcode, direction, connection state, body.
 */
void
request_frame(struct session *s, const struct frame_header *h,
    const uint8_t *body, size_t len)
{
	struct msg	 m;
	char		 err[256];
	const char	*name = opcode_name(h->opcode);
	int		 isreq = opcode_is_request(h->opcode);

	s->node->stats.ops[h->opcode]++;
	if (s->version != 0 && h->version != s->version) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Invalid message version. Got %u but previous messages on "
		    "this connection had version %u", h->version, s->version);
		return;
	}
	if (isreq == -1) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Unknown opcode %u", h->opcode);
		return;
	}
	if (h->response != !isreq) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Wrong protocol direction (expected %s, got %s) for opcode "
		    "%u (%s)", isreq ? "REQUEST" : "RESPONSE",
		    h->response ? "RESPONSE" : "REQUEST", h->opcode, name);
		return;
	}
	if (!isreq) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Unexpected message %s from a client", name);
		return;
	}
	if (h->flags & FRAME_FLAG_COMPRESSION) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Received frame with compression flag set, but no "
		    "compression was negotiated");
		return;
	}
	if (s->state == SESSION_NEW && h->opcode != OP_STARTUP &&
	    h->opcode != OP_OPTIONS) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Unexpected message %s, expecting STARTUP or OPTIONS", name);
		return;
	}
	if (s->state != SESSION_NEW && h->opcode == OP_STARTUP) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Unexpected message STARTUP, the connection is already "
		    "initialized");
		return;
	}
	if (h->opcode == OP_AUTH_RESPONSE) {
		session_protocol_error(s, h->version, 0, h->stream,
		    "Unexpected message AUTH_RESPONSE: authentication is not "
		    "required");
		return;
	}
	if (msg_decode(h->version, h, body, len, &m, err, sizeof err) != 0) {
		session_protocol_error(s, h->version, 0, h->stream, "%s", err);
		return;
	}
	if (s->version == 0)
		s->version = h->version;

	switch (h->opcode) {
	case OP_OPTIONS:
		request_options(s, h);
		break;
	case OP_STARTUP:
		request_startup(s, h, &m);
		break;
	case OP_REGISTER:
		request_register(s, h, &m);
		break;
	case OP_QUERY:
		request_query(s, h, &m);
		break;
	case OP_PREPARE:
		request_prepare(s, h, &m);
		break;
	case OP_EXECUTE:
		request_execute(s, h, &m);
		break;
	case OP_BATCH:
		request_batch(s, h, &m);
		break;
	}
	msg_clear(&m);
}
