/*
 * stmt.c: statements and batches as the caller builds them, and their
 * request lines (docs/protocol.md, "query", "execute", "batch").  Values
 * are kept as JSON text from the start, so numbers the caller wrote go to
 * the daemon digit for digit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cqlp-int.h"

/*
 * Set or replace one member in an options list kept as text: one
 * ,"name":json member per line (JSON text never holds a raw newline once
 * flattened, so lines are members).
 */
static enum cqlp_err
opt_set(struct sbuf *opts, const char *name, const char *json)
{
	struct sbuf	 nb, key;
	const char	*p, *e, *nl;

	if (name == NULL || json == NULL ||
	    !json_valid(json, strlen(json), -1))
		return (CQLP_ERR_INVALID);
	sbuf_init(&key);
	sbuf_addc(&key, ',');
	sbuf_json_str(&key, name, strlen(name));
	sbuf_addc(&key, ':');
	sbuf_init(&nb);
	for (p = opts->p, e = p + opts->len; p != NULL && p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((size_t)(nl - p) >= key.len &&
		    memcmp(p, key.p, key.len) == 0)
			continue;
		sbuf_add(&nb, p, (size_t)(nl - p));
		sbuf_addc(&nb, '\n');
	}
	sbuf_add(&nb, key.p, key.len);
	sbuf_add_flat(&nb, json, strlen(json));
	sbuf_addc(&nb, '\n');
	if (nb.err || key.err) {
		sbuf_free(&key);
		sbuf_free(&nb);
		return (CQLP_ERR_NOMEM);
	}
	sbuf_free(&key);
	sbuf_free(opts);
	*opts = nb;
	return (CQLP_OK);
}

/* Copy the options into a request, dropping the separating newlines. */
static void
opt_write(struct sbuf *sb, const struct sbuf *opts)
{
	const char	*p, *e, *nl;

	if (opts->p == NULL)
		return;
	for (p = opts->p, e = p + opts->len; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		sbuf_add(sb, p, (size_t)(nl - p));
	}
}

static enum cqlp_err
opt_set_str(struct sbuf *opts, const char *name, const char *s)
{
	struct sbuf	v;
	enum cqlp_err	rv;

	if (s == NULL)
		return (CQLP_ERR_INVALID);
	sbuf_init(&v);
	sbuf_json_str(&v, s, strlen(s));
	rv = v.err ? CQLP_ERR_NOMEM : opt_set(opts, name, v.p);
	sbuf_free(&v);
	return (rv);
}

static enum cqlp_err
opt_set_int(struct sbuf *opts, const char *name, long long i)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "%lld", i);
	return (opt_set(opts, name, buf));
}

struct cqlp_stmt *
cqlp_stmt_new(const char *cql)
{
	struct cqlp_stmt	*s;

	if (cql == NULL || (s = calloc(1, sizeof *s)) == NULL)
		return (NULL);
	if ((s->cql = lc_strdup(cql)) == NULL) {
		free(s);
		return (NULL);
	}
	return (s);
}

struct cqlp_stmt *
cqlp_stmt_new_prepared(const struct cqlp_prepared *p)
{
	struct cqlp_stmt	*s;

	if (p == NULL || (s = calloc(1, sizeof *s)) == NULL)
		return (NULL);
	s->handle = lc_strdup(p->handle);
	s->prep_cql = lc_strdup(p->cql);
	if (s->handle == NULL || s->prep_cql == NULL) {
		cqlp_stmt_free(s);
		return (NULL);
	}
	return (s);
}

void
cqlp_stmt_free(struct cqlp_stmt *s)
{
	if (s == NULL)
		return;
	free(s->cql);
	free(s->handle);
	free(s->prep_cql);
	sbuf_free(&s->values);
	sbuf_free(&s->opts);
	free(s);
}

struct cqlp_stmt *
stmt_copy(const struct cqlp_stmt *s)
{
	struct cqlp_stmt	*n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		return (NULL);
	n->cql = lc_strdup(s->cql);
	n->handle = lc_strdup(s->handle);
	n->prep_cql = lc_strdup(s->prep_cql);
	if (s->values.p != NULL)
		sbuf_add(&n->values, s->values.p, s->values.len);
	if (s->opts.p != NULL)
		sbuf_add(&n->opts, s->opts.p, s->opts.len);
	n->values_whole = s->values_whole;
	n->nvalues = s->nvalues;
	n->timeout_ms = s->timeout_ms;
	n->idempotent = s->idempotent;
	if ((s->cql != NULL && n->cql == NULL) ||
	    (s->handle != NULL && n->handle == NULL) ||
	    (s->prep_cql != NULL && n->prep_cql == NULL) ||
	    n->values.err || n->opts.err) {
		cqlp_stmt_free(n);
		return (NULL);
	}
	return (n);
}

