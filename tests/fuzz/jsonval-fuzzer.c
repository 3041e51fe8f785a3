/*
 * jsonval-fuzzer.c: libFuzzer harness for the service's CQL <-> JSON value
 * mapping (daemon/service/jsonval.c), which reads values clients send and
 * renders values servers send.
 *
 * Input: a CQL type as text, a newline, then the rest, which is read two
 * ways: as a JSON text (jsonval_loads, jsonval_to_cql) and as a serialized
 * value of the type (jsonval_write_cql, jsonval_from_cql). Properties, where
 * a step succeeds:
 *  - what jsonval_to_cql writes decodes strictly as the type;
 *  - JSON text jsonval_write_cql writes loads back, is accepted as the
 *    type (but for NaN written as null in the default form), and
 *    serializes to the same bytes (bytes we wrote are canonical, so
 *    JSON -> bytes -> JSON -> bytes is a fixpoint); the tree form too;
 *  - writing those bytes again gives the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "jsonval.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CAP	(1U << 22)

/* Show what broke a property, then crash so libFuzzer keeps the input. */
static void __attribute__((__noreturn__))
fail(const struct cqltype *t, const char *what, const void *a, size_t an,
    const void *b, size_t bn)
{
	char	*s = cqltype_format(t);
	size_t	 i;

	fprintf(stderr, "jsonval-fuzzer: %s: %s\n  a:", s, what);
	for (i = 0; i < an && i < 256; i++)
		fprintf(stderr, " %02x", ((const uint8_t *)a)[i]);
	fprintf(stderr, "\n  b:");
	for (i = 0; i < bn && i < 256; i++)
		fprintf(stderr, " %02x", ((const uint8_t *)b)[i]);
	fprintf(stderr, "\n");
	free(s);
	abort();
}

/*
 * Findings already reported (tests/fuzz/crashes/jsonval-N) are skipped
 * when FUZZ_SKIP_KNOWN is set, so that a long run looks for new ones;
 * make fuzz and make fuzz-replay never set it. text is the rendered JSON
 * or the bytes that did not come back the same.
 */
static int
known_issue(const uint8_t *text, size_t n)
{
	static int	 skip = -1;

	if (skip == -1)
		skip = getenv("FUZZ_SKIP_KNOWN") != NULL;
	if (!skip)
		return (0);
	/* No finding is open; a new one's test goes here until it is fixed. */
	(void)text;
	(void)n;
	return (0);
}

/*
 * As Cassandra, the default form writes NaN and infinities as null, which
 * a collection, tuple or vector cannot take back; only numbers_as_strings
 * keeps them. So a refusal is expected there when the text holds a null.
 */
static int
nan_as_null(const struct jsonval_opts *o, const uint8_t *text, size_t n)
{
	return (!o->numbers_as_strings && memmem(text, n, "null", 4) != NULL);
}

