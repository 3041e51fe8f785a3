/*
 * exec_modify.c: INSERT, UPDATE, DELETE and BATCH, with timestamps, TTLs,
 * collection operations, counters and lightweight-transaction conditions.
 * A modification is prepared (keys and values computed and checked), then
 * its conditions are checked, then it is applied, so a batch can check
 * every condition before applying anything.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

struct mod {
	struct exec	 ex;
	struct table	*t;
	struct stmt	*s;
	int64_t		 ts;
	int32_t		 ttl;
	int64_t		 expire;
	struct where	 w;
	int		 has_where;
	/* INSERT: one key and row */
	struct cell	 pk[ENGINE_MAX_DEPTH];
	struct cell	 ck[ENGINE_MAX_DEPTH];
	struct value	*vals;		/* INSERT values / UPDATE new values */
	struct value	*keys;		/* UPDATE element keys */
	struct value	*conds;		/* condition values (IN: list) */
	struct value	*celems;	/* condition element keys */
	int		 static_only;
	struct db_result *out;		/* for the statement's token info */
};

static void result_rows_clear(struct db_result *);

/* The write time and expiry collection operations stamp on cells. */
static struct write_ts
mod_wts(struct mod *m)
{
	struct write_ts	w = { m->ex.db, m->ts, m->ttl, m->expire };

	return (w);
}
static void out_token(struct mod *, struct partition *);

static const struct cqltype *
elem_type(const struct cqltype *t)
{
	return (t->n > 0 ? t->sub[0] : t);
}

static void
mod_free(struct mod *m)
{
	size_t	i, n;

	if (m->has_where)
		where_free(&m->w);
	for (i = 0; i < ENGINE_MAX_DEPTH; i++) {
		cell_clear(&m->pk[i]);
		cell_clear(&m->ck[i]);
	}
	n = m->s->kind == STMT_INSERT ? m->s->ncols : m->s->kind ==
	    STMT_UPDATE ? m->s->nassigns : m->s->ndels;
	for (i = 0; m->vals != NULL && i < n; i++)
		free(m->vals[i].p);
	for (i = 0; m->keys != NULL && i < n; i++)
		free(m->keys[i].p);
	for (i = 0; m->conds != NULL && i < m->s->nconds; i++) {
		free(m->conds[i].p);
		free(m->celems[i].p);
	}
	free(m->vals);
	free(m->keys);
	free(m->conds);
	free(m->celems);
}

static int
mod_encode(struct mod *m, struct term *term, const struct cqltype *type,
    const char *name, struct value *v, struct db_result *out)
{
	struct lit_ctx	 lc = { m->ex.db, m->s, m->ex.values, NULL,
	    m->ex.bindmap };
	struct wbuf	 w;
	char		*err;

	memset(v, 0, sizeof *v);
	wbuf_init(&w, ENGINE_MAX_CELL);
	if (lit_encode(&lc, term, type, name, &w, &v->st, &err) != 0) {
		res_error(out, DB_ERR_INVALID, "%s", err);
		free(err);
		wbuf_free(&w);
		return (-1);
	}
	if (v->st == LIT_VALUE)
		v->p = wbuf_steal(&w, &v->n);
	wbuf_free(&w);
	return (0);
}

static struct cqltype *
set_of(const struct cqltype *t)
{
	return (cqltype_new_set(cqltype_dup(t)));
}

/* The type an assignment's right-hand side has. */
static struct cqltype *
assign_type(struct column *c, struct assign *a)
{
	const struct cqltype	*t = c->type;

	switch (a->kind) {
	case ASSIGN_ADD:
	case ASSIGN_SUB:
	case ASSIGN_PREPEND:
		if (t->kind == CQLTYPE_COUNTER)
			return (cqltype_new_scalar(CQLTYPE_BIGINT));
		if (t->kind == CQLTYPE_MAP && a->kind == ASSIGN_SUB)
			return (set_of(t->sub[0]));
		return (cqltype_dup(t));
	case ASSIGN_ELEMENT:
		if (t->kind == CQLTYPE_MAP)
			return (cqltype_dup(t->sub[1]));
		return (cqltype_dup(elem_type(t)));
	case ASSIGN_FIELD:
		if (t->kind == CQLTYPE_UDT) {
			size_t	i;

			for (i = 0; i < t->n; i++) {
				if (strcmp(t->fields[i], a->field) == 0)
					return (cqltype_dup(t->sub[i]));
			}
		}
		return (NULL);
	default:
		return (cqltype_dup(t));
	}
}

static int
undefined(struct db_result *out, const char *name)
{
	res_error(out, DB_ERR_INVALID, "Undefined column name %s", name);
	return (-1);
}

