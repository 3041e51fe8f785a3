/*
 * idle-clients.c: what idle clients cost cqlproxyd, and whether the CGI
 * pattern (many short connections a second) leaves anything behind.
 *
 *	idle-clients --socket PATH --pid DAEMON_PID [--steps 1000,5000,10000]
 *	    [--cgi-seconds 3] [--cgi-parallel 8]
 *
 * 1. Baseline: a few clients run one query and leave; the daemon's RSS
 *    (VmRSS) and descriptor count are read once it has closed them.
 * 2. For each step, clients are added until that many are connected;
 *    each runs one query (a single-row read with values, so auto-prepared)
 *    and then stays idle.  The RSS slope is (RSS - baseline) / clients.
 * 3. Every client disconnects; once the daemon's descriptor count is back
 *    to the baseline its RSS is read again (memory handed back).  Then
 *    the largest step is connected once more and its RSS read: memory
 *    kept from the first wave but reused shows as no growth (kept by the
 *    allocator, not leaked).
 * 4. CGI: --cgi-parallel slots, each in a loop connect, one query, read
 *    the answer, close, for --cgi-seconds; then the daemon's descriptors
 *    are counted again (a leak shows as more than the baseline).
 *
 * The soft descriptor limit is raised to what the largest step needs.
 * Prints one JSON result line.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "benchutil.h"

#define MAX_STEPS	8
#define BATCH		100
#define ANSWER_MS	10000
#define SETTLE_MS	10000

static const char	*path;
static pid_t		 daemon_pid;
static uint64_t		 seed = 88172645463325252ULL;
static char		 first_error[200];

/* A blocking connect: the daemon accepts as fast as we connect. */
static int
client_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(first_error, sizeof first_error, "socket: %s",
		    strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		snprintf(first_error, sizeof first_error, "connect: %s",
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* The one query each client runs (values: so it is auto-prepared). */
static int
client_send(int fd)
{
	char	line[128];
	int	n;

	n = snprintf(line, sizeof line, "{\"cql\":\"SELECT v FROM bench.kv "
	    "WHERE k = ?\",\"values\":[%u]}\n", bench_rand(&seed) % 1000);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(first_error, sizeof first_error, "send: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Read one answer line (bounded wait); 0 if it is the row. */
static int
client_answer(int fd)
{
	struct pollfd	 pfd;
	char		 buf[4096];
	size_t		 len = 0;
	ssize_t		 n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len < sizeof buf - 1) {
		if (poll(&pfd, 1, ANSWER_MS) != 1) {
			snprintf(first_error, sizeof first_error,
			    "no answer within %d ms", ANSWER_MS);
			return (-1);
		}
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(first_error, sizeof first_error,
			    "connection closed before the answer");
			return (-1);
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	if (strstr(buf, "\"ok\": true") == NULL &&
	    strstr(buf, "\"ok\":true") == NULL) {
		snprintf(first_error, sizeof first_error, "%.190s", buf);
		return (-1);
	}
	return (0);
}

/* Wait (bounded) until the daemon holds at most want descriptors. */
static long
settle_fds(long want)
{
	uint64_t	deadline = bench_now_us() + SETTLE_MS * 1000ULL;
	long		n;

	for (;;) {
		n = bench_nfds(daemon_pid);
		if (n <= want || bench_now_us() >= deadline)
			return (n);
		usleep(2000);
	}
}

/* Open clients up to target, each running one query, in batches. */
static int
grow(int *fds, int *nfds, int target, uint64_t *errors)
{
	int	i, from;

	while (*nfds < target) {
		from = *nfds;
		for (i = 0; i < BATCH && *nfds < target; i++) {
			if ((fds[*nfds] = client_connect()) == -1)
				return (-1);
			if (client_send(fds[*nfds]) != 0)
				(*errors)++;
			(*nfds)++;
		}
		for (i = from; i < *nfds; i++)
			if (client_answer(fds[i]) != 0)
				(*errors)++;
	}
	return (0);
}

/* Short connections from several slots at once, for a while. */
static void
cgi(double seconds, int parallel, uint64_t *ok, uint64_t *errors)
{
	struct pollfd	*pfd = xcalloc((size_t)parallel, sizeof *pfd);
	uint64_t	 end = bench_now_us() + (uint64_t)(seconds * 1e6);
	int		 i, n;

	for (;;) {
		n = 0;
		if (bench_now_us() >= end)
			break;
		for (i = 0; i < parallel; i++) {
			if ((pfd[i].fd = client_connect()) == -1 ||
			    client_send(pfd[i].fd) != 0) {
				(*errors)++;
				if (pfd[i].fd != -1)
					close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			pfd[i].events = POLLIN;
			n++;
		}
		for (i = 0; i < parallel; i++) {
			if (pfd[i].fd == -1)
				continue;
			if (client_answer(pfd[i].fd) == 0)
				(*ok)++;
			else
				(*errors)++;
			close(pfd[i].fd);
		}
		if (n == 0)
			usleep(1000);
	}
	free(pfd);
}

static void
usage(void)
{
	fprintf(stderr, "usage: idle-clients --socket PATH --pid PID "
	    "[--steps N,N,...] [--cgi-seconds S] [--cgi-parallel P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "steps", required_argument, NULL, 'n' },
		{ "cgi-seconds", required_argument, NULL, 'c' },
		{ "cgi-parallel", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int		 steps[MAX_STEPS] = { 1000, 5000, 10000 };
	int		 nsteps = 3, parallel = 8, nopen = 0, *fds, i, max;
	char		*list, *tok, *save, k[64];
	double		 cgi_s = 3, t0, t1;
	long		 rss0, rss, fds0, fds_now, lim;
	uint64_t	 errors = 0, cgi_ok = 0, cgi_err = 0;

	while ((i = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (i) {
		case 's':
			path = optarg;
			break;
		case 'p':
			daemon_pid = (pid_t)bench_arg_num("--pid", optarg, 1,
			    4194304);
			break;
		case 'n':
			list = xstrdup(optarg);
			nsteps = 0;
			for (tok = strtok_r(list, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (nsteps == MAX_STEPS)
					usage();
				steps[nsteps] = (int)bench_arg_num("--steps",
				    tok, 1, 1000000);
				if (nsteps > 0 && steps[nsteps] <=
				    steps[nsteps - 1])
					usage();
				nsteps++;
			}
			free(list);
			if (nsteps == 0)
				usage();
			break;
		case 'c':
			cgi_s = bench_arg_num("--cgi-seconds", optarg, 0, 3600);
			break;
		case 'P':
			parallel = (int)bench_arg_num("--cgi-parallel", optarg,
			    1, 1000);
			break;
		default:
			usage();
		}
	}
	if (path == NULL || daemon_pid == 0 || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	log_open("idle-clients", LOG_LEVEL_WARN, 1);
	max = steps[nsteps - 1];
	lim = bench_raise_nofile(max + 64);
	if (lim < max + 16)
		fatalx("descriptor limit %ld is below %d clients", lim, max);
	fds = xcalloc((size_t)max, sizeof *fds);

	/* Warm up: statement prepared, buffers of one client grown once. */
	fds0 = bench_nfds(daemon_pid);
	if (grow(fds, &nopen, 20, &errors) != 0)
		fatalx("warm-up: %s", first_error);
	for (i = 0; i < nopen; i++)
		close(fds[i]);
	nopen = 0;
	fds0 = settle_fds(fds0);
	rss0 = bench_rss_kib(daemon_pid);

	bench_out_begin();
	bench_out_str("bench", "idle");
	bench_out_num("rss0_kib", rss0);
	bench_out_num("fds0", fds0);
	for (i = 0; i < nsteps; i++) {
		if (grow(fds, &nopen, steps[i], &errors) != 0)
			break;
		rss = bench_rss_kib(daemon_pid);
		snprintf(k, sizeof k, "rss_%d_kib", steps[i]);
		bench_out_num(k, rss);
		snprintf(k, sizeof k, "slope_%d_bytes", steps[i]);
		bench_out_num(k, (double)(rss - rss0) * 1024.0 / steps[i]);
		snprintf(k, sizeof k, "fds_%d", steps[i]);
		bench_out_num(k, bench_nfds(daemon_pid));
	}
	bench_out_num("clients_reached", nopen);
	for (i = 0; i < nopen; i++)
		close(fds[i]);
	t0 = bench_now_s();
	fds_now = settle_fds(fds0);
	t1 = bench_now_s();
	bench_out_num("rss_after_kib", bench_rss_kib(daemon_pid));
	bench_out_num("fds_after", fds_now);
	bench_out_num("close_settle_ms", (t1 - t0) * 1000);

	/* Second wave: is what was kept reused? */
	if (grow(fds, &nopen, max, &errors) == 0)
		bench_out_num("rss_again_kib", bench_rss_kib(daemon_pid));
	for (i = 0; i < nopen; i++)
		close(fds[i]);
	nopen = 0;
	fds_now = settle_fds(fds0);
	bench_out_num("rss_after_again_kib", bench_rss_kib(daemon_pid));
	bench_out_num("fds_after_again", fds_now);
	bench_out_num("idle_errors", (double)errors);

	if (cgi_s > 0) {
		t0 = bench_now_s();
		cgi(cgi_s, parallel, &cgi_ok, &cgi_err);
		t1 = bench_now_s();
		fds_now = settle_fds(fds0);
		bench_out_num("cgi_connections", (double)cgi_ok);
		bench_out_num("cgi_errors", (double)cgi_err);
		bench_out_num("cgi_per_s", (double)cgi_ok / (t1 - t0));
		bench_out_num("cgi_fds_after", fds_now);
		bench_out_num("cgi_fd_leak", fds_now - fds0);
		bench_out_num("rss_after_cgi_kib", bench_rss_kib(daemon_pid));
	}
	if (first_error[0] != '\0')
		bench_out_str("first_error", first_error);
	bench_out_end();
	free(fds);
	return (0);
}
