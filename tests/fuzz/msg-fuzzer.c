/*
 * msg-fuzzer.c: libFuzzer harness for everything the codec reads from a
 * peer: the frame header, every message body, every column type and every
 * cell of a RESULT Rows under its column's type; also CQL type text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "cqltype.h"
#include "cqlval.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Exercise a decoded type: format, class name, wire form, re-parse. */
static void
poke_type(const struct cqltype *t)
{
	struct wbuf	 w;
	struct rbuf	 r;
	struct cqltype	*u;
	char		*s;

	if (t == NULL)
		return;
	s = cqltype_format(t);
	u = cqltype_parse(s, NULL);
	cqltype_free(u);
	free(s);
	s = cqltype_class_name(t);
	free(s);
	wbuf_init(&w, 1 << 20);
	cqltype_write(&w, PROTO_V4, t);
	if (wbuf_ok(&w)) {
		rbuf_init(&r, w.p, w.len);
		u = cqltype_read(&r, PROTO_V4);
		cqltype_free(u);
	}
	wbuf_free(&w);
}

/* Decode a cell, re-encode it, and render the scalars as text. */
static void
poke_value(const struct cqltype *t, const struct bytesval *b,
    const struct bytesval *prev)
{
	struct cqlval	*v;
	struct wbuf	 w;
	char		 err[128], buf[128], *s;

	if (t == NULL || b->state != BYTES_VALUE)
		return;
	if (prev != NULL && prev->state == BYTES_VALUE)
		(void)cqlval_compare(t, b->v.p, b->v.n, prev->v.p, prev->v.n);
	if (cqlval_decode(t, b->v.p, b->v.n, &v, err, sizeof err) != 0)
		return;
	wbuf_init(&w, 1 << 24);
	if (cqlval_encode(t, v, &w) != 0)
		abort();	/* a value that decodes must re-encode */
	wbuf_free(&w);
	if (!v->is_empty) {
		switch (v->kind) {
		case CQLTYPE_VARINT:
			free(cqlval_varint_to_string(v->u.bytes.p,
			    v->u.bytes.n));
			break;
		case CQLTYPE_DECIMAL:
			free(cqlval_decimal_to_string(v->u.decimal.scale,
			    v->u.decimal.p, v->u.decimal.n));
			break;
		case CQLTYPE_TIMESTAMP:
			cqlval_timestamp_format(v->u.i, buf, sizeof buf);
			break;
		case CQLTYPE_DATE:
			cqlval_date_format((uint32_t)v->u.i, buf, sizeof buf);
			break;
		case CQLTYPE_TIME:
			cqlval_time_format(v->u.i, buf, sizeof buf);
			break;
		case CQLTYPE_DURATION:
			cqlval_duration_format(v->u.duration.months,
			    v->u.duration.days, v->u.duration.ns, buf,
			    sizeof buf);
			break;
		case CQLTYPE_DOUBLE:
			cqlval_double_format(v->u.d, buf, sizeof buf);
			break;
		case CQLTYPE_FLOAT:
			cqlval_float_format(v->u.f, buf, sizeof buf);
			break;
		case CQLTYPE_INET:
			cqlval_inet_format(v->u.inet.a, v->u.inet.n, buf,
			    sizeof buf);
			break;
		case CQLTYPE_BLOB:
			s = cqlval_blob_format(v->u.bytes.p, v->u.bytes.n);
			free(s);
			break;
		default:
			break;
		}
	}
	cqlval_free(v);
}

static void
poke_rows(const struct result_rows *rows)
{
	struct rows_reader	 rr;
	struct bytesval		*cells, *prev;
	size_t			 n = (size_t)rows->meta.columns_count, c;

	if (n == 0)
		return;
	cells = xcalloc(n, sizeof *cells);
	prev = xcalloc(n, sizeof *prev);
	rows_reader_init(&rr, rows);
	while (rows_reader_next(&rr, cells) == 1) {
		for (c = 0; c < n && rows->meta.cols != NULL; c++)
			poke_value(rows->meta.cols[c].type, &cells[c], &prev[c]);
		memcpy(prev, cells, n * sizeof *cells);
	}
	free(cells);
	free(prev);
}

