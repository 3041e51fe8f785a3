/*
 * cqlval-text.c: the text forms of CQL scalars, matching what Cassandra
 * renders (its Java serializers' toString) and accepting what it accepts.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "buf.h"
#include "cqlval.h"

/* Beyond this, varint/decimal text conversion is refused (quadratic). */
#define VARINT_MAX_BYTES	16384
#define VARINT_MAX_DIGITS	40000

#define MS_PER_DAY	86400000LL
#define NS_PER_SEC	1000000000LL
#define NS_PER_DAY	(86400LL * NS_PER_SEC)
#define DATE_EPOCH	(1U << 31)

/* snprintf that reports -1 instead of truncating. */
static int printflike(3, 4)
out_printf(char *out, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (n);
}

#define UTF8_HIGH_BITS	0x8080808080808080ULL

/*
 * Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
 * Text is mostly ASCII, so runs of it are skipped eight bytes at a time,
 * and a tail shorter than that by reading the last eight bytes (i is on a
 * character boundary, so an all-ASCII last word ends the text well).
 */
int
cqlval_utf8_valid(const uint8_t *p, size_t n)
{
	size_t		i = 0, k, need;
	uint32_t	c, min;
	uint64_t	w;

	while (i < n) {
		while (n - i >= sizeof w) {
			memcpy(&w, p + i, sizeof w);
			if (w & UTF8_HIGH_BITS)
				break;
			i += sizeof w;
		}
		if (n - i < sizeof w && n >= sizeof w) {
			if (i == n)
				break;
			memcpy(&w, p + n - sizeof w, sizeof w);
			if ((w & UTF8_HIGH_BITS) == 0)
				break;
		}
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			min = 0x10000;
			c &= 0x07;
		} else
			return (0);
		if (n - i - 1 < need)
			return (0);
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return (0);
		i += need + 1;
	}
	return (1);
}

int
cqlval_ascii_valid(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] & 0x80)
			return (0);
	}
	return (1);
}

/*
 * UUIDs.
 */

void
cqlval_uuid_format(const uint8_t u[16], char out[CQLVAL_UUID_STRLEN])
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 0xf];
	}
	out[o] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
