/*
 * mock-load.c: cqlmock's own ceiling.  Raw native protocol v4 frames,
 * no driver: many connections spread over the nodes, each keeping
 * --depth EXECUTEs of a prepared single-row read by partition key in
 * flight, for a fixed time.  What it measures is what the mock can
 * serve, so readers can tell whether the mock or cqlproxyd is the limit
 * of the other benchmarks.
 *
 *	mock-load --port P [--nodes 3] [--conns 12] [--depth 32]
 *	    [--duration 3] [--warmup 1] [--keys 1000] [--watch mock:PID]
 *	mock-load --port P --setup [--keys 1000]
 *
 * --setup creates keyspace bench (SimpleStrategy, RF 3) and table
 * bench.kv (k int PRIMARY KEY, v text) and writes --keys rows, then exits.
 * Otherwise one JSON result line: rps, p50/p99/p999 (µs), errors.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

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

#define OP_ERROR	0x00
#define OP_STARTUP	0x01
#define OP_READY	0x02
#define OP_QUERY	0x07
#define OP_RESULT	0x08
#define OP_PREPARE	0x09
#define OP_EXECUTE	0x0A
#define RESULT_PREPARED	4
#define CL_ONE		0x0001
#define HDR		9
#define MAX_BODY	(1 << 20)
#define MAX_DEPTH	1024

static const char *select_cql = "SELECT v FROM bench.kv WHERE k = ?";

struct lconn {
	int		 fd;
	uint8_t		*rb;
	size_t		 rlen;
	size_t		 rcap;
	uint8_t		*wb;
	size_t		 wlen;
	size_t		 woff;
	size_t		 wcap;
	int		 want_out;
	uint8_t		 id[64];
	size_t		 idlen;
	uint64_t	 sent[MAX_DEPTH];	/* per stream */
};

static uint64_t	 seed = 88172645463325252ULL;
static int	 keys = 1000;

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static void
wb_reserve(struct lconn *c, size_t n)
{
	if (c->wlen + n > c->wcap) {
		while (c->wlen + n > c->wcap)
			c->wcap = c->wcap == 0 ? 4096 : c->wcap * 2;
		c->wb = xrealloc(c->wb, c->wcap);
	}
}

/* Append a frame: header then body. */
static void
frame_add(struct lconn *c, uint16_t stream, uint8_t op, const uint8_t *body,
    size_t len)
{
	uint8_t	*p;

	wb_reserve(c, HDR + len);
	p = c->wb + c->wlen;
	p[0] = 0x04;
	p[1] = 0;
	put16(p + 2, stream);
	p[4] = op;
	put32(p + 5, (uint32_t)len);
	memcpy(p + HDR, body, len);
	c->wlen += HDR + len;
}

/* [long string] body (QUERY adds consistency and flags). */
static void
frame_text(struct lconn *c, uint8_t op, const char *text)
{
	size_t	 n = strlen(text);
	uint8_t	*b = xmalloc(n + 7);
	size_t	 len = 4 + n;

	put32(b, (uint32_t)n);
	memcpy(b + 4, text, n);
	if (op == OP_QUERY) {
		put16(b + len, CL_ONE);
		b[len + 2] = 0;
		len += 3;
	}
	frame_add(c, 0, op, b, len);
	free(b);
}

static void
frame_startup(struct lconn *c)
{
	static const uint8_t	body[] = { 0, 1, 0, 11, 'C', 'Q', 'L', '_', 'V',
	    'E', 'R', 'S', 'I', 'O', 'N', 0, 5, '3', '.', '0', '.', '0' };

	frame_add(c, 0, OP_STARTUP, body, sizeof body);
}

/* One EXECUTE of the prepared read; the stream id is the in-flight slot. */
static void
frame_execute(struct lconn *c, uint16_t stream, int32_t k)
{
	uint8_t	b[2 + 64 + 2 + 1 + 2 + 4 + 4];
	size_t	n = 0;

	put16(b, (uint16_t)c->idlen);
	memcpy(b + 2, c->id, c->idlen);
	n = 2 + c->idlen;
	put16(b + n, CL_ONE);
	b[n + 2] = 0x01;		/* values */
	put16(b + n + 3, 1);
	put32(b + n + 5, 4);
	put32(b + n + 9, (uint32_t)k);
	n += 13;
	frame_add(c, stream, OP_EXECUTE, b, n);
}

