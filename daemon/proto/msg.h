/*
 * msg.h: every native protocol message (v3, v4; fields for v5 where they
 * differ) as a struct, decoded from and encoded to frame bodies.
 *
 * Decoding:
 *	struct msg m;
 *	if (msg_decode(h.version, &h, body, h.length, &m, err, sizeof err))
 *		...answer a protocol error with err...
 *	... use m.opcode and m.u.query, m.u.result, ...
 *	msg_clear(&m);
 * Slices in a decoded msg point INTO body: body must outlive m.  Arrays
 * and cqltype trees are allocated and freed by msg_clear (which also
 * zeroes m).  The compression flag is ignored: decompress first.
 * With msg_decode_cached, RESULT Rows column specs may instead point into
 * a shared struct colset (result.rows.colset), which msg_clear lets go.
 *
 * Encoding (header and body; flags for the prefixes are added by itself):
 *	memset(&m, 0, sizeof m);
 *	m.opcode = OP_QUERY;
 *	m.u.query.query = slice_cstr("SELECT ...");
 *	m.u.query.params.consistency = CL_ONE;
 *	msg_encode(w, PROTO_V4, 0, stream, 0, &m);
 * A msg built by hand for encoding is not msg_clear'ed (it owns nothing)
 * unless its arrays and types were xmalloc'd as msg_decode would.
 *
 * RESULT Rows: decoding leaves the rows as one raw slice (already bounds
 * checked cell by cell); walk it with struct rows_reader. Servers write
 * rows straight into the frame with struct rows_writer.
 */
#ifndef CQLP_MSG_H
#define CQLP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "cqltype.h"

/* Caps on counts a peer sends (each also bounded by the body length). */
#define MSG_MAX_ENTRIES		65535	/* string lists/maps, values */
#define MSG_MAX_COLUMNS		65535
#define MSG_MAX_STATEMENTS	65535

enum consistency {
	CL_ANY = 0x0000,
	CL_ONE = 0x0001,
	CL_TWO = 0x0002,
	CL_THREE = 0x0003,
	CL_QUORUM = 0x0004,
	CL_ALL = 0x0005,
	CL_LOCAL_QUORUM = 0x0006,
	CL_EACH_QUORUM = 0x0007,
	CL_SERIAL = 0x0008,
	CL_LOCAL_SERIAL = 0x0009,
	CL_LOCAL_ONE = 0x000A
};
/* "LOCAL_QUORUM"...; NULL for unknown values. */
const char	*consistency_name(uint16_t);
/* Case-blind name to value; 0 or -1. */
int		 consistency_parse(const char *, uint16_t *);

enum error_code {
	ERR_SERVER = 0x0000,
	ERR_PROTOCOL = 0x000A,
	ERR_BAD_CREDENTIALS = 0x0100,
	ERR_UNAVAILABLE = 0x1000,
	ERR_OVERLOADED = 0x1001,
	ERR_IS_BOOTSTRAPPING = 0x1002,
	ERR_TRUNCATE = 0x1003,
	ERR_WRITE_TIMEOUT = 0x1100,
	ERR_READ_TIMEOUT = 0x1200,
	ERR_READ_FAILURE = 0x1300,
	ERR_FUNCTION_FAILURE = 0x1400,
	ERR_WRITE_FAILURE = 0x1500,
	ERR_CDC_WRITE_FAILURE = 0x1600,	/* v5 */
	ERR_CAS_WRITE_UNKNOWN = 0x1700,	/* v5 */
	ERR_SYNTAX = 0x2000,
	ERR_UNAUTHORIZED = 0x2100,
	ERR_INVALID = 0x2200,
	ERR_CONFIG = 0x2300,
	ERR_ALREADY_EXISTS = 0x2400,
	ERR_UNPREPARED = 0x2500
};
/* "SERVER_ERROR", "WRITE_TIMEOUT", ...; "UNKNOWN_ERROR" otherwise. */
const char	*error_code_name(int32_t);

/* QUERY/EXECUTE parameter flags (one byte before v5, four in v5). */
#define QP_VALUES		0x01
#define QP_SKIP_METADATA	0x02
#define QP_PAGE_SIZE		0x04
#define QP_PAGING_STATE		0x08
#define QP_SERIAL_CONSISTENCY	0x10
#define QP_DEFAULT_TIMESTAMP	0x20
#define QP_NAMES		0x40
#define QP_KEYSPACE		0x80	/* v5 */
#define QP_NOW_IN_SECONDS	0x100	/* v5 */

