/*
 * check_streams.c: the pure pieces of the connection layer: stream id
 * allocation (free list, orphans, limits), the connection state table,
 * and hosts (addresses, reference counts, listeners).
 */
#include <sys/socket.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "frame.h"
#include "conn.h"
#include "host.h"

START_TEST(test_streams_exhaust_and_reuse)
{
	struct streams	s;
	int		i, id;
	static uint8_t	seen[FRAME_MAX_STREAMS];

	memset(seen, 0, sizeof seen);
	streams_init(&s, FRAME_MAX_STREAMS);
	for (i = 0; i < FRAME_MAX_STREAMS; i++) {
		id = streams_get(&s, &seen[i]);
		ck_assert_int_ge(id, 0);
		ck_assert_int_lt(id, FRAME_MAX_STREAMS);
		ck_assert_int_eq(seen[id], 0);
		seen[id] = 1;
	}
	ck_assert_uint_eq(streams_available(&s), 0);
	ck_assert_int_eq(streams_get(&s, NULL), -1);
	ck_assert_uint_eq(s.busy, FRAME_MAX_STREAMS);
	ck_assert_ptr_eq(streams_data(&s, 0), &seen[0]);

	streams_put(&s, 1234);
	ck_assert_int_eq(streams_state(&s, 1234), STREAM_FREE);
	ck_assert_uint_eq(streams_available(&s), 1);
	ck_assert_int_eq(streams_get(&s, NULL), 1234);
	ck_assert_int_eq(streams_get(&s, NULL), -1);
	streams_clear(&s);
	ck_assert_uint_eq(streams_available(&s), FRAME_MAX_STREAMS);
	streams_clear(&s);
}
END_TEST

START_TEST(test_streams_orphans_not_reused)
{
	struct streams	s;
	int		a, b, c, i, id;

	streams_init(&s, 4);
	a = streams_get(&s, NULL);
	b = streams_get(&s, NULL);
	c = streams_get(&s, NULL);
	ck_assert_int_eq(a, 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(c, 2);
	/* b times out: its id stays reserved */
	streams_orphan(&s, b);
	ck_assert_int_eq(streams_state(&s, b), STREAM_ORPHAN);
	ck_assert_ptr_null(streams_data(&s, b));
	ck_assert_uint_eq(s.orphans, 1);
	ck_assert_uint_eq(s.busy, 2);
	streams_put(&s, a);
	streams_put(&s, c);
	ck_assert_uint_eq(streams_available(&s), 3);
	for (i = 0; i < 3; i++) {
		id = streams_get(&s, NULL);
		ck_assert_int_ne(id, b);
		ck_assert_int_ge(id, 0);
	}
	ck_assert_int_eq(streams_get(&s, NULL), -1);
	/* the late answer frees it */
	streams_put(&s, b);
	ck_assert_uint_eq(s.orphans, 0);
	ck_assert_int_eq(streams_get(&s, NULL), b);
	streams_clear(&s);
}
END_TEST

START_TEST(test_streams_lazy_growth)
{
	struct streams	s;
	int		i;

	streams_init(&s, 0);		/* 0 means the protocol's maximum */
	ck_assert_uint_eq(s.max, FRAME_MAX_STREAMS);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(streams_get(&s, NULL), 0);
		streams_put(&s, 0);
	}
	/* only as deep as it was busy */
	ck_assert_uint_le(s.size, 64);
	ck_assert_uint_eq(s.fresh, 1);
	ck_assert_int_eq(streams_state(&s, 40000), STREAM_FREE);
	ck_assert_int_eq(streams_state(&s, -1), STREAM_FREE);
	streams_clear(&s);
}
END_TEST

START_TEST(test_conn_state_table)
{
	static const struct {
		enum conn_state	from, to;
	} ok[] = {
		{ CONN_NEW, CONN_CONNECTING },
		{ CONN_NEW, CONN_CLOSED },
		{ CONN_CONNECTING, CONN_OPTIONS },
		{ CONN_CONNECTING, CONN_CLOSED },
		{ CONN_OPTIONS, CONN_STARTUP },
		{ CONN_OPTIONS, CONN_CONNECTING },
		{ CONN_OPTIONS, CONN_CLOSED },
		{ CONN_STARTUP, CONN_READY },
		{ CONN_STARTUP, CONN_AUTH },
		{ CONN_STARTUP, CONN_CONNECTING },
		{ CONN_STARTUP, CONN_CLOSED },
		{ CONN_AUTH, CONN_READY },
		{ CONN_AUTH, CONN_CLOSED },
		{ CONN_READY, CONN_CLOSED },
	};
	int	from, to, want;
	size_t	i;

	for (from = 0; from < CONN_NSTATES; from++) {
		for (to = 0; to < CONN_NSTATES; to++) {
			want = 0;
			for (i = 0; i < nitems(ok); i++) {
				if (ok[i].from == (enum conn_state)from &&
				    ok[i].to == (enum conn_state)to)
					want = 1;
			}
			ck_assert_msg(conn_state_valid(from, to) == want,
			    "%s -> %s", conn_state_name(from),
			    conn_state_name(to));
		}
	}
	ck_assert(!conn_state_valid(CONN_NSTATES, CONN_CLOSED));
	ck_assert_str_eq(conn_state_name(CONN_READY), "READY");
	ck_assert_str_eq(conn_error_name(CONN_ETIMEOUT), "timeout");
	ck_assert_str_eq(conn_error_name((enum conn_error)99),
	    "unknown error");
}
END_TEST

