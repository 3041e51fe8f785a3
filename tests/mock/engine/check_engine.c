/*
 * check_engine.c: cqlmock's CQL engine, statement by statement: parsing,
 * every type by literal and by bound value, collections, clustering order
 * and ranges, paging, system tables, replicas, LWT and TTL expiry.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "db.h"
#include "engine.h"

static int64_t	fake_now = 1700000000LL * 1000000;

static int64_t
fake_clock(void *arg)
{
	return (fake_now);
}

static struct db *
mkdb(void)
{
	struct db	*db = db_new("testcluster");
	struct db_node	 n;
	int64_t		 toks[3][2] = { { -6000000000000000000LL, 1000 },
	    { -3000000000000000000LL, 3000000000000000000LL },
	    { 0, 6000000000000000000LL } };
	char		 addr[32];
	int		 i;

	db_set_clock(db, fake_clock, NULL);
	for (i = 0; i < 3; i++) {
		memset(&n, 0, sizeof n);
		snprintf(addr, sizeof addr, "127.0.0.%d", i + 1);
		n.address = addr;
		n.host_id[0] = i + 1;
		n.tokens = toks[i];
		n.ntokens = 2;
		n.native_port = 9042;
		n.up = 1;
		ck_assert_int_eq(db_node_set(db, i, &n), 0);
	}
	return (db);
}

static void
run(struct db *db, const char *ks, const char *cql, struct db_result *r)
{
	db_execute(db, 0, ks, cql, NULL, NULL, r);
}

static void
ok(struct db *db, const char *ks, const char *cql)
{
	struct db_result	r;

	run(db, ks, cql, &r);
	if (r.kind == DB_RESULT_ERROR)
		ck_abort_msg("%s: %s", cql, r.err_msg);
	db_result_clear(&r);
}

static void
fails(struct db *db, const char *ks, const char *cql, uint32_t code)
{
	struct db_result	r;

	run(db, ks, cql, &r);
	ck_assert_msg(r.kind == DB_RESULT_ERROR, "%s succeeded", cql);
	ck_assert_msg(r.err_code == code, "%s: code %x want %x (%s)", cql,
	    r.err_code, code, r.err_msg);
	db_result_clear(&r);
}

static void
rows(struct db *db, const char *ks, const char *cql, struct db_result *r)
{
	run(db, ks, cql, r);
	if (r->kind != DB_RESULT_ROWS)
		ck_abort_msg("%s: %s", cql, r->err_msg != NULL ? r->err_msg :
		    "not rows");
}

static int64_t
cell_int(struct db_result *r, size_t row, size_t col)
{
	struct db_cell	*c = &r->cells[row * r->ncols + col];
	int64_t		 v = 0;
	size_t		 i;

	ck_assert(!c->null);
	if (c->n > 0 && (c->p[0] & 0x80))
		v = -1;
	for (i = 0; i < c->n; i++)
		v = (int64_t)(((uint64_t)v << 8) | c->p[i]);
	return (v);
}

static int
cell_is(struct db_result *r, size_t row, size_t col, const char *s)
{
	struct db_cell	*c = &r->cells[row * r->ncols + col];

	return (!c->null && c->n == strlen(s) && memcmp(c->p, s, c->n) == 0);
}

static struct db *
mkks(void)
{
	struct db	*db = mkdb();

	ok(db, NULL, "CREATE KEYSPACE ks WITH replication = "
	    "{'class': 'SimpleStrategy', 'replication_factor': 2}");
	return (db);
}

static const char *good[] = {
	"SELECT * FROM t",
	"select a, b AS x, COUNT(*), token(k), writetime(v), ttl(v) "
	    "FROM ks.t WHERE k = ? AND c > 3 ORDER BY c DESC LIMIT 10 "
	    "ALLOW FILTERING;",
	"SELECT DISTINCT k FROM t WHERE token(k) > -5 PER PARTITION "
	    "LIMIT 2",
	"SELECT JSON * FROM \"Quoted\".\"Table\" WHERE (a, b) >= (1, 2)",
	"SELECT * FROM t WHERE k IN (1, 2, 3) AND c IN ?",
	"INSERT INTO t (k, v) VALUES (:k, 'it''s') IF NOT EXISTS "
	    "USING TTL 10 AND TIMESTAMP 123",
	"INSERT INTO t (k, m, s, l, tu, u, b, d) VALUES (1, {'a': 1}, "
	    "{1, 2}, [1, 2], (1, 'x'), {f: 1, g: 'y'}, 0xCAFE, "
	    "-1.5e10)",
	"UPDATE t USING TTL 5 SET v = v + 1, l = [0] + l, m['k'] = 2, "
	    "s = s - {3}, u.f = 2 WHERE k = 1 IF EXISTS",
	"UPDATE t SET c = c -1 WHERE k = 1 IF v = 3 AND m['x'] = 'y'",
	"DELETE m['a'], v FROM t USING TIMESTAMP 5 WHERE k = 1 AND "
	    "c >= 2",
	"BEGIN UNLOGGED BATCH INSERT INTO t (k) VALUES (1); "
	    "DELETE FROM t WHERE k = 2; APPLY BATCH",
	"CREATE KEYSPACE IF NOT EXISTS k WITH replication = {'class': "
	    "'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = "
	    "false",
	"CREATE TABLE IF NOT EXISTS k.t (a int, b text, c "
	    "frozen<map<text, list<int>>>, d vector<float, 3>, s int "
	    "static, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY "
	    "(c DESC) AND comment = 'x' AND compaction = {'class': "
	    "'LeveledCompactionStrategy'}",
	"CREATE TABLE t (k int PRIMARY KEY, v text) -- comment",
	"CREATE TYPE k.addr (street text, nums list<int>)",
	"CREATE INDEX ON t (v)",
	"CREATE INDEX IF NOT EXISTS i ON k.t (keys(m))",
	"ALTER TABLE t ADD x int", "ALTER TABLE t DROP x",
	"ALTER TABLE t WITH gc_grace_seconds = 5",
	"DROP TABLE IF EXISTS t", "DROP KEYSPACE k", "DROP TYPE t",
	"DROP INDEX k.i", "TRUNCATE TABLE t", "TRUNCATE t",
	"USE \"MyKs\"", "/* c */ SELECT * FROM t // x",
	"SELECT * FROM t WHERE s CONTAINS 1 AND m CONTAINS KEY 'a'",
	"INSERT INTO t (k, v) VALUES (now(), $$dollar 'quoted'$$)",
	"INSERT INTO t (k, d, u) VALUES (1, 1h30m, "
	    "62c36092-82a1-3a00-93d1-46196ee77204)",
};