cqlval_uuid_parse(const char *s, uint8_t u[16])
{
	size_t	i, o = 0;
	int	hi, lo;

	if (strlen(s) != 36)
		return (-1);
	for (i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return (-1);
			continue;
		}
		if ((hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return (-1);
		u[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return (0);
}

int
cqlval_uuid_version(const uint8_t u[16])
{
	return (u[6] >> 4);
}

uint64_t
cqlval_timeuuid_time(const uint8_t u[16])
{
	return (((uint64_t)(u[6] & 0x0f) << 56) | ((uint64_t)u[7] << 48) |
	    ((uint64_t)u[4] << 40) | ((uint64_t)u[5] << 32) |
	    ((uint64_t)u[0] << 24) | ((uint64_t)u[1] << 16) |
	    ((uint64_t)u[2] << 8) | u[3]);
}

/*
 * Addresses. Java turns IPv4-mapped IPv6 addresses into IPv4 ones and
 * prints IPv6 as eight uncompressed groups.
 */

/* The first twelve bytes of an IPv4-mapped IPv6 address. */
static const uint8_t	inet_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

int
cqlval_inet_format(const uint8_t *a, size_t n, char *out, size_t len)
{
	if (n == 16 && memcmp(a, inet_mapped, sizeof inet_mapped) == 0) {
		a += 12;
		n = 4;
	}
	if (n == 4)
		return (out_printf(out, len, "%u.%u.%u.%u", a[0], a[1], a[2],
		    a[3]));
	if (n != 16)
		return (-1);
	return (out_printf(out, len, "%x:%x:%x:%x:%x:%x:%x:%x",
	    a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5],
	    a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11],
	    a[12] << 8 | a[13], a[14] << 8 | a[15]));
}

/*
 * An IPv4-mapped IPv6 address becomes its four IPv4 bytes, as Java's
 * InetAddress (and so Cassandra) stores it: what is written back then
 * parses to the same bytes.
 */
int
cqlval_inet_parse(const char *s, uint8_t a[16], size_t *n)
{
	if (inet_pton(AF_INET, s, a) == 1) {
		*n = 4;
		return (0);
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*n = 16;
		if (memcmp(a, inet_mapped, sizeof inet_mapped) == 0) {
			memmove(a, a + 12, 4);
			*n = 4;
		}
		return (0);
	}
	return (-1);
}

/*
 * The proleptic Gregorian calendar, on day numbers from 1970-01-01.
 */

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static unsigned
month_days(int64_t y, unsigned m)
{
	static const unsigned	md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int			leap = (y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0;

	return (m == 2 && leap ? 29 : md[m - 1]);
}

/* Years as Joda's "yyyy" prints them: at least 4 digits, "-" below 0. */
static int
year_format(int64_t y, char *out, size_t len)
{
	if (y >= 0)
		return (out_printf(out, len, "%04lld", (long long)y));
	return (out_printf(out, len, "-%04lld", (long long)-y));
}

int
cqlval_timestamp_format(int64_t ms, char *out, size_t len)
{
	int64_t		days, rem, y;
	unsigned	m, d;
	int		n, k;

	days = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if ((n = year_format(y, out, len)) < 0)
		return (-1);
	k = out_printf(out + n, len - n, "-%02u-%02u %02d:%02d:%02d.%03dZ", m, d,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	return (k < 0 ? -1 : n + k);
}

/* Read exactly n digits (n > 0) or, with n == 0, one or more. */
static int
read_digits(const char **pp, int n, int64_t *v)
{
	const char	*p = *pp;
	int		 k = 0;

	*v = 0;
	while (isdigit((unsigned char)*p) && (n == 0 || k < n)) {
		/* Exact: every value up to INT64_MAX reads. */
		if (*v > (INT64_MAX - (*p - '0')) / 10)
			return (-1);
		*v = *v * 10 + (*p++ - '0');
		k++;
	}
	if (k == 0 || (n > 0 && k != n))
		return (-1);
	*pp = p;
	return (0);
}

/* A whole string of an optionally signed decimal integer. */
static int
parse_integer(const char *s, int64_t *v)
{
	char	*ep;

	if (*s == '\0' || isspace((unsigned char)*s))
		return (-1);
	errno = 0;
	*v = strtoll(s, &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == s)
		return (-1);
	return (0);
}

/* "[-]YYYY-MM-DD" into a day number; p left after it. */
static int
parse_ymd(const char **pp, int64_t *days)
{
	const char	*p = *pp;
	int64_t		 y, m, d;
	int		 neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (read_digits(&p, 0, &y) != 0 || y > 6000000 || *p++ != '-' ||
	    read_digits(&p, 2, &m) != 0 || *p++ != '-' ||
	    read_digits(&p, 2, &d) != 0)
		return (-1);
	if (neg)
		y = -y;
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, (unsigned)m))
		return (-1);
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	*pp = p;
	return (0);
}

int
cqlval_timestamp_parse(const char *s, int64_t *ms)
{
	const char	*p = s;
	int64_t		 days, h = 0, mi = 0, sec = 0, frac = 0, zh, zm, v;
	int64_t		 off = 0;
	int		 digits = 0, sign;

	if (parse_integer(s, &v) == 0) {
		*ms = v;
		return (0);
	}
	if (parse_ymd(&p, &days) != 0)
		return (-1);
	if (*p == ' ' || *p == 'T') {
		p++;
		if (read_digits(&p, 2, &h) != 0 || *p++ != ':' ||
		    read_digits(&p, 2, &mi) != 0)
			return (-1);
		if (*p == ':') {
			p++;
			if (read_digits(&p, 2, &sec) != 0)
				return (-1);
			if (*p == '.') {
				p++;
				while (isdigit((unsigned char)*p)) {
					if (digits < 3)
						frac = frac * 10 + (*p - '0');
					digits++;
					p++;
				}
				if (digits == 0 || digits > 9)
					return (-1);
				for (; digits < 3; digits++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return (-1);
	}
	while (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (read_digits(&p, 2, &zh) != 0)
			return (-1);
		zm = 0;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && read_digits(&p, 2, &zm) != 0)
			return (-1);
		if (zh > 18 || zm > 59)
			return (-1);
		off = sign * (zh * 3600 + zm * 60) * 1000;
	}
	if (*p != '\0')
		return (-1);
	*ms = days * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + frac -
	    off;
	return (0);
}

int
cqlval_date_format(uint32_t raw, char *out, size_t len)
{
	int64_t		y;
	unsigned	m, d;
	int		n, k;

	civil_from_days((int64_t)raw - DATE_EPOCH, &y, &m, &d);
	if ((n = year_format(y, out, len)) < 0)
		return (-1);
	k = out_printf(out + n, len - n, "-%02u-%02u", m, d);
	return (k < 0 ? -1 : n + k);
}

int
cqlval_date_parse(const char *s, uint32_t *raw)
{
	const char	*p = s;
	int64_t		 days, v;

	if (isdigit((unsigned char)*s) && parse_integer(s, &v) == 0) {
		if (v < 0 || v > UINT32_MAX)
			return (-1);
		*raw = (uint32_t)v;
		return (0);
	}
	if (parse_ymd(&p, &days) != 0 || *p != '\0')
		return (-1);
	days += DATE_EPOCH;
	if (days < 0 || days > UINT32_MAX)
		return (-1);
	*raw = (uint32_t)days;
	return (0);
}

int
cqlval_time_format(int64_t ns, char *out, size_t len)
{
	if (ns < 0 || ns >= NS_PER_DAY)
		return (-1);
	return (out_printf(out, len, "%02d:%02d:%02d.%09lld",
	    (int)(ns / (3600 * NS_PER_SEC)), (int)(ns / (60 * NS_PER_SEC) % 60),
	    (int)(ns / NS_PER_SEC % 60), (long long)(ns % NS_PER_SEC)));
}

int
cqlval_time_parse(const char *s, int64_t *ns)
{
	const char	*p = s;
	int64_t		 h, m, sec, frac = 0, v;
	int		 digits = 0;

	if (parse_integer(s, &v) == 0) {
		if (v < 0 || v >= NS_PER_DAY)
			return (-1);
		*ns = v;
		return (0);
	}
	while (*p == ' ')
		p++;
	if (read_digits(&p, 0, &h) != 0 || *p++ != ':' ||
	    read_digits(&p, 2, &m) != 0 || *p++ != ':' ||
	    read_digits(&p, 2, &sec) != 0)
		return (-1);
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p) && digits < 9) {
			frac = frac * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0)
			return (-1);
		for (; digits < 9; digits++)
			frac *= 10;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || h > 23 || m > 59 || sec > 59)
		return (-1);
	*ns = ((h * 60 + m) * 60 + sec) * NS_PER_SEC + frac;
	return (0);
}

