/*
 * jsonproto-fuzzer.c: libFuzzer harness for the service's request parser:
 * one line from a local client (daemon/service/jsonproto.c,
 * jsonproto_parse) becomes a request or an early error, with no I/O.
 * Whichever reader took the line (the quick one for plain requests or
 * jansson), the request must hold what jansson reads in it. The parts of
 * the answer that parsing decides (the id echoed back, the error message
 * and its extra members) must be valid JSON on one line, as the answer
 * that carries them will be; a CQL text is classified as the read-only
 * socket and USE handling do (cql_is_select, cql_parse_use).  Values read
 * as a table of scalars bind to the bytes the tree would bind to.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "metrics.h"
#include "service.h"
#include "jsonval.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void __attribute__((__noreturn__))
fail(const char *what, const char *text)
{
	fprintf(stderr, "jsonproto-fuzzer: %s: %s\n", what,
	    text != NULL ? text : "(null)");
	abort();
}

/* JSON text that an answer line will carry: must load and hold no \n. */
static void
check_fragment(const char *what, const void *p, size_t n)
{
	json_error_t	 e;
	json_t		*j;

	if (memchr(p, '\n', n) != NULL)
		fail("newline inside an answer", what);
	j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (j == NULL) {
		fprintf(stderr, "jsonproto-fuzzer: %s: %s\n", what, e.text);
		fail("answer fragment is not valid JSON", what);
	}
	json_decref(j);
}

static void
check_request(struct creq *r)
{
	struct wbuf	 w;
	json_t		*cql;
	const char	*cs;
	char		*s, ks[256];
	size_t		 len;
	int		 u;

	if (r->early_code != NULL) {
		if (r->early_msg == NULL)
			fail("early error without a message", r->early_code);
		/* The message goes out through jsonval_write_string. */
		wbuf_init(&w, 1 << 20);
		jsonval_write_string(&w, r->early_msg, strlen(r->early_msg));
		if (!wbuf_ok(&w))
			fail("early message too large", r->early_code);
		check_fragment("early_msg", w.p, w.len);
		wbuf_free(&w);
		if (r->early_extra != NULL) {
			s = json_dumps(r->early_extra, JSON_ENCODE_ANY |
			    JSON_COMPACT);
			if (s == NULL)
				fail("early_extra does not dump", r->early_code);
			check_fragment("early_extra", s, strlen(s));
			free(s);
		}
	} else {
		if (r->op == METRICS_OP_INVALID)
			fail("a request without an op", NULL);
		if (metrics_op_name(r->op) == NULL)
			fail("an op without a name", NULL);
	}
	if (r->id != NULL) {
		check_fragment("id", r->id, strlen(r->id));
		if (r->ordered && r->op != METRICS_OP_USE &&
		    r->op != METRICS_OP_QUERY && r->early_code == NULL)
			fail("a request with an id is ordered", r->id);
	}

	/* What the read-only socket and USE handling read of the CQL. */
	if ((cql = jp_get(r, JPK_CQL)) != NULL && json_is_string(cql)) {
		(void)cql_is_select(json_string_value(cql));
		memset(ks, 'x', sizeof ks);
		u = cql_parse_use(json_string_value(cql), ks, sizeof ks);
		if (u == 1 && (memchr(ks, '\0', sizeof ks) == NULL ||
		    ks[0] == '\0'))
			fail("USE keyspace not terminated or empty",
			    json_string_value(cql));
		/* A leading blank takes the general path: the same answer. */
		if (asprintf(&s, " %s", json_string_value(cql)) == -1)
			fail("asprintf failed", NULL);
		if (cql_parse_use(s, ks, sizeof ks) != u)
			fail("cql_parse_use differs after a blank", s);
		free(s);
		/* The length the query op hashes is the C string's. */
		if (jp_string_len(r, JPK_CQL, &cs, &len) != 1 || cs == NULL ||
		    len != strlen(cs))
			fail("jp_string_len is not strlen",
			    json_string_value(cql));
	}
}

/*
 * Whatever path read the line (the quick reader for plain requests, or
 * jansson), the request must be what jansson makes of the line: bad_json
 * exactly when jansson refuses it, the same members, the same id.
 */
