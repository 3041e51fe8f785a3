/*
 * check_result.c: copying a node's RESULT into a core result refuses
 * what cannot be trusted, and shares decoded columns safely.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "cqltype.h"
#include "msg.h"
#include "result.h"

/* Rows the core never asked to skip metadata for, but without it. */
START_TEST(test_rows_without_metadata)
{
	struct msg	 m;
	struct result	*r;
	static const uint8_t cells[] = { 0, 0, 0, 1, 'a', 0, 0, 0, 1, 'b' };

	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_ROWS;
	m.u.result.rows.meta.flags = ROWS_NO_METADATA;
	m.u.result.rows.meta.columns_count = 2;
	m.u.result.rows.rows_count = 1;
	m.u.result.rows.rows.p = cells;
	m.u.result.rows.rows.n = sizeof cells;
	r = result_new();
	ck_assert_int_eq(result_from_msg(r, &m), -1);
	ck_assert_int_eq(r->error, CORE_EPROTOCOL);
	result_free(r);

	/* No rows and no columns: an empty answer, fine. */
	m.u.result.rows.meta.columns_count = 0;
	m.u.result.rows.rows_count = 0;
	m.u.result.rows.rows.n = 0;
	r = result_new();
	ck_assert_int_eq(result_from_msg(r, &m), 0);
	ck_assert_int_eq(r->error, CORE_OK);
	ck_assert_int_eq(r->rows_count, 0);
	result_free(r);
}
END_TEST

/* A RESULT Rows frame (v4): columns k int, v text, one row. */
static void
rows_frame(struct wbuf *w, const char *vname)
{
	struct col_spec		 cols[2];
	struct rows_meta	 meta;
	struct rows_writer	 rw;
	size_t			 start;

	memset(cols, 0, sizeof cols);
	cols[0].name = slice_cstr("k");
	cols[0].type = cqltype_new_scalar(CQLTYPE_INT);
	cols[1].name = slice_cstr(vname);
	cols[1].type = cqltype_new_scalar(CQLTYPE_TEXT);
	memset(&meta, 0, sizeof meta);
	meta.flags = ROWS_GLOBAL_TABLES_SPEC;
	meta.global_keyspace = slice_cstr("ks");
	meta.global_table = slice_cstr("t");
	meta.cols = cols;
	wbuf_init(w, 0);
	start = frame_begin(w, 4, 1, 0, 1, OP_RESULT);
	rows_writer_begin(&rw, w, 4, &meta, 2);
	wbuf_bytes(w, "\x00\x00\x00\x07", 4);
	wbuf_bytes(w, "seven", 5);
	rows_writer_row(&rw);
	rows_writer_end(&rw);
	frame_end(w, start);
	ck_assert(wbuf_ok(w));
	cqltype_free(cols[0].type);
	cqltype_free(cols[1].type);
}

static struct result *
rows_result(const struct wbuf *w, struct colset_cache *cc)
{
	struct frame_header	 h;
	struct msg		 m;
	struct result		*r;
	char			 err[128];

	ck_assert_int_eq(frame_header_decode(w->p, w->len, &h), 0);
	ck_assert_int_eq(msg_decode_cached(4, &h, w->p + 9, h.length, &m, cc,
	    err, sizeof err), 0);
	r = result_new();
	ck_assert_int_eq(result_from_msg(r, &m), 0);
	msg_clear(&m);
	return (r);
}

static void
result_same(const struct result *a, const struct result *b)
{
	const struct bytesval	*x, *y;
	size_t			 i;

	ck_assert_int_eq(a->kind, RES_ROWS);
	ck_assert_int_eq(b->kind, RES_ROWS);
	ck_assert_uint_eq(a->columns.n, b->columns.n);
	for (i = 0; i < a->columns.n; i++) {
		ck_assert_str_eq(a->columns.cols[i].keyspace,
		    b->columns.cols[i].keyspace);
		ck_assert_str_eq(a->columns.cols[i].table,
		    b->columns.cols[i].table);
		ck_assert_str_eq(a->columns.cols[i].name,
		    b->columns.cols[i].name);
		ck_assert(cqltype_equal(a->columns.cols[i].type,
		    b->columns.cols[i].type));
		x = result_cell(a, 0, i);
		y = result_cell(b, 0, i);
		ck_assert_int_eq(x->state, y->state);
		ck_assert_uint_eq(x->v.n, y->v.n);
		ck_assert(memcmp(x->v.p, y->v.p, x->v.n) == 0);
	}
	ck_assert_int_eq(a->rows_count, b->rows_count);
}

/*
 * Results of answers with the same metadata share one set of columns,
 * equal to a result copied without the cache; they outlive the message
 * and the cache.
 */
START_TEST(test_rows_shared_columns)
{
	struct colset_cache	 cc;
	struct wbuf		 w, w2;
	struct result		*plain, *a, *b, *c;

	memset(&cc, 0, sizeof cc);
	rows_frame(&w, "v");
	rows_frame(&w2, "other");
	plain = rows_result(&w, NULL);
	ck_assert_ptr_null(plain->colset);
	a = rows_result(&w, &cc);
	b = rows_result(&w, &cc);
	c = rows_result(&w2, &cc);
	ck_assert_ptr_nonnull(a->colset);
	ck_assert_ptr_eq(a->colset, b->colset);
	ck_assert_ptr_eq(a->columns.cols, b->columns.cols);
	ck_assert_ptr_ne(a->colset, c->colset);
	result_same(plain, a);
	result_same(plain, b);
	ck_assert_str_eq(c->columns.cols[1].name, "other");
	ck_assert_int_eq(result_column_index(b, "v"), 1);
	wbuf_free(&w);
	colset_cache_clear(&cc);
	result_free(a);
	/* b still holds the set: its columns and cells are whole. */
	result_same(plain, b);
	result_free(b);
	result_free(c);
	result_free(plain);
	wbuf_free(&w2);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("result");
	TCase	*tc = tcase_create("copy");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_rows_without_metadata);
	tcase_add_test(tc, test_rows_shared_columns);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
