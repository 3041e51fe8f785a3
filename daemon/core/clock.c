/*
 * clock.c: monotonic and real-time clocks read at most once per turn of
 * the event loop (see clock.h for how a turn is told apart and how
 * precise that is).
 */
#include <sys/types.h>
#include <sys/time.h>

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "util.h"
#include "clock.h"

/* One clock's kept reading and the turn it belongs to. */
struct clock_kept {
	struct event_base	*base;		/* NULL: nothing kept */
	struct timeval		 turn;		/* libevent's cached time */
	uint64_t		 us;
};

static struct clock_kept	clock_mono;
static struct clock_kept	clock_real;

static uint64_t
clock_read(clockid_t id)
{
	struct timespec	ts;

	if (clock_gettime(id, &ts) != 0)
		fatal("clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

uint64_t
clock_now_us(void)
{
	return (clock_read(CLOCK_MONOTONIC));
}

/*
 * The kept reading while base's cached time has not moved (the same
 * turn), else a new one.  Outside the loop libevent answers with the
 * real time of day, which moves every microsecond, so the clock is read
 * every time (a call within the same microsecond may share a reading
 * that old).
 */
static uint64_t
clock_turn(struct clock_kept *k, clockid_t id, struct event_base *base)
{
	struct timeval	tv;

	if (base == NULL || event_base_gettimeofday_cached(base, &tv) != 0)
		return (clock_read(id));
	if (k->base == base && k->turn.tv_usec == tv.tv_usec &&
	    k->turn.tv_sec == tv.tv_sec)
		return (k->us);
	k->base = base;
	k->turn = tv;
	k->us = clock_read(id);
	return (k->us);
}

uint64_t
clock_turn_us(struct event_base *base)
{
	return (clock_turn(&clock_mono, CLOCK_MONOTONIC, base));
}

uint64_t
clock_turn_ms(struct event_base *base)
{
	return (clock_turn(&clock_mono, CLOCK_MONOTONIC, base) / 1000);
}

int64_t
clock_turn_realtime_us(struct event_base *base)
{
	return ((int64_t)clock_turn(&clock_real, CLOCK_REALTIME, base));
}
