/*
 * check_reconnect.c: reconnection schedules grow, cap, jitter within their
 * bounds and never give up; the timer wrapper fires on schedule.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "util.h"
#include "reconnect.h"

static uint64_t
test_rand(uint64_t *s)
{
	/* splitmix64: deterministic, well spread */
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

START_TEST(test_exponential_no_jitter)
{
	struct reconnect_policy	p;
	struct reconnect_state	st;
	uint64_t		want = 1000;
	int			i;

	reconnect_policy_default(&p);
	p.jitter = RECONNECT_JITTER_NONE;
	reconnect_state_init(&st, &p);
	for (i = 0; i < 10; i++) {
		ck_assert_uint_eq(reconnect_next_delay(&st, 12345), want);
		want *= 2;
	}
	/* 1000 * 2^10 = 1024000 > 600000: capped from here on */
	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(reconnect_next_delay(&st, 0), 600000);
	reconnect_state_reset(&st);
	ck_assert_uint_eq(reconnect_next_delay(&st, 0), 1000);
}
END_TEST

START_TEST(test_ceiling_no_overflow)
{
	struct reconnect_policy	p;
	uint64_t		a;

	p.kind = RECONNECT_EXPONENTIAL;
	p.jitter = RECONNECT_JITTER_NONE;
	p.base_ms = 3;
	p.max_ms = UINT64_MAX;
	ck_assert_uint_eq(reconnect_ceiling(&p, 0), 3);
	ck_assert_uint_eq(reconnect_ceiling(&p, 10), 3072);
	/* 3 << 62 overflows: must clamp, not wrap */
	for (a = 60; a < 200; a++)
		ck_assert(reconnect_ceiling(&p, a) >=
		    reconnect_ceiling(&p, a - 1));
	ck_assert_uint_eq(reconnect_ceiling(&p, 64), UINT64_MAX);
	ck_assert_uint_eq(reconnect_ceiling(&p, UINT64_MAX), UINT64_MAX);
}
END_TEST

START_TEST(test_full_jitter_bounds)
{
	struct reconnect_policy	p;
	struct reconnect_state	st;
	uint64_t		seed = 1, d, cap, lo = UINT64_MAX;
	int			i, attempt;

	reconnect_policy_default(&p);
	p.jitter = RECONNECT_JITTER_FULL;
	for (attempt = 0; attempt < 40; attempt++) {
		cap = reconnect_ceiling(&p, attempt);
		for (i = 0; i < 200; i++) {
			st.policy = p;
			st.attempt = attempt;
			d = reconnect_next_delay(&st, test_rand(&seed));
			ck_assert_uint_le(d, cap);
			if (d < lo)
				lo = d;
		}
	}
	/* full jitter reaches down near zero */
	ck_assert_uint_lt(lo, 100);
	st.policy = p;
	st.attempt = 0;
	ck_assert_uint_eq(reconnect_next_delay(&st, 0), 0);
	st.attempt = 0;
	ck_assert_uint_eq(reconnect_next_delay(&st, 1000), 1000);
	st.attempt = 0;
	ck_assert_uint_eq(reconnect_next_delay(&st, 1001), 0);
}
END_TEST

