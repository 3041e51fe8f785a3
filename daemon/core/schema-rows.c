/*
 * schema-rows.c: reading the rows of system_schema's tables into drafts
 * (a keyspace, table, column, type, ... each), and assembling a table
 * from its drafts. Columns are found by name in the rows metadata, cells
 * decoded strictly by their declared type; a row that does not fit is
 * skipped with a reason, whatever the peer sent.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "msg.h"
#include "token.h"
#include "schema.h"
#include "schema-int.h"

/* Longest text an option value may render to. */
#define OPTION_TEXT_MAX		(1U << 20)
/* Skipped rows logged one by one per load; the rest are counted. */
#define SKIPS_LOGGED		10
/* Most wanted columns of any source. */
#define WANT_MAX		8

/* A column, index or trigger row waiting for its table. */
struct draft_col {
	char			*ks;
	char			*table;
	struct column_meta	 c;	/* type parsed, not resolved */
};
struct draft_index {
	char			*ks;
	char			*table;
	struct index_meta	 ix;
};
struct draft_trigger {
	char			*ks;
	char			*table;
	struct trigger_meta	 tr;
};

/* A growable array of elements of one size. */
struct vec {
	void	*p;
	size_t	 n;
	size_t	 alloc;
};

struct schema_load {
	unsigned int	 fed;		/* SCHEMA_SRC_BIT of sources read */
	int		 sorted;
	struct vec	 ptrs[SCHEMA_NSOURCES];	/* objects of each source */
	struct vec	 cols;		/* struct draft_col */
	struct vec	 indexes;	/* struct draft_index */
	struct vec	 triggers;	/* struct draft_trigger */
	size_t		 skipped;
	char		*last_error;
};

enum want_type {
	W_TEXT,
	W_BOOL,
	W_INT,
	W_UUID,
	W_TEXT_LIST,
	W_TEXT_MAP
};
struct want {
	const char	*name;
	enum want_type	 type;
	int		 required;
};

/*
 * The columns read from each table, in the order of the W_* indexes
 * below. Of tables and views, every other column is kept as an option.
 */
enum { KS_NAME, KS_DURABLE, KS_REPLICATION };
static const struct want want_keyspaces[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "durable_writes", W_BOOL, 0 },
	{ "replication", W_TEXT_MAP, 0 },
	{ NULL, 0, 0 }
};
enum { TB_KS, TB_NAME, TB_ID };
static const struct want want_tables[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "table_name", W_TEXT, 1 },
	{ "id", W_UUID, 0 },
	{ NULL, 0, 0 }
};
enum { CO_KS, CO_TABLE, CO_NAME, CO_KIND, CO_POSITION, CO_ORDER, CO_TYPE };
static const struct want want_columns[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "table_name", W_TEXT, 1 },
	{ "column_name", W_TEXT, 1 },
	{ "kind", W_TEXT, 1 },
	{ "position", W_INT, 0 },
	{ "clustering_order", W_TEXT, 0 },
	{ "type", W_TEXT, 1 },
	{ NULL, 0, 0 }
};
enum { TY_KS, TY_NAME, TY_FNAMES, TY_FTYPES };
static const struct want want_types[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "type_name", W_TEXT, 1 },
	{ "field_names", W_TEXT_LIST, 0 },
	{ "field_types", W_TEXT_LIST, 0 },
	{ NULL, 0, 0 }
};
enum { FN_KS, FN_NAME, FN_ATYPES, FN_ANAMES, FN_BODY, FN_CALLED, FN_LANG,
    FN_RETURN };
static const struct want want_functions[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "function_name", W_TEXT, 1 },
	{ "argument_types", W_TEXT_LIST, 0 },
	{ "argument_names", W_TEXT_LIST, 0 },
	{ "body", W_TEXT, 0 },
	{ "called_on_null_input", W_BOOL, 0 },
	{ "language", W_TEXT, 0 },
	{ "return_type", W_TEXT, 0 },
	{ NULL, 0, 0 }
};
enum { AG_KS, AG_NAME, AG_ATYPES, AG_FINAL, AG_INITCOND, AG_RETURN, AG_SFUNC,
    AG_STYPE };
static const struct want want_aggregates[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "aggregate_name", W_TEXT, 1 },
	{ "argument_types", W_TEXT_LIST, 0 },
	{ "final_func", W_TEXT, 0 },
	{ "initcond", W_TEXT, 0 },
	{ "return_type", W_TEXT, 0 },
	{ "state_func", W_TEXT, 0 },
	{ "state_type", W_TEXT, 0 },
	{ NULL, 0, 0 }
};
enum { IX_KS, IX_TABLE, IX_NAME, IX_KIND, IX_OPTIONS };
static const struct want want_indexes[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "table_name", W_TEXT, 1 },
	{ "index_name", W_TEXT, 1 },
	{ "kind", W_TEXT, 0 },
	{ "options", W_TEXT_MAP, 0 },
	{ NULL, 0, 0 }
};
enum { VW_KS, VW_NAME, VW_ID, VW_BASE_ID, VW_BASE, VW_ALL, VW_WHERE };
static const struct want want_views[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "view_name", W_TEXT, 1 },
	{ "id", W_UUID, 0 },
	{ "base_table_id", W_UUID, 0 },
	{ "base_table_name", W_TEXT, 0 },
	{ "include_all_columns", W_BOOL, 0 },
	{ "where_clause", W_TEXT, 0 },
	{ NULL, 0, 0 }
};
enum { TR_KS, TR_TABLE, TR_NAME, TR_OPTIONS };
static const struct want want_triggers[] = {
	{ "keyspace_name", W_TEXT, 1 },
	{ "table_name", W_TEXT, 1 },
	{ "trigger_name", W_TEXT, 1 },
	{ "options", W_TEXT_MAP, 0 },
	{ NULL, 0, 0 }
};

static const struct want *const wants[SCHEMA_NSOURCES] = {
	want_keyspaces, want_tables, want_columns, want_types, want_functions,
	want_aggregates, want_indexes, want_views, want_triggers
};

static const char *const source_names[SCHEMA_NSOURCES] = {
	"keyspaces", "tables", "columns", "types", "functions", "aggregates",
	"indexes", "views", "triggers"
};

/* One result being read. */
struct reader {
	struct schema_load		*l;
	enum schema_source		 src;
	const struct want		*want;
	const struct result_rows	*rows;
	size_t				 ncols;
	int				 idx[WANT_MAX];
	int				*option;	/* per column */
	struct bytesval			*cells;
	struct cqlval			*v[WANT_MAX];
	int32_t				 rowno;
	char				 err[160];
};

/*
 * Growable arrays.
 */

static void *
vec_push(struct vec *v, size_t size)
{
	void	*e;

	if (v->n == v->alloc) {
		v->alloc = v->alloc == 0 ? 16 : v->alloc * 2;
		v->p = xreallocarray(v->p, v->alloc, size);
	}
	e = (char *)v->p + v->n * size;
	memset(e, 0, size);
	v->n++;
	return (e);
}

