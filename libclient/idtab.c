/*
 * idtab.c: request id -> pointer, open addressing with linear probing,
 * kept at most half full.  Removal moves the rest of a probe run back
 * instead of leaving tombstones, so a table that sees millions of ids
 * come and go never needs a rebuild to stay fast; it shrinks again after
 * a burst.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idtab.h"

#define IDTAB_MIN	64

/* Ids are sequential: mix them so they spread over the slots. */
static size_t
idtab_home(uint64_t id, size_t size)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return ((size_t)id & (size - 1));
}

void
idtab_init(struct idtab *t)
{
	memset(t, 0, sizeof *t);
}

void
idtab_free(struct idtab *t)
{
	free(t->slots);
	idtab_init(t);
}

void
idtab_clear(struct idtab *t)
{
	if (t->slots != NULL)
		memset(t->slots, 0, t->size * sizeof *t->slots);
	t->used = 0;
}

static void
idtab_put(struct idtab_slot *slots, size_t size, uint64_t id, void *p)
{
	size_t	i;

	for (i = idtab_home(id, size); slots[i].p != NULL;
	    i = (i + 1) & (size - 1))
		continue;
	slots[i].id = id;
	slots[i].p = p;
}

/* Move every entry to a table of size slots (a power of two). */
static int
idtab_resize(struct idtab *t, size_t size)
{
	struct idtab_slot	*slots;
	size_t			 i;

	if (size > SIZE_MAX / 2 / sizeof *slots ||
	    (slots = calloc(size, sizeof *slots)) == NULL)
		return (-1);
	for (i = 0; i < t->size; i++) {
		if (t->slots[i].p != NULL)
			idtab_put(slots, size, t->slots[i].id, t->slots[i].p);
	}
	free(t->slots);
	t->slots = slots;
	t->size = size;
	return (0);
}

int
idtab_add(struct idtab *t, uint64_t id, void *p)
{
	if ((t->used + 1) * 2 > t->size &&
	    idtab_resize(t, t->size == 0 ? IDTAB_MIN : t->size * 2) != 0)
		return (-1);
	idtab_put(t->slots, t->size, id, p);
	t->used++;
	return (0);
}

void *
idtab_take(struct idtab *t, uint64_t id)
{
	size_t	 i, j, home, mask = t->size - 1;
	void	*p;

	if (t->size == 0)
		return (NULL);
	for (i = idtab_home(id, t->size); t->slots[i].id != id ||
	    t->slots[i].p == NULL; i = (i + 1) & mask) {
		if (t->slots[i].p == NULL)
			return (NULL);
	}
	p = t->slots[i].p;
	t->slots[i].p = NULL;
	t->used--;
	/*
	 * Close the gap: a later entry of the run moves into it unless its
	 * home slot lies cyclically in (i, j], where it is still reachable.
	 */
	for (j = (i + 1) & mask; t->slots[j].p != NULL; j = (j + 1) & mask) {
		home = idtab_home(t->slots[j].id, t->size);
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j].p = NULL;
		i = j;
	}
	/*
	 * After a burst, give the memory back once the table is an eighth
	 * full (a quarter after the move, so adds do not resize it straight
	 * back); if that fails, the big table still works.
	 */
	if (t->size > IDTAB_MIN && t->used * 8 < t->size)
		(void)idtab_resize(t, t->size / 4 < IDTAB_MIN ? IDTAB_MIN :
		    t->size / 4);
	return (p);
}
