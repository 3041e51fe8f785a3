/*
 * schema.h: the cluster's schema metadata (keyspaces, tables and their
 * columns, user types, functions, aggregates, materialized views, indexes,
 * triggers) as Cassandra 3.0+ keeps it in system_schema, built from the
 * decoded RESULT Rows of
 *	SELECT * FROM system_schema.keyspaces|tables|columns|types|functions|
 *	    aggregates|indexes|views|triggers
 * No I/O happens here: the control connection runs the queries.
 *
 * Snapshots. A struct schema is immutable once built and reference
 * counted; every change (a full load, a targeted refresh, a drop) makes a
 * NEW snapshot that shares the keyspaces, tables, types, functions and
 * aggregates it did not change (each of those is reference counted and
 * immutable too). The core keeps one current pointer and swaps it; a
 * request that holds a snapshot (schema_ref) or one table
 * (table_meta_ref) keeps reading it safely while refreshes land. Reference
 * counts are atomic, so snapshots may be shared between threads; building
 * is done by one thread at a time per load.
 *
 * Loading (at start: target ALL; on a SCHEMA_CHANGE event:
 * schema_target_from_event, then schema_drop or the target's queries):
 *	struct schema_load *l = schema_load_new();
 *	for each source in schema_target_sources(target.kind):
 *		run schema_source_query(source, target.kind) (bind keyspace,
 *		    name) and for each page of rows:
 *		schema_load_rows(l, source, &rows);  (no rows still counts)
 *	next = schema_refresh(cur, &target, l, &cause);
 *	schema_load_free(l);
 *	if next is NULL: log cause, refresh ALL; else swap cur for next and
 *	    schema_free the old one.
 * Columns are located by name in the rows metadata (extra columns are kept
 * as options, missing optional ones are left empty); each cell is decoded
 * strictly with cqlval_decode. A row that cannot be used (wrong cell
 * type, truncated bytes, a missing name) is skipped and the reason logged
 * and counted; nothing read from a peer can crash the loader.
 *
 * Text is NUL-terminated UTF-8 as the server sent it (names are never
 * quoted). Struct bodies are public for reading; never write through them.
 */
#ifndef CQLP_SCHEMA_H
#define CQLP_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

struct cqltype;
struct col_spec;
struct result_rows;
struct schema_change;
struct token_repl;

/* Caps on what a peer can make us build. */
#define SCHEMA_MAX_COLUMNS	65535	/* per table */
#define SCHEMA_MAX_ARGS		1024	/* function and aggregate arguments */
#define SCHEMA_MAX_ENTRIES	4096	/* entries of one options map */
#define SCHEMA_MAX_TYPE_NODES	65536	/* nodes of one resolved type */

/* The system_schema tables the loader reads. */
enum schema_source {
	SCHEMA_SRC_KEYSPACES = 0,
	SCHEMA_SRC_TABLES,
	SCHEMA_SRC_COLUMNS,
	SCHEMA_SRC_TYPES,
	SCHEMA_SRC_FUNCTIONS,
	SCHEMA_SRC_AGGREGATES,
	SCHEMA_SRC_INDEXES,
	SCHEMA_SRC_VIEWS,
	SCHEMA_SRC_TRIGGERS
};
#define SCHEMA_NSOURCES		9
#define SCHEMA_SRC_BIT(s)	(1U << (s))
#define SCHEMA_SRC_ALL		((1U << SCHEMA_NSOURCES) - 1)

/* What a refresh or drop applies to (a SCHEMA_CHANGE event's target). */
enum schema_target_kind {
	SCHEMA_TARGET_ALL = 0,
	SCHEMA_TARGET_KEYSPACE,
	SCHEMA_TARGET_TABLE,		/* a table or a materialized view */
	SCHEMA_TARGET_TYPE,
	SCHEMA_TARGET_FUNCTION,
	SCHEMA_TARGET_AGGREGATE
};
struct schema_target {
	enum schema_target_kind	 kind;
	const char		*keyspace;	/* all but ALL */
	const char		*name;		/* TABLE, TYPE, FUNCTION, AGGREGATE */
	/* FUNCTION/AGGREGATE: argument types as CQL text; args NULL means
	   every overload of the name. */
	const char *const	*args;
	size_t			 nargs;
};

enum column_kind {
	COLUMN_PARTITION_KEY = 0,
	COLUMN_CLUSTERING,
	COLUMN_STATIC,
	COLUMN_REGULAR
};
enum clustering_order {
	ORDER_NONE = 0,
	ORDER_ASC,
	ORDER_DESC
};

/*
 * Name/value text pairs, sorted by name. Non-text values are written as
 * CQL literals would: numbers and booleans bare, doubles as Java prints
 * them, uuids, blobs 0x..., collections {'k': 'v'}, {'a'}, ['a'].
 */
