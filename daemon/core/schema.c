/*
 * schema.c: schema metadata snapshots and the targeted changes that make
 * new ones (see schema.h). Reading system_schema rows into drafts is in
 * schema-rows.c; this file assembles drafts into keyspaces, resolves user
 * type references and answers lookups.
 *
 * Every object below a snapshot is immutable once published. A change
 * copies the path from the snapshot down to what changed and shares the
 * rest by reference; an object whose count is 1 is held only by the
 * snapshot being built, so it may still be finished in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "msg.h"
#include "token.h"
#include "schema.h"
#include "schema-int.h"

/*
 * Reference counts: atomic so that snapshots may cross threads.
 */

void
schema_obj_ref(unsigned int *r)
{
	__atomic_add_fetch(r, 1, __ATOMIC_RELAXED);
}

int
schema_obj_unref(unsigned int *r)
{
	return (__atomic_sub_fetch(r, 1, __ATOMIC_ACQ_REL) == 0);
}

/* Read the count; 1 means nobody else can reach the object. */
static int
obj_exclusive(unsigned int *r)
{
	return (__atomic_load_n(r, __ATOMIC_ACQUIRE) == 1);
}

/*
 * Freeing.
 */

void
schema_options_clear(struct schema_options *o)
{
	size_t	i;

	for (i = 0; i < o->n; i++) {
		free(o->e[i].name);
		free(o->e[i].value);
	}
	free(o->e);
	o->e = NULL;
	o->n = 0;
}

void
schema_strv_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
schema_column_clear(struct column_meta *c)
{
	free(c->name);
	free(c->type_text);
	cqltype_free(c->type);
	memset(c, 0, sizeof *c);
}

void
schema_table_unref(struct table_meta *t)
{
	size_t	i;

	if (t == NULL || !schema_obj_unref(&t->references))
		return;
	free(t->keyspace);
	free(t->name);
	for (i = 0; i < t->ncolumns; i++)
		schema_column_clear(&t->columns[i]);
	free(t->columns);
	free(t->partition_key);
	free(t->clustering_key);
	schema_options_clear(&t->options);
	for (i = 0; i < t->nindexes; i++) {
		free(t->indexes[i].name);
		free(t->indexes[i].kind);
		schema_options_clear(&t->indexes[i].options);
	}
	free(t->indexes);
	for (i = 0; i < t->ntriggers; i++) {
		free(t->triggers[i].name);
		schema_options_clear(&t->triggers[i].options);
	}
	free(t->triggers);
	free(t->base_table);
	free(t->where_clause);
	free(t);
}

void
schema_type_unref(struct type_meta *t)
{
	if (t == NULL || !schema_obj_unref(&t->references))
		return;
	free(t->keyspace);
	free(t->name);
	schema_strv_free(t->field_names, t->nfields);
	schema_strv_free(t->field_types, t->nfields);
	cqltype_free(t->type);
	free(t);
}

void
schema_function_unref(struct function_meta *f)
{
	if (f == NULL || !schema_obj_unref(&f->references))
		return;
	free(f->keyspace);
	free(f->name);
	schema_strv_free(f->arg_names, f->nargs);
	schema_strv_free(f->arg_types, f->nargs);
	free(f->signature);
	free(f->return_type);
	free(f->language);
	free(f->body);
	free(f);
}

void
schema_aggregate_unref(struct aggregate_meta *a)
{
	if (a == NULL || !schema_obj_unref(&a->references))
		return;
	free(a->keyspace);
	free(a->name);
	schema_strv_free(a->arg_types, a->nargs);
	free(a->signature);
	free(a->state_func);
	free(a->state_type);
	free(a->final_func);
	free(a->initcond);
	free(a->return_type);
	free(a);
}

void
schema_ks_unref(struct ks_meta *k)
{
	size_t	i;

	if (k == NULL || !schema_obj_unref(&k->references))
		return;
	free(k->name);
	schema_options_clear(&k->replication);
	token_repl_free(k->repl);
	for (i = 0; i < k->ntables; i++)
		schema_table_unref(k->tables[i]);
	free(k->tables);
	for (i = 0; i < k->nviews; i++)
		schema_table_unref(k->views[i]);
	free(k->views);
	for (i = 0; i < k->ntypes; i++)
		schema_type_unref(k->types[i]);
	free(k->types);
	for (i = 0; i < k->nfunctions; i++)
		schema_function_unref(k->functions[i]);
	free(k->functions);
	for (i = 0; i < k->naggregates; i++)
		schema_aggregate_unref(k->aggregates[i]);
	free(k->aggregates);
	free(k);
}

struct schema *
schema_new(void)
{
	struct schema	*s = xcalloc(1, sizeof *s);

	s->references = 1;
	return (s);
}

struct schema *
schema_ref(const struct schema *s)
{
	struct schema	*m = (struct schema *)(uintptr_t)s;

	schema_obj_ref(&m->references);
	return (m);
}

void
schema_free(struct schema *s)
{
	size_t	i;

	if (s == NULL || !schema_obj_unref(&s->references))
		return;
	for (i = 0; i < s->nkeyspaces; i++)
		schema_ks_unref(s->keyspaces[i]);
	free(s->keyspaces);
	free(s);
}

const struct table_meta *
table_meta_ref(const struct table_meta *t)
{
	struct table_meta	*m = (struct table_meta *)(uintptr_t)t;

	schema_obj_ref(&m->references);
	return (t);
}

void
table_meta_unref(const struct table_meta *t)
{
	schema_table_unref((struct table_meta *)(uintptr_t)t);
}

