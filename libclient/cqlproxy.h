/*
 * cqlproxy.h: libcqlproxy, the client library of cqlproxyd.
 *
 * A program talks to the local cqlproxyd daemon over its Unix socket
 * (JSON lines, see docs/protocol.md) through opaque handles:
 *
 *	struct cqlp		a connection to the daemon
 *	struct cqlp_stmt	a statement being built (CQL or prepared, values,
 *				options) before it is run
 *	struct cqlp_batch	a batch of statements
 *	struct cqlp_prepared	a prepared statement (daemon-wide handle)
 *	struct cqlp_result	an answer: rows and columns, or an error
 *
 * Errors: functions returning a pointer return NULL on failure; functions
 * returning enum cqlp_err return CQLP_OK (0) on success.  The handle keeps
 * the last error: cqlp_errno() (local class), cqlp_error_code() (the
 * daemon's stable code string for CQLP_ERR_SERVER, else a fixed local
 * string) and cqlp_error_message().
 *
 * Threads: the library has no global state.  A handle, and every result,
 * statement and prepared statement obtained through it, may be used by one
 * thread at a time: give each thread its own handle, or serialise calls on
 * a shared handle with a mutex (results that fetch further pages use their
 * handle too).  Different handles may be used concurrently.
 *
 * fork(): a child never uses its parent's connection.  The first call in
 * the child notices the changed pid, drops the inherited descriptor (close
 * only: the parent's connection is left intact) and connects anew.  Async
 * requests the parent had queued or in flight complete in the child with
 * CQLP_ERR_CLOSED and are never sent by it.
 *
 * Text: CQL, strings and JSON given to the library must be UTF-8 (the
 * protocol's); other bytes are refused with CQLP_ERR_INVALID before
 * anything is sent.  Doubles are written and read in the C locale's form
 * whatever setlocale() the program made.
 *
 * Reconnection: before sending, the library checks that the connection is
 * still open; a connection closed since the last call (daemon restarted) is
 * replaced by a new one, and the keyspace chosen with cqlp_use() (or a USE
 * statement) is set again on it before the request.  If the connection
 * breaks while a request is being written, the request is sent again once
 * on a new connection only when the daemon cannot have received all of it
 * (the end of its JSON object was not written: a part object is never
 * run).  Once a whole
 * request was written it is never sent again unless it is safe to repeat
 * (ping, prepare, use, schema, hosts, trace, stats, and statements or
 * batches marked idempotent); the call then fails with CQLP_ERR_CLOSED,
 * as the request may or may not have run.  An execute whose handle the
 * daemon no longer knows (unknown_statement, after a restart) is prepared
 * again from its text and run once more (it did not run the first time).
 *
 * Timeouts: every blocking call is bounded by the handle's timeout
 * (cqlp_set_timeout(), default 30 s; connect, write and read together) or
 * the statement's own (cqlp_stmt_set_timeout(), which is also sent to the
 * daemon as the request's timeout; the call waits 100 ms more, so the
 * daemon's "timeout" error is what reports a slow cluster).  After CQLP_ERR_TIMEOUT the connection
 * stays usable: the late answer is recognised by its id and dropped.
 *
 * SIGPIPE: never raised by the library (it writes with MSG_NOSIGNAL).
 */
#ifndef CQLPROXY_H
#define CQLPROXY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CQLP_VERSION		"0.1.0"
#define CQLP_DEFAULT_SOCKET	"/run/cqlproxyd/cqlproxyd.sock"
#define CQLP_SOCKET_ENV		"CQLPROXY_SOCKET"
#define CQLP_DEFAULT_TIMEOUT_MS	30000

struct cqlp;
struct cqlp_stmt;
struct cqlp_batch;
struct cqlp_prepared;
struct cqlp_result;