/*
 * Durations.
 */

/* Java Duration.toString's step: print dividend/divisor unit if any. */
static int64_t
dur_append(char *out, size_t len, size_t *o, int *bad, uint64_t v,
    uint64_t divisor, const char *unit)
{
	int	n;

	if (v == 0 || v < divisor)
		return ((int64_t)v);
	n = snprintf(out + *o, len > *o ? len - *o : 0, "%llu%s",
	    (unsigned long long)(v / divisor), unit);
	if (n < 0 || *o + (size_t)n >= len)
		*bad = 1;
	else
		*o += (size_t)n;
	return ((int64_t)(v % divisor));
}

int
cqlval_duration_format(int32_t months, int32_t days, int64_t ns, char *out,
    size_t len)
{
	size_t		o = 0;
	int		bad = 0;
	uint64_t	r, am, ad, an;

	if (len == 0)
		return (-1);
	out[0] = '\0';
	am = months < 0 ? (uint64_t)(-(int64_t)months) : (uint64_t)months;
	ad = days < 0 ? (uint64_t)(-(int64_t)days) : (uint64_t)days;
	an = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (months < 0 || days < 0 || ns < 0) {
		if (len < 2)
			return (-1);
		out[o++] = '-';
		out[o] = '\0';
	}
	r = (uint64_t)dur_append(out, len, &o, &bad, am, 12, "y");
	dur_append(out, len, &o, &bad, r, 1, "mo");
	dur_append(out, len, &o, &bad, ad, 1, "d");
	if (an != 0) {
		r = (uint64_t)dur_append(out, len, &o, &bad, an,
		    3600ULL * NS_PER_SEC, "h");
		r = (uint64_t)dur_append(out, len, &o, &bad, r,
		    60ULL * NS_PER_SEC, "m");
		r = (uint64_t)dur_append(out, len, &o, &bad, r, NS_PER_SEC, "s");
		r = (uint64_t)dur_append(out, len, &o, &bad, r, 1000000, "ms");
		r = (uint64_t)dur_append(out, len, &o, &bad, r, 1000, "us");
		dur_append(out, len, &o, &bad, r, 1, "ns");
	}
	return (bad ? -1 : (int)o);
}

