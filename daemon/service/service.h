/*
 * service.h: the internals of cqlproxyd, the daemon, shared by its files
 * (one banner per file).  The daemon serves local clients over Unix
 * sockets with JSON lines (docs/protocol.md) and runs their requests
 * through the driver core (daemon/core).
 *
 *	main.c		command line, start-up
 *	server.c	the one server: configuration, cluster, signals,
 *			reload, drain, systemd notification
 *	listen.c	listening sockets, accept, peer credentials
 *	client.c	one client connection: I/O, lines, ordering, limits
 *	jsonproto.c	request parsing, answers, errors, dispatch
 *	ops-cql.c	query, prepare, execute, batch, use
 *	ops-info.c	schema, hosts, trace, ping, stats
 *	notify.c	sd_notify without libsystemd
 *
 * Everything runs on one event base, in one thread.
 */
#ifndef CQLP_SERVICE_H
#define CQLP_SERVICE_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>

#include "buf.h"
#include "jsonval.h"
#include "metrics.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

struct config;
struct cluster;
struct result;
struct prometheus;
struct prepared_cache;

/* server.c */

/* The daemon's life; only server_set_state changes it. */
enum server_state {
	SERVER_STARTING = 0,	/* listening; cluster not reached yet */
	SERVER_RUNNING,		/* cluster ready (or retrying in background) */
	SERVER_DRAINING,	/* SIGTERM: no accepts, answering what came */
	SERVER_CLOSING,		/* clients gone; closing the cluster */
	SERVER_DONE		/* loop exits */
};

/* uid/gid allow-lists resolved from the configuration's names. */
struct server_acl {
	size_t		 nuids;
	uid_t		*uids;
	size_t		 ngids;
	gid_t		*gids;
};

struct client;
TAILQ_HEAD(client_list, client);

struct server {
	struct event_base	*base;
	struct config		*cfg;
	char			*config_path;
	int			 foreground;
	enum server_state	 state;

	struct cluster		*cluster;
	struct prepared_cache	*prepared;
	struct metrics		*metrics;
	struct prometheus	*prometheus;
	struct server_acl	 acl;

	struct listener		*listen_main;
	struct listener		*listen_ro;

	struct client_list	 clients;
	unsigned int		 nclients;
	unsigned int		 inflight;	/* requests against the cluster */
	uint64_t		 next_client;

	struct event		*ev_hup;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_drain;	/* drain deadline */
	struct event		*ev_watchdog;
	uint64_t		 watchdog_usec;
	int			 signals;	/* SIGTERM/SIGINT received */
	int			 exit_status;
};

extern struct server	*srv;

int		 server_init(struct event_base *, struct config *,
		     const char *path, int foreground);
int		 server_run(void);
void		 server_set_state(enum server_state);
/* A client left or answered its last request: maybe finish the drain. */
void		 server_check_drained(void);
/* Parse the allow-lists of a configuration; 0 or -1 with err. */
int		 server_acl_build(const struct config *, struct server_acl *,
		     char *, size_t);
void		 server_acl_clear(struct server_acl *);
int		 server_acl_allows(const struct server_acl *, uid_t, gid_t);
/* Map the configuration to the core's (one place for it). */
struct cluster_config;
int		 server_cluster_config(const struct config *,
		     struct cluster_config *, char ***cps, size_t *ncps,
		     char *, size_t);

/* listen.c */
struct listener;
/* Open (or take from systemd) a socket; NULL with err. */
struct listener	*listener_open(const char *path, int readonly,
		     const struct config *, char *, size_t);
/* Adopt an inherited listening socket (socket activation). */
struct listener	*listener_adopt(int fd, const char *path, int readonly);
void		 listener_start(struct listener *);
/* Drain: accept what waits in the backlog (not systemd's socket). */
void		 listener_accept_pending(struct listener *);
void		 listener_stop(struct listener *);
/* Close; unlink the path unless systemd owns the socket. */
void		 listener_free(struct listener *);
const char	*listener_path(struct listener *);
/* Fds passed by systemd (LISTEN_FDS): how many, from fd 3. */
int		 listener_activation_fds(void);
/* The path a Unix socket is bound to, "" if none. */
void		 listener_sockname(int, char *, size_t);
/* Keep one descriptor in reserve for EMFILE. */
void		 listener_reserve_init(void);

