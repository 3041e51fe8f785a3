/*
 * check_schema.c: schema metadata built from RESULT Rows as Cassandra 4.0
 * sends them for system_schema (the recorded system keyspaces, plus a
 * keyspace of our own with every kind of object), targeted refreshes and
 * drops, malformed rows, and snapshots that outlive refreshes.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "cqltype.h"
#include "msg.h"
#include "token.h"
#include "schema.h"

#include "schema_fixture.h"

#define TB_MAX_COLS	32

/*
 * Building RESULT Rows: column specs and cells gathered here, then
 * written as a real frame with rows_writer and decoded with msg_decode.
 */
struct tb {
	const char	*table;
	size_t		 ncols;
	const char	*names[TB_MAX_COLS];
	const char	*types[TB_MAX_COLS];
	struct wbuf	 cells;
	int32_t		 nrows;
	size_t		 incol;		/* cells written in the current row */
};

struct rs {
	struct wbuf	 frame;
	struct msg	 m;
};

static void
tb_init(struct tb *tb, const char *table, const char *spec)
{
	char	*s, *p, *tok, *sp;

	memset(tb, 0, sizeof *tb);
	tb->table = table;
	wbuf_init(&tb->cells, 0);
	/* spec: "name type; name type; ..." (the strings are kept) */
	s = xstrdup(spec);
	for (p = s; (tok = strsep(&p, ";")) != NULL;) {
		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		ck_assert_uint_lt(tb->ncols, TB_MAX_COLS);
		sp = strchr(tok, ' ');
		ck_assert_ptr_nonnull(sp);
		*sp = '\0';
		tb->names[tb->ncols] = xstrdup(tok);
		tb->types[tb->ncols] = xstrdup(sp + 1);
		tb->ncols++;
	}
	free(s);
}

static void
tb_clear(struct tb *tb)
{
	size_t	i;

	for (i = 0; i < tb->ncols; i++) {
		free((char *)(uintptr_t)tb->names[i]);
		free((char *)(uintptr_t)tb->types[i]);
	}
	wbuf_free(&tb->cells);
}

static void
tb_cell_done(struct tb *tb)
{
	if (++tb->incol == tb->ncols) {
		tb->incol = 0;
		tb->nrows++;
	}
}

static void
tb_raw(struct tb *tb, const void *p, size_t n)
{
	wbuf_bytes(&tb->cells, p, n);
	tb_cell_done(tb);
}

static void
tb_null(struct tb *tb)
{
	wbuf_bytes_null(&tb->cells);
	tb_cell_done(tb);
}

static void
tb_text(struct tb *tb, const char *s)
{
	if (s == NULL)
		tb_null(tb);
	else
		tb_raw(tb, s, strlen(s));
}

static void
tb_int(struct tb *tb, int32_t v)
{
	uint8_t	b[4] = { v >> 24, v >> 16, v >> 8, v };

	tb_raw(tb, b, 4);
}

static void
tb_bool(struct tb *tb, int v)
{
	uint8_t	b = v ? 1 : 0;

	tb_raw(tb, &b, 1);
}

/* A list or set of n text items. */
static void
tb_list(struct tb *tb, int n, ...)
{
	struct wbuf	 w;
	va_list		 ap;
	const char	*s;
	int		 i;

	wbuf_init(&w, 0);
	wbuf_i32(&w, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		s = va_arg(ap, const char *);
		wbuf_bytes(&w, s, strlen(s));
	}
	va_end(ap);
	tb_raw(tb, w.p, w.len);
	wbuf_free(&w);
}

/* A text map of n pairs. */
static void
tb_map(struct tb *tb, int n, ...)
{
	struct wbuf	 w;
	va_list		 ap;
	const char	*s;
	int		 i;

	wbuf_init(&w, 0);
	wbuf_i32(&w, n);
	va_start(ap, n);
	for (i = 0; i < 2 * n; i++) {
		s = va_arg(ap, const char *);
		wbuf_bytes(&w, s, strlen(s));
	}
	va_end(ap);
	tb_raw(tb, w.p, w.len);
	wbuf_free(&w);
}

/* The frame, decoded: rs->m.u.result.rows is the result. */
static const struct result_rows *
rs_build(struct rs *rs, struct tb *tb)
{
	struct rows_meta	 meta;
	struct col_spec		 cols[TB_MAX_COLS];
	struct rows_writer	 rw;
	struct frame_header	 h;
	char			 err[256];
	size_t			 start, i;
	int32_t			 r;

	ck_assert_uint_eq(tb->incol, 0);
	memset(&meta, 0, sizeof meta);
	memset(cols, 0, sizeof cols);
	meta.flags = ROWS_GLOBAL_TABLES_SPEC;
	meta.global_keyspace = slice_cstr("system_schema");
	meta.global_table = slice_cstr(tb->table);
	meta.cols = cols;
	for (i = 0; i < tb->ncols; i++) {
		cols[i].name = slice_cstr(tb->names[i]);
		cols[i].type = cqltype_parse(tb->types[i], NULL);
		ck_assert_msg(cols[i].type != NULL, "type %s", tb->types[i]);
	}
	wbuf_init(&rs->frame, 0);
	start = frame_begin(&rs->frame, PROTO_V4, 1, 0, 1, OP_RESULT);
	rows_writer_begin(&rw, &rs->frame, PROTO_V4, &meta, tb->ncols);
	wbuf_raw(&rs->frame, tb->cells.p, tb->cells.len);
	for (r = 0; r < tb->nrows; r++)
		rows_writer_row(&rw);
	rows_writer_end(&rw);
	frame_end(&rs->frame, start);
	for (i = 0; i < tb->ncols; i++)
		cqltype_free(cols[i].type);
	ck_assert(wbuf_ok(&rs->frame));

	ck_assert_int_eq(frame_header_decode(rs->frame.p, rs->frame.len, &h),
	    0);
	ck_assert_int_eq(msg_decode(h.version, &h, rs->frame.p +
	    FRAME_HEADER_LEN, h.length, &rs->m, err, sizeof err), 0);
	ck_assert_int_eq(rs->m.u.result.kind, RESULT_ROWS);
	return (&rs->m.u.result.rows);
}

static void
rs_clear(struct rs *rs)
{
	msg_clear(&rs->m);
	wbuf_free(&rs->frame);
}

/* Feed tb's rows as source src; returns what schema_load_rows did. */
static int
feed(struct schema_load *l, enum schema_source src, struct tb *tb)
{
	struct rs	rs;
	int		n;

	n = schema_load_rows(l, src, rs_build(&rs, tb));
	rs_clear(&rs);
	tb_clear(tb);
	return (n);
}

/* Feed the recorded system_schema rows of every source. */
static void
feed_fixture(struct schema_load *l)
{
	const struct fx_table	*ft;
	struct tb		 tb;
	size_t			 i, c, r;
	int			 src;

	for (i = 0; i < nitems(fx_tables); i++) {
		ft = &fx_tables[i];
		memset(&tb, 0, sizeof tb);
		tb.table = ft->name;
		wbuf_init(&tb.cells, 0);
		for (c = 0; c < ft->ncols; c++) {
			tb.names[c] = xstrdup(ft->cols[c].name);
			tb.types[c] = xstrdup(ft->cols[c].type);
		}
		tb.ncols = ft->ncols;
		for (r = 0; r < ft->nrows; r++) {
			for (c = 0; c < ft->ncols; c++) {
				const struct fx_cell *cell =
				    &ft->cells[r * ft->ncols + c];

				if (cell->len < 0)
					tb_null(&tb);
				else
					tb_raw(&tb, cell->p, cell->len);
			}
		}
		src = schema_source_from_name(ft->name);
		ck_assert_int_ge(src, 0);
		ck_assert_int_eq(feed(l, src, &tb), (int)ft->nrows);
	}
}

static struct schema *
load_fixture(void)
{
	struct schema_load	*l = schema_load_new();
	struct schema_target	 tg = { .kind = SCHEMA_TARGET_ALL };
	struct schema		*s;
	const char		*cause;

	feed_fixture(l);
	ck_assert_uint_eq(schema_load_skipped(l), 0);
	s = schema_refresh(NULL, &tg, l, &cause);
	ck_assert_msg(s != NULL, "%s", cause);
	schema_load_free(l);
	return (s);
}

