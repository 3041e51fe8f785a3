/*
 * json.c: the library's JSON reader.  jansson cannot keep a varint or a
 * decimal exactly (integers beyond 64 bits fail to load, long fractions
 * are rounded to doubles), so answers are read here instead: every node
 * keeps its exact text, strings are decoded, and all nodes of one
 * document live in a few arena chunks freed together.  The input is the
 * daemon's, but it is still read with every access bounds-checked and the
 * nesting depth capped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cqlp-int.h"

struct jchunk {
	struct jchunk	*next;
	size_t		 used;
	size_t		 cap;
	unsigned char	 data[];
};

struct jparser {
	struct jdoc	*doc;
	const char	*p;
	const char	*end;
	struct jnode	*stack;		/* children of open containers */
	size_t		 nstack;
	size_t		 capstack;
	int		 depth;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static int	parse_value(struct jparser *, struct jnode *);

/* A bump allocation from the document's chunks (16-byte aligned). */
static void *
arena_alloc(struct jdoc *doc, size_t n)
{
	struct jchunk	*c = doc->chunks;
	size_t		 cap;
	void		*p;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > 65536 ? n : 65536;
		if ((c = malloc(sizeof *c + cap)) == NULL)
			return (NULL);
		c->used = 0;
		c->cap = cap;
		c->next = doc->chunks;
		doc->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return (p);
}