void
cqlp_stmt_reset(struct cqlp_stmt *s)
{
	sbuf_free(&s->values);
	s->values_whole = 0;
	s->nvalues = 0;
}

enum cqlp_err
cqlp_stmt_set_values(struct cqlp_stmt *s, const char *json)
{
	size_t	n;

	cqlp_stmt_reset(s);
	if (json == NULL)
		return (CQLP_OK);
	n = strlen(json);
	if (!json_valid(json, n, J_ARRAY) && !json_valid(json, n, J_OBJECT))
		return (CQLP_ERR_INVALID);
	sbuf_add_flat(&s->values, json, n);
	s->values_whole = 1;
	return (s->values.err ? CQLP_ERR_NOMEM : CQLP_OK);
}

/* Append one value's JSON text to the positional list. */
static enum cqlp_err
bind_raw(struct cqlp_stmt *s, const char *json, size_t n)
{
	if (s->values_whole)
		return (CQLP_ERR_INVALID);
	sbuf_addc(&s->values, s->nvalues == 0 ? '[' : ',');
	sbuf_add(&s->values, json, n);
	s->nvalues++;
	return (s->values.err ? CQLP_ERR_NOMEM : CQLP_OK);
}

enum cqlp_err
cqlp_bind_int64(struct cqlp_stmt *s, int64_t v)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof buf, "%lld", (long long)v);
	return (bind_raw(s, buf, (size_t)n));
}

/*
 * Doubles with 17 digits read back to the same double (written in the C
 * locale); NaN and infinities as the daemon's strings.
 */
enum cqlp_err
cqlp_bind_double(struct cqlp_stmt *s, double v)
{
	char	buf[40];
	int	n;

	if (isnan(v))
		return (bind_raw(s, "\"NaN\"", 5));
	if (isinf(v))
		return (v > 0 ? bind_raw(s, "\"Infinity\"", 10) :
		    bind_raw(s, "\"-Infinity\"", 11));
	if ((n = lc_dtoa(buf, sizeof buf, v)) < 0)
		return (CQLP_ERR_NOMEM);
	return (bind_raw(s, buf, (size_t)n));
}

enum cqlp_err
cqlp_bind_textn(struct cqlp_stmt *s, const char *p, size_t n)
{
	struct sbuf	v;
	enum cqlp_err	rv;

	if (p == NULL)
		return (cqlp_bind_null(s));
	sbuf_init(&v);
	sbuf_json_str(&v, p, n);
	rv = v.err ? CQLP_ERR_NOMEM : bind_raw(s, v.p, v.len);
	sbuf_free(&v);
	return (rv);
}

enum cqlp_err
cqlp_bind_text(struct cqlp_stmt *s, const char *p)
{
	return (cqlp_bind_textn(s, p, p == NULL ? 0 : strlen(p)));
}

enum cqlp_err
cqlp_bind_bytes(struct cqlp_stmt *s, const void *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*b = p;
	struct sbuf		 v;
	enum cqlp_err		 rv;
	size_t			 i;

	if (p == NULL && n != 0)
		return (CQLP_ERR_INVALID);
	sbuf_init(&v);
	sbuf_add(&v, "\"0x", 3);
	for (i = 0; i < n; i++) {
		sbuf_addc(&v, hex[b[i] >> 4]);
		sbuf_addc(&v, hex[b[i] & 15]);
	}
	sbuf_addc(&v, '"');
	rv = v.err ? CQLP_ERR_NOMEM : bind_raw(s, v.p, v.len);
	sbuf_free(&v);
	return (rv);
}

enum cqlp_err
cqlp_bind_bool(struct cqlp_stmt *s, int v)
{
	return (v ? bind_raw(s, "true", 4) : bind_raw(s, "false", 5));
}

enum cqlp_err
cqlp_bind_null(struct cqlp_stmt *s)
{
	return (bind_raw(s, "null", 4));
}

enum cqlp_err
cqlp_bind_json(struct cqlp_stmt *s, const char *json)
{
	struct sbuf	v;
	enum cqlp_err	rv;
	size_t		n;

	if (json == NULL)
		return (CQLP_ERR_INVALID);
	n = strlen(json);
	if (!json_valid(json, n, -1))
		return (CQLP_ERR_INVALID);
	sbuf_init(&v);
	sbuf_add_flat(&v, json, n);
	rv = v.err ? CQLP_ERR_NOMEM : bind_raw(s, v.p, v.len);
	sbuf_free(&v);
	return (rv);
}

