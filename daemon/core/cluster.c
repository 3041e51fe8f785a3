/*
 * cluster.c: the cluster object: configuration, the host list and a pool
 * per host, the token map, the schema pointer, host listeners and the
 * counters.  The control connection (control.c) feeds it topology and
 * schema; requests (request.c) read it.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "host.h"
#include "pool.h"
#include "policy.h"
#include "token.h"
#include "schema.h"
#include "cluster.h"
#include "control.h"
#include "request.h"
#include "clock.h"

/* Where the cluster is; only cluster_set_state changes it. */
enum cluster_state {
	CLUSTER_NEW = 0,	/* made; cluster_connect not called */
	CLUSTER_CONNECTING,	/* control connection finding a host */
	CLUSTER_READY,		/* topology loaded; requests flow */
	CLUSTER_CLOSING,	/* cluster_close: draining requests */
	CLUSTER_CLOSED		/* pools and control connection gone */
};

/* One known host and its pool (NULL while IGNORED). */
struct cluster_host {
	struct cluster	*c;
	struct host	*host;
	struct pool	*pool;
	int		 first_done;	/* first connect attempt finished */
	int		 seen;		/* listed in the last topology read */
};

/* Distinct request timeout lengths given a queue of their own. */
#define CLUSTER_TIMEOUT_QUEUES	4

static uint64_t		cluster_serials;

struct schema_listener {
	int			 id;
	cluster_schema_fn	 fn;
	void			*arg;
};

struct cluster {
	struct event_base	*base;
	struct cluster_config	 cfg;
	enum cluster_state	 state;

	/* Copies of the configuration's strings. */
	char			**cps;
	char			*local_dc;
	char			*lb_allow;
	char			*lb_deny;
	char			*cql_version;
	char			*username;
	char			*password;

	struct host		**contacts;
	size_t			 ncontacts;
	struct host_listeners	*listeners;
	int			 own_listener;
	int			 lb_listener;
	struct lb_policy	*lb;
	int			 lb_inited;

	struct cluster_host	**hosts;
	size_t			 nhosts;
	size_t			 hostsize;	/* allocated */
	struct host		**hostv;	/* for cluster_hosts */
	struct pool		**draining;	/* pools of hosts left out */
	size_t			 ndraining;

	struct token_map	*tmap;
	struct schema		*schema;
	uint64_t		 schema_gen;
	struct schema_listener	*slisteners;
	size_t			 nslisteners;
	int			 next_slistener;

	struct control		*control;
	uint8_t			 version;

	cluster_ready_cb	 ready_cb;
	void			*ready_arg;
	int			 loaded;	/* topology (and schema) read */
	int			 ready_fired;
	int			 ready_ok;
	char			*ready_why;
	struct event		*ready_ev;	/* deferred ready callback */
	struct event		*ready_timer;	/* stop waiting for pools */
	struct event		*dist_ev;	/* deferred distance update */

	cluster_closed_cb	 closed_cb;
	void			*closed_arg;
	struct event		*close_ev;

	struct request_list	 requests;
	cluster_unprepared_fn	 unprepared_fn;
	void			*unprepared_arg;
	struct tsgen		 tsgen;
	struct cluster_metrics	 metrics;

	uint64_t		 serial;
	/* Request timeout queues (cluster_request_timeouts). */
	struct request_timeouts	 rto[CLUSTER_TIMEOUT_QUEUES];
	size_t			 nrto;
};

static void	cluster_update_distances(struct cluster *);
static int64_t	cluster_tsgen_clock(void *);
static void	cluster_check_ready(struct cluster *);

static const char *
cluster_state_name(enum cluster_state s)
{
	switch (s) {
	case CLUSTER_NEW:
		return ("new");
	case CLUSTER_CONNECTING:
		return ("connecting");
	case CLUSTER_READY:
		return ("ready");
	case CLUSTER_CLOSING:
		return ("closing");
	case CLUSTER_CLOSED:
		return ("closed");
	}
	return ("unknown");
}

/* The only place the state changes; anything else is a bug. */
static void
cluster_set_state(struct cluster *c, enum cluster_state to)
{
	int	ok;

	switch (to) {
	case CLUSTER_CONNECTING:
		ok = c->state == CLUSTER_NEW;
		break;
	case CLUSTER_READY:
		ok = c->state == CLUSTER_CONNECTING;
		break;
	case CLUSTER_CLOSING:
		ok = c->state != CLUSTER_CLOSED && c->state != CLUSTER_CLOSING;
		break;
	case CLUSTER_CLOSED:
		ok = 1;
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok)
		fatalx("cluster: bad state change %s -> %s",
		    cluster_state_name(c->state), cluster_state_name(to));
	c->state = to;
}

void
cluster_config_default(struct cluster_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->port = CLUSTER_PORT_DEFAULT;
	pool_config_default(&cfg->pool);
	lb_options_default(&cfg->lb);
	cfg->retry = RETRY_POLICY_DEFAULT;
	spec_policy_default(&cfg->speculative);
	cfg->consistency = CL_LOCAL_ONE;
	cfg->serial_consistency = 0;
	cfg->page_size = CLUSTER_PAGE_SIZE_DEFAULT;
	cfg->request_timeout_ms = CLUSTER_REQUEST_TIMEOUT_MS;
	cfg->control_timeout_ms = CLUSTER_CONTROL_TIMEOUT_MS;
	cfg->topology_window_ms = CLUSTER_TOPOLOGY_WINDOW_MS;
	cfg->status_window_ms = CLUSTER_STATUS_WINDOW_MS;
	cfg->schema_window_ms = CLUSTER_SCHEMA_WINDOW_MS;
	cfg->schema_agreement_wait_ms = CLUSTER_SCHEMA_AGREEMENT_MS;
	cfg->client_timestamps = 1;
	cfg->metadata_enabled = 1;
}