/*
 * Accumulates the magnitudes of a duration with Cassandra's overflow
 * checks; a negative duration may reach one more than the positive
 * maximum, so that INT32_MIN months or days and INT64_MIN nanoseconds
 * (which cqlval_duration_format writes) read back.
 */
struct dur {
	uint64_t	months;
	uint64_t	days;
	uint64_t	ns;
	int		neg;
};

/* Units in the order Cassandra requires them, with what one is worth. */
static const struct {
	const char	*name;
	int		 field;	/* 0 months, 1 days, 2 ns */
	int64_t		 mult;
} dur_units[] = {
	{ "y", 0, 12 },
	{ "mo", 0, 1 },
	{ "w", 1, 7 },
	{ "d", 1, 1 },
	{ "h", 2, 3600LL * NS_PER_SEC },
	{ "m", 2, 60LL * NS_PER_SEC },
	{ "s", 2, NS_PER_SEC },
	{ "ms", 2, 1000000 },
	{ "us", 2, 1000 },
	{ "\xc2\xb5s", 2, 1000 },
	{ "ns", 2, 1 },
};

static int
dur_add(struct dur *d, int field, int64_t v, int64_t mult)
{
	uint64_t	*f = field == 0 ? &d->months : (field == 1 ? &d->days :
	    &d->ns);
	uint64_t	 max, uv = (uint64_t)v, um = (uint64_t)mult;

	max = field == 2 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
	if (d->neg)
		max++;
	if (v < 0 || mult < 0)
		return (-1);
	if (uv != 0 && um > max / uv)
		return (-1);
	if (*f > max - uv * um)
		return (-1);
	*f += uv * um;
	return (0);
}

/* A magnitude with its sign; m is at most the type's maximum + 1. */
static int64_t
dur_signed(uint64_t m, int neg)
{
	if (!neg || m == 0)
		return ((int64_t)m);
	return (-(int64_t)(m - 1) - 1);
}

/* "12h30m": number-unit pairs, units in decreasing order, none twice. */
static int
dur_parse_units(const char *p, struct dur *d)
{
	int64_t		v;
	size_t		i, best, bestlen;
	int		last = -1;

	if (*p == '\0')
		return (-1);
	while (*p != '\0') {
		if (read_digits(&p, 0, &v) != 0)
			return (-1);
		best = nitems(dur_units);
		bestlen = 0;
		for (i = 0; i < nitems(dur_units); i++) {
			size_t	l = strlen(dur_units[i].name);

			if (strncasecmp(p, dur_units[i].name, l) == 0 &&
			    l > bestlen) {
				best = i;
				bestlen = l;
			}
		}
		if (best == nitems(dur_units))
			return (-1);
		/* "µs" and "us" are one unit. */
		i = strcmp(dur_units[best].name, "us") == 0 ? best + 1 : best;
		if ((int)i <= last)
			return (-1);
		last = (int)i;
		if (dur_add(d, dur_units[best].field, v,
		    dur_units[best].mult) != 0)
			return (-1);
		p += bestlen;
	}
	return (0);
}