/*
 * Copying (for copy-on-write of shared objects).
 */

char *
schema_strdup(const char *s)
{
	return (s == NULL ? NULL : xstrdup(s));
}

char **
schema_strv_dup(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	if (v == NULL)
		return (NULL);
	c = xcalloc(n == 0 ? 1 : n, sizeof *c);
	for (i = 0; i < n; i++)
		c[i] = schema_strdup(v[i]);
	return (c);
}

void
schema_options_copy(struct schema_options *dst,
    const struct schema_options *src)
{
	size_t	i;

	dst->n = src->n;
	dst->e = src->n == 0 ? NULL : xcalloc(src->n, sizeof *dst->e);
	for (i = 0; i < src->n; i++) {
		dst->e[i].name = xstrdup(src->e[i].name);
		dst->e[i].value = schema_strdup(src->e[i].value);
	}
}

static struct table_meta *
table_dup(const struct table_meta *t)
{
	struct table_meta	*c = xcalloc(1, sizeof *c);
	size_t			 i;

	*c = *t;
	c->references = 1;
	c->keyspace = xstrdup(t->keyspace);
	c->name = xstrdup(t->name);
	c->columns = xcalloc(t->ncolumns + 1, sizeof *c->columns);
	for (i = 0; i < t->ncolumns; i++) {
		c->columns[i] = t->columns[i];
		c->columns[i].name = xstrdup(t->columns[i].name);
		c->columns[i].type_text = xstrdup(t->columns[i].type_text);
		c->columns[i].type = cqltype_dup(t->columns[i].type);
	}
	c->partition_key = xmemdup(t->partition_key,
	    (t->npartition_key + 1) * sizeof *t->partition_key);
	c->clustering_key = xmemdup(t->clustering_key,
	    (t->nclustering_key + 1) * sizeof *t->clustering_key);
	schema_options_copy(&c->options, &t->options);
	c->indexes = xcalloc(t->nindexes + 1, sizeof *c->indexes);
	for (i = 0; i < t->nindexes; i++) {
		c->indexes[i].name = xstrdup(t->indexes[i].name);
		c->indexes[i].kind = schema_strdup(t->indexes[i].kind);
		schema_options_copy(&c->indexes[i].options,
		    &t->indexes[i].options);
	}
	c->triggers = xcalloc(t->ntriggers + 1, sizeof *c->triggers);
	for (i = 0; i < t->ntriggers; i++) {
		c->triggers[i].name = xstrdup(t->triggers[i].name);
		schema_options_copy(&c->triggers[i].options,
		    &t->triggers[i].options);
	}
	c->base_table = schema_strdup(t->base_table);
	c->where_clause = schema_strdup(t->where_clause);
	return (c);
}

static struct type_meta *
type_dup(const struct type_meta *t)
{
	struct type_meta	*c = xcalloc(1, sizeof *c);

	c->references = 1;
	c->keyspace = xstrdup(t->keyspace);
	c->name = xstrdup(t->name);
	c->nfields = t->nfields;
	c->field_names = schema_strv_dup(t->field_names, t->nfields);
	c->field_types = schema_strv_dup(t->field_types, t->nfields);
	c->type = cqltype_dup(t->type);
	return (c);
}

/* A keyspace sharing every child of k (each child gets a reference). */
static struct ks_meta *
ks_copy(const struct ks_meta *k)
{
	struct ks_meta	*c = xcalloc(1, sizeof *c);
	size_t		 i;

	c->references = 1;
	c->name = xstrdup(k->name);
	c->durable_writes = k->durable_writes;
	schema_options_copy(&c->replication, &k->replication);
	c->repl = k->repl == NULL ? NULL : token_repl_dup(k->repl);
#define COPY_CHILDREN(arr, n) do {					\
	c->n = k->n;							\
	c->arr = xcalloc(k->n + 1, sizeof *c->arr);			\
	for (i = 0; i < k->n; i++) {					\
		c->arr[i] = k->arr[i];					\
		schema_obj_ref(&c->arr[i]->references);			\
	}								\
} while (0)
	COPY_CHILDREN(tables, ntables);
	COPY_CHILDREN(views, nviews);
	COPY_CHILDREN(types, ntypes);
	COPY_CHILDREN(functions, nfunctions);
	COPY_CHILDREN(aggregates, naggregates);
#undef COPY_CHILDREN
	return (c);
}

/*
 * Pointer arrays sorted by a key: insert, remove, find.
 */

typedef const char *(*key_fn)(const void *);

static const char *
table_key(const void *p)
{
	return (((const struct table_meta *)p)->name);
}

static const char *
type_key(const void *p)
{
	return (((const struct type_meta *)p)->name);
}

static const char *
ks_key(const void *p)
{
	return (((const struct ks_meta *)p)->name);
}

/* Index of name in the sorted array, or where it would go (*found 0). */
static size_t
ptrs_find(void *const *arr, size_t n, key_fn key, const char *name,
    int *found)
{
	size_t	lo = 0, hi = n, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key(arr[mid]), name);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Remove (and return, reference and all) the entry of name, or NULL. */
static void *
ptrs_remove(void **arr, size_t *n, key_fn key, const char *name)
{
	size_t	 i;
	int	 found;
	void	*p;

	i = ptrs_find(arr, *n, key, name, &found);
	if (!found)
		return (NULL);
	p = arr[i];
	memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof *arr);
	(*n)--;
	return (p);
}