/*
 * Our own keyspace "app": types, a table with DESC clustering using them,
 * a view, an index, a trigger, functions and an aggregate.
 */
#define KS_SPEC "keyspace_name text; durable_writes boolean; " \
	"replication frozen<map<text, text>>"
#define TABLES_SPEC "keyspace_name text; table_name text; " \
	"comment text; default_time_to_live int; gc_grace_seconds int; " \
	"compaction frozen<map<text, text>>; flags frozen<set<text>>; id uuid"
#define COLUMNS_SPEC "keyspace_name text; table_name text; " \
	"column_name text; clustering_order text; column_name_bytes blob; " \
	"kind text; position int; type text"
#define TYPES_SPEC "keyspace_name text; type_name text; " \
	"field_names frozen<list<text>>; field_types frozen<list<text>>"
#define FUNCTIONS_SPEC "keyspace_name text; function_name text; " \
	"argument_types frozen<list<text>>; argument_names frozen<list<text>>; " \
	"body text; called_on_null_input boolean; language text; " \
	"return_type text"
#define AGGREGATES_SPEC "keyspace_name text; aggregate_name text; " \
	"argument_types frozen<list<text>>; final_func text; initcond text; " \
	"return_type text; state_func text; state_type text"
#define INDEXES_SPEC "keyspace_name text; table_name text; " \
	"index_name text; kind text; options frozen<map<text, text>>"
#define VIEWS_SPEC "keyspace_name text; view_name text; " \
	"base_table_id uuid; base_table_name text; comment text; id uuid; " \
	"include_all_columns boolean; where_clause text"
#define TRIGGERS_SPEC "keyspace_name text; table_name text; " \
	"trigger_name text; options frozen<map<text, text>>"

static const uint8_t events_id[16] = { 0x11, 0x22, 0x33, 0x44, 5, 6, 7, 8,
	9, 10, 11, 12, 13, 14, 15, 16 };

static void
col_row_in(struct tb *tb, const char *ks, const char *table, const char *name,
    const char *order, const char *kind, int pos, const char *type)
{
	tb_text(tb, ks);
	tb_text(tb, table);
	tb_text(tb, name);
	tb_text(tb, order);
	tb_raw(tb, name, strlen(name));
	tb_text(tb, kind);
	tb_int(tb, pos);
	tb_text(tb, type);
}

static void
col_row(struct tb *tb, const char *table, const char *name,
    const char *order, const char *kind, int pos, const char *type)
{
	col_row_in(tb, "app", table, name, order, kind, pos, type);
}

static void
app_keyspace(struct tb *tb, const char *rf)
{
	tb_init(tb, "keyspaces", KS_SPEC);
	tb_text(tb, "app");
	tb_bool(tb, 0);
	tb_map(tb, 2, "class",
	    "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1", rf);
}

static void
app_table(struct tb *tb)
{
	tb_init(tb, "tables", TABLES_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "events");
	tb_text(tb, "it's the events");
	tb_int(tb, 3600);
	tb_int(tb, 864000);
	tb_map(tb, 1, "class",
	    "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy");
	tb_list(tb, 1, "compound");
	tb_raw(tb, events_id, 16);
}

/* The events table's columns (extra: one more regular column). */
static void
app_columns(struct tb *tb, int extra)
{
	tb_init(tb, "columns", COLUMNS_SPEC);
	col_row(tb, "events", "day", "none", "partition_key", 1, "int");
	col_row(tb, "events", "id", "asc", "clustering", 1, "uuid");
	col_row(tb, "events", "payload", "none", "regular", -1,
	    "frozen<address>");
	col_row(tb, "events", "s", "none", "static", -1, "text");
	col_row(tb, "events", "tags", "none", "regular", -1,
	    "list<frozen<address>>");
	col_row(tb, "events", "tenant", "none", "partition_key", 0, "text");
	col_row(tb, "events", "ts", "desc", "clustering", 0, "timestamp");
	if (extra)
		col_row(tb, "events", "extra", "none", "regular", -1, "int");
	/* the view's columns */
	col_row(tb, "events_by_id", "day", "none", "clustering", 1, "int");
	col_row(tb, "events_by_id", "id", "none", "partition_key", 0, "uuid");
	col_row(tb, "events_by_id", "tenant", "asc", "clustering", 0, "text");
	col_row(tb, "events_by_id", "ts", "desc", "clustering", 2,
	    "timestamp");
}

static void
app_types(struct tb *tb, int with_city)
{
	tb_init(tb, "types", TYPES_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "address");
	if (with_city) {
		tb_list(tb, 4, "street", "zip", "geo", "city");
		tb_list(tb, 4, "text", "int", "frozen<point>", "text");
	} else {
		tb_list(tb, 3, "street", "zip", "geo");
		tb_list(tb, 3, "text", "int", "frozen<point>");
	}
	tb_text(tb, "app");
	tb_text(tb, "point");
	tb_list(tb, 2, "x", "y");
	tb_list(tb, 2, "double", "double");
}

static void
app_functions(struct tb *tb, const char *body)
{
	tb_init(tb, "functions", FUNCTIONS_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "plus");
	tb_list(tb, 2, "int", "int");
	tb_list(tb, 2, "a", "b");
	tb_text(tb, body);
	tb_bool(tb, 0);
	tb_text(tb, "java");
	tb_text(tb, "int");
	tb_text(tb, "app");
	tb_text(tb, "plus");
	tb_list(tb, 2, "text", "text");
	tb_list(tb, 2, "a", "b");
	tb_text(tb, "return a + b;");
	tb_bool(tb, 1);
	tb_text(tb, "java");
	tb_text(tb, "text");
}

static void
app_aggregates(struct tb *tb)
{
	tb_init(tb, "aggregates", AGGREGATES_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "total");
	tb_list(tb, 1, "int");
	tb_null(tb);
	tb_text(tb, "0");
	tb_text(tb, "int");
	tb_text(tb, "plus");
	tb_text(tb, "int");
}

static void
app_indexes(struct tb *tb)
{
	tb_init(tb, "indexes", INDEXES_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "events");
	tb_text(tb, "events_s_idx");
	tb_text(tb, "COMPOSITES");
	tb_map(tb, 1, "target", "s");
}

static void
app_views(struct tb *tb)
{
	tb_init(tb, "views", VIEWS_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "events_by_id");
	tb_raw(tb, events_id, 16);
	tb_text(tb, "events");
	tb_text(tb, "");
	tb_null(tb);
	tb_bool(tb, 1);
	tb_text(tb, "id IS NOT NULL AND tenant IS NOT NULL AND day IS NOT "
	    "NULL AND ts IS NOT NULL");
}

static void
app_triggers(struct tb *tb)
{
	tb_init(tb, "triggers", TRIGGERS_SPEC);
	tb_text(tb, "app");
	tb_text(tb, "events");
	tb_text(tb, "audit");
	tb_map(tb, 1, "class", "org.example.Audit");
}

/* Feed every source of keyspace app. */
static void
feed_app(struct schema_load *l)
{
	struct tb	tb;

	app_keyspace(&tb, "3");
	ck_assert_int_eq(feed(l, SCHEMA_SRC_KEYSPACES, &tb), 1);
	app_table(&tb);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_TABLES, &tb), 1);
	app_columns(&tb, 0);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_COLUMNS, &tb), 11);
	app_types(&tb, 0);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_TYPES, &tb), 2);
	app_functions(&tb, "return a + b;");
	ck_assert_int_eq(feed(l, SCHEMA_SRC_FUNCTIONS, &tb), 2);
	app_aggregates(&tb);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_AGGREGATES, &tb), 1);
	app_indexes(&tb);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_INDEXES, &tb), 1);
	app_views(&tb);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_VIEWS, &tb), 1);
	app_triggers(&tb);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_TRIGGERS, &tb), 1);
}

