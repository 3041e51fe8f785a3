/*
 * rng.c: cqlmock's randomness (tokens, host ids), reproducible from a seed,
 * and the uuids it hands out: random (v4) and time-based (v1, timeuuid).
 */
#include <sys/random.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "mock.h"

static uint64_t
rng_splitmix(uint64_t *x)
{
	uint64_t	z;

	z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Expand one seed into the xoshiro256** state, as its authors advise. */
void
rng_seed(struct rng *r, uint64_t seed)
{
	size_t	i;

	for (i = 0; i < nitems(r->s); i++)
		r->s[i] = rng_splitmix(&seed);
}

static uint64_t
rng_rotl(uint64_t x, int k)
{
	return ((x << k) | (x >> (64 - k)));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t	*s = r->s, result, t;

	result = rng_rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return (result);
}

void
rng_uuid4(struct rng *r, uint8_t u[16])
{
	uint64_t	a = rng_next(r), b = rng_next(r);
	int		i;

	for (i = 0; i < 8; i++) {
		u[i] = a >> (56 - 8 * i);
		u[8 + i] = b >> (56 - 8 * i);
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
}

uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* 100 ns intervals between the Gregorian epoch (1582-10-15) and 1970. */
#define UUID_EPOCH_OFFSET	0x01B21DD213814000ULL

/*
 * A version 1 uuid for now. Ticks are kept strictly increasing so two
 * uuids made in the same 100 ns (or after the clock steps back) differ.
 */
void
uuid_timeuuid(struct rng *r, uint8_t u[16])
{
	static uint64_t	 last;
	static uint8_t	 node[6];
	static uint16_t	 clockseq;
	static int	 inited;
	struct timespec	 ts;
	uint64_t	 t, x;
	int		 i;

	if (!inited) {
		x = rng_next(r);
		for (i = 0; i < 6; i++)
			node[i] = x >> (8 * i);
		node[0] |= 0x01;	/* multicast bit: not a real MAC */
		clockseq = (x >> 48) & 0x3fff;
		inited = 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t = (uint64_t)ts.tv_sec * 10000000 + ts.tv_nsec / 100 +
	    UUID_EPOCH_OFFSET;
	if (t <= last)
		t = last + 1;
	last = t;

	u[0] = t >> 24;
	u[1] = t >> 16;
	u[2] = t >> 8;
	u[3] = t;
	u[4] = t >> 40;
	u[5] = t >> 32;
	u[6] = ((t >> 56) & 0x0f) | 0x10;
	u[7] = t >> 48;
	u[8] = ((clockseq >> 8) & 0x3f) | 0x80;
	u[9] = clockseq;
	memcpy(u + 10, node, 6);
}

/* Milliseconds since 1970 that a timeuuid carries. */
int64_t
uuid_time_ms(const uint8_t u[16])
{
	uint64_t	t;

	t = ((uint64_t)(u[6] & 0x0f) << 56) | ((uint64_t)u[7] << 48) |
	    ((uint64_t)u[4] << 40) | ((uint64_t)u[5] << 32) |
	    ((uint64_t)u[0] << 24) | ((uint64_t)u[1] << 16) |
	    ((uint64_t)u[2] << 8) | u[3];
	return ((int64_t)((t - UUID_EPOCH_OFFSET) / 10000));
}

void
uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}