/* Insert p (whose reference the array takes), replacing an equal name. */
static void *
ptrs_insert(void ***arr, size_t *n, key_fn key, void *p)
{
	size_t	 i;
	int	 found;
	void	*old = NULL;

	i = ptrs_find(*arr, *n, key, key(p), &found);
	if (found) {
		old = (*arr)[i];
		(*arr)[i] = p;
		return (old);
	}
	*arr = xreallocarray(*arr, *n + 2, sizeof **arr);
	memmove(*arr + i + 1, *arr + i, (*n - i) * sizeof **arr);
	(*arr)[i] = p;
	(*n)++;
	return (NULL);
}

/*
 * Type text comparison: the same text, or the same parsed type (the
 * event's argument types and the rows' may differ in spacing).
 */
int
schema_type_text_eq(const char *a, const char *b)
{
	struct cqltype	*x, *y;
	int		 eq;

	if (strcmp(a, b) == 0)
		return (1);
	x = cqltype_parse(a, NULL);
	y = cqltype_parse(b, NULL);
	eq = x != NULL && y != NULL && cqltype_equal(x, y);
	cqltype_free(x);
	cqltype_free(y);
	return (eq);
}

static int
args_match(char *const *have, size_t nhave, const char *const *want,
    size_t nwant)
{
	size_t	i;

	if (want == NULL)
		return (1);
	if (nhave != nwant)
		return (0);
	for (i = 0; i < nhave; i++) {
		if (!schema_type_text_eq(have[i], want[i]))
			return (0);
	}
	return (1);
}

/*
 * Resolving user type references. Types are resolved once each (in
 * whatever order they reference each other); a reference expands to a
 * copy of the resolved tree. Cycles (impossible in Cassandra, possible
 * from a hostile peer), chains deeper than CQLTYPE_MAX_DEPTH and trees
 * larger than SCHEMA_MAX_TYPE_NODES stay unresolved references.
 */
struct resolver {
	const char		 *ks;
	struct type_meta	**types;
	size_t			  ntypes;
	struct cqltype		**done;
	size_t			 *nodes;
	uint8_t			 *state;	/* 0 new, 1 busy, 2 done */
};

static size_t
tree_nodes(const struct cqltype *t)
{
	size_t	i, n = 1;

	for (i = 0; i < t->n; i++)
		n += tree_nodes(t->sub[i]);
	return (n);
}

static const struct cqltype *resolve_type(struct resolver *, size_t, int);

static struct cqltype *
resolve_tree(struct resolver *rv, const struct cqltype *t, size_t *budget,
    int depth)
{
	struct cqltype		*c;
	const struct cqltype	*r;
	size_t			 i;
	int			 found;

	if (t->kind == CQLTYPE_UDT &&
	    (t->keyspace == NULL || strcmp(t->keyspace, rv->ks) == 0)) {
		i = ptrs_find((void *const *)rv->types, rv->ntypes, type_key,
		    t->name == NULL ? "" : t->name, &found);
		if (found && (r = resolve_type(rv, i, depth + 1)) != NULL &&
		    rv->nodes[i] <= *budget) {
			*budget -= rv->nodes[i];
			c = cqltype_dup(r);
		} else
			c = cqltype_new_udt(NULL, t->name);
		c->frozen = t->frozen;
		return (c);
	}
	c = xcalloc(1, sizeof *c);
	c->kind = t->kind;
	c->frozen = t->frozen;
	c->dimension = t->dimension;
	c->custom = schema_strdup(t->custom);
	c->keyspace = schema_strdup(t->keyspace);
	c->name = schema_strdup(t->name);
	if (*budget > 0)
		(*budget)--;
	for (i = 0; i < t->n; i++) {
		cqltype_add(c, t->fields == NULL ? NULL : t->fields[i],
		    resolve_tree(rv, t->sub[i], budget, depth));
	}
	return (c);
}

static const struct cqltype *
resolve_type(struct resolver *rv, size_t i, int depth)
{
	struct type_meta	*tm = rv->types[i];
	struct cqltype		*udt, *parsed;
	size_t			 j, budget = SCHEMA_MAX_TYPE_NODES;

	if (rv->state[i] == 2)
		return (rv->done[i]);
	if (rv->state[i] == 1 || depth > CQLTYPE_MAX_DEPTH)
		return (NULL);
	rv->state[i] = 1;
	udt = cqltype_new_udt(rv->ks, tm->name);
	for (j = 0; j < tm->nfields; j++) {
		if ((parsed = cqltype_parse(tm->field_types[j], NULL)) == NULL)
			parsed = cqltype_new_custom(tm->field_types[j]);
		cqltype_add(udt, tm->field_names[j],
		    resolve_tree(rv, parsed, &budget, depth));
		cqltype_free(parsed);
	}
	rv->state[i] = 2;
	rv->done[i] = udt;
	rv->nodes[i] = tree_nodes(udt);
	return (udt);
}

static void
resolver_init(struct resolver *rv, struct ks_meta *k)
{
	rv->ks = k->name;
	rv->types = k->types;
	rv->ntypes = k->ntypes;
	rv->done = xcalloc(k->ntypes + 1, sizeof *rv->done);
	rv->nodes = xcalloc(k->ntypes + 1, sizeof *rv->nodes);
	rv->state = xcalloc(k->ntypes + 1, 1);
}

static void
resolver_clear(struct resolver *rv)
{
	size_t	i;

	for (i = 0; i < rv->ntypes; i++)
		cqltype_free(rv->done[i]);
	free(rv->done);
	free(rv->nodes);
	free(rv->state);
}

