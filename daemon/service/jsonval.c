/*
 * jsonval.c: the daemon's one mapping between CQL values and JSON, after
 * Cassandra's SELECT JSON / INSERT JSON (see jsonval.h and the "Values"
 * section of docs/protocol.md).
 *
 * Output walks a value decoded by cqlval and writes JSON text itself, so
 * that varint and decimal digits survive exactly; the jansson tree form is
 * built by a second, parallel walk. Input builds a cqlval tree from the
 * json_t (checking ranges and text forms), sorts sets and maps as Cassandra
 * orders them, and lets cqlval_encode serialize it.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "jsonval.h"

static const struct jsonval_opts jsonval_defaults = JSONVAL_OPTS_DEFAULT;

/* Where an error message goes, and the options in force. */
static void	utf8_trim(char *);

struct jctx {
	const struct jsonval_opts	*o;
	char				*err;
	size_t				 errlen;
	int				 failed;
};

static int printflike(2, 3)
jctx_fail(struct jctx *c, const char *fmt, ...)
{
	va_list	ap;

	/* The innermost message is the useful one: keep the first. */
	if (!c->failed && c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
		utf8_trim(c->err);
	}
	c->failed = 1;
	return (-1);
}

static void
jctx_init(struct jctx *c, const struct jsonval_opts *o, char *err,
    size_t errlen)
{
	c->o = o != NULL ? o : &jsonval_defaults;
	c->err = err;
	c->errlen = errlen;
	c->failed = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

/* A type's CQL name for messages, in a caller buffer. */
static const char *
type_name(const struct cqltype *t, char *buf, size_t len)
{
	char	*s = cqltype_format(t);

	snprintf(buf, len, "%s", s);
	free(s);
	return (buf);
}

/* Cut a message back to whole UTF-8 characters (it goes into JSON). */
static void
utf8_trim(char *s)
{
	size_t	n = strlen(s), k;

	for (k = 0; k < 4 && n > 0; k++) {
		if (cqlval_utf8_valid((const uint8_t *)s, n))
			break;
		s[--n] = '\0';
	}
}

/* A JSON value for messages: compact, cut at about 60 bytes. */
static const char *
json_desc(const json_t *j, char *buf, size_t len)
{
	json_t	*cut = NULL;
	char	*s;
	size_t	 n;

	/* Reals as their shortest digits, not jansson's 17. */
	if (json_is_real(j) &&
	    cqlval_double_format(json_real_value(j), buf, len) >= 0)
		return (buf);
	/* Long strings are cut before dumping, not after. */
	if (json_is_string(j) && json_string_length(j) > 60) {
		n = 57;
		while (n > 0 && !cqlval_utf8_valid(
		    (const uint8_t *)json_string_value(j), n))
			n--;
		cut = json_stringn(json_string_value(j), n);
	}
	s = json_dumps(cut != NULL ? cut : j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(cut);
	if (s == NULL) {
		snprintf(buf, len, "?");
		return (buf);
	}
	if (cut != NULL) {
		s[strlen(s) - 1] = '\0';	/* the closing quote */
		snprintf(buf, len, "%s...\"", s);
	}
	else if (strlen(s) > 60)
		snprintf(buf, len, "%.57s...", s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	utf8_trim(buf);
	return (buf);
}

/* Bytes that end a plain run in a string: controls, '"', '\\', non-ASCII. */
static const uint8_t quick_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x00 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x20 '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x80 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/*
 * Runs of plain string bytes, eight at a time: a word is plain when no
 * byte is below 0x20, '"' or '\\' (and, if high, none is 0x80 or more).
 * A byte minus one (or minus 0x20) sets its top bit, for a byte below
 * 0x80, only when it was 0 (or below 0x20); a borrow into the next byte
 * comes only from such a byte, so below the first byte rightly flagged
 * none is flagged wrongly, and the lowest flagged byte ends the run.
 */
#define JV_ONES		UINT64_C(0x0101010101010101)
#define JV_HIGH		UINT64_C(0x8080808080808080)

static inline uint64_t
jv_word_stops(uint64_t x, int high)
{
	uint64_t	t;

	t = ((x ^ (JV_ONES * '"')) - JV_ONES) |
	    ((x ^ (JV_ONES * '\\')) - JV_ONES) | (x - JV_ONES * 0x20);
	return ((high ? t | x : t & ~x) & JV_HIGH);
}

/* How many bytes from p are plain (see above). */
static inline size_t
jv_plain_run(const uint8_t *p, size_t n, int high)
{
	uint64_t	x, m;
	size_t		i;

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&x, p + i, 8);
			if ((m = jv_word_stops(x, high)) != 0)
				return (i + ((size_t)__builtin_ctzll(m) >> 3));
		}
		if (i == n)
			return (n);
		/* The last eight bytes, the first of them known plain. */
		memcpy(&x, p + n - 8, 8);
		if ((m = jv_word_stops(x, high)) != 0)
			return (n - 8 + ((size_t)__builtin_ctzll(m) >> 3));
		return (n);
	}
#endif
	for (i = 0; i < n; i++) {
		if (quick_special[p[i]] && (high || p[i] < 0x80))
			break;
	}
	return (i);
}

/* The same, stopping at non-ASCII bytes too, and not. */
static size_t
jv_ascii_run(const uint8_t *p, size_t n)
{
	return (jv_plain_run(p, n, 1));
}

static size_t
jv_text_run(const uint8_t *p, size_t n)
{
	return (jv_plain_run(p, n, 0));
}

/*
 * JSON text output.
 */