/* BATCH types and statement kinds. */
#define BATCH_LOGGED		0
#define BATCH_UNLOGGED		1
#define BATCH_COUNTER		2
#define BATCH_KIND_QUERY	0
#define BATCH_KIND_PREPARED	1

/* RESULT kinds. */
#define RESULT_VOID		0x0001
#define RESULT_ROWS		0x0002
#define RESULT_SET_KEYSPACE	0x0003
#define RESULT_PREPARED		0x0004
#define RESULT_SCHEMA_CHANGE	0x0005

/* Rows metadata flags. */
#define ROWS_GLOBAL_TABLES_SPEC	0x0001
#define ROWS_HAS_MORE_PAGES	0x0002
#define ROWS_NO_METADATA	0x0004
#define ROWS_METADATA_CHANGED	0x0008	/* v5 */

/* PREPARE flags (v5). */
#define PREPARE_KEYSPACE	0x01

struct string_pair {
	struct slice	 key;
	struct slice	 value;
};
struct string_map {
	size_t			 n;
	struct string_pair	*e;
};
struct string_list {
	size_t		 n;
	struct slice	*e;
};
struct string_multimap {
	size_t		 n;
	struct {
		struct slice		key;
		struct string_list	values;
	}		*e;
};
struct bytes_pair {
	struct slice	 key;
	struct bytesval	 value;
};
struct bytes_map {
	size_t			 n;
	struct bytes_pair	*e;
};

/* Lookup helpers (first match; NULL / -1 when absent). */
const struct slice *string_map_get(const struct string_map *, const char *);
const struct string_list *string_multimap_get(const struct string_multimap *,
		     const char *);

struct query_params {
	uint16_t	 consistency;
	uint32_t	 flags;		/* QP_*; QP_VALUES/QP_NAMES follow n,
					   the rest say what is present */
	size_t		 nvalues;
	struct bytesval	*values;
	struct slice	*names;		/* nvalues names when QP_NAMES */
	int32_t		 page_size;		/* QP_PAGE_SIZE */
	struct bytesval	 paging_state;		/* QP_PAGING_STATE */
	uint16_t	 serial_consistency;	/* QP_SERIAL_CONSISTENCY */
	int64_t		 default_timestamp;	/* QP_DEFAULT_TIMESTAMP, us */
	struct slice	 keyspace;		/* v5 QP_KEYSPACE */
	int32_t		 now_in_seconds;	/* v5 QP_NOW_IN_SECONDS */
};

struct msg_startup {
	struct string_map	 options;
};
struct msg_authenticate {
	struct slice		 authenticator;
};
struct msg_supported {
	struct string_multimap	 options;
};
struct msg_query {
	struct slice		 query;
	struct query_params	 params;
};
struct msg_prepare {
	struct slice		 query;
	uint32_t		 flags;		/* v5 */
	struct slice		 keyspace;	/* v5 PREPARE_KEYSPACE */
};
struct msg_execute {
	struct slice		 id;
	struct slice		 result_metadata_id;	/* v5 */
	struct query_params	 params;
};
struct batch_stmt {
	uint8_t			 kind;		/* BATCH_KIND_* */
	struct slice		 query;		/* the query text or the id */
	size_t			 nvalues;
	struct bytesval		*values;
	struct slice		*names;		/* when QP_NAMES in flags */
};
struct msg_batch {
	uint8_t			 type;		/* BATCH_LOGGED... */
	size_t			 n;
	struct batch_stmt	*stmts;
	uint16_t		 consistency;
	uint32_t		 flags;	/* QP_SERIAL_CONSISTENCY, _DEFAULT_TIMESTAMP, _NAMES */
	uint16_t		 serial_consistency;
	int64_t			 default_timestamp;
	struct slice		 keyspace;	/* v5 */
	int32_t			 now_in_seconds;	/* v5 */
};
struct msg_register {
	struct string_list	 events;
};
struct msg_auth {		/* AUTH_RESPONSE, AUTH_CHALLENGE, AUTH_SUCCESS */
	struct bytesval		 token;
};

/* A node's address as [inet]. */
struct inet_addr {
	uint8_t			 addr[16];
	size_t			 alen;	/* 4 or 16 */
	int32_t			 port;
};

/*
 * A schema change (RESULT Schema_change and EVENT SCHEMA_CHANGE):
 * change CREATED/UPDATED/DROPPED, target KEYSPACE/TABLE/TYPE/FUNCTION/
 * AGGREGATE, keyspace, name (table, type, function or aggregate; empty
 * for KEYSPACE) and argument types (FUNCTION/AGGREGATE).
 */