enum cqlp_err
cqlp_stmt_set_consistency(struct cqlp_stmt *s, const char *v)
{
	return (opt_set_str(&s->opts, "consistency", v));
}

enum cqlp_err
cqlp_stmt_set_serial_consistency(struct cqlp_stmt *s, const char *v)
{
	return (opt_set_str(&s->opts, "serial_consistency", v));
}

enum cqlp_err
cqlp_stmt_set_page_size(struct cqlp_stmt *s, int n)
{
	return (opt_set_int(&s->opts, "page_size", n));
}

enum cqlp_err
cqlp_stmt_set_paging_state(struct cqlp_stmt *s, const char *v)
{
	return (opt_set_str(&s->opts, "paging_state", v));
}

enum cqlp_err
cqlp_stmt_set_timestamp(struct cqlp_stmt *s, int64_t v)
{
	return (opt_set_int(&s->opts, "timestamp", (long long)v));
}

enum cqlp_err
cqlp_stmt_set_timeout(struct cqlp_stmt *s, int ms)
{
	if (ms < 0)
		return (CQLP_ERR_INVALID);
	s->timeout_ms = ms;
	return (opt_set_int(&s->opts, "timeout_ms", ms));
}

enum cqlp_err
cqlp_stmt_set_idempotent(struct cqlp_stmt *s, int on)
{
	s->idempotent = on != 0;
	return (opt_set(&s->opts, "idempotent", on ? "true" : "false"));
}

enum cqlp_err
cqlp_stmt_set_tracing(struct cqlp_stmt *s, int on)
{
	return (opt_set(&s->opts, "trace", on ? "true" : "false"));
}

enum cqlp_err
cqlp_stmt_set_keyspace(struct cqlp_stmt *s, const char *ks)
{
	return (opt_set_str(&s->opts, "keyspace", ks));
}

enum cqlp_err
cqlp_stmt_set_option(struct cqlp_stmt *s, const char *name, const char *json)
{
	enum cqlp_err	rv;

	if (name == NULL || strcmp(name, "id") == 0 || strcmp(name, "op") == 0)
		return (CQLP_ERR_INVALID);
	if ((rv = opt_set(&s->opts, name, json)) != CQLP_OK)
		return (rv);
	if (strcmp(name, "idempotent") == 0)
		s->idempotent = strcmp(json, "true") == 0;
	return (CQLP_OK);
}

/* The statement's own part: "cql" or "statement", then "values". */
static void
stmt_body(struct sbuf *sb, const struct cqlp_stmt *s)
{
	if (s->cql != NULL) {
		sbuf_adds(sb, "\"cql\":");
		sbuf_json_str(sb, s->cql, strlen(s->cql));
	} else {
		sbuf_adds(sb, "\"statement\":");
		sbuf_adds(sb, s->handle);
	}
	if (s->values_whole) {
		sbuf_adds(sb, ",\"values\":");
		sbuf_add(sb, s->values.p, s->values.len);
	} else if (s->nvalues > 0) {
		sbuf_adds(sb, ",\"values\":");
		sbuf_add(sb, s->values.p, s->values.len);
		sbuf_addc(sb, ']');
	}
}

/* The members every request line of the library carries. */
static void
common_tail(struct sbuf *sb, int nas)
{
	if (nas)
		sbuf_adds(sb, ",\"numbers_as_strings\":true");
	sbuf_adds(sb, ",\"compact\":true}\n");
}

void
stmt_request(struct sbuf *sb, const struct cqlp_stmt *s, uint64_t id,
    int nas, struct reqinfo *ri)
{
	sbuf_addf(sb, "{\"id\":%llu,\"op\":\"%s\",", (unsigned long long)id,
	    s->cql != NULL ? "query" : "execute");
	stmt_body(sb, s);
	opt_write(sb, &s->opts);
	common_tail(sb, nas);
	memset(ri, 0, sizeof *ri);
	ri->safe = s->idempotent;
	ri->timeout_ms = s->timeout_ms;
}

struct cqlp_batch *
cqlp_batch_new(const char *type)
{
	struct cqlp_batch	*b;

	if ((b = calloc(1, sizeof *b)) == NULL)
		return (NULL);
	if ((b->type = lc_strdup(type == NULL ? "logged" : type)) == NULL) {
		free(b);
		return (NULL);
	}
	return (b);
}

void
cqlp_batch_free(struct cqlp_batch *b)
{
	if (b == NULL)
		return;
	sbuf_free(&b->stmts);
	sbuf_free(&b->opts);
	free(b->type);
	free(b);
}

