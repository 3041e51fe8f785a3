/*
 * exec.c: the engine's entry points: run a statement (text or prepared),
 * prepare one, run a protocol BATCH. Statements are bound to the schema
 * again at every execution, so a prepared statement follows DDL.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "cqltype.h"
#include "engine.h"

static const char *no_keyspace = "No keyspace has been specified. USE a "
    "keyspace, or explicitly specify keyspace.tablename";

/* The keyspace a statement names, or the session's. */
const char *
exec_keyspace(struct exec *ex, const char *qual, struct db_result *out)
{
	if (qual != NULL)
		return (qual);
	if (ex->session_ks != NULL && *ex->session_ks != '\0')
		return (ex->session_ks);
	res_error(out, DB_ERR_INVALID, "%s", no_keyspace);
	return (NULL);
}

struct table *
exec_table(struct exec *ex, struct db_result *out)
{
	struct keyspace	*ks;
	struct table	*t;
	const char	*name;

	if ((name = exec_keyspace(ex, ex->stmt->ks, out)) == NULL)
		return (NULL);
	if ((ks = db_keyspace(ex->db, name)) == NULL) {
		res_error(out, DB_ERR_INVALID, "Keyspace %s does not exist",
		    name);
		return (NULL);
	}
	if ((t = db_table(ks, ex->stmt->name)) == NULL) {
		res_error(out, DB_ERR_INVALID, "unconfigured table %s",
		    ex->stmt->name);
		return (NULL);
	}
	return (t);
}

static const char *
verb_of(enum stmt_kind k)
{
	switch (k) {
	case STMT_SELECT:
		return ("SELECT");
	case STMT_INSERT:
		return ("INSERT");
	case STMT_UPDATE:
		return ("UPDATE");
	case STMT_DELETE:
		return ("DELETE");
	case STMT_BATCH:
		return ("BATCH");
	case STMT_USE:
		return ("USE");
	case STMT_TRUNCATE:
		return ("TRUNCATE");
	case STMT_CREATE_KEYSPACE:
	case STMT_CREATE_TABLE:
	case STMT_CREATE_TYPE:
	case STMT_CREATE_INDEX:
		return ("CREATE");
	case STMT_ALTER_KEYSPACE:
	case STMT_ALTER_TABLE:
		return ("ALTER");
	default:
		return ("DROP");
	}
}

/* Set bind marker types from the statement's receivers. */
int
exec_bind(struct exec *ex, struct db_result *out)
{
	struct table	*t;

	switch (ex->stmt->kind) {
	case STMT_SELECT:
		if ((t = exec_table(ex, out)) == NULL)
			return (-1);
		return (select_bind(ex, t, out));
	case STMT_INSERT:
	case STMT_UPDATE:
	case STMT_DELETE:
		if ((t = exec_table(ex, out)) == NULL)
			return (-1);
		return (modify_bind(ex, t, out));
	case STMT_BATCH:
		{
			struct stmt	*b = ex->stmt;
			size_t		 i;
			int		 rc = 0;

			for (i = 0; i < b->nstmts && rc == 0; i++) {
				ex->stmt = b->stmts[i];
				if ((t = exec_table(ex, out)) == NULL)
					rc = -1;
				else
					rc = modify_bind(ex, t, out);
			}
			ex->stmt = b;
			if (rc == 0 && b->timestamp != NULL) {
				struct cqltype *bt =
				    cqltype_new_scalar(CQLTYPE_BIGINT);

				lit_bind_type(b, b->timestamp, NULL, NULL,
				    "[timestamp]", bt);
				cqltype_free(bt);
			}
			return (rc);
		}
	default:
		return (0);
	}
}

