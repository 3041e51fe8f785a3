/*
 * config.h: cqlproxyd's configuration file (INI, read with inih).
 *
 * Every key is one row of a table in config.c: section, name, type, where
 * it lives in struct config, its default, and whether SIGHUP may change it.
 * conf/cqlproxyd.conf lists them all with their defaults (a unit test keeps
 * it in step), docs/cqlproxyd.conf.5 is the manual.
 *
 * Value syntax:
 *	bool		true/false, yes/no, on/off, 1/0
 *	duration	integer with a unit: 500ms, 2s, 10m, 1h, 1d ("0" alone
 *			is allowed and means zero or off where documented)
 *	size		integer, optionally with a binary unit: 512, 64k, 64KiB,
 *			1M, 1MiB, 1G (k = KiB = 1024 bytes)
 *	list		comma- and/or space-separated; a long list may continue
 *			on following indented lines
 * Comments start a line with ';' or '#', or follow " ;" inside a line.
 *
 * Reload (SIGHUP): parse into a new struct config, then
 *	config_reload_check(old, new, ...)	names the restart-only keys
 *						that changed (log a warning)
 *	config_keep_restart_keys(new, old)	puts their old values back
 *	config_changes(old, new, fn, arg)	each changed key, for the log
 * and swap: reloadable keys take effect (server.c hands the cluster's to
 * cluster_reconfigure first, which may still refuse them), the others
 * wait for a restart.
 *
 * The name clashes with autoconf's config.h: files in daemon/service get
 * this one with #include "config.h"; elsewhere use
 * #include "daemon/service/config.h".
 */
#ifndef CQLP_CONFIG_H
#define CQLP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct wbuf;

/* A list of strings (addresses, host names, user names...). */
struct config_list {
	size_t	  n;
	char	**v;
};

enum config_lb {
	CONFIG_LB_DC_AWARE = 0,		/* local DC first, round robin */
	CONFIG_LB_ROUND_ROBIN		/* every host alike */
};

enum config_retry {
	CONFIG_RETRY_DEFAULT = 0,	/* the drivers' default policy */
	CONFIG_RETRY_DOWNGRADING,	/* retry at a lower consistency */
	CONFIG_RETRY_FALLTHROUGH	/* never retry: errors go to clients */
};

enum config_reconnect {
	CONFIG_RECONNECT_EXPONENTIAL = 0,
	CONFIG_RECONNECT_CONSTANT
};

enum config_speculative {
	CONFIG_SPECULATIVE_NONE = 0,
	CONFIG_SPECULATIVE_CONSTANT	/* another host after a fixed delay */
};

enum config_log_target {
	CONFIG_LOG_AUTO = 0,		/* stderr in the foreground, else syslog */
	CONFIG_LOG_STDERR,
	CONFIG_LOG_SYSLOG
};

/* A consistency value that is not set (default_serial_consistency). */
#define CONFIG_CONSISTENCY_UNSET	(-1)

struct config {
	char			*path;		/* file it came from, or NULL */

	/* [cluster] */
	struct config_list	 contact_points;
	int			 port;
	char			*local_dc;	/* "" = learn from the first host */
	int			 protocol_version;	/* 0 = negotiate */
	int64_t			 connect_timeout_ms;
	int64_t			 request_timeout_ms;
	int64_t			 heartbeat_interval_ms;	/* 0 = off */
	int64_t			 heartbeat_timeout_ms;
	int			 connections_per_host_local;
	int			 max_connections_per_host_local;
	int			 connections_per_host_remote;
	int			 max_connections_per_host_remote;
	int			 max_requests_per_connection;
	int64_t			 schema_agreement_wait_ms;	/* 0 = don't wait */
	int64_t			 topology_event_window_ms;
	int64_t			 status_event_window_ms;
	int64_t			 schema_event_window_ms;
	int			 prepare_on_all_hosts;
	int			 reprepare_on_up;
	int			 prepared_cache_size;
	int64_t			 max_trace_wait_ms;
	int64_t			 tracing_poll_interval_ms;

	/* [policy] */
	int			 load_balancing;	/* enum config_lb */
	int			 token_aware;
	int			 shuffle_replicas;
	int			 used_hosts_per_remote_dc;
	struct config_list	 allow_hosts;		/* empty = all */
	struct config_list	 deny_hosts;
	int			 retry;			/* enum config_retry */
	int			 reconnection;		/* enum config_reconnect */
	int64_t			 reconnect_base_delay_ms;
	int64_t			 reconnect_max_delay_ms;
	int			 speculative_execution;	/* enum config_speculative */
	int64_t			 speculative_delay_ms;
	int			 speculative_max_attempts;
	int			 default_consistency;	/* enum consistency */
	int			 default_serial_consistency;	/* or _UNSET */
	int			 default_page_size;
	int			 client_timestamps;

	/* [listen] */
	char			*socket;
	unsigned int		 socket_mode;
	char			*socket_owner;		/* "" = unchanged */
	char			*socket_group;
	char			*readonly_socket;	/* "" = none */
	struct config_list	 allow_uids;		/* empty = anyone */
	struct config_list	 allow_gids;
	int			 max_clients;
	size_t			 max_line_length;
	int			 max_inflight_per_client;
	size_t			 max_output_per_client;
	int			 max_inflight;
	int64_t			 drain_timeout_ms;
	int			 backlog;

	/* [log] */
	int			 log_level;		/* enum log_level */
	int			 log_target;		/* enum config_log_target */

	/* [metrics] */
	char			*prometheus_listen;	/* "" = off */

	/* [auth] */
	char			*username;		/* "" = no authentication */
	char			*password;
};

/* A structure holding every default (path NULL). */
struct config	*config_default(void);
/*
 * Read a file over the defaults. NULL on failure with "FILE:LINE: reason"
 * (or "FILE: reason") in err.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);
/* The same from a string (path only names it in messages). */
struct config	*config_load_string(const char *text, const char *path,
		     char *err, size_t errlen);
void		 config_free(struct config *);

/*
 * Every key as "section.name = value" lines, the password masked; for
 * `cqlproxyd -t` and the stats operation.
 */
void		 config_dump(const struct config *, struct wbuf *);

/*
 * Keys that differ between old and new but need a restart: returns how
 * many, and their "section.name" list (comma-separated) in err.
 */
int		 config_reload_check(const struct config *,
		     const struct config *, char *err, size_t errlen);
/*
 * Call fn for each key whose value differs between old and new, with
 * "section.name", both values in the file's syntax (both NULL for a secret
 * key: its values are never shown) and whether SIGHUP applies it.
 * Returns how many differ.
 */
typedef void	(*config_change_fn)(const char *key, const char *from,
		     const char *to, int reloadable, void *);
int		 config_changes(const struct config *, const struct config *,
		     config_change_fn, void *);
/* Copy the restart-only keys' values from old into new. */
void		 config_keep_restart_keys(struct config *new,
		     const struct config *old);
/* Every key at its default with a comment (conf/cqlproxyd.conf's body). */
void		 config_example(struct wbuf *);
/* 1 if every key of a and b is equal. */
int		 config_equal(const struct config *, const struct config *);

#endif