/* A copy with every byte that starts no valid UTF-8 sequence as U+FFFD. */
static char *
jsonval_utf8_repair(const uint8_t *p, size_t n, size_t *outn)
{
	char	*out;
	size_t	 i = 0, o = 0, len;

	if (n > SIZE_MAX / 3)
		fatalx("%s: string too long", __func__);
	out = xmalloc(n * 3 + 1);
	while (i < n) {
		if (p[i] < 0x80)
			len = 1;
		else if ((p[i] & 0xe0) == 0xc0)
			len = 2;
		else if ((p[i] & 0xf0) == 0xe0)
			len = 3;
		else if ((p[i] & 0xf8) == 0xf0)
			len = 4;
		else
			len = 0;
		if (len != 0 && len <= n - i && cqlval_utf8_valid(p + i, len)) {
			memcpy(out + o, p + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*outn = o;
	return (out);
}

void
jsonval_write_string(struct wbuf *w, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const uint8_t		*p = (const uint8_t *)s;
	size_t			 i, start, fn;
	uint8_t			*o;
	char			 esc[6], *fixed;

	/* ASCII with nothing to escape (the common case): one copy. */
	i = jv_ascii_run(p, n);
	if (i == n) {
		if ((o = wbuf_reserve(w, n + 2)) != NULL) {
			o[0] = '"';
			memcpy(o + 1, p, n);
			o[n + 1] = '"';
		}
		return;
	}

	/*
	 * Error texts from nodes and cut messages may not be UTF-8; an
	 * answer line must always be valid JSON text.
	 */
	for (; i < n && p[i] < 0x80; i++)
		;
	if (i < n && !cqlval_utf8_valid(p, n)) {
		fixed = jsonval_utf8_repair(p, n, &fn);
		jsonval_write_string(w, fixed, fn);
		free(fixed);
		return;
	}

	/* Plain runs copied whole, the bytes between them escaped. */
	wbuf_u8(w, '"');
	start = 0;
	for (i = jv_text_run(p, n); i < n; i = start +
	    jv_text_run(p + start, n - start)) {
		wbuf_raw(w, p + start, i - start);
		start = i + 1;
		switch (p[i]) {
		case '"':
			wbuf_raw(w, "\\\"", 2);
			break;
		case '\\':
			wbuf_raw(w, "\\\\", 2);
			break;
		case '\n':
			wbuf_raw(w, "\\n", 2);
			break;
		case '\r':
			wbuf_raw(w, "\\r", 2);
			break;
		case '\t':
			wbuf_raw(w, "\\t", 2);
			break;
		case '\b':
			wbuf_raw(w, "\\b", 2);
			break;
		case '\f':
			wbuf_raw(w, "\\f", 2);
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 0xf];
			wbuf_raw(w, esc, 6);
			break;
		}
	}
	wbuf_raw(w, p + start, n - start);
	wbuf_u8(w, '"');
}

static void
wbuf_str(struct wbuf *w, const char *s)
{
	wbuf_raw(w, s, strlen(s));
}

/* Whether a kind's JSON form is a number that may go out as a string. */
static int
is_big_number(enum cqltype_kind k)
{
	return (k == CQLTYPE_BIGINT || k == CQLTYPE_COUNTER ||
	    k == CQLTYPE_VARINT || k == CQLTYPE_DECIMAL);
}

/*
 * The text of a scalar that JSON shows as a string or a bare number:
 * *quote says which. Returns an xmalloc'd string, or NULL for JSON null
 * (NaN and infinities without numbers_as_strings).
 */
static char *
scalar_text(struct jctx *c, const struct cqltype *t, const struct cqlval *v,
    int key, int *quote)
{
	char	 buf[128];
	char	*s;
	int64_t	 back;
	double	 d;

	*quote = 1;
	switch (t->kind) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		*quote = c->o->numbers_as_strings && is_big_number(t->kind);
		xasprintf(&s, "%" PRId64, v->u.i);
		return (s);
	case CQLTYPE_VARINT:
		*quote = c->o->numbers_as_strings;
		return (cqlval_varint_to_string(v->u.bytes.p, v->u.bytes.n));
	case CQLTYPE_DECIMAL:
		*quote = c->o->numbers_as_strings;
		return (cqlval_decimal_to_string(v->u.decimal.scale,
		    v->u.decimal.p, v->u.decimal.n));
	case CQLTYPE_FLOAT:
	case CQLTYPE_DOUBLE:
		d = t->kind == CQLTYPE_FLOAT ? (double)v->u.f : v->u.d;
		if (!isfinite(d)) {
			if (!c->o->numbers_as_strings && !key)
				return (NULL);
			return (xstrdup(isnan(d) ? "NaN" :
			    d > 0 ? "Infinity" : "-Infinity"));
		}
		*quote = 0;
		if (t->kind == CQLTYPE_FLOAT)
			cqlval_float_format(v->u.f, buf, sizeof buf);
		else
			cqlval_double_format(v->u.d, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_BOOLEAN:
		*quote = 0;
		return (xstrdup(v->u.b ? "true" : "false"));
	case CQLTYPE_BLOB:
	case CQLTYPE_CUSTOM:
		return (cqlval_blob_format(v->u.bytes.p, v->u.bytes.n));
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		cqlval_uuid_format(v->u.uuid, buf);
		return (xstrdup(buf));
	case CQLTYPE_INET:
		if (cqlval_inet_format(v->u.inet.a, v->u.inet.n, buf,
		    sizeof buf) < 0)
			break;
		return (xstrdup(buf));
	case CQLTYPE_TIMESTAMP:
		/* Beyond the years a date string reads back, the number. */
		if (cqlval_timestamp_format(v->u.i, buf, sizeof buf) < 0 ||
		    cqlval_timestamp_parse(buf, &back) != 0 || back != v->u.i) {
			*quote = 0;
			xasprintf(&s, "%" PRId64, v->u.i);
			return (s);
		}
		return (xstrdup(buf));
	case CQLTYPE_DATE:
		if (cqlval_date_format((uint32_t)v->u.i, buf, sizeof buf) < 0)
			break;
		return (xstrdup(buf));
	case CQLTYPE_TIME:
		if (cqlval_time_format(v->u.i, buf, sizeof buf) < 0)
			break;
		return (xstrdup(buf));
	case CQLTYPE_DURATION:
		if (cqlval_duration_format(v->u.duration.months,
		    v->u.duration.days, v->u.duration.ns, buf, sizeof buf) < 0)
			break;
		/* Java writes zero as "", which would read back as empty. */
		return (xstrdup(buf[0] == '\0' ? "0s" : buf));
	default:
		break;
	}
	jctx_fail(c, "cannot show a value of type %s as JSON",
	    type_name(t, buf, sizeof buf));
	return (NULL);
}

static int	write_value(struct jctx *, struct wbuf *, const struct cqltype *,
		    const struct cqlval *, int, int);

/*
 * A map key as a JSON object member name: text as it is, scalars in their
 * string form, anything else (frozen collections, tuples) as its JSON text.
 */
static char *
key_text(struct jctx *c, const struct cqltype *t, const struct cqlval *v,
    size_t *len)
{
	struct wbuf	 w;
	char		*s;
	int		 quote;

	if (v->is_empty) {
		*len = 0;
		return (xstrdup(""));
	}
	if (t->kind == CQLTYPE_TEXT || t->kind == CQLTYPE_ASCII) {
		/* Text may hold NUL characters: copy by length. */
		*len = v->u.bytes.n;
		s = xmalloc(*len + 1);
		memcpy(s, v->u.bytes.p, *len);
		s[*len] = '\0';
		return (s);
	}
	if (t->n == 0 && t->kind != CQLTYPE_UDT) {
		if ((s = scalar_text(c, t, v, 1, &quote)) == NULL)
			return (NULL);
		*len = strlen(s);
		return (s);
	}
	wbuf_init(&w, WBUF_DEFAULT_CAP);
	if (write_value(c, &w, t, v, 1, 1) != 0 || !wbuf_ok(&w)) {
		wbuf_free(&w);
		return (NULL);
	}
	wbuf_u8(&w, '\0');
	s = (char *)wbuf_steal(&w, len);
	(*len)--;
	return (s);
}

/* One value as JSON text; key set while inside a map key. */
static int
write_value(struct jctx *c, struct wbuf *w, const struct cqltype *t,
    const struct cqlval *v, int depth, int key)
{
	const char	*comma = c->o->compact ? "," : ", ";
	const char	*colon = c->o->compact ? ":" : ": ";
	char		*s;
	size_t		 i, n, len;
	int		 quote;

	if (depth > CQLVAL_MAX_DEPTH)
		return (jctx_fail(c, "value nested too deeply"));
	if (v == NULL || v->is_null) {
		wbuf_str(w, "null");
		return (0);
	}
	if (v->is_empty) {
		/* A zero-length value of a type that normally has content. */
		wbuf_str(w, "\"\"");
		return (0);
	}
	switch (t->kind) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_TUPLE:
	case CQLTYPE_VECTOR:
		wbuf_u8(w, '[');
		for (i = 0; i < v->u.coll.n; i++) {
			if (i > 0)
				wbuf_str(w, comma);
			if (write_value(c, w, t->kind == CQLTYPE_TUPLE ?
			    t->sub[i] : t->sub[0], v->u.coll.items[i],
			    depth + 1, key) != 0)
				return (-1);
		}
		wbuf_u8(w, ']');
		break;
	case CQLTYPE_MAP:
		wbuf_u8(w, '{');
		for (i = 0; i < v->u.coll.n; i++) {
			if (i > 0)
				wbuf_str(w, comma);
			s = key_text(c, t->sub[0], v->u.coll.items[2 * i], &len);
			if (s == NULL)
				return (-1);
			jsonval_write_string(w, s, len);
			free(s);
			wbuf_str(w, colon);
			if (write_value(c, w, t->sub[1],
			    v->u.coll.items[2 * i + 1], depth + 1, key) != 0)
				return (-1);
		}
		wbuf_u8(w, '}');
		break;
	case CQLTYPE_UDT:
		wbuf_u8(w, '{');
		n = v->u.coll.n < t->n ? v->u.coll.n : t->n;
		for (i = 0; i < t->n; i++) {
			if (i > 0)
				wbuf_str(w, comma);
			jsonval_write_string(w, t->fields[i],
			    strlen(t->fields[i]));
			wbuf_str(w, colon);
			if (write_value(c, w, t->sub[i], i < n ?
			    v->u.coll.items[i] : NULL, depth + 1, key) != 0)
				return (-1);
		}
		wbuf_u8(w, '}');
		break;
	case CQLTYPE_TEXT:
	case CQLTYPE_ASCII:
		jsonval_write_string(w, (const char *)v->u.bytes.p,
		    v->u.bytes.n);
		break;
	default:
		if ((s = scalar_text(c, t, v, key, &quote)) == NULL) {
			if (c->failed)
				return (-1);
			wbuf_str(w, "null");
			break;
		}
		if (quote)
			jsonval_write_string(w, s, strlen(s));
		else
			wbuf_str(w, s);
		free(s);
		break;
	}
	return (0);
}

int
jsonval_write_val(const struct cqltype *t, const struct cqlval *v,
    const struct jsonval_opts *o, struct wbuf *w, char *err, size_t errlen)
{
	struct jctx	c;

	jctx_init(&c, o, err, errlen);
	if (write_value(&c, w, t, v, 0, 0) != 0)
		return (-1);
	if (!wbuf_ok(w))
		return (jctx_fail(&c, "answer too large"));
	return (0);
}

/* Decimal digits of v, without printf. */
static void
write_int64(struct wbuf *w, int64_t v, int quote)
{
	char		 buf[24], *e = buf + sizeof buf, *s = e;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (quote)
		*--s = '"';
	do {
		*--s = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--s = '-';
	if (quote)
		*--s = '"';
	wbuf_raw(w, s, (size_t)(e - s));
}

/*
 * The common cells (text and integers) written straight from their bytes:
 * 1 if done, 0 to take the general path (which also words the errors).
 */
static int
write_cql_quick(const struct cqltype *t, const uint8_t *p, size_t n,
    const struct jsonval_opts *o, struct wbuf *w)
{
	uint64_t	u = 0;
	size_t		i;

	switch (t->kind) {
	case CQLTYPE_TEXT:
		if (!cqlval_utf8_valid(p, n))
			return (0);
		jsonval_write_string(w, (const char *)p, n);
		return (1);
	case CQLTYPE_ASCII:
		if (!cqlval_ascii_valid(p, n))
			return (0);
		jsonval_write_string(w, (const char *)p, n);
		return (1);
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		if (n != (t->kind == CQLTYPE_TINYINT ? 1U :
		    t->kind == CQLTYPE_SMALLINT ? 2U :
		    t->kind == CQLTYPE_INT ? 4U : 8U))
			return (0);
		for (i = 0; i < n; i++)
			u = u << 8 | p[i];
		/* Sign-extend from n bytes. */
		if (n < 8 && (p[0] & 0x80))
			u |= ~(uint64_t)0 << (n * 8);
		write_int64(w, (int64_t)u, o->numbers_as_strings &&
		    is_big_number(t->kind));
		return (1);
	default:
		return (0);
	}
}

int
jsonval_write_cql(const struct cqltype *t, const uint8_t *p, size_t n,
    const struct jsonval_opts *o, struct wbuf *w, char *err, size_t errlen)
{
	struct cqlval	*v;
	int		 r;

	if (p == NULL) {
		wbuf_str(w, "null");
		return (wbuf_ok(w) ? 0 : -1);
	}
	if (write_cql_quick(t, p, n, o != NULL ? o : &jsonval_defaults, w)) {
		if (wbuf_ok(w))
			return (0);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "answer too large");
		return (-1);
	}
	if (cqlval_decode(t, p, n, &v, err, errlen) != 0)
		return (-1);
	r = jsonval_write_val(t, v, o, w, err, errlen);
	cqlval_free(v);
	return (r);
}

/*
 * Tree output: the same walk, building json_t.
 */

static json_t *
tree_value(struct jctx *c, const struct cqltype *t, const struct cqlval *v,
    int depth)
{
	json_t	*j, *e;
	char	*s;
	size_t	 i, n, len;
	int	 quote;
	int64_t	 i64;

	if (depth > CQLVAL_MAX_DEPTH) {
		jctx_fail(c, "value nested too deeply");
		return (NULL);
	}
	if (v == NULL || v->is_null)
		return (json_null());
	if (v->is_empty)
		return (json_string(""));
	switch (t->kind) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_TUPLE:
	case CQLTYPE_VECTOR:
		j = json_array();
		for (i = 0; i < v->u.coll.n; i++) {
			e = tree_value(c, t->kind == CQLTYPE_TUPLE ? t->sub[i] :
			    t->sub[0], v->u.coll.items[i], depth + 1);
			if (e == NULL) {
				json_decref(j);
				return (NULL);
			}
			json_array_append_new(j, e);
		}
		return (j);
	case CQLTYPE_MAP:
		j = json_object();
		for (i = 0; i < v->u.coll.n; i++) {
			s = key_text(c, t->sub[0], v->u.coll.items[2 * i], &len);
			e = s == NULL ? NULL : tree_value(c, t->sub[1],
			    v->u.coll.items[2 * i + 1], depth + 1);
			if (e == NULL) {
				free(s);
				json_decref(j);
				return (NULL);
			}
			json_object_setn_new_nocheck(j, s, len, e);
			free(s);
		}
		return (j);
	case CQLTYPE_UDT:
		j = json_object();
		n = v->u.coll.n < t->n ? v->u.coll.n : t->n;
		for (i = 0; i < t->n; i++) {
			e = tree_value(c, t->sub[i], i < n ?
			    v->u.coll.items[i] : NULL, depth + 1);
			if (e == NULL) {
				json_decref(j);
				return (NULL);
			}
			json_object_set_new_nocheck(j, t->fields[i], e);
		}
		return (j);
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		if (c->o->numbers_as_strings && is_big_number(t->kind))
			break;
		return (json_integer(v->u.i));
	case CQLTYPE_FLOAT:
		if (isfinite(v->u.f))
			return (json_real(v->u.f));
		break;
	case CQLTYPE_DOUBLE:
		if (isfinite(v->u.d))
			return (json_real(v->u.d));
		break;
	case CQLTYPE_BOOLEAN:
		return (json_boolean(v->u.b));
	case CQLTYPE_TEXT:
	case CQLTYPE_ASCII:
		return (json_stringn_nocheck((const char *)v->u.bytes.p,
		    v->u.bytes.n));
	default:
		break;
	}
	if ((s = scalar_text(c, t, v, 0, &quote)) == NULL)
		return (c->failed ? NULL : json_null());
	j = NULL;
	/* Integers that fit stay numbers; other exact numbers are strings. */
	if (!quote && (t->kind == CQLTYPE_VARINT ||
	    t->kind == CQLTYPE_TIMESTAMP)) {
		errno = 0;
		i64 = strtoll(s, NULL, 10);
		if (errno == 0)
			j = json_integer(i64);
	}
	if (j == NULL)
		j = json_string(s);
	free(s);
	return (j);
}

