/*
 * cqlval.c: CQL values in their serialized form (protocol v3 and later):
 * strict decoding into trees, encoding back, and Cassandra's ordering of
 * serialized values. The text renderings live in cqlval-text.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"

/* Decoding state: where the message goes on failure. */
struct dec {
	char	*err;
	size_t	 errlen;
};

static int printflike(2, 3)
dec_fail(struct dec *d, const char *fmt, ...)
{
	va_list	ap;

	if (d->err != NULL && d->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

static uint64_t
be_get(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return (v);
}

static int64_t
be_get_signed(const uint8_t *p, size_t n)
{
	uint64_t	v = be_get(p, n);

	if (n < 8 && n > 0 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * n);
	return ((int64_t)v);
}

static struct cqlval *
val_new(enum cqltype_kind k)
{
	struct cqlval	*v = xcalloc(1, sizeof *v);

	v->kind = k;
	return (v);
}

static int
is_bytes_kind(enum cqltype_kind k)
{
	return (k == CQLTYPE_ASCII || k == CQLTYPE_TEXT || k == CQLTYPE_BLOB ||
	    k == CQLTYPE_VARINT || k == CQLTYPE_CUSTOM);
}

static int
is_int_kind(enum cqltype_kind k)
{
	switch (k) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
	case CQLTYPE_TIMESTAMP:
	case CQLTYPE_TIME:
	case CQLTYPE_DATE:
		return (1);
	default:
		return (0);
	}
}

static void
coll_push(struct cqlval *c, struct cqlval *item)
{
	c->u.coll.items = xreallocarray(c->u.coll.items, c->u.coll.n + 1,
	    sizeof *c->u.coll.items);
	c->u.coll.items[c->u.coll.n++] = item;
}

#define NS_PER_DAY	(86400LL * 1000000000LL)

static int value_decode(struct dec *, const struct cqltype *, const uint8_t *,
    size_t, struct cqlval **, int);

/* Collections: [int] count then that many [bytes] (maps: pairs). */
static int
coll_decode(struct dec *d, const struct cqltype *t, const uint8_t *p,
    size_t n, struct cqlval *v, int depth)
{
	struct rbuf		 r;
	struct bytesval		 b;
	struct cqlval		*item[2];
	int32_t			 count;
	size_t			 i, per = t->kind == CQLTYPE_MAP ? 2 : 1, j;

	rbuf_init(&r, p, n);
	count = rbuf_i32(&r);
	if (!rbuf_ok(&r))
		return (dec_fail(d, "truncated %s", cqltype_kind_name(t->kind)));
	if (count < 0)
		return (dec_fail(d, "negative %s size", cqltype_kind_name(t->kind)));
	if ((size_t)count > CQLVAL_MAX_ITEMS ||
	    (size_t)count > rbuf_left(&r) / (4 * per))
		return (dec_fail(d, "%s size %d too large",
		    cqltype_kind_name(t->kind), count));
	for (i = 0; i < (size_t)count; i++) {
		item[0] = item[1] = NULL;
		for (j = 0; j < per; j++) {
			b = rbuf_bytes(&r);
			if (!rbuf_ok(&r)) {
				dec_fail(d, "truncated %s element",
				    cqltype_kind_name(t->kind));
				goto fail;
			}
			if (b.state != BYTES_VALUE) {
				dec_fail(d, "null %s element",
				    cqltype_kind_name(t->kind));
				goto fail;
			}
			if (value_decode(d, t->sub[j], b.v.p, b.v.n,
			    v == NULL ? NULL : &item[j], depth + 1) != 0)
				goto fail;
		}
		if (v != NULL && per == 2)
			cqlval_map_put(v, item[0], item[1]);
		else if (v != NULL)
			coll_push(v, item[0]);
	}
	if (rbuf_left(&r) != 0)
		return (dec_fail(d, "%zu extra bytes after %s", rbuf_left(&r),
		    cqltype_kind_name(t->kind)));
	return (0);
fail:
	cqlval_free(item[0]);
	return (-1);
}

/* Tuples and UDTs: [bytes] per field; trailing fields may be missing. */
static int
fields_decode(struct dec *d, const struct cqltype *t, const uint8_t *p,
    size_t n, struct cqlval *v, int depth)
{
	struct rbuf	 r;
	struct bytesval	 b;
	struct cqlval	*item;
	size_t		 i;

	if (t->kind == CQLTYPE_UDT && t->n == 0 && t->fields == NULL &&
	    t->keyspace == NULL)
		return (dec_fail(d, "unresolved user type %s",
		    t->name == NULL ? "" : t->name));
	rbuf_init(&r, p, n);
	for (i = 0; i < t->n; i++) {
		if (rbuf_left(&r) == 0) {
			if (v != NULL)
				coll_push(v, cqlval_new_null(t->sub[i]->kind));
			continue;
		}
		b = rbuf_bytes(&r);
		if (!rbuf_ok(&r))
			return (dec_fail(d, "truncated %s field %zu",
			    cqltype_kind_name(t->kind), i));
		if (b.state == BYTES_UNSET)
			return (dec_fail(d, "unset %s field %zu",
			    cqltype_kind_name(t->kind), i));
		if (b.state == BYTES_NULL) {
			if (v != NULL)
				coll_push(v, cqlval_new_null(t->sub[i]->kind));
			continue;
		}
		if (value_decode(d, t->sub[i], b.v.p, b.v.n,
		    v == NULL ? NULL : &item, depth + 1) != 0)
			return (-1);
		if (v != NULL)
			coll_push(v, item);
	}
	if (rbuf_left(&r) != 0)
		return (dec_fail(d, "%zu extra bytes after %s", rbuf_left(&r),
		    cqltype_kind_name(t->kind)));
	return (0);
}

/*
 * Vectors: fixed-size elements back to back; variable-size ones each
 * behind an [unsigned vint] length (as Cassandra 5 writes them).
 */
static int
vector_decode(struct dec *d, const struct cqltype *t, const uint8_t *p,
    size_t n, struct cqlval *v, int depth)
{
	struct rbuf	 r;
	struct slice	 s;
	struct cqlval	*item;
	int		 size = cqltype_fixed_size(t->sub[0]->kind);
	uint64_t	 len;
	size_t		 i;

	if (size > 0 && n != (size_t)size * t->dimension)
		return (dec_fail(d, "expected %zu bytes for vector, got %zu",
		    (size_t)size * t->dimension, n));
	if (size <= 0 && n < t->dimension)
		return (dec_fail(d, "truncated vector"));
	rbuf_init(&r, p, n);
	for (i = 0; i < t->dimension; i++) {
		if (size > 0)
			s = rbuf_raw(&r, (size_t)size);
		else {
			len = rbuf_uvint(&r);
			if (len > rbuf_left(&r))
				rbuf_fail(&r, "truncated");
			s = rbuf_raw(&r, (size_t)len);
		}
		if (!rbuf_ok(&r))
			return (dec_fail(d, "truncated vector element %zu", i));
		if (s.n == 0 && t->sub[0]->kind != CQLTYPE_TEXT &&
		    t->sub[0]->kind != CQLTYPE_ASCII &&
		    t->sub[0]->kind != CQLTYPE_BLOB)
			return (dec_fail(d, "empty vector element %zu", i));
		if (value_decode(d, t->sub[0], s.p, s.n,
		    v == NULL ? NULL : &item, depth + 1) != 0)
			return (-1);
		if (v != NULL)
			coll_push(v, item);
	}
	if (rbuf_left(&r) != 0)
		return (dec_fail(d, "%zu extra bytes after vector",
		    rbuf_left(&r)));
	return (0);
}

static int
duration_decode(struct dec *d, const uint8_t *p, size_t n, struct cqlval *v)
{
	struct rbuf	r;
	int64_t		months, days, ns;

	rbuf_init(&r, p, n);
	months = rbuf_vint(&r);
	days = rbuf_vint(&r);
	ns = rbuf_vint(&r);
	if (!rbuf_ok(&r) || rbuf_left(&r) != 0)
		return (dec_fail(d, "invalid duration"));
	if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN ||
	    days > INT32_MAX)
		return (dec_fail(d, "duration out of range"));
	if (!((months >= 0 && days >= 0 && ns >= 0) ||
	    (months <= 0 && days <= 0 && ns <= 0)))
		return (dec_fail(d, "duration with mixed signs"));
	if (v != NULL) {
		v->u.duration.months = (int32_t)months;
		v->u.duration.days = (int32_t)days;
		v->u.duration.ns = ns;
	}
	return (0);
}

