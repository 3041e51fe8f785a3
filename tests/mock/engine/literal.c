/*
 * literal.c: CQL terms (constants, collection/tuple/UDT literals, bind
 * markers, a few functions) to serialized values of a receiver's type,
 * with Cassandra's messages when they do not fit. Sets and maps come out
 * sorted and without duplicates, as Cassandra stores them.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

static const char *const_names[] = {
	"STRING", "INTEGER", "FLOAT", "BOOLEAN", "HEX", "UUID", "DURATION"
};

static int
lit_fail(char **err, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static int
lit_fail(char **err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	xvasprintf(err, fmt, ap);
	va_end(ap);
	return (-1);
}

static struct stmt *
stmt_root(struct stmt *s)
{
	return (s->parent != NULL ? s->parent : s);
}

static int
lit_bad_const(const struct term *t, const struct cqltype *type,
    const char *name, char **err)
{
	char	*tn = cqltype_format(type);

	lit_fail(err, "Invalid %s constant (%s) for \"%s\" of type %s",
	    const_names[t->ck], t->text, name, tn);
	free(tn);
	return (-1);
}

static int
lit_integer(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		return (-1);
	*out = v;
	return (0);
}

static void
put_be(struct wbuf *w, uint64_t v, int n)
{
	uint8_t	b[8];
	int	i;

	for (i = n - 1; i >= 0; i--) {
		b[i] = v & 0xff;
		v >>= 8;
	}
	wbuf_raw(w, b, n);
}

/* One constant as a scalar of the expected type. */
static int
lit_scalar(const struct term *t, const struct cqltype *type,
    const char *name, struct wbuf *w, char **err)
{
	enum cqltype_kind	k = type->kind;
	int64_t			i;
	double			d;
	float			f;
	int32_t			scale, months, days;
	int64_t			ns;
	uint32_t		day;
	uint8_t			u[16];
	size_t			alen, start, n;

	switch (k) {
	case CQLTYPE_ASCII:
	case CQLTYPE_TEXT:
		if (t->ck != CONST_STRING)
			return (lit_bad_const(t, type, name, err));
		n = t->len > 0 ? t->len : strlen(t->text);
		if (k == CQLTYPE_ASCII && !cqlval_ascii_valid(
		    (const uint8_t *)t->text, n))
			return (lit_fail(err, "Invalid ASCII character in "
			    "string literal"));
		if (k == CQLTYPE_TEXT && !cqlval_utf8_valid(
		    (const uint8_t *)t->text, n))
			return (lit_fail(err, "Invalid UTF-8 in string literal"));
		wbuf_raw(w, t->text, n);
		return (0);
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		if (t->ck != CONST_INTEGER)
			return (lit_bad_const(t, type, name, err));
		{
			int	sz = k == CQLTYPE_TINYINT ? 1 :
			    k == CQLTYPE_SMALLINT ? 2 : k == CQLTYPE_INT ? 4 : 8;
			int64_t	lo = sz == 8 ? INT64_MIN :
			    -((int64_t)1 << (sz * 8 - 1));
			int64_t	hi = sz == 8 ? INT64_MAX :
			    ((int64_t)1 << (sz * 8 - 1)) - 1;

			if (lit_integer(t->text, lo, hi, &i) != 0)
				return (lit_fail(err, "Unable to make %s from "
				    "'%s'", cqltype_kind_name(k), t->text));
			put_be(w, (uint64_t)i, sz);
		}
		return (0);
	case CQLTYPE_VARINT:
		if (t->ck != CONST_INTEGER)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_varint_from_string(t->text, w) != 0)
			return (lit_fail(err, "Unable to make varint from '%s'",
			    t->text));
		return (0);
	case CQLTYPE_DECIMAL:
		if (t->ck != CONST_INTEGER && t->ck != CONST_FLOAT)
			return (lit_bad_const(t, type, name, err));
		start = w->len;
		put_be(w, 0, 4);
		if (cqlval_decimal_from_string(t->text, &scale, w) != 0)
			return (lit_fail(err, "Unable to make decimal from "
			    "'%s'", t->text));
		wbuf_put_u32_at(w, start, (uint32_t)scale);
		return (0);
	case CQLTYPE_DOUBLE:
		if (t->ck != CONST_INTEGER && t->ck != CONST_FLOAT)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_double_parse(t->text, &d) != 0)
			return (lit_fail(err, "Unable to make double from "
			    "'%s'", t->text));
		{
			uint64_t	bits;

			memcpy(&bits, &d, 8);
			put_be(w, bits, 8);
		}
		return (0);
	case CQLTYPE_FLOAT:
		if (t->ck != CONST_INTEGER && t->ck != CONST_FLOAT)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_float_parse(t->text, &f) != 0)
			return (lit_fail(err, "Unable to make float from '%s'",
			    t->text));
		{
			uint32_t	bits;

			memcpy(&bits, &f, 4);
			put_be(w, bits, 4);
		}
		return (0);
	case CQLTYPE_BOOLEAN:
		if (t->ck != CONST_BOOLEAN)
			return (lit_bad_const(t, type, name, err));
		wbuf_u8(w, strcmp(t->text, "true") == 0);
		return (0);
	case CQLTYPE_BLOB:
	case CQLTYPE_CUSTOM:
		if (t->ck != CONST_HEX)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_blob_parse(t->text, w) != 0)
			return (lit_fail(err, "cannot parse '%s' as hex bytes",
			    t->text));
		return (0);
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		if (t->ck != CONST_UUID)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_uuid_parse(t->text, u) != 0)
			return (lit_bad_const(t, type, name, err));
		if (k == CQLTYPE_TIMEUUID && cqlval_uuid_version(u) != 1)
			return (lit_fail(err, "Unsupported UUID version for "
			    "timeuuid: %s", t->text));
		wbuf_raw(w, u, 16);
		return (0);
	case CQLTYPE_INET:
		if (t->ck != CONST_STRING)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_inet_parse(t->text, u, &alen) != 0)
			return (lit_fail(err, "Unable to make inet address from "
			    "'%s'", t->text));
		wbuf_raw(w, u, alen);
		return (0);
	case CQLTYPE_TIMESTAMP:
		if (t->ck == CONST_INTEGER) {
			if (lit_integer(t->text, INT64_MIN, INT64_MAX, &i) != 0)
				return (lit_bad_const(t, type, name, err));
		} else if (t->ck == CONST_STRING) {
			if (cqlval_timestamp_parse(t->text, &i) != 0)
				return (lit_fail(err, "Unable to coerce '%s' to "
				    "a formatted date (long)", t->text));
		} else
			return (lit_bad_const(t, type, name, err));
		put_be(w, (uint64_t)i, 8);
		return (0);
	case CQLTYPE_DATE:
		if (t->ck == CONST_INTEGER) {
			if (lit_integer(t->text, 0, UINT32_MAX, &i) != 0)
				return (lit_bad_const(t, type, name, err));
			day = (uint32_t)i;
		} else if (t->ck == CONST_STRING) {
			if (cqlval_date_parse(t->text, &day) != 0)
				return (lit_fail(err, "Unable to coerce '%s' to "
				    "a formatted date (long)", t->text));
		} else
			return (lit_bad_const(t, type, name, err));
		put_be(w, day, 4);
		return (0);
	case CQLTYPE_TIME:
		if (t->ck == CONST_INTEGER) {
			if (lit_integer(t->text, 0, 86399999999999LL, &i) != 0)
				return (lit_bad_const(t, type, name, err));
		} else if (t->ck == CONST_STRING) {
			if (cqlval_time_parse(t->text, &i) != 0)
				return (lit_fail(err, "Unable to coerce '%s' to "
				    "a formatted time (long)", t->text));
		} else
			return (lit_bad_const(t, type, name, err));
		put_be(w, (uint64_t)i, 8);
		return (0);
	case CQLTYPE_DURATION:
		if (t->ck != CONST_DURATION && t->ck != CONST_STRING)
			return (lit_bad_const(t, type, name, err));
		if (cqlval_duration_parse(t->text, &months, &days, &ns) != 0)
			return (lit_fail(err, "Unable to convert '%s' to a "
			    "duration", t->text));
		wbuf_vint(w, months);
		wbuf_vint(w, days);
		wbuf_vint(w, ns);
		return (0);
	default:
		return (lit_bad_const(t, type, name, err));
	}
}

