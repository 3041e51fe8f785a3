/*
 * exec_select.c: SELECT. Partitions are visited in token order (or the
 * IN keys' order), rows in clustering order (or reversed by ORDER BY),
 * and pages end exactly after the last returned row: the paging state
 * names that row, so it stays valid across writes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

#define PAGING_VERSION		1
#define MAX_UNPAGED_ROWS	100000

struct proj {
	enum sel_kind	 kind;
	struct column	*col;
	char		*fname;
	char		*name;
	struct cqltype	*type;
	/* aggregate state */
	int64_t		 count;
	uint8_t		*best;
	size_t		 bestn;
	int		 has_best;
	double		 dsum;
	int64_t		 isum;
	uint8_t		*first;
	size_t		 firstn;
	int		 has_first;
	int		 first_null;
};

struct scan {
	struct exec	*ex;
	struct table	*t;
	struct where	*w;
	struct proj	*projs;
	size_t		 nproj;
	int		 reversed;
	int		 distinct;
	int		 agg;
	int64_t		 limit;		/* -1: none */
	int64_t		 pplimit;
	int64_t		 page;
	int64_t		 total;
	int64_t		 pcount;
	int64_t		 last_pcount;
	struct partition *last_pt;
	struct row	*last_row;
	int		 has_more;
	int		 stop;
	struct db_cell	*cells;
	size_t		 nrows;
	size_t		 cap;
	int64_t		 now;
};

/* A decoded paging state. */
struct resume {
	int		 set;
	int64_t		 token;
	uint8_t		*key;
	size_t		 keylen;
	int		 static_row;
	struct cell	 ck[ENGINE_MAX_DEPTH];
	size_t		 nck;
	int64_t		 total;
	int64_t		 pcount;
};

static void
projs_free(struct proj *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(p[i].name);
		cqltype_free(p[i].type);
		free(p[i].best);
		free(p[i].first);
	}
	free(p);
}

static int
proj_column(struct table *t, const char *name, struct column **c,
    struct db_result *out)
{
	if ((*c = db_column(t, name)) == NULL) {
		res_error(out, DB_ERR_INVALID, "Undefined column name %s", name);
		return (-1);
	}
	return (0);
}

