/*
 * ops-cql.c: the operations that run CQL: query, prepare, execute, batch
 * and use.  Statements with values, or under a keyspace (the client's
 * `use` or the request's), go through the daemon-wide prepared cache
 * (prepared.h): the bind types give each JSON value its CQL type, and the
 * partition key gives token-aware routing.  Others are sent as QUERY.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "cqltype.h"
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "prepared.h"
#include "config.h"
#include "jsonval.h"
#include "metrics.h"
#include "service.h"

/* Bind variables up to this many are described inside struct cqlvals. */
#define CQLVALS_INLINE	4

/* Values of one statement, serialized. */
struct cqlvals {
	struct wbuf		 w;		/* the bytes */
	size_t			 n;
	struct bytesval		*v;
	size_t			*off;		/* into w, fixed up at the end */
	struct bytesval		 vbuf[CQLVALS_INLINE];
	size_t			 offbuf[CQLVALS_INLINE];
};

/* The bytes of the last values, for the next (see cqlvals_clear). */
static struct wbuf	cqlvals_spare;
#define CQLVALS_KEEP	(16 * 1024)

/* Ended operations kept for reuse. */
#define CQLOP_POOL_MAX	256

/* One statement of a batch. */
struct cqlbent {
	struct cqlop		*op;
	size_t			 index;
	json_t			*json;		/* the entry (borrowed) */
	const char		*cql;		/* QUERY, or being prepared */
	struct prepared		*p;		/* referenced once known */
	struct prepared_wait	*wait;
	int			 prepare;	/* values, or a keyspace */
	struct cqlvals		 vals;
};

enum cqlop_kind {
	CQLOP_QUERY = 0,
	CQLOP_PREPARE,
	CQLOP_EXECUTE,
	CQLOP_BATCH,
	CQLOP_USE
};

/* A CQL operation in progress. */
struct cqlop {
	TAILQ_ENTRY(cqlop)	 entry;
	struct creq		*r;
	enum cqlop_kind		 kind;
	struct request_opts	 opts;
	uint8_t			*paging;	/* opts.paging_state's bytes */
	char			*keyspace;	/* opts.keyspace */
	struct jsonval_opts	 jo;
	const char		*cql;		/* borrowed from r */
	json_t			*values;	/* borrowed */
	/* Or the request's values read as a table (jp_values). */
	const struct jsonval_scalar *vtab;
	size_t			 nvtab;
	struct prepared_wait	*wait;
	struct request		*req;
	/* batch */
	uint8_t			 batch_type;
	struct cqlbent		*ents;
	size_t			 nents;
	size_t			 npending;
	int			 failed;
	/* use */
	char			*use_ks;
	int			 use_numstr;	/* -1: unchanged */
	int			 use_compact;
};
TAILQ_HEAD(, cqlop)	cqlops = TAILQ_HEAD_INITIALIZER(cqlops);

static struct freelist	cqlop_fl = FREELIST_INITIALIZER(CQLOP_POOL_MAX, 0,
    NULL);

static const uint8_t	cql_empty[1];

/* Does the keyspace exist?  (The name follows, quoted.) */
#define CQLOP_USE_QUERY	"SELECT keyspace_name FROM system_schema.keyspaces " \
	"WHERE keyspace_name = '"

static struct cqlop *
cqlop_new(struct creq *r, enum cqlop_kind kind)
{
	struct cqlop	*op;

	if ((op = freelist_get(&cqlop_fl)) != NULL)
		memset(op, 0, sizeof *op);
	else
		op = xcalloc(1, sizeof *op);
	op->r = r;
	op->kind = kind;
	op->jo.numbers_as_strings = r->numstr;
	op->jo.compact = r->compact;
	request_opts_default(&op->opts);
	TAILQ_INSERT_TAIL(&cqlops, op, entry);
	return (op);
}

/* Room for n values, and a buffer for their bytes. */
static void
cqlvals_init(struct cqlvals *cv, size_t n)
{
	if (cqlvals_spare.p != NULL) {
		cv->w = cqlvals_spare;
		cqlvals_spare.p = NULL;
		cv->w.len = 0;
		cv->w.err = NULL;
		cv->w.cap = WBUF_DEFAULT_CAP;
	} else
		wbuf_init(&cv->w, WBUF_DEFAULT_CAP);
	cv->n = n;
	if (n + 1 <= CQLVALS_INLINE) {
		memset(cv->vbuf, 0, sizeof cv->vbuf);
		cv->v = cv->vbuf;
		cv->off = cv->offbuf;
	} else {
		cv->v = xcalloc(n + 1, sizeof *cv->v);
		cv->off = xcalloc(n + 1, sizeof *cv->off);
	}
}

/* The buffer of small values is kept for the next statement. */
static void
cqlvals_clear(struct cqlvals *v)
{
	if (FREELIST_ON && cqlvals_spare.p == NULL && v->w.p != NULL &&
	    v->w.size <= CQLVALS_KEEP)
		cqlvals_spare = v->w;
	else
		wbuf_free(&v->w);
	if (v->v != v->vbuf)
		free(v->v);
	if (v->off != v->offbuf)
		free(v->off);
	/* As zeroed, but for the inline arrays (cqlvals_init sets them). */
	memset(&v->w, 0, sizeof v->w);
	v->n = 0;
	v->v = NULL;
	v->off = NULL;
}

static void
cqlop_free(struct cqlop *op)
{
	size_t	i;

	TAILQ_REMOVE(&cqlops, op, entry);
	for (i = 0; i < op->nents; i++) {
		if (op->ents[i].wait != NULL)
			prepared_cancel(op->ents[i].wait);
		if (op->ents[i].p != NULL)
			prepared_unref(op->ents[i].p);
		cqlvals_clear(&op->ents[i].vals);
	}
	if (op->wait != NULL)
		prepared_cancel(op->wait);
	/* Most operations own none of these: no calls for nothing. */
	if (op->ents != NULL)
		free(op->ents);
	if (op->paging != NULL)
		free(op->paging);
	if (op->keyspace != NULL)
		free(op->keyspace);
	if (op->use_ks != NULL)
		free(op->use_ks);
	freelist_put(&cqlop_fl, op);
}

static void	colcache_clear(void);

