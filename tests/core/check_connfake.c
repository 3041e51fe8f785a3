/*
 * check_connfake.c: a connection against the scriptable fake node: version
 * step-down, authentication, many requests in flight, timeouts and late
 * answers, back-pressure, heartbeats, hostile frames, events, and freeing
 * from inside callbacks.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "host.h"
#include "conn.h"
#include "pool.h"
#include "fakenode.h"
#include "testloop.h"

#define NREQ	1000

struct reqres {
	int		 done;
	enum conn_error	 e;
	uint8_t		 opcode;
	int32_t		 code;
	int32_t		 kind;
};

struct t {
	struct event_base	*base;
	struct fakenode		*fake;
	struct host		*host;
	struct conn		*conn;
	struct conn_config	 cf;
	int			 ready;
	enum conn_error		 ready_err;
	int			 closed;
	enum conn_error		 closed_err;
	int			 events;
	char			 event_type[32];
	int			 ndone;
	int			 free_in_cb;
	struct reqres		 res[NREQ];
};

static struct t	*T;

static void
t_ready(struct conn *c, enum conn_error e, void *arg)
{
	struct t	*t = arg;

	t->ready++;
	t->ready_err = e;
}

static void
t_closed(struct conn *c, enum conn_error e, void *arg)
{
	struct t	*t = arg;

	t->closed++;
	t->closed_err = e;
}

static void
t_event(struct conn *c, struct msg *m, void *arg)
{
	struct t	*t = arg;
	size_t		 n = m->u.event.type.n;

	t->events++;
	if (n >= sizeof t->event_type)
		n = sizeof t->event_type - 1;
	memcpy(t->event_type, m->u.event.type.p, n);
	t->event_type[n] = '\0';
}

static void
t_answer(struct conn *c, enum conn_error e, struct msg *m, void *arg)
{
	struct reqres	*r = arg;

	ck_assert_int_eq(r->done, 0);	/* exactly one callback */
	r->done = 1;
	r->e = e;
	if (m != NULL) {
		r->opcode = m->opcode;
		if (m->opcode == OP_ERROR)
			r->code = m->u.error.code;
		if (m->opcode == OP_RESULT)
			r->kind = m->u.result.kind;
	}
	T->ndone++;
	if (T->free_in_cb) {
		conn_free(c);
		T->conn = NULL;
		T->free_in_cb = 0;
	}
}

static int
cond_ready(void *arg)
{
	return (((struct t *)arg)->ready > 0);
}

static int
cond_closed(void *arg)
{
	return (((struct t *)arg)->closed > 0);
}

static int
cond_ndone(void *arg)
{
	return (T->ndone >= *(int *)arg);
}

static int
cond_held(void *arg)
{
	return (fakenode_stats(T->fake)->held >= *(int *)arg);
}

static int
cond_no_orphans(void *arg)
{
	return (conn_orphans(T->conn) == 0);
}

static int
cond_events(void *arg)
{
	return (T->events > 0);
}

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	T = xcalloc(1, sizeof *T);
	T->base = event_base_new();
	conn_config_default(&T->cf);
	T->cf.heartbeat_interval_ms = 0;
	T->cf.connect_timeout_ms = 3000;
}

static void
teardown(void)
{
	if (T->conn != NULL)
		conn_free(T->conn);
	testloop_drain(T->base);
	if (T->fake != NULL)
		fakenode_free(T->fake);
	if (T->host != NULL)
		host_unref(T->host);
	event_base_free(T->base);
	free(T);
	T = NULL;
}

/* A fake node of that version and a connection to it, not yet started. */
static void
t_make(int max_version)
{
	struct conn_cbs	cbs;

	T->fake = fakenode_new(T->base, max_version);
	T->host = host_new_name("127.0.0.1", fakenode_port(T->fake), NULL);
	memset(&cbs, 0, sizeof cbs);
	cbs.ready = t_ready;
	cbs.closed = t_closed;
	cbs.event = t_event;
	cbs.arg = T;
	T->conn = conn_new(T->base, T->host, &T->cf, &cbs);
}

static void
t_connect(int max_version)
{
	t_make(max_version);
	conn_connect(T->conn);
	ck_assert_msg(testloop_until(T->base, cond_ready, T, 5000),
	    "no ready callback");
	ck_assert_msg(T->ready_err == CONN_OK, "ready: %s (%s)",
	    conn_error_name(T->ready_err), conn_why(T->conn));
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
}