/* The output columns of a SELECT. */
static int
projs_build(struct exec *ex, struct table *t, struct proj **out_p,
    size_t *out_n, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct proj	*p;
	struct selector	*sel;
	size_t		 i, n;
	char		*tmp;

	if (s->star) {
		n = t->ncols;
		p = xcalloc(n + 1, sizeof *p);
		for (i = 0; i < n; i++) {
			p[i].kind = SEL_COLUMN;
			p[i].col = &t->cols[i];
			p[i].name = xstrdup(t->cols[i].name);
			p[i].type = cqltype_dup(t->cols[i].type);
		}
		if (s->distinct) {
			size_t	k = 0;

			for (i = 0; i < n; i++) {
				if (p[i].col->kind == COL_PARTITION ||
				    p[i].col->kind == COL_STATIC)
					p[k++] = p[i];
				else {
					free(p[i].name);
					cqltype_free(p[i].type);
				}
			}
			n = k;
		}
		*out_p = p;
		*out_n = n;
		return (0);
	}
	n = s->nsels;
	p = xcalloc(n + 1, sizeof *p);
	for (i = 0; i < n; i++) {
		sel = s->sels[i];
		p[i].kind = sel->kind;
		p[i].fname = sel->fname;
		switch (sel->kind) {
		case SEL_COLUMN:
			if (proj_column(t, sel->col, &p[i].col, out) != 0)
				goto fail;
			p[i].name = xstrdup(sel->col);
			p[i].type = cqltype_dup(p[i].col->type);
			break;
		case SEL_COUNT:
			if (sel->col != NULL && proj_column(t, sel->col,
			    &p[i].col, out) != 0)
				goto fail;
			p[i].name = xstrdup("count");
			p[i].type = cqltype_new_scalar(CQLTYPE_BIGINT);
			break;
		case SEL_WRITETIME:
		case SEL_TTL:
			if (proj_column(t, sel->col, &p[i].col, out) != 0)
				goto fail;
			if (p[i].col->kind == COL_PARTITION ||
			    p[i].col->kind == COL_CLUSTERING) {
				res_error(out, DB_ERR_INVALID, "Cannot use "
				    "selection function %s on PRIMARY KEY part "
				    "%s", sel->kind == SEL_TTL ? "ttl" :
				    "writeTime", sel->col);
				goto fail;
			}
			xasprintf(&p[i].name, "%s(%s)", sel->kind == SEL_TTL ?
			    "ttl" : "writetime", sel->col);
			p[i].type = cqltype_new_scalar(sel->kind == SEL_TTL ?
			    CQLTYPE_INT : CQLTYPE_BIGINT);
			break;
		case SEL_TOKEN:
			{
				size_t	j;
				char	*args = xstrdup("");

				if (sel->nargs != t->npk) {
					free(args);
					goto token_bad;
				}
				for (j = 0; j < sel->nargs; j++) {
					struct column *c = db_column(t,
					    sel->args[j]->col);

					if (c == NULL || c->kind != COL_PARTITION ||
					    c->position != (int)j) {
						free(args);
						goto token_bad;
					}
					xasprintf(&tmp, "%s%s%s", args,
					    j > 0 ? ", " : "", c->name);
					free(args);
					args = tmp;
				}
				xasprintf(&p[i].name, "system.token(%s)", args);
				free(args);
				p[i].type = cqltype_new_scalar(CQLTYPE_BIGINT);
			}
			break;
		case SEL_AGG:
			if (proj_column(t, sel->col, &p[i].col, out) != 0)
				goto fail;
			xasprintf(&p[i].name, "system.%s(%s)", sel->fname,
			    sel->col);
			p[i].type = cqltype_dup(p[i].col->type);
			if ((sel->fname[0] == 's' || sel->fname[0] == 'a') &&
			    p[i].type->kind != CQLTYPE_INT &&
			    p[i].type->kind != CQLTYPE_BIGINT &&
			    p[i].type->kind != CQLTYPE_SMALLINT &&
			    p[i].type->kind != CQLTYPE_TINYINT &&
			    p[i].type->kind != CQLTYPE_COUNTER &&
			    p[i].type->kind != CQLTYPE_DOUBLE &&
			    p[i].type->kind != CQLTYPE_FLOAT) {
				res_error(out, DB_ERR_INVALID, "Invalid call to "
				    "function %s, none of its type signatures "
				    "match", sel->fname);
				goto fail;
			}
			break;
		case SEL_FUNC:
			if (sel->nargs != 1 || sel->args[0]->kind != SEL_COLUMN) {
				res_error(out, DB_ERR_INVALID, "Unsupported "
				    "function in selection: %s", sel->fname);
				goto fail;
			}
			if (proj_column(t, sel->args[0]->col, &p[i].col, out)
			    != 0)
				goto fail;
			xasprintf(&p[i].name, "system.%s(%s)", sel->fname,
			    sel->args[0]->col);
			if (strcmp(sel->fname, "totimestamp") == 0 ||
			    strcmp(sel->fname, "dateof") == 0)
				p[i].type = cqltype_new_scalar(
				    CQLTYPE_TIMESTAMP);
			else if (strcmp(sel->fname, "tounixtimestamp") == 0 ||
			    strcmp(sel->fname, "unixtimestampof") == 0)
				p[i].type = cqltype_new_scalar(CQLTYPE_BIGINT);
			else if (strlen(sel->fname) > 6 &&
			    strcmp(sel->fname + strlen(sel->fname) - 6,
			    "asblob") == 0)
				p[i].type = cqltype_new_scalar(CQLTYPE_BLOB);
			else if (strncmp(sel->fname, "blobas", 6) == 0)
				p[i].type = cqltype_parse(sel->fname + 6, NULL);
			else if (strcmp(sel->fname, "cast") == 0)
				p[i].type = cqltype_parse(sel->col, NULL);
			if (p[i].type == NULL || (strcmp(sel->fname, "cast") == 0
			    && !cqltype_equal_unfrozen(p[i].type,
			    p[i].col->type))) {
				res_error(out, DB_ERR_INVALID, "Unsupported "
				    "function in selection: %s", sel->fname);
				goto fail;
			}
			break;
		default:
			res_error(out, DB_ERR_INVALID, "Constant selectors are "
			    "not supported by cqlmock");
			goto fail;
		}
		if (sel->alias != NULL) {
			free(p[i].name);
			p[i].name = xstrdup(sel->alias);
		}
		if (s->distinct && p[i].col != NULL &&
		    p[i].col->kind != COL_PARTITION &&
		    p[i].col->kind != COL_STATIC) {
			res_error(out, DB_ERR_INVALID, "SELECT DISTINCT queries "
			    "must only request partition key columns and/or "
			    "static columns (not %s)", p[i].col->name);
			goto fail;
		}
	}
	*out_p = p;
	*out_n = n;
	return (0);
token_bad:
	res_error(out, DB_ERR_INVALID, "Invalid arguments for token(): the "
	    "partition key columns in order are expected");
fail:
	projs_free(p, n);
	return (-1);
}