struct schema_option {
	char		*name;
	char		*value;		/* NULL when the cell was null */
};
struct schema_options {
	size_t			 n;
	struct schema_option	*e;
};

struct column_meta {
	char			*name;
	enum column_kind	 kind;
	int			 position;	/* -1 for static and regular */
	enum clustering_order	 order;		/* clustering columns only */
	char			*type_text;	/* as system_schema gives it */
	/* Parsed; references to the keyspace's user types are resolved
	   (kind UDT with fields) where the type is known. */
	struct cqltype		*type;
};

struct index_meta {
	char			*name;
	char			*kind;		/* KEYS, COMPOSITES, CUSTOM */
	struct schema_options	 options;	/* target, class_name, ... */
};

struct trigger_meta {
	char			*name;
	struct schema_options	 options;	/* class */
};

/* A table or (is_view) a materialized view. */
struct table_meta {
	unsigned int		 references;
	char			*keyspace;
	char			*name;
	uint8_t			 id[16];
	int			 has_id;
	/*
	 * Columns: partition key columns by position, clustering columns by
	 * position, then static and regular ones by name.
	 */
	struct column_meta	*columns;
	size_t			 ncolumns;
	size_t			*partition_key;	/* indexes into columns */
	size_t			 npartition_key;
	size_t			*clustering_key;
	size_t			 nclustering_key;
	/* Key positions are 0..n-1 without gaps (else no routing). */
	int			 complete;
	/* Every other column of the tables/views row, as text. */
	struct schema_options	 options;
	struct index_meta	*indexes;	/* by name */
	size_t			 nindexes;
	struct trigger_meta	*triggers;	/* by name */
	size_t			 ntriggers;

	int			 is_view;
	char			*base_table;	/* views */
	uint8_t			 base_table_id[16];
	int			 has_base_table_id;
	char			*where_clause;	/* views */
	int			 include_all_columns;	/* views */
};

struct type_meta {
	unsigned int		 references;
	char			*keyspace;
	char			*name;
	size_t			 nfields;
	char			**field_names;
	char			**field_types;	/* CQL text */
	/* kind UDT with keyspace, name and resolved field types. */
	struct cqltype		*type;
};

struct function_meta {
	unsigned int		 references;
	char			*keyspace;
	char			*name;
	size_t			 nargs;
	char			**arg_names;
	char			**arg_types;	/* CQL text */
	char			*signature;	/* "name(int,text)" */
	char			*return_type;
	char			*language;
	char			*body;
	int			 called_on_null_input;
};

struct aggregate_meta {
	unsigned int		 references;
	char			*keyspace;
	char			*name;
	size_t			 nargs;
	char			**arg_types;
	char			*signature;
	char			*state_func;
	char			*state_type;
	char			*final_func;	/* NULL when none */
	char			*initcond;	/* NULL when none */
	char			*return_type;
};

struct ks_meta {
	unsigned int		 references;
	char			*name;
	int			 durable_writes;
	/* The replication map as given, and parsed (NULL if malformed). */
	struct schema_options	 replication;
	struct token_repl	*repl;
	/* Each array sorted by name (functions, aggregates by signature). */
	struct table_meta	**tables;
	size_t			 ntables;
	struct table_meta	**views;
	size_t			 nviews;
	struct type_meta	**types;
	size_t			 ntypes;
	struct function_meta	**functions;
	size_t			 nfunctions;
	struct aggregate_meta	**aggregates;
	size_t			 naggregates;
};

struct schema {
	unsigned int		 references;
	struct ks_meta		**keyspaces;	/* sorted by name */
	size_t			 nkeyspaces;
};

/* An empty snapshot (one reference). */
struct schema	*schema_new(void);
/* Take another reference; schema_free drops one and frees at zero. */
struct schema	*schema_ref(const struct schema *);
void		 schema_free(struct schema *);
/* Hold one table (or view) independently of its snapshot. */
const struct table_meta *table_meta_ref(const struct table_meta *);
void		 table_meta_unref(const struct table_meta *);

/* Rows gathered for one refresh. */
struct schema_load;
struct schema_load *schema_load_new(void);
void		 schema_load_free(struct schema_load *);
/*
 * Add one page of rows of a source. Returns the number of rows taken, or
 * -1 when the result cannot be read at all (no metadata, a required
 * column missing or of the wrong type); the source then counts as not
 * queried.
 */
int		 schema_load_rows(struct schema_load *, enum schema_source,
		    const struct result_rows *);
/* Rows skipped so far, and the reason for the last one (NULL if none). */
size_t		 schema_load_skipped(const struct schema_load *);
const char	*schema_load_last_error(const struct schema_load *);

