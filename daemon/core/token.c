/*
 * token.c: the token ring, replication settings and per-range replica
 * tables (see token.h for the placement rules).
 *
 * Replica tables are computed with one backward sweep over two laps of the
 * ring keeping, per data center, the hosts ordered by where each is first
 * met walking clockwise from the current position (a move-to-front list:
 * stepping back one position brings its owner to the front). Cassandra's
 * placement only depends on that order, so each range costs about as much
 * as the replicas it gets, even when a walk would have to go around most of
 * the ring to find a small data center or a lonely rack.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "token.h"

#define TOKEN_NONE	UINT32_MAX

struct token_dcrf {
	char		*dc;
	int		 rf;
};

struct token_repl {
	enum token_strategy	 strategy;
	int			 rf;		/* SimpleStrategy */
	struct token_dcrf	*dcs;		/* NTS, sorted by name */
	size_t			 ndcs;
};

struct token_table {
	struct token_repl	*repl;
	const struct token_map	*map;
	unsigned int		 refs;		/* keyspaces using it */
	int			 pinned;	/* from token_map_table */
	size_t			 stride;	/* replicas per range */
	int			 shared;	/* one list for every range */
	void			**hosts;
};

struct token_rhost {
	void		*host;
	uint32_t	 dc;
	uint32_t	 rack;		/* unique over the whole ring */
	char		*dcname;
	char		*rackname;
};

struct token_ks {
	char			*name;
	struct token_table	*table;
};

struct token_map {
	int64_t			*tokens;	/* sorted, distinct */
	uint32_t		*owner;		/* index into hosts */
	size_t			 npos;

	struct token_rhost	*hosts;		/* only hosts owning a range */
	size_t			 nhosts;
	char			**dcnames;	/* by dc id */
	uint32_t		*dc_nhosts;
	uint32_t		*dc_nracks;
	size_t			 ndcs;
	size_t			 nracks;

	struct token_table	**tables;
	size_t			 ntables;
	struct token_ks		*ks;		/* sorted by name */
	size_t			 nks;
	uint64_t		 ks_serial;	/* token_map_ks_serial */
};

/* Source of ks_serial: never reused, even by a later map. */
static uint64_t	token_ks_serials;

static const char *token_strategy_names[] = {
	"unknown",
	"SimpleStrategy",
	"NetworkTopologyStrategy",
	"LocalStrategy",
	"EverywhereStrategy"
};

const char *
token_strategy_name(enum token_strategy s)
{
	if ((size_t)s >= nitems(token_strategy_names))
		return ("unknown");
	return (token_strategy_names[s]);
}

/* A factor is "N" or "N/T"; only N matters for placement. */
static int
token_repl_parse_rf(const char *s, int *rf)
{
	char	*end;
	long	 v, t;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v < 0 || v > TOKEN_RF_MAX)
		return (-1);
	if (*end == '/') {
		if (end[1] < '0' || end[1] > '9')
			return (-1);
		t = strtol(end + 1, &end, 10);
		if (errno != 0 || t < 0 || t > v)
			return (-1);
	}
	if (*end != '\0')
		return (-1);
	*rf = (int)v;
	return (0);
}

static int
token_dcrf_cmp(const void *a, const void *b)
{
	const struct token_dcrf	*x = a, *y = b;

	return (strcmp(x->dc, y->dc));
}

/* Class names come fully qualified from Cassandra, short from users. */
static enum token_strategy
token_repl_class(const char *cls)
{
	const char	*dot;
	size_t		 i;

	if ((dot = strrchr(cls, '.')) != NULL)
		cls = dot + 1;
	for (i = 1; i < nitems(token_strategy_names); i++) {
		if (strcmp(cls, token_strategy_names[i]) == 0)
			return ((enum token_strategy)i);
	}
	return (TOKEN_STRATEGY_UNKNOWN);
}

