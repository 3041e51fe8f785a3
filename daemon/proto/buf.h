/*
 * buf.h: bounds-checked reading and capped writing of the native protocol's
 * notation ([int], [string], [bytes], ...). No I/O happens here.
 *
 * A reader carries a sticky error: once a read runs past the end or meets a
 * malformed value, every later read returns zero/empty and rbuf_ok() is false,
 * so decoders can read a whole message and check once at the end.
 */
#ifndef CQLP_BUF_H
#define CQLP_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A slice of bytes inside someone else's buffer; never owned. */
struct slice {
	const uint8_t	*p;
	size_t		 n;
};

/* A [bytes] value: null (length -1) and unset (-2, v4+) are distinct. */
enum bytes_state {
	BYTES_VALUE = 0,
	BYTES_NULL,
	BYTES_UNSET
};
struct bytesval {
	enum bytes_state state;
	struct slice	 v;
};

/* Slice helpers: a C string as a slice, comparison, a NUL-terminated copy. */
struct slice slice_cstr(const char *);
int	 slice_eq(struct slice, const char *);		/* exact bytes */
int	 slice_caseeq(struct slice, const char *);	/* ASCII case-blind */
char	*slice_dup(struct slice);			/* xmalloc'd */
struct bytesval bytesval_value(const void *, size_t);
struct bytesval bytesval_unset(void);

static inline struct bytesval
bytesval_null(void)
{
	struct bytesval	b = { BYTES_NULL, { NULL, 0 } };

	return (b);
}

struct rbuf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	const char	*err;	/* NULL while fine; a static message after */
};

void	 rbuf_fail(struct rbuf *, const char *);

/*
 * Inline, as are the fixed-size reads and rbuf_raw: decoders make many
 * of them for every message.
 */
static inline void
rbuf_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = NULL;
}

static inline int
rbuf_ok(const struct rbuf *r)
{
	return (r->err == NULL);
}

static inline size_t
rbuf_left(const struct rbuf *r)
{
	return (r->err != NULL ? 0 : r->len - r->off);
}

/* Take n bytes if they are there; the one place a reader advances. */
static inline const uint8_t *
rbuf_take(struct rbuf *r, size_t n)
{
	const uint8_t	*p;

	if (r->err != NULL)
		return (NULL);
	if (n > r->len - r->off) {
		r->err = "truncated";
		return (NULL);
	}
	p = r->p + r->off;
	r->off += n;
	return (p);
}

uint8_t	 rbuf_u8(struct rbuf *);
uint16_t rbuf_u16(struct rbuf *);
int16_t	 rbuf_i16(struct rbuf *);
int64_t	 rbuf_i64(struct rbuf *);

static inline uint32_t
rbuf_u32(struct rbuf *r)
{
	const uint8_t	*p = rbuf_take(r, 4);

	if (p == NULL)
		return (0);
	return (((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3]);
}

static inline int32_t
rbuf_i32(struct rbuf *r)
{
	return ((int32_t)rbuf_u32(r));
}

/* n raw bytes. */
static inline struct slice
rbuf_raw(struct rbuf *r, size_t n)
{
	struct slice	 s = { NULL, 0 };
	const uint8_t	*p = rbuf_take(r, n);

	if (p != NULL) {
		s.p = p;
		s.n = n;
	}
	return (s);
}

struct slice rbuf_string(struct rbuf *);		/* [string] */
struct slice rbuf_long_string(struct rbuf *);		/* [long string] */
struct slice rbuf_short_bytes(struct rbuf *);		/* [short bytes] */
struct bytesval rbuf_bytes(struct rbuf *);		/* [bytes]/[value] */
int	 rbuf_uuid(struct rbuf *, uint8_t[16]);	/* [uuid] */
/* [inet]: address length 4 or 16 copied into addr, port returned. */
int	 rbuf_inet(struct rbuf *, uint8_t addr[16], size_t *alen,
	     int32_t *port);
/* [vint]/[unsigned vint] as in protocol v5 and the duration type. */
int64_t	 rbuf_vint(struct rbuf *);
uint64_t rbuf_uvint(struct rbuf *);

/*
 * A growable output buffer with a hard cap: appending past the cap sets
 * err and drops the data rather than growing without bound.
 */
struct wbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 size;
	size_t		 cap;
	const char	*err;
};