void
ops_cql_init(void)
{
}

/* Exiting: drop operations still waiting for the prepared cache. */
void
ops_cql_free(void)
{
	struct cqlop	*op;

	while ((op = TAILQ_FIRST(&cqlops)) != NULL) {
		if (op->req != NULL)
			request_cancel(op->req);	/* answers, frees */
		else {
			creq_free(op->r);
			cqlop_free(op);
		}
	}
	colcache_clear();
}

/*
 * CQL text helpers.
 */

/* Skip blanks and comments (--, //, and block comments). */
static const char *
cql_skip(const char *s)
{
	for (;;) {
		while (isspace((unsigned char)*s) || *s == ';')
			s++;
		if ((s[0] == '-' && s[1] == '-') || (s[0] == '/' &&
		    s[1] == '/')) {
			while (*s != '\0' && *s != '\n')
				s++;
			continue;
		}
		if (s[0] == '/' && s[1] == '*') {
			s += 2;
			while (*s != '\0' && !(s[0] == '*' && s[1] == '/'))
				s++;
			if (*s != '\0')
				s += 2;
			continue;
		}
		return (s);
	}
}

/* s starts with the keyword kw (any case), followed by a non-name char. */
static int
cql_keyword(const char *s, const char *kw)
{
	size_t	n;

	/* Most statements differ at once (every request asks about USE). */
	if (tolower((unsigned char)*s) != tolower((unsigned char)*kw))
		return (0);
	n = strlen(kw);
	if (strncasecmp(s, kw, n) != 0)
		return (0);
	return (!isalnum((unsigned char)s[n]) && s[n] != '_');
}

int
cql_is_select(const char *s)
{
	return (cql_keyword(cql_skip(s), "SELECT"));
}

int
cql_parse_use(const char *s, char *ks, size_t len)
{
	const char	*p;
	size_t		 n = 0;

	/* A statement starting with another letter (most) is no USE. */
	if (((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) &&
	    (*s | 0x20) != 'u')
		return (0);
	p = cql_skip(s);
	if (!cql_keyword(p, "USE"))
		return (0);
	p = cql_skip(p + 3);
	if (*p == '"') {
		for (p++; *p != '\0'; p++) {
			if (*p == '"') {
				if (p[1] != '"')
					break;
				p++;
			}
			if (n + 1 >= len)
				return (-1);
			ks[n++] = *p;
		}
		if (*p != '"')
			return (-1);
		p++;
	} else {
		for (; isalnum((unsigned char)*p) || *p == '_'; p++) {
			if (n + 1 >= len)
				return (-1);
			ks[n++] = (char)tolower((unsigned char)*p);
		}
	}
	ks[n] = '\0';
	p = cql_skip(p);
	if (n == 0 || *p != '\0')
		return (-1);
	return (1);
}

/* Hex ("0x..." or bare) into bytes; -1 when it is not hex. */
static int
cql_unhex(const char *s, uint8_t **out, size_t *outlen)
{
	size_t		 n, i;
	uint8_t		*b;
	int		 hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n % 2 != 0 || n == 0)
		return (-1);
	b = xmalloc(n / 2);
	for (i = 0; i < n / 2; i++) {
		hi = isdigit((unsigned char)s[2 * i]) ? s[2 * i] - '0' :
		    (tolower((unsigned char)s[2 * i]) >= 'a' &&
		    tolower((unsigned char)s[2 * i]) <= 'f') ?
		    tolower((unsigned char)s[2 * i]) - 'a' + 10 : -1;
		lo = isdigit((unsigned char)s[2 * i + 1]) ? s[2 * i + 1] - '0' :
		    (tolower((unsigned char)s[2 * i + 1]) >= 'a' &&
		    tolower((unsigned char)s[2 * i + 1]) <= 'f') ?
		    tolower((unsigned char)s[2 * i + 1]) - 'a' + 10 : -1;
		if (hi < 0 || lo < 0) {
			free(b);
			return (-1);
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = b;
	*outlen = n / 2;
	return (0);
}

/* The members cqlop_opts reads. */
#define CQLOP_OPT_KEYS	(1U << JPK_CONSISTENCY | \
	1U << JPK_SERIAL_CONSISTENCY | 1U << JPK_PAGE_SIZE | \
	1U << JPK_PAGING_STATE | 1U << JPK_TIMESTAMP | 1U << JPK_TIMEOUT_MS | \
	1U << JPK_IDEMPOTENT | 1U << JPK_TRACE | 1U << JPK_KEYSPACE)

/*
 * Request options (docs/protocol.md, "Statement options"), over the
 * defaults of the running configuration (so SIGHUP changes them).
 */
static int
cqlop_opts(struct cqlop *op, int batch)
{
	struct creq		*r = op->r;
	const struct config	*cfg = srv->cfg;
	struct request_opts	*o = &op->opts;
	const char		*s;
	int64_t			 i;
	int			 b, rc;
	uint16_t		 cl;

	o->consistency = (uint16_t)cfg->default_consistency;
	o->serial_consistency = cfg->default_serial_consistency ==
	    CONFIG_CONSISTENCY_UNSET ? 0 :
	    (uint16_t)cfg->default_serial_consistency;
	o->page_size = cfg->default_page_size;
	o->timeout_ms = (int)cfg->request_timeout_ms;
	o->retry_policy = cfg->retry == CONFIG_RETRY_DOWNGRADING ?
	    RETRY_POLICY_DOWNGRADING : cfg->retry == CONFIG_RETRY_FALLTHROUGH ?
	    RETRY_POLICY_FALLTHROUGH : RETRY_POLICY_DEFAULT;
	o->no_speculative = cfg->speculative_execution ==
	    CONFIG_SPECULATIVE_NONE;

	/* Most requests give no option: the defaults are the answer. */
	if ((r->keyset & CQLOP_OPT_KEYS) == 0) {
		o->idempotent = 0;
		o->tracing = 0;
		if (r->keyspace != NULL)
			op->keyspace = xstrdup(r->keyspace);
		o->keyspace = op->keyspace;
		return (0);
	}
	if ((rc = jp_string(r, JPK_CONSISTENCY, &s)) < 0)
		return (-1);
	if (rc > 0) {
		if (consistency_parse(s, &cl) != 0) {
			creq_error(r, "bad_request", json_pack("{s:s}",
			    "field", "consistency"), "unknown consistency "
			    "\"%.32s\"", s);
			return (-1);
		}
		o->consistency = cl;
	}
	if ((rc = jp_string(r, JPK_SERIAL_CONSISTENCY, &s)) < 0)
		return (-1);
	if (rc > 0) {
		if (consistency_parse(s, &cl) != 0 || (cl != CL_SERIAL &&
		    cl != CL_LOCAL_SERIAL)) {
			creq_error(r, "bad_request", json_pack("{s:s}",
			    "field", "serial_consistency"), "serial_consistency "
			    "must be SERIAL or LOCAL_SERIAL");
			return (-1);
		}
		o->serial_consistency = cl;
	}
	if (!batch) {
		if ((rc = jp_int(r, JPK_PAGE_SIZE, INT32_MIN, INT32_MAX,
		    &i)) < 0)
			return (-1);
		if (rc > 0)
			o->page_size = i > 0 ? (int32_t)i : -1;
		if ((rc = jp_string(r, JPK_PAGING_STATE, &s)) < 0)
			return (-1);
		if (rc > 0 && *s != '\0') {
			if (cql_unhex(s, &op->paging,
			    &o->paging_state.n) != 0) {
				creq_error(r, "bad_request", json_pack("{s:s}",
				    "field", "paging_state"), "paging_state "
				    "must be the string an answer gave");
				return (-1);
			}
			o->paging_state.p = op->paging;
		}
	}
	if ((rc = jp_int(r, JPK_TIMESTAMP, INT64_MIN, INT64_MAX, &i)) < 0)
		return (-1);
	if (rc > 0) {
		o->has_timestamp = 1;
		o->timestamp = i;
	}
	if ((rc = jp_int(r, JPK_TIMEOUT_MS, 0, 86400000, &i)) < 0)
		return (-1);
	if (rc > 0 && i > 0)
		o->timeout_ms = (int)i;
	b = 0;
	if (jp_bool(r, JPK_IDEMPOTENT, &b) < 0)
		return (-1);
	o->idempotent = b;
	b = 0;
	if (jp_bool(r, JPK_TRACE, &b) < 0)
		return (-1);
	o->tracing = b;
	if ((rc = jp_string(r, JPK_KEYSPACE, &s)) < 0)
		return (-1);
	if (rc > 0)
		op->keyspace = *s != '\0' ? xstrdup(s) : NULL;
	else if (r->keyspace != NULL)
		op->keyspace = xstrdup(r->keyspace);
	o->keyspace = op->keyspace;
	return (0);
}

/* The values of j, or of the request (j NULL): none, an array or object. */
static int
cqlop_values_field(struct creq *r, json_t *j, json_t **out, ssize_t idx)
{
	json_t	*v = j != NULL ? json_object_get(j, "values") :
	    jp_get(r, JPK_VALUES);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_array(v) && !json_is_object(v)) {
		creq_error(r, "bad_request", idx < 0 ? json_pack("{s:s}",
		    "field", "values") : json_pack("{s:s,s:I}", "field",
		    "values", "statement_index", (json_int_t)idx),
		    "values must be an array or an object");
		return (-1);
	}
	*out = v;
	return (0);
}

