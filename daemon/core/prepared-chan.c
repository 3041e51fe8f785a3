/*
 * prepared-chan.c: the keyspace channels of the prepared cache (see
 * prepared.h): per host one connection of its own, opened on demand,
 * carrying one request at a time, where a PREPARE under a keyspace is
 * preceded by `USE "ks"` whenever the connection is in another keyspace.
 * Pool connections are shared by every request and never change
 * keyspace; this one belongs to the cache alone.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
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
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "prepared.h"
#include "prepared-int.h"

static void	chan_destroy(struct pchan *, const char *, int);
static void	chan_kick(struct pchan *);

static struct result *
prepared_error_result(enum core_error e, struct host *h, const char *why)
{
	struct result	*r = result_new();

	result_set_error(r, e, "keyspace channel to %s: %s",
	    h != NULL ? h->name : "?", why);
	if (h != NULL)
		result_add_attempt(r, h->name, e, 0, r->message);
	return (r);
}

/* Keyspace channels. */

static struct pchan *
chan_find(struct prepared_cache *pc, struct host *h)
{
	struct pchan	*ch;

	LIST_FOREACH(ch, &pc->chans, entry) {
		if (ch->host == h)
			return (ch);
	}
	return (NULL);
}

static void
chan_conn_drop(struct pchan *ch)
{
	if (ch->conn != NULL) {
		conn_free(ch->conn);
		ch->conn = NULL;
		ch->cache->m.channels_open--;
	}
	free(ch->keyspace);
	ch->keyspace = NULL;
}

/* Fail hp (the queue's head or cur) with a connection error. */
static void
chan_fail_one(struct pchan *ch, struct hostprep *hp, enum core_error e,
    const char *why)
{
	struct result	*r;

	TAILQ_REMOVE(&ch->queue, hp, qentry);
	hp->chan = NULL;
	if (ch->cur == hp)
		ch->cur = NULL;
	r = prepared_error_result(e, ch->host, why);
	hostprep_done(hp, r);
	result_free(r);
}

/* Fail what is queued now (not what callbacks queue meanwhile). */
static void
chan_fail_all(struct pchan *ch, const char *why)
{
	TAILQ_HEAD(, hostprep)	 q;
	struct hostprep		*hp;
	struct result		*r;

	TAILQ_INIT(&q);
	while ((hp = TAILQ_FIRST(&ch->queue)) != NULL) {
		TAILQ_REMOVE(&ch->queue, hp, qentry);
		TAILQ_INSERT_TAIL(&q, hp, qentry);
	}
	ch->cur = NULL;
	while ((hp = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, hp, qentry);
		hp->chan = NULL;
		r = prepared_error_result(CORE_ECONNECTION, ch->host, why);
		hostprep_done(hp, r);
		result_free(r);
	}
}

static void
chan_ready(struct conn *conn, enum conn_error e, void *arg)
{
	struct pchan	*ch = arg;
	char		 why[256];

	if (e == CONN_OK) {
		chan_kick(ch);
		return;
	}
	snprintf(why, sizeof why, "connect failed: %s", conn_why(conn));
	chan_conn_drop(ch);
	chan_fail_all(ch, why);
	chan_kick(ch);
}

static void
chan_closed(struct conn *conn, enum conn_error e, void *arg)
{
	struct pchan	*ch = arg;

	/* The request on the wire hears CONN_ECLOSED right after this. */
	log_debug("prepared: keyspace channel to %s closed: %s",
	    ch->host->name, conn_why(conn));
	chan_conn_drop(ch);
	chan_kick(ch);
}