#define WBUF_DEFAULT_CAP	(256U * 1024 * 1024)

void	 wbuf_init(struct wbuf *, size_t cap);
void	 wbuf_free(struct wbuf *);
void	 wbuf_reset(struct wbuf *);

static inline int
wbuf_ok(const struct wbuf *w)
{
	return (w->err == NULL);
}
/* Hand the bytes to the caller (who frees them) and reset the buffer. */
uint8_t	*wbuf_steal(struct wbuf *, size_t *);
/* wbuf_reserve when the bytes do not fit what is allocated (or err). */
uint8_t	*wbuf_reserve_grow(struct wbuf *, size_t);

/*
 * Reserve n bytes at the end and return where they start (NULL on cap).
 * Inline, as are the fixed-size appends: encoders make many small ones,
 * nearly all into room already allocated.
 */
static inline uint8_t *
wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t	*p;

	if (w->err == NULL && n <= w->cap && w->len <= w->cap - n &&
	    n <= w->size - w->len) {
		p = w->p + w->len;
		w->len += n;
		return (p);
	}
	return (wbuf_reserve_grow(w, n));
}

static inline void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	uint8_t	*p = wbuf_reserve(w, 1);

	if (p != NULL)
		p[0] = v;
}

static inline void
wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t	*p = wbuf_reserve(w, 2);

	if (p != NULL) {
		p[0] = v >> 8;
		p[1] = v & 0xff;
	}
}

static inline void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t	*p = wbuf_reserve(w, 4);

	if (p != NULL) {
		p[0] = v >> 24;
		p[1] = (v >> 16) & 0xff;
		p[2] = (v >> 8) & 0xff;
		p[3] = v & 0xff;
	}
}

static inline void
wbuf_i32(struct wbuf *w, int32_t v)
{
	wbuf_u32(w, (uint32_t)v);
}

static inline void
wbuf_i64(struct wbuf *w, int64_t v)
{
	uint8_t		*p = wbuf_reserve(w, 8);
	uint64_t	 u = (uint64_t)v;

	if (p == NULL)
		return;
	p[0] = u >> 56;
	p[1] = (u >> 48) & 0xff;
	p[2] = (u >> 40) & 0xff;
	p[3] = (u >> 32) & 0xff;
	p[4] = (u >> 24) & 0xff;
	p[5] = (u >> 16) & 0xff;
	p[6] = (u >> 8) & 0xff;
	p[7] = u & 0xff;
}
void	 wbuf_raw(struct wbuf *, const void *, size_t);
void	 wbuf_string(struct wbuf *, const char *);		/* [string] */
void	 wbuf_string_n(struct wbuf *, const void *, size_t);
void	 wbuf_long_string(struct wbuf *, const char *);		/* [long string] */
void	 wbuf_long_string_n(struct wbuf *, const void *, size_t);
void	 wbuf_short_bytes(struct wbuf *, const void *, size_t);
void	 wbuf_bytes(struct wbuf *, const void *, size_t);	/* [bytes] */
void	 wbuf_bytes_null(struct wbuf *);			/* length -1 */
void	 wbuf_bytes_unset(struct wbuf *);			/* length -2 */
void	 wbuf_bytesval(struct wbuf *, const struct bytesval *);
void	 wbuf_uuid(struct wbuf *, const uint8_t[16]);
void	 wbuf_inet(struct wbuf *, const uint8_t *, size_t, int32_t);
void	 wbuf_vint(struct wbuf *, int64_t);
void	 wbuf_uvint(struct wbuf *, uint64_t);
/* Overwrite 4 bytes at off (for lengths known only at the end). */
void	 wbuf_put_u32_at(struct wbuf *, size_t off, uint32_t);

#endif