int
modify_bind(struct exec *ex, struct table *t, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct column	*c;
	struct cqltype	*vt;
	const char	*ks = t->ks->name;
	char		*name;
	size_t		 i;

	vt = cqltype_new_scalar(CQLTYPE_INT);
	lit_bind_type(s, s->ttl, ks, t->name, "[ttl]", vt);
	cqltype_free(vt);
	vt = cqltype_new_scalar(CQLTYPE_BIGINT);
	lit_bind_type(s, s->timestamp, ks, t->name, "[timestamp]", vt);
	cqltype_free(vt);
	switch (s->kind) {
	case STMT_INSERT:
		if (s->insert_json) {
			vt = cqltype_new_scalar(CQLTYPE_TEXT);
			lit_bind_type(s, s->vals[0], ks, t->name, "[json]", vt);
			cqltype_free(vt);
			return (0);
		}
		for (i = 0; i < s->ncols; i++) {
			if ((c = db_column(t, s->cols[i])) == NULL)
				return (undefined(out, s->cols[i]));
			lit_bind_type(s, s->vals[i], ks, t->name, c->name,
			    c->type);
		}
		return (0);
	case STMT_UPDATE:
		for (i = 0; i < s->nassigns; i++) {
			struct assign	*a = s->assigns[i];

			if ((c = db_column(t, a->col)) == NULL)
				return (undefined(out, a->col));
			if (a->kind == ASSIGN_ELEMENT) {
				if (c->type->kind == CQLTYPE_MAP) {
					xasprintf(&name, "key(%s)", c->name);
					lit_bind_type(s, a->key, ks, t->name,
					    name, c->type->sub[0]);
				} else {
					struct cqltype *it =
					    cqltype_new_scalar(CQLTYPE_INT);

					xasprintf(&name, "idx(%s)", c->name);
					lit_bind_type(s, a->key, ks, t->name,
					    name, it);
					cqltype_free(it);
				}
				free(name);
			}
			if ((vt = assign_type(c, a)) == NULL) {
				res_error(out, DB_ERR_INVALID, "Invalid field %s "
				    "for column %s", a->field != NULL ?
				    a->field : "?", c->name);
				return (-1);
			}
			if (a->kind == ASSIGN_ELEMENT)
				xasprintf(&name, "value(%s)", c->name);
			else if (a->kind == ASSIGN_FIELD)
				xasprintf(&name, "%s.%s", c->name, a->field);
			else
				name = xstrdup(c->name);
			lit_bind_type(s, a->val, ks, t->name, name, vt);
			free(name);
			cqltype_free(vt);
		}
		break;
	case STMT_DELETE:
		for (i = 0; i < s->ndels; i++) {
			struct deletion	*d = &s->dels[i];

			if ((c = db_column(t, d->col)) == NULL)
				return (undefined(out, d->col));
			if (d->elem == NULL)
				continue;
			if (c->type->kind == CQLTYPE_MAP)
				vt = cqltype_dup(c->type->sub[0]);
			else
				vt = cqltype_new_scalar(CQLTYPE_INT);
			xasprintf(&name, "key(%s)", c->name);
			lit_bind_type(s, d->elem, ks, t->name, name, vt);
			free(name);
			cqltype_free(vt);
		}
		break;
	default:
		return (0);
	}
	if (where_bind(ex, t, s->where, s->nwhere, out) != 0)
		return (-1);
	return (where_bind(ex, t, s->conds, s->nconds, out));
}

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

/* USING TIMESTAMP / TTL, the batch's or the request's timestamp. */
static int
mod_time(struct mod *m, struct db_result *out)
{
	struct value		 v;
	struct cqltype		*ty;
	const struct prop_val	*pv;
	int			 rc;

	if (m->s->timestamp != NULL) {
		if (m->ex.has_batch_ts) {
			res_error(out, DB_ERR_INVALID, "Timestamp must be set "
			    "either on BATCH or individual statements");
			return (-1);
		}
		ty = cqltype_new_scalar(CQLTYPE_BIGINT);
		rc = mod_encode(m, m->s->timestamp, ty, "[timestamp]", &v, out);
		cqltype_free(ty);
		if (rc != 0)
			return (-1);
		if (v.st == LIT_NULL) {
			res_error(out, DB_ERR_INVALID, "Invalid null value of "
			    "timestamp");
			return (-1);
		}
		m->ts = v.st == LIT_VALUE ? be_int(v.p, v.n) :
		    db_timestamp(m->ex.db);
		free(v.p);
	} else if (m->ex.has_batch_ts)
		m->ts = m->ex.batch_ts;
	else if (m->ex.opts->has_timestamp)
		m->ts = m->ex.opts->timestamp;
	else
		m->ts = db_timestamp(m->ex.db);
	m->ttl = 0;
	if ((pv = db_prop(m->t, "default_time_to_live")) != NULL &&
	    !pv->null && pv->n == 4)
		m->ttl = (int32_t)be_int(pv->p, 4);
	if (m->s->ttl != NULL) {
		if (m->t->counter) {
			res_error(out, DB_ERR_INVALID, "Cannot provide custom "
			    "TTL for counter updates");
			return (-1);
		}
		ty = cqltype_new_scalar(CQLTYPE_INT);
		rc = mod_encode(m, m->s->ttl, ty, "[ttl]", &v, out);
		cqltype_free(ty);
		if (rc != 0)
			return (-1);
		if (v.st == LIT_NULL) {
			res_error(out, DB_ERR_INVALID, "Invalid null value of "
			    "TTL");
			return (-1);
		}
		if (v.st == LIT_VALUE) {
			int64_t	ttl = be_int(v.p, v.n);

			free(v.p);
			if (ttl < 0) {
				res_error(out, DB_ERR_INVALID, "A TTL must be "
				    "greater or equal to 0, but was %lld",
				    (long long)ttl);
				return (-1);
			}
			if (ttl > ENGINE_MAX_TTL) {
				res_error(out, DB_ERR_INVALID, "ttl is too large. "
				    "requested (%lld) maximum (%d)",
				    (long long)ttl, ENGINE_MAX_TTL);
				return (-1);
			}
			m->ttl = (int32_t)ttl;
		}
	}
	m->expire = m->ttl > 0 ? db_now(m->ex.db) + (int64_t)m->ttl * 1000000 :
	    0;
	return (0);
}

static void
missing(struct table *t, int ck, const int *have, struct db_result *out)
{
	char	*list = xstrdup(""), *tmp;
	size_t	 i, base = ck ? t->npk : 0, n = ck ? t->nck : t->npk;

	for (i = 0; i < n; i++) {
		if (have[i])
			continue;
		xasprintf(&tmp, "%s%s%s", list, *list ? ", " : "",
		    t->cols[base + i].name);
		free(list);
		list = tmp;
	}
	res_error(out, DB_ERR_INVALID, "Some %s are missing: %s", ck ?
	    "clustering keys" : "partition key parts", list);
	free(list);
}

/* Empty single-column partition keys are refused, as Cassandra does. */
static int
key_check(struct table *t, struct cell *pk, struct db_result *out)
{
	if (t->npk == 1 && pk[0].n == 0) {
		res_error(out, DB_ERR_INVALID, "Key may not be empty");
		return (-1);
	}
	if (t->npk == 1 && pk[0].n > 65535) {
		res_error(out, DB_ERR_INVALID, "Key length of %zu is longer "
		    "than maximum of 65535", pk[0].n);
		return (-1);
	}
	return (0);
}

