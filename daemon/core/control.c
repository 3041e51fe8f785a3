/*
 * control.c: the control connection.  One connection to one live host
 * reads the topology (system.local, system.peers_v2 or system.peers) and
 * the schema (system_schema.*), listens to TOPOLOGY/STATUS/SCHEMA events
 * and turns them into debounced refreshes, and polls schema versions for
 * agreement.  It runs one query at a time: refreshes are queued as flags
 * and done in order by control_run().
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "conn.h"
#include "host.h"
#include "reconnect.h"
#include "schema.h"
#include "token.h"
#include "cluster.h"
#include "control.h"

#define CONTROL_AGREE_POLL_MS	200
#define CONTROL_MAX_TARGETS	32	/* queued schema targets, then full */
#define CONTROL_SYNC_GRACE_MS	2000	/* refresh after agreement */
#define CONTROL_MAX_TOKENS	65536	/* tokens of one host */
/* Address index over a topology read: at most half full, so probes end. */
#define CONTROL_SLOTS		(2 * CLUSTER_MAX_HOSTS + 1)
#define CONTROL_WARN_MS		60000	/* one "peers ignored" warning per */

/* What the connection is doing; only control_set_state changes it. */
enum control_state {
	CTL_IDLE = 0,		/* nothing open, nothing scheduled */
	CTL_CONNECTING,		/* trying candidates one by one */
	CTL_WAITING,		/* none answered: reconnect timer armed */
	CTL_OPEN		/* connected (registered, jobs run) */
};

/* The job a query in flight belongs to. */
enum control_job {
	JOB_NONE = 0,
	JOB_REGISTER,
	JOB_LOCAL,
	JOB_PEERS,
	JOB_SCHEMA,
	JOB_AGREE_LOCAL,
	JOB_AGREE_PEERS
};

struct control_target {
	enum schema_target_kind	 kind;
	char			*keyspace;
	char			*name;
	char			**args;
	size_t			 nargs;
	int			 has_args;
	char			*target_text;	/* "TABLE", ... for listeners */
};

struct control_waiter {
	uint64_t		 deadline;
	cluster_agreement_cb	 cb;
	void			*arg;
	uint64_t		 min_poll;	/* first poll that counts */
	int			 refresh;	/* then refresh target */
	struct control_target	 target;
	int			 agreed;
};

struct control {
	struct cluster		*c;
	struct event_base	*base;
	enum control_state	 state;
	struct conn		*conn;
	struct host		*host;		/* referenced */

	struct host		**cands;
	size_t			 ncands;
	size_t			 next;
	struct reconnect	*rc;
	int			 reported;	/* first failure told */
	int			 loaded;	/* first full load done */
	int			 opened;	/* connections opened so far */

	/* Queued work. */
	int			 need_topology;
	int			 need_schema_full;
	struct control_target	*targets;
	size_t			 ntargets;
	enum control_job	 job;		/* query in flight */
	int			 peers_v1;	/* no system.peers_v2 */

	/* The topology read in progress. */
	struct control_host_info *infos;
	size_t			 ninfos;
	size_t			 infosize;	/* allocated */
	uint32_t		*slots;		/* by address: infos index + 1 */
	size_t			 dups;		/* rows naming a listed host */
	size_t			 excess;	/* rows past CLUSTER_MAX_HOSTS */
	size_t			 noaddr;	/* rows without an address */
	uint64_t		 warned_ms;	/* last warning about those */

	/* The schema read in progress. */
	struct schema_load	*load;
	struct control_target	 cur;		/* what is being refreshed */
	int			 cur_full;
	unsigned int		 sources;	/* SCHEMA_SRC_BITs still to read */
	int			 cur_source;	/* the one being read */

	/* Agreement. */
	struct control_waiter	*waiters;
	size_t			 nwaiters;
	struct control_waiter	*syncs;		/* agreed, refresh queued */
	size_t			 nsyncs;
	int			 agree_due;	/* poll at the next chance */
	uint64_t		 polls;		/* agreement polls begun */
	struct schema_host_version *versions;
	uint8_t			(*vbytes)[16];
	size_t			 nversions;
	size_t			 versionsize;	/* allocated */
	size_t			 agree_rows;	/* rows of this poll seen */

	struct event		*topo_ev;
	struct event		*status_ev;
	struct event		*schema_ev;
	struct event		*agree_ev;
	struct event		*move_ev;
	struct event		*run_ev;
};

static void	control_try_next(struct control *);
static void	control_run(struct control *);
static void	control_lost(struct control *, const char *);

static const char *
control_state_name(enum control_state s)
{
	switch (s) {
	case CTL_IDLE:
		return ("idle");
	case CTL_CONNECTING:
		return ("connecting");
	case CTL_WAITING:
		return ("waiting");
	case CTL_OPEN:
		return ("open");
	}
	return ("unknown");
}

static void
control_set_state(struct control *ctl, enum control_state to)
{
	int	ok;

	switch (to) {
	case CTL_IDLE:
		ok = 1;
		break;
	case CTL_CONNECTING:
		ok = ctl->state != CTL_OPEN;
		break;
	case CTL_WAITING:
		ok = ctl->state == CTL_CONNECTING;
		break;
	case CTL_OPEN:
		ok = ctl->state == CTL_CONNECTING;
		break;
	default:
		ok = 0;
	}
	if (!ok)
		fatalx("control: bad state change %s -> %s",
		    control_state_name(ctl->state), control_state_name(to));
	ctl->state = to;
}

void
control_host_info_clear(struct control_host_info *hi)
{
	free(hi->dc);
	free(hi->rack);
	free(hi->release_version);
	free(hi->tokens);
	memset(hi, 0, sizeof *hi);
}

static void
control_infos_clear(struct control *ctl)
{
	size_t	i;

	for (i = 0; i < ctl->ninfos; i++)
		control_host_info_clear(&ctl->infos[i]);
	free(ctl->infos);
	ctl->infos = NULL;
	ctl->ninfos = ctl->infosize = 0;
	free(ctl->slots);
	ctl->slots = NULL;
	ctl->dups = ctl->excess = ctl->noaddr = 0;
}

static void
control_target_clear(struct control_target *t)
{
	size_t	i;

	free(t->keyspace);
	free(t->name);
	for (i = 0; i < t->nargs; i++)
		free(t->args[i]);
	free(t->args);
	free(t->target_text);
	memset(t, 0, sizeof *t);
}