/* Serialized elements waiting to be sorted (sets, maps). */
struct elem {
	const struct cqltype	*type;
	uint8_t			*k;
	size_t			 kn;
	uint8_t			*v;
	size_t			 vn;
	size_t			 order;
};

static int
elem_cmp(const void *a, const void *b)
{
	const struct elem	*x = a, *y = b;
	int			 c;

	c = cqlval_compare(x->type, x->k, x->kn, y->k, y->kn);
	if (c != 0)
		return (c);
	return (x->order < y->order ? -1 : x->order > y->order);
}

void
ser_coll_begin(struct wbuf *w, size_t *mark)
{
	*mark = w->len;
	wbuf_u32(w, 0);
}

void
ser_coll_item(struct wbuf *w, const void *p, size_t n)
{
	wbuf_bytes(w, p, n);
}

void
ser_coll_end(struct wbuf *w, size_t mark, uint32_t n)
{
	wbuf_put_u32_at(w, mark, n);
}

void
ser_text(struct wbuf *w, const char *s)
{
	wbuf_raw(w, s, strlen(s));
}

/*
 * Write a set (n slices) or map (n pairs, 2n slices) sorted by element or
 * key; a later duplicate replaces an earlier one. Returns the count.
 */
int
ser_sorted_coll(const struct cqltype *ktype, struct slice *s, size_t n,
    int map, struct wbuf *w)
{
	struct elem	*e;
	size_t		 i, out = 0, mark;

	e = xcalloc(n + 1, sizeof *e);
	for (i = 0; i < n; i++) {
		e[i].type = ktype;
		e[i].k = (uint8_t *)s[map ? 2 * i : i].p;
		e[i].kn = s[map ? 2 * i : i].n;
		if (map) {
			e[i].v = (uint8_t *)s[2 * i + 1].p;
			e[i].vn = s[2 * i + 1].n;
		}
		e[i].order = i;
	}
	qsort(e, n, sizeof *e, elem_cmp);
	ser_coll_begin(w, &mark);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && cqlval_compare(ktype, e[i].k, e[i].kn,
		    e[i + 1].k, e[i + 1].kn) == 0)
			continue;	/* keep the last duplicate */
		ser_coll_item(w, e[i].k, e[i].kn);
		if (map)
			ser_coll_item(w, e[i].v, e[i].vn);
		out++;
	}
	ser_coll_end(w, mark, out);
	free(e);
	return ((int)out);
}

