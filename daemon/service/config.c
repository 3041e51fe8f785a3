/*
 * config.c: the configuration file. One table describes every key (section,
 * name, type, where it lives in struct config, default, limits, whether
 * SIGHUP may change it); loading, defaults, dumping, comparing and reload
 * all walk that table, so a key exists in one place only.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "config.h"

enum cf_type {
	CF_STR,		/* char * */
	CF_INT,		/* int, min..max */
	CF_BOOL,	/* int 0/1 */
	CF_DUR,		/* int64_t milliseconds, min..max */
	CF_SIZE,	/* size_t bytes, min..max */
	CF_ENUM,	/* int, one of names */
	CF_LIST,	/* struct config_list */
	CF_MODE		/* unsigned int, octal file mode */
};

#define CF_RELOAD	0x1	/* SIGHUP applies it */
#define CF_SECRET	0x2	/* never printed */

struct cf_name {
	const char	*name;
	int		 value;
};

struct cf_key {
	const char		*section;
	const char		*name;
	enum cf_type		 type;
	size_t			 off;
	const char		*def;	/* default, in the file's syntax */
	int64_t			 min;
	int64_t			 max;
	const struct cf_name	*names;	/* CF_ENUM */
	/* Extra check of a string or list item: NULL or why it is bad. */
	const char		*(*check)(const char *);
	int			 flags;
	const char		*help;	/* one line, for the example file */
};

#define O(f)	offsetof(struct config, f)
#define S(sec, key, f, def, chk, fl, h) \
	{ sec, key, CF_STR, O(f), def, 0, 0, NULL, chk, fl, h }
#define I(sec, key, f, def, lo, hi, fl, h) \
	{ sec, key, CF_INT, O(f), def, lo, hi, NULL, NULL, fl, h }
#define B(sec, key, f, def, fl, h) \
	{ sec, key, CF_BOOL, O(f), def, 0, 1, NULL, NULL, fl, h }
#define D(sec, key, f, def, lo, hi, fl, h) \
	{ sec, key, CF_DUR, O(f), def, lo, hi, NULL, NULL, fl, h }
#define Z(sec, key, f, def, lo, hi, fl, h) \
	{ sec, key, CF_SIZE, O(f), def, lo, hi, NULL, NULL, fl, h }
#define E(sec, key, f, def, names, fl, h) \
	{ sec, key, CF_ENUM, O(f), def, 0, 0, names, NULL, fl, h }
#define L(sec, key, f, def, chk, fl, h) \
	{ sec, key, CF_LIST, O(f), def, 0, 0, NULL, chk, fl, h }
#define M(sec, key, f, def, fl, h) \
	{ sec, key, CF_MODE, O(f), def, 0, 07777, NULL, NULL, fl, h }

#define SEC	INT64_C(1000)
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define KIB	INT64_C(1024)
#define MIB	(1024 * KIB)
#define GIB	(1024 * MIB)