enum cqlp_err
cqlp_batch_add(struct cqlp_batch *b, const struct cqlp_stmt *s)
{
	if (s == NULL)
		return (CQLP_ERR_INVALID);
	sbuf_addc(&b->stmts, b->n == 0 ? '[' : ',');
	sbuf_addc(&b->stmts, '{');
	stmt_body(&b->stmts, s);
	sbuf_addc(&b->stmts, '}');
	b->n++;
	return (b->stmts.err ? CQLP_ERR_NOMEM : CQLP_OK);
}

enum cqlp_err
cqlp_batch_set_consistency(struct cqlp_batch *b, const char *v)
{
	return (opt_set_str(&b->opts, "consistency", v));
}

enum cqlp_err
cqlp_batch_set_option(struct cqlp_batch *b, const char *name,
    const char *json)
{
	enum cqlp_err	rv;

	if (name == NULL || strcmp(name, "id") == 0 ||
	    strcmp(name, "op") == 0 || strcmp(name, "type") == 0 ||
	    strcmp(name, "statements") == 0)
		return (CQLP_ERR_INVALID);
	if ((rv = opt_set(&b->opts, name, json)) != CQLP_OK)
		return (rv);
	if (strcmp(name, "idempotent") == 0)
		b->idempotent = strcmp(json, "true") == 0;
	return (CQLP_OK);
}

void
batch_request(struct sbuf *sb, const struct cqlp_batch *b, uint64_t id,
    int nas, struct reqinfo *ri)
{
	sbuf_addf(sb, "{\"id\":%llu,\"op\":\"batch\",\"type\":",
	    (unsigned long long)id);
	sbuf_json_str(sb, b->type, strlen(b->type));
	sbuf_adds(sb, ",\"statements\":");
	if (b->n == 0)
		sbuf_addc(sb, '[');
	else
		sbuf_add(sb, b->stmts.p, b->stmts.len);
	sbuf_addc(sb, ']');
	opt_write(sb, &b->opts);
	common_tail(sb, nas);
	memset(ri, 0, sizeof *ri);
	ri->safe = b->idempotent;
}

/* Ops that change nothing in the cluster may be sent twice. */
static int
op_is_safe(const char *op)
{
	static const char *const safe[] = { "ping", "prepare", "use",
	    "schema", "hosts", "trace", "stats" };
	size_t	i;

	for (i = 0; i < sizeof safe / sizeof safe[0]; i++)
		if (strcmp(op, safe[i]) == 0)
			return (1);
	return (0);
}

/*
 * A caller's request object, with our id put first.  The caller's text
 * is kept as written (numbers exact); it must not carry an id itself.
 */
int
raw_request(struct sbuf *sb, const char *json, uint64_t id, int nas,
    struct reqinfo *ri)
{
	struct jdoc		 doc;
	const struct jnode	*op, *idem, *tmo;
	const char		*open, *close;
	char			*copy;
	size_t			 n = strlen(json);

	memset(ri, 0, sizeof *ri);
	if ((copy = lc_strndup(json, n)) == NULL)
		return (-1);
	if (jdoc_parse(&doc, copy, n, NULL, 0) != 0) {
		free(copy);
		return (-1);
	}
	if (doc.root->type != J_OBJECT || jnode_get(doc.root, "id") != NULL) {
		jdoc_free(&doc);
		return (-1);
	}
	op = jnode_get(doc.root, "op");
	if (op != NULL && op->type == J_STRING) {
		ri->safe = op_is_safe(op->str);
		ri->is_use = strcmp(op->str, "use") == 0;
	}
	if ((idem = jnode_get(doc.root, "idempotent")) != NULL &&
	    idem->type == J_TRUE)
		ri->safe = 1;
	/* An integer the daemon takes (up to a day); else its default. */
	if ((tmo = jnode_get(doc.root, "timeout_ms")) != NULL &&
	    tmo->type == J_NUMBER && tmo->rawlen <= 8 &&
	    strspn(tmo->raw, "0123456789") == tmo->rawlen)
		ri->timeout_ms = atoi(tmo->raw);
	open = strchr(json, '{');
	close = strrchr(json, '}');
	sbuf_addf(sb, "{\"id\":%llu", (unsigned long long)id);
	if (doc.root->n > 0) {
		sbuf_addc(sb, ',');
		sbuf_add_flat(sb, open + 1, (size_t)(close - open - 1));
	}
	if (nas && jnode_get(doc.root, "numbers_as_strings") == NULL)
		sbuf_adds(sb, ",\"numbers_as_strings\":true");
	if (jnode_get(doc.root, "compact") == NULL)
		sbuf_adds(sb, ",\"compact\":true");
	sbuf_adds(sb, "}\n");
	jdoc_free(&doc);
	return (0);
}
