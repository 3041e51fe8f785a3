/*
 * schema-fuzzer.c: libFuzzer harness for the schema loader
 * (daemon/core/schema.c, schema-rows.c): the RESULT Rows a server sends
 * for system_schema become snapshots, and nothing in them may crash or
 * leak the loader.
 *
 * Two input forms:
 *  - 'R' then records [u8 source][u16 length][RESULT body]: each body is
 *    decoded as a v4 RESULT frame (msg_decode) and, when it is Rows, given
 *    to schema_load_rows as that source; a Schema_change body becomes the
 *    refresh target (schema_target_from_event). Seeds are real Cassandra
 *    4.0 results (gen-corpus.py).
 *  - anything else drives a generator: for each source, rows with the
 *    source's real columns (sometimes one dropped or of a wrong type, or
 *    an extra one), cells made from the input as values of the column's
 *    type (names and type texts from small dictionaries so rows refer to
 *    each other), sometimes raw or null. A full load (or the recorded
 *    system keyspaces as base) is followed by a targeted refresh and a
 *    drop of a target read from the input.
 * Every snapshot is then walked: lookups must find what is listed, key
 * indexes must be in range, routing must hold, and a table held with
 * table_meta_ref must outlive its snapshot.
 */
#include <stddef.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_ROWS	8
#define FUZZ_MAX_COLS	40

/* The input, consumed from the front; zeros once it runs out. */
struct fdp {
	const uint8_t	*p;
	size_t		 n;
};

static uint8_t
fdp_u8(struct fdp *f)
{
	uint8_t	c;

	if (f->n == 0)
		return (0);
	c = *f->p++;
	f->n--;
	return (c);
}

/* Up to n bytes (fewer at the end); returns how many. */
static size_t
fdp_bytes(struct fdp *f, const uint8_t **p, size_t n)
{
	if (n > f->n)
		n = f->n;
	*p = f->p;
	f->p += n;
	f->n -= n;
	return (n);
}

static void __attribute__((__noreturn__))
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "schema-fuzzer: %s: %s %s\n", what,
	    a != NULL ? a : "", b != NULL ? b : "");
	abort();
}

/*
 * Dictionaries, chosen by the column a text is for, so that generated
 * rows name each other (a table's keyspace, a column's table, a type
 * used by a column).
 */
static const char *dict_ks[] = { "ks", "k2", "system", "" };
static const char *dict_name[] = { "t", "t2", "v", "udt1", "udt2", "f",
	"agg", "a", "b", "c", "idx" };
static const char *dict_type[] = { "int", "text", "udt1", "frozen<udt1>",
	"frozen<udt2>", "list<frozen<udt1>>", "map<text, int>",
	"tuple<int, frozen<udt1>>", "frozen<set<text>>", "vector<float, 3>",
	"org.apache.cassandra.db.marshal.Int32Type", "udt9", "frozen<list<",
	"k2.udt1", "blob" };
static const char *dict_kind[] = { "partition_key", "clustering",
	"regular", "static", "KEYS", "COMPOSITES", "CUSTOM", "bogus" };
static const char *dict_order[] = { "asc", "desc", "none", "ASC" };
static const char *dict_repl[] = { "class",
	"org.apache.cassandra.locator.SimpleStrategy", "SimpleStrategy",
	"NetworkTopologyStrategy", "LocalStrategy", "EverywhereStrategy",
	"replication_factor", "3", "0", "-1", "2/1", "dc1", "dc2", "x" };
static const char *dict_opt[] = { "target", "a", "keys(a)", "values(b)",
	"entries(c)", "full(a)", "class_name", "class", "org.example.T",
	"\"A\"" };
static const char *dict_misc[] = { "java", "return a;", "k = 1", "f", "",
	"0", "(a)" };

struct dict {
	const char	**v;
	size_t		  n;
};
#define DICT(a)	{ a, nitems(a) }

