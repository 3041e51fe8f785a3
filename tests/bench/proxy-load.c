/*
 * proxy-load.c: load on cqlproxyd's socket, JSON lines as any client
 * writes them: many connections, each keeping --depth single-row reads
 * by partition key in flight (auto-prepared by the daemon: the statement
 * has values), for a fixed time.
 *
 *	proxy-load --socket PATH [--conns 16] [--depth 16] [--mode ids]
 *	    [--duration 3] [--warmup 1] [--keys 1000] [--watch NAME:PID]
 *
 * --mode ids: every request has an id, so the daemon pipelines them and
 * answers as they complete (matched by id).  --mode inorder: no ids, so
 * the daemon runs them one after another per connection (the socat
 * script case); the client still writes --depth lines ahead.
 * An answer counts as an error unless it is "ok": true with the row.
 * Prints one JSON result line.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "benchutil.h"

#define MAX_DEPTH	1024
#define MAX_LINE	(1 << 20)

struct pconn {
	int		 fd;
	char		*rb;
	size_t		 rlen;
	size_t		 rcap;
	char		*wb;
	size_t		 wlen;
	size_t		 woff;
	size_t		 wcap;
	int		 want_out;
	uint64_t	 sent[MAX_DEPTH];	/* by id, or a FIFO (inorder) */
	unsigned int	 head;			/* FIFO: oldest */
	unsigned int	 tail;
};

static uint64_t	 seed = 88172645463325252ULL;
static int	 keys = 1000;
static int	 depth = 16;
static int	 use_ids = 1;
static char	 first_error[200];

/*
 * Decimal digits of v at p; returns the end.  Lines are built by hand:
 * snprintf cost more than the rest of the load generator's work.
 */
static char *
put_uint(char *p, uint32_t v)
{
	char	tmp[10];
	int	n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return (p);
}

static char *
put_str(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return (p + len);
}

#define PUT_LIT(p, lit)	put_str(p, lit, sizeof lit - 1)

/* Queue one request line; its send time is kept by id or in the FIFO. */
static void
conn_request(struct pconn *c, unsigned int id, uint64_t now)
{
	char		line[160], *p = line;
	size_t		n;
	uint32_t	k = bench_rand(&seed) % (uint32_t)keys;

	if (use_ids) {
		p = PUT_LIT(p, "{\"id\":");
		p = put_uint(p, id);
		p = PUT_LIT(p, ",\"cql\":\"SELECT v FROM bench.kv WHERE "
		    "k = ?\",\"values\":[");
		c->sent[id] = now;
	} else {
		p = PUT_LIT(p, "{\"cql\":\"SELECT v FROM bench.kv WHERE "
		    "k = ?\",\"values\":[");
		c->sent[c->tail++ % MAX_DEPTH] = now;
	}
	p = put_uint(p, k);
	p = PUT_LIT(p, "]}\n");
	n = (size_t)(p - line);
	if (c->wlen + n > c->wcap) {
		while (c->wlen + n > c->wcap)
			c->wcap = c->wcap == 0 ? 8192 : c->wcap * 2;
		c->wb = xrealloc(c->wb, c->wcap);
	}
	memcpy(c->wb + c->wlen, line, n);
	c->wlen += n;
}

/* The value of a top-level-looking member: after "name": and blanks. */
static const char *
line_member(const char *line, size_t len, const char *name)
{
	const char	*p;
	size_t		 nlen = strlen(name);

	p = memmem(line, len, name, nlen);
	if (p == NULL)
		return (NULL);
	p += nlen;
	while (p < line + len && (*p == ' ' || *p == ':'))
		p++;
	return (p < line + len ? p : NULL);
}

/* One answer line: its id (or FIFO slot) and whether it is the row. */
static int
conn_answer(struct pconn *c, const char *line, size_t len, uint64_t *sent,
    unsigned int *id, int *ok)
{
	const char	*p;
	char		*end;
	unsigned long	 v;

	if (use_ids) {
		if ((p = line_member(line, len, "\"id\"")) == NULL)
			return (-1);
		v = strtoul(p, &end, 10);
		if (end == p || v >= (unsigned long)depth)
			return (-1);
		*id = (unsigned int)v;
		*sent = c->sent[v];
	} else {
		if (c->head == c->tail)
			return (-1);
		*sent = c->sent[c->head++ % MAX_DEPTH];
	}
	p = line_member(line, len, "\"ok\"");
	*ok = p != NULL && *p == 't' &&
	    memmem(line, len, "value-", 6) != NULL;
	if (!*ok && first_error[0] == '\0')
		snprintf(first_error, sizeof first_error, "%.*s",
		    (int)(len > 190 ? 190 : len), line);
	return (0);
}

/*
 * Answers: count and time those inside the window, replace each by a new
 * request until the window closes.
 */
static int
conn_input(struct pconn *c, uint64_t now, uint64_t from, uint64_t to,
    struct lat *l, uint64_t *done, uint64_t *errors, int *lost)
{
	char		*nl, *p;
	size_t		 off = 0;
	ssize_t		 n;
	uint64_t	 sent;
	unsigned int	 id = 0;
	int		 ok;

