/*
 * server.c: the one server of the daemon: its configuration mapped onto
 * the driver core, the listening sockets, signals (SIGHUP reload,
 * SIGTERM/SIGINT graceful drain, a second one exits at once), systemd
 * notifications and the watchdog.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"
#include "msg.h"
#include "cluster.h"
#include "prepared.h"
#include "config.h"
#include "metrics.h"
#include "prometheus.h"
#include "service.h"

struct server	*srv;

static const char *server_state_names[] = {
	"starting", "running", "draining", "closing", "done"
};

static void	server_finish(void);

/* The one place the server changes state; impossible moves are bugs. */
void
server_set_state(enum server_state to)
{
	if (to < srv->state || (to == srv->state && to != SERVER_DONE))
		fatalx("server: bad state change %s -> %s",
		    server_state_names[srv->state], server_state_names[to]);
	log_debug("server: %s -> %s", server_state_names[srv->state],
	    server_state_names[to]);
	srv->state = to;
}

/* A contact point "host", "host:port", "[v6]:port" as address and port. */
static int
server_split_hostport(const char *s, char *host, size_t hlen, int *port)
{
	const char	*c, *e;
	char		*ep;
	long		 p;

	*port = 0;
	if (*s == '[') {
		if ((e = strchr(s, ']')) == NULL)
			return (-1);
		snprintf(host, hlen, "%.*s", (int)(e - s - 1), s + 1);
		if (e[1] == '\0')
			return (0);
		if (e[1] != ':')
			return (-1);
		c = e + 1;
	} else {
		c = strchr(s, ':');
		if (c != NULL && strchr(c + 1, ':') != NULL) {
			snprintf(host, hlen, "%s", s);	/* bare IPv6 */
			return (0);
		}
		if (c == NULL) {
			snprintf(host, hlen, "%s", s);
			return (0);
		}
		snprintf(host, hlen, "%.*s", (int)(c - s), s);
	}
	p = strtol(c + 1, &ep, 10);
	if (*ep != '\0' || p < 1 || p > 65535)
		return (-1);
	*port = (int)p;
	return (0);
}

/* A list as one string of blank-separated words (xmalloc'd). */
static char *
server_join(const struct config_list *l)
{
	size_t	 i, len = 1;
	char	*s;

	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	s = xmalloc(len);
	len = 0;
	for (i = 0; i < l->n; i++) {
		memcpy(s + len, l->v[i], strlen(l->v[i]));
		len += strlen(l->v[i]);
		s[len++] = ' ';
	}
	s[len] = '\0';
	return (s);
}

/*
 * The core's settings that may change while running (everything but the
 * contact points, port and protocol version), for the start and for
 * SIGHUP.  The host lists stay valid until the next call.
 */