static const struct cf_name cf_protocol[] = {
	{ "0", 0 }, { "auto", 0 }, { "3", 3 }, { "4", 4 }, { "5", 5 },
	{ NULL, 0 }
};
static const struct cf_name cf_lb[] = {
	{ "dc_aware", CONFIG_LB_DC_AWARE },
	{ "round_robin", CONFIG_LB_ROUND_ROBIN },
	{ NULL, 0 }
};
static const struct cf_name cf_retry[] = {
	{ "default", CONFIG_RETRY_DEFAULT },
	{ "downgrading", CONFIG_RETRY_DOWNGRADING },
	{ "fallthrough", CONFIG_RETRY_FALLTHROUGH },
	{ NULL, 0 }
};
static const struct cf_name cf_reconnect[] = {
	{ "exponential", CONFIG_RECONNECT_EXPONENTIAL },
	{ "constant", CONFIG_RECONNECT_CONSTANT },
	{ NULL, 0 }
};
static const struct cf_name cf_speculative[] = {
	{ "none", CONFIG_SPECULATIVE_NONE },
	{ "constant", CONFIG_SPECULATIVE_CONSTANT },
	{ NULL, 0 }
};
static const struct cf_name cf_consistency[] = {
	{ "ANY", CL_ANY }, { "ONE", CL_ONE }, { "TWO", CL_TWO },
	{ "THREE", CL_THREE }, { "QUORUM", CL_QUORUM }, { "ALL", CL_ALL },
	{ "LOCAL_QUORUM", CL_LOCAL_QUORUM }, { "EACH_QUORUM", CL_EACH_QUORUM },
	{ "SERIAL", CL_SERIAL }, { "LOCAL_SERIAL", CL_LOCAL_SERIAL },
	{ "LOCAL_ONE", CL_LOCAL_ONE },
	{ NULL, 0 }
};
static const struct cf_name cf_serial[] = {
	{ "none", CONFIG_CONSISTENCY_UNSET }, { "SERIAL", CL_SERIAL },
	{ "LOCAL_SERIAL", CL_LOCAL_SERIAL },
	{ NULL, 0 }
};
static const struct cf_name cf_level[] = {
	{ "error", LOG_LEVEL_ERROR }, { "warn", LOG_LEVEL_WARN },
	{ "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
	{ "trace", LOG_LEVEL_TRACE },
	{ NULL, 0 }
};
static const struct cf_name cf_target[] = {
	{ "auto", CONFIG_LOG_AUTO }, { "stderr", CONFIG_LOG_STDERR },
	{ "syslog", CONFIG_LOG_SYSLOG },
	{ NULL, 0 }
};

static const char	*cf_check_address(const char *);
static const char	*cf_check_name(const char *);
static const char	*cf_check_abspath(const char *);
static const char	*cf_check_listen(const char *);

/*
 * Every key. Defaults follow the DataStax drivers
 * (shared/reference/driver-defaults.md) unless a comment says otherwise.
 */
static const struct cf_key cf_keys[] = {
	L("cluster", "contact_points", contact_points, "127.0.0.1",
	    cf_check_address, 0,
	    "hosts to learn the cluster from: host, host:port, [v6addr]:port"),
	I("cluster", "port", port, "9042", 1, 65535, 0,
	    "native protocol port of contact points given without one"),
	S("cluster", "local_dc", local_dc, "", NULL, CF_RELOAD,
	    "the local datacenter; empty = the first contact point's"),
	E("cluster", "protocol_version", protocol_version, "0", cf_protocol, 0,
	    "native protocol version 3, 4 or 5; 0 = highest both sides speak"),
	D("cluster", "connect_timeout", connect_timeout_ms, "5s", 1, 10 * MIN,
	    CF_RELOAD, "time to open and set up a connection"),
	D("cluster", "request_timeout", request_timeout_ms, "10s", 1, DAY,
	    CF_RELOAD, "default time a request may take, retries included"),
	D("cluster", "heartbeat_interval", heartbeat_interval_ms, "30s", 0, DAY,
	    CF_RELOAD, "send OPTIONS on a connection idle this long; 0 = never"),
	D("cluster", "heartbeat_timeout", heartbeat_timeout_ms, "30s", 1, DAY,
	    CF_RELOAD, "close a connection whose heartbeat goes unanswered"),
	I("cluster", "connections_per_host_local", connections_per_host_local,
	    "1", 1, 64, CF_RELOAD,
	    "connections kept to each host of the local DC"),
	I("cluster", "max_connections_per_host_local",
	    max_connections_per_host_local, "2", 1, 64, CF_RELOAD,
	    "connections a busy local host may grow to"),
	I("cluster", "connections_per_host_remote", connections_per_host_remote,
	    "1", 1, 64, CF_RELOAD,
	    "connections kept to each used remote host"),
	I("cluster", "max_connections_per_host_remote",
	    max_connections_per_host_remote, "1", 1, 64, CF_RELOAD,
	    "connections a busy remote host may grow to"),
	/* 2048 of the 32768 stream ids: past that a new connection helps more. */
	I("cluster", "max_requests_per_connection", max_requests_per_connection,
	    "2048", 1, 32768, CF_RELOAD,
	    "requests in flight on one connection"),
	D("cluster", "schema_agreement_wait", schema_agreement_wait_ms, "10s",
	    0, 10 * MIN, CF_RELOAD,
	    "wait this long for schema agreement after DDL; 0 = don't wait"),
	D("cluster", "topology_event_window", topology_event_window_ms, "10s",
	    0, 10 * MIN, CF_RELOAD, "gather topology events this long"),
	D("cluster", "status_event_window", status_event_window_ms, "2s",
	    0, 10 * MIN, CF_RELOAD, "gather status (up/down) events this long"),
	D("cluster", "schema_event_window", schema_event_window_ms, "2s",
	    0, 10 * MIN, CF_RELOAD, "gather schema events this long"),
	B("cluster", "prepare_on_all_hosts", prepare_on_all_hosts, "true",
	    CF_RELOAD, "prepare new statements on every host, not just one"),
	B("cluster", "reprepare_on_up", reprepare_on_up, "true", CF_RELOAD,
	    "prepare known statements on a host that comes back"),
	I("cluster", "prepared_cache_size", prepared_cache_size, "1000", 1,
	    1000000, CF_RELOAD,
	    "prepared statements kept (least recently used go)"),
	D("cluster", "max_trace_wait", max_trace_wait_ms, "2s", 0, 10 * MIN,
	    CF_RELOAD, "wait this long for a trace to be complete"),
	/* The C/C++ driver's 3 ms retry delay. */
	D("cluster", "tracing_poll_interval", tracing_poll_interval_ms, "3ms",
	    1, 10 * SEC, CF_RELOAD, "delay between polls of system_traces"),

	E("policy", "load_balancing", load_balancing, "dc_aware", cf_lb,
	    CF_RELOAD,
	    "dc_aware (local DC first) or round_robin (all hosts alike)"),
	B("policy", "token_aware", token_aware, "true", CF_RELOAD,
	    "send requests with a routing key to a replica first"),
	/* The C/C++ driver's default; spreads load over replicas. */
	B("policy", "shuffle_replicas", shuffle_replicas, "true", CF_RELOAD,
	    "try the replicas in random order, not ring order"),
	I("policy", "used_hosts_per_remote_dc", used_hosts_per_remote_dc, "0",
	    0, 1000, CF_RELOAD, "remote DC hosts to fail over to; 0 = none"),
	L("policy", "allow_hosts", allow_hosts, "", cf_check_address,
	    CF_RELOAD, "only use these hosts; empty = all"),
	L("policy", "deny_hosts", deny_hosts, "", cf_check_address,
	    CF_RELOAD, "never use these hosts"),
	E("policy", "retry", retry, "default", cf_retry, CF_RELOAD,
	    "retry policy: default, downgrading or fallthrough"),
	E("policy", "reconnection", reconnection, "exponential", cf_reconnect,
	    CF_RELOAD, "reconnection delays: exponential or constant"),
	D("policy", "reconnect_base_delay", reconnect_base_delay_ms, "1s", 1,
	    HOUR, CF_RELOAD, "first (or every, if constant) reconnection delay"),
	D("policy", "reconnect_max_delay", reconnect_max_delay_ms, "10m", 1,
	    DAY, CF_RELOAD, "longest exponential reconnection delay"),
	E("policy", "speculative_execution", speculative_execution, "none",
	    cf_speculative, CF_RELOAD,
	    "none, or constant: try another host for idempotent requests"),
	D("policy", "speculative_delay", speculative_delay_ms, "100ms", 0,
	    MIN, CF_RELOAD, "delay before each speculative execution"),
	I("policy", "speculative_max_attempts", speculative_max_attempts, "2",
	    1, 16, CF_RELOAD, "speculative executions at most per request"),
	E("policy", "default_consistency", default_consistency, "LOCAL_ONE",
	    cf_consistency, CF_RELOAD, "consistency of requests that give none"),
	E("policy", "default_serial_consistency", default_serial_consistency,
	    "none", cf_serial, CF_RELOAD,
	    "SERIAL, LOCAL_SERIAL or none (the server's choice, SERIAL)"),
	I("policy", "default_page_size", default_page_size, "5000", 1,
	    1000000, CF_RELOAD, "rows per page of requests that give none"),
	B("policy", "client_timestamps", client_timestamps, "true", CF_RELOAD,
	    "give writes a timestamp made here (monotonic, microseconds)"),

	S("listen", "socket", socket, "/run/cqlproxyd/cqlproxyd.sock",
	    cf_check_abspath, 0, "the Unix socket clients connect to"),
	M("listen", "socket_mode", socket_mode, "0660", 0,
	    "file mode of the sockets"),
	S("listen", "socket_owner", socket_owner, "", cf_check_name, 0,
	    "owner of the sockets (name or uid); empty = unchanged"),
	S("listen", "socket_group", socket_group, "", cf_check_name, 0,
	    "group of the sockets (name or gid); empty = unchanged"),
	S("listen", "readonly_socket", readonly_socket, "", cf_check_abspath,
	    0, "a second socket that only allows reads; empty = none"),
	L("listen", "allow_uids", allow_uids, "", cf_check_name, CF_RELOAD,
	    "only these users (names or uids) may talk; empty = anyone"),
	L("listen", "allow_gids", allow_gids, "", cf_check_name, CF_RELOAD,
	    "or members of these groups (primary group of the peer)"),
	I("listen", "max_clients", max_clients, "1024", 1, 1000000, CF_RELOAD,
	    "clients connected at once; more are refused"),
	Z("listen", "max_line_length", max_line_length, "1MiB", KIB, 256 * MIB,
	    CF_RELOAD, "longest request line"),
	I("listen", "max_inflight_per_client", max_inflight_per_client, "128",
	    1, 65536, CF_RELOAD, "requests one client may have running"),
	Z("listen", "max_output_per_client", max_output_per_client, "16MiB",
	    64 * KIB, GIB, CF_RELOAD,
	    "answers queued for a slow client before it stops being read"),
	I("listen", "max_inflight", max_inflight, "8192", 1, 1000000,
	    CF_RELOAD, "requests running for all clients together"),
	D("listen", "drain_timeout", drain_timeout_ms, "10s", 0, HOUR,
	    CF_RELOAD, "on SIGTERM, wait this long for running requests"),
	I("listen", "backlog", backlog, "128", 1, 65535, 0,
	    "listen(2) backlog of the sockets"),

	E("log", "level", log_level, "info", cf_level, CF_RELOAD,
	    "error, warn, info, debug or trace"),
	E("log", "target", log_target, "auto", cf_target, 0,
	    "stderr, syslog, or auto (stderr in the foreground, else syslog)"),

	S("metrics", "prometheus_listen", prometheus_listen, "",
	    cf_check_listen, 0,
	    "host:port for Prometheus metrics over HTTP; empty = off"),

	S("auth", "username", username, "", NULL, 0,
	    "user for PasswordAuthenticator; empty = no authentication"),
	S("auth", "password", password, "", NULL, CF_SECRET,
	    "its password (never printed)"),
};

static const char *cf_sections[] = {
	"cluster", "policy", "listen", "log", "metrics", "auth"
};

/*
 * Value checks and parsers.
 */

static const char *
cf_check_address(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(".-_:[]%", *p) == NULL)
			return ("not a host name or address");
	}
	return (NULL);
}

