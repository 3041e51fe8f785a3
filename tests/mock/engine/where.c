/*
 * where.c: WHERE clauses. A clause becomes the partitions to visit (keys
 * fixed by = / IN, or a token range to scan) plus per-row predicates; the
 * checks Cassandra makes before it agrees to run a query (ALLOW FILTERING,
 * clustering prefixes) are made here too.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

/* One predicate: value tuples to compare a column (or columns) against. */
struct restr {
	enum rel_op	 op;
	enum rel_lhs	 lhs;
	struct column	*cols[ENGINE_MAX_DEPTH];
	size_t		 ncols;
	struct cell	*vals;		/* nvals * ncols */
	size_t		 nvals;
};

static void
cells_free(struct cell *c, size_t n)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++)
		cell_clear(&c[i]);
	free(c);
}

void
where_free(struct where *w)
{
	size_t	i;

	for (i = 0; i < w->nkeys; i++)
		cells_free(w->keys[i], w->t->npk);
	free(w->keys);
	for (i = 0; i < w->ncks_rows; i++)
		cells_free(w->cks[i], w->ncks);
	free(w->cks);
	for (i = 0; i < w->nrestrs; i++)
		cells_free(w->restrs[i].vals, w->restrs[i].nvals *
		    w->restrs[i].ncols);
	free(w->restrs);
	memset(w, 0, sizeof *w);
}

static struct cqltype *
type_list_of(const struct cqltype *t)
{
	return (cqltype_new_list(cqltype_dup(t)));
}

/* The type a relation's right-hand side is compared as. */
static struct cqltype *
rel_value_type(struct column *c, enum rel_op op)
{
	const struct cqltype	*t = c->type;

	if (op == OP_CONTAINS && t->n >= 1)
		return (cqltype_dup(t->kind == CQLTYPE_MAP ? t->sub[1] :
		    t->sub[0]));
	if (op == OP_CONTAINS_KEY && t->kind == CQLTYPE_MAP)
		return (cqltype_dup(t->sub[0]));
	return (cqltype_dup(t));
}

static int
rel_columns(struct exec *ex, struct table *t, struct relation *r,
    struct column **cols, struct db_result *out)
{
	size_t	i;

	if (r->ncols > ENGINE_MAX_DEPTH) {
		res_error(out, DB_ERR_INVALID, "too many columns in relation");
		return (-1);
	}
	for (i = 0; i < r->ncols; i++) {
		if ((cols[i] = db_column(t, r->cols[i])) == NULL) {
			res_error(out, DB_ERR_INVALID, "Undefined column name %s",
			    r->cols[i]);
			return (-1);
		}
	}
	return (0);
}

