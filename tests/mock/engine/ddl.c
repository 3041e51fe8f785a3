/*
 * ddl.c: schema statements: keyspaces (with replication checked as
 * Cassandra does), tables, user types, indexes, ALTER, DROP, TRUNCATE.
 * Every change bumps the schema version and rewrites system_schema.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

#define LOCATOR		"org.apache.cassandra.locator."

/* Table options and the type system_schema.tables keeps each as. */
static const struct {
	const char	*name;
	const char	*type;
} table_props[] = {
	{ "additional_write_policy", "text" },
	{ "bloom_filter_fp_chance", "double" },
	{ "caching", "frozen<map<text, text>>" },
	{ "cdc", "boolean" },
	{ "comment", "text" },
	{ "compaction", "frozen<map<text, text>>" },
	{ "compression", "frozen<map<text, text>>" },
	{ "crc_check_chance", "double" },
	{ "dclocal_read_repair_chance", "double" },
	{ "default_time_to_live", "int" },
	{ "extensions", "frozen<map<text, blob>>" },
	{ "gc_grace_seconds", "int" },
	{ "id", "uuid" },
	{ "max_index_interval", "int" },
	{ "memtable_flush_period_in_ms", "int" },
	{ "min_index_interval", "int" },
	{ "read_repair", "text" },
	{ "read_repair_chance", "double" },
	{ "speculative_retry", "text" }
};

static void
schema_result(struct db_result *out, enum db_change change,
    enum db_target target, const char *ks, const char *name)
{
	out->kind = DB_RESULT_SCHEMA_CHANGE;
	out->change = change;
	out->target = target;
	out->keyspace = xstrdup(ks);
	out->name = name != NULL ? xstrdup(name) : NULL;
}

static int
name_valid(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > 48)
		return (0);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return (0);
	}
	return (1);
}

/* The text of a constant term (numbers, strings, booleans alike). */
static const char *
term_text(const struct term *t)
{
	if (t == NULL || t->kind != TERM_CONST)
		return (NULL);
	return (t->text);
}

static int
is_number(const char *s)
{
	if (s == NULL || *s == '\0')
		return (0);
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return (0);
		s++;
	}
	return (1);
}

static void
repl_add(char ***k, char ***v, size_t *n, const char *key, const char *val)
{
	size_t	i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*k)[i], key) == 0) {
			free((*v)[i]);
			(*v)[i] = xstrdup(val);
			return;
		}
	}
	*k = xreallocarray(*k, *n + 1, sizeof **k);
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*k)[*n] = xstrdup(key);
	(*v)[*n] = xstrdup(val);
	(*n)++;
}

static void
repl_free(char **k, char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(k[i]);
		free(v[i]);
	}
	free(k);
	free(v);
}

/*
 * Parse WITH replication = {...} AND durable_writes = ... into ks,
 * checking strategy options as Cassandra does. On CREATE the map is
 * mandatory.
 */
static int
ks_options(struct exec *ex, struct stmt *s, struct keyspace *ks, int create,
    struct db_result *out)
{
	struct term	*map = NULL;
	char		**k = NULL, **v = NULL, *cls = NULL;
	size_t		 n = 0, i, j;
	enum strategy	 st;
	int		 durable = ks->durable;