json_t *
jsonval_from_cql(const struct cqltype *t, const uint8_t *p, size_t n,
    const struct jsonval_opts *o, char *err, size_t errlen)
{
	struct jctx	 c;
	struct cqlval	*v;
	json_t		*j;

	if (p == NULL)
		return (json_null());
	if (cqlval_decode(t, p, n, &v, err, errlen) != 0)
		return (NULL);
	jctx_init(&c, o, err, errlen);
	j = tree_value(&c, t, v, 0);
	cqlval_free(v);
	return (j);
}

/*
 * Input.
 */

static struct cqlval *build_value(struct jctx *, const struct cqltype *,
    const json_t *, int, int);

/* A JSON string's bytes, or NULL if it holds a NUL (never valid here). */
static const char *
json_cstr(const json_t *j)
{
	const char	*s = json_string_value(j);

	if (s == NULL || strlen(s) != json_string_length(j))
		return (NULL);
	return (s);
}

static struct cqlval *
fail_null(struct jctx *c, const char *fmt, ...) printflike(2, 3);

static struct cqlval *
fail_null(struct jctx *c, const char *fmt, ...)
{
	va_list	ap;

	if (!c->failed && c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
		utf8_trim(c->err);
	}
	c->failed = 1;
	return (NULL);
}

/* "expected a string for uuid, got 12" */
static struct cqlval *
fail_kind(struct jctx *c, const struct cqltype *t, const char *what,
    const json_t *j)
{
	char	tb[128], jb[80];

	return (fail_null(c, "expected %s for %s, got %s", what,
	    type_name(t, tb, sizeof tb), json_desc(j, jb, sizeof jb)));
}

/* "bad uuid value "xyz"" */
static struct cqlval *
fail_value(struct jctx *c, const struct cqltype *t, const json_t *j)
{
	char	tb[128], jb[80];

	return (fail_null(c, "bad %s value %s", type_name(t, tb, sizeof tb),
	    json_desc(j, jb, sizeof jb)));
}

