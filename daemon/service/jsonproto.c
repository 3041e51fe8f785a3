/*
 * jsonproto.c: the JSON-lines protocol of docs/protocol.md: a line becomes
 * a request (parse errors are kept and answered in turn), a request is
 * dispatched to its operation, and answers are written straight into a
 * buffer as JSON text so that numbers keep every digit.  Every error code
 * the protocol promises is spelled here.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "result.h"
#include "config.h"
#include "jsonval.h"
#include "metrics.h"
#include "service.h"

/* Room beyond the output cap for one answer being built. */
#define ANS_SLACK	(64 * 1024)
/* An answer's first buffer; one up to ANS_KEEP is kept for the next. */
#define ANS_FIRST	1024
#define ANS_KEEP	(16 * 1024)

/*
 * Requests.  A line is read quickly (jsonval_quick_*: the members of the
 * object, strings decoded in place in a copy of the line, values and other
 * nested members as trees) when it is plain JSON; anything else goes to
 * jansson (jsonval_loads), whose error messages are the ones answered.
 * Either way the members end up in r->fields, which the field readers
 * below use.
 */

/* Freed requests kept for reuse (they are big enough to be worth it). */
#define CREQ_POOL_MAX	256
static struct freelist	creq_fl = FREELIST_INITIALIZER(CREQ_POOL_MAX, 0, NULL);

/*
 * When no request has been in flight for this long, the free lists of
 * every layer let their objects go (freelist_trim_all): a daemon that
 * went quiet keeps no memory for a load that is gone.
 */
#define JP_IDLE_TRIM_MS	1000
static struct event	jp_idle_ev;
static int		jp_idle_init;

static struct creq *
creq_new(void)
{
	struct creq	*r;

	if ((r = freelist_get(&creq_fl)) != NULL)
		memset(r, 0, offsetof(struct creq, fieldbuf));
	else
		r = xcalloc(1, sizeof *r);
	r->fields = r->fieldbuf;
	r->fieldcap = CREQ_FIELDS;
	return (r);
}

/* The names of enum jpkey. */
static const char *jp_key_names[JPK_N] = {
	"id", "op", "cql", "values", "compact", "numbers_as_strings",
	"consistency", "serial_consistency", "page_size", "paging_state",
	"timestamp", "timeout_ms", "idempotent", "trace", "keyspace",
	"statement", "statements", "type", "table", "tracing_id", "wait_ms"
};

const char *
jp_key_name(enum jpkey k)
{
	return ((unsigned int)k < JPK_N ? jp_key_names[k] : "?");
}

/*
 * Which member a name is.  Short names read from a line take the word
 * path below; this serves the rest (longer names, jansson's trees).
 */
static enum jpkey
jp_key_of(const char *s, size_t n)
{
	size_t	k;

	for (k = 0; k < JPK_N; k++) {
		if (strlen(jp_key_names[k]) == n &&
		    memcmp(jp_key_names[k], s, n) == 0)
			return ((enum jpkey)k);
	}
	return (JPK_OTHER);
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Names of up to eight bytes read from a line are told by one multiply
 * and one compare: each such name as a word (its bytes, then zeros)
 * hashes to its own slot of a small table.
 */
#define JP_WORD_MAX	8
#define JP_HASH_K	UINT64_C(0xaa2ca1af6a107b75)
#define JP_HASH_BITS	4
#define jp_hash(x)	((size_t)(((x) * JP_HASH_K) >> (64 - JP_HASH_BITS)))
static uint64_t	jp_key_words[JPK_N];
static uint8_t	jp_key_slots[1 << JP_HASH_BITS];
static int	jp_key_slots_init;

static void
jp_key_slots_make(void)
{
	size_t	k, n, h;

	memset(jp_key_slots, JPK_OTHER, sizeof jp_key_slots);
	for (k = 0; k < JPK_N; k++) {
		if ((n = strlen(jp_key_names[k])) > JP_WORD_MAX)
			continue;
		memcpy(&jp_key_words[k], jp_key_names[k], n);
		h = jp_hash(jp_key_words[k]);
		if (jp_key_slots[h] != JPK_OTHER)
			fatalx("%s: %s and %s share a slot", __func__,
			    jp_key_names[k], jp_key_names[jp_key_slots[h]]);
		jp_key_slots[h] = (uint8_t)k;
	}
	jp_key_slots_init = 1;
}
#endif

/*
 * Which member a name read from a line is; avail is how many bytes may
 * be read from s (at least n + 1), eight letting a short name be read
 * as one word.  The same answer as jp_key_of.
 */
static inline enum jpkey
jp_key_of_text(const char *s, size_t n, size_t avail)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t	x;
	unsigned int	k;

	if (n <= JP_WORD_MAX && n > 0 && avail >= 8) {
		if (!jp_key_slots_init)
			jp_key_slots_make();
		memcpy(&x, s, 8);
		if (n < 8)
			x &= (UINT64_C(1) << (8 * n)) - 1;
		k = jp_key_slots[jp_hash(x)];
		if (k != JPK_OTHER && jp_key_words[k] == x)
			return ((enum jpkey)k);
		return (JPK_OTHER);
	}
#endif
	return (jp_key_of(s, n));
}

/* Forget the members (a quick read that gave up, or the end). */
static void
creq_clear_fields(struct creq *r)
{
	unsigned int	i;

	for (i = 0; i < r->nfields; i++) {
		if (r->fields[i].owned)
			json_decref(r->fields[i].json);
	}
	r->nfields = 0;
	r->keyset = 0;
	r->nvals = 0;
	if (r->fields != r->fieldbuf) {
		free(r->fields);
		r->fields = r->fieldbuf;
		r->fieldcap = CREQ_FIELDS;
	}
	if (r->text != r->textbuf)
		free(r->text);
	r->text = NULL;
}

