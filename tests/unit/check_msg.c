/*
 * check_msg.c: every message kind encodes to the bytes the spec lays
 * out, decodes back to the same fields and re-encodes identically; every
 * truncation and hostile count is an error, never a crash.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "cqltype.h"
#include "msg.h"

#define B(...)	(const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define S(s)	slice_cstr(s)

/* The last frame encoded by check(); decoded messages point into it. */
static struct wbuf	 frame;
static struct msg	 dec;

/*
 * Encode m, compare the body with want (if given), decode it into dec,
 * re-encode dec to the same bytes, and refuse every truncated body.
 */
static void
check(uint8_t version, int response, uint8_t flags, const struct msg *m,
    const uint8_t *want, size_t n)
{
	struct frame_header	 h;
	struct wbuf		 again;
	struct msg		 x;
	char			 err[256];
	size_t			 hl = frame_header_size(version), i;

	msg_clear(&dec);
	wbuf_free(&frame);
	wbuf_init(&frame, 0);
	ck_assert_int_eq(msg_encode(&frame, version, response, 7, flags, m), 0);
	ck_assert_int_eq(frame_header_decode(frame.p, frame.len, &h), 0);
	ck_assert_uint_eq(h.version, version);
	ck_assert_int_eq(h.response, response);
	ck_assert_int_eq(h.stream, 7);
	ck_assert_uint_eq(h.opcode, m->opcode);
	ck_assert_uint_eq(h.length, frame.len - hl);
	if (want != NULL) {
		ck_assert_msg(h.length == n, "%s body length %u want %zu",
		    opcode_name(m->opcode), h.length, n);
		ck_assert_msg(memcmp(frame.p + hl, want, n) == 0,
		    "%s body bytes", opcode_name(m->opcode));
	}
	ck_assert_msg(msg_decode(version, &h, frame.p + hl, h.length, &dec,
	    err, sizeof err) == 0, "decode %s: %s", opcode_name(m->opcode),
	    err);
	wbuf_init(&again, 0);
	ck_assert_int_eq(msg_encode(&again, version, response, 7, h.flags,
	    &dec), 0);
	ck_assert_msg(again.len == frame.len && memcmp(again.p, frame.p,
	    frame.len) == 0, "%s re-encodes differently",
	    opcode_name(m->opcode));
	wbuf_free(&again);
	/*
	 * Decoding must not depend on what the struct held before (a RESULT
	 * clears only what its kind uses): into garbage, the same bytes
	 * again, and nothing stale for msg_clear to free.
	 */
	memset(&x, 0xa5, sizeof x);
	ck_assert_int_eq(msg_decode(version, &h, frame.p + hl, h.length, &x,
	    err, sizeof err), 0);
	wbuf_init(&again, 0);
	ck_assert_int_eq(msg_encode(&again, version, response, 7, h.flags,
	    &x), 0);
	ck_assert_msg(again.len == frame.len && memcmp(again.p, frame.p,
	    frame.len) == 0, "%s decoded over garbage re-encodes differently",
	    opcode_name(m->opcode));
	wbuf_free(&again);
	if (x.opcode == OP_RESULT && x.u.result.kind != RESULT_ROWS) {
		if (x.u.result.kind != RESULT_SET_KEYSPACE)
			ck_assert_ptr_null(x.u.result.keyspace.p);
		if (x.u.result.kind != RESULT_PREPARED) {
			ck_assert_ptr_null(x.u.result.prepared.id.p);
			ck_assert_ptr_null(x.u.result.prepared.meta.cols);
			ck_assert_ptr_null(x.u.result.prepared.meta.pk_index);
			ck_assert_ptr_null(x.u.result.prepared.result.cols);
		}
		if (x.u.result.kind != RESULT_SCHEMA_CHANGE)
			ck_assert_ptr_null(x.u.result.schema.args.e);
	}
	msg_clear(&x);
	for (i = 0; i < h.length; i++) {
		ck_assert_msg(msg_decode(version, &h, frame.p + hl, i, &x, err,
		    sizeof err) != 0, "%s truncated to %zu accepted",
		    opcode_name(m->opcode), i);
	}
}

static void
refuse(uint8_t version, int response, uint8_t opcode, uint8_t flags,
    const uint8_t *body, size_t n)
{
	struct frame_header	h;
	struct msg		x;
	char			err[256] = "";

	memset(&h, 0, sizeof h);
	h.version = version;
	h.response = response;
	h.opcode = opcode;
	h.flags = flags;
	h.length = (uint32_t)n;
	ck_assert_msg(msg_decode(version, &h, body, n, &x, err,
	    sizeof err) != 0, "%s accepted", opcode_name(opcode));
	ck_assert(err[0] != '\0');
}

static void
teardown(void)
{
	msg_clear(&dec);
	wbuf_free(&frame);
}

START_TEST(test_startup_ready_options)
{
	struct msg		m;
	struct string_pair	opts[] = { { S("CQL_VERSION"), S("3.0.0") } };
	const struct slice	*v;

	memset(&m, 0, sizeof m);
	m.opcode = OP_STARTUP;
	m.u.startup.options.n = 1;
	m.u.startup.options.e = opts;
	check(4, 0, 0, &m, B(0x00, 0x01, 0x00, 0x0b, 'C', 'Q', 'L', '_', 'V',
	    'E', 'R', 'S', 'I', 'O', 'N', 0x00, 0x05, '3', '.', '0', '.', '0'));
	ck_assert_uint_eq(dec.u.startup.options.n, 1);
	v = string_map_get(&dec.u.startup.options, "CQL_VERSION");
	ck_assert_ptr_nonnull(v);
	ck_assert(slice_eq(*v, "3.0.0"));
	ck_assert_ptr_null(string_map_get(&dec.u.startup.options, "X"));
	/* The whole frame, header included. */
	ck_assert_uint_eq(frame.p[0], 0x04);
	ck_assert_uint_eq(frame.p[4], OP_STARTUP);
	ck_assert_uint_eq(frame.p[8], 22);

	memset(&m, 0, sizeof m);
	m.opcode = OP_READY;
	check(4, 1, 0, &m, NULL, 0);
	ck_assert_uint_eq(frame.len, 9);
	ck_assert_uint_eq(frame.p[0], 0x84);
	m.opcode = OP_OPTIONS;
	check(3, 0, 0, &m, NULL, 0);
	/* Wrong direction and unknown opcodes. */
	refuse(4, 1, OP_OPTIONS, 0, NULL, 0);
	refuse(4, 0, OP_READY, 0, NULL, 0);
	refuse(4, 0, 0x42, 0, NULL, 0);
	refuse(2, 0, OP_OPTIONS, 0, NULL, 0);
}
END_TEST

