/*
 * systables.c: the system keyspaces. At start the engine runs the CQL of
 * systables.inc (Cassandra 4.0's system tables); after every schema change
 * system_schema.* is rewritten from the live schema; system.local, peers
 * and peers_v2 are rebuilt from the node registry before each read, as the
 * asking node sees them.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "cqltype.h"
#include "cqlval.h"
#include "engine.h"

#include "systables.inc"

#define SYS_TS	1	/* write time of generated rows */

/* One generated column value: name and serialized bytes (NULL p: null). */
struct sysval {
	const char	*col;
	const uint8_t	*p;
	size_t		 n;
	int		 null;
};

void
systables_boot(struct db *db)
{
	struct db_result	res;
	size_t			i;

	for (i = 0; systables_cql[i] != NULL; i++) {
		db_execute(db, 0, NULL, systables_cql[i], NULL, NULL, &res);
		if (res.kind == DB_RESULT_ERROR)
			fatalx("cqlmock system table %zu: %s", i, res.err_msg);
		db_result_clear(&res);
	}
	for (i = 0; i < db->nkss; i++)
		db->kss[i]->system = 1;
}

/* Write one row straight into a table (no CQL, no checks). */
static void
sys_row(struct db *db, struct table *t, const struct sysval *v, size_t n)
{
	struct cell		 pk[ENGINE_MAX_DEPTH], ck[ENGINE_MAX_DEPTH];
	struct partition	*pt;
	struct row		*r;
	struct column		*c;
	size_t			 i;

	memset(pk, 0, sizeof pk);
	memset(ck, 0, sizeof ck);
	for (i = 0; i < n; i++) {
		if ((c = db_column(t, v[i].col)) == NULL)
			fatalx("system table %s has no column %s", t->name,
			    v[i].col);
		if (c->kind == COL_PARTITION) {
			pk[c->position].p = (uint8_t *)v[i].p;
			pk[c->position].n = v[i].n;
		} else if (c->kind == COL_CLUSTERING) {
			ck[c->position].p = (uint8_t *)v[i].p;
			ck[c->position].n = v[i].n;
		}
	}
	if ((pt = part_get(t, pk)) == NULL)
		return;
	r = row_get(t, pt, ck);
	r->marker = 1;
	r->marker_ts = SYS_TS;
	for (i = 0; i < n; i++) {
		c = db_column(t, v[i].col);
		if (c->kind == COL_PARTITION || c->kind == COL_CLUSTERING ||
		    v[i].null)
			continue;
		cell_set(row_cell(t, pt, r, c, 1), v[i].p, v[i].n, SYS_TS, 0,
		    0);
	}
}

static struct table *
sys_table(struct db *db, const char *ks, const char *name)
{
	return (db_table(db_keyspace(db, ks), name));
}

/* Serializers into a scratch buffer; each returns the value's offset. */
struct scratch {
	struct wbuf	 w;
	size_t		 offs[64];
	size_t		 lens[64];
	size_t		 n;
};

static size_t
sc_begin(struct scratch *s)
{
	return (s->w.len);
}

static void
sc_end(struct scratch *s, size_t start)
{
	s->offs[s->n] = start;
	s->lens[s->n] = s->w.len - start;
	s->n++;
}

static void
sc_text(struct scratch *s, const char *text)
{
	size_t	start = sc_begin(s);

	ser_text(&s->w, text);
	sc_end(s, start);
}

static void
sc_raw(struct scratch *s, const void *p, size_t n)
{
	size_t	start = sc_begin(s);

	wbuf_raw(&s->w, p, n);
	sc_end(s, start);
}

static void
sc_int(struct scratch *s, int32_t v)
{
	size_t	start = sc_begin(s);

	wbuf_i32(&s->w, v);
	sc_end(s, start);
}

static void
sc_bool(struct scratch *s, int v)
{
	size_t	start = sc_begin(s);

	wbuf_u8(&s->w, v != 0);
	sc_end(s, start);
}

static void
sc_double(struct scratch *s, double d)
{
	size_t		start = sc_begin(s);
	uint64_t	bits;

	memcpy(&bits, &d, 8);
	wbuf_i64(&s->w, (int64_t)bits);
	sc_end(s, start);
}