/* More room for members than the request holds (rare). */
static void
creq_grow_fields(struct creq *r)
{
	struct jpfield	*f;

	f = xreallocarray(NULL, r->fieldcap * 2, sizeof *f);
	memcpy(f, r->fields, r->nfields * sizeof *f);
	if (r->fields != r->fieldbuf)
		free(r->fields);
	r->fields = f;
	r->fieldcap *= 2;
}

/* A new member (the caller fills it in). */
static inline struct jpfield *
creq_add_field(struct creq *r, const char *key, enum jpkey which)
{
	struct jpfield	*f;

	if (r->nfields == r->fieldcap)
		creq_grow_fields(r);
	if (which != JPK_OTHER) {
		r->slot[which] = r->nfields;
		r->keyset |= 1U << which;
	}
	f = &r->fields[r->nfields++];
	memset(f, 0, sizeof *f);
	f->key = key;
	f->which = which;
	return (f);
}

/* A member the daemon reads, NULL if the request has none. */
static inline struct jpfield *
jp_field(struct creq *r, enum jpkey k)
{
	if ((r->keyset & (1U << k)) == 0)
		return (NULL);
	return (&r->fields[r->slot[k]]);
}

/* Any member by name: the one jp_get would give (the first read). */
static struct jpfield *
jp_find(struct creq *r, const char *key)
{
	enum jpkey	k;
	unsigned int	i;

	if ((k = jp_key_of(key, strlen(key))) != JPK_OTHER)
		return (jp_field(r, k));
	for (i = 0; i < r->nfields; i++) {
		if (r->fields[i].which == JPK_OTHER &&
		    strcmp(r->fields[i].key, key) == 0)
			return (&r->fields[i]);
	}
	return (NULL);
}

/* A member read quickly: a later one of the same name replaces it. */
static struct jpfield *
jp_quick_field(struct creq *r, const char *key, size_t klen, size_t avail)
{
	struct jpfield	*f;
	enum jpkey	 k;
	unsigned int	 i;

	k = jp_key_of_text(key, klen, avail);
	if (k != JPK_OTHER)
		f = jp_field(r, k);
	else {
		for (i = 0, f = NULL; i < r->nfields && f == NULL; i++) {
			if (r->fields[i].which == JPK_OTHER &&
			    strcmp(r->fields[i].key, key) == 0)
				f = &r->fields[i];
		}
	}
	if (f == NULL)
		return (creq_add_field(r, key, k));
	if (f->owned)
		json_decref(f->json);
	if (f->table)
		r->nvals = 0;
	memset(f, 0, sizeof *f);
	f->key = key;
	f->which = k;
	return (f);
}

/* The loop of jp_ws, out of line: most lines have little space. */
static __attribute__((__noinline__)) size_t
jp_ws_run(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	    p[i] == '\r'))
		i++;
	return (i);
}

/*
 * Skip white space; p[n] is the copy's NUL, so p[i] may be read (i <= n),
 * and a byte above the space is no white space and not the end.
 */
static inline size_t
jp_ws(const char *p, size_t n, size_t i)
{
	if ((uint8_t)p[i] > ' ')
		return (i);
	return (jp_ws_run(p, n, i));
}

/* One member's value at p; the bytes used, 0 to give up. */
static size_t
jp_quick_value(struct creq *r, struct jpfield *f, char *p, size_t n)
{
	enum jsonval_num	 kind;
	char			*s;
	size_t			 k;

	switch (p[0]) {
	case '"':
		if ((k = jsonval_quick_string(p, n, &s, &f->len)) == 0)
			return (0);
		f->kind = JP_STRING;
		f->s = s;
		/* No escape, no NUL (a control character gives up). */
		f->nonul = k == f->len + 2;
		return (k);
	case '[':
		/* Values of plain scalars: a table, no tree (jsonval.h). */
		if (f->which != JPK_VALUES)
			goto tree;
		if ((k = jsonval_quick_array(p, n, r->vals, CREQ_VALS,
		    &r->nvals, &f->json)) == 0)
			return (0);
		f->kind = JP_ARRAY;
		if (f->json != NULL)
			f->owned = 1;
		else
			f->table = 1;
		return (k);
	case '{':
	tree:
		if ((k = jsonval_quick_value(p, n, &f->json)) == 0)
			return (0);
		f->kind = p[0] == '[' ? JP_ARRAY : JP_OBJECT;
		f->owned = 1;
		return (k);
	case 't':
		f->kind = JP_TRUE;
		k = (n >= 4 && memcmp(p, "true", 4) == 0) ? 4 : 0;
		break;
	case 'f':
		f->kind = JP_FALSE;
		k = (n >= 5 && memcmp(p, "false", 5) == 0) ? 5 : 0;
		break;
	case 'n':
		f->kind = JP_NULL;
		k = (n >= 4 && memcmp(p, "null", 4) == 0) ? 4 : 0;
		break;
	default:
		if ((k = jsonval_quick_number(p, n, &kind, &f->i)) == 0)
			return (0);
		/* Digits kept as a string: rare, left to jansson. */
		if (kind == JSONVAL_NUM_STRING)
			return (0);
		f->kind = kind == JSONVAL_NUM_INT ? JP_INT : JP_REAL;
		f->s = p;
		f->len = k;
		return (k);
	}
	if (k == 0 || (k < n && isalpha((unsigned char)p[k])))
		return (0);
	return (k);
}

