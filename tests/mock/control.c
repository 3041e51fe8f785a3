/*
 * control.c: the control socket. A Unix stream socket taking one JSON
 * object per line and answering one line each: {"ok":true,...} or
 * {"ok":false,"error":"..."}. Through it tests stop, kill, start, add and
 * remove nodes, inject faults and delays, and read statistics.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "util.h"
#include "db.h"
#include "mock.h"

#define CONTROL_MAX_LINE	65536

static struct cluster		*control_cluster;
static struct evconnlistener	*control_listener;
static char			*control_path;

/* Open control connections, closed at exit. */
struct control_conn {
	struct bufferevent	*bev;
	int			 discarding;	/* inside a line too long */
	LIST_ENTRY(control_conn) entry;
};
static LIST_HEAD(, control_conn) control_conns =
    LIST_HEAD_INITIALIZER(control_conns);

static json_t *
control_error(const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return (json_pack("{s:b,s:s}", "ok", 0, "error", msg));
}

static json_t *
control_ok(void)
{
	return (json_pack("{s:b}", "ok", 1));
}

/* The "node" member, which must name an existing node. */
static struct node *
control_node(json_t *req, json_t **errp)
{
	json_t		*v = json_object_get(req, "node");
	struct node	*n;

	if (!json_is_integer(v)) {
		*errp = control_error("missing or bad \"node\"");
		return (NULL);
	}
	n = cluster_node(control_cluster, (int)json_integer_value(v));
	if (n == NULL)
		*errp = control_error("no node %lld", json_integer_value(v));
	return (n);
}

static const char *
control_state_name(enum node_state st)
{
	switch (st) {
	case NODE_UP:
		return ("up");
	case NODE_DOWN:
		return ("down");
	case NODE_REMOVED:
		return ("removed");
	}
	return ("?");
}

static json_t *
control_node_json(struct node *n)
{
	struct session	*s;
	json_t		*o, *toks;
	char		 hid[37];
	size_t		 i;

	toks = json_array();
	for (i = 0; i < n->ntokens; i++)
		json_array_append_new(toks, json_integer(n->tokens[i]));
	uuid_format(n->host_id, hid);
	i = 0;
	TAILQ_FOREACH(s, &n->sessions, entry)
		i++;
	o = json_pack("{s:i,s:s,s:i,s:s,s:s,s:s,s:s,s:o,s:I}", "node", n->id,
	    "address", n->addr, "port", n->cluster->port, "dc", n->dc,
	    "rack", n->rack, "host_id", hid, "state",
	    control_state_name(n->state), "tokens", toks, "connections",
	    (json_int_t)i);
	return (o);
}

static json_t *
control_nodes(json_t *req)
{
	struct cluster	*c = control_cluster;
	json_t		*a = json_array();
	int		 i;

	for (i = 0; i < c->nnodes; i++)
		json_array_append_new(a, control_node_json(c->nodes[i]));
	return (json_pack("{s:b,s:o}", "ok", 1, "nodes", a));
}

static json_t *
control_stats(json_t *req)
{
	struct cluster	*c = control_cluster;
	struct node	*n;
	json_t		*a = json_array(), *o;
	int		 i, reset = json_is_true(json_object_get(req, "reset"));

	for (i = 0; i < c->nnodes; i++) {
		n = c->nodes[i];
		o = stats_json(&n->stats);
		json_object_set_new(o, "node", json_integer(n->id));
		json_object_set_new(o, "state",
		    json_string(control_state_name(n->state)));
		json_object_set_new(o, "prepared", json_integer(n->nprepared));
		json_array_append_new(a, o);
		if (reset)
			stats_reset(&n->stats);
	}
	return (json_pack("{s:b,s:o}", "ok", 1, "nodes", a));
}

static char *
control_lower_dup(const char *s)
{
	char	*d = xstrdup(s), *p;

	for (p = d; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	}
	return (d);
}