START_TEST(test_host_addresses)
{
	struct host	*a, *b;

	a = host_new_name("127.0.0.3", 9042, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "127.0.0.3:9042");
	ck_assert_uint_eq(a->port, 9042);
	ck_assert_int_eq(a->state, HOST_UNKNOWN);
	ck_assert_int_eq(a->distance, HOST_LOCAL);
	b = host_new_name("::1", 19042, NULL);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->name, "[::1]:19042");
	ck_assert_int_eq(b->addr.ss_family, AF_INET6);
	ck_assert(host_same_addr(a, (struct sockaddr *)&a->addr, a->addrlen));
	ck_assert(!host_same_addr(a, (struct sockaddr *)&b->addr,
	    b->addrlen));
	ck_assert_ptr_null(host_new_name("localhost", 9042, NULL));
	ck_assert_ptr_null(host_new_name("127.0.0.1:9042", 9042, NULL));
	host_unref(a);
	host_unref(b);
}
END_TEST

START_TEST(test_host_metadata)
{
	static const int64_t	 tokens[] = { -5, 7, 100 };
	static const uint8_t	 id[16] = { 1, 2, 3 };
	struct host		*h;

	h = host_new_name("127.0.0.1", 9042, NULL);
	host_set_dc(h, "dc1");
	host_set_rack(h, "r1");
	host_set_dc(h, "dc2");
	host_set_release_version(h, "4.0.0");
	host_set_host_id(h, id);
	host_set_tokens(h, tokens, nitems(tokens));
	ck_assert_str_eq(h->dc, "dc2");
	ck_assert_str_eq(h->rack, "r1");
	ck_assert_uint_eq(h->ntokens, 3);
	ck_assert(h->tokens[2] == 100);
	ck_assert(h->has_host_id && h->host_id[2] == 3);
	host_set_tokens(h, NULL, 0);
	ck_assert_ptr_null(h->tokens);
	host_set_rack(h, NULL);
	ck_assert_ptr_null(h->rack);
	/* references: the last unref frees (ASan checks the rest) */
	ck_assert_ptr_eq(host_ref(h), h);
	ck_assert_uint_eq(h->references, 2);
	host_unref(h);
	ck_assert_uint_eq(h->references, 1);
	host_unref(h);
}
END_TEST

struct counts {
	int	up, down, add, remove;
	struct host_listeners *ls;
	int	self_id;
};

static void
count_up(struct host *h, void *arg)
{
	((struct counts *)arg)->up++;
}

static void
count_down(struct host *h, void *arg)
{
	struct counts	*c = arg;

	c->down++;
	/* removing oneself from inside a callback is allowed */
	if (c->self_id >= 0) {
		host_listener_remove(c->ls, c->self_id);
		c->self_id = -1;
	}
}

static void
count_add(struct host *h, void *arg)
{
	((struct counts *)arg)->add++;
}

static void
count_remove(struct host *h, void *arg)
{
	((struct counts *)arg)->remove++;
}

START_TEST(test_host_listeners)
{
	struct host_listeners	*ls;
	struct host_listener	 l;
	struct counts		 c1, c2;
	struct host		*h;
	int			 id1;

	memset(&c1, 0, sizeof c1);
	memset(&c2, 0, sizeof c2);
	ls = host_listeners_new();
	c1.ls = c2.ls = ls;
	c1.self_id = -1;
	l.on_up = count_up;
	l.on_down = count_down;
	l.on_add = count_add;
	l.on_remove = count_remove;
	l.arg = &c1;
	id1 = host_listener_add(ls, &l);
	l.on_add = NULL;	/* NULL callbacks are skipped */
	l.arg = &c2;
	c2.self_id = host_listener_add(ls, &l);
	ck_assert_int_ne(id1, c2.self_id);

	h = host_new_name("127.0.0.2", 9042, ls);
	host_listeners_added(ls, h);
	ck_assert_int_eq(c1.add, 1);
	ck_assert_int_eq(c2.add, 0);
	ck_assert_int_eq(host_set_state(h, HOST_UP), 1);
	ck_assert_int_eq(host_set_state(h, HOST_UP), 0);	/* no change */
	ck_assert_int_eq(c1.up, 1);
	ck_assert_int_eq(c2.up, 1);
	ck_assert_int_eq(host_set_state(h, HOST_DOWN), 1);
	ck_assert_int_eq(c1.down, 1);
	ck_assert_int_eq(c2.down, 1);	/* and it removed itself */
	host_set_state(h, HOST_UP);
	host_set_state(h, HOST_DOWN);
	ck_assert_int_eq(c1.down, 2);
	ck_assert_int_eq(c2.down, 1);
	host_set_state(h, HOST_UNKNOWN);	/* neither up nor down */
	ck_assert_int_eq(c1.up, 2);
	host_listener_remove(ls, id1);
	host_listeners_removed(ls, h);
	ck_assert_int_eq(c1.remove, 0);
	host_unref(h);
	host_listeners_free(ls);
}
END_TEST

static Suite *
streams_suite(void)
{
	Suite	*s = suite_create("connpure");
	TCase	*tc = tcase_create("streams");

	tcase_add_test(tc, test_streams_exhaust_and_reuse);
	tcase_add_test(tc, test_streams_orphans_not_reused);
	tcase_add_test(tc, test_streams_lazy_growth);
	suite_add_tcase(s, tc);
	tc = tcase_create("state");
	tcase_add_test(tc, test_conn_state_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("host");
	tcase_add_test(tc, test_host_addresses);
	tcase_add_test(tc, test_host_metadata);
	tcase_add_test(tc, test_host_listeners);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(streams_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
