/*
 * check_clock.c: the per-turn clocks give one reading per loop turn, a
 * new one in the next turn, never one later than the real clock, and a
 * real reading outside the loop; client timestamps made from them stay
 * strictly increasing.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "util.h"
#include "clock.h"
#include "policy.h"

#define TURNS	5

struct turns {
	struct event_base	*base;
	struct event		*ev;
	int			 turn;
	uint64_t		 first[TURNS];	/* first reading of the turn */
	uint64_t		 again[TURNS];	/* after waiting in the turn */
	uint64_t		 before[TURNS];	/* real clock at turn start */
	uint64_t		 waited[TURNS];	/* real clock after the wait */
	int64_t			 real[TURNS];
	int64_t			 real_again[TURNS];
	struct tsgen		 g;
	int64_t			 last_ts;
	int			 ts_ok;
};

static int64_t
real_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* Let the real monotonic clock move by at least us. */
static uint64_t
spin_us(uint64_t us)
{
	uint64_t	start = clock_now_us(), now;

	while ((now = clock_now_us()) < start + us)
		;
	return (now);
}

static struct event_base *
precise_base(void)
{
	struct event_config	*cfg = event_config_new();
	struct event_base	*base;

	ck_assert_ptr_nonnull(cfg);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	ck_assert_ptr_nonnull(base);
	return (base);
}

static int64_t
turn_realtime(void *arg)
{
	struct turns	*t = arg;

	return (clock_turn_realtime_us(t->base));
}

/* One turn: read, wait, read again; then ask for the next turn. */
static void
turn_cb(evutil_socket_t fd, short events, void *arg)
{
	struct turns	*t = arg;
	struct timeval	 zero = { 0, 0 };
	int64_t		 ts;
	int		 i, k = t->turn;

	t->before[k] = clock_now_us();
	t->first[k] = clock_turn_us(t->base);
	t->real[k] = clock_turn_realtime_us(t->base);
	t->waited[k] = spin_us(200);
	t->again[k] = clock_turn_us(t->base);
	t->real_again[k] = clock_turn_realtime_us(t->base);
	ck_assert_uint_eq(clock_turn_ms(t->base), t->first[k] / 1000);

	/* Many timestamps in one turn: one reading, counted up. */
	for (i = 0; i < 1000; i++) {
		ts = tsgen_next(&t->g);
		if (ts <= t->last_ts || (i == 0 && ts < t->real[k]))
			t->ts_ok = 0;
		t->last_ts = ts;
	}
	if (++t->turn < TURNS)
		evtimer_add(t->ev, &zero);
}

START_TEST(test_one_reading_per_turn)
{
	struct turns	t;
	struct timeval	zero = { 0, 0 };
	int		i;

	memset(&t, 0, sizeof t);
	t.base = precise_base();
	t.ev = evtimer_new(t.base, turn_cb, &t);
	tsgen_init(&t.g, turn_realtime, &t);
	t.last_ts = INT64_MIN;
	t.ts_ok = 1;
	evtimer_add(t.ev, &zero);
	event_base_dispatch(t.base);
	ck_assert_int_eq(t.turn, TURNS);
	for (i = 0; i < TURNS; i++) {
		/* Within a turn: the same reading, though time moved. */
		ck_assert_uint_eq(t.first[i], t.again[i]);
		ck_assert_int_eq(t.real[i], t.real_again[i]);
		ck_assert_uint_ge(t.waited[i], t.first[i] + 200);
		/* Never later than the real clock. */
		ck_assert_uint_le(t.first[i], t.waited[i]);
		if (i == 0)
			continue;
		/* The next turn reads anew: after the last turn's wait. */
		ck_assert_uint_ge(t.first[i], t.waited[i - 1]);
		ck_assert_uint_ge(t.first[i], t.before[i]);
		ck_assert_int_gt(t.real[i], t.real[i - 1]);
	}
	ck_assert_int_eq(t.ts_ok, 1);
	event_free(t.ev);
	event_base_free(t.base);
}
END_TEST

START_TEST(test_outside_loop)
{
	struct event_base	*base = precise_base();
	uint64_t		 a, b, before;
	int64_t			 r, rb;

	/* Not in a loop turn: each call is a real reading. */
	before = clock_now_us();
	a = clock_turn_us(base);
	ck_assert_uint_ge(a, before);
	spin_us(50);
	b = clock_turn_us(base);
	ck_assert_uint_ge(b, a + 50);
	ck_assert_uint_le(b, clock_now_us());

	a = clock_turn_us(NULL);
	spin_us(50);
	b = clock_turn_us(NULL);
	ck_assert_uint_ge(b, a + 50);

	rb = real_now_us();
	r = clock_turn_realtime_us(base);
	ck_assert_int_ge(r, rb);
	ck_assert_int_le(r, real_now_us());
	/*
	 * Fresh, not the reading of before the spin: compared with a real
	 * reading taken just before, since the realtime clock may be slewed
	 * and need not advance 50 us while the monotonic one does.
	 */
	spin_us(50);
	rb = real_now_us();
	ck_assert_int_ge(clock_turn_realtime_us(NULL), rb);
	event_base_free(base);
}
END_TEST

static void
in_loop_cb(evutil_socket_t fd, short events, void *arg)
{
	struct turns	*t = arg;

	t->first[0] = clock_turn_us(t->base);
}

/* After the loop ran, a call outside it must not get the loop's reading. */
START_TEST(test_after_loop)
{
	struct turns	t;
	struct timeval	zero = { 0, 0 };
	uint64_t	b;

	memset(&t, 0, sizeof t);
	t.base = precise_base();
	event_base_once(t.base, -1, EV_TIMEOUT, in_loop_cb, &t, &zero);
	event_base_dispatch(t.base);
	ck_assert_uint_gt(t.first[0], 0);
	spin_us(100);
	b = clock_turn_us(t.base);
	ck_assert_uint_ge(b, t.first[0] + 100);
	event_base_free(t.base);
}
END_TEST

/* Without the precise timer: turns may share, but never run ahead. */
static void
coarse_cb(evutil_socket_t fd, short events, void *arg)
{
	struct turns	*t = arg;
	struct timeval	 zero = { 0, 0 };
	int		 k = t->turn;

	t->first[k] = clock_turn_us(t->base);
	t->before[k] = clock_now_us();
	if (++t->turn < TURNS)
		evtimer_add(t->ev, &zero);
}

START_TEST(test_coarse_never_ahead)
{
	struct turns	t;
	struct timeval	zero = { 0, 0 };
	int		i;

	memset(&t, 0, sizeof t);
	t.base = event_base_new();
	t.ev = evtimer_new(t.base, coarse_cb, &t);
	evtimer_add(t.ev, &zero);
	event_base_dispatch(t.base);
	ck_assert_int_eq(t.turn, TURNS);
	for (i = 0; i < TURNS; i++) {
		ck_assert_uint_le(t.first[i], t.before[i]);
		if (i > 0)
			ck_assert_uint_ge(t.first[i], t.first[i - 1]);
	}
	event_free(t.ev);
	event_base_free(t.base);
}
END_TEST

static Suite *
clock_suite(void)
{
	Suite	*s = suite_create("clock");
	TCase	*tc = tcase_create("turn");

	tcase_add_test(tc, test_one_reading_per_turn);
	tcase_add_test(tc, test_outside_loop);
	tcase_add_test(tc, test_after_loop);
	tcase_add_test(tc, test_coarse_never_ahead);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(clock_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
