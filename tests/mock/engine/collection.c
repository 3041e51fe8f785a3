/*
 * collection.c: operations on non-frozen collections and UDTs kept as
 * serialized values: split into elements, append, prepend, remove, set
 * an element or field, and write back (sets and maps sorted).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

static int64_t
be_int(const uint8_t *p, size_t n)
{
	int64_t	v = 0;
	size_t	i;

	if (n > 0 && (p[0] & 0x80))
		v = -1;
	for (i = 0; i < n; i++)
		v = (int64_t)(((uint64_t)v << 8) | p[i]);
	return (v);
}

struct slice *
coll_split(const uint8_t *p, size_t n, int pairs, size_t *count)
{
	struct rbuf	 r;
	struct bytesval	 bv;
	struct slice	*s;
	int32_t		 cnt;
	size_t		 i, total;

	*count = 0;
	if (p == NULL || n < 4)
		return (xcalloc(1, sizeof *s));
	rbuf_init(&r, p, n);
	cnt = rbuf_i32(&r);
	if (cnt < 0 || (size_t)cnt > n)
		return (xcalloc(1, sizeof *s));
	total = (size_t)cnt * (pairs ? 2 : 1);
	s = xcalloc(total + 1, sizeof *s);
	for (i = 0; i < total; i++) {
		bv = rbuf_bytes(&r);
		s[i] = bv.v;
	}
	if (!rbuf_ok(&r)) {
		free(s);
		return (xcalloc(1, sizeof *s));
	}
	*count = cnt;
	return (s);
}

/* Write a new collection value built from slices (list order kept). */
static void
coll_store(struct cell *c, const struct cqltype *type, struct slice *el,
    size_t n, int64_t ts, int32_t ttl, int64_t expire)
{
	struct wbuf	w;
	size_t		mark, i;

	if (n == 0) {
		cell_clear(c);
		return;
	}
	wbuf_init(&w, ENGINE_MAX_CELL);
	if (type->kind == CQLTYPE_LIST) {
		ser_coll_begin(&w, &mark);
		for (i = 0; i < n; i++)
			ser_coll_item(&w, el[i].p, el[i].n);
		ser_coll_end(&w, mark, n);
	} else
		ser_sorted_coll(type->sub[0], el, n, type->kind == CQLTYPE_MAP,
		    &w);
	if (wbuf_ok(&w))
		cell_set(c, w.p, w.len, ts, ttl, expire);
	wbuf_free(&w);
}

/* c = c + v, c = v + c, c = c - v on a non-frozen collection. */
void
coll_op(const struct write_ts *m, struct cell *c, struct column *col,
    enum assign_kind kind, const struct value *v)
{
	const struct cqltype	*t = col->type;
	struct slice		*cur, *add, *el;
	size_t			 ncur = 0, nadd = 0, n = 0, i, k;
	int			 map = t->kind == CQLTYPE_MAP;
	int			 live = cell_live(m->db, c);

	if (v->st != LIT_VALUE) {
		if (kind == ASSIGN_SUB || v->st == LIT_UNSET)
			return;
		return;
	}
	cur = live ? coll_split(c->p, c->n, map, &ncur) :
	    xcalloc(1, sizeof *cur);
	add = coll_split(v->p, v->n, map && kind != ASSIGN_SUB, &nadd);
	el = xcalloc((ncur + nadd) * 2 + 1, sizeof *el);
	if (kind == ASSIGN_SUB) {
		const struct cqltype *kt = t->sub[0];

		for (i = 0; i < ncur; i++) {
			const struct slice *key = &cur[map ? 2 * i : i];

			for (k = 0; k < nadd; k++) {
				if (cqlval_compare(kt, key->p, key->n, add[k].p,
				    add[k].n) == 0)
					break;
			}
			if (k < nadd)
				continue;
			el[n++] = *key;
			if (map)
				el[n++] = cur[2 * i + 1];
		}
		if (map)
			n /= 2;
	} else if (kind == ASSIGN_PREPEND) {
		for (i = 0; i < nadd; i++)
			el[n++] = add[i];
		for (i = 0; i < ncur; i++)
			el[n++] = cur[i];
	} else {
		for (i = 0; i < (map ? 2 * ncur : ncur); i++)
			el[n++] = cur[i];
		for (i = 0; i < (map ? 2 * nadd : nadd); i++)
			el[n++] = add[i];
		if (map)
			n /= 2;
	}
	{
		/* el points into c's bytes: copy before c is rewritten */
		struct cell tmp;

		memset(&tmp, 0, sizeof tmp);
		coll_store(&tmp, t, el, n, m->ts, m->ttl, m->expire);
		if (!(c->live && c->ts > m->ts)) {
			cell_clear(c);
			*c = tmp;
			if (n == 0)
				memset(c, 0, sizeof *c);
		} else
			cell_clear(&tmp);
	}
	free(cur);
	free(add);
	free(el);
}