/* Only keys that change placement are kept, so equal settings compare equal. */
struct token_repl *
token_repl_parse(const char *const *keys, const char *const *values,
    size_t n, const char **cause)
{
	struct token_repl	*r;
	const char		*cls = NULL, *rfs = NULL;
	size_t			 i, j;
	int			 rf;

	*cause = NULL;
	for (i = 0; i < n; i++) {
		if (keys[i] == NULL || values[i] == NULL) {
			*cause = "null key or value in replication map";
			return (NULL);
		}
		if (strcmp(keys[i], "class") == 0)
			cls = values[i];
		else if (strcmp(keys[i], "replication_factor") == 0)
			rfs = values[i];
	}
	if (cls == NULL) {
		*cause = "replication map without class";
		return (NULL);
	}

	r = xcalloc(1, sizeof *r);
	r->strategy = token_repl_class(cls);
	switch (r->strategy) {
	case TOKEN_STRATEGY_SIMPLE:
		if (token_repl_parse_rf(rfs, &r->rf) != 0) {
			*cause = "bad or missing replication_factor";
			goto fail;
		}
		break;
	case TOKEN_STRATEGY_NTS:
		if (n > TOKEN_DC_MAX + 2) {
			*cause = "too many data centers";
			goto fail;
		}
		r->dcs = xcalloc(n, sizeof *r->dcs);
		for (i = 0; i < n; i++) {
			if (strcmp(keys[i], "class") == 0 ||
			    strcmp(keys[i], "replication_factor") == 0)
				continue;
			if (token_repl_parse_rf(values[i], &rf) != 0) {
				*cause = "bad data center replication factor";
				goto fail;
			}
			for (j = 0; j < r->ndcs; j++) {
				if (strcmp(r->dcs[j].dc, keys[i]) == 0) {
					*cause = "duplicate data center";
					goto fail;
				}
			}
			r->dcs[r->ndcs].dc = xstrdup(keys[i]);
			r->dcs[r->ndcs].rf = rf;
			r->ndcs++;
		}
		if (r->ndcs > TOKEN_DC_MAX) {
			*cause = "too many data centers";
			goto fail;
		}
		qsort(r->dcs, r->ndcs, sizeof *r->dcs, token_dcrf_cmp);
		break;
	default:
		break;
	}
	return (r);

fail:
	token_repl_free(r);
	return (NULL);
}

struct token_repl *
token_repl_dup(const struct token_repl *r)
{
	struct token_repl	*c;
	size_t			 i;

	c = xcalloc(1, sizeof *c);
	c->strategy = r->strategy;
	c->rf = r->rf;
	c->ndcs = r->ndcs;
	if (r->ndcs != 0) {
		c->dcs = xcalloc(r->ndcs, sizeof *c->dcs);
		for (i = 0; i < r->ndcs; i++) {
			c->dcs[i].dc = xstrdup(r->dcs[i].dc);
			c->dcs[i].rf = r->dcs[i].rf;
		}
	}
	return (c);
}

void
token_repl_free(struct token_repl *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ndcs; i++)
		free(r->dcs[i].dc);
	free(r->dcs);
	free(r);
}

int
token_repl_equal(const struct token_repl *a, const struct token_repl *b)
{
	size_t	i;

	if (a->strategy != b->strategy || a->rf != b->rf ||
	    a->ndcs != b->ndcs)
		return (0);
	for (i = 0; i < a->ndcs; i++) {
		if (a->dcs[i].rf != b->dcs[i].rf ||
		    strcmp(a->dcs[i].dc, b->dcs[i].dc) != 0)
			return (0);
	}
	return (1);
}

enum token_strategy
token_repl_strategy(const struct token_repl *r)
{
	return (r->strategy);
}

int
token_repl_factor(const struct token_repl *r, const char *dc)
{
	struct token_dcrf	key, *found;

	if (r->strategy == TOKEN_STRATEGY_SIMPLE)
		return (r->rf);
	if (r->strategy != TOKEN_STRATEGY_NTS || dc == NULL || r->ndcs == 0)
		return (0);
	key.dc = (char *)dc;
	found = bsearch(&key, r->dcs, r->ndcs, sizeof *r->dcs,
	    token_dcrf_cmp);
	return (found == NULL ? 0 : found->rf);
}

struct token_pair {
	int64_t		token;
	uint32_t	host;
};

