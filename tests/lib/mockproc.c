/*
 * mockproc.c: spawn cqlmock for C tests, wait for it to be ready, talk to
 * its control socket and stop it.  A mock never outlives its test: it
 * gets SIGTERM when the test process dies (PR_SET_PDEATHSIG), which is
 * what stops it after a failed Check assertion (the forked test leaves
 * without atexit handlers; the logs stay in the temporary directory).  A
 * program that calls exit() with a mock still running gets its log
 * dumped by an atexit handler.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mockproc.h"

#define MOCKPROC_TRIES		8
#define MOCKPROC_SPARE_ADDRS	3	/* nodes a test may add later */
#define MOCKPROC_MAX_ARGS	32	/* extra arguments, given and $CQLMOCK_ARGS */

/* Mocks started and not yet stopped, for the exit handler. */
static struct mockproc	*mockproc_live[16];
static int		 mockproc_atexit_set;

static uint64_t
mockproc_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

const char *
mockproc_path(void)
{
	static char	 path[4096];
	const char	*s;

	if ((s = getenv("CQLMOCK")) != NULL && *s != '\0')
		return (s);
	if ((s = getenv("top_builddir")) == NULL || *s == '\0')
		s = ".";
	snprintf(path, sizeof path, "%s/tests/mock/cqlmock", s);
	return (path);
}

const char *
mockproc_addr(struct mockproc *m, int i)
{
	snprintf(m->addr, sizeof m->addr, "127.0.0.%d", i);
	return (m->addr);
}

/* 1 if port can be bound on 127.0.0.1..n (no SO_REUSEADDR). */
static int
mockproc_port_free(int port, int n)
{
	struct sockaddr_in	sin;
	int			i, fd, ok = 1;

	for (i = 1; ok && i <= n; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return (0);
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(0x7f000000U | (unsigned)i);
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
			ok = 0;
		close(fd);
	}
	return (ok);
}

static void
mockproc_forget(struct mockproc *m)
{
	size_t	i;

	for (i = 0; i < sizeof mockproc_live / sizeof mockproc_live[0]; i++) {
		if (mockproc_live[i] == m)
			mockproc_live[i] = NULL;
	}
}

/* A test died with a mock running: show why and stop it. */
static void
mockproc_atexit(void)
{
	struct mockproc	*m;
	size_t		 i;

	for (i = 0; i < sizeof mockproc_live / sizeof mockproc_live[0]; i++) {
		if ((m = mockproc_live[i]) == NULL)
			continue;
		mockproc_live[i] = NULL;
		fprintf(stderr, "mockproc: cqlmock (pid %ld) still running at "
		    "exit; logs kept in %s\n", (long)m->pid, m->dir);
		mockproc_dump(m);
		if (m->pid > 0) {
			kill(m->pid, SIGKILL);
			waitpid(m->pid, NULL, 0);
			m->pid = -1;
		}
	}
}

