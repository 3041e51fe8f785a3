/*
 * cqltype.h: CQL data types as a tree, read from and written to the wire's
 * [option] form, and parsed from / formatted to CQL text as Cassandra keeps
 * it in system_schema.columns.type.
 *
 * Usage:
 *	struct cqltype *t = cqltype_parse("frozen<map<text, int>>", &err);
 *	char *s = cqltype_format(t);		-> "frozen<map<text, int>>"
 *	cqltype_write(w, PROTO_V4, t);		-> [option] bytes
 *	t2 = cqltype_read(r, PROTO_V4);		(NULL and r's error on failure)
 *	cqltype_free(t);
 *
 * Scalars have no children. list/set: sub[0]. map: sub[0] key, sub[1] value.
 * tuple: sub[0..n-1]. udt: sub[0..n-1] with names fields[0..n-1], keyspace
 * and name. vector: sub[0] element, dimension. custom: class name.
 * A bare UDT name from cqltype_parse gives kind UDT with n == 0, fields NULL
 * and keyspace NULL: "unresolved", to be looked up by the caller.
 * The wire form has no frozen bit, so cqltype_read leaves frozen at 0.
 */
#ifndef CQLP_CQLTYPE_H
#define CQLP_CQLTYPE_H

#include <stddef.h>
#include <stdint.h>

struct rbuf;
struct wbuf;

/* The wire [option] ids where they exist; VECTOR exists only as custom. */
enum cqltype_kind {
	CQLTYPE_CUSTOM = 0x0000,
	CQLTYPE_ASCII = 0x0001,
	CQLTYPE_BIGINT = 0x0002,
	CQLTYPE_BLOB = 0x0003,
	CQLTYPE_BOOLEAN = 0x0004,
	CQLTYPE_COUNTER = 0x0005,
	CQLTYPE_DECIMAL = 0x0006,
	CQLTYPE_DOUBLE = 0x0007,
	CQLTYPE_FLOAT = 0x0008,
	CQLTYPE_INT = 0x0009,
	CQLTYPE_TIMESTAMP = 0x000B,
	CQLTYPE_UUID = 0x000C,
	CQLTYPE_TEXT = 0x000D,		/* varchar on the wire; "text" in CQL */
	CQLTYPE_VARINT = 0x000E,
	CQLTYPE_TIMEUUID = 0x000F,
	CQLTYPE_INET = 0x0010,
	CQLTYPE_DATE = 0x0011,
	CQLTYPE_TIME = 0x0012,
	CQLTYPE_SMALLINT = 0x0013,
	CQLTYPE_TINYINT = 0x0014,
	CQLTYPE_DURATION = 0x0015,	/* v5 id; custom class before v5 */
	CQLTYPE_LIST = 0x0020,
	CQLTYPE_MAP = 0x0021,
	CQLTYPE_SET = 0x0022,
	CQLTYPE_UDT = 0x0030,
	CQLTYPE_TUPLE = 0x0031,
	CQLTYPE_VECTOR = 0x0100		/* not a wire id */
};

/* Limits on what a peer or a type string can make us build. */
#define CQLTYPE_MAX_DEPTH	32
#define CQLTYPE_MAX_FIELDS	1024	/* tuple elements, UDT fields */
#define CQLTYPE_MAX_DIMENSION	65536	/* vector dimension */

struct cqltype {
	enum cqltype_kind kind;
	int		  frozen;
	char		 *custom;	/* CUSTOM: Java class name */
	char		 *keyspace;	/* UDT */
	char		 *name;		/* UDT */
	size_t		  n;		/* number of sub (and fields for UDT) */
	struct cqltype	**sub;
	char		**fields;	/* UDT field names */
	uint32_t	  dimension;	/* VECTOR */
};

/* Constructors: each returns a new tree owning its children. */
struct cqltype	*cqltype_new_scalar(enum cqltype_kind);
struct cqltype	*cqltype_new_custom(const char *);
struct cqltype	*cqltype_new_list(struct cqltype *);
struct cqltype	*cqltype_new_set(struct cqltype *);
struct cqltype	*cqltype_new_map(struct cqltype *, struct cqltype *);
struct cqltype	*cqltype_new_vector(struct cqltype *, uint32_t);
/* Empty tuple/udt; add elements with cqltype_add (name NULL for tuples). */
struct cqltype	*cqltype_new_tuple(void);
struct cqltype	*cqltype_new_udt(const char *keyspace, const char *name);
void		 cqltype_add(struct cqltype *, const char *, struct cqltype *);
struct cqltype	*cqltype_frozen(struct cqltype *);	/* sets frozen, returns it */

void		 cqltype_free(struct cqltype *);
struct cqltype	*cqltype_dup(const struct cqltype *);
/* Structural equality including frozen flags, names and UDT fields. */
int		 cqltype_equal(const struct cqltype *, const struct cqltype *);
/* As cqltype_equal, but frozen flags are ignored (wire vs schema types). */
int		 cqltype_equal_unfrozen(const struct cqltype *,
		     const struct cqltype *);

/*
 * Wire [option]. Reading fails (NULL, rbuf error set) on unknown ids, depth
 * over CQLTYPE_MAX_DEPTH or more than CQLTYPE_MAX_FIELDS fields. Custom
 * classes naming a VectorType (or DurationType etc.) become those kinds.
 * Writing: duration is written as the custom class before v5, vector always.
 */
struct cqltype	*cqltype_read(struct rbuf *, uint8_t version);
void		 cqltype_write(struct wbuf *, uint8_t version,
		     const struct cqltype *);

/*
 * CQL text (also Java marshal class names, parameterised ones too).
 * On failure returns NULL and, if errp is not NULL, an xmalloc'd message.
 */
struct cqltype	*cqltype_parse(const char *, char **errp);
/* xmalloc'd text as Cassandra writes system_schema.columns.type. */
char		*cqltype_format(const struct cqltype *);
/* xmalloc'd Java marshal class name ("org.apache...Int32Type"). */
char		*cqltype_class_name(const struct cqltype *);

/*
 * Apply Cassandra's implicit freezing: tuples are always frozen, and
 * collections, tuples and UDTs nested inside another type are frozen.
 */
void		 cqltype_normalize(struct cqltype *);

/* Serialized size of a fixed-size kind (int 4, uuid 16, ...), else -1. */
int		 cqltype_fixed_size(enum cqltype_kind);
/* "int", "text", "list", ... (CQL names); "unknown" otherwise. */
const char	*cqltype_kind_name(enum cqltype_kind);
/* 1 for list, set, map (not tuple, udt, vector). */
int		 cqltype_is_collection(enum cqltype_kind);

#endif