static enum conn_error
t_query(const char *text, int timeout_ms, struct reqres *r, uint64_t *id)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = slice_cstr(text);
	m.u.query.params.consistency = CL_ONE;
	return (conn_send(T->conn, &m, 0, timeout_ms, t_answer, r, id));
}

START_TEST(test_handshake_v4)
{
	const struct msg_supported	*sup;
	const struct string_list	*l;

	t_connect(4);
	ck_assert_uint_eq(conn_version(T->conn), 4);
	ck_assert_int_eq(fakenode_stats(T->fake)->ops[OP_OPTIONS], 1);
	ck_assert_int_eq(fakenode_stats(T->fake)->ops[OP_STARTUP], 1);
	ck_assert_int_eq(fakenode_stats(T->fake)->connections, 1);
	sup = conn_supported(T->conn);
	ck_assert_ptr_nonnull(sup);
	l = string_multimap_get(&sup->options, "CQL_VERSION");
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->n, 1);
	ck_assert(slice_eq(l->e[0], "3.4.5"));
	ck_assert_str_eq(conn_why(T->conn), "");
}
END_TEST

START_TEST(test_version_step_down)
{
	t_connect(3);
	ck_assert_uint_eq(conn_version(T->conn), 3);
	ck_assert_int_ge(fakenode_stats(T->fake)->refused_versions, 1);
	/* a new socket for the lower version, as drivers do */
	ck_assert_int_eq(fakenode_stats(T->fake)->connections, 2);
	ck_assert_uint_eq(fakenode_stats(T->fake)->last_version, 3);
}
END_TEST

START_TEST(test_version_remembered)
{
	T->cf.version = 3;
	t_connect(3);
	ck_assert_uint_eq(conn_version(T->conn), 3);
	ck_assert_int_eq(fakenode_stats(T->fake)->refused_versions, 0);
	ck_assert_int_eq(fakenode_stats(T->fake)->connections, 1);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	struct conn_cbs		cbs;
	int			fd;

	/* a port nobody listens on: bind, learn it, close */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	T->host = host_new_name("127.0.0.1", ntohs(sin.sin_port), NULL);
	memset(&cbs, 0, sizeof cbs);
	cbs.ready = t_ready;
	cbs.arg = T;
	T->conn = conn_new(T->base, T->host, &T->cf, &cbs);
	conn_connect(T->conn);
	/* never reported from inside conn_connect */
	ck_assert_int_eq(T->ready, 0);
	ck_assert(testloop_until(T->base, cond_ready, T, 5000));
	ck_assert_int_eq(T->ready_err, CONN_ECONNECT);
	ck_assert_int_eq(conn_state(T->conn), CONN_CLOSED);
	ck_assert_ptr_nonnull(strstr(conn_why(T->conn), "refused"));
}
END_TEST

START_TEST(test_handshake_timeout)
{
	T->cf.connect_timeout_ms = 200;
	t_make(4);
	fakenode_set_mode(T->fake, FAKE_SILENT);
	conn_connect(T->conn);
	ck_assert(testloop_until(T->base, cond_ready, T, 5000));
	ck_assert_int_eq(T->ready_err, CONN_ETIMEOUT);
	ck_assert_int_eq(conn_state(T->conn), CONN_CLOSED);
}
END_TEST

START_TEST(test_auth)
{
	T->cf.username = "alice";
	T->cf.password = "s3cret";
	t_make(4);
	fakenode_set_auth(T->fake, "alice", "s3cret");
	conn_connect(T->conn);
	ck_assert(testloop_until(T->base, cond_ready, T, 5000));
	ck_assert_int_eq(T->ready_err, CONN_OK);
	ck_assert_int_eq(fakenode_stats(T->fake)->ops[OP_AUTH_RESPONSE], 1);
}
END_TEST

START_TEST(test_auth_refused)
{
	T->cf.username = "alice";
	T->cf.password = "wrong";
	t_make(4);
	fakenode_set_auth(T->fake, "alice", "s3cret");
	conn_connect(T->conn);
	ck_assert(testloop_until(T->base, cond_ready, T, 5000));
	ck_assert_int_eq(T->ready_err, CONN_ESERVER);
	ck_assert_ptr_nonnull(strstr(conn_why(T->conn), "incorrect"));
}
END_TEST

