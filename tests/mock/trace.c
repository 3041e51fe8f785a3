/*
 * trace.c: query tracing. A traced request gets a session id at once; its
 * rows in system_traces.sessions and system_traces.events are written a
 * little later (--trace-delay-ms), as Cassandra writes them in the
 * background, and the session's duration goes in last so that a client
 * polling for it sees a complete trace.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "db.h"
#include "mock.h"

struct trace_event {
	uint8_t		 id[16];	/* timeuuid */
	char		*activity;
	int32_t		 elapsed;	/* microseconds since the start */
};

struct trace_param {
	char		*key;
	char		*value;
};

struct trace {
	struct cluster	*cluster;
	int		 node;		/* engine index of the coordinator */
	uint8_t		 id[16];
	uint8_t		 client[4];
	uint8_t		 coordinator[4];
	char		*request;
	uint64_t	 started_us;
	int64_t		 started_ms;
	int32_t		 duration;
	struct trace_param *params;
	size_t		 nparams;
	struct trace_event *events;
	size_t		 nevents;
	struct event	*timer;
	LIST_ENTRY(trace) entry;
};

/* Traces waiting for their timer, freed at exit if still waiting. */
static LIST_HEAD(, trace) trace_waiting = LIST_HEAD_INITIALIZER(trace_waiting);

static uint64_t
trace_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * Trace columns are text: bytes of a malformed (or cut) UTF-8 sequence
 * become '?', so that a hostile query text still leaves a trace.
 */