static void
chan_answer(struct conn *conn, enum conn_error e, struct msg *m, void *arg)
{
	struct hostprep	*hp = arg;
	struct pchan	*ch = hp->chan;
	struct result	*r;

	ch->cur = NULL;
	if (hp->stage == HP_USE && e == CONN_OK &&
	    m->opcode == OP_RESULT && m->u.result.kind == RESULT_SET_KEYSPACE) {
		free(ch->keyspace);
		ch->keyspace = xstrdup(hp->pe->p.keyspace);
		hp->stage = HP_QUEUED;
		chan_kick(ch);
		return;
	}
	TAILQ_REMOVE(&ch->queue, hp, qentry);
	hp->chan = NULL;
	r = result_new();
	if (e == CONN_OK || e == CONN_ESERVER) {
		if (result_from_msg(r, m) == 0 && hp->stage == HP_USE &&
		    r->error == CORE_OK)
			result_set_error(r, CORE_EPROTOCOL, "USE answered "
			    "with a %s result", result_kind_name(r->kind));
	} else
		result_set_error(r, e == CONN_EPROTO ? CORE_EPROTOCOL :
		    e == CONN_ETIMEOUT ? CORE_ETIMEOUT : CORE_ECONNECTION,
		    "keyspace channel to %s: %s", ch->host->name,
		    conn_error_name(e));
	if (r->error != CORE_OK && r->error != CORE_ESERVER)
		result_add_attempt(r, ch->host->name, r->error, 0, r->message);
	result_set_host(r, ch->host);
	hostprep_done(hp, r);
	result_free(r);
	chan_kick(ch);
}

/* `USE "ks"`, with the quotes inside the name doubled. */
static char *
chan_use_text(const char *ks)
{
	char	*s, *p;

	s = p = xmalloc(strlen(ks) * 2 + 8);
	p = stpcpy(p, "USE \"");
	for (; *ks != '\0'; ks++) {
		if (*ks == '"')
			*p++ = '"';
		*p++ = *ks;
	}
	*p++ = '"';
	*p = '\0';
	return (s);
}

/* Send the head of the queue: USE first when the keyspace differs. */
static void
chan_pump(struct pchan *ch)
{
	struct prepared_cache	*pc = ch->cache;
	struct hostprep		*hp;
	struct conn_config	 cc;
	struct conn_cbs		 cbs;
	struct pool		*p;
	struct msg		 m;
	struct timeval		 tv;
	enum conn_error		 e;
	char			*use = NULL;
	int			 to;

	if (ch->cur != NULL)
		return;
	if ((hp = TAILQ_FIRST(&ch->queue)) == NULL) {
		if (ch->conn != NULL && pc->cfg.channel_idle_ms > 0) {
			tv.tv_sec = pc->cfg.channel_idle_ms / 1000;
			tv.tv_usec = (pc->cfg.channel_idle_ms % 1000) * 1000;
			evtimer_add(ch->idle, &tv);
		}
		return;
	}
	evtimer_del(ch->idle);
	if (ch->conn == NULL) {
		cc = cluster_get_config(pc->c)->pool.conn;
		p = cluster_pool(pc->c, ch->host);
		if (p != NULL && pool_version(p) != 0)
			cc.version = pool_version(p);
		else if (cluster_version(pc->c) != 0)
			cc.version = cluster_version(pc->c);
		memset(&cbs, 0, sizeof cbs);
		cbs.ready = chan_ready;
		cbs.closed = chan_closed;
		cbs.arg = ch;
		ch->conn = conn_new(pc->base, ch->host, &cc, &cbs);
		pc->m.channels++;
		pc->m.channels_open++;
		conn_connect(ch->conn);
		return;
	}
	if (conn_state(ch->conn) != CONN_READY)
		return;

	memset(&m, 0, sizeof m);
	if (ch->keyspace == NULL || strcmp(ch->keyspace,
	    hp->pe->p.keyspace) != 0) {
		use = chan_use_text(hp->pe->p.keyspace);
		m.opcode = OP_QUERY;
		m.u.query.query = slice_cstr(use);
		m.u.query.params.consistency = CL_ONE;
		hp->stage = HP_USE;
		pc->m.uses++;
	} else {
		m.opcode = OP_PREPARE;
		m.u.prepare.query.p = (const uint8_t *)hp->pe->p.query;
		m.u.prepare.query.n = hp->pe->p.querylen;
		hp->stage = HP_PREPARE;
		pc->m.prepares++;
	}
	to = pc->cfg.timeout_ms != 0 ? pc->cfg.timeout_ms :
	    cluster_get_config(pc->c)->request_timeout_ms;
	e = conn_send(ch->conn, &m, 0, to > 0 ? to : -1, chan_answer, hp,
	    &hp->connreq);
	free(use);
	if (e == CONN_OK) {
		ch->cur = hp;
		return;
	}
	chan_fail_one(ch, hp, e == CONN_EENCODE ? CORE_EUSAGE :
	    CORE_ECONNECTION, conn_error_name(e));
	if (e != CONN_EENCODE)
		chan_conn_drop(ch);
	chan_kick(ch);
}