START_TEST(test_authenticate_supported)
{
	struct msg		m;
	struct slice		cqlv[] = { S("3.4.5") };
	struct slice		comp[] = { S("snappy"), S("lz4") };
	const struct string_list *l;

	memset(&m, 0, sizeof m);
	m.opcode = OP_AUTHENTICATE;
	m.u.authenticate.authenticator = S("Pw");
	check(4, 1, 0, &m, B(0x00, 0x02, 'P', 'w'));
	ck_assert(slice_eq(dec.u.authenticate.authenticator, "Pw"));

	memset(&m, 0, sizeof m);
	m.opcode = OP_SUPPORTED;
	m.u.supported.options.n = 2;
	m.u.supported.options.e = xcalloc(2, sizeof *m.u.supported.options.e);
	m.u.supported.options.e[0].key = S("CQL_VERSION");
	m.u.supported.options.e[0].values.n = 1;
	m.u.supported.options.e[0].values.e = cqlv;
	m.u.supported.options.e[1].key = S("C");
	m.u.supported.options.e[1].values.n = 2;
	m.u.supported.options.e[1].values.e = comp;
	check(4, 1, 0, &m, B(0x00, 0x02,
	    0x00, 0x0b, 'C', 'Q', 'L', '_', 'V', 'E', 'R', 'S', 'I', 'O', 'N',
	    0x00, 0x01, 0x00, 0x05, '3', '.', '4', '.', '5',
	    0x00, 0x01, 'C', 0x00, 0x02, 0x00, 0x06, 's', 'n', 'a', 'p', 'p',
	    'y', 0x00, 0x03, 'l', 'z', '4'));
	free(m.u.supported.options.e);
	l = string_multimap_get(&dec.u.supported.options, "C");
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->n, 2);
	ck_assert(slice_eq(l->e[1], "lz4"));
	ck_assert_ptr_null(string_multimap_get(&dec.u.supported.options, "Z"));
}
END_TEST

START_TEST(test_query)
{
	struct msg	m;
	struct bytesval	vals[3];
	struct slice	names[3] = { S("a"), S("b"), S("c") };

	vals[0] = bytesval_value("\x00\x00\x00\x01", 4);
	vals[1] = bytesval_null();
	vals[2] = bytesval_unset();
	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = S("SELECT 1");
	m.u.query.params.consistency = CL_ONE;
	m.u.query.params.flags = QP_PAGE_SIZE | QP_SERIAL_CONSISTENCY |
	    QP_DEFAULT_TIMESTAMP | QP_SKIP_METADATA;
	m.u.query.params.nvalues = 3;
	m.u.query.params.values = vals;
	m.u.query.params.page_size = 100;
	m.u.query.params.flags |= QP_PAGING_STATE;
	m.u.query.params.paging_state = bytesval_value("PS", 2);
	m.u.query.params.serial_consistency = CL_LOCAL_SERIAL;
	m.u.query.params.default_timestamp = 0x0102030405060708LL;
	check(4, 0, 0, &m, B(0x00, 0x00, 0x00, 0x08, 'S', 'E', 'L', 'E', 'C',
	    'T', ' ', '1', 0x00, 0x01, 0x3f,
	    0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	    0x00, 0x00, 0x00, 0x64,
	    0x00, 0x00, 0x00, 0x02, 'P', 'S',
	    0x00, 0x09,
	    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08));
	ck_assert(slice_eq(dec.u.query.query, "SELECT 1"));
	ck_assert_uint_eq(dec.u.query.params.consistency, CL_ONE);
	ck_assert_uint_eq(dec.u.query.params.nvalues, 3);
	ck_assert_int_eq(dec.u.query.params.values[1].state, BYTES_NULL);
	ck_assert_int_eq(dec.u.query.params.values[2].state, BYTES_UNSET);
	ck_assert_int_eq(dec.u.query.params.page_size, 100);
	ck_assert(slice_eq(dec.u.query.params.paging_state.v, "PS"));
	ck_assert_uint_eq(dec.u.query.params.serial_consistency,
	    CL_LOCAL_SERIAL);
	ck_assert(dec.u.query.params.default_timestamp == 0x0102030405060708LL);

	/* Named values. */
	m.u.query.params.flags = QP_NAMES;
	m.u.query.params.names = names;
	m.u.query.params.paging_state = bytesval_null();
	check(4, 0, 0, &m, NULL, 0);
	ck_assert_uint_eq(dec.u.query.params.flags, QP_VALUES | QP_NAMES);
	ck_assert(slice_eq(dec.u.query.params.names[2], "c"));

	/* No values at all. */
	m.u.query.params.flags = 0;
	m.u.query.params.nvalues = 0;
	m.u.query.params.consistency = CL_LOCAL_QUORUM;
	check(3, 0, 0, &m, B(0x00, 0x00, 0x00, 0x08, 'S', 'E', 'L', 'E', 'C',
	    'T', ' ', '1', 0x00, 0x06, 0x00));

	/* v5: four flag bytes, keyspace and now_in_seconds. */
	m.u.query.params.flags = QP_KEYSPACE | QP_NOW_IN_SECONDS;
	m.u.query.params.keyspace = S("ks");
	m.u.query.params.now_in_seconds = 5;
	check(5, 0, 0, &m, B(0x00, 0x00, 0x00, 0x08, 'S', 'E', 'L', 'E', 'C',
	    'T', ' ', '1', 0x00, 0x06, 0x00, 0x00, 0x01, 0x80, 0x00, 0x02,
	    'k', 's', 0x00, 0x00, 0x00, 0x05));
	ck_assert(slice_eq(dec.u.query.params.keyspace, "ks"));

	/* Unset values do not exist before v4; hostile counts. */
	refuse(3, 0, OP_QUERY, 0, B(0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
	    0x00, 0x01, 0xff, 0xff, 0xff, 0xfe));
	refuse(4, 0, OP_QUERY, 0, B(0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xfe));
	refuse(4, 0, OP_QUERY, 0, B(0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
	    0x00, 0x01, 0xff, 0xff, 0xff, 0xfd));
	refuse(4, 0, OP_QUERY, 0, B(0x7f, 0xff, 0xff, 0xff, 0x00));
	refuse(4, 0, OP_QUERY, 0, B(0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x00));
}
END_TEST

START_TEST(test_prepare_execute)
{
	struct msg	m;
	struct bytesval	vals[1];

	memset(&m, 0, sizeof m);
	m.opcode = OP_PREPARE;
	m.u.prepare.query = S("SELECT");
	check(4, 0, 0, &m, B(0x00, 0x00, 0x00, 0x06, 'S', 'E', 'L', 'E', 'C',
	    'T'));
	ck_assert(slice_eq(dec.u.prepare.query, "SELECT"));
	m.u.prepare.flags = PREPARE_KEYSPACE;
	m.u.prepare.keyspace = S("k");
	check(5, 0, 0, &m, B(0x00, 0x00, 0x00, 0x06, 'S', 'E', 'L', 'E', 'C',
	    'T', 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'k'));

	vals[0] = bytesval_value("", 0);
	memset(&m, 0, sizeof m);
	m.opcode = OP_EXECUTE;
	m.u.execute.id = S("\xab\xcd");
	m.u.execute.params.consistency = CL_QUORUM;
	m.u.execute.params.flags = QP_SKIP_METADATA;
	m.u.execute.params.nvalues = 1;
	m.u.execute.params.values = vals;
	check(4, 0, 0, &m, B(0x00, 0x02, 0xab, 0xcd, 0x00, 0x04, 0x03,
	    0x00, 0x01, 0x00, 0x00, 0x00, 0x00));
	ck_assert(slice_eq(dec.u.execute.id, "\xab\xcd"));
	ck_assert_uint_eq(dec.u.execute.params.flags, QP_SKIP_METADATA |
	    QP_VALUES);
	ck_assert_int_eq(dec.u.execute.params.values[0].state, BYTES_VALUE);
	ck_assert_uint_eq(dec.u.execute.params.values[0].v.n, 0);
	m.u.execute.result_metadata_id = S("M");
	check(5, 0, 0, &m, B(0x00, 0x02, 0xab, 0xcd, 0x00, 0x01, 'M',
	    0x00, 0x04, 0x00, 0x00, 0x00, 0x03,
	    0x00, 0x01, 0x00, 0x00, 0x00, 0x00));
	ck_assert(slice_eq(dec.u.execute.result_metadata_id, "M"));
}
END_TEST