static void
vec_push_ptr(struct vec *v, void *p)
{
	*(void **)vec_push(v, sizeof p) = p;
}

/*
 * The load.
 */

struct schema_load *
schema_load_new(void)
{
	return (xcalloc(1, sizeof (struct schema_load)));
}

static void
draft_free(enum schema_source src, void *p)
{
	switch (src) {
	case SCHEMA_SRC_KEYSPACES:
		schema_ks_unref(p);
		break;
	case SCHEMA_SRC_TABLES:
	case SCHEMA_SRC_VIEWS:
		schema_table_unref(p);
		break;
	case SCHEMA_SRC_TYPES:
		schema_type_unref(p);
		break;
	case SCHEMA_SRC_FUNCTIONS:
		schema_function_unref(p);
		break;
	case SCHEMA_SRC_AGGREGATES:
		schema_aggregate_unref(p);
		break;
	default:
		break;
	}
}

static void
index_clear(struct index_meta *ix)
{
	free(ix->name);
	free(ix->kind);
	schema_options_clear(&ix->options);
}

static void
trigger_clear(struct trigger_meta *tr)
{
	free(tr->name);
	schema_options_clear(&tr->options);
}

void
schema_load_free(struct schema_load *l)
{
	struct draft_col	*dc;
	struct draft_index	*di;
	struct draft_trigger	*dt;
	size_t			 s, i;

	if (l == NULL)
		return;
	for (s = 0; s < SCHEMA_NSOURCES; s++) {
		for (i = 0; i < l->ptrs[s].n; i++)
			draft_free(s, ((void **)l->ptrs[s].p)[i]);
		free(l->ptrs[s].p);
	}
	for (i = 0; i < l->cols.n; i++) {
		dc = (struct draft_col *)l->cols.p + i;
		free(dc->ks);
		free(dc->table);
		schema_column_clear(&dc->c);
	}
	free(l->cols.p);
	for (i = 0; i < l->indexes.n; i++) {
		di = (struct draft_index *)l->indexes.p + i;
		free(di->ks);
		free(di->table);
		index_clear(&di->ix);
	}
	free(l->indexes.p);
	for (i = 0; i < l->triggers.n; i++) {
		dt = (struct draft_trigger *)l->triggers.p + i;
		free(dt->ks);
		free(dt->table);
		trigger_clear(&dt->tr);
	}
	free(l->triggers.p);
	free(l->last_error);
	free(l);
}

size_t
schema_load_skipped(const struct schema_load *l)
{
	return (l->skipped);
}

const char *
schema_load_last_error(const struct schema_load *l)
{
	return (l->last_error);
}

unsigned int
schema_load_fed(const struct schema_load *l)
{
	return (l->fed);
}

int
schema_load_has(const struct schema_load *l, unsigned int src)
{
	return (src < SCHEMA_NSOURCES && (l->fed & SCHEMA_SRC_BIT(src)) != 0);
}

static void printflike(3, 4)
load_error(struct schema_load *l, int quiet, const char *fmt, ...)
{
	va_list	ap;

	free(l->last_error);
	va_start(ap, fmt);
	xvasprintf(&l->last_error, fmt, ap);
	va_end(ap);
	if (!quiet)
		log_warnx("schema: %s", l->last_error);
}

/*
 * A row not taken: counted and the reason kept; only the first few are
 * logged so that a peer sending junk cannot flood the log.
 */
static void
reader_skip(struct reader *rd)
{
	struct schema_load	*l = rd->l;

	l->skipped++;
	load_error(l, l->skipped > SKIPS_LOGGED,
	    "system_schema.%s row %d skipped: %s", source_names[rd->src],
	    (int)rd->rowno, rd->err);
	if (l->skipped == SKIPS_LOGGED + 1)
		log_warnx("schema: more rows skipped; counting only");
}

static int printflike(2, 3)
reader_fail(struct reader *rd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(rd->err, sizeof rd->err, fmt, ap);
	va_end(ap);
	return (-1);
}

/*
 * Names and order of drafts.
 */

static void
draft_keys(enum schema_source src, const void *p, const char **ks,
    const char **name, const char **sig)
{
	*sig = "";
	switch (src) {
	case SCHEMA_SRC_KEYSPACES:
		*ks = ((const struct ks_meta *)p)->name;
		*name = "";
		break;
	case SCHEMA_SRC_TABLES:
	case SCHEMA_SRC_VIEWS:
		*ks = ((const struct table_meta *)p)->keyspace;
		*name = ((const struct table_meta *)p)->name;
		break;
	case SCHEMA_SRC_TYPES:
		*ks = ((const struct type_meta *)p)->keyspace;
		*name = ((const struct type_meta *)p)->name;
		break;
	case SCHEMA_SRC_FUNCTIONS:
		*ks = ((const struct function_meta *)p)->keyspace;
		*name = ((const struct function_meta *)p)->name;
		*sig = ((const struct function_meta *)p)->signature;
		break;
	case SCHEMA_SRC_AGGREGATES:
		*ks = ((const struct aggregate_meta *)p)->keyspace;
		*name = ((const struct aggregate_meta *)p)->name;
		*sig = ((const struct aggregate_meta *)p)->signature;
		break;
	case SCHEMA_SRC_COLUMNS:
		*ks = ((const struct draft_col *)p)->ks;
		*name = ((const struct draft_col *)p)->table;
		*sig = ((const struct draft_col *)p)->c.name;
		break;
	case SCHEMA_SRC_INDEXES:
		*ks = ((const struct draft_index *)p)->ks;
		*name = ((const struct draft_index *)p)->table;
		*sig = ((const struct draft_index *)p)->ix.name;
		break;
	case SCHEMA_SRC_TRIGGERS:
		*ks = ((const struct draft_trigger *)p)->ks;
		*name = ((const struct draft_trigger *)p)->table;
		*sig = ((const struct draft_trigger *)p)->tr.name;
		break;
	}
}

/* Pointer drafts hold pointers; columns, indexes, triggers structs. */
static int
src_is_ptrs(enum schema_source src)
{
	return (src != SCHEMA_SRC_COLUMNS && src != SCHEMA_SRC_INDEXES &&
	    src != SCHEMA_SRC_TRIGGERS);
}

static struct vec *
src_vec(struct schema_load *l, enum schema_source src, size_t *size)
{
	switch (src) {
	case SCHEMA_SRC_COLUMNS:
		*size = sizeof (struct draft_col);
		return (&l->cols);
	case SCHEMA_SRC_INDEXES:
		*size = sizeof (struct draft_index);
		return (&l->indexes);
	case SCHEMA_SRC_TRIGGERS:
		*size = sizeof (struct draft_trigger);
		return (&l->triggers);
	default:
		*size = sizeof (void *);
		return (&l->ptrs[src]);
	}
}