int
select_bind(struct exec *ex, struct table *t, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct cqltype	*it;

	if (where_bind(ex, t, s->where, s->nwhere, out) != 0)
		return (-1);
	it = cqltype_new_scalar(CQLTYPE_INT);
	lit_bind_type(s, s->limit, t->ks->name, t->name, "[limit]", it);
	lit_bind_type(s, s->pplimit, t->ks->name, t->name,
	    "[per_partition_limit]", it);
	cqltype_free(it);
	return (0);
}

static void
meta_fill(struct table *t, struct proj *p, size_t n, int json,
    struct db_result *out)
{
	size_t	i;

	if (json) {
		struct cqltype	*tt = cqltype_new_scalar(CQLTYPE_TEXT);

		out->cols = xcalloc(1, sizeof *out->cols);
		res_colspec(&out->cols[0], t->ks->name, t->name, "[json]", tt);
		out->ncols = 1;
		cqltype_free(tt);
		return;
	}
	out->cols = xcalloc(n + 1, sizeof *out->cols);
	for (i = 0; i < n; i++)
		res_colspec(&out->cols[i], t->ks->name, t->name, p[i].name,
		    p[i].type);
	out->ncols = n;
}

int
select_metadata(struct exec *ex, struct table *t, struct db_result *out)
{
	struct proj	*p;
	size_t		 n;

	if (projs_build(ex, t, &p, &n, out) != 0)
		return (-1);
	meta_fill(t, p, n, ex->stmt->json, out);
	projs_free(p, n);
	return (0);
}

static void
put64(uint8_t *b, int64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--) {
		b[i] = v & 0xff;
		v = (int64_t)((uint64_t)v >> 8);
	}
}

static int64_t
get_be(const uint8_t *p, size_t n)
{
	int64_t	v = 0;
	size_t	i;

	if (n > 0 && (p[0] & 0x80))
		v = -1;
	for (i = 0; i < n; i++)
		v = (int64_t)(((uint64_t)v << 8) | p[i]);
	return (v);
}

static void
dcell_set(struct db_cell *d, const uint8_t *p, size_t n)
{
	d->null = 0;
	d->n = n;
	d->p = n > 0 ? xmemdup(p, n) : xmalloc(1);
}

/* One projected value of a row (r NULL: the static row). */
static void
proj_value(struct scan *s, struct proj *p, struct partition *pt,
    struct row *r, struct db_cell *d)
{
	struct cell	*c = NULL;
	uint8_t		 b[8];
	int		 live = 0;

