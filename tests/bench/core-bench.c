/*
 * core-bench.c: the benchmark workload sent straight through the driver
 * core in one process, with no local hop: a prepared single-row read by
 * partition key (cluster_execute of STMT_EXECUTE, token-aware), with
 * --concurrency requests kept in flight for a fixed time.  This is the
 * yardstick of the proxied path (goal: cqlproxyd >= 0.8x this).
 *
 *	core-bench --port P [--concurrency 256] [--duration 3] [--warmup 1]
 *	    [--keys 1000] [--watch mock:PID]
 *
 * Needs the schema of mock-load --setup.  Prints one JSON result line.
 */
#include <sys/types.h>

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "cluster.h"
#include "request.h"
#include "result.h"
#include "benchutil.h"

static const char *select_cql = "SELECT v FROM bench.kv WHERE k = ?";

struct corebench {
	struct event_base	*base;
	struct cluster		*c;
	struct result		*prep;		/* RES_PREPARED, kept */
	size_t			 nhosts;
	size_t			 prepared;	/* hosts done */
	int			 concurrency;
	int			 keys;
	int			 inflight;
	int			 stopping;
	int			 watching;
	uint64_t		 seed;
	uint64_t		 start, from, to;
	uint64_t		 done, errors;
	char			 first_error[256];
	struct lat		 lat;
};

struct creq {
	struct corebench	*b;
	uint64_t		 sent;
};

static void	corebench_send(struct corebench *);

/*
 * An answer: counted if inside the window; the next request keeps the
 * concurrency constant until the window closes.
 */
static void
corebench_done(struct result *r, void *arg)
{
	struct creq		*q = arg;
	struct corebench	*b = q->b;
	uint64_t		 now = bench_now_us();

	b->inflight--;
	if (!b->watching && now >= b->from) {
		bench_watch_start();
		b->watching = 1;
	}
	if (now >= b->from && now < b->to) {
		b->done++;
		lat_add(&b->lat, now - q->sent);
		if (r->error != CORE_OK || r->kind != RES_ROWS ||
		    r->rows_count != 1) {
			b->errors++;
			if (b->first_error[0] == '\0')
				snprintf(b->first_error, sizeof b->first_error,
				    "%s: %s", core_error_name(r->error),
				    r->message != NULL ? r->message : "rows");
		}
	}
	result_free(r);
	free(q);
	if (now >= b->to)
		b->stopping = 1;
	if (!b->stopping)
		corebench_send(b);
	else if (b->inflight == 0)
		event_base_loopbreak(b->base);
}

/* One EXECUTE with a random key; the core copies the values. */
static void
corebench_send(struct corebench *b)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct bytesval		 v;
	struct creq		*q;
	uint8_t			 k[4];
	uint32_t		 key;

	key = bench_rand(&b->seed) % (uint32_t)b->keys;
	k[0] = key >> 24;
	k[1] = (key >> 16) & 0xff;
	k[2] = (key >> 8) & 0xff;
	k[3] = key & 0xff;
	v = bytesval_value(k, 4);
	stmt_init(&s, STMT_EXECUTE);
	s.id.p = b->prep->prepared.id;
	s.id.n = b->prep->prepared.idlen;
	s.query = slice_cstr(select_cql);
	s.pk_index = b->prep->prepared.pk_index;
	s.pk_count = b->prep->prepared.pk_count;
	s.values.n = 1;
	s.values.values = &v;
	request_opts_default(&o);
	o.keyspace = "bench";
	o.idempotent = 1;
	q = xmalloc(sizeof *q);
	q->b = b;
	q->sent = bench_now_us();
	b->inflight++;
	cluster_execute(b->c, &s, &o, corebench_done, q);
}

static void	corebench_prepare_next(struct corebench *);

/* After the last host prepared, the load starts (the window from now). */
static void
corebench_prepared(struct result *r, void *arg)
{
	struct corebench	*b = arg;
	int			 i;

	if (r->error != CORE_OK || r->kind != RES_PREPARED)
		fatalx("prepare: %s: %s", core_error_name(r->error),
		    r->message != NULL ? r->message : "not prepared");
	if (b->prep == NULL)
		b->prep = r;
	else
		result_free(r);
	if (++b->prepared < b->nhosts) {
		corebench_prepare_next(b);
		return;
	}
	b->start = bench_now_us();
	b->from += b->start;
	b->to += b->start;
	for (i = 0; i < b->concurrency; i++)
		corebench_send(b);
}