/* Resolve a table's column types; copy the table first if it is shared. */
static struct table_meta *
table_resolve(struct resolver *rv, struct table_meta *t)
{
	struct cqltype	**nt;
	size_t		  i, budget;
	int		  same = 1;

	nt = xcalloc(t->ncolumns + 1, sizeof *nt);
	for (i = 0; i < t->ncolumns; i++) {
		budget = SCHEMA_MAX_TYPE_NODES;
		nt[i] = resolve_tree(rv, t->columns[i].type, &budget, 0);
		if (!cqltype_equal(nt[i], t->columns[i].type))
			same = 0;
	}
	if (!same && !obj_exclusive(&t->references)) {
		struct table_meta *c = table_dup(t);

		schema_table_unref(t);
		t = c;
	}
	for (i = 0; i < t->ncolumns; i++) {
		if (same)
			cqltype_free(nt[i]);
		else {
			cqltype_free(t->columns[i].type);
			t->columns[i].type = nt[i];
		}
	}
	free(nt);
	return (t);
}

/*
 * Bring every type and column of a keyspace (built, not yet published)
 * in line with its current types; shared children that change are copied.
 */
static void
ks_resolve(struct ks_meta *k)
{
	struct resolver		 rv;
	struct type_meta	*tm;
	size_t			 i;

	resolver_init(&rv, k);
	for (i = 0; i < k->ntypes; i++) {
		resolve_type(&rv, i, 0);
		tm = k->types[i];
		if (tm->type != NULL && rv.done[i] != NULL &&
		    cqltype_equal(tm->type, rv.done[i]))
			continue;
		if (!obj_exclusive(&tm->references)) {
			tm = type_dup(tm);
			schema_type_unref(k->types[i]);
			k->types[i] = tm;
			/* rv.types is k->types: the resolver sees the copy */
		}
		cqltype_free(tm->type);
		tm->type = rv.done[i] == NULL ?
		    cqltype_new_udt(k->name, tm->name) :
		    cqltype_dup(rv.done[i]);
	}
	for (i = 0; i < k->ntables; i++)
		k->tables[i] = table_resolve(&rv, k->tables[i]);
	for (i = 0; i < k->nviews; i++)
		k->views[i] = table_resolve(&rv, k->views[i]);
	resolver_clear(&rv);
}

/*
 * Assembling keyspaces from a load.
 */

/* Children of category cat for keyspace name, from the load. */
static void
ks_take_from_load(struct ks_meta *k, struct schema_load *l, unsigned int cat)
{
	size_t	lo, hi, i;
	void	*p;

	switch (cat) {
	case SCHEMA_SRC_TABLES:
	case SCHEMA_SRC_VIEWS:
		schema_load_range(l, cat, k->name, NULL, &lo, &hi);
		for (i = lo; i < hi; i++) {
			p = schema_load_build_table(l, cat, i);
			if (p == NULL)
				continue;
			if (cat == SCHEMA_SRC_TABLES)
				p = ptrs_insert((void ***)&k->tables,
				    &k->ntables, table_key, p);
			else
				p = ptrs_insert((void ***)&k->views,
				    &k->nviews, table_key, p);
			schema_table_unref(p);
		}
		break;
	case SCHEMA_SRC_TYPES:
		schema_load_range(l, cat, k->name, NULL, &lo, &hi);
		for (i = lo; i < hi; i++) {
			p = schema_load_take(l, cat, i);
			schema_type_unref(ptrs_insert((void ***)&k->types,
			    &k->ntypes, type_key, p));
		}
		break;
	case SCHEMA_SRC_FUNCTIONS:
		schema_load_range(l, cat, k->name, NULL, &lo, &hi);
		k->functions = xreallocarray(k->functions,
		    k->nfunctions + (hi - lo) + 1, sizeof *k->functions);
		for (i = lo; i < hi; i++)
			k->functions[k->nfunctions++] =
			    schema_load_take(l, cat, i);
		break;
	case SCHEMA_SRC_AGGREGATES:
		schema_load_range(l, cat, k->name, NULL, &lo, &hi);
		k->aggregates = xreallocarray(k->aggregates,
		    k->naggregates + (hi - lo) + 1, sizeof *k->aggregates);
		for (i = lo; i < hi; i++)
			k->aggregates[k->naggregates++] =
			    schema_load_take(l, cat, i);
		break;
	}
}

static int
function_cmp(const void *a, const void *b)
{
	const struct function_meta	*x = *(struct function_meta *const *)a;
	const struct function_meta	*y = *(struct function_meta *const *)b;

	return (strcmp(x->signature, y->signature));
}

static int
aggregate_cmp(const void *a, const void *b)
{
	const struct aggregate_meta	*x = *(struct aggregate_meta *const *)a;
	const struct aggregate_meta	*y = *(struct aggregate_meta *const *)b;

	return (strcmp(x->signature, y->signature));
}

/* Functions and aggregates: sorted by signature, duplicates dropped. */
static void
ks_sort_routines(struct ks_meta *k)
{
	size_t	i, o;

	qsort(k->functions, k->nfunctions, sizeof *k->functions,
	    function_cmp);
	for (i = o = 0; i < k->nfunctions; i++) {
		if (o > 0 && function_cmp(&k->functions[o - 1],
		    &k->functions[i]) == 0)
			schema_function_unref(k->functions[i]);
		else
			k->functions[o++] = k->functions[i];
	}
	k->nfunctions = o;
	qsort(k->aggregates, k->naggregates, sizeof *k->aggregates,
	    aggregate_cmp);
	for (i = o = 0; i < k->naggregates; i++) {
		if (o > 0 && aggregate_cmp(&k->aggregates[o - 1],
		    &k->aggregates[i]) == 0)
			schema_aggregate_unref(k->aggregates[i]);
		else
			k->aggregates[o++] = k->aggregates[i];
	}
	k->naggregates = o;
}

