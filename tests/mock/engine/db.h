/*
 * db.h: cqlmock's CQL engine, an in-memory Cassandra 4.0 "cluster" with no
 * I/O. Every node of the mock shares one data set (a cluster that replicates
 * instantly); the node index only changes what system.local / system.peers
 * show and is reported back for statistics.
 *
 * Usage (single-threaded; one struct db per mock process):
 *	struct db *db = db_new("cqlmock");
 *	db_node_set(db, 0, &node);		(one per node, before serving)
 *	db_execute(db, 0, "ks", "SELECT * FROM t WHERE k = ?", &vals, &opts,
 *	    &res);
 *	... res.kind, res.err_code, res.cols/res.cells ...
 *	db_result_clear(&res);
 *	db_free(db);
 *
 * Every call that fills a struct db_result initialises it first, so a
 * result only needs db_result_clear() after use (it may be reused).
 */
#ifndef CQLMOCK_DB_H
#define CQLMOCK_DB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"	/* struct bytesval, struct slice */

struct cqltype;
struct db;

#define DB_MAX_NODES		64
#define DB_MAX_TOKENS		256	/* per node */
#define DB_MAX_STATEMENT	(1024 * 1024)	/* CQL text, bytes */
#define DB_MAX_PAGE_ROWS	10000	/* rows in one page, whatever asked */
#define DB_MAX_BATCH		65535	/* statements in one batch */

/* Cassandra error codes (as on the wire). */
#define DB_ERR_SERVER		0x0000
#define DB_ERR_PROTOCOL		0x000A
#define DB_ERR_UNAVAILABLE	0x1000
#define DB_ERR_OVERLOADED	0x1001
#define DB_ERR_TRUNCATE		0x1003
#define DB_ERR_WRITE_TIMEOUT	0x1100
#define DB_ERR_READ_TIMEOUT	0x1200
#define DB_ERR_SYNTAX		0x2000
#define DB_ERR_UNAUTHORIZED	0x2100
#define DB_ERR_INVALID		0x2200
#define DB_ERR_CONFIG		0x2300
#define DB_ERR_ALREADY_EXISTS	0x2400
#define DB_ERR_UNPREPARED	0x2500

/*
 * One node of the mock cluster. Strings and the token array are copied by
 * db_node_set(). address is the dotted IPv4 text ("127.0.0.2"), used as
 * rpc_address / broadcast_address / peer.
 */
struct db_node {
	const char	*address;
	const char	*dc;		/* "datacenter1" if NULL */
	const char	*rack;		/* "rack1" if NULL */
	uint8_t		 host_id[16];
	const int64_t	*tokens;
	size_t		 ntokens;	/* at most DB_MAX_TOKENS */
	const char	*release_version; /* "4.0.0" if NULL */
	int		 native_port;	/* 9042 if 0 */
	int		 up;		/* informational; peers lists down nodes too */
};

/*
 * Bound values: positional (names NULL) or named (names[i] is the marker
 * name of v[i], matched as Cassandra does: case-insensitive unless the
 * marker was quoted). BYTES_UNSET leaves a column as it is, BYTES_NULL
 * deletes it. The bytes are only borrowed for the call.
 */
struct db_values {
	const struct bytesval	*v;
	const struct slice	*names;
	size_t			 n;
};

/* Per-request options; a zeroed struct means "no paging, server time". */
struct db_opts {
	int32_t		 page_size;	/* <= 0: everything (capped) */
	const uint8_t	*paging_state;	/* from a previous db_result */
	size_t		 paging_state_len;
	int		 has_timestamp;
	int64_t		 timestamp;	/* microseconds, USING TIMESTAMP default */
};

enum db_result_kind {
	DB_RESULT_ERROR = 0,
	DB_RESULT_VOID,
	DB_RESULT_ROWS,
	DB_RESULT_SET_KEYSPACE,
	DB_RESULT_SCHEMA_CHANGE,
	DB_RESULT_PREPARED
};

enum db_change {
	DB_CHANGE_CREATED = 0,
	DB_CHANGE_UPDATED,
	DB_CHANGE_DROPPED
};
enum db_target {
	DB_TARGET_KEYSPACE = 0,
	DB_TARGET_TABLE,
	DB_TARGET_TYPE,
	DB_TARGET_FUNCTION,
	DB_TARGET_AGGREGATE
};

/* A result or bind-variable column; all strings and the type are owned. */
struct db_colspec {
	char		*keyspace;
	char		*table;
	char		*name;
	struct cqltype	*type;
};

/* A serialized value; null is distinct from empty (p may be NULL if n 0). */
struct db_cell {
	uint8_t		*p;
	size_t		 n;
	int		 null;
};

