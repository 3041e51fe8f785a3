/*
 * db.c: the engine's objects and storage: keyspaces, tables, user types,
 * partitions (sorted by token then key bytes) and rows (sorted by their
 * clustering values in the table's clustering order), the node registry,
 * clocks and uuids.
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "murmur3.h"
#include "engine.h"

static int64_t
db_clock_real(void *arg)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

struct db *
db_new(const char *cluster_name)
{
	struct db	*db;

	db = xcalloc(1, sizeof *db);
	db->cluster = xstrdup(cluster_name != NULL ? cluster_name : "cqlmock");
	db->clock = db_clock_real;
	db->next_handle = 1;
	db->booting = 1;
	systables_boot(db);
	db->booting = 0;
	db_schema_changed(db);
	return (db);
}

static void
db_keyspace_free(struct keyspace *ks)
{
	size_t	i;

	for (i = 0; i < ks->ntables; i++)
		db_table_free(ks->tables[i]);
	free(ks->tables);
	for (i = 0; i < ks->ntypes; i++) {
		free(ks->types[i].name);
		cqltype_free(ks->types[i].type);
	}
	free(ks->types);
	for (i = 0; i < ks->nrepl; i++) {
		free(ks->repl_keys[i]);
		free(ks->repl_vals[i]);
	}
	free(ks->repl_keys);
	free(ks->repl_vals);
	free(ks->name);
	free(ks);
}

void
db_free(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nkss; i++)
		db_keyspace_free(db->kss[i]);
	free(db->kss);
	for (i = 0; i < DB_MAX_NODES; i++)
		db_node_remove(db, i);
	for (i = 0; i < db->nprepared; i++) {
		free(db->prepared[i].ks);
		free(db->prepared[i].text);
		stmt_free(db->prepared[i].stmt);
	}
	free(db->prepared);
	free(db->cluster);
	free(db);
}

void
db_set_clock(struct db *db, int64_t (*fn)(void *), void *arg)
{
	db->clock = fn != NULL ? fn : db_clock_real;
	db->clock_arg = arg;
}

int64_t
db_now(struct db *db)
{
	return (db->clock(db->clock_arg));
}

/* Write timestamps never repeat, so two quick writes keep their order. */
int64_t
db_timestamp(struct db *db)
{
	int64_t	now = db_now(db);

	if (now <= db->last_ts)
		now = db->last_ts + 1;
	db->last_ts = now;
	return (now);
}