/* The categories of children, each named by its main source. */
static const unsigned int ks_categories[] = {
	SCHEMA_SRC_TABLES, SCHEMA_SRC_VIEWS, SCHEMA_SRC_TYPES,
	SCHEMA_SRC_FUNCTIONS, SCHEMA_SRC_AGGREGATES
};

/* Drop every child of one category. */
static void
ks_clear_category(struct ks_meta *k, unsigned int cat)
{
	size_t	i;

	switch (cat) {
	case SCHEMA_SRC_TABLES:
		for (i = 0; i < k->ntables; i++)
			schema_table_unref(k->tables[i]);
		k->ntables = 0;
		break;
	case SCHEMA_SRC_VIEWS:
		for (i = 0; i < k->nviews; i++)
			schema_table_unref(k->views[i]);
		k->nviews = 0;
		break;
	case SCHEMA_SRC_TYPES:
		for (i = 0; i < k->ntypes; i++)
			schema_type_unref(k->types[i]);
		k->ntypes = 0;
		break;
	case SCHEMA_SRC_FUNCTIONS:
		for (i = 0; i < k->nfunctions; i++)
			schema_function_unref(k->functions[i]);
		k->nfunctions = 0;
		break;
	case SCHEMA_SRC_AGGREGATES:
		for (i = 0; i < k->naggregates; i++)
			schema_aggregate_unref(k->aggregates[i]);
		k->naggregates = 0;
		break;
	}
}

/*
 * A keyspace with props's name and settings, children from the load for
 * every category loaded and from base (may be NULL) for the others.
 */
static struct ks_meta *
ks_assemble(struct schema_load *l, const struct ks_meta *props,
    const struct ks_meta *base)
{
	struct ks_meta	*k;
	size_t		 i;

	if (base != NULL) {
		k = ks_copy(base);
		k->durable_writes = props->durable_writes;
		schema_options_clear(&k->replication);
		schema_options_copy(&k->replication, &props->replication);
		token_repl_free(k->repl);
		k->repl = props->repl == NULL ? NULL :
		    token_repl_dup(props->repl);
	} else {
		k = ks_copy(props);
		for (i = 0; i < nitems(ks_categories); i++)
			ks_clear_category(k, ks_categories[i]);
	}
	for (i = 0; i < nitems(ks_categories); i++) {
		if (!schema_load_has(l, ks_categories[i]))
			continue;
		ks_clear_category(k, ks_categories[i]);
		ks_take_from_load(k, l, ks_categories[i]);
	}
	ks_sort_routines(k);
	ks_resolve(k);
	return (k);
}

/*
 * Snapshots.
 */

/* A snapshot sharing every keyspace of base (NULL: empty). */
static struct schema *
schema_copy(const struct schema *base)
{
	struct schema	*s = schema_new();
	size_t		 i;

	if (base == NULL)
		return (s);
	s->keyspaces = xcalloc(base->nkeyspaces + 1, sizeof *s->keyspaces);
	for (i = 0; i < base->nkeyspaces; i++) {
		s->keyspaces[i] = base->keyspaces[i];
		schema_obj_ref(&s->keyspaces[i]->references);
	}
	s->nkeyspaces = base->nkeyspaces;
	return (s);
}

/* Put k (its reference) in s, replacing the keyspace of the same name. */
static void
schema_put(struct schema *s, struct ks_meta *k)
{
	schema_ks_unref(ptrs_insert((void ***)&s->keyspaces, &s->nkeyspaces,
	    ks_key, k));
}

/* Everything from the load: nothing of the old snapshot can be trusted. */
static struct schema *
refresh_all(struct schema_load *l)
{
	struct schema	*s = schema_new();
	struct ks_meta	*props;
	size_t		 lo, hi, i;

	schema_load_range(l, SCHEMA_SRC_KEYSPACES, NULL, NULL, &lo, &hi);
	for (i = lo; i < hi; i++) {
		props = schema_load_get(l, SCHEMA_SRC_KEYSPACES, i);
		schema_put(s, ks_assemble(l, props, NULL));
	}
	return (s);
}

/* One keyspace; categories not in the load stay as they were. */
static struct schema *
refresh_keyspace(const struct schema *base, const char *name,
    struct schema_load *l, const char **cause)
{
	const struct ks_meta	*old = schema_keyspace(base, name);
	struct ks_meta		*props = NULL, *drop;
	struct schema		*s;
	size_t			 lo, hi;

	if (schema_load_has(l, SCHEMA_SRC_KEYSPACES)) {
		schema_load_range(l, SCHEMA_SRC_KEYSPACES, name, NULL,
		    &lo, &hi);
		if (lo == hi) {
			s = schema_copy(base);
			drop = ptrs_remove((void **)s->keyspaces,
			    &s->nkeyspaces, ks_key, name);
			schema_ks_unref(drop);
			return (s);
		}
		props = schema_load_get(l, SCHEMA_SRC_KEYSPACES, lo);
	} else if (old == NULL) {
		*cause = "keyspace unknown and its row not loaded";
		return (NULL);
	}
	s = schema_copy(base);
	schema_put(s, ks_assemble(l, props != NULL ? props : old, old));
	return (s);
}