static const char *
cf_check_name(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("._-$", *p) == NULL)
			return ("not a user/group name or number");
	}
	return (NULL);
}

static const char *
cf_check_abspath(const char *s)
{
	if (*s != '\0' && *s != '/')
		return ("not an absolute path");
	if (strlen(s) >= 108)
		return ("too long for a Unix socket path");
	return (NULL);
}

static const char *
cf_check_listen(const char *s)
{
	const char	*c;
	char		*ep;
	long		 port;

	if (*s == '\0')
		return (NULL);
	if ((c = strrchr(s, ':')) == NULL || c == s)
		return ("expected host:port");
	if (cf_check_address(s) != NULL)
		return ("not a host:port");
	errno = 0;
	port = strtol(c + 1, &ep, 10);
	if (c[1] == '\0' || *ep != '\0' || errno != 0 || port < 1 ||
	    port > 65535)
		return ("bad port");
	return (NULL);
}

/* A strict decimal integer (digits, optional sign); 0 or -1. */
static int
cf_parse_i64(const char *s, int64_t *v)
{
	const char	*p = s;
	char		*ep;

	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return (-1);
	errno = 0;
	*v = strtoll(s, &ep, 10);
	return (errno != 0 || *ep != '\0' ? -1 : 0);
}

static const struct {
	const char	*unit;
	int64_t		 mult;
} cf_dur_units[] = {
	{ "ms", 1 }, { "s", SEC }, { "m", MIN }, { "min", MIN }, { "h", HOUR },
	{ "d", DAY }
}, cf_size_units[] = {
	{ "", 1 }, { "b", 1 }, { "k", KIB }, { "kb", KIB }, { "kib", KIB },
	{ "m", MIB }, { "mb", MIB }, { "mib", MIB }, { "g", GIB },
	{ "gb", GIB }, { "gib", GIB }
};

