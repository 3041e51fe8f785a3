/*
 * cqltype.c: CQL type trees. They come off the wire as [option]s inside
 * result metadata, out of schema tables as CQL text, and sometimes as Java
 * marshal class names (custom types, vectors, durations before v5).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"

#define MARSHAL_PREFIX	"org.apache.cassandra.db.marshal."

/* Everything known about each kind, indexed by a linear search. */
static const struct {
	enum cqltype_kind	 kind;
	const char		*name;		/* CQL */
	const char		*class;		/* marshal class, short */
	int			 size;		/* fixed serialized size */
} kinds[] = {
	{ CQLTYPE_ASCII, "ascii", "AsciiType", -1 },
	{ CQLTYPE_BIGINT, "bigint", "LongType", 8 },
	{ CQLTYPE_BLOB, "blob", "BytesType", -1 },
	{ CQLTYPE_BOOLEAN, "boolean", "BooleanType", 1 },
	{ CQLTYPE_COUNTER, "counter", "CounterColumnType", 8 },
	{ CQLTYPE_DATE, "date", "SimpleDateType", 4 },
	{ CQLTYPE_DECIMAL, "decimal", "DecimalType", -1 },
	{ CQLTYPE_DOUBLE, "double", "DoubleType", 8 },
	{ CQLTYPE_DURATION, "duration", "DurationType", -1 },
	{ CQLTYPE_FLOAT, "float", "FloatType", 4 },
	{ CQLTYPE_INET, "inet", "InetAddressType", -1 },
	{ CQLTYPE_INT, "int", "Int32Type", 4 },
	{ CQLTYPE_SMALLINT, "smallint", "ShortType", 2 },
	{ CQLTYPE_TEXT, "text", "UTF8Type", -1 },
	{ CQLTYPE_TIME, "time", "TimeType", 8 },
	{ CQLTYPE_TIMESTAMP, "timestamp", "TimestampType", 8 },
	{ CQLTYPE_TIMEUUID, "timeuuid", "TimeUUIDType", 16 },
	{ CQLTYPE_TINYINT, "tinyint", "ByteType", 1 },
	{ CQLTYPE_UUID, "uuid", "UUIDType", 16 },
	{ CQLTYPE_VARINT, "varint", "IntegerType", -1 },
	{ CQLTYPE_LIST, "list", "ListType", -1 },
	{ CQLTYPE_MAP, "map", "MapType", -1 },
	{ CQLTYPE_SET, "set", "SetType", -1 },
	{ CQLTYPE_TUPLE, "tuple", "TupleType", -1 },
	{ CQLTYPE_UDT, "udt", "UserType", -1 },
	{ CQLTYPE_VECTOR, "vector", "VectorType", -1 },
	{ CQLTYPE_CUSTOM, "custom", NULL, -1 },
};

static int
kind_index(enum cqltype_kind k)
{
	size_t	i;

	for (i = 0; i < nitems(kinds); i++) {
		if (kinds[i].kind == k)
			return ((int)i);
	}
	return (-1);
}

int
cqltype_fixed_size(enum cqltype_kind k)
{
	int	i = kind_index(k);

	return (i < 0 ? -1 : kinds[i].size);
}

const char *
cqltype_kind_name(enum cqltype_kind k)
{
	int	i = kind_index(k);

	return (i < 0 ? "unknown" : kinds[i].name);
}

int
cqltype_is_collection(enum cqltype_kind k)
{
	return (k == CQLTYPE_LIST || k == CQLTYPE_SET || k == CQLTYPE_MAP);
}

static int
is_scalar(enum cqltype_kind k)
{
	switch (k) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_UDT:
	case CQLTYPE_VECTOR:
	case CQLTYPE_CUSTOM:
		return (0);
	default:
		return (kind_index(k) >= 0);
	}
}

static struct cqltype *
cqltype_new(enum cqltype_kind k)
{
	struct cqltype	*t = xcalloc(1, sizeof *t);

	t->kind = k;
	return (t);
}

struct cqltype *
cqltype_new_scalar(enum cqltype_kind k)
{
	return (cqltype_new(k));
}

struct cqltype *
cqltype_new_custom(const char *class)
{
	struct cqltype	*t = cqltype_new(CQLTYPE_CUSTOM);

	t->custom = xstrdup(class);
	return (t);
}