/* A table or view: taken out, and put back if the load has it. */
static void
refresh_table(struct ks_meta *k, const char *name, struct schema_load *l)
{
	size_t	lo, hi;
	void	*p;

	if (schema_load_has(l, SCHEMA_SRC_TABLES)) {
		schema_table_unref(ptrs_remove((void **)k->tables, &k->ntables,
		    table_key, name));
		schema_load_range(l, SCHEMA_SRC_TABLES, k->name, name,
		    &lo, &hi);
		if (lo < hi && (p = schema_load_build_table(l,
		    SCHEMA_SRC_TABLES, lo)) != NULL)
			schema_table_unref(ptrs_insert((void ***)&k->tables,
			    &k->ntables, table_key, p));
	}
	if (schema_load_has(l, SCHEMA_SRC_VIEWS)) {
		schema_table_unref(ptrs_remove((void **)k->views, &k->nviews,
		    table_key, name));
		schema_load_range(l, SCHEMA_SRC_VIEWS, k->name, name,
		    &lo, &hi);
		if (lo < hi && (p = schema_load_build_table(l,
		    SCHEMA_SRC_VIEWS, lo)) != NULL)
			schema_table_unref(ptrs_insert((void ***)&k->views,
			    &k->nviews, table_key, p));
	}
}

/* Overloads of name matching args (all of them when args is NULL). */
static void
remove_routines(struct ks_meta *k, enum schema_target_kind kind,
    const char *name, const char *const *args, size_t nargs)
{
	size_t	i, o;

	if (kind == SCHEMA_TARGET_FUNCTION) {
		for (i = o = 0; i < k->nfunctions; i++) {
			struct function_meta *f = k->functions[i];

			if (strcmp(f->name, name) == 0 &&
			    args_match(f->arg_types, f->nargs, args, nargs))
				schema_function_unref(f);
			else
				k->functions[o++] = f;
		}
		k->nfunctions = o;
	} else {
		for (i = o = 0; i < k->naggregates; i++) {
			struct aggregate_meta *a = k->aggregates[i];

			if (strcmp(a->name, name) == 0 &&
			    args_match(a->arg_types, a->nargs, args, nargs))
				schema_aggregate_unref(a);
			else
				k->aggregates[o++] = a;
		}
		k->naggregates = o;
	}
}

/* Routines of the load that match the target, added to k. */
static void
add_routines(struct ks_meta *k, const struct schema_target *tg,
    struct schema_load *l)
{
	struct function_meta	*f;
	struct aggregate_meta	*a;
	enum schema_source	 src;
	size_t			 lo, hi, i;

	src = tg->kind == SCHEMA_TARGET_FUNCTION ? SCHEMA_SRC_FUNCTIONS :
	    SCHEMA_SRC_AGGREGATES;
	schema_load_range(l, src, k->name, tg->name, &lo, &hi);
	for (i = lo; i < hi; i++) {
		if (src == SCHEMA_SRC_FUNCTIONS) {
			f = schema_load_get(l, src, i);
			if (!args_match(f->arg_types, f->nargs, tg->args,
			    tg->nargs))
				continue;
			k->functions = xreallocarray(k->functions,
			    k->nfunctions + 2, sizeof *k->functions);
			k->functions[k->nfunctions++] =
			    schema_load_take(l, src, i);
		} else {
			a = schema_load_get(l, src, i);
			if (!args_match(a->arg_types, a->nargs, tg->args,
			    tg->nargs))
				continue;
			k->aggregates = xreallocarray(k->aggregates,
			    k->naggregates + 2, sizeof *k->aggregates);
			k->aggregates[k->naggregates++] =
			    schema_load_take(l, src, i);
		}
	}
}

static const unsigned int target_needs[] = {
	SCHEMA_SRC_BIT(SCHEMA_SRC_KEYSPACES),		/* ALL */
	0,						/* KEYSPACE */
	0,						/* TABLE */
	SCHEMA_SRC_BIT(SCHEMA_SRC_TYPES),		/* TYPE */
	SCHEMA_SRC_BIT(SCHEMA_SRC_FUNCTIONS),		/* FUNCTION */
	SCHEMA_SRC_BIT(SCHEMA_SRC_AGGREGATES)		/* AGGREGATE */
};

struct schema *
schema_refresh(const struct schema *base, const struct schema_target *tg,
    struct schema_load *l, const char **cause)
{
	const struct ks_meta	*old;
	struct ks_meta		*k;
	struct schema		*s;
	void			*p;
	size_t			 lo, hi;

	*cause = NULL;
	if ((unsigned int)tg->kind >= nitems(target_needs)) {
		*cause = "unknown target";
		return (NULL);
	}
	if ((schema_load_fed(l) & target_needs[tg->kind]) !=
	    target_needs[tg->kind]) {
		*cause = "the rows the target needs were not loaded";
		return (NULL);
	}
	if ((schema_load_has(l, SCHEMA_SRC_TABLES) ||
	    schema_load_has(l, SCHEMA_SRC_VIEWS)) &&
	    !schema_load_has(l, SCHEMA_SRC_COLUMNS)) {
		*cause = "tables loaded without their columns";
		return (NULL);
	}
	if (tg->kind == SCHEMA_TARGET_TABLE &&
	    !schema_load_has(l, SCHEMA_SRC_TABLES) &&
	    !schema_load_has(l, SCHEMA_SRC_VIEWS)) {
		*cause = "neither tables nor views loaded";
		return (NULL);
	}
	if (tg->kind != SCHEMA_TARGET_ALL && tg->keyspace == NULL) {
		*cause = "target without a keyspace";
		return (NULL);
	}
	if (tg->kind > SCHEMA_TARGET_KEYSPACE && tg->name == NULL) {
		*cause = "target without a name";
		return (NULL);
	}
	schema_load_sort(l);
	if (tg->kind == SCHEMA_TARGET_ALL)
		return (refresh_all(l));
	if (tg->kind == SCHEMA_TARGET_KEYSPACE)
		return (refresh_keyspace(base, tg->keyspace, l, cause));