/* Give the relations' bind markers their types (prepare and execute). */
int
where_bind(struct exec *ex, struct table *t, struct relation **rels,
    size_t n, struct db_result *out)
{
	struct column	*cols[ENGINE_MAX_DEPTH];
	struct cqltype	*vt, *tt;
	struct relation	*r;
	const char	*ks = t->ks->name;
	char		*name;
	size_t		 i, j;

	for (i = 0; i < n; i++) {
		r = rels[i];
		if (rel_columns(ex, t, r, cols, out) != 0)
			return (-1);
		if (r->lhs == LHS_TOKEN) {
			vt = cqltype_new_scalar(CQLTYPE_BIGINT);
			xasprintf(&name, "partition key token");
			lit_bind_type(ex->stmt, r->rhs, ks, t->name, name, vt);
			free(name);
			cqltype_free(vt);
			continue;
		}
		if (r->lhs == LHS_TUPLE) {
			tt = cqltype_new_tuple();
			for (j = 0; j < r->ncols; j++)
				cqltype_add(tt, NULL, cqltype_dup(cols[j]->type));
			if (r->op == OP_IN && !r->in_list) {
				vt = type_list_of(tt);
				lit_bind_type(ex->stmt, r->rhs, ks, t->name,
				    "in(tuple)", vt);
				cqltype_free(vt);
			} else if (r->op == OP_IN) {
				for (j = 0; j < r->rhs->n; j++)
					lit_bind_type(ex->stmt, r->rhs->a[j], ks,
					    t->name, "tuple", tt);
			} else
				lit_bind_type(ex->stmt, r->rhs, ks, t->name,
				    "tuple", tt);
			cqltype_free(tt);
			continue;
		}
		if (r->op == OP_IS_NOT_NULL)
			continue;
		if (r->lhs == LHS_ELEMENT) {
			const struct cqltype *ct = cols[0]->type;

			if (ct->kind == CQLTYPE_MAP) {
				xasprintf(&name, "key(%s)", cols[0]->name);
				lit_bind_type(ex->stmt, r->elem, ks, t->name,
				    name, ct->sub[0]);
				free(name);
				vt = cqltype_dup(ct->sub[1]);
			} else if (ct->kind == CQLTYPE_LIST) {
				vt = cqltype_new_scalar(CQLTYPE_INT);
				xasprintf(&name, "idx(%s)", cols[0]->name);
				lit_bind_type(ex->stmt, r->elem, ks, t->name,
				    name, vt);
				free(name);
				cqltype_free(vt);
				vt = cqltype_dup(ct->sub[0]);
			} else {
				res_error(out, DB_ERR_INVALID, "Invalid element "
				    "access syntax for non-collection column %s",
				    cols[0]->name);
				return (-1);
			}
			xasprintf(&name, "value(%s)", cols[0]->name);
		} else {
			vt = rel_value_type(cols[0], r->op);
			name = xstrdup(cols[0]->name);
		}
		if (r->op == OP_IN && !r->in_list) {
			struct cqltype	*lt = type_list_of(vt);
			char		*in;

			xasprintf(&in, "in(%s)", name);
			lit_bind_type(ex->stmt, r->rhs, ks, t->name, in, lt);
			free(in);
			cqltype_free(lt);
		} else if (r->op == OP_IN) {
			for (j = 0; j < r->rhs->n; j++)
				lit_bind_type(ex->stmt, r->rhs->a[j], ks,
				    t->name, name, vt);
		} else
			lit_bind_type(ex->stmt, r->rhs, ks, t->name, name, vt);
		free(name);
		cqltype_free(vt);
	}
	return (0);
}

/* Encode one term; a null is an error here (conditions never match null). */
static int
where_value(struct exec *ex, struct term *term, const struct cqltype *type,
    const char *name, struct cell *c, int null_ok, struct db_result *out)
{
	struct lit_ctx	 lc = { ex->db, ex->stmt, ex->values, NULL,
	    ex->bindmap };
	struct wbuf	 w;
	enum lit_state	 st;
	char		*err;

	memset(c, 0, sizeof *c);
	wbuf_init(&w, ENGINE_MAX_CELL);
	if (lit_encode(&lc, term, type, name, &w, &st, &err) != 0) {
		res_error(out, DB_ERR_INVALID, "%s", err);
		free(err);
		wbuf_free(&w);
		return (-1);
	}
	if (st == LIT_UNSET) {
		res_error(out, DB_ERR_INVALID, "Invalid unset value for column "
		    "%s", name);
		wbuf_free(&w);
		return (-1);
	}
	if (st == LIT_NULL) {
		wbuf_free(&w);
		if (null_ok)
			return (0);
		res_error(out, DB_ERR_INVALID, "Invalid null value in "
		    "condition for column %s", name);
		return (-1);
	}
	c->live = 1;
	c->p = wbuf_steal(&w, &c->n);
	return (0);
}

/* Split a serialized collection (or tuple) into n element slices. */
static int
split_coll(const uint8_t *p, size_t n, int tuple, size_t want,
    struct slice **out, size_t *count)
{
	struct rbuf	r;
	struct bytesval	bv;
	size_t		i, cnt;

	rbuf_init(&r, p, n);
	cnt = tuple ? want : (size_t)rbuf_i32(&r);
	if (!rbuf_ok(&r) || cnt > CQLVAL_MAX_ITEMS || cnt > n)
		return (-1);
	*out = xcalloc(cnt + 1, sizeof **out);
	for (i = 0; i < cnt; i++) {
		bv = rbuf_bytes(&r);
		(*out)[i] = bv.v;
		if (bv.state != BYTES_VALUE)
			(*out)[i].p = NULL;
	}
	if (!rbuf_ok(&r)) {
		free(*out);
		*out = NULL;
		return (-1);
	}
	*count = cnt;
	return (0);
}

/* IN values (a list term or a bound list) as separate cells. */
static int
where_in_values(struct exec *ex, struct relation *r, struct column **cols,
    struct cell **vals, size_t *nvals, struct db_result *out)
{
	struct cqltype	*vt, *lt;
	struct cell	 c, *v;
	struct slice	*el = NULL, *tel = NULL;
	size_t		 i, j, n, nc = r->lhs == LHS_TUPLE ? r->ncols : 1, tn;
	const char	*name = cols[0]->name;

