/*
 * engine.h: internals of cqlmock's CQL engine shared by its files (one
 * banner per file). Nothing outside tests/mock/engine includes this.
 */
#ifndef CQLMOCK_ENGINE_H
#define CQLMOCK_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cqltype.h"
#include "db.h"

#define ENGINE_MAX_DEPTH	32	/* nesting of terms in a statement */
#define ENGINE_MAX_TOKENS	65536	/* tokens in a statement */
#define ENGINE_MAX_IN		1024	/* values of one IN (or their product) */
#define ENGINE_MAX_CELL		(64U * 1024 * 1024)
#define ENGINE_MAX_PREPARED	4096
#define ENGINE_MAX_TTL		630720000	/* 20 years, as Cassandra */

/* arena.c: statements are allocated in one arena and freed at once. */
struct arena;
struct arena	*arena_new(void);
void		 arena_free(struct arena *);
void		*arena_alloc(struct arena *, size_t);	/* zeroed */
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);
/* Grow an array of elements of size sz kept in the arena by one slot. */
void		*arena_push(struct arena *, void *, size_t *n, size_t sz);

/* lexer.c */
enum tok_type {
	TK_EOF = 0,
	TK_IDENT,		/* unquoted: text folded to lower case */
	TK_QIDENT,		/* "quoted": text as written */
	TK_STRING,		/* '...' or $$...$$, unescaped */
	TK_INTEGER,
	TK_FLOAT,		/* also NaN, Infinity */
	TK_HEX,			/* 0x...: text is the whole "0x..." */
	TK_UUID,
	TK_DURATION,
	TK_PUNCT,		/* text: "(", "<=", "?", ... */
};
struct token {
	enum tok_type	 type;
	char		*text;
	size_t		 tlen;		/* strings may hold NUL bytes */
	size_t		 off;		/* in the statement */
	size_t		 len;
};
struct tokens {
	struct token	*v;
	size_t		 n;
};
/* 0 or -1 with *err set (an xmalloc'd SyntaxError message). */
int		 lex_run(struct arena *, const char *, struct tokens *,
		     char **err);

/* parser.c: the statement tree. */
enum term_kind {
	TERM_CONST = 0,
	TERM_NULL,
	TERM_BIND,
	TERM_LIST,		/* [..] */
	TERM_SET,		/* {a, b} */
	TERM_MAP,		/* {k: v} */
	TERM_EMPTY_BRACES,	/* {}: empty set or map */
	TERM_TUPLE,		/* (a, b) */
	TERM_UDT,		/* {f: v} */
	TERM_FUNC,		/* name(args) */
	TERM_CAST		/* (type) term */
};
enum const_kind {
	CONST_STRING = 0,
	CONST_INTEGER,
	CONST_FLOAT,
	CONST_BOOLEAN,
	CONST_HEX,
	CONST_UUID,
	CONST_DURATION
};
struct term {
	enum term_kind	 kind;
	enum const_kind	 ck;
	char		*text;		/* constant text, function/cast name */
	size_t		 len;		/* string constants: length (NULs) */
	int		 bind;		/* TERM_BIND: index of the marker */
	size_t		 n;
	struct term	**a;		/* elements, map keys, arguments */
	struct term	**b;		/* map values */
	char		**names;	/* UDT field names */
	size_t		 off;
};

enum sel_kind {
	SEL_COLUMN = 0,
	SEL_COUNT,		/* count(*), count(1) or count(col) */
	SEL_TOKEN,
	SEL_WRITETIME,
	SEL_TTL,
	SEL_AGG,		/* min, max, sum, avg of a column */
	SEL_FUNC,		/* scalar function of columns/terms */
	SEL_TERM		/* a constant */
};
struct selector {
	enum sel_kind	 kind;
	char		*col;
	char		*fname;
	char		*alias;
	struct selector	**args;
	size_t		 nargs;
	struct term	*term;
};

enum rel_op {
	OP_EQ = 0,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_NE,
	OP_IN,
	OP_CONTAINS,
	OP_CONTAINS_KEY,
	OP_LIKE,
	OP_IS_NOT_NULL
};
enum rel_lhs {
	LHS_COLUMN = 0,
	LHS_TOKEN,		/* token(a, b) */
	LHS_TUPLE,		/* (c1, c2) */
	LHS_ELEMENT		/* m[k] (conditions) */
};
struct relation {
	enum rel_lhs	 lhs;
	char		**cols;
	size_t		 ncols;
	struct term	*elem;
	enum rel_op	 op;
	struct term	*rhs;		/* IN (..): TERM_LIST; IN ?: TERM_BIND */
	int		 in_list;	/* IN with a literal list of terms */
};