	if ((old = schema_keyspace(base, tg->keyspace)) == NULL) {
		*cause = "keyspace unknown: refresh the keyspace";
		return (NULL);
	}
	k = ks_copy(old);
	switch (tg->kind) {
	case SCHEMA_TARGET_TABLE:
		refresh_table(k, tg->name, l);
		break;
	case SCHEMA_TARGET_TYPE:
		schema_type_unref(ptrs_remove((void **)k->types, &k->ntypes,
		    type_key, tg->name));
		schema_load_range(l, SCHEMA_SRC_TYPES, k->name, tg->name,
		    &lo, &hi);
		if (lo < hi) {
			p = schema_load_take(l, SCHEMA_SRC_TYPES, lo);
			schema_type_unref(ptrs_insert((void ***)&k->types,
			    &k->ntypes, type_key, p));
		}
		break;
	default:
		remove_routines(k, tg->kind, tg->name, tg->args, tg->nargs);
		add_routines(k, tg, l);
		ks_sort_routines(k);
		break;
	}
	ks_resolve(k);
	s = schema_copy(base);
	schema_put(s, k);
	return (s);
}

struct schema *
schema_drop(const struct schema *base, const struct schema_target *tg)
{
	const struct ks_meta	*old;
	struct ks_meta		*k;
	struct schema		*s;

	if (tg->kind == SCHEMA_TARGET_ALL)
		return (schema_new());
	if (tg->keyspace == NULL || (old = schema_keyspace(base,
	    tg->keyspace)) == NULL)
		return (base == NULL ? schema_new() : schema_ref(base));
	s = schema_copy(base);
	if (tg->kind == SCHEMA_TARGET_KEYSPACE) {
		schema_ks_unref(ptrs_remove((void **)s->keyspaces,
		    &s->nkeyspaces, ks_key, tg->keyspace));
		return (s);
	}
	if (tg->name == NULL)
		return (s);
	k = ks_copy(old);
	switch (tg->kind) {
	case SCHEMA_TARGET_TABLE:
		schema_table_unref(ptrs_remove((void **)k->tables, &k->ntables,
		    table_key, tg->name));
		schema_table_unref(ptrs_remove((void **)k->views, &k->nviews,
		    table_key, tg->name));
		break;
	case SCHEMA_TARGET_TYPE:
		schema_type_unref(ptrs_remove((void **)k->types, &k->ntypes,
		    type_key, tg->name));
		break;
	case SCHEMA_TARGET_FUNCTION:
	case SCHEMA_TARGET_AGGREGATE:
		remove_routines(k, tg->kind, tg->name, tg->args, tg->nargs);
		break;
	default:
		break;
	}
	ks_resolve(k);
	schema_put(s, k);
	return (s);
}

static const struct {
	const char		*name;
	enum schema_target_kind	 kind;
} event_targets[] = {
	{ "KEYSPACE", SCHEMA_TARGET_KEYSPACE },
	{ "TABLE", SCHEMA_TARGET_TABLE },
	{ "TYPE", SCHEMA_TARGET_TYPE },
	{ "FUNCTION", SCHEMA_TARGET_FUNCTION },
	{ "AGGREGATE", SCHEMA_TARGET_AGGREGATE }
};

int
schema_target_from_event(struct schema_target *tg,
    const struct schema_change *ev)
{
	char	**args;
	size_t	  i;
	int	  dropped;

	memset(tg, 0, sizeof *tg);
	if (slice_eq(ev->change, "DROPPED"))
		dropped = 1;
	else if (slice_eq(ev->change, "CREATED") ||
	    slice_eq(ev->change, "UPDATED"))
		dropped = 0;
	else
		return (-1);
	for (i = 0; i < nitems(event_targets); i++) {
		if (slice_eq(ev->target, event_targets[i].name))
			break;
	}
	if (i == nitems(event_targets) || ev->keyspace.n == 0 ||
	    memchr(ev->keyspace.p, '\0', ev->keyspace.n) != NULL ||
	    (ev->name.n > 0 && memchr(ev->name.p, '\0', ev->name.n) != NULL))
		return (-1);
	tg->kind = event_targets[i].kind;
	tg->keyspace = slice_dup(ev->keyspace);
	if (tg->kind != SCHEMA_TARGET_KEYSPACE)
		tg->name = slice_dup(ev->name);
	if (tg->kind == SCHEMA_TARGET_FUNCTION ||
	    tg->kind == SCHEMA_TARGET_AGGREGATE) {
		if (ev->args.n > SCHEMA_MAX_ARGS) {
			schema_target_clear(tg);
			return (-1);
		}
		args = xcalloc(ev->args.n + 1, sizeof *args);
		for (i = 0; i < ev->args.n; i++)
			args[i] = slice_dup(ev->args.e[i]);
		tg->args = (const char *const *)args;
		tg->nargs = ev->args.n;
	}
	return (dropped);
}