/* client.c */

/* Where a client is; only client_set_state changes it. */
enum client_state {
	CLIENT_OPEN = 0,	/* reading and answering */
	CLIENT_EOF,		/* peer half-closed: answering what came,
				   then half-close and close */
	CLIENT_CLOSED		/* fd closed, off the server's list; the
				   struct is freed on the next loop turn */
};

/* A request read from a client. */
enum creq_state {
	CREQ_WAITING = 0,	/* queued: waiting for its turn */
	CREQ_RUNNING,		/* started; its op will answer */
	CREQ_ORPHAN		/* running, but its client is gone */
};

struct creq;
typedef void	(*creq_cancel_fn)(struct creq *);

/* What a member of the request object holds (jsonproto.c). */
enum jpkind {
	JP_ABSENT = 0,
	JP_NULL,
	JP_FALSE,
	JP_TRUE,
	JP_INT,		/* i; s, len: the token (quick) or NULL */
	JP_REAL,
	JP_STRING,	/* s, len: decoded, NUL-terminated */
	JP_ARRAY,
	JP_OBJECT
};

/*
 * The members the daemon reads, resolved once when the line is read so
 * that looking one up is an index, not a string compare.
 */
enum jpkey {
	JPK_ID = 0,
	JPK_OP,
	JPK_CQL,
	JPK_VALUES,
	JPK_COMPACT,
	JPK_NUMBERS_AS_STRINGS,
	JPK_CONSISTENCY,
	JPK_SERIAL_CONSISTENCY,
	JPK_PAGE_SIZE,
	JPK_PAGING_STATE,
	JPK_TIMESTAMP,
	JPK_TIMEOUT_MS,
	JPK_IDEMPOTENT,
	JPK_TRACE,
	JPK_KEYSPACE,
	JPK_STATEMENT,
	JPK_STATEMENTS,
	JPK_TYPE,
	JPK_TABLE,
	JPK_TRACING_ID,
	JPK_WAIT_MS,
	JPK_OTHER		/* a name none of the above */
};
#define JPK_N		JPK_OTHER

/* One member of the request object. */
struct jpfield {
	const char	*key;
	const char	*s;
	size_t		 len;
	int64_t		 i;
	json_t		*json;		/* the value as a tree, or NULL */
	uint8_t		 kind;		/* enum jpkind */
	uint8_t		 owned;		/* json is ours to drop */
	uint8_t		 which;		/* enum jpkey */
	uint8_t		 table;		/* an array held in r->vals */
	uint8_t		 nonul;		/* s holds no NUL: len is strlen */
};

/* Members held in the request itself; more go to the heap. */
#define CREQ_FIELDS	8
/* Scalars of a values array held in a table, not a tree (jsonval.h). */
#define CREQ_VALS	8
/* A line up to this long is kept in the request itself. */
#define CREQ_TEXT	192
/* An id whose JSON text is shorter than this is kept in the request. */
#define CREQ_ID		24
#define CREQ_ID_MAX	4096	/* longest id, as JSON text */

struct creq {
	TAILQ_ENTRY(creq)	 entry;
	struct client		*client;	/* NULL once orphaned */
	enum creq_state		 state;
	uint8_t			 ordered;	/* a barrier: no id, or use */
	uint8_t			 counted;	/* holds a global in-flight slot */
	uint8_t			 readonly;	/* came on the read-only socket */
	uint8_t			 numstr;	/* numbers as strings */
	uint8_t			 compact;	/* compact answer */
	uint8_t			 metered;	/* metrics_request_done called */
	uint8_t			 cql_not_use;	/* cql is known not to be USE */
	enum metrics_op		 op;
	char			*id;		/* the id as JSON text, or NULL */
	size_t			 idlen;
	json_t			*json;		/* the request object, when
						   jansson read it */
	char			*text;		/* the line, strings decoded in
						   place (read quickly) */
	struct jpfield		*fields;	/* the request's members */
	unsigned int		 nfields;
	unsigned int		 fieldcap;
	uint32_t		 keyset;	/* bit k: slot[k] holds JPK k */
	char			*keyspace;	/* the client's, at start */
	/* An answer decided when the line was read (a parse error). */
	const char		*early_code;
	char			*early_msg;
	json_t			*early_extra;
	uint64_t		 start_us;
	uint64_t		 end_us;	/* the core's, or 0: read */
	void			*state_ptr;	/* the op's */
	struct jpfield		 fieldbuf[CREQ_FIELDS];
	char			 idbuf[CREQ_ID];
	char			 textbuf[CREQ_TEXT];
	/* Past here nothing is cleared for a new request (keyset says). */
	unsigned int		 slot[JPK_N];	/* index into fields */
	size_t			 nvals;
	struct jsonval_scalar	 vals[CREQ_VALS];
};
TAILQ_HEAD(creq_list, creq);