START_TEST(test_auth_missing)
{
	t_make(4);
	fakenode_set_auth(T->fake, "alice", "s3cret");
	conn_connect(T->conn);
	ck_assert(testloop_until(T->base, cond_ready, T, 5000));
	ck_assert_int_eq(T->ready_err, CONN_ECONNECT);
	ck_assert_ptr_nonnull(strstr(conn_why(T->conn), "Password"));
}
END_TEST

START_TEST(test_many_in_flight)
{
	const struct conn_stats	*st;
	int			 i, n = NREQ;

	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	for (i = 0; i < NREQ; i++)
		ck_assert_int_eq(t_query("SELECT 1", 0, &T->res[i], NULL),
		    CONN_OK);
	ck_assert_int_eq(conn_inflight(T->conn), NREQ);
	ck_assert_int_eq(T->ndone, 0);	/* never answered from conn_send */
	ck_assert(testloop_until(T->base, cond_held, &n, 5000));
	/* every one reached the node before any answer: all in flight */
	ck_assert_int_eq(fakenode_stats(T->fake)->max_held, NREQ);
	st = conn_stats(T->conn);
	/* queued in one turn, written together: far fewer writes than frames */
	ck_assert_uint_le(st->writes, 2 + 2);
	ck_assert_uint_eq(st->frames_out, 2 + NREQ);
	/* answers come back newest first */
	ck_assert_int_eq(fakenode_release(T->fake, NREQ), NREQ);
	ck_assert(testloop_until(T->base, cond_ndone, &n, 5000));
	for (i = 0; i < NREQ; i++) {
		ck_assert_int_eq(T->res[i].e, CONN_OK);
		ck_assert_int_eq(T->res[i].opcode, OP_RESULT);
		ck_assert_int_eq(T->res[i].kind, RESULT_VOID);
	}
	ck_assert_int_eq(conn_inflight(T->conn), 0);
}
END_TEST

START_TEST(test_timeout_and_late_answer)
{
	int	one = 1, two = 2, three = 3;

	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	ck_assert_int_eq(t_query("slow", 100, &T->res[0], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 3000));
	ck_assert_int_eq(T->res[0].e, CONN_ETIMEOUT);
	ck_assert_int_eq(conn_orphans(T->conn), 1);
	ck_assert_int_eq(conn_inflight(T->conn), 1);
	/* a new request must not take the timed-out stream */
	ck_assert_int_eq(t_query("next", -1, &T->res[1], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_held, &two, 3000));
	ck_assert_int_eq(fakenode_release(T->fake, 2), 2);
	ck_assert(testloop_until(T->base, cond_ndone, &two, 3000));
	ck_assert_int_eq(T->res[1].e, CONN_OK);
	/* the late answer frees the orphan */
	ck_assert(testloop_until(T->base, cond_no_orphans, NULL, 3000));
	ck_assert_int_eq(T->res[0].done, 1);	/* not called again */
	ck_assert_int_eq(conn_inflight(T->conn), 0);
	ck_assert_uint_eq(conn_stats(T->conn)->late, 1);
	ck_assert_uint_eq(conn_stats(T->conn)->timeouts, 1);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
	/* and the connection still works */
	fakenode_set_mode(T->fake, FAKE_ANSWER);
	ck_assert_int_eq(t_query("again", 0, &T->res[2], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &three, 3000));
	ck_assert_int_eq(T->res[2].e, CONN_OK);
}
END_TEST

START_TEST(test_busy)
{
	int	i, four = 4;

	T->cf.max_streams = 4;
	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(t_query("x", -1, &T->res[i], NULL), CONN_OK);
	ck_assert_int_eq(conn_available(T->conn), 0);
	ck_assert_int_eq(t_query("x", -1, &T->res[4], NULL), CONN_EBUSY);
	ck_assert_int_eq(T->res[4].done, 0);
	ck_assert(testloop_until(T->base, cond_held, &four, 3000));
	fakenode_release(T->fake, 1);
	i = 1;
	ck_assert(testloop_until(T->base, cond_ndone, &i, 3000));
	ck_assert_int_eq(t_query("x", -1, &T->res[4], NULL), CONN_OK);
}
END_TEST

