/*
 * cqlval.h: decoded CQL values (a tree tagged by kind), their strict
 * decoding from and encoding to the serialized form of protocol v3+/v4,
 * Cassandra's text renderings of each scalar, and Cassandra's sort order
 * over serialized values.
 *
 * Usage:
 *	struct cqlval *v;
 *	char err[128];
 *	if (cqlval_decode(type, p, n, &v, err, sizeof err) != 0) ...error...
 *	cqlval_encode(type, v, w);	(body only, no [bytes] length)
 *	cqlval_free(v);
 *
 * A decoded value owns copies of its bytes (nothing points into the
 * input). Which union member holds the value:
 *	i	tinyint smallint int bigint counter timestamp (ms) time (ns)
 *		date (the raw uint32 day number, 2^31 = 1970-01-01)
 *	d	double		f	float		b	boolean
 *	bytes	ascii text blob varint (two's complement, big-endian) custom
 *	decimal	scale + unscaled varint bytes
 *	uuid	uuid timeuuid	inet	4 or 16 bytes
 *	duration months, days, nanoseconds
 *	items	list set tuple udt vector: n items; map: 2n items (key, value)
 * is_null marks null elements (allowed in tuples and UDTs, and as whole
 * values); a UDT decoded with missing trailing fields has them null.
 * is_empty marks a zero-length value of a scalar type that normally has
 * content (Cassandra accepts those for all scalars but text/blob, where
 * an empty value is just an empty string).
 */
#ifndef CQLP_CQLVAL_H
#define CQLP_CQLVAL_H

#include <stddef.h>
#include <stdint.h>

#include "cqltype.h"

struct wbuf;

#define CQLVAL_MAX_DEPTH	CQLTYPE_MAX_DEPTH
#define CQLVAL_MAX_ITEMS	(1U << 20)	/* elements in one collection */

struct cqlval {
	enum cqltype_kind kind;
	int		  is_null;
	int		  is_empty;
	union {
		int64_t		 i;
		double		 d;
		float		 f;
		int		 b;
		struct {
			uint8_t	*p;
			size_t	 n;
		} bytes;
		struct {
			int32_t	 scale;
			uint8_t	*p;
			size_t	 n;
		} decimal;
		uint8_t		 uuid[16];
		struct {
			uint8_t	 a[16];
			size_t	 n;
		} inet;
		struct {
			int32_t	 months;
			int32_t	 days;
			int64_t	 ns;
		} duration;
		struct {
			size_t		  n;	/* entries (map: pairs) */
			struct cqlval	**items;
			struct cqlval	 *pending;	/* map key awaiting value */
		} coll;
	} u;
};

/* Decode a serialized value strictly; 0 or -1 with a message in err. */
int		 cqlval_decode(const struct cqltype *, const uint8_t *, size_t,
		     struct cqlval **, char *err, size_t errlen);
/* Validate only (no tree built); 0 or -1 with a message in err. */
int		 cqlval_validate(const struct cqltype *, const uint8_t *,
		     size_t, char *err, size_t errlen);
/*
 * Append the serialized body (no [bytes] length) of v; -1 if v does not
 * fit the type (kind mismatch, wrong counts, null map key...).  A null
 * top-level value writes nothing and returns 1: write [bytes] -1 instead.
 */
int		 cqlval_encode(const struct cqltype *, const struct cqlval *,
		     struct wbuf *);
void		 cqlval_free(struct cqlval *);
struct cqlval	*cqlval_dup(const struct cqlval *);

/* Constructors (copying their arguments). */
struct cqlval	*cqlval_new_null(enum cqltype_kind);
struct cqlval	*cqlval_new_int(enum cqltype_kind, int64_t);
struct cqlval	*cqlval_new_double(double);
struct cqlval	*cqlval_new_float(float);
struct cqlval	*cqlval_new_bool(int);
struct cqlval	*cqlval_new_bytes(enum cqltype_kind, const void *, size_t);
struct cqlval	*cqlval_new_text(const char *);
struct cqlval	*cqlval_new_decimal(int32_t, const uint8_t *, size_t);
struct cqlval	*cqlval_new_uuid(enum cqltype_kind, const uint8_t[16]);
struct cqlval	*cqlval_new_inet(const uint8_t *, size_t);
struct cqlval	*cqlval_new_duration(int32_t, int32_t, int64_t);
/* Empty list/set/map/tuple/udt/vector; add items (map: key then value). */
struct cqlval	*cqlval_new_coll(enum cqltype_kind);
void		 cqlval_append(struct cqlval *, struct cqlval *);
void		 cqlval_map_put(struct cqlval *, struct cqlval *, struct cqlval *);

