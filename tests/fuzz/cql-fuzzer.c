/*
 * cql-fuzzer.c: libFuzzer harness for cqlmock's CQL engine
 * (tests/mock/engine): the mock must survive whatever a client sends it,
 * since tests point real drivers and our daemon's mistakes at it.
 *
 * Input: CQL statements, one per line, then optionally a NUL byte and
 * binary "value" bytes. On a database with one node, each line is
 *  - parsed alone (parse_statement_n) and executed as text, walking up to
 *    a few pages when the result has more;
 *  - prepared and, when that works, executed with bind values read from
 *    the value bytes ([u8 length] then that many bytes; 255 is null, 254
 *    unset), and once with a paging state taken from them;
 * and at the end every line goes into one protocol BATCH. Rows must come
 * back with as many cells as columns, each valid for its column's type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "db.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_LINES	16	/* statements per input */
#define FUZZ_MAX_PAGES	4
#define FUZZ_MAX_VARS	32

/* The value bytes, consumed as bind values go out. */
struct vals {
	const uint8_t	*p;
	size_t		 n;
};

static int64_t
fuzz_clock(void *arg)
{
	return (1700000000LL * 1000000);
}

static void __attribute__((__noreturn__))
fail(const char *what, const char *cql, size_t len)
{
	fprintf(stderr, "cql-fuzzer: %s: %.*s\n", what, (int)len, cql);
	abort();
}

/* A result must be consistent with its own metadata. */
static void
check_result(const struct db_result *r, const char *cql, size_t len)
{
	const struct db_cell	*c;
	size_t			 i, col;
	char			 err[256];

	switch (r->kind) {
	case DB_RESULT_ERROR:
		if (r->err_msg == NULL)
			fail("error without a message", cql, len);
		break;
	case DB_RESULT_ROWS:
		if (r->nrows > 0 && (r->cells == NULL || r->ncols == 0))
			fail("rows without cells or columns", cql, len);
		for (i = 0; i < r->nrows * r->ncols; i++) {
			c = &r->cells[i];
			col = i % r->ncols;
			if (r->cols[col].type == NULL)
				fail("column without a type", cql, len);
			if (c->null)
				continue;
			if (cqlval_validate(r->cols[col].type, c->p, c->n,
			    err, sizeof err) != 0) {
				fprintf(stderr, "cql-fuzzer: column %s: %s\n",
				    r->cols[col].name, err);
				fail("a cell invalid for its column's type",
				    cql, len);
			}
		}
		if (r->has_more && r->paging_state == NULL)
			fail("more pages without a paging state", cql, len);
		break;
	case DB_RESULT_SET_KEYSPACE:
		if (r->keyspace == NULL)
			fail("USE without a keyspace", cql, len);
		break;
	default:
		break;
	}
}

/* Bind values for n markers, from the value bytes. */
static size_t
take_values(struct vals *vs, struct bytesval *out, size_t n)
{
	size_t	i, len;

	for (i = 0; i < n && i < FUZZ_MAX_VARS; i++) {
		memset(&out[i], 0, sizeof out[i]);
		if (vs->n == 0) {
			out[i].state = BYTES_NULL;
			continue;
		}
		len = vs->p[0];
		vs->p++;
		vs->n--;
		if (len == 255) {
			out[i].state = BYTES_NULL;
			continue;
		}
		if (len == 254) {
			out[i].state = BYTES_UNSET;
			continue;
		}
		if (len > vs->n)
			len = vs->n;
		out[i].state = BYTES_VALUE;
		out[i].v.p = vs->p;
		out[i].v.n = len;
		vs->p += len;
		vs->n -= len;
	}
	return (i);
}

/* Run a statement and walk its pages; keeps the session keyspace. */
static void
run_text(struct db *db, char **ks, const char *cql, size_t len)
{
	struct db_result	 r;
	struct db_opts		 o;
	uint8_t			*state = NULL;
	size_t			 statelen = 0;
	int			 page;

	for (page = 0; page < FUZZ_MAX_PAGES; page++) {
		memset(&o, 0, sizeof o);
		o.page_size = 3;
		o.paging_state = state;
		o.paging_state_len = statelen;
		db_execute_len(db, 0, *ks, cql, len, NULL, &o, &r);
		check_result(&r, cql, len);
		free(state);
		state = NULL;
		if (r.kind == DB_RESULT_SET_KEYSPACE) {
			free(*ks);
			*ks = xstrdup(r.keyspace);
		}
		if (r.kind != DB_RESULT_ROWS || !r.has_more) {
			db_result_clear(&r);
			break;
		}
		state = xmemdup(r.paging_state, r.paging_state_len);
		statelen = r.paging_state_len;
		db_result_clear(&r);
	}
	free(state);
}

/* Prepare, then execute with values and with a made-up paging state. */
static void
run_prepared(struct db *db, const char *ks, const char *cql, size_t len,
    struct vals *vs)
{
	struct db_result	 p, r;
	struct db_values	 dv;
	struct db_opts		 o;
	struct bytesval		 v[FUZZ_MAX_VARS];
	size_t			 i;