static void
control_timer(struct event *ev, int ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Debounce: the first hint arms the window, later ones ride along. */
static void
control_debounce(struct event *ev, int ms)
{
	if (!evtimer_pending(ev, NULL))
		control_timer(ev, ms);
}

static void
control_topo_fire(evutil_socket_t fd, short events, void *arg)
{
	struct control	*ctl = arg;

	ctl->need_topology = 1;
	control_run(ctl);
}

static void
control_schema_fire(evutil_socket_t fd, short events, void *arg)
{
	control_run(arg);
}

static void
control_run_fire(evutil_socket_t fd, short events, void *arg)
{
	control_run(arg);
}

static void
control_rc_fire(void *arg)
{
	struct control	*ctl = arg;

	if (ctl->state == CTL_WAITING)
		control_set_state(ctl, CTL_IDLE);
	control_start(ctl);
}

static void
control_move_fire(evutil_socket_t fd, short events, void *arg)
{
	control_lost(arg, "its host was removed");
}

static void control_agree_fire(evutil_socket_t, short, void *);

struct control *
control_new(struct cluster *c)
{
	struct control	*ctl;

	ctl = xcalloc(1, sizeof *ctl);
	ctl->c = c;
	ctl->base = cluster_base(c);
	ctl->rc = reconnect_new(ctl->base,
	    &cluster_get_config(c)->pool.reconnect, control_rc_fire, ctl);
	ctl->topo_ev = evtimer_new(ctl->base, control_topo_fire, ctl);
	ctl->status_ev = evtimer_new(ctl->base, control_topo_fire, ctl);
	ctl->schema_ev = evtimer_new(ctl->base, control_schema_fire, ctl);
	ctl->agree_ev = evtimer_new(ctl->base, control_agree_fire, ctl);
	ctl->move_ev = evtimer_new(ctl->base, control_move_fire, ctl);
	ctl->run_ev = evtimer_new(ctl->base, control_run_fire, ctl);
	return (ctl);
}

/*
 * The cluster's configuration changed (a reload): the open connection's
 * heartbeat follows at once, a pending reconnection moves to the new
 * schedule.  Windows and timeouts are read from the configuration each
 * time they are used.
 */
void
control_reconfigure(struct control *ctl)
{
	const struct cluster_config	*cfg = cluster_get_config(ctl->c);
	struct reconnect		*rc;
	int				 pending;

	if (ctl->conn != NULL)
		conn_set_heartbeat(ctl->conn,
		    cfg->pool.conn.heartbeat_interval_ms,
		    cfg->pool.conn.heartbeat_timeout_ms);
	pending = reconnect_pending(ctl->rc);
	rc = reconnect_new(ctl->base, &cfg->pool.reconnect, control_rc_fire,
	    ctl);
	reconnect_free(ctl->rc);
	ctl->rc = rc;
	if (pending)
		reconnect_schedule(ctl->rc);
}

static void
control_cands_free(struct control *ctl)
{
	size_t	i;

	for (i = 0; i < ctl->ncands; i++)
		host_unref(ctl->cands[i]);
	free(ctl->cands);
	ctl->cands = NULL;
	ctl->ncands = ctl->next = 0;
}

/* Drop the connection and whatever job was running on it. */
static void
control_close(struct control *ctl)
{
	struct conn	*conn = ctl->conn;

	ctl->conn = NULL;
	if (conn != NULL)
		conn_free(conn);
	if (ctl->host != NULL) {
		host_unref(ctl->host);
		ctl->host = NULL;
	}
	ctl->job = JOB_NONE;
	control_infos_clear(ctl);
	if (ctl->load != NULL) {
		schema_load_free(ctl->load);
		ctl->load = NULL;
	}
	control_target_clear(&ctl->cur);
}

void
control_free(struct control *ctl)
{
	struct control_waiter	*w;
	size_t			 i, n;

	if (ctl == NULL)
		return;
	control_close(ctl);
	control_cands_free(ctl);
	reconnect_free(ctl->rc);
	event_free(ctl->topo_ev);
	event_free(ctl->status_ev);
	event_free(ctl->schema_ev);
	event_free(ctl->agree_ev);
	event_free(ctl->move_ev);
	event_free(ctl->run_ev);
	for (i = 0; i < ctl->ntargets; i++)
		control_target_clear(&ctl->targets[i]);
	free(ctl->targets);
	/* Waiters are told "no agreement"; they may not call back in. */
	w = ctl->waiters;
	n = ctl->nwaiters;
	ctl->waiters = NULL;
	ctl->nwaiters = 0;
	for (i = 0; i < n; i++) {
		control_target_clear(&w[i].target);
		w[i].cb(ctl->c, 0, w[i].arg);
	}
	free(w);
	w = ctl->syncs;
	n = ctl->nsyncs;
	ctl->syncs = NULL;
	ctl->nsyncs = 0;
	for (i = 0; i < n; i++) {
		control_target_clear(&w[i].target);
		w[i].cb(ctl->c, w[i].agreed, w[i].arg);
	}
	free(w);
	free(ctl->versions);
	free(ctl->vbytes);
	free(ctl);
}

struct host *
control_host(struct control *ctl)
{
	return (ctl->state == CTL_OPEN ? ctl->host : NULL);
}

void
control_host_removed(struct control *ctl, struct host *h)
{
	if (ctl->host != NULL && ctl->state == CTL_OPEN &&
	    host_same_addr(ctl->host, (struct sockaddr *)&h->addr,
	    h->addrlen))
		control_timer(ctl->move_ev, 0);
}

/* Connecting. */

static void
control_conn_closed(struct conn *conn, enum conn_error e, void *arg)
{
	struct control	*ctl = arg;

	if (conn != ctl->conn)
		return;
	control_lost(ctl, conn_why(conn));
}

/* The connection died or misbehaved: move to another host now. */
static void
control_lost(struct control *ctl, const char *why)
{
	if (ctl->state != CTL_OPEN)
		return;
	log_info("control: connection to %s lost (%s); moving",
	    ctl->host != NULL ? ctl->host->name : "?", why);
	control_close(ctl);
	control_set_state(ctl, CTL_IDLE);
	cluster_metrics(ctl->c)->control_reconnects++;
	control_start(ctl);
}

static void control_event(struct conn *, struct msg *, void *);
static void control_registered(struct conn *, enum conn_error, struct msg *,
    void *);

static void
control_conn_ready(struct conn *conn, enum conn_error e, void *arg)
{
	struct control	*ctl = arg;
	static const char *const events[] = {
		"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"
	};

	if (conn != ctl->conn)
		return;
	if (e != CONN_OK) {
		log_info("control: %s: %s", conn_host(conn)->name,
		    conn_why(conn));
		ctl->conn = NULL;
		conn_free(conn);
		control_try_next(ctl);
		return;
	}
	control_cands_free(ctl);
	ctl->host = host_ref(conn_host(conn));
	control_set_state(ctl, CTL_OPEN);
	reconnect_reset(ctl->rc);
	ctl->opened++;
	log_info("control: connected to %s (protocol v%u)", ctl->host->name,
	    conn_version(conn));
	cluster_control_connected(ctl->c, conn);
	ctl->job = JOB_REGISTER;
	if (conn_register(conn, events, nitems(events), control_registered,
	    ctl) != CONN_OK) {
		ctl->job = JOB_NONE;
		control_lost(ctl, "REGISTER could not be sent");
	}
}

static void
control_registered(struct conn *conn, enum conn_error e, struct msg *m,
    void *arg)
{
	struct control	*ctl = arg;

	if (conn != ctl->conn)
		return;
	ctl->job = JOB_NONE;
	if (e != CONN_OK) {
		control_lost(ctl, "REGISTER refused");
		return;
	}
	/* Anything may have changed while we were away: read it all. */
	ctl->need_topology = 1;
	ctl->need_schema_full = 1;
	control_run(ctl);
}

static void
control_try_next(struct control *ctl)
{
	const struct cluster_config	*cfg = cluster_get_config(ctl->c);
	struct conn_config		 cc;
	struct conn_cbs			 cbs;
	struct host			*h;
	uint64_t			 delay;

	if (ctl->next < ctl->ncands) {
		h = ctl->cands[ctl->next++];
		cc = cfg->pool.conn;
		if (cluster_version(ctl->c) != 0)
			cc.version = cluster_version(ctl->c);
		memset(&cbs, 0, sizeof cbs);
		cbs.ready = control_conn_ready;
		cbs.closed = control_conn_closed;
		cbs.event = control_event;
		cbs.arg = ctl;
		ctl->conn = conn_new(ctl->base, h, &cc, &cbs);
		conn_connect(ctl->conn);
		return;
	}
	control_cands_free(ctl);
	if (!ctl->reported && !ctl->loaded) {
		ctl->reported = 1;
		cluster_control_loaded(ctl->c, 0,
		    "no contact point could be reached");
	}
	control_set_state(ctl, CTL_WAITING);
	delay = reconnect_schedule(ctl->rc);
	log_warnx("control: no host answered; trying again in %llu ms",
	    (unsigned long long)delay);
}

void
control_start(struct control *ctl)
{
	if (ctl->state != CTL_IDLE)
		return;
	control_set_state(ctl, CTL_CONNECTING);
	control_cands_free(ctl);
	ctl->ncands = cluster_control_candidates(ctl->c, &ctl->cands);
	ctl->next = 0;
	control_try_next(ctl);
}

/* Queries. */

static int
control_query(struct control *ctl, enum control_job job, const char *q,
    const struct bytesval *vals, size_t nvals, conn_cb cb)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = slice_cstr(q);
	m.u.query.params.consistency = CL_ONE;
	m.u.query.params.nvalues = nvals;
	m.u.query.params.values = (struct bytesval *)vals;
	if (conn_send(ctl->conn, &m, 0,
	    cluster_get_config(ctl->c)->control_timeout_ms, cb, ctl,
	    NULL) != CONN_OK) {
		control_lost(ctl, "a query could not be sent");
		return (-1);
	}
	ctl->job = job;
	return (0);
}

