/*
 * util.h: allocation that never returns NULL, logging, small helpers.
 * Shared by every layer: the codec, the driver core, the service and cqlmock.
 */
#ifndef CQLP_UTIL_H
#define CQLP_UTIL_H

#include <sys/queue.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define nitems(a) (sizeof (a) / sizeof (a)[0])

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif
#define printflike(a, b) __attribute__((__format__(__printf__, a, b)))

/*
 * Free lists keep freed objects of hot paths for reuse.  They are off
 * under AddressSanitizer, so that it still sees every use after free.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FREELIST_ON	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FREELIST_ON	0
#endif
#endif
#ifndef FREELIST_ON
#define FREELIST_ON	1
#endif

/*
 * slab.c: objects of one size from pages of their own, zeroed by
 * slab_get; slab_trim gives the pages of emptied slabs back (keeping
 * keep of them).  For many long-lived objects that may leave together.
 */
#define SLAB_BYTES	(64 * 1024)
struct slab;
struct slab_pool {
	size_t			 size;
	unsigned int		 live;
	unsigned int		 slabs;
	unsigned int		 nempty;
	LIST_HEAD(, slab)	 partial;
	LIST_HEAD(, slab)	 full;
	LIST_HEAD(, slab)	 empty;
};
#define SLAB_POOL_INITIALIZER(size)					\
	{ (size), 0, 0, 0, LIST_HEAD_INITIALIZER(partial),		\
	  LIST_HEAD_INITIALIZER(full), LIST_HEAD_INITIALIZER(empty) }
void	*slab_get(struct slab_pool *);
void	 slab_put(struct slab_pool *, void *);
void	 slab_trim(struct slab_pool *, unsigned int);

/* xmalloc.c */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	*xmemdup(const void *, size_t);
int	 xasprintf(char **, const char *, ...) printflike(2, 3);
int	 xvasprintf(char **, const char *, va_list) printflike(2, 0);

/*
 * freelist.c: freed objects kept for reuse, at most max of them.
 * freelist_get returns a kept object (its contents as they were put back)
 * or NULL for the caller to allocate; either way the object is counted
 * out until freelist_put.  freelist_trim_all (a quiet daemon) lets every
 * list's kept objects go but its reserve.  drop (or NULL) frees what an
 * object holds before it is freed for good.
 */
struct freelist {
	unsigned int	  max;
	unsigned int	  reserve;
	unsigned int	  n;		/* kept */
	unsigned int	  live;		/* out */
	void		**kept;
	void		(*drop)(void *);
	struct freelist	 *next;		/* all lists that kept something */
	int		  listed;
};
#define FREELIST_INITIALIZER(max, reserve, drop)			\
	{ (max), (reserve), 0, 0, NULL, (drop), NULL, 0 }
void	 freelist_put_slow(struct freelist *, void *);
void	 freelist_trim(struct freelist *, unsigned int);
void	 freelist_trim_all(void);

/* Inline: a hot path takes and gives back several objects a request. */
static inline void *
freelist_get(struct freelist *fl)
{
	fl->live++;
	if (fl->n == 0)
		return (NULL);
	return (fl->kept[--fl->n]);
}

/* An object back: kept while there is room (freelist_put_slow: the rest). */
static inline void
freelist_put(struct freelist *fl, void *p)
{
	if (FREELIST_ON && fl->live != 0 && fl->n < fl->max &&
	    fl->kept != NULL) {
		fl->live--;
		fl->kept[fl->n++] = p;
		return;
	}
	freelist_put_slow(fl, p);
}

/*
 * memcpy for copies that are mostly a few bytes (ids, small values,
 * names): up to 16 bytes without a call, as two overlapping fixed-size
 * copies; longer ones go to memcpy.
 */
static inline void
memcpy_small(void *dst, const void *src, size_t n)
{
	uint8_t		*d = dst;
	const uint8_t	*s = src;

	if (n > 16)
		memcpy(d, s, n);
	else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* log.c */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE
};
void	 log_open(const char *, enum log_level, int);
void	 log_set_level(enum log_level);
enum log_level log_get_level(void);
int	 log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);
void	 log_warn(const char *, ...) printflike(1, 2);
void	 log_warnx(const char *, ...) printflike(1, 2);
void	 log_info(const char *, ...) printflike(1, 2);
void	 log_debug(const char *, ...) printflike(1, 2);
void	 log_trace(const char *, ...) printflike(1, 2);
void	 log_vmsg(enum log_level, int, const char *, va_list)
	     printflike(3, 0);
__dead void fatal(const char *, ...) printflike(1, 2);
__dead void fatalx(const char *, ...) printflike(1, 2);

#endif
