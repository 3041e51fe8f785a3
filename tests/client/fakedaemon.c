/*
 * fakedaemon.c: a canned cqlproxyd for libcqlproxy's tests.  One thread
 * runs a poll loop over the listener and its clients and answers lines by
 * these rules (requests parsed with jansson, answers written as text so
 * exact numbers can be served):
 *
 *	op ping / use / prepare / execute / batch / schema	as the protocol says
 *	cql "SELECT types"	one row of every kind of value
 *	cql "SELECT paged"	three pages of two rows (paging_state p1, p2)
 *	cql "SELECT keyspace"	the connection's keyspace
 *	cql "SLEEP <ms>"	answer {"ok":true,"slept":ms} after ms
 *	cql "CLOSE"		close the connection, no answer
 *	cql "CLOSE ONCE"	close the first time seen, answer later ones
 *	cql "BAD ANSWER"	a line that is not JSON
 *	cql "HUGE"		a 200 000-byte text value
 *	cql "ERROR"		a syntax_error with details
 *	cql "TIMEOUT"		the daemon's timeout error, once the request's
 *				timeout_ms has passed
 *	cql "USE <ks>"		like op use
 *	anything else		{"ok":true}
 *
 * Prepared handles carry the fake's generation: after fake_restart they
 * are unknown (unknown_statement), as after a real daemon restart.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fakedaemon.h"

#define FAKE_CONNS	64
#define FAKE_DELAYED	1024

struct fconn {
	int	 fd;
	int	 serial;
	char	 ks[64];
	int	 has_ks;
	char	*in;
	size_t	 inlen;
};

struct fdelay {
	int		 used;
	int		 conn;
	int		 serial;
	long long	 due;
	char		*line;
};

struct floop {
	struct fake	*f;
	struct fconn	 c[FAKE_CONNS];
	struct fdelay	 d[FAKE_DELAYED];
	int		 close_once;
};

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
record(struct fake *f, const char *line, int conn)
{
	pthread_mutex_lock(&f->lock);
	if (f->nlines < FAKE_MAX_LINES) {
		f->lines[f->nlines] = strdup(line);
		f->conn_of[f->nlines] = conn;
		f->nlines++;
	}
	pthread_mutex_unlock(&f->lock);
}

static void
conn_close(struct fconn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	c->inlen = 0;
}

static void
send_all(struct fconn *c, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0 && c->fd != -1) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			conn_close(c);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Put the request's id first in an answer object written as text. */
static char *
with_id(json_t *req, const char *body)
{
	json_t	*id = json_object_get(req, "id");
	char	*ids, *out;

	if (id == NULL) {
		if (asprintf(&out, "%s\n", body) == -1)
			return (NULL);
		return (out);
	}
	ids = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
	if (asprintf(&out, "{\"id\":%s,%s\n", ids, body + 1) == -1)
		out = NULL;
	free(ids);
	return (out);
}