	d->null = 1;
	if (p->col != NULL) {
		c = row_cell(s->t, pt, r, p->col, 0);
		if (c != NULL) {
			if (p->col->kind == COL_PARTITION ||
			    p->col->kind == COL_CLUSTERING)
				live = c->live;
			else
				live = cell_live(s->ex->db, c);
		}
	}
	switch (p->kind) {
	case SEL_COLUMN:
	case SEL_AGG:
	case SEL_COUNT:
		if (live)
			dcell_set(d, c->p, c->n);
		return;
	case SEL_WRITETIME:
		if (live) {
			put64(b, c->ts);
			dcell_set(d, b, 8);
		}
		return;
	case SEL_TTL:
		if (live && c->expire != 0) {
			int64_t	left = (c->expire - s->now + 999999) / 1000000;

			b[0] = (uint8_t)(left >> 24);
			b[1] = (uint8_t)(left >> 16);
			b[2] = (uint8_t)(left >> 8);
			b[3] = (uint8_t)left;
			dcell_set(d, b, 4);
		}
		return;
	case SEL_TOKEN:
		put64(b, pt->token);
		dcell_set(d, b, 8);
		return;
	case SEL_FUNC:
		if (!live)
			return;
		if (p->type->kind == CQLTYPE_TIMESTAMP ||
		    (p->type->kind == CQLTYPE_BIGINT &&
		    p->col->type->kind != CQLTYPE_BIGINT)) {
			int64_t	ms;

			if (c->n == 16)
				ms = (int64_t)(cqlval_timeuuid_time(c->p) -
				    0x01B21DD213814000ULL) / 10000;
			else if (c->n == 4)
				ms = ((int64_t)(uint32_t)get_be(c->p, 4) -
				    ((int64_t)1 << 31)) * 86400000;
			else
				ms = get_be(c->p, c->n);
			put64(b, ms);
			dcell_set(d, b, 8);
			return;
		}
		dcell_set(d, c->p, c->n);
		return;
	default:
		return;
	}
}

static void
rows_grow(struct scan *s)
{
	size_t	ncols = s->nproj;

	if (s->nrows == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		s->cells = xreallocarray(s->cells, s->cap * (ncols ? ncols : 1),
		    sizeof *s->cells);
	}
}

/* Fold a row into the aggregates. */
static void
agg_add(struct scan *s, struct partition *pt, struct row *r)
{
	struct db_cell	 d;
	struct proj	*p;
	size_t		 i;

	for (i = 0; i < s->nproj; i++) {
		p = &s->projs[i];
		memset(&d, 0, sizeof d);
		if (p->kind == SEL_COUNT && p->col == NULL) {
			p->count++;
			continue;
		}
		proj_value(s, p, pt, r, &d);
		if (p->kind == SEL_COUNT) {
			if (!d.null)
				p->count++;
		} else if (p->kind == SEL_AGG && !d.null) {
			const char *f = p->fname;

			p->count++;
			if (f[1] == 'i' || f[1] == 'a') {	/* min, max */
				int c = p->has_best ? cqlval_compare(p->type,
				    d.p, d.n, p->best, p->bestn) : 0;

				if (!p->has_best || (f[1] == 'i' && c < 0) ||
				    (f[1] == 'a' && f[0] == 'm' && c > 0)) {
					free(p->best);
					p->best = d.p;
					p->bestn = d.n;
					p->has_best = 1;
					d.p = NULL;
				}
			}
			if (strcmp(f, "sum") == 0 || strcmp(f, "avg") == 0) {
				if (p->type->kind == CQLTYPE_DOUBLE) {
					uint64_t bits = (uint64_t)get_be(d.p, 8);
					double	 v;

					memcpy(&v, &bits, 8);
					p->dsum += v;
				} else if (p->type->kind == CQLTYPE_FLOAT) {
					uint32_t bits = (uint32_t)get_be(d.p, 4);
					float	 v;

					memcpy(&v, &bits, 4);
					p->dsum += v;
				} else
					p->isum += get_be(d.p, d.n);
			}
		} else if (!p->has_first) {
			p->has_first = 1;
			p->first_null = d.null;
			p->first = d.p;
			p->firstn = d.n;
			d.p = NULL;
		}
		free(d.p);
	}
}