/* Error fields, with the batch position when there is one. */
static json_t *
cqlop_extra(ssize_t idx)
{
	json_t	*o = json_object();

	if (idx >= 0)
		json_object_set_new(o, "statement_index",
		    json_integer((json_int_t)idx));
	return (o);
}

/* The values of the request: a table of scalars, or as above. */
static int
cqlop_values(struct cqlop *op)
{
	const struct jsonval_scalar	*tab;
	size_t				 n;

	if (jp_values(op->r, &tab, &n)) {
		op->vtab = tab;
		op->nvtab = n;
		return (0);
	}
	return (cqlop_values_field(op->r, NULL, &op->values, -1));
}

/* Convert one JSON value (v, or s) as bind variable i; -1 answered. */
static int
cqlop_bind_one(struct creq *r, struct cqlvals *cv, size_t i,
    const struct result_column *col, json_t *v,
    const struct jsonval_scalar *sv, const char *name,
    const struct jsonval_opts *jo, ssize_t idx)
{
	char	 err[256], *type;
	json_t	*x;
	size_t	 start = cv->w.len;
	int	 is_null = 0, rc;

	if (sv != NULL)
		rc = jsonval_scalar_to_cql(col->type, sv, jo, &cv->w,
		    &is_null, err, sizeof err);
	else
		rc = jsonval_to_cql(col->type, v, jo, &cv->w, &is_null, err,
		    sizeof err);
	if (rc != 0 || !wbuf_ok(&cv->w)) {
		x = cqlop_extra(idx);
		if (name != NULL)
			json_object_set_new(x, "name", json_string(name));
		else
			json_object_set_new(x, "index",
			    json_integer((json_int_t)i));
		type = cqltype_format(col->type);
		json_object_set_new(x, "type", json_string(type));
		free(type);
		creq_error(r, "bad_value", x, "%s", wbuf_ok(&cv->w) ? err :
		    "value too large");
		return (-1);
	}
	if (is_null)
		cv->v[i] = bytesval_null();
	else {
		cv->v[i].state = BYTES_VALUE;
		cv->off[i] = start;
		cv->v[i].v.n = cv->w.len - start;
	}
	return (0);
}

/*
 * Serialize the JSON values (a tree, or a table of tab n scalars) as the
 * prepared statement's bind variables say; -1 when answered with an error.
 */