/* A map<text,text> (or set/list of text when vals is NULL), sorted. */
static void
sc_textcoll(struct scratch *s, const char **keys, const char **vals,
    size_t n, int sorted)
{
	struct cqltype	*tt = cqltype_new_scalar(CQLTYPE_TEXT);
	struct slice	*sl;
	size_t		 i, start = sc_begin(s), mark, per = vals ? 2 : 1;

	sl = xcalloc(per * n + 1, sizeof *sl);
	for (i = 0; i < n; i++) {
		sl[per * i].p = (const uint8_t *)keys[i];
		sl[per * i].n = strlen(keys[i]);
		if (vals != NULL) {
			sl[2 * i + 1].p = (const uint8_t *)vals[i];
			sl[2 * i + 1].n = strlen(vals[i]);
		}
	}
	if (sorted)
		ser_sorted_coll(tt, sl, n, vals != NULL, &s->w);
	else {
		ser_coll_begin(&s->w, &mark);
		for (i = 0; i < n; i++)
			ser_coll_item(&s->w, sl[i].p, sl[i].n);
		ser_coll_end(&s->w, mark, n);
	}
	free(sl);
	cqltype_free(tt);
	sc_end(s, start);
}

static void
sc_vals(struct scratch *s, struct sysval *v, const char **cols, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		v[i].col = cols[i];
		v[i].p = s->w.p + s->offs[i];
		v[i].n = s->lens[i];
		v[i].null = 0;
	}
}

static void
keyspace_rows(struct db *db, struct table *t, struct keyspace *ks)
{
	static const char	*cols[] = { "keyspace_name", "durable_writes",
	    "replication" };
	struct scratch		 s;
	struct sysval		 v[3];

	memset(&s, 0, sizeof s);
	wbuf_init(&s.w, WBUF_DEFAULT_CAP);
	sc_text(&s, ks->name);
	sc_bool(&s, ks->durable);
	sc_textcoll(&s, (const char **)ks->repl_keys,
	    (const char **)ks->repl_vals, ks->nrepl, 1);
	sc_vals(&s, v, cols, 3);
	sys_row(db, t, v, 3);
	wbuf_free(&s.w);
}

/* system_schema.tables: the table's options over Cassandra's defaults. */
static void
table_row(struct db *db, struct table *st, struct table *t)
{
	static const char	*caching_k[] = { "keys", "rows_per_partition" };
	static const char	*caching_v[] = { "ALL", "NONE" };
	static const char	*compaction_k[] = { "class", "max_threshold",
	    "min_threshold" };
	static const char	*compaction_v[] = {
	    "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
	    "32", "4" };
	static const char	*compression_k[] = { "chunk_length_in_kb",
	    "class" };
	static const char	*compression_v[] = { "16",
	    "org.apache.cassandra.io.compress.LZ4Compressor" };
	static const char	*cols[] = { "keyspace_name", "table_name",
	    "additional_write_policy", "bloom_filter_fp_chance", "caching",
	    "comment", "compaction", "compression", "crc_check_chance",
	    "dclocal_read_repair_chance", "default_time_to_live",
	    "extensions", "flags", "gc_grace_seconds", "id",
	    "max_index_interval", "memtable_flush_period_in_ms",
	    "min_index_interval", "read_repair", "read_repair_chance",
	    "speculative_retry", "cdc" };
	const char		*flags[2];
	struct scratch		 s;
	struct sysval		 v[nitems(cols)];
	size_t			 i, nflags = 0;

	memset(&s, 0, sizeof s);
	wbuf_init(&s.w, WBUF_DEFAULT_CAP);
	sc_text(&s, t->ks->name);
	sc_text(&s, t->name);
	sc_text(&s, "99p");
	sc_double(&s, 0.01);
	sc_textcoll(&s, caching_k, caching_v, 2, 1);
	sc_text(&s, "");
	sc_textcoll(&s, compaction_k, compaction_v, 3, 1);
	sc_textcoll(&s, compression_k, compression_v, 2, 1);
	sc_double(&s, 1.0);
	sc_double(&s, 0.0);
	sc_int(&s, 0);
	sc_textcoll(&s, NULL, NULL, 0, 1);
	if (!t->compact)
		flags[nflags++] = "compound";
	if (t->counter)
		flags[nflags++] = "counter";
	sc_textcoll(&s, flags, NULL, nflags, 1);
	sc_int(&s, 864000);
	sc_raw(&s, t->id, 16);
	sc_int(&s, 2048);
	sc_int(&s, 0);
	sc_int(&s, 128);
	sc_text(&s, "BLOCKING");
	sc_double(&s, 0.0);
	sc_text(&s, "99p");
	sc_bool(&s, 0);
	sc_vals(&s, v, cols, nitems(cols));
	v[nitems(cols) - 1].null = 1;		/* cdc */
	for (i = 2; i < nitems(cols); i++) {
		const struct prop_val *pv = db_prop(t, cols[i]);

		if (pv != NULL) {
			v[i].p = pv->p;
			v[i].n = pv->n;
			v[i].null = pv->null;
		}
	}
	sys_row(db, st, v, nitems(cols));
	wbuf_free(&s.w);
}