static void
poke_msg(uint8_t version, const struct frame_header *h, const struct msg *m)
{
	struct wbuf	w;
	int32_t		i;

	wbuf_init(&w, 1 << 24);
	(void)msg_encode(&w, version, h->response, h->stream, h->flags, m);
	wbuf_free(&w);
	if (m->opcode != OP_RESULT)
		return;
	switch (m->u.result.kind) {
	case RESULT_ROWS:
		for (i = 0; m->u.result.rows.meta.cols != NULL &&
		    i < m->u.result.rows.meta.columns_count; i++)
			poke_type(m->u.result.rows.meta.cols[i].type);
		poke_rows(&m->u.result.rows);
		break;
	case RESULT_PREPARED:
		for (i = 0; m->u.result.prepared.meta.cols != NULL &&
		    i < m->u.result.prepared.meta.columns_count; i++)
			poke_type(m->u.result.prepared.meta.cols[i].type);
		break;
	}
}

/* Every text parser, and formatting back what parses. */
static void
poke_text(const char *s)
{
	struct wbuf	w;
	uint8_t		u[16];
	char		buf[128], *t;
	int64_t		i;
	int32_t		mo, d, sc;
	uint32_t	raw;
	size_t		n;
	double		dv;
	float		fv;

	wbuf_init(&w, 1 << 20);
	if (cqlval_uuid_parse(s, u) == 0)
		cqlval_uuid_format(u, buf);
	if (cqlval_inet_parse(s, u, &n) == 0)
		cqlval_inet_format(u, n, buf, sizeof buf);
	if (cqlval_timestamp_parse(s, &i) == 0)
		cqlval_timestamp_format(i, buf, sizeof buf);
	if (cqlval_date_parse(s, &raw) == 0)
		cqlval_date_format(raw, buf, sizeof buf);
	if (cqlval_time_parse(s, &i) == 0)
		cqlval_time_format(i, buf, sizeof buf);
	if (cqlval_duration_parse(s, &mo, &d, &i) == 0)
		cqlval_duration_format(mo, d, i, buf, sizeof buf);
	if (cqlval_double_parse(s, &dv) == 0)
		cqlval_double_format(dv, buf, sizeof buf);
	if (cqlval_float_parse(s, &fv) == 0)
		cqlval_float_format(fv, buf, sizeof buf);
	if (cqlval_varint_from_string(s, &w) == 0) {
		t = cqlval_varint_to_string(w.p, w.len);
		if (t == NULL || strcmp(t, s) == 0 ? 0 : (s[0] != '+' &&
		    s[0] != '0' && strncmp(s, "-0", 2) != 0))
			abort();	/* canonical digits read back */
		free(t);
	}
	wbuf_reset(&w);
	if (cqlval_decimal_from_string(s, &sc, &w) == 0)
		free(cqlval_decimal_to_string(sc, w.p, w.len));
	wbuf_reset(&w);
	(void)cqlval_blob_parse(s, &w);
	wbuf_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_header	 h;
	struct msg		 m;
	char			 err[256], *text;
	size_t			 hl;
	uint8_t			 v;
	struct cqltype		*t;

	/* A leading '$' makes the rest text for every scalar parser. */
	if (size > 0 && data[0] == '$') {
		text = xstrndup((const char *)data + 1, size - 1);
		poke_text(text);
		free(text);
		return (0);
	}
	/* A leading '#' makes the rest a type string. */
	if (size > 0 && data[0] == '#') {
		text = xstrndup((const char *)data + 1, size - 1);
		t = cqltype_parse(text, NULL);
		poke_type(t);
		cqltype_free(t);
		free(text);
		return (0);
	}
	if (frame_header_decode(data, size, &h) != 0)
		return (0);
	hl = frame_header_size(h.version);
	if (h.length > size - hl)
		return (0);
	/* Try the frame's own version, and v4 for old/new version bytes. */
	v = h.version >= PROTO_V3 ? h.version : PROTO_V4;
	if (msg_decode(v, &h, data + hl, h.length, &m, err, sizeof err) == 0) {
		poke_msg(v, &h, &m);
		msg_clear(&m);
	}
	return (0);
}