/* The keyspace app alone, as a full load. */
static struct schema *
load_app(void)
{
	struct schema_load	*l = schema_load_new();
	struct schema_target	 tg = { .kind = SCHEMA_TARGET_ALL };
	struct schema		*s;
	const char		*cause;

	feed_app(l);
	ck_assert_uint_eq(schema_load_skipped(l), 0);
	s = schema_refresh(NULL, &tg, l, &cause);
	ck_assert_msg(s != NULL, "%s", cause);
	schema_load_free(l);
	return (s);
}

/* A refresh of one target from rows fed by fn. */
static struct schema *
refresh_with(const struct schema *base, const struct schema_target *tg,
    void (*fn)(struct schema_load *))
{
	struct schema_load	*l = schema_load_new();
	struct schema		*s;
	const char		*cause;

	fn(l);
	s = schema_refresh(base, tg, l, &cause);
	ck_assert_msg(s != NULL, "%s", cause);
	schema_load_free(l);
	return (s);
}

/*
 * The recorded system keyspaces.
 */

START_TEST(test_system_keyspaces)
{
	static const struct {
		const char		*name;
		enum token_strategy	 strategy;
		int			 rf;
		size_t			 ntables;
	} want[] = {
		{ "system", TOKEN_STRATEGY_LOCAL, 0, 20 },
		{ "system_auth", TOKEN_STRATEGY_SIMPLE, 1, 5 },
		{ "system_distributed", TOKEN_STRATEGY_SIMPLE, 3, 3 },
		{ "system_schema", TOKEN_STRATEGY_LOCAL, 0, 10 },
		{ "system_traces", TOKEN_STRATEGY_SIMPLE, 2, 2 }
	};
	struct schema		*s = load_fixture();
	const struct ks_meta	*k;
	size_t			 i, j, ncols = 0;
	char			 rf[8];

	ck_assert_uint_eq(s->nkeyspaces, nitems(want));
	for (i = 0; i < nitems(want); i++) {
		k = schema_keyspace(s, want[i].name);
		ck_assert_ptr_nonnull(k);
		ck_assert_ptr_eq(k, s->keyspaces[i]);	/* sorted */
		ck_assert_int_eq(k->durable_writes, 1);
		ck_assert_ptr_nonnull(k->repl);
		ck_assert_int_eq(token_repl_strategy(k->repl),
		    want[i].strategy);
		if (want[i].strategy == TOKEN_STRATEGY_SIMPLE) {
			ck_assert_int_eq(token_repl_factor(k->repl, NULL),
			    want[i].rf);
			snprintf(rf, sizeof rf, "%d", want[i].rf);
			ck_assert_str_eq(schema_option_get(&k->replication,
			    "replication_factor"), rf);
			ck_assert_str_eq(schema_option_get(&k->replication,
			    "class"),
			    "org.apache.cassandra.locator.SimpleStrategy");
		} else {
			ck_assert_uint_eq(k->replication.n, 1);
			ck_assert_str_eq(schema_option_get(&k->replication,
			    "class"),
			    "org.apache.cassandra.locator.LocalStrategy");
		}
		ck_assert_uint_eq(k->ntables, want[i].ntables);
		ck_assert_uint_eq(k->nviews, 0);
		ck_assert_uint_eq(k->ntypes, 0);
		ck_assert_uint_eq(k->nfunctions, 0);
		for (j = 0; j < k->ntables; j++) {
			ck_assert_msg(k->tables[j]->complete, "%s.%s",
			    k->name, k->tables[j]->name);
			ck_assert(k->tables[j]->has_id);
			ck_assert(j == 0 || strcmp(k->tables[j - 1]->name,
			    k->tables[j]->name) < 0);
			ncols += k->tables[j]->ncolumns;
		}
	}
	ck_assert_uint_eq(ncols, 275);
	ck_assert_ptr_null(schema_keyspace(s, "nope"));
	ck_assert_ptr_null(schema_table(s, "system", "nope"));
	ck_assert_ptr_nonnull(schema_table(s, "system", "IndexInfo"));
	schema_free(s);
}
END_TEST

START_TEST(test_system_auth_roles)
{
	static const struct {
		const char		*name;
		enum column_kind	 kind;
		int			 position;
		enum cqltype_kind	 type;
		const char		*text;
	} want[] = {
		{ "role", COLUMN_PARTITION_KEY, 0, CQLTYPE_TEXT, "text" },
		{ "can_login", COLUMN_REGULAR, -1, CQLTYPE_BOOLEAN, "boolean" },
		{ "is_superuser", COLUMN_REGULAR, -1, CQLTYPE_BOOLEAN,
		    "boolean" },
		{ "member_of", COLUMN_REGULAR, -1, CQLTYPE_SET, "set<text>" },
		{ "salted_hash", COLUMN_REGULAR, -1, CQLTYPE_TEXT, "text" }
	};
	static const uint8_t	 id[16] = { 0x5b, 0xc5, 0x28, 0x02, 0xde,
	    0x25, 0x35, 0xed, 0xae, 0xab, 0x18, 0x8e, 0xec, 0xeb, 0xb0, 0x90 };
	struct schema		*s = load_fixture();
	const struct table_meta	*t;
	struct col_spec		 bind[3];
	uint16_t		 out[4];
	size_t			 i;

	t = schema_table(s, "system_auth", "roles");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->keyspace, "system_auth");
	ck_assert(!t->is_view);
	ck_assert(memcmp(t->id, id, 16) == 0);
	ck_assert_uint_eq(t->ncolumns, nitems(want));
	for (i = 0; i < nitems(want); i++) {
		ck_assert_str_eq(t->columns[i].name, want[i].name);
		ck_assert_int_eq(t->columns[i].kind, want[i].kind);
		ck_assert_int_eq(t->columns[i].position, want[i].position);
		ck_assert_int_eq(t->columns[i].order, ORDER_NONE);
		ck_assert_int_eq(t->columns[i].type->kind, want[i].type);
		ck_assert_str_eq(t->columns[i].type_text, want[i].text);
	}
	ck_assert_int_eq(t->columns[3].type->sub[0]->kind, CQLTYPE_TEXT);
	ck_assert_int_eq(t->columns[3].type->frozen, 0);
	ck_assert_uint_eq(t->npartition_key, 1);
	ck_assert_uint_eq(t->partition_key[0], 0);
	ck_assert_uint_eq(t->nclustering_key, 0);
	ck_assert_ptr_eq(table_meta_column(t, "member_of"), &t->columns[3]);

	/* options as text */
	ck_assert_str_eq(schema_option_get(&t->options, "comment"),
	    "role definitions");
	ck_assert_str_eq(schema_option_get(&t->options, "gc_grace_seconds"),
	    "7776000");
	ck_assert_str_eq(schema_option_get(&t->options,
	    "default_time_to_live"), "0");
	ck_assert_str_eq(schema_option_get(&t->options,
	    "bloom_filter_fp_chance"), "0.01");
	ck_assert_str_eq(schema_option_get(&t->options, "crc_check_chance"),
	    "1.0");
	ck_assert_str_eq(schema_option_get(&t->options, "compaction"),
	    "{'class': 'org.apache.cassandra.db.compaction."
	    "SizeTieredCompactionStrategy', 'max_threshold': '32', "
	    "'min_threshold': '4'}");
	ck_assert_str_eq(schema_option_get(&t->options, "flags"),
	    "{'compound'}");
	ck_assert_str_eq(schema_option_get(&t->options, "extensions"), "{}");
	ck_assert_ptr_null(schema_option_get(&t->options, "cdc"));
	ck_assert_ptr_null(schema_option_get(&t->options, "id"));
	ck_assert_ptr_null(schema_option_get(&t->options, "table_name"));

	/* routing: own columns, then bind variables */
	ck_assert_int_eq(schema_table_routing(t, NULL, 0, out, 4), 1);
	ck_assert_uint_eq(out[0], 0);
	memset(bind, 0, sizeof bind);
	bind[0].name = slice_cstr("can_login");
	bind[1].keyspace = slice_cstr("system_auth");
	bind[1].table = slice_cstr("roles");
	bind[1].name = slice_cstr("role");
	bind[2].name = slice_cstr("salted_hash");
	ck_assert_int_eq(schema_table_routing(t, bind, 3, out, 4), 1);
	ck_assert_uint_eq(out[0], 1);
	ck_assert_int_eq(schema_table_routing(t, bind, 1, out, 4), -1);
	ck_assert_int_eq(schema_table_routing(t, NULL, 0, out, 0), -1);

	/* system_schema.columns: two clustering columns, ascending */
	t = schema_table(s, "system_schema", "columns");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->columns[0].name, "keyspace_name");
	ck_assert_str_eq(t->columns[1].name, "table_name");
	ck_assert_str_eq(t->columns[2].name, "column_name");
	ck_assert_int_eq(t->columns[2].order, ORDER_ASC);
	ck_assert_uint_eq(t->nclustering_key, 2);
	ck_assert_uint_eq(t->clustering_key[1], 2);
	ck_assert_str_eq(t->columns[3].name, "clustering_order");
	schema_free(s);
}
END_TEST