static char *
cluster_strdup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

static void
cluster_on_up(struct host *h, void *arg)
{
	struct cluster	*c = arg;

	cluster_update_distances(c);
}

static void
cluster_on_down(struct host *h, void *arg)
{
	struct cluster	*c = arg;

	cluster_update_distances(c);
}

struct cluster *
cluster_new(struct event_base *base, const struct cluster_config *cfg,
    const char **why)
{
	struct cluster		*c;
	struct host_listener	 l;
	struct lb_options	 lo;
	struct host		*h;
	const char		*cause;
	size_t			 i;

	if (cfg->ncontact_points == 0 ||
	    cfg->ncontact_points > CLUSTER_MAX_CONTACT_POINTS) {
		*why = "no contact points (or too many)";
		return (NULL);
	}
	if (cfg->port == 0) {
		*why = "port 0";
		return (NULL);
	}
	if (spec_policy_check(&cfg->speculative, why) != 0)
		return (NULL);
	if (reconnect_policy_check(&cfg->pool.reconnect, why) != 0)
		return (NULL);
	lo = cfg->lb;
	if (cfg->local_dc != NULL && *cfg->local_dc != '\0')
		lo.local_dc = cfg->local_dc;
	if (lb_options_check(&lo, why) != 0)
		return (NULL);

	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->serial = ++cluster_serials;
	c->cfg = *cfg;
	TAILQ_INIT(&c->requests);
	c->cps = xcalloc(cfg->ncontact_points, sizeof *c->cps);
	for (i = 0; i < cfg->ncontact_points; i++)
		c->cps[i] = xstrdup(cfg->contact_points[i]);
	c->cfg.contact_points = (const char *const *)c->cps;
	c->local_dc = cluster_strdup(lo.local_dc);
	c->cfg.local_dc = c->local_dc;
	c->lb_allow = cluster_strdup(cfg->lb.allow_hosts);
	c->lb_deny = cluster_strdup(cfg->lb.deny_hosts);
	c->cfg.lb.local_dc = c->local_dc;
	c->cfg.lb.allow_hosts = c->lb_allow;
	c->cfg.lb.deny_hosts = c->lb_deny;
	c->cql_version = cluster_strdup(cfg->pool.conn.cql_version);
	c->username = cluster_strdup(cfg->pool.conn.username);
	c->password = cluster_strdup(cfg->pool.conn.password);
	c->cfg.pool.conn.cql_version = c->cql_version;
	c->cfg.pool.conn.username = c->username;
	c->cfg.pool.conn.password = c->password;
	if (cfg->protocol_version != 0)
		c->cfg.pool.conn.version = cfg->protocol_version;

	c->listeners = host_listeners_new();
	c->lb = lb_policy_from_options(&c->cfg.lb, &cause);
	if (c->lb == NULL) {
		*why = cause;
		cluster_free(c);
		return (NULL);
	}
	memset(&l, 0, sizeof l);
	lb_policy_listener(c->lb, &l);
	c->lb_listener = host_listener_add(c->listeners, &l);
	memset(&l, 0, sizeof l);
	l.on_up = cluster_on_up;
	l.on_down = cluster_on_down;
	l.arg = c;
	c->own_listener = host_listener_add(c->listeners, &l);

	for (i = 0; i < cfg->ncontact_points; i++) {
		h = host_new_name(c->cps[i], cfg->port, NULL);
		if (h == NULL) {
			*why = "a contact point is not a numeric address";
			cluster_free(c);
			return (NULL);
		}
		c->contacts = xreallocarray(c->contacts, c->ncontacts + 1,
		    sizeof *c->contacts);
		c->contacts[c->ncontacts++] = h;
	}
	tsgen_init(&c->tsgen, cluster_tsgen_clock, c);
	c->control = control_new(c);
	return (c);
}

/*
 * Client timestamps from the loop turn's real-time reading: the requests
 * of one turn share it and tsgen counts up from it, one microsecond each,
 * so they stay strictly increasing.
 */
static int64_t
cluster_tsgen_clock(void *arg)
{
	struct cluster	*c = arg;

	return (clock_turn_realtime_us(c->base));
}

static void
cluster_ready_fire(evutil_socket_t fd, short events, void *arg)
{
	struct cluster	*c = arg;

	if (c->ready_fired)
		return;
	c->ready_fired = 1;
	if (c->ready_timer != NULL)
		event_del(c->ready_timer);
	if (c->ready_cb != NULL)
		c->ready_cb(c, c->ready_ok ? CORE_OK : CORE_ENOHOSTS,
		    c->ready_why != NULL ? c->ready_why : "", c->ready_arg);
}

static void
cluster_ready_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct cluster	*c = arg;

	/* Pools still opening: report ready anyway, they keep trying. */
	cluster_ready_fire(-1, 0, c);
}

void
cluster_connect(struct cluster *c, cluster_ready_cb cb, void *arg)
{
	cluster_set_state(c, CLUSTER_CONNECTING);
	c->ready_cb = cb;
	c->ready_arg = arg;
	c->ready_ev = event_new(c->base, -1, 0, cluster_ready_fire, c);
	c->ready_timer = evtimer_new(c->base, cluster_ready_timeout, c);
	control_start(c->control);
}