static struct dict
dict_for(const char *col)
{
	static const struct dict	ks = DICT(dict_ks), name = DICT(dict_name),
		type = DICT(dict_type), kind = DICT(dict_kind),
		order = DICT(dict_order), repl = DICT(dict_repl),
		opt = DICT(dict_opt), misc = DICT(dict_misc);

	if (strcmp(col, "keyspace_name") == 0)
		return (ks);
	if (strstr(col, "type") != NULL)	/* type, field_types, ... */
		return (type);
	if (strstr(col, "name") != NULL || strcmp(col, "state_func") == 0 ||
	    strcmp(col, "final_func") == 0)
		return (name);
	if (strcmp(col, "kind") == 0)
		return (kind);
	if (strcmp(col, "clustering_order") == 0)
		return (order);
	if (strcmp(col, "replication") == 0)
		return (repl);
	if (strcmp(col, "options") == 0)
		return (opt);
	return (misc);
}

/* Types a column may wrongly come with. */
static const char *wrong_types[] = { "int", "text", "boolean",
	"frozen<list<text>>", "frozen<map<text, text>>", "uuid", "blob",
	"frozen<set<int>>", "double", "map<int, text>" };

static void	gen_value(struct wbuf *, const struct cqltype *, const char *,
		    struct fdp *, int);

/* A [bytes] cell: the value of t, or raw, or null. */
static void
gen_cell(struct wbuf *w, const struct cqltype *t, const char *col,
    struct fdp *f, int depth)
{
	struct wbuf	 v;
	const uint8_t	*p;
	size_t		 n;
	uint8_t		 c = fdp_u8(f);

	if (c % 16 == 0) {
		wbuf_bytes_null(w);
		return;
	}
	if (c % 16 == 1) {
		n = fdp_bytes(f, &p, fdp_u8(f) % 24);
		wbuf_bytes(w, p, n);
		return;
	}
	wbuf_init(&v, 1 << 20);
	gen_value(&v, t, col, f, depth + 1);
	wbuf_bytes(w, v.p, v.len);
	wbuf_free(&v);
}

/* Serialized value of t from the input (mostly well formed). */
static void
gen_value(struct wbuf *w, const struct cqltype *t, const char *col,
    struct fdp *f, int depth)
{
	struct dict	 d;
	const uint8_t	*p;
	size_t		 i, n, fixed;
	uint8_t		 c;
	int32_t		 small;

	if (depth > 8)
		return;
	switch (t->kind) {
	case CQLTYPE_TEXT:
	case CQLTYPE_ASCII:
		c = fdp_u8(f);
		if (c >= 224) {
			n = fdp_bytes(f, &p, c - 224);
			wbuf_raw(w, p, n);
		} else {
			d = dict_for(col);
			wbuf_raw(w, d.v[c % d.n], strlen(d.v[c % d.n]));
		}
		return;
	case CQLTYPE_BOOLEAN:
		wbuf_u8(w, fdp_u8(f) % 3);
		return;
	case CQLTYPE_INT:
		c = fdp_u8(f);
		if (c < 200) {
			small = (int32_t)(c % 6) - 1;	/* -1 .. 4 */
			wbuf_i32(w, small);
			return;
		}
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
		n = fdp_u8(f) % 5;
		wbuf_i32(w, (int32_t)n);
		for (i = 0; i < n; i++) {
			if (t->n > 0)
				gen_cell(w, t->sub[0], col, f, depth);
			if (t->kind == CQLTYPE_MAP && t->n > 1)
				gen_cell(w, t->sub[1], col, f, depth);
		}
		return;
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
		for (i = 0; i < t->n; i++)
			gen_cell(w, t->sub[i], col, f, depth);
		return;
	default:
		break;
	}
	/* Fixed-size kinds get their size, the others a short run. */
	if ((fixed = (size_t)cqltype_fixed_size(t->kind)) != (size_t)-1 &&
	    fixed > 0)
		n = fdp_bytes(f, &p, fixed);
	else
		n = fdp_bytes(f, &p, fdp_u8(f) % 17);
	wbuf_raw(w, p, n);
}

/*
 * One page of rows for a source as a decoded RESULT: the frame is built
 * with rows_writer and read back with msg_decode, as from a server.
 * Returns 0 with m filled (m's slices point into frame), -1 if not.
 */
