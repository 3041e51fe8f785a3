/*
 * msg.c: native protocol message bodies, decoded into struct msg (slices
 * into the frame body, arrays allocated) and encoded back into frames.
 * Every count a peer sends is checked against the bytes that remain
 * before anything is allocated for it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "cqltype.h"
#include "msg.h"

static const char *const consistency_names[] = {
	"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM",
	"EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"
};

static const struct {
	int32_t		 code;
	const char	*name;
} error_names[] = {
	{ ERR_SERVER, "SERVER_ERROR" },
	{ ERR_PROTOCOL, "PROTOCOL_ERROR" },
	{ ERR_BAD_CREDENTIALS, "BAD_CREDENTIALS" },
	{ ERR_UNAVAILABLE, "UNAVAILABLE" },
	{ ERR_OVERLOADED, "OVERLOADED" },
	{ ERR_IS_BOOTSTRAPPING, "IS_BOOTSTRAPPING" },
	{ ERR_TRUNCATE, "TRUNCATE_ERROR" },
	{ ERR_WRITE_TIMEOUT, "WRITE_TIMEOUT" },
	{ ERR_READ_TIMEOUT, "READ_TIMEOUT" },
	{ ERR_READ_FAILURE, "READ_FAILURE" },
	{ ERR_FUNCTION_FAILURE, "FUNCTION_FAILURE" },
	{ ERR_WRITE_FAILURE, "WRITE_FAILURE" },
	{ ERR_CDC_WRITE_FAILURE, "CDC_WRITE_FAILURE" },
	{ ERR_CAS_WRITE_UNKNOWN, "CAS_WRITE_UNKNOWN" },
	{ ERR_SYNTAX, "SYNTAX_ERROR" },
	{ ERR_UNAUTHORIZED, "UNAUTHORIZED" },
	{ ERR_INVALID, "INVALID" },
	{ ERR_CONFIG, "CONFIG_ERROR" },
	{ ERR_ALREADY_EXISTS, "ALREADY_EXISTS" },
	{ ERR_UNPREPARED, "UNPREPARED" },
};

const char *
consistency_name(uint16_t cl)
{
	if (cl < nitems(consistency_names))
		return (consistency_names[cl]);
	return (NULL);
}

int
consistency_parse(const char *s, uint16_t *cl)
{
	size_t	i;

	for (i = 0; i < nitems(consistency_names); i++) {
		if (strcasecmp(s, consistency_names[i]) == 0) {
			*cl = (uint16_t)i;
			return (0);
		}
	}
	return (-1);
}

const char *
error_code_name(int32_t code)
{
	size_t	i;

	for (i = 0; i < nitems(error_names); i++) {
		if (error_names[i].code == code)
			return (error_names[i].name);
	}
	return ("UNKNOWN_ERROR");
}

const struct slice *
string_map_get(const struct string_map *m, const char *key)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		if (slice_eq(m->e[i].key, key))
			return (&m->e[i].value);
	}
	return (NULL);
}

const struct string_list *
string_multimap_get(const struct string_multimap *m, const char *key)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		if (slice_eq(m->e[i].key, key))
			return (&m->e[i].values);
	}
	return (NULL);
}

/*
 * Reading the compound notations. Each allocation is bounded by what is
 * left in the body: n entries need at least n times their minimum size.
 */

static void *
alloc_counted(struct rbuf *r, size_t n, size_t minsize, size_t elsize,
    size_t cap)
{
	if (!rbuf_ok(r))
		return (NULL);
	if (n > cap || n > rbuf_left(r) / minsize) {
		rbuf_fail(r, "count too large");
		return (NULL);
	}
	return (n == 0 ? NULL : xcalloc(n, elsize));
}

static void
read_string_list(struct rbuf *r, struct string_list *l)
{
	size_t	n = rbuf_u16(r), i;

	l->e = alloc_counted(r, n, 2, sizeof *l->e, MSG_MAX_ENTRIES);
	if (!rbuf_ok(r))
		return;
	l->n = n;
	for (i = 0; i < n; i++)
		l->e[i] = rbuf_string(r);
}

static void
read_string_map(struct rbuf *r, struct string_map *m)
{
	size_t	n = rbuf_u16(r), i;

	m->e = alloc_counted(r, n, 4, sizeof *m->e, MSG_MAX_ENTRIES);
	if (!rbuf_ok(r))
		return;
	m->n = n;
	for (i = 0; i < n; i++) {
		m->e[i].key = rbuf_string(r);
		m->e[i].value = rbuf_string(r);
	}
}

static void
read_string_multimap(struct rbuf *r, struct string_multimap *m)
{
	size_t	n = rbuf_u16(r), i;

	m->e = alloc_counted(r, n, 4, sizeof *m->e, MSG_MAX_ENTRIES);
	if (!rbuf_ok(r))
		return;
	m->n = n;
	for (i = 0; i < n && rbuf_ok(r); i++) {
		m->e[i].key = rbuf_string(r);
		read_string_list(r, &m->e[i].values);
	}
}

static void
read_bytes_map(struct rbuf *r, struct bytes_map *m)
{
	size_t	n = rbuf_u16(r), i;

	m->e = alloc_counted(r, n, 6, sizeof *m->e, MSG_MAX_ENTRIES);
	if (!rbuf_ok(r))
		return;
	m->n = n;
	for (i = 0; i < n; i++) {
		m->e[i].key = rbuf_string(r);
		m->e[i].value = rbuf_bytes(r);
	}
}

/* A bound value: unset (-2) exists only from v4. */
static struct bytesval
read_value(struct rbuf *r, uint8_t version)
{
	struct bytesval	b = rbuf_bytes(r);

	if (b.state == BYTES_UNSET && version < PROTO_V4)
		rbuf_fail(r, "unset value before protocol v4");
	return (b);
}

/* n values, each optionally behind a name. */
static void
read_values(struct rbuf *r, uint8_t version, int names, size_t *np,
    struct bytesval **vp, struct slice **namesp)
{
	size_t	n = rbuf_u16(r), i;

	*vp = alloc_counted(r, n, names ? 6 : 4, sizeof **vp,
	    MSG_MAX_ENTRIES);
	if (!rbuf_ok(r))
		return;
	if (names && n > 0)
		*namesp = xcalloc(n, sizeof **namesp);
	*np = n;
	for (i = 0; i < n && rbuf_ok(r); i++) {
		if (names)
			(*namesp)[i] = rbuf_string(r);
		(*vp)[i] = read_value(r, version);
	}
}