void
exec_statement(struct exec *ex, struct db_result *out)
{
	struct stmt	*s = ex->stmt;
	struct table	*t;
	struct keyspace	*ks;

	res_info_set(out, ex->node, s->ks != NULL ? s->ks : ex->session_ks,
	    NULL, verb_of(s->kind), s->kind != STMT_SELECT &&
	    s->kind != STMT_USE);
	switch (s->kind) {
	case STMT_SELECT:
		if ((t = exec_table(ex, out)) == NULL)
			return;
		res_info_set(out, ex->node, t->ks->name, t->name, "SELECT", 0);
		if (select_bind(ex, t, out) != 0)
			return;
		select_run(ex, t, out);
		return;
	case STMT_INSERT:
	case STMT_UPDATE:
	case STMT_DELETE:
		if ((t = exec_table(ex, out)) == NULL)
			return;
		res_info_set(out, ex->node, t->ks->name, t->name,
		    verb_of(s->kind), 1);
		if (modify_bind(ex, t, out) != 0)
			return;
		modify_run(ex, t, out);
		return;
	case STMT_BATCH:
		if (exec_bind(ex, out) != 0)
			return;
		batch_run(ex, out);
		return;
	case STMT_USE:
		if ((ks = db_keyspace(ex->db, s->name)) == NULL) {
			res_error(out, DB_ERR_INVALID, "Keyspace '%s' does not "
			    "exist", s->name);
			return;
		}
		out->kind = DB_RESULT_SET_KEYSPACE;
		out->keyspace = xstrdup(ks->name);
		res_info_set(out, ex->node, ks->name, NULL, "USE", 0);
		return;
	default:
		ddl_run(ex, out);
		return;
	}
}

/* Map each marker to a value: by position, or by name for named values. */
static int
exec_values(struct exec *ex, struct stmt *s, const struct db_values *v,
    struct db_result *out)
{
	size_t	i, j, n = v != NULL ? v->n : 0;

	ex->bindmap = NULL;
	if (v == NULL || v->names == NULL) {
		if (n != s->nbinds) {
			res_error(out, DB_ERR_INVALID, "There were %zu markers(?) "
			    "in CQL but %zu bound variables", s->nbinds, n);
			return (-1);
		}
		return (0);
	}
	ex->bindmap = xcalloc(s->nbinds + 1, sizeof *ex->bindmap);
	for (i = 0; i < s->nbinds; i++) {
		const char	*name = s->binds[i].name;

		if (name == NULL) {
			res_error(out, DB_ERR_INVALID, "Named values given for "
			    "positional bind markers");
			return (-1);
		}
		for (j = 0; j < n; j++) {
			if (strlen(name) == v->names[j].n &&
			    strncasecmp(name, (const char *)v->names[j].p,
			    v->names[j].n) == 0)
				break;
		}
		if (j == n) {
			res_error(out, DB_ERR_INVALID, "Invalid unset value for "
			    "column %s: no value bound for name %s",
			    s->binds[i].recv != NULL ? s->binds[i].recv : name,
			    name);
			return (-1);
		}
		ex->bindmap[i] = (int)j;
	}
	return (0);
}

static void
exec_init(struct exec *ex, struct db *db, int node, const char *ks,
    struct stmt *s, const struct db_values *v, const struct db_opts *opts)
{
	static const struct db_opts	noopts;

	memset(ex, 0, sizeof *ex);
	ex->db = db;
	ex->node = node;
	ex->session_ks = ks;
	ex->stmt = s;
	ex->values = v;
	ex->opts = opts != NULL ? opts : &noopts;
}

void
db_execute(struct db *db, int node, const char *keyspace, const char *cql,
    const struct db_values *values, const struct db_opts *opts,
    struct db_result *out)
{
	db_execute_len(db, node, keyspace, cql, strlen(cql), values, opts,
	    out);
}

void
db_execute_len(struct db *db, int node, const char *keyspace,
    const char *cql, size_t len, const struct db_values *values,
    const struct db_opts *opts, struct db_result *out)
{
	struct exec	 ex;
	struct stmt	*s;
	char		*err;

	memset(out, 0, sizeof *out);
	out->info.node = node;
	if ((s = parse_statement_n(cql, len, &err)) == NULL) {
		res_error(out, DB_ERR_SYNTAX, "%s", err);
		free(err);
		return;
	}
	exec_init(&ex, db, node, keyspace, s, values, opts);
	ex.internal = db->booting;
	if (exec_values(&ex, s, values, out) == 0)
		exec_statement(&ex, out);
	free(ex.bindmap);
	stmt_free(s);
}

static struct prepared *
prepared_find(struct db *db, uint32_t handle)
{
	size_t	i;

	for (i = 0; i < db->nprepared; i++) {
		if (db->prepared[i].handle == handle)
			return (&db->prepared[i]);
	}
	return (NULL);
}