enum assign_kind {
	ASSIGN_SET = 0,		/* c = t */
	ASSIGN_ADD,		/* c = c + t, c += t */
	ASSIGN_PREPEND,		/* c = t + c */
	ASSIGN_SUB,		/* c = c - t, c -= t */
	ASSIGN_ELEMENT,		/* c[k] = t */
	ASSIGN_FIELD		/* c.f = t */
};
struct assign {
	enum assign_kind kind;
	char		*col;
	char		*field;
	struct term	*key;
	struct term	*val;
};

struct deletion {
	char		*col;
	struct term	*elem;		/* m[k], l[i] */
	char		*field;
};

struct coldef {
	char		*name;
	char		*type;		/* CQL type text */
	int		 is_static;
	int		 pk;		/* "c int PRIMARY KEY" */
};

struct prop {
	char		*name;
	struct term	*val;		/* constant or map */
};

enum stmt_kind {
	STMT_SELECT = 0,
	STMT_INSERT,
	STMT_UPDATE,
	STMT_DELETE,
	STMT_BATCH,
	STMT_USE,
	STMT_CREATE_KEYSPACE,
	STMT_ALTER_KEYSPACE,
	STMT_DROP_KEYSPACE,
	STMT_CREATE_TABLE,
	STMT_ALTER_TABLE,
	STMT_DROP_TABLE,
	STMT_TRUNCATE,
	STMT_CREATE_TYPE,
	STMT_DROP_TYPE,
	STMT_CREATE_INDEX,
	STMT_DROP_INDEX
};

enum alter_kind {
	ALTER_ADD = 0,
	ALTER_DROP,
	ALTER_WITH,
	ALTER_RENAME
};

struct bindvar {
	char		*name;		/* NULL for "?" */
	/* Set when the statement is bound to the schema. */
	const char	*ks;
	const char	*table;
	char		*recv;		/* receiver name: column, "[limit]"... */
	struct cqltype	*type;		/* owned */
};

struct stmt {
	enum stmt_kind	 kind;
	struct arena	*arena;
	char		*ks;		/* qualifier if given */
	char		*name;		/* table, keyspace, type or index */
	int		 if_not_exists;
	int		 if_exists;

	/* SELECT */
	int		 distinct;
	int		 json;
	int		 star;
	struct selector	**sels;
	size_t		 nsels;
	struct relation	**where;
	size_t		 nwhere;
	char		**order_cols;
	int		*order_desc;
	size_t		 norder;
	struct term	*limit;
	struct term	*pplimit;
	int		 allow_filtering;

	/* INSERT (json: vals[0] is the JSON text) */
	char		**cols;
	struct term	**vals;
	size_t		 ncols;
	struct term	*ttl;
	struct term	*timestamp;
	int		 insert_json;
	int		 json_default_unset;

	/* UPDATE */
	struct assign	**assigns;
	size_t		 nassigns;
	struct relation	**conds;	/* IF conditions */
	size_t		 nconds;

	/* DELETE */
	struct deletion	*dels;
	size_t		 ndels;

	/* BATCH */
	enum db_batch_type batch_type;
	struct stmt	**stmts;
	size_t		 nstmts;

	/* CREATE TABLE / TYPE / ALTER TABLE */
	struct coldef	*defs;
	size_t		 ndefs;
	char		**pk;
	size_t		 npk;
	char		**ck;
	size_t		 nck;
	struct prop	*props;
	size_t		 nprops;
	char		**corder_cols;
	int		*corder_desc;
	size_t		 ncorder;
	int		 compact_storage;
	enum alter_kind	 alter;
	char		*rename_to;

	/* CREATE INDEX (name: index name, table in idx_table) */
	char		*idx_table;
	char		*idx_col;
	char		*idx_target;	/* "keys", "values", "entries", "full" */
	char		*idx_class;	/* CUSTOM ... USING 'class' */

	/* bind markers, in order of appearance (shared by a batch) */
	struct bindvar	*binds;
	size_t		 nbinds;
	struct stmt	*parent;	/* a batch: markers live there */
};