START_TEST(test_batch)
{
	struct msg		m;
	struct batch_stmt	st[2];
	struct bytesval		v1[1], v2[2];
	struct slice		n1[1] = { S("x") }, n2[2] = { S("y"), S("z") };

	v1[0] = bytesval_value("\x01", 1);
	v2[0] = bytesval_null();
	v2[1] = bytesval_unset();
	memset(st, 0, sizeof st);
	st[0].kind = BATCH_KIND_QUERY;
	st[0].query = S("I");
	st[0].nvalues = 1;
	st[0].values = v1;
	st[1].kind = BATCH_KIND_PREPARED;
	st[1].query = S("\x99");
	st[1].nvalues = 2;
	st[1].values = v2;
	memset(&m, 0, sizeof m);
	m.opcode = OP_BATCH;
	m.u.batch.type = BATCH_UNLOGGED;
	m.u.batch.n = 2;
	m.u.batch.stmts = st;
	m.u.batch.consistency = CL_ALL;
	m.u.batch.flags = QP_SERIAL_CONSISTENCY | QP_DEFAULT_TIMESTAMP;
	m.u.batch.serial_consistency = CL_SERIAL;
	m.u.batch.default_timestamp = 42;
	check(4, 0, 0, &m, B(0x01, 0x00, 0x02,
	    0x00, 0x00, 0x00, 0x00, 0x01, 'I', 0x00, 0x01,
	    0x00, 0x00, 0x00, 0x01, 0x01,
	    0x01, 0x00, 0x01, 0x99, 0x00, 0x02,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	    0x00, 0x05, 0x30, 0x00, 0x08,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a));
	ck_assert_uint_eq(dec.u.batch.type, BATCH_UNLOGGED);
	ck_assert_uint_eq(dec.u.batch.n, 2);
	ck_assert(slice_eq(dec.u.batch.stmts[0].query, "I"));
	ck_assert_uint_eq(dec.u.batch.stmts[1].kind, BATCH_KIND_PREPARED);
	ck_assert_uint_eq(dec.u.batch.stmts[1].nvalues, 2);
	ck_assert_int_eq(dec.u.batch.stmts[1].values[1].state, BYTES_UNSET);
	ck_assert(dec.u.batch.default_timestamp == 42);

	/* Named values (the flag comes after them). */
	st[0].names = n1;
	st[1].names = n2;
	m.u.batch.flags = QP_NAMES;
	m.u.batch.type = BATCH_COUNTER;
	check(4, 0, 0, &m, NULL, 0);
	ck_assert_uint_eq(dec.u.batch.flags, QP_NAMES);
	ck_assert(slice_eq(dec.u.batch.stmts[1].names[1], "z"));

	refuse(4, 0, OP_BATCH, 0, B(0x03, 0x00, 0x00, 0x00, 0x01, 0x00));
	refuse(4, 0, OP_BATCH, 0, B(0x00, 0xff, 0xff, 0x00, 0x01, 0x00));
	refuse(4, 0, OP_BATCH, 0, B(0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x01, 0x00));
}
END_TEST

START_TEST(test_register_event)
{
	struct msg	m;
	struct slice	evs[] = { S("TOPOLOGY_CHANGE"), S("SCHEMA_CHANGE") };
	struct slice	args[] = { S("int"), S("text") };

	memset(&m, 0, sizeof m);
	m.opcode = OP_REGISTER;
	m.u.reg.events.n = 2;
	m.u.reg.events.e = evs;
	check(4, 0, 0, &m, B(0x00, 0x02, 0x00, 0x0f, 'T', 'O', 'P', 'O', 'L',
	    'O', 'G', 'Y', '_', 'C', 'H', 'A', 'N', 'G', 'E', 0x00, 0x0d, 'S',
	    'C', 'H', 'E', 'M', 'A', '_', 'C', 'H', 'A', 'N', 'G', 'E'));
	ck_assert(slice_eq(dec.u.reg.events.e[1], "SCHEMA_CHANGE"));

	memset(&m, 0, sizeof m);
	m.opcode = OP_EVENT;
	m.u.event.type = S("STATUS_CHANGE");
	m.u.event.change = S("UP");
	m.u.event.node.alen = 4;
	memcpy(m.u.event.node.addr, "\x7f\x00\x00\x02", 4);
	m.u.event.node.port = 9042;
	check(4, 1, 0, &m, B(0x00, 0x0d, 'S', 'T', 'A', 'T', 'U', 'S', '_',
	    'C', 'H', 'A', 'N', 'G', 'E', 0x00, 0x02, 'U', 'P', 0x04, 0x7f,
	    0x00, 0x00, 0x02, 0x00, 0x00, 0x23, 0x52));
	ck_assert(slice_eq(dec.u.event.change, "UP"));
	ck_assert_uint_eq(dec.u.event.node.alen, 4);
	ck_assert_int_eq(dec.u.event.node.port, 9042);

	m.u.event.type = S("TOPOLOGY_CHANGE");
	m.u.event.change = S("NEW_NODE");
	m.u.event.node.alen = 16;
	memset(m.u.event.node.addr, 0, 16);
	m.u.event.node.addr[15] = 1;
	check(4, 1, 0, &m, NULL, 0);
	ck_assert_uint_eq(dec.u.event.node.alen, 16);

	memset(&m, 0, sizeof m);
	m.opcode = OP_EVENT;
	m.u.event.type = S("SCHEMA_CHANGE");
	m.u.event.schema.change = S("CREATED");
	m.u.event.schema.target = S("FUNCTION");
	m.u.event.schema.keyspace = S("ks");
	m.u.event.schema.name = S("f");
	m.u.event.schema.args.n = 2;
	m.u.event.schema.args.e = args;
	check(4, 1, 0, &m, B(0x00, 0x0d, 'S', 'C', 'H', 'E', 'M', 'A', '_', 'C',
	    'H', 'A', 'N', 'G', 'E', 0x00, 0x07, 'C', 'R', 'E', 'A', 'T', 'E',
	    'D', 0x00, 0x08, 'F', 'U', 'N', 'C', 'T', 'I', 'O', 'N', 0x00, 0x02,
	    'k', 's', 0x00, 0x01, 'f', 0x00, 0x02, 0x00, 0x03, 'i', 'n', 't',
	    0x00, 0x04, 't', 'e', 'x', 't'));
	ck_assert_uint_eq(dec.u.event.schema.args.n, 2);
	m.u.event.schema.target = S("KEYSPACE");
	m.u.event.schema.change = S("DROPPED");
	check(4, 1, 0, &m, B(0x00, 0x0d, 'S', 'C', 'H', 'E', 'M', 'A', '_', 'C',
	    'H', 'A', 'N', 'G', 'E', 0x00, 0x07, 'D', 'R', 'O', 'P', 'P', 'E',
	    'D', 0x00, 0x08, 'K', 'E', 'Y', 'S', 'P', 'A', 'C', 'E', 0x00, 0x02,
	    'k', 's'));
	ck_assert_uint_eq(dec.u.event.schema.name.n, 0);
	m.u.event.schema.target = S("TABLE");
	m.u.event.schema.change = S("UPDATED");
	m.u.event.schema.name = S("t");
	check(4, 1, 0, &m, NULL, 0);
	ck_assert(slice_eq(dec.u.event.schema.name, "t"));
	ck_assert_uint_eq(dec.u.event.schema.args.n, 0);

	refuse(4, 1, OP_EVENT, 0, B(0x00, 0x03, 'F', 'O', 'O'));
	refuse(4, 1, OP_EVENT, 0, B(0x00, 0x0d, 'S', 'T', 'A', 'T', 'U', 'S',
	    '_', 'C', 'H', 'A', 'N', 'G', 'E', 0x00, 0x02, 'U', 'P', 0x05, 1, 2,
	    3, 4, 5, 0, 0, 0, 0));
}
END_TEST