	for (i = 0; i < s->nprops; i++) {
		struct prop *p = &s->props[i];

		if (strcmp(p->name, "replication") == 0) {
			if (p->val->kind != TERM_MAP) {
				res_error(out, DB_ERR_SYNTAX, "Invalid value for "
				    "property 'replication'");
				return (-1);
			}
			map = p->val;
		} else if (strcmp(p->name, "durable_writes") == 0) {
			const char *tx = term_text(p->val);

			if (tx == NULL || (strcasecmp(tx, "true") != 0 &&
			    strcasecmp(tx, "false") != 0)) {
				res_error(out, DB_ERR_SYNTAX, "Invalid boolean "
				    "value %s for 'durable_writes' property",
				    tx != NULL ? tx : "?");
				return (-1);
			}
			durable = strcasecmp(tx, "true") == 0;
		} else {
			res_error(out, DB_ERR_SYNTAX, "Unknown property '%s'",
			    p->name);
			return (-1);
		}
	}
	if (map == NULL) {
		if (create) {
			res_error(out, DB_ERR_CONFIG, "Missing mandatory "
			    "replication strategy class");
			return (-1);
		}
		ks->durable = durable;
		return (0);
	}
	for (i = 0; i < map->n; i++) {
		const char *key = term_text(map->a[i]);
		const char *val = term_text(map->b[i]);

		if (key == NULL || val == NULL) {
			res_error(out, DB_ERR_SYNTAX, "Invalid replication "
			    "option");
			goto fail;
		}
		if (strcmp(key, "class") == 0) {
			free(cls);
			if (strchr(val, '.') == NULL)
				xasprintf(&cls, LOCATOR "%s", val);
			else
				cls = xstrdup(val);
			continue;
		}
		repl_add(&k, &v, &n, key, val);
	}
	if (cls == NULL) {
		res_error(out, DB_ERR_CONFIG, "Missing replication strategy "
		    "class");
		goto fail;
	}
	if (strcmp(cls, LOCATOR "SimpleStrategy") == 0)
		st = STRAT_SIMPLE;
	else if (strcmp(cls, LOCATOR "NetworkTopologyStrategy") == 0)
		st = STRAT_NTS;
	else if (strcmp(cls, LOCATOR "LocalStrategy") == 0)
		st = STRAT_LOCAL;
	else if (strcmp(cls, LOCATOR "EverywhereStrategy") == 0 ||
	    strcmp(cls, "com.datastax.bdp.cassandra.replication."
	    "EverywhereStrategy") == 0)
		st = STRAT_EVERYWHERE;
	else {
		res_error(out, DB_ERR_CONFIG, "Unable to find replication "
		    "strategy class '%s'", cls);
		goto fail;
	}
	if (st == STRAT_LOCAL && !ex->internal) {
		res_error(out, DB_ERR_CONFIG, "Unable to use given strategy "
		    "class: LocalStrategy is reserved for internal use.");
		goto fail;
	}
	if (st == STRAT_SIMPLE) {
		for (i = 0; i < n; i++) {
			if (strcmp(k[i], "replication_factor") != 0) {
				res_error(out, DB_ERR_CONFIG, "Unrecognized "
				    "strategy option {%s} passed to "
				    "SimpleStrategy for keyspace %s", k[i],
				    ks->name);
				goto fail;
			}
		}
		if (n == 0) {
			res_error(out, DB_ERR_CONFIG, "SimpleStrategy requires a "
			    "replication_factor strategy option.");
			goto fail;
		}
	}
	if (st == STRAT_NTS) {
		/* replication_factor expands to every data center we know */
		for (i = 0; i < n; i++) {
			if (strcmp(k[i], "replication_factor") != 0)
				continue;
			for (j = 0; j < DB_MAX_NODES; j++) {
				if (ex->db->nodes[j].present)
					repl_add(&k, &v, &n, ex->db->nodes[j].dc,
					    v[i]);
			}
			free(k[i]);
			free(v[i]);
			k[i] = k[n - 1];
			v[i] = v[n - 1];
			n--;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		if ((st == STRAT_SIMPLE || st == STRAT_NTS) &&
		    !is_number(v[i])) {
			res_error(out, DB_ERR_CONFIG, "Replication factor must "
			    "be numeric; found %s", v[i]);
			goto fail;
		}
	}
	repl_add(&k, &v, &n, "class", cls);
	free(cls);
	repl_free(ks->repl_keys, ks->repl_vals, ks->nrepl);
	ks->repl_keys = k;
	ks->repl_vals = v;
	ks->nrepl = n;
	ks->strategy = st;
	ks->durable = durable;
	return (0);
fail:
	free(cls);
	repl_free(k, v, n);
	return (-1);
}

static int
system_ks(const char *name)
{
	return (strcmp(name, "system") == 0 ||
	    strcmp(name, "system_schema") == 0 ||
	    strcmp(name, "system_auth") == 0 ||
	    strcmp(name, "system_distributed") == 0 ||
	    strcmp(name, "system_traces") == 0 ||
	    strcmp(name, "system_virtual_schema") == 0 ||
	    strcmp(name, "system_views") == 0);
}

static int
not_modifiable(struct exec *ex, const char *ks, struct db_result *out)
{
	if (ex->internal || !system_ks(ks))
		return (0);
	res_error(out, DB_ERR_UNAUTHORIZED, "%s keyspace is not "
	    "user-modifiable.", ks);
	return (1);
}

static void
create_keyspace(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	 tmp, *ks;

	if (!name_valid(s->name)) {
		res_error(out, DB_ERR_INVALID, "Keyspace name must not be empty, "
		    "more than 48 characters long, or contain "
		    "non-alphanumeric-underscore characters (got \"%s\")",
		    s->name);
		return;
	}
	if (!ex->internal && system_ks(s->name)) {
		res_error(out, DB_ERR_UNAUTHORIZED, "%s keyspace is not "
		    "user-modifiable.", s->name);
		return;
	}
	if (db_keyspace(ex->db, s->name) != NULL) {
		if (s->if_not_exists) {
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_ALREADY_EXISTS, "Cannot add existing "
		    "keyspace \"%s\"", s->name);
		out->err_keyspace = xstrdup(s->name);
		out->err_table = xstrdup("");
		return;
	}
	memset(&tmp, 0, sizeof tmp);
	tmp.name = s->name;
	tmp.durable = 1;
	if (ks_options(ex, s, &tmp, 1, out) != 0)
		return;
	ks = db_keyspace_add(ex->db, s->name);
	ks->repl_keys = tmp.repl_keys;
	ks->repl_vals = tmp.repl_vals;
	ks->nrepl = tmp.nrepl;
	ks->strategy = tmp.strategy;
	ks->durable = tmp.durable;
	ks->system = ex->internal;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_CREATED, DB_TARGET_KEYSPACE, ks->name,
	    NULL);
}