static int lit_value(struct lit_ctx *, const struct term *,
    const struct cqltype *, const char *, struct wbuf *, enum lit_state *,
    char **, int);

/* An element of a collection/tuple/UDT into its own buffer. */
static int
lit_sub(struct lit_ctx *lc, const struct term *t, const struct cqltype *type,
    const char *name, struct wbuf *w, enum lit_state *st, char **err,
    int depth, int null_ok)
{
	if (lit_value(lc, t, type, name, w, st, err, depth + 1) != 0)
		return (-1);
	if (*st == LIT_UNSET)
		return (lit_fail(err, "Invalid unset value for %s", name));
	if (*st == LIT_NULL && !null_ok)
		return (lit_fail(err, "null is not supported inside "
		    "collections"));
	return (0);
}

static int
lit_collection(struct lit_ctx *lc, const struct term *t,
    const struct cqltype *type, const char *name, struct wbuf *w,
    enum lit_state *st, char **err, int depth)
{
	struct wbuf	 tmp;
	struct slice	*sl = NULL;
	size_t		*offs = NULL, i, mark, nsl;
	enum lit_state	 est;
	char		*tn;
	int		 rc = -1, ismap = type->kind == CQLTYPE_MAP;

	if (t->kind == TERM_EMPTY_BRACES && type->kind != CQLTYPE_LIST) {
		if (!type->frozen) {
			*st = LIT_NULL;
			return (0);
		}
		wbuf_u32(w, 0);
		return (0);
	}
	if ((type->kind == CQLTYPE_LIST && t->kind != TERM_LIST) ||
	    (type->kind == CQLTYPE_SET && t->kind != TERM_SET) ||
	    (ismap && t->kind != TERM_MAP)) {
		tn = cqltype_format(type);
		lit_fail(err, "Invalid %s literal for %s of type %s",
		    t->kind == TERM_LIST ? "list" : t->kind == TERM_MAP ?
		    "map" : t->kind == TERM_SET ? "set" : "value", name, tn);
		free(tn);
		return (-1);
	}
	if (t->n == 0 && !type->frozen) {
		*st = LIT_NULL;
		return (0);
	}
	nsl = ismap ? 2 * t->n : t->n;
	wbuf_init(&tmp, ENGINE_MAX_CELL);
	offs = xcalloc(nsl + 1, sizeof *offs);
	sl = xcalloc(nsl + 1, sizeof *sl);
	for (i = 0; i < t->n; i++) {
		offs[ismap ? 2 * i : i] = tmp.len;
		if (lit_sub(lc, t->a[i], type->sub[0], name, &tmp, &est, err,
		    depth, 0) != 0)
			goto out;
		if (ismap) {
			offs[2 * i + 1] = tmp.len;
			if (lit_sub(lc, t->b[i], type->sub[1], name, &tmp, &est,
			    err, depth, 0) != 0)
				goto out;
		}
	}
	if (!wbuf_ok(&tmp)) {
		lit_fail(err, "collection too large");
		goto out;
	}
	for (i = 0; i < nsl; i++) {
		sl[i].p = tmp.p + offs[i];
		sl[i].n = (i + 1 < nsl ? offs[i + 1] : tmp.len) - offs[i];
	}
	if (type->kind == CQLTYPE_LIST) {
		ser_coll_begin(w, &mark);
		for (i = 0; i < nsl; i++)
			ser_coll_item(w, sl[i].p, sl[i].n);
		ser_coll_end(w, mark, nsl);
	} else
		ser_sorted_coll(type->sub[0], sl, t->n, ismap, w);
	*st = LIT_VALUE;
	rc = 0;
out:
	free(sl);
	free(offs);
	wbuf_free(&tmp);
	return (rc);
}