START_TEST(test_parser)
{
	static const char	*bad[] = {
		"SELECT FROM t", "SELEC * FROM t", "SELECT * FROM",
		"INSERT INTO t (a, b) VALUES (1)", "SELECT * FROM t WHERE",
		"CREATE TABLE t (k int PRIMARY KEY", "UPDATE t SET WHERE k = 1",
		"SELECT * FROM t LIMIT", "DROP", "'unterminated",
		"SELECT * FROM t WHERE k = 1 AND", "BEGIN BATCH SELECT * FROM t "
		    "APPLY BATCH", "SELECT * FROM t; SELECT * FROM t", "",
	};
	struct stmt	*s;
	char		*err;
	size_t		 i;

	for (i = 0; i < nitems(good); i++) {
		s = parse_statement(good[i], &err);
		ck_assert_msg(s != NULL, "%s: %s", good[i], err);
		stmt_free(s);
	}
	for (i = 0; i < nitems(bad); i++) {
		s = parse_statement(bad[i], &err);
		ck_assert_msg(s == NULL, "parsed: %s", bad[i]);
		ck_assert_msg(strncmp(err, "line ", 5) == 0 ||
		    strstr(err, "Unmatched") != NULL, "%s: %s", bad[i], err);
		free(err);
	}
	/* syntax errors come back as SyntaxError with a line:column */
	{
		struct db		*db = mkdb();
		struct db_result	 r;

		run(db, NULL, "SELECT * FRM t", &r);
		ck_assert_int_eq(r.kind, DB_RESULT_ERROR);
		ck_assert_int_eq(r.err_code, DB_ERR_SYNTAX);
		ck_assert(strstr(r.err_msg, "line 1:") != NULL);
		db_result_clear(&r);
		db_free(db);
	}
}
END_TEST

/* Every type: a literal, its serialized form, and back by bound value. */
START_TEST(test_types)
{
	static const struct {
		const char	*type;
		const char	*lit;
		const char	*hex;
	} cases[] = {
		{ "ascii", "'abc'", "616263" },
		{ "bigint", "-2", "fffffffffffffffe" },
		{ "blob", "0xCAfe01", "cafe01" },
		{ "boolean", "true", "01" },
		{ "date", "'1970-01-02'", "80000001" },
		{ "decimal", "1.25", "00000002" "7d" },
		{ "double", "1.5", "3ff8000000000000" },
		{ "duration", "1h", "0000fc068c61714000" },
		{ "float", "-2.0", "c0000000" },
		{ "inet", "'127.0.0.1'", "7f000001" },
		{ "int", "42", "0000002a" },
		{ "smallint", "-1", "ffff" },
		{ "text", "'naïve'", "6e61c3af7665" },
		{ "varchar", "''", "" },
		{ "time", "'00:00:01'", "000000003b9aca00" },
		{ "timestamp", "0", "0000000000000000" },
		{ "timeuuid", "50554d6e-29bb-11e5-b345-feff819cdc9f",
		    "50554d6e29bb11e5b345feff819cdc9f" },
		{ "tinyint", "127", "7f" },
		{ "uuid", "62c36092-82a1-3a00-93d1-46196ee77204",
		    "62c3609282a13a0093d146196ee77204" },
		{ "varint", "256", "0100" },
		{ "list<int>", "[1, 2]", "00000002" "00000004" "00000001"
		    "00000004" "00000002" },
		{ "set<text>", "{'b', 'a', 'b'}", "00000002" "00000001" "61"
		    "00000001" "62" },
		{ "map<text, int>", "{'z': 1, 'a': 2}", "00000002" "00000001"
		    "61" "00000004" "00000002" "00000001" "7a" "00000004"
		    "00000001" },
		{ "frozen<tuple<int, text>>", "(1, 'x')", "00000004" "00000001"
		    "00000001" "78" },
		{ "frozen<list<frozen<set<int>>>>", "[{2, 1}]", "00000001"
		    "00000014" "00000002" "00000004" "00000001" "00000004"
		    "00000002" },
		{ "vector<float, 2>", "[1.0, 2.0]", "3f800000" "40000000" },
		{ "frozen<addr>", "{street: 'x', zip: 7}", "00000001" "78"
		    "00000004" "00000007" },
		{ "addr", "{zip: 7}", "ffffffff" "00000004" "00000007" },
	};
	struct db		*db = mkks();
	struct db_result	 r, r2;
	struct bytesval		 bv[2];
	struct db_values	 vals;
	char			 cql[512];
	size_t			 i, k;

	ok(db, "ks", "CREATE TYPE addr (street text, zip int)");
	for (i = 0; i < nitems(cases); i++) {
		char	*hex;

		snprintf(cql, sizeof cql, "CREATE TABLE t%zu (k int PRIMARY "
		    "KEY, v %s)", i, cases[i].type);
		ok(db, "ks", cql);
		snprintf(cql, sizeof cql, "INSERT INTO t%zu (k, v) VALUES (1, "
		    "%s)", i, cases[i].lit);
		ok(db, "ks", cql);
		snprintf(cql, sizeof cql, "SELECT v FROM t%zu WHERE k = 1", i);
		rows(db, "ks", cql, &r);
		ck_assert_uint_eq(r.nrows, 1);
		ck_assert_msg(!r.cells[0].null, "%s null", cases[i].type);
		hex = xcalloc(1, 2 * r.cells[0].n + 1);
		for (k = 0; k < r.cells[0].n; k++)
			sprintf(hex + 2 * k, "%02x", r.cells[0].p[k]);
		ck_assert_msg(strcmp(hex, cases[i].hex) == 0, "%s %s: got %s "
		    "want %s", cases[i].type, cases[i].lit, hex, cases[i].hex);
		free(hex);
		/* the same bytes bound to a marker read back unchanged */
		memset(bv, 0, sizeof bv);
		bv[0].state = BYTES_VALUE;
		bv[0].v.p = (const uint8_t *)"\0\0\0\2";
		bv[0].v.n = 4;
		bv[1].state = BYTES_VALUE;
		bv[1].v.p = r.cells[0].p;
		bv[1].v.n = r.cells[0].n;
		vals.v = bv;
		vals.names = NULL;
		vals.n = 2;
		snprintf(cql, sizeof cql, "INSERT INTO t%zu (k, v) VALUES (?, ?)",
		    i);
		db_execute(db, 0, "ks", cql, &vals, NULL, &r2);
		ck_assert_msg(r2.kind == DB_RESULT_VOID, "%s: %s",
		    cases[i].type, r2.err_msg);
		db_result_clear(&r2);
		snprintf(cql, sizeof cql, "SELECT v FROM t%zu WHERE k = 2", i);
		rows(db, "ks", cql, &r2);
		ck_assert_uint_eq(r2.nrows, 1);
		ck_assert_uint_eq(r2.cells[0].n, r.cells[0].n);
		ck_assert(r.cells[0].n == 0 ||
		    memcmp(r2.cells[0].p, r.cells[0].p, r.cells[0].n) == 0);
		/* and the column's type is the declared one */
		{
			char	*tn = cqltype_format(r2.cols[0].type);
			char	*want = cqltype_format(r.cols[0].type);

			ck_assert_str_eq(tn, want);
			free(tn);
			free(want);
		}
		db_result_clear(&r);
		db_result_clear(&r2);
	}
	/* a bound value of the wrong size is refused */
	bv[0].state = BYTES_VALUE;
	bv[0].v.p = (const uint8_t *)"\0\0\2";
	bv[0].v.n = 3;
	vals.v = bv;
	vals.n = 1;
	db_execute(db, 0, "ks", "SELECT * FROM t0 WHERE k = ?", &vals, NULL,
	    &r);
	ck_assert_int_eq(r.err_code, DB_ERR_INVALID);
	db_result_clear(&r);
	fails(db, "ks", "INSERT INTO t10 (k, v) VALUES (1, 'x')",
	    DB_ERR_INVALID);
	fails(db, "ks", "INSERT INTO t10 (k, v) VALUES (1, 9999999999)",
	    DB_ERR_INVALID);
	db_free(db);
}
END_TEST