static void
alter_keyspace(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;

	if ((ks = db_keyspace(ex->db, s->name)) == NULL) {
		res_error(out, DB_ERR_INVALID, "Keyspace '%s' doesn't exist",
		    s->name);
		return;
	}
	if (!ex->internal && (strcmp(ks->name, "system") == 0 ||
	    strcmp(ks->name, "system_schema") == 0)) {
		res_error(out, DB_ERR_UNAUTHORIZED, "%s keyspace is not "
		    "user-modifiable.", ks->name);
		return;
	}
	if (ks_options(ex, s, ks, 0, out) != 0)
		return;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_UPDATED, DB_TARGET_KEYSPACE, ks->name,
	    NULL);
}

static void
drop_keyspace(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	char		*name;

	if ((ks = db_keyspace(ex->db, s->name)) == NULL) {
		if (s->if_exists) {
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_CONFIG, "Cannot drop non existing keyspace "
		    "'%s'.", s->name);
		return;
	}
	if (not_modifiable(ex, ks->name, out))
		return;
	name = xstrdup(ks->name);
	db_keyspace_remove(ex->db, ks);
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_DROPPED, DB_TARGET_KEYSPACE, name, NULL);
	free(name);
}

/* Keep columns in Cassandra's order: pk, clustering, statics, regulars. */
static int
col_order(const void *a, const void *b)
{
	const struct column	*x = a, *y = b;

	if (x->kind != y->kind)
		return (x->kind < y->kind ? -1 : 1);
	if (x->kind == COL_PARTITION || x->kind == COL_CLUSTERING)
		return (x->position - y->position);
	return (strcmp(x->name, y->name));
}

static void
table_sort(struct table *t)
{
	qsort(t->cols, t->ncols, sizeof *t->cols, col_order);
}

/* Parse, resolve and normalize a column type. */
static struct cqltype *
type_of(struct exec *ex, const char *ks, const char *text,
    struct db_result *out)
{
	struct cqltype	*t;
	char		*err = NULL;

	if ((t = cqltype_parse(text, &err)) == NULL) {
		res_error(out, DB_ERR_SYNTAX, "Unknown type %s%s%s", text,
		    err != NULL ? ": " : "", err != NULL ? err : "");
		free(err);
		return (NULL);
	}
	if (lit_resolve_type(ex->db, ks, t, &err) != 0) {
		res_error(out, DB_ERR_INVALID, "%s", err);
		free(err);
		cqltype_free(t);
		return (NULL);
	}
	cqltype_normalize(t);
	return (t);
}

/* A map option's entries as text (numbers and booleans as written). */
static int
prop_map(struct term *m, const char *name, const struct cqltype *type,
    struct wbuf *w, struct db_result *out)
{
	struct slice	*sl;
	struct wbuf	 tmp;
	size_t		 i, *offs;

	if (m->kind == TERM_EMPTY_BRACES) {
		wbuf_u32(w, 0);
		return (0);
	}
	if (m->kind != TERM_MAP) {
		res_error(out, DB_ERR_SYNTAX, "Invalid value for property '%s'",
		    name);
		return (-1);
	}
	wbuf_init(&tmp, ENGINE_MAX_CELL);
	offs = xcalloc(2 * m->n + 1, sizeof *offs);
	sl = xcalloc(2 * m->n + 1, sizeof *sl);
	for (i = 0; i < m->n; i++) {
		const char *k = term_text(m->a[i]), *v = term_text(m->b[i]);

		if (k == NULL || v == NULL) {
			res_error(out, DB_ERR_SYNTAX, "Invalid value for "
			    "property '%s'", name);
			free(offs);
			free(sl);
			wbuf_free(&tmp);
			return (-1);
		}
		offs[2 * i] = tmp.len;
		ser_text(&tmp, k);
		offs[2 * i + 1] = tmp.len;
		if (type->sub[1]->kind == CQLTYPE_BLOB)
			(void)cqlval_blob_parse(v, &tmp);
		else if (strcmp(k, "class") == 0 && strchr(v, '.') == NULL &&
		    strcmp(name, "compaction") == 0) {
			ser_text(&tmp, "org.apache.cassandra.db.compaction.");
			ser_text(&tmp, v);
		} else if (strcmp(k, "class") == 0 && strchr(v, '.') == NULL &&
		    strcmp(name, "compression") == 0) {
			ser_text(&tmp, "org.apache.cassandra.io.compress.");
			ser_text(&tmp, v);
		} else
			ser_text(&tmp, v);
	}
	for (i = 0; i < 2 * m->n; i++) {
		sl[i].p = tmp.p + offs[i];
		sl[i].n = (i + 1 < 2 * m->n ? offs[i + 1] : tmp.len) - offs[i];
	}
	ser_sorted_coll(type->sub[0], sl, m->n, 1, w);
	free(offs);
	free(sl);
	wbuf_free(&tmp);
	return (0);
}