static uint32_t
read_flags(struct rbuf *r, uint8_t version)
{
	return (version >= PROTO_V5 ? rbuf_u32(r) : rbuf_u8(r));
}

static void
read_query_params(struct rbuf *r, uint8_t version, struct query_params *p)
{
	p->consistency = rbuf_u16(r);
	p->flags = read_flags(r, version);
	if (p->flags & QP_VALUES)
		read_values(r, version, (p->flags & QP_NAMES) != 0,
		    &p->nvalues, &p->values, &p->names);
	if (p->flags & QP_PAGE_SIZE)
		p->page_size = rbuf_i32(r);
	p->paging_state = bytesval_null();
	if (p->flags & QP_PAGING_STATE)
		p->paging_state = rbuf_bytes(r);
	if (p->flags & QP_SERIAL_CONSISTENCY)
		p->serial_consistency = rbuf_u16(r);
	if (p->flags & QP_DEFAULT_TIMESTAMP)
		p->default_timestamp = rbuf_i64(r);
	if (version >= PROTO_V5 && (p->flags & QP_KEYSPACE))
		p->keyspace = rbuf_string(r);
	if (version >= PROTO_V5 && (p->flags & QP_NOW_IN_SECONDS))
		p->now_in_seconds = rbuf_i32(r);
}

static void
batch_free_stmts(struct msg_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		free(b->stmts[i].values);
		free(b->stmts[i].names);
	}
	free(b->stmts);
	b->stmts = NULL;
	b->n = 0;
}

/* One reading of a BATCH body, assuming values are named or not. */
static void
batch_try(struct rbuf *r, uint8_t version, int names, struct msg_batch *b)
{
	struct batch_stmt	*s;
	size_t			 n, i;

	b->type = rbuf_u8(r);
	if (rbuf_ok(r) && b->type > BATCH_COUNTER)
		rbuf_fail(r, "unknown batch type");
	n = rbuf_u16(r);
	b->stmts = alloc_counted(r, n, 5, sizeof *b->stmts,
	    MSG_MAX_STATEMENTS);
	if (!rbuf_ok(r))
		return;
	b->n = n;
	for (i = 0; i < n && rbuf_ok(r); i++) {
		s = &b->stmts[i];
		s->kind = rbuf_u8(r);
		if (s->kind == BATCH_KIND_QUERY)
			s->query = rbuf_long_string(r);
		else if (s->kind == BATCH_KIND_PREPARED)
			s->query = rbuf_short_bytes(r);
		else
			rbuf_fail(r, "unknown batch statement kind");
		read_values(r, version, names, &s->nvalues, &s->values,
		    &s->names);
	}
	b->consistency = rbuf_u16(r);
	b->flags = read_flags(r, version);
	if (b->flags & QP_SERIAL_CONSISTENCY)
		b->serial_consistency = rbuf_u16(r);
	if (b->flags & QP_DEFAULT_TIMESTAMP)
		b->default_timestamp = rbuf_i64(r);
	if (version >= PROTO_V5 && (b->flags & QP_KEYSPACE))
		b->keyspace = rbuf_string(r);
	if (version >= PROTO_V5 && (b->flags & QP_NOW_IN_SECONDS))
		b->now_in_seconds = rbuf_i32(r);
	if (rbuf_ok(r) && ((b->flags & QP_NAMES) != 0) != names)
		rbuf_fail(r, "batch names flag does not match its values");
}

/*
 * The names flag (0x40) comes after the values it describes, so read the
 * body as unnamed first and, if that does not fit, as named.
 */
static void
read_batch(struct rbuf *r, uint8_t version, struct msg_batch *b)
{
	struct rbuf	try;

	try = *r;
	batch_try(&try, version, 0, b);
	if (rbuf_ok(&try)) {
		*r = try;
		return;
	}
	batch_free_stmts(b);
	memset(b, 0, sizeof *b);
	try = *r;
	batch_try(&try, version, 1, b);
	if (!rbuf_ok(&try) && (b->flags & QP_NAMES) == 0) {
		/* Report the unnamed reading's failure: it is the usual one. */
		batch_free_stmts(b);
		memset(b, 0, sizeof *b);
		try = *r;
		batch_try(&try, version, 0, b);
	}
	*r = try;
}

static void
read_inet(struct rbuf *r, struct inet_addr *a)
{
	rbuf_inet(r, a->addr, &a->alen, &a->port);
}

static void
read_schema_change(struct rbuf *r, struct schema_change *s)
{
	s->change = rbuf_string(r);
	s->target = rbuf_string(r);
	s->keyspace = rbuf_string(r);
	if (!rbuf_ok(r) || slice_eq(s->target, "KEYSPACE"))
		return;
	s->name = rbuf_string(r);
	if (slice_eq(s->target, "FUNCTION") || slice_eq(s->target, "AGGREGATE"))
		read_string_list(r, &s->args);
}

/* Column specs shared by rows and prepared metadata. */
static void
read_col_specs(struct rbuf *r, uint8_t version, uint32_t flags,
    int32_t count, struct slice gks, struct slice gtable,
    struct col_spec **colsp)
{
	struct col_spec	*cols;
	int32_t		 i;

	cols = alloc_counted(r, (size_t)count, 4, sizeof *cols,
	    MSG_MAX_COLUMNS);
	*colsp = cols;
	for (i = 0; i < count && rbuf_ok(r); i++) {
		if (flags & ROWS_GLOBAL_TABLES_SPEC) {
			cols[i].keyspace = gks;
			cols[i].table = gtable;
		} else {
			cols[i].keyspace = rbuf_string(r);
			cols[i].table = rbuf_string(r);
		}
		cols[i].name = rbuf_string(r);
		if (rbuf_ok(r))
			cols[i].type = cqltype_read(r, version);
	}
}

/*
 * Column sets.
 */

struct colset *
colset_ref(struct colset *cs)
{
	cs->refs++;
	return (cs);
}

void
colset_unref(struct colset *cs)
{
	int32_t	i;

	if (cs == NULL || --cs->refs > 0)
		return;
	if (cs->view != NULL && cs->view_free != NULL)
		cs->view_free(cs->view);
	for (i = 0; i < cs->count; i++)
		cqltype_free(cs->cols[i].type);
	free(cs->cols);
	free(cs);
}