/* m[k] = v, l[i] = v, DELETE m[k], l[i], s[e]. */
int
coll_elem(const struct write_ts *m, struct cell *c, struct column *col,
    const struct value *key, const struct value *v, struct db_result *out)
{
	const struct cqltype	*t = col->type;
	struct slice		*cur, *el;
	size_t			 ncur = 0, n = 0, i;
	int			 map = t->kind == CQLTYPE_MAP, rc = 0;
	int			 live = cell_live(m->db, c);
	struct cell		 tmp;

	cur = live ? coll_split(c->p, c->n, map, &ncur) :
	    xcalloc(1, sizeof *cur);
	el = xcalloc(ncur * 2 + 3, sizeof *el);
	if (t->kind == CQLTYPE_LIST) {
		int64_t	idx = be_int(key->p, key->n);

		if (idx < 0 || (size_t)idx >= ncur) {
			res_error(out, DB_ERR_INVALID, "List index %lld out of "
			    "bound, list has size %zu", (long long)idx, ncur);
			rc = -1;
			goto done;
		}
		for (i = 0; i < ncur; i++) {
			if (i != (size_t)idx)
				el[n++] = cur[i];
			else if (v != NULL && v->st == LIT_VALUE)
				el[n++] = (struct slice){ v->p, v->n };
		}
	} else {
		for (i = 0; i < ncur; i++) {
			const struct slice *k = &cur[map ? 2 * i : i];

			if (cqlval_compare(t->sub[0], k->p, k->n, key->p,
			    key->n) == 0)
				continue;
			el[n++] = *k;
			if (map)
				el[n++] = cur[2 * i + 1];
		}
		if (map && v != NULL && v->st == LIT_VALUE) {
			el[n++] = (struct slice){ key->p, key->n };
			el[n++] = (struct slice){ v->p, v->n };
		}
		if (map)
			n /= 2;
	}
	memset(&tmp, 0, sizeof tmp);
	coll_store(&tmp, t, el, n, m->ts, c->live ? c->ttl : m->ttl,
	    c->live ? c->expire : m->expire);
	cell_clear(c);
	*c = tmp;
done:
	free(cur);
	free(el);
	return (rc);
}

/* c.f = v on a non-frozen UDT. */
void
udt_field(const struct write_ts *m, struct cell *c, struct column *col,
    const char *field, const struct value *v)
{
	const struct cqltype	*t = col->type;
	struct rbuf		 r;
	struct bytesval		*f;
	struct wbuf		 w;
	size_t			 i, idx = t->n;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->fields[i], field) == 0)
			idx = i;
	}
	if (idx == t->n || v->st == LIT_UNSET)
		return;
	f = xcalloc(t->n + 1, sizeof *f);
	for (i = 0; i < t->n; i++)
		f[i].state = BYTES_NULL;
	if (cell_live(m->db, c)) {
		rbuf_init(&r, c->p, c->n);
		for (i = 0; i < t->n && rbuf_left(&r) > 0; i++)
			f[i] = rbuf_bytes(&r);
	}
	f[idx].state = v->st == LIT_VALUE ? BYTES_VALUE : BYTES_NULL;
	f[idx].v.p = v->p;
	f[idx].v.n = v->n;
	wbuf_init(&w, ENGINE_MAX_CELL);
	for (i = 0; i < t->n; i++)
		wbuf_bytesval(&w, &f[i]);
	if (wbuf_ok(&w)) {
		struct cell	tmp;

		memset(&tmp, 0, sizeof tmp);
		cell_set(&tmp, w.p, w.len, m->ts, m->ttl, m->expire);
		cell_clear(c);
		*c = tmp;
	}
	wbuf_free(&w);
	free(f);
}