/* ISO 8601: P[nY][nM][nD][T[nH][nM][nS]], PnW, or PYYYY-MM-DDThh:mm:ss. */
static int
dur_parse_iso(const char *p, struct dur *d)
{
	int64_t		 v, f[6];
	int		 time = 0, any = 0, order = -1, o;
	const char	*q;

	if (*p++ != 'P')
		return (-1);
	q = p;
	if (read_digits(&q, 4, &f[0]) == 0 && *q == '-') {
		p = q + 1;
		if (read_digits(&p, 2, &f[1]) != 0 || *p++ != '-' ||
		    read_digits(&p, 2, &f[2]) != 0 || *p++ != 'T' ||
		    read_digits(&p, 2, &f[3]) != 0 || *p++ != ':' ||
		    read_digits(&p, 2, &f[4]) != 0 || *p++ != ':' ||
		    read_digits(&p, 2, &f[5]) != 0 || *p != '\0')
			return (-1);
		if (dur_add(d, 0, f[0], 12) != 0 || dur_add(d, 0, f[1], 1) != 0 ||
		    dur_add(d, 1, f[2], 1) != 0 ||
		    dur_add(d, 2, f[3], 3600LL * NS_PER_SEC) != 0 ||
		    dur_add(d, 2, f[4], 60LL * NS_PER_SEC) != 0 ||
		    dur_add(d, 2, f[5], NS_PER_SEC) != 0)
			return (-1);
		return (0);
	}
	while (*p != '\0') {
		if (*p == 'T' && !time) {
			time = 1;
			p++;
			if (*p == '\0')
				return (-1);
			continue;
		}
		if (read_digits(&p, 0, &v) != 0)
			return (-1);
		switch (*p++) {
		case 'Y':
			o = 0;
			if (time || dur_add(d, 0, v, 12) != 0)
				return (-1);
			break;
		case 'M':
			o = time ? 5 : 1;
			if (dur_add(d, time ? 2 : 0, v, time ?
			    60LL * NS_PER_SEC : 1) != 0)
				return (-1);
			break;
		case 'W':
			o = 2;
			if (time || any || *p != '\0' ||
			    dur_add(d, 1, v, 7) != 0)
				return (-1);
			break;
		case 'D':
			o = 3;
			if (time || dur_add(d, 1, v, 1) != 0)
				return (-1);
			break;
		case 'H':
			o = 4;
			if (!time || dur_add(d, 2, v, 3600LL * NS_PER_SEC) != 0)
				return (-1);
			break;
		case 'S':
			o = 6;
			if (!time || dur_add(d, 2, v, NS_PER_SEC) != 0)
				return (-1);
			break;
		default:
			return (-1);
		}
		if (o <= order)
			return (-1);
		order = o;
		any = 1;
	}
	return (any ? 0 : -1);
}

int
cqlval_duration_parse(const char *s, int32_t *months, int32_t *days,
    int64_t *ns)
{
	struct dur	d = { 0, 0, 0, 0 };

	if (*s == '-') {
		d.neg = 1;
		s++;
	}
	if (*s == 'P') {
		if (dur_parse_iso(s, &d) != 0)
			return (-1);
	} else if (dur_parse_units(s, &d) != 0)
		return (-1);
	*months = (int32_t)dur_signed(d.months, d.neg);
	*days = (int32_t)dur_signed(d.days, d.neg);
	*ns = dur_signed(d.ns, d.neg);
	return (0);
}

/*
 * Arbitrary precision integers, as little-endian 32-bit limbs of the
 * magnitude.
 */

/* Two's complement big-endian bytes to magnitude limbs and a sign. */
static uint32_t *
mag_from_twos(const uint8_t *p, size_t n, size_t *nl, int *neg)
{
	uint32_t	*l;
	uint8_t		*b;
	size_t		 i;
	unsigned	 carry = 1;

	*neg = n > 0 && (p[0] & 0x80);
	b = xmalloc(n + 1);
	for (i = n; i-- > 0;) {
		if (*neg) {
			unsigned	x = (uint8_t)~p[i] + carry;

			b[i] = (uint8_t)x;
			carry = x >> 8;
		} else
			b[i] = p[i];
	}
	*nl = (n + 3) / 4;
	l = xcalloc(*nl + 1, sizeof *l);
	for (i = 0; i < n; i++)
		l[i / 4] |= (uint32_t)b[n - 1 - i] << (8 * (i % 4));
	free(b);
	while (*nl > 0 && l[*nl - 1] == 0)
		(*nl)--;
	return (l);
}

/* Divide limbs in place by d; return the remainder. */
static uint32_t
mag_divmod(uint32_t *l, size_t *nl, uint32_t d)
{
	uint64_t	r = 0;
	size_t		i;

	for (i = *nl; i-- > 0;) {
		uint64_t	cur = (r << 32) | l[i];

		l[i] = (uint32_t)(cur / d);
		r = cur % d;
	}
	while (*nl > 0 && l[*nl - 1] == 0)
		(*nl)--;
	return ((uint32_t)r);
}