START_TEST(test_auth)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_AUTH_RESPONSE;
	m.u.auth.token = bytesval_value("\0u\0p", 4);
	check(4, 0, 0, &m, B(0x00, 0x00, 0x00, 0x04, 0x00, 'u', 0x00, 'p'));
	ck_assert_uint_eq(dec.u.auth.token.v.n, 4);
	m.opcode = OP_AUTH_CHALLENGE;
	m.u.auth.token = bytesval_value("c", 1);
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x01, 'c'));
	m.opcode = OP_AUTH_SUCCESS;
	m.u.auth.token = bytesval_null();
	check(4, 1, 0, &m, B(0xff, 0xff, 0xff, 0xff));
	ck_assert_int_eq(dec.u.auth.token.state, BYTES_NULL);
}
END_TEST

START_TEST(test_result_simple)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_VOID;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x01));
	m.u.result.kind = RESULT_SET_KEYSPACE;
	m.u.result.keyspace = S("ks");
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 'k', 's'));
	ck_assert(slice_eq(dec.u.result.keyspace, "ks"));
	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_SCHEMA_CHANGE;
	m.u.result.schema.change = S("CREATED");
	m.u.result.schema.target = S("TYPE");
	m.u.result.schema.keyspace = S("k");
	m.u.result.schema.name = S("t");
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x05, 0x00, 0x07, 'C', 'R', 'E',
	    'A', 'T', 'E', 'D', 0x00, 0x04, 'T', 'Y', 'P', 'E', 0x00, 0x01, 'k',
	    0x00, 0x01, 't'));
	ck_assert(slice_eq(dec.u.result.schema.target, "TYPE"));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x09));
}
END_TEST

START_TEST(test_result_rows)
{
	struct col_spec		 cols[2];
	struct rows_meta	 meta;
	struct rows_writer	 rw;
	struct rows_reader	 rr;
	struct bytesval		 cells[2];
	struct wbuf		 w;
	struct frame_header	 h;
	struct msg		 m;
	char			 err[128];
	size_t			 start;
	int			 i, r;

	memset(cols, 0, sizeof cols);
	cols[0].name = S("k");
	cols[0].type = cqltype_new_scalar(CQLTYPE_INT);
	cols[1].name = S("v");
	cols[1].type = cqltype_parse("map<text, int>", NULL);
	memset(&meta, 0, sizeof meta);
	meta.flags = ROWS_GLOBAL_TABLES_SPEC | ROWS_HAS_MORE_PAGES;
	meta.global_keyspace = S("ks");
	meta.global_table = S("t");
	meta.paging_state = bytesval_value("\x01\x02", 2);
	meta.cols = cols;

	wbuf_init(&w, 0);
	start = frame_begin(&w, 4, 1, 0, 3, OP_RESULT);
	rows_writer_begin(&rw, &w, 4, &meta, 2);
	for (i = 0; i < 3; i++) {
		wbuf_bytes(&w, "\x00\x00\x00\x05", 4);
		if (i == 1)
			wbuf_bytes_null(&w);
		else
			wbuf_bytes(&w, "\x00\x00\x00\x00", 4);
		rows_writer_row(&rw);
	}
	rows_writer_end(&rw);
	frame_end(&w, start);
	ck_assert(wbuf_ok(&w));
	{
		static const uint8_t	want[] = { 0x00, 0x00, 0x00, 0x02,
		    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02,
		    0x00, 0x00, 0x00, 0x02, 0x01, 0x02,
		    0x00, 0x02, 'k', 's', 0x00, 0x01, 't',
		    0x00, 0x01, 'k', 0x00, 0x09,
		    0x00, 0x01, 'v', 0x00, 0x21, 0x00, 0x0d, 0x00, 0x09,
		    0x00, 0x00, 0x00, 0x03 };

		ck_assert(memcmp(w.p + 9, want, sizeof want) == 0);
	}
	ck_assert_int_eq(frame_header_decode(w.p, w.len, &h), 0);
	ck_assert_int_eq(msg_decode(4, &h, w.p + 9, h.length, &m, err,
	    sizeof err), 0);
	ck_assert_int_eq(m.u.result.kind, RESULT_ROWS);
	ck_assert_int_eq(m.u.result.rows.rows_count, 3);
	ck_assert_int_eq(m.u.result.rows.meta.columns_count, 2);
	ck_assert(slice_eq(m.u.result.rows.meta.cols[1].keyspace, "ks"));
	ck_assert(slice_eq(m.u.result.rows.meta.cols[1].table, "t"));
	ck_assert(slice_eq(m.u.result.rows.meta.cols[1].name, "v"));
	ck_assert(cqltype_equal(m.u.result.rows.meta.cols[1].type,
	    cols[1].type));
	ck_assert(m.u.result.rows.meta.flags & ROWS_HAS_MORE_PAGES);
	ck_assert(slice_eq(m.u.result.rows.meta.paging_state.v, "\x01\x02"));
	rows_reader_init(&rr, &m.u.result.rows);
	for (i = 0; (r = rows_reader_next(&rr, cells)) == 1; i++) {
		ck_assert_int_eq(cells[0].state, BYTES_VALUE);
		ck_assert_int_eq(cells[1].state, i == 1 ? BYTES_NULL :
		    BYTES_VALUE);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(i, 3);
	/* Re-encode through msg_encode and through the prefix-free path. */
	{
		struct wbuf	w2;

		wbuf_init(&w2, 0);
		ck_assert_int_eq(msg_encode(&w2, 4, 1, 3, 0, &m), 0);
		ck_assert(w2.len == w.len && memcmp(w2.p, w.p, w.len) == 0);
		wbuf_free(&w2);
	}
	msg_clear(&m);

	/* Per-column table specs, no paging, via msg_encode. */
	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_ROWS;
	cols[0].keyspace = cols[1].keyspace = S("a");
	cols[0].table = cols[1].table = S("b");
	m.u.result.rows.meta.columns_count = 2;
	m.u.result.rows.meta.cols = cols;
	m.u.result.rows.rows_count = 1;
	m.u.result.rows.rows = (struct slice){ (const uint8_t *)
	    "\x00\x00\x00\x00\xff\xff\xff\xff", 8 };
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x02,
	    0x00, 0x01, 'a', 0x00, 0x01, 'b', 0x00, 0x01, 'k', 0x00, 0x09,
	    0x00, 0x01, 'a', 0x00, 0x01, 'b', 0x00, 0x01, 'v', 0x00, 0x21,
	    0x00, 0x0d, 0x00, 0x09,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	    0xff));
	ck_assert(slice_eq(dec.u.result.rows.meta.cols[0].table, "b"));

	/* No metadata: only the count of columns. */
	m.u.result.rows.meta.flags = ROWS_NO_METADATA;
	m.u.result.rows.meta.cols = NULL;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x04,
	    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	    0x00, 0xff, 0xff, 0xff, 0xff));
	ck_assert_ptr_null(dec.u.result.rows.meta.cols);
	rows_reader_init(&rr, &dec.u.result.rows);
	ck_assert_int_eq(rows_reader_next(&rr, cells), 1);
	ck_assert_int_eq(cells[1].state, BYTES_NULL);
	ck_assert_int_eq(rows_reader_next(&rr, cells), 0);

	/* Hostile: huge column count, huge row count, bad cell length. */
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	    0x04, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	    0x04, 0x00, 0x00, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00,
	    0x00, 0x00));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	    0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff,
	    0xff, 0xfe));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	    0x04, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	    0x04, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff));
	cqltype_free(cols[0].type);
	cqltype_free(cols[1].type);
	wbuf_free(&w);
}
END_TEST