/* Column index by name in a rows result; -1 when absent. */
static int
control_col(const struct result_rows *rows, const char *name)
{
	int32_t	i;

	if (rows->meta.cols == NULL)
		return (-1);
	for (i = 0; i < rows->meta.columns_count; i++) {
		if (slice_eq(rows->meta.cols[i].name, name))
			return (i);
	}
	return (-1);
}

static const struct bytesval *
control_cell(const struct bytesval *cells, int i)
{
	if (i < 0 || cells[i].state != BYTES_VALUE)
		return (NULL);
	return (&cells[i]);
}

static char *
control_text(const struct bytesval *cells, int i)
{
	const struct bytesval	*b = control_cell(cells, i);

	return (b != NULL ? slice_dup(b->v) : NULL);
}

static int
control_uuid(const struct bytesval *cells, int i, uint8_t out[16])
{
	const struct bytesval	*b = control_cell(cells, i);

	if (b == NULL || b->v.n != 16)
		return (0);
	memcpy(out, b->v.p, 16);
	return (1);
}

static int
control_int(const struct bytesval *cells, int i, int32_t *out)
{
	const struct bytesval	*b = control_cell(cells, i);
	struct rbuf		 r;

	if (b == NULL || b->v.n != 4)
		return (0);
	rbuf_init(&r, b->v.p, b->v.n);
	*out = rbuf_i32(&r);
	return (1);
}

/* An [inet] cell (4 or 16 bytes) as a socket address with a port. */
static int
control_inet(const struct bytesval *cells, int i, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	const struct bytesval	*b = control_cell(cells, i);
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	static const uint8_t	 any4[4], any16[16];

	if (b == NULL)
		return (0);
	memset(ss, 0, sizeof *ss);
	if (b->v.n == 4) {
		if (memcmp(b->v.p, any4, 4) == 0)
			return (0);
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, b->v.p, 4);
		sin->sin_port = htons(port);
		*len = sizeof *sin;
		return (1);
	}
	if (b->v.n == 16) {
		if (memcmp(b->v.p, any16, 16) == 0)
			return (0);
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, b->v.p, 16);
		sin6->sin6_port = htons(port);
		*len = sizeof *sin6;
		return (1);
	}
	return (0);
}

/* set<text> of decimal tokens; unparsable ones are skipped. */
static void
control_tokens(const struct bytesval *cells, int i,
    struct control_host_info *hi)
{
	const struct bytesval	*b = control_cell(cells, i);
	struct rbuf		 r;
	struct bytesval		 t;
	int32_t			 n, k;
	int64_t			 tok;
	char			*s;

	if (b == NULL)
		return;
	rbuf_init(&r, b->v.p, b->v.n);
	n = rbuf_i32(&r);
	if (!rbuf_ok(&r) || n <= 0 || n > CONTROL_MAX_TOKENS ||
	    (size_t)n > rbuf_left(&r) / 4)
		return;
	hi->tokens = xreallocarray(NULL, (size_t)n, sizeof *hi->tokens);
	for (k = 0; k < n; k++) {
		t = rbuf_bytes(&r);
		if (!rbuf_ok(&r))
			break;
		if (t.state != BYTES_VALUE)
			continue;
		s = slice_dup(t.v);
		if (token_parse(s, &tok) == 0)
			hi->tokens[hi->ntokens++] = tok;
		free(s);
	}
}