static int
fail(struct jparser *jp, const char *fmt, ...)
{
	va_list	ap;

	if (jp->failed)
		return (-1);
	jp->failed = 1;
	if (jp->err != NULL && jp->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(jp->err, jp->errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

static void
skip_ws(struct jparser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static int
push(struct jparser *jp, const struct jnode *n)
{
	struct jnode	*s;
	size_t		 cap;

	if (jp->nstack == jp->capstack) {
		cap = jp->capstack == 0 ? 64 : jp->capstack * 2;
		if ((s = realloc(jp->stack, cap * sizeof *s)) == NULL)
			return (fail(jp, "out of memory"));
		jp->stack = s;
		jp->capstack = cap;
	}
	jp->stack[jp->nstack++] = *n;
	return (0);
}

/* Move the children above mark from the stack into the arena. */
static int
pop_kids(struct jparser *jp, size_t mark, struct jnode *out)
{
	out->n = jp->nstack - mark;
	out->kids = NULL;
	if (out->n != 0) {
		out->kids = arena_alloc(jp->doc, out->n * sizeof *out->kids);
		if (out->kids == NULL)
			return (fail(jp, "out of memory"));
		memcpy(out->kids, jp->stack + mark, out->n * sizeof *out->kids);
	}
	jp->nstack = mark;
	return (0);
}

static int
hex4(const char *p, unsigned *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			*v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			*v |= (unsigned)(p[i] - 'A' + 10);
		else
			return (-1);
	}
	return (0);
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/*
 * A string at jp->p (on the opening quote).  The decoded form is never
 * longer than the text, so one allocation of the text's size holds it.
 */
static int
parse_string(struct jparser *jp, const char **out, size_t *outlen)
{
	const char	*s = jp->p + 1, *q;
	char		*o, *d;
	unsigned	 cp, lo;

	for (q = s; q < jp->end && *q != '"'; q++) {
		if ((unsigned char)*q < 0x20)
			return (fail(jp, "control character in string"));
		if (*q == '\\' && ++q == jp->end)
			break;
	}
	if (q >= jp->end)
		return (fail(jp, "unterminated string"));
	if ((o = arena_alloc(jp->doc, (size_t)(q - s) + 1)) == NULL)
		return (fail(jp, "out of memory"));
	for (d = o; s < q; ) {
		if (*s != '\\') {
			*d++ = *s++;
			continue;
		}
		s++;
		switch (*s++) {
		case '"':
			*d++ = '"';
			break;
		case '\\':
			*d++ = '\\';
			break;
		case '/':
			*d++ = '/';
			break;
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'u':
			if (q - s < 4 || hex4(s, &cp) != 0)
				return (fail(jp, "bad \\u escape"));
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return (fail(jp, "lone low surrogate"));
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (q - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				    hex4(s + 2, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return (fail(jp, "lone high surrogate"));
				s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			d += put_utf8(d, cp);
			break;
		default:
			return (fail(jp, "bad escape in string"));
		}
	}
	*d = '\0';
	*out = o;
	*outlen = (size_t)(d - o);
	jp->p = q + 1;
	return (0);
}

static int
digits(struct jparser *jp)
{
	const char	*s = jp->p;

	while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
		jp->p++;
	return (jp->p == s ? fail(jp, "bad number") : 0);
}

/* A number by JSON's grammar; its value stays text (raw). */
static int
parse_number(struct jparser *jp)
{
	if (*jp->p == '-')
		jp->p++;
	if (jp->p < jp->end && *jp->p == '0')
		jp->p++;
	else if (digits(jp) != 0)
		return (-1);
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		if (digits(jp) != 0)
			return (-1);
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (digits(jp) != 0)
			return (-1);
	}
	return (0);
}

static int
parse_literal(struct jparser *jp, const char *word, enum jtype t,
    struct jnode *out)
{
	size_t	n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return (fail(jp, "unexpected character"));
	jp->p += n;
	out->type = t;
	return (0);
}

static int
parse_container(struct jparser *jp, struct jnode *out, int object)
{
	struct jnode	 kid;
	size_t		 mark = jp->nstack;
	const char	*key = NULL;
	size_t		 keylen = 0;
	char		 close = object ? '}' : ']';

	if (++jp->depth > CQLP_MAX_DEPTH)
		return (fail(jp, "nested too deeply"));
	out->type = object ? J_OBJECT : J_ARRAY;
	jp->p++;
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		jp->depth--;
		return (pop_kids(jp, mark, out));
	}
	for (;;) {
		skip_ws(jp);
		if (object) {
			if (jp->p >= jp->end || *jp->p != '"')
				return (fail(jp, "expected a member name"));
			if (parse_string(jp, &key, &keylen) != 0)
				return (-1);
			skip_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':')
				return (fail(jp, "expected ':'"));
			jp->p++;
		}
		if (parse_value(jp, &kid) != 0)
			return (-1);
		kid.key = key;
		kid.keylen = keylen;
		if (push(jp, &kid) != 0)
			return (-1);
		skip_ws(jp);
		if (jp->p >= jp->end)
			return (fail(jp, "unterminated %s",
			    object ? "object" : "array"));
		if (*jp->p == close)
			break;
		if (*jp->p != ',')
			return (fail(jp, "expected ',' or '%c'", close));
		jp->p++;
	}
	jp->p++;
	jp->depth--;
	return (pop_kids(jp, mark, out));
}

static int
parse_value(struct jparser *jp, struct jnode *out)
{
	const char	*start;
	int		 rv;

	memset(out, 0, sizeof *out);
	skip_ws(jp);
	if (jp->p >= jp->end)
		return (fail(jp, "unexpected end of text"));
	start = jp->p;
	switch (*jp->p) {
	case '{':
		rv = parse_container(jp, out, 1);
		break;
	case '[':
		rv = parse_container(jp, out, 0);
		break;
	case '"':
		out->type = J_STRING;
		rv = parse_string(jp, &out->str, &out->slen);
		break;
	case 't':
		rv = parse_literal(jp, "true", J_TRUE, out);
		break;
	case 'f':
		rv = parse_literal(jp, "false", J_FALSE, out);
		break;
	case 'n':
		rv = parse_literal(jp, "null", J_NULL, out);
		break;
	default:
		if (*jp->p != '-' && (*jp->p < '0' || *jp->p > '9'))
			return (fail(jp, "unexpected character '%c'", *jp->p));
		out->type = J_NUMBER;
		rv = parse_number(jp);
		break;
	}
	if (rv != 0)
		return (-1);
	out->raw = start;
	out->rawlen = (size_t)(jp->p - start);
	return (0);
}

static void
chunks_free(struct jdoc *doc)
{
	struct jchunk	*c, *next;

	for (c = doc->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	doc->chunks = NULL;
}

/* Parse text (not taken) into doc's nodes. */
static int
parse_text(struct jdoc *doc, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct jparser	 jp;
	struct jnode	 root;
	int		 rv;

	memset(&jp, 0, sizeof jp);
	jp.doc = doc;
	jp.p = text;
	jp.end = text + len;
	jp.err = err;
	jp.errlen = errlen;
	doc->root = NULL;
	rv = parse_value(&jp, &root);
	if (rv == 0) {
		skip_ws(&jp);
		if (jp.p != jp.end)
			rv = fail(&jp, "text after the value");
	}
	if (rv == 0) {
		if ((doc->root = arena_alloc(doc, sizeof root)) == NULL)
			rv = fail(&jp, "out of memory");
		else
			*doc->root = root;
	}
	free(jp.stack);
	return (rv);
}

int
jdoc_parse(struct jdoc *doc, char *text, size_t len, char *err,
    size_t errlen)
{
	memset(doc, 0, sizeof *doc);
	doc->text = text;
	doc->len = len;
	if (parse_text(doc, text, len, err, errlen) != 0) {
		chunks_free(doc);
		return (-1);
	}
	return (0);
}

void
jdoc_free(struct jdoc *doc)
{
	chunks_free(doc);
	free(doc->text);
	memset(doc, 0, sizeof *doc);
}

int
json_valid(const char *text, size_t len, int want)
{
	struct jdoc	doc;
	int		ok;

	memset(&doc, 0, sizeof doc);
	ok = parse_text(&doc, text, len, NULL, 0) == 0 &&
	    (want < 0 || doc.root->type == (enum jtype)want);
	chunks_free(&doc);
	return (ok);
}

const struct jnode *
jnode_get(const struct jnode *obj, const char *key)
{
	size_t	i, n;

	if (obj == NULL || obj->type != J_OBJECT)
		return (NULL);
	n = strlen(key);
	for (i = 0; i < obj->n; i++) {
		if (obj->kids[i].keylen == n &&
		    memcmp(obj->kids[i].key, key, n) == 0)
			return (&obj->kids[i]);
	}
	return (NULL);
}

const char *
jnode_str(const struct jnode *n)
{
	return (n != NULL && n->type == J_STRING ? n->str : NULL);
}