/* Read a plain request object into r->fields; -1 to give up. */
static int
jp_quick(struct creq *r, const char *line, size_t n)
{
	struct jpfield	*f;
	char		*p, *key;
	size_t		 i, k, klen;

	p = n < sizeof r->textbuf ? r->textbuf : xmalloc(n + 1);
	memcpy(p, line, n);
	p[n] = '\0';
	r->text = p;

	i = jp_ws(p, n, 0);
	if (i == n || p[i] != '{')
		return (-1);
	i = jp_ws(p, n, i + 1);
	if (i < n && p[i] == '}')
		return (jp_ws(p, n, i + 1) == n ? 0 : -1);
	for (;;) {
		/* Only an escape can make a NUL (then the text shrank). */
		if (i == n || (k = jsonval_quick_string(p + i, n - i, &key,
		    &klen)) == 0 || (k != klen + 2 &&
		    memchr(key, '\0', klen) != NULL))
			return (-1);
		i = jp_ws(p, n, i + k);
		if (i == n || p[i] != ':')
			return (-1);
		i = jp_ws(p, n, i + 1);
		if (i == n)
			return (-1);
		/* The copy ends in a NUL at p[n]: n + 1 bytes to read. */
		f = jp_quick_field(r, key, klen, (size_t)(p + n + 1 - key));
		if ((k = jp_quick_value(r, f, p + i, n - i)) == 0)
			return (-1);
		i = jp_ws(p, n, i + k);
		if (i < n && p[i] == ',') {
			i = jp_ws(p, n, i + 1);
			continue;
		}
		if (i < n && p[i] == '}')
			return (jp_ws(p, n, i + 1) == n ? 0 : -1);
		return (-1);
	}
}

/* The members of an object jansson read (borrowed from it). */
static void
jp_from_json(struct creq *r, json_t *j)
{
	struct jpfield	*f;
	const char	*k;
	json_t		*v;
	enum jpkey	 which;

	json_object_foreach(j, k, v) {
		/* A name with a NUL reads short: the first one stays. */
		which = jp_key_of(k, strlen(k));
		if (which != JPK_OTHER && jp_field(r, which) != NULL)
			which = JPK_OTHER;
		f = creq_add_field(r, k, which);
		f->json = v;
		switch (json_typeof(v)) {
		case JSON_OBJECT:
			f->kind = JP_OBJECT;
			break;
		case JSON_ARRAY:
			f->kind = JP_ARRAY;
			break;
		case JSON_STRING:
			f->kind = JP_STRING;
			f->s = json_string_value(v);
			f->len = json_string_length(v);
			break;
		case JSON_INTEGER:
			f->kind = JP_INT;
			f->i = json_integer_value(v);
			break;
		case JSON_REAL:
			f->kind = JP_REAL;
			break;
		case JSON_TRUE:
			f->kind = JP_TRUE;
			break;
		case JSON_FALSE:
			f->kind = JP_FALSE;
			break;
		case JSON_NULL:
			f->kind = JP_NULL;
			break;
		}
	}
}

/* A member's tree, made now if it was read quickly (borrowed). */
static json_t *
jp_tree(struct jpfield *f, struct creq *r)
{
	size_t	i;

	if (f->json != NULL)
		return (f->json);
	/* Only members read quickly have no tree yet. */
	switch (f->kind) {
	case JP_ARRAY:
		if (!f->table)
			break;
		if ((f->json = json_array()) == NULL)
			fatalx("out of memory");
		for (i = 0; i < r->nvals; i++)
			json_array_append_new(f->json,
			    jsonval_scalar_json(&r->vals[i]));
		break;
	case JP_NULL:
		f->json = json_null();
		break;
	case JP_FALSE:
		f->json = json_false();
		break;
	case JP_TRUE:
		f->json = json_true();
		break;
	case JP_INT:
		f->json = json_integer(f->i);
		break;
	case JP_REAL:
		f->json = jsonval_loads(f->s, f->len, JSON_DECODE_ANY, NULL);
		break;
	case JP_STRING:
		f->json = json_stringn_nocheck(f->s, f->len);
		break;
	default:
		break;
	}
	if (f->json == NULL)
		fatalx("%s: no tree for member %s", __func__, f->key);
	f->owned = 1;
	return (f->json);
}

json_t *
jp_get(struct creq *r, enum jpkey k)
{
	struct jpfield	*f;

	if ((f = jp_field(r, k)) == NULL)
		return (NULL);
	return (jp_tree(f, r));
}

json_t *
jp_get_name(struct creq *r, const char *key)
{
	struct jpfield	*f;

	if ((f = jp_find(r, key)) == NULL)
		return (NULL);
	return (jp_tree(f, r));
}

int
jp_values(struct creq *r, const struct jsonval_scalar **tab, size_t *n)
{
	struct jpfield	*f;

	if ((f = jp_field(r, JPK_VALUES)) == NULL || !f->table)
		return (0);
	*tab = r->vals;
	*n = r->nvals;
	return (1);
}

/*
 * A double as the shortest text that reads back to it (jansson would
 * write 0.1 as 0.10000000000000001), still a real: "100.0", not "100".
 */
static void
jp_real_text(double d, char *buf, size_t len)
{
	size_t	n;
	int	prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, len, "%.17g", d);
	n = strlen(buf);
	if (strpbrk(buf, ".e") == NULL && n + 3 <= len)
		memcpy(buf + n, ".0", 3);
}