static int
token_pair_cmp(const void *a, const void *b)
{
	const struct token_pair	*x = a, *y = b;

	if (x->token != y->token)
		return (x->token < y->token ? -1 : 1);
	if (x->host != y->host)
		return (x->host < y->host ? -1 : 1);
	return (0);
}

static int
token_rhost_cmp(const void *a, const void *b)
{
	const struct token_rhost	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->dcname, y->dcname)) != 0)
		return (c);
	return (strcmp(x->rackname, y->rackname));
}

/*
 * Give data centers and racks small ids by sorting the placed hosts by
 * (dc, rack): that stays O(n log n) however many racks peers claim.
 */
static void
token_map_intern(struct token_map *m)
{
	struct token_rhost	*sorted;
	size_t			 i;
	uint32_t		 dc = 0, rack = 0;

	if (m->nhosts == 0)
		return;
	sorted = xreallocarray(NULL, m->nhosts, sizeof *sorted);
	memcpy(sorted, m->hosts, m->nhosts * sizeof *sorted);
	for (i = 0; i < m->nhosts; i++)
		sorted[i].dc = (uint32_t)i;	/* remember the slot */
	qsort(sorted, m->nhosts, sizeof *sorted, token_rhost_cmp);

	m->dcnames = xreallocarray(NULL, m->nhosts, sizeof *m->dcnames);
	m->dc_nhosts = xcalloc(m->nhosts, sizeof *m->dc_nhosts);
	m->dc_nracks = xcalloc(m->nhosts, sizeof *m->dc_nracks);
	for (i = 0; i < m->nhosts; i++) {
		if (i == 0 || strcmp(sorted[i].dcname,
		    sorted[i - 1].dcname) != 0) {
			if (i != 0) {
				dc++;
				rack++;
			}
			m->dcnames[dc] = sorted[i].dcname;
			m->dc_nracks[dc] = 1;
		} else if (strcmp(sorted[i].rackname,
		    sorted[i - 1].rackname) != 0) {
			rack++;
			m->dc_nracks[dc]++;
		}
		m->dc_nhosts[dc]++;
		m->hosts[sorted[i].dc].dc = dc;
		m->hosts[sorted[i].dc].rack = rack;
	}
	m->ndcs = dc + 1;
	m->nracks = rack + 1;
	free(sorted);
}

/*
 * Sort (token, host) pairs once; hosts that end up owning no range are left
 * out so they count neither as replicas nor as racks.
 */
struct token_map *
token_map_new(const struct token_host *in, size_t n, const char **cause)
{
	struct token_map	*m;
	struct token_pair	*pairs;
	uint32_t		*slot;
	size_t			 total = 0, i, j, k;

	*cause = NULL;
	if (n > TOKEN_RING_MAX) {
		*cause = "too many hosts";
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		if (in[i].ntokens > TOKEN_RING_MAX - total) {
			*cause = "too many tokens in the ring";
			return (NULL);
		}
		total += in[i].ntokens;
	}

	m = xcalloc(1, sizeof *m);
	m->ks_serial = ++token_ks_serials;
	pairs = xreallocarray(NULL, total == 0 ? 1 : total, sizeof *pairs);
	for (i = 0, k = 0; i < n; i++) {
		for (j = 0; j < in[i].ntokens; j++) {
			pairs[k].token = in[i].tokens[j];
			pairs[k].host = (uint32_t)i;
			k++;
		}
	}
	qsort(pairs, total, sizeof *pairs, token_pair_cmp);

	/* Keep the first claim of each token; note which hosts own any. */
	m->tokens = xreallocarray(NULL, total == 0 ? 1 : total,
	    sizeof *m->tokens);
	m->owner = xreallocarray(NULL, total == 0 ? 1 : total,
	    sizeof *m->owner);
	slot = xreallocarray(NULL, n == 0 ? 1 : n, sizeof *slot);
	for (i = 0; i < n; i++)
		slot[i] = TOKEN_NONE;
	for (i = 0; i < total; i++) {
		if (m->npos != 0 &&
		    m->tokens[m->npos - 1] == pairs[i].token)
			continue;
		m->tokens[m->npos] = pairs[i].token;
		m->owner[m->npos] = pairs[i].host;
		slot[pairs[i].host] = 0;
		m->npos++;
	}
	free(pairs);

	/* Placed hosts keep the caller's order. */
	m->hosts = xcalloc(n == 0 ? 1 : n, sizeof *m->hosts);
	for (i = 0; i < n; i++) {
		if (slot[i] == TOKEN_NONE)
			continue;
		slot[i] = (uint32_t)m->nhosts;
		m->hosts[m->nhosts].host = in[i].host;
		m->hosts[m->nhosts].dcname = xstrdup(in[i].dc != NULL ?
		    in[i].dc : "");
		m->hosts[m->nhosts].rackname = xstrdup(in[i].rack != NULL ?
		    in[i].rack : "");
		m->nhosts++;
	}
	for (i = 0; i < m->npos; i++)
		m->owner[i] = slot[m->owner[i]];
	free(slot);

	token_map_intern(m);
	return (m);
}

