/*
 * mock.c: cqlmock's entry point: options, the event loop, signals, and the
 * single `ready` line on stdout once every node listens.
 */
#include <sys/random.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "db.h"
#include "mock.h"

static __dead void
usage(void)
{
	fprintf(stderr, "usage: cqlmock [--nodes N] [--port P] "
	    "[--control PATH] [--dcs dc1:3,dc2:2]\n"
	    "               [--racks R] [--num-tokens K] [--seed S] "
	    "[--trace-delay-ms D]\n"
	    "               [--max-body BYTES] [--max-output BYTES] "
	    "[--log-level LEVEL]\n");
	exit(2);
}

static long long
number(const char *s, const char *what, long long min, long long max)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		fatalx("bad %s: %s (want %lld..%lld)", what, s, min, max);
	return (v);
}

/* "dc1:3,dc2:2" into data centers; node counts must add up to >= 1. */
static struct cluster_dc *
parse_dcs(const char *spec, size_t *ndcs, int *total)
{
	struct cluster_dc	*dcs = NULL;
	char			*copy, *item, *colon, *save = NULL;
	size_t			 n = 0, i;

	copy = xstrdup(spec);
	*total = 0;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((colon = strchr(item, ':')) == NULL || colon == item)
			fatalx("bad --dcs item: %s (want name:count)", item);
		*colon = '\0';
		for (i = 0; i < n; i++) {
			if (strcmp(dcs[i].name, item) == 0)
				fatalx("data center %s given twice", item);
		}
		dcs = xreallocarray(dcs, n + 1, sizeof *dcs);
		dcs[n].name = xstrdup(item);
		dcs[n].count = number(colon + 1, "data center size", 1,
		    MOCK_MAX_NODES);
		*total += dcs[n].count;
		n++;
	}
	free(copy);
	if (n == 0)
		fatalx("empty --dcs");
	*ndcs = n;
	return (dcs);
}

static void
mock_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct event_base	*base = arg;

	log_info("signal %d: exiting", (int)sig);
	event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' },
		{ "dcs", required_argument, NULL, 'd' },
		{ "racks", required_argument, NULL, 'r' },
		{ "num-tokens", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "trace-delay-ms", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "max-output", required_argument, NULL, 'o' },
		{ "log-level", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct event_base	*base;
	struct event		*ev_term, *ev_int;
	struct cluster		*c;
	struct cluster_dc	*dcs = NULL;
	enum log_level		 level = LOG_LEVEL_WARN;
	const char		*control = NULL, *dcspec = NULL;
	uint64_t		 seed;
	size_t			 ndcs = 0, max_body = MOCK_MAX_BODY_DEFAULT;
	size_t			 out_cap = MOCK_OUT_CAP_DEFAULT;
	int			 ch, nodes = -1, port = 9042, racks = 1;
	int			 num_tokens = 8, has_seed = 0, total;
	unsigned		 trace_delay = 5;

	log_open("cqlmock", level, 1);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			nodes = number(optarg, "--nodes", 1, MOCK_MAX_NODES);
			break;
		case 'p':
			port = number(optarg, "--port", 1, 65535);
			break;
		case 'c':
			control = optarg;
			break;
		case 'd':
			dcspec = optarg;
			break;
		case 'r':
			racks = number(optarg, "--racks", 1, 1000);
			break;
		case 'k':
			num_tokens = number(optarg, "--num-tokens", 1,
			    DB_MAX_TOKENS);
			break;
		case 's':
			seed = (uint64_t)number(optarg, "--seed", LLONG_MIN,
			    LLONG_MAX);
			has_seed = 1;
			break;
		case 't':
			trace_delay = number(optarg, "--trace-delay-ms", 0,
			    600000);
			break;
		case 'b':
			max_body = number(optarg, "--max-body", 1024,
			    INT32_MAX);
			break;
		case 'o':
			out_cap = number(optarg, "--max-output", 65536,
			    (long long)1 << 40);
			break;
		case 'l':
			if (log_level_parse(optarg, &level) != 0)
				fatalx("bad --log-level: %s", optarg);
			log_set_level(level);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (dcspec != NULL) {
		dcs = parse_dcs(dcspec, &ndcs, &total);
		if (nodes != -1 && nodes != total)
			fatalx("--nodes %d but --dcs adds up to %d", nodes,
			    total);
		if (total > MOCK_MAX_NODES)
			fatalx("at most %d nodes", MOCK_MAX_NODES);
	} else {
		dcs = xcalloc(1, sizeof *dcs);
		dcs[0].name = xstrdup("datacenter1");
		dcs[0].count = nodes == -1 ? 1 : nodes;
		ndcs = 1;
	}
	if (!has_seed && getrandom(&seed, sizeof seed, 0) != sizeof seed)
		fatal("getrandom");

	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	ev_term = evsignal_new(base, SIGTERM, mock_signal_cb, base);
	ev_int = evsignal_new(base, SIGINT, mock_signal_cb, base);
	if (ev_term == NULL || ev_int == NULL)
		fatalx("evsignal_new");
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	c = cluster_new(base, dcs, ndcs, racks, num_tokens, port, seed);
	c->trace_delay_ms = trace_delay;
	c->max_body = max_body;
	c->out_cap = out_cap;
	if (cluster_listen(c) != 0)
		fatalx("cannot listen on every node (port %d)", port);
	if (control != NULL && control_open(c, control) != 0)
		fatalx("cannot open the control socket");

	printf("ready\n");
	fflush(stdout);
	event_base_dispatch(base);

	control_close();
	trace_shutdown();
	cluster_free(c);
	session_shutdown();
	/* Let the deferred frees of the sessions run. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	return (0);
}