/* WITH options of CREATE/ALTER TABLE, stored as system_schema values. */
static int
table_props_apply(struct exec *ex, struct stmt *s, struct table *t,
    int create, struct db_result *out)
{
	struct lit_ctx	 lc = { ex->db, s, NULL, NULL, NULL };
	struct cqltype	*ty;
	struct wbuf	 w;
	enum lit_state	 st;
	char		*err;
	size_t		 i, k;
	int		 rc;

	for (i = 0; i < s->nprops; i++) {
		struct prop *p = &s->props[i];

		for (k = 0; k < nitems(table_props); k++) {
			if (strcmp(table_props[k].name, p->name) == 0)
				break;
		}
		if (k == nitems(table_props)) {
			res_error(out, DB_ERR_SYNTAX, "Unknown property '%s'",
			    p->name);
			return (-1);
		}
		if (strcmp(p->name, "id") == 0 && !create) {
			res_error(out, DB_ERR_CONFIG, "Cannot alter table id.");
			return (-1);
		}
		ty = cqltype_parse(table_props[k].type, NULL);
		wbuf_init(&w, ENGINE_MAX_CELL);
		if (ty->kind == CQLTYPE_MAP)
			rc = prop_map(p->val, p->name, ty, &w, out);
		else {
			struct term	*tv = p->val;
			struct term	 copy;

			/* numbers for text options, ints for doubles */
			copy = *tv;
			if (tv->kind == TERM_CONST && ty->kind == CQLTYPE_TEXT)
				copy.ck = CONST_STRING;
			if (tv->kind == TERM_CONST && ty->kind ==
			    CQLTYPE_BOOLEAN && (strcasecmp(tv->text, "true") ==
			    0 || strcasecmp(tv->text, "false") == 0)) {
				copy.ck = CONST_BOOLEAN;
				copy.text = strcasecmp(tv->text, "true") == 0 ?
				    "true" : "false";
			}
			rc = lit_encode(&lc, &copy, ty, p->name, &w, &st, &err);
			if (rc != 0) {
				res_error(out, DB_ERR_SYNTAX, "Invalid value for "
				    "property '%s': %s", p->name, err);
				free(err);
			}
		}
		if (rc == 0 && strcmp(p->name, "id") == 0 && w.len == 16)
			memcpy(t->id, w.p, 16);
		else if (rc == 0)
			db_prop_set(t, p->name, w.p, w.len, 0);
		wbuf_free(&w);
		cqltype_free(ty);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

static struct keyspace *
ddl_keyspace(struct exec *ex, struct db_result *out)
{
	struct keyspace	*ks;
	const char	*name;

	if ((name = exec_keyspace(ex, ex->stmt->ks, out)) == NULL)
		return (NULL);
	if ((ks = db_keyspace(ex->db, name)) == NULL) {
		res_error(out, DB_ERR_INVALID, "Keyspace '%s' doesn't exist",
		    name);
		return (NULL);
	}
	return (ks);
}

static int
pk_type_check(struct column *c, struct db_result *out)
{
	if (cqltype_is_collection(c->type->kind) && !c->type->frozen) {
		res_error(out, DB_ERR_INVALID, "Invalid non-frozen collection "
		    "type for PRIMARY KEY component %s", c->name);
		return (-1);
	}
	if (c->type->kind == CQLTYPE_UDT && !c->type->frozen) {
		res_error(out, DB_ERR_INVALID, "Invalid non-frozen user-defined "
		    "type for PRIMARY KEY component %s", c->name);
		return (-1);
	}
	if (c->type->kind == CQLTYPE_COUNTER) {
		res_error(out, DB_ERR_INVALID, "counter type is not supported "
		    "for PRIMARY KEY column '%s'", c->name);
		return (-1);
	}
	if (c->type->kind == CQLTYPE_DURATION) {
		res_error(out, DB_ERR_INVALID, "duration type is not supported "
		    "for PRIMARY KEY column '%s'", c->name);
		return (-1);
	}
	return (0);
}

static void
create_table(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	struct table	*t;
	struct column	*c;
	size_t		 i, j, npk = 0;
	int		 counters = 0, plain = 0, statics = 0;
	char		**pk = s->pk;

	if ((ks = ddl_keyspace(ex, out)) == NULL)
		return;
	if (not_modifiable(ex, ks->name, out))
		return;
	if (!name_valid(s->name)) {
		res_error(out, DB_ERR_INVALID, "Table name must not be empty, "
		    "more than 48 characters long, or contain "
		    "non-alphanumeric-underscore characters (got \"%s\")",
		    s->name);
		return;
	}
	if (db_table(ks, s->name) != NULL) {
		if (s->if_not_exists) {
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_ALREADY_EXISTS, "Cannot add already "
		    "existing table \"%s\" to keyspace \"%s\"", s->name,
		    ks->name);
		out->err_keyspace = xstrdup(ks->name);
		out->err_table = xstrdup(s->name);
		return;
	}
	for (i = 0; i < s->ndefs; i++) {
		if (s->defs[i].pk) {
			if (npk++ > 0 || s->npk > 0) {
				res_error(out, DB_ERR_INVALID, "Multiple PRIMARY "
				    "KEYs specified (exactly one required)");
				return;
			}
			pk = &s->defs[i].name;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(s->defs[i].name, s->defs[j].name) == 0) {
				res_error(out, DB_ERR_INVALID, "Duplicate column "
				    "'%s' declaration for table '%s'",
				    s->defs[i].name, s->name);
				return;
			}
		}
	}
	if (npk == 0 && s->npk == 0) {
		res_error(out, DB_ERR_INVALID, "No PRIMARY KEY specifed for table "
		    "'%s' (exactly one required)", s->name);
		return;
	}
	if (npk == 1)
		npk = 1;
	else
		npk = s->npk;
	if (npk > ENGINE_MAX_DEPTH || s->nck > ENGINE_MAX_DEPTH) {
		res_error(out, DB_ERR_INVALID, "PRIMARY KEY too wide");
		return;
	}
	t = xcalloc(1, sizeof *t);
	t->ks = ks;
	t->name = xstrdup(s->name);
	t->npk = npk;
	t->nck = s->npk > 0 ? s->nck : 0;
	t->cols = xcalloc(s->ndefs + 1, sizeof *t->cols);
	for (i = 0; i < s->ndefs; i++) {
		c = &t->cols[t->ncols++];
		c->name = xstrdup(s->defs[i].name);
		c->slot = t->nslots++;
		c->position = -1;
		c->kind = s->defs[i].is_static ? COL_STATIC : COL_REGULAR;
		if ((c->type = type_of(ex, ks->name, s->defs[i].type, out))
		    == NULL)
			goto fail;
		if (s->defs[i].is_static)
			statics = 1;
	}
	for (i = 0; i < npk + t->nck; i++) {
		const char *name = i < npk ? pk[i] : s->ck[i - npk];

		for (j = 0; j < i; j++) {
			const char *prev = j < npk ? pk[j] : s->ck[j - npk];

			if (strcmp(prev, name) == 0) {
				res_error(out, DB_ERR_INVALID, "Duplicate "
				    "definition for column %s in PRIMARY KEY",
				    name);
				goto fail;
			}
		}
		if ((c = db_column(t, name)) == NULL) {
			res_error(out, DB_ERR_INVALID, "Unknown definition %s "
			    "referenced in PRIMARY KEY", name);
			goto fail;
		}
		if (c->kind == COL_STATIC) {
			res_error(out, DB_ERR_INVALID, "Static column %s cannot "
			    "be part of the PRIMARY KEY", name);
			goto fail;
		}
		c->kind = i < npk ? COL_PARTITION : COL_CLUSTERING;
		c->position = i < npk ? (int)i : (int)(i - npk);
		if (pk_type_check(c, out) != 0)
			goto fail;
	}
	for (i = 0; i < t->ncols; i++) {
		c = &t->cols[i];
		if (c->kind == COL_PARTITION || c->kind == COL_CLUSTERING)
			continue;
		if (c->type->kind == CQLTYPE_COUNTER)
			counters = 1;
		else
			plain = 1;
	}
	if (counters && plain) {
		res_error(out, DB_ERR_INVALID, "Cannot mix counter and non "
		    "counter columns in the same table");
		goto fail;
	}
	if (statics && t->nck == 0) {
		res_error(out, DB_ERR_INVALID, "Static columns are only useful "
		    "(and thus allowed) if the table has at least one "
		    "clustering column");
		goto fail;
	}
	t->counter = counters;
	t->compact = s->compact_storage;
	for (i = 0; i < s->ncorder; i++) {
		c = db_column(t, s->corder_cols[i]);
		if (c == NULL || c->kind != COL_CLUSTERING) {
			res_error(out, DB_ERR_INVALID, "Only clustering key "
			    "columns can be defined in CLUSTERING ORDER "
			    "directive");
			goto fail;
		}
		if (c->position != (int)i) {
			res_error(out, DB_ERR_INVALID, "The order of columns in "
			    "the CLUSTERING ORDER directive must be the one of "
			    "the clustering key (%s must appear before %s)",
			    t->cols[0].name, c->name);
			for (j = 0; j < t->ncols; j++) {
				if (t->cols[j].kind == COL_CLUSTERING &&
				    t->cols[j].position == (int)i) {
					free(out->err_msg);
					xasprintf(&out->err_msg, "The order of "
					    "columns in the CLUSTERING ORDER "
					    "directive must be the one of the "
					    "clustering key (%s must appear "
					    "before %s)", t->cols[j].name,
					    c->name);
				}
			}
			goto fail;
		}
		c->desc = s->corder_desc[i];
	}
	table_sort(t);
	if (ex->internal)
		db_name_uuid(ks->name, t->name, t->id);
	else
		db_random_uuid(ex->db, t->id);
	if (table_props_apply(ex, s, t, 1, out) != 0)
		goto fail;
	ks->tables = xreallocarray(ks->tables, ks->ntables + 1,
	    sizeof *ks->tables);
	ks->tables[ks->ntables++] = t;
	if (ex->internal && strcmp(ks->name, "system") == 0 &&
	    (strcmp(t->name, "local") == 0 || strcmp(t->name, "peers") == 0 ||
	    strcmp(t->name, "peers_v2") == 0))
		t->virtual = 1;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_CREATED, DB_TARGET_TABLE, ks->name,
	    t->name);
	return;
fail:
	db_table_free(t);
}