static const void *
src_elem(struct schema_load *l, enum schema_source src, size_t i)
{
	size_t		 size;
	struct vec	*v = src_vec(l, src, &size);

	if (src_is_ptrs(src))
		return (((void **)v->p)[i]);
	return ((char *)v->p + i * size);
}

/* Order two drafts of src by keyspace, name, then signature. */
static int
draft_order(enum schema_source src, const void *a, const void *b)
{
	const char	*ka, *na, *sa, *kb, *nb, *sb;
	int		 c;

	draft_keys(src, a, &ka, &na, &sa);
	draft_keys(src, b, &kb, &nb, &sb);
	if ((c = strcmp(ka, kb)) != 0)
		return (c);
	if ((c = strcmp(na, nb)) != 0)
		return (c);
	return (strcmp(sa, sb));
}

/* One qsort comparator per source (qsort passes no context). */
#define DRAFT_CMP_PTR(fn, src)						\
static int								\
fn(const void *a, const void *b)					\
{									\
	return (draft_order(src, *(void *const *)a, *(void *const *)b));	\
}
#define DRAFT_CMP(fn, src)						\
static int								\
fn(const void *a, const void *b)					\
{									\
	return (draft_order(src, a, b));				\
}
DRAFT_CMP_PTR(cmp_keyspaces, SCHEMA_SRC_KEYSPACES)
DRAFT_CMP_PTR(cmp_tables, SCHEMA_SRC_TABLES)
DRAFT_CMP(cmp_columns, SCHEMA_SRC_COLUMNS)
DRAFT_CMP_PTR(cmp_types, SCHEMA_SRC_TYPES)
DRAFT_CMP_PTR(cmp_functions, SCHEMA_SRC_FUNCTIONS)
DRAFT_CMP_PTR(cmp_aggregates, SCHEMA_SRC_AGGREGATES)
DRAFT_CMP(cmp_indexes, SCHEMA_SRC_INDEXES)
DRAFT_CMP_PTR(cmp_views, SCHEMA_SRC_VIEWS)
DRAFT_CMP(cmp_triggers, SCHEMA_SRC_TRIGGERS)
#undef DRAFT_CMP_PTR
#undef DRAFT_CMP

static int (*const draft_cmps[SCHEMA_NSOURCES])(const void *, const void *) = {
	cmp_keyspaces, cmp_tables, cmp_columns, cmp_types, cmp_functions,
	cmp_aggregates, cmp_indexes, cmp_views, cmp_triggers
};

void
schema_load_sort(struct schema_load *l)
{
	struct vec	*v;
	size_t		 size;
	unsigned int	 s;

	if (l->sorted)
		return;
	for (s = 0; s < SCHEMA_NSOURCES; s++) {
		v = src_vec(l, s, &size);
		if (v->n > 1)
			qsort(v->p, v->n, size, draft_cmps[s]);
	}
	l->sorted = 1;
}

/* First draft whose (keyspace, name) is not below the key. */
static size_t
range_bound(struct schema_load *l, enum schema_source src, const char *ks,
    const char *name, int upper)
{
	const char	*k, *n, *sig;
	size_t		 size, lo = 0, hi, mid;
	int		 c;

	hi = src_vec(l, src, &size)->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		draft_keys(src, src_elem(l, src, mid), &k, &n, &sig);
		c = strcmp(k, ks);
		if (c == 0 && name != NULL)
			c = strcmp(n, name);
		if (c < 0 || (upper && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

void
schema_load_range(struct schema_load *l, unsigned int src, const char *ks,
    const char *name, size_t *lo, size_t *hi)
{
	size_t	size;

	schema_load_sort(l);
	if (ks == NULL) {
		*lo = 0;
		*hi = src_vec(l, src, &size)->n;
		return;
	}
	*lo = range_bound(l, src, ks, name, 0);
	*hi = range_bound(l, src, ks, name, 1);
}

void *
schema_load_get(struct schema_load *l, unsigned int src, size_t i)
{
	return ((void *)(uintptr_t)src_elem(l, src, i));
}

void *
schema_load_take(struct schema_load *l, unsigned int src, size_t i)
{
	void	*p = schema_load_get(l, src, i);

	/* every pointer draft starts with its reference count */
	schema_obj_ref((unsigned int *)p);
	return (p);
}

/*
 * Option values as text.
 */

static void
text_quoted(struct wbuf *w, const uint8_t *p, size_t n)
{
	size_t	i;

	wbuf_u8(w, '\'');
	for (i = 0; i < n; i++) {
		if (p[i] == '\'')
			wbuf_u8(w, '\'');
		wbuf_u8(w, p[i]);
	}
	wbuf_u8(w, '\'');
}

static void
text_str(struct wbuf *w, const char *s, int quote)
{
	if (quote)
		text_quoted(w, (const uint8_t *)s, strlen(s));
	else
		wbuf_raw(w, s, strlen(s));
}

/* CQL-literal-like text of a value (strings bare at the top level). */
static void
value_text(struct wbuf *w, const struct cqltype *t, const struct cqlval *v,
    int nested)
{
	char	 buf[128];
	char	*s;
	size_t	 i;

	if (v->is_null) {
		text_str(w, "null", 0);
		return;
	}
	if (v->is_empty)
		return;
	switch (v->kind) {
	case CQLTYPE_ASCII:
	case CQLTYPE_TEXT:
		if (nested)
			text_quoted(w, v->u.bytes.p, v->u.bytes.n);
		else
			wbuf_raw(w, v->u.bytes.p, v->u.bytes.n);
		break;
	case CQLTYPE_BOOLEAN:
		text_str(w, v->u.b ? "true" : "false", 0);
		break;
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
		text_str(w, buf, 0);
		break;
	case CQLTYPE_TIMESTAMP:
		if (cqlval_timestamp_format(v->u.i, buf, sizeof buf) >= 0)
			text_str(w, buf, nested);
		break;
	case CQLTYPE_DATE:
		if (cqlval_date_format((uint32_t)v->u.i, buf, sizeof buf) >= 0)
			text_str(w, buf, nested);
		break;
	case CQLTYPE_TIME:
		if (cqlval_time_format(v->u.i, buf, sizeof buf) >= 0)
			text_str(w, buf, nested);
		break;
	case CQLTYPE_DOUBLE:
		if (cqlval_double_format(v->u.d, buf, sizeof buf) >= 0)
			text_str(w, buf, 0);
		break;
	case CQLTYPE_FLOAT:
		if (cqlval_float_format(v->u.f, buf, sizeof buf) >= 0)
			text_str(w, buf, 0);
		break;
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		cqlval_uuid_format(v->u.uuid, buf);
		text_str(w, buf, 0);
		break;
	case CQLTYPE_INET:
		if (cqlval_inet_format(v->u.inet.a, v->u.inet.n, buf,
		    sizeof buf) >= 0)
			text_str(w, buf, nested);
		break;
	case CQLTYPE_DURATION:
		if (cqlval_duration_format(v->u.duration.months,
		    v->u.duration.days, v->u.duration.ns, buf, sizeof buf) >= 0)
			text_str(w, buf, 0);
		break;
	case CQLTYPE_VARINT:
		if ((s = cqlval_varint_to_string(v->u.bytes.p,
		    v->u.bytes.n)) != NULL) {
			text_str(w, s, 0);
			free(s);
		}
		break;
	case CQLTYPE_DECIMAL:
		if ((s = cqlval_decimal_to_string(v->u.decimal.scale,
		    v->u.decimal.p, v->u.decimal.n)) != NULL) {
			text_str(w, s, 0);
			free(s);
		}
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
	case CQLTYPE_VECTOR:
		if (v->kind == CQLTYPE_LIST || v->kind == CQLTYPE_VECTOR)
			wbuf_u8(w, '[');
		else if (v->kind == CQLTYPE_TUPLE)
			wbuf_u8(w, '(');
		else
			wbuf_u8(w, '{');
		for (i = 0; i < v->u.coll.n; i++) {
			if (i > 0)
				text_str(w, ", ", 0);
			if (v->kind == CQLTYPE_MAP) {
				value_text(w, t->sub[0], v->u.coll.items[2 * i],
				    1);
				text_str(w, ": ", 0);
				value_text(w, t->sub[1],
				    v->u.coll.items[2 * i + 1], 1);
			} else if (v->kind == CQLTYPE_UDT) {
				text_str(w, i < t->n && t->fields != NULL ?
				    t->fields[i] : "", 0);
				text_str(w, ": ", 0);
				value_text(w, i < t->n ? t->sub[i] : t,
				    v->u.coll.items[i], 1);
			} else {
				value_text(w, v->kind == CQLTYPE_TUPLE ?
				    (i < t->n ? t->sub[i] : t) : t->sub[0],
				    v->u.coll.items[i], 1);
			}
		}
		if (v->kind == CQLTYPE_LIST || v->kind == CQLTYPE_VECTOR)
			wbuf_u8(w, ']');
		else if (v->kind == CQLTYPE_TUPLE)
			wbuf_u8(w, ')');
		else
			wbuf_u8(w, '}');
		break;
	default:
		/* blob, custom and anything new: the bytes in hex */
		if ((s = cqlval_blob_format(v->u.bytes.p,
		    v->u.bytes.n)) != NULL) {
			text_str(w, s, 0);
			free(s);
		}
		break;
	}
}

static int
option_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct schema_option *)a)->name,
	    ((const struct schema_option *)b)->name));
}