static int
cqlop_bind(struct creq *r, const struct prepared *p, json_t *values,
    const struct jsonval_scalar *tab, size_t ntab, struct cqlvals *cv,
    const struct jsonval_opts *jo, ssize_t idx)
{
	const struct result_columns	*bind = &p->bind;
	const char			*k;
	json_t				*v, *x;
	size_t				 i, j, given;

	cqlvals_init(cv, bind->n);

	if (tab != NULL || values == NULL || json_is_array(values)) {
		given = tab != NULL ? ntab : values != NULL ?
		    json_array_size(values) : 0;
		if (given > bind->n) {
			x = cqlop_extra(idx);
			json_object_set_new(x, "expected",
			    json_integer((json_int_t)bind->n));
			json_object_set_new(x, "given",
			    json_integer((json_int_t)given));
			creq_error(r, "too_many_values", x, "%zu value%s for "
			    "%zu marker%s", given, given == 1 ? "" : "s",
			    bind->n, bind->n == 1 ? "" : "s");
			return (-1);
		}
		if (given < bind->n) {
			x = cqlop_extra(idx);
			json_object_set_new(x, "expected",
			    json_integer((json_int_t)bind->n));
			json_object_set_new(x, "given",
			    json_integer((json_int_t)given));
			creq_error(r, "missing_values", x, "%zu value%s for "
			    "%zu marker%s", given, given == 1 ? "" : "s",
			    bind->n, bind->n == 1 ? "" : "s");
			return (-1);
		}
		for (i = 0; i < bind->n; i++) {
			if (cqlop_bind_one(r, cv, i, &bind->cols[i],
			    tab != NULL ? NULL : json_array_get(values, i),
			    tab != NULL ? &tab[i] : NULL, NULL, jo, idx) != 0)
				return (-1);
		}
	} else {
		json_object_foreach(values, k, v) {
			for (j = 0; j < bind->n; j++) {
				if (strcmp(bind->cols[j].name, k) == 0)
					break;
			}
			if (j == bind->n) {
				x = cqlop_extra(idx);
				json_object_set_new(x, "name", json_string(k));
				creq_error(r, "too_many_values", x, "no marker "
				    "named \"%.64s\"", k);
				return (-1);
			}
		}
		for (i = 0; i < bind->n; i++) {
			v = json_object_get(values, bind->cols[i].name);
			if (v == NULL) {
				x = cqlop_extra(idx);
				json_object_set_new(x, "name",
				    json_string(bind->cols[i].name));
				creq_error(r, "missing_values", x, "no value "
				    "for marker \"%.64s\"", bind->cols[i].name);
				return (-1);
			}
			if (cqlop_bind_one(r, cv, i, &bind->cols[i], v, NULL,
			    bind->cols[i].name, jo, idx) != 0)
				return (-1);
		}
	}
	/* The buffer has stopped moving: point the values into it. */
	for (i = 0; i < cv->n; i++) {
		if (cv->v[i].state == BYTES_VALUE)
			cv->v[i].v.p = cv->v[i].v.n > 0 ? cv->w.p + cv->off[i] :
			    cql_empty;
	}
	return (0);
}

/* A scalar type (not frozen): its name is its kind's. */
static int
cqlop_type_plain(const struct cqltype *t)
{
	switch (t->kind) {
	case CQLTYPE_CUSTOM:
	case CQLTYPE_UDT:
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_VECTOR:
		return (0);
	default:
		return (!t->frozen);
	}
}

static void
cqlop_columns_write(struct ans *a, const struct result_columns *cols)
{
	const struct cqltype	*t;
	char			*type;
	size_t			 i;

	ans_lit(a, "[");
	for (i = 0; i < cols->n; i++) {
		if (i > 0)
			ans_comma(a);
		ans_lit(a, "{");
		jsonval_write_string(&a->w, "name", 4);
		ans_colon(a);
		ans_string(a, cols->cols[i].name);
		ans_key_lit(a, "type");
		t = cols->cols[i].type;
		if (cqlop_type_plain(t))
			ans_string(a, cqltype_kind_name(t->kind));
		else {
			type = cqltype_format(t);
			ans_string(a, type);
			free(type);
		}
		ans_lit(a, "}");
	}
	ans_lit(a, "]");
}

/*
 * The columns member is the same for every run of a statement: the last
 * few are kept as text, keyed by all that makes the text (the separators,
 * each column's name and scalar type).  The core shares one column set
 * (which never changes) between the results of a connection: a small
 * table, indexed by the set's address and holding a reference to it,
 * tells its slot without comparing names.
 */
#define COLCACHE_SLOTS	8
#define COLCACHE_COLS	16
#define COLCACHE_NAMES	256
#define COLCACHE_TEXT	1024

struct colcache {
	int		 used;
	int		 compact;
	size_t		 n;
	int		 kinds[COLCACHE_COLS];
	size_t		 nameslen;
	char		 names[COLCACHE_NAMES];	/* each NUL-terminated */
	size_t		 textlen;
	char		 text[COLCACHE_TEXT];
};
static struct colcache	colcache[COLCACHE_SLOTS];
static unsigned int	colcache_next;

#define COLCACHE_SETS_BITS	5
struct colcache_set {
	struct colset		*cs;	/* referenced; NULL: empty */
	struct colcache		*k;	/* its text, as k->compact says */
};
static struct colcache_set	colcache_sets[1 << COLCACHE_SETS_BITS];

/* Where a set's entry goes (one per set and compact setting). */
static struct colcache_set *
colcache_set_of(const struct colset *cs, int compact)
{
	uint64_t	h;

	h = (uint64_t)(uintptr_t)cs * UINT64_C(0x9e3779b97f4a7c15);
	return (&colcache_sets[(h >> (64 - COLCACHE_SETS_BITS)) ^
	    (compact != 0)]);
}

/* Does slot k hold these columns? */
static int
colcache_match(const struct colcache *k, int compact,
    const struct result_columns *cols)
{
	const char	*nm = k->names;
	size_t		 i, len;

	if (!k->used || k->compact != compact || k->n != cols->n)
		return (0);
	for (i = 0; i < cols->n; i++) {
		if (k->kinds[i] != (int)cols->cols[i].type->kind ||
		    !cqlop_type_plain(cols->cols[i].type))
			return (0);
		len = strlen(cols->cols[i].name) + 1;
		if ((size_t)(nm - k->names) + len > k->nameslen ||
		    memcmp(nm, cols->cols[i].name, len) != 0)
			return (0);
		nm += len;
	}
	return (1);
}

/* Remember that set cs has the text of slot k (dropping what was there). */
static void
colcache_set_put(struct colset *cs, struct colcache *k)
{
	struct colcache_set	*e = colcache_set_of(cs, k->compact);

	if (e->cs == cs && e->k == k)
		return;
	if (e->cs != NULL)
		colset_unref(e->cs);
	e->cs = colset_ref(cs);
	e->k = k;
}