void
db_random_uuid(struct db *db, uint8_t u[16])
{
	uint64_t	h[2];
	size_t		got;

	got = 0;
	while (got < 16) {
		ssize_t	r = getrandom(u + got, 16 - got, 0);

		if (r <= 0)
			break;
		got += r;
	}
	if (got < 16) {
		uint64_t seed[2] = { (uint64_t)db_now(db), db->uuid_seq++ };

		murmur3_hash128(seed, sizeof seed, h);
		memcpy(u, h, 16);
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
}

/* Version 1 uuid from the clock; the sequence keeps equal times distinct. */
void
db_timeuuid(struct db *db, uint8_t u[16])
{
	uint64_t	t;
	uint8_t		rnd[16];

	t = (uint64_t)(db_now(db) * 10) + 0x01B21DD213814000ULL +
	    (db->uuid_seq++ % 10);
	u[0] = t >> 24;
	u[1] = t >> 16;
	u[2] = t >> 8;
	u[3] = t;
	u[4] = t >> 40;
	u[5] = t >> 32;
	u[6] = ((t >> 56) & 0x0f) | 0x10;
	u[7] = t >> 48;
	db_random_uuid(db, rnd);
	u[8] = (rnd[8] & 0x3f) | 0x80;
	memcpy(u + 9, rnd + 9, 7);
}

/* A stable name-based uuid (version 3 layout) for system objects. */
void
db_name_uuid(const char *a, const char *b, uint8_t u[16])
{
	uint64_t	 h[2];
	size_t		 la = strlen(a), lb = strlen(b);
	char		*s;

	s = xmalloc(la + lb + 2);
	memcpy(s, a, la);
	s[la] = '\0';
	memcpy(s + la + 1, b, lb + 1);
	murmur3_hash128(s, la + lb + 1, h);
	free(s);
	memcpy(u, h, 16);
	u[6] = (u[6] & 0x0f) | 0x30;
	u[8] = (u[8] & 0x3f) | 0x80;
}

void
db_schema_changed(struct db *db)
{
	char	gen[32];

	db->schema_gen++;
	snprintf(gen, sizeof gen, "%llu", (unsigned long long)db->schema_gen);
	db_name_uuid(db->cluster, gen, db->schema_version);
	if (!db->booting)
		systables_schema_rebuild(db);
}

void
db_schema_version(struct db *db, uint8_t out[16])
{
	memcpy(out, db->schema_version, 16);
}

int
db_node_set(struct db *db, int idx, const struct db_node *n)
{
	struct nodeinfo	*ni;
	uint8_t		 a[16];
	size_t		 alen;

	if (idx < 0 || idx >= DB_MAX_NODES || n == NULL ||
	    n->address == NULL || n->ntokens > DB_MAX_TOKENS ||
	    cqlval_inet_parse(n->address, a, &alen) != 0 || alen != 4)
		return (-1);
	db_node_remove(db, idx);
	ni = &db->nodes[idx];
	ni->present = 1;
	ni->address = xstrdup(n->address);
	memcpy(ni->addr, a, 4);
	ni->dc = xstrdup(n->dc != NULL ? n->dc : "datacenter1");
	ni->rack = xstrdup(n->rack != NULL ? n->rack : "rack1");
	memcpy(ni->host_id, n->host_id, 16);
	ni->ntokens = n->ntokens;
	ni->tokens = xreallocarray(NULL, n->ntokens + 1, sizeof *ni->tokens);
	if (n->ntokens > 0)
		memcpy(ni->tokens, n->tokens, n->ntokens * sizeof *ni->tokens);
	ni->release = xstrdup(n->release_version != NULL ?
	    n->release_version : "4.0.0");
	ni->port = n->native_port != 0 ? n->native_port : 9042;
	ni->up = n->up;
	return (0);
}

void
db_node_remove(struct db *db, int idx)
{
	struct nodeinfo	*ni;

	if (idx < 0 || idx >= DB_MAX_NODES)
		return;
	ni = &db->nodes[idx];
	free(ni->address);
	free(ni->dc);
	free(ni->rack);
	free(ni->tokens);
	free(ni->release);
	memset(ni, 0, sizeof *ni);
}

void
db_node_set_up(struct db *db, int idx, int up)
{
	if (idx >= 0 && idx < DB_MAX_NODES)
		db->nodes[idx].up = up;
}

struct keyspace *
db_keyspace(struct db *db, const char *name)
{
	size_t	i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < db->nkss; i++) {
		if (strcmp(db->kss[i]->name, name) == 0)
			return (db->kss[i]);
	}
	return (NULL);
}

struct keyspace *
db_keyspace_add(struct db *db, const char *name)
{
	struct keyspace	*ks;

	ks = xcalloc(1, sizeof *ks);
	ks->name = xstrdup(name);
	ks->durable = 1;
	db->kss = xreallocarray(db->kss, db->nkss + 1, sizeof *db->kss);
	db->kss[db->nkss++] = ks;
	return (ks);
}

void
db_keyspace_remove(struct db *db, struct keyspace *ks)
{
	size_t	i;

	for (i = 0; i < db->nkss; i++) {
		if (db->kss[i] == ks) {
			memmove(&db->kss[i], &db->kss[i + 1],
			    (db->nkss - i - 1) * sizeof *db->kss);
			db->nkss--;
			break;
		}
	}
	db_keyspace_free(ks);
}

struct table *
db_table(struct keyspace *ks, const char *name)
{
	size_t	i;

	if (ks == NULL)
		return (NULL);
	for (i = 0; i < ks->ntables; i++) {
		if (strcmp(ks->tables[i]->name, name) == 0)
			return (ks->tables[i]);
	}
	return (NULL);
}