START_TEST(test_server_error)
{
	int	one = 1;

	t_connect(4);
	ck_assert_int_eq(t_query("FAIL", 0, &T->res[0], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 3000));
	ck_assert_int_eq(T->res[0].e, CONN_ESERVER);
	ck_assert_int_eq(T->res[0].opcode, OP_ERROR);
	ck_assert_int_eq(T->res[0].code, 0x2200);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
}
END_TEST

START_TEST(test_heartbeat_kept)
{
	T->cf.heartbeat_interval_ms = 50;
	T->cf.heartbeat_timeout_ms = 1000;
	t_connect(4);
	ck_assert(testloop_until(T->base, NULL, NULL, 400));
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
	ck_assert_int_eq(T->closed, 0);
	/* OPTIONS at handshake, then several heartbeats */
	ck_assert_int_ge(fakenode_stats(T->fake)->ops[OP_OPTIONS], 3);
}
END_TEST

START_TEST(test_heartbeat_timeout)
{
	int	one = 1;

	T->cf.heartbeat_interval_ms = 100;
	T->cf.heartbeat_timeout_ms = 200;
	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_SILENT);
	ck_assert_int_eq(t_query("never answered", 60000, &T->res[0], NULL),
	    CONN_OK);
	ck_assert(testloop_until(T->base, cond_closed, T, 5000));
	ck_assert_int_eq(T->closed_err, CONN_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(conn_why(T->conn), "heartbeat"));
	ck_assert(testloop_until(T->base, cond_ndone, &one, 1000));
	ck_assert_int_eq(T->res[0].e, CONN_ECLOSED);
	ck_assert_int_eq(conn_state(T->conn), CONN_CLOSED);
	ck_assert_int_eq(t_query("after", 0, &T->res[1], NULL), CONN_ECLOSED);
}
END_TEST

START_TEST(test_peer_closes)
{
	int	two = 2;

	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	ck_assert_int_eq(t_query("a", -1, &T->res[0], NULL), CONN_OK);
	ck_assert_int_eq(t_query("b", -1, &T->res[1], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_held, &two, 3000));
	fakenode_drop(T->fake);
	ck_assert(testloop_until(T->base, cond_closed, T, 3000));
	ck_assert_int_eq(T->closed_err, CONN_ECLOSED);
	ck_assert(testloop_until(T->base, cond_ndone, &two, 1000));
	ck_assert_int_eq(T->res[0].e, CONN_ECLOSED);
	ck_assert_int_eq(T->res[1].e, CONN_ECLOSED);
}
END_TEST

START_TEST(test_frame_too_large)
{
	uint8_t			hb[FRAME_HEADER_LEN];
	struct frame_header	h;

	T->cf.max_body = 1024;
	t_connect(4);
	memset(&h, 0, sizeof h);
	h.version = 4;
	h.response = 1;
	h.stream = 0;
	h.opcode = OP_RESULT;
	h.length = 1U << 30;	/* claimed, never sent */
	frame_header_encode(hb, &h);
	fakenode_send_raw(T->fake, hb, sizeof hb);
	ck_assert(testloop_until(T->base, cond_closed, T, 3000));
	ck_assert_int_eq(T->closed_err, CONN_EPROTO);
	ck_assert_ptr_nonnull(strstr(conn_why(T->conn), "limit"));
}
END_TEST

START_TEST(test_unknown_stream)
{
	struct wbuf	w;
	size_t		start;

	t_connect(4);
	wbuf_init(&w, 0);
	start = frame_begin(&w, 4, 1, 0, 777, OP_RESULT);
	wbuf_i32(&w, 1);
	frame_end(&w, start);
	fakenode_send_raw(T->fake, w.p, w.len);
	wbuf_free(&w);
	ck_assert(testloop_until(T->base, cond_closed, T, 3000));
	ck_assert_int_eq(T->closed_err, CONN_EPROTO);
}
END_TEST

