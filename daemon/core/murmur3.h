/*
 * murmur3.h: Cassandra's Murmur3Partitioner, the token of a partition key.
 *
 * The token is the first 64-bit half of MurmurHash3 x64 128 (seed 0) as
 * Cassandra computes it: the 1-15 tail bytes are sign-extended before they
 * are mixed in (Java bytes are signed), and INT64_MIN, which Cassandra keeps
 * for the ring's minimum token, becomes INT64_MAX.
 *
 * A single-column partition key is hashed over its serialized value as is.
 * A composite one is hashed over the concatenation, per component, of a
 * 2-byte big-endian length, the bytes, and a 0x00 byte.
 */
#ifndef CQLP_MURMUR3_H
#define CQLP_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

struct wbuf;
struct slice;

/* The 128-bit hash, h[0] being the half Cassandra uses for tokens. */
void	 murmur3_hash128(const void *, size_t, uint64_t h[2]);

/* Token of a serialized partition key (INT64_MIN is never returned). */
int64_t	 murmur3_token(const void *, size_t);

/*
 * Append one component of a composite partition key to w. A component
 * longer than 65535 bytes cannot be encoded: w's sticky error is set.
 */
void	 murmur3_composite_add(struct wbuf *, const void *, size_t);

/*
 * Token of a routing key given as its n component values (in partition-key
 * order): one component is hashed as is, several as a composite. Returns 0
 * and sets *token, or -1 when n is 0 or a component of a composite key is
 * longer than 65535 bytes.
 */
int	 murmur3_routing_token(const struct slice *, size_t, int64_t *token);

#endif