	if (c->rcap - c->rlen < 65536) {
		c->rcap = c->rcap < 65536 ? 131072 : c->rcap * 2;
		if (c->rcap > 2 * MAX_LINE)
			return (-1);
		c->rb = xrealloc(c->rb, c->rcap);
	}
	n = read(c->fd, c->rb + c->rlen, c->rcap - c->rlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		*lost = 1;
		return (-1);
	}
	if (n < 0)
		return (0);
	c->rlen += (size_t)n;
	while ((nl = memchr(c->rb + off, '\n', c->rlen - off)) != NULL) {
		p = c->rb + off;
		if (conn_answer(c, p, (size_t)(nl - p), &sent, &id, &ok) != 0) {
			snprintf(first_error, sizeof first_error,
			    "unexpected answer: %.*s", (int)(nl - p > 150 ? 150 :
			    nl - p), p);
			return (-1);
		}
		off = (size_t)(nl - c->rb) + 1;
		if (now >= from && now < to) {
			(*done)++;
			lat_add(l, now - sent);
			if (!ok)
				(*errors)++;
		}
		if (now < to)
			conn_request(c, id, now);
	}
	memmove(c->rb, c->rb + off, c->rlen - off);
	c->rlen -= off;
	return (0);
}

/* Write what is queued: 0 when all went, 1 when the socket is full. */
static int
conn_output(struct pconn *c)
{
	return (bench_send_queued(c->fd, c->wb, &c->woff, &c->wlen));
}

static int
conn_open(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		fatal("connect %s", path);
	return (fd);
}

static void
usage(void)
{
	fprintf(stderr, "usage: proxy-load --socket PATH [--conns C] "
	    "[--depth D] [--mode ids|inorder] [--duration S] [--warmup S] "
	    "[--keys K] [--watch NAME:PID]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'c' },
		{ "depth", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "keys", required_argument, NULL, 'k' },
		{ "watch", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 }
	};
	struct pconn		**cs;
	struct epoll_event	 ev, evs[256];
	struct lat		 l;
	const char		*path = NULL;
	int			 nconns = 16, ep, i, j, n, watching = 0, lost;
	double			 duration = 3, warmup = 1;
	uint64_t		 start, from, to, now, done = 0, errors = 0;

	while ((i = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (i) {
		case 's':
			path = optarg;
			break;
		case 'c':
			nconns = (int)bench_arg_num("--conns", optarg, 1,
			    100000);
			break;
		case 'd':
			depth = (int)bench_arg_num("--depth", optarg, 1,
			    MAX_DEPTH);
			break;
		case 'm':
			if (strcmp(optarg, "ids") == 0)
				use_ids = 1;
			else if (strcmp(optarg, "inorder") == 0)
				use_ids = 0;
			else
				usage();
			break;
		case 't':
			duration = bench_arg_num("--duration", optarg, 0.01,
			    3600);
			break;
		case 'w':
			warmup = bench_arg_num("--warmup", optarg, 0, 3600);
			break;
		case 'k':
			keys = (int)bench_arg_num("--keys", optarg, 1, 1000000);
			break;
		case 'W':
			bench_watch_add(optarg);
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	log_open("proxy-load", LOG_LEVEL_WARN, 1);
	bench_raise_nofile(nconns + 64);

	cs = xcalloc((size_t)nconns, sizeof *cs);
	if ((ep = epoll_create1(0)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < nconns; i++) {
		cs[i] = xcalloc(1, sizeof *cs[i]);
		cs[i]->fd = conn_open(path);
		fcntl(cs[i]->fd, F_SETFL, fcntl(cs[i]->fd, F_GETFL) |
		    O_NONBLOCK);
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = cs[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i]->fd, &ev) != 0)
			fatal("epoll_ctl");
	}

	lat_init(&l);
	start = bench_now_us();
	from = start + (uint64_t)(warmup * 1e6);
	to = from + (uint64_t)(duration * 1e6);
	for (i = 0; i < nconns; i++) {
		for (j = 0; j < depth; j++)
			conn_request(cs[i], (unsigned int)j, start);
		if (conn_output(cs[i]) < 0)
			fatalx("connection lost");
	}
	lost = 0;
	for (;;) {
		now = bench_now_us();
		if (!watching && now >= from) {
			bench_watch_start();
			watching = 1;
		}
		if (now >= to)
			break;
		n = epoll_wait(ep, evs, nitems(evs), 100);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		now = bench_now_us();
		for (i = 0; i < n; i++) {
			struct pconn	*c = evs[i].data.ptr;

			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				if (conn_input(c, now, from, to, &l, &done,
				    &errors, &lost) < 0) {
					lost = 1;
					goto out;
				}
			j = conn_output(c);
			if (j < 0) {
				lost = 1;
				goto out;
			}
			if ((j == 1) != c->want_out) {
				c->want_out = (j == 1);
				ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
out:
	bench_out_begin();
	bench_out_str("bench", use_ids ? "proxy" : "proxy-inorder");
	bench_out_num("conns", nconns);
	bench_out_num("depth", depth);
	bench_out_num("requests", (double)done);
	bench_out_num("errors", (double)errors);
	bench_out_num("rps", (double)done / duration);
	bench_out_lat("", &l);
	bench_watch_out((double)done);
	if (lost)
		bench_out_str("lost", "a connection was closed");
	if (first_error[0] != '\0')
		bench_out_str("first_error", first_error);
	bench_out_end();
	for (i = 0; i < nconns; i++) {
		close(cs[i]->fd);
		free(cs[i]->rb);
		free(cs[i]->wb);
		free(cs[i]);
	}
	free(cs);
	lat_free(&l);
	return (lost ? 1 : 0);
}