	if (r->lhs == LHS_TUPLE) {
		vt = cqltype_new_tuple();
		for (j = 0; j < nc; j++)
			cqltype_add(vt, NULL, cqltype_dup(cols[j]->type));
	} else
		vt = cqltype_dup(cols[0]->type);
	if (r->in_list) {
		n = r->rhs->n;
		v = xcalloc(n * nc + 1, sizeof *v);
		for (i = 0; i < n; i++) {
			if (where_value(ex, r->rhs->a[i], vt, name, &c, 0,
			    out) != 0)
				goto fail;
			if (nc == 1)
				v[i] = c;
			else {
				if (split_coll(c.p, c.n, 1, nc, &tel, &tn)
				    != 0) {
					cell_clear(&c);
					goto bad;
				}
				for (j = 0; j < nc; j++)
					cell_set(&v[i * nc + j], tel[j].p,
					    tel[j].n, 0, 0, 0);
				free(tel);
				cell_clear(&c);
			}
		}
	} else {
		lt = type_list_of(vt);
		if (where_value(ex, r->rhs, lt, name, &c, 0, out) != 0) {
			cqltype_free(lt);
			cqltype_free(vt);
			return (-1);
		}
		cqltype_free(lt);
		if (split_coll(c.p, c.n, 0, 0, &el, &n) != 0 ||
		    n > ENGINE_MAX_IN) {
			cell_clear(&c);
			free(el);
			cqltype_free(vt);
			res_error(out, DB_ERR_INVALID, "Invalid IN values for %s",
			    name);
			return (-1);
		}
		v = xcalloc(n * nc + 1, sizeof *v);
		for (i = 0; i < n; i++) {
			if (nc == 1) {
				cell_set(&v[i], el[i].p, el[i].n, 0, 0, 0);
				continue;
			}
			if (split_coll(el[i].p, el[i].n, 1, nc, &tel, &tn)
			    != 0) {
				free(el);
				cell_clear(&c);
				goto bad;
			}
			for (j = 0; j < nc; j++)
				cell_set(&v[i * nc + j], tel[j].p, tel[j].n, 0,
				    0, 0);
			free(tel);
		}
		free(el);
		cell_clear(&c);
	}
	cqltype_free(vt);
	*vals = v;
	*nvals = n;
	return (0);
bad:
	res_error(out, DB_ERR_INVALID, "Invalid tuple value for IN on %s",
	    name);
fail:
	cells_free(v, n * nc);
	cqltype_free(vt);
	return (-1);
}

/* Order of partition keys by token then bytes, for IN results. */
struct keyent {
	int64_t		 token;
	uint8_t		*key;
	size_t		 n;
	struct cell	*cells;
};

static int
keyent_cmp(const void *a, const void *b)
{
	const struct keyent	*x = a, *y = b;
	int			 c;

	if (x->token != y->token)
		return (x->token < y->token ? -1 : 1);
	c = x->n == 0 || y->n == 0 ? 0 :
	    memcmp(x->key, y->key, x->n < y->n ? x->n : y->n);
	if (c != 0)
		return (c);
	return (x->n < y->n ? -1 : x->n > y->n);
}

/* All combinations of per-column value lists, capped. */
static int
cartesian(struct cell **lists, size_t *counts, size_t ncols,
    struct cell ***out, size_t *nout)
{
	size_t	 total = 1, i, j, k, div;

	for (i = 0; i < ncols; i++) {
		total *= counts[i];
		if (total > ENGINE_MAX_IN)
			return (-1);
	}
	*out = xcalloc(total + 1, sizeof **out);
	for (k = 0; k < total; k++) {
		(*out)[k] = xcalloc(ncols + 1, sizeof ***out);
		div = 1;
		for (i = ncols; i-- > 0;) {
			j = (k / div) % counts[i];
			div *= counts[i];
			cell_set(&(*out)[k][i], lists[i][j].p, lists[i][j].n,
			    0, 0, 0);
		}
	}
	*nout = total;
	return (0);
}

static int
where_keys(struct where *w, struct cell **lists, size_t *counts,
    struct db_result *out)
{
	struct table	*t = w->t;
	struct cell	**combos;
	struct keyent	*ke;
	size_t		 n, i, k;