START_TEST(test_result_prepared)
{
	struct msg	m;
	struct col_spec	bind[2], res[1];
	uint16_t	pk[1] = { 1 };

	memset(bind, 0, sizeof bind);
	memset(res, 0, sizeof res);
	bind[0].name = S("v");
	bind[0].type = cqltype_new_scalar(CQLTYPE_TEXT);
	bind[1].name = S("k");
	bind[1].type = cqltype_new_scalar(CQLTYPE_INT);
	res[0].name = S("x");
	res[0].type = cqltype_new_scalar(CQLTYPE_UUID);
	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_PREPARED;
	m.u.result.prepared.id = S("\x01\x02");
	m.u.result.prepared.meta.flags = ROWS_GLOBAL_TABLES_SPEC;
	m.u.result.prepared.meta.columns_count = 2;
	m.u.result.prepared.meta.pk_count = 1;
	m.u.result.prepared.meta.pk_index = pk;
	m.u.result.prepared.meta.global_keyspace = S("k");
	m.u.result.prepared.meta.global_table = S("t");
	m.u.result.prepared.meta.cols = bind;
	m.u.result.prepared.result.flags = ROWS_GLOBAL_TABLES_SPEC;
	m.u.result.prepared.result.columns_count = 1;
	m.u.result.prepared.result.global_keyspace = S("k");
	m.u.result.prepared.result.global_table = S("t");
	m.u.result.prepared.result.cols = res;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x01, 0x02,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	    0x00, 0x01, 'k', 0x00, 0x01, 't',
	    0x00, 0x01, 'v', 0x00, 0x0d, 0x00, 0x01, 'k', 0x00, 0x09,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	    0x00, 0x01, 'k', 0x00, 0x01, 't', 0x00, 0x01, 'x', 0x00, 0x0c));
	ck_assert_int_eq(dec.u.result.prepared.meta.pk_count, 1);
	ck_assert_uint_eq(dec.u.result.prepared.meta.pk_index[0], 1);
	ck_assert_int_eq(dec.u.result.prepared.meta.cols[1].type->kind,
	    CQLTYPE_INT);
	ck_assert_int_eq(dec.u.result.prepared.result.cols[0].type->kind,
	    CQLTYPE_UUID);
	/* v3 has no partition key indexes. */
	check(3, 1, 0, &m, B(0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x01, 0x02,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	    0x00, 0x01, 'k', 0x00, 0x01, 't',
	    0x00, 0x01, 'v', 0x00, 0x0d, 0x00, 0x01, 'k', 0x00, 0x09,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	    0x00, 0x01, 'k', 0x00, 0x01, 't', 0x00, 0x01, 'x', 0x00, 0x0c));
	ck_assert_int_eq(dec.u.result.prepared.meta.pk_count, 0);
	m.u.result.prepared.result_metadata_id = S("R");
	check(5, 1, 0, &m, NULL, 0);
	ck_assert(slice_eq(dec.u.result.prepared.result_metadata_id, "R"));
	/* pk index out of range; pk count above column count. */
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	    0x01, 0x00, 0x05));
	refuse(4, 1, OP_RESULT, 0, B(0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	    0x02, 0x00, 0x00, 0x00, 0x00));
	cqltype_free(bind[0].type);
	cqltype_free(bind[1].type);
	cqltype_free(res[0].type);
}
END_TEST