/* Forget every set pointing at slot k (or at any slot, if NULL). */
static void
colcache_set_drop(const struct colcache *k)
{
	size_t	i;

	for (i = 0; i < nitems(colcache_sets); i++) {
		if (colcache_sets[i].cs != NULL &&
		    (k == NULL || colcache_sets[i].k == k)) {
			colset_unref(colcache_sets[i].cs);
			colcache_sets[i].cs = NULL;
			colcache_sets[i].k = NULL;
		}
	}
}

/* Exiting: let the held column sets go. */
static void
colcache_clear(void)
{
	colcache_set_drop(NULL);
}

static struct colcache *
colcache_put(int compact, const struct result_columns *cols,
    const uint8_t *text, size_t textlen)
{
	struct colcache	*k = &colcache[colcache_next];
	size_t		 i, len, off = 0;

	if (cols->n > COLCACHE_COLS || textlen > COLCACHE_TEXT)
		return (NULL);
	for (i = 0; i < cols->n; i++) {
		if (!cqlop_type_plain(cols->cols[i].type))
			return (NULL);
		len = strlen(cols->cols[i].name) + 1;
		if (off + len > COLCACHE_NAMES)
			return (NULL);
		off += len;
	}
	colcache_next = (colcache_next + 1) % COLCACHE_SLOTS;
	colcache_set_drop(k);
	off = 0;
	for (i = 0; i < cols->n; i++) {
		k->kinds[i] = (int)cols->cols[i].type->kind;
		len = strlen(cols->cols[i].name) + 1;
		memcpy(k->names + off, cols->cols[i].name, len);
		off += len;
	}
	k->nameslen = off;
	k->n = cols->n;
	k->compact = compact;
	memcpy(k->text, text, textlen);
	k->textlen = textlen;
	k->used = 1;
	return (k);
}

/* The columns member; cs is the core's set they belong to, or NULL. */
static void
cqlop_columns(struct ans *a, const struct result_columns *cols,
    struct colset *cs)
{
	struct colcache_set		*e;
	struct colcache			*k;
	size_t				 i, start;

	if (cs != NULL) {
		e = colcache_set_of(cs, a->compact);
		if (e->cs == cs && e->k->compact == a->compact) {
			ans_rawn(a, e->k->text, e->k->textlen);
			return;
		}
	}
	for (i = 0; i < COLCACHE_SLOTS; i++) {
		k = &colcache[i];
		if (colcache_match(k, a->compact, cols)) {
			if (cs != NULL)
				colcache_set_put(cs, k);
			ans_rawn(a, k->text, k->textlen);
			return;
		}
	}
	start = a->w.len;
	cqlop_columns_write(a, cols);
	if (a->w.err == NULL && (k = colcache_put(a->compact, cols,
	    a->w.p + start, a->w.len - start)) != NULL && cs != NULL)
		colcache_set_put(cs, k);
}

/* Rows as arrays in column order, each value exact (jsonval.h). */
static int
cqlop_rows(struct ans *a, const struct result *res,
    const struct jsonval_opts *jo, char *err, size_t errlen)
{
	const struct bytesval	*cell;
	const uint8_t		*p;
	int32_t			 i;
	size_t			 j;

	ans_key_lit(a, "columns");
	cqlop_columns(a, &res->columns, res->colset);
	if (a->compact)
		ans_lit(a, ",\"rows\":[");
	else
		ans_lit(a, ", \"rows\": [");
	for (i = 0; i < res->rows_count; i++) {
		if (i > 0)
			ans_comma(a);
		ans_lit(a, "[");
		for (j = 0; j < res->columns.n; j++) {
			if (j > 0)
				ans_comma(a);
			cell = result_cell(res, i, j);
			p = NULL;
			if (cell != NULL && cell->state == BYTES_VALUE)
				p = cell->v.p != NULL ? cell->v.p : cql_empty;
			if (jsonval_write_cql(res->columns.cols[j].type, p,
			    p != NULL ? cell->v.n : 0, jo, &a->w, err,
			    errlen) != 0) {
				/* Full: creq_reply says it is too large. */
				if (a->w.err != NULL)
					return (0);
				return (-1);
			}
		}
		ans_lit(a, "]");
		if (a->w.err != NULL)
			return (0);	/* creq_reply says it is too large */
	}
	ans_lit(a, "]");
	return (0);
}

/* The answer to a statement that ran. */
static void
cqlop_answer(struct cqlop *op, struct result *res)
{
	struct creq	*r = op->r;
	struct ans	 a;
	char		 err[256];
	size_t		 i;

	if (res->error != CORE_OK) {
		creq_error_result(r, res, NULL);
		return;
	}
	ans_begin(&a, r, 1);
	switch (res->kind) {
	case RES_ROWS:
		if (cqlop_rows(&a, res, &op->jo, err, sizeof err) != 0) {
			ans_free(&a);
			creq_error(r, "protocol_error", json_pack("{s:b}",
			    "local", 1), "a value from %s does not decode: %s",
			    res->host_name, err);
			return;
		}
		if (res->has_more_pages && res->paging_state != NULL) {
			ans_key_lit(&a, "paging_state");
			ans_hex(&a, res->paging_state, res->paging_state_len,
			    0);
		}
		break;
	case RES_SCHEMA_CHANGE:
		ans_key_lit(&a, "schema_change");
		ans_raw(&a, "{");
		jsonval_write_string(&a.w, "change", 6);
		ans_raw(&a, a.compact ? ":" : ": ");
		ans_string(&a, res->schema.change);
		ans_key_lit(&a, "target");
		ans_string(&a, res->schema.target);
		ans_key_lit(&a, "keyspace");
		ans_string(&a, res->schema.keyspace);
		if (res->schema.name != NULL && *res->schema.name != '\0') {
			ans_key_lit(&a, "name");
			ans_string(&a, res->schema.name);
		}
		if (res->schema.nargs > 0) {
			ans_key_lit(&a, "args");
			ans_raw(&a, "[");
			for (i = 0; i < res->schema.nargs; i++) {
				if (i > 0)
					ans_raw(&a, a.compact ? "," : ", ");
				ans_string(&a, res->schema.args[i]);
			}
			ans_raw(&a, "]");
		}
		ans_raw(&a, "}");
		ans_key_lit(&a, "schema_agreement");
		ans_bool(&a, res->schema.agreement);
		break;
	case RES_SET_KEYSPACE:
		ans_key_lit(&a, "keyspace");
		ans_string(&a, res->keyspace);
		break;
	default:
		break;
	}
	if (res->has_tracing_id) {
		ans_key_lit(&a, "tracing_id");
		ans_uuid(&a, res->tracing_id);
	}
	if (res->nwarnings > 0) {
		ans_key_lit(&a, "warnings");
		ans_raw(&a, "[");
		for (i = 0; i < res->nwarnings; i++) {
			if (i > 0)
				ans_raw(&a, a.compact ? "," : ", ");
			ans_string(&a, res->warnings[i]);
		}
		ans_raw(&a, "]");
	}
	creq_reply(r, &a, "ok");
}