void
colset_cache_clear(struct colset_cache *cc)
{
	size_t	i;

	for (i = 0; i < nitems(cc->slot); i++) {
		colset_unref(cc->slot[i]);
		cc->slot[i] = NULL;
	}
	cc->next = cc->last = 0;
}

/*
 * Reading column specs is deterministic and self-delimiting: bytes that
 * begin with a cached set's bytes (same version, global flag and count)
 * decode to that set and end where it ends.
 */
static int
colset_matches(const struct colset *cs, const struct rbuf *r,
    uint8_t version, const struct rows_meta *m)
{
	return (cs != NULL && cs->count == m->columns_count &&
	    cs->global == (m->flags & ROWS_GLOBAL_TABLES_SPEC) &&
	    cs->version == version && rbuf_left(r) >= cs->rawlen &&
	    memcmp(r->p + r->off, cs->raw, cs->rawlen) == 0);
}

/* A cached set for the specs at r (r moved past them), or NULL. */
static struct colset *
colset_cache_find(struct colset_cache *cc, struct rbuf *r, uint8_t version,
    const struct rows_meta *m)
{
	struct colset	*cs;
	unsigned int	 i, k;

	for (i = 0; i < COLSET_CACHE_SLOTS; i++) {
		k = (cc->last + i) % COLSET_CACHE_SLOTS;
		cs = cc->slot[k];
		if (colset_matches(cs, r, version, m)) {
			cc->last = k;
			cc->hits++;
			(void)rbuf_raw(r, cs->rawlen);
			return (colset_ref(cs));
		}
	}
	cc->misses++;
	return (NULL);
}

static void
colset_rebase(struct slice *s, const uint8_t *from, size_t n,
    const uint8_t *to)
{
	if (s->p != NULL && s->p >= from && s->p <= from + n)
		s->p = to + (s->p - from);
}

/*
 * Keep the specs just decoded from r->p[start..r->off) in the cache: the
 * set takes over m's columns and types, re-pointed into its copy of the
 * bytes.  NULL (m unchanged) when they are too big to keep.
 */
static struct colset *
colset_cache_add(struct colset_cache *cc, const struct rbuf *r, size_t start,
    uint8_t version, struct rows_meta *m)
{
	struct colset	*cs;
	const uint8_t	*from = r->p + start;
	size_t		 n = r->off - start;
	int32_t		 i;

	if (m->columns_count > COLSET_MAX_COLUMNS || n > COLSET_MAX_BYTES ||
	    m->columns_count <= 0 || m->cols == NULL)
		return (NULL);
	cs = xcalloc(1, sizeof *cs + n);
	memcpy(cs->raw, from, n);
	cs->rawlen = n;
	cs->version = version;
	cs->global = m->flags & ROWS_GLOBAL_TABLES_SPEC;
	cs->count = m->columns_count;
	cs->cols = m->cols;
	for (i = 0; i < cs->count; i++) {
		colset_rebase(&cs->cols[i].keyspace, from, n, cs->raw);
		colset_rebase(&cs->cols[i].table, from, n, cs->raw);
		colset_rebase(&cs->cols[i].name, from, n, cs->raw);
	}
	colset_rebase(&m->global_keyspace, from, n, cs->raw);
	colset_rebase(&m->global_table, from, n, cs->raw);
	cs->global_keyspace = m->global_keyspace;
	cs->global_table = m->global_table;
	cs->refs = 1;			/* the cache's */
	colset_unref(cc->slot[cc->next]);
	cc->slot[cc->next] = cs;
	cc->last = cc->next;
	cc->next = (cc->next + 1) % COLSET_CACHE_SLOTS;
	return (colset_ref(cs));	/* the message's */
}

/*
 * Rows metadata; with a cache (RESULT Rows only) the column specs may come
 * from it or go into it, and *setp holds the message's reference.
 */
static void
read_rows_meta(struct rbuf *r, uint8_t version, struct rows_meta *m,
    struct colset_cache *cc, struct colset **setp)
{
	struct colset	*cs;
	size_t		 start;

	m->flags = rbuf_u32(r);
	m->columns_count = rbuf_i32(r);
	if (!rbuf_ok(r))
		return;
	if (m->columns_count < 0 || m->columns_count > MSG_MAX_COLUMNS) {
		rbuf_fail(r, "invalid column count");
		return;
	}
	m->paging_state = bytesval_null();
	if (m->flags & ROWS_HAS_MORE_PAGES)
		m->paging_state = rbuf_bytes(r);
	if (version >= PROTO_V5 && (m->flags & ROWS_METADATA_CHANGED))
		m->new_metadata_id = rbuf_short_bytes(r);
	if (m->flags & ROWS_NO_METADATA)
		return;
	if (cc != NULL && rbuf_ok(r) &&
	    (cs = colset_cache_find(cc, r, version, m)) != NULL) {
		m->global_keyspace = cs->global_keyspace;
		m->global_table = cs->global_table;
		m->cols = cs->cols;
		*setp = cs;
		return;
	}
	start = r->off;
	if (m->flags & ROWS_GLOBAL_TABLES_SPEC) {
		m->global_keyspace = rbuf_string(r);
		m->global_table = rbuf_string(r);
	}
	read_col_specs(r, version, m->flags, m->columns_count,
	    m->global_keyspace, m->global_table, &m->cols);
	if (cc != NULL && rbuf_ok(r))
		*setp = colset_cache_add(cc, r, start, version, m);
}

static void
read_prepared_meta(struct rbuf *r, uint8_t version, struct prepared_meta *m)
{
	int32_t	i;

	m->flags = rbuf_u32(r);
	m->columns_count = rbuf_i32(r);
	if (!rbuf_ok(r))
		return;
	if (m->columns_count < 0 || m->columns_count > MSG_MAX_COLUMNS) {
		rbuf_fail(r, "invalid column count");
		return;
	}
	if (version >= PROTO_V4) {
		m->pk_count = rbuf_i32(r);
		if (rbuf_ok(r) && (m->pk_count < 0 ||
		    m->pk_count > m->columns_count)) {
			rbuf_fail(r, "invalid partition key count");
			return;
		}
		m->pk_index = alloc_counted(r, (size_t)m->pk_count, 2,
		    sizeof *m->pk_index, MSG_MAX_COLUMNS);
		for (i = 0; i < m->pk_count && rbuf_ok(r); i++) {
			m->pk_index[i] = rbuf_u16(r);
			if (m->pk_index[i] >= m->columns_count)
				rbuf_fail(r, "partition key index out of range");
		}
		if (!rbuf_ok(r))
			return;
	}
	if (m->flags & ROWS_GLOBAL_TABLES_SPEC) {
		m->global_keyspace = rbuf_string(r);
		m->global_table = rbuf_string(r);
	}
	read_col_specs(r, version, m->flags, m->columns_count,
	    m->global_keyspace, m->global_table, &m->cols);
}

