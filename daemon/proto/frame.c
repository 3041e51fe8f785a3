/*
 * frame.c: the frame header, decoded from what has arrived so far and
 * written in front of bodies built in a wbuf.
 */
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"

static const char *const opcode_names[] = {
	"ERROR", "STARTUP", "READY", "AUTHENTICATE", NULL, "OPTIONS",
	"SUPPORTED", "QUERY", "RESULT", "PREPARE", "EXECUTE", "REGISTER",
	"EVENT", "BATCH", "AUTH_CHALLENGE", "AUTH_RESPONSE", "AUTH_SUCCESS"
};

size_t
frame_header_size(uint8_t version)
{
	version &= FRAME_VERSION_MASK;
	return (version == 1 || version == 2 ? FRAME_HEADER_LEN_V2 :
	    FRAME_HEADER_LEN);
}

/*
 * Unknown versions still get the v3+ layout read so that the caller can
 * answer on the right stream, as Cassandra does for any version byte.
 */
int
frame_header_decode(const uint8_t *p, size_t len, struct frame_header *h)
{
	uint8_t		v;
	size_t		need;
	uint32_t	length;

	memset(h, 0, sizeof *h);
	if (len < 1)
		return (FRAME_HEADER_LEN);
	v = p[0] & FRAME_VERSION_MASK;
	need = frame_header_size(v);
	h->version = v;
	h->response = (p[0] & FRAME_RESPONSE) != 0;
	if (v < 1 || v > PROTO_V5) {
		if (len >= FRAME_HEADER_LEN) {
			h->flags = p[1];
			h->stream = (int16_t)((p[2] << 8) | p[3]);
			h->opcode = p[4];
		}
		return (FRAME_EVERSION);
	}
	if (len < need)
		return ((int)(need - len));
	h->flags = p[1];
	if (need == FRAME_HEADER_LEN_V2) {
		h->stream = (int8_t)p[2];
		h->opcode = p[3];
		p += 4;
	} else {
		h->stream = (int16_t)((p[2] << 8) | p[3]);
		h->opcode = p[4];
		p += 5;
	}
	length = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
	if (length > INT32_MAX)
		return (FRAME_ELENGTH);
	h->length = length;
	return (0);
}

void
frame_header_encode(uint8_t *out, const struct frame_header *h)
{
	uint8_t	v = h->version & FRAME_VERSION_MASK;

	out[0] = v | (h->response ? FRAME_RESPONSE : 0);
	out[1] = h->flags;
	if (frame_header_size(v) == FRAME_HEADER_LEN_V2) {
		out[2] = (uint8_t)h->stream;
		out[3] = h->opcode;
		out += 4;
	} else {
		out[2] = ((uint16_t)h->stream >> 8) & 0xff;
		out[3] = (uint16_t)h->stream & 0xff;
		out[4] = h->opcode;
		out += 5;
	}
	out[0] = h->length >> 24;
	out[1] = (h->length >> 16) & 0xff;
	out[2] = (h->length >> 8) & 0xff;
	out[3] = h->length & 0xff;
}

size_t
frame_begin(struct wbuf *w, uint8_t version, int response, uint8_t flags,
    int16_t stream, uint8_t opcode)
{
	struct frame_header	 h;
	size_t			 start = w->len, n = frame_header_size(version);
	uint8_t			*p;

	memset(&h, 0, sizeof h);
	h.version = version;
	h.response = response;
	h.flags = flags;
	h.stream = stream;
	h.opcode = opcode;
	if ((p = wbuf_reserve(w, n)) != NULL)
		frame_header_encode(p, &h);
	return (start);
}

/* The length sits in the header's last four bytes whatever the version. */
void
frame_end(struct wbuf *w, size_t start)
{
	size_t	n, body;

	if (!wbuf_ok(w) || start >= w->len)
		return;
	n = frame_header_size(w->p[start]);
	if (w->len - start < n)
		return;
	body = w->len - start - n;
	if (body > INT32_MAX) {
		w->err = "frame too large";
		return;
	}
	wbuf_put_u32_at(w, start + n - 4, (uint32_t)body);
}

const char *
opcode_name(uint8_t op)
{
	if (op < nitems(opcode_names) && opcode_names[op] != NULL)
		return (opcode_names[op]);
	return ("UNKNOWN");
}

int
opcode_is_request(uint8_t op)
{
	switch (op) {
	case OP_STARTUP:
	case OP_OPTIONS:
	case OP_QUERY:
	case OP_PREPARE:
	case OP_EXECUTE:
	case OP_REGISTER:
	case OP_BATCH:
	case OP_AUTH_RESPONSE:
		return (1);
	case OP_ERROR:
	case OP_READY:
	case OP_AUTHENTICATE:
	case OP_SUPPORTED:
	case OP_RESULT:
	case OP_EVENT:
	case OP_AUTH_CHALLENGE:
	case OP_AUTH_SUCCESS:
		return (0);
	}
	return (-1);
}
