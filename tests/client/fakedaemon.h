/*
 * fakedaemon.h: a tiny stand-in for cqlproxyd, for libcqlproxy's tests.
 * It listens on a Unix socket in a thread and answers each JSON line the
 * way the protocol says, from canned rules keyed on the request's "cql"
 * or "op" (see fakedaemon.c).  It records every line it received and on
 * which connection, so tests can prove what the library sent.
 */
#ifndef FAKEDAEMON_H
#define FAKEDAEMON_H

#include <pthread.h>
#include <stddef.h>

#define FAKE_MAX_LINES	4096

struct fake {
	char		 path[108];
	char		 dir[64];
	int		 lfd;
	int		 wake[2];
	pthread_t	 thread;
	int		 running;
	pthread_mutex_t	 lock;
	/* What was received (under lock). */
	char		*lines[FAKE_MAX_LINES];
	int		 conn_of[FAKE_MAX_LINES];
	int		 nlines;
	int		 nconns;	/* connections accepted, ever */
	int		 generation;	/* restarts: prepared handles forgotten */
	int		 max_clients;	/* > 0: reject more with too_many_clients */
};

/* Start on a fresh socket path; 0 or -1. */
int	 fake_start(struct fake *);
/* Stop: close the listener and every connection. */
void	 fake_stop(struct fake *);
/* Stop and start again on the same path (a daemon restart). */
int	 fake_restart(struct fake *);
/* Remove the socket and directory. */
void	 fake_cleanup(struct fake *);
/* Received lines containing needle. */
int	 fake_count(struct fake *, const char *needle);
/* The last line received (copy to free), or NULL. */
char	*fake_last(struct fake *);
/* Connection number of the n-th line received (-1 if none). */
int	 fake_conn(struct fake *, int n);

#endif