/* Local error classes. */
enum cqlp_err {
	CQLP_OK = 0,
	CQLP_ERR_SERVER,	/* the daemon answered an error: see cqlp_error_code() */
	CQLP_ERR_NOENT,		/* no socket at the path: the daemon is not running */
	CQLP_ERR_REFUSED,	/* socket exists but nobody accepts: daemon not running */
	CQLP_ERR_ACCESS,	/* permission denied on the socket */
	CQLP_ERR_CONNECT,	/* any other failure to connect */
	CQLP_ERR_TIMEOUT,	/* the call's time ran out */
	CQLP_ERR_CLOSED,	/* connection lost after the request was sent */
	CQLP_ERR_PROTOCOL,	/* the daemon's answer could not be understood */
	CQLP_ERR_IO,		/* other read or write failure (see message) */
	CQLP_ERR_INVALID,	/* bad argument (bad JSON values, misuse, ...) */
	CQLP_ERR_NOMEM,		/* out of memory */
	CQLP_ERR_NULL,		/* accessor: the value is null */
	CQLP_ERR_TYPE,		/* accessor: the value is not of that type */
	CQLP_ERR_RANGE,		/* accessor: the value does not fit */
	CQLP_ERR_BUSY,		/* blocking call while async requests are in flight */
	CQLP_ERR_AGAIN		/* async: nothing more to do now */
};

/* A fixed English name of an error class ("CQLP_ERR_NOENT" -> "noent"). */
const char	*cqlp_strerr(enum cqlp_err);

/*
 * Connections.
 */

/*
 * Connect to the daemon at path, else $CQLPROXY_SOCKET, else
 * CQLP_DEFAULT_SOCKET.  Returns NULL only when out of memory; otherwise
 * check cqlp_errno(): a failed connect is retried by the next call.
 */
struct cqlp	*cqlp_open(const char *path);
/* Close the connection and free the handle (results stay readable). */
void		 cqlp_close(struct cqlp *);
/* Socket path in use. */
const char	*cqlp_path(const struct cqlp *);
/* Default time limit of each blocking call (ms, > 0). */
void		 cqlp_set_timeout(struct cqlp *, int ms);
/*
 * Ask the daemon to write bigint, counter, varint and decimal as JSON
 * strings (and NaN/Infinity as strings) in every later answer.
 */
void		 cqlp_set_numbers_as_strings(struct cqlp *, int on);
/* Largest answer line accepted (bytes; default 256 MiB). */
void		 cqlp_set_max_answer(struct cqlp *, size_t);

/* The last error on the handle. */
enum cqlp_err	 cqlp_errno(const struct cqlp *);
/* The daemon's code ("syntax_error", ...), or a local one ("noent"...). */
const char	*cqlp_error_code(const struct cqlp *);
const char	*cqlp_error_message(const struct cqlp *);
/* The daemon's whole error object as JSON text, or NULL. */
const char	*cqlp_error_json(const struct cqlp *);

/*
 * Statements.
 */

/* A statement of CQL text, or of a prepared statement. */
struct cqlp_stmt *cqlp_stmt_new(const char *cql);
struct cqlp_stmt *cqlp_stmt_new_prepared(const struct cqlp_prepared *);
void		 cqlp_stmt_free(struct cqlp_stmt *);
/* Remove the values, to bind new ones (options stay). */
void		 cqlp_stmt_reset(struct cqlp_stmt *);
/*
 * All values at once as JSON text: an array (positional) or an object
 * (named).  Numbers are sent exactly as written.  Replaces bound values.
 */
enum cqlp_err	 cqlp_stmt_set_values(struct cqlp_stmt *, const char *json);
/* Append one positional value. */
enum cqlp_err	 cqlp_bind_int64(struct cqlp_stmt *, int64_t);
enum cqlp_err	 cqlp_bind_double(struct cqlp_stmt *, double);
enum cqlp_err	 cqlp_bind_text(struct cqlp_stmt *, const char *);
enum cqlp_err	 cqlp_bind_textn(struct cqlp_stmt *, const char *, size_t);
/* A blob (sent as "0x" hex). */
enum cqlp_err	 cqlp_bind_bytes(struct cqlp_stmt *, const void *, size_t);
enum cqlp_err	 cqlp_bind_bool(struct cqlp_stmt *, int);
enum cqlp_err	 cqlp_bind_null(struct cqlp_stmt *);
/* Any value as JSON text (a map, a list, a decimal string, ...). */
enum cqlp_err	 cqlp_bind_json(struct cqlp_stmt *, const char *);
/* Options; consistency names as in CQL ("QUORUM", "LOCAL_ONE", ...). */
enum cqlp_err	 cqlp_stmt_set_consistency(struct cqlp_stmt *, const char *);
enum cqlp_err	 cqlp_stmt_set_serial_consistency(struct cqlp_stmt *, const char *);
enum cqlp_err	 cqlp_stmt_set_page_size(struct cqlp_stmt *, int);
/* Continue from a previous result's cqlp_result_paging_state(). */
enum cqlp_err	 cqlp_stmt_set_paging_state(struct cqlp_stmt *, const char *);
enum cqlp_err	 cqlp_stmt_set_timestamp(struct cqlp_stmt *, int64_t);
/* Per-call time limit (ms), also sent as the request's timeout. */
enum cqlp_err	 cqlp_stmt_set_timeout(struct cqlp_stmt *, int ms);
enum cqlp_err	 cqlp_stmt_set_idempotent(struct cqlp_stmt *, int);
enum cqlp_err	 cqlp_stmt_set_tracing(struct cqlp_stmt *, int);
enum cqlp_err	 cqlp_stmt_set_keyspace(struct cqlp_stmt *, const char *);
/* Any other request member, as JSON text (for options added later). */
enum cqlp_err	 cqlp_stmt_set_option(struct cqlp_stmt *, const char *name,
		     const char *json);