/* The id as JSON text (and its length): as the request wrote it. */
static void
jp_set_id(struct creq *r, struct jpfield *f)
{
	const char	*lit = NULL;
	char		*s;
	size_t		 i, n = 0;

	switch (f->kind) {
	case JP_INT:
	case JP_REAL:
		/* A token from the line goes back as it came, but "-0". */
		if (f->s != NULL && f->len + 1 <= sizeof r->idbuf) {
			if (f->len == 2 && f->s[0] == '-' && f->s[1] == '0')
				lit = "0";
			else {
				memcpy(r->idbuf, f->s, f->len);
				r->idbuf[f->len] = '\0';
				r->id = r->idbuf;
				r->idlen = f->len;
				return;
			}
		} else if (f->kind == JP_REAL && f->json != NULL) {
			jp_real_text(json_real_value(f->json), r->idbuf,
			    sizeof r->idbuf);
			r->id = r->idbuf;
			r->idlen = strlen(r->idbuf);
			return;
		}
		break;
	case JP_STRING:
		if (f->len + 3 > sizeof r->idbuf)
			break;
		for (i = 0; i < f->len; i++) {
			if ((uint8_t)f->s[i] < 0x20 || f->s[i] == '"' ||
			    f->s[i] == '\\')
				break;
		}
		if (i < f->len)
			break;
		r->idbuf[0] = '"';
		memcpy(r->idbuf + 1, f->s, f->len);
		r->idbuf[f->len + 1] = '"';
		r->idbuf[f->len + 2] = '\0';
		r->id = r->idbuf;
		r->idlen = f->len + 2;
		return;
	case JP_TRUE:
		lit = "true";
		break;
	case JP_FALSE:
		lit = "false";
		break;
	case JP_NULL:
		lit = "null";
		break;
	default:
		break;
	}
	if (lit != NULL) {
		n = strlen(lit);
		memcpy(r->idbuf, lit, n + 1);
		r->id = r->idbuf;
		r->idlen = n;
		return;
	}
	s = json_dumps(jp_get(r, JPK_ID), JSON_ENCODE_ANY | JSON_COMPACT);
	if (s == NULL)
		fatalx("json_dumps failed");
	r->id = s;
	r->idlen = strlen(s);
}

struct creq *
jsonproto_parse(const char *line, size_t n, int readonly)
{
	struct creq	*r;
	struct jpfield	*id, *op, *cql;
	json_t		*j;
	json_error_t	 e;
	const char	*name;
	char		 ks[256];

	r = creq_new();
	r->readonly = readonly;
	r->op = METRICS_OP_INVALID;
	r->ordered = 1;
	if (line == NULL)
		return (r);

	if (jp_quick(r, line, n) != 0) {
		creq_clear_fields(r);
		j = jsonval_loads(line, n, JSON_ALLOW_NUL | JSON_DECODE_ANY,
		    &e);
		if (j == NULL) {
			r->early_code = "bad_json";
			xasprintf(&r->early_msg, "not JSON: %s (column %d)",
			    e.text, e.column);
			return (r);
		}
		if (!json_is_object(j)) {
			json_decref(j);
			r->early_code = "bad_request";
			r->early_msg = xstrdup("a request must be a JSON "
			    "object");
			return (r);
		}
		r->json = j;
		jp_from_json(r, j);
	}

	id = jp_field(r, JPK_ID);
	if (id != NULL) {
		if (id->kind == JP_OBJECT || id->kind == JP_ARRAY) {
			r->early_code = "bad_request";
			r->early_msg = xstrdup("id must be a number, string, "
			    "boolean or null");
			r->early_extra = json_pack("{s:s}", "field", "id");
			return (r);
		}
		jp_set_id(r, id);
		/*
		 * Every answer repeats the id: a huge one could make even
		 * the error answer overflow the output cap.
		 */
		if (r->idlen > CREQ_ID_MAX) {
			if (r->id != r->idbuf)
				free(r->id);
			r->id = NULL;
			r->early_code = "bad_request";
			xasprintf(&r->early_msg, "id is longer than %d bytes",
			    CREQ_ID_MAX);
			r->early_extra = json_pack("{s:s}", "field", "id");
			return (r);
		}
		r->ordered = 0;
	}

	op = jp_field(r, JPK_OP);
	cql = jp_field(r, JPK_CQL);
	if (op == NULL || op->kind == JP_NULL) {
		if (cql == NULL) {
			r->early_code = "bad_request";
			r->early_msg = xstrdup("a request needs op (or cql)");
			r->early_extra = json_pack("{s:s}", "field", "op");
			return (r);
		}
		r->op = METRICS_OP_QUERY;
	} else if (op->kind != JP_STRING) {
		r->early_code = "bad_request";
		r->early_msg = xstrdup("op must be a string");
		r->early_extra = json_pack("{s:s}", "field", "op");
		return (r);
	} else {
		name = op->s;
		r->op = metrics_op_from_name(name);
		if (r->op == METRICS_OP_INVALID) {
			r->early_code = "unknown_op";
			xasprintf(&r->early_msg, "unknown op \"%.64s\"", name);
			r->early_extra = json_pack("{s:s}", "op", name);
			return (r);
		}
	}
	/* use, and USE in cql, are barriers whatever their id. */
	if (r->op == METRICS_OP_USE)
		r->ordered = 1;
	else if (r->op == METRICS_OP_QUERY && cql != NULL &&
	    cql->kind == JP_STRING) {
		if (cql_parse_use(cql->s, ks, sizeof ks) != 0)
			r->ordered = 1;
		else
			r->cql_not_use = 1;	/* op_query need not ask */
	}
	return (r);
}