	if (cartesian(lists, counts, t->npk, &combos, &n) != 0) {
		res_error(out, DB_ERR_INVALID, "IN restrictions on the "
		    "partition key select too many partitions (cap %d)",
		    ENGINE_MAX_IN);
		return (-1);
	}
	ke = xcalloc(n + 1, sizeof *ke);
	for (i = 0; i < n; i++) {
		ke[i].cells = combos[i];
		if (part_key_make(t, combos[i], &ke[i].key, &ke[i].n,
		    &ke[i].token) != 0)
			ke[i].key = NULL;
	}
	qsort(ke, n, sizeof *ke, keyent_cmp);
	w->keys = xcalloc(n + 1, sizeof *w->keys);
	for (i = k = 0; i < n; i++) {
		if (k > 0 && keyent_cmp(&ke[i], &ke[i - 1]) == 0) {
			cells_free(ke[i].cells, t->npk);
			continue;
		}
		w->keys[k++] = ke[i].cells;
	}
	w->nkeys = k;
	for (i = 0; i < n; i++)
		free(ke[i].key);
	free(ke);
	free(combos);
	w->has_keys = 1;
	return (0);
}

static int
index_on(struct table *t, struct column *c)
{
	size_t	i;

	for (i = 0; i < t->nindexes; i++) {
		if (strcmp(t->indexes[i].col, c->name) == 0)
			return (1);
	}
	return (0);
}

static struct restr *
restr_add(struct where *w)
{
	w->restrs = xreallocarray(w->restrs, w->nrestrs + 1,
	    sizeof *w->restrs);
	memset(&w->restrs[w->nrestrs], 0, sizeof *w->restrs);
	return (&w->restrs[w->nrestrs++]);
}

/*
 * Build the plan for a WHERE clause. Errors (unknown columns, bad values,
 * unsupported restrictions) are set in out; filtering needs are flagged
 * for the caller to judge against ALLOW FILTERING.
 */
