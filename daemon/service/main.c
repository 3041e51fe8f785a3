/*
 * main.c: cqlproxyd's command line: run (-c FILE), stay in the foreground
 * logging to stderr (-f), check the configuration and exit (-t), print the
 * version (-V) or the usage (-h).  The daemon never forks: systemd (or the
 * shell) runs it in the background.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "cluster.h"
#include "config.h"
#include "service.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/cqlproxyd/cqlproxyd.conf"

static __dead void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: cqlproxyd [-ftVh] [-c file]\n"
	    "  -c file  configuration file (default %s)\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -t       check the configuration and exit\n"
	    "  -V       print the version and exit\n"
	    "  -h       print this help and exit\n", DEFAULT_CONFIG);
	exit(status);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct config		*cfg;
	struct cluster_config	 cc;
	struct server_acl	 acl;
	const char		*path = DEFAULT_CONFIG;
	char			 err[1024], **cps;
	size_t			 ncps, i;
	int			 ch, foreground = 0, test = 0, status, tostderr;

	while ((ch = getopt(argc, argv, "c:fhtV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("cqlproxyd %s\n", PACKAGE_VERSION);
			return (0);
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);

	log_open("cqlproxyd", LOG_LEVEL_INFO, 1);
	if ((cfg = config_load(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "cqlproxyd: %s\n", err);
		return (1);
	}
	if (test) {
		/* What a start would reject beyond the syntax, too. */
		status = 0;
		if (server_acl_build(cfg, &acl, err, sizeof err) != 0) {
			fprintf(stderr, "cqlproxyd: %s: %s\n", path, err);
			status = 1;
		} else
			server_acl_clear(&acl);
		if (status == 0 && server_cluster_config(cfg, &cc, &cps, &ncps,
		    err, sizeof err) != 0) {
			fprintf(stderr, "cqlproxyd: %s: %s\n", path, err);
			status = 1;
		} else if (status == 0) {
			for (i = 0; i < ncps; i++)
				free(cps[i]);
			free(cps);
		}
		if (status == 0)
			fprintf(stderr, "cqlproxyd: %s: configuration OK\n",
			    path);
		config_free(cfg);
		return (status);
	}

	tostderr = foreground || cfg->log_target == CONFIG_LOG_STDERR;
	if (cfg->log_target == CONFIG_LOG_SYSLOG)
		tostderr = 0;
	log_open("cqlproxyd", (enum log_level)cfg->log_level, tostderr);
	log_info("cqlproxyd %s starting with %s", PACKAGE_VERSION, path);

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (server_init(base, cfg, path, foreground) != 0) {
		log_warnx("cannot start");
		return (1);
	}
	status = server_run();
	config_free(srv->cfg);
	free(srv->config_path);
	free(srv);
	srv = NULL;
	event_base_free(base);
	return (status);
}