static void
same(struct db *db, const char *table, const char *col, int k1, int k2)
{
	struct db_result	a, b;
	char			cql[256];

	snprintf(cql, sizeof cql, "SELECT %s FROM %s WHERE k = %d", col,
	    table, k1);
	rows(db, "ks", cql, &a);
	snprintf(cql, sizeof cql, "SELECT %s FROM %s WHERE k = %d", col,
	    table, k2);
	rows(db, "ks", cql, &b);
	ck_assert_uint_eq(a.nrows, 1);
	ck_assert_uint_eq(b.nrows, 1);
	ck_assert_msg(a.cells[0].null == b.cells[0].null &&
	    a.cells[0].n == b.cells[0].n && (a.cells[0].n == 0 ||
	    memcmp(a.cells[0].p, b.cells[0].p, a.cells[0].n) == 0),
	    "%s differs between k=%d and k=%d", col, k1, k2);
	db_result_clear(&a);
	db_result_clear(&b);
}

START_TEST(test_collections)
{
	struct db		*db = mkks();
	struct db_result	 r;

	ok(db, "ks", "CREATE TABLE c (k int PRIMARY KEY, l list<int>, "
	    "s set<int>, m map<text, int>)");
	ok(db, "ks", "INSERT INTO c (k, l, s, m) VALUES (1, [1, 2], {5, 1}, "
	    "{'b': 2})");
	ok(db, "ks", "UPDATE c SET l = l + [3], s = s + {3, 9}, "
	    "m = m + {'a': 1} WHERE k = 1");
	ok(db, "ks", "UPDATE c SET l = [0] + l, s = s - {5}, m['c'] = 3 "
	    "WHERE k = 1");
	ok(db, "ks", "UPDATE c SET l[1] = 7 WHERE k = 1");
	ok(db, "ks", "DELETE m['b'] FROM c WHERE k = 1");
	ok(db, "ks", "UPDATE c SET l = l - [3] WHERE k = 1");
	ok(db, "ks", "INSERT INTO c (k, l, s, m) VALUES (2, [0, 7, 2], "
	    "{1, 3, 9}, {'a': 1, 'c': 3})");
	same(db, "c", "l", 1, 2);
	same(db, "c", "s", 1, 2);
	same(db, "c", "m", 1, 2);
	fails(db, "ks", "UPDATE c SET l[10] = 1 WHERE k = 1", DB_ERR_INVALID);
	/* emptying a collection deletes it */
	ok(db, "ks", "UPDATE c SET s = s - {1, 3, 9} WHERE k = 1");
	rows(db, "ks", "SELECT s FROM c WHERE k = 1", &r);
	ck_assert(r.cells[0].null);
	db_result_clear(&r);
	/* CONTAINS needs filtering, then finds the row */
	fails(db, "ks", "SELECT * FROM c WHERE m CONTAINS KEY 'c'",
	    DB_ERR_INVALID);
	rows(db, "ks", "SELECT k FROM c WHERE m CONTAINS KEY 'c' AND "
	    "l CONTAINS 7 ALLOW FILTERING", &r);
	ck_assert_uint_eq(r.nrows, 2);
	db_result_clear(&r);
	/* counters */
	ok(db, "ks", "CREATE TABLE n (k int PRIMARY KEY, c counter)");
	ok(db, "ks", "UPDATE n SET c = c + 5 WHERE k = 1");
	ok(db, "ks", "UPDATE n SET c = c -2 WHERE k = 1");
	rows(db, "ks", "SELECT c FROM n WHERE k = 1", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 3);
	db_result_clear(&r);
	fails(db, "ks", "INSERT INTO n (k, c) VALUES (1, 1)", DB_ERR_INVALID);
	fails(db, "ks", "UPDATE n SET c = 1 WHERE k = 1", DB_ERR_INVALID);
	db_free(db);
}
END_TEST