static struct table *
ddl_table(struct exec *ex, struct keyspace **ksp, struct db_result *out)
{
	struct keyspace	*ks;
	struct table	*t;

	if ((ks = ddl_keyspace(ex, out)) == NULL)
		return (NULL);
	*ksp = ks;
	if ((t = db_table(ks, ex->stmt->name)) == NULL) {
		if (ex->stmt->if_exists) {
			out->kind = DB_RESULT_VOID;
			return (NULL);
		}
		res_error(out, DB_ERR_INVALID, "Table '%s.%s' doesn't exist",
		    ks->name, ex->stmt->name);
		return (NULL);
	}
	return (t);
}

static void
alter_table(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	struct table	*t;
	struct column	*c;
	struct cqltype	*ty;
	size_t		 i, k;

	if ((t = ddl_table(ex, &ks, out)) == NULL)
		return;
	if (not_modifiable(ex, ks->name, out))
		return;
	switch (s->alter) {
	case ALTER_ADD:
		for (i = 0; i < s->ndefs; i++) {
			if (db_column(t, s->defs[i].name) != NULL) {
				res_error(out, DB_ERR_INVALID, "Column with name "
				    "'%s' already exists", s->defs[i].name);
				return;
			}
			if (s->defs[i].is_static && t->nck == 0) {
				res_error(out, DB_ERR_INVALID, "Static columns "
				    "are not allowed in COMPACT STORAGE tables "
				    "or tables without clustering columns");
				return;
			}
			if ((ty = type_of(ex, ks->name, s->defs[i].type, out))
			    == NULL)
				return;
			if ((ty->kind == CQLTYPE_COUNTER) != (t->counter != 0) &&
			    t->ncols > t->npk + t->nck) {
				cqltype_free(ty);
				res_error(out, DB_ERR_INVALID, "Cannot add a %s "
				    "column (%s) in a %s table", t->counter ?
				    "non-counter" : "counter", s->defs[i].name,
				    t->counter ? "counter" : "non-counter");
				return;
			}
			if (ty->kind == CQLTYPE_COUNTER)
				t->counter = 1;
			t->cols = xreallocarray(t->cols, t->ncols + 1,
			    sizeof *t->cols);
			c = &t->cols[t->ncols++];
			memset(c, 0, sizeof *c);
			c->name = xstrdup(s->defs[i].name);
			c->type = ty;
			c->kind = s->defs[i].is_static ? COL_STATIC :
			    COL_REGULAR;
			c->position = -1;
			c->slot = t->nslots++;
		}
		table_sort(t);
		break;
	case ALTER_DROP:
		for (i = 0; i < s->ncols; i++) {
			if ((c = db_column(t, s->cols[i])) == NULL) {
				res_error(out, DB_ERR_INVALID, "Column %s was "
				    "not found in table %s", s->cols[i],
				    t->name);
				return;
			}
			if (c->kind == COL_PARTITION ||
			    c->kind == COL_CLUSTERING) {
				res_error(out, DB_ERR_INVALID, "Cannot drop "
				    "PRIMARY KEY column %s", c->name);
				return;
			}
			for (k = 0; k < t->nindexes; k++) {
				if (strcmp(t->indexes[k].col, c->name) == 0) {
					res_error(out, DB_ERR_INVALID, "Cannot "
					    "drop column %s because it has "
					    "dependent secondary indexes (%s)",
					    c->name, t->indexes[k].name);
					return;
				}
			}
		}
		for (i = 0; i < s->ncols; i++) {
			c = db_column(t, s->cols[i]);
			free(c->name);
			cqltype_free(c->type);
			k = c - t->cols;
			memmove(c, c + 1, (t->ncols - k - 1) * sizeof *c);
			t->ncols--;
		}
		break;
	case ALTER_WITH:
		if (table_props_apply(ex, s, t, 0, out) != 0)
			return;
		break;
	case ALTER_RENAME:
		if ((c = db_column(t, s->cols[0])) == NULL) {
			res_error(out, DB_ERR_INVALID, "Column %s was not found "
			    "in table %s", s->cols[0], t->name);
			return;
		}
		if (c->kind != COL_PARTITION && c->kind != COL_CLUSTERING) {
			res_error(out, DB_ERR_INVALID, "Cannot rename non "
			    "PRIMARY KEY column %s", c->name);
			return;
		}
		if (db_column(t, s->rename_to) != NULL) {
			res_error(out, DB_ERR_INVALID, "Cannot rename column %s "
			    "to %s in table %s; another column with that name "
			    "already exists", c->name, s->rename_to, t->name);
			return;
		}
		free(c->name);
		c->name = xstrdup(s->rename_to);
		break;
	}
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_UPDATED, DB_TARGET_TABLE, ks->name,
	    t->name);
}

