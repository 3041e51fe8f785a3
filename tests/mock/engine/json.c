/*
 * json.c: serialized values rendered as JSON the way Cassandra's SELECT
 * JSON does (numbers bare, most other scalars as their CQL text in quotes,
 * collections as arrays or objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

void
jsonw_string(struct wbuf *w, const char *s)
{
	char	esc[8];

	wbuf_u8(w, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			wbuf_u8(w, '\\');
			wbuf_u8(w, c);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			wbuf_raw(w, esc, strlen(esc));
		} else
			wbuf_u8(w, c);
	}
	wbuf_u8(w, '"');
}

static void json_tree(struct wbuf *, const struct cqltype *,
    const struct cqlval *, int);

/* The text of a scalar, and whether JSON shows it bare. */
static char *
scalar_text(const struct cqltype *t, const struct cqlval *v, int *bare)
{
	char	 buf[128];
	char	*s = NULL;

	*bare = 0;
	switch (v->kind) {
	case CQLTYPE_TINYINT:
	case CQLTYPE_SMALLINT:
	case CQLTYPE_INT:
	case CQLTYPE_BIGINT:
	case CQLTYPE_COUNTER:
		*bare = 1;
		xasprintf(&s, "%lld", (long long)v->u.i);
		return (s);
	case CQLTYPE_VARINT:
		*bare = 1;
		return (cqlval_varint_to_string(v->u.bytes.p, v->u.bytes.n));
	case CQLTYPE_DECIMAL:
		*bare = 1;
		return (cqlval_decimal_to_string(v->u.decimal.scale,
		    v->u.decimal.p, v->u.decimal.n));
	case CQLTYPE_DOUBLE:
		*bare = 1;
		cqlval_double_format(v->u.d, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_FLOAT:
		*bare = 1;
		cqlval_float_format(v->u.f, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_BOOLEAN:
		*bare = 1;
		return (xstrdup(v->u.b ? "true" : "false"));
	case CQLTYPE_ASCII:
	case CQLTYPE_TEXT:
		return (xstrndup((const char *)v->u.bytes.p, v->u.bytes.n));
	case CQLTYPE_BLOB:
	case CQLTYPE_CUSTOM:
		return (cqlval_blob_format(v->u.bytes.p, v->u.bytes.n));
	case CQLTYPE_UUID:
	case CQLTYPE_TIMEUUID:
		cqlval_uuid_format(v->u.uuid, buf);
		return (xstrdup(buf));
	case CQLTYPE_INET:
		cqlval_inet_format(v->u.inet.a, v->u.inet.n, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_TIMESTAMP:
		cqlval_timestamp_format(v->u.i, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_DATE:
		cqlval_date_format((uint32_t)v->u.i, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_TIME:
		cqlval_time_format(v->u.i, buf, sizeof buf);
		return (xstrdup(buf));
	case CQLTYPE_DURATION:
		cqlval_duration_format(v->u.duration.months,
		    v->u.duration.days, v->u.duration.ns, buf, sizeof buf);
		return (xstrdup(buf));
	default:
		return (xstrdup(""));
	}
}

static void
json_tree(struct wbuf *w, const struct cqltype *t, const struct cqlval *v,
    int depth)
{
	size_t	 i;
	char	*s;
	int	 bare;

	if (v == NULL || v->is_null || depth > ENGINE_MAX_DEPTH) {
		wbuf_raw(w, "null", 4);
		return;
	}
	switch (t->kind) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_VECTOR:
	case CQLTYPE_TUPLE:
		wbuf_u8(w, '[');
		for (i = 0; i < v->u.coll.n; i++) {
			if (i > 0)
				wbuf_raw(w, ", ", 2);
			json_tree(w, t->kind == CQLTYPE_TUPLE ? t->sub[i] :
			    t->sub[0], v->u.coll.items[i], depth + 1);
		}
		wbuf_u8(w, ']');
		return;
	case CQLTYPE_MAP:
		wbuf_u8(w, '{');
		for (i = 0; i < v->u.coll.n; i++) {
			const struct cqlval *k = v->u.coll.items[2 * i];

			if (i > 0)
				wbuf_raw(w, ", ", 2);
			if (k->kind == CQLTYPE_TEXT || k->kind == CQLTYPE_ASCII ||
			    cqltype_is_collection(k->kind) ||
			    k->kind == CQLTYPE_TUPLE || k->kind == CQLTYPE_UDT) {
				struct wbuf	kw;

				if (k->kind == CQLTYPE_TEXT ||
				    k->kind == CQLTYPE_ASCII) {
					s = xstrndup((const char *)k->u.bytes.p,
					    k->u.bytes.n);
				} else {
					wbuf_init(&kw, ENGINE_MAX_CELL);
					json_tree(&kw, t->sub[0], k, depth + 1);
					wbuf_u8(&kw, 0);
					s = wbuf_ok(&kw) ? xstrdup((char *)kw.p) :
					    xstrdup("");
					wbuf_free(&kw);
				}
			} else
				s = scalar_text(t->sub[0], k, &bare);
			jsonw_string(w, s);
			free(s);
			wbuf_raw(w, ": ", 2);
			json_tree(w, t->sub[1], v->u.coll.items[2 * i + 1],
			    depth + 1);
		}
		wbuf_u8(w, '}');
		return;
	case CQLTYPE_UDT:
		wbuf_u8(w, '{');
		for (i = 0; i < t->n && i < v->u.coll.n; i++) {
			if (i > 0)
				wbuf_raw(w, ", ", 2);
			jsonw_string(w, t->fields[i]);
			wbuf_raw(w, ": ", 2);
			json_tree(w, t->sub[i], v->u.coll.items[i], depth + 1);
		}
		wbuf_u8(w, '}');
		return;
	default:
		s = scalar_text(t, v, &bare);
		if (bare)
			wbuf_raw(w, s, strlen(s));
		else
			jsonw_string(w, s);
		free(s);
		return;
	}
}

void
json_value(struct wbuf *w, const struct cqltype *t, const uint8_t *p,
    size_t n)
{
	struct cqlval	*v;
	char		 err[128];

	if (cqlval_decode(t, p, n, &v, err, sizeof err) != 0) {
		wbuf_raw(w, "null", 4);
		return;
	}
	json_tree(w, t, v, 0);
	cqlval_free(v);
}