static void
cluster_defer(struct event *ev)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(ev, &tv);
}

/*
 * Ready means the topology is read and each LOCAL pool finished its first
 * attempt, so a request made in the callback finds open connections.
 */
static void
cluster_check_ready(struct cluster *c)
{
	struct cluster_host	*ch;
	size_t			 i;

	if (c->ready_fired || !c->loaded || c->ready_ev == NULL)
		return;
	for (i = 0; i < c->nhosts; i++) {
		ch = c->hosts[i];
		if (ch->pool != NULL && ch->host->distance == HOST_LOCAL &&
		    !ch->first_done)
			return;
	}
	cluster_defer(c->ready_ev);
}

void
cluster_control_loaded(struct cluster *c, int ok, const char *why)
{
	struct timeval	tv;
	int		ms;

	if (c->state >= CLUSTER_CLOSING)
		return;
	if (c->ready_fired) {
		/* Reported failed already: the callback does not run twice. */
		if (ok && !c->loaded) {
			c->loaded = 1;
			cluster_set_state(c, CLUSTER_READY);
			log_info("cluster: connected after all");
		}
		return;
	}
	free(c->ready_why);
	c->ready_why = xstrdup(why != NULL ? why : "");
	if (!ok) {
		c->ready_ok = 0;
		cluster_defer(c->ready_ev);
		return;
	}
	c->ready_ok = 1;
	c->loaded = 1;
	if (c->state == CLUSTER_CONNECTING)
		cluster_set_state(c, CLUSTER_READY);
	ms = c->cfg.pool.conn.connect_timeout_ms > 0 ?
	    c->cfg.pool.conn.connect_timeout_ms : CONN_CONNECT_TIMEOUT_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->ready_timer, &tv);
	cluster_check_ready(c);
}

/* Pools. */

static void
cluster_pool_up(struct pool *p, void *arg)
{
	struct cluster_host	*ch = arg;

	if (ch->first_done)
		ch->c->metrics.reconnects++;
	ch->first_done = 1;
	if (ch->c->version == 0)
		ch->c->version = pool_version(p);
	cluster_check_ready(ch->c);
}

static void
cluster_pool_down(struct pool *p, enum conn_error e, void *arg)
{
	struct cluster_host	*ch = arg;

	ch->c->metrics.host_downs++;
	ch->first_done = 1;
	log_info("cluster: host %s down (%s)", ch->host->name,
	    conn_error_name(e));
	cluster_check_ready(ch->c);
}

static void
cluster_pool_open(struct cluster *c, struct cluster_host *ch)
{
	struct pool_cbs	cbs;

	memset(&cbs, 0, sizeof cbs);
	cbs.up = cluster_pool_up;
	cbs.down = cluster_pool_down;
	cbs.arg = ch;
	ch->first_done = 0;
	ch->pool = pool_new(c->base, ch->host, &c->cfg.pool, &cbs);
	if (c->version != 0)
		pool_set_version(ch->pool, c->version);
	pool_connect(ch->pool);
}

static void
cluster_pool_drained(struct pool *p, void *arg)
{
	struct cluster	*c = arg;
	size_t		 i;

	for (i = 0; i < c->ndraining; i++) {
		if (c->draining[i] == p) {
			c->draining[i] = c->draining[--c->ndraining];
			return;
		}
	}
}

/*
 * A host the policy now ignores (denied by a reload, say): its pool takes
 * no new requests but lets those in flight finish before it closes, so
 * nothing is cut because the configuration changed.
 */
static void
cluster_pool_retire(struct cluster *c, struct cluster_host *ch)
{
	struct pool	*p = ch->pool;
	int		 ms;

	ch->pool = NULL;
	if (pool_inflight(p) == 0) {
		pool_free(p);
		return;
	}
	ms = c->cfg.request_timeout_ms > 0 ? c->cfg.request_timeout_ms :
	    CLUSTER_REQUEST_TIMEOUT_MS;
	c->draining = xreallocarray(c->draining, c->ndraining + 1,
	    sizeof *c->draining);
	c->draining[c->ndraining++] = p;
	log_info("cluster: host %s left out: its pool closes after the %d "
	    "request%s in flight", ch->host->name, pool_inflight(p),
	    pool_inflight(p) == 1 ? "" : "s");
	pool_drain(p, ms + 1000, cluster_pool_drained, c);
}

/* Resize pools after the policy's view of the hosts changed. */
static void
cluster_distances_now(struct cluster *c)
{
	struct cluster_host	*ch;
	enum host_distance	 d;
	size_t			 i;

	if (!c->lb_inited || c->state >= CLUSTER_CLOSING)
		return;
	for (i = 0; i < c->nhosts; i++) {
		ch = c->hosts[i];
		d = lb_policy_distance(c->lb, ch->host);
		if (d != ch->host->distance) {
			log_debug("cluster: host %s is %s", ch->host->name,
			    host_distance_name(d));
			host_set_distance(ch->host, d);
			if (ch->pool != NULL && d != HOST_IGNORED)
				pool_set_distance(ch->pool, d);
		}
		if (d == HOST_IGNORED && ch->pool != NULL)
			cluster_pool_retire(c, ch);
		else if (d != HOST_IGNORED && ch->pool == NULL)
			cluster_pool_open(c, ch);
	}
	cluster_check_ready(c);
}

static void
cluster_distances_cb(evutil_socket_t fd, short events, void *arg)
{
	cluster_distances_now(arg);
}