static void
server_cluster_runtime(const struct config *cfg, struct cluster_config *cc)
{
	static char	*allow, *deny;

	cc->local_dc = *cfg->local_dc != '\0' ? cfg->local_dc : NULL;
	cc->pool.core_local = cfg->connections_per_host_local;
	cc->pool.max_local = cfg->max_connections_per_host_local;
	cc->pool.core_remote = cfg->connections_per_host_remote;
	cc->pool.max_remote = cfg->max_connections_per_host_remote;
	cc->pool.max_inflight = cfg->max_requests_per_connection;
	cc->pool.grow_threshold = POOL_GROW_THRESHOLD;
	if (cc->pool.grow_threshold > cc->pool.max_inflight)
		cc->pool.grow_threshold = cc->pool.max_inflight * 4 / 5 + 1;
	cc->pool.conn.connect_timeout_ms = (int)cfg->connect_timeout_ms;
	cc->pool.conn.request_timeout_ms = (int)cfg->request_timeout_ms;
	cc->pool.conn.heartbeat_interval_ms = (int)cfg->heartbeat_interval_ms;
	cc->pool.conn.heartbeat_timeout_ms = (int)cfg->heartbeat_timeout_ms;
	cc->pool.reconnect.kind = cfg->reconnection ==
	    CONFIG_RECONNECT_CONSTANT ? RECONNECT_CONSTANT :
	    RECONNECT_EXPONENTIAL;
	cc->pool.reconnect.base_ms = (uint64_t)cfg->reconnect_base_delay_ms;
	cc->pool.reconnect.max_ms = (uint64_t)cfg->reconnect_max_delay_ms;
	if (cc->pool.reconnect.max_ms < cc->pool.reconnect.base_ms)
		cc->pool.reconnect.max_ms = cc->pool.reconnect.base_ms;

	/* token_aware wraps either base policy. */
	cc->lb.load_balancing = cfg->load_balancing == CONFIG_LB_ROUND_ROBIN ?
	    LB_ROUND_ROBIN : LB_DC_AWARE;
	cc->lb.token_aware = cfg->token_aware;
	cc->lb.local_dc = cc->local_dc;
	cc->lb.used_hosts_per_remote_dc =
	    (unsigned int)cfg->used_hosts_per_remote_dc;
	cc->lb.shuffle_replicas = cfg->shuffle_replicas;
	free(allow);
	free(deny);
	allow = server_join(&cfg->allow_hosts);
	deny = server_join(&cfg->deny_hosts);
	cc->lb.allow_hosts = allow;
	cc->lb.deny_hosts = deny;

	switch (cfg->retry) {
	case CONFIG_RETRY_DOWNGRADING:
		cc->retry = RETRY_POLICY_DOWNGRADING;
		break;
	case CONFIG_RETRY_FALLTHROUGH:
		cc->retry = RETRY_POLICY_FALLTHROUGH;
		break;
	default:
		cc->retry = RETRY_POLICY_DEFAULT;
		break;
	}
	spec_policy_default(&cc->speculative);
	if (cfg->speculative_execution == CONFIG_SPECULATIVE_CONSTANT) {
		cc->speculative.delay_ms = (uint64_t)cfg->speculative_delay_ms;
		cc->speculative.max_attempts =
		    (unsigned int)cfg->speculative_max_attempts;
	}
	cc->consistency = (uint16_t)cfg->default_consistency;
	cc->serial_consistency = cfg->default_serial_consistency ==
	    CONFIG_CONSISTENCY_UNSET ? 0 :
	    (uint16_t)cfg->default_serial_consistency;
	cc->page_size = cfg->default_page_size;
	cc->request_timeout_ms = (int)cfg->request_timeout_ms;
	cc->topology_window_ms = (int)cfg->topology_event_window_ms;
	cc->status_window_ms = (int)cfg->status_event_window_ms;
	cc->schema_window_ms = (int)cfg->schema_event_window_ms;
	cc->schema_agreement_wait_ms = (int)cfg->schema_agreement_wait_ms;
	cc->client_timestamps = cfg->client_timestamps;
}

/*
 * Everything the core needs, from the configuration: this is the one
 * place the two meet.  Contact points given by name are resolved here.
 */
int
server_cluster_config(const struct config *cfg, struct cluster_config *cc,
    char ***cpsp, size_t *ncpsp, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[256], addr[64], **cps = NULL;
	size_t		 ncps = 0, i;
	int		 port, cport = 0, rc;

	cluster_config_default(cc);
	for (i = 0; i < cfg->contact_points.n; i++) {
		if (server_split_hostport(cfg->contact_points.v[i], host,
		    sizeof host, &port) != 0) {
			snprintf(err, errlen, "contact_points: bad entry %s",
			    cfg->contact_points.v[i]);
			goto fail;
		}
		if (port != 0) {
			if (cport != 0 && cport != port) {
				snprintf(err, errlen, "contact_points: every "
				    "node must use the same native port");
				goto fail;
			}
			cport = port;
		}
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
			snprintf(err, errlen, "contact_points: %s: %s", host,
			    gai_strerror(rc));
			goto fail;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
			    sizeof addr, NULL, 0, NI_NUMERICHOST) != 0)
				continue;
			if (ncps >= CLUSTER_MAX_CONTACT_POINTS)
				break;
			cps = xreallocarray(cps, ncps + 1, sizeof *cps);
			cps[ncps++] = xstrdup(addr);
			break;	/* one address per name is enough */
		}
		freeaddrinfo(res);
	}
	if (ncps == 0) {
		snprintf(err, errlen, "contact_points: no usable address");
		goto fail;
	}
	cc->contact_points = (const char *const *)cps;
	cc->ncontact_points = ncps;
	cc->port = (uint16_t)(cport != 0 ? cport : cfg->port);
	cc->protocol_version = (uint8_t)cfg->protocol_version;
	if (*cfg->username != '\0') {
		cc->pool.conn.username = cfg->username;
		cc->pool.conn.password = cfg->password;
	}
	server_cluster_runtime(cfg, cc);
	cc->metadata_enabled = 1;
	*cpsp = cps;
	*ncpsp = ncps;
	return (0);

fail:
	for (i = 0; i < ncps; i++)
		free(cps[i]);
	free(cps);
	return (-1);
}