static void
agg_finish(struct scan *s)
{
	struct proj	*p;
	struct db_cell	*d;
	uint8_t		 b[8];
	size_t		 i;
	int		 size;

	rows_grow(s);
	for (i = 0; i < s->nproj; i++) {
		p = &s->projs[i];
		d = &s->cells[i];
		memset(d, 0, sizeof *d);
		d->null = 1;
		if (p->kind == SEL_COUNT) {
			put64(b, p->count);
			dcell_set(d, b, 8);
		} else if (p->kind == SEL_AGG) {
			const char *f = p->fname;

			if (f[0] == 'm') {
				if (p->has_best)
					dcell_set(d, p->best, p->bestn);
				continue;
			}
			size = cqltype_fixed_size(p->type->kind);
			if (p->type->kind == CQLTYPE_DOUBLE ||
			    p->type->kind == CQLTYPE_FLOAT) {
				double	v = p->dsum;

				if (f[0] == 'a')
					v = p->count > 0 ? v / p->count : 0;
				if (p->type->kind == CQLTYPE_DOUBLE) {
					uint64_t bits;

					memcpy(&bits, &v, 8);
					put64(b, (int64_t)bits);
					dcell_set(d, b, 8);
				} else {
					float	 fv = (float)v;
					uint32_t bits;

					memcpy(&bits, &fv, 4);
					put64(b, (int64_t)bits);
					dcell_set(d, b + 4, 4);
				}
			} else {
				int64_t	v = p->isum;

				if (f[0] == 'a')
					v = p->count > 0 ? v / p->count : 0;
				put64(b, v);
				dcell_set(d, b + 8 - size, size);
			}
		} else if (p->has_first && !p->first_null)
			dcell_set(d, p->first, p->firstn);
	}
	s->nrows = 1;
}

/* Offer one row to the page; a row past a full page means "has more". */
static void
emit(struct scan *s, struct partition *pt, struct row *r)
{
	size_t	i;

	if (s->stop)
		return;
	if (s->agg) {
		agg_add(s, pt, r);
		return;
	}
	if (s->limit >= 0 && s->total >= s->limit) {
		s->stop = 1;
		return;
	}
	if ((int64_t)s->nrows >= s->page) {
		s->has_more = 1;
		s->stop = 1;
		return;
	}
	rows_grow(s);
	for (i = 0; i < s->nproj; i++) {
		struct db_cell	*d = &s->cells[s->nrows * s->nproj + i];

		memset(d, 0, sizeof *d);
		proj_value(s, &s->projs[i], pt, r, d);
	}
	s->nrows++;
	s->total++;
	s->pcount++;
	s->last_pt = pt;
	s->last_row = r;
	s->last_pcount = s->pcount;
}

static int
key_cmp(int64_t ta, const uint8_t *ka, size_t na, int64_t tb,
    const uint8_t *kb, size_t nb)
{
	int	c;

	if (ta != tb)
		return (ta < tb ? -1 : 1);
	c = na == 0 || nb == 0 ? 0 :
	    memcmp(ka, kb, na < nb ? na : nb);
	if (c != 0)
		return (c);
	return (na < nb ? -1 : na > nb);
}

/* Rows of one partition, resuming after a paging state when it is here. */
static void
scan_partition(struct scan *s, struct partition *pt, struct resume *rs)
{
	struct exec	*ex = s->ex;
	struct row	*r;
	size_t		 i, k;
	int		 here = 0, any_row = 0;

	if (!where_match_part(s->w, pt))
		return;
	s->pcount = 0;
	if (rs->set && key_cmp(pt->token, pt->key, pt->keylen, rs->token,
	    rs->key, rs->keylen) == 0) {
		here = 1;
		s->pcount = rs->pcount;
		if (rs->static_row || s->distinct)
			return;
	}
	if (s->distinct) {
		int	live = part_statics_live(ex->db, pt);

		for (i = 0; i < pt->nrows && !live; i++)
			live = row_live(ex->db, s->t, pt->rows[i]);
		if (live && where_match_row(ex, s->w, pt, NULL))
			emit(s, pt, NULL);
		return;
	}
	for (k = 0; k < pt->nrows && !s->stop; k++) {
		i = s->reversed ? pt->nrows - 1 - k : k;
		r = pt->rows[i];
		if (!row_live(ex->db, s->t, r))
			continue;
		any_row = 1;
		if (here) {
			int	c = row_compare_ck(s->t, r->ck, rs->ck, rs->nck);

			if ((!s->reversed && c <= 0) || (s->reversed && c >= 0))
				continue;
		}
		if (!where_match_row(ex, s->w, pt, r))
			continue;
		if (s->pplimit >= 0 && s->pcount >= s->pplimit)
			break;
		emit(s, pt, r);
	}
	if (!any_row && !here && s->t->nck > 0 &&
	    part_statics_live(ex->db, pt) &&
	    (s->pplimit < 0 || s->pcount < s->pplimit) &&
	    where_match_row(ex, s->w, pt, NULL))
		emit(s, pt, NULL);
}