/*
 * Keyspace app: clustering order, user types, routines, views, indexes.
 */

START_TEST(test_app_table)
{
	static const char *const names[] = { "tenant", "day", "ts", "id",
	    "payload", "s", "tags" };
	struct schema		*s = load_app();
	const struct ks_meta	*k = schema_keyspace(s, "app");
	const struct table_meta	*t;
	const struct cqltype	*ty, *geo;
	uint16_t		 out[4];
	size_t			 i;

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->durable_writes, 0);
	ck_assert_int_eq(token_repl_strategy(k->repl), TOKEN_STRATEGY_NTS);
	ck_assert_int_eq(token_repl_factor(k->repl, "dc1"), 3);

	t = ks_meta_table(k, "events");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->ncolumns, nitems(names));
	for (i = 0; i < nitems(names); i++)
		ck_assert_str_eq(t->columns[i].name, names[i]);
	ck_assert_uint_eq(t->npartition_key, 2);
	ck_assert_uint_eq(t->nclustering_key, 2);
	ck_assert(t->complete);
	ck_assert_int_eq(t->columns[2].kind, COLUMN_CLUSTERING);
	ck_assert_int_eq(t->columns[2].order, ORDER_DESC);
	ck_assert_int_eq(t->columns[3].order, ORDER_ASC);
	ck_assert_int_eq(t->columns[5].kind, COLUMN_STATIC);
	ck_assert_int_eq(schema_table_routing(t, NULL, 0, out, 4), 2);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[1], 1);
	ck_assert_str_eq(schema_option_get(&t->options, "comment"),
	    "it's the events");
	ck_assert_str_eq(schema_option_get(&t->options, "compaction"),
	    "{'class': 'org.apache.cassandra.db.compaction."
	    "TimeWindowCompactionStrategy'}");
	ck_assert_str_eq(schema_option_get(&t->options,
	    "default_time_to_live"), "3600");

	/* frozen<address>: resolved with its nested frozen<point> */
	ty = t->columns[4].type;
	ck_assert_int_eq(ty->kind, CQLTYPE_UDT);
	ck_assert_int_eq(ty->frozen, 1);
	ck_assert_str_eq(ty->keyspace, "app");
	ck_assert_str_eq(ty->name, "address");
	ck_assert_uint_eq(ty->n, 3);
	ck_assert_str_eq(ty->fields[0], "street");
	ck_assert_int_eq(ty->sub[1]->kind, CQLTYPE_INT);
	geo = ty->sub[2];
	ck_assert_int_eq(geo->kind, CQLTYPE_UDT);
	ck_assert_int_eq(geo->frozen, 1);
	ck_assert_str_eq(geo->name, "point");
	ck_assert_uint_eq(geo->n, 2);
	ck_assert_int_eq(geo->sub[0]->kind, CQLTYPE_DOUBLE);
	ck_assert_str_eq(t->columns[4].type_text, "frozen<address>");
	/* list<frozen<address>> */
	ty = t->columns[6].type;
	ck_assert_int_eq(ty->kind, CQLTYPE_LIST);
	ck_assert_uint_eq(ty->sub[0]->n, 3);
	ck_assert_str_eq(ty->sub[0]->keyspace, "app");

	/* the type itself */
	ck_assert_uint_eq(k->ntypes, 2);
	ck_assert_str_eq(ks_meta_type(k, "address")->field_types[2],
	    "frozen<point>");
	ck_assert(cqltype_equal_unfrozen(ks_meta_type(k, "address")->type,
	    t->columns[4].type));

	/* index and trigger */
	ck_assert_uint_eq(t->nindexes, 1);
	ck_assert_str_eq(t->indexes[0].kind, "COMPOSITES");
	ck_assert_str_eq(schema_option_get(&table_meta_index(t,
	    "events_s_idx")->options, "target"), "s");
	ck_assert_uint_eq(t->ntriggers, 1);
	ck_assert_str_eq(t->triggers[0].name, "audit");
	ck_assert_str_eq(schema_option_get(&t->triggers[0].options, "class"),
	    "org.example.Audit");
	schema_free(s);
}
END_TEST

START_TEST(test_app_view_and_routines)
{
	static const char *const ii[] = { "int", "int" };
	static const char *const tt[] = { "text", " text" };
	static const char *const i1[] = { "int" };
	struct schema			*s = load_app();
	const struct ks_meta		*k = schema_keyspace(s, "app");
	const struct table_meta		*v;
	const struct function_meta	*f;
	const struct aggregate_meta	*a;

	ck_assert_uint_eq(k->ntables, 1);
	ck_assert_uint_eq(k->nviews, 1);
	v = schema_table(s, "app", "events_by_id");
	ck_assert_ptr_eq(v, ks_meta_view(k, "events_by_id"));
	ck_assert(v->is_view);
	ck_assert_str_eq(v->base_table, "events");
	ck_assert(v->has_base_table_id);
	ck_assert(memcmp(v->base_table_id, events_id, 16) == 0);
	ck_assert(!v->has_id);
	ck_assert(v->include_all_columns);
	ck_assert_ptr_nonnull(strstr(v->where_clause, "id IS NOT NULL"));
	ck_assert_uint_eq(v->ncolumns, 4);
	ck_assert_str_eq(v->columns[0].name, "id");
	ck_assert_str_eq(v->columns[3].name, "ts");
	ck_assert_int_eq(v->columns[3].order, ORDER_DESC);
	ck_assert(v->complete);
	ck_assert_str_eq(schema_option_get(&v->options, "comment"), "");

	ck_assert_uint_eq(k->nfunctions, 2);
	f = ks_meta_function(k, "plus", ii, 2);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->signature, "plus(int,int)");
	ck_assert_str_eq(f->arg_names[1], "b");
	ck_assert_str_eq(f->return_type, "int");
	ck_assert_str_eq(f->language, "java");
	ck_assert_str_eq(f->body, "return a + b;");
	ck_assert_int_eq(f->called_on_null_input, 0);
	f = ks_meta_function(k, "plus", tt, 2);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->signature, "plus(text,text)");
	ck_assert_int_eq(f->called_on_null_input, 1);
	ck_assert_ptr_null(ks_meta_function(k, "plus", i1, 1));
	ck_assert_ptr_null(ks_meta_function(k, "minus", NULL, 0));

	a = ks_meta_aggregate(k, "total", i1, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->state_func, "plus");
	ck_assert_str_eq(a->state_type, "int");
	ck_assert_ptr_null(a->final_func);
	ck_assert_str_eq(a->initcond, "0");
	ck_assert_str_eq(a->return_type, "int");
	ck_assert_str_eq(a->signature, "total(int)");
	schema_free(s);
}
END_TEST

/*
 * Targeted refreshes and drops; old snapshots stay whole.
 */

static void
feed_table_extra(struct schema_load *l)
{
	struct tb	tb;

	app_table(&tb);
	feed(l, SCHEMA_SRC_TABLES, &tb);
	tb_init(&tb, "views", VIEWS_SPEC);
	feed(l, SCHEMA_SRC_VIEWS, &tb);
	app_columns(&tb, 1);
	feed(l, SCHEMA_SRC_COLUMNS, &tb);
	tb_init(&tb, "indexes", INDEXES_SPEC);
	feed(l, SCHEMA_SRC_INDEXES, &tb);
	tb_init(&tb, "triggers", TRIGGERS_SPEC);
	feed(l, SCHEMA_SRC_TRIGGERS, &tb);
}