static void
token_table_free(struct token_table *t)
{
	token_repl_free(t->repl);
	free(t->hosts);
	free(t);
}

void
token_map_free(struct token_map *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntables; i++)
		token_table_free(m->tables[i]);
	free(m->tables);
	for (i = 0; i < m->nks; i++)
		free(m->ks[i].name);
	free(m->ks);
	for (i = 0; i < m->nhosts; i++) {
		free(m->hosts[i].dcname);
		free(m->hosts[i].rackname);
	}
	free(m->hosts);
	free(m->dcnames);
	free(m->dc_nhosts);
	free(m->dc_nracks);
	free(m->tokens);
	free(m->owner);
	free(m);
}

size_t
token_map_ring_size(const struct token_map *m)
{
	return (m->npos);
}

size_t
token_map_host_count(const struct token_map *m)
{
	return (m->nhosts);
}

/*
 * Per-group move-to-front lists of hosts ordered by the distance, clockwise
 * from the current ring position, to each host's first range. A group is a
 * data center, or the whole ring.
 */
struct token_mtf {
	uint32_t	*head;		/* by group */
	uint32_t	*prev;		/* by host */
	uint32_t	*next;
	uint32_t	*group;		/* by host; TOKEN_NONE: not tracked */
	size_t		*seen;		/* unrolled position of first range */
};

static void
token_mtf_init(struct token_mtf *f, const struct token_map *m,
    size_t ngroups)
{
	size_t	i;

	f->head = xreallocarray(NULL, ngroups == 0 ? 1 : ngroups,
	    sizeof *f->head);
	for (i = 0; i < ngroups; i++)
		f->head[i] = TOKEN_NONE;
	f->prev = xreallocarray(NULL, m->nhosts, sizeof *f->prev);
	f->next = xreallocarray(NULL, m->nhosts, sizeof *f->next);
	f->group = xreallocarray(NULL, m->nhosts, sizeof *f->group);
	f->seen = xcalloc(m->nhosts, sizeof *f->seen);
	for (i = 0; i < m->nhosts; i++) {
		f->prev[i] = f->next[i] = TOKEN_NONE;
		f->group[i] = TOKEN_NONE;
	}
}

static void
token_mtf_free(struct token_mtf *f)
{
	free(f->head);
	free(f->prev);
	free(f->next);
	free(f->group);
	free(f->seen);
}

/* Host h's first range is now at unrolled position j: it goes first. */
static void
token_mtf_touch(struct token_mtf *f, uint32_t h, size_t j)
{
	uint32_t	g = f->group[h];

	if (g == TOKEN_NONE)
		return;
	f->seen[h] = j;
	if (f->head[g] == h)
		return;
	if (f->prev[h] != TOKEN_NONE) {
		f->next[f->prev[h]] = f->next[h];
		if (f->next[h] != TOKEN_NONE)
			f->prev[f->next[h]] = f->prev[h];
	}
	f->prev[h] = TOKEN_NONE;
	f->next[h] = f->head[g];
	if (f->head[g] != TOKEN_NONE)
		f->prev[f->head[g]] = h;
	f->head[g] = h;
}