/* Walk every cell once so that readers never meet a bad length. */
static void
read_rows(struct rbuf *r, struct result_rows *rows)
{
	size_t	start, ncols = (size_t)rows->meta.columns_count;
	int32_t	i, len;
	size_t	c;

	rows->rows_count = rbuf_i32(r);
	if (!rbuf_ok(r))
		return;
	if (rows->rows_count < 0) {
		rbuf_fail(r, "negative row count");
		return;
	}
	if (ncols == 0 && rows->rows_count > MSG_MAX_ENTRIES) {
		rbuf_fail(r, "too many empty rows");
		return;
	}
	start = r->off;
	for (i = 0; i < rows->rows_count && rbuf_ok(r); i++) {
		for (c = 0; c < ncols && rbuf_ok(r); c++) {
			len = rbuf_i32(r);
			if (len < -1)
				rbuf_fail(r, "invalid cell length");
			else if (len > 0)
				(void)rbuf_raw(r, (size_t)len);
		}
	}
	if (rbuf_ok(r)) {
		rows->rows.p = r->p + start;
		rows->rows.n = r->off - start;
	}
}

static void
read_result(struct rbuf *r, uint8_t version, struct msg_result *m,
    struct colset_cache *cc)
{
	m->kind = rbuf_i32(r);
	/* msg_decode cleared kind and rows only. */
	if (m->kind != RESULT_ROWS)
		memset(&m->keyspace, 0, sizeof *m -
		    offsetof(struct msg_result, keyspace));
	if (!rbuf_ok(r))
		return;
	switch (m->kind) {
	case RESULT_VOID:
		break;
	case RESULT_ROWS:
		read_rows_meta(r, version, &m->rows.meta, cc,
		    &m->rows.colset);
		read_rows(r, &m->rows);
		break;
	case RESULT_SET_KEYSPACE:
		m->keyspace = rbuf_string(r);
		break;
	case RESULT_PREPARED:
		m->prepared.id = rbuf_short_bytes(r);
		if (version >= PROTO_V5)
			m->prepared.result_metadata_id = rbuf_short_bytes(r);
		read_prepared_meta(r, version, &m->prepared.meta);
		read_rows_meta(r, version, &m->prepared.result, NULL, NULL);
		break;
	case RESULT_SCHEMA_CHANGE:
		read_schema_change(r, &m->schema);
		break;
	default:
		rbuf_fail(r, "unknown result kind");
		break;
	}
}

/* v5 failure reason maps: <endpoint><code> pairs, counted only. */
static int32_t
read_reason_map(struct rbuf *r)
{
	int32_t	n = rbuf_i32(r), i;
	uint8_t	alen;

	if (rbuf_ok(r) && (n < 0 || (size_t)n > rbuf_left(r) / 7)) {
		rbuf_fail(r, "invalid reason map");
		return (0);
	}
	for (i = 0; i < n && rbuf_ok(r); i++) {
		alen = rbuf_u8(r);
		if (alen != 4 && alen != 16)
			rbuf_fail(r, "invalid reason map address");
		(void)rbuf_raw(r, alen);
		(void)rbuf_u16(r);
	}
	return (n);
}

static void
read_error(struct rbuf *r, uint8_t version, struct msg_error *e)
{
	e->code = rbuf_i32(r);
	e->message = rbuf_string(r);
	if (!rbuf_ok(r))
		return;
	switch (e->code) {
	case ERR_UNAVAILABLE:
		e->consistency = rbuf_u16(r);
		e->required = rbuf_i32(r);
		e->alive = rbuf_i32(r);
		break;
	case ERR_WRITE_TIMEOUT:
		e->consistency = rbuf_u16(r);
		e->received = rbuf_i32(r);
		e->blockfor = rbuf_i32(r);
		e->write_type = rbuf_string(r);
		break;
	case ERR_READ_TIMEOUT:
		e->consistency = rbuf_u16(r);
		e->received = rbuf_i32(r);
		e->blockfor = rbuf_i32(r);
		e->data_present = rbuf_u8(r);
		break;
	case ERR_READ_FAILURE:
		e->consistency = rbuf_u16(r);
		e->received = rbuf_i32(r);
		e->blockfor = rbuf_i32(r);
		e->numfailures = version >= PROTO_V5 ? read_reason_map(r) :
		    rbuf_i32(r);
		e->data_present = rbuf_u8(r);
		break;
	case ERR_WRITE_FAILURE:
		e->consistency = rbuf_u16(r);
		e->received = rbuf_i32(r);
		e->blockfor = rbuf_i32(r);
		e->numfailures = version >= PROTO_V5 ? read_reason_map(r) :
		    rbuf_i32(r);
		e->write_type = rbuf_string(r);
		break;
	case ERR_CAS_WRITE_UNKNOWN:
		e->consistency = rbuf_u16(r);
		e->received = rbuf_i32(r);
		e->blockfor = rbuf_i32(r);
		break;
	case ERR_FUNCTION_FAILURE:
		e->keyspace = rbuf_string(r);
		e->function = rbuf_string(r);
		read_string_list(r, &e->arg_types);
		break;
	case ERR_ALREADY_EXISTS:
		e->keyspace = rbuf_string(r);
		e->table = rbuf_string(r);
		break;
	case ERR_UNPREPARED:
		e->id = rbuf_short_bytes(r);
		break;
	default:
		break;
	}
}

static void
read_event(struct rbuf *r, struct msg_event *e)
{
	e->type = rbuf_string(r);
	if (!rbuf_ok(r))
		return;
	if (slice_eq(e->type, "TOPOLOGY_CHANGE") ||
	    slice_eq(e->type, "STATUS_CHANGE")) {
		e->change = rbuf_string(r);
		read_inet(r, &e->node);
	} else if (slice_eq(e->type, "SCHEMA_CHANGE"))
		read_schema_change(r, &e->schema);
	else
		rbuf_fail(r, "unknown event type");
}

