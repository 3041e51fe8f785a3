/*
 * mockproc.h: run cqlmock from a C test.
 *
 *	struct mockproc m;
 *	if ((rv = mockproc_start(&m, 3, NULL)) == MOCKPROC_MISSING)
 *		exit(77);			(skip: binary not built)
 *	... connect to mockproc_addr(&m, 1) on m.port ...
 *	mockproc_control(&m, NULL, 0, "{\"op\":\"stop\",\"node\":%d}", 2);
 *	mockproc_stop(&m);
 *
 * The binary is $CQLMOCK, else $top_builddir/tests/mock/cqlmock; extra
 * options come from mockproc_start_args (a test's own, such as
 * "--trace-delay-ms", "200") and then from $CQLMOCK_ARGS (blank-separated
 * words, for running a suite against another mock setting).  The mock
 * gets a free port (tried on every node address), a control socket and
 * logs in a fresh temporary directory; mockproc_start waits (bounded) for
 * its `ready` line.  mockproc_stop sends SIGTERM (SIGKILL after a timeout)
 * and removes the directory unless CQLMOCK_KEEP_LOGS is set.
 */
#ifndef CQLP_MOCKPROC_H
#define CQLP_MOCKPROC_H

#include <sys/types.h>

#include <stddef.h>

#define MOCKPROC_MISSING	77	/* mockproc_start: no binary: skip */
#define MOCKPROC_READY_MS	30000
#define MOCKPROC_STOP_MS	10000
#define MOCKPROC_CONTROL_MS	15000

struct mockproc {
	pid_t		 pid;
	int		 port;
	int		 nodes;
	int		 control_fd;
	char		 dir[64];
	char		 control[100];	/* fits sun_path */
	char		 out_log[128];
	char		 err_log[128];
	char		 addr[16];	/* scratch for mockproc_addr */
};

/* The binary's path (static storage). */
const char	*mockproc_path(void);
/*
 * Start nodes nodes (dcs like "dc1:3,dc2:2" or NULL); 0, MOCKPROC_MISSING,
 * or -1 with the reason on stderr.
 */
int		 mockproc_start(struct mockproc *, int nodes, const char *dcs);
/* The same with extra cqlmock arguments (NULL-terminated, or NULL). */
int		 mockproc_start_args(struct mockproc *, int nodes,
		     const char *dcs, const char *const *args);
/* SIGTERM and wait; 0 if it exited with status 0. */
int		 mockproc_stop(struct mockproc *);
/* "127.0.0.i" (in m->addr: copy before the next call). */
const char	*mockproc_addr(struct mockproc *, int i);
/*
 * Send one control request (printf-style JSON) and read the answer line
 * into ans (if not NULL).  0 if the answer has "ok":true, -1 otherwise.
 */
int		 mockproc_control(struct mockproc *, char *ans, size_t anslen,
		     const char *fmt, ...) __attribute__((__format__(__printf__, 4, 5)));
/* Write the mock's stderr (tail) to our stderr, for failing tests. */
void		 mockproc_dump(struct mockproc *);

#endif
