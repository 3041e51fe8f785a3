/*
 * result.c: filling and clearing struct db_result.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cqltype.h"
#include "engine.h"

/* Replace whatever the result held with an error. */
void
res_error(struct db_result *out, uint32_t code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	{
		struct db_info	info = out->info;

		memset(&out->info, 0, sizeof out->info);
		db_result_clear(out);
		out->info = info;
	}
	out->kind = DB_RESULT_ERROR;
	out->err_code = code;
	out->err_msg = msg;
}

void
res_colspec(struct db_colspec *c, const char *ks, const char *table,
    const char *name, const struct cqltype *type)
{
	c->keyspace = xstrdup(ks != NULL ? ks : "");
	c->table = xstrdup(table != NULL ? table : "");
	c->name = xstrdup(name);
	c->type = type != NULL ? cqltype_dup(type) : NULL;
}

void
res_colspec_free(struct db_colspec *c)
{
	free(c->keyspace);
	free(c->table);
	free(c->name);
	cqltype_free(c->type);
	memset(c, 0, sizeof *c);
}

void
res_info_set(struct db_result *out, int node, const char *ks,
    const char *table, const char *verb, int write)
{
	free(out->info.keyspace);
	free(out->info.table);
	out->info.node = node;
	out->info.keyspace = ks != NULL ? xstrdup(ks) : NULL;
	out->info.table = table != NULL ? xstrdup(table) : NULL;
	out->info.verb = verb;
	out->info.write = write;
}

void
db_result_clear(struct db_result *out)
{
	size_t	i;

	free(out->err_msg);
	free(out->err_keyspace);
	free(out->err_table);
	for (i = 0; i < out->ncols; i++)
		res_colspec_free(&out->cols[i]);
	free(out->cols);
	for (i = 0; i < out->nrows * out->ncols; i++)
		free(out->cells[i].p);
	free(out->cells);
	free(out->paging_state);
	free(out->keyspace);
	free(out->name);
	for (i = 0; i < out->nvars; i++)
		res_colspec_free(&out->vars[i]);
	free(out->vars);
	free(out->pk_indexes);
	free(out->info.keyspace);
	free(out->info.table);
	memset(out, 0, sizeof *out);
}