int
msg_decode(uint8_t version, const struct frame_header *h, const uint8_t *body,
    size_t len, struct msg *m, char *err, size_t errlen)
{
	return (msg_decode_cached(version, h, body, len, m, NULL, err,
	    errlen));
}

int
msg_decode_cached(uint8_t version, const struct frame_header *h,
    const uint8_t *body, size_t len, struct msg *m, struct colset_cache *cc,
    char *err, size_t errlen)
{
	struct rbuf	 r;
	int		 req;

	if (version < PROTO_V3 || version > PROTO_V5) {
		snprintf(err, errlen, "unsupported protocol version %u", version);
		goto refused;
	}
	if ((req = opcode_is_request(h->opcode)) < 0) {
		snprintf(err, errlen, "Unknown opcode %u", h->opcode);
		goto refused;
	}
	if (req == h->response) {
		snprintf(err, errlen, "Wrong protocol direction (expected %s, "
		    "got %s) for opcode %u (%s)", req ? "RESPONSE" : "REQUEST",
		    h->response ? "RESPONSE" : "REQUEST", h->opcode,
		    opcode_name(h->opcode));
		goto refused;
	}
	/*
	 * A RESULT clears only up to its Rows part (the kind nearly every
	 * answer has); read_result clears the rest for the other kinds.
	 */
	if (h->opcode == OP_RESULT)
		memset(m, 0, offsetof(struct msg, u) +
		    offsetof(struct msg_result, keyspace));
	else
		memset(m, 0, sizeof *m);
	m->opcode = h->opcode;
	rbuf_init(&r, body, len);
	if (h->response && (h->flags & FRAME_FLAG_TRACING)) {
		m->has_tracing_id = 1;
		rbuf_uuid(&r, m->tracing_id);
	}
	if (h->response && (h->flags & FRAME_FLAG_WARNING))
		read_string_list(&r, &m->warnings);
	if (h->flags & FRAME_FLAG_CUSTOM) {
		m->has_custom_payload = 1;
		read_bytes_map(&r, &m->custom_payload);
	}
	switch (h->opcode) {
	case OP_STARTUP:
		read_string_map(&r, &m->u.startup.options);
		break;
	case OP_READY:
	case OP_OPTIONS:
		break;
	case OP_AUTHENTICATE:
		m->u.authenticate.authenticator = rbuf_string(&r);
		break;
	case OP_SUPPORTED:
		read_string_multimap(&r, &m->u.supported.options);
		break;
	case OP_QUERY:
		m->u.query.query = rbuf_long_string(&r);
		read_query_params(&r, version, &m->u.query.params);
		break;
	case OP_PREPARE:
		m->u.prepare.query = rbuf_long_string(&r);
		if (version >= PROTO_V5) {
			m->u.prepare.flags = rbuf_u32(&r);
			if (m->u.prepare.flags & PREPARE_KEYSPACE)
				m->u.prepare.keyspace = rbuf_string(&r);
		}
		break;
	case OP_EXECUTE:
		m->u.execute.id = rbuf_short_bytes(&r);
		if (version >= PROTO_V5)
			m->u.execute.result_metadata_id = rbuf_short_bytes(&r);
		read_query_params(&r, version, &m->u.execute.params);
		break;
	case OP_BATCH:
		read_batch(&r, version, &m->u.batch);
		break;
	case OP_REGISTER:
		read_string_list(&r, &m->u.reg.events);
		break;
	case OP_EVENT:
		read_event(&r, &m->u.event);
		break;
	case OP_AUTH_CHALLENGE:
	case OP_AUTH_RESPONSE:
	case OP_AUTH_SUCCESS:
		m->u.auth.token = rbuf_bytes(&r);
		break;
	case OP_RESULT:
		read_result(&r, version, &m->u.result, cc);
		break;
	case OP_ERROR:
		read_error(&r, version, &m->u.error);
		break;
	}
	if (!rbuf_ok(&r)) {
		snprintf(err, errlen, "malformed %s message: %s",
		    opcode_name(h->opcode), r.err);
		msg_clear(m);
		return (-1);
	}
	return (0);

refused:
	memset(m, 0, sizeof *m);
	m->opcode = h->opcode;
	return (-1);
}

static void
cols_free(struct col_spec *cols, int32_t n)
{
	int32_t	i;

	if (cols == NULL)
		return;
	for (i = 0; i < n; i++)
		cqltype_free(cols[i].type);
	free(cols);
}

void
msg_clear(struct msg *m)
{
	msg_release(m);
	memset(m, 0, sizeof *m);
}

void
msg_release(struct msg *m)
{
	size_t	i;

	free(m->warnings.e);
	free(m->custom_payload.e);
	switch (m->opcode) {
	case OP_STARTUP:
		free(m->u.startup.options.e);
		break;
	case OP_SUPPORTED:
		for (i = 0; i < m->u.supported.options.n; i++)
			free(m->u.supported.options.e[i].values.e);
		free(m->u.supported.options.e);
		break;
	case OP_QUERY:
		free(m->u.query.params.values);
		free(m->u.query.params.names);
		break;
	case OP_EXECUTE:
		free(m->u.execute.params.values);
		free(m->u.execute.params.names);
		break;
	case OP_BATCH:
		for (i = 0; i < m->u.batch.n; i++) {
			free(m->u.batch.stmts[i].values);
			free(m->u.batch.stmts[i].names);
		}
		free(m->u.batch.stmts);
		break;
	case OP_REGISTER:
		free(m->u.reg.events.e);
		break;
	case OP_EVENT:
		free(m->u.event.schema.args.e);
		break;
	case OP_RESULT:
		switch (m->u.result.kind) {
		case RESULT_ROWS:
			if (m->u.result.rows.colset != NULL)
				colset_unref(m->u.result.rows.colset);
			else
				cols_free(m->u.result.rows.meta.cols,
				    m->u.result.rows.meta.columns_count);
			break;
		case RESULT_PREPARED:
			free(m->u.result.prepared.meta.pk_index);
			cols_free(m->u.result.prepared.meta.cols,
			    m->u.result.prepared.meta.columns_count);
			cols_free(m->u.result.prepared.result.cols,
			    m->u.result.prepared.result.columns_count);
			break;
		case RESULT_SCHEMA_CHANGE:
			free(m->u.result.schema.args.e);
			break;
		}
		break;
	case OP_ERROR:
		free(m->u.error.arg_types.e);
		break;
	}
}