/* "500ms", "2s", "10m", or a bare "0"; *ms set. */
static int
cf_parse_unit(const char *s, int size, int64_t *out)
{
	const char	*p = s;
	int64_t		 v = 0;
	size_t		 i, n;

	if (!isdigit((unsigned char)*p))
		return (-1);
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (INT64_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (*p - '0');
	}
	while (*p == ' ')
		p++;
	if (!size && *p == '\0' && v == 0) {
		*out = 0;
		return (0);
	}
	n = size ? nitems(cf_size_units) : nitems(cf_dur_units);
	for (i = 0; i < n; i++) {
		const char	*u = size ? cf_size_units[i].unit :
		    cf_dur_units[i].unit;
		int64_t		 m = size ? cf_size_units[i].mult :
		    cf_dur_units[i].mult;

		if (strcasecmp(p, u) != 0)
			continue;
		if (v > INT64_MAX / m)
			return (-1);
		*out = v * m;
		return (0);
	}
	return (-1);
}

/* The largest unit that shows v exactly: 10m, 1500ms, 64KiB, 1000. */
static void
cf_format_unit(int64_t v, int size, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		int64_t		 mult;
	} dur[] = {
		{ "d", DAY }, { "h", HOUR }, { "m", MIN }, { "s", SEC },
		{ "ms", 1 }
	}, sz[] = {
		{ "GiB", GIB }, { "MiB", MIB }, { "KiB", KIB }, { "", 1 }
	};
	size_t	i, n = size ? nitems(sz) : nitems(dur);

	if (v == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (i = 0; i < n; i++) {
		int64_t	m = size ? sz[i].mult : dur[i].mult;

		if (v % m == 0) {
			snprintf(buf, len, "%" PRId64 "%s", v / m,
			    size ? sz[i].unit : dur[i].unit);
			return;
		}
	}
}

static const char *
cf_names_list(const struct cf_name *names, char *buf, size_t len)
{
	size_t	i, o = 0;

	buf[0] = '\0';
	for (i = 0; names[i].name != NULL && o < len; i++) {
		o += snprintf(buf + o, len - o, "%s%s", i == 0 ? "" :
		    names[i + 1].name == NULL ? " or " : ", ", names[i].name);
	}
	return (buf);
}