/* Append a child (and for UDTs its field name). */
void
cqltype_add(struct cqltype *t, const char *name, struct cqltype *sub)
{
	t->sub = xreallocarray(t->sub, t->n + 1, sizeof *t->sub);
	t->sub[t->n] = sub;
	if (t->kind == CQLTYPE_UDT) {
		t->fields = xreallocarray(t->fields, t->n + 1,
		    sizeof *t->fields);
		t->fields[t->n] = xstrdup(name == NULL ? "" : name);
	}
	t->n++;
}

static struct cqltype *
cqltype_new_one(enum cqltype_kind k, struct cqltype *sub)
{
	struct cqltype	*t = cqltype_new(k);

	cqltype_add(t, NULL, sub);
	return (t);
}

struct cqltype *
cqltype_new_list(struct cqltype *e)
{
	return (cqltype_new_one(CQLTYPE_LIST, e));
}

struct cqltype *
cqltype_new_set(struct cqltype *e)
{
	return (cqltype_new_one(CQLTYPE_SET, e));
}

struct cqltype *
cqltype_new_map(struct cqltype *k, struct cqltype *v)
{
	struct cqltype	*t = cqltype_new_one(CQLTYPE_MAP, k);

	cqltype_add(t, NULL, v);
	return (t);
}

struct cqltype *
cqltype_new_vector(struct cqltype *e, uint32_t dimension)
{
	struct cqltype	*t = cqltype_new_one(CQLTYPE_VECTOR, e);

	t->dimension = dimension;
	return (t);
}

struct cqltype *
cqltype_new_tuple(void)
{
	return (cqltype_new(CQLTYPE_TUPLE));
}

struct cqltype *
cqltype_new_udt(const char *keyspace, const char *name)
{
	struct cqltype	*t = cqltype_new(CQLTYPE_UDT);

	if (keyspace != NULL)
		t->keyspace = xstrdup(keyspace);
	t->name = xstrdup(name == NULL ? "" : name);
	return (t);
}

struct cqltype *
cqltype_frozen(struct cqltype *t)
{
	t->frozen = 1;
	return (t);
}

void
cqltype_free(struct cqltype *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		cqltype_free(t->sub[i]);
		if (t->fields != NULL)
			free(t->fields[i]);
	}
	free(t->sub);
	free(t->fields);
	free(t->custom);
	free(t->keyspace);
	free(t->name);
	free(t);
}

struct cqltype *
cqltype_dup(const struct cqltype *t)
{
	struct cqltype	*c;
	size_t		 i;

	if (t == NULL)
		return (NULL);
	c = cqltype_new(t->kind);
	c->frozen = t->frozen;
	c->dimension = t->dimension;
	if (t->custom != NULL)
		c->custom = xstrdup(t->custom);
	if (t->keyspace != NULL)
		c->keyspace = xstrdup(t->keyspace);
	if (t->name != NULL)
		c->name = xstrdup(t->name);
	if (t->n > 0) {
		c->sub = xcalloc(t->n, sizeof *c->sub);
		if (t->fields != NULL)
			c->fields = xcalloc(t->n, sizeof *c->fields);
		for (i = 0; i < t->n; i++) {
			c->sub[i] = cqltype_dup(t->sub[i]);
			if (t->fields != NULL)
				c->fields[i] = xstrdup(t->fields[i]);
		}
		c->n = t->n;
	}
	return (c);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return ((a == NULL || *a == '\0') && (b == NULL || *b == '\0'));
	return (strcmp(a, b) == 0);
}

static int
type_equal(const struct cqltype *a, const struct cqltype *b, int frozen)
{
	size_t	i;

	if (a == NULL || b == NULL)
		return (a == b);
	if (a->kind != b->kind || a->n != b->n)
		return (0);
	if (frozen && a->frozen != b->frozen)
		return (0);
	if (a->dimension != b->dimension || !str_eq(a->custom, b->custom) ||
	    !str_eq(a->name, b->name) || !str_eq(a->keyspace, b->keyspace))
		return (0);
	for (i = 0; i < a->n; i++) {
		if (!type_equal(a->sub[i], b->sub[i], frozen))
			return (0);
		if ((a->fields != NULL || b->fields != NULL) &&
		    !str_eq(a->fields == NULL ? NULL : a->fields[i],
		    b->fields == NULL ? NULL : b->fields[i]))
			return (0);
	}
	return (1);
}

int
cqltype_equal(const struct cqltype *a, const struct cqltype *b)
{
	return (type_equal(a, b, 1));
}

int
cqltype_equal_unfrozen(const struct cqltype *a, const struct cqltype *b)
{
	return (type_equal(a, b, 0));
}

