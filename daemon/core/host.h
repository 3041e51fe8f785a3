/*
 * host.h: one Cassandra node as the driver core knows it.
 *
 * A host is reference counted: the cluster's host list holds one reference,
 * and every pool, connection or request that keeps a pointer takes its own
 * (host_ref/host_unref); the last unref frees it.  Its identity is its
 * address (IPv4 or IPv6, with the native protocol port); the rest is filled
 * in from system.local/system.peers by whoever discovers it.
 *
 * State and distance change only through host_set_state/host_set_distance
 * so that listeners (metrics, logs, policies) hear about every change.
 * Listeners live in a struct host_listeners registry shared by the hosts
 * of one cluster; a host made without one has nobody to tell.
 */
#ifndef CQLP_HOST_H
#define CQLP_HOST_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

enum host_state {
	HOST_UNKNOWN = 0,	/* never connected to yet */
	HOST_UP,		/* a pool connection is open */
	HOST_DOWN		/* lost or unreachable; reconnecting */
};

enum host_distance {
	HOST_LOCAL = 0,		/* in the local data center: full pool */
	HOST_REMOTE,		/* elsewhere: smaller pool, used on failover */
	HOST_IGNORED		/* never connected to */
};

/* Longest "[ffff:...]:65535" host_name() makes. */
#define HOST_NAME_LEN	(46 + 8)

struct host_listeners;

struct host {
	struct sockaddr_storage	 addr;		/* address and port */
	socklen_t		 addrlen;
	uint16_t		 port;		/* also inside addr */
	char			 name[HOST_NAME_LEN];	/* for logs */

	char			*dc;		/* NULL until known */
	char			*rack;
	/*
	 * New (unique over all hosts, for the process's life) whenever dc
	 * or rack is set: a cache of a verdict on the host's location is
	 * still right while the serial it was made for is.
	 */
	uint64_t		 loc_serial;
	char			*release_version;
	uint8_t			 host_id[16];
	int			 has_host_id;
	int64_t			*tokens;	/* sorted by the owner, or not */
	size_t			 ntokens;

	enum host_state		 state;
	enum host_distance	 distance;

	struct host_listeners	*listeners;	/* NULL: none */
	unsigned int		 references;
};

/* Address parsing: "127.0.0.1", "::1" (no brackets), with the port. */
int		 host_addr_parse(const char *, uint16_t,
		     struct sockaddr_storage *, socklen_t *);

/* A new host with one reference held by the caller; listeners may be NULL. */
struct host	*host_new(const struct sockaddr *, socklen_t,
		     struct host_listeners *);
/* host_new from a numeric address string; NULL if it does not parse. */
struct host	*host_new_name(const char *, uint16_t,
		     struct host_listeners *);
void		 host_unref_slow(struct host *);

/* Inline: a request takes and drops several references to its hosts. */
static inline struct host *
host_ref(struct host *h)
{
	h->references++;
	return (h);
}

/* Drop a reference (NULL is fine); host_unref_slow frees on the last. */
static inline void
host_unref(struct host *h)
{
	if (h != NULL && h->references > 1) {
		h->references--;
		return;
	}
	host_unref_slow(h);
}

/* Metadata setters: strings are copied, tokens are copied. */
void		 host_set_dc(struct host *, const char *);
void		 host_set_rack(struct host *, const char *);
void		 host_set_release_version(struct host *, const char *);
void		 host_set_host_id(struct host *, const uint8_t[16]);
void		 host_set_tokens(struct host *, const int64_t *, size_t);

/*
 * Change the state; listeners' on_up/on_down run when it becomes UP or
 * DOWN from something else.  Returns 1 if it changed, 0 if it was already so.
 */
int		 host_set_state(struct host *, enum host_state);
void		 host_set_distance(struct host *, enum host_distance);
/* 1 if the two hosts have the same address and port. */
int		 host_same_addr(const struct host *, const struct sockaddr *,
		     socklen_t);

const char	*host_state_name(enum host_state);
const char	*host_distance_name(enum host_distance);

/*
 * Listeners.  Any callback may be NULL.  Callbacks run synchronously in
 * the order listeners were added; one may add or remove listeners (a
 * listener added meanwhile is not called for the change in progress).
 * The registry must outlive the hosts that point at it.
 * on_add and on_remove are raised by whoever owns the host list
 * (host_listeners_added/host_listeners_removed).
 */
struct host_listener {
	void	(*on_up)(struct host *, void *);
	void	(*on_down)(struct host *, void *);
	void	(*on_add)(struct host *, void *);
	void	(*on_remove)(struct host *, void *);
	void	*arg;
};

struct host_listeners *host_listeners_new(void);
void		 host_listeners_free(struct host_listeners *);
/* Returns an id for host_listener_remove. */
int		 host_listener_add(struct host_listeners *,
		     const struct host_listener *);
void		 host_listener_remove(struct host_listeners *, int);
void		 host_listeners_added(struct host_listeners *, struct host *);
void		 host_listeners_removed(struct host_listeners *,
		     struct host *);

#endif