/* From host listeners: later, never inside a pool's own callback. */
static void
cluster_update_distances(struct cluster *c)
{
	if (c->dist_ev == NULL)
		c->dist_ev = evtimer_new(c->base, cluster_distances_cb, c);
	cluster_defer(c->dist_ev);
}

/* Hosts. */

static struct cluster_host *
cluster_find(struct cluster *c, const struct sockaddr *sa, socklen_t len)
{
	size_t	i;

	for (i = 0; i < c->nhosts; i++) {
		if (host_same_addr(c->hosts[i]->host, sa, len))
			return (c->hosts[i]);
	}
	return (NULL);
}

struct host *
cluster_find_host(struct cluster *c, const struct sockaddr *sa,
    socklen_t len)
{
	struct cluster_host	*ch;

	ch = cluster_find(c, sa, len);
	return (ch != NULL ? ch->host : NULL);
}

struct host *
cluster_find_host_name(struct cluster *c, const char *name)
{
	struct sockaddr_storage	ss;
	socklen_t		len;

	if (host_addr_parse(name, c->cfg.port, &ss, &len) != 0)
		return (NULL);
	return (cluster_find_host(c, (struct sockaddr *)&ss, len));
}

static void
cluster_hostv_update(struct cluster *c)
{
	size_t	i;

	c->hostv = xreallocarray(c->hostv, c->nhosts + 1, sizeof *c->hostv);
	for (i = 0; i < c->nhosts; i++)
		c->hostv[i] = c->hosts[i]->host;
	c->hostv[c->nhosts] = NULL;
}

struct host *const *
cluster_hosts(struct cluster *c, size_t *n)
{
	*n = c->nhosts;
	return (c->hostv);
}

static void
cluster_host_info_apply(struct host *h, struct control_host_info *hi,
    int *ring_changed)
{
	if (hi->dc != NULL && (h->dc == NULL || strcmp(h->dc, hi->dc) != 0)) {
		host_set_dc(h, hi->dc);
		*ring_changed = 1;
	}
	if (hi->rack != NULL &&
	    (h->rack == NULL || strcmp(h->rack, hi->rack) != 0)) {
		host_set_rack(h, hi->rack);
		*ring_changed = 1;
	}
	if (hi->release_version != NULL)
		host_set_release_version(h, hi->release_version);
	if (hi->has_host_id)
		host_set_host_id(h, hi->host_id);
	if (hi->ntokens != h->ntokens || (hi->ntokens > 0 &&
	    memcmp(hi->tokens, h->tokens, hi->ntokens * sizeof *h->tokens)
	    != 0)) {
		host_set_tokens(h, hi->tokens, hi->ntokens);
		*ring_changed = 1;
	}
}

static void
cluster_host_remove(struct cluster *c, size_t i)
{
	struct cluster_host	*ch = c->hosts[i];

	log_info("cluster: host %s removed", ch->host->name);
	memmove(&c->hosts[i], &c->hosts[i + 1],
	    (c->nhosts - i - 1) * sizeof *c->hosts);
	c->nhosts--;
	cluster_hostv_update(c);
	if (ch->pool != NULL)
		pool_free(ch->pool);
	control_host_removed(c->control, ch->host);
	host_listeners_removed(c->listeners, ch->host);
	host_unref(ch->host);
	free(ch);
}

/* Build (or rebuild) the ring and carry the keyspaces over. */
static void
cluster_token_map_update(struct cluster *c)
{
	struct token_host	*th;
	struct token_map	*m, *old = c->tmap;
	const char		*cause;
	size_t			 i, n = 0;

	th = xcalloc(c->nhosts + 1, sizeof *th);
	for (i = 0; i < c->nhosts; i++) {
		if (c->hosts[i]->host->ntokens == 0)
			continue;
		th[n].host = c->hosts[i]->host;
		th[n].dc = c->hosts[i]->host->dc;
		th[n].rack = c->hosts[i]->host->rack;
		th[n].tokens = c->hosts[i]->host->tokens;
		th[n].ntokens = c->hosts[i]->host->ntokens;
		n++;
	}
	if (old != NULL)
		m = token_map_rebuild(old, th, n, &cause);
	else
		m = token_map_new(th, n, &cause);
	free(th);
	if (m == NULL) {
		log_warnx("cluster: token map: %s", cause);
		return;
	}
	if (old == NULL && c->schema != NULL) {
		for (i = 0; i < c->schema->nkeyspaces; i++) {
			if (c->schema->keyspaces[i]->repl != NULL)
				token_map_set_keyspace(m,
				    c->schema->keyspaces[i]->name,
				    c->schema->keyspaces[i]->repl);
		}
	}
	c->tmap = m;
	lb_policy_set_token_map(c->lb, m);
	if (old != NULL)
		token_map_free(old);
}

/*
 * The whole topology, info[0] the control host.  control.c caps and
 * dedups the list; a repeated address is skipped here as well (the first
 * description wins), and no more than CLUSTER_MAX_HOSTS are taken.
 */
void
cluster_control_topology(struct cluster *c, struct host *ctl,
    struct control_host_info *info, size_t n)
{
	struct cluster_host	*ch, **added;
	struct host		*contact = NULL;
	size_t			 i, nadded = 0;
	int			 ring_changed = 0;