/* The prepared cache's settings from the configuration. */
static void
server_prepared_config(const struct config *cfg, struct prepared_config *pc)
{
	prepared_config_default(pc);
	pc->max_entries = (size_t)cfg->prepared_cache_size;
	if (pc->max_handles < pc->max_entries)
		pc->max_handles = pc->max_entries;
	pc->prepare_on_all_hosts = cfg->prepare_on_all_hosts;
	pc->reprepare_on_up = cfg->reprepare_on_up;
}

static void
server_watchdog_cb(evutil_socket_t fd, short events, void *arg)
{
	notify_send("WATCHDOG=1");
}

static void
server_start_watchdog(void)
{
	struct timeval	tv;
	uint64_t	half;

	if ((srv->watchdog_usec = notify_watchdog_usec()) == 0)
		return;
	half = srv->watchdog_usec / 2;
	tv.tv_sec = (time_t)(half / 1000000);
	tv.tv_usec = (suseconds_t)(half % 1000000);
	srv->ev_watchdog = event_new(srv->base, -1, EV_PERSIST,
	    server_watchdog_cb, NULL);
	event_add(srv->ev_watchdog, &tv);
	notify_send("WATCHDOG=1");
}

static void
server_listen_all(void)
{
	if (srv->listen_main != NULL)
		listener_start(srv->listen_main);
	if (srv->listen_ro != NULL)
		listener_start(srv->listen_ro);
}

static void
server_ready_cb(struct cluster *c, enum core_error e, const char *why,
    void *arg)
{
	if (srv->state != SERVER_STARTING)
		return;
	server_set_state(SERVER_RUNNING);
	if (e == CORE_OK) {
		log_info("cluster connected (protocol v%u); serving %s",
		    cluster_version(c), listener_path(srv->listen_main));
		notify_send("READY=1\nSTATUS=serving; cluster connected");
	} else {
		log_warnx("cluster not reachable yet (%s): serving anyway, "
		    "requests fail until a node answers", why);
		notify_send("READY=1\nSTATUS=serving; cluster unreachable, "
		    "retrying");
	}
	server_listen_all();
}

static uint64_t
server_monotonic_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* One changed key, for the log (secrets are never shown). */
static void
server_reload_log_key(const char *key, const char *from, const char *to,
    int reloadable, void *arg)
{
	if (!reloadable)
		return;		/* config_reload_check names those */
	if (from == NULL)
		log_info("reload: %s changed", key);
	else
		log_info("reload: %s: \"%s\" -> \"%s\"", key, from, to);
}

static void printflike(1, 2)
server_reload_refused(const char *fmt, ...)
{
	va_list	ap;
	char	why[1200];

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	log_warnx("reload refused, keeping the running configuration: %s",
	    why);
	metrics_reload(srv->metrics, 0);
	notify_send("READY=1\nSTATUS=serving; last reload failed: %s", why);
}

/*
 * SIGHUP: parse into a new configuration, validate, and swap; keys that
 * need a restart keep their running values.  Clients stay connected and
 * so do the cluster connections: the core takes the new settings in place
 * (cluster_reconfigure), and refuses them before anything changed if they
 * do not hold together, in which case the old configuration stays whole.
 */
static void
server_reload(void)
{
	struct config		*cfg;
	struct server_acl	 acl;
	struct prepared_config	 pc;
	struct cluster_config	 cc;
	struct client		*c, *next;
	char			 err[1024], *why = NULL;
	int			 n;

	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)server_monotonic_usec());
	cfg = config_load(srv->config_path, err, sizeof err);
	if (cfg == NULL) {
		server_reload_refused("%s", err);
		return;
	}
	if (server_acl_build(cfg, &acl, err, sizeof err) != 0) {
		server_reload_refused("%s: %s", srv->config_path, err);
		config_free(cfg);
		return;
	}
	n = config_reload_check(srv->cfg, cfg, err, sizeof err);
	if (n > 0)
		log_warnx("reload: %s changed but need%s a restart; keeping "
		    "the running value%s", err, n == 1 ? "s" : "",
		    n == 1 ? "" : "s");
	config_keep_restart_keys(cfg, srv->cfg);
	if (srv->cluster != NULL) {
		cc = *cluster_get_config(srv->cluster);
		server_cluster_runtime(cfg, &cc);
		if (cluster_reconfigure(srv->cluster, &cc, &why) != 0) {
			server_reload_refused("%s: %s", srv->config_path, why);
			free(why);
			server_acl_clear(&acl);
			config_free(cfg);
			return;
		}
	}
	config_changes(srv->cfg, cfg, server_reload_log_key, NULL);
	config_free(srv->cfg);
	srv->cfg = cfg;
	server_acl_clear(&srv->acl);
	srv->acl = acl;
	log_set_level((enum log_level)cfg->log_level);
	if (srv->prepared != NULL) {
		server_prepared_config(cfg, &pc);
		prepared_set_config(srv->prepared, &pc);
	}
	/* Limits may have grown: let waiting clients go on. */
	TAILQ_FOREACH_SAFE(c, &srv->clients, entry, next)
		client_kick(c);
	log_info("configuration reloaded from %s", srv->config_path);
	metrics_reload(srv->metrics, 1);
	notify_send("READY=1\nSTATUS=serving; configuration reloaded");
}