/* What a statement touched, for the server's statistics and tracing. */
struct db_info {
	int		 node;		/* the node that executed it */
	char		*keyspace;	/* NULL if none (USE of nothing, ...) */
	char		*table;		/* NULL for keyspace-level statements */
	const char	*verb;		/* "SELECT", "INSERT", "CREATE", ... */
	int		 has_token;	/* single partition targeted */
	int64_t		 token;
	int		 write;		/* modifies data or schema */
};

struct db_result {
	enum db_result_kind kind;

	/* ERROR */
	uint32_t	 err_code;
	char		*err_msg;
	char		*err_keyspace;	/* ALREADY_EXISTS: keyspace, table */
	char		*err_table;	/* ("" for a keyspace) */

	/* ROWS (also the result metadata of PREPARED) */
	struct db_colspec *cols;
	size_t		 ncols;
	struct db_cell	*cells;		/* nrows * ncols, row-major */
	size_t		 nrows;
	uint8_t		*paging_state;	/* NULL when there are no more pages */
	size_t		 paging_state_len;
	int		 has_more;

	/* SET_KEYSPACE: keyspace. SCHEMA_CHANGE: all four. */
	char		*keyspace;
	enum db_change	 change;
	enum db_target	 target;
	char		*name;		/* table/type name; NULL for KEYSPACE */

	/* PREPARED: handle for db_execute_prepared, bind variables. */
	uint32_t	 handle;
	struct db_colspec *vars;
	size_t		 nvars;
	uint16_t	*pk_indexes;	/* var index of each pk column, in pk order */
	size_t		 npk_indexes;	/* 0 unless every pk column is bound */

	struct db_info	 info;
};

/* db.c */
struct db	*db_new(const char *cluster_name);
void		 db_free(struct db *);
/* The schema version uuid; it changes on every schema change. */
void		 db_schema_version(struct db *, uint8_t[16]);
/* Clock for timestamps and TTL expiry, microseconds since the epoch. */
void		 db_set_clock(struct db *, int64_t (*)(void *), void *);

/* Node registry. Returns 0, or -1 if idx or the node is out of range. */
int		 db_node_set(struct db *, int idx, const struct db_node *);
void		 db_node_remove(struct db *, int idx);
void		 db_node_set_up(struct db *, int idx, int up);

/* exec.c */
/* Run one CQL statement as node `node`; keyspace is the session's. */
void		 db_execute(struct db *, int node, const char *keyspace,
		     const char *cql, const struct db_values *,
		     const struct db_opts *, struct db_result *);
/* The same for query text of len bytes (string literals may hold NULs). */
void		 db_execute_len(struct db *, int node, const char *keyspace,
		     const char *cql, size_t len, const struct db_values *,
		     const struct db_opts *, struct db_result *);
/*
 * Parse and keep a statement; on success out->kind is DB_RESULT_PREPARED
 * with the handle, bind variables and result columns. The keyspace is the
 * session's at prepare time (as Cassandra, unqualified tables bind to it).
 * Preparing the same (keyspace, text) twice gives the same handle.
 */
void		 db_prepare(struct db *, int node, const char *keyspace,
		     const char *cql, struct db_result *);
void		 db_prepare_len(struct db *, int node, const char *keyspace,
		     const char *cql, size_t len, struct db_result *);
/* An unknown handle is an UNPREPARED error. */
void		 db_execute_prepared(struct db *, int node, uint32_t handle,
		     const struct db_values *, const struct db_opts *,
		     struct db_result *);

enum db_batch_type {
	DB_BATCH_LOGGED = 0,
	DB_BATCH_UNLOGGED = 1,
	DB_BATCH_COUNTER = 2
};
/* One statement of a protocol BATCH: either text or a prepared handle. */
struct db_batch_stmt {
	const char	*cql;		/* NULL: use handle */
	size_t		 cql_len;	/* 0: strlen(cql) */
	uint32_t	 handle;
	struct db_values values;
};
void		 db_batch(struct db *, int node, const char *keyspace,
		     enum db_batch_type, const struct db_batch_stmt *, size_t,
		     const struct db_opts *, struct db_result *);

void		 db_result_clear(struct db_result *);

/* replicas.c */
/*
 * Replica node indexes of a token under the keyspace's replication, in
 * ring order (primary first); returns how many (at most max), or -1 if the
 * keyspace does not exist. LocalStrategy keyspaces have no replicas (0):
 * their data lives on whichever node is asked.
 */
int		 db_replicas(struct db *, const char *keyspace, int64_t token,
		     int *nodes, int max);

#endif
