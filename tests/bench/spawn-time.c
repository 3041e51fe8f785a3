/*
 * spawn-time.c: wall time of a whole process, the CGI case: from
 * posix_spawn to its exit, its output read (as a shell capture would).
 * A small hyperfine-like loop; bench.py interleaves the commands it
 * compares by calling this once per command per round.
 *
 *	spawn-time [-w WARMUP] [-n RUNS] [-i STDIN_FILE] [-e EXPECT] -- argv...
 *
 * WARMUP untimed runs first (as hyperfine's --warmup: page cache, the
 * daemon's prepared statement), then RUNS timed ones.  Prints one JSON
 * line: median_ms, min_ms, max_ms, runs, fails (a run fails when it exits
 * non-zero, or its output lacks EXPECT).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "benchutil.h"

extern char **environ;

#define OUT_MAX	65536

/* One run: milliseconds, and whether it succeeded. */
static double
spawn_once(char **argv, const char *in, const char *expect, int *ok)
{
	posix_spawn_file_actions_t	 fa;
	static char			 out[OUT_MAX + 1];
	size_t				 len = 0;
	ssize_t				 n;
	pid_t				 pid;
	int				 p[2], status, rv;
	uint64_t			 t0, t1;
	char				 drain[4096];

	if (pipe2(p, O_CLOEXEC) != 0)
		fatal("pipe2");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in != NULL ? in : "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	t0 = bench_now_us();
	rv = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rv != 0) {
		close(p[0]);
		errno = rv;
		fatal("spawn %s", argv[0]);
	}
	for (;;) {
		if (len < OUT_MAX)
			n = read(p[0], out + len, OUT_MAX - len);
		else
			n = read(p[0], drain, sizeof drain);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < OUT_MAX)
			len += (size_t)n;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	t1 = bench_now_us();
	close(p[0]);
	out[len] = '\0';
	*ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    (expect == NULL || strstr(out, expect) != NULL);
	if (!*ok)
		fprintf(stderr, "spawn-time: %s: status %d, output: %.200s\n",
		    argv[0], status, out);
	return ((double)(t1 - t0) / 1000.0);
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: spawn-time [-w WARMUP] [-n RUNS] [-i STDIN] "
	    "[-e EXPECT] -- argv...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*in = NULL, *expect = NULL;
	double		*ms;
	int		 runs = 1, warmup = 0, fails = 0, ok, ch, i;

	while ((ch = getopt(argc, argv, "w:n:i:e:")) != -1) {
		switch (ch) {
		case 'w':
			warmup = (int)bench_arg_num("-w", optarg, 0, 100000);
			break;
		case 'n':
			runs = (int)bench_arg_num("-n", optarg, 1, 100000);
			break;
		case 'i':
			in = optarg;
			break;
		case 'e':
			expect = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	log_open("spawn-time", LOG_LEVEL_WARN, 1);
	ms = xcalloc((size_t)runs, sizeof *ms);
	for (i = 0; i < warmup; i++) {
		spawn_once(argv + optind, in, expect, &ok);
		if (!ok)
			fails++;
	}
	for (i = 0; i < runs; i++) {
		ms[i] = spawn_once(argv + optind, in, expect, &ok);
		if (!ok)
			fails++;
	}
	qsort(ms, (size_t)runs, sizeof *ms, dbl_cmp);
	bench_out_begin();
	bench_out_num("runs", runs);
	bench_out_num("fails", fails);
	bench_out_num("median_ms", runs % 2 ? ms[runs / 2] :
	    (ms[runs / 2 - 1] + ms[runs / 2]) / 2);
	bench_out_num("min_ms", ms[0]);
	bench_out_num("max_ms", ms[runs - 1]);
	bench_out_end();
	free(ms);
	return (fails != 0);
}