START_TEST(test_garbage_body)
{
	struct wbuf	w;
	size_t		start;
	int		one = 1;

	/* a RESULT whose body is cut short fails only its own request */
	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_SILENT);
	ck_assert_int_eq(t_query("x", -1, &T->res[0], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, NULL, NULL, 50));
	wbuf_init(&w, 0);
	start = frame_begin(&w, 4, 1, 0, 0, OP_RESULT);
	wbuf_u16(&w, 0);
	frame_end(&w, start);
	fakenode_send_raw(T->fake, w.p, w.len);
	wbuf_free(&w);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 3000));
	ck_assert_int_eq(T->res[0].e, CONN_EPROTO);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
}
END_TEST

START_TEST(test_request_too_large)
{
	char	big[2048];

	T->cf.max_body = 1024;
	t_connect(4);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(t_query(big, 0, &T->res[0], NULL), CONN_EENCODE);
	ck_assert_int_eq(conn_inflight(T->conn), 0);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
	ck_assert(testloop_until(T->base, NULL, NULL, 20));
	ck_assert_int_eq(T->res[0].done, 0);
}
END_TEST

START_TEST(test_split_frame)
{
	struct wbuf	w;
	uint64_t	id;
	size_t		start;
	int		one = 1;

	/* an answer arriving in pieces is put back together */
	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_SILENT);
	ck_assert_int_eq(t_query("x", -1, &T->res[0], &id), CONN_OK);
	wbuf_init(&w, 0);
	start = frame_begin(&w, 4, 1, 0, (int16_t)(id & 0xffff), OP_RESULT);
	wbuf_i32(&w, 1);
	frame_end(&w, start);
	fakenode_send_raw(T->fake, w.p, 5);
	ck_assert(testloop_until(T->base, NULL, NULL, 30));
	fakenode_send_raw(T->fake, w.p + 5, 6);
	ck_assert(testloop_until(T->base, NULL, NULL, 30));
	ck_assert_int_eq(T->res[0].done, 0);
	fakenode_send_raw(T->fake, w.p + 11, w.len - 11);
	wbuf_free(&w);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 3000));
	ck_assert_int_eq(T->res[0].e, CONN_OK);
	ck_assert_int_eq(T->res[0].kind, RESULT_VOID);
}
END_TEST

START_TEST(test_random_bodies)
{
	static const uint8_t	 ops[] = { OP_RESULT, OP_ERROR, OP_SUPPORTED,
	    OP_READY, OP_AUTH_SUCCESS };
	struct wbuf		 w;
	uint64_t		 id, seed = 0x1234567;
	size_t			 start, len, j;
	int			 i, n = 200;

	/*
	 * Answers with random bodies: each request gets exactly one
	 * callback and the connection survives whatever the bodies say.
	 */
	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_SILENT);
	wbuf_init(&w, 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(t_query("x", -1, &T->res[i], &id), CONN_OK);
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		start = frame_begin(&w, 4, 1, 0, (int16_t)(id & 0xffff),
		    ops[(seed >> 33) % nitems(ops)]);
		len = (seed >> 40) % 64;
		for (j = 0; j < len; j++) {
			seed = seed * 6364136223846793005ULL + 1;
			wbuf_u8(&w, (uint8_t)(seed >> 56));
		}
		frame_end(&w, start);
	}
	ck_assert(testloop_until(T->base, NULL, NULL, 20));
	fakenode_send_raw(T->fake, w.p, w.len);
	wbuf_free(&w);
	ck_assert(testloop_until(T->base, cond_ndone, &n, 5000));
	for (i = 0; i < n; i++)
		ck_assert(T->res[i].e == CONN_OK || T->res[i].e == CONN_ESERVER ||
		    T->res[i].e == CONN_EPROTO);
	ck_assert_int_eq(conn_state(T->conn), CONN_READY);
	ck_assert_int_eq(conn_inflight(T->conn), 0);
}
END_TEST

START_TEST(test_events)
{
	static const char *const ev[] = { "STATUS_CHANGE", "TOPOLOGY_CHANGE" };
	int			 one = 1;

	t_connect(4);
	ck_assert_int_eq(conn_register(T->conn, ev, 2, t_answer, &T->res[0]),
	    CONN_OK);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 3000));
	ck_assert_int_eq(T->res[0].e, CONN_OK);
	ck_assert_int_eq(T->res[0].opcode, OP_READY);
	fakenode_send_event(T->fake, 9042);
	ck_assert(testloop_until(T->base, cond_events, NULL, 3000));
	ck_assert_str_eq(T->event_type, "STATUS_CHANGE");
}
END_TEST

