/*
 * result.h: what a request (request.h) hands back to its caller: rows,
 * another kind of RESULT, or an error, copied out of the frame so it lives
 * as long as the receiver wants.
 *
 * The callback of cluster_execute() receives a struct result it owns until
 * result_free().  Nothing in it points into connection buffers: cells point
 * into the result's own copy of the rows, strings are its own.  The
 * columns of rows may be shared with other results of the same statement
 * (a reference to a decoded struct colset): read them, never change them.
 *
 *	if (r->error != CORE_OK)
 *		log_warnx("%s: %s", core_error_name(r->error), r->message);
 *	else if (r->kind == RES_ROWS)
 *		for (i = 0; i < r->rows_count; i++)
 *			cell = result_cell(r, i, col);	(NULL if out of range)
 *	result_free(r);
 */
#ifndef CQLP_RESULT_H
#define CQLP_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cqltype.h"
#include "host.h"

struct msg;
struct msg_error;
struct col_spec;
struct colset;

/* How a request ended. */
enum core_error {
	CORE_OK = 0,
	CORE_ESERVER,		/* the node answered ERROR: see result.server */
	CORE_ETIMEOUT,		/* no answer within the request timeout */
	CORE_ENOHOSTS,		/* every host of the plan failed or was
				   unusable: see result.attempts */
	CORE_EBUSY,		/* every usable host's pool was at its
				   in-flight cap (client-side back-pressure) */
	CORE_ECONNECTION,	/* the connection was lost mid-request and
				   the request could not be retried */
	CORE_EPROTOCOL,		/* an answer that could not be decoded or
				   was not what the request asked for */
	CORE_ECANCELLED,	/* request_cancel() */
	CORE_ESHUTDOWN,		/* the cluster is closing or closed */
	CORE_EUSAGE		/* the request itself is unusable (cannot be
				   encoded, USE statement, no such host...) */
};
#define CORE_NERRORS	(CORE_EUSAGE + 1)
/* "ok", "server_error", "timeout", "no_hosts_available", ... */
const char	*core_error_name(enum core_error);

/* The RESULT kinds; RES_NONE for errors. */
enum result_kind {
	RES_NONE = 0,
	RES_VOID,
	RES_ROWS,
	RES_SET_KEYSPACE,
	RES_SCHEMA_CHANGE,
	RES_PREPARED
};
const char	*result_kind_name(enum result_kind);

/* An ERROR message with every field copied (owned, NUL-terminated). */
struct core_server_error {
	int32_t		 code;		/* enum error_code */
	char		*message;
	uint16_t	 consistency;	/* Unavailable, timeouts, failures */
	int32_t		 required;	/* Unavailable */
	int32_t		 alive;		/* Unavailable */
	int32_t		 received;	/* timeouts, failures */
	int32_t		 blockfor;	/* timeouts, failures */
	int32_t		 numfailures;	/* read/write failure */
	uint8_t		 data_present;	/* read timeout/failure */
	char		*write_type;	/* write timeout/failure; else NULL */
	char		*keyspace;	/* function failure, already exists */
	char		*table;		/* already exists */
	char		*function;	/* function failure */
	size_t		 narg_types;	/* function failure */
	char		**arg_types;
	uint8_t		*id;		/* unprepared: the unknown id */
	size_t		 idlen;
};

/* One failed attempt (listed with CORE_ENOHOSTS and kept for every error). */
struct result_attempt {
	char		 host[HOST_NAME_LEN];
	enum core_error	 error;
	int32_t		 code;		/* server error code if CORE_ESERVER */
	char		*message;
};

/* A column as RESULT metadata describes it (all owned). */
struct result_column {
	char		*keyspace;
	char		*table;
	char		*name;
	struct cqltype	*type;
};
struct result_columns {
	size_t			 n;
	struct result_column	*cols;
};

struct result_schema_change {
	char		*change;	/* CREATED, UPDATED, DROPPED */
	char		*target;	/* KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE */
	char		*keyspace;
	char		*name;		/* "" for KEYSPACE */
	size_t		 nargs;
	char		**args;		/* FUNCTION/AGGREGATE argument types */
	/*
	 * After the change, whether every up host reported the same
	 * schema_version within cluster_config.schema_agreement_wait_ms.
	 */
	int		 agreement;
};