/* Everything in a file, NUL-terminated (NULL if unreadable). */
static char *
mockproc_slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*s = NULL;
	size_t	 n = 0, size = 0, r;

	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	for (;;) {
		if (size - n < 4097) {
			size = size ? size * 2 : 8192;
			if ((s = realloc(s, size)) == NULL)
				abort();
		}
		r = fread(s + n, 1, size - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	s[n] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return (s);
}

void
mockproc_dump(struct mockproc *m)
{
	char	*s;
	size_t	 n;

	if ((s = mockproc_slurp(m->err_log, &n)) == NULL)
		return;
	fprintf(stderr, "---- cqlmock stderr (tail) ----\n%s\n"
	    "-------------------------------\n", n > 4000 ? s + n - 4000 : s);
	free(s);
}

/*
 * Run the mock on one port and wait for `ready`: 0 ready, 1 it exited
 * first (maybe the port was taken), -1 broken.  The extra arguments go
 * after ours: the test's, then the words of $CQLMOCK_ARGS.
 */
static int
mockproc_spawn(struct mockproc *m, int port, const char *dcs,
    const char *const *args)
{
	char		 sport[16], snodes[16], *out, env[1024], *w, *last;
	const char	*argv[12 + 2 * MOCKPROC_MAX_ARGS], *s;
	uint64_t	 deadline;
	pid_t		 pid, parent = getpid();
	int		 fd, status, n = 0, extra = 0;

	unlink(m->control);
	snprintf(sport, sizeof sport, "%d", port);
	snprintf(snodes, sizeof snodes, "%d", m->nodes);
	argv[n++] = mockproc_path();
	argv[n++] = "--nodes";
	argv[n++] = snodes;
	argv[n++] = "--port";
	argv[n++] = sport;
	argv[n++] = "--control";
	argv[n++] = m->control;
	if (dcs != NULL) {
		argv[n++] = "--dcs";
		argv[n++] = dcs;
	}
	for (; args != NULL && *args != NULL; args++) {
		if (extra++ == MOCKPROC_MAX_ARGS) {
			fprintf(stderr, "mockproc: too many arguments\n");
			return (-1);
		}
		argv[n++] = *args;
	}
	if ((s = getenv("CQLMOCK_ARGS")) != NULL) {
		if (strlen(s) >= sizeof env) {
			fprintf(stderr, "mockproc: CQLMOCK_ARGS too long\n");
			return (-1);
		}
		memcpy(env, s, strlen(s) + 1);
		for (w = strtok_r(env, " \t", &last); w != NULL;
		    w = strtok_r(NULL, " \t", &last)) {
			if (extra++ == 2 * MOCKPROC_MAX_ARGS) {
				fprintf(stderr, "mockproc: too many arguments "
				    "in CQLMOCK_ARGS\n");
				return (-1);
			}
			argv[n++] = w;
		}
	}
	argv[n] = NULL;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "mockproc: fork: %s\n", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != parent)
			_exit(127);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		if ((fd = open(m->out_log, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) != -1)
			dup2(fd, 1);
		if ((fd = open(m->err_log, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) != -1)
			dup2(fd, 2);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "mockproc: exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	m->pid = pid;

	deadline = mockproc_now_ms() + MOCKPROC_READY_MS;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			m->pid = -1;
			return (1);
		}
		if ((out = mockproc_slurp(m->out_log, NULL)) != NULL) {
			if (strncmp(out, "ready\n", 6) == 0) {
				free(out);
				return (0);
			}
			if (strchr(out, '\n') != NULL) {
				fprintf(stderr, "mockproc: cqlmock said %s "
				    "instead of ready\n", out);
				free(out);
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				m->pid = -1;
				return (-1);
			}
			free(out);
		}
		if (mockproc_now_ms() > deadline) {
			fprintf(stderr, "mockproc: no `ready` within %d ms\n",
			    MOCKPROC_READY_MS);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			m->pid = -1;
			return (-1);
		}
		poll(NULL, 0, 10);	/* the child writes a file: poll it */
	}
}

int
mockproc_start(struct mockproc *m, int nodes, const char *dcs)
{
	return (mockproc_start_args(m, nodes, dcs, NULL));
}

int
mockproc_start_args(struct mockproc *m, int nodes, const char *dcs,
    const char *const *args)
{
	size_t	i;
	int	try, port, rv;

	memset(m, 0, sizeof *m);
	m->pid = -1;
	m->control_fd = -1;
	m->nodes = nodes;
	if (access(mockproc_path(), X_OK) != 0)
		return (MOCKPROC_MISSING);
	snprintf(m->dir, sizeof m->dir, "/tmp/cqlmock-c.XXXXXX");
	if (mkdtemp(m->dir) == NULL) {
		fprintf(stderr, "mockproc: mkdtemp: %s\n", strerror(errno));
		return (-1);
	}
	snprintf(m->control, sizeof m->control, "%s/control.sock", m->dir);
	snprintf(m->out_log, sizeof m->out_log, "%s/stdout.log", m->dir);
	snprintf(m->err_log, sizeof m->err_log, "%s/stderr.log", m->dir);
	if (!mockproc_atexit_set) {
		atexit(mockproc_atexit);
		mockproc_atexit_set = 1;
	}
	srandom((unsigned)(getpid() ^ mockproc_now_ms()));
	for (try = 0; try < MOCKPROC_TRIES; try++) {
		port = 20000 + (int)(random() % 40000);
		if (!mockproc_port_free(port, nodes + MOCKPROC_SPARE_ADDRS))
			continue;
		rv = mockproc_spawn(m, port, dcs, args);
		if (rv == 0) {
			m->port = port;
			for (i = 0; i < sizeof mockproc_live /
			    sizeof mockproc_live[0]; i++) {
				if (mockproc_live[i] == NULL) {
					mockproc_live[i] = m;
					break;
				}
			}
			return (0);
		}
		if (rv < 0)
			break;
	}
	fprintf(stderr, "mockproc: could not start %s\n", mockproc_path());
	mockproc_dump(m);
	return (-1);
}