/* Parse one statement (an optional ';' may end it); NULL and *err set. */
struct stmt	*parse_statement(const char *, char **err);
/* The same for text that may hold NUL bytes inside string literals. */
struct stmt	*parse_statement_n(const char *, size_t, char **err);
void		 stmt_free(struct stmt *);

/* Storage: db.c */
enum col_kind {
	COL_PARTITION = 0,
	COL_CLUSTERING,
	COL_STATIC,
	COL_REGULAR
};
struct column {
	char		*name;
	struct cqltype	*type;
	enum col_kind	 kind;
	int		 position;	/* in the partition/clustering key, else -1 */
	int		 desc;		/* clustering order */
	size_t		 slot;		/* index into cells, never reused */
};

struct cell {
	uint8_t		*p;
	size_t		 n;
	int		 live;		/* present (value set) */
	int64_t		 ts;		/* write time, us */
	int64_t		 expire;	/* us since epoch; 0 never */
	int32_t		 ttl;
};

struct row {
	struct cell	*ck;		/* nck clustering values (live) */
	struct cell	*cells;		/* by slot (only regular columns) */
	size_t		 ncells;
	int		 marker;	/* INSERT wrote a row marker */
	int64_t		 marker_ts;
	int64_t		 marker_expire;
	int32_t		 marker_ttl;
};

struct partition {
	uint8_t		*key;		/* serialized (composite if npk > 1) */
	size_t		 keylen;
	int64_t		 token;
	struct cell	*pk;		/* npk component values */
	struct cell	*statics;	/* by slot */
	size_t		 nstatics;
	struct row	**rows;
	size_t		 nrows;
	size_t		 cap;
};

struct index {
	char		*name;
	char		*col;
	char		*target;	/* "c", "keys(c)", ... */
	char		*class;		/* custom class or NULL */
};

struct keyspace;
struct table {
	struct keyspace	*ks;
	char		*name;
	uint8_t		 id[16];
	struct column	*cols;		/* pk, ck (in order), then the rest */
	size_t		 ncols;
	size_t		 npk;
	size_t		 nck;
	size_t		 nslots;
	int		 counter;	/* has counter columns */
	int		 compact;
	int		 virtual;	/* rows rebuilt before each read */
	struct prop_val	*props;		/* WITH options (system_schema.tables) */
	size_t		 nprops;
	struct index	*indexes;
	size_t		 nindexes;
	struct partition **parts;	/* sorted by token, then key bytes */
	size_t		 nparts;
	size_t		 cap;
};

/* A table option as Cassandra stores it: name, CQL type text, value. */
struct prop_val {
	char		*name;
	uint8_t		*p;
	size_t		 n;
	int		 null;
};

struct udt {
	char		*name;
	struct cqltype	*type;		/* kind UDT, fields resolved */
};

enum strategy {
	STRAT_SIMPLE = 0,
	STRAT_NTS,
	STRAT_LOCAL,
	STRAT_EVERYWHERE,
	STRAT_OTHER
};

struct keyspace {
	char		*name;
	char		**repl_keys;	/* replication map, sorted by key */
	char		**repl_vals;
	size_t		 nrepl;
	enum strategy	 strategy;
	int		 durable;
	int		 system;	/* no user DDL */
	struct table	**tables;
	size_t		 ntables;
	struct udt	*types;
	size_t		 ntypes;
};

struct nodeinfo {
	int		 present;
	char		*address;
	uint8_t		 addr[4];
	char		*dc;
	char		*rack;
	uint8_t		 host_id[16];
	int64_t		*tokens;
	size_t		 ntokens;
	char		*release;
	int		 port;
	int		 up;
};

struct prepared {
	uint32_t	 handle;
	char		*ks;
	char		*text;
	size_t		 len;
	struct stmt	*stmt;
	uint64_t	 used;
};

struct db {
	char		*cluster;
	struct keyspace	**kss;
	size_t		 nkss;
	struct nodeinfo	 nodes[DB_MAX_NODES];
	uint8_t		 schema_version[16];
	uint64_t	 schema_gen;
	int		 booting;	/* system DDL allowed, schema rows later */
	int64_t		(*clock)(void *);
	void		*clock_arg;
	int64_t		 last_ts;
	uint64_t	 uuid_seq;
	struct prepared	*prepared;
	size_t		 nprepared;
	uint32_t	 next_handle;
	uint64_t	 use_seq;
};