	db_prepare_len(db, 0, ks, cql, len, &p);
	check_result(&p, cql, len);
	if (p.kind != DB_RESULT_PREPARED) {
		db_result_clear(&p);
		return;
	}
	for (i = 0; i < p.npk_indexes; i++) {
		if (p.pk_indexes[i] >= p.nvars)
			fail("partition key index past the variables", cql,
			    len);
	}
	memset(&dv, 0, sizeof dv);
	dv.v = v;
	dv.n = take_values(vs, v, p.nvars);
	memset(&o, 0, sizeof o);
	o.page_size = 2;
	db_execute_prepared(db, 0, p.handle, &dv, &o, &r);
	check_result(&r, cql, len);
	db_result_clear(&r);

	/* A paging state is the client's to send back: any bytes. */
	if (vs->n > 0) {
		o.paging_state = vs->p;
		o.paging_state_len = vs->n > 64 ? 64 : vs->n;
		db_execute_prepared(db, 0, p.handle, &dv, &o, &r);
		check_result(&r, cql, len);
		db_result_clear(&r);
	}
	db_result_clear(&p);
}

/*
 * Building a database boots its system tables through the parser, which
 * costs more than most inputs; so one database serves many inputs, each
 * ending with its keyspaces dropped, and is rebuilt every FUZZ_DB_RUNS
 * inputs (FUZZ_CQL_FRESH=1 in the environment: a new one for every
 * input). A reproducer given alone always runs on a fresh database.
 */
#define FUZZ_DB_RUNS	256

static struct db *
fuzz_db(void)
{
	static struct db	*db;
	static int		 runs, fresh = -1;
	struct db_node		 node;
	int64_t			 tokens[2] = { -3000000000000000000LL,
				    3000000000000000000LL };

	if (fresh == -1)
		fresh = getenv("FUZZ_CQL_FRESH") != NULL;
	if (db != NULL && (fresh || ++runs >= FUZZ_DB_RUNS)) {
		db_free(db);
		db = NULL;
	}
	if (db == NULL) {
		runs = 0;
		db = db_new("fuzz");
		db_set_clock(db, fuzz_clock, NULL);
		memset(&node, 0, sizeof node);
		node.address = "127.0.0.1";
		node.host_id[0] = 1;
		node.tokens = tokens;
		node.ntokens = 2;
		node.up = 1;
		if (db_node_set(db, 0, &node) != 0)
			abort();
	}
	return (db);
}

/* Drop every keyspace an input made. */
static void
fuzz_db_reset(struct db *db)
{
	struct db_result	 r, d;
	struct wbuf		 w;
	const struct db_cell	*c;
	size_t			 i, j;

	db_execute(db, 0, NULL, "SELECT keyspace_name FROM "
	    "system_schema.keyspaces", NULL, NULL, &r);
	if (r.kind != DB_RESULT_ROWS || r.ncols != 1)
		fail("cannot list keyspaces", "", 0);
	for (i = 0; i < r.nrows; i++) {
		c = &r.cells[i];
		if (c->null || (c->n >= 6 && memcmp(c->p, "system", 6) == 0))
			continue;
		wbuf_init(&w, 1 << 20);
		wbuf_raw(&w, "DROP KEYSPACE \"", 15);
		for (j = 0; j < c->n; j++) {
			wbuf_u8(&w, c->p[j]);
			if (c->p[j] == '"')
				wbuf_u8(&w, '"');
		}
		wbuf_u8(&w, '"');
		db_execute_len(db, 0, NULL, (const char *)w.p, w.len, NULL,
		    NULL, &d);
		if (d.kind == DB_RESULT_ERROR)
			fail("cannot drop a keyspace", (const char *)w.p,
			    w.len);
		db_result_clear(&d);
		wbuf_free(&w);
	}
	db_result_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db		*db;
	struct db_result	 r;
	struct db_batch_stmt	 b[FUZZ_MAX_LINES];
	struct stmt		*st;
	struct vals		 vs;
	const char		*text = (const char *)data, *line, *nl;
	const uint8_t		*nul;
	char			*copy, *err, *ks;
	size_t			 tlen, len, nb = 0;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		tlen = (size_t)(nul - data);
		vs.p = nul + 1;
		vs.n = size - tlen - 1;
	} else {
		tlen = size;
		vs.p = NULL;
		vs.n = 0;
	}

	db = fuzz_db();
	ks = NULL;
	for (line = text; line < text + tlen && nb < FUZZ_MAX_LINES;
	    line = nl + 1) {
		if ((nl = memchr(line, '\n', text + tlen - line)) == NULL)
			nl = text + tlen;
		len = (size_t)(nl - line);
		if (len == 0)
			continue;
		/* Exactly the statement's bytes: ASan sees overreads. */
		copy = xmalloc(len);
		memcpy(copy, line, len);

		err = NULL;
		st = parse_statement_n(copy, len, &err);
		if (st == NULL && err == NULL)
			fail("parse failed without a message", copy, len);
		stmt_free(st);
		free(err);

		run_text(db, &ks, copy, len);
		run_prepared(db, ks, copy, len, &vs);

		memset(&b[nb], 0, sizeof b[nb]);
		b[nb].cql = copy;
		b[nb].cql_len = len;
		nb++;
	}

	if (nb > 0) {
		db_batch(db, 0, ks, DB_BATCH_UNLOGGED, b, nb, NULL, &r);
		check_result(&r, "(batch)", 7);
		db_result_clear(&r);
	}
	while (nb > 0)
		free((char *)(uintptr_t)b[--nb].cql);
	free(ks);
	fuzz_db_reset(db);
	return (0);
}