static void
conn_flush_blocking(struct lconn *c)
{
	ssize_t	n;

	while (c->woff < c->wlen) {
		n = write(c->fd, c->wb + c->woff, c->wlen - c->woff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("write");
		c->woff += (size_t)n;
	}
	c->woff = c->wlen = 0;
}

/* Read one whole frame (blocking): opcode, body in c->rb (length out). */
static uint8_t
conn_read_frame(struct lconn *c, size_t *len)
{
	uint8_t		 h[HDR];
	size_t		 got = 0, blen;
	ssize_t		 n;

	while (got < HDR) {
		if ((n = read(c->fd, h + got, HDR - got)) <= 0)
			fatalx("setup: connection closed");
		got += (size_t)n;
	}
	if ((blen = get32(h + 5)) > MAX_BODY)
		fatalx("setup: body too long");
	if (blen + 1 > c->rcap) {
		c->rcap = blen + 1;
		c->rb = xrealloc(c->rb, c->rcap);
	}
	for (got = 0; got < blen; got += (size_t)n)
		if ((n = read(c->fd, c->rb + got, blen - got)) <= 0)
			fatalx("setup: connection closed");
	*len = blen;
	return (h[4]);
}

/* Send one request and insist on a non-error answer (setup). */
static void
conn_expect(struct lconn *c, const char *what)
{
	size_t	 len;
	uint8_t	 op;

	conn_flush_blocking(c);
	op = conn_read_frame(c, &len);
	if (op == OP_ERROR) {
		if (len > 6)
			fatalx("%s: server error: %.*s", what,
			    (int)(len - 6), (const char *)c->rb + 6);
		fatalx("%s: server error", what);
	}
}

/* Connect and finish STARTUP blocking: setup is not what is measured. */
static struct lconn *
conn_open(const char *addr, int port)
{
	struct sockaddr_in	 sin;
	struct lconn		*c = xcalloc(1, sizeof *c);
	int			 one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		fatalx("bad address %s", addr);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		fatal("connect %s:%d", addr, port);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	frame_startup(c);
	conn_expect(c, "startup");
	return (c);
}

static void
conn_free(struct lconn *c)
{
	close(c->fd);
	free(c->rb);
	free(c->wb);
	free(c);
}

/* Prepare on this connection's node (each node has its own cache). */
static void
conn_prepare(struct lconn *c)
{
	size_t	len, idlen;

	frame_text(c, OP_PREPARE, select_cql);
	conn_flush_blocking(c);
	if (conn_read_frame(c, &len) != OP_RESULT || len < 6 ||
	    get32(c->rb) != RESULT_PREPARED)
		fatalx("prepare: unexpected answer");
	idlen = (size_t)c->rb[4] << 8 | c->rb[5];
	if (idlen > sizeof c->id || 6 + idlen > len)
		fatalx("prepare: bad id");
	memcpy(c->id, c->rb + 6, idlen);
	c->idlen = idlen;
}

/* The schema and rows every benchmark reads, written through node 1. */
static void
setup(int port)
{
	struct lconn	*c = conn_open("127.0.0.1", port);
	char		*q;
	int		 k;

	frame_text(c, OP_QUERY, "CREATE KEYSPACE IF NOT EXISTS bench WITH "
	    "replication = {'class': 'SimpleStrategy', "
	    "'replication_factor': 3}");
	conn_expect(c, "create keyspace");
	frame_text(c, OP_QUERY, "CREATE TABLE IF NOT EXISTS bench.kv "
	    "(k int PRIMARY KEY, v text)");
	conn_expect(c, "create table");
	for (k = 0; k < keys; k++) {
		xasprintf(&q, "INSERT INTO bench.kv (k, v) VALUES (%d, "
		    "'value-%08d-0123456789abcdef')", k, k);
		frame_text(c, OP_QUERY, q);
		free(q);
		conn_expect(c, "insert");
	}
	conn_free(c);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mock-load --port P [--setup] [--nodes N] "
	    "[--conns C] [--depth D] [--duration S] [--warmup S] [--keys K] "
	    "[--watch NAME:PID]\n");
	exit(2);
}

/* Answers: one frame each; count, time, and send the next. */
static int
conn_input(struct lconn *c, uint64_t now, uint64_t from, uint64_t to,
    struct lat *l, uint64_t *done, uint64_t *errors, int sending)
{
	size_t		 off = 0, blen;
	uint16_t	 stream;
	ssize_t		 n;