static void
resume_clear(struct resume *rs)
{
	size_t	i;

	free(rs->key);
	for (i = 0; i < rs->nck; i++)
		cell_clear(&rs->ck[i]);
	memset(rs, 0, sizeof *rs);
}

static int
resume_decode(struct table *t, const uint8_t *p, size_t n, struct resume *rs)
{
	struct rbuf	r;
	struct bytesval	bv;
	size_t		i;
	int32_t		nck;

	memset(rs, 0, sizeof *rs);
	rbuf_init(&r, p, n);
	if (rbuf_u8(&r) != PAGING_VERSION)
		return (-1);
	rs->token = rbuf_i64(&r);
	bv = rbuf_bytes(&r);
	if (!rbuf_ok(&r) || bv.state != BYTES_VALUE)
		return (-1);
	rs->key = xmemdup(bv.v.p, bv.v.n);
	rs->keylen = bv.v.n;
	rs->static_row = rbuf_u8(&r);
	nck = rbuf_i32(&r);
	if (!rbuf_ok(&r) || nck < 0 || (size_t)nck > t->nck) {
		resume_clear(rs);
		return (-1);
	}
	for (i = 0; i < (size_t)nck; i++) {
		bv = rbuf_bytes(&r);
		if (!rbuf_ok(&r) || bv.state != BYTES_VALUE) {
			resume_clear(rs);
			return (-1);
		}
		cell_set(&rs->ck[i], bv.v.p, bv.v.n, 0, 0, 0);
		rs->nck++;
	}
	rs->total = rbuf_i64(&r);
	rs->pcount = rbuf_i64(&r);
	if (!rbuf_ok(&r) || rbuf_left(&r) != 0 || rs->total < 0 ||
	    rs->pcount < 0) {
		resume_clear(rs);
		return (-1);
	}
	rs->set = 1;
	return (0);
}

static void
resume_encode(struct scan *s, struct db_result *out)
{
	struct wbuf	w;
	size_t		i;
	struct row	*r = s->last_row;

	wbuf_init(&w, WBUF_DEFAULT_CAP);
	wbuf_u8(&w, PAGING_VERSION);
	wbuf_i64(&w, s->last_pt->token);
	wbuf_bytes(&w, s->last_pt->key, s->last_pt->keylen);
	wbuf_u8(&w, r == NULL);
	wbuf_i32(&w, r == NULL ? 0 : (int32_t)s->t->nck);
	for (i = 0; r != NULL && i < s->t->nck; i++)
		wbuf_bytes(&w, r->ck[i].p, r->ck[i].n);
	wbuf_i64(&w, s->total);
	wbuf_i64(&w, s->last_pcount);
	out->paging_state = wbuf_steal(&w, &out->paging_state_len);
	wbuf_free(&w);
}