START_TEST(test_refresh_table)
{
	struct schema_target	 tg = { SCHEMA_TARGET_TABLE, "app", "events",
	    NULL, 0 };
	struct schema		*s = load_app(), *s2;
	const struct table_meta	*old, *t;

	old = table_meta_ref(schema_table(s, "app", "events"));
	s2 = refresh_with(s, &tg, feed_table_extra);
	schema_free(s);		/* a request still holds the old table */

	t = schema_table(s2, "app", "events");
	ck_assert_ptr_ne(t, old);
	ck_assert_uint_eq(t->ncolumns, 8);
	ck_assert_str_eq(t->columns[4].name, "extra");
	ck_assert_uint_eq(t->nindexes, 0);
	ck_assert_uint_eq(t->ntriggers, 0);
	/* refreshed tables get their user types resolved too */
	ck_assert_uint_eq(table_meta_column(t, "payload")->type->n, 3);
	/* the view is a target of its own: untouched */
	ck_assert_ptr_eq(schema_table(s2, "app", "events_by_id"),
	    ks_meta_view(schema_keyspace(s2, "app"), "events_by_id"));
	ck_assert_uint_eq(schema_table(s2, "app", "events_by_id")->ncolumns,
	    4);

	ck_assert_uint_eq(old->ncolumns, 7);
	ck_assert_uint_eq(old->nindexes, 1);
	ck_assert_str_eq(old->columns[4].name, "payload");
	ck_assert_uint_eq(old->columns[4].type->n, 3);
	table_meta_unref(old);
	schema_free(s2);
}
END_TEST

START_TEST(test_refresh_shares_untouched)
{
	struct schema_target	 tg = { SCHEMA_TARGET_TABLE, "app", "events",
	    NULL, 0 };
	struct schema_load	*l = schema_load_new();
	struct schema		*s, *s2;
	const char		*cause;

	feed_fixture(l);
	feed_app(l);
	tg.kind = SCHEMA_TARGET_ALL;
	s = schema_refresh(NULL, &tg, l, &cause);
	ck_assert_ptr_nonnull(s);
	schema_load_free(l);
	ck_assert_uint_eq(s->nkeyspaces, 6);

	tg.kind = SCHEMA_TARGET_TABLE;
	s2 = refresh_with(s, &tg, feed_table_extra);
	/* other keyspaces and other tables are the same objects */
	ck_assert_ptr_eq(schema_keyspace(s, "system_auth"),
	    schema_keyspace(s2, "system_auth"));
	ck_assert_ptr_ne(schema_keyspace(s, "app"),
	    schema_keyspace(s2, "app"));
	ck_assert_ptr_eq(ks_meta_type(schema_keyspace(s, "app"), "address"),
	    ks_meta_type(schema_keyspace(s2, "app"), "address"));
	ck_assert_uint_eq(schema_table(s, "app", "events")->ncolumns, 7);
	ck_assert_uint_eq(schema_table(s2, "app", "events")->ncolumns, 8);
	schema_free(s);
	ck_assert_str_eq(schema_keyspace(s2, "system_auth")->name,
	    "system_auth");
	schema_free(s2);
}
END_TEST

static void
feed_types_city(struct schema_load *l)
{
	struct tb	tb;

	app_types(&tb, 1);
	feed(l, SCHEMA_SRC_TYPES, &tb);
}

START_TEST(test_refresh_type)
{
	struct schema_target	 tg = { SCHEMA_TARGET_TYPE, "app", "address",
	    NULL, 0 };
	struct schema		*s = load_app(), *s2, *s3;
	const struct table_meta	*t;

	s2 = refresh_with(s, &tg, feed_types_city);
	t = schema_table(s2, "app", "events");
	ck_assert_uint_eq(table_meta_column(t, "payload")->type->n, 4);
	ck_assert_str_eq(table_meta_column(t, "payload")->type->fields[3],
	    "city");
	ck_assert_uint_eq(table_meta_column(t, "tags")->type->sub[0]->n, 4);
	ck_assert_uint_eq(ks_meta_type(schema_keyspace(s2, "app"),
	    "address")->type->n, 4);
	/* the old snapshot still has three fields */
	t = schema_table(s, "app", "events");
	ck_assert_uint_eq(table_meta_column(t, "payload")->type->n, 3);
	ck_assert_uint_eq(ks_meta_type(schema_keyspace(s, "app"),
	    "address")->nfields, 3);

	/* dropping point leaves address.geo an unresolved reference */
	tg.name = "point";
	s3 = schema_drop(s2, &tg);
	t = schema_table(s3, "app", "events");
	ck_assert_uint_eq(ks_meta_type(schema_keyspace(s3, "app"),
	    "address")->type->n, 4);
	ck_assert_int_eq(table_meta_column(t, "payload")->type->sub[2]->kind,
	    CQLTYPE_UDT);
	ck_assert_uint_eq(table_meta_column(t, "payload")->type->sub[2]->n, 0);
	ck_assert_ptr_null(ks_meta_type(schema_keyspace(s3, "app"), "point"));
	ck_assert_uint_eq(schema_table(s2, "app", "events")->columns[4].type->
	    sub[2]->n, 2);
	schema_free(s);
	schema_free(s2);
	schema_free(s3);
}
END_TEST

static void
feed_plus_v2(struct schema_load *l)
{
	struct tb	tb;

	app_functions(&tb, "return b + a;");
	feed(l, SCHEMA_SRC_FUNCTIONS, &tb);
}

static void
feed_nothing_routines(struct schema_load *l)
{
	struct tb	tb;

	tb_init(&tb, "aggregates", AGGREGATES_SPEC);
	feed(l, SCHEMA_SRC_AGGREGATES, &tb);
}

START_TEST(test_refresh_routines)
{
	static const char *const ii[] = { "int", "int" };
	static const char *const tt[] = { "text", "text" };
	struct schema_target	 tg = { SCHEMA_TARGET_FUNCTION, "app", "plus",
	    ii, 2 };
	struct schema		*s = load_app(), *s2, *s3, *s4;
	const struct ks_meta	*k;

	s2 = refresh_with(s, &tg, feed_plus_v2);
	k = schema_keyspace(s2, "app");
	ck_assert_uint_eq(k->nfunctions, 2);
	ck_assert_str_eq(ks_meta_function(k, "plus", ii, 2)->body,
	    "return b + a;");
	/* the other overload is the same object */
	ck_assert_ptr_eq(ks_meta_function(k, "plus", tt, 2),
	    ks_meta_function(schema_keyspace(s, "app"), "plus", tt, 2));
	ck_assert_str_eq(ks_meta_function(schema_keyspace(s, "app"), "plus",
	    ii, 2)->body, "return a + b;");

	s3 = schema_drop(s2, &tg);
	k = schema_keyspace(s3, "app");
	ck_assert_uint_eq(k->nfunctions, 1);
	ck_assert_ptr_null(ks_meta_function(k, "plus", ii, 2));
	ck_assert_ptr_nonnull(ks_meta_function(k, "plus", tt, 2));

	/* an aggregate whose rows are gone is dropped by a refresh */
	tg.kind = SCHEMA_TARGET_AGGREGATE;
	tg.name = "total";
	tg.args = NULL;
	s4 = refresh_with(s3, &tg, feed_nothing_routines);
	ck_assert_uint_eq(schema_keyspace(s4, "app")->naggregates, 0);
	ck_assert_uint_eq(schema_keyspace(s3, "app")->naggregates, 1);
	schema_free(s);
	schema_free(s2);
	schema_free(s3);
	schema_free(s4);
}
END_TEST

static void
feed_ks_rf5(struct schema_load *l)
{
	struct tb	tb;

	app_keyspace(&tb, "5");
	feed(l, SCHEMA_SRC_KEYSPACES, &tb);
}

static void
feed_ks_none(struct schema_load *l)
{
	struct tb	tb;

	tb_init(&tb, "keyspaces", KS_SPEC);
	feed(l, SCHEMA_SRC_KEYSPACES, &tb);
}