int
where_build(struct exec *ex, struct table *t, struct relation **rels,
    size_t n, struct where *w, struct db_result *out)
{
	struct column	*cols[ENGINE_MAX_DEPTH];
	struct cell	*pk_lists[ENGINE_MAX_DEPTH] = { 0 };
	size_t		 pk_counts[ENGINE_MAX_DEPTH] = { 0 };
	int		 ck_kind[ENGINE_MAX_DEPTH] = { 0 };	/* 1 eq 2 slice */
	struct cell	*ck_lists[ENGINE_MAX_DEPTH] = { 0 };
	size_t		 ck_counts[ENGINE_MAX_DEPTH] = { 0 };
	struct relation	*r;
	struct restr	*rs;
	struct cqltype	*vt;
	struct cell	 c;
	size_t		 i, j, npk = 0;
	int		 indexed_eq = 0, rc = -1;

	memset(w, 0, sizeof *w);
	w->t = t;
	if (t->npk > ENGINE_MAX_DEPTH || t->nck > ENGINE_MAX_DEPTH) {
		res_error(out, DB_ERR_INVALID, "key too wide");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		r = rels[i];
		if (rel_columns(ex, t, r, cols, out) != 0)
			goto done;
		if (r->lhs == LHS_TOKEN) {
			if (r->ncols != t->npk)
				goto token_order;
			for (j = 0; j < r->ncols; j++) {
				if (cols[j]->kind != COL_PARTITION ||
				    cols[j]->position != (int)j)
					goto token_order;
			}
			vt = cqltype_new_scalar(CQLTYPE_BIGINT);
			j = where_value(ex, r->rhs, vt, "partition key token",
			    &c, 0, out);
			cqltype_free(vt);
			if (j != 0)
				goto done;
			{
				int64_t	v = 0;
				size_t	b;

				for (b = 0; b < 8 && b < c.n; b++)
					v = (int64_t)(((uint64_t)v << 8) |
					    c.p[b]);
				cell_clear(&c);
				if (r->op == OP_EQ || r->op == OP_GT ||
				    r->op == OP_GE) {
					w->has_tok_lo = 1;
					w->tok_lo = v;
					w->tok_lo_incl = r->op != OP_GT;
				}
				if (r->op == OP_EQ || r->op == OP_LT ||
				    r->op == OP_LE) {
					w->has_tok_hi = 1;
					w->tok_hi = v;
					w->tok_hi_incl = r->op != OP_LT;
				}
				if (r->op == OP_NE || r->op == OP_IN) {
					res_error(out, DB_ERR_INVALID, "Only EQ, "
					    "<, <=, > and >= are supported on "
					    "token()");
					goto done;
				}
			}
			continue;
		}
		if (r->op == OP_IS_NOT_NULL || r->op == OP_LIKE) {
			res_error(out, DB_ERR_INVALID, "%s restriction is not "
			    "supported by cqlmock on column %s",
			    r->op == OP_LIKE ? "LIKE" : "IS NOT NULL",
			    cols[0]->name);
			goto done;
		}
		if (r->lhs == LHS_ELEMENT) {
			res_error(out, DB_ERR_INVALID, "Element access is not "
			    "allowed in WHERE clauses");
			goto done;
		}
		rs = restr_add(w);
		rs->op = r->op;
		rs->lhs = r->lhs;
		rs->ncols = r->ncols;
		memcpy(rs->cols, cols, r->ncols * sizeof *cols);
		if (r->lhs == LHS_TUPLE) {
			for (j = 0; j < r->ncols; j++) {
				if (cols[j]->kind != COL_CLUSTERING) {
					res_error(out, DB_ERR_INVALID,
					    "Multi-column relations can only be "
					    "applied to clustering columns but "
					    "was applied to: %s", cols[j]->name);
					goto done;
				}
				if (cols[j]->position != cols[0]->position +
				    (int)j) {
					res_error(out, DB_ERR_INVALID, "Clustering "
					    "columns must appear in the "
					    "PRIMARY KEY order in multi-column "
					    "relations");
					goto done;
				}
			}
			if (r->op == OP_IN) {
				if (where_in_values(ex, r, cols, &rs->vals,
				    &rs->nvals, out) != 0)
					goto done;
			} else {
				struct slice	*el;
				size_t		 tn;

				vt = cqltype_new_tuple();
				for (j = 0; j < r->ncols; j++)
					cqltype_add(vt, NULL,
					    cqltype_dup(cols[j]->type));
				j = where_value(ex, r->rhs, vt, "tuple", &c, 0,
				    out);
				cqltype_free(vt);
				if (j != 0)
					goto done;
				if (split_coll(c.p, c.n, 1, r->ncols, &el, &tn)
				    != 0) {
					cell_clear(&c);
					res_error(out, DB_ERR_INVALID,
					    "Invalid tuple value");
					goto done;
				}
				rs->vals = xcalloc(r->ncols, sizeof *rs->vals);
				for (j = 0; j < r->ncols; j++)
					cell_set(&rs->vals[j], el[j].p,
					    el[j].n, 0, 0, 0);
				rs->nvals = 1;
				free(el);
				cell_clear(&c);
			}
			/* a tuple slice bounds its first column; the rest
			 * ride along (kind 3) without breaking the prefix */
			for (j = 0; j < r->ncols; j++) {
				size_t pos = cols[j]->position;

				if (r->op == OP_EQ)
					ck_kind[pos] = 1;
				else if (j == 0)
					ck_kind[pos] = 2;
				else if (ck_kind[pos] == 0)
					ck_kind[pos] = 3;
			}
			if (r->op != OP_EQ)
				w->ck_slice = 1;
			continue;
		}
		if (r->op == OP_IN) {
			if (where_in_values(ex, r, cols, &rs->vals, &rs->nvals,
			    out) != 0)
				goto done;
		} else {
			vt = rel_value_type(cols[0], r->op);
			j = where_value(ex, r->rhs, vt, cols[0]->name, &c, 0,
			    out);
			cqltype_free(vt);
			if (j != 0)
				goto done;
			rs->vals = xcalloc(1, sizeof *rs->vals);
			rs->vals[0] = c;
			rs->nvals = 1;
		}
		switch (cols[0]->kind) {
		case COL_PARTITION:
			if ((r->op == OP_EQ || r->op == OP_IN) &&
			    pk_lists[cols[0]->position] == NULL) {
				pk_lists[cols[0]->position] = rs->vals;
				pk_counts[cols[0]->position] = rs->nvals;
				npk++;
			} else if (r->op != OP_EQ && r->op != OP_IN)
				w->needs_filtering = 1;
			break;
		case COL_CLUSTERING:
			if (r->op == OP_EQ || r->op == OP_IN) {
				ck_kind[cols[0]->position] = 1;
				ck_lists[cols[0]->position] = rs->vals;
				ck_counts[cols[0]->position] = rs->nvals;
			} else if (r->op == OP_CONTAINS ||
			    r->op == OP_CONTAINS_KEY || r->op == OP_NE) {
				w->needs_filtering = 1;
			} else {
				ck_kind[cols[0]->position] = 2;
				w->ck_slice = 1;
			}
			break;
		default:
			w->regular = 1;
			if (r->op == OP_EQ && index_on(t, cols[0]))
				indexed_eq = 1;
			else
				w->needs_filtering = 1;
			break;
		}
	}
	if (npk == t->npk && t->npk > 0) {
		if (where_keys(w, pk_lists, pk_counts, out) != 0)
			goto done;
	} else if (npk > 0)
		w->pk_partial = 1;
	/* Clustering restrictions must form a prefix: =... then one slice. */
	{
		int	seen_gap = 0, seen_slice = 0;

		for (i = 0; i < t->nck; i++) {
			if (ck_kind[i] == 3)
				continue;
			if (ck_kind[i] == 0) {
				seen_gap = 1;
				continue;
			}
			if (seen_gap || seen_slice)
				w->needs_filtering = 1;
			if (ck_kind[i] == 2)
				seen_slice = 1;
			else if (!seen_gap && !seen_slice)
				w->ncks = i + 1;
		}
		/* an indexed = lets clustering restrictions go unfiltered */
		if (w->ncks > 0 && !w->has_keys && !indexed_eq)
			w->needs_filtering = 1;
		if (seen_slice && !w->has_keys && !indexed_eq)
			w->needs_filtering = 1;
	}
	if (w->pk_partial)
		w->needs_filtering = 1;
	/* Clustering rows fixed by = / IN (UPDATE, DELETE). */
	if (w->ncks > 0) {
		int	all_list = 1;

		for (i = 0; i < w->ncks; i++) {
			if (ck_lists[i] == NULL)
				all_list = 0;
		}
		if (all_list && cartesian(ck_lists, ck_counts, w->ncks, &w->cks,
		    &w->ncks_rows) != 0) {
			res_error(out, DB_ERR_INVALID, "IN restrictions on "
			    "clustering columns select too many rows");
			goto done;
		}
		if (!all_list)
			w->ncks = 0;
	}
	rc = 0;
done:
	return (rc);
token_order:
	res_error(out, DB_ERR_INVALID, "The token function arguments must be "
	    "in the partition key order: %s", t->cols[0].name);
	return (-1);
}