/* Freeze what Cassandra freezes implicitly; inner says we are nested. */
static void
normalize(struct cqltype *t, int inner)
{
	size_t	i;

	if (t->kind == CQLTYPE_TUPLE)
		t->frozen = 1;
	if (inner && (cqltype_is_collection(t->kind) ||
	    t->kind == CQLTYPE_UDT))
		t->frozen = 1;
	for (i = 0; i < t->n; i++)
		normalize(t->sub[i], t->kind != CQLTYPE_VECTOR);
}

void
cqltype_normalize(struct cqltype *t)
{
	if (t != NULL)
		normalize(t, 0);
}

/*
 * Java marshal class names.
 */

/* A minimal string builder over wbuf, for formatting. */
static void
sb_str(struct wbuf *w, const char *s)
{
	wbuf_raw(w, s, strlen(s));
}

static char *
sb_finish(struct wbuf *w)
{
	size_t	 n;
	uint8_t	*p;

	wbuf_u8(w, '\0');
	if (!wbuf_ok(w)) {
		wbuf_free(w);
		return (xstrdup(""));
	}
	p = wbuf_steal(w, &n);
	return ((char *)p);
}

static void
hex_str(struct wbuf *w, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		wbuf_u8(w, hex[*p >> 4]);
		wbuf_u8(w, hex[*p & 0xf]);
	}
}

static void
class_write(struct wbuf *w, const struct cqltype *t)
{
	int	 i = kind_index(t->kind);
	size_t	 j;
	char	 num[16];
	int	 frozen;

	if (t->kind == CQLTYPE_CUSTOM) {
		sb_str(w, t->custom == NULL ? "" : t->custom);
		return;
	}
	frozen = t->frozen && (cqltype_is_collection(t->kind) ||
	    t->kind == CQLTYPE_UDT);
	if (frozen)
		sb_str(w, MARSHAL_PREFIX "FrozenType(");
	sb_str(w, MARSHAL_PREFIX);
	sb_str(w, kinds[i].class);
	if (t->kind == CQLTYPE_UDT) {
		wbuf_u8(w, '(');
		sb_str(w, t->keyspace == NULL ? "" : t->keyspace);
		wbuf_u8(w, ',');
		hex_str(w, t->name == NULL ? "" : t->name);
		for (j = 0; j < t->n; j++) {
			wbuf_u8(w, ',');
			hex_str(w, t->fields[j]);
			wbuf_u8(w, ':');
			class_write(w, t->sub[j]);
		}
		wbuf_u8(w, ')');
	} else if (t->n > 0) {
		wbuf_u8(w, '(');
		for (j = 0; j < t->n; j++) {
			if (j > 0)
				wbuf_u8(w, ',');
			class_write(w, t->sub[j]);
		}
		if (t->kind == CQLTYPE_VECTOR) {
			snprintf(num, sizeof num, ",%u", t->dimension);
			sb_str(w, num);
		}
		wbuf_u8(w, ')');
	}
	if (frozen)
		wbuf_u8(w, ')');
}

char *
cqltype_class_name(const struct cqltype *t)
{
	struct wbuf	w;

	wbuf_init(&w, 1024 * 1024);
	class_write(&w, t);
	return (sb_finish(&w));
}

/*
 * Parsing, shared by CQL text and Java class names: a cursor over a NUL
 * terminated string with an error message slot.
 */
struct tparse {
	const char	*s;
	const char	*p;
	char		*err;
	int		 depth;
};

static void printflike(2, 3)
tp_fail(struct tparse *tp, const char *fmt, ...)
{
	va_list	ap;

	if (tp->err != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&tp->err, fmt, ap);
	va_end(ap);
}

static void
tp_space(struct tparse *tp)
{
	while (isspace((unsigned char)*tp->p))
		tp->p++;
}

static int
tp_accept(struct tparse *tp, char c)
{
	tp_space(tp);
	if (*tp->p == c) {
		tp->p++;
		return (1);
	}
	return (0);
}

static int
tp_expect(struct tparse *tp, char c)
{
	char	s[2] = { c, '\0' };

	if (tp_accept(tp, c))
		return (0);
	tp_fail(tp, "expected '%s'", s);
	return (-1);
}

static int
is_ident(int c)
{
	return (isalnum(c) || c == '_');
}