/* The columns both system.local and the peers tables have. */
static void
control_row_common(const struct result_rows *rows,
    const struct bytesval *cells, struct control_host_info *hi)
{
	hi->dc = control_text(cells, control_col(rows, "data_center"));
	hi->rack = control_text(cells, control_col(rows, "rack"));
	hi->release_version = control_text(cells,
	    control_col(rows, "release_version"));
	hi->has_host_id = control_uuid(cells, control_col(rows, "host_id"),
	    hi->host_id);
	hi->has_schema_version = control_uuid(cells,
	    control_col(rows, "schema_version"), hi->schema_version);
	control_tokens(cells, control_col(rows, "tokens"), hi);
}

/* Walk rows; fn gets each row's cells.  -1 when the result is not rows. */
static int
control_rows(const struct msg *m,
    void (*fn)(struct control *, const struct result_rows *,
    const struct bytesval *), struct control *ctl)
{
	const struct result_rows	*rows;
	struct rows_reader		 rr;
	struct bytesval			*cells;
	size_t				 ncols;

	if (m == NULL || m->opcode != OP_RESULT ||
	    m->u.result.kind != RESULT_ROWS)
		return (-1);
	rows = &m->u.result.rows;
	ncols = rows->meta.columns_count < 0 ? 0 :
	    (size_t)rows->meta.columns_count;
	cells = xcalloc(ncols + 1, sizeof *cells);
	rows_reader_init(&rr, rows);
	while (rows_reader_next(&rr, cells) == 1)
		fn(ctl, rows, cells);
	free(cells);
	return (0);
}

/* The bytes that tell native addresses apart (as host_same_addr does). */
static size_t
control_addr_key(const struct sockaddr_storage *ss, uint8_t key[19])
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	key[0] = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		memcpy(key + 1, &sin6->sin6_addr, 16);
		memcpy(key + 17, &sin6->sin6_port, 2);
		return (19);
	}
	memcpy(key + 1, &sin->sin_addr, 4);
	memcpy(key + 5, &sin->sin_port, 2);
	return (7);
}

/* FNV-1a: spreads 127.x.y.z and friends well enough for the slots. */
static size_t
control_addr_slot(const uint8_t *key, size_t len)
{
	uint32_t	h = 2166136261U;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619U;
	return (h % CONTROL_SLOTS);
}

/*
 * A new host description for addr, or NULL when an earlier row (index
 * *prev) already named that address or CLUSTER_MAX_HOSTS are listed
 * (*prev is -1 then).  The slots index infos by address, so a node
 * repeating rows costs one probe per row, never a scan.
 */
static struct control_host_info *
control_info_add(struct control *ctl, const struct sockaddr_storage *addr,
    socklen_t addrlen, ssize_t *prev)
{
	struct control_host_info	*hi;
	uint8_t				 key[19], other[19];
	size_t				 klen, i, idx;

	if (ctl->slots == NULL)
		ctl->slots = xcalloc(CONTROL_SLOTS, sizeof *ctl->slots);
	klen = control_addr_key(addr, key);
	for (i = control_addr_slot(key, klen); ctl->slots[i] != 0;
	    i = (i + 1) % CONTROL_SLOTS) {
		idx = ctl->slots[i] - 1;
		if (control_addr_key(&ctl->infos[idx].addr, other) == klen &&
		    memcmp(key, other, klen) == 0) {
			*prev = (ssize_t)idx;
			return (NULL);
		}
	}
	*prev = -1;
	if (ctl->ninfos >= CLUSTER_MAX_HOSTS)
		return (NULL);
	if (ctl->ninfos == ctl->infosize) {
		ctl->infosize = ctl->infosize == 0 ? 16 : ctl->infosize * 2;
		if (ctl->infosize > CLUSTER_MAX_HOSTS)
			ctl->infosize = CLUSTER_MAX_HOSTS;
		ctl->infos = xreallocarray(ctl->infos, ctl->infosize,
		    sizeof *ctl->infos);
	}
	hi = &ctl->infos[ctl->ninfos];
	memset(hi, 0, sizeof *hi);
	memcpy(&hi->addr, addr, addrlen);
	hi->addrlen = addrlen;
	ctl->slots[i] = (uint32_t)++ctl->ninfos;
	return (hi);
}

static void
control_local_row(struct control *ctl, const struct result_rows *rows,
    const struct bytesval *cells)
{
	struct control_host_info	*hi;
	ssize_t				 prev;

	if (ctl->ninfos > 0)
		return;
	/* The control host is system.local, whatever rpc_address says. */
	hi = control_info_add(ctl, &ctl->host->addr, ctl->host->addrlen,
	    &prev);
	if (hi != NULL)
		control_row_common(rows, cells, hi);
}

/*
 * One peer.  A row naming the control host (system.local describes it)
 * or a host an earlier row named is ignored, and so is every row past
 * CLUSTER_MAX_HOSTS: control_peers_done counts them in one warning.
 */
static void
control_peer_row(struct control *ctl, const struct result_rows *rows,
    const struct bytesval *cells)
{
	struct control_host_info	*hi;
	struct sockaddr_storage		 addr;
	socklen_t			 addrlen;
	int32_t				 port;
	uint16_t			 p = cluster_get_config(ctl->c)->port;
	ssize_t				 prev;

	if (control_int(cells, control_col(rows, "native_port"), &port) &&
	    port > 0 && port < 65536)
		p = (uint16_t)port;
	/* peers_v2 native_address, peers rpc_address, else peer. */
	if (!control_inet(cells, control_col(rows, "native_address"), p,
	    &addr, &addrlen) &&
	    !control_inet(cells, control_col(rows, "rpc_address"), p,
	    &addr, &addrlen) &&
	    !control_inet(cells, control_col(rows, "peer"), p, &addr,
	    &addrlen)) {
		ctl->noaddr++;
		return;
	}
	if ((hi = control_info_add(ctl, &addr, addrlen, &prev)) == NULL) {
		/* prev 0 is the control host: system.local has it. */
		if (prev >= 0)
			ctl->dups++;
		else
			ctl->excess++;
		return;
	}
	control_row_common(rows, cells, hi);
	if (hi->dc == NULL || hi->ntokens == 0)
		log_debug("control: peer row without dc or tokens (joining?)");
}

