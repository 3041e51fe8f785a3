/*
 * prepared.c: the prepared statement cache (prepared.h): entries keyed by
 * (keyspace, text) in an LRU, live entries by id, one PREPARE in flight
 * per (entry, host) (over the pools, or the host's keyspace channel in
 * prepared-chan.c), re-preparing on UNPREPARED (the cluster's hook), on
 * hosts coming up, and dropping entries whose table changed.
 *
 * Who holds an entry: the key cache (while in the LRU), the handle LRU,
 * waiters, host prepares in flight, executions in flight and callers
 * that prepared_ref'd it.  The key index holds the entries of the LRU
 * and those still preparing; the id index every live ready entry.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "conn.h"
#include "host.h"
#include "pool.h"
#include "policy.h"
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "prepared.h"
#include "prepared-int.h"

/* The first PREPARE of a miss: hosts of the plan, tried in order. */
struct firstjob {
	struct prepared_cache	*cache;
	struct pentry		*pe;		/* referenced */
	struct host		*hosts[PREPARED_MAX_HOSTS_TRIED];
	size_t			 nhosts;
	size_t			 next;
	struct event		*start;
	LIST_ENTRY(firstjob)	 entry;
};

/* Re-preparing everything on a host that came up. */
struct upbatch {
	LIST_ENTRY(upbatch)	 entry;
	struct prepared_cache	*cache;
	struct host		*host;		/* referenced */
	struct pentry		**pes;		/* referenced */
	size_t			 n;
	size_t			 next;
	int			 outstanding;
	struct event		*kick;
};

struct hookjob {
	cluster_reprepared_cb	 done;
	void			*arg;
};

static void	pentry_unref(struct pentry *);
static void	hostprep_start(struct prepared_cache *, struct pentry *,
		    struct host *, hp_fn, void *);

void
prepared_config_default(struct prepared_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_entries = PREPARED_MAX_ENTRIES;
	cfg->max_handles = PREPARED_MAX_HANDLES;
	cfg->prepare_on_all_hosts = 1;
	cfg->reprepare_on_up = 1;
	cfg->reprepare_concurrency = PREPARED_REPREPARE_CONCURRENCY;
	cfg->timeout_ms = 0;
	cfg->channel_idle_ms = PREPARED_CHANNEL_IDLE_MS;
}

void
prepared_defer(struct event *ev)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(ev, &tv);
}

/*
 * Hashing: the text eight bytes at a time (it is hashed on every lookup,
 * so per byte work shows), the keyspace kept apart from it, a final mix
 * so the low bits the buckets use depend on every byte.
 */