START_TEST(test_equal_jitter_bounds)
{
	struct reconnect_policy	p;
	struct reconnect_state	st;
	uint64_t		seed = 7, d, cap, lo = UINT64_MAX, hi = 0;
	int			i;

	reconnect_policy_default(&p);
	ck_assert_int_eq(p.jitter, RECONNECT_JITTER_EQUAL);
	reconnect_state_init(&st, &p);
	for (i = 0; i < 2000; i++) {
		cap = reconnect_ceiling(&p, st.attempt);
		d = reconnect_next_delay(&st, test_rand(&seed));
		ck_assert_uint_ge(d, cap / 2);
		ck_assert_uint_le(d, cap);
		if (cap == 600000) {
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
	}
	/* the spread covers most of [cap/2, cap] */
	ck_assert_uint_lt(lo, 310000);
	ck_assert_uint_gt(hi, 590000);
	ck_assert_uint_eq(st.attempt, 2000);
}
END_TEST

START_TEST(test_constant)
{
	struct reconnect_policy	p;
	struct reconnect_state	st;
	uint64_t		seed = 3, d;
	int			i;

	p.kind = RECONNECT_CONSTANT;
	p.jitter = RECONNECT_JITTER_NONE;
	p.base_ms = 2000;
	p.max_ms = 0;		/* unused by constant */
	reconnect_state_init(&st, &p);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(reconnect_next_delay(&st, test_rand(&seed)),
		    2000);
	p.jitter = RECONNECT_JITTER_EQUAL;
	reconnect_state_init(&st, &p);
	for (i = 0; i < 100; i++) {
		d = reconnect_next_delay(&st, test_rand(&seed));
		ck_assert_uint_ge(d, 1000);
		ck_assert_uint_le(d, 2000);
	}
}
END_TEST

START_TEST(test_policy_check)
{
	struct reconnect_policy	p;
	const char		*why = NULL;

	reconnect_policy_default(&p);
	ck_assert_int_eq(reconnect_policy_check(&p, &why), 0);
	p.base_ms = 0;
	ck_assert_int_eq(reconnect_policy_check(&p, &why), -1);
	ck_assert_ptr_nonnull(why);
	reconnect_policy_default(&p);
	p.max_ms = 10;
	ck_assert_int_eq(reconnect_policy_check(&p, &why), -1);
	p.kind = RECONNECT_CONSTANT;
	ck_assert_int_eq(reconnect_policy_check(&p, &why), 0);
	p.jitter = (enum reconnect_jitter)9;
	ck_assert_int_eq(reconnect_policy_check(&p, &why), -1);
}
END_TEST

struct timer_test {
	struct reconnect	*rc;
	int			 fired;
	struct event_base	*base;
};

static void
timer_test_cb(void *arg)
{
	struct timer_test	*t = arg;

	t->fired++;
	if (t->fired < 3)
		reconnect_schedule(t->rc);
	else
		event_base_loopbreak(t->base);
}

/* A test never hangs: the loop ends after 10 s whatever happens. */
static void
guard_cb(evutil_socket_t fd, short events, void *arg)
{
	event_base_loopbreak(arg);
}

START_TEST(test_timer_follows_schedule)
{
	struct reconnect_policy	p;
	struct timer_test	t;
	struct timeval		tv = { 10, 0 };
	struct event		*guard;

	p.kind = RECONNECT_EXPONENTIAL;
	p.jitter = RECONNECT_JITTER_NONE;
	p.base_ms = 5;
	p.max_ms = 20;
	t.base = event_base_new();
	t.fired = 0;
	t.rc = reconnect_new(t.base, &p, timer_test_cb, &t);
	guard = evtimer_new(t.base, guard_cb, t.base);
	ck_assert_uint_eq(reconnect_schedule(t.rc), 5);
	ck_assert(reconnect_pending(t.rc));
	/* an armed timer is left alone */
	ck_assert_uint_eq(reconnect_schedule(t.rc), 5);
	ck_assert_uint_eq(reconnect_attempts(t.rc), 1);
	evtimer_add(guard, &tv);
	event_base_dispatch(t.base);
	ck_assert_int_eq(t.fired, 3);
	ck_assert_uint_eq(reconnect_attempts(t.rc), 3);
	reconnect_reset(t.rc);
	ck_assert_uint_eq(reconnect_attempts(t.rc), 0);
	ck_assert(!reconnect_pending(t.rc));
	event_free(guard);
	reconnect_free(t.rc);
	event_base_free(t.base);
}
END_TEST

static Suite *
reconnect_suite(void)
{
	Suite	*s = suite_create("reconnect");
	TCase	*tc = tcase_create("schedule");

	tcase_add_test(tc, test_exponential_no_jitter);
	tcase_add_test(tc, test_ceiling_no_overflow);
	tcase_add_test(tc, test_full_jitter_bounds);
	tcase_add_test(tc, test_equal_jitter_bounds);
	tcase_add_test(tc, test_constant);
	tcase_add_test(tc, test_policy_check);
	tcase_add_test(tc, test_timer_follows_schedule);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(reconnect_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