static int
prepare_insert(struct mod *m, struct db_result *out)
{
	struct stmt	*s = m->s;
	struct table	*t = m->t;
	struct column	*c;
	int		 have_pk[ENGINE_MAX_DEPTH] = { 0 };
	int		 have_ck[ENGINE_MAX_DEPTH] = { 0 };
	size_t		 i, j, npk = 0, nck = 0;

	if (t->counter) {
		res_error(out, DB_ERR_INVALID, "INSERT statements are not "
		    "allowed on counter tables, use UPDATE instead");
		return (-1);
	}
	if (s->insert_json) {
		res_error(out, DB_ERR_INVALID, "INSERT JSON is not supported "
		    "by cqlmock");
		return (-1);
	}
	m->vals = xcalloc(s->ncols + 1, sizeof *m->vals);
	for (i = 0; i < s->ncols; i++) {
		c = db_column(t, s->cols[i]);
		for (j = 0; j < i; j++) {
			if (strcmp(s->cols[j], s->cols[i]) == 0) {
				res_error(out, DB_ERR_INVALID, "Multiple "
				    "definitions found for column %s",
				    s->cols[i]);
				return (-1);
			}
		}
		if (mod_encode(m, s->vals[i], c->type, c->name, &m->vals[i],
		    out) != 0)
			return (-1);
		if (c->kind != COL_PARTITION && c->kind != COL_CLUSTERING)
			continue;
		if (m->vals[i].st != LIT_VALUE) {
			res_error(out, DB_ERR_INVALID, "Invalid %s value for "
			    "%s key column %s", m->vals[i].st == LIT_NULL ?
			    "null" : "unset", c->kind == COL_PARTITION ?
			    "partition" : "clustering", c->name);
			return (-1);
		}
		if (c->kind == COL_PARTITION) {
			cell_set(&m->pk[c->position], m->vals[i].p,
			    m->vals[i].n, 0, 0, 0);
			have_pk[c->position] = 1;
			npk++;
		} else {
			cell_set(&m->ck[c->position], m->vals[i].p,
			    m->vals[i].n, 0, 0, 0);
			have_ck[c->position] = 1;
			nck++;
		}
	}
	if (npk < t->npk) {
		missing(t, 0, have_pk, out);
		return (-1);
	}
	if (nck < t->nck) {
		/* pk and static columns only: a write to the partition */
		m->static_only = nck == 0;
		for (i = 0; i < s->ncols && m->static_only; i++) {
			c = db_column(t, s->cols[i]);
			if (c->kind != COL_PARTITION && c->kind != COL_STATIC)
				m->static_only = 0;
		}
		if (!m->static_only || s->ncols == t->npk) {
			missing(t, 1, have_ck, out);
			return (-1);
		}
	}
	return (key_check(t, m->pk, out));
}

static int
prepare_where(struct mod *m, struct db_result *out)
{
	struct stmt	*s = m->s;
	struct table	*t = m->t;
	struct column	*c;
	int		 have[ENGINE_MAX_DEPTH] = { 0 };
	size_t		 i, k;

	for (i = 0; i < s->nwhere; i++) {
		struct relation *r = s->where[i];

		if (r->lhs == LHS_TOKEN) {
			res_error(out, DB_ERR_INVALID, "The token function "
			    "cannot be used in WHERE clauses for %s statements",
			    s->kind == STMT_UPDATE ? "UPDATE" : "DELETE");
			return (-1);
		}
		for (k = 0; k < r->ncols; k++) {
			if ((c = db_column(t, r->cols[k])) == NULL)
				return (undefined(out, r->cols[k]));
			if (c->kind == COL_REGULAR || c->kind == COL_STATIC) {
				res_error(out, DB_ERR_INVALID, "Non PRIMARY KEY "
				    "columns found in where clause: %s",
				    c->name);
				return (-1);
			}
			if (c->kind == COL_PARTITION) {
				if (r->op != OP_EQ && r->op != OP_IN) {
					res_error(out, DB_ERR_INVALID, "Only EQ "
					    "and IN relation are supported on "
					    "the partition key (unless you use "
					    "the token() function)");
					return (-1);
				}
				have[c->position] = 1;
			}
		}
	}
	m->has_where = 1;	/* where_free copes with a half-built one */
	if (where_build(&m->ex, t, s->where, s->nwhere, &m->w, out) != 0)
		return (-1);
	if (!m->w.has_keys) {
		missing(t, 0, have, out);
		return (-1);
	}
	for (i = 0; i < m->w.nkeys; i++) {
		if (key_check(t, m->w.keys[i], out) != 0)
			return (-1);
	}
	return (0);
}

