/*
 * result.c: results handed to request callers, deep-copied out of the
 * decoded frame so that they outlive the connection's buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "cqltype.h"
#include "result.h"

static const char *core_error_names[CORE_NERRORS] = {
	"ok",
	"server_error",
	"timeout",
	"no_hosts_available",
	"busy",
	"connection_error",
	"protocol_error",
	"cancelled",
	"shutting_down",
	"usage_error"
};

const char *
core_error_name(enum core_error e)
{
	if ((unsigned int)e >= CORE_NERRORS)
		return ("unknown");
	return (core_error_names[e]);
}

const char *
result_kind_name(enum result_kind k)
{
	switch (k) {
	case RES_NONE:
		return ("none");
	case RES_VOID:
		return ("void");
	case RES_ROWS:
		return ("rows");
	case RES_SET_KEYSPACE:
		return ("set_keyspace");
	case RES_SCHEMA_CHANGE:
		return ("schema_change");
	case RES_PREPARED:
		return ("prepared");
	}
	return ("unknown");
}

/* Freed results kept for reuse: every request makes one. */
#define RESULT_POOL_MAX	256
static struct freelist	result_fl = FREELIST_INITIALIZER(RESULT_POOL_MAX, 0,
    NULL);

struct result *
result_new(void)
{
	struct result	*r;

	if ((r = freelist_get(&result_fl)) == NULL)
		return (xcalloc(1, sizeof (struct result)));
	memset(r, 0, sizeof *r);
	return (r);
}

static char *
result_strdup(struct slice s)
{
	return (slice_dup(s));
}

static void
result_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
result_strv_copy(const struct string_list *l)
{
	char	**v;
	size_t	  i;

	if (l->n == 0)
		return (NULL);
	v = xreallocarray(NULL, l->n, sizeof *v);
	for (i = 0; i < l->n; i++)
		v[i] = result_strdup(l->e[i]);
	return (v);
}

void
result_columns_copy(struct result_columns *rc, const struct col_spec *cols,
    size_t n)
{
	size_t	i;

	rc->n = 0;
	rc->cols = NULL;
	if (cols == NULL || n == 0)
		return;
	rc->cols = xcalloc(n, sizeof *rc->cols);
	for (i = 0; i < n; i++) {
		rc->cols[i].keyspace = result_strdup(cols[i].keyspace);
		rc->cols[i].table = result_strdup(cols[i].table);
		rc->cols[i].name = result_strdup(cols[i].name);
		rc->cols[i].type = cols[i].type != NULL ?
		    cqltype_dup(cols[i].type) : NULL;
	}
	rc->n = n;
}

/* The length slice_dup would copy: a string stops at a NUL. */
static size_t
result_slice_len(const struct slice *s)
{
	return (s->n == 0 ? 0 : strnlen((const char *)s->p, s->n));
}

/*
 * The columns of rows, once per answer: the array and the names in one
 * allocation (result_rows_columns_clear frees them; the types are apart).
 */
static void
result_rows_columns_copy(struct result_columns *rc,
    const struct col_spec *cols, size_t n, int types)
{
	size_t		 i, len, total = n * sizeof *rc->cols;
	char		*s;
	const struct slice *src[3];
	char		**dst[3];
	int		 k;

	rc->n = 0;
	rc->cols = NULL;
	if (cols == NULL || n == 0)
		return;
	for (i = 0; i < n; i++) {
		total += result_slice_len(&cols[i].keyspace) + 1;
		total += result_slice_len(&cols[i].table) + 1;
		total += result_slice_len(&cols[i].name) + 1;
	}
	rc->cols = xmalloc(total);
	s = (char *)(rc->cols + n);
	for (i = 0; i < n; i++) {
		src[0] = &cols[i].keyspace;
		src[1] = &cols[i].table;
		src[2] = &cols[i].name;
		dst[0] = &rc->cols[i].keyspace;
		dst[1] = &rc->cols[i].table;
		dst[2] = &rc->cols[i].name;
		for (k = 0; k < 3; k++) {
			len = result_slice_len(src[k]);
			if (len > 0)
				memcpy(s, src[k]->p, len);
			s[len] = '\0';
			*dst[k] = s;
			s += len + 1;
		}
		rc->cols[i].type = types && cols[i].type != NULL ?
		    cqltype_dup(cols[i].type) : NULL;
	}
	rc->n = n;
}

