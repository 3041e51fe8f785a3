/*
 * sbuf.c: growable strings for building request lines and collecting
 * answer bytes.  A library must not exit on a failed allocation, so the
 * failure is remembered in the buffer and reported by the caller.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cqlp-int.h"

void
sbuf_init(struct sbuf *b)
{
	memset(b, 0, sizeof *b);
}

void
sbuf_free(struct sbuf *b)
{
	free(b->p);
	sbuf_init(b);
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Make room for n more bytes and a NUL; 0 or -1 (sticky). */
static int
sbuf_grow(struct sbuf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->err)
		return (-1);
	if (n > SIZE_MAX / 2 - b->len - 1) {
		b->err = 1;
		return (-1);
	}
	if (b->len + n + 1 <= b->cap)
		return (0);
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->err = 1;
		return (-1);
	}
	b->p = p;
	b->cap = cap;
	return (0);
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (sbuf_grow(b, n) != 0)
		return;
	if (n != 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void
sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	if (sbuf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * Escape only what JSON requires (quote, backslash, control characters):
 * UTF-8 passes through, so the daemon sees the bytes the caller gave.
 */
void
sbuf_json_str(struct sbuf *b, const char *s, size_t n)
{
	size_t		i, run = 0;
	unsigned char	c;

	sbuf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			sbuf_add(b, "\\\"", 2);
			break;
		case '\\':
			sbuf_add(b, "\\\\", 2);
			break;
		case '\n':
			sbuf_add(b, "\\n", 2);
			break;
		case '\r':
			sbuf_add(b, "\\r", 2);
			break;
		case '\t':
			sbuf_add(b, "\\t", 2);
			break;
		default:
			sbuf_addf(b, "\\u%04x", c);
			break;
		}
	}
	sbuf_add(b, s + run, n - run);
	sbuf_addc(b, '"');
}

/* JSON text on one line: raw newlines are only ever blanks in JSON. */
void
sbuf_add_flat(struct sbuf *b, const char *p, size_t n)
{
	size_t	i, start = b->len;

	sbuf_add(b, p, n);
	if (b->err)
		return;
	for (i = start; i < b->len; i++)
		if (b->p[i] == '\n' || b->p[i] == '\r')
			b->p[i] = ' ';
}

void
sbuf_consume(struct sbuf *b, size_t n)
{
	if (n >= b->len) {
		sbuf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

/* Hand the bytes over (never NULL unless the buffer failed). */
char *
sbuf_steal(struct sbuf *b)
{
	char	*p;

	if (b->err)
		return (NULL);
	if (b->p == NULL) {
		if (sbuf_grow(b, 0) != 0)
			return (NULL);
		b->p[0] = '\0';
	}
	p = b->p;
	sbuf_init(b);
	return (p);
}

char *
lc_strdup(const char *s)
{
	return (s == NULL ? NULL : strdup(s));
}

char *
lc_strndup(const char *s, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}