/* Decode (or with out NULL only validate) one serialized value. */
static int
value_decode(struct dec *d, const struct cqltype *t, const uint8_t *p,
    size_t n, struct cqlval **out, int depth)
{
	struct cqlval	*v = NULL;
	int		 size;
	uint32_t	 u32;
	uint64_t	 u64;
	int64_t		 i64;

	if (out != NULL)
		*out = NULL;
	if (depth > CQLVAL_MAX_DEPTH)
		return (dec_fail(d, "value nested too deeply"));
	if (out != NULL)
		v = val_new(t->kind);
	size = cqltype_fixed_size(t->kind);
	if (n == 0 && t->kind != CQLTYPE_TEXT && t->kind != CQLTYPE_ASCII &&
	    t->kind != CQLTYPE_BLOB && t->kind != CQLTYPE_CUSTOM) {
		if (v != NULL)
			v->is_empty = 1;
		goto done;
	}
	if (size > 0 && n != (size_t)size) {
		dec_fail(d, "expected %d bytes for %s, got %zu", size,
		    cqltype_kind_name(t->kind), n);
		goto fail;
	}
	switch (t->kind) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
	case CQLTYPE_TIMESTAMP:
		if (v != NULL)
			v->u.i = be_get_signed(p, n);
		break;
	case CQLTYPE_TIME:
		i64 = be_get_signed(p, n);
		if (i64 < 0 || i64 >= NS_PER_DAY) {
			dec_fail(d, "time %lld out of range", (long long)i64);
			goto fail;
		}
		if (v != NULL)
			v->u.i = i64;
		break;
	case CQLTYPE_DATE:
		if (v != NULL)
			v->u.i = (int64_t)be_get(p, n);
		break;
	case CQLTYPE_FLOAT:
		u32 = (uint32_t)be_get(p, n);
		if (v != NULL)
			memcpy(&v->u.f, &u32, sizeof u32);
		break;
	case CQLTYPE_DOUBLE:
		u64 = be_get(p, n);
		if (v != NULL)
			memcpy(&v->u.d, &u64, sizeof u64);
		break;
	case CQLTYPE_BOOLEAN:
		if (v != NULL)
			v->u.b = p[0] != 0;
		break;
	case CQLTYPE_TIMEUUID:
		if (cqlval_uuid_version(p) != 1) {
			dec_fail(d, "timeuuid of version %d",
			    cqlval_uuid_version(p));
			goto fail;
		}
		/* FALLTHROUGH */
	case CQLTYPE_UUID:
		if (v != NULL)
			memcpy(v->u.uuid, p, 16);
		break;
	case CQLTYPE_INET:
		if (n != 4 && n != 16) {
			dec_fail(d, "inet of %zu bytes", n);
			goto fail;
		}
		if (v != NULL) {
			memcpy(v->u.inet.a, p, n);
			v->u.inet.n = n;
		}
		break;
	case CQLTYPE_TEXT:
		if (!cqlval_utf8_valid(p, n)) {
			dec_fail(d, "invalid UTF-8 in text");
			goto fail;
		}
		goto bytes;
	case CQLTYPE_ASCII:
		if (!cqlval_ascii_valid(p, n)) {
			dec_fail(d, "non-ASCII byte in ascii");
			goto fail;
		}
		/* FALLTHROUGH */
	case CQLTYPE_BLOB:
	case CQLTYPE_VARINT:
	case CQLTYPE_CUSTOM:
	bytes:
		if (v != NULL) {
			v->u.bytes.p = xmemdup(n == 0 ? "" : (const void *)p,
			    n == 0 ? 1 : n);
			v->u.bytes.n = n;
		}
		break;
	case CQLTYPE_DECIMAL:
		if (n < 5) {
			dec_fail(d, "decimal of %zu bytes", n);
			goto fail;
		}
		if (v != NULL) {
			v->u.decimal.scale = (int32_t)be_get(p, 4);
			v->u.decimal.p = xmemdup(p + 4, n - 4);
			v->u.decimal.n = n - 4;
		}
		break;
	case CQLTYPE_DURATION:
		if (duration_decode(d, p, n, v) != 0)
			goto fail;
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
		if (t->n != (t->kind == CQLTYPE_MAP ? 2U : 1U)) {
			dec_fail(d, "malformed collection type");
			goto fail;
		}
		if (coll_decode(d, t, p, n, v, depth) != 0)
			goto fail;
		break;
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
		if (fields_decode(d, t, p, n, v, depth) != 0)
			goto fail;
		break;
	case CQLTYPE_VECTOR:
		if (t->n != 1) {
			dec_fail(d, "malformed vector type");
			goto fail;
		}
		if (vector_decode(d, t, p, n, v, depth) != 0)
			goto fail;
		break;
	default:
		dec_fail(d, "cannot decode type %d", (int)t->kind);
		goto fail;
	}