START_TEST(test_errors)
{
	static const int32_t	codes[] = { ERR_SERVER, ERR_PROTOCOL,
	    ERR_BAD_CREDENTIALS, ERR_UNAVAILABLE, ERR_OVERLOADED,
	    ERR_IS_BOOTSTRAPPING, ERR_TRUNCATE, ERR_WRITE_TIMEOUT,
	    ERR_READ_TIMEOUT, ERR_READ_FAILURE, ERR_FUNCTION_FAILURE,
	    ERR_WRITE_FAILURE, ERR_SYNTAX, ERR_UNAUTHORIZED, ERR_INVALID,
	    ERR_CONFIG, ERR_ALREADY_EXISTS, ERR_UNPREPARED };
	struct slice		args[] = { S("int") };
	struct msg		m;
	size_t			i;

	memset(&m, 0, sizeof m);
	m.opcode = OP_ERROR;
	m.u.error.code = ERR_UNAVAILABLE;
	m.u.error.message = S("no");
	m.u.error.consistency = CL_QUORUM;
	m.u.error.required = 2;
	m.u.error.alive = 1;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x10, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01));
	ck_assert_int_eq(dec.u.error.required, 2);
	ck_assert_int_eq(dec.u.error.alive, 1);

	m.u.error.code = ERR_WRITE_TIMEOUT;
	m.u.error.received = 1;
	m.u.error.blockfor = 2;
	m.u.error.write_type = S("SIMPLE");
	check(4, 1, 0, &m, B(0x00, 0x00, 0x11, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
	    0x06, 'S', 'I', 'M', 'P', 'L', 'E'));
	ck_assert(slice_eq(dec.u.error.write_type, "SIMPLE"));

	m.u.error.code = ERR_READ_TIMEOUT;
	m.u.error.data_present = 1;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x12, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01));
	ck_assert_uint_eq(dec.u.error.data_present, 1);

	m.u.error.code = ERR_READ_FAILURE;
	m.u.error.numfailures = 3;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x13, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	    0x00, 0x00, 0x00, 0x03, 0x01));
	ck_assert_int_eq(dec.u.error.numfailures, 3);
	check(5, 1, 0, &m, NULL, 0);
	ck_assert_int_eq(dec.u.error.numfailures, 3);

	m.u.error.code = ERR_WRITE_FAILURE;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x15, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	    0x00, 0x00, 0x00, 0x03, 0x00, 0x06, 'S', 'I', 'M', 'P', 'L', 'E'));

	m.u.error.code = ERR_FUNCTION_FAILURE;
	m.u.error.keyspace = S("k");
	m.u.error.function = S("f");
	m.u.error.arg_types.n = 1;
	m.u.error.arg_types.e = args;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x14, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x01, 'k', 0x00, 0x01, 'f', 0x00, 0x01, 0x00, 0x03, 'i', 'n',
	    't'));
	ck_assert(slice_eq(dec.u.error.arg_types.e[0], "int"));

	m.u.error.code = ERR_ALREADY_EXISTS;
	m.u.error.table = S("t");
	check(4, 1, 0, &m, B(0x00, 0x00, 0x24, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x01, 'k', 0x00, 0x01, 't'));
	ck_assert(slice_eq(dec.u.error.table, "t"));

	m.u.error.code = ERR_UNPREPARED;
	m.u.error.id = (struct slice){ (const uint8_t *)"\xff\x00", 2 };
	check(4, 1, 0, &m, B(0x00, 0x00, 0x25, 0x00, 0x00, 0x02, 'n', 'o',
	    0x00, 0x02, 0xff, 0x00));
	ck_assert_uint_eq(dec.u.error.id.n, 2);

	m.u.error.code = ERR_SYNTAX;
	check(4, 1, 0, &m, B(0x00, 0x00, 0x20, 0x00, 0x00, 0x02, 'n', 'o'));

	for (i = 0; i < nitems(codes); i++) {
		m.u.error.code = codes[i];
		check(4, 1, 0, &m, NULL, 0);
		ck_assert_int_eq(dec.u.error.code, codes[i]);
		ck_assert(slice_eq(dec.u.error.message, "no"));
		ck_assert_str_ne(error_code_name(codes[i]), "UNKNOWN_ERROR");
	}
	ck_assert_str_eq(error_code_name(ERR_WRITE_TIMEOUT), "WRITE_TIMEOUT");
	ck_assert_str_eq(error_code_name(ERR_INVALID), "INVALID");
	ck_assert_str_eq(error_code_name(0x7777), "UNKNOWN_ERROR");
}
END_TEST

START_TEST(test_prefixes)
{
	struct msg		m;
	struct slice		warns[] = { S("w1") };
	struct bytes_pair	pay[] = { { S("k"), { BYTES_VALUE,
	    { (const uint8_t *)"v", 1 } } } };

	memset(&m, 0, sizeof m);
	m.opcode = OP_RESULT;
	m.u.result.kind = RESULT_VOID;
	m.has_tracing_id = 1;
	memset(m.tracing_id, 0xaa, 16);
	m.warnings.n = 1;
	m.warnings.e = warns;
	m.has_custom_payload = 1;
	m.custom_payload.n = 1;
	m.custom_payload.e = pay;
	check(4, 1, 0, &m, B(0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	    0x00, 0x01, 0x00, 0x02, 'w', '1',
	    0x00, 0x01, 0x00, 0x01, 'k', 0x00, 0x00, 0x00, 0x01, 'v',
	    0x00, 0x00, 0x00, 0x01));
	ck_assert_uint_eq(frame.p[1], FRAME_FLAG_TRACING | FRAME_FLAG_WARNING |
	    FRAME_FLAG_CUSTOM);
	ck_assert_int_eq(dec.has_tracing_id, 1);
	ck_assert_uint_eq(dec.tracing_id[15], 0xaa);
	ck_assert(slice_eq(dec.warnings.e[0], "w1"));
	ck_assert(slice_eq(dec.custom_payload.e[0].key, "k"));

	/* Requests: the tracing flag has no body; a payload does. */
	memset(&m, 0, sizeof m);
	m.opcode = OP_PREPARE;
	m.u.prepare.query = S("Q");
	m.has_custom_payload = 1;
	m.custom_payload.n = 1;
	m.custom_payload.e = pay;
	check(4, 0, FRAME_FLAG_TRACING, &m, B(0x00, 0x01, 0x00, 0x01, 'k',
	    0x00, 0x00, 0x00, 0x01, 'v', 0x00, 0x00, 0x00, 0x01, 'Q'));
	ck_assert_uint_eq(frame.p[1], FRAME_FLAG_TRACING | FRAME_FLAG_CUSTOM);
	ck_assert_int_eq(dec.has_tracing_id, 0);
	/* A response flag without its prefix is dropped, not lied about. */
	memset(&m, 0, sizeof m);
	m.opcode = OP_READY;
	check(4, 1, FRAME_FLAG_TRACING | FRAME_FLAG_WARNING, &m, NULL, 0);
	ck_assert_uint_eq(frame.p[1], 0);
	refuse(4, 1, OP_READY, FRAME_FLAG_WARNING, B(0xff, 0xff, 0x00));
}
END_TEST

START_TEST(test_version_refusal)
{
	struct wbuf		w;
	struct frame_header	h;
	struct msg		m;
	char			text[200], err[100];

	ck_assert_int_gt(msg_version_error_text(text, sizeof text, 2, NULL), 0);
	ck_assert_str_eq(text, "Invalid or unsupported protocol version (2); "
	    "supported versions are (3/v3, 4/v4, 5/v5-beta)");
	ck_assert_int_eq(msg_version_error_text(text, 10, 2, NULL), -1);
	msg_version_error_text(text, sizeof text, 66, "3/v3, 4/v4, 5/v5");
	ck_assert_str_eq(text, "Invalid or unsupported protocol version (66); "
	    "supported versions are (3/v3, 4/v4, 5/v5)");

	wbuf_init(&w, 0);
	msg_encode_protocol_error(&w, 2, 0, 5, "x");
	ck_assert_uint_eq(w.len, 8 + 4 + 3);
	{
		static const uint8_t	want[] = { 0x82, 0x00, 0x05, 0x00,
		    0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01,
		    'x' };

		ck_assert(memcmp(w.p, want, sizeof want) == 0);
	}
	wbuf_reset(&w);
	msg_encode_protocol_error(&w, 5, FRAME_FLAG_BETA, 0, text);
	ck_assert_int_eq(frame_header_decode(w.p, w.len, &h), 0);
	ck_assert_uint_eq(h.version, 5);
	ck_assert_uint_eq(h.flags, FRAME_FLAG_BETA);
	ck_assert_int_eq(msg_decode(5, &h, w.p + 9, h.length, &m, err,
	    sizeof err), 0);
	ck_assert_int_eq(m.u.error.code, ERR_PROTOCOL);
	ck_assert(slice_eq(m.u.error.message, text));
	msg_clear(&m);
	wbuf_free(&w);
}
END_TEST

