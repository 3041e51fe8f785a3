/*
 * cqlp-int.h: libcqlproxy's internals, shared by its files (one banner
 * per file).  Nothing here is exported: the library's symbols outside
 * cqlproxy.h are hidden by the link's export list.
 */
#ifndef CQLP_INT_H
#define CQLP_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "cqlproxy.h"
#include "idtab.h"

#define CQLP_MAX_DEPTH		256
#define CQLP_DEFAULT_MAX_ANSWER	(256u << 20)

/* sbuf.c */

/* A growable string; an allocation failure is sticky (err). */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

void	 sbuf_init(struct sbuf *);
void	 sbuf_free(struct sbuf *);
void	 sbuf_reset(struct sbuf *);
void	 sbuf_add(struct sbuf *, const void *, size_t);
void	 sbuf_adds(struct sbuf *, const char *);
void	 sbuf_addc(struct sbuf *, char);
void	 sbuf_addf(struct sbuf *, const char *, ...)
	     __attribute__((__format__(__printf__, 2, 3)));
/* A JSON string literal of n bytes of UTF-8. */
void	 sbuf_json_str(struct sbuf *, const char *, size_t);
/* JSON text with raw newlines made blanks. */
void	 sbuf_add_flat(struct sbuf *, const char *, size_t);
/* Remove the first n bytes. */
void	 sbuf_consume(struct sbuf *, size_t);
char	*sbuf_steal(struct sbuf *);
char	*lc_strdup(const char *);
char	*lc_strndup(const char *, size_t);
/* Offset of the first byte that is not valid UTF-8, or n. */
size_t	 utf8_check(const char *, size_t);
/* A double as JSON text, whatever the locale: the length, or -1. */
int	 lc_dtoa(char *, size_t, double);
/* The whole of s as a double, whatever the locale: 0, or -1. */
int	 lc_strtod(const char *, double *, int *erange);

/* json.c */

enum jtype {
	J_NULL,
	J_FALSE,
	J_TRUE,
	J_NUMBER,
	J_STRING,
	J_ARRAY,
	J_OBJECT
};

/* A parsed value; raw is its exact text in the document. */
struct jnode {
	enum jtype	 type;
	const char	*raw;
	size_t		 rawlen;
	const char	*key;		/* member name (object members) */
	size_t		 keylen;
	const char	*str;		/* decoded string, NUL-terminated */
	size_t		 slen;
	struct jnode	*kids;		/* elements or members */
	size_t		 n;
};

struct jchunk;

/* One parsed JSON text: the text, its nodes and decoded strings. */
struct jdoc {
	char		*text;
	size_t		 len;
	struct jnode	*root;
	struct jchunk	*chunks;
};

/* Parse (taking the text); 0, or -1 with a reason in err. */
int		 jdoc_parse(struct jdoc *, char *text, size_t len,
		     char *err, size_t errlen);
void		 jdoc_free(struct jdoc *);
/* Whether text is exactly one JSON value (of type want if >= 0). */
int		 json_valid(const char *, size_t, int want);
const struct jnode *jnode_get(const struct jnode *, const char *key);
/* The node's string, or NULL if not a string. */
const char	*jnode_str(const struct jnode *);

/* io.c */

int		 io_connect(const char *path, int64_t deadline,
		     enum cqlp_err *, int *saved_errno);
/* Bytes written (possibly 0), or -1 with errno set. */
ssize_t		 io_write(int fd, const void *, size_t);
/* Bytes read, 0 at EOF, -1 with errno (EAGAIN when nothing). */
ssize_t		 io_read(int fd, void *, size_t);
/* Wait for events until deadline: revents, 0 on timeout, -1 on error. */
int		 io_wait(int fd, short events, int64_t deadline);
int64_t		 io_now(void);
/* Whether the peer has closed: 1 closed, 0 open (data may be waiting). */
int		 io_peer_closed(int fd);

/* client.c */

struct pending;

/* The handle. */
struct cqlp {
	char		*path;
	int		 fd;
	pid_t		 pid;		/* process owning fd and requests */
	int		 timeout_ms;
	int		 numbers_as_strings;
	size_t		 max_answer;
	char		*keyspace;	/* from cqlp_use, set again on reconnect */
	int		 need_use;	/* a fresh connection needs "use" */
	uint64_t	 next_id;

	int		 refs;		/* the caller's, and paging results' */
	int		 closed;	/* cqlp_close was called */

	struct sbuf	 in;		/* bytes read, not yet a line */
	size_t		 scanned;	/* in: bytes known to hold no \n */
	struct sbuf	 out;		/* async: bytes to write */
	uint64_t	 out_base;	/* async: bytes of out ever written */

	struct pending	*pend_head;	/* async: submitted, by order */
	struct pending	*pend_tail;
	struct idtab	 pend_ids;	/* async: the same, by id */
	struct pending	*done_head;	/* async: completed, to collect */
	struct pending	*done_tail;
	size_t		 npending;