static void
cqlop_done(struct result *res, void *arg)
{
	struct cqlop	*op = arg;

	op->req = NULL;
	op->r->end_us = res->done_us;
	cqlop_answer(op, res);
	result_free(res);
	cqlop_free(op);
}

/*
 * The statement goes out in the turn the request started, nothing waited
 * for: the core counts from the service's clock reading, not one more.
 */
static void
cqlop_start_now(struct cqlop *op)
{
	op->opts.start_us = op->r->start_us;
}

/* Bind and execute an entry (the query and execute ops). */
static void
cqlop_run_prepared(struct cqlop *op, struct prepared *p)
{
	struct cqlvals		 cv;
	struct stmt_values	 sv;

	/* cqlop_bind sets cv up (cqlvals_init) before anything can fail. */
	if (cqlop_bind(op->r, p, op->values, op->vtab, op->nvtab, &cv,
	    &op->jo, -1) != 0) {
		cqlvals_clear(&cv);
		cqlop_free(op);
		return;
	}
	memset(&sv, 0, sizeof sv);
	sv.n = cv.n;
	sv.values = cv.v;
	op->req = prepared_execute(srv->prepared, p, &sv, &op->opts,
	    cqlop_done, op);
	cqlvals_clear(&cv);
}

static void
cqlop_prepared_cb(struct prepared_cache *pc, struct prepared *p,
    const struct result *err, void *arg)
{
	struct cqlop	*op = arg;

	op->wait = NULL;
	if (p == NULL) {
		creq_error_result(op->r, err, NULL);
		cqlop_free(op);
		return;
	}
	cqlop_run_prepared(op, p);
}

static void
cqlop_use_options(struct client *c, int numstr, int compact)
{
	if (numstr != -1)
		c->numstr = numstr;
	if (compact != -1)
		c->compact = compact;
}

/* The connection's keyspace changes (USE in cql, or the use op). */
static void
cqlop_use_done(struct result *res, void *arg)
{
	struct cqlop	*op = arg;
	struct creq	*r = op->r;
	struct client	*c = r->client;
	struct ans	 a;

	op->req = NULL;
	if (res->error != CORE_OK) {
		creq_error_result(r, res, NULL);
	} else if (res->kind != RES_ROWS || res->rows_count == 0) {
		creq_error(r, "invalid", json_pack("{s:s}", "keyspace",
		    op->use_ks), "Keyspace '%s' does not exist", op->use_ks);
	} else {
		if (c != NULL) {
			free(c->keyspace);
			c->keyspace = xstrdup(op->use_ks);
			if (op->kind == CQLOP_USE)
				cqlop_use_options(c, op->use_numstr,
				    op->use_compact);
		}
		ans_begin(&a, r, 1);
		ans_key_lit(&a, "keyspace");
		ans_string(&a, op->use_ks);
		if (c != NULL && op->kind == CQLOP_USE) {
			ans_key_lit(&a, "numbers_as_strings");
			ans_bool(&a, c->numstr);
			ans_key_lit(&a, "compact");
			ans_bool(&a, c->compact);
		}
		creq_reply(r, &a, "ok");
	}
	result_free(res);
	cqlop_free(op);
}

/* Check that the keyspace exists (USE would), then switch to it. */
static void
cqlop_use_keyspace(struct cqlop *op, const char *ks)
{
	struct stmt	 s;
	struct wbuf	 w;
	const char	*p;

	op->use_ks = xstrdup(ks);
	wbuf_init(&w, 4096);
	wbuf_raw(&w, CQLOP_USE_QUERY, strlen(CQLOP_USE_QUERY));
	for (p = ks; *p != '\0'; p++) {
		if (*p == '\'')
			wbuf_u8(&w, '\'');
		wbuf_u8(&w, (uint8_t)*p);
	}
	wbuf_raw(&w, "'", 1);
	if (!wbuf_ok(&w)) {
		wbuf_free(&w);
		creq_error(op->r, "bad_request", json_pack("{s:s}", "field",
		    "keyspace"), "keyspace name too long");
		cqlop_free(op);
		return;
	}
	stmt_init(&s, STMT_QUERY);
	s.query.p = w.p;
	s.query.n = w.len;
	request_opts_default(&op->opts);
	op->opts.consistency = CL_ONE;
	op->opts.idempotent = 1;
	op->opts.timeout_ms = (int)srv->cfg->request_timeout_ms;
	op->req = cluster_execute(srv->cluster, &s, &op->opts,
	    cqlop_use_done, op);
	wbuf_free(&w);
}