static int
prepare_update(struct mod *m, struct db_result *out)
{
	struct stmt	*s = m->s;
	struct table	*t = m->t;
	struct column	*c;
	struct cqltype	*vt;
	size_t		 i;
	int		 have[ENGINE_MAX_DEPTH] = { 0 };

	if (prepare_where(m, out) != 0)
		return (-1);
	m->vals = xcalloc(s->nassigns + 1, sizeof *m->vals);
	m->keys = xcalloc(s->nassigns + 1, sizeof *m->keys);
	m->static_only = 1;
	for (i = 0; i < s->nassigns; i++) {
		struct assign	*a = s->assigns[i];

		c = db_column(t, a->col);
		if (c->kind == COL_PARTITION || c->kind == COL_CLUSTERING) {
			res_error(out, DB_ERR_INVALID, "PRIMARY KEY part %s "
			    "found in SET part", c->name);
			return (-1);
		}
		if (c->kind != COL_STATIC)
			m->static_only = 0;
		if (c->type->kind == CQLTYPE_COUNTER && a->kind != ASSIGN_ADD &&
		    a->kind != ASSIGN_SUB) {
			res_error(out, DB_ERR_INVALID, "Cannot set the value of "
			    "counter column %s (counters can only be "
			    "incremented/decremented, not set)", c->name);
			return (-1);
		}
		if ((a->kind == ASSIGN_ADD || a->kind == ASSIGN_SUB) &&
		    c->type->kind != CQLTYPE_COUNTER &&
		    (!cqltype_is_collection(c->type->kind) ||
		    c->type->frozen)) {
			res_error(out, DB_ERR_INVALID, "Invalid operation (%s = "
			    "%s %c ?) for non counter column %s", c->name,
			    c->name, a->kind == ASSIGN_ADD ? '+' : '-', c->name);
			return (-1);
		}
		if (a->kind == ASSIGN_PREPEND && (c->type->kind != CQLTYPE_LIST ||
		    c->type->frozen)) {
			res_error(out, DB_ERR_INVALID, "Invalid operation (%s = "
			    "? + %s) for non list column %s", c->name, c->name,
			    c->name);
			return (-1);
		}
		if (a->kind == ASSIGN_ELEMENT && ((c->type->kind != CQLTYPE_MAP &&
		    c->type->kind != CQLTYPE_LIST) || c->type->frozen)) {
			res_error(out, DB_ERR_INVALID, "Invalid operation (%s[?] "
			    "= ?) for non collection column %s", c->name,
			    c->name);
			return (-1);
		}
		if (a->kind == ASSIGN_FIELD && (c->type->kind != CQLTYPE_UDT ||
		    c->type->frozen)) {
			res_error(out, DB_ERR_INVALID, "Invalid operation (%s.%s "
			    "= ?) for frozen UDT column %s", c->name, a->field,
			    c->name);
			return (-1);
		}
		if (a->kind == ASSIGN_ELEMENT) {
			if (c->type->kind == CQLTYPE_MAP)
				vt = cqltype_dup(c->type->sub[0]);
			else
				vt = cqltype_new_scalar(CQLTYPE_INT);
			if (mod_encode(m, a->key, vt, c->name, &m->keys[i],
			    out) != 0) {
				cqltype_free(vt);
				return (-1);
			}
			cqltype_free(vt);
			if (m->keys[i].st != LIT_VALUE) {
				res_error(out, DB_ERR_INVALID, "Invalid null "
				    "value for %s key", c->name);
				return (-1);
			}
		}
		if ((vt = assign_type(c, a)) == NULL) {
			res_error(out, DB_ERR_INVALID, "Unknown field %s in "
			    "column %s", a->field, c->name);
			return (-1);
		}
		if (mod_encode(m, a->val, vt, c->name, &m->vals[i], out) != 0) {
			cqltype_free(vt);
			return (-1);
		}
		cqltype_free(vt);
	}
	if (m->w.ck_slice) {
		res_error(out, DB_ERR_INVALID, "Slice restrictions are not "
		    "supported on the clustering columns in UPDATE statements");
		return (-1);
	}
	if (m->w.ncks < t->nck && !(m->static_only && m->w.ncks == 0)) {
		for (i = 0; i < m->w.ncks; i++)
			have[i] = 1;
		missing(t, 1, have, out);
		return (-1);
	}
	return (0);
}

static int
prepare_delete(struct mod *m, struct db_result *out)
{
	struct stmt	*s = m->s;
	struct table	*t = m->t;
	struct column	*c;
	size_t		 i;
	int		 have[ENGINE_MAX_DEPTH] = { 0 };

	if (prepare_where(m, out) != 0)
		return (-1);
	m->keys = xcalloc(s->ndels + 1, sizeof *m->keys);
	m->static_only = s->ndels > 0;
	for (i = 0; i < s->ndels; i++) {
		struct deletion	*d = &s->dels[i];
		struct cqltype	*vt;

		c = db_column(t, d->col);
		if (c->kind == COL_PARTITION || c->kind == COL_CLUSTERING) {
			res_error(out, DB_ERR_INVALID, "Invalid identifier %s "
			    "for deletion (should not be a PRIMARY KEY part)",
			    c->name);
			return (-1);
		}
		if (c->kind != COL_STATIC)
			m->static_only = 0;
		if (d->elem == NULL)
			continue;
		if (c->type->frozen || (c->type->kind != CQLTYPE_MAP &&
		    c->type->kind != CQLTYPE_LIST && c->type->kind !=
		    CQLTYPE_SET)) {
			res_error(out, DB_ERR_INVALID, "Invalid element deletion "
			    "for non-collection column %s", c->name);
			return (-1);
		}
		vt = c->type->kind == CQLTYPE_MAP ? cqltype_dup(c->type->sub[0])
		    : c->type->kind == CQLTYPE_SET ?
		    cqltype_dup(c->type->sub[0]) :
		    cqltype_new_scalar(CQLTYPE_INT);
		if (mod_encode(m, d->elem, vt, c->name, &m->keys[i], out)
		    != 0) {
			cqltype_free(vt);
			return (-1);
		}
		cqltype_free(vt);
		if (m->keys[i].st != LIT_VALUE) {
			res_error(out, DB_ERR_INVALID, "Invalid null value for "
			    "%s element", c->name);
			return (-1);
		}
	}
	if (s->ndels > 0 && !m->static_only &&
	    (m->w.ncks < t->nck || m->w.ck_slice)) {
		if (m->w.ck_slice || m->w.ncks > 0) {
			res_error(out, DB_ERR_INVALID, "Range deletions are not "
			    "supported for specific columns");
			return (-1);
		}
		missing(t, 1, have, out);
		return (-1);
	}
	return (0);
}

static int
prepare_conds(struct mod *m, struct db_result *out)
{
	struct stmt	*s = m->s;
	struct column	*c;
	struct cqltype	*vt;
	size_t		 i;
	int		 rc;

	if (s->nconds == 0)
		return (0);
	m->conds = xcalloc(s->nconds + 1, sizeof *m->conds);
	m->celems = xcalloc(s->nconds + 1, sizeof *m->celems);
	for (i = 0; i < s->nconds; i++) {
		struct relation	*r = s->conds[i];

		c = db_column(m->t, r->cols[0]);
		if (c->kind == COL_PARTITION || c->kind == COL_CLUSTERING) {
			res_error(out, DB_ERR_INVALID, "PRIMARY KEY column '%s' "
			    "cannot have IF conditions", c->name);
			return (-1);
		}
		if (r->lhs == LHS_ELEMENT) {
			vt = c->type->kind == CQLTYPE_MAP ?
			    cqltype_dup(c->type->sub[0]) :
			    cqltype_new_scalar(CQLTYPE_INT);
			rc = mod_encode(m, r->elem, vt, c->name, &m->celems[i],
			    out);
			cqltype_free(vt);
			if (rc != 0)
				return (-1);
			vt = cqltype_dup(c->type->kind == CQLTYPE_MAP ?
			    c->type->sub[1] : elem_type(c->type));
		} else
			vt = cqltype_dup(c->type);
		if (r->op == OP_IN) {
			struct cqltype	*lt = cqltype_new_list(vt);

			if (r->in_list) {
				struct term	*tl = r->rhs;

				tl->kind = TERM_LIST;
			}
			rc = mod_encode(m, r->rhs, lt, c->name, &m->conds[i],
			    out);
			cqltype_free(lt);
		} else {
			rc = mod_encode(m, r->rhs, vt, c->name, &m->conds[i],
			    out);
			cqltype_free(vt);
		}
		if (rc != 0)
			return (-1);
		if (r->op == OP_CONTAINS || r->op == OP_CONTAINS_KEY) {
			res_error(out, DB_ERR_INVALID, "CONTAINS is not "
			    "supported in IF conditions by cqlmock");
			return (-1);
		}
	}
	return (0);
}