struct table *
db_table_add(struct keyspace *ks, const char *name)
{
	struct table	*t;

	t = xcalloc(1, sizeof *t);
	t->ks = ks;
	t->name = xstrdup(name);
	ks->tables = xreallocarray(ks->tables, ks->ntables + 1,
	    sizeof *ks->tables);
	ks->tables[ks->ntables++] = t;
	return (t);
}

void
db_table_remove(struct keyspace *ks, struct table *t)
{
	size_t	i;

	for (i = 0; i < ks->ntables; i++) {
		if (ks->tables[i] == t) {
			memmove(&ks->tables[i], &ks->tables[i + 1],
			    (ks->ntables - i - 1) * sizeof *ks->tables);
			ks->ntables--;
			break;
		}
	}
	db_table_free(t);
}

void
db_table_truncate(struct table *t)
{
	size_t	i;

	for (i = 0; i < t->nparts; i++)
		part_free(t->parts[i], t);
	free(t->parts);
	t->parts = NULL;
	t->nparts = t->cap = 0;
}

void
db_table_free(struct table *t)
{
	size_t	i;

	db_table_truncate(t);
	for (i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		cqltype_free(t->cols[i].type);
	}
	free(t->cols);
	for (i = 0; i < t->nprops; i++) {
		free(t->props[i].name);
		free(t->props[i].p);
	}
	free(t->props);
	for (i = 0; i < t->nindexes; i++) {
		free(t->indexes[i].name);
		free(t->indexes[i].col);
		free(t->indexes[i].target);
		free(t->indexes[i].class);
	}
	free(t->indexes);
	free(t->name);
	free(t);
}

struct column *
db_column(struct table *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->ncols; i++) {
		if (strcmp(t->cols[i].name, name) == 0)
			return (&t->cols[i]);
	}
	return (NULL);
}

struct udt *
db_type(struct keyspace *ks, const char *name)
{
	size_t	i;

	if (ks == NULL)
		return (NULL);
	for (i = 0; i < ks->ntypes; i++) {
		if (strcmp(ks->types[i].name, name) == 0)
			return (&ks->types[i]);
	}
	return (NULL);
}

void
db_prop_set(struct table *t, const char *name, const uint8_t *p, size_t n,
    int null)
{
	struct prop_val	*pv = NULL;
	size_t		 i;

	for (i = 0; i < t->nprops; i++) {
		if (strcmp(t->props[i].name, name) == 0) {
			pv = &t->props[i];
			free(pv->p);
			break;
		}
	}
	if (pv == NULL) {
		t->props = xreallocarray(t->props, t->nprops + 1,
		    sizeof *t->props);
		pv = &t->props[t->nprops++];
		pv->name = xstrdup(name);
	}
	pv->p = n > 0 ? xmemdup(p, n) : NULL;
	pv->n = n;
	pv->null = null;
}

const struct prop_val *
db_prop(struct table *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->nprops; i++) {
		if (strcmp(t->props[i].name, name) == 0)
			return (&t->props[i]);
	}
	return (NULL);
}

void
cell_clear(struct cell *c)
{
	free(c->p);
	memset(c, 0, sizeof *c);
}

void
cell_set(struct cell *c, const uint8_t *p, size_t n, int64_t ts, int32_t ttl,
    int64_t expire)
{
	uint8_t	*np;

	np = n > 0 ? xmemdup(p, n) : NULL;
	free(c->p);
	c->p = np;
	c->n = n;
	c->live = 1;
	c->ts = ts;
	c->ttl = ttl;
	c->expire = expire;
}

int
cell_live(struct db *db, const struct cell *c)
{
	if (c == NULL || !c->live)
		return (0);
	return (c->expire == 0 || c->expire > db_now(db));
}

/* A row shows if INSERT marked it (and it has not expired) or a cell lives. */
int
row_live(struct db *db, struct table *t, const struct row *r)
{
	size_t	i;

	if (r->marker && (r->marker_expire == 0 ||
	    r->marker_expire > db_now(db)))
		return (1);
	for (i = 0; i < r->ncells; i++) {
		if (cell_live(db, &r->cells[i]))
			return (1);
	}
	return (0);
}