static void
server_drain_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c;

	log_warnx("drain time (%lld ms) ran out: answering shutting_down to "
	    "%u client%s", (long long)srv->cfg->drain_timeout_ms,
	    srv->nclients, srv->nclients == 1 ? "" : "s");
	while ((c = TAILQ_FIRST(&srv->clients)) != NULL)
		client_abort(c);
	if (srv->state == SERVER_DRAINING)
		server_set_state(SERVER_CLOSING);
	server_finish();
}

static void
server_closed_cb(struct cluster *c, void *arg)
{
	server_finish();
}

/* Everything answered (or given up): leave the loop. */
static void
server_finish(void)
{
	if (srv->state == SERVER_DONE)
		return;
	server_set_state(SERVER_DONE);
	event_base_loopexit(srv->base, NULL);
}

void
server_check_drained(void)
{
	/*
	 * Requests whose client has gone are still running: a write sent
	 * by a client that closed right after it must still reach the
	 * cluster, so wait for them too (the drain time bounds it).
	 */
	if (srv->state != SERVER_DRAINING || srv->nclients != 0 ||
	    srv->inflight != 0)
		return;
	log_info("every client answered; closing the cluster connections");
	server_set_state(SERVER_CLOSING);
	notify_send("STATUS=closing cluster connections");
	if (srv->cluster != NULL)
		cluster_close(srv->cluster, server_closed_cb, NULL);
	else
		server_finish();
}

/*
 * SIGTERM/SIGINT: stop accepting, answer what was received (lines still
 * in the sockets included), then exit 0; a second signal exits now.
 */
static void
server_drain(int sig)
{
	struct client	*c, *next;
	struct timeval	 tv;
	int64_t		 ms = srv->cfg->drain_timeout_ms;

	if (srv->signals++ > 0 || srv->state >= SERVER_DRAINING) {
		log_warnx("%s again: exiting now", strsignal(sig));
		notify_send("STOPPING=1");
		_exit(1);
	}
	log_info("%s: draining %u client%s (up to %lld ms)", strsignal(sig),
	    srv->nclients, srv->nclients == 1 ? "" : "s", (long long)ms);
	notify_send("STOPPING=1\nSTATUS=draining");
	server_set_state(SERVER_DRAINING);
	listener_accept_pending(srv->listen_main);
	listener_accept_pending(srv->listen_ro);
	/* Closing the socket makes new clients fail at once, not hang. */
	listener_free(srv->listen_main);
	srv->listen_main = NULL;
	listener_free(srv->listen_ro);
	srv->listen_ro = NULL;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	srv->ev_drain = evtimer_new(srv->base, server_drain_timeout_cb, NULL);
	evtimer_add(srv->ev_drain, &tv);
	TAILQ_FOREACH_SAFE(c, &srv->clients, entry, next)
		client_drain(c);
	server_check_drained();
}

static void
server_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	switch (sig) {
	case SIGHUP:
		if (srv->state <= SERVER_RUNNING)
			server_reload();
		break;
	case SIGTERM:
	case SIGINT:
		server_drain((int)sig);
		break;
	}
}

/* Open our sockets, or take them from systemd. */
static int
server_open_listeners(char *err, size_t errlen)
{
	const struct config	*cfg = srv->cfg;
	struct stat		 st;
	char			 path[128];
	int			 n, i, fd;

	n = listener_activation_fds();
	for (i = 0; i < n; i++) {
		fd = 3 + i;
		if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
			log_warnx("socket activation: fd %d is not a socket", fd);
			continue;
		}
		listener_sockname(fd, path, sizeof path);
		if (*cfg->readonly_socket != '\0' &&
		    strcmp(path, cfg->readonly_socket) == 0 &&
		    srv->listen_ro == NULL) {
			srv->listen_ro = listener_adopt(fd, path, 1);
			log_info("socket activation: %s (read-only)", path);
		} else if (srv->listen_main == NULL) {
			srv->listen_main = listener_adopt(fd,
			    *path != '\0' ? path : cfg->socket, 0);
			log_info("socket activation: %s", path);
		} else {
			log_warnx("socket activation: ignoring fd %d (%s)",
			    fd, path);
			close(fd);
		}
	}
	if (srv->listen_main == NULL) {
		srv->listen_main = listener_open(cfg->socket, 0, cfg, err,
		    errlen);
		if (srv->listen_main == NULL)
			return (-1);
	}
	if (*cfg->readonly_socket != '\0' && srv->listen_ro == NULL) {
		srv->listen_ro = listener_open(cfg->readonly_socket, 1, cfg,
		    err, errlen);
		if (srv->listen_ro == NULL)
			return (-1);
	}
	return (0);
}