/* What one data center contributes to the range being filled. */
struct token_dcfill {
	uint32_t	 dc;
	int		 rf;
	size_t		 want;		/* min(rf, hosts in dc) */
	uint32_t	*got;		/* hosts chosen, in ring order */
	size_t		 ngot;
};

/*
 * Cassandra 4.0's per-DC rule over hosts in first-met order: a host in a
 * new rack is taken; one in a used rack only while rf - racks repeats are
 * left. It always ends with min(rf, hosts) replicas.
 */
static void
token_fill_dc(const struct token_map *m, const struct token_mtf *f,
    struct token_dcfill *d, uint32_t *rackmark, uint32_t stamp)
{
	long		repeats = (long)d->rf - (long)m->dc_nracks[d->dc];
	uint32_t	h;

	d->ngot = 0;
	for (h = f->head[d->dc]; h != TOKEN_NONE && d->ngot < d->want;
	    h = f->next[h]) {
		if (rackmark[m->hosts[h].rack] != stamp)
			rackmark[m->hosts[h].rack] = stamp;
		else if (repeats > 0)
			repeats--;
		else
			continue;
		d->got[d->ngot++] = h;
	}
}

/* Merge the data centers' choices by distance from the range. */
static void
token_merge(const struct token_map *m, const struct token_mtf *f,
    struct token_dcfill *fills, size_t nfills, void **out)
{
	size_t	 at[TOKEN_DC_MAX], i, best, k = 0;
	uint32_t h;