static uint64_t
prepared_hash(const char *ks, const char *q, size_t qlen)
{
	uint64_t	 h = 0xcbf29ce484222325ULL, w;

	if (ks != NULL) {
		for (; *ks != '\0'; ks++) {
			h ^= (uint8_t)*ks;
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff;
		h *= 0x100000001b3ULL;
	}
	h ^= qlen;
	for (; qlen >= 8; q += 8, qlen -= 8) {
		memcpy(&w, q, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	for (; qlen > 0; q++, qlen--) {
		h ^= (uint8_t)*q;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return (h);
}

static uint64_t
prepared_id_hash(const uint8_t *id, size_t n)
{
	return (prepared_hash(NULL, (const char *)id, n));
}

static int
pentry_key_eq(const struct pentry *pe, const char *ks, const char *q,
    size_t qlen)
{
	if ((pe->p.keyspace == NULL) != (ks == NULL))
		return (0);
	if (ks != NULL && strcmp(pe->p.keyspace, ks) != 0)
		return (0);
	return (pe->p.querylen == qlen && memcmp(pe->p.query, q, qlen) == 0);
}

/* Key index. */

static void
keyidx_grow(struct prepared_cache *pc)
{
	struct pentry	**nb, *pe, *next;
	size_t		  i, n = pc->nkeyb * 2, b;

	nb = xcalloc(n, sizeof *nb);
	for (i = 0; i < pc->nkeyb; i++) {
		for (pe = pc->keyidx[i]; pe != NULL; pe = next) {
			next = pe->key_next;
			b = pe->keyhash & (n - 1);
			pe->key_next = nb[b];
			nb[b] = pe;
		}
	}
	free(pc->keyidx);
	pc->keyidx = nb;
	pc->nkeyb = n;
}

static void
keyidx_add(struct prepared_cache *pc, struct pentry *pe)
{
	size_t	b;

	if (pe->in_keyidx)
		return;
	if (pc->nkey >= pc->nkeyb)
		keyidx_grow(pc);
	b = pe->keyhash & (pc->nkeyb - 1);
	pe->key_next = pc->keyidx[b];
	pc->keyidx[b] = pe;
	pe->in_keyidx = 1;
	pc->nkey++;
}

static void
keyidx_remove(struct prepared_cache *pc, struct pentry *pe)
{
	struct pentry	**pp;

	if (!pe->in_keyidx)
		return;
	for (pp = &pc->keyidx[pe->keyhash & (pc->nkeyb - 1)]; *pp != NULL;
	    pp = &(*pp)->key_next) {
		if (*pp == pe) {
			*pp = pe->key_next;
			break;
		}
	}
	pe->key_next = NULL;
	pe->in_keyidx = 0;
	pc->nkey--;
}

static struct pentry *
keyidx_find(struct prepared_cache *pc, const char *ks, const char *q,
    size_t qlen)
{
	struct pentry	*pe;
	uint64_t	 h = prepared_hash(ks, q, qlen);

	for (pe = pc->keyidx[h & (pc->nkeyb - 1)]; pe != NULL;
	    pe = pe->key_next) {
		if (pe->keyhash == h && pentry_key_eq(pe, ks, q, qlen))
			return (pe);
	}
	return (NULL);
}

/* Id index. */

static void
ididx_grow(struct prepared_cache *pc)
{
	struct pentry	**nb, *pe, *next;
	size_t		  i, n = pc->nidb * 2, b;

	nb = xcalloc(n, sizeof *nb);
	for (i = 0; i < pc->nidb; i++) {
		for (pe = pc->ididx[i]; pe != NULL; pe = next) {
			next = pe->id_next;
			b = prepared_id_hash(pe->p.id, pe->p.idlen) & (n - 1);
			pe->id_next = nb[b];
			nb[b] = pe;
		}
	}
	free(pc->ididx);
	pc->ididx = nb;
	pc->nidb = n;
}

static struct pentry *
ididx_find(struct prepared_cache *pc, const uint8_t *id, size_t n)
{
	struct pentry	*pe;

	if (n == 0)
		return (NULL);
	for (pe = pc->ididx[prepared_id_hash(id, n) & (pc->nidb - 1)];
	    pe != NULL; pe = pe->id_next) {
		if (pe->p.idlen == n && memcmp(pe->p.id, id, n) == 0)
			return (pe);
	}
	return (NULL);
}

static void
ididx_remove(struct prepared_cache *pc, struct pentry *pe)
{
	struct pentry	**pp;
	size_t		  b;

	if (!pe->in_ididx)
		return;
	b = prepared_id_hash(pe->p.id, pe->p.idlen) & (pc->nidb - 1);
	for (pp = &pc->ididx[b]; *pp != NULL; pp = &(*pp)->id_next) {
		if (*pp == pe) {
			*pp = pe->id_next;
			break;
		}
	}
	pe->id_next = NULL;
	pe->in_ididx = 0;
	pc->nid--;
}

static void hlru_remove(struct prepared_cache *, struct pentry *);

/* The newest entry with an id owns it; an older twin loses its handle. */
static void
ididx_add(struct prepared_cache *pc, struct pentry *pe)
{
	struct pentry	*old;
	size_t		 b;

	if ((old = ididx_find(pc, pe->p.id, pe->p.idlen)) != NULL) {
		ididx_remove(pc, old);
		hlru_remove(pc, old);	/* may free old */
	}
	if (pc->nid >= pc->nidb)
		ididx_grow(pc);
	b = prepared_id_hash(pe->p.id, pe->p.idlen) & (pc->nidb - 1);
	pe->id_next = pc->ididx[b];
	pc->ididx[b] = pe;
	pe->in_ididx = 1;
	pc->nid++;
}

/* Entries. */

static struct pentry *
pentry_new(struct prepared_cache *pc, const char *ks, const char *q,
    size_t qlen)
{
	struct pentry	*pe;

	pe = xcalloc(1, sizeof *pe);
	pe->cache = pc;
	pe->state = PE_PREPARING;
	pe->p.keyspace = ks != NULL ? xstrdup(ks) : NULL;
	pe->p.query = xmalloc(qlen + 1);
	memcpy(pe->p.query, q, qlen);
	pe->p.query[qlen] = '\0';
	pe->p.querylen = qlen;
	pe->p.references = 1;
	pe->keyhash = prepared_hash(ks, q, qlen);
	TAILQ_INIT(&pe->waiters);
	LIST_INIT(&pe->hostpreps);
	TAILQ_INSERT_TAIL(&pc->all, pe, all);
	pc->m.live++;
	return (pe);
}

static void
pentry_set_state(struct pentry *pe, enum pentry_state to)
{
	if (to == pe->state || (pe->state != PE_PREPARING))
		fatalx("prepared: bad entry transition %d -> %d", pe->state,
		    to);
	pe->state = to;
}

static struct pentry *
pentry_ref(struct pentry *pe)
{
	pe->p.references++;
	return (pe);
}

static void
pentry_destroy(struct pentry *pe)
{
	free(pe->p.keyspace);
	free(pe->p.query);
	free(pe->p.id);
	free(pe->p.result_metadata_id);
	result_columns_clear(&pe->p.bind);
	result_columns_clear(&pe->p.columns);
	free(pe->p.pk_index);
	free(pe->table_keyspace);
	free(pe->table);
	free(pe);
}

static void
pentry_unref(struct pentry *pe)
{
	struct prepared_cache	*pc = pe->cache;

	if (pe->p.references == 0)
		fatalx("prepared: entry unreferenced too often");
	if (--pe->p.references > 0)
		return;
	if (pc != NULL) {
		keyidx_remove(pc, pe);
		ididx_remove(pc, pe);
		TAILQ_REMOVE(&pc->all, pe, all);
		pc->m.live--;
	}
	pentry_destroy(pe);
}

struct prepared *
prepared_ref(struct prepared *p)
{
	return (&pentry_ref((struct pentry *)p)->p);
}

void
prepared_unref(struct prepared *p)
{
	if (p != NULL)
		pentry_unref((struct pentry *)p);
}

/* LRUs: each holds one reference. */

static void
lru_remove(struct prepared_cache *pc, struct pentry *pe)
{
	if (!pe->in_lru)
		return;
	TAILQ_REMOVE(&pc->lru, pe, lru);
	pe->in_lru = 0;
	pc->nlru--;
	pc->m.entries = pc->nlru;
	keyidx_remove(pc, pe);
	pentry_unref(pe);
}

static void
lru_trim(struct prepared_cache *pc, size_t max)
{
	struct pentry	*pe;

	while (pc->nlru > max && (pe = TAILQ_LAST(&pc->lru, pentry_list)) !=
	    NULL) {
		log_debug("prepared: evicting %.60s", pe->p.query);
		pc->m.evictions++;
		lru_remove(pc, pe);
	}
}

static void
lru_touch(struct prepared_cache *pc, struct pentry *pe)
{
	if (pe->in_lru) {
		/* Already first (a hot statement): nothing moves. */
		if (TAILQ_FIRST(&pc->lru) != pe) {
			TAILQ_REMOVE(&pc->lru, pe, lru);
			TAILQ_INSERT_HEAD(&pc->lru, pe, lru);
		}
		return;
	}
	lru_trim(pc, pc->cfg.max_entries - 1);
	pentry_ref(pe);		/* not inside the macro: it repeats args */
	TAILQ_INSERT_HEAD(&pc->lru, pe, lru);
	pe->in_lru = 1;
	pc->nlru++;
	pc->m.entries = pc->nlru;
	keyidx_add(pc, pe);
}

static void
hlru_remove(struct prepared_cache *pc, struct pentry *pe)
{
	if (!pe->in_hlru)
		return;
	TAILQ_REMOVE(&pc->hlru, pe, hlru);
	pe->in_hlru = 0;
	pc->nhlru--;
	pentry_unref(pe);
}

static void
hlru_trim(struct prepared_cache *pc, size_t max)
{
	struct pentry	*pe;

	while (pc->nhlru > max &&
	    (pe = TAILQ_LAST(&pc->hlru, pentry_list)) != NULL)
		hlru_remove(pc, pe);
}

static void
hlru_touch(struct prepared_cache *pc, struct pentry *pe)
{
	if (pe->in_hlru) {
		/* Already first (a hot statement): nothing moves. */
		if (TAILQ_FIRST(&pc->hlru) != pe) {
			TAILQ_REMOVE(&pc->hlru, pe, hlru);
			TAILQ_INSERT_HEAD(&pc->hlru, pe, hlru);
		}
		return;
	}
	if (pc->cfg.max_handles == 0)
		return;
	hlru_trim(pc, pc->cfg.max_handles - 1);
	pentry_ref(pe);
	TAILQ_INSERT_HEAD(&pc->hlru, pe, hlru);
	pe->in_hlru = 1;
	pc->nhlru++;
}

/* Waiters. */

static void
wait_deliver(struct prepared_wait *w, const struct result *err)
{
	struct pentry	*pe = w->pe;

	w->cb(w->cache, err == NULL ? &pe->p : NULL, err, w->arg);
	pentry_unref(pe);
	free(w);
}

/* Hits are answered a loop turn later, never inside prepared_get. */
static void
prepared_deliver_fire(evutil_socket_t fd, short events, void *arg)
{
	struct prepared_cache	*pc = arg;
	struct prepared_wait	*w;

	while ((w = TAILQ_FIRST(&pc->ready_q)) != NULL) {
		TAILQ_REMOVE(&pc->ready_q, w, entry);
		wait_deliver(w, NULL);
	}
}

static void
pentry_answer_waiters(struct pentry *pe, const struct result *err)
{
	struct prepared_wait	*w;

	while ((w = TAILQ_FIRST(&pe->waiters)) != NULL) {
		TAILQ_REMOVE(&pe->waiters, w, entry);
		wait_deliver(w, err);
	}
}

void
prepared_cancel(struct prepared_wait *w)
{
	if (w->on_ready_q)
		TAILQ_REMOVE(&w->cache->ready_q, w, entry);
	else
		TAILQ_REMOVE(&w->pe->waiters, w, entry);
	pentry_unref(w->pe);
	free(w);
}

/* Host prepares. */

/* Did this answer prepare what the entry says? */
static int
hostprep_ok(struct pentry *pe, const struct result *r)
{
	if (r->error != CORE_OK || r->kind != RES_PREPARED ||
	    r->prepared.idlen == 0)
		return (0);
	if (pe->state != PE_READY)
		return (1);
	return (r->prepared.idlen == pe->p.idlen &&
	    memcmp(r->prepared.id, pe->p.id, pe->p.idlen) == 0);
}

/* A host prepare ended: tell everyone who waited on it. */
void
hostprep_done(struct hostprep *hp, const struct result *r)
{
	struct prepared_cache	*pc = hp->cache;
	struct pentry		*pe = hp->pe;
	struct hpwaiter		*hw;
	int			 ok;

	LIST_REMOVE(hp, pentry);
	pc->m.inflight--;
	ok = hostprep_ok(pe, r);
	if (!ok) {
		pc->m.prepare_errors++;
		if (r->error == CORE_OK)
			log_warnx("prepared: %s answered PREPARE of %.60s "
			    "with another id or result", hp->host->name,
			    pe->p.query);
		else
			log_debug("prepared: PREPARE on %s failed: %s",
			    hp->host->name, r->message != NULL ? r->message :
			    core_error_name(r->error));
	}
	while ((hw = TAILQ_FIRST(&hp->waiters)) != NULL) {
		TAILQ_REMOVE(&hp->waiters, hw, entry);
		hw->fn(pc, pe, hp->host, r, ok, hw->arg);
		free(hw);
	}
	host_unref(hp->host);
	pentry_unref(pe);
	free(hp);
}

static void
hostprep_answer(struct result *r, void *arg)
{
	struct hostprep	*hp = arg;

	hp->req = NULL;
	hostprep_done(hp, r);
	result_free(r);
}

/*
 * Prepare pe on h, or join the PREPARE already running there; fn runs
 * later, never from inside this call.
 */
static void
hostprep_start(struct prepared_cache *pc, struct pentry *pe, struct host *h,
    hp_fn fn, void *arg)
{
	struct hostprep		*hp;
	struct hpwaiter		*hw;
	struct stmt		 s;
	struct request_opts	 o;

	hw = xcalloc(1, sizeof *hw);
	hw->fn = fn;
	hw->arg = arg;
	LIST_FOREACH(hp, &pe->hostpreps, pentry) {
		if (hp->host == h) {
			TAILQ_INSERT_TAIL(&hp->waiters, hw, entry);
			return;
		}
	}
	hp = xcalloc(1, sizeof *hp);
	hp->cache = pc;
	hp->pe = pentry_ref(pe);
	hp->host = host_ref(h);
	TAILQ_INIT(&hp->waiters);
	TAILQ_INSERT_TAIL(&hp->waiters, hw, entry);
	LIST_INSERT_HEAD(&pe->hostpreps, hp, pentry);
	pc->m.inflight++;

	if (pe->p.keyspace != NULL) {
		pchan_enqueue(pc, hp);
		return;
	}
	stmt_init(&s, STMT_PREPARE);
	s.query.p = (const uint8_t *)pe->p.query;
	s.query.n = pe->p.querylen;
	request_opts_default(&o);
	o.host = h;
	o.timeout_ms = pc->cfg.timeout_ms;
	o.idempotent = 1;
	o.no_speculative = 1;
	pc->m.prepares++;
	hp->req = cluster_execute(pc->c, &s, &o, hostprep_answer, hp);
}

/* First prepares (misses). */

static void
firstjob_free(struct firstjob *fj)
{
	size_t	i;

	LIST_REMOVE(fj, entry);
	for (i = 0; i < fj->nhosts; i++)
		host_unref(fj->hosts[i]);
	event_free(fj->start);
	pentry_unref(fj->pe);
	free(fj);
}

static void
columns_dup(struct result_columns *to, const struct result_columns *from)
{
	size_t	i;

	to->n = from->n;
	to->cols = from->n > 0 ? xcalloc(from->n, sizeof *to->cols) : NULL;
	for (i = 0; i < from->n; i++) {
		to->cols[i].keyspace = from->cols[i].keyspace != NULL ?
		    xstrdup(from->cols[i].keyspace) : NULL;
		to->cols[i].table = from->cols[i].table != NULL ?
		    xstrdup(from->cols[i].table) : NULL;
		to->cols[i].name = from->cols[i].name != NULL ?
		    xstrdup(from->cols[i].name) : NULL;
		to->cols[i].type = from->cols[i].type != NULL ?
		    cqltype_dup(from->cols[i].type) : NULL;
	}
}

/* The table named by the metadata: bind variables first, then columns. */
static void
pentry_find_table(struct pentry *pe)
{
	const struct result_columns	*sets[2] = { &pe->p.bind,
					    &pe->p.columns };
	size_t				 i, j;

	for (i = 0; i < nitems(sets); i++) {
		for (j = 0; j < sets[i]->n; j++) {
			if (sets[i]->cols[j].keyspace == NULL ||
			    *sets[i]->cols[j].keyspace == '\0')
				continue;
			pe->table_keyspace = xstrdup(sets[i]->cols[j].keyspace);
			if (sets[i]->cols[j].table != NULL)
				pe->table = xstrdup(sets[i]->cols[j].table);
			pe->p.table_keyspace = pe->table_keyspace;
			pe->p.table = pe->table;
			return;
		}
	}
}

static void
pentry_fill(struct pentry *pe, const struct result *r)
{
	const struct result_prep	*rp = &r->prepared;

	pe->p.id = xmemdup(rp->id, rp->idlen);
	pe->p.idlen = rp->idlen;
	if (rp->rmidlen > 0) {
		pe->p.result_metadata_id = xmemdup(rp->result_metadata_id,
		    rp->rmidlen);
		pe->p.rmidlen = rp->rmidlen;
	}
	columns_dup(&pe->p.bind, &rp->bind);
	columns_dup(&pe->p.columns, &rp->columns);
	if (rp->pk_count > 0) {
		pe->p.pk_index = xmemdup(rp->pk_index,
		    rp->pk_count * sizeof *rp->pk_index);
		pe->p.pk_count = rp->pk_count;
	}
	pentry_find_table(pe);
}

static void
bg_done(struct prepared_cache *pc, struct pentry *pe, struct host *h,
    const struct result *r, int ok, void *arg)
{
}

/* prepare_on_all_hosts: the other up hosts, in the background. */
static void
pentry_prepare_all(struct prepared_cache *pc, struct pentry *pe,
    struct host *first)
{
	struct host *const	*hosts;
	size_t			 i, n;

	if (!pc->cfg.prepare_on_all_hosts || pc->freeing)
		return;
	hosts = cluster_hosts(pc->c, &n);
	for (i = 0; i < n; i++) {
		if (hosts[i] == first || hosts[i]->state != HOST_UP ||
		    cluster_pool(pc->c, hosts[i]) == NULL)
			continue;
		hostprep_start(pc, pe, hosts[i], bg_done, NULL);
	}
}

static int
firstjob_retryable(const struct result *r)
{
	switch (r->error) {
	case CORE_ECONNECTION:
	case CORE_ENOHOSTS:
	case CORE_EBUSY:
	case CORE_ETIMEOUT:
		return (1);
	case CORE_ESERVER:
		return (r->server.code == ERR_OVERLOADED ||
		    r->server.code == ERR_IS_BOOTSTRAPPING);
	default:
		return (0);
	}
}

static void	firstjob_done(struct prepared_cache *, struct pentry *,
		    struct host *, const struct result *, int, void *);

/* Try the plan's next live host; -1 when none is left. */
static int
firstjob_try(struct firstjob *fj)
{
	struct host	*h;

	while (fj->next < fj->nhosts) {
		h = fj->hosts[fj->next++];
		if (h->state == HOST_DOWN)
			continue;
		hostprep_start(fj->cache, fj->pe, h, firstjob_done, fj);
		return (0);
	}
	return (-1);
}

static void
pentry_fail(struct prepared_cache *pc, struct pentry *pe,
    const struct result *r)
{
	keyidx_remove(pc, pe);
	pentry_set_state(pe, PE_DEAD);
	pentry_answer_waiters(pe, r);
}

static void
firstjob_done(struct prepared_cache *pc, struct pentry *pe, struct host *h,
    const struct result *r, int ok, void *arg)
{
	struct firstjob	*fj = arg;

	if (ok) {
		pentry_fill(pe, r);
		pentry_set_state(pe, PE_READY);
		if (!pc->freeing) {
			ididx_add(pc, pe);
			if (pe->in_keyidx)	/* not invalidated meanwhile */
				lru_touch(pc, pe);
			hlru_touch(pc, pe);
		}
		pentry_answer_waiters(pe, NULL);
		pentry_prepare_all(pc, pe, h);
		firstjob_free(fj);
		return;
	}
	if (!pc->freeing && firstjob_retryable(r) && firstjob_try(fj) == 0)
		return;
	pentry_fail(pc, pe, r);
	firstjob_free(fj);
}

/* Collect the plan's hosts (references) and start on the first. */
static void
firstjob_start_fire(evutil_socket_t fd, short events, void *arg)
{
	struct firstjob		*fj = arg;
	struct prepared_cache	*pc = fj->cache;
	struct lb_request	 lr;
	struct lb_plan		 plan;
	struct host		*h;
	struct result		*r;

	if (fj->pe->p.querylen > PREPARED_MAX_QUERY ||
	    (fj->pe->p.keyspace != NULL &&
	    strlen(fj->pe->p.keyspace) > PREPARED_MAX_KEYSPACE)) {
		r = result_new();
		result_set_error(r, CORE_EUSAGE, "statement text over %u bytes "
		    "or keyspace name over %u", PREPARED_MAX_QUERY,
		    PREPARED_MAX_KEYSPACE);
		pentry_fail(pc, fj->pe, r);
		result_free(r);
		firstjob_free(fj);
		return;
	}
	memset(&lr, 0, sizeof lr);
	lr.keyspace = fj->pe->p.keyspace;
	memset(&plan, 0, sizeof plan);
	lb_plan_begin(cluster_lb(pc->c), &lr, &plan);
	while (fj->nhosts < nitems(fj->hosts) &&
	    (h = lb_plan_next(&plan)) != NULL) {
		if (cluster_pool(pc->c, h) == NULL)
			continue;
		fj->hosts[fj->nhosts++] = host_ref(h);
	}
	lb_plan_end(&plan);
	if (firstjob_try(fj) == 0)
		return;
	r = result_new();
	result_set_error(r, CORE_ENOHOSTS, "no host to prepare on");
	pentry_fail(pc, fj->pe, r);
	result_free(r);
	firstjob_free(fj);
}

static void
firstjob_new(struct prepared_cache *pc, struct pentry *pe)
{
	struct firstjob	*fj;

	fj = xcalloc(1, sizeof *fj);
	fj->cache = pc;
	fj->pe = pentry_ref(pe);
	fj->start = evtimer_new(pc->base, firstjob_start_fire, fj);
	LIST_INSERT_HEAD(&pc->firsts, fj, entry);
	prepared_defer(fj->start);
}

/* The public lookups. */

static const char *
prepared_norm_ks(const char *ks)
{
	return (ks != NULL && *ks != '\0' ? ks : NULL);
}

struct prepared_wait *
prepared_get_n(struct prepared_cache *pc, const char *keyspace,
    const char *query, size_t len, prepared_cb cb, void *arg)
{
	struct prepared_wait	*w;
	struct pentry		*pe;

	keyspace = prepared_norm_ks(keyspace);
	w = xcalloc(1, sizeof *w);
	w->cache = pc;
	w->cb = cb;
	w->arg = arg;
	if ((pe = keyidx_find(pc, keyspace, query, len)) != NULL &&
	    pe->state == PE_READY) {
		pc->m.hits++;
		lru_touch(pc, pe);
		hlru_touch(pc, pe);
		w->pe = pentry_ref(pe);
		w->on_ready_q = 1;
		TAILQ_INSERT_TAIL(&pc->ready_q, w, entry);
		prepared_defer(pc->deliver);
		return (w);
	}
	pc->m.misses++;
	if (pe != NULL)
		pc->m.coalesced++;
	else {
		pe = pentry_new(pc, keyspace, query, len);
		keyidx_add(pc, pe);
		firstjob_new(pc, pe);
		pentry_unref(pe);	/* the first job holds it */
	}
	w->pe = pentry_ref(pe);
	TAILQ_INSERT_TAIL(&pe->waiters, w, entry);
	return (w);
}

struct prepared_wait *
prepared_get(struct prepared_cache *pc, const char *keyspace,
    const char *query, prepared_cb cb, void *arg)
{
	return (prepared_get_n(pc, keyspace, query, strlen(query), cb, arg));
}

struct prepared *
prepared_find_by_id(struct prepared_cache *pc, const uint8_t *id, size_t n)
{
	struct pentry	*pe;

	if ((pe = ididx_find(pc, id, n)) == NULL)
		return (NULL);
	hlru_touch(pc, pe);
	return (&pe->p);
}

struct prepared *
prepared_lookup(struct prepared_cache *pc, const char *keyspace,
    const char *query)
{
	struct pentry	*pe;

	pe = keyidx_find(pc, prepared_norm_ks(keyspace), query, strlen(query));
	if (pe == NULL || pe->state != PE_READY)
		return (NULL);
	lru_touch(pc, pe);
	return (&pe->p);
}

/*
 * The synchronous hit path: a ready entry for (keyspace, text) with a
 * reference the caller drops, counted as a hit, or NULL (then use
 * prepared_get_n, which prepares).  Spares a hit the wait record and the
 * deferred delivery.
 */
struct prepared *
prepared_lookup_n(struct prepared_cache *pc, const char *keyspace,
    const char *query, size_t len)
{
	struct pentry	*pe;

	pe = keyidx_find(pc, prepared_norm_ks(keyspace), query, len);
	if (pe == NULL || pe->state != PE_READY)
		return (NULL);
	pc->m.hits++;
	lru_touch(pc, pe);
	hlru_touch(pc, pe);
	return (&pentry_ref(pe)->p);
}

/* Execution. */

struct pexec {
	struct pentry	*pe;
	request_cb	 cb;
	void		*arg;
};

/* Execution records are kept for reuse: one per request in flight. */
static struct freelist	pexec_fl = FREELIST_INITIALIZER(256, 0, NULL);

static void
prepared_exec_done(struct result *r, void *arg)
{
	struct pexec	*x = arg;

	x->cb(r, x->arg);
	pentry_unref(x->pe);
	freelist_put(&pexec_fl, x);
}

struct request *
prepared_execute(struct prepared_cache *pc, struct prepared *p,
    const struct stmt_values *values, const struct request_opts *opts,
    request_cb cb, void *arg)
{
	struct pentry		*pe = (struct pentry *)p;
	struct pexec		*x;
	struct stmt		 s;
	struct request_opts	 o;

	if (opts != NULL)
		o = *opts;
	else
		request_opts_default(&o);
	if (pe->table_keyspace != NULL)
		o.keyspace = pe->table_keyspace;
	else if (pe->p.keyspace != NULL)
		o.keyspace = pe->p.keyspace;

	stmt_init(&s, STMT_EXECUTE);
	s.id.p = pe->p.id;
	s.id.n = pe->p.idlen;
	s.result_metadata_id.p = pe->p.result_metadata_id;
	s.result_metadata_id.n = pe->p.rmidlen;
	s.query.p = (const uint8_t *)pe->p.query;
	s.query.n = pe->p.querylen;
	if (values != NULL)
		s.values = *values;
	s.pk_index = pe->p.pk_index;
	s.pk_count = pe->p.pk_count;

	if ((x = freelist_get(&pexec_fl)) == NULL)
		x = xmalloc(sizeof *x);
	x->pe = pentry_ref(pe);
	x->cb = cb;
	x->arg = arg;
	return (cluster_execute(pc->c, &s, &o, prepared_exec_done, x));
}

/* Re-preparing. */

struct prepon {
	prepared_done_cb	 done;
	void			*arg;
};

static void
prepon_done(struct prepared_cache *pc, struct pentry *pe, struct host *h,
    const struct result *r, int ok, void *arg)
{
	struct prepon	*po = arg;

	po->done(po->arg, ok);
	free(po);
}

void
prepared_prepare_on(struct prepared_cache *pc, struct prepared *p,
    struct host *h, prepared_done_cb done, void *arg)
{
	struct prepon	*po;

	po = xcalloc(1, sizeof *po);
	po->done = done;
	po->arg = arg;
	pc->m.reprepares++;
	hostprep_start(pc, (struct pentry *)p, h, prepon_done, po);
}

static void
hook_done(struct prepared_cache *pc, struct pentry *pe, struct host *h,
    const struct result *r, int ok, void *arg)
{
	struct hookjob	*hj = arg;

	hj->done(hj->arg, ok);
	free(hj);
}

/* The cluster's unprepared hook: the same path the entry was made by. */
static int
prepared_hook(struct cluster *c, struct host *h, const struct stmt *s,
    const char *keyspace, cluster_reprepared_cb done, void *done_arg,
    void *arg)
{
	struct prepared_cache	*pc = arg;
	struct pentry		*pe;
	struct hookjob		*hj;

	if (h == NULL || (pe = ididx_find(pc, s->id.p, s->id.n)) == NULL)
		return (-1);
	log_debug("prepared: %s forgot %.60s; re-preparing", h->name,
	    pe->p.query);
	hj = xcalloc(1, sizeof *hj);
	hj->done = done;
	hj->arg = done_arg;
	pc->m.reprepares++;
	hostprep_start(pc, pe, h, hook_done, hj);
	return (0);
}

static void
upbatch_free(struct upbatch *ub)
{
	size_t	i;

	LIST_REMOVE(ub, entry);
	for (i = ub->next; i < ub->n; i++)
		pentry_unref(ub->pes[i]);
	free(ub->pes);
	event_free(ub->kick);
	host_unref(ub->host);
	free(ub);
}

static void	upbatch_done(struct prepared_cache *, struct pentry *,
		    struct host *, const struct result *, int, void *);

/* Keep reprepare_concurrency prepares going; free the batch at the end. */
static void
upbatch_pump(struct upbatch *ub)
{
	struct prepared_cache	*pc = ub->cache;
	struct pentry		*pe;

	while (!pc->freeing && ub->host->state == HOST_UP &&
	    ub->next < ub->n &&
	    ub->outstanding < pc->cfg.reprepare_concurrency) {
		pe = ub->pes[ub->next++];
		ub->outstanding++;
		pc->m.reprepares++;
		hostprep_start(pc, pe, ub->host, upbatch_done, ub);
		pentry_unref(pe);	/* the host prepare holds it */
	}
	if (ub->outstanding == 0)
		upbatch_free(ub);
}

static void
upbatch_done(struct prepared_cache *pc, struct pentry *pe, struct host *h,
    const struct result *r, int ok, void *arg)
{
	struct upbatch	*ub = arg;

	ub->outstanding--;
	upbatch_pump(ub);
}

static void
upbatch_kick_fire(evutil_socket_t fd, short events, void *arg)
{
	upbatch_pump(arg);
}

/* A host came up: it may have lost its cache; prepare everything there. */
static void
prepared_on_up(struct host *h, void *arg)
{
	struct prepared_cache	*pc = arg;
	struct upbatch		*ub;
	struct pentry		*pe;
	size_t			 n = 0;

	if (!pc->cfg.reprepare_on_up)
		return;
	TAILQ_FOREACH(pe, &pc->all, all) {
		if (pe->state == PE_READY)
			n++;
	}
	if (n == 0)
		return;
	ub = xcalloc(1, sizeof *ub);
	ub->cache = pc;
	ub->host = host_ref(h);
	ub->pes = xcalloc(n, sizeof *ub->pes);
	TAILQ_FOREACH(pe, &pc->all, all) {
		if (pe->state == PE_READY && ub->n < n)
			ub->pes[ub->n++] = pentry_ref(pe);
	}
	ub->kick = evtimer_new(pc->base, upbatch_kick_fire, ub);
	LIST_INSERT_HEAD(&pc->batches, ub, entry);
	log_debug("prepared: %s is up: re-preparing %zu statements", h->name,
	    ub->n);
	/* Not inside the pool's callback that raised the event. */
	prepared_defer(ub->kick);
}

/* A host went down or away: its channel closes (later, not in here). */
static void
prepared_on_down(struct host *h, void *arg)
{
	pchan_host_gone(arg, h);
}

/* A table or keyspace changed: prepare its statements afresh next time. */
static void
prepared_on_schema(struct cluster *c, const char *target, const char *ks,
    const char *name, void *arg)
{
	struct prepared_cache	*pc = arg;
	struct pentry		*pe, *next;
	int			 table;

	if (ks == NULL)
		return;
	if (strcmp(target, "TABLE") == 0)
		table = 1;
	else if (strcmp(target, "KEYSPACE") == 0)
		table = 0;
	else
		return;
	for (pe = TAILQ_FIRST(&pc->lru); pe != NULL; pe = next) {
		next = TAILQ_NEXT(pe, lru);
		if (pe->table_keyspace == NULL ||
		    strcmp(pe->table_keyspace, ks) != 0)
			continue;
		if (table && (name == NULL || pe->table == NULL ||
		    strcmp(pe->table, name) != 0))
			continue;
		pc->m.invalidations++;
		lru_remove(pc, pe);
	}
}

/* The cache. */

struct prepared_cache *
prepared_new(struct cluster *c, const struct prepared_config *cfg)
{
	struct prepared_cache	*pc;
	struct host_listener	 l;

	pc = xcalloc(1, sizeof *pc);
	pc->c = c;
	pc->base = cluster_base(c);
	prepared_set_config(pc, cfg);
	pc->nkeyb = pc->nidb = 64;
	pc->keyidx = xcalloc(pc->nkeyb, sizeof *pc->keyidx);
	pc->ididx = xcalloc(pc->nidb, sizeof *pc->ididx);
	TAILQ_INIT(&pc->lru);
	TAILQ_INIT(&pc->hlru);
	TAILQ_INIT(&pc->all);
	TAILQ_INIT(&pc->ready_q);
	LIST_INIT(&pc->chans);
	LIST_INIT(&pc->firsts);
	LIST_INIT(&pc->batches);
	pc->deliver = evtimer_new(pc->base, prepared_deliver_fire, pc);

	memset(&l, 0, sizeof l);
	l.on_up = prepared_on_up;
	l.on_down = prepared_on_down;
	l.on_remove = prepared_on_down;
	l.arg = pc;
	pc->listener = host_listener_add(cluster_listeners(c), &l);
	pc->slistener = cluster_schema_listener_add(c, prepared_on_schema, pc);
	cluster_set_unprepared_hook(c, prepared_hook, pc);
	return (pc);
}

void
prepared_set_config(struct prepared_cache *pc,
    const struct prepared_config *cfg)
{
	pc->cfg = *cfg;
	if (pc->cfg.max_entries == 0)
		pc->cfg.max_entries = 1;
	if (pc->cfg.reprepare_concurrency < 1)
		pc->cfg.reprepare_concurrency = 1;
	if (pc->keyidx != NULL) {
		lru_trim(pc, pc->cfg.max_entries);
		hlru_trim(pc, pc->cfg.max_handles);
	}
}

const struct prepared_config *
prepared_get_config(struct prepared_cache *pc)
{
	return (&pc->cfg);
}

const struct prepared_metrics *
prepared_metrics(struct prepared_cache *pc)
{
	return (&pc->m);
}

void
prepared_free(struct prepared_cache *pc)
{
	struct prepared_wait	*w;
	struct pentry		*pe;
	struct hostprep		*hp;
	struct upbatch		*ub;
	struct firstjob		*fj;
	struct result		*r;

	pc->freeing = 1;
	cluster_set_unprepared_hook(pc->c, NULL, NULL);
	host_listener_remove(cluster_listeners(pc->c), pc->listener);
	cluster_schema_listener_remove(pc->c, pc->slistener);

	/* Waiters go silently. */
	while ((w = TAILQ_FIRST(&pc->ready_q)) != NULL)
		prepared_cancel(w);
	TAILQ_FOREACH(pe, &pc->all, all) {
		while ((w = TAILQ_FIRST(&pe->waiters)) != NULL)
			prepared_cancel(w);
	}

	/*
	 * Everything in flight fails (no retries, no new work while
	 * freeing), then the jobs that had not started.
	 */
	r = result_new();
	result_set_error(r, CORE_ESHUTDOWN, "the prepared cache is closing");
	pchan_destroy_all(pc, "the prepared cache is closing");
	for (;;) {
		hp = NULL;
		TAILQ_FOREACH(pe, &pc->all, all) {
			if ((hp = LIST_FIRST(&pe->hostpreps)) != NULL)
				break;
		}
		if (hp == NULL)
			break;
		if (hp->req != NULL)
			request_cancel(hp->req);	/* ends hp */
		else
			hostprep_done(hp, r);
	}
	while ((fj = LIST_FIRST(&pc->firsts)) != NULL) {
		pentry_fail(pc, fj->pe, r);
		firstjob_free(fj);
	}
	while ((ub = LIST_FIRST(&pc->batches)) != NULL)
		upbatch_free(ub);
	result_free(r);

	while ((pe = TAILQ_FIRST(&pc->lru)) != NULL)
		lru_remove(pc, pe);
	while ((pe = TAILQ_FIRST(&pc->hlru)) != NULL)
		hlru_remove(pc, pe);
	/* Entries others still hold outlive the cache. */
	while ((pe = TAILQ_FIRST(&pc->all)) != NULL) {
		keyidx_remove(pc, pe);
		ididx_remove(pc, pe);
		TAILQ_REMOVE(&pc->all, pe, all);
		pe->cache = NULL;
	}
	event_free(pc->deliver);
	free(pc->keyidx);
	free(pc->ididx);
	free(pc);
}