/* What PREPARE answered (RES_PREPARED). */
struct result_prep {
	uint8_t			*id;
	size_t			 idlen;
	uint8_t			*result_metadata_id;	/* v5; else NULL */
	size_t			 rmidlen;
	struct result_columns	 bind;		/* bind variables */
	size_t			 pk_count;	/* v4+: partition key indexes */
	uint16_t		*pk_index;	/* into bind */
	struct result_columns	 columns;	/* result columns (may be none) */
	int			 no_metadata;	/* result columns not sent */
};

struct result {
	enum result_kind	 kind;
	enum core_error		 error;
	char			*message;	/* error text; NULL when OK */
	struct core_server_error server;	/* CORE_ESERVER (code etc.) */

	/* RES_ROWS */
	struct result_columns	 columns;	/* read-only: may be shared */
	struct colset		*colset;	/* what columns belongs to, or NULL */
	int32_t			 rows_count;
	struct bytesval		*cells;		/* rows_count * columns.n */
	uint8_t			*rows_data;	/* what cells point into */
	size_t			 rows_len;
	int			 has_more_pages;
	uint8_t			*paging_state;	/* pass back in request_opts */
	size_t			 paging_state_len;

	char			*keyspace;	/* RES_SET_KEYSPACE */
	struct result_schema_change schema;	/* RES_SCHEMA_CHANGE */
	struct result_prep	 prepared;	/* RES_PREPARED */

	/* Response prefixes. */
	int			 has_tracing_id;
	uint8_t			 tracing_id[16];
	size_t			 nwarnings;
	char			**warnings;

	/* How it went. */
	struct host		*host;		/* answered (referenced); NULL if none */
	char			 host_name[HOST_NAME_LEN];	/* "" if none */
	uint16_t		 consistency;	/* used by the answering attempt */
	unsigned int		 executions;	/* attempts sent to a node */
	unsigned int		 retries;	/* of which retries */
	unsigned int		 speculative;	/* of which speculative */
	size_t			 nattempts;	/* failed attempts, in order */
	struct result_attempt	*attempts;
	uint64_t		 latency_us;	/* from the start to callback */
	uint64_t		 done_us;	/* clock_now_us at the callback */
};

/* A new empty result (kind RES_NONE, CORE_OK). */
struct result	*result_new(void);
void		 result_free(struct result *);
/* The cell of row i, column j; NULL when out of range. */
const struct bytesval *result_cell(const struct result *, int32_t, size_t);
/* The first column with this name, or -1. */
int		 result_column_index(const struct result *, const char *);

/*
 * Building results (request.c, tests).  result_set_error formats the
 * message; result_from_msg copies a RESULT or ERROR msg; 0, or -1 (with
 * the result turned into CORE_EPROTOCOL) when the rows do not decode.
 */
void		 result_set_error(struct result *, enum core_error,
		     const char *, ...) __attribute__((__format__(__printf__, 3, 4)));
int		 result_from_msg(struct result *, const struct msg *);
void		 result_copy_server_error(struct core_server_error *,
		     const struct msg_error *);
void		 result_server_error_free(struct core_server_error *);

/*
 * Free what a server error holds and zero it.  Inline: most results
 * never held one (a copied one always has a message), already clear.
 */
static inline void
result_server_error_clear(struct core_server_error *e)
{
	if (e->message == NULL && e->code == 0 && e->write_type == NULL &&
	    e->keyspace == NULL && e->table == NULL && e->function == NULL &&
	    e->arg_types == NULL && e->id == NULL)
		return;
	result_server_error_free(e);
}
void		 result_add_attempt(struct result *, const char *host,
		     enum core_error, int32_t code, const char *message);
void		 result_set_host(struct result *, struct host *);
/* Copy column specs (also used by prepared.c to keep metadata). */
void		 result_columns_copy(struct result_columns *,
		     const struct col_spec *, size_t);
void		 result_columns_clear(struct result_columns *);

#endif