static int
gen_page(unsigned int src, struct fdp *f, struct wbuf *frame, struct msg *m)
{
	const struct fx_table	*fx = &fx_tables[src];
	struct rows_meta	 meta;
	struct col_spec		 cols[FUZZ_MAX_COLS];
	const char		*names[FUZZ_MAX_COLS];
	struct rows_writer	 rw;
	struct frame_header	 h;
	size_t			 i, nc = 0, start, r, nrows;
	uint8_t			 shape = fdp_u8(f), c;
	char			 err[256];
	int			 ret = -1;

	memset(&meta, 0, sizeof meta);
	memset(cols, 0, sizeof cols);
	for (i = 0; i < fx->ncols && nc < FUZZ_MAX_COLS - 1; i++) {
		c = shape % 4 == 0 ? fdp_u8(f) : 0xff;
		if (c % 32 == 0)
			continue;	/* the column is missing */
		names[nc] = fx->cols[i].name;
		cols[nc].name = slice_cstr(fx->cols[i].name);
		cols[nc].type = cqltype_parse(c % 32 == 1 ?
		    wrong_types[fdp_u8(f) % nitems(wrong_types)] :
		    fx->cols[i].type, NULL);
		if (cols[nc].type == NULL)
			fail("fixture type does not parse", fx->cols[i].type,
			    NULL);
		nc++;
	}
	if (shape % 8 == 1) {	/* a column the loader does not know */
		names[nc] = "zz_extra";
		cols[nc].name = slice_cstr("zz_extra");
		cols[nc].type = cqltype_parse("frozen<map<int, blob>>", NULL);
		nc++;
	}
	meta.flags = ROWS_GLOBAL_TABLES_SPEC;
	meta.global_keyspace = slice_cstr("system_schema");
	meta.global_table = slice_cstr(fx->name);
	meta.cols = cols;
	meta.columns_count = (int32_t)nc;

	wbuf_init(frame, 1 << 24);
	start = frame_begin(frame, PROTO_V4, 1, 0, 1, OP_RESULT);
	rows_writer_begin(&rw, frame, PROTO_V4, &meta, nc);
	nrows = fdp_u8(f) % (FUZZ_MAX_ROWS + 1);
	for (r = 0; r < nrows; r++) {
		for (i = 0; i < nc; i++)
			gen_cell(frame, cols[i].type, names[i], f, 0);
		rows_writer_row(&rw);
	}
	rows_writer_end(&rw);
	frame_end(frame, start);
	for (i = 0; i < nc; i++)
		cqltype_free(cols[i].type);
	if (!wbuf_ok(frame))
		return (-1);
	if (frame_header_decode(frame->p, frame->len, &h) != 0)
		fail("our own frame header does not decode", fx->name, NULL);
	if (msg_decode(h.version, &h, frame->p + frame_header_size(h.version),
	    h.length, m, err, sizeof err) != 0)
		fail("our own RESULT does not decode", fx->name, err);
	if (m->u.result.kind == RESULT_ROWS)
		ret = 0;
	else
		msg_clear(m);
	return (ret);
}

