/*
 * token-bench.c: how long building replica tables takes for a vnode ring
 * (100 hosts x 256 tokens, 2 data centers x 3 racks) and how long lookups
 * take. Prints milliseconds; exits non-zero if a build takes over a second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"
#include "token.h"

#define BENCH_HOSTS	100
#define BENCH_VNODES	256
#define BENCH_LOOKUPS	1000000

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* xorshift: the ring is random but the same on every run. */
static uint64_t
bench_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static double
bench_table(struct token_map *m, const char *ks, const char *const *k,
    const char *const *v, size_t n)
{
	struct token_repl	*r;
	const char		*cause;
	double			 t0;

	if ((r = token_repl_parse(k, v, n, &cause)) == NULL) {
		fprintf(stderr, "parse: %s\n", cause);
		exit(1);
	}
	t0 = now_ms();
	token_map_set_keyspace(m, ks, r);
	token_repl_free(r);
	return (now_ms() - t0);
}

int
main(void)
{
	static const char *const nts_k[] = { "class", "dc1", "dc2" };
	static const char *const nts_v[] = {
	    "org.apache.cassandra.locator.NetworkTopologyStrategy", "3", "3" };
	static const char *const ss_k[] = { "class", "replication_factor" };
	static const char *const ss_v[] = { "SimpleStrategy", "3" };
	static const char *const ev_k[] = { "class" };
	static const char *const ev_v[] = { "EverywhereStrategy" };
	static char		 racks[BENCH_HOSTS][16];
	struct token_host	 hosts[BENCH_HOSTS];
	int64_t			*tokens;
	struct token_map	*m, *m2;
	const char		*cause;
	void *const		*rep;
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL, sum = 0;
	size_t			 i, j, n;
	double			 t0, build, nts, ss, ev, look, rebuild;

	tokens = xreallocarray(NULL, BENCH_HOSTS * BENCH_VNODES,
	    sizeof *tokens);
	for (i = 0; i < BENCH_HOSTS; i++) {
		for (j = 0; j < BENCH_VNODES; j++)
			tokens[i * BENCH_VNODES + j] =
			    (int64_t)bench_rand(&seed);
		snprintf(racks[i], sizeof racks[i], "rack%zu", i % 3);
		hosts[i].host = (void *)(uintptr_t)(i + 1);
		hosts[i].dc = i % 2 ? "dc2" : "dc1";
		hosts[i].rack = racks[i];
		hosts[i].tokens = tokens + i * BENCH_VNODES;
		hosts[i].ntokens = BENCH_VNODES;
	}

	t0 = now_ms();
	if ((m = token_map_new(hosts, BENCH_HOSTS, &cause)) == NULL) {
		fprintf(stderr, "token_map_new: %s\n", cause);
		return (1);
	}
	build = now_ms() - t0;
	nts = bench_table(m, "nts", nts_k, nts_v, nitems(nts_k));
	ss = bench_table(m, "simple", ss_k, ss_v, nitems(ss_k));
	ev = bench_table(m, "everywhere", ev_k, ev_v, nitems(ev_k));

	t0 = now_ms();
	for (i = 0; i < BENCH_LOOKUPS; i++) {
		token_map_replicas(m, "nts", (int64_t)bench_rand(&seed),
		    &rep, &n);
		sum += (uintptr_t)rep[0] + n;
	}
	look = now_ms() - t0;

	t0 = now_ms();
	m2 = token_map_rebuild(m, hosts, BENCH_HOSTS - 1, &cause);
	rebuild = now_ms() - t0;

	printf("ring: %d hosts x %d tokens, 2 dcs x 3 racks\n", BENCH_HOSTS,
	    BENCH_VNODES);
	printf("ring build:            %8.2f ms\n", build);
	printf("NTS dc1:3 dc2:3 table: %8.2f ms\n", nts);
	printf("SimpleStrategy 3:      %8.2f ms\n", ss);
	printf("EverywhereStrategy:    %8.2f ms\n", ev);
	printf("rebuild, 3 keyspaces:  %8.2f ms\n", rebuild);
	printf("lookups:               %8.1f ns each (%llu)\n",
	    look * 1e6 / BENCH_LOOKUPS, (unsigned long long)(sum & 1));

	token_map_free(m2);
	token_map_free(m);
	free(tokens);
	return (build + nts > 1000.0 ? 1 : 0);
}