START_TEST(test_refresh_keyspace)
{
	struct schema_target	 tg = { SCHEMA_TARGET_KEYSPACE, "app", NULL,
	    NULL, 0 };
	struct schema		*s = load_app(), *s2, *s3, *s4;
	const struct ks_meta	*k;
	const char		*cause;

	/* ALTER KEYSPACE: replication changes, children are kept */
	s2 = refresh_with(s, &tg, feed_ks_rf5);
	k = schema_keyspace(s2, "app");
	ck_assert_int_eq(token_repl_factor(k->repl, "dc1"), 5);
	ck_assert_str_eq(schema_option_get(&k->replication, "dc1"), "5");
	ck_assert_ptr_eq(ks_meta_table(k, "events"),
	    schema_table(s, "app", "events"));
	ck_assert_uint_eq(k->nfunctions, 2);
	ck_assert_int_eq(token_repl_factor(schema_keyspace(s, "app")->repl,
	    "dc1"), 3);

	/* the keyspace row is gone: so is the keyspace */
	s3 = refresh_with(s2, &tg, feed_ks_none);
	ck_assert_ptr_null(schema_keyspace(s3, "app"));
	ck_assert_uint_eq(s3->nkeyspaces, 0);

	/* a table of an unknown keyspace cannot be refreshed alone */
	tg.kind = SCHEMA_TARGET_TABLE;
	tg.name = "events";
	{
		struct schema_load *l = schema_load_new();

		feed_table_extra(l);
		ck_assert_ptr_null(schema_refresh(s3, &tg, l, &cause));
		ck_assert_ptr_nonnull(cause);
		schema_load_free(l);
	}

	/* drops */
	s4 = schema_drop(s2, &tg);
	ck_assert_ptr_null(schema_table(s4, "app", "events"));
	ck_assert_ptr_nonnull(schema_table(s4, "app", "events_by_id"));
	schema_free(s3);
	tg.kind = SCHEMA_TARGET_KEYSPACE;
	s3 = schema_drop(s4, &tg);
	ck_assert_ptr_null(schema_keyspace(s3, "app"));
	ck_assert_ptr_nonnull(schema_keyspace(s4, "app"));
	schema_free(s4);
	s4 = schema_drop(s3, &tg);	/* absent: nothing changes */
	ck_assert_uint_eq(s4->nkeyspaces, 0);
	schema_free(s);
	schema_free(s2);
	schema_free(s3);
	schema_free(s4);
}
END_TEST

/*
 * Malformed input: rows skipped with a reason, never a crash.
 */

START_TEST(test_malformed_cells)
{
	struct schema_load	*l = schema_load_new();
	struct schema_target	 tg = { .kind = SCHEMA_TARGET_ALL };
	struct schema		*s;
	struct tb		 tb;
	const char		*cause;
	static const uint8_t	 bad_utf8[] = { 'k', 0xff, 0xfe };
	static const uint8_t	 short_map[] = { 0, 0, 0, 2, 0, 0, 0, 5,
	    'c', 'l', 'a', 's', 's', 0, 0, 0, 1, 'x' };
	static const uint8_t	 nul_name[] = { 'a', 0, 'b' };

	tb_init(&tb, "keyspaces", KS_SPEC);
	tb_text(&tb, "good");			/* fine */
	tb_bool(&tb, 1);
	tb_map(&tb, 2, "class", "SimpleStrategy", "replication_factor", "2");
	tb_raw(&tb, bad_utf8, sizeof bad_utf8);	/* not UTF-8 */
	tb_bool(&tb, 1);
	tb_null(&tb);
	tb_text(&tb, "truncated_map");		/* map shorter than it says */
	tb_bool(&tb, 1);
	tb_raw(&tb, short_map, sizeof short_map);
	tb_text(&tb, "long_bool");		/* boolean of 2 bytes */
	tb_raw(&tb, "\001\001", 2);
	tb_null(&tb);
	tb_null(&tb);				/* null name */
	tb_bool(&tb, 1);
	tb_null(&tb);
	tb_raw(&tb, nul_name, sizeof nul_name);	/* NUL in a name */
	tb_bool(&tb, 1);
	tb_null(&tb);
	tb_text(&tb, "norepl");			/* fine, no replication */
	tb_null(&tb);
	tb_map(&tb, 1, "replication_factor", "3");
	ck_assert_int_eq(feed(l, SCHEMA_SRC_KEYSPACES, &tb), 2);
	ck_assert_uint_eq(schema_load_skipped(l), 5);
	ck_assert_ptr_nonnull(schema_load_last_error(l));

	tb_init(&tb, "columns", COLUMNS_SPEC);
	tb_text(&tb, "good");
	tb_text(&tb, "t");
	tb_text(&tb, "k");
	tb_text(&tb, "none");
	tb_null(&tb);
	tb_text(&tb, "partition_key");
	tb_raw(&tb, "\0\0\0", 3);		/* int of 3 bytes */
	tb_text(&tb, "int");
	col_row_in(&tb, "good", "t", "k", "none", "partition_key", 0, "int");
	col_row(&tb, "t", "v", "none", "sideways", -1, "int");
	col_row(&tb, "t", "w", "none", "regular", -1, "map<int");
	col_row(&tb, "t", "x", "upwards", "clustering", 0, "int");
	col_row(&tb, "t", "y", "asc", "clustering", -1, "int");
	col_row(&tb, "t", "z", "none", "regular", -1, "frozen<int>");
	ck_assert_int_eq(feed(l, SCHEMA_SRC_COLUMNS, &tb), 1);
	ck_assert_uint_eq(schema_load_skipped(l), 11);

	tb_init(&tb, "types", TYPES_SPEC);
	tb_text(&tb, "good");
	tb_text(&tb, "odd");
	tb_list(&tb, 2, "a", "b");
	tb_list(&tb, 1, "int");
	ck_assert_int_eq(feed(l, SCHEMA_SRC_TYPES, &tb), 0);

	tb_init(&tb, "tables", TABLES_SPEC);
	tb_text(&tb, "good");
	tb_text(&tb, "t");
	tb_text(&tb, "c");
	tb_raw(&tb, "\0\0", 2);			/* an option of a bad size */
	tb_int(&tb, 0);
	tb_null(&tb);
	tb_null(&tb);
	tb_null(&tb);
	tb_text(&tb, "good");
	tb_text(&tb, "t");
	tb_text(&tb, "c");
	tb_int(&tb, 10);
	tb_int(&tb, 0);
	tb_null(&tb);
	tb_null(&tb);
	tb_raw(&tb, "short", 5);		/* a uuid of 5 bytes */
	tb_text(&tb, "good");
	tb_text(&tb, "t");
	tb_null(&tb);
	tb_null(&tb);
	tb_null(&tb);
	tb_null(&tb);
	tb_null(&tb);
	tb_null(&tb);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_TABLES, &tb), 1);
	ck_assert_uint_eq(schema_load_skipped(l), 14);

	s = schema_refresh(NULL, &tg, l, &cause);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->nkeyspaces, 2);
	ck_assert_ptr_nonnull(schema_keyspace(s, "good")->repl);
	ck_assert_ptr_null(schema_keyspace(s, "norepl")->repl);
	ck_assert_int_eq(schema_keyspace(s, "norepl")->durable_writes, 1);
	ck_assert_uint_eq(schema_table(s, "good", "t")->ncolumns, 1);
	ck_assert_ptr_null(schema_table(s, "good", "t")->options.e[0].value);
	ck_assert(schema_table(s, "good", "t")->complete);
	schema_free(s);
	schema_load_free(l);
}
END_TEST

