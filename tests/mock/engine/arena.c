/*
 * arena.c: a bump allocator for statement trees. A parsed statement owns
 * one arena, so freeing a statement (with all its terms) is one call and
 * a parse error half way through leaks nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "engine.h"

#define ARENA_BLOCK	4096

struct arena_block {
	struct arena_block	*next;
	size_t			 used;
	size_t			 size;
	uint8_t			 data[];
};

struct arena {
	struct arena_block	*head;
};

struct arena *
arena_new(void)
{
	return (xcalloc(1, sizeof (struct arena)));
}

void
arena_free(struct arena *a)
{
	struct arena_block	*b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

/* Large requests get a block of their own so small ones keep packing. */
void *
arena_alloc(struct arena *a, size_t size)
{
	struct arena_block	*b;
	size_t			 need, bsize;
	void			*p;

	need = (size + 15) & ~(size_t)15;
	if (need == 0)
		need = 16;
	b = a->head;
	if (b == NULL || b->size - b->used < need) {
		bsize = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		b = xmalloc(sizeof *b + bsize);
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	memset(p, 0, need);
	return (p);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return (arena_strndup(a, s, strlen(s)));
}

/*
 * Arrays grow by doubling into fresh arena memory; the old copy stays in
 * the arena until the statement is freed, which bounds waste at 2x.
 */
void *
arena_push(struct arena *a, void *arr, size_t *n, size_t sz)
{
	size_t	 cap, i;
	void	*p;

	for (cap = 4; cap < *n; cap *= 2)
		;
	if (arr != NULL && *n < cap) {
		(*n)++;
		return (arr);
	}
	if (arr == NULL)
		cap = 4;
	else
		cap *= 2;
	p = arena_alloc(a, cap * sz);
	if (arr != NULL && *n > 0)
		memcpy(p, arr, *n * sz);
	i = (*n)++;
	(void)i;
	return (p);
}