START_TEST(test_clustering)
{
	struct db		*db = mkks();
	struct db_result	 r;
	char			 cql[128];
	int			 i, j;

	ok(db, "ks", "CREATE TABLE o (k int, c int, d text, v int, "
	    "PRIMARY KEY (k, c, d)) WITH CLUSTERING ORDER BY (c DESC, d ASC)");
	for (i = 0; i < 10; i++) {
		for (j = 0; j < 2; j++) {
			snprintf(cql, sizeof cql, "INSERT INTO o (k, c, d, v) "
			    "VALUES (1, %d, '%c', %d)", i, 'a' + j, i * 10 + j);
			ok(db, "ks", cql);
		}
	}
	rows(db, "ks", "SELECT c, d FROM o WHERE k = 1", &r);
	ck_assert_uint_eq(r.nrows, 20);
	ck_assert_int_eq(cell_int(&r, 0, 0), 9);
	ck_assert(cell_is(&r, 0, 1, "a"));
	ck_assert(cell_is(&r, 1, 1, "b"));
	ck_assert_int_eq(cell_int(&r, 19, 0), 0);
	db_result_clear(&r);
	rows(db, "ks", "SELECT c FROM o WHERE k = 1 AND c > 3 AND c <= 7",
	    &r);
	ck_assert_uint_eq(r.nrows, 8);
	ck_assert_int_eq(cell_int(&r, 0, 0), 7);
	ck_assert_int_eq(cell_int(&r, 7, 0), 4);
	db_result_clear(&r);
	rows(db, "ks", "SELECT c, d FROM o WHERE k = 1 ORDER BY c ASC, d DESC "
	    "LIMIT 3", &r);
	ck_assert_uint_eq(r.nrows, 3);
	ck_assert_int_eq(cell_int(&r, 0, 0), 0);
	ck_assert(cell_is(&r, 0, 1, "b"));
	db_result_clear(&r);
	rows(db, "ks", "SELECT c, d FROM o WHERE k = 1 AND c = 5 AND d >= 'b'",
	    &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	rows(db, "ks", "SELECT c, d FROM o WHERE k = 1 AND (c, d) < (5, 'b') "
	    "AND (c) >= (4)", &r);
	ck_assert_uint_eq(r.nrows, 3);
	db_result_clear(&r);
	rows(db, "ks", "SELECT count(*), max(v), min(v) FROM o WHERE k = 1",
	    &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 20);
	ck_assert_int_eq(cell_int(&r, 0, 1), 91);
	ck_assert_int_eq(cell_int(&r, 0, 2), 0);
	db_result_clear(&r);
	fails(db, "ks", "SELECT * FROM o WHERE k = 1 AND d = 'a'",
	    DB_ERR_INVALID);
	fails(db, "ks", "SELECT * FROM o WHERE v = 3", DB_ERR_INVALID);
	rows(db, "ks", "SELECT * FROM o WHERE v = 31 ALLOW FILTERING", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	ok(db, "ks", "CREATE INDEX ON o (v)");
	rows(db, "ks", "SELECT * FROM o WHERE v = 31", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	/* range deletion, then the partition's row count */
	ok(db, "ks", "DELETE FROM o WHERE k = 1 AND c >= 5");
	rows(db, "ks", "SELECT count(*) FROM o WHERE k = 1", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 10);
	db_result_clear(&r);
	/* static columns live per partition */
	ok(db, "ks", "CREATE TABLE st (k int, c int, s text static, v int, "
	    "PRIMARY KEY (k, c))");
	ok(db, "ks", "INSERT INTO st (k, s) VALUES (1, 'only')");
	rows(db, "ks", "SELECT k, c, s FROM st", &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(r.cells[1].null);
	ck_assert(cell_is(&r, 0, 2, "only"));
	db_result_clear(&r);
	ok(db, "ks", "INSERT INTO st (k, c, v) VALUES (1, 1, 1)");
	ok(db, "ks", "INSERT INTO st (k, c, v) VALUES (1, 2, 2)");
	rows(db, "ks", "SELECT s FROM st WHERE k = 1", &r);
	ck_assert_uint_eq(r.nrows, 2);
	ck_assert(cell_is(&r, 1, 0, "only"));
	db_result_clear(&r);
	db_free(db);
}
END_TEST

START_TEST(test_paging)
{
	struct db		*db = mkks();
	struct db_result	 r;
	struct db_opts		 o;
	uint8_t			 seen[20][50];
	uint8_t			*state = NULL;
	size_t			 statelen = 0, i, total = 0, pages = 0;
	char			 cql[128];
	int			 k, c;

	ok(db, "ks", "CREATE TABLE p (k int, c int, v int, PRIMARY KEY (k, c))");
	for (k = 0; k < 20; k++) {
		for (c = 0; c < 50; c++) {
			snprintf(cql, sizeof cql, "INSERT INTO p (k, c, v) "
			    "VALUES (%d, %d, 0)", k, c);
			ok(db, "ks", cql);
		}
	}
	memset(seen, 0, sizeof seen);
	for (;;) {
		memset(&o, 0, sizeof o);
		o.page_size = 100;
		o.paging_state = state;
		o.paging_state_len = statelen;
		db_execute(db, 0, "ks", "SELECT k, c FROM p", NULL, &o, &r);
		ck_assert_int_eq(r.kind, DB_RESULT_ROWS);
		ck_assert_uint_eq(r.nrows, 100);
		pages++;
		for (i = 0; i < r.nrows; i++) {
			k = cell_int(&r, i, 0);
			c = cell_int(&r, i, 1);
			ck_assert(k >= 0 && k < 20 && c >= 0 && c < 50);
			ck_assert_msg(seen[k][c] == 0, "row %d,%d twice", k, c);
			seen[k][c] = 1;
			total++;
		}
		free(state);
		state = NULL;
		if (pages == 3) {
			/* writes between pages do not disturb the walk */
			ok(db, "ks", "INSERT INTO p (k, c, v) VALUES (1000, 0, 0)");
			ok(db, "ks", "DELETE FROM p WHERE k = 1000");
		}
		if (!r.has_more) {
			ck_assert(r.paging_state == NULL);
			db_result_clear(&r);
			break;
		}
		state = xmemdup(r.paging_state, r.paging_state_len);
		statelen = r.paging_state_len;
		db_result_clear(&r);
	}
	ck_assert_uint_eq(total, 1000);
	ck_assert_uint_eq(pages, 10);
	/* LIMIT spans pages */
	total = 0;
	pages = 0;
	for (;;) {
		memset(&o, 0, sizeof o);
		o.page_size = 100;
		o.paging_state = state;
		o.paging_state_len = statelen;
		db_execute(db, 0, "ks", "SELECT k FROM p LIMIT 250", NULL, &o,
		    &r);
		ck_assert_int_eq(r.kind, DB_RESULT_ROWS);
		total += r.nrows;
		pages++;
		free(state);
		state = NULL;
		if (!r.has_more) {
			db_result_clear(&r);
			break;
		}
		state = xmemdup(r.paging_state, r.paging_state_len);
		statelen = r.paging_state_len;
		db_result_clear(&r);
	}
	ck_assert_uint_eq(total, 250);
	ck_assert_uint_eq(pages, 3);
	/* a full scan returns partitions in token order */
	rows(db, "ks", "SELECT token(k) FROM p PER PARTITION LIMIT 1", &r);
	ck_assert_uint_eq(r.nrows, 20);
	for (i = 1; i < r.nrows; i++)
		ck_assert(cell_int(&r, i - 1, 0) < cell_int(&r, i, 0));
	db_result_clear(&r);
	/* a corrupt paging state is an error, not a crash */
	memset(&o, 0, sizeof o);
	o.page_size = 10;
	o.paging_state = (const uint8_t *)"\1\2\3";
	o.paging_state_len = 3;
	db_execute(db, 0, "ks", "SELECT k FROM p", NULL, &o, &r);
	ck_assert_int_eq(r.kind, DB_RESULT_ERROR);
	db_result_clear(&r);
	db_free(db);
}
END_TEST

START_TEST(test_schema_rows)
{
	struct db		*db = mkks();
	struct db_result	 r;
	uint8_t			 v1[16], v2[16];
	size_t			 i;
	int			 found = 0;

	db_schema_version(db, v1);
	run(db, "ks", "CREATE TABLE s (a int, b text, c timeuuid, d map<int, "
	    "text>, e int static, PRIMARY KEY ((a, b), c)) WITH CLUSTERING "
	    "ORDER BY (c DESC) AND comment = 'hi' AND default_time_to_live = 9",
	    &r);
	ck_assert_int_eq(r.kind, DB_RESULT_SCHEMA_CHANGE);
	ck_assert_int_eq(r.change, DB_CHANGE_CREATED);
	ck_assert_int_eq(r.target, DB_TARGET_TABLE);
	ck_assert_str_eq(r.keyspace, "ks");
	ck_assert_str_eq(r.name, "s");
	db_result_clear(&r);
	db_schema_version(db, v2);
	ck_assert(memcmp(v1, v2, 16) != 0);
	rows(db, NULL, "SELECT column_name, kind, position, clustering_order, "
	    "type FROM system_schema.columns WHERE keyspace_name = 'ks' AND "
	    "table_name = 's'", &r);
	ck_assert_uint_eq(r.nrows, 5);
	for (i = 0; i < r.nrows; i++) {
		if (cell_is(&r, i, 0, "c")) {
			ck_assert(cell_is(&r, i, 1, "clustering"));
			ck_assert_int_eq(cell_int(&r, i, 2), 0);
			ck_assert(cell_is(&r, i, 3, "desc"));
			ck_assert(cell_is(&r, i, 4, "timeuuid"));
			found++;
		}
		if (cell_is(&r, i, 0, "b")) {
			ck_assert(cell_is(&r, i, 1, "partition_key"));
			ck_assert_int_eq(cell_int(&r, i, 2), 1);
			found++;
		}
		if (cell_is(&r, i, 0, "d")) {
			ck_assert(cell_is(&r, i, 1, "regular"));
			ck_assert_int_eq(cell_int(&r, i, 2), -1);
			ck_assert(cell_is(&r, i, 4, "map<int, text>"));
			found++;
		}
		if (cell_is(&r, i, 0, "e")) {
			ck_assert(cell_is(&r, i, 1, "static"));
			found++;
		}
	}
	ck_assert_int_eq(found, 4);
	db_result_clear(&r);
	rows(db, NULL, "SELECT comment, default_time_to_live FROM "
	    "system_schema.tables WHERE keyspace_name = 'ks' AND table_name = "
	    "'s'", &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(cell_is(&r, 0, 0, "hi"));
	ck_assert_int_eq(cell_int(&r, 0, 1), 9);
	db_result_clear(&r);
	rows(db, NULL, "SELECT replication FROM system_schema.keyspaces WHERE "
	    "keyspace_name = 'ks'", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	ok(db, "ks", "CREATE TYPE pt (x int, y frozen<list<int>>)");
	rows(db, NULL, "SELECT field_names, field_types FROM system_schema.types "
	    "WHERE keyspace_name = 'ks'", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	ok(db, "ks", "CREATE INDEX sidx ON s (e)");
	rows(db, NULL, "SELECT index_name, kind, options FROM "
	    "system_schema.indexes WHERE keyspace_name = 'ks'", &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(cell_is(&r, 0, 0, "sidx"));
	db_result_clear(&r);
	/* system tables are there from the start */
	rows(db, NULL, "SELECT table_name FROM system_schema.tables WHERE "
	    "keyspace_name = 'system'", &r);
	ck_assert_uint_ge(r.nrows, 15);
	db_result_clear(&r);
	run(db, "ks", "DROP TABLE s", &r);
	ck_assert_int_eq(r.kind, DB_RESULT_SCHEMA_CHANGE);
	ck_assert_int_eq(r.change, DB_CHANGE_DROPPED);
	db_result_clear(&r);
	rows(db, NULL, "SELECT * FROM system_schema.columns WHERE "
	    "keyspace_name = 'ks' AND table_name = 's'", &r);
	ck_assert_uint_eq(r.nrows, 0);
	db_result_clear(&r);
	/* errors Cassandra gives */
	run(db, "ks", "CREATE KEYSPACE ks WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 1}", &r);
	ck_assert_int_eq(r.err_code, DB_ERR_ALREADY_EXISTS);
	ck_assert_str_eq(r.err_keyspace, "ks");
	db_result_clear(&r);
	ok(db, "ks", "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = "
	    "{'class': 'SimpleStrategy', 'replication_factor': 1}");
	fails(db, NULL, "CREATE KEYSPACE k2 WITH replication = {'class': "
	    "'SimpleStrategy'}", DB_ERR_CONFIG);
	fails(db, NULL, "CREATE KEYSPACE k2 WITH replication = {'class': "
	    "'Bogus'}", DB_ERR_CONFIG);
	fails(db, NULL, "DROP KEYSPACE nope", DB_ERR_CONFIG);
	fails(db, "ks", "SELECT * FROM nope", DB_ERR_INVALID);
	fails(db, NULL, "SELECT * FROM nope", DB_ERR_INVALID);
	fails(db, "ks", "CREATE TABLE x (a int)", DB_ERR_INVALID);
	fails(db, "ks", "USE nope", DB_ERR_INVALID);
	fails(db, "ks", "CREATE TABLE system.x (a int PRIMARY KEY)",
	    DB_ERR_UNAUTHORIZED);
	run(db, NULL, "USE ks", &r);
	ck_assert_int_eq(r.kind, DB_RESULT_SET_KEYSPACE);
	ck_assert_str_eq(r.keyspace, "ks");
	db_result_clear(&r);
	ok(db, "ks", "CREATE TABLE kv (k text PRIMARY KEY, v int)");
	fails(db, "ks", "INSERT INTO kv (k, v) VALUES ('', 1)", DB_ERR_INVALID);
	fails(db, "ks", "INSERT INTO kv (k, x) VALUES ('a', 1)",
	    DB_ERR_INVALID);
	ok(db, "ks", "ALTER TABLE kv ADD x int");
	ok(db, "ks", "INSERT INTO kv (k, x) VALUES ('a', 1)");
	ok(db, "ks", "ALTER TABLE kv DROP x");
	fails(db, "ks", "SELECT x FROM kv", DB_ERR_INVALID);
	run(db, NULL, "DROP KEYSPACE ks", &r);
	ck_assert_int_eq(r.kind, DB_RESULT_SCHEMA_CHANGE);
	ck_assert_int_eq(r.target, DB_TARGET_KEYSPACE);
	db_result_clear(&r);
	db_free(db);
}
END_TEST

START_TEST(test_local_peers)
{
	struct db		*db = mkdb();
	struct db_result	 r;
	size_t			 i;
	int			 col_rpc = -1, col_tokens = -1, col_port = -1;

	db_execute(db, 1, NULL, "SELECT * FROM system.local WHERE key = 'local'",
	    NULL, NULL, &r);
	ck_assert_int_eq(r.kind, DB_RESULT_ROWS);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert_str_eq(r.cols[0].name, "key");
	for (i = 0; i < r.ncols; i++) {
		if (strcmp(r.cols[i].name, "rpc_address") == 0)
			col_rpc = i;
		if (strcmp(r.cols[i].name, "tokens") == 0)
			col_tokens = i;
	}
	ck_assert(col_rpc >= 0 && col_tokens >= 0);
	ck_assert(memcmp(r.cells[col_rpc].p, "\x7f\0\0\x02", 4) == 0);
	/* tokens set<text>: -3000000000000000000, 3000000000000000000 */
	ck_assert(r.cells[col_tokens].n > 8);
	db_result_clear(&r);
	db_execute(db, 1, NULL, "SELECT peer, rpc_address FROM system.peers",
	    NULL, NULL, &r);
	ck_assert_uint_eq(r.nrows, 2);
	ck_assert(memcmp(r.cells[0].p, "\x7f\0\0\x01", 4) == 0 ||
	    memcmp(r.cells[0].p, "\x7f\0\0\x03", 4) == 0);
	db_result_clear(&r);
	/* a down node stays in peers; a removed one goes */
	db_node_set_up(db, 2, 0);
	db_node_remove(db, 0);
	db_execute(db, 1, NULL, "SELECT * FROM system.peers_v2", NULL, NULL,
	    &r);
	ck_assert_uint_eq(r.nrows, 1);
	for (i = 0; i < r.ncols; i++) {
		if (strcmp(r.cols[i].name, "native_port") == 0)
			col_port = i;
	}
	ck_assert(col_port >= 0);
	ck_assert_int_eq(cell_int(&r, 0, col_port), 9042);
	db_result_clear(&r);
	fails(db, NULL, "INSERT INTO system.local (key) VALUES ('x')",
	    DB_ERR_UNAUTHORIZED);
	fails(db, NULL, "SELECT * FROM system_virtual_schema.keyspaces",
	    DB_ERR_INVALID);
	db_free(db);
}
END_TEST

START_TEST(test_replicas)
{
	struct db	*db = mkdb();
	struct db_node	 n;
	struct db_result r;
	int		 nodes[8], cnt;
	int64_t		 toks[6] = { -300, -200, -100, 0, 100, 200 };
	const char	*racks[6] = { "r1", "r1", "r2", "r1", "r2", "r1" };
	char		 addr[32];
	int		 i;

	ok(db, NULL, "CREATE KEYSPACE s2 WITH replication = {'class': "
	    "'SimpleStrategy', 'replication_factor': 2}");
	/* ring: -6e18(0) -3e18(1) 0(2) 1000(0) 3e18(1) 6e18(2) */
	cnt = db_replicas(db, "s2", 5, nodes, 8);
	ck_assert_int_eq(cnt, 2);
	ck_assert_int_eq(nodes[0], 0);
	ck_assert_int_eq(nodes[1], 1);
	cnt = db_replicas(db, "s2", 7000000000000000000LL, nodes, 8);
	ck_assert_int_eq(cnt, 2);
	ck_assert_int_eq(nodes[0], 0);	/* wraps to the first token */
	ck_assert_int_eq(nodes[1], 1);
	ck_assert_int_eq(db_replicas(db, "nope", 0, nodes, 8), -1);
	ck_assert_int_eq(db_replicas(db, "system", 0, nodes, 8), 0);
	/* six nodes, one token each, two racks in dc1 */
	for (i = 0; i < 3; i++)
		db_node_remove(db, i);
	for (i = 0; i < 6; i++) {
		memset(&n, 0, sizeof n);
		snprintf(addr, sizeof addr, "127.0.0.%d", i + 1);
		n.address = addr;
		n.dc = i < 5 ? "dc1" : "dc2";
		n.rack = racks[i];
		n.tokens = &toks[i];
		n.ntokens = 1;
		ck_assert_int_eq(db_node_set(db, i, &n), 0);
	}
	ok(db, NULL, "CREATE KEYSPACE nts WITH replication = {'class': "
	    "'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 1}");
	/* from -300: n0(r1) n1(r1 skipped) n2(r2) -> racks done, n1 fills */
	cnt = db_replicas(db, "nts", -300, nodes, 8);
	ck_assert_int_eq(cnt, 4);
	ck_assert_int_eq(nodes[0], 0);
	ck_assert_int_eq(nodes[1], 2);
	ck_assert_int_eq(nodes[2], 1);
	ck_assert_int_eq(nodes[3], 5);
	ok(db, NULL, "CREATE KEYSPACE ev WITH replication = {'class': "
	    "'NetworkTopologyStrategy', 'replication_factor': 1}");
	rows(db, NULL, "SELECT replication FROM system_schema.keyspaces WHERE "
	    "keyspace_name = 'ev'", &r);
	db_result_clear(&r);
	cnt = db_replicas(db, "ev", 150, nodes, 8);
	ck_assert_int_eq(cnt, 2);
	db_free(db);
}
END_TEST

START_TEST(test_lwt)
{
	struct db		*db = mkks();
	struct db_result	 r;

	ok(db, "ks", "CREATE TABLE l (k int PRIMARY KEY, v text, n int)");
	rows(db, "ks", "INSERT INTO l (k, v, n) VALUES (1, 'a', 1) IF NOT "
	    "EXISTS", &r);
	ck_assert_str_eq(r.cols[0].name, "[applied]");
	ck_assert_uint_eq(r.ncols, 1);
	ck_assert_int_eq(r.cells[0].p[0], 1);
	db_result_clear(&r);
	rows(db, "ks", "INSERT INTO l (k, v, n) VALUES (1, 'b', 2) IF NOT "
	    "EXISTS", &r);
	ck_assert_int_eq(r.cells[0].p[0], 0);
	ck_assert_uint_eq(r.ncols, 4);
	ck_assert_str_eq(r.cols[1].name, "k");
	ck_assert(cell_is(&r, 0, 3, "a"));
	db_result_clear(&r);
	rows(db, "ks", "UPDATE l SET v = 'c' WHERE k = 1 IF v = 'x'", &r);
	ck_assert_int_eq(r.cells[0].p[0], 0);
	ck_assert_uint_eq(r.ncols, 2);
	ck_assert(cell_is(&r, 0, 1, "a"));
	db_result_clear(&r);
	rows(db, "ks", "UPDATE l SET v = 'c' WHERE k = 1 IF v = 'a' AND n < 5",
	    &r);
	ck_assert_int_eq(r.cells[0].p[0], 1);
	db_result_clear(&r);
	rows(db, "ks", "UPDATE l SET v = 'd' WHERE k = 2 IF EXISTS", &r);
	ck_assert_int_eq(r.cells[0].p[0], 0);
	db_result_clear(&r);
	rows(db, "ks", "SELECT v FROM l WHERE k = 1", &r);
	ck_assert(cell_is(&r, 0, 0, "c"));
	db_result_clear(&r);
	rows(db, "ks", "DELETE FROM l WHERE k = 1 IF EXISTS", &r);
	ck_assert_int_eq(r.cells[0].p[0], 1);
	db_result_clear(&r);
	rows(db, "ks", "SELECT * FROM l", &r);
	ck_assert_uint_eq(r.nrows, 0);
	db_result_clear(&r);
	/* a conditional batch applies all or nothing */
	rows(db, "ks", "BEGIN BATCH INSERT INTO l (k, v) VALUES (5, 'x') "
	    "IF NOT EXISTS; UPDATE l SET n = 1 WHERE k = 5; APPLY BATCH", &r);
	ck_assert_int_eq(r.cells[0].p[0], 1);
	db_result_clear(&r);
	db_free(db);
}
END_TEST

START_TEST(test_ttl)
{
	struct db		*db = mkks();
	struct db_result	 r;

	ok(db, "ks", "CREATE TABLE t (k int PRIMARY KEY, v text, w text)");
	ok(db, "ks", "INSERT INTO t (k, v) VALUES (1, 'x') USING TTL 10");
	ok(db, "ks", "UPDATE t USING TTL 100 SET w = 'y' WHERE k = 2");
	ok(db, "ks", "INSERT INTO t (k, v) VALUES (3, 'z') USING TIMESTAMP 42");
	rows(db, "ks", "SELECT ttl(v), writetime(v) FROM t WHERE k = 1", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 10);
	ck_assert(cell_int(&r, 0, 1) >= fake_now);
	db_result_clear(&r);
	rows(db, "ks", "SELECT writetime(v) FROM t WHERE k = 3", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 42);
	db_result_clear(&r);
	/* an older timestamp loses to the newer value */
	ok(db, "ks", "INSERT INTO t (k, v) VALUES (3, 'old') USING TIMESTAMP 7");
	rows(db, "ks", "SELECT v FROM t WHERE k = 3", &r);
	ck_assert(cell_is(&r, 0, 0, "z"));
	db_result_clear(&r);
	fake_now += 4 * 1000000;
	rows(db, "ks", "SELECT ttl(v) FROM t WHERE k = 1", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 6);
	db_result_clear(&r);
	fake_now += 7 * 1000000;
	rows(db, "ks", "SELECT * FROM t WHERE k = 1", &r);
	ck_assert_uint_eq(r.nrows, 0);
	db_result_clear(&r);
	rows(db, "ks", "SELECT k FROM t", &r);
	ck_assert_uint_eq(r.nrows, 2);
	db_result_clear(&r);
	fake_now += 100 * 1000000;
	rows(db, "ks", "SELECT k FROM t", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	fails(db, "ks", "INSERT INTO t (k, v) VALUES (1, 'x') USING TTL -1",
	    DB_ERR_INVALID);
	db_free(db);
}
END_TEST

START_TEST(test_tokens)
{
	struct db		*db = mkks();
	struct db_result	 r;

	ok(db, "ks", "CREATE TABLE a (k int PRIMARY KEY)");
	ok(db, "ks", "CREATE TABLE b (k text PRIMARY KEY)");
	ok(db, "ks", "CREATE TABLE c (x int, y text, z bigint, PRIMARY KEY "
	    "((x, y, z)))");
	ok(db, "ks", "INSERT INTO a (k) VALUES (0)");
	ok(db, "ks", "INSERT INTO b (k) VALUES ('abc')");
	ok(db, "ks", "INSERT INTO c (x, y, z) VALUES (1, 'x', 2)");
	ok(db, "ks", "INSERT INTO c (x, y, z) VALUES (0, '', 0)");
	rows(db, "ks", "SELECT token(k) FROM a WHERE k = 0", &r);
	ck_assert(cell_int(&r, 0, 0) == -3485513579396041028LL);
	ck_assert(r.info.has_token);
	ck_assert(r.info.token == -3485513579396041028LL);
	db_result_clear(&r);
	rows(db, "ks", "SELECT token(k) FROM b", &r);
	ck_assert(cell_int(&r, 0, 0) == -5434086359492102041LL);
	db_result_clear(&r);
	rows(db, "ks", "SELECT token(x, y, z) FROM c WHERE x = 1 AND y = 'x' "
	    "AND z = 2", &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(cell_int(&r, 0, 0) == -5620454608407415595LL);
	db_result_clear(&r);
	rows(db, "ks", "SELECT x FROM c WHERE token(x, y, z) = "
	    "-3652995834371562275", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	fails(db, "ks", "INSERT INTO b (k) VALUES ('')", DB_ERR_INVALID);
	/* a NUL byte inside a string literal is data, not the end */
	{
		static const char q[] = "INSERT INTO b (k) VALUES ('n\0l')";

		db_execute_len(db, 0, "ks", q, sizeof q - 1, NULL, NULL, &r);
		ck_assert_int_eq(r.kind, DB_RESULT_VOID);
		db_result_clear(&r);
		rows(db, "ks", "SELECT k FROM b", &r);
		ck_assert_uint_eq(r.nrows, 2);
		ck_assert((r.cells[0].n == 3 && memcmp(r.cells[0].p, "n\0l",
		    3) == 0) || (r.cells[1].n == 3 && memcmp(r.cells[1].p,
		    "n\0l", 3) == 0));
		db_result_clear(&r);
		db_execute_len(db, 0, "ks", "SELECT * FROM b\0", 16, NULL, NULL,
		    &r);
		ck_assert_int_eq(r.err_code, DB_ERR_SYNTAX);
		db_result_clear(&r);
	}
	db_free(db);
}
END_TEST

/*
 * A prepared BATCH entry runs in the keyspace it was prepared under (as
 * EXECUTE does), not the connection's; text entries use the connection's.
 */
START_TEST(test_prepared_batch_keyspace)
{
	struct db		*db = mkks();
	struct db_result	 p, r;
	struct bytesval		 b2[2];
	struct db_batch_stmt	 bs[2];
	uint32_t		 h;

	ok(db, NULL, "CREATE KEYSPACE other WITH replication = "
	    "{'class': 'SimpleStrategy', 'replication_factor': 1}");
	ok(db, "ks", "CREATE TABLE t (k int PRIMARY KEY, v text)");
	ok(db, "other", "CREATE TABLE t (k int PRIMARY KEY, v text)");
	db_prepare(db, 0, "other", "INSERT INTO t (k, v) VALUES (?, ?)", &p);
	ck_assert_int_eq(p.kind, DB_RESULT_PREPARED);
	h = p.handle;
	db_result_clear(&p);

	memset(bs, 0, sizeof bs);
	memset(b2, 0, sizeof b2);
	b2[0].v.p = (const uint8_t *)"\0\0\0\1";
	b2[0].v.n = 4;
	b2[1].v.p = (const uint8_t *)"prep";
	b2[1].v.n = 4;
	bs[0].handle = h;
	bs[0].values.v = b2;
	bs[0].values.n = 2;
	bs[1].cql = "INSERT INTO t (k, v) VALUES (2, 'text')";
	/* The connection is in ks. */
	db_batch(db, 0, "ks", DB_BATCH_LOGGED, bs, 2, NULL, &r);
	ck_assert_msg(r.kind == DB_RESULT_VOID, "%s", r.err_msg);
	db_result_clear(&r);
	run(db, NULL, "SELECT v FROM other.t WHERE k = 1", &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(cell_is(&r, 0, 0, "prep"));
	db_result_clear(&r);
	run(db, NULL, "SELECT v FROM ks.t WHERE k = 1", &r);
	ck_assert_uint_eq(r.nrows, 0);
	db_result_clear(&r);
	run(db, NULL, "SELECT v FROM ks.t WHERE k = 2", &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(cell_is(&r, 0, 0, "text"));
	db_result_clear(&r);

	/* No connection keyspace at all: the prepared entry still runs. */
	b2[0].v.p = (const uint8_t *)"\0\0\0\3";
	db_batch(db, 0, NULL, DB_BATCH_UNLOGGED, bs, 1, NULL, &r);
	ck_assert_msg(r.kind == DB_RESULT_VOID, "%s", r.err_msg);
	db_result_clear(&r);
	run(db, NULL, "SELECT v FROM other.t WHERE k = 3", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	db_free(db);
}
END_TEST

START_TEST(test_prepared_batch)
{
	struct db		*db = mkks();
	struct db_result	 p, r;
	struct bytesval		 bv[2];
	struct slice		 names[2];
	struct db_values	 vals;
	struct db_batch_stmt	 bs[2];
	uint32_t		 h;

	ok(db, "ks", "CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))");
	db_prepare(db, 0, "ks", "INSERT INTO t (c, k, v) VALUES (?, ?, ?)", &p);
	ck_assert_int_eq(p.kind, DB_RESULT_PREPARED);
	ck_assert_uint_eq(p.nvars, 3);
	ck_assert_str_eq(p.vars[1].name, "k");
	ck_assert_uint_eq(p.npk_indexes, 1);
	ck_assert_uint_eq(p.pk_indexes[0], 1);
	h = p.handle;
	db_result_clear(&p);
	db_prepare(db, 0, "ks", "SELECT v FROM t WHERE k = :key AND c IN ?",
	    &p);
	ck_assert_int_eq(p.kind, DB_RESULT_PREPARED);
	ck_assert_uint_eq(p.nvars, 2);
	ck_assert_str_eq(p.vars[0].name, "key");
	ck_assert_int_eq(p.vars[1].type->kind, CQLTYPE_LIST);
	ck_assert_uint_eq(p.ncols, 1);
	ck_assert_str_eq(p.cols[0].name, "v");
	db_result_clear(&p);
	memset(bs, 0, sizeof bs);
	memset(bv, 0, sizeof bv);
	/* protocol batch: a prepared statement and a text one */
	{
		struct bytesval	b3[3];

		memset(b3, 0, sizeof b3);
		b3[0].v.p = (const uint8_t *)"\0\0\0\1";
		b3[0].v.n = 4;
		b3[1].v.p = (const uint8_t *)"\0\0\0\7";
		b3[1].v.n = 4;
		b3[2].v.p = (const uint8_t *)"hi";
		b3[2].v.n = 2;
		bs[0].handle = h;
		bs[0].values.v = b3;
		bs[0].values.n = 3;
		bs[1].cql = "INSERT INTO t (k, c, v) VALUES (7, 2, 'there')";
		db_batch(db, 0, "ks", DB_BATCH_LOGGED, bs, 2, NULL, &r);
		ck_assert_msg(r.kind == DB_RESULT_VOID, "%s", r.err_msg);
		db_result_clear(&r);
	}
	/* named values */
	bv[0].v.p = (const uint8_t *)"\0\0\0\7";
	bv[0].v.n = 4;
	names[0].p = (const uint8_t *)"k";
	names[0].n = 1;
	vals.v = bv;
	vals.names = names;
	vals.n = 1;
	db_execute(db, 0, "ks", "SELECT v FROM t WHERE k = :k", &vals, NULL,
	    &r);
	ck_assert_int_eq(r.kind, DB_RESULT_ROWS);
	ck_assert_uint_eq(r.nrows, 2);
	ck_assert(cell_is(&r, 0, 0, "hi"));
	db_result_clear(&r);
	/* unset leaves the column alone, null deletes it */
	db_prepare(db, 0, "ks", "UPDATE t SET v = ? WHERE k = ? AND c = ?", &p);
	h = p.handle;
	db_result_clear(&p);
	{
		struct bytesval	b3[3];

		memset(b3, 0, sizeof b3);
		b3[0].state = BYTES_UNSET;
		b3[1].v.p = (const uint8_t *)"\0\0\0\7";
		b3[1].v.n = 4;
		b3[2].v.p = (const uint8_t *)"\0\0\0\1";
		b3[2].v.n = 4;
		vals.v = b3;
		vals.names = NULL;
		vals.n = 3;
		db_execute_prepared(db, 0, h, &vals, NULL, &r);
		ck_assert_int_eq(r.kind, DB_RESULT_VOID);
		db_result_clear(&r);
		rows(db, "ks", "SELECT v FROM t WHERE k = 7 AND c = 1", &p);
		ck_assert(cell_is(&p, 0, 0, "hi"));
		db_result_clear(&p);
		b3[0].state = BYTES_NULL;
		db_execute_prepared(db, 0, h, &vals, NULL, &r);
		db_result_clear(&r);
		rows(db, "ks", "SELECT v FROM t WHERE k = 7 AND c = 1", &p);
		ck_assert_uint_eq(p.nrows, 1);	/* INSERT's row marker */
		ck_assert(p.cells[0].null);
		db_result_clear(&p);
		vals.n = 2;
		db_execute_prepared(db, 0, h, &vals, NULL, &r);
		ck_assert_int_eq(r.err_code, DB_ERR_INVALID);
		db_result_clear(&r);
	}
	db_execute_prepared(db, 0, 99999, NULL, NULL, &r);
	ck_assert_int_eq(r.err_code, DB_ERR_UNPREPARED);
	db_result_clear(&r);
	/* text batch with markers and counter rules */
	ok(db, "ks", "BEGIN UNLOGGED BATCH INSERT INTO t (k, c) VALUES (9, 1); "
	    "INSERT INTO t (k, c) VALUES (9, 2) APPLY BATCH");
	rows(db, "ks", "SELECT count(*) FROM t WHERE k = 9", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 2);
	db_result_clear(&r);
	ok(db, "ks", "CREATE TABLE n (k int PRIMARY KEY, c counter)");
	ok(db, "ks", "BEGIN COUNTER BATCH UPDATE n SET c = c + 1 WHERE k = 1; "
	    "UPDATE n SET c = c + 2 WHERE k = 1; APPLY BATCH");
	fails(db, "ks", "BEGIN COUNTER BATCH INSERT INTO t (k, c) VALUES (1, 1) "
	    "APPLY BATCH", DB_ERR_INVALID);
	fails(db, "ks", "BEGIN BATCH UPDATE n SET c = c + 1 WHERE k = 1 "
	    "APPLY BATCH", DB_ERR_INVALID);
	rows(db, "ks", "SELECT c FROM n WHERE k = 1", &r);
	ck_assert_int_eq(cell_int(&r, 0, 0), 3);
	db_result_clear(&r);
	/* JSON output */
	rows(db, "ks", "SELECT JSON k, v FROM t WHERE k = 7 AND c = 2",
	    &r);
	ck_assert_uint_eq(r.nrows, 1);
	ck_assert(cell_is(&r, 0, 0, "{\"k\": 7, \"v\": \"there\"}"));
	db_result_clear(&r);
	db_free(db);
}
END_TEST

/*
 * Hostile text: every prefix of every statement above, and copies with
 * bytes flipped, run against a real schema must fail cleanly or succeed.
 */
START_TEST(test_garbage)
{
	struct db		*db = mkks();
	struct db_result	 r;
	char			*buf;
	size_t			 i, j, n;
	uint32_t		 seed = 12345;

	ok(db, "ks", "CREATE TABLE t (k int, c int, v int, s int static, "
	    "l list<int>, m map<text, int>, PRIMARY KEY (k, c))");
	ok(db, "ks", "INSERT INTO t (k, c, v, l, m) VALUES (1, 1, 1, [1], "
	    "{'k': 1})");
	for (i = 0; i < nitems(good); i++) {
		n = strlen(good[i]);
		buf = xmalloc(n + 1);
		for (j = 0; j <= n; j++) {
			memcpy(buf, good[i], j);
			buf[j] = '\0';
			run(db, "ks", buf, &r);
			db_result_clear(&r);
		}
		for (j = 0; j < 200; j++) {
			memcpy(buf, good[i], n + 1);
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % n] = " ()[]{},;:?'\"-0x.=<>a9"[(seed >> 20) %
			    22];
			run(db, "ks", buf, &r);
			db_result_clear(&r);
		}
		free(buf);
	}
	/* deep nesting and long input are refused, not recursed into */
	buf = xmalloc(100001);
	memset(buf, '[', 100000);
	buf[100000] = '\0';
	memcpy(buf, "INSERT INTO t (k, c, l) VALUES (1, 1, ", 38);
	run(db, "ks", buf, &r);
	ck_assert_int_eq(r.kind, DB_RESULT_ERROR);
	db_result_clear(&r);
	free(buf);
	db_free(db);
}
END_TEST

/* What the DataStax Python driver reads when it connects. */
START_TEST(test_driver_queries)
{
	static const char	*qs[] = {
		"SELECT * FROM system.local WHERE key='local'",
		"SELECT * FROM system.peers",
		"SELECT * FROM system.peers_v2",
		"SELECT peer, data_center, host_id, rack, release_version, "
		    "rpc_address, schema_version, tokens FROM system.peers",
		"SELECT schema_version FROM system.local WHERE key='local'",
		"SELECT * FROM system_schema.keyspaces",
		"SELECT * FROM system_schema.tables",
		"SELECT * FROM system_schema.columns",
		"SELECT * FROM system_schema.types",
		"SELECT * FROM system_schema.functions",
		"SELECT * FROM system_schema.aggregates",
		"SELECT * FROM system_schema.triggers",
		"SELECT * FROM system_schema.indexes",
		"SELECT * FROM system_schema.views",
		"SELECT * FROM system_schema.tables WHERE keyspace_name = "
		    "'system' AND table_name = 'local'",
		"SELECT * FROM system_traces.sessions WHERE session_id = "
		    "62c36092-82a1-3a00-93d1-46196ee77204",
	};
	struct db		*db = mkdb();
	struct db_result	 r;
	size_t			 i;

	for (i = 0; i < nitems(qs); i++) {
		rows(db, NULL, qs[i], &r);
		db_result_clear(&r);
	}
	rows(db, NULL, "SELECT * FROM system_schema.columns", &r);
	ck_assert_uint_ge(r.nrows, 275);
	db_result_clear(&r);
	/* the server writes traces with bound values */
	ok(db, NULL, "INSERT INTO system_traces.sessions (session_id, command, "
	    "started_at, parameters) VALUES (62c36092-82a1-3a00-93d1-"
	    "46196ee77204, 'QUERY', 0, {'query': 'x'})");
	ok(db, NULL, "INSERT INTO system_traces.events (session_id, event_id, "
	    "activity, source_elapsed) VALUES (62c36092-82a1-3a00-93d1-"
	    "46196ee77204, now(), 'Parsing', 5)");
	rows(db, NULL, "SELECT activity FROM system_traces.events WHERE "
	    "session_id = 62c36092-82a1-3a00-93d1-46196ee77204", &r);
	ck_assert_uint_eq(r.nrows, 1);
	db_result_clear(&r);
	db_free(db);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc = tcase_create("engine");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_parser);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_collections);
	tcase_add_test(tc, test_clustering);
	tcase_add_test(tc, test_paging);
	tcase_add_test(tc, test_schema_rows);
	tcase_add_test(tc, test_local_peers);
	tcase_add_test(tc, test_replicas);
	tcase_add_test(tc, test_lwt);
	tcase_add_test(tc, test_ttl);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_prepared_batch);
	tcase_add_test(tc, test_prepared_batch_keyspace);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_driver_queries);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