/*
 * Encoding.
 */

static void
write_slice_string(struct wbuf *w, struct slice s)
{
	wbuf_string_n(w, s.p, s.n);
}

static void
write_string_list(struct wbuf *w, const struct string_list *l)
{
	size_t	i;

	if (l->n > MSG_MAX_ENTRIES) {
		w->err = "list too long";
		return;
	}
	wbuf_u16(w, (uint16_t)l->n);
	for (i = 0; i < l->n; i++)
		write_slice_string(w, l->e[i]);
}

static void
write_values(struct wbuf *w, size_t n, const struct bytesval *v,
    const struct slice *names, int use_names)
{
	size_t	i;

	if (n > MSG_MAX_ENTRIES) {
		w->err = "too many values";
		return;
	}
	wbuf_u16(w, (uint16_t)n);
	for (i = 0; i < n; i++) {
		if (use_names)
			write_slice_string(w, names[i]);
		wbuf_bytesval(w, &v[i]);
	}
}

static void
write_flags(struct wbuf *w, uint8_t version, uint32_t flags)
{
	if (version >= PROTO_V5)
		wbuf_u32(w, flags);
	else
		wbuf_u8(w, (uint8_t)flags);
}

/* The flags follow the fields: values and names only when present. */
void
query_params_write(struct wbuf *w, uint8_t version,
    const struct query_params *p)
{
	uint32_t	flags = p->flags & ~(QP_VALUES | QP_NAMES);

	if (p->nvalues > 0) {
		flags |= QP_VALUES;
		if (p->names != NULL && (p->flags & QP_NAMES))
			flags |= QP_NAMES;
	}
	if (version < PROTO_V5)
		flags &= 0xff & ~QP_KEYSPACE;
	wbuf_u16(w, p->consistency);
	write_flags(w, version, flags);
	if (flags & QP_VALUES)
		write_values(w, p->nvalues, p->values, p->names,
		    (flags & QP_NAMES) != 0);
	if (flags & QP_PAGE_SIZE)
		wbuf_i32(w, p->page_size);
	if (flags & QP_PAGING_STATE)
		wbuf_bytesval(w, &p->paging_state);
	if (flags & QP_SERIAL_CONSISTENCY)
		wbuf_u16(w, p->serial_consistency);
	if (flags & QP_DEFAULT_TIMESTAMP)
		wbuf_i64(w, p->default_timestamp);
	if (flags & QP_KEYSPACE)
		write_slice_string(w, p->keyspace);
	if (flags & QP_NOW_IN_SECONDS)
		wbuf_i32(w, p->now_in_seconds);
}

static void
write_batch(struct wbuf *w, uint8_t version, const struct msg_batch *b)
{
	const struct batch_stmt	*s;
	uint32_t		 flags = b->flags;
	size_t			 i;

	if (b->n > MSG_MAX_STATEMENTS) {
		w->err = "too many statements";
		return;
	}
	if (version < PROTO_V5)
		flags &= 0xff & ~QP_KEYSPACE;
	flags &= ~(QP_VALUES | QP_SKIP_METADATA | QP_PAGE_SIZE |
	    QP_PAGING_STATE);
	wbuf_u8(w, b->type);
	wbuf_u16(w, (uint16_t)b->n);
	for (i = 0; i < b->n; i++) {
		s = &b->stmts[i];
		wbuf_u8(w, s->kind);
		if (s->kind == BATCH_KIND_QUERY)
			wbuf_long_string_n(w, s->query.p, s->query.n);
		else
			wbuf_short_bytes(w, s->query.p, s->query.n);
		write_values(w, s->nvalues, s->values, s->names,
		    (flags & QP_NAMES) != 0 && s->names != NULL);
	}
	wbuf_u16(w, b->consistency);
	write_flags(w, version, flags);
	if (flags & QP_SERIAL_CONSISTENCY)
		wbuf_u16(w, b->serial_consistency);
	if (flags & QP_DEFAULT_TIMESTAMP)
		wbuf_i64(w, b->default_timestamp);
	if (flags & QP_KEYSPACE)
		write_slice_string(w, b->keyspace);
	if (flags & QP_NOW_IN_SECONDS)
		wbuf_i32(w, b->now_in_seconds);
}

static void
write_schema_change(struct wbuf *w, const struct schema_change *s)
{
	write_slice_string(w, s->change);
	write_slice_string(w, s->target);
	write_slice_string(w, s->keyspace);
	if (slice_eq(s->target, "KEYSPACE"))
		return;
	write_slice_string(w, s->name);
	if (slice_eq(s->target, "FUNCTION") || slice_eq(s->target, "AGGREGATE"))
		write_string_list(w, &s->args);
}

static void
write_col_specs(struct wbuf *w, uint8_t version, uint32_t flags,
    struct slice gks, struct slice gtable, const struct col_spec *cols,
    size_t ncols)
{
	size_t	i;

	if (flags & ROWS_GLOBAL_TABLES_SPEC) {
		write_slice_string(w, gks);
		write_slice_string(w, gtable);
	}
	for (i = 0; i < ncols; i++) {
		if (!(flags & ROWS_GLOBAL_TABLES_SPEC)) {
			write_slice_string(w, cols[i].keyspace);
			write_slice_string(w, cols[i].table);
		}
		write_slice_string(w, cols[i].name);
		if (cols[i].type == NULL) {
			w->err = "column without a type";
			return;
		}
		cqltype_write(w, version, cols[i].type);
	}
}

void
rows_meta_write(struct wbuf *w, uint8_t version, const struct rows_meta *m,
    size_t ncols)
{
	uint32_t	flags = m->flags;

	if (ncols > MSG_MAX_COLUMNS) {
		w->err = "too many columns";
		return;
	}
	if (m->cols == NULL && ncols > 0)
		flags |= ROWS_NO_METADATA;
	if (version < PROTO_V5)
		flags &= ~ROWS_METADATA_CHANGED;
	wbuf_u32(w, flags);
	wbuf_i32(w, (int32_t)ncols);
	if (flags & ROWS_HAS_MORE_PAGES)
		wbuf_bytesval(w, &m->paging_state);
	if (flags & ROWS_METADATA_CHANGED)
		wbuf_short_bytes(w, m->new_metadata_id.p, m->new_metadata_id.n);
	if (flags & ROWS_NO_METADATA)
		return;
	write_col_specs(w, version, flags, m->global_keyspace,
	    m->global_table, m->cols, ncols);
}