done:
	if (out != NULL)
		*out = v;
	return (0);
fail:
	cqlval_free(v);
	return (-1);
}

int
cqlval_decode(const struct cqltype *t, const uint8_t *p, size_t n,
    struct cqlval **out, char *err, size_t errlen)
{
	struct dec	d = { err, errlen };

	return (value_decode(&d, t, p, n, out, 0));
}

int
cqlval_validate(const struct cqltype *t, const uint8_t *p, size_t n,
    char *err, size_t errlen)
{
	struct dec	d = { err, errlen };

	return (value_decode(&d, t, p, n, NULL, 0));
}

/*
 * Encoding.
 */

static int value_encode(const struct cqltype *, const struct cqlval *,
    struct wbuf *, int);

/* An element behind an [int] length patched in afterwards. */
static int
element_encode(const struct cqltype *t, const struct cqlval *v,
    struct wbuf *w, int depth)
{
	size_t	off = w->len;

	if (v == NULL || v->is_null) {
		wbuf_bytes_null(w);
		return (0);
	}
	wbuf_i32(w, 0);
	if (value_encode(t, v, w, depth + 1) != 0)
		return (-1);
	if (w->len - off - 4 > INT32_MAX)
		return (-1);
	wbuf_put_u32_at(w, off, (uint32_t)(w->len - off - 4));
	return (0);
}

