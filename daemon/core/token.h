/*
 * token.h: the token ring of a Murmur3 cluster and replica placement.
 *
 * A token map is built from every host's tokens, data center and rack.
 * Keyspaces are then given their replication settings (the 'replication'
 * map of system_schema.keyspaces); for each distinct setting the replicas of
 * every token range are computed once, so "which hosts hold token T of
 * keyspace K" is a binary search over the ring and no allocation.
 *
 * Ownership follows Cassandra: the ring's host tokens, sorted, split it into
 * ranges (previous token, token]; a token t belongs to the first host token
 * >= t, wrapping past the largest to the smallest.
 *
 * Replica lists are the set Cassandra 4.0 places, listed in ring order from
 * the token (so the first entry is the range's primary owner when it is a
 * replica):
 *   SimpleStrategy		the first replication_factor distinct hosts
 *				met walking clockwise;
 *   NetworkTopologyStrategy	per data center, walking clockwise, hosts in
 *				racks not yet used are taken; hosts in used
 *				racks only once every rack of the data center
 *				has a replica (the first ones met); a data
 *				center with fewer hosts than its factor gives
 *				all of them;
 *   EverywhereStrategy		every host of the ring (one shared list, in
 *				ring order from the smallest token);
 *   LocalStrategy, unknown	no replicas (data is local to any coordinator,
 *				or placement is unknown: route as if no token).
 *
 * A map is read-only once built and its keyspaces are set: any number of
 * threads may look up concurrently. Changing keyspaces is not thread-safe;
 * on a topology change build a new map with token_map_rebuild() and swap.
 * Lists returned point into the map and stay valid until it is freed; host
 * handles are the caller's and must outlive the map.
 */
#ifndef CQLP_TOKEN_H
#define CQLP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Limits on sizes that come from peers (system tables). */
#define TOKEN_RING_MAX		(1U << 20)	/* tokens in a ring */
#define TOKEN_RF_MAX		1024		/* one replication factor */
#define TOKEN_DC_MAX		256		/* data centers in an NTS map */
#define TOKEN_TABLE_MAX		(1U << 24)	/* entries in a replica table */

/* One host as the map is built from it. Strings are copied. */
struct token_host {
	void		*host;		/* caller's handle, given back */
	const char	*dc;		/* NULL reads as "" */
	const char	*rack;		/* NULL reads as "" */
	const int64_t	*tokens;	/* none: the host is not placed */
	size_t		 ntokens;
};

enum token_strategy {
	TOKEN_STRATEGY_UNKNOWN = 0,
	TOKEN_STRATEGY_SIMPLE,
	TOKEN_STRATEGY_NTS,
	TOKEN_STRATEGY_LOCAL,
	TOKEN_STRATEGY_EVERYWHERE
};

/* A keyspace's replication settings, parsed. */
struct token_repl;
/* The ring with its keyspaces. */
struct token_map;

/*
 * Parse a replication map given as n key/value pairs: 'class' with a full or
 * short class name (org.apache.cassandra.locator.SimpleStrategy or
 * SimpleStrategy, ...), then 'replication_factor' for SimpleStrategy or one
 * factor per data center for NetworkTopologyStrategy (NTS ignores a
 * 'replication_factor' key). Factors may be "N" or "N/T" (T transient; N
 * counts all replicas). An unknown class parses as TOKEN_STRATEGY_UNKNOWN.
 * Returns NULL with *cause (static) set when the map is malformed.
 */
struct token_repl *token_repl_parse(const char *const *keys,
		    const char *const *values, size_t n, const char **cause);
struct token_repl *token_repl_dup(const struct token_repl *);
void		 token_repl_free(struct token_repl *);
int		 token_repl_equal(const struct token_repl *,
		    const struct token_repl *);
enum token_strategy token_repl_strategy(const struct token_repl *);
/* SimpleStrategy: the factor; NTS: that DC's factor (0 if absent). */
int		 token_repl_factor(const struct token_repl *, const char *dc);
const char	*token_strategy_name(enum token_strategy);

/*
 * Build the ring from n hosts. Returns NULL with *cause set when the ring
 * is larger than TOKEN_RING_MAX. Duplicate tokens: the first host listed
 * keeps the token.
 */
struct token_map *token_map_new(const struct token_host *, size_t n,
		    const char **cause);
/*
 * A new map over a new host list carrying every keyspace of old (replicas
 * recomputed). old is left as it was; the caller frees it after the swap.
 */
struct token_map *token_map_rebuild(const struct token_map *old,
		    const struct token_host *, size_t n, const char **cause);
void		 token_map_free(struct token_map *);

/* Tokens in the ring, and hosts that own at least one. */
size_t		 token_map_ring_size(const struct token_map *);
size_t		 token_map_host_count(const struct token_map *);

/*
 * Set (or replace) a keyspace's replication; repl is copied. A NULL repl
 * drops the keyspace. Keyspaces with equal settings share one table.
 */
void		 token_map_set_keyspace(struct token_map *, const char *ks,
		    const struct token_repl *);
void		 token_map_drop_keyspace(struct token_map *, const char *ks);

/*
 * Replicas of token t in keyspace ks: *hosts gets the list of the callers'
 * handles, *n its length (0 for LocalStrategy, unknown strategies or an
 * empty ring). Returns -1 when the keyspace is not known to the map.
 */
int		 token_map_replicas(const struct token_map *, const char *ks,
		    int64_t t, void *const **hosts, size_t *n);

/*
 * The same in two steps for callers that keep the keyspace's handle: the
 * handle is valid until the keyspace is set again or the map is freed.
 */
struct token_table;
const struct token_table *token_map_keyspace(const struct token_map *,
		    const char *ks);
void		 token_table_replicas(const struct token_table *, int64_t t,
		    void *const **hosts, size_t *n);
const struct token_repl *token_table_repl(const struct token_table *);
/*
 * Changes whenever a keyspace is set or dropped, and differs between maps
 * (never reused): a handle kept with the serial it was got under is still
 * the keyspace's while the map's serial is the same.
 */
uint64_t	 token_map_ks_serial(const struct token_map *);

/* Replicas for a replication setting not tied to a keyspace (cached). */
const struct token_table *token_map_table(struct token_map *,
		    const struct token_repl *);

/* Parse a Murmur3 token as system.local/peers give it (decimal text). */
int		 token_parse(const char *, int64_t *);

/*
 * Evenly spaced tokens for node idx of count nodes with ntokens each (out
 * has room for ntokens), sorted ascending; node i's vnodes interleave with
 * the others'. Deterministic: the same arguments give the same tokens.
 */
void		 token_assign(size_t idx, size_t count, size_t ntokens,
		    int64_t *out);

#endif