/* JSON text -> serialized bytes (0, 1 for null, -1 refused). */
static int
to_bytes(const struct cqltype *t, const char *text, size_t n,
    const struct jsonval_opts *o, struct wbuf *w)
{
	json_error_t	 e;
	json_t		*j;
	char		 err[256];
	int		 is_null, r;

	j = jsonval_loads(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (j == NULL)
		return (-2);
	err[0] = '\0';
	r = jsonval_to_cql(t, j, o, w, &is_null, err, sizeof err);
	json_decref(j);
	if (r != 0) {
		if (err[0] == '\0')
			fail(t, "jsonval_to_cql failed without a message",
			    text, n, NULL, 0);
		return (-1);
	}
	return (is_null ? 1 : 0);
}

/*
 * Bytes b (canonical: we wrote them) -> JSON text -> bytes must be b, both
 * through the text form and the tree form; and b -> text twice is stable.
 */
static void
check_canonical(const struct cqltype *t, const uint8_t *b, size_t bn,
    const struct jsonval_opts *o)
{
	struct wbuf	 text, again, text2;
	json_t		*tree;
	char		 err[256], *dump;
	int		 r;

	wbuf_init(&text, FUZZ_CAP);
	if (jsonval_write_cql(t, b, bn, o, &text, err, sizeof err) != 0) {
		if (!wbuf_ok(&text))
			goto out;	/* too large to render: allowed */
		fail(t, "bytes from jsonval_to_cql do not render", b, bn,
		    err, strlen(err));
	}
	wbuf_init(&again, FUZZ_CAP);
	r = to_bytes(t, (const char *)text.p, text.len, o, &again);
	if (r == -2)
		fail(t, "rendered JSON does not load", text.p, text.len, b, bn);
	if (r == -1 && !nan_as_null(o, text.p, text.len) &&
	    !known_issue(text.p, text.len))
		fail(t, "rendered JSON is refused as the type", text.p,
		    text.len, b, bn);
	if (r == 0 && (again.len != bn || memcmp(again.p, b, bn) != 0) &&
	    !known_issue(b, bn))
		fail(t, "JSON -> bytes -> JSON -> bytes differs", b, bn,
		    again.p, again.len);
	/* The same bytes render the same text. */
	wbuf_init(&text2, FUZZ_CAP);
	if (r == 0 && jsonval_write_cql(t, again.p, again.len, o, &text2,
	    err, sizeof err) == 0 && (text2.len != text.len ||
	    memcmp(text2.p, text.p, text.len) != 0))
		fail(t, "the same bytes render differently", text.p, text.len,
		    text2.p, text2.len);
	wbuf_free(&text2);
	wbuf_free(&again);

	/* The tree form must serialize to the same bytes too. */
	tree = jsonval_from_cql(t, b, bn, o, err, sizeof err);
	if (tree == NULL)
		fail(t, "bytes render as text but not as a tree", b, bn, NULL,
		    0);
	dump = json_dumps(tree, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(tree);
	if (dump == NULL)
		abort();
	wbuf_init(&again, FUZZ_CAP);
	r = to_bytes(t, dump, strlen(dump), o, &again);
	if (r == -2 || (r == -1 && !nan_as_null(o, (const uint8_t *)dump,
	    strlen(dump))))
		fail(t, "tree form is refused as the type", dump,
		    strlen(dump), b, bn);
	if (r == 0 && (again.len != bn || memcmp(again.p, b, bn) != 0) &&
	    !known_issue(b, bn))
		fail(t, "tree form serializes differently", b, bn, again.p,
		    again.len);
	wbuf_free(&again);
	free(dump);
out:
	wbuf_free(&text);
}

/* The rest as client JSON for the type. */
static void
poke_json(const struct cqltype *t, const char *text, size_t n,
    const struct jsonval_opts *o)
{
	struct wbuf	 w;
	struct cqlval	*v;
	char		 err[256];

	wbuf_init(&w, FUZZ_CAP);
	if (to_bytes(t, text, n, o, &w) == 0 && wbuf_ok(&w)) {
		if (cqlval_decode(t, w.p, w.len, &v, err, sizeof err) != 0)
			fail(t, "jsonval_to_cql wrote bytes that do not "
			    "decode", text, n, w.p, w.len);
		cqlval_free(v);
		check_canonical(t, w.p, w.len, o);
	}
	wbuf_free(&w);
}

/* The rest as a serialized value from a server. */
static void
poke_bytes(const struct cqltype *t, const uint8_t *p, size_t n,
    const struct jsonval_opts *o)
{
	struct wbuf	 text, w;
	json_t		*tree;
	char		 err[256];
	int		 r;

	tree = jsonval_from_cql(t, p, n, o, err, sizeof err);
	json_decref(tree);
	wbuf_init(&text, FUZZ_CAP);
	if (jsonval_write_cql(t, p, n, o, &text, err, sizeof err) == 0) {
		/* Whatever we show a client, the client can send back. */
		wbuf_init(&w, FUZZ_CAP);
		r = to_bytes(t, (const char *)text.p, text.len, o, &w);
		if (r == -2)
			fail(t, "rendered JSON does not load", text.p,
			    text.len, p, n);
		if (r == -1 && !nan_as_null(o, text.p, text.len) &&
		    !known_issue(text.p, text.len))
			fail(t, "rendered JSON is refused as the type",
			    text.p, text.len, p, n);
		if (r == 0)
			check_canonical(t, w.p, w.len, o);
		wbuf_free(&w);
	}
	wbuf_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct jsonval_opts opts[] = {
		{ 0, 0 },	/* Cassandra's forms */
		{ 1, 1 }	/* numbers as strings, compact */
	};
	struct cqltype	*t;
	const uint8_t	*nl;
	char		*typetext, *rest;
	uint8_t		*raw;
	size_t		 tn, rn, i;

	if ((nl = memchr(data, '\n', size)) == NULL)
		return (0);
	tn = (size_t)(nl - data);
	typetext = xstrndup((const char *)data, tn);
	t = cqltype_parse(typetext, NULL);
	free(typetext);
	if (t == NULL)
		return (0);
	rn = size - tn - 1;
	rest = xmalloc(rn + 1);
	memcpy(rest, nl + 1, rn);
	rest[rn] = '\0';
	raw = xmalloc(rn > 0 ? rn : 1);	/* exact size: ASan sees overreads */
	memcpy(raw, nl + 1, rn);
	for (i = 0; i < nitems(opts); i++) {
		poke_json(t, rest, rn, &opts[i]);
		poke_bytes(t, raw, rn, &opts[i]);
	}
	free(raw);
	free(rest);
	cqltype_free(t);
	return (0);
}