struct schema_change {
	struct slice		 change;
	struct slice		 target;
	struct slice		 keyspace;
	struct slice		 name;
	struct string_list	 args;
};
struct msg_event {
	struct slice		 type;	/* TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE */
	struct slice		 change;	/* NEW_NODE... UP/DOWN (not schema) */
	struct inet_addr	 node;
	struct schema_change	 schema;
};

struct col_spec {
	struct slice		 keyspace;
	struct slice		 table;
	struct slice		 name;
	struct cqltype		*type;
};

/*
 * Rows metadata. On decode with ROWS_GLOBAL_TABLES_SPEC, every col_spec
 * also carries the global keyspace/table. On encode, the global spec is
 * used when the flag is set (each column's keyspace/table ignored).
 * columns_count is the count on the wire (also with ROWS_NO_METADATA,
 * where cols is NULL).
 */
struct rows_meta {
	uint32_t		 flags;		/* ROWS_*: say what is present */
	int32_t			 columns_count;
	struct bytesval		 paging_state;	/* ROWS_HAS_MORE_PAGES */
	struct slice		 new_metadata_id;	/* v5 ROWS_METADATA_CHANGED */
	struct slice		 global_keyspace;
	struct slice		 global_table;
	struct col_spec		*cols;
};
/* Prepared metadata: bind variables and (v4+) partition key indexes. */
struct prepared_meta {
	uint32_t		 flags;		/* ROWS_GLOBAL_TABLES_SPEC */
	int32_t			 columns_count;
	int32_t			 pk_count;	/* v4+ */
	uint16_t		*pk_index;
	struct slice		 global_keyspace;
	struct slice		 global_table;
	struct col_spec		*cols;
};

/*
 * Rows metadata decoded once and shared by the answers that carry the
 * same bytes (answers to one statement do): the column specs point into
 * the set's own copy of those bytes, the types are the set's.  Read-only
 * for everyone; colset_ref/colset_unref keep it alive.  view is what a
 * higher layer built from it once (result.c's columns), freed with it by
 * view_free.
 */
struct colset {
	unsigned int		 refs;
	uint8_t			 version;
	uint32_t		 global;	/* ROWS_GLOBAL_TABLES_SPEC or 0 */
	int32_t			 count;
	struct col_spec		*cols;
	struct slice		 global_keyspace;
	struct slice		 global_table;
	void			*view;
	void			(*view_free)(void *);
	size_t			 rawlen;
	uint8_t			 raw[];	/* the specs as they came */
};
struct colset	*colset_ref(struct colset *);
void		 colset_unref(struct colset *);

/*
 * The last few column sets a decoder met (one per connection): small,
 * capped in slots, columns and bytes; what does not fit is decoded as
 * before.  Zeroed is empty.
 */
#define COLSET_CACHE_SLOTS	8
#define COLSET_MAX_COLUMNS	64
#define COLSET_MAX_BYTES	2048
struct colset_cache {
	struct colset		*slot[COLSET_CACHE_SLOTS];
	unsigned int		 next;	/* the slot replaced next */
	unsigned int		 last;	/* the slot that matched last */
	uint64_t		 hits;
	uint64_t		 misses;
};
void		 colset_cache_clear(struct colset_cache *);

struct result_rows {
	struct rows_meta	 meta;
	int32_t			 rows_count;
	struct slice		 rows;	/* rows_count * columns_count [bytes] */
	/* meta.cols belong to this set (msg_decode_cached), else NULL. */
	struct colset		*colset;
};
struct result_prepared {
	struct slice		 id;
	struct slice		 result_metadata_id;	/* v5 */
	struct prepared_meta	 meta;
	struct rows_meta	 result;
};
struct msg_result {
	int32_t			 kind;	/* RESULT_* */
	struct result_rows	 rows;
	struct slice		 keyspace;	/* SET_KEYSPACE */
	struct result_prepared	 prepared;
	struct schema_change	 schema;
};

struct msg_error {
	int32_t			 code;
	struct slice		 message;
	uint16_t		 consistency;	/* Unavailable, timeouts, failures */
	int32_t			 required;	/* Unavailable */
	int32_t			 alive;		/* Unavailable */
	int32_t			 received;	/* timeouts, failures */
	int32_t			 blockfor;	/* timeouts, failures */
	int32_t			 numfailures;	/* Read/Write failure */
	uint8_t			 data_present;	/* Read timeout/failure */
	struct slice		 write_type;	/* Write timeout/failure */
	struct slice		 keyspace;	/* Function failure, Already exists */
	struct slice		 table;		/* Already exists */
	struct slice		 function;	/* Function failure */
	struct string_list	 arg_types;	/* Function failure */
	struct slice		 id;		/* Unprepared */
};