/* The recorded Cassandra 4.0 system keyspaces, for a realistic base. */
static void
load_fixture(struct schema_load *l)
{
	const struct fx_table *fx;
	struct rows_meta meta;
	struct col_spec	 cols[FUZZ_MAX_COLS];
	struct rows_writer rw;
	struct frame_header h;
	struct wbuf	 frame;
	struct msg	 m;
	size_t		 src, i, r, start;
	char		 err[256];

	for (src = 0; src < SCHEMA_NSOURCES; src++) {
		fx = &fx_tables[src];
		memset(&meta, 0, sizeof meta);
		memset(cols, 0, sizeof cols);
		for (i = 0; i < fx->ncols; i++) {
			cols[i].name = slice_cstr(fx->cols[i].name);
			cols[i].type = cqltype_parse(fx->cols[i].type, NULL);
		}
		meta.flags = ROWS_GLOBAL_TABLES_SPEC;
		meta.global_keyspace = slice_cstr("system_schema");
		meta.global_table = slice_cstr(fx->name);
		meta.cols = cols;
		meta.columns_count = (int32_t)fx->ncols;
		wbuf_init(&frame, 1 << 24);
		start = frame_begin(&frame, PROTO_V4, 1, 0, 1, OP_RESULT);
		rows_writer_begin(&rw, &frame, PROTO_V4, &meta, fx->ncols);
		for (r = 0; r < fx->nrows; r++) {
			for (i = 0; i < fx->ncols; i++) {
				const struct fx_cell *c =
				    &fx->cells[r * fx->ncols + i];

				if (c->len < 0)
					wbuf_bytes_null(&frame);
				else
					wbuf_bytes(&frame, c->p, c->len);
			}
			rows_writer_row(&rw);
		}
		rows_writer_end(&rw);
		frame_end(&frame, start);
		for (i = 0; i < fx->ncols; i++)
			cqltype_free(cols[i].type);
		if (frame_header_decode(frame.p, frame.len, &h) != 0 ||
		    msg_decode(h.version, &h, frame.p + frame_header_size(
		    h.version), h.length, &m, err, sizeof err) != 0)
			fail("fixture does not decode", fx->name, err);
		if (schema_load_rows(l, src, &m.u.result.rows) < 0)
			fail("fixture does not load", fx->name,
			    schema_load_last_error(l));
		msg_clear(&m);
		wbuf_free(&frame);
	}
}

/* Walk a snapshot; lookups must find what the arrays hold. */
static void
walk_table(const struct schema *s, const struct ks_meta *ks,
    const struct table_meta *t)
{
	const struct column_meta *c;
	uint16_t		 out[64];
	size_t			 i;
	char			*txt;
	int			 n;

	if (t->keyspace == NULL || t->name == NULL)
		fail("table without keyspace or name", ks->name, NULL);
	if (schema_table(s, ks->name, t->name) == NULL)
		fail("listed table or view not found", ks->name, t->name);
	for (i = 0; i < t->ncolumns; i++) {
		c = &t->columns[i];
		if (c->name == NULL)
			fail("column without a name", t->name, NULL);
		if (table_meta_column(t, c->name) == NULL)
			fail("listed column not found", t->name, c->name);
		if (c->type != NULL) {
			txt = cqltype_format(c->type);
			free(txt);
		}
	}
	for (i = 0; i < t->npartition_key; i++) {
		if (t->partition_key[i] >= t->ncolumns)
			fail("partition key index out of range", t->name, NULL);
	}
	for (i = 0; i < t->nclustering_key; i++) {
		if (t->clustering_key[i] >= t->ncolumns)
			fail("clustering key index out of range", t->name,
			    NULL);
	}
	n = schema_table_routing(t, NULL, 0, out, nitems(out));
	if (n >= 0) {
		if (!t->complete || (size_t)n != t->npartition_key)
			fail("routing of an incomplete key", t->name, NULL);
		while (n-- > 0) {
			if (out[n] >= t->ncolumns)
				fail("routing index out of range", t->name,
				    NULL);
		}
	}
	for (i = 0; i < t->nindexes; i++) {
		if (table_meta_index(t, t->indexes[i].name) == NULL)
			fail("listed index not found", t->name,
			    t->indexes[i].name);
	}
	for (i = 0; i < t->options.n; i++)
		(void)schema_option_get(&t->options, t->options.e[i].name);
}