/* Bind variables, pk indexes and result columns of a prepared statement. */
static void
prepare_describe(struct exec *ex, struct prepared *p, struct db_result *out)
{
	struct stmt	*s = p->stmt;
	struct table	*t = NULL;
	uint16_t	 idx[ENGINE_MAX_DEPTH];
	size_t		 i;
	int		 n;

	out->kind = DB_RESULT_PREPARED;
	out->handle = p->handle;
	out->nvars = s->nbinds;
	out->vars = xcalloc(s->nbinds + 1, sizeof *out->vars);
	for (i = 0; i < s->nbinds; i++) {
		struct bindvar	*b = &s->binds[i];

		res_colspec(&out->vars[i], b->ks, b->table, b->recv != NULL ?
		    b->recv : (b->name != NULL ? b->name : "?"), b->type);
		if (out->vars[i].type == NULL)
			out->vars[i].type = cqltype_new_scalar(CQLTYPE_BLOB);
		if (b->name != NULL) {
			free(out->vars[i].name);
			out->vars[i].name = xstrdup(b->name);
		}
	}
	if (s->kind == STMT_SELECT || s->kind == STMT_INSERT ||
	    s->kind == STMT_UPDATE || s->kind == STMT_DELETE) {
		struct db_result	tmp;

		memset(&tmp, 0, sizeof tmp);
		t = exec_table(ex, &tmp);
		db_result_clear(&tmp);
	}
	if (t != NULL && s->kind != STMT_BATCH &&
	    (n = where_pk_indexes(s, t, idx)) > 0) {
		out->pk_indexes = xcalloc(n, sizeof *out->pk_indexes);
		memcpy(out->pk_indexes, idx, n * sizeof *idx);
		out->npk_indexes = n;
	}
	if (t != NULL && s->kind == STMT_SELECT)
		(void)select_metadata(ex, t, out);
	if (t != NULL)
		res_info_set(out, ex->node, t->ks->name, t->name,
		    verb_of(s->kind), 0);
}

void
db_prepare(struct db *db, int node, const char *keyspace, const char *cql,
    struct db_result *out)
{
	db_prepare_len(db, node, keyspace, cql, strlen(cql), out);
}

void
db_prepare_len(struct db *db, int node, const char *keyspace,
    const char *cql, size_t len, struct db_result *out)
{
	struct exec	 ex;
	struct stmt	*s;
	struct prepared	*p = NULL;
	char		*err;
	size_t		 i, oldest;
	const char	*ks = keyspace != NULL ? keyspace : "";

	memset(out, 0, sizeof *out);
	out->info.node = node;
	for (i = 0; i < db->nprepared; i++) {
		if (strcmp(db->prepared[i].ks, ks) == 0 &&
		    db->prepared[i].len == len &&
		    memcmp(db->prepared[i].text, cql, len) == 0) {
			p = &db->prepared[i];
			break;
		}
	}
	if (p == NULL) {
		if ((s = parse_statement_n(cql, len, &err)) == NULL) {
			res_error(out, DB_ERR_SYNTAX, "%s", err);
			free(err);
			return;
		}
		if (s->kind != STMT_SELECT && s->kind != STMT_INSERT &&
		    s->kind != STMT_UPDATE && s->kind != STMT_DELETE &&
		    s->kind != STMT_BATCH && s->kind != STMT_USE &&
		    s->kind != STMT_TRUNCATE && s->nbinds > 0) {
			stmt_free(s);
			res_error(out, DB_ERR_INVALID, "Bind variables are not "
			    "allowed in schema statements");
			return;
		}
		exec_init(&ex, db, node, keyspace, s, NULL, NULL);
		if (exec_bind(&ex, out) != 0) {
			stmt_free(s);
			return;
		}
		if (db->nprepared >= ENGINE_MAX_PREPARED) {
			/* Evict the least recently used; a later EXECUTE of
			 * it gets UNPREPARED and the client prepares again. */
			oldest = 0;
			for (i = 1; i < db->nprepared; i++) {
				if (db->prepared[i].used <
				    db->prepared[oldest].used)
					oldest = i;
			}
			free(db->prepared[oldest].ks);
			free(db->prepared[oldest].text);
			stmt_free(db->prepared[oldest].stmt);
			db->prepared[oldest] = db->prepared[--db->nprepared];
		}
		db->prepared = xreallocarray(db->prepared, db->nprepared + 1,
		    sizeof *db->prepared);
		p = &db->prepared[db->nprepared++];
		p->handle = db->next_handle++;
		p->ks = xstrdup(ks);
		p->text = xmalloc(len + 1);
		memcpy(p->text, cql, len);
		p->text[len] = '\0';
		p->len = len;
		p->stmt = s;
	}
	p->used = ++db->use_seq;
	exec_init(&ex, db, node, *p->ks != '\0' ? p->ks : NULL, p->stmt, NULL,
	    NULL);
	if (exec_bind(&ex, out) != 0)
		return;
	prepare_describe(&ex, p, out);
}