static char *
answer_for(struct floop *l, struct fconn *c, json_t *req, long long *delay,
    int *close_now)
{
	const char	*op = json_string_value(json_object_get(req, "op"));
	const char	*cql = json_string_value(json_object_get(req, "cql"));
	const char	*ps, *h, *ks;
	char		*body = NULL, *out, *big;
	int		 gen, ms;

	*delay = 0;
	*close_now = 0;
	if (op == NULL)
		op = "query";
	if (strcmp(op, "execute") == 0) {
		h = json_string_value(json_object_get(req, "statement"));
		if (h == NULL || sscanf(h, "g%d", &gen) != 1 ||
		    gen != l->f->generation) {
			if (asprintf(&body, "{\"ok\":false,\"error\":{\"code\":"
			    "\"unknown_statement\",\"message\":\"unknown\","
			    "\"statement\":\"%s\"}}", h ? h : "") == -1)
				return (NULL);
			goto done;
		}
		cql = strchr(h, ':') + 1;
		op = "query";
	}
	if (strcmp(op, "ping") == 0)
		body = strdup("{\"ok\":true}");
	else if (strcmp(op, "use") == 0 ||
	    (cql != NULL && strncmp(cql, "USE ", 4) == 0)) {
		ks = strcmp(op, "use") == 0 ?
		    json_string_value(json_object_get(req, "keyspace")) :
		    cql + 4;
		if (ks != NULL && strcmp(ks, "missing") == 0) {
			body = strdup("{\"ok\":false,\"error\":{\"code\":"
			    "\"invalid\",\"message\":\"Keyspace 'missing' does "
			    "not exist\"}}");
			goto done;
		}
		c->has_ks = ks != NULL && *ks != '\0';
		snprintf(c->ks, sizeof c->ks, "%s", c->has_ks ? ks : "");
		if (c->has_ks) {
			if (asprintf(&body, "{\"ok\":true,\"keyspace\":\"%s\"}",
			    c->ks) == -1)
				return (NULL);
		} else
			body = strdup("{\"ok\":true,\"keyspace\":null}");
	} else if (strcmp(op, "prepare") == 0) {
		if (asprintf(&body, "{\"ok\":true,\"statement\":\"g%d:%s\","
		    "\"params\":[],\"columns\":[]}", l->f->generation,
		    cql ? cql : "") == -1)
			return (NULL);
	} else if (strcmp(op, "batch") == 0) {
		if (asprintf(&body, "{\"ok\":true,\"n\":%zu}",
		    json_array_size(json_object_get(req, "statements"))) == -1)
			return (NULL);
	} else if (strcmp(op, "schema") == 0)
		body = strdup("{\"ok\":true,\"keyspaces\":[\"ks\",\"system\"]}");
	else if (strcmp(op, "query") != 0 || cql == NULL)
		body = strdup("{\"ok\":false,\"error\":{\"code\":\"unknown_op\","
		    "\"message\":\"unknown op\"}}");
	else if (strcmp(cql, "SELECT types") == 0)
		body = strdup("{\"ok\":true,\"columns\":["
		    "{\"name\":\"i\",\"type\":\"int\"},"
		    "{\"name\":\"b\",\"type\":\"bigint\"},"
		    "{\"name\":\"vi\",\"type\":\"varint\"},"
		    "{\"name\":\"de\",\"type\":\"decimal\"},"
		    "{\"name\":\"d\",\"type\":\"double\"},"
		    "{\"name\":\"t\",\"type\":\"text\"},"
		    "{\"name\":\"bo\",\"type\":\"boolean\"},"
		    "{\"name\":\"bl\",\"type\":\"blob\"},"
		    "{\"name\":\"m\",\"type\":\"map<text, int>\"},"
		    "{\"name\":\"n\",\"type\":\"int\"},"
		    "{\"name\":\"bs\",\"type\":\"bigint\"},"
		    "{\"name\":\"nan\",\"type\":\"double\"}],"
		    "\"rows\":[[42, -9223372036854775808, "
		    "-1000000000000000000000000000000, -1.50E+3, 1.5E300, "
		    "\"na\\u00efve \\u2603 \\ud83d\\ude00 \\u0000x\", true, "
		    "\"0x00ff10\", {\"a\": 1, \"b\": 2}, null, "
		    "\"9007199254740993\", \"NaN\"]]}");
	else if (strcmp(cql, "SELECT paged") == 0) {
		ps = json_string_value(json_object_get(req, "paging_state"));
		if (ps == NULL)
			body = strdup("{\"ok\":true,\"columns\":[{\"name\":\"k\","
			    "\"type\":\"int\"}],\"rows\":[[1],[2]],"
			    "\"paging_state\":\"p1\"}");
		else if (strcmp(ps, "p1") == 0)
			body = strdup("{\"ok\":true,\"columns\":[{\"name\":\"k\","
			    "\"type\":\"int\"}],\"rows\":[],"
			    "\"paging_state\":\"p2\"}");
		else
			body = strdup("{\"ok\":true,\"columns\":[{\"name\":\"k\","
			    "\"type\":\"int\"}],\"rows\":[[3],[4]]}");
	} else if (strcmp(cql, "SELECT keyspace") == 0) {
		if (asprintf(&body, "{\"ok\":true,\"columns\":[{\"name\":\"ks\","
		    "\"type\":\"text\"}],\"rows\":[[%s%s%s]]}",
		    c->has_ks ? "\"" : "", c->has_ks ? c->ks : "null",
		    c->has_ks ? "\"" : "") == -1)
			return (NULL);
	} else if (sscanf(cql, "SLEEP %d", &ms) == 1) {
		*delay = ms;
		if (asprintf(&body, "{\"ok\":true,\"slept\":%d}", ms) == -1)
			return (NULL);
	} else if (strcmp(cql, "CLOSE") == 0 ||
	    (strcmp(cql, "CLOSE ONCE") == 0 && !l->close_once++)) {
		*close_now = 1;
		return (NULL);
	} else if (strcmp(cql, "BAD ANSWER") == 0)
		return (strdup("this is not json\n"));
	else if (strcmp(cql, "HUGE") == 0) {
		big = malloc(200001);
		memset(big, 'x', 200000);
		big[200000] = '\0';
		if (asprintf(&body, "{\"ok\":true,\"columns\":[{\"name\":\"t\","
		    "\"type\":\"text\"}],\"rows\":[[\"%s\"]]}", big) == -1)
			body = NULL;
		free(big);
	} else if (strcmp(cql, "TIMEOUT") == 0) {
		*delay = json_integer_value(json_object_get(req, "timeout_ms"));
		body = strdup("{\"ok\":false,\"error\":{\"code\":\"timeout\","
		    "\"message\":\"no answer within the request timeout\"}}");
	} else if (strcmp(cql, "ERROR") == 0)
		body = strdup("{\"ok\":false,\"error\":{\"code\":\"syntax_error\","
		    "\"message\":\"line 1:0 no viable alternative at input "
		    "'ERROR'\",\"host\":\"127.0.0.1:9042\"}}");
	else
		body = strdup("{\"ok\":true}");
done:
	if (body == NULL)
		return (NULL);
	out = with_id(req, body);
	free(body);
	return (out);
}