/*
 * A new snapshot: base (NULL as empty) with the target replaced by what
 * the load holds.
 *   ALL	every keyspace from the load (base is not consulted).
 *   KEYSPACE	the keyspace row (none: the keyspace is dropped); each of
 *		tables+columns+indexes+triggers, views, types, functions,
 *		aggregates from the load if that source was loaded, else
 *		kept from base (so an ALTER KEYSPACE needs only keyspaces).
 *   TABLE	the table or view of that name (none: it is dropped).
 *   TYPE	the user type (none: dropped); columns and types using it
 *		are re-resolved.
 *   FUNCTION, AGGREGATE  the overloads of that name matching args (all
 *		of them if args is NULL).
 * Rows outside the target are ignored. NULL with *cause set (static
 * text) when the target's keyspace is unknown to base (refresh the
 * keyspace instead), the target lacks a keyspace or name, or the load
 * misses what it needs: keyspaces for ALL, tables or views for TABLE,
 * types/functions/aggregates for those targets, and columns whenever
 * tables or views were loaded.
 */
struct schema	*schema_refresh(const struct schema *,
		    const struct schema_target *, struct schema_load *,
		    const char **cause);
/* A new snapshot without the target (dropping what is absent is a no-op). */
struct schema	*schema_drop(const struct schema *,
		    const struct schema_target *);

/*
 * The target of a SCHEMA_CHANGE event (RESULT or EVENT), with copied
 * strings that schema_target_clear frees. Returns 1 if the change is a
 * DROPPED one (apply with schema_drop), 0 for CREATED/UPDATED (run the
 * target's queries, then schema_refresh), -1 for a target or change we
 * do not know (refresh everything).
 */
int		 schema_target_from_event(struct schema_target *,
		    const struct schema_change *);
void		 schema_target_clear(struct schema_target *);

/*
 * The queries to run for a target: schema_target_sources gives the
 * sources (a SCHEMA_SRC_BIT mask), schema_source_query the statement for
 * one of them, whose bind markers take the target's keyspace then name
 * (NULL when the source has no use for that target kind).
 */
unsigned int	 schema_target_sources(enum schema_target_kind);
const char	*schema_source_query(enum schema_source,
		    enum schema_target_kind);
/* "keyspaces", "tables", ...; and back (-1 for unknown names). */
const char	*schema_source_name(enum schema_source);
int		 schema_source_from_name(const char *);
const char	*schema_column_kind_name(enum column_kind);
const char	*schema_order_name(enum clustering_order);

/* Lookups (NULL when absent). */
const struct ks_meta *schema_keyspace(const struct schema *, const char *);
/* A table, else a view of that name. */
const struct table_meta *schema_table(const struct schema *, const char *ks,
		    const char *name);
const struct table_meta *ks_meta_table(const struct ks_meta *, const char *);
const struct table_meta *ks_meta_view(const struct ks_meta *, const char *);
const struct type_meta *ks_meta_type(const struct ks_meta *, const char *);
/* args NULL: the first overload of the name. */
const struct function_meta *ks_meta_function(const struct ks_meta *,
		    const char *, const char *const *args, size_t nargs);
const struct aggregate_meta *ks_meta_aggregate(const struct ks_meta *,
		    const char *, const char *const *args, size_t nargs);
const struct column_meta *table_meta_column(const struct table_meta *,
		    const char *);
const struct index_meta *table_meta_index(const struct table_meta *,
		    const char *);
/* The value of an option (NULL when absent or null). */
const char	*schema_option_get(const struct schema_options *,
		    const char *);

/*
 * Routing: the partition key columns in position order. With cols (bind
 * variables or result columns, ncols of them), out[i] is the index in
 * cols of partition key column i; without (cols NULL), out[i] is its
 * index in the table's columns. Returns the number of partition key
 * columns, or -1 when the table's key is incomplete, a key column is not
 * among cols, or outlen is too small.
 */
int		 schema_table_routing(const struct table_meta *,
		    const struct col_spec *cols, size_t ncols, uint16_t *out,
		    size_t outlen);

/*
 * Schema agreement: every host that is up and reported a version holds
 * the same one. Returns 1 when they agree (agreed, if not NULL, gets the
 * version), 0 when they do not or no host reported one; *ndistinct (if
 * not NULL) gets the number of different versions seen.
 */
struct schema_host_version {
	const void	*host;		/* caller's handle */
	const uint8_t	*version;	/* 16 bytes; NULL when unknown */
	int		 up;
};
int		 schema_versions_agree(const struct schema_host_version *,
		    size_t, uint8_t agreed[16], size_t *ndistinct);

#endif
