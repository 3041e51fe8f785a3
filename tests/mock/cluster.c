/*
 * cluster.c: the set of mock nodes: their placement (data center, rack),
 * tokens and host ids, registered with the engine so that system.local and
 * system.peers describe them, and the changes the control socket asks for
 * (stop, kill, start, add, remove) with the events other nodes push.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "db.h"
#include "mock.h"

/* A token no node has yet; INT64_MIN is the ring's minimum, never a token. */
static int64_t
cluster_new_token(struct cluster *c)
{
	struct node	*n;
	int64_t		 t;
	size_t		 j;
	int		 i, dup;

	for (;;) {
		t = (int64_t)rng_next(&c->rng);
		if (t == INT64_MIN)
			continue;
		dup = 0;
		for (i = 0; i < c->nnodes && !dup; i++) {
			n = c->nodes[i];
			for (j = 0; j < n->ntokens; j++) {
				if (n->tokens[j] == t) {
					dup = 1;
					break;
				}
			}
		}
		if (!dup)
			return (t);
	}
}

static int
cluster_token_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Tell the engine what this node is; system.local/peers follow. */
void
cluster_publish(struct cluster *c, struct node *n)
{
	struct db_node	dn;

	memset(&dn, 0, sizeof dn);
	dn.address = n->addr;
	dn.dc = n->dc;
	dn.rack = n->rack;
	memcpy(dn.host_id, n->host_id, 16);
	dn.tokens = n->tokens;
	dn.ntokens = n->ntokens;
	dn.release_version = MOCK_RELEASE_VERSION;
	dn.native_port = c->port;
	dn.up = n->state == NODE_UP;
	if (db_node_set(c->db, n->index, &dn) != 0)
		fatalx("engine refused node %d", n->id);
}

/* A new node (not yet listening) in data center dc. */
static struct node *
cluster_node_new(struct cluster *c, struct cluster_dc *dc)
{
	struct node	*n;
	int		 i, indc = 0;

	for (i = 0; i < c->nnodes; i++) {
		if (strcmp(c->nodes[i]->dc, dc->name) == 0)
			indc++;
	}
	n = xcalloc(1, sizeof *n);
	n->cluster = c;
	n->index = c->nnodes;
	n->id = c->nnodes + 1;
	n->ip[0] = 127;
	n->ip[3] = n->id;
	snprintf(n->addr, sizeof n->addr, "127.0.0.%d", n->id);
	n->dc = xstrdup(dc->name);
	xasprintf(&n->rack, "rack%d", indc % c->racks + 1);
	rng_uuid4(&c->rng, n->host_id);
	n->state = NODE_DOWN;
	TAILQ_INIT(&n->sessions);
	TAILQ_INIT(&n->faults);
	n->tokens = xcalloc(c->num_tokens, sizeof *n->tokens);
	for (n->ntokens = 0; n->ntokens < (size_t)c->num_tokens; n->ntokens++)
		n->tokens[n->ntokens] = cluster_new_token(c);
	qsort(n->tokens, n->ntokens, sizeof *n->tokens, cluster_token_cmp);
	c->nodes[c->nnodes++] = n;
	return (n);
}

struct cluster *
cluster_new(struct event_base *base, struct cluster_dc *dcs, size_t ndcs,
    int racks, int num_tokens, int port, uint64_t seed)
{
	struct cluster	*c;
	size_t		 i;
	int		 k;

	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->dcs = dcs;
	c->ndcs = ndcs;
	c->racks = racks;
	c->num_tokens = num_tokens;
	c->port = port;
	c->max_body = MOCK_MAX_BODY_DEFAULT;
	c->out_cap = MOCK_OUT_CAP_DEFAULT;
	c->trace_delay_ms = 5;
	rng_seed(&c->rng, seed);
	if ((c->db = db_new(MOCK_CLUSTER_NAME)) == NULL)
		fatalx("db_new");
	for (i = 0; i < ndcs; i++) {
		for (k = 0; k < dcs[i].count; k++)
			cluster_node_new(c, &dcs[i]);
	}
	return (c);
}

/* Start every node; the cluster is then what `ready` promises. */
int
cluster_listen(struct cluster *c)
{
	struct node	*n;
	int		 i;

	for (i = 0; i < c->nnodes; i++) {
		n = c->nodes[i];
		if (node_listen(n) != 0)
			return (-1);
		n->state = NODE_UP;
		cluster_publish(c, n);
	}
	return (0);
}