START_TEST(test_names)
{
	uint16_t	cl;

	ck_assert_str_eq(consistency_name(CL_LOCAL_QUORUM), "LOCAL_QUORUM");
	ck_assert_str_eq(consistency_name(CL_ANY), "ANY");
	ck_assert_str_eq(consistency_name(CL_LOCAL_ONE), "LOCAL_ONE");
	ck_assert_ptr_null(consistency_name(0x0b));
	ck_assert_int_eq(consistency_parse("local_serial", &cl), 0);
	ck_assert_uint_eq(cl, CL_LOCAL_SERIAL);
	ck_assert_int_eq(consistency_parse("EACH_QUORUM", &cl), 0);
	ck_assert_uint_eq(cl, 7);
	ck_assert_int_eq(consistency_parse("MOST", &cl), -1);
}
END_TEST

START_TEST(test_hostile_lists)
{
	refuse(4, 0, OP_REGISTER, 0, B(0xff, 0xff, 0x00, 0x01, 'x'));
	refuse(4, 0, OP_STARTUP, 0, B(0xff, 0xff));
	refuse(4, 1, OP_SUPPORTED, 0, B(0x00, 0x01, 0x00, 0x01, 'k', 0xff,
	    0xff));
	refuse(4, 0, OP_OPTIONS, FRAME_FLAG_CUSTOM, B(0xff, 0xff, 0x00));
	refuse(4, 1, OP_ERROR, 0, B(0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0xff, 0xff));
	refuse(5, 1, OP_ERROR, 0, B(0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00,
	    0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0x00));
	/* A body longer than its message is fine (spec: ignore the rest). */
	{
		struct frame_header	h;
		struct msg		m;
		char			err[64];


		memset(&h, 0, sizeof h);
		h.version = 4;
		h.opcode = OP_OPTIONS;
		ck_assert_int_eq(msg_decode(4, &h, (const uint8_t *)"xx", 2,
		    &m, err, sizeof err), 0);
		msg_clear(&m);
	}
}
END_TEST

/*
 * A RESULT Rows frame (v4) of ncols columns named <prefix><i>, of type
 * text or (every third) list<int>, with one row; global table spec or per
 * column.
 */
static void
rows_frame(struct wbuf *w, const char *prefix, int ncols, int global)
{
	struct col_spec		*cols;
	struct rows_meta	 meta;
	struct rows_writer	 rw;
	char			**names;
	size_t			 start;
	int			 i;

	cols = xcalloc(ncols, sizeof *cols);
	names = xcalloc(ncols, sizeof *names);
	for (i = 0; i < ncols; i++) {
		xasprintf(&names[i], "%s%d", prefix, i);
		cols[i].keyspace = S("ks");
		cols[i].table = S("tbl");
		cols[i].name = S(names[i]);
		cols[i].type = i % 3 == 2 ?
		    cqltype_parse("list<int>", NULL) :
		    cqltype_new_scalar(CQLTYPE_TEXT);
	}
	memset(&meta, 0, sizeof meta);
	meta.flags = global ? ROWS_GLOBAL_TABLES_SPEC : 0;
	meta.global_keyspace = S("ks");
	meta.global_table = S("tbl");
	meta.cols = cols;
	wbuf_init(w, 0);
	start = frame_begin(w, 4, 1, 0, 1, OP_RESULT);
	rows_writer_begin(&rw, w, 4, &meta, (size_t)ncols);
	for (i = 0; i < ncols; i++)
		wbuf_bytes(w, names[i], strlen(names[i]));
	rows_writer_row(&rw);
	rows_writer_end(&rw);
	frame_end(w, start);
	ck_assert(wbuf_ok(w));
	for (i = 0; i < ncols; i++) {
		cqltype_free(cols[i].type);
		free(names[i]);
	}
	free(cols);
	free(names);
}

static int
slice_same(struct slice a, struct slice b)
{
	return (a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0));
}

/* Decode a frame made by rows_frame, with the cache or without. */
static int
rows_decode(const struct wbuf *w, struct colset_cache *cc, struct msg *m)
{
	struct frame_header	h;
	char			err[128];

	ck_assert_int_eq(frame_header_decode(w->p, w->len, &h), 0);
	return (msg_decode_cached(4, &h, w->p + 9, h.length, m, cc, err,
	    sizeof err));
}

/* Two decodes agree on every column and cell. */
static void
rows_same(const struct msg *a, const struct msg *b)
{
	const struct result_rows	*x = &a->u.result.rows;
	const struct result_rows	*y = &b->u.result.rows;
	int32_t				 i;

	ck_assert_int_eq(a->u.result.kind, RESULT_ROWS);
	ck_assert_int_eq(b->u.result.kind, RESULT_ROWS);
	ck_assert_int_eq(x->meta.columns_count, y->meta.columns_count);
	ck_assert_uint_eq(x->meta.flags, y->meta.flags);
	ck_assert(slice_same(x->meta.global_keyspace,
	    y->meta.global_keyspace));
	ck_assert(slice_same(x->meta.global_table, y->meta.global_table));
	for (i = 0; i < x->meta.columns_count; i++) {
		ck_assert(slice_same(x->meta.cols[i].keyspace,
		    y->meta.cols[i].keyspace));
		ck_assert(slice_same(x->meta.cols[i].table,
		    y->meta.cols[i].table));
		ck_assert(slice_same(x->meta.cols[i].name,
		    y->meta.cols[i].name));
		ck_assert(cqltype_equal(x->meta.cols[i].type,
		    y->meta.cols[i].type));
	}
	ck_assert_int_eq(x->rows_count, y->rows_count);
	ck_assert(slice_same(x->rows, y->rows));
}

