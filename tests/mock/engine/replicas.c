/*
 * replicas.c: replica placement from the node registry's token ring, per
 * keyspace replication: SimpleStrategy (next distinct nodes clockwise),
 * NetworkTopologyStrategy (per data center, preferring racks not yet
 * used, then the nodes skipped for a repeated rack), Everywhere, Local.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "engine.h"

struct ring_ent {
	int64_t	token;
	int	node;
};

static int
ring_cmp(const void *a, const void *b)
{
	const struct ring_ent	*x = a, *y = b;

	if (x->token != y->token)
		return (x->token < y->token ? -1 : 1);
	return (x->node - y->node);
}

static struct ring_ent *
ring_build(struct db *db, size_t *n)
{
	struct ring_ent	*r;
	size_t		 total = 0, i, k = 0;
	int		 j;

	for (j = 0; j < DB_MAX_NODES; j++) {
		if (db->nodes[j].present)
			total += db->nodes[j].ntokens;
	}
	r = xcalloc(total + 1, sizeof *r);
	for (j = 0; j < DB_MAX_NODES; j++) {
		if (!db->nodes[j].present)
			continue;
		for (i = 0; i < db->nodes[j].ntokens; i++) {
			r[k].token = db->nodes[j].tokens[i];
			r[k].node = j;
			k++;
		}
	}
	qsort(r, k, sizeof *r, ring_cmp);
	*n = k;
	return (r);
}

/* Index of the first ring entry whose token is >= t, wrapping to 0. */
static size_t
ring_first(struct ring_ent *r, size_t n, int64_t t)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (r[mid].token < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo == n ? 0 : lo);
}

static int
has(const int *v, int n, int x)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (v[i] == x)
			return (1);
	}
	return (0);
}

static const char *
repl_opt(struct keyspace *ks, const char *key)
{
	size_t	i;

	for (i = 0; i < ks->nrepl; i++) {
		if (strcmp(ks->repl_keys[i], key) == 0)
			return (ks->repl_vals[i]);
	}
	return (NULL);
}

/* Per data center: how many replicas, which racks exist, what is placed. */
struct dcstate {
	const char	*dc;
	int		 rf;
	int		 placed;
	const char	*racks_seen[DB_MAX_NODES];
	int		 nracks_seen;
	int		 nracks;
	int		 skipped[DB_MAX_NODES];
	int		 nskipped;
};

static int
rack_seen(struct dcstate *d, const char *rack)
{
	int	i;

	for (i = 0; i < d->nracks_seen; i++) {
		if (strcmp(d->racks_seen[i], rack) == 0)
			return (1);
	}
	return (0);
}

static int
nts(struct db *db, struct keyspace *ks, struct ring_ent *r, size_t n,
    size_t first, int *nodes, int max)
{
	struct dcstate	 dcs[DB_MAX_NODES];
	int		 ndc = 0, out = 0, i, j, hosts, want = 0, placed = 0;
	size_t		 k;
	const char	*racks[DB_MAX_NODES];
	int		 nr;

	memset(dcs, 0, sizeof dcs);
	for (k = 0; k < ks->nrepl && ndc < DB_MAX_NODES; k++) {
		if (strcmp(ks->repl_keys[k], "class") == 0)
			continue;
		dcs[ndc].dc = ks->repl_keys[k];
		dcs[ndc].rf = atoi(ks->repl_vals[k]);
		hosts = 0;
		nr = 0;
		for (j = 0; j < DB_MAX_NODES; j++) {
			struct nodeinfo *ni = &db->nodes[j];

			if (!ni->present || strcmp(ni->dc, dcs[ndc].dc) != 0)
				continue;
			hosts++;
			for (i = 0; i < nr; i++) {
				if (strcmp(racks[i], ni->rack) == 0)
					break;
			}
			if (i == nr)
				racks[nr++] = ni->rack;
		}
		if (dcs[ndc].rf > hosts)
			dcs[ndc].rf = hosts;
		dcs[ndc].nracks = nr;
		want += dcs[ndc].rf;
		ndc++;
	}
	for (k = 0; k < n && placed < want; k++) {
		int		 node = r[(first + k) % n].node;
		struct nodeinfo	*ni = &db->nodes[node];
		struct dcstate	*d = NULL;

		for (i = 0; i < ndc; i++) {
			if (strcmp(dcs[i].dc, ni->dc) == 0)
				d = &dcs[i];
		}
		if (d == NULL || d->placed >= d->rf || has(nodes, out, node) ||
		    has(d->skipped, d->nskipped, node))
			continue;
		if (d->nracks_seen >= d->nracks) {
			/* every rack has a replica: take nodes as they come */
			if (out < max)
				nodes[out++] = node;
			d->placed++;
			placed++;
		} else if (!rack_seen(d, ni->rack)) {
			if (out < max)
				nodes[out++] = node;
			d->placed++;
			placed++;
			d->racks_seen[d->nracks_seen++] = ni->rack;
			if (d->nracks_seen == d->nracks) {
				for (j = 0; j < d->nskipped &&
				    d->placed < d->rf; j++) {
					if (out < max)
						nodes[out++] = d->skipped[j];
					d->placed++;
					placed++;
				}
				d->nskipped = 0;
			}
		} else if (d->nskipped < DB_MAX_NODES)
			d->skipped[d->nskipped++] = node;
	}
	return (out);
}

int
db_replicas(struct db *db, const char *keyspace, int64_t token, int *nodes,
    int max)
{
	struct keyspace	*ks;
	struct ring_ent	*r;
	size_t		 n, first, k;
	int		 out = 0, rf;
	const char	*v;

	if ((ks = db_keyspace(db, keyspace)) == NULL)
		return (-1);
	if (ks->strategy == STRAT_LOCAL || max <= 0)
		return (0);
	r = ring_build(db, &n);
	if (n == 0) {
		free(r);
		return (0);
	}
	first = ring_first(r, n, token);
	switch (ks->strategy) {
	case STRAT_NTS:
		out = nts(db, ks, r, n, first, nodes, max);
		break;
	case STRAT_SIMPLE:
	case STRAT_EVERYWHERE:
		rf = DB_MAX_NODES;
		if (ks->strategy == STRAT_SIMPLE) {
			v = repl_opt(ks, "replication_factor");
			rf = v != NULL ? atoi(v) : 1;
		}
		for (k = 0; k < n && out < rf && out < max; k++) {
			int node = r[(first + k) % n].node;

			if (!has(nodes, out, node))
				nodes[out++] = node;
		}
		break;
	default:
		break;
	}
	free(r);
	return (out);
}