/* An optionally signed run of digits, exactly; 0, or -1 / ERANGE. */
static int
int_parse(const char *s, int64_t *v)
{
	const char	*p = s;
	char		*ep;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p) || p[strspn(p, "0123456789")] != '\0')
		return (-1);
	errno = 0;
	*v = strtoll(s, &ep, 10);
	if (errno == ERANGE)
		return (1);
	return (errno != 0 || *ep != '\0' ? -1 : 0);
}

static struct cqlval *
build_int(struct jctx *c, const struct cqltype *t, const json_t *j)
{
	const char	*s;
	int64_t		 v, lo, hi;
	int		 bits, r;
	char		 jb[80];

	if (json_is_integer(j))
		v = json_integer_value(j);
	else if (json_is_string(j)) {
		if ((s = json_cstr(j)) == NULL)
			return (fail_value(c, t, j));
		if ((r = int_parse(s, &v)) > 0)
			return (fail_null(c, "value %s out of range for %s", s,
			    cqltype_kind_name(t->kind)));
		if (r < 0)
			return (fail_value(c, t, j));
	} else
		return (fail_kind(c, t, "an integer", j));
	bits = t->kind == CQLTYPE_TINYINT ? 8 : t->kind == CQLTYPE_SMALLINT ?
	    16 : t->kind == CQLTYPE_INT ? 32 : 64;
	if (bits < 64) {
		lo = -(INT64_C(1) << (bits - 1));
		hi = (INT64_C(1) << (bits - 1)) - 1;
		if (v < lo || v > hi)
			return (fail_null(c, "value %s out of range for %s",
			    json_is_string(j) ? json_string_value(j) :
			    json_desc(j, jb, sizeof jb),
			    cqltype_kind_name(t->kind)));
	}
	return (cqlval_new_int(t->kind, v));
}

/* varint and decimal from their exact text (numbers become text first). */
static struct cqlval *
build_exact(struct jctx *c, const struct cqltype *t, const json_t *j)
{
	struct cqlval	*v = NULL;
	struct wbuf	 w;
	const char	*s;
	char		 buf[64];
	int32_t		 scale;
	int		 r;

	if (json_is_integer(j)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		s = buf;
	} else if (json_is_real(j) && t->kind == CQLTYPE_DECIMAL) {
		/* The shortest digits that are this double: 0.1 stays 0.1. */
		if (!isfinite(json_real_value(j)) ||
		    cqlval_double_format(json_real_value(j), buf,
		    sizeof buf) < 0)
			return (fail_value(c, t, j));
		s = buf;
	} else if (json_is_string(j)) {
		if ((s = json_cstr(j)) == NULL)
			return (fail_value(c, t, j));
	} else
		return (fail_kind(c, t, t->kind == CQLTYPE_VARINT ?
		    "an integer" : "a number", j));
	wbuf_init(&w, 1024 * 1024);
	if (t->kind == CQLTYPE_VARINT) {
		r = cqlval_varint_from_string(s, &w);
		if (r == 0 && wbuf_ok(&w))
			v = cqlval_new_bytes(CQLTYPE_VARINT, w.p, w.len);
	} else {
		r = cqlval_decimal_from_string(s, &scale, &w);
		if (r == 0 && wbuf_ok(&w))
			v = cqlval_new_decimal(scale, w.p, w.len);
	}
	wbuf_free(&w);
	if (v == NULL)
		return (fail_value(c, t, j));
	return (v);
}

static struct cqlval *
build_float(struct jctx *c, const struct cqltype *t, const json_t *j)
{
	const char	*s;
	double		 d;
	float		 f;
	char		 tb[32], jb[80];

	if (json_is_integer(j))
		d = (double)json_integer_value(j);
	else if (json_is_real(j))
		d = json_real_value(j);
	else if (json_is_string(j)) {
		if ((s = json_cstr(j)) == NULL)
			return (fail_value(c, t, j));
		if (t->kind == CQLTYPE_FLOAT) {
			if (cqlval_float_parse(s, &f) != 0)
				return (fail_value(c, t, j));
			d = f;
		} else if (cqlval_double_parse(s, &d) != 0)
			return (fail_value(c, t, j));
		/* Overflow is an error; only the words mean infinity. */
		if (isinf(d) && strstr(s, "Infinity") == NULL)
			goto range;
	} else
		return (fail_kind(c, t, "a number", j));
	if (t->kind == CQLTYPE_DOUBLE)
		return (cqlval_new_double(d));
	/* Past FLT_MAX plus half an ulp a float would be infinite. */
	if (isfinite(d) && fabs(d) >= (double)FLT_MAX + ldexp(1, 103))
		goto range;
	return (cqlval_new_float((float)d));
range:
	return (fail_null(c, "value %s out of range for %s",
	    json_is_string(j) ? json_string_value(j) :
	    json_desc(j, jb, sizeof jb), type_name(t, tb, sizeof tb)));
}

/* Scalars given as strings in their Cassandra text form. */
static struct cqlval *
build_text_scalar(struct jctx *c, const struct cqltype *t, const json_t *j)
{
	struct cqlval	*v = NULL;
	struct wbuf	 w;
	const char	*s;
	uint8_t		 a[16];
	size_t		 n;
	int64_t		 i64;
	uint32_t	 u32;
	int32_t		 months, days;

	/* Numbers are accepted where Cassandra takes them. */
	if (json_is_integer(j) && (t->kind == CQLTYPE_TIMESTAMP ||
	    t->kind == CQLTYPE_TIME || t->kind == CQLTYPE_DATE)) {
		i64 = json_integer_value(j);
		if (t->kind == CQLTYPE_TIMESTAMP)
			return (cqlval_new_int(t->kind, i64));
		if (t->kind == CQLTYPE_TIME &&
		    (i64 < 0 || i64 >= 86400 * INT64_C(1000000000)))
			return (fail_value(c, t, j));
		if (t->kind == CQLTYPE_DATE && (i64 < 0 || i64 > UINT32_MAX))
			return (fail_value(c, t, j));
		return (cqlval_new_int(t->kind, i64));
	}
	if (!json_is_string(j))
		return (fail_kind(c, t, "a string", j));
	if ((s = json_cstr(j)) == NULL)
		return (fail_value(c, t, j));
	switch (t->kind) {
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		if (cqlval_uuid_parse(s, a) != 0)
			return (fail_value(c, t, j));
		if (t->kind == CQLTYPE_TIMEUUID && cqlval_uuid_version(a) != 1)
			return (fail_null(c, "timeuuid %s is not a version 1 "
			    "uuid", s));
		return (cqlval_new_uuid(t->kind, a));
	case CQLTYPE_INET:
		if (cqlval_inet_parse(s, a, &n) != 0)
			return (fail_value(c, t, j));
		return (cqlval_new_inet(a, n));
	case CQLTYPE_TIMESTAMP:
		if (cqlval_timestamp_parse(s, &i64) != 0)
			return (fail_value(c, t, j));
		return (cqlval_new_int(t->kind, i64));
	case CQLTYPE_DATE:
		if (cqlval_date_parse(s, &u32) != 0)
			return (fail_value(c, t, j));
		return (cqlval_new_int(t->kind, u32));
	case CQLTYPE_TIME:
		if (cqlval_time_parse(s, &i64) != 0)
			return (fail_value(c, t, j));
		return (cqlval_new_int(t->kind, i64));
	case CQLTYPE_DURATION:
		if (cqlval_duration_parse(s, &months, &days, &i64) != 0)
			return (fail_value(c, t, j));
		return (cqlval_new_duration(months, days, i64));
	case CQLTYPE_BLOB:
	case CQLTYPE_CUSTOM:
		wbuf_init(&w, WBUF_DEFAULT_CAP);
		if (cqlval_blob_parse(s, &w) == 0 && wbuf_ok(&w))
			v = cqlval_new_bytes(t->kind, w.p, w.len);
		wbuf_free(&w);
		if (v == NULL)
			return (fail_value(c, t, j));
		return (v);
	default:
		break;
	}
	return (fail_value(c, t, j));
}

/* Serialized form of one element, for sorting sets and maps. */
struct sortkey {
	struct cqlval	*key;
	struct cqlval	*val;	/* maps only */
	uint8_t		*p;
	size_t		 n;
};

static int
sortkey_cmp(const void *a, const void *b, void *arg)
{
	const struct sortkey	*x = a, *y = b;

	return (cqlval_compare(arg, x->p, x->n, y->p, y->n));
}