/* A Java class name: identifier characters, dots and '$'. */
static char *
tp_class_word(struct tparse *tp)
{
	const char	*start;

	tp_space(tp);
	start = tp->p;
	while (is_ident((unsigned char)*tp->p) || *tp->p == '.' ||
	    *tp->p == '$')
		tp->p++;
	if (tp->p == start) {
		tp_fail(tp, "expected a type at '%.20s'", tp->p);
		return (NULL);
	}
	return (xstrndup(start, tp->p - start));
}

static int
short_class_kind(const char *name, enum cqltype_kind *k)
{
	size_t	i;

	if (strncmp(name, MARSHAL_PREFIX, strlen(MARSHAL_PREFIX)) == 0)
		name += strlen(MARSHAL_PREFIX);
	if (strcmp(name, "DateType") == 0) {
		*k = CQLTYPE_TIMESTAMP;
		return (0);
	}
	if (strcmp(name, "LexicalUUIDType") == 0) {
		*k = CQLTYPE_UUID;
		return (0);
	}
	for (i = 0; i < nitems(kinds); i++) {
		if (kinds[i].class != NULL &&
		    strcmp(kinds[i].class, name) == 0) {
			*k = kinds[i].kind;
			return (0);
		}
	}
	return (-1);
}

/* Skip balanced parentheses starting at '(' (for unknown classes). */
static void
tp_skip_params(struct tparse *tp)
{
	int	level = 0;

	do {
		if (*tp->p == '(')
			level++;
		else if (*tp->p == ')')
			level--;
		else if (*tp->p == '\0') {
			tp_fail(tp, "unbalanced parentheses");
			return;
		}
		tp->p++;
	} while (level > 0);
}

static int
unhex(const char *h, size_t n, char **out)
{
	char	*s;
	size_t	 i;
	int	 hi, lo;

	if (n % 2 != 0)
		return (-1);
	s = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		hi = isdigit((unsigned char)h[2 * i]) ? h[2 * i] - '0' :
		    (tolower((unsigned char)h[2 * i]) - 'a' + 10);
		lo = isdigit((unsigned char)h[2 * i + 1]) ? h[2 * i + 1] - '0' :
		    (tolower((unsigned char)h[2 * i + 1]) - 'a' + 10);
		if (!isxdigit((unsigned char)h[2 * i]) ||
		    !isxdigit((unsigned char)h[2 * i + 1]) || (hi << 4 | lo) == 0) {
			free(s);
			return (-1);
		}
		s[i] = (char)(hi << 4 | lo);
	}
	s[n / 2] = '\0';
	*out = s;
	return (0);
}

static struct cqltype *class_parse(struct tparse *);

/* UserType(ks,hexname,hexfield:type,...) after the '('. */
static struct cqltype *
class_parse_udt(struct tparse *tp)
{
	struct cqltype	*t = NULL, *sub;
	char		*ks = NULL, *hname = NULL, *name = NULL, *fname;
	const char	*colon;

	if ((ks = tp_class_word(tp)) == NULL || tp_expect(tp, ',') != 0 ||
	    (hname = tp_class_word(tp)) == NULL)
		goto fail;
	if (unhex(hname, strlen(hname), &name) != 0) {
		tp_fail(tp, "bad UserType name %s", hname);
		goto fail;
	}
	t = cqltype_new_udt(ks, name);
	while (tp_accept(tp, ',')) {
		tp_space(tp);
		if ((colon = strchr(tp->p, ':')) == NULL) {
			tp_fail(tp, "expected field:type");
			goto fail;
		}
		if (unhex(tp->p, colon - tp->p, &fname) != 0) {
			tp_fail(tp, "bad UserType field name");
			goto fail;
		}
		tp->p = colon + 1;
		if (t->n >= CQLTYPE_MAX_FIELDS ||
		    (sub = class_parse(tp)) == NULL) {
			tp_fail(tp, "too many fields");
			free(fname);
			goto fail;
		}
		cqltype_add(t, fname, sub);
		free(fname);
	}
	if (tp_expect(tp, ')') != 0)
		goto fail;
	free(ks);
	free(hname);
	free(name);
	return (t);
fail:
	free(ks);
	free(hname);
	free(name);
	cqltype_free(t);
	return (NULL);
}

