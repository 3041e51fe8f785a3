/*
 * trace.h: reading a request's trace (system_traces) once the coordinator
 * has finished writing it.
 *
 *	opts.tracing = 1;  cluster_execute(...)  -> r->tracing_id, r->host
 *	tf = trace_fetch(c, r->tracing_id, 2000, got, arg);
 *	    got(t, CORE_OK, "", arg) later: t is the receiver's (trace_free)
 *	    got(NULL, CORE_ETIMEOUT, "trace not complete after 2000 ms", arg)
 *
 * Nodes write trace rows asynchronously after answering, and the session
 * row's duration last, so the fetch polls system_traces.sessions
 * (consistency ONE, on the coordinator when given) until the row exists
 * and has its duration, waiting interval_ms between polls and growing
 * the wait by half each time (up to max_interval_ms), as the DataStax
 * drivers do; then it reads every system_traces.events row of the session
 * (clustering order: by event_id), following pages.  The whole fetch is
 * bounded by max_wait_ms; past it the callback gets CORE_ETIMEOUT and the
 * message "trace not complete after N ms".  Other errors: a statement the
 * node refuses (CORE_ESERVER), rows that do not decode (CORE_EPROTOCOL),
 * the cluster closing (CORE_ESHUTDOWN).  Transient failures of one poll
 * (timeouts, unavailable hosts) are retried until the deadline.
 */
#ifndef CQLP_TRACE_H
#define CQLP_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct cluster;
struct host;
struct trace_fetch;

/* Defaults: the C/C++ driver's 3 ms retry, Python's 2 s max_trace_wait. */
#define TRACE_INTERVAL_MS	3
#define TRACE_MAX_INTERVAL_MS	100
#define TRACE_MAX_WAIT_MS	2000
#define TRACE_MAX_EVENTS	100000	/* events kept; the rest dropped */
#define TRACE_PAGE_SIZE		5000

struct trace_param {
	char		*key;
	char		*value;
};

struct trace_event {
	uint8_t		 event_id[16];	/* timeuuid */
	char		*activity;
	char		*source;	/* address text; "" if null */
	int32_t		 source_elapsed;	/* microseconds; -1 if null */
	char		*thread;
};

/* Strings are never NULL ("" for null cells). */
struct trace {
	uint8_t			 session_id[16];
	char			*coordinator;	/* address text */
	int32_t			 duration_us;
	char			*request;
	struct trace_param	*params;	/* the parameters map */
	size_t			 nparams;
	int64_t			 started_at;	/* ms since the epoch */
	char			*client;	/* address text */
	char			*command;
	struct trace_event	*events;	/* by event_id */
	size_t			 nevents;
	int			 truncated;	/* more than TRACE_MAX_EVENTS */
	unsigned int		 polls;		/* sessions queries made */
};
void		 trace_free(struct trace *);
/* The value of a parameter, or NULL. */
const char	*trace_param(const struct trace *, const char *);

struct trace_opts {
	struct host	*host;		/* the coordinator; NULL: any */
	int		 interval_ms;	/* first wait between polls */
	int		 max_interval_ms;
	int		 max_wait_ms;	/* the whole fetch; > 0 */
	uint16_t	 consistency;	/* CL_ONE */
};
void		 trace_opts_default(struct trace_opts *);

/* t is the receiver's on CORE_OK (trace_free); NULL otherwise. */
typedef void	(*trace_cb)(struct trace *t, enum core_error,
		     const char *why, void *arg);

/*
 * Fetch a trace; the callback runs exactly once, later (never inside the
 * call), unless trace_fetch_cancel() is called first.  The handle is
 * valid until the callback runs.
 */
struct trace_fetch *trace_fetch(struct cluster *, const uint8_t id[16],
		     int max_wait_ms, trace_cb, void *);
struct trace_fetch *trace_fetch_opts(struct cluster *, const uint8_t id[16],
		     const struct trace_opts *, trace_cb, void *);
/* The callback will not run (not from inside it, not after it ran). */
void		 trace_fetch_cancel(struct trace_fetch *);

#endif