static json_t *
control_fail(json_t *req)
{
	struct node	*n;
	struct fault	*f;
	json_t		*err = NULL, *v;
	enum fault_kind	 kind;
	const char	*s;
	json_int_t	 count = 1;

	if ((n = control_node(req, &err)) == NULL)
		return (err);
	s = json_string_value(json_object_get(req, "error"));
	if (s == NULL || fault_kind_parse(s, &kind) != 0)
		return (control_error("missing or unknown \"error\""));
	v = json_object_get(req, "count");
	if (v != NULL) {
		if (!json_is_integer(v) || (json_integer_value(v) < 1 &&
		    json_integer_value(v) != -1))
			return (control_error("\"count\" must be >= 1 or -1"));
		count = json_integer_value(v);
	}
	f = xcalloc(1, sizeof *f);
	f->kind = kind;
	f->count = count > INT32_MAX ? INT32_MAX : (int)count;
	if ((s = json_string_value(json_object_get(req, "match"))) != NULL)
		f->match = control_lower_dup(s);
	if ((s = json_string_value(json_object_get(req, "write_type"))) !=
	    NULL)
		f->write_type = xstrdup(s);
	if ((s = json_string_value(json_object_get(req, "message"))) != NULL)
		f->message = xstrdup(s);
	TAILQ_INSERT_TAIL(&n->faults, f, entry);
	log_info("node %d: fail %s x%d%s%s", n->id, fault_kind_name(kind),
	    f->count, f->match ? " matching " : "", f->match ? f->match : "");
	return (control_ok());
}

static json_t *
control_delay(json_t *req)
{
	struct node	*n;
	json_t		*err = NULL, *v;
	const char	*s;

	if ((n = control_node(req, &err)) == NULL)
		return (err);
	v = json_object_get(req, "ms");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 3600000)
		return (control_error("\"ms\" must be 0..3600000"));
	free(n->delay.match);
	n->delay.match = NULL;
	n->delay.ms = (unsigned)json_integer_value(v);
	if (n->delay.ms != 0 &&
	    (s = json_string_value(json_object_get(req, "match"))) != NULL)
		n->delay.match = control_lower_dup(s);
	return (control_ok());
}

static json_t *
control_clear(json_t *req)
{
	struct cluster	*c = control_cluster;
	struct node	*n;
	json_t		*err = NULL;
	int		 i;

	if (json_object_get(req, "node") != NULL) {
		if ((n = control_node(req, &err)) == NULL)
			return (err);
	} else
		n = NULL;
	for (i = 0; i < c->nnodes; i++) {
		if (n != NULL && c->nodes[i] != n)
			continue;
		fault_clear(&c->nodes[i]->faults);
		free(c->nodes[i]->delay.match);
		c->nodes[i]->delay.match = NULL;
		c->nodes[i]->delay.ms = 0;
	}
	return (control_ok());
}

/* Run one request object; always returns an answer object. */
static json_t *
control_dispatch(json_t *req)
{
	struct cluster	*c = control_cluster;
	struct node	*n;
	json_t		*err = NULL;
	const char	*op, *e = NULL, *dc;

	if (!json_is_object(req))
		return (control_error("request is not an object"));
	op = json_string_value(json_object_get(req, "op"));
	if (op == NULL)
		return (control_error("missing \"op\""));
	log_debug("control: %s", op);
	if (strcmp(op, "ping") == 0)
		return (control_ok());
	if (strcmp(op, "nodes") == 0)
		return (control_nodes(req));
	if (strcmp(op, "stats") == 0)
		return (control_stats(req));
	if (strcmp(op, "fail") == 0)
		return (control_fail(req));
	if (strcmp(op, "delay") == 0)
		return (control_delay(req));
	if (strcmp(op, "clear") == 0)
		return (control_clear(req));
	if (strcmp(op, "add") == 0) {
		dc = json_string_value(json_object_get(req, "dc"));
		if ((n = cluster_add(c, dc, &e)) == NULL)
			return (control_error("%s", e));
		return (json_pack("{s:b,s:i}", "ok", 1, "node", n->id));
	}
	if (strcmp(op, "stop") != 0 && strcmp(op, "kill") != 0 &&
	    strcmp(op, "start") != 0 && strcmp(op, "remove") != 0 &&
	    strcmp(op, "forget") != 0)
		return (control_error("unknown op \"%s\"", op));

	if ((n = control_node(req, &err)) == NULL)
		return (err);
	if (strcmp(op, "forget") == 0) {
		node_prepared_clear(n);
		return (control_ok());
	}
	if (strcmp(op, "stop") == 0 && cluster_stop(c, n, 1, &e) != 0)
		return (control_error("%s", e));
	if (strcmp(op, "kill") == 0 && cluster_stop(c, n, 0, &e) != 0)
		return (control_error("%s", e));
	if (strcmp(op, "start") == 0 && cluster_start(c, n, &e) != 0)
		return (control_error("%s", e));
	if (strcmp(op, "remove") == 0 && cluster_remove(c, n, &e) != 0)
		return (control_error("%s", e));
	log_info("control: node %d %s", n->id, op);
	return (control_ok());
}

