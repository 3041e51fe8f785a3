/*
 * events.c: pushed EVENT frames (stream -1) to the connections that asked
 * for them with REGISTER. Topology and status changes of a node are told
 * by the other nodes that are up; schema changes by every node that is up.
 */
#include <string.h>
#include <strings.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "mock.h"

static const struct {
	const char	*name;
	int		 mask;
} events_names[] = {
	{ "TOPOLOGY_CHANGE", EVENT_TOPOLOGY },
	{ "STATUS_CHANGE", EVENT_STATUS },
	{ "SCHEMA_CHANGE", EVENT_SCHEMA },
};

/* The EVENT_* bit of an event type name, or 0 if there is no such type. */
int
events_parse(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < nitems(events_names); i++) {
		if (strlen(events_names[i].name) == n &&
		    memcmp(events_names[i].name, p, n) == 0)
			return (events_names[i].mask);
	}
	return (0);
}

/*
 * Send one event body to every registered connection of the chosen
 * nodes. The body is the same in v3 and v4; only the header differs.
 */
static void
events_send(struct cluster *c, struct node *except, int mask,
    const struct wbuf *body)
{
	struct node	*n;
	struct session	*s, *s1;
	struct wbuf	 w;
	size_t		 start;
	int		 i;

	wbuf_init(&w, 0);
	for (i = 0; i < c->nnodes; i++) {
		n = c->nodes[i];
		if (n == except || n->state != NODE_UP)
			continue;
		TAILQ_FOREACH_SAFE(s, &n->sessions, entry, s1) {
			if (!session_registered(s, mask))
				continue;
			wbuf_reset(&w);
			start = frame_begin(&w, s->version, 1, 0, -1, OP_EVENT);
			wbuf_raw(&w, body->p, body->len);
			frame_end(&w, start);
			if (wbuf_ok(&w))
				session_send(s, w.p, w.len);
		}
	}
	wbuf_free(&w);
}

static void
events_node(struct cluster *c, struct node *n, const char *type, int mask,
    const char *change)
{
	struct wbuf	body;

	log_info("node %d: %s %s", n->id, type, change);
	wbuf_init(&body, 0);
	wbuf_string(&body, type);
	wbuf_string(&body, change);
	wbuf_inet(&body, n->ip, 4, c->port);
	events_send(c, n, mask, &body);
	wbuf_free(&body);
}

void
events_topology(struct cluster *c, struct node *n, const char *change)
{
	events_node(c, n, "TOPOLOGY_CHANGE", EVENT_TOPOLOGY, change);
}

void
events_status(struct cluster *c, struct node *n, const char *change)
{
	events_node(c, n, "STATUS_CHANGE", EVENT_STATUS, change);
}

void
events_schema(struct cluster *c, const char *change, const char *target,
    const char *keyspace, const char *name, const char **args, size_t nargs)
{
	struct wbuf	body;
	size_t		i;

	wbuf_init(&body, 0);
	wbuf_string(&body, "SCHEMA_CHANGE");
	wbuf_string(&body, change);
	wbuf_string(&body, target);
	wbuf_string(&body, keyspace);
	if (strcmp(target, "KEYSPACE") != 0)
		wbuf_string(&body, name);
	if (strcmp(target, "FUNCTION") == 0 ||
	    strcmp(target, "AGGREGATE") == 0) {
		wbuf_u16(&body, nargs);
		for (i = 0; i < nargs; i++)
			wbuf_string(&body, args[i]);
	}
	events_send(c, NULL, EVENT_SCHEMA, &body);
	wbuf_free(&body);
}