/* A column set's columns as results show them: built once per set. */
static void
result_view_free(void *p)
{
	struct result_columns	*rc = p;

	free(rc->cols);
	free(rc);
}

static const struct result_columns *
result_colset_columns(struct colset *cs)
{
	struct result_columns	*rc;
	size_t			 i, n = (size_t)cs->count;

	if (cs->view != NULL)
		return (cs->view);
	rc = xmalloc(sizeof *rc);
	/* Names only: the types stay the set's, not copies. */
	result_rows_columns_copy(rc, cs->cols, n, 0);
	for (i = 0; i < rc->n; i++)
		rc->cols[i].type = cs->cols[i].type;
	cs->view = rc;
	cs->view_free = result_view_free;
	return (rc);
}

static void
result_rows_columns_clear(struct result_columns *rc)
{
	size_t	i;

	for (i = 0; i < rc->n; i++) {
		if (rc->cols[i].type != NULL)
			cqltype_free(rc->cols[i].type);
	}
	free(rc->cols);
	rc->cols = NULL;
	rc->n = 0;
}

void
result_columns_clear(struct result_columns *rc)
{
	size_t	i;

	for (i = 0; i < rc->n; i++) {
		free(rc->cols[i].keyspace);
		free(rc->cols[i].table);
		free(rc->cols[i].name);
		if (rc->cols[i].type != NULL)
			cqltype_free(rc->cols[i].type);
	}
	free(rc->cols);
	rc->cols = NULL;
	rc->n = 0;
}

void
result_server_error_free(struct core_server_error *e)
{
	free(e->message);
	free(e->write_type);
	free(e->keyspace);
	free(e->table);
	free(e->function);
	result_strv_free(e->arg_types, e->narg_types);
	free(e->id);
	memset(e, 0, sizeof *e);
}

/* Fields absent from the error (empty slices) stay NULL. */
void
result_copy_server_error(struct core_server_error *e,
    const struct msg_error *m)
{
	result_server_error_clear(e);
	e->code = m->code;
	e->message = result_strdup(m->message);
	e->consistency = m->consistency;
	e->required = m->required;
	e->alive = m->alive;
	e->received = m->received;
	e->blockfor = m->blockfor;
	e->numfailures = m->numfailures;
	e->data_present = m->data_present;
	if (m->write_type.n > 0)
		e->write_type = result_strdup(m->write_type);
	if (m->keyspace.n > 0)
		e->keyspace = result_strdup(m->keyspace);
	if (m->table.n > 0)
		e->table = result_strdup(m->table);
	if (m->function.n > 0)
		e->function = result_strdup(m->function);
	e->arg_types = result_strv_copy(&m->arg_types);
	e->narg_types = e->arg_types != NULL ? m->arg_types.n : 0;
	if (m->id.n > 0) {
		e->id = xmemdup(m->id.p, m->id.n);
		e->idlen = m->id.n;
	}
}

void
result_set_error(struct result *r, enum core_error e, const char *fmt, ...)
{
	va_list	ap;

	r->error = e;
	r->kind = RES_NONE;
	free(r->message);
	va_start(ap, fmt);
	xvasprintf(&r->message, fmt, ap);
	va_end(ap);
}

void
result_add_attempt(struct result *r, const char *host, enum core_error e,
    int32_t code, const char *message)
{
	struct result_attempt	*a;

	r->attempts = xreallocarray(r->attempts, r->nattempts + 1,
	    sizeof *r->attempts);
	a = &r->attempts[r->nattempts++];
	memset(a, 0, sizeof *a);
	snprintf(a->host, sizeof a->host, "%s", host != NULL ? host : "");
	a->error = e;
	a->code = code;
	a->message = xstrdup(message != NULL ? message : "");
}

void
result_set_host(struct result *r, struct host *h)
{
	size_t	n;

	if (r->host != NULL)
		host_unref(r->host);
	r->host = h != NULL ? host_ref(h) : NULL;
	/* Once per answer: no printf. */
	n = h != NULL ? strnlen(h->name, sizeof r->host_name - 1) : 0;
	if (n > 0)
		memcpy(r->host_name, h->name, n);
	r->host_name[n] = '\0';
}