	if (c->state >= CLUSTER_CLOSING)
		return;
	c->metrics.topology_refreshes++;
	if (n > CLUSTER_MAX_HOSTS)
		n = CLUSTER_MAX_HOSTS;
	added = xcalloc(n + 1, sizeof *added);
	for (i = 0; i < c->nhosts; i++)
		c->hosts[i]->seen = 0;
	for (i = 0; i < n; i++) {
		ch = cluster_find(c, (struct sockaddr *)&info[i].addr,
		    info[i].addrlen);
		if (ch != NULL && ch->seen)
			continue;
		if (ch == NULL) {
			ch = xcalloc(1, sizeof *ch);
			ch->c = c;
			ch->host = host_new((struct sockaddr *)&info[i].addr,
			    info[i].addrlen, c->listeners);
			if (c->nhosts == c->hostsize) {
				c->hostsize = c->hostsize == 0 ? 16 :
				    c->hostsize * 2;
				c->hosts = xreallocarray(c->hosts, c->hostsize,
				    sizeof *c->hosts);
			}
			c->hosts[c->nhosts++] = ch;
			added[nadded++] = ch;
			ring_changed = 1;
			log_info("cluster: host %s added (dc %s, rack %s)",
			    ch->host->name, info[i].dc ? info[i].dc : "?",
			    info[i].rack ? info[i].rack : "?");
		}
		ch->seen = 1;
		cluster_host_info_apply(ch->host, &info[i], &ring_changed);
		if (i == 0)
			contact = ch->host;
	}
	for (i = c->nhosts; i > 0; i--) {
		if (!c->hosts[i - 1]->seen) {
			cluster_host_remove(c, i - 1);
			ring_changed = 1;
		}
	}
	cluster_hostv_update(c);
	if (!c->lb_inited) {
		lb_policy_init(c->lb, c->hostv, c->nhosts, &contact,
		    contact != NULL ? 1 : 0);
		c->lb_inited = 1;
	}
	for (i = 0; i < nadded; i++)
		host_listeners_added(c->listeners, added[i]->host);
	free(added);
	if (ring_changed || c->tmap == NULL)
		cluster_token_map_update(c);
	cluster_distances_now(c);
}

/* A STATUS_CHANGE is a hint: pools detect failures themselves. */
void
cluster_control_status(struct cluster *c, struct host *h, int up)
{
	struct cluster_host	*ch;

	ch = cluster_find(c, (struct sockaddr *)&h->addr, h->addrlen);
	if (ch == NULL)
		return;
	if (up) {
		if (ch->pool != NULL)
			pool_reconnect_now(ch->pool);
		else
			host_set_state(ch->host, HOST_UP);
		return;
	}
	if (ch->pool != NULL && pool_is_up(ch->pool)) {
		log_debug("cluster: DOWN event for %s discounted: its pool "
		    "is open", h->name);
		return;
	}
	host_set_state(ch->host, HOST_DOWN);
}

/* Follow keyspace replication changes into the token map. */
void
cluster_control_schema(struct cluster *c, struct schema *s)
{
	struct schema		*old = c->schema;
	const struct ks_meta	*ks, *oks;
	size_t			 i;

	c->schema = s;
	c->schema_gen++;
	c->metrics.schema_refreshes++;
	if (c->tmap != NULL) {
		for (i = 0; i < s->nkeyspaces; i++) {
			ks = s->keyspaces[i];
			oks = old != NULL ? schema_keyspace(old, ks->name) :
			    NULL;
			if (ks->repl == NULL) {
				if (oks != NULL)
					token_map_drop_keyspace(c->tmap,
					    ks->name);
				continue;
			}
			if (oks != NULL && oks->repl != NULL &&
			    token_repl_equal(oks->repl, ks->repl))
				continue;
			token_map_set_keyspace(c->tmap, ks->name, ks->repl);
		}
		for (i = 0; old != NULL && i < old->nkeyspaces; i++) {
			if (schema_keyspace(s, old->keyspaces[i]->name) ==
			    NULL)
				token_map_drop_keyspace(c->tmap,
				    old->keyspaces[i]->name);
		}
	}
	if (old != NULL)
		schema_free(old);
}

void
cluster_control_schema_event(struct cluster *c, const char *target,
    const char *ks, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nslisteners; i++)
		c->slisteners[i].fn(c, target, ks, name, c->slisteners[i].arg);
}

int
cluster_schema_listener_add(struct cluster *c, cluster_schema_fn fn,
    void *arg)
{
	struct schema_listener	*l;

	c->slisteners = xreallocarray(c->slisteners, c->nslisteners + 1,
	    sizeof *c->slisteners);
	l = &c->slisteners[c->nslisteners++];
	l->id = ++c->next_slistener;
	l->fn = fn;
	l->arg = arg;
	return (l->id);
}

void
cluster_schema_listener_remove(struct cluster *c, int id)
{
	size_t	i;

	for (i = 0; i < c->nslisteners; i++) {
		if (c->slisteners[i].id != id)
			continue;
		memmove(&c->slisteners[i], &c->slisteners[i + 1],
		    (c->nslisteners - i - 1) * sizeof *c->slisteners);
		c->nslisteners--;
		return;
	}
}