void
op_use(struct creq *r)
{
	struct cqlop	*op;
	struct client	*c = r->client;
	struct ans	 a;
	json_t		*ks;
	int		 numstr, compact;

	ks = jp_get(r, JPK_KEYSPACE);
	if (ks != NULL && !json_is_null(ks) && !json_is_string(ks)) {
		creq_error(r, "bad_request", json_pack("{s:s}", "field",
		    "keyspace"), "keyspace must be a string or null");
		return;
	}
	/* Options apply to every request after this one (if it works). */
	numstr = compact = -1;
	if (jp_bool(r, JPK_NUMBERS_AS_STRINGS, &numstr) < 0 ||
	    jp_bool(r, JPK_COMPACT, &compact) < 0)
		return;

	if (ks != NULL && json_is_string(ks) && *json_string_value(ks) !=
	    '\0') {
		op = cqlop_new(r, CQLOP_USE);
		op->use_numstr = numstr;
		op->use_compact = compact;
		cqlop_use_keyspace(op, json_string_value(ks));
		return;
	}
	cqlop_use_options(c, numstr, compact);
	if (ks != NULL) {
		free(c->keyspace);
		c->keyspace = NULL;
	}
	ans_begin(&a, r, 1);
	ans_key_lit(&a, "keyspace");
	ans_string(&a, c->keyspace);
	ans_key_lit(&a, "numbers_as_strings");
	ans_bool(&a, c->numstr);
	ans_key_lit(&a, "compact");
	ans_bool(&a, c->compact);
	creq_reply(r, &a, "ok");
}

/* The cql field, required, and its length (strlen) if len is not NULL. */
static const char *
cqlop_cql(struct creq *r, size_t *len)
{
	const char	*cql = NULL;
	size_t		 n = 0;
	int		 rc;

	if ((rc = jp_string_len(r, JPK_CQL, &cql, &n)) < 0)
		return (NULL);
	if (rc == 0 || *cql == '\0') {
		creq_error(r, "bad_request", json_pack("{s:s}", "field",
		    "cql"), "cql (a string) is required");
		return (NULL);
	}
	if (len != NULL)
		*len = n;
	return (cql);
}

static int
cqlop_check_readonly(struct creq *r, const char *cql)
{
	if (!r->readonly || cql_is_select(cql))
		return (0);
	creq_error(r, "read_only", NULL, "this socket only allows SELECT");
	return (-1);
}

void
op_query(struct creq *r)
{
	struct cqlop	*op;
	struct prepared	*p;
	struct stmt	 s;
	const char	*cql;
	char		 ks[256];
	size_t		 cqllen;
	int		 rc;

	if ((cql = cqlop_cql(r, &cqllen)) == NULL)
		return;
	if (!r->cql_not_use &&
	    (rc = cql_parse_use(cql, ks, sizeof ks)) != 0) {
		if (rc < 0) {
			creq_error(r, "syntax_error", NULL, "cannot read the "
			    "keyspace name of this USE statement");
			return;
		}
		op = cqlop_new(r, CQLOP_QUERY);
		cqlop_use_keyspace(op, ks);
		return;
	}
	if (cqlop_check_readonly(r, cql) != 0)
		return;
	op = cqlop_new(r, CQLOP_QUERY);
	op->cql = cql;
	if (cqlop_opts(op, 0) != 0 || cqlop_values(op) != 0) {
		cqlop_free(op);
		return;
	}
	/*
	 * A values field, even an empty one, means bound values: prepare,
	 * so missing ones are counted against the statement's markers.
	 */
	if (op->values == NULL && op->vtab == NULL && op->keyspace == NULL) {
		stmt_init(&s, STMT_QUERY);
		s.query = slice_cstr(cql);
		cqlop_start_now(op);
		op->req = cluster_execute(srv->cluster, &s, &op->opts,
		    cqlop_done, op);
		return;
	}
	/* A cached statement runs now: no wait record, no deferred turn. */
	if ((p = prepared_lookup_n(srv->prepared, op->keyspace, cql,
	    cqllen)) != NULL) {
		cqlop_start_now(op);
		cqlop_run_prepared(op, p);
		prepared_unref(p);
		return;
	}
	op->wait = prepared_get(srv->prepared, op->keyspace, cql,
	    cqlop_prepared_cb, op);
}

static void
cqlop_prepare_cb(struct prepared_cache *pc, struct prepared *p,
    const struct result *err, void *arg)
{
	struct cqlop	*op = arg;
	struct ans	 a;

	op->wait = NULL;
	if (p == NULL)
		creq_error_result(op->r, err, NULL);
	else {
		ans_begin(&a, op->r, 1);
		ans_key_lit(&a, "statement");
		ans_hex(&a, p->id, p->idlen, 0);
		ans_key_lit(&a, "params");
		cqlop_columns(&a, &p->bind, NULL);
		ans_key_lit(&a, "columns");
		cqlop_columns(&a, &p->columns, NULL);
		creq_reply(op->r, &a, "ok");
	}
	cqlop_free(op);
}

void
op_prepare(struct creq *r)
{
	struct cqlop	*op;
	const char	*cql, *s;
	int		 rc;

	if ((cql = cqlop_cql(r, NULL)) == NULL)
		return;
	if (cqlop_check_readonly(r, cql) != 0)
		return;
	op = cqlop_new(r, CQLOP_PREPARE);
	if ((rc = jp_string(r, JPK_KEYSPACE, &s)) < 0) {
		cqlop_free(op);
		return;
	}
	if (rc > 0)
		op->keyspace = *s != '\0' ? xstrdup(s) : NULL;
	else if (r->keyspace != NULL)
		op->keyspace = xstrdup(r->keyspace);
	op->wait = prepared_get(srv->prepared, op->keyspace, cql,
	    cqlop_prepare_cb, op);
}

/*
 * A handle from the statement field of j (a batch entry), or of the
 * request (j NULL); NULL answered.
 */
static struct prepared *
cqlop_find(struct creq *r, json_t *j, ssize_t idx)
{
	struct prepared	*p;
	json_t		*v, *x;
	uint8_t		*id;
	size_t		 idlen;

	v = j != NULL ? json_object_get(j, "statement") :
	    jp_get(r, JPK_STATEMENT);
	if (!json_is_string(v)) {
		x = cqlop_extra(idx);
		json_object_set_new(x, "field", json_string("statement"));
		creq_error(r, "bad_request", x, "statement (a handle from "
		    "prepare) is required");
		return (NULL);
	}
	if (cql_unhex(json_string_value(v), &id, &idlen) != 0)
		p = NULL;
	else {
		p = prepared_find_by_id(srv->prepared, id, idlen);
		free(id);
	}
	if (p == NULL) {
		x = cqlop_extra(idx);
		json_object_set_new(x, "statement", json_incref(v));
		creq_error(r, "unknown_statement", x, "no prepared statement "
		    "%.64s (prepare it again)", json_string_value(v));
		return (NULL);
	}
	return (p);
}