static int
limit_value(struct exec *ex, struct term *term, const char *what,
    int64_t *v, struct db_result *out)
{
	struct lit_ctx	 lc = { ex->db, ex->stmt, ex->values, NULL,
	    ex->bindmap };
	struct cqltype	*it;
	struct wbuf	 w;
	enum lit_state	 st;
	char		*err;
	int		 rc;

	*v = -1;
	if (term == NULL)
		return (0);
	it = cqltype_new_scalar(CQLTYPE_INT);
	wbuf_init(&w, 16);
	rc = lit_encode(&lc, term, it, what, &w, &st, &err);
	cqltype_free(it);
	if (rc != 0) {
		res_error(out, DB_ERR_INVALID, "%s", err);
		free(err);
		wbuf_free(&w);
		return (-1);
	}
	if (st != LIT_VALUE) {
		wbuf_free(&w);
		if (st == LIT_UNSET)
			return (0);
		res_error(out, DB_ERR_INVALID, "Invalid null value of %s",
		    what);
		return (-1);
	}
	*v = get_be(w.p, w.len);
	wbuf_free(&w);
	if (*v <= 0) {
		res_error(out, DB_ERR_INVALID, "%s must be strictly positive",
		    strcmp(what, "limit") == 0 ? "LIMIT" :
		    "PER PARTITION LIMIT");
		return (-1);
	}
	return (0);
}

/* ORDER BY: only clustering columns in order, all in one direction. */
static int
order_check(struct exec *ex, struct table *t, struct where *w, int *reversed,
    struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct column	*c;
	size_t		 i;
	int		 rev = -1, r;

	*reversed = 0;
	if (s->norder == 0)
		return (0);
	if (!w->has_keys) {
		res_error(out, DB_ERR_INVALID, "ORDER BY is only supported when "
		    "the partition key is restricted by an EQ or an IN.");
		return (-1);
	}
	for (i = 0; i < s->norder; i++) {
		if ((c = db_column(t, s->order_cols[i])) == NULL) {
			res_error(out, DB_ERR_INVALID, "Undefined column name %s",
			    s->order_cols[i]);
			return (-1);
		}
		if (c->kind != COL_CLUSTERING) {
			res_error(out, DB_ERR_INVALID, "Order by on unknown "
			    "column %s", c->name);
			return (-1);
		}
		if (c->position != (int)i) {
			res_error(out, DB_ERR_INVALID, "Order by currently only "
			    "supports the ordering of columns following their "
			    "declared order in the PRIMARY KEY");
			return (-1);
		}
		r = s->order_desc[i] != c->desc;
		if (rev >= 0 && r != rev) {
			res_error(out, DB_ERR_INVALID, "Unsupported order by "
			    "relation");
			return (-1);
		}
		rev = r;
	}
	*reversed = rev > 0;
	return (0);
}

static void json_rows(struct scan *, struct db_result *);