/* One Java marshal class name, possibly parameterised. */
static struct cqltype *
class_parse(struct tparse *tp)
{
	struct cqltype		*t = NULL, *sub;
	enum cqltype_kind	 k;
	char			*word;
	const char		*start, *end;
	long			 dim;
	char			*ep;
	size_t			 want;

	if (++tp->depth > CQLTYPE_MAX_DEPTH) {
		tp_fail(tp, "type nested too deeply");
		return (NULL);
	}
	tp_space(tp);
	start = tp->p;
	if ((word = tp_class_word(tp)) == NULL)
		return (NULL);
	if (strcmp(word, MARSHAL_PREFIX "FrozenType") == 0 ||
	    strcmp(word, "FrozenType") == 0 ||
	    strcmp(word, MARSHAL_PREFIX "ReversedType") == 0 ||
	    strcmp(word, "ReversedType") == 0) {
		if (tp_expect(tp, '(') != 0 || (t = class_parse(tp)) == NULL)
			goto fail;
		if (tp_expect(tp, ')') != 0)
			goto fail;
		if (strstr(word, "FrozenType") != NULL && !is_scalar(t->kind))
			t->frozen = 1;
		goto done;
	}
	if (short_class_kind(word, &k) != 0 || k == CQLTYPE_CUSTOM) {
		/* Unknown: keep the whole text, parameters included. */
		tp_space(tp);
		if (*tp->p == '(')
			tp_skip_params(tp);
		end = tp->p;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		t = cqltype_new(CQLTYPE_CUSTOM);
		t->custom = xstrndup(start, end - start);
		goto done;
	}
	if (k == CQLTYPE_UDT) {
		if (tp_expect(tp, '(') != 0)
			goto fail;
		t = class_parse_udt(tp);
		goto done;
	}
	t = cqltype_new(k);
	if (is_scalar(k))
		goto done;
	if (tp_expect(tp, '(') != 0)
		goto fail;
	want = k == CQLTYPE_MAP ? 2 : (k == CQLTYPE_TUPLE ? 0 : 1);
	do {
		if (t->n >= CQLTYPE_MAX_FIELDS) {
			tp_fail(tp, "too many elements");
			goto fail;
		}
		if ((sub = class_parse(tp)) == NULL)
			goto fail;
		cqltype_add(t, NULL, sub);
		if (k == CQLTYPE_VECTOR) {
			if (tp_expect(tp, ',') != 0)
				goto fail;
			tp_space(tp);
			errno = 0;
			dim = strtol(tp->p, &ep, 10);
			if (ep == tp->p || errno != 0 || dim < 1 ||
			    dim > CQLTYPE_MAX_DIMENSION) {
				tp_fail(tp, "bad vector dimension");
				goto fail;
			}
			t->dimension = (uint32_t)dim;
			tp->p = ep;
			break;
		}
	} while (tp_accept(tp, ','));
	if (tp_expect(tp, ')') != 0)
		goto fail;
	if (want != 0 && t->n != want) {
		tp_fail(tp, "wrong number of parameters for %s", word);
		goto fail;
	}
done:
	free(word);
	tp->depth--;
	return (t);
fail:
	free(word);
	cqltype_free(t);
	return (NULL);
}

/*
 * CQL text.
 */

/* An identifier: unquoted (lower-cased) or "quoted" ("" escapes a quote). */
static char *
tp_ident(struct tparse *tp)
{
	struct wbuf	 w;
	const char	*start;
	char		*s;

	tp_space(tp);
	if (*tp->p == '"') {
		wbuf_init(&w, 65536);
		tp->p++;
		for (;;) {
			if (*tp->p == '\0') {
				wbuf_free(&w);
				tp_fail(tp, "unterminated quoted name");
				return (NULL);
			}
			if (*tp->p == '"') {
				if (tp->p[1] != '"')
					break;
				tp->p++;
			}
			wbuf_u8(&w, (uint8_t)*tp->p++);
		}
		tp->p++;
		return (sb_finish(&w));
	}
	start = tp->p;
	while (is_ident((unsigned char)*tp->p))
		tp->p++;
	if (tp->p == start) {
		tp_fail(tp, "expected a type at '%.20s'", tp->p);
		return (NULL);
	}
	s = xstrndup(start, tp->p - start);
	for (start = s; *start != '\0'; start++)
		*(char *)start = tolower((unsigned char)*start);
	return (s);
}

static struct cqltype *cql_parse(struct tparse *);
static struct cqltype *cql_parse_vector(struct tparse *);
static int looks_like_class(const char *);