/* Batches ("logged", "unlogged" or "counter"; NULL is logged). */
struct cqlp_batch *cqlp_batch_new(const char *type);
void		 cqlp_batch_free(struct cqlp_batch *);
/* Add a copy of the statement's CQL or prepared handle and values. */
enum cqlp_err	 cqlp_batch_add(struct cqlp_batch *, const struct cqlp_stmt *);
enum cqlp_err	 cqlp_batch_set_consistency(struct cqlp_batch *, const char *);
enum cqlp_err	 cqlp_batch_set_option(struct cqlp_batch *, const char *name,
		     const char *json);

/*
 * Blocking calls.  Each returns a result (free it with cqlp_result_free)
 * or NULL with the error on the handle.
 */

/* Run CQL; values_json is NULL or a JSON array or object. */
struct cqlp_result *cqlp_query(struct cqlp *, const char *cql,
		     const char *values_json);
/* Run a statement (of CQL or of a prepared statement). */
struct cqlp_result *cqlp_exec(struct cqlp *, const struct cqlp_stmt *);
struct cqlp_result *cqlp_batch_exec(struct cqlp *, const struct cqlp_batch *);
/* Prepare (daemon-wide: the handle works on any connection). */
struct cqlp_prepared *cqlp_prepare(struct cqlp *, const char *cql);
void		 cqlp_prepared_free(struct cqlp_prepared *);
/* The daemon's handle string, and the statement's text. */
const char	*cqlp_prepared_id(const struct cqlp_prepared *);
const char	*cqlp_prepared_cql(const struct cqlp_prepared *);
/* Run a prepared statement with values as JSON (NULL for none). */
struct cqlp_result *cqlp_execute(struct cqlp *, const struct cqlp_prepared *,
		     const char *values_json);
/* Set this connection's keyspace (set again after a reconnect). */
enum cqlp_err	 cqlp_use(struct cqlp *, const char *keyspace);
/* Round trip to the daemon. */
enum cqlp_err	 cqlp_ping(struct cqlp *);
/*
 * Any request given as one JSON object (without "id": the library adds
 * it): schema, hosts, trace, stats and anything else.
 */
struct cqlp_result *cqlp_request(struct cqlp *, const char *json);

/*
 * Results.  Strings and buffers returned belong to the result and stay
 * valid until it is freed (or, for row values, until the result moves to
 * another page).
 */

void		 cqlp_result_free(struct cqlp_result *);
/* CQLP_OK, or the error of an async completion. */
enum cqlp_err	 cqlp_result_status(const struct cqlp_result *);
const char	*cqlp_result_error_code(const struct cqlp_result *);
const char	*cqlp_result_error_message(const struct cqlp_result *);
/* The whole answer line (this page) as the daemon wrote it. */
const char	*cqlp_result_json(const struct cqlp_result *);
/* A member of the answer as JSON text ("tracing_id", "warnings", ...). */
const char	*cqlp_result_member(struct cqlp_result *, const char *name);

size_t		 cqlp_result_ncolumns(const struct cqlp_result *);
const char	*cqlp_result_column_name(const struct cqlp_result *, size_t);
const char	*cqlp_result_column_type(const struct cqlp_result *, size_t);
/* Column number by name, or -1. */
int		 cqlp_result_column_index(const struct cqlp_result *, const char *);
/* Rows in the current page. */
size_t		 cqlp_result_nrows(const struct cqlp_result *);
/*
 * Move to the next row: 1 if there is one, 0 at the end, -1 on error
 * (fetching a page).  The first call moves to the first row.  When the
 * page is used up and the daemon has more, the next page is fetched
 * (blocking results only: an async result ends with its page).
 */