void
prepared_meta_write(struct wbuf *w, uint8_t version,
    const struct prepared_meta *m, size_t ncols)
{
	int32_t	i;

	if (ncols > MSG_MAX_COLUMNS || m->pk_count < 0 ||
	    m->pk_count > MSG_MAX_COLUMNS) {
		w->err = "too many columns";
		return;
	}
	wbuf_u32(w, m->flags & ROWS_GLOBAL_TABLES_SPEC);
	wbuf_i32(w, (int32_t)ncols);
	if (version >= PROTO_V4) {
		wbuf_i32(w, m->pk_count);
		for (i = 0; i < m->pk_count; i++)
			wbuf_u16(w, m->pk_index[i]);
	}
	write_col_specs(w, version, m->flags & ROWS_GLOBAL_TABLES_SPEC,
	    m->global_keyspace, m->global_table, m->cols, ncols);
}

static void
write_result(struct wbuf *w, uint8_t version, const struct msg_result *m)
{
	const struct result_prepared	*p = &m->prepared;

	wbuf_i32(w, m->kind);
	switch (m->kind) {
	case RESULT_VOID:
		break;
	case RESULT_ROWS:
		rows_meta_write(w, version, &m->rows.meta,
		    (size_t)m->rows.meta.columns_count);
		wbuf_i32(w, m->rows.rows_count);
		wbuf_raw(w, m->rows.rows.p, m->rows.rows.n);
		break;
	case RESULT_SET_KEYSPACE:
		write_slice_string(w, m->keyspace);
		break;
	case RESULT_PREPARED:
		wbuf_short_bytes(w, p->id.p, p->id.n);
		if (version >= PROTO_V5)
			wbuf_short_bytes(w, p->result_metadata_id.p,
			    p->result_metadata_id.n);
		prepared_meta_write(w, version, &p->meta,
		    (size_t)p->meta.columns_count);
		rows_meta_write(w, version, &p->result,
		    (size_t)p->result.columns_count);
		break;
	case RESULT_SCHEMA_CHANGE:
		write_schema_change(w, &m->schema);
		break;
	default:
		w->err = "unknown result kind";
		break;
	}
}

/* v5 reason maps carry endpoints we do not keep: write unknown ones. */
static void
write_failures(struct wbuf *w, uint8_t version, int32_t n)
{
	static const uint8_t	any[4];
	int32_t			i;

	if (version < PROTO_V5) {
		wbuf_i32(w, n);
		return;
	}
	wbuf_i32(w, n < 0 ? 0 : n);
	for (i = 0; i < n && wbuf_ok(w); i++) {
		wbuf_u8(w, 4);
		wbuf_raw(w, any, 4);
		wbuf_u16(w, 0);
	}
}

static void
write_error(struct wbuf *w, uint8_t version, const struct msg_error *e)
{
	wbuf_i32(w, e->code);
	write_slice_string(w, e->message);
	switch (e->code) {
	case ERR_UNAVAILABLE:
		wbuf_u16(w, e->consistency);
		wbuf_i32(w, e->required);
		wbuf_i32(w, e->alive);
		break;
	case ERR_WRITE_TIMEOUT:
		wbuf_u16(w, e->consistency);
		wbuf_i32(w, e->received);
		wbuf_i32(w, e->blockfor);
		write_slice_string(w, e->write_type);
		break;
	case ERR_READ_TIMEOUT:
		wbuf_u16(w, e->consistency);
		wbuf_i32(w, e->received);
		wbuf_i32(w, e->blockfor);
		wbuf_u8(w, e->data_present);
		break;
	case ERR_READ_FAILURE:
		wbuf_u16(w, e->consistency);
		wbuf_i32(w, e->received);
		wbuf_i32(w, e->blockfor);
		write_failures(w, version, e->numfailures);
		wbuf_u8(w, e->data_present);
		break;
	case ERR_WRITE_FAILURE:
		wbuf_u16(w, e->consistency);
		wbuf_i32(w, e->received);
		wbuf_i32(w, e->blockfor);
		write_failures(w, version, e->numfailures);
		write_slice_string(w, e->write_type);
		break;
	case ERR_CAS_WRITE_UNKNOWN:
		wbuf_u16(w, e->consistency);
		wbuf_i32(w, e->received);
		wbuf_i32(w, e->blockfor);
		break;
	case ERR_FUNCTION_FAILURE:
		write_slice_string(w, e->keyspace);
		write_slice_string(w, e->function);
		write_string_list(w, &e->arg_types);
		break;
	case ERR_ALREADY_EXISTS:
		write_slice_string(w, e->keyspace);
		write_slice_string(w, e->table);
		break;
	case ERR_UNPREPARED:
		wbuf_short_bytes(w, e->id.p, e->id.n);
		break;
	default:
		break;
	}
}

static void
write_event(struct wbuf *w, const struct msg_event *e)
{
	write_slice_string(w, e->type);
	if (slice_eq(e->type, "SCHEMA_CHANGE"))
		write_schema_change(w, &e->schema);
	else {
		write_slice_string(w, e->change);
		if (e->node.alen != 4 && e->node.alen != 16) {
			w->err = "event without an address";
			return;
		}
		wbuf_inet(w, e->node.addr, e->node.alen, e->node.port);
	}
}

/* Flags that the msg's own prefixes call for. */
static uint8_t
prefix_flags(int response, uint8_t flags, const struct msg *m)
{
	if (response) {
		flags &= ~(FRAME_FLAG_TRACING | FRAME_FLAG_WARNING);
		if (m->has_tracing_id)
			flags |= FRAME_FLAG_TRACING;
		if (m->warnings.n > 0)
			flags |= FRAME_FLAG_WARNING;
	} else
		flags &= ~FRAME_FLAG_WARNING;
	if (m->has_custom_payload)
		flags |= FRAME_FLAG_CUSTOM;
	else
		flags &= ~FRAME_FLAG_CUSTOM;
	return (flags & ~FRAME_FLAG_COMPRESSION);
}