static void
options_add(struct schema_options *o, char *name, char *value)
{
	o->e = xreallocarray(o->e, o->n + 1, sizeof *o->e);
	o->e[o->n].name = name;
	o->e[o->n].value = value;
	o->n++;
}

/* Sort by name, and keep the first of names given twice. */
static void
options_finish(struct schema_options *o)
{
	size_t	i, k;

	if (o->n > 1)
		qsort(o->e, o->n, sizeof *o->e, option_cmp);
	for (i = k = 0; i < o->n; i++) {
		if (k > 0 && strcmp(o->e[k - 1].name, o->e[i].name) == 0) {
			free(o->e[i].name);
			free(o->e[i].value);
		} else
			o->e[k++] = o->e[i];
	}
	o->n = k;
}

/*
 * Cells.
 */

/* A column's declared type suits what we want of it. */
static int
want_fits(enum want_type wt, const struct cqltype *t)
{
	int	txt0, txt1;

	if (t == NULL)
		return (0);
	txt0 = t->n > 0 && (t->sub[0]->kind == CQLTYPE_TEXT ||
	    t->sub[0]->kind == CQLTYPE_ASCII);
	txt1 = t->n > 1 && (t->sub[1]->kind == CQLTYPE_TEXT ||
	    t->sub[1]->kind == CQLTYPE_ASCII);
	switch (wt) {
	case W_TEXT:
		return (t->kind == CQLTYPE_TEXT || t->kind == CQLTYPE_ASCII);
	case W_BOOL:
		return (t->kind == CQLTYPE_BOOLEAN);
	case W_INT:
		return (t->kind == CQLTYPE_INT);
	case W_UUID:
		return (t->kind == CQLTYPE_UUID || t->kind == CQLTYPE_TIMEUUID);
	case W_TEXT_LIST:
		return ((t->kind == CQLTYPE_LIST || t->kind == CQLTYPE_SET) &&
		    txt0);
	case W_TEXT_MAP:
		return (t->kind == CQLTYPE_MAP && txt0 && txt1);
	}
	return (0);
}

/* Text of a decoded text value (NULL for null); -1 if it holds a NUL. */
static int
val_str(const struct cqlval *v, char **out)
{
	*out = NULL;
	if (v == NULL || v->is_null)
		return (0);
	if (memchr(v->u.bytes.p, '\0', v->u.bytes.n) != NULL)
		return (-1);
	*out = xstrndup((const char *)v->u.bytes.p, v->u.bytes.n);
	return (0);
}

/* Wanted text cell i: -1 (reason set) if malformed or required and null. */
static int
rd_text(struct reader *rd, int i, char **out)
{
	if (val_str(rd->v[i], out) != 0)
		return (reader_fail(rd, "%s holds a NUL", rd->want[i].name));
	if (*out == NULL && rd->want[i].required)
		return (reader_fail(rd, "%s is null", rd->want[i].name));
	return (0);
}

static int
rd_bool(struct reader *rd, int i, int dflt)
{
	const struct cqlval	*v = rd->v[i];

	return (v == NULL || v->is_null || v->is_empty ? dflt : v->u.b);
}

/* A text list: *n strings (none for null). */
static int
rd_list(struct reader *rd, int i, char ***out, size_t *n, size_t max)
{
	const struct cqlval	*v = rd->v[i];
	size_t			 j;

	*out = NULL;
	*n = 0;
	if (v == NULL || v->is_null)
		return (0);
	if (v->u.coll.n > max)
		return (reader_fail(rd, "%s has %zu entries",
		    rd->want[i].name, v->u.coll.n));
	*out = xcalloc(v->u.coll.n + 1, sizeof **out);
	for (j = 0; j < v->u.coll.n; j++) {
		if (val_str(v->u.coll.items[j], &(*out)[j]) != 0 ||
		    (*out)[j] == NULL) {
			schema_strv_free(*out, j + 1);
			*out = NULL;
			return (reader_fail(rd, "%s has a bad entry",
			    rd->want[i].name));
		}
	}
	*n = v->u.coll.n;
	return (0);
}