static int
lit_vector(struct lit_ctx *lc, const struct term *t,
    const struct cqltype *type, const char *name, struct wbuf *w,
    enum lit_state *st, char **err, int depth)
{
	struct wbuf	tmp;
	size_t		i;
	int		fixed = cqltype_fixed_size(type->sub[0]->kind);
	enum lit_state	est;

	if (t->kind != TERM_LIST)
		return (lit_fail(err, "Invalid vector literal for %s", name));
	if (t->n != type->dimension)
		return (lit_fail(err, "Invalid vector literal for %s of type "
		    "vector: expected %u elements, got %zu", name,
		    type->dimension, t->n));
	for (i = 0; i < t->n; i++) {
		wbuf_init(&tmp, ENGINE_MAX_CELL);
		if (lit_sub(lc, t->a[i], type->sub[0], name, &tmp, &est, err,
		    depth, 0) != 0) {
			wbuf_free(&tmp);
			return (-1);
		}
		if (fixed < 0)
			wbuf_uvint(w, tmp.len);
		wbuf_raw(w, tmp.p, tmp.len);
		wbuf_free(&tmp);
	}
	*st = LIT_VALUE;
	return (0);
}

static int
lit_tuple(struct lit_ctx *lc, const struct term *t, const struct cqltype *type,
    const char *name, struct wbuf *w, enum lit_state *st, char **err,
    int depth)
{
	struct wbuf		 tmp;
	size_t			 i, j;
	enum lit_state		 est;
	const struct term	*el;
	char			*tn;

	if (type->kind == CQLTYPE_TUPLE && t->kind != TERM_TUPLE)
		goto bad;
	if (type->kind == CQLTYPE_UDT && t->kind != TERM_UDT)
		goto bad;
	if (t->n > type->n) {
		if (type->kind == CQLTYPE_TUPLE)
			return (lit_fail(err, "Invalid tuple literal for %s: too "
			    "many elements. Type %s expects %zu but got %zu",
			    name, "tuple", type->n, t->n));
	}
	if (type->kind == CQLTYPE_UDT) {
		for (i = 0; i < t->n; i++) {
			for (j = 0; j < type->n; j++) {
				if (strcmp(t->names[i], type->fields[j]) == 0)
					break;
			}
			if (j == type->n)
				return (lit_fail(err, "Unknown field '%s' in "
				    "value of user defined type %s",
				    t->names[i], type->name));
		}
	}
	for (i = 0; i < type->n; i++) {
		el = NULL;
		if (type->kind == CQLTYPE_TUPLE)
			el = i < t->n ? t->a[i] : NULL;
		else {
			for (j = 0; j < t->n; j++) {
				if (strcmp(t->names[j], type->fields[i]) == 0)
					el = t->a[j];
			}
		}
		if (el == NULL) {
			wbuf_i32(w, -1);
			continue;
		}
		wbuf_init(&tmp, ENGINE_MAX_CELL);
		if (lit_sub(lc, el, type->sub[i], name, &tmp, &est, err, depth,
		    1) != 0) {
			wbuf_free(&tmp);
			return (-1);
		}
		if (est == LIT_NULL)
			wbuf_i32(w, -1);
		else
			wbuf_bytes(w, tmp.p, tmp.len);
		wbuf_free(&tmp);
	}
	*st = LIT_VALUE;
	return (0);
bad:
	tn = cqltype_format(type);
	lit_fail(err, "Invalid %s literal for %s of type %s",
	    t->kind == TERM_LIST ? "list" : t->kind == TERM_SET ? "set" :
	    t->kind == TERM_MAP ? "map" : t->kind == TERM_TUPLE ? "tuple" :
	    "value", name, tn);
	free(tn);
	return (-1);
}