struct msg {
	uint8_t			 opcode;
	/* Body prefixes, governed by the frame flags. */
	int			 has_tracing_id;	/* responses */
	uint8_t			 tracing_id[16];
	struct string_list	 warnings;	/* responses */
	int			 has_custom_payload;
	struct bytes_map	 custom_payload;
	union {
		struct msg_startup	 startup;
		struct msg_authenticate	 authenticate;
		struct msg_supported	 supported;
		struct msg_query	 query;
		struct msg_prepare	 prepare;
		struct msg_execute	 execute;
		struct msg_batch	 batch;
		struct msg_register	 reg;
		struct msg_event	 event;
		struct msg_auth		 auth;
		struct msg_result	 result;
		struct msg_error	 error;
	} u;
};

/*
 * Decode a frame body; the header supplies opcode, flags and direction.
 * 0 on success, -1 with a message in err (out is left cleared).
 */
int	 msg_decode(uint8_t version, const struct frame_header *,
	     const uint8_t *, size_t, struct msg *, char *err, size_t errlen);
/*
 * The same, taking RESULT Rows metadata from cache when the bytes are
 * ones met before (and adding them when not); NULL cache: msg_decode.
 */
int	 msg_decode_cached(uint8_t version, const struct frame_header *,
	     const uint8_t *, size_t, struct msg *, struct colset_cache *,
	     char *err, size_t errlen);
/* Free what msg_decode allocated and zero the struct. */
void	 msg_clear(struct msg *);
/* The same without the zeroing, for a msg about to go out of scope. */
void	 msg_release(struct msg *);
/*
 * Append a whole frame (header + body). Tracing (responses with
 * has_tracing_id), warning (responses with warnings) and custom payload
 * flags are added to flags from the msg. 0, or -1 if w overflowed or the
 * message cannot be expressed in this version.
 */
int	 msg_encode(struct wbuf *, uint8_t version, int response,
	     int16_t stream, uint8_t flags, const struct msg *);
/* Append only the body (prefixes per flags as msg_encode computes them). */
int	 msg_encode_body(struct wbuf *, uint8_t version, int response,
	     uint8_t *flags, const struct msg *);

/* The pieces, for callers that assemble bodies by hand. */
void	 query_params_write(struct wbuf *, uint8_t version,
	     const struct query_params *);
void	 rows_meta_write(struct wbuf *, uint8_t version,
	     const struct rows_meta *, size_t ncols);
void	 prepared_meta_write(struct wbuf *, uint8_t version,
	     const struct prepared_meta *, size_t ncols);

/*
 * Protocol version refusal, as Cassandra 4.0 words and frames it.
 * msg_version_error_text fills buf with "Invalid or unsupported protocol
 * version (N); supported versions are (3/v3, 4/v4, 5/v5-beta)" (supported
 * NULL for that default list). msg_encode_protocol_error appends an ERROR
 * 0x000A frame in the given version's header: v1/v2 get the 8-byte header
 * with a one-byte stream id.
 */
int	 msg_version_error_text(char *, size_t, unsigned, const char *);
void	 msg_encode_protocol_error(struct wbuf *, uint8_t version,
	     uint8_t flags, int16_t stream, const char *message);

/*
 * Writing RESULT Rows directly after frame_begin (and any prefixes):
 *	rows_writer_begin(&rw, w, version, &meta, ncols);
 *	for each row: for each column wbuf_bytes()/wbuf_bytes_null();
 *	    rows_writer_row(&rw);
 *	rows_writer_end(&rw);		(patches rows_count)
 */
struct rows_writer {
	struct wbuf	*w;
	size_t		 count_off;
	int32_t		 count;
};
void	 rows_writer_begin(struct rows_writer *, struct wbuf *, uint8_t,
	     const struct rows_meta *, size_t ncols);
void	 rows_writer_row(struct rows_writer *);
void	 rows_writer_end(struct rows_writer *);

/*
 * Walking decoded rows: rows_reader_next fills ncols cells (slices point
 * into the frame body) and returns 1, 0 at the end, -1 on a malformed
 * slice (cannot happen for slices msg_decode produced).
 */
struct rows_reader {
	struct rbuf	 r;
	size_t		 ncols;
	int32_t		 left;
};
void	 rows_reader_init(struct rows_reader *, const struct result_rows *);
int	 rows_reader_next(struct rows_reader *, struct bytesval *cells);

#endif