static void
cf_list_clear(struct config_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Split on commas and blanks, appending to l; NULL or why not. */
static const char *
cf_list_add(const struct cf_key *k, struct config_list *l, const char *s,
    char *why, size_t whylen)
{
	const char	*p = s, *r;
	size_t		 n;
	char		*item;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		item = xstrndup(p, n);
		if (k->check != NULL && (r = k->check(item)) != NULL) {
			snprintf(why, whylen, "\"%s\": %s", item, r);
			free(item);
			return (why);
		}
		if (l->n >= 4096) {
			free(item);
			return ("too many items");
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = item;
		p += n;
	}
	return (NULL);
}

/*
 * Parse one value into its place in cfg; NULL on success, else the reason
 * (in why, or a static string). cont: the value continues a list.
 */
static const char *
cf_set(struct config *cfg, const struct cf_key *k, const char *value,
    int cont, char *why, size_t whylen)
{
	void		*at = (char *)cfg + k->off;
	const char	*r;
	char		 lo[32], hi[32], names[256], *ep;
	int64_t		 v;
	size_t		 i;
	unsigned long	 mode;

	switch (k->type) {
	case CF_STR:
		if (k->check != NULL && (r = k->check(value)) != NULL)
			return (r);
		free(*(char **)at);
		*(char **)at = xstrdup(value);
		return (NULL);
	case CF_LIST:
		if (!cont)
			cf_list_clear(at);
		return (cf_list_add(k, at, value, why, whylen));
	case CF_BOOL:
		if (strcasecmp(value, "true") == 0 ||
		    strcasecmp(value, "yes") == 0 ||
		    strcasecmp(value, "on") == 0 || strcmp(value, "1") == 0)
			*(int *)at = 1;
		else if (strcasecmp(value, "false") == 0 ||
		    strcasecmp(value, "no") == 0 ||
		    strcasecmp(value, "off") == 0 || strcmp(value, "0") == 0)
			*(int *)at = 0;
		else
			return ("expected true or false");
		return (NULL);
	case CF_ENUM:
		for (i = 0; k->names[i].name != NULL; i++) {
			if (strcasecmp(value, k->names[i].name) == 0) {
				*(int *)at = k->names[i].value;
				return (NULL);
			}
		}
		snprintf(why, whylen, "expected %s",
		    cf_names_list(k->names, names, sizeof names));
		return (why);
	case CF_MODE:
		errno = 0;
		mode = strtoul(value, &ep, 8);
		if (!isdigit((unsigned char)*value) || *ep != '\0' ||
		    errno != 0 || mode > (unsigned long)k->max)
			return ("expected an octal file mode such as 0660");
		*(unsigned int *)at = (unsigned int)mode;
		return (NULL);
	case CF_INT:
		if (cf_parse_i64(value, &v) != 0)
			return ("expected an integer");
		if (v < k->min || v > k->max) {
			snprintf(why, whylen, "out of range (%" PRId64 " to %"
			    PRId64 ")", k->min, k->max);
			return (why);
		}
		*(int *)at = (int)v;
		return (NULL);
	case CF_DUR:
	case CF_SIZE:
		if (cf_parse_unit(value, k->type == CF_SIZE, &v) != 0)
			return (k->type == CF_SIZE ?
			    "expected a size such as 512, 64k or 1MiB" :
			    "expected a duration with a unit: ms, s, m, h or d");
		if (v < k->min || v > k->max) {
			cf_format_unit(k->min, k->type == CF_SIZE, lo,
			    sizeof lo);
			cf_format_unit(k->max, k->type == CF_SIZE, hi,
			    sizeof hi);
			snprintf(why, whylen, "out of range (%s to %s)", lo, hi);
			return (why);
		}
		if (k->type == CF_SIZE)
			*(size_t *)at = (size_t)v;
		else
			*(int64_t *)at = v;
		return (NULL);
	}
	return ("unknown key type");
}

/* The value of a key in the file's syntax (xmalloc'd). */
static char *
cf_get(const struct config *cfg, const struct cf_key *k)
{
	const void	*at = (const char *)cfg + k->off;
	const struct config_list *l;
	struct wbuf	 w;
	char		 buf[64], *s;
	size_t		 i, n;

	switch (k->type) {
	case CF_STR:
		return (xstrdup(*(char *const *)at));
	case CF_LIST:
		l = at;
		wbuf_init(&w, 0);
		for (i = 0; i < l->n; i++) {
			if (i > 0)
				wbuf_raw(&w, ", ", 2);
			wbuf_raw(&w, l->v[i], strlen(l->v[i]));
		}
		wbuf_u8(&w, '\0');
		return ((char *)wbuf_steal(&w, &n));
	case CF_BOOL:
		return (xstrdup(*(const int *)at ? "true" : "false"));
	case CF_ENUM:
		for (i = 0; k->names[i].name != NULL; i++) {
			if (k->names[i].value == *(const int *)at)
				return (xstrdup(k->names[i].name));
		}
		xasprintf(&s, "%d", *(const int *)at);
		return (s);
	case CF_MODE:
		xasprintf(&s, "%04o", *(const unsigned int *)at);
		return (s);
	case CF_INT:
		xasprintf(&s, "%d", *(const int *)at);
		return (s);
	case CF_DUR:
		cf_format_unit(*(const int64_t *)at, 0, buf, sizeof buf);
		return (xstrdup(buf));
	case CF_SIZE:
		cf_format_unit((int64_t)*(const size_t *)at, 1, buf,
		    sizeof buf);
		return (xstrdup(buf));
	}
	return (xstrdup(""));
}

static int
cf_equal(const struct config *a, const struct config *b,
    const struct cf_key *k)
{
	const void	*x = (const char *)a + k->off;
	const void	*y = (const char *)b + k->off;
	const struct config_list *l = x, *m = y;
	size_t		 i;

	switch (k->type) {
	case CF_STR:
		return (strcmp(*(char *const *)x, *(char *const *)y) == 0);
	case CF_LIST:
		if (l->n != m->n)
			return (0);
		for (i = 0; i < l->n; i++) {
			if (strcmp(l->v[i], m->v[i]) != 0)
				return (0);
		}
		return (1);
	case CF_BOOL:
	case CF_ENUM:
	case CF_INT:
		return (*(const int *)x == *(const int *)y);
	case CF_MODE:
		return (*(const unsigned int *)x == *(const unsigned int *)y);
	case CF_DUR:
		return (*(const int64_t *)x == *(const int64_t *)y);
	case CF_SIZE:
		return (*(const size_t *)x == *(const size_t *)y);
	}
	return (0);
}

/* Copy one key's value from src into dst (freeing dst's). */
static void
cf_copy(struct config *dst, const struct config *src, const struct cf_key *k)
{
	void			*to = (char *)dst + k->off;
	const void		*from = (const char *)src + k->off;
	const struct config_list *l = from;
	struct config_list	*d = to;
	size_t			 i;

	switch (k->type) {
	case CF_STR:
		free(*(char **)to);
		*(char **)to = xstrdup(*(char *const *)from);
		break;
	case CF_LIST:
		cf_list_clear(d);
		d->v = l->n == 0 ? NULL : xcalloc(l->n, sizeof *d->v);
		for (i = 0; i < l->n; i++)
			d->v[i] = xstrdup(l->v[i]);
		d->n = l->n;
		break;
	case CF_BOOL:
	case CF_ENUM:
	case CF_INT:
		*(int *)to = *(const int *)from;
		break;
	case CF_MODE:
		*(unsigned int *)to = *(const unsigned int *)from;
		break;
	case CF_DUR:
		*(int64_t *)to = *(const int64_t *)from;
		break;
	case CF_SIZE:
		*(size_t *)to = *(const size_t *)from;
		break;
	}
}

static const struct cf_key *
cf_find(const char *section, const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(cf_keys); i++) {
		if (strcmp(cf_keys[i].section, section) == 0 &&
		    strcmp(cf_keys[i].name, name) == 0)
			return (&cf_keys[i]);
	}
	return (NULL);
}