/* Known hosts in plan order, then the rest, then the contact points. */
size_t
cluster_control_candidates(struct cluster *c, struct host ***out)
{
	struct host	**v;
	struct lb_plan	 plan;
	struct host	*h;
	size_t		 n = 0, i, j, cap;

	cap = c->nhosts + c->ncontacts;
	v = xcalloc(cap + 1, sizeof *v);
	if (c->lb_inited) {
		memset(&plan, 0, sizeof plan);
		lb_plan_begin(c->lb, NULL, &plan);
		while (n < cap && (h = lb_plan_next(&plan)) != NULL)
			v[n++] = host_ref(h);
		lb_plan_end(&plan);
	}
	for (i = 0; i < c->nhosts; i++) {
		h = c->hosts[i]->host;
		for (j = 0; j < n; j++) {
			if (v[j] == h)
				break;
		}
		if (j == n && n < cap)
			v[n++] = host_ref(h);
	}
	for (i = 0; i < c->ncontacts; i++) {
		h = c->contacts[i];
		for (j = 0; j < n; j++) {
			if (host_same_addr(v[j], (struct sockaddr *)&h->addr,
			    h->addrlen))
				break;
		}
		if (j == n && n < cap)
			v[n++] = host_ref(h);
	}
	*out = v;
	return (n);
}

void
cluster_control_connected(struct cluster *c, struct conn *conn)
{
	size_t	i;

	if (c->version == 0) {
		c->version = conn_version(conn);
		log_info("cluster: protocol version %u", c->version);
		for (i = 0; i < c->nhosts; i++) {
			if (c->hosts[i]->pool != NULL)
				pool_set_version(c->hosts[i]->pool,
				    c->version);
		}
	}
}

/* Accessors. */

struct event_base *
cluster_base(struct cluster *c)
{
	return (c->base);
}

const struct cluster_config *
cluster_get_config(struct cluster *c)
{
	return (&c->cfg);
}

uint8_t
cluster_version(struct cluster *c)
{
	return (c->version);
}

int
cluster_is_ready(struct cluster *c)
{
	return (c->loaded && c->state == CLUSTER_READY);
}

struct host_listeners *
cluster_listeners(struct cluster *c)
{
	return (c->listeners);
}

struct pool *
cluster_pool(struct cluster *c, struct host *h)
{
	struct cluster_host	*ch;
	size_t			 i;

	for (i = 0; i < c->nhosts; i++) {
		if (c->hosts[i]->host == h)
			return (c->hosts[i]->pool);
	}
	ch = cluster_find(c, (struct sockaddr *)&h->addr, h->addrlen);
	return (ch != NULL ? ch->pool : NULL);
}

struct host *
cluster_control_host(struct cluster *c)
{
	return (c->control != NULL ? control_host(c->control) : NULL);
}

struct lb_policy *
cluster_lb(struct cluster *c)
{
	return (c->lb);
}

const struct token_map *
cluster_token_map(struct cluster *c)
{
	return (c->tmap);
}

struct cluster_metrics *
cluster_metrics(struct cluster *c)
{
	return (&c->metrics);
}

const struct schema *
cluster_schema(struct cluster *c)
{
	return (c->schema);
}

uint64_t
cluster_schema_generation(struct cluster *c)
{
	return (c->schema_gen);
}

void
cluster_set_unprepared_hook(struct cluster *c, cluster_unprepared_fn fn,
    void *arg)
{
	c->unprepared_fn = fn;
	c->unprepared_arg = arg;
}

void
cluster_unprepared_hook(struct cluster *c, cluster_unprepared_fn *fn,
    void **arg)
{
	*fn = c->unprepared_fn;
	*arg = c->unprepared_arg;
}

void
cluster_wait_schema_agreement(struct cluster *c, int wait_ms,
    cluster_agreement_cb cb, void *arg)
{
	if (wait_ms <= 0)
		wait_ms = c->cfg.schema_agreement_wait_ms;
	control_wait_agreement(c->control, wait_ms, cb, arg);
}

void
cluster_schema_sync(struct cluster *c, const struct result_schema_change *sc,
    cluster_agreement_cb cb, void *arg)
{
	control_schema_sync(c->control, c->cfg.schema_agreement_wait_ms,
	    sc->target, sc->keyspace, sc->name,
	    (const char *const *)sc->args, sc->nargs, cb, arg);
}

struct request_list *
cluster_requests(struct cluster *c)
{
	return (&c->requests);
}

uint64_t
cluster_serial(struct cluster *c)
{
	return (c->serial);
}

/* Few distinct request timeouts exist: the default and a handful more. */
struct request_timeouts *
cluster_request_timeouts(struct cluster *c, int ms)
{
	struct request_timeouts	*q;
	size_t			 i;

	for (i = 0; i < c->nrto; i++) {
		if (c->rto[i].ms == ms)
			return (&c->rto[i]);
	}
	if (c->nrto == CLUSTER_TIMEOUT_QUEUES || ms <= 0)
		return (NULL);
	q = &c->rto[c->nrto++];
	TAILQ_INIT(&q->list);
	q->ev = NULL;
	q->armed = 0;
	q->ms = ms;
	q->c = c;
	return (q);
}

void
cluster_flush(struct cluster *c)
{
	conn_flush_queued();
}

int
cluster_closing(struct cluster *c)
{
	return (c->state >= CLUSTER_CLOSING);
}

int64_t
cluster_next_timestamp(struct cluster *c)
{
	return (tsgen_next(&c->tsgen));
}

/* Closing. */

/* Close pools and the control connection; hosts stay until free. */
static void
cluster_shutdown_io(struct cluster *c)
{
	size_t	i;

	if (c->control != NULL) {
		control_free(c->control);
		c->control = NULL;
	}
	for (i = 0; i < c->nhosts; i++) {
		if (c->hosts[i]->pool != NULL) {
			pool_free(c->hosts[i]->pool);
			c->hosts[i]->pool = NULL;
		}
	}
	for (i = 0; i < c->ndraining; i++)
		pool_free(c->draining[i]);
	c->ndraining = 0;
}