static void
drop_table(struct exec *ex, struct db_result *out)
{
	struct keyspace	*ks;
	struct table	*t;
	char		*name;

	if ((t = ddl_table(ex, &ks, out)) == NULL)
		return;
	if (not_modifiable(ex, ks->name, out))
		return;
	name = xstrdup(t->name);
	db_table_remove(ks, t);
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_DROPPED, DB_TARGET_TABLE, ks->name, name);
	free(name);
}

static void
truncate_table(struct exec *ex, struct db_result *out)
{
	struct keyspace	*ks;
	struct table	*t;

	if ((t = ddl_table(ex, &ks, out)) == NULL)
		return;
	if (t->virtual || (!ex->internal && system_ks(ks->name) &&
	    strcmp(ks->name, "system_traces") != 0)) {
		res_error(out, DB_ERR_UNAUTHORIZED, "%s keyspace is not "
		    "user-modifiable.", ks->name);
		return;
	}
	db_table_truncate(t);
	out->kind = DB_RESULT_VOID;
}

static int
type_uses(const struct cqltype *t, const char *ks, const char *name)
{
	size_t	i;

	if (t == NULL)
		return (0);
	if (t->kind == CQLTYPE_UDT && t->name != NULL &&
	    strcmp(t->name, name) == 0 && (t->keyspace == NULL ||
	    strcmp(t->keyspace, ks) == 0))
		return (1);
	for (i = 0; i < t->n; i++) {
		if (type_uses(t->sub[i], ks, name))
			return (1);
	}
	return (0);
}