static int
value_cmp(struct column *c, const struct cell *a, const struct cell *b)
{
	return (cqlval_compare(c->type, a->p, a->n, b->p, b->n));
}

static int
op_holds(enum rel_op op, int c)
{
	switch (op) {
	case OP_EQ:
	case OP_IN:
		return (c == 0);
	case OP_LT:
		return (c < 0);
	case OP_LE:
		return (c <= 0);
	case OP_GT:
		return (c > 0);
	case OP_GE:
		return (c >= 0);
	case OP_NE:
		return (c != 0);
	default:
		return (0);
	}
}

static int
contains(struct column *col, const struct cell *cell, const struct cell *v,
    int key)
{
	const struct cqltype	*t = col->type;
	const struct cqltype	*et;
	struct slice		*el;
	size_t			 n, i, step = 1, off = 0;
	int			 found = 0;

	if (split_coll(cell->p, cell->n, 0, 0, &el, &n) != 0)
		return (0);
	if (t->kind == CQLTYPE_MAP) {
		/* split_coll read n pairs as n items: reread 2n */
		free(el);
		{
			struct rbuf	r;
			struct bytesval	bv;
			int32_t		cnt;

			rbuf_init(&r, cell->p, cell->n);
			cnt = rbuf_i32(&r);
			if (cnt < 0 || (size_t)cnt > cell->n)
				return (0);
			el = xcalloc(2 * (size_t)cnt + 1, sizeof *el);
			for (i = 0; i < 2 * (size_t)cnt; i++) {
				bv = rbuf_bytes(&r);
				el[i] = bv.v;
			}
			if (!rbuf_ok(&r)) {
				free(el);
				return (0);
			}
			n = 2 * (size_t)cnt;
		}
		step = 2;
		off = key ? 0 : 1;
		et = key ? t->sub[0] : t->sub[1];
	} else
		et = t->n > 0 ? t->sub[0] : t;
	for (i = off; i < n; i += step) {
		if (cqlval_compare(et, el[i].p, el[i].n, v->p, v->n) == 0) {
			found = 1;
			break;
		}
	}
	free(el);
	return (found);
}