static void
column_rows(struct db *db, struct table *st, struct table *t)
{
	static const char	*cols[] = { "keyspace_name", "table_name",
	    "column_name", "clustering_order", "column_name_bytes", "kind",
	    "position", "type" };
	static const char	*kinds[] = { "partition_key", "clustering",
	    "static", "regular" };
	struct scratch		 s;
	struct sysval		 v[nitems(cols)];
	struct column		*c;
	size_t			 i;
	char			*ty;

	for (i = 0; i < t->ncols; i++) {
		c = &t->cols[i];
		memset(&s, 0, sizeof s);
		wbuf_init(&s.w, WBUF_DEFAULT_CAP);
		sc_text(&s, t->ks->name);
		sc_text(&s, t->name);
		sc_text(&s, c->name);
		sc_text(&s, c->kind != COL_CLUSTERING ? "none" :
		    c->desc ? "desc" : "asc");
		sc_raw(&s, c->name, strlen(c->name));
		sc_text(&s, kinds[c->kind]);
		sc_int(&s, c->position);
		ty = cqltype_format(c->type);
		sc_text(&s, ty);
		free(ty);
		sc_vals(&s, v, cols, nitems(cols));
		sys_row(db, st, v, nitems(cols));
		wbuf_free(&s.w);
	}
}

static void
type_row(struct db *db, struct table *st, struct keyspace *ks, struct udt *u)
{
	static const char	*cols[] = { "keyspace_name", "type_name",
	    "field_names", "field_types" };
	struct scratch		 s;
	struct sysval		 v[nitems(cols)];
	char			**types;
	size_t			 i;

	memset(&s, 0, sizeof s);
	wbuf_init(&s.w, WBUF_DEFAULT_CAP);
	sc_text(&s, ks->name);
	sc_text(&s, u->name);
	sc_textcoll(&s, (const char **)u->type->fields, NULL, u->type->n, 0);
	types = xcalloc(u->type->n + 1, sizeof *types);
	for (i = 0; i < u->type->n; i++)
		types[i] = cqltype_format(u->type->sub[i]);
	sc_textcoll(&s, (const char **)types, NULL, u->type->n, 0);
	for (i = 0; i < u->type->n; i++)
		free(types[i]);
	free(types);
	sc_vals(&s, v, cols, nitems(cols));
	sys_row(db, st, v, nitems(cols));
	wbuf_free(&s.w);
}

static void
index_row(struct db *db, struct table *st, struct table *t, struct index *ix)
{
	static const char	*cols[] = { "keyspace_name", "table_name",
	    "index_name", "kind", "options" };
	const char		*ok[2], *ov[2];
	struct scratch		 s;
	struct sysval		 v[nitems(cols)];
	size_t			 n = 0;

	memset(&s, 0, sizeof s);
	wbuf_init(&s.w, WBUF_DEFAULT_CAP);
	sc_text(&s, t->ks->name);
	sc_text(&s, t->name);
	sc_text(&s, ix->name);
	sc_text(&s, ix->class != NULL ? "CUSTOM" : "COMPOSITES");
	if (ix->class != NULL) {
		ok[n] = "class_name";
		ov[n++] = ix->class;
	}
	ok[n] = "target";
	ov[n++] = ix->target;
	sc_textcoll(&s, ok, ov, n, 1);
	sc_vals(&s, v, cols, nitems(cols));
	sys_row(db, st, v, nitems(cols));
	wbuf_free(&s.w);
}

/* Rewrite system_schema.* from the live schema (cheap at mock sizes). */
void
systables_schema_rebuild(struct db *db)
{
	struct table	*tk, *tt, *tc, *ty, *ti;
	struct keyspace	*ks;
	size_t		 i, j, k;

	tk = sys_table(db, "system_schema", "keyspaces");
	tt = sys_table(db, "system_schema", "tables");
	tc = sys_table(db, "system_schema", "columns");
	ty = sys_table(db, "system_schema", "types");
	ti = sys_table(db, "system_schema", "indexes");
	if (tk == NULL || tt == NULL || tc == NULL || ty == NULL || ti == NULL)
		return;
	db_table_truncate(tk);
	db_table_truncate(tt);
	db_table_truncate(tc);
	db_table_truncate(ty);
	db_table_truncate(ti);
	for (i = 0; i < db->nkss; i++) {
		ks = db->kss[i];
		keyspace_rows(db, tk, ks);
		for (j = 0; j < ks->ntables; j++) {
			table_row(db, tt, ks->tables[j]);
			column_rows(db, tc, ks->tables[j]);
			for (k = 0; k < ks->tables[j]->nindexes; k++)
				index_row(db, ti, ks->tables[j],
				    &ks->tables[j]->indexes[k]);
		}
		for (j = 0; j < ks->ntypes; j++)
			type_row(db, ty, ks, &ks->types[j]);
	}
}

