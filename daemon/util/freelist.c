/*
 * freelist.c: objects of a hot path kept for reuse instead of going back
 * to malloc one by one.  A list holds at most its max; once the daemon
 * is quiet, its owner calls freelist_trim_all and every list keeps only
 * its small reserve: the memory goes back to malloc, where idle clients
 * can use it.  Off under AddressSanitizer (FREELIST_ON), which then sees
 * every object freed.
 */
#include <stdlib.h>

#include "util.h"

/* Every list that has kept something, for freelist_trim_all. */
static struct freelist	*freelist_all;

/* Free an object for good, with what it holds. */
static void
freelist_drop(struct freelist *fl, void *p)
{
	if (fl->drop != NULL)
		fl->drop(p);
	free(p);
}

/*
 * An object back when freelist_put's inline test fails: the first one
 * (the array is made), a full list, the list off, or a miscount.
 */
void
freelist_put_slow(struct freelist *fl, void *p)
{
	if (fl->live == 0)
		fatalx("%s: more objects back than out", __func__);
	fl->live--;
	if (!FREELIST_ON || fl->n >= fl->max) {
		freelist_drop(fl, p);
		return;
	}
	if (fl->kept == NULL)
		fl->kept = xreallocarray(NULL, fl->max, sizeof *fl->kept);
	if (!fl->listed) {
		fl->next = freelist_all;
		freelist_all = fl;
		fl->listed = 1;
	}
	fl->kept[fl->n++] = p;
}

/* Let kept objects go down to keep (the array of them stays). */
void
freelist_trim(struct freelist *fl, unsigned int keep)
{
	while (fl->n > keep)
		freelist_drop(fl, fl->kept[--fl->n]);
}

void
freelist_trim_all(void)
{
	struct freelist	*fl;

	for (fl = freelist_all; fl != NULL; fl = fl->next)
		freelist_trim(fl, fl->reserve);
}