/* A text map as options (an empty set for null). */
static int
rd_map(struct reader *rd, int i, struct schema_options *o)
{
	const struct cqlval	*v = rd->v[i];
	char			*k, *val;
	size_t			 j;

	memset(o, 0, sizeof *o);
	if (v == NULL || v->is_null)
		return (0);
	if (v->u.coll.n > SCHEMA_MAX_ENTRIES)
		return (reader_fail(rd, "%s has %zu entries",
		    rd->want[i].name, v->u.coll.n));
	for (j = 0; j < v->u.coll.n; j++) {
		if (val_str(v->u.coll.items[2 * j], &k) != 0 || k == NULL) {
			schema_options_clear(o);
			return (reader_fail(rd, "%s has a bad key",
			    rd->want[i].name));
		}
		if (val_str(v->u.coll.items[2 * j + 1], &val) != 0) {
			free(k);
			schema_options_clear(o);
			return (reader_fail(rd, "%s has a bad value",
			    rd->want[i].name));
		}
		options_add(o, k, val);
	}
	options_finish(o);
	return (0);
}

static void
rd_uuid(struct reader *rd, int i, uint8_t out[16], int *has)
{
	const struct cqlval	*v = rd->v[i];

	*has = v != NULL && !v->is_null && !v->is_empty;
	if (*has)
		memcpy(out, v->u.uuid, 16);
}

/* Every other column of a tables/views row, rendered. */
static int
rd_options(struct reader *rd, struct schema_options *o)
{
	const struct col_spec	*cs;
	const struct bytesval	*cell;
	struct cqlval		*v;
	struct wbuf		 w;
	size_t			 c, len;
	char			 err[128];

	memset(o, 0, sizeof *o);
	for (c = 0; c < rd->ncols; c++) {
		if (!rd->option[c])
			continue;
		cs = &rd->rows->meta.cols[c];
		cell = &rd->cells[c];
		if (cell->state != BYTES_VALUE) {
			options_add(o, slice_dup(cs->name), NULL);
			continue;
		}
		if (cqlval_decode(cs->type, cell->v.p, cell->v.n, &v, err,
		    sizeof err) != 0) {
			schema_options_clear(o);
			return (reader_fail(rd, "%.*s: %s",
			    (int)(cs->name.n > 64 ? 64 : cs->name.n),
			    (const char *)cs->name.p, err));
		}
		wbuf_init(&w, OPTION_TEXT_MAX);
		value_text(&w, cs->type, v, 0);
		cqlval_free(v);
		wbuf_u8(&w, '\0');
		if (!wbuf_ok(&w)) {
			wbuf_free(&w);
			schema_options_clear(o);
			return (reader_fail(rd, "option too long"));
		}
		options_add(o, slice_dup(cs->name),
		    (char *)wbuf_steal(&w, &len));
	}
	options_finish(o);
	return (0);
}

/*
 * Rows of each source into drafts.
 */

static int
row_keyspace(struct reader *rd)
{
	struct ks_meta	*k = xcalloc(1, sizeof *k);
	const char	**keys, **vals, *cause;
	size_t		  i;

	k->references = 1;
	if (rd_text(rd, KS_NAME, &k->name) != 0 ||
	    rd_map(rd, KS_REPLICATION, &k->replication) != 0) {
		schema_ks_unref(k);
		return (-1);
	}
	k->durable_writes = rd_bool(rd, KS_DURABLE, 1);
	keys = xcalloc(k->replication.n + 1, sizeof *keys);
	vals = xcalloc(k->replication.n + 1, sizeof *vals);
	for (i = 0; i < k->replication.n; i++) {
		keys[i] = k->replication.e[i].name;
		vals[i] = k->replication.e[i].value;
	}
	k->repl = token_repl_parse(keys, vals, k->replication.n, &cause);
	if (k->repl == NULL && k->replication.n > 0)
		log_warnx("schema: keyspace %s: replication: %s", k->name,
		    cause);
	free(keys);
	free(vals);
	vec_push_ptr(&rd->l->ptrs[SCHEMA_SRC_KEYSPACES], k);
	return (0);
}

static int
row_table(struct reader *rd)
{
	struct table_meta	*t = xcalloc(1, sizeof *t);
	int			 view = rd->src == SCHEMA_SRC_VIEWS;

	t->references = 1;
	t->is_view = view;
	if (rd_text(rd, view ? VW_KS : TB_KS, &t->keyspace) != 0 ||
	    rd_text(rd, view ? VW_NAME : TB_NAME, &t->name) != 0)
		goto fail;
	rd_uuid(rd, view ? VW_ID : TB_ID, t->id, &t->has_id);
	if (view) {
		if (rd_text(rd, VW_BASE, &t->base_table) != 0 ||
		    rd_text(rd, VW_WHERE, &t->where_clause) != 0)
			goto fail;
		rd_uuid(rd, VW_BASE_ID, t->base_table_id,
		    &t->has_base_table_id);
		t->include_all_columns = rd_bool(rd, VW_ALL, 0);
	}
	if (rd_options(rd, &t->options) != 0)
		goto fail;
	vec_push_ptr(&rd->l->ptrs[rd->src], t);
	return (0);
fail:
	schema_table_unref(t);
	return (-1);
}

static const struct {
	const char		*name;
	enum column_kind	 kind;
} column_kinds[] = {
	{ "partition_key", COLUMN_PARTITION_KEY },
	{ "clustering", COLUMN_CLUSTERING },
	{ "clustering_key", COLUMN_CLUSTERING },
	{ "static", COLUMN_STATIC },
	{ "regular", COLUMN_REGULAR },
	{ "compact_value", COLUMN_REGULAR }
};

static int
row_column(struct reader *rd)
{
	struct draft_col	 dc;
	char			*kind = NULL, *order = NULL, *err = NULL;
	size_t			 i;

	memset(&dc, 0, sizeof dc);
	if (rd_text(rd, CO_KS, &dc.ks) != 0 ||
	    rd_text(rd, CO_TABLE, &dc.table) != 0 ||
	    rd_text(rd, CO_NAME, &dc.c.name) != 0 ||
	    rd_text(rd, CO_KIND, &kind) != 0 ||
	    rd_text(rd, CO_ORDER, &order) != 0 ||
	    rd_text(rd, CO_TYPE, &dc.c.type_text) != 0)
		goto fail;
	for (i = 0; i < nitems(column_kinds); i++) {
		if (strcasecmp(kind, column_kinds[i].name) == 0)
			break;
	}
	if (i == nitems(column_kinds)) {
		reader_fail(rd, "unknown column kind");
		goto fail;
	}
	dc.c.kind = column_kinds[i].kind;
	dc.c.position = -1;
	if (dc.c.kind == COLUMN_PARTITION_KEY ||
	    dc.c.kind == COLUMN_CLUSTERING) {
		if (rd->v[CO_POSITION] == NULL ||
		    rd->v[CO_POSITION]->is_null ||
		    rd->v[CO_POSITION]->u.i < 0 ||
		    rd->v[CO_POSITION]->u.i >= SCHEMA_MAX_COLUMNS) {
			reader_fail(rd, "key column without a valid position");
			goto fail;
		}
		dc.c.position = (int)rd->v[CO_POSITION]->u.i;
	}
	if (order == NULL || strcasecmp(order, "none") == 0)
		dc.c.order = ORDER_NONE;
	else if (strcasecmp(order, "asc") == 0)
		dc.c.order = ORDER_ASC;
	else if (strcasecmp(order, "desc") == 0)
		dc.c.order = ORDER_DESC;
	else {
		reader_fail(rd, "unknown clustering order");
		goto fail;
	}
	if ((dc.c.type = cqltype_parse(dc.c.type_text, &err)) == NULL) {
		reader_fail(rd, "type: %s", err);
		free(err);
		goto fail;
	}
	*(struct draft_col *)vec_push(&rd->l->cols, sizeof dc) = dc;
	free(kind);
	free(order);
	return (0);
fail:
	free(dc.ks);
	free(dc.table);
	schema_column_clear(&dc.c);
	free(kind);
	free(order);
	return (-1);
}