static void
check_against_jansson(struct creq *r, const char *line, size_t n)
{
	json_error_t	 e;
	json_t		*j, *v, *got, *id;
	const char	*k;

	j = jsonval_loads(line, n, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
	if (j == NULL) {
		if (r->early_code == NULL || strcmp(r->early_code,
		    "bad_json") != 0)
			fail("a line jansson refuses is taken as JSON",
			    r->early_code);
		return;
	}
	if (r->early_code != NULL && strcmp(r->early_code, "bad_json") == 0)
		fail("a line jansson reads is refused as bad_json",
		    r->early_msg);
	if (!json_is_object(j)) {
		if (r->early_code == NULL)
			fail("a JSON value that is not an object is taken",
			    NULL);
		json_decref(j);
		return;
	}
	json_object_foreach(j, k, v) {
		/* A key with a NUL reads shorter here: not comparable. */
		if (json_object_get(j, k) != v)
			continue;
		if ((got = jp_get_name(r, k)) == NULL)
			fail("a member jansson reads is missing", k);
		if (!json_equal(got, v))
			fail("a member differs from jansson's", k);
	}
	v = json_object_get(j, "id");
	if (v != NULL && !json_is_object(v) && !json_is_array(v)) {
		if (r->id == NULL)
			fail("the id is lost", NULL);
		/* jansson's own reader: a real echoes as %.17g digits. */
		id = json_loadb(r->id, strlen(r->id), JSON_DECODE_ANY |
		    JSON_ALLOW_NUL, &e);
		if (id == NULL || !json_equal(id, v))
			fail("the id echoes differently from jansson's",
			    r->id);
		json_decref(id);
	}
	json_decref(j);
}

/*
 * A values array read as a table of scalars is bound from the table
 * (jsonval_scalar_to_cql): for a few types, the bytes, nullness and error
 * must be those of binding the tree jansson made of the same line.
 */
static void
check_values_table(struct creq *r, const char *line, size_t n)
{
	static const char		*types[] = {
		"int", "bigint", "smallint", "text", "ascii", "varint",
		"decimal", "double", "boolean", "blob", "uuid", "timestamp",
		"list<int>"
	};
	static struct cqltype		*parsed[sizeof types / sizeof types[0]];
	const struct jsonval_opts	 o = JSONVAL_OPTS_DEFAULT;
	const struct jsonval_scalar	*tab;
	struct wbuf			 wa, wb;
	json_t				*j, *vals;
	char				 ea[256], eb[256], *err;
	size_t				 ntab, i, k;
	int				 ra, rb, na, nb;

	if (!jp_values(r, &tab, &ntab))
		return;
	j = jsonval_loads(line, n, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
	if (j == NULL || (vals = json_object_get(j, "values")) == NULL ||
	    !json_is_array(vals) || json_array_size(vals) != ntab)
		fail("a values table that is not jansson's array", NULL);
	for (k = 0; k < sizeof types / sizeof types[0]; k++) {
		if (parsed[k] == NULL &&
		    (parsed[k] = cqltype_parse(types[k], &err)) == NULL)
			fail("type", types[k]);
		for (i = 0; i < ntab; i++) {
			wbuf_init(&wa, 1 << 20);
			wbuf_init(&wb, 1 << 20);
			ea[0] = eb[0] = '\0';
			na = nb = -1;
			ra = jsonval_scalar_to_cql(parsed[k], &tab[i], &o, &wa,
			    &na, ea, sizeof ea);
			rb = jsonval_to_cql(parsed[k], json_array_get(vals, i),
			    &o, &wb, &nb, eb, sizeof eb);
			if (ra != rb || na != nb || (ra != 0 &&
			    strcmp(ea, eb) != 0) || (ra == 0 &&
			    (wa.len != wb.len || (wa.len > 0 &&
			    memcmp(wa.p, wb.p, wa.len) != 0))))
				fail("a value binds differently from the "
				    "table", types[k]);
			wbuf_free(&wa);
			wbuf_free(&wb);
		}
	}
	json_decref(j);
}

/*
 * Every member knows which one it is (the quick reader tells short names
 * by a hashed word): its name is that member's, or no member's at all.
 */
static void
check_member_names(struct creq *r)
{
	const struct jpfield	*f;
	unsigned int		 i, k;

	for (i = 0; i < r->nfields; i++) {
		f = &r->fields[i];
		if (f->which != JPK_OTHER) {
			if (strcmp(f->key, jp_key_name(f->which)) != 0)
				fail("a member taken for another", f->key);
			continue;
		}
		for (k = 0; k < JPK_N; k++) {
			if (strcmp(f->key, jp_key_name(k)) == 0)
				fail("a known member taken for unknown",
				    f->key);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creq	*r;
	char		*line;

	/* Exactly the line's bytes, as client.c hands them over. */
	line = xmalloc(size > 0 ? size : 1);
	memcpy(line, data, size);
	r = jsonproto_parse(line, size, size & 1);
	check_request(r);
	check_member_names(r);
	check_against_jansson(r, line, size);
	check_values_table(r, line, size);
	creq_free(r);
	free(line);
	return (0);
}