int
part_statics_live(struct db *db, const struct partition *pt)
{
	size_t	i;

	for (i = 0; i < pt->nstatics; i++) {
		if (cell_live(db, &pt->statics[i]))
			return (1);
	}
	return (0);
}

void
row_free(struct row *r, struct table *t)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < t->nck; i++)
		cell_clear(&r->ck[i]);
	for (i = 0; i < r->ncells; i++)
		cell_clear(&r->cells[i]);
	free(r->ck);
	free(r->cells);
	free(r);
}

void
part_free(struct partition *pt, struct table *t)
{
	size_t	i;

	for (i = 0; i < pt->nrows; i++)
		row_free(pt->rows[i], t);
	free(pt->rows);
	for (i = 0; i < t->npk; i++)
		cell_clear(&pt->pk[i]);
	free(pt->pk);
	for (i = 0; i < pt->nstatics; i++)
		cell_clear(&pt->statics[i]);
	free(pt->statics);
	free(pt->key);
	free(pt);
}

static int
part_cmp(int64_t ta, const uint8_t *ka, size_t na, int64_t tb,
    const uint8_t *kb, size_t nb)
{
	int	c;

	if (ta != tb)
		return (ta < tb ? -1 : 1);
	c = na == 0 || nb == 0 ? 0 :
	    memcmp(ka, kb, na < nb ? na : nb);
	if (c != 0)
		return (c);
	return (na < nb ? -1 : na > nb);
}