static int
row_type(struct reader *rd)
{
	struct type_meta	*t = xcalloc(1, sizeof *t);
	struct cqltype		*parsed;
	char			**types = NULL;
	size_t			  ntypes = 0, i;

	t->references = 1;
	if (rd_text(rd, TY_KS, &t->keyspace) != 0 ||
	    rd_text(rd, TY_NAME, &t->name) != 0 ||
	    rd_list(rd, TY_FNAMES, &t->field_names, &t->nfields,
	    CQLTYPE_MAX_FIELDS) != 0 ||
	    rd_list(rd, TY_FTYPES, &types, &ntypes, CQLTYPE_MAX_FIELDS) != 0)
		goto fail;
	if (ntypes != t->nfields) {
		reader_fail(rd, "%zu field names but %zu types", t->nfields,
		    ntypes);
		goto fail;
	}
	t->field_types = types;
	types = NULL;
	for (i = 0; i < t->nfields; i++) {
		if ((parsed = cqltype_parse(t->field_types[i], NULL)) == NULL) {
			reader_fail(rd, "field %zu: bad type", i);
			goto fail;
		}
		cqltype_free(parsed);
	}
	vec_push_ptr(&rd->l->ptrs[SCHEMA_SRC_TYPES], t);
	return (0);
fail:
	schema_strv_free(types, ntypes);
	schema_type_unref(t);
	return (-1);
}

/* "name(t1,t2)": how overloads are told apart. */
static char *
signature(const char *name, char **types, size_t n)
{
	struct wbuf	 w;
	size_t		 i;
	char		*s;

	wbuf_init(&w, 0);
	text_str(&w, name, 0);
	wbuf_u8(&w, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			wbuf_u8(&w, ',');
		text_str(&w, types[i], 0);
	}
	wbuf_u8(&w, ')');
	wbuf_u8(&w, '\0');
	s = (char *)wbuf_steal(&w, &i);
	return (s);
}

static int
row_function(struct reader *rd)
{
	struct function_meta	*f = xcalloc(1, sizeof *f);
	char			**names = NULL;
	size_t			  nnames = 0;

	f->references = 1;
	if (rd_text(rd, FN_KS, &f->keyspace) != 0 ||
	    rd_text(rd, FN_NAME, &f->name) != 0 ||
	    rd_list(rd, FN_ATYPES, &f->arg_types, &f->nargs,
	    SCHEMA_MAX_ARGS) != 0 ||
	    rd_list(rd, FN_ANAMES, &names, &nnames, SCHEMA_MAX_ARGS) != 0 ||
	    rd_text(rd, FN_BODY, &f->body) != 0 ||
	    rd_text(rd, FN_LANG, &f->language) != 0 ||
	    rd_text(rd, FN_RETURN, &f->return_type) != 0)
		goto fail;
	if (names != NULL && nnames != f->nargs) {
		reader_fail(rd, "%zu argument names but %zu types", nnames,
		    f->nargs);
		goto fail;
	}
	f->arg_names = names;
	names = NULL;
	if (f->arg_types == NULL)
		f->arg_types = xcalloc(1, sizeof *f->arg_types);
	f->called_on_null_input = rd_bool(rd, FN_CALLED, 0);
	f->signature = signature(f->name, f->arg_types, f->nargs);
	vec_push_ptr(&rd->l->ptrs[SCHEMA_SRC_FUNCTIONS], f);
	return (0);
fail:
	schema_strv_free(names, nnames);
	schema_function_unref(f);
	return (-1);
}

static int
row_aggregate(struct reader *rd)
{
	struct aggregate_meta	*a = xcalloc(1, sizeof *a);

	a->references = 1;
	if (rd_text(rd, AG_KS, &a->keyspace) != 0 ||
	    rd_text(rd, AG_NAME, &a->name) != 0 ||
	    rd_list(rd, AG_ATYPES, &a->arg_types, &a->nargs,
	    SCHEMA_MAX_ARGS) != 0 ||
	    rd_text(rd, AG_FINAL, &a->final_func) != 0 ||
	    rd_text(rd, AG_INITCOND, &a->initcond) != 0 ||
	    rd_text(rd, AG_RETURN, &a->return_type) != 0 ||
	    rd_text(rd, AG_SFUNC, &a->state_func) != 0 ||
	    rd_text(rd, AG_STYPE, &a->state_type) != 0) {
		schema_aggregate_unref(a);
		return (-1);
	}
	if (a->arg_types == NULL)
		a->arg_types = xcalloc(1, sizeof *a->arg_types);
	a->signature = signature(a->name, a->arg_types, a->nargs);
	vec_push_ptr(&rd->l->ptrs[SCHEMA_SRC_AGGREGATES], a);
	return (0);
}

static int
row_index(struct reader *rd)
{
	struct draft_index	di;

	memset(&di, 0, sizeof di);
	if (rd_text(rd, IX_KS, &di.ks) != 0 ||
	    rd_text(rd, IX_TABLE, &di.table) != 0 ||
	    rd_text(rd, IX_NAME, &di.ix.name) != 0 ||
	    rd_text(rd, IX_KIND, &di.ix.kind) != 0 ||
	    rd_map(rd, IX_OPTIONS, &di.ix.options) != 0) {
		free(di.ks);
		free(di.table);
		index_clear(&di.ix);
		return (-1);
	}
	*(struct draft_index *)vec_push(&rd->l->indexes, sizeof di) = di;
	return (0);
}

static int
row_trigger(struct reader *rd)
{
	struct draft_trigger	dt;

	memset(&dt, 0, sizeof dt);
	if (rd_text(rd, TR_KS, &dt.ks) != 0 ||
	    rd_text(rd, TR_TABLE, &dt.table) != 0 ||
	    rd_text(rd, TR_NAME, &dt.tr.name) != 0 ||
	    rd_map(rd, TR_OPTIONS, &dt.tr.options) != 0) {
		free(dt.ks);
		free(dt.table);
		trigger_clear(&dt.tr);
		return (-1);
	}
	*(struct draft_trigger *)vec_push(&rd->l->triggers, sizeof dt) = dt;
	return (0);
}