/* Say once a minute at most what the node listed that was ignored. */
static void
control_peers_warn(struct control *ctl)
{
	uint64_t	now = conn_now_ms();

	if (ctl->excess == 0 && ctl->dups == 0 && ctl->noaddr == 0)
		return;
	if (ctl->warned_ms != 0 && now - ctl->warned_ms < CONTROL_WARN_MS) {
		log_debug("control: peers rows ignored: %zu past the limit, "
		    "%zu repeated, %zu without an address", ctl->excess,
		    ctl->dups, ctl->noaddr);
		return;
	}
	ctl->warned_ms = now;
	if (ctl->excess > 0)
		log_warnx("control: %s lists more than %d hosts; %zu peers "
		    "rows ignored", ctl->host->name, CLUSTER_MAX_HOSTS,
		    ctl->excess);
	if (ctl->dups > 0)
		log_warnx("control: %s: %zu peers rows repeat a host (or "
		    "name the control host); ignored", ctl->host->name,
		    ctl->dups);
	if (ctl->noaddr > 0)
		log_warnx("control: %s: %zu peers rows without an address; "
		    "ignored", ctl->host->name, ctl->noaddr);
}

static void control_peers_done(struct conn *, enum conn_error, struct msg *,
    void *);

static void
control_peers_query(struct control *ctl)
{
	control_query(ctl, JOB_PEERS, ctl->peers_v1 ?
	    "SELECT * FROM system.peers" : "SELECT * FROM system.peers_v2",
	    NULL, 0, control_peers_done);
}

static void
control_local_done(struct conn *conn, enum conn_error e, struct msg *m,
    void *arg)
{
	struct control	*ctl = arg;

	if (conn != ctl->conn)
		return;
	ctl->job = JOB_NONE;
	if (e != CONN_OK || control_rows(m, control_local_row, ctl) != 0 ||
	    ctl->ninfos != 1) {
		control_lost(ctl, "system.local could not be read");
		return;
	}
	control_peers_query(ctl);
}

static void
control_peers_done(struct conn *conn, enum conn_error e, struct msg *m,
    void *arg)
{
	struct control	*ctl = arg;

	if (conn != ctl->conn)
		return;
	ctl->job = JOB_NONE;
	if (e == CONN_ESERVER && !ctl->peers_v1 &&
	    (m->u.error.code == ERR_INVALID || m->u.error.code == ERR_SYNTAX ||
	    m->u.error.code == ERR_SERVER)) {
		/* Before 4.0 there is no peers_v2. */
		log_info("control: no system.peers_v2; using system.peers");
		ctl->peers_v1 = 1;
		control_peers_query(ctl);
		return;
	}
	if (e != CONN_OK || control_rows(m, control_peer_row, ctl) != 0) {
		control_lost(ctl, "system.peers could not be read");
		return;
	}
	control_peers_warn(ctl);
	cluster_control_topology(ctl->c, ctl->host, ctl->infos, ctl->ninfos);
	control_infos_clear(ctl);
	/* Hold the cluster's host object from now on, not a contact's. */
	if (ctl->host != NULL) {
		struct host	*h;

		h = cluster_find_host(ctl->c, (struct sockaddr *)&ctl->host->addr,
		    ctl->host->addrlen);
		if (h != NULL && h != ctl->host) {
			host_ref(h);
			host_unref(ctl->host);
			ctl->host = h;
		}
	}
	control_run(ctl);
}

/* Schema. */

static unsigned int
control_allowed_sources(struct control *ctl)
{
	if (cluster_get_config(ctl->c)->metadata_enabled)
		return (SCHEMA_SRC_ALL);
	return (SCHEMA_SRC_BIT(SCHEMA_SRC_KEYSPACES));
}

static void control_schema_done(struct conn *, enum conn_error,
    struct msg *, void *);

/* Query the next source of the refresh in progress, or finish it. */
static void
control_schema_step(struct control *ctl)
{
	struct bytesval		 vals[2];
	const char		*q, *cause;
	struct schema		*next;
	struct schema_target	 t;
	size_t			 nvals;
	int			 src;

	for (src = 0; src < SCHEMA_NSOURCES; src++) {
		if (!(ctl->sources & SCHEMA_SRC_BIT(src)))
			continue;
		q = schema_source_query(src, ctl->cur.kind);
		if (q == NULL) {
			ctl->sources &= ~SCHEMA_SRC_BIT(src);
			continue;
		}
		nvals = 0;
		if (strchr(q, '?') != NULL && ctl->cur.keyspace != NULL)
			vals[nvals++] = bytesval_value(ctl->cur.keyspace,
			    strlen(ctl->cur.keyspace));
		if (nvals == 1 && strchr(strchr(q, '?') + 1, '?') != NULL)
			vals[nvals++] = bytesval_value(ctl->cur.name != NULL ?
			    ctl->cur.name : "", ctl->cur.name != NULL ?
			    strlen(ctl->cur.name) : 0);
		ctl->sources &= ~SCHEMA_SRC_BIT(src);
		ctl->job = JOB_SCHEMA;
		/* Which source this is travels in cur_source. */
		ctl->cur_source = src;
		control_query(ctl, JOB_SCHEMA, q, vals, nvals,
		    control_schema_done);
		return;
	}

	memset(&t, 0, sizeof t);
	t.kind = ctl->cur.kind;
	t.keyspace = ctl->cur.keyspace;
	t.name = ctl->cur.name;
	t.args = ctl->cur.has_args ? (const char *const *)ctl->cur.args :
	    NULL;
	t.nargs = ctl->cur.nargs;
	next = schema_refresh(cluster_schema(ctl->c), &t, ctl->load, &cause);
	if (schema_load_skipped(ctl->load) > 0)
		log_warnx("control: schema: %zu rows skipped (%s)",
		    schema_load_skipped(ctl->load),
		    schema_load_last_error(ctl->load));
	schema_load_free(ctl->load);
	ctl->load = NULL;
	if (next == NULL) {
		log_info("control: schema refresh of %s failed (%s): full "
		    "reload", ctl->cur.keyspace ? ctl->cur.keyspace : "all",
		    cause);
		ctl->need_schema_full = 1;
	} else {
		cluster_control_schema(ctl->c, next);
		if (!ctl->cur_full)
			cluster_control_schema_event(ctl->c,
			    ctl->cur.target_text, ctl->cur.keyspace,
			    ctl->cur.name);
	}
	control_target_clear(&ctl->cur);
	ctl->job = JOB_NONE;
	if (!ctl->loaded && !ctl->need_schema_full && !ctl->need_topology) {
		ctl->loaded = 1;
		cluster_control_loaded(ctl->c, 1, "");
	}
	control_run(ctl);
}

