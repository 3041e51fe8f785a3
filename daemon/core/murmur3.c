/*
 * murmur3.c: the Murmur3Partitioner token, written from the MurmurHash3
 * x64 128 algorithm with Cassandra's signed-tail quirk.
 */
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "murmur3.h"

#define MURMUR3_C1	0x87c37b91114253d5ULL
#define MURMUR3_C2	0x4cf5ad432745937fULL

static inline uint64_t
murmur3_rotl(uint64_t v, int r)
{
	return ((v << r) | (v >> (64 - r)));
}

/* The final avalanche of each 64-bit half. */
static inline uint64_t
murmur3_fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (k);
}

/* Blocks are read little-endian whatever the host's byte order. */
static inline uint64_t
murmur3_block(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (v);
}

/* Cassandra widens each tail byte as a signed Java byte, not unsigned. */
static inline uint64_t
murmur3_tailbyte(const uint8_t *p, size_t i, int shift)
{
	return ((uint64_t)(int64_t)(int8_t)p[i] << shift);
}

void
murmur3_hash128(const void *key, size_t len, uint64_t h[2])
{
	const uint8_t	*p = key;
	const uint8_t	*tail;
	size_t		 nblocks = len / 16, i;
	uint64_t	 h1 = 0, h2 = 0, k1, k2;

	for (i = 0; i < nblocks; i++) {
		k1 = murmur3_block(p + i * 16);
		k2 = murmur3_block(p + i * 16 + 8);

		k1 *= MURMUR3_C1;
		k1 = murmur3_rotl(k1, 31);
		k1 *= MURMUR3_C2;
		h1 ^= k1;
		h1 = murmur3_rotl(h1, 27);
		h1 += h2;
		h1 = h1 * 5 + 0x52dce729;

		k2 *= MURMUR3_C2;
		k2 = murmur3_rotl(k2, 33);
		k2 *= MURMUR3_C1;
		h2 ^= k2;
		h2 = murmur3_rotl(h2, 31);
		h2 += h1;
		h2 = h2 * 5 + 0x38495ab5;
	}

	tail = p + nblocks * 16;
	k1 = k2 = 0;
	switch (len & 15) {
	case 15:
		k2 ^= murmur3_tailbyte(tail, 14, 48);
		/* FALLTHROUGH */
	case 14:
		k2 ^= murmur3_tailbyte(tail, 13, 40);
		/* FALLTHROUGH */
	case 13:
		k2 ^= murmur3_tailbyte(tail, 12, 32);
		/* FALLTHROUGH */
	case 12:
		k2 ^= murmur3_tailbyte(tail, 11, 24);
		/* FALLTHROUGH */
	case 11:
		k2 ^= murmur3_tailbyte(tail, 10, 16);
		/* FALLTHROUGH */
	case 10:
		k2 ^= murmur3_tailbyte(tail, 9, 8);
		/* FALLTHROUGH */
	case 9:
		k2 ^= murmur3_tailbyte(tail, 8, 0);
		k2 *= MURMUR3_C2;
		k2 = murmur3_rotl(k2, 33);
		k2 *= MURMUR3_C1;
		h2 ^= k2;
		/* FALLTHROUGH */
	case 8:
		k1 ^= murmur3_tailbyte(tail, 7, 56);
		/* FALLTHROUGH */
	case 7:
		k1 ^= murmur3_tailbyte(tail, 6, 48);
		/* FALLTHROUGH */
	case 6:
		k1 ^= murmur3_tailbyte(tail, 5, 40);
		/* FALLTHROUGH */
	case 5:
		k1 ^= murmur3_tailbyte(tail, 4, 32);
		/* FALLTHROUGH */
	case 4:
		k1 ^= murmur3_tailbyte(tail, 3, 24);
		/* FALLTHROUGH */
	case 3:
		k1 ^= murmur3_tailbyte(tail, 2, 16);
		/* FALLTHROUGH */
	case 2:
		k1 ^= murmur3_tailbyte(tail, 1, 8);
		/* FALLTHROUGH */
	case 1:
		k1 ^= murmur3_tailbyte(tail, 0, 0);
		k1 *= MURMUR3_C1;
		k1 = murmur3_rotl(k1, 31);
		k1 *= MURMUR3_C2;
		h1 ^= k1;
	}

	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = murmur3_fmix(h1);
	h2 = murmur3_fmix(h2);
	h1 += h2;
	h2 += h1;
	h[0] = h1;
	h[1] = h2;
}

/* Cassandra reserves the minimum token for the ring itself. */
int64_t
murmur3_token(const void *key, size_t len)
{
	uint64_t	h[2];
	int64_t		t;

	murmur3_hash128(key, len, h);
	t = (int64_t)h[0];
	if (t == INT64_MIN)
		t = INT64_MAX;
	return (t);
}

void
murmur3_composite_add(struct wbuf *w, const void *p, size_t n)
{
	if (n > 0xffff) {
		if (w->err == NULL)
			w->err = "composite key component too long";
		return;
	}
	wbuf_u16(w, (uint16_t)n);
	wbuf_raw(w, p, n);
	wbuf_u8(w, 0);
}

/* One component is the key itself; several are joined as a composite. */
int
murmur3_routing_token(const struct slice *parts, size_t n, int64_t *token)
{
	struct wbuf	w;
	size_t		i;
	int		rc = 0;

	if (n == 0)
		return (-1);
	if (n == 1) {
		*token = murmur3_token(parts[0].p, parts[0].n);
		return (0);
	}
	wbuf_init(&w, WBUF_DEFAULT_CAP);
	for (i = 0; i < n; i++)
		murmur3_composite_add(&w, parts[i].p, parts[i].n);
	if (wbuf_ok(&w))
		*token = murmur3_token(w.p, w.len);
	else
		rc = -1;
	wbuf_free(&w);
	return (rc);
}
