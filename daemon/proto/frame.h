/*
 * frame.h: the native protocol's frame header (v3/v4 9 bytes; v1/v2 8 bytes,
 * spoken only to refuse them), opcodes and flags.  v5 carries these same
 * frames inside checksummed segments: see segment.h when it exists.
 *
 * Reading: call frame_header_decode() on what has arrived; 0 means h is
 * filled (h->length bytes of body follow frame_header_size(h->version)
 * header bytes), >0 is how many more header bytes are needed, <0 is one of
 * FRAME_E* (for FRAME_EVERSION h->version/response/stream are still filled
 * from the 9-byte layout so a server can answer with a protocol error).
 * The caller checks h->length against its own maximum before buffering.
 *
 * Writing a whole frame into a wbuf:
 *	start = frame_begin(w, PROTO_V4, 1, 0, stream, OP_RESULT);
 *	... append the body with wbuf_* ...
 *	frame_end(w, start);		(patches the body length)
 */
#ifndef CQLP_FRAME_H
#define CQLP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_LEN	9	/* v3 and later */
#define FRAME_HEADER_LEN_V2	8	/* v1 and v2: 1-byte stream id */
#define FRAME_RESPONSE		0x80	/* direction bit in the version byte */
#define FRAME_VERSION_MASK	0x7f

#define PROTO_V3		3
#define PROTO_V4		4
#define PROTO_V5		5
#define PROTO_MIN		PROTO_V3
#define PROTO_MAX		PROTO_V4	/* v5 segments come later */

/* The default cap on a frame body; Cassandra's native_transport_max_frame_size is 16 MiB (4.0: 16 MiB). */
#define FRAME_MAX_BODY_DEFAULT	(16U * 1024 * 1024)
#define FRAME_MAX_STREAMS	32768

/* Header flags. */
#define FRAME_FLAG_COMPRESSION	0x01
#define FRAME_FLAG_TRACING	0x02
#define FRAME_FLAG_CUSTOM	0x04
#define FRAME_FLAG_WARNING	0x08
#define FRAME_FLAG_BETA		0x10

enum opcode {
	OP_ERROR = 0x00,
	OP_STARTUP = 0x01,
	OP_READY = 0x02,
	OP_AUTHENTICATE = 0x03,
	OP_OPTIONS = 0x05,
	OP_SUPPORTED = 0x06,
	OP_QUERY = 0x07,
	OP_RESULT = 0x08,
	OP_PREPARE = 0x09,
	OP_EXECUTE = 0x0A,
	OP_REGISTER = 0x0B,
	OP_EVENT = 0x0C,
	OP_BATCH = 0x0D,
	OP_AUTH_CHALLENGE = 0x0E,
	OP_AUTH_RESPONSE = 0x0F,
	OP_AUTH_SUCCESS = 0x10
};
#define OP_MAX	0x10

struct frame_header {
	uint8_t		version;	/* without the direction bit */
	int		response;	/* direction bit was set */
	uint8_t		flags;
	int16_t		stream;
	uint8_t		opcode;
	uint32_t	length;		/* body length */
};

/* frame_header_decode() failures. */
#define FRAME_EVERSION		(-1)	/* version byte not 1..5 */
#define FRAME_ELENGTH		(-2)	/* body length >= 2^31 */
#define FRAME_EDIRECTION	(-3)	/* never returned by decode; for callers */

int	 frame_header_decode(const uint8_t *, size_t, struct frame_header *);
/* Writes frame_header_size(h->version) bytes (8 for v1/v2, else 9). */
void	 frame_header_encode(uint8_t *, const struct frame_header *);
size_t	 frame_header_size(uint8_t version);

struct wbuf;
/* Append a header with a zero length; returns its offset for frame_end. */
size_t	 frame_begin(struct wbuf *, uint8_t version, int response,
	     uint8_t flags, int16_t stream, uint8_t opcode);
/* Patch the body length of the frame begun at start. */
void	 frame_end(struct wbuf *, size_t start);
/* "QUERY", "RESULT", ...; "UNKNOWN" for anything else. */
const char *opcode_name(uint8_t);
/* 1 if the opcode is one a client sends, 0 if a server sends, -1 unknown. */
int	 opcode_is_request(uint8_t);

#endif