static void
control_schema_done(struct conn *conn, enum conn_error e, struct msg *m,
    void *arg)
{
	struct control	*ctl = arg;
	char		*text;

	if (conn != ctl->conn)
		return;
	ctl->job = JOB_NONE;
	if (e == CONN_ESERVER) {
		text = slice_dup(m->u.error.message);
		log_info("control: system_schema.%s: %s",
		    schema_source_name(ctl->cur_source), text);
		free(text);
	} else if (e != CONN_OK) {
		control_lost(ctl, "system_schema could not be read");
		return;
	} else if (m->opcode == OP_RESULT &&
	    m->u.result.kind == RESULT_ROWS) {
		if (m->u.result.rows.meta.flags & ROWS_HAS_MORE_PAGES)
			log_warnx("control: system_schema.%s is paged; only "
			    "the first page was read",
			    schema_source_name(ctl->cur_source));
		if (schema_load_rows(ctl->load, ctl->cur_source,
		    &m->u.result.rows) < 0)
			log_warnx("control: system_schema.%s unreadable",
			    schema_source_name(ctl->cur_source));
	}
	control_schema_step(ctl);
}

static void
control_schema_begin(struct control *ctl, int full)
{
	ctl->load = schema_load_new();
	ctl->cur_full = full;
	if (full) {
		control_target_clear(&ctl->cur);
		ctl->cur.kind = SCHEMA_TARGET_ALL;
		ctl->sources = control_allowed_sources(ctl);
	} else
		ctl->sources = schema_target_sources(ctl->cur.kind) &
		    control_allowed_sources(ctl);
	control_schema_step(ctl);
}

/* Agreement. */

static void control_agree_local_done(struct conn *, enum conn_error,
    struct msg *, void *);
static void control_agree_peers_done(struct conn *, enum conn_error,
    struct msg *, void *);

static void
control_agree_add(struct control *ctl, const struct sockaddr *sa,
    socklen_t len, int has, const uint8_t v[16], int is_local)
{
	struct host	*h;
	size_t		 i = ctl->nversions;

	/* The cluster holds no more hosts than this: ignore the rest. */
	if (ctl->agree_rows++ >= CLUSTER_MAX_HOSTS)
		return;
	if (is_local)
		h = ctl->host;
	else
		h = cluster_find_host(ctl->c, sa, len);
	if (h == NULL)
		return;
	if (i == ctl->versionsize) {
		ctl->versionsize = i == 0 ? 16 : i * 2;
		ctl->versions = xreallocarray(ctl->versions,
		    ctl->versionsize, sizeof *ctl->versions);
		ctl->vbytes = xreallocarray(ctl->vbytes, ctl->versionsize,
		    sizeof *ctl->vbytes);
	}
	if (has)
		memcpy(ctl->vbytes[i], v, 16);
	ctl->versions[i].host = h;
	/* Pointed into vbytes once every row is in (it moves meanwhile). */
	ctl->versions[i].version = has ? (const uint8_t *)1 : NULL;
	ctl->versions[i].up = is_local || h->state != HOST_DOWN;
	ctl->nversions++;
}

static void
control_agree_row(struct control *ctl, const struct result_rows *rows,
    const struct bytesval *cells)
{
	struct control_host_info	hi;
	uint16_t			p = cluster_get_config(ctl->c)->port;
	int32_t				port;
	int				local;

	memset(&hi, 0, sizeof hi);
	local = ctl->job == JOB_AGREE_LOCAL;
	if (!local) {
		if (control_int(cells, control_col(rows, "native_port"),
		    &port) && port > 0 && port < 65536)
			p = (uint16_t)port;
		if (!control_inet(cells, control_col(rows, "native_address"),
		    p, &hi.addr, &hi.addrlen) &&
		    !control_inet(cells, control_col(rows, "rpc_address"), p,
		    &hi.addr, &hi.addrlen) &&
		    !control_inet(cells, control_col(rows, "peer"), p,
		    &hi.addr, &hi.addrlen))
			return;
	}
	hi.has_schema_version = control_uuid(cells,
	    control_col(rows, "schema_version"), hi.schema_version);
	control_agree_add(ctl, (struct sockaddr *)&hi.addr, hi.addrlen,
	    hi.has_schema_version, hi.schema_version, local);
}

static void
control_agree_begin(struct control *ctl)
{
	ctl->nversions = 0;
	ctl->agree_rows = 0;
	ctl->polls++;
	control_query(ctl, JOB_AGREE_LOCAL,
	    "SELECT schema_version FROM system.local WHERE key='local'",
	    NULL, 0, control_agree_local_done);
}

static void
control_agree_local_done(struct conn *conn, enum conn_error e,
    struct msg *m, void *arg)
{
	struct control	*ctl = arg;

	if (conn != ctl->conn)
		return;
	if (e != CONN_OK || control_rows(m, control_agree_row, ctl) != 0) {
		ctl->job = JOB_NONE;
		control_lost(ctl, "system.local could not be read");
		return;
	}
	ctl->job = JOB_NONE;
	control_query(ctl, JOB_AGREE_PEERS, ctl->peers_v1 ?
	    "SELECT peer, rpc_address, schema_version FROM system.peers" :
	    "SELECT peer, native_address, native_port, schema_version "
	    "FROM system.peers_v2", NULL, 0, control_agree_peers_done);
}

static void control_target_add(struct control *, struct control_target *);

/*
 * Waiters whose agreement is settled (agreed, or time is over) leave the
 * list; those that asked for a refresh queue their target and move to
 * the sync list, answered once the schema work is done.  The rest are
 * called back (after being taken off: callbacks may add more).
 */