static void
trace_utf8_fix(char *s)
{
	unsigned char	*p = (unsigned char *)s;
	size_t		 n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else {
			*p++ = '?';
			continue;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
		}
		if (i <= n || (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90)) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

struct trace *
trace_begin(struct session *s, const char *request)
{
	struct trace	*t;

	t = xcalloc(1, sizeof *t);
	t->cluster = s->cluster;
	t->node = s->node->index;
	uuid_timeuuid(&s->cluster->rng, t->id);
	memcpy(t->client, s->peer_ip, 4);
	memcpy(t->coordinator, s->node->ip, 4);
	t->request = xstrdup(request);
	t->started_us = trace_now_us();
	t->started_ms = t->started_us / 1000;
	return (t);
}

const uint8_t *
trace_id(const struct trace *t)
{
	return (t->id);
}

void
trace_param(struct trace *t, const char *key, const char *value)
{
	t->params = xreallocarray(t->params, t->nparams + 1,
	    sizeof *t->params);
	t->params[t->nparams].key = xstrdup(key);
	t->params[t->nparams].value = xstrdup(value);
	trace_utf8_fix(t->params[t->nparams].value);
	t->nparams++;
}

void
trace_event(struct trace *t, const char *fmt, ...)
{
	struct trace_event	*e;
	va_list			 ap;

	t->events = xreallocarray(t->events, t->nevents + 1,
	    sizeof *t->events);
	e = &t->events[t->nevents++];
	va_start(ap, fmt);
	if (xvasprintf(&e->activity, fmt, ap) < 0)
		fatalx("xvasprintf");
	va_end(ap);
	if (strlen(e->activity) > 1000)
		e->activity[1000] = '\0';
	trace_utf8_fix(e->activity);
	uuid_timeuuid(&t->cluster->rng, e->id);
	e->elapsed = (int32_t)(trace_now_us() - t->started_us);
}

static void
trace_free(struct trace *t)
{
	size_t	i;

	if (t->timer != NULL)
		event_free(t->timer);
	for (i = 0; i < t->nparams; i++) {
		free(t->params[i].key);
		free(t->params[i].value);
	}
	for (i = 0; i < t->nevents; i++)
		free(t->events[i].activity);
	free(t->params);
	free(t->events);
	free(t->request);
	free(t);
}

static struct bytesval
trace_val(const void *p, size_t n)
{
	struct bytesval	v;

	v.state = BYTES_VALUE;
	v.v.p = p;
	v.v.n = n;
	return (v);
}

static void
trace_be32(uint8_t *p, int32_t x)
{
	p[0] = (uint32_t)x >> 24;
	p[1] = (uint32_t)x >> 16;
	p[2] = (uint32_t)x >> 8;
	p[3] = (uint32_t)x;
}

static void
trace_exec(struct trace *t, const char *cql, struct bytesval *v, size_t n)
{
	struct db_values	vals;
	struct db_opts		opts;
	struct db_result	res;

	memset(&vals, 0, sizeof vals);
	memset(&opts, 0, sizeof opts);
	vals.v = v;
	vals.n = n;
	db_execute(t->cluster->db, t->node, NULL, cql, &vals, &opts, &res);
	if (res.kind == DB_RESULT_ERROR)
		log_warnx("trace: %s: %s", cql, res.err_msg);
	db_result_clear(&res);
}

/* Write the rows: events, then the session, then its duration. */
static void
trace_write(struct trace *t)
{
	struct bytesval	 v[8];
	struct wbuf	 map;
	uint8_t		 elapsed[4], port[4], dur[4], started[8];
	const char	*thread = "Native-Transport-Requests-1";
	size_t		 i;

	trace_be32(port, 7000);
	for (i = 0; i < t->nevents; i++) {
		trace_be32(elapsed, t->events[i].elapsed);
		v[0] = trace_val(t->id, 16);
		v[1] = trace_val(t->events[i].id, 16);
		v[2] = trace_val(t->events[i].activity,
		    strlen(t->events[i].activity));
		v[3] = trace_val(t->coordinator, 4);
		v[4] = trace_val(elapsed, 4);
		v[5] = trace_val(port, 4);
		v[6] = trace_val(thread, strlen(thread));
		trace_exec(t, "INSERT INTO system_traces.events (session_id, "
		    "event_id, activity, source, source_elapsed, source_port, "
		    "thread) VALUES (?, ?, ?, ?, ?, ?, ?)", v, 7);
	}

	wbuf_init(&map, 0);
	wbuf_i32(&map, t->nparams);
	for (i = 0; i < t->nparams; i++) {
		wbuf_bytes(&map, t->params[i].key, strlen(t->params[i].key));
		wbuf_bytes(&map, t->params[i].value,
		    strlen(t->params[i].value));
	}
	for (i = 0; i < 8; i++)
		started[i] = (uint64_t)t->started_ms >> (56 - 8 * i);
	v[0] = trace_val(t->id, 16);
	v[1] = trace_val(t->client, 4);
	v[2] = trace_val("QUERY", 5);
	v[3] = trace_val(t->coordinator, 4);
	v[4] = trace_val(port, 4);
	v[5] = trace_val(map.p, map.len);
	v[6] = trace_val(t->request, strlen(t->request));
	v[7] = trace_val(started, 8);
	trace_exec(t, "INSERT INTO system_traces.sessions (session_id, client, "
	    "command, coordinator, coordinator_port, parameters, request, "
	    "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", v, 8);
	wbuf_free(&map);

	trace_be32(dur, t->duration);
	v[0] = trace_val(dur, 4);
	v[1] = trace_val(t->id, 16);
	trace_exec(t, "UPDATE system_traces.sessions SET duration = ? WHERE "
	    "session_id = ?", v, 2);
}

static void
trace_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct trace	*t = arg;

	LIST_REMOVE(t, entry);
	trace_write(t);
	trace_free(t);
}

/* The request is answered: close the trace and write it a bit later. */
void
trace_finish(struct trace *t)
{
	struct timeval	tv;
	unsigned	ms = t->cluster->trace_delay_ms;

	trace_event(t, "Request complete");
	t->duration = (int32_t)(trace_now_us() - t->started_us);
	if (t->duration <= 0)
		t->duration = 1;
	t->timer = evtimer_new(t->cluster->base, trace_timer_cb, t);
	if (t->timer == NULL)
		fatalx("evtimer_new");
	LIST_INSERT_HEAD(&trace_waiting, t, entry);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(t->timer, &tv);
}

/* At exit: traces not yet written are dropped. */
void
trace_shutdown(void)
{
	struct trace	*t;

	while ((t = LIST_FIRST(&trace_waiting)) != NULL) {
		LIST_REMOVE(t, entry);
		trace_free(t);
	}
}