/*
 * Put a set's or map's entries in Cassandra's order, as it returns them and
 * as frozen values must be: sets drop repeats, maps refuse repeated keys.
 */
static int
sort_entries(struct jctx *c, const struct cqltype *t, struct cqlval *v)
{
	struct sortkey	*k;
	struct wbuf	 w;
	size_t		 i, n = v->u.coll.n, out, klen;
	int		 map = t->kind == CQLTYPE_MAP, r = 0;
	char		 tb[128], *s;

	if (n < 2)
		return (0);
	k = xcalloc(n, sizeof *k);
	for (i = 0; i < n; i++) {
		k[i].key = v->u.coll.items[map ? 2 * i : i];
		k[i].val = map ? v->u.coll.items[2 * i + 1] : NULL;
		wbuf_init(&w, WBUF_DEFAULT_CAP);
		if (cqlval_encode(t->sub[0], k[i].key, &w) != 0 ||
		    !wbuf_ok(&w))
			r = -1;
		k[i].p = wbuf_steal(&w, &k[i].n);
	}
	if (r != 0) {
		jctx_fail(c, "cannot serialize an element of %s",
		    type_name(t, tb, sizeof tb));
		goto out;
	}
	qsort_r(k, n, sizeof *k, sortkey_cmp, t->sub[0]);
	out = 0;
	for (i = 0; i < n; i++) {
		if (out > 0 && sortkey_cmp(&k[out - 1], &k[i], t->sub[0]) == 0) {
			if (map) {
				s = key_text(c, t->sub[0], k[i].key, &klen);
				jctx_fail(c, "duplicate key %s in %s",
				    s == NULL ? "?" : s,
				    type_name(t, tb, sizeof tb));
				free(s);
				r = -1;
				goto out;
			}
			cqlval_free(k[i].key);
			k[i].key = NULL;
			free(k[i].p);
			k[i].p = NULL;
			continue;
		}
		k[out++] = k[i];
		/* The slot moved down: its bytes now belong there only. */
		if (out - 1 != i)
			k[i].p = NULL;
	}
	for (i = 0; i < out; i++) {
		if (map) {
			v->u.coll.items[2 * i] = k[i].key;
			v->u.coll.items[2 * i + 1] = k[i].val;
		} else
			v->u.coll.items[i] = k[i].key;
	}
	v->u.coll.n = out;
out:
	for (i = 0; i < n; i++)
		free(k[i].p);
	free(k);
	return (r);
}

/* Cassandra takes a collection, tuple or UDT as a JSON string of one. */
static json_t *
unwrap_string(struct jctx *c, const struct cqltype *t, const json_t *j)
{
	const char	*s;
	json_t		*in;
	json_error_t	 e;
	char		 tb[128], jb[80];

	if ((s = json_cstr(j)) == NULL) {
		fail_value(c, t, j);
		return (NULL);
	}
	in = jsonval_loads(s, strlen(s), JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (in == NULL) {
		fail_null(c, "bad %s value %s: %s", type_name(t, tb,
		    sizeof tb), json_desc(j, jb, sizeof jb), e.text);
		return (NULL);
	}
	if (json_is_string(in) || json_is_null(in)) {
		json_decref(in);
		fail_value(c, t, j);
		return (NULL);
	}
	return (in);
}

static struct cqlval *
build_element(struct jctx *c, const struct cqltype *parent,
    const struct cqltype *t, const json_t *j, int depth, int nulls)
{
	char	tb[128];

	if (json_is_null(j)) {
		if (!nulls)
			return (fail_null(c, "null element in %s",
			    type_name(parent, tb, sizeof tb)));
		return (cqlval_new_null(t->kind));
	}
	return (build_value(c, t, j, depth + 1, 1));
}

static struct cqlval *
build_composite(struct jctx *c, const struct cqltype *t, const json_t *j,
    int depth)
{
	struct cqlval	*v, *k, *e;
	const char	*name, *field;
	const json_t	*item;
	size_t		 i, f, len, n;
	char		 tb[128], kb[80];

	v = cqlval_new_coll(t->kind);
	switch (t->kind) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_TUPLE:
	case CQLTYPE_VECTOR:
		if (!json_is_array(j)) {
			fail_kind(c, t, "an array", j);
			goto fail;
		}
		n = json_array_size(j);
		if (t->kind == CQLTYPE_TUPLE && n > t->n) {
			fail_null(c, "%s has %zu elements, got %zu",
			    type_name(t, tb, sizeof tb), t->n, n);
			goto fail;
		}
		if (t->kind == CQLTYPE_VECTOR && n != t->dimension) {
			fail_null(c, "%s needs exactly %u elements, got %zu",
			    type_name(t, tb, sizeof tb), t->dimension, n);
			goto fail;
		}
		json_array_foreach(j, i, item) {
			e = build_element(c, t, t->kind == CQLTYPE_TUPLE ?
			    t->sub[i] : t->sub[0], item, depth,
			    t->kind == CQLTYPE_TUPLE);
			if (e == NULL)
				goto fail;
			if (t->kind == CQLTYPE_VECTOR && e->is_empty) {
				cqlval_free(e);
				fail_null(c, "empty element in %s",
				    type_name(t, tb, sizeof tb));
				goto fail;
			}
			cqlval_append(v, e);
		}
		/* Missing trailing tuple elements are null. */
		for (i = n; t->kind == CQLTYPE_TUPLE && i < t->n; i++)
			cqlval_append(v, cqlval_new_null(t->sub[i]->kind));
		break;
	case CQLTYPE_MAP:
		if (json_is_object(j)) {
			json_object_keylen_foreach((json_t *)j, name, len,
			    item) {
				json_t	*js = json_stringn(name, len);

				k = build_element(c, t, t->sub[0], js, depth, 0);
				json_decref(js);
				if (k == NULL)
					goto fail;
				if ((e = build_element(c, t, t->sub[1], item,
				    depth, 0)) == NULL) {
					cqlval_free(k);
					goto fail;
				}
				cqlval_map_put(v, k, e);
			}
		} else if (json_is_array(j)) {
			json_array_foreach(j, i, item) {
				if (!json_is_array(item) ||
				    json_array_size(item) != 2) {
					fail_null(c, "expected [key, value] "
					    "pairs for %s, got %s",
					    type_name(t, tb, sizeof tb),
					    json_desc(item, kb, sizeof kb));
					goto fail;
				}
				k = build_element(c, t, t->sub[0],
				    json_array_get(item, 0), depth, 0);
				if (k == NULL)
					goto fail;
				if ((e = build_element(c, t, t->sub[1],
				    json_array_get(item, 1), depth, 0)) == NULL) {
					cqlval_free(k);
					goto fail;
				}
				cqlval_map_put(v, k, e);
			}
		} else {
			fail_kind(c, t, "an object or [key, value] pairs", j);
			goto fail;
		}
		break;
	case CQLTYPE_UDT:
		if (t->n == 0 && t->fields == NULL) {
			fail_null(c, "user type %s is not resolved",
			    t->name == NULL ? "?" : t->name);
			goto fail;
		}
		if (!json_is_object(j)) {
			fail_kind(c, t, "an object", j);
			goto fail;
		}
		/* Every member must name a field ("\"Name\"" as CQL quotes). */
		json_object_keylen_foreach((json_t *)j, name, len, item) {
			for (f = 0; f < t->n; f++) {
				field = t->fields[f];
				if (strlen(field) == len &&
				    memcmp(field, name, len) == 0)
					break;
				if (len >= 2 && name[0] == '"' &&
				    name[len - 1] == '"' &&
				    strlen(field) == len - 2 &&
				    memcmp(field, name + 1, len - 2) == 0)
					break;
			}
			if (f == t->n) {
				fail_null(c, "unknown field \"%.*s\" for %s",
				    (int)(len > 64 ? 64 : len), name,
				    type_name(t, tb, sizeof tb));
				goto fail;
			}
		}
		for (f = 0; f < t->n; f++) {
			item = json_object_get(j, t->fields[f]);
			if (item == NULL) {
				char	*q;

				xasprintf(&q, "\"%s\"", t->fields[f]);
				item = json_object_get(j, q);
				free(q);
			}
			if (item == NULL)
				e = cqlval_new_null(t->sub[f]->kind);
			else if ((e = build_element(c, t, t->sub[f], item,
			    depth, 1)) == NULL)
				goto fail;
			cqlval_append(v, e);
		}
		break;
	default:
		fail_value(c, t, j);
		goto fail;
	}
	if ((t->kind == CQLTYPE_SET || t->kind == CQLTYPE_MAP) &&
	    sort_entries(c, t, v) != 0)
		goto fail;
	return (v);
fail:
	cqlval_free(v);
	return (NULL);
}