/* Children of name<...> after the '<' (n < 0: any number). */
static int
cql_parse_args(struct tparse *tp, struct cqltype *t, int n)
{
	struct cqltype	*sub;

	do {
		if (t->n >= CQLTYPE_MAX_FIELDS) {
			tp_fail(tp, "too many elements");
			return (-1);
		}
		if ((sub = cql_parse(tp)) == NULL)
			return (-1);
		cqltype_add(t, NULL, sub);
	} while ((n < 0 || (int)t->n < n) && tp_accept(tp, ','));
	if (n >= 0 && (int)t->n != n) {
		tp_fail(tp, "wrong number of arguments for %s",
		    cqltype_kind_name(t->kind));
		return (-1);
	}
	return (tp_expect(tp, '>'));
}

static struct cqltype *
cql_parse(struct tparse *tp)
{
	struct cqltype	*t = NULL;
	char		*word = NULL, *name;
	const char	*save;
	size_t		 i;
	int		 quoted;

	if (++tp->depth > CQLTYPE_MAX_DEPTH) {
		tp_fail(tp, "type nested too deeply");
		return (NULL);
	}
	tp_space(tp);
	if (*tp->p == '\'') {
		/* 'custom.Class' */
		save = ++tp->p;
		while (*tp->p != '\0' && *tp->p != '\'')
			tp->p++;
		if (*tp->p != '\'') {
			tp_fail(tp, "unterminated custom type");
			return (NULL);
		}
		word = xstrndup(save, tp->p - save);
		tp->p++;
		t = looks_like_class(word) ? cqltype_parse(word, NULL) : NULL;
		if (t == NULL)
			t = cqltype_new_custom(word);
		free(word);
		word = NULL;
		goto done;
	}
	quoted = *tp->p == '"';
	if ((word = tp_ident(tp)) == NULL)
		return (NULL);
	if (!quoted) {
		for (i = 0; i < nitems(kinds); i++) {
			if (is_scalar(kinds[i].kind) &&
			    strcmp(kinds[i].name, word) == 0) {
				t = cqltype_new(kinds[i].kind);
				goto done;
			}
		}
		if (strcmp(word, "varchar") == 0) {
			t = cqltype_new(CQLTYPE_TEXT);
			goto done;
		}
		save = tp->p;
		if (tp_accept(tp, '<')) {
			if (strcmp(word, "frozen") == 0) {
				if ((t = cql_parse(tp)) == NULL)
					goto fail;
				if (tp_expect(tp, '>') != 0)
					goto fail;
				if (is_scalar(t->kind) ||
				    t->kind == CQLTYPE_CUSTOM) {
					tp_fail(tp, "frozen<> is only allowed on"
					    " collections, tuples, and "
					    "user-defined types");
					goto fail;
				}
				t->frozen = 1;
				goto done;
			}
			if (strcmp(word, "list") == 0)
				t = cqltype_new(CQLTYPE_LIST);
			else if (strcmp(word, "set") == 0)
				t = cqltype_new(CQLTYPE_SET);
			else if (strcmp(word, "map") == 0)
				t = cqltype_new(CQLTYPE_MAP);
			else if (strcmp(word, "tuple") == 0)
				t = cqltype_new(CQLTYPE_TUPLE);
			else if (strcmp(word, "vector") == 0) {
				t = cql_parse_vector(tp);
				goto done;
			} else {
				tp_fail(tp, "unknown type %s", word);
				goto fail;
			}
			if (cql_parse_args(tp, t, t->kind == CQLTYPE_MAP ? 2 :
			    (t->kind == CQLTYPE_TUPLE ? -1 : 1)) != 0)
				goto fail;
			goto done;
		}
		tp->p = save;
	}
	/* A user type name, maybe keyspace-qualified. */
	if (tp_accept(tp, '.')) {
		if ((name = tp_ident(tp)) == NULL)
			goto fail;
		t = cqltype_new_udt(word, name);
		free(name);
	} else {
		t = cqltype_new(CQLTYPE_UDT);
		t->name = word;
		word = NULL;
	}
done:
	free(word);
	tp->depth--;
	return (t);
fail:
	free(word);
	cqltype_free(t);
	return (NULL);
}

/* vector<elem, N>: parsed by hand as the dimension is not a type. */
static struct cqltype *
cql_parse_vector(struct tparse *tp)
{
	struct cqltype	*t, *sub;
	long		 dim;
	char		*ep;

	if ((sub = cql_parse(tp)) == NULL)
		return (NULL);
	t = cqltype_new_vector(sub, 0);
	if (tp_expect(tp, ',') != 0)
		goto fail;
	tp_space(tp);
	errno = 0;
	dim = strtol(tp->p, &ep, 10);
	if (ep == tp->p || errno != 0 || dim < 1 ||
	    dim > CQLTYPE_MAX_DIMENSION) {
		tp_fail(tp, "bad vector dimension");
		goto fail;
	}
	tp->p = ep;
	t->dimension = (uint32_t)dim;
	if (tp_expect(tp, '>') != 0)
		goto fail;
	return (t);
fail:
	cqltype_free(t);
	return (NULL);
}