static void
walk(const struct schema *s)
{
	const struct ks_meta	*ks;
	const struct type_meta	*ty;
	const struct function_meta *fn;
	const struct aggregate_meta *ag;
	size_t			 k, i;
	char			*txt;

	for (k = 0; k < s->nkeyspaces; k++) {
		ks = s->keyspaces[k];
		if (ks->name == NULL)
			fail("keyspace without a name", NULL, NULL);
		if (schema_keyspace(s, ks->name) == NULL)
			fail("listed keyspace not found", ks->name, NULL);
		for (i = 0; i < ks->replication.n; i++)
			(void)schema_option_get(&ks->replication,
			    ks->replication.e[i].name);
		for (i = 0; i < ks->ntables; i++) {
			walk_table(s, ks, ks->tables[i]);
			if (ks_meta_table(ks, ks->tables[i]->name) == NULL)
				fail("listed table not found", ks->name,
				    ks->tables[i]->name);
		}
		for (i = 0; i < ks->nviews; i++) {
			walk_table(s, ks, ks->views[i]);
			if (ks_meta_view(ks, ks->views[i]->name) == NULL)
				fail("listed view not found", ks->name,
				    ks->views[i]->name);
		}
		for (i = 0; i < ks->ntypes; i++) {
			ty = ks->types[i];
			if (ks_meta_type(ks, ty->name) == NULL)
				fail("listed type not found", ks->name,
				    ty->name);
			if (ty->type != NULL) {
				txt = cqltype_format(ty->type);
				free(txt);
			}
		}
		for (i = 0; i < ks->nfunctions; i++) {
			fn = ks->functions[i];
			if (ks_meta_function(ks, fn->name,
			    (const char *const *)fn->arg_types,
			    fn->nargs) == NULL)
				fail("listed function not found", ks->name,
				    fn->signature);
		}
		for (i = 0; i < ks->naggregates; i++) {
			ag = ks->aggregates[i];
			if (ks_meta_aggregate(ks, ag->name,
			    (const char *const *)ag->arg_types,
			    ag->nargs) == NULL)
				fail("listed aggregate not found", ks->name,
				    ag->signature);
		}
	}
}

/* Refresh and drop a target on base; walk what comes out. */
static void
apply_target(struct schema *base, const struct schema_target *tg,
    struct schema_load *l)
{
	struct schema		*next, *dropped;
	const struct table_meta	*held = NULL;
	const char		*cause = NULL;

	/* Hold one table of base across the refresh and base's end. */
	if (base->nkeyspaces > 0 && base->keyspaces[0]->ntables > 0)
		held = table_meta_ref(base->keyspaces[0]->tables[0]);
	next = schema_refresh(base, tg, l, &cause);
	if (next == NULL) {
		if (cause == NULL)
			fail("refresh refused without a cause", NULL, NULL);
		next = schema_ref(base);
	}
	schema_free(base);
	walk(next);
	dropped = schema_drop(next, tg);
	if (dropped != NULL) {
		walk(dropped);
		if (tg->kind == SCHEMA_TARGET_KEYSPACE && tg->keyspace != NULL &&
		    schema_keyspace(dropped, tg->keyspace) != NULL)
			fail("dropped keyspace still there", tg->keyspace,
			    NULL);
		schema_free(dropped);
	}
	schema_free(next);
	if (held != NULL) {
		if (held->name == NULL || held->keyspace == NULL)
			fail("held table lost its names", NULL, NULL);
		table_meta_unref(held);
	}
}