/* Prepare on every host first, as the daemon's cache does. */
static void
corebench_prepare_next(struct corebench *b)
{
	struct stmt		 s;
	struct request_opts	 o;
	struct host *const	*hv;

	hv = cluster_hosts(b->c, &b->nhosts);
	if (b->prepared >= b->nhosts)
		fatalx("hosts went away while preparing");
	stmt_init(&s, STMT_PREPARE);
	s.query = slice_cstr(select_cql);
	request_opts_default(&o);
	o.host = hv[b->prepared];
	cluster_execute(b->c, &s, &o, corebench_prepared, b);
}

/* The cluster knows its hosts: prepare on each before measuring. */
static void
corebench_ready(struct cluster *c, enum core_error e, const char *why,
    void *arg)
{
	struct corebench	*b = arg;

	if (e != CORE_OK)
		fatalx("cluster: %s: %s", core_error_name(e), why);
	cluster_hosts(c, &b->nhosts);
	if (b->nhosts == 0)
		fatalx("cluster: no hosts");
	corebench_prepare_next(b);
}

/* A benchmark must stop by itself: give up long after the window. */
static void
corebench_watchdog(evutil_socket_t fd, short events, void *arg)
{
	fatalx("did not finish in time");
}

static void
usage(void)
{
	fprintf(stderr, "usage: core-bench --port P [--concurrency N] "
	    "[--duration S] [--warmup S] [--keys K] [--watch NAME:PID]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "keys", required_argument, NULL, 'k' },
		{ "watch", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 }
	};
	static const char	*cp[] = { "127.0.0.1" };
	struct corebench	 b;
	struct cluster_config	 cfg;
	struct event		*watchdog;
	struct timeval		 tv;
	const char		*why = NULL;
	double			 duration = 3, warmup = 1;
	int			 port = 0, ch;

	memset(&b, 0, sizeof b);
	b.concurrency = 256;
	b.keys = 1000;
	b.seed = 88172645463325252ULL;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			port = (int)bench_arg_num("--port", optarg, 1, 65535);
			break;
		case 'c':
			b.concurrency = (int)bench_arg_num("--concurrency",
			    optarg, 1, 100000);
			break;
		case 't':
			duration = bench_arg_num("--duration", optarg, 0.01,
			    3600);
			break;
		case 'w':
			warmup = bench_arg_num("--warmup", optarg, 0, 3600);
			break;
		case 'k':
			b.keys = (int)bench_arg_num("--keys", optarg, 1,
			    1000000);
			break;
		case 'W':
			bench_watch_add(optarg);
			break;
		default:
			usage();
		}
	}
	if (port == 0 || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	log_open("core-bench", LOG_LEVEL_WARN, 1);
	lat_init(&b.lat);
	b.from = (uint64_t)(warmup * 1e6);
	b.to = b.from + (uint64_t)(duration * 1e6);

	b.base = event_base_new();
	cluster_config_default(&cfg);
	cfg.contact_points = cp;
	cfg.ncontact_points = 1;
	cfg.port = (uint16_t)port;
	cfg.pool.conn.heartbeat_interval_ms = 0;
	if ((b.c = cluster_new(b.base, &cfg, &why)) == NULL)
		fatalx("cluster_new: %s", why);
	watchdog = evtimer_new(b.base, corebench_watchdog, NULL);
	tv.tv_sec = (time_t)(warmup + duration) + 30;
	tv.tv_usec = 0;
	evtimer_add(watchdog, &tv);
	cluster_connect(b.c, corebench_ready, &b);
	event_base_dispatch(b.base);

	bench_out_begin();
	bench_out_str("bench", "core");
	bench_out_num("concurrency", b.concurrency);
	bench_out_num("requests", (double)b.done);
	bench_out_num("errors", (double)b.errors);
	bench_out_num("rps", (double)b.done / duration);
	bench_out_lat("", &b.lat);
	bench_watch_out((double)b.done);
	if (b.first_error[0] != '\0')
		bench_out_str("first_error", b.first_error);
	bench_out_end();

	event_free(watchdog);
	result_free(b.prep);
	cluster_free(b.c);
	event_base_loop(b.base, EVLOOP_NONBLOCK);
	event_base_free(b.base);
	lat_free(&b.lat);
	return (0);
}