char *
cqlval_varint_to_string(const uint8_t *p, size_t n)
{
	uint32_t	*l, r;
	size_t		 nl, o, cap;
	char		*s, *t;
	int		 neg, i;

	if (n == 0 || n > VARINT_MAX_BYTES)
		return (NULL);
	l = mag_from_twos(p, n, &nl, &neg);
	cap = n * 3 + 16;
	s = xmalloc(cap);
	o = cap - 1;
	s[o] = '\0';
	if (nl == 0)
		s[--o] = '0';
	while (nl > 0) {
		r = mag_divmod(l, &nl, 1000000000U);
		for (i = 0; i < 9 && (nl > 0 || r > 0); i++) {
			s[--o] = (char)('0' + r % 10);
			r /= 10;
		}
	}
	if (neg)
		s[--o] = '-';
	t = xstrdup(s + o);
	free(s);
	free(l);
	return (t);
}

/* Minimal two's complement of a magnitude, appended to w. */
static void
twos_write(const uint32_t *l, size_t nl, int neg, struct wbuf *w)
{
	uint8_t		*b;
	size_t		 n = nl * 4, i, start = 0;
	unsigned	 carry = 1;

	if (nl == 0) {
		wbuf_u8(w, 0);
		return;
	}
	b = xmalloc(n + 1);
	b[0] = 0;
	for (i = 0; i < n; i++)
		b[n - i] = (uint8_t)(l[i / 4] >> (8 * (i % 4)));
	/* b[0..n] is the magnitude with a zero byte in front. */
	if (neg) {
		for (i = n + 1; i-- > 0;) {
			unsigned	x = (uint8_t)~b[i] + carry;

			b[i] = (uint8_t)x;
			carry = x >> 8;
		}
	}
	while (start < n && ((b[start] == 0x00 && !(b[start + 1] & 0x80)) ||
	    (b[start] == 0xff && (b[start + 1] & 0x80))))
		start++;
	wbuf_raw(w, b + start, n + 1 - start);
	free(b);
}

/* Decimal digits (no sign) into limbs. */
static uint32_t *
mag_from_digits(const char *d, size_t nd, size_t *nl)
{
	uint32_t	*l = xcalloc(nd / 9 + 2, sizeof *l);
	size_t		 i, k, chunk;
	uint64_t	 mul, carry;
	uint32_t	 v;

	*nl = 0;
	for (i = 0; i < nd; i += chunk) {
		chunk = (nd - i) % 9 == 0 ? 9 : (nd - i) % 9;
		if (i != 0)
			chunk = 9;
		v = 0;
		mul = 1;
		for (k = 0; k < chunk; k++) {
			v = v * 10 + (uint32_t)(d[i + k] - '0');
			mul *= 10;
		}
		carry = v;
		for (k = 0; k < *nl; k++) {
			uint64_t	cur = (uint64_t)l[k] * mul + carry;

			l[k] = (uint32_t)cur;
			carry = cur >> 32;
		}
		if (carry != 0)
			l[(*nl)++] = (uint32_t)carry;
	}
	while (*nl > 0 && l[*nl - 1] == 0)
		(*nl)--;
	return (l);
}

static int
digits_to_varint(int neg, const char *d, size_t nd, struct wbuf *w)
{
	uint32_t	*l;
	size_t		 nl;

	while (nd > 1 && *d == '0') {
		d++;
		nd--;
	}
	if (nd == 0 || nd > VARINT_MAX_DIGITS)
		return (-1);
	l = mag_from_digits(d, nd, &nl);
	twos_write(l, nl, neg && nl > 0, w);
	free(l);
	return (wbuf_ok(w) ? 0 : -1);
}

int
cqlval_varint_from_string(const char *s, struct wbuf *w)
{
	int	neg = 0;
	size_t	n;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '\0')
		return (-1);
	return (digits_to_varint(neg, s, n, w));
}

/*
 * Decimals: BigDecimal.toString, which goes to exponent notation when the
 * scale is negative or the number is below 1e-6.
 */