	for (i = 0; i < nfills; i++)
		at[i] = 0;
	for (;;) {
		best = SIZE_MAX;
		for (i = 0; i < nfills; i++) {
			if (at[i] == fills[i].ngot)
				continue;
			h = fills[i].got[at[i]];
			if (best == SIZE_MAX || f->seen[h] <
			    f->seen[fills[best].got[at[best]]])
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		out[k++] = m->hosts[fills[best].got[at[best]++]].host;
	}
}

/* Fill t->hosts for every range of the ring (see the top of this file). */
static void
token_table_compute(struct token_table *t)
{
	const struct token_map	*m = t->map;
	const struct token_repl	*r = t->repl;
	struct token_mtf	 f;
	struct token_dcfill	*fills = NULL;
	uint32_t		*rackmark = NULL, *gotbuf = NULL, stamp = 0;
	size_t			 nfills = 0, stride = 0, ngroups, i, j, pos;
	uint32_t		 h, dc;
	int			 simple;

	t->stride = 0;
	t->shared = 0;
	t->hosts = NULL;
	if (m->npos == 0)
		return;

	switch (r->strategy) {
	case TOKEN_STRATEGY_SIMPLE:
	case TOKEN_STRATEGY_EVERYWHERE:
		simple = 1;
		ngroups = 1;
		stride = m->nhosts;
		if (r->strategy == TOKEN_STRATEGY_SIMPLE &&
		    (size_t)r->rf < stride)
			stride = (size_t)r->rf;
		break;
	case TOKEN_STRATEGY_NTS:
		simple = 0;
		ngroups = m->ndcs;
		fills = xcalloc(r->ndcs == 0 ? 1 : r->ndcs, sizeof *fills);
		for (i = 0; i < r->ndcs; i++) {
			for (dc = 0; dc < m->ndcs; dc++) {
				if (strcmp(m->dcnames[dc], r->dcs[i].dc) == 0)
					break;
			}
			if (dc == m->ndcs || r->dcs[i].rf == 0)
				continue;
			fills[nfills].dc = dc;
			fills[nfills].rf = r->dcs[i].rf;
			fills[nfills].want = m->dc_nhosts[dc];
			if ((size_t)r->dcs[i].rf < fills[nfills].want)
				fills[nfills].want = (size_t)r->dcs[i].rf;
			stride += fills[nfills].want;
			nfills++;
		}
		break;
	default:
		return;
	}
	if (stride == 0)
		goto out;
	if (r->strategy != TOKEN_STRATEGY_EVERYWHERE &&
	    stride > TOKEN_TABLE_MAX / m->npos) {
		log_warnx("token: %s table too large (%zu ranges x %zu), "
		    "routing without replicas", token_strategy_name(
		    r->strategy), m->npos, stride);
		goto out;
	}

	token_mtf_init(&f, m, ngroups);
	if (simple) {
		for (h = 0; h < m->nhosts; h++)
			f.group[h] = 0;
	} else {
		/* Only data centers the keyspace uses need ordering. */
		for (i = 0; i < nfills; i++)
			f.head[fills[i].dc] = TOKEN_NONE - 1;
		for (h = 0; h < m->nhosts; h++) {
			if (f.head[m->hosts[h].dc] == TOKEN_NONE - 1)
				f.group[h] = m->hosts[h].dc;
		}
		for (i = 0; i < nfills; i++)
			f.head[fills[i].dc] = TOKEN_NONE;
		rackmark = xcalloc(m->nracks, sizeof *rackmark);
		gotbuf = xreallocarray(NULL, stride, sizeof *gotbuf);
		for (i = 0, j = 0; i < nfills; i++) {
			fills[i].got = gotbuf + j;
			j += fills[i].want;
		}
	}

	if (r->strategy == TOKEN_STRATEGY_EVERYWHERE) {
		/* One lap back to 0 orders hosts as met from the start. */
		for (j = m->npos; j-- > 0;)
			token_mtf_touch(&f, m->owner[j], j);
		t->shared = 1;
		t->hosts = xreallocarray(NULL, stride, sizeof *t->hosts);
		for (h = f.head[0], i = 0; h != TOKEN_NONE; h = f.next[h])
			t->hosts[i++] = m->hosts[h].host;
		t->stride = stride;
		token_mtf_free(&f);
		goto out;
	}

	t->hosts = xreallocarray(NULL, m->npos * stride, sizeof *t->hosts);
	t->stride = stride;
	/* The first lap only primes the lists; the second records. */
	for (j = 2 * m->npos; j-- > 0;) {
		pos = j >= m->npos ? j - m->npos : j;
		token_mtf_touch(&f, m->owner[pos], j);
		if (j >= m->npos)
			continue;
		if (simple) {
			for (h = f.head[0], i = 0; i < stride; h = f.next[h])
				t->hosts[pos * stride + i++] =
				    m->hosts[h].host;
			continue;
		}
		for (i = 0; i < nfills; i++)
			token_fill_dc(m, &f, &fills[i], rackmark, ++stamp);
		token_merge(m, &f, fills, nfills, t->hosts + pos * stride);
	}
	token_mtf_free(&f);

out:
	free(fills);
	free(gotbuf);
	free(rackmark);
}

/* The range of t: the first ring token >= t, wrapping to the first. */
static size_t
token_map_position(const struct token_map *m, int64_t t)
{
	size_t	lo = 0, hi = m->npos, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->tokens[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo == m->npos ? 0 : lo);
}

/* No allocation and no writes: safe from any thread while the map lives. */
void
token_table_replicas(const struct token_table *t, int64_t token,
    void *const **hosts, size_t *n)
{
	*hosts = NULL;
	*n = 0;
	if (t == NULL || t->stride == 0 || t->map->npos == 0)
		return;
	*n = t->stride;
	if (t->shared)
		*hosts = t->hosts;
	else
		*hosts = t->hosts + token_map_position(t->map, token) *
		    t->stride;
}

const struct token_repl *
token_table_repl(const struct token_table *t)
{
	return (t->repl);
}

static struct token_table *
token_map_find_table(struct token_map *m, const struct token_repl *r)
{
	struct token_table	*t;
	size_t			 i;

	for (i = 0; i < m->ntables; i++) {
		if (token_repl_equal(m->tables[i]->repl, r))
			return (m->tables[i]);
	}
	t = xcalloc(1, sizeof *t);
	t->repl = token_repl_dup(r);
	t->map = m;
	token_table_compute(t);
	m->tables = xreallocarray(m->tables, m->ntables + 1,
	    sizeof *m->tables);
	m->tables[m->ntables++] = t;
	return (t);
}

/* Tables nobody uses any more go at once: settings rarely come back. */
static void
token_map_unref_table(struct token_map *m, struct token_table *t)
{
	size_t	i;

	if (--t->refs != 0 || t->pinned)
		return;
	for (i = 0; i < m->ntables; i++) {
		if (m->tables[i] == t) {
			m->tables[i] = m->tables[--m->ntables];
			break;
		}
	}
	token_table_free(t);
}

const struct token_table *
token_map_table(struct token_map *m, const struct token_repl *r)
{
	struct token_table	*t;

	t = token_map_find_table(m, r);
	t->pinned = 1;
	return (t);
}

/* Index of ks in the sorted keyspace array, or where it would go. */
static size_t
token_map_ks_search(const struct token_map *m, const char *ks, int *found)
{
	size_t	lo = 0, hi = m->nks, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(m->ks[mid].name, ks);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

void
token_map_set_keyspace(struct token_map *m, const char *ks,
    const struct token_repl *r)
{
	struct token_table	*t;
	size_t			 i;
	int			 found;

	if (r == NULL) {
		token_map_drop_keyspace(m, ks);
		return;
	}
	m->ks_serial = ++token_ks_serials;
	t = token_map_find_table(m, r);
	t->refs++;
	i = token_map_ks_search(m, ks, &found);
	if (found) {
		token_map_unref_table(m, m->ks[i].table);
		m->ks[i].table = t;
		return;
	}
	m->ks = xreallocarray(m->ks, m->nks + 1, sizeof *m->ks);
	memmove(&m->ks[i + 1], &m->ks[i], (m->nks - i) * sizeof *m->ks);
	m->ks[i].name = xstrdup(ks);
	m->ks[i].table = t;
	m->nks++;
}

void
token_map_drop_keyspace(struct token_map *m, const char *ks)
{
	size_t	i;
	int	found;

	m->ks_serial = ++token_ks_serials;
	i = token_map_ks_search(m, ks, &found);
	if (!found)
		return;
	token_map_unref_table(m, m->ks[i].table);
	free(m->ks[i].name);
	memmove(&m->ks[i], &m->ks[i + 1], (m->nks - i - 1) * sizeof *m->ks);
	m->nks--;
}

const struct token_table *
token_map_keyspace(const struct token_map *m, const char *ks)
{
	size_t	i;
	int	found;

	i = token_map_ks_search(m, ks, &found);
	return (found ? m->ks[i].table : NULL);
}

uint64_t
token_map_ks_serial(const struct token_map *m)
{
	return (m->ks_serial);
}

int
token_map_replicas(const struct token_map *m, const char *ks, int64_t t,
    void *const **hosts, size_t *n)
{
	const struct token_table	*table;

	*hosts = NULL;
	*n = 0;
	if ((table = token_map_keyspace(m, ks)) == NULL)
		return (-1);
	token_table_replicas(table, t, hosts, n);
	return (0);
}

/* Keyspace settings survive topology changes; only the ring is new. */
struct token_map *
token_map_rebuild(const struct token_map *old, const struct token_host *in,
    size_t n, const char **cause)
{
	struct token_map	*m;
	size_t			 i;

	if ((m = token_map_new(in, n, cause)) == NULL)
		return (NULL);
	for (i = 0; i < old->nks; i++)
		token_map_set_keyspace(m, old->ks[i].name,
		    old->ks[i].table->repl);
	return (m);
}

int
token_parse(const char *s, int64_t *t)
{
	char		*end;
	long long	 v;

	if (s == NULL || (*s != '-' && (*s < '0' || *s > '9')))
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return (-1);
	*t = (int64_t)v;
	return (0);
}

/* Slot s of total even slots starts at s * 2^64 / total - 2^63. */
void
token_assign(size_t idx, size_t count, size_t ntokens, int64_t *out)
{
	uint64_t	total, slot, v;
	size_t		k;

	if (count == 0 || ntokens == 0 || idx >= count)
		return;
	total = (uint64_t)count * ntokens;
	for (k = 0; k < ntokens; k++) {
		slot = (uint64_t)k * count + idx;
#ifdef __SIZEOF_INT128__
		v = (uint64_t)(((unsigned __int128)slot << 64) / total);
#else
		v = (uint64_t)((long double)slot / total *
		    18446744073709551616.0L);
#endif
		out[k] = (int64_t)(v ^ 0x8000000000000000ULL);
	}
}