/* The value of a function call and the kind it returns. */
static int
lit_function(struct lit_ctx *lc, const struct term *t,
    const struct cqltype *type, const char *name, struct wbuf *w,
    enum lit_state *st, char **err, int depth)
{
	const char		*f = t->text;
	enum cqltype_kind	 rk, ek = type->kind;
	uint8_t			 u[16];
	int64_t			 now = db_now(lc->db);

	*st = LIT_VALUE;
	if ((strcmp(f, "now") == 0 || strcmp(f, "currenttimeuuid") == 0) &&
	    t->n == 0) {
		db_timeuuid(lc->db, u);
		wbuf_raw(w, u, 16);
		rk = CQLTYPE_TIMEUUID;
	} else if (strcmp(f, "uuid") == 0 && t->n == 0) {
		db_random_uuid(lc->db, u);
		wbuf_raw(w, u, 16);
		rk = CQLTYPE_UUID;
	} else if (strcmp(f, "currenttimestamp") == 0 && t->n == 0) {
		put_be(w, (uint64_t)(now / 1000), 8);
		rk = CQLTYPE_TIMESTAMP;
	} else if (strcmp(f, "currentdate") == 0 && t->n == 0) {
		put_be(w, (uint32_t)((now / 1000000) / 86400 +
		    ((int64_t)1 << 31)), 4);
		rk = CQLTYPE_DATE;
	} else if (strcmp(f, "currenttime") == 0 && t->n == 0) {
		put_be(w, (uint64_t)((now % 86400000000LL) * 1000), 8);
		rk = CQLTYPE_TIME;
	} else if ((strcmp(f, "totimestamp") == 0 ||
	    strcmp(f, "tounixtimestamp") == 0) && t->n == 1) {
		struct cqltype	*tu = cqltype_new_scalar(CQLTYPE_TIMEUUID);
		struct wbuf	 tmp;
		int		 rc;

		wbuf_init(&tmp, 64);
		rc = lit_value(lc, t->a[0], tu, name, &tmp, st, err,
		    depth + 1);
		cqltype_free(tu);
		if (rc != 0 || *st != LIT_VALUE || tmp.len != 16) {
			wbuf_free(&tmp);
			if (rc == 0)
				lit_fail(err, "Invalid argument to %s", f);
			return (-1);
		}
		put_be(w, (uint64_t)((int64_t)(cqlval_timeuuid_time(tmp.p) -
		    0x01B21DD213814000ULL) / 10000), 8);
		wbuf_free(&tmp);
		rk = f[2] == 't' ? CQLTYPE_TIMESTAMP : CQLTYPE_BIGINT;
	} else {
		size_t	fl = strlen(f);

		/* textasblob(x) / blobastext(x) and friends */
		if (fl > 6 && strcmp(f + fl - 6, "asblob") == 0 && t->n == 1) {
			char		*tn = xstrndup(f, fl - 6);
			struct cqltype	*at = cqltype_parse(tn, NULL);
			int		 rc;

			free(tn);
			if (at == NULL)
				return (lit_fail(err, "Unknown function %s",
				    f));
			rc = lit_value(lc, t->a[0], at, name, w, st, err,
			    depth + 1);
			cqltype_free(at);
			if (rc != 0)
				return (-1);
			rk = CQLTYPE_BLOB;
		} else if (fl > 6 && strncmp(f, "blobas", 6) == 0 &&
		    t->n == 1) {
			struct cqltype	*at = cqltype_parse(f + 6, NULL);
			struct cqltype	*bt = cqltype_new_scalar(CQLTYPE_BLOB);
			int		 rc;

			if (at == NULL) {
				cqltype_free(bt);
				return (lit_fail(err, "Unknown function %s",
				    f));
			}
			rk = at->kind;
			cqltype_free(at);
			rc = lit_value(lc, t->a[0], bt, name, w, st, err,
			    depth + 1);
			cqltype_free(bt);
			if (rc != 0)
				return (-1);
		} else
			return (lit_fail(err, "Unknown function %s called", f));
	}
	if (rk != ek && !(rk == CQLTYPE_TIMEUUID && ek == CQLTYPE_UUID) &&
	    !(rk == CQLTYPE_BLOB && ek == CQLTYPE_CUSTOM) &&
	    !(ek == CQLTYPE_BLOB && rk != CQLTYPE_BLOB && 0)) {
		char	*tn = cqltype_format(type);

		lit_fail(err, "Type error: cannot assign result of function "
		    "%s (type %s) to %s (type %s)", f, cqltype_kind_name(rk),
		    name, tn);
		free(tn);
		return (-1);
	}
	return (0);
}