/* One JSON value as a cqlval of type t; wrapped: a JSON-in-a-string is ok. */
static struct cqlval *
build_value(struct jctx *c, const struct cqltype *t, const json_t *j,
    int depth, int wrapped)
{
	struct cqlval	*v;
	const char	*s;
	json_t		*in;
	char		 tb[128], jb[80];

	if (depth > CQLVAL_MAX_DEPTH)
		return (fail_null(c, "value nested too deeply"));
	if (json_is_null(j))
		return (cqlval_new_null(t->kind));
	/* "" is the empty value of types that normally have content. */
	if (json_is_string(j) && json_string_length(j) == 0 &&
	    t->kind != CQLTYPE_TEXT && t->kind != CQLTYPE_ASCII &&
	    t->kind != CQLTYPE_BLOB && t->kind != CQLTYPE_CUSTOM) {
		if (t->kind == CQLTYPE_VARINT)
			v = cqlval_new_bytes(t->kind, "", 0);
		else if (t->kind == CQLTYPE_DECIMAL)
			v = cqlval_new_decimal(0, NULL, 0);
		else if (t->n > 0 || t->kind == CQLTYPE_UDT)
			v = cqlval_new_coll(t->kind);
		else
			v = cqlval_new_int(t->kind, 0);
		v->is_empty = 1;
		return (v);
	}
	switch (t->kind) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		return (build_int(c, t, j));
	case CQLTYPE_VARINT:
	case CQLTYPE_DECIMAL:
		return (build_exact(c, t, j));
	case CQLTYPE_FLOAT:
	case CQLTYPE_DOUBLE:
		return (build_float(c, t, j));
	case CQLTYPE_BOOLEAN:
		if (json_is_boolean(j))
			return (cqlval_new_bool(json_is_true(j)));
		if (json_is_string(j) && (s = json_cstr(j)) != NULL) {
			if (strcasecmp(s, "true") == 0)
				return (cqlval_new_bool(1));
			if (strcasecmp(s, "false") == 0)
				return (cqlval_new_bool(0));
			return (fail_value(c, t, j));
		}
		return (fail_kind(c, t, "true or false", j));
	case CQLTYPE_TEXT:
	case CQLTYPE_ASCII:
		if (!json_is_string(j))
			return (fail_kind(c, t, "a string", j));
		/* jansson guarantees UTF-8; ascii needs more. */
		if (t->kind == CQLTYPE_ASCII && !cqlval_ascii_valid(
		    (const uint8_t *)json_string_value(j),
		    json_string_length(j)))
			return (fail_null(c, "non-ASCII character in ascii "
			    "value %s", json_desc(j, jb, sizeof jb)));
		return (cqlval_new_bytes(t->kind, json_string_value(j),
		    json_string_length(j)));
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
	case CQLTYPE_VECTOR:
		if (json_is_string(j) && wrapped) {
			if ((in = unwrap_string(c, t, j)) == NULL)
				return (NULL);
			v = build_value(c, t, in, depth, 0);
			json_decref(in);
			return (v);
		}
		return (build_composite(c, t, j, depth));
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
	case CQLTYPE_INET:
	case CQLTYPE_TIMESTAMP:
	case CQLTYPE_DATE:
	case CQLTYPE_TIME:
	case CQLTYPE_DURATION:
	case CQLTYPE_BLOB:
	case CQLTYPE_CUSTOM:
		return (build_text_scalar(c, t, j));
	default:
		return (fail_null(c, "values of type %s are not supported",
		    type_name(t, tb, sizeof tb)));
	}
}

/*
 * An integer for an integer column straight to its bytes (what build_int
 * and cqlval_encode make of it): 1 if written, 0 for the general path
 * (other columns, and out of range, which words the error).
 */
static int
to_cql_int(const struct cqltype *t, int64_t v, struct wbuf *w)
{
	int	bytes;

	switch (t->kind) {
	case CQLTYPE_TINYINT:
		bytes = 1;
		break;
	case CQLTYPE_SMALLINT:
		bytes = 2;
		break;
	case CQLTYPE_INT:
		bytes = 4;
		break;
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		bytes = 8;
		break;
	default:
		return (0);
	}
	if (bytes < 8 && (v < -(INT64_C(1) << (8 * bytes - 1)) ||
	    v >= (INT64_C(1) << (8 * bytes - 1))))
		return (0);	/* out of range: said there */
	if (bytes == 1)
		wbuf_u8(w, (uint8_t)v);
	else if (bytes == 2)
		wbuf_u16(w, (uint16_t)v);
	else if (bytes == 4)
		wbuf_i32(w, (int32_t)v);
	else
		wbuf_i64(w, v);
	return (1);
}

/*
 * The common values, an integer for an integer column and a string for a
 * text one, straight to their bytes (what build_value and cqlval_encode
 * make of them): 1 if written, 0 for the general path (errors included).
 */
static int
to_cql_quick(const struct cqltype *t, const json_t *j, struct wbuf *w)
{
	if (json_is_integer(j))
		return (to_cql_int(t, json_integer_value(j), w));
	if (t->kind == CQLTYPE_TEXT && json_is_string(j)) {
		wbuf_raw(w, json_string_value(j), json_string_length(j));
		return (1);
	}
	return (0);
}

int
jsonval_to_cql(const struct cqltype *t, const json_t *j,
    const struct jsonval_opts *o, struct wbuf *w, int *is_null, char *err,
    size_t errlen)
{
	struct jctx	 c;
	struct cqlval	*v;
	char		 tb[128];
	int		 r;

	jctx_init(&c, o, err, errlen);
	*is_null = 0;
	if (j == NULL || json_is_null(j)) {
		*is_null = 1;
		return (0);
	}
	switch (to_cql_quick(t, j, w)) {
	case 1:
		if (wbuf_ok(w))
			return (0);
		return (jctx_fail(&c, "cannot serialize %s value: too large",
		    type_name(t, tb, sizeof tb)));
	default:
		break;
	}
	if ((v = build_value(&c, t, j, 0, 1)) == NULL)
		return (-1);
	r = cqlval_encode(t, v, w);
	cqlval_free(v);
	if (r == 1) {
		*is_null = 1;
		return (0);
	}
	if (r != 0 || !wbuf_ok(w))
		return (jctx_fail(&c, "cannot serialize %s value%s",
		    type_name(t, tb, sizeof tb), wbuf_ok(w) ? "" :
		    ": too large"));
	return (0);
}

int
jsonval_scalar_to_cql(const struct cqltype *t, const struct jsonval_scalar *s,
    const struct jsonval_opts *o, struct wbuf *w, int *is_null, char *err,
    size_t errlen)
{
	json_t	*j;
	int	 r;

	*is_null = 0;
	switch (s->kind) {
	case JSONVAL_NULL:
		*is_null = 1;
		return (0);
	case JSONVAL_INT:
		/* A failed buffer takes the general path for its message. */
		if (to_cql_int(t, s->i, w) && wbuf_ok(w))
			return (0);
		break;
	case JSONVAL_STRING:
		if (t->kind == CQLTYPE_TEXT) {
			wbuf_raw(w, s->s, s->len);
			if (wbuf_ok(w))
				return (0);
		}
		break;
	default:
		break;
	}
	/* Everything else as the tree would go: the same bytes and errors. */
	j = jsonval_scalar_json(s);
	r = jsonval_to_cql(t, j, o, w, is_null, err, errlen);
	json_decref(j);
	return (r);
}

/*
 * Loading requests with exact numbers.
 */