static void
server_prometheus_render(struct wbuf *w, void *arg)
{
	metrics_prometheus(srv->metrics, w);
}

int
server_init(struct event_base *base, struct config *cfg, const char *path,
    int foreground)
{
	struct cluster_config	 cc;
	struct prepared_config	 pc;
	const char		*why;
	char			 err[1024], **cps = NULL;
	size_t			 ncps = 0, i;

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->cfg = cfg;
	srv->config_path = path != NULL ? xstrdup(path) : NULL;
	srv->foreground = foreground;
	srv->state = SERVER_STARTING;
	TAILQ_INIT(&srv->clients);
	srv->metrics = metrics_new();

	signal(SIGPIPE, SIG_IGN);
	srv->ev_hup = evsignal_new(base, SIGHUP, server_signal_cb, NULL);
	srv->ev_term = evsignal_new(base, SIGTERM, server_signal_cb, NULL);
	srv->ev_int = evsignal_new(base, SIGINT, server_signal_cb, NULL);
	evsignal_add(srv->ev_hup, NULL);
	evsignal_add(srv->ev_term, NULL);
	evsignal_add(srv->ev_int, NULL);

	if (server_acl_build(cfg, &srv->acl, err, sizeof err) != 0) {
		log_warnx("%s: %s", path, err);
		return (-1);
	}
	if (server_cluster_config(cfg, &cc, &cps, &ncps, err,
	    sizeof err) != 0) {
		log_warnx("%s: %s", path, err);
		return (-1);
	}
	srv->cluster = cluster_new(base, &cc, &why);
	for (i = 0; i < ncps; i++)
		free(cps[i]);
	free(cps);
	if (srv->cluster == NULL) {
		log_warnx("%s: cluster: %s", path, why);
		return (-1);
	}
	server_prepared_config(cfg, &pc);
	srv->prepared = prepared_new(srv->cluster, &pc);
	metrics_set_cluster(srv->metrics, srv->cluster);
	metrics_set_prepared(srv->metrics, prepared_metrics(srv->prepared));

	listener_reserve_init();
	if (server_open_listeners(err, sizeof err) != 0) {
		log_warnx("%s", err);
		return (-1);
	}
	if (*cfg->prometheus_listen != '\0') {
		srv->prometheus = prometheus_start(base, cfg->prometheus_listen,
		    server_prometheus_render, NULL, err, sizeof err);
		if (srv->prometheus == NULL) {
			log_warnx("prometheus_listen %s: %s",
			    cfg->prometheus_listen, err);
			return (-1);
		}
	}
	return (0);
}

int
server_run(void)
{
	int	i;

	notify_send("STATUS=connecting to the cluster");
	server_start_watchdog();
	cluster_connect(srv->cluster, server_ready_cb, NULL);
	event_base_dispatch(srv->base);

	/* Tear down in the reverse order of building. */
	client_free_all();
	listener_free(srv->listen_main);
	listener_free(srv->listen_ro);
	prometheus_stop(srv->prometheus);
	ops_info_free();
	ops_cql_free();
	metrics_set_prepared(srv->metrics, NULL);
	if (srv->prepared != NULL)
		prepared_free(srv->prepared);
	metrics_set_cluster(srv->metrics, NULL);
	if (srv->cluster != NULL)
		cluster_free(srv->cluster);
	metrics_free(srv->metrics);
	if (srv->ev_watchdog != NULL)
		event_free(srv->ev_watchdog);
	if (srv->ev_drain != NULL)
		event_free(srv->ev_drain);
	event_free(srv->ev_hup);
	event_free(srv->ev_term);
	event_free(srv->ev_int);
	server_acl_clear(&srv->acl);
	/* Objects freed above release their memory on a later loop turn. */
	for (i = 0; i < 8; i++)
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	log_info("exiting");
	return (srv->exit_status);
}
