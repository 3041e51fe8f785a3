/*
 * fakenode.h: a scriptable one-node CQL server for connection tests, on
 * 127.0.0.1 in the test's own event loop.  It speaks just enough of the
 * protocol (OPTIONS, STARTUP, AUTH_RESPONSE, REGISTER, QUERY) to drive
 * the cases a real node or cqlmock will not produce on demand: a version
 * refusal, answers held back or never sent, frames too large, answers on
 * streams nobody asked on, system tables scripted by the test.
 */
#ifndef CQLP_FAKENODE_H
#define CQLP_FAKENODE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

enum fakenode_mode {
	FAKE_ANSWER = 0,	/* answer QUERY at once with RESULT Void */
	FAKE_HOLD,		/* keep QUERY streams until fakenode_release */
	FAKE_SILENT		/* read everything, answer nothing at all */
};

struct fakenode_stats {
	int	 connections;		/* accepted */
	int	 ops[256];		/* requests by opcode */
	int	 refused_versions;	/* protocol errors for the version */
	int	 held;			/* QUERY streams held now */
	int	 max_held;
	int	 reads;			/* read callbacks that got bytes */
	uint8_t	 last_version;		/* version of the last request */
};

struct fakenode;
struct wbuf;

/*
 * Answers QUERY text q (len bytes) by writing a RESULT body (kind first)
 * into body and returning 1; 0 leaves the query to the mode.
 */
typedef int	(*fakenode_query_fn)(const char *q, size_t len,
		     struct wbuf *body, void *arg);

/* Listen on 127.0.0.1, any port; max_version is the highest spoken. */
struct fakenode	*fakenode_new(struct event_base *, int max_version);
void		 fakenode_free(struct fakenode *);
uint16_t	 fakenode_port(struct fakenode *);
void		 fakenode_set_mode(struct fakenode *, enum fakenode_mode);
/* Script QUERY answers (system tables, ...); NULL fn: none. */
void		 fakenode_set_query_fn(struct fakenode *, fakenode_query_fn,
		     void *);
/* Require PasswordAuthenticator credentials. */
void		 fakenode_set_auth(struct fakenode *, const char *,
		     const char *);
/* Answer the n oldest held QUERY requests, newest first; how many. */
int		 fakenode_release(struct fakenode *, int n);
/* Bytes to the newest client connection, as they are. */
void		 fakenode_send_raw(struct fakenode *, const void *, size_t);
/* A STATUS_CHANGE UP event for 127.0.0.1:port to registered clients. */
void		 fakenode_send_event(struct fakenode *, int port);
/* Drop every client connection. */
void		 fakenode_drop(struct fakenode *);
const struct fakenode_stats *fakenode_stats(struct fakenode *);

#endif