START_TEST(test_malformed_results)
{
	struct schema_load	*l = schema_load_new();
	struct schema_target	 tg = { .kind = SCHEMA_TARGET_ALL };
	struct tb		 tb;
	struct rs		 rs;
	struct result_rows	 rows;
	const char		*cause;
	size_t			 cut;

	/* the keyspace name is not text: nothing can be read */
	tb_init(&tb, "keyspaces", "keyspace_name int; durable_writes boolean");
	tb_int(&tb, 1);
	tb_bool(&tb, 1);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_KEYSPACES, &tb), -1);
	/* no keyspace_name at all */
	tb_init(&tb, "keyspaces", "durable_writes boolean");
	tb_bool(&tb, 1);
	ck_assert_int_eq(feed(l, SCHEMA_SRC_KEYSPACES, &tb), -1);
	/* so a full refresh has nothing to go on */
	ck_assert_ptr_null(schema_refresh(NULL, &tg, l, &cause));
	ck_assert_ptr_nonnull(cause);

	/* an optional column of the wrong type is ignored; extra ones too */
	tb_init(&tb, "keyspaces", "keyspace_name text; durable_writes int; "
	    "graph_engine text; replication frozen<map<text, text>>");
	tb_text(&tb, "k1");
	tb_int(&tb, 0);
	tb_text(&tb, "Core");
	tb_map(&tb, 1, "class", "LocalStrategy");
	ck_assert_int_eq(feed(l, SCHEMA_SRC_KEYSPACES, &tb), 1);

	/* rows metadata missing */
	tb_init(&tb, "keyspaces", KS_SPEC);
	tb_text(&tb, "k2");
	tb_bool(&tb, 1);
	tb_null(&tb);
	rows = *rs_build(&rs, &tb);
	rows.meta.cols = NULL;
	ck_assert_int_eq(schema_load_rows(l, SCHEMA_SRC_KEYSPACES, &rows), -1);
	rs_clear(&rs);
	tb_clear(&tb);

	/* rows whose bytes stop early (as a careless caller might pass) */
	tb_init(&tb, "keyspaces", KS_SPEC);
	tb_text(&tb, "k3");
	tb_bool(&tb, 1);
	tb_null(&tb);
	tb_text(&tb, "k4");
	tb_bool(&tb, 1);
	tb_null(&tb);
	rows = *rs_build(&rs, &tb);
	for (cut = 0; cut < rows.rows.n; cut++) {
		struct schema_load *l2 = schema_load_new();
		struct result_rows r2 = rows;
		int n;

		r2.rows.n = cut;
		n = schema_load_rows(l2, SCHEMA_SRC_KEYSPACES, &r2);
		ck_assert_int_ge(n, 0);
		ck_assert_int_le(n, 1);
		ck_assert_uint_eq(schema_load_skipped(l2), 1);
		schema_load_free(l2);
	}
	ck_assert_int_eq(schema_load_rows(l, SCHEMA_SRC_KEYSPACES, &rows), 2);
	rs_clear(&rs);
	tb_clear(&tb);

	ck_assert_int_eq(schema_load_rows(l, 42, &rows), -1);
	{
		struct schema *s = schema_refresh(NULL, &tg, l, &cause);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->nkeyspaces, 3);
		ck_assert_int_eq(schema_keyspace(s, "k1")->durable_writes, 1);
		schema_free(s);
	}
	schema_load_free(l);
}
END_TEST

/* Next of a small deterministic generator (xorshift32). */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (*s);
}

/*
 * The recorded rows with bytes flipped and cells cut short at random
 * (the frame itself stays well formed): every row is either taken or
 * skipped, and whatever was taken assembles.
 */
START_TEST(test_mutated_rows)
{
	struct schema_target	 tg = { .kind = SCHEMA_TARGET_ALL };
	const struct fx_table	*ft;
	struct schema_load	*l;
	struct schema		*s;
	struct tb		 tb;
	const char		*cause;
	uint8_t			 buf[4096];
	uint32_t		 seed = 0x5eed1234;
	size_t			 i, c, r, len, before;
	int			 round, n;

	for (round = 0; round < 40; round++) {
		l = schema_load_new();
		for (i = 0; i < nitems(fx_tables); i++) {
			ft = &fx_tables[i];
			memset(&tb, 0, sizeof tb);
			tb.table = ft->name;
			wbuf_init(&tb.cells, 0);
			for (c = 0; c < ft->ncols; c++) {
				tb.names[c] = xstrdup(ft->cols[c].name);
				tb.types[c] = xstrdup(ft->cols[c].type);
			}
			tb.ncols = ft->ncols;
			for (r = 0; r < ft->nrows * ft->ncols; r++) {
				const struct fx_cell *cell = &ft->cells[r];

				if (cell->len < 0) {
					tb_null(&tb);
					continue;
				}
				len = (size_t)cell->len;
				ck_assert_uint_le(len, sizeof buf);
				memcpy(buf, cell->p, len);
				if (len > 0 && rnd(&seed) % 8 == 0)
					buf[rnd(&seed) % len] ^= 1 << (rnd(&seed) % 8);
				if (len > 0 && rnd(&seed) % 16 == 0)
					len = rnd(&seed) % len;
				tb_raw(&tb, buf, len);
			}
			before = schema_load_skipped(l);
			n = feed(l, schema_source_from_name(ft->name), &tb);
			ck_assert_int_ge(n, 0);
			ck_assert_uint_eq((size_t)n + schema_load_skipped(l) -
			    before, ft->nrows);
		}
		s = schema_refresh(NULL, &tg, l, &cause);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_le(s->nkeyspaces, 5);
		schema_free(s);
		schema_load_free(l);
	}
}
END_TEST

START_TEST(test_refresh_needs)
{
	struct schema_target	 tg = { SCHEMA_TARGET_TABLE, "app", "events",
	    NULL, 0 };
	struct schema_load	*l = schema_load_new();
	struct schema		*s = load_app();
	struct tb		 tb;
	const char		*cause;

	/* no rows at all for a table target */
	ck_assert_ptr_null(schema_refresh(s, &tg, l, &cause));
	ck_assert_ptr_nonnull(cause);
	/* tables without their columns */
	app_table(&tb);
	feed(l, SCHEMA_SRC_TABLES, &tb);
	ck_assert_ptr_null(schema_refresh(s, &tg, l, &cause));
	ck_assert_str_eq(cause, "tables loaded without their columns");
	/* a type target needs types */
	tg.kind = SCHEMA_TARGET_TYPE;
	ck_assert_ptr_null(schema_refresh(s, &tg, l, &cause));
	/* a name is needed */
	tg.name = NULL;
	tg.kind = SCHEMA_TARGET_FUNCTION;
	ck_assert_ptr_null(schema_refresh(s, &tg, l, &cause));
	schema_load_free(l);
	schema_free(s);
}
END_TEST

/* Types that refer to each other in a loop, or grow exponentially. */
START_TEST(test_hostile_types)
{
	struct schema_load	*l = schema_load_new();
	struct schema_target	 tg = { .kind = SCHEMA_TARGET_ALL };
	struct schema		*s;
	struct tb		 tb;
	const struct table_meta	*t;
	const char		*cause;
	char			 name[16], next[32];
	size_t			 nodes, i;
	struct wbuf		 w;
	int			 j;

	app_keyspace(&tb, "1");
	feed(l, SCHEMA_SRC_KEYSPACES, &tb);
	tb_init(&tb, "types", TYPES_SPEC);
	tb_text(&tb, "app");
	tb_text(&tb, "a");
	tb_list(&tb, 1, "x");
	tb_list(&tb, 1, "frozen<b>");
	tb_text(&tb, "app");
	tb_text(&tb, "b");
	tb_list(&tb, 1, "y");
	tb_list(&tb, 1, "frozen<a>");
	/* t0 has 8 fields of t1, t1 of t2, ... : 8^24 nodes if expanded */
	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof name, "t%zu", i);
		snprintf(next, sizeof next, i == 23 ? "int" : "frozen<t%zu>",
		    i + 1);
		tb_text(&tb, "app");
		tb_text(&tb, name);
		wbuf_init(&w, 0);
		wbuf_i32(&w, 8);
		for (j = 0; j < 8; j++) {
			snprintf(name, sizeof name, "f%d", j);
			wbuf_bytes(&w, name, strlen(name));
		}
		tb_raw(&tb, w.p, w.len);
		wbuf_reset(&w);
		wbuf_i32(&w, 8);
		for (j = 0; j < 8; j++)
			wbuf_bytes(&w, next, strlen(next));
		tb_raw(&tb, w.p, w.len);
		wbuf_free(&w);
	}
	ck_assert_int_eq(feed(l, SCHEMA_SRC_TYPES, &tb), 26);
	app_table(&tb);
	feed(l, SCHEMA_SRC_TABLES, &tb);
	tb_init(&tb, "columns", COLUMNS_SPEC);
	col_row(&tb, "events", "k", "none", "partition_key", 0, "int");
	col_row(&tb, "events", "loop", "none", "regular", -1, "frozen<a>");
	col_row(&tb, "events", "big", "none", "regular", -1, "frozen<t0>");
	feed(l, SCHEMA_SRC_COLUMNS, &tb);

	s = schema_refresh(NULL, &tg, l, &cause);
	ck_assert_ptr_nonnull(s);
	t = schema_table(s, "app", "events");
	/* a -> b -> a: the inner reference stays unresolved */
	ck_assert_uint_eq(table_meta_column(t, "loop")->type->n, 1);
	ck_assert_uint_eq(table_meta_column(t, "loop")->type->sub[0]->n, 1);
	ck_assert_uint_eq(table_meta_column(t, "big")->type->n, 8);
	{
		/* count the nodes: capped */
		const struct cqltype *stack[4096];
		size_t sp = 0;

		nodes = 0;
		stack[sp++] = table_meta_column(t, "big")->type;
		while (sp > 0) {
			const struct cqltype *c = stack[--sp];

			nodes++;
			for (i = 0; i < c->n; i++) {
				ck_assert_uint_lt(sp, nitems(stack));
				stack[sp++] = c->sub[i];
			}
		}
	}
	ck_assert_uint_le(nodes, 2 * SCHEMA_MAX_TYPE_NODES);
	schema_free(s);
	schema_load_free(l);
}
END_TEST