static int
cf_section_known(const char *section)
{
	size_t	i;

	for (i = 0; i < nitems(cf_sections); i++) {
		if (strcmp(cf_sections[i], section) == 0)
			return (1);
	}
	return (0);
}

/*
 * Loading.
 */

/* Reading state: where lines come from and the first error seen. */
struct cf_parse {
	struct config	*cfg;
	const char	*path;
	FILE		*f;
	const char	*s;		/* or a string */
	char		*line;		/* getline buffer */
	size_t		 linesize;
	int		 lineno;
	int		 indented;	/* this line continues a value */
	int		 have_key;	/* a key since the last [section] */
	int		 errline;	/* 0 = no error yet */
	char		 errmsg[256];
};

static void printflike(2, 3)
cf_error(struct cf_parse *ps, const char *fmt, ...)
{
	va_list	ap;

	if (ps->errline != 0)
		return;
	ps->errline = ps->lineno;
	va_start(ap, fmt);
	vsnprintf(ps->errmsg, sizeof ps->errmsg, fmt, ap);
	va_end(ap);
}

/*
 * inih's line reader: ours so that we know the line number in the handler,
 * see indentation (continuation lines) and unknown empty sections, and
 * refuse over-long lines instead of splitting them.
 */
static char *
cf_reader(char *str, int num, void *arg)
{
	struct cf_parse	*ps = arg;
	const char	*p, *e;
	ssize_t		 n;
	size_t		 len;
	char		 name[64];

	if (ps->f != NULL) {
		if ((n = getline(&ps->line, &ps->linesize, ps->f)) < 0)
			return (NULL);
		len = (size_t)n;
	} else {
		if (*ps->s == '\0')
			return (NULL);
		len = strcspn(ps->s, "\n");
		if (ps->s[len] == '\n')
			len++;
		if (ps->linesize < len + 1) {
			ps->line = xrealloc(ps->line, len + 1);
			ps->linesize = len + 1;
		}
		memcpy(ps->line, ps->s, len);
		ps->line[len] = '\0';
		ps->s += len;
	}
	ps->lineno++;
	len = strlen(ps->line);
	if (len + 3 > (size_t)num) {
		cf_error(ps, "line too long (at most %d characters; continue "
		    "long lists on indented lines)", num - 3);
		snprintf(str, num, "\n");
		return (str);
	}
	memcpy(str, ps->line, len + 1);

	/*
	 * As inih: a line that starts with blank space (any isspace(), \r
	 * too) after a key continues that key, unless it is blank or a
	 * comment.
	 */
	for (p = ps->line; *p != '\0' && isspace((unsigned char)*p); p++)
		continue;
	ps->indented = ps->have_key && p != ps->line && *p != '\0' &&
	    *p != ';' && *p != '#';
	if (!ps->indented && *p == '[' && (e = strchr(p, ']')) != NULL) {
		ps->have_key = 0;
		snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
		if (!cf_section_known(name))
			cf_error(ps, "unknown section [%s]", name);
	}
	return (str);
}

/*
 * inih drops a "; comment" after blank space on a key's line but not on
 * its continuation lines (Debian's inih 55): drop it there too, so that
 * both read alike.  A copy to free, or NULL if there is none.
 */
static char *
cf_uncomment(const char *value)
{
	size_t	i, n;

	for (i = 0; value[i] != '\0'; i++) {
		if (i > 0 && value[i] == ';' &&
		    isspace((unsigned char)value[i - 1]))
			break;
	}
	if (value[i] == '\0')
		return (NULL);
	for (n = i; n > 0 && isspace((unsigned char)value[n - 1]); n--)
		continue;
	return (xstrndup(value, n));
}

