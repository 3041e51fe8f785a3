/*
 * buf.c: the protocol's primitive notations, read with bounds checks and
 * written into capped buffers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "buf.h"

void
rbuf_fail(struct rbuf *r, const char *why)
{
	if (r->err == NULL)
		r->err = why;
}

uint8_t
rbuf_u8(struct rbuf *r)
{
	const uint8_t	*p = rbuf_take(r, 1);

	return (p == NULL ? 0 : p[0]);
}

uint16_t
rbuf_u16(struct rbuf *r)
{
	const uint8_t	*p = rbuf_take(r, 2);

	return (p == NULL ? 0 : (uint16_t)((p[0] << 8) | p[1]));
}

int16_t
rbuf_i16(struct rbuf *r)
{
	return ((int16_t)rbuf_u16(r));
}

int64_t
rbuf_i64(struct rbuf *r)
{
	const uint8_t	*p = rbuf_take(r, 8);
	uint64_t	 v = 0;
	int		 i;

	if (p == NULL)
		return (0);
	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return ((int64_t)v);
}

struct slice
rbuf_string(struct rbuf *r)
{
	return (rbuf_raw(r, rbuf_u16(r)));
}

struct slice
rbuf_long_string(struct rbuf *r)
{
	int32_t	n = rbuf_i32(r);

	if (n < 0) {
		rbuf_fail(r, "negative long string length");
		return ((struct slice){ NULL, 0 });
	}
	return (rbuf_raw(r, (size_t)n));
}

struct slice
rbuf_short_bytes(struct rbuf *r)
{
	return (rbuf_raw(r, rbuf_u16(r)));
}

struct bytesval
rbuf_bytes(struct rbuf *r)
{
	struct bytesval	 b = { BYTES_NULL, { NULL, 0 } };
	int32_t		 n = rbuf_i32(r);

	if (!rbuf_ok(r))
		return (b);
	if (n == -1)
		return (b);
	if (n == -2) {
		b.state = BYTES_UNSET;
		return (b);
	}
	if (n < 0) {
		rbuf_fail(r, "invalid bytes length");
		return (b);
	}
	b.state = BYTES_VALUE;
	b.v = rbuf_raw(r, (size_t)n);
	if (!rbuf_ok(r))
		b.state = BYTES_NULL;
	return (b);
}

int
rbuf_uuid(struct rbuf *r, uint8_t out[16])
{
	const uint8_t	*p = rbuf_take(r, 16);

	if (p == NULL) {
		memset(out, 0, 16);
		return (-1);
	}
	memcpy(out, p, 16);
	return (0);
}

int
rbuf_inet(struct rbuf *r, uint8_t addr[16], size_t *alen, int32_t *port)
{
	uint8_t		 n = rbuf_u8(r);
	const uint8_t	*p;

	*alen = 0;
	*port = 0;
	if (!rbuf_ok(r))
		return (-1);
	if (n != 4 && n != 16) {
		rbuf_fail(r, "invalid inet address length");
		return (-1);
	}
	if ((p = rbuf_take(r, n)) == NULL)
		return (-1);
	memcpy(addr, p, n);
	*alen = n;
	*port = rbuf_i32(r);
	return (rbuf_ok(r) ? 0 : -1);
}

/* Unsigned vint: leading one bits of the first byte count the extra bytes. */
uint64_t
rbuf_uvint(struct rbuf *r)
{
	uint8_t		 first = rbuf_u8(r);
	uint64_t	 v;
	int		 extra = 0, i;

	if (!rbuf_ok(r))
		return (0);
	while (extra < 8 && (first & (0x80 >> extra)))
		extra++;
	v = extra == 8 ? 0 : (first & (0xff >> (extra + 1)));
	for (i = 0; i < extra; i++)
		v = (v << 8) | rbuf_u8(r);
	return (rbuf_ok(r) ? v : 0);
}

int64_t
rbuf_vint(struct rbuf *r)
{
	uint64_t	u = rbuf_uvint(r);

	return ((int64_t)(u >> 1) ^ -(int64_t)(u & 1));
}

void
wbuf_init(struct wbuf *w, size_t cap)
{
	w->p = NULL;
	w->len = 0;
	w->size = 0;
	w->cap = cap == 0 ? WBUF_DEFAULT_CAP : cap;
	w->err = NULL;
}

void
wbuf_free(struct wbuf *w)
{
	free(w->p);
	w->p = NULL;
	w->len = w->size = 0;
}

void
wbuf_reset(struct wbuf *w)
{
	w->len = 0;
	w->err = NULL;
}

uint8_t *
wbuf_steal(struct wbuf *w, size_t *len)
{
	uint8_t	*p = w->p;

	*len = w->len;
	if (p == NULL)
		p = xmalloc(1);
	w->p = NULL;
	w->len = w->size = 0;
	return (p);
}