void
cluster_free(struct cluster *c)
{
	int	i;

	for (i = 0; i < c->nnodes; i++)
		node_free(c->nodes[i]);
	db_free(c->db);
	for (i = 0; i < (int)c->ndcs; i++)
		free(c->dcs[i].name);
	free(c->dcs);
	free(c);
}

struct node *
cluster_node(struct cluster *c, int id)
{
	if (id < 1 || id > c->nnodes)
		return (NULL);
	return (c->nodes[id - 1]);
}

static const char *
cluster_state_error(struct node *n)
{
	static char	buf[64];

	snprintf(buf, sizeof buf, "node %d is %s", n->id,
	    n->state == NODE_UP ? "up" : n->state == NODE_DOWN ? "down" :
	    "removed");
	return (buf);
}

static void
cluster_down_cb(evutil_socket_t fd, short events, void *arg)
{
	struct node	*n = arg;

	events_status(n->cluster, n, "DOWN");
}

/* A DOWN still waiting for its timer goes out now, before what follows. */
static void
cluster_down_flush(struct node *n)
{
	if (n->down_ev != NULL && evtimer_pending(n->down_ev, NULL)) {
		evtimer_del(n->down_ev);
		events_status(n->cluster, n, "DOWN");
	}
}

/*
 * Take a node down: its listener and connections go first (flushed if
 * graceful, cut if killed), and the others tell their clients a little
 * later, as a real cluster's peers notice a node only after it is gone.
 * Drivers ignore a DOWN while they still hold an open connection to the
 * node, so the order matters.
 */
int
cluster_stop(struct cluster *c, struct node *n, int graceful,
    const char **errp)
{
	struct timeval	tv = { 0, MOCK_DOWN_DELAY_MS * 1000 };

	if (n->state != NODE_UP) {
		*errp = cluster_state_error(n);
		return (-1);
	}
	n->state = NODE_DOWN;
	db_node_set_up(c->db, n->index, 0);
	node_unlisten(n);
	node_close_sessions(n, graceful);
	if (n->down_ev == NULL &&
	    (n->down_ev = evtimer_new(c->base, cluster_down_cb, n)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(n->down_ev, &tv);
	return (0);
}

int
cluster_start(struct cluster *c, struct node *n, const char **errp)
{
	if (n->state != NODE_DOWN) {
		*errp = cluster_state_error(n);
		return (-1);
	}
	if (node_listen(n) != 0) {
		*errp = "cannot listen";
		return (-1);
	}
	cluster_down_flush(n);
	n->state = NODE_UP;
	db_node_set_up(c->db, n->index, 1);
	events_status(c, n, "UP");
	return (0);
}

/* Bootstrap a new node into data center dcname (the first if NULL). */
struct node *
cluster_add(struct cluster *c, const char *dcname, const char **errp)
{
	struct cluster_dc	*dc = NULL;
	struct node		*n;
	size_t			 i;

	if (c->nnodes >= MOCK_MAX_NODES) {
		*errp = "too many nodes";
		return (NULL);
	}
	for (i = 0; i < c->ndcs; i++) {
		if (dcname == NULL || strcmp(c->dcs[i].name, dcname) == 0) {
			dc = &c->dcs[i];
			break;
		}
	}
	if (dc == NULL) {
		*errp = "no such data center";
		return (NULL);
	}
	n = cluster_node_new(c, dc);
	if (node_listen(n) != 0) {
		c->nodes[--c->nnodes] = NULL;
		node_free(n);
		*errp = "cannot listen";
		return (NULL);
	}
	dc->count++;
	n->state = NODE_UP;
	cluster_publish(c, n);
	events_topology(c, n, "NEW_NODE");
	events_status(c, n, "UP");
	return (n);
}

/* The node leaves the ring (decommission); its id is not reused. */
int
cluster_remove(struct cluster *c, struct node *n, const char **errp)
{
	if (n->state == NODE_REMOVED) {
		*errp = cluster_state_error(n);
		return (-1);
	}
	cluster_down_flush(n);
	n->state = NODE_REMOVED;
	db_node_remove(c->db, n->index);
	node_unlisten(n);
	events_topology(c, n, "REMOVED_NODE");
	node_close_sessions(n, 1);
	return (0);
}