void
db_execute_prepared(struct db *db, int node, uint32_t handle,
    const struct db_values *values, const struct db_opts *opts,
    struct db_result *out)
{
	struct exec	 ex;
	struct prepared	*p;

	memset(out, 0, sizeof *out);
	out->info.node = node;
	if ((p = prepared_find(db, handle)) == NULL) {
		res_error(out, DB_ERR_UNPREPARED, "Prepared query with ID %u "
		    "not found (either the query was not prepared on this host "
		    "(maybe the host has been restarted?) or you have prepared "
		    "too many queries and it has been evicted from the internal "
		    "cache)", handle);
		return;
	}
	p->used = ++db->use_seq;
	exec_init(&ex, db, node, *p->ks != '\0' ? p->ks : NULL, p->stmt,
	    values, opts);
	if (exec_values(&ex, p->stmt, values, out) == 0)
		exec_statement(&ex, out);
	free(ex.bindmap);
}

/*
 * A protocol BATCH: each statement with its own values, one timestamp for
 * all. Conditions (if any) are checked for every statement before any is
 * applied.
 */
void
db_batch(struct db *db, int node, const char *keyspace,
    enum db_batch_type type, const struct db_batch_stmt *bs, size_t n,
    const struct db_opts *opts, struct db_result *out)
{
	struct stmt	 batch, **subs;
	struct exec	 ex;
	struct stmt	**owned;
	const struct db_values **vals;
	const char	**kss;
	int		**maps;
	size_t		 i;
	char		*err;

	memset(out, 0, sizeof *out);
	out->info.node = node;
	if (n > DB_MAX_BATCH) {
		res_error(out, DB_ERR_INVALID, "Too many statements in batch");
		return;
	}
	subs = xcalloc(n + 1, sizeof *subs);
	owned = xcalloc(n + 1, sizeof *owned);
	vals = xcalloc(n + 1, sizeof *vals);
	maps = xcalloc(n + 1, sizeof *maps);
	kss = xcalloc(n + 1, sizeof *kss);
	for (i = 0; i < n; i++) {
		struct prepared	*p;

		if (bs[i].cql != NULL) {
			if ((owned[i] = parse_statement_n(bs[i].cql,
			    bs[i].cql_len > 0 ? bs[i].cql_len :
			    strlen(bs[i].cql), &err))
			    == NULL) {
				res_error(out, DB_ERR_SYNTAX, "%s", err);
				free(err);
				goto done;
			}
			subs[i] = owned[i];
			kss[i] = keyspace;
		} else {
			if ((p = prepared_find(db, bs[i].handle)) == NULL) {
				res_error(out, DB_ERR_UNPREPARED, "Prepared "
				    "query with ID %u not found", bs[i].handle);
				goto done;
			}
			p->used = ++db->use_seq;
			subs[i] = p->stmt;
			/* As EXECUTE: names resolve where it was prepared. */
			kss[i] = *p->ks != '\0' ? p->ks : NULL;
		}
		if (subs[i]->kind != STMT_INSERT &&
		    subs[i]->kind != STMT_UPDATE &&
		    subs[i]->kind != STMT_DELETE) {
			res_error(out, DB_ERR_INVALID, "Invalid statement in "
			    "batch: only UPDATE, INSERT and DELETE statements "
			    "are allowed.");
			goto done;
		}
		exec_init(&ex, db, node, kss[i], subs[i], &bs[i].values,
		    opts);
		if (exec_values(&ex, subs[i], &bs[i].values, out) != 0) {
			free(ex.bindmap);
			goto done;
		}
		maps[i] = ex.bindmap;
		vals[i] = &bs[i].values;
	}
	memset(&batch, 0, sizeof batch);
	batch.kind = STMT_BATCH;
	batch.batch_type = type;
	batch.stmts = subs;
	batch.nstmts = n;
	exec_init(&ex, db, node, keyspace, &batch, NULL, opts);
	ex.batch_values = vals;
	ex.batch_maps = maps;
	ex.batch_ks = kss;
	batch_run(&ex, out);
done:
	for (i = 0; i < n; i++) {
		stmt_free(owned[i]);
		free(maps[i]);
	}
	free(owned);
	free(subs);
	free(vals);
	free(maps);
	free(kss);
}
