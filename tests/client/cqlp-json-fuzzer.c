/*
 * cqlp-json-fuzzer.c: libFuzzer harness for libcqlproxy's JSON reader,
 * which reads the daemon's answer lines: any input is parsed or refused,
 * never over-read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cqlp-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jdoc	doc;
	char		err[64], *text;

	if ((text = malloc(size + 1)) == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	if (jdoc_parse(&doc, text, size, err, sizeof err) == 0) {
		(void)jnode_get(doc.root, "rows");
		jdoc_free(&doc);
	} else
		free(text);
	return (0);
}