/* A node's tokens as the set<text> system.local/peers show. */
static void
sc_tokens(struct scratch *s, struct nodeinfo *ni)
{
	char	**txt;
	size_t	  i;

	txt = xcalloc(ni->ntokens + 1, sizeof *txt);
	for (i = 0; i < ni->ntokens; i++)
		xasprintf(&txt[i], "%lld", (long long)ni->tokens[i]);
	sc_textcoll(s, (const char **)txt, NULL, ni->ntokens, 1);
	for (i = 0; i < ni->ntokens; i++)
		free(txt[i]);
	free(txt);
}

static void
local_row(struct db *db, struct table *t, struct nodeinfo *ni)
{
	static const char	*cols[] = { "key", "bootstrapped",
	    "broadcast_address", "broadcast_port", "cluster_name",
	    "cql_version", "data_center", "gossip_generation", "host_id",
	    "listen_address", "listen_port", "native_protocol_version",
	    "partitioner", "rack", "release_version", "rpc_address",
	    "rpc_port", "schema_version", "tokens" };
	struct scratch		 s;
	struct sysval		 v[nitems(cols)];

	memset(&s, 0, sizeof s);
	wbuf_init(&s.w, WBUF_DEFAULT_CAP);
	sc_text(&s, "local");
	sc_text(&s, "COMPLETED");
	sc_raw(&s, ni->addr, 4);
	sc_int(&s, 7000);
	sc_text(&s, db->cluster);
	sc_text(&s, "3.4.5");
	sc_text(&s, ni->dc);
	sc_int(&s, 1700000000);
	sc_raw(&s, ni->host_id, 16);
	sc_raw(&s, ni->addr, 4);
	sc_int(&s, 7000);
	sc_text(&s, "4");
	sc_text(&s, "org.apache.cassandra.dht.Murmur3Partitioner");
	sc_text(&s, ni->rack);
	sc_text(&s, ni->release);
	sc_raw(&s, ni->addr, 4);
	sc_int(&s, ni->port);
	sc_raw(&s, db->schema_version, 16);
	sc_tokens(&s, ni);
	sc_vals(&s, v, cols, nitems(cols));
	sys_row(db, t, v, nitems(cols));
	wbuf_free(&s.w);
}

static void
peer_row(struct db *db, struct table *t, struct nodeinfo *ni, int v2)
{
	static const char	*cols[] = { "peer", "data_center", "host_id",
	    "rack", "release_version", "rpc_address", "schema_version",
	    "tokens" };
	static const char	*cols2[] = { "peer", "peer_port",
	    "data_center", "host_id", "native_address", "native_port", "rack",
	    "release_version", "schema_version", "tokens" };
	struct scratch		 s;
	struct sysval		 v[nitems(cols2)];

	memset(&s, 0, sizeof s);
	wbuf_init(&s.w, WBUF_DEFAULT_CAP);
	sc_raw(&s, ni->addr, 4);
	if (v2)
		sc_int(&s, 7000);
	sc_text(&s, ni->dc);
	sc_raw(&s, ni->host_id, 16);
	if (v2) {
		sc_raw(&s, ni->addr, 4);
		sc_int(&s, ni->port);
	}
	sc_text(&s, ni->rack);
	sc_text(&s, ni->release);
	if (!v2)
		sc_raw(&s, ni->addr, 4);
	sc_raw(&s, db->schema_version, 16);
	sc_tokens(&s, ni);
	if (v2) {
		sc_vals(&s, v, cols2, nitems(cols2));
		sys_row(db, t, v, nitems(cols2));
	} else {
		sc_vals(&s, v, cols, nitems(cols));
		sys_row(db, t, v, nitems(cols));
	}
	wbuf_free(&s.w);
}

/* Rebuild system.local / peers / peers_v2 as node `node` sees them. */
void
systables_refresh_virtual(struct db *db, struct table *t, int node)
{
	struct nodeinfo	 fallback, *ni;
	int		 i;

	db_table_truncate(t);
	if (strcmp(t->name, "local") == 0) {
		if (node >= 0 && node < DB_MAX_NODES && db->nodes[node].present)
			ni = &db->nodes[node];
		else {
			memset(&fallback, 0, sizeof fallback);
			fallback.address = "127.0.0.1";
			fallback.addr[0] = 127;
			fallback.addr[3] = 1;
			fallback.dc = "datacenter1";
			fallback.rack = "rack1";
			fallback.release = "4.0.0";
			fallback.port = 9042;
			ni = &fallback;
		}
		local_row(db, t, ni);
		return;
	}
	for (i = 0; i < DB_MAX_NODES; i++) {
		if (i == node || !db->nodes[i].present)
			continue;
		peer_row(db, t, &db->nodes[i], strcmp(t->name, "peers_v2") == 0);
	}
}