static int
lit_value(struct lit_ctx *lc, const struct term *t, const struct cqltype *type,
    const char *name, struct wbuf *w, enum lit_state *st, char **err,
    int depth)
{
	const struct bytesval	*bv;
	size_t			 idx;
	char			 msg[160];

	if (depth > ENGINE_MAX_DEPTH)
		return (lit_fail(err, "value nested too deeply"));
	*st = LIT_VALUE;
	switch (t->kind) {
	case TERM_NULL:
		*st = LIT_NULL;
		return (0);
	case TERM_BIND:
		idx = lc->bindmap != NULL ? (size_t)lc->bindmap[t->bind] :
		    (size_t)t->bind;
		if (lc->values == NULL || idx >= lc->values->n)
			return (lit_fail(err, "No value bound for %s", name));
		bv = &lc->values->v[idx];
		if (bv->state == BYTES_UNSET) {
			*st = LIT_UNSET;
			return (0);
		}
		if (bv->state == BYTES_NULL) {
			*st = LIT_NULL;
			return (0);
		}
		if (type->kind != CQLTYPE_CUSTOM && cqlval_validate(type,
		    bv->v.p, bv->v.n, msg, sizeof msg) != 0)
			return (lit_fail(err, "Invalid value for %s: %s", name,
			    msg));
		if (bv->v.n > ENGINE_MAX_CELL)
			return (lit_fail(err, "value of %s too large", name));
		/* an empty non-frozen collection is no collection at all */
		if (depth == 0 && cqltype_is_collection(type->kind) &&
		    !type->frozen && bv->v.n == 4 && memcmp(bv->v.p,
		    "\0\0\0\0", 4) == 0) {
			*st = LIT_NULL;
			return (0);
		}
		wbuf_raw(w, bv->v.p, bv->v.n);
		return (0);
	case TERM_CONST:
		if (cqltype_is_collection(type->kind) ||
		    type->kind == CQLTYPE_TUPLE || type->kind == CQLTYPE_UDT ||
		    type->kind == CQLTYPE_VECTOR)
			return (lit_bad_const(t, type, name, err));
		return (lit_scalar(t, type, name, w, err));
	case TERM_FUNC:
		return (lit_function(lc, t, type, name, w, st, err, depth));
	case TERM_CAST:
		return (lit_value(lc, t->a[0], type, name, w, st, err,
		    depth + 1));
	default:
		break;
	}
	switch (type->kind) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
		return (lit_collection(lc, t, type, name, w, st, err, depth));
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
		return (lit_tuple(lc, t, type, name, w, st, err, depth));
	case CQLTYPE_VECTOR:
		return (lit_vector(lc, t, type, name, w, st, err, depth));
	default:
		{
			char	*tn = cqltype_format(type);

			lit_fail(err, "Invalid %s literal for %s of type %s",
			    t->kind == TERM_LIST ? "list" : t->kind ==
			    TERM_TUPLE ? "tuple" : t->kind == TERM_UDT ?
			    "user type" : "collection", name, tn);
			free(tn);
		}
		return (-1);
	}
}