/* Copy the rows into the result and index every cell. */
static int
result_copy_rows(struct result *r, const struct result_rows *rows)
{
	struct rows_reader	 rr;
	size_t			 ncols, i, n;
	int			 rv;

	ncols = rows->meta.columns_count < 0 ? 0 :
	    (size_t)rows->meta.columns_count;
	if (rows->colset != NULL && rows->meta.cols == rows->colset->cols &&
	    (size_t)rows->colset->count == ncols) {
		r->colset = colset_ref(rows->colset);
		r->columns = *result_colset_columns(r->colset);
	} else
		result_rows_columns_copy(&r->columns, rows->meta.cols,
		    rows->meta.cols != NULL ? ncols : 0, 1);
	if (rows->meta.flags & ROWS_HAS_MORE_PAGES) {
		r->has_more_pages = 1;
		if (rows->meta.paging_state.state == BYTES_VALUE) {
			r->paging_state_len = rows->meta.paging_state.v.n;
			r->paging_state = xmemdup(rows->meta.paging_state.v.p,
			    r->paging_state_len + 1);
		}
	}
	r->rows_count = rows->rows_count < 0 ? 0 : rows->rows_count;
	if (r->rows_count == 0 || ncols == 0) {
		if (rows->rows.n > 0) {
			r->rows_data = xmemdup(rows->rows.p, rows->rows.n);
			r->rows_len = rows->rows.n;
		}
		return (0);
	}
	/*
	 * The decoder checked that rows_count * ncols cells fit the body.
	 * The cells and the bytes they point into are one allocation, the
	 * bytes right after the cells: result_free frees only the cells.
	 */
	n = (size_t)r->rows_count * ncols;
	if (n > (SIZE_MAX - rows->rows.n) / sizeof *r->cells)
		fatalx("%s: %zu cells", __func__, n);
	r->cells = xmalloc(n * sizeof *r->cells + rows->rows.n);
	r->rows_data = (uint8_t *)(r->cells + n);
	if (rows->rows.n > 0)
		memcpy(r->rows_data, rows->rows.p, rows->rows.n);
	r->rows_len = rows->rows.n;
	/* Read the copy, not the message's bytes. */
	rows_reader_init(&rr, rows);
	rbuf_init(&rr.r, r->rows_data, r->rows_len);
	for (i = 0; i < (size_t)r->rows_count; i++) {
		rv = rows_reader_next(&rr, &r->cells[i * ncols]);
		if (rv != 1)
			return (-1);
	}
	return (0);
}

static void
result_copy_prepared(struct result *r, const struct result_prepared *p)
{
	struct result_prep	*rp = &r->prepared;
	size_t			 n;

	rp->idlen = p->id.n;
	rp->id = xmemdup(p->id.p, p->id.n + 1);
	if (p->result_metadata_id.n > 0) {
		rp->rmidlen = p->result_metadata_id.n;
		rp->result_metadata_id = xmemdup(p->result_metadata_id.p,
		    p->result_metadata_id.n);
	}
	n = p->meta.columns_count < 0 ? 0 : (size_t)p->meta.columns_count;
	result_columns_copy(&rp->bind, p->meta.cols, n);
	if (p->meta.pk_count > 0 && p->meta.pk_index != NULL) {
		rp->pk_count = (size_t)p->meta.pk_count;
		rp->pk_index = xmemdup(p->meta.pk_index,
		    rp->pk_count * sizeof *rp->pk_index);
	}
	n = p->result.columns_count < 0 ? 0 :
	    (size_t)p->result.columns_count;
	if (p->result.flags & ROWS_NO_METADATA)
		rp->no_metadata = 1;
	result_columns_copy(&rp->columns, p->result.cols,
	    p->result.cols != NULL ? n : 0);
}

static void
result_copy_schema(struct result_schema_change *s,
    const struct schema_change *m)
{
	s->change = result_strdup(m->change);
	s->target = result_strdup(m->target);
	s->keyspace = result_strdup(m->keyspace);
	s->name = result_strdup(m->name);
	s->args = result_strv_copy(&m->args);
	s->nargs = s->args != NULL ? m->args.n : 0;
}