static int
kind_fits(enum cqltype_kind tk, enum cqltype_kind vk)
{
	if (tk == vk)
		return (1);
	if (is_bytes_kind(tk) && is_bytes_kind(vk) && tk != CQLTYPE_VARINT &&
	    vk != CQLTYPE_VARINT)
		return (1);
	if ((tk == CQLTYPE_UUID || tk == CQLTYPE_TIMEUUID) &&
	    (vk == CQLTYPE_UUID || vk == CQLTYPE_TIMEUUID))
		return (1);
	return (is_int_kind(tk) && is_int_kind(vk));
}

static int
value_encode(const struct cqltype *t, const struct cqlval *v, struct wbuf *w,
    int depth)
{
	struct wbuf	 tmp;
	uint32_t	 u32;
	uint64_t	 u64;
	int64_t		 i;
	size_t		 k, per, size;
	int		 fixed;

	if (depth > CQLVAL_MAX_DEPTH || v->is_null || !kind_fits(t->kind,
	    v->kind))
		return (-1);
	if (v->is_empty)
		return (0);
	switch (t->kind) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
		size = (size_t)cqltype_fixed_size(t->kind);
		i = v->u.i;
		if (i < -(INT64_C(1) << (8 * size - 1)) ||
		    i >= (INT64_C(1) << (8 * size - 1)))
			return (-1);
		if (size == 1)
			wbuf_u8(w, (uint8_t)i);
		else if (size == 2)
			wbuf_u16(w, (uint16_t)i);
		else
			wbuf_i32(w, (int32_t)i);
		break;
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
	case CQLTYPE_TIMESTAMP:
		wbuf_i64(w, v->u.i);
		break;
	case CQLTYPE_TIME:
		if (v->u.i < 0 || v->u.i >= NS_PER_DAY)
			return (-1);
		wbuf_i64(w, v->u.i);
		break;
	case CQLTYPE_DATE:
		if (v->u.i < 0 || v->u.i > UINT32_MAX)
			return (-1);
		wbuf_u32(w, (uint32_t)v->u.i);
		break;
	case CQLTYPE_FLOAT:
		memcpy(&u32, &v->u.f, sizeof u32);
		wbuf_u32(w, u32);
		break;
	case CQLTYPE_DOUBLE:
		memcpy(&u64, &v->u.d, sizeof u64);
		wbuf_i64(w, (int64_t)u64);
		break;
	case CQLTYPE_BOOLEAN:
		wbuf_u8(w, v->u.b ? 1 : 0);
		break;
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		wbuf_uuid(w, v->u.uuid);
		break;
	case CQLTYPE_INET:
		if (v->u.inet.n != 4 && v->u.inet.n != 16)
			return (-1);
		wbuf_raw(w, v->u.inet.a, v->u.inet.n);
		break;
	case CQLTYPE_VARINT:
		if (v->u.bytes.n == 0)
			return (-1);
		/* FALLTHROUGH */
	case CQLTYPE_ASCII:
	case CQLTYPE_TEXT:
	case CQLTYPE_BLOB:
	case CQLTYPE_CUSTOM:
		wbuf_raw(w, v->u.bytes.p, v->u.bytes.n);
		break;
	case CQLTYPE_DECIMAL:
		if (v->u.decimal.n == 0)
			return (-1);
		wbuf_i32(w, v->u.decimal.scale);
		wbuf_raw(w, v->u.decimal.p, v->u.decimal.n);
		break;
	case CQLTYPE_DURATION:
		wbuf_vint(w, v->u.duration.months);
		wbuf_vint(w, v->u.duration.days);
		wbuf_vint(w, v->u.duration.ns);
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
		per = t->kind == CQLTYPE_MAP ? 2 : 1;
		if (t->n != per || v->u.coll.n > INT32_MAX)
			return (-1);
		wbuf_i32(w, (int32_t)v->u.coll.n);
		for (k = 0; k < v->u.coll.n * per; k++) {
			if (v->u.coll.items[k] == NULL ||
			    v->u.coll.items[k]->is_null)
				return (-1);
			if (element_encode(t->sub[k % per], v->u.coll.items[k],
			    w, depth) != 0)
				return (-1);
		}
		break;
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
		if (v->u.coll.n > t->n)
			return (-1);
		for (k = 0; k < v->u.coll.n; k++) {
			if (element_encode(t->sub[k], v->u.coll.items[k], w,
			    depth) != 0)
				return (-1);
		}
		break;
	case CQLTYPE_VECTOR:
		if (t->n != 1 || v->u.coll.n != t->dimension)
			return (-1);
		fixed = cqltype_fixed_size(t->sub[0]->kind);
		for (k = 0; k < v->u.coll.n; k++) {
			if (v->u.coll.items[k] == NULL ||
			    v->u.coll.items[k]->is_null ||
			    v->u.coll.items[k]->is_empty)
				return (-1);
			if (fixed > 0) {
				if (value_encode(t->sub[0], v->u.coll.items[k],
				    w, depth + 1) != 0)
					return (-1);
				continue;
			}
			wbuf_init(&tmp, w->cap);
			if (value_encode(t->sub[0], v->u.coll.items[k], &tmp,
			    depth + 1) != 0 || !wbuf_ok(&tmp)) {
				wbuf_free(&tmp);
				return (-1);
			}
			wbuf_uvint(w, tmp.len);
			wbuf_raw(w, tmp.p, tmp.len);
			wbuf_free(&tmp);
		}
		break;
	default:
		return (-1);
	}
	return (wbuf_ok(w) ? 0 : -1);
}

