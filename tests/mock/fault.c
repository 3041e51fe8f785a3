/*
 * fault.c: the errors a node can be told to answer instead of running a
 * statement, and matching of statement text for faults and delays.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "mock.h"

static const char *const fault_names[] = {
	[FAULT_UNAVAILABLE] = "unavailable",
	[FAULT_READ_TIMEOUT] = "read_timeout",
	[FAULT_WRITE_TIMEOUT] = "write_timeout",
	[FAULT_OVERLOADED] = "overloaded",
	[FAULT_IS_BOOTSTRAPPING] = "is_bootstrapping",
	[FAULT_UNPREPARED] = "unprepared",
	[FAULT_SERVER_ERROR] = "server_error",
	[FAULT_READ_FAILURE] = "read_failure",
	[FAULT_WRITE_FAILURE] = "write_failure",
	[FAULT_TRUNCATE_ERROR] = "truncate_error",
	[FAULT_SYNTAX_ERROR] = "syntax_error",
	[FAULT_INVALID] = "invalid",
};

int
fault_kind_parse(const char *s, enum fault_kind *out)
{
	size_t	i;

	for (i = 0; i < nitems(fault_names); i++) {
		if (strcasecmp(s, fault_names[i]) == 0) {
			*out = (enum fault_kind)i;
			return (0);
		}
	}
	return (-1);
}

const char *
fault_kind_name(enum fault_kind k)
{
	if ((size_t)k >= nitems(fault_names))
		return ("unknown");
	return (fault_names[k]);
}

/* Case-blind substring test; a NULL pattern matches everything. */
int
fault_text_matches(const char *pattern, const char *text, size_t len)
{
	size_t	plen, i;

	if (pattern == NULL)
		return (1);
	plen = strlen(pattern);
	if (plen == 0)
		return (1);
	for (i = 0; i + plen <= len; i++) {
		if (strncasecmp(text + i, pattern, plen) == 0)
			return (1);
	}
	return (0);
}

void
fault_free(struct fault *f)
{
	free(f->match);
	free(f->write_type);
	free(f->message);
	free(f);
}

void
fault_clear(struct faults *fs)
{
	struct fault	*f;

	while ((f = TAILQ_FIRST(fs)) != NULL) {
		TAILQ_REMOVE(fs, f, entry);
		fault_free(f);
	}
}