struct client {
	TAILQ_ENTRY(client)	 entry;
	TAILQ_ENTRY(client)	 dirty_entry;	/* answers to flush */
	uint64_t		 id;
	int			 fd;
	enum client_state	 state;
	uint8_t			 readonly;
	uint8_t			 reading;	/* read interest wanted */
	uint8_t			 writing;	/* write interest wanted */
	uint8_t			 armed;		/* event added with these */
	uint8_t			 numstr;	/* connection defaults (use) */
	uint8_t			 compact;
	uint8_t			 too_long;	/* line_too_long queued */
	uint8_t			 lingering;	/* answered; dropping input */
	uint8_t			 draining;	/* reading only drain_left */
	uint8_t			 busy;		/* inside client_update */
	uint8_t			 again;		/* client_update asked again */
	uint8_t			 dirty;		/* on the flush list */
	const char		*dead;		/* close soon, and why */
	struct event		 ev;
	struct cbuf		*in;		/* a partial line, or NULL */
	struct cbuf		*out;		/* unsent answers, or NULL */
	struct creq_list	 reqs;		/* read and unanswered */
	struct creq		*next_wait;	/* first waiting one in reqs */
	unsigned int		 nreqs;
	unsigned int		 nrunning;
	char			*keyspace;	/* use; NULL: none */
	size_t			 drain_left;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
};

void		 client_accept(int fd, int readonly, uid_t, gid_t, pid_t);
/* Refuse a connection with one error line, then close it. */
void		 client_refuse(int fd, const char *code, const char *msg);
void		 client_free_all(void);
/* SIGTERM: read only what is already in the socket, then finish. */
void		 client_drain(struct client *);
/* Drain deadline: answer shutting_down to everything left, close. */
void		 client_abort(struct client *);
/* Limits may have changed (reload): resume reading where allowed. */
void		 client_kick(struct client *);
/* Queue an answer line (ends in "\n"); sent at the end of the turn. */
void		 client_write(struct client *, const void *, size_t);
/* The request was answered: drop it and start what may start. */
void		 creq_finish(struct creq *);
/* Take a request off its client's list (the caller counts). */
void		 client_req_remove(struct client *, struct creq *);
/* Prefix for logs: "client 12 (uid 1000 pid 345)". */
const char	*client_name(struct client *);
/* Bytes the daemon holds for this client (buffers), for tests. */
size_t		 client_buffered(struct client *);

/* jsonproto.c */

/* An answer under construction. */
struct ans {
	struct wbuf	 w;
	int		 compact;
};

/* Parse one line into a request (never fails: errors become early). */
struct creq	*jsonproto_parse(const char *, size_t, int readonly);
void		 creq_free(struct creq *);
/* Exiting: stop the idle timer, let the free lists go. */
void		 jsonproto_free(void);
/* Run a request whose turn has come. */
void		 jsonproto_start(struct creq *);

/* Answers: begin, add members, then creq_reply (which frees). */
void		 ans_begin(struct ans *, struct creq *, int ok);
/* Drop an answer that will not be sent. */
void		 ans_free(struct ans *);
void		 ans_key(struct ans *, const char *);
void		 ans_string(struct ans *, const char *);
void		 ans_stringn(struct ans *, const char *, size_t);
void		 ans_int(struct ans *, int64_t);
void		 ans_bool(struct ans *, int);
void		 ans_null(struct ans *);
void		 ans_raw(struct ans *, const char *);

/*
 * Appends are many and small: inline, copying straight in while there
 * is room (a literal's copy is then a move or two), else through
 * wbuf_raw, which grows the buffer or notes it went past the cap.
 */