int
cqlval_encode(const struct cqltype *t, const struct cqlval *v,
    struct wbuf *w)
{
	if (v == NULL || v->is_null)
		return (1);
	return (value_encode(t, v, w, 0));
}

/*
 * Construction and destruction.
 */

void
cqlval_free(struct cqlval *v)
{
	size_t	i, n;

	if (v == NULL)
		return;
	switch (v->kind) {
	case CQLTYPE_ASCII:
	case CQLTYPE_TEXT:
	case CQLTYPE_BLOB:
	case CQLTYPE_VARINT:
	case CQLTYPE_CUSTOM:
		free(v->u.bytes.p);
		break;
	case CQLTYPE_DECIMAL:
		free(v->u.decimal.p);
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
	case CQLTYPE_VECTOR:
		n = v->u.coll.n * (v->kind == CQLTYPE_MAP ? 2 : 1);
		for (i = 0; i < n; i++)
			cqlval_free(v->u.coll.items[i]);
		free(v->u.coll.items);
		cqlval_free(v->u.coll.pending);
		break;
	default:
		break;
	}
	free(v);
}

struct cqlval *
cqlval_dup(const struct cqlval *v)
{
	struct cqlval	*c;
	size_t		 i, n;

	if (v == NULL)
		return (NULL);
	c = xmemdup(v, sizeof *v);
	switch (v->kind) {
	case CQLTYPE_ASCII:
	case CQLTYPE_TEXT:
	case CQLTYPE_BLOB:
	case CQLTYPE_VARINT:
	case CQLTYPE_CUSTOM:
		if (v->u.bytes.p != NULL)
			c->u.bytes.p = xmemdup(v->u.bytes.p, v->u.bytes.n + 1);
		break;
	case CQLTYPE_DECIMAL:
		if (v->u.decimal.p != NULL)
			c->u.decimal.p = xmemdup(v->u.decimal.p,
			    v->u.decimal.n + 1);
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
	case CQLTYPE_VECTOR:
		n = v->u.coll.n * (v->kind == CQLTYPE_MAP ? 2 : 1);
		c->u.coll.items = n == 0 ? NULL : xcalloc(n, sizeof *c->u.coll.items);
		for (i = 0; i < n; i++)
			c->u.coll.items[i] = cqlval_dup(v->u.coll.items[i]);
		c->u.coll.pending = cqlval_dup(v->u.coll.pending);
		break;
	default:
		break;
	}
	return (c);
}

struct cqlval *
cqlval_new_null(enum cqltype_kind k)
{
	struct cqlval	*v = val_new(k);

	v->is_null = 1;
	return (v);
}

struct cqlval *
cqlval_new_int(enum cqltype_kind k, int64_t i)
{
	struct cqlval	*v = val_new(k);

	v->u.i = i;
	return (v);
}

struct cqlval *
cqlval_new_double(double d)
{
	struct cqlval	*v = val_new(CQLTYPE_DOUBLE);

	v->u.d = d;
	return (v);
}