static int
restr_match(struct exec *ex, struct where *w, struct restr *rs,
    struct partition *pt, struct row *r)
{
	struct table	*t = w->t;
	struct cell	*cells[ENGINE_MAX_DEPTH];
	size_t		 i, j;
	int		 c;

	for (i = 0; i < rs->ncols; i++) {
		cells[i] = row_cell(t, pt, r, rs->cols[i], 0);
		if (cells[i] == NULL || (rs->cols[i]->kind != COL_PARTITION &&
		    rs->cols[i]->kind != COL_CLUSTERING &&
		    !cell_live(ex->db, cells[i])))
			return (0);
	}
	if (rs->op == OP_CONTAINS || rs->op == OP_CONTAINS_KEY)
		return (contains(rs->cols[0], cells[0], &rs->vals[0],
		    rs->op == OP_CONTAINS_KEY));
	if (rs->op == OP_IN) {
		for (j = 0; j < rs->nvals; j++) {
			for (i = 0; i < rs->ncols; i++) {
				if (value_cmp(rs->cols[i], cells[i],
				    &rs->vals[j * rs->ncols + i]) != 0)
					break;
			}
			if (i == rs->ncols)
				return (1);
		}
		return (0);
	}
	/* Lexicographic comparison over the columns (one for most). */
	c = 0;
	/* tuples compare by value, whatever the clustering order */
	for (i = 0; i < rs->ncols && c == 0; i++)
		c = value_cmp(rs->cols[i], cells[i], &rs->vals[i]);
	return (op_holds(rs->op, c));
}

/* Token bounds and partition-key filters of a partition. */
int
where_match_part(struct where *w, struct partition *pt)
{
	if (w->has_tok_lo && (pt->token < w->tok_lo ||
	    (!w->tok_lo_incl && pt->token == w->tok_lo)))
		return (0);
	if (w->has_tok_hi && (pt->token > w->tok_hi ||
	    (!w->tok_hi_incl && pt->token == w->tok_hi)))
		return (0);
	return (1);
}

/*
 * Every predicate against one row (r NULL: the partition's static row,
 * which only matches when nothing restricts clustering or regular cells).
 */
int
where_match_row(struct exec *ex, struct where *w, struct partition *pt,
    struct row *r)
{
	size_t	i;

	if (!where_match_part(w, pt))
		return (0);
	for (i = 0; i < w->nrestrs; i++) {
		if (r == NULL && w->restrs[i].cols[0]->kind != COL_PARTITION &&
		    w->restrs[i].cols[0]->kind != COL_STATIC)
			return (0);
		if (!restr_match(ex, w, &w->restrs[i], pt, r))
			return (0);
	}
	return (1);
}

/*
 * Partition-key bind indexes for a statement whose WHERE (or INSERT
 * values) binds every pk column with a single marker; returns how many.
 */
int
where_pk_indexes(struct stmt *s, struct table *t, uint16_t *idx)
{
	size_t	i, j, found = 0;
	int	have[ENGINE_MAX_DEPTH];

	if (t->npk > ENGINE_MAX_DEPTH)
		return (0);
	for (i = 0; i < t->npk; i++)
		have[i] = -1;
	if (s->kind == STMT_INSERT) {
		for (i = 0; i < s->ncols; i++) {
			struct column *c = db_column(t, s->cols[i]);

			if (c != NULL && c->kind == COL_PARTITION &&
			    s->vals[i]->kind == TERM_BIND)
				have[c->position] = s->vals[i]->bind;
		}
	} else {
		for (i = 0; i < s->nwhere; i++) {
			struct relation	*r = s->where[i];
			struct column	*c;

			if (r->lhs != LHS_COLUMN || r->op != OP_EQ ||
			    r->rhs->kind != TERM_BIND)
				continue;
			c = db_column(t, r->cols[0]);
			if (c != NULL && c->kind == COL_PARTITION)
				have[c->position] = r->rhs->bind;
		}
	}
	for (j = 0; j < t->npk; j++) {
		if (have[j] < 0)
			return (0);
		idx[j] = have[j];
		found++;
	}
	return ((int)found);
}