START_TEST(test_free_inside_callback)
{
	int	i, three = 3;

	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(t_query("x", -1, &T->res[i], NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_held, &three, 3000));
	T->free_in_cb = 1;
	fakenode_release(T->fake, 1);
	/* the first answer frees the conn; the other two get ECLOSED */
	ck_assert(testloop_until(T->base, cond_ndone, &three, 3000));
	ck_assert_ptr_null(T->conn);
	ck_assert_int_eq(T->res[0].e, CONN_OK);
	ck_assert_int_eq(T->res[1].e, CONN_ECLOSED);
	ck_assert_int_eq(T->res[2].e, CONN_ECLOSED);
	ck_assert_int_eq(T->closed, 0);	/* the owner freed it: no closed cb */
}
END_TEST

START_TEST(test_cancel)
{
	uint64_t	id;
	int		one = 1, two = 2;

	t_connect(4);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	ck_assert_int_eq(t_query("x", -1, &T->res[0], &id), CONN_OK);
	ck_assert_int_eq(t_query("y", -1, &T->res[1], NULL), CONN_OK);
	ck_assert_int_eq(conn_cancel(T->conn, id), 0);
	ck_assert_int_eq(conn_cancel(T->conn, id), -1);
	ck_assert_int_eq(conn_orphans(T->conn), 1);
	ck_assert(testloop_until(T->base, cond_held, &two, 3000));
	fakenode_release(T->fake, 2);
	ck_assert(testloop_until(T->base, cond_ndone, &one, 3000));
	ck_assert(testloop_until(T->base, cond_no_orphans, NULL, 3000));
	ck_assert_int_eq(T->res[0].done, 0);
	ck_assert_int_eq(T->res[1].e, CONN_OK);
	/* a finished request cannot be cancelled */
	ck_assert_int_eq(conn_cancel(T->conn, id), -1);
}
END_TEST

START_TEST(test_send_before_ready)
{
	t_make(4);
	ck_assert_int_eq(t_query("x", 0, &T->res[0], NULL), CONN_ECLOSED);
	conn_connect(T->conn);
	ck_assert_int_eq(t_query("x", 0, &T->res[0], NULL), CONN_ECLOSED);
	ck_assert(testloop_until(T->base, cond_ready, T, 3000));
	ck_assert_int_eq(T->res[0].done, 0);
}
END_TEST

/* Pools over the fake node. */

static int	pool_ups, pool_downs;

static void
p_up(struct pool *p, void *arg)
{
	pool_ups++;
}

static void
p_down(struct pool *p, enum conn_error e, void *arg)
{
	pool_downs++;
}

static int
cond_pool_size(void *arg)
{
	struct pool	*p = arg;

	return (pool_size(p) == 2 && pool_opening(p) == 0);
}

static int
cond_pool_ups(void *arg)
{
	return (pool_ups >= *(int *)arg);
}

static int
cond_pool_downs(void *arg)
{
	return (pool_downs >= *(int *)arg);
}

static struct pool *
p_make(struct pool_config *pc)
{
	struct pool_cbs	cbs;
	struct pool	*p;
	int		one = 1;

	pool_ups = pool_downs = 0;
	T->fake = fakenode_new(T->base, 3);
	T->host = host_new_name("127.0.0.1", fakenode_port(T->fake), NULL);
	memset(&cbs, 0, sizeof cbs);
	cbs.up = p_up;
	cbs.down = p_down;
	p = pool_new(T->base, T->host, pc, &cbs);
	pool_connect(p);
	ck_assert(testloop_until(T->base, cond_pool_ups, &one, 5000));
	ck_assert_int_eq(T->host->state, HOST_UP);
	return (p);
}

