/*
 * split.h: cutting CQL text into statements at `;`, as cqlsh does: a `;`
 * inside a 'string' (with '' escapes), a "quoted identifier", a $$string$$
 * or a comment (-- and // to the end of the line, block comments) does
 * not end a statement, nor does one between BEGIN [UNLOGGED | COUNTER]
 * BATCH and APPLY BATCH (the statements of a batch).  Text is fed in pieces (lines as they arrive), so
 * statements run as soon as they are complete.
 */
#ifndef CQLP_SPLIT_H
#define CQLP_SPLIT_H

#include <stddef.h>

struct split;

/* Called with each statement (NUL-terminated, without its `;`). */
typedef int (*split_cb)(const char *stmt, void *arg);

struct split	*split_new(void);
void		 split_free(struct split *);
/* Feed text; calls cb for each statement ended; stops at cb's non-zero. */
int		 split_feed(struct split *, const char *, size_t, split_cb,
		     void *);
/* End of input: the last statement may lack its `;`. */
int		 split_finish(struct split *, split_cb, void *);

#endif