/*
 * Small pieces.
 */

START_TEST(test_versions_agree)
{
	uint8_t				 v1[16] = { 1 }, v2[16] = { 2 };
	uint8_t				 got[16];
	struct schema_host_version	 h[4];
	size_t				 nd;

	memset(h, 0, sizeof h);
	ck_assert_int_eq(schema_versions_agree(h, 0, got, &nd), 0);
	ck_assert_uint_eq(nd, 0);
	h[0].version = v1;
	h[0].up = 1;
	h[1].version = v1;
	h[1].up = 1;
	h[2].version = NULL;	/* unknown: ignored */
	h[2].up = 1;
	h[3].version = v2;	/* down: ignored */
	h[3].up = 0;
	memset(got, 0, sizeof got);
	ck_assert_int_eq(schema_versions_agree(h, 4, got, &nd), 1);
	ck_assert_uint_eq(nd, 1);
	ck_assert(memcmp(got, v1, 16) == 0);
	h[3].up = 1;
	ck_assert_int_eq(schema_versions_agree(h, 4, got, &nd), 0);
	ck_assert_uint_eq(nd, 2);
	ck_assert_int_eq(schema_versions_agree(h, 4, NULL, NULL), 0);
	h[0].up = h[1].up = 0;
	ck_assert_int_eq(schema_versions_agree(h, 4, got, NULL), 1);
	ck_assert(memcmp(got, v2, 16) == 0);
}
END_TEST

START_TEST(test_event_target)
{
	struct schema_change	 ev;
	struct schema_target	 tg;
	struct slice		 args[2];
	struct schema		*s = load_app(), *s2;

	memset(&ev, 0, sizeof ev);
	ev.change = slice_cstr("DROPPED");
	ev.target = slice_cstr("FUNCTION");
	ev.keyspace = slice_cstr("app");
	ev.name = slice_cstr("plus");
	args[0] = slice_cstr("text");
	args[1] = slice_cstr("text");
	ev.args.n = 2;
	ev.args.e = args;
	ck_assert_int_eq(schema_target_from_event(&tg, &ev), 1);
	ck_assert_int_eq(tg.kind, SCHEMA_TARGET_FUNCTION);
	ck_assert_str_eq(tg.keyspace, "app");
	ck_assert_str_eq(tg.name, "plus");
	ck_assert_uint_eq(tg.nargs, 2);
	ck_assert_str_eq(tg.args[1], "text");
	s2 = schema_drop(s, &tg);
	ck_assert_uint_eq(schema_keyspace(s2, "app")->nfunctions, 1);
	ck_assert_str_eq(schema_keyspace(s2, "app")->functions[0]->signature,
	    "plus(int,int)");
	schema_target_clear(&tg);
	schema_free(s2);

	ev.change = slice_cstr("CREATED");
	ev.target = slice_cstr("KEYSPACE");
	ev.name = slice_cstr("");
	ck_assert_int_eq(schema_target_from_event(&tg, &ev), 0);
	ck_assert_int_eq(tg.kind, SCHEMA_TARGET_KEYSPACE);
	ck_assert_ptr_null(tg.name);
	schema_target_clear(&tg);
	ev.target = slice_cstr("TABLE");
	ev.name = slice_cstr("events");
	ck_assert_int_eq(schema_target_from_event(&tg, &ev), 0);
	ck_assert_int_eq(tg.kind, SCHEMA_TARGET_TABLE);
	ck_assert_ptr_null(tg.args);
	schema_target_clear(&tg);
	ev.target = slice_cstr("TRIGGER");
	ck_assert_int_eq(schema_target_from_event(&tg, &ev), -1);
	ev.target = slice_cstr("TABLE");
	ev.change = slice_cstr("RENAMED");
	ck_assert_int_eq(schema_target_from_event(&tg, &ev), -1);
	schema_free(s);
}
END_TEST

START_TEST(test_queries)
{
	ck_assert_str_eq(schema_source_query(SCHEMA_SRC_COLUMNS,
	    SCHEMA_TARGET_ALL), "SELECT * FROM system_schema.columns");
	ck_assert_str_eq(schema_source_query(SCHEMA_SRC_COLUMNS,
	    SCHEMA_TARGET_TABLE), "SELECT * FROM system_schema.columns "
	    "WHERE keyspace_name = ? AND table_name = ?");
	ck_assert_str_eq(schema_source_query(SCHEMA_SRC_VIEWS,
	    SCHEMA_TARGET_TABLE), "SELECT * FROM system_schema.views "
	    "WHERE keyspace_name = ? AND view_name = ?");
	ck_assert_ptr_null(schema_source_query(SCHEMA_SRC_TYPES,
	    SCHEMA_TARGET_TABLE));
	ck_assert_uint_eq(schema_target_sources(SCHEMA_TARGET_ALL),
	    SCHEMA_SRC_ALL);
	ck_assert_uint_eq(schema_target_sources(SCHEMA_TARGET_TYPE),
	    SCHEMA_SRC_BIT(SCHEMA_SRC_TYPES));
	ck_assert_int_eq(schema_source_from_name("aggregates"),
	    SCHEMA_SRC_AGGREGATES);
	ck_assert_int_eq(schema_source_from_name("dropped_columns"), -1);
	ck_assert_str_eq(schema_source_name(SCHEMA_SRC_TRIGGERS), "triggers");
	ck_assert_str_eq(schema_column_kind_name(COLUMN_STATIC), "static");
	ck_assert_str_eq(schema_order_name(ORDER_DESC), "desc");
}
END_TEST

static Suite *
schema_suite(void)
{
	Suite	*s = suite_create("schema");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_system_keyspaces);
	tcase_add_test(tc, test_system_auth_roles);
	tcase_add_test(tc, test_app_table);
	tcase_add_test(tc, test_app_view_and_routines);
	tcase_add_test(tc, test_refresh_table);
	tcase_add_test(tc, test_refresh_shares_untouched);
	tcase_add_test(tc, test_refresh_type);
	tcase_add_test(tc, test_refresh_routines);
	tcase_add_test(tc, test_refresh_keyspace);
	tcase_add_test(tc, test_malformed_cells);
	tcase_add_test(tc, test_malformed_results);
	tcase_add_test(tc, test_mutated_rows);
	tcase_add_test(tc, test_refresh_needs);
	tcase_add_test(tc, test_hostile_types);
	tcase_add_test(tc, test_versions_agree);
	tcase_add_test(tc, test_event_target);
	tcase_add_test(tc, test_queries);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	/* skipped rows are asserted through schema_load_last_error */
	log_open("check_schema", LOG_LEVEL_ERROR, 1);
	sr = srunner_create(schema_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
