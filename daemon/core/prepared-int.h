/*
 * prepared-int.h: what prepared.c (the cache, entries, re-preparing) and
 * prepared-chan.c (the per-host keyspace channels) share.  Nothing else
 * includes it.
 */
#ifndef CQLP_PREPARED_INT_H
#define CQLP_PREPARED_INT_H

#include <sys/queue.h>

#include <stdint.h>

#include "prepared.h"

struct event;
struct firstjob;
struct upbatch;

/* What an entry is doing; only pentry_set_state changes it. */
enum pentry_state {
	PE_PREPARING = 0,	/* in the key index, first PREPARE running */
	PE_READY,		/* has an id; in the id index */
	PE_DEAD			/* the first PREPARE failed; waiting to go */
};

struct prepared_wait {
	TAILQ_ENTRY(prepared_wait) entry;
	struct prepared_cache	*cache;
	struct pentry		*pe;		/* referenced */
	int			 on_ready_q;	/* else on pe->waiters */
	prepared_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(wait_list, prepared_wait);

/* Someone waiting for one host prepare. */
typedef void	(*hp_fn)(struct prepared_cache *, struct pentry *,
		     struct host *, const struct result *, int ok, void *);
struct hpwaiter {
	TAILQ_ENTRY(hpwaiter)	 entry;
	hp_fn			 fn;
	void			*arg;
};

/* Where a host prepare stands on its keyspace channel. */
enum hp_stage {
	HP_QUEUED = 0,
	HP_USE,			/* USE sent, waiting for Set_keyspace */
	HP_PREPARE		/* PREPARE sent */
};

/* One PREPARE of one entry on one host, shared by all who need it. */
struct hostprep {
	LIST_ENTRY(hostprep)	 pentry;	/* on pe->hostpreps */
	TAILQ_ENTRY(hostprep)	 qentry;	/* on chan->queue */
	struct prepared_cache	*cache;
	struct pentry		*pe;		/* referenced */
	struct host		*host;		/* referenced */
	struct request		*req;		/* pool path, in flight */
	struct pchan		*chan;		/* channel path */
	enum hp_stage		 stage;
	uint64_t		 connreq;
	TAILQ_HEAD(, hpwaiter)	 waiters;
};

struct pentry {
	struct prepared		 p;		/* first: the public part */
	struct prepared_cache	*cache;		/* NULL once the cache is gone */
	enum pentry_state	 state;
	uint64_t		 keyhash;
	struct pentry		*key_next;
	int			 in_keyidx;
	struct pentry		*id_next;
	int			 in_ididx;
	TAILQ_ENTRY(pentry)	 lru;
	int			 in_lru;
	TAILQ_ENTRY(pentry)	 hlru;
	int			 in_hlru;
	TAILQ_ENTRY(pentry)	 all;
	struct wait_list	 waiters;
	LIST_HEAD(, hostprep)	 hostpreps;
	char			*table_keyspace;
	char			*table;
};
TAILQ_HEAD(pentry_list, pentry);

/* A host's keyspace channel: one connection, one request at a time. */
struct pchan {
	LIST_ENTRY(pchan)	 entry;
	struct prepared_cache	*cache;
	struct host		*host;		/* referenced */
	struct conn		*conn;
	char			*keyspace;	/* the connection's current one */
	TAILQ_HEAD(, hostprep)	 queue;
	struct hostprep		*cur;		/* request on the wire */
	struct event		*kick;
	struct event		*idle;
	int			 drop;		/* host went: close it all */
};

struct prepared_cache {
	struct cluster		*c;
	struct event_base	*base;
	struct prepared_config	 cfg;
	struct prepared_metrics	 m;

	struct pentry		**keyidx;
	size_t			 nkeyb;		/* buckets, power of 2 */
	size_t			 nkey;
	struct pentry		**ididx;
	size_t			 nidb;
	size_t			 nid;

	struct pentry_list	 lru;		/* most recent first */
	size_t			 nlru;
	struct pentry_list	 hlru;
	size_t			 nhlru;
	struct pentry_list	 all;

	struct wait_list	 ready_q;	/* hits awaiting delivery */
	struct event		*deliver;

	LIST_HEAD(, pchan)	 chans;
	LIST_HEAD(, firstjob)	 firsts;
	LIST_HEAD(, upbatch)	 batches;

	int			 listener;
	int			 slistener;
	int			 freeing;
};

/* prepared.c */
/* A host prepare ended (r: its result, valid during the call). */
void	 hostprep_done(struct hostprep *, const struct result *);
/* Arm a timer to fire on the next loop turn. */
void	 prepared_defer(struct event *);

/* prepared-chan.c */
/* Queue a host prepare of a keyspace entry on its host's channel. */
void	 pchan_enqueue(struct prepared_cache *, struct hostprep *);
/* The host went down or away: close its channel on the next turn. */
void	 pchan_host_gone(struct prepared_cache *, struct host *);
/* Close every channel now, failing what they hold. */
void	 pchan_destroy_all(struct prepared_cache *, const char *);

#endif
