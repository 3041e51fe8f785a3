/*
 * benchutil.c: clock, latency percentiles, /proc readers and the JSON
 * result line shared by the benchmark programs (benchutil.h).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "benchutil.h"

static int	out_first;

#define WATCH_MAX	4
static struct {
	char	 name[32];
	pid_t	 pid;
	double	 cpu0;
}		watches[WATCH_MAX + 1];	/* the last slot is ourselves */
static int	nwatches;

void
lat_init(struct lat *l)
{
	memset(l, 0, sizeof *l);
}

void
lat_free(struct lat *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

void
lat_add(struct lat *l, uint64_t us)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 65536 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	l->sorted = 0;
}

static int
lat_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

void
lat_sort(struct lat *l)
{
	if (!l->sorted && l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, lat_cmp);
	l->sorted = 1;
}

/* Nearest-rank percentile: the smallest sample with p% at or below it. */
double
lat_pct(struct lat *l, double p)
{
	size_t	i;

	if (l->n == 0)
		return (0);
	lat_sort(l);
	i = (size_t)((p / 100.0) * (double)l->n + 0.999999);
	if (i == 0)
		i = 1;
	if (i > l->n)
		i = l->n;
	return (l->v[i - 1]);
}

uint64_t
bench_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

double
bench_now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Thousands of clients need more descriptors than the usual soft limit. */
long
bench_raise_nofile(long want)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (-1);
	if (rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)want ? rl.rlim_max :
		    (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return (-1);
	}
	return ((long)rl.rlim_cur);
}

/* VmRSS: what the idle-client goal is about (anonymous and file pages). */
long
bench_rss_kib(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kib = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return (kib);
}

/* Fields 14 and 15 of /proc/PID/stat, after the parenthesised name. */
double
bench_cpu_s(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	FILE		*f;
	size_t		 n;
	unsigned long	 ut, st;
	int		 i;

	if (pid == 0)
		pid = getpid();
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	p++;
	for (i = 0; i < 11; i++) {		/* state .. cmajflt */
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return (-1);
	}
	if (sscanf(p, " %lu %lu", &ut, &st) != 2)
		return (-1);
	return ((double)(ut + st) / (double)sysconf(_SC_CLK_TCK));
}

long
bench_nfds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

int
bench_send_queued(int fd, const void *buf, size_t *off, size_t *len)
{
	ssize_t	n;

	while (*off < *len) {
		n = send(fd, (const char *)buf + *off, *len - *off,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (1);
		if (n <= 0)
			return (-1);
		*off += (size_t)n;
	}
	*off = *len = 0;
	return (0);
}

uint32_t
bench_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((uint32_t)(*s >> 11));
}

void
bench_out_begin(void)
{
	out_first = 1;
	fputc('{', stdout);
}

void
bench_out_num(const char *k, double v)
{
	printf("%s\"%s\": %.6g", out_first ? "" : ", ", k, v);
	out_first = 0;
}

/* Strings here are ours (labels, messages): escape quotes and controls. */
void
bench_out_str(const char *k, const char *v)
{
	const char	*p;

	printf("%s\"%s\": \"", out_first ? "" : ", ", k);
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf("\\u%04x", (unsigned char)*p);
		else
			fputc(*p, stdout);
	}
	fputc('"', stdout);
	out_first = 0;
}

void
bench_out_lat(const char *prefix, struct lat *l)
{
	char	k[64];

	snprintf(k, sizeof k, "%sp50_us", prefix);
	bench_out_num(k, lat_pct(l, 50.0));
	snprintf(k, sizeof k, "%sp99_us", prefix);
	bench_out_num(k, lat_pct(l, 99.0));
	snprintf(k, sizeof k, "%sp999_us", prefix);
	bench_out_num(k, lat_pct(l, 99.9));
}

void
bench_out_end(void)
{
	fputs("}\n", stdout);
	fflush(stdout);
}

double
bench_arg_num(const char *opt, const char *val, double min, double max)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(val, &end);
	if (errno != 0 || end == val || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bad value for %s: %s\n", opt, val);
		exit(2);
	}
	return (v);
}

/* Remember a process whose CPU time the result line reports. */
void
bench_watch_add(const char *spec)
{
	const char	*colon;
	size_t		 len;

	if ((colon = strchr(spec, ':')) == NULL || nwatches == WATCH_MAX ||
	    (len = (size_t)(colon - spec)) == 0 || len >= sizeof watches[0].name) {
		fprintf(stderr, "bad --watch %s (NAME:PID, at most %d)\n", spec,
		    WATCH_MAX);
		exit(2);
	}
	memcpy(watches[nwatches].name, spec, len);
	watches[nwatches].name[len] = '\0';
	watches[nwatches].pid = (pid_t)bench_arg_num("--watch", colon + 1, 1,
	    4194304);
	nwatches++;
}

void
bench_watch_start(void)
{
	int	i;

	for (i = 0; i < nwatches; i++)
		watches[i].cpu0 = bench_cpu_s(watches[i].pid);
	watches[nwatches].cpu0 = bench_cpu_s(0);
}

/* CPU microseconds per request over the measured window, per process. */
void
bench_watch_out(double requests)
{
	char	k[sizeof watches[0].name + 16];
	double	cpu;
	int	i;

	if (requests <= 0)
		requests = 1;
	for (i = 0; i < nwatches; i++) {
		cpu = bench_cpu_s(watches[i].pid) - watches[i].cpu0;
		snprintf(k, sizeof k, "%.31s_cpu_us", watches[i].name);
		bench_out_num(k, cpu * 1e6 / requests);
	}
	cpu = bench_cpu_s(0) - watches[nwatches].cpu0;
	bench_out_num("self_cpu_us", cpu * 1e6 / requests);
}