	if (c->rcap - c->rlen < 65536) {
		c->rcap = c->rcap < 65536 ? 131072 : c->rcap * 2;
		c->rb = xrealloc(c->rb, c->rcap);
	}
	n = read(c->fd, c->rb + c->rlen, c->rcap - c->rlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return (-1);
	if (n < 0)
		return (0);
	c->rlen += (size_t)n;
	while (c->rlen - off >= HDR) {
		blen = get32(c->rb + off + 5);
		if (blen > MAX_BODY)
			return (-1);
		if (c->rlen - off < HDR + blen)
			break;
		stream = (uint16_t)(c->rb[off + 2] << 8 | c->rb[off + 3]);
		if (stream >= MAX_DEPTH)
			return (-1);
		if (now >= from && now < to) {
			(*done)++;
			lat_add(l, now - c->sent[stream]);
			if (c->rb[off + 4] == OP_ERROR)
				(*errors)++;
		}
		if (sending) {
			c->sent[stream] = now;
			frame_execute(c, stream,
			    (int32_t)(bench_rand(&seed) % (uint32_t)keys));
		}
		off += HDR + blen;
	}
	memmove(c->rb, c->rb + off, c->rlen - off);
	c->rlen -= off;
	return (0);
}

/* Write what is queued: 0 when all went, 1 when the socket is full. */
static int
conn_output(struct lconn *c)
{
	return (bench_send_queued(c->fd, c->wb, &c->woff, &c->wlen));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "conns", required_argument, NULL, 'c' },
		{ "depth", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "keys", required_argument, NULL, 'k' },
		{ "watch", required_argument, NULL, 'W' },
		{ "setup", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct lconn		**cs;
	struct epoll_event	 ev, evs[256];
	struct lat		 l;
	char			 addr[32];
	int			 port = 0, nodes = 3, nconns = 12, depth = 32;
	int			 do_setup = 0, ep, i, j, n, watching;
	double			 duration = 3, warmup = 1;
	uint64_t		 start, from, to, now, done = 0, errors = 0;

	while ((i = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (i) {
		case 'p':
			port = (int)bench_arg_num("--port", optarg, 1, 65535);
			break;
		case 'n':
			nodes = (int)bench_arg_num("--nodes", optarg, 1, 64);
			break;
		case 'c':
			nconns = (int)bench_arg_num("--conns", optarg, 1, 4096);
			break;
		case 'd':
			depth = (int)bench_arg_num("--depth", optarg, 1,
			    MAX_DEPTH);
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
		case 's':
			do_setup = 1;
			break;
		default:
			usage();
		}
	}
	if (port == 0 || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	log_open("mock-load", LOG_LEVEL_WARN, 0);
	if (do_setup) {
		setup(port);
		return (0);
	}
	bench_raise_nofile(nconns + 64);

	cs = xcalloc((size_t)nconns, sizeof *cs);
	if ((ep = epoll_create1(0)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < nconns; i++) {
		snprintf(addr, sizeof addr, "127.0.0.%d", 1 + i % nodes);
		cs[i] = conn_open(addr, port);
		conn_prepare(cs[i]);
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
		for (j = 0; j < depth; j++) {
			cs[i]->sent[j] = start;
			frame_execute(cs[i], (uint16_t)j,
			    (int32_t)(bench_rand(&seed) % (uint32_t)keys));
		}
		if (conn_output(cs[i]) < 0)
			fatalx("connection lost");
	}
	watching = 0;
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
			struct lconn	*c = evs[i].data.ptr;

			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				if (conn_input(c, now, from, to, &l, &done,
				    &errors, 1) < 0)
					fatalx("connection lost");
			j = conn_output(c);
			if (j < 0)
				fatalx("connection lost");
			if ((j == 1) != c->want_out) {
				c->want_out = (j == 1);
				ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}

	bench_out_begin();
	bench_out_str("bench", "mock");
	bench_out_num("conns", nconns);
	bench_out_num("depth", depth);
	bench_out_num("requests", (double)done);
	bench_out_num("errors", (double)errors);
	bench_out_num("rps", (double)done / duration);
	bench_out_lat("", &l);
	bench_watch_out((double)done);
	bench_out_end();
	for (i = 0; i < nconns; i++)
		conn_free(cs[i]);
	free(cs);
	lat_free(&l);
	return (0);
}