/* Remove the temporary directory unless logs are wanted. */
static void
mockproc_cleanup(struct mockproc *m)
{
	if (getenv("CQLMOCK_KEEP_LOGS") != NULL || m->dir[0] == '\0')
		return;
	unlink(m->control);
	unlink(m->out_log);
	unlink(m->err_log);
	rmdir(m->dir);
	m->dir[0] = '\0';
}

int
mockproc_stop(struct mockproc *m)
{
	uint64_t	deadline;
	int		status, rv = -1;

	mockproc_forget(m);
	if (m->control_fd != -1) {
		close(m->control_fd);
		m->control_fd = -1;
	}
	if (m->pid <= 0) {
		mockproc_cleanup(m);
		return (-1);
	}
	kill(m->pid, SIGTERM);
	deadline = mockproc_now_ms() + MOCKPROC_STOP_MS;
	for (;;) {
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				rv = 0;
			else {
				fprintf(stderr, "mockproc: cqlmock exited "
				    "with status 0x%x\n", status);
				mockproc_dump(m);
			}
			break;
		}
		if (mockproc_now_ms() > deadline) {
			fprintf(stderr, "mockproc: cqlmock ignored SIGTERM\n");
			mockproc_dump(m);
			kill(m->pid, SIGKILL);
			waitpid(m->pid, NULL, 0);
			break;
		}
		poll(NULL, 0, 10);
	}
	m->pid = -1;
	mockproc_cleanup(m);
	return (rv);
}

/* Connect the control socket once; later requests reuse it. */
static int
mockproc_control_open(struct mockproc *m)
{
	struct sockaddr_un	sun;

	if (m->control_fd != -1)
		return (0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", m->control);
	if ((m->control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (connect(m->control_fd, (struct sockaddr *)&sun, sizeof sun)
	    != 0) {
		close(m->control_fd);
		m->control_fd = -1;
		return (-1);
	}
	return (0);
}

/*
 * One line out, one line back, within the control deadline: 0 ok, -1 not
 * ok, -2 the socket failed.
 */
static int
mockproc_roundtrip(struct mockproc *m, const char *line, char *ans,
    size_t anslen)
{
	struct pollfd	 pfd;
	uint64_t	 deadline;
	size_t		 len = strlen(line), off = 0, got = 0;
	char		 buf[65536];
	ssize_t		 n;

	if (mockproc_control_open(m) != 0)
		return (-2);
	while (off < len) {
		n = send(m->control_fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-2);
		}
		off += n;
	}
	deadline = mockproc_now_ms() + MOCKPROC_CONTROL_MS;
	while (got == 0 || memchr(buf, '\n', got) == NULL) {
		if (got == sizeof buf - 1 || mockproc_now_ms() > deadline)
			return (-2);
		pfd.fd = m->control_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(m->control_fd, buf + got, sizeof buf - 1 - got, 0);
		if (n <= 0)
			return (-2);
		got += n;
	}
	buf[got] = '\0';
	*strchr(buf, '\n') = '\0';
	if (ans != NULL)
		snprintf(ans, anslen, "%s", buf);
	return (strstr(buf, "\"ok\":true") != NULL ||
	    strstr(buf, "\"ok\": true") != NULL ? 0 : -1);
}

int
mockproc_control(struct mockproc *m, char *ans, size_t anslen,
    const char *fmt, ...)
{
	char	line[4096];
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (ans != NULL && anslen > 0)
		*ans = '\0';
	rv = mockproc_roundtrip(m, line, ans, anslen);
	if (rv == -2) {
		/* A stale connection: one more try on a fresh one. */
		if (m->control_fd != -1)
			close(m->control_fd);
		m->control_fd = -1;
		rv = mockproc_roundtrip(m, line, ans, anslen);
	}
	if (rv != 0) {
		fprintf(stderr, "mockproc: control %s -> %s (logs in %s)\n",
		    line, rv == -2 ? "no answer" : (ans != NULL ? ans :
		    "not ok"), m->dir);
		if (rv == -2)
			mockproc_dump(m);
		return (-1);
	}
	return (0);
}