/*
 * Text forms, exactly as Cassandra renders them. *_format write into a
 * caller buffer (returning the length, or -1 if it does not fit) or
 * return an xmalloc'd string; *_parse return 0 or -1.
 */
#define CQLVAL_UUID_STRLEN	37	/* with the NUL */
#define CQLVAL_INET_STRLEN	48
#define CQLVAL_TIME_STRLEN	64

void	 cqlval_uuid_format(const uint8_t[16], char[CQLVAL_UUID_STRLEN]);
int	 cqlval_uuid_parse(const char *, uint8_t[16]);
/* 1..5 for RFC 4122 uuids, or the raw version nibble. */
int	 cqlval_uuid_version(const uint8_t[16]);
/* A version 1 uuid's 60-bit timestamp (100ns since 1582-10-15). */
uint64_t cqlval_timeuuid_time(const uint8_t[16]);

/* "1.2.3.4" or Java's full IPv6 "2001:db8:0:0:0:0:0:1". */
int	 cqlval_inet_format(const uint8_t *, size_t, char *, size_t);
/* Any IPv4 or IPv6 text form; *n becomes 4 or 16. */
int	 cqlval_inet_parse(const char *, uint8_t[16], size_t *);

/*
 * ms since the epoch <-> "2021-06-01 12:30:45.123Z" (UTC, proleptic
 * Gregorian: Java would switch to the Julian calendar before 1582).
 * Input: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.fff]]", 'T' separator,
 * zones "Z", "+0000", "+00:00", "-02", or an integer of ms.
 */
int	 cqlval_timestamp_format(int64_t, char *, size_t);
int	 cqlval_timestamp_parse(const char *, int64_t *);
/* Raw date (2^31 = epoch) <-> "YYYY-MM-DD"; input also a day number. */
int	 cqlval_date_format(uint32_t, char *, size_t);
int	 cqlval_date_parse(const char *, uint32_t *);
/* ns since midnight <-> "HH:MM:SS.fffffffff". */
int	 cqlval_time_format(int64_t, char *, size_t);
int	 cqlval_time_parse(const char *, int64_t *);
/*
 * Durations as Cassandra's Duration.toString: "1y2mo3d4h5m6s7ms8us9ns"
 * (no weeks; a zero duration is ""). Input also takes w, µs, upper case,
 * ISO-8601 "P1Y2M3DT4H5M6S", "P2W", "P0001-02-03T04:05:06" and a "-".
 */
int	 cqlval_duration_format(int32_t, int32_t, int64_t, char *, size_t);
int	 cqlval_duration_parse(const char *, int32_t *, int32_t *, int64_t *);

/*
 * Two's complement big-endian <-> decimal digits (xmalloc'd string; NULL
 * for an empty value or one over 16 KiB, as the conversion is quadratic).
 */
char	*cqlval_varint_to_string(const uint8_t *, size_t);
/* Appends the minimal two's complement bytes of s to w. */
int	 cqlval_varint_from_string(const char *, struct wbuf *);
/* Java BigDecimal.toString of unscaled * 10^-scale (NULL as above). */
char	*cqlval_decimal_to_string(int32_t, const uint8_t *, size_t);
/* Plain or exponent form; appends unscaled bytes to w, sets *scale. */
int	 cqlval_decimal_from_string(const char *, int32_t *, struct wbuf *);

/* Java Double.toString / Float.toString with shortest round-trip digits. */
int	 cqlval_double_format(double, char *, size_t);
int	 cqlval_float_format(float, char *, size_t);
/* Also "NaN", "Infinity", "-Infinity"; strict (whole string). */
int	 cqlval_double_parse(const char *, double *);
int	 cqlval_float_parse(const char *, float *);

/* "0x" + lower-case hex (xmalloc'd); parse appends the bytes to w. */
char	*cqlval_blob_format(const uint8_t *, size_t);
int	 cqlval_blob_parse(const char *, struct wbuf *);

/* UTF-8 / ASCII validity checks used by the decoder. */
int	 cqlval_utf8_valid(const uint8_t *, size_t);
int	 cqlval_ascii_valid(const uint8_t *, size_t);

/*
 * Order two serialized values of a type as Cassandra does (<0, 0, >0).
 * Malformed values sort bytewise rather than failing.  Empty values sort
 * before everything else.
 */
int	 cqlval_compare(const struct cqltype *, const uint8_t *, size_t,
	     const uint8_t *, size_t);

#endif