struct cqlval *
cqlval_new_float(float f)
{
	struct cqlval	*v = val_new(CQLTYPE_FLOAT);

	v->u.f = f;
	return (v);
}

struct cqlval *
cqlval_new_bool(int b)
{
	struct cqlval	*v = val_new(CQLTYPE_BOOLEAN);

	v->u.b = b != 0;
	return (v);
}

/* Byte kinds keep a NUL after the bytes so text can be used as a string. */
struct cqlval *
cqlval_new_bytes(enum cqltype_kind k, const void *p, size_t n)
{
	struct cqlval	*v = val_new(k);

	v->u.bytes.p = xmalloc(n + 1);
	if (n > 0)
		memcpy(v->u.bytes.p, p, n);
	v->u.bytes.p[n] = '\0';
	v->u.bytes.n = n;
	return (v);
}

struct cqlval *
cqlval_new_text(const char *s)
{
	return (cqlval_new_bytes(CQLTYPE_TEXT, s, strlen(s)));
}

struct cqlval *
cqlval_new_decimal(int32_t scale, const uint8_t *p, size_t n)
{
	struct cqlval	*v = val_new(CQLTYPE_DECIMAL);

	v->u.decimal.scale = scale;
	v->u.decimal.p = xmalloc(n + 1);
	if (n > 0)
		memcpy(v->u.decimal.p, p, n);
	v->u.decimal.n = n;
	return (v);
}

struct cqlval *
cqlval_new_uuid(enum cqltype_kind k, const uint8_t u[16])
{
	struct cqlval	*v = val_new(k);

	memcpy(v->u.uuid, u, 16);
	return (v);
}

struct cqlval *
cqlval_new_inet(const uint8_t *a, size_t n)
{
	struct cqlval	*v = val_new(CQLTYPE_INET);

	if (n > 16)
		n = 16;
	memcpy(v->u.inet.a, a, n);
	v->u.inet.n = n;
	return (v);
}

struct cqlval *
cqlval_new_duration(int32_t months, int32_t days, int64_t ns)
{
	struct cqlval	*v = val_new(CQLTYPE_DURATION);

	v->u.duration.months = months;
	v->u.duration.days = days;
	v->u.duration.ns = ns;
	return (v);
}

struct cqlval *
cqlval_new_coll(enum cqltype_kind k)
{
	return (val_new(k));
}

void
cqlval_map_put(struct cqlval *m, struct cqlval *k, struct cqlval *v)
{
	m->u.coll.items = xreallocarray(m->u.coll.items, m->u.coll.n + 1,
	    2 * sizeof *m->u.coll.items);
	m->u.coll.items[2 * m->u.coll.n] = k;
	m->u.coll.items[2 * m->u.coll.n + 1] = v;
	m->u.coll.n++;
}

/* Map entries go in as key, value, key, value: n counts whole pairs. */
void
cqlval_append(struct cqlval *c, struct cqlval *item)
{
	if (c->kind != CQLTYPE_MAP)
		coll_push(c, item);
	else if (c->u.coll.pending == NULL)
		c->u.coll.pending = item;
	else {
		cqlval_map_put(c, c->u.coll.pending, item);
		c->u.coll.pending = NULL;
	}
}

/*
 * Ordering of serialized values.
 */

static int
bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int	c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return (c < 0 ? -1 : 1);
	return (an < bn ? -1 : (an > bn ? 1 : 0));
}

static int
u64_cmp(uint64_t a, uint64_t b)
{
	return (a < b ? -1 : (a > b ? 1 : 0));
}

static int
i64_cmp(int64_t a, int64_t b)
{
	return (a < b ? -1 : (a > b ? 1 : 0));
}

/* Java's Double.compare: -0.0 < 0.0 and NaN above everything. */
static int
java_double_cmp(double a, double b)
{
	int	an = isnan(a), bn = isnan(b);

	if (an || bn)
		return (an && bn ? 0 : (an ? 1 : -1));
	if (a < b)
		return (-1);
	if (a > b)
		return (1);
	if (signbit(a) != signbit(b))
		return (signbit(a) ? -1 : 1);
	return (0);
}

/* Drop redundant sign bytes from a two's complement number. */
static void
varint_trim(const uint8_t **p, size_t *n)
{
	while (*n > 1 && (((*p)[0] == 0x00 && !((*p)[1] & 0x80)) ||
	    ((*p)[0] == 0xff && ((*p)[1] & 0x80)))) {
		(*p)++;
		(*n)--;
	}
}

static int
varint_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int	sa, sb;

	varint_trim(&a, &an);
	varint_trim(&b, &bn);
	sa = (a[0] & 0x80) ? -1 : 1;
	sb = (b[0] & 0x80) ? -1 : 1;
	if (sa != sb)
		return (sa < sb ? -1 : 1);
	if (an != bn)
		return ((an < bn ? -1 : 1) * sa);
	return (bytes_cmp(a, an, b, bn));
}