static void
control_answer(struct bufferevent *bev, json_t *ans)
{
	char	*s;

	s = json_dumps(ans, JSON_COMPACT);
	if (s == NULL)
		fatalx("json_dumps");
	bufferevent_write(bev, s, strlen(s));
	bufferevent_write(bev, "\n", 1);
	free(s);
	json_decref(ans);
}

/*
 * Answer each complete line. A line longer than the cap gets one error
 * and is skipped up to its newline, without being buffered.
 */
static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*cc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 nl;
	json_error_t		 jerr;
	json_t			*req;
	char			*line;
	size_t			 len;

	for (;;) {
		if (cc->discarding) {
			nl = evbuffer_search(in, "\n", 1, NULL);
			if (nl.pos < 0) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return;
			}
			evbuffer_drain(in, nl.pos + 1);
			cc->discarding = 0;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL)
			break;
		if (len == 0) {
			free(line);
			continue;
		}
		req = json_loadb(line, len, 0, &jerr);
		free(line);
		if (req == NULL) {
			control_answer(bev, control_error("bad JSON: %s",
			    jerr.text));
			continue;
		}
		control_answer(bev, control_dispatch(req));
		json_decref(req);
	}
	if (evbuffer_get_length(in) > CONTROL_MAX_LINE) {
		control_answer(bev, control_error("line too long"));
		cc->discarding = 1;
		control_read_cb(bev, arg);
	}
}

static void
control_conn_free(struct control_conn *cc)
{
	LIST_REMOVE(cc, entry);
	bufferevent_free(cc->bev);
	free(cc);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	control_conn_free(arg);
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control_conn	*cc;

	cc = xcalloc(1, sizeof *cc);
	cc->bev = bufferevent_socket_new(control_cluster->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL)
		fatalx("bufferevent_socket_new");
	LIST_INSERT_HEAD(&control_conns, cc, entry);
	bufferevent_setcb(cc->bev, control_read_cb, NULL, control_event_cb,
	    cc);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
}

/* Listen on path (replacing a stale socket), readable by the owner only. */
int
control_open(struct cluster *c, const char *path)
{
	struct sockaddr_un	sun;
	mode_t			old;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		log_warnx("control socket path too long: %s", path);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return (-1);
	}
	control_cluster = c;
	old = umask(0077);
	control_listener = evconnlistener_new_bind(c->base, control_accept_cb,
	    NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (control_listener == NULL) {
		log_warn("control socket %s", path);
		return (-1);
	}
	control_path = xstrdup(path);
	return (0);
}

void
control_close(void)
{
	while (!LIST_EMPTY(&control_conns))
		control_conn_free(LIST_FIRST(&control_conns));
	if (control_listener != NULL) {
		evconnlistener_free(control_listener);
		control_listener = NULL;
	}
	if (control_path != NULL) {
		unlink(control_path);
		free(control_path);
		control_path = NULL;
	}
}