START_TEST(test_pool_version_remembered)
{
	struct pool_config	 pc;
	struct pool		*p;
	struct conn		*c;
	struct msg		 m;
	int			 i, three = 3;

	pool_config_default(&pc);
	pc.conn.heartbeat_interval_ms = 0;
	pc.grow_threshold = 2;
	p = p_make(&pc);
	ck_assert_uint_eq(pool_version(p), 3);
	fakenode_set_mode(T->fake, FAKE_HOLD);
	memset(&m, 0, sizeof m);
	m.opcode = OP_QUERY;
	m.u.query.query = slice_cstr("x");
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pool_send(p, &m, 0, -1, t_answer, &T->res[i],
		    &c, NULL), CONN_OK);
	ck_assert(testloop_until(T->base, cond_pool_size, p, 5000));
	/* the second connection started at v3: one refusal in all */
	ck_assert_int_eq(fakenode_stats(T->fake)->refused_versions, 1);
	ck_assert_int_eq(fakenode_stats(T->fake)->connections, 3);
	/* the least busy connection is the new one */
	ck_assert_int_eq(pool_acquire(p, &c), CONN_OK);
	ck_assert_int_eq(conn_inflight(c), 0);
	ck_assert_uint_eq(conn_version(c), 3);
	ck_assert(testloop_until(T->base, cond_held, &three, 5000));
	fakenode_release(T->fake, 3);
	ck_assert(testloop_until(T->base, cond_ndone, &three, 5000));
	pool_free(p);
}
END_TEST

START_TEST(test_pool_drop_and_back)
{
	struct pool_config	 pc;
	struct pool		*p;
	int			 one = 1, two = 2;

	pool_config_default(&pc);
	pc.conn.heartbeat_interval_ms = 0;
	pc.reconnect.kind = RECONNECT_CONSTANT;
	pc.reconnect.jitter = RECONNECT_JITTER_NONE;
	pc.reconnect.base_ms = 50;
	p = p_make(&pc);
	fakenode_drop(T->fake);
	ck_assert(testloop_until(T->base, cond_pool_downs, &one, 5000));
	ck_assert_int_eq(T->host->state, HOST_DOWN);
	/* the node still listens: the scheduled attempt brings it back */
	ck_assert(testloop_until(T->base, cond_pool_ups, &two, 5000));
	ck_assert_int_eq(T->host->state, HOST_UP);
	ck_assert_int_eq(pool_size(p), 1);
	pool_free(p);
}
END_TEST

START_TEST(test_pool_ignored)
{
	struct pool_config	 pc;
	struct pool		*p;
	struct conn		*c;

	pool_config_default(&pc);
	pc.conn.heartbeat_interval_ms = 0;
	p = p_make(&pc);
	pool_set_distance(p, HOST_IGNORED);
	ck_assert_int_eq(pool_size(p), 0);
	ck_assert_int_eq(pool_acquire(p, &c), CONN_ECLOSED);
	ck_assert(testloop_until(T->base, NULL, NULL, 50));
	ck_assert_int_eq(pool_opening(p), 0);
	pool_set_distance(p, HOST_REMOTE);
	ck_assert(testloop_until(T->base, cond_pool_ups, &(int){ 2 }, 5000));
	ck_assert_int_eq(pool_size(p), 1);
	pool_free(p);
}
END_TEST

static Suite *
connfake_suite(void)
{
	Suite	*s = suite_create("connfake");
	TCase	*tc;

	tc = tcase_create("handshake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_handshake_v4);
	tcase_add_test(tc, test_version_step_down);
	tcase_add_test(tc, test_version_remembered);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_auth_refused);
	tcase_add_test(tc, test_auth_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_many_in_flight);
	tcase_add_test(tc, test_timeout_and_late_answer);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_server_error);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_send_before_ready);
	tcase_add_test(tc, test_request_too_large);
	tcase_add_test(tc, test_split_frame);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_heartbeat_kept);
	tcase_add_test(tc, test_heartbeat_timeout);
	tcase_add_test(tc, test_peer_closes);
	tcase_add_test(tc, test_frame_too_large);
	tcase_add_test(tc, test_unknown_stream);
	tcase_add_test(tc, test_garbage_body);
	tcase_add_test(tc, test_random_bodies);
	tcase_add_test(tc, test_free_inside_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pool_version_remembered);
	tcase_add_test(tc, test_pool_drop_and_back);
	tcase_add_test(tc, test_pool_ignored);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(connfake_suite());
	int	 failed;

	if (getenv("CQLP_TEST_DEBUG") != NULL)
		log_open("check_connfake", LOG_LEVEL_TRACE, 1);
	else
		log_open("check_connfake", LOG_LEVEL_WARN, 1);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