/* Length of a JSON number token at p (0 if there is none). */
static size_t
number_len(const char *p, size_t left, int *is_int)
{
	size_t	i = 0, d;

	*is_int = 1;
	if (i < left && p[i] == '-')
		i++;
	for (d = i; i < left && isdigit((unsigned char)p[i]); i++)
		;
	if (i == d)
		return (0);
	if (i < left && p[i] == '.') {
		*is_int = 0;
		for (i++, d = i; i < left && isdigit((unsigned char)p[i]); i++)
			;
		if (i == d)
			return (0);
	}
	if (i < left && (p[i] == 'e' || p[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < left && (p[i] == '+' || p[i] == '-'))
			i++;
		for (d = i; i < left && isdigit((unsigned char)p[i]); i++)
			;
		if (i == d)
			return (0);
	}
	return (i);
}

/*
 * Whether jansson would lose a number: integers beyond int64, and reals
 * with more than 15 significant digits or outside the range of a double.
 */
static int
number_lossy(const char *p, size_t n, int is_int)
{
	char	 buf[512], *ep;
	size_t	 i, sig = 0, first = n, last = 0;
	double	 d;
	int	 nonzero = 0;

	for (i = 0; i < n && p[i] != 'e' && p[i] != 'E'; i++) {
		if (!isdigit((unsigned char)p[i]))
			continue;
		if (p[i] != '0') {
			if (first == n)
				first = i;
			last = i;
			nonzero = 1;
		}
	}
	if (is_int) {
		for (i = p[0] == '-'; i < n && p[i] == '0'; i++)
			;
		if (n - i > 19)
			return (1);
		if (n - i < 19)
			return (0);
		return (strncmp(p + i, p[0] == '-' ? "9223372036854775808" :
		    "9223372036854775807", 19) > 0);
	}
	if (nonzero) {
		for (i = first; i <= last; i++)
			sig += isdigit((unsigned char)p[i]) != 0;
		if (sig > 15)
			return (1);
	}
	if (n >= sizeof buf)
		return (1);
	memcpy(buf, p, n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &ep);
	if (isinf(d) || (nonzero && (d == 0 || fabs(d) < DBL_MIN)))
		return (1);
	return (0);
}

json_t *
jsonval_loads(const char *buf, size_t len, size_t flags, json_error_t *e)
{
	struct wbuf	 w;
	json_t		*j;
	size_t		 i = 0, start = 0, n;
	int		 is_int, changed = 0;

	wbuf_init(&w, WBUF_DEFAULT_CAP);
	while (i < len) {
		if (buf[i] == '"') {
			/* Skip the string, escapes included. */
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] == '\\')
					i++;
			}
			i++;
			continue;
		}
		if (buf[i] != '-' && !isdigit((unsigned char)buf[i])) {
			i++;
			continue;
		}
		n = number_len(buf + i, len - i, &is_int);
		if (n == 0) {
			i++;
			continue;
		}
		if (number_lossy(buf + i, n, is_int)) {
			wbuf_raw(&w, buf + start, i - start);
			wbuf_u8(&w, '"');
			wbuf_raw(&w, buf + i, n);
			wbuf_u8(&w, '"');
			start = i + n;
			changed = 1;
		}
		i += n;
	}
	if (!changed) {
		wbuf_free(&w);
		return (json_loadb(buf, len, flags, e));
	}
	wbuf_raw(&w, buf + start, len - start);
	if (!wbuf_ok(&w)) {
		wbuf_free(&w);
		return (json_loadb(buf, len, flags, e));
	}
	j = json_loadb((const char *)w.p, w.len, flags, e);
	wbuf_free(&w);
	return (j);
}

/*
 * Quick reading of request text.  Most requests are small and plain; these
 * read such text straight into what jsonval_loads would build, and give up
 * (return 0) on anything unusual or wrong, so that the caller falls back
 * to jsonval_loads, whose errors are the ones reported.
 */

#define QUICK_MAX_DEPTH	32
/* isdigit without the locale table (JSON digits are ASCII). */
#define JV_DIGIT(c)	((unsigned int)((uint8_t)(c) - '0') < 10)


static int
quick_hex4(const char *p, uint32_t *out)
{
	uint32_t	v = 0;
	int		i, d;

	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return (-1);
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return (0);
}

/* Write code point c as UTF-8 at o; the bytes written. */
static size_t
quick_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return (2);
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return (4);
}

static size_t	quick_string_scan(char *, size_t, size_t, char **, size_t *);

size_t
jsonval_quick_string(char *p, size_t left, char **out, size_t *outlen)
{
	size_t	end, first = 1;

	if (left < 2 || p[0] != '"')
		return (0);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/*
	 * A member name or short text: if the first word's first special
	 * byte is the closing quote, the string is plain ASCII and ends
	 * there; a word with none is plain ASCII and is skipped below.
	 */
	if (left >= 9) {
		uint64_t	x, m;

		memcpy(&x, p + 1, 8);
		if ((m = jv_word_stops(x, 1)) != 0) {
			end = 1 + ((size_t)__builtin_ctzll(m) >> 3);
			if (p[end] == '"') {
				*out = p + 1;
				*outlen = end - 1;
				p[end] = '\0';
				return (end + 1);
			}
		} else
			first = 9;
	}
#endif
	return (quick_string_scan(p, left, first, out, outlen));
}

/*
 * The rest of jsonval_quick_string, kept out of line so that its fast
 * path is cheap to call: bytes before first are known plain ASCII.
 */
