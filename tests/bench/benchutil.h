/*
 * benchutil.h: what every benchmark program shares: a monotonic clock,
 * a latency recorder with exact percentiles, readers of another process's
 * memory, CPU time and descriptors (/proc), and the one-line JSON result
 * each program prints for tests/bench/bench.py to collect.
 *
 *	struct lat l;
 *	lat_init(&l);
 *	lat_add(&l, bench_now_us() - sent);
 *	lat_sort(&l);  p99 = lat_pct(&l, 99.0);
 *
 * Output: bench_out_begin() then bench_out_num()/bench_out_str() pairs,
 * then bench_out_end(): one JSON object on one stdout line.
 */
#ifndef CQLP_BENCHUTIL_H
#define CQLP_BENCHUTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* Latency samples (microseconds); kept whole to give exact percentiles. */
struct lat {
	uint32_t	*v;
	size_t		 n;
	size_t		 cap;
	int		 sorted;
};

void		 lat_init(struct lat *);
void		 lat_free(struct lat *);
void		 lat_add(struct lat *, uint64_t us);
void		 lat_sort(struct lat *);
/* Percentile (0..100) of the sorted samples; 0 when there are none. */
double		 lat_pct(struct lat *, double);

uint64_t	 bench_now_us(void);
double		 bench_now_s(void);
/* Raise the soft descriptor limit to at least want (up to the hard one). */
long		 bench_raise_nofile(long want);

/* Resident memory of pid in KiB (VmRSS), -1 if unreadable. */
long		 bench_rss_kib(pid_t);
/* User+system CPU seconds used by pid (0: ourselves), -1 if unreadable. */
double		 bench_cpu_s(pid_t);
/* Open descriptors of pid (/proc/PID/fd entries), -1 if unreadable. */
long		 bench_nfds(pid_t);

/*
 * Send buf[*off..len) on a non-blocking socket: 0 when all went (off and
 * len back to 0), 1 when the socket is full (off moved), -1 when lost.
 */
int		 bench_send_queued(int fd, const void *buf, size_t *off,
		     size_t *len);

/* A fixed-seed xorshift so every run asks for the same keys. */
uint32_t	 bench_rand(uint64_t *);

/* A result line: {"k": v, ...}. */
void		 bench_out_begin(void);
void		 bench_out_num(const char *, double);
void		 bench_out_str(const char *, const char *);
/* p50, p99, p999 of l (sorted here) as prefix_p50_us... */
void		 bench_out_lat(const char *prefix, struct lat *);
void		 bench_out_end(void);

/*
 * CPU watch: --watch NAME:PID options name processes whose CPU time is
 * taken at bench_watch_start() and reported per request (NAME_cpu_us,
 * and self_cpu_us for this process) by bench_watch_out().
 */
void		 bench_watch_add(const char *spec);
void		 bench_watch_start(void);
void		 bench_watch_out(double requests);

/* Parse a positive number option or exit with usage. */
double		 bench_arg_num(const char *opt, const char *val, double min,
		     double max);

#endif