uint8_t *
wbuf_reserve_grow(struct wbuf *w, size_t n)
{
	size_t	 want;
	uint8_t	*p;

	if (w->err != NULL)
		return (NULL);
	if (n > w->cap || w->len > w->cap - n) {
		w->err = "output too large";
		return (NULL);
	}
	if (w->len + n > w->size) {
		want = w->size == 0 ? 64 : w->size;
		while (want < w->len + n)
			want = want > SIZE_MAX / 2 ? w->len + n : want * 2;
		if (want > w->cap)
			want = w->cap;
		w->p = xrealloc(w->p, want);
		w->size = want;
	}
	p = w->p + w->len;
	w->len += n;
	return (p);
}

void
wbuf_raw(struct wbuf *w, const void *src, size_t n)
{
	uint8_t	*p;

	if (n == 0)
		return;
	if ((p = wbuf_reserve(w, n)) != NULL)
		memcpy_small(p, src, n);
}

void
wbuf_string_n(struct wbuf *w, const void *s, size_t n)
{
	if (n > UINT16_MAX) {
		w->err = "string too long";
		return;
	}
	wbuf_u16(w, (uint16_t)n);
	wbuf_raw(w, s, n);
}

void
wbuf_string(struct wbuf *w, const char *s)
{
	wbuf_string_n(w, s, strlen(s));
}

void
wbuf_long_string_n(struct wbuf *w, const void *s, size_t n)
{
	if (n > INT32_MAX) {
		w->err = "long string too long";
		return;
	}
	wbuf_i32(w, (int32_t)n);
	wbuf_raw(w, s, n);
}

void
wbuf_long_string(struct wbuf *w, const char *s)
{
	wbuf_long_string_n(w, s, strlen(s));
}

void
wbuf_short_bytes(struct wbuf *w, const void *s, size_t n)
{
	wbuf_string_n(w, s, n);
}

void
wbuf_bytes(struct wbuf *w, const void *s, size_t n)
{
	wbuf_long_string_n(w, s, n);
}

void
wbuf_bytes_null(struct wbuf *w)
{
	wbuf_i32(w, -1);
}

void
wbuf_bytes_unset(struct wbuf *w)
{
	wbuf_i32(w, -2);
}

void
wbuf_bytesval(struct wbuf *w, const struct bytesval *b)
{
	switch (b->state) {
	case BYTES_NULL:
		wbuf_bytes_null(w);
		break;
	case BYTES_UNSET:
		wbuf_bytes_unset(w);
		break;
	case BYTES_VALUE:
		wbuf_bytes(w, b->v.p, b->v.n);
		break;
	}
}

void
wbuf_uuid(struct wbuf *w, const uint8_t u[16])
{
	wbuf_raw(w, u, 16);
}

void
wbuf_inet(struct wbuf *w, const uint8_t *addr, size_t alen, int32_t port)
{
	wbuf_u8(w, (uint8_t)alen);
	wbuf_raw(w, addr, alen);
	wbuf_i32(w, port);
}

/* Unsigned vint: as few bytes as the value needs, count in leading ones. */
void
wbuf_uvint(struct wbuf *w, uint64_t v)
{
	uint8_t	 tmp[9];
	int	 bits, extra, i;

	bits = 64 - (v == 0 ? 63 : __builtin_clzll(v));
	extra = bits <= 7 ? 0 : (bits - 1) / 7;
	if (extra > 8)
		extra = 8;
	for (i = extra; i >= 1; i--) {
		tmp[i] = v & 0xff;
		v >>= 8;
	}
	if (extra == 8)
		tmp[0] = 0xff;
	else
		tmp[0] = (uint8_t)((0xff00 >> extra) & 0xff) | (uint8_t)v;
	wbuf_raw(w, tmp, (size_t)extra + 1);
}

void
wbuf_vint(struct wbuf *w, int64_t v)
{
	wbuf_uvint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void
wbuf_put_u32_at(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err != NULL || off + 4 > w->len)
		return;
	w->p[off] = v >> 24;
	w->p[off + 1] = (v >> 16) & 0xff;
	w->p[off + 2] = (v >> 8) & 0xff;
	w->p[off + 3] = v & 0xff;
}

struct slice
slice_cstr(const char *s)
{
	struct slice	sl;

	sl.p = (const uint8_t *)s;
	sl.n = s == NULL ? 0 : strlen(s);
	return (sl);
}

int
slice_eq(struct slice s, const char *c)
{
	size_t	n = strlen(c);

	return (s.n == n && (n == 0 || memcmp(s.p, c, n) == 0));
}

int
slice_caseeq(struct slice s, const char *c)
{
	size_t	n = strlen(c);

	return (s.n == n && (n == 0 || strncasecmp((const char *)s.p, c,
	    n) == 0));
}

char *
slice_dup(struct slice s)
{
	return (xstrndup(s.n == 0 ? "" : (const char *)s.p, s.n));
}

struct bytesval
bytesval_value(const void *p, size_t n)
{
	struct bytesval	b;

	b.state = BYTES_VALUE;
	b.v.p = p;
	b.v.n = n;
	return (b);
}

struct bytesval
bytesval_unset(void)
{
	struct bytesval	b = { BYTES_UNSET, { NULL, 0 } };

	return (b);
}