static __attribute__((__noinline__)) size_t
quick_string_scan(char *p, size_t left, size_t first, char **out,
    size_t *outlen)
{
	char		*o;
	size_t		 i, end, start = 1;
	uint32_t	 c, lo;
	int		 high = 0, esc = 0;

	/* Find the end first: control characters and bad UTF-8 give up. */
	for (i = first; i < left; i++) {
		/* Once a high byte is seen, the rest are checked below. */
		i += high ? jv_text_run((const uint8_t *)p + i, left - i) :
		    jv_ascii_run((const uint8_t *)p + i, left - i);
		if (i >= left)
			break;
		c = (uint8_t)p[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return (0);
		if (c >= 0x80)
			high = 1;
		else if (c == '\\') {
			esc = 1;
			if (++i == left)
				return (0);
		}
	}
	if (i >= left)
		return (0);
	end = i;
	if (high && !cqlval_utf8_valid((const uint8_t *)p + 1, end - 1))
		return (0);
	*out = p + 1;
	if (!esc) {
		*outlen = end - 1;
		p[end] = '\0';
		return (end + 1);
	}
	/* Decode in place: the text only shrinks. */
	o = p + 1;
	for (i = start; i < end; i++) {
		if (p[i] != '\\') {
			*o++ = p[i];
			continue;
		}
		i++;
		switch (p[i]) {
		case '"':
		case '\\':
		case '/':
			*o++ = p[i];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (end - i < 5 || quick_hex4(p + i + 1, &c) != 0)
				return (0);
			i += 4;
			if (c >= 0xdc00 && c <= 0xdfff)
				return (0);
			if (c >= 0xd800 && c <= 0xdbff) {
				if (end - i < 7 || p[i + 1] != '\\' ||
				    p[i + 2] != 'u' ||
				    quick_hex4(p + i + 3, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return (0);
				i += 6;
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			o += quick_utf8(o, c);
			break;
		default:
			return (0);
		}
	}
	*outlen = (size_t)(o - (p + 1));
	*o = '\0';
	return (end + 1);
}

static size_t	quick_number_rest(const char *, size_t, size_t,
		    enum jsonval_num *, int64_t *);

size_t
jsonval_quick_number(const char *p, size_t left, enum jsonval_num *kind,
    int64_t *iv)
{
	size_t		 i = 0, d;
	uint64_t	 u = 0;

	if (i < left && p[i] == '-')
		i++;
	if (i == left || !JV_DIGIT(p[i]))
		return (0);
	if (p[i] == '0') {
		i++;
		if (i < left && JV_DIGIT(p[i]))
			return (0);	/* a leading zero: not JSON */
	} else {
		for (d = i; i < left && JV_DIGIT(p[i]); i++)
			u = u * 10 + (uint64_t)(p[i] - '0');
		/* Up to 18 digits always fit: no need to ask number_lossy. */
		if (i - d <= 18 && (i == left || (p[i] != '.' && p[i] != 'e' &&
		    p[i] != 'E'))) {
			*kind = JSONVAL_NUM_INT;
			*iv = p[0] == '-' ? -(int64_t)u : (int64_t)u;
			return (i);
		}
	}
	return (quick_number_rest(p, left, i, kind, iv));
}

/*
 * The rest of a number whose integer part ends at i: a fraction, an
 * exponent, or many digits (out of line: the common case is short).
 */
static __attribute__((__noinline__)) size_t
quick_number_rest(const char *p, size_t left, size_t i,
    enum jsonval_num *kind, int64_t *iv)
{
	char		 buf[24];
	size_t		 d;
	int		 is_int = 1;

	if (i < left && p[i] == '.') {
		is_int = 0;
		for (i++, d = i; i < left && JV_DIGIT(p[i]); i++)
			;
		if (i == d)
			return (0);
	}
	if (i < left && (p[i] == 'e' || p[i] == 'E')) {
		is_int = 0;
		i++;
		if (i < left && (p[i] == '+' || p[i] == '-'))
			i++;
		for (d = i; i < left && JV_DIGIT(p[i]); i++)
			;
		if (i == d)
			return (0);
	}
	if (number_lossy(p, i, is_int))
		*kind = JSONVAL_NUM_STRING;
	else if (!is_int)
		*kind = JSONVAL_NUM_REAL;
	else {
		/* At most 19 digits and a sign here. */
		memcpy(buf, p, i);
		buf[i] = '\0';
		*kind = JSONVAL_NUM_INT;
		*iv = strtoll(buf, NULL, 10);
	}
	return (i);
}

static size_t
quick_ws(const char *p, size_t left, size_t i)
{
	/* Most text has none: one compare rules out a token's byte. */
	while (i < left && (uint8_t)p[i] <= ' ' && (p[i] == ' ' ||
	    p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return (i);
}

static size_t	quick_value(char *, size_t, json_t **, int);

/* The members of an array or object at p; 0 to give up. */
static size_t
quick_container(char *p, size_t left, json_t **out, int depth)
{
	json_t	*j, *v;
	char	*k;
	size_t	 i, n, klen;
	int	 obj = p[0] == '{';

	j = obj ? json_object() : json_array();
	if (j == NULL)
		fatalx("out of memory");
	i = quick_ws(p, left, 1);
	if (i < left && p[i] == (obj ? '}' : ']')) {
		*out = j;
		return (i + 1);
	}
	for (;;) {
		if (obj) {
			if (i >= left || (n = jsonval_quick_string(p + i,
			    left - i, &k, &klen)) == 0 || (n != klen + 2 &&
			    memchr(k, '\0', klen) != NULL))
				break;
			i = quick_ws(p, left, i + n);
			if (i >= left || p[i] != ':')
				break;
			i = quick_ws(p, left, i + 1);
		}
		if (i >= left || (n = quick_value(p + i, left - i, &v,
		    depth + 1)) == 0)
			break;
		if (obj)
			json_object_setn_new_nocheck(j, k, klen, v);
		else
			json_array_append_new(j, v);
		i = quick_ws(p, left, i + n);
		if (i < left && p[i] == ',') {
			i = quick_ws(p, left, i + 1);
			continue;
		}
		if (i < left && p[i] == (obj ? '}' : ']')) {
			*out = j;
			return (i + 1);
		}
		break;
	}
	json_decref(j);
	return (0);
}

static size_t
quick_value(char *p, size_t left, json_t **out, int depth)
{
	enum jsonval_num	 kind;
	int64_t			 iv = 0;
	char			*s;
	size_t			 n, len;

	if (depth > QUICK_MAX_DEPTH || left == 0)
		return (0);
	switch (p[0]) {
	case '"':
		if ((n = jsonval_quick_string(p, left, &s, &len)) == 0)
			return (0);
		*out = json_stringn_nocheck(s, len);
		break;
	case '[':
	case '{':
		return (quick_container(p, left, out, depth));
	case 't':
	case 'f':
	case 'n':
		if (left >= 4 && memcmp(p, "true", 4) == 0) {
			*out = json_true();
			n = 4;
		} else if (left >= 5 && memcmp(p, "false", 5) == 0) {
			*out = json_false();
			n = 5;
		} else if (left >= 4 && memcmp(p, "null", 4) == 0) {
			*out = json_null();
			n = 4;
		} else
			return (0);
		/* "truex" is one bad token to jansson. */
		if (n < left && isalpha((unsigned char)p[n])) {
			json_decref(*out);
			return (0);
		}
		return (n);
	default:
		if ((n = jsonval_quick_number(p, left, &kind, &iv)) == 0)
			return (0);
		if (kind == JSONVAL_NUM_INT)
			*out = json_integer(iv);
		else if (kind == JSONVAL_NUM_STRING)
			*out = json_stringn_nocheck(p, n);
		else
			*out = jsonval_loads(p, n, JSON_DECODE_ANY, NULL);
		break;
	}
	if (*out == NULL)
		fatalx("out of memory");
	return (n);
}

size_t
jsonval_quick_value(char *p, size_t left, json_t **out)
{
	return (quick_value(p, left, out, 0));
}

json_t *
jsonval_scalar_json(const struct jsonval_scalar *s)
{
	json_t	*j = NULL;

	switch (s->kind) {
	case JSONVAL_NULL:
		j = json_null();
		break;
	case JSONVAL_FALSE:
		j = json_false();
		break;
	case JSONVAL_TRUE:
		j = json_true();
		break;
	case JSONVAL_INT:
		j = json_integer(s->i);
		break;
	case JSONVAL_REAL:
		j = jsonval_loads(s->s, s->len, JSON_DECODE_ANY, NULL);
		break;
	case JSONVAL_STRING:
		j = json_stringn_nocheck(s->s, s->len);
		break;
	}
	if (j == NULL)
		fatalx("out of memory");
	return (j);
}

/* One scalar at p into *s; the bytes used, 0 if it is not one. */
static size_t
quick_scalar(char *p, size_t left, struct jsonval_scalar *s)
{
	enum jsonval_num	 kind;
	char			*str;
	size_t			 n;

	switch (p[0]) {
	case '"':
		if ((n = jsonval_quick_string(p, left, &str, &s->len)) == 0)
			return (0);
		s->kind = JSONVAL_STRING;
		s->s = str;
		return (n);
	case 't':
		s->kind = JSONVAL_TRUE;
		n = left >= 4 && memcmp(p, "true", 4) == 0 ? 4 : 0;
		break;
	case 'f':
		s->kind = JSONVAL_FALSE;
		n = left >= 5 && memcmp(p, "false", 5) == 0 ? 5 : 0;
		break;
	case 'n':
		s->kind = JSONVAL_NULL;
		n = left >= 4 && memcmp(p, "null", 4) == 0 ? 4 : 0;
		break;
	default:
		if ((n = jsonval_quick_number(p, left, &kind, &s->i)) == 0)
			return (0);
		s->kind = kind == JSONVAL_NUM_INT ? JSONVAL_INT :
		    kind == JSONVAL_NUM_REAL ? JSONVAL_REAL : JSONVAL_STRING;
		s->s = p;
		s->len = n;
		return (n);
	}
	/* "truex" is one bad token to jansson. */
	if (n == 0 || (n < left && isalpha((unsigned char)p[n])))
		return (0);
	return (n);
}

size_t
jsonval_quick_array(char *p, size_t left, struct jsonval_scalar *tab,
    size_t max, size_t *ntab, json_t **out)
{
	json_t	*j = NULL, *v;
	size_t	 i, n, k = 0, x;

	*out = NULL;
	*ntab = 0;
	if (left == 0 || p[0] != '[')
		return (0);
	i = quick_ws(p, left, 1);
	if (i < left && p[i] == ']')
		return (i + 1);
	for (;;) {
		if (i >= left)
			break;
		if (j == NULL && k < max && p[i] != '[' && p[i] != '{') {
			if ((n = quick_scalar(p + i, left - i, &tab[k])) == 0)
				break;
			k++;
		} else {
			/* More than the table holds: a tree, as quick_value. */
			if (j == NULL) {
				if ((j = json_array()) == NULL)
					fatalx("out of memory");
				for (x = 0; x < k; x++)
					json_array_append_new(j,
					    jsonval_scalar_json(&tab[x]));
			}
			if ((n = quick_value(p + i, left - i, &v, 1)) == 0)
				break;
			json_array_append_new(j, v);
		}
		i = quick_ws(p, left, i + n);
		if (i < left && p[i] == ',') {
			i = quick_ws(p, left, i + 1);
			continue;
		}
		if (i < left && p[i] == ']') {
			*out = j;
			*ntab = j == NULL ? k : 0;
			return (i + 1);
		}
		break;
	}
	if (j != NULL)
		json_decref(j);
	return (0);
}
