/*
 * node.c: one mock node: its listener on 127.0.0.id:port, its client
 * sessions and its own cache of prepared statements (a real cluster keeps
 * one per node, so a driver has to prepare on every host).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "util.h"
#include "mock.h"

static void	node_accept_resume_cb(evutil_socket_t, short, void *);

static void
node_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct node	*n = arg;

	if (n->state != NODE_UP) {
		evutil_closesocket(fd);
		return;
	}
	session_accept(n, fd, sa, salen);
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
node_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct node	*n = arg;
	struct timeval	 tv = { 0, 100000 };

	log_warn("node %d: accept", n->id);
	if (errno == EMFILE || errno == ENFILE) {
		evconnlistener_disable(l);
		event_base_once(n->cluster->base, -1, EV_TIMEOUT,
		    node_accept_resume_cb, n, &tv);
	}
}

static void
node_accept_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct node	*n = arg;

	if (n->listener != NULL)
		evconnlistener_enable(n->listener);
}

int
node_listen(struct node *n)
{
	struct sockaddr_in	sin;

	if (n->listener != NULL)
		return (0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(n->cluster->port);
	memcpy(&sin.sin_addr, n->ip, 4);
	n->listener = evconnlistener_new_bind(n->cluster->base, node_accept_cb,
	    n, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC, 128, (struct sockaddr *)&sin, sizeof sin);
	if (n->listener == NULL) {
		log_warn("node %d: listen on %s:%d", n->id, n->addr,
		    n->cluster->port);
		return (-1);
	}
	evconnlistener_set_error_cb(n->listener, node_accept_error_cb);
	return (0);
}

void
node_unlisten(struct node *n)
{
	if (n->listener != NULL) {
		evconnlistener_free(n->listener);
		n->listener = NULL;
	}
}

/* Close every client of the node: flushing what is queued, or at once. */
void
node_close_sessions(struct node *n, int graceful)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&n->sessions)) != NULL) {
		if (graceful)
			session_close_flush(s);
		else
			session_close(s);
	}
}

static unsigned
node_prepared_bucket(const uint8_t id[16])
{
	return ((id[0] | (id[1] << 8)) % NODE_PREPARED_BUCKETS);
}

struct prepared *
node_prepared_find(struct node *n, const uint8_t id[16])
{
	struct prepared	*p;

	for (p = n->prepared[node_prepared_bucket(id)]; p != NULL;
	    p = p->next) {
		if (memcmp(p->id, id, 16) == 0)
			return (p);
	}
	return (NULL);
}

/* Remember (or refresh) a statement this node has prepared. */
struct prepared *
node_prepared_add(struct node *n, const uint8_t id[16], const char *query,
    uint32_t handle)
{
	struct prepared	*p;
	unsigned	 b = node_prepared_bucket(id);

	if ((p = node_prepared_find(n, id)) != NULL) {
		p->handle = handle;
		return (p);
	}
	p = xcalloc(1, sizeof *p);
	memcpy(p->id, id, 16);
	p->query = xstrdup(query);
	p->handle = handle;
	p->next = n->prepared[b];
	n->prepared[b] = p;
	n->nprepared++;
	return (p);
}

void
node_prepared_forget(struct node *n, const uint8_t id[16])
{
	struct prepared	**pp, *p;

	for (pp = &n->prepared[node_prepared_bucket(id)]; (p = *pp) != NULL;
	    pp = &p->next) {
		if (memcmp(p->id, id, 16) == 0) {
			*pp = p->next;
			free(p->query);
			free(p);
			n->nprepared--;
			return;
		}
	}
}

void
node_prepared_clear(struct node *n)
{
	struct prepared	*p;
	size_t		 i;

	for (i = 0; i < NODE_PREPARED_BUCKETS; i++) {
		while ((p = n->prepared[i]) != NULL) {
			n->prepared[i] = p->next;
			free(p->query);
			free(p);
		}
	}
	n->nprepared = 0;
}

void
node_free(struct node *n)
{
	node_unlisten(n);
	node_close_sessions(n, 0);
	if (n->down_ev != NULL)
		event_free(n->down_ev);
	node_prepared_clear(n);
	fault_clear(&n->faults);
	free(n->delay.match);
	free(n->tokens);
	free(n->dc);
	free(n->rack);
	free(n);
}
