/*
 * idtab.h: a table from request id to pointer (libcqlproxy's async API
 * finds the request an answer belongs to by it).
 */
#ifndef IDTAB_H
#define IDTAB_H

#include <stddef.h>
#include <stdint.h>

struct idtab_slot {
	uint64_t	 id;
	void		*p;		/* NULL: the slot is free */
};

struct idtab {
	struct idtab_slot	*slots;
	size_t			 size;	/* 0 or a power of two */
	size_t			 used;
};

void	 idtab_init(struct idtab *);
void	 idtab_free(struct idtab *);
/* Forget every entry, keep the memory. */
void	 idtab_clear(struct idtab *);
/* Add id (not already there) with p (not NULL): 0, or -1 out of memory. */
int	 idtab_add(struct idtab *, uint64_t, void *);
/* Remove id and return its pointer, or NULL if it is not there. */
void	*idtab_take(struct idtab *, uint64_t);

#endif