/* Metadata met again is the cached set, and equal to a fresh decode. */
START_TEST(test_colset_reuse)
{
	struct colset_cache	 cc;
	struct wbuf		 w1, w2, w3;
	struct msg		 fresh, a, b, c;

	memset(&cc, 0, sizeof cc);
	rows_frame(&w1, "c", 4, 1);
	rows_frame(&w2, "c", 4, 1);
	rows_frame(&w3, "d", 4, 1);
	ck_assert_int_eq(rows_decode(&w1, NULL, &fresh), 0);
	ck_assert_ptr_null(fresh.u.result.rows.colset);

	ck_assert_int_eq(rows_decode(&w1, &cc, &a), 0);
	ck_assert_ptr_nonnull(a.u.result.rows.colset);
	ck_assert_uint_eq(cc.misses, 1);
	ck_assert_uint_eq(cc.hits, 0);
	rows_same(&fresh, &a);
	/* The set's columns point into its own bytes, not the frame's. */
	ck_assert(a.u.result.rows.meta.cols[0].name.p < w1.p ||
	    a.u.result.rows.meta.cols[0].name.p >= w1.p + w1.len);

	/* Same bytes in another frame: the same set. */
	ck_assert_int_eq(rows_decode(&w2, &cc, &b), 0);
	ck_assert_uint_eq(cc.hits, 1);
	ck_assert_ptr_eq(b.u.result.rows.colset, a.u.result.rows.colset);
	ck_assert_ptr_eq(b.u.result.rows.meta.cols,
	    a.u.result.rows.meta.cols);
	rows_same(&fresh, &b);
	/* The cells are the frame's own. */
	ck_assert(b.u.result.rows.rows.p >= w2.p &&
	    b.u.result.rows.rows.p < w2.p + w2.len);

	/* Other names: decoded anew, a set of its own. */
	ck_assert_int_eq(rows_decode(&w3, &cc, &c), 0);
	ck_assert_uint_eq(cc.misses, 2);
	ck_assert_ptr_ne(c.u.result.rows.colset, a.u.result.rows.colset);
	ck_assert(slice_eq(c.u.result.rows.meta.cols[3].name, "d3"));

	/* Messages keep their sets after the cache let go. */
	colset_cache_clear(&cc);
	ck_assert(slice_eq(a.u.result.rows.meta.cols[2].name, "c2"));
	ck_assert_int_eq(a.u.result.rows.meta.cols[2].type->kind,
	    CQLTYPE_LIST);
	msg_clear(&a);
	msg_clear(&b);
	msg_clear(&c);
	msg_clear(&fresh);
	wbuf_free(&w1);
	wbuf_free(&w2);
	wbuf_free(&w3);
}
END_TEST

/* Per-column and global specs are told apart even when bytes could match. */
START_TEST(test_colset_flags)
{
	struct colset_cache	 cc;
	struct wbuf		 g, p;
	struct msg		 fresh, a, b;

	memset(&cc, 0, sizeof cc);
	rows_frame(&g, "x", 3, 1);
	rows_frame(&p, "x", 3, 0);
	ck_assert_int_eq(rows_decode(&g, &cc, &a), 0);
	ck_assert_int_eq(rows_decode(&p, &cc, &b), 0);
	ck_assert_uint_eq(cc.misses, 2);
	ck_assert_ptr_ne(a.u.result.rows.colset, b.u.result.rows.colset);
	ck_assert_int_eq(rows_decode(&p, NULL, &fresh), 0);
	rows_same(&fresh, &b);
	msg_clear(&fresh);
	ck_assert_int_eq(rows_decode(&g, NULL, &fresh), 0);
	rows_same(&fresh, &a);
	msg_clear(&fresh);
	msg_clear(&a);
	msg_clear(&b);
	colset_cache_clear(&cc);
	wbuf_free(&g);
	wbuf_free(&p);
}
END_TEST

/* The cache is capped: slots, columns per set and bytes per set. */
START_TEST(test_colset_caps)
{
	struct colset_cache	 cc;
	struct wbuf		 w[COLSET_CACHE_SLOTS + 1], big, wide;
	struct msg		 m, first, fresh;
	char			 prefix[48];
	int			 i;

	memset(&cc, 0, sizeof cc);
	for (i = 0; i <= COLSET_CACHE_SLOTS; i++) {
		snprintf(prefix, sizeof prefix, "s%d_", i);
		rows_frame(&w[i], prefix, 2, 1);
	}
	ck_assert_int_eq(rows_decode(&w[0], &cc, &first), 0);
	for (i = 1; i <= COLSET_CACHE_SLOTS; i++) {
		ck_assert_int_eq(rows_decode(&w[i], &cc, &m), 0);
		msg_clear(&m);
	}
	ck_assert_uint_eq(cc.misses, COLSET_CACHE_SLOTS + 1);
	for (i = 0; i < COLSET_CACHE_SLOTS; i++)
		ck_assert_ptr_ne(cc.slot[i], first.u.result.rows.colset);
	/* The evicted set lives on in the message that holds it. */
	ck_assert(slice_eq(first.u.result.rows.meta.cols[1].name, "s0_1"));
	/* And its bytes are decoded anew. */
	ck_assert_int_eq(rows_decode(&w[0], &cc, &m), 0);
	ck_assert_uint_eq(cc.misses, COLSET_CACHE_SLOTS + 2);
	rows_same(&first, &m);
	msg_clear(&m);
	msg_clear(&first);
	for (i = 0; i <= COLSET_CACHE_SLOTS; i++)
		wbuf_free(&w[i]);

	/* Too many columns, or too many bytes: decoded, never kept. */
	rows_frame(&wide, "w", COLSET_MAX_COLUMNS + 1, 1);
	ck_assert_int_eq(rows_decode(&wide, &cc, &m), 0);
	ck_assert_ptr_null(m.u.result.rows.colset);
	ck_assert_int_eq(rows_decode(&wide, NULL, &fresh), 0);
	rows_same(&fresh, &m);
	msg_clear(&fresh);
	msg_clear(&m);
	/* Under the column cap, over the byte cap. */
	memset(prefix, 'n', sizeof prefix - 1);
	prefix[sizeof prefix - 1] = '\0';
	ck_assert_int_le(COLSET_MAX_BYTES / (int)sizeof prefix + 1,
	    COLSET_MAX_COLUMNS);
	rows_frame(&big, prefix, COLSET_MAX_BYTES / (int)sizeof prefix + 1, 0);
	ck_assert_int_eq(rows_decode(&big, &cc, &m), 0);
	ck_assert_ptr_null(m.u.result.rows.colset);
	msg_clear(&m);
	colset_cache_clear(&cc);
	wbuf_free(&wide);
	wbuf_free(&big);
}
END_TEST

/* A cached prefix does not make a short or broken body acceptable. */
START_TEST(test_colset_truncated)
{
	struct colset_cache	 cc;
	struct frame_header	 h;
	struct wbuf		 w;
	struct msg		 m;
	char			 err[128];
	uint32_t		 i;

	memset(&cc, 0, sizeof cc);
	rows_frame(&w, "t", 3, 1);
	ck_assert_int_eq(rows_decode(&w, &cc, &m), 0);
	msg_clear(&m);
	ck_assert_int_eq(frame_header_decode(w.p, w.len, &h), 0);
	for (i = 0; i < h.length; i++) {
		ck_assert_msg(msg_decode_cached(4, &h, w.p + 9, i, &m, &cc,
		    err, sizeof err) != 0, "truncated to %u accepted", i);
	}
	/* Still whole after all that. */
	ck_assert_int_eq(rows_decode(&w, &cc, &m), 0);
	ck_assert(slice_eq(m.u.result.rows.meta.cols[2].name, "t2"));
	msg_clear(&m);
	colset_cache_clear(&cc);
	wbuf_free(&w);
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite	*s = suite_create("msg");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_startup_ready_options);
	tcase_add_test(tc, test_authenticate_supported);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_prepare_execute);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_register_event);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_result_simple);
	tcase_add_test(tc, test_result_rows);
	tcase_add_test(tc, test_result_prepared);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_version_refusal);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_hostile_lists);
	tcase_add_test(tc, test_colset_reuse);
	tcase_add_test(tc, test_colset_flags);
	tcase_add_test(tc, test_colset_caps);
	tcase_add_test(tc, test_colset_truncated);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(msg_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