/* Everything the caller may want from a RESULT or an ERROR. */
int
result_from_msg(struct result *r, const struct msg *m)
{
	const struct msg_result	*res = &m->u.result;
	char			*text;

	if (m->has_tracing_id) {
		r->has_tracing_id = 1;
		memcpy(r->tracing_id, m->tracing_id, sizeof r->tracing_id);
	}
	if (r->warnings == NULL && m->warnings.n > 0) {
		r->warnings = result_strv_copy(&m->warnings);
		r->nwarnings = m->warnings.n;
	}
	if (m->opcode == OP_ERROR) {
		result_copy_server_error(&r->server, &m->u.error);
		text = slice_dup(m->u.error.message);
		result_set_error(r, CORE_ESERVER, "%s (0x%04x): %s",
		    error_code_name(m->u.error.code),
		    (unsigned int)m->u.error.code, text);
		free(text);
		return (0);
	}
	if (m->opcode != OP_RESULT) {
		result_set_error(r, CORE_EPROTOCOL, "unexpected %s answer",
		    opcode_name(m->opcode));
		return (-1);
	}
	r->error = CORE_OK;
	switch (res->kind) {
	case RESULT_VOID:
		r->kind = RES_VOID;
		break;
	case RESULT_ROWS:
		r->kind = RES_ROWS;
		/*
		 * The core never asks to skip metadata; rows without it
		 * could not be named or typed, so they are the node's error.
		 */
		if ((res->rows.meta.flags & ROWS_NO_METADATA) &&
		    res->rows.meta.columns_count > 0) {
			result_set_error(r, CORE_EPROTOCOL,
			    "rows without metadata that was not skipped");
			return (-1);
		}
		if (result_copy_rows(r, &res->rows) != 0) {
			result_set_error(r, CORE_EPROTOCOL,
			    "malformed rows in the answer");
			return (-1);
		}
		break;
	case RESULT_SET_KEYSPACE:
		r->kind = RES_SET_KEYSPACE;
		r->keyspace = result_strdup(res->keyspace);
		break;
	case RESULT_PREPARED:
		r->kind = RES_PREPARED;
		result_copy_prepared(r, &res->prepared);
		break;
	case RESULT_SCHEMA_CHANGE:
		r->kind = RES_SCHEMA_CHANGE;
		result_copy_schema(&r->schema, &res->schema);
		break;
	default:
		result_set_error(r, CORE_EPROTOCOL, "unknown RESULT kind %d",
		    res->kind);
		return (-1);
	}
	return (0);
}

const struct bytesval *
result_cell(const struct result *r, int32_t row, size_t col)
{
	if (r->cells == NULL || row < 0 || row >= r->rows_count ||
	    col >= r->columns.n)
		return (NULL);
	return (&r->cells[(size_t)row * r->columns.n + col]);
}

int
result_column_index(const struct result *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->columns.n; i++) {
		if (strcmp(r->columns.cols[i].name, name) == 0)
			return ((int)i);
	}
	return (-1);
}

void
result_free(struct result *r)
{
	size_t	i;

	if (r == NULL)
		return;
	free(r->message);
	result_server_error_clear(&r->server);
	/* With cells, the rows' bytes are in their allocation (copy_rows). */
	if (r->cells == NULL)
		free(r->rows_data);
	free(r->cells);
	if (r->colset != NULL)
		colset_unref(r->colset);
	else
		result_rows_columns_clear(&r->columns);
	free(r->paging_state);
	free(r->keyspace);
	free(r->schema.change);
	free(r->schema.target);
	free(r->schema.keyspace);
	free(r->schema.name);
	result_strv_free(r->schema.args, r->schema.nargs);
	free(r->prepared.id);
	free(r->prepared.result_metadata_id);
	result_columns_clear(&r->prepared.bind);
	free(r->prepared.pk_index);
	result_columns_clear(&r->prepared.columns);
	result_strv_free(r->warnings, r->nwarnings);
	for (i = 0; i < r->nattempts; i++)
		free(r->attempts[i].message);
	free(r->attempts);
	if (r->host != NULL)
		host_unref(r->host);
	freelist_put(&result_fl, r);
}