static int
mod_prepare(struct mod *m, struct exec *ex, struct table *t,
    struct db_result *out)
{
	memset(m, 0, sizeof *m);
	m->ex = *ex;
	m->t = t;
	m->s = ex->stmt;
	if (t->npk > ENGINE_MAX_DEPTH || t->nck > ENGINE_MAX_DEPTH) {
		res_error(out, DB_ERR_INVALID, "key too wide");
		return (-1);
	}
	if (t->virtual || (t->ks->system && strcmp(t->ks->name,
	    "system_traces") != 0 && strcmp(t->ks->name, "system_auth") != 0 &&
	    strcmp(t->ks->name, "system_distributed") != 0 && !ex->internal)) {
		res_error(out, DB_ERR_UNAUTHORIZED, "%s keyspace is not "
		    "user-modifiable.", t->ks->name);
		return (-1);
	}
	if (mod_time(m, out) != 0)
		return (-1);
	switch (m->s->kind) {
	case STMT_INSERT:
		if (prepare_insert(m, out) != 0)
			return (-1);
		break;
	case STMT_UPDATE:
		if (prepare_update(m, out) != 0)
			return (-1);
		break;
	default:
		if (prepare_delete(m, out) != 0)
			return (-1);
		break;
	}
	if (m->s->nconds > 0 || m->s->if_exists || m->s->if_not_exists) {
		if (m->has_where && m->w.nkeys > 1) {
			res_error(out, DB_ERR_INVALID, "IN on the partition key "
			    "is not supported with conditional %s",
			    m->s->kind == STMT_UPDATE ? "updates" : "deletions");
			return (-1);
		}
		if (m->has_where && m->w.ncks_rows > 1) {
			res_error(out, DB_ERR_INVALID, "IN on the clustering "
			    "key columns is not supported with conditional %s",
			    m->s->kind == STMT_UPDATE ? "updates" : "deletions");
			return (-1);
		}
		if (m->has_where && m->w.ck_slice) {
			res_error(out, DB_ERR_INVALID, "DELETE statements must "
			    "restrict all PRIMARY KEY columns with equality "
			    "relations in order to use IF conditions");
			return (-1);
		}
	}
	return (prepare_conds(m, out));
}

/* The one partition and row a conditional statement targets. */
static void
mod_target(struct mod *m, struct partition **ptp, struct row **rp)
{
	struct table	*t = m->t;
	struct cell	*pk = m->has_where ? m->w.keys[0] : m->pk;
	struct cell	*ck = m->has_where ? (m->w.ncks_rows > 0 ?
	    m->w.cks[0] : NULL) : m->ck;
	uint8_t		*key;
	size_t		 n;
	int64_t		 token;

	*ptp = NULL;
	*rp = NULL;
	if (part_key_make(t, pk, &key, &n, &token) != 0)
		return;
	*ptp = part_find(t, token, key, n);
	free(key);
	if (*ptp == NULL)
		return;
	if (t->nck == 0 || (ck != NULL && (!m->has_where ||
	    m->w.ncks == t->nck)))
		*rp = row_find(t, *ptp, ck, t->nck, NULL);
	if (*rp != NULL && !row_live(m->ex.db, t, *rp))
		*rp = NULL;
}

/* The current value of a condition's column (or element of it). */
static int
cond_current(struct mod *m, struct column *c, struct relation *r,
    struct value *elem, struct partition *pt, struct row *row,
    const uint8_t **p, size_t *n)
{
	struct cell	*cell = NULL;
	struct slice	*el;
	size_t		 cnt, i;

	*p = NULL;
	*n = 0;
	if (pt != NULL && (row != NULL || c->kind == COL_STATIC))
		cell = row_cell(m->t, pt, row, c, 0);
	if (cell == NULL || !cell_live(m->ex.db, cell))
		return (0);
	if (r->lhs != LHS_ELEMENT) {
		*p = cell->p != NULL ? cell->p : (const uint8_t *)"";
		*n = cell->n;
		return (1);
	}
	if (c->type->kind == CQLTYPE_MAP) {
		el = coll_split(cell->p, cell->n, 1, &cnt);
		for (i = 0; i < cnt; i++) {
			if (cqlval_compare(c->type->sub[0], el[2 * i].p,
			    el[2 * i].n, elem->p, elem->n) == 0) {
				*p = el[2 * i + 1].p;
				*n = el[2 * i + 1].n;
				free(el);
				return (1);
			}
		}
		free(el);
		return (0);
	}
	el = coll_split(cell->p, cell->n, 0, &cnt);
	i = (size_t)be_int(elem->p, elem->n);
	if (elem->n == 4 && i < cnt) {
		*p = el[i].p;
		*n = el[i].n;
		free(el);
		return (1);
	}
	free(el);
	return (0);
}