int
lit_encode(struct lit_ctx *lc, const struct term *t,
    const struct cqltype *type, const char *name, struct wbuf *w,
    enum lit_state *st, char **err)
{
	*err = NULL;
	if (lit_value(lc, t, type, name, w, st, err, 0) != 0)
		return (-1);
	if (!wbuf_ok(w))
		return (lit_fail(err, "value of %s too large", name));
	return (0);
}

static void
bind_set(struct stmt *root, int idx, const char *ks, const char *table,
    const char *recv, const struct cqltype *type)
{
	struct bindvar	*b = &root->binds[idx];

	free(b->recv);
	cqltype_free(b->type);
	b->ks = ks;
	b->table = table;
	b->recv = xstrdup(recv);
	b->type = type != NULL ? cqltype_dup(type) : NULL;
}

/* Walk a term and give each bind marker in it the type it receives. */
void
lit_bind_type(struct stmt *s, const struct term *t, const char *ks,
    const char *table, const char *recv, const struct cqltype *type)
{
	struct stmt	*root = stmt_root(s);
	char		*sub;
	size_t		 i;

	if (t == NULL || type == NULL)
		return;
	switch (t->kind) {
	case TERM_BIND:
		bind_set(root, t->bind, ks, table, recv, type);
		return;
	case TERM_LIST:
	case TERM_SET:
		if (type->n < 1 || (type->kind != CQLTYPE_LIST &&
		    type->kind != CQLTYPE_SET && type->kind != CQLTYPE_VECTOR))
			return;
		xasprintf(&sub, "value(%s)", recv);
		for (i = 0; i < t->n; i++)
			lit_bind_type(s, t->a[i], ks, table, sub, type->sub[0]);
		free(sub);
		return;
	case TERM_MAP:
		if (type->kind != CQLTYPE_MAP)
			return;
		for (i = 0; i < t->n; i++) {
			xasprintf(&sub, "key(%s)", recv);
			lit_bind_type(s, t->a[i], ks, table, sub, type->sub[0]);
			free(sub);
			xasprintf(&sub, "value(%s)", recv);
			lit_bind_type(s, t->b[i], ks, table, sub, type->sub[1]);
			free(sub);
		}
		return;
	case TERM_TUPLE:
		if (type->kind != CQLTYPE_TUPLE)
			return;
		for (i = 0; i < t->n && i < type->n; i++) {
			xasprintf(&sub, "%s[%zu]", recv, i);
			lit_bind_type(s, t->a[i], ks, table, sub, type->sub[i]);
			free(sub);
		}
		return;
	case TERM_UDT:
		if (type->kind != CQLTYPE_UDT)
			return;
		for (i = 0; i < t->n; i++) {
			size_t	j;

			for (j = 0; j < type->n; j++) {
				if (strcmp(type->fields[j], t->names[i]) == 0)
					break;
			}
			if (j == type->n)
				continue;
			xasprintf(&sub, "%s.%s", recv, t->names[i]);
			lit_bind_type(s, t->a[i], ks, table, sub, type->sub[j]);
			free(sub);
		}
		return;
	case TERM_CAST:
		lit_bind_type(s, t->a[0], ks, table, recv, type);
		return;
	default:
		return;
	}
}

/* Replace unresolved UDT names in a type tree by their definitions. */
int
lit_resolve_type(struct db *db, const char *ks, struct cqltype *t, char **err)
{
	struct keyspace	*k;
	struct udt	*u;
	struct cqltype	*d, swap;
	size_t		 i;
	int		 frozen;

	if (t->kind == CQLTYPE_UDT && t->n == 0 && t->fields == NULL) {
		k = db_keyspace(db, t->keyspace != NULL ? t->keyspace : ks);
		if ((u = db_type(k, t->name)) == NULL)
			return (lit_fail(err, "Unknown type %s.%s",
			    t->keyspace != NULL ? t->keyspace : ks, t->name));
		d = cqltype_dup(u->type);
		frozen = t->frozen;
		swap = *t;
		*t = *d;
		*d = swap;
		cqltype_free(d);
		t->frozen = frozen;
		return (0);
	}
	for (i = 0; i < t->n; i++) {
		if (t->sub[i] != NULL &&
		    lit_resolve_type(db, ks, t->sub[i], err) != 0)
			return (-1);
	}
	return (0);
}