int		 cqlp_result_next(struct cqlp_result *);
/* Whether the daemon has more pages after this one. */
int		 cqlp_result_has_more_pages(const struct cqlp_result *);
/* The page's paging state (for a later statement), or NULL. */
const char	*cqlp_result_paging_state(const struct cqlp_result *);
/* Replace the rows by the next page's: 1, 0 if none, -1 on error. */
int		 cqlp_result_next_page(struct cqlp_result *);

/* Values of the current row, by column number. */
int		 cqlp_is_null(struct cqlp_result *, size_t col);
/* Strings as they are, anything else as its JSON text; NULL for null. */
const char	*cqlp_get_text(struct cqlp_result *, size_t col);
/* Length of the text (strings may hold NUL bytes). */
enum cqlp_err	 cqlp_get_textn(struct cqlp_result *, size_t col,
		     const char **, size_t *);
/* Integers, also when written as strings (numbers-as-strings). */
enum cqlp_err	 cqlp_get_int64(struct cqlp_result *, size_t col, int64_t *);
/* Numbers, numeric strings, "NaN", "Infinity", "-Infinity". */
enum cqlp_err	 cqlp_get_double(struct cqlp_result *, size_t col, double *);
enum cqlp_err	 cqlp_get_bool(struct cqlp_result *, size_t col, int *);
/* A blob ("0x..." decoded). */
enum cqlp_err	 cqlp_get_bytes(struct cqlp_result *, size_t col,
		     const unsigned char **, size_t *);
/* The value exactly as the daemon wrote it ("null" for null). */
const char	*cqlp_get_json(struct cqlp_result *, size_t col);

/*
 * Non-blocking use, for programs with their own event loop.
 *
 *	fd = cqlp_async_fd(c);			connects if needed
 *	id = cqlp_async_submit(c, stmt, udata);	queue a request
 *	wait for POLLIN, and POLLOUT while cqlp_async_want_write(c)
 *	on POLLOUT: cqlp_async_flush(c)
 *	on POLLIN:  cqlp_async_read(c)
 *	while ((r = cqlp_async_collect(c)) != NULL) {
 *		cqlp_result_id(r), cqlp_result_udata(r), cqlp_result_status(r)
 *		... cqlp_result_free(r);
 *	}
 *
 * Answers complete in any order (requests carry ids).  The descriptor is
 * non-blocking and close-on-exec.  When flush or read report
 * CQLP_ERR_CLOSED the connection is gone: the requests already (partly)
 * written complete with CQLP_ERR_CLOSED; take the old descriptor out of
 * the loop and call cqlp_async_fd() again, which reconnects and sends
 * the requests not yet written.  Blocking calls on a handle with async
 * requests in flight (submitted, not yet completed) fail with
 * CQLP_ERR_BUSY.
 */
int		 cqlp_async_fd(struct cqlp *);
/* Queue a request: its id (> 0), or 0 on error (see cqlp_errno). */
uint64_t	 cqlp_async_submit(struct cqlp *, const struct cqlp_stmt *,
		     void *udata);
uint64_t	 cqlp_async_submit_batch(struct cqlp *, const struct cqlp_batch *,
		     void *udata);
/* A request as one JSON object without "id". */
uint64_t	 cqlp_async_submit_json(struct cqlp *, const char *json,
		     void *udata);
/* Whether output is waiting: poll for POLLOUT too. */
int		 cqlp_async_want_write(const struct cqlp *);
/* Write what can be written now: CQLP_OK, or an error. */
enum cqlp_err	 cqlp_async_flush(struct cqlp *);
/* Read what is there now: CQLP_OK, or an error (CQLP_ERR_CLOSED...). */
enum cqlp_err	 cqlp_async_read(struct cqlp *);
/* A completed request (to free), or NULL if none is ready. */
struct cqlp_result *cqlp_async_collect(struct cqlp *);
/* Requests submitted and not yet collected. */
size_t		 cqlp_async_pending(const struct cqlp *);
/* Of a completion: its id and the udata given to submit. */
uint64_t	 cqlp_result_id(const struct cqlp_result *);
void		*cqlp_result_udata(const struct cqlp_result *);

#ifdef __cplusplus
}
#endif

#endif
