/*
 * lexer.c: CQL text to tokens. Keywords are not told apart here (the
 * parser compares folded identifiers), so the lexer stays small: quoting,
 * escapes, numbers, uuids, blobs, durations, comments and punctuation.
 */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "util.h"
#include "engine.h"

/* Where an offset is, as "line L:C" the way Cassandra's ANTLR reports. */
static void
lex_position(const char *src, size_t off, int *line, int *col)
{
	size_t	i;

	*line = 1;
	*col = 0;
	for (i = 0; i < off && src[i] != '\0'; i++) {
		if (src[i] == '\n') {
			(*line)++;
			*col = 0;
		} else
			(*col)++;
	}
}

static int
lex_error(const char *src, size_t off, char **err, const char *what)
{
	int	line, col;

	lex_position(src, off, &line, &col);
	xasprintf(err, "line %d:%d %s", line, col, what);
	return (-1);
}

static int
is_ident_start(int c)
{
	return (isalpha(c) || c == '_');
}

static int
is_ident_char(int c)
{
	return (isalnum(c) || c == '_');
}

/* 8-4-4-4-12 hex digits, not followed by an identifier character. */
static int
lex_is_uuid(const char *s)
{
	int	i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!isxdigit((unsigned char)s[i]))
			return (0);
	}
	return (!is_ident_char((unsigned char)s[36]));
}

/* Length of a duration literal like 1h30m or P1DT2H, 0 if none here. */
static size_t
lex_duration_len(const char *s)
{
	static const char	*units[] = { "mo", "ms", "us", "ns", "y", "w",
	    "d", "h", "m", "s" };
	size_t			 i = 0, k, n, any = 0;

	if (s[0] == 'P' || s[0] == 'p') {
		i = 1;
		while (isalnum((unsigned char)s[i]))
			i++;
		return (i > 1 ? i : 0);
	}
	for (;;) {
		n = i;
		while (isdigit((unsigned char)s[n]))
			n++;
		if (n == i)
			break;
		for (k = 0; k < nitems(units); k++) {
			if (strncasecmp(s + n, units[k], strlen(units[k])) == 0)
				break;
		}
		if (k == nitems(units)) {
			/* "µs" */
			if ((unsigned char)s[n] == 0xc2 &&
			    (unsigned char)s[n + 1] == 0xb5 && s[n + 2] == 's')
				n += 3;
			else
				break;
		} else
			n += strlen(units[k]);
		i = n;
		any = 1;
	}
	if (!any || is_ident_char((unsigned char)s[i]))
		return (0);
	return (i);
}

/*
 * parse_statement_n() hands us NUL bytes as 0xff (never valid UTF-8):
 * inside a string literal they become NUL again. Returns the length.
 */
static size_t
lex_unmask(char *s)
{
	size_t	n = strlen(s), i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] == 0xff)
			s[i] = '\0';
	}
	return (n);
}

static struct token *
lex_push(struct arena *a, struct tokens *out, enum tok_type type,
    const char *text, size_t textlen, size_t off, size_t len)
{
	struct token	*t;

	out->v = arena_push(a, out->v, &out->n, sizeof *out->v);
	t = &out->v[out->n - 1];
	t->type = type;
	t->text = arena_strndup(a, text, textlen);
	t->tlen = textlen;
	t->off = off;
	t->len = len;
	return (t);
}

/* Read a quoted run ending at q (doubled q escapes it). */
static int
lex_quoted(struct arena *a, const char *src, size_t *i, char q, char **text)
{
	size_t	 start = *i + 1, j, k;
	char	*p;

	for (j = start; src[j] != '\0'; j++) {
		if (src[j] == q) {
			if (src[j + 1] == q) {
				j++;
				continue;
			}
			break;
		}
	}
	if (src[j] == '\0')
		return (-1);
	p = arena_alloc(a, j - start + 1);
	for (k = 0; start < j; start++) {
		p[k++] = src[start];
		if (src[start] == q)
			start++;
	}
	p[k] = '\0';
	*text = p;
	*i = j + 1;
	return (0);
}