/* Whether text names a Java class rather than a CQL type. */
static int
looks_like_class(const char *s)
{
	const char		*p;
	enum cqltype_kind	 k;
	char			*word;
	size_t			 n, dots = 0;
	int			 r;

	while (isspace((unsigned char)*s))
		s++;
	for (p = s; is_ident((unsigned char)*p) || *p == '.' || *p == '$';
	    p++) {
		if (*p == '.')
			dots++;
	}
	n = p - s;
	if (dots >= 2 || (n > 0 && *p == '('))
		return (1);
	word = xstrndup(s, n);
	r = short_class_kind(word, &k) == 0 || strcmp(word, "FrozenType") == 0 ||
	    strcmp(word, "ReversedType") == 0;
	free(word);
	return (r);
}

struct cqltype *
cqltype_parse(const char *s, char **errp)
{
	struct tparse	 tp;
	struct cqltype	*t;

	memset(&tp, 0, sizeof tp);
	tp.s = tp.p = s;
	if (looks_like_class(s))
		t = class_parse(&tp);
	else
		t = cql_parse(&tp);
	if (t != NULL) {
		tp_space(&tp);
		if (*tp.p != '\0') {
			tp_fail(&tp, "unexpected '%.20s' after the type", tp.p);
			cqltype_free(t);
			t = NULL;
		}
	}
	if (t == NULL && tp.err == NULL)
		tp_fail(&tp, "invalid type");
	if (errp != NULL)
		*errp = tp.err;
	else
		free(tp.err);
	return (t);
}

/* Cassandra quotes names that are not plain lower-case identifiers. */
static void
format_name(struct wbuf *w, const char *s)
{
	const char	*p;
	int		 plain = s[0] != '\0' && islower((unsigned char)s[0]);

	for (p = s; *p != '\0' && plain; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '_')
			plain = 0;
	}
	if (plain) {
		sb_str(w, s);
		return;
	}
	wbuf_u8(w, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			wbuf_u8(w, '"');
		wbuf_u8(w, (uint8_t)*p);
	}
	wbuf_u8(w, '"');
}

static void
format_write(struct wbuf *w, const struct cqltype *t)
{
	size_t	i;
	char	num[16];
	int	frozen = t->frozen && !is_scalar(t->kind) &&
	    t->kind != CQLTYPE_CUSTOM && t->kind != CQLTYPE_VECTOR;

	if (frozen)
		sb_str(w, "frozen<");
	switch (t->kind) {
	case CQLTYPE_CUSTOM:
		wbuf_u8(w, '\'');
		sb_str(w, t->custom == NULL ? "" : t->custom);
		wbuf_u8(w, '\'');
		break;
	case CQLTYPE_UDT:
		format_name(w, t->name == NULL ? "" : t->name);
		break;
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
	case CQLTYPE_TUPLE:
	case CQLTYPE_VECTOR:
		sb_str(w, cqltype_kind_name(t->kind));
		wbuf_u8(w, '<');
		for (i = 0; i < t->n; i++) {
			if (i > 0)
				sb_str(w, ", ");
			format_write(w, t->sub[i]);
		}
		if (t->kind == CQLTYPE_VECTOR) {
			snprintf(num, sizeof num, ", %u", t->dimension);
			sb_str(w, num);
		}
		wbuf_u8(w, '>');
		break;
	default:
		sb_str(w, cqltype_kind_name(t->kind));
		break;
	}
	if (frozen)
		wbuf_u8(w, '>');
}

char *
cqltype_format(const struct cqltype *t)
{
	struct wbuf	w;

	wbuf_init(&w, 1024 * 1024);
	format_write(&w, t);
	return (sb_finish(&w));
}

/*
 * The wire [option].
 */