static inline void
ans_rawn(struct ans *a, const char *s, size_t n)
{
	struct wbuf	*w = &a->w;

	if (w->err == NULL && w->size - w->len >= n) {
		memcpy(w->p + w->len, s, n);
		w->len += n;
	} else
		wbuf_raw(w, s, n);
}
/* A string literal, its length known. */
#define ans_lit(a, s)	ans_rawn((a), "" s "", sizeof (s) - 1)

/* The separators, as compact says. */
static inline void
ans_comma(struct ans *a)
{
	if (a->compact)
		ans_lit(a, ",");
	else
		ans_lit(a, ", ");
}

static inline void
ans_colon(struct ans *a)
{
	if (a->compact)
		ans_lit(a, ":");
	else
		ans_lit(a, ": ");
}

/*
 * A member name known to need no escaping, with the separators before
 * and after it: one append (k is a string literal).
 */
#define ans_key_lit(a, k)	do {					\
	if ((a)->compact)						\
		ans_lit((a), ",\"" k "\":");				\
	else								\
		ans_lit((a), ", \"" k "\": ");				\
} while (0)
/* A jansson value (stolen: decref'd here). */
void		 ans_json(struct ans *, json_t *);
void		 ans_hex(struct ans *, const uint8_t *, size_t, int prefix);
void		 ans_uuid(struct ans *, const uint8_t[16]);
/* Close the object, send it, finish the request. */
void		 creq_reply(struct creq *, struct ans *, const char *outcome);
/*
 * Answer an error now and let go of the request: the op still running it
 * (if any) will find it orphaned and its answer is dropped (drain).
 */
void		 creq_detach_error(struct creq *, const char *, const char *);
/* A whole error answer: code, message, extra members (stolen; or NULL). */
void		 creq_error(struct creq *, const char *code, json_t *extra,
		     const char *, ...) __attribute__((__format__(__printf__, 4, 5)));
/* The error answer for a core result that failed. */
void		 creq_error_result(struct creq *, const struct result *,
		     json_t *extra);
/* The stable code of a core result's error ("unavailable", ...). */
const char	*jsonproto_result_code(const struct result *);
/* A member of the request as a tree (borrowed), NULL if absent. */
json_t		*jp_get(struct creq *, enum jpkey);
/* The same by name (any name; for tests and harnesses). */
json_t		*jp_get_name(struct creq *, const char *);
/* The values member as a table of scalars: 1, or 0 (then jp_get). */
int		 jp_values(struct creq *, const struct jsonval_scalar **,
		     size_t *);
/* A member's name. */
const char	*jp_key_name(enum jpkey);
/* Field readers: 0 if absent (default kept), 1 if read, -1 answered. */
int		 jp_string(struct creq *, enum jpkey, const char **);
/* The same with strlen of the string (as C text, to a first NUL). */
int		 jp_string_len(struct creq *, enum jpkey, const char **,
		     size_t *);
int		 jp_bool(struct creq *, enum jpkey, int *);
int		 jp_int(struct creq *, enum jpkey, int64_t, int64_t,
		     int64_t *);
/* "ok", the code: the outcome label. */
int		 jsonproto_is_local_op(enum metrics_op);

/* ops-cql.c */
void		 op_query(struct creq *);
void		 op_prepare(struct creq *);
void		 op_execute(struct creq *);
void		 op_batch(struct creq *);
void		 op_use(struct creq *);
/* 1 if a statement only reads (read-only socket). */
int		 cql_is_select(const char *);
/* USE: 1 and the keyspace name in ks (NUL-terminated), 0 if not USE. */
int		 cql_parse_use(const char *, char *, size_t);
/* Set up the prepared-statement cache once the cluster exists. */
void		 ops_cql_init(void);
void		 ops_cql_free(void);

/* ops-info.c */
void		 op_schema(struct creq *);
void		 op_hosts(struct creq *);
void		 op_trace(struct creq *);
void		 op_ping(struct creq *);
void		 op_stats(struct creq *);
void		 ops_info_free(void);

/* notify.c */
/* Send a state line to systemd ($NOTIFY_SOCKET); quiet if unset. */
void		 notify_send(const char *, ...)
		     __attribute__((__format__(__printf__, 1, 2)));
/* $WATCHDOG_USEC if the watchdog is meant for us, else 0. */
uint64_t	 notify_watchdog_usec(void);

#endif
