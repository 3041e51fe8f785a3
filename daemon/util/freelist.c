/*
 * freelist.c: objects of a hot path kept for reuse instead of going back
 * to malloc one by one.  A list holds at most its max, and it is emptied
 * (down to its small reserve) when the last object out comes back:
 * nothing in flight, so a quiet daemon keeps (almost) none and the memory
 * goes back to malloc, where idle clients can use it.  Off under AddressSanitizer (FREELIST_ON), which then sees
 * every object freed.
 */
#include <stdlib.h>

#include "util.h"

/* A kept object, or NULL: the caller allocates one.  Either is out. */
void *
freelist_get(struct freelist *fl)
{
	fl->live++;
	if (fl->n == 0)
		return (NULL);
	return (fl->kept[--fl->n]);
}

/* Free an object for good, with what it holds. */
static void
freelist_drop(struct freelist *fl, void *p)
{
	if (fl->drop != NULL)
		fl->drop(p);
	free(p);
}

/* An object back: kept while others are out and there is room. */
void
freelist_put(struct freelist *fl, void *p)
{
	if (fl->live == 0)
		fatalx("%s: more objects back than out", __func__);
	fl->live--;
	if (FREELIST_ON && (fl->live > 0 || fl->n < fl->reserve) &&
	    fl->n < fl->max) {
		if (fl->kept == NULL)
			fl->kept = xreallocarray(NULL, fl->max,
			    sizeof *fl->kept);
		fl->kept[fl->n++] = p;
		return;
	}
	freelist_drop(fl, p);
	if (fl->live == 0)
		freelist_trim(fl, fl->reserve);
}

/* Let kept objects go down to keep (the array of them stays). */
void
freelist_trim(struct freelist *fl, unsigned int keep)
{
	while (fl->n > keep)
		freelist_drop(fl, fl->kept[--fl->n]);
}