char *
cqlval_decimal_to_string(int32_t scale, const uint8_t *p, size_t n)
{
	char		*digits, *coef, *out;
	int64_t		 adjusted, len, sc = scale;
	int		 neg;
	struct wbuf	 w;

	if ((digits = cqlval_varint_to_string(p, n)) == NULL)
		return (NULL);
	neg = digits[0] == '-';
	coef = digits + neg;
	len = (int64_t)strlen(coef);
	adjusted = -sc + (len - 1);
	wbuf_init(&w, 0);
	if (neg)
		wbuf_u8(&w, '-');
	if (sc >= 0 && adjusted >= -6) {
		if (sc == 0)
			wbuf_raw(&w, coef, (size_t)len);
		else if (len > sc) {
			wbuf_raw(&w, coef, (size_t)(len - sc));
			wbuf_u8(&w, '.');
			wbuf_raw(&w, coef + len - sc, (size_t)sc);
		} else {
			wbuf_raw(&w, "0.", 2);
			for (; sc > len; sc--)
				wbuf_u8(&w, '0');
			wbuf_raw(&w, coef, (size_t)len);
		}
	} else {
		char	exp[32];

		wbuf_u8(&w, (uint8_t)coef[0]);
		if (len > 1) {
			wbuf_u8(&w, '.');
			wbuf_raw(&w, coef + 1, (size_t)len - 1);
		}
		snprintf(exp, sizeof exp, "E%s%lld", adjusted >= 0 ? "+" : "",
		    (long long)adjusted);
		wbuf_raw(&w, exp, strlen(exp));
	}
	wbuf_u8(&w, '\0');
	free(digits);
	if (!wbuf_ok(&w)) {
		wbuf_free(&w);
		return (NULL);
	}
	out = (char *)wbuf_steal(&w, (size_t *)&len);
	return (out);
}

int
cqlval_decimal_from_string(const char *s, int32_t *scale, struct wbuf *w)
{
	const char	*p = s, *ip, *fp = NULL;
	size_t		 ni, nf = 0;
	int64_t		 exp = 0, sc;
	char		*digits, *ep;
	int		 neg = 0, r;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	ip = p;
	ni = strspn(p, "0123456789");
	p += ni;
	if (*p == '.') {
		fp = ++p;
		nf = strspn(p, "0123456789");
		p += nf;
	}
	if (ni + nf == 0)
		return (-1);
	if (*p == 'e' || *p == 'E') {
		p++;
		if (!isdigit((unsigned char)*p) && !((*p == '-' || *p == '+') &&
		    isdigit((unsigned char)p[1])))
			return (-1);
		/*
		 * Only the final scale (digits after the point minus the
		 * exponent) must fit in int32: the exponent itself may go
		 * past int32 ("8.93725491E+2147483656" is scale INT32_MIN).
		 * Bounding it to twice the int32 range keeps nf - exp from
		 * overflowing.
		 */
		errno = 0;
		exp = strtoll(p, &ep, 10);
		if (errno != 0 || exp > 2 * (int64_t)INT32_MAX ||
		    exp < 2 * (int64_t)INT32_MIN)
			return (-1);
		p = ep;
	}
	if (*p != '\0')
		return (-1);
	if (ni + nf > VARINT_MAX_DIGITS)
		return (-1);
	sc = (int64_t)nf - exp;
	if (sc > INT32_MAX || sc < INT32_MIN)
		return (-1);
	digits = xmalloc(ni + nf + 1);
	memcpy(digits, ip, ni);
	if (nf > 0)
		memcpy(digits + ni, fp, nf);
	digits[ni + nf] = '\0';
	r = digits_to_varint(neg, digits, ni + nf, w);
	free(digits);
	if (r == 0)
		*scale = (int32_t)sc;
	return (r);
}

/*
 * Floating point: the shortest digits that read back to the same value,
 * laid out as Java's Double.toString / Float.toString do.
 */

/* Shortest %e digits: fills digits (no dot) and the decimal exponent. */
static void
shortest_digits(double v, int isfloat, char *digits, size_t dlen, int *exp)
{
	char	buf[64], *e, *q;
	int	prec, max = isfloat ? 9 : 17;
	size_t	o = 0;

	for (prec = 1; prec <= max; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
		if (isfloat ? strtof(buf, NULL) == (float)v :
		    strtod(buf, NULL) == v)
			break;
	}
	/*
	 * Java writes at least one digit after the point: in exponent form
	 * a one-digit result becomes the closest two-digit one when that
	 * still reads back (4.9E-324 rather than 5.0E-324).
	 */
	if (prec == 1 && (fabs(v) < 1e-3 || fabs(v) >= 1e7)) {
		char	two[64];

		snprintf(two, sizeof two, "%.1e", v);
		if (isfloat ? strtof(two, NULL) == (float)v :
		    strtod(two, NULL) == v)
			memcpy(buf, two, sizeof buf);
	}
	e = strchr(buf, 'e');
	*exp = atoi(e + 1);
	for (q = buf; q < e && o + 1 < dlen; q++) {
		if (isdigit((unsigned char)*q))
			digits[o++] = *q;
	}
	while (o > 1 && digits[o - 1] == '0')
		o--;
	digits[o] = '\0';
}

