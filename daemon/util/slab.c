/*
 * slab.c: many objects of one size that live long and may all go at
 * once (the daemon's idle clients).  They are carved from pages of their
 * own (mmap), not from malloc's heap, where objects that outlive them
 * would pin the pages around them after they are freed: when a crowd of
 * such objects goes, slab_trim hands their pages back to the system.
 * Under AddressSanitizer (FREELIST_ON 0) objects come from calloc, so
 * that every use after free is still seen.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A slot: the slab it belongs to, then the object (or the free link). */
struct slab_slot {
	struct slab		*slab;
	union {
		struct slab_slot	*next;	/* when free */
		max_align_t		 align;
	} u;
};
#define SLOT_HEAD	offsetof(struct slab_slot, u)

struct slab {
	LIST_ENTRY(slab)	 entry;
	struct slab_pool	*pool;
	struct slab_slot	*free;
	unsigned int		 used;
	unsigned int		 nslots;
};

static size_t
slab_slot_size(const struct slab_pool *p)
{
	size_t	n = SLOT_HEAD + (p->size > sizeof(struct slab_slot *) ?
		    p->size : sizeof(struct slab_slot *));

	return ((n + _Alignof(max_align_t) - 1) &
	    ~(_Alignof(max_align_t) - 1));
}

static size_t
slab_first(void)
{
	return ((sizeof(struct slab) + _Alignof(max_align_t) - 1) &
	    ~(_Alignof(max_align_t) - 1));
}

/* A new slab with every slot free, on the pool's partial list. */
static struct slab *
slab_new(struct slab_pool *p)
{
	struct slab		*s;
	struct slab_slot	*slot;
	size_t			 ss = slab_slot_size(p), off;

	s = mmap(NULL, SLAB_BYTES, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		fatal("%s: mmap", __func__);
	s->pool = p;
	s->free = NULL;
	s->used = 0;
	s->nslots = 0;
	for (off = slab_first(); off + ss <= SLAB_BYTES; off += ss) {
		slot = (struct slab_slot *)((char *)s + off);
		slot->slab = s;
		slot->u.next = s->free;
		s->free = slot;
		s->nslots++;
	}
	if (s->nslots == 0)
		fatalx("%s: objects of %zu bytes do not fit", __func__,
		    p->size);
	LIST_INSERT_HEAD(&p->partial, s, entry);
	p->slabs++;
	return (s);
}

/* A zeroed object. */
void *
slab_get(struct slab_pool *p)
{
	struct slab		*s;
	struct slab_slot	*slot;

	if (!FREELIST_ON)
		return (xcalloc(1, p->size));
	if ((s = LIST_FIRST(&p->partial)) == NULL &&
	    (s = LIST_FIRST(&p->empty)) != NULL) {
		LIST_REMOVE(s, entry);
		LIST_INSERT_HEAD(&p->partial, s, entry);
		p->nempty--;
	}
	if (s == NULL)
		s = slab_new(p);
	slot = s->free;
	s->free = slot->u.next;
	if (++s->used == s->nslots) {
		LIST_REMOVE(s, entry);
		LIST_INSERT_HEAD(&p->full, s, entry);
	}
	p->live++;
	memset(&slot->u, 0, p->size);
	return (&slot->u);
}

/*
 * An object back.  A slab that empties is kept (a client that comes and
 * goes must not cost an mmap each time) until slab_trim.
 */
void
slab_put(struct slab_pool *p, void *obj)
{
	struct slab_slot	*slot;
	struct slab		*s;

	if (obj == NULL)
		return;
	if (!FREELIST_ON) {
		free(obj);
		return;
	}
	slot = (struct slab_slot *)((char *)obj - SLOT_HEAD);
	s = slot->slab;
	if (s->pool != p || s->used == 0)
		fatalx("%s: not an object of this pool", __func__);
	if (s->used == s->nslots) {
		LIST_REMOVE(s, entry);
		LIST_INSERT_HEAD(&p->partial, s, entry);
	}
	slot->u.next = s->free;
	s->free = slot;
	p->live--;
	if (--s->used == 0) {
		LIST_REMOVE(s, entry);
		LIST_INSERT_HEAD(&p->empty, s, entry);
		p->nempty++;
	}
}

/* Hand the pages of empty slabs back to the system, but keep of them. */
void
slab_trim(struct slab_pool *p, unsigned int keep)
{
	struct slab	*s;

	while (p->nempty > keep && (s = LIST_FIRST(&p->empty)) != NULL) {
		LIST_REMOVE(s, entry);
		p->nempty--;
		p->slabs--;
		if (munmap(s, SLAB_BYTES) != 0)
			fatal("%s: munmap", __func__);
	}
}