size_t
part_lower(struct table *t, int64_t token, const uint8_t *key, size_t n)
{
	size_t	lo = 0, hi = t->nparts, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (part_cmp(t->parts[mid]->token, t->parts[mid]->key,
		    t->parts[mid]->keylen, token, key, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

struct partition *
part_find(struct table *t, int64_t token, const uint8_t *key, size_t n)
{
	size_t	i;

	i = part_lower(t, token, key, n);
	if (i < t->nparts && part_cmp(t->parts[i]->token, t->parts[i]->key,
	    t->parts[i]->keylen, token, key, n) == 0)
		return (t->parts[i]);
	return (NULL);
}

/* The partition key bytes and token of pk component values. */
int
part_key_make(struct table *t, const struct cell *pk, uint8_t **key,
    size_t *n, int64_t *token)
{
	struct wbuf	w;
	size_t		i;

	if (t->npk == 1) {
		*key = pk[0].n > 0 ? xmemdup(pk[0].p, pk[0].n) : NULL;
		*n = pk[0].n;
		*token = murmur3_token(pk[0].p != NULL ? pk[0].p :
		    (const uint8_t *)"", pk[0].n);
		return (0);
	}
	wbuf_init(&w, ENGINE_MAX_CELL);
	for (i = 0; i < t->npk; i++)
		murmur3_composite_add(&w, pk[i].p, pk[i].n);
	if (!wbuf_ok(&w)) {
		wbuf_free(&w);
		return (-1);
	}
	*token = murmur3_token(w.p != NULL ? w.p : (const uint8_t *)"", w.len);
	*key = wbuf_steal(&w, n);
	return (0);
}

/* Find or create the partition of pk component values. */
struct partition *
part_get(struct table *t, const struct cell *pk)
{
	struct partition	*pt;
	uint8_t			*key;
	size_t			 n, i;
	int64_t			 token;

	if (part_key_make(t, pk, &key, &n, &token) != 0)
		return (NULL);
	i = part_lower(t, token, key, n);
	if (i < t->nparts && part_cmp(t->parts[i]->token, t->parts[i]->key,
	    t->parts[i]->keylen, token, key, n) == 0) {
		free(key);
		return (t->parts[i]);
	}
	pt = xcalloc(1, sizeof *pt);
	pt->key = key;
	pt->keylen = n;
	pt->token = token;
	pt->pk = xcalloc(t->npk, sizeof *pt->pk);
	for (n = 0; n < t->npk; n++)
		cell_set(&pt->pk[n], pk[n].p, pk[n].n, 0, 0, 0);
	if (t->nparts == t->cap) {
		t->cap = t->cap == 0 ? 16 : t->cap * 2;
		t->parts = xreallocarray(t->parts, t->cap, sizeof *t->parts);
	}
	memmove(&t->parts[i + 1], &t->parts[i],
	    (t->nparts - i) * sizeof *t->parts);
	t->parts[i] = pt;
	t->nparts++;
	return (pt);
}

void
part_remove(struct table *t, struct partition *pt)
{
	size_t	i;

	for (i = 0; i < t->nparts; i++) {
		if (t->parts[i] == pt) {
			memmove(&t->parts[i], &t->parts[i + 1],
			    (t->nparts - i - 1) * sizeof *t->parts);
			t->nparts--;
			part_free(pt, t);
			return;
		}
	}
}

/* Compare the first n clustering values in the table's clustering order. */
int
row_compare_ck(struct table *t, const struct cell *a, const struct cell *b,
    size_t n)
{
	size_t	i;
	int	c;

	for (i = 0; i < n && i < t->nck; i++) {
		struct column *col = &t->cols[t->npk + i];

		c = cqlval_compare(col->type, a[i].p, a[i].n, b[i].p, b[i].n);
		if (c != 0)
			return (col->desc ? -c : c);
	}
	return (0);
}

/*
 * Binary search for the first row whose first nck clustering values are
 * >= ck; returns it when it matches exactly on those values.
 */
struct row *
row_find(struct table *t, struct partition *pt, const struct cell *ck,
    size_t nck, size_t *pos)
{
	size_t	lo = 0, hi = pt->nrows, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (row_compare_ck(t, pt->rows[mid]->ck, ck, nck) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos != NULL)
		*pos = lo;
	if (lo < pt->nrows && row_compare_ck(t, pt->rows[lo]->ck, ck,
	    nck) == 0)
		return (pt->rows[lo]);
	return (NULL);
}

struct row *
row_get(struct table *t, struct partition *pt, const struct cell *ck)
{
	struct row	*r;
	size_t		 pos, i;

	if ((r = row_find(t, pt, ck, t->nck, &pos)) != NULL)
		return (r);
	r = xcalloc(1, sizeof *r);
	r->ck = xcalloc(t->nck + 1, sizeof *r->ck);
	for (i = 0; i < t->nck; i++)
		cell_set(&r->ck[i], ck[i].p, ck[i].n, 0, 0, 0);
	if (pt->nrows == pt->cap) {
		pt->cap = pt->cap == 0 ? 4 : pt->cap * 2;
		pt->rows = xreallocarray(pt->rows, pt->cap, sizeof *pt->rows);
	}
	memmove(&pt->rows[pos + 1], &pt->rows[pos],
	    (pt->nrows - pos) * sizeof *pt->rows);
	pt->rows[pos] = r;
	pt->nrows++;
	return (r);
}

void
row_remove(struct partition *pt, size_t i)
{
	memmove(&pt->rows[i], &pt->rows[i + 1],
	    (pt->nrows - i - 1) * sizeof *pt->rows);
	pt->nrows--;
}

/*
 * Where a column's value lives: the partition key, the row's clustering
 * values, the partition's statics or the row's cells (grown on demand when
 * create is set, as ALTER TABLE ADD adds slots).
 */
struct cell *
row_cell(struct table *t, struct partition *pt, struct row *r,
    struct column *col, int create)
{
	struct cell	**arr;
	size_t		 *n;

	switch (col->kind) {
	case COL_PARTITION:
		return (&pt->pk[col->position]);
	case COL_CLUSTERING:
		return (r != NULL ? &r->ck[col->position] : NULL);
	case COL_STATIC:
		arr = &pt->statics;
		n = &pt->nstatics;
		break;
	default:
		if (r == NULL)
			return (NULL);
		arr = &r->cells;
		n = &r->ncells;
		break;
	}
	if (col->slot >= *n) {
		if (!create)
			return (NULL);
		*arr = xreallocarray(*arr, t->nslots, sizeof **arr);
		memset(*arr + *n, 0, (t->nslots - *n) * sizeof **arr);
		*n = t->nslots;
	}
	return (&(*arr)[col->slot]);
}