int64_t		 db_now(struct db *);		/* us */
int64_t		 db_timestamp(struct db *);	/* us, strictly increasing */
void		 db_random_uuid(struct db *, uint8_t[16]);
void		 db_timeuuid(struct db *, uint8_t[16]);
void		 db_name_uuid(const char *, const char *, uint8_t[16]);
void		 db_schema_changed(struct db *);

struct keyspace	*db_keyspace(struct db *, const char *);
struct keyspace	*db_keyspace_add(struct db *, const char *);
void		 db_keyspace_remove(struct db *, struct keyspace *);
struct table	*db_table(struct keyspace *, const char *);
struct table	*db_table_add(struct keyspace *, const char *);
void		 db_table_remove(struct keyspace *, struct table *);
void		 db_table_free(struct table *);
void		 db_table_truncate(struct table *);
struct column	*db_column(struct table *, const char *);
struct udt	*db_type(struct keyspace *, const char *);
void		 db_prop_set(struct table *, const char *, const uint8_t *,
		     size_t, int null);
const struct prop_val *db_prop(struct table *, const char *);

/* Partitions and rows. */
struct partition *part_find(struct table *, int64_t, const uint8_t *, size_t);
struct partition *part_get(struct table *, const struct cell *pkvals);
void		 part_remove(struct table *, struct partition *);
/* Index of the first partition at or after (token, key). */
size_t		 part_lower(struct table *, int64_t, const uint8_t *, size_t);
int		 part_key_make(struct table *, const struct cell *,
		     uint8_t **, size_t *, int64_t *);
struct row	*row_find(struct table *, struct partition *,
		     const struct cell *ck, size_t nck, size_t *pos);
struct row	*row_get(struct table *, struct partition *, const struct cell *);
void		 row_remove(struct partition *, size_t);
int		 row_compare_ck(struct table *, const struct cell *,
		     const struct cell *, size_t);
int		 cell_live(struct db *, const struct cell *);
int		 row_live(struct db *, struct table *, const struct row *);
int		 part_statics_live(struct db *, const struct partition *);
void		 cell_set(struct cell *, const uint8_t *, size_t, int64_t ts,
		     int32_t ttl, int64_t expire);
void		 cell_clear(struct cell *);
void		 row_free(struct row *, struct table *);
void		 part_free(struct partition *, struct table *);
/* The cell of a column in a row (NULL when the row has no slot). */
struct cell	*row_cell(struct table *, struct partition *, struct row *,
		     struct column *, int create);

/* literal.c: terms to serialized values. */
struct lit_ctx {
	struct db		*db;
	struct stmt		*stmt;
	const struct db_values	*values;
	const char		*ks;	/* for UDT lookups */
	const int		*bindmap; /* marker -> value index, or NULL */
};
enum lit_state {
	LIT_VALUE = 0,
	LIT_NULL,
	LIT_UNSET
};
/*
 * Serialize t as a value of type (for receiver name) into w. Returns 0 and
 * *state, or -1 with *err (xmalloc'd, an Invalid message).
 */
int		 lit_encode(struct lit_ctx *, const struct term *,
		     const struct cqltype *, const char *name, struct wbuf *,
		     enum lit_state *, char **err);
/* The type a bind marker is expected to have, from its receiver. */
void		 lit_bind_type(struct stmt *, const struct term *,
		     const char *ks, const char *table, const char *recv,
		     const struct cqltype *);
/* Resolve bare UDT names in t against ks; -1 with *err if undefined. */
int		 lit_resolve_type(struct db *, const char *ks, struct cqltype *,
		     char **err);
/* Serialization helpers for schema rows. */
void		 ser_text(struct wbuf *, const char *);
void		 ser_coll_begin(struct wbuf *, size_t *mark);
void		 ser_coll_item(struct wbuf *, const void *, size_t);
void		 ser_coll_end(struct wbuf *, size_t mark, uint32_t n);
int		 ser_sorted_coll(const struct cqltype *, struct slice *,
		     size_t n, int map, struct wbuf *);

/* result.c */
void		 res_error(struct db_result *, uint32_t, const char *, ...)
		     __attribute__((__format__(__printf__, 3, 4)));
void		 res_colspec(struct db_colspec *, const char *, const char *,
		     const char *, const struct cqltype *);
void		 res_colspec_free(struct db_colspec *);
void		 res_info_set(struct db_result *, int node, const char *ks,
		     const char *table, const char *verb, int write);