static void
control_waiters_settle(struct control *ctl, int agreed)
{
	struct control_waiter	*done;
	uint64_t		 now = conn_now_ms();
	size_t			 i, j, ndone = 0;

	done = xcalloc(ctl->nwaiters + 1, sizeof *done);
	for (i = j = 0; i < ctl->nwaiters; i++) {
		/* A poll begun before the waiter came says nothing about it. */
		if ((agreed && ctl->polls >= ctl->waiters[i].min_poll) ||
		    now >= ctl->waiters[i].deadline)
			done[ndone++] = ctl->waiters[i];
		else
			ctl->waiters[j++] = ctl->waiters[i];
	}
	ctl->nwaiters = j;
	if (ctl->nwaiters > 0) {
		ctl->agree_due = 1;
		if (!evtimer_pending(ctl->agree_ev, NULL))
			control_timer(ctl->agree_ev, CONTROL_AGREE_POLL_MS);
	}
	for (i = 0; i < ndone; i++) {
		done[i].agreed = agreed && ctl->polls >= done[i].min_poll;
		if (!done[i].agreed)
			cluster_metrics(ctl->c)->schema_agreement_timeouts++;
		if (done[i].refresh) {
			/* Refresh now: the caller waits for it, not a window. */
			control_target_add(ctl, &done[i].target);
			evtimer_del(ctl->schema_ev);
			ctl->syncs = xreallocarray(ctl->syncs, ctl->nsyncs + 1,
			    sizeof *ctl->syncs);
			ctl->syncs[ctl->nsyncs++] = done[i];
			if (!evtimer_pending(ctl->agree_ev, NULL))
				control_timer(ctl->agree_ev,
				    CONTROL_AGREE_POLL_MS);
			continue;
		}
		done[i].cb(ctl->c, done[i].agreed, done[i].arg);
	}
	free(done);
}

/* Answer syncs: all of them once the schema work is done, else late ones. */
static void
control_syncs_settle(struct control *ctl, int idle)
{
	struct control_waiter	*done;
	uint64_t		 now = conn_now_ms();
	size_t			 i, j, ndone = 0;

	if (ctl->nsyncs == 0)
		return;
	done = xcalloc(ctl->nsyncs + 1, sizeof *done);
	for (i = j = 0; i < ctl->nsyncs; i++) {
		if (idle || now >= ctl->syncs[i].deadline + CONTROL_SYNC_GRACE_MS)
			done[ndone++] = ctl->syncs[i];
		else
			ctl->syncs[j++] = ctl->syncs[i];
	}
	ctl->nsyncs = j;
	for (i = 0; i < ndone; i++) {
		control_target_clear(&done[i].target);
		done[i].cb(ctl->c, done[i].agreed, done[i].arg);
	}
	free(done);
}

static void
control_agree_peers_done(struct conn *conn, enum conn_error e,
    struct msg *m, void *arg)
{
	struct control		*ctl = arg;
	size_t			 i, ndistinct = 0;
	int			 agreed;

	if (conn != ctl->conn)
		return;
	if (e != CONN_OK || control_rows(m, control_agree_row, ctl) != 0) {
		ctl->job = JOB_NONE;
		control_lost(ctl, "system.peers could not be read");
		return;
	}
	ctl->job = JOB_NONE;
	for (i = 0; i < ctl->nversions; i++) {
		if (ctl->versions[i].version != NULL)
			ctl->versions[i].version = ctl->vbytes[i];
	}
	agreed = schema_versions_agree(ctl->versions, ctl->nversions, NULL,
	    &ndistinct);
	log_debug("control: schema versions of %zu hosts: %zu distinct%s",
	    ctl->nversions, ndistinct, agreed ? ", agreed" : "");
	control_waiters_settle(ctl, agreed);
	control_run(ctl);
}

/* Poll again, and give up on waiters whose time is over. */
static void
control_agree_fire(evutil_socket_t fd, short events, void *arg)
{
	struct control		*ctl = arg;

	control_waiters_settle(ctl, 0);
	control_syncs_settle(ctl, 0);
	if (ctl->nsyncs > 0 && !evtimer_pending(ctl->agree_ev, NULL))
		control_timer(ctl->agree_ev, CONTROL_AGREE_POLL_MS);
	control_run(ctl);
}

static void
control_waiter_add(struct control *ctl, int wait_ms, cluster_agreement_cb cb,
    void *arg, struct control_target *t)
{
	struct control_waiter	*w;

	ctl->waiters = xreallocarray(ctl->waiters, ctl->nwaiters + 1,
	    sizeof *ctl->waiters);
	w = &ctl->waiters[ctl->nwaiters++];
	memset(w, 0, sizeof *w);
	w->deadline = conn_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
	w->cb = cb;
	w->arg = arg;
	w->min_poll = ctl->polls + 1;
	if (t != NULL) {
		w->refresh = 1;
		w->target = *t;
	}
	ctl->agree_due = 1;
	if (!evtimer_pending(ctl->agree_ev, NULL))
		control_timer(ctl->agree_ev, wait_ms < CONTROL_AGREE_POLL_MS ?
		    wait_ms : CONTROL_AGREE_POLL_MS);
	/* Never call back from here: the check runs from the loop. */
	control_timer(ctl->run_ev, 0);
}

void
control_wait_agreement(struct control *ctl, int wait_ms,
    cluster_agreement_cb cb, void *arg)
{
	control_waiter_add(ctl, wait_ms, cb, arg, NULL);
}

/* Events. */

static enum schema_target_kind
control_target_kind(struct slice target)
{
	if (slice_eq(target, "KEYSPACE"))
		return (SCHEMA_TARGET_KEYSPACE);
	if (slice_eq(target, "TABLE"))
		return (SCHEMA_TARGET_TABLE);
	if (slice_eq(target, "TYPE"))
		return (SCHEMA_TARGET_TYPE);
	if (slice_eq(target, "FUNCTION"))
		return (SCHEMA_TARGET_FUNCTION);
	if (slice_eq(target, "AGGREGATE"))
		return (SCHEMA_TARGET_AGGREGATE);
	return (SCHEMA_TARGET_ALL);
}

static int
control_target_same(const struct control_target *a,
    const struct control_target *b)
{
	if (a->kind != b->kind || a->has_args)
		return (0);
	if ((a->keyspace == NULL) != (b->keyspace == NULL) ||
	    (a->keyspace != NULL && strcmp(a->keyspace, b->keyspace) != 0))
		return (0);
	if ((a->name == NULL) != (b->name == NULL) ||
	    (a->name != NULL && strcmp(a->name, b->name) != 0))
		return (0);
	return (1);
}

/* A target from a SCHEMA_CHANGE's strings (owned copies). */
static void
control_target_make(struct control_target *t, struct slice target,
    struct slice ks, struct slice name, const struct slice *args,
    size_t nargs)
{
	size_t	i;

	memset(t, 0, sizeof *t);
	t->kind = control_target_kind(target);
	t->target_text = slice_dup(target);
	if (t->kind == SCHEMA_TARGET_ALL)
		return;
	t->keyspace = slice_dup(ks);
	if (t->kind != SCHEMA_TARGET_KEYSPACE)
		t->name = slice_dup(name);
	if (t->kind == SCHEMA_TARGET_FUNCTION ||
	    t->kind == SCHEMA_TARGET_AGGREGATE) {
		t->has_args = 1;
		t->nargs = nargs > SCHEMA_MAX_ARGS ? 0 : nargs;
		if (t->nargs > 0)
			t->args = xcalloc(t->nargs, sizeof *t->args);
		for (i = 0; i < t->nargs; i++)
			t->args[i] = slice_dup(args[i]);
	}
}