void
select_run(struct exec *ex, struct table *t, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct where	 w;
	struct scan	 sc;
	struct resume	 rs;
	const struct db_opts *o = ex->opts;
	size_t		 i;

	memset(&sc, 0, sizeof sc);
	memset(&rs, 0, sizeof rs);
	if (t->virtual)
		systables_refresh_virtual(ex->db, t, ex->node);
	if (projs_build(ex, t, &sc.projs, &sc.nproj, out) != 0)
		return;
	if (where_build(ex, t, s->where, s->nwhere, &w, out) != 0)
		goto done;
	if (w.needs_filtering && !s->allow_filtering) {
		res_error(out, DB_ERR_INVALID, "Cannot execute this query as it "
		    "might involve data filtering and thus may have "
		    "unpredictable performance. If you want to execute this "
		    "query despite the performance unpredictability, use "
		    "ALLOW FILTERING");
		goto done;
	}
	sc.ex = ex;
	sc.t = t;
	sc.w = &w;
	sc.distinct = s->distinct;
	sc.now = db_now(ex->db);
	for (i = 0; i < sc.nproj; i++) {
		if (sc.projs[i].kind == SEL_COUNT ||
		    sc.projs[i].kind == SEL_AGG)
			sc.agg = 1;
	}
	if (order_check(ex, t, &w, &sc.reversed, out) != 0)
		goto done;
	if (limit_value(ex, s->limit, "limit", &sc.limit, out) != 0 ||
	    limit_value(ex, s->pplimit, "per partition limit", &sc.pplimit,
	    out) != 0)
		goto done;
	sc.page = o->page_size > 0 ? o->page_size : MAX_UNPAGED_ROWS;
	if (o->page_size > DB_MAX_PAGE_ROWS)
		sc.page = DB_MAX_PAGE_ROWS;
	if (!sc.agg && o->paging_state != NULL && o->paging_state_len > 0) {
		if (resume_decode(t, o->paging_state, o->paging_state_len,
		    &rs) != 0) {
			res_error(out, DB_ERR_PROTOCOL, "Invalid value for the "
			    "paging state");
			goto done;
		}
		sc.total = rs.total;
	}
	if (w.has_keys && w.nkeys == 1)
		out->info.has_token = 1;
	if (w.has_keys) {
		for (i = 0; i < w.nkeys && !sc.stop; i++) {
			struct partition	*pt;
			uint8_t			*key;
			size_t			 kn;
			int64_t			 tok;

			if (part_key_make(t, w.keys[i], &key, &kn, &tok) != 0)
				continue;
			if (w.nkeys == 1)
				out->info.token = tok;
			if (rs.set && key_cmp(tok, key, kn, rs.token, rs.key,
			    rs.keylen) < 0) {
				free(key);
				continue;
			}
			pt = part_find(t, tok, key, kn);
			free(key);
			if (pt != NULL)
				scan_partition(&sc, pt, &rs);
		}
	} else {
		size_t	start = 0;

		if (rs.set)
			start = part_lower(t, rs.token, rs.key, rs.keylen);
		else if (w.has_tok_lo)
			start = part_lower(t, w.tok_lo, NULL, 0);
		for (i = start; i < t->nparts && !sc.stop; i++) {
			if (w.has_tok_hi && t->parts[i]->token > w.tok_hi)
				break;
			scan_partition(&sc, t->parts[i], &rs);
		}
	}
	if (sc.agg)
		agg_finish(&sc);
	if (s->json) {
		json_rows(&sc, out);
	} else {
		meta_fill(t, sc.projs, sc.nproj, 0, out);
		out->cells = sc.cells;
		out->nrows = sc.nrows;
		sc.cells = NULL;
	}
	out->kind = DB_RESULT_ROWS;
	if (sc.has_more && sc.last_pt != NULL) {
		out->has_more = 1;
		resume_encode(&sc, out);
	}
done:
	where_free(&w);
	for (i = 0; sc.cells != NULL && i < sc.nrows * sc.nproj; i++)
		free(sc.cells[i].p);
	free(sc.cells);
	projs_free(sc.projs, sc.nproj);
	resume_clear(&rs);
}

/* SELECT JSON: each row becomes one JSON object keyed by column names. */
static void
json_rows(struct scan *s, struct db_result *out)
{
	struct cqltype	*tt = cqltype_new_scalar(CQLTYPE_TEXT);
	struct wbuf	 w;
	size_t		 r, i;

	out->cols = xcalloc(1, sizeof *out->cols);
	res_colspec(&out->cols[0], s->t->ks->name, s->t->name, "[json]", tt);
	out->ncols = 1;
	cqltype_free(tt);
	out->cells = xcalloc(s->nrows + 1, sizeof *out->cells);
	for (r = 0; r < s->nrows; r++) {
		wbuf_init(&w, ENGINE_MAX_CELL);
		wbuf_u8(&w, '{');
		for (i = 0; i < s->nproj; i++) {
			struct db_cell	*d = &s->cells[r * s->nproj + i];

			if (i > 0)
				wbuf_raw(&w, ", ", 2);
			jsonw_string(&w, s->projs[i].name);
			wbuf_raw(&w, ": ", 2);
			if (d->null)
				wbuf_raw(&w, "null", 4);
			else
				json_value(&w, s->projs[i].type, d->p, d->n);
		}
		wbuf_u8(&w, '}');
		out->cells[r].p = wbuf_steal(&w, &out->cells[r].n);
		wbuf_free(&w);
	}
	out->nrows = s->nrows;
}