/* The generator form. */
static void
fuzz_generated(struct fdp *f)
{
	struct schema_load	*l;
	struct schema		*base;
	struct schema_target	 tg;
	struct wbuf		 frame;
	struct msg		 m;
	const char		*cause = NULL, *args[3];
	unsigned int		 src, pages, round;
	uint8_t			 flags = fdp_u8(f), b;
	size_t			 i;

	for (round = 0; round < 2; round++) {
		l = schema_load_new();
		/* The recorded keyspaces are slow to load: one input in 8. */
		if (round == 0 && flags % 8 == 1)
			load_fixture(l);
		else {
			for (src = 0; src < SCHEMA_NSOURCES; src++) {
				b = fdp_u8(f);
				if (b % 8 == 7)
					continue;	/* not queried */
				for (pages = 0; pages < 1U + (b % 8 == 6);
				    pages++) {
					if (gen_page(src, f, &frame, &m) == 0) {
						(void)schema_load_rows(l, src,
						    &m.u.result.rows);
						msg_clear(&m);
					}
					wbuf_free(&frame);
				}
			}
		}
		(void)schema_load_skipped(l);
		(void)schema_load_last_error(l);
		if (round == 0) {
			memset(&tg, 0, sizeof tg);
			tg.kind = SCHEMA_TARGET_ALL;
			base = schema_refresh(NULL, &tg, l, &cause);
			schema_load_free(l);
			if (base == NULL) {
				if (cause == NULL)
					fail("ALL refused without a cause",
					    NULL, NULL);
				base = schema_new();
			}
			walk(base);
			continue;
		}
		memset(&tg, 0, sizeof tg);
		b = fdp_u8(f);
		tg.kind = (enum schema_target_kind)(b % 6);
		if (b & 0x40)
			tg.keyspace = dict_ks[fdp_u8(f) % nitems(dict_ks)];
		if (b & 0x80)
			tg.name = dict_name[fdp_u8(f) % nitems(dict_name)];
		if (b & 0x20) {
			tg.nargs = fdp_u8(f) % (nitems(args) + 1);
			for (i = 0; i < tg.nargs; i++)
				args[i] = dict_type[fdp_u8(f) %
				    nitems(dict_type)];
			tg.args = args;
		}
		apply_target(base, &tg, l);
		schema_load_free(l);
	}
}

/* The raw form: RESULT bodies as a server would send them. */
static void
fuzz_raw(struct fdp *f)
{
	struct schema_load	*l = schema_load_new();
	struct schema		*base;
	struct schema_target	 tg, ev;
	struct frame_header	 h;
	struct msg		 m;
	const uint8_t		*p;
	uint8_t			*body;
	const char		*cause = NULL;
	size_t			 n;
	char			 err[256];
	int			 have_ev = 0, r;
	uint8_t			 src;

	memset(&ev, 0, sizeof ev);
	while (f->n > 0) {
		src = fdp_u8(f);
		n = (size_t)fdp_u8(f) << 8;
		n |= fdp_u8(f);
		n = fdp_bytes(f, &p, n);
		/* Exactly the body: ASan sees any read past it. */
		body = xmalloc(n > 0 ? n : 1);
		memcpy(body, p, n);
		memset(&h, 0, sizeof h);
		h.version = PROTO_V4;
		h.response = 1;
		h.opcode = OP_RESULT;
		h.length = (uint32_t)n;
		if (msg_decode(PROTO_V4, &h, body, n, &m, err,
		    sizeof err) == 0) {
			if (m.u.result.kind == RESULT_ROWS) {
				r = schema_load_rows(l,
				    (enum schema_source)(src % 16),
				    &m.u.result.rows);
				/* For checking seeds: FUZZ_VERBOSE=1. */
				if (getenv("FUZZ_VERBOSE") != NULL)
					fprintf(stderr, "source %u: %d rows "
					    "(%s)\n", src % 16, r,
					    schema_load_last_error(l) ?
					    schema_load_last_error(l) : "-");
			}
			else if (m.u.result.kind == RESULT_SCHEMA_CHANGE &&
			    !have_ev) {
				r = schema_target_from_event(&ev,
				    &m.u.result.schema);
				if (r >= 0)
					have_ev = 1;
				else
					schema_target_clear(&ev);
			}
			msg_clear(&m);
		} else if (getenv("FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "record: %s\n", err);
		free(body);
	}
	memset(&tg, 0, sizeof tg);
	tg.kind = SCHEMA_TARGET_ALL;
	base = schema_refresh(NULL, &tg, l, &cause);
	if (base == NULL) {
		if (cause == NULL)
			fail("ALL refused without a cause", NULL, NULL);
		base = schema_new();
	}
	walk(base);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%zu keyspaces, event %d\n", base->nkeyspaces,
		    have_ev);
	if (have_ev) {
		apply_target(base, &ev, l);
		schema_target_clear(&ev);
	} else
		schema_free(base);
	schema_load_free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp	f = { data, size };

	if (size > 0 && data[0] == 'R') {
		f.p++;
		f.n--;
		fuzz_raw(&f);
	} else
		fuzz_generated(&f);
	return (0);
}