static int
cond_holds(struct mod *m, size_t i, struct partition *pt, struct row *row)
{
	struct relation		*r = m->s->conds[i];
	struct column		*c = db_column(m->t, r->cols[0]);
	struct value		*v = &m->conds[i];
	const struct cqltype	*type = c->type;
	const uint8_t		*p;
	size_t			 n, cnt, k;
	int			 have, cmp;

	if (r->lhs == LHS_ELEMENT)
		type = c->type->kind == CQLTYPE_MAP ? c->type->sub[1] :
		    elem_type(c->type);
	have = cond_current(m, c, r, &m->celems[i], pt, row, &p, &n);
	if (r->op == OP_IN) {
		struct slice *el = coll_split(v->p, v->n, 0, &cnt);

		for (k = 0; k < cnt; k++) {
			if (have && cqlval_compare(type, p, n, el[k].p,
			    el[k].n) == 0)
				break;
		}
		free(el);
		return (k < cnt);
	}
	if (v->st != LIT_VALUE || !have) {
		int	both_null = v->st != LIT_VALUE && !have;

		if (r->op == OP_EQ)
			return (both_null);
		if (r->op == OP_NE)
			return (!both_null);
		return (0);
	}
	cmp = cqlval_compare(type, p, n, v->p, v->n);
	switch (r->op) {
	case OP_EQ:
		return (cmp == 0);
	case OP_NE:
		return (cmp != 0);
	case OP_LT:
		return (cmp < 0);
	case OP_LE:
		return (cmp <= 0);
	case OP_GT:
		return (cmp > 0);
	case OP_GE:
		return (cmp >= 0);
	default:
		return (0);
	}
}

static void
applied_add_col(struct db_result *out, struct table *t, struct column *c)
{
	out->cols = xreallocarray(out->cols, out->ncols + 1,
	    sizeof *out->cols);
	res_colspec(&out->cols[out->ncols++], t->ks->name, t->name, c->name,
	    c->type);
}

/*
 * The [applied] result: true alone, or false with the current values of
 * the row (IF NOT EXISTS) or of the conditions' columns.
 */
static void
applied_result(struct mod *m, int applied, struct partition *pt,
    struct row *row, struct db_result *out)
{
	struct table	*t = m->t;
	struct cqltype	*bt = cqltype_new_scalar(CQLTYPE_BOOLEAN);
	size_t		 i, k;
	int		 want;

	result_rows_clear(out);
	out->kind = DB_RESULT_ROWS;
	out->cols = xcalloc(1, sizeof *out->cols);
	res_colspec(&out->cols[0], t->ks->name, t->name, "[applied]", bt);
	out->ncols = 1;
	cqltype_free(bt);
	if (!applied && (pt != NULL || m->s->nconds > 0)) {
		for (i = 0; i < t->ncols; i++) {
			struct column *c = &t->cols[i];

			want = m->s->if_not_exists && row != NULL;
			for (k = 0; k < m->s->nconds && !want; k++) {
				if (strcmp(m->s->conds[k]->cols[0],
				    c->name) == 0)
					want = 1;
			}
			if (want)
				applied_add_col(out, t, c);
		}
	}
	out->cells = xcalloc(out->ncols, sizeof *out->cells);
	out->nrows = 1;
	out->cells[0].p = xmalloc(1);
	out->cells[0].p[0] = applied != 0;
	out->cells[0].n = 1;
	for (i = 1; i < out->ncols; i++) {
		struct column	*c = db_column(t, out->cols[i].name);
		struct cell	*cell = NULL;

		if (pt != NULL && (row != NULL || c->kind == COL_STATIC ||
		    c->kind == COL_PARTITION))
			cell = row_cell(t, pt, row, c, 0);
		if (cell != NULL && (c->kind == COL_PARTITION ||
		    c->kind == COL_CLUSTERING || cell_live(m->ex.db, cell))) {
			out->cells[i].n = cell->n;
			out->cells[i].p = cell->n > 0 ? xmemdup(cell->p,
			    cell->n) : xmalloc(1);
		} else
			out->cells[i].null = 1;
	}
}

/* Evaluate IF EXISTS / IF NOT EXISTS / IF conditions; 1 when they hold. */
static int
mod_check(struct mod *m, struct db_result *out, int fill)
{
	struct partition	*pt;
	struct row		*row;
	size_t			 i;
	int			 ok = 1;

	mod_target(m, &pt, &row);
	if (m->s->if_not_exists)
		ok = row == NULL;
	else if (m->s->if_exists)
		ok = row != NULL;
	for (i = 0; ok && i < m->s->nconds; i++)
		ok = cond_holds(m, i, pt, row);
	if (fill)
		applied_result(m, ok, ok ? NULL : pt, row, out);
	return (ok);
}

static int
cell_write(struct cell *c, const struct value *v, int64_t ts, int32_t ttl,
    int64_t expire)
{
	if (c->live && c->ts > ts)
		return (0);
	if (v->st == LIT_NULL) {
		cell_clear(c);
		return (1);
	}
	cell_set(c, v->p, v->n, ts, ttl, expire);
	return (1);
}