	enum cqlp_err	 err;
	char		*err_code;
	char		*err_msg;
	char		*err_json;
};

/* An async request, from submit to collect. */
struct pending {
	uint64_t		 id;
	void			*udata;
	size_t			 start;	/* its bytes in out: [start, end) */
	size_t			 end;
	struct cqlp_result	*result;
	struct pending		*prev;	/* pending list only */
	struct pending		*next;
};

void		 client_unref(struct cqlp *);
enum cqlp_err	 client_set_error(struct cqlp *, enum cqlp_err,
		     const char *, ...)
		     __attribute__((__format__(__printf__, 3, 4)));
void		 client_set_server_error(struct cqlp *, const struct jnode *);
void		 client_clear_error(struct cqlp *);
void		 client_disconnect(struct cqlp *);
/* In a child of fork(): forget the parent's connection and requests. */
void		 client_check_fork(struct cqlp *);
/* CQLP_OK, or CQLP_ERR_INVALID (set) when the line is not UTF-8. */
enum cqlp_err	 client_check_text(struct cqlp *, const struct sbuf *);
/*
 * Connect if not connected, after checking for fork and a closed peer;
 * drain: the connection has no requests of ours outstanding, so waiting
 * bytes are late answers to drop.  CQLP_OK or the error (set).
 */
enum cqlp_err	 client_ensure(struct cqlp *, int64_t deadline, int drain);
/* Read what the socket has now into c->in: 1 bytes, 0 none, -1 EOF/error. */
int		 client_fill(struct cqlp *, int *saved_errno);
/*
 * Pop the next answer from c->in as a result: 1 one, 0 none yet, -1
 * error (set: protocol).
 */
int		 client_next_answer(struct cqlp *, struct cqlp_result **);
/* Blocking "use" on a fresh connection to restore the keyspace. */
enum cqlp_err	 client_restore(struct cqlp *, int64_t deadline);
/* Blocking run of a statement owned by a result (its next page). */
struct cqlp_result *client_exec_page(struct cqlp *, struct cqlp_stmt *);

/* stmt.c */

/* What a request is, for the retry rule. */
struct reqinfo {
	int	 safe;			/* may be sent twice */
	int	 timeout_ms;		/* per-call, or 0 */
	int	 is_use;
	int	 track_ks;		/* the answer's "keyspace" is ours */
};

struct cqlp_stmt {
	char	*cql;			/* or NULL for a prepared one */
	char	*handle;		/* prepared: handle JSON text */
	char	*prep_cql;		/* prepared: its CQL, to prepare again */
	struct sbuf values;		/* bound values: "[a,b" or whole JSON */
	int	 values_whole;		/* values holds a full array/object */
	int	 nvalues;
	struct sbuf opts;		/* ,"name":json... */
	int	 timeout_ms;
	int	 idempotent;
};

struct cqlp_batch {
	struct sbuf stmts;		/* "[{...},{...}" */
	int	 n;
	struct sbuf opts;
	char	*type;
	int	 idempotent;
};

struct cqlp_prepared {
	char	*handle;		/* JSON text of the daemon's handle */
	char	*id;			/* its string value */
	char	*cql;
};

/* Write a request object (with id) for a statement / batch. */
void		 stmt_request(struct sbuf *, const struct cqlp_stmt *,
		     uint64_t id, int nas, struct reqinfo *);
void		 batch_request(struct sbuf *, const struct cqlp_batch *,
		     uint64_t id, int nas, struct reqinfo *);
/* A caller's JSON object with "id" added; -1 if not an object. */
int		 raw_request(struct sbuf *, const char *json, uint64_t id,
		     int nas, struct reqinfo *);

/* result.c */

struct cqlp_result {
	struct jdoc	 doc;
	const struct jnode *cols;	/* "columns" array or NULL */
	const struct jnode *rows;	/* "rows" array or NULL */
	size_t		 row;		/* current row + 1 (0: before first) */
	enum cqlp_err	 status;
	char		*err_code;
	char		*err_msg;
	uint64_t	 id;
	void		*udata;

	struct cqlp	*conn;		/* blocking results: for more pages */
	struct cqlp_stmt *stmt;		/* copy of the statement, for pages */

	char		**owned;	/* strings handed out for this page */
	size_t		 nowned;
};

/* A result from a parsed answer (taking the document). */
struct cqlp_result *result_new(struct jdoc *);
/* A result that only carries an error (async completions). */
struct cqlp_result *result_new_error(enum cqlp_err, const char *code,
		     const char *msg);
/* Replace the result's page by another answer's (taking it). */
void		 result_replace(struct cqlp_result *, struct cqlp_result *);

/* async.c */

/* The connection is gone: fail what was written, keep what was not. */
void		 async_conn_lost(struct cqlp *);
/* After fork(): fail every request the parent queued. */
void		 async_forget(struct cqlp *);
/* Free every async request (handle freed). */
void		 async_free_all(struct cqlp *);
struct cqlp_stmt *stmt_copy(const struct cqlp_stmt *);

#endif