static void
create_type(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	struct cqltype	*udt, *ft;
	size_t		 i, j;

	if ((ks = ddl_keyspace(ex, out)) == NULL)
		return;
	if (not_modifiable(ex, ks->name, out))
		return;
	if (db_type(ks, s->name) != NULL) {
		if (s->if_not_exists) {
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_ALREADY_EXISTS, "A user type with name "
		    "'%s' already exists.", s->name);
		out->err_keyspace = xstrdup(ks->name);
		out->err_table = xstrdup(s->name);
		return;
	}
	udt = cqltype_new_udt(ks->name, s->name);
	for (i = 0; i < s->ndefs; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(s->defs[i].name, s->defs[j].name) == 0) {
				res_error(out, DB_ERR_INVALID, "Duplicate field "
				    "name %s in type %s", s->defs[i].name,
				    s->name);
				cqltype_free(udt);
				return;
			}
		}
		if ((ft = type_of(ex, ks->name, s->defs[i].type, out)) == NULL) {
			cqltype_free(udt);
			return;
		}
		if (ft->kind == CQLTYPE_COUNTER) {
			res_error(out, DB_ERR_INVALID, "A user type cannot "
			    "contain counters");
			cqltype_free(ft);
			cqltype_free(udt);
			return;
		}
		if (cqltype_is_collection(ft->kind) || ft->kind == CQLTYPE_UDT)
			ft->frozen = 1;
		cqltype_add(udt, s->defs[i].name, ft);
	}
	ks->types = xreallocarray(ks->types, ks->ntypes + 1,
	    sizeof *ks->types);
	ks->types[ks->ntypes].name = xstrdup(s->name);
	ks->types[ks->ntypes].type = udt;
	ks->ntypes++;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_CREATED, DB_TARGET_TYPE, ks->name,
	    s->name);
}

static void
drop_type(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	struct udt	*u;
	size_t		 i, j;
	char		*name;

	if ((ks = ddl_keyspace(ex, out)) == NULL)
		return;
	if ((u = db_type(ks, s->name)) == NULL) {
		if (s->if_exists) {
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_INVALID, "No user type named %s.%s exists.",
		    ks->name, s->name);
		return;
	}
	for (i = 0; i < ks->ntables; i++) {
		for (j = 0; j < ks->tables[i]->ncols; j++) {
			if (type_uses(ks->tables[i]->cols[j].type, ks->name,
			    s->name)) {
				res_error(out, DB_ERR_INVALID, "Cannot drop user "
				    "type %s.%s as it is still used by table "
				    "%s.%s", ks->name, s->name, ks->name,
				    ks->tables[i]->name);
				return;
			}
		}
	}
	for (i = 0; i < ks->ntypes; i++) {
		if (&ks->types[i] != u && type_uses(ks->types[i].type, ks->name,
		    s->name)) {
			res_error(out, DB_ERR_INVALID, "Cannot drop user type "
			    "%s.%s as it is still used by user type %s",
			    ks->name, s->name, ks->types[i].name);
			return;
		}
	}
	name = u->name;
	cqltype_free(u->type);
	i = u - ks->types;
	memmove(u, u + 1, (ks->ntypes - i - 1) * sizeof *u);
	ks->ntypes--;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_DROPPED, DB_TARGET_TYPE, ks->name, name);
	free(name);
}