static struct cqltype *
option_read(struct rbuf *r, uint8_t version, int depth)
{
	struct cqltype	*t = NULL, *sub;
	uint16_t	 id, n, i;
	struct slice	 s;
	char		*class, *err = NULL, *fname;

	if (depth > CQLTYPE_MAX_DEPTH) {
		rbuf_fail(r, "type nested too deeply");
		return (NULL);
	}
	id = rbuf_u16(r);
	if (!rbuf_ok(r))
		return (NULL);
	switch (id) {
	case CQLTYPE_CUSTOM:
		s = rbuf_string(r);
		if (!rbuf_ok(r))
			return (NULL);
		class = slice_dup(s);
		t = NULL;
		if (looks_like_class(class))
			t = cqltype_parse(class, &err);
		free(err);
		if (t == NULL)
			t = cqltype_new_custom(class);
		free(class);
		return (t);
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
		if ((sub = option_read(r, version, depth + 1)) == NULL)
			return (NULL);
		return (cqltype_new_one(id, sub));
	case CQLTYPE_MAP:
		t = cqltype_new(CQLTYPE_MAP);
		for (i = 0; i < 2; i++) {
			if ((sub = option_read(r, version, depth + 1)) == NULL)
				goto fail;
			cqltype_add(t, NULL, sub);
		}
		return (t);
	case CQLTYPE_UDT:
		t = cqltype_new(CQLTYPE_UDT);
		t->keyspace = slice_dup(rbuf_string(r));
		t->name = slice_dup(rbuf_string(r));
		n = rbuf_u16(r);
		if (!rbuf_ok(r))
			goto fail;
		if (n > CQLTYPE_MAX_FIELDS) {
			rbuf_fail(r, "too many UDT fields");
			goto fail;
		}
		for (i = 0; i < n; i++) {
			s = rbuf_string(r);
			if (!rbuf_ok(r))
				goto fail;
			if ((sub = option_read(r, version, depth + 1)) == NULL)
				goto fail;
			fname = slice_dup(s);
			cqltype_add(t, fname, sub);
			free(fname);
		}
		return (t);
	case CQLTYPE_TUPLE:
		t = cqltype_new(CQLTYPE_TUPLE);
		n = rbuf_u16(r);
		if (!rbuf_ok(r))
			goto fail;
		if (n > CQLTYPE_MAX_FIELDS) {
			rbuf_fail(r, "too many tuple elements");
			goto fail;
		}
		for (i = 0; i < n; i++) {
			if ((sub = option_read(r, version, depth + 1)) == NULL)
				goto fail;
			cqltype_add(t, NULL, sub);
		}
		return (t);
	case 0x000A:	/* text in v1/v2, same as varchar */
		return (cqltype_new(CQLTYPE_TEXT));
	default:
		if (id == CQLTYPE_VECTOR || !is_scalar(id)) {
			rbuf_fail(r, "unknown type id");
			return (NULL);
		}
		return (cqltype_new(id));
	}
fail:
	if (rbuf_ok(r))
		rbuf_fail(r, "invalid type");
	cqltype_free(t);
	return (NULL);
}

struct cqltype *
cqltype_read(struct rbuf *r, uint8_t version)
{
	return (option_read(r, version, 0));
}

void
cqltype_write(struct wbuf *w, uint8_t version, const struct cqltype *t)
{
	char	*class;
	size_t	 i;

	switch (t->kind) {
	case CQLTYPE_CUSTOM:
	case CQLTYPE_VECTOR:
		class = cqltype_class_name(t);
		wbuf_u16(w, CQLTYPE_CUSTOM);
		wbuf_string(w, class);
		free(class);
		return;
	case CQLTYPE_DURATION:
		if (version < 5) {
			wbuf_u16(w, CQLTYPE_CUSTOM);
			wbuf_string(w, MARSHAL_PREFIX "DurationType");
			return;
		}
		break;
	default:
		break;
	}
	wbuf_u16(w, (uint16_t)t->kind);
	switch (t->kind) {
	case CQLTYPE_LIST:
	case CQLTYPE_SET:
	case CQLTYPE_MAP:
		for (i = 0; i < t->n; i++)
			cqltype_write(w, version, t->sub[i]);
		break;
	case CQLTYPE_UDT:
		wbuf_string(w, t->keyspace == NULL ? "" : t->keyspace);
		wbuf_string(w, t->name == NULL ? "" : t->name);
		wbuf_u16(w, (uint16_t)t->n);
		for (i = 0; i < t->n; i++) {
			wbuf_string(w, t->fields[i]);
			cqltype_write(w, version, t->sub[i]);
		}
		break;
	case CQLTYPE_TUPLE:
		wbuf_u16(w, (uint16_t)t->n);
		for (i = 0; i < t->n; i++)
			cqltype_write(w, version, t->sub[i]);
		break;
	default:
		break;
	}
}
