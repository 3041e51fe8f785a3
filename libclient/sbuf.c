/*
 * sbuf.c: growable strings for building request lines and collecting
 * answer bytes.  A library must not exit on a failed allocation, so the
 * failure is remembered in the buffer and reported by the caller.  Also
 * the text helpers around them: UTF-8 checking, and doubles written and
 * read the same whatever locale the program chose.
 */
#include <errno.h>
#include <locale.h>
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

/*
 * Offset of the first byte of s that does not start a valid UTF-8
 * sequence (overlong forms, surrogates and code points past U+10FFFF
 * included), or n.  The daemon refuses such a line as bad_json without
 * an id, which no request could then be matched with.
 */
size_t
utf8_check(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, len, k;
	unsigned		 cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			len = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			cp = p[i] & 0x07;
		} else
			return (i);
		if (n - i < len)
			return (i);
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (i);
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return (i);
		i += len;
	}
	return (n);
}

/*
 * The C locale for numbers, made on first use and kept: a program that
 * called setlocale() may have a decimal comma, which would turn 2.5 into
 * two values.  Two threads may race to make it; the loser frees its own.
 */
static locale_t
lc_c_locale(void)
{
	static locale_t	 cloc;
	locale_t	 l, none = (locale_t)0;

	if ((l = __atomic_load_n(&cloc, __ATOMIC_ACQUIRE)) != (locale_t)0)
		return (l);
	if ((l = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)) == (locale_t)0)
		return (l);
	if (!__atomic_compare_exchange_n(&cloc, &none, l, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE)) {
		freelocale(l);
		l = none;
	}
	return (l);
}

/* A double as JSON text ("%.17g" reads back exactly); length or -1. */
int
lc_dtoa(char *buf, size_t len, double v)
{
	locale_t	cloc, old;
	int		n;

	if ((cloc = lc_c_locale()) == (locale_t)0)
		return (-1);
	old = uselocale(cloc);
	n = snprintf(buf, len, "%.17g", v);
	uselocale(old);
	return (n < 0 || (size_t)n >= len ? -1 : n);
}

/* strtod in the C locale (JSON numbers have a decimal point). */
int
lc_strtod(const char *s, double *out, int *erange)
{
	locale_t	cloc, old;
	char		*end;

	if ((cloc = lc_c_locale()) == (locale_t)0)
		return (-1);
	old = uselocale(cloc);
	errno = 0;
	*out = strtod(s, &end);
	*erange = errno == ERANGE;
	uselocale(old);
	return (end == s || *end != '\0' ? -1 : 0);
}