static void
jp_idle_cb(evutil_socket_t fd, short events, void *arg)
{
	if (creq_fl.live == 0)
		freelist_trim_all();
}

/* The last request went: trim the free lists if none comes for a while. */
static void
jp_idle_arm(void)
{
	struct timeval	tv = { JP_IDLE_TRIM_MS / 1000,
			    (JP_IDLE_TRIM_MS % 1000) * 1000 };

	if (srv == NULL || srv->base == NULL || srv->state >= SERVER_CLOSING)
		return;
	if (!jp_idle_init) {
		evtimer_assign(&jp_idle_ev, srv->base, jp_idle_cb, NULL);
		jp_idle_init = 1;
	}
	if (!evtimer_pending(&jp_idle_ev, NULL))
		evtimer_add(&jp_idle_ev, &tv);
}

/* Closing: no trim timer left in the loop. */
void
jsonproto_free(void)
{
	if (jp_idle_init)
		evtimer_del(&jp_idle_ev);
	jp_idle_init = 0;
	freelist_trim_all();
}

void
creq_free(struct creq *r)
{
	if (r == NULL)
		return;
	creq_clear_fields(r);
	if (r->json != NULL)
		json_decref(r->json);
	if (r->early_extra != NULL)
		json_decref(r->early_extra);
	/* Most requests own none of these: no calls for nothing. */
	if (r->early_msg != NULL)
		free(r->early_msg);
	if (r->id != r->idbuf && r->id != NULL)
		free(r->id);
	if (r->keyspace != NULL)
		free(r->keyspace);
	freelist_put(&creq_fl, r);
	if (creq_fl.live == 0)
		jp_idle_arm();
}

/* Ops that need the cluster (they hold a slot of the global cap). */
int
jsonproto_is_local_op(enum metrics_op op)
{
	switch (op) {
	case METRICS_OP_SCHEMA:
	case METRICS_OP_HOSTS:
	case METRICS_OP_PING:
	case METRICS_OP_STATS:
	case METRICS_OP_INVALID:
		return (1);
	default:
		return (0);
	}
}

/*
 * An answer given without reading the request's options (an early error,
 * or shutting_down before it ran) is compact as the connection says, or
 * as the request says if it says so plainly.
 */
static void
jp_compact_early(struct creq *r)
{
	struct jpfield	*f;

	if (r->client != NULL)
		r->compact = r->client->compact;
	if ((f = jp_field(r, JPK_COMPACT)) != NULL &&
	    (f->kind == JP_TRUE || f->kind == JP_FALSE))
		r->compact = f->kind == JP_TRUE;
}

void
jsonproto_start(struct creq *r)
{
	struct client	*c = r->client;
	json_t		*extra;
	int		 v;

	r->start_us = metrics_now_us();
	r->numstr = c->numstr;
	r->compact = c->compact;
	if (r->early_code != NULL) {
		jp_compact_early(r);
		metrics_request_done(srv->metrics, METRICS_OP_INVALID,
		    r->early_code, 0);
		r->metered = 1;
		extra = r->early_extra;
		r->early_extra = NULL;
		creq_error(r, r->early_code, extra, "%s", r->early_msg);
		return;
	}
	metrics_request_begin(srv->metrics, r->op);
	if (c->keyspace != NULL)
		r->keyspace = xstrdup(c->keyspace);
	/* Most requests keep the connection's settings. */
	if (r->keyset & (1U << JPK_COMPACT | 1U << JPK_NUMBERS_AS_STRINGS)) {
		v = r->compact;
		if (jp_bool(r, JPK_COMPACT, &v) < 0)
			return;
		r->compact = v;
		v = r->numstr;
		if (jp_bool(r, JPK_NUMBERS_AS_STRINGS, &v) < 0)
			return;
		r->numstr = v;
	}

	if (srv->state >= SERVER_CLOSING) {
		creq_error(r, "shutting_down", NULL,
		    "the daemon is shutting down");
		return;
	}
	if (!jsonproto_is_local_op(r->op)) {
		if (srv->inflight >= (unsigned int)srv->cfg->max_inflight) {
			creq_error(r, "overloaded", json_pack("{s:b}",
			    "local", 1), "%d requests already running "
			    "(max_inflight)", srv->cfg->max_inflight);
			return;
		}
		srv->inflight++;
		r->counted = 1;
	}

	switch (r->op) {
	case METRICS_OP_QUERY:
		op_query(r);
		break;
	case METRICS_OP_PREPARE:
		op_prepare(r);
		break;
	case METRICS_OP_EXECUTE:
		op_execute(r);
		break;
	case METRICS_OP_BATCH:
		op_batch(r);
		break;
	case METRICS_OP_USE:
		op_use(r);
		break;
	case METRICS_OP_SCHEMA:
		op_schema(r);
		break;
	case METRICS_OP_HOSTS:
		op_hosts(r);
		break;
	case METRICS_OP_TRACE:
		op_trace(r);
		break;
	case METRICS_OP_PING:
		op_ping(r);
		break;
	case METRICS_OP_STATS:
		op_stats(r);
		break;
	default:
		creq_error(r, "unknown_op", NULL, "unknown op");
		break;
	}
}

/*
 * Field readers.  A field that is absent or null keeps the default;
 * a field of the wrong type is answered with bad_request (return -1).
 */