static void
control_target_dup(struct control_target *to, const struct control_target *t)
{
	size_t	i;

	*to = *t;
	to->keyspace = t->keyspace != NULL ? xstrdup(t->keyspace) : NULL;
	to->name = t->name != NULL ? xstrdup(t->name) : NULL;
	to->target_text = t->target_text != NULL ? xstrdup(t->target_text) :
	    NULL;
	to->args = NULL;
	if (t->nargs > 0) {
		to->args = xcalloc(t->nargs, sizeof *to->args);
		for (i = 0; i < t->nargs; i++)
			to->args[i] = xstrdup(t->args[i]);
	}
}

/* Queue a copy of t (once); too many distinct ones: reload everything. */
static void
control_target_add(struct control *ctl, struct control_target *t)
{
	size_t	i;

	if (t->kind == SCHEMA_TARGET_ALL) {
		ctl->need_schema_full = 1;
		return;
	}
	for (i = 0; i < ctl->ntargets; i++) {
		if (control_target_same(&ctl->targets[i], t))
			return;
	}
	if (ctl->ntargets >= CONTROL_MAX_TARGETS) {
		ctl->need_schema_full = 1;
		return;
	}
	ctl->targets = xreallocarray(ctl->targets, ctl->ntargets + 1,
	    sizeof *ctl->targets);
	control_target_dup(&ctl->targets[ctl->ntargets++], t);
}

static void
control_schema_event(struct control *ctl, const struct schema_change *sc)
{
	struct control_target	t;

	control_target_make(&t, sc->target, sc->keyspace, sc->name,
	    sc->args.e, sc->args.n);
	control_target_add(ctl, &t);
	control_target_clear(&t);
	control_debounce(ctl->schema_ev,
	    cluster_get_config(ctl->c)->schema_window_ms);
}

void
control_schema_sync(struct control *ctl, int wait_ms, const char *target,
    const char *ks, const char *name, const char *const *args, size_t nargs,
    cluster_agreement_cb cb, void *arg)
{
	struct control_target	 t;
	struct slice		*sa = NULL;
	size_t			 i;

	if (nargs > 0)
		sa = xcalloc(nargs, sizeof *sa);
	for (i = 0; i < nargs; i++)
		sa[i] = slice_cstr(args[i]);
	control_target_make(&t, slice_cstr(target != NULL ? target : ""),
	    slice_cstr(ks != NULL ? ks : ""),
	    slice_cstr(name != NULL ? name : ""), sa, nargs);
	free(sa);
	control_waiter_add(ctl, wait_ms, cb, arg, &t);
}

static void
control_event(struct conn *conn, struct msg *m, void *arg)
{
	struct control			*ctl = arg;
	const struct msg_event		*ev = &m->u.event;
	const struct cluster_config	*cfg = cluster_get_config(ctl->c);
	struct sockaddr_storage		 ss;
	socklen_t			 len;
	struct host			*h;

	if (conn != ctl->conn)
		return;
	cluster_metrics(ctl->c)->events++;
	if (slice_eq(ev->type, "SCHEMA_CHANGE")) {
		control_schema_event(ctl, &ev->schema);
		return;
	}
	if (slice_eq(ev->type, "TOPOLOGY_CHANGE")) {
		control_debounce(ctl->topo_ev, cfg->topology_window_ms);
		return;
	}
	if (!slice_eq(ev->type, "STATUS_CHANGE"))
		return;
	memset(&ss, 0, sizeof ss);
	if (ev->node.alen == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ev->node.addr, 4);
		sin->sin_port = htons(cfg->port);
		len = sizeof *sin;
	} else if (ev->node.alen == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ev->node.addr, 16);
		sin6->sin6_port = htons(cfg->port);
		len = sizeof *sin6;
	} else
		return;
	h = cluster_find_host(ctl->c, (struct sockaddr *)&ss, len);
	if (h == NULL) {
		/* A node we do not know: read the peers again. */
		control_debounce(ctl->status_ev, cfg->status_window_ms);
		return;
	}
	log_debug("control: %s is %.*s (event)", h->name,
	    (int)ev->change.n, (const char *)ev->change.p);
	cluster_control_status(ctl->c, h, slice_eq(ev->change, "UP"));
}

/* The job runner: one query at a time, most structural first. */
static void
control_run(struct control *ctl)
{
	size_t	i;

	if (ctl->state != CTL_OPEN || ctl->conn == NULL ||
	    ctl->job != JOB_NONE)
		return;
	if (ctl->need_topology) {
		ctl->need_topology = 0;
		control_infos_clear(ctl);
		control_query(ctl, JOB_LOCAL,
		    "SELECT * FROM system.local WHERE key='local'", NULL, 0,
		    control_local_done);
		return;
	}
	if (ctl->need_schema_full) {
		ctl->need_schema_full = 0;
		for (i = 0; i < ctl->ntargets; i++)
			control_target_clear(&ctl->targets[i]);
		ctl->ntargets = 0;
		evtimer_del(ctl->schema_ev);
		control_schema_begin(ctl, 1);
		return;
	}
	/* A DDL caller waiting (syncs) does not wait for the window. */
	if (ctl->ntargets > 0 && (ctl->nsyncs > 0 ||
	    !evtimer_pending(ctl->schema_ev, NULL))) {
		ctl->cur = ctl->targets[0];
		memmove(&ctl->targets[0], &ctl->targets[1],
		    (ctl->ntargets - 1) * sizeof *ctl->targets);
		ctl->ntargets--;
		if (!cluster_get_config(ctl->c)->metadata_enabled &&
		    ctl->cur.kind != SCHEMA_TARGET_KEYSPACE) {
			control_target_clear(&ctl->cur);
			control_run(ctl);
			return;
		}
		control_schema_begin(ctl, 0);
		return;
	}
	if (ctl->nsyncs > 0) {
		control_syncs_settle(ctl, 1);
		control_run(ctl);
		return;
	}
	if (ctl->nwaiters > 0 && ctl->agree_due && ctl->loaded) {
		ctl->agree_due = 0;
		control_agree_begin(ctl);
		return;
	}
}