static int
cf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct cf_parse		*ps = arg;
	const struct cf_key	*k;
	const char		*r;
	char			 why[256], *uncommented = NULL;

	ps->have_key = 1;
	if (*section == '\0') {
		cf_error(ps, "%s outside a section", name);
		return (0);
	}
	if (!cf_section_known(section))
		return (0);	/* the reader reported it */
	if ((k = cf_find(section, name)) == NULL) {
		cf_error(ps, "unknown key %s in [%s]", name, section);
		return (0);
	}
	if (ps->indented && k->type != CF_LIST) {
		cf_error(ps, "indented line continues %s, which is not a list",
		    name);
		return (0);
	}
	if (ps->indented && (uncommented = cf_uncomment(value)) != NULL)
		value = uncommented;
	if ((r = cf_set(ps->cfg, k, value, ps->indented, why,
	    sizeof why)) != NULL) {
		if (k->type == CF_LIST)
			cf_error(ps, "bad value for %s: %s", name, r);
		else
			cf_error(ps, "bad value for %s: \"%s\": %s", name, value,
			    r);
		free(uncommented);
		return (0);
	}
	free(uncommented);
	return (1);
}

/* Rules between keys, after the whole file is read; NULL or why. */
static const char *
cf_validate(const struct config *c, char *why, size_t len)
{
	if (c->max_connections_per_host_local < c->connections_per_host_local) {
		snprintf(why, len, "max_connections_per_host_local (%d) is "
		    "below connections_per_host_local (%d)",
		    c->max_connections_per_host_local,
		    c->connections_per_host_local);
		return (why);
	}
	if (c->max_connections_per_host_remote <
	    c->connections_per_host_remote) {
		snprintf(why, len, "max_connections_per_host_remote (%d) is "
		    "below connections_per_host_remote (%d)",
		    c->max_connections_per_host_remote,
		    c->connections_per_host_remote);
		return (why);
	}
	if (c->reconnect_max_delay_ms < c->reconnect_base_delay_ms)
		return ("reconnect_max_delay is below reconnect_base_delay");
	if (*c->socket == '\0')
		return ("listen socket is empty");
	if (strcmp(c->socket, c->readonly_socket) == 0)
		return ("readonly_socket is the same as socket");
	if (c->contact_points.n == 0)
		return ("no contact_points");
	if (*c->password != '\0' && *c->username == '\0')
		return ("password given without username");
	return (NULL);
}

struct config *
config_default(void)
{
	struct config	*cfg = xcalloc(1, sizeof *cfg);
	const char	*r;
	char		 why[256];
	size_t		 i;

	/* Strings start empty so every pointer is valid. */
	for (i = 0; i < nitems(cf_keys); i++) {
		if (cf_keys[i].type == CF_STR)
			*(char **)((char *)cfg + cf_keys[i].off) = xstrdup("");
	}
	for (i = 0; i < nitems(cf_keys); i++) {
		r = cf_set(cfg, &cf_keys[i], cf_keys[i].def, 0, why, sizeof why);
		if (r != NULL)
			fatalx("default of %s.%s: %s", cf_keys[i].section,
			    cf_keys[i].name, r);
	}
	return (cfg);
}

/* Parse from a file or a string over the defaults. */
static struct config *
cf_load(FILE *f, const char *text, const char *path, char *err,
    size_t errlen)
{
	struct cf_parse	 ps;
	const char	*r;
	char		 why[256];
	int		 ret;

	memset(&ps, 0, sizeof ps);
	ps.cfg = config_default();
	ps.cfg->path = xstrdup(path);
	ps.path = path;
	ps.f = f;
	ps.s = text;
	ret = ini_parse_stream(cf_reader, &ps, cf_handler, &ps);
	free(ps.line);
	if (ret < 0) {
		snprintf(err, errlen, "%s: cannot parse (out of memory)", path);
		goto fail;
	}
	if (ret > 0 && (ps.errline == 0 || ret < ps.errline)) {
		snprintf(err, errlen, "%s:%d: syntax error (expected "
		    "[section] or key = value)", path, ret);
		goto fail;
	}
	if (ps.errline != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, ps.errline,
		    ps.errmsg);
		goto fail;
	}
	if (f != NULL && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((r = cf_validate(ps.cfg, why, sizeof why)) != NULL) {
		snprintf(err, errlen, "%s: %s", path, r);
		goto fail;
	}
	return (ps.cfg);
fail:
	config_free(ps.cfg);
	return (NULL);
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config	*cfg;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	cfg = cf_load(f, NULL, path, err, errlen);
	fclose(f);
	return (cfg);
}

struct config *
config_load_string(const char *text, const char *path, char *err,
    size_t errlen)
{
	return (cf_load(NULL, text, path, err, errlen));
}

void
config_free(struct config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < nitems(cf_keys); i++) {
		if (cf_keys[i].type == CF_STR)
			free(*(char **)((char *)cfg + cf_keys[i].off));
		else if (cf_keys[i].type == CF_LIST)
			cf_list_clear((void *)((char *)cfg + cf_keys[i].off));
	}
	free(cfg->path);
	free(cfg);
}