static int
java_float_format(double v, int isfloat, char *out, size_t len)
{
	char	digits[32], buf[64];
	int	exp, nd, i;
	size_t	o = 0;
	double	a = fabs(v);

	if (isnan(v))
		return (out_printf(out, len, "NaN"));
	if (isinf(v))
		return (out_printf(out, len, "%sInfinity", v < 0 ? "-" : ""));
	if (v == 0)
		return (out_printf(out, len, "%s0.0", signbit(v) ? "-" : ""));
	shortest_digits(v, isfloat, digits, sizeof digits, &exp);
	nd = (int)strlen(digits);
	if (v < 0)
		buf[o++] = '-';
	if (a >= 1e-3 && a < 1e7) {
		if (exp >= 0) {
			for (i = 0; i <= exp; i++)
				buf[o++] = i < nd ? digits[i] : '0';
			buf[o++] = '.';
			if (nd > exp + 1) {
				for (i = exp + 1; i < nd; i++)
					buf[o++] = digits[i];
			} else
				buf[o++] = '0';
		} else {
			buf[o++] = '0';
			buf[o++] = '.';
			for (i = -1; i > exp; i--)
				buf[o++] = '0';
			for (i = 0; i < nd; i++)
				buf[o++] = digits[i];
		}
		buf[o] = '\0';
	} else {
		buf[o++] = digits[0];
		buf[o++] = '.';
		if (nd > 1) {
			for (i = 1; i < nd; i++)
				buf[o++] = digits[i];
		} else
			buf[o++] = '0';
		snprintf(buf + o, sizeof buf - o, "E%d", exp);
	}
	return (out_printf(out, len, "%s", buf));
}

int
cqlval_double_format(double v, char *out, size_t len)
{
	return (java_float_format(v, 0, out, len));
}

int
cqlval_float_format(float v, char *out, size_t len)
{
	return (java_float_format(v, 1, out, len));
}

/* Java's forms: digits with optional dot and exponent, NaN, Infinity. */
static int
float_text_ok(const char *s)
{
	const char	*p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (strcmp(p, "Infinity") == 0)
		return (1);
	if (strcmp(s, "NaN") == 0)
		return (1);
	if (!isdigit((unsigned char)*p) && !(*p == '.' &&
	    isdigit((unsigned char)p[1])))
		return (0);
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && *p != '.' && *p != 'e' &&
		    *p != 'E' && *p != '+' && *p != '-')
			return (0);
	}
	return (1);
}

int
cqlval_double_parse(const char *s, double *v)
{
	char	*ep;

	if (!float_text_ok(s))
		return (-1);
	errno = 0;
	*v = strtod(s, &ep);
	if (*ep != '\0' || ep == s)
		return (-1);
	return (0);
}

int
cqlval_float_parse(const char *s, float *v)
{
	char	*ep;

	if (!float_text_ok(s))
		return (-1);
	errno = 0;
	*v = strtof(s, &ep);
	if (*ep != '\0' || ep == s)
		return (-1);
	return (0);
}

/*
 * Blobs.
 */

char *
cqlval_blob_format(const uint8_t *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*s = xmalloc(2 * n + 3);
	size_t			 i;

	s[0] = '0';
	s[1] = 'x';
	for (i = 0; i < n; i++) {
		s[2 + 2 * i] = hex[p[i] >> 4];
		s[3 + 2 * i] = hex[p[i] & 0xf];
	}
	s[2 + 2 * n] = '\0';
	return (s);
}

int
cqlval_blob_parse(const char *s, struct wbuf *w)
{
	size_t	n, i;
	int	hi, lo;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return (-1);
	s += 2;
	n = strlen(s);
	if (n % 2 != 0)
		return (-1);
	for (i = 0; i < n; i += 2) {
		if ((hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return (-1);
		wbuf_u8(w, (uint8_t)(hi << 4 | lo));
	}
	return (wbuf_ok(w) ? 0 : -1);
}