int
lex_run(struct arena *a, const char *src, struct tokens *out, char **err)
{
	static const char	*puncts2[] = { "<=", ">=", "!=", "+=", "-=" };
	size_t			 i = 0, j, k, n;
	char			*text, c;
	struct token		*t;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		if (out->n >= ENGINE_MAX_TOKENS)
			return (lex_error(src, i, err, "statement too long"));
		c = src[i];
		if (c == '\0')
			break;
		if (isspace((unsigned char)c)) {
			i++;
			continue;
		}
		if ((c == '-' && src[i + 1] == '-') ||
		    (c == '/' && src[i + 1] == '/')) {
			while (src[i] != '\0' && src[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && src[i + 1] == '*') {
			j = i + 2;
			while (src[j] != '\0' &&
			    !(src[j] == '*' && src[j + 1] == '/'))
				j++;
			if (src[j] == '\0')
				return (lex_error(src, i, err,
				    "mismatched character '<EOF>' expecting '*'"));
			i = j + 2;
			continue;
		}
		if (c == '\'') {
			j = i;
			if (lex_quoted(a, src, &j, '\'', &text) != 0)
				return (lex_error(src, i, err,
				    "mismatched character '<EOF>' expecting '''"));
			t = lex_push(a, out, TK_STRING, "", 0, i, j - i);
			t->text = text;
			t->tlen = lex_unmask(text);
			i = j;
			continue;
		}
		if (c == '"') {
			j = i;
			if (lex_quoted(a, src, &j, '"', &text) != 0)
				return (lex_error(src, i, err,
				    "mismatched character '<EOF>' expecting '\"'"));
			if (*text == '\0')
				return (lex_error(src, i, err,
				    "no viable alternative at input '\"\"'"));
			t = lex_push(a, out, TK_QIDENT, "", 0, i, j - i);
			t->text = text;
			i = j;
			continue;
		}
		if (c == '$' && src[i + 1] == '$') {
			const char *end = strstr(src + i + 2, "$$");

			if (end == NULL)
				return (lex_error(src, i, err,
				    "mismatched character '<EOF>' expecting '$'"));
			t = lex_push(a, out, TK_STRING, src + i + 2,
			    end - (src + i + 2), i, end + 2 - (src + i));
			t->tlen = lex_unmask(t->text);
			i = end + 2 - src;
			continue;
		}
		if (lex_is_uuid(src + i)) {
			t = lex_push(a, out, TK_UUID, src + i, 36, i, 36);
			for (k = 0; k < 36; k++)
				t->text[k] = tolower((unsigned char)t->text[k]);
			i += 36;
			continue;
		}
		if (c == '0' && (src[i + 1] == 'x' || src[i + 1] == 'X')) {
			j = i + 2;
			while (isxdigit((unsigned char)src[j]))
				j++;
			if (is_ident_char((unsigned char)src[j]))
				return (lex_error(src, i, err,
				    "no viable alternative at input '0x'"));
			t = lex_push(a, out, TK_HEX, src + i, j - i, i, j - i);
			t->text[1] = 'x';
			i = j;
			continue;
		}
		if (isdigit((unsigned char)c) || (c == '-' &&
		    (isdigit((unsigned char)src[i + 1]) ||
		    (src[i + 1] == '.' && isdigit((unsigned char)src[i + 2]))))) {
			enum tok_type	type = TK_INTEGER;

			if ((n = lex_duration_len(src + i +
			    (c == '-'))) != 0) {
				n += (c == '-');
				lex_push(a, out, TK_DURATION, src + i, n, i, n);
				i += n;
				continue;
			}
			j = i + 1;
			while (isdigit((unsigned char)src[j]))
				j++;
			if (src[j] == '.' && isdigit((unsigned char)src[j + 1])) {
				type = TK_FLOAT;
				j++;
				while (isdigit((unsigned char)src[j]))
					j++;
			}
			if ((src[j] == 'e' || src[j] == 'E') &&
			    (isdigit((unsigned char)src[j + 1]) ||
			    ((src[j + 1] == '-' || src[j + 1] == '+') &&
			    isdigit((unsigned char)src[j + 2])))) {
				type = TK_FLOAT;
				j += 2;
				while (isdigit((unsigned char)src[j]))
					j++;
			}
			if (is_ident_char((unsigned char)src[j]))
				return (lex_error(src, j, err,
				    "no viable alternative at input"));
			lex_push(a, out, type, src + i, j - i, i, j - i);
			i = j;
			continue;
		}
		if (c == 'P' && isdigit((unsigned char)src[i + 1]) &&
		    (n = strspn(src + i + 1, "0123456789YMWDTHS.")) != 0 &&
		    !is_ident_char((unsigned char)src[i + 1 + n])) {
			n++;
			lex_push(a, out, TK_DURATION, src + i, n, i, n);
			i += n;
			continue;
		}
		if (is_ident_start((unsigned char)c)) {
			j = i;
			while (is_ident_char((unsigned char)src[j]))
				j++;
			t = lex_push(a, out, TK_IDENT, src + i, j - i, i, j - i);
			for (k = 0; t->text[k] != '\0'; k++)
				t->text[k] = tolower((unsigned char)t->text[k]);
			if (strcmp(t->text, "nan") == 0 ||
			    strcmp(t->text, "infinity") == 0) {
				t->type = TK_FLOAT;
				t->text = strcmp(t->text, "nan") == 0 ? "NaN" :
				    "Infinity";
			}
			i = j;
			continue;
		}
		for (k = 0; k < nitems(puncts2); k++) {
			if (strncmp(src + i, puncts2[k], 2) == 0)
				break;
		}
		if (k < nitems(puncts2)) {
			lex_push(a, out, TK_PUNCT, src + i, 2, i, 2);
			i += 2;
			continue;
		}
		if (strchr("()[]{},;.*=<>:?+-", c) != NULL) {
			lex_push(a, out, TK_PUNCT, src + i, 1, i, 1);
			i++;
			continue;
		}
		{
			char	what[64];

			snprintf(what, sizeof what,
			    "no viable alternative at character '%c'", c);
			return (lex_error(src, i, err, what));
		}
	}
	lex_push(a, out, TK_EOF, "<EOF>", 5, i, 0);
	return (0);
}