static int
jp_bad(struct creq *r, enum jpkey k, const char *what)
{
	const char	*field = jp_key_names[k];

	creq_error(r, "bad_request", json_pack("{s:s}", "field", field),
	    "%s must be %s", field, what);
	return (-1);
}

int
jp_string_len(struct creq *r, enum jpkey k, const char **out, size_t *len)
{
	struct jpfield	*f;

	/* Absent or null: the default. */
	if ((f = jp_field(r, k)) == NULL || f->kind == JP_NULL)
		return (0);
	if (f->kind != JP_STRING)
		return (jp_bad(r, k, "a string"));
	*out = f->s;
	*len = f->nonul ? f->len : strlen(f->s);
	return (1);
}

int
jp_string(struct creq *r, enum jpkey k, const char **out)
{
	size_t	len;

	return (jp_string_len(r, k, out, &len));
}

int
jp_bool(struct creq *r, enum jpkey k, int *out)
{
	struct jpfield	*f;

	/* Absent or null: the default. */
	if ((f = jp_field(r, k)) == NULL || f->kind == JP_NULL)
		return (0);
	if (f->kind != JP_TRUE && f->kind != JP_FALSE)
		return (jp_bad(r, k, "true or false"));
	*out = f->kind == JP_TRUE;
	return (1);
}

int
jp_int(struct creq *r, enum jpkey k, int64_t min, int64_t max,
    int64_t *out)
{
	struct jpfield	*f;
	char		 what[96];

	/* Absent or null: the default. */
	if ((f = jp_field(r, k)) == NULL || f->kind == JP_NULL)
		return (0);
	if (f->kind != JP_INT || f->i < min || f->i > max) {
		snprintf(what, sizeof what, "an integer from %lld to %lld",
		    (long long)min, (long long)max);
		return (jp_bad(r, k, what));
	}
	*out = f->i;
	return (1);
}

/*
 * Answers.  Written as text so cell values keep their exact digits; the
 * separators follow the compact option.
 */

/* The memory of the last answer, for the next (answers are one at a time). */
static struct wbuf	ans_spare;

void
ans_begin(struct ans *a, struct creq *r, int ok)
{
	size_t	cap = srv->cfg->max_output_per_client + ANS_SLACK;

	a->compact = r->compact;
	if (ans_spare.p != NULL) {
		a->w = ans_spare;
		ans_spare.p = NULL;
		a->w.len = 0;
		a->w.err = NULL;
		a->w.cap = cap;
	} else {
		wbuf_init(&a->w, cap);
		wbuf_reserve(&a->w, ANS_FIRST);
		wbuf_reset(&a->w);
	}
	/* The head in as few appends as may be: it starts every answer. */
	if (r->id != NULL) {
		if (a->compact)
			ans_lit(a, "{\"id\":");
		else
			ans_lit(a, "{\"id\": ");
		ans_rawn(a, r->id, r->idlen);
		if (ok) {
			if (a->compact)
				ans_lit(a, ",\"ok\":true");
			else
				ans_lit(a, ", \"ok\": true");
		} else {
			if (a->compact)
				ans_lit(a, ",\"ok\":false");
			else
				ans_lit(a, ", \"ok\": false");
		}
	} else if (ok) {
		if (a->compact)
			ans_lit(a, "{\"ok\":true");
		else
			ans_lit(a, "{\"ok\": true");
	} else {
		if (a->compact)
			ans_lit(a, "{\"ok\":false");
		else
			ans_lit(a, "{\"ok\": false");
	}
}

void
ans_free(struct ans *a)
{
	if (FREELIST_ON && ans_spare.p == NULL && a->w.p != NULL &&
	    a->w.size <= ANS_KEEP)
		ans_spare = a->w;
	else
		wbuf_free(&a->w);
	a->w.p = NULL;
	a->w.len = a->w.size = 0;
}

void
ans_raw(struct ans *a, const char *s)
{
	ans_rawn(a, s, strlen(s));
}

void
ans_key(struct ans *a, const char *k)
{
	ans_comma(a);
	jsonval_write_string(&a->w, k, strlen(k));
	ans_colon(a);
}

void
ans_string(struct ans *a, const char *s)
{
	if (s == NULL)
		ans_null(a);
	else
		jsonval_write_string(&a->w, s, strlen(s));
}

void
ans_stringn(struct ans *a, const char *s, size_t n)
{
	jsonval_write_string(&a->w, s, n);
}

void
ans_int(struct ans *a, int64_t v)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	ans_raw(a, buf);
}

void
ans_bool(struct ans *a, int v)
{
	ans_raw(a, v ? "true" : "false");
}

void
ans_null(struct ans *a)
{
	ans_raw(a, "null");
}

static int
ans_dump_cb(const char *p, size_t n, void *arg)
{
	wbuf_raw(arg, p, n);
	return (0);
}

void
ans_json(struct ans *a, json_t *j)
{
	if (j == NULL) {
		ans_null(a);
		return;
	}
	json_dump_callback(j, ans_dump_cb, &a->w, JSON_ENCODE_ANY |
	    (a->compact ? JSON_COMPACT : 0));
	json_decref(j);
}

void
ans_hex(struct ans *a, const uint8_t *p, size_t n, int prefix)
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			*o;
	size_t			 i;

	o = wbuf_reserve(&a->w, n * 2 + 2 + (prefix ? 2 : 0));
	if (o == NULL)
		return;
	*o++ = '"';
	if (prefix) {
		*o++ = '0';
		*o++ = 'x';
	}
	for (i = 0; i < n; i++) {
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
	}
	*o = '"';
}