static int (*const row_fns[SCHEMA_NSOURCES])(struct reader *) = {
	row_keyspace, row_table, row_column, row_type, row_function,
	row_aggregate, row_index, row_table, row_trigger
};

/* Decode this row's wanted cells; -1 (reason set) if one is malformed. */
static int
reader_decode(struct reader *rd)
{
	const struct col_spec	*cs;
	const struct bytesval	*cell;
	char			 err[128];
	int			 i;

	for (i = 0; rd->want[i].name != NULL; i++) {
		cqlval_free(rd->v[i]);
		rd->v[i] = NULL;
	}
	for (i = 0; rd->want[i].name != NULL; i++) {
		if (rd->idx[i] < 0)
			continue;
		cs = &rd->rows->meta.cols[rd->idx[i]];
		cell = &rd->cells[rd->idx[i]];
		if (cell->state != BYTES_VALUE)
			continue;
		if (cqlval_decode(cs->type, cell->v.p, cell->v.n, &rd->v[i],
		    err, sizeof err) != 0) {
			rd->v[i] = NULL;
			return (reader_fail(rd, "%s: %s", rd->want[i].name,
			    err));
		}
	}
	return (0);
}

/* Find the wanted columns; -1 if a required one is missing or unfit. */
static int
reader_init(struct reader *rd)
{
	const struct rows_meta	*m = &rd->rows->meta;
	const struct col_spec	*cs;
	size_t			 c;
	int			 i, opts;

	if (m->cols == NULL || m->columns_count < 0)
		return (reader_fail(rd, "rows without metadata"));
	rd->ncols = (size_t)m->columns_count;
	rd->option = xcalloc(rd->ncols + 1, sizeof *rd->option);
	rd->cells = xcalloc(rd->ncols + 1, sizeof *rd->cells);
	opts = rd->src == SCHEMA_SRC_TABLES || rd->src == SCHEMA_SRC_VIEWS;
	for (c = 0; c < rd->ncols; c++)
		rd->option[c] = opts && m->cols[c].type != NULL;
	for (i = 0; rd->want[i].name != NULL; i++) {
		rd->idx[i] = -1;
		for (c = 0; c < rd->ncols; c++) {
			cs = &m->cols[c];
			if (!slice_eq(cs->name, rd->want[i].name))
				continue;
			rd->option[c] = 0;
			if (want_fits(rd->want[i].type, cs->type)) {
				rd->idx[i] = (int)c;
				break;
			}
			if (rd->want[i].required)
				return (reader_fail(rd, "column %s has an "
				    "unexpected type", rd->want[i].name));
			log_warnx("schema: system_schema.%s.%s has an "
			    "unexpected type; ignored",
			    source_names[rd->src], rd->want[i].name);
		}
		if (rd->idx[i] < 0 && rd->want[i].required)
			return (reader_fail(rd, "no column %s",
			    rd->want[i].name));
	}
	return (0);
}

int
schema_load_rows(struct schema_load *l, enum schema_source src,
    const struct result_rows *rows)
{
	struct reader		rd;
	struct rows_reader	rr;
	int			i, r, taken = 0;

	if ((unsigned int)src >= SCHEMA_NSOURCES) {
		load_error(l, 0, "unknown source %d", (int)src);
		return (-1);
	}
	memset(&rd, 0, sizeof rd);
	rd.l = l;
	rd.src = src;
	rd.want = wants[src];
	rd.rows = rows;
	if (reader_init(&rd) != 0) {
		load_error(l, 0, "system_schema.%s unusable: %s",
		    source_names[src], rd.err);
		taken = -1;
		goto out;
	}
	l->fed |= SCHEMA_SRC_BIT(src);
	l->sorted = 0;
	rows_reader_init(&rr, rows);
	for (rd.rowno = 0; ; rd.rowno++) {
		if ((r = rows_reader_next(&rr, rd.cells)) == 0)
			break;
		if (r < 0) {
			reader_fail(&rd, "malformed rows");
			reader_skip(&rd);
			break;
		}
		if (reader_decode(&rd) != 0 || row_fns[src](&rd) != 0) {
			reader_skip(&rd);
			continue;
		}
		taken++;
	}
out:
	for (i = 0; i < WANT_MAX; i++)
		cqlval_free(rd.v[i]);
	free(rd.option);
	free(rd.cells);
	return (taken);
}

/*
 * Tables from drafts.
 */