/*
 * Decimals compare by value: sign, then the exponent of the leading digit,
 * then the digits, so that 1.0 and 1.00 are equal as in BigDecimal.
 */
static int
decimal_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	char		*da, *db, *pa, *pb;
	int64_t		 ea, eb;
	size_t		 la, lb, i;
	int		 sa, sb, c = 0;

	da = cqlval_varint_to_string(a + 4, an - 4);
	db = cqlval_varint_to_string(b + 4, bn - 4);
	if (da == NULL || db == NULL) {
		free(da);
		free(db);
		return (bytes_cmp(a, an, b, bn));
	}
	pa = da + (*da == '-');
	pb = db + (*db == '-');
	sa = strcmp(pa, "0") == 0 ? 0 : (*da == '-' ? -1 : 1);
	sb = strcmp(pb, "0") == 0 ? 0 : (*db == '-' ? -1 : 1);
	if (sa != sb || sa == 0) {
		c = sa < sb ? -1 : (sa > sb ? 1 : 0);
		goto out;
	}
	la = strlen(pa);
	lb = strlen(pb);
	ea = (int64_t)la - 1 - (int32_t)be_get(a, 4);
	eb = (int64_t)lb - 1 - (int32_t)be_get(b, 4);
	if (ea != eb)
		c = ea < eb ? -1 : 1;
	else {
		for (i = 0; c == 0 && (i < la || i < lb); i++) {
			char	x = i < la ? pa[i] : '0', y = i < lb ? pb[i] : '0';

			c = x < y ? -1 : (x > y ? 1 : 0);
		}
	}
	c *= sa;
out:
	free(da);
	free(db);
	return (c);
}

/* Cassandra's time uuid order: the timestamp, then signed lsb bytes. */
static uint64_t
uuid_time_key(const uint8_t *u)
{
	uint64_t	msb = be_get(u, 8);

	return ((msb << 48) | ((msb << 16) & 0xffff00000000ULL) | (msb >> 32));
}

static int
uuid_cmp(enum cqltype_kind k, const uint8_t *a, const uint8_t *b)
{
	int		va = cqlval_uuid_version(a), vb = cqlval_uuid_version(b);
	int		c;
	uint64_t	la, lb;

	if (k == CQLTYPE_UUID && va != vb)
		return (va < vb ? -1 : 1);
	if (k == CQLTYPE_TIMEUUID || va == 1) {
		c = u64_cmp(uuid_time_key(a), uuid_time_key(b));
		if (c != 0)
			return (c);
	} else if ((c = u64_cmp(be_get(a, 8), be_get(b, 8))) != 0)
		return (c);
	la = be_get(a + 8, 8);
	lb = be_get(b + 8, 8);
	if (k == CQLTYPE_TIMEUUID)
		return (i64_cmp((int64_t)(la ^ 0x0080808080808080ULL),
		    (int64_t)(lb ^ 0x0080808080808080ULL)));
	return (u64_cmp(la, lb));
}

static int compare_at(const struct cqltype *, const uint8_t *, size_t,
    const uint8_t *, size_t, int);

/* Lists, sets, maps: element by element, then the shorter first. */
static int
coll_cmp(const struct cqltype *t, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn, int depth)
{
	struct rbuf	ra, rb;
	struct bytesval	ea, eb;
	int32_t		na, nb, i;
	size_t		per = t->kind == CQLTYPE_MAP ? 2 : 1, j;
	int		c;

	rbuf_init(&ra, a, an);
	rbuf_init(&rb, b, bn);
	na = rbuf_i32(&ra);
	nb = rbuf_i32(&rb);
	if (!rbuf_ok(&ra) || !rbuf_ok(&rb) || na < 0 || nb < 0)
		return (bytes_cmp(a, an, b, bn));
	for (i = 0; i < na && i < nb; i++) {
		for (j = 0; j < per; j++) {
			ea = rbuf_bytes(&ra);
			eb = rbuf_bytes(&rb);
			if (!rbuf_ok(&ra) || !rbuf_ok(&rb))
				return (bytes_cmp(a, an, b, bn));
			c = compare_at(t->sub[j], ea.v.p, ea.v.n, eb.v.p,
			    eb.v.n, depth + 1);
			if (c != 0)
				return (c);
		}
	}
	return (na < nb ? -1 : (na > nb ? 1 : 0));
}