int
msg_encode_body(struct wbuf *w, uint8_t version, int response,
    uint8_t *flagsp, const struct msg *m)
{
	uint8_t		flags = prefix_flags(response, *flagsp, m);
	size_t		i;

	*flagsp = flags;
	if (response && (flags & FRAME_FLAG_TRACING))
		wbuf_uuid(w, m->tracing_id);
	if (response && (flags & FRAME_FLAG_WARNING))
		write_string_list(w, &m->warnings);
	if (flags & FRAME_FLAG_CUSTOM) {
		if (m->custom_payload.n > MSG_MAX_ENTRIES) {
			w->err = "payload too large";
			return (-1);
		}
		wbuf_u16(w, (uint16_t)m->custom_payload.n);
		for (i = 0; i < m->custom_payload.n; i++) {
			write_slice_string(w, m->custom_payload.e[i].key);
			wbuf_bytesval(w, &m->custom_payload.e[i].value);
		}
	}
	switch (m->opcode) {
	case OP_STARTUP:
		if (m->u.startup.options.n > MSG_MAX_ENTRIES) {
			w->err = "too many options";
			break;
		}
		wbuf_u16(w, (uint16_t)m->u.startup.options.n);
		for (i = 0; i < m->u.startup.options.n; i++) {
			write_slice_string(w, m->u.startup.options.e[i].key);
			write_slice_string(w, m->u.startup.options.e[i].value);
		}
		break;
	case OP_READY:
	case OP_OPTIONS:
		break;
	case OP_AUTHENTICATE:
		write_slice_string(w, m->u.authenticate.authenticator);
		break;
	case OP_SUPPORTED:
		if (m->u.supported.options.n > MSG_MAX_ENTRIES) {
			w->err = "too many options";
			break;
		}
		wbuf_u16(w, (uint16_t)m->u.supported.options.n);
		for (i = 0; i < m->u.supported.options.n; i++) {
			write_slice_string(w, m->u.supported.options.e[i].key);
			write_string_list(w,
			    &m->u.supported.options.e[i].values);
		}
		break;
	case OP_QUERY:
		wbuf_long_string_n(w, m->u.query.query.p, m->u.query.query.n);
		query_params_write(w, version, &m->u.query.params);
		break;
	case OP_PREPARE:
		wbuf_long_string_n(w, m->u.prepare.query.p,
		    m->u.prepare.query.n);
		if (version >= PROTO_V5) {
			wbuf_u32(w, m->u.prepare.flags);
			if (m->u.prepare.flags & PREPARE_KEYSPACE)
				write_slice_string(w, m->u.prepare.keyspace);
		}
		break;
	case OP_EXECUTE:
		wbuf_short_bytes(w, m->u.execute.id.p, m->u.execute.id.n);
		if (version >= PROTO_V5)
			wbuf_short_bytes(w, m->u.execute.result_metadata_id.p,
			    m->u.execute.result_metadata_id.n);
		query_params_write(w, version, &m->u.execute.params);
		break;
	case OP_BATCH:
		write_batch(w, version, &m->u.batch);
		break;
	case OP_REGISTER:
		write_string_list(w, &m->u.reg.events);
		break;
	case OP_EVENT:
		write_event(w, &m->u.event);
		break;
	case OP_AUTH_CHALLENGE:
	case OP_AUTH_RESPONSE:
	case OP_AUTH_SUCCESS:
		wbuf_bytesval(w, &m->u.auth.token);
		break;
	case OP_RESULT:
		write_result(w, version, &m->u.result);
		break;
	case OP_ERROR:
		write_error(w, version, &m->u.error);
		break;
	default:
		w->err = "unknown opcode";
		break;
	}
	return (wbuf_ok(w) ? 0 : -1);
}

int
msg_encode(struct wbuf *w, uint8_t version, int response, int16_t stream,
    uint8_t flags, const struct msg *m)
{
	size_t	start;

	flags = prefix_flags(response, flags, m);
	start = frame_begin(w, version, response, flags, stream, m->opcode);
	if (msg_encode_body(w, version, response, &flags, m) != 0)
		return (-1);
	frame_end(w, start);
	return (wbuf_ok(w) ? 0 : -1);
}

int
msg_version_error_text(char *buf, size_t len, unsigned version,
    const char *supported)
{
	int	n;

	if (supported == NULL)
		supported = "3/v3, 4/v4, 5/v5-beta";
	n = snprintf(buf, len, "Invalid or unsupported protocol version (%u);"
	    " supported versions are (%s)", version, supported);
	return (n < 0 || (size_t)n >= len ? -1 : n);
}

void
msg_encode_protocol_error(struct wbuf *w, uint8_t version, uint8_t flags,
    int16_t stream, const char *message)
{
	size_t	start;

	start = frame_begin(w, version, 1, flags, stream, OP_ERROR);
	wbuf_i32(w, ERR_PROTOCOL);
	wbuf_string(w, message);
	frame_end(w, start);
}

/*
 * Rows, written cell by cell and walked cell by cell.
 */

void
rows_writer_begin(struct rows_writer *rw, struct wbuf *w, uint8_t version,
    const struct rows_meta *meta, size_t ncols)
{
	rw->w = w;
	rw->count = 0;
	wbuf_i32(w, RESULT_ROWS);
	rows_meta_write(w, version, meta, ncols);
	rw->count_off = w->len;
	wbuf_i32(w, 0);
}

void
rows_writer_row(struct rows_writer *rw)
{
	if (rw->count == INT32_MAX)
		rw->w->err = "too many rows";
	else
		rw->count++;
}

void
rows_writer_end(struct rows_writer *rw)
{
	wbuf_put_u32_at(rw->w, rw->count_off, (uint32_t)rw->count);
}

void
rows_reader_init(struct rows_reader *rr, const struct result_rows *rows)
{
	rbuf_init(&rr->r, rows->rows.p, rows->rows.n);
	rr->ncols = rows->meta.columns_count < 0 ? 0 :
	    (size_t)rows->meta.columns_count;
	rr->left = rows->rows_count;
}

int
rows_reader_next(struct rows_reader *rr, struct bytesval *cells)
{
	size_t	c;

	if (rr->left <= 0)
		return (0);
	for (c = 0; c < rr->ncols; c++) {
		cells[c] = rbuf_bytes(&rr->r);
		if (cells[c].state == BYTES_UNSET)
			rbuf_fail(&rr->r, "unset cell");
	}
	if (!rbuf_ok(&rr->r)) {
		rr->left = 0;
		return (-1);
	}
	rr->left--;
	return (1);
}