/*
 * A list key, wrapped onto tab-indented continuation lines at about
 * CF_DUMP_WRAP columns: the reader refuses long lines, and the dump must
 * load back. An item alone on a continuation line always fits, since it
 * was read from a line at least one character longer.
 */
#define CF_DUMP_WRAP	72
static void
cf_dump_list(const struct cf_key *k, const struct config_list *l,
    struct wbuf *w)
{
	size_t	i, col, len;

	wbuf_raw(w, k->name, strlen(k->name));
	wbuf_raw(w, " =", 2);
	col = strlen(k->name) + 2;
	if (l->n == 0)
		wbuf_u8(w, ' ');
	for (i = 0; i < l->n; i++) {
		len = strlen(l->v[i]);
		if (i > 0) {
			wbuf_u8(w, ',');
			col++;
		}
		if (col + 1 + len > CF_DUMP_WRAP) {
			wbuf_raw(w, "\n\t", 2);
			col = 8;
		} else {
			wbuf_u8(w, ' ');
			col++;
		}
		wbuf_raw(w, l->v[i], len);
		col += len;
	}
	wbuf_u8(w, '\n');
}

void
config_dump(const struct config *cfg, struct wbuf *w)
{
	const char	*section = NULL;
	char		*v, *line;
	size_t		 i;

	for (i = 0; i < nitems(cf_keys); i++) {
		const struct cf_key	*k = &cf_keys[i];

		if (section == NULL || strcmp(section, k->section) != 0) {
			section = k->section;
			xasprintf(&line, "%s[%s]\n", i == 0 ? "" : "\n",
			    section);
			wbuf_raw(w, line, strlen(line));
			free(line);
		}
		if (k->type == CF_LIST && !(k->flags & CF_SECRET)) {
			cf_dump_list(k, (const struct config_list *)
			    ((const char *)cfg + k->off), w);
			continue;
		}
		v = cf_get(cfg, k);
		if ((k->flags & CF_SECRET) && *v != '\0') {
			free(v);
			v = xstrdup("********");
		}
		/*
		 * "; x" after the blank would read back as a comment: a value
		 * that starts with ";" follows the "=" at once.
		 */
		xasprintf(&line, "%s =%s%s\n", k->name, *v == ';' ? "" : " ",
		    v);
		wbuf_raw(w, line, strlen(line));
		free(line);
		free(v);
	}
}

int
config_reload_check(const struct config *old, const struct config *new,
    char *err, size_t errlen)
{
	size_t	i, o = 0;
	int	n = 0;

	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < nitems(cf_keys); i++) {
		if ((cf_keys[i].flags & CF_RELOAD) ||
		    cf_equal(old, new, &cf_keys[i]))
			continue;
		if (o < errlen)
			o += snprintf(err + o, errlen - o, "%s%s.%s",
			    n == 0 ? "" : ", ", cf_keys[i].section,
			    cf_keys[i].name);
		n++;
	}
	return (n);
}

int
config_changes(const struct config *old, const struct config *new,
    config_change_fn fn, void *arg)
{
	const struct cf_key	*k;
	char			 name[64], *from, *to;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < nitems(cf_keys); i++) {
		k = &cf_keys[i];
		if (cf_equal(old, new, k))
			continue;
		n++;
		snprintf(name, sizeof name, "%s.%s", k->section, k->name);
		if (k->flags & CF_SECRET) {
			fn(name, NULL, NULL, (k->flags & CF_RELOAD) != 0, arg);
			continue;
		}
		from = cf_get(old, k);
		to = cf_get(new, k);
		fn(name, from, to, (k->flags & CF_RELOAD) != 0, arg);
		free(from);
		free(to);
	}
	return (n);
}

void
config_keep_restart_keys(struct config *new, const struct config *old)
{
	size_t	i;

	for (i = 0; i < nitems(cf_keys); i++) {
		if (!(cf_keys[i].flags & CF_RELOAD))
			cf_copy(new, old, &cf_keys[i]);
	}
}

int
config_equal(const struct config *a, const struct config *b)
{
	size_t	i;

	for (i = 0; i < nitems(cf_keys); i++) {
		if (!cf_equal(a, b, &cf_keys[i]))
			return (0);
	}
	return (1);
}

/* The example file: every key at its default, with its one-line help. */
void
config_example(struct wbuf *w)
{
	const char	*section = NULL;
	char		*line;
	size_t		 i;

	for (i = 0; i < nitems(cf_keys); i++) {
		const struct cf_key	*k = &cf_keys[i];

		if (section == NULL || strcmp(section, k->section) != 0) {
			section = k->section;
			xasprintf(&line, "%s[%s]\n", i == 0 ? "" : "\n",
			    section);
			wbuf_raw(w, line, strlen(line));
			free(line);
		}
		xasprintf(&line, "; %s%s\n%s = %s\n", k->help,
		    (k->flags & CF_RELOAD) ? "" : " (restart)", k->name,
		    k->def);
		wbuf_raw(w, line, strlen(line));
		free(line);
	}
}
