/*
 * jsonval.h: CQL values <-> JSON, one mapping for the whole daemon,
 * following Cassandra's own SELECT JSON / INSERT JSON conventions
 * (docs/protocol.md, "Values", is the user-facing description).
 *
 * Output comes in two forms:
 *  - jsonval_write_cql: exact JSON text appended to a wbuf. This is the form
 *    for answers: varint, decimal and bigint digits are written verbatim
 *    (decimal as Java's BigDecimal.toString, e.g. -1.50E+3), which a json_t
 *    cannot hold.
 *  - jsonval_from_cql: a jansson tree, identical except that numbers a json_t
 *    cannot carry exactly (varint outside int64, every decimal) are strings.
 *
 * Input: jsonval_to_cql takes a json_t and appends the serialized value.
 * Load requests with jsonval_loads rather than json_loadb: it reads number
 * tokens jansson would round or refuse (integers beyond int64, reals with
 * more than 15 significant digits) as strings, so they keep every digit.
 * Pass JSON_ALLOW_NUL so that text values may hold U+0000 (Cassandra allows
 * it; other types refuse strings with a NUL).
 *
 * Usage:
 *	struct jsonval_opts o = JSONVAL_OPTS_DEFAULT;
 *	jsonval_write_cql(type, p, n, &o, &w, err, sizeof err);   p NULL: null
 *	jsonval_to_cql(type, json, &o, &w, &is_null, err, sizeof err);
 * Error messages name the type and the offending value, e.g.
 *	value 300 out of range for tinyint
 */
#ifndef CQLP_JSONVAL_H
#define CQLP_JSONVAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct cqltype;
struct cqlval;
struct wbuf;

struct jsonval_opts {
	/*
	 * bigint, counter, varint and decimal as JSON strings, and NaN,
	 * Infinity, -Infinity as those strings instead of null, for clients
	 * that read every number as a double.
	 */
	int	numbers_as_strings;
	/* "," and ":" instead of Cassandra's ", " and ": " (text form). */
	int	compact;
};

#define JSONVAL_OPTS_DEFAULT	{ 0, 0 }

/* JSON text of a serialized value (p NULL: a null value); 0 or -1. */
int	 jsonval_write_cql(const struct cqltype *, const uint8_t *, size_t,
	     const struct jsonval_opts *, struct wbuf *, char *, size_t);
/* The same for a value already decoded by cqlval_decode. */
int	 jsonval_write_val(const struct cqltype *, const struct cqlval *,
	     const struct jsonval_opts *, struct wbuf *, char *, size_t);
/* Tree form of a serialized value (p NULL: json null); NULL on error. */
json_t	*jsonval_from_cql(const struct cqltype *, const uint8_t *, size_t,
	     const struct jsonval_opts *, char *, size_t);

/*
 * Serialize a JSON value as the type: the body is appended to out (no
 * [bytes] length); a JSON null sets *is_null and appends nothing.
 * Returns 0, or -1 with a message in err (out may hold partial bytes).
 */
int	 jsonval_to_cql(const struct cqltype *, const json_t *,
	     const struct jsonval_opts *, struct wbuf *, int *, char *,
	     size_t);

/* json_loadb that keeps exact numbers (see above); flags as jansson's. */
json_t	*jsonval_loads(const char *, size_t, size_t, json_error_t *);

/*
 * Quick readers for request text: each reads one token or value at p
 * (left bytes) and returns the bytes it used, or 0 when it gives up: on
 * anything wrong, and on what it does not handle (deep nesting).  The
 * caller then falls back to jsonval_loads, whose errors are the ones to
 * report.  What they build is what jsonval_loads builds for the same text.
 * Strings are decoded in place (p is changed) and NUL-terminated.
 */
/* A string at its opening quote: *out and *outlen, inside p. */
size_t	 jsonval_quick_string(char *, size_t, char **, size_t *);
/* How jsonval_loads reads a number token. */
enum jsonval_num {
	JSONVAL_NUM_INT = 0,	/* an integer; *iv set */
	JSONVAL_NUM_REAL,	/* a real jansson keeps exactly */
	JSONVAL_NUM_STRING	/* kept as a string of its digits */
};
size_t	 jsonval_quick_number(const char *, size_t, enum jsonval_num *,
	     int64_t *);
/* Any value (a new reference in *out). */
size_t	 jsonval_quick_value(char *, size_t, json_t **);

/*
 * An array of plain scalars (a statement's values) read into a table
 * instead of a tree: no allocation per value.  One scalar holds what
 * jsonval_quick_value would make a json_t of.
 */
enum jsonval_kind {
	JSONVAL_NULL = 0,
	JSONVAL_FALSE,
	JSONVAL_TRUE,
	JSONVAL_INT,		/* i */
	JSONVAL_REAL,		/* s, len: the number token */
	JSONVAL_STRING		/* s, len: the bytes (a lossy number's
				   token, or a string decoded in place) */
};
struct jsonval_scalar {
	const char	*s;
	size_t		 len;
	int64_t		 i;
	uint8_t		 kind;	/* enum jsonval_kind */
};
/*
 * An array at p: up to max scalars go to tab (*ntab set, *out NULL);
 * an array with more, or with nested values, becomes a tree in *out (a
 * new reference).  The bytes used, or 0 to give up.
 */
size_t	 jsonval_quick_array(char *, size_t, struct jsonval_scalar *,
	     size_t, size_t *, json_t **);
/* The tree jsonval_quick_value makes of the scalar (a new reference). */
json_t	*jsonval_scalar_json(const struct jsonval_scalar *);
/* jsonval_to_cql of jsonval_scalar_json(s), without the tree when it can. */
int	 jsonval_scalar_to_cql(const struct cqltype *,
	     const struct jsonval_scalar *, const struct jsonval_opts *,
	     struct wbuf *, int *, char *, size_t);

/* Append s (n bytes of UTF-8) as a quoted, escaped JSON string. */
void	 jsonval_write_string(struct wbuf *, const char *, size_t);

#endif