static void
chan_kick_fire(evutil_socket_t fd, short events, void *arg)
{
	struct pchan	*ch = arg;

	if (ch->drop) {
		chan_destroy(ch, "host down or removed", 1);
		return;
	}
	chan_pump(ch);
}

static void
chan_kick(struct pchan *ch)
{
	prepared_defer(ch->kick);
}

/* Idle long enough: give the node its connection back. */
static void
chan_idle_fire(evutil_socket_t fd, short events, void *arg)
{
	struct pchan	*ch = arg;

	if (ch->cur == NULL && TAILQ_EMPTY(&ch->queue))
		chan_destroy(ch, "idle", 1);
}

void
pchan_enqueue(struct prepared_cache *pc, struct hostprep *hp)
{
	struct pchan	*ch;

	if ((ch = chan_find(pc, hp->host)) == NULL) {
		ch = xcalloc(1, sizeof *ch);
		ch->cache = pc;
		ch->host = host_ref(hp->host);
		TAILQ_INIT(&ch->queue);
		ch->kick = evtimer_new(pc->base, chan_kick_fire, ch);
		ch->idle = evtimer_new(pc->base, chan_idle_fire, ch);
		LIST_INSERT_HEAD(&pc->chans, ch, entry);
	}
	hp->chan = ch;
	hp->stage = HP_QUEUED;
	TAILQ_INSERT_TAIL(&ch->queue, hp, qentry);
	chan_kick(ch);
}

/* A loop turn after chan_destroy: none of the channel's callbacks runs. */
static void
chan_free_now(evutil_socket_t fd, short events, void *arg)
{
	struct pchan	*ch = arg;

	event_free(ch->kick);
	event_free(ch->idle);
	host_unref(ch->host);
	free(ch);
}

/*
 * Close the channel, failing what it still holds, and free it: a loop
 * turn later when called from one of its own timers (later), so the
 * running event is never freed under its callback.
 */
static void
chan_destroy(struct pchan *ch, const char *why, int later)
{
	struct event_base	*base = ch->cache->base;
	struct hostprep		*hp;
	struct timeval		 tv = { 0, 0 };

	LIST_REMOVE(ch, entry);		/* new work makes a new channel */
	if ((hp = ch->cur) != NULL) {
		if (ch->conn != NULL)
			conn_cancel(ch->conn, hp->connreq);
		ch->cur = NULL;
	}
	chan_conn_drop(ch);
	chan_fail_all(ch, why);
	/* Nothing reaches ch now; its timers must not fire meanwhile. */
	evtimer_del(ch->kick);
	evtimer_del(ch->idle);
	if (!later) {
		chan_free_now(-1, 0, ch);
		return;
	}
	if (event_base_once(base, -1, EV_TIMEOUT, chan_free_now, ch, &tv) != 0)
		fatalx("event_base_once failed");
}

void
pchan_host_gone(struct prepared_cache *pc, struct host *h)
{
	struct pchan	*ch;

	if ((ch = chan_find(pc, h)) != NULL) {
		ch->drop = 1;
		chan_kick(ch);
	}
}

void
pchan_destroy_all(struct prepared_cache *pc, const char *why)
{
	struct pchan	*ch;

	/* Not from a channel's callback: free at once. */
	while ((ch = LIST_FIRST(&pc->chans)) != NULL)
		chan_destroy(ch, why, 0);
}