static int
column_cmp(const void *a, const void *b)
{
	const struct column_meta	*x = a, *y = b;
	int				 rx, ry;

	rx = x->kind == COLUMN_PARTITION_KEY ? 0 :
	    (x->kind == COLUMN_CLUSTERING ? 1 : 2);
	ry = y->kind == COLUMN_PARTITION_KEY ? 0 :
	    (y->kind == COLUMN_CLUSTERING ? 1 : 2);
	if (rx != ry)
		return (rx - ry);
	if (rx < 2 && x->position != y->position)
		return (x->position < y->position ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* Sort the columns and index the keys; complete if positions are 0..n-1. */
static void
table_keys(struct table_meta *t)
{
	size_t	i;

	if (t->ncolumns > 1)
		qsort(t->columns, t->ncolumns, sizeof *t->columns, column_cmp);
	t->partition_key = xcalloc(t->ncolumns + 1, sizeof *t->partition_key);
	t->clustering_key = xcalloc(t->ncolumns + 1,
	    sizeof *t->clustering_key);
	t->complete = 1;
	for (i = 0; i < t->ncolumns; i++) {
		if (t->columns[i].kind == COLUMN_PARTITION_KEY) {
			if (t->columns[i].position != (int)t->npartition_key)
				t->complete = 0;
			t->partition_key[t->npartition_key++] = i;
		} else if (t->columns[i].kind == COLUMN_CLUSTERING) {
			if (t->columns[i].position != (int)t->nclustering_key)
				t->complete = 0;
			t->clustering_key[t->nclustering_key++] = i;
		}
	}
	if (t->npartition_key == 0)
		t->complete = 0;
}

struct table_meta *
schema_load_build_table(struct schema_load *l, unsigned int src, size_t i)
{
	const struct table_meta		*d = schema_load_get(l, src, i);
	const struct draft_col		*dc;
	const struct draft_index	*di;
	const struct draft_trigger	*dt;
	struct table_meta		*t = xcalloc(1, sizeof *t);
	size_t				 lo, hi, j;

	t->references = 1;
	t->keyspace = xstrdup(d->keyspace);
	t->name = xstrdup(d->name);
	memcpy(t->id, d->id, sizeof t->id);
	t->has_id = d->has_id;
	schema_options_copy(&t->options, &d->options);
	t->is_view = d->is_view;
	t->base_table = schema_strdup(d->base_table);
	memcpy(t->base_table_id, d->base_table_id, sizeof t->base_table_id);
	t->has_base_table_id = d->has_base_table_id;
	t->where_clause = schema_strdup(d->where_clause);
	t->include_all_columns = d->include_all_columns;

	/* drafts are sorted by name, so a column given twice is adjacent */
	schema_load_range(l, SCHEMA_SRC_COLUMNS, d->keyspace, d->name,
	    &lo, &hi);
	if (hi - lo > SCHEMA_MAX_COLUMNS)
		hi = lo + SCHEMA_MAX_COLUMNS;
	t->columns = xcalloc(hi - lo + 1, sizeof *t->columns);
	for (j = lo; j < hi; j++) {
		dc = src_elem(l, SCHEMA_SRC_COLUMNS, j);
		if (t->ncolumns > 0 && strcmp(t->columns[t->ncolumns - 1].name,
		    dc->c.name) == 0)
			continue;
		t->columns[t->ncolumns] = dc->c;
		t->columns[t->ncolumns].name = xstrdup(dc->c.name);
		t->columns[t->ncolumns].type_text = xstrdup(dc->c.type_text);
		t->columns[t->ncolumns].type = cqltype_dup(dc->c.type);
		t->ncolumns++;
	}
	table_keys(t);

	schema_load_range(l, SCHEMA_SRC_INDEXES, d->keyspace, d->name,
	    &lo, &hi);
	t->indexes = xcalloc(hi - lo + 1, sizeof *t->indexes);
	for (j = lo; j < hi; j++) {
		di = src_elem(l, SCHEMA_SRC_INDEXES, j);
		if (t->nindexes > 0 && strcmp(t->indexes[t->nindexes - 1].name,
		    di->ix.name) == 0)
			continue;
		t->indexes[t->nindexes].name = xstrdup(di->ix.name);
		t->indexes[t->nindexes].kind = schema_strdup(di->ix.kind);
		schema_options_copy(&t->indexes[t->nindexes].options,
		    &di->ix.options);
		t->nindexes++;
	}

	schema_load_range(l, SCHEMA_SRC_TRIGGERS, d->keyspace, d->name,
	    &lo, &hi);
	t->triggers = xcalloc(hi - lo + 1, sizeof *t->triggers);
	for (j = lo; j < hi; j++) {
		dt = src_elem(l, SCHEMA_SRC_TRIGGERS, j);
		if (t->ntriggers > 0 && strcmp(
		    t->triggers[t->ntriggers - 1].name, dt->tr.name) == 0)
			continue;
		t->triggers[t->ntriggers].name = xstrdup(dt->tr.name);
		schema_options_copy(&t->triggers[t->ntriggers].options,
		    &dt->tr.options);
		t->ntriggers++;
	}
	return (t);
}

/*
 * Names and queries.
 */

const char *
schema_source_name(enum schema_source src)
{
	if ((unsigned int)src >= SCHEMA_NSOURCES)
		return ("unknown");
	return (source_names[src]);
}

int
schema_source_from_name(const char *name)
{
	size_t	i;

	for (i = 0; i < SCHEMA_NSOURCES; i++) {
		if (strcmp(source_names[i], name) == 0)
			return ((int)i);
	}
	return (-1);
}

const char *
schema_column_kind_name(enum column_kind k)
{
	switch (k) {
	case COLUMN_PARTITION_KEY:
		return ("partition_key");
	case COLUMN_CLUSTERING:
		return ("clustering");
	case COLUMN_STATIC:
		return ("static");
	case COLUMN_REGULAR:
		return ("regular");
	}
	return ("unknown");
}

const char *
schema_order_name(enum clustering_order o)
{
	switch (o) {
	case ORDER_NONE:
		return ("none");
	case ORDER_ASC:
		return ("asc");
	case ORDER_DESC:
		return ("desc");
	}
	return ("unknown");
}

unsigned int
schema_target_sources(enum schema_target_kind kind)
{
	switch (kind) {
	case SCHEMA_TARGET_ALL:
		return (SCHEMA_SRC_ALL);
	case SCHEMA_TARGET_KEYSPACE:
		return (SCHEMA_SRC_BIT(SCHEMA_SRC_KEYSPACES));
	case SCHEMA_TARGET_TABLE:
		return (SCHEMA_SRC_BIT(SCHEMA_SRC_TABLES) |
		    SCHEMA_SRC_BIT(SCHEMA_SRC_VIEWS) |
		    SCHEMA_SRC_BIT(SCHEMA_SRC_COLUMNS) |
		    SCHEMA_SRC_BIT(SCHEMA_SRC_INDEXES) |
		    SCHEMA_SRC_BIT(SCHEMA_SRC_TRIGGERS));
	case SCHEMA_TARGET_TYPE:
		return (SCHEMA_SRC_BIT(SCHEMA_SRC_TYPES));
	case SCHEMA_TARGET_FUNCTION:
		return (SCHEMA_SRC_BIT(SCHEMA_SRC_FUNCTIONS));
	case SCHEMA_TARGET_AGGREGATE:
		return (SCHEMA_SRC_BIT(SCHEMA_SRC_AGGREGATES));
	}
	return (0);
}

#define Q(t)	"SELECT * FROM system_schema." t
#define QK(t)	Q(t) " WHERE keyspace_name = ?"
#define QN(t, n) QK(t) " AND " n " = ?"
static const char *const source_queries[SCHEMA_NSOURCES][6] = {
	/* ALL, KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE */
	{ Q("keyspaces"), QK("keyspaces"), NULL, NULL, NULL, NULL },
	{ Q("tables"), QK("tables"), QN("tables", "table_name"), NULL, NULL,
	    NULL },
	{ Q("columns"), QK("columns"), QN("columns", "table_name"), NULL,
	    NULL, NULL },
	{ Q("types"), QK("types"), NULL, QN("types", "type_name"), NULL,
	    NULL },
	{ Q("functions"), QK("functions"), NULL, NULL,
	    QN("functions", "function_name"), NULL },
	{ Q("aggregates"), QK("aggregates"), NULL, NULL, NULL,
	    QN("aggregates", "aggregate_name") },
	{ Q("indexes"), QK("indexes"), QN("indexes", "table_name"), NULL,
	    NULL, NULL },
	{ Q("views"), QK("views"), QN("views", "view_name"), NULL, NULL,
	    NULL },
	{ Q("triggers"), QK("triggers"), QN("triggers", "table_name"), NULL,
	    NULL, NULL }
};
#undef Q
#undef QK
#undef QN

const char *
schema_source_query(enum schema_source src, enum schema_target_kind kind)
{
	if ((unsigned int)src >= SCHEMA_NSOURCES ||
	    (unsigned int)kind >= 6)
		return (NULL);
	return (source_queries[src][kind]);
}