static void
cluster_close_fire(evutil_socket_t fd, short events, void *arg)
{
	struct cluster	*c = arg;

	cluster_shutdown_io(c);
	cluster_set_state(c, CLUSTER_CLOSED);
	if (c->closed_cb != NULL)
		c->closed_cb(c, c->closed_arg);
}

void
cluster_request_gone(struct cluster *c)
{
	if (c->state == CLUSTER_CLOSING && TAILQ_EMPTY(&c->requests) &&
	    c->close_ev != NULL)
		cluster_defer(c->close_ev);
}

void
cluster_close(struct cluster *c, cluster_closed_cb cb, void *arg)
{
	if (c->state >= CLUSTER_CLOSING)
		return;
	cluster_set_state(c, CLUSTER_CLOSING);
	c->closed_cb = cb;
	c->closed_arg = arg;
	c->close_ev = evtimer_new(c->base, cluster_close_fire, c);
	if (c->ready_ev != NULL && !c->ready_fired) {
		c->ready_ok = 0;
		free(c->ready_why);
		c->ready_why = xstrdup("cluster closed");
		cluster_defer(c->ready_ev);
	}
	cluster_request_gone(c);
}

void
cluster_free(struct cluster *c)
{
	struct request	*r;
	size_t		 i;

	if (c == NULL)
		return;
	if (c->state < CLUSTER_CLOSING)
		cluster_set_state(c, CLUSTER_CLOSING);
	while ((r = TAILQ_FIRST(&c->requests)) != NULL)
		request_abort(r, CORE_ESHUTDOWN);
	cluster_shutdown_io(c);
	for (i = 0; i < c->nrto; i++) {
		/* Every request was aborted, so every queue is empty. */
		if (c->rto[i].ev != NULL)
			event_free(c->rto[i].ev);
	}
	if (c->ready_ev != NULL)
		event_free(c->ready_ev);
	if (c->ready_timer != NULL)
		event_free(c->ready_timer);
	if (c->dist_ev != NULL)
		event_free(c->dist_ev);
	if (c->close_ev != NULL)
		event_free(c->close_ev);
	if (c->lb != NULL) {
		lb_policy_set_token_map(c->lb, NULL);
		lb_policy_free(c->lb);
	}
	if (c->tmap != NULL)
		token_map_free(c->tmap);
	if (c->schema != NULL)
		schema_free(c->schema);
	for (i = 0; i < c->nhosts; i++) {
		/* Results may hold hosts past us: cut them from listeners. */
		c->hosts[i]->host->listeners = NULL;
		host_unref(c->hosts[i]->host);
		free(c->hosts[i]);
	}
	free(c->hosts);
	free(c->hostv);
	free(c->draining);
	for (i = 0; i < c->ncontacts; i++)
		host_unref(c->contacts[i]);
	free(c->contacts);
	if (c->listeners != NULL)
		host_listeners_free(c->listeners);
	for (i = 0; i < c->cfg.ncontact_points; i++)
		free(c->cps[i]);
	free(c->cps);
	free(c->local_dc);
	free(c->lb_allow);
	free(c->lb_deny);
	free(c->cql_version);
	free(c->username);
	free(c->password);
	free(c->ready_why);
	free(c->slisteners);
	free(c);
}

/* Reconfiguration. */

static int
cluster_str_equal(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return (b == NULL || *b == '\0');
	return (b != NULL && strcmp(a, b) == 0);
}

/* Whether two sets of options make the same policy. */
static int
cluster_lb_equal(const struct lb_options *a, const struct lb_options *b)
{
	return (a->load_balancing == b->load_balancing &&
	    a->token_aware == b->token_aware &&
	    a->used_hosts_per_remote_dc == b->used_hosts_per_remote_dc &&
	    a->shuffle_replicas == b->shuffle_replicas &&
	    a->random == b->random && a->random_arg == b->random_arg &&
	    a->seed == b->seed &&
	    cluster_str_equal(a->local_dc, b->local_dc) &&
	    cluster_str_equal(a->allow_hosts, b->allow_hosts) &&
	    cluster_str_equal(a->deny_hosts, b->deny_hosts));
}

/*
 * The hosts that may name the local DC of a new policy whose local_dc is
 * left to learn: the control host first (as at start), then every host.
 */
static size_t
cluster_lb_contacts(struct cluster *c, struct host ***out)
{
	struct cluster_host	*ch;
	struct host		**v, *ctl;
	size_t			 n = 0, i;

	v = xcalloc(c->nhosts + 1, sizeof *v);
	ctl = cluster_control_host(c);
	if (ctl != NULL && (ch = cluster_find(c, (struct sockaddr *)&ctl->addr,
	    ctl->addrlen)) != NULL)
		v[n++] = ch->host;
	for (i = 0; i < c->nhosts; i++) {
		if (n == 0 || c->hosts[i]->host != v[0])
			v[n++] = c->hosts[i]->host;
	}
	*out = v;
	return (n);
}

/*
 * Put a new load-balancing policy in place of the old: it hears host
 * events from now on and makes every new plan; plans begun before keep
 * the old one (referenced) until they end.
 */