static struct index *
index_find(struct keyspace *ks, const char *name, struct table **tp)
{
	size_t	i, j;

	for (i = 0; i < ks->ntables; i++) {
		for (j = 0; j < ks->tables[i]->nindexes; j++) {
			if (strcmp(ks->tables[i]->indexes[j].name, name) == 0) {
				if (tp != NULL)
					*tp = ks->tables[i];
				return (&ks->tables[i]->indexes[j]);
			}
		}
	}
	return (NULL);
}

static void
create_index(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	struct table	*t;
	struct column	*c;
	struct index	*ix;
	char		*name, *target;
	const char	*kind;

	if ((ks = ddl_keyspace(ex, out)) == NULL)
		return;
	if (not_modifiable(ex, ks->name, out))
		return;
	if ((t = db_table(ks, s->idx_table)) == NULL) {
		res_error(out, DB_ERR_INVALID, "Table '%s.%s' doesn't exist",
		    ks->name, s->idx_table);
		return;
	}
	if ((c = db_column(t, s->idx_col)) == NULL) {
		res_error(out, DB_ERR_INVALID, "No column definition found for "
		    "column %s", s->idx_col);
		return;
	}
	if (c->kind == COL_PARTITION && t->npk == 1) {
		res_error(out, DB_ERR_INVALID, "Cannot create secondary index on "
		    "the only partition key column %s", c->name);
		return;
	}
	if (s->name != NULL)
		name = xstrdup(s->name);
	else
		xasprintf(&name, "%s_%s_idx", t->name, c->name);
	if (index_find(ks, name, NULL) != NULL) {
		if (s->if_not_exists) {
			free(name);
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_INVALID, "Index '%s' already exists", name);
		free(name);
		return;
	}
	kind = s->idx_target;
	if (kind == NULL && cqltype_is_collection(c->type->kind) &&
	    !c->type->frozen)
		kind = "values";
	if (kind != NULL)
		xasprintf(&target, "%s(%s)", kind, c->name);
	else
		target = xstrdup(c->name);
	t->indexes = xreallocarray(t->indexes, t->nindexes + 1,
	    sizeof *t->indexes);
	ix = &t->indexes[t->nindexes++];
	ix->name = name;
	ix->col = xstrdup(c->name);
	ix->target = target;
	ix->class = s->idx_class != NULL && *s->idx_class != '\0' ?
	    xstrdup(s->idx_class) : NULL;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_UPDATED, DB_TARGET_TABLE, ks->name,
	    t->name);
}

static void
drop_index(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct keyspace	*ks;
	struct table	*t = NULL;
	struct index	*ix;
	size_t		 i;

	if ((ks = ddl_keyspace(ex, out)) == NULL)
		return;
	if ((ix = index_find(ks, s->name, &t)) == NULL) {
		if (s->if_exists) {
			out->kind = DB_RESULT_VOID;
			return;
		}
		res_error(out, DB_ERR_INVALID, "Index '%s.%s' doesn't exist",
		    ks->name, s->name);
		return;
	}
	free(ix->name);
	free(ix->col);
	free(ix->target);
	free(ix->class);
	i = ix - t->indexes;
	memmove(ix, ix + 1, (t->nindexes - i - 1) * sizeof *ix);
	t->nindexes--;
	db_schema_changed(ex->db);
	schema_result(out, DB_CHANGE_UPDATED, DB_TARGET_TABLE, ks->name,
	    t->name);
}

void
ddl_run(struct exec *ex, struct db_result *out)
{
	switch (ex->stmt->kind) {
	case STMT_CREATE_KEYSPACE:
		create_keyspace(ex, out);
		break;
	case STMT_ALTER_KEYSPACE:
		alter_keyspace(ex, out);
		break;
	case STMT_DROP_KEYSPACE:
		drop_keyspace(ex, out);
		break;
	case STMT_CREATE_TABLE:
		create_table(ex, out);
		break;
	case STMT_ALTER_TABLE:
		alter_table(ex, out);
		break;
	case STMT_DROP_TABLE:
		drop_table(ex, out);
		break;
	case STMT_TRUNCATE:
		truncate_table(ex, out);
		break;
	case STMT_CREATE_TYPE:
		create_type(ex, out);
		break;
	case STMT_DROP_TYPE:
		drop_type(ex, out);
		break;
	case STMT_CREATE_INDEX:
		create_index(ex, out);
		break;
	case STMT_DROP_INDEX:
		drop_index(ex, out);
		break;
	default:
		res_error(out, DB_ERR_SERVER, "unexpected statement");
		break;
	}
	if (out->kind == DB_RESULT_SCHEMA_CHANGE) {
		free(out->info.keyspace);
		out->info.keyspace = xstrdup(out->keyspace);
		free(out->info.table);
		out->info.table = out->name != NULL && out->target ==
		    DB_TARGET_TABLE ? xstrdup(out->name) : NULL;
	}
}