/* Tuples and UDTs: field by field, null first, then the shorter first. */
static int
fields_cmp(const struct cqltype *t, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn, int depth)
{
	struct rbuf	ra, rb;
	struct bytesval	ea, eb;
	size_t		i;
	int		c;

	rbuf_init(&ra, a, an);
	rbuf_init(&rb, b, bn);
	for (i = 0; i < t->n && rbuf_left(&ra) > 0 && rbuf_left(&rb) > 0;
	    i++) {
		ea = rbuf_bytes(&ra);
		eb = rbuf_bytes(&rb);
		if (!rbuf_ok(&ra) || !rbuf_ok(&rb))
			return (bytes_cmp(a, an, b, bn));
		if (ea.state != BYTES_VALUE || eb.state != BYTES_VALUE) {
			if (ea.state == eb.state)
				continue;
			return (ea.state != BYTES_VALUE ? -1 : 1);
		}
		c = compare_at(t->sub[i], ea.v.p, ea.v.n, eb.v.p, eb.v.n,
		    depth + 1);
		if (c != 0)
			return (c);
	}
	if (rbuf_left(&ra) == rbuf_left(&rb))
		return (0);
	return (rbuf_left(&ra) < rbuf_left(&rb) ? -1 : 1);
}

static int
vector_cmp(const struct cqltype *t, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn, int depth)
{
	int		 size = cqltype_fixed_size(t->sub[0]->kind), c;
	struct rbuf	 ra, rb;
	struct slice	 sa, sb;
	uint32_t	 i;

	rbuf_init(&ra, a, an);
	rbuf_init(&rb, b, bn);
	for (i = 0; i < t->dimension; i++) {
		if (size > 0) {
			sa = rbuf_raw(&ra, (size_t)size);
			sb = rbuf_raw(&rb, (size_t)size);
		} else {
			uint64_t la = rbuf_uvint(&ra), lb = rbuf_uvint(&rb);

			if (la > rbuf_left(&ra) || lb > rbuf_left(&rb))
				return (bytes_cmp(a, an, b, bn));
			sa = rbuf_raw(&ra, (size_t)la);
			sb = rbuf_raw(&rb, (size_t)lb);
		}
		if (!rbuf_ok(&ra) || !rbuf_ok(&rb))
			return (bytes_cmp(a, an, b, bn));
		if ((c = compare_at(t->sub[0], sa.p, sa.n, sb.p, sb.n,
		    depth + 1)) != 0)
			return (c);
	}
	return (0);
}

static int
compare_at(const struct cqltype *t, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn, int depth)
{
	int		size;
	uint32_t	ua, ub;
	uint64_t	qa, qb;
	float		fa, fb;
	double		da, db;

	if (an == 0 || bn == 0)
		return (an == bn ? 0 : (an == 0 ? -1 : 1));
	if (depth > CQLVAL_MAX_DEPTH)
		return (bytes_cmp(a, an, b, bn));
	size = cqltype_fixed_size(t->kind);
	if (size > 0 && (an != (size_t)size || bn != (size_t)size))
		return (bytes_cmp(a, an, b, bn));
	switch (t->kind) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
	case CQLTYPE_TIMESTAMP:
	case CQLTYPE_TIME:
		return (i64_cmp(be_get_signed(a, an), be_get_signed(b, bn)));
	case CQLTYPE_FLOAT:
		ua = (uint32_t)be_get(a, 4);
		ub = (uint32_t)be_get(b, 4);
		memcpy(&fa, &ua, 4);
		memcpy(&fb, &ub, 4);
		return (java_double_cmp(fa, fb));
	case CQLTYPE_DOUBLE:
		qa = be_get(a, 8);
		qb = be_get(b, 8);
		memcpy(&da, &qa, 8);
		memcpy(&db, &qb, 8);
		return (java_double_cmp(da, db));
	case CQLTYPE_VARINT:
		return (varint_cmp(a, an, b, bn));
	case CQLTYPE_DECIMAL:
		if (an < 5 || bn < 5)
			return (bytes_cmp(a, an, b, bn));
		return (decimal_cmp(a, an, b, bn));
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		return (uuid_cmp(t->kind, a, b));
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
		if (t->n != (t->kind == CQLTYPE_MAP ? 2U : 1U))
			break;
		return (coll_cmp(t, a, an, b, bn, depth));
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
		return (fields_cmp(t, a, an, b, bn, depth));
	case CQLTYPE_VECTOR:
		if (t->n != 1)
			break;
		return (vector_cmp(t, a, an, b, bn, depth));
	default:
		break;
	}
	/* text, ascii, blob, inet, boolean, date (unsigned), custom. */
	return (bytes_cmp(a, an, b, bn));
}

int
cqlval_compare(const struct cqltype *t, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn)
{
	return (compare_at(t, a, an, b, bn, 0));
}