static void
put_u32(uint8_t *b, uint32_t v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

/* Report the partition token when the statement targets one partition. */
static void
out_token(struct mod *m, struct partition *pt)
{
	if (m->out == NULL || (m->has_where && m->w.nkeys != 1))
		return;
	m->out->info.has_token = 1;
	m->out->info.token = pt->token;
}

static void
result_rows_clear(struct db_result *out)
{
	size_t	i;

	for (i = 0; i < out->ncols; i++)
		res_colspec_free(&out->cols[i]);
	free(out->cols);
	for (i = 0; i < out->nrows * out->ncols; i++)
		free(out->cells[i].p);
	free(out->cells);
	out->cols = NULL;
	out->cells = NULL;
	out->ncols = out->nrows = 0;
}

static int
row_empty(struct db *db, struct table *t, struct row *r)
{
	return (!row_live(db, t, r));
}

/* Drop rows and partitions a write left with nothing in them. */
static void
tidy(struct mod *m, struct partition *pt, struct row *r)
{
	size_t	i;

	if (r != NULL && row_empty(m->ex.db, m->t, r)) {
		for (i = 0; i < pt->nrows; i++) {
			if (pt->rows[i] == r) {
				row_remove(pt, i);
				row_free(r, m->t);
				break;
			}
		}
	}
	if (pt->nrows == 0 && !part_statics_live(m->ex.db, pt))
		part_remove(m->t, pt);
}

static void
apply_insert(struct mod *m)
{
	struct table	*t = m->t;
	struct partition *pt;
	struct row	*r;
	struct column	*c;
	struct cell	*cell;
	size_t		 i;

	if ((pt = part_get(t, m->pk)) == NULL)
		return;
	r = m->static_only ? NULL : row_get(t, pt, m->ck);
	if (r != NULL && (!r->marker || r->marker_ts <= m->ts)) {
		r->marker = 1;
		r->marker_ts = m->ts;
		r->marker_ttl = m->ttl;
		r->marker_expire = m->expire;
	}
	for (i = 0; i < m->s->ncols; i++) {
		c = db_column(t, m->s->cols[i]);
		if (c->kind == COL_PARTITION || c->kind == COL_CLUSTERING ||
		    m->vals[i].st == LIT_UNSET)
			continue;
		cell = row_cell(t, pt, r, c, 1);
		cell_write(cell, &m->vals[i], m->ts, m->ttl, m->expire);
	}
	out_token(m, pt);
	tidy(m, pt, r);
}

static int
apply_update_row(struct mod *m, struct partition *pt, struct row *r,
    struct db_result *out)
{
	struct write_ts	 wts = mod_wts(m);
	struct table	*t = m->t;
	struct column	*c;
	struct cell	*cell;
	size_t		 i;

	for (i = 0; i < m->s->nassigns; i++) {
		struct assign	*a = m->s->assigns[i];
		struct value	*v = &m->vals[i];

		c = db_column(t, a->col);
		if (v->st == LIT_UNSET)
			continue;
		cell = row_cell(t, pt, r, c, 1);
		if (cell == NULL)
			continue;
		if (c->type->kind == CQLTYPE_COUNTER) {
			int64_t	cur = cell_live(m->ex.db, cell) ?
			    be_int(cell->p, cell->n) : 0;
			int64_t	d = v->st == LIT_VALUE ? be_int(v->p, v->n) : 0;
			uint8_t	b[8];

			if (v->st == LIT_NULL) {
				res_error(out, DB_ERR_INVALID, "Invalid null "
				    "value for counter increment");
				return (-1);
			}
			cur = (int64_t)((uint64_t)cur + (a->kind == ASSIGN_ADD ?
			    (uint64_t)d : -(uint64_t)d));
			put_u32(b, (uint32_t)((uint64_t)cur >> 32));
			put_u32(b + 4, (uint32_t)cur);
			cell_set(cell, b, 8, m->ts, 0, 0);
			continue;
		}
		switch (a->kind) {
		case ASSIGN_SET:
			cell_write(cell, v, m->ts, m->ttl, m->expire);
			break;
		case ASSIGN_ADD:
		case ASSIGN_SUB:
		case ASSIGN_PREPEND:
			coll_op(&wts, cell, c, a->kind, v);
			break;
		case ASSIGN_ELEMENT:
			if (c->type->kind == CQLTYPE_LIST &&
			    v->st == LIT_NULL) {
				if (coll_elem(&wts, cell, c, &m->keys[i], NULL,
				    out) != 0)
					return (-1);
			} else if (coll_elem(&wts, cell, c, &m->keys[i], v, out)
			    != 0)
				return (-1);
			break;
		case ASSIGN_FIELD:
			udt_field(&wts, cell, c, a->field, v);
			break;
		}
	}
	return (0);
}

static int
apply_update(struct mod *m, struct db_result *out)
{
	struct table	*t = m->t;
	struct partition *pt;
	struct row	*r;
	size_t		 i, k, nrows;

	for (i = 0; i < m->w.nkeys; i++) {
		if ((pt = part_get(t, m->w.keys[i])) == NULL)
			continue;
		out_token(m, pt);
		nrows = t->nck == 0 ? 1 : m->w.ncks_rows;
		if (m->static_only && m->w.ncks == 0 && t->nck > 0) {
			if (apply_update_row(m, pt, NULL, out) != 0)
				return (-1);
			tidy(m, pt, NULL);
			continue;
		}
		for (k = 0; k < nrows; k++) {
			r = row_get(t, pt, t->nck == 0 ? NULL : m->w.cks[k]);
			if (apply_update_row(m, pt, r, out) != 0) {
				tidy(m, pt, r);
				return (-1);
			}
			tidy(m, pt, r);
			if (m->t->nparts == 0 || part_find(t, pt->token,
			    pt->key, pt->keylen) != pt)
				break;
		}
	}
	return (0);
}

/* Remove what a row holds up to the deletion's timestamp. */
static void
delete_row_cells(struct mod *m, struct row *r)
{
	size_t	i;

	if (r->marker && r->marker_ts <= m->ts)
		r->marker = 0;
	for (i = 0; i < r->ncells; i++) {
		if (r->cells[i].live && r->cells[i].ts <= m->ts)
			cell_clear(&r->cells[i]);
	}
}

static int
apply_delete(struct mod *m, struct db_result *out)
{
	struct write_ts	 wts = mod_wts(m);
	struct table	*t = m->t;
	struct partition *pt;
	struct row	*r;
	struct column	*c;
	struct cell	*cell;
	size_t		 i, k, j;
	uint8_t		*key;
	size_t		 kn;
	int64_t		 tok;

	for (i = 0; i < m->w.nkeys; i++) {
		if (part_key_make(t, m->w.keys[i], &key, &kn, &tok) != 0)
			continue;
		pt = part_find(t, tok, key, kn);
		free(key);
		if (m->w.nkeys == 1) {
			out->info.has_token = 1;
			out->info.token = tok;
		}
		if (pt == NULL)
			continue;
		if (m->s->ndels == 0) {
			int whole = m->w.ncks == 0 && !m->w.ck_slice;

			for (j = pt->nrows; j-- > 0;) {
				r = pt->rows[j];
				if (!whole && !where_match_row(&m->ex, &m->w, pt,
				    r))
					continue;
				delete_row_cells(m, r);
				if (row_empty(m->ex.db, t, r)) {
					row_remove(pt, j);
					row_free(r, t);
				}
			}
			if (whole) {
				for (j = 0; j < pt->nstatics; j++) {
					if (pt->statics[j].ts <= m->ts)
						cell_clear(&pt->statics[j]);
				}
			}
			tidy(m, pt, NULL);
			continue;
		}
		for (k = 0; k < (m->static_only ? 1 : (t->nck == 0 ? 1 :
		    m->w.ncks_rows)); k++) {
			r = NULL;
			if (!m->static_only) {
				r = row_find(t, pt, t->nck == 0 ? NULL :
				    m->w.cks[k], t->nck, NULL);
				if (r == NULL)
					continue;
			}
			for (j = 0; j < m->s->ndels; j++) {
				c = db_column(t, m->s->dels[j].col);
				cell = row_cell(t, pt, r, c, 0);
				if (cell == NULL || !cell->live)
					continue;
				if (m->s->dels[j].elem != NULL) {
					if (!cell_live(m->ex.db, cell))
						continue;
					if (c->type->kind == CQLTYPE_LIST) {
						int64_t	idx = be_int(
						    m->keys[j].p, m->keys[j].n);
						size_t	 cnt;
						struct slice *el = coll_split(
						    cell->p, cell->n, 0, &cnt);

						free(el);
						if (idx < 0 || (size_t)idx >= cnt)
							continue;
					}
					if (coll_elem(&wts, cell, c, &m->keys[j],
					    NULL, out) != 0)
						return (-1);
				} else if (m->s->dels[j].field != NULL) {
					struct value nv = { LIT_NULL, NULL, 0 };

					udt_field(&wts, cell, c,
					    m->s->dels[j].field, &nv);
				} else if (cell->ts <= m->ts)
					cell_clear(cell);
			}
			if (r != NULL)
				tidy(m, pt, r);
			if (part_find(t, tok, pt->key, pt->keylen) != pt)
				break;
		}
		if (part_find(t, tok, pt->key, pt->keylen) == pt)
			tidy(m, pt, NULL);
	}
	return (0);
}

static int
mod_apply(struct mod *m, struct db_result *out)
{
	switch (m->s->kind) {
	case STMT_INSERT:
		apply_insert(m);
		return (0);
	case STMT_UPDATE:
		return (apply_update(m, out));
	default:
		return (apply_delete(m, out));
	}
}

static int
mod_conditional(struct mod *m)
{
	return (m->s->nconds > 0 || m->s->if_exists || m->s->if_not_exists);
}

void
modify_run(struct exec *ex, struct table *t, struct db_result *out)
{
	struct mod	m;

	if (mod_prepare(&m, ex, t, out) != 0) {
		mod_free(&m);
		return;
	}
	m.out = out;
	if (mod_conditional(&m)) {
		if (mod_check(&m, out, 1))
			(void)mod_apply(&m, out);
		if (out->kind == DB_RESULT_ERROR) {
			mod_free(&m);
			return;
		}
	} else if (mod_apply(&m, out) == 0)
		out->kind = DB_RESULT_VOID;
	if (m.has_where && m.w.nkeys == 1) {
		out->info.has_token = 1;
	}
	mod_free(&m);
}

void
batch_run(struct exec *ex, struct db_result *out)
{
	struct stmt	*b = ex->stmt;
	struct mod	*mods;
	struct exec	 sub;
	struct table	*t;
	struct value	 v;
	size_t		 i, n = b->nstmts, prepared = 0;
	int		 conditional = 0, counters = 0, plain = 0, ok = 1;

	memset(&sub, 0, sizeof sub);
	res_info_set(out, ex->node, NULL, NULL, "BATCH", 1);
	mods = xcalloc(n + 1, sizeof *mods);
	if (b->timestamp != NULL) {
		struct mod	 tm;
		struct cqltype	*bt = cqltype_new_scalar(CQLTYPE_BIGINT);
		int		 rc;

		memset(&tm, 0, sizeof tm);
		tm.ex = *ex;
		tm.s = b;
		rc = mod_encode(&tm, b->timestamp, bt, "[timestamp]", &v, out);
		cqltype_free(bt);
		if (rc != 0)
			goto done;
		if (v.st == LIT_VALUE) {
			ex->has_batch_ts = 1;
			ex->batch_ts = be_int(v.p, v.n);
		}
		free(v.p);
	}
	if (!ex->has_batch_ts) {
		ex->has_batch_ts = 1;
		ex->batch_ts = ex->opts->has_timestamp ? ex->opts->timestamp :
		    db_timestamp(ex->db);
		/* statements may still carry their own USING TIMESTAMP */
		ex->batch_ts_default = 1;
	}
	for (i = 0; i < n; i++) {
		sub = *ex;
		sub.stmt = b->stmts[i];
		if (ex->batch_values != NULL) {
			sub.values = ex->batch_values[i];
			sub.bindmap = ex->batch_maps[i];
		}
		if (ex->batch_ks != NULL)
			sub.session_ks = ex->batch_ks[i];
		if (sub.batch_ts_default && sub.stmt->timestamp != NULL)
			sub.has_batch_ts = 0;
		if ((t = exec_table(&sub, out)) == NULL)
			goto done;
		if (i == 0)
			res_info_set(out, ex->node, t->ks->name, NULL, "BATCH",
			    1);
		if (modify_bind(&sub, t, out) != 0)
			goto done;
		if (t->counter)
			counters = 1;
		else
			plain = 1;
		if (mod_prepare(&mods[i], &sub, t, out) != 0) {
			prepared = i + 1;
			goto done;
		}
		prepared = i + 1;
		if (mod_conditional(&mods[i]))
			conditional = 1;
	}
	if (b->batch_type == DB_BATCH_COUNTER && plain) {
		res_error(out, DB_ERR_INVALID, "Cannot include non-counter "
		    "statement in a counter batch");
		goto done;
	}
	if (b->batch_type == DB_BATCH_LOGGED && counters) {
		res_error(out, DB_ERR_INVALID, "Cannot include a counter "
		    "statement in a logged batch");
		goto done;
	}
	if (counters && plain) {
		res_error(out, DB_ERR_INVALID, "Counter and non-counter "
		    "mutations cannot exist in the same batch");
		goto done;
	}
	if (conditional) {
		for (i = 0; i < n && ok; i++) {
			if (mod_conditional(&mods[i]))
				ok = mod_check(&mods[i], out, 0);
		}
		if (!ok) {
			(void)mod_check(&mods[i - 1], out, 1);
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		mods[i].out = out;
		if (mod_apply(&mods[i], out) != 0)
			goto done;
	}
	if (conditional)
		applied_result(&mods[0], 1, NULL, NULL, out);
	else
		out->kind = DB_RESULT_VOID;
	if (n == 1 && out->info.has_token)
		;
	else
		out->info.has_token = 0;
done:
	for (i = 0; i < prepared; i++)
		mod_free(&mods[i]);
	free(mods);
}