void
schema_target_clear(struct schema_target *tg)
{
	size_t	i;

	free((char *)(uintptr_t)tg->keyspace);
	free((char *)(uintptr_t)tg->name);
	if (tg->args != NULL) {
		for (i = 0; i < tg->nargs; i++)
			free((char *)(uintptr_t)tg->args[i]);
		free((void *)(uintptr_t)tg->args);
	}
	memset(tg, 0, sizeof *tg);
}

/*
 * Lookups.
 */

const struct ks_meta *
schema_keyspace(const struct schema *s, const char *name)
{
	size_t	i;
	int	found;

	if (s == NULL || name == NULL)
		return (NULL);
	i = ptrs_find((void *const *)s->keyspaces, s->nkeyspaces, ks_key,
	    name, &found);
	return (found ? s->keyspaces[i] : NULL);
}

const struct table_meta *
ks_meta_table(const struct ks_meta *k, const char *name)
{
	size_t	i;
	int	found;

	if (k == NULL || name == NULL)
		return (NULL);
	i = ptrs_find((void *const *)k->tables, k->ntables, table_key, name,
	    &found);
	return (found ? k->tables[i] : NULL);
}

const struct table_meta *
ks_meta_view(const struct ks_meta *k, const char *name)
{
	size_t	i;
	int	found;

	if (k == NULL || name == NULL)
		return (NULL);
	i = ptrs_find((void *const *)k->views, k->nviews, table_key, name,
	    &found);
	return (found ? k->views[i] : NULL);
}

const struct table_meta *
schema_table(const struct schema *s, const char *ks, const char *name)
{
	const struct ks_meta	*k = schema_keyspace(s, ks);
	const struct table_meta	*t;

	if ((t = ks_meta_table(k, name)) == NULL)
		t = ks_meta_view(k, name);
	return (t);
}

const struct type_meta *
ks_meta_type(const struct ks_meta *k, const char *name)
{
	size_t	i;
	int	found;

	if (k == NULL || name == NULL)
		return (NULL);
	i = ptrs_find((void *const *)k->types, k->ntypes, type_key, name,
	    &found);
	return (found ? k->types[i] : NULL);
}

const struct function_meta *
ks_meta_function(const struct ks_meta *k, const char *name,
    const char *const *args, size_t nargs)
{
	size_t	i;

	if (k == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < k->nfunctions; i++) {
		if (strcmp(k->functions[i]->name, name) == 0 &&
		    args_match(k->functions[i]->arg_types,
		    k->functions[i]->nargs, args, nargs))
			return (k->functions[i]);
	}
	return (NULL);
}

const struct aggregate_meta *
ks_meta_aggregate(const struct ks_meta *k, const char *name,
    const char *const *args, size_t nargs)
{
	size_t	i;

	if (k == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < k->naggregates; i++) {
		if (strcmp(k->aggregates[i]->name, name) == 0 &&
		    args_match(k->aggregates[i]->arg_types,
		    k->aggregates[i]->nargs, args, nargs))
			return (k->aggregates[i]);
	}
	return (NULL);
}

const struct column_meta *
table_meta_column(const struct table_meta *t, const char *name)
{
	size_t	i;

	if (t == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < t->ncolumns; i++) {
		if (strcmp(t->columns[i].name, name) == 0)
			return (&t->columns[i]);
	}
	return (NULL);
}

const struct index_meta *
table_meta_index(const struct table_meta *t, const char *name)
{
	size_t	i;

	if (t == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < t->nindexes; i++) {
		if (strcmp(t->indexes[i].name, name) == 0)
			return (&t->indexes[i]);
	}
	return (NULL);
}

const char *
schema_option_get(const struct schema_options *o, const char *name)
{
	size_t	lo = 0, hi = o->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(o->e[mid].name, name);
		if (c == 0)
			return (o->e[mid].value);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

int
schema_table_routing(const struct table_meta *t, const struct col_spec *cols,
    size_t ncols, uint16_t *out, size_t outlen)
{
	const char	*name;
	size_t		 i, j;

	if (t == NULL || !t->complete || t->npartition_key > outlen)
		return (-1);
	for (i = 0; i < t->npartition_key; i++) {
		if (cols == NULL) {
			if (t->partition_key[i] > UINT16_MAX)
				return (-1);
			out[i] = (uint16_t)t->partition_key[i];
			continue;
		}
		name = t->columns[t->partition_key[i]].name;
		for (j = 0; j < ncols && j <= UINT16_MAX; j++) {
			if ((cols[j].table.n == 0 ||
			    slice_eq(cols[j].table, t->name)) &&
			    (cols[j].keyspace.n == 0 ||
			    slice_eq(cols[j].keyspace, t->keyspace)) &&
			    slice_eq(cols[j].name, name))
				break;
		}
		if (j == ncols || j > UINT16_MAX)
			return (-1);
		out[i] = (uint16_t)j;
	}
	return ((int)t->npartition_key);
}

int
schema_versions_agree(const struct schema_host_version *v, size_t n,
    uint8_t agreed[16], size_t *ndistinct)
{
	const uint8_t	*first = NULL;
	size_t		 i, j, distinct = 0;

	for (i = 0; i < n; i++) {
		if (!v[i].up || v[i].version == NULL)
			continue;
		for (j = 0; j < i; j++) {
			if (v[j].up && v[j].version != NULL &&
			    memcmp(v[j].version, v[i].version, 16) == 0)
				break;
		}
		if (j == i) {
			distinct++;
			if (first == NULL)
				first = v[i].version;
		}
	}
	if (ndistinct != NULL)
		*ndistinct = distinct;
	if (distinct != 1)
		return (0);
	if (agreed != NULL)
		memcpy(agreed, first, 16);
	return (1);
}