void
ans_uuid(struct ans *a, const uint8_t u[16])
{
	char	buf[40];

	snprintf(buf, sizeof buf, "\"%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x\"", u[0], u[1], u[2], u[3],
	    u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
	ans_raw(a, buf);
}

/* Count the outcome once per request. */
static void
creq_meter(struct creq *r, const char *outcome)
{
	uint64_t	now;

	if (r->metered)
		return;
	r->metered = 1;
	/*
	 * A real reading, not libevent's cached one (the coarse monotonic
	 * clock, a few ms, would put every request in the first buckets of
	 * the histogram): the core's at the answer when there is one, which
	 * leaves out only the writing of it and saves a reading.
	 */
	now = r->end_us != 0 ? r->end_us : metrics_now_us();
	metrics_request_done(srv->metrics, r->op, outcome, now - r->start_us);
}

void
creq_reply(struct creq *r, struct ans *a, const char *outcome)
{
	ans_lit(a, "}\n");
	if (a->w.err != NULL) {
		static int	 in_error;

		ans_free(a);
		if (in_error) {
			/* Cannot happen with ids capped; never recurse. */
			creq_meter(r, "answer_too_large");
			creq_finish(r);
			return;
		}
		in_error = 1;
		creq_error(r, "answer_too_large", json_pack("{s:I}", "limit",
		    (json_int_t)srv->cfg->max_output_per_client),
		    "the answer is larger than max_output_per_client: ask "
		    "for smaller pages (page_size)");
		in_error = 0;
		return;
	}
	creq_meter(r, outcome);
	if (r->client != NULL)
		client_write(r->client, a->w.p, a->w.len);
	ans_free(a);
	creq_finish(r);
}

/* The error object's members after code and message. */
static void
ans_error(struct ans *a, const char *code, const char *msg, json_t *extra)
{
	const char	*k;
	json_t		*v;

	ans_key_lit(a, "error");
	ans_raw(a, "{");
	jsonval_write_string(&a->w, "code", 4);
	ans_raw(a, a->compact ? ":" : ": ");
	ans_string(a, code);
	ans_key_lit(a, "message");
	ans_string(a, msg);
	if (extra != NULL) {
		json_object_foreach(extra, k, v) {
			ans_key(a, k);
			ans_json(a, json_incref(v));
		}
		json_decref(extra);
	}
	ans_raw(a, "}");
}

void
creq_error(struct creq *r, const char *code, json_t *extra,
    const char *fmt, ...)
{
	struct ans	 a;
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	if (xvasprintf(&msg, fmt, ap) < 0)
		fatalx("xvasprintf failed");
	va_end(ap);
	ans_begin(&a, r, 0);
	ans_error(&a, code, msg, extra);
	free(msg);
	if (r->client != NULL)
		log_debug("%s: %s: %s", client_name(r->client),
		    metrics_op_name(r->op), code);
	creq_reply(r, &a, code);
}

void
creq_detach_error(struct creq *r, const char *code, const char *msg)
{
	struct client	*c = r->client;
	struct ans	 a;

	if (r->state == CREQ_WAITING)
		jp_compact_early(r);
	ans_begin(&a, r, 0);
	ans_error(&a, code, msg, NULL);
	wbuf_raw(&a.w, "}\n", 2);
	if (!r->metered) {
		if (r->early_code != NULL)
			metrics_request_done(srv->metrics,
			    METRICS_OP_INVALID, code, 0);
		else if (r->state == CREQ_WAITING)
			metrics_request_done(srv->metrics, r->op, code, 0);
		else
			creq_meter(r, code);
		r->metered = 1;
	}
	if (wbuf_ok(&a.w))
		client_write(c, a.w.p, a.w.len);
	ans_free(&a);

	client_req_remove(c, r);
	c->nreqs--;
	if (r->state == CREQ_WAITING) {
		metrics_waiting_add(srv->metrics, -1);
		if (r->counted) {
			srv->inflight--;
			r->counted = 0;
		}
		creq_free(r);
		return;
	}
	c->nrunning--;
	r->client = NULL;
	r->state = CREQ_ORPHAN;
}

/*
 * Core results: the stable code of every outcome.
 */

static const struct {
	int32_t		 code;
	const char	*name;
} jp_server_codes[] = {
	{ ERR_SERVER, "server_error" },
	{ ERR_PROTOCOL, "protocol_error" },
	{ ERR_BAD_CREDENTIALS, "bad_credentials" },
	{ ERR_UNAVAILABLE, "unavailable" },
	{ ERR_OVERLOADED, "overloaded" },
	{ ERR_IS_BOOTSTRAPPING, "is_bootstrapping" },
	{ ERR_TRUNCATE, "truncate_error" },
	{ ERR_WRITE_TIMEOUT, "write_timeout" },
	{ ERR_READ_TIMEOUT, "read_timeout" },
	{ ERR_READ_FAILURE, "read_failure" },
	{ ERR_FUNCTION_FAILURE, "function_failure" },
	{ ERR_WRITE_FAILURE, "write_failure" },
	{ ERR_CDC_WRITE_FAILURE, "cdc_write_failure" },
	{ ERR_CAS_WRITE_UNKNOWN, "cas_write_unknown" },
	{ ERR_SYNTAX, "syntax_error" },
	{ ERR_UNAUTHORIZED, "unauthorized" },
	{ ERR_INVALID, "invalid" },
	{ ERR_CONFIG, "config_error" },
	{ ERR_ALREADY_EXISTS, "already_exists" },
	{ ERR_UNPREPARED, "unprepared" },
};

static const char *
jp_server_code_name(int32_t code, int *known)
{
	size_t	i;

	for (i = 0; i < nitems(jp_server_codes); i++) {
		if (jp_server_codes[i].code == code) {
			*known = 1;
			return (jp_server_codes[i].name);
		}
	}
	*known = 0;
	return ("server_error");
}

const char *
jsonproto_result_code(const struct result *res)
{
	int	known;

	switch (res->error) {
	case CORE_OK:
		return ("ok");
	case CORE_ESERVER:
		return (jp_server_code_name(res->server.code, &known));
	case CORE_ETIMEOUT:
		return ("timeout");
	case CORE_ENOHOSTS:
		return ("no_hosts_available");
	case CORE_EBUSY:
		return ("overloaded");
	case CORE_ECONNECTION:
		return ("connection_error");
	case CORE_EPROTOCOL:
		return ("protocol_error");
	case CORE_ECANCELLED:
	case CORE_ESHUTDOWN:
		return ("shutting_down");
	case CORE_EUSAGE:
		return ("bad_request");
	}
	return ("internal_error");
}

static json_t *
jp_hexstr(const uint8_t *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*s;
	json_t			*j;
	size_t			 i;

	s = xmalloc(n * 2 + 1);
	for (i = 0; i < n; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 15];
	}
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return (j);
}