static void
cluster_lb_swap(struct cluster *c, struct lb_policy *lb)
{
	struct host_listener	  l;
	struct lb_policy	 *old = c->lb;
	struct host		**contacts;
	size_t			  n;

	host_listener_remove(c->listeners, c->lb_listener);
	c->lb = lb;
	memset(&l, 0, sizeof l);
	lb_policy_listener(lb, &l);
	c->lb_listener = host_listener_add(c->listeners, &l);
	if (c->lb_inited) {
		n = cluster_lb_contacts(c, &contacts);
		lb_policy_init(lb, c->hostv, c->nhosts, contacts, n);
		free(contacts);
	}
	lb_policy_set_token_map(lb, c->tmap);
	/* The map may be rebuilt while old plans end: they copied theirs. */
	lb_policy_set_token_map(old, NULL);
	lb_policy_free(old);
}

static void
cluster_reconf_fail(char **why, const char *cause)
{
	if (why != NULL)
		*why = xstrdup(cause);
}

int
cluster_reconfigure(struct cluster *c, const struct cluster_config *new,
    char **why)
{
	struct lb_options	 lo;
	struct lb_policy	*lb = NULL;
	struct pool_config	 pc;
	const char		*cause, *learnt;
	char			*s;
	size_t			 i;

	if (why != NULL)
		*why = NULL;
	if (c->state >= CLUSTER_CLOSING) {
		cluster_reconf_fail(why, "the cluster is closing");
		return (-1);
	}
	if (spec_policy_check(&new->speculative, &cause) != 0 ||
	    reconnect_policy_check(&new->pool.reconnect, &cause) != 0) {
		cluster_reconf_fail(why, cause);
		return (-1);
	}
	if (new->pool.core_local < 0 || new->pool.core_remote < 0) {
		cluster_reconf_fail(why, "negative pool size");
		return (-1);
	}
	lo = new->lb;
	if (new->local_dc != NULL && *new->local_dc != '\0')
		lo.local_dc = new->local_dc;
	if (lb_options_check(&lo, &cause) != 0) {
		cluster_reconf_fail(why, cause);
		return (-1);
	}
	if (!cluster_lb_equal(&c->cfg.lb, &lo)) {
		/*
		 * A DC learnt from the first contact point stays learnt:
		 * it is still the DC the daemon runs next to.
		 */
		learnt = NULL;
		if ((lo.local_dc == NULL || *lo.local_dc == '\0') &&
		    (c->local_dc == NULL || *c->local_dc == '\0'))
			learnt = lb_policy_local_dc(c->lb);
		if (learnt != NULL) {
			s = xstrdup(learnt);
			lo.local_dc = s;
			lb = lb_policy_from_options(&lo, &cause);
			lo.local_dc = NULL;
			free(s);
		} else
			lb = lb_policy_from_options(&lo, &cause);
		if (lb == NULL) {
			cluster_reconf_fail(why, cause);
			return (-1);
		}
	}

	/* Nothing fails from here on. */
	pc = c->cfg.pool;
	pc.core_local = new->pool.core_local;
	pc.max_local = new->pool.max_local;
	pc.core_remote = new->pool.core_remote;
	pc.max_remote = new->pool.max_remote;
	pc.max_inflight = new->pool.max_inflight;
	pc.grow_threshold = new->pool.grow_threshold;
	pc.idle_close_ms = new->pool.idle_close_ms;
	pc.conn.connect_timeout_ms = new->pool.conn.connect_timeout_ms;
	pc.conn.request_timeout_ms = new->pool.conn.request_timeout_ms;
	pc.conn.heartbeat_interval_ms = new->pool.conn.heartbeat_interval_ms;
	pc.conn.heartbeat_timeout_ms = new->pool.conn.heartbeat_timeout_ms;
	pc.reconnect = new->pool.reconnect;
	c->cfg.pool = pc;
	c->cfg.retry = new->retry;
	c->cfg.speculative = new->speculative;
	c->cfg.consistency = new->consistency;
	c->cfg.serial_consistency = new->serial_consistency;
	c->cfg.page_size = new->page_size;
	c->cfg.request_timeout_ms = new->request_timeout_ms;
	c->cfg.control_timeout_ms = new->control_timeout_ms;
	c->cfg.topology_window_ms = new->topology_window_ms;
	c->cfg.status_window_ms = new->status_window_ms;
	c->cfg.schema_window_ms = new->schema_window_ms;
	c->cfg.schema_agreement_wait_ms = new->schema_agreement_wait_ms;
	c->cfg.client_timestamps = new->client_timestamps;

	if (lb != NULL) {
		free(c->local_dc);
		free(c->lb_allow);
		free(c->lb_deny);
		c->local_dc = cluster_strdup(lo.local_dc != NULL &&
		    *lo.local_dc != '\0' ? lo.local_dc : NULL);
		c->lb_allow = cluster_strdup(lo.allow_hosts);
		c->lb_deny = cluster_strdup(lo.deny_hosts);
		c->cfg.lb = lo;
		c->cfg.local_dc = c->local_dc;
		c->cfg.lb.local_dc = c->local_dc;
		c->cfg.lb.allow_hosts = c->lb_allow;
		c->cfg.lb.deny_hosts = c->lb_deny;
		cluster_lb_swap(c, lb);
		log_info("cluster: load balancing now %s%s, local DC %s",
		    lb_kind_name(lo.load_balancing),
		    lo.token_aware && lo.load_balancing != LB_TOKEN_AWARE ?
		    " (token aware)" : "", lb_policy_local_dc(lb) != NULL ?
		    lb_policy_local_dc(lb) : "none");
	}
	for (i = 0; i < c->nhosts; i++) {
		if (c->hosts[i]->pool != NULL)
			pool_set_config(c->hosts[i]->pool, &c->cfg.pool);
	}
	if (c->control != NULL)
		control_reconfigure(c->control);
	cluster_distances_now(c);
	return (0);
}