/* exec.c */
struct exec {
	struct db		*db;
	int			 node;
	const char		*session_ks;
	struct stmt		*stmt;
	const struct db_values	*values;
	const struct db_opts	*opts;
	int			*bindmap;
	int64_t			 batch_ts;	/* batch timestamp or 0 */
	int			 has_batch_ts;
	int			 batch_ts_default; /* not from USING TIMESTAMP */
	int			 internal;	/* booting: system DDL allowed */
	/* protocol BATCH: values and marker maps per statement */
	const struct db_values	**batch_values;
	int			**batch_maps;
	/* Per statement: a prepared one's keyspace, else the session's. */
	const char		**batch_ks;
};
void		 exec_statement(struct exec *, struct db_result *);
const char	*exec_keyspace(struct exec *, const char *, struct db_result *);
/* Resolve the statement's table; NULL with an error in out. */
struct table	*exec_table(struct exec *, struct db_result *);
/* Set bind marker types of a statement from its receivers; -1 on error. */
int		 exec_bind(struct exec *, struct db_result *);

/* exec_select.c */
void		 select_run(struct exec *, struct table *, struct db_result *);
int		 select_bind(struct exec *, struct table *, struct db_result *);
int		 select_metadata(struct exec *, struct table *,
		     struct db_result *);

/* exec_modify.c */
void		 modify_run(struct exec *, struct table *, struct db_result *);
int		 modify_bind(struct exec *, struct table *, struct db_result *);
void		 batch_run(struct exec *, struct db_result *);

/* where.c: WHERE clauses shared by SELECT, UPDATE and DELETE. */
struct restr;
struct where {
	struct table	*t;
	/* partition keys (all pk columns by = or IN), sorted, deduplicated */
	struct cell	**keys;		/* nkeys arrays of npk cells */
	size_t		 nkeys;
	int		 has_keys;
	/* token bounds */
	int		 has_tok_lo, has_tok_hi;
	int64_t		 tok_lo, tok_hi;
	int		 tok_lo_incl, tok_hi_incl;
	/* evaluated per row */
	struct restr	*restrs;
	size_t		 nrestrs;
	/* clustering: prefix of columns fixed by = (for UPDATE/DELETE) */
	struct cell	**cks;		/* nck_rows arrays of ncks cells */
	size_t		 ncks_rows;
	size_t		 ncks;		/* columns fixed by = or IN */
	int		 ck_slice;	/* some clustering slice restriction */
	int		 needs_filtering;
	int		 regular;	/* restricts regular/static columns */
	int		 pk_partial;
	int		 empty;		/* contradiction: nothing matches */
};
int		 where_build(struct exec *, struct table *, struct relation **,
		     size_t, struct where *, struct db_result *);
int		 where_bind(struct exec *, struct table *, struct relation **,
		     size_t, struct db_result *);
int		 where_match_row(struct exec *, struct where *,
		     struct partition *, struct row *);
int		 where_match_part(struct where *, struct partition *);
void		 where_free(struct where *);
int		 where_pk_indexes(struct stmt *, struct table *, uint16_t *);

/* collection.c */
struct value {
	enum lit_state	 st;
	uint8_t		*p;
	size_t		 n;
};
struct write_ts {
	struct db	*db;
	int64_t		 ts;
	int32_t		 ttl;
	int64_t		 expire;
};
/* Elements of a serialized list/set (or map, pairs 2n); never NULL. */
struct slice	*coll_split(const uint8_t *, size_t, int pairs, size_t *);
void		 coll_op(const struct write_ts *, struct cell *,
		     struct column *, enum assign_kind, const struct value *);
int		 coll_elem(const struct write_ts *, struct cell *,
		     struct column *, const struct value *key,
		     const struct value *, struct db_result *);
void		 udt_field(const struct write_ts *, struct cell *,
		     struct column *, const char *, const struct value *);

/* json.c: values as Cassandra's SELECT JSON writes them. */
void		 jsonw_string(struct wbuf *, const char *);
void		 json_value(struct wbuf *, const struct cqltype *,
		     const uint8_t *, size_t);

/* ddl.c */
void		 ddl_run(struct exec *, struct db_result *);

/* systables.c */
void		 systables_boot(struct db *);
void		 systables_schema_rebuild(struct db *);
void		 systables_refresh_virtual(struct db *, struct table *, int node);

/* replicas.c: see db_replicas() in db.h. */

#endif