/* The fields a Cassandra error carries, by code. */
static void
jp_server_fields(json_t *o, const struct core_server_error *e)
{
	json_t	*a;
	size_t	 i;

	switch (e->code) {
	case ERR_UNAVAILABLE:
		json_object_set_new(o, "consistency",
		    json_string(consistency_name(e->consistency)));
		json_object_set_new(o, "required", json_integer(e->required));
		json_object_set_new(o, "alive", json_integer(e->alive));
		break;
	case ERR_READ_TIMEOUT:
	case ERR_READ_FAILURE:
	case ERR_WRITE_TIMEOUT:
	case ERR_WRITE_FAILURE:
	case ERR_CAS_WRITE_UNKNOWN:
		json_object_set_new(o, "consistency",
		    json_string(consistency_name(e->consistency)));
		json_object_set_new(o, "received", json_integer(e->received));
		json_object_set_new(o, "blockfor", json_integer(e->blockfor));
		if (e->code == ERR_READ_FAILURE ||
		    e->code == ERR_WRITE_FAILURE)
			json_object_set_new(o, "failures",
			    json_integer(e->numfailures));
		if (e->code == ERR_READ_TIMEOUT ||
		    e->code == ERR_READ_FAILURE)
			json_object_set_new(o, "data_present",
			    json_boolean(e->data_present));
		if ((e->code == ERR_WRITE_TIMEOUT ||
		    e->code == ERR_WRITE_FAILURE) && e->write_type != NULL)
			json_object_set_new(o, "write_type",
			    json_string(e->write_type));
		break;
	case ERR_FUNCTION_FAILURE:
		if (e->keyspace != NULL)
			json_object_set_new(o, "keyspace",
			    json_string(e->keyspace));
		if (e->function != NULL)
			json_object_set_new(o, "function",
			    json_string(e->function));
		a = json_array();
		for (i = 0; i < e->narg_types; i++)
			json_array_append_new(a, json_string(e->arg_types[i]));
		json_object_set_new(o, "arg_types", a);
		break;
	case ERR_ALREADY_EXISTS:
		json_object_set_new(o, "keyspace",
		    json_string(e->keyspace != NULL ? e->keyspace : ""));
		json_object_set_new(o, "table",
		    json_string(e->table != NULL ? e->table : ""));
		break;
	case ERR_UNPREPARED:
		if (e->id != NULL)
			json_object_set_new(o, "statement",
			    jp_hexstr(e->id, e->idlen));
		break;
	}
}

void
creq_error_result(struct creq *r, const struct result *res, json_t *extra)
{
	const char	*code, *msg;
	json_t		*o, *a, *at;
	size_t		 i;
	int		 known = 1;

	o = extra != NULL ? extra : json_object();
	code = jsonproto_result_code(res);
	msg = res->message != NULL ? res->message : code;
	switch (res->error) {
	case CORE_ESERVER:
		code = jp_server_code_name(res->server.code, &known);
		if (res->server.message != NULL)
			msg = res->server.message;
		jp_server_fields(o, &res->server);
		if (!known)
			json_object_set_new(o, "cassandra_code",
			    json_integer(res->server.code));
		if (res->host_name[0] != '\0')
			json_object_set_new(o, "host",
			    json_string(res->host_name));
		break;
	case CORE_ENOHOSTS:
		a = json_array();
		for (i = 0; i < res->nattempts; i++) {
			at = json_object();
			json_object_set_new(at, "host",
			    json_string(res->attempts[i].host));
			if (res->attempts[i].error == CORE_ESERVER)
				json_object_set_new(at, "code", json_string(
				    jp_server_code_name(res->attempts[i].code,
				    &known)));
			else
				json_object_set_new(at, "code",
				    json_string(core_error_name(
				    res->attempts[i].error)));
			json_object_set_new(at, "message", json_string(
			    res->attempts[i].message != NULL ?
			    res->attempts[i].message : ""));
			json_array_append_new(a, at);
		}
		json_object_set_new(o, "attempts", a);
		break;
	case CORE_EBUSY:
	case CORE_EPROTOCOL:
		json_object_set_new(o, "local", json_true());
		break;
	default:
		break;
	}
	creq_error(r, code, o, "%s", msg);
}