static void
handle_line(struct floop *l, int ci, const char *line)
{
	struct fconn	*c = &l->c[ci];
	json_t		*req;
	json_error_t	 jerr;
	char		*ans;
	long long	 delay;
	int		 close_now, i;

	record(l->f, line, c->serial);
	if ((req = json_loads(line, 0, &jerr)) == NULL) {
		static const char bad[] = "{\"ok\":false,\"error\":{\"code\":"
		    "\"bad_json\",\"message\":\"bad\"}}\n";
		send_all(c, bad, sizeof bad - 1);
		return;
	}
	ans = answer_for(l, c, req, &delay, &close_now);
	json_decref(req);
	if (close_now) {
		conn_close(c);
		return;
	}
	if (ans == NULL)
		return;
	if (delay <= 0) {
		send_all(c, ans, strlen(ans));
		free(ans);
		return;
	}
	for (i = 0; i < FAKE_DELAYED; i++) {
		if (!l->d[i].used) {
			l->d[i].used = 1;
			l->d[i].conn = ci;
			l->d[i].serial = c->serial;
			l->d[i].due = now_ms() + delay;
			l->d[i].line = ans;
			return;
		}
	}
	free(ans);
}

static void
conn_read(struct floop *l, int ci)
{
	struct fconn	*c = &l->c[ci];
	char		 buf[65536], *nl, *line;
	ssize_t		 n;
	size_t		 len;

	n = recv(c->fd, buf, sizeof buf, 0);
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in = realloc(c->in, c->inlen + (size_t)n + 1);
	memcpy(c->in + c->inlen, buf, (size_t)n);
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	while (c->fd != -1 && (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		len = (size_t)(nl - c->in);
		line = strndup(c->in, len);
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
		c->in[c->inlen] = '\0';
		handle_line(l, ci, line);
		free(line);
	}
}

static void
accept_one(struct floop *l)
{
	struct fake	*f = l->f;
	int		 fd, i, live = 0;

	if ((fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	for (i = 0; i < FAKE_CONNS; i++)
		live += l->c[i].fd != -1;
	pthread_mutex_lock(&f->lock);
	f->nconns++;
	pthread_mutex_unlock(&f->lock);
	if (f->max_clients > 0 && live >= f->max_clients) {
		static const char msg[] = "{\"ok\":false,\"error\":{\"code\":"
		    "\"too_many_clients\",\"message\":\"too many clients\"}}\n";
		(void)send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL);
		close(fd);
		return;
	}
	for (i = 0; i < FAKE_CONNS; i++) {
		if (l->c[i].fd == -1) {
			memset(&l->c[i], 0, sizeof l->c[i]);
			l->c[i].fd = fd;
			l->c[i].serial = f->nconns;
			return;
		}
	}
	close(fd);
}

static void *
fake_loop(void *arg)
{
	struct floop	*l = calloc(1, sizeof *l);
	struct fake	*f = arg;
	struct pollfd	 pfd[FAKE_CONNS + 2];
	int		 map[FAKE_CONNS + 2], n, i, timeout;
	long long	 t, next;

	l->f = f;
	for (i = 0; i < FAKE_CONNS; i++)
		l->c[i].fd = -1;
	for (;;) {
		n = 0;
		pfd[n].fd = f->wake[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = f->lfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < FAKE_CONNS; i++) {
			if (l->c[i].fd == -1)
				continue;
			map[n] = i;
			pfd[n].fd = l->c[i].fd;
			pfd[n++].events = POLLIN;
		}
		next = -1;
		t = now_ms();
		for (i = 0; i < FAKE_DELAYED; i++) {
			if (l->d[i].used && (next < 0 || l->d[i].due < next))
				next = l->d[i].due;
		}
		timeout = next < 0 ? -1 : (next > t ? (int)(next - t) : 0);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		t = now_ms();
		for (i = 0; i < FAKE_DELAYED; i++) {
			if (!l->d[i].used || l->d[i].due > t)
				continue;
			if (l->c[l->d[i].conn].serial == l->d[i].serial)
				send_all(&l->c[l->d[i].conn], l->d[i].line,
				    strlen(l->d[i].line));
			free(l->d[i].line);
			l->d[i].line = NULL;
			l->d[i].used = 0;
		}
		if (pfd[1].revents & POLLIN)
			accept_one(l);
		for (i = 2; i < n; i++) {
			if (pfd[i].revents && l->c[map[i]].fd == pfd[i].fd)
				conn_read(l, map[i]);
		}
	}
	for (i = 0; i < FAKE_CONNS; i++)
		conn_close(&l->c[i]);
	for (i = 0; i < FAKE_DELAYED; i++)
		free(l->d[i].line);
	free(l);
	return (NULL);
}

static int
fake_listen(struct fake *f)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", f->path);
	unlink(f->path);
	if ((f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (bind(f->lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(f->lfd, 64) == -1) {
		close(f->lfd);
		return (-1);
	}
	if (pipe2(f->wake, O_CLOEXEC) == -1) {
		close(f->lfd);
		return (-1);
	}
	if (pthread_create(&f->thread, NULL, fake_loop, f) != 0) {
		close(f->lfd);
		close(f->wake[0]);
		close(f->wake[1]);
		return (-1);
	}
	f->running = 1;
	return (0);
}

int
fake_start(struct fake *f)
{
	memset(f, 0, sizeof *f);
	pthread_mutex_init(&f->lock, NULL);
	snprintf(f->dir, sizeof f->dir, "/tmp/cqlp-fake.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return (-1);
	snprintf(f->path, sizeof f->path, "%s/sock", f->dir);
	return (fake_listen(f));
}

void
fake_stop(struct fake *f)
{
	if (!f->running)
		return;
	(void)write(f->wake[1], "x", 1);
	pthread_join(f->thread, NULL);
	close(f->wake[0]);
	close(f->wake[1]);
	close(f->lfd);
	unlink(f->path);
	f->running = 0;
}

int
fake_restart(struct fake *f)
{
	fake_stop(f);
	f->generation++;
	return (fake_listen(f));
}

void
fake_cleanup(struct fake *f)
{
	int	i;

	fake_stop(f);
	for (i = 0; i < f->nlines; i++)
		free(f->lines[i]);
	f->nlines = 0;
	unlink(f->path);
	rmdir(f->dir);
}

int
fake_count(struct fake *f, const char *needle)
{
	int	i, n = 0;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nlines; i++)
		n += strstr(f->lines[i], needle) != NULL;
	pthread_mutex_unlock(&f->lock);
	return (n);
}

char *
fake_last(struct fake *f)
{
	char	*s = NULL;

	pthread_mutex_lock(&f->lock);
	if (f->nlines > 0)
		s = strdup(f->lines[f->nlines - 1]);
	pthread_mutex_unlock(&f->lock);
	return (s);
}

int
fake_conn(struct fake *f, int n)
{
	int	c = -1;

	pthread_mutex_lock(&f->lock);
	if (n >= 0 && n < f->nlines)
		c = f->conn_of[n];
	pthread_mutex_unlock(&f->lock);
	return (c);
}