void
op_execute(struct creq *r)
{
	struct cqlop	*op;
	struct prepared	*p;
	char		*saved;

	if ((p = cqlop_find(r, NULL, -1)) == NULL)
		return;
	if (cqlop_check_readonly(r, p->query) != 0)
		return;
	op = cqlop_new(r, CQLOP_EXECUTE);
	/* A statement keeps the keyspace it was prepared under. */
	saved = r->keyspace;
	r->keyspace = NULL;
	if (cqlop_opts(op, 0) != 0 || cqlop_values(op) != 0) {
		r->keyspace = saved;
		cqlop_free(op);
		return;
	}
	r->keyspace = saved;
	free(op->keyspace);
	op->keyspace = p->keyspace != NULL ? xstrdup(p->keyspace) : NULL;
	op->opts.keyspace = op->keyspace;
	cqlop_start_now(op);
	cqlop_run_prepared(op, p);
}

/*
 * Batches: every entry's statement is known (prepared ones after their
 * prepare), then one BATCH goes out.
 */
static void
cqlop_batch_send(struct cqlop *op)
{
	struct stmt_batch_entry	*be;
	struct stmt		 s;
	struct cqlbent		*e;
	size_t			 i;

	be = xcalloc(op->nents, sizeof *be);
	for (i = 0; i < op->nents; i++) {
		e = &op->ents[i];
		if (e->p != NULL) {
			if (cqlop_bind(op->r, e->p, json_object_get(e->json,
			    "values"), NULL, 0, &e->vals, &op->jo,
			    (ssize_t)i) != 0) {
				free(be);
				cqlop_free(op);
				return;
			}
			be[i].kind = BATCH_KIND_PREPARED;
			be[i].id.p = e->p->id;
			be[i].id.n = e->p->idlen;
			be[i].query = slice_cstr(e->p->query);
			be[i].values.n = e->vals.n;
			be[i].values.values = e->vals.v;
		} else {
			be[i].kind = BATCH_KIND_QUERY;
			be[i].query = slice_cstr(e->cql);
		}
	}
	stmt_init(&s, STMT_BATCH);
	s.batch_type = op->batch_type;
	s.entries = be;
	s.nentries = op->nents;
	op->req = cluster_execute(srv->cluster, &s, &op->opts, cqlop_done, op);
	free(be);
}

static void
cqlop_batch_prepared_cb(struct prepared_cache *pc, struct prepared *p,
    const struct result *err, void *arg)
{
	struct cqlbent	*e = arg;
	struct cqlop	*op = e->op;

	e->wait = NULL;
	op->npending--;
	if (p == NULL) {
		creq_error_result(op->r, err, cqlop_extra((ssize_t)e->index));
		cqlop_free(op);		/* cancels the other waits */
		return;
	}
	e->p = prepared_ref(p);
	if (op->npending == 0)
		cqlop_batch_send(op);
}

void
op_batch(struct creq *r)
{
	struct cqlop	*op;
	struct cqlbent	*e;
	json_t		*list, *j, *v, *x;
	const char	*type = "logged";
	size_t		 i, n;
	int		 rc;

	if (r->readonly) {
		creq_error(r, "read_only", NULL,
		    "this socket only allows SELECT");
		return;
	}
	list = jp_get(r, JPK_STATEMENTS);
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > MSG_MAX_STATEMENTS) {
		creq_error(r, "bad_request", json_pack("{s:s}", "field",
		    "statements"), "statements must be an array of 1 to %d "
		    "statements", MSG_MAX_STATEMENTS);
		return;
	}
	if ((rc = jp_string(r, JPK_TYPE, &type)) < 0)
		return;
	op = cqlop_new(r, CQLOP_BATCH);
	if (strcasecmp(type, "logged") == 0)
		op->batch_type = BATCH_LOGGED;
	else if (strcasecmp(type, "unlogged") == 0)
		op->batch_type = BATCH_UNLOGGED;
	else if (strcasecmp(type, "counter") == 0)
		op->batch_type = BATCH_COUNTER;
	else {
		creq_error(r, "bad_request", json_pack("{s:s}", "field",
		    "type"), "type must be logged, unlogged or counter");
		cqlop_free(op);
		return;
	}
	if (cqlop_opts(op, 1) != 0) {
		cqlop_free(op);
		return;
	}
	n = json_array_size(list);
	op->ents = xcalloc(n, sizeof *op->ents);
	op->nents = n;
	for (i = 0; i < n; i++) {
		e = &op->ents[i];
		e->op = op;
		e->index = i;
		e->json = j = json_array_get(list, i);
		if (!json_is_object(j)) {
			x = cqlop_extra((ssize_t)i);
			json_object_set_new(x, "field",
			    json_string("statements"));
			creq_error(r, "bad_request", x, "statement %zu is not "
			    "an object", i);
			cqlop_free(op);
			return;
		}
		if (cqlop_values_field(r, j, &v, (ssize_t)i) != 0) {
			cqlop_free(op);
			return;
		}
		if (json_object_get(j, "statement") != NULL) {
			if ((e->p = cqlop_find(r, j, (ssize_t)i)) == NULL) {
				cqlop_free(op);
				return;
			}
			e->p = prepared_ref(e->p);
			continue;
		}
		if (!json_is_string(json_object_get(j, "cql"))) {
			x = cqlop_extra((ssize_t)i);
			json_object_set_new(x, "field", json_string("cql"));
			creq_error(r, "bad_request", x, "statement %zu needs "
			    "cql or statement", i);
			cqlop_free(op);
			return;
		}
		e->cql = json_string_value(json_object_get(j, "cql"));
		/* As for query: values, even none, are counted by markers. */
		if (v != NULL || op->keyspace != NULL) {
			e->prepare = 1;
			op->npending++;
		}
	}
	if (op->npending == 0) {
		cqlop_start_now(op);
		cqlop_batch_send(op);
		return;
	}
	/* Callbacks come later, never from inside prepared_get. */
	for (i = 0; i < n; i++) {
		e = &op->ents[i];
		if (e->prepare)
			e->wait = prepared_get(srv->prepared, op->keyspace,
			    e->cql, cqlop_batch_prepared_cb, e);
	}
}
